"""`prepctl render runbook`: outage sections for each extracted service, merged into RUNBOOK.md.

Each service in phases.yaml's ``services:`` gets one region named after its id. The runbook is
built from the plan alone (owners, the kill-switch flag, SLO objectives, alert names), never from
live verdicts, so `render runbook --check` in CI only fails when the plan or the template changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prepctl.documents import output
from prepctl.documents.engine import Renderer
from prepctl.documents.output import DocFormat, Planned
from prepctl.documents.views import value_text
from prepctl.errors import ConfigError, PrepctlError, Problem
from prepctl.fileio import output_target
from prepctl.plan.model import CriterionSpec, LoadedPlan, Service

TEMPLATE = "runbook.md.j2"
RUNBOOK = "RUNBOOK.md"


@dataclass(frozen=True)
class ObjectiveView:
    name: str
    query: str
    how: str
    passes: str
    warns: str


@dataclass(frozen=True)
class SloView:
    ref: str
    title: str
    kind: str
    objectives: tuple[ObjectiveView, ...]
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FlagView:
    name: str
    off_value: str
    code_default: str
    checked_by: tuple[str, ...]
    rolled_back_by: tuple[str, ...]


@dataclass(frozen=True)
class ServiceView:
    id: str
    title: str
    phase: str
    phase_title: str
    owners: tuple[str, ...]
    escalation: tuple[str, ...]
    flag: FlagView | None
    slos: tuple[SloView, ...]
    alerts: tuple[str, ...]
    dashboards: tuple[str, ...]
    symptoms: tuple[str, ...]


def _criterion(plan: LoadedPlan, ref: str) -> CriterionSpec:
    phase_id, _, crit_id = ref.partition("/")
    for spec in plan.phase(phase_id).criteria:
        if spec.id == crit_id:
            return spec
    raise ConfigError(Problem(file=str(plan.path), message=f"unknown criterion '{ref}'"))


def _objectives(spec: CriterionSpec) -> tuple[ObjectiveView, ...]:
    """SLO objectives as the `slo` kind declares them; other kinds have none."""
    data: dict[str, Any] = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    found = []
    for obj in data.get("objectives") or []:
        if not isinstance(obj, dict):
            continue
        how = []
        if obj.get("window"):
            how.append(f"{obj.get('aggregate') or 'last'} over {obj['window']}")
        passes = obj.get("pass") or []
        warns = obj.get("warn") or []
        found.append(ObjectiveView(
            name=value_text(obj.get("name", "")), query=value_text(obj.get("query", "")),
            how=", ".join(how) or "instant",
            passes=" and ".join(value_text(p) for p in (passes if isinstance(passes, list) else [passes])),
            warns=" and ".join(value_text(w) for w in (warns if isinstance(warns, list) else [warns]))))
    return tuple(found)


def _flag_view(plan: LoadedPlan, service: Service) -> FlagView | None:
    if service.flag is None:
        return None
    checked, defaults = [], []
    for phase in plan.phases:
        for spec in phase.criteria:
            flags = spec.flags_checked()
            if service.flag in flags:
                checked.append(f"{phase.id}/{spec.id}")
                expect = flags[service.flag]
                if expect is not None:
                    defaults.append(value_text(expect))
    rolled_back = tuple(p.id for p in plan.phases if service.flag in p.rollback_flags)
    default = " / ".join(dict.fromkeys(defaults)) if defaults else ""
    return FlagView(service.flag, service.flag_off, default, tuple(checked), rolled_back)


def service_view(plan: LoadedPlan, service: Service) -> ServiceView:
    phase = plan.phase(service.phase) if service.phase else None
    slos = []
    for ref in service.slos:
        spec = _criterion(plan, ref)
        options = tuple((k, value_text(v)) for k, v in spec.model_dump(
            mode="json", by_alias=True, exclude_defaults=True).items()
            if k not in ("id", "kind", "title", "description", "advisory", "objectives"))
        slos.append(SloView(ref, value_text(spec.title), spec.kind, _objectives(spec), options))
    return ServiceView(
        id=service.id, title=value_text(service.title), phase=phase.id if phase else "",
        phase_title=value_text(phase.title) if phase else "", owners=tuple(service.owners),
        escalation=tuple(service.escalation or service.owners), flag=_flag_view(plan, service),
        slos=tuple(slos), alerts=tuple(service.alerts), dashboards=tuple(service.dashboards),
        symptoms=tuple(service.symptoms))


def render_text(plan: LoadedPlan, renderer: Renderer | None = None) -> str:
    if not plan.model.services:
        raise PrepctlError(Problem(file=str(plan.path), message="no services to write a runbook for",
                                   hint="add a services: section (id, title, owners, flag, slos, "
                                   "alerts) to phases.yaml"))
    renderer = renderer or Renderer(plan.config_dir)
    services = [service_view(plan, s) for s in plan.model.services]
    return renderer.render(TEMPLATE, plan_name=value_text(plan.model.name), services=services)


def default_target(plan: LoadedPlan) -> Path:
    """RUNBOOK.md at the monolith's root (so `--root` picks another checkout's runbook)."""
    return plan.root / RUNBOOK


def render_runbook(plan: LoadedPlan, fmt: DocFormat = DocFormat.markdown,
                   target: Path | None = None) -> Planned:
    # A FIFO, device or dangling link is refused before it is read (a FIFO would block the read).
    output_target(target or default_target(plan))
    renderer = Renderer(plan.config_dir)
    markdown = render_text(plan, renderer)
    if fmt is DocFormat.html:
        if target is None:
            raise PrepctlError(Problem(file="--out", message="--format html needs --out FILE (or -)",
                                       hint="RUNBOOK.md itself stays Markdown"))
        html = output.html_document(renderer, markdown, output.first_heading(markdown, "Runbook"))
        return output.plan_html(target, html)
    return output.plan_markdown(target or default_target(plan), markdown)
