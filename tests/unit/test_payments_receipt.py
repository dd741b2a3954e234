"""The receipt built from payments' rows (``views.booking_payments``): after new dates each
payment shows the nights it pays for now, the payments that count are numbered once each,
and those new dates replaced are listed apart; the host does not read why a card failed;
the host of a request reads what accepting it would give them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.payments import views

D = timedelta(days=1)
ASKED = datetime(2027, 1, 5, 9, tzinfo=UTC)
BOOKING_ID = uuid.UUID("5a1e0000-0000-4000-8000-000000000001")
BALANCES = {"paid": 504_00, "refunded": 0, "held": 504_00, "released": 0, "fees": 0}


def _booking(check_in: date, nights: int, total_cents: int, status: str = "confirmed") -> dict[str, Any]:
    return {
        "booking_id": BOOKING_ID,
        "check_in": check_in,
        "check_out": check_in + nights * D,
        "total_cents": total_cents,
        "status": status,
        "cancellation_policy": "moderate",
        "time_zone": "America/Chicago",
    }


def _payment(
    block: int, start: date, nights: int, cents: int, status: str, minute: int, **fields: Any
) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "block": block,
        "start_date": start,
        "nights": nights,
        "amount_cents": cents,
        "status": status,
        "charge_from": ASKED,
        "pay_by": ASKED + 2 * D,
        "release_at": ASKED + 30 * D,
        "paid_at": ASKED if status == "succeeded" else None,
        "released_at": None,
        "refunded_cents": 0,
        "failure": None,
        "replaced": False,
        "created_at": ASKED + timedelta(minutes=minute),
    }
    return row | fields


def _receipt(viewer: str) -> Any:
    """Asked 28 nights from Feb 1 (never paid: new dates replaced it), paid 14 nights from
    Feb 1, moved to Feb 8 and made 20 nights: 216 due, a card refused for it."""
    was = date(2027, 2, 1)
    rows = [
        _payment(0, was, 28, 1008_00, "cancelled", 0, replaced=True, failure="Your card was declined."),
        _payment(0, was, 14, 504_00, "succeeded", 1),
        _payment(1, was + 7 * D, 20, 216_00, "due", 2, failure="Your card was declined."),
    ]
    return views.booking_payments(_booking(was + 7 * D, 20, 720_00), rows, [], BALANCES, Decimal(3), viewer, ASKED)  # type: ignore[arg-type]


def test_each_payment_shows_the_nights_it_pays_for_on_the_dates_now() -> None:
    """The 504.00 paid for 14 nights from Feb 1 pays for the first 14 from Feb 8 now, the
    216.00 due for the 6 after them (not all 20 again); the amounts stay as paid."""
    receipt = _receipt("guest")
    assert [(p.number, p.start, p.nights, p.amount, p.status) for p in receipt.payments] == [
        (1, date(2027, 2, 8), 14, 504.0, "succeeded"),
        (2, date(2027, 2, 22), 6, 216.0, "due"),
    ]


def test_a_payment_new_dates_replaced_is_listed_apart() -> None:
    """The 1008.00 asked under the first dates is no payment of the stay: it is listed
    among the replaced, as it was asked, and the numbers of those that count do not repeat."""
    receipt = _receipt("guest")
    assert [(p.start, p.nights, p.amount, p.refunded) for p in receipt.replaced] == [
        (date(2027, 2, 1), 28, 1008.0, 0.0)
    ]
    assert "failure" not in receipt.replaced[0].model_dump()


def test_the_host_reads_the_same_payments_without_why_a_card_failed() -> None:
    """Why the guest's card was refused is the guest's (and operators'), not the host's."""
    guest, host, operator = _receipt("guest"), _receipt("host"), _receipt("operator")
    assert [p.failure for p in guest.payments] == [None, "Your card was declined."]
    assert [p.failure for p in operator.payments] == [None, "Your card was declined."]
    assert [p.failure for p in host.payments] == [None, None]
    assert host.model_dump(exclude={"payments": {"__all__": {"failure"}}}) == guest.model_dump(
        exclude={"payments": {"__all__": {"failure"}}}
    )


def test_payments_that_ended_with_the_stay_keep_their_nights_and_count() -> None:
    """A cancelled booking's unpaid payment is cancelled with it, not replaced: it stays
    among the payments, numbered, with the nights it was asked for."""
    start = date(2027, 3, 1)
    rows = [
        _payment(0, start, 30, 1080_00, "succeeded", 0, refunded_cents=540_00),
        _payment(1, start + 30 * D, 30, 1080_00, "cancelled", 1),
    ]
    booking = _booking(start, 60, 2160_00, status="cancelled")
    receipt = views.booking_payments(booking, rows, [], BALANCES, Decimal(3), "guest", ASKED)  # type: ignore[arg-type]
    assert [(p.number, p.start, p.nights, p.status) for p in receipt.payments] == [
        (1, start, 15, "succeeded"),
        (2, start + 30 * D, 30, "cancelled"),
    ]
    assert receipt.replaced == []


def test_the_host_of_a_request_reads_what_accepting_it_would_give_them() -> None:
    """95 nights: four payments by ``domain.schedule`` (30, 30, 30, 5 nights), the fee of
    each rounded on its own (here a cent less in all than the fee of the total), the
    first released 24 h after check-in on the room's clock. Only the host of a request
    reads it: not the guest, not once it is answered."""
    start = date(2027, 3, 1)
    requested = _booking(start, 95, 2856_57, status="requested")
    no_money = {"paid": 0, "refunded": 0, "held": 0, "released": 0, "fees": 0}
    fee_percent = Decimal(3)
    quote = views.booking_payments(requested, [], [], no_money, fee_percent, "host", ASKED).if_accepted  # type: ignore[arg-type]
    assert quote is not None
    assert [(p.start, p.nights, p.amount, p.host_fee) for p in quote.payments] == [
        (start, 30, 902.07, 27.06),
        (start + 30 * D, 30, 902.07, 27.06),
        (start + 60 * D, 30, 902.08, 27.06),
        (start + 90 * D, 5, 150.35, 4.51),
    ]
    assert quote.host_fee == 85.69 and quote.host_net == 2770.88 and quote.host_fee_percent == 3.0
    assert round(2856_57 * 3 / 100) == 8570  # the fee of the total: a cent more
    assert quote.payments[0].charge_from == ASKED
    # Check-in on Mar 1 in Chicago is 15:00 CST (21:00 UTC); released a day later.
    assert quote.payments[0].release_at == datetime(2027, 3, 2, 21, tzinfo=UTC)
    assert views.booking_payments(requested, [], [], no_money, fee_percent, "guest", ASKED).if_accepted is None  # type: ignore[arg-type]
    accepted = _booking(start, 95, 2856_57, status="accepted")
    assert views.booking_payments(accepted, [], [], no_money, fee_percent, "host", ASKED).if_accepted is None  # type: ignore[arg-type]


def test_a_card_is_named_by_its_brand_and_last_four_digits_only() -> None:
    from services.payments.stripe_api import card_words, intent_of

    assert card_words({"brand": "visa", "last4": "4242", "exp_year": 2040}) == "Visa ending 4242"
    assert card_words({"brand": "amex", "last4": "0005"}) == "American Express ending 0005"
    assert card_words({"brand": "newbrand", "last4": "1234"}) == "Newbrand ending 1234"
    assert card_words({"brand": "visa", "last4": "42"}) is None
    assert card_words(None) is None
    expanded = {
        "id": "pi_1",
        "status": "succeeded",
        "amount": 100,
        "payment_method": {"id": "pm_1", "card": {"brand": "mastercard", "last4": "4444"}},
    }
    assert (intent_of(expanded).payment_method, intent_of(expanded).card) == ("pm_1", "Mastercard ending 4444")
    # A Card (a card_… id: Stripe.js's tokens, localstripe's page) is its own card.
    card = {**expanded, "payment_method": {"id": "card_1", "object": "card", "brand": "Visa", "last4": "4242"}}
    assert (intent_of(card).payment_method, intent_of(card).card) == ("card_1", "Visa ending 4242")
    plain = {"id": "pi_1", "status": "succeeded", "amount": 100, "payment_method": "pm_1"}
    assert (intent_of(plain).payment_method, intent_of(plain).card) == ("pm_1", None)
