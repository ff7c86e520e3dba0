"""Shared helpers for the documents tests (tests/documents/): a small project in a temp git
repo, and a headless-Chromium driver speaking the DevTools protocol."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HOSTILE = "<script>alert(1)</script>"

PLAN = """\
version: 1
name: Docs test plan
start_date: 2026-01-05
root: mono
phases:
  - id: phase-0
    title: Stabilize
    weeks: 0-1
    owners: [Ada Owner]
    approvers:
      - {role: tech-lead, name: Ada Owner}
      - {role: dba}
    tasks: [Close the P1 backlog]
    deliverables: [Signed-off RFC for phase 0]
    risks: [New defects keep arriving]
    criteria:
      - id: no-open-p1
        kind: issues
        title: All P0/P1 defects closed
        report: REMAINING_ISSUES_REPORT.md
        severities: [P0, P1]
        max_open: 0
      - id: app-exists
        kind: paths
        title: The app exists
        exists: [app/main.py]
      - id: rfc-signed-off
        kind: signoff
        title: RFC signed off
  - id: phase-1
    title: Extract analytics
    weeks: 2-4
    depends_on: [phase-0]
    owners: [Bo Builder]
    approvers:
      - {role: tech-lead, name: Bo Builder}
    tasks: [Move analytics into services/analytics]
    rollback_flags: [ANALYTICS_ON]
    criteria:
      - id: service-exists
        kind: paths
        title: services/analytics exists
        exists: [services/analytics/__init__.py]
      - id: replica
        kind: manual
        title: Read replica stood up
        role: dba
      - id: app-audit
        kind: imports
        title: Who imports the app
        contract: {type: audit, target: app.main}
services:
  - id: analytics
    title: Analytics API
    phase: phase-1
    owners: [Bo Builder]
    escalation: [Primary on-call, Bo Builder]
    flag: ANALYTICS_ON
    slos: [phase-1/service-exists]
    alerts: [AnalyticsDown]
    symptoms: [Dashboards are empty]
  - id: compliance
    title: Compliance core
    owners: [Cy Checker]
    flag: COMPLIANCE_ON
    alerts: [ComplianceDown]
"""

RUNBOOK = """\
# Runbook

Hand-written intro. Keep me.

## Notes

- Never restart workers at dinner time.
"""


def issues_report(open_title: str | None) -> str:
    lines = ["# Issues", "", "## P1 — High", "", "- [x] PREP-1 Closed long ago"]
    if open_title is not None:
        lines.append(f"- [ ] PREP-2 {open_title}")
    return "\n".join(lines) + "\n"


GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": tempfile.gettempdir()}


@dataclass
class Project:
    dir: Path
    git: bool = True
    env: dict[str, str] = field(default_factory=dict)

    @property
    def plan(self) -> Path:
        return self.dir / "phases.yaml"

    @property
    def mono(self) -> Path:
        return self.dir / "mono"

    def rfc(self, phase: str = "phase-0") -> Path:
        return self.dir / "docs" / "rfc" / f"{phase}.md"

    def run_git(self, *args: str, date: str | None = None) -> str:
        env = {**os.environ, **GIT_ENV}
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        proc = subprocess.run(["git", *args], cwd=self.dir, env=env, capture_output=True, text=True,
                              check=True)
        return proc.stdout

    def commit(self, message: str, date: str | None = None) -> str:
        self.run_git("add", "-A")
        self.run_git("commit", "-q", "--allow-empty", "-m", message, date=date)
        return self.run_git("rev-parse", "HEAD").strip()

    def load(self):
        from tests.support.plans import load_plan

        return load_plan(self.plan)


def make_project(base: Path, open_issue: str | None = None, git: bool = True) -> Project:
    project = Project(base / "proj", git=git)
    mono = project.mono
    (mono / "app").mkdir(parents=True)
    (mono / "app" / "main.py").write_text("print('app')\n", encoding="utf-8")
    (mono / "REMAINING_ISSUES_REPORT.md").write_text(issues_report(open_issue), encoding="utf-8")
    (mono / "RUNBOOK.md").write_text(RUNBOOK, encoding="utf-8")
    project.plan.write_text(PLAN, encoding="utf-8")
    if git:
        if shutil.which("git") is None:
            pytest.fail("git not found: install the Debian package 'git'")
        project.run_git("init", "-q", "-b", "main")
        project.commit("initial", date="2026-01-01T10:00:00+00:00")
    return project


def dedent(text: str) -> str:
    return textwrap.dedent(text)


# ---------------------------------------------------------------- headless Chromium


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio"]


@dataclass
class PageReport:
    console: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    log_entries: list[dict[str, Any]]
    dialogs: list[dict[str, Any]]
    screenshot_png: bytes
    evaluations: dict[str, Any]


class DevTools:
    """The few DevTools-protocol calls the dashboard test needs, over one page's websocket."""

    def __init__(self, ws: Any):
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        self.next_id += 1
        wanted = self.next_id
        self.ws.send(json.dumps({"id": wanted, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer to {method} within {timeout}s")
            message = json.loads(self.ws.recv(timeout=remaining))
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        for message in self.events:
            if message.get("method") == event:
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {event} within {timeout}s")
            message = json.loads(self.ws.recv(timeout=remaining))
            self.events.append(message)
            if message.get("method") == event:
                return message


def open_in_chromium(page: Path, tmp: Path, expressions: dict[str, str]) -> PageReport:
    """Load ``page`` in headless Chromium; return console output, exceptions, dialogs, a
    screenshot and the values of ``expressions`` evaluated in the page."""
    import httpx

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("chromium not found: install the Debian package 'chromium' (scripts/test.sh does)")
    profile = tmp / "chromium-profile"
    profile.mkdir()
    # Chromium's stderr goes to a file: a pipe nobody reads would fill up and stall it.
    log = tmp / "chromium.log"
    proc = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                             "--window-size=1280,1800", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"), stdin=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None:
                pytest.fail(f"chromium exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("chromium did not open its DevTools port within 60s")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        targets = []
        while time.monotonic() < deadline:
            listing = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10, trust_env=False)
            targets = [t for t in listing.json() if t.get("type") == "page"]
            if targets:
                break
            time.sleep(0.1)
        assert targets, "chromium has no page target"
        from websockets.sync.client import connect

        with connect(targets[0]["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024, open_timeout=20,
                     proxy=None) as ws:
            tools = DevTools(ws)
            for domain in ("Page", "Runtime", "Log"):
                tools.call(f"{domain}.enable")
            tools.call("Emulation.setDeviceMetricsOverride",
                       {"width": 1280, "height": 1800, "deviceScaleFactor": 1, "mobile": False})
            tools.events.clear()
            tools.call("Page.navigate", {"url": page.resolve().as_uri()})
            tools.wait_for("Page.loadEventFired")
            shot = tools.call("Page.captureScreenshot", {"format": "png"})
            values = {}
            for name, expression in expressions.items():
                result = tools.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
                values[name] = result.get("result", {}).get("value")
            # Events that arrive after load (late console errors) are still collected.
            tools.call("Runtime.evaluate", {"expression": "1"})
            events = tools.events
            return PageReport(
                console=[e["params"] for e in events if e.get("method") == "Runtime.consoleAPICalled"],
                exceptions=[e["params"] for e in events if e.get("method") == "Runtime.exceptionThrown"],
                log_entries=[e["params"]["entry"] for e in events if e.get("method") == "Log.entryAdded"],
                dialogs=[e["params"] for e in events if e.get("method") == "Page.javascriptDialogOpening"],
                screenshot_png=base64.b64decode(shot["data"]), evaluations=values)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
