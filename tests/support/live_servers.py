"""Real Prometheus and Alertmanager for the live-evidence tests (Debian's packages).

Each server runs on 127.0.0.1 on a free port with a temporary data folder and is stopped at the
end of the session. Prometheus is loaded before it starts with deterministic data written as
OpenMetrics and backfilled with ``promtool tsdb create-blocks-from openmetrics``. The data runs
from two hours before the session started to an hour after it, so "now" stays inside it however
slow the machine is. Missing binaries fail the tests loudly: they are never skipped.
"""

from __future__ import annotations

import json
import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.paths import EXAMPLE

EXAMPLE_SNAPSHOT = EXAMPLE / "monitoring" / "prometheus-snapshot.om"

#: Per-minute increments of each histogram bucket (cumulative), per service. With constant
#: increments, histogram_quantile over rate() gives exactly what ``expected_quantile`` computes.
HISTOGRAMS: dict[str, dict[str, int]] = {
    # p95 = 0.25 + 0.25 * (190 - 120) / (196 - 120) ≈ 0.4803
    "prep-api": {"0.1": 40, "0.25": 120, "0.5": 196, "1": 199, "2.5": 200, "+Inf": 200},
    # p95 ≈ 0.4881: 1.6% slower than prep-api
    "analytics-api": {"0.1": 30, "0.25": 110, "0.5": 194, "1": 199, "2.5": 200, "+Inf": 200},
    # p95 ≈ 0.8846: 84% slower than prep-api
    "analytics-api-slow": {"0.1": 20, "0.25": 60, "0.5": 170, "1": 196, "2.5": 200, "+Inf": 200},
}
BEFORE = 2 * 3600  # seconds of data before the session's start
AFTER = 3600  # and after it
STALE_END = 40 * 60  # the stale series stops this long before the start


def expected_quantile(q: float, buckets: dict[str, int]) -> float:
    """Prometheus's histogram_quantile for cumulative bucket counts (linear within a bucket)."""
    bounds = sorted(((math.inf if le == "+Inf" else float(le)), n) for le, n in buckets.items())
    total = bounds[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in bounds:
        if count >= rank:
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    raise AssertionError("unreachable")


def live_openmetrics(t0: int) -> str:
    """The test data, one sample per minute from t0 - BEFORE to t0 + AFTER."""
    times = range(t0 - BEFORE, t0 + AFTER + 1, 60)
    lines = ["# HELP http_request_duration_seconds Request latency.",
             "# TYPE http_request_duration_seconds histogram"]
    for service, buckets in HISTOGRAMS.items():
        for le, per_minute in buckets.items():
            # Counters start well above zero so rate()'s extrapolation is the same for every bucket.
            lines += [f'http_request_duration_seconds_bucket{{service="{service}",le="{le}"}} '
                      f"{per_minute * (1000 + i)} {ts}" for i, ts in enumerate(times)]
        total = buckets["+Inf"]
        lines += [f'http_request_duration_seconds_count{{service="{service}"}} {total * (1000 + i)} {ts}'
                  for i, ts in enumerate(times)]
    lines += ["# TYPE test_latency_seconds gauge"]
    lines += [f'test_latency_seconds{{service="steady"}} 0.3 {ts}' for ts in times]
    lines += ["# TYPE test_ratio gauge"]
    lines += [f'test_ratio{{kind="nan"}} NaN {ts}' for ts in times]
    lines += [f'test_ratio{{kind="inf"}} +Inf {ts}' for ts in times]
    lines += ["# TYPE test_stale_seconds gauge"]
    lines += [f'test_stale_seconds{{service="gone"}} 0.2 {ts}' for ts in times if ts <= t0 - STALE_END]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def shifted_snapshot(text: str, offset: int) -> str:
    """The example snapshot with every timestamp moved by ``offset`` seconds."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            out.append(line)
            continue
        head, _, stamp = line.rpartition(" ")
        out.append(f"{head} {int(float(stamp)) + offset}")
    return "\n".join(out) + "\n"


def snapshot_end(text: str) -> int:
    return max(int(float(line.rpartition(" ")[2])) for line in text.splitlines()
               if line.strip() and not line.startswith("#"))


def require_binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: the live tests need Debian's {package} package "
                    f"(apt-get install {package}; scripts/test.sh does this)", pytrace=False)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, log: Path, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"{what} was not ready within {timeout}s:\n{log.read_text()[-3000:]}", pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class PrometheusServer:
    url: str
    t0: int  # the session's start, rounded down to a minute: "now" of the data
    snapshot_offset: int  # seconds the example snapshot was shifted by when loaded

    def query(self, promql: str) -> dict:
        data = urllib.parse.urlencode({"query": promql}).encode()
        with urllib.request.urlopen(f"{self.url}/api/v1/query", data=data, timeout=10) as response:
            return json.loads(response.read())


@dataclass
class AlertmanagerServer:
    url: str
    runs: list[str] = field(default_factory=list)

    def new_run(self) -> str:
        """A label value unique to one test, so tests sharing the server never see each other's alerts."""
        run = uuid.uuid4().hex[:12]
        self.runs.append(run)
        return run

    def _send(self, method: str, path: str, body: object | None = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text.strip() else None

    def fire(self, labels: dict[str, str], started: datetime | None = None) -> None:
        now = datetime.now(UTC)
        self._send("POST", "/api/v2/alerts", [{
            "labels": labels,
            "annotations": {"summary": "test alert"},
            "startsAt": (started or now - timedelta(minutes=5)).isoformat(),
            "endsAt": (now + timedelta(hours=2)).isoformat(),
        }])
        self.wait_for(labels, lambda alert: True)

    def silence(self, matchers: dict[str, str]) -> str:
        now = datetime.now(UTC)
        answer = self._send("POST", "/api/v2/silences", {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=2)).isoformat(),
            "createdBy": "prepctl tests", "comment": "silenced by a test",
        })
        assert isinstance(answer, dict)
        return str(answer["silenceID"])

    def alerts(self) -> list[dict]:
        found = self._send("GET", "/api/v2/alerts")
        assert isinstance(found, list)
        return found

    def wait_for(self, labels: dict[str, str], condition, timeout: float = 20) -> dict:
        """Wait until Alertmanager shows the alert and ``condition(alert)`` holds (it works async)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for alert in self.alerts():
                if all(alert["labels"].get(k) == v for k, v in labels.items()) and condition(alert):
                    return alert
            time.sleep(0.1)
        raise AssertionError(f"Alertmanager never showed {labels} as expected: {self.alerts()}")


@contextmanager
def running_prometheus(folder: Path) -> Iterator[PrometheusServer]:
    """Prometheus loaded with the test data, its files in ``folder``, stopped on exit."""
    binary = require_binary("prometheus", "prometheus")
    promtool = require_binary("promtool", "prometheus")
    data = folder / "data"
    data.mkdir()
    t0 = int(time.time()) // 60 * 60
    example = EXAMPLE_SNAPSHOT.read_text(encoding="utf-8")
    offset = t0 - snapshot_end(example)
    for name, text in (("test.om", live_openmetrics(t0)), ("example.om", shifted_snapshot(example, offset))):
        source = folder / name
        source.write_text(text, encoding="utf-8")
        made = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
                              capture_output=True, text=True, timeout=120)
        if made.returncode != 0:
            pytest.fail(f"promtool could not backfill {name}:\n{made.stdout}\n{made.stderr}", pytrace=False)
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n", encoding="utf-8")
    port = free_port()
    log = folder / "prometheus.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=3650d"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/-/ready", process, log, "prometheus")
        yield PrometheusServer(url, t0, offset)
    finally:
        _stop(process)


ALERTMANAGER_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
inhibit_rules:
  # A maintenance window mutes the sev0/sev1 alerts of the same test run.
  - source_matchers: ['alertname="MaintenanceWindow"']
    target_matchers: ['severity=~"sev0|sev1"']
    equal: [run]
"""


@contextmanager
def running_alertmanager(folder: Path) -> Iterator[AlertmanagerServer]:
    """Alertmanager with the tests' inhibition rule, its files in ``folder``, stopped on exit."""
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    config = folder / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG, encoding="utf-8")
    port = free_port()
    log = folder / "alertmanager.log"
    with log.open("w") as out:
        # An empty cluster address turns clustering off: no second port, no gossip.
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/-/ready", process, log, "alertmanager")
        yield AlertmanagerServer(url)
    finally:
        _stop(process)


# ---------------------------------------------------------------- plans for the live tests


def write_live_plan(folder: Path, sources: dict, phases: list[dict] | None = None,
                    criteria: list[dict] | None = None) -> Path:
    """phases.yaml in ``folder`` (also the root) from plain data: one phase ``p`` or ``phases``."""
    import yaml

    if phases is None:
        phases = [{"id": "p", "title": "Test phase", "weeks": "0-1", "owners": ["tester"],
                   "criteria": criteria or []}]
    for phase in phases:
        phase.setdefault("title", phase["id"])
        phase.setdefault("weeks", "0-1")
        phase.setdefault("owners", ["tester"])
    plan = {"version": 1, "name": "live test plan", "root": ".", "sources": sources, "phases": phases}
    path = folder / "phases.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


def slo(objectives: list[dict], id: str = "slos", **extra: object) -> dict:
    return {"id": id, "kind": "slo", "title": "SLOs", "objectives": objectives, **extra}


def run_gate(path: Path, phase: str = "p"):
    """Evaluate one phase in-process; returns its PhaseResult."""
    from prepctl.evaluate import evaluate
    from tests.support.plans import load_plan

    report = evaluate(load_plan(path), [phase])
    return report.phases[0]


def only_criterion(path: Path, phase: str = "p"):
    result = run_gate(path, phase)
    assert len(result.criteria) == 1
    return result.criteria[0]


def evidence_text(criterion) -> str:
    return "\n".join(f"{e.label} | {e.value} | {e.expected}" for e in criterion.verdict.evidence)
