"""What a student's walk through booking and paying on a phone found: a second room for
nights already booked in another was requested, accepted and paid with no word of it, and
a rotation's page offered rooms as if it had no stay."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import FARGO, Client, Pages, future
from tests.browser.test_journey import fargo_room


def test_a_rotations_stay_is_on_its_page_and_a_second_room_for_its_nights_is_questioned(pages: Pages) -> None:
    tag = uuid.uuid4().hex[:6]
    as_host = Client(pages.open("host").request, pages.mailbox)
    as_host.sign_up("professional", f"Dr. Two Rooms {tag}")
    first, second = fargo_room(as_host, f"First room {tag}"), fargo_room(as_host, f"Second room {tag}")
    page = pages.open("student")
    as_student = Client(page.request, pages.mailbox)
    as_student.sign_up("student", "Booked Student")
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "surgery", "start_date": future(20), "end_date": future(48)},
    )
    stay = {"check_in": future(20), "check_out": future(48), "rotation_id": rotation["id"]}
    booking = as_student.call("POST", f"/listings/{first['id']}/bookings", stay)

    page.goto(f"/#/rotations/{rotation['id']}")
    stays = page.get_by_role("region", name="Your stay for this rotation")
    expect(stays).to_contain_text(f"First room {tag}")
    expect(stays).to_contain_text("requested, waiting for the host")
    expect(stays.get_by_role("link", name=f"First room {tag}")).to_have_attribute(
        "href", f"#/bookings?booking={booking['id']}"
    )
    # Accepted while the page is open: it says so live.
    as_host.call("POST", f"/bookings/{booking['id']}/accept")
    expect(stays).to_contain_text("accepted, to pay")

    # The other room for some of the same nights: the form says which stay has them.
    page.goto(f"/#/listings/{second['id']}?from={future(30)}&to={future(40)}")
    form = page.get_by_role("form", name="Request a booking")
    warning = form.get_by_role("status").filter(has_text="You already have a stay")
    expect(warning).to_contain_text(f"You already have a stay accepted at “First room {tag}”")
    expect(warning).to_contain_text("Request this room too only if you mean to pay for both.")
    # Nights after that stay: nothing to say.
    form.get_by_label("Check-in").fill(future(50))
    form.get_by_label("Check-out").fill(future(60))
    expect(warning).to_have_count(0)
    assert pages.errors == []
