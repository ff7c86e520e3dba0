"""Settings in Python source, read as AST (the monolith is never imported):

- environment reads: ``os.getenv``, ``os.environ.get/setdefault/[...]``, django-environ and
  environs (``env.bool("X", default=False)``, ``env("X", default=...)``, the scheme
  ``environ.Env(X=(bool, False))``) and a project's own ``*env*`` helper (``get_env_bool("X")``).
  The definition is the whole expression that consumes the read (``bool(os.getenv("X", "false"))``
  is ``True``, folded by :mod:`.fold`), never the literal inside it;
- module constants ``NAME = ...`` (Django ``settings.py`` too) and keys of module- or class-level
  dicts (``DEFAULT_FEATURE_FLAGS = {"ALERT_REPORTS": False}``);
- pydantic fields: ``BaseSettings`` classes by ``env_prefix`` + field name, alias,
  ``validation_alias`` or v1 ``env=``; plain ``BaseModel`` classes by alias only (a custom loader
  fills those, so the field name alone is only a "did you mean").
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from prepctl.sources.settings.astutil import (
    arg,
    is_environ,
    keyword,
    last_name,
    literal_string,
    simple_assignment,
)
from prepctl.sources.settings.fold import Folder, env_default_expr, env_key, env_reader
from prepctl.sources.settings.model import Default, DefaultKind, SettingDefinition, Unreadable, definition
from prepctl.sources.settings.modules import Loader, ModuleCache, ModuleIndex, assigned_names, env_schemes
from prepctl.sources.settings.pydantic import (
    ClassConfig,
    aliases,
    annotated_field_call,
    class_config,
    factory_default,
    field_call,
    init_arguments,
    rewriting_method,
    validated_default,
)

#: A class with a *Settings base: its env names may be env_prefix + field, absent from the text.
CLASS_HINT = re.compile(r"class\s+\w+\s*\([^)]*Settings\b")
_BASE_SETTINGS = "BaseSettings"
_BASE_MODEL = "BaseModel"
#: A dict whose keys are settings: a public constant-style name.
_SETTINGS_DICT = re.compile(r"^[A-Z][A-Z0-9_]*$")
#: Dict names that hold settings wherever they live.
_FLAGS_DICT = re.compile(r"FLAG|FEATURE|SETTING|CONFIG|OPTION|TOGGLE|SWITCH")
#: A path that holds settings: a folder or file named like settings, config, conf or env.
SETTINGS_PATH = re.compile(r"(?i)(^|/)[^/]*(settings|config|conf|env)[^/]*(/|$)")
#: Plain classes whose attributes are settings (Flask's `class ProductionConfig(Config)`).
_CONFIG_CLASS = re.compile(r"(Config|Configuration|Settings|Defaults)$")
#: Parents an env read may have and still be the value itself (not consumed by something else).
_VALUE_PARENTS = (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr, ast.Dict, ast.List, ast.Tuple,
                  ast.Set, ast.NamedExpr)
_STRING_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip"})
_WRAPPERS = frozenset({"bool", "int", "float", "str", "strtobool", "literal_eval"})
#: dict methods that write: `globals().update(...)` changes module constants.
_NAMESPACE_WRITES = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__"})


@dataclass(frozen=True)
class Seen:
    """A name the scanner met, for "did you mean" hints."""

    name: str
    line: int
    note: str = ""  # said after the reason, e.g. "a field of Settings"
    #: A settings-class field: one word is close enough (`debug` for FASTMCP_DEBUG).
    loose: bool = False


def scan_python(text: str, rel: str, name: str, attribute: str | None, loader: Loader | None = None,
                cache: ModuleCache | None = None
                ) -> tuple[list[SettingDefinition], list[Seen], Unreadable | None]:
    try:
        module = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        if not could_define(text, name, attribute):
            return [], [], None  # `logger.debug(...)` in a file this Python cannot parse: not a setting
        if "{{" in text or "{%" in text:
            why = "a template ({{ … }} / {% … %}), not Python: leave it out with `exclude`"
        else:
            why = f"prepctl reads Python {sys.version_info.major}.{sys.version_info.minor} syntax; newer syntax " \
                  "cannot be read"
        return [], [], Unreadable(rel, f"Python syntax error: {exc.msg} ({why})", exc.lineno)
    except (ValueError, MemoryError, RecursionError) as exc:  # NUL bytes; absurd nesting
        return [], [], Unreadable(rel, f"cannot parse: {type(exc).__name__}: {exc}")
    index = ModuleIndex(text, rel, module, loader, {} if cache is None else cache)
    scanner = PythonScanner(rel, name, attribute, module, index.folder)
    return scanner.scan(), scanner.seen, None


def could_define(text: str, name: str, attribute: str | None) -> bool:
    """Whether a file we cannot parse could hold a definition: the name (or attribute) as a whole
    word in its exact case, or in any case when the file declares a *Settings class (whose
    fields match case-insensitively); with environs' ``env.prefixed(...)``, any tail of the name.
    `logger.debug` does not make a file define DEBUG."""
    settings_class = "Settings" in text and CLASS_HINT.search(text) is not None  # cheap test first
    candidates = [name, attribute]
    if ".prefixed(" in text:  # environs: `with env.prefixed("APP_"): env.bool("X")` reads APP_X
        parts = name.split("_")
        candidates += ["_".join(parts[i:]) for i in range(1, len(parts))]
    for wanted in candidates:
        if not wanted or (not settings_class and wanted not in text):
            continue  # a substring test first: most files do not hold the name at all
        word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(wanted)}(?![A-Za-z0-9_])",
                          re.IGNORECASE if settings_class else 0)
        if word.search(text):
            return True
    return False


class PythonScanner:
    def __init__(self, rel: str, name: str, attribute: str | None, module: ast.Module, folder: Folder):
        self.rel = rel
        self.name = name
        self.attribute = attribute
        self.module = module
        self.folder = folder
        self.settings_file = SETTINGS_PATH.search(rel) is not None
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(module):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.classes: dict[str, ClassConfig] = {}
        self.seen: list[Seen] = []

    def scan(self) -> list[SettingDefinition]:
        found: list[SettingDefinition] = []
        found.extend(self._environment_reads())
        found.extend(self._module_constants())
        found.extend(self._dict_keys())
        for node in ast.walk(self.module):
            if isinstance(node, ast.ClassDef):
                found.extend(self._class_fields(node))
        found.extend(self._config_class_attributes())
        found.extend(self._app_config_writes())
        return found

    # -- Flask: app.config.update(X=v), app.config.from_mapping({...}), app.config["X"] = v

    def _app_config_writes(self) -> Iterator[SettingDefinition]:
        """Writes into a Flask-style ``*.config`` mapping, also inside an app factory (it runs
        whenever the app is built): they override what the config file says."""
        for node in ast.walk(self.module):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("update", "from_mapping", "setdefault") \
                    and _app_config(node.func.value):
                owner = self.folder.text(node.func.value)
                entries: list[tuple[str | None, ast.expr]] = [(kw.arg, kw.value) for kw in node.keywords]
                for argument in node.args:
                    if isinstance(argument, ast.Dict):
                        entries += [(literal_string(k), v) for k, v in zip(argument.keys, argument.values, strict=True)]
                if node.func.attr == "setdefault" and len(node.args) == 2:
                    entries = [(literal_string(node.args[0]), node.args[1])]
                for key, value in entries:
                    if key is not None and self._wanted(key):
                        yield definition(key, self.rel, value.lineno, f"{owner}.{node.func.attr}({key}=...)",
                                         self.folder.fold(value))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Subscript) and _app_config(node.targets[0].value):
                key = literal_string(node.targets[0].slice)
                if key is not None and self._wanted(key):
                    yield definition(key, self.rel, node.lineno, f"{self.folder.text(node.targets[0])} set",
                                     self.folder.fold(node.value))

    def _wanted(self, candidate: str) -> bool:
        return candidate in (self.name, self.attribute)

    # -- module constants: NAME = ... (Django settings.py is this shape)

    def _module_constants(self) -> Iterator[SettingDefinition]:
        """The value a module constant has once the module ran with the variables unset: the
        last assignment wins; an `if` whose test folds takes its branch; a `with` body runs; an
        assignment under a test that does not fold, or inside try/for/while/match, is computed."""
        state: dict[str, SettingDefinition] = {}
        self._run_block(self.module.body, state, None)
        yield from state.values()

    def _run_block(self, body: list[ast.stmt], state: dict[str, SettingDefinition], condition: str | None) -> None:
        for stmt in body:
            self._dict_statement(stmt, state, condition)
            target, value = simple_assignment(stmt)
            if target is not None:
                if value is None:
                    continue  # `X: int` declares, it does not assign
                self.seen.append(Seen(target, stmt.lineno))
                if self._wanted(target):
                    how = f"module constant {target}"
                    default = self.folder.fold(value)
                    if condition is not None:
                        how += f", assigned {condition}"
                        default = Default(DefaultKind.COMPUTED, None, f"{default.text} ({condition})")
                    state[target] = definition(target, self.rel, stmt.lineno, how, default)
                continue
            if isinstance(stmt, ast.If):
                test = self.folder.fold(stmt.test)
                if condition is None and test.kind is DefaultKind.LITERAL:
                    self._run_block(stmt.body if test.value else stmt.orelse, state, None)
                else:
                    inner = condition or f"under `if {self.folder.text(stmt.test)}` (line {stmt.lineno})"
                    self._run_block(stmt.body, state, inner)
                    self._run_block(stmt.orelse, state, inner)
                continue
            if isinstance(stmt, ast.With | ast.AsyncWith):
                self._run_block(stmt.body, state, condition)  # a with-body always runs
                continue
            blocks = _blocks(stmt)
            if blocks:
                inner = condition or f"inside `{type(stmt).__name__.lower()}` (line {stmt.lineno})"
                for block in blocks:
                    self._run_block(block, state, inner)
                continue
            if self._namespace_write(stmt, state):
                continue
            for name in assigned_names(stmt):  # `X += 1`, `X, Y = ...`, `for X in ...`
                if self._wanted(name):
                    state[name] = SettingDefinition(name, self.rel, stmt.lineno, f"module constant {name}, "
                                                    "changed by a statement prepctl does not fold",
                                                    DefaultKind.COMPUTED, None, self.folder.text(stmt))

    def _namespace_write(self, stmt: ast.stmt, state: dict[str, SettingDefinition]) -> bool:
        """``del X``, ``globals()["X"] = v``, ``globals().update(loaded)``: the module changes its
        own namespace in a way the last assignment does not show (a loader overlaying a YAML file
        on the constants), so a constant it may touch is computed, never its earlier literal."""
        if isinstance(stmt, ast.Delete):
            names = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        else:
            keys = list(_namespace_writes(stmt))
            if not keys:
                return False
            # A literal key names the constant it writes; anything else may overwrite any constant
            # defined so far (a name defined nowhere else is not invented here).
            names = {k for k in keys if k} | (set(state) if None in keys else set())
        for name in names:
            if self._wanted(name):
                state[name] = SettingDefinition(name, self.rel, stmt.lineno, f"module constant {name}, "
                                                "changed through the module namespace", DefaultKind.COMPUTED,
                                                None, self.folder.text(stmt))
        return True

    # -- class attributes of plain config classes (Flask: class ProductionConfig(Config): DEBUG = False)

    def _config_class_attributes(self) -> Iterator[SettingDefinition]:
        for node in ast.walk(self.module):
            if not isinstance(node, ast.ClassDef) or node.name in self.classes:
                continue  # pydantic classes are read by _class_fields
            names = [node.name, *(last_name(b) for b in node.bases)]
            if not any(_CONFIG_CLASS.search(n) for n in names):
                continue
            for stmt in node.body:
                target, value = simple_assignment(stmt)
                if target is None or value is None:
                    continue
                self.seen.append(Seen(target, stmt.lineno))
                if self._wanted(target):
                    yield definition(target, self.rel, stmt.lineno, f"class attribute {node.name}.{target}",
                                     self.folder.fold(value))

    # -- DEFAULT_FEATURE_FLAGS = {"ALERT_REPORTS": False}

    def _dict_keys(self) -> Iterator[SettingDefinition]:
        """Keys of dicts: ``D = {"X": v}``, then ``D["X"] = v`` and ``D.update({"X": v})`` /
        ``D.update(X=v)`` override (the last one wins; under a condition that does not fold it is
        computed). An ``update`` with a non-literal argument (Superset's overlay from
        ``SUPERSET_FEATURE_*`` variables) is the environment's layer and changes nothing while
        they are unset. Module-level dicts are read by :meth:`_run_block`; class-level ones here."""
        for node in ast.walk(self.module):
            if isinstance(node, ast.ClassDef):
                state: dict[str, SettingDefinition] = {}
                for stmt in node.body:
                    self._dict_statement(stmt, state, None)
                yield from state.values()

    def _dict_statement(self, stmt: ast.stmt, state: dict[str, SettingDefinition], condition: str | None) -> None:
        for owner, key, item in _dict_entries(stmt, self.settings_file):
            key_text = literal_string(key) if isinstance(key, ast.expr) else key
            if key_text is None:
                continue
            line = getattr(key, "lineno", item.lineno)
            self.seen.append(Seen(key_text, line))
            if not self._wanted(key_text):
                continue
            how = f"dict key {owner}[{key_text!r}]"
            default = self.folder.fold(item)
            if condition is not None:
                how += f", set {condition}"
                default = Default(DefaultKind.COMPUTED, None, f"{default.text} ({condition})")
            state[f"dict {owner}"] = definition(key_text, self.rel, line, how, default)

    # -- os.getenv / os.environ / django-environ / environs / own helpers

    def _environment_reads(self) -> Iterator[SettingDefinition]:
        schemes = dict(self._schemes())
        for key, (line, default) in schemes.items():
            if key == self.name:
                yield definition(key, self.rel, line, f"environ.Env scheme {key}", default)
        for node in ast.walk(self.module):
            if isinstance(node, ast.Call):
                reader = env_reader(node, self.folder.decouple)
                if reader is None:
                    continue
                key = env_key(node, reader)
                if key is None:
                    continue
                if reader == "library":
                    key = self._env_prefix(node) + key
                self.seen.append(Seen(key, node.lineno))
                if key != self.name:
                    continue
                if reader == "library" and key in schemes and env_default_expr(node, reader)[0] is None:
                    continue  # env("X") with the default in the Env(X=(type, default)) scheme
                top, consumer = self._consumer(node)
                how = f"{self.folder.text(node.func)}({key!r})" if reader != "getattr" else \
                    f"getattr({self.folder.text(node.args[0])}, {key!r})"
                beside = _schema_default(self.parents.get(top), top)
                if beside is not None:
                    # {"default": D, "env": os.getenv("X")} (pretalx): unset means D.
                    yield definition(key, self.rel, beside.lineno, f"{how} in a config schema, its "
                                     "'default' beside it", self.folder.fold(beside))
                    continue
                if consumer is not None:
                    yield SettingDefinition(key, self.rel, node.lineno, f"{how}, consumed by an "
                                            "expression prepctl does not fold", DefaultKind.COMPUTED,
                                            None, self.folder.text(consumer))
                    continue
                default = self.folder.fold(top)
                if top is node and reader == "os" and default.kind is DefaultKind.LITERAL \
                        and arg(node, 1, "default") is None:
                    how += " without default"
                elif top is node:
                    how += " default"
                else:
                    how += " default, folded"
                yield definition(key, self.rel, node.lineno, how, default)
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                  and is_environ(node.value) and literal_string(node.slice) == self.name):
                yield from self._environment_write(node)
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                  and is_environ(node.value)):
                key = literal_string(node.slice)
                if key is not None:
                    self.seen.append(Seen(key, node.lineno))
                if key == self.name:
                    yield SettingDefinition(key, self.rel, node.lineno,
                                            f"{self.folder.text(node)} has no default (KeyError if unset)",
                                            DefaultKind.REQUIRED, None, "")

    def _environment_write(self, node: ast.Subscript) -> Iterator[SettingDefinition]:
        """``os.environ["X"] = v`` run when the module loads: X is no longer unset after it, so
        it is a definition (one that disagrees with a read's default makes the gate an error).
        Inside a function it runs only when called, like ``settings.X = v`` there."""
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            parent = self.parents.get(parent)
        assign = self.parents.get(node)
        if parent is not None or not isinstance(assign, ast.Assign):
            return
        yield definition(self.name, self.rel, node.lineno, f"{self.folder.text(node)} set when the module "
                         "loads", self.folder.fold(assign.value))

    def _env_prefix(self, node: ast.AST) -> str:
        """environs: ``with env.prefixed("APP_"):`` around a read makes ``env.bool("X")`` read
        ``APP_X`` (nested blocks add up)."""
        prefix = ""
        parent = self.parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.With):
                for item in parent.items:
                    call = item.context_expr
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                            and call.func.attr == "prefixed" and call.args:
                        prefix = (literal_string(call.args[0]) or "") + prefix
            parent = self.parents.get(parent)
        return prefix

    def _schemes(self) -> Iterator[tuple[str, tuple[int, Default]]]:
        """django-environ ``environ.Env(DEBUG=(bool, False))``: name -> (line, default)."""
        for key, (line, expr) in env_schemes(self.module).items():
            self.seen.append(Seen(key, line))
            yield key, (line, self.folder.fold(expr))

    def _consumer(self, node: ast.expr) -> tuple[ast.expr, ast.AST | None]:
        """Climb from an env read through the foldable wrappers around it. Returns the outermost
        foldable expression, and the expression that consumes it when that is not a plain value
        position (an assignment, a return, a container element, a ``default=``/Field argument)."""
        top: ast.expr = node
        while True:
            parent = self.parents.get(top)
            if isinstance(parent, ast.Attribute) and parent.attr in _STRING_METHODS and isinstance(
                    self.parents.get(parent), ast.Call):
                top = self.parents[parent]  # type: ignore[assignment]
            elif isinstance(parent, ast.Compare | ast.UnaryOp) or self._wraps(parent, top):
                top = parent  # type: ignore[assignment]
            else:
                break
        parent = self.parents.get(top)
        if parent is None or isinstance(parent, _VALUE_PARENTS):
            return top, None
        if isinstance(parent, ast.keyword):
            call = self.parents.get(parent)
            if parent.arg == "default" or (isinstance(call, ast.Call) and last_name(call.func) == "Field"):
                return top, None
            return top, call
        return top, parent

    def _wraps(self, parent: ast.AST | None, child: ast.expr) -> bool:
        """``bool(x)``, ``strtobool(x)``, ``own_helper(x)``: a call the folder knows, taking ``child``."""
        if not isinstance(parent, ast.Call) or child not in parent.args:
            return False
        callee = last_name(parent.func)
        return callee in _WRAPPERS or (isinstance(parent.func, ast.Name) and self.folder.helper(callee) is not None)

    # -- pydantic classes

    def _class_fields(self, cls: ast.ClassDef) -> Iterator[SettingDefinition]:
        parent = self._class_parent(cls)
        if parent is None:
            return
        config = class_config(cls, parent)
        self.classes[cls.name] = config
        for stmt in cls.body:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            field_name = stmt.target.id
            if field_name == "model_config" or last_name(stmt.annotation) == "ClassVar":
                continue
            call = field_call(stmt.value) or annotated_field_call(stmt.annotation)
            names = aliases(call) if call is not None else []
            self.seen.extend(Seen(n, stmt.lineno) for n in names)
            if config.settings and not names and not config.prefix_unknown:
                env_name = config.env_prefix + field_name
                self.seen.append(Seen(env_name if config.case_sensitive else env_name.upper(), stmt.lineno))
            if not config.settings:
                note = f"a field of {cls.name}, a plain BaseModel: give it alias="
            elif config.prefix_unknown:
                note = f"a field of {cls.name}, whose env_prefix {config.prefix_unknown}; name the field " \
                       "with `attribute`"
            else:
                note = f"a field of {cls.name}"
            self.seen.append(Seen(field_name, stmt.lineno, note, loose=config.settings))
            how = self._field_match(field_name, names, config)
            if how is None:
                continue
            default = self._field_default(stmt, call)
            method = rewriting_method(cls, field_name)
            if method is not None and default.kind is not DefaultKind.REQUIRED:  # no default to rewrite
                default = validated_default(default, method, field_name)
            shown = names[0] if names else field_name
            kind = "settings" if config.settings else "model"
            yield definition(shown, self.rel, stmt.lineno, f"{kind} field {cls.name}.{field_name} ({how})",
                             default)
            for kw, call in init_arguments(self.module, cls.name, {field_name, *names}):
                yield definition(shown, self.rel, kw.value.lineno, f"{self.folder.text(call.func)}({kw.arg}=...) "
                                 "when the settings object is built", self.folder.fold(kw.value))

    def _class_parent(self, cls: ast.ClassDef) -> ClassConfig | None:
        for base in cls.bases:
            last = last_name(base)
            if last in self.classes:
                return self.classes[last]
            # A subclass of a settings class imported from elsewhere is named *Settings by
            # convention; we cannot follow the import without running it.
            if last == _BASE_SETTINGS:
                return ClassConfig()
            if last.endswith("Settings"):
                return ClassConfig(prefix_unknown=f"may be set in {last}, imported from another module")
            if last == _BASE_MODEL:
                return ClassConfig(settings=False)
        return None

    def _field_match(self, field_name: str, names: list[str], config: ClassConfig) -> str | None:
        def same(a: str, b: str) -> bool:
            return a == b if config.case_sensitive else a.lower() == b.lower()

        if self.attribute is not None and field_name == self.attribute:
            return f"attribute {field_name}"
        if names:
            # An alias replaces the env name entirely (env_prefix does not apply to it).
            matching = [alias for alias in names if same(alias, self.name)]
            return f"alias {matching[0]}" if matching else None
        if config.settings and not config.prefix_unknown and same(config.env_prefix + field_name, self.name):
            return f"env {(config.env_prefix + field_name).upper()}"
        return None

    def _field_default(self, stmt: ast.AnnAssign, call: ast.Call | None) -> Default:
        if stmt.value is not None and field_call(stmt.value) is None:
            return self.folder.fold(stmt.value)
        if call is None:
            return Default(DefaultKind.REQUIRED, None, "")
        default_expr = arg(call, 0, "default")
        if default_expr is not None:
            if isinstance(default_expr, ast.Constant) and default_expr.value is Ellipsis:
                return Default(DefaultKind.REQUIRED, None, "...")
            return self.folder.fold(default_expr)
        factory = keyword(call, "default_factory")
        if factory is not None:
            return factory_default(factory, self.folder.text(factory))
        return Default(DefaultKind.REQUIRED, None, "")


def _dict_entries(stmt: ast.stmt, settings_file: bool) -> Iterator[tuple[str, ast.expr | str | None, ast.expr]]:
    """(dict name, key, value) that a statement puts into a named settings dict: an UPPER_CASE,
    public name, in a settings-like file (``REST_FRAMEWORK`` in settings.py) or named like flags
    anywhere (``DEFAULT_FEATURE_FLAGS``). A private ``_LEVEL_MAP``, a lower-case table or
    ``DEFAULT_COLORS`` in a logging module are data, not settings."""
    for owner, key, item in _all_dict_entries(stmt):
        if _SETTINGS_DICT.match(owner) and (settings_file or _FLAGS_DICT.search(owner)):
            yield owner, key, item


def _all_dict_entries(stmt: ast.stmt) -> Iterator[tuple[str, ast.expr | str | None, ast.expr]]:
    target, value = simple_assignment(stmt)
    if target is not None and isinstance(value, ast.Dict):
        for key, item in zip(value.keys, value.values, strict=True):
            yield target, key, item
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Subscript) \
            and isinstance(stmt.targets[0].value, ast.Name):
        yield stmt.targets[0].value.id, stmt.targets[0].slice, stmt.value
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.BitOr) and isinstance(stmt.target, ast.Name) \
            and isinstance(stmt.value, ast.Dict):  # FLAGS |= {"X": True} (Python 3.9+ dict union)
        for key, item in zip(stmt.value.keys, stmt.value.values, strict=True):
            yield stmt.target.id, key, item
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
            and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "update" \
            and isinstance(stmt.value.func.value, ast.Name):
        owner = stmt.value.func.value.id
        for argument in stmt.value.args:
            if isinstance(argument, ast.Dict):
                for key, item in zip(argument.keys, argument.values, strict=True):
                    yield owner, key, item
        for kw in stmt.value.keywords:
            if kw.arg is not None:
                yield owner, kw.arg, kw.value


def _app_config(node: ast.expr) -> bool:
    """``app.config``, ``current_app.config``, ``self.app.config``: a Flask app's config mapping."""
    return isinstance(node, ast.Attribute) and node.attr == "config"


def _namespace_call(node: ast.AST) -> bool:
    """``globals()`` or ``vars()`` / ``locals()`` without arguments (at module level the same dict)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args \
        and node.func.id in ("globals", "vars", "locals")


def _namespace_writes(stmt: ast.stmt) -> Iterator[str | None]:
    """Keys a module-level statement writes into ``globals()`` (None: keys it cannot name), as
    ``globals()["X"] = v``, ``del globals()["X"]`` or ``globals().update(...)``; a read is none."""
    for node in _module_level_nodes(stmt):
        if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load) and _namespace_call(node.value):
            yield literal_string(node.slice)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _NAMESPACE_WRITES and _namespace_call(node.func.value):
            yield None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("exec", "execfile"):
            yield None  # `exec(open("local_settings.py").read())` may assign any constant


def _module_level_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a statement that run with it (not the bodies of functions or lambdas it defines)."""
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            todo.extend(ast.iter_child_nodes(node))


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists inside a try/for/while/match (`if` and `with` are handled apart)."""
    if isinstance(stmt, ast.Try | ast.TryStar):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
    if isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.Match):
        return [case.body for case in stmt.cases]
    return []


def _schema_default(parent: ast.AST | None, value: ast.expr) -> ast.expr | None:
    """The ``"default"`` entry of a dict that holds ``value`` under another key, if any."""
    if not isinstance(parent, ast.Dict) or value not in parent.values:
        return None
    for key, item in zip(parent.keys, parent.values, strict=True):
        if literal_string(key) == "default" and item is not value:
            return item
    return None


