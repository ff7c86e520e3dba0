"""Scan a tree (a work tree or a git revision) into its modules, the import edges between them
and the files it had to skip: the orchestration of the scanner's steps (see the package)."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from prepctl.graph.scan.blobs import parse_blobs, start_early_check
from prepctl.graph.scan.cache import ParseCache
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.files import (
    Listing,
    other_sources,
    select_modules,
    source_roots,
    walk_problems,
    walk_starts,
    walk_work_tree,
)
from prepctl.graph.scan.model import LAYOUT, FileEntry, ImportEdge, ParsedFile, ScanProblem, ScanResult, ScanStats
from prepctl.graph.scan.resolve import resolve
from prepctl.graph.scan.snapshot import (
    listing_changed,
    remembered_blobs,
    result_from_snapshot,
    result_to_snapshot,
    save_work_snapshot,
    scan_fingerprint,
    unchanged_since,
    work_snapshot_key,
)
from prepctl.graph.stages import CLOCK
from prepctl.sources.tree import Tree, WorkTree, git_blob_id


def scan_tree(tree: Tree, config: ScanConfig, cache: ParseCache | None = None) -> ScanResult:
    """Scan every module of ``tree`` (a work tree or a git revision) for imports.

    Never raises for bad files: they are listed in ``problems``. An empty ``modules`` is for the
    caller to refuse (a graph of nothing proves nothing).
    """
    with gc_paused():
        return _scan_tree(tree, config, cache)


class gc_paused:  # noqa: N801 - used like a function, as a context manager
    """Pause the cyclic garbage collector while building many small acyclic objects (edges):
    its repeated full passes over a growing heap cost more than the work itself."""

    def __enter__(self) -> None:
        import gc

        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        import gc

        if self._was_enabled:
            if gc.get_count()[0] > FREEZE_ABOVE:
                # Hundreds of thousands of new objects (a big tree's edges) wait in the youngest
                # generation: once enabled, the collector would walk them all, gen 0 then 1 then
                # 2, charging ~1 s to whatever allocates next on a 50,000-module graph. They are
                # long-lived and acyclic (refcounting frees them): move them out of its sight.
                gc.freeze()
            gc.enable()


#: New tracked objects above which ``gc_paused`` freezes them (small scans, as in tests, never do:
#: a frozen cycle of garbage is never collected).
FREEZE_ABOVE = 200_000


def _scan_tree(tree: Tree, config: ScanConfig, cache: ParseCache | None) -> ScanResult:
    started = time.perf_counter()
    laps = CLOCK.laps()
    now_ns = time.time_ns()
    max_bytes = config.max_file_bytes
    snapshot: dict | None = None
    snapshot_key = ""
    stats: dict[str, tuple[int, int, int, int]] = {}
    listing: Listing | None = None
    walked: list[ScanProblem] = []  # files the walk found but did not read: not in the snapshot
    if isinstance(tree, WorkTree):
        snapshot_key = work_snapshot_key(Path(tree.root), config)
        snapshot = cache.load_snapshot(snapshot_key) if cache is not None else None
        laps.done("scan: load snapshot")
        listing = walk_work_tree(Path(tree.root), walk_starts(tree, config), config.exclude,
                                  (snapshot or {}).get("dirs", {}), now_ns)
        walked = walk_problems(listing, config)
        if snapshot is not None and cache is not None and unchanged_since(snapshot, listing):
            laps.done("scan: list files")
            reused = _reuse_snapshot(snapshot, tree, walked, started)
            if reused is not None:
                laps.done("scan: decode snapshot")
                if listing_changed(snapshot, listing):  # a folder's racy mtime settled
                    known = {rel: blob for rel, (_, blob) in remembered_blobs(snapshot).items()}
                    save_work_snapshot(cache, snapshot_key, listing, known, snapshot["fingerprint"],
                                       snapshot["result"], reused.stats.files)
                    laps.done("scan: save snapshot")
                return reused
        stats = dict(listing.files)
        paths: Iterable[str] = (rel for rel, _ in listing.files)
    else:
        listed = list(tree.files())
        paths = [rel for rel in listed if rel.endswith(".py")]
        walked = other_sources(listed, config)
    entries, problems = select_modules(paths, config)
    laps.done("scan: list files")
    early = None
    if listing is not None and snapshot is None and config.verify_syntax and (cache is None or cache.knows_nothing()):
        # Nothing cached: every file will be parsed, so ruff's check starts now and runs on the
        # other core while this one reads and hashes (parse_blobs waits for it, or cancels it).
        early = start_early_check([os.path.join(tree.root, e.rel) for e in entries if stats[e.rel][2] <= max_bytes],
                                  True)

    # Blob ids: from the stat index for unchanged work-tree files, from git for revisions,
    # else by reading and hashing the bytes (which are then kept for parsing).
    blobs: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    unreadable: dict[str, str] = {}
    remembered = remembered_blobs(snapshot) if snapshot is not None else {}
    for entry in entries:
        rel = entry.rel
        if listing is not None:
            key = stats[rel]
            known = remembered.get(rel)
            if known is not None and known[0] == key:
                blobs[rel] = known[1]
                continue
            if key[2] > max_bytes:
                blobs[rel] = f"oversize:{key[2]}:{rel}"
                continue
            try:
                with open(os.path.join(tree.root, rel), "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                unreadable[rel] = f"cannot read: {exc.strerror or exc}"
                continue
            contents[rel] = data
            blobs[rel] = git_blob_id(data)
        else:
            try:
                blobs[rel] = tree.blob_id(rel)
            except (OSError, ValueError) as exc:
                unreadable[rel] = f"cannot read: {exc}"

    fingerprint = scan_fingerprint(config, entries, blobs)
    laps.done("scan: read + hash")
    if snapshot is not None and snapshot.get("fingerprint") == fingerprint and not unreadable:
        reused = _reuse_snapshot(snapshot, tree, walked, started, files=len(entries))
        if reused is not None:
            laps.done("scan: decode snapshot")
            if listing is not None and cache is not None and (
                    listing_changed(snapshot, listing) or snapshot.get("clean") is not True):
                # Also once the racily recent files it could not vouch for have settled.
                save_work_snapshot(cache, snapshot_key, listing, blobs, fingerprint, snapshot["result"],
                                   len(entries))
                laps.done("scan: save snapshot")
            return reused

    # Parse what the cache does not know, each distinct blob once.
    wanted = {blob for blob in blobs.values() if not blob.startswith("oversize:")}
    known_parsed = cache.get_many(wanted) if cache is not None else {}
    if config.verify_syntax:
        # Entries from a scan that did not compile the file are parsed again, verified.
        known_parsed = {blob: parsed for blob, parsed in known_parsed.items() if parsed.verified}
    laps.done("scan: cache read")
    if cache is not None:
        cache.close()  # SQLite connections must not cross fork(); put_many opens a new one
    to_parse: dict[str, bytes] = {}
    on_disk: dict[str, str] = {}
    listed_stats: dict[str, tuple[int, int, int, int]] = {}  # what ruff's verdicts must still see
    for rel, blob in blobs.items():
        if blob in known_parsed or blob in to_parse or blob.startswith("oversize:"):
            continue
        data = contents.get(rel)
        if data is None:
            try:
                data = tree.read_bytes(rel)
            except OSError as exc:
                unreadable[rel] = f"cannot read: {exc}"
                continue
        to_parse[blob] = data
        if listing is not None:
            on_disk[blob] = os.path.join(tree.root, rel)
            listed_stats[on_disk[blob]] = stats[rel]
    laps.done("scan: read changed files")
    fresh, workers = parse_blobs(to_parse, max_bytes, config.verify_syntax, on_disk, early, listed_stats)
    laps.done("scan: parse + ruff check")
    if cache is not None:
        cache.put_many(fresh)
    laps.done("scan: cache write")

    by_path: dict[str, ParsedFile] = {}
    for rel, blob in blobs.items():
        if rel in unreadable:
            continue
        if blob.startswith("oversize:"):
            size = int(blob.split(":")[1])
            by_path[rel] = ParsedFile((), (None, f"file too large ({size:,} bytes > {max_bytes:,}); skipped"))
        else:
            by_path[rel] = known_parsed.get(blob) or fresh[blob]
    for rel, reason in unreadable.items():
        by_path[rel] = ParsedFile((), (None, reason))
    edges, external, resolve_problems = resolve(entries, by_path)
    problems.extend(resolve_problems)
    problems.extend(_roots_that_are_packages(tree, config, external))
    problems.extend(_unlistedsource_roots(entries, external))
    problems.sort(key=_problem_order)
    modules = {e.module: e.rel for e in entries}
    laps.done("scan: resolve")
    result = ScanResult(modules, edges, problems, external, label=tree.label, revision=tree.revision)
    fast = sum(1 for p in fresh.values() if not p.full_parse and p.problem is None)
    result.stats = ScanStats(files=len(entries), parsed_fast=fast, parsed_full=len(fresh) - fast,
                             from_cache=len(entries) - len(fresh), workers=workers,
                             seconds=time.perf_counter() - started)
    if listing is not None and cache is not None and not unreadable:
        save_work_snapshot(cache, snapshot_key, listing, blobs, fingerprint, result_to_snapshot(result),
                           len(entries))
        laps.done("scan: save snapshot")
    result.problems = sorted(problems + walked, key=_problem_order)
    return result


def _reuse_snapshot(snapshot: dict, tree: Tree, walked: list[ScanProblem], started: float,
                    files: int | None = None) -> ScanResult | None:
    """The last scan's result from its snapshot, with this walk's problems; None if the stored
    result has a layout this version did not write (then the tree is scanned as if new)."""
    try:
        modules, edges, external, old_problems = result_from_snapshot(snapshot["result"])
        count = files if files is not None else int(snapshot["files"])
    except (TypeError, ValueError, KeyError):
        return None
    result = ScanResult(modules, edges, sorted(old_problems + walked, key=_problem_order), external,
                        label=tree.label, revision=tree.revision)
    result.stats = ScanStats(files=count, from_cache=count, snapshot_hit=True,
                             seconds=time.perf_counter() - started)
    return result


def _problem_order(problem: ScanProblem) -> tuple[str, int]:
    return problem.path, problem.line or 0


def _roots_that_are_packages(tree: Tree, config: ScanConfig, external: list[ImportEdge]) -> list[ScanProblem]:
    """A source root that is itself a package (``--root monolith/prep``) names its modules
    ``models.orm`` while the code imports ``prep.models.orm``: every such import would count as
    external and queries would answer "nothing imports it". Say so, with what to do."""
    found: list[ScanProblem] = []
    for root in source_roots(config):
        init = f"{root}/__init__.py" if root else "__init__.py"
        name = root.rpartition("/")[2] if root else tree.folder_name()
        if not name or not name.isidentifier() or not tree.is_file(init):
            continue
        count = sum(1 for edge in external if edge.imported == name)
        if count:
            found.append(ScanProblem(init, None, f"the source root is itself the package {name!r} (it has "
                                     f"__init__.py), so {count} import(s) of {name}.* count as external; "
                                     f"scan from the folder that contains {name}/ (--root, or graph: include:)",
                                     LAYOUT))
    return found


def _unlistedsource_roots(entries: list[FileEntry], external: list[ImportEdge]) -> list[ScanProblem]:
    """A monorepo service with its own source root (``services/billing/src/billing/``) that
    graph: include does not list: the code imports ``billing.core``, the scan names the file
    ``services.billing.src.billing.core``, and every such import counts as external. A package
    whose folder's parent is not a package, named like an external import, is that case."""
    imported = Counter(edge.imported for edge in external)
    scanned = {entry.rel for entry in entries}
    found: dict[str, ScanProblem] = {}
    for entry in entries:
        name = entry.module.rpartition(".")[2]
        if not entry.is_package or "." not in entry.module or name not in imported:
            continue
        folder = entry.rel.rpartition("/")[0]
        candidate = folder.rpartition("/")[0]
        if f"{candidate}/__init__.py" in scanned or candidate in found:
            continue
        found[candidate] = ScanProblem(entry.rel, None, f"{imported[name]} import(s) of {name}.* count as "
                                       f"external, but {folder}/ is a package here, named {entry.module}: "
                                       f"if {candidate}/ is a source root, add it to graph: include", LAYOUT)
    return list(found.values())
