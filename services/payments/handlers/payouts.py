"""A host's payouts: held, released less fees, per booking, and as CSV."""

from __future__ import annotations

import uuid
from datetime import date

from services.payments import store
from services.payments.views import PAYOUT_CSV_HEADER, dollars, payout_csv_row, payout_line
from shared import subjects
from shared.contracts.payments import Payouts, PayoutsRequest
from shared.paging import day, decode_key, next_page, query_digest, row_id
from shared.service import Context, Registry

registry = Registry()


def _after(cursor: str | None, period: str) -> tuple[date, uuid.UUID] | None:
    if not cursor:
        return None
    check_in, booking_id = decode_key(cursor, day, row_id, bound_to=period)
    return check_in, booking_id


@registry.endpoint(subjects.HOST_PAYOUTS, PayoutsRequest, roles=("professional",))
async def host_payouts(ctx: Context, req: PayoutsRequest) -> Payouts:
    """A page of the host's paid stays (of the period, when one is given) and their totals;
    with ``format=csv`` the page as CSV too, the header on the first page only, so the
    pages one after the other are one file (the gateway's ``GET /me/payouts.csv``)."""
    actor = ctx.require_actor()
    period = query_digest([req.from_, req.to])
    async with ctx.pool.acquire() as conn:
        rows = await store.host_bookings(
            conn, actor.user_id, _after(req.cursor, period), req.limit + 1, (req.from_, req.to)
        )
        totals = await store.host_totals(conn, actor.user_id)
    page, nxt = next_page(
        rows, req.limit, key=lambda r: (r["check_in"].isoformat(), str(r["booking_id"])), bound_to=period
    )
    items = [payout_line(r) for r in page]
    header = [] if req.cursor else [PAYOUT_CSV_HEADER]
    csv = "".join(line + "\n" for line in [*header, *(payout_csv_row(item) for item in items)])
    return Payouts(
        held=dollars(totals["held"]),
        released=dollars(totals["released"]),
        fees=dollars(totals["fees"]),
        balance=dollars(totals["released"]),
        host_fee_percent=float(ctx.settings.host_fee_percent),
        items=items,
        next_cursor=nxt,
        csv=csv if req.format == "csv" else None,
    )
