"""Recorded sign-offs: who approved what, in the sign-off file next to phases.yaml.

The file is YAML: ``signoffs: [{phase, criterion?, role, name, email?, date}]``. An entry without
``criterion`` approves the phase's RFC; with one, it signs off a ``manual`` criterion.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prepctl.errors import ConfigError, Problem
from prepctl.fileio import atomic_write_text
from prepctl.plan.model import LoadedPlan
from prepctl.plan.yamlload import read_yaml_with_positions


class SignOff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phase: str
    criterion: str | None = None
    role: str
    name: str
    email: str | None = None
    date: date
    #: RFC approvals: the content digest of the RFC that was approved (see prepctl.signoff.content).
    rfc_digest: str | None = None


class SignOffFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signoffs: list[SignOff] = Field(default_factory=list)


def signoff_path(plan: LoadedPlan) -> Path:
    return plan.config_dir / plan.model.signoffs


def load_signoffs(plan: LoadedPlan) -> list[SignOff]:
    """All recorded sign-offs; a missing file means none. A malformed file is a ConfigError."""
    path = signoff_path(plan)
    if not path.exists():
        return []
    raw, positions = read_yaml_with_positions(path)
    if raw is None:
        return []
    try:
        return SignOffFile.model_validate(raw).signoffs
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line, col = next((positions[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in positions),
                             (1, 1))
            problems.append(Problem(file=str(path), line=line, column=col,
                                    message=f"{'.'.join(map(str, loc))}: {err['msg']}",
                                    hint="each entry needs phase, role, name and date (YYYY-MM-DD)"))
        raise ConfigError(problems) from None


def append_signoff(plan: LoadedPlan, signoff: SignOff) -> Path:
    """Add one sign-off, keeping every existing byte of the file (comments included)."""
    import yaml

    path = signoff_path(plan)
    load_signoffs(plan)  # refuse to append to a file we cannot read back
    entry = yaml.safe_dump([signoff.model_dump(mode="json", exclude_none=True)], sort_keys=False)
    entry = "".join("  " + line + "\n" for line in entry.splitlines())
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        if "signoffs:" not in text or text.rstrip().endswith("signoffs: []"):
            text = text.replace("signoffs: []", "signoffs:") if "signoffs: []" in text else text + "signoffs:\n"
    else:
        text = "# Sign-offs recorded with `prepctl signoff`. Commit this file.\nsignoffs:\n"
    atomic_write_text(path, text + entry)
    return path
