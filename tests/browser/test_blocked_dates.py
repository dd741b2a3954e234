"""A host blocks and unblocks nights of a room on its edit page, at phone width."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Client, Pages, future


def written(iso: str) -> str:
    """A date as the web client writes it (fmtDate: "Mar 5, 2027")."""
    day = date.fromisoformat(iso)
    return f"{day:%b} {day.day}, {day.year}"


def test_host_blocks_and_unblocks_nights_at_phone_width(pages: Pages) -> None:
    """The "Blocked dates" section: a night in the past is refused beside "First night",
    a block shows with its nights and private note, and Unblock (asked twice) removes it;
    nothing scrolls sideways at 375 px."""
    tag = uuid.uuid4().hex[:6]
    host = pages.open("host", viewport=PHONE)
    api = Client(host.request)
    api.sign_up("professional", f"Dr. Blocks {tag}")
    listing = api.call(
        "POST",
        "/listings",
        {
            "title": f"Room with blocks {tag}",
            "room_type": "private_room",
            "address": "1 Main Rd, Adak, AK",
            "latitude": 51.870,
            "longitude": -176.640,
            "monthly_rent": 800,
            "available_from": future(5),
            "available_to": future(200),
            "min_stay_nights": 7,
        },
    )
    host.goto(f"/#/listings/{listing['id']}/edit")
    section = host.get_by_role("region", name="Blocked dates")
    expect(section.get_by_text("No nights blocked.")).to_be_visible()
    # Sent empty: both fields say what they need, and focus goes to the first (it stayed on
    # the button).
    section.get_by_role("button", name="Block these nights").click()
    expect(section.get_by_text("Choose the day after the last night.")).to_be_visible()
    expect(section.get_by_label("First night")).to_be_focused()

    section.get_by_label("First night").fill(str(date.today() - timedelta(days=3)))
    section.get_by_label("Until (the day after the last night)").fill(future(4))
    section.get_by_role("button", name="Block these nights").click()
    expect(section.get_by_label("First night")).to_have_attribute("aria-invalid", "true")
    expect(section.get_by_text("Must be today or later")).to_be_visible()

    student = Client(pages.open("student").request)
    student.sign_up("student", f"Waiting {tag}")
    student.call("POST", f"/listings/{listing['id']}/bookings", {"check_in": future(28), "check_out": future(42)})
    section.get_by_label("First night").fill(future(30))
    section.get_by_label("Until (the day after the last night)").fill(future(37))
    section.get_by_label("Note (only you see it)").fill("Parents visiting")
    # Asked first, naming the request it declines (it was declined with nothing said).
    section.get_by_role("button", name="Block these nights").click()
    question = section.get_by_role("group", name=re.compile(r"^Blocking these nights declines the request waiting"))
    expect(question).to_contain_text(f"({written(future(28))} – {written(future(42))})")
    question.get_by_role("button", name="Keep it").click()
    expect(section.get_by_role("button", name="Block these nights")).to_be_focused()
    assert api.call("GET", f"/listings/{listing['id']}/blocked-dates")["items"] == []
    section.get_by_role("button", name="Block these nights").click()
    section.get_by_role("button", name="Yes, block and decline").click()
    blocks = section.get_by_role("list", name="Blocked dates")
    # The nights first to last: the 37th day is the one the room is free again.
    expect(blocks.locator("strong", has_text=f"{written(future(30))} – {written(future(36))}")).to_be_visible()
    expect(blocks.get_by_text("7 nights")).to_be_visible()
    expect(blocks.get_by_text("Parents visiting")).to_be_visible()
    # The notice reads the nights as words (it showed "([object Object])").
    # And the request waiting for some of them, declined by the block: the notice said
    # nothing of it.
    made = (
        f"Blocked {written(future(30))} – {written(future(36))} (7 nights). The request waiting for any of them"
        " is declined, and its guest is told."
    )
    expect(section.locator("p.notice")).to_have_text(made)
    assert host.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    blocks.get_by_role("button", name="Unblock").click()
    host.get_by_role("button", name="Yes, unblock").click()
    expect(section.get_by_text("No nights blocked.")).to_be_visible()
    assert api.call("GET", f"/listings/{listing['id']}/blocked-dates")["items"] == []
    assert host.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not pages.errors, pages.errors
