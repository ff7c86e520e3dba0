"""`--format json`: the documented, versioned machine-readable report."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from prepctl.formats.base import JSON_SCHEMA_VERSION, Format, report_dict
from prepctl.secrets import redact
from prepctl.verdicts import GateReport

if TYPE_CHECKING:
    from prepctl.status import PhaseState


def _dump(data: object) -> str:
    return redact(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n"


class JsonFormat(Format):
    name = "json"

    def render(self, report: GateReport) -> str:
        return _dump(report_dict(report))


def status_json(rows: list[PhaseState]) -> str:
    return _dump({"schema_version": JSON_SCHEMA_VERSION,
                  "phases": [row.to_dict() for row in rows]})
