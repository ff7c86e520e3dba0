"""What the import scanner reads and produces: raw import statements, edges, problems, results.

Plain values only (no parsing, no I/O), so every part of the scanner and the graph engine can
share them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# Flags of a RawImport (and of an edge, packed into one int in the cache and the snapshot).
#: A ``from`` import.
FROM_FLAG = 1
#: Under ``if TYPE_CHECKING:``.
TYPE_CHECKING_FLAG = 2
#: In a ``try`` whose handler catches ImportError / ModuleNotFoundError, or in such a handler.
GUARDED_FLAG = 4
#: A dynamic import (``importlib.import_module("x")``, ``__import__``, ``runpy``, ``exec``).
DYNAMIC_FLAG = 8
#: A dynamic import whose module name is computed: no edge, a ``dynamic`` scan problem.
OPAQUE_FLAG = 16

#: The exceptions whose handler makes an import "guarded" (an optional dependency).
GUARD_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})

#: A problem's kind. ``skipped``: a file whose imports are unknown (not read, not parsed, or not
#: named); a contract over it cannot be sure. ``import``: one import statement ignored.
#: ``dynamic``: an importlib/__import__ call whose module name is computed, so unknown.
#: ``layout``: a remark about the source roots (a shadowed duplicate, a root that is a package).
SKIPPED, IMPORT, DYNAMIC, LAYOUT = "skipped", "import", "dynamic", "layout"


class RawImport(NamedTuple):
    """One import as written in a file, before resolution. Depends only on the file's bytes."""

    line: int
    level: int  # 0 absolute; 1 for `from . import`, 2 for `from .. import`
    module: str  # as written after `from`/`import` ('' for `from . import x`)
    names: tuple[str, ...]  # names of a `from` import; () for `import a.b`
    flags: int

    @property
    def is_from(self) -> bool:
        return bool(self.flags & FROM_FLAG)


class ParsedFile(NamedTuple):
    """A file's import statements, or why it could not be read (then ``imports`` is empty)."""

    imports: tuple[RawImport, ...]
    problem: tuple[int | None, str] | None = None
    #: True when the fast path was not sure and the whole file went through ``ast.parse``.
    full_parse: bool = False
    #: True when the whole file is known to compile (or ``problem`` says why not).
    verified: bool = False


@dataclass(frozen=True)
class ScanProblem:
    """A file that was skipped (or an import that could not be resolved), and why.

    ``module`` is the module the file is (or would be, read literally, for a file without a
    dotted name), so a contract can tell whether the problem is inside its scope.
    """

    path: str
    line: int | None
    reason: str
    kind: str = SKIPPED
    module: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}" if self.line else f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class FileEntry:
    """A scanned ``.py`` file (tree-relative path) and the module it is."""

    rel: str
    module: str
    is_package: bool


class ImportEdge(NamedTuple):
    """One import statement's link from ``importer`` to ``imported`` (both module names).

    ``names`` are the names a ``from`` import took (``from prep.models.orm import Booking`` ->
    ``("Booking",)``; ``from prep.models import orm`` -> ``("orm",)``); empty for ``import x``.

    A NamedTuple, not a frozen dataclass: a 50,000-module tree has ~500,000 of them and a warm
    run decodes them all from the snapshot; a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field) made that 0.83 s of CPU against 0.25 s for tuples.
    """

    importer: str
    imported: str
    path: str
    line: int
    names: tuple[str, ...] = ()
    type_checking: bool = False
    guarded: bool = False
    dynamic: bool = False


@dataclass(frozen=True)
class ScanStats:
    """How a scan got its data: for benchmarks and for `--verbose` style reporting."""

    files: int = 0
    parsed_fast: int = 0
    parsed_full: int = 0
    from_cache: int = 0
    snapshot_hit: bool = False
    workers: int = 1
    seconds: float = 0.0


@dataclass
class ScanResult:
    """Every module found (module -> path), the edges between them, and the files skipped.

    ``external`` holds imports of modules outside the scan, named by their top-level package
    (``sqlalchemy``), for "what does this module import" questions.
    """

    modules: dict[str, str]
    edges: list[ImportEdge]
    problems: list[ScanProblem]
    external: list[ImportEdge] = field(default_factory=list)
    stats: ScanStats = field(default_factory=ScanStats)
    #: The tree's label and revision, for evidence.
    label: str = ""
    revision: str | None = None
