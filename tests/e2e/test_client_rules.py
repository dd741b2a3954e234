"""Rules the web client relies on, held by the API (issue 22): one open request per stay,
countries and languages by their codes only, places from offline data, bodies that must
be JSON, one conversation per booking."""

from __future__ import annotations

import asyncio
from typing import Any
from xml.etree import ElementTree

from services.runner import Stack
from tests.api import Api
from tests.e2e.helpers import JHH, create_listing, future, listing_body, request_stay
from tests.e2e.test_matching import rotation
from tests.e2e.test_rounds import HELENA, finished, operator, professionals_known
from tests.e2e.test_rounds import mentor as rounds_mentor
from tests.eventually import eventually


async def test_a_second_request_for_overlapping_dates_is_refused_naming_the_first(api: Api) -> None:
    """A guest's second request for the same room and overlapping dates is a 409 naming the
    open one, also when both are sent at once; other dates, and dates freed by a
    cancellation, can still be requested."""
    host = await api.signup("professional")
    guest = await api.signup("student")
    listing = await create_listing(api, host)
    first = await request_stay(api, guest, listing["id"], start=30, nights=28)
    assert first.status == 201, first.body
    again = await request_stay(api, guest, listing["id"], start=40, nights=20)
    assert again.status == 409 and again.error_code == "conflict", again.body
    assert again.body["error"]["details"] == {"booking_id": first.body["id"], "status": "requested"}
    later = await request_stay(api, guest, listing["id"], start=70, nights=20)
    assert later.status == 201, later.body

    # Accepted is still open; cancelled frees the dates for a new request.
    assert (await api.call("POST", f"/bookings/{first.body['id']}/accept", host)).status == 200
    accepted_again = await request_stay(api, guest, listing["id"], start=30, nights=28)
    assert accepted_again.status == 409 and accepted_again.body["error"]["details"]["status"] == "accepted"
    assert (await api.call("POST", f"/bookings/{first.body['id']}/cancel", guest)).status == 200
    assert (await request_stay(api, guest, listing["id"], start=30, nights=28)).status == 201

    # A double click: two identical requests at once make one booking.
    other = await create_listing(api, host)
    racing = await asyncio.gather(*(request_stay(api, guest, other["id"]) for _ in range(4)))
    assert sorted(r.status for r in racing) == [201, 409, 409, 409], [r.body for r in racing]
    mine = await api.call("GET", "/me/bookings", guest, params={"limit": "100"})
    assert sum(1 for b in mine.body["items"] if b["listing_id"] == other["id"]) == 1


async def test_countries_and_languages_are_chosen_by_name_and_stored_as_codes(api: Api) -> None:
    """The directories answer names with the codes the profile accepts; the profile takes
    codes only and never reads a name as one ("Germany" is not "GE")."""
    student = await api.signup("student")
    countries = await api.call("GET", "/countries", params={"q": "germ"})
    assert countries.status == 200 and countries.body["items"] == [{"code": "DE", "name": "Germany"}]
    everyone = await api.call("GET", "/countries")
    assert len(everyone.body["items"]) == 249
    languages = await api.call("GET", "/languages", params={"q": "German"})
    assert languages.body["items"][0] == {"code": "de", "name": "German"}
    named = await api.call("GET", "/languages", params={"codes": "yo,yue"})
    assert named.body["items"] == [{"code": "yo", "name": "Yoruba"}, {"code": "yue", "name": "Yue Chinese"}]
    for path in ("/countries", "/languages"):  # no code, or one empty code: refused, not "all"
        for codes in ("", ",", "de,"):
            empty = await api.call("GET", path, params={"codes": codes})
            assert empty.status == 400 and empty.error_code == "validation", (path, codes, empty.body)
            assert empty.body["error"]["details"][0]["field"].startswith("codes"), empty.body

    for body in ({"school_country": "Germany"}, {"school_country": "Ge"}, {"languages": ["German"]}):
        refused = await api.call("PATCH", "/me/profile", student, json=body)
        assert refused.status == 400 and refused.error_code == "validation", (body, refused.body)
    saved = await api.call("PATCH", "/me/profile", student, json={"school_country": "DE", "languages": ["de", "en"]})
    assert saved.status == 200, saved.body
    assert saved.body["profile"]["school_country"] == "DE" and saved.body["profile"]["languages"] == ["de", "en"]


async def test_places_from_offline_data_place_a_room_and_centre_a_search(api: Api) -> None:
    """ZIP codes and cities are suggested as one types; a room posted with a ZIP code and no
    coordinates sits at that ZIP's centre; a room on a hospital's own point is refused;
    a search near a city or ZIP code measures distances from it, and an unknown or
    ambiguous place is a 400 naming the field."""
    typed = await api.call("GET", "/places", params={"q": "5810"})
    assert typed.status == 200 and all(p["zip"].startswith("5810") for p in typed.body["items"])
    fargo = (await api.call("GET", "/places", params={"q": "Fargo"})).body["items"][0]
    assert fargo["label"] == "Fargo, ND" and fargo["kind"] == "city"
    assert (await api.call("GET", "/places", params={"q": "St. Paul"})).body["items"][0]["label"] == "Saint Paul, MN"

    host = await api.signup("professional")
    by_zip = await create_listing(api, host, latitude=None, longitude=None, zip_code="58103")
    centre = (await api.call("GET", "/places", params={"q": "58103"})).body["items"][0]
    assert (by_zip["location"]["latitude"], by_zip["location"]["longitude"]) == (
        centre["latitude"],
        centre["longitude"],
    )
    unknown = await api.call(
        "POST", "/listings", host, json={**listing_body(), "latitude": None, "longitude": None, "zip_code": "00000"}
    )
    assert unknown.status == 400 and unknown.body["error"]["details"][0]["field"] == "zip_code"
    neither = await api.call("POST", "/listings", host, json={**listing_body(), "latitude": None, "longitude": None})
    assert neither.status == 400, neither.body
    on_hospital = await api.call(
        "POST", "/listings", host, json={**listing_body(), "latitude": 46.831488, "longitude": -96.827505}
    )
    assert on_hospital.status == 400 and on_hospital.body["error"]["details"][0]["field"] == "latitude"
    moved = await api.call(
        "PATCH", f"/listings/{by_zip['id']}", host, json={"latitude": 46.8602, "longitude": -96.8021}
    )
    assert moved.status == 200 and moved.body["location"]["latitude"] == 46.8602

    for place in ("Fargo, ND", "58103"):
        found = await api.call("GET", "/listings", params={"place": place, "radius_km": "30"})
        assert found.status == 200, found.body
        hit = next(item for item in found.body["items"] if item["id"] == by_zip["id"])
        assert hit["distance_km"] is not None and hit["distance_km"] < 10
    assert (await api.call("GET", f"/listings/{by_zip['id']}")).body["area"] == "Fargo, ND"
    for alias in ("MGH", "Mass General"):
        named = await api.call("GET", "/hospitals", params={"q": alias, "limit": "3"})
        assert named.body["items"][0]["id"] == "massachusetts-general-hospital-boston-ma", named.body
    for place in ("Springfield", "Atlantis"):
        refused = await api.call("GET", "/listings", params={"place": place})
        assert refused.status == 400 and refused.body["error"]["details"][0]["field"] == "place", refused.body


async def test_messaging_the_host_from_a_booked_room_opens_the_bookings_thread(api: Api) -> None:
    """From a room the pair has a booking of, starting a conversation opens that booking's
    thread (one thread per pair per booking context); elsewhere it is the direct one."""
    host = await api.signup("professional", "Dr. One Thread")
    guest = await api.signup("student", "One Thread Guest")
    listing = await create_listing(api, host)
    other_room = await create_listing(api, host)
    booking = (await request_stay(api, guest, listing["id"])).body

    async def booking_thread() -> Any:
        page = await api.call("GET", "/conversations", guest, params={"limit": "50"})
        return next((c for c in page.body["items"] if c["about"] and c["about"]["id"] == booking["id"]), None)

    thread = await eventually(booking_thread, 15, what="the booking's conversation")
    started = await api.call(
        "POST", "/conversations", guest, json={"user_id": host.id, "listing_id": listing["id"], "body": "A question"}
    )
    assert started.status == 200 and started.body["id"] == thread["id"], started.body
    assert started.body["about"]["title"] == listing["title"]
    direct = await api.call("POST", "/conversations", guest, json={"user_id": host.id, "listing_id": other_room["id"]})
    assert direct.status == 200 and direct.body["id"] != thread["id"] and direct.body["about"] is None
    again = await api.call("POST", "/conversations", guest, json={"user_id": host.id})
    assert again.body["id"] == direct.body["id"]


async def test_a_body_that_is_not_json_is_refused_and_only_an_empty_one_means_nothing(api: Api) -> None:
    """A form feed, spaces, or any other body that does not parse as JSON is a 400 on
    every operation that reads a body; a truly empty body is an empty object."""
    student = await api.signup("student")
    rotation = await api.call(
        "POST",
        "/rotations",
        student,
        json={"hospital_id": JHH, "specialty": "surgery", "start_date": future(30), "end_date": future(50)},
    )
    assert rotation.status == 201, rotation.body
    json_type = {"Content-Type": "application/json"}
    for method, path in (("PATCH", f"/rotations/{rotation.body['id']}"), ("PATCH", "/me/profile")):
        for raw in (b"\x0c", b" ", b"\n", b"\xef\xbb\xbf"):
            for headers in (json_type, {}):
                r = await api.call(method, path, student, data=raw, headers=headers)
                assert r.status == 400 and r.error_code == "validation", (method, path, raw, r.body)
        empty = await api.call(method, path, student, data=b"", headers=json_type)
        assert empty.status == 200, (method, path, empty.body)


async def test_validation_messages_are_written_for_people_and_name_their_field(api: Api) -> None:
    """Each refused field has a message for people, cross-field rules included, beside the
    field they blame (never only on the whole form)."""
    host = await api.signup("professional")
    short = await api.call("POST", "/listings", host, json=listing_body(title="ab", monthly_rent=0))
    assert short.status == 400
    assert {"field": "title", "message": "Write at least 3 characters."} in short.body["error"]["details"]
    assert {"field": "monthly_rent", "message": "Must be more than 0."} in short.body["error"]["details"]
    window = await api.call(
        "POST", "/listings", host, json=listing_body(available_from=future(90), available_to=future(30))
    )
    assert window.body["error"]["details"] == [
        {"field": "available_to", "message": "Must be on or after the first available date."}
    ]
    no_date = await api.call("POST", "/listings", host, json=listing_body(available_from=""))
    assert no_date.body["error"]["details"] == [{"field": "available_from", "message": "Choose a date."}]
    student = await api.signup("student")
    backwards = await api.call(
        "POST",
        "/rotations",
        student,
        json={"hospital_id": JHH, "specialty": "surgery", "start_date": future(50), "end_date": future(30)},
    )
    assert backwards.body["error"]["details"] == [{"field": "end_date", "message": "Must be after the start date."}]
    country = await api.call("PATCH", "/me/profile", student, json={"school_country": "Germany"})
    assert country.body["error"]["details"][0]["field"] == "school_country"
    assert country.body["error"]["details"][0]["message"].startswith("Choose a country from the list")


async def test_mentor_matches_have_a_relevance_floor_and_requests_carry_the_rotation(api: Api) -> None:
    """Only mentors with something in common with the rotation (or near it) are matched,
    a far one flagged remote; the mentor sees the rotation a request is about."""
    student = await api.signup("student", "Floor Student")
    await api.call("PATCH", "/me/profile", student, json={"school_country": "NG"})
    rotation = (
        await api.call(
            "POST",
            "/rotations",
            student,
            json={"hospital_id": JHH, "specialty": "dermatology", "start_date": future(40), "end_date": future(68)},
        )
    ).body
    fairbanks = "fairbanks-memorial-hospital-fairbanks-ak"
    mentoring = {"open_to_mentoring": True, "mentoring_capacity": 2, "hospital_ids": [fairbanks]}
    unrelated = await api.signup("professional", "Far Unrelated")
    await api.call("PATCH", "/me/profile", unrelated, json={**mentoring, "hobbies": ["chess"]})
    related = await api.signup("professional", "Far Dermatologist")
    await api.call("PATCH", "/me/profile", related, json={**mentoring, "specialties": ["dermatology"]})

    async def matched() -> Any:
        page = await api.call("GET", f"/rotations/{rotation['id']}/mentor-matches", student, params={"limit": "100"})
        ids = {m["mentor"]["id"]: m for m in page.body["items"]}
        return ids if related.id in ids else None

    found = await eventually(matched, 15, what="the far dermatologist among the mentor matches")
    assert found[related.id]["remote"] is True
    assert unrelated.id not in found

    asked = await api.call(
        "POST",
        "/mentorships",
        student,
        json={"mentor_id": related.id, "rotation_id": rotation["id"], "message": "Could you mentor me in dermatology?"},
    )
    assert asked.status == 201, asked.body
    theirs = await api.call("GET", "/me/mentorships", related)
    seen = next(m for m in theirs.body["items"] if m["id"] == asked.body["id"])
    assert seen["rotation"]["hospital"]["id"] == JHH and seen["rotation"]["specialty"] == "dermatology"
    assert seen["rotation"]["start_date"] == future(40) and seen["message"] == "Could you mentor me in dermatology?"


async def test_rounds_are_named_and_accepting_says_what_it_skipped(api: Api, stack: Stack) -> None:
    """A round is named by its hospital and month (a scramble by the round it scrambles);
    its chart is wide enough for its title; accepting says why a match made no request."""
    admin = await operator(api, stack)
    a = await rounds_mentor(api, 2)
    students = [await api.signup("student", f"Skipped {i}") for i in range(2)]
    rots = [await rotation(api, s) for s in students]
    await professionals_known(stack, [a])
    body = {"rotation_ids": [r["id"] for r in rots], "mentor_ids": [a.id]}
    queued = await api.call("POST", "/admin/match-rounds", admin, json=body)
    assert queued.status == 202 and queued.body["title"] == "Round of 2 rotations", queued.body
    done = await finished(api, admin, queued.body["id"])
    assert done["matched"] == 2
    assert int(ElementTree.fromstring(done["chart_svg"]).attrib["width"]) >= 400
    # Both students asked the mentor themselves before the operator accepts.
    for s, r in zip(students, rots, strict=True):
        asked = await api.call("POST", "/mentorships", s, json={"mentor_id": a.id, "rotation_id": r["id"]})
        assert asked.status == 201, asked.body
    accepted = await api.call("POST", f"/admin/match-rounds/{done['id']}/accept", admin)
    assert accepted.body["requests_made"] == 0
    assert accepted.body["accept_skipped"] == {"already_requested": 2, "not_mentoring": 0, "blocked": 0}

    scramble = await api.call("POST", "/admin/match-rounds", admin, json={"scramble_of": done["id"]})
    assert scramble.body["title"] == "Scramble of Round of 2 rotations"
    selection = {"selection": {"hospital_id": HELENA, "month": "2031-03"}}
    named = await api.call("POST", "/admin/match-rounds", admin, json=selection)
    assert named.body["title"] == "St. Peter's Health, Helena, MT · March 2031", named.body


async def test_reports_name_both_people(api: Api, stack: Stack) -> None:
    """An operator reads a report with the reporter's and the reported user's names."""
    admin = await operator(api, stack)
    host = await api.signup("professional", "Dr. Reported")
    student = await api.signup("student", "Careful Reporter")
    made = await api.call("POST", "/reports", student, json={"user_id": host.id, "reason": "scam", "details": "Wire"})
    assert made.status == 201, made.body
    # The reply names whom it reports, as the list does (it had null names).
    assert made.body["reported_user_name"] == "Dr. Reported", made.body

    async def named_report() -> dict[str, Any] | None:
        page = await api.call("GET", "/admin/reports", admin, params={"status": "open", "limit": "100"})
        report: dict[str, Any] = next(r for r in page.body["items"] if r["id"] == made.body["id"])
        return report if report["reporter_name"] and report["reported_user_name"] else None

    # Messaging learns both people's names from accounts' events, after the signups answered.
    report = await eventually(named_report, 15, what="the report with both names")
    assert (report["reporter_name"], report["reported_user_name"]) == ("Careful Reporter", "Dr. Reported")
    resolved = await api.call("POST", f"/admin/reports/{report['id']}/resolve", admin, json={"resolution": "Warned"})
    assert resolved.status == 200, resolved.body
    assert (resolved.body["reporter_name"], resolved.body["reported_user_name"]) == ("Careful Reporter", "Dr. Reported")
