"""Structured data files of the monolith (YAML, JSON) parsed with the line of every key.

Gates that validate a document (an OpenAPI file, an engine's config) report each problem at
``file:line``; a JSON path alone makes the reader hunt for it. Parsing goes through a ``Tree`` so
the same code reads the work tree or a past revision.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

    from prepctl.sources.tree import Tree

#: A JSON path: mapping keys as strings, sequence indices as ints.
JsonPath = tuple[str | int, ...]


class DocumentError(Exception):
    """The file exists but cannot be parsed; carries where the parser gave up."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Document:
    """One parsed document and the 1-based line where each of its nodes starts."""

    path: str
    data: Any
    lines: dict[JsonPath, int] = field(default_factory=dict, repr=False)

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
    """Parse one YAML or JSON file (by extension). FileNotFoundError if absent, else DocumentError."""
    text = _read(tree, rel)
    if is_json(rel):
        return parse_json(text, rel)
    docs = list(iter_yaml_documents(text, rel))
    if len(docs) != 1:
        raise DocumentError(rel, f"expected one YAML document, found {len(docs)}", 1)
    return docs[0]


def parse_json(text: str, rel: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(rel, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    lines: dict[JsonPath, int] = {}
    # JSON is (almost always) YAML, and the YAML composer knows where each node starts.
    try:
        for doc in iter_yaml_documents(text, rel):
            lines = doc.lines
            break
    except DocumentError:
        lines = {(): 1}
    return Document(rel, data, lines)


def iter_yaml_documents(text: str, rel: str) -> Iterator[Document]:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[JsonPath, int] = {}
            _record_lines(node, (), lines)
            data = loader.construct_document(node)
            yield Document(rel, data, lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise DocumentError(rel, f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise DocumentError(rel, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _read(tree: Tree, rel: str) -> str:
    try:
        return tree.read_text(rel)
    except (IsADirectoryError, NotADirectoryError):
        raise DocumentError(rel, "is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise DocumentError(rel, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _record_lines(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> None:
    import yaml

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            # The key's own line: a value that is a nested mapping starts on the next line.
            child = (*path, key_node.value)
            lines.setdefault(child, key_node.start_mark.line + 1)
            _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


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
