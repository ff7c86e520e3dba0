"""Fault corpus, category injection: hostile text in every output prepctl writes (issue 12 §9, Deliver 8).

Each case is one payload. The same project carries it through every source that can hold it:

- a ``command`` criterion whose command prints it (``printf %b``, so phases.yaml stays ASCII);
- an issue report whose open item's title holds it;
- a fake Alertmanager (pytest-httpserver on 127.0.0.1) whose alert label holds it, and a fake
  Prometheus on the same server whose series has it in its metric name and a label value;
- when the payload is printable text, also the phase title, a ``manual`` criterion's title and a
  service's title, owners, symptoms, alerts, dashboards and escalation (the runbook).

Then every output is produced as a user would (``gate -f table|json|markdown|junit|github``,
``--out``, ``$GITHUB_STEP_SUMMARY``, ``status``, ``render rfc`` as Markdown and HTML,
``render runbook``, ``render postmortem``, ``report``) and each must be inert: no line that a CI runner would
execute, no escape sequence or control byte for a terminal, JUnit that parses, JSON that parses
and still holds the text exactly, Markdown whose tables keep their columns and whose HTML (raw
HTML on, as GitHub renders a step summary) holds no script, link or image from the payload.

``<script`` as plain text is legitimate in a terminal table and in JSON (neither is HTML; the
JSON must round-trip the text), so the "no raw <script" rule applies to the Markdown, XML and
HTML outputs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from werkzeug import Response

from tests.support.fault_harness import Expect, Outcome, check, run_prepctl
from tests.support.sarif import sarif_log

#: A whole case runs ~10 prepctl commands; each must end well within this.
LIMIT = 30.0
SECRET = "tokenS3cretValue42"


@dataclass(frozen=True)
class Case:
    name: str
    defect: str
    payload: str
    #: Printable text (newlines allowed) also goes into the phase and manual titles.
    in_titles: bool = False
    #: A secret the output must not show, even though the payload hides it behind escapes.
    secret: str | None = None


CASES = [
    Case("junit_esc_bel_in_alert_label",
         "an alert label with ESC/BEL made the JUnit XML ill-formed, so CI rejected the whole report",
         "sev\x1b[31mred\x1b[0m\x07bell"),
    Case("workflow_commands_after_newline",
         "a newline in a label/title/evidence put ::error and ::add-mask:: at a line start in "
         "markdown, junit and RFC output, and a GitHub runner printing them executed them",
         "ok\n::error file=app.py,line=1::owned\n::add-mask::hunter2\n   ::set-output name=x::y\n::stop-commands::t"
         "\n\t::warning::after a tab\n\u00a0\u3000::notice::after Unicode spaces",
         in_titles=True),
    Case("legacy_and_azure_commands",
         "##[…] (GitHub v1) and ##vso[…] (Azure, anywhere in a line) in text formats",
         "see ##[error]legacy\n##vso[task.setvariable variable=X]1 and ##VSO[task.complete result=Succeeded;]",
         in_titles=True),
    Case("gitlab_section_markers",
         "GitLab's section_start: after an erase-line escape folds or fakes log sections",
         "\x1b[0Ksection_start:1700000000:evil\r\x1b[0Kfake section\nsection_end:1700000001:evil"),
    Case("raw_html_details_script",
         "raw HTML from an issue title (</details><script>) reached Markdown outputs and "
         "$GITHUB_STEP_SUMMARY",
         "</details><script>alert(1)</script><img src=x onerror=alert(2)><!--",
         in_titles=True),
    Case("markdown_structure",
         "a | split a table row, newlines broke a cell, backticks closed a code span, "
         "a link or tracking image rendered",
         "a | b | c\n`code` ``` and `` ` ``\n[click](https://evil.example/x) ![px](https://evil.example/p.png)",
         in_titles=True),
    Case("osc_title_and_hyperlink",
         "OSC sequences (window title, hyperlinks), CSI and DCS reached the terminal",
         "\x1b]0;pwned title\x07\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ \x1b[2J\x1b[1;1H"
         "\x1bP+q544e\x1b\\ \x1b]52;c;ZXZpbA==\x07 done \x1b]0;unterminated"),
    Case("c1_controls_8bit",
         "8-bit C1 controls (CSI U+009B, OSC U+009D, NEL U+0085) act like their ESC forms",
         "\x9b31m eight-bit \x9d0;t\x9c \x85::error::after NEL \x90q\x9c"),
    Case("xml_illegal_characters",
         "characters XML 1.0 forbids (C0 controls, U+FFFE/U+FFFF) in JUnit",
         "nul\x00 vt\x0b ff\x0c fs\x1c esc\x1b \ufffe \uffff end"),
    Case("lone_surrogates_in_alert_label",
         "a lone surrogate (JSON \\ud800 from a server) is XML-illegal and crashes a UTF-8 write",
         "lone \ud800 and \udfff end"),
    Case("line_breaks_other_than_newline",
         "a workflow command after U+2028, a bare CR or a form feed is at a line start for "
         "readers that split there",
         "a\u2028::error::via U+2028\rb\r::warning::via CR\x0c::notice::via FF"),
    Case("bidi_override",
         "bidi overrides make a terminal or a page show text in another order than its bytes",
         "invoice\u202efdp.exe\u2066 hidden\u2069 end", in_titles=True),
    Case("region_markers_in_text",
         "a marker line in gate text would end a generated region early, or open another, so a "
         "re-render would move or drop the text between",
         "x\n<!-- prepctl:end verdicts -->\n<!-- prepctl:begin header -->\n  <!-- prepctl:end svc -->\ny",
         in_titles=True),
    Case("secret_split_by_escape",
         "a secret split by an escape sequence was whole again once the sequence was stripped",
         f"token={SECRET[:5]}\x1b[1m{SECRET[5:11]}\x07{SECRET[11:]}", secret=SECRET),
]


# ---------------------------------------------------------------- building the hostile project


def printf_b(text: str) -> str:
    """``printf %b`` argument printing ``text``'s UTF-8 bytes (lone surrogates as invalid bytes)."""
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;=_-+/()[]{}<>!?#@'\"|`~*^$&")
    data = text.encode("utf-8", "surrogatepass")
    return "".join(chr(b) if b in safe else f"\\0{b:03o}" for b in data)


def one_line(text: str) -> str:
    return re.sub(r"[\n\r\u2028\u2029\x85\x0b\x0c\x1c-\x1e]", " ", text)


def build_project(folder: Path, case: Case, alertmanager_url: str) -> Path:
    # A report file is UTF-8 text: a lone surrogate cannot be written into it (it stays in the
    # command output and the alert label).
    title = re.sub("[\ud800-\udfff]", "?", one_line(case.payload))
    (folder / "ISSUES.md").write_text(f"# Issues\n\n## P1\n\n- [ ] PREP-1 {title}\n", encoding="utf-8")
    title = case.payload if case.in_titles else "Hostile phase"
    criteria = [
        {"id": "printed", "kind": "command", "title": "prints the payload",
         "run": ["sh", "-c", 'printf "%b" "$1"; exit 3', "sh", printf_b(case.payload)]},
        {"id": "open-issues", "kind": "issues", "title": "no open P1", "report": "ISSUES.md"},
        {"id": "alerts", "kind": "incidents", "title": "no injected alert", "matchers": ['severity="sev1"']},
        {"id": "latency", "kind": "slo", "title": "a series labelled with the payload",
         "objectives": [{"name": "latency", "query": "latency_seconds", "pass": "< 1"}]},
        {"id": "signed", "kind": "manual", "role": "qa",
         "title": case.payload if case.in_titles else "a person checked it"},
    ]
    source = {"url": alertmanager_url}
    if case.secret:
        source["token_env"] = "INJECTION_TOKEN"
    text = case.payload if case.in_titles else "plain"
    service = {"id": "svc", "title": title, "phase": "p", "owners": [text], "escalation": ["on-call", text],
               "alerts": [text], "dashboards": [text], "symptoms": [text], "flag": "SVC_ENABLED"}
    plan = {"version": 1, "name": "injection plan", "root": ".",
            "sources": {"alertmanager": source, "prometheus": {**source},
                        "http": {"timeout": 5, "retries": 1, "backoff": 0.05}},
            "services": [service],
            "phases": [{"id": "p", "title": title, "weeks": "0-1", "owners": ["tester"], "criteria": criteria}]}
    path = folder / "phases.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


def serve_alert(httpserver, label: str) -> None:
    httpserver.expect_request("/api/v2/status").respond_with_json(
        {"versionInfo": {"version": "0.25.0"}, "uptime": "2026-01-01T00:00:00Z"})
    # The alert's name is what the table shows of it (its evidence label); the summary label is
    # quoted whole in the evidence value, which the JSON must round-trip.
    alert = {"labels": {"alertname": f"Injected {label}", "severity": "sev1", "summary": label},
             "annotations": {}, "receivers": [{"name": "blackhole"}], "fingerprint": "a1b2c3",
             "startsAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-01-02T03:04:05Z",
             "endsAt": "2026-01-02T05:04:05Z",
             "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}
    # A Prometheus series whose metric name and label value hold the payload (issue 12 sweep):
    # its evidence label is `latency{job="<payload>"}` in every output. Stamped now, so it is
    # read (and fails on its value), not refused as stale.
    httpserver.expect_request("/api/v1/query").respond_with_handler(lambda request: Response(json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": f"m {label}", "job": label}, "value": [time.time(), "5"]}]}},
        ensure_ascii=True), content_type="application/json"))
    # ensure_ascii: a lone surrogate travels as the \\ud800 escape, as a real server would send it.
    httpserver.expect_request("/api/v2/alerts").respond_with_data(
        json.dumps([alert], ensure_ascii=True), content_type="application/json")


# ---------------------------------------------------------------- what "inert" means per output

#: Workflow-command prefixes a runner honours at a line start (after whitespace it trims).
LINE_START_COMMAND = re.compile(r"^\s*(::|##\[|##vso\[|section_start:|section_end:)", re.IGNORECASE)
#: Honoured anywhere in a line (GitHub's v1 parser and Azure's agent search the whole line).
ANYWHERE_COMMAND = re.compile(r"##(vso)?\[", re.IGNORECASE)
#: A terminal acts on any of these: C0 (but \t \n), DEL, C1 (which holds 8-bit CSI and OSC).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: The github format's own annotations, the only lines allowed to start with ::.
OWN_ANNOTATION = re.compile(r"^::(error|warning|notice) (file=[^\n:,]*,line=\d+,)?title=[^\n:,]*::[^\n]*$")
UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")


def lines_of(text: str) -> list[str]:
    """Every line as any reader might split: \\n, CR, and Unicode line breaks."""
    return text.splitlines()


def assert_inert_text(where: str, text: str, *, own_commands: bool = False) -> None:
    assert not CONTROL.search(text), f"{where}: control byte {CONTROL.search(text)[0]!r} in output"
    assert not re.search("[\u202a-\u202e\u2066-\u2069\ud800-\udfff]", text), f"{where}: bidi control or surrogate"
    for line in lines_of(text):
        if own_commands and OWN_ANNOTATION.match(line):
            continue
        assert not LINE_START_COMMAND.match(line), f"{where}: workflow command at a line start: {line!r}"
        # JSON too: it writes the first # as \u0023, so its strings still hold the text exactly.
        assert not ANYWHERE_COMMAND.search(line), f"{where}: ##[ or ##vso[ in a line: {line!r}"


def assert_no_markup(where: str, text: str) -> None:
    lowered = text.lower()
    assert "<script" not in lowered and "<img" not in lowered, f"{where}: raw HTML from the payload"


def assert_markdown(where: str, text: str) -> None:
    """Tables keep their columns; rendered as GitHub would (raw HTML allowed), nothing of the
    payload becomes a tag, a link or an image, and <details> stays balanced."""
    from markdown_it import MarkdownIt

    assert_inert_text(where, text)
    assert_no_markup(where, text)
    block: list[int] = []
    for line in text.split("\n") + [""]:
        if line.startswith("|"):
            block.append(len(UNESCAPED_PIPE.findall(line)))
            continue
        assert len(set(block)) <= 1, f"{where}: a table row has another number of cells: {block}"
        block = []
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    assert_no_markup(f"{where} (rendered)", html)
    assert 'href="https://evil' not in html and 'src="https://evil' not in html, f"{where}: link from payload"
    assert html.count("<details>") == html.count("</details>"), f"{where}: <details> unbalanced"


MARKER = re.compile(r"^\s*<!--\s*prepctl:(begin|end)\s+\S+\s*-->\s*$")


def assert_regions_intact(where: str, text: str) -> None:
    """Each generated region's begin and end marker once: none came from the payload."""
    markers = [line.strip() for line in text.split("\n") if MARKER.match(line)]
    assert len(markers) == len(set(markers)), f"{where}: a region marker repeated: {markers}"


def assert_xml(where: str, text: str) -> None:
    assert_inert_text(where, text)
    assert_no_markup(where, text)
    ET.fromstring(text.encode("utf-8"))  # raises on ill-formed XML: CI would reject the report
    if shutil.which("xmllint"):
        proc = subprocess.run(["xmllint", "--noout", "-"], input=text.encode(), capture_output=True)
        assert proc.returncode == 0, f"{where}: xmllint: {proc.stderr.decode(errors='replace')}"


def strings_in(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings_in(value)


def assert_json_round_trip(where: str, outcome: Outcome, case: Case) -> None:
    assert_inert_text(where, outcome.stdout)
    texts = list(strings_in(outcome.report()))
    # The alert label arrives verbatim and must come back verbatim (the evidence quotes it).
    assert any(f'summary="{case.payload}"' in t for t in texts), f"{where}: alert label not round-tripped"
    # The Prometheus channel was read (the series fails on its value), not refused before its labels.
    assert outcome.criterion_status("latency") == "fail", f"{where}: the labelled series was not evaluated"
    if case.in_titles:
        assert case.payload in texts, f"{where}: phase/criterion title not round-tripped"


# ---------------------------------------------------------------- the runner


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_injection_outputs(case: Case, tmp_path: Path, httpserver) -> None:
    serve_alert(httpserver, case.payload)
    project = tmp_path / "project"
    project.mkdir()
    plan = build_project(project, case, httpserver.url_for(""))
    env = {"INJECTION_TOKEN": SECRET}
    secrets = [case.secret] if case.secret else []
    # Exit 1: the command fails (exit 3), the P1 is open, the alert is active, no sign-off.
    expect = Expect(codes=[1], secrets=secrets, scan=[tmp_path])

    def run(*args: str | Path, **kwargs) -> Outcome:
        outcome = run_prepctl("-c", plan, *args, cwd=project, env={**env, **kwargs.pop("env", {})},
                              limit=LIMIT)
        check(outcome, kwargs.pop("expect", expect))
        assert "history not recorded" not in outcome.stderr, outcome.stderr  # nothing is lost
        return outcome

    gate_json = run("gate", "p", "-f", "json", expect=Expect(codes=[1], criterion="alerts", statuses=["fail"],
                                                            secrets=secrets, scan=[tmp_path]))
    assert gate_json.criterion_status("printed") == "fail"
    assert gate_json.criterion_status("open-issues") == "fail"
    assert_json_round_trip("gate -f json", gate_json, case)

    table = run("gate", "p", "-f", "table")
    assert_inert_text("gate -f table", table.text)
    assert "overall: FAIL" in table.stdout

    out_file = tmp_path / "gate.md"
    markdown = run("gate", "p", "-f", "markdown", "--out", out_file)
    assert out_file.read_text(encoding="utf-8") == markdown.stdout
    assert_markdown("gate -f markdown", markdown.stdout)

    junit = run("gate", "p", "-f", "junit")
    assert_xml("gate -f junit", junit.stdout)

    sarif = run("gate", "p", "-f", "sarif", env={"GITHUB_WORKSPACE": str(project)})
    assert_inert_text("gate -f sarif", sarif.stdout)
    assert any(case.payload in t for t in strings_in(sarif_log(sarif.stdout)))  # valid SARIF, text kept

    summary = tmp_path / "step-summary.md"
    github = run("gate", "p", "-f", "github", env={"GITHUB_STEP_SUMMARY": str(summary),
                                                   "GITHUB_WORKSPACE": str(project)})
    assert_inert_text("gate -f github", github.text, own_commands=True)
    assert any(OWN_ANNOTATION.match(line) for line in github.stdout.splitlines())
    assert_markdown("$GITHUB_STEP_SUMMARY", summary.read_text(encoding="utf-8"))

    status = run("status", expect=Expect(codes=[0], secrets=secrets, scan=[tmp_path]))
    assert_inert_text("status", status.text)

    done = Expect(codes=[0], secrets=secrets, scan=[tmp_path])
    rfc = run("render", "rfc", "p", "--out", "-", expect=done)
    assert_markdown("render rfc", rfc.stdout)
    assert_regions_intact("render rfc", rfc.stdout)
    rfc_html = run("render", "rfc", "p", "-f", "html", "--out", "-", expect=done)
    assert_inert_text("render rfc -f html", rfc_html.stdout)
    assert_no_markup("render rfc -f html", rfc_html.stdout)

    runbook = run("render", "runbook", "--out", "-", expect=done)
    assert "<!-- prepctl:begin svc -->" in runbook.stdout
    assert_markdown("render runbook", runbook.stdout)
    assert_regions_intact("render runbook", runbook.stdout)

    postmortem = run("render", "postmortem", "p", "--out", "-", expect=done)
    assert "no runs recorded" not in postmortem.stdout  # the gate runs above are its timeline
    assert_markdown("render postmortem", postmortem.stdout)
    assert_regions_intact("render postmortem", postmortem.stdout)

    run("report", "--out", tmp_path / "site", expect=done)
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert_inert_text("report (dashboard HTML)", page)
    assert_no_markup("report (dashboard HTML)", page)
