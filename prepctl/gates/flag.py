"""Gate kind `flag`: a setting's static default, read from code and config without importing it.

```yaml
- id: analytics-flag-off
  kind: flag
  title: ANALYTICS_ENDPOINTS_ENABLED defaults to False
  name: ANALYTICS_ENDPOINTS_ENABLED
  expect: false
```

Every definition found (pydantic field, ``os.getenv`` / django-environ / environs default, module
constant, flag-dict key, ``.env`` entry, YAML/TOML key, schema option, INI option; see
``prepctl.sources.settings``) is evidence with its file:line. Not found (with the close names seen,
"did you mean"), a computed default outside the folding subset ("computed default: <source>"), a
file that mentions the name but cannot be parsed, or two definitions that disagree is ``error``:
we cannot say what the default is. Found and different from ``expect`` is ``fail``.

What each file says about the setting is cached by content (`.prepctl/cache`, see the
[reliability page](../reliability.md#content-caches)): the same file bytes and path, setting name,
imported helper modules and reader (prepctl, PyYAML and Python versions) give back the same
definitions with their file:line, so a second run on unchanged files parses nothing. Editing a file
or a helper module it imports re-reads that file only; `--no-cache` reads every file every time.
"""

from __future__ import annotations

import ast
from typing import Any, Literal

from pydantic import Field

from prepctl.errors import GateError
from prepctl.gates.base import Gate
from prepctl.gates.cached import content_cache
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.sources.settings import (
    DEFAULT_EXCLUDE,
    DEFAULT_FILES,
    DefaultKind,
    SettingDefinition,
    SettingSearch,
)
from prepctl.sources.settings.model import SECRET_NAME, URL_PASSWORD
from prepctl.verdicts import Evidence, Status, Verdict

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})

Scalar = bool | int | float | str | None


class FlagSpec(CriterionSpec):
    kind: Literal["flag"]
    name: str = Field(min_length=1, description="The setting's environment name or alias, "
                      "e.g. ANALYTICS_ENDPOINTS_ENABLED.")
    expect: Scalar = Field(description="The static default the setting must have, e.g. false. "
                           "Strings from .env/os.getenv are read the way pydantic reads them: "
                           "'false', '0', 'off' equal false.")
    files: list[str] = Field(default_factory=lambda: list(DEFAULT_FILES),
                             description="Globs of files to search, relative to the root.")
    exclude: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDE),
                               description="Globs of files to leave out (tests, by default).")
    attribute: str | None = Field(None, description="The Python attribute or YAML key, when it "
                                  "differs from `name` (e.g. analytics_endpoints_enabled).")

    def flags_checked(self) -> dict[str, Any]:
        return {self.name: self.expect}


class FlagGate(Gate[FlagSpec]):
    kind = "flag"
    options = FlagSpec

    def check(self, spec: FlagSpec, phase: Phase, ctx: GateContext) -> Verdict:
        from prepctl.sources.settings import find_setting

        search = ctx.shared(
            f"settings:{spec.name}:{spec.attribute}:{spec.files}:{spec.exclude}",
            lambda: find_setting(ctx.tree, spec.name, spec.attribute, spec.files, spec.exclude,
                                 cache=content_cache(ctx)),
        )
        if search.files_searched == 0:
            raise GateError(f"no file under {ctx.tree.label} matches {', '.join(spec.files)}; "
                            "is --root right, or do `files` need changing?")
        return judge(search, spec.expect, ctx.tree.revision)


def judge(search: SettingSearch, expect: Scalar, revision: str | None = None) -> Verdict:
    """Turn the definitions found into a verdict. Separate from `check` so it reads as the rules."""
    secret = bool(SECRET_NAME.search(search.name))
    evidence = [_evidence(d, expect, secret, revision) for d in search.definitions]
    evidence += [Evidence(f"cannot read: {u.reason}", path=u.path, line=u.line, revision=revision)
                 for u in search.unreadable]
    who = search.name
    if search.unreadable:
        where = ", ".join(f"{u.location} ({u.reason})" for u in search.unreadable)
        return Verdict.of(Status.ERROR, f"{who}: cannot parse {where}, which may define it; fix the file "
                          "or leave it out with `exclude`", evidence)
    if not search.definitions:
        also = f" or attribute {search.attribute}" if search.attribute else ""
        near = "; ".join(f"{n.name} at {n.location} ({n.why})" for n in search.near)
        hint = f"; did you mean {near}?" if near else ""
        evidence += [Evidence(f"did you mean {n.name}? ({n.why})", path=n.path, line=n.line, revision=revision)
                     for n in search.near]
        return Verdict.of(Status.ERROR, f"{who}{also} is not defined in any of the "
                          f"{search.files_searched} files searched{hint}", evidence)
    computed = [d for d in search.definitions if d.kind is DefaultKind.COMPUTED]
    if computed:
        where = "; ".join(f"computed default: {_shown(d, secret)} at {d.location}" for d in computed)
        return Verdict.of(Status.ERROR, f"{who}: {where}; prepctl reads code, it does not run it, and "
                          "folds only the subset docs/gates/flag.md lists", evidence)
    values = {_key(coerce(d, expect)) for d in search.definitions}
    if len(values) > 1:
        listing = "; ".join(f"{_shown(d, secret)} at {d.location}" for d in search.definitions)
        return Verdict.of(Status.ERROR, f"{who}: definitions disagree: {listing}", evidence)
    first = search.definitions[0]
    where = ", ".join(d.location for d in search.definitions)
    if first.kind is DefaultKind.REQUIRED:
        return Verdict.of(Status.FAIL, f"{who} has no static default ({where}): it must come from "
                          f"the environment; expected {_format(expect, secret)}", evidence)
    if _key(coerce(first, expect)) == _key(expect):
        return Verdict.of(Status.PASS, f"{who} defaults to {_shown(first, secret)} ({where})", evidence)
    return Verdict.of(Status.FAIL, f"{who} defaults to {_shown(first, secret)} at {where}; expected "
                      f"{_format(expect, secret)}", evidence)


def coerce(definition: SettingDefinition, like: Scalar) -> Any:
    """The definition's value read as the type of ``like``, the way pydantic parses env strings."""
    if definition.kind is DefaultKind.REQUIRED:
        return _Required
    value = definition.value
    if isinstance(like, bool):
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
            return bool(value)
        return value
    if isinstance(like, int | float) and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        return int(number) if isinstance(like, int) and number.is_integer() else number
    if isinstance(like, str) and isinstance(value, bool):
        # YAML `false` against expect "false": the same setting text.
        return "true" if value else "false"
    return value


class _Required:
    """Marks a definition with no default, so it never equals any expected value."""


def _key(value: Any) -> tuple[str, Any]:
    # bool is an int in Python (True == 1); keep them apart unless coerce() made them alike.
    if value is _Required:
        return ("required", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, list | dict | set | tuple):
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


def _shown(definition: SettingDefinition, secret: bool) -> str:
    if definition.kind is DefaultKind.REQUIRED:
        return "no default"
    if secret:
        return "***"
    text = definition.text if definition.kind is DefaultKind.COMPUTED else repr(definition.value)
    return URL_PASSWORD.sub(r"\1:***@", text)


def _json_plain(value: Any) -> bool:
    """Whether every output format can carry the value as is (a set or bytes cannot)."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list):
        return all(_json_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_plain(v) for k, v in value.items())
    return False


def _plain(definition: SettingDefinition) -> bool:
    """Whether the source text is just the value written out (nothing folded to show)."""
    text = definition.text
    if not text or text == str(definition.value):
        return True
    try:
        return bool(ast.literal_eval(text) == definition.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _format(value: Scalar, secret: bool) -> str:
    return "***" if secret else URL_PASSWORD.sub(r"\1:***@", repr(value))


def _evidence(definition: SettingDefinition, expect: Scalar, secret: bool,
              revision: str | None) -> Evidence:
    value: Any = definition.value
    if (secret or definition.kind is not DefaultKind.LITERAL or not _json_plain(value)
            or (isinstance(value, str) and URL_PASSWORD.search(value))):
        value = _shown(definition, secret)
    label = definition.how
    if definition.kind is DefaultKind.LITERAL and not secret and not _plain(definition):
        # A folded default shows the source it came from: `bool(os.getenv("X", "false"))`.
        label += ": " + URL_PASSWORD.sub(r"\1:***@", definition.text)
    return Evidence(label, path=definition.path, line=definition.line, value=value,
                    expected="***" if secret else (URL_PASSWORD.sub(r"\1:***@", expect)
                                                   if isinstance(expect, str) else expect),
                    revision=revision)
