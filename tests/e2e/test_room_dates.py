"""A room's dates and minimum stay against the stays already asked for and agreed, over HTTP."""

from __future__ import annotations

from tests.api import Api
from tests.e2e.helpers import create_listing, future, request_stay


async def test_a_host_cannot_strand_an_accepted_stay_by_editing_the_room(api: Api) -> None:
    """The window cannot shrink under an accepted stay (409 naming it); a raised minimum stay
    applies to requests not yet accepted, so the guest still moves the stay by a day, and a
    waiting request the room no longer fits is refused when the host accepts it. Before,
    both edits answered 200: the listing then told the guest the room was not there for
    their stay, the stay could not move at all, and the waiting request was accepted."""
    host = await api.signup("professional", "Dr. Window Host")
    guest, waiting = await api.signup("student", "Accepted Guest"), await api.signup("student", "Waiting Guest")
    room = await create_listing(api, host, available_from=future(10), available_to=future(200), min_stay_nights=14)
    stay = await request_stay(api, guest, room["id"], start=30, nights=30)
    assert stay.status == 201, stay.body
    accepted = await api.call("POST", f"/bookings/{stay.body['id']}/accept", host)
    assert accepted.status == 200, accepted.body
    asked = await request_stay(api, waiting, room["id"], start=70, nights=14)
    assert asked.status == 201, asked.body

    shrunk = await api.call("PATCH", f"/listings/{room['id']}", host, json={"available_to": future(40)})
    assert shrunk.status == 409, shrunk.body
    assert "an accepted stay" in shrunk.body["error"]["message"]
    [beside] = shrunk.body["error"]["details"]
    assert beside["field"] == "available_to" and "until then or later" in beside["message"]
    late_start = await api.call("PATCH", f"/listings/{room['id']}", host, json={"available_from": future(35)})
    assert late_start.status == 409 and late_start.body["error"]["details"][0]["field"] == "available_from"
    seen = await api.call("GET", f"/listings/{room['id']}", guest)
    assert (seen.body["available_from"], seen.body["available_to"]) == (future(10), future(200))

    # A new minimum stay is for new requests: the accepted 30-night stay still moves by a day.
    raised = await api.call("PATCH", f"/listings/{room['id']}", host, json={"min_stay_nights": 60})
    assert raised.status == 200 and raised.body["min_stay_nights"] == 60, raised.body
    new_dates = {"check_in": future(31), "check_out": future(61)}
    moved = await api.call("POST", f"/bookings/{stay.body['id']}/shift", guest, json=new_dates)
    assert moved.status == 200, moved.body
    answered = await api.call("POST", f"/bookings/{stay.body['id']}/shift/accept", host)
    assert answered.status == 200 and answered.body["check_in"] == future(31), answered.body
    # Asked for a shorter stay than that, a new guest is told the room's minimum.
    short = await request_stay(api, await api.signup("student", "Late Guest"), room["id"], start=100, nights=20)
    assert short.status == 400 and "minimum stay is 60" in short.body["error"]["message"]

    # The waiting request was made under the old minimum: the host cannot accept it now.
    late = await api.call("POST", f"/bookings/{asked.body['id']}/accept", host)
    assert late.status == 409, late.body
    assert "no longer fits the room (the minimum stay is 60 nights)" in late.body["error"]["message"]
    declined = await api.call("POST", f"/bookings/{asked.body['id']}/decline", host)
    assert declined.status == 200, declined.body

    # A window that still covers the stay saves; so does the whole form sent unchanged.
    covering = {"available_from": future(20), "available_to": future(61), "title": "Renamed room"}
    edited = await api.call("PATCH", f"/listings/{room['id']}", host, json=covering)
    assert edited.status == 200 and edited.body["available_to"] == future(61), edited.body
    # Another user cannot edit the room at all.
    assert (await api.call("PATCH", f"/listings/{room['id']}", guest, json={"available_to": future(40)})).status == 403
