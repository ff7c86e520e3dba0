"""Output formats for gate reports: one module each, chosen by name."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError

if TYPE_CHECKING:
    from prepctl.status import PhaseState
    from prepctl.verdicts import GateReport

FORMATS: dict[str, str] = {
    "table": "prepctl.formats.table:TableFormat",
    "json": "prepctl.formats.json:JsonFormat",
    "markdown": "prepctl.formats.markdown:MarkdownFormat",
    "junit": "prepctl.formats.junit:JUnitFormat",
    "github": "prepctl.formats.github:GitHubFormat",
}


def get_format(name: str):
    target = FORMATS.get(name)
    if target is None:
        raise PrepctlError(f"unknown format '{name}'; choose one of {', '.join(FORMATS)}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)()


def render_gate_report(report: GateReport, fmt: str) -> str:
    return get_format(fmt).render(report)


def render_status(rows: list[PhaseState], fmt: str) -> str:
    if fmt == "json":
        from prepctl.formats.json import status_json

        return status_json(rows)
    if fmt == "table":
        from prepctl.formats.table import status_table

        return status_table(rows)
    raise PrepctlError(f"status supports --format table or json, not '{fmt}'")
