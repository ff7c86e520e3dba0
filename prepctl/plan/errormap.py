"""Pydantic validation errors as Problems at ``file:line:col``, with the closest valid key for typos."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from prepctl.errors import Problem


def validation_problems(exc: ValidationError, file: str, positions: dict, model: type[BaseModel],
              base: tuple[Any, ...]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
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
