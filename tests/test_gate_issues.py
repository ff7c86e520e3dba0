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
