"""The `shadow` gate: pass, fail and error against real servers, its options in phases.yaml, and
the report it links."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from prepctl.errors import ConfigError
from prepctl.evaluate import evaluate, evaluate_criterion
from prepctl.gates.shadow import ShadowSpec, shadow_verdict
from prepctl.shadow.report import LatencySummary, ShadowReport
from prepctl.sources.context import GateContext
from prepctl.sources.tree import WorkTree
from prepctl.verdicts import Evidence, Status, Verdict
from tests.support.paths import PHASES
from tests.support.plans import load_plan, write_plan
from tests.support.shadow_servers import REQUESTS_JSONL, AppBehaviour, dead_url, serve, serve_trio


def _criterion(primary: str, candidate: str, secondary: str | None = None, **options: object) -> str:
    settings = {"min_requests": 5, "max_mismatch_rate": 0.0, "p95_factor": 50, "rate": 0, **options}
    lines = [
        "- id: parity",
        "  kind: shadow",
        "  title: shadow traffic shows parity",
        "  requests: shadow/requests.jsonl",
        f"  primary: {primary}",
        f"  candidate: {candidate}",
    ]
    if secondary:
        lines.append(f"  secondary: {secondary}")
    lines += [f"  {key}: {json.dumps(value)}" for key, value in settings.items()]
    return "\n".join(lines)


def _root(tmp_path: Path, requests: str = REQUESTS_JSONL) -> Path:
    (tmp_path / "shadow").mkdir(exist_ok=True)
    (tmp_path / "shadow" / "requests.jsonl").write_text(requests, encoding="utf-8")
    return tmp_path


def _verdict(tmp_path: Path, criterion: str) -> Verdict:
    plan = load_plan(write_plan(_root(tmp_path), criterion))
    return evaluate(plan, ["p"]).phases[0].criteria[0].verdict


def _evidence(verdict: Verdict, label: str) -> Evidence:
    return next(e for e in verdict.evidence if e.label == label)


@pytest.mark.live
def test_parity_passes_when_only_noise_differs(tmp_path: Path):
    # The primary is slower than the candidate on purpose, so the p95 condition holds by a wide margin.
    with serve(AppBehaviour("primary", delay=0.03)) as primary, \
            serve(AppBehaviour("secondary", delay=0.03)) as secondary, \
            serve(AppBehaviour("clean-candidate")) as candidate:
        verdict = _verdict(tmp_path, _criterion(primary.url, candidate.url, secondary.url, p95_factor=2))
    assert verdict.status is Status.PASS, verdict
    assert "11 requests compared, mismatch rate 0.0%" in verdict.summary
    assert "noisy field(s) ignored" in verdict.summary
    report_link = _evidence(verdict, "report")
    assert Path(report_link.path).is_file() and report_link.url.startswith("file://")
    assert Path(urlsplit(report_link.url).path).is_file()
    report = json.loads(Path(report_link.path).read_text(encoding="utf-8"))
    assert report["compared"] == 11 and report["match_rate"] == 1.0
    assert report_link.path == str(tmp_path / ".prepctl" / "shadow" / "p" / "parity" / "shadow-report.json")


@pytest.mark.live
def test_seeded_difference_fails_with_an_example_request(tmp_path: Path):
    with serve_trio() as trio:
        verdict = _verdict(tmp_path, _criterion(trio.primary.url, trio.candidate.url, trio.secondary.url,
                                                max_mismatch_rate=0.2))
    assert verdict.status is Status.FAIL
    assert "mismatch rate 45.5% > 20.0% (5 of 11)" in verdict.summary
    seeded = _evidence(verdict, "difference $.confirmed (GET /api/v1/analytics)")
    assert (seeded.path, seeded.line) == ("shadow/requests.jsonl", 1)
    assert "e.g. GET /api/v1/analytics $.confirmed: primary 290, candidate 291" in seeded.value
    assert _evidence(verdict, "candidate: http 500").line == 8
    labels = [e.label for e in verdict.evidence]
    assert not [label for label in labels if "generated_at" in label or "request_id" in label]


@pytest.mark.live
def test_dead_candidate_fails_with_connection_refused_evidence(tmp_path: Path):
    with serve(AppBehaviour("primary")) as primary:
        verdict = _verdict(tmp_path, _criterion(primary.url, dead_url()))
    assert verdict.status is Status.FAIL
    assert "candidate: connection refused" in verdict.summary
    refused = _evidence(verdict, "candidate: connection refused")
    assert refused.value.startswith("11 request(s)") and refused.line == 1
    assert "candidate p95 latency unknown" in verdict.summary


@pytest.mark.live
def test_dead_primary_is_an_error_not_a_pass_or_fail(tmp_path: Path):
    with serve(AppBehaviour("clean-candidate")) as candidate:
        verdict = _verdict(tmp_path, _criterion(dead_url(), candidate.url))
    assert verdict.status is Status.ERROR
    assert "primary answered none of 11 requests (connection refused)" in verdict.summary


@pytest.mark.live
def test_too_few_requests_fails(tmp_path: Path):
    with serve(AppBehaviour("primary")) as primary, serve(AppBehaviour("clean-candidate")) as candidate:
        verdict = _verdict(tmp_path, _criterion(primary.url, candidate.url, min_requests=50,
                                                ignore=["$.generated_at", "$.request_id"]))
    assert verdict.status is Status.FAIL
    assert verdict.summary == "only 11 requests compared (need 50)"


@pytest.mark.live
def test_slow_candidate_fails_the_p95_condition(tmp_path: Path):
    with serve(AppBehaviour("primary")) as primary, \
            serve(AppBehaviour("clean-candidate", delay=0.25)) as candidate:
        verdict = _verdict(tmp_path, _criterion(primary.url, candidate.url, p95_factor=1.5,
                                                ignore=["$.generated_at", "$.request_id"], concurrency=11))
    assert verdict.status is Status.FAIL
    assert "candidate p95" in verdict.summary and "> primary p95" in verdict.summary
    assert _evidence(verdict, "candidate p95 ms").value >= 250


def test_only_unsafe_requests_is_an_error(tmp_path: Path):
    plan = load_plan(write_plan(_root(tmp_path, '{"method": "POST", "path": "/x"}\n'),
                                _criterion("http://127.0.0.1:9", "http://127.0.0.1:9")))
    verdict = evaluate(plan, ["p"]).phases[0].criteria[0].verdict
    assert verdict.status is Status.ERROR and verdict.summary == "nothing compared: every request was skipped"


def test_missing_or_bad_requests_file_is_an_error(tmp_path: Path):
    plan = load_plan(write_plan(tmp_path, _criterion("http://127.0.0.1:9", "http://127.0.0.1:9")))
    verdict = evaluate(plan, ["p"]).phases[0].criteria[0].verdict
    assert verdict.status is Status.ERROR and "requests file shadow/requests.jsonl not found" in verdict.summary
    _root(tmp_path, '{"path": "/ok"}\n{"pat": "/typo"}\n')
    verdict = evaluate(plan, ["p"]).phases[0].criteria[0].verdict
    assert verdict.status is Status.ERROR
    assert "shadow/requests.jsonl:2: unknown key 'pat'" in verdict.summary


def test_the_gate_is_live_so_it_is_skipped_at_a_past_revision(tmp_path: Path):
    plan = load_plan(write_plan(_root(tmp_path), _criterion("http://127.0.0.1:9", "http://127.0.0.1:9")))
    ctx = GateContext(plan=plan, tree=WorkTree(plan.root), revision="0123abcd")
    phase = plan.phase("p")
    result = evaluate_criterion(phase.criteria[0], phase, ctx)
    assert result.status is Status.SKIP


@pytest.mark.live
def test_urls_expand_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with serve(AppBehaviour("primary")) as primary, serve(AppBehaviour("clean-candidate")) as candidate:
        monkeypatch.setenv("SHADOW_TEST_CANDIDATE", candidate.url)
        monkeypatch.delenv("SHADOW_TEST_PRIMARY", raising=False)
        criterion = _criterion(f"${{SHADOW_TEST_PRIMARY:-{primary.url}}}", "${SHADOW_TEST_CANDIDATE}",
                               ignore=["$.generated_at", "$.request_id"])
        plan = load_plan(write_plan(_root(tmp_path), criterion))
        spec = plan.phase("p").criteria[0]
        assert (spec.primary, spec.candidate) == (primary.url, candidate.url)
        verdict = evaluate(plan, ["p"]).phases[0].criteria[0].verdict
    assert verdict.status is Status.PASS, verdict


def _config_error(tmp_path: Path, criterion: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_plan(write_plan(_root(tmp_path), criterion))
    return str(caught.value)


def test_config_errors_name_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SHADOW_TEST_UNSET", raising=False)
    text = _config_error(tmp_path, _criterion("${SHADOW_TEST_UNSET}", "http://127.0.0.1:9"))
    assert "phases.yaml:" in text and "SHADOW_TEST_UNSET is not set" in text
    assert "not an http(s) base URL" in _config_error(tmp_path, _criterion("ftp://host", "http://127.0.0.1:9"))
    assert "must start with '$'" in _config_error(
        tmp_path, _criterion("http://127.0.0.1:9", "http://127.0.0.1:9", ignore=["meta.id"]))
    no_threshold = textwrap.dedent("""\
        - id: parity
          kind: shadow
          title: t
          requests: r.jsonl
          primary: http://127.0.0.1:9
          candidate: http://127.0.0.1:9
        """)
    assert "missing required key 'min_requests'" in _config_error(tmp_path, no_threshold)
    assert "unknown key 'p95_factr'" in _config_error(
        tmp_path, _criterion("http://127.0.0.1:9", "http://127.0.0.1:9", p95_factr=2))


def test_the_plan_configures_shadow_parity_for_phase_4():
    plan = load_plan(PHASES)
    spec = next(c for c in plan.phase("phase-4").criteria if c.kind == "shadow")
    assert isinstance(spec, ShadowSpec)
    assert (plan.root / spec.requests).is_file()
    assert spec.secondary is not None and spec.min_requests >= 10
    kinds = {c.kind for c in plan.phase("phase-4").criteria}
    assert "flag" in kinds  # paired with the flag that keeps ANALYTICS_ENDPOINTS_ENABLED off


def _report(compared: int, mismatched: int, primary_p95: float | None, candidate_p95: float | None,
            primary_failures: int = 0) -> ShadowReport:
    def latency(p95: float | None) -> LatencySummary:
        return LatencySummary(compared if p95 else 0, p95, p95, p95, p95)

    return ShadowReport(requests_file="r.jsonl", targets={"primary": "p", "candidate": "c"},
                        total_requests=compared, compared=compared, matched=compared - mismatched,
                        mismatched=mismatched, primary_failures=primary_failures,
                        latency={"primary": latency(primary_p95), "candidate": latency(candidate_p95)})


@pytest.mark.parametrize(("report", "status", "phrase"), [
    (_report(20, 0, 10.0, 12.0), Status.PASS, "20 requests compared"),
    (_report(20, 1, 10.0, 12.0), Status.FAIL, "mismatch rate 5.0% > 1.0%"),
    (_report(9, 0, 10.0, 12.0), Status.FAIL, "only 9 requests compared (need 10)"),
    (_report(20, 0, 10.0, 12.1), Status.FAIL, "candidate p95 12.1 ms > primary p95 10.0 ms × 1.2"),
    (_report(0, 0, None, None), Status.ERROR, "nothing compared"),
    (_report(20, 20, None, None, primary_failures=20), Status.ERROR, "primary answered none"),
])
def test_verdict_conditions(report: ShadowReport, status: Status, phrase: str):
    spec = ShadowSpec(id="s", kind="shadow", title="t", requests="r.jsonl", primary="http://a",
                      candidate="http://b", min_requests=10, max_mismatch_rate=0.01, p95_factor=1.2)
    verdict = shadow_verdict(report, spec, Evidence("report", path="r.json"))
    assert verdict.status is status and phrase in verdict.summary
    assert verdict.evidence[0].label == "report"
