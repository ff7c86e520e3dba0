"""One file's scan for a setting, and the content cache that keeps it until the file changes.

What a scan finds in a file (its definitions with file:line, the names it saw for "did you mean",
or why the file cannot be read) depends only on:

- the file's bytes (its git blob id) and path (messages name it; the path decides the reader);
- the name and attribute asked for;
- the reader: :data:`SCAN_FORMAT`, the prepctl and PyYAML versions, and the Python whose ``ast``
  parses the file (a syntax error's text and what parses at all change with it);
- the other modules the scan followed an imported helper into (``from .helpers import env_bool``).
  Those are read through :func:`module_loader`, which records every path it tried with the blob id
  of the bytes it read (None: absent). They are the entry's dependencies, compared with the tree on
  every lookup (:class:`prepctl.contentcache.ContentCache`), so editing a helper module is a miss.

Nothing depends on the run's environment variables: a default is read from the code, never looked
up in ``os.environ``. So :class:`FileScanner` keys the scan by all of the above; a second run on
unchanged files parses nothing. Scans the gate would redact are never kept (a setting named like a
credential, a URL with a password): the cache holds nothing the report would not show. Values
are JSON with tagged types (a tuple stays a tuple, a float keeps every bit); an entry that does
not decode to exactly that shape is a miss, never a result.
"""

from __future__ import annotations

import contextlib
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from prepctl.contentcache import ContentCache, distribution_versions, make_key
from prepctl.sources.settings.dotenv import scan_dotenv
from prepctl.sources.settings.ini import scan_ini
from prepctl.sources.settings.model import SECRET_NAME, URL_PASSWORD, DefaultKind, SettingDefinition, Unreadable
from prepctl.sources.settings.modules import MAX_MODULES, Loader, ModuleCache
from prepctl.sources.settings.python import scan_python
from prepctl.sources.settings.structured import scan_structured, scan_toml
from prepctl.sources.tree import NotARegularFile, git_blob_id

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree

#: Bump when what a scan reports changes (a new reader, a new folding rule): older entries are
#: then ignored, since prepctl's own version does not change between commits.
SCAN_FORMAT = 1
#: A name seen while scanning: (name, line) or (name, line, note, loose) from Python.
Seen = tuple[str, int] | tuple[str, int, str, bool]
#: What the loader treats as "no module here, try the next candidate".
ABSENT = (FileNotFoundError, IsADirectoryError, NotADirectoryError, NotARegularFile)


@dataclass(frozen=True)
class FileScan:
    """What one file says about one setting."""

    found: list[SettingDefinition] = field(default_factory=list)
    seen: Sequence[Seen] = ()
    problem: Unreadable | None = None


def file_type_of(rel: str) -> str:
    name = PurePosixPath(rel).name.lower()
    if name.endswith(".py"):
        return "python"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "dotenv"
    if name.endswith((".yaml", ".yml", ".json")):
        return "structured"
    if name.endswith(".toml"):
        return "toml"
    if name.endswith((".ini", ".cfg")):
        return "ini"
    return "other"


def scan_file(file_type: str, text: str, rel: str, name: str, attribute: str | None, loader: Loader,
              modules: ModuleCache) -> FileScan:
    """Parse ``text`` (the file ``rel``) with the reader for its type: the uncached extractor."""
    if file_type == "python":
        found, seen, problem = scan_python(text, rel, name, attribute, loader, modules)
        return FileScan(found, [(s.name, s.line, s.note, s.loose) for s in seen], problem)
    if file_type == "dotenv":
        found, pairs = scan_dotenv(text, rel, name, attribute)
        return FileScan(found, pairs, None)
    if file_type == "structured":
        return FileScan(*scan_structured(text, rel, name, attribute))
    if file_type == "toml":
        return FileScan(*scan_toml(text, rel, name, attribute))
    if file_type == "ini":
        return FileScan(*scan_ini(text, rel, name, attribute))
    return FileScan([], [], Unreadable(rel, "prepctl cannot read this file type for settings; it reads .py, "
                                       ".env, YAML, JSON, TOML and INI/cfg files"))


class ModuleReads:
    """The modules the current file's scan read through the loader: each path tried with the blob
    id of what was read (None: absent), and the modules found, for the per-scan limit."""

    def __init__(self) -> None:
        self.blobs: dict[str, str | None] = {}
        self.found: set[str] = set()

    def start(self) -> None:
        """A new file's scan: what the last one read is not this one's dependency."""
        self.blobs = {}
        self.found = set()

    def record(self, rel: str, data: bytes | None) -> None:
        self.blobs.setdefault(rel, None if data is None else git_blob_id(data))

    def allows(self, rel: str) -> bool:
        """At most MAX_MODULES modules per file's scan. Per scan, not per search, so that a scan's
        result never depends on which files were scanned before it (it could not be cached)."""
        if rel in self.found:
            return True
        if len(self.found) >= MAX_MODULES:
            return False
        self.found.add(rel)
        return True


def module_loader(tree: Tree, reads: ModuleReads | None = None) -> Loader:
    """Finds the text of a module a settings file imports from, as a file of ``tree``: relative
    imports beside the importer; absolute ones under each folder above it (``src/`` layouts,
    ``backend/`` folders) and the root. Nothing is imported. Every path tried goes to ``reads``."""
    reads = reads if reads is not None else ModuleReads()

    def load(module: str, level: int, importer: str) -> tuple[str, str] | None:
        parts = [p for p in module.split(".") if p]
        folder = PurePosixPath(importer).parent
        if level:
            bases = [folder.parents[level - 2] if level >= 2 else folder] if level - 2 < len(folder.parents) \
                else []
        else:
            bases = [folder, *folder.parents]
        for base in bases:
            stem = PurePosixPath(base, *parts)
            for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                rel = candidate.removeprefix("./")
                if rel.startswith("/") or ".." in PurePosixPath(rel).parts:
                    continue
                try:
                    data = tree.read_bytes(rel)
                except ABSENT:
                    reads.record(rel, None)
                    continue
                reads.record(rel, data)  # before decoding: a file made UTF-8 later is a change
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                return (text, rel) if reads.allows(rel) else None
        return None

    return load


def reader_identity() -> str:
    """Besides the bytes, what decides a scan's result: bumped, upgraded or another Python, a miss."""
    return (f"prepctl-settings-{SCAN_FORMAT};{platform.python_implementation()} {sys.version};"
            + distribution_versions("prepctl", "pyyaml"))


class FileScanner:
    """Scans the files of one search for ``name``; with a cache, each file's scan is looked up by
    content first. The loader and the parsed-module memo are shared by the search's files."""

    def __init__(self, tree: Tree, name: str, attribute: str | None, cache: ContentCache | None = None):
        self.tree = tree
        self.name = name
        self.attribute = attribute
        # `--no-cache` (a cache with no folder): no key to compute, every file is scanned.
        self.cache = cache if cache is not None and cache.directory is not None else None
        self.reads = ModuleReads()
        self.loader = module_loader(tree, self.reads)
        self.modules: ModuleCache = {}
        self.identity = reader_identity() if self.cache is not None else ""
        #: A credential's scans are not kept: the cache would hold its default in clear.
        self.secret = any(SECRET_NAME.search(n) for n in (name, attribute) if n)

    def scan(self, rel: str, data: bytes, text: str) -> FileScan:
        """The scan of ``rel``, whose content is ``data`` (decoded: ``text``)."""
        file_type = file_type_of(rel)
        if self.cache is None or self.secret:  # a credential's scans are neither kept nor looked up
            return self._scan(file_type, text, rel)
        # The key's blob id is of the bytes this scan parses: a file rewritten since it was read
        # is a different key next time, never a wrong value under the new one.
        key = make_key("settings", self.identity, file_type, rel, git_blob_id(data), self.name,
                       self.attribute or "")
        hit = self.cache.get(key, self.current, decode_scan)
        if hit is not None:
            return hit
        result = self._scan(file_type, text, rel)
        if holds_password(result):
            return result  # what the gate never shows is never written to disk either
        # A value JSON cannot carry exactly raises: the result is right, just not kept.
        with contextlib.suppress(ValueError, TypeError, RecursionError):
            self.cache.put(key, encode_scan(result), self.reads.blobs)
        return result

    def _scan(self, file_type: str, text: str, rel: str) -> FileScan:
        self.reads.start()
        return scan_file(file_type, text, rel, self.name, self.attribute, self.loader, self.modules)

    def current(self, rel: str) -> str | None:
        """A dependency's blob id now, read the way the loader reads it (absent: None). Any other
        failure is a value no entry holds, so the entry is stale and the scan runs (and fails) again."""
        try:
            return git_blob_id(self.tree.read_bytes(rel))
        except ABSENT:
            return None
        except (OSError, ValueError) as exc:
            return f"unreadable: {type(exc).__name__}"


def holds_password(scan: FileScan) -> bool:
    """Whether a URL with a password (`scheme://user:password@`) is in what the scan found."""
    return any(URL_PASSWORD.search(repr(d.value)) or URL_PASSWORD.search(d.text) for d in scan.found) or \
        (scan.problem is not None and URL_PASSWORD.search(scan.problem.reason) is not None)


# -- JSON with types: what a definition's value is decides the verdict (1 is not True, a tuple is
#    not a list for the gate's comparison), so every value carries its type.


def encode_value(value: Any) -> Any:
    """``value`` as JSON data that :func:`decode_value` turns back into an equal value of the same
    type; ValueError for anything else (the scan is then not cached)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return {"int": str(value)}  # str(): a 5000-digit literal raises ValueError, not kept
    if isinstance(value, float):
        return {"float": value.hex()}  # exact, nan and inf included
    if isinstance(value, complex):
        return {"complex": [value.real.hex(), value.imag.hex()]}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, list | tuple | set | frozenset):
        return {type(value).__name__: [encode_value(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    raise ValueError(f"cannot keep a {type(value).__name__} value")


def decode_value(data: Any) -> Any:
    if data is None or isinstance(data, bool | str):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("not an encoded value")
    [(tag, inner)] = data.items()
    if tag == "int":
        return int(_typed(inner, str))
    if tag == "float":
        return float.fromhex(_typed(inner, str))
    if tag == "complex":
        real, imag = _typed(inner, list)
        return complex(float.fromhex(_typed(real, str)), float.fromhex(_typed(imag, str)))
    if tag == "bytes":
        return bytes.fromhex(_typed(inner, str))
    items = _typed(inner, list)
    if tag == "list":
        return [decode_value(v) for v in items]
    if tag == "tuple":
        return tuple(decode_value(v) for v in items)
    if tag == "set":
        return {decode_value(v) for v in items}
    if tag == "frozenset":
        return frozenset(decode_value(v) for v in items)
    if tag == "dict":
        return {decode_value(k): decode_value(v) for k, v in (_typed(pair, list) for pair in items)}
    raise ValueError(f"unknown value type {tag!r}")


def encode_scan(scan: FileScan) -> dict[str, Any]:
    return {"found": [[d.name, d.path, d.line, d.how, d.kind.value, encode_value(d.value), d.text]
                      for d in scan.found],
            "seen": [list(s) for s in scan.seen],
            "problem": None if scan.problem is None else [scan.problem.path, scan.problem.reason,
                                                          scan.problem.line]}


def decode_scan(data: Any) -> FileScan:
    """A stored scan, every field checked for its type: a damaged entry raises, it never decodes
    to fewer definitions than the file has."""
    try:
        return _decode_scan(data)
    except RecursionError as exc:  # a forged, absurdly nested value
        raise ValueError("a stored value nests too deeply") from exc


def _decode_scan(data: Any) -> FileScan:
    if not isinstance(data, dict) or set(data) != {"found", "seen", "problem"}:
        raise ValueError("not a stored scan")
    found = []
    for row in _typed(data["found"], list):
        name, path, line, how, kind, value, text = _typed(row, list)
        found.append(SettingDefinition(_typed(name, str), _typed(path, str), _line(line), _typed(how, str),
                                       DefaultKind(_typed(kind, str)), decode_value(value), _typed(text, str)))
    seen: list[Seen] = []
    for row in _typed(data["seen"], list):
        if len(_typed(row, list)) == 2:
            seen.append((_typed(row[0], str), _line(row[1])))
        else:
            name, line, note, loose = row
            seen.append((_typed(name, str), _line(line), _typed(note, str), _typed(loose, bool)))
    problem = None
    if data["problem"] is not None:
        path, reason, line = _typed(data["problem"], list)
        problem = Unreadable(_typed(path, str), _typed(reason, str), None if line is None else _line(line))
    return FileScan(found, seen, problem)


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value


def _line(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("a line is a number")
    return value
