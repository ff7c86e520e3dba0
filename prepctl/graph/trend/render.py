"""`graph trend` as text: a table for people, CSV or JSON for tools."""

from __future__ import annotations

import csv
import io
import json

from prepctl.errors import PrepctlError
from prepctl.graph.trend.model import TrendPoint, TrendResult
from prepctl.inert import inert


def render(result: TrendResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps([p.to_dict() for p in result.points], indent=2) + "\n"
    if fmt == "csv":
        return render_csv(result)
    if fmt == "table":
        return render_table(result)
    raise PrepctlError(f"unknown --format {fmt!r}: use table, csv or json")


def _group_names(result: TrendResult) -> list[str]:
    names: set[str] = set()
    for point in result.points:
        names.update(point.groups or {})
    return sorted(names)


def _contract_ids(result: TrendResult) -> list[str]:
    ids: dict[str, None] = {}
    for point in result.points:
        ids.update(dict.fromkeys(point.violations or {}))
    return list(ids)


def _violation_cell(point: TrendPoint, contract_id: str) -> str:
    count = (point.violations or {}).get(contract_id)
    return "" if count is None else str(count)


def render_csv(result: TrendResult) -> str:
    buffer = io.StringIO()
    groups = _group_names(result)
    contracts = _contract_ids(result)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["commit", "date", "exists", "direct", "transitive", "skipped_files",
                     *(f"group:{g}" for g in groups), *(f"violations:{c}" for c in contracts)])
    for p in result.points:
        writer.writerow([p.commit, p.date.isoformat(), str(p.exists).lower(), p.direct, p.transitive,
                         p.skipped_files, *((p.groups or {}).get(g, 0) for g in groups),
                         *(_violation_cell(p, c) for c in contracts)])
    return buffer.getvalue()


def render_table(result: TrendResult) -> str:
    groups = _group_names(result)
    contracts = _contract_ids(result)
    rises = set(result.rises())
    # A contract's column is headed by its criterion id, or PHASE/CRITERION where two phases
    # use the same criterion id.
    short = [c.rpartition("/")[2] for c in contracts]
    headings = [c if short.count(s) > 1 else s for c, s in zip(contracts, short, strict=True)]
    header = ["commit", "date", "direct", "transitive", "skipped", *groups, *headings, "note"]
    rows: list[list[str]] = []
    for index, p in enumerate(result.points):
        notes = []
        if not p.exists:
            notes.append(f"{result.target} absent")
        if index in rises:
            notes.append("rose")
        if p.skipped_files:
            notes.append(f"{p.skipped_files} file(s) skipped: " + ", ".join(path for path, _ in p.skipped[:3])
                         + (" ..." if p.skipped_files > 3 else ""))
        rows.append([p.commit[:12], p.date.strftime("%Y-%m-%d %H:%M"), str(p.direct), str(p.transitive),
                     str(p.skipped_files), *(str((p.groups or {}).get(g, 0)) for g in groups),
                     *(_violation_cell(p, c) or "-" for c in contracts), "; ".join(notes)])
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    numeric = {2, 3, 4, *range(5, 5 + len(groups) + len(contracts))}

    def line(cells: list[str]) -> str:
        parts = [c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(cells)]
        return "  ".join(parts).rstrip()

    title = f"Importers of {result.target}: {len(result.points)} commit(s)"
    out = [title, line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return inert("\n".join(out)) + "\n"  # skipped file names may hold ESC: none reaches the terminal

