"""The compliance trend as an inline SVG chart: pass rate (line) and errors (bars) per report.

Inline SVG is part of the page, so the Content-Security-Policy that forbids loading anything
still holds; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 640, 180, 30


def trend_chart(points: Sequence[Mapping[str, Any]]) -> str:
    """Empty for fewer than two reports: a single point is no trend."""
    if len(points) < 2:
        return ""
    step = (WIDTH - 2 * PAD) / (len(points) - 1)
    most_errors = max((_number(p.get("errors")) for p in points), default=0) or 1
    bars, line = [], []
    for index, point in enumerate(points):
        x = PAD + index * step
        errors = _number(point.get("errors"))
        height = (HEIGHT - 2 * PAD) * errors / most_errors
        label = escape(f"{point.get('generatedAt')}: {errors} errors", quote=True)
        bars.append(
            f'<rect x="{x - 4:.1f}" y="{HEIGHT - PAD - height:.1f}" width="8" '
            f'height="{height:.1f}" fill="#ffb4a9"><title>{label}</title></rect>'
        )
        rate = point.get("passRate")
        if isinstance(rate, int | float):
            line.append(f"{x:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * rate:.1f}")
    first, last = (escape(str(points[i].get("generatedAt") or "")[:10]) for i in (0, -1))
    return (
        f'<svg class="chart" id="trend-chart" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        "<title>Pass rate (line) and errors (bars) per report</title>"
        + "".join(bars)
        + f'<polyline fill="none" stroke="#1a7f37" stroke-width="2" points="{" ".join(line)}"/>'
        f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="11" text-anchor="end">{last}</text>'
        f'<text x="{PAD}" y="16" font-size="11">pass rate 0-100% (line), errors (bars)</text>'
        "</svg>"
    )


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
