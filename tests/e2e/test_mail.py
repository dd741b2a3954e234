"""Notification mail through a real SMTP server (the Stack's sink): what it says, its
RFC 8058 one-click unsubscribe, preferences, and the daily digest (run with a moved clock)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from services.accounts import jobs, store
from services.accounts.mailer import Mailer
from services.runner import Stack
from shared.mailsink import start_sink
from tests.api import Api, User
from tests.e2e.helpers import accounts_jobs, create_listing, future, held_suggestions, mail_suggestions, request_stay
from tests.e2e.mentoring import accepted_pair, letter_request
from tests.e2e.test_metrics import metrics_url, scrape, value
from tests.eventually import eventually


async def test_notification_mail_names_room_and_person_and_unsubscribes_in_one_click(api: Api, stack: Stack) -> None:
    """A booking request mails the host (room, guest, link into the client); the mail's
    one-click POST turns that kind off without a login; later requests mail nothing, other
    kinds still come; each event is mailed once."""
    host = await api.signup("professional", "Dr. Mail Host")
    guest = await api.signup("student", "Mail Guest")
    listing = await create_listing(api, host, title="Mailed room near JHH")
    first = await request_stay(api, guest, listing["id"])
    assert first.status == 201

    [mail] = await api.mail(host.email, "New booking request")
    # The subject names the room: a host of several rooms told the mails apart only inside.
    assert mail.subject == "New booking request — Mailed room near JHH", mail.subject
    text = mail.part("text/plain")
    assert "Mailed room near JHH" in text and "Mail Guest" in text, text
    assert "Mailed room near JHH" in mail.part("text/html")
    # Into the request's card, where Accept and Decline are (it opened the conversation).
    link = mail.link(f"/#/bookings?booking={first.body['id']}")
    assert link.startswith(api.base)
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(mail.message["List-Unsubscribe"]).strip("<>")
    assert urlsplit(unsubscribe).path == "/api/v1/mail/unsubscribe"
    # Opened in a browser: a 303 to the page that asks, with the usual headers (it was
    # counted and logged as a 500, without a request id).
    assert api.http is not None
    counted = {"route": "/api/v1/mail/unsubscribe", "method": "GET"}
    before = await scrape(api.http, metrics_url(stack, "gateway"))
    async with api.http.get(unsubscribe, allow_redirects=False) as r:
        assert r.status == 303 and "#/unsubscribe?token=" in r.headers["Location"]
        assert r.headers["X-Request-Id"] and r.headers["X-Content-Type-Options"] == "nosniff"
    after = await scrape(api.http, metrics_url(stack, "gateway"))
    for status, more in (("303", 1), ("500", 0)):
        name = "wardmate_gateway_requests_total"
        assert value(after, name, **counted, status=status) - value(before, name, **counted, status=status) == more

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
    """PUT replaces the muted kinds and the digest switch; an unknown kind is a 400, and so
    is a kind of mail the user never gets (a student's host requests), saying which."""
    user = await api.signup()
    bad = await api.call("PUT", "/me/notification-preferences", user, json={"muted_kinds": ["spam"], "digest": True})
    assert bad.status == 400
    hosts_only = {"muted_kinds": ["booking_requested", "booking_expired", "letter_requested"], "digest": True}
    bad = await api.call("PUT", "/me/notification-preferences", user, json=hosts_only)
    assert bad.status == 400 and bad.body["error"]["details"] == [
        {"field": "muted_kinds", "message": "Not mail a student gets: booking_requested, letter_requested."}
    ], bad.body
    assert (await api.call("GET", "/me/notification-preferences", user)).body["muted_kinds"] == []
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
    # A host whose only unread message is Wardmate's own (a request without words): its
    # notice and mail told them already, and the digest mailed "1 unread message" again.
    dora = await api.signup("professional", "Dora")
    listing = await create_listing(api, dora)
    asked = {"check_in": future(30), "check_out": future(58)}
    assert (await api.call("POST", f"/listings/{listing['id']}/bookings", alice, json=asked)).status == 201

    async def unread_system_message() -> Any:
        counts = (await api.call("GET", "/me/unread", dora)).body
        return counts if counts["messages"] == 1 else None

    await eventually(unread_system_message, 15, what="the request's system message, unread by the host")

    # A day no other run has used: 30 days ahead, at 23:00 UTC (past any digest hour).
    target = (datetime.now(UTC) + timedelta(days=30)).replace(hour=23, minute=0)
    async with accounts_jobs(stack, clock_offset_s=(target - datetime.now(UTC)).total_seconds()) as ctx:
        # More confirmed users with nothing unread than a batch, sorting before everyone
        # (ids from 00000000-…): a round that read the first batch only never got past them.
        async with ctx.pool.acquire() as conn, conn.transaction():
            for n in range(jobs.BATCH + 1):
                quiet = uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")
                if await conn.fetchval("SELECT 1 FROM users WHERE id = $1", quiet) is None:
                    await store.insert_user(conn, quiet, f"quiet-{n}@test.wardmate", "-", f"Quiet {n}", "student")
                    await conn.execute("UPDATE users SET email_verified_at = now() WHERE id = $1", quiet)
        mailer = Mailer(ctx.settings)
        total = 0
        # Other tests' users are candidates too: run rounds until ours is done.
        for _ in range(50):
            sent = await jobs.digest_once(ctx, mailer)
            total += sent
            if sent == 0:
                break
        assert await jobs.digest_once(ctx, mailer) == 0  # nothing twice
    [digest] = await api.mail(bob.email, "unread messages on Wardmate")
    assert "2 unread messages in 2 conversations" in digest.part("text/plain")
    assert digest.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The sink wrote each mail before it answered 250, so what is not there was not sent.
    assert [m for m in api.mailbox.to(carol.email) if "unread" in m.subject] == []  # type: ignore[union-attr]
    assert len([m for m in api.mailbox.to(bob.email) if "unread" in m.subject]) == 1  # type: ignore[union-attr]
    assert [m for m in api.mailbox.to(dora.email) if "unread" in m.subject] == []  # type: ignore[union-attr]


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


FORT_HARRISON = ("fort-harrison-va-medical-center-fort-harrison-mt", 46.618663, -112.101787)


async def test_match_suggestions_that_come_together_go_in_one_mail(api: Api, stack: Stack) -> None:
    """A new rotation near two good rooms and a mentor was three mails in a second, each "A
    match for your rotation". The suggestions wait in accounts and go as one mail that lists
    each with its link, once; a suggestion alone reads as before; a student who turns the
    kind off meanwhile gets none, and the waiting ones are dropped."""
    hospital_id, lat, lon = FORT_HARRISON
    tag = uuid.uuid4().hex[:6]
    common = {"specialties": ["neurology"], "school_country": "NG", "languages": ["en", "yo"]}
    host = await api.signup("professional", f"Dr. Digest Host {tag}")
    assert (await api.call("PATCH", "/me/profile", host, json=common)).status == 200
    rooms = [
        await create_listing(
            api,
            host,
            title=f"Room {n} by Fort Harrison {tag}",
            latitude=lat + 0.002 * n,
            longitude=lon,
            monthly_rent=900,
        )
        for n in (1, 2)
    ]
    mentor = await api.signup("professional", f"Dr. Digest Mentor {tag}")
    opened = {**common, "hospital_ids": [hospital_id], "open_to_mentoring": True, "mentoring_capacity": 2}
    assert (await api.call("PATCH", "/me/profile", mentor, json=opened)).status == 200

    async def rotation_of(student: User) -> dict[str, Any]:
        assert (await api.call("PATCH", "/me/profile", student, json=common)).status == 200
        body = {
            "hospital_id": hospital_id,
            "specialty": "neurology",
            "start_date": future(40),
            "end_date": future(68),
            "monthly_budget": 2000,
            "room_types": ["private_room"],
            "amenities": ["wifi"],
        }
        r = await api.call("POST", "/rotations", student, json=body)
        assert r.status == 201, r.body
        return r.body  # type: ignore[no-any-return]

    async def suggested(student: User) -> list[dict[str, Any]]:
        r = await api.call("GET", "/notifications", student, params={"limit": "100"})
        assert r.status == 200, r.body
        return [n for n in r.body["items"] if n["kind"] == "match_suggested"]

    async def held_for(student: User, n: int) -> None:
        await eventually(lambda: held_suggestions(stack, student.id), what=f"{n} held", until=lambda held: held == n)

    kemi, muted = await api.signup("student", f"Kemi {tag}"), await api.signup("student", f"Muted {tag}")
    mine = await rotation_of(kemi)
    await rotation_of(muted)
    # Each suggestion is a notice of its own at once (two rooms and the mentor, and perhaps
    # other tests' rooms near this hospital); by mail they wait.
    notes = await eventually(lambda: suggested(kemi), what="Kemi's suggestions", until=lambda ns: len(ns) >= 3)
    await held_for(kemi, len(notes))
    assert [m for m in api.mailbox.to(kemi.email) if "match" in m.subject] == []  # type: ignore[union-attr]
    muted_notes = await eventually(lambda: suggested(muted), what="the other's", until=lambda ns: len(ns) >= 3)
    await held_for(muted, len(muted_notes))
    off = await api.call(
        "PUT", "/me/notification-preferences", muted, json={"muted_kinds": ["match_suggested"], "digest": True}
    )
    assert off.status == 200

    assert await mail_suggestions(stack) >= 1
    # One rotation's: "your rotation" (the subject says "rotations" when they are for several).
    [mail] = await api.mail(kemi.email, f"{len(notes)} matches for your rotation")
    assert mail.subject == f"{len(notes)} matches for your rotation", mail.subject
    text = mail.part("text/plain")
    for note in notes:
        assert note["text"] in text, (note["text"], text)
    for room in rooms:
        assert f"Room {rooms.index(room) + 1} by Fort Harrison {tag}" in text
        assert mail.link(f"/#/listings/{room['id']}?rotation={mine['id']}")
    assert f"Dr. Digest Mentor {tag} could mentor you" in text
    assert mail.link(f"/#/rotations/{mine['id']}")
    assert "Fort Harrison" in mail.part("text/html")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Sent once: the rows went with it; the muted student's were dropped, unsent.
    assert await held_suggestions(stack, kemi.id) == 0 and await held_suggestions(stack, muted.id) == 0
    await mail_suggestions(stack)
    assert len([m for m in api.mailbox.to(kemi.email) if "match" in m.subject]) == 1  # type: ignore[union-attr]
    assert [m for m in api.mailbox.to(muted.email) if "match" in m.subject] == []  # type: ignore[union-attr]

    # A third room later: one suggestion, one mail as before.
    late = await create_listing(
        api, host, title=f"Room 3 by Fort Harrison {tag}", latitude=lat + 0.006, longitude=lon, monthly_rent=900
    )
    await held_for(kemi, 1)
    await mail_suggestions(stack)
    [single] = await api.mail(kemi.email, "A match for your rotation")
    assert f"Room 3 by Fort Harrison {tag}" in single.part("text/plain")
    assert single.link(f"/#/listings/{late['id']}")
