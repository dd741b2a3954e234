"""Blocks beyond messages, every service its own process: once listings and matching have
messaging's block event, a blocked pair's booking, mentorship and letter requests are
refused (403) either way, until the block is lifted; a request they accepted before the
event reached them opens its conversation without the requester's words, a notification
or a mail; matching's rebuild brings the blocks back from messaging's snapshots, and a
deleted account's blocks go everywhere. Matching never shows or pairs the two either way:
not in room or mentor matches, a hospital's page, suggestions or a cohort match round."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from services.matching import rebuild
from services.matching.store import regions
from services.runner import Stack
from shared import bus
from shared.contracts.base import Event
from shared.contracts.listings import BookingData, BookingRequested
from shared.contracts.matching import MentorshipData, MentorshipRequested
from shared.contracts.mentoring import MentoringNotice
from shared.geo import EARTH_RADIUS_KM
from shared.settings import Settings
from tests.api import PASSWORD, Api, Response, User
from tests.e2e.helpers import create_listing, request_stay
from tests.e2e.mentoring import accepted_pair, at, letter_request, notifications
from tests.e2e.test_matching import profile, rotation
from tests.e2e.test_rounds import assignment, finished, operator, professionals_known
from tests.e2e.test_rounds import mentor as round_mentor
from tests.eventually import eventually

REFUSED_BY_THEM = "this user does not accept requests from you"
REFUSED_BY_ME = "you blocked this user; unblock them to send a request"


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    yield conn
    await conn.close()


def refused(r: Response, message: str) -> bool:
    return r.status == 403 and r.error_code == "forbidden" and r.body["error"]["message"] == message


async def block(api: Api, blocker: User, blocked: User) -> None:
    r = await api.call("POST", f"/users/{blocked.id}/block", blocker)
    assert r.status == 200 and r.body["blocked"] is True, r.body


async def test_a_blocked_pair_cannot_request_a_stay(api: Api) -> None:
    """After the host blocks a guest, the guest's booking requests are 403 (the same request
    again, other dates, any of the host's rooms); a guest who blocked a host cannot request
    their room either; nothing is stored. Lifting the block allows requests again."""
    host = await api.signup("professional", "Dr. Blocking Host")
    pest = await api.signup("student", "Harasser")
    listing = await create_listing(api, host)
    other_room = await create_listing(api, host, title="Second room near Hopkins")
    before = await request_stay(api, pest, listing["id"])
    assert before.status == 201, before.body
    await block(api, host, pest)

    # The same request again was a duplicate (409) until listings heard of the block.
    await eventually(
        lambda: request_stay(api, pest, listing["id"]),
        15,
        what="listings to refuse the blocked guest",
        until=lambda r: refused(r, REFUSED_BY_THEM),
        interval=0.1,
    )
    for room, start in ((listing, 70), (other_room, 30)):
        words = await api.call(
            "POST",
            f"/listings/{room['id']}/bookings",
            pest,
            json={
                "check_in": str(date.today() + timedelta(days=start)),
                "check_out": str(date.today() + timedelta(days=start + 28)),
                "message": "You blocked me but I can still write to you here. Answer me!",
            },
        )
        assert refused(words, REFUSED_BY_THEM), words.body
    mine = await api.call("GET", "/me/bookings", pest)
    assert [b["id"] for b in mine.body["items"]] == [before.body["id"]]

    # Either way: a guest who blocked the host cannot ask for their room.
    shy = await api.signup("student", "Shy Guest")
    assert (await request_stay(api, shy, listing["id"], start=120)).status == 201
    await block(api, shy, host)
    await eventually(
        lambda: request_stay(api, shy, listing["id"], start=120),
        15,
        what="listings to refuse a guest who blocked the host",
        until=lambda r: refused(r, REFUSED_BY_ME),
        interval=0.1,
    )

    assert (await api.call("DELETE", f"/users/{pest.id}/block", host)).status == 200
    again = await eventually(
        lambda: request_stay(api, pest, listing["id"], start=70),
        15,
        what="listings to hear the block was lifted",
        until=lambda r: r.status == 201,
        interval=0.1,
    )
    assert again.body["status"] == "requested"


async def test_a_blocked_pair_cannot_ask_for_mentoring_or_a_letter(api: Api) -> None:
    """After a mentor blocks their mentee, the mentee's letter and mentorship requests are
    403; a student who blocked a mentor cannot ask them either."""
    student, mentor, _ = await accepted_pair(api)
    letter = await api.call("POST", "/letters", student, json=letter_request(mentor))
    assert letter.status == 201, letter.body
    await block(api, mentor, student)
    # The same request again was a repeat (409) until matching heard of the block.
    await eventually(
        lambda: api.call("POST", "/letters", student, json=letter_request(mentor)),
        15,
        what="matching to refuse the blocked student's letter request",
        until=lambda r: refused(r, REFUSED_BY_THEM),
        interval=0.1,
    )
    other = letter_request(mentor, eras_letter_id=None, application="other", waived=False, specialty="Surgery")
    assert refused(await api.call("POST", "/letters", student, json=other), REFUSED_BY_THEM)
    ask = {"mentor_id": mentor.id, "message": "You blocked me, but here I am again"}
    assert refused(await api.call("POST", "/mentorships", student, json=ask), REFUSED_BY_THEM)

    # Either way: a student who blocked a mentor cannot ask them.
    shy = await api.signup("student", "Shy Student")
    first = await api.call("POST", "/mentorships", shy, json={"mentor_id": mentor.id})
    assert first.status == 201, first.body
    await block(api, shy, mentor)
    await eventually(
        lambda: api.call("POST", "/mentorships", shy, json={"mentor_id": mentor.id}),
        15,
        what="matching to refuse a student who blocked the mentor",
        until=lambda r: refused(r, REFUSED_BY_ME),
        interval=0.1,
    )


PLAN_REFUSED_BY_THEM = "this user does not accept anything new from you: the plan can be read, not added to"
PLAN_REFUSED_BY_ME = "you blocked this user; unblock them to add to your plan"


async def test_a_blocked_pair_adds_nothing_to_their_plan(api: Api, db: asyncpg.Connection) -> None:
    """Once a student blocks their mentor, neither adds goals, shared notes or meeting times
    to their plan (403; nobody is notified); meetings can still be declined, cancelled or
    held, private notes written and the mentorship ended; unblocking opens the plan again."""
    student, mentor, mentorship_id = await accepted_pair(api)
    base = f"/mentorships/{mentorship_id}"
    r = await api.call("POST", f"{base}/meetings", mentor, json={"options": [at(days=2)], "place": "Cafeteria"})
    assert r.status == 201, r.body
    scheduled = r.body["meetings"][-1]
    r = await api.call(
        "POST", f"/meetings/{scheduled['id']}/accept", student, json={"starts_at": scheduled["options"][0]["utc"]}
    )
    assert r.status == 200, r.body
    r = await api.call("POST", f"{base}/goals", student, json={"title": "Present a patient"})
    assert r.status == 201, r.body
    goal_id = r.body["goals"][0]["id"]
    r = await api.call("POST", f"{base}/meetings", student, json={"options": [at(days=3)]})
    assert r.status == 201, r.body
    theirs = r.body["meetings"][-1]
    r = await api.call("POST", f"{base}/meetings", mentor, json={"options": [at(days=4)]})
    assert r.status == 201, r.body
    mine = r.body["meetings"][-1]
    # Everything said before the block has reached the student (notices go through events).
    said = await eventually(
        lambda: notifications(api, student),
        what="the student told of the acceptance and the mentor's two proposals",
        until=lambda items: (
            [n["kind"] for n in items].count("meeting_proposed") == 2
            and any(n["kind"] == "mentorship_accepted" for n in items)
        ),
    )
    before = {n["id"] for n in said}

    await block(api, student, mentor)
    await matching_holds(db, student, mentor, True)
    later = at(days=5)
    for method, path, body in (
        ("POST", f"{base}/notes", {"meeting_id": scheduled["id"], "body": "You cannot hide from me"}),
        ("POST", f"{base}/goals", {"title": "Answer my messages", "measure": "I will keep writing"}),
        ("PATCH", f"/goals/{goal_id}", {"title": "Answer me"}),
        ("POST", f"{base}/meetings", {"options": [later], "place": "Outside your room"}),
        ("POST", f"/meetings/{scheduled['id']}/reschedule", {"options": [later]}),
        ("POST", f"/meetings/{theirs['id']}/accept", {"starts_at": theirs["options"][0]["utc"]}),
    ):
        r = await api.call(method, path, mentor, json=body)
        assert refused(r, PLAN_REFUSED_BY_THEM), (path, r.status, r.body)
    # The one who blocked adds nothing either.
    r = await api.call("POST", f"{base}/goals", student, json={"title": "A goal of my own"})
    assert refused(r, PLAN_REFUSED_BY_ME), r.body
    r = await api.call("POST", f"/meetings/{mine['id']}/accept", student, json={"starts_at": mine["options"][0]["utc"]})
    assert refused(r, PLAN_REFUSED_BY_ME), r.body
    plan = (await api.call("GET", f"{base}/plan", student)).body
    assert [g["title"] for g in plan["goals"]] == ["Present a patient"]
    assert plan["notes"] == [] and len(plan["meetings"]) == 3
    assert {m["place"] for m in plan["meetings"]} == {"Cafeteria", ""}
    assert all(m["status"] in ("scheduled", "proposed") for m in plan["meetings"])

    # What winds the plan down, or reaches nobody, is still theirs to do.
    r = await api.call("POST", f"{base}/notes", mentor, json={"private": True, "body": "Leave it be"})
    assert r.status == 201, r.body
    r = await api.call("POST", f"/meetings/{mine['id']}/decline", student)
    assert r.status == 200, r.body
    r = await api.call("POST", f"/meetings/{theirs['id']}/cancel", mentor)
    assert r.status == 200, r.body
    r = await api.call("POST", f"/meetings/{scheduled['id']}/held", student)
    assert r.status == 200, r.body
    told = [n for n in await notifications(api, student) if n["id"] not in before]
    assert {n["kind"] for n in told} <= {"meeting_cancelled"}, told

    await unblock(api, student, mentor)
    await matching_holds(db, student, mentor, False)
    again = await api.call("POST", f"{base}/goals", mentor, json={"title": "Talk it through"})
    assert again.status == 201 and "Talk it through" in [g["title"] for g in again.body["goals"]], again.body
    r = await api.call("POST", f"{base}/end", student)
    assert r.status == 200 and r.body["status"] == "ended", r.body


async def publish(stack: Stack, event: Event) -> int:
    """Publish ``event`` on the events stream as its service's outbox would; its sequence."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "e2e-blocks")
    try:
        ack = await nc.jetstream().publish(
            event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)}
        )
        return int(ack.seq)
    finally:
        await nc.close()


async def consumed(stack: Stack, consumer: str, seq: int) -> None:
    """Wait until ``consumer`` has applied everything up to stream sequence ``seq``."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "e2e-blocks-consumed")
    try:
        js = nc.jetstream()

        async def done() -> bool:
            info = await js.consumer_info(bus.EVENTS_STREAM, consumer)
            return info.delivered.stream_seq >= seq and info.num_ack_pending == 0 and info.num_pending == 0

        await eventually(done, 15, what=f"{consumer} to apply the event")
    finally:
        await nc.close()


async def conversation_about(api: Api, user: User, subject_id: str) -> dict[str, Any]:
    inbox = await api.call("GET", "/conversations", user, params={"limit": "100"})
    [conversation] = [c for c in inbox.body["items"] if c["about"] and c["about"]["id"] == subject_id]
    return conversation  # type: ignore[no-any-return]


async def test_a_request_accepted_before_the_block_arrived_brings_no_words(api: Api, stack: Stack) -> None:
    """A booking or mentorship request that listings or matching accepted before they heard
    of the block (its event published after the block, as in that race) opens its
    conversation with the system message only, read by both: not the requester's words,
    no notification (so no mail); a letter request's notice is withheld too."""
    host = await api.signup("professional", "Dr. Raced Host")
    pest = await api.signup("student", "Racing Harasser")
    listing = await create_listing(api, host, title="Raced room")
    await block(api, host, pest)
    words = "You blocked me but this got through. Answer me!"
    check_in = date.today() + timedelta(days=30)
    booking = BookingData(
        booking_id=uuid.uuid4(),
        version=1,
        listing_id=uuid.UUID(listing["id"]),
        listing_title="Raced room",
        guest_id=uuid.UUID(pest.id),
        host_id=uuid.UUID(host.id),
        check_in=check_in,
        check_out=check_in + timedelta(days=28),
        status="requested",
        total_cents=100_000,
    )
    mentorship = MentorshipData(
        mentorship_id=uuid.uuid4(),
        version=1,
        student_id=uuid.UUID(pest.id),
        mentor_id=uuid.UUID(host.id),
        status="requested",
        message=words,
    )
    letter = MentoringNotice(
        user_id=uuid.UUID(host.id),
        kind="letter_requested",
        text="Racing Harasser asked you for a letter of recommendation (Surgery), due Jan 1, 2030",
        letter_id=uuid.uuid4(),
        from_user_id=uuid.UUID(pest.id),
    )
    seqs = {
        "messaging-bookings": await publish(stack, BookingRequested(booking=booking, message=words)),
        "messaging-mentorships": await publish(stack, MentorshipRequested(mentorship=mentorship)),
        "messaging-mentoring": await publish(stack, letter),
    }
    for consumer, seq in seqs.items():
        await consumed(stack, consumer, seq)

    for subject_id in (str(booking.booking_id), str(mentorship.mentorship_id)):
        conversation = await conversation_about(api, host, subject_id)
        assert conversation["unread_count"] == 0 and conversation["last_message"]["kind"] == "system"
        history = await api.call("GET", f"/conversations/{conversation['id']}/messages", host)
        assert [m["kind"] for m in history.body["items"]] == ["system"], history.body
        assert (await api.call("GET", f"/conversations/{conversation['id']}", pest)).body["unread_count"] == 0
    assert await notifications(api, host) == []


async def test_the_rebuild_brings_blocks_back_from_messaging(api: Api, stack: Stack, db: asyncpg.Connection) -> None:
    """Matching's rebuild, with a stream that lost every event, reads the blocks from
    messaging's snapshots: a block in force and a lifted one (at its newer version)."""
    one, two, three = [await api.signup("student") for _ in range(3)]
    await block(api, one, two)
    await block(api, three, one)
    assert (await api.call("DELETE", f"/users/{one.id}/block", three)).status == 200
    pairs = [(uuid.UUID(one.id), uuid.UUID(two.id)), (uuid.UUID(three.id), uuid.UUID(one.id))]

    async def held() -> list[tuple[bool, int]]:
        rows = [
            await db.fetchrow(
                "SELECT blocked, version FROM matching.blocks WHERE blocker_id = $1 AND blocked_id = $2", *pair
            )
            for pair in pairs
        ]
        return [(row["blocked"], row["version"]) if row else (False, 0) for row in rows]

    await eventually(held, 15, what="matching to project the blocks", until=lambda got: got == [(True, 1), (False, 2)])
    await db.execute(
        "DELETE FROM matching.blocks WHERE blocker_id = ANY($1::uuid[])", [uuid.UUID(one.id), uuid.UUID(three.id)]
    )
    assert stack.nats_url
    name = f"LOST_{uuid.uuid4().hex[:8].upper()}"
    nc = await bus.connect(stack.nats_url, "lost-blocks-test")
    try:
        await bus.ensure_stream(nc, name, [f"losttest.{name}.>"])  # holds no event at all
        settings = Settings(database_url=stack.service_url("matching"), nats_url=stack.nats_url)
        counts = await rebuild.rebuild(settings, stream=name, quiet=True)
    finally:
        await nc.jetstream().delete_stream(name)
        await nc.close()
    assert counts["blocks"] >= 2
    assert await held() == [(True, 1), (False, 2)]


async def test_a_deleted_account_leaves_no_block_behind(api: Api, db: asyncpg.Connection) -> None:
    """A deleted user's blocks, either side, leave messaging and both projections."""
    leaving = await api.signup("student", "Leaving Soon")
    stays = await api.signup("professional")
    await block(api, leaving, stays)
    await block(api, stays, leaving)
    tables = ("messaging.blocks", "messaging.block_versions", "listings.blocks", "matching.blocks")

    async def rows() -> dict[str, int]:
        query = "SELECT count(*) FROM {} WHERE blocker_id = $1 OR blocked_id = $1"
        return {table: await db.fetchval(query.format(table), uuid.UUID(leaving.id)) for table in tables}

    await eventually(rows, 15, what="the blocks projected", until=lambda got: set(got.values()) == {2})
    gone = await api.call("DELETE", "/me", leaving, json={"password": PASSWORD})
    assert gone.status == 200, gone.body
    await eventually(rows, 20, what="the blocks erased", until=lambda got: set(got.values()) == {0})


# Hospitals of their own (room tests share one system: other tests' rooms stay away).
JUNEAU = ("bartlett-regional-hospital-juneau-ak", 58.329080, -134.465153)
SITKA = ("sitka-community-hospital-sitka-ak", 57.059761, -135.346935)


async def unblock(api: Api, blocker: User, blocked: User) -> None:
    r = await api.call("DELETE", f"/users/{blocked.id}/block", blocker)
    assert r.status == 200 and r.body["blocked"] is False, r.body


async def matching_holds(db: asyncpg.Connection, blocker: User, blocked: User, state: bool) -> None:
    """Wait until matching's projection has the block set (``state``) or lifted."""
    await eventually(
        lambda: db.fetchval(
            "SELECT blocked FROM matching.blocks WHERE blocker_id = $1 AND blocked_id = $2",
            uuid.UUID(blocker.id),
            uuid.UUID(blocked.id),
        ),
        15,
        what=f"matching to hold the block {'set' if state else 'lifted'}",
        until=lambda got: got is state,
        interval=0.05,
    )


async def projected(db: asyncpg.Connection, users: list[User], listings: list[dict[str, Any]]) -> None:
    """Wait until matching holds these users' profiles as accounts has them now (each
    changed their profile last: that event carries accounts' version), and these listings:
    what a ranking or a suggestion reads."""
    ids = [uuid.UUID(u.id) for u in users]

    async def behind() -> int:
        return (
            int(
                await db.fetchval(
                    "SELECT count(*) FROM accounts.users a LEFT JOIN matching.profiles p ON p.user_id = a.id"
                    " WHERE a.id = ANY($1::uuid[]) AND p.version IS DISTINCT FROM a.version",
                    ids,
                )
            )
            + len(listings)
            - int(
                await db.fetchval(
                    "SELECT count(*) FROM matching.listings WHERE listing_id = ANY($1::uuid[])",
                    [uuid.UUID(x["id"]) for x in listings],
                )
            )
        )

    await eventually(behind, 15, what="matching to hold the profiles and listings", until=lambda n: n == 0)


async def every_match(api: Api, student: User, path: str) -> list[dict[str, Any]]:
    """Every page of a rotation's room or mentor matches."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await api.call("GET", path, student, params={"limit": "100", **({"cursor": cursor} if cursor else {})})
        assert page.status == 200, page.body
        items += page.body["items"]
        cursor = page.body["next_cursor"]
        if not cursor:
            return items


async def test_matches_and_the_hospital_page_hide_a_blocked_pair(api: Api, db: asyncpg.Connection) -> None:
    """A host who blocks a student, a mentor the student blocks and a peer who blocks the
    student leave the student's room matches, mentor matches and hospital page at the
    student's first request after matching has the block (the ranking kept for the
    rotation is filtered; no region's epoch moves, so no one else's ranking is dropped),
    while the others stay; lifting the blocks brings them back."""
    hospital_id, lat, lon = JUNEAU
    student = await api.signup("student", "Juneau Student")
    host = await api.signup("professional", "Dr. Juneau Host")
    other_host = await api.signup("professional", "Dr. Other Juneau Host")
    mentor = await api.signup("professional", "Dr. Juneau Mentor")
    peer = await api.signup("student", "Juneau Peer")
    await profile(
        api,
        mentor,
        specialties=["cardiology"],
        hospital_ids=[hospital_id],
        open_to_mentoring=True,
        mentoring_capacity=2,
    )
    for user in (student, host, other_host, peer):
        await profile(api, user, languages=["en", "tl"])
    for user, visibility in ((mentor, "students"), (peer, "members")):
        r = await api.call("PATCH", "/me/mentoring-settings", user, json={"hospital_visibility": visibility})
        assert r.status == 200, r.body
    room = await create_listing(api, host, title="Juneau room", latitude=lat + 0.004, longitude=lon, monthly_rent=1200)
    other = await create_listing(
        api, other_host, title="Other Juneau room", latitude=lat - 0.004, longitude=lon, monthly_rent=1200
    )
    mine = await rotation(api, student, hospital_id=hospital_id)
    await rotation(api, peer, hospital_id=hospital_id)
    await projected(db, [student, host, other_host, mentor, peer], [room, other])

    async def seen() -> dict[str, set[str]]:
        page = await api.call("GET", f"/hospitals/{hospital_id}/people", student)
        assert page.status == 200, page.body
        people = page.body["mentors"] + page.body["peers"]
        return {
            "rooms": {
                m["listing"]["id"] for m in await every_match(api, student, f"/rotations/{mine['id']}/room-matches")
            },
            "mentors": {
                m["mentor"]["id"] for m in await every_match(api, student, f"/rotations/{mine['id']}/mentor-matches")
            },
            "page": {r["id"] for r in page.body["rooms"]} | {p["id"] for p in people},
        }

    everyone = {
        "rooms": {room["id"], other["id"]},
        "mentors": {mentor.id},
        "page": {room["id"], other["id"], mentor.id, peer.id},
    }
    before = await eventually(
        seen, 15, what="everyone shown", until=lambda got: all(everyone[k] <= got[k] for k in everyone)
    )
    cells = regions.cells_within(lat, lon, 50, EARTH_RADIUS_KM)
    epochs = "SELECT coalesce(sum(epoch), 0) FROM matching.region_epochs WHERE cell = ANY($1::int[])"
    epochs_before = await db.fetchval(epochs, cells)

    await block(api, host, student)
    await block(api, student, mentor)
    await block(api, peer, student)
    for blocker, blocked in ((host, student), (student, mentor), (peer, student)):
        await matching_holds(db, blocker, blocked, True)
    after = await seen()
    assert room["id"] not in after["rooms"] and other["id"] in after["rooms"], after
    assert mentor.id not in after["mentors"] and after["mentors"] == before["mentors"] - {mentor.id}, after
    assert after["page"] & {room["id"], mentor.id, peer.id} == set() and other["id"] in after["page"], after
    assert await db.fetchval(epochs, cells) == epochs_before  # the block dropped no ranking

    await unblock(api, host, student)
    await unblock(api, student, mentor)
    await unblock(api, peer, student)
    for blocker, blocked in ((host, student), (student, mentor), (peer, student)):
        await matching_holds(db, blocker, blocked, False)
    again = await seen()
    assert all(everyone[k] <= again[k] for k in everyone), again


async def test_no_suggestion_between_a_blocked_pair(api: Api, db: asyncpg.Connection) -> None:
    """A host the student blocked and a mentor who blocked the student are never suggested
    to them: not when the rotation is recorded (in the transaction that suggests another
    host's room and another mentor), nor when the host publishes another room, nor when the
    mentor opens to mentoring again; once the blocks are lifted, the rotation's next change
    suggests them."""
    hospital_id, lat, lon = SITKA
    likes = {"specialties": ["neurology"], "school_country": "NG", "languages": ["en", "yo"]}
    student = await api.signup("student", "Sitka Student")
    host = await api.signup("professional", "Dr. Sitka Host")
    other_host = await api.signup("professional", "Dr. Other Sitka Host")
    mentor = await api.signup("professional", "Dr. Sitka Mentor")
    other_mentor = await api.signup("professional", "Dr. Other Sitka Mentor")
    for user in (student, host, other_host):
        await profile(api, user, **likes)
    for user in (mentor, other_mentor):
        await profile(api, user, **likes, hospital_ids=[hospital_id], open_to_mentoring=True, mentoring_capacity=2)
    near = {"latitude": lat + 0.002, "longitude": lon, "monthly_rent": 1100}
    room = await create_listing(api, host, title="Sitka room", **near)
    other = await create_listing(api, other_host, title="Other Sitka room", **near)
    await block(api, student, host)
    await block(api, mentor, student)
    await matching_holds(db, student, host, True)
    await matching_holds(db, mentor, student, True)
    await projected(db, [student, host, other_host, mentor, other_mentor], [room, other])

    mine = await rotation(api, student, hospital_id=hospital_id, specialty="neurology", monthly_budget=2000)

    async def suggested() -> set[tuple[str, str]]:
        rows = await db.fetch(
            "SELECT kind, subject_id FROM matching.suggestions WHERE rotation_id = $1", uuid.UUID(mine["id"])
        )
        return {(r["kind"], str(r["subject_id"])) for r in rows}

    controls = {("room", other["id"]), ("mentor", other_mentor.id)}
    made = await eventually(suggested, 15, what="the others suggested", until=lambda got: controls <= got)
    assert made == controls  # made with them, in the same transaction: not the blocked pair's

    second = await create_listing(api, host, title="Second Sitka room", **near)
    await profile(api, mentor, open_to_mentoring=False)
    await profile(api, mentor, open_to_mentoring=True)
    await projected(db, [mentor], [second])  # each applied with its suggestions, if any
    assert await suggested() == controls

    await unblock(api, student, host)
    await unblock(api, mentor, student)
    await matching_holds(db, student, host, False)
    await matching_holds(db, mentor, student, False)
    patched = await api.call("PATCH", f"/rotations/{mine['id']}", student, json={"monthly_budget": 2100})
    assert patched.status == 200, patched.body
    restored = controls | {("mentor", mentor.id), ("room", room["id"]), ("room", second["id"])}
    await eventually(suggested, 15, what="the unblocked suggested", until=lambda got: got == restored)


async def test_a_round_never_pairs_a_blocked_student_and_mentor(api: Api, stack: Stack, db: asyncpg.Connection) -> None:
    """A mentor who blocked a student is off that student's list and the student off the
    mentor's, given or derived: the round leaves the pair apart with 0 blocking pairs
    (though the mentor ranked the student first and kept a seat); a round done before the
    block makes them no request when accepted; lifted, they are matched again."""
    admin = await operator(api, stack)
    teacher = await round_mentor(api, 2)
    blocked, other = await api.signup("student", "Blocked Mentee"), await api.signup("student", "Other Mentee")
    first, second = (await rotation(api, blocked))["id"], (await rotation(api, other))["id"]
    await professionals_known(stack, [teacher])
    derived = {"rotation_ids": [first, second], "mentor_ids": [teacher.id]}
    given = derived | {
        "preferences": {
            "students": {first: [teacher.id], second: [teacher.id]},
            "mentors": {teacher.id: [first, second]},
        }
    }

    async def run(body: dict[str, Any]) -> dict[str, Any]:
        queued = await api.call("POST", "/admin/match-rounds", admin, json=body)
        assert queued.status == 202, queued.body
        return await finished(api, admin, queued.body["id"])

    earlier = await run(given)
    assert await assignment(api, admin, earlier["id"]) == {first: teacher.id, second: teacher.id}

    await block(api, teacher, blocked)
    await matching_holds(db, teacher, blocked, True)
    for body in (given, derived):
        done = await run(body)
        assert (done["matched"], done["unmatched"], done["blocking_pairs"]) == (1, 1, 0), done
        assert await assignment(api, admin, done["id"]) == {first: None, second: teacher.id}

    accepted = await api.call("POST", f"/admin/match-rounds/{earlier['id']}/accept", admin)
    assert accepted.status == 200, accepted.body
    assert accepted.body["requests_made"] == 1
    assert accepted.body["accept_skipped"] == {"already_requested": 0, "not_mentoring": 0, "blocked": 1}
    assert (await api.call("GET", "/me/mentorships", blocked)).body["items"] == []

    await unblock(api, teacher, blocked)
    await matching_holds(db, teacher, blocked, False)
    lifted = await run(derived)
    assert await assignment(api, admin, lifted["id"]) == {first: teacher.id, second: teacher.id}


async def test_a_blocked_pair_does_not_find_each_others_rooms(api: Api) -> None:
    """Listing search showed a signed-in user the rooms of a host either of them blocked
    (matching already hid them): now neither side finds them, a visitor still does, and
    lifting the block brings them back."""
    spot = {"latitude": 35.2, "longitude": -101.83}  # Amarillo: no other test's rooms
    host = await api.signup("professional", "Dr. Hidden Host")
    pest, shy, other = [await api.signup("student", name) for name in ("Pest", "Shy", "Other")]
    room = await create_listing(api, host, **spot)

    async def found(user: User | None) -> bool:
        params = {"near": "35.2,-101.83", "radius_km": "1", "sort": "distance"}
        page = await api.call("GET", "/listings", user, params=params)
        assert page.status == 200, page.body
        return room["id"] in [item["id"] for item in page.body["items"]]

    assert await found(pest) and await found(shy)
    await block(api, host, pest)
    await block(api, shy, host)
    for blocked in (pest, shy):
        await eventually(lambda u=blocked: found(u), 15, what="listings to hear of it", until=lambda hit: not hit)
    assert await found(other) and await found(None) and await found(host)
    assert (await api.call("DELETE", f"/users/{pest.id}/block", host)).status == 200
    await eventually(lambda: found(pest), 15, what="listings to hear the block was lifted", until=bool)


async def test_a_deleted_account_is_neither_blocked_nor_reported(api: Api) -> None:
    """Blocking or reporting a user whose account is deleted is a 409 saying so (a report
    about "A user no longer known" reached the operators' queue, and a block was stored);
    an id that never was a user stays a 404, and a block made before can still be undone."""
    me, gone = await api.signup("student", "Reporter"), await api.signup("professional", "Dr. Gone")
    sent = await api.call("POST", "/conversations", gone, json={"user_id": me.id, "body": "Pay me by wire"})
    assert sent.status == 200, sent.body
    message = (await api.call("GET", f"/conversations/{sent.body['id']}/messages", me)).body["items"][0]
    assert (await api.call("POST", f"/users/{gone.id}/block", me)).status == 200  # messaging knows them
    assert (await api.call("DELETE", "/me", gone, json={"password": PASSWORD})).status == 200
    report = {"user_id": gone.id, "reason": "other", "details": "asked me to pay outside Wardmate"}
    refused = await eventually(
        lambda: api.call("POST", "/reports", me, json=report),
        20,
        what="messaging to learn of the deletion",
        until=lambda r: r.status != 201,
    )
    assert refused.status == 409 and "deleted their account" in refused.body["error"]["message"], refused.body
    blocked = await api.call("POST", f"/users/{gone.id}/block", me)
    assert blocked.status == 409 and "deleted their account" in blocked.body["error"]["message"], blocked.body
    # Nor through one of their messages (it filed a report of the deleted account).
    of_message = await api.call("POST", "/reports", me, json={"message_id": message["id"], "reason": "scam"})
    assert of_message.status == 409 and "deleted their account" in of_message.body["error"]["message"], of_message.body
    assert (await api.call("DELETE", f"/users/{gone.id}/block", me)).status == 200
    nobody = str(uuid.uuid4())
    assert (await api.call("POST", "/reports", me, json=report | {"user_id": nobody})).status == 404
    assert (await api.call("POST", f"/users/{nobody}/block", me)).status == 404
