"""Fold a computed default to its value statically, without executing anything.

The subset, and nothing more (docs/gates/flag.md lists it too):

- literals, module constants that are themselves foldable, and the default of an environment read
  (``os.getenv``, ``os.environ.get``, django-environ / environs calls): the value when the variable
  is unset;
- ``bool(x)``, ``int(x)``, ``float(x)``, ``str(x)`` of a folded value;
- ``x.lower()``, ``x.upper()``, ``x.strip()`` (also ``lstrip``/``rstrip``) on a folded string;
- ``x == y``, ``x != y``, ``x in y``, ``x not in y``, ``x is None``, ``x is not None``, ``not x``
  between folded values; ``"X" in os.environ`` is ``False`` (the variable is unset);
- ``ast.literal_eval(x)`` of a folded string (it is itself a safe, literal-only parser);
- python-decouple's ``config("X", default=d, cast=bool|int|float|str)`` with decouple's own bool
  table (1/yes/true/on, 0/no/false/off/empty); ``getattr(settings, "X", d)`` is ``d``;
- ``strtobool(x)`` with distutils' word table (y/yes/t/true/on/1 and n/no/f/false/off/0);
- a helper defined in the same module, or imported with ``from module import helper`` from a
  module in the tree (read as text, never imported), whose body is only assignments, ``if <foldable>: return
  <foldable>`` (any body when the test folds to false) and a final ``return <foldable>`` (e.g.
  ``return str(value).lower() in TRUTHY``).

Anything else is ``COMPUTED`` with its exact source text: the caller reports
"computed default: <text>", never a literal found inside it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Mapping
from functools import cached_property
from typing import Any

from prepctl.sources.settings.astutil import (
    arg,
    dotted_name,
    is_environ,
    is_environment_get,
    keyword,
    last_name,
    literal_string,
    simple_assignment,
    source_lines,
    source_segment,
)
from prepctl.sources.settings.model import Default, DefaultKind

STRTOBOOL_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
STRTOBOOL_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})
_CONVERTERS: dict[str, Callable[[Any], Any]] = {"bool": bool, "int": int, "float": float, "str": str}
_STRING_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip"})
#: django-environ / environs methods that cast: a default of another type would be parsed.
_TYPED_METHODS: dict[str, tuple[type, ...]] = {"bool": (bool,), "int": (int,), "float": (int, float),
                                                "str": (str,)}
#: django-environ `env("X", bool)`: a bare type as the second argument is a cast, not a default.
_CAST_NAMES = frozenset({"bool", "int", "float", "str", "list", "dict", "tuple", "set"})
_MAX_DEPTH = 8

Resolver = Callable[[str], "tuple[Folder, ast.FunctionDef] | None"]


def env_reader(call: ast.Call, decouple: Collection[str] = ()) -> str | None:
    """What kind of settings read ``call`` is: "os", "library", "decouple", "getattr", "helper" or None.

    "library" is django-environ / environs (``env.bool("X", default=False)``, ``env("X")``);
    "decouple" is python-decouple's ``config("X", default=False, cast=bool)`` (``decouple`` names
    the local names it was imported as); "getattr" is a Django app's ``getattr(settings, "X",
    default)``; "helper" is a project's own function with ``env`` in its name
    (``get_env_bool("X", False)``)."""
    if is_environment_get(call):
        return "os"
    func = call.func
    if isinstance(func, ast.Name) and func.id == "getattr" and len(call.args) >= 2 \
            and dotted_name(call.args[0]).lower().endswith("settings") and literal_string(call.args[1]):
        return "getattr"
    if not call.args or literal_string(call.args[0]) is None:
        return None
    if (isinstance(func, ast.Name) and func.id in decouple) or dotted_name(func) == "decouple.config":
        return "decouple"
    if isinstance(func, ast.Attribute) and "env" in dotted_name(func.value).lower().rsplit(".", 1)[-1]:
        return "library"
    if isinstance(func, ast.Name) and func.id.lower() in ("env", "environ"):
        return "library"
    if "env" in last_name(func).lower() and last_name(func) != "Env":
        return "helper"
    return None


def env_key(call: ast.Call, reader: str) -> str | None:
    """The setting name a read of kind ``reader`` asks for."""
    if reader == "getattr":
        return literal_string(call.args[1])
    return literal_string(arg(call, 0, "key"))


def env_default_expr(call: ast.Call, reader: str) -> tuple[ast.expr | None, str | None]:
    """(the default's expression or None, the cast it goes through or None) for an env read."""
    if reader == "os":
        return arg(call, 1, "default"), None
    if reader == "getattr":
        return (call.args[2] if len(call.args) > 2 else None), None
    if reader == "decouple":
        cast_expr = arg(call, 2, "cast")
        cast = cast_expr.id if isinstance(cast_expr, ast.Name) else ("?" if cast_expr is not None else None)
        return arg(call, 1, "default"), cast
    func = call.func
    if isinstance(func, ast.Attribute) and reader == "library":
        return arg(call, 1, "default"), func.attr
    second = call.args[1] if len(call.args) > 1 else None
    cast_expr = keyword(call, "cast")
    if isinstance(second, ast.Name) and second.id in _CAST_NAMES:
        cast_expr = second  # django-environ: env(var, cast, default)
        default = call.args[2] if len(call.args) > 2 else keyword(call, "default")
    else:
        default = second if second is not None else keyword(call, "default")
    cast = cast_expr.id if isinstance(cast_expr, ast.Name) else ("?" if cast_expr is not None else None)
    return default, cast


class Folder:
    """Folds expressions of one module. ``constants`` are its top-level assignments; ``helpers``
    its top-level functions (only used when their body stays inside the subset)."""

    def __init__(self, source: str, constants: Mapping[str, ast.expr],
                 helpers: Mapping[str, ast.FunctionDef], resolver: Resolver | None = None,
                 unstable: Collection[str] = (), decouple: Collection[str] = (),
                 schemes: Mapping[str, ast.expr] | None = None):
        self.source = source
        self.constants = constants
        self.helpers = helpers
        #: Module names also assigned inside an if/try/for/with: their value depends on the run.
        self.unstable = unstable
        #: Local names of python-decouple's `config`.
        self.decouple = decouple
        #: django-environ `Env(NAME=(type, default))` defaults, for `env("NAME")` without one.
        self.schemes = schemes or {}
        #: Finds a helper imported with `from module import name` (its module's Folder and def).
        self.resolver = resolver

    def helper(self, name: str) -> tuple[Folder, ast.FunctionDef] | None:
        """The definition of helper ``name``: this module's, or one imported from the tree."""
        if name in self.helpers:
            return self, self.helpers[name]
        return self.resolver(name) if self.resolver is not None else None

    @cached_property
    def lines(self) -> list[str]:
        return source_lines(self.source)

    def text(self, node: ast.AST) -> str:
        return source_segment(self.lines, node) or ast.unparse(node)

    def fold(self, expr: ast.expr, scope: Mapping[str, Default] | None = None, depth: int = 0) -> Default:
        text = self.text(expr)
        computed = Default(DefaultKind.COMPUTED, None, text)
        try:
            return Default(DefaultKind.LITERAL, ast.literal_eval(expr), text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        if depth > _MAX_DEPTH:
            return computed
        scope = scope or {}
        if isinstance(expr, ast.Name):
            if expr.id in scope:
                return scope[expr.id]
            if expr.id in self.constants and expr.id not in self.unstable:
                inner = self.fold(self.constants[expr.id], None, depth + 1)
                return Default(inner.kind, inner.value, f"{text} = {inner.text}")
            return computed
        values = self._fold_parts(expr, scope, depth)
        if values is None:
            return computed
        if isinstance(values, Default):
            return Default(values.kind, values.value, text)
        return computed

    def _fold_parts(self, expr: ast.expr, scope: Mapping[str, Default], depth: int) -> Default | None:
        """The folded value of a call, comparison or `not`; None when outside the subset."""
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            inner = self._literal(expr.operand, scope, depth)
            return None if inner is None else _value(not inner[0])
        if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
            return self._compare(expr, scope, depth)
        if isinstance(expr, ast.Call):
            return self._call(expr, scope, depth)
        return None

    def _literal(self, expr: ast.expr, scope: Mapping[str, Default], depth: int) -> tuple[Any] | None:
        """(value,) when ``expr`` folds to a literal, else None (a 1-tuple, since None is a value)."""
        folded = self.fold(expr, scope, depth + 1)
        return (folded.value,) if folded.kind is DefaultKind.LITERAL else None

    def _compare(self, expr: ast.Compare, scope: Mapping[str, Default], depth: int) -> Default | None:
        op = expr.ops[0]
        if isinstance(op, ast.In | ast.NotIn) and is_environ(expr.comparators[0]):
            # `"X" in os.environ`: the default is what the code does when X is unset.
            return _value(isinstance(op, ast.NotIn))
        left = self._literal(expr.left, scope, depth)
        right = self._literal(expr.comparators[0], scope, depth)
        if left is None or right is None:
            return None
        a, b = left[0], right[0]
        if isinstance(op, ast.Is | ast.IsNot):
            if b is not None:  # identity of anything but None depends on the interpreter
                return None
            return _value((a is None) == isinstance(op, ast.Is))
        if isinstance(op, ast.Eq | ast.NotEq):
            return _value((a == b) == isinstance(op, ast.Eq))
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(b, str | tuple | list | set | frozenset | dict):
                return None
            try:
                found = a in b
            except TypeError:  # `[] in {...}` raises at run time: not a value
                return None
            return _value(found == isinstance(op, ast.In))
        return None

    def _call(self, call: ast.Call, scope: Mapping[str, Default], depth: int) -> Default | None:
        func = call.func
        reader = env_reader(call, self.decouple)
        if reader in ("os", "library", "decouple", "getattr"):
            return self._env_default(call, reader, scope, depth)
        if isinstance(func, ast.Attribute) and func.attr in _STRING_METHODS and not call.args \
                and not call.keywords:
            inner = self._literal(func.value, scope, depth)
            if inner is None or not isinstance(inner[0], str):
                return None
            return _value(getattr(inner[0], func.attr)())
        if isinstance(func, ast.Attribute) and dotted_name(func) == "ast.literal_eval":
            func = ast.Name("literal_eval")
        name = func.id if isinstance(func, ast.Name) else None
        if name is None or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        found = self.helper(name) if name not in scope else None
        if found is not None:
            return self._helper(found, call, scope, depth)
        if call.keywords:
            return None
        if name in _CONVERTERS and len(call.args) == 1:
            inner = self._literal(call.args[0], scope, depth)
            if inner is None or not isinstance(inner[0], str | int | float | bool | type(None)):
                return None
            try:
                return _value(_CONVERTERS[name](inner[0]))
            except (ValueError, TypeError, OverflowError):  # int("abc") raises when the app starts
                return None
        if last_name(func) == "literal_eval" and len(call.args) == 1:
            inner = self._literal(call.args[0], scope, depth)
            if inner is None or not isinstance(inner[0], str):
                return None
            try:
                return _value(ast.literal_eval(inner[0]))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None  # raises when the app starts
        if last_name(func) == "strtobool" and len(call.args) == 1:
            inner = self._literal(call.args[0], scope, depth)
            word = inner[0].lower() if inner is not None and isinstance(inner[0], str) else None
            if word in STRTOBOOL_TRUE:
                return _value(1)
            if word in STRTOBOOL_FALSE:
                return _value(0)
            return None
        return None

    def _env_default(self, call: ast.Call, reader: str, scope: Mapping[str, Default],
                     depth: int) -> Default | None:
        default_expr, cast = env_default_expr(call, reader)
        if default_expr is None:
            if reader == "os":  # os.getenv("X") is None when X is unset
                return _value(None)
            key = env_key(call, reader)
            if reader == "library" and key in self.schemes:
                default_expr = self.schemes[key]  # environ.Env(X=(bool, False)) then env("X")
            else:
                return Default(DefaultKind.REQUIRED, None, "")  # the libraries raise when X is unset
        inner = self._literal(default_expr, scope, depth)
        if inner is None:
            return None
        value = inner[0]
        if reader == "decouple":
            return _decouple_cast(value, cast)
        if cast is None or value is None:
            return _value(value)
        wanted = _TYPED_METHODS.get(cast)
        if wanted is not None and isinstance(value, wanted) and not (
                isinstance(value, bool) and bool not in wanted):
            return _value(value)
        if wanted is None and not isinstance(value, str) and cast != "?":
            return _value(value)  # the libraries return a non-string default as it is
        return None  # a string default is parsed by the library's own rules: not folded

    def _helper(self, found: tuple[Folder, ast.FunctionDef], call: ast.Call, scope: Mapping[str, Default],
                depth: int) -> Default | None:
        """Bind the call's folded arguments here, then fold the body where it is defined."""
        home, func = found
        params = func.args
        if params.vararg or params.kwarg or func.decorator_list:
            return None
        positional = [p.arg for p in (*params.posonlyargs, *params.args)]
        if len(call.args) > len(positional):
            return None
        defaults: dict[str, ast.expr] = dict(zip(positional[len(positional) - len(params.defaults):],
                                                 params.defaults, strict=True))
        defaults.update({p.arg: d for p, d in zip(params.kwonlyargs, params.kw_defaults, strict=True)
                         if d is not None})
        given: dict[str, ast.expr] = dict(zip(positional, call.args, strict=False))
        for kw in call.keywords:
            if kw.arg is None or kw.arg in given or kw.arg in [p.arg for p in params.posonlyargs]:
                return None
            given[kw.arg] = kw.value
        names = positional + [p.arg for p in params.kwonlyargs]
        if set(given) - set(names):
            return None
        local: dict[str, Default] = {}
        for pname in names:
            if pname in given:
                local[pname] = self.fold(given[pname], scope, depth + 1)
            elif pname in defaults:
                local[pname] = home.fold(defaults[pname], None, depth + 1)
            else:
                return None
        return home.run_body(func.body, local, depth)

    def run_body(self, body: list[ast.stmt], local: dict[str, Default], depth: int) -> Default | None:
        for index, stmt in enumerate(body):
            if index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            if isinstance(stmt, ast.Return):
                return None if stmt.value is None else self.fold(stmt.value, local, depth + 1)
            target, value = simple_assignment(stmt)
            if target is not None and value is not None:
                local[target] = self.fold(value, local, depth + 1)
                continue
            if isinstance(stmt, ast.If) and not stmt.orelse:
                test = self._literal(stmt.test, local, depth)
                if test is None or not isinstance(test[0], bool | int | str | type(None)):
                    return None
                if not test[0]:
                    continue  # a branch not taken when the variable is unset is never read
                if len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Return):
                    return self.run_body(stmt.body, local, depth)
                return None
            return None
        return None


#: python-decouple's cast=bool table; any other word raises ValueError.
DECOUPLE_BOOLEANS = {"1": True, "yes": True, "true": True, "on": True,
                     "0": False, "no": False, "false": False, "off": False, "": False}


def _decouple_cast(value: Any, cast: str | None) -> Default | None:
    """decouple applies ``cast`` to the default too: cast=bool reads ``str(default).lower()``.

    Without a cast decouple returns the text itself: ``default="False"`` is the non-empty, truthy
    string "False", not false. A yes/no word there is left unfolded (``error``), because reading it
    as a boolean the way an env parser would may pass a flag the code sees as on."""
    if cast is None:
        if isinstance(value, str) and value.strip().lower() in DECOUPLE_BOOLEANS:
            return None
        return _value(value)
    if cast == "bool":
        word = str(value).lower()
        return _value(DECOUPLE_BOOLEANS[word]) if word in DECOUPLE_BOOLEANS else None
    if cast in _CONVERTERS:
        try:
            return _value(_CONVERTERS[cast](value))
        except (ValueError, TypeError, OverflowError):
            return None
    return None  # Csv(), a lambda, ...: not folded


def _value(value: Any) -> Default:
    return Default(DefaultKind.LITERAL, value, "")
