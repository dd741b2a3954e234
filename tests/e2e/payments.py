"""What the payments end-to-end tests share: an operator, payments' own database, a moved
clock (for a job, or the running service restarted on it), reconciliation, an accepted or
a paid booking, and a step killed mid-way."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg

from services.accounts.admin import ensure_admin
from services.runner import Stack
from shared.db import create_pool
from shared.settings import Settings
from tests.api import Api, User, random_email
from tests.e2e.helpers import create_listing, pay_intent, request_stay, start_payment
from tests.eventually import eventually

ADMIN_PASSWORD = "an-admin-password-1"


async def make_admin(api: Api, stack: Stack) -> User:
    """A new operator, logged in."""
    email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), email, ADMIN_PASSWORD)
    login = await api.call("POST", "/auth/login", json={"email": email, "password": ADMIN_PASSWORD})
    return User(login.body["user"]["id"], login.body["token"], email, "admin")


@contextlib.asynccontextmanager
async def payments_pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """The running system's payments schema, as the service's own role sees it."""
    pool = await create_pool(stack.service_url("payments"), "payments", size=2)
    try:
        yield pool
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def clock_moved(stack: Stack, service: str, offset: timedelta, **env: str) -> AsyncIterator[None]:
    """The running ``service`` restarted on a clock moved by ``offset`` (ahead, or back),
    with ``env`` besides, and back on the real clock after: what its handlers, consumers
    and sweeps decide reads that clock (``shared.clock``)."""
    real = stack.extra_env
    await asyncio.to_thread(stack.stop_process, service)
    stack.extra_env = {**real, "WARDMATE_CLOCK_OFFSET_S": str(offset.total_seconds()), **env}
    try:
        stack.start(service)
    finally:
        stack.extra_env = real
    try:
        await asyncio.to_thread(stack.wait_healthy, 60)
        yield
    finally:
        await asyncio.to_thread(stack.stop_process, service)
        stack.start(service)
        await asyncio.to_thread(stack.wait_healthy, 60)


@contextlib.asynccontextmanager
async def payments_ahead(stack: Stack, offset: timedelta) -> AsyncIterator[None]:
    """The running payments service restarted on a clock ``offset`` ahead, and back on the
    real one after: what it decides inside its own consumers (a cancellation's refund) or
    sweeps reads that clock, as days into a stay. Its sweeps run each second meanwhile."""
    async with clock_moved(stack, "payments", offset, WARDMATE_PAYMENT_SWEEP_S="1"):
        yield


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
    api: Api, policy: str = "moderate", start: int = 30, nights: int = 28, **listing_fields: Any
) -> tuple[User, User, dict[str, Any]]:
    host = await api.signup("professional", "Dr. Host")
    guest = await api.signup("student", "Student")
    listing = await create_listing(api, host, cancellation_policy=policy, **listing_fields)
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


async def pay(api: Api, stack: Stack, guest: User, booking_id: str) -> None:
    """The guest pays the accepted booking's first payment with a good card; until it is
    confirmed."""
    assert stack.stripe is not None
    intent = await start_payment(api, guest, booking_id)
    assert intent.status == 200, intent.body
    confirmed = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])
    assert confirmed.status == 200 and confirmed.body["status"] == "succeeded", confirmed.body

    async def is_confirmed() -> bool:
        return await status_of(api, guest, booking_id) == "confirmed"

    await eventually(is_confirmed, 15, what="the booking confirmed by the payment")


async def paid_booking(
    api: Api, stack: Stack, policy: str = "moderate", start: int = 30, nights: int = 28, **listing_fields: Any
) -> tuple[User, User, dict[str, Any]]:
    host, guest, booking = await accepted_booking(api, policy, start=start, nights=nights, **listing_fields)
    await pay(api, stack, guest, booking["id"])
    return host, guest, booking


async def shift(api: Api, host: User, guest: User, booking_id: str, check_in: str, check_out: str) -> None:
    """The guest asks for new dates and the host accepts them."""
    asked = await api.call(
        "POST", f"/bookings/{booking_id}/shift", guest, json={"check_in": check_in, "check_out": check_out}
    )
    assert asked.status == 200, asked.body
    moved = await api.call("POST", f"/bookings/{booking_id}/shift/accept", host)
    assert moved.status == 200 and moved.body["check_out"] == check_out, moved.body


async def notified(api: Api, user: User, kind: str) -> str | None:
    """The text of the user's newest notification of ``kind``, if any."""
    r = await api.call("GET", "/notifications", user)
    return next((str(n["text"]) for n in r.body["items"] if n["kind"] == kind), None)


def crash_step(stack: Stack, step: str, target: str) -> int:
    """Run payments' ``step`` in a process killed by SIGKILL right after Stripe answered."""
    assert stack.stripe is not None
    env = {**os.environ, "WARDMATE_DATABASE_URL": stack.service_url("payments"), **stack.stripe.env()}
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.crash_step", step, target], env=env, capture_output=True, timeout=60
    )
    return done.returncode
