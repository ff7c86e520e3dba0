"""Coupling over time: how many modules import MODULE at each commit (`prepctl graph trend`).

Every commit is read straight from git objects (``prepctl.sources.git``); nothing is checked
out. The graph is kept incrementally from one commit to the next:

- a file is parsed once per *blob* (content), through the scanner's content-addressed cache, so
  a file that did not change between commits costs nothing and a re-run parses nothing;
- only files whose blob changed are re-resolved, plus, when modules appear or disappear, the files
  whose imports looked those module names up;
- a commit whose root folder has the same git tree as one already counted reuses its numbers.

Files the scanner cannot read (a syntax error anywhere in the file, a bad encoding) are skipped
and counted per commit; the commit still gets its numbers. Commits where MODULE does not exist are marked
(``exists: false``, counts 0), not errors.

The chart (``--plot``) is drawn once as a list of shapes and written as SVG by hand or as PNG
with Pillow, so both files show the same picture without a plotting library or a browser.
"""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from prepctl.errors import PrepctlError, Problem
from prepctl.graph.model import EdgeFilter, GraphError
from prepctl.inert import inert
from prepctl.sources.imports import (
    ImportEdge,
    ParseCache,
    ParsedFile,
    ScanConfig,
    ScanResult,
    _FileEntry,
    parse_blobs,
    resolve,
    select_modules,
)

if TYPE_CHECKING:
    from prepctl.graph.contracts import ContractOptions
    from prepctl.graph.load import GraphSettings
    from prepctl.sources.git import CommitInfo, FileChange, TreeIndex


# ------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class TrendPoint:
    """The numbers of one commit."""

    commit: str
    date: datetime
    subject: str
    exists: bool
    direct: int
    transitive: int
    skipped_files: int
    #: Paths of the files skipped at this commit, with the scanner's reason.
    skipped: tuple[tuple[str, str], ...] = ()
    #: Importers (direct or transitive) per configured downstream group, when asked for.
    groups: dict[str, int] | None = None
    #: Violations per plan contract, when asked for; None for a contract that could not be
    #: checked at this commit (e.g. its modules did not exist yet).
    violations: dict[str, int | None] | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "commit": self.commit,
            "date": self.date.isoformat(),
            "subject": self.subject,
            "exists": self.exists,
            "direct": self.direct,
            "transitive": self.transitive,
            "skipped_files": self.skipped_files,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
        }
        if self.groups is not None:
            out["groups"] = dict(self.groups)
        if self.violations is not None:
            out["violations"] = dict(self.violations)
        return out


@dataclass
class TrendStats:
    """What the run cost: reported by the benchmark and by `--verbose`."""

    commits: int = 0
    unique_trees: int = 0
    files_seen: int = 0
    blobs_parsed: int = 0
    blobs_from_cache: int = 0
    files_resolved: int = 0


@dataclass
class TrendResult:
    target: str
    points: list[TrendPoint]
    stats: TrendStats = field(default_factory=TrendStats)

    def rises(self) -> list[int]:
        """Indexes of points where a count went up since the previous commit where MODULE existed."""
        out: list[int] = []
        previous: TrendPoint | None = None
        for index, point in enumerate(self.points):
            if not point.exists:
                continue
            if previous is not None and (point.direct > previous.direct
                                         or point.transitive > previous.transitive):
                out.append(index)
            previous = point
        return out


# ------------------------------------------------------------------------------------------------
# Output


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


# ------------------------------------------------------------------------------------------------
# Chart: shapes computed once, written as SVG or PNG.

CHART_WIDTH = 960
CHART_HEIGHT = 420
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 64, 48, 64, 56
COLOUR_DIRECT = "#1f77b4"
COLOUR_TRANSITIVE = "#e6550d"
COLOUR_RISE = "#d62728"
COLOUR_VIOLATIONS = "#9467bd"
COLOUR_SKIPPED = "#7f7f7f"
COLOUR_ABSENT = "#eeeeee"
COLOUR_GRID = "#dddddd"
COLOUR_TEXT = "#222222"


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    colour: str
    width: float = 1.0


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    #: "absent" for a span where MODULE did not exist; "legend" in the key.
    role: str = "absent"


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: int = 12
    anchor: Literal["start", "middle", "end"] = "start"
    colour: str = COLOUR_TEXT


@dataclass(frozen=True)
class Marker:
    """A triangle (count rose) or a small circle (files skipped), with a tooltip in SVG."""

    x: float
    y: float
    shape: Literal["triangle", "circle"]
    colour: str
    tooltip: str
    #: "rise" or "skipped" on the series; "legend" in the key.
    role: str = "legend"


Shape = Line | Rect | Text | Marker


def _nice_ceiling(value: int) -> tuple[int, int]:
    """A round top for the y axis and its tick step."""
    if value <= 5:
        return 5, 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step_factor in (0.1, 0.2, 0.25, 0.5, 1, 2):
        step = max(1, int(magnitude * step_factor))
        top = -(-value // step) * step
        if top / step <= 8:
            return top, step
    return value, max(1, value // 5)


def chart_shapes(result: TrendResult) -> list[Shape]:
    """The chart as shapes: absent spans, grid, both series, rises and skipped-file marks."""
    points = result.points
    if not points:
        raise PrepctlError("no commits to plot")
    left, right = _MARGIN_LEFT, CHART_WIDTH - _MARGIN_RIGHT
    top, bottom = _MARGIN_TOP, CHART_HEIGHT - _MARGIN_BOTTOM
    stamps = [p.date.timestamp() for p in points]
    first, last = min(stamps), max(stamps)
    by_time = last > first and len(set(stamps)) == len(stamps)

    def x_of(index: int) -> float:
        if len(points) == 1:
            return (left + right) / 2
        if by_time:
            return left + (stamps[index] - first) / (last - first) * (right - left)
        # Several commits share a timestamp: spread them evenly, in commit order.
        return left + index / (len(points) - 1) * (right - left)

    violations = _violation_totals(points)
    y_top, y_step = _nice_ceiling(max(1, *(max(p.direct, p.transitive) for p in points),
                                      *(v for v in violations if v is not None)))

    def y_of(value: int) -> float:
        return bottom - value / y_top * (bottom - top)

    shapes: list[Shape] = []
    # Spans where MODULE did not exist, behind everything else.
    span_start: int | None = None
    for index, point in enumerate([*points, None]):
        absent = point is not None and not point.exists
        if absent and span_start is None:
            span_start = index
        elif not absent and span_start is not None:
            x0 = x_of(span_start) - (2 if span_start == index - 1 else 0)
            x1 = x_of(index - 1) + (2 if span_start == index - 1 else 0)
            shapes.append(Rect(x0, top, max(x1 - x0, 4), bottom - top, COLOUR_ABSENT))
            if x1 - x0 >= 48:  # narrow spans are explained by the legend instead
                shapes.append(Text((x0 + x1) / 2, top + 14, "absent", 10, "middle", COLOUR_SKIPPED))
            span_start = None
    for value in range(0, y_top + 1, y_step):
        shapes.append(Line(((left, y_of(value)), (right, y_of(value))), COLOUR_GRID))
        shapes.append(Text(left - 8, y_of(value) + 4, str(value), 11, "end"))
    shapes.append(Line(((left, top), (left, bottom), (right, bottom)), COLOUR_TEXT))
    for index in _x_ticks(len(points)):
        x = x_of(index)
        shapes.append(Line(((x, bottom), (x, bottom + 4)), COLOUR_TEXT))
        shapes.append(Text(x, bottom + 18, points[index].date.strftime("%Y-%m-%d"), 11, "middle"))
    for attr, colour, width in (("transitive", COLOUR_TRANSITIVE, 2.0), ("direct", COLOUR_DIRECT, 2.0)):
        run: list[tuple[float, float]] = []
        for index, point in enumerate(points):
            if point.exists:
                run.append((x_of(index), y_of(getattr(point, attr))))
                continue
            if run:
                shapes.append(Line(tuple(run), colour, width))
            run = []
        if run:
            shapes.append(Line(tuple(run), colour, width))
    if any(v is not None for v in violations):
        run = []
        for index, total in enumerate(violations):
            if total is not None:
                run.append((x_of(index), y_of(total)))
                continue
            if run:
                shapes.append(Line(tuple(run), COLOUR_VIOLATIONS, 2.0))
            run = []
        if run:
            shapes.append(Line(tuple(run), COLOUR_VIOLATIONS, 2.0))
    for index in result.rises():
        point = points[index]
        shapes.append(Marker(x_of(index), y_of(point.transitive) - 7, "triangle", COLOUR_RISE,
                             f"{point.commit[:12]} {point.date:%Y-%m-%d}: rose to {point.direct} direct, "
                             f"{point.transitive} transitive - {point.subject}", "rise"))
    for index, point in enumerate(points):
        if point.skipped_files:
            shapes.append(Marker(x_of(index), bottom - 4, "circle", COLOUR_SKIPPED,
                                 f"{point.commit[:12]}: {point.skipped_files} file(s) skipped: "
                                 + ", ".join(path for path, _ in point.skipped), "skipped"))
    span = f"{points[0].date:%Y-%m-%d} to {points[-1].date:%Y-%m-%d}"
    shapes.append(Text(left, 24, f"Importers of {result.target}", 16))
    shapes.append(Text(left, 44, f"{len(points)} commits, {span}", 11, colour=COLOUR_SKIPPED))
    legend_x = right - 420
    for offset, (label, colour) in enumerate((("transitive", COLOUR_TRANSITIVE), ("direct", COLOUR_DIRECT))):
        x = legend_x + offset * 100
        shapes.append(Line(((x, 40), (x + 18, 40)), colour, 2.0))
        shapes.append(Text(x + 22, 44, label, 11))
    shapes.append(Marker(legend_x + 205, 40, "triangle", COLOUR_RISE, "count rose"))
    shapes.append(Text(legend_x + 214, 44, "rose", 11))
    shapes.append(Marker(legend_x + 260, 40, "circle", COLOUR_SKIPPED, "files skipped"))
    shapes.append(Text(legend_x + 268, 44, "files skipped", 11))
    shapes.append(Rect(legend_x + 355, 34, 10, 12, COLOUR_ABSENT, "legend"))
    shapes.append(Text(legend_x + 369, 44, "absent", 11))
    if any(v is not None for v in violations):
        shapes.append(Line(((legend_x - 110, 40), (legend_x - 92, 40)), COLOUR_VIOLATIONS, 2.0))
        shapes.append(Text(legend_x - 88, 44, "violations", 11))
    return shapes


def _violation_totals(points: list[TrendPoint]) -> list[int | None]:
    """Per commit, the violations of every contract that could be checked there (--contracts)."""
    totals: list[int | None] = []
    for point in points:
        counted = [n for n in (point.violations or {}).values() if n is not None]
        totals.append(sum(counted) if counted else None)
    return totals


def _x_ticks(count: int, wanted: int = 6) -> list[int]:
    if count <= wanted:
        return list(range(count))
    step = (count - 1) / (wanted - 1)
    return sorted({round(i * step) for i in range(wanted)})


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def to_svg(shapes: Iterable[Shape]) -> str:
    from xml.sax.saxutils import escape, quoteattr

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
           f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" font-family="DejaVu Sans, Helvetica, Arial, '
           'sans-serif">',
           f'<rect width="{CHART_WIDTH}" height="{CHART_HEIGHT}" fill="#ffffff"/>']
    for shape in shapes:
        if isinstance(shape, Rect):
            out.append(f'<rect class="{shape.role}" x="{_fmt(shape.x)}" y="{_fmt(shape.y)}" '
                       f'width="{_fmt(shape.width)}" height="{_fmt(shape.height)}" fill="{shape.colour}"/>')
        elif isinstance(shape, Line):
            pts = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in shape.points)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{shape.colour}" '
                       f'stroke-width="{_fmt(shape.width)}" stroke-linejoin="round"/>')
        elif isinstance(shape, Text):
            out.append(f'<text x="{_fmt(shape.x)}" y="{_fmt(shape.y)}" font-size="{shape.size}" '
                       f'text-anchor="{shape.anchor}" fill="{shape.colour}">{escape(shape.text)}</text>')
        else:
            title = f"<title>{escape(shape.tooltip)}</title>"
            if shape.shape == "triangle":
                pts = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in _triangle(shape.x, shape.y))
                out.append(f'<polygon class="{shape.role}" points="{pts}" fill="{shape.colour}">{title}</polygon>')
            else:
                out.append(f'<circle class="{shape.role}" cx="{_fmt(shape.x)}" cy="{_fmt(shape.y)}" r="3.5" '
                           f'fill="none" stroke="{shape.colour}" stroke-width="1.5" '
                           f'data-tooltip={quoteattr(shape.tooltip)}>{title}</circle>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _triangle(x: float, y: float, size: float = 5.0) -> tuple[tuple[float, float], ...]:
    return ((x, y - size), (x - size, y + size * 0.8), (x + size, y + size * 0.8))


def to_png(shapes: Iterable[Shape], scale: int = 2) -> bytes:
    """Draw the same shapes with Pillow, supersampled so lines and text are smooth."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as exc:  # pragma: no cover - pillow is a declared dependency
        raise PrepctlError("writing PNG needs Pillow: pip install pillow (or plot to .svg)") from exc

    big = Image.new("RGB", (CHART_WIDTH * scale, CHART_HEIGHT * scale), "#ffffff")
    draw = ImageDraw.Draw(big)
    fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def font(size: int):
        if size not in fonts:
            fonts[size] = ImageFont.load_default(size=size * scale)
        return fonts[size]

    def s(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] * scale, point[1] * scale

    anchors = {"start": "ls", "middle": "ms", "end": "rs"}
    for shape in shapes:
        if isinstance(shape, Rect):
            draw.rectangle([s((shape.x, shape.y)), s((shape.x + shape.width, shape.y + shape.height))],
                           fill=shape.colour)
        elif isinstance(shape, Line):
            draw.line([s(p) for p in shape.points], fill=shape.colour, width=max(1, round(shape.width * scale)),
                      joint="curve")
        elif isinstance(shape, Text):
            draw.text(s((shape.x, shape.y)), shape.text, fill=shape.colour, font=font(shape.size),
                      anchor=anchors[shape.anchor])
        elif shape.shape == "triangle":
            draw.polygon([s(p) for p in _triangle(shape.x, shape.y)], fill=shape.colour)
        else:
            r = 3.5 * scale
            cx, cy = s((shape.x, shape.y))
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=shape.colour, width=max(1, round(1.5 * scale)))
    image = big.resize((CHART_WIDTH, CHART_HEIGHT), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def chart_svg(result: TrendResult) -> str:
    """The chart as SVG text, for documents that embed it inline (e.g. the dashboard)."""
    return to_svg(chart_shapes(result))


def write_plot(result: TrendResult, path: Path) -> Path:
    """Write the chart as SVG or PNG, chosen by the file's suffix; atomically."""
    from prepctl.fileio import atomic_write_bytes, atomic_write_text

    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise PrepctlError(f"--plot {path}: use a file name ending in .svg or .png")
    if suffix == ".svg":
        atomic_write_text(path, chart_svg(result))
    else:
        atomic_write_bytes(path, to_png(chart_shapes(result)))
    return path


# ------------------------------------------------------------------------------------------------
# Computing


ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total); stages: "history", "parse", "count"."""

#: Blobs read from git and parsed per batch: bounds memory on huge histories.
PARSE_BATCH = 4000


class _RecordingSet(AbstractSet[str]):
    """The commit's module names, remembering which ones a resolution asked about.

    ``resolve`` decides every edge by ``name in modules``; the names it asked are exactly those
    whose appearance or disappearance can change that file's edges.
    """

    def __init__(self, members: set[str]):
        self.members = members
        self.looked_up: set[str] = set()
        #: Set if resolution ever needed the whole set: the file then depends on every module.
        self.saw_all = False

    def __contains__(self, name: object) -> bool:
        self.looked_up.add(name)  # type: ignore[arg-type]
        return name in self.members

    def __iter__(self) -> Iterator[str]:
        self.saw_all = True
        return iter(self.members)

    def __len__(self) -> int:
        self.saw_all = True
        return len(self.members)


@dataclass
class _Resolved:
    module: str
    imports: frozenset[str]
    looked_up: frozenset[str]
    problem: str | None
    #: Every edge (whatever the trend's --ignore), kept only when contracts are checked.
    edges: tuple[ImportEdge, ...] = ()


@dataclass
class _CommitPlan:
    """What pass 1 found for a commit: its changes (None: same tree as an earlier commit)."""

    info: CommitInfo
    tree_id: bytes | None
    changes: list[FileChange] | None


class IncrementalGraph:
    """The module graph of one commit, updated file by file as the history is walked.

    Uses the scanner's own pieces (``select_modules``, ``resolve``, parsed imports), so it gives
    the same edges as ``scan_tree`` on that commit; tests check this against full scans.
    """

    def __init__(self, config: ScanConfig, parsed: dict[str, ParsedFile], edge_filter: EdgeFilter,
                 keep_edges: bool = False):
        self.config = config
        self.keep_edges = keep_edges
        self.parsed = parsed
        self.edge_filter = edge_filter
        self.blobs: dict[str, str] = {}  # .py path -> blob, every .py file of the commit
        self.claims: dict[str, _FileEntry] = {}  # path -> the module it would be, alone
        self.claimants: dict[str, set[str]] = {}  # module -> paths claiming it
        self.winner: dict[str, _FileEntry] = {}  # module -> the file that is it
        self.shadowed: dict[str, str] = {}  # path -> why select_modules skipped it
        self.modules: set[str] = set()
        #: Every module that existed at any commit so far (for "did you mean" hints).
        self.seen_modules: set[str] = set()
        self.resolved: dict[str, _Resolved] = {}  # path of a winner -> its resolution
        self.importers: dict[str, set[str]] = {}  # module -> modules importing it
        self.lookups: dict[str, set[str]] = {}  # module name -> paths whose resolution asked it
        self.depends_on_all: set[str] = set()
        self.unreadable: dict[str, str] = {}  # path -> why the scanner could not read it
        self.files_resolved = 0
        #: Bumped whenever modules come or go, so questions about names can be cached.
        self.modules_version = 0
        self._members: tuple[str, int, set[str]] | None = None
        self._entry_cache: dict[str, _FileEntry | None] = {}

    def claim_of(self, path: str) -> _FileEntry | None:
        """The module a path is when nothing else competes for its name (memoised per path)."""
        if path not in self._entry_cache:
            entries, _ = select_modules([path], self.config)
            self._entry_cache[path] = entries[0] if entries else None
        return self._entry_cache[path]

    def apply(self, changes: Iterable[FileChange]) -> None:
        """Move the graph to the next commit, given the files that differ from the current one."""
        touched_modules: set[str] = set()
        changed_paths: set[str] = set()
        for change in changes:
            path = change.path
            if not path.endswith(".py"):
                continue
            if change.new_blob is None:
                self.blobs.pop(path, None)
            else:
                self.blobs[path] = change.new_blob
            claim = self.claim_of(path)
            if claim is None:
                continue
            changed_paths.add(path)
            touched_modules.add(claim.module)
            paths = self.claimants.setdefault(claim.module, set())
            if change.new_blob is None:
                paths.discard(path)
                self.claims.pop(path, None)
            else:
                paths.add(path)
                self.claims[path] = claim

        to_resolve: set[str] = set()
        gone: set[str] = set()  # paths that are no longer the file of their module
        added: set[str] = set()
        removed: set[str] = set()
        for module in touched_modules:
            paths = self.claimants.get(module, set())
            old = self.winner.get(module)
            for path in list(self.shadowed):
                if self.claims.get(path) is None or self.claims[path].module == module:
                    self.shadowed.pop(path)
            if not paths:
                new = None
                self.claimants.pop(module, None)
            elif len(paths) == 1:
                new = self.claims[next(iter(paths))]
            else:
                # Same name from two files: let the scanner's rules pick, as scan_tree would.
                entries, problems = select_modules(sorted(paths), self.config)
                new = entries[0]
                self.shadowed.update((p.path, p.reason) for p in problems)
            if old is not None and (new is None or new.rel != old.rel):
                gone.add(old.rel)
            if new is None:
                self.winner.pop(module, None)
                if old is not None:
                    removed.add(module)
            else:
                self.winner[module] = new
                if old is None:
                    added.add(module)
                if old is None or new.rel != old.rel or new.rel in changed_paths:
                    to_resolve.add(new.rel)
        for path in gone - to_resolve:
            self._forget(path)
        self.modules |= added
        self.modules -= removed
        self.seen_modules |= added
        if added or removed:
            self.modules_version += 1
            for module in added | removed:
                to_resolve |= self.lookups.get(module, set())
            to_resolve |= self.depends_on_all
        for path in sorted(to_resolve):
            entry = self.claims.get(path)
            winner = self.winner.get(entry.module) if entry is not None else None
            if winner is not None and winner.rel == path:
                self._resolve(winner)
            else:
                self._forget(path)

    def _forget(self, path: str) -> None:
        old = self.resolved.pop(path, None)
        self.depends_on_all.discard(path)
        self.unreadable.pop(path, None)
        if old is None:
            return
        for imported in old.imports:
            importers = self.importers.get(imported)
            if importers is not None:
                importers.discard(old.module)
                if not importers:
                    del self.importers[imported]
        for name in old.looked_up:
            paths = self.lookups.get(name)
            if paths is not None:
                paths.discard(path)
                if not paths:
                    del self.lookups[name]

    def _resolve(self, entry: _FileEntry) -> None:
        path = entry.rel
        self._forget(path)
        parsed = self.parsed[self.blobs[path]]
        recorder = _RecordingSet(self.modules)
        edges, _external, _problems = resolve([entry], {path: parsed}, recorder)
        allows = self.edge_filter.allows
        imports = frozenset(e.imported for e in edges if allows(e))
        done = _Resolved(entry.module, imports, frozenset(recorder.looked_up), _problem_text(parsed),
                         tuple(edges) if self.keep_edges else ())
        self.resolved[path] = done
        self.files_resolved += 1
        if done.problem is not None:
            self.unreadable[path] = done.problem
        if recorder.saw_all:
            self.depends_on_all.add(path)
        for imported in imports:
            self.importers.setdefault(imported, set()).add(entry.module)
        for name in done.looked_up:
            self.lookups.setdefault(name, set()).add(path)

    # -- questions ---------------------------------------------------------------------------

    def members(self, target: str) -> set[str]:
        """The target module, or a package and everything below it (as `graph importers`)."""
        if self._members is None or self._members[:2] != (target, self.modules_version):
            prefix = target + "."
            found = {m for m in self.modules if m == target or m.startswith(prefix)}
            self._members = (target, self.modules_version, found)
        return self._members[2]

    def importers_of(self, members: set[str]) -> tuple[set[str], set[str]]:
        """(direct importers, every module that reaches the members), members excluded."""
        direct: set[str] = set()
        for member in members:
            direct |= self.importers.get(member, set())
        direct -= members
        seen = set(members)
        queue = deque(members)
        while queue:
            for importer in self.importers.get(queue.popleft(), ()):
                if importer not in seen:
                    seen.add(importer)
                    queue.append(importer)
        return direct, seen - members

    def edge_pairs(self) -> set[tuple[str, str]]:
        """(importer, imported) of every edge: what a full scan's graph would have."""
        return {(importer, imported) for imported, importers in self.importers.items()
                for importer in importers}

    def scan_result(self, revision: str) -> ScanResult:
        """This commit's graph as a scan's result, for contracts (needs ``keep_edges``)."""
        modules = {module: entry.rel for module, entry in self.winner.items()}
        edges = [edge for resolved in self.resolved.values() for edge in resolved.edges]
        return ScanResult(modules, edges, [], [], label=revision[:12], revision=revision)

    def skipped(self) -> list[tuple[str, str]]:
        """Files not in the graph at this commit: unreadable ones and shadowed duplicates."""
        if not self.unreadable and not self.shadowed:
            return []
        return sorted([*self.unreadable.items(), *self.shadowed.items()])


def _problem_text(parsed: ParsedFile) -> str | None:
    if parsed.problem is None:
        return None
    line, reason = parsed.problem
    return f"line {line}: {reason}" if line else reason


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
    from prepctl.sources.git import TreeIndex, list_commits, open_repo, repo_prefix

    repo = open_repo(root)
    prefix = repo_prefix(repo, root)
    commits = list_commits(repo, since=since, until=until, first_parent=first_parent, every=every)
    if not commits:
        raise PrepctlError(f"no commits selected (since {since or 'the start'}, until {until or 'HEAD'}); "
                           "widen --since/--until")
    index = TreeIndex(repo)
    stats = stats if stats is not None else TrendStats()
    stats.commits = len(commits)
    parsed: dict[str, ParsedFile] = {}
    graph = IncrementalGraph(config, parsed, edge_filter or EdgeFilter(), keep_edges)

    # Pass 1: read only the trees that changed between commits (in a few batches), and collect
    # the blobs that will need parsing.
    index.prefetch_subtrees((info.tree for info in commits), prefix)
    roots = [index.subtree(info.tree, prefix) for info in commits]
    index.prefetch_diffs(zip([None, *roots[:-1]], roots, strict=True))
    plans: list[_CommitPlan] = []
    seen_trees: set[bytes | None] = set()
    current: bytes | None = None
    needed: set[str] = set()
    for number, (info, tree_id) in enumerate(zip(commits, roots, strict=True), start=1):
        if tree_id in seen_trees and tree_id == current:
            plans.append(_CommitPlan(info, tree_id, None))
        else:
            changes = list(index.diff(current, tree_id))
            for change in changes:
                if change.new_blob is not None and change.path.endswith(".py") \
                        and graph.claim_of(change.path) is not None:
                    needed.add(change.new_blob)
            stats.files_seen += len(changes)
            plans.append(_CommitPlan(info, tree_id, changes))
            seen_trees.add(tree_id)
            current = tree_id
        if progress:
            progress("history", number, len(commits))
    stats.unique_trees = len(seen_trees)

    # Parse every blob the cache does not know, all at once so a cold run uses every core.
    _parse_needed(sorted(needed), index, config, cache, parsed, stats, progress)

    # Pass 2: move the graph from commit to commit.
    for number, plan in enumerate(plans, start=1):
        if plan.changes is not None:
            graph.apply(plan.changes)
        yield CommitGraph(plan.info, graph, plan.changes is not None)
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


def _parse_needed(blobs: list[str], index: TreeIndex, config: ScanConfig, cache: ParseCache | None,
                  parsed: dict[str, ParsedFile], stats: TrendStats,
                  progress: ProgressCallback | None) -> None:
    """Parse each blob the cache does not know, with the scanner's own parser and cache.

    Parsing checks the whole file's syntax (a syntax error anywhere skips the file), and
    entries from a scan that did not verify are parsed again, exactly as ``scan_tree`` does.
    """
    known = cache.get_many(blobs) if cache is not None else {}
    for blob, value in known.items():
        if value.verified:
            parsed[blob] = value
    stats.blobs_from_cache = len(parsed)
    missing = [b for b in blobs if b not in parsed]
    done = 0
    for start in range(0, len(missing), PARSE_BATCH):
        chunk = missing[start:start + PARSE_BATCH]
        contents = index.read_blobs(chunk)
        fresh, _workers = parse_blobs({b: contents[b] for b in chunk}, config.max_file_bytes, True)
        if cache is not None:
            cache.put_many(fresh)
        parsed.update(fresh)
        done += len(chunk)
        if progress:
            progress("parse", done, len(missing))
    stats.blobs_parsed = len(missing)


def _violation_counts(graph: IncrementalGraph, sha: str, contracts: list[tuple[str, ContractOptions]],
                      groups: dict[str, list[str]] | None) -> dict[str, int | None]:
    """Each contract's violations at this commit, checked as `graph check` would check them."""
    from prepctl.graph.contracts import ContractContext, run_contract
    from prepctl.graph.model import ImportGraph

    import_graph = ImportGraph(graph.scan_result(sha))
    context = ContractContext(None, groups or {})
    counts: dict[str, int | None] = {}
    for contract_id, options in contracts:
        try:
            counts[contract_id] = len(run_contract(options, import_graph, context).violations)
        except PrepctlError:
            counts[contract_id] = None  # e.g. a layer that did not exist yet at this commit
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


# ------------------------------------------------------------------------------------------------
# The command


@dataclass(frozen=True)
class TrendRequest:
    """What `prepctl graph trend` was asked, in one value (the CLI only fills it in)."""

    module: str
    since: str | None = None
    until: str | None = None
    first_parent: bool = False
    every: int = 1
    fmt: str = "table"
    plot: Path | None = None
    groups: bool = False
    out: Path | None = None
    #: Tagged imports to leave out: type-checking, dynamic, guarded (as the other graph commands).
    ignore: tuple[str, ...] = ()
    #: Also count each `imports` contract's violations per commit.
    contracts: bool = False


def run_trend(settings: GraphSettings, request: TrendRequest, *, show_progress: bool = False) -> str:
    """Compute the trend, write the chart and ``--out`` file if asked, and return the text to print."""
    if request.fmt not in ("table", "csv", "json"):
        raise PrepctlError(f"unknown --format {request.fmt!r}: use table, csv or json")
    if request.plot is not None and request.plot.suffix.lower() not in (".svg", ".png"):
        raise PrepctlError(f"--plot {request.plot}: use a file name ending in .svg or .png")
    if request.groups and not settings.groups:
        raise PrepctlError(Problem(file=settings.source_label, message="--groups needs downstream groups",
                                   hint="add graph: groups: {name: [module patterns]} to phases.yaml"))
    try:
        edge_filter = EdgeFilter.ignoring(request.ignore)
    except ValueError as exc:
        raise PrepctlError(f"--ignore: {exc}") from None
    contracts = _trend_contracts(settings) if request.contracts else None
    cache = settings.cache
    with terminal_progress(show_progress) as progress:
        result = compute_trend(settings.root, request.module, settings.scan, cache, since=request.since,
                               until=request.until, first_parent=request.first_parent, every=request.every,
                               groups=settings.groups if request.groups else None, edge_filter=edge_filter,
                               progress=progress, contracts=contracts)
    if cache is not None:
        cache.close()
    text = render(result, request.fmt)
    if request.plot is not None:
        write_plot(result, request.plot)
    if request.out is not None:
        from prepctl.fileio import atomic_write_text

        atomic_write_text(request.out, text)
    return text


def _trend_contracts(settings: GraphSettings) -> list[tuple[str, ContractOptions]]:
    """The plan's contracts that can be checked at any commit: all but `audit`, which compares
    the graph with a report committed at one point in time."""
    from prepctl.graph.load import plan_contracts

    found = [(cid, options) for cid, options in plan_contracts(settings) if options.type != "audit"]
    if not found:
        raise PrepctlError(Problem(file=settings.source_label,
                                   message="--contracts needs `imports` criteria other than audit in phases.yaml",
                                   hint="add a forbidden, layers, independence, facade, acyclic or "
                                        "decommission contract, or leave out --contracts"))
    return found


class terminal_progress:  # noqa: N801 - used like a function in a `with` statement
    """A progress bar on stderr while the history is walked, only when stderr is a terminal."""

    _LABELS: ClassVar[dict[str, str]] = {"history": "reading history", "parse": "parsing new files",
                                         "count": "counting importers"}

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None
        self._tasks: dict[str, object] = {}

    def __enter__(self) -> ProgressCallback | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._progress.start()
        return self._update

    def _update(self, stage: str, done: int, total: int) -> None:
        assert self._progress is not None
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(self._LABELS.get(stage, stage), total=total)
        # Redrawing on every commit would cost more than the work on a fast walk.
        if done == total or done % 25 == 0:
            self._progress.update(task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
