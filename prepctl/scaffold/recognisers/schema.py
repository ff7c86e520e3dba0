"""schema: configuration schemas beside each engine (or plugin, module ...), validated.

Example: "Ensure configuration schemas live alongside each engine with schema validation enforced by CI."

The engines are the packages whose name ends like the engines the repository has (a config file
in each); a plan that says "enforced by CI" gets a manual criterion for that part.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_CONFIG = re.compile(r"(^|/)(config|settings)\.(ya?ml|json|toml)$")


def common_ending(names: list[str]) -> str:
    """The longest ``_word_word`` ending every name shares ("" when there is none)."""
    words = names[0].split("_")
    for i in range(1, len(words)):
        ending = "_" + "_".join(words[i:])
        if all(n.endswith(ending) for n in names):
            return ending
    return ""


class SchemaRecogniser:
    name: ClassVar[str] = "schema"
    priority: ClassVar[int] = 65
    examples: ClassVar[tuple[str, ...]] = (
        "Ensure configuration schemas live alongside each engine with schema validation enforced by CI.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        found = re.search(r"\bschemas?\b.*\b(beside|alongside|next to|with(in)?)\s+(each|every)\s+"
                          r"(?P<noun>[a-z]+?)s?\b", bullet.text, re.IGNORECASE)
        if not found:
            return None
        noun = found["noun"].lower()
        configs = [f for f in repo.files if _CONFIG.search(f)]
        folders = sorted({str(PurePosixPath(f).parent) for f in configs
                          if noun in PurePosixPath(f).parent.name.lower()})
        if not folders:
            return Unsure(self.name, f"no folder named like '{noun}' with a config file under the root")
        parents = {str(PurePosixPath(f).parent) for f in folders}
        if len(parents) != 1:
            return Unsure(self.name, f"the {noun}s are in several places: {', '.join(sorted(parents))}")
        parent = parents.pop()
        names = [PurePosixPath(f).name for f in folders]
        ending = common_ending(names)
        pattern = f"{parent}/*{ending}/"
        config_names = sorted({PurePosixPath(f).name for f in configs if str(PurePosixPath(f).parent) in folders})
        options = {"engines": pattern}
        if config_names != ["config.yaml"]:
            options["config"] = config_names[0] if len(config_names) == 1 else "*"
        unchecked = ["schema validation enforced by CI"] if bullet.has(r"\bCI\b") else []
        title = f"Every {noun}'s configuration validates against a schema beside it"
        return Draft(self.name, [Criterion("schema", title, options)],
                     [f"{noun}s with a config file: {', '.join(folders)}", f"configs: {', '.join(config_names)}"],
                     f"each {noun}'s config must have a JSON Schema beside it and validate against it",
                     unchecked=unchecked)


RECOGNISER = SchemaRecogniser()
