"""The payouts CSV's lines: the host's own title stays one cell and never a formula."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

import pytest

from services.payments.views import PAYOUT_CSV_HEADER, payout_csv_row
from shared.contracts.payments import PayoutLine


def _line(title: str) -> PayoutLine:
    return PayoutLine(
        booking_id=uuid.UUID(int=1),
        listing_title=title,
        check_in=date(2027, 1, 4),
        check_out=date(2027, 2, 1),
        status="confirmed",
        paid=1200.0,
        refunded=0.0,
        held=0.0,
        released=1080.0,
        fees=120.0,
    )


def _cells(title: str) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(PAYOUT_CSV_HEADER + "\n" + payout_csv_row(_line(title)) + "\n")))
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x","a")', "+1+1", "-2", "@SUM(A1)", "\tx"])
def test_a_title_a_spreadsheet_would_run_is_kept_as_text(title: str) -> None:
    assert _cells(title)["listing_title"] == "'" + title


def test_a_plain_title_with_quotes_commas_and_a_line_break_is_one_cell_as_written() -> None:
    title = 'Room "B", near the ER\nsecond floor'
    cells = _cells(title)
    assert cells["listing_title"] == title
    assert cells["paid"] == "1200.00" and cells["fees"] == "120.00"
