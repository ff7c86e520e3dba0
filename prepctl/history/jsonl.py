"""Gate history as JSON Lines: ``history export`` / ``history import`` move runs between machines,
because CI runners are ephemeral and the history is only useful if it accumulates somewhere.
Runs have a random uid so importing the same export twice adds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prepctl.errors import Problem
from prepctl.history.records import (
    EXPORT_FORMAT,
    HistoryError,
    RecordedCriterion,
    RecordedPhase,
    Run,
    format_time,
    parse_time,
    redacted_value,
    storable,
)
from prepctl.history.store import open_history
from prepctl.verdicts import Status, overall_status, phase_status

if TYPE_CHECKING:
    from prepctl.plan.model import LoadedPlan

# ---------------------------------------------------------------- export / import


class _EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    label: str


class _CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    title: str
    advisory: bool = False
    status: Status
    summary: str
    evidence: list[_EvidenceIn] = Field(default_factory=list)
    seconds: float = 0.0


class _PhaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phase: str
    title: str
    status: Status
    criteria: list[_CriterionIn] = Field(default_factory=list)


class _RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str
    uid: str = Field(pattern=r"^[0-9a-f]{32}$")
    time: str
    status: Status
    revision: str | None = None
    config_hash: str
    plan_name: str
    strict: bool = False
    historical: bool = False
    clean: bool | None = None
    phases: list[_PhaseIn]


def run_to_json(run: Run) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT, "uid": run.uid, "time": run.time_text, "status": run.status.value,
        "revision": run.revision, "config_hash": run.config_hash, "plan_name": run.plan_name,
        "strict": run.strict, "historical": run.historical, "clean": run.clean,
        "phases": [{"phase": p.phase, "title": p.title, "status": p.status.value,
                    "criteria": [{"id": c.id, "kind": c.kind, "title": c.title, "advisory": c.advisory,
                                  "status": c.status.value, "summary": c.summary,
                                  "evidence": list(c.evidence), "seconds": c.seconds}
                                 for c in p.criteria]}
                   for p in run.phases],
    }


def export_jsonl(runs: Iterable[Run], out: TextIO) -> int:
    count = 0
    for run in runs:
        out.write(json.dumps(run_to_json(run), sort_keys=True, ensure_ascii=False) + "\n")
        count += 1
    return count


#: How far ahead of this machine's clock an imported run may be stamped (clock skew between hosts).
IMPORT_CLOCK_SKEW = timedelta(minutes=5)


def _check_consistent(data: _RunIn, moment: datetime, file: str, line: int) -> None:
    """Refuse a record no gate run could have written: one stamped in the future (it would stay the
    latest run for good) or whose phase and run statuses disagree with its criteria (a `pass`
    written over a failing criterion)."""
    now = datetime.now(UTC)
    if moment > now + IMPORT_CLOCK_SKEW:
        raise HistoryError(Problem(file=file, line=line, message=f"time {data.time} is in the future "
                                   f"(this machine's clock says {format_time(now)})",
                                   hint="import only what `prepctl history export` wrote; fix the clock "
                                   "of the machine that recorded it"))
    for phase in data.phases:
        expected = phase_status(phase.criteria, data.strict)
        if phase.status is not expected:
            raise HistoryError(Problem(file=file, line=line, message=f"phase {phase.phase} is recorded as "
                                       f"{phase.status.value}, but its criteria roll up to {expected.value}",
                                       hint="the record was edited; import only what `prepctl history "
                                       "export` wrote"))
    expected = overall_status(phase.status for phase in data.phases)
    if data.status is not expected:
        raise HistoryError(Problem(file=file, line=line, message=f"the run is recorded as {data.status.value}, "
                                   f"but its phases roll up to {expected.value}",
                                   hint="the record was edited; import only what `prepctl history export` "
                                   "wrote"))


def parse_jsonl(text: str, file: str) -> list[Run]:
    """Every run in an export, or a HistoryError naming the first bad line (nothing is imported)."""
    runs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = _RunIn.model_validate_json(line)
            if data.format != EXPORT_FORMAT:
                raise ValueError(f"format '{data.format}' is not {EXPORT_FORMAT}")
            moment = parse_time(data.time)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise HistoryError(Problem(file=file, line=number, message=f"{where}: {first['msg']}",
                                       hint="expected one run per line, as `prepctl history export` "
                                       "writes")) from None
        except ValueError as exc:
            raise HistoryError(Problem(file=file, line=number, message=str(exc))) from None
        _check_consistent(data, moment, file, number)
        runs.append(Run(
            uid=data.uid, time=moment, status=data.status, revision=data.revision,
            config_hash=data.config_hash, plan_name=data.plan_name, strict=data.strict,
            historical=data.historical, clean=data.clean,
            phases=tuple(RecordedPhase(
                phase=p.phase, title=storable(p.title), status=p.status,
                criteria=tuple(RecordedCriterion(
                    id=c.id, kind=c.kind, title=storable(c.title), advisory=c.advisory, status=c.status,
                    summary=storable(c.summary), evidence=tuple(redacted_value(e.model_dump()) for e in c.evidence),
                    seconds=c.seconds) for c in p.criteria))
                for p in data.phases)))
    return runs


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_present: int


def import_jsonl(plan: LoadedPlan, file: Path) -> ImportResult:
    from prepctl.fileio import read_input_text

    text = read_input_text(file, missing_hint="pass a file written by `prepctl history export`",
                           error=HistoryError)
    runs = parse_jsonl(text, str(file))
    added = 0
    with open_history(plan) as store:
        for run in runs:
            added += store.add(run)
    return ImportResult(added=added, already_present=len(runs) - added)
