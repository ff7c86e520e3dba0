"""pydantic classes, read as AST: which fields a class has, their env names and defaults.

``BaseSettings`` subclasses read the environment as ``env_prefix`` + field name (``model_config =
SettingsConfigDict(...)`` or v1 ``class Config``; a prefix set by a call, or that may come from a
``*Settings`` base imported from elsewhere, is unknown) or by ``alias`` / ``validation_alias`` /
v1 ``env=``. A plain ``BaseModel`` reads nothing itself: only its aliases name the environment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from prepctl.sources.settings.astutil import keyword, last_name, literal_string, simple_assignment, strings_in
from prepctl.sources.settings.model import Default, DefaultKind

#: Calls that build model_config from literal keywords; any other call computes it.
_CONFIG_DICTS = frozenset({"SettingsConfigDict", "ConfigDict", "dict"})

@dataclass(frozen=True)
class ClassConfig:
    env_prefix: str = ""
    case_sensitive: bool = False
    settings: bool = True  # False for a plain BaseModel: it does not read the environment itself
    #: Why env_prefix cannot be read ("" when it can): set by a call (`build_settings_config(...)`)
    #: or inherited from a base class imported from elsewhere. Field names then match nothing.
    prefix_unknown: str = ""


def field_call(node: ast.expr | None) -> ast.Call | None:
    if isinstance(node, ast.Call) and last_name(node.func) == "Field":
        return node
    return None


def annotated_field_call(annotation: ast.expr) -> ast.Call | None:
    if (isinstance(annotation, ast.Subscript) and last_name(annotation.value) == "Annotated"
            and isinstance(annotation.slice, ast.Tuple)):
        for element in annotation.slice.elts[1:]:
            call = field_call(element)
            if call is not None:
                return call
    return None


def aliases(call: ast.Call) -> list[str]:
    """Environment names a Field declares: alias, validation_alias (incl. AliasChoices), env."""
    names: list[str] = []
    for name in ("validation_alias", "alias", "env"):
        value = keyword(call, name)
        if value is not None:
            names.extend(strings_in(value))
    return names


def factory_default(factory: ast.expr, source: str) -> Default:
    text = f"default_factory={source}"
    if isinstance(factory, ast.Lambda) and not factory.args.args:
        try:
            return Default(DefaultKind.LITERAL, ast.literal_eval(factory.body), text)
        except (ValueError, TypeError, SyntaxError):
            pass
    empties: dict[str, Any] = {"list": [], "dict": {}, "set": set(), "tuple": (), "str": "", "int": 0,
                               "float": 0.0, "bool": False}
    if isinstance(factory, ast.Name) and factory.id in empties:
        return Default(DefaultKind.LITERAL, empties[factory.id], text)
    return Default(DefaultKind.COMPUTED, None, text)


def class_config(cls: ast.ClassDef, parent: ClassConfig) -> ClassConfig:
    """env_prefix and case_sensitive from `model_config = SettingsConfigDict(...)` or `class Config`."""
    values: dict[str, Any] = {}
    for stmt in cls.body:
        target, value = simple_assignment(stmt)
        if target == "model_config" and value is not None:
            if isinstance(value, ast.Call) and last_name(value.func) not in _CONFIG_DICTS:
                values["prefix_unknown"] = f"is set by {ast.unparse(value)}"
            elif isinstance(value, ast.Call):
                for kw in value.keywords:
                    if kw.arg in ("env_prefix", "case_sensitive"):
                        values[kw.arg] = maybe_literal(kw.value)
            elif isinstance(value, ast.Dict):
                for key, item in zip(value.keys, value.values, strict=True):
                    key_text = literal_string(key) if key is not None else None
                    if key_text in ("env_prefix", "case_sensitive"):
                        values[key_text] = maybe_literal(item)
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                inner_target, inner_value = simple_assignment(inner)
                if inner_target in ("env_prefix", "case_sensitive") and inner_value is not None:
                    values[inner_target] = maybe_literal(inner_value)
    prefix = values.get("env_prefix", parent.env_prefix)
    case = values.get("case_sensitive", parent.case_sensitive)
    unknown = values.get("prefix_unknown", "")
    if not unknown and "env_prefix" in values and not isinstance(prefix, str):
        unknown = "is not a literal"
    if not unknown and "env_prefix" not in values:
        unknown = parent.prefix_unknown  # a literal env_prefix here overrides an unknown parent
    return ClassConfig(env_prefix=prefix if isinstance(prefix, str) else parent.env_prefix,
                       case_sensitive=case if isinstance(case, bool) else parent.case_sensitive,
                       settings=parent.settings, prefix_unknown=unknown)


def maybe_literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


def init_arguments(module: ast.Module, class_name: str, keys: set[str]) -> list[tuple[ast.keyword, ast.Call]]:
    """``settings = Settings(debug=True)``: keyword arguments naming a field (or its alias) where
    the class is built. pydantic gives them precedence over the environment and the default, so
    each is a definition of its own."""
    return [(kw, node) for node in ast.walk(module)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == class_name
            for kw in node.keywords if kw.arg in keys]


#: Methods that run on every instance and may rewrite a field whatever its default says.
_INSTANCE_HOOKS = frozenset({"__init__", "__post_init__", "model_post_init"})


def rewriting_method(cls: ast.ClassDef, field: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """A validator (any decorator whose name ends in ``validator``) or instance hook of ``cls``
    that names ``field``: as ``self.field``, a ``"field"`` key, or a validator's field argument.
    What it does to the value is logic, not a value: the default then cannot be trusted."""
    for stmt in cls.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        decorated = any(last_name(d.func if isinstance(d, ast.Call) else d).lower().endswith("validator")
                        for d in stmt.decorator_list)
        if not decorated and stmt.name not in _INSTANCE_HOOKS:
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Attribute) and node.attr == field:
                return stmt
            if isinstance(node, ast.Constant) and node.value == field:
                return stmt
    return None


def validated_default(default: Default, method: ast.FunctionDef | ast.AsyncFunctionDef, field: str) -> Default:
    """The default of a field some method may rewrite: computed, naming the method."""
    return Default(DefaultKind.COMPUTED, None, f"{default.text or field} (then {method.name}() at line "
                   f"{method.lineno} may change it)")
