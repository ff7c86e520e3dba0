"""`--format github` escaping: untrusted text is the data of our own command, never a second one."""

from __future__ import annotations

from pathlib import Path

from prepctl.formats import get_format
from prepctl.formats.github import Annotation
from prepctl.verdicts import CriterionResult, Evidence, GateReport, PhaseResult, Status, Verdict

HOSTILE_MODULE = "pkg.x%0A::set-output name=a::b\n::error::injected\r::add-mask::m"
HOSTILE_PATH = "src/a,line=99,title=t::x%25.py"


def _report(*evidence: Evidence, status: Status = Status.FAIL) -> GateReport:
    criterion = CriterionResult("c", "imports", "t", False, Verdict.of(status, f"{HOSTILE_MODULE} broke", evidence))
    return GateReport([PhaseResult("p", "P", status, [criterion])], status, config_path="/w/phases.yaml", root="/w")


def test_percent_newline_colon_and_comma_cannot_start_another_command(monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", "/w")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    text = get_format("github").render(_report(
        Evidence(f"NEW {HOSTILE_MODULE}", path=HOSTILE_PATH, line=4, status=Status.FAIL)))
    lines = text.splitlines()
    assert lines == [lines[0], "p: fail", "prepctl gate: fail"]  # one command, nothing after it
    command = lines[0]
    assert command.startswith("::error file=src/a%2Cline=99%2Ctitle=t%3A%3Ax%2525.py,line=4,title=p/c fail::")
    message = command.split("::", 2)[2]
    # A literal %0A in the name arrives as %250A: the runner decodes it to the text "%0A", no newline.
    assert "%250A" in message and "%0A" in message and "\n" not in message and "\r" not in message
    # The newline and the CR (made a newline by clean) are both escaped, in summary and label.
    assert message.replace("%250A", "").count("%0A") == 4


def test_an_annotation_escapes_its_properties_and_data():
    command = Annotation("warning", "t,itle:x", "a%b\nc", path="d,e:f.py", line=2).command()
    assert command == "::warning file=d%2Ce%3Af.py,line=2,title=t%2Citle%3Ax::a%25b%0Ac"


def test_a_file_without_a_line_is_not_half_a_location():
    assert Annotation("error", "t", "m", path="a.py").command() == "::error title=t::m"


def test_hostile_text_in_the_step_summary_stays_text(monkeypatch, tmp_path: Path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", "/w")
    get_format("github").render(_report(
        Evidence("NEW <img src=x onerror=alert(1)> | x", path="a`b|c.py", line=1, status=Status.FAIL),
        Evidence("baselined: <script>", path="k.py", line=2, status=Status.WARN, baselined=True)))
    text = summary.read_text(encoding="utf-8")
    assert "<img" not in text and "<script>" not in text
    assert "&lt;img" in text and "&lt;script&gt;" in text
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())
