"""Fixtures every test folder may use, and the hook that marks tests by the resources they need.
Helpers, builders and servers live in tests/support/ (importable, no fixtures there)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.live_servers import (
    AlertmanagerServer,
    PrometheusServer,
    running_alertmanager,
    running_prometheus,
)
from tests.support.paths import EXAMPLE
from tests.support.plans import write_plan
from tests.support.shadow_servers import Trio, serve_trio, write_requests_file

#: A test that asks for one of these fixtures talks to a server started for it, so it is `live`.
#: Tests that start a server themselves carry @pytest.mark.live (or a module pytestmark).
LIVE_FIXTURES = frozenset({"httpserver", "prometheus_server", "alertmanager_server", "shadow_trio"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LIVE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    return run_cli


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example monolith that a test may change."""
    dest = tmp_path / "prep-monolith"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture
def plan_writer() -> Callable[..., Path]:
    return write_plan


@pytest.fixture(scope="session")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as server:
        yield server


@pytest.fixture(scope="session")
def alertmanager_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    with running_alertmanager(tmp_path_factory.mktemp("alertmanager")) as server:
        yield server


@pytest.fixture
def shadow_trio() -> Iterator[Trio]:
    with serve_trio() as trio:
        yield trio


@pytest.fixture
def requests_file(tmp_path: Path) -> Path:
    return write_requests_file(tmp_path)
