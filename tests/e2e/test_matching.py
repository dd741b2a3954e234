"""The matching service over HTTP, every service its own process: rotations guarded by
owner, room and mentor matches built from events alone, mentorships within capacity."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import asyncpg

from services.matching import rebuild, suggestions
from services.matching.engine import wording
from services.runner import Stack
from shared import bus, geo
from shared.mailsink import Mail
from shared.settings import Settings
from tests.api import Api, Response, User
from tests.e2e.helpers import (
    JHH,
    create_listing,
    future,
    held_at_insert,
    held_suggestions,
    mail_suggestions,
    request_stay,
)
from tests.eventually import eventually

# Room-match tests each use a hospital of their own, far from the others' listings: the
# whole suite shares one system, and around Johns Hopkins other tests' rooms would fill
# the first pages.
BILLINGS = ("billings-clinic-billings-mt", 45.789497, -108.513452)
BOZEMAN = ("bozeman-health-deaconess-hospital-bozeman-mt", 45.670107, -111.019715)
BANGOR = ("eastern-maine-medical-center-bangor-me", 44.808660, -68.750777)


async def profile(api: Api, user: User, **fields: Any) -> None:
    r = await api.call("PATCH", "/me/profile", user, json=fields)
    assert r.status == 200, r.body


async def rotation(api: Api, student: User, **overrides: Any) -> dict[str, Any]:
    body = {
        "hospital_id": JHH,
        "specialty": "cardiology",
        "start_date": future(40),
        "end_date": future(68),
        "monthly_budget": 1500,
        "room_types": ["private_room"],
        "amenities": ["wifi"],
    } | overrides
    r = await api.call("POST", "/rotations", student, json=body)
    assert r.status == 201, r.body
    return r.body  # type: ignore[no-any-return]


async def test_rotations_belong_to_their_student(api: Api) -> None:
    """Only the owner reads, changes or deletes a rotation (404 for anyone else);
    professionals do not record rotations; bad input is a 400."""
    student, other = await api.signup("student"), await api.signup("student")
    prof = await api.signup("professional")
    mine = await rotation(api, student)
    assert mine["nights"] == 28 and mine["hospital"]["id"] == JHH and mine["student_id"] == student.id
    path = f"/rotations/{mine['id']}"
    assert (await api.call("GET", path, student)).body == mine
    for who in (other, prof):
        for method, body in (("GET", None), ("PATCH", {"specialty": "surgery"}), ("DELETE", None)):
            r = await api.call(method, path, who, json=body)
            assert r.status == 404 and r.error_code == "not_found", (method, r.body)
        assert (await api.call("GET", f"{path}/room-matches", who)).status == 404
        assert (await api.call("GET", f"{path}/mentor-matches", who)).status == 404
    listed = await api.call("GET", "/me/rotations", other)
    assert listed.body["items"] == []
    assert (await api.call("POST", "/rotations", prof, json={"hospital_id": JHH})).status in (400, 403)
    forbidden = await api.call(
        "POST",
        "/rotations",
        prof,
        json={"hospital_id": JHH, "specialty": "cardiology", "start_date": future(1), "end_date": future(9)},
    )
    assert forbidden.status == 403

    bad = [
        {"hospital_id": "no-such-hospital-anywhere"},
        {"start_date": future(50), "end_date": future(45)},
        {"monthly_budget": -5},
        {"monthly_budget": 0},
    ]
    for change in bad:
        body = {"hospital_id": JHH, "specialty": "cardiology", "start_date": future(40), "end_date": future(68)}
        r = await api.call("POST", "/rotations", student, json=body | change)
        assert r.status == 400 and r.error_code == "validation", (change, r.body)
    moved = await api.call("PATCH", path, student, json={"end_date": future(40)})
    assert moved.status == 400
    assert moved.body["error"]["details"] == [{"field": "end_date", "message": "Must be after the start date."}]
    # A start moved more than a year before the end: beside the start, saying the rule (it
    # read "end_date: Not after start_date").
    long_ago = await api.call("PATCH", path, student, json={"start_date": future(-400)})
    assert long_ago.status == 400 and long_ago.body["error"]["details"] == [
        {"field": "start_date", "message": "A rotation is at most 366 days."}
    ], long_ago.body
    late_start = await api.call("PATCH", path, student, json={"start_date": future(80)})
    assert late_start.body["error"]["details"] == [{"field": "start_date", "message": "Must be before the end date."}]
    changed = await api.call("PATCH", path, student, json={"end_date": future(54), "monthly_budget": None})
    assert changed.status == 200 and changed.body["nights"] == 14 and changed.body["monthly_budget"] is None
    assert (await api.call("DELETE", path, student)).status == 200
    assert (await api.call("GET", path, student)).status == 404


async def test_room_matches_follow_the_events(api: Api) -> None:
    """A room posted near the rotation's hospital appears in its matches through events
    alone, with its reasons, the quote's price and an approximate location; once a stay
    takes all the rotation's nights it is gone."""
    host = await api.signup("professional", "Dr. Amara")
    student = await api.signup("student", "Chidi")
    await profile(api, host, specialties=["cardiology"], school_country="NG", languages=["en", "yo"])
    await profile(api, student, specialties=["cardiology"], school_country="NG", languages=["en", "yo"])
    hospital_id, lat, lon = BILLINGS
    mine = await rotation(api, student, hospital_id=hospital_id)
    listing = await create_listing(api, host, latitude=lat + 0.004, longitude=lon - 0.003, monthly_rent=1200)
    matches = f"/rotations/{mine['id']}/room-matches"

    def has_listing(r: Response) -> bool:
        return r.status == 200 and any(m["listing"]["id"] == listing["id"] for m in r.body["items"])

    async def search() -> Response:
        return await api.call("GET", matches, student, params={"limit": "100"})

    def with_both_profiles(r: Response) -> bool:
        """The listing, ranked after both profile events reached matching's projection: an
        answer ranked earlier rightly lacks the reasons those profiles give (each event
        moves an epoch its ranking is keyed by, so the next request ranks anew)."""
        return has_listing(r) and any(
            "you both studied in Nigeria" in " ".join(m["reasons"])
            for m in r.body["items"]
            if m["listing"]["id"] == listing["id"]
        )

    body = (await eventually(search, what="the listing ranked with both profiles", until=with_both_profiles)).body
    match = next(m for m in body["items"] if m["listing"]["id"] == listing["id"])
    assert 0 < match["score"] <= 1 and set(match["parts"]) >= {"distance", "coverage", "price", "affinity"}
    reasons = " | ".join(match["reasons"])
    # Measured from where the room is shown (the public point), never from the door.
    shown = match["listing"]["location"]
    km = geo.haversine_km(lat, lon, shown["latitude"], shown["longitude"])
    assert match["distance_km"] == round(km, 1) and f"{wording.distance(km)} from Billings Clinic" in reasons, reasons
    assert "host is a cardiologist — your specialty" in reasons and "you both studied in Nigeria" in reasons
    assert "free for all 28 nights of your rotation" in reasons
    quote = await api.call(
        "GET", f"/listings/{listing['id']}/quote", params={"check_in": future(40), "check_out": future(68)}
    )
    assert match["stay_total"] == quote.body["total"] and match["free_nights"] == 28
    summary = match["listing"]
    assert summary["location"]["approximate"] is True and summary["location"]["address"] is None
    public = await api.call("GET", f"/listings/{listing['id']}")
    assert summary["location"] == public.body["location"]  # the same blur as listings shows
    assert summary["host"]["display_name"] == "Dr. Amara"

    # Another student takes the whole rotation's dates: the room is no longer a match.
    guest = await api.signup("student")
    stay = await request_stay(api, guest, listing["id"], start=38, nights=32)
    assert stay.status == 201
    assert (await api.call("POST", f"/bookings/{stay.body['id']}/accept", host)).status == 200
    await eventually(
        search, what="the booked listing to leave the matches", until=lambda r: r.status == 200 and not has_listing(r)
    )


async def test_mentor_matches_and_the_capacity_race(api: Api) -> None:
    """A professional open to mentoring is suggested with reasons and remaining capacity;
    with capacity 3 and 20 requests accepted at once, exactly 3 succeed, the rest 409."""
    mentor = await api.signup("professional", "Dr. Mentor")
    await profile(
        api,
        mentor,
        specialties=["cardiology"],
        hospital_ids=[JHH],
        open_to_mentoring=True,
        mentoring_capacity=3,
        languages=["en", "ha"],
    )
    students = list(await asyncio.gather(*(api.signup("student") for _ in range(20))))
    first = students[0]
    await profile(api, first, specialties=["cardiology"], languages=["en", "ha"])
    mine = await rotation(api, first)

    async def suggestions() -> Response:
        """Every page of the mentor matches: "no longer suggested" must mean on no page."""
        path, items, cursor = f"/rotations/{mine['id']}/mentor-matches", [], None
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            page = await api.call("GET", path, first, params=params)
            if page.status != 200:
                return page
            items += page.body["items"]
            cursor = page.body["next_cursor"]
            if not cursor:
                return Response(200, {"items": items, "next_cursor": None}, page.headers)

    suggested = await eventually(
        suggestions,
        what="the mentor suggested",
        until=lambda r: r.status == 200 and any(m["mentor"]["id"] == mentor.id for m in r.body["items"]),
    )
    match = next(m for m in suggested.body["items"] if m["mentor"]["id"] == mentor.id)
    assert match["remaining_capacity"] == 3 and match["mentor"]["verified"] is False
    assert any("your rotation's hospital" in reason for reason in match["reasons"]), match["reasons"]

    requests = await asyncio.gather(
        *(api.call("POST", "/mentorships", s, json={"mentor_id": mentor.id, "message": "Hello"}) for s in students)
    )
    assert all(r.status == 201 for r in requests), [r.body for r in requests if r.status != 201]
    assert not any(r.body["mentor_full"] for r in requests)
    again = await api.call("POST", "/mentorships", first, json={"mentor_id": mentor.id})
    assert again.status == 409  # one open request per pair
    wrong = await api.call("POST", f"/mentorships/{requests[0].body['id']}/accept", first)
    assert wrong.status == 403
    stranger = await api.signup("student")
    assert (await api.call("POST", f"/mentorships/{requests[0].body['id']}/accept", stranger)).status == 404

    results = await asyncio.gather(*(api.call("POST", f"/mentorships/{r.body['id']}/accept", mentor) for r in requests))
    statuses = sorted(r.status for r in results)
    assert statuses.count(200) == 3 and statuses.count(409) == 17, statuses
    assert all(r.error_code == "conflict" for r in results if r.status == 409)
    accepted = await api.call("GET", "/me/mentorships", mentor, params={"status": "accepted", "role": "mentor"})
    assert len(accepted.body["items"]) == 3
    # The 17 left waiting say the mentor is full, to both sides (a student waited unaware).
    waiting = await api.call("GET", "/me/mentorships", mentor, params={"status": "requested", "role": "mentor"})
    assert len(waiting.body["items"]) == 17 and all(m["mentor_full"] for m in waiting.body["items"])
    loser = next(s for s, r in zip(students, results, strict=True) if r.status == 409)
    theirs = await api.call("GET", "/me/mentorships", loser, params={"role": "student"})
    assert [(m["status"], m["mentor_full"]) for m in theirs.body["items"]] == [("requested", True)]
    assert all(not m["mentor_full"] for m in accepted.body["items"])  # only a waiting request is

    # Full: no longer suggested. One ends; the seat is free again and the match returns.
    await eventually(
        suggestions,
        what="the full mentor no longer suggested",
        until=lambda r: r.status == 200 and all(m["mentor"]["id"] != mentor.id for m in r.body["items"]),
    )
    winner = next(r.body for r in results if r.status == 200)
    ended = await api.call("POST", f"/mentorships/{winner['id']}/end", mentor)
    assert ended.status == 200 and ended.body["status"] == "ended" and ended.body["role"] == "mentor"
    suggested = await eventually(
        suggestions,
        what="the mentor suggested again",
        until=lambda r: r.status == 200 and any(m["mentor"]["id"] == mentor.id for m in r.body["items"]),
    )
    assert next(m for m in suggested.body["items"] if m["mentor"]["id"] == mentor.id)["remaining_capacity"] == 1
    theirs = await api.call("GET", "/me/mentorships", loser, params={"role": "student"})
    assert [(m["status"], m["mentor_full"]) for m in theirs.body["items"]] == [("requested", False)]


async def test_a_mentorship_opens_its_conversation_and_notifies_each_side(api: Api) -> None:
    """Through matching's events, messaging opens the pair's mentorship conversation with
    the student's words, and tells the mentor of the request and the student of the answer."""
    mentor = await api.signup("professional", "Dr. Guide")
    student = await api.signup("student", "Ada")
    await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=2)

    async def ask() -> Response:
        return await api.call("POST", "/mentorships", student, json={"mentor_id": mentor.id, "message": "Hi!"})

    request = (await eventually(ask, what="matching to know the mentor", until=lambda r: r.status == 201)).body

    async def notifications(user: User) -> Response:
        return await api.call("GET", "/notifications", user)

    def has(kind: str) -> Callable[[Response], bool]:
        return lambda r: r.status == 200 and any(n["kind"] == kind for n in r.body["items"])

    got = await eventually(lambda: notifications(mentor), what="the mentor told", until=has("mentorship_requested"))
    note = next(n for n in got.body["items"] if n["kind"] == "mentorship_requested")
    assert note["text"] == "Ada asked you to be their mentor" and note["conversation_id"]
    talk = await api.call("GET", f"/conversations/{note['conversation_id']}/messages", mentor)
    bodies = [m["body"] for m in talk.body["items"]]
    assert "Hi!" in bodies and any("asked Dr. Guide to be their mentor" in b for b in bodies), bodies
    convo = await api.call("GET", f"/conversations/{note['conversation_id']}", student)
    assert convo.body["about"]["kind"] == "mentorship" and convo.body["about"]["id"] == request["id"]

    assert (await api.call("POST", f"/mentorships/{request['id']}/accept", mentor)).status == 200
    await eventually(lambda: notifications(student), what="the student told", until=has("mentorship_accepted"))
    outsider = await api.signup("student")
    assert (await api.call("GET", f"/conversations/{note['conversation_id']}", outsider)).status == 404


# The test system runs with the default limits (tests/conftest.py TEST_ENV sets none).
LIMITS = Settings()


async def test_a_mentor_who_declines_is_not_asked_again_and_again(api: Api) -> None:
    """Asking again each time a mentor declines, or asking and withdrawing, stops at the
    per-mentor limit with a 429 and Retry-After (round-2 audit: six declines, six requests,
    six mails); the mentor heard of each request made and of no refused one. Another
    student may still ask them, and the student another mentor."""
    mentor = await api.signup("professional", "Dr. Declines")
    student, other_student = await api.signup("student"), await api.signup("student")
    await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=2)
    per_mentor = LIMITS.mentorship_requests_per_mentor

    async def ask(who: User = student, whom: User = mentor) -> Response:
        return await api.call("POST", "/mentorships", who, json={"mentor_id": whom.id, "message": "Please?"})

    for turn in range(per_mentor):
        if turn == 0:
            asked = await eventually(ask, what="matching to know the mentor", until=lambda r: r.status == 201)
        else:
            asked = await ask()
        assert asked.status == 201, asked.body
        # Declined by the mentor, or withdrawn by the student: both count.
        answer = ("decline", mentor) if turn % 2 == 0 else ("end", student)
        done = await api.call("POST", f"/mentorships/{asked.body['id']}/{answer[0]}", answer[1])
        assert done.status == 200, done.body
    refused = await ask()
    assert refused.status == 429 and refused.error_code == "rate_limited", refused.body
    assert f"asked this mentor {per_mentor} times" in refused.body["error"]["message"], refused.body
    wait = refused.body["error"]["details"]["retry_after_s"]
    window = LIMITS.mentorship_request_window_s
    assert window - 120 < wait <= window and int(refused.headers["Retry-After"]) == math.ceil(wait), refused.body
    mine = await api.call("GET", "/me/mentorships", mentor, params={"role": "mentor", "limit": "100"})
    assert len(mine.body["items"]) == per_mentor

    async def requested() -> int:
        items = (await api.call("GET", "/notifications", mentor, params={"limit": "100"})).body["items"]
        return sum(1 for n in items if n["kind"] == "mentorship_requested")

    assert await eventually(requested, what="the mentor told", until=lambda n: n >= per_mentor) == per_mentor
    assert (await ask(other_student)).status == 201
    another = await api.signup("professional")
    await profile(api, another, open_to_mentoring=True, mentoring_capacity=2)
    await eventually(lambda: ask(whom=another), what="matching to know the mentor", until=lambda r: r.status == 201)


async def test_mentorship_request_limits_hold_for_a_burst_sent_at_once(api: Api) -> None:
    """Requests to many mentors sent all at once are counted one at a time: exactly the
    per-student limit is made, every other answer a 429, never a 5xx."""
    student = await api.signup("student")
    per_student = LIMITS.mentorship_requests_per_student
    mentors = list(await asyncio.gather(*(api.signup("professional") for _ in range(per_student + 4))))
    for mentor in mentors:  # one after another: their events reach matching in this order
        await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=1)
    # Matching hears of the profiles through events, in order: once it knows the last one it
    # knows them all (another student's request proves it without counting against this one).
    probe = await api.signup("student")
    await eventually(
        lambda: api.call("POST", "/mentorships", probe, json={"mentor_id": mentors[-1].id}),
        what="matching to know the mentors",
        until=lambda r: r.status == 201,
    )
    burst = await asyncio.gather(
        *(api.call("POST", "/mentorships", student, json={"mentor_id": m.id}) for m in mentors)
    )
    assert all(r.status in (201, 429) for r in burst), [r.body for r in burst if r.status not in (201, 429)]
    assert sum(1 for r in burst if r.status == 201) == per_student
    refused = next(r for r in burst if r.status == 429)
    assert f"made {per_student} mentorship requests" in refused.body["error"]["message"], refused.body
    mine = await api.call("GET", "/me/mentorships", student, params={"role": "student", "limit": "100"})
    assert len(mine.body["items"]) == per_student


async def test_rebuild_restores_the_projections_while_matches_keep_answering(api: Api, stack: Stack) -> None:
    """``python -m services.matching rebuild`` replays the stream into fresh projections: a
    row lost or corrupted in the projection comes back as the events say, and room matches
    answer 200 all the while."""
    host = await api.signup("professional")
    student = await api.signup("student")
    hospital_id, lat, lon = BOZEMAN
    mine = await rotation(api, student, hospital_id=hospital_id)
    listing = await create_listing(api, host, latitude=lat + 0.003, longitude=lon, monthly_rent=1300)
    matches = f"/rotations/{mine['id']}/room-matches"

    def shows(r: Response) -> bool:
        return r.status == 200 and any(m["listing"]["id"] == listing["id"] for m in r.body["items"])

    await eventually(
        lambda: api.call("GET", matches, student, params={"limit": "100"}), what="the listing matched", until=shows
    )
    assert stack.database_url and stack.nats_url
    admin = await asyncpg.connect(stack.database_url)
    try:
        # Damage the projection as a bug or a restore from backup might.
        await admin.execute(
            "UPDATE matching.listings SET monthly_rent = 1 WHERE listing_id = $1", uuid.UUID(listing["id"])
        )
        await admin.execute("DELETE FROM matching.profiles WHERE user_id = $1", uuid.UUID(host.id))
        env = {**os.environ, **stack.env("matching")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.matching", "rebuild", "-q", env=env, stderr=asyncio.subprocess.PIPE
        )
        answered = []
        while proc.returncode is None:
            answered.append((await api.call("GET", matches, student)).status)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.05)
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        assert answered and set(answered) == {200}
        row = await admin.fetchrow(
            "SELECT monthly_rent, version FROM matching.listings WHERE listing_id = $1", uuid.UUID(listing["id"])
        )
        assert row is not None and row["monthly_rent"] == 1300 and row["version"] == 1
        assert await admin.fetchval("SELECT count(*) FROM matching.profiles WHERE user_id = $1", uuid.UUID(host.id))
    finally:
        await admin.close()
    assert shows(await api.call("GET", matches, student, params={"limit": "100"}))


async def test_rebuild_needs_no_old_events(api: Api, stack: Stack) -> None:
    """A stream that lost its events (a new NATS after a restore elsewhere, or events past
    the stream's retention): the rebuild reads the owners' snapshots, so the projections
    come back whole, at the owners' versions and the listing's public position."""
    host = await api.signup("professional", "Dr. Snapshot")
    _, lat, lon = BOZEMAN
    listing = await create_listing(api, host, latitude=lat - 0.004, longitude=lon, monthly_rent=1250)
    await api.call("PATCH", f"/listings/{listing['id']}", host, json={"monthly_rent": 1275})
    assert stack.database_url and stack.nats_url
    admin = await asyncpg.connect(stack.database_url)
    lid, hid = uuid.UUID(listing["id"]), uuid.UUID(host.id)
    try:

        async def held() -> Any:
            return await admin.fetchrow("SELECT * FROM matching.listings WHERE listing_id = $1", lid)

        await eventually(held, what="the listing projected", until=lambda row: row and row["monthly_rent"] == 1275)
        source = await admin.fetchrow(
            "SELECT version, public_latitude, public_longitude FROM listings.listings WHERE id = $1", lid
        )
        await admin.execute("DELETE FROM matching.listings WHERE listing_id = $1", lid)
        await admin.execute("DELETE FROM matching.profiles WHERE user_id = $1", hid)
        name = f"LOST_{uuid.uuid4().hex[:8].upper()}"
        nc = await bus.connect(stack.nats_url, "lost-events-test")
        try:
            # The events stream keeps 30 days (the default), and the rebuild needs no more.
            events = await nc.jetstream().stream_info(bus.EVENTS_STREAM)
            assert events.config.max_age == Settings().stream_retention_days * 86400 == 30 * 86400
            # Dead letters are copies of events, with their personal data: they go as soon.
            dead = await nc.jetstream().stream_info(bus.DEAD_LETTERS_STREAM)
            assert dead.config.max_age == events.config.max_age
            await bus.ensure_stream(nc, name, [f"losttest.{name}.>"])  # holds no event at all
            settings = Settings(database_url=stack.service_url("matching"), nats_url=stack.nats_url)
            counts = await rebuild.rebuild(settings, stream=name, quiet=True)
        finally:
            await nc.jetstream().delete_stream(name)
            await nc.close()
        assert counts["listings"] >= 1 and counts["profiles"] >= 1
        row = await held()
        assert row is not None and row["monthly_rent"] == 1275 and row["version"] == source["version"]
        assert (row["latitude"], row["longitude"]) == (source["public_latitude"], source["public_longitude"])
        shown = await admin.fetchval("SELECT data->>'display_name' FROM matching.profiles WHERE user_id = $1", hid)
        assert shown == "Dr. Snapshot"
    finally:
        await admin.close()


BUTTE = ("st-james-healthcare-butte-mt", 46.008517, -112.545513)


async def test_good_new_matches_are_suggested_once(api: Api, stack: Stack) -> None:
    """A room published near an upcoming rotation that fits it well, and a professional
    who opens to mentoring there, each reach the student as one notification, even when
    the listing changes again or the rotation is edited."""
    hospital_id, lat, lon = BUTTE
    student = await api.signup("student", "Kemi")
    await profile(api, student, specialties=["neurology"], school_country="NG", languages=["en", "yo"])
    mine = await rotation(api, student, hospital_id=hospital_id, specialty="neurology", monthly_budget=2000)
    host = await api.signup("professional", "Dr. Near")
    await profile(api, host, specialties=["neurology"], school_country="NG", languages=["en", "yo"])
    listing = await create_listing(
        api, host, title="Room by St James", latitude=lat + 0.002, longitude=lon, monthly_rent=1100
    )

    async def suggested() -> Response:
        return await api.call("GET", "/notifications", student, params={"limit": "100"})

    def count(r: Response, start: str) -> int:
        return sum(1 for n in r.body["items"] if n["kind"] == "match_suggested" and n["text"].startswith(start))

    got = await eventually(
        suggested, what="the room suggested", until=lambda r: r.status == 200 and count(r, "A room for") == 1
    )
    note = next(n for n in got.body["items"] if n["kind"] == "match_suggested")
    assert "“Room by St James”" in note["text"] and note["listing_id"] == listing["id"], note
    # It names the rotation (two at one hospital read alike): specialty and dates.
    start, end = date.fromisoformat(mine["start_date"]), date.fromisoformat(mine["end_date"])
    assert note["text"].startswith(f"A room for your neurology rotation ({start:%b} {start.day}"), note
    assert f"{end:%b} {end.day}, {end.year})" in note["text"], note

    mentor = await api.signup("professional", "Dr. Guide Two")
    await profile(
        api, mentor, specialties=["neurology"], hospital_ids=[hospital_id], open_to_mentoring=True, mentoring_capacity=2
    )
    await eventually(
        suggested,
        what="the mentor suggested",
        until=lambda r: r.status == 200 and count(r, "Dr. Guide Two could mentor you") == 1,
    )
    # The mentor's notice and mail open the rotation's page, which lists its mentors (the
    # mail opened the notifications); the room's open the room.
    told = await suggested()
    [guide] = [n for n in told.body["items"] if n["text"].startswith("Dr. Guide Two could mentor you")]
    assert (guide["rotation_id"], guide["listing_id"]) == (mine["id"], None), guide
    await eventually(
        lambda: held_suggestions(stack, student.id), what="both suggestions held for mail", until=lambda n: n == 2
    )
    assert await mail_suggestions(stack) >= 1
    [mailed] = await api.mail(student.email, "2 matches for your rotation")
    text = mailed.part("text/plain")
    assert "Dr. Guide Two could mentor you" in text and "“Room by St James”" in text, text
    assert mailed.link(f"/#/rotations/{mine['id']}") and mailed.link(f"/#/listings/{listing['id']}")

    # Nothing twice: the room changes, the rotation changes, the mentor reopens.
    assert (await api.call("PATCH", f"/listings/{listing['id']}", host, json={"monthly_rent": 1050})).status == 200
    patched = await api.call("PATCH", f"/rotations/{mine['id']}", student, json={"monthly_budget": 2100})
    assert patched.status == 200
    await profile(api, mentor, open_to_mentoring=False)
    await profile(api, mentor, open_to_mentoring=True)
    # Wait until matching has applied those events (their versions), then count.
    assert stack.database_url
    admin = await asyncpg.connect(stack.database_url)
    try:
        await eventually(
            lambda: admin.fetchrow(
                "SELECT (SELECT version FROM matching.listings WHERE listing_id = $1) AS listing,"
                " (SELECT version FROM matching.profiles WHERE user_id = $2) AS mentor,"
                " (SELECT version FROM accounts.users WHERE id = $2) AS mentor_now",
                uuid.UUID(listing["id"]),
                uuid.UUID(mentor.id),
            ),
            what="matching to apply the listing's and the mentor's events",
            # The mentor's last change was a profile update, whose event carries the version
            # accounts holds now (a confirmed address moved it once before, without an event).
            until=lambda seen: seen is not None and seen["listing"] == 2 and seen["mentor"] == seen["mentor_now"],
        )
        made = await admin.fetch(
            "SELECT kind FROM matching.suggestions WHERE rotation_id = $1 ORDER BY kind", uuid.UUID(mine["id"])
        )
        assert [r["kind"] for r in made] == ["mentor", "room"]
    finally:
        await admin.close()
    final = await suggested()
    assert count(final, "A room for") == 1 and count(final, "Dr. Guide Two could mentor you") == 1


async def test_a_host_posting_many_rooms_at_once_is_suggested_a_few_times_a_day(api: Api, stack: Stack) -> None:
    """One new host posting five good rooms near a rotation in a minute reaches its student
    as three room suggestions (notifications and mails), not five: a rotation gets at
    most ``PER_DAY`` of each kind in 24 hours. The rooms are all among its matches."""
    hospital_id, lat, lon = BANGOR
    student = await api.signup("student", "Minh Khai")
    await profile(api, student, specialties=["neurology"], school_country="VN", languages=["en", "vi"])
    mine = await rotation(api, student, hospital_id=hospital_id, specialty="neurology", monthly_budget=2000)
    host = await api.signup("professional", "Dr. Many Rooms")
    await profile(api, host, specialties=["neurology"], school_country="VN", languages=["en", "vi"])
    rooms = [
        await create_listing(
            api, host, title=f"Bangor room {i}", latitude=lat + 0.002 * (i + 1), longitude=lon, monthly_rent=1100
        )
        for i in range(5)
    ]
    assert stack.database_url
    admin = await asyncpg.connect(stack.database_url)
    try:
        # Every room published has been through matching's suggestion check.
        await eventually(
            lambda: admin.fetchval("SELECT count(*) FROM matching.listings WHERE host_id = $1", uuid.UUID(host.id)),
            what="the five rooms projected",
            until=lambda n: n == 5,
        )
        made = await admin.fetchval(
            "SELECT count(*) FROM matching.suggestions WHERE rotation_id = $1 AND kind = 'room'", uuid.UUID(mine["id"])
        )
    finally:
        await admin.close()
    assert made == suggestions.PER_DAY == 3

    def room_notes(r: Response) -> list[dict[str, Any]]:
        return [n for n in r.body["items"] if n["kind"] == "match_suggested" and n["text"].startswith("A room")]

    notes = await eventually(
        lambda: api.call("GET", "/notifications", student, params={"limit": "100"}),
        what="three room suggestions",
        until=lambda r: r.status == 200 and len(room_notes(r)) == 3,
    )
    # Which three depends on what else is near (the suite shares one system; a rotation
    # recorded near other rooms is suggested its best three at once): without the cap it
    # would have had those and all five new ones. Three rooms, each once.
    assert len({n["listing_id"] for n in room_notes(notes)}) == 3
    # By mail, together: one mail names the three rooms.
    suggested = sum(n["kind"] == "match_suggested" for n in notes.body["items"])
    await eventually(
        lambda: held_suggestions(stack, student.id), what="the suggestions held", until=lambda n: n >= suggested
    )
    assert await mail_suggestions(stack) >= 1
    assert api.mailbox is not None
    [mail] = [m for m in api.mailbox.to(student.email) if "match" in m.subject]
    assert mail.subject.endswith("matches for your rotation"), mail.subject
    for note in room_notes(notes):
        assert note["text"] in mail.part("text/plain") and mail.link(f"/#/listings/{note['listing_id']}")
    matches = await api.call("GET", f"/rotations/{mine['id']}/room-matches", student, params={"limit": "100"})
    assert {r["id"] for r in rooms} <= {m["listing"]["id"] for m in matches.body["items"]}


async def test_moving_a_rotation_tells_its_student_which_stays_to_shift(api: Api, stack: Stack) -> None:
    """A stay may name the rotation it is for. When the student moves that rotation, they
    hear which of its stays no longer fit, and the shift moves the stay to the new dates.
    A stay cannot name someone else's rotation."""
    host = await api.signup("professional", "Dr. Shift")
    student, stranger = await api.signup("student", "Ada"), await api.signup("student", "Eve")
    hospital_id, lat, lon = BOZEMAN
    mine = await rotation(api, student, hospital_id=hospital_id, start_date=future(40), end_date=future(68))
    listing = await create_listing(api, host, latitude=lat + 0.01, longitude=lon)
    booked = await api.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        student,
        json={"check_in": future(40), "check_out": future(68), "rotation_id": mine["id"]},
    )
    assert booked.status == 201 and booked.body["rotation_id"] == mine["id"], booked.body
    # Naming another student's rotation is refused (it was kept, and told nobody anything).
    claimed = await api.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        stranger,
        json={"check_in": future(100), "check_out": future(130), "rotation_id": mine["id"]},
    )
    assert claimed.status == 404, claimed.body
    accepted = await api.call("POST", f"/bookings/{booked.body['id']}/accept", host)
    assert accepted.status == 200 and accepted.body["rotation_id"] is None  # the guest's record, not the host's

    async def projected(stay: str) -> None:
        """Until matching holds the stay accepted, on these dates. (The listing leaving the
        room matches proved nothing: a listing matching has not heard of yet is not there
        either, and the move then found the stay still requested.)"""
        assert stack.database_url
        conn = await asyncpg.connect(stack.database_url)
        try:
            await eventually(
                lambda: conn.fetchval(
                    "SELECT stay::text = $2 AND status = 'accepted' FROM matching.bookings WHERE booking_id = $1",
                    uuid.UUID(booked.body["id"]),
                    stay,
                ),
                what=f"matching to hold the accepted stay {stay}",
            )
        finally:
            await conn.close()

    await projected(f"[{future(40)},{future(68)})")
    moved = await api.call(
        "PATCH", f"/rotations/{mine['id']}", student, json={"start_date": future(47), "end_date": future(75)}
    )
    assert moved.status == 200, moved.body

    def told(r: Response) -> bool:
        return r.status == 200 and any(n["kind"] == "rotation_moved" for n in r.body["items"])

    notes = await eventually(lambda: api.call("GET", "/notifications", student), what="the student told", until=told)
    note = next(n for n in notes.body["items"] if n["kind"] == "rotation_moved")
    assert note["booking_id"] == booked.body["id"] and note["listing_id"] == listing["id"]
    assert "Ask the host to move your stay" in note["text"] and "28 nights" in note["text"], note
    stranger_notes = await api.call("GET", "/notifications", stranger)
    assert not told(stranger_notes)

    shift = f"/bookings/{booked.body['id']}/shift"
    asked = await api.call("POST", shift, student, json={"check_in": future(47), "check_out": future(75)})
    assert asked.status == 200, asked.body
    done = await api.call("POST", f"{shift}/accept", host)
    assert done.status == 200 and (done.body["check_in"], done.body["check_out"]) == (future(47), future(75))
    # The stay fits the rotation again (once matching has the shifted stay): a change of
    # its budget tells nothing; moving it back tells again (and that event comes after any
    # the budget change could have made).
    await projected(f"[{future(47)},{future(75)})")
    again = await api.call("PATCH", f"/rotations/{mine['id']}", student, json={"monthly_budget": 1700})
    assert again.status == 200
    back = await api.call(
        "PATCH", f"/rotations/{mine['id']}", student, json={"start_date": future(40), "end_date": future(68)}
    )
    assert back.status == 200

    def count(r: Response) -> int:
        return sum(n["kind"] == "rotation_moved" for n in r.body["items"])

    notes = await eventually(
        lambda: api.call("GET", "/notifications", student), what="the second move told", until=lambda r: count(r) >= 2
    )
    assert sum(n["kind"] == "rotation_moved" for n in notes.body["items"]) == 2


CHEYENNE = "memorial-hospital-of-laramie-county-dba-cheyenne-regional-medical-center-cheyenne-wy"
EVANSTON = "evanston-regional-hospital-evanston-wy"


async def test_the_same_rotation_posted_at_once_is_one_rotation_suggested_once(api: Api, stack: Stack) -> None:
    """The same rotation form sent four times at once (a double click, a retry, two tabs),
    each copy past its check before any inserts, makes one rotation: every answer is that
    rotation, a later retry too, and its mentor is suggested once (one notification, one
    mail), not once per copy. The same rotation with another budget is a 409 naming it;
    another student's identical rotation is their own."""
    tag = uuid.uuid4().hex[:6]
    student, other = await api.signup("student", "Burst Student"), await api.signup("student", "Other Student")
    mentors = {}
    for name, hospital_id, specialty in (
        (f"Dr. Burst {tag}", CHEYENNE, "dermatology"),
        (f"Dr. Sentinel {tag}", EVANSTON, "rheumatology"),
    ):
        mentors[name] = await api.signup("professional", name)
        await profile(
            api,
            mentors[name],
            specialties=[specialty],
            hospital_ids=[hospital_id],
            open_to_mentoring=True,
            mentoring_capacity=2,
        )
    assert stack.database_url
    admin = await asyncpg.connect(stack.database_url)
    try:
        # Both mentors in matching's projection first: each rotation then suggests its
        # mentor from its own event, in the order the rotations were recorded.
        await eventually(
            lambda: admin.fetchval(
                "SELECT count(*) FROM matching.profiles WHERE user_id = ANY($1::uuid[])"
                " AND (data->>'open_to_mentoring')::boolean",
                [uuid.UUID(m.id) for m in mentors.values()],
            ),
            what="matching to know both mentors",
            until=lambda n: n == 2,
        )
    finally:
        await admin.close()

    body = {
        "hospital_id": CHEYENNE,
        "specialty": "dermatology",
        "start_date": future(40),
        "end_date": future(68),
        "monthly_budget": 1500,
    }
    posts = await held_at_insert(
        stack, "matching.rotations", [api.call("POST", "/rotations", student, json=body) for _ in range(4)]
    )
    assert [r.status for r in posts] == [201] * 4, [r.body for r in posts]
    assert len({r.body["id"] for r in posts}) == 1, [r.body["id"] for r in posts]
    rotation_id = posts[0].body["id"]
    retry = await api.call("POST", "/rotations", student, json=body)
    assert retry.status == 201 and retry.body == posts[0].body, retry.body
    changed = await api.call("POST", "/rotations", student, json=body | {"monthly_budget": 1800})
    assert changed.status == 409 and changed.body["error"]["details"] == {"id": rotation_id}, changed.body
    listed = await api.call("GET", "/me/rotations", student)
    assert [r["id"] for r in listed.body["items"]] == [rotation_id]
    theirs = await api.call("POST", "/rotations", other, json=body)
    assert theirs.status == 201 and theirs.body["id"] != rotation_id

    # A rotation recorded after the four: once its own suggestion arrived, those the four
    # copies would have made have too.
    await rotation(
        api, student, hospital_id=EVANSTON, specialty="rheumatology", start_date=future(80), end_date=future(108)
    )

    def mentor_notes(r: Response, name: str) -> int:
        return sum(
            n["kind"] == "match_suggested" and n["text"].startswith(f"{name} could mentor you") for n in r.body["items"]
        )

    async def notes() -> Response:
        return await api.call("GET", "/notifications", student, params={"limit": "100"})

    final = await eventually(
        notes,
        20,
        what="both mentors suggested",
        until=lambda r: r.status == 200 and all(mentor_notes(r, name) >= 1 for name in mentors),
    )
    assert mentor_notes(final, f"Dr. Burst {tag}") == 1, [n["text"] for n in final.body["items"]]
    # By mail, the same way: the suggestions mailed name the burst's mentor once.
    suggested = sum(n["kind"] == "match_suggested" for n in final.body["items"])
    await eventually(
        lambda: held_suggestions(stack, student.id), what="the suggestions held", until=lambda n: n >= suggested
    )
    assert await mail_suggestions(stack) >= 1
    assert api.mailbox is not None

    def mentions(mail: Mail, name: str) -> int:
        return mail.part("text/plain").count(f"{name} could mentor you") if "match" in mail.subject else 0

    mails = await api.mailbox.wait_for(student.email, lambda m: mentions(m, f"Dr. Sentinel {tag}") == 1)
    assert sum(mentions(m, f"Dr. Burst {tag}") for m in api.mailbox.to(student.email)) == 1, mails
