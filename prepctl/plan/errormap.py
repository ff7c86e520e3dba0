"""Pydantic validation errors as Problems at ``file:line:col``, with the closest valid key for typos."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from prepctl.errors import Problem


def validation_problems(exc: ValidationError, file: str, positions: dict, model: type[BaseModel],
              base: tuple[Any, ...], *, data: Any = None) -> list[Problem]:
    """One Problem per error. ``data`` (the validated input) lets a union's tag be told from a key."""
    problems = []
    for err in exc.errors():
        loc = untagged(tuple(err["loc"]), data) if data is not None else tuple(err["loc"])
        full = (*base, *loc)
        key = loc[-1] if loc else None
        line, col = position_of(full, positions)
        if err["type"] == "extra_forbidden":
            allowed = allowed_keys(model, loc[:-1])
            guess = closest(str(key), allowed)
            hint = f"did you mean '{guess}'?" if guess else (
                "allowed keys: " + ", ".join(allowed) if allowed else None)
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"unknown key '{key}'", hint=hint))
        elif err["type"] == "missing":
            where = dotted(full[:-1]) or "top level"
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"missing required key '{key}' in {where}"))
        else:
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"{dotted(full)}: {err['msg']}"))
    return problems


def untagged(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """``loc`` without the tags pydantic inserts for a union discriminated by ``type``.

    An error inside ``contract: {type: forbidden, ...}`` is located at ``contract.forbidden.KEY``:
    the tag is no key of the input, and read as one it pointed at the ``forbidden:`` list. Walking
    the input tells them apart: the first part under a mapping whose ``type`` equals it is the tag.
    """
    out: list[Any] = []
    node, tag_seen = data, False
    for part in loc:
        if isinstance(node, dict) and not tag_seen and isinstance(part, str) and node.get("type") == part:
            tag_seen = True
            continue
        out.append(part)
        tag_seen = False
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def position_of(path: tuple[Any, ...], positions: dict) -> tuple[int | None, int | None]:
    for end in range(len(path), -1, -1):
        if path[:end] in positions:
            return positions[path[:end]]
    return (1, 1)


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Walk model annotations along ``loc`` to find the keys valid at that place."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return []
            current = info.annotation
            if current is not None and typing.get_origin(_strip_optional(current)) in (list, tuple):
                current = typing.get_args(_strip_optional(current))[0]
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _unwrap(tp: Any) -> Any:
    tp = _strip_optional(tp)
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (list, tuple):
        tp = typing.get_args(tp)[0]
    return _strip_optional(tp)


def closest(word: str, choices: list[str]) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None
