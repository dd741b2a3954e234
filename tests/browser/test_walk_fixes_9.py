"""Small things the session's walks left: a hospital page's "change" (who sees you there)
opened the profile at its top, a long page away from the setting; a page whose heading
came with an answer slower than 2 s never took focus."""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Route, expect

from tests.browser.conftest import FARGO, Client, Pages
from tests.browser.test_journey import fargo_room


def test_change_who_sees_you_on_a_hospital_page_lands_on_the_setting(pages: Pages) -> None:
    page = pages.open("student")
    Client(page.request, pages.mailbox).sign_up("student", "Visible Student")
    page.goto(f"/#/hospitals/{FARGO}")
    expect(page.get_by_role("main")).to_contain_text("On this page you are shown to")
    page.get_by_role("link", name="change who sees you").click()
    setting = page.get_by_label("Who sees you on hospital pages")
    expect(setting).to_be_focused()
    expect(setting).to_be_in_viewport()
    setting.select_option("students")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("main")).to_contain_text("On this page you are shown to students")
    assert pages.errors == []


def test_a_page_whose_heading_comes_with_a_slow_answer_still_takes_focus(pages: Pages) -> None:
    """The router looked for the new page's heading for 2 s: a room whose answer took longer
    left focus on the link clicked (or the body). It waits for the heading; the reader's
    own move meanwhile (a Tab, a click) is left alone."""
    page = pages.open("visitor")
    as_host = Client(pages.open("host").request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Slow Answer")
    listing = fargo_room(as_host, f"Slow room {uuid.uuid4().hex[:6]}")

    def slowly(route: Route) -> None:
        time.sleep(3)
        route.continue_()

    page.goto("/#/search")
    page.route(re.compile(rf"/api/v1/listings/{listing['id']}(\?.*)?$"), slowly)
    page.evaluate("id => { location.hash = `#/listings/${id}`; }", listing["id"])
    heading = page.get_by_role("heading", level=1, name=listing["title"])
    expect(heading).to_be_visible(timeout=8000)
    expect(heading).to_be_focused()
    assert pages.errors == []
