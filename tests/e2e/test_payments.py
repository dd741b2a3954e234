"""Payments through the gateway against a real Stripe-compatible server (localstripe): a
test card confirms a booking, a declined card does not, Stripe's webhooks are verified and
applied once, concurrent pay requests make one charge, cancellations refund by the policy,
the release waits for check-in + 24 h on a moved clock; the ledger reconciles with Stripe
after every scenario."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from services.accounts.admin import ensure_admin
from services.payments import jobs
from services.payments.stripe_api import StripeApi
from services.runner import Stack
from shared.db import create_pool
from shared.settings import Settings
from tests.api import Api, User, random_email
from tests.e2e.helpers import (
    CARD_3DS,
    CARD_DECLINED,
    create_listing,
    eventually,
    pay_intent,
    request_stay,
    start_payment,
)

ADMIN_PASSWORD = "an-admin-password-1"


@pytest.fixture
async def admin(api: Api, stack: Stack) -> User:
    email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), email, ADMIN_PASSWORD)
    login = await api.call("POST", "/auth/login", json={"email": email, "password": ADMIN_PASSWORD})
    return User(login.body["user"]["id"], login.body["token"], email, "admin")


@pytest.fixture
async def payments_db(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """The running system's payments schema, as the service's own role sees it."""
    pool = await create_pool(stack.service_url("payments"), "payments", size=2)
    yield pool
    await pool.close()


def moved_clock(stack: Stack, offset: timedelta) -> Settings:
    """Payments' settings with its clock moved by ``offset`` (no sleeping)."""
    assert stack.stripe is not None
    return Settings(
        stripe_api_base=stack.stripe.url,
        stripe_webhook_secret=stack.stripe.webhook_secret,
        clock_offset_s=offset.total_seconds(),
    )


async def reconciled(api: Api, admin: User) -> None:
    """The ledger and Stripe agree: every charge and refund, nothing more."""
    report = await api.call("GET", "/admin/payments-reconciliation", admin)
    assert report.status == 200, report.body
    assert report.body["ok"] is True and report.body["differences"] == [], report.body


async def accepted_booking(
    api: Api, policy: str = "moderate", start: int = 30, nights: int = 28
) -> tuple[User, User, dict[str, Any]]:
    host = await api.signup("professional", "Dr. Host")
    guest = await api.signup("student", "Student")
    listing = await create_listing(api, host, cancellation_policy=policy)
    assert listing["cancellation_policy"] == policy
    booking = await request_stay(api, guest, listing["id"], start=start, nights=nights)
    assert booking.status == 201, booking.body
    accepted = await api.call("POST", f"/bookings/{booking.body['id']}/accept", host)
    assert accepted.status == 200 and accepted.body["status"] == "accepted", accepted.body
    # Accepted is not paid: the address stays hidden from the guest until then.
    assert accepted.body["cancellation_policy"] == policy
    return host, guest, booking.body


async def status_of(api: Api, user: User, booking_id: str) -> str:
    mine = await api.call("GET", "/me/bookings", user, params={"limit": "100"})
    return str(next(b["status"] for b in mine.body["items"] if b["id"] == booking_id))


async def paid_booking(
    api: Api, stack: Stack, policy: str = "moderate", start: int = 30
) -> tuple[User, User, dict[str, Any]]:
    assert stack.stripe is not None
    host, guest, booking = await accepted_booking(api, policy, start=start)
    intent = await start_payment(api, guest, booking["id"])
    assert intent.status == 200, intent.body
    confirmed = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])
    assert confirmed.status == 200 and confirmed.body["status"] == "succeeded", confirmed.body

    async def is_confirmed() -> bool:
        return await status_of(api, guest, booking["id"]) == "confirmed"

    await eventually(is_confirmed, "the booking confirmed by the payment")
    return host, guest, booking


async def test_paying_with_a_test_card_confirms_the_booking(api: Api, stack: Stack, admin: User) -> None:
    """The guest pays the quoted total, the booking turns confirmed, the address shows, the
    host sees the money held less nothing yet, and the ledger matches Stripe."""
    assert stack.stripe is not None
    host, guest, booking = await accepted_booking(api)
    mine = await api.call("GET", "/me/bookings", guest)
    assert next(b for b in mine.body["items"] if b["id"] == booking["id"])["address"] is None

    # Only the guest pays; a stranger does not learn the booking exists.
    stranger = await api.signup("student")
    assert (await start_payment(api, host, booking["id"])).status == 403
    assert (await api.call("POST", f"/bookings/{booking['id']}/pay", stranger)).status == 404
    assert (await api.call("GET", f"/bookings/{booking['id']}/payments", stranger)).status == 404

    intent = await start_payment(api, guest, booking["id"])
    assert intent.status == 200, intent.body
    # Exactly the quoted total (28 nights at 36.00), nothing added.
    assert intent.body["amount"] == booking["total"] == 1008.0
    assert intent.body["client_secret"].startswith(intent.body["payment_intent_id"])
    confirmed = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])
    assert confirmed.body["status"] == "succeeded", confirmed.body
    # The browser reports back; Wardmate asks Stripe itself (the webhook also comes).
    receipt = await api.call("POST", f"/bookings/{booking['id']}/pay/confirm", guest)
    assert receipt.status == 200 and receipt.body["paid"] == 1008.0 and receipt.body["held"] == 1008.0

    async def confirmed_with_address() -> Any:
        mine = await api.call("GET", "/me/bookings", guest)
        item = next(b for b in mine.body["items"] if b["id"] == booking["id"])
        return item if item["status"] == "confirmed" else None

    item = await eventually(confirmed_with_address, "the booking confirmed")
    assert item["address"] == "1800 E Monument St, Baltimore, MD"
    # Paying again is refused; the host's receipt shows the fee and the net.
    again = await api.call("POST", f"/bookings/{booking['id']}/pay", guest)
    assert again.status == 409
    host_view = await api.call("GET", f"/bookings/{booking['id']}/payments", host)
    assert host_view.body["host_fee"] == 30.24 and host_view.body["host_net"] == 977.76
    payouts = await api.call("GET", "/me/payouts", host, params={"format": "csv"})
    assert payouts.body["held"] == 1008.0 and payouts.body["released"] == 0.0
    assert str(booking["id"]) in payouts.body["csv"]
    # Both sides are told in the booking's conversation.
    notes = await eventually(lambda: _kinds(api, host), "the host's notification of the payment")
    assert "booking_confirmed" in notes
    await reconciled(api, admin)


async def _kinds(api: Api, user: User) -> set[str] | None:
    r = await api.call("GET", "/notifications", user)
    kinds = {n["kind"] for n in r.body["items"]}
    return kinds if "booking_confirmed" in kinds else None


async def test_a_declined_card_leaves_the_booking_awaiting_payment(api: Api, stack: Stack, admin: User) -> None:
    """The card is refused: no charge, the booking stays accepted, the failure is recorded."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    intent = await start_payment(api, guest, booking["id"])
    refused = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"], CARD_DECLINED)
    assert refused.status == 402, refused.body

    async def failure_recorded() -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return r.body["payments"][0]["failure"]

    assert "declined" in await eventually(failure_recorded, "the webhook's failure")
    await eventually(lambda: _notified(api, guest, "payment_failed"), "the guest told of the refused card")
    assert await status_of(api, guest, booking["id"]) == "accepted"
    receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
    assert receipt.body["paid"] == 0.0 and receipt.body["payments"][0]["status"] == "due"
    await reconciled(api, admin)


async def test_a_3d_secure_card_pays_once_authenticated(api: Api, stack: Stack, admin: User) -> None:
    """A card that asks for 3-D Secure leaves the intent waiting; authenticated, it pays."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    intent = await start_payment(api, guest, booking["id"])
    waiting = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"], CARD_3DS)
    assert waiting.body["status"] == "requires_action", waiting.body
    assert await status_of(api, guest, booking["id"]) == "accepted"
    # What Stripe.js does once the guest completes the bank's challenge.
    authenticated = await api.call(
        "POST",
        f"{stack.stripe.url}/v1/payment_intents/{intent.body['payment_intent_id']}/_authenticate?success=true",
        json={"key": "pk_test_browser", "client_secret": intent.body["client_secret"]},
    )
    assert authenticated.body["status"] == "succeeded", authenticated.body

    async def confirmed() -> bool:
        return await status_of(api, guest, booking["id"]) == "confirmed"

    await eventually(confirmed, "the booking confirmed after 3-D Secure")
    await reconciled(api, admin)


async def test_concurrent_pay_requests_make_one_payment_intent(api: Api, stack: Stack, admin: User) -> None:
    """Two pay requests at once: one PaymentIntent, the same client secret, one charge."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])  # waits for payments to know the booking
    answers = await asyncio.gather(*(api.call("POST", f"/bookings/{booking['id']}/pay", guest) for _ in range(4)))
    assert {a.status for a in answers} == {200}
    assert len({a.body["payment_intent_id"] for a in answers}) == 1
    intents = await api.call(
        "GET",
        f"{stack.stripe.url}/v1/payment_intents",
        params={"limit": "100"},
        headers={"Authorization": "Bearer sk_test_x"},
    )
    ours = [i for i in intents.body["data"] if i["metadata"].get("booking_id") == booking["id"]]
    assert len(ours) == 1
    await pay_intent(api, stack.stripe.url, answers[0].body["payment_intent_id"])

    async def confirmed() -> bool:
        return await status_of(api, guest, booking["id"]) == "confirmed"

    await eventually(confirmed, "the booking confirmed")
    await reconciled(api, admin)


def _signed(secret: str, payload: bytes, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), b"%d.%s" % (at, payload), hashlib.sha256).hexdigest()
    return f"t={at},v1={signature}"


async def test_webhooks_are_verified_and_applied_once_in_any_order(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """A bad or stale signature is a 400 that records nothing; the same event twice, or a
    failure reported after the success, changes nothing the first success did not."""
    assert stack.stripe is not None
    _, guest, booking = await paid_booking(api, stack)
    intent_id = (await api.call("GET", f"/bookings/{booking['id']}/payments", guest)).body
    row = await payments_db.fetchrow("SELECT payment_intent FROM payments WHERE booking_id = $1", booking["id"])
    assert row is not None
    intent = await api.call(
        "GET",
        f"{stack.stripe.url}/v1/payment_intents/{row['payment_intent']}",
        headers={"Authorization": "Bearer sk_test_x"},
    )
    url = "/payments/stripe-webhook"
    event = {"id": f"evt_test_{booking['id']}", "type": "payment_intent.succeeded", "data": {"object": intent.body}}
    payload = json.dumps(event).encode()
    secret = stack.stripe.webhook_secret

    forged = await api.call("POST", url, data=payload, headers={"Stripe-Signature": _signed("whsec_wrong", payload)})
    stale = await api.call(
        "POST", url, data=payload, headers={"Stripe-Signature": _signed(secret, payload, int(time.time()) - 3600)}
    )
    unsigned = await api.call("POST", url, data=payload)
    assert (forged.status, stale.status, unsigned.status) == (400, 400, 400), (forged.body, stale.body)
    assert not await payments_db.fetchval("SELECT count(*) FROM stripe_events WHERE id = $1", event["id"])

    for _ in range(2):
        r = await api.call("POST", url, data=payload, headers={"Stripe-Signature": _signed(secret, payload)})
        assert r.status == 200, r.body
    failed = {**event, "id": f"evt_fail_{booking['id']}", "type": "payment_intent.payment_failed"}
    failed["data"] = {"object": {**intent.body, "status": "requires_payment_method"}}
    late = json.dumps(failed).encode()
    r = await api.call("POST", url, data=late, headers={"Stripe-Signature": _signed(secret, late)})
    assert r.status == 200
    assert await payments_db.fetchval("SELECT count(*) FROM stripe_events WHERE id = $1", event["id"]) == 1
    charges = await payments_db.fetchval(
        "SELECT count(*) FROM ledger_transactions t JOIN payments p ON p.id = t.payment_id"
        " WHERE p.booking_id = $1 AND t.kind = 'charge'",
        booking["id"],
    )
    assert charges == 1
    receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
    assert receipt.body["payments"][0]["status"] == "succeeded" and receipt.body["paid"] == 1008.0
    assert intent_id["paid"] == 1008.0
    await reconciled(api, admin)


async def test_the_ledger_refuses_an_unbalanced_transaction(payments_db: asyncpg.Pool) -> None:
    """The database itself refuses entries that do not sum to zero, at commit."""
    payment = await payments_db.fetchrow("SELECT id, booking_id FROM payments LIMIT 1")
    assert payment is not None, "run after a test that made a payment"
    async with payments_db.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            async with conn.transaction():
                txn = await conn.fetchval(
                    "INSERT INTO ledger_transactions(id, reference, kind, booking_id, payment_id)"
                    " VALUES (gen_random_uuid(), 'test:' || gen_random_uuid(), 'charge', $1, $2) RETURNING id",
                    payment["booking_id"],
                    payment["id"],
                )
                await conn.execute(
                    "INSERT INTO ledger_entries(transaction_id, account, amount_cents) VALUES ($1, 'holding', 100),"
                    " ($1, 'guest_card', -99)",
                    txn,
                )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "UPDATE ledger_entries SET amount_cents = amount_cents WHERE id = (SELECT min(id) FROM ledger_entries)"
            )


async def test_cancelling_refunds_by_the_policy_shown_first(api: Api, stack: Stack, admin: User) -> None:
    """The guest sees the refund before cancelling; cancelled, Stripe refunds that much."""
    _, guest, booking = await paid_booking(api, stack, policy="moderate", start=30)
    quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", guest)
    assert quote.status == 200 and quote.body["refund"] == 1008.0, quote.body
    assert "moderate" in quote.body["reason"]
    cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"

    async def refunded() -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return r.body if r.body["refunds"] and r.body["refunds"][0]["status"] == "succeeded" else None

    receipt = await eventually(refunded, "the refund sent to Stripe")
    assert receipt["refunded"] == 1008.0 and receipt["held"] == 0.0
    note = await eventually(lambda: _notified(api, guest, "payment_refunded"), "the guest told of the refund")
    assert "$1,008.00 refunded" in note
    await reconciled(api, admin)


async def test_strict_policy_and_an_operator_refund(api: Api, stack: Stack, admin: User) -> None:
    """Strict, 30 days ahead, 28 nights: half of the stay, or the nights beyond the first 7
    when that gives more (21 nights back); an operator refunds 100.00 more with a reason."""
    _, guest, booking = await paid_booking(api, stack, policy="strict", start=30)
    quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", guest)
    assert quote.body["refund"] == 756.0 and "21 nights" in quote.body["reason"], quote.body
    await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)

    async def refunded(amount: float) -> Any:
        r = await api.call("GET", f"/admin/payments/{booking['id']}", admin)
        done = [x for x in r.body["refunds"] if x["status"] == "succeeded"]
        return r.body if sum(x["amount"] for x in done) == amount else None

    await eventually(lambda: refunded(756.0), "the policy's refund")
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
    receipt = await eventually(lambda: refunded(856.0), "the operator's refund")
    assert receipt["held"] == 152.0
    assert any(r["reason"] == "goodwill: the heating failed" for r in receipt["refunds"])
    await reconciled(api, admin)


async def test_release_waits_for_24_hours_after_check_in(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """On a clock moved to just before check-in + 24 h nothing is released; just after,
    the host's balance shows the payment less the 3 % fee."""
    host, _, booking = await paid_booking(api, stack, start=30)
    row = await payments_db.fetchrow("SELECT release_at FROM payments WHERE booking_id = $1", booking["id"])
    assert row is not None
    from datetime import UTC, datetime

    until = row["release_at"] - datetime.now(UTC)
    assert timedelta(days=30) < until < timedelta(days=32)
    await jobs.release_held(payments_db, moved_clock(stack, until - timedelta(minutes=1)))
    payouts = await api.call("GET", "/me/payouts", host)
    assert payouts.body["released"] == 0.0 and payouts.body["held"] == 1008.0
    await jobs.release_held(payments_db, moved_clock(stack, until + timedelta(minutes=1)))
    payouts = await api.call("GET", "/me/payouts", host)
    assert payouts.body["held"] == 0.0
    assert payouts.body["released"] == 977.76 and payouts.body["fees"] == 30.24
    note = await eventually(lambda: _notified(api, host, "payment_released"), "the host told of the release")
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

    await eventually(expired, "the booking expired")
    mine = await api.call("GET", "/me/bookings", guest)
    assert next(b for b in mine.body["items"] if b["id"] == booking["id"])["end_reason"] == "unpaid"
    await reconciled(api, admin)
    late = await api.call("POST", f"/bookings/{booking['id']}/pay", guest)
    assert late.status == 409


def test_reconcile_command_reports_no_difference(stack: Stack) -> None:
    """``python -m services.payments reconcile`` against the running system: exit 0."""
    assert stack.stripe is not None
    env = {**os.environ, "WARDMATE_DATABASE_URL": stack.service_url("payments"), **stack.stripe.env()}
    done = subprocess.run(
        [sys.executable, "-m", "services.payments", "reconcile"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reconciled: no difference" in done.stdout


def crash_step(stack: Stack, step: str, target: str) -> int:
    """Run payments' ``step`` in a process killed by SIGKILL right after Stripe answered."""
    assert stack.stripe is not None
    env = {**os.environ, "WARDMATE_DATABASE_URL": stack.service_url("payments"), **stack.stripe.env()}
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.crash_step", step, target], env=env, capture_output=True, timeout=60
    )
    return done.returncode


async def test_a_crash_between_stripe_and_the_commit_charges_once(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """kill -9 after Stripe created the PaymentIntent but before Wardmate recorded it: the
    next pay request finds that intent by its step (localstripe ignores Idempotency-Key),
    so there is one intent and one charge."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    await eventually(
        lambda: payments_db.fetchval("SELECT id FROM payments WHERE booking_id = $1", booking["id"]),
        "payments to hear of the acceptance",
    )
    payment_id = await payments_db.fetchval("SELECT id FROM payments WHERE booking_id = $1", booking["id"])
    assert await asyncio.to_thread(crash_step, stack, "charge", str(payment_id)) == -9
    assert await payments_db.fetchval("SELECT payment_intent FROM payments WHERE id = $1", payment_id) is None

    intent = await start_payment(api, guest, booking["id"])
    assert intent.status == 200, intent.body
    listed = await api.call(
        "GET",
        f"{stack.stripe.url}/v1/payment_intents",
        params={"limit": "100"},
        headers={"Authorization": "Bearer sk_test_x"},
    )
    ours = [i for i in listed.body["data"] if i["metadata"].get("wardmate_step") == f"charge:{payment_id}"]
    assert [i["id"] for i in ours] == [intent.body["payment_intent_id"]]
    await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])

    async def confirmed() -> bool:
        return await status_of(api, guest, booking["id"]) == "confirmed"

    await eventually(confirmed, "the booking confirmed")
    await reconciled(api, admin)


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

    stripe_refund = await eventually(done, "the refund recorded after the crash")
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


async def _shift(api: Api, host: User, guest: User, booking_id: str, check_in: str, check_out: str) -> None:
    asked = await api.call(
        "POST", f"/bookings/{booking_id}/shift", guest, json={"check_in": check_in, "check_out": check_out}
    )
    assert asked.status == 200, asked.body
    moved = await api.call("POST", f"/bookings/{booking_id}/shift/accept", host)
    assert moved.status == 200 and moved.body["check_out"] == check_out, moved.body


async def test_new_dates_refund_or_charge_the_difference(api: Api, stack: Stack, admin: User) -> None:
    """A paid 28-night stay moved to 21 nights refunds 7 nights; moved to 30 nights, the
    guest pays the 9 more nights' difference; an unpaid stay simply costs the new total."""
    from tests.e2e.helpers import future

    host, guest, booking = await paid_booking(api, stack, start=30)
    await _shift(api, host, guest, booking["id"], future(30), future(51))

    async def refunded(amount: float) -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        done = sum(x["amount"] for x in r.body["refunds"] if x["status"] == "succeeded")
        return r.body if done == amount else None

    receipt = await eventually(lambda: refunded(252.0), "7 nights refunded")
    assert receipt["total"] == 756.0 and receipt["paid"] - receipt["refunded"] == 756.0

    await _shift(api, host, guest, booking["id"], future(30), future(60))

    async def extra_due() -> Any:
        r = await api.call("POST", f"/bookings/{booking['id']}/pay", guest)
        return r.body if r.status == 200 and r.body["amount"] == 324.0 else None

    assert stack.stripe is not None
    intent = await eventually(extra_due, "the difference of 9 nights due")
    paid = await pay_intent(api, stack.stripe.url, intent["payment_intent_id"])
    assert paid.body["status"] == "succeeded"

    async def all_paid() -> Any:
        r = await api.call("POST", f"/bookings/{booking['id']}/pay/confirm", guest)
        return r.body if r.body["paid"] - r.body["refunded"] == 1080.0 else None

    receipt = await eventually(all_paid, "the new total paid")
    assert receipt["total"] == 1080.0
    assert await status_of(api, guest, booking["id"]) == "confirmed"

    # Not yet paid: the payment due is the new total, through a new PaymentIntent.
    host2, guest2, unpaid = await accepted_booking(api, start=40)
    first = await start_payment(api, guest2, unpaid["id"])
    assert first.body["amount"] == 1008.0
    await _shift(api, host2, guest2, unpaid["id"], future(40), future(61))

    async def new_amount() -> Any:
        r = await api.call("POST", f"/bookings/{unpaid['id']}/pay", guest2)
        return r.body if r.status == 200 and r.body["amount"] == 756.0 else None

    second = await eventually(new_amount, "the payment due follows the new dates")
    assert second["payment_intent_id"] != first.body["payment_intent_id"]
    await pay_intent(api, stack.stripe.url, second["payment_intent_id"])

    async def confirmed() -> bool:
        return await status_of(api, guest2, unpaid["id"]) == "confirmed"

    await eventually(confirmed, "the moved stay confirmed once paid")
    await reconciled(api, admin)


async def _notified(api: Api, user: User, kind: str) -> str | None:
    """The text of the user's newest notification of ``kind``, if any."""
    r = await api.call("GET", "/notifications", user)
    return next((str(n["text"]) for n in r.body["items"] if n["kind"] == kind), None)


async def test_a_made_up_payment_method_is_a_400(api: Api, admin: User) -> None:
    """A payment method id Stripe never made is the caller's mistake: 400, nothing paid."""
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])
    r = await api.call("POST", f"/bookings/{booking['id']}/pay", guest, json={"payment_method": "pm_s"})
    assert r.status == 400 and r.body["error"]["details"][0]["field"] == "payment_method", r.body
    receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
    assert receipt.body["paid"] == 0.0
    await reconciled(api, admin)
