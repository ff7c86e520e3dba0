"""`--format json`: the documented, versioned machine-readable report."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from prepctl.formats.base import JSON_SCHEMA_VERSION, report_dict
from prepctl.formats.interface import Format
from prepctl.inert import ANYWHERE_COMMAND
from prepctl.secrets import redact
from prepctl.verdicts import GateReport

if TYPE_CHECKING:
    from prepctl.status import PhaseState


#: Characters json.dumps leaves raw with ensure_ascii=False that a terminal acts on (C1 controls
#: such as the 8-bit CSI, DEL, bidi overrides), that end a line for some readers (U+2028/2029), or
#: that UTF-8 cannot encode at all (a lone surrogate from an alert label would crash the write).
#: They occur only inside JSON strings, so each is written as its \uXXXX escape: the text
#: round-trips exactly and nothing is stripped from the machine-readable report.
_UNSAFE_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def dump_json(data: object) -> str:
    text = redact(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    # Azure and GitHub's v1 parser act on ##vso[ / ##[ anywhere in a printed line: the first #
    # is written as \u0023, the same string once parsed, no command in a log.
    text = ANYWHERE_COMMAND.sub(r"\\u0023", text)
    return _UNSAFE_RAW.sub(lambda m: f"\\u{ord(m[0]):04x}", text) + "\n"


class JsonFormat(Format):
    name = "json"

    def render(self, report: GateReport) -> str:
        return dump_json(report_dict(report))

    def render_status(self, rows: list[PhaseState]) -> str:
        return dump_json({"schema_version": JSON_SCHEMA_VERSION,
                      "phases": [row.to_dict() for row in rows]})
