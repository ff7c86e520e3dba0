"""Walk a repository's history and count, at every commit, the importers of a module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError, Problem
from prepctl.graph.model import EdgeFilter, GraphError
from prepctl.graph.scan.cache import ParseCache
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.model import ParsedFile
from prepctl.graph.stages import CLOCK, stage
from prepctl.graph.trend.incremental import IncrementalGraph
from prepctl.graph.trend.model import ProgressCallback, TrendPoint, TrendResult, TrendStats

if TYPE_CHECKING:
    from prepctl.graph.contracts import ContractOptions
    from prepctl.sources.git import FileChange
    from prepctl.sources.gitcli import CommitInfo, GitCommand


#: Blobs read from git and parsed per batch: bounds memory on huge histories.
PARSE_BATCH = 4000


@dataclass
class _CommitPlan:
    """What pass 1 found for a commit: its changes (None: same tree as an earlier commit)."""

    info: CommitInfo
    tree_id: str | None
    changes: list[FileChange] | None


@dataclass(frozen=True)
class CommitGraph:
    """One step of a history walk: the commit, and the graph as it is at that commit."""

    info: CommitInfo
    graph: IncrementalGraph
    #: False when the commit's tree equals the previous commit's: the graph did not change.
    changed: bool


def walk_history(root: Path, config: ScanConfig, cache: ParseCache | None = None, *,
                 since: str | None = None, until: str | None = None, first_parent: bool = False,
                 every: int = 1, edge_filter: EdgeFilter | None = None,
                 progress: ProgressCallback | None = None,
                 stats: TrendStats | None = None, keep_edges: bool = False) -> Iterator[CommitGraph]:
    """The import graph at every selected commit of the repository around ``root``, oldest first.

    ``root`` is the folder scanned (the plan's root, possibly a sub-folder of the repository).
    The same ``IncrementalGraph`` is yielded each time, moved on to the next commit: read it
    before asking for the next one.
    """
    # git itself, not gitpython: importing gitpython cost more than a warm walk's git work.
    from prepctl.sources.gitcli import find_repo, list_commits, prefix_in
    from prepctl.sources.gitdiff import diff_pairs, subtrees

    laps = CLOCK.laps()  # PREPCTL_SCAN_STATS=1: CPU per stage of the walk on stderr
    git = find_repo(root)
    assert git.work_tree is not None  # find_repo refuses bare repositories
    prefix = prefix_in(git.work_tree, root)
    commits = list_commits(git, since=since, until=until, first_parent=first_parent, every=every)
    if not commits:
        raise PrepctlError(f"no commits selected (since {since or 'the start'}, until {until or 'HEAD'}); "
                           "widen --since/--until")
    stats = stats if stats is not None else TrendStats()
    stats.commits = len(commits)
    parsed: dict[str, ParsedFile] = {}
    graph = IncrementalGraph(config, parsed, edge_filter or EdgeFilter(), keep_edges)
    laps.done("trend: list commits")

    # Pass 1: what changed from each commit to the next, compared by git itself in one
    # `git diff-tree --stdin` stream, and the blobs that will need parsing.
    roots = subtrees(git, [info.tree for info in commits], prefix)
    pairs = list(zip([None, *roots[:-1]], roots, strict=True))
    diffs = diff_pairs(git, pairs)
    laps.done("trend: diff trees (git)")
    plans: list[_CommitPlan] = []
    seen_trees: set[str | None] = set()
    needed: set[str] = set()
    for number, (info, pair) in enumerate(zip(commits, pairs, strict=True), start=1):
        tree_id = pair[1]
        if tree_id in seen_trees and tree_id == pair[0]:
            plans.append(_CommitPlan(info, tree_id, None))
        else:
            changes = diffs[pair]
            for change in changes:
                if change.new_blob is not None and change.path.endswith(".py") \
                        and graph.claim_of(change.path) is not None:
                    needed.add(change.new_blob)
            stats.files_seen += len(changes)
            plans.append(_CommitPlan(info, tree_id, changes))
            seen_trees.add(tree_id)
        if progress:
            progress("history", number, len(commits))
    stats.unique_trees = len(seen_trees)
    laps.done("trend: plan commits")

    # Parse every blob the cache does not know, all at once so a cold run uses every core.
    _parse_needed(sorted(needed), git, config, cache, parsed, stats, progress)
    laps.done("trend: parse or cache read")

    # Pass 2: move the graph from commit to commit.
    for number, plan in enumerate(plans, start=1):
        if plan.changes is not None:
            graph.apply(plan.changes)
        laps.done("trend: move graph")
        yield CommitGraph(plan.info, graph, plan.changes is not None)
        laps.done("trend: count (caller)")
        stats.files_resolved = graph.files_resolved
        if progress:
            progress("count", number, len(plans))


def compute_trend(root: Path, target: str, config: ScanConfig, cache: ParseCache | None = None, *,
                  since: str | None = None, until: str | None = None, first_parent: bool = False,
                  every: int = 1, groups: dict[str, list[str]] | None = None,
                  edge_filter: EdgeFilter | None = None,
                  progress: ProgressCallback | None = None,
                  contracts: list[tuple[str, ContractOptions]] | None = None) -> TrendResult:
    """Count the importers of ``target`` (a module, or a package and its modules) at every
    selected commit. ``groups`` adds the count per downstream group, ``contracts`` the
    violations of each (id, options) contract."""
    stats = TrendStats()
    group_memo: dict[str, str] = {}
    points: list[TrendPoint] = []
    last: IncrementalGraph | None = None
    for step in walk_history(root, config, cache, since=since, until=until, first_parent=first_parent,
                             every=every, edge_filter=edge_filter, progress=progress, stats=stats,
                             keep_edges=bool(contracts)):
        info, graph = step.info, step.graph
        if not step.changed and points:
            same = points[-1]
            points.append(TrendPoint(info.sha, info.date, info.subject, same.exists, same.direct,
                                     same.transitive, same.skipped_files, same.skipped, same.groups,
                                     same.violations))
            continue
        targets = graph.members(target)
        direct, reach = graph.importers_of(targets)
        skipped = graph.skipped()
        points.append(TrendPoint(info.sha, info.date, info.subject, bool(targets), len(direct), len(reach),
                                 len(skipped), tuple(skipped),
                                 _group_counts(reach, groups, group_memo) if groups is not None else None,
                                 _violation_counts(graph, info.sha, contracts, groups) if contracts else None))
        last = graph
    if not any(p.exists for p in points):
        raise GraphError(_missing_target(target, last, len(points)))
    return TrendResult(target, points, stats)


def _parse_needed(blobs: list[str], git: GitCommand, config: ScanConfig, cache: ParseCache | None,
                  parsed: dict[str, ParsedFile], stats: TrendStats,
                  progress: ProgressCallback | None) -> None:
    """Parse each blob the cache does not know, with the scanner's own parser and cache.

    Parsing checks the whole file's syntax (a syntax error anywhere skips the file), and
    entries from a scan that did not verify are parsed again, exactly as ``scan_tree`` does.
    """
    from prepctl.sources.gitcli import read_objects

    with stage("trend: cache read"):
        known = cache.get_many(blobs) if cache is not None else {}
    for blob, value in known.items():
        if value.verified:
            parsed[blob] = value
    stats.blobs_from_cache = len(parsed)
    missing = [b for b in blobs if b not in parsed]
    stats.blobs_parsed = len(missing)
    if not missing:
        return
    # Lazy: a warm walk parses nothing, and the parser's modules cost start-up time.
    from prepctl.graph.scan.blobs import parse_blobs

    done = 0
    for start in range(0, len(missing), PARSE_BATCH):
        chunk = missing[start:start + PARSE_BATCH]
        with stage("trend: read blobs (git)"):
            contents = read_objects(git, (bytes.fromhex(b) for b in chunk), "blob")
        with stage("trend: parse + syntax check"):
            fresh, _workers = parse_blobs({b: contents[bytes.fromhex(b)] for b in chunk},
                                          config.max_file_bytes, True)
        with stage("trend: cache write"):
            if cache is not None:
                cache.put_many(fresh)
        parsed.update(fresh)
        done += len(chunk)
        if progress:
            progress("parse", done, len(missing))


def _violation_counts(graph: IncrementalGraph, sha: str, contracts: list[tuple[str, ContractOptions]],
                      groups: dict[str, list[str]] | None) -> dict[str, int | None]:
    """Each contract's violations at this commit, checked as `graph check` would check them.

    None where the count is not known: the contract could not run (e.g. a layer that did not
    exist yet), or a skipped file in its scope that it does not tolerate (``allow_skipped``) hides
    imports, which `graph check` reports as an error for the same reason.
    """
    from prepctl.graph.check import scope_problems
    from prepctl.graph.contracts import ContractContext, run_contract
    from prepctl.graph.model import ImportGraph

    scan = graph.scan_result(sha)
    import_graph = ImportGraph(scan)
    context = ContractContext(None, groups or {})
    counts: dict[str, int | None] = {}
    for contract_id, options in contracts:
        try:
            violations = len(run_contract(options, import_graph, context).violations)
        except PrepctlError:
            counts[contract_id] = None
            continue
        _shown, blocking = scope_problems(options, import_graph, scan.problems)
        counts[contract_id] = None if blocking else violations
    return counts


def _group_counts(reach: set[str], groups: dict[str, list[str]], memo: dict[str, str]) -> dict[str, int]:
    """Modules reaching the target, per configured downstream group (others by top-level package)."""
    from prepctl.graph.queries import group_of

    counts: dict[str, int] = dict.fromkeys(groups, 0)
    for module in reach:
        group = memo.get(module)
        if group is None:
            group = memo[module] = group_of(module, groups)
        counts[group] = counts.get(group, 0) + 1
    return dict(sorted(counts.items()))


def _missing_target(target: str, graph: IncrementalGraph | None, commits: int) -> Problem:
    import difflib

    known = sorted(graph.seen_modules) if graph is not None else []
    guess = difflib.get_close_matches(target, known, n=1, cutoff=0.6)
    return Problem(file="graph trend", message=f"module {target!r} does not exist at any of the "
                   f"{commits} commit(s) selected",
                   hint=f"did you mean {guess[0]!r}?" if guess else
                   "check the module name and the graph: include/exclude settings")

