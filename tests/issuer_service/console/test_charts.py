"""Server-drawn SVG charts: one bar per point, lengths in proportion, names escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from issuer_service.console import charts

SVG = "{http://www.w3.org/2000/svg}"


def _rects(svg: str) -> list[ElementTree.Element]:
    return list(ElementTree.fromstring(svg).iter(f"{SVG}rect"))


def test_columns_one_bar_per_day_heights_in_proportion() -> None:
    points = [("01/11", 0), ("02/11", 5), ("03/11", 10)]
    rects = _rects(charts.columns(points, label="Theo ngày"))
    heights = [float(rect.get("height") or 0) for rect in rects]
    assert len(rects) == 3 and heights[0] == 0 and abs(heights[2] - 2 * heights[1]) < 0.2


def test_bars_escape_names_and_show_counts() -> None:
    svg = charts.bars([("<script>alert(1)</script> Trạm Y tế", 7), ("Bệnh viện", 3)], label="Theo cơ sở")
    assert "<script>" not in svg
    root = ElementTree.fromstring(svg)  # still well-formed with the markup in a name
    texts = [node.text or "" for node in root.iter(f"{SVG}text")]
    assert "7" in texts and "3" in texts
    widths = [float(rect.get("width") or 0) for rect in _rects(svg)]
    assert widths[0] > widths[1] > 0


def test_empty_charts_are_valid_svg() -> None:
    for svg in (charts.columns([]), charts.bars([])):
        assert re.match(r"<svg [^>]*viewBox", svg) and ElementTree.fromstring(svg) is not None
