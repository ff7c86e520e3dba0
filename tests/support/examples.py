"""What the registry consistency tests read of a gate or contract: its docstring example, its Literal."""

from __future__ import annotations

import re
import sys
import typing

import yaml

#: The one fenced example per gate or contract module: a line "```yaml", the YAML, a line "```".
EXAMPLE = re.compile(r"^```yaml\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def docstring_example(obj: type) -> object:
    """The parsed example of the module that defines ``obj``; exactly one must be there."""
    doc = sys.modules[obj.__module__].__doc__ or ""
    blocks = EXAMPLE.findall(doc)
    assert len(blocks) == 1, f"{obj.__module__}: {len(blocks)} ```yaml blocks in the docstring, want exactly one"
    return yaml.safe_load(blocks[0])


def literal_of(model: type, field: str) -> tuple[object, ...]:
    """The values of ``model``'s ``field: Literal[...]`` (empty when it is no Literal)."""
    annotation = model.model_fields[field].annotation  # type: ignore[attr-defined]
    return typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()
