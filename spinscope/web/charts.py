"""Server-side SVG charts of corpus statistics: no script and no CDN, so they work offline and
in exports. Every label is escaped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from markupsafe import Markup, escape

from spinscope.store import StatsRow

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777", "#65a30d")


def top_labels(rows: Sequence[StatsRow], n: int = 8) -> list[str]:
    """The `n` labels that the most articles carry, over all rows."""
    total: Counter[str] = Counter()
    for row in rows:
        total.update(row.counts)
    return [label for label, _ in total.most_common(n)]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def heatmap(rows: Sequence[StatsRow], labels: Sequence[str], caption: str) -> Markup:
    """A grid: one row per label, one column per outlet; each cell the share of that outlet's
    articles that carry the label."""
    if not rows or not labels:
        return Markup('<p class="empty">None found in these articles.</p>')
    left, top, cell_h = 260, 60, 26
    # wide enough for the longest cell, "12% (123/1000)", at about 7 px a character
    longest = max(len(str(row.rate_of(label))) for row in rows for label in labels)
    cell_w = max(96, 7 * longest + 12)
    width = left + cell_w * len(rows) + 10
    height = top + cell_h * len(labels) + 10
    parts = [
        f'<svg class="chart heatmap" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for j, row in enumerate(rows):
        x = left + j * cell_w + cell_w / 2
        name = row.key or "(no outlet)"
        parts.append(
            f'<text x="{x:.0f}" y="{top - 24}" text-anchor="middle" class="col">'
            f"<title>{escape(name)}</title>{escape(_short(name, 13))}</text>"
            f'<text x="{x:.0f}" y="{top - 8}" text-anchor="middle" class="n">'
            f"{row.articles} art.</text>"
        )
    for i, label in enumerate(labels):
        y = top + i * cell_h
        parts.append(
            f'<text x="{left - 8}" y="{y + cell_h * 0.68:.0f}" text-anchor="end" class="row">'
            f"<title>{escape(label)}</title>{escape(_short(label.replace('_', ' '), 38))}</text>"
        )
        for j, row in enumerate(rows):
            rate = row.rate_of(label)
            x = left + j * cell_w
            shade = f"rgba(37, 99, 235, {0.08 + 0.85 * rate.share:.2f})"
            ink = "#fff" if rate.share > 0.55 else "#1f2937"
            parts.append(
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{shade}"><title>{escape(label)} · {escape(row.key or "(no outlet)")}: '
                f"{rate.carrying} of {rate.articles}</title></rect>"
                f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h * 0.68:.0f}" text-anchor="middle" '
                f'fill="{ink}" class="v">{rate}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline(rows: Sequence[StatsRow], labels: Sequence[str], caption: str) -> Markup:
    """One line per label: the share of each week's articles that carry it."""
    if not rows:
        return Markup('<p class="empty">No dated articles to chart.</p>')
    if not labels:
        return Markup('<p class="empty">None found in these articles.</p>')
    left, right, top, bottom, plot_h = 44, 20, 14, 40, 180
    step = max(40, min(240, 520 // max(1, len(rows) - 1)))
    plot_w = step * max(1, len(rows) - 1)
    width = max(left + plot_w + right + 10, 600)  # room for the legend's labels
    legend_h = 18 * len(labels)
    height = top + plot_h + bottom + legend_h
    parts = [
        f'<svg class="chart timeline" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h * (1 - tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.0f}" y2="{y:.0f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end" class="n">{tick:.0%}</text>'
        )

    def at(k: int, rate: float) -> tuple[float, float]:
        x = left + (step * k if len(rows) > 1 else plot_w / 2)
        return x, top + plot_h * (1 - rate)

    for k, row in enumerate(rows):
        x, _ = at(k, 0)
        parts.append(
            f'<text x="{x:.0f}" y="{top + plot_h + 16}" text-anchor="middle" class="n">'
            f"{escape(row.key[5:] if len(row.key) == 10 else row.key)}</text>"
        )
    for i, label in enumerate(labels):
        colour = PALETTE[i % len(PALETTE)]
        points = [at(k, row.rate(label)) for k, row in enumerate(rows)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(label)}</title></polyline>"
        )
        for (x, y), row in zip(points, rows, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                f"{escape(label)}, week of {escape(row.key)}: {row.counts.get(label, 0)} of "
                f"{row.articles}</title></circle>"
            )
        ly = top + plot_h + bottom + 18 * i
        parts.append(
            f'<rect x="{left}" y="{ly}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{left + 18}" y="{ly + 10}" class="row">'
            f"{escape(_short(label.replace('_', ' '), 80))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
