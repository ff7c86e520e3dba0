"""Structured data files of the monolith (YAML, JSON) parsed with the line of every key.

Gates that validate a document (an OpenAPI file, an engine's config) report each problem at
``file:line``; a JSON path alone makes the reader hunt for it. Parsing goes through a ``Tree`` so
the same code reads the work tree or a past revision.

The loader is bounded, because the files are the monolith's, not ours: a folder, FIFO or device
is refused before it is opened (reading a FIFO would wait forever), a file over
``MAX_DOCUMENT_BYTES`` is refused unread, aliases may expand to at most ``MAX_NODES`` nodes (a
"billion laughs" YAML would otherwise hang every walk of it), and a recursive alias or a
nesting too deep for Python is a parse error rather than a RecursionError. Duplicate keys are
recorded, not silently resolved: which one wins differs between parsers, so a gate that must
not guess can refuse them.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

    from prepctl.sources.tree import Tree

#: A JSON path: mapping keys as strings, sequence indices as ints.
JsonPath = tuple[str | int, ...]

#: Larger files are refused unread: real OpenAPI documents and configs are a few MB at most.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
#: Nodes a YAML document may expand to once aliases are followed (a 30 MB document has fewer).
MAX_NODES = 2_000_000


class DocumentError(Exception):
    """The file exists but cannot be parsed; carries where the parser gave up."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class DuplicateKey:
    """A mapping key given twice: the parser kept one of them, the author may have meant the other."""

    path: JsonPath
    line: int | None
    first_line: int | None = None

    def describe(self, rel: str) -> str:
        where = f"{rel}:{self.line}" if self.line else rel
        first = f" (first at line {self.first_line})" if self.first_line else ""
        return f"duplicate key {json_path_text(self.path)} at {where}{first}"


@dataclass(frozen=True)
class Document:
    """One parsed document and the 1-based line where each of its nodes starts."""

    path: str
    data: Any
    lines: dict[JsonPath, int] = field(default_factory=dict, repr=False)
    duplicates: tuple[DuplicateKey, ...] = ()

    def line_of(self, json_path: Sequence[Any]) -> int | None:
        """The line of the deepest node along ``json_path`` that the file has (None if unknown)."""
        key = _normalise_path(self.data, json_path)
        for end in range(len(key), -1, -1):
            if key[:end] in self.lines:
                return self.lines[key[:end]]
        return None


def json_path_text(json_path: Sequence[Any]) -> str:
    """`$.a.b[0]` in the notation jsonschema and most editors use; odd keys are bracketed."""
    out = "$"
    for part in json_path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part))}]"
    return out


def is_json(rel: str) -> bool:
    return rel.lower().endswith(".json")


def load_document(tree: Tree, rel: str) -> Document:
    """Parse one YAML or JSON file (by extension). FileNotFoundError if absent, else DocumentError.

    JSON here is strict: NaN and Infinity are not JSON, and a gate must not compare against them.
    """
    text = _read(tree, rel)
    if is_json(rel):
        # A byte-order mark (PowerShell's Out-File, Visual Studio) is not data; RFC 8259 lets a
        # parser ignore it, and YAML already does.
        return parse_json(text.removeprefix("\ufeff"), rel, allow_non_finite=False)
    docs = list(iter_yaml_documents(text, rel))
    if len(docs) != 1:
        raise DocumentError(rel, f"expected one YAML document, found {len(docs)}", 1)
    return docs[0]


def require_document_file(tree: Tree, rel: str) -> None:
    """Refuse what must not be opened: FileNotFoundError if absent, DocumentError for a folder, a
    FIFO or device (reading one blocks or never ends) or a file over ``MAX_DOCUMENT_BYTES``."""
    from prepctl.sources.tree import WorkTree, normalise

    if not tree.is_file(rel):
        if tree.is_dir(rel):
            raise DocumentError(rel, "is a folder, not a file")
        if isinstance(tree, WorkTree) and os.path.lexists(tree.root / normalise(rel)):
            real = Path(os.path.realpath(tree.root / normalise(rel)))
            root = Path(os.path.realpath(tree.root))
            if real != root and root not in real.parents:
                raise DocumentError(rel, f"is a link to {real}, outside the root {root}; prepctl reads "
                                    "only files under the root")
            raise DocumentError(rel, "is not a regular file (a FIFO, socket, device or broken link); "
                                "point at the document itself")
        raise FileNotFoundError(rel)
    if isinstance(tree, WorkTree):
        _check_size(rel, os.stat(tree.root / normalise(rel)).st_size)


def _check_size(rel: str, size: int) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(rel, f"is {size / 2**20:.0f} MB; prepctl reads documents up to "
                            f"{MAX_DOCUMENT_BYTES // 2**20} MB (split it, or point at the right file)")


_NON_FINITE = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def parse_json(text: str, rel: str, allow_non_finite: bool = True) -> Document:
    """JSON with the line of every node. ``allow_non_finite=False`` refuses NaN/Infinity, which
    Python's json accepts but JSON does not (and which compare false against every bound)."""
    seen_twice: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                seen_twice.append(key)
            out[key] = value
        return out

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        data = json.loads(text, object_pairs_hook=pairs,
                          parse_constant=None if allow_non_finite else refuse)
    except json.JSONDecodeError as exc:
        raise DocumentError(rel, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except ValueError as exc:
        if str(exc) not in ("NaN", "Infinity", "-Infinity"):  # e.g. an integer of 5,000 digits
            raise DocumentError(rel, f"invalid JSON: {exc}") from None
        line = next((text.count("\n", 0, m.start()) + 1 for m in _NON_FINITE.finditer(text) if m.group(1)),
                    None)
        raise DocumentError(rel, f"invalid JSON: {exc} is not a JSON number", line) from None
    except RecursionError:
        raise DocumentError(rel, "invalid JSON: nested too deeply to read") from None
    lines: dict[JsonPath, int] = {(): 1}
    duplicates: tuple[DuplicateKey, ...] = ()
    # JSON is (almost always) YAML, and the YAML composer knows where each node starts.
    try:
        for doc in iter_yaml_documents(text, rel):
            lines, duplicates = doc.lines, doc.duplicates
            break
    except DocumentError:
        pass
    if seen_twice and not duplicates:
        duplicates = tuple(DuplicateKey((key,), None) for key in seen_twice)
    return Document(rel, data, lines, duplicates)


def iter_yaml_documents(text: str, rel: str) -> Iterator[Document]:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            walk = _NodeWalk(rel)
            walk.record(node, ())
            data = loader.construct_document(node)
            yield Document(rel, data, walk.lines, tuple(walk.duplicates))
    except RecursionError:
        raise DocumentError(rel, "invalid YAML: nested too deeply to read") from None
    except (ValueError, OverflowError) as exc:
        # A scalar the constructor cannot make: `2024-02-31`, an integer of 5,000 digits.
        raise DocumentError(rel, f"invalid YAML: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise DocumentError(rel, f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise DocumentError(rel, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _read(tree: Tree, rel: str) -> str:
    require_document_file(tree, rel)
    try:
        data = tree.read_bytes(rel)
    except (IsADirectoryError, NotADirectoryError):
        raise DocumentError(rel, "is a folder, not a file") from None
    _check_size(rel, len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(rel, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


class _NodeWalk:
    """Records each node's line, once per path, within a node budget and refusing alias cycles."""

    def __init__(self, rel: str):
        import yaml

        self.rel = rel
        self.lines: dict[JsonPath, int] = {}
        self.duplicates: list[DuplicateKey] = []
        self.visited = 0
        self.open: set[int] = set()  # ids of the collections being walked: an alias cycle
        self.scalar, self.mapping = yaml.ScalarNode, yaml.MappingNode

    def record(self, node: yaml.Node, path: JsonPath) -> None:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise DocumentError(self.rel, f"invalid YAML: aliases expand to more than {MAX_NODES:,} "
                                "nodes (a YAML bomb?); prepctl will not expand it", node.start_mark.line + 1)
        lines = self.lines
        lines.setdefault(path, node.start_mark.line + 1)
        if type(node) is self.scalar:
            return
        if id(node) in self.open:
            raise DocumentError(self.rel, "invalid YAML: an alias refers to a node that contains it "
                                "(a recursive structure)", node.start_mark.line + 1)
        self.open.add(id(node))
        scalar = self.scalar
        if type(node) is self.mapping:
            first_lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not scalar:
                    continue
                # The key's own line: a value that is a nested mapping starts on the next line.
                key, line = key_node.value, key_node.start_mark.line + 1
                child = (*path, key)
                if key not in first_lines:
                    first_lines[key] = line
                elif key_node.tag != "tag:yaml.org,2002:merge":
                    self.duplicates.append(DuplicateKey(child, line, first_lines[key]))
                lines.setdefault(child, line)
                if type(value_node) is scalar:
                    self.visited += 1  # its line is its key's, recorded just above
                else:
                    self.record(value_node, child)
        else:
            for index, item in enumerate(node.value):
                self.record(item, (*path, index))
        self.open.discard(id(node))


def non_finite_paths(data: Any, path: JsonPath = ()) -> Iterator[JsonPath]:
    """Where a YAML document holds NaN or an infinity, which compare false against every bound."""
    if isinstance(data, float) and not math.isfinite(data):
        yield path
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from non_finite_paths(value, (*path, _key_text(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from non_finite_paths(value, (*path, index))


def json_shaped(data: Any) -> Any:
    """The document as JSON has it: YAML reads `200:` as an int key and `version: 2024-01-01` as a
    date; both are text to OpenAPI (its own tools read YAML timestamps as text)."""
    import datetime

    if isinstance(data, dict):
        return {_key_text(key): json_shaped(value) for key, value in data.items()}
    if isinstance(data, list):
        return [json_shaped(item) for item in data]
    if isinstance(data, datetime.date):
        return data.isoformat()
    return data


def _normalise_path(data: Any, json_path: Sequence[Any]) -> JsonPath:
    """Match a validator's path to our keys: YAML keys were recorded as their source text."""
    out: list[str | int] = []
    current = data
    for part in json_path:
        if isinstance(current, list) and isinstance(part, int):
            out.append(part)
            current = current[part] if 0 <= part < len(current) else None
        else:
            out.append(_key_text(part))
            current = current.get(part) if isinstance(current, dict) else None
    return tuple(out)


def _key_text(key: Any) -> str:
    # `200:` in YAML is an int key whose source text is "200"; `true:` would be "true".
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)
