"""The `graph trend --plot` chart: importers per commit, drawn once as shapes (``prepctl.charts``)
and written as SVG or PNG, so both files show the same picture."""

from __future__ import annotations

from pathlib import Path

from prepctl.charts import (
    COLOUR_MUTED,
    Frame,
    LinearScale,
    Marker,
    Rect,
    Shape,
    Text,
    axes,
    legend_line,
    nice_ceiling,
    series_lines,
    spread_indexes,
    to_png,
    to_svg,
    x_positions,
    x_ticks,
    y_grid,
)
from prepctl.errors import PrepctlError
from prepctl.graph.trend.model import TrendPoint, TrendResult

CHART_WIDTH = 960
CHART_HEIGHT = 420
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 48, 64, 56
COLOUR_DIRECT = "#1f77b4"
COLOUR_TRANSITIVE = "#e6550d"
COLOUR_RISE = "#d62728"
COLOUR_VIOLATIONS = "#9467bd"
COLOUR_SKIPPED = COLOUR_MUTED
COLOUR_ABSENT = "#eeeeee"


def chart_shapes(result: TrendResult) -> list[Shape]:
    """The chart as shapes: absent spans, grid, both series, rises and skipped-file marks."""
    points = result.points
    if not points:
        raise PrepctlError("no commits to plot")
    frame = Frame(MARGIN_LEFT, MARGIN_TOP, CHART_WIDTH - MARGIN_RIGHT, CHART_HEIGHT - MARGIN_BOTTOM)
    left, right, top, bottom = frame.left, frame.right, frame.top, frame.bottom
    xs = x_positions(len(points), frame, [p.date.timestamp() for p in points])
    violations = violation_totals(points)
    y_top, y_step = nice_ceiling(max(1, *(max(p.direct, p.transitive) for p in points),
                                     *(v for v in violations if v is not None)))
    y_of = LinearScale(0, y_top, bottom, top)

    shapes: list[Shape] = []
    # Spans where MODULE did not exist, behind everything else.
    span_start: int | None = None
    for index, point in enumerate([*points, None]):
        absent = point is not None and not point.exists
        if absent and span_start is None:
            span_start = index
        elif not absent and span_start is not None:
            x0 = xs[span_start] - (2 if span_start == index - 1 else 0)
            x1 = xs[index - 1] + (2 if span_start == index - 1 else 0)
            shapes.append(Rect(x0, top, max(x1 - x0, 4), bottom - top, COLOUR_ABSENT))
            if x1 - x0 >= 48:  # narrow spans are explained by the legend instead
                shapes.append(Text((x0 + x1) / 2, top + 14, "absent", 10, "middle", COLOUR_SKIPPED))
            span_start = None
    shapes += y_grid(frame, [(y_of(value), str(value)) for value in range(0, y_top + 1, y_step)])
    shapes.append(axes(frame))
    shapes += x_ticks(frame, [(xs[index], points[index].date.strftime("%Y-%m-%d"))
                              for index in spread_indexes(len(points))])
    for attr, colour in (("transitive", COLOUR_TRANSITIVE), ("direct", COLOUR_DIRECT)):
        shapes += series_lines(((xs[i], y_of(getattr(p, attr))) if p.exists else None
                                for i, p in enumerate(points)), colour, 2.0)
    if any(v is not None for v in violations):
        shapes += series_lines(((xs[i], y_of(total)) if total is not None else None
                                for i, total in enumerate(violations)), COLOUR_VIOLATIONS, 2.0)
    for index in result.rises():
        point = points[index]
        shapes.append(Marker(xs[index], y_of(point.transitive) - 7, "triangle", COLOUR_RISE,
                             f"{point.commit[:12]} {point.date:%Y-%m-%d}: rose to {point.direct} direct, "
                             f"{point.transitive} transitive - {point.subject}", "rise"))
    for index, point in enumerate(points):
        if point.skipped_files:
            shapes.append(Marker(xs[index], bottom - 4, "circle", COLOUR_SKIPPED,
                                 f"{point.commit[:12]}: {point.skipped_files} file(s) skipped: "
                                 + ", ".join(path for path, _ in point.skipped), "skipped"))
    span = f"{points[0].date:%Y-%m-%d} to {points[-1].date:%Y-%m-%d}"
    shapes.append(Text(left, 24, f"Importers of {result.target}", 16))
    shapes.append(Text(left, 44, f"{len(points)} commits, {span}", 11, colour=COLOUR_SKIPPED))
    legend_x = right - 420
    for offset, (label, colour) in enumerate((("transitive", COLOUR_TRANSITIVE), ("direct", COLOUR_DIRECT))):
        shapes += legend_line(legend_x + offset * 100, 40, label, colour)
    shapes.append(Marker(legend_x + 205, 40, "triangle", COLOUR_RISE, "count rose"))
    shapes.append(Text(legend_x + 214, 44, "rose", 11))
    shapes.append(Marker(legend_x + 260, 40, "circle", COLOUR_SKIPPED, "files skipped"))
    shapes.append(Text(legend_x + 268, 44, "files skipped", 11))
    shapes.append(Rect(legend_x + 355, 34, 10, 12, COLOUR_ABSENT, "legend"))
    shapes.append(Text(legend_x + 369, 44, "absent", 11))
    if any(v is not None for v in violations):
        shapes += legend_line(legend_x - 110, 40, "violations", COLOUR_VIOLATIONS)
    return shapes


def violation_totals(points: list[TrendPoint]) -> list[int | None]:
    """Per commit, the violations of every contract that could be checked there (--contracts)."""
    totals: list[int | None] = []
    for point in points:
        counted = [n for n in (point.violations or {}).values() if n is not None]
        totals.append(sum(counted) if counted else None)
    return totals


def chart_svg(result: TrendResult) -> str:
    """The chart as SVG text, for documents that embed it inline (e.g. the dashboard)."""
    return to_svg(chart_shapes(result), CHART_WIDTH, CHART_HEIGHT)


def chart_png(result: TrendResult) -> bytes:
    """The chart as PNG bytes."""
    try:
        return to_png(chart_shapes(result), CHART_WIDTH, CHART_HEIGHT)
    except ImportError as exc:  # pragma: no cover - pillow is a declared dependency
        raise PrepctlError("writing PNG needs Pillow: pip install pillow (or plot to .svg)") from exc


def write_plot(result: TrendResult, path: Path) -> Path:
    """Write the chart as SVG or PNG, chosen by the file's suffix; atomically."""
    from prepctl.fileio import atomic_write_bytes, atomic_write_text

    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise PrepctlError(f"--plot {path}: use a file name ending in .svg or .png")
    if suffix == ".svg":
        atomic_write_text(path, chart_svg(result))
    else:
        atomic_write_bytes(path, chart_png(result))
    return path
