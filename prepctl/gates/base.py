"""The seam every gate kind plugs into.

A gate declares its options (a ``CriterionSpec`` subclass) and ``check()`` returns a Verdict.
It never prints; rendering is the formats' job. Raising ``GateError`` (or anything else) inside
``check`` becomes an ``error`` verdict, so a gate that cannot get its data never passes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import Verdict

SpecT = TypeVar("SpecT", bound=CriterionSpec)


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
