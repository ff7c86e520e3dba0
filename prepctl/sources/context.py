"""What a gate may read: the plan, the monolith's tree at the revision being judged, and sources
shared across criteria. Built by the evaluation; gates and the live sources they call read it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from prepctl.plan.model import LoadedPlan
from prepctl.sources.tree import Tree

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
