"""Paying through the gateway against a real Stripe-compatible server (localstripe): a test
card confirms a booking, a declined card does not, 3-D Secure pays once authenticated,
concurrent pay requests make one charge, Stripe's webhooks are verified and applied once,
the ledger refuses what does not balance, a crash between Stripe and the commit charges
once; the ledger reconciles with Stripe after every scenario."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from services.payments.stripe_api import StripeApi
from services.runner import Stack
from tests.api import Api, User
from tests.e2e.helpers import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    create_listing,
    pay_intent,
    request_stay,
    start_payment,
    stripe_call,
)
from tests.e2e.payments import (
    accepted_booking,
    crash_step,
    moved_clock,
    notified,
    paid_booking,
    reconciled,
    status_of,
)
from tests.eventually import eventually


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
    # The guest's receipt names the card it was paid with, and nothing more of it.
    assert receipt.body["payments"][0]["card"] == "Visa ending 4242", receipt.body

    async def confirmed_with_address() -> Any:
        mine = await api.call("GET", "/me/bookings", guest)
        item = next(b for b in mine.body["items"] if b["id"] == booking["id"])
        return item if item["status"] == "confirmed" else None

    item = await eventually(confirmed_with_address, 15, what="the booking confirmed")
    assert item["address"] == "1800 E Monument St, Baltimore, MD"
    # Paying again is refused; the host's receipt shows the fee and the net.
    again = await api.call("POST", f"/bookings/{booking['id']}/pay", guest)
    assert again.status == 409 and "already made" in again.body["error"]["message"], again.body
    host_view = await api.call("GET", f"/bookings/{booking['id']}/payments", host)
    assert host_view.body["host_fee"] == 30.24 and host_view.body["host_net"] == 977.76
    assert host_view.body["payments"][0]["card"] is None  # the guest's card is not the host's business
    payouts = await api.call("GET", "/me/payouts", host, params={"format": "csv"})
    assert payouts.body["held"] == 1008.0 and payouts.body["released"] == 0.0
    assert str(booking["id"]) in payouts.body["csv"]
    # Both sides are told in the booking's conversation.
    notes = await eventually(lambda: _kinds(api, host), 15, what="the host's notification of the payment")
    assert "booking_confirmed" in notes
    await reconciled(api, admin)


async def test_the_host_of_a_request_reads_what_accepting_it_would_give_them(api: Api) -> None:
    """Before answering, the host's receipt says what accepting gives them (the page shows
    it on the request's card): payments' schedule and fee, the same the payment above
    gives once made. The guest does not read it, a stranger gets a 404, and once the
    request is accepted it is gone."""
    host = await api.signup("professional", "Dr. Host")
    guest = await api.signup("student", "Student")
    stranger = await api.signup("professional")
    listing = await create_listing(api, host)
    asked = await request_stay(api, guest, listing["id"], start=30, nights=28)
    assert asked.status == 201, asked.body
    receipt_path = f"/bookings/{asked.body['id']}/payments"

    async def host_receipt() -> Any:
        r = await api.call("GET", receipt_path, host)
        return r.body if r.status == 200 else None

    receipt = await eventually(host_receipt, 15, what="the request known to payments")
    quote = receipt["if_accepted"]
    assert [(p["start"], p["nights"], p["amount"], p["host_fee"]) for p in quote["payments"]] == [
        (asked.body["check_in"], 28, 1008.0, 30.24)
    ]
    assert quote["host_fee"] == 30.24 and quote["host_net"] == 977.76 and quote["host_fee_percent"] == 3.0
    assert receipt["payments"] == [] and receipt["host_net"] == 0.0
    assert (await api.call("GET", receipt_path, guest)).body["if_accepted"] is None
    assert (await api.call("GET", receipt_path, stranger)).status == 404

    accepted = await api.call("POST", f"/bookings/{asked.body['id']}/accept", host)
    assert accepted.status == 200, accepted.body

    async def answered() -> bool:
        r = await api.call("GET", receipt_path, host)
        return r.body["if_accepted"] is None and len(r.body["payments"]) == 1

    await eventually(answered, 15, what="the acceptance known to payments")


async def _kinds(api: Api, user: User) -> set[str] | None:
    r = await api.call("GET", "/notifications", user)
    kinds = {n["kind"] for n in r.body["items"]}
    return kinds if "booking_confirmed" in kinds else None


async def test_a_declined_card_leaves_the_booking_awaiting_payment(api: Api, stack: Stack, admin: User) -> None:
    """The card is refused: no charge, the booking stays accepted, the failure is recorded
    and shown to the guest (and operators), not to the host."""
    assert stack.stripe is not None
    host, guest, booking = await accepted_booking(api)
    intent = await start_payment(api, guest, booking["id"])
    refused = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"], CARD_DECLINED)
    assert refused.status == 402, refused.body

    async def failure_recorded() -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return r.body["payments"][0]["failure"]

    assert "declined" in await eventually(failure_recorded, 15, what="the webhook's failure")
    seen_by_host = await api.call("GET", f"/bookings/{booking['id']}/payments", host)
    assert seen_by_host.status == 200 and seen_by_host.body["payments"][0]["failure"] is None
    assert seen_by_host.body["payments"][0]["status"] == "due"  # the host still sees it is unpaid
    told = await eventually(
        lambda: notified(api, guest, "payment_failed"), 15, what="the guest told of the refused card"
    )
    # With the bank's words and the deadline on the room's clock (it gave neither a time nor
    # a next step).
    assert "did not go through (the bank said: Your card was declined" in told, told
    assert re.search(r"Try another card by \w{3} \d{1,2}, \d{4} at \d{1,2}:\d{2} [AP]M [A-Z]{3,4}\.$", told), told
    assert await status_of(api, guest, booking["id"]) == "accepted"
    receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
    assert receipt.body["paid"] == 0.0 and receipt.body["payments"][0]["status"] == "due"
    await reconciled(api, admin)


async def test_after_a_declined_card_another_card_pays(api: Api, stack: Stack, admin: User) -> None:
    """A guest whose card was declined pays with another one, through the same payment
    (the page sends the new card's payment method; Wardmate attaches it and confirms)."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    intent = await start_payment(api, guest, booking["id"])
    refused = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"], CARD_DECLINED)
    assert refused.status == 402, refused.body
    card = {"number": CARD_OK, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    method = await stripe_call(api, stack.stripe.url, "/v1/payment_methods", {"type": "card", "card": card})
    assert method.status == 200, method.body
    paid = await api.call("POST", f"/bookings/{booking['id']}/pay", guest, json={"payment_method": method.body["id"]})
    assert paid.status == 200 and paid.body["intent_status"] == "succeeded", paid.body
    assert paid.body["payment_intent_id"] == intent.body["payment_intent_id"]  # the same payment, not a second

    async def confirmed() -> bool:
        return await status_of(api, guest, booking["id"]) == "confirmed"

    await eventually(confirmed, 15, what="the booking confirmed by the second card")
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

    await eventually(confirmed, 15, what="the booking confirmed after 3-D Secure")
    await reconciled(api, admin)


async def test_after_an_abandoned_3d_secure_challenge_another_card_pays(api: Api, stack: Stack, admin: User) -> None:
    """The guest leaves the bank's challenge unfinished, then pays with another card
    through the same payment (it was refused as "not a payment method Stripe.js made")."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])
    cards = []
    for number in (CARD_3DS, CARD_OK):
        card = {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
        method = await stripe_call(api, stack.stripe.url, "/v1/payment_methods", {"type": "card", "card": card})
        assert method.status == 200, method.body
        cards.append(method.body["id"])
    waiting = await api.call("POST", f"/bookings/{booking['id']}/pay", guest, json={"payment_method": cards[0]})
    assert waiting.status == 200 and waiting.body["intent_status"] == "requires_action", waiting.body
    paid = await api.call("POST", f"/bookings/{booking['id']}/pay", guest, json={"payment_method": cards[1]})
    assert paid.status == 200 and paid.body["intent_status"] == "succeeded", paid.body
    assert paid.body["payment_intent_id"] == waiting.body["payment_intent_id"]

    async def confirmed() -> bool:
        return await status_of(api, guest, booking["id"]) == "confirmed"

    await eventually(confirmed, 15, what="the booking confirmed by the second card")
    await reconciled(api, admin)


async def test_a_charge_on_an_intent_no_payment_holds_is_recorded_and_refunded(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """An intent an earlier version made for a payment and then forgot (its amount changed
    with new dates) is paid through the old page: Stripe's webhook is not dropped, the
    charge is recorded and refunded in full, and the ledger reconciles."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])
    payment_id = await payments_db.fetchval("SELECT id FROM payments WHERE booking_id = $1", booking["id"])
    stripe = StripeApi(moved_clock(stack, timedelta(0)))
    try:
        # What the revision of that version made: the payment's step, a revision, no row.
        forgotten = await stripe.create_intent(
            f"charge:{payment_id}:r1", 75000, {"booking_id": booking["id"], "block": "0"}
        )
    finally:
        await stripe.close()
    charged = await pay_intent(api, stack.stripe.url, forgotten.id)
    assert charged.body["status"] == "succeeded", charged.body

    async def refunded() -> Any:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        done = [x for x in r.body["refunds"] if x["status"] == "succeeded"]
        return r.body if done else None

    receipt = await eventually(refunded, 15, what="the forgotten intent's charge refunded")
    assert receipt["paid"] == 750.0 and receipt["refunded"] == 750.0, receipt
    assert await status_of(api, guest, booking["id"]) == "accepted"  # the stay is still to pay
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

    await eventually(confirmed, 15, what="the booking confirmed")
    await reconciled(api, admin)


async def test_two_tabs_paying_with_two_cards_at_once_charge_once_and_the_second_hears_it_is_paid(
    api: Api, stack: Stack, admin: User
) -> None:
    """Two tabs, each with its own card, pay at once: one charge, and the tab that lost
    hears that the payment is made (409), not that Stripe refused its card (a 400 beside
    the card field, which invited the guest to try a third card)."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])
    card = {"number": CARD_OK, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    methods = [
        (await stripe_call(api, stack.stripe.url, "/v1/payment_methods", {"type": "card", "card": card})).body["id"]
        for _ in range(2)
    ]
    answers = await asyncio.gather(
        *(api.call("POST", f"/bookings/{booking['id']}/pay", guest, json={"payment_method": m}) for m in methods)
    )
    statuses = sorted(a.status for a in answers)
    assert statuses in ([200, 200], [200, 409]), [a.body for a in answers]
    for lost in (a for a in answers if a.status == 409):
        assert "already made" in lost.body["error"]["message"], lost.body
    receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
    assert [p["status"] for p in receipt.body["payments"]] == ["succeeded"], receipt.body
    intents = await api.call(
        "GET",
        f"{stack.stripe.url}/v1/payment_intents",
        params={"limit": "100"},
        headers={"Authorization": "Bearer sk_test_x"},
    )
    ours = [i for i in intents.body["data"] if i["metadata"].get("booking_id") == booking["id"]]
    assert [i["status"] for i in ours] == ["succeeded"], ours
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

    # A webhook carries the payment method's id only: payments asks Stripe for the card.
    await payments_db.execute("UPDATE payments SET card = NULL WHERE booking_id = $1", booking["id"])
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
    assert receipt.body["payments"][0]["card"] == "Visa ending 4242"
    assert intent_id["paid"] == 1008.0
    await reconciled(api, admin)


async def test_the_ledger_refuses_an_unbalanced_transaction(api: Api, stack: Stack, payments_db: asyncpg.Pool) -> None:
    """The database itself refuses entries that do not sum to zero, at commit, and any
    change to an entry once written."""
    _, _, booking = await paid_booking(api, stack)
    payment = await payments_db.fetchrow("SELECT id, booking_id FROM payments WHERE booking_id = $1", booking["id"])
    assert payment is not None
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


async def test_a_made_up_payment_method_is_a_400(api: Api, admin: User) -> None:
    """A payment method id Stripe never made is the caller's mistake: 400, nothing paid."""
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])
    r = await api.call("POST", f"/bookings/{booking['id']}/pay", guest, json={"payment_method": "pm_s"})
    assert r.status == 400 and r.body["error"]["details"][0]["field"] == "payment_method", r.body
    receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
    assert receipt.body["paid"] == 0.0
    await reconciled(api, admin)


def test_reconcile_command_reports_no_difference(stack: Stack) -> None:
    """``python -m services.payments reconcile`` against the running system: exit 0."""
    assert stack.stripe is not None
    env = {**os.environ, "WARDMATE_DATABASE_URL": stack.service_url("payments"), **stack.stripe.env()}
    done = subprocess.run(
        [sys.executable, "-m", "services.payments", "reconcile"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reconciled: no difference" in done.stdout


def _reconcile_command(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m services.payments reconcile`` as an operator runs it against the system."""
    assert stack.stripe is not None
    env = {**os.environ, "WARDMATE_DATABASE_URL": stack.service_url("payments"), **stack.stripe.env()}
    command = [sys.executable, "-m", "services.payments", "reconcile", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


async def test_reconcile_refund_orphans_refunds_a_charge_no_payment_holds_once(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """A charge an earlier version dropped (an intent it forgot when new dates changed the
    amount, paid through the old page, its webhook ignored) is a difference reconciliation
    only reported. ``reconcile --refund-orphans`` records it and refunds it in full at
    Stripe, the guest's receipt shows it among the replaced payments, refunded; run again,
    it refunds nothing more."""
    assert stack.stripe is not None
    _, guest, booking = await accepted_booking(api)
    await start_payment(api, guest, booking["id"])
    payment_id = await payments_db.fetchval("SELECT id FROM payments WHERE booking_id = $1", booking["id"])
    stripe = StripeApi(moved_clock(stack, timedelta(0)))
    try:
        forgotten = await stripe.create_intent(
            f"charge:{payment_id}:r1", 75000, {"booking_id": booking["id"], "block": "0"}
        )
        # What the earlier version did with the webhook: nothing. Here it goes nowhere,
        # until the command has run (a webhook after it finds the intent held: no effect).
        stack.stripe.register_webhook("http://127.0.0.1:9/nowhere")
        try:
            charged = await pay_intent(api, stack.stripe.url, forgotten.id)
            assert charged.body["status"] == "succeeded", charged.body
            before = await api.call("GET", "/admin/payments-reconciliation", admin)
            [difference] = [d for d in before.body["differences"] if forgotten.id in d]
            assert "no payment holds its intent" in difference and "--refund-orphans" in difference
            done = await asyncio.to_thread(_reconcile_command, stack, "--refund-orphans")
        finally:
            stack.stripe.register_webhook(stack.url + "/api/v1/payments/stripe-webhook")
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"REFUNDING: charge {forgotten.id} of 75000 cents" in done.stdout, done.stdout
        assert "reconciled: no difference" in done.stdout
        refunds = await stripe.refunds_of(forgotten.id)
        assert [(r.amount, r.status) for r in refunds] == [(75000, "succeeded")]

        again = await asyncio.to_thread(_reconcile_command, stack, "--refund-orphans")
        assert again.returncode == 0 and "REFUNDING" not in again.stdout, again.stdout + again.stderr
        assert len(await stripe.refunds_of(forgotten.id)) == 1
    finally:
        await stripe.close()
    receipt = (await api.call("GET", f"/bookings/{booking['id']}/payments", guest)).body
    assert receipt["paid"] == 750.0 and receipt["refunded"] == 750.0, receipt
    assert [(p["amount"], p["refunded"]) for p in receipt["replaced"]] == [(750.0, 750.0)], receipt
    assert [(p["number"], p["status"]) for p in receipt["payments"]] == [(1, "due")]
    assert await status_of(api, guest, booking["id"]) == "accepted"  # the stay is still to pay
    await reconciled(api, admin)


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
        15,
        what="payments to hear of the acceptance",
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

    await eventually(confirmed, 15, what="the booking confirmed")
    await reconciled(api, admin)
