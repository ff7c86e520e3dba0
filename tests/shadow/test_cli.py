"""`prepctl shadow` as a user runs it: a subprocess against real loopback servers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.shadow_servers import AppBehaviour, Trio, dead_url, serve

TOKEN = "cli-bearer-3c9d1e7f55"


def _shadow(requests: Path, trio: Trio, *extra: str, secondary: bool = True) -> tuple[int, str, str]:
    args = ["shadow", "--requests", requests, "--primary", trio.primary.url, "--candidate", trio.candidate.url,
            "--rate", "0", *extra]
    if secondary:
        args += ["--secondary", trio.secondary.url]
    result = run_cli(*args)
    assert "Traceback" not in result.stderr
    return result.code, result.stdout, result.stderr


def _with_token(requests_file: Path) -> Path:
    """The test traffic plus a request carrying a bearer token that the candidate echoes back."""
    text = requests_file.read_text(encoding="utf-8")
    text += json.dumps({"path": "/echo-auth", "headers": {"Authorization": f"Bearer {TOKEN}"}}) + "\n"
    requests_file.write_text(text, encoding="utf-8")
    return requests_file


def test_json_report_has_the_documented_keys(shadow_trio: Trio, requests_file: Path):
    code, out, _ = _shadow(requests_file, shadow_trio, "--format", "json")
    assert code == 1  # mismatches above the default --max-mismatch-rate 0
    report = json.loads(out)
    assert {"compared", "match_rate", "differences", "noise", "latency", "errors"} <= set(report)
    assert report["compared"] == 11 and report["match_rate"] == round(6 / 11, 4)
    confirmed = next(d for d in report["differences"] if d["field"] == "$.confirmed")
    assert confirmed["count"] == 4 and {"field", "count", "examples"} <= set(confirmed)
    assert confirmed["examples"][0]["request"] == "GET /api/v1/analytics"
    assert {n["field"] for n in report["noise"]} == {"$.generated_at", "$.request_id"}
    assert set(report["latency"]["candidate"]) >= {"p50_ms", "p95_ms", "p99_ms"}
    assert {(e["side"], e["kind"]) for e in report["errors"]} == {("candidate", "http 500")}
    assert report["skipped"][0]["request"] == "POST /api/v1/analytics/refresh"


def test_table_output_and_mismatch_rate_threshold(shadow_trio: Trio, requests_file: Path):
    code, out, _ = _shadow(requests_file, shadow_trio, "--max-mismatch-rate", "0.5")
    assert code == 0
    for heading in ("Differences (after noise)", "Noise", "Latency (ms)", "Errors", "Skipped"):
        assert heading in out
    assert "$.confirmed" in out and "requests.jsonl:1" in out and "http 500" in out


@pytest.mark.browser
def test_html_report_opens_in_chromium_and_nothing_leaks(shadow_trio: Trio, requests_file: Path,
                                                         tmp_path: Path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is missing: install the Debian package 'chromium' (scripts/test.sh does)"
    out_dir = tmp_path / "report"
    code, stdout, stderr = _shadow(_with_token(requests_file), shadow_trio, "--out", str(out_dir))
    assert code == 1
    html = out_dir / "shadow-report.html"
    assert f"report: {html}" in stderr
    saved = json.loads((out_dir / "shadow-report.json").read_text(encoding="utf-8"))
    assert saved["compared"] == 12
    # The candidate saw the token (it echoes it back), yet no output shows it.
    assert any(s.headers.get("Authorization") == f"Bearer {TOKEN}" for s in shadow_trio.candidate.state.seen)
    for text in (stdout, stderr, html.read_text(encoding="utf-8"), json.dumps(saved)):
        assert TOKEN not in text
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'chrome'}",
         "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert 'id="differences"' in dom and 'id="noise"' in dom and 'id="errors"' in dom
    assert "$.confirmed" in dom and "http 500" in dom and "$.generated_at" in dom
    assert TOKEN not in dom


def test_dead_candidate_reports_connection_refused(shadow_trio: Trio, requests_file: Path):
    result = run_cli("shadow", "--requests", requests_file, "--primary", shadow_trio.primary.url,
                     "--candidate", dead_url(), "--format", "json", "--rate", "0")
    assert result.code == 1 and "Traceback" not in result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert errors == [{"side": "candidate", "kind": "connection refused", "count": 11,
                       "examples": errors[0]["examples"], "detail": errors[0]["detail"]}]


@pytest.mark.live
def test_clean_candidate_exits_0(tmp_path: Path, requests_file: Path):
    with serve(AppBehaviour("primary")) as primary, serve(AppBehaviour("secondary")) as secondary, \
            serve(AppBehaviour("clean-candidate")) as candidate:
        result = run_cli("shadow", "-r", requests_file, "--primary", primary.url, "--secondary", secondary.url,
                         "--candidate", candidate.url, "--rate", "0")
    assert result.code == 0, result.stdout + result.stderr
    assert "11 compared, 11 matched (100.0%)" in result.stdout


def test_allow_side_effects_replays_the_post(shadow_trio: Trio, requests_file: Path):
    code, out, _ = _shadow(requests_file, shadow_trio, "--format", "json", "--allow-side-effects")
    assert json.loads(out)["compared"] == 12
    assert "POST" in shadow_trio.primary.state.methods()


def test_bad_input_exits_2_with_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"path": "/ok"}\n{"path": "/x", "hedaers": {}}\n', encoding="utf-8")
    result = run_cli("shadow", "-r", bad, "--primary", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert f"{bad}:2: unknown key 'hedaers' (did you mean 'headers'?)" in result.stderr
    result = run_cli("shadow", "-r", tmp_path / "missing.jsonl", "--primary", "http://x", "--candidate", "http://y")
    assert result.code == 2 and "requests file not found" in result.stderr
    good = tmp_path / "good.jsonl"
    good.write_text('{"path": "/ok"}\n', encoding="utf-8")
    result = run_cli("shadow", "-r", good, "--primary", "ftp://host", "--candidate", "http://127.0.0.1:9")
    assert result.code == 2 and "--primary: 'ftp://host' is not an http(s) URL" in result.stderr
    result = run_cli("shadow", "-r", good, "--primary", "http://a", "--candidate", "http://b", "--ignore", "x.y")
    assert result.code == 2 and "--ignore: ignore pattern 'x.y' must start with '$'" in result.stderr
    result = run_cli("shadow", "-r", good, "--primary", "http://a", "--candidate", "http://b", "--concurrency", "0")
    assert result.code == 2 and "Traceback" not in result.stderr


def test_unreachable_primary_exits_2(tmp_path: Path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"path": "/ok"}\n', encoding="utf-8")
    result = run_cli("shadow", "-r", good, "--primary", dead_url(), "--candidate", dead_url())
    assert result.code == 2 and "nothing could be compared" in result.stderr
    assert "primary    connection refused" in result.stdout
