"""The one registry idiom for every extension point: gate kinds, output formats, graph contract
types and plan recognisers.

Built-ins register exactly the way plugins do: a name maps to a ``module:attr`` target that is
imported on first use, so a command pays only for what it touches. Third-party packages add
names through an entry-point group (``[project.entry-points."prepctl.gates"]`` and so on). A
plugin may not shadow a built-in name: the built-in wins and the clash is reported by
:meth:`Registry.clashes`, so a typo in a plugin cannot silently replace a gate a plan relies on.

This module uses the standard library only; it sits below every other prepctl package.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoints, entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownName(LookupError):
    """A name that no built-in and no installed plugin registers."""

    def __init__(self, what: str, name: str, choices: str) -> None:
        super().__init__(f"unknown {what} '{name}'; choose {choices}")
        self.what = what
        self.name = name


class BrokenTarget(ImportError):
    """A registered ``module:attr`` that does not import (a plugin that is installed but broken)."""


@cache
def installed_entry_points() -> EntryPoints:
    """Every installed distribution's entry points, read once per process for all registries:
    reading them walks every distribution on sys.path, which costs more than a command's work."""
    return entry_points()


def one_of(names: list[str]) -> str:
    """``one of a, b or c``: the wording every "choose …" message and schema description uses."""
    if not names:
        return "nothing (none is registered)"
    if len(names) == 1:
        return names[0]
    return "one of " + ", ".join(names[:-1]) + " or " + names[-1]


@dataclass
class Registry(Generic[T]):
    """Names → lazily imported objects of one kind.

    ``what`` names the thing for messages ("gate kind"); ``group`` is the entry-point group;
    ``builtins`` maps each built-in name to its ``module:attr`` target.
    """

    what: str
    group: str
    builtins: Mapping[str, str]
    _plugins: dict[str, str] | None = field(default=None, init=False, repr=False)
    _loaded: dict[str, T] = field(default_factory=dict, init=False, repr=False)

    def plugins(self) -> dict[str, str]:
        """Entry points of the group, read once per process."""
        if self._plugins is None:
            self._plugins = {ep.name: ep.value for ep in installed_entry_points().select(group=self.group)}
        return self._plugins

    def targets(self) -> dict[str, str]:
        """Every registered name and its ``module:attr``; a built-in wins over a same-named plugin."""
        return {**self.plugins(), **self.builtins}

    def clashes(self) -> list[str]:
        """Plugin names that a built-in shadows (reported by ``prepctl validate``)."""
        return sorted(set(self.plugins()) & set(self.builtins))

    def names(self) -> list[str]:
        return sorted(self.targets())

    def choices(self) -> str:
        return one_of(self.names())

    def __contains__(self, name: object) -> bool:
        # A built-in name is answered without reading the installed distributions (slow).
        return isinstance(name, str) and (name in self.builtins or name in self.plugins())

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def load(self, name: str) -> T:
        """The object registered under ``name``; :class:`UnknownName` when there is none."""
        if name in self._loaded:
            return self._loaded[name]
        target = self.builtins.get(name) or self.plugins().get(name)
        if target is None:
            raise UnknownName(self.what, name, self.choices())
        module_name, _, attr = target.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr) if attr else importlib.import_module(module_name)
        except (ImportError, AttributeError) as exc:
            raise BrokenTarget(f"{self.what} '{name}' is registered as {target!r}, "
                               f"which does not import: {exc}") from exc
        self._loaded[name] = obj
        return obj

    def get(self, name: str) -> T | None:
        """Like :meth:`load`, but ``None`` for an unknown name (a broken target still raises)."""
        return self.load(name) if name in self else None

    def items(self) -> Iterator[tuple[str, T]]:
        """Every name with its loaded object; imports them all (docs and schema generation)."""
        for name in self.names():
            yield name, self.load(name)

    def forget(self) -> None:
        """Drop cached entry points and loaded objects (tests that install a plugin mid-process)."""
        installed_entry_points.cache_clear()
        self._plugins = None
        self._loaded.clear()
