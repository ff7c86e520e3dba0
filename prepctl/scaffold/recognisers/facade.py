"""facade: "wrap E and sibling engines in a facade F".

Example: "Wrap `dol_reg_compliance_engine` and sibling engines in a unified compliance facade
(`services/compliance_core`)."

The named engine is found in the repository; "siblings" are the packages beside it that share
its name's ending (``*_compliance_engine``), listed in the grounding. Drafted: F exists (it may
be created by the phase) and only F imports the engines (a facade contract).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure


def find_named_package(repo: Repository, name: str) -> str | None:
    """The one package folder called ``name`` (a bare name in the plan)."""
    found = sorted(d for d in repo.folders if PurePosixPath(d).name == name and repo.is_package(d))
    return found[0] if len(found) == 1 else None


def siblings(repo: Repository, folder: str) -> tuple[str, list[str]]:
    """The longest ``_``-separated name ending that ``folder`` shares with other packages beside
    it, and those packages (the folder itself included)."""
    path = PurePosixPath(folder)
    parent = str(path.parent)
    beside = sorted(d for d in repo.folders if str(PurePosixPath(d).parent) == parent and repo.is_package(d))
    words = path.name.split("_")
    for i in range(1, len(words)):
        ending = "_" + "_".join(words[i:])
        found = [d for d in beside if PurePosixPath(d).name.endswith(ending)]
        if len(found) > 1:
            return ending, found
    return "", [folder]


class FacadeRecogniser:
    name: ClassVar[str] = "facade"
    priority: ClassVar[int] = 40
    examples: ClassVar[tuple[str, ...]] = (
        "Wrap `dol_reg_compliance_engine` and sibling engines in a unified compliance facade "
        "(`services/compliance_core`).",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"\b(wrap|behind|hide)\b.*\bfacade\b"):
            return None
        named = re.search(r"\bfacade\b[^`]*`([^`]+)`", bullet.text)
        wrapped = [s for s in bullet.spans if not named or s != named[1]]
        if not named or not wrapped:
            return Unsure(self.name, "the bullet needs what is wrapped and the facade's path in code spans")
        facade_path = repo.new_path(named[1])
        facade = repo.module_of(facade_path)
        first = wrapped[0].strip("/")
        engine = repo.resolve(first) if "/" in first else find_named_package(repo, first)
        if facade is None:
            return Unsure(self.name, f"{facade_path} is not a Python package path")
        if engine is None:
            return Unsure(self.name, f"{first}: not found under the root" if "/" in first else
                          f"no single package named {first} under the root")
        module = repo.module_of(engine)
        if module is None:
            return Unsure(self.name, f"{engine} is not a Python module or package")
        grounding = [f"{wrapped[0]} is module {module} ({engine})"]
        modules = [module]
        if bullet.has(r"\bsiblings?\b", r"\bother\b.*\bengines\b", r"\ball\b.*\bengines\b"):
            ending, found = siblings(repo, engine)
            if not ending:
                return Unsure(self.name, f"the bullet names siblings of {engine}, but none shares its name's ending")
            parent = repo.module_of(str(PurePosixPath(engine).parent))
            modules = [f"{parent}.*{ending}"]
            grounding.append(f"siblings (*{ending}): {', '.join(found)}")
        state = "exists" if repo.exists(facade_path) else "will be created"
        grounding.append(f"{facade_path} {state} (module {facade})")
        return Draft(self.name, [
            Criterion("paths", f"The facade {facade_path} exists", {"exists": [f"{facade_path}/__init__.py"]},
                      "exists"),
            Criterion("imports", f"Only {facade} imports {', '.join(modules)}",
                      {"contract": {"type": "facade", "modules": modules, "facade": [facade]}}, "only"),
        ], grounding, "wrapped in a facade: the facade exists and nothing else imports what it wraps")


RECOGNISER = FacadeRecogniser()
