"""Shared grounding of module names for the import recognisers: a path or dotted name written in
the plan, resolved to a module of the repository (or to one the plan says will be created)."""

from __future__ import annotations

import re

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import PlanContext

_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][\w/]*(\.py)?/?$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def module_target(repo: Repository, span: str) -> tuple[str, str | None] | None:
    """``(module, where it is)`` for a span that names a module: ``prep/models/orm.py``,
    ``prep/bookings`` or ``prep.models.orm``; ``where`` is None when no such module exists.
    None when the span names no module at all."""
    span = span.strip()
    if span.startswith("/") or "*" in span:
        return None
    if _DOTTED.match(span) and not span.endswith((".py", ".md", ".yaml", ".yml", ".json", ".toml")):
        module = span
        return module, (module if repo.has_module(module) else None)
    if ("/" not in span and not span.endswith(".py")) or not _IDENTIFIER_PATH.match(span):
        return None
    rel = span.strip("/")
    found = repo.resolve(rel)
    module = repo.module_of(found or rel)
    if module is None:
        return None
    return module, found


def orm_module(repo: Repository, plan: PlanContext) -> tuple[str, str] | None:
    """The module "the ORM" means: one named in the plan (a span whose file is orm.py or
    models.py), else the one module of the repository named ``orm``. With where it was found."""
    for other, span in plan.spans():
        found = module_target(repo, span)
        if found and found[1] is not None and found[0].rpartition(".")[2] in ("orm", "models"):
            return found[0], f"named in {plan.plan_file}:{other.line} as {span}"
    named = sorted({m for f in repo.files if f.endswith(".py")
                    for m in [repo.module_of(f)] if m and m.rpartition(".")[2] == "orm"})
    if len(named) == 1:
        return named[0], "the one module named orm in the repository"
    return None


def package_modules(repo: Repository, spans: list[str]) -> tuple[list[str], list[str]]:
    """The modules of the spans that name existing modules, and the spans that name missing ones."""
    found: list[str] = []
    missing: list[str] = []
    for span in spans:
        target = module_target(repo, span)
        if target is None:
            continue
        if target[1] is None:
            missing.append(span)
        else:
            found.append(target[0])
    return found, missing
