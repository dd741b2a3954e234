"""Pure builders of the operators' mentoring outcomes: the counts pivoted to one row per
hospital and month, ratings averaged only over groups large enough not to name anyone,
and a grouped bar chart by month (self-contained SVG like the round report's: no script,
no fonts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from html import escape
from typing import Any

from shared.contracts.mentoring import OutcomeRow

MEASURES = (
    "mentorships_requested",
    "mentorships_accepted",
    "meetings_held",
    "check_ins",
    "letters_requested",
    "letters_accepted",
    "letters_submitted",
)
# A check-in average over fewer answers could be read back to the person who gave it.
MIN_RATINGS = 3
CHART_SERIES = (
    ("mentorships_accepted", "Mentorships accepted", "#1f5f99"),
    ("meetings_held", "Meetings held", "#2f855a"),
    ("letters_submitted", "Letters submitted", "#9c4221"),
)


def months_back(today: date, count: int) -> list[str]:
    """The last ``count`` months as YYYY-MM, oldest first, this one last."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def pivot(rows: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> list[OutcomeRow]:
    """(hospital, month, measure, n, total) rows as one row per hospital and month, newest
    month first, then by hospital name."""
    cells: dict[tuple[str | None, str], dict[str, int]] = {}
    for r in rows:
        month = r["month"].strftime("%Y-%m") if isinstance(r["month"], datetime | date) else str(r["month"])[:7]
        cell = cells.setdefault((r["hospital_id"], month), {})
        cell[r["measure"]] = cell.get(r["measure"], 0) + int(r["n"])
        if r["measure"] == "check_ins":
            cell["rating_total"] = cell.get("rating_total", 0) + int(r["total"] or 0)
    out = []
    for (hospital_id, month), cell in cells.items():
        answers = cell.get("check_ins", 0)
        average = round(cell["rating_total"] / answers, 2) if answers >= MIN_RATINGS else None
        out.append(
            OutcomeRow(
                hospital_id=hospital_id,
                hospital_name=names.get(hospital_id) if hospital_id else None,
                month=month,
                check_in_average=average,
                **{m: cell.get(m, 0) for m in MEASURES},
            )
        )
    return sorted(out, key=lambda row: (-int(row.month.replace("-", "")), row.hospital_name or "~"))


def chart_svg(rows: list[OutcomeRow], months: list[str]) -> str:
    """Grouped bars per month: mentorships accepted, meetings held, letters submitted."""
    totals = {m: {key: 0 for key, _, _ in CHART_SERIES} for m in months}
    for row in rows:
        if row.month in totals:
            for key, _, _ in CHART_SERIES:
                totals[row.month][key] += getattr(row, key)
    group = 20 * len(CHART_SERIES) + 24
    left, top, bottom = 40, 56, 40
    width, height = left + 20 + group * len(months), 280
    plot = height - top - bottom
    tallest = max((v for t in totals.values() for v in t.values()), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' role="img" aria-labelledby="title">',
        '<title id="title">Mentoring outcomes by month</title>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{left}" y="20" font-family="sans-serif" font-size="14" fill="#1a1a1a">'
        "Mentoring outcomes by month</text>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#555"/>',
    ]
    for i, (_, label, colour) in enumerate(CHART_SERIES):
        x = left + 150 * i
        parts += [
            f'<rect x="{x}" y="30" width="12" height="12" fill="{colour}"/>',
            f'<text x="{x + 16}" y="40" font-family="sans-serif" font-size="12" fill="#1a1a1a">{escape(label)}</text>',
        ]
    for m, month in enumerate(months):
        x0 = left + 12 + group * m
        for i, (key, label, colour) in enumerate(CHART_SERIES):
            value = totals[month][key]
            h = round(plot * value / tallest)
            x, y = x0 + 20 * i, height - bottom - h
            parts += [
                f'<rect x="{x}" y="{y}" width="16" height="{h}" fill="{colour}">'
                f"<title>{escape(month)}, {escape(label)}: {value}</title></rect>",
                f'<text x="{x + 8}" y="{y - 3}" text-anchor="middle" font-family="sans-serif" font-size="10"'
                f' fill="#1a1a1a">{value}</text>',
            ]
        parts.append(
            f'<text x="{x0 + 10 * len(CHART_SERIES)}" y="{height - bottom + 16}" text-anchor="middle"'
            f' font-family="sans-serif" font-size="12" fill="#1a1a1a">{escape(month)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
