"""Text renderings of graph answers: aligned tables for terminals, Markdown, JSON.

JSON is the stable, machine-readable form (CI, other tools); tables are for people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from prepctl.graph.stages import stage
from prepctl.inert import inert

if TYPE_CHECKING:
    from prepctl.graph.check import ContractOutcome
    from prepctl.graph.diff import GraphDiff
    from prepctl.graph.queries import (
        ChainResult,
        Cycle,
        DirectImporter,
        ImportersResult,
        ImportsResult,
        Rollup,
        UsageMatrix,
    )
    from prepctl.graph.scan.model import ScanProblem


def to_json(data: object) -> str:
    """JSON with the top two levels indented (2 spaces) and each deeper value on one line.

    Why not ``json.dumps(indent=2)``: any ``indent`` makes CPython use its pure-Python encoder,
    ~5x slower than the C one; the transitive importers of a 50,000-module tree (28 MB) took ~1 s
    of CPU that way. Here every value below the second level goes through the C encoder, and the
    output stays readable and line-oriented (one importer, edge or problem per line)."""
    with stage("output: json"):
        return _dump(data, 0) + "\n"


_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
_EXPANDED_LEVELS = 2


def _key(key: object) -> str:
    """A dict key as ``json.dumps`` would write it (``True`` -> ``"true"``, ``1`` -> ``"1"``)."""
    return key if isinstance(key, str) else json.dumps(key)


def _dump(value: object, level: int) -> str:
    if level >= _EXPANDED_LEVELS or not value or not isinstance(value, dict | list | tuple):
        return _compact(value)
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        items = [f"{pad}{_compact(_key(k))}: {_dump(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    items = [pad + _dump(v, level + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"


_string = encode_basestring  # what ``_compact`` writes for a str (ensure_ascii off)


def _level1_list(items: list[str]) -> str:
    """A list value of the top-level dict, from its items' compact JSON, as ``_dump`` writes it."""
    return "[\n    " + ",\n    ".join(items) + "\n  ]" if items else "[]"


def _level1_dict(items: dict[str, str]) -> str:
    return ("{\n" + ",\n".join(f"    {_string(k)}: {v}" for k, v in items.items()) + "\n  }"
            if items else "{}")


def _top_level(fields: dict[str, str]) -> str:
    return "{\n" + ",\n".join(f"  {_string(k)}: {v}" for k, v in fields.items()) + "\n}\n"


#: Every character ``inert`` acts on (escapes, controls, line breaks, bidi marks,
#: noncharacters, the ``#`` of a workflow command), and \t and \n, which it keeps; with
#: ``_COMMAND_STARTS`` below, a text without any of them is its own inert form.
_MAY_NEED_INERT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                             "\ud800-\udfff\ufffe\uffff#]")
_COMMAND_STARTS = ("::", "section_start:", "section_end:")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    # Module and file names are untrusted (a file may be named with ESC): inert for the terminal.
    # Column by column, and one search over all the cells first: ``inert`` is 5 regex passes
    # per cell, 1.5 s of CPU for the 50,000-row transitive importers table, and ordinary names
    # need none of them. (Joined by a space, which makes no two cells into a match.)
    columns = [list(map(str, column)) if None not in column else ["" if c is None else str(c) for c in column]
               for column in zip(*rows, strict=True)] if rows else [[] for _ in headers]
    joined = " ".join(" ".join(column) for column in columns)
    if _MAY_NEED_INERT.search(joined) or any(start in joined for start in _COMMAND_STARTS):
        columns = [list(map(inert, column)) for column in columns]
    header = [str(h) for h in headers]
    widths = [max([len(h), *map(len, column)]) for h, column in zip(header, columns, strict=True)]
    # str.format's "<N" pads exactly as ljust(N) does; one format call per row.
    line = "  ".join(f"{{:<{w}}}" for w in widths).format
    lines = [line(*header).rstrip(), "  ".join("-" * w for w in widths)]
    lines += [line(*row).rstrip() for row in zip(*columns, strict=True)]
    return "\n".join(lines) + "\n"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def esc(value: object) -> str:
        return inert(str("" if value is None else value)).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def problems_note(problems: Sequence[ScanProblem]) -> str:
    if not problems:
        return ""
    lines = [f"{len(problems)} scan problem(s) (files skipped or imports ignored; the rest counts):"]
    lines += [f"  {inert(str(p))}" for p in problems[:20]]  # a skipped file's name may hold ESC
    if len(problems) > 20:
        lines.append(f"  ... {len(problems) - 20} more")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- importers


def importers_rows(result: ImportersResult) -> tuple[list[str], list[list[object]]]:
    rows: list[list[object]] = []
    for d in result.direct:
        rows.append([d.module, "direct", d.group, f"{d.path}:{d.line}", ", ".join(d.names) or "(module)"])
    tree = result.chains
    if tree is not None and result.transitive_modules:
        # From the chain tree, each chain written once on top of its successor's (see
        # importers_json): ``length`` counts a chain's modules, ``arrows`` is "a -> b -> target".
        length = dict.fromkeys(tree.targets, 1)
        arrows = {t: t for t in tree.targets}
        for module, step in tree.successor.items():
            length[module] = length[step] + 1
            arrows[module] = f"{module} -> {arrows[step]}"
        first, successor = tree.first, tree.successor
        for module, group in zip(result.transitive_modules, result.transitive_groups, strict=True):
            edge = first[module]
            rows.append([module, f"via {length[module] - 2}", group, f"{edge.path}:{edge.line}",
                         arrows[successor[module]]])
    return ["importer", "how", "group", "where", "names / chain"], rows


def importers_json(result: ImportersResult) -> str:
    """``to_json(result.to_dict())``, byte for byte, written from the chain tree.

    The transitive importers of a 50,000-module tree are 36,000 chains with 110,000 hops: as
    objects, then dicts, then the encoder, that cost ~0.9 s of CPU. Chains of one search share
    their tails, so each module's chain and hops are written once, as its own step in front
    of its successor's already written text, and each module's name is encoded once."""
    with stage("output: json"):
        fields = {"target": _string(result.target),
                  "target_modules": _level1_list([_string(m) for m in result.target_modules]),
                  "direct": _level1_list([_direct_json(d) for d in result.direct])}
        if result.transitive_asked:
            fields["transitive"] = _level1_list(_transitive_json(result))
        fields["by_group"] = _level1_dict({g: _compact(v) for g, v in result.by_group().items()})
        fields["complete"] = "false" if result.unknown else "true"
        fields["unknown"] = _level1_list([_compact({"path": p.path, "line": p.line, "module": p.module,
                                                     "reason": p.reason}) for p in result.unknown])
        return _top_level(fields)


def _json_int(value: object) -> str:
    """An int as the encoder writes it; anything else (never expected) through the encoder."""
    return str(value) if type(value) is int else _compact(value)


def _json_bool(value: object) -> str:
    return "true" if value is True else "false" if value is False else _compact(value)


def _json_strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(map(_string, values)) + "]"


def _direct_json(item: DirectImporter) -> str:
    """``_compact(item.to_dict())``, written directly (13,762 of them for the hub at 50,000)."""
    imports = ", ".join(
        f'{{"imported": {_string(e.imported)}, "line": {_json_int(e.line)}, "names": {_json_strings(e.names)}, '
        f'"type_checking": {_json_bool(e.type_checking)}, "guarded": {_json_bool(e.guarded)}, '
        f'"dynamic": {_json_bool(e.dynamic)}}}' for e in item.statements)
    return (f'{{"module": {_string(item.module)}, "path": {_string(item.path)}, "line": {_json_int(item.line)}, '
            f'"names": {_json_strings(item.names)}, "group": {_string(item.group)}, "imports": [{imports}]}}')


def _transitive_json(result: ImportersResult) -> list[str]:
    tree = result.chains
    if tree is None or not result.transitive_modules:
        return []
    name = {t: _string(t) for t in tree.targets}
    chain = dict(name)  # module -> its chain's items, '"a", "b", "target"'
    hops: dict[str, str] = {}  # module -> its hops' items, '{"importer": ...}, {...}'
    first = tree.first
    for module, step in tree.successor.items():  # a module's successor comes before it
        quoted = name[module] = _string(module)
        edge = first[module]
        hop = (f'{{"importer": {quoted}, "imported": {name[step]}, "path": {_string(edge.path)}, '
               f'"line": {_json_int(edge.line)}}}')
        chain[module] = quoted + ", " + chain[step]
        rest = hops.get(step)
        hops[module] = hop if rest is None else hop + ", " + rest
    paths = result.paths
    return [f'{{"module": {name[m]}, "path": {_string(paths[m])}, "chain": [{chain[m]}], '
            f'"group": {_string(g)}, "hops": [{hops[m]}]}}'
            for m, g in zip(result.transitive_modules, result.transitive_groups, strict=True)]


def unknown_note(result: ImportersResult) -> str:
    """The answer's blind spots: files whose imports are unknown may import the target too."""
    if not result.unknown:
        return ""
    shown = ", ".join(f"{p.path}:{p.line}" if p.line else p.path for p in result.unknown[:5])
    more = f" (+{len(result.unknown) - 5} more)" if len(result.unknown) > 5 else ""
    return (f"incomplete: {len(result.unknown)} skipped file(s) or computed dynamic import(s) may also "
            f"import it: {shown}{more}\n")


def importers_text(result: ImportersResult) -> str:
    head = (f"{result.target}: {len(result.direct)} direct importer(s)"
            + (f", {len(result.transitive_modules)} transitive only" if result.transitive_asked else "") + "\n")
    headers, rows = importers_rows(result)
    body = table(headers, rows) if rows else ("nothing imports it\n" if not result.unknown
                                              else "no importer found among the files read\n")
    return head + body + unknown_note(result)


def importers_markdown(result: ImportersResult) -> str:
    out = [f"# Importers of `{result.target}`\n",
           f"{len(result.direct)} direct importer(s)"
           + (f", {len(result.transitive)} transitive only" if result.transitive_asked else "") + ".\n"]
    out.append("## By group\n")
    out.append(md_table(["group", "direct", "transitive only"],
                        [[g, ", ".join(v["direct"]) or "-", ", ".join(v["transitive"]) or "-"]
                         for g, v in result.by_group().items()]))
    out.append("\n## Direct\n")
    out.append(md_table(["importer", "group", "where", "names"],
                        [[f"`{d.module}`", d.group, f"`{d.path}:{d.line}`", ", ".join(d.names) or "(module)"]
                         for d in result.direct]))
    if result.transitive_asked:
        out.append("\n## Transitive only (shortest chain)\n")
        out.append(md_table(["importer", "group", "chain"],
                            [[f"`{t.module}`", t.group,
                              " → ".join(f"`{h.importer}` ({h.location})" for h in t.hops)
                              + f" → `{t.chain[-1]}`"] for t in result.transitive]))
    if result.unknown:
        out.append("\n" + unknown_note(result))
    return "\n".join(out)


# ----------------------------------------------------------------------------- imports


def imports_text(result: ImportsResult) -> str:
    rows = [[e.imported, "internal", e.line, ", ".join(e.names), _tags(e)] for e in result.internal]
    rows += [[e.imported, "external", e.line, ", ".join(e.names), _tags(e)] for e in result.external]
    head = f"{result.module} ({result.path}) imports {len(result.internal)} scanned module(s)\n"
    return head + (table(["module", "kind", "line", "names", "tags"], rows) if rows else "no imports\n")


def imports_markdown(result: ImportsResult) -> str:
    rows = [[f"`{e.imported}`", "internal", e.line, ", ".join(e.names), _tags(e)] for e in result.internal]
    rows += [[f"`{e.imported}`", "external", e.line, ", ".join(e.names), _tags(e)] for e in result.external]
    return f"# Imports of `{result.module}`\n\n" + md_table(["module", "kind", "line", "names", "tags"], rows)


def _tags(edge) -> str:
    return ", ".join(t for t, on in (("type-checking", edge.type_checking), ("guarded", edge.guarded),
                                      ("dynamic", edge.dynamic)) if on)


# ----------------------------------------------------------------------------- cycles/orphans


def chain_text(result: ChainResult, markdown: bool = False) -> str:
    if result.chain is None:
        return f"{result.source} does not import {result.target}, directly or through others\n"
    head = (f"{result.source} imports {result.target}" + (" directly" if len(result.hops) == 1 else
            f" through {len(result.hops) - 1} other module(s)") + ":\n")
    render = md_table if markdown else table
    return head + render(["importer", "imports", "where"], [[h.importer, h.imported, h.location]
                                                             for h in result.hops])


def cycles_text(found: list[Cycle], markdown: bool = False) -> str:
    if not found:
        return "no import cycles\n"
    rows = [[len(c.members), " -> ".join(f"{h.importer} ({h.location})" for h in c.hops)
             + f" -> {c.hops[0].importer}"] for c in found]
    render = md_table if markdown else table
    return f"{len(found)} import cycle(s)\n" + render(["modules", "cycle (file:line per hop)"], rows)


def orphans_text(found: list[str], modules: dict[str, str], markdown: bool = False) -> str:
    if not found:
        return "no orphans: every module is imported, an entry point or a test\n"
    render = md_table if markdown else table
    return (f"{len(found)} module(s) nothing imports\n"
            + render(["module", "path"], [[m, modules[m]] for m in found]))


# ----------------------------------------------------------------------------- usage


def usage_text(matrix: UsageMatrix, markdown: bool = False) -> str:
    if not matrix.symbols:
        return f"nothing imports {matrix.target}\n"
    groups = list(matrix.cells)
    rows = []
    for symbol in matrix.symbols:
        row: list[object] = [symbol]
        for group in groups:
            users = matrix.cells[group].get(symbol, [])
            row.append(len(users) if users else "")
        rows.append(row)
    render = md_table if markdown else table
    head = f"symbols of {matrix.target} used per group (number of importing modules)\n"
    detail = render(["module", "symbols"], [[m, ", ".join(s)] for m, s in matrix.by_module.items()])
    return head + render(["symbol", *groups], rows) + "\n" + detail


# ----------------------------------------------------------------------------- roll-up


def rollup_text(result: Rollup, markdown: bool = False) -> str:
    render = md_table if markdown else table
    nodes = render(["node", "modules"], [[k, len(v)] for k, v in sorted(result.members.items())])
    edges = render(["importer", "imported", "module edges"],
                   [[a, b, n] for (a, b), n in sorted(result.edges.items())])
    return nodes + "\n" + edges


# ----------------------------------------------------------------------------- check / diff


def check_text(outcomes: list[ContractOutcome], errors: dict[str, str], markdown: bool = False) -> str:
    rows: list[list[object]] = []
    for o in outcomes:
        rows.append([o.status.value, o.contract_id, o.contract_type, o.summary()])
    for contract_id, message in errors.items():
        rows.append(["error", contract_id, "", message])
    render = md_table if markdown else table
    out = [render(["status", "contract", "type", "summary"], rows)]
    for o in outcomes:
        for v in o.new:
            chain = " -> ".join(f"{h.importer} ({h.location})" for h in v.hops)
            out.append(f"NEW   {o.contract_id}: {v.message}" + (f"\n      {chain} -> {v.hops[-1].imported}"
                                                                 if v.hops else ""))
        for key in o.fixed:
            out.append(f"FIXED {o.contract_id}: {key} (still in the baseline; --update-baseline drops it)")
        # Why a contract is `error`: the skipped files in its scope (allow_skipped tolerates them).
        out.extend(f"SKIPPED {o.contract_id}: {p}" for p in o.blocking)
    return "\n".join(out) + ("\n" if len(out) > 1 else "")


def diff_text(diff: GraphDiff, markdown: bool = False) -> str:
    render = md_table if markdown else table
    out = [f"import graph {diff.base_label} -> {diff.head_label}: +{len(diff.added)} / -{len(diff.removed)} "
           f"edge(s), +{len(diff.modules_added)} / -{len(diff.modules_removed)} module(s)\n"]
    if diff.added or diff.removed:
        rows = [["+", c.importer, c.imported, c.location, ", ".join(c.names)] for c in diff.added]
        rows += [["-", c.importer, c.imported, c.location, ", ".join(c.names)] for c in diff.removed]
        out.append(render(["", "importer", "imported", "where", "names"], rows))
    rows = []
    for c in diff.contracts:
        state = "error" if c.error else ("NEW VIOLATIONS" if c.new else "ok")
        detail = c.error or "; ".join(v.message for v in c.new) or (
            f"{len(c.fixed)} fixed" if c.fixed else "no new violations")
        rows.append([state, c.contract_id, detail])
    if rows:
        out.append("\ncontracts (violations on head that base did not have):\n")
        out.append(render(["status", "contract", "detail"], rows))
    return "".join(out)
