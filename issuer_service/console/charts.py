"""Bar charts drawn on the server as SVG: no script, no CDN, readable when printed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_BAR = "#1b6e4b"
_TEXT = "#1d2521"


def columns(points: Sequence[tuple[str, int]], *, width: int = 420, height: int = 180, label: str = "") -> str:
    """Vertical bars (one per day), the first and last labels under the axis, the top value on the left."""
    top = max((value for _, value in points), default=0) or 1
    left, bottom, right, upper = 40, 28, 8, 16
    plot_w, plot_h = width - left - right, height - bottom - upper
    step = plot_w / max(len(points), 1)
    parts = [_open(width, height, label)]
    parts.append(f'<text x="{left - 6}" y="{upper + 4}" text-anchor="end" font-size="13" fill="{_TEXT}">{top}</text>')
    parts.append(f'<text x="{left - 6}" y="{upper + plot_h}" text-anchor="end" font-size="13" fill="{_TEXT}">0</text>')
    base = upper + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#99a" stroke-width="1"/>')
    for index, (name, value) in enumerate(points):
        bar_h = plot_h * value / top
        x = left + index * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{base - bar_h:.1f}" width="{step * 0.7:.1f}" height="{bar_h:.1f}" fill="{_BAR}">'
            f"<title>{escape(name)}: {value}</title></rect>"
        )
    if points:
        for index in (0, len(points) - 1):
            anchor = "start" if index == 0 else "end"
            x = left if index == 0 else width - right
            parts.append(
                f'<text x="{x}" y="{height - 8}" text-anchor="{anchor}" font-size="13" fill="{_TEXT}">'
                f"{escape(points[index][0])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def bars(points: Sequence[tuple[str, int]], *, width: int = 460, label: str = "") -> str:
    """Horizontal bars with their names and counts (sites, certificate types)."""
    row, name_w, count_w = 26, 200, 44
    height = max(len(points), 1) * row + 8
    top = max((value for _, value in points), default=0) or 1
    parts = [_open(width, height, label)]
    for index, (name, value) in enumerate(points):
        y = 4 + index * row
        length = (width - name_w - count_w) * value / top
        shown = name if len(name) <= 25 else name[:24] + "…"  # ~7.5 px a letter at 13 px
        parts.append(
            f'<text x="{name_w - 8}" y="{y + 16}" text-anchor="end" font-size="13" fill="{_TEXT}">'
            f"{escape(shown)}</text>"
            f'<rect x="{name_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{_BAR}">'
            f"<title>{escape(name)}: {value}</title></rect>"
            f'<text x="{name_w + length + 6:.1f}" y="{y + 16}" font-size="13" fill="{_TEXT}">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMinYMin meet" class="chart">'
    )
