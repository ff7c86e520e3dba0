"""move: "move X from A into B".

Example: "Move FastAPI routers from `prep/analytics` into a dedicated `services/analytics_api`
package with an internal client for the monolith."

Drafted: B exists (a package the plan says will be created is a valid target), the moved things
are gone from A (routers: the files under A that define an ``APIRouter``, ``Blueprint`` or
``urlpatterns``), and nothing imports A but B. What the bullet adds after B ("with an internal
client") is not checked by these gates and gets a manual criterion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_MOVE = re.compile(r"\b(move|moves|moved|relocate|extract)\b(?P<what>[^`]*?)(\bfrom\s+)?`(?P<src>[^`]+)`"
                   r"[^`]*?\b(into|to)\b[^`]*`(?P<dst>[^`]+)`(?P<rest>.*)$", re.IGNORECASE)
_ROUTER = re.compile(r"\bAPIRouter\s*\(|\bBlueprint\s*\(|^\s*urlpatterns\s*=", re.MULTILINE)


@dataclass(frozen=True)
class Move:
    what: str
    source: str
    target: str
    rest: str


def parse_move(bullet: Bullet) -> Move | None:
    found = _MOVE.search(bullet.text)
    if not found:
        return None
    rest = found["rest"].strip(" .;")
    rest = re.sub(r"^(package|module|service|folder)\b", "", rest).strip(" .;,")
    what = re.sub(r"^(the|all|every)\s+", "", found["what"].strip(), flags=re.IGNORECASE)
    return Move(what, found["src"].strip("/"), found["dst"].strip("/"), rest)


class MoveRecogniser:
    name: ClassVar[str] = "move"
    priority: ClassVar[int] = 30
    examples: ClassVar[tuple[str, ...]] = (
        "Move FastAPI routers from `prep/analytics` into a dedicated `services/analytics_api` package",
        "Move `shop/billing` into `services/billing`",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        move = parse_move(bullet)
        if move is None:
            return None
        found = repo.resolve(move.source)
        if found is None:
            return Unsure(self.name, f"{move.source} (what is moved) does not exist under the root")
        move = Move(move.what, found, repo.new_path(move.target), move.rest)
        source_module = repo.module_of(move.source)
        target_module = repo.module_of(move.target)
        if source_module is None or target_module is None:
            return Unsure(self.name, f"{move.source} or {move.target} is not a Python package path")
        grounding = [f"{move.source} is package {source_module}"]
        target_exists = repo.exists(move.target)
        grounding.append(f"{move.target} {'exists' if target_exists else 'will be created'} "
                         f"(module {target_module})")
        marker = f"{move.target}/__init__.py" if repo.is_package(move.source) else move.target
        criteria = [Criterion("paths", f"{move.target} exists", {"exists": [marker]}, "target")]
        if re.search(r"\brout(er|es|ing)s?\b", move.what, re.IGNORECASE):
            routers = [f for f in repo.files if f.startswith(move.source + "/") and f.endswith(".py")
                       and _ROUTER.search(repo.read(f) or "")]
            if not routers:
                return Unsure(self.name, f"the bullet moves routers, but no file under {move.source} defines one")
            grounding.append(f"routers under {move.source}: {', '.join(routers)}")
            criteria.append(Criterion("paths", f"The routers are gone from {move.source}",
                                      {"absent": routers}, "gone"))
        elif move.what.strip():
            return Unsure(self.name, f"cannot tell which files '{move.what.strip()}' are under {move.source}")
        else:
            criteria.append(Criterion("paths", f"{move.source} is gone", {"absent": [move.source + "/**"]}, "gone"))
        sources = [t for t in repo.top_packages()]
        criteria.append(Criterion("imports", f"Nothing but {target_module} imports {source_module}", {"contract": {
            "type": "forbidden", "source": sources, "forbidden": [source_module],
            "ignore_imports": [f"{target_module} -> {source_module}"],
            "missing_ok": True}}, "unused"))
        grounding.append(f"importers checked: every top-level package ({', '.join(sources)}) but {target_module}")
        return Draft(self.name, criteria, grounding,
                     f"a move is done when {move.target} exists, the moved code is gone from {move.source} "
                     f"and nothing but {target_module} imports {source_module} (deleting it also keeps that)",
                     unchecked=[move.rest] if move.rest else [])


RECOGNISER = MoveRecogniser()
