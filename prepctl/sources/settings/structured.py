"""YAML, JSON and TOML settings files: the key at any depth (Helm ``values.yaml``), Kubernetes
``env: [{name, value}]`` entries, compose ``environment:`` (list ``X=v`` or mapping, with
``${X:-default}`` folded), config schemas whose option is a mapping with ``default:`` (Airflow's
``config.yml``: ``core: options: load_examples: {default: "True", type: boolean}``), and TOML
tables (``settings.toml``, ``pyproject.toml``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from prepctl.sources.documents import DocumentError, is_json, iter_yaml_documents, json_path_text, parse_json
from prepctl.sources.settings.dotenv import expand_default
from prepctl.sources.settings.ini import section_key_matches
from prepctl.sources.settings.model import Default, DefaultKind, SettingDefinition, Unreadable, definition

#: Keys that mark a mapping as a schema's option description rather than a value.
_SCHEMA_KEYS = frozenset({"type", "description"})
_TOML_HEADER = re.compile(r"^\s*\[\[?\s*(?P<path>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_\-\"'. ]+?)\s*=")


def scan_structured(text: str, rel: str, name: str, attribute: str | None
                    ) -> tuple[list[SettingDefinition], list[tuple[str, int]], Unreadable | None]:
    try:
        documents = [parse_json(text, rel)] if is_json(rel) else list(iter_yaml_documents(text, rel))
    except DocumentError as exc:
        if "{{" in text or "{%" in text:
            return [], [], Unreadable(rel, f"{exc.message}; this is a template ({{{{ … }}}} / {{% … %}}), "
                                      "not plain YAML: leave it out with `exclude`", exc.line)
        return [], [], Unreadable(rel, exc.message, exc.line)
    compose = "compose" in PurePosixPath(rel).name.lower()
    found: list[SettingDefinition] = []
    seen: list[tuple[str, int]] = []
    for document in documents:
        for item in walk_settings(document.data, ()):
            json_path, key, value, where, section, schema = item
            line = document.line_of(where) or 1
            seen.append((key, line))
            if not any(n and section_key_matches(n, section, key) for n in (name, attribute)):
                continue
            default = _default(value, compose)
            how = f"{'schema option' if schema else 'YAML key'} {json_path_text(json_path)}"
            found.append(definition(key, rel, line, how, default))
    return found, seen, None


def _default(value: Any, expand: bool) -> Default:
    shown = yaml_text(value)
    if not is_scalar(value):
        return Default(DefaultKind.COMPUTED, None, shown)
    if expand and isinstance(value, str):
        return expand_default(value, shown)
    return Default(DefaultKind.LITERAL, value, shown)


def walk_settings(node: Any, path: tuple[Any, ...]
                  ) -> Iterator[tuple[tuple[Any, ...], str, Any, tuple[Any, ...], str | None, bool]]:
    """(path of the value, setting name, value, path whose line to report, section, is a schema
    option) for each candidate. The section is the enclosing key (the one above ``options:`` in a
    schema), used for ``PREFIX__SECTION__KEY`` names."""
    section = _section(path)
    if isinstance(node, dict):
        for key, value in node.items():
            child = (*path, key)
            if isinstance(key, str) and is_scalar(value):
                yield child, key, value, child, section, False
            elif isinstance(key, str) and isinstance(value, dict) and "default" in value \
                    and _SCHEMA_KEYS & set(value) and is_scalar(value["default"]):
                where = (*child, "default")
                yield where, key, value["default"], where, section, True
                continue
            yield from walk_settings(value, child)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            child = (*path, index)
            # Kubernetes: env: [{name: X, value: "false"}]; valueFrom means "from elsewhere".
            if isinstance(item, dict) and isinstance(item.get("name"), str) and (
                    "value" in item or "valueFrom" in item):
                value = item.get("value") if "value" in item else {"valueFrom": item["valueFrom"]}
                yield (*child, "value"), item["name"], value, (*child, "name"), None, False
            # docker compose: environment: ["X=false"]
            elif isinstance(item, str) and "=" in item:
                key, _, value = item.partition("=")
                yield child, key.strip(), value.strip(), child, None, False
            else:
                yield from walk_settings(item, child)


def _section(path: tuple[Any, ...]) -> str | None:
    keys = [p for p in path if isinstance(p, str)]
    if keys and keys[-1] == "options" and len(keys) >= 2:
        return keys[-2]
    return keys[-1] if keys else None


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def yaml_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- TOML


def scan_toml(text: str, rel: str, name: str, attribute: str | None
              ) -> tuple[list[SettingDefinition], list[tuple[str, int]], Unreadable | None]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        return [], [], Unreadable(rel, f"TOML syntax error: {exc}", int(match.group(1)) if match else None)
    lines = toml_key_lines(text)
    found: list[SettingDefinition] = []
    seen: list[tuple[str, int]] = []
    for json_path, key, value, _, section, _schema in walk_settings(data, ()):
        path_keys = tuple(p for p in json_path if isinstance(p, str))
        line = _toml_line(lines, path_keys)
        seen.append((key, line))
        if not any(n and section_key_matches(n, section, key) for n in (name, attribute)):
            continue
        found.append(definition(key, rel, line, f"TOML key {'.'.join(path_keys)}", _default(value, False)))
    return found, seen, None


def toml_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line of each ``key = ...`` by its full key path (table headers and dotted keys)."""
    out: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if in_multiline:
            in_multiline = raw.count('"""') % 2 == 0 and raw.count("'''") % 2 == 0
            continue
        header = _TOML_HEADER.match(raw)
        if header:
            table = _toml_key_parts(header.group("path"))
            out.setdefault(table, lineno)
            continue
        key = _TOML_KEY.match(raw)
        if key:
            out.setdefault((*table, *_toml_key_parts(key.group("key"))), lineno)
            in_multiline = raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1
    return out


def _toml_key_parts(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)",
                                                                 text))


def _toml_line(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int:
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1
