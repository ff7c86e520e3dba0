"""split: "split A into x, y, z under D/".

Example: "Split `prep/models/orm.py` into schema-specific modules (bookings, kitchens, reviews)
under `prep/models/domains/`."

Drafted: each new module exists (D/x.py ...), and the new modules do not import each other (an
independence contract over ``D.*``; it errors until D exists: a contract about nothing proves
nothing).
"""

from __future__ import annotations

import re
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_SPLIT = re.compile(r"\bsplit\s+`(?P<src>[^`]+)`\s+into\b(?P<parts>.*?)\b(under|in|below)\s+`(?P<dst>[^`]+)`",
                    re.IGNORECASE)
_NAMES = re.compile(r"\(([^)]*)\)")


def part_names(text: str) -> list[str]:
    found = _NAMES.search(text)
    words = found[1] if found else text
    names = [w.strip(" `") for w in re.split(r",|\band\b", words)]
    return [n for n in names if n.isidentifier()]


class SplitRecogniser:
    name: ClassVar[str] = "split"
    priority: ClassVar[int] = 35
    examples: ClassVar[tuple[str, ...]] = (
        "Split `prep/models/orm.py` into schema-specific modules (bookings, kitchens, reviews) under "
        "`prep/models/domains/`.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        found = _SPLIT.search(bullet.text)
        if not found:
            return None
        source, folder = found["src"].strip("/"), found["dst"].strip("/")
        names = part_names(found["parts"])
        if not names:
            return Unsure(self.name, "the bullet does not name the new modules")
        if repo.resolve(source) is None:
            return Unsure(self.name, f"{source} (what is split) does not exist under the root")
        source, folder = repo.resolve(source) or source, repo.new_path(folder)
        package = repo.module_of(folder)
        if package is None:
            return Unsure(self.name, f"{folder} is not a Python package path")
        exists = [f"{folder}/{n}.py" for n in names]
        have = [p for p in exists if repo.exists(p) or repo.is_dir(p[:-3])]
        grounding = [f"{source} exists", f"{folder} {'exists' if repo.is_dir(folder) else 'will be created'}",
                     f"new modules: {', '.join(names)}" + (f" ({len(have)} exist already)" if have else "")]
        return Draft(self.name, [
            Criterion("paths", f"{source} split into {folder}/ ({', '.join(names)})", {"exists": exists}, "modules"),
            Criterion("imports", f"The modules under {folder}/ do not import each other",
                      {"contract": {"type": "independence", "modules": [f"{package}.*"]}}, "independent"),
        ], grounding, "a split is done when each new module exists and they are independent of each other")


RECOGNISER = SplitRecogniser()
