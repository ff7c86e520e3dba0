"""The `graph trend` chart (SVG by hand, PNG with Pillow) and the table/csv/json renderings."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from prepctl.errors import PrepctlError
from prepctl.graph.trend.chart import (
    CHART_HEIGHT,
    CHART_WIDTH,
    COLOUR_DIRECT,
    COLOUR_RISE,
    COLOUR_TRANSITIVE,
    write_plot,
)
from prepctl.graph.trend.model import TrendPoint, TrendResult
from prepctl.graph.trend.render import render

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2024, 1, 1, tzinfo=UTC)

# (exists, direct, transitive, skipped files) per commit: absent, rise, rise, flat, a broken
# file, fall, rise (direct only), fall, absent again.
SERIES = [(False, 0, 0, 0), (True, 2, 3, 0), (True, 4, 6, 0), (True, 4, 6, 0), (True, 3, 5, 1),
          (True, 1, 2, 0), (True, 2, 2, 0), (True, 0, 0, 0), (False, 0, 0, 0)]


def result() -> TrendResult:
    points = [TrendPoint(f"{i:040x}", START + timedelta(days=i), f"commit {i}", exists, direct, transitive,
                         skipped, tuple((f"pkg/broken{n}.py", "line 3: syntax error: invalid syntax")
                                        for n in range(skipped)))
              for i, (exists, direct, transitive, skipped) in enumerate(SERIES)]
    return TrendResult("prep.models.orm", points)


def test_rises_are_commits_where_a_count_went_up():
    # Index 1 follows an absent commit, so it has nothing to rise from.
    assert result().rises() == [2, 6]


def test_svg_has_both_series_rises_and_absent_spans(tmp_path: Path):
    path = write_plot(result(), tmp_path / "trend.svg")
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == (str(CHART_WIDTH), str(CHART_HEIGHT))
    lines = {p.get("stroke"): p.get("points").split() for p in root.iter(f"{SVG}polyline")
             if p.get("stroke") in (COLOUR_DIRECT, COLOUR_TRANSITIVE) and len(p.get("points").split()) > 2}
    # One point per commit where the module exists; absent commits break the line.
    assert len(lines[COLOUR_DIRECT]) == len(lines[COLOUR_TRANSITIVE]) == 7
    ys = [float(xy.split(",")[1]) for xy in lines[COLOUR_TRANSITIVE]]
    values = [transitive for exists, _, transitive, _ in SERIES if exists]
    for i in range(7):
        for j in range(7):
            assert (values[i] > values[j]) == (ys[i] < ys[j]), "higher counts are drawn higher up"
    rises = [p for p in root.iter(f"{SVG}polygon") if p.get("class") == "rise"]
    assert len(rises) == 2
    assert all(p.get("fill") == COLOUR_RISE for p in rises)
    assert "rose to 4 direct, 6 transitive" in rises[0].find(f"{SVG}title").text
    skipped = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "skipped"]
    assert len(skipped) == 1 and "pkg/broken0.py" in skipped[0].find(f"{SVG}title").text
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "absent"]) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Importers of prep.models.orm" in texts and "2024-01-01" in texts


def test_png_is_the_same_chart(tmp_path: Path):
    path = write_plot(result(), tmp_path / "trend.png")
    image = Image.open(path)
    assert image.format == "PNG" and image.size == (CHART_WIDTH, CHART_HEIGHT)
    raw = image.convert("RGB").tobytes()
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]

    def near(colour: str) -> int:
        want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return sum(1 for px in pixels if sum(abs(a - b) for a, b in zip(px, want, strict=True)) < 40)

    assert near(COLOUR_DIRECT) > 100
    assert near(COLOUR_TRANSITIVE) > 100
    assert near(COLOUR_RISE) > 20
    assert near("#ffffff") > CHART_WIDTH * CHART_HEIGHT // 2  # mostly background, not a blot


def test_plot_refuses_other_suffixes_and_empty_series(tmp_path: Path):
    with pytest.raises(PrepctlError, match=r"\.svg or \.png"):
        write_plot(result(), tmp_path / "trend.pdf")
    with pytest.raises(PrepctlError, match="no commits"):
        write_plot(TrendResult("x", []), tmp_path / "trend.svg")
    assert not (tmp_path / "trend.pdf").exists()


def test_json_is_a_list_of_commit_objects():
    data = json.loads(render(result(), "json"))
    assert isinstance(data, list) and len(data) == len(SERIES)
    first, broken = data[0], data[4]
    assert set(first) >= {"commit", "date", "direct", "transitive", "skipped_files", "exists"}
    assert first["exists"] is False and first["commit"] == "0" * 40
    assert first["date"] == "2024-01-01T00:00:00+00:00"
    assert (broken["direct"], broken["transitive"], broken["skipped_files"]) == (3, 5, 1)
    assert broken["skipped"] == [{"path": "pkg/broken0.py", "reason": "line 3: syntax error: invalid syntax"}]


def test_csv_and_table():
    rows = list(csv.DictReader(io.StringIO(render(result(), "csv"))))
    assert [int(r["transitive"]) for r in rows] == [s[2] for s in SERIES]
    assert rows[0]["exists"] == "false" and rows[1]["exists"] == "true"
    table = render(result(), "table").splitlines()
    assert table[0] == "Importers of prep.models.orm: 9 commit(s)"
    assert "prep.models.orm absent" in table[3]
    assert table[5].endswith("rose")
    assert "1 file(s) skipped: pkg/broken0.py" in table[7]
    with pytest.raises(PrepctlError, match="table, csv or json"):
        render(result(), "xml")


def test_groups_become_columns():
    base = result()
    points = [TrendPoint(p.commit, p.date, p.subject, p.exists, p.direct, p.transitive, p.skipped_files,
                         p.skipped, {"analytics": p.transitive, "bookings": 0}) for p in base.points]
    grouped = TrendResult(base.target, points)
    header = render(grouped, "csv").splitlines()[0]
    assert header.endswith("group:analytics,group:bookings")
    assert json.loads(render(grouped, "json"))[2]["groups"] == {"analytics": 6, "bookings": 0}
