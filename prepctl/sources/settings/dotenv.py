"""``.env`` files, read the way python-dotenv reads them, and the ``${VAR:-default}`` expansion
that python-dotenv and docker compose share."""

from __future__ import annotations

import re
from collections.abc import Iterator

from prepctl.sources.settings.model import Default, DefaultKind, SettingDefinition, definition

_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*?)\s*$")
#: `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR}`, `$VAR`: the whole value.
_EXPANSION = re.compile(r"^\$\{(?P<var>\w+)(?:(?P<op>:?[-?])(?P<rest>[^}]*))?\}$|^\$(?P<bare>\w+)$")


def expand_default(value: str, source: str) -> Default:
    """A value that may be a ``${...}`` expansion: its default when the variable is unset.

    ``${VAR:-x}`` and ``${VAR-x}`` give ``x``; ``${VAR:?msg}`` has no default; ``${VAR}``, ``$VAR``
    and any other use of ``$`` depend on the environment and are computed."""
    if "$" not in value:
        return Default(DefaultKind.LITERAL, value, source)
    match = _EXPANSION.match(value)
    if match is None or match.group("bare"):
        return Default(DefaultKind.COMPUTED, None, source)
    op = match.group("op")
    if op in (":-", "-"):
        rest = match.group("rest") or ""
        return Default(DefaultKind.COMPUTED, None, source) if "$" in rest else \
            Default(DefaultKind.LITERAL, rest, source)
    if op in (":?", "?"):
        return Default(DefaultKind.REQUIRED, None, source)
    return Default(DefaultKind.COMPUTED, None, source)


def parse_dotenv(text: str) -> Iterator[tuple[str, int, str, str]]:
    """(key, line, value, source text) for each assignment, the way python-dotenv reads them."""
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DOTENV_LINE.match(raw)
        if match is None:
            continue
        key, rest = match.group(1), match.group(2)
        yield key, lineno, _dotenv_value(rest), rest


def _dotenv_value(rest: str) -> str:
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        out = []
        i = 1
        while i < len(rest):
            ch = rest[i]
            if ch == "\\" and quote == '"' and i + 1 < len(rest):
                nxt = rest[i + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                i += 2
                continue
            if ch == quote:
                return "".join(out)
            out.append(ch)
            i += 1
        return rest  # unterminated quote: keep the text as written
    # Unquoted: a `#` after whitespace starts a comment.
    return re.split(r"\s+#", rest, maxsplit=1)[0].strip()


def scan_dotenv(text: str, rel: str, name: str,
                attribute: str | None) -> tuple[list[SettingDefinition], list[tuple[str, int]]]:
    # pydantic-settings reads .env case-insensitively by default, so `analytics_..._enabled=`
    # counts too.
    wanted = {n.lower() for n in (name, attribute) if n}
    found: list[SettingDefinition] = []
    seen: list[tuple[str, int]] = []
    for key, lineno, value, source in parse_dotenv(text):
        seen.append((key, lineno))
        if key.lower() in wanted:
            # Single quotes switch expansion off in python-dotenv.
            default = Default(DefaultKind.LITERAL, value, source) if source.startswith("'") \
                else expand_default(value, source)
            found.append(definition(key, rel, lineno, f".env entry {key}", default))
    return found, seen
