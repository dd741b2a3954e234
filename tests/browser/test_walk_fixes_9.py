"""Small things the session's walks left: a hospital page's "change" (who sees you there)
opened the profile at its top, a long page away from the setting."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import FARGO, Client, Pages


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
