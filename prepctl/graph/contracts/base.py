"""The seam every contract type plugs into (import-linter's model): a contract declares its
options as a pydantic model, ``check()`` returns a ``ContractResult``, rendering is elsewhere.

Every contract refuses to pass on patterns that match no module: a contract about nothing
would pass forever (a typo, or a root that is wrong) and prove nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from prepctl import patterns
from prepctl.errors import Problem
from prepctl.graph.model import EdgeFilter, GraphError, Hop, ImportGraph

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree


class ContractOptions(BaseModel):
    """Options every contract has."""

    model_config = ConfigDict(extra="forbid")

    type: str
    ignore_imports: list[str] = Field(default_factory=list, description=(
        "Imports that never count, as 'importer -> imported' module patterns "
        "(e.g. 'prep.api.main -> prep.analytics.routers'). Prefer the baseline for debt that "
        "should shrink; use this for imports that are allowed for good."))
    type_checking: bool = Field(True, description="Count imports under `if TYPE_CHECKING:`.")
    dynamic: bool = Field(True, description="Count importlib.import_module('x') / __import__('x').")
    guarded: bool = Field(True, description="Count imports inside try/except ImportError.")
    allow_skipped: list[str] = Field(default_factory=list, description=(
        "Path globs (relative to root, e.g. 'legacy/**', 'app/broken.py'; '**' for all) of "
        "skipped files this contract tolerates. A file the scan skipped (syntax error, NUL bytes, "
        "undecodable, too large, a name no import reaches, a symlink out of the root) has unknown "
        "imports: inside the contract's scope it makes the verdict `error` unless listed here, "
        "and then it only warns."))

    @field_validator("ignore_imports")
    @classmethod
    def _ignore_syntax(cls, value: list[str]) -> list[str]:
        for item in value:
            importer, arrow, imported = item.partition("->")
            if not arrow:
                raise ValueError(f"{item!r}: write 'importer -> imported'")
            for pattern in (importer.strip(), imported.strip()):
                problem = patterns.validate(pattern)
                if problem:
                    raise ValueError(problem)
        return value

    def importer_scope(self) -> list[str] | None:
        """Module patterns whose imports decide this contract (None: every module's do). A
        skipped file there, or one they reach when ``transitive``, leaves the verdict unknown."""
        return None

    def edge_filter(self) -> EdgeFilter:
        return EdgeFilter(type_checking=self.type_checking, dynamic=self.dynamic, guarded=self.guarded)


def check_patterns(value: list[str] | str) -> None:
    for pattern in [value] if isinstance(value, str) else value:
        problem = patterns.validate(pattern)
        if problem:
            raise ValueError(problem)


def _checked_patterns(value: list[str]) -> list[str]:
    check_patterns(value)
    return value


#: A list of module patterns, each checked for syntax when the plan loads.
ModulePatterns = Annotated[list[str], AfterValidator(_checked_patterns)]


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``key`` is stable across runs: the baseline remembers violations by it."""

    key: str
    message: str
    hops: tuple[Hop, ...] = ()
    #: Every module (or package) of a cycle's strongly connected component; the message names
    #: a few of them and ``hops`` one cycle through them.
    members: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        data = {"key": self.key, "message": self.message, "chain": [h.to_dict() for h in self.hops]}
        if self.members:
            data["members"] = list(self.members)
        return data

    @property
    def chain_text(self) -> str:
        if not self.hops:
            return ""
        return " -> ".join([self.hops[0].importer] + [h.imported for h in self.hops])


@dataclass
class ContractResult:
    """What a contract found: violations (empty: kept), what it checked, and remarks."""

    violations: list[Violation]
    checked: str
    notes: list[str] = field(default_factory=list)
    #: The size of what was found, for the summary line ("3 modules import prep.models.orm
    #: (4 edges)"); empty: the violation count says it.
    headline: str = ""

    @property
    def kept(self) -> bool:
        return not self.violations


OptionsT = TypeVar("OptionsT", bound=ContractOptions)


@dataclass
class ContractContext:
    """What a contract may read besides the graph: the tree it came from, configured groups."""

    tree: Tree | None = None
    groups: dict[str, list[str]] = field(default_factory=dict)


class Contract(ABC, Generic[OptionsT]):
    type: ClassVar[str]
    options: ClassVar[type[ContractOptions]]

    def run(self, options: OptionsT, graph: ImportGraph, ctx: ContractContext | None = None) -> ContractResult:
        """Apply the options' tag filter and ignores, then check."""
        view = graph.filtered(options.edge_filter())
        if options.ignore_imports:
            view = view.without(ignored_pairs(view, options.ignore_imports))
        return self.check(options, view, ctx or ContractContext())

    @abstractmethod
    def check(self, options: OptionsT, graph: ImportGraph, ctx: ContractContext) -> ContractResult: ...


def ignored_pairs(graph: ImportGraph, rules: list[str]) -> set[tuple[str, str]]:
    parsed = [tuple(part.strip() for part in rule.split("->", 1)) for rule in rules]
    return {(a, b) for a, b in graph.statements
            if any(patterns.match_root(pa, a) is not None and patterns.match_root(pb, b) is not None
                   for pa, pb in parsed)}


def require(graph: ImportGraph, what: str, pattern_list: list[str]) -> set[str]:
    """The modules matching ``pattern_list``; a GraphError (-> `error` verdict) if none do."""
    found = patterns.select(pattern_list, graph.modules)
    if not found:
        raise matched_nothing(graph, what, pattern_list)
    return found


def require_units(graph: ImportGraph, what: str, pattern_list: list[str], hint: str) -> dict[str, set[str]]:
    """Each unit the patterns stand for (a wildcard match is one package) with its modules; a
    GraphError (-> `error` verdict) if the patterns match no module."""
    found: dict[str, set[str]] = {}
    for pattern in pattern_list:
        for root, members in patterns.units(pattern, graph.modules).items():
            found.setdefault(root, set()).update(members)
    if not found:
        raise matched_nothing(graph, what, pattern_list, hint=hint)
    return found


def members_text(members: tuple[str, ...] | list[str], shown: int = 5) -> str:
    """A few members of a (possibly huge) set, and how many more: for one-line summaries."""
    more = f", +{len(members) - shown} more" if len(members) > shown else ""
    return ", ".join(members[:shown]) + more


def matched_nothing(graph: ImportGraph, what: str, pattern_list: list[str],
                    hint: str = "a contract about nothing proves nothing: fix the pattern, or the "
                                "graph: include/exclude settings") -> GraphError:
    """The error of a contract whose patterns match no scanned module (never an empty pass)."""
    return GraphError(Problem(
        file=graph.scan.label or "scan",
        message=f"{what} {', '.join(pattern_list)} matched none of the {len(graph):,} modules scanned",
        hint=hint))


def importers_headline(violations: list[Violation], what: str) -> str:
    """"N modules import X (M edges)": distinct importing modules, direct import edges (module
    pairs), and the modules that reach X only through others. Empty when nothing does."""
    if not violations:
        return ""
    importers = {v.hops[0].importer for v in violations if v.hops}
    edges = sum(1 for v in violations if len(v.hops) == 1)
    only = len(importers) - len({v.hops[0].importer for v in violations if len(v.hops) == 1})
    via = f", {only} of them transitively only" if only else ""
    return f"{len(importers)} module(s) import {what} ({edges} direct edge(s){via})"


def chains_into(graph: ImportGraph, sources: set[str], targets: set[str], transitive: bool,
                label: str, avoid: set[str] | None = None) -> list[Violation]:
    """Violations for sources that import targets.

    Every direct import is one violation (``a -> b``). With ``transitive``, a source module
    without a direct one that still reaches a target through other modules adds one violation
    with its shortest chain. Chains never pass through another source module, so each names
    the module where it leaves the source (`prep.bookings.api -> prep.bookings.service -> orm`
    is prep.bookings.service's direct import, reported once), nor through ``avoid``.
    """
    violations: list[Violation] = []
    direct_sources: set[str] = set()
    for a, b in sorted(graph.statements):
        if a in sources and b in targets:
            direct_sources.add(a)
            violations.append(Violation(f"{a} -> {b}", f"{a} imports {b} ({label})", (graph.hop(a, b),)))
    if not transitive:
        return violations
    chains = graph.shortest_chains_to(targets, avoid=sources | (avoid or set()))
    for source in sorted((sources & set(chains)) - direct_sources):
        chain = chains[source]
        end = chain[-1]
        violations.append(Violation(
            f"{source} -> {end}", f"{source} imports {end} via {' -> '.join(chain[1:-1])} ({label})",
            tuple(graph.hops(chain))))
    return sorted(violations, key=lambda v: v.key)
