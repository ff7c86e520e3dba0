"""Reading a YAML config (phases.yaml, signoffs.yaml) safely, with the position of every key.

A config is hostile input: it may be a FIFO or a device, gigabytes long, an alias bomb (a few
hundred bytes whose aliases expand to billions of nodes), nested 20,000 deep, or carry tags that
ask for Python objects. Each of those gets a ``file:line:col`` error here, in bounded time and
memory, before anything else reads the data:

1. only a regular file of at most ``MAX_CONFIG_BYTES`` is read (``prepctl.fileio``: a device or
   FIFO is never opened, nothing blocks);
2. the bytes must be UTF-8 (a leading BOM is dropped);
3. one pass over the parser's events (iterative, so depth cannot overflow the stack) checks
   depth, tags and aliases: the nodes every alias expands to are counted against a budget;
4. only then is the node graph composed and turned into plain data here, by the YAML 1.2 core
   schema (``yes`` is text, a date is text that pydantic parses where a date is wanted), with
   merge keys, duplicate keys refused, and each key's position recorded.

libyaml (PyYAML's C parser) does the parsing: ruamel's pure-Python round-trip parser took about
a minute for a 2 MB plan on a busy machine, itself a denial of service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prepctl.errors import ConfigError, Problem
from prepctl.fileio import decode_utf8, read_regular_file

#: Larger configs are refused: no plan is near this size (the example's is 17 KB).
MAX_CONFIG_BYTES = 1024 * 1024
#: Deeper nesting is refused (a plan needs about 8 levels); it also keeps the composer, which
#: recurses, far from any stack limit.
MAX_DEPTH = 64
#: Nodes that aliases may add by expansion, in all; a legitimate plan reuses a few small anchors.
ALIAS_BUDGET = 10_000
_CORE = "tag:yaml.org,2002:"
#: Explicit tags that only restate what YAML would infer; any other tag is refused.
CORE_TAGS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null", "map", "seq"))
_MERGE_TAG = _CORE + "merge"

Positions = dict[tuple[Any, ...], tuple[int, int]]
#: (line, column), 0-based as in marks, of each scalar with an explicit tag, and the tag.
Explicit = dict[tuple[int, int], str]

# The YAML 1.2 core schema: what a plain scalar means.
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")


def _yaml() -> tuple[Any, Any]:
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _byte_line_col(text: str, index: int) -> tuple[int, int]:
    """libyaml reports a reader error's position as a byte offset into the UTF-8 text."""
    data = text.encode("utf-8")
    index = max(0, min(index, len(data)))
    start = data.rfind(b"\n", 0, index) + 1
    return data.count(b"\n", 0, index) + 1, len(data[start:index].decode("utf-8", errors="replace")) + 1


def _yaml_problem(exc: Exception, text: str, file: str) -> Problem:
    """A PyYAML error as a Problem at its position (reader errors carry an offset, others a mark)."""
    yaml, _ = _yaml()
    if isinstance(exc, yaml.reader.ReaderError):
        line, column = _byte_line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        return Problem(file=file, line=line, column=column,
                       message=f"character U+{code:04X} is not allowed in YAML ({exc.reason})",
                       hint="remove control characters, or write them as escapes in a double-quoted string")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    return Problem(file=file, line=mark.line + 1 if mark else 1, column=mark.column + 1 if mark else 1,
                   message=f"YAML syntax error: {reason}")


def _at(mark: Any, file: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError(Problem(file=file, line=mark.line + 1, column=mark.column + 1, message=message,
                               hint=hint))


@dataclass
class _Frame:
    """An open collection during the event pass."""

    anchor: str | None
    nodes: int = 1
    depth: int = 1


@dataclass
class _Shape:
    """What the event pass learned: anchors' sizes and depths once expanded, explicit tags."""

    sizes: dict[str, int] = field(default_factory=dict)
    depths: dict[str, int] = field(default_factory=dict)
    expanded: int = 0
    explicit: Explicit = field(default_factory=dict)


def check_shape(text: str, file: str) -> Explicit:
    """Depth, tags and alias expansion, from the parser's events, before any node is built.
    Returns where the (core) explicit tags are, for the scalars that carry one."""
    yaml, loader = _yaml()
    shape = _Shape()
    stack: list[_Frame] = []

    def add(nodes: int, depth: int) -> None:
        if stack:
            stack[-1].nodes += nodes
            stack[-1].depth = max(stack[-1].depth, depth + 1)

    try:
        for event in yaml.parse(text, Loader=loader):
            if not isinstance(event, yaml.NodeEvent):
                if isinstance(event, yaml.CollectionEndEvent) and stack:
                    done = stack.pop()
                    if done.anchor is not None:
                        shape.sizes[done.anchor], shape.depths[done.anchor] = done.nodes, done.depth
                    add(done.nodes, done.depth)
                continue
            mark = event.start_mark
            tag = getattr(event, "tag", None)
            if tag is not None:
                if tag not in CORE_TAGS:
                    raise _at(mark, file, f"YAML tag '{tag}' is not supported",
                              "a config needs no tags: remove it, and quote the value if it is text")
                shape.explicit[(mark.line, mark.column)] = tag
            if isinstance(event, yaml.AliasEvent):
                name = str(event.anchor)
                if any(frame.anchor == name for frame in stack):
                    raise _at(mark, file, f"alias *{name} is inside its own anchor (a recursive structure)",
                              "an alias may only repeat a finished node")
                if name not in shape.sizes:
                    raise _at(mark, file, f"alias *{name} names no anchor before it", f"define &{name} first")
                shape.expanded += shape.sizes[name]
                if shape.expanded > ALIAS_BUDGET:
                    raise _at(mark, file, f"aliases expand to more than {ALIAS_BUDGET:,} nodes (an alias "
                              "bomb?)", "repeat less through anchors; write the values out")
                if len(stack) + shape.depths[name] > MAX_DEPTH:
                    raise _at(mark, file, f"alias *{name} nests deeper than {MAX_DEPTH} levels",
                              "flatten the structure")
                add(shape.sizes[name], shape.depths[name])
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise _at(mark, file, f"nested deeper than {MAX_DEPTH} levels",
                              "a plan needs a handful of levels; flatten the structure")
                stack.append(_Frame(anchor=str(event.anchor) if event.anchor is not None else None))
            else:  # a scalar
                if event.anchor is not None:
                    shape.sizes[str(event.anchor)], shape.depths[str(event.anchor)] = 1, 0
                add(1, 0)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(exc, text, file)) from None
    return shape.explicit


def core_scalar(text: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema (ValueError: an int Python will not convert)."""
    if text in _NULL:
        return None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


@dataclass
class _Builder:
    """Turns the composed node graph into plain dicts, lists and scalars, with key positions."""

    file: str
    explicit: Explicit
    positions: Positions = field(default_factory=dict)

    def build(self, node: Any, path: tuple[Any, ...], here: tuple[int, int]) -> Any:
        yaml, _ = _yaml()
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, here)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                where = (item.start_mark.line + 1, item.start_mark.column + 1)
                self.positions[(*path, index)] = where
                items.append(self.build(item, (*path, index), where))
            return items
        return self.scalar(node)

    def scalar(self, node: Any) -> Any:
        mark = node.start_mark
        tag = self.explicit.get((mark.line, mark.column))
        if tag is None:
            if node.style:  # quoted or block: text, whatever it looks like
                return node.value
            tag = ""
        if tag == _CORE + "str":
            return node.value
        try:
            value = core_scalar(node.value)
        except ValueError as exc:  # e.g. an int of 5,000 digits
            raise _at(mark, self.file, f"cannot read this value: {exc}") from None
        wanted = {_CORE + "int": int, _CORE + "float": (int, float), _CORE + "bool": bool,
                  _CORE + "null": type(None)}.get(tag)
        if wanted is not None and (not isinstance(value, wanted) or isinstance(value, bool) and wanted is int):
            raise _at(mark, self.file, f"{node.value!r} is not a {tag.rsplit(':', 1)[-1]}")
        return float(value) if tag == _CORE + "float" else value

    def mapping(self, node: Any, path: tuple[Any, ...], here: tuple[int, int]) -> dict[str, Any]:
        yaml, _ = _yaml()
        out: dict[str, Any] = {}
        merges = [value for key, value in node.value if key.tag == _MERGE_TAG]
        # Merged keys first, so the mapping's own keys override them; of several merged
        # mappings the first wins, so they are applied last to first.
        for source in reversed(merges):
            parts = source.value if isinstance(source, yaml.SequenceNode) else [source]
            for part in reversed(parts):
                if not isinstance(part, yaml.MappingNode):
                    raise _at(part.start_mark, self.file, "a merge key (<<) takes a mapping or a list of "
                              "mappings", "write <<: *anchor of a mapping")
                for key, value in self.mapping(part, path, here).items():
                    self.positions[(*path, key)] = here  # where it was merged in
                    out[key] = value
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            mark = key_node.start_mark
            if not isinstance(key_node, yaml.ScalarNode):
                raise _at(mark, self.file, "a key must be a plain value, not a list or mapping")
            key = key_node.value
            if key in seen:
                raise _at(mark, self.file, f'duplicate key: "{key}" is already on line {seen[key]}',
                          "each key may appear once per mapping")
            seen[key] = mark.line + 1
            where = (mark.line + 1, mark.column + 1)
            self.positions[(*path, key)] = where
            out[key] = self.build(value_node, (*path, key), where)
        return out


def read_yaml_with_positions(path: Path, *, what: str = "file", missing_hint: str | None = None,
                             ) -> tuple[Any, Positions]:
    """Parse YAML into plain Python plus a map from key path to (line, column), both 1-based."""
    yaml, loader = _yaml()
    file = str(path)
    text = decode_utf8(read_regular_file(path, what=what, missing_hint=missing_hint,
                                         max_bytes=MAX_CONFIG_BYTES, error=ConfigError), file, ConfigError)
    explicit = check_shape(text, file)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(exc, text, file)) from None
    builder = _Builder(file, explicit)
    if root is None:
        return None, builder.positions
    return builder.build(root, (), (1, 1)), builder.positions
