"""Find every place a setting gets its static default, without importing the monolith.

Settings live in several shapes in real code, and each is read here as text or AST:

- pydantic settings classes: ``x: bool = Field(default=False, alias="NAME")`` (also
  ``validation_alias``, pydantic v1 ``env=``, ``Annotated[..., Field(...)]``), and plain annotated
  defaults ``x: bool = False`` whose environment name is ``env_prefix`` + field name;
- ``os.getenv("NAME", default)``, ``os.environ.get("NAME", default)``; ``os.environ["NAME"]``
  has no static default;
- module constants ``NAME = ...``;
- ``.env`` files (``NAME=value``, quotes, comments, ``export``) and YAML settings files (the key at
  any depth, Kubernetes ``{name, value}`` env entries and compose ``NAME=value`` list items).

The result lists each definition with its file and line. Deciding whether they agree is the
gate's business (``prepctl.gates.flag``).
"""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree

#: Where settings live when a criterion does not say: code, dotenv files and YAML.
DEFAULT_FILES: tuple[str, ...] = ("**/*.py", "**/.env", "**/.env.*", "**/*.env", "**/*.yaml", "**/*.yml")
#: Tests set flags to whatever they exercise; their values are not the product's defaults.
DEFAULT_EXCLUDE: tuple[str, ...] = ("**/tests/**", "**/test/**", "tests/**", "test/**", "**/test_*.py",
                                    "**/*_test.py", "**/conftest.py")

_BASE_SETTINGS = "BaseSettings"
#: A class with a *Settings base: its fields may be env names built from env_prefix + field name.
_SETTINGS_CLASS = re.compile(r"class\s+\w+\s*\([^)]*Settings\b")
_GETENV_FUNCS = frozenset({"getenv"})
_ENVIRON_METHODS = frozenset({"get", "setdefault"})


class DefaultKind(enum.StrEnum):
    LITERAL = "literal"  # a value we could read: False, "us-east-1", 15
    REQUIRED = "required"  # no default at all: the environment must provide it
    COMPUTED = "computed"  # an expression we will not evaluate (a call, an f-string, ...)


@dataclass(frozen=True)
class SettingDefinition:
    """One place that gives the setting a default."""

    name: str  # the name as written there: alias, env var, field or key
    path: str
    line: int
    how: str  # e.g. "settings field Settings.analytics_endpoints_enabled (alias ANALYTICS_...)"
    kind: DefaultKind
    value: Any = None  # the literal value when kind is LITERAL
    text: str = ""  # the source text of the default, for the reader

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Unreadable:
    """A file that mentions the setting but could not be parsed: its value is unknown."""

    path: str
    reason: str
    line: int | None = None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class SettingSearch:
    name: str
    attribute: str | None
    definitions: list[SettingDefinition] = field(default_factory=list)
    files_searched: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)


def find_setting(tree: Tree, name: str, attribute: str | None = None,
                 files: Sequence[str] = DEFAULT_FILES,
                 exclude: Sequence[str] = DEFAULT_EXCLUDE) -> SettingSearch:
    """Every definition of ``name`` (an env var / alias) or ``attribute`` (a Python name)."""
    from prepctl.sources.tree import matches_any

    search = SettingSearch(name=name, attribute=attribute)
    needles = [n.lower() for n in (name, attribute) if n]
    for rel in candidate_files(tree, files):
        if exclude and matches_any(rel, exclude):
            continue
        search.files_searched += 1
        try:
            data = tree.read_bytes(rel)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if any(n.encode() in data.lower() for n in needles):
                search.unreadable.append(Unreadable(rel, f"not UTF-8 text (byte {exc.start})"))
            continue
        lowered = text.lower()
        mentions = any(n in lowered for n in needles)
        file_type = _file_type(rel)
        # A settings class may build the env name from env_prefix + field, so the full name need
        # not appear in its file; any file that declares a settings class gets parsed.
        if not mentions and not (file_type == "python" and _SETTINGS_CLASS.search(text)):
            continue
        if file_type == "python":
            found, problem = _scan_python(text, rel, name, attribute)
        elif file_type == "dotenv":
            found, problem = list(_scan_dotenv(text, rel, name, attribute)), None
        elif file_type == "structured":
            found, problem = _scan_structured(text, rel, name, attribute)
        else:
            found, problem = [], Unreadable(rel, "prepctl cannot read this file type for settings")
        search.definitions.extend(found)
        if problem is not None and mentions:
            search.unreadable.append(problem)
    search.definitions = _dedupe(search.definitions)
    return search


def candidate_files(tree: Tree, patterns: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for pattern in patterns:
        for rel in tree.glob(pattern):
            seen.setdefault(rel, None)
    return list(seen)


def _file_type(rel: str) -> str:
    name = PurePosixPath(rel).name.lower()
    if name.endswith(".py"):
        return "python"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "dotenv"
    if name.endswith((".yaml", ".yml", ".json")):
        return "structured"
    return "other"


def _dedupe(found: list[SettingDefinition]) -> list[SettingDefinition]:
    """One definition per line: `X = os.getenv("X", "0")` is both a constant and a getenv call."""
    best: dict[tuple[str, int], SettingDefinition] = {}
    rank = {DefaultKind.LITERAL: 0, DefaultKind.REQUIRED: 1, DefaultKind.COMPUTED: 2}
    for item in found:
        key = (item.path, item.line)
        if key not in best or rank[item.kind] < rank[best[key].kind]:
            best[key] = item
    return sorted(best.values(), key=lambda d: (d.path, d.line))


# ---------------------------------------------------------------- Python


@dataclass(frozen=True)
class _Default:
    kind: DefaultKind
    value: Any = None
    text: str = ""


@dataclass(frozen=True)
class _ClassConfig:
    env_prefix: str = ""
    case_sensitive: bool = False


def _scan_python(text: str, rel: str, name: str,
                 attribute: str | None) -> tuple[list[SettingDefinition], Unreadable | None]:
    try:
        module = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        return [], Unreadable(rel, f"Python syntax error: {exc.msg}", exc.lineno)
    except ValueError as exc:  # e.g. NUL bytes
        return [], Unreadable(rel, f"cannot parse: {exc}")
    scanner = _PythonScanner(rel, name, attribute, module)
    return scanner.scan(), None


class _PythonScanner:
    def __init__(self, rel: str, name: str, attribute: str | None, module: ast.Module):
        self.rel = rel
        self.name = name
        self.attribute = attribute
        self.module = module
        self.constants: dict[str, ast.expr] = {}
        for stmt in module.body:
            target, value = _simple_assignment(stmt)
            if target is not None and value is not None:
                self.constants[target] = value
        self.settings_classes: dict[str, _ClassConfig] = {}

    def scan(self) -> list[SettingDefinition]:
        found: list[SettingDefinition] = []
        found.extend(self._module_constants())
        found.extend(self._environment_reads())
        for node in ast.walk(self.module):
            if isinstance(node, ast.ClassDef):
                found.extend(self._settings_fields(node))
        return found

    # -- module constants: NAME = ...

    def _module_constants(self) -> Iterator[SettingDefinition]:
        wanted = {self.name, self.attribute} - {None}
        for stmt in self.module.body:
            target, value = _simple_assignment(stmt)
            if target in wanted and value is not None:
                default = self._evaluate(value)
                yield SettingDefinition(target, self.rel, stmt.lineno, f"module constant {target}",
                                        default.kind, default.value, default.text)

    # -- os.getenv / os.environ

    def _environment_reads(self) -> Iterator[SettingDefinition]:
        for node in ast.walk(self.module):
            if isinstance(node, ast.Call) and _is_environment_get(node):
                key = _string_arg(node, 0, "key")
                if key != self.name:
                    continue
                default_expr = _arg(node, 1, "default")
                call = f"{ast.unparse(node.func)}({key!r})"
                if default_expr is None:
                    # os.getenv("X") and os.environ.get("X") return None when X is unset.
                    yield SettingDefinition(key, self.rel, node.lineno, f"{call} without default",
                                            DefaultKind.LITERAL, None, "None")
                else:
                    default = self._evaluate(default_expr)
                    yield SettingDefinition(key, self.rel, node.lineno, f"{call} default",
                                            default.kind, default.value, default.text)
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                  and _is_environ(node.value)):
                key = _literal_string(node.slice)
                if key == self.name:
                    yield SettingDefinition(key, self.rel, node.lineno,
                                            f"{ast.unparse(node)} has no default (KeyError if unset)",
                                            DefaultKind.REQUIRED, None, "")

    # -- pydantic settings classes

    def _settings_fields(self, cls: ast.ClassDef) -> Iterator[SettingDefinition]:
        parent = self._settings_parent(cls)
        if parent is None:
            return
        config = _class_config(cls, parent)
        self.settings_classes[cls.name] = config
        for stmt in cls.body:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            field_name = stmt.target.id
            if field_name == "model_config" or _is_classvar(stmt.annotation):
                continue
            field_call = _field_call(stmt.value) or _annotated_field_call(stmt.annotation)
            aliases = _aliases(field_call) if field_call is not None else []
            how = self._field_match(field_name, aliases, config)
            if how is None:
                continue
            default = self._field_default(stmt, field_call)
            shown = aliases[0] if aliases else field_name
            yield SettingDefinition(shown, self.rel, stmt.lineno, f"settings field {cls.name}.{field_name} "
                                    f"({how})", default.kind, default.value, default.text)

    def _settings_parent(self, cls: ast.ClassDef) -> _ClassConfig | None:
        for base in cls.bases:
            last = _dotted_name(base).rsplit(".", 1)[-1]
            if last in self.settings_classes:
                return self.settings_classes[last]
            # A subclass of a settings class imported from elsewhere is named *Settings by
            # convention; we cannot follow the import without running it.
            if last == _BASE_SETTINGS or last.endswith("Settings"):
                return _ClassConfig()
        return None

    def _field_match(self, field_name: str, aliases: list[str], config: _ClassConfig) -> str | None:
        def same(a: str, b: str) -> bool:
            return a == b if config.case_sensitive else a.lower() == b.lower()

        if self.attribute is not None and field_name == self.attribute:
            return f"attribute {field_name}"
        if aliases:
            # An alias replaces the env name entirely (env_prefix does not apply to it).
            matching = [alias for alias in aliases if same(alias, self.name)]
            return f"alias {matching[0]}" if matching else None
        if same(config.env_prefix + field_name, self.name):
            return f"env {(config.env_prefix + field_name).upper()}"
        return None

    def _field_default(self, stmt: ast.AnnAssign, field_call: ast.Call | None) -> _Default:
        if stmt.value is not None and _field_call(stmt.value) is None:
            return self._evaluate(stmt.value)
        if field_call is None:
            return _Default(DefaultKind.REQUIRED, None, "")
        default_expr = _arg(field_call, 0, "default")
        if default_expr is not None:
            if isinstance(default_expr, ast.Constant) and default_expr.value is Ellipsis:
                return _Default(DefaultKind.REQUIRED, None, "...")
            return self._evaluate(default_expr)
        factory = _keyword(field_call, "default_factory")
        if factory is not None:
            return _factory_default(factory)
        return _Default(DefaultKind.REQUIRED, None, "")

    def _evaluate(self, expr: ast.expr, depth: int = 0) -> _Default:
        text = ast.unparse(expr)
        try:
            return _Default(DefaultKind.LITERAL, ast.literal_eval(expr), text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        if depth < 5:
            if isinstance(expr, ast.Name) and expr.id in self.constants:
                inner = self._evaluate(self.constants[expr.id], depth + 1)
                return _Default(inner.kind, inner.value, f"{text} = {inner.text}")
            if isinstance(expr, ast.Call) and _is_environment_get(expr):
                default_expr = _arg(expr, 1, "default")
                if default_expr is None:
                    return _Default(DefaultKind.LITERAL, None, text)
                inner = self._evaluate(default_expr, depth + 1)
                return _Default(inner.kind, inner.value, text)
        return _Default(DefaultKind.COMPUTED, None, text)


def _simple_assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def _dotted_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Subscript):  # Generic[...] style bases
        return _dotted_name(node.value)
    return ""


def _is_environ(node: ast.expr) -> bool:
    return _dotted_name(node) in ("os.environ", "environ")


def _is_environment_get(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _GETENV_FUNCS
    if isinstance(func, ast.Attribute):
        if func.attr in _GETENV_FUNCS and _dotted_name(func.value) == "os":
            return True
        return func.attr in _ENVIRON_METHODS and _is_environ(func.value)
    return False


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return _keyword(call, keyword)


def _keyword(call: ast.Call, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


def _literal_string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _string_arg(call: ast.Call, index: int, keyword: str) -> str | None:
    return _literal_string(_arg(call, index, keyword))


def _is_classvar(annotation: ast.expr) -> bool:
    return _dotted_name(annotation).rsplit(".", 1)[-1] == "ClassVar"


def _field_call(node: ast.expr | None) -> ast.Call | None:
    if isinstance(node, ast.Call) and _dotted_name(node.func).rsplit(".", 1)[-1] == "Field":
        return node
    return None


def _annotated_field_call(annotation: ast.expr) -> ast.Call | None:
    if (isinstance(annotation, ast.Subscript)
            and _dotted_name(annotation.value).rsplit(".", 1)[-1] == "Annotated"
            and isinstance(annotation.slice, ast.Tuple)):
        for element in annotation.slice.elts[1:]:
            call = _field_call(element)
            if call is not None:
                return call
    return None


def _aliases(call: ast.Call) -> list[str]:
    """Environment names a Field declares: alias, validation_alias (incl. AliasChoices), env."""
    names: list[str] = []
    for keyword in ("validation_alias", "alias", "env"):
        value = _keyword(call, keyword)
        if value is None:
            continue
        names.extend(_strings_in(value))
    return names


def _strings_in(node: ast.expr) -> Iterator[str]:
    text = _literal_string(node)
    if text is not None:
        yield text
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for element in node.elts:
            yield from _strings_in(element)
    elif isinstance(node, ast.Call):
        callee = _dotted_name(node.func).rsplit(".", 1)[-1]
        if callee == "AliasChoices":
            for arg in node.args:
                yield from _strings_in(arg)
        elif callee == "AliasPath" and node.args:
            # AliasPath("A", 0) reads A then indexes into it; the env name is its first part.
            yield from _strings_in(node.args[0])


def _factory_default(factory: ast.expr) -> _Default:
    text = f"default_factory={ast.unparse(factory)}"
    if isinstance(factory, ast.Lambda) and not factory.args.args:
        try:
            return _Default(DefaultKind.LITERAL, ast.literal_eval(factory.body), text)
        except (ValueError, TypeError, SyntaxError):
            pass
    empties: dict[str, Any] = {"list": [], "dict": {}, "set": set(), "tuple": (), "str": "", "int": 0,
                               "float": 0.0, "bool": False}
    if isinstance(factory, ast.Name) and factory.id in empties:
        return _Default(DefaultKind.LITERAL, empties[factory.id], text)
    return _Default(DefaultKind.COMPUTED, None, text)


def _class_config(cls: ast.ClassDef, parent: _ClassConfig) -> _ClassConfig:
    """env_prefix and case_sensitive from `model_config = SettingsConfigDict(...)` or `class Config`."""
    values: dict[str, Any] = {}
    for stmt in cls.body:
        target, value = _simple_assignment(stmt)
        if target == "model_config" and value is not None:
            if isinstance(value, ast.Call):
                for kw in value.keywords:
                    if kw.arg in ("env_prefix", "case_sensitive"):
                        values[kw.arg] = _maybe_literal(kw.value)
            elif isinstance(value, ast.Dict):
                for key, item in zip(value.keys, value.values, strict=True):
                    key_text = _literal_string(key) if key is not None else None
                    if key_text in ("env_prefix", "case_sensitive"):
                        values[key_text] = _maybe_literal(item)
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                inner_target, inner_value = _simple_assignment(inner)
                if inner_target in ("env_prefix", "case_sensitive") and inner_value is not None:
                    values[inner_target] = _maybe_literal(inner_value)
    prefix = values.get("env_prefix", parent.env_prefix)
    case = values.get("case_sensitive", parent.case_sensitive)
    return _ClassConfig(env_prefix=prefix if isinstance(prefix, str) else parent.env_prefix,
                        case_sensitive=case if isinstance(case, bool) else parent.case_sensitive)


def _maybe_literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


# ---------------------------------------------------------------- .env files

_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*?)\s*$")


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


def _scan_dotenv(text: str, rel: str, name: str, attribute: str | None) -> Iterator[SettingDefinition]:
    # pydantic-settings reads .env case-insensitively by default, so `analytics_..._enabled=`
    # counts too.
    wanted = {n.lower() for n in (name, attribute) if n}
    for key, lineno, value, source in parse_dotenv(text):
        if key.lower() in wanted:
            yield SettingDefinition(key, rel, lineno, f".env entry {key}", DefaultKind.LITERAL, value, source)


# ---------------------------------------------------------------- YAML / JSON settings files


def _scan_structured(text: str, rel: str, name: str,
                     attribute: str | None) -> tuple[list[SettingDefinition], Unreadable | None]:
    from prepctl.sources.documents import DocumentError, is_json, iter_yaml_documents, json_path_text, parse_json

    try:
        documents = [parse_json(text, rel)] if is_json(rel) else list(iter_yaml_documents(text, rel))
    except DocumentError as exc:
        return [], Unreadable(rel, exc.message, exc.line)
    wanted = {n.lower() for n in (name, attribute) if n}
    found: list[SettingDefinition] = []
    for document in documents:
        for json_path, key, value, where in _walk_settings(document.data, ()):
            if key.lower() not in wanted:
                continue
            line = document.line_of(where) or 1
            kind = DefaultKind.LITERAL if _is_scalar(value) else DefaultKind.COMPUTED
            shown = _yaml_text(value)
            found.append(SettingDefinition(key, rel, line, f"YAML key {json_path_text(json_path)}",
                                           kind, value if kind is DefaultKind.LITERAL else None, shown))
    return found, None


def _walk_settings(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str, Any, tuple]]:
    """(path of the value, setting name, value, path whose line to report) for each candidate."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = (*path, key)
            if isinstance(key, str) and _is_scalar(value):
                yield child, key, value, child
            yield from _walk_settings(value, child)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            child = (*path, index)
            # Kubernetes: env: [{name: X, value: "false"}]; valueFrom means "from elsewhere".
            if isinstance(item, dict) and isinstance(item.get("name"), str) and (
                    "value" in item or "valueFrom" in item):
                value = item.get("value") if "value" in item else {"valueFrom": item["valueFrom"]}
                yield (*child, "value"), item["name"], value, (*child, "name")
            # docker compose: environment: ["X=false"]
            elif isinstance(item, str) and "=" in item:
                key, _, value = item.partition("=")
                yield child, key.strip(), value.strip(), child
            else:
                yield from _walk_settings(item, child)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _yaml_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
