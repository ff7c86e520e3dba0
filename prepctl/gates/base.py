"""The seam every gate kind plugs into.

A gate declares its options (a ``CriterionSpec`` subclass) and ``check()`` returns a Verdict.
It never prints; rendering is the formats' job. Raising ``GateError`` (or anything else) inside
``check`` becomes an ``error`` verdict, so a gate that cannot get its data never passes.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from prepctl.plan.model import CriterionSpec, LoadedPlan, Phase
from prepctl.verdicts import Verdict

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree

SpecT = TypeVar("SpecT", bound=CriterionSpec)
T = TypeVar("T")


@dataclass
class GateContext:
    """What a gate may read: the plan, the monolith's tree, and sources shared across criteria."""

    plan: LoadedPlan
    tree: Tree
    #: Set when evaluating another revision (`--at`); live gates then report `skip`.
    revision: str | None = None
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """Build an expensive source once per evaluation (e.g. the import graph), thread-safely."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shared:
                self._shared[key] = factory()
            return self._shared[key]


class Gate(ABC, Generic[SpecT]):
    """One gate kind. Subclasses set ``kind`` and ``options`` and implement ``check``."""

    kind: ClassVar[str]
    options: ClassVar[type[CriterionSpec]]
    #: Live gates read running systems; they cannot be evaluated at a past revision.
    live: ClassVar[bool] = False
    #: Gates that do I/O run concurrently with the phase's other criteria.
    does_io: ClassVar[bool] = True
    #: Modules ``check`` imports inside functions (kept out of start-up). They are imported once
    #: before checks run in threads: some packages (jsonschema) break when two threads import
    #: them for the first time at once.
    lazy_imports: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def check(self, spec: SpecT, phase: Phase, ctx: GateContext) -> Verdict:
        """Evaluate one criterion and return its verdict."""
