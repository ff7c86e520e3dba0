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
            allowed = allowed_keys(model, loc[:-1], data)
            guess = closest(str(key), allowed)
            hint = f"did you mean '{guess}'?" if guess else (
                "allowed keys: " + ", ".join(allowed) if allowed else None)
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"unknown key '{key}'", hint=hint))
        elif err["type"] == "union_tag_invalid":  # `type: forbiden`: name the closest type
            tag, expected = str(err["ctx"]["tag"]), str(err["ctx"]["expected_tags"])
            choices = [t.strip().strip("'") for t in expected.split(",")]
            guess = closest(tag, choices)
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"{dotted(full)}: unknown type '{tag}'",
                                    hint=f"did you mean '{guess}'?" if guess else f"one of {expected}"))
        elif err["type"] == "union_tag_not_found":
            tag_key = str(err["ctx"].get("discriminator", "type")).strip("'")
            problems.append(Problem(file=file, line=line, column=col,
                                    message=f"missing required key '{tag_key}' in {dotted(full)}",
                                    hint="it says which kind this is (`prepctl schema` lists them)"))
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


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...], data: Any = None) -> list[str]:
    """Walk model annotations along ``loc`` to find the keys valid at that place. With ``data``
    (the input at ``loc``'s start), a union discriminated by ``type`` resolves to the member the
    input names, so a typo inside a contract gets its closest key too."""
    current: Any = model
    node = data
    for part in loc:
        current = _variant(_unwrap(current), node)
        node = _child(node, part)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return []
            current = info.annotation
            if current is not None and typing.get_origin(_strip_optional(current)) in (list, tuple):
                current = typing.get_args(_strip_optional(current))[0]
    current = _variant(_unwrap(current), node)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _variant(tp: Any, node: Any) -> Any:
    """The member of a union of models whose ``type`` literal is the input's ``type``; ``tp``
    itself when it is no such union or the input names no member."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType) or not isinstance(node, dict):
        return tp
    for member in typing.get_args(tp):
        field = member.model_fields.get("type") if isinstance(member, type) and issubclass(member, BaseModel) \
            else None
        if field is not None and node.get("type") in typing.get_args(field.annotation):
            return member
    return tp


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
