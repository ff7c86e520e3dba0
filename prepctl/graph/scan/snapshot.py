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
    FileEntry,
    ImportEdge,
    ScanProblem,
    ScanResult,
)

#: Bump when a work tree's result can change for the same files and config (how files are
#: listed or named): the last run's snapshot is then not reused. The parse cache is kept.
SNAPSHOT_VERSION = 4


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


def result_to_snapshot(result: ScanResult) -> dict:
    """The result as plain values for the snapshot file: each edge as the plain tuple of its
    fields (marshal stores tuples, not NamedTuples), each problem as a list."""
    # One string object per module name: marshal stores an object seen before as a reference, so
    # the 500,000 `imported` names of a big tree load as ~50,000 strings (less memory, faster).
    canonical = {name: name for name in result.modules}
    same = canonical.setdefault
    return {"modules": result.modules,
            "edges": [(e[0], same(e[1], e[1]), *e[2:]) for e in result.edges],
            "external": [(e[0], same(e[1], e[1]), *e[2:]) for e in result.external],
            "problems": [[p.path, p.line, p.reason, p.kind, p.module] for p in result.problems]}


def result_from_snapshot(data: dict) -> tuple[dict[str, str], list[ImportEdge], list[ImportEdge], list[ScanProblem]]:
    """The stored result back; raises (TypeError, ValueError, KeyError) on a foreign layout."""
    make = tuple.__new__  # ImportEdge is a NamedTuple: skip its Python-level __new__ (500k edges)
    width = len(ImportEdge._fields)

    def edges(items: list) -> list[ImportEdge]:
        decoded = [make(ImportEdge, item) for item in items]
        if any(len(edge) != width for edge in decoded[:1]):
            raise ValueError("snapshot edges of another layout")
        return decoded

    return (data["modules"], edges(data["edges"]), edges(data["external"]),
            [ScanProblem(*problem) for problem in data["problems"]])


def listing_changed(snapshot: dict, listing: Listing) -> bool:
    return snapshot.get("dirs") != listing.dirs or snapshot.get("stats") != listing.files


def unchanged_since(snapshot: dict, listing: Listing) -> bool:
    """Whether every listed file has the path and stat key the snapshot recorded, none of the
    files it read had a racily recent mtime then, and it read every file it selected: the
    selection, every blob id and so the fingerprint are the snapshot's. One comparison of two
    lists (in C), instead of a dictionary lookup per file."""
    return snapshot.get("clean") is True and snapshot.get("stats") == listing.files


def remembered_blobs(snapshot: dict) -> dict[str, tuple[tuple, str]]:
    """Per path, (stat key, blob id) the snapshot may vouch for (racy and unread files left out)."""
    stats, blobs = snapshot.get("stats") or [], snapshot.get("blobs") or []
    if len(stats) != len(blobs):
        return {}
    return {rel: (key, blob) for (rel, key), blob in zip(stats, blobs, strict=True) if blob is not None}


def save_work_snapshot(cache: ParseCache, key: str, listing: Listing, blobs: dict[str, str],
                        fingerprint: str, result: dict, files: int) -> None:
    """Remember the listing (each path's stat key, as a list parallel to the blob ids), the
    fingerprint and the result. ``files``: how many modules were selected (for the stats)."""
    racy_from = time.time_ns() - RACY_NS
    known: list[str | None] = []
    clean = True
    for rel, stat_key in listing.files:
        blob = blobs.get(rel)
        if blob is not None and not blob.startswith("oversize:") and stat_key[0] >= racy_from:
            blob, clean = None, False  # may still change within its mtime tick: hash it next time
        known.append(None if blob is None or blob.startswith("oversize:") else blob)
    cache.save_snapshot(key, {"dirs": listing.dirs, "stats": listing.files, "blobs": known, "clean": clean,
                              "files": files, "fingerprint": fingerprint, "result": result})
