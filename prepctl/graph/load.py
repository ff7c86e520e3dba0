"""Where the graph's settings come from (phases.yaml, or nothing at all) and building it.

Graph commands work on any checkout: with no phases.yaml they scan every Python file under
``--root`` (default: the current folder) with default settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from prepctl import workdir
from prepctl.errors import ConfigError, Problem
from prepctl.graph.contracts.base import ContractOptions
from prepctl.graph.model import EdgeFilter, GraphError, ImportGraph
from prepctl.graph.scan.cache import ParseCache
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.model import ScanResult
from prepctl.graph.scan.scanner import scan_tree

if TYPE_CHECKING:
    from prepctl.plan.model import CriterionKinds, GraphConfig, LoadedPlan
    from prepctl.sources.tree import Tree


@dataclass
class GraphSettings:
    """Everything a graph command or gate needs to know besides the question."""

    root: Path
    scan: ScanConfig = field(default_factory=ScanConfig)
    groups: dict[str, list[str]] = field(default_factory=dict)
    entry_points: list[str] = field(default_factory=list)
    #: The committed ratchet baseline (None without phases.yaml: no contracts then).
    baseline_path: Path | None = None
    cache_dir: Path | None = None
    plan: LoadedPlan | None = None
    #: The contracts of an import-linter configuration (graph: importlinter:, or found in the
    #: root when nothing else configures a contract), as (contract id, options).
    importlinter: list[tuple[str, ContractOptions]] = field(default_factory=list)
    #: Where they came from, e.g. "pyproject.toml [tool.importlinter]" (None: nowhere).
    importlinter_source: str | None = None

    @property
    def cache(self) -> ParseCache | None:
        return ParseCache(self.cache_dir) if self.cache_dir is not None else None

    @property
    def source_label(self) -> str:
        return str(self.plan.path) if self.plan is not None else f"{self.root} (no phases.yaml)"


def default_include(root: Path) -> tuple[str, ...]:
    """The source roots when none are configured: ``src/`` first in a src layout (a ``src``
    folder that is not itself a package but holds one), so ``src/shop/billing.py`` is
    ``shop.billing`` and ``from shop import ...`` resolves; the checkout itself otherwise."""
    source = root / "src"
    try:
        src_layout = (source.is_dir() and not (source / "__init__.py").exists()
                      and any((child / "__init__.py").is_file() for child in source.iterdir()))
    except OSError:
        src_layout = False
    return ("src", ".") if src_layout else (".",)


def scan_config(config: GraphConfig, root: Path) -> ScanConfig:
    include = tuple(config.include) if "include" in config.model_fields_set else default_include(root)
    return ScanConfig(include=include, exclude=tuple(config.exclude),
                      packages=tuple(config.packages), max_file_bytes=config.max_file_kb * 1000,
                      verify_syntax=config.verify_syntax)


def settings_from_plan(plan: LoadedPlan) -> GraphSettings:
    config = plan.model.graph
    settings = GraphSettings(
        root=plan.root, scan=scan_config(config, plan.root), groups=dict(config.groups),
        entry_points=list(config.entry_points), baseline_path=plan.config_dir / config.baseline,
        cache_dir=workdir.cache_dir(plan.config_dir), plan=plan,
    )
    if config.importlinter is not None:
        use_importlinter(settings, config.importlinter)
    return settings


#: The ratchet baseline of a checkout without phases.yaml (import-linter contracts only).
DEFAULT_BASELINE = "imports-baseline.json"


def use_importlinter(settings: GraphSettings, config: str | None) -> bool:
    """Add the contracts of the import-linter configuration ``config`` (relative to the root;
    None: the one found there) to ``settings``; its root_packages become the scanned packages
    when none are set. False when ``config`` is None and none is found. A ConfigError (exit 2,
    file:line) when the configuration does not translate."""
    from prepctl.graph.contracts.importlinter import load_source
    from prepctl.sources.tree import WorkTree

    source = load_source(WorkTree(settings.root), config)
    if source is None:
        return False
    settings.importlinter = list(source.contracts)
    settings.importlinter_source = source.label
    if not settings.scan.packages:
        settings.scan = replace(settings.scan, packages=tuple(source.root_packages))
    if settings.baseline_path is None:
        settings.baseline_path = settings.root / DEFAULT_BASELINE
    return True


def discover_importlinter(settings: GraphSettings) -> None:
    """With no contract configured at all, take import-linter's configuration from the root, as
    lint-imports would: a checkout configured only for import-linter is checked, not passed."""
    if not plan_contracts(settings) and not settings.importlinter:
        use_importlinter(settings, None)


def settings_for(config: Path | None, root: Path | None, *, kinds: CriterionKinds) -> GraphSettings:
    """The CLI's settings: the config if given or discovered (phases.yaml, or pyproject.toml with
    ``[tool.prepctl]``), else defaults over ``root``.

    ``kinds`` answers which gate kinds a plan may name (the caller passes the gate registry, so the
    graph engine never imports the gates that use it)."""
    from prepctl.plan.load import discover, load_plan

    if config is None:
        config = discover()  # a malformed pyproject.toml on the way up is an error, not "none"
        if config is None:
            folder = (root or Path.cwd()).resolve()
            if not folder.is_dir():
                raise ConfigError(Problem(file="--root", message=f"{folder} is not a folder",
                                          hint="point --root (or PREPCTL_ROOT) at a checkout"))
            return GraphSettings(root=folder, scan=ScanConfig(include=default_include(folder)),
                                 cache_dir=workdir.cache_dir(folder))
    return settings_from_plan(load_plan(config, root, kinds=kinds))


def scan(settings: GraphSettings, tree: Tree | None = None) -> ScanResult:
    from prepctl.sources.tree import WorkTree

    tree = tree or WorkTree(settings.root)
    cache = settings.cache
    try:
        return scan_tree(tree, settings.scan, cache)
    finally:
        if cache is not None:
            cache.close()


def require_modules(result: ScanResult, settings: GraphSettings) -> None:
    """A scan that found nothing cannot pass or fail anything: refuse it."""
    if result.modules:
        return
    where = result.label or str(settings.root)
    skipped = f"; {len(result.problems)} file(s) skipped" if result.problems else ""
    raise GraphError(Problem(
        file=settings.source_label,
        message=f"no Python modules found under {where} (roots {', '.join(settings.scan.include)}"
                f"{', packages ' + ', '.join(settings.scan.packages) if settings.scan.packages else ''}"
                f"{skipped})",
        hint="check root:, --root and the graph: include/exclude/packages settings"))


def build_graph(settings: GraphSettings, tree: Tree | None = None,
                edge_filter: EdgeFilter | None = None) -> ImportGraph:
    result = scan(settings, tree)
    require_modules(result, settings)
    return ImportGraph(result, edge_filter)


def plan_contracts(settings: GraphSettings, phase: str | None = None) -> list[tuple[str, ContractOptions]]:
    """(contract id, options) of every import-graph contract: each criterion's that carries one,
    in plan order, then (for no ``phase``: they belong to none) the phase-less contracts of
    ``graph: contracts:``, by their own id, and the import-linter contracts."""
    found: list[tuple[str, ContractOptions]] = []
    for p in settings.plan.phases if settings.plan is not None else []:
        if phase is not None and p.id != phase:
            continue
        for criterion in p.criteria:
            contract = criterion.graph_contract()
            if isinstance(contract, ContractOptions):
                found.append((f"{p.id}/{criterion.id}", contract))
    if phase is not None:
        return found
    for named in settings.plan.model.graph.contracts if settings.plan is not None else []:
        options = named.graph_contract()
        if not isinstance(options, ContractOptions):  # a plan not loaded by load_plan: refuse,
            raise ConfigError(Problem(                 # dropping the contract would pass it
                file=str(settings.plan.path), message=f"graph contract '{named.id}' was never validated",
                hint="load the plan with prepctl.plan.load.load_plan (or prepctl.api.load_plan)"))
        found.append((named.id, options))
    return found + list(settings.importlinter)
