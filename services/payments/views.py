"""Reply builders of payments from stored rows: no I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from services.payments import domain
from shared.contracts.payments import BookingPayments, PaymentData, PayoutLine, RefundLine, ScheduledPayment
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


def booking_payments(
    booking: asyncpg.Record,
    payments: list[asyncpg.Record],
    refunds: list[asyncpg.Record],
    balances: dict[str, int],
    fee_percent: Decimal,
    viewer: str,
) -> BookingPayments:
    """The receipt as ``viewer`` (guest, host or operator) sees it: nights x rate, the
    schedule, refunds, and where the money is. Why a card was declined is not the host's
    to read (a real bank's reason says "insufficient funds")."""
    nights = (booking["check_out"] - booking["check_in"]).days
    net_paid = balances["paid"] - balances["refunded"]
    fee = balances["fees"] if balances["released"] else domain.host_fee_cents(net_paid, fee_percent)
    return BookingPayments(
        booking_id=booking["booking_id"],
        check_in=booking["check_in"],
        check_out=booking["check_out"],
        nights=nights,
        nightly_rate=dollars(booking["total_cents"] // nights) if nights else 0.0,
        total=dollars(booking["total_cents"]),
        cancellation_policy=booking["cancellation_policy"],
        payments=[
            ScheduledPayment(
                index=p["block"],
                start=p["start_date"],
                nights=p["nights"],
                amount=dollars(p["amount_cents"]),
                status=p["status"],
                charge_from=p["charge_from"],
                pay_by=p["pay_by"],
                release_at=p["release_at"],
                paid_at=p["paid_at"],
                released_at=p["released_at"],
                refunded=dollars(p["refunded_cents"]),
                failure=None if viewer == "host" else p["failure"],
            )
            for p in payments
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
    )


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


def payout_csv_row(line: PayoutLine) -> str:
    title = '"' + line.listing_title.replace('"', '""') + '"'
    cells = [str(line.booking_id), title, str(line.check_in), str(line.check_out), line.status]
    cells += [f"{v:.2f}" for v in (line.paid, line.refunded, line.held, line.released, line.fees)]
    return ",".join(cells)
