"""The operators' outcomes: counts pivoted per hospital and month, averages only over
groups of three answers or more, the months, the chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from services.matching.domain import outcomes

DEC, NOV = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)


def row(hospital: str | None, month: datetime, measure: str, n: int, total: int = 0) -> dict[str, object]:
    return {"hospital_id": hospital, "month": month, "measure": measure, "n": n, "total": total}


def test_months_back_cross_the_year() -> None:
    assert outcomes.months_back(date(2026, 2, 14), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_pivot_one_row_per_hospital_and_month() -> None:
    rows = [
        row("h1", DEC, "mentorships_requested", 5),
        row("h1", DEC, "mentorships_accepted", 3),
        row("h1", DEC, "check_ins", 2, 9),
        row("h1", NOV, "check_ins", 4, 14),
        row(None, DEC, "letters_requested", 1),
    ]
    table = outcomes.pivot(rows, {"h1": "General Hospital"})
    assert [(r.month, r.hospital_id) for r in table] == [("2026-12", "h1"), ("2026-12", None), ("2026-11", "h1")]
    dec = table[0]
    assert (dec.mentorships_requested, dec.mentorships_accepted, dec.letters_requested) == (5, 3, 0)
    assert dec.check_ins == 2 and dec.check_in_average is None  # two answers could name someone
    assert table[2].check_in_average == 3.5
    assert table[1].hospital_name is None and table[1].letters_requested == 1


def test_chart_is_self_contained_svg() -> None:
    table = outcomes.pivot([row("h1", DEC, "meetings_held", 7), row("h1", NOV, "letters_submitted", 2)], {})
    svg = outcomes.chart_svg(table, ["2026-11", "2026-12"])
    tree = ET.fromstring(svg)
    titles = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}title")]
    assert "2026-12, Meetings held: 7" in titles and "2026-11, Letters submitted: 2" in titles
    assert "<script" not in svg
