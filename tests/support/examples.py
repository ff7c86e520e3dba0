"""The YAML example in a gate's or contract's module docstring (the generated reference shows it)."""

from __future__ import annotations

import re
import sys

import yaml

#: The one fenced example per gate or contract module: a line "```yaml", the YAML, a line "```".
EXAMPLE = re.compile(r"^```yaml\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def docstring_example(obj: type) -> object:
    """The parsed example of the module that defines ``obj``; exactly one must be there."""
    doc = sys.modules[obj.__module__].__doc__ or ""
    blocks = EXAMPLE.findall(doc)
    assert len(blocks) == 1, f"{obj.__module__}: {len(blocks)} ```yaml blocks in the docstring, want exactly one"
    return yaml.safe_load(blocks[0])
