"""Charts drawn on the server as SVG: no script, no download, no internet.

The portal may run in a court with no way out to the internet, so charts are
plain SVG written into the page. Every bar carries its series, label and
value as ``data-*`` attributes and a ``<title>`` (the browser's tooltip), so
the number behind a bar can be read off the page, by people and by tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

#: Colours of the series, in order; chosen to stay apart in grey print too.
PALETTE = ("#1f5130", "#c58b1b", "#3a6ea5", "#a23b3b", "#6b4f8a", "#5f7f6a")
WIDTH = 720
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    """A value as the CSV writes it (``50.0`` stays ``50.0``), for a reader to match."""
    return str(value)


def _tick(value: float) -> str:
    return f"{value:g}"


def _legend(series: Sequence[tuple[str, Sequence[float]]], y: float) -> list[str]:
    parts = []
    x = 0.0
    for index, (name, _values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" '
            f'fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="{y:.1f}" {FONT}>{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return parts


def _bar(
    x: float, y: float, width: float, height: float, colour: str, name: str,
    label: str, value: float,
) -> str:  # fmt: skip
    return (
        f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
        f'height="{height:.1f}" fill="{colour}" data-series="{escape(name)}" '
        f'data-label="{escape(label)}" data-value="{_number(value)}">'
        f"<title>{escape(label)}: {escape(name)} {_number(value)}</title></rect>"
    )


def bar_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], title: str
) -> Markup:
    """Grouped vertical bars: one group per label, one bar per series."""
    height, top, bottom, left = 260, 24, 40, 44
    plot_width = WIDTH - left - 8
    plot_height = height - top - bottom
    peak = _nice_ceiling(max((v for _, vs in series for v in vs), default=0))
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-label="{escape(title)}">',
        *_legend(series, 12),
    ]
    for step in range(5):
        value = peak * step / 4
        y = top + plot_height - plot_height * step / 4
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" '
            f'text-anchor="end" {FONT}>{_tick(value)}</text>'
        )
    group = plot_width / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    for row, label in enumerate(labels):
        x0 = left + row * group + group * 0.1
        for index, (name, values) in enumerate(series):
            value = values[row]
            bar_height = plot_height * value / peak
            parts.append(
                _bar(
                    x0 + index * bar,
                    top + plot_height - bar_height,
                    bar,
                    bar_height,
                    PALETTE[index % len(PALETTE)],
                    name,
                    label,
                    value,
                )
            )
        parts.append(
            f'<text x="{x0 + group * 0.4:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle" {FONT}>{escape(label)}</text>'
        )
    parts.append("</svg>")
    # Every text and attribute above went through escape().
    return Markup("".join(parts))  # noqa: S704


def hbar_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], title: str
) -> Markup:
    """Horizontal bars, one row per label: for long names (judges, case types)."""
    left, top, row_height = 230, 24, 10 + 12 * max(len(series), 1)
    plot_width = WIDTH - left - 60
    height = top + row_height * max(len(labels), 1) + 8
    peak = _nice_ceiling(max((v for _, vs in series for v in vs), default=0))
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-label="{escape(title)}">',
        *_legend(series, 12),
    ]
    for row, label in enumerate(labels):
        y0 = top + row * row_height + 4
        short = label if len(label) <= 38 else label[:37] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y0 + row_height / 2:.1f}" text-anchor="end" '
            f"{FONT}>{escape(short)}</text>"
        )
        for index, (name, values) in enumerate(series):
            value = values[row]
            y = y0 + index * 12
            width = plot_width * value / peak
            parts.append(
                _bar(
                    left,
                    y,
                    width,
                    10,
                    PALETTE[index % len(PALETTE)],
                    name,
                    label,
                    value,
                )
            )
            parts.append(
                f'<text x="{left + width + 4:.1f}" y="{y + 9:.1f}" {FONT}>'
                f"{_number(value)}</text>"
            )
    parts.append("</svg>")
    # Every text and attribute above went through escape().
    return Markup("".join(parts))  # noqa: S704


def chart(
    kind: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
) -> Markup:
    """The chart of ``kind`` (``bar``, ``hbar`` or ``none``) for a panel's numbers."""
    if kind == "none" or not labels or not series:
        return Markup("")
    if kind == "hbar":
        return hbar_chart(labels, series, title)
    return bar_chart(labels, series, title)
