"""Notification mail through a real SMTP server (the Stack's sink): what it says, its
RFC 8058 one-click unsubscribe, preferences, and the daily digest (run with a moved clock)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg

from services.accounts import jobs, store
from services.accounts.mailer import Mailer
from services.runner import Stack
from shared.bus import connect
from shared.mailsink import start_sink
from shared.service import Context
from shared.settings import Settings
from tests.api import Api
from tests.e2e.helpers import create_listing, request_stay
from tests.e2e.mentoring import accepted_pair, letter_request
from tests.e2e.test_metrics import metrics_url, scrape, value


async def test_notification_mail_names_room_and_person_and_unsubscribes_in_one_click(api: Api) -> None:
    """A booking request mails the host (room, guest, link into the client); the mail's
    one-click POST turns that kind off without a login; later requests mail nothing, other
    kinds still come; each event is mailed once."""
    host = await api.signup("professional", "Dr. Mail Host")
    guest = await api.signup("student", "Mail Guest")
    listing = await create_listing(api, host, title="Mailed room near JHH")
    first = await request_stay(api, guest, listing["id"])
    assert first.status == 201

    [mail] = await api.mail(host.email, "New booking request")
    text = mail.part("text/plain")
    assert "Mailed room near JHH" in text and "Mail Guest" in text, text
    assert "Mailed room near JHH" in mail.part("text/html")
    link = mail.link("/#/inbox/")
    assert link.startswith(api.base)
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(mail.message["List-Unsubscribe"]).strip("<>")
    assert urlsplit(unsubscribe).path == "/api/v1/mail/unsubscribe"

    # RFC 8058: a form POST with no session, from the mail provider's servers.
    assert api.http is not None
    async with api.http.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}) as r:
        assert r.status == 200
        assert "booking_requested" in (await r.json())["muted_kinds"]
    async with api.http.post(unsubscribe.replace("token=", "token=x"), data={"List-Unsubscribe": "One-Click"}) as r:
        assert r.status == 400
    prefs = await api.call("GET", "/me/notification-preferences", host)
    assert prefs.body["muted_kinds"] == ["booking_requested"] and prefs.body["digest"] is True

    declined = await api.call("POST", f"/bookings/{first.body['id']}/decline", host)
    assert declined.status == 200
    await api.mail(guest.email, "Booking request declined")
    second = await request_stay(api, guest, listing["id"])
    cancelled = await api.call("POST", f"/bookings/{second.body['id']}/cancel", guest)
    assert cancelled.status == 200
    # The cancellation (after the second request) reaches the host: the request did not.
    await api.mail(host.email, "Booking cancelled")
    assert len([m for m in api.mailbox.to(host.email) if "New booking request" in m.subject]) == 1  # type: ignore[union-attr]
    assert len([m for m in api.mailbox.to(guest.email) if "declined" in m.subject]) == 1  # type: ignore[union-attr]


async def test_a_letters_mails_open_that_request(api: Api) -> None:
    """Each mail of a letter links to its request, where the reader acts (they linked to
    the notifications, whose notice opened the list of letters); the writer reads that
    the student confirmed the letter arrived, not "confirmed your letter request"."""
    student, writer, _ = await accepted_pair(api, student=await api.signup("student", "Mailed Amina"))
    asked = await api.call("POST", "/letters", student, json=letter_request(writer))
    assert asked.status == 201, asked.body
    page = f"/#/letters/{asked.body['id']}"
    [requested] = await api.mail(writer.email, "A letter of recommendation was requested")
    assert requested.link(page).endswith(page)
    assert (await api.call("POST", f"/letters/{asked.body['id']}/accept", writer)).status == 200
    [accepted] = await api.mail(student.email, "Your letter request was accepted")
    assert accepted.link(page).endswith(page)
    assert (await api.call("POST", f"/letters/{asked.body['id']}/submit", writer, json={})).status == 200
    assert (await api.call("POST", f"/letters/{asked.body['id']}/confirm", student)).status == 200
    [confirmed] = await api.mail(writer.email, "The student confirmed your letter arrived")
    assert confirmed.link(page).endswith(page)
    assert "Mailed Amina confirmed your letter arrived" in confirmed.part("text/plain")


async def test_preferences_validate_and_round_trip(api: Api) -> None:
    """PUT replaces the muted kinds and the digest switch; an unknown kind is a 400."""
    user = await api.signup()
    bad = await api.call("PUT", "/me/notification-preferences", user, json={"muted_kinds": ["spam"], "digest": True})
    assert bad.status == 400
    put = await api.call(
        "PUT",
        "/me/notification-preferences",
        user,
        json={"muted_kinds": ["match_suggested", "booking_expired", "match_suggested"], "digest": False},
    )
    assert put.status == 200 and put.body["muted_kinds"] == ["booking_expired", "match_suggested"]
    assert put.body["digest"] is False


async def test_daily_digest_counts_unread_messages_once_a_day(api: Api, stack: Stack) -> None:
    """With the clock moved to a day whose digest hour has passed, a user with unread
    messages gets one digest (a second run sends none); one who turned it off gets none."""
    alice, bob, carol = await api.signup(name="Alice"), await api.signup(name="Bob"), await api.signup(name="Carol")
    for sender, to in ((alice, bob), (alice, carol), (carol, bob)):
        r = await api.call("POST", "/conversations", sender, json={"user_id": to.id, "body": "Are you rotating soon?"})
        assert r.status == 200, r.body
    off = await api.call("PUT", "/me/notification-preferences", carol, json={"muted_kinds": [], "digest": False})
    assert off.status == 200

    # A day no other run has used: 30 days ahead, at 23:00 UTC (past any digest hour).
    target = (datetime.now(UTC) + timedelta(days=30)).replace(hour=23, minute=0)
    env = stack.env("accounts")
    settings = Settings(
        database_url=env["WARDMATE_DATABASE_URL"],
        nats_url=env["WARDMATE_NATS_URL"],
        smtp_host="127.0.0.1",
        smtp_port=int(env["WARDMATE_SMTP_PORT"]),
        smtp_security="none",
        public_url=stack.url,
        clock_offset_s=(target - datetime.now(UTC)).total_seconds(),
    )
    pool = await asyncpg.create_pool(settings.database_url, server_settings={"search_path": "accounts"})
    nc = await connect(settings.nats_servers, "digest-test")
    try:
        # More confirmed users with nothing unread than a batch, sorting before everyone
        # (ids from 00000000-…): a round that read the first batch only never got past them.
        async with pool.acquire() as conn, conn.transaction():
            for n in range(jobs.BATCH + 1):
                quiet = uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")
                if await conn.fetchval("SELECT 1 FROM users WHERE id = $1", quiet) is None:
                    await store.insert_user(conn, quiet, f"quiet-{n}@test.wardmate", "-", f"Quiet {n}", "student")
                    await conn.execute("UPDATE users SET email_verified_at = now() WHERE id = $1", quiet)
        ctx = Context(None, "test", pool, settings, nc)
        mailer = Mailer(settings)
        total = 0
        # Other tests' users are candidates too: run rounds until ours is done.
        for _ in range(50):
            sent = await jobs.digest_once(ctx, mailer)
            total += sent
            if sent == 0:
                break
        assert await jobs.digest_once(ctx, mailer) == 0  # nothing twice
    finally:
        await nc.close()
        await pool.close()
    [digest] = await api.mail(bob.email, "unread messages on Wardmate")
    assert "2 unread messages in 2 conversations" in digest.part("text/plain")
    assert digest.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The sink wrote each mail before it answered 250, so what is not there was not sent.
    assert [m for m in api.mailbox.to(carol.email) if "unread" in m.subject] == []  # type: ignore[union-attr]
    assert len([m for m in api.mailbox.to(bob.email) if "unread" in m.subject]) == 1  # type: ignore[union-attr]


async def test_a_mail_server_outage_delays_mail_without_losing_it(api: Api, stack: Stack) -> None:
    """With the SMTP server down, a confirmation mail is retried (not dropped, not sent
    twice); once the server is back on its port the mail arrives, exactly once."""
    assert api.http is not None and stack.mail_sink is not None
    port = stack.mail_sink.port
    retried = {"consumer": "accounts-mail-account", "outcome": "retried"}
    before = value(await scrape(api.http, metrics_url(stack, "accounts")), "wardmate_consumer_events_total", **retried)
    stack.mail_sink.stop()
    try:
        user = await api.signup(verify=False)
        deadline = time.monotonic() + 20
        while (
            value(await scrape(api.http, metrics_url(stack, "accounts")), "wardmate_consumer_events_total", **retried)
            <= before
        ):
            assert time.monotonic() < deadline, "the mail was not retried"
            await asyncio.sleep(0.1)
        assert api.mailbox is not None and api.mailbox.to(user.email) == []
    finally:
        stack.mail_sink = start_sink(stack.mail_dir, stack.data_dir / "mail-sink.log", port)
    await api.verify(user)
    assert len(api.mailbox.to(user.email)) == 1
