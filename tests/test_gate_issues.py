from __future__ import annotations

import json
from pathlib import Path

from prepctl.sources.issue_reports import SeverityMap, parse_markdown
from tests.conftest import EXAMPLE, run_cli, write_plan

CRITERION = """
- id: bugs
  kind: issues
  title: no open P0/P1
  report: {report}
  severities: [P0, P1]
  max_open: 0
"""


def _gate(tmp_path: Path, root: Path, report: str = "REMAINING_ISSUES_REPORT.md", extra: str = ""):
    plan = write_plan(tmp_path, CRITERION.format(report=report) + extra, root=str(root))
    result = run_cli("-c", plan, "gate", "p", "--format", "json")
    assert "Traceback" not in result.stderr
    return result.code, json.loads(result.stdout)["criteria"][0]


def test_example_report_fails_on_the_one_open_p1_with_file_line(tmp_path: Path):
    code, crit = _gate(tmp_path, EXAMPLE)
    lines = (EXAMPLE / "REMAINING_ISSUES_REPORT.md").read_text().splitlines()
    line = next(n for n, t in enumerate(lines, 1) if "PREP-412" in t)
    assert code == 1 and crit["status"] == "fail"
    assert f"PREP-412 (REMAINING_ISSUES_REPORT.md:{line})" in crit["summary"]
    opened = [e for e in crit["evidence"] if e["label"].startswith("open ")]
    assert len(opened) == 1 and opened[0]["line"] == line


def test_every_closed_marker_is_recognised():
    text = """# Report
## P1 High
- [x] A-1 checked
- ~~A-2 struck~~
- A-3 done ✅
- A-4 thing Status: Resolved
- [ ] A-5 still open
## Severity table
| Severity | ID | Title | Status |
|---|---|---|---|
| Sev-1 | B-1 | one | Closed |
| 🔴 High | B-2 | two | In progress |
## P0 Critical
### C-1 Crash on boot
Status: Resolved
### C-2 Data loss
Status: Open
"""
    items = {i.id: i for i in parse_markdown(text, "R.md", SeverityMap())}
    assert {k for k, v in items.items() if not v.closed} == {"A-5", "B-2", "C-2"}
    assert items["B-1"].severity == "P1" and items["B-2"].severity == "P1"
    assert items["C-2"].severity == "P0" and items["C-2"].line == 16


def test_custom_severity_map(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "bugs.md").write_text("## Blocker bugs\n- [ ] X-1 open blocker\n## Nice to have\n- [ ] X-2 meh\n")
    extra = "  severity_map: {P0: [Blocker], P1: [Urgent], P2: [Nice to have]}\n"
    code, crit = _gate(tmp_path, root, "bugs.md", extra)
    assert code == 1 and "X-1" in crit["summary"] and "X-2" not in crit["summary"]


def test_json_report(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "bugs.json").write_text(json.dumps([
        {"id": "J-1", "title": "a", "priority": "P1", "status": "closed"},
        {"id": "J-2", "title": "b", "priority": "P2", "status": "open"},
    ]))
    code, crit = _gate(tmp_path, root, "bugs.json")
    assert code == 0 and crit["status"] == "pass" and "1 closed" in crit["summary"]
    (root / "bugs.json").write_text(json.dumps([{"id": "J-3", "title": "c", "priority": "Sev-0"}]))
    code, crit = _gate(tmp_path, root, "bugs.json")
    assert code == 1 and "J-3" in crit["summary"]


def test_missing_unreadable_or_unrecognised_report_is_error(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    code, crit = _gate(tmp_path, root, "nope.md")
    assert code == 2 and crit["status"] == "error" and "not found" in crit["summary"]
    (root / "empty.md").write_text("# Nothing to see\n\njust prose\n")
    code, crit = _gate(tmp_path, root, "empty.md")
    assert code == 2 and "no issues of any severity recognised" in crit["summary"]
    (root / "bad.json").write_text("{not json")
    code, crit = _gate(tmp_path, root, "bad.json")
    assert code == 2 and crit["status"] == "error"


def test_max_open_tolerates_up_to_n(tmp_path: Path):
    plan = write_plan(tmp_path, CRITERION.format(report="REMAINING_ISSUES_REPORT.md").replace(
        "max_open: 0", "max_open: 1"), root=str(EXAMPLE))
    result = run_cli("-c", plan, "gate", "p", "--format", "json")
    assert result.code == 0 and json.loads(result.stdout)["status"] == "pass"


def test_an_open_item_with_an_unknown_priority_keeps_the_gate_from_passing(tmp_path: Path):
    """A priority no word of severity_map names could be a P0: an open one is `error`, not a pass.
    Jira's Highest/Lowest and Linear's Urgent are mapped by default."""
    (tmp_path / "R.md").write_text("""# Bugs
| Priority | ID | Title | Status |
|---|---|---|---|
| Highest | J-1 | payments double charge | Done |
| Whenever | J-2 | typo in footer | Open |
| Someday | J-3 | old thing | Closed |
| Low | J-4 | slow export | Open |
""", encoding="utf-8")
    code, crit = _gate(tmp_path, tmp_path, "R.md")
    assert code == 2 and crit["status"] == "error"
    assert crit["summary"].startswith("1 open item(s) with a priority severity_map does not know ('Whenever')")
    assert "J-2 (R.md:5)" in crit["summary"] and "map those words in severity_map" in crit["summary"]
    (flagged,) = [e for e in crit["evidence"] if "not in severity_map" in e["label"]]
    assert (flagged["line"], flagged["value"]) == (5, "Whenever")
    # Mapped, the same report passes: J-1 (Highest = P0) is done, J-2 is now a P3.
    code, crit = _gate(tmp_path, tmp_path, "R.md", extra="  severity_map: {P0: [Highest], P1: [High], "
                       "P2: [Medium], P3: [Low, Whenever]}\n")
    assert code == 0 and crit["status"] == "pass" and crit["summary"] == "0 open P0/P1 (max 0); 1 closed"
    # An open Urgent item fails like any P0.
    (tmp_path / "R.md").write_text("| Priority | ID | Title | Status |\n|---|---|---|---|\n"
                                   "| Urgent | L-9 | outage | Todo |\n", encoding="utf-8")
    code, crit = _gate(tmp_path, tmp_path, "R.md")
    assert code == 1 and "L-9 (R.md:3)" in crit["summary"]


def test_json_report_items_with_unknown_or_missing_priority(tmp_path: Path):
    (tmp_path / "r.json").write_text(json.dumps([
        {"id": "X-1", "title": "a", "priority": "Lowest", "status": "open"},
        {"id": "X-2", "title": "b", "priority": None, "status": "open"},
    ]), encoding="utf-8")
    code, crit = _gate(tmp_path, tmp_path, "r.json")
    assert code == 2 and "('None')" in crit["summary"] and "X-2" in crit["summary"]
