"""Export and deletion across services: a user active in every service downloads what
Wardmate holds about them, deletes the account, and afterwards no row of any schema holds
their address, name, profile text or the bodies of what they wrote; the other side of a
mentorship or a letter request is told, and keeps their own part; a deleted host's room
photos are deleted, rows and files."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg

from services.matching import rebuild
from services.matching.store import letters as letter_store
from services.runner import SERVICES_WITH_SCHEMA, Stack
from shared.db import create_pool
from shared.settings import Settings
from tests import samples
from tests.api import PASSWORD, Api, User
from tests.e2e.helpers import JHH, create_listing, future, upload
from tests.e2e.mentoring import accepted_pair, letter_request, notifications, write_plan
from tests.e2e.payments import paid_booking
from tests.e2e.test_matching import profile, rotation
from tests.eventually import eventually


async def personal_rows(stack: Stack, needles: list[str]) -> list[tuple[str, str, str]]:
    """(schema.table, needle, row) for every row of every service schema holding a needle,
    as text or as the hex of a bytea column (outbox payloads)."""
    found = []
    for schema in SERVICES_WITH_SCHEMA:
        conn = await asyncpg.connect(stack.admin_url(schema))
        try:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
                schema,
            )
            for table in tables:
                name = f'"{schema}"."{table["table_name"]}"'
                for row in await conn.fetch(f"SELECT row_to_json(t)::text AS text FROM {name} t"):
                    text = row["text"]
                    for needle in needles:
                        if needle in text or needle.encode().hex() in text:
                            found.append((name, needle, text[:300]))
        finally:
            await conn.close()
    return found


async def test_export_then_deletion_leaves_nothing_personal(api: Api, stack: Stack) -> None:
    """The export holds the user's profile, stay, messages both ways, rotation, mentorship
    with its plan (goal, meeting, notes, check-in), letter request and mentoring settings,
    never the other side's private note or answer; after DELETE /me every service erases
    or anonymises them: the other person keeps the conversation under "Deleted user" with
    the bodies removed, the stay is cancelled, the mentorship ended, the rotation and the
    letter request are gone, and the address can sign up again."""
    tag = uuid.uuid4().hex[:8]
    name, bio = f"Zelda Quill {tag}", f"Loves night shifts and {tag} sourdough"
    said, heard, asked = f"My flight lands at 9, {tag}", f"See you then {tag}", f"Rotating in {tag} cardiology"
    wish, plea, eras_id = f"Please mentor me, {tag}", f"Could you write about my month, {tag}?", f"Z{tag}".upper()
    host = await api.signup("professional", "Dr. Keeps Data")
    user = await api.signup("student", name)
    assert (await api.call("PATCH", "/me/profile", user, json={"bio": bio, "languages": ["en"]})).status == 200
    profile = await api.call("PATCH", "/me/profile", host, json={"open_to_mentoring": True, "mentoring_capacity": 2})
    assert profile.status == 200
    listing = await create_listing(api, host)
    stay = await api.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        user,
        json={"check_in": future(30), "check_out": future(58), "message": asked, "hospital_id": JHH},
    )
    assert stay.status == 201, stay.body
    assert (await api.call("POST", f"/bookings/{stay.body['id']}/accept", host)).status == 200
    talk = await api.call("POST", "/conversations", user, json={"user_id": host.id, "body": said})
    assert talk.status == 200, talk.body
    reply = await api.call("POST", f"/conversations/{talk.body['id']}/messages", host, json={"body": heard})
    assert reply.status in (200, 201), reply.body
    rotation = await api.call(
        "POST",
        "/rotations",
        user,
        json={"hospital_id": JHH, "specialty": "cardiology", "start_date": future(30), "end_date": future(58)},
    )
    assert rotation.status == 201, rotation.body
    # Under way (its mid-rotation check-in is due): the mentorship is about this one.
    under_way = await api.call(
        "POST",
        "/rotations",
        user,
        json={"hospital_id": JHH, "specialty": "cardiology", "start_date": future(-20), "end_date": future(8)},
    )
    assert under_way.status == 201, under_way.body
    # Matching hears that the host mentors from events: ask until it knows.
    ask = {"mentor_id": host.id, "rotation_id": under_way.body["id"], "message": wish}
    mentorship = await eventually(
        lambda: api.call("POST", "/mentorships", user, json=ask),
        20,
        what="matching to know the mentor",
        until=lambda r: r.status == 201,
        interval=0.2,
    )
    assert (await api.call("POST", f"/mentorships/{mentorship.body['id']}/accept", host)).status == 200
    mine = await write_plan(api, user, host, mentorship.body["id"], f"the student {tag}")
    theirs = await write_plan(api, host, user, mentorship.body["id"], f"the mentor {tag}", meeting_in_days=4)
    settings = {"time_zone": "Asia/Kolkata", "hospital_visibility": "students"}
    assert (await api.call("PATCH", "/me/mentoring-settings", user, json=settings)).status == 200
    letter = await api.call(
        "POST",
        "/letters",
        user,
        json={
            "writer_id": host.id,
            "specialty": "Cardiology",
            "programs": 12,
            "deadline": future(20),
            "application": "eras",
            "eras_letter_id": eras_id,
            "waived": True,
            "message": plea,
        },
    )
    assert letter.status == 201, letter.body
    assert (await api.call("POST", f"/letters/{letter.body['id']}/accept", host)).status == 200

    # The acceptance's notification reaches messaging through events: wait for it.
    deadline = time.monotonic() + 20
    while not (await api.call("GET", "/notifications", user)).body["items"]:
        assert time.monotonic() < deadline, "the acceptance did not notify the user"
        await asyncio.sleep(0.2)
    export = await api.call("GET", "/me/export", user)
    assert export.status == 200, export.body
    data: dict[str, Any] = export.body
    assert data["accounts"]["user"][0]["email"] == user.email
    assert data["accounts"]["profile"][0]["data"]["bio"] == bio
    assert [b["message"] for b in data["listings"]["bookings"]] == [asked]
    assert said in [m["body"] for m in data["messaging"]["messages_sent"]]
    assert heard in [m["body"] for m in data["messaging"]["messages_received"]]

    # Each conversation names the other person (an id alone did not say with whom), once
    # messaging has their name (an event away from their sign-up).
    async def others() -> set[tuple[str, str | None]]:
        got = (await api.call("GET", "/me/export", user)).body["messaging"]["conversations"]
        return {(c["other_user_id"], c["other_user_name"]) for c in got}

    await eventually(others, 15, what="the host named", until=lambda o: (host.id, "Dr. Keeps Data") in o)
    assert [r["id"] for r in data["matching"]["rotations"]] == [rotation.body["id"], under_way.body["id"]]
    assert [(m["mentor_id"], m["message"]) for m in data["matching"]["mentorships"]] == [(host.id, wish)]
    matching = data["matching"]
    # The plan as they see it: both sides' goals, meetings and shared notes, their own
    # private note and answer, never the host's.
    assert [g["title"] for g in matching["goals"]] == [mine["goal"], theirs["goal"]]
    assert [(m["id"], m["place"]) for m in matching["meetings"]] == [
        (mine["meeting_id"], mine["place"]),
        (theirs["meeting_id"], theirs["place"]),
    ]
    notes = [n["body"] for n in matching["notes"]]
    assert notes == [mine["shared"], mine["private"], theirs["shared"]], notes
    assert [(c["stage"], c["change"]) for c in matching["check_ins"]] == [("mid", mine["answer"])]
    assert [(x["eras_letter_id"], x["message"], x["status"]) for x in matching["letters"]] == [
        (eras_id, plea, "accepted")
    ]
    assert [(x["time_zone"], x["hospital_visibility"]) for x in matching["mentoring_settings"]] == [
        ("Asia/Kolkata", "students")
    ]
    assert theirs["private"] not in str(data) and theirs["answer"] not in str(data)
    assert data["messaging"]["notifications"], "the acceptance notified the user"
    # Another user's export has none of it (the host: their side of the plan and the letter).
    other = await api.call("GET", "/me/export", host)
    assert said not in str(other.body["messaging"]["messages_sent"]) and bio not in str(other.body["accounts"])
    assert mine["private"] not in str(other.body) and mine["answer"] not in str(other.body)
    assert theirs["private"] in str(other.body["matching"]["notes"]) and plea in str(other.body["matching"]["letters"])

    wrong = await api.call("DELETE", "/me", user, json={"password": "not-my-password"})
    assert wrong.status == 403
    gone = await api.call("DELETE", "/me", user, json={"password": PASSWORD})
    assert gone.status == 200, gone.body
    assert (await api.call("GET", "/me", user)).status == 401

    words = [mine[k] for k in ("goal", "place", "shared", "private", "answer")]
    needles = [user.email, name, bio, said, asked, wish, plea, eras_id, *words]
    deadline = time.monotonic() + 30
    while found := await personal_rows(stack, needles):
        assert time.monotonic() < deadline, [(table, needle) for table, needle, _ in found] + [found[0][2]]
        await asyncio.sleep(0.5)
    # A rebuild of matching's projections replays the stream, which still holds the user's
    # old snapshots: their deletion is replayed too, so their profile stays empty.
    assert stack.nats_url
    await rebuild.rebuild(Settings(database_url=stack.service_url("matching"), nats_url=stack.nats_url), quiet=True)
    assert [(table, needle) for table, needle, _ in await personal_rows(stack, needles)] == []

    # The host keeps the conversation, with the user's words gone and their name replaced.
    messages = await api.call("GET", f"/conversations/{talk.body['id']}/messages", host)
    bodies = [m["body"] for m in messages.body["items"]]
    assert heard in bodies and "This message was deleted." in bodies
    conversation = await api.call("GET", f"/conversations/{talk.body['id']}", host)
    assert conversation.body["other"]["display_name"] == "Deleted user"
    bookings = await api.call("GET", "/me/bookings", host)
    assert next(b for b in bookings.body["items"] if b["id"] == stay.body["id"])["status"] == "cancelled"
    mentorships = await api.call("GET", "/me/mentorships", host)
    ended = [(m["id"], m["status"]) for m in mentorships.body["items"]]
    assert ended == [(mentorship.body["id"], "ended")], ended
    assert (await api.call("GET", "/me/letters", host)).body["items"] == []
    # The host is told why, not that "Deleted user cancelled the booking", as if someone of
    # that name had.
    told = await eventually(
        lambda: notifications(api, host),
        10,
        what="the host told of the stay and the mentorship",
        until=lambda ns: {"booking_cancelled", "mentorship_ended"} <= {n["kind"] for n in ns},
    )
    texts = {n["kind"]: n["text"] for n in told}
    assert texts["booking_cancelled"].startswith("The guest deleted their account, which cancelled the booking of")
    assert texts["mentorship_ended"] == "Your student deleted their account, which ended your mentorship", texts

    # (A login attempt leaves its address among the failures, for the rate limit: only now.)
    login = await api.call("POST", "/auth/login", json={"email": user.email, "password": PASSWORD})
    assert login.status == 401
    # The address is free again.
    again = await api.call(
        "POST",
        "/auth/signup",
        json={"email": user.email, "password": PASSWORD, "display_name": "New", "role": "student"},
    )
    assert again.status == 201


async def photo_status(api: Api, url: str) -> int:
    assert api.http
    async with api.http.get(api.base + url) as r:
        return r.status


async def test_a_deleted_hosts_photos_are_erased_files_and_all(api: Api, stack: Stack) -> None:
    """A deleted host's room photos (rooms are often their home) go with the account, from
    every listing, a draft too: the rows with their alt text and caption, and the files no
    longer public at their URLs; a file that another host's photo shares stays theirs."""
    tag = uuid.uuid4().hex[:8]
    alt, caption = f"Our family living room {tag}", f"The piano by the window {tag}"
    host, other = await api.signup("professional", "Dr. Leaving"), await api.signup("professional", "Dr. Staying")
    active, draft = await create_listing(api, host), await create_listing(api, host, status="draft")
    theirs = await create_listing(api, other)
    own = await upload(
        api, host, active["id"], samples.jpeg(color=(7, 77, 177)), alt_text=alt, extra={"caption": caption}
    )
    drafted = await upload(api, host, draft["id"], samples.jpeg(color=(177, 7, 77)))
    shared = samples.jpeg(color=(77, 177, 7))
    mine_too, kept = await upload(api, host, active["id"], shared), await upload(api, other, theirs["id"], shared)
    assert {own.status, drafted.status, mine_too.status, kept.status} == {201}
    erased = [url for photo in (own, drafted) for url in photo.body["urls"].values()]
    assert [await photo_status(api, url) for url in erased] == [200] * len(erased)

    assert (await api.call("DELETE", "/me", host, json={"password": PASSWORD})).status == 200

    async def statuses() -> list[int]:
        return [await photo_status(api, url) for url in erased]

    await eventually(statuses, 30, what="the deleted host's photo files to go", until=lambda got: set(got) == {404})
    # Matching's copy of the cover (with its alt text) goes with the archived listing's event.
    await eventually(
        lambda: personal_rows(stack, [alt, caption]), 30, what="the photos' texts to go", until=lambda f: not f
    )
    for url in kept.body["urls"].values():
        assert await photo_status(api, url) == 200
    got = await api.call("GET", f"/listings/{theirs['id']}")
    assert [p["id"] for p in got.body["photos"]] == [kept.body["id"]]


async def test_a_hosts_export_lists_their_room_photos_in_order_with_texts_dates_and_urls(api: Api) -> None:
    """A host's export lists the photos of each of their rooms (a draft's too) in the order
    they set, with alt text, caption, size, upload date and the URLs the files are served
    at, never the bytes; another host's photos and a guest's export have none of them."""
    tag = uuid.uuid4().hex[:8]
    host, other = await api.signup("professional", "Dr. Photos"), await api.signup("professional")
    guest = await api.signup("student")
    room, draft = await create_listing(api, host), await create_listing(api, host, status="draft")
    theirs = await create_listing(api, other)
    first = await upload(api, host, room["id"], samples.jpeg(color=(10, 20, 30)), alt_text=f"Desk by the window {tag}")
    second = await upload(
        api,
        host,
        room["id"],
        samples.jpeg(color=(30, 20, 10)),
        alt_text=f"The shared kitchen {tag}",
        extra={"caption": f"Second floor {tag}"},
    )
    drafted = await upload(api, host, draft["id"], samples.jpeg(color=(20, 30, 10)), alt_text=f"Bed {tag}")
    stranger = await upload(api, other, theirs["id"], samples.jpeg(color=(1, 2, 3)), alt_text=f"Not theirs {tag}")
    assert {r.status for r in (first, second, drafted, stranger)} == {201}
    # The kitchen first: the order the host set is the one exported.
    order = {"photo_ids": [second.body["id"], first.body["id"]]}
    assert (await api.call("PUT", f"/listings/{room['id']}/photo-order", host, json=order)).status == 200
    edited = await api.call(
        "PATCH", f"/listings/{room['id']}/photos/{first.body['id']}", host, json={"caption": f"Quiet {tag}"}
    )
    assert edited.status == 200, edited.body

    export = await api.call("GET", "/me/export", host)
    assert export.status == 200, export.body
    photos = export.body["listings"]["listing_photos"]
    assert [(p["id"], p["listing_id"], p["position"], p["alt_text"], p["caption"]) for p in photos] == [
        (second.body["id"], room["id"], 0, f"The shared kitchen {tag}", f"Second floor {tag}"),
        (first.body["id"], room["id"], 1, f"Desk by the window {tag}", f"Quiet {tag}"),
        (drafted.body["id"], draft["id"], 0, f"Bed {tag}", ""),
    ]
    for photo, uploaded in zip(photos, (second, first, drafted), strict=True):
        assert photo["created_at"] == uploaded.body["created_at"]
        assert (photo["width"], photo["height"]) == (uploaded.body["width"], uploaded.body["height"])
        assert photo["urls"] == uploaded.body["urls"] and set(photo["urls"]) >= {"320"}
        assert [await photo_status(api, url) for url in photo["urls"].values()] == [200] * len(photo["urls"])
    assert f"Not theirs {tag}" not in str(export.body)
    guest_export = await api.call("GET", "/me/export", guest)
    assert guest_export.body["listings"]["listing_photos"] == [] and tag not in str(guest_export.body)


# An ordinary request (no ERAS Letter ID, not waived), as the tests below ask for it.
ORDINARY = {"application": "other", "eras_letter_id": None, "waived": False}


async def kinds(api: Api, user: User) -> list[str]:
    return [n["kind"] for n in await notifications(api, user)]


async def test_a_deleted_student_ends_the_mentorship_and_withdraws_their_letters(api: Api, stack: Stack) -> None:
    """The mentor is told the mentorship ended (messaging's conversation too) and keeps
    their own goal, notes and answer in the ended plan, without the student's; the
    meetings still ahead are cancelled; the student's letter request is gone from the
    writer's pages, cannot be submitted, and is no longer reminded of."""
    student = await api.signup("student", "Leaving Student")
    under_way = await rotation(api, student, start_date=future(-20), end_date=future(8))
    _, mentor, mentorship_id = await accepted_pair(api, under_way["id"], student)
    theirs = await write_plan(api, student, mentor, mentorship_id, "the leaving student")
    mine = await write_plan(api, mentor, student, mentorship_id, "the staying mentor", meeting_in_days=4)
    letter = await api.call("POST", "/letters", student, json=letter_request(mentor, **ORDINARY))
    assert letter.status == 201, letter.body
    assert (await api.call("POST", f"/letters/{letter.body['id']}/accept", mentor)).status == 200

    assert (await api.call("DELETE", "/me", student, json={"password": PASSWORD})).status == 200

    await eventually(
        lambda: kinds(api, mentor),
        20,
        what="the mentor to hear the mentorship ended and the letter request was withdrawn",
        until=lambda k: {"mentorship_ended", "letter_withdrawn", "meeting_cancelled"} <= set(k),
        interval=0.2,
    )
    mentorships = (await api.call("GET", "/me/mentorships", mentor)).body["items"]
    assert [(m["id"], m["status"]) for m in mentorships] == [(mentorship_id, "ended")]
    plan = await api.call("GET", f"/mentorships/{mentorship_id}/plan", mentor)
    assert plan.status == 200 and plan.body["status"] == "ended", plan.body
    assert plan.body["other_name"] == "Deleted user"
    assert [g["title"] for g in plan.body["goals"]] == [mine["goal"]]
    assert [n["body"] for n in plan.body["notes"]] == [mine["shared"], mine["private"]]
    assert [c["change"] for c in plan.body["check_ins"]] == [mine["answer"]]
    # Neither meeting stays in a calendar; where it was to be held goes with the student.
    meetings = [(m["id"], m["status"], m["place"]) for m in plan.body["meetings"]]
    assert meetings == [(theirs["meeting_id"], "cancelled", ""), (mine["meeting_id"], "cancelled", "")]
    conversations = await eventually(
        lambda: api.call("GET", "/conversations", mentor),
        10,
        what="messaging's conversation to say the mentorship ended",
        until=lambda r: [c["about"]["status"] for c in r.body["items"]] == ["ended"],
        interval=0.1,
    )
    assert conversations.body["items"][0]["about"]["id"] == mentorship_id

    assert (await api.call("GET", f"/letters/{letter.body['id']}", mentor)).status == 404
    submit = await api.call("POST", f"/letters/{letter.body['id']}/submit", mentor, json={"submitted_on": future(0)})
    assert submit.status == 404
    assert (await api.call("GET", "/me/letters", mentor)).body["items"] == []
    pool = await create_pool(stack.service_url("matching"), "matching", size=1)
    try:  # what the reminder sweep reads
        assert letter.body["id"] not in {str(r["id"]) for r in await letter_store.open_letters(pool)}
    finally:
        await pool.close()


async def test_a_deleted_writer_declines_the_open_requests_and_frees_the_eras_letter_id(api: Api) -> None:
    """The student hears their accepted ERAS request is declined and can give its Letter
    ID to another writer; a letter already submitted stays on their record under
    "Deleted user"; their mentorship with the writer ends, their own notes still readable."""
    student = await api.signup("student", "Staying Student")
    under_way = await rotation(api, student, start_date=future(-20), end_date=future(8))  # mid check-in due
    _, writer, mentorship_id = await accepted_pair(api, under_way["id"], student)
    _, other_writer, _ = await accepted_pair(api, student=student)
    mine = await write_plan(api, student, writer, mentorship_id, "the staying student")
    eras = letter_request(writer, eras_letter_id=f"W{writer.id[:8]}", waived=False)
    open_request = await api.call("POST", "/letters", student, json=eras)
    assert open_request.status == 201, open_request.body
    assert (await api.call("POST", f"/letters/{open_request.body['id']}/accept", writer)).status == 200
    done = await api.call("POST", "/letters", student, json=letter_request(writer, specialty="Surgery", **ORDINARY))
    assert done.status == 201, done.body
    assert (await api.call("POST", f"/letters/{done.body['id']}/accept", writer)).status == 200
    submitted = await api.call("POST", f"/letters/{done.body['id']}/submit", writer, json={"submitted_on": future(0)})
    assert submitted.status == 200, submitted.body
    elsewhere = eras | {"writer_id": other_writer.id}
    assert (await api.call("POST", "/letters", student, json=elsewhere)).status == 409  # the ID is taken

    assert (await api.call("DELETE", "/me", writer, json={"password": PASSWORD})).status == 200

    declined = await eventually(
        lambda: api.call("GET", f"/letters/{open_request.body['id']}", student),
        20,
        what="the writer's deletion to decline the open request",
        until=lambda r: r.body["status"] == "declined",
        interval=0.2,
    )
    assert declined.body["writer"]["display_name"] == "Deleted user"
    kept = (await api.call("GET", f"/letters/{done.body['id']}", student)).body
    assert (kept["status"], kept["writer"]["display_name"], kept["submitted_on"]) == (
        "submitted",
        "Deleted user",
        future(0),
    )
    again = await api.call("POST", "/letters", student, json=elsewhere)
    assert again.status == 201, again.body
    await eventually(
        lambda: kinds(api, student),
        10,
        what="the student to hear of the declined request and the ended mentorship",
        until=lambda k: {"letter_declined", "mentorship_ended"} <= set(k),
        interval=0.2,
    )
    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body
    assert plan["status"] == "ended" and [n["body"] for n in plan["notes"]] == [mine["shared"], mine["private"]]
    assert [g["title"] for g in plan["goals"]] == [mine["goal"]]
    # The student's list says the mentor is gone, so the page offers no message to them.
    [ended] = [m for m in (await api.call("GET", "/me/mentorships", student)).body["items"] if m["id"] == mentorship_id]
    assert ended["mentor"]["deleted"] is True and ended["mentor"]["display_name"] == "Deleted user", ended
    assert ended["student"]["deleted"] is False


async def test_the_export_lists_the_mails_asked_for_and_the_failed_logins_of_the_address(api: Api) -> None:
    """Deletion erases the mails asked for (an address change with the address asked for, a
    password reset) and the failed logins of the address: the export now lists them too,
    without the network address they came from; another user's export holds none."""
    user, other = await api.signup("student", "Asks For Mail"), await api.signup("student", "Asks For None")
    new_email = f"moved-{uuid.uuid4().hex[:8]}@test.wardmate"
    change = await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": new_email})
    assert change.status == 202, change.body
    reset = await api.call("POST", "/auth/password-reset", json={"email": user.email})
    assert reset.status == 202, reset.body
    failed = await api.call("POST", "/auth/login", json={"email": user.email, "password": "not-the-password"})
    assert failed.status == 401, failed.body

    export = await api.call("GET", "/me/export", user)
    assert export.status == 200, export.body
    asked = export.body["accounts"]["mail_requests"]
    assert [(m["purpose"], m["email"]) for m in asked] == [("email", new_email), ("reset", user.email)], asked
    assert all(m["at"] for m in asked) and all("address" not in m for m in asked)
    [failure] = export.body["accounts"]["login_failures"]
    assert failure["email"] == user.email and failure["at"] and "address" not in failure
    theirs = await api.call("GET", "/me/export", other)
    assert (theirs.body["accounts"]["mail_requests"], theirs.body["accounts"]["login_failures"]) == ([], [])


async def test_the_export_holds_the_payments_of_your_stays_and_their_refunds(api: Api, stack: Stack) -> None:
    """The export asked four services and left out payments: what a guest paid, its
    Stripe ids and refunds were in no export. Payments answers for them now; the host's
    export holds none of the guest's payments."""
    host, guest, booking = await paid_booking(api, stack, policy="flexible", start=40)
    cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)
    assert cancelled.status == 200, cancelled.body

    async def guest_export() -> dict[str, Any]:
        r = await api.call("GET", "/me/export", guest)
        assert r.status == 200, r.body
        return r.body["payments"]  # type: ignore[no-any-return]

    mine = await eventually(guest_export, what="the refund in the export", until=lambda p: len(p["refunds"]) == 1)
    [payment] = mine["payments"]
    assert payment["booking_id"] == booking["id"] and payment["amount_cents"] == round(booking["total"] * 100)
    assert payment["status"] == "succeeded" and payment["payment_intent"], payment
    [refund] = mine["refunds"]
    assert (refund["booking_id"], refund["kind"], refund["amount_cents"]) == (
        booking["id"],
        "cancellation",
        payment["amount_cents"],
    ), refund
    assert mine["balance_entries"] == []
    theirs = await api.call("GET", "/me/export", host)
    assert theirs.status == 200 and theirs.body["payments"]["payments"] == [], theirs.body["payments"]
    assert theirs.body["payments"]["refunds"] == []


async def test_a_deleted_mentors_unanswered_request_is_declined(api: Api) -> None:
    """The student read "Deleted user ended your mentorship" of a request never answered:
    it is declined, as the mentor's own answer would be, and the student may ask another."""
    student = await api.signup("student", "Asking Student")
    mentor = await api.signup("professional", "Dr. Leaving Mentor")
    await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=2, hospital_ids=[JHH])
    asked = await eventually(
        lambda: api.call("POST", "/mentorships", student, json={"mentor_id": mentor.id, "message": "Hi"}),
        10,
        what="matching to know the mentor",
        until=lambda r: r.status == 201,
    )
    assert (await api.call("DELETE", "/me", mentor, json={"password": PASSWORD})).status == 200

    async def told() -> dict[str, str]:
        return {n["kind"]: n["text"] for n in await notifications(api, student)}

    kinds = await eventually(told, 20, what="the student told", until=lambda k: "mentorship_declined" in k)
    assert kinds["mentorship_declined"] == "Deleted user declined your mentorship request", kinds
    assert "mentorship_ended" not in kinds, kinds
    mine = (await api.call("GET", "/me/mentorships", student, params={"role": "student"})).body["items"]
    assert [(m["id"], m["status"]) for m in mine] == [(asked.body["id"], "declined")], mine
