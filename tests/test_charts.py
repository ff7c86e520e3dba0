"""The shared chart module: geometry helpers, and the same shapes written as SVG and as PNG."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from prepctl.charts import (
    Frame,
    Line,
    LinearScale,
    Marker,
    Rect,
    Text,
    axes,
    legend_line,
    linear_ticks,
    nice_ceiling,
    series_lines,
    spread_indexes,
    threshold_line,
    to_png,
    to_svg,
    value_range,
    x_positions,
    x_ticks,
    y_grid,
)

SVG = "{http://www.w3.org/2000/svg}"
FRAME = Frame(76, 14, 548, 142)


def slo_chart(values: list[float], threshold: float) -> list:
    """A time series with an objective, drawn as the module docstring shows (the dashboard's case)."""
    low, high = value_range([*values, threshold])
    y = LinearScale(low, high, FRAME.bottom, FRAME.top)
    xs = x_positions(len(values), FRAME)
    return [*y_grid(FRAME, [(y(v), f"{v:.4g}") for v in linear_ticks(low, high)]),
            *threshold_line(FRAME, y(threshold), "#d62728", "objective <= 0.8"),
            *series_lines([(x, y(v)) for x, v in zip(xs, values, strict=True)], "#1f77b4", 2.0),
            *(Marker(x, y(v), "circle", "#1f77b4", f"{v:.4g}", filled=True)
              for x, v in zip(xs, values, strict=True))]


def test_a_time_series_with_a_threshold_as_svg():
    root = ET.fromstring(to_svg(slo_chart([0.5, 0.7, 0.9], 0.8), 560, 170, label="p95 latency"))
    assert (root.get("width"), root.get("height"), root.get("aria-label")) == ("560", "170", "p95 latency")
    [threshold] = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "threshold"]
    assert threshold.get("stroke-dasharray") == "4 3"
    assert threshold.find(f"{SVG}title").text == "objective <= 0.8"
    [series] = [p for p in root.iter(f"{SVG}polyline") if p.get("stroke") == "#1f77b4"]
    ys = [float(xy.split(",")[1]) for xy in series.get("points").split()]
    assert ys[0] > ys[1] > ys[2], "larger values are drawn higher"
    dots = list(root.iter(f"{SVG}circle"))
    assert [d.find(f"{SVG}title").text for d in dots] == ["0.5", "0.7", "0.9"]
    assert all(d.get("fill") == "#1f77b4" for d in dots)
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert labels == ["0.5", "0.6", "0.7", "0.8", "0.9"]


def test_svg_escapes_every_text_and_tooltip():
    hostile = '<script>alert(1)</script> & "quoted"'
    svg = to_svg([Text(1, 2, hostile), Marker(3, 4, "circle", "#000", hostile),
                  Marker(5, 6, "triangle", "#000", hostile), Line(((0, 0), (1, 1)), "#000", tooltip=hostile),
                  Rect(0, 0, 1, 1, "#000", role=hostile)], 100, 50, label=hostile)
    assert "<script>" not in svg
    root = ET.fromstring(svg)  # still well-formed XML
    assert root.get("aria-label") == hostile
    assert {t.text for t in root.iter(f"{SVG}title")} == {hostile}


def test_png_draws_the_same_shapes_at_the_given_size():
    data = to_png(slo_chart([1.0, 3.0, 2.0], 2.5), 560, 170)
    image = Image.open(io.BytesIO(data))
    assert image.size == (560, 170) and image.format == "PNG"
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 16)}
    assert (255, 255, 255) in colours and len(colours) > 10  # a white background with lines drawn on it


def test_series_break_where_a_value_is_missing():
    lines = series_lines([(0, 0), (1, 1), None, (3, 3), None, None, (6, 6)], "#123456")
    assert [line.points for line in lines] == [((0, 0), (1, 1)), ((3, 3),), ((6, 6),)]
    assert series_lines([None, None], "#123456") == []


def test_axis_helpers():
    assert nice_ceiling(3) == (5, 1)
    assert nice_ceiling(37) == (40, 5)
    assert nice_ceiling(1234) == (1400, 200)
    assert linear_ticks(0, 8) == [0, 2, 4, 6, 8]
    assert spread_indexes(4) == [0, 1, 2, 3]
    assert spread_indexes(101, 6) == [0, 20, 40, 60, 80, 100]
    assert value_range([2.0, 2.0]) == (1.8, 2.2)
    assert value_range([0.0]) == (-1, 1)
    with pytest.raises(ValueError):
        value_range([])
    assert LinearScale(0, 10, 100, 0)(5) == 50
    assert LinearScale(3, 3, 100, 0)(3) == 50  # no range: the middle


def test_points_are_placed_by_time_unless_times_repeat():
    frame = Frame(0, 0, 100, 50)
    assert x_positions(3, frame, [0, 10, 40]) == [0, 25, 100]
    assert x_positions(3, frame, [0, 0, 40]) == [0, 50, 100]  # a repeated time: evenly, in order
    assert x_positions(3, frame) == [0, 50, 100]
    assert x_positions(1, frame, [7]) == [50]


def test_axes_ticks_and_legend_shapes():
    frame = Frame(10, 20, 110, 70)
    assert axes(frame).points == ((10, 20), (10, 70), (110, 70))
    tick, label = x_ticks(frame, [(50, "2024-01-01")])
    assert tick.points == ((50, 70), (50, 74)) and (label.text, label.anchor) == ("2024-01-01", "middle")
    stroke, text = legend_line(200, 40, "direct", "#1f77b4")
    assert stroke.points == ((200, 40), (218, 40)) and (text.x, text.text) == (222, "direct")
