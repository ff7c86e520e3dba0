"""import-linter configurations as prepctl contracts.

Reads ``.importlinter`` / ``setup.cfg`` (INI, ``[importlinter]`` and ``[importlinter:contract:ID]``)
or ``pyproject.toml`` (``[tool.importlinter]`` and ``[[tool.importlinter.contracts]]``) and
translates each contract into one or more prepctl contracts: an import-linter contract is kept
when every prepctl contract it became is kept. An option prepctl cannot honour is a
``ConfigError`` naming file:line and what to do; nothing is dropped silently.

What maps to what, and the known differences, are in docs/importlinter.md.
"""

from __future__ import annotations

import configparser
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from prepctl import patterns
from prepctl.errors import ConfigError, Problem
from prepctl.graph.contracts import ContractOptions, ContractResult, Violation, run_contract
from prepctl.graph.contracts.acyclic import AcyclicOptions
from prepctl.graph.contracts.base import require
from prepctl.graph.contracts.facade import FacadeOptions
from prepctl.graph.contracts.forbidden import ForbiddenOptions
from prepctl.graph.contracts.independence import IndependenceOptions
from prepctl.graph.contracts.layers import LayersOptions
from prepctl.graph.model import GraphError, ImportGraph

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree

INI_SECTION = "importlinter"
CONTRACT_PREFIX = "importlinter:contract:"
#: import-linter's default for acyclic_siblings ``depth``.
DEFAULT_SIBLING_DEPTH = 10
ALERT_LEVELS = ("error", "warn", "none")

#: Options of the session section: the ones prepctl honours, and those that change no verdict.
SESSION_OPTIONS = {"root_package", "root_packages", "include_external_packages",
                   "exclude_type_checking_imports", "cache_dir"}
COMMON_OPTIONS = {"name", "type", "id", "ignore_imports", "unmatched_ignore_imports_alerting",
                  "broken_contract_guidance"}
TYPE_OPTIONS: dict[str, set[str]] = {
    "forbidden": {"source_modules", "forbidden_modules", "allow_indirect_imports", "as_packages"},
    "layers": {"layers", "containers", "exhaustive", "exhaustive_ignores"},
    "independence": {"modules"},
    "protected": {"protected_modules", "allowed_importers", "as_packages"},
    "acyclic_siblings": {"ancestors", "depth", "skip_descendants"},
}


@dataclass
class TranslatedContract:
    """One import-linter contract and the prepctl contracts it became (kept iff all are)."""

    name: str
    type: str
    location: str
    #: The contract's id: ``ID`` of ``[importlinter:contract:ID]``, or a TOML contract's ``id``.
    id: str
    contracts: list[ContractOptions]
    #: The import-linter ignore expressions, to report those that match no import.
    ignore_imports: list[str] = field(default_factory=list)
    unmatched_alerting: str = "error"
    guidance: str = ""
    #: Module patterns that must each match a module: import-linter refuses a contract naming
    #: a missing module (a layer not marked optional, an independent module, an allowed
    #: importer), where the prepctl contract alone would pass on the others.
    required: list[str] = field(default_factory=list)


@dataclass
class ImportLinterConfig:
    path: Path
    root_packages: list[str]
    contracts: list[TranslatedContract]

    @property
    def label(self) -> str:
        """The file and the section read, e.g. ``pyproject.toml [tool.importlinter]``."""
        section = "[tool.importlinter]" if self.path.suffix == ".toml" else f"[{INI_SECTION}]"
        return f"{self.path} {section}"

    def find(self, wanted: str) -> TranslatedContract:
        """The contract named (or with the id) ``wanted``; a GraphError listing the known ones."""
        wanted = wanted.strip()
        by_id = [c for c in self.contracts if c.id and c.id == wanted]
        by_name = [c for c in self.contracts if c.name == wanted]
        if by_id or len(by_name) == 1:
            return (by_id or by_name)[0]
        if by_name:
            raise GraphError(Problem(file=str(self.path), message=f"{len(by_name)} import-linter contracts are "
                                     f"named {wanted!r}", hint="name the one meant by its id"))
        known = [c.name for c in self.contracts]
        close = difflib.get_close_matches(wanted, known + [c.id for c in self.contracts if c.id], n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise GraphError(Problem(file=str(self.path), message=f"no import-linter contract named {wanted!r}",
                                 hint=f"{hint}known: {', '.join(repr(k) for k in known)}"))


@dataclass
class RawContract:
    """A contract's options as written, with the line of each option (and of the contract)."""

    where: str
    path: Path
    line: int
    options: dict[str, str | list[str]]
    lines: dict[str, int]

    def problem(self, key: str | None, message: str, hint: str) -> ConfigError:
        line = self.lines.get(key, self.line) if key else self.line
        return ConfigError(Problem(file=str(self.path), line=line, message=f"{self.where}: {message}", hint=hint))

    def items(self, key: str) -> list[str]:
        value = self.options.get(key, [])
        values = [value] if isinstance(value, str) else value
        return [v.strip() for v in values if v.strip()]

    def flag(self, key: str, default: bool) -> bool:
        value = self.options.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise self.problem(key, f"{key} = {value!r} is not true or false", "write true or false")
        return text == "true"


#: Where import-linter's configuration is looked for when none is named, in this order: the
#: file, and a regex for the section that makes it one.
DISCOVERY = (("pyproject.toml", r"^\s*\[\[?\s*tool\.importlinter[\].]"),
             (".importlinter", r"^\s*\[importlinter\]"),
             ("setup.cfg", r"^\s*\[importlinter\]"))


def read_config(path: Path) -> ImportLinterConfig:
    """The import-linter configuration in ``path`` (.importlinter, setup.cfg or pyproject.toml)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(Problem(file=str(path), message=f"cannot read: {exc}",
                                  hint="point at an import-linter configuration file")) from None
    return parse_config(path, text)


def discover(tree: Tree) -> str | None:
    """The first of pyproject.toml ([tool.importlinter]), .importlinter, setup.cfg ([importlinter])
    in the root of ``tree`` that configures import-linter (None: none does). A file that exists
    but cannot be read is a ConfigError: it might have been the configuration."""
    for rel, section in DISCOVERY:
        if not tree.is_file(rel):
            continue
        text = read_tree_file(tree, rel)
        if rel == ".importlinter" or re.search(section, text, re.MULTILINE):
            return rel
    return None


def read_tree_file(tree: Tree, rel: str) -> str:
    try:
        return tree.read_text(rel)
    except (OSError, UnicodeDecodeError, KeyError) as exc:
        raise ConfigError(Problem(file=tree.describe(rel), message=f"cannot read: {exc}",
                                  hint="point at an import-linter configuration file below the root")) from None


def read_tree_config(tree: Tree, rel: str) -> ImportLinterConfig:
    """The configuration ``rel`` (relative to the tree's root) as that tree has it, so a check of
    a git revision reads the configuration of that revision."""
    return parse_config(Path(tree.describe(rel)), read_tree_file(tree, rel))


@lru_cache(maxsize=16)
def parse_config(path: Path, text: str) -> ImportLinterConfig:
    """``text``, read from ``path``, translated (cached: every contract of a file reads it)."""
    if path.suffix == ".toml":
        session, raws = _read_toml(path, text)
    else:
        session, raws = _read_ini(path, text)
    return translate(path, session, raws)


def translate(path: Path, session: RawContract, raws: list[RawContract]) -> ImportLinterConfig:
    for key in session.options:
        if key not in SESSION_OPTIONS:
            raise session.problem(key, f"option {key!r} is not supported by prepctl",
                                  "remove it, or run lint-imports for this configuration")
    if session.flag("include_external_packages", False):
        raise session.problem("include_external_packages", "include_external_packages = true: prepctl "
                              "contracts see only the scanned packages, not third-party ones",
                              "drop contracts on external packages (or check them with lint-imports)")
    roots = session.items("root_packages") + session.items("root_package")
    if not roots:
        raise session.problem(None, "no root_package or root_packages", "name the packages to scan")
    skip_type_checking = session.flag("exclude_type_checking_imports", False)
    if not raws:
        raise session.problem(None, "no contracts", "add [importlinter:contract:...] sections")
    return ImportLinterConfig(path, roots, [_translate_contract(raw, skip_type_checking) for raw in raws])


def _translate_contract(raw: RawContract, skip_type_checking: bool) -> TranslatedContract:
    kind = raw.options.get("type")
    if not isinstance(kind, str) or kind.strip() not in TYPE_OPTIONS:
        raise raw.problem("type", f"contract type {kind!r} is not supported by prepctl",
                          f"use one of {', '.join(TYPE_OPTIONS)}")
    kind = kind.strip()
    for key in raw.options:
        if key not in COMMON_OPTIONS | TYPE_OPTIONS[kind]:
            raise raw.problem(key, f"option {key!r} is not an option of {kind} contracts",
                              "remove it, or fix its spelling")
    alerting = str(raw.options.get("unmatched_ignore_imports_alerting", "error")).strip().lower()
    if alerting not in ALERT_LEVELS:
        raise raw.problem("unmatched_ignore_imports_alerting", f"{alerting!r} is not an alert level",
                          f"use one of {', '.join(ALERT_LEVELS)}")
    ignores = raw.items("ignore_imports")
    # import-linter sees import statements only: importlib.import_module('x') is no import there.
    common: dict[str, Any] = {"ignore_imports": [_ignore(raw, i) for i in ignores], "dynamic": False}
    if skip_type_checking:
        common["type_checking"] = False
    builders = {"forbidden": _forbidden, "layers": _layers, "independence": _independence,
                "protected": _protected, "acyclic_siblings": _acyclic_siblings}
    try:
        contracts, required = builders[kind](raw, common)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise raw.problem(None, f"cannot translate: {first['msg']}", "check the module names") from None
    guidance = raw.options.get("broken_contract_guidance", "")
    return TranslatedContract(
        name=str(raw.options.get("name", raw.where)).strip(), type=kind, location=f"{raw.path}:{raw.line}",
        id=raw.where[len(CONTRACT_PREFIX) + 1:-1] if raw.where.startswith(f"[{CONTRACT_PREFIX}")
        else str(raw.options.get("id", "")).strip(),
        contracts=contracts, ignore_imports=ignores, unmatched_alerting=alerting, required=required,
        guidance="\n".join(guidance) if isinstance(guidance, list) else str(guidance))


def module_pattern(expression: str) -> str:
    """An import-linter module expression as a prepctl pattern: ``**`` stands for one or more
    segments there and for zero or more in prepctl, so it becomes ``*.**``."""
    return ".".join("*.**" if segment == "**" else segment for segment in expression.strip().split("."))


def _modules(raw: RawContract, key: str, required: bool = True) -> list[str]:
    values = raw.items(key)
    if required and not values:
        raise raw.problem(key, f"{key} is missing or empty", f"list the modules of {key}")
    found = []
    for value in values:
        pattern = module_pattern(value)
        problem = patterns.validate(pattern)
        if problem:
            raise raw.problem(key, f"{key}: {problem}", "write a dotted module name, with * or ** wildcards")
        found.append(pattern)
    return found


def _ignore(raw: RawContract, expression: str) -> str:
    importer, arrow, imported = expression.partition("->")
    if not arrow:
        raise raw.problem("ignore_imports", f"ignore_imports: {expression!r} is not 'importer -> imported'",
                          "write 'importer -> imported'")
    for side in (importer, imported):
        problem = patterns.validate(module_pattern(side))
        if problem:
            raise raw.problem("ignore_imports", f"ignore_imports: {problem}", "fix the module expression")
    return f"{module_pattern(importer)} -> {module_pattern(imported)}"


def _no_as_packages(raw: RawContract) -> None:
    if not raw.flag("as_packages", True):
        raise raw.problem("as_packages", "as_packages = false: prepctl patterns always name a module "
                          "with everything below it", "remove as_packages, or list the modules one by one")


#: What a builder makes of one contract: the prepctl contracts, and the patterns that must exist.
Built = tuple[list[ContractOptions], list[str]]


def _forbidden(raw: RawContract, common: dict[str, Any]) -> Built:
    _no_as_packages(raw)
    return [ForbiddenOptions(type="forbidden", source=_modules(raw, "source_modules"),
                             forbidden=_modules(raw, "forbidden_modules"),
                             transitive=not raw.flag("allow_indirect_imports", False), **common)], []


def _independence(raw: RawContract, common: dict[str, Any]) -> Built:
    modules = _modules(raw, "modules")
    return [IndependenceOptions(type="independence", modules=modules, **common)], modules


def _protected(raw: RawContract, common: dict[str, Any]) -> Built:
    _no_as_packages(raw)
    allowed = _modules(raw, "allowed_importers")
    return [FacadeOptions(type="facade", modules=_modules(raw, "protected_modules"),
                          facade=allowed, transitive=False, **common)], allowed


def _layers(raw: RawContract, common: dict[str, Any]) -> Built:
    if raw.flag("exhaustive", False) or raw.items("exhaustive_ignores"):
        raise raw.problem("exhaustive", "exhaustive layers are not supported by prepctl",
                          "remove exhaustive/exhaustive_ignores, or check this contract with lint-imports")
    containers = _modules(raw, "containers", required=False)
    layers: list[str | list[str]] = []
    independent: list[list[str]] = []
    optional = False
    required: list[str] = []
    for text in raw.items("layers"):
        if "|" in text and ":" in text:
            raise raw.problem("layers", f"layer {text!r} mixes '|' and ':'", "use one separator per layer")
        names = []
        for name in re.split(r"[|:]", text):
            name = name.strip()
            if name.startswith("(") and name.endswith(")"):
                name, optional = name[1:-1].strip(), True
            else:
                required.extend(f"{c}.{name}" if c else name for c in containers or [""])
            problem = patterns.validate(name)
            if problem:
                raise raw.problem("layers", f"layers: {problem}", "write module names relative to the containers")
            names.append(name)
        layers.append(names[0] if len(names) == 1 else names)
        if "|" in text:
            independent.append(names)
    if len(layers) < 2:
        raise raw.problem("layers", "fewer than two layers", "list the layers from top to bottom")
    found: list[ContractOptions] = [LayersOptions(type="layers", layers=layers, containers=containers,
                                                  missing_ok=optional, **common)]
    for names in independent:
        found.append(IndependenceOptions(
            type="independence", modules=[f"{c}.{n}" if c else n for c in containers or [""] for n in names],
            **common))
    return found, required


def _acyclic_siblings(raw: RawContract, common: dict[str, Any]) -> Built:
    if raw.items("skip_descendants"):
        raise raw.problem("skip_descendants", "skip_descendants is not supported by prepctl",
                          "remove it, or check this contract with lint-imports")
    depth_text = raw.options.get("depth", str(DEFAULT_SIBLING_DEPTH))
    try:
        depth = int(str(depth_text).strip())
    except ValueError:
        raise raw.problem("depth", f"depth = {depth_text!r} is not a whole number", "write e.g. depth = 2") from None
    if depth < 0:
        raise raw.problem("depth", "depth must be >= 0", "write e.g. depth = 2")
    found: list[ContractOptions] = []
    for ancestor in _modules(raw, "ancestors"):
        if patterns.is_wild(ancestor):
            raise raw.problem("ancestors", f"ancestors: wildcard {ancestor!r} is not supported by prepctl",
                              "list the ancestor packages by name")
        base = len(ancestor.split("."))
        # Siblings at each level below the ancestor, their descendants folded into them: a cycle
        # between cousins is also one between their parents, one level up, so the verdict agrees.
        for level in range(1, depth + 2):
            found.append(AcyclicOptions(type="acyclic", modules=[ancestor + ".*" * level],
                                        depth=base + level, **common))
    return found, []


def check(contract: TranslatedContract, graph: ImportGraph, roots: list[str] | None = None) -> ContractResult:
    """Run every prepctl contract an import-linter contract became, as one result.

    The ignores are applied here with import-linter's meaning (each side names modules exactly,
    not packages), before the prepctl contracts run without ignores of their own. With ``roots``
    (the root_packages), imports from or to modules outside them are dropped first: import-linter's
    graph holds only those packages, so a chain through a test module or a script is none. A level of an
    acyclic_siblings contract deeper than the packages go is no error when the ancestor exists
    (import-linter stops at the leaves too); any other pattern that matches nothing is.
    """
    violations: list[Violation] = []
    notes: list[str] = []
    checked: list[str] = []
    headlines: list[str] = []
    for pattern in contract.required:
        require(graph, f"{contract.name}:", [pattern])
    for root in roots or []:
        # A misspelt root package would drop every import below and pass whatever the contract says.
        require(graph, f"{contract.name}: root package", [root])
    view = graph.filtered(contract.contracts[0].edge_filter())
    if roots:
        view = view.without({(a, b) for a, b in view.statements
                             if not (patterns.matches(roots, a) and patterns.matches(roots, b))})
    unmatched = unmatched_ignores(contract, view)
    if unmatched and contract.unmatched_alerting == "error":
        raise GraphError(Problem(file=contract.location, message=f"{contract.name}: ignore_imports "
                                 f"{', '.join(unmatched)} match no import",
                                 hint="remove them, or set unmatched_ignore_imports_alerting"))
    if unmatched and contract.unmatched_alerting == "warn":
        notes.append(f"ignore_imports {', '.join(unmatched)} match no import")
    view = view.without(ignored_exactly(contract.ignore_imports, view))
    for options in contract.contracts:
        try:
            result = run_contract(options.model_copy(update={"ignore_imports": []}), view)
        except GraphError:
            ancestor = options.modules[0].split(".*")[0] if isinstance(options, AcyclicOptions) else None
            if ancestor is not None and ancestor in graph.modules:
                continue
            raise
        violations.extend(result.violations)
        notes.extend(result.notes)
        checked.append(result.checked)
        headlines.append(result.headline)
    if violations and contract.guidance:
        notes.append(contract.guidance)
    return ContractResult(violations, "; ".join(checked), notes,
                          headline="; ".join(h for h in headlines if h))


def ignored_exactly(expressions: list[str], graph: ImportGraph) -> set[tuple[str, str]]:
    """The imports of ``graph`` that import-linter ignore expressions name."""
    parsed = [tuple(module_pattern(side) for side in e.split("->", 1)) for e in expressions]
    return {(a, b) for a, b in graph.statements
            if any(_exact(pa, a) and _exact(pb, b) for pa, pb in parsed)}


def unmatched_ignores(contract: TranslatedContract, graph: ImportGraph) -> list[str]:
    """The ignore expressions that match no import of the graph (import-linter alerts on them)."""
    return [e.strip() for e in contract.ignore_imports if not ignored_exactly([e], graph)]


def _exact(pattern: str, module: str) -> bool:
    """Whether ``pattern`` matches all of ``module``: import-linter ignores name modules, not
    packages, so an ignore that only matches an ancestor of every import is unmatched."""
    return _segments_match(pattern.strip().split("."), module.split("."))


def _segments_match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_segments_match(pattern[1:], parts[k:]) for k in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pattern[0]) and _segments_match(pattern[1:], parts[1:])


# --- readers -----------------------------------------------------------------------------------

def _read_ini(path: Path, text: str) -> tuple[RawContract, list[RawContract]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigError(Problem(file=str(path), message=f"not a valid INI file: {exc}",
                                  hint="fix the syntax")) from None
    lines = _ini_lines(text)
    if not parser.has_section(INI_SECTION):
        raise ConfigError(Problem(file=str(path), message=f"no [{INI_SECTION}] section",
                                  hint="point at the file that configures import-linter"))

    def raw(section: str, where: str) -> RawContract:
        options: dict[str, str | list[str]] = {}
        for key, value in parser.items(section):
            options[key] = value.strip().split("\n") if "\n" in value else value
        section_lines = lines.get(section, {})
        return RawContract(where, path, section_lines.get("", 1), options, section_lines)

    session = raw(INI_SECTION, f"[{INI_SECTION}]")
    contracts = [raw(s, f"[{s}]") for s in parser.sections() if s.startswith(CONTRACT_PREFIX)]
    return session, contracts


def _ini_lines(text: str) -> dict[str, dict[str, int]]:
    """Section -> option -> line ('' -> the header's line), for file:line in errors."""
    found: dict[str, dict[str, int]] = {}
    current: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            current = found.setdefault(header.group(1).strip(), {"": number})
            continue
        key = re.match(r"([A-Za-z_][\w-]*)\s*[=:]", line)
        if key:
            current.setdefault(key.group(1).lower(), number)
    return found


def _read_toml(path: Path, text: str) -> tuple[RawContract, list[RawContract]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Problem(file=str(path), message=f"not valid TOML: {exc}", hint="fix the syntax")) from None
    section = data.get("tool", {}).get("importlinter")
    if not isinstance(section, dict):
        raise ConfigError(Problem(file=str(path), message="no [tool.importlinter] table",
                                  hint="point at the file that configures import-linter"))
    lines = text.splitlines()
    header = _line_of(lines, r"\s*\[tool\.importlinter\]", 0)
    session_options = {k: v for k, v in section.items() if k != "contracts"}
    session = RawContract("[tool.importlinter]", path, header, _toml_values(session_options),
                          _toml_key_lines(lines, header, session_options))
    contracts = []
    start = 0
    for index, item in enumerate(section.get("contracts", [])):
        start = _line_of(lines, r"\s*\[\[tool\.importlinter\.contracts\]\]", start) or header
        where = f"[[tool.importlinter.contracts]] #{index + 1}"
        if not isinstance(item, dict):
            raise ConfigError(Problem(file=str(path), line=start, message=f"{where} is not a table",
                                      hint="write each contract as a table"))
        contracts.append(RawContract(where, path, start, _toml_values(item), _toml_key_lines(lines, start, item)))
    return session, contracts


def _toml_values(table: dict[str, Any]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for key, value in table.items():
        if isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def _line_of(lines: list[str], regex: str, after: int) -> int:
    for number in range(after, len(lines)):
        if re.match(regex, lines[number]):
            return number + 1
    return 0


def _toml_key_lines(lines: list[str], start: int, keys: dict[str, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key in keys:
        line = _line_of(lines, rf"\s*{re.escape(key)}\s*=", start)
        if line:
            found[key] = line
    return found
