"""Reviews after completed stays, over HTTP: a host's outlive their rooms, a guest's are
shown to the hosts who decide their requests, and a booking says whether you reviewed it.
A guest reviews a host who cancelled their accepted or paid stay."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.runner import Stack
from tests.api import PASSWORD, Api, User
from tests.e2e.helpers import create_listing, request_stay
from tests.e2e.payments import accepted_booking, paid_booking
from tests.eventually import eventually


async def completed_stay(api: Api, stack: Stack, host: User, guest: User, listing_id: str, start: int = 30) -> str:
    """A stay of the guest in the room, accepted, then moved into the past and completed as
    the sweep would see it."""
    booked = await request_stay(api, guest, listing_id, start=start, nights=14)
    assert booked.status == 201, booked.body
    accepted = await api.call("POST", f"/bookings/{booked.body['id']}/accept", host)
    assert accepted.status == 200, accepted.body
    conn = await asyncpg.connect(stack.service_url("listings"))
    try:
        await conn.execute(
            "UPDATE listings.bookings SET stay = daterange(current_date - 30 - $2::int, current_date - 16 - $2::int),"
            " status = 'completed' WHERE id = $1",
            uuid.UUID(booked.body["id"]),
            start,
        )
    finally:
        await conn.close()
    return str(booked.body["id"])


async def review(api: Api, user: User, booking_id: str, rating: int, text: str) -> dict[str, Any]:
    posted = await api.call("POST", f"/bookings/{booking_id}/reviews", user, json={"rating": rating, "text": text})
    assert posted.status == 201, posted.body
    return posted.body  # type: ignore[no-any-return]


async def my_booking(api: Api, user: User, booking_id: str) -> dict[str, Any]:
    mine = await api.call("GET", "/me/bookings", user, params={"limit": 100})
    assert mine.status == 200, mine.body
    return next(b for b in mine.body["items"] if b["id"] == booking_id)  # type: ignore[no-any-return]


async def test_a_hosts_reviews_outlive_the_room(api: Api, stack: Stack) -> None:
    """Archiving a room hid its reviews everywhere, and a guest could still post one there
    that nobody saw: a host shed bad reviews by archiving and listing the room anew. Now a
    host's reviews, archived rooms' included, stay on their profile with their average."""
    host = await api.signup("professional", "Dr. Archiving Host")
    first, second = await api.signup("student", "Happy Guest"), await api.signup("student", "Unhappy Guest")
    room = await create_listing(api, host, title="Room to be archived")
    happy = await completed_stay(api, stack, host, first, room["id"], start=30)
    unhappy = await completed_stay(api, stack, host, second, room["id"], start=60)
    await review(api, first, happy, 5, "Lovely host, spotless room.")

    archived = await api.call("DELETE", f"/listings/{room['id']}", host)
    assert archived.status == 200, archived.body
    assert (await api.call("GET", f"/listings/{room['id']}/reviews")).status == 404
    # The stay happened: its guest may still review it, and that review is seen.
    await review(api, second, unhappy, 1, "The heating never worked.")
    relisted = await create_listing(api, host, title="Room listed anew")
    assert relisted["review_count"] == 0  # a room's own reviews start afresh...

    # ...but the host's do not, for anyone (no session needed, as for the profile).
    for viewer in (None, first, host):
        page = await api.call("GET", f"/users/{host.id}/reviews", viewer, params={"role": "host"})
        assert page.status == 200, page.body
        assert [r["text"] for r in page.body["items"]] == ["The heating never worked.", "Lovely host, spotless room."]
        assert page.body["as_host"] == {"average": 3.0, "count": 2}
        assert page.body["as_guest"] == {"average": None, "count": 0}
    # Paged newest first like every list.
    one = await api.call("GET", f"/users/{host.id}/reviews", params={"limit": 1})
    assert [r["rating"] for r in one.body["items"]] == [1] and one.body["next_cursor"]
    rest = await api.call("GET", f"/users/{host.id}/reviews", params={"limit": 1, "cursor": one.body["next_cursor"]})
    assert [r["rating"] for r in rest.body["items"]] == [5]
    assert (await api.call("GET", f"/users/{host.id}/reviews", params={"role": "owner"})).status == 400
    assert (await api.call("GET", "/users/not-an-id/reviews")).status == 400


async def test_reviews_of_nobody_are_not_found_and_of_a_new_user_are_none(api: Api) -> None:
    """A mistyped user id read as a user without reviews (200, none); a user who has just
    signed up has none, even before listings has heard of them."""
    nobody = await api.call("GET", f"/users/{uuid.uuid4()}/reviews")
    assert nobody.status == 404 and nobody.body["error"]["code"] == "not_found", nobody.body
    newcomer = await api.signup("student", "Just Arrived")
    page = await api.call("GET", f"/users/{newcomer.id}/reviews")
    assert page.status == 200 and page.body["items"] == [], page.body
    assert page.body["as_guest"] == {"average": None, "count": 0}


async def test_hosts_see_what_other_hosts_wrote_of_a_guest(api: Api, stack: Stack) -> None:
    """The review a host writes of a guest was shown nowhere: now the next host sees it, and
    the guest's average, before answering the guest's request. A deleted account's reviews
    go with its profile."""
    earlier, later = await api.signup("professional", "Dr. Earlier Host"), await api.signup("professional", "Dr. Later")
    guest = await api.signup("student", "Reviewed Guest")
    stayed = await completed_stay(api, stack, earlier, guest, (await create_listing(api, earlier))["id"])
    await review(api, earlier, stayed, 4, "Tidy and quiet, left the room as found.")
    await review(api, guest, stayed, 2, "Noisy street.")  # of the host: not about the guest

    asked = await request_stay(api, guest, (await create_listing(api, later))["id"])
    assert asked.status == 201, asked.body
    of_guest = await api.call("GET", f"/users/{guest.id}/reviews", later, params={"role": "guest"})
    assert of_guest.status == 200, of_guest.body
    [written] = of_guest.body["items"]
    assert (written["text"], written["rating"], written["author_role"]) == (
        "Tidy and quiet, left the room as found.",
        4,
        "host",
    )
    assert written["subject_id"] == guest.id and written["stay_month"]
    assert of_guest.body["as_guest"] == {"average": 4.0, "count": 1}
    of_earlier = await api.call("GET", f"/users/{earlier.id}/reviews", later)
    assert of_earlier.body["as_host"] == {"average": 2.0, "count": 1}
    assert [r["text"] for r in of_earlier.body["items"]] == ["Noisy street."]

    deleted = await api.call("DELETE", "/me", guest, json={"password": PASSWORD})
    assert deleted.status == 200, deleted.body
    await eventually(
        lambda: api.call("GET", f"/users/{guest.id}/reviews", later),
        20,
        what="a deleted guest's reviews gone",
        until=lambda r: r.status == 404,
    )


async def test_a_booking_says_whether_you_reviewed_it(api: Api, stack: Stack) -> None:
    """The web client offered "Review this stay" again after a reload and the review ended
    in a 409: each side's booking now says whether that side has reviewed it."""
    host, guest = await api.signup("professional", "Dr. Reviewed Stay"), await api.signup("student", "Reviewing")
    stayed = await completed_stay(api, stack, host, guest, (await create_listing(api, host))["id"])
    assert (await my_booking(api, guest, stayed))["reviewed_by_me"] is False
    assert (await my_booking(api, host, stayed))["reviewed_by_me"] is False
    await review(api, guest, stayed, 5, "Great stay.")
    assert (await my_booking(api, guest, stayed))["reviewed_by_me"] is True
    assert (await my_booking(api, host, stayed))["reviewed_by_me"] is False
    await review(api, host, stayed, 5, "Great guest.")
    assert (await my_booking(api, host, stayed))["reviewed_by_me"] is True
    again = await api.call("POST", f"/bookings/{stayed}/reviews", guest, json={"rating": 4, "text": "Again"})
    assert again.status == 409


async def test_a_guest_reviews_a_host_who_cancelled_their_paid_stay(api: Api, stack: Stack) -> None:
    """A host who cancelled a student's paid stay left no trace: the guest's review was
    refused (409, "reviews open once the stay is completed"). Now the guest reviews the
    host, the review says the host cancelled, and it counts in the host's average and the
    room's; the host may not review the guest whose stay they cancelled."""
    host, guest, paid = await paid_booking(api, stack, start=20)
    early = await api.call("POST", f"/bookings/{paid['id']}/reviews", guest, json={"rating": 1, "text": "Early."})
    assert early.status == 409, early.body  # not while the stay is on
    cancelled = await api.call("POST", f"/bookings/{paid['id']}/cancel", host)
    assert cancelled.status == 200, cancelled.body
    posted = await review(api, guest, paid["id"], 1, "Cancelled five days before my rotation began.")
    assert posted["stay_cancelled_by_host"] is True and posted["subject_id"] == host.id, posted
    # The hospital as people write it (the registry's "THE JOHNS HOPKINS HOSPITAL" came back).
    assert posted["author_role"] == "guest" and posted["hospital_name"] == "The Johns Hopkins Hospital", posted
    listed = await api.call("GET", f"/users/{host.id}/reviews")
    assert listed.body["items"][0]["hospital_name"] == "The Johns Hopkins Hospital", listed.body
    by_host = await api.call("POST", f"/bookings/{paid['id']}/reviews", host, json={"rating": 1, "text": "Rude."})
    assert by_host.status == 409 and "only your guest" in by_host.body["error"]["message"], by_host.body
    mine = await my_booking(api, guest, paid["id"])
    assert (mine["status"], mine["cancelled_by"]) == ("cancelled", "host"), mine
    assert (mine["reviewed_by_me"], mine["can_review"]) == (True, False), mine
    assert (await my_booking(api, host, paid["id"]))["can_review"] is False
    again = await api.call("POST", f"/bookings/{paid['id']}/reviews", guest, json={"rating": 2, "text": "Again."})
    assert again.status == 409, again.body

    of_host = await api.call("GET", f"/users/{host.id}/reviews", guest, params={"role": "host"})
    assert of_host.status == 200 and of_host.body["as_host"] == {"average": 1.0, "count": 1}, of_host.body
    assert [r["stay_cancelled_by_host"] for r in of_host.body["items"]] == [True], of_host.body
    room = await api.call("GET", f"/listings/{paid['listing_id']}", guest)
    assert (room.body["review_average"], room.body["review_count"]) == (1.0, 1), room.body
    listed = await api.call("GET", f"/listings/{paid['listing_id']}/reviews", guest)
    assert [r["stay_cancelled_by_host"] for r in listed.body["items"]] == [True], listed.body


async def test_a_host_cancellation_is_reviewed_for_30_days_and_a_guests_not_at_all(api: Api, stack: Stack) -> None:
    """An accepted (unpaid) stay the host cancelled is reviewable by its guest until 30
    days after the cancellation; a stay the guest cancelled, by neither side."""
    host, guest, accepted = await accepted_booking(api)
    cancelled = await api.call("POST", f"/bookings/{accepted['id']}/cancel", host)
    assert cancelled.status == 200, cancelled.body
    assert (await my_booking(api, guest, accepted["id"]))["can_review"] is True
    conn = await asyncpg.connect(stack.service_url("listings"))
    try:
        await conn.execute(
            "UPDATE listings.bookings SET decided_at = now() - interval '30 days 1 minute' WHERE id = $1",
            uuid.UUID(accepted["id"]),
        )
    finally:
        await conn.close()
    assert (await my_booking(api, guest, accepted["id"]))["can_review"] is False
    late = await api.call("POST", f"/bookings/{accepted['id']}/reviews", guest, json={"rating": 1, "text": "Late."})
    assert late.status == 409 and "30 days" in late.body["error"]["message"], late.body

    host, guest, withdrawn = await accepted_booking(api)
    by_guest = await api.call("POST", f"/bookings/{withdrawn['id']}/cancel", guest)
    assert by_guest.status == 200 and by_guest.body["cancelled_by"] == "guest", by_guest.body
    for user in (guest, host):
        assert (await my_booking(api, user, withdrawn["id"]))["can_review"] is False
        refused = await api.call("POST", f"/bookings/{withdrawn['id']}/reviews", user, json={"rating": 3, "text": "x"})
        assert refused.status == 409, refused.body
    stranger = await api.signup("student", "Stranger")
    hidden = await api.call("POST", f"/bookings/{accepted['id']}/reviews", stranger, json={"rating": 1, "text": "x"})
    assert hidden.status == 404, hidden.body


async def test_no_review_of_a_host_who_deleted_their_account(api: Api) -> None:
    """A host's deleted account cancels their stays as the host: the guest was then offered
    "Review this stay" of a profile that answers 404, and a review nobody would ever see
    was stored. A deleted side is not reviewed (the other side's stays of them say so)."""
    host, guest, accepted = await accepted_booking(api)
    assert (await api.call("DELETE", "/me", host, json={"password": PASSWORD})).status == 200
    await eventually(
        lambda: my_booking(api, guest, accepted["id"]),
        20,
        what="the deleted host's stay cancelled",
        until=lambda b: b["status"] == "cancelled",
    )
    mine = await my_booking(api, guest, accepted["id"])
    assert (mine["cancelled_by"], mine["can_review"]) == ("host", False), mine
    refused = await api.call("POST", f"/bookings/{accepted['id']}/reviews", guest, json={"rating": 1, "text": "Gone."})
    assert refused.status == 409 and "deleted their account" in refused.body["error"]["message"], refused.body
    assert (await api.call("GET", f"/users/{host.id}/reviews", guest)).status == 404
