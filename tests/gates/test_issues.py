from __future__ import annotations

import json
from pathlib import Path

import pytest

from prepctl.sources.issue_reports.reader import (
    UNRECOGNISED,
    SeverityMap,
    closed_by_status,
    parse_csv,
    parse_json,
    parse_markdown,
    read_markdown,
)
from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE
from tests.support.plans import write_plan

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


# -- issue 11: Markdown read on markdown-it's token stream -------------------------------------------

def _open(text: str) -> dict[str, int]:
    """id -> line of every open item."""
    return {i.id or i.title: i.line for i in parse_markdown(text, "R.md", SeverityMap()) if not i.closed}


def test_items_in_a_tilde_fence_or_an_html_comment_are_not_issues_but_are_counted():
    text = ("# P0\n\n- [x] A-1 fixed\n\n~~~\n- [ ] A-2 example in a fence\n~~~\n\n"
            "<!--\n- [ ] A-3 commented out\n-->\n\n    - [ ] A-4 indented code\n")
    reading = read_markdown(text, "R.md", SeverityMap())
    assert [(i.id, i.closed) for i in reading.items] == [("A-1", True)]
    assert reading.ignored == {"in code": 2, "in comments": 1}


def test_items_under_a_setext_heading_are_read_with_their_line():
    assert _open("Intro\n\nCritical\n========\n\n- [ ] A-1 only open one\n") == {"A-1": 6}
    assert [i.severity for i in parse_markdown("High\n----\n- A-2 x\n", "R.md", SeverityMap())] == ["P1"]


def test_a_table_without_leading_pipes_is_read():
    text = "## P1\n\nID | Title | Status\n-- | ----- | ------\nB-1 | a | Closed\nB-2 | b | Open\n"
    assert _open(text) == {"B-2": 6}


def test_an_escaped_pipe_keeps_the_whole_title():
    (item,) = parse_markdown("## P0\n| ID | Title |\n|--|--|\n| C-1 | a \\| b lost |\n", "R.md", SeverityMap())
    assert item.title == "a | b lost"


def test_metadata_lines_under_an_issue_heading_are_one_issue_not_many():
    """Five issues with Labels/Status/Owner lines read as five, not ten."""
    blocks = []
    for n in range(1, 6):
        blocks.append(f"### {n}. Problem number {n}\n\n**Priority:** P1\n**Labels:** testing, e2e\n"
                      f"**Status:** Open\n**Owner:** team-{n}\n\nDetails.\n\n- [ ] step one\n- [ ] step two\n")
    items = parse_markdown("# Remaining issues\n\n" + "\n".join(blocks), "R.md", SeverityMap())
    assert len(items) == 5 and all(i.severity == "P1" and not i.closed for i in items)
    listed = parse_markdown("## P0\n### X-1 boom\n- Labels: testing, e2e\n- Status: Resolved\n", "R.md", SeverityMap())
    assert [(i.id, i.closed) for i in listed] == [("X-1", True)]


def test_status_column_wins_over_a_checkmark_in_the_title():
    text = "| Priority | ID | Title | Status |\n|--|--|--|--|\n| P0 | D-1 | ✅ looks done | Open |\n"
    assert _open(text) == {"D-1": 3}


def test_a_partly_struck_line_is_open_and_a_wholly_struck_one_closed():
    text = ("## P1\n- ~~dup of PREP-1~~ PREP-10 crash still happens\n- ~~PREP-11 gone~~\n"
            "- ~~PREP-12 gone~~ fixed in 0.9.1\n- ~~dup of PREP-1~~ (PREP-13 still open)\n- [x] PREP-14 checked\n")
    assert _open(text) == {"PREP-10": 2, "PREP-13": 5}


def test_a_title_word_does_not_move_an_item_out_of_its_heading_severity():
    assert _open("## P0\n- [ ] E-1 Low disk alert never fires\n- [ ] E-2 [P2] cosmetic\n") == {"E-1": 2, "E-2": 3}
    assert {i.id: i.severity for i in parse_markdown("## P0\n- E-1 Low disk\n- E-2 [P2] x\n", "R.md",
                                                      SeverityMap())} == {"E-1": "P0", "E-2": "P2"}


def test_json_items_carry_the_line_where_their_object_starts():
    text = json.dumps([{"id": "J-1", "title": "{[ tricky", "priority": "P1"},
                       {"id": "J-2", "title": "b", "priority": "P0"}], indent=2)
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "{"]
    assert [i.line for i in parse_json(text, "r.json", SeverityMap())] == starts
    nested = '{"total": 2,\n "issues": [\n  {"key": "K-1", "fields": {"priority": {"name": "Highest"},\n' \
             '   "status": {"name": "Done", "statusCategory": {"key": "done"}}, "summary": "a"}},\n' \
             '  {"key": "K-2", "fields": {"priority": {"name": "High"}, "status": {"name": "To Do"}}}]}'
    items = parse_json(nested, "r.json", SeverityMap())
    assert [(i.id, i.severity, i.closed, i.line) for i in items] == [("K-1", "P0", True, 3), ("K-2", "P1", False, 5)]


def test_github_export_priority_comes_from_labels_and_pull_requests_are_left_out():
    text = json.dumps([{"number": 7, "title": "a", "state": "OPEN", "labels": [{"name": "bug"}, {"name": "P1"}]},
                       {"number": 8, "title": "pr", "state": "open", "labels": [], "pull_request": {"url": "x"}},
                       {"number": 9, "title": "c", "state": "open", "labels": [{"name": "docs"}]}])
    items = parse_json(text, "r.json", SeverityMap())
    assert [(i.id, i.severity, i.priority_text) for i in items] == [("#7", "P1", None), ("#9", "?", "labels: docs")]


def test_jira_csv_export_with_repeated_label_columns_and_multiline_fields():
    text = ('Summary,Issue key,Priority,Status,Labels,Labels\r\n"multi\nline",PREP-1,Highest,Done,a,b\r\n'
            "second,PREP-2,High,In Progress,,\r\n")
    items = parse_csv(text, "r.csv", SeverityMap())
    assert [(i.id, i.severity, i.closed, i.line) for i in items] == [("PREP-1", "P0", True, 2),
                                                                    ("PREP-2", "P1", False, 4)]


def test_evidence_says_how_many_items_were_read_open_closed_and_ignored(tmp_path: Path):
    (tmp_path / "R.md").write_text("## P1\n- [x] A-1 done\n- [ ] A-2 open\n<!-- - [ ] A-3 hidden -->\n\n"
                                   "```\n- [ ] A-4 example\n```\n", encoding="utf-8")
    code, crit = _gate(tmp_path, tmp_path, "R.md")
    assert code == 1 and "A-2 (R.md:3)" in crit["summary"]
    labels = [e["label"] for e in crit["evidence"]]
    assert "items read: 1 open / 1 closed / 2 ignored (1 in code, 1 in comments)" in labels


def test_a_report_outside_the_root_says_so_and_names_the_root(tmp_path: Path):
    root = tmp_path / "mono"
    root.mkdir()
    (tmp_path / "R.md").write_text("## P0\n- [ ] A-1 x\n", encoding="utf-8")
    code, crit = _gate(tmp_path, root, "../R.md")
    assert code == 2 and "not found" not in crit["summary"]
    assert f"outside the monolith root {root.resolve()}" in crit["summary"] and "plan:" in crit["summary"]


def test_a_report_beside_phases_yaml_is_read_with_the_plan_prefix(tmp_path: Path):
    root = tmp_path / "mono"
    root.mkdir()
    (tmp_path / "REMAINING_ISSUES_REPORT.md").write_text("## P0\n- [ ] A-1 open\n", encoding="utf-8")
    code, crit = _gate(tmp_path, root, '"plan:REMAINING_ISSUES_REPORT.md"')
    assert code == 1 and "A-1 (plan:REMAINING_ISSUES_REPORT.md:2)" in crit["summary"]
    plan = write_plan(tmp_path, CRITERION.format(report='"plan:../elsewhere.md"'), root=str(root))
    result = run_cli("-c", plan, "validate")
    assert result.code == 2 and "may not leave it" in result.stdout + result.stderr


def test_a_report_that_is_a_folder_is_a_clear_error(tmp_path: Path):
    (tmp_path / "reports").mkdir()
    code, crit = _gate(tmp_path, tmp_path, "reports")
    assert code == 2 and crit["summary"] == "report reports is a folder, not a file; name the report file inside it"


def test_items_nested_deeper_than_the_parser_follows_are_an_error_not_lost():
    """markdown-it drops blocks nested past maxNesting; an open P0 inside 500 quotes was silently lost."""
    with pytest.raises(ValueError, match="line 3: nested too deeply"):
        read_markdown("## P0\n\n" + ">" * 500 + " - [ ] Q-1 open\n\n- [x] Q-2 closed\n", "R.md", SeverityMap())
    # Container-only lines and link reference definitions are not lost text.
    reading = read_markdown("## P0\n\n>\n> - [ ] Q-3 open\n-\n\n[ref]: https://example.com\n", "R.md", SeverityMap())
    assert [i.id for i in reading.items] == ["Q-3"]


def test_headings_that_group_or_say_none_are_not_issues():
    text = ("## 🔥 P0 — Drop everything\n\n_None found._\n\n## 🔴 High\n\n### H-1: Timing attack\n\n"
            "**Status:** Open\n\n### H-2: Debug toolbar\n\n**Status:** Fixed\n\n## P2\n\n- None\n")
    items = parse_markdown(text, "R.md", SeverityMap())
    assert [(i.id, i.severity, i.closed) for i in items] == [("H-1", "P1", False), ("H-2", "P1", True)]


def test_bold_and_id_led_paragraphs_with_fields_are_issues():
    text = ("## P1\n\n**Flaky test**\nStatus: open\n\n**Slow rebuild**\n\nStatus: Resolved\n\n"
            "PREP-7 Retry storm\nStatus: Closed\n\nSee PREP-12 for background.\n")
    items = parse_markdown(text, "R.md", SeverityMap())
    assert [(i.title, i.closed, i.line) for i in items] == [("Flaky test", False, 3), ("Slow rebuild", True, 6),
                                                            ("PREP-7 Retry storm", True, 10)]


def test_only_a_plain_resolved_section_closes_its_items():
    text = ("## ✅ Resolved (since last report)\n- R-1 [P0] done\n- [ ] R-2 [P0] unchecked\n"
            "## Fixed in the next release\n- R-3 [P0] crash\n")
    assert _open(text) == {"R-2": 3, "R-3": 5}


def test_csv_separated_by_semicolons_and_gitlab_json():
    items = parse_csv("Summary;Issue key;Priority;Status\r\nA;X-1;High;Open\r\n", "r.csv", SeverityMap())
    assert [(i.id, i.severity, i.closed) for i in items] == [("X-1", "P1", False)]
    gitlab = json.dumps([{"iid": 4, "title": "t", "state": "opened", "labels": ["priority::critical"]}])
    assert [(i.id, i.severity, i.closed) for i in parse_json(gitlab, "r.json", SeverityMap())] == [("#4", "P0", False)]


def test_items_in_details_html_are_read_and_a_numbered_issue_keeps_its_steps():
    text = ("## P1\n\n<details><summary>More</summary>\n- [ ] D-1 crash\n<!-- - [ ] D-2 -->\n</details>\n\n"
            "### 3. Flaky test\n\n- Labels: testing\n\nSteps:\n\n- run it\n- see it fail\n")
    reading = read_markdown(text, "R.md", SeverityMap())
    assert [(i.id or i.title, i.line) for i in reading.items] == [("D-1", 4), ("3. Flaky test", 8)]
    assert reading.ignored == {"in comments": 1}


def test_severity_written_anywhere_raises_never_lowers_and_unplaced_items_are_counted():
    text = ("# Notes\n- [ ] N-1 checkout broken — P0\n- [ ] N-2 cart empty (critical)\n- [ ] N-3 no severity\n\n"
            "| ID | Title | Status |\n|--|--|--|\n| N-4 | x | Open |\n"
            "## P2\n- [ ] N-5 regression of the P0 outage\n- [ ] N-6 Low disk\n"
            "## Sev 1\n- [ ] N-7 ✅ passes locally, not in prod\n")
    reading = read_markdown(text, "R.md", SeverityMap())
    assert [(i.id, i.severity, i.closed) for i in reading.items] == [
        ("N-1", "P0", False), ("N-2", "P0", False), ("N-5", "P0", False), ("N-6", "P2", False),
        ("N-7", "P1", False)]
    assert reading.ignored == {"without a severity": 2}


def test_headers_that_contain_the_column_word_are_recognised():
    text = "| Issue ID | Issue title | Severity level | Current status |\n|--|--|--|--|\n| H-1 | t | High | Closed |\n"
    assert [(i.id, i.severity, i.closed) for i in parse_markdown(text, "R.md", SeverityMap())] == [("H-1", "P1", True)]


def test_dashed_priority_labels_and_jira_custom_field_columns():
    gh = json.dumps([{"number": 1, "title": "a", "state": "open", "labels": ["priority-high", "bug"]}])
    assert [i.severity for i in parse_json(gh, "r.json", SeverityMap())] == ["P1"]
    csv_text = "Summary,Issue key,Custom field (Severity),Status\nx,J-1,Critical,Open\n"
    assert [(i.id, i.severity) for i in parse_csv(csv_text, "r.csv", SeverityMap())] == [("J-1", "P0")]


def test_audit_ids_field_lists_and_count_tables():
    text = ("| Severity | Findings | Remediated |\n|--|--|--|\n| High | 3 | 2 |\n\n## Findings\n\n"
            "### 🔴 P0-1: Session fixation\n\n- **CVSS:** 9.8\n- **Status:** Open\n\n"
            "### BUG-7: Login loop\n\nStatus: Open\n\n## Overview\n\nStatus: Draft\n")
    reading = read_markdown(text, "R.md", SeverityMap())
    assert [(i.id, i.severity, i.closed, i.priority_text) for i in reading.items] == [
        ("P0-1", "P0", False, None), ("BUG-7", "?", False, "(no priority written)")]
    assert reading.ignored == {"summary tables": 1}


def test_an_absolute_report_path_inside_the_root_is_read_and_outside_says_so(tmp_path: Path):
    root = tmp_path / "mono"
    root.mkdir()
    (root / "R.md").write_text("## P0\n- [ ] A-1 x\n", encoding="utf-8")
    (tmp_path / "out.md").write_text("## P0\n- [ ] A-2 x\n", encoding="utf-8")
    code, crit = _gate(tmp_path, root, str(root / "R.md"))
    assert code == 1 and "A-1" in crit["summary"]
    code, crit = _gate(tmp_path, root, str(tmp_path / "out.md"))
    assert code == 2 and f"outside the monolith root {root.resolve()}" in crit["summary"]
    code, crit = _gate(tmp_path, root, "nope.md")
    assert code == 2 and f"report nope.md not found (looked for {root.resolve() / 'nope.md'})" == crit["summary"]


def test_a_reopened_status_is_open():
    text = "| Priority | ID | Status |\n|--|--|--|\n| P1 | R-1 | Closed (reopened 06-10) |\n| P1 | R-2 | ✅ Closed |\n"
    assert _open(text) == {"R-1": 3}


@pytest.mark.parametrize("status", ["Fixed?", "Done?", "Won't fix?", "Done (partially)",
                                    "Fixed in staging, not prod", "Resolved pending deploy",
                                    "Verified fixed? No"])
def test_a_closed_word_in_doubt_is_open(status: str):
    # Held-out false passes: each of these passed as closed because it starts with a closed word.
    text = f"| Priority | ID | Status |\n|--|--|--|\n| P1 | R-1 | {status} |\n"
    assert _open(text) == {"R-1": 3}
    assert closed_by_status(status) is False


@pytest.mark.parametrize("status", ["Closed", "Fixed in 1.2.3", "✅ Done", "Closed: not a bug", "Won't fix"])
def test_a_plain_closed_status_stays_closed(status: str):
    assert closed_by_status(status) is True


def test_struck_through_priority_or_status_in_a_cell_no_longer_holds():
    # Held-out false passes: "~~P2~~ P1" read as P2, "~~Closed~~ Reopened" read as closed.
    text = ("| ID | Priority | Status |\n|---|---|---|\n| R-1 | ~~P2~~ P1 | Open |\n"
            "| R-2 | P1 | ~~Closed~~ Reopened |\n| R-3 | ~~P1~~ P3 | Open |\n| R-4 | P1 | ~~Open~~ Closed |\n")
    items = parse_markdown(text, "R.md", SeverityMap())
    assert [(i.id, i.severity, i.closed) for i in items] == [
        ("R-1", "P1", False), ("R-2", "P1", False), ("R-3", "P3", False), ("R-4", "P1", True)]


def test_a_wholly_struck_priority_is_unknown_not_gone():
    (item,) = parse_markdown("| ID | Priority | Status |\n|---|---|---|\n| R-1 | ~~P1~~ | Open |\n",
                             "R.md", SeverityMap())
    assert (item.severity, item.closed) == (UNRECOGNISED, False)


def test_a_later_open_status_outweighs_an_earlier_closed_one():
    # Held-out false passes: the first Status line won, and "Reopened:" was not a state.
    text = ("## P1\n\n### A-1 Login broken\n\nStatus: Closed\nStatus: Open\n\n"
            "### A-2 Crash\n\n**Status:** Resolved\n**Resolution:** moved to the service\n\n"
            "## P0\n\n- A-3 Data loss\n  - Status: Closed\n  - Reopened: yes, 2024-06-01\n")
    items = parse_markdown(text, "R.md", SeverityMap())
    assert [(i.id, i.closed) for i in items] == [("A-1", False), ("A-2", True), ("A-3", False)]


@pytest.mark.parametrize("heading", ["Done (mostly)", "Resolved?", "Fixed (pending deploy)"])
def test_a_closed_section_in_doubt_closes_nothing(heading: str):
    # Held-out false pass: "## Done (mostly)" closed every item under it.
    (item,) = parse_markdown(f"## {heading}\n\n- A-1 (P1) login broken\n", "R.md", SeverityMap())
    assert not item.closed


def test_a_repeated_csv_status_column_closes_only_when_every_copy_does():
    # Held-out false pass: "Status,Status" with "Closed,Open" took the first copy.
    text = "Issue key,Summary,Priority,Status,Status\nA-1,x,High,Closed,Open\nA-2,y,High,Done,Closed\n"
    assert [(i.id, i.closed) for i in parse_csv(text, "R.csv", SeverityMap())] == [("A-1", False), ("A-2", True)]


def test_a_labels_line_gives_an_issue_heading_its_priority():
    # Held-out false error: `labels: [bug, P1]` under an issue heading left its priority unknown.
    text = "# Open issues\n\n## A-1 Login broken\nlabels: [bug, P1]\nstatus: open\n\n" \
           "## A-2 Typo\nLabels: `docs`, `P3`\nStatus: open\n"
    items = parse_markdown(text, "R.md", SeverityMap())
    assert [(i.id, i.severity, i.closed) for i in items] == [("A-1", "P1", False), ("A-2", "P3", False)]


def test_a_label_never_lowers_the_heading_severity():
    items = parse_markdown("## P0\n\n### A-1 Crash\nLabels: P3\nStatus: open\n", "R.md", SeverityMap())
    assert [(i.id, i.severity) for i in items] == [("A-1", "P0")]


def test_hostile_markdown_is_refused_or_read_in_bounded_time():
    import time

    start = time.monotonic()
    with pytest.raises(ValueError, match="Markdown delimiters"):
        read_markdown("## P0\n- [ ] A-1 " + "[" * 300_000 + "\n", "R.md", SeverityMap())
    (item,) = parse_markdown("## P0\n\n### A-1 crash\n\nStatus: x" + " " * 200_000 + "y\n", "R.md", SeverityMap())
    assert not item.closed and time.monotonic() - start < 20


def test_a_priority_table_inside_an_issue_body_lists_issues():
    text = ("## Issues\n\n### Issue #13: Old banner\n\n**Severity:** Low\n**Status:** ✅\n\n"
            "| Priority | Task | State |\n|---|---|---|\n| 🔴 High | Rotate keys | ❌ |\n")
    items = parse_markdown(text, "R.md", SeverityMap())
    assert [(i.id or i.title, i.severity, i.closed, i.line) for i in items] == [
        ("#13", "P3", True, 3), ("Rotate keys", "P1", False, 10)]
