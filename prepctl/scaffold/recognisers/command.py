"""command: load tests, regression suites, smoke tests: run them, pass on exit 0.

Example: "Execute load tests and regression suites recorded in `TROUBLESHOOTING.md` to validate parity."

The named document is opened; the commands are the code spans of the list items under its
headings that name what the bullet names ("Load tests", "Regression suites"). Every kind the
bullet names must have at least one command, else the bullet stays manual. A bullet may also
give the command itself in a code span (``pytest -q tests/regression``).
"""

from __future__ import annotations

import re
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_KINDS = {"load test": r"load[- ]tests?", "regression suite": r"regression (suites?|tests?)",
          "smoke test": r"smoke[- ]tests?", "test suite": r"(test suites?|the tests)\b"}
_TOOLS = re.compile(r"^(pytest|tox|nox|make|locust|k6|npm|yarn|pnpm|python|uv|hatch|poetry|\./|bash|sh)\b")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_ITEM_SPAN = re.compile(r"^\s*[-*+]\s.*?`([^`]+)`")


def commands_under(text: str, heading: str) -> list[tuple[int, str]]:
    """Commands (code spans of list items) under headings matching ``heading``, with lines."""
    found: list[tuple[int, str]] = []
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        title = _HEADING.match(line)
        if title:
            inside = re.search(heading, title[1], re.IGNORECASE) is not None
            continue
        item = _ITEM_SPAN.match(line)
        if inside and item:
            for span in re.findall(r"`([^`]+)`", line):
                if _TOOLS.match(span):
                    found.append((number, span))
    return found


class CommandRecogniser:
    name: ClassVar[str] = "command"
    priority: ClassVar[int] = 80
    examples: ClassVar[tuple[str, ...]] = (
        "Execute load tests and regression suites recorded in `TROUBLESHOOTING.md` to validate parity.",
        "The regression suite passes: `pytest -q tests/regression`.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        kinds = [k for k, p in _KINDS.items() if bullet.has(rf"\b{p}")]
        if not kinds:
            return None
        inline = [s for s in bullet.spans if _TOOLS.match(s)]
        grounding: list[str] = []
        commands: list[str] = list(inline)
        if not inline:
            documents = [s for s in bullet.spans if s.lower().endswith((".md", ".rst", ".txt"))]
            if not documents:
                return Unsure(self.name, f"the bullet names {', '.join(kinds)} but neither a command nor the "
                              "document that records them")
            document = repo.find_document(documents[0])
            if document is None:
                return Unsure(self.name, f"{documents[0]}: no such document under the root")
            text = repo.read(document) or ""
            for kind in kinds:
                found = commands_under(text, _KINDS[kind])
                if not found:
                    return Unsure(self.name, f"{document} has no commands under a heading about {kind}s")
                grounding += [f"{kind}: `{c}` ({document}:{n})" for n, c in found]
                commands += [c for _, c in found]
        else:
            grounding.append("commands given in the bullet: " + ", ".join(f"`{c}`" for c in inline))
        simple = len(commands) == 1 and not re.search(r"['\"&|;<>$]", commands[0])
        run: list[str] = commands[0].split() if simple else ["sh", "-c", " && ".join(commands)]
        return Draft(self.name, [Criterion("command", f"{' and '.join(kinds).capitalize()}s pass",
                                           {"run": run, "timeout": 3600})],
                     grounding, "the bullet asks for these suites to run and pass: every command must exit 0")


RECOGNISER = CommandRecogniser()
