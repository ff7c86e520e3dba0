"""The numbers `graph trend` computes: one point per commit, and what the run cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total); stages: "history", "parse", "count"."""


@dataclass(frozen=True)
class TrendPoint:
    """The numbers of one commit."""

    commit: str
    date: datetime
    subject: str
    exists: bool
    direct: int
    transitive: int
    skipped_files: int
    #: Paths of the files skipped at this commit, with the scanner's reason.
    skipped: tuple[tuple[str, str], ...] = ()
    #: Importers (direct or transitive) per configured downstream group, when asked for.
    groups: dict[str, int] | None = None
    #: Violations per plan contract, when asked for; None for a contract that could not be
    #: checked at this commit (e.g. its modules did not exist yet, or a skipped file in its scope
    #: that it does not tolerate hides imports).
    violations: dict[str, int | None] | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "commit": self.commit,
            "date": self.date.isoformat(),
            "subject": self.subject,
            "exists": self.exists,
            "direct": self.direct,
            "transitive": self.transitive,
            "skipped_files": self.skipped_files,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
        }
        if self.groups is not None:
            out["groups"] = dict(self.groups)
        if self.violations is not None:
            out["violations"] = dict(self.violations)
        return out


@dataclass
class TrendStats:
    """What the run cost: reported by the benchmark and by `--verbose`."""

    commits: int = 0
    unique_trees: int = 0
    files_seen: int = 0
    blobs_parsed: int = 0
    blobs_from_cache: int = 0
    files_resolved: int = 0


@dataclass
class TrendResult:
    target: str
    points: list[TrendPoint]
    stats: TrendStats = field(default_factory=TrendStats)

    def rises(self) -> list[int]:
        """Indexes of points where a count went up since the previous commit where MODULE existed."""
        out: list[int] = []
        previous: TrendPoint | None = None
        for index, point in enumerate(self.points):
            if not point.exists:
                continue
            if previous is not None and (point.direct > previous.direct
                                         or point.transitive > previous.transitive):
                out.append(index)
            previous = point
        return out

