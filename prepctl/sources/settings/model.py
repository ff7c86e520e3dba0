"""What the settings readers return: a definition of a setting, a file that could not be read,
a name that is close to the one asked for, and the search that collects them."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

#: Settings named like credentials: their values are compared but never shown, nor cached.
SECRET_NAME = re.compile(r"(?i)(secret|token|passw|api_?key|private_?key|credential|dsn)")
#: `scheme://user:password@host`: a dev password in a default URL is still not for reports.
URL_PASSWORD = re.compile(r"(?<=://)([^:/@\s]+):[^@/\s]+@")


class DefaultKind(enum.StrEnum):
    LITERAL = "literal"  # a value we could read or fold: False, "us-east-1", 15
    REQUIRED = "required"  # no default at all: the environment must provide it
    COMPUTED = "computed"  # an expression outside the folding subset (a call, an f-string, ...)


@dataclass(frozen=True)
class Default:
    """A default as read from source: its kind, the value when known, its exact source text."""

    kind: DefaultKind
    value: Any = None
    text: str = ""


@dataclass(frozen=True)
class SettingDefinition:
    """One place that gives the setting a default."""

    name: str  # the name as written there: alias, env var, field or key
    path: str
    line: int
    how: str  # e.g. "settings field Settings.analytics_endpoints_enabled (alias ANALYTICS_...)"
    kind: DefaultKind
    value: Any = None  # the literal (or folded) value when kind is LITERAL
    text: str = ""  # the exact source text of the default, for the reader

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def definition(name: str, path: str, line: int, how: str, default: Default) -> SettingDefinition:
    return SettingDefinition(name, path, line, how, default.kind, default.value, default.text)


@dataclass(frozen=True)
class Unreadable:
    """A file that mentions the setting but could not be parsed: its value is unknown."""

    path: str
    reason: str
    line: int | None = None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class NearName:
    """A name seen while searching that is close to the one asked for, for "did you mean"."""

    name: str
    path: str
    line: int
    why: str  # "same name, other case", "prefix differs", ...

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class SettingSearch:
    name: str
    attribute: str | None
    definitions: list[SettingDefinition] = field(default_factory=list)
    files_searched: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)
    near: list[NearName] = field(default_factory=list)


def closeness(wanted: str, seen: str, loose: bool = False) -> str | None:
    """Why ``seen`` is close to ``wanted`` (None when it is not), for a "did you mean" hint.

    Close means: the same name in another case (``debug`` for ``DEBUG``), or the same name with a
    prefix added or dropped at an underscore boundary, two words at least on the short side
    (``PREFECT_API_URL`` / ``API_URL``,
    ``AIRFLOW__CORE__LOAD_EXAMPLES`` / ``load_examples``)."""
    if not wanted or not seen or wanted == seen:
        return None
    a, b = wanted.lower(), seen.lower()
    if a == b:
        return "same name, other case"
    shorter = min(a, b, key=len)
    # At least two words on the short side ("activate" is not close to "AUTO_ACTIVATE"), unless
    # ``loose``: a settings field whose env prefix is unknown (`debug` for FASTMCP_DEBUG).
    if (loose or "_" in shorter.strip("_")) and len(shorter) >= 3 and (a.endswith("_" + b) or b.endswith("_" + a)):
        return "prefix differs"
    return None
