"""Gate kind `shadow`: recorded traffic replayed against the monolith and the extracted service
shows parity.

```yaml
- id: shadow-parity
  kind: shadow
  title: Shadow traffic from the monolith to the new services shows parity
  requests: shadow/requests.jsonl          # JSONL or HAR, relative to root:
  primary: ${PREP_MONOLITH_URL:-http://127.0.0.1:8000}
  secondary: ${PREP_MONOLITH_2_URL:-http://127.0.0.1:8001}
  candidate: ${ANALYTICS_API_URL:-http://127.0.0.1:8100}
  min_requests: 10
  max_mismatch_rate: 0.01
  p95_factor: 1.5
  ignore: [$.generated_at]
```

Passes when at least ``min_requests`` were compared, the mismatch rate after noise is at most
``max_mismatch_rate``, and the candidate's p95 latency is at most the primary's × ``p95_factor``.
The JSON and HTML reports are written under ``.prepctl/shadow/<phase>/<criterion>/`` next to
phases.yaml (or ``out:``) and linked from the evidence. The gate reads running services, so it is
live: `gate --at REV` reports it as skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from prepctl import workdir
from prepctl.errors import GateError, PrepctlError
from prepctl.gates.base import Gate
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import Evidence, Status, Verdict

if TYPE_CHECKING:
    from prepctl.shadow.recorded import RecordedRequest
    from prepctl.shadow.report import ShadowReport

#: Differences and error kinds quoted as evidence (the report has them all).
EVIDENCE_ITEMS = 5


class ShadowSpec(CriterionSpec):
    kind: Literal["shadow"]
    requests: str = Field(description="JSONL or HAR file of recorded requests, relative to root: "
                          "(or absolute).")
    primary: str = Field(description="Base URL of the known-good primary (the monolith's route). "
                         "${VAR:-default} is expanded.")
    candidate: str = Field(description="Base URL of the candidate (the extracted service).")
    secondary: str | None = Field(None, description="Base URL of a second primary instance; fields "
                                  "that differ between the two primaries are noise. The primary's own URL "
                                  "works too: each request then reaches it twice.")
    min_requests: int = Field(ge=1, description="Requests that must be compared at least.")
    max_mismatch_rate: float = Field(ge=0, le=1, description="Largest mismatch rate (after noise) "
                                     "that passes, 0..1.")
    p95_factor: float = Field(gt=0, description="Candidate p95 latency may be at most primary p95 × this.")
    headers: list[str] = Field(default_factory=lambda: ["content-type"],
                               description="Response headers compared (case-insensitive).")
    ignore: list[str] = Field(default_factory=list, description="Fields never compared: JSON paths "
                              "($.meta.request_id, $.items[*].ts, $.meta.* ), 'status', 'body', "
                              "'header:NAME'.")
    relative_threshold: float = Field(20.0, ge=0, le=100, description="Diffy relative threshold, %.")
    absolute_threshold: float = Field(0.03, ge=0, le=100, description="Diffy absolute threshold, %.")
    concurrency: int = Field(8, ge=1, le=256, description="Recorded requests in flight at once.")
    rate: float = Field(50.0, ge=0, description="Recorded requests started per second at most; 0: no cap.")
    timeout: float = Field(10.0, gt=0, le=600, description="Seconds one side may take for one request.")
    max_seconds: float = Field(120.0, gt=0, le=86400, description="Seconds the whole replay may take.")
    allow_side_effects: bool = Field(False, description="Also replay methods other than GET/HEAD.")
    out: str | None = Field(None, description="Report folder, relative to phases.yaml "
                            "(default .prepctl/shadow/<phase>/<criterion>).")

    @field_validator("primary", "candidate", "secondary", mode="before")
    @classmethod
    def _expand_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        from prepctl.plan.sources import expand_env

        url = expand_env(value)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} expands to {url!r}, which is not an http(s) base URL")
        if parts.query or parts.fragment:
            raise ValueError("a base URL takes no query or fragment; put those in the requests file")
        return url

    @field_validator("ignore")
    @classmethod
    def _ignore_patterns(cls, value: list[str]) -> list[str]:
        from prepctl.shadow.compare import check_ignore_pattern

        for pattern in value:
            check_ignore_pattern(pattern)
        return value


class ShadowGate(Gate[ShadowSpec]):
    kind = "shadow"
    options = ShadowSpec
    live = True

    def check(self, spec: ShadowSpec, phase: Phase, ctx: GateContext) -> Verdict:
        from prepctl.shadow.compare import CompareRules
        from prepctl.shadow.noise import NoiseThresholds
        from prepctl.shadow.replay import ReplaySettings, Targets
        from prepctl.shadow.run import ShadowJob, run_shadow, write_report

        requests = _load_requests(spec, ctx)
        try:
            targets = Targets(spec.primary, spec.candidate, spec.secondary)
        except PrepctlError as exc:
            raise GateError(str(exc)) from None
        job = ShadowJob(
            requests=requests, requests_file=spec.requests, targets=targets,
            replay=ReplaySettings(concurrency=spec.concurrency, rate=spec.rate, timeout=spec.timeout,
                                  max_seconds=spec.max_seconds, allow_side_effects=spec.allow_side_effects),
            rules=CompareRules(headers=tuple(spec.headers), ignore=tuple(spec.ignore)),
            thresholds=NoiseThresholds(spec.relative_threshold, spec.absolute_threshold),
        )
        report = run_shadow(job)
        out_dir = (ctx.plan.config_dir / spec.out if spec.out else
                   workdir.shadow_dir(ctx.plan.config_dir, phase.id, spec.id))
        try:
            files = write_report(report, out_dir)
        except OSError as exc:
            raise GateError(f"cannot write the shadow report to {out_dir}: {exc}") from None
        link = Evidence("report", path=str(files.json), url=files.html.resolve().as_uri())
        return shadow_verdict(report, spec, link)


def _load_requests(spec: ShadowSpec, ctx: GateContext) -> list[RecordedRequest]:
    from prepctl.shadow.recorded import parse_requests

    path = Path(spec.requests)
    try:
        text = path.read_text(encoding="utf-8") if path.is_absolute() else ctx.tree.read_text(spec.requests)
    except FileNotFoundError:
        raise GateError(f"requests file {spec.requests} not found (relative to root {ctx.tree.label}); "
                        "record requests as JSONL or export a HAR file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"cannot read requests file {spec.requests}: {exc}") from None
    try:
        return parse_requests(text, spec.requests)
    except PrepctlError as exc:
        raise GateError(str(exc)) from None


def shadow_verdict(report: ShadowReport, spec: ShadowSpec, link: Evidence) -> Verdict:
    """Judge a ShadowReport against the criterion's three conditions. Pure: tested on its own."""
    from prepctl.shadow.render import percent, short

    evidence = [link]
    for group in report.errors[:EVIDENCE_ITEMS]:
        example = group.examples[0] if group.examples else None
        evidence.append(Evidence(f"{group.side}: {group.kind}", path=spec.requests,
                                 line=example.line if example else None,
                                 value=f"{group.count} request(s)" + (f", e.g. {example.request}" if example
                                                                       else "")))
    if report.compared == 0:
        why = "every request was skipped" if report.skipped and not report.not_run else (
            "the run deadline cut every request off" if report.not_run else "no request was replayed")
        return Verdict.of(Status.ERROR, f"nothing compared: {why}", evidence)
    if report.primary_failures == report.compared:
        kinds = ", ".join(sorted({g.kind for g in report.errors_for("primary")}))
        return Verdict.of(Status.ERROR, f"the primary answered none of {report.compared} requests "
                          f"({kinds}): no baseline to compare with", evidence)

    problems: list[str] = []
    evidence.append(Evidence("requests compared", value=report.compared, expected=f">= {spec.min_requests}"))
    if report.compared < spec.min_requests:
        problems.append(f"only {report.compared} requests compared (need {spec.min_requests})")

    rate = report.mismatch_rate
    evidence.append(Evidence("mismatch rate", value=round(rate, 4), expected=f"<= {spec.max_mismatch_rate}"))
    if rate > spec.max_mismatch_rate:
        failure_kinds = [f"{g.side}: {g.kind}" for g in report.errors
                         if g.side in ("primary", "candidate") and not g.kind.startswith("http ")]
        detail = "; ".join(failure_kinds[:3] + [f"{d.field} ({d.endpoint})" for d in report.differences[:3]])
        problems.append(f"mismatch rate {percent(rate)} > {percent(spec.max_mismatch_rate)} "
                        f"({report.mismatched} of {report.compared})" + (f": {detail}" if detail else ""))
    for finding in report.differences[:EVIDENCE_ITEMS]:
        example = finding.examples[0] if finding.examples else None
        value = f"{finding.count} of {finding.requests} request(s) differ"
        if example:
            value += (f"; e.g. {example.ref.request} {example.path}: primary {short(example.primary)}, "
                      f"candidate {short(example.candidate)}")
        evidence.append(Evidence(f"difference {finding.field} ({finding.endpoint})", path=spec.requests,
                                 line=example.ref.line if example else None, value=value,
                                 expected=f"noise {finding.noise_count}" if report.with_secondary else None))

    primary_p95 = report.latency["primary"].p95_ms
    candidate_p95 = report.latency["candidate"].p95_ms
    if candidate_p95 is None or primary_p95 is None:
        problems.append("candidate p95 latency unknown: it answered no request")
        evidence.append(Evidence("candidate p95 ms", value=None, expected=f"<= primary p95 × {spec.p95_factor}"))
    else:
        limit = primary_p95 * spec.p95_factor
        evidence.append(Evidence("candidate p95 ms", value=candidate_p95,
                                 expected=f"<= {limit:.2f} (primary p95 {primary_p95} × {spec.p95_factor})"))
        if candidate_p95 > limit:
            problems.append(f"candidate p95 {candidate_p95} ms > primary p95 {primary_p95} ms × "
                            f"{spec.p95_factor}")
    if problems:
        return Verdict.of(Status.FAIL, "; ".join(problems), evidence)
    noise = f", {len(report.noise)} noisy field(s) ignored" if report.noise else ""
    return Verdict.of(Status.PASS, f"{report.compared} requests compared, mismatch rate {percent(rate)}"
                      f"{noise}; candidate p95 {candidate_p95} ms vs primary {primary_p95} ms", evidence)
