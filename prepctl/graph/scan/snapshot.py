"""A work tree's snapshot per (folder, config): folder listings and file stat keys (to find blob
ids without reading unchanged files, as git's index does) and the last scan's result, reused
whole when nothing changed."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from prepctl.graph.scan.cache import ParseCache
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.files import RACY_NS, Listing
from prepctl.graph.scan.model import (
    DYNAMIC_FLAG,
    GUARDED_FLAG,
    TYPE_CHECKING_FLAG,
    FileEntry,
    ImportEdge,
    ScanProblem,
    ScanResult,
)

#: Bump when a work tree's result can change for the same files and config (how files are
#: listed or named): the last run's snapshot is then not reused. The parse cache is kept.
SNAPSHOT_VERSION = 3


def work_snapshot_key(root: Path, config: ScanConfig) -> str:
    """The snapshot of one work tree (resolved, so ``.`` and its absolute path share one) and config."""
    return f"{Path(root).resolve()}\0{config.key()}\0{SNAPSHOT_VERSION}"


def cached_module_names(cache: ParseCache, root: Path, config: ScanConfig) -> list[str]:
    """The module names the last scan of ``root`` with ``config`` found, read from its snapshot
    (for shell completion, which must answer at once): ``[]`` when nothing was cached or the
    snapshot is damaged. Reads only: never scans, never creates the cache."""
    snapshot = cache.load_snapshot(work_snapshot_key(root, config)) or {}
    result = snapshot.get("result")
    modules = result.get("modules") if isinstance(result, dict) else None
    return sorted(name for name in modules if isinstance(name, str)) if isinstance(modules, dict) else []


def scan_fingerprint(config: ScanConfig, entries: list[FileEntry], blobs: dict[str, str]) -> str:
    digest = hashlib.sha1(config.key().encode())
    for entry in entries:
        digest.update(f"{entry.module}\0{entry.rel}\0{blobs.get(entry.rel, '')}\n".encode())
    return digest.hexdigest()


def result_to_json(result: ScanResult) -> dict:
    def edges(items: list[ImportEdge]) -> list:
        return [[e.importer, e.imported, e.path, e.line, e.names,
                 (TYPE_CHECKING_FLAG if e.type_checking else 0) | (GUARDED_FLAG if e.guarded else 0)
                 | (DYNAMIC_FLAG if e.dynamic else 0)] for e in items]

    return {"modules": result.modules, "edges": edges(result.edges), "external": edges(result.external),
            "problems": [[p.path, p.line, p.reason, p.kind, p.module] for p in result.problems]}


def result_from_json(data: dict) -> tuple[dict[str, str], list[ImportEdge], list[ImportEdge], list[ScanProblem]]:
    make = tuple.__new__  # ImportEdge is a NamedTuple: skip its Python-level __new__ (500k edges)

    def edges(items: list) -> list[ImportEdge]:
        return [make(ImportEdge, (a, b, path, line, tuple(names), flags & TYPE_CHECKING_FLAG != 0,
                                  flags & GUARDED_FLAG != 0, flags & DYNAMIC_FLAG != 0))
                for a, b, path, line, names, flags in items]

    return (data["modules"], edges(data["edges"]), edges(data["external"]),
            [ScanProblem(*problem) for problem in data["problems"]])


def listing_changed(snapshot: dict, listing: Listing) -> bool:
    files = snapshot.get("files", {})
    return snapshot.get("dirs") != listing.dirs or any(
        (files.get(rel) or [None])[:4] != list(key) for rel, key in listing.files)


def save_work_snapshot(cache: ParseCache, key: str, listing: Listing, blobs: dict[str, str],
                        fingerprint: str, result: dict) -> None:
    now_ns = time.time_ns()
    files = {}
    for rel, stat_key in listing.files:
        blob = blobs.get(rel)
        if blob is None or blob.startswith("oversize:"):
            continue
        mtime = stat_key[0] if stat_key[0] < now_ns - RACY_NS else -1
        files[rel] = [mtime, stat_key[1], stat_key[2], stat_key[3], blob]
    cache.save_snapshot(key, {"dirs": listing.dirs, "files": files, "fingerprint": fingerprint,
                              "result": result})
