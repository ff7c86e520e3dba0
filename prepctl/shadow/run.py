"""One shadow run from start to report, shared by `prepctl shadow` and the `shadow` gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prepctl.fileio import atomic_write_text
from prepctl.shadow.compare import CompareRules
from prepctl.shadow.noise import NoiseThresholds
from prepctl.shadow.recorded import RecordedRequest
from prepctl.shadow.replay import ProgressCallback, ReplaySettings, Targets, replay
from prepctl.shadow.report import ShadowReport, build_report

REPORT_JSON = "shadow-report.json"
REPORT_HTML = "shadow-report.html"


@dataclass(frozen=True)
class ShadowJob:
    requests: list[RecordedRequest]
    #: Where the requests came from, for the report.
    requests_file: str
    targets: Targets
    replay: ReplaySettings = field(default_factory=ReplaySettings)
    rules: CompareRules = field(default_factory=CompareRules)
    thresholds: NoiseThresholds = field(default_factory=NoiseThresholds)


@dataclass(frozen=True)
class ReportFiles:
    json: Path
    html: Path


def run_shadow(job: ShadowJob, on_progress: ProgressCallback | None = None) -> ShadowReport:
    result = replay(job.requests, job.targets, job.replay, on_progress)
    return build_report(result, job.targets, job.rules, job.thresholds, job.replay,
                        requests_file=job.requests_file, total_requests=len(job.requests))


def write_report(report: ShadowReport, out_dir: Path) -> ReportFiles:
    """Write the JSON and HTML reports into ``out_dir`` (created if needed), each atomically."""
    from prepctl.shadow.html import render_html
    from prepctl.shadow.render import render_json

    files = ReportFiles(json=out_dir / REPORT_JSON, html=out_dir / REPORT_HTML)
    atomic_write_text(files.json, render_json(report))
    atomic_write_text(files.html, render_html(report))
    return files
