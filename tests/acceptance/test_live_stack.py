"""scripts/live-stack.sh: starts Prometheus + Alertmanager with demo data, idempotently."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.cli import run_cli
from tests.support.live_servers import free_port, require_binary
from tests.support.paths import PHASES, REPO

pytestmark = pytest.mark.live


def test_live_stack_starts_once_serves_the_example_and_stops(tmp_path):
    require_binary("prometheus", "prometheus")
    require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    prom, am = free_port(), free_port()
    env = {"PREPCTL_LIVE_DIR": str(tmp_path / "stack"), "PREPCTL_PROM_PORT": str(prom),
           "PREPCTL_AM_PORT": str(am), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}

    def script(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(REPO / "scripts" / "live-stack.sh"), *args], env=env,
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    try:
        first = script()
        assert first.returncode == 0, first.stderr
        assert f"Prometheus:   http://127.0.0.1:{prom}" in first.stdout
        assert f"export PREPCTL_ALERTMANAGER_URL=http://127.0.0.1:{am}" in first.stdout
        second = script("start")
        assert second.returncode == 0, second.stderr
        assert "Prometheus already running" in second.stdout and "Alertmanager already running" in second.stdout

        live = {"PREPCTL_PROMETHEUS_URL": f"http://127.0.0.1:{prom}",
                "PREPCTL_ALERTMANAGER_URL": f"http://127.0.0.1:{am}"}
        report = json.loads(run_cli("-c", PHASES, "gate", "phase-0", "--format", "json", env=live).stdout)
        by_id = {c["id"]: c for c in report["criteria"]}
        assert by_id["analytics-freeze-thresholds"]["status"] == "pass"
        assert any(e.get("url", "").startswith(f"http://127.0.0.1:{prom}/graph")
                   for e in by_id["analytics-freeze-thresholds"]["evidence"])
        assert by_id["no-sev0-sev1-incidents"]["status"] == "pass"
        assert "1 silenced/inhibited not counted" in by_id["no-sev0-sev1-incidents"]["summary"]

        assert script("fire").returncode == 0
        report = json.loads(run_cli("-c", PHASES, "gate", "phase-0", "--format", "json", env=live).stdout)
        incidents = next(c for c in report["criteria"] if c["id"] == "no-sev0-sev1-incidents")
        assert incidents["status"] == "fail" and "ApiErrorBudgetBurn" in incidents["summary"]
    finally:
        stopped = script("stop")
    assert "stopped prometheus" in stopped.stdout and "stopped alertmanager" in stopped.stdout
    assert "prometheus: stopped" in script("status").stdout
