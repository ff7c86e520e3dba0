"""`prepctl graph ...`: the import graph of the monolith (or of any checkout, with no phases.yaml).

Thin: each command parses options, calls one function of ``prepctl.graph`` and prints. Heavy
modules (networkx, pydot, the scanner) are imported inside the commands.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prepctl.commands._completion import complete_modules, complete_phases
from prepctl.commands._session import Session, session_of

if TYPE_CHECKING:
    from prepctl.graph.load import GraphSettings
    from prepctl.graph.model import ImportGraph

app = typer.Typer(
    help="The monolith's import graph: who imports a module (directly and transitively), what it "
    "imports, why one module depends on another, cycles, orphans, the symbol matrix, contract "
    "checks with a ratchet baseline, diffs between git revisions and the dependency report. "
    "Works on any checkout: without phases.yaml every Python file under --root (default: the "
    "current folder) is scanned.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class QueryFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class PictureFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    dot = "dot"
    svg = "svg"
    png = "png"
    html = "html"


class ContractFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"


FormatOpt = Annotated[QueryFormat, typer.Option("--format", "-f", help="Output format.")]
ContractFormatOpt = Annotated[ContractFormat, typer.Option("--format", "-f", help="Output format; sarif: "
                              "SARIF 2.1.0 for code scanning (baselined violations suppressed); github: "
                              "::error annotations on new violations only, the rest in $GITHUB_STEP_SUMMARY.")]
IgnoreOpt = Annotated[list[str] | None, typer.Option(
    "--ignore", help="Leave out tagged imports: type-checking, dynamic or guarded (repeatable).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")]
DepthOpt = Annotated[int | None, typer.Option(
    "--depth", min=1, help="Pictures: collapse modules to packages of N name segments (default: "
    "automatic above 80 nodes).")]


def _graph(settings: GraphSettings, ignore: list[str] | None = None) -> ImportGraph:
    from prepctl.graph.load import build_graph
    from prepctl.graph.model import EdgeFilter

    try:
        edge_filter = EdgeFilter.ignoring(ignore or [])
    except ValueError as exc:
        Session.fail_input(f"--ignore: {exc}")
    graph = build_graph(settings, edge_filter=edge_filter)
    if graph.scan.problems:
        from prepctl.graph.output import problems_note

        typer.echo(problems_note(graph.scan.problems).rstrip(), err=True)
    return graph


def _emit(text: str | bytes, out: Path | None) -> None:
    from prepctl.fileio import atomic_write_bytes, atomic_write_text

    if out is None:
        if isinstance(text, bytes):
            typer.echo(text.decode("utf-8"), nl=False)
        else:
            typer.echo(text, nl=False)
        return
    if isinstance(text, bytes):
        atomic_write_bytes(out, text)
    else:
        atomic_write_text(out, text)
    typer.echo(f"wrote {out}", err=True)


def _picture_output(pic, fmt: PictureFormat, out: Path | None) -> None:
    """dot/svg/png: text to stdout or a file; without Graphviz, the DOT file and a hint."""
    from prepctl.fileio import atomic_write_text
    from prepctl.graph import render

    if fmt is PictureFormat.dot:
        _emit(render.to_dot(pic), out)
        return
    if fmt is PictureFormat.png and out is None:
        Session.fail_input("--format png writes binary data: give --out FILE.png")
    try:
        _, data = render.render_picture(pic, fmt.value)
    except render.GraphvizMissing:
        dot_text = render.to_dot(pic)
        if out is None:
            typer.echo(dot_text, nl=False)
            typer.echo(f"prepctl: Graphviz is not installed, printed DOT instead; {render.GRAPHVIZ_HINT}",
                       err=True)
            return
        fallback = out.with_suffix(".dot")
        atomic_write_text(fallback, dot_text)
        typer.echo(f"prepctl: Graphviz is not installed: wrote {fallback} instead; {render.GRAPHVIZ_HINT}",
                   err=True)
        return
    _emit(data, out)


@app.command()
def importers(
    ctx: typer.Context,
    module: Annotated[str, typer.Argument(autocompletion=complete_modules,
                                          help="Module or package, e.g. prep.models.orm.")],
    transitive: Annotated[bool, typer.Option("--transitive", "-t", help="Add modules that import it "
                          "through others, each with its shortest chain.")] = False,
    fmt: Annotated[PictureFormat, typer.Option("--format", "-f", help="Output format; dot/svg/png/html "
                   "draw the importers around the target.")] = PictureFormat.table,
    out: OutOpt = None,
    depth: DepthOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """Who imports MODULE, by downstream group, with file:line (and chains with --transitive)."""
    from prepctl.graph import output, queries

    settings = session_of(ctx).graph_settings()
    graph = _graph(settings, ignore)
    result = queries.importers(graph, module, transitive, settings.groups)
    if fmt is PictureFormat.json:
        _emit(output.importers_json(result), out)
    elif fmt is PictureFormat.markdown:
        _emit(output.importers_markdown(result), out)
    elif fmt is PictureFormat.table:
        _emit(output.importers_text(result), out)
    elif fmt is PictureFormat.html:
        from prepctl.graph.report import build_report, render_html

        _emit(render_html(build_report(settings, module, depth=depth, graph=graph)), out)
    else:
        from prepctl.graph.report import importers_picture, importers_violations
        from prepctl.sources.tree import WorkTree

        violations = importers_violations(settings, graph, result, WorkTree(settings.root))
        _picture_output(importers_picture(graph, result, violations, depth), fmt, out)


@app.command(name="imports")
def imports_cmd(
    ctx: typer.Context,
    module: Annotated[str, typer.Argument(autocompletion=complete_modules, help="Module, e.g. prep.bookings.service.")],
    fmt: FormatOpt = QueryFormat.table,
    out: OutOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """What MODULE imports: scanned modules and external packages, with lines and tags."""
    from prepctl.graph import output, queries

    result = queries.imports_of(_graph(session_of(ctx).graph_settings(), ignore), module)
    text = {QueryFormat.json: lambda: output.to_json(result.to_dict()),
            QueryFormat.markdown: lambda: output.imports_markdown(result),
            QueryFormat.table: lambda: output.imports_text(result)}[fmt]()
    _emit(text, out)


@app.command()
def chain(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(autocompletion=complete_modules,
                                          help="The importer: a module or package, e.g. prep.api.")],
    target: Annotated[str, typer.Argument(autocompletion=complete_modules,
                                          help="The imported: a module or package, e.g. prep.models.orm.")],
    fmt: FormatOpt = QueryFormat.table,
    out: OutOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """Why SOURCE depends on TARGET: the shortest import chain, with file:line per hop (none: it
    does not)."""
    from prepctl.graph import output, queries

    result = queries.chain(_graph(session_of(ctx).graph_settings(), ignore), source, target)
    text = {QueryFormat.json: lambda: output.to_json(result.to_dict()),
            QueryFormat.markdown: lambda: output.chain_text(result, markdown=True),
            QueryFormat.table: lambda: output.chain_text(result)}[fmt]()
    _emit(text, out)


@app.command()
def cycles(ctx: typer.Context, fmt: FormatOpt = QueryFormat.table, out: OutOpt = None,
           ignore: IgnoreOpt = None) -> None:
    """Import cycles (strongly connected components), each with one cycle and file:line per hop."""
    from prepctl.graph import output, queries

    found = queries.cycles(_graph(session_of(ctx).graph_settings(), ignore))
    if fmt is QueryFormat.json:
        _emit(output.to_json({"cycles": [c.to_dict() for c in found]}), out)
    else:
        _emit(output.cycles_text(found, markdown=fmt is QueryFormat.markdown), out)


@app.command()
def orphans(ctx: typer.Context, fmt: FormatOpt = QueryFormat.table, out: OutOpt = None,
            ignore: IgnoreOpt = None) -> None:
    """Modules nothing imports (entry points from graph: entry_points, and tests, excluded)."""
    from prepctl.graph import output, queries

    settings = session_of(ctx).graph_settings()
    graph = _graph(settings, ignore)
    found = queries.orphans(graph, settings.entry_points)
    if fmt is QueryFormat.json:
        _emit(output.to_json({"orphans": [{"module": m, "path": graph.path_of(m)} for m in found]}), out)
    else:
        _emit(output.orphans_text(found, graph.modules, markdown=fmt is QueryFormat.markdown), out)


@app.command()
def usage(
    ctx: typer.Context,
    module: Annotated[str, typer.Argument(autocompletion=complete_modules,
                                          help="Module whose symbols to count, e.g. prep.models.orm.")],
    fmt: FormatOpt = QueryFormat.table,
    out: OutOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """The symbol matrix: which names of MODULE each downstream group uses."""
    from prepctl.graph import output, queries
    from prepctl.sources.tree import WorkTree

    settings = session_of(ctx).graph_settings()
    matrix = queries.usage(_graph(settings, ignore), module, WorkTree(settings.root), settings.groups)
    if fmt is QueryFormat.json:
        _emit(output.to_json(matrix.to_dict()), out)
    else:
        _emit(output.usage_text(matrix, markdown=fmt is QueryFormat.markdown), out)


class RollupBy(StrEnum):
    package = "package"
    group = "group"


@app.command()
def rollup(
    ctx: typer.Context,
    by: Annotated[RollupBy, typer.Option("--by", help="Merge modules into packages (of --depth "
                  "segments, default 1) or into the configured groups.")] = RollupBy.package,
    depth: Annotated[int, typer.Option("--depth", min=1, help="Package depth for --by package.")] = 1,
    fmt: Annotated[PictureFormat, typer.Option("--format", "-f", help="Output format.")] = PictureFormat.table,
    out: OutOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """The graph rolled up by top-level package (or --depth) or by configured groups."""
    from prepctl.graph import output, queries, render

    settings = session_of(ctx).graph_settings()
    graph = _graph(settings, ignore)
    if by is RollupBy.group and not settings.groups:
        Session.fail_input("--by group needs groups: in the graph: section of phases.yaml")
    key = queries.group_key(settings.groups) if by is RollupBy.group else queries.depth_key(depth)
    result = queries.rollup(graph, key)
    if fmt is PictureFormat.json:
        _emit(output.to_json(result.to_dict()), out)
    elif fmt in (PictureFormat.table, PictureFormat.markdown):
        _emit(output.rollup_text(result, markdown=fmt is PictureFormat.markdown), out)
    elif fmt is PictureFormat.html:
        Session.fail_input("--format html is for `graph importers`; use svg here")
    else:
        pic = render.Picture(sorted(result.members), result.edges, title=f"Import graph by {by.value}")
        _picture_output(pic, fmt, out)


@app.command()
def check(
    ctx: typer.Context,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Record today's violations "
                               "as the baseline (graph: baseline:), to be committed.")] = False,
    phase: Annotated[str | None, typer.Option("--phase", autocompletion=complete_phases,
                                              help="Only this phase's contracts.")] = None,
    fmt: ContractFormatOpt = ContractFormat.table,
    out: OutOpt = None,
) -> None:
    """Check every `imports` contract of phases.yaml and the import-linter contracts (graph:
    importlinter:, or, with no contract configured, import-linter's configuration in the root).
    Exit 0 kept, 1 new violations, 2 error or nothing to check."""
    from prepctl.graph import output
    from prepctl.graph.ratchet import RatchetRequest, check_contracts
    from prepctl.verdicts import exit_code

    settings = session_of(ctx).graph_settings()
    result = check_contracts(settings, RatchetRequest(phase=phase, update_baseline=update_baseline))
    if result.importlinter_source:
        typer.echo(f"import-linter contracts from {result.importlinter_source}", err=True)
    if result.recorded is not None:
        violations, contracts = result.recorded
        typer.echo(f"wrote {result.baseline_path}: {violations} known violation(s) in "
                   f"{contracts} contract(s)", err=True)
    if fmt is ContractFormat.sarif:
        from prepctl.formats.sarif_graph import check_sarif

        _emit(check_sarif(settings, result), out)
    elif fmt is ContractFormat.github:
        from prepctl.formats.github_graph import check_github

        _emit(check_github(settings, result), out)
    elif fmt is ContractFormat.json:
        _emit(output.to_json({"status": result.status.value, "baseline": str(result.baseline_path),
                              "importlinter": result.importlinter_source,
                              "contracts": [o.to_dict() for o in result.outcomes],
                              "errors": [{"contract": k, "message": v} for k, v in result.errors.items()]}),
              out)
    else:
        _emit(output.check_text(result.outcomes, result.errors, markdown=fmt is ContractFormat.markdown), out)
    raise typer.Exit(exit_code(result.status))


@app.command()
def diff(
    ctx: typer.Context,
    base: Annotated[str, typer.Option("--base", help="Base revision (branch, tag, sha), e.g. main.")],
    head: Annotated[str | None, typer.Option("--head", help="Head revision (default: the work tree, "
                    "dirty or not).")] = None,
    fmt: ContractFormatOpt = ContractFormat.table,
    out: OutOpt = None,
) -> None:
    """Added and removed imports between two revisions, and new contract violations. Reads git
    objects directly (no checkout). Exit 1 if the head adds contract violations."""
    from prepctl.graph import output
    from prepctl.graph.diff import diff_graphs, open_trees

    settings = session_of(ctx).graph_settings()
    base_tree, head_tree = open_trees(settings, base, head)
    result = diff_graphs(settings, base_tree, head_tree)
    if fmt is ContractFormat.sarif:
        from prepctl.formats.sarif_graph import diff_sarif

        _emit(diff_sarif(settings, result), out)
    elif fmt is ContractFormat.github:
        from prepctl.formats.github_graph import diff_github

        _emit(diff_github(settings, result, base), out)
    elif fmt is ContractFormat.json:
        _emit(output.to_json(result.to_dict()), out)
    else:
        _emit(output.diff_text(result, markdown=fmt is ContractFormat.markdown), out)
    raise typer.Exit(result.exit_code)


@app.command(name="lint-imports")
def lint_imports(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="The import-linter configuration "
                      "(default: pyproject.toml [tool.importlinter], .importlinter or setup.cfg in --root).")] = None,
) -> None:
    """Each import-linter contract KEPT or BROKEN, as lint-imports prints it, judged by prepctl's
    engine (no baseline). Exit 0 all kept, 1 broken, 2 error."""
    from prepctl.graph.contracts.importlinter_config import discover
    from prepctl.graph.importlinter import check_config, lint_imports_text
    from prepctl.sources.tree import WorkTree

    session = session_of(ctx)
    root = (session.root or Path.cwd()).resolve()
    if config is None:
        found = discover(WorkTree(root))
        if found is None:
            session.fail_input(f"no import-linter configuration in {root} (pyproject.toml [tool.importlinter], "
                               ".importlinter or setup.cfg [importlinter]): pass --config FILE")
        config = root / found
    verdicts = check_config(config, root)
    typer.echo(lint_imports_text(verdicts), nl=False)
    if any(v.verdict == "error" for v in verdicts):
        raise typer.Exit(2)
    raise typer.Exit(1 if any(v.verdict == "broken" for v in verdicts) else 0)


class TrendFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def trend(
    ctx: typer.Context,
    module: Annotated[str, typer.Argument(autocompletion=complete_modules,
                                          help="Module or package to count importers of, e.g. "
                                          "prep.models.orm.")],
    since: Annotated[str | None, typer.Option("--since", help="Start at this revision (included) or "
                     "date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="End at this revision (default HEAD).")] = None,
    first_parent: Annotated[bool, typer.Option("--first-parent", help="Follow only the first parent of "
                            "merges: the mainline's history.")] = False,
    every: Annotated[int, typer.Option("--every", min=1, help="Keep every Nth commit (and always the "
                     "last).")] = 1,
    fmt: Annotated[TrendFormat, typer.Option("--format", "-f", help="Output format.")] = TrendFormat.table,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also draw the series over commit dates, "
                    "rises marked: FILE.svg or FILE.png.")] = None,
    groups: Annotated[bool, typer.Option("--groups", help="Add importers per downstream group "
                      "(graph: groups in phases.yaml).")] = False,
    contracts: Annotated[bool, typer.Option("--contracts", help="Add each `imports` contract's violations "
                         "per commit (phases.yaml; slower: the whole graph is checked at each "
                         "commit that changed it).")] = False,
    out: OutOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """Importers of MODULE (direct and transitive) at every commit, read from git objects (no
    checkout). Files with syntax errors are skipped and counted; commits without MODULE are marked."""
    import sys

    from prepctl.graph.trend.command import TrendRequest, run_trend

    request = TrendRequest(module, since, until, first_parent, every, fmt.value, plot, groups, out,
                           tuple(ignore or ()), contracts)
    text = run_trend(session_of(ctx).graph_settings(), request, show_progress=sys.stderr.isatty())
    if out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"wrote {out}", err=True)
    if plot is not None:
        typer.echo(f"wrote {plot}", err=True)


@app.command()
def report(
    ctx: typer.Context,
    module: Annotated[str, typer.Argument(autocompletion=complete_modules,
                                          help="Target module, e.g. prep.models.orm.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the report into.")],
    depth: DepthOpt = None,
) -> None:
    """Write the dependency report of MODULE: HTML and Markdown pages with the SVG picture,
    importers by downstream group (file:line, chains) and the symbol matrix, plus JSON."""
    from prepctl.graph import render
    from prepctl.graph.report import write_dependency_report

    settings = session_of(ctx).graph_settings()
    written = write_dependency_report(settings, module, out, depth=depth)
    for path in written:
        typer.echo(f"wrote {path}")
    if not any(p.suffix == ".svg" for p in written):
        typer.echo(f"prepctl: no SVG: Graphviz is not installed; {render.GRAPHVIZ_HINT}", err=True)


class BoundaryFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command()
def boundary(
    ctx: typer.Context,
    targets: Annotated[list[str] | None, typer.Argument(autocompletion=complete_modules,
                                                        help="What is extracted: packages, graph.groups "
                                                        "names or globs, e.g. prep.analytics.")] = None,
    split: Annotated[str | None, typer.Option("--split", help="Instead: propose how to split this ORM "
                                              "module's classes, e.g. prep.models.orm.")] = None,
    by: Annotated[str, typer.Option("--by", help="With --split: what a class is assigned to (group: "
                                    "graph.groups).")] = "group",
    orm: Annotated[list[str] | None, typer.Option("--orm", help="Module patterns of the ORM (repeatable; "
                                                  "default: modules named orm or models).")] = None,
    fmt: Annotated[BoundaryFormat, typer.Option("--format", "-f", help="Output format.")] = BoundaryFormat.table,
    out: OutOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """What extracting X takes: modules outside X importing it (the API the service must offer),
    what X imports (ORM models apart), cycles across the boundary and the cut size. With --split
    ORM --by group: which downstream group each ORM class belongs to, and the shared ones."""
    from prepctl.graph import boundary as cut
    from prepctl.graph import output
    from prepctl.sources.tree import WorkTree

    if by != "group":
        Session.fail_input(f"--by {by!r}: only 'group' (graph.groups) is supported")
    if split is None and not targets:
        Session.fail_input("name what is extracted (a package, group or glob), or pass --split ORM")
    if split is not None and targets:
        Session.fail_input("--split proposes an ORM split on its own: drop the other arguments")
    settings = session_of(ctx).graph_settings()
    graph = _graph(settings, ignore)
    tree = WorkTree(settings.root)
    markdown = fmt is BoundaryFormat.markdown
    if split is not None:
        if fmt is BoundaryFormat.html:
            Session.fail_input("--split: use --format table, json or markdown")
        proposal = cut.split(graph, split, settings.groups, tree)
        _emit(output.to_json(proposal.to_dict()) if fmt is BoundaryFormat.json
              else cut.split_text(proposal, markdown), out)
        return
    found = cut.boundary(graph, targets or [], settings.groups, tree, orm)
    if fmt is BoundaryFormat.json:
        _emit(output.to_json(found.to_dict()), out)
    elif fmt is BoundaryFormat.html:
        _emit(cut.boundary_html(found), out)
    else:
        _emit(cut.boundary_text(found, markdown), out)
