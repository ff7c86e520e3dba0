"""`flag`: a setting defaults to a value.

Examples:
- "Harden feature flags: default `ANALYTICS_ENDPOINTS_ENABLED` to `False` until ..."
- "`MULTI_TEAM` stays off by default", "`NEW_CHECKOUT` defaults to `0`"

The setting is located with the flag reader (file:line); a setting that is nowhere to be found
leaves the bullet manual, with the names close to it.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_FALSE = {"false", "off", "disabled", "0", "no"}
_TRUE = {"true", "on", "enabled", "1", "yes"}


def literal(text: str) -> Any:
    """A plan's spelling of a value as the flag gate's ``expect``."""
    text = text.strip().strip("'\"").rstrip(".,;:")  # the end of the sentence is not the value
    word = text.lower()
    if word in _FALSE:
        return False
    if word in _TRUE:
        return True
    if re.fullmatch(r"-?\d+", word):
        return int(word)
    return text


def expected_value(bullet: Bullet, name: str) -> Any | None:
    """The default the bullet asks ``name`` to have, or None when it says none."""
    quoted = re.escape(name)
    value = r"`?(?P<v>[\w.\-]+)`?"
    patterns = (
        rf"default(?:s|ing)?\s+`{quoted}`\s+to\s+{value}",
        rf"`{quoted}`\s+(?:\w+\s+){{0,2}}defaults?\s+to\s+{value}",
        rf"\bset\s+`{quoted}`\s+to\s+{value}\s+by default",
        rf"`{quoted}`\s+(?:is|=)\s+{value}\s+by default",
        rf"`{quoted}`\s+(?:stays?|remains?|is|kept)\s+(?P<v>off|disabled|on|enabled)\b",
        rf"\bkeep\s+`{quoted}`\s+(?P<v>off|disabled|on|enabled)\b",
    )
    for pattern in patterns:
        found = re.search(pattern, bullet.text, re.IGNORECASE)
        if found:
            return literal(found["v"])
    return None


def locate(repo: Repository, name: str) -> tuple[list[str], str | None]:
    """Where ``name`` is defined (file:line, how), or why it cannot be grounded."""
    search = repo.setting(name)
    if search.definitions:
        return [f"{d.path}:{d.line} {d.how}" for d in search.definitions], None
    near = ", ".join(f"{n.name} ({n.path}:{n.line})" for n in search.near)
    return [], f"setting {name} is defined nowhere under the root" + (f"; did you mean {near}?" if near else "")


class FlagRecogniser:
    name: ClassVar[str] = "flag"
    priority: ClassVar[int] = 10
    examples: ClassVar[tuple[str, ...]] = (
        "default `ANALYTICS_ENDPOINTS_ENABLED` to `False` until the new service meets SLOs",
        "`MULTI_TEAM` defaults to `false`",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        for name in bullet.settings:
            expect = expected_value(bullet, name)
            if expect is None:
                continue
            where, problem = locate(repo, name)
            if problem:
                return Unsure(self.name, problem)
            return Draft(self.name, [Criterion("flag", f"{name} defaults to {expect}",
                                               {"name": name, "expect": expect})],
                         [f"{name} defined at {w}" for w in where],
                         f"the bullet sets the default of {name} to {expect!r}")
        return None


RECOGNISER = FlagRecogniser()
