"""The issues gate on real-shaped issue reports: GitHub and Jira exports, audit reports with emoji
priorities, checklists, tables with and without leading pipes, setext and ATX headings, per-issue
headings with metadata lines, fenced examples and HTML comments.

Each ``<case>.truth.json`` beside its report was written by reading the report, never by running
prepctl: the expected verdict of ``severities: [P0, P1], max_open: 0``, and the open and closed
item counts per severity (``?`` = a priority the severity map does not know). Zero false passes:
a case whose truth is fail or error must never pass.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from prepctl.evaluate import evaluate, make_context
from prepctl.gates.issues import IssuesSpec, read_report
from tests.support.plans import load_plan, write_plan

CASES = Path(__file__).parent / "issue_reports"

CRITERION = """
- id: bugs
  kind: issues
  title: no open P0/P1
  report: {report}
  severities: [P0, P1]
  max_open: 0
"""


@dataclass(frozen=True)
class Truth:
    name: str
    report: str
    verdict: str
    open: dict[str, int]
    closed: dict[str, int]
    ignored: int | None
    why: str

    @classmethod
    def load(cls, path: Path) -> Truth:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path.name.removesuffix(".truth.json"), data["report"], data["verdict"], data["open"],
                   data["closed"], data.get("ignored"), data["why"])


TRUTHS = [Truth.load(p) for p in sorted(CASES.glob("*.truth.json"))]


def test_the_corpus_has_every_shape_the_issue_asks_for():
    suffixes = Counter(Path(t.report).suffix for t in TRUTHS)
    assert len(TRUTHS) >= 12 and suffixes[".md"] >= 8 and suffixes[".json"] >= 3 and suffixes[".csv"] >= 1
    assert {t.verdict for t in TRUTHS} == {"pass", "fail", "error"}
    assert all((CASES / t.report).is_file() for t in TRUTHS)


@pytest.mark.parametrize("truth", TRUTHS, ids=[t.name for t in TRUTHS])
def test_issue_report_case(truth: Truth, tmp_path: Path):
    plan_path = write_plan(tmp_path, CRITERION.format(report=truth.report), root=str(CASES))
    plan = load_plan(plan_path)
    (result,) = evaluate(plan, ["p"]).phases[0].criteria
    status = result.status.value
    assert status != "pass" or truth.verdict == "pass", f"false pass: {result.verdict.summary} ({truth.why})"
    assert status == truth.verdict, f"{result.verdict.summary} ({truth.why})"

    spec = plan.phase("p").criteria[0]
    assert isinstance(spec, IssuesSpec)
    reading = read_report(make_context(plan), spec)
    opened = Counter(i.severity for i in reading.items if not i.closed)
    closed = Counter(i.severity for i in reading.items if i.closed)
    assert (dict(opened), dict(closed)) == (truth.open, truth.closed), \
        [(i.line, i.severity, i.closed, i.title) for i in reading.items]
    if truth.ignored is not None:
        assert sum(reading.ignored.values()) == truth.ignored, reading.ignored
    if truth.verdict != "error":
        # The evidence says what was read, so a reader can see that nothing vanished.
        labels = [e.label for e in result.verdict.evidence]
        total_open, total = sum(truth.open.values()), sum(truth.open.values()) + sum(truth.closed.values())
        assert any(label.startswith(f"items read: {total_open} open / {total - total_open} closed /")
                   for label in labels), labels
