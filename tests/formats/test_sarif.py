"""`--format sarif` for gate reports: rules, levels per evidence item, suppressions, redaction."""

from __future__ import annotations

import hashlib

from prepctl import secrets
from prepctl.formats import get_format
from prepctl.verdicts import CriterionResult, Evidence, GateReport, PhaseResult, Status, Verdict
from tests.support.sarif import (
    SARIF_SCHEMA,
    location_of,
    open_results,
    results,
    sarif_log,
    suppressed_results,
)

SCHEMA_SHA256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"


def _criterion(cid: str, kind: str, status: Status, summary: str, *evidence: Evidence,
               advisory: bool = False) -> CriterionResult:
    return CriterionResult(cid, kind, f"title of {cid}", advisory, Verdict.of(status, summary, evidence))


def _report(*criteria: CriterionResult, root: str = "/checkout") -> GateReport:
    phase = PhaseResult("phase-1", "Phase one", Status.FAIL, list(criteria))
    return GateReport([phase], Status.FAIL, config_path="/checkout/phases.yaml", root=root)


def _render(report: GateReport, monkeypatch) -> dict:
    monkeypatch.setenv("GITHUB_WORKSPACE", "/checkout")
    return sarif_log(get_format("sarif").render(report))


def test_the_vendored_schema_is_the_recorded_one():
    assert hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_rules_are_the_criteria_and_passing_ones_give_no_result(monkeypatch):
    log = _render(_report(
        _criterion("tests-green", "command", Status.PASS, "exit 0"),
        _criterion("no-orm", "imports", Status.FAIL, "1 new violation(s)",
                   Evidence("NEW a imports b (forbidden)", path="src/a.py", line=3, status=Status.FAIL)),
    ), monkeypatch)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "prepctl"
    assert [r["id"] for r in driver["rules"]] == ["phase-1/tests-green", "phase-1/no-orm"]
    [result] = results(log)
    assert result["ruleId"] == "phase-1/no-orm" and result["ruleIndex"] == 1
    assert result["level"] == "error"
    assert location_of(result) == ("src/a.py", 3)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"


def test_baselined_evidence_is_a_suppressed_result_and_new_is_open(monkeypatch):
    known = [Evidence(f"baselined: m{n} imports db (forbidden)", path=f"src/m{n}.py", line=1, status=Status.WARN,
                      baselined=True) for n in range(3)]
    log = _render(_report(_criterion(
        "no-db", "imports", Status.FAIL, "1 new violation(s); 3 known in the baseline",
        Evidence("NEW new imports db (forbidden)", path="src/new.py", line=7, status=Status.FAIL), *known,
        Evidence("members of x (2)", value="a, b"),
    )), monkeypatch)
    [new] = open_results(log)
    assert (new["level"], location_of(new)) == ("error", ("src/new.py", 7))
    suppressed = suppressed_results(log)
    assert len(suppressed) == 3
    for result in suppressed:
        assert result["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "baselined"}]
        assert result["level"] == "warning"


def test_the_status_is_read_from_the_evidence_not_guessed_from_its_label(monkeypatch):
    """A label that merely starts like a baselined one is the criterion's, not suppressed."""
    log = _render(_report(_criterion("no-db", "imports", Status.FAIL, "1 new",
                                     Evidence("baselined: looks accepted", path="src/a.py", line=2))), monkeypatch)
    [result] = results(log)
    assert result["level"] == "error" and "suppressions" not in result


def test_levels_follow_each_evidence_items_status(monkeypatch):
    log = _render(_report(
        _criterion("warned", "command", Status.WARN, "slow", Evidence("took 9s", path="ci.sh", line=2)),
        _criterion("broken", "imports", Status.ERROR, "skipped file in scope",
                   Evidence("skipped in scope (imports unknown): syntax error", path="src/bad.py", line=4,
                            status=Status.ERROR)),
        _criterion("mixed", "imports", Status.FAIL, "1 new",
                   Evidence("NEW a imports b", path="src/a.py", line=1, status=Status.FAIL),
                   Evidence("scan problem: dynamic import", path="src/c.py", line=9, status=Status.WARN)),
        _criterion("soft", "command", Status.FAIL, "advisory failure", Evidence("out", path="x.py", line=1),
                   advisory=True),
    ), monkeypatch)
    levels = {(r["ruleId"], location_of(r)[0]): (r["level"], r["properties"]["status"]) for r in results(log)}
    assert levels == {
        ("phase-1/warned", "ci.sh"): ("warning", "warn"),
        ("phase-1/broken", "src/bad.py"): ("error", "error"),
        ("phase-1/mixed", "src/a.py"): ("error", "fail"),
        ("phase-1/mixed", "src/c.py"): ("warning", "warn"),
        ("phase-1/soft", "x.py"): ("warning", "warn"),
    }
    broken = next(r for r in results(log) if r["ruleId"] == "phase-1/broken")
    assert broken["message"]["text"].startswith("could not be judged: ")


def test_a_criterion_without_located_evidence_is_reported_on_the_plan(monkeypatch):
    log = _render(_report(_criterion("slo", "slo", Status.ERROR, "prometheus unreachable",
                                     Evidence("query", value="up"))), monkeypatch)
    [result] = results(log)
    assert location_of(result) == ("phases.yaml", None)
    assert result["level"] == "error" and "could not be judged" in result["message"]["text"]


def test_a_path_outside_the_checkout_is_an_absolute_file_uri(monkeypatch):
    log = _render(_report(_criterion("c", "command", Status.FAIL, "no",
                                     Evidence("x", path="/elsewhere/a b.py", line=1))), monkeypatch)
    assert location_of(results(log)[0]) == ("file:///elsewhere/a%20b.py", 1)


def test_secrets_are_redacted_as_in_the_json_format(monkeypatch):
    token = "s3cr3t-token-value-42"
    secrets.remember(token)
    log_text = get_format("sarif").render(_report(_criterion(
        "api", "http", Status.FAIL, f"GET https://u:{token}@api.example/x?token={token} failed",
        Evidence(f"answer {token}", path="api.py", line=1, value=token))))
    assert token not in log_text
    assert "***" in sarif_log(log_text)["runs"][0]["results"][0]["message"]["text"]
