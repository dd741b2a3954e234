"""Export and deletion across services: a user active in every service downloads what
Wardmate holds about them, deletes the account, and afterwards no row of any schema holds
their address, name, profile text or the bodies of what they wrote."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg

from services.matching import rebuild
from services.runner import SERVICES_WITH_SCHEMA, Stack
from shared.settings import Settings
from tests.api import PASSWORD, Api
from tests.e2e.helpers import JHH, create_listing, future


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
    """The export holds the user's profile, stay, messages both ways and rotation; after
    DELETE /me every service erases or anonymises them: the other person keeps the
    conversation under "Deleted user" with the bodies removed, the stay is cancelled,
    the rotation and mentorship request are gone, and the address can sign up again."""
    tag = uuid.uuid4().hex[:8]
    name, bio = f"Zelda Quill {tag}", f"Loves night shifts and {tag} sourdough"
    said, heard, asked = f"My flight lands at 9, {tag}", f"See you then {tag}", f"Rotating in {tag} cardiology"
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
    # Matching hears that the host mentors from events: ask until it knows.
    deadline = time.monotonic() + 20
    while (mentorship := await api.call("POST", "/mentorships", user, json={"mentor_id": host.id})).status != 201:
        assert time.monotonic() < deadline, mentorship.body
        await asyncio.sleep(0.2)

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
    assert [r["id"] for r in data["matching"]["rotations"]] == [rotation.body["id"]]
    assert [m["mentor_id"] for m in data["matching"]["mentorships"]] == [host.id]
    assert data["messaging"]["notifications"], "the acceptance notified the user"
    # Another user's export has none of it.
    other = await api.call("GET", "/me/export", host)
    assert said not in str(other.body["messaging"]["messages_sent"]) and bio not in str(other.body["accounts"])

    wrong = await api.call("DELETE", "/me", user, json={"password": "not-my-password"})
    assert wrong.status == 403
    gone = await api.call("DELETE", "/me", user, json={"password": PASSWORD})
    assert gone.status == 200, gone.body
    assert (await api.call("GET", "/me", user)).status == 401

    needles = [user.email, name, bio, said, asked]
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
    assert mentorship.body["id"] not in [m["id"] for m in mentorships.body["items"]]

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
