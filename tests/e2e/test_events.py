"""What each write endpoint emits: the events, and their payloads, pinned.

A request sent with its own ``X-Request-Id`` finds the events it caused in the services'
outboxes (the outbox row keeps the request id), so each test names exactly the events of
one request: none missing, none extra, and their payloads as consumers will read them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from services.accounts.admin import ensure_admin
from services.gateway.routes import ROUTES
from services.runner import Stack
from tests import samples
from tests.api import Api, Response, User, random_email
from tests.e2e.helpers import JHH, future, listing_body, request_stay, upload
from tests.eventually import eventually

ADMIN_PASSWORD = "an-admin-password-1"
CHANGING_FIELDS = {"event_id", "occurred_at"}


@pytest.fixture
async def outbox(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    yield conn
    await conn.close()


def serving_service(method: str, path: str) -> str:
    """The service whose endpoint serves ``method path`` (from the gateway's routes)."""
    for route in ROUTES:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", route.path)
        if route.method == method and re.fullmatch(pattern, path):
            return route.subject.split(".")[1]
    raise AssertionError(f"no route serves {method} {path}")


class Recorder:
    """Sends requests with a fresh request id and reads back the events each one caused."""

    def __init__(self, api: Api, conn: asyncpg.Connection) -> None:
        self.api = api
        self.conn = conn

    async def call(self, method: str, path: str, user: User | None = None, **kw: Any) -> tuple[Response, list[Any]]:
        response, events = await self.call_any(method, path, user, **kw)
        assert response.status < 400, (method, path, response.status, response.body)
        return response, events

    async def call_any(self, method: str, path: str, user: User | None = None, **kw: Any) -> tuple[Response, list[Any]]:
        """Like ``call``, whatever the status."""
        rid = f"pin-{uuid.uuid4().hex}"
        response = await self.api.call(method, path, user, headers={"X-Request-Id": rid}, **kw)
        # Outbox rows commit with the change, before the reply: no waiting needed. Only the
        # serving service's outbox: events that consumers elsewhere emit in reaction (a
        # suggestion after a listing is published) carry the same request id, for tracing,
        # and arrive whenever those consumers get to them.
        schema = serving_service(method, path)
        rows = await self.conn.fetch(
            f"SELECT subject, payload FROM {schema}.outbox WHERE headers->>'X-Request-Id' = $1 ORDER BY seq",
            rid,
        )
        events = []
        for row in rows:
            payload = json.loads(bytes(row["payload"]))
            for name in CHANGING_FIELDS:
                assert payload.pop(name)
            events.append((row["subject"], payload))
        return response, events


@pytest.fixture
def rec(api: Api, outbox: asyncpg.Connection) -> Recorder:
    return Recorder(api, outbox)


def user_data(user_id: str, role: str, name: str, version: int, **profile: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "user_id": user_id,
        "version": version,
        "role": role,
        "display_name": name,
        "verified": False,
        "suspended": False,
        "bio": None,
        "medical_school": None,
        "school_country": None,
        "graduation_year": None,
        "languages": [],
        "specialties": [],
        "hobbies": [],
        "organizations": [],
        "profession": None,
        "hospital_ids": [],
        "open_to_mentoring": False,
        "mentoring_capacity": 0,
    }
    return base | profile


async def test_account_endpoints_emit_user_snapshots(rec: Recorder, stack: Stack) -> None:
    """Signup, profile change, verification and a suspension and its lifting each emit the
    whole user snapshot with a newer version (signup also asks for the mail confirming the
    address; a suspension says so in an event of its own); login, logout, reads and a
    submitted credential emit nothing."""
    email = random_email("pin")
    signup, events = await rec.call(
        "POST",
        "/auth/signup",
        json={"email": email, "password": "a-long-password", "display_name": "Dr. Pin", "role": "professional"},
    )
    uid = signup.body["user"]["id"]
    user = User(uid, signup.body["token"], email, "professional")
    assert events[0] == ("events.accounts.user.registered", {"user": user_data(uid, "professional", "Dr. Pin", 1)})
    assert [(subject, p["kind"], p["to"]) for subject, p in events[1:]] == [
        ("events.accounts.mail.requested", "verify_email", email)
    ]

    _, events = await rec.call("POST", "/auth/login", json={"email": email, "password": "a-long-password"})
    assert events == []
    _, events = await rec.call("GET", "/me", user)
    assert events == []

    profile = {"specialties": ["cardiology"], "languages": ["en", "yo"], "open_to_mentoring": True}
    _, events = await rec.call("PATCH", "/me/profile", user, json={"display_name": "Dr. Pinned", **profile})
    expected = user_data(uid, "professional", "Dr. Pinned", 2, **profile)
    assert events == [("events.accounts.profile.updated", {"user": expected})]

    _, events = await rec.call("POST", "/me/verification", user, json={"npi": "1234567893"})
    assert events == []  # pending: nothing a consumer shows has changed

    admin_email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), admin_email, ADMIN_PASSWORD)
    login, _ = await rec.call("POST", "/auth/login", json={"email": admin_email, "password": ADMIN_PASSWORD})
    admin = User(login.body["user"]["id"], login.body["token"], admin_email, "admin")
    _, events = await rec.call("POST", f"/admin/verifications/{uid}", admin)
    # Version 3 went to the submitted credential (a change, though not one consumers see).
    verified = expected | {"version": 4, "verified": True}
    assert events == [("events.accounts.user.verified", {"user": verified})]

    _, events = await rec.call("POST", "/auth/logout", user)
    assert events == []

    # A suspension: the snapshot (not mentoring while suspended; the row changed twice, the
    # suspension and the calendar link it ends), an event of its own, by which whoever deals
    # with the account is told, and a mail to the account's owner.
    body = {"reason": "Pinned"}
    _, events = await rec.call("POST", f"/admin/users/{uid}/suspension", admin, json=body)
    held = verified | {"version": 6, "suspended": True, "open_to_mentoring": False}
    told = {"user_id": uid, "to": email, "nonce": None, "expires_at": None}
    assert events == [
        ("events.accounts.profile.updated", {"user": held}),
        ("events.accounts.user.suspended", {"user_id": uid}),
        ("events.accounts.mail.requested", {"kind": "account_suspended", **told}),
    ]
    _, events = await rec.call("DELETE", f"/admin/users/{uid}/suspension", admin)
    assert events == [
        ("events.accounts.profile.updated", {"user": verified | {"version": 7}}),
        ("events.accounts.user.reinstated", {"user_id": uid}),
        ("events.accounts.mail.requested", {"kind": "account_reinstated", **told}),
    ]


async def public_location(rec: Recorder, listing_id: str) -> dict[str, Any]:
    """Where anyone but the host and a confirmed guest sees the room (read anonymously)."""
    seen, events = await rec.call("GET", f"/listings/{listing_id}", None)
    assert events == [] and seen.body["location"]["approximate"] is True
    return {"latitude": seen.body["location"]["latitude"], "longitude": seen.body["location"]["longitude"]}


def listing_data(listing: dict[str, Any], version: int, at: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The snapshot consumers get: the public position ``at`` (never the exact one), no
    address or texts for viewers."""
    data = {
        "listing_id": listing["id"],
        "version": version,
        "host_id": listing["host"]["id"],
        "title": listing["title"],
        "room_type": listing["room_type"],
        "latitude": at["latitude"],
        "longitude": at["longitude"],
        "monthly_rent": listing["monthly_rent"],
        "amenities": listing["amenities"],
        "available_from": listing["available_from"],
        "available_to": listing["available_to"],
        "min_stay_nights": listing["min_stay_nights"],
        "status": listing["status"],
        "review_average": None,
        "review_count": 0,
        "photo_count": 0,
        "cover": None,
        "blocked": [],
    }
    return data | changes


async def test_photo_changes_emit_the_listing_with_its_count_and_cover(rec: Recorder, api: Api) -> None:
    """A change of photos is a change of the listing: its snapshot carries the photo count
    and the cover (what matching's room cards and reasons read)."""
    host = await api.signup("professional", "Dr. Photos")
    listing = (await rec.call("POST", "/listings", host, json=listing_body()))[0].body
    photo = (await upload(api, host, listing["id"], samples.jpeg(), alt_text="The bedroom")).body
    cover = {
        "url": photo["urls"]["320"],
        "alt_text": "The bedroom",
        "color": photo["color"],
        "width": 320,
        "height": 240,
    }
    at = await public_location(rec, listing["id"])
    _, events = await rec.call("PATCH", f"/listings/{listing['id']}/photos/{photo['id']}", host, json={"caption": "x"})
    expected = listing_data(listing, 3, at, photo_count=1, cover=cover)
    assert events == [("events.listings.listing.updated", {"listing": expected})]
    _, events = await rec.call("DELETE", f"/listings/{listing['id']}/photos/{photo['id']}", host)
    assert events == [("events.listings.listing.updated", {"listing": listing_data(listing, 4, at)})]


async def test_listing_endpoints_emit_listing_snapshots(rec: Recorder, api: Api) -> None:
    """Publishing, changing and archiving a listing emit its snapshot with the version the
    database gave it; a draft, an empty change and reads emit nothing."""
    host = await api.signup("professional", "Dr. Listing")
    created, events = await rec.call("POST", "/listings", host, json=listing_body())
    listing = created.body
    assert listing["location"]["approximate"] is False  # the host's view: exact, unlike the event
    at = await public_location(rec, listing["id"])
    assert (at["latitude"], at["longitude"]) != (listing["location"]["latitude"], listing["location"]["longitude"])
    assert events == [("events.listings.listing.published", {"listing": listing_data(listing, 1, at)})]

    _, events = await rec.call("PATCH", f"/listings/{listing['id']}", host, json={"monthly_rent": 1200})
    expected = listing_data(listing, 2, at, monthly_rent=1200)
    assert events == [("events.listings.listing.updated", {"listing": expected})]
    _, events = await rec.call("PATCH", f"/listings/{listing['id']}", host, json={})
    assert events == []
    moved = {"latitude": 39.31, "longitude": -76.6}
    _, events = await rec.call("PATCH", f"/listings/{listing['id']}", host, json=moved)
    # One UPDATE per change, so one version step even when the positions are recomputed too.
    before, at = at, await public_location(rec, listing["id"])  # reads emit nothing (checked there)
    for axis in ("latitude", "longitude"):  # the public point moved with the room
        shift = moved[axis] - listing["location"][axis]
        assert at[axis] == pytest.approx(before[axis] + shift, abs=0.0011)
    expected = listing_data(listing, 3, at, monthly_rent=1200)
    assert events == [("events.listings.listing.updated", {"listing": expected})]
    _, events = await rec.call("DELETE", f"/listings/{listing['id']}", host)
    archived = listing_data(listing, 4, at, monthly_rent=1200, status="archived")
    assert events == [("events.listings.listing.archived", {"listing": archived})]

    draft, events = await rec.call("POST", "/listings", host, json=listing_body(status="draft"))
    assert events == []
    _, events = await rec.call("PATCH", f"/listings/{draft.body['id']}", host, json={"title": "Still a draft"})
    assert events == []
    _, events = await rec.call("PATCH", f"/listings/{draft.body['id']}", host, json={"status": "active"})
    published = listing_data(draft.body, 3, await public_location(rec, draft.body["id"]), title="Still a draft")
    published["status"] = "active"
    assert events == [("events.listings.listing.published", {"listing": published})]


async def test_blocked_dates_emit_the_listing_with_its_blocked_nights(rec: Recorder, api: Api) -> None:
    """Blocking and unblocking nights change the listing's snapshot (a new version with the
    nights, never the host's note): matching's room matches count them as taken. Requests
    the block declines emit their own booking.declined; listing reads emit nothing."""
    host = await api.signup("professional", "Dr. Blocker")
    listing = (await rec.call("POST", "/listings", host, json=listing_body()))[0].body
    at = await public_location(rec, listing["id"])
    made, events = await rec.call(
        "POST",
        f"/listings/{listing['id']}/blocked-dates",
        host,
        json={"start": future(40), "end": future(45), "note": "Roof"},
    )
    assert made.status == 201, made.body
    nights = [{"start": future(40), "end": future(45)}]
    assert events == [("events.listings.listing.updated", {"listing": listing_data(listing, 2, at, blocked=nights)})]
    _, events = await rec.call("GET", f"/listings/{listing['id']}/blocked-dates", host)
    assert events == []
    _, events = await rec.call("DELETE", f"/listings/{listing['id']}/blocked-dates/{made.body['id']}", host)
    assert events == [("events.listings.listing.updated", {"listing": listing_data(listing, 3, at)})]


def booking_data(booking: dict[str, Any], version: int, status: str) -> dict[str, Any]:
    return {
        "booking_id": booking["id"],
        "version": version,
        "listing_id": booking["listing_id"],
        "listing_title": booking["listing_title"],
        "guest_id": booking["guest_id"],
        "host_id": booking["host_id"],
        "check_in": booking["check_in"],
        "check_out": booking["check_out"],
        "status": status,
        "total_cents": round(booking["total"] * 100),
        "hospital_id": booking["hospital_id"],
        "rotation_id": booking["rotation_id"],
        "cancellation_policy": "moderate",
        "end_reason": None,
        "rotation_protected": False,
        "time_zone": "America/New_York",  # the room's, near Johns Hopkins
    }


async def test_booking_endpoints_emit_booking_snapshots(rec: Recorder, api: Api) -> None:
    """Requesting, accepting, declining and cancelling a stay each emit the booking's
    snapshot (listing, guest, host, stay, status, version); a refused action emits nothing."""
    host = await api.signup("professional")
    guest = await api.signup("student")
    created, _ = await rec.call("POST", "/listings", host, json=listing_body())
    lid = created.body["id"]
    body = {"check_in": future(30), "check_out": future(58), "message": "Cardiology rotation", "hospital_id": JHH}
    requested, events = await rec.call("POST", f"/listings/{lid}/bookings", guest, json=body)
    booking = requested.body
    assert events == [
        (
            "events.listings.booking.requested",
            {"booking": booking_data(booking, 1, "requested"), "message": "Cardiology rotation"},
        )
    ]
    _, events = await rec.call("POST", f"/bookings/{booking['id']}/accept", host)
    assert events == [("events.listings.booking.accepted", {"booking": booking_data(booking, 2, "accepted")})]
    _, events = await rec.call("POST", f"/bookings/{booking['id']}/cancel", guest)
    cancelled = {
        "booking": booking_data(booking, 3, "cancelled"),
        "cancelled_by": guest.id,
        "withdrawn": False,
        "account_deleted": False,
    }
    assert events == [("events.listings.booking.cancelled", cancelled)]

    second = await request_stay(api, guest, lid, start=70)
    assert second.status == 201
    _, events = await rec.call("POST", f"/bookings/{second.body['id']}/decline", host)
    assert events == [("events.listings.booking.declined", {"booking": booking_data(second.body, 2, "declined")})]
    _, events = await rec.call("GET", "/me/bookings", host)
    assert events == []
    refused = await api.call("POST", f"/bookings/{second.body['id']}/accept", host)
    assert refused.status == 409
    # A request cancelled before the host answered is withdrawn: messaging words it so.
    waiting = (await request_stay(api, guest, lid, start=90)).body
    withdrawn, events = await rec.call("POST", f"/bookings/{waiting['id']}/cancel", guest)
    assert withdrawn.body["end_reason"] == "withdrawn", withdrawn.body
    assert [(subject, body["withdrawn"]) for subject, body in events] == [("events.listings.booking.cancelled", True)]

    # A stay moved: the request names the new dates (the snapshot still has the old);
    # once accepted, the snapshot has them, with the new total.
    third = (await request_stay(api, guest, lid, start=120)).body
    assert (await api.call("POST", f"/bookings/{third['id']}/accept", host)).status == 200
    new_dates = {"check_in": future(125), "check_out": future(153)}
    _, events = await rec.call("POST", f"/bookings/{third['id']}/shift", guest, json=new_dates)
    assert events == [
        (
            "events.listings.booking.shift-requested",
            # The new dates' total at the stay's own rate; no rotation moved, so no protection.
            {"booking": booking_data(third, 3, "accepted"), **new_dates, "total_cents": 100_800, "for_rotation": False},
        )
    ]
    moved, events = await rec.call("POST", f"/bookings/{third['id']}/shift/accept", host)
    assert events == [("events.listings.booking.shifted", {"booking": booking_data(moved.body, 4, "accepted")})]
    _, events = await rec.call(
        "POST", f"/bookings/{third['id']}/shift", guest, json=new_dates | {"check_in": future(126)}
    )
    _, events = await rec.call("POST", f"/bookings/{third['id']}/shift/decline", host)
    declined = {
        "booking": booking_data(moved.body, 6, "accepted"),
        "check_in": future(126),
        "check_out": future(153),
        "for_rotation": False,
    }
    assert events == [("events.listings.booking.shift-declined", declined)]
    # Asked again and withdrawn by the guest before the host answers.
    await rec.call("POST", f"/bookings/{third['id']}/shift", guest, json=new_dates | {"check_in": future(127)})
    _, events = await rec.call("POST", f"/bookings/{third['id']}/shift/withdraw", guest)
    withdrawn = {"booking": booking_data(moved.body, 8, "accepted"), "check_in": future(127), "check_out": future(153)}
    assert events == [("events.listings.booking.shift-withdrawn", withdrawn)]


async def test_events_reach_matching_projections(api: Api, outbox: asyncpg.Connection) -> None:
    """Through the outbox, JetStream and matching's consumers, the projection converges on
    the listing's newest version and the booking's newest status."""
    host = await api.signup("professional")
    guest = await api.signup("student")
    listing = (await api.call("POST", "/listings", host, json=listing_body())).body
    for rent in (1100, 1200, 1300):
        assert (await api.call("PATCH", f"/listings/{listing['id']}", host, json={"monthly_rent": rent})).status == 200
    booking = await request_stay(api, guest, listing["id"])
    assert (await api.call("POST", f"/bookings/{booking.body['id']}/accept", host)).status == 200
    await eventually(
        lambda: outbox.fetchrow(
            "SELECT l.version, l.monthly_rent, b.status FROM matching.listings l"
            " LEFT JOIN matching.bookings b ON b.listing_id = l.listing_id WHERE l.listing_id = $1",
            uuid.UUID(listing["id"]),
        ),
        15,
        what="matching's projection at the listing's newest version and the booking accepted",
        until=lambda held: held is not None and tuple(held) == (4, 1300, "accepted"),
    )


async def test_mentorship_endpoints_emit_mentorship_snapshots(rec: Recorder, api: Api) -> None:
    """Requesting, accepting and ending a mentorship emit its snapshot; reads emit nothing."""
    mentor = await api.signup("professional")
    student = await api.signup("student")
    await api.call("PATCH", "/me/profile", mentor, json={"open_to_mentoring": True, "mentoring_capacity": 1})
    # The profile reaches matching's projection through events: 404 until then.
    requested, events = await eventually(
        lambda: rec.call_any("POST", "/mentorships", student, json={"mentor_id": mentor.id}),
        10,
        what="matching to know the mentor",
        until=lambda answer: answer[0].status != 404,
    )
    assert requested.status == 201, requested.body
    mid = requested.body["id"]

    def data(version: int, status: str) -> dict[str, Any]:
        return {
            "mentorship_id": mid,
            "version": version,
            "student_id": student.id,
            "mentor_id": mentor.id,
            "rotation_id": None,
            "status": status,
            "message": "",
        }

    assert events == [("events.matching.mentorship.requested", {"mentorship": data(1, "requested")})]
    _, events = await rec.call("POST", f"/mentorships/{mid}/accept", mentor)
    assert events == [("events.matching.mentorship.accepted", {"mentorship": data(2, "accepted")})]
    _, events = await rec.call("GET", "/me/mentorships", student)
    assert events == []
    _, events = await rec.call("POST", f"/mentorships/{mid}/end", student)
    # Accepted, then ended: not a request withdrawn before an answer.
    ended = {"mentorship": data(3, "ended"), "ended_by": student.id, "withdrawn": False, "account_deleted": False}
    assert events == [("events.matching.mentorship.ended", ended)]

    # A request ended before any answer is withdrawn: messaging words it so.
    again, _ = await rec.call("POST", "/mentorships", student, json={"mentor_id": mentor.id})
    assert again.status == 201, again.body
    _, events = await rec.call("POST", f"/mentorships/{again.body['id']}/end", student)
    assert [(subject, body["withdrawn"]) for subject, body in events] == [("events.matching.mentorship.ended", True)]


async def test_rotation_endpoints_emit_their_changes(rec: Recorder, api: Api) -> None:
    """Recording and changing a rotation emit rotation.changed (matching's own consumer
    suggests from it, later, under the same request id: only the rotation's events are
    pinned here); reading and deleting emit nothing."""
    student = await api.signup("student")
    body = {"hospital_id": JHH, "specialty": "cardiology", "start_date": future(40), "end_date": future(68)}
    created, events = await rec.call("POST", "/rotations", student, json=body)
    rid = created.body["id"]

    def own(found: list[Any]) -> list[Any]:
        return [e for e in found if e[0].startswith("events.matching.rotation.")]

    def changed(version: int) -> tuple[str, dict[str, Any]]:
        return ("events.matching.rotation.changed", {"rotation_id": rid, "student_id": student.id, "version": version})

    assert own(events) == [changed(1)]
    _, events = await rec.call("PATCH", f"/rotations/{rid}", student, json={"monthly_budget": 1300})
    assert own(events) == [changed(2)]
    _, events = await rec.call("GET", f"/rotations/{rid}", student)
    assert events == []
    _, events = await rec.call("DELETE", f"/rotations/{rid}", student)
    assert own(events) == []


async def test_block_endpoints_emit_the_pairs_block(rec: Recorder, api: Api) -> None:
    """Blocking and unblocking emit the pair's block at its next version when they change
    something (again: nothing); the list of one's blocks emits nothing."""
    me = await api.signup("professional")
    other = await api.signup("student")
    _, events = await rec.call("POST", f"/users/{other.id}/block", me)
    pair_id = events[0][1]["block"]["pair_id"] if events else None

    def block(version: int, blocked: bool) -> dict[str, Any]:
        return {
            "block": {
                "pair_id": pair_id,
                "version": version,
                "blocker_id": me.id,
                "blocked_id": other.id,
                "blocked": blocked,
            }
        }

    assert events == [("events.messaging.user.blocked", block(1, True))]
    _, events = await rec.call("POST", f"/users/{other.id}/block", me)
    assert events == []
    _, events = await rec.call("GET", "/me/blocks", me)
    assert events == []
    _, events = await rec.call("DELETE", f"/users/{other.id}/block", me)
    assert events == [("events.messaging.user.unblocked", block(2, False))]
    _, events = await rec.call("DELETE", f"/users/{other.id}/block", me)
    assert events == []
    _, events = await rec.call("POST", f"/users/{other.id}/block", me)
    assert events == [("events.messaging.user.blocked", block(3, True))]
