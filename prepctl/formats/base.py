"""What the formats share: untrusted text made clean, and the report as plain data (JSON)."""

from __future__ import annotations

from typing import Any

from prepctl.verdicts import CriterionResult, GateReport, PhaseResult

#: Bump when the JSON layout changes incompatibly; documented in docs/formats.md.
JSON_SCHEMA_VERSION = 1


def criterion_dict(result: CriterionResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "kind": result.kind,
        "title": result.title,
        "advisory": result.advisory,
        "status": result.status.value,
        "summary": result.verdict.summary,
        "evidence": [e.to_dict() for e in result.verdict.evidence],
        "seconds": result.seconds,
    }


def phase_dict(phase: PhaseResult) -> dict[str, Any]:
    return {
        "phase": phase.phase,
        "title": phase.title,
        "status": phase.status.value,
        "revision": phase.revision,
        "criteria": [criterion_dict(c) for c in phase.criteria],
    }


def report_dict(report: GateReport) -> dict[str, Any]:
    """Single phase: phase fields at top level. Several phases: a `phases` list."""
    from prepctl import __version__

    head: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": f"prepctl {__version__}",
        "status": report.status.value,
        "config": report.config_path,
        "root": report.root,
        "revision": report.revision,
        "strict": report.strict,
    }
    if len(report.phases) == 1:
        body = phase_dict(report.phases[0])
        body.pop("status")
        body.pop("revision")
        return {**head, **body}
    return {**head, "phases": [phase_dict(p) for p in report.phases]}
