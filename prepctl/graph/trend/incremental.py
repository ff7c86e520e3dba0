"""The import graph of one commit, moved file by file as `graph trend` walks the history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prepctl.graph.model import EdgeFilter
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.files import other_sources, select_modules
from prepctl.graph.scan.model import FileEntry, ImportEdge, ParsedFile, ScanProblem, ScanResult
from prepctl.graph.scan.resolve import resolve

if TYPE_CHECKING:
    from prepctl.sources.git import FileChange


class _RecordingSet(AbstractSet[str]):
    """The commit's module names, remembering which ones a resolution asked about.

    ``resolve`` decides every edge by ``name in modules``; the names it asked are exactly those
    whose appearance or disappearance can change that file's edges.
    """

    def __init__(self, members: set[str]):
        self.members = members
        self.looked_up: set[str] = set()
        #: Set if resolution ever needed the whole set: the file then depends on every module.
        self.saw_all = False

    def __contains__(self, name: object) -> bool:
        self.looked_up.add(name)  # type: ignore[arg-type]
        return name in self.members

    def __iter__(self) -> Iterator[str]:
        self.saw_all = True
        return iter(self.members)

    def __len__(self) -> int:
        self.saw_all = True
        return len(self.members)


@dataclass
class _Resolved:
    module: str
    imports: frozenset[str]
    looked_up: frozenset[str]
    problem: str | None
    #: Every edge (whatever the trend's --ignore), kept only when contracts are checked.
    edges: tuple[ImportEdge, ...] = ()
    #: The scan problems of the file (skipped, or a computed dynamic import), kept with the edges:
    #: a contract with a skipped file in its scope is not known to be kept.
    problems: tuple[ScanProblem, ...] = ()


class IncrementalGraph:
    """The module graph of one commit, updated file by file as the history is walked.

    Uses the scanner's own pieces (``select_modules``, ``resolve``, parsed imports), so it gives
    the same edges as ``scan_tree`` on that commit; tests check this against full scans.
    """

    def __init__(self, config: ScanConfig, parsed: dict[str, ParsedFile], edge_filter: EdgeFilter,
                 keep_edges: bool = False):
        self.config = config
        self.keep_edges = keep_edges
        self.parsed = parsed
        self.edge_filter = edge_filter
        self.blobs: dict[str, str] = {}  # .py path -> blob, every .py file of the commit
        self.claims: dict[str, FileEntry] = {}  # path -> the module it would be, alone
        self.claimants: dict[str, set[str]] = {}  # module -> paths claiming it
        self.winner: dict[str, FileEntry] = {}  # module -> the file that is it
        self.shadowed: dict[str, ScanProblem] = {}  # path -> why select_modules skipped it
        #: path -> why the scanner skips it by its name alone: a .py file with no module name
        #: (`bad name.py`) or Python source that is not .py (`tool.pyw`), as scan_tree reports them.
        self.unnamed: dict[str, ScanProblem] = {}
        self.modules: set[str] = set()
        #: Every module that existed at any commit so far (for "did you mean" hints).
        self.seen_modules: set[str] = set()
        self.resolved: dict[str, _Resolved] = {}  # path of a winner -> its resolution
        self.importers: dict[str, set[str]] = {}  # module -> modules importing it
        self.lookups: dict[str, set[str]] = {}  # module name -> paths whose resolution asked it
        self.depends_on_all: set[str] = set()
        self.unreadable: dict[str, str] = {}  # path -> why the scanner could not read it
        self.files_resolved = 0
        #: Bumped whenever modules come or go, so questions about names can be cached.
        self.modules_version = 0
        self._members: tuple[str, set[str]] | None = None
        #: The last importers_of answer (members, direct, reach) and the imported names whose
        #: importers changed since: see ``importers_of``.
        self._reach: tuple[frozenset[str], set[str], set[str]] | None = None
        self._edges_changed: set[str] = set()
        self._entry_cache: dict[str, FileEntry | None] = {}
        self._name_problems: dict[str, ScanProblem | None] = {}

    def claim_of(self, path: str) -> FileEntry | None:
        """The module a path is when nothing else competes for its name (memoised per path)."""
        if path not in self._entry_cache:
            entries, _ = select_modules([path], self.config)
            self._entry_cache[path] = entries[0] if entries else None
        return self._entry_cache[path]

    def name_problem(self, path: str) -> ScanProblem | None:
        """Why the scanner skips ``path`` for its name alone, or None (memoised per path): the same
        ``select_modules`` and ``other_sources`` calls a full scan of a revision makes."""
        if path not in self._name_problems:
            if path.endswith(".py"):
                entries, problems = select_modules([path], self.config)
                found = problems[0] if problems and not entries else None
            else:
                others = other_sources([path], self.config)
                found = others[0] if others else None
            self._name_problems[path] = found
        return self._name_problems[path]

    def apply(self, changes: Iterable[FileChange]) -> None:
        """Move the graph to the next commit, given the files that differ from the current one."""
        touched_modules: set[str] = set()
        changed_paths: set[str] = set()
        for change in changes:
            path = change.path
            if not path.endswith(".py"):
                if self.name_problem(path) is not None:
                    self._track_unnamed(path, change.new_blob is not None)
                continue
            if change.new_blob is None:
                self.blobs.pop(path, None)
            else:
                self.blobs[path] = change.new_blob
            claim = self.claim_of(path)
            if claim is None:
                self._track_unnamed(path, change.new_blob is not None)
                continue
            changed_paths.add(path)
            touched_modules.add(claim.module)
            paths = self.claimants.setdefault(claim.module, set())
            if change.new_blob is None:
                paths.discard(path)
                self.claims.pop(path, None)
            else:
                paths.add(path)
                self.claims[path] = claim

        to_resolve: set[str] = set()
        gone: set[str] = set()  # paths that are no longer the file of their module
        added: set[str] = set()
        removed: set[str] = set()
        for module in touched_modules:
            paths = self.claimants.get(module, set())
            old = self.winner.get(module)
            for path in list(self.shadowed):
                if self.claims.get(path) is None or self.claims[path].module == module:
                    self.shadowed.pop(path)
            if not paths:
                new = None
                self.claimants.pop(module, None)
            elif len(paths) == 1:
                new = self.claims[next(iter(paths))]
            else:
                # Same name from two files: let the scanner's rules pick, as scan_tree would.
                entries, problems = select_modules(sorted(paths), self.config)
                new = entries[0]
                self.shadowed.update((p.path, p) for p in problems)
            if old is not None and (new is None or new.rel != old.rel):
                gone.add(old.rel)
            if new is None:
                self.winner.pop(module, None)
                if old is not None:
                    removed.add(module)
            else:
                self.winner[module] = new
                if old is None:
                    added.add(module)
                if old is None or new.rel != old.rel or new.rel in changed_paths:
                    to_resolve.add(new.rel)
        for path in gone - to_resolve:
            self._forget(path)
        self.modules |= added
        self.modules -= removed
        self.seen_modules |= added
        if added or removed:
            self.modules_version += 1
            self._move_members(added, removed)
            for module in added | removed:
                to_resolve |= self.lookups.get(module, set())
            to_resolve |= self.depends_on_all
        for path in sorted(to_resolve):
            entry = self.claims.get(path)
            winner = self.winner.get(entry.module) if entry is not None else None
            if winner is not None and winner.rel == path:
                self._resolve(winner)
            else:
                self._forget(path)

    def _track_unnamed(self, path: str, present: bool) -> None:
        problem = self.name_problem(path) if present else None
        if problem is None:
            self.unnamed.pop(path, None)
        else:
            self.unnamed[path] = problem

    def _forget(self, path: str) -> None:
        old = self.resolved.pop(path, None)
        self.depends_on_all.discard(path)
        self.unreadable.pop(path, None)
        if old is None:
            return
        self._edges_changed |= old.imports
        for imported in old.imports:
            importers = self.importers.get(imported)
            if importers is not None:
                importers.discard(old.module)
                if not importers:
                    del self.importers[imported]
        for name in old.looked_up:
            paths = self.lookups.get(name)
            if paths is not None:
                paths.discard(path)
                if not paths:
                    del self.lookups[name]

    def _resolve(self, entry: FileEntry) -> None:
        path = entry.rel
        self._forget(path)
        parsed = self.parsed[self.blobs[path]]
        recorder = _RecordingSet(self.modules)
        edges, _external, problems = resolve([entry], {path: parsed}, recorder)
        allows = self.edge_filter.allows
        imports = frozenset(e.imported for e in edges if allows(e))
        done = _Resolved(entry.module, imports, frozenset(recorder.looked_up), _problem_text(parsed),
                         tuple(edges) if self.keep_edges else (), tuple(problems) if self.keep_edges else ())
        self.resolved[path] = done
        self.files_resolved += 1
        if done.problem is not None:
            self.unreadable[path] = done.problem
        if recorder.saw_all:
            self.depends_on_all.add(path)
        self._edges_changed |= imports
        for imported in imports:
            self.importers.setdefault(imported, set()).add(entry.module)
        for name in done.looked_up:
            self.lookups.setdefault(name, set()).add(path)

    # -- questions ---------------------------------------------------------------------------

    def members(self, target: str) -> set[str]:
        """The target module, or a package and everything below it (as `graph importers`).

        Kept up to date as modules come and go (``_move_members``) rather than found again among
        every module at each commit. Do not modify the set returned."""
        if self._members is None or self._members[0] != target:
            prefix = target + "."
            found = {m for m in self.modules if m == target or m.startswith(prefix)}
            self._members = (target, found)
        return self._members[1]

    def _move_members(self, added: set[str], removed: set[str]) -> None:
        if self._members is None:
            return
        target, found = self._members
        prefix = target + "."
        # A new set, so an answer given before this commit stays as it was.
        found = (found - removed) | {m for m in added if m == target or m.startswith(prefix)}
        self._members = (target, found)

    def _importers_of_any(self, modules: Iterable[str]) -> set[str]:
        """Every module that imports at least one of ``modules`` directly."""
        importers = self.importers
        found: set[str] = set()
        for module in modules:
            direct = importers.get(module)
            if direct:
                found |= direct
        return found

    def importers_of(self, members: AbstractSet[str]) -> tuple[set[str], set[str]]:
        """(direct importers, every module that reaches the members), members excluded.

        Do not modify the sets returned: the answer is reused while no edge into the modules it
        found (or the members) has changed since it was computed. An edge ``a -> b`` with ``b``
        outside them cannot make ``a`` reach the members when added, nor cut a path to them when
        removed, so the modules reaching the members are still exactly the same.
        """
        changed, self._edges_changed = self._edges_changed, set()
        key = frozenset(members)
        last = self._reach
        if last is not None and last[0] == key and changed.isdisjoint(key) and changed.isdisjoint(last[2]):
            return last[1], last[2]
        direct = self._importers_of_any(key) - key
        # Breadth-first, a whole level at a time with set operations: the work per module is
        # one look-up, not one Python step per edge.
        seen = set(key)
        level: set[str] = set(key)
        while level:
            following = self._importers_of_any(level) - seen
            seen |= following
            level = following
        reach = seen - key
        self._reach = (key, direct, reach)
        return direct, reach

    def edge_pairs(self) -> set[tuple[str, str]]:
        """(importer, imported) of every edge: what a full scan's graph would have."""
        return {(importer, imported) for imported, importers in self.importers.items()
                for importer in importers}

    def scan_result(self, revision: str) -> ScanResult:
        """This commit's graph as a scan's result, for contracts (needs ``keep_edges``): its
        modules, edges and the problems of its files (skipped ones and shadowed duplicates)."""
        modules = {module: entry.rel for module, entry in self.winner.items()}
        edges = [edge for resolved in self.resolved.values() for edge in resolved.edges]
        problems = [problem for resolved in self.resolved.values() for problem in resolved.problems]
        problems += self.shadowed.values()
        problems += self.unnamed.values()
        problems.sort(key=lambda p: (p.path, p.line or 0))
        return ScanResult(modules, edges, problems, [], label=revision[:12], revision=revision)

    def skipped(self) -> list[tuple[str, str]]:
        """Files not in the graph at this commit: unreadable ones, shadowed duplicates and those
        the scanner skips by name (`bad name.py`, `.pyw`)."""
        if not self.unreadable and not self.shadowed and not self.unnamed:
            return []
        return sorted([*self.unreadable.items(), *((path, p.reason) for path, p in self.shadowed.items()),
                       *((p.path, p.reason) for p in self.unnamed.values())])


def _problem_text(parsed: ParsedFile) -> str | None:
    if parsed.problem is None:
        return None
    line, reason = parsed.problem
    return f"line {line}: {reason}" if line else reason

