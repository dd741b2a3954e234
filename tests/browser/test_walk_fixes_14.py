"""A student in India at 375 px, before the rotation: the time zone list named India's zone
"Asia/Calcutta" only (a search for Kolkata found nothing) and did not offer the device's;
standalone links ("Forgot password?", "← Back to your search") were 19 px touch targets."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Client, Pages


def test_the_time_zone_list_offers_the_devices_zone_by_todays_name(pages: Pages) -> None:
    page = pages.open("student", PHONE, timezone_id="Asia/Kolkata")
    as_student = Client(page.request)
    as_student.sign_up("student", "Kolkata Student")
    page.goto("/#/profile")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_accessible_description(re.compile(r"^Now: America/New_York, Wardmate.s default"))
    # Offered first, by the name of today with its offset; the list has no old name.
    device = zone.locator("option").nth(1)
    expect(device).to_have_text("This device's: Asia/Kolkata (UTC+5:30)")
    expect(zone.locator("option", has_text="Calcutta")).to_have_count(0)
    expect(zone.locator('option[value="America/New_York"]')).to_have_text("America/New York (UTC-5)")
    zone.select_option(index=1)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved")).to_be_visible()
    saved = as_student.call("GET", "/me/mentoring-settings")
    assert (saved["time_zone"], saved["time_zone_chosen"]) == ("Asia/Kolkata", True), saved
    assert pages.errors == []


def test_a_link_alone_in_its_paragraph_is_a_full_touch_target(pages: Pages) -> None:
    page = pages.open("visitor", PHONE, touch=True)
    page.goto("/#/login")
    box = page.get_by_role("link", name="Forgot password?").bounding_box()
    assert box is not None and box["height"] >= 44, box
    assert pages.errors == []
