"""Fixtures for the real-world corpus (``-m corpus``): distributions fetched once per cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.corpus.pypi import unpacked


@pytest.fixture(scope="session")
def corpus_dist() -> Callable[[str], Path]:
    """``corpus_dist("wger")`` is the unpacked top folder of that pinned distribution."""
    return unpacked
