"""What an `imports` verdict's evidence says item by item: its own status, baselined or not, the
violation count as a metric, and cuts that never hide a blocking item."""

from __future__ import annotations

from prepctl.graph.check import MAX_EVIDENCE, ContractOutcome
from prepctl.graph.contracts import ContractResult, Violation
from prepctl.graph.model import Hop
from prepctl.graph.scan.model import SKIPPED, ScanProblem
from prepctl.verdicts import Status


def _violation(n: int) -> Violation:
    module = f"pkg.a.m{n}"
    return Violation(f"{module} -> pkg.db", f"{module} imports pkg.db (forbidden)",
                     (Hop(module, "pkg.db", f"pkg/a/m{n}.py", 1),))


def _outcome(new: int, known: int, fixed: int = 0, problems: int = 0, blocking: int = 0) -> ContractOutcome:
    violations = [_violation(n) for n in range(new + known)]
    skipped = [ScanProblem(f"pkg/c/s{n}.py", 1, "syntax error", SKIPPED, f"pkg.c.s{n}")
               for n in range(problems + blocking)]
    return ContractOutcome("p/c", "forbidden", ContractResult(violations, "pkg.a must not import pkg.db"),
                           new=violations[:new], known=violations[new:],
                           fixed=[f"gone{n} -> pkg.db" for n in range(fixed)],
                           problems=skipped, blocking=skipped[problems:])


def test_each_item_carries_its_own_status_and_baselined_ones_are_marked():
    verdict = _outcome(new=1, known=2, problems=1, blocking=1).verdict()
    assert verdict.status is Status.FAIL
    by_label = {e.label.split(":")[0].split(" pkg")[0]: e for e in verdict.evidence}
    assert (by_label["NEW"].status, by_label["NEW"].baselined, by_label["NEW"].location) == (
        Status.FAIL, False, "pkg/a/m0.py:1")
    baselined = [e for e in verdict.evidence if e.baselined]
    assert [(e.status, e.location) for e in baselined] == [(Status.WARN, "pkg/a/m1.py:1"),
                                                          (Status.WARN, "pkg/a/m2.py:1")]
    assert by_label["skipped in scope (imports unknown)"].status is Status.ERROR
    assert by_label["scan problem"].status is Status.WARN
    assert by_label["NEW"].to_dict()["status"] == "fail" and "baselined" not in by_label["NEW"].to_dict()
    assert baselined[0].to_dict()["baselined"] is True


def test_the_violation_count_is_the_metric_with_the_baseline_as_threshold():
    last = _outcome(new=1, known=3, fixed=2).verdict().evidence[-1]
    assert last.metric is not None
    assert (last.metric.name, last.metric.value, last.metric.threshold, last.metric.direction) == (
        "violations", 4, 5, "lower")
    kept = _outcome(new=0, known=0).verdict()
    assert kept.status is Status.PASS and kept.evidence[-1].metric.value == 0


def test_many_baselined_items_never_crowd_out_a_new_one():
    evidence = _outcome(new=1, known=MAX_EVIDENCE + 30).evidence()
    assert evidence[0].status is Status.FAIL and evidence[0].label.startswith("NEW ")
    marker = evidence[-2]
    assert marker.value == 30 and "(30 baselined)" in marker.label
    assert sum(1 for e in evidence if e.baselined) == MAX_EVIDENCE


def test_too_many_new_violations_leave_a_failing_marker_not_silence():
    evidence = _outcome(new=MAX_EVIDENCE + 5, known=0).evidence()
    new = [e for e in evidence if e.label.startswith("NEW ")]
    assert len(new) == MAX_EVIDENCE
    [marker] = [e for e in evidence if e.label.startswith("... 5 more new")]
    assert marker.status is Status.FAIL and marker.value == 5
