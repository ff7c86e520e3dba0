"""What the formats share: untrusted text made clean, and the report as plain data (JSON)."""

from __future__ import annotations

from typing import Any

from prepctl.inert import inert
from prepctl.secrets import redact
from prepctl.verdicts import CriterionResult, GateReport, PhaseResult

#: Bump when the JSON layout changes incompatibly; documented in docs/formats.md.
JSON_SCHEMA_VERSION = 1


def clean(text: object) -> str:
    """Untrusted text made inert (see prepctl.inert) with every known secret redacted.

    Redacted before (a secret holding ``<`` or ``::`` still matches) and after (a secret split by
    an escape sequence is whole again once the sequence is stripped).
    """
    return redact(inert(redact(str(text))))


def clean_value(value: object) -> object:
    """A Jinja ``finalize``: every ``{{ … }}`` output of a template is clean, whatever filter a
    template forgets. A str subclass keeps its type, so markupsafe's Markup stays Markup (safe
    HTML is not escaped twice; removing controls and breaking commands cannot make a tag)."""
    if isinstance(value, str):
        return type(value)(clean(value))
    return value


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
