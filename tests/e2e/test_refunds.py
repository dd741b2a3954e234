"""Refunds, releases and deadlines through the gateway against localstripe: cancellations
refund by the listing's policy (shown first), operators refund with a reason, the release
waits for check-in (15:00 at the room) + 24 h and an unpaid booking expires at its deadline
(both on a moved clock; the rooms' time zones: test_check_in_time.py), new dates refund or
charge the difference, a crash between a Stripe refund and the commit refunds once, a host's
cancellation during the stay refunds only the nights not yet stayed (on payments' clock
moved into the stay); the ledger reconciles with Stripe after every scenario."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from services.payments import jobs
from services.payments.stripe_api import StripeApi
from services.runner import Stack
from shared import stays
from tests.api import PASSWORD, Api, User
from tests.e2e.helpers import JHH, create_listing, future, pay_intent, start_payment
from tests.e2e.payments import (
    accepted_booking,
    crash_step,
    moved_clock,
    notified,
    paid_booking,
    pay,
    payments_ahead,
    reconciled,
    shift,
    status_of,
)
from tests.eventually import eventually


async def test_cancelling_refunds_by_the_policy_shown_first(api: Api, stack: Stack, admin: User) -> None:
    """The guest sees the refund before cancelling; cancelled, Stripe refunds that much."""
    host, guest, booking = await paid_booking(api, stack, policy="moderate", start=30)
    # The host's cancellation refunds everything, whenever: nothing drops.
    hosts = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", host)
    assert hosts.status == 200 and (hosts.body["refund_until"], hosts.body["refund_after"]) == (None, None), hosts.body
    quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", guest)
    assert quote.status == 200 and quote.body["refund"] == 1008.0, quote.body
    assert "moderate" in quote.body["reason"]
    # And by when: after the moderate policy's 7 days before check-in (at the room, its
    # check-in hour), half the total is kept, less the nights beyond the first 7 (21 of 28).
    until = datetime.fromisoformat(quote.body["refund_until"]).astimezone(ZoneInfo(quote.body["time_zone"]))
    assert until.date() == date.fromisoformat(booking["check_in"]) - timedelta(days=7), quote.body
    assert (until.hour, until.minute) == (15, 0) and quote.body["refund_after"] == 756.0, quote.body
    cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"

    async def refunded() -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return r.body if r.body["refunds"] and r.body["refunds"][0]["status"] == "succeeded" else None

    receipt = await eventually(refunded, 15, what="the refund sent to Stripe")
    assert receipt["refunded"] == 1008.0 and receipt["held"] == 0.0
    note = await eventually(lambda: notified(api, guest, "payment_refunded"), 15, what="the guest told of the refund")
    assert "is cancelled: $1,008.00 is being refunded to your card" in note
    await reconciled(api, admin)


async def test_a_host_who_deletes_their_account_refunds_paid_stays_in_full(api: Api, stack: Stack, admin: User) -> None:
    """A paid stay whose host deletes their account is cancelled as the host's cancellation:
    the guest is refunded everything, whatever the policy (it once stayed confirmed, at a
    blanked address, with the money held). The address the stay kept goes with the host."""
    host, guest, booking = await paid_booking(api, stack, policy="strict", start=30)
    conn = await asyncpg.connect(stack.database_url)
    try:
        kept = "SELECT stay_address FROM listings.bookings WHERE id = $1"
        assert await conn.fetchval(kept, uuid.UUID(booking["id"]))  # paid: the address it was paid for
        assert (await api.call("DELETE", "/me", host, json={"password": PASSWORD})).status == 200
        await eventually(
            lambda: _status_is(api, guest, booking["id"], "cancelled"), 15, what="the stay cancelled with its host"
        )
        assert await conn.fetchval(kept, uuid.UUID(booking["id"])) is None
    finally:
        await conn.close()

    async def refunded() -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return r.body if r.body["refunds"] and r.body["refunds"][0]["status"] == "succeeded" else None

    receipt = await eventually(refunded, 15, what="the refund sent to Stripe")
    assert receipt["paid"] > 0 and receipt["refunded"] == receipt["paid"] and receipt["held"] == 0.0, receipt
    await reconciled(api, admin)


async def _status_is(api: Api, user: User, booking_id: str, status: str) -> bool:
    return await status_of(api, user, booking_id) == status


async def test_strict_policy_and_an_operator_refund(api: Api, stack: Stack, admin: User) -> None:
    """Strict, 30 days ahead, 28 nights: half of the stay, or the nights beyond the first 7
    when that gives more (21 nights back); an operator refunds 100.00 more with a reason."""
    host, guest, booking = await paid_booking(api, stack, policy="strict", start=30)
    quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", guest)
    assert quote.body["refund"] == 756.0 and "21 nights" in quote.body["reason"], quote.body
    await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)

    async def refunded(amount: float) -> Any:
        r = await api.call("GET", f"/admin/payments/{booking['id']}", admin)
        done = [x for x in r.body["refunds"] if x["status"] == "succeeded"]
        return r.body if sum(x["amount"] for x in done) == amount else None

    await eventually(lambda: refunded(756.0), 15, what="the policy's refund")
    bad = await api.call(
        "POST", f"/admin/payments/{booking['id']}/refunds", admin, json={"amount_cents": 30000, "reason": "too much"}
    )
    assert bad.status == 409
    forbidden = await api.call(
        "POST", f"/admin/payments/{booking['id']}/refunds", guest, json={"amount_cents": 100, "reason": "refund me"}
    )
    assert forbidden.status == 403
    ok = await api.call(
        "POST",
        f"/admin/payments/{booking['id']}/refunds",
        admin,
        json={"amount_cents": 10000, "reason": "goodwill: the heating failed"},
    )
    assert ok.status == 200, ok.body
    receipt = await eventually(lambda: refunded(856.0), 15, what="the operator's refund")
    assert receipt["held"] == 152.0
    assert any(r["reason"] == "goodwill: the heating failed" for r in receipt["refunds"])
    # The 152.00 still held was the host's to come: they hear what the refund took of it
    # (the policy's refund followed the cancellation they were told of).
    note = await eventually(lambda: notified(api, host, "payment_reclaimed"), 15, what="the host told of it")
    assert note.startswith("Wardmate refunded the guest $100.00 of their payment for"), note
    assert "(goodwill: the heating failed)" in note and "will not be released to your balance" in note, note
    await reconciled(api, admin)


async def test_release_waits_for_24_hours_after_check_in(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """On a clock moved to just before check-in + 24 h nothing is released; just after,
    the host's balance shows the payment less the 3 % fee."""
    host, _, booking = await paid_booking(api, stack, start=30)
    row = await payments_db.fetchrow("SELECT release_at FROM payments WHERE booking_id = $1", booking["id"])
    assert row is not None

    until = row["release_at"] - datetime.now(UTC)
    assert timedelta(days=30) < until < timedelta(days=32)
    await jobs.release_held(payments_db, moved_clock(stack, until - timedelta(minutes=1)))
    payouts = await api.call("GET", "/me/payouts", host)
    assert payouts.body["released"] == 0.0 and payouts.body["held"] == 1008.0
    await jobs.release_held(payments_db, moved_clock(stack, until + timedelta(minutes=1)))
    payouts = await api.call("GET", "/me/payouts", host)
    assert payouts.body["held"] == 0.0
    assert payouts.body["released"] == 977.76 and payouts.body["fees"] == 30.24
    note = await eventually(lambda: notified(api, host, "payment_released"), 15, what="the host told of the release")
    assert "$977.76 released" in note
    await reconciled(api, admin)


async def test_unpaid_bookings_expire_at_the_deadline(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """48 hours after acceptance (a moved clock), an unpaid booking expires and its dates
    are free again."""
    settings = moved_clock(stack, timedelta(hours=49))
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])
    api_client = StripeApi(settings)
    try:
        await jobs.expire_unpaid(payments_db, api_client, moved_clock(stack, timedelta(hours=47)))
        assert await status_of(api, guest, booking["id"]) == "accepted"
        await jobs.expire_unpaid(payments_db, api_client, settings)
    finally:
        await api_client.close()

    async def expired() -> bool:
        return await status_of(api, guest, booking["id"]) == "expired"

    await eventually(expired, 15, what="the booking expired")
    mine = await api.call("GET", "/me/bookings", guest)
    assert next(b for b in mine.body["items"] if b["id"] == booking["id"])["end_reason"] == "unpaid"
    await reconciled(api, admin)
    late = await api.call("POST", f"/bookings/{booking['id']}/pay", guest)
    assert late.status == 409


async def test_a_crash_between_a_stripe_refund_and_the_commit_refunds_once(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """kill -9 after Stripe made the refund but before Wardmate recorded it: the refund
    worker finds it by its step, posts it once, and Stripe has one refund."""
    assert stack.stripe is not None
    _, guest, booking = await paid_booking(api, stack, policy="flexible")
    # The service's own refund worker is paused (SIGSTOP) so the crashing process is the
    # one that takes the step; resumed, the service must finish it without a second refund.
    payment_id = await payments_db.fetchval("SELECT id FROM payments WHERE booking_id = $1", booking["id"])
    service = stack.procs["payments"]
    os.kill(service.pid, signal.SIGSTOP)
    try:
        refund_id = await payments_db.fetchval(
            "INSERT INTO refunds(id, payment_id, amount_cents, kind, reason) VALUES (gen_random_uuid(), $1, 5000,"
            " 'operator', 'crash test') RETURNING id",
            payment_id,
        )
        assert await asyncio.to_thread(crash_step, stack, "refund", str(refund_id)) == -9
        assert await payments_db.fetchval("SELECT status FROM refunds WHERE id = $1", refund_id) == "pending"
    finally:
        os.kill(service.pid, signal.SIGCONT)

    async def done() -> Any:
        return await payments_db.fetchval(
            "SELECT stripe_refund FROM refunds WHERE id = $1 AND status = 'succeeded'", refund_id
        )

    stripe_refund = await eventually(done, 15, what="the refund recorded after the crash")
    intent_id = await payments_db.fetchval("SELECT payment_intent FROM payments WHERE id = $1", payment_id)
    refunds = await api.call(
        "GET",
        f"{stack.stripe.url}/v1/refunds",
        params={"payment_intent": intent_id},
        headers={"Authorization": "Bearer sk_test_x"},
    )
    assert [r["id"] for r in refunds.body["data"]] == [stripe_refund]
    receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
    assert receipt.body["refunded"] == 50.0
    await reconciled(api, admin)


async def test_new_dates_refund_or_charge_the_difference(api: Api, stack: Stack, admin: User) -> None:
    """A paid 28-night stay moved to 21 nights refunds 7 nights; moved to 30 nights, the
    guest pays the 9 more nights' difference; an unpaid stay simply costs the new total."""

    host, guest, booking = await paid_booking(api, stack, start=30)
    await shift(api, host, guest, booking["id"], future(30), future(51))

    async def refunded(amount: float) -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        done = sum(x["amount"] for x in r.body["refunds"] if x["status"] == "succeeded")
        return r.body if done == amount else None

    receipt = await eventually(lambda: refunded(252.0), 15, what="7 nights refunded")
    assert receipt["total"] == 756.0 and receipt["paid"] - receipt["refunded"] == 756.0

    await shift(api, host, guest, booking["id"], future(30), future(60))

    async def extra_due() -> Any:
        r = await api.call("POST", f"/bookings/{booking['id']}/pay", guest)
        return r.body if r.status == 200 and r.body["amount"] == 324.0 else None

    assert stack.stripe is not None
    intent = await eventually(extra_due, 15, what="the difference of 9 nights due")
    paid = await pay_intent(api, stack.stripe.url, intent["payment_intent_id"])
    assert paid.body["status"] == "succeeded"

    async def all_paid() -> Any:
        r = await api.call("POST", f"/bookings/{booking['id']}/pay/confirm", guest)
        return r.body if r.body["paid"] - r.body["refunded"] == 1080.0 else None

    receipt = await eventually(all_paid, 15, what="the new total paid")
    assert receipt["total"] == 1080.0
    assert await status_of(api, guest, booking["id"]) == "confirmed"

    # Not yet paid: the payment due is the new total, through a new PaymentIntent.
    host2, guest2, unpaid = await accepted_booking(api, start=40)
    first = await start_payment(api, guest2, unpaid["id"])
    assert first.body["amount"] == 1008.0
    await shift(api, host2, guest2, unpaid["id"], future(40), future(61))

    async def new_amount() -> Any:
        r = await api.call("POST", f"/bookings/{unpaid['id']}/pay", guest2)
        return r.body if r.status == 200 and r.body["amount"] == 756.0 else None

    second = await eventually(new_amount, 15, what="the payment due follows the new dates")
    assert second["payment_intent_id"] != first.body["payment_intent_id"]
    await pay_intent(api, stack.stripe.url, second["payment_intent_id"])

    async def confirmed() -> bool:
        return await status_of(api, guest2, unpaid["id"]) == "confirmed"

    await eventually(confirmed, 15, what="the moved stay confirmed once paid")
    await reconciled(api, admin)


async def _refunded(api: Api, guest: User, booking_id: str) -> Any:
    """The receipt once every refund of the booking reached Stripe (None before)."""
    r = await api.call("GET", f"/bookings/{booking_id}/payments", guest)
    refunds = r.body["refunds"]
    return r.body if refunds and all(x["status"] == "succeeded" for x in refunds) else None


async def test_a_declined_move_refunds_everything_only_for_a_moved_rotation(
    api: Api, stack: Stack, admin: User
) -> None:
    """Strict policy, paid, 30 days ahead (the policy gives back 756.00 of 1008.00). Asking
    for other dates that the host declines changes nothing: cancelling refunds 756.00 (it
    refunded 1008.00, 'rotation protection', for any guest asking any dates). A stay booked
    for a rotation that then moved, whose move to exactly the rotation's new dates the host
    declines, is refunded in full."""
    assert stack.stripe is not None
    # Ordinary: no rotation, any other dates.
    host, guest, booking = await paid_booking(api, stack, policy="strict", start=30)
    shift = f"/bookings/{booking['id']}/shift"
    asked = await api.call("POST", shift, guest, json={"check_in": future(64), "check_out": future(92)})
    assert asked.status == 200 and asked.body["shift"]["for_rotation"] is False, asked.body
    assert (await api.call("POST", f"{shift}/decline", host)).status == 200
    # The quote is the cancellation's: the policy's, declined or not.
    quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", guest)
    assert quote.status == 200 and quote.body["refund"] == 756.0, quote.body
    cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)
    assert cancelled.status == 200 and cancelled.body["end_reason"] is None, cancelled.body
    receipt = await eventually(lambda: _refunded(api, guest, booking["id"]), 15, what="the policy's refund")
    assert receipt["refunded"] == 756.0 and [r["kind"] for r in receipt["refunds"]] == ["cancellation"], receipt

    # For a rotation that moved: the guest asks for the rotation's new dates; declined.
    host = await api.signup("professional", "Dr. Host")
    student = await api.signup("student", "Student")
    listing = await create_listing(api, host, cancellation_policy="strict")
    mine = await api.call(
        "POST",
        "/rotations",
        student,
        json={"hospital_id": JHH, "specialty": "cardiology", "start_date": future(30), "end_date": future(58)},
    )
    assert mine.status == 201, mine.body
    rotation_id = mine.body["id"]
    stay = await api.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        student,
        json={"check_in": future(30), "check_out": future(58), "rotation_id": rotation_id},
    )
    assert stay.status == 201, stay.body
    booking_id = stay.body["id"]
    assert (await api.call("POST", f"/bookings/{booking_id}/accept", host)).status == 200
    intent = await start_payment(api, student, booking_id)
    assert (await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])).body["status"] == "succeeded"
    await eventually(lambda: _status_is(api, student, booking_id, "confirmed"), 15, what="the stay paid")
    # Matching tells only of stays it knows of: wait for its projection of this one.
    conn = await asyncpg.connect(stack.database_url)
    try:
        await eventually(
            lambda: conn.fetchval("SELECT true FROM matching.bookings WHERE booking_id = $1", uuid.UUID(booking_id)),
            15,
            what="matching to know the stay",
        )
    finally:
        await conn.close()
    new_dates = {"start_date": future(33), "end_date": future(61)}
    assert (await api.call("PATCH", f"/rotations/{rotation_id}", student, json=new_dates)).status == 200
    asked = await api.call(
        "POST", f"/bookings/{booking_id}/shift", student, json={"check_in": future(33), "check_out": future(61)}
    )
    assert asked.status == 200, asked.body

    async def follows_rotation() -> bool:
        mine = await api.call("GET", "/me/bookings", student)
        return bool(next(b for b in mine.body["items"] if b["id"] == booking_id)["shift"]["for_rotation"])

    await eventually(follows_rotation, 15, what="listings to hear the rotation moved")
    quote = await api.call("GET", f"/bookings/{booking_id}/refund-quote", student)
    assert quote.body["refund"] == 756.0, quote.body  # asked, not yet declined: the policy
    declined = await api.call("POST", f"/bookings/{booking_id}/shift/decline", host)
    assert declined.status == 200, declined.body

    async def quoted_in_full() -> Any:
        r = await api.call("GET", f"/bookings/{booking_id}/refund-quote", student)
        return r.body if r.body["refund"] == 1008.0 else None

    # Payments hears the decline from listings' event (rotation_protected).
    quote = await eventually(quoted_in_full, 15, what="the quote after the declined rotation dates")
    cancelled = await api.call("POST", f"/bookings/{booking_id}/cancel", student)
    assert cancelled.body["end_reason"] == "shift_declined", cancelled.body
    receipt = await eventually(lambda: _refunded(api, student, booking_id), 15, what="the protected refund")
    assert receipt["refunded"] == 1008.0, receipt
    assert "rotation protection" in receipt["refunds"][0]["reason"]
    assert (receipt["refunds"][0]["amount"], receipt["refunds"][0]["reason"]) == (quote["refund"], quote["reason"])
    await reconciled(api, admin)


async def test_no_refund_is_quoted_for_a_booking_that_cannot_be_cancelled(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """Cancelled or expired: the quote is a 409 saying why, not a refund."""
    _, guest, booking = await paid_booking(api, stack, policy="flexible", start=30)
    assert (await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)).status == 200

    async def refused(user: User, booking_id: str) -> Any:
        r = await api.call("GET", f"/bookings/{booking_id}/refund-quote", user)
        return r.body if r.status == 409 else None

    body = await eventually(lambda: refused(guest, booking["id"]), 15, what="no quote for a cancelled stay")
    assert "cancelled" in body["error"]["message"]

    _, guest2, unpaid = await accepted_booking(api, start=35)
    await start_payment(api, guest2, unpaid["id"])
    stripe = StripeApi(moved_clock(stack, timedelta(hours=49)))
    try:
        await jobs.expire_unpaid(payments_db, stripe, moved_clock(stack, timedelta(hours=49)))
    finally:
        await stripe.close()
    body = await eventually(lambda: refused(guest2, unpaid["id"]), 15, what="no quote for an expired stay")
    assert "expired" in body["error"]["message"]
    await reconciled(api, admin)


async def test_a_host_cancelling_a_stay_under_way_refunds_only_the_nights_not_yet_stayed(
    api: Api, stack: Stack, admin: User
) -> None:
    """A 14-night stay from today is paid (504.00), then moved to 20 nights: the 6 more
    nights (216.00) are due within 12 hours. Ten days into the stay (payments' clock) that
    payment is overdue, and the host hears so. The host cancels: the guest stayed 10 of the
    20 nights and paid for 14, so the 4 paid nights not yet stayed come back (144.00, as
    quoted), the 10 nights stayed do not (it refunded all 504.00)."""
    host, guest, booking = await paid_booking(api, stack, start=0, nights=14, available_from=future(0))
    await shift(api, host, guest, booking["id"], future(0), future(20))

    async def difference_due() -> bool:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return [(p["amount"], p["status"]) for p in r.body["payments"] if p["status"] != "cancelled"] == [
            (504.0, "succeeded"),
            (216.0, "due"),
        ]

    await eventually(difference_due, 15, what="the 6 more nights due")
    ahead = timedelta(days=10)
    async with payments_ahead(stack, ahead):
        note = await eventually(lambda: notified(api, host, "payment_overdue"), 15, what="the host told it is overdue")
        assert "$216.00" in note and "still unpaid" in note, note
        # The nights before today at the room (Baltimore): 10; 9 when the booking's date
        # (UTC's) was already tomorrow there, 11 when midnight there passed since.
        today_there = stays.local_today(datetime.now(UTC) + ahead, "America/New_York")
        stayed = (today_there - date.fromisoformat(booking["check_in"])).days
        assert stayed in (9, 10, 11), stayed
        refund = (14 - stayed) * 36.0
        quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", host)
        assert quote.status == 200 and quote.body["paid"] == 504.0 and quote.body["refund"] == refund, quote.body
        assert f"after {stayed} of the 20 nights" in quote.body["reason"], quote.body
        cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", host)
        assert cancelled.status == 200 and cancelled.body["status"] == "cancelled", cancelled.body
        receipt = await eventually(lambda: _refunded(api, guest, booking["id"]), 15, what="the refund at Stripe")
    assert receipt["refunded"] == refund and [r["kind"] for r in receipt["refunds"]] == ["cancellation"], receipt
    assert (receipt["refunds"][0]["amount"], receipt["refunds"][0]["reason"]) == (refund, quote.body["reason"])
    # The overdue payment is no longer due: nothing more is asked of the guest.
    assert [p["status"] for p in receipt["payments"] if p["amount"] == 216.0] == ["cancelled"], receipt
    told = await eventually(lambda: notified(api, guest, "payment_refunded"), 15, what="the guest told of the refund")
    assert f"${refund:,.2f} is being refunded to your card" in told
    await reconciled(api, admin)


async def test_a_guest_whose_host_is_suspended_may_cancel_without_fault(api: Api, stack: Stack, admin: User) -> None:
    """Strict policy, paid, 30 days ahead: the policy gives back 756.00 of 1008.00. Once
    an operator suspends the host, the guest's booking says so (the stay is not cancelled),
    the quote shown before cancelling is the whole 1008.00, and the cancellation refunds it
    (`end_reason` host_suspended). The host's side of the quote is unchanged: theirs."""
    assert stack.stripe is not None
    host, guest, booking = await paid_booking(api, stack, policy="strict", start=30)
    path = f"/bookings/{booking['id']}"
    before = await api.call("GET", f"{path}/refund-quote", guest)
    assert before.body["refund"] == 756.0, before.body
    assert (await api.call("GET", path, guest)).body["host_suspended"] is False
    suspended = await api.call("POST", f"/admin/users/{host.id}/suspension", admin, json={"reason": "scam"})
    assert suspended.status == 200, suspended.body

    async def told() -> Any:
        seen = await api.call("GET", path, guest)
        quote = await api.call("GET", f"{path}/refund-quote", guest)
        return quote.body if seen.body["host_suspended"] and quote.body["refund"] == 1008.0 else None

    quote = await eventually(told, 15, what="listings and payments to hear of the suspension")
    assert "the host's account is suspended" in quote["reason"], quote
    assert (await api.call("GET", path, guest)).body["status"] == "confirmed"  # not cancelled by it
    cancelled = await api.call("POST", f"{path}/cancel", guest)
    assert cancelled.status == 200 and cancelled.body["end_reason"] == "host_suspended", cancelled.body
    receipt = await eventually(lambda: _refunded(api, guest, booking["id"]), 15, what="the whole refund")
    assert receipt["refunded"] == 1008.0, receipt
    await reconciled(api, admin)


async def test_a_suspended_hosts_money_stays_held_until_the_suspension_is_lifted(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """Past check-in + 24 h, a paid stay's money went to its host's balance even while an
    operator had suspended the host (a scammer paid out). It stays held; lifted, the next
    sweep releases it."""
    host, _, booking = await paid_booking(api, stack, start=30)
    release_at = await payments_db.fetchval("SELECT release_at FROM payments WHERE booking_id = $1", booking["id"])
    after = moved_clock(stack, release_at - datetime.now(UTC) + timedelta(minutes=1))
    released = "SELECT released_at IS NOT NULL FROM payments WHERE booking_id = $1"
    known = "SELECT suspended FROM accounts WHERE user_id = $1"

    assert (await api.call("POST", f"/admin/users/{host.id}/suspension", admin, json={"reason": "scam"})).status == 200
    await eventually(lambda: payments_db.fetchval(known, uuid.UUID(host.id)), 15, what="payments told of it")
    await jobs.release_held(payments_db, after)
    assert await payments_db.fetchval(released, booking["id"]) is False

    assert (await api.call("DELETE", f"/admin/users/{host.id}/suspension", admin)).status == 200

    async def lifted() -> bool:
        return await payments_db.fetchval(known, uuid.UUID(host.id)) is False

    await eventually(lifted, 15, what="payments told of the lifting")
    await jobs.release_held(payments_db, after)
    assert await payments_db.fetchval(released, booking["id"]) is True
    await reconciled(api, admin)


async def test_a_suspended_hosts_new_stay_takes_no_payment_until_the_suspension_is_lifted(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """An accepted, unpaid stay: once an operator suspends its host, paying it is a 409
    saying why and what the guest may do (the page showed a Pay button beside "Wardmate
    suspended this host", and took the money); lifted, the guest pays it."""
    assert stack.stripe is not None
    host, guest, booking = await accepted_booking(api, start=30)
    known = "SELECT suspended FROM accounts WHERE user_id = $1"
    assert (await api.call("POST", f"/admin/users/{host.id}/suspension", admin, json={"reason": "scam"})).status == 200
    await eventually(lambda: payments_db.fetchval(known, uuid.UUID(host.id)), 15, what="payments told of it")

    refused = await start_payment(api, guest, booking["id"])
    assert refused.status == 409, refused.body
    assert "suspended this host's account" in refused.body["error"]["message"]
    assert "cancel the stay without fault" in refused.body["error"]["message"]
    intent_made = "SELECT payment_intent IS NOT NULL FROM payments WHERE booking_id = $1"
    assert await payments_db.fetchval(intent_made, booking["id"]) is False
    assert await status_of(api, guest, booking["id"]) == "accepted"

    assert (await api.call("DELETE", f"/admin/users/{host.id}/suspension", admin)).status == 200

    async def lifted() -> bool:
        return await payments_db.fetchval(known, uuid.UUID(host.id)) is False

    await eventually(lifted, 15, what="payments told of the lifting")
    await pay(api, stack, guest, booking["id"])
    await reconciled(api, admin)
