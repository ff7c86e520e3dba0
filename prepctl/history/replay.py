"""`--from-history`: the recorded gate run a render may reuse instead of evaluating again.

Only a run of the same tree state qualifies: the same phases.yaml (config hash), the same
commit checked out at the monolith's root, and a clean work tree both when the run was recorded
and now. Anything else, including not being in git, is refused (exit 2) rather than guessed: a
document must never show verdicts of a tree it was not rendered from.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from prepctl import workdir
from prepctl.errors import Problem
from prepctl.history.records import HistoryError, Run, config_hash, head_revision, tree_clean
from prepctl.history.store import history_path, read_runs

if TYPE_CHECKING:
    from prepctl.plan.model import LoadedPlan

EVALUATE_NOW = "leave out --from-history to evaluate now"


def replayable_run(plan: LoadedPlan, phase_ids: Collection[str]) -> Run:
    """The newest run recorded on this exact tree state that recorded every criterion of every phase
    in ``phase_ids``."""
    revision = head_revision(plan.root)
    if revision is None:
        raise HistoryError(Problem(file=str(plan.root), message="--from-history: the monolith's root is "
                                   "not in git (or has no commit), so no recorded run can be matched to it",
                                   hint=EVALUATE_NOW))
    clean = tree_clean(plan.root, plan.config_dir, own_state=workdir.state_dir(plan.config_dir))
    if clean is not True:
        raise HistoryError(Problem(file=str(plan.root), message="--from-history: the work tree has "
                                   "uncommitted changes (or git cannot tell), so a recorded run may not "
                                   "match it", hint=f"commit or stash them, or {EVALUATE_NOW}"))
    digest = config_hash(plan.path)
    same = [run for run in read_runs(plan, include_historical=False)
            if run.config_hash == digest and run.revision == revision and run.clean is True]
    if not same:
        raise HistoryError(Problem(file=str(history_path(plan)), message=f"--from-history: no gate run "
                                   f"recorded on a clean tree at {revision[:10]} with this phases.yaml "
                                   f"(config {digest[:8]})",
                                   hint=f"run `prepctl gate --all` first, or {EVALUATE_NOW}"))
    covering = [run for run in same if not gaps(run, plan, phase_ids)]
    if not covering:
        newest = same[-1]
        raise HistoryError(Problem(file=str(history_path(plan)), message=f"--from-history: no gate run of "
                                   f"this tree state covers {', '.join(gaps(newest, plan, phase_ids))} (the "
                                   f"newest, #{newest.uid[:8]}, has {', '.join(p.phase for p in newest.phases)})",
                                   hint=f"run `prepctl gate --all` first, or {EVALUATE_NOW}"))
    return covering[-1]


def gaps(run: Run, plan: LoadedPlan, phase_ids: Collection[str]) -> list[str]:
    """What ``run`` lacks to stand for ``phase_ids``: a phase it did not record ("p1"), or a
    criterion of phases.yaml missing from a phase it did ("p1/db-split"). A run `gate` recorded
    under this config has every one; a gap means an edited import or a damaged store, and such a
    run is never replayed in part."""
    missing = []
    for pid in phase_ids:
        recorded = run.phase(pid)
        if recorded is None:
            missing.append(pid)
            continue
        have = {crit.id for crit in recorded.criteria}
        missing.extend(f"{pid}/{spec.id}" for spec in plan.phase(pid).criteria if spec.id not in have)
    return missing


def describe(run: Run) -> str:
    """The stderr line a --from-history command prints."""
    return (f"using gate run #{run.uid[:8]} of {run.time_text[:19].replace('T', ' ')} UTC at "
            f"{(run.revision or '?')[:10]} (config {run.config_hash[:8]})")
