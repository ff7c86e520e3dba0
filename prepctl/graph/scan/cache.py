"""The import scanner's parse cache: each file's unresolved imports keyed by git blob id, and
per-work-tree snapshots of the last scan, under one folder (``.prepctl/cache``).

What is stored, and how, changes with ``SCANNER_VERSION``; nothing here is needed for
correctness.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import sqlite3
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from prepctl.fileio import OutputError, atomic_write_bytes
from prepctl.graph.scan.model import ParsedFile, RawImport
from prepctl.sqlitedb import open_shared

#: Bump when what the parser extracts changes: older cache entries are then ignored.
SCANNER_VERSION = 5
#: A snapshot file starts with this, the interpreter and marshal format that wrote it (marshal's
#: format may change between Python versions), then the SHA-1 of the rest: a file cut short or
#: damaged on disk is a miss, never a wrong result.
SNAPSHOT_MAGIC = b"prepctl-snapshot\n" + f"{sys.version_info[0]}.{sys.version_info[1]}/{marshal.version}\n".encode()


def dump_parsed(parsed: ParsedFile) -> str:
    return json.dumps([parsed.problem, parsed.full_parse,
                       [[r.line, r.level, r.module, r.names, r.flags] for r in parsed.imports],
                       parsed.verified], separators=(",", ":"))


def load_parsed(data: str) -> ParsedFile:
    problem, full, imports, verified = json.loads(data)
    return ParsedFile(tuple(RawImport(line, level, module, tuple(names), flags)
                            for line, level, module, names, flags in imports),
                      tuple(problem) if problem else None, full, verified)


def _prepare_cache(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous=NORMAL")
    # WAL lets concurrent runs read while one writes; the mode sticks to the file.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS parsed (blob TEXT PRIMARY KEY, data TEXT NOT NULL)")


class ParseCache:
    """Parsed imports keyed by git blob id, plus per-work-tree snapshots, under one folder.

    The parse table is SQLite in WAL mode: two prepctl runs may read and write it at once.
    Snapshots are one JSON file per (work tree, scan config), replaced atomically; the last
    writer wins and both versions are valid. Nothing here is needed for correctness: if the
    folder cannot be written, scans still work, only slower (``disabled_reason`` says why).
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.disabled_reason: str | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def _db_path(self) -> Path:
        return self.directory / f"imports-v{SCANNER_VERSION}.sqlite"

    def _connect(self, create: bool = True) -> sqlite3.Connection | None:
        if self._conn is not None or self.disabled_reason is not None:
            return self._conn
        if not create and not self._db_path.exists():
            return None  # nothing cached yet: no need to create the database just to read it
        try:
            self._ensure_directory()
            self._conn = open_shared(self._db_path, _prepare_cache, 30, check_same_thread=False)
        except (OSError, OutputError, sqlite3.Error) as exc:
            self.disabled_reason = f"import cache at {self.directory} not used: {exc}"
        return self._conn

    def _ensure_directory(self) -> None:
        if (self.directory / ".gitignore").is_file():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        # The cache never belongs in git, whatever the repository's own .gitignore says.
        atomic_write_bytes(self.directory / ".gitignore", b"*\n", durable=False)

    def knows_nothing(self) -> bool:
        """True when no parse can come from this cache (no database yet, or the cache is off):
        a scan then parses every file, and may start work on them before hashing them."""
        with self._lock:
            return self._conn is None and (self.disabled_reason is not None or not self._db_path.exists())

    def get_many(self, blobs: Iterable[str]) -> dict[str, ParsedFile]:
        wanted = list(blobs)
        found: dict[str, ParsedFile] = {}
        with self._lock:
            conn = self._connect(create=False) if wanted else None
            if conn is None:
                return found
            try:
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    for blob, data in conn.execute(
                            f"SELECT blob, data FROM parsed WHERE blob IN ({marks})", chunk):
                        try:
                            found[blob] = load_parsed(data)
                        except (ValueError, TypeError):
                            continue  # a damaged entry is parsed again and overwritten
            except sqlite3.Error as exc:
                self.disabled_reason = f"import cache unreadable: {exc}"
        return found

    def put_many(self, items: dict[str, ParsedFile]) -> None:
        if not items:
            return
        with self._lock:
            conn = self._connect()
            if conn is None:
                return
            rows = [(blob, dump_parsed(parsed)) for blob, parsed in items.items()]
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT OR REPLACE INTO parsed (blob, data) VALUES (?, ?)", rows)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                self.disabled_reason = f"import cache not written: {exc}"

    def _snapshot_path(self, key: str) -> Path:
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
        return self.directory / f"imports-v{SCANNER_VERSION}-snapshots" / f"{digest}.marshal"

    def load_snapshot(self, key: str) -> dict | None:
        """The snapshot saved under ``key``, or None: missing, written by another interpreter,
        damaged (its checksum) or saved under another key (a hash collision of the file name)."""
        try:
            raw = self._snapshot_path(key).read_bytes()
        except OSError:
            return None
        return decode_snapshot(raw, key)

    def save_snapshot(self, key: str, data: dict) -> None:
        try:
            self._ensure_directory()
            atomic_write_bytes(self._snapshot_path(key), encode_snapshot({**data, "key": key}),
                               durable=False)  # a cache file lost in a crash is rebuilt
        except (OSError, OutputError, ValueError) as exc:
            self.disabled_reason = f"import cache snapshot not written: {exc}"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def encode_snapshot(data: dict) -> bytes:
    """marshal, not JSON: a 50,000-module snapshot (half a million edges) loads several times
    faster, and tuples stay tuples. Only plain values (str, int, bool, None, lists, tuples, dicts)
    are stored; anything else raises ValueError."""
    payload = marshal.dumps(data)
    return SNAPSHOT_MAGIC + hashlib.sha1(payload).digest() + payload


def decode_snapshot(raw: bytes, key: str) -> dict | None:
    if not raw.startswith(SNAPSHOT_MAGIC):
        return None
    start = len(SNAPSHOT_MAGIC) + 20
    payload = memoryview(raw)[start:]
    if hashlib.sha1(payload).digest() != raw[len(SNAPSHOT_MAGIC):start]:
        return None
    try:
        data = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) and data.get("key") == key else None
