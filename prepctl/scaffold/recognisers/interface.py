"""What a recogniser is: it reads one bullet of a plan and, when it is sure, drafts the evidence
gate(s) that check it, grounded in the repository.

A recogniser answers with a :class:`Draft` (sure: these criteria, this grounding, this reason),
an :class:`Unsure` (the wording is its kind, but the repository does not back it up, so the bullet
stays ``manual`` and the reason is shown), or ``None`` (not its kind). A draft must never be
weaker than the bullet: where the bullet also asks for something no gate checks, the recogniser
lists it under ``unchecked`` and a ``manual`` criterion for that rest is written beside the gates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from prepctl.scaffold.grounding import Repository

#: A path-like code span or bare word: has a slash or a file suffix.
_PATH = re.compile(r"^[\w.\-*/]+(/|\.(py|ya?ml|json|md|toml|txt|cfg|ini|jsonl|har|csv))$|^[\w.\-*]+/[\w.\-*/]*$")
_SETTING = re.compile(r"^[A-Z][A-Z0-9]*(_{1,2}[A-Z0-9]+)+$|^[A-Z][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Bullet:
    """One bullet of the plan, as written (emphasis stripped, code spans kept)."""

    text: str
    line: int
    section: str
    phase: str | None  # the phase id, or None under principles, deliverables ...
    spans: tuple[str, ...] = ()

    def has(self, *patterns: str) -> bool:
        """Whether any of the regular expressions matches the bullet (case-insensitive)."""
        return any(re.search(p, self.text, re.IGNORECASE) for p in patterns)

    @property
    def paths(self) -> list[str]:
        """Code spans that are paths (a slash or a known file suffix)."""
        return [s for s in self.spans if _PATH.match(s)]

    @property
    def settings(self) -> list[str]:
        """Code spans that look like setting names: ANALYTICS_ENDPOINTS_ENABLED."""
        return [s for s in self.spans if _SETTING.match(s)]


@dataclass
class Criterion:
    """One drafted criterion: the gate kind, a title and the kind's options."""

    kind: str
    title: str
    options: dict[str, Any] = field(default_factory=dict)
    #: Appended to the criterion id when a bullet gives several criteria.
    suffix: str = ""


@dataclass
class Draft:
    recogniser: str
    criteria: list[Criterion]
    grounding: list[str]
    why: str
    #: Parts of the bullet that no drafted gate checks: they get a manual criterion of their own.
    unchecked: list[str] = field(default_factory=list)
    #: Where the criteria go when the bullet is not under a phase: "first", "last" or "each".
    placement: str = "first"


@dataclass
class Unsure:
    recogniser: str
    why: str
    grounding: list[str] = field(default_factory=list)


Outcome = Draft | Unsure


@dataclass
class PlanContext:
    """Everything a recogniser may need beyond its bullet: the other bullets (a flag, an ORM
    module or a moved package named elsewhere in the plan), and what was grounded already."""

    bullets: list[Bullet]
    plan_file: str

    def spans(self) -> list[tuple[Bullet, str]]:
        return [(b, s) for b in self.bullets for s in b.spans]


class Recogniser(Protocol):
    """One kind of bullet. Registered in ``prepctl.scaffold.recognisers.RECOGNISERS``."""

    #: The name in the registry and in each criterion's comment.
    name: ClassVar[str]
    #: Lower runs first: a bullet that names both a flag and SLOs is a flag bullet.
    priority: ClassVar[int]
    #: Bullets this recogniser turns into gates, for the documentation and the tests.
    examples: ClassVar[tuple[str, ...]]

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None: ...
