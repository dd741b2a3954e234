"""Messaging through the gateway, every service its own process: conversations, messages,
read state, notifications from booking events (once, even when delivered twice), scam
warnings, blocks, reports, the send rate, and live pushes with their replay."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import orjson
import pytest

from services.runner import Stack
from shared import bus, subjects
from shared.bus import EVENTS_STREAM
from shared.contracts.base import Actor
from shared.contracts.messaging import PushesSince, PushReplay
from shared.push import user_subject
from tests.api import Api, Response, User
from tests.e2e.helpers import JHH, create_listing, request_stay
from tests.e2e.mentoring import accepted_pair
from tests.e2e.test_matching import profile
from tests.eventually import eventually

ADMIN_PASSWORD = "an-admin-password-1"


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    yield conn
    await conn.close()


async def start(api: Api, me: User, other: User, body: str | None = None, **extra: Any) -> Response:
    payload: dict[str, Any] = {"user_id": other.id, **extra}
    if body is not None:
        payload["body"] = body
    return await api.call("POST", "/conversations", me, json=payload)


async def send(api: Api, me: User, conversation_id: str, body: str, **extra: Any) -> Response:
    return await api.call("POST", f"/conversations/{conversation_id}/messages", me, json={"body": body, **extra})


async def test_direct_conversation_messages_and_read_state(api: Api) -> None:
    """One direct conversation per pair whoever starts it; a resent client id stores one
    message; history pages back newest first; reading moves unread counts."""
    host = await api.signup("professional", "Dr. Amara")
    student = await api.signup("student", "Chidi")
    first = await start(api, student, host, "  Hello, is the room free in March?  ", client_message_id="c-1")
    assert first.status == 200, first.body
    conversation = first.body
    assert conversation["kind"] == "direct" and conversation["about"] is None
    other = {
        "id": host.id,
        "display_name": "Dr. Amara",
        "role": "professional",
        "verified": False,
        "deleted": False,
        "suspended": False,
    }
    assert conversation["other"] == other
    assert conversation["last_message"]["body"] == "Hello, is the room free in March?"  # trimmed
    cid = conversation["id"]
    assert (await start(api, student, host)).body["id"] == cid
    assert (await start(api, host, student)).body["id"] == cid
    # The same first message again (a retried request) is the stored one.
    again = await start(api, student, host, "Hello, is the room free in March?", client_message_id="c-1")
    assert again.body["last_message"]["id"] == conversation["last_message"]["id"]

    sent = [await send(api, student, cid, f"message {i}", client_message_id=f"m-{i}") for i in range(4)]
    assert all(r.status == 201 for r in sent), [r.body for r in sent]
    resent = await send(api, student, cid, "message 3", client_message_id="m-3")
    assert resent.status == 201 and resent.body["id"] == sent[3].body["id"]

    inbox = await api.call("GET", "/conversations", host)
    assert inbox.status == 200
    [item] = [c for c in inbox.body["items"] if c["id"] == cid]
    assert item["unread_count"] == 5 and item["last_message"]["body"] == "message 3"
    assert item["other"]["display_name"] == "Chidi"
    assert inbox.body["unread"] == {"messages": 5, "conversations": 1, "notifications": 0}
    mine = await api.call("GET", "/conversations", student)
    assert next(c for c in mine.body["items"] if c["id"] == cid)["unread_count"] == 0

    bodies, before = [], None
    while True:
        params = {"limit": "2", **({"before": before} if before else {})}
        page = await api.call("GET", f"/conversations/{cid}/messages", host, params=params)
        assert page.status == 200, page.body
        bodies += [m["body"] for m in page.body["items"]]
        before = page.body["next_cursor"]
        if not before:
            break
    assert bodies == ["message 3", "message 2", "message 1", "message 0", "Hello, is the room free in March?"]

    read = await api.call("POST", f"/conversations/{cid}/read", host, json={"message_id": sent[1].body["id"]})
    assert read.status == 200 and read.body["unread_count"] == 2
    assert read.body["last_read_message_id"] == sent[1].body["id"]
    assert (await api.call("GET", "/me/unread", host)).body == {"messages": 2, "conversations": 1, "notifications": 0}
    assert (await api.call("POST", f"/conversations/{cid}/read", host, json={})).body["unread_count"] == 0
    assert (await api.call("GET", "/me/unread", host)).body["messages"] == 0
    # A reply reads everything before it for its sender.
    await send(api, host, cid, "Yes, it is!")
    assert (await api.call("GET", f"/conversations/{cid}", student)).body["unread_count"] == 1

    for bad in ("   ", "x" * 4001):
        r = await send(api, student, cid, bad)
        assert r.status == 400 and r.error_code == "validation", r.body
    assert (await start(api, student, student)).status == 400
    unknown = await api.call("POST", "/conversations", student, json={"user_id": str(uuid.uuid4())})
    assert unknown.status == 404


async def test_only_participants_see_a_conversation(api: Api) -> None:
    """A third user gets 404 on every endpoint of a conversation and never sees it listed."""
    alice = await api.signup("student")
    bob = await api.signup("student")
    mallory = await api.signup("student")
    cid = (await start(api, alice, bob, "private words")).body["id"]
    message_id = (await api.call("GET", f"/conversations/{cid}", alice)).body["last_message"]["id"]
    attempts = [
        ("GET", f"/conversations/{cid}", None),
        ("GET", f"/conversations/{cid}/messages", None),
        ("POST", f"/conversations/{cid}/messages", {"body": "let me in"}),
        ("POST", f"/conversations/{cid}/read", {}),
        ("POST", f"/conversations/{cid}/read", {"message_id": message_id}),
    ]
    for method, path, body in attempts:
        r = await api.call(method, path, mallory, json=body)
        assert r.status == 404 and r.error_code == "not_found", (method, path, r.body)
    report = await api.call("POST", "/reports", mallory, json={"message_id": message_id, "reason": "spam"})
    assert report.status == 404
    assert (await api.call("GET", "/conversations", mallory)).body["items"] == []
    assert (await api.call("GET", "/me/unread", mallory)).body["messages"] == 0
    # Both participants do see it; and nobody without a session.
    for who in (alice, bob):
        assert (await api.call("GET", f"/conversations/{cid}/messages", who)).status == 200
    assert (await api.call("GET", f"/conversations/{cid}", None)).status == 401


async def test_booking_request_reaches_the_host_once(api: Api, stack: Stack, db: asyncpg.Connection) -> None:
    """A booking request gives the host one notification and a booking conversation with
    the request as a system message and the guest's words; delivered a second time, the
    event changes nothing. Decisions notify the other party."""
    host = await api.signup("professional", "Dr. Host")
    guest = await api.signup("student", "Student Guest")
    listing = await create_listing(api, host, title="Room by the park")
    booking = (await request_stay(api, guest, listing["id"])).body

    async def host_notified() -> Any:
        page = await api.call("GET", "/notifications", host)
        return page.body["items"] or None

    [note] = await eventually(host_notified, 15, what="the host's notification")
    assert note["kind"] == "booking_requested" and note["booking_id"] == booking["id"] and not note["read"]
    assert "“Room by the park”" in note["text"]
    inbox = await api.call("GET", "/conversations", host)
    [conversation] = inbox.body["items"]
    assert conversation["id"] == note["conversation_id"]
    assert conversation["about"] == {
        "kind": "booking",
        "id": booking["id"],
        "status": "requested",
        "listing_id": listing["id"],
        "title": "Room by the park",
    }
    assert conversation["unread_count"] == 2 and conversation["other"]["id"] == guest.id
    history = await api.call("GET", f"/conversations/{conversation['id']}/messages", host)
    assert [(m["kind"], m["sender_id"]) for m in history.body["items"]] == [("text", guest.id), ("system", None)]
    assert history.body["items"][0]["body"] == "Rotating in cardiology"

    # Deliver the same event again (a new broker message id, so JetStream keeps it).
    rows = await db.fetch(
        "SELECT event_id, payload FROM listings.outbox WHERE subject = 'events.listings.booking.requested'"
    )
    [event] = [r for r in rows if json.loads(bytes(r["payload"]))["booking"]["booking_id"] == booking["id"]]
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "e2e-redeliver")
    try:
        js = nc.jetstream()
        ack = await js.publish(
            "events.listings.booking.requested",
            bytes(event["payload"]),
            headers={"Nats-Msg-Id": f"{event['event_id']}-again"},
        )

        async def consumed() -> bool:
            info = await js.consumer_info(EVENTS_STREAM, "messaging-bookings")
            return info.delivered.stream_seq >= ack.seq and info.num_ack_pending == 0 and info.num_pending == 0

        await eventually(consumed, 15, what="messaging to take the redelivered event")
    finally:
        await nc.close()
    assert len((await api.call("GET", "/notifications", host)).body["items"]) == 1
    again = await api.call("GET", f"/conversations/{conversation['id']}/messages", host)
    assert len(again.body["items"]) == 2
    assert (
        await db.fetchval(
            "SELECT count(*) FROM messaging.inbox WHERE consumer = 'messaging-bookings' AND event_id = $1",
            event["event_id"],
        )
        == 1
    )

    assert (await api.call("POST", f"/bookings/{booking['id']}/accept", host)).status == 200

    async def guest_notified() -> Any:
        page = await api.call("GET", "/notifications", guest, params={"unread": "true"})
        return [n for n in page.body["items"] if n["kind"] == "booking_accepted"]

    [accepted] = await eventually(guest_notified, 15, what="the guest's notification")
    assert accepted["booking_id"] == booking["id"]
    host_view = await api.call("GET", f"/conversations/{conversation['id']}", host)
    assert host_view.body["about"]["status"] == "accepted"
    assert host_view.body["last_message"]["kind"] == "system"
    # After acceptance, contacts are expected: no warning for a phone number now.
    reply = await send(api, host, conversation["id"], "Welcome! Call me at 410-555-0100 when you land.")
    guest_history = await api.call("GET", f"/conversations/{conversation['id']}/messages", guest)
    assert guest_history.body["items"][0]["id"] == reply.body["id"]
    assert guest_history.body["items"][0]["warning"] is None

    read = await api.call("POST", "/notifications/read", host, json={})
    assert read.status == 200 and read.body["notifications"] == 0
    assert (await api.call("GET", "/notifications", host, params={"unread": "true"})).body["items"] == []


async def test_requests_made_at_once_after_signup_name_the_person(api: Api, stack: Stack) -> None:
    """Messaging's "users" consumer is held back (paused, as a slow or busy one would be):
    a booking request and a mentorship request made right after signup still name the
    guest and the student in the notification and the conversation, never "A guest"."""
    host = await api.signup("professional", "Dr. Paused Host")
    mentor = await api.signup("professional", "Dr. Paused Mentor")
    await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=3, hospital_ids=[JHH])
    listing = await create_listing(api, host, title="Room by the paused park")
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "e2e-pause-users")
    js = nc.jetstream()
    try:
        await js.pause_consumer(EVENTS_STREAM, "messaging-users", "2099-01-01T00:00:00Z")
        guest = await api.signup("student", "Prompt Guest")
        assert (await request_stay(api, guest, listing["id"])).status == 201
        asked = await eventually(
            lambda: api.call("POST", "/mentorships", guest, json={"mentor_id": mentor.id}),
            10,
            what="matching to know the mentor",
            until=lambda r: r.status == 201,
            interval=0.1,
        )
        for user, kind in ((host, "booking_requested"), (mentor, "mentorship_requested")):
            notes = await eventually(
                lambda u=user: api.call("GET", "/notifications", u),
                15,
                what=f"the {kind} notification",
                until=lambda r: r.body["items"],
            )
            [note] = notes.body["items"]
            assert note["kind"] == kind and note["text"].startswith("Prompt Guest "), note
            messages = await api.call("GET", f"/conversations/{note['conversation_id']}/messages", user)
            assert any(m["body"].startswith("Prompt Guest ") for m in messages.body["items"]), messages.body
        assert asked.body["status"] == "requested"
        # The pause held: the users consumer has not taken the guest's events yet.
        assert (await js.consumer_info(EVENTS_STREAM, "messaging-users")).num_pending > 0
    finally:
        await js.resume_consumer(EVENTS_STREAM, "messaging-users")
        await nc.close()


async def test_scam_warnings_reach_the_recipient_and_the_operators(api: Api, admin: User) -> None:
    """A message asking for a deposit by Western Union is delivered with a warning that
    the recipient sees (not the sender), and operators count it by rule."""
    scammer = await api.signup("professional")
    student = await api.signup("student")
    before = (await api.call("GET", "/admin/messaging/stats", admin)).body
    cid = (await start(api, scammer, student, "Hi! The bus stop is next to the Western Union.")).body["id"]
    sent = await send(api, scammer, cid, "To book, send the deposit via Western Union today.")
    assert sent.status == 201 and sent.body["warning"] is None  # the sender is not told
    seen = await api.call("GET", f"/conversations/{cid}/messages", student)
    flagged, clean = seen.body["items"]
    assert flagged["warning"].startswith("Possible scam") and "Western Union" in flagged["warning"]
    assert clean["warning"] is None
    listed = await api.call("GET", "/conversations", student)
    assert next(c for c in listed.body["items"] if c["id"] == cid)["last_message"]["warning"] == flagged["warning"]

    stats = await api.call("GET", "/admin/messaging/stats", admin)
    assert stats.status == 200
    assert stats.body["flagged_messages"] == before["flagged_messages"] + 1
    by_rule = stats.body["flagged_by_rule"]
    assert by_rule["wire_transfer"] == before["flagged_by_rule"].get("wire_transfer", 0) + 1
    assert (await api.call("GET", "/admin/messaging/stats", student)).status == 403


async def test_a_students_flagged_message_gives_its_host_a_hosts_advice(api: Api) -> None:
    """A student asking to pay by Western Union: the host read "Pay only through Wardmate: it
    holds your payment … Never pay a host by wire", advice for a guest."""
    host, student = await api.signup("professional", "Dr. Careful"), await api.signup("student", "Wire Asker")
    cid = (await start(api, student, host, "Hello! Is the room free in March?")).body["id"]
    sent = await send(api, student, cid, "Can I pay the deposit by Western Union instead?")
    assert sent.status == 201, sent.body
    [flagged] = [
        m
        for m in (await api.call("GET", f"/conversations/{cid}/messages", host)).body["items"]
        if m["id"] == sent.body["id"]
    ]
    assert flagged["warning"].startswith("Possible scam"), flagged
    assert "Take payment only through Wardmate" in flagged["warning"], flagged
    assert "Never pay a host" not in flagged["warning"], flagged


async def test_a_scam_warning_in_a_mentorship_speaks_of_mentoring(api: Api) -> None:
    """A mentor's "session fee" by Zelle was flagged with advice about stays, check-in and
    hosts; in a mentorship the warning says Wardmate takes no payment for mentoring."""
    student, mentor, mentorship_id = await accepted_pair(api)

    async def conversation() -> dict[str, Any] | None:
        listed = (await api.call("GET", "/conversations", mentor)).body["items"]
        return next((c for c in listed if c["about"] and c["about"]["id"] == mentorship_id), None)

    found = await eventually(conversation, 10, what="the mentorship's conversation")
    assert found is not None
    sent = await send(api, mentor, found["id"], "Send $50 by Zelle for the session fee before we meet.")
    assert sent.status == 201, sent.body
    [flagged] = [
        m
        for m in (await api.call("GET", f"/conversations/{found['id']}/messages", student)).body["items"]
        if m["id"] == sent.body["id"]
    ]
    assert flagged["warning"].startswith("Possible scam: this message asks for payment through an app"), flagged
    assert "Wardmate takes no payment for mentoring" in flagged["warning"] and "check-in" not in flagged["warning"]


async def test_blocked_users_cannot_start_or_write(api: Api) -> None:
    """After a block neither side can start a conversation or send (403); unblocking
    restores both."""
    host = await api.signup("professional")
    pest = await api.signup("student")
    cid = (await start(api, pest, host, "hello")).body["id"]
    blocked = await api.call("POST", f"/users/{pest.id}/block", host)
    assert blocked.status == 200 and blocked.body == {"user_id": pest.id, "blocked": True}
    for attempt in (send(api, pest, cid, "hello?"), start(api, pest, host, "hi again"), send(api, host, cid, "x")):
        r = await attempt
        assert r.status == 403 and r.error_code == "forbidden", r.body
    assert (await api.call("POST", f"/users/{host.id}/block", host)).status == 400  # yourself
    assert (await api.call("GET", f"/conversations/{cid}/messages", pest)).status == 200  # history stays
    # The host's list shows whom they blocked (pages of one); the blocked user's is empty.
    other = await api.signup("student", "Second Pest")
    assert (await api.call("POST", f"/users/{other.id}/block", host)).status == 200
    first = await api.call("GET", "/me/blocks", host, params={"limit": "1"})
    assert [b["user_id"] for b in first.body["items"]] == [other.id] and first.body["next_cursor"]
    rest = await api.call("GET", "/me/blocks", host, params={"limit": "1", "cursor": first.body["next_cursor"]})
    assert [b["user_id"] for b in rest.body["items"]] == [pest.id] and rest.body["next_cursor"] is None
    assert (await api.call("GET", "/me/blocks", pest)).body["items"] == []
    # Each side reads only its own block of the other: the blocked user is not told.
    state = await api.call("GET", f"/users/{pest.id}/block", host)
    assert state.status == 200 and state.body == {"user_id": pest.id, "blocked": True}
    assert (await api.call("GET", f"/users/{host.id}/block", pest)).body == {"user_id": host.id, "blocked": False}
    assert (await api.call("GET", f"/users/{pest.id}/block", None)).status == 401
    unblocked = await api.call("DELETE", f"/users/{pest.id}/block", host)
    assert unblocked.status == 200 and unblocked.body["blocked"] is False
    assert [b["user_id"] for b in (await api.call("GET", "/me/blocks", host)).body["items"]] == [other.id]
    assert (await api.call("GET", f"/users/{pest.id}/block", host)).body["blocked"] is False
    assert (await send(api, pest, cid, "sorry")).status == 201


async def test_reports_go_to_the_operators_queue(api: Api, admin: User) -> None:
    """A participant reports a message (its text kept) or a user; admins list the open
    queue, resolve a report once; nobody else may."""
    host = await api.signup("professional")
    student = await api.signup("student")
    outsider = await api.signup("student")
    cid = (await start(api, host, student, "Pay me in gift cards, buy them and send the codes")).body["id"]
    message = (await api.call("GET", f"/conversations/{cid}/messages", student)).body["items"][0]
    hidden = await api.call("POST", "/reports", outsider, json={"message_id": message["id"], "reason": "scam"})
    assert hidden.status == 404
    own = await api.call("POST", "/reports", host, json={"message_id": message["id"], "reason": "scam"})
    assert own.status == 400
    both = {"message_id": message["id"], "user_id": host.id, "reason": "scam"}
    assert (await api.call("POST", "/reports", student, json=both)).status == 400
    report = await api.call(
        "POST", "/reports", student, json={"message_id": message["id"], "reason": "scam", "details": "gift cards"}
    )
    assert report.status == 201, report.body
    assert report.body["reported_user_id"] == host.id and report.body["message_body"] == message["body"]
    about_user = await api.call("POST", "/reports", student, json={"user_id": host.id, "reason": "harassment"})
    assert about_user.status == 201 and about_user.body["message_id"] is None

    assert (await api.call("GET", "/admin/reports", student)).status == 403
    queue = await api.call("GET", "/admin/reports", admin, params={"limit": "100"})
    assert queue.status == 200
    assert {report.body["id"], about_user.body["id"]} <= {r["id"] for r in queue.body["items"]}
    rid = report.body["id"]
    assert (await api.call("POST", f"/admin/reports/{rid}/resolve", student, json={})).status == 403
    resolved = await api.call("POST", f"/admin/reports/{rid}/resolve", admin, json={"resolution": "host suspended"})
    assert resolved.status == 200 and resolved.body["status"] == "resolved"
    assert resolved.body["resolved_by"] == admin.id and resolved.body["resolution"] == "host suspended"
    assert (await api.call("POST", f"/admin/reports/{rid}/resolve", admin, json={})).status == 409
    still_open = await api.call("GET", "/admin/reports", admin, params={"limit": "100"})
    assert rid not in {r["id"] for r in still_open.body["items"]}
    done = await api.call("GET", "/admin/reports", admin, params={"status": "resolved", "limit": "100"})
    assert rid in {r["id"] for r in done.body["items"]}
    missing = await api.call("POST", f"/admin/reports/{uuid.uuid4()}/resolve", admin, json={})
    assert missing.status == 404


async def test_the_reporter_hears_their_report_was_closed(api: Api, admin: User) -> None:
    """Resolving a report tells its reporter, once (a notice and a mail): which report, by
    the person and the message's first words; the message's notice opens its conversation.
    Not the operator's note, and nobody else: the reported user hears nothing."""
    host = await api.signup("professional", "Dr. Reported Host")
    student = await api.signup("student")
    words = "Send the deposit by Western Union to my cousin, not through the site, thanks a lot"
    cid = (await start(api, host, student, words)).body["id"]
    message = (await api.call("GET", f"/conversations/{cid}/messages", student)).body["items"][0]
    of_message = await api.call("POST", "/reports", student, json={"message_id": message["id"], "reason": "scam"})
    of_user = await api.call("POST", "/reports", student, json={"user_id": host.id, "reason": "harassment"})
    assert of_message.status == of_user.status == 201
    note = "Warned the reported user. Second strike, watch the account"
    for report in (of_message, of_user):
        done = await api.call("POST", f"/admin/reports/{report.body['id']}/resolve", admin, json={"resolution": note})
        assert done.status == 200, done.body

    notices = (await api.call("GET", "/notifications", student)).body["items"]
    told = [n for n in notices if n["kind"] == "report_resolved"]
    assert len(told) == 2, notices
    about_user, about_message = told  # newest first
    name = "Dr. Reported Host"
    assert about_message["text"].startswith(
        f"Wardmate looked into your report about {name}'s message “Send the deposit by Western Union to my cousin,"
    ), about_message
    assert "…”" in about_message["text"] and about_message["conversation_id"] == cid
    assert about_user["text"].startswith(f"Wardmate looked into your report about {name} and closed it.")
    assert about_user["conversation_id"] is None
    assert all("strike" not in n["text"] and "support@" in n["text"] for n in told)
    host_notices = (await api.call("GET", "/notifications", host)).body["items"]
    assert not [n for n in host_notices if n["kind"] == "report_resolved"]
    mails = await api.mail(student.email, "We looked into your report", count=2)
    links = {m.link("inbox/") for m in mails if "inbox/" in m.part("text/plain")}
    assert any(link.endswith(f"/#/inbox/{cid}") for link in links), links


async def test_a_report_is_filed_once_while_it_is_open(api: Api, admin: User) -> None:
    """Reporting the same message (or user) again, even several times at once, answers the
    reporter's open report: one item in the queue. Another reporter files their own; once
    resolved, the reporter can file a new one."""
    host = await api.signup("professional")
    student = await api.signup("student")
    cid = (await start(api, host, student, "Buy Steam gift cards and send me the codes")).body["id"]
    message = (await api.call("GET", f"/conversations/{cid}/messages", student)).body["items"][0]
    body = {"message_id": message["id"], "reason": "scam"}
    racing = await asyncio.gather(*(api.call("POST", "/reports", student, json=body) for _ in range(4)))
    assert [r.status for r in racing] == [201] * 4, [r.body for r in racing]
    assert len({r.body["id"] for r in racing}) == 1
    [first] = [r.body for r in racing if not r.body["already_open"]]  # one filed it
    assert first["details"] == "" and not any(r.body["added_to_open"] for r in racing)  # the others said nothing
    again = await api.call("POST", "/reports", student, json={**body, "reason": "spam", "details": "again!"})
    # The open report, with what was written now added (it was dropped) and its other reason.
    expected = {**first, "details": "As spam: again!", "already_open": True, "added_to_open": True}
    assert again.status == 201 and again.body == expected
    more = await api.call("POST", "/reports", student, json={**body, "details": "Sent me a link too."})
    assert more.body["details"] == "As spam: again!\n\nAdded later: Sent me a link too.", more.body
    nothing = await api.call("POST", "/reports", student, json=body)
    assert nothing.body["details"] == more.body["details"]  # nothing said: nothing added
    assert nothing.body["already_open"] is True and nothing.body["added_to_open"] is False
    same = await api.call("POST", "/reports", student, json={**body, "details": "Sent me a link too."})
    assert same.body["details"] == more.body["details"] and same.body["added_to_open"] is False, same.body

    async def open_reports_of(target: str, key: str) -> list[dict[str, Any]]:
        queue = await api.call("GET", "/admin/reports", admin, params={"limit": "100"})
        return [r for r in queue.body["items"] if r[key] == target]

    assert [r["id"] for r in await open_reports_of(message["id"], "message_id")] == [first["id"]]
    about_user = [
        await api.call("POST", "/reports", student, json={"user_id": host.id, "reason": "harassment"}) for _ in range(2)
    ]
    assert about_user[0].status == about_user[1].status == 201
    assert about_user[1].body == {**about_user[0].body, "already_open": True}  # nothing written: nothing added
    assert about_user[0].body["id"] != first["id"]  # a report of the user is not one of the message
    user_reports = [r for r in await open_reports_of(host.id, "reported_user_id") if r["message_id"] is None]
    assert [r["id"] for r in user_reports] == [about_user[0].body["id"]]

    # Resolved, the next report of the same message is a new one.
    assert (await api.call("POST", f"/admin/reports/{first['id']}/resolve", admin, json={})).status == 200
    later = await api.call("POST", "/reports", student, json=body)
    assert later.status == 201 and later.body["id"] != first["id"] and later.body["status"] == "open"
    assert [r["id"] for r in await open_reports_of(message["id"], "message_id")] == [later.body["id"]]


async def test_sending_is_rate_limited_per_user(api: Api) -> None:
    """The 31st message within a minute is refused with 429, retry_after_s and Retry-After."""
    sender = await api.signup("student")
    other = await api.signup("student")
    cid = (await start(api, sender, other)).body["id"]
    results = [await send(api, sender, cid, f"n{i}") for i in range(31)]
    assert [r.status for r in results[:30]] == [201] * 30
    refused = results[30]
    assert refused.status == 429 and refused.error_code == "rate_limited"
    assert 0 < refused.body["error"]["details"]["retry_after_s"] <= 60
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The refused message was not stored; the other user may still write.
    assert (await api.call("GET", f"/conversations/{cid}", other)).body["unread_count"] == 30
    assert (await send(api, other, cid, "slow down")).status == 201


async def test_live_pushes_are_numbered_and_replayed(api: Api, stack: Stack) -> None:
    """Each message reaches both participants' push subjects (sender included) with the
    user's next seq; a read pushes read and unread frames to the reader; replay after a
    seq returns the same frames from the database."""
    alice = await api.signup("student", "Alice")
    bob = await api.signup("student", "Bob")
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "e2e-pushes")
    heard: dict[str, list[dict[str, Any]]] = {alice.id: [], bob.id: []}
    try:
        for who in (alice, bob):
            await nc.subscribe(user_subject(who.id), cb=hearer(heard[who.id]))
        await nc.flush()
        cid = (await start(api, alice, bob, "first")).body["id"]
        second = await send(api, bob, cid, "second")
        await api.call("POST", f"/conversations/{cid}/read", alice, json={})

        async def all_heard() -> bool:
            return len(heard[alice.id]) == 4 and len(heard[bob.id]) == 2

        await eventually(all_heard, 15, what="the pushes")
        assert [(f["seq"], f["type"]) for f in heard[alice.id]] == [
            (1, "message"),
            (2, "message"),
            (3, "read"),
            (4, "unread"),
        ]
        assert [f["data"]["body"] for f in heard[bob.id]] == ["first", "second"]
        assert heard[alice.id][2]["data"] == {
            "conversation_id": cid,
            "last_read_message_id": second.body["id"],
            "unread_count": 0,
        }
        assert heard[alice.id][3]["data"] == {"messages": 0, "conversations": 0, "notifications": 0}

        actor = Actor(user_id=uuid.UUID(alice.id), role="student")
        replay = await bus.request(nc, subjects.PUSHES_SINCE, PushesSince(since=1), PushReplay, actor=actor)
        assert replay.last_seq == 4 and not replay.resync
        assert [f.model_dump(mode="json") for f in replay.frames] == heard[alice.id][1:]
    finally:
        await nc.close()


def hearer(into: list[dict[str, Any]]) -> Callable[[Any], Awaitable[None]]:
    async def hear(msg: Any) -> None:
        into.append(orjson.loads(msg.data))

    return hear


async def test_verification_shows_the_badge_and_notifies(api: Api, admin: User) -> None:
    """Accounts' verification event reaches messaging: the badge in the other side's
    conversation list, and a notification for the verified professional."""
    host = await api.signup("professional", "Dr. Badge")
    student = await api.signup("student")
    cid = (await start(api, student, host, "hello")).body["id"]
    assert (await api.call("POST", "/me/verification", host, json={"npi": "1234567893"})).status == 201
    assert (await api.call("POST", f"/admin/verifications/{host.id}", admin)).status == 200

    async def badge() -> bool:
        view = await api.call("GET", f"/conversations/{cid}", student)
        return bool(view.body["other"]["verified"])

    await eventually(badge, 15, what="the verified badge")

    # The badge (the users projection) and the notification are two consumers of the
    # event: either may come first.
    async def noted() -> bool:
        notes = await api.call("GET", "/notifications", host)
        return bool(notes.body["items"])

    await eventually(noted, 15, what="the notification")
    notes = await api.call("GET", "/notifications", host)
    assert [n["kind"] for n in notes.body["items"]] == ["user_verified"]


async def test_additions_sent_at_once_to_an_open_report_are_all_kept(api: Api) -> None:
    """An open report read, then rewritten with one addition, must not lose another sent at
    the same moment: each addition locks the report until its commit."""
    reported, reporter = await api.signup("professional"), await api.signup("student")
    first = await api.call("POST", "/reports", reporter, json={"user_id": reported.id, "reason": "scam"})
    assert first.status == 201, first.body
    words = [f"Detail number {i}: asked for a wire." for i in range(8)]
    sent = await asyncio.gather(
        *(
            api.call("POST", "/reports", reporter, json={"user_id": reported.id, "reason": "scam", "details": w})
            for w in words
        )
    )
    assert all(r.status == 201 and r.body["id"] == first.body["id"] for r in sent), [r.body for r in sent]
    assert all(r.body["added_to_open"] for r in sent)
    final = await api.call("POST", "/reports", reporter, json={"user_id": reported.id, "reason": "scam"})
    assert [w for w in words if w not in final.body["details"]] == [], final.body["details"]
