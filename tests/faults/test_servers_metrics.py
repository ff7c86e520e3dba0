"""Fault corpus, servers category, metrics and alerts: `prepctl gate` against a hostile Prometheus
and Alertmanager (``fake_servers``), run as a user would (a subprocess, ``--format json``).

Each case names the defect it guards and what the truth is. Only the controls (``healthy*``, and
an answer that is truly fine) may pass; a case whose truth is failing may fail; every other case
must be ``error``. For every case: no traceback, bounded time, and the token (sent as a Bearer
header, echoed back by some modes) is in no output and no file under the plan's folder.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.fake_servers import ALERTMANAGER_MODES, PROMETHEUS_MODES, fake_server
from tests.support.fault_harness import Expect, check, run_prepctl

TOKEN = "tok-fault-8c1e5d27a9"
TOKEN_ENV = "PREPCTL_FAULT_TOKEN"
URL_USER, URL_PASSWORD = "fault-user", "pa55word-fault-31"
#: Short on purpose: the slow modes must end in error quickly, and the whole corpus stay fast.
HTTP = {"timeout": 1.5, "retries": 1, "backoff": 0.01, "budget": 8}
#: Seconds a case may take: the HTTP budget plus prepctl's start-up, with room for a busy machine.
BOUNDED = 30.0

INSTANT = {"name": "latency", "query": "latency_seconds", "pass": "< 1"}
WINDOW = {"name": "latency", "query": "latency_seconds", "window": "1h", "aggregate": "max", "pass": "< 1"}


@dataclass(frozen=True)
class ServerCase:
    name: str
    defect: str  # what it guards: an issue 12 item, or "hostile" for a case of our own
    kind: str  # slo-instant, slo-window or incidents
    mode: str
    statuses: tuple[str, ...] = ("error",)  # what the criterion may end as
    codes: tuple[int, ...] = (2,)
    mentions: tuple[str, ...] = ()
    userinfo: bool = False  # put user:password@ in the source's URL


def slo(mode: str, defect: str, *mentions: str, statuses: tuple[str, ...] = ("error",),
        codes: tuple[int, ...] = (2,), window: bool = False) -> ServerCase:
    kind = "slo-window" if window else "slo-instant"
    return ServerCase(f"{kind}-{mode}", defect, kind, mode, statuses, codes, mentions)


def am(mode: str, defect: str, *mentions: str, statuses: tuple[str, ...] = ("error",),
       codes: tuple[int, ...] = (2,)) -> ServerCase:
    return ServerCase(f"incidents-{mode}", defect, "incidents", mode, statuses, codes, mentions)


PASS = {"statuses": ("pass",), "codes": (0,)}
FAIL = {"statuses": ("fail",), "codes": (1,)}
D1 = "issue 12 §1: slo false pass on samples from the wrong time"
D2 = "issue 12 §2: incidents false pass on a malformed silencedBy"
D3 = "issue 12 §10: raw exception text for hostile numbers"
D4 = "issue 12 §6: credentials in URLs and echoed headers"
D5 = "issue 12 deliver §1: hostile server modes"
OWN = "hostile: a case of our own"

CASES: list[ServerCase] = [
    # ---- controls: the stand-in is sound, so the failures below are the hostility's
    slo("healthy", "control", **PASS),
    slo("healthy", "control", window=True, **PASS),
    slo("healthy-chunked", "control", **PASS),
    slo("healthy-gzip", "control", **PASS),
    slo("healthy-redirect", "control: a same-server redirect is followed", **PASS),
    slo("echo-auth-label", "control: a passing answer that echoes the token in a label", **PASS),
    am("healthy", "control", **PASS),
    am("healthy-silenced", "control", "is silenced (5e1f-silence)", **PASS),
    am("healthy-inhibited", "control", "is inhibited (abc-inhibitor)", **PASS),
    # ---- the truth is failing: fail (or error), never pass
    am("firing", "control: a firing alert fails", **FAIL),
    am("firing-unprocessed", "state unprocessed counts", **FAIL),
    slo("huge-value", D3 + " (a value of 1e300 is a number, and too high)", **FAIL),
    # ---- defect 1: time sanity
    slo("future", D1, "is in the future"),
    slo("future", D1, "is in the future", window=True),
    slo("future-minute", D1, "is in the future"),
    slo("future-last-point", D1, "is in the future", window=True),
    slo("stale", D1, "before the instant query time"),
    slo("stale", D1, "before the start of the queried range", window=True),
    slo("stale-window", D1, "more than max_staleness"),
    slo("stale-window", OWN + ": a window whose newest point is 30m old", "stale: newest point is 30m old",
        window=True),
    slo("epoch-1970", D1, "sample stamped 1970-01-01T00:00:00Z"),
    slo("epoch-1970", D1, "sample stamped 1970-01-01T00:00:00Z", window=True),
    slo("scalar-future", D1 + " (a scalar answer)", "is in the future"),
    slo("unsorted-points", OWN + ": 'last' and staleness would read an old point as the newest",
        "samples out of time order", window=True),
    slo("duplicate-timestamps", OWN, "two samples stamped", window=True),
    # ---- defect 3 / §10: numbers that are not numbers give a clear message
    slo("nan-timestamp", D3, "timestamp 'NaN' is not a time"),
    slo("inf-timestamp", D3, "timestamp '+Inf' is not a time"),
    slo("huge-timestamp", D3, "timestamp 1e+300 is not a time"),
    slo("huge-timestamp", D3, "timestamp 1e+300 is not a time", window=True),
    slo("negative-timestamp", OWN, "timestamp -1 is not a time"),
    slo("string-timestamp", OWN, "timestamp is not a number"),
    slo("nan-value", OWN, "value is NaN"),
    slo("nan-value", OWN, "value is NaN", window=True),
    slo("inf-value", OWN, "value is ±Inf"),
    slo("neg-inf-value", OWN, "value is ±Inf"),
    slo("null-value", OWN, "not a number"),
    slo("retry-after-nan", D3, "HTTP 429", "Retry-After nan (not a number of seconds or a date: ignored)"),
    slo("retry-after-inf", D3, "HTTP 429", "ignored"),
    slo("retry-after-negative", D3, "HTTP 429"),
    slo("retry-after-huge", D3, "HTTP 429", "past the time budget"),
    slo("retry-after-past-date", D3, "HTTP 429"),
    slo("retry-after-far-date", D3, "HTTP 429", "past the time budget"),
    # ---- shapes
    slo("empty", D5, "empty result"),
    slo("empty", D5, "empty result", window=True),
    slo("wrong-result-type", D5, "returned a string"),
    slo("status-error", OWN, "parse error"),
    slo("no-data", OWN, "without data.resultType"),
    slo("null-body", OWN, "answered null"),
    slo("list-body", OWN, "answered list"),
    slo("metric-not-object", OWN, "malformed vector element"),
    slo("values-not-list", OWN, "without values"),
    slo("native-histogram", OWN, "native histogram"),
    slo("partial-response", OWN + ": a store did not answer; the missing series may be the failing one",
        "the answer may be partial", statuses=("warn",), codes=(0,)),
    slo("vector-for-range", OWN + ": a window query answered with one instant point; max over it "
        "passed while the window was never measured", "not a matrix", window=True),
    slo("success-with-error", OWN + ": status success beside an error passed", "together with an error",
        "store gateway timed out"),
    slo("data-null", OWN, "without data.resultType"),
    slo("two-series-one-breaching", OWN + ": one fine series must not hide a breaching one",
        "batch", "= 5 -> fail", **FAIL),
    slo("two-series-one-breaching", OWN, "batch", "= 5 -> fail", window=True, **FAIL),
    slo("labels-differ-in-case", OWN + ": label names differing only in case are two series",
        "Job", "= 5 -> fail", **FAIL),
    slo("many-series-one-breaching", OWN + ": 100,001 series listed one by one in every output (minutes, "
        "a summary megabytes long); the breaching one must still be named", "breach", "more series not listed",
        **FAIL),
    # ---- transport
    slo("http10-cut", OWN + ": HTTP/1.0, no Content-Length, cut mid-body", "malformed JSON"),
    slo("slow", D5, "(timeout)"),
    slo("slow-body", D5 + " (a body trickled a byte at a time)", "(timeout)"),
    slo("slow-headers", OWN + ": headers trickled a byte at a time", "(timeout)"),
    slo("truncated", D5, "broke off"),
    slo("chunked-endless", D5, "larger than 32 MiB"),
    slo("chunked-broken", D5, "broke off"),
    slo("gzip-bomb", D5, "larger than 32 MiB once decoded"),
    slo("gzip-broken", OWN),
    slo("huge-body", D5, "larger than 32 MiB"),
    slo("wrong-content-type", D5, "not JSON"),
    slo("html-200", D5, "not JSON"),
    slo("redirect-other-host", D5 + "; " + D4, "redirects to another server"),
    slo("redirect-loop", D5, "more than 5 redirects"),
    slo("echo-auth-401", D4, "HTTP 401", "Bearer ***"),
    slo("echo-auth-500", D4, "HTTP 500", "Bearer ***"),
    slo("reset-connection", OWN),
    ServerCase("slo-instant-userinfo-url", D4, "slo-instant", "healthy", ("error",), (2,), userinfo=True),
    ServerCase("incidents-userinfo-url", D4, "incidents", "healthy", ("error",), (2,), userinfo=True),
    # ---- defect 2: strict Alertmanager alerts
    am("silenced-by-string", D2, "status.silencedBy: must be a list of ids", "fingerprint 'f00dfeed'"),
    am("silenced-by-empty-id", D2, "status.silencedBy[0]: must be a non-empty id"),
    am("silenced-by-null", D2, "status.silencedBy[0]: must be a non-empty id"),
    am("silenced-by-object", D2, "status.silencedBy: must be a list"),
    am("inhibited-by-string", D2, "status.inhibitedBy: must be a list"),
    am("active-yet-silenced", D2, "status.state is active, yet status.silencedBy names 5e1f"),
    am("suppressed-by-nothing", D2, "nothing suppresses it"),
    am("unknown-state", D2, "unknown state 'resolved'"),
    am("state-missing", D2, "unknown state 'None'"),
    am("label-not-string", D2, "labels.severity: must be a string"),
    am("labels-missing", D2, "labels: must be an object"),
    am("starts-at-garbage", D2, "startsAt: 'yesterday' is not an RFC 3339 time"),
    am("starts-at-impossible", D2, "not a valid date"),
    am("ends-before-start", D2, "is before startsAt"),
    am("fingerprint-missing", D2, "fingerprint: must be a non-empty string"),
    am("alert-not-object", D2, "an alert must be an object"),
    am("alerts-not-list", OWN, "instead of a list of alerts"),
    am("alerts-null", OWN, "answered null"),
    am("one-bad-among-good", D2, "fingerprint 'bad1'"),
    am("ended-yet-active", OWN + ": endsAt in the past, state still active: it counts", **FAIL),
    am("not-alertmanager", OWN, "does not answer like an Alertmanager v2 API"),
    # ---- the same transport hostility in front of Alertmanager
    am("healthy-gzip", "control", **PASS),
    am("healthy-redirect", "control: a same-server redirect is followed", **PASS),
    am("slow", D5, "(timeout)"),
    am("gzip-bomb", D5, "larger than 32 MiB once decoded"),
    am("html-200", D5, "not JSON"),
    am("redirect-other-host", D5 + "; " + D4, "redirects to another server"),
    am("echo-auth-401", D4, "HTTP 401", "Bearer ***"),
    am("retry-after-nan", D3, "HTTP 429"),
]


def write_plan(folder: Path, case: ServerCase, url: str) -> Path:
    if case.userinfo:
        url = url.replace("://", f"://{URL_USER}:{URL_PASSWORD}@")
    if case.kind == "incidents":
        sources = {"alertmanager": {"url": url, "token_env": TOKEN_ENV}, "http": HTTP}
        criterion = {"id": "incidents", "kind": "incidents", "title": "No Sev-1",
                     "matchers": ['severity=~"sev0|sev1"']}
    else:
        sources = {"prometheus": {"url": url, "token_env": TOKEN_ENV}, "http": HTTP}
        criterion = {"id": "slos", "kind": "slo", "title": "SLOs",
                     "objectives": [WINDOW if case.kind == "slo-window" else INSTANT]}
    plan = {"version": 1, "name": "fault corpus", "root": ".", "sources": sources,
            "phases": [{"id": "p", "title": "P", "weeks": "0-1", "owners": ["tester"], "criteria": [criterion]}]}
    path = folder / "phases.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


def test_every_mode_has_a_case():
    # A mode the fake offers but no case runs would be a hostility silently untested.
    used = {(c.kind == "incidents", c.mode) for c in CASES}
    missing = [m for m in PROMETHEUS_MODES if (False, m) not in used]  # all on Prometheus; some on both
    missing += [m for m in ALERTMANAGER_MODES if (True, m) not in used]
    assert missing == []


@pytest.mark.live
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_metrics_servers(case: ServerCase, tmp_path: Path):
    with fake_server(case.mode) as server:
        plan = write_plan(tmp_path, case, server.url)
        outcome = run_prepctl("-c", plan, "gate", "p", "--format", "json", cwd=tmp_path,
                              env={TOKEN_ENV: TOKEN}, limit=BOUNDED + 30)
    basic = base64.b64encode(f"{URL_USER}:{URL_PASSWORD}".encode()).decode()
    secrets = [TOKEN, base64.b64encode(f"Bearer {TOKEN}".encode()).decode()]
    if case.userinfo:
        secrets += [URL_PASSWORD, basic]
    criterion = None if case.userinfo else ("incidents" if case.kind == "incidents" else "slos")
    # Everything prepctl may have written (history, reports), not the plan that holds the URL.
    written = [p for p in tmp_path.iterdir() if p != plan]
    check(outcome, Expect(codes=case.codes, criterion=criterion, statuses=case.statuses,
                          mentions=case.mentions, secrets=secrets, scan=written))
    assert outcome.seconds < BOUNDED, f"{case.name}: took {outcome.seconds:.1f}s"
    # The token was sent only to the configured server and only where asked: never after a
    # redirect to another host (which the fake would log under /stolen).
    assert not [r for r in server.log if r.path.startswith("/stolen")], server.log
    if case.userinfo:
        assert all(URL_PASSWORD not in r.authorization and basic not in r.authorization for r in server.log)
    elif case.mode.startswith("healthy") and case.statuses == ("pass",):
        assert server.log and all(r.authorization == f"Bearer {TOKEN}" for r in server.log)
