"""Results keyed by content: what a validator said about a file, kept until the file changes.

Validating a 3 MB OpenAPI document costs seconds; a second run on the same bytes with the same
validator must give the same answer, so it is looked up instead. A key names everything that
changes the answer (the caller hashes it with :func:`make_key`): the file's git blob id, its path
(it appears in messages), the validator's identity (:func:`distribution_versions` plus the
caller's own format version) and the options. Files the computation read besides the keyed one
(a `$ref`'d schema) are the entry's *dependencies*: their blob ids are stored with the value and
compared with the tree's current ones on every lookup, so editing a referenced file is a miss.

Values are JSON, never pickles, and the caller decodes them; an entry that cannot be decoded, a
damaged database or a cache folder that cannot be written means "compute it again", never a
verdict. ``ContentCache(None)`` (``--no-cache``) computes every time. One SQLite file in WAL mode
(``cache_dir/content-v1.sqlite``): concurrent runs share it; threads share one connection behind
a lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from prepctl.fileio import OutputError, atomic_write_bytes
from prepctl.sqlitedb import is_busy, open_shared

T = TypeVar("T")

#: Bump when the layout of the database changes; the old file is then ignored.
DB_NAME = "content-v1.sqlite"
#: A current blob id, or None when the dependency is missing or unreadable now.
CurrentBlob = Callable[[str], "str | None"]

# Some libraries (jsonschema) break when two threads import them for the first time at once;
# every first import on a miss path goes through this one lock.
_IMPORT_LOCK = threading.Lock()


@dataclass
class CacheStats:
    """What happened to lookups in this process: the tests read these, never the clock."""

    hits: int = 0
    misses: int = 0
    #: Found, but a dependency's content has changed since: recomputed.
    stale: int = 0
    #: Found, but the stored value could not be decoded: recomputed and overwritten.
    damaged: int = 0
    writes: int = 0


def make_key(*parts: str) -> str:
    """One key from every part that changes the answer (unambiguous: JSON, then SHA-256)."""
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode("utf-8")).hexdigest()


@cache
def distribution_versions(*names: str) -> str:
    """``name=version`` for each installed distribution, ``name=absent`` otherwise: part of a
    validator's identity (a format checker that is installed or not changes the answer)."""
    from importlib import metadata

    found = []
    for name in names:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=absent")
    return ";".join(found)


def import_serially(*modules: str) -> None:
    """Import ``modules`` (a miss path's heavy libraries) one thread at a time."""
    with _IMPORT_LOCK:
        for module in modules:
            importlib.import_module(module)


def ensure_cache_directory(directory: Path) -> None:
    """Create the cache folder with a ``.gitignore`` of ``*``: a cache never belongs in git,
    whatever the repository's own .gitignore says."""
    if (directory / ".gitignore").is_file():
        return
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(directory / ".gitignore", b"*\n", durable=False)


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA journal_mode=WAL")  # readers and a writer at once, across processes
    conn.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, data TEXT NOT NULL)")


class ContentCache:
    """Values keyed by content under ``directory`` (None: no cache, every lookup a miss).

    Nothing here is needed for correctness: when the database cannot be opened, read or written,
    ``disabled_reason`` says why and every lookup misses.
    """

    def __init__(self, directory: str | Path | None):
        self.directory = Path(directory) if directory is not None else None
        self.disabled_reason: str | None = None if directory is not None else "no cache (--no-cache)"
        self.stats = CacheStats()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._stats_lock = threading.Lock()

    @property
    def path(self) -> Path | None:
        return self.directory / DB_NAME if self.directory is not None else None

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if self._conn is not None or self.disabled_reason is not None or self.path is None:
            return self._conn
        if not create and not self.path.exists():
            return None  # nothing cached yet: reading needs no new file
        try:
            ensure_cache_directory(self.path.parent)
            try:
                self._conn = self._open()
            except sqlite3.DatabaseError as exc:
                if is_busy(exc):
                    raise
                # Not a database (a truncated copy, a stray file): a cache is rebuilt, not repaired.
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                self._conn = self._open()
        except (OSError, OutputError, sqlite3.Error) as exc:
            self.disabled_reason = f"content cache at {self.directory} not used: {exc}"
        return self._conn

    def _open(self) -> sqlite3.Connection:
        assert self.path is not None
        return open_shared(self.path, _prepare, 30, check_same_thread=False)

    def get(self, key: str, current: CurrentBlob, decode: Callable[[Any], T]) -> T | None:
        """The value stored under ``key``, decoded, if every dependency still has its stored
        content (``current(path)`` gives its blob id now); None means compute it."""
        with self._lock:
            conn = self._connect(create=False)
            row = None
            if conn is not None:
                try:
                    row = conn.execute("SELECT data FROM entries WHERE key = ?", (key,)).fetchone()
                except sqlite3.Error as exc:
                    self.disabled_reason = f"content cache unreadable: {exc}"
        if row is None:
            self._count("misses")
            return None
        try:
            stored = json.loads(row[0])
            deps = stored["deps"]
            if not isinstance(deps, dict):
                raise TypeError("deps is not a mapping")
        except (ValueError, TypeError, KeyError, RecursionError):  # RecursionError: a forged "[[[[..."
            self._count("damaged")
            return None
        if any(current(str(path)) != blob for path, blob in deps.items()):
            self._count("stale")
            return None
        try:
            value = decode(stored["value"])
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError):
            self._count("damaged")
            return None
        self._count("hits")
        return value

    def put(self, key: str, value: Any, deps: Mapping[str, str | None]) -> None:
        """Store ``value`` (JSON data) with the blob ids its computation read (None: absent)."""
        data = json.dumps({"deps": dict(deps), "value": value}, separators=(",", ":"))
        with self._lock:
            conn = self._connect(create=True)
            if conn is None:
                return
            try:
                conn.execute("INSERT OR REPLACE INTO entries (key, data) VALUES (?, ?)", (key, data))
            except sqlite3.Error as exc:
                self.disabled_reason = f"content cache not written: {exc}"
                return
            self.stats.writes += 1

    def _count(self, what: str) -> None:
        with self._stats_lock:  # `+=` from several threads would lose counts
            setattr(self.stats, what, getattr(self.stats, what) + 1)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None
