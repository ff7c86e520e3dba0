"""Recognisers: one small module per kind of bullet, registered like gate kinds.

A plugin adds one through the ``prepctl.recognisers`` entry-point group (value:
``module:object``, an object with ``name``, ``priority``, ``examples`` and ``recognise``; see
:mod:`.interface`). Built-in names win over plugins of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

from prepctl.registry import Registry
from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Draft, PlanContext, Recogniser, Unsure

_PACKAGE = "prepctl.scaffold.recognisers"

RECOGNISERS: Registry[Recogniser] = Registry(what="recogniser", group="prepctl.recognisers", builtins={
    name: f"{_PACKAGE}.{module}:RECOGNISER" for name, module in {
        "acyclic": "acyclic", "command": "command", "decommission": "decommission", "facade": "facade",
        "flag": "flag", "forbidden": "forbidden", "imports-audit": "imports_audit", "incidents": "incidents",
        "issues": "issues", "move": "move", "openapi": "openapi", "schema": "schema", "shadow": "shadow",
        "signoff": "signoff", "slo": "slo", "split": "split",
    }.items()})


@dataclass
class Decision:
    """What became of one bullet: a draft of gates, or manual with the reasons."""

    bullet: Bullet
    draft: Draft | None
    unsure: list[Unsure]

    @property
    def kind(self) -> str:
        return ", ".join(dict.fromkeys(c.kind for c in self.draft.criteria)) if self.draft else "manual"


def in_order() -> list[Recogniser]:
    found = [recogniser for _, recogniser in RECOGNISERS.items()]
    return sorted(found, key=lambda r: (r.priority, r.name))


def decide(bullet: Bullet, repo: Repository, plan: PlanContext) -> Decision:
    """The first recogniser (by priority) that is sure wins; the unsure ones explain a manual bullet."""
    unsure: list[Unsure] = []
    for recogniser in in_order():
        try:
            outcome = recogniser.recognise(bullet, repo, plan)
        except Exception as exc:  # noqa: BLE001 - a broken recogniser leaves the bullet manual, never a traceback
            unsure.append(Unsure(recogniser.name, f"recogniser failed ({type(exc).__name__}: {exc})"))
            continue
        if isinstance(outcome, Draft):
            return Decision(bullet, outcome, unsure)
        if isinstance(outcome, Unsure):
            unsure.append(outcome)
    return Decision(bullet, None, unsure)
