"""Gate history records: a run, its phases and criteria as recorded (redacted), and building one
from a gate report (with the tree state it looked at: revision, and whether the work tree was clean)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prepctl import workdir
from prepctl.errors import PrepctlError
from prepctl.secrets import redact
from prepctl.verdicts import Status

if TYPE_CHECKING:
    from prepctl.plan.model import LoadedPlan
    from prepctl.verdicts import GateReport

HISTORY_FILE = "history.sqlite3"
SCHEMA_VERSION = 2  # 2: runs.clean
EXPORT_FORMAT = "prepctl-history/1"
#: Set to 1 to run `prepctl gate` without recording (e.g. throwaway experiments).
DISABLE_ENV = "PREPCTL_NO_HISTORY"
BUSY_TIMEOUT_MS = 30_000


class HistoryError(PrepctlError):
    """The history store cannot be read or written."""


# ---------------------------------------------------------------- the records


@dataclass(frozen=True)
class RecordedCriterion:
    id: str
    kind: str
    title: str
    advisory: bool
    status: Status
    summary: str
    evidence: tuple[dict[str, Any], ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class RecordedPhase:
    phase: str
    title: str
    status: Status
    criteria: tuple[RecordedCriterion, ...] = ()


@dataclass(frozen=True)
class Run:
    uid: str
    time: datetime
    status: Status
    revision: str | None
    config_hash: str
    plan_name: str
    strict: bool = False
    #: True for `gate --at REV`: an evaluation of the past, not an observation made at `time`.
    historical: bool = False
    #: Whether the work tree had no uncommitted change (tracked or untracked) when the run looked
    #: at it; None when not known (outside git, `--at` runs, runs recorded before prepctl kept it).
    clean: bool | None = None
    phases: tuple[RecordedPhase, ...] = field(default=())

    @property
    def time_text(self) -> str:
        return format_time(self.time)

    def phase(self, phase_id: str) -> RecordedPhase | None:
        return next((p for p in self.phases if p.phase == phase_id), None)


_LABEL_TIME = re.compile(r" at \d{4}-\d{2}-\d{2}T\S*")  # an `slo` label's " at 2026-01-06T09:00:00Z"


def with_legacy_metrics(kind: str, evidence: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Recorded evidence, with the metric implied in runs recorded before evidence carried one:
    they kept the `slo` gate's measured series only as a numeric ``value``. Read back with that
    metric, their charts and post-mortem tables stay as they were."""
    def upgraded(item: dict[str, Any]) -> dict[str, Any]:
        value = item.get("value")
        if kind != "slo" or "metric" in item or not isinstance(value, int | float) or isinstance(value, bool):
            return item
        name = _LABEL_TIME.sub("", str(item.get("label", "")))
        return {**item, "metric": {"name": name, "value": value, "objective": item.get("expected")}}
    return tuple(upgraded(item) for item in evidence)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time '{text}' has no time zone")
    return moment.astimezone(UTC)


# ---------------------------------------------------------------- building a run


def config_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(folder: Path, *args: str) -> str | None:
    """``git -C FOLDER ARGS``'s output, or None when git fails or is missing. A plain process, not
    GitPython: importing GitPython costs ~0.1 s of CPU, a tenth of a `status --from-history`."""
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, check=False, encoding="utf-8", errors="surrogateescape")
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def head_revision(root: Path) -> str | None:
    """The commit checked out at the monolith's root, or None outside git (or before a commit)."""
    out = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if out is None or not out.strip():
        return None
    return out.strip()


def tree_clean(*folders: Path, own_state: Path | None = None) -> bool | None:
    """Whether the git work trees holding ``folders`` have no uncommitted change, tracked or
    untracked (ignored files, such as ``.prepctl/`` where a .gitignore says so, do not count);
    None when a folder is not in git or git cannot tell. ``own_state``: prepctl's own state folder
    (the ``.prepctl`` beside phases.yaml), which never counts either: the gate history written
    there by the run before is not part of the tree a run looks at, and without a .gitignore
    entry it would make every tree dirty. ``--from-history`` trusts a recorded run only for a
    clean tree."""
    clean, seen = True, set()
    for folder in folders:
        top = _git(folder, "rev-parse", "--show-toplevel")
        if not top or not top.strip():
            return None  # not in git (or a bare repository): cannot tell
        work_tree = Path(top.strip())
        if work_tree in seen:
            continue  # the plan's folder in the monolith's repository: one `git status`
        seen.add(work_tree)
        changes = _changes(work_tree, own_state)
        if changes is None:
            return None
        clean = clean and not changes
    return clean


def _changes(work_tree: Path, own_state: Path | None) -> list[str] | None:
    """The paths `git status` reports as changed or untracked, but for those in ``own_state``;
    None when git cannot tell."""
    out = _git(work_tree, "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--ignore-submodules=none")
    if out is None:
        return None
    paths, skip = [], False
    for entry in (entry for entry in out.split("\0") if entry):
        if skip:  # the source path of a rename or copy: the entry before it already counts
            skip = False
            continue
        if "R" in entry[:2] or "C" in entry[:2]:
            skip = True
        paths.append(entry[3:])
    if own_state is None:
        return paths
    try:
        state = Path(own_state).resolve().relative_to(work_tree.resolve()).as_posix()
    except ValueError:  # the state folder is outside this repository: nothing of it is listed
        return paths
    return [path for path in paths if path.rstrip("/") != state and not path.startswith(state + "/")]


#: SQLite text is UTF-8, which has no lone surrogates (a command's output can carry one): the
#: record keeps U+FFFD in their place rather than being lost whole.
_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    return _SURROGATES.sub("\ufffd", redact(text))


def redacted_value(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {str(k): redacted_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted_value(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return storable(str(value))


def remember_plan_tokens(plan: LoadedPlan) -> None:
    """Load every token the plan names (``token_env``) so ``redact`` knows it.

    ``load_plan`` has done this already; a plan built in code (an API user, a test) has not, and
    history keeps evidence for years, so recording makes sure.
    """
    from prepctl.secrets import secret_env_refs, secret_from_env

    for _path, name in secret_env_refs(plan.model.model_dump(mode="python")):
        secret_from_env(name)


def run_from_report(plan: LoadedPlan, report: GateReport, now: datetime | None = None) -> Run:
    remember_plan_tokens(plan)
    historical = report.revision is not None
    phases = tuple(
        RecordedPhase(
            phase=p.phase, title=storable(p.title), status=p.status,
            criteria=tuple(RecordedCriterion(
                id=c.id, kind=c.kind, title=storable(c.title), advisory=c.advisory, status=c.status,
                summary=storable(c.verdict.summary),
                evidence=tuple(redacted_value(e.to_dict()) for e in c.verdict.evidence),
                seconds=c.seconds) for c in p.criteria))
        for p in report.phases)
    return Run(uid=uuid.uuid4().hex, time=(now or datetime.now(UTC)).astimezone(UTC),
               status=report.status,
               revision=report.revision if historical else head_revision(plan.root),
               config_hash=config_hash(plan.path), plan_name=plan.model.name, strict=report.strict,
               historical=historical, phases=phases,
               clean=None if historical else tree_clean(plan.root, plan.config_dir,
                                                        own_state=workdir.state_dir(plan.config_dir)))
