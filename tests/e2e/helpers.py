"""Shared bodies for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from datetime import date, timedelta
from typing import Any

import aiohttp
import asyncpg

from services.accounts import jobs
from services.accounts.mailer import Mailer
from services.runner import Stack
from shared.bus import connect
from shared.service import Context
from shared.settings import Settings
from tests.api import Api, Response, User
from tests.eventually import eventually

JHH = "the-johns-hopkins-hospital-baltimore-md"
JHH_POINT = (39.296109, -76.591972)


def future(days: int) -> str:
    return str(date.today() + timedelta(days=days))


def listing_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Quiet room near Johns Hopkins",
        "description": "Furnished room, 10 minutes' walk to the hospital.",
        "room_type": "private_room",
        "address": "1800 E Monument St, Baltimore, MD",
        "latitude": JHH_POINT[0] + 0.004,
        "longitude": JHH_POINT[1] - 0.003,
        "monthly_rent": 1095,
        "amenities": ["wifi", "desk"],
        "available_from": future(10),
        "available_to": future(200),
        "min_stay_nights": 14,
    }
    body.update(overrides)
    return body


async def create_listing(api: Api, host: User, **overrides: Any) -> dict[str, Any]:
    r = await api.call("POST", "/listings", host, json=listing_body(**overrides))
    assert r.status == 201, r.body
    return r.body  # type: ignore[no-any-return]


async def held_at_insert(stack: Stack, table: str, calls: list[Awaitable[Response]]) -> list[Response]:
    """Send ``calls`` at once while ``table`` (schema-qualified) takes no insert, and let
    them go once each waits on a lock: at its insert, or at a lock it takes before checking
    for a copy. Every copy has then done all it does before writing, the moment two copies
    can both find none; only a lock held from the check to the commit makes them one."""
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    probe = await asyncpg.connect(stack.database_url)
    try:
        tx = conn.transaction()
        await tx.start()
        # EXCLUSIVE: reads go on, writes wait.
        await conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        sent = [asyncio.ensure_future(call) for call in calls]

        async def waiting() -> int:
            # A call answered while the insert is held never got to wait: say why at once.
            if answered := next((task for task in sent if task.done()), None):
                raise AssertionError(f"a call was answered before the insert was released: {answered.result()}")
            # From a connection of its own, outside the transaction holding the table: a
            # transaction reads pg_stat_activity's list of backends once and keeps it, so
            # a pool connection opened for one of the calls after the first read was never
            # seen and the calls were counted short (flaky: it depended on how many
            # connections the service's pool already had).
            return int(
                await probe.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                )
            )

        try:
            # Generous: the calls get there for sure, but photos are processed one at a time
            # by one worker process that yields the CPU (niced), and on a busy machine four
            # took more than 20 s to reach their lock (CI, with other test runs beside it).
            everyone = len(calls)
            await eventually(waiting, 120, what=f"{everyone} calls waiting on a lock", until=lambda n: n >= everyone)
        finally:
            await tx.rollback()
            # Answered whether or not they all got there: no request outlives the test.
            await asyncio.wait(sent)
        return [task.result() for task in sent]
    finally:
        await probe.close()
        await conn.close()


async def request_stay(api: Api, guest: User, listing_id: str, start: int = 30, nights: int = 28) -> Any:
    return await api.call(
        "POST",
        f"/listings/{listing_id}/bookings",
        guest,
        json={
            "check_in": future(start),
            "check_out": future(start + nights),
            "message": "Rotating in cardiology",
            "hospital_id": JHH,
        },
    )


async def upload(
    api: Api,
    user: User | None,
    listing_id: str,
    data: bytes,
    *,
    alt_text: str | None = "A bright room with a desk by the window",
    filename: str = "room.jpg",
    content_type: str = "image/jpeg",
    extra: dict[str, str] | None = None,
) -> Response:
    form = aiohttp.FormData()
    if alt_text is not None:
        form.add_field("alt_text", alt_text)
    for name, value in (extra or {}).items():
        form.add_field(name, value)
    form.add_field("file", data, filename=filename, content_type=content_type)
    headers = {"Authorization": f"Bearer {user.token}"} if user else {}
    assert api.http
    async with api.http.post(f"{api.base}/api/v1/listings/{listing_id}/photos", data=form, headers=headers) as r:
        return Response(r.status, await r.json(content_type=None), r.headers.copy())  # type: ignore[arg-type]


# --- payments: what the browser does with Stripe.js, done against localstripe --------
# Test cards localstripe knows: succeeds, declined when charged, asks for 3-D Secure.
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"
CARD_3DS = "4000000000003220"


async def stripe_call(api: Api, stripe_url: str, path: str, body: dict[str, Any]) -> Any:
    """A call to the Stripe server as Stripe.js makes it (the card never reaches Wardmate)."""
    headers = {"Authorization": "Bearer sk_test_browser"}
    return await api.call("POST", f"{stripe_url}{path}", json=body, headers=headers)


async def pay_intent(api: Api, stripe_url: str, intent_id: str, card: str = CARD_OK) -> Any:
    """Attach a test card to the PaymentIntent and confirm it; the intent's answer."""
    method = await stripe_call(
        api,
        stripe_url,
        "/v1/payment_methods",
        {"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"}},
    )
    assert method.status == 200, method.body
    updated = await stripe_call(
        api, stripe_url, f"/v1/payment_intents/{intent_id}", {"payment_method": method.body["id"]}
    )
    assert updated.status == 200, updated.body
    return await stripe_call(api, stripe_url, f"/v1/payment_intents/{intent_id}/confirm", {})


async def start_payment(api: Api, guest: User, booking_id: str, timeout: float = 15) -> Any:
    """POST /bookings/{id}/pay once payments has heard of the acceptance (an event away)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await api.call("POST", f"/bookings/{booking_id}/pay", guest)
        waiting = r.status == 404 or (r.status == 409 and "nothing to pay yet" in r.body["error"]["message"])
        if not waiting or asyncio.get_running_loop().time() > deadline:
            return r
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def accounts_jobs(stack: Stack, **settings: Any) -> AsyncIterator[Context]:
    """A context for running accounts' background jobs from a test (its database, NATS and
    the Stack's mail sink), with these ``settings`` (a moved clock, a wait)."""
    env = stack.env("accounts")
    configured = Settings(
        database_url=env["WARDMATE_DATABASE_URL"],
        nats_url=env["WARDMATE_NATS_URL"],
        smtp_host="127.0.0.1",
        smtp_port=int(env["WARDMATE_SMTP_PORT"]),
        smtp_security="none",
        public_url=stack.url,
        **settings,
    )
    pool = await asyncpg.create_pool(configured.database_url, server_settings={"search_path": "accounts"})
    nc = await connect(configured.nats_servers, "accounts-jobs-test")
    try:
        yield Context(None, "test", pool, configured, nc)
    finally:
        await nc.close()
        await pool.close()


async def mail_suggestions(stack: Stack) -> int:
    """Mail the match suggestions waiting in accounts, as its job does once they have waited:
    the suite's accounts waits an hour (``WARDMATE_SUGGESTION_MAIL_WAIT_S``), so that what one
    mail holds is decided here, not by how fast a loaded machine delivered the events."""
    # Every suggestion held until now has waited long enough.
    async with accounts_jobs(stack, suggestion_mail_wait_s=60, clock_offset_s=120) as ctx:
        return await jobs.suggestions_once(ctx, Mailer(ctx.settings))


async def held_suggestions(stack: Stack, user_id: str) -> int:
    """How many match suggestions wait in accounts to be mailed to the user."""
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM accounts.suggestion_mails WHERE user_id = $1", user_id))
    finally:
        await conn.close()
