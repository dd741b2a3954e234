"""Reply builders of payments from stored rows: no I/O."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.payments import domain
from shared import timezones
from shared.contracts.payments import (
    AcceptanceQuote,
    BookingPayments,
    PaymentData,
    PayoutLine,
    PlannedPayment,
    RefundLine,
    ReplacedPayment,
    ScheduledPayment,
)
from shared.errors import AppError

BOOKING_NOT_FOUND = AppError("not_found", "booking not found")


def dollars(cents: int) -> float:
    return cents / 100


def payment_data(row: asyncpg.Record | dict[str, Any], status: str | None = None) -> PaymentData:
    """A payment as its events carry it (``status``: the one it has after the change)."""
    return PaymentData(
        payment_id=row["id"],
        booking_id=row["booking_id"],
        block=row["block"],
        amount_cents=row["amount_cents"],
        guest_id=row["guest_id"],
        host_id=row["host_id"],
        listing_title=row["listing_title"],
        status=status or row["status"],
        start_date=row["start_date"],
        nights=row["nights"],
    )


def zone_of(booking: asyncpg.Record) -> str:
    """The booking's room time zone; America/New_York for one projected from events older
    than the field, until the room's own arrives (``follow_zone``)."""
    return str(booking["time_zone"] or timezones.DEFAULT_ZONE)


def booking_payments(
    booking: asyncpg.Record,
    payments: list[asyncpg.Record],
    refunds: list[asyncpg.Record],
    balances: dict[str, int],
    fee_percent: Decimal,
    viewer: str,
    now: datetime,
) -> BookingPayments:
    """The receipt as ``viewer`` (guest, host or operator) sees it: nights x rate, the
    payments that count (numbered from 1, each with the nights it pays for on the stay's
    dates now), those new dates replaced, refunds, and where the money is. Why a card was
    declined is not the host's to read (a real bank's reason says "insufficient funds")."""
    nights = (booking["check_out"] - booking["check_in"]).days
    net_paid = balances["paid"] - balances["refunded"]
    # The fee taken from what was released, and the fee each payment still held will give
    # at its release (net of its refunds, rounded per payment as the release rounds it): the
    # fee of the released part alone left a long stay's later blocks in the host's net whole.
    fee = balances["fees"] + sum(
        domain.host_fee_cents(p["amount_cents"] - p["refunded_cents"], fee_percent)
        for p in payments
        if p["status"] == "succeeded" and p["released_at"] is None and p["amount_cents"] > p["refunded_cents"]
    )
    counting = _in_stay_order([p for p in payments if not p["replaced"]])
    # An operator's refund is money back, not nights given back: the guest keeps every night
    # ("$1,657.04 for 28 nights" read "for 27 nights" after a $50 goodwill refund).
    goodwill: dict[Any, int] = {}
    for r in refunds:
        if r["kind"] == "operator":
            goodwill[r["payment_id"]] = goodwill.get(r["payment_id"], 0) + r["amount_cents"]
    covered = _nights_paid_for(booking, counting, goodwill)
    return BookingPayments(
        booking_id=booking["booking_id"],
        booking_status=booking["status"],
        check_in=booking["check_in"],
        check_out=booking["check_out"],
        nights=nights,
        nightly_rate=dollars(booking["total_cents"] // nights) if nights else 0.0,
        total=dollars(booking["total_cents"]),
        cancellation_policy=booking["cancellation_policy"],
        time_zone=zone_of(booking),
        payments=[_scheduled(number, p, covered.get(p["id"]), viewer) for number, p in enumerate(counting, start=1)],
        replaced=[
            ReplacedPayment(
                start=p["start_date"],
                nights=p["nights"],
                amount=dollars(p["amount_cents"]),
                charge_from=p["charge_from"],
                refunded=dollars(p["refunded_cents"]),
            )
            for p in sorted((p for p in payments if p["replaced"]), key=lambda p: p["created_at"])
        ],
        refunds=[
            RefundLine(
                id=r["id"],
                amount=dollars(r["amount_cents"]),
                kind=r["kind"],
                reason=r["reason"],
                status=r["status"],
                created_at=r["created_at"],
            )
            for r in refunds
        ],
        paid=dollars(balances["paid"]),
        refunded=dollars(balances["refunded"]),
        held=dollars(balances["held"]),
        released=dollars(balances["released"]),
        host_fee_percent=float(fee_percent),
        host_fee=dollars(fee),
        host_net=dollars(net_paid - fee),
        if_accepted=acceptance_quote(booking, fee_percent, now)
        if viewer == "host" and booking["status"] == "requested"
        else None,
    )


def acceptance_quote(booking: asyncpg.Record, fee_percent: Decimal, now: datetime) -> AcceptanceQuote:
    """What accepting the request at ``now`` would give the host: ``domain.schedule``'s
    payments, each with the fee its release takes."""
    blocks = domain.schedule(booking["check_in"], booking["check_out"], booking["total_cents"], now, zone_of(booking))
    planned = [(block, domain.host_fee_cents(block.amount_cents, fee_percent)) for block in blocks]
    fee = sum(block_fee for _, block_fee in planned)
    return AcceptanceQuote(
        payments=[
            PlannedPayment(
                start=block.start,
                nights=block.nights,
                amount=dollars(block.amount_cents),
                charge_from=block.charge_from,
                release_at=block.release_at,
                host_fee=dollars(block_fee),
            )
            for block, block_fee in planned
        ],
        host_fee_percent=float(fee_percent),
        host_fee=dollars(fee),
        host_net=dollars(booking["total_cents"] - fee),
    )


def _scheduled(number: int, row: asyncpg.Record, span: tuple[date, int] | None, viewer: str) -> ScheduledPayment:
    """A payment that counts; ``span``: the nights it pays for now (None: one that ended
    unpaid keeps the nights it was asked for)."""
    start, nights = span or (row["start_date"], row["nights"])
    return ScheduledPayment(
        number=number,
        index=row["block"],
        start=start,
        nights=nights,
        amount=dollars(row["amount_cents"]),
        status=row["status"],
        charge_from=row["charge_from"],
        pay_by=row["pay_by"],
        release_at=row["release_at"],
        paid_at=row["paid_at"],
        released_at=row["released_at"],
        refunded=dollars(row["refunded_cents"]),
        failure=None if viewer == "host" else row["failure"],
        card=None if viewer == "host" else row.get("card"),
    )


_STAY_ORDER = {"succeeded": 0, "due": 1}


def _in_stay_order(payments: list[asyncpg.Record]) -> list[asyncpg.Record]:
    """The payments that count in the order their money lies over the stay: what is paid
    (in the order ``flows.apply_shift`` lays it), then what is due block by block, then
    what ended unpaid (expired, or cancelled with its booking)."""

    def key(row: asyncpg.Record) -> tuple[int, Any, int, Any]:
        rank = _STAY_ORDER.get(row["status"], 2)
        # A due payment is stored from the first night it pays for: the rest of a block
        # partly paid comes before the next block, whichever took the lower index.
        return (rank, row["start_date"] if rank == 1 else date.min, row["block"], row["created_at"])

    return sorted(payments, key=key)


def _nights_paid_for(
    booking: asyncpg.Record, counting: list[asyncpg.Record], goodwill: dict[Any, int]
) -> dict[Any, tuple[date, int]]:
    """The nights each payment made (net of refunds, but for an operator's: ``goodwill``,
    cents by payment) or due pays for on the stay's dates now; a paid block keeps its
    amount, not the dates it was paid under."""
    laid = [p for p in counting if p["status"] in _STAY_ORDER]
    if not laid or booking["check_out"] <= booking["check_in"]:
        return {}
    # What is paid counts net of refunds (new dates, a cancellation), as it does for what is
    # still due; an operator's refund takes back no night.
    amounts = [
        p["amount_cents"] - (p["refunded_cents"] - goodwill.get(p["id"], 0) if p["status"] == "succeeded" else 0)
        for p in laid
    ]
    spans = domain.nights_paid_for(booking["check_in"], booking["check_out"], booking["total_cents"], amounts)
    return {p["id"]: span for p, span in zip(laid, spans, strict=True)}


def payout_line(row: asyncpg.Record) -> PayoutLine:
    return PayoutLine(
        booking_id=row["booking_id"],
        listing_title=row["listing_title"],
        check_in=row["check_in"],
        check_out=row["check_out"],
        status=row["status"],
        paid=dollars(row["paid"]),
        refunded=dollars(row["refunded"]),
        held=dollars(row["held"]),
        released=dollars(row["released"]),
        fees=dollars(row["fees"]),
    )


PAYOUT_CSV_HEADER = "booking_id,listing_title,check_in,check_out,status,paid,refunded,held,released,fees"


# A cell a spreadsheet would read as a formula starts with one of these (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def payout_csv_row(line: PayoutLine) -> str:
    """One stay as a CSV line. The title is the host's own text: quoted, and kept text
    (a leading apostrophe) where a spreadsheet would run it as a formula."""
    text = line.listing_title
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    title = '"' + text.replace('"', '""') + '"'
    cells = [str(line.booking_id), title, str(line.check_in), str(line.check_out), line.status]
    cells += [f"{v:.2f}" for v in (line.paid, line.refunded, line.held, line.released, line.fees)]
    return ",".join(cells)
