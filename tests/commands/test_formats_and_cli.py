from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.paths import PHASES, REPO
from tests.support.plans import write_plan

CRITERIA = """
- id: present
  kind: paths
  title: a exists
  exists: [a.txt]
- id: gone
  kind: paths
  title: b is gone
  absent: [sub/b.py]
- id: bugs
  kind: issues
  title: no open P1
  report: missing.md
"""


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.py").write_text("print('never run')\n")
    write_plan(tmp_path, CRITERIA, root="root")
    return tmp_path / "phases.yaml"


def test_json_schema_of_output(tmp_path: Path):
    result = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "json")
    report = json.loads(result.stdout)
    assert result.code == 1  # fail outranks error
    assert report["schema_version"] == 1 and report["phase"] == "p" and report["status"] == "fail"
    assert [c["status"] for c in report["criteria"]] == ["pass", "fail", "error"]
    for crit in report["criteria"]:
        assert {"id", "kind", "status", "summary", "evidence"} <= set(crit)


def test_table_has_no_colour_when_not_a_terminal(tmp_path: Path):
    result = run_cli("-c", _tree(tmp_path), "gate", "p")
    assert "\x1b[" not in result.stdout
    assert "still present: sub/b.py" in result.stdout and "overall: FAIL" in result.stdout


def test_markdown_format(tmp_path: Path):
    out = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "markdown").stdout
    assert out.startswith("# prepctl gate: **FAIL**")
    assert "| ❌ fail | `gone` b is gone | paths |" in out


def test_junit_format_counts(tmp_path: Path):
    out = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "junit").stdout
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "3"
    assert suite.get("failures") == "1" and suite.get("errors") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and "sub/b.py" in (failure.text or "")


def test_github_format_annotations_and_step_summary(tmp_path: Path):
    plan = _tree(tmp_path)
    summary = tmp_path / "summary.md"
    summary.write_text("existing\n")
    result = run_cli("-c", plan, "gate", "p", "--format", "github", cwd=tmp_path,
                     env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path)})
    assert "::error title=p/gone fail::" in result.stdout or "::error file=" in result.stdout
    assert "::error title=p/bugs error::" in result.stdout
    text = summary.read_text()
    assert text.startswith("existing\n") and "# prepctl gate: **FAIL**" in text


def test_github_annotation_carries_file_and_line(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "R.md").write_text("## P1\n- [ ] X-1 open\n")
    plan = write_plan(tmp_path, "- {id: b, kind: issues, title: t, report: R.md}", root="root")
    result = run_cli("-c", plan, "gate", "p", "--format", "github", cwd=tmp_path,
                     env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert "::error file=root/R.md,line=2,title=p/b fail::" in result.stdout


def test_out_file_written(tmp_path: Path):
    out = tmp_path / "reports" / "gate.json"
    result = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "json", "--out", out)
    assert json.loads(out.read_text()) == json.loads(result.stdout)


def test_root_override_checks_another_checkout(tmp_path: Path):
    plan = _tree(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("a")
    (other / "missing.md").write_text("## P1\n- [x] X-1 closed\n")
    result = run_cli("-c", plan, "--root", other, "gate", "p", "--format", "json")
    report = json.loads(result.stdout)
    assert result.code == 0 and report["root"] == str(other.resolve())


def test_unknown_phase_and_missing_argument_exit_2(tmp_path: Path):
    plan = _tree(tmp_path)
    result = run_cli("-c", plan, "gate", "q")
    assert result.code == 2 and "unknown phase 'q'" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("-c", plan, "gate")
    assert result.code == 2 and "--all" in result.stderr


def test_strict_turns_warn_into_fail():
    from prepctl.verdicts import CriterionResult, Status, Verdict, phase_status

    warn = CriterionResult("w", "paths", "t", False, Verdict.of(Status.WARN, "meh"))
    ok = CriterionResult("o", "paths", "t", False, Verdict.of(Status.PASS, "ok"))
    assert phase_status([warn, ok]) is Status.WARN
    assert phase_status([warn, ok], strict=True) is Status.FAIL
    assert phase_status([]) is Status.ERROR


def test_crashing_gate_becomes_error_verdict(tmp_path: Path, monkeypatch):
    from prepctl.evaluate import evaluate
    from prepctl.gates.paths import PathsGate
    from tests.support.plans import load_plan

    def boom(self, spec, phase, ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(PathsGate, "check", boom)
    report = evaluate(load_plan(_tree(tmp_path)), ["p"])
    assert [c.status.value for c in report.phases[0].criteria][:2] == ["error", "error"]
    assert "disk on fire" in report.phases[0].criteria[0].verdict.summary


def test_help_lists_exit_codes_and_imports_nothing_heavy():
    result = run_cli("--help")
    assert result.code == 0 and "1 fail, 2 error" in result.stdout
    probe = ("import sys, prepctl.cli; heavy = {'networkx', 'httpx', 'jinja2', 'git', 'pydot', 'jsonschema'}"
             "; print(sorted(heavy & set(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert loaded.stdout.strip() == "[]"


def test_status_json(tmp_path: Path):
    result = run_cli("-c", _tree(tmp_path), "status", "--format", "json")
    rows = json.loads(result.stdout)["phases"]
    assert rows[0]["phase"] == "p" and rows[0]["state"] == "failing"


def test_an_error_about_no_file_is_printed_once_prefixed():
    result = run_cli("-c", PHASES, "status", "--format", "xml", env={"PREPCTL_NO_HISTORY": "1"})
    assert result.code == 2
    assert result.stderr == "prepctl: status supports --format one of json or table, not 'xml'\n"


# ---------------------------------------------------------------- inert output
# The full payload × output matrix runs as subprocesses in tests/faults/test_injection_outputs.py;
# these pin the sanitisers' rules in-process.


def test_inert_strips_escape_sequences_and_controls_but_keeps_newlines_and_tabs():
    from prepctl.inert import inert

    text = ("a\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c\x1b[31md\x1b[0m\x9b2Je\x1bP+q\x1b\\f\x07\x00\tg\nh"
            "\x1b]unterminated\u202eX")
    assert inert(text) == "abcde" + "f\tg\nhunterminatedX"


def test_inert_breaks_workflow_commands_at_every_kind_of_line_start():
    from prepctl.inert import ZWSP, inert

    text = "::error::a\n  ::add-mask::b\r::warning::c\u2028::notice::d\nsection_start:1:x\nx ##[error]y ##vso[task]z"
    out = inert(text)
    for line in out.splitlines():
        assert not line.lstrip().startswith(("::", "section_start:")), line
    assert "##[" not in out and "##vso[" not in out and f"#{ZWSP}#[error]" in out
    assert inert(out) == out  # idempotent: formats and templates may both apply it
    assert inert("a::b ::c") == "a::b ::c"  # mid-line :: is no command and stays as written


def test_markdown_inline_escapes_html_and_structure():
    from prepctl.inert import markdown_inline

    out = markdown_inline("</details><script>x</script> a|b `c` [l](u) \\ &amp;\nnext")
    assert out == ("&lt;/details&gt;&lt;script&gt;x&lt;/script&gt; a\\|b \\`c\\` \\[l\\](u) \\\\ &amp;amp; next")


def test_markdown_code_cannot_be_closed_from_inside():
    from prepctl.inert import markdown_code_block, markdown_code_span

    span = markdown_code_span("a `` b")
    assert span.startswith("```") and span.endswith("```")
    block = markdown_code_block("x\n````\n<script>")
    assert block.startswith("`````\n") and block.endswith("\n`````") and "<script" not in block
    assert markdown_code_span("a|b", in_table=True) == "`a\\|b`"


def test_json_escapes_what_a_terminal_would_act_on_and_round_trips():
    from prepctl.formats.json import JsonFormat

    class Row:
        def to_dict(self) -> dict:
            return {"title": "x\x9b2J\ud800\u2028\u202e\x1b]0;t\x07 \\##vso[task.x]1 ##[error]"}

    text = JsonFormat().render_status([Row()])  # type: ignore[list-item]
    assert not any(ch in text for ch in "\x9b\ud800\u2028\u202e\x1b\x07")
    assert "##vso[" not in text and "##[" not in text
    assert json.loads(text)["phases"][0]["title"] == "x\x9b2J\ud800\u2028\u202e\x1b]0;t\x07 \\##vso[task.x]1 ##[error]"


def test_table_output_has_no_escape_sequence_from_gate_text(tmp_path: Path):
    plan = write_plan(tmp_path, r"""
        - id: c
          kind: command
          title: "t\e]0;pwned\a"
          run: [sh, -c, 'printf "\033]0;title\007\033[2Jx\n::error::y\n"; exit 1']
        """)
    result = run_cli("-c", plan, "gate", "p", env={"PREPCTL_NO_HISTORY": "1"})
    assert result.code == 1 and "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert all(not line.split("│")[-2].strip().startswith("::") for line in result.stdout.splitlines()
               if line.count("│") > 2)


def test_errors_and_graph_tables_reach_the_terminal_inert(tmp_path: Path):
    from prepctl.graph.output import problems_note, table

    result = run_cli("-c", _tree(tmp_path), "gate", "\x1b]0;pwned\x07p\n::error::x",
                     env={"PREPCTL_NO_HISTORY": "1"})
    assert result.code == 2 and "unknown phase" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert not any(line.lstrip().startswith("::") for line in result.stderr.splitlines())
    shown = table(["module"], [["app.\x1b[2Jevil\x9b"]])
    assert "\x1b" not in shown and "\x9b" not in shown and "app.evil" in shown

    class Skipped:  # the one thing problems_note reads from a ScanProblem is its text
        def __str__(self) -> str:
            return "app/bad\x1b]0;pwned\x07name.py: not a module name"

    note = problems_note([Skipped()])  # type: ignore[list-item]
    assert "\x1b" not in note and "\x07" not in note and "app/badname.py" in note


def test_shadow_table_and_page_show_response_text_inert():
    from prepctl.shadow.html import render_html
    from prepctl.shadow.render import render_table
    from prepctl.shadow.report import ShadowReport

    hostile = "r.jsonl\x1b]0;pwned\x07\n::error::x"
    report = ShadowReport(requests_file=hostile, targets={"primary": "http://p\x1b[2J", "candidate": "c"},
                          total_requests=0, compared=0, matched=0, mismatched=0, primary_failures=0)
    for text in (render_table(report), render_html(report)):
        assert "\x1b" not in text and "\x07" not in text
        assert not any(line.lstrip().startswith("::") for line in text.splitlines())


def test_out_dash_is_standard_output_and_c_dash_is_refused(tmp_path):
    # `--out -` wrote a file literally named "-" (and printed too); `-c -` said "-: file not found".
    result = run_cli("-c", PHASES, "gate", "phase-0", "--format", "json", "--out", "-", cwd=REPO)
    assert result.code in (0, 1, 2) and json.loads(result.stdout)["phase"] == "phase-0"
    assert not (REPO / "-").exists()
    refused = run_cli("-c", "-", "validate", cwd=tmp_path)
    assert refused.code == 2 and "not read from standard input" in refused.stderr
