"""Reading a config file: phases.yaml, or the ``[tool.prepctl]`` table of a pyproject.toml.

``[tool.prepctl]`` holds either a pointer, ``config = "path/to/phases.yaml"`` (relative to the
pyproject.toml), or the plan itself, inline: the same keys as phases.yaml (``root``, ``graph``,
even ``phases``), with relative paths relative to the pyproject.toml's folder. Both kinds of file
come back as the same :class:`RawConfig`: plain data and the ``file:line:col`` of every key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prepctl.errors import ConfigError, Problem
from prepctl.fileio import decode_utf8, read_regular_file
from prepctl.plan.tomlpos import Positions, table_positions, toml_positions
from prepctl.plan.yamlload import MAX_CONFIG_BYTES, read_yaml_with_positions

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "prepctl")
#: The key of ``[tool.prepctl]`` that points at a phases.yaml instead of holding the plan.
POINTER = "config"
_TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)$")


@dataclass
class RawConfig:
    """A config as read, before validation."""

    #: The file the plan's relative paths are relative to (phases.yaml, or the pyproject.toml).
    path: Path
    data: Any
    positions: Positions
    #: What ``name:`` is when the config does not say: the project's name, else the folder's.
    default_name: str


@dataclass
class ToolTable:
    """The ``[tool.prepctl]`` table of a pyproject.toml."""

    path: Path
    data: dict[str, Any]
    positions: Positions
    project_name: str | None


def is_toml(path: Path) -> bool:
    return path.suffix.lower() == ".toml"


def read_tool_table(path: Path) -> ToolTable | None:
    """The ``[tool.prepctl]`` table of ``path``; None when it has none. Malformed TOML, or a
    ``tool.prepctl`` that is not a table, is a ConfigError at its line and column."""
    file = str(path)
    text = decode_utf8(read_regular_file(path, what="pyproject.toml", max_bytes=MAX_CONFIG_BYTES,
                                         error=ConfigError), file, ConfigError)
    try:
        document = tomllib.loads(text)
    except RecursionError:  # tomllib recurses per nesting level: a hostile file can exhaust the stack
        raise ConfigError(Problem(file=file, message="TOML nested too deeply to read",
                                  hint="a pyproject.toml needs a few levels of nesting, not thousands")) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _TOML_WHERE.search(message)
        line, column = (int(where[1]), int(where[2])) if where else (None, None)
        raise ConfigError(Problem(file=file, line=line, column=column,
                                  message=f"invalid TOML: {_TOML_WHERE.sub('', message).strip()}",
                                  hint="fix the TOML syntax at that place")) from None
    tool = document.get("tool")
    if not isinstance(tool, dict) or "prepctl" not in tool:
        return None
    positions = toml_positions(text)
    table = tool["prepctl"]
    if not isinstance(table, dict):
        line, column = positions.get(TABLE, (None, None))
        raise ConfigError(Problem(file=file, line=line, column=column,
                                  message="tool.prepctl must be a table",
                                  hint="write a [tool.prepctl] section with the plan's keys, or "
                                  "config = \"phases.yaml\" under it"))
    project = document.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return ToolTable(path=path, data=table, positions=table_positions(positions, TABLE),
                     project_name=name if isinstance(name, str) and name else None)


def has_tool_table(path: Path) -> bool:
    """Whether the pyproject.toml ``path`` has a ``[tool.prepctl]`` table (discovery keeps walking
    up when it has not). A file that never says "prepctl" is not parsed at all; one that does
    but cannot be read is an error: prepctl cannot tell whether it was meant to be used."""
    sample = read_regular_file(path, what="pyproject.toml", max_bytes=MAX_CONFIG_BYTES, error=ConfigError)
    if b"prepctl" not in sample:
        return False
    return read_tool_table(path) is not None


def read_config(path: Path) -> RawConfig:
    """The config at ``path``: a phases.yaml, or a pyproject.toml whose ``[tool.prepctl]`` holds
    the plan or points at a phases.yaml."""
    if not is_toml(path):
        data, positions = read_yaml_with_positions(
            path, missing_hint="pass -c FILE with the path of your phases.yaml (or set PREPCTL_CONFIG)")
        return RawConfig(path=path, data=data, positions=positions,
                         default_name=_folder_name(path))
    table = read_tool_table(path)
    if table is None:
        raise ConfigError(Problem(file=str(path), message="no [tool.prepctl] table",
                                  hint="add [tool.prepctl] with the plan's keys (e.g. root and graph), "
                                  "or config = \"phases.yaml\" pointing at the plan"))
    if POINTER not in table.data:
        return RawConfig(path=path, data=table.data, positions=table.positions,
                         default_name=table.project_name or _folder_name(path))
    return _follow_pointer(table)


def _follow_pointer(table: ToolTable) -> RawConfig:
    file = str(table.path)
    pointer = table.data[POINTER]
    line, column = table.positions.get((POINTER,), (None, None))
    others = sorted(k for k in table.data if k != POINTER)
    if others:
        where = table.positions.get((others[0],), (line, column))
        raise ConfigError(Problem(
            file=file, line=where[0], column=where[1],
            message=f"[tool.prepctl] has both config = (a pointer to a plan file) and {', '.join(others)}",
            hint="keep the plan in one place: move these keys into the file config names, "
            "or remove config and keep the plan inline"))
    if not isinstance(pointer, str) or not pointer.strip():
        raise ConfigError(Problem(file=file, line=line, column=column,
                                  message="tool.prepctl.config must be the path of a phases.yaml",
                                  hint="e.g. config = \"deploy/phases.yaml\", relative to this file"))
    target = table.path.parent / pointer
    if is_toml(target):
        raise ConfigError(Problem(file=file, line=line, column=column,
                                  message=f"tool.prepctl.config points at {pointer}, a TOML file",
                                  hint="it names a phases.yaml; keep an inline plan in this table instead"))
    if not target.is_file():
        raise ConfigError(Problem(file=file, line=line, column=column,
                                  message=f"tool.prepctl.config: {target} is not a file",
                                  hint="the path is relative to this pyproject.toml"))
    return read_config(target)


def _folder_name(path: Path) -> str:
    return path.resolve().parent.name or "plan"
