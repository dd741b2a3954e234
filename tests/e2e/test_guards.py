"""Every object is guarded: a second user sees 404 for what is not theirs, 403 when acting
as the wrong party; bad input is a 400 with a JSON error and writes nothing."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import pytest

from services.gateway.routes import ROUTES
from tests.api import PASSWORD, Api, User
from tests.e2e.helpers import JHH, create_listing, future, listing_body, request_stay


async def test_second_user_cannot_see_or_change_others_objects(api: Api) -> None:
    """Another user's booking and draft answer 404; the wrong party gets 403."""
    host = await api.signup("professional")
    other_host = await api.signup("professional")
    student = await api.signup("student")
    stranger = await api.signup("student")
    draft = await create_listing(api, host, status="draft")
    listing = await create_listing(api, host)
    booking = (await request_stay(api, student, listing["id"])).body

    assert (await api.call("GET", f"/listings/{draft['id']}", stranger)).status == 404
    assert (await api.call("GET", f"/listings/{draft['id']}", None)).status == 404
    assert (await api.call("GET", f"/listings/{draft['id']}", host)).status == 200
    assert (await api.call("PATCH", f"/listings/{draft['id']}", other_host, json={"title": "Mine now"})).status == 404
    r = await api.call("PATCH", f"/listings/{listing['id']}", other_host, json={"title": "Mine now"})
    assert r.status == 403 and r.error_code == "forbidden"
    assert (await api.call("DELETE", f"/listings/{listing['id']}", other_host)).status == 403

    for action in ("accept", "decline", "cancel"):
        r = await api.call("POST", f"/bookings/{booking['id']}/{action}", stranger)
        assert r.status == 404 and r.error_code == "not_found", (action, r.body)
    r = await api.call("POST", f"/bookings/{booking['id']}/accept", student)
    assert r.status == 403
    r = await api.call("POST", f"/bookings/{booking['id']}/reviews", stranger, json={"rating": 5, "text": "x"})
    assert r.status == 404
    stranger_view = await api.call("GET", "/me/bookings", stranger)
    assert stranger_view.body["items"] == []
    # One booking: its two sides each read it as theirs; anyone else gets the 404 of an unknown id.
    for user, role in ((student, "guest"), (host, "host")):
        r = await api.call("GET", f"/bookings/{booking['id']}", user)
        assert r.status == 200 and (r.body["id"], r.body["role"]) == (booking["id"], role), r.body
    for user in (stranger, other_host):
        r = await api.call("GET", f"/bookings/{booking['id']}", user)
        assert r.status == 404 and r.error_code == "not_found", r.body
    r = await api.call("GET", "/bookings/00000000-0000-4000-8000-000000000000", student)
    assert r.status == 404 and r.error_code == "not_found", r.body
    assert (await api.call("GET", f"/bookings/{booking['id']}", None)).status == 401

    own = await request_stay(api, host, listing["id"])
    assert own.status == 403
    student_post = await api.call("POST", "/listings", student, json=listing_body())
    assert student_post.status == 403
    unauth = await api.call("POST", "/listings", None, json=listing_body())
    assert unauth.status == 401 and unauth.error_code == "unauthorized"
    # The guest whose request is pending still sees an approximate location only.
    detail = await api.call("GET", f"/listings/{listing['id']}", student)
    assert detail.body["location"]["approximate"] is True and detail.body["location"]["address"] is None


BAD: dict[tuple[str, str], list[Any]] = {
    ("POST", "/auth/signup"): [
        {"email": "nope", "password": "short", "display_name": "", "role": "admin"},
        {"email": 5},
        [1, 2],
    ],
    ("POST", "/auth/login"): [{"email": None, "password": 3}],
    ("POST", "/auth/verify-email"): [{}, {"token": "short"}, {"token": 5}],
    ("POST", "/auth/confirm-email"): [{}, {"token": "x" * 2001}],
    ("POST", "/auth/password-reset"): [{}, {"email": 5}, {"email": ""}],
    ("POST", "/auth/password-reset/check"): [{}, {"token": 5}, {"token": "x" * 20, "extra": 1}],
    ("POST", "/auth/password-reset/confirm"): [{"token": "x" * 20, "password": "short"}, {"password": "long-enough-1"}],
    ("POST", "/me/verification-email"): [{"unexpected": 1}],
    ("POST", "/me/password"): [{"current_password": "", "new_password": "long-enough-1"}, {"new_password": "short"}],
    ("POST", "/me/email"): [{"password": PASSWORD, "new_email": "nope"}, {"new_email": "a@b.test"}],
    ("DELETE", "/me/sessions/{session}"): [],
    ("POST", "/me/sessions/revoke-others"): [{"unexpected": 1}],
    ("POST", "/me/calendar/rotate"): [{"unexpected": 1}],
    ("DELETE", "/me"): [{}, {"password": ""}, {"password": 5}],
    ("PUT", "/me/notification-preferences"): [{"muted_kinds": ["spam"], "digest": True}, {"digest": "yes"}],
    ("PATCH", "/me/profile"): [
        {"languages": ["xx-not-a-language"]},
        {"school_country": "ZZ"},
        {"graduation_year": "soon"},
        {"unknown_field": 1},
    ],
    ("POST", "/me/verification"): [{"npi": "1234567890"}, {"license_number": "A123"}, {}],
    ("POST", "/listings"): [
        listing_body(monthly_rent=0),
        listing_body(latitude=91),
        listing_body(available_from=future(50), available_to=future(40)),
        listing_body(min_stay_nights=0),
        listing_body(title="x" * 500),
        {"title": "missing everything"},
    ],
    ("PATCH", "/listings/{listing}"): [
        {"monthly_rent": -5},
        {"longitude": 200},
        {"status": "archived"},
        {"available_from": future(300)},
        {"title": None},
    ],
    ("DELETE", "/listings/{listing}"): [],
    ("POST", "/listings/{listing}/bookings"): [
        {"check_in": future(40), "check_out": future(30)},
        {"check_in": "tomorrow", "check_out": future(30)},
        {"check_in": future(30), "check_out": future(33)},  # shorter than the minimum stay
        {"check_in": future(1), "check_out": future(30)},  # before the availability window
        {"check_in": future(30), "check_out": future(60), "rotation_id": "not-a-rotation"},
    ],
    ("POST", "/bookings/{booking}/accept"): [{"reason": 5}],
    ("POST", "/bookings/{booking}/decline"): [{"reason": ["x"]}],
    ("POST", "/bookings/{booking}/cancel"): [{"reason": {"a": 1}}],
    ("POST", "/bookings/{booking}/shift"): [
        {"check_in": future(50), "check_out": future(40)},
        {"check_in": future(40)},
        {"check_in": "soon", "check_out": future(40)},
    ],
    ("POST", "/bookings/{booking}/shift/accept"): [{"reason": 5}],
    ("POST", "/bookings/{booking}/shift/decline"): [{"reason": ["x"]}],
    ("POST", "/bookings/{booking}/shift/withdraw"): [{"reason": 7}],
    ("POST", "/bookings/{booking}/reviews"): [{"rating": 6, "text": "great"}, {"rating": 3, "text": ""}],
    ("POST", "/admin/verifications/{user}"): [],
    # A suspension says why, in visible words (kept for the operators).
    ("POST", "/admin/users/{user}/suspension"): [
        {},
        {"reason": ""},
        {"reason": "  \n "},
        {"reason": "x" * 501},
        {"reason": 5},
    ],
    ("DELETE", "/admin/users/{user}/suspension"): [],
    # A rejection says why, in visible words, about the submission the operator read.
    ("POST", "/admin/verifications/{user}/rejection"): [
        {"submitted_at": "2026-03-01T09:00:00Z"},
        {"submitted_at": "2026-03-01T09:00:00Z", "reason": ""},
        {"submitted_at": "2026-03-01T09:00:00Z", "reason": "  \n "},
        {"submitted_at": "2026-03-01T09:00:00Z", "reason": "\u200b\u2060"},
        {"submitted_at": "2026-03-01T09:00:00Z", "reason": "x" * 501},
        {"reason": "The NPI belongs to someone else"},
    ],
    ("POST", "/auth/logout"): [],
    ("POST", "/conversations"): [
        {"user_id": "not-a-uuid"},
        {"body": "hello"},
        {"user_id": str(uuid.uuid4()), "body": "   "},
        {"user_id": str(uuid.uuid4()), "body": "x" * 4001},
        {"user_id": str(uuid.uuid4()), "client_message_id": "has spaces"},
    ],
    ("POST", "/conversations/{conversation}/messages"): [
        {},
        {"body": ""},
        {"body": "x" * 4001},
        {"body": 5},
        {"body": "hi", "client_message_id": "x" * 65},
    ],
    ("POST", "/conversations/{conversation}/read"): [{"message_id": "nope"}, {"message_id": 7}],
    ("POST", "/notifications/read"): [{"up_to": "nope"}],
    ("POST", "/users/{user}/block"): [],
    ("DELETE", "/users/{user}/block"): [],
    ("POST", "/reports"): [
        {"reason": "scam"},
        {"user_id": str(uuid.uuid4()), "reason": "boredom"},
        {"user_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()), "reason": "spam"},
        {"user_id": str(uuid.uuid4()), "reason": "spam", "details": "x" * 2001},
    ],
    ("POST", "/admin/reports/{report}/resolve"): [{"resolution": 5}, {"resolution": "x" * 2001}],
    ("POST", "/rotations"): [
        {"hospital_id": JHH, "specialty": "cardiology", "start_date": future(50), "end_date": future(45)},
        {
            "hospital_id": JHH,
            "specialty": "cardiology",
            "start_date": future(5),
            "end_date": future(9),
            "monthly_budget": -5,
        },
        {"hospital_id": "Not A Hospital Id", "specialty": "cardiology", "start_date": future(5), "end_date": future(9)},
        {"specialty": "cardiology"},
    ],
    ("PATCH", "/rotations/{rotation}"): [
        {"monthly_budget": 0},
        {"specialty": None},
        {"start_date": future(50), "end_date": future(45)},
        {"room_types": ["castle"]},
    ],
    ("DELETE", "/rotations/{rotation}"): [],
    ("POST", "/mentorships"): [{}, {"mentor_id": "nope"}, {"mentor_id": str(uuid.uuid4()), "message": "x" * 2001}],
    ("POST", "/mentorships/{mentorship}/accept"): [{"unexpected": 1}],
    ("POST", "/mentorships/{mentorship}/decline"): [{"unexpected": 1}],
    ("POST", "/mentorships/{mentorship}/end"): [{"unexpected": 1}],
    ("POST", "/admin/match-rounds"): [
        {},
        {"selection": {"hospital_id": "Not A Hospital Id", "month": "2027-03"}},
        {"selection": {"hospital_id": JHH, "month": "2027-13"}},
        {"rotation_ids": [str(uuid.uuid4())]},
        {"scramble_of": "nope"},
        {"scramble_of": str(uuid.uuid4()), "proposing": "hospitals"},
    ],
    ("POST", "/admin/match-rounds/{round}/accept"): [{"unexpected": 1}],
    ("POST", "/bookings/{booking}/pay"): [{"unexpected": 1}, {"booking_id": "x"}],
    ("POST", "/bookings/{booking}/pay/confirm"): [{"unexpected": 1}],
    ("POST", "/admin/payments/{booking}/refunds"): [
        {"amount_cents": 0, "reason": "a reason"},
        {"amount_cents": "100", "reason": "a reason"},
        {"amount_cents": 100, "reason": ""},
        {"amount_cents": 100},
    ],
    # Photos and documents (issue #17); their multipart uploads are tested in test_photos/test_documents.
    ("PATCH", "/listings/{listing}/photos/{photo_id}"): [{"alt_text": "x"}, {"caption": 5}, {"alt_text": "   "}],
    ("PUT", "/listings/{listing}/photo-order"): [{}, {"photo_ids": []}, {"photo_ids": ["nope"]}],
    ("DELETE", "/listings/{listing}/photos/{photo_id}"): [],
    ("POST", "/listings/{listing}/blocked-dates"): [
        {},
        {"start": "2027-02-10", "end": "2027-02-01"},
        {"start": "2027-02-01", "end": "2027-02-01"},
        {"start": "2027-02-01", "end": "2028-06-01"},
        {"start": "yesterday", "end": "2027-02-01"},
        {"start": "2027-02-01", "end": "2027-02-05", "note": "x" * 501},
        [1, 2],
    ],
    ("DELETE", "/listings/{listing}/blocked-dates/{block_id}"): [],
    ("POST", "/admin/documents/{document}/decision"): [{}, {"decision": "maybe"}, {"decision": "verified", "note": 5}],
    ("POST", "/mentorships/{mentorship}/goals"): [{}, {"title": "   "}, {"title": "x", "target_date": "soon"}],
    ("PATCH", "/goals/{goal}"): [{"status": "finished"}, {"title": None}, {"title": "x" * 201}],
    ("POST", "/mentorships/{mentorship}/meetings"): [
        {"options": []},
        {"options": ["2030-01-01T10:00"]},  # no offset: whose 10:00?
        {"options": ["2030-01-01T10:00:00Z"] * 4},
        {"options": ["2030-01-01T10:00:00Z"], "video_url": "http://insecure.example"},
        {"options": ["2030-01-01T10:00:00Z"], "duration_minutes": 5},
    ],
    ("POST", "/meetings/{meeting}/accept"): [{}, {"starts_at": "tomorrow"}],
    ("POST", "/meetings/{meeting}/decline"): [{"unexpected": 1}],
    ("POST", "/meetings/{meeting}/reschedule"): [{}, {"options": "2030-01-01T10:00:00Z"}],
    ("POST", "/meetings/{meeting}/cancel"): [{"unexpected": 1}],
    ("POST", "/meetings/{meeting}/held"): [{"unexpected": 1}],
    ("POST", "/mentorships/{mentorship}/notes"): [{}, {"body": " "}, {"body": "x" * 5001}],
    ("POST", "/mentorships/{mentorship}/check-ins"): [
        {"stage": "mid", "usefulness": 0},
        {"stage": "mid", "usefulness": 3.5},
        {"stage": "start", "usefulness": 3},
    ],
    ("PATCH", "/me/mentoring-settings"): [{"time_zone": "Not/AZone"}, {"hospital_visibility": "world"}],
    ("POST", "/letters"): [
        {},
        {"writer_id": str(uuid.uuid4()), "specialty": "Surgery", "deadline": "2020-01-01", "waived": True},
        {"writer_id": str(uuid.uuid4()), "specialty": "Surgery", "deadline": future(30), "waived": "yes"},
        {"writer_id": str(uuid.uuid4()), "specialty": "Surgery", "deadline": future(30), "waived": True},  # no ID
    ],
    ("POST", "/letters/{letter}/accept"): [{"unexpected": 1}],
    ("POST", "/letters/{letter}/decline"): [{"unexpected": 1}],
    ("POST", "/letters/{letter}/submit"): [{"submitted_on": "yesterday"}],
    ("POST", "/letters/{letter}/confirm"): [{"unexpected": 1}],
    ("POST", "/letters/{letter}/withdraw"): [{"unexpected": 1}],
}

PLACEHOLDERS = (
    "{listing}",
    "{booking}",
    "{user}",
    "{conversation}",
    "{report}",
    "{rotation}",
    "{mentorship}",
    "{round}",
    "{document}",
    "{goal}",
    "{meeting}",
    "{letter}",
    "{session}",
)


def route_path(path: str) -> str:
    """A path of the table below as the gateway's routes write it (``{id}`` placeholders)."""
    return functools.reduce(lambda path, name: path.replace(name, "{id}"), PLACEHOLDERS, path)


def test_every_write_route_has_bad_input_cases() -> None:
    """The bad-input table below covers every write endpoint of the gateway."""
    writes = {(r.method, r.path) for r in ROUTES if r.method != "GET"}
    table = {(m, route_path(p)) for m, p in BAD}
    assert writes == table


# Routes for one role only: the role is checked before the body (a 403 otherwise).
STUDENTS_ONLY = {("POST", "/rotations"), ("POST", "/mentorships"), ("POST", "/letters")}


async def test_bad_input_is_400_json_and_writes_nothing(api: Api, admin: User) -> None:
    """Each malformed body from a caller the route serves gets 400 with a JSON error body,
    and the state is unchanged."""
    host = await api.signup("professional")
    student = await api.signup("student")
    listing = await create_listing(api, host)
    booking = (await request_stay(api, student, listing["id"])).body
    conversation = (await api.call("POST", "/conversations", host, json={"user_id": student.id})).body

    async def snapshot() -> Any:
        mine = await api.call("GET", "/me/listings", host)
        bookings = await api.call("GET", "/me/bookings", host)
        me = await api.call("GET", "/me", host)
        talk = await api.call("GET", f"/conversations/{conversation['id']}/messages", host)
        return mine.body, bookings.body, me.body, talk.body

    before = await snapshot()
    ids = {
        "listing": listing["id"],
        "booking": booking["id"],
        "user": student.id,
        "conversation": conversation["id"],
        "report": uuid.uuid4(),
        # A body is checked before the id is looked up: any id shows the 400.
        "rotation": uuid.uuid4(),
        "mentorship": uuid.uuid4(),
        "round": uuid.uuid4(),
        "photo_id": uuid.uuid4(),
        "block_id": uuid.uuid4(),
        "document": uuid.uuid4(),
        "goal": uuid.uuid4(),
        "meeting": uuid.uuid4(),
        "letter": uuid.uuid4(),
        "session": uuid.uuid4(),
    }
    for (method, path), bodies in BAD.items():
        url = path.format(**ids)
        caller = host
        if ("bookings" in path and method == "POST" and "{listing}" in path) or (method, path) in STUDENTS_ONLY:
            caller = student
        elif path.startswith("/admin/"):
            caller = admin
        for body in bodies:
            r = await api.call(method, url, caller, json=body)
            assert r.status == 400, (method, url, body, r.status, r.body)
            assert r.error_code == "validation" and r.body["error"]["message"], r.body
        # Malformed JSON and a wrong content type are 400 too.
        if method != "DELETE":
            r = await api.call(method, url, caller, data=b"{not json", headers={"Content-Type": "application/json"})
            assert r.status == 400 and r.error_code == "validation", (url, r.body)
    assert await snapshot() == before
    # Path ids that are not UUIDs are a 400, not a 500.
    r = await api.call("POST", "/bookings/not-a-uuid/accept", host)
    assert r.status == 400


async def test_operators_routes_answer_others_403_before_reading_the_body(api: Api) -> None:
    """Every /admin route answers a student or a host 403, and an anonymous caller 401,
    whatever the body, query or path id: an invalid body's schema errors never reach them
    (audit 4, D12: three operators' POSTs answered 400 with their fields)."""
    student, host = await api.signup("student"), await api.signup("professional")
    routes = [r for r in ROUTES if r.path.startswith("/admin/")]
    assert len(routes) >= 15
    bad = {(method, route_path(path)): bodies for (method, path), bodies in BAD.items()}
    for route in routes:
        for path_id in (str(uuid.uuid4()), "not-a-uuid"):
            url = route.path.replace("{id}", path_id)
            if route.method == "GET":
                asks: list[dict[str, Any]] = [{"params": {"unexpected": "1"}}, {"params": {"limit": "0"}}, {}]
            else:
                asks = [{"json": body} for body in [{}, {"unexpected": 1}, *bad[(route.method, route.path)]]]
            for ask in asks:
                for user in (student, host):
                    r = await api.call(route.method, url, user, **ask)
                    assert r.status == 403 and r.error_code == "forbidden", (route.path, user.role, ask, r.body)
                r = await api.call(route.method, url, None, **ask)
                assert r.status == 401 and r.error_code == "unauthorized", (route.path, ask, r.body)


@pytest.mark.parametrize(
    "path", ["/listings/00000000-0000-0000-0000-000000000000", "/users/00000000-0000-0000-0000-000000000000"]
)
async def test_unknown_objects_are_404(api: Api, path: str) -> None:
    """An id that does not exist answers 404 with a JSON error."""
    r = await api.call("GET", path)
    assert r.status == 404 and r.error_code == "not_found"


# Inputs that answered 500 (or were taken as nonsense) before the contracts became strict.
NEVER_500: list[tuple[str, str, dict[str, Any] | None, dict[str, str] | None]] = [
    ("PATCH", "/me/profile", {"hobbies": None}, None),
    ("PATCH", "/me/profile", {"bio": "a\u0000b"}, None),
    ("PATCH", "/listings/{listing}", {"available_to": 0, "title": None}, None),
    ("PATCH", "/listings/{listing}", {"available_from": None}, None),
    ("PATCH", "/listings/{listing}", {"description": None}, None),
    ("GET", "/listings", None, {"near": "39.3,-76.6", "max_rent": "10332591422"}),
    ("GET", "/listings", None, {"radius_km": "5e-324", "near": "1,2"}),
    ("POST", "/listings", listing_body(available_from=0), None),
    ("POST", "/listings", listing_body(monthly_rent=900.5), None),
    ("GET", "/hospitals", None, {"q": "a\u0000b"}),
    ("GET", "/hospitals", None, {"cursor": "WyJ4Il0"}),  # ["x"]: not an offset
    ("GET", "/listings", None, {"sort": "price", "cursor": "WzFlOTk5LCJ4Il0"}),  # [1e999, "x"]
    ("GET", "/users/12345678123456781234567812345678", None, None),
    ("POST", "/auth/login", {"email": "a\u0000@b.cc", "password": "x"}, None),
]


async def test_inputs_that_once_crashed_are_refused_with_400(api: Api) -> None:
    """Nulls, integers as dates, numbers past a column's range, U+0000, forged cursors and
    ids without hyphens are 400s naming the field, never 500s or silently coerced."""
    host = await api.signup("professional")
    listing = await create_listing(api, host)
    for method, path, body, query in NEVER_500:
        r = await api.call(method, path.format(listing=listing["id"]), host, json=body, params=query)
        assert r.status == 400 and r.error_code == "validation", (method, path, body, query, r.status, r.body)
    deep = b'{"bio": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    for raw in (deep, b'{"graduation_year": NaN}'):
        r = await api.call("PATCH", "/me/profile", host, data=raw, headers={"Content-Type": "application/json"})
        assert r.status == 400 and r.error_code == "validation", r.body


async def test_a_request_line_or_header_too_long_is_a_json_400(api: Api) -> None:
    """Refused by aiohttp's parser before any route: it answered plain text echoing what it
    read ("Got more than 8190 bytes when reading: …") and logged a traceback for each."""
    assert api.http is not None
    for url, headers in (
        (f"{api.base}/api/v1/hospitals?q={'a' * 9000}", {}),
        (f"{api.base}/api/v1/health", {"X-Big": "b" * 9000}),
    ):
        async with api.http.get(url, headers=headers) as r:
            assert r.status == 400 and r.content_type == "application/json", (r.status, await r.text())
            body = await r.json()
            assert body["error"]["code"] == "validation" and "too long" in body["error"]["message"], body
            assert "aaaa" not in await r.text() and "bbbb" not in await r.text()
    # The next request is served as usual.
    assert (await api.call("GET", "/hospitals", params={"q": "Fargo"})).status == 200


async def test_query_values_are_typed_and_nulls_clear_only_optional_texts(api: Api) -> None:
    """?limit=3&radius_km=5&amenities=wifi,desk work as numbers and a list; bio null clears
    it; a subnormal latitude is rounded, to 0, 0, which is no US room's place (a 400, not a
    500: earthdistance underflowed on it)."""
    host = await api.signup("professional")
    params = {"near": "39.3,-76.6", "radius_km": "5", "limit": "3", "amenities": "wifi,desk", "max_rent": "100000"}
    r = await api.call("GET", "/listings", params=params)
    assert r.status == 200, r.body
    assert (await api.call("PATCH", "/me/profile", host, json={"bio": "hello"})).body["profile"]["bio"] == "hello"
    r = await api.call("PATCH", "/me/profile", host, json={"bio": None})
    assert r.status == 200 and r.body["profile"]["bio"] is None
    subnormal = listing_body(latitude=5e-324, longitude=-2.2e-309)
    created = await api.call("POST", "/listings", host, json=subnormal)
    assert created.status == 400 and created.body["error"]["details"][0]["field"] == "latitude", created.body


async def test_a_stay_names_only_its_guests_own_rotation_and_operators_book_nothing(api: Api, admin: User) -> None:
    """A stay took any rotation id (another student's, a made-up one), and an operator
    could request a stay as a guest. Another's or none is a 404, as a mentorship naming it
    is; an operator's or a professional's request is a 403 (stays are students': a
    professional's was made, and no page of theirs showed it); the guest's own is kept."""
    host = await api.signup("professional", "Dr. Guarded Rooms")
    owner, other = await api.signup("student", "Rotation Owner"), await api.signup("student", "Someone Else")
    listing = await create_listing(api, host)
    rotation = await api.call(
        "POST",
        "/rotations",
        owner,
        json={"hospital_id": JHH, "specialty": "cardiology", "start_date": future(30), "end_date": future(58)},
    )
    assert rotation.status == 201, rotation.body
    path = f"/listings/{listing['id']}/bookings"
    stay = {"check_in": future(30), "check_out": future(58)}
    for who, rotation_id in ((other, rotation.body["id"]), (other, str(uuid.uuid4()))):
        refused = await api.call("POST", path, who, json={**stay, "rotation_id": rotation_id})
        assert refused.status == 404 and refused.body["error"]["message"] == "rotation not found", refused.body
    mine = await api.call("GET", "/me/bookings", other, params={"role": "guest"})
    assert mine.body["items"] == []  # nothing written
    for who in (admin, host, await api.signup("professional", "Dr. Travelling")):
        refused = await api.call("POST", path, who, json={**stay, "rotation_id": rotation.body["id"]})
        assert refused.status == 403 and "needs the role student" in refused.body["error"]["message"], refused.body
    kept = await api.call("POST", path, owner, json={**stay, "rotation_id": rotation.body["id"]})
    assert kept.status == 201 and kept.body["rotation_id"] == rotation.body["id"], kept.body
    # Named by its rotation alone, the stay is near that rotation's hospital (it kept none,
    # and its review named no hospital).
    assert kept.body["hospital_id"] == JHH, kept.body
