"""Reading a YAML config (phases.yaml, signoffs.yaml) safely, with the position of every key.

A config is hostile input: it may be a FIFO or a device, gigabytes long, an alias bomb (a few
hundred bytes whose aliases expand to billions of nodes), nested 20,000 deep, or carry tags that
ask for Python objects. Each of those gets a ``file:line:col`` error here, in bounded time and
memory, before anything else reads the data:

1. only a regular file is opened (``os.stat`` first, so a device is never opened; ``O_NONBLOCK``
   and ``fstat`` on the open descriptor, so a file swapped for a FIFO in between cannot block),
   and at most ``MAX_CONFIG_BYTES`` are read;
2. the bytes must be UTF-8 (a leading BOM is dropped);
3. one pass over the parser's events (iterative, so depth cannot overflow the stack) checks
   depth, tags and aliases: the nodes every alias expands to are counted against a budget;
4. only then does ruamel build the document, with timestamps kept as text so an impossible date
   becomes a validation error at its key instead of a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prepctl.errors import ConfigError, Problem
from prepctl.fileio import decode_utf8, read_regular_file

#: Larger configs are refused: ruamel reads about 2 MB/s, and no plan is near this size.
MAX_CONFIG_BYTES = 2 * 1024 * 1024
#: Deeper nesting is refused (a plan needs about 8 levels); it also keeps ruamel's recursive
#: composer far from Python's recursion limit.
MAX_DEPTH = 64
#: Nodes that aliases may add by expansion, in all; a legitimate plan reuses a few small anchors.
ALIAS_BUDGET = 10_000
#: Explicit tags that only restate what YAML would infer; any other tag is refused.
CORE_TAGS = frozenset(f"tag:yaml.org,2002:{name}"
                      for name in ("str", "int", "float", "bool", "null", "map", "seq"))

Positions = dict[tuple[Any, ...], tuple[int, int]]


def _line_col(text: str, index: int) -> tuple[int, int]:
    index = max(0, min(index, len(text)))
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _yaml_problem(exc: Exception, text: str, file: str) -> Problem:
    """A ruamel error as a Problem at its position (reader errors carry an index, others a mark)."""
    from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError
    from ruamel.yaml.reader import ReaderError

    if isinstance(exc, ReaderError):
        line, column = _line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        return Problem(file=file, line=line, column=column,
                       message=f"character U+{code:04X} is not allowed in YAML ({exc.reason})",
                       hint="remove control characters, or write them as escapes in a double-quoted string")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    if isinstance(exc, DuplicateKeyError):
        return Problem(file=file, line=line, column=column, message=f"duplicate key: {exc.problem}",
                       hint="each key may appear once per mapping")
    reason = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    if isinstance(exc, ConstructorError):  # well-formed YAML, but a value that cannot be built
        return Problem(file=file, line=line, column=column, message=str(reason))
    return Problem(file=file, line=line, column=column, message=f"YAML syntax error: {reason}")


@dataclass
class _Frame:
    """An open collection during the event pass."""

    anchor: str | None
    nodes: int = 1
    depth: int = 1


@dataclass
class _Shape:
    """What the event pass learned about anchors: their size and depth once expanded."""

    sizes: dict[str, int] = field(default_factory=dict)
    depths: dict[str, int] = field(default_factory=dict)
    expanded: int = 0


def check_shape(text: str, file: str) -> None:
    """Depth, tags and alias expansion, from the parser's events, before any node is built."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

    shape = _Shape()
    stack: list[_Frame] = []

    def problem(event: Any, message: str, hint: str) -> ConfigError:
        mark = event.start_mark
        return ConfigError(Problem(file=file, line=mark.line + 1, column=mark.column + 1,
                                   message=message, hint=hint))

    def add(nodes: int, depth: int) -> None:
        if stack:
            stack[-1].nodes += nodes
            stack[-1].depth = max(stack[-1].depth, depth + 1)

    try:
        for event in YAML(typ="rt").parse(text):
            if not isinstance(event, NodeEvent):
                if isinstance(event, CollectionEndEvent) and stack:
                    done = stack.pop()
                    if done.anchor is not None:
                        shape.sizes[done.anchor], shape.depths[done.anchor] = done.nodes, done.depth
                    add(done.nodes, done.depth)
                continue
            tag = getattr(event, "tag", None)
            if tag is not None and str(tag) not in CORE_TAGS:
                raise problem(event, f"YAML tag '{tag}' is not supported",
                              "a config needs no tags: remove it, and quote the value if it is text")
            if isinstance(event, AliasEvent):
                name = str(event.anchor)
                if any(frame.anchor == name for frame in stack):
                    raise problem(event, f"alias *{name} is inside its own anchor (a recursive "
                                  "structure)", "an alias may only repeat a finished node")
                if name not in shape.sizes:
                    raise problem(event, f"alias *{name} names no anchor before it",
                                  f"define &{name} first")
                shape.expanded += shape.sizes[name]
                if shape.expanded > ALIAS_BUDGET:
                    raise problem(event, f"aliases expand to more than {ALIAS_BUDGET:,} nodes "
                                  "(an alias bomb?)", "repeat less through anchors; write the values out")
                if len(stack) + shape.depths[name] > MAX_DEPTH:
                    raise problem(event, f"alias *{name} nests deeper than {MAX_DEPTH} levels",
                                  "flatten the structure")
                add(shape.sizes[name], shape.depths[name])
            elif isinstance(event, CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise problem(event, f"nested deeper than {MAX_DEPTH} levels",
                                  "a plan needs a handful of levels; flatten the structure")
                stack.append(_Frame(anchor=str(event.anchor) if event.anchor is not None else None))
            else:  # a scalar
                if event.anchor is not None:
                    shape.sizes[str(event.anchor)], shape.depths[str(event.anchor)] = 1, 0
                add(1, 0)
    except YAMLError as exc:
        raise ConfigError(_yaml_problem(exc, text, file)) from None


def _loader() -> Any:
    """ruamel's round-trip loader (it keeps positions), with timestamps left as text: pydantic
    parses dates where the model wants them, and an impossible one is an error at its key."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor

    class TextTimestamps(RoundTripConstructor):
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            # A scalar Python cannot hold (an int of 5,000 digits...) as an error at that node;
            # the innermost node raises first, so the mark is the value's own.
            try:
                return super().construct_object(node, deep=deep)
            except (ValueError, TypeError, OverflowError) as exc:
                raise ConstructorError(None, None, f"cannot read this value: {exc}",
                                       node.start_mark) from None

    TextTimestamps.add_constructor("tag:yaml.org,2002:timestamp",
                                   lambda self, node: self.construct_scalar(node))
    yaml = YAML(typ="rt")
    yaml.Constructor = TextTimestamps
    return yaml


def read_yaml_with_positions(path: Path, *, what: str = "file", missing_hint: str | None = None,
                             ) -> tuple[Any, Positions]:
    """Parse YAML into plain Python plus a map from key path to (line, column), both 1-based."""
    from ruamel.yaml.error import YAMLError

    file = str(path)
    text = decode_utf8(read_regular_file(path, what=what, missing_hint=missing_hint,
                                         max_bytes=MAX_CONFIG_BYTES, error=ConfigError), file, ConfigError)
    check_shape(text, file)
    try:
        raw = _loader().load(text)
    except YAMLError as exc:
        raise ConfigError(_yaml_problem(exc, text, file)) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # A scalar ruamel cannot construct; the event pass has vetted everything else.
        raise ConfigError(Problem(file=file, line=1, column=1,
                                  message=f"cannot read YAML: {type(exc).__name__}: {exc}")) from None
    positions: Positions = {}
    return plain(raw, (), (1, 1), positions), positions


def plain(node: Any, path: tuple[Any, ...], here: tuple[int, int], positions: Positions) -> Any:
    """ruamel's document as plain dicts, lists and scalars, recording each key's position.

    Keys a merge (``<<: *anchor``) brings in have no position of their own: they get the
    position of the mapping they were merged into.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            found = node.lc.data.get(key)
            where = (found[0] + 1, found[1] + 1) if found else here
            name = str(key)
            positions[(*path, name)] = where
            out[name] = plain(value, (*path, name), where, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            found = node.lc.data.get(index)
            where = (found[0] + 1, found[1] + 1) if found else here
            positions[(*path, index)] = where
            items.append(plain(value, (*path, index), where, positions))
        return items
    # ruamel's scalar subclasses (ScalarFloat, ScalarInt, LiteralScalarString...) as builtins,
    # so no reader ever meets a type it does not know.
    if isinstance(node, ScalarBoolean):
        return bool(node)
    for builtin in (bool, int, float, str):
        if isinstance(node, builtin):
            return builtin(node)
    return node
