"""`prepctl history`'s listing: one line per recorded run and phase."""

from __future__ import annotations

from prepctl.history.records import RecordedPhase, Run

# ---------------------------------------------------------------- listing


def _counts(phase: RecordedPhase) -> str:
    counts: dict[str, int] = {}
    for crit in phase.criteria:
        counts[crit.status.value] = counts.get(crit.status.value, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def runs_table(runs: list[Run], phase: str | None = None) -> str:
    """One line per run (and phase), newest last, for `prepctl history`."""
    if not runs:
        return "no gate runs recorded" + (f" for {phase}" if phase else "") + "\n"
    lines = [f"{'TIME (UTC)':<19}  {'RUN':<8}  {'REVISION':<10}  {'CONFIG':<8}  PHASE     STATUS  CRITERIA"]
    for run in runs:
        shown = [p for p in run.phases if phase is None or p.phase == phase]
        for recorded in shown:
            revision = (run.revision or "-")[:10] + (" (--at)" if run.historical else "")
            lines.append(f"{run.time_text[:19].replace('T', ' '):<19}  {run.uid[:8]:<8}  {revision:<10}  "
                         f"{run.config_hash[:8]:<8}  {recorded.phase:<8}  {recorded.status.value:<6}  "
                         f"{_counts(recorded)}")
    return "\n".join(lines) + "\n"
