"""A host's side of a room, walked as a host would (audit 5): requests for nights already
taken, the terms a request was made under, over HTTP."""

from __future__ import annotations

from typing import Any

from tests.api import Api, User
from tests.e2e.helpers import create_listing, future, listing_body, request_stay
from tests.eventually import eventually


async def test_a_stay_accepted_turns_down_the_requests_for_its_nights_at_once(api: Api) -> None:
    """Accepting a stay declines every other waiting request for any of its nights
    (``end_reason: dates_taken``), and a request for nights an accepted stay holds is a 409
    beside check-in when it is made. Before, both waited as 'requested' for 48 hours, their
    guests told nothing, and the host's accept answered a bare 409."""
    host = await api.signup("professional", "Dr. Taken Host")
    first, second, third = [await api.signup("student", name) for name in ("First Guest", "Second Guest", "Late")]
    room = await create_listing(api, host)
    chosen = await request_stay(api, first, room["id"], start=30, nights=28)
    overlapping = await request_stay(api, second, room["id"], start=50, nights=28)
    apart = await request_stay(api, third, room["id"], start=100, nights=28)
    assert chosen.status == overlapping.status == apart.status == 201

    accepted = await api.call("POST", f"/bookings/{chosen.body['id']}/accept", host)
    assert accepted.status == 200, accepted.body
    told = await api.call("GET", "/me/bookings?role=guest", second)
    [turned_down] = told.body["items"]
    assert (turned_down["status"], turned_down["end_reason"]) == ("declined", "dates_taken"), turned_down
    # A request for other nights still waits for the host.
    waiting = await api.call("GET", "/me/bookings?role=guest", third)
    assert waiting.body["items"][0]["status"] == "requested"

    # Nights an accepted stay holds are refused when asked for, beside the check-in.
    refused = await request_stay(api, await api.signup("student", "Too Late"), room["id"], start=40, nights=20)
    assert refused.status == 409, refused.body
    assert refused.body["error"]["message"] == "the room is already booked for some of these dates"
    assert refused.body["error"]["details"][0]["field"] == "check_in"

    # A stay moved onto a waiting request's nights turns it down the same way.
    moved = {"check_in": future(95), "check_out": future(123)}
    assert (await api.call("POST", f"/bookings/{chosen.body['id']}/shift", first, json=moved)).status == 200
    assert (await api.call("POST", f"/bookings/{chosen.body['id']}/shift/accept", host)).status == 200
    waiting = await api.call("GET", "/me/bookings?role=guest", third)
    assert (waiting.body["items"][0]["status"], waiting.body["items"][0]["end_reason"]) == ("declined", "dates_taken")
    # And the nights it left are free again: the guest it first turned down hears so.
    await eventually(
        lambda: api.call("GET", "/notifications", second, params={"limit": "100"}),
        what="the first guest turned down told",
        until=lambda r: (
            [n["booking_id"] for n in r.body["items"] if n["kind"] == "booking_nights_freed"]
            == [overlapping.body["id"]]
        ),
    )


async def test_a_request_keeps_the_cancellation_policy_it_was_made_under(api: Api) -> None:
    """A host who makes the policy stricter before accepting changes new requests only: the
    waiting one is accepted under the policy its guest asked under, as it keeps its price.
    Before, it took the policy of the moment of acceptance (flexible became strict)."""
    host, guest = await api.signup("professional", "Dr. Policy Host"), await api.signup("student", "Policy Guest")
    room = await create_listing(api, host, cancellation_policy="flexible")
    asked = await request_stay(api, guest, room["id"])
    assert asked.status == 201 and asked.body["cancellation_policy"] == "flexible", asked.body
    stricter = {"cancellation_policy": "strict", "monthly_rent": 3000}
    assert (await api.call("PATCH", f"/listings/{room['id']}", host, json=stricter)).status == 200
    accepted = await api.call("POST", f"/bookings/{asked.body['id']}/accept", host)
    assert accepted.status == 200, accepted.body
    assert (accepted.body["cancellation_policy"], accepted.body["total"]) == ("flexible", asked.body["total"])
    # A request made now is made under the new terms.
    later = await request_stay(api, await api.signup("student", "New Guest"), room["id"], start=100)
    assert later.status == 201 and later.body["cancellation_policy"] == "strict", later.body


async def test_a_paused_room_stays_visible_to_the_guests_who_asked_for_it(api: Api) -> None:
    """A host who sets a room to draft (to take no new requests) keeps it before the guests
    with a request waiting or a stay accepted and not yet paid, at its approximate position;
    strangers still get 404. Before, those guests got 404: asked to pay for a room they could
    not open."""
    host = await api.signup("professional", "Dr. Paused Host")
    waiting, accepted, stranger = [await api.signup("student", name) for name in ("Waiting", "Accepted", "Stranger")]
    room = await create_listing(api, host)
    asked = await request_stay(api, waiting, room["id"], start=30)
    agreed = await request_stay(api, accepted, room["id"], start=100)
    assert (await api.call("POST", f"/bookings/{agreed.body['id']}/accept", host)).status == 200
    assert (await api.call("PATCH", f"/listings/{room['id']}", host, json={"status": "draft"})).status == 200
    for guest in (waiting, accepted):
        seen = await api.call("GET", f"/listings/{room['id']}", guest)
        assert seen.status == 200, seen.body
        assert seen.body["location"]["approximate"] is True and seen.body["location"]["address"] is None
    assert (await api.call("GET", f"/listings/{room['id']}", stranger)).status == 404
    # The host may still answer the waiting request; once declined, its guest no longer sees the room.
    assert (await api.call("POST", f"/bookings/{asked.body['id']}/decline", host)).status == 200
    assert (await api.call("GET", f"/listings/{room['id']}", waiting)).status == 404


async def test_a_room_is_placed_in_the_us_with_dates_a_stay_fits_in(api: Api) -> None:
    """A room off the US map (0, 0; Paris), or at a ZIP the package gives as 0, 0, is a 400
    beside its field, and so are dates already over or shorter than the minimum stay; a room
    kept for the stay it holds may still narrow its window. Before, each was published: rooms
    in the Gulf of Guinea on New York's clock, and rooms nobody could ever book."""
    host, guest = await api.signup("professional", "Dr. Map Host"), await api.signup("student", "Map Guest")

    async def refused(field: str, **body: object) -> None:
        r = await api.call("POST", "/listings", host, json=listing_body(**body))
        assert r.status == 400 and r.body["error"]["details"][0]["field"] == field, r.body

    await refused("latitude", latitude=0.0, longitude=0.0)
    await refused("latitude", latitude=48.85, longitude=2.35)
    await refused("zip_code", latitude=None, longitude=None, zip_code="77352")
    await refused("available_to", available_from=future(-60), available_to=future(-30))
    await refused("min_stay_nights", available_from=future(1), available_to=future(5), min_stay_nights=30)
    room = await create_listing(api, host, available_from=future(10), available_to=future(200), min_stay_nights=14)
    short = await api.call("PATCH", f"/listings/{room['id']}", host, json={"available_to": future(20)})
    assert short.status == 400 and short.body["error"]["details"][0]["field"] == "min_stay_nights", short.body
    stay = await request_stay(api, guest, room["id"], start=30, nights=28)
    assert (await api.call("POST", f"/bookings/{stay.body['id']}/accept", host)).status == 200
    kept = await api.call(
        "PATCH",
        f"/listings/{room['id']}",
        host,
        json={"available_from": future(30), "available_to": future(58), "min_stay_nights": 60},
    )
    assert kept.status == 200, kept.body


async def test_nights_a_cancelled_stay_held_are_offered_again_to_the_guests_it_turned_down(api: Api) -> None:
    """A stay accepted turns down the requests for its nights; when it is cancelled, the
    guests it turned down hear that their nights are free again (notice, mail, and the
    request's conversation), once, unless they asked for a room for those nights meanwhile.
    Before, nobody was told, and the room stood empty for dates a student had wanted."""
    host = await api.signup("professional", "Dr. Freed Host")
    chosen_guest, waiting, moved_on, later = [
        await api.signup("student", name) for name in ("Chosen", "Waiting Guest", "Moved On", "Later Guest")
    ]
    room = await create_listing(api, host, title="Room freed again")
    other_room = await create_listing(api, host, title="The other room")
    chosen = await request_stay(api, chosen_guest, room["id"], start=30, nights=28)
    turned_down = await request_stay(api, waiting, room["id"], start=50, nights=28)
    elsewhere = await request_stay(api, moved_on, room["id"], start=40, nights=14)
    assert chosen.status == turned_down.status == elsewhere.status == 201
    assert (await api.call("POST", f"/bookings/{chosen.body['id']}/accept", host)).status == 200
    # One of the two turned down finds another room for the same nights.
    assert (await request_stay(api, moved_on, other_room["id"], start=40, nights=14)).status == 201

    cancelled = await api.call("POST", f"/bookings/{chosen.body['id']}/cancel", chosen_guest)
    assert cancelled.status == 200, cancelled.body

    async def freed_notes(user: User) -> list[dict[str, Any]]:
        r = await api.call("GET", "/notifications", user, params={"limit": "100"})
        assert r.status == 200, r.body
        return [n for n in r.body["items"] if n["kind"] == "booking_nights_freed"]

    [note] = await eventually(lambda: freed_notes(waiting), what="the guest told", until=lambda ns: len(ns) == 1)
    assert note["text"].startswith("Good news: the nights you asked for at “Room freed again”"), note
    assert note["text"].endswith("are free again. Ask the host again if you still need them."), note
    assert (note["listing_id"], note["booking_id"]) == (room["id"], turned_down.body["id"]), note
    [mail] = await api.mail(waiting.email, "The nights you asked for are free again")
    assert "Room freed again" in mail.part("text/plain")
    assert mail.link(f"/#/listings/{room['id']}?booking={turned_down.body['id']}")  # with its dates
    # The request is still what it was: declined, its nights taken then.
    mine = await api.call("GET", f"/bookings/{turned_down.body['id']}", waiting)
    assert (mine.body["status"], mine.body["end_reason"]) == ("declined", "dates_taken"), mine.body
    # Its conversation says so to both sides.
    for side in (waiting, host):
        said = await api.call("GET", f"/conversations/{note['conversation_id']}/messages", side)
        assert said.status == 200, said.body
        assert any("The nights of this request are free again" in m["body"] for m in said.body["items"]), said.body

    # Told once: another stay takes the nights and is cancelled again; the guest who asked
    # for another room meanwhile is never told.
    again = await request_stay(api, later, room["id"], start=52, nights=20)
    assert again.status == 201, again.body
    assert (await api.call("POST", f"/bookings/{again.body['id']}/accept", host)).status == 200
    assert (await api.call("POST", f"/bookings/{again.body['id']}/cancel", host)).status == 200
    # Wait for a notice that comes after the second cancellation: the later guest's.
    await eventually(
        lambda: api.call("GET", "/notifications", later, params={"limit": "100"}),
        what="the later guest told of the host's cancellation",
        until=lambda r: any(n["kind"] == "booking_cancelled" for n in r.body["items"]),
    )
    assert len(await freed_notes(waiting)) == 1
    assert await freed_notes(moved_on) == []
    assert await freed_notes(host) == []
