"""The seam for output formats: render a GateReport (and, optionally, ``prepctl status``) as text.

A format is one module with one :class:`Format` subclass, registered by name in
``prepctl.formats.FORMATS`` (built-ins) or through the ``prepctl.formats`` entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from prepctl.status import PhaseState
    from prepctl.verdicts import GateReport


class Format(ABC):
    """One output format. Subclasses set ``name`` and implement ``render``."""

    name: ClassVar[str]

    @abstractmethod
    def render(self, report: GateReport) -> str:
        """The whole output, ending with a newline."""

    def render_status(self, rows: list[PhaseState]) -> str:
        """``prepctl status`` in this format; only formats that override it offer one."""
        raise NotImplementedError(f"format '{self.name}' has no status view")

    @classmethod
    def renders_status(cls) -> bool:
        return cls.render_status is not Format.render_status
