"""INI / cfg files (configparser): ``[section] key = value``, found by the key or by the
``PREFIX__SECTION__KEY`` environment name (Airflow's convention)."""

from __future__ import annotations

import configparser
import re

from prepctl.sources.settings.model import Default, DefaultKind, SettingDefinition, Unreadable, definition

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]")
_OPTION = re.compile(r"^(?P<key>[^\s=:\[#;][^=:]*?)\s*[=:]")


def section_key_matches(name: str, section: str | None, key: str) -> bool:
    """``name`` is ``key`` (any case) or ``<PREFIX>__<SECTION>__<KEY>`` (Airflow, pydantic nested)."""
    wanted, key = name.lower(), key.lower()
    if wanted == key:
        return True
    if section is None:
        return False
    tail = f"__{section.lower()}__{key}"
    return wanted.endswith(tail) or wanted.endswith(tail.replace("-", "_").replace(".", "_"))


def scan_ini(text: str, rel: str, name: str, attribute: str | None
             ) -> tuple[list[SettingDefinition], list[tuple[str, int]], Unreadable | None]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        parser.read_string(text, source=rel)
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else None
        return [], [], Unreadable(rel, f"INI syntax error: {exc.message.splitlines()[0]}", line)
    except configparser.Error as exc:  # duplicate section/option, no section header
        return [], [], Unreadable(rel, f"INI error: {exc.message.splitlines()[0]}",
                                  getattr(exc, "lineno", None))
    found: list[SettingDefinition] = []
    seen: list[tuple[str, int]] = []
    section: str | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip()[:1] in "#;" or raw[:1].isspace():
            continue  # blank, comment, or a continuation line of the value above
        header = _SECTION.match(raw)
        if header:
            section = header.group("name").strip()
            continue
        option = _OPTION.match(raw)
        if option is None or section is None:
            continue
        key = option.group("key").strip()
        seen.append((key, lineno))
        if not any(n and section_key_matches(n, section, key) for n in (name, attribute)):
            continue
        if section == parser.default_section:
            value = parser.defaults().get(parser.optionxform(key))
        else:
            value = parser.get(section, key, raw=True, fallback=None)
        if value is None:
            continue
        source = raw.split(option.group(0)[-1], 1)[1].strip() if option.group(0)[-1] in raw else value
        kind = DefaultKind.COMPUTED if "%(" in value else DefaultKind.LITERAL
        found.append(definition(key, rel, lineno, f"INI option [{section}] {key}",
                                Default(kind, value if kind is DefaultKind.LITERAL else None, source)))
    return found, seen, None
