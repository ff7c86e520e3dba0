"""The options of a `signoff` criterion, and what they mean for one phase: its RFC and its roles."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from prepctl.plan.model import CriterionSpec, LoadedPlan, Phase

DEFAULT_RFC = "docs/rfc/{phase}.md"


class SignoffSpec(CriterionSpec):
    kind: Literal["signoff"]
    rfc: str = Field(DEFAULT_RFC, description="The RFC file, relative to phases.yaml; "
                     "{phase} is replaced by the phase id.")
    roles: list[str] | None = Field(None, min_length=1, description="Roles that must approve "
                                    "(default: every role under the phase's approvers).")
    trailer: str = Field("Approved-by", pattern=r"^[A-Za-z][A-Za-z0-9-]*$",
                         description="The commit trailer that records an approval.")

    needs_person: ClassVar[bool] = True


def default_spec() -> SignoffSpec:
    return SignoffSpec(id="rfc-signed-off", kind="signoff", title="RFC signed off")


def spec_for(phase: Phase) -> SignoffSpec:
    """The phase's `signoff` criterion, or the defaults when it declares none."""
    for spec in phase.criteria:
        if isinstance(spec, SignoffSpec):
            return spec
    return default_spec()


def rfc_path(plan: LoadedPlan, phase: Phase, spec: SignoffSpec | None = None) -> Path:
    spec = spec or spec_for(phase)
    return plan.config_dir / spec.rfc.replace("{phase}", phase.id)


def required_roles(phase: Phase, spec: SignoffSpec) -> list[tuple[str, str | None]]:
    """(role, the name that must sign it or None) for every role that must approve."""
    names = {a.role: a.name for a in phase.approvers}
    roles = spec.roles or list(dict.fromkeys(a.role for a in phase.approvers))
    return [(role, names.get(role)) for role in roles]
