"""Charts as shapes: computed once, then written as SVG (by hand) or PNG (with Pillow).

A chart is a list of plain shapes in SVG user units (:class:`Line`, :class:`Rect`,
:class:`Text`, :class:`Marker`), so the SVG and the PNG of one chart show the same picture
without a plotting library or a browser. The caller decides what to draw; this module holds the
geometry every chart shares:

- :class:`Frame` is the plot area inside the margins;
- :class:`LinearScale` maps a value to a coordinate (y grows downwards in SVG, so a y scale
  runs from ``frame.bottom`` to ``frame.top``);
- :func:`nice_ceiling` and :func:`linear_ticks` choose y axis ticks, :func:`spread_indexes`
  chooses which of many points get an x label, :func:`x_positions` places points by time or
  evenly;
- :func:`series_lines`, :func:`y_grid`, :func:`axes`, :func:`x_ticks`,
  :func:`threshold_line` and :func:`legend_line` build the usual parts;
- :func:`to_svg` and :func:`to_png` write the shapes.

A time series of numbers with a threshold (as the dashboard draws) is, for example::

    frame = Frame(76, 14, 548, 142)
    low, high = value_range([*values, threshold])
    y = LinearScale(low, high, frame.bottom, frame.top)
    xs = x_positions(len(values), frame)
    shapes = [*y_grid(frame, [(y(v), f"{v:.4g}") for v in linear_ticks(low, high)]),
              *threshold_line(frame, y(threshold), "#d62728", "objective <= 0.8"),
              *series_lines([(x, y(v)) for x, v in zip(xs, values)], "#1f77b4", 2.0),
              *(Marker(x, y(v), "circle", "#1f77b4", f"{v:.4g}", filled=True) for x, v in zip(xs, values))]
    svg = to_svg(shapes, 560, 170, label="p95 latency")

Lines, texts, rects and markers take a ``role``, written as their SVG class, so a page can
style them with CSS; ``label`` names the picture for screen readers.

Stdlib only and no prepctl imports, so any document or command can draw with it. Every text
and tooltip is XML-escaped by :func:`to_svg`; callers still make untrusted text inert
(``prepctl.inert``) where it can reach a terminal.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

COLOUR_TEXT = "#222222"
COLOUR_GRID = "#dddddd"
COLOUR_MUTED = "#7f7f7f"
BACKGROUND = "#ffffff"
FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif"

Point = tuple[float, float]


@dataclass(frozen=True)
class Line:
    """A polyline (two points: a straight line)."""

    points: tuple[Point, ...]
    colour: str
    width: float = 1.0
    #: An SVG stroke-dasharray such as "4 3" for a dashed line (a threshold); None: solid.
    dash: str | None = None
    #: A tooltip, shown on hover in SVG (e.g. what a threshold line stands for).
    tooltip: str | None = None
    #: An SVG class for a stylesheet (e.g. "series", "threshold"); "" writes none.
    role: str = ""


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    #: The SVG class, so tests and stylesheets can tell areas apart (e.g. "absent", "legend").
    role: str = "absent"


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: int = 12
    anchor: Literal["start", "middle", "end"] = "start"
    colour: str = COLOUR_TEXT
    #: An SVG class for a stylesheet (e.g. "muted"); "" writes none.
    role: str = ""


@dataclass(frozen=True)
class Marker:
    """A triangle or a small circle on a point, with a tooltip in SVG."""

    x: float
    y: float
    shape: Literal["triangle", "circle"]
    colour: str
    tooltip: str
    #: The SVG class (e.g. "rise" or "skipped" on a series, "legend" in the key).
    role: str = "legend"
    #: A circle is drawn as a ring unless filled.
    filled: bool = False
    radius: float = 3.5


Shape = Line | Rect | Text | Marker


@dataclass(frozen=True)
class Frame:
    """The plot area, inside the chart's margins."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class LinearScale:
    """Maps values in [low, high] linearly onto coordinates [start, end]."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


# ------------------------------------------------------------------------------------------------
# Axes and ticks


def nice_ceiling(value: int) -> tuple[int, int]:
    """A round top for a y axis that starts at 0 and its tick step (at most 8 steps)."""
    if value <= 5:
        return 5, 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step_factor in (0.1, 0.2, 0.25, 0.5, 1, 2):
        step = max(1, int(magnitude * step_factor))
        top = -(-value // step) * step
        if top / step <= 8:
            return top, step
    return value, max(1, value // 5)


def value_range(values: Iterable[float]) -> tuple[float, float]:
    """(low, high) of the values, widened by 10% (or 1) when they are all equal."""
    numbers = list(values)
    if not numbers:
        raise ValueError("no values to chart")
    low, high = min(numbers), max(numbers)
    if high == low:
        low, high = low - (abs(low) * 0.1 or 1), high + (abs(high) * 0.1 or 1)
    return low, high


def linear_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """``count`` evenly spaced values from low to high, both included."""
    if count < 2:
        return [low]
    return [low + (high - low) * k / (count - 1) for k in range(count)]


def spread_indexes(count: int, wanted: int = 6) -> list[int]:
    """Which of ``count`` points get an x label: all of them, or ``wanted`` spread evenly."""
    if count <= wanted:
        return list(range(count))
    step = (count - 1) / (wanted - 1)
    return sorted({round(i * step) for i in range(wanted)})


def x_positions(count: int, frame: Frame, stamps: Sequence[float] | None = None) -> list[float]:
    """The x of each of ``count`` points in order: by time when ``stamps`` (seconds) are all
    different, else evenly; a single point sits in the middle."""
    left, right = frame.left, frame.right
    if count == 1:
        return [(left + right) / 2]
    if stamps is not None and len(stamps) == count:
        first, last = min(stamps), max(stamps)
        if last > first and len(set(stamps)) == count:
            return [left + (stamp - first) / (last - first) * (right - left) for stamp in stamps]
    # Several points share a time (or none is given): spread them evenly, in order.
    return [left + index / (count - 1) * (right - left) for index in range(count)]


def y_grid(frame: Frame, ticks: Iterable[tuple[float, str]], *, colour: str = COLOUR_GRID,
           label_size: int = 11, label_gap: float = 8) -> list[Shape]:
    """A horizontal grid line and a label ``label_gap`` left of the axis for each (y, label)."""
    shapes: list[Shape] = []
    for y, label in ticks:
        shapes.append(Line(((frame.left, y), (frame.right, y)), colour))
        shapes.append(Text(frame.left - label_gap, y + 4, label, label_size, "end"))
    return shapes


def axes(frame: Frame, colour: str = COLOUR_TEXT) -> Line:
    """The y axis and the x axis as one line."""
    return Line(((frame.left, frame.top), (frame.left, frame.bottom), (frame.right, frame.bottom)), colour)


def x_ticks(frame: Frame, ticks: Iterable[tuple[float, str]], *, label_size: int = 11) -> list[Shape]:
    """A tick below the x axis and a centred label for each (x, label)."""
    shapes: list[Shape] = []
    for x, label in ticks:
        shapes.append(Line(((x, frame.bottom), (x, frame.bottom + 4)), COLOUR_TEXT))
        shapes.append(Text(x, frame.bottom + 18, label, label_size, "middle"))
    return shapes


def series_lines(points: Iterable[Point | None], colour: str, width: float = 2.0) -> list[Line]:
    """One line per unbroken run of points; a None (no value there) breaks the line."""
    lines: list[Line] = []
    run: list[Point] = []
    for point in points:
        if point is not None:
            run.append(point)
            continue
        if run:
            lines.append(Line(tuple(run), colour, width))
        run = []
    if run:
        lines.append(Line(tuple(run), colour, width))
    return lines


def threshold_line(frame: Frame, y: float, colour: str, label: str = "", *, dash: str = "4 3") -> list[Shape]:
    """A dashed horizontal line across the plot (an objective), with its label as tooltip."""
    return [Line(((frame.left, y), (frame.right, y)), colour, 1.0, dash, label or None, "threshold")]


def legend_line(x: float, y: float, label: str, colour: str, width: float = 2.0) -> list[Shape]:
    """A legend entry: a short stroke of the series' colour and its label."""
    return [Line(((x, y), (x + 18, y)), colour, width), Text(x + 22, y + 4, label, 11)]


# ------------------------------------------------------------------------------------------------
# Writing


def number_text(value: float) -> str:
    """A coordinate as SVG text: one decimal at most, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def triangle(x: float, y: float, size: float = 5.0) -> tuple[Point, ...]:
    """The corners of an upward triangle centred on (x, y)."""
    return ((x, y - size), (x - size, y + size * 0.8), (x + size, y + size * 0.8))


def _class(role: str) -> str:
    return f" class={quoteattr(role)}" if role else ""


def to_svg(shapes: Iterable[Shape], width: int, height: int, *, label: str | None = None) -> str:
    """The shapes as a standalone SVG document on a white background. ``label`` names the
    picture for screen readers (``role="img"``, ``aria-label``), e.g. when embedded in a page."""
    f = number_text
    aria = f' role="img" aria-label={quoteattr(label)}' if label else ""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}"{aria}>',
           f'<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>']
    for shape in shapes:
        if isinstance(shape, Rect):
            out.append(f'<rect class={quoteattr(shape.role)} x="{f(shape.x)}" y="{f(shape.y)}" '
                       f'width="{f(shape.width)}" height="{f(shape.height)}" fill="{shape.colour}"/>')
        elif isinstance(shape, Line):
            pts = " ".join(f"{f(x)},{f(y)}" for x, y in shape.points)
            dash = f" stroke-dasharray={quoteattr(shape.dash)}" if shape.dash else ""
            title = f"><title>{escape(shape.tooltip)}</title></polyline>" if shape.tooltip else "/>"
            out.append(f'<polyline{_class(shape.role)} points="{pts}" fill="none" stroke="{shape.colour}" '
                       f'stroke-width="{f(shape.width)}" stroke-linejoin="round"{dash}{title}')
        elif isinstance(shape, Text):
            out.append(f'<text{_class(shape.role)} x="{f(shape.x)}" y="{f(shape.y)}" font-size="{shape.size}" '
                       f'text-anchor="{shape.anchor}" fill="{shape.colour}">{escape(shape.text)}</text>')
        else:
            title = f"<title>{escape(shape.tooltip)}</title>"
            if shape.shape == "triangle":
                pts = " ".join(f"{f(x)},{f(y)}" for x, y in triangle(shape.x, shape.y))
                out.append(f'<polygon class={quoteattr(shape.role)} points="{pts}" fill="{shape.colour}">'
                           f'{title}</polygon>')
            else:
                paint = (f'fill="{shape.colour}"' if shape.filled
                         else f'fill="none" stroke="{shape.colour}" stroke-width="1.5"')
                out.append(f'<circle class={quoteattr(shape.role)} cx="{f(shape.x)}" cy="{f(shape.y)}" '
                           f'r="{f(shape.radius)}" {paint} data-tooltip={quoteattr(shape.tooltip)}>{title}</circle>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _dashes(points: Sequence[Point], on: float, off: float) -> list[tuple[Point, Point]]:
    """The drawn pieces of a dashed polyline (Pillow draws no dashes itself)."""
    pieces: list[tuple[Point, Point]] = []
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        at = 0.0
        while at < length:
            end = min(at + on, length)
            pieces.append(((x0 + (x1 - x0) * at / length, y0 + (y1 - y0) * at / length),
                           (x0 + (x1 - x0) * end / length, y0 + (y1 - y0) * end / length)))
            at = end + off
    return pieces


def to_png(shapes: Iterable[Shape], width: int, height: int, scale: int = 2) -> bytes:
    """The same shapes drawn with Pillow, supersampled so lines and text are smooth.

    Raises ImportError when Pillow is missing (it is a declared dependency of prepctl).
    """
    from PIL import Image, ImageDraw, ImageFont

    big = Image.new("RGB", (width * scale, height * scale), BACKGROUND)
    draw = ImageDraw.Draw(big)
    fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        if size not in fonts:
            fonts[size] = ImageFont.load_default(size=size * scale)
        return fonts[size]

    def s(point: Point) -> Point:
        return point[0] * scale, point[1] * scale

    anchors = {"start": "ls", "middle": "ms", "end": "rs"}
    for shape in shapes:
        if isinstance(shape, Rect):
            draw.rectangle([s((shape.x, shape.y)), s((shape.x + shape.width, shape.y + shape.height))],
                           fill=shape.colour)
        elif isinstance(shape, Line):
            stroke = max(1, round(shape.width * scale))
            if shape.dash:
                on, _, off = shape.dash.partition(" ")
                for a, b in _dashes(shape.points, float(on), float(off or on)):
                    draw.line([s(a), s(b)], fill=shape.colour, width=stroke)
            else:
                draw.line([s(p) for p in shape.points], fill=shape.colour, width=stroke, joint="curve")
        elif isinstance(shape, Text):
            draw.text(s((shape.x, shape.y)), shape.text, fill=shape.colour, font=font(shape.size),
                      anchor=anchors[shape.anchor])
        elif shape.shape == "triangle":
            draw.polygon([s(p) for p in triangle(shape.x, shape.y)], fill=shape.colour)
        else:
            r = shape.radius * scale
            cx, cy = s((shape.x, shape.y))
            if shape.filled:
                draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=shape.colour)
            else:
                draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=shape.colour,
                             width=max(1, round(1.5 * scale)))
    image = big.resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
