"""The `prepctl history` use case: list runs, export them, import an export. The command module
only parses options; what each word does, and what it prints, is decided here."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError
from prepctl.history.jsonl import export_jsonl, import_jsonl, run_to_json
from prepctl.history.store import history_path, read_runs
from prepctl.history.table import runs_table

if TYPE_CHECKING:
    from prepctl.plan.model import LoadedPlan

USAGE = "prepctl history [PHASE] | history export [--out FILE] | history import FILE"


@dataclass(frozen=True)
class HistoryRequest:
    words: tuple[str, ...] = ()
    fmt: str = ""
    out: Path | None = None
    limit: int = 30


@dataclass(frozen=True)
class HistoryOutput:
    stdout: str = ""
    stderr: str = ""


def run_history(plan: LoadedPlan, request: HistoryRequest) -> HistoryOutput:
    """Do what `prepctl history WORDS...` asks; bad usage is a PrepctlError (exit 2). An export
    to stdout is streamed (it can be large); everything else is returned as text."""
    words = list(request.words)
    if words[:1] == ["export"]:
        return _export(plan, words, request)
    if words[:1] == ["import"]:
        if len(words) != 2:
            raise PrepctlError(f"`history import` needs one FILE; usage: {USAGE}")
        result = import_jsonl(plan, Path(words[1]))
        return HistoryOutput(f"imported {result.added} runs ({result.already_present} already present) "
                             f"into {history_path(plan)}\n")
    if len(words) > 1:
        raise PrepctlError(f"too many arguments; usage: {USAGE}")
    if request.fmt not in ("", "table", "json"):
        raise PrepctlError(f"history lists --format table or json, not '{request.fmt}'")
    phase = words[0] if words else None
    runs = read_runs(plan, phase, limit=request.limit)
    if phase is not None and not runs:
        plan.phase(phase)  # an unknown phase gets a clear error with a suggestion
    if request.fmt == "json":
        return HistoryOutput(json.dumps([run_to_json(r) for r in runs], indent=2, sort_keys=True,
                                        ensure_ascii=False) + "\n")
    return HistoryOutput(runs_table(runs, phase))


def _export(plan: LoadedPlan, words: list[str], request: HistoryRequest) -> HistoryOutput:
    from prepctl.fileio import atomic_write_text

    if len(words) != 1:
        raise PrepctlError(f"`history export` takes no arguments; usage: {USAGE}")
    if request.fmt not in ("", "jsonl"):
        raise PrepctlError(f"history export writes --format jsonl, not '{request.fmt}'")
    runs = read_runs(plan)
    if request.out is None:
        export_jsonl(runs, sys.stdout)
        return HistoryOutput()
    buffer = io.StringIO()
    count = export_jsonl(runs, buffer)
    atomic_write_text(request.out, buffer.getvalue())
    return HistoryOutput(stderr=f"exported {count} runs to {request.out}\n")
