"""The header follows what happens elsewhere without a reload (found reviewing a walk's
fixes): a message or a notification that arrives raises the unread badges (messaging sends
an ``unread`` frame only when something is read, so they stayed as they were), and a
session ended from another device lands on the login page saying so (it appeared with no
word of why)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PASSWORD, Client, Pages

NEW_PASSWORD = "a-new-horse-battery-staple"


def test_a_message_that_arrives_raises_the_inbox_badge(pages: Pages) -> None:
    student = pages.open("student", LAPTOP)
    as_student = Client(student.request)
    student_id = as_student.sign_up("student", "Badge Student")
    as_host = Client(pages.open("host").request)
    as_host.sign_up("professional", "Dr. Badge")
    student.goto("/#/")
    inbox = student.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox")
    expect(inbox).to_be_visible()
    expect(inbox).to_have_accessible_name("Inbox")

    thread = as_host.call("POST", "/conversations", {"user_id": student_id, "body": "Hello"})
    expect(inbox).to_have_accessible_name(re.compile(r"^Inbox\s*1 unread message$"))
    as_host.call("POST", f"/conversations/{thread['id']}/messages", {"body": "The room is free in March"})
    expect(inbox).to_have_accessible_name(re.compile(r"^Inbox\s*2 unread messages$"))
    assert pages.errors == []


def test_a_session_ended_elsewhere_says_so_on_the_login_page(pages: Pages) -> None:
    laptop = pages.open("laptop", LAPTOP)
    on_laptop = Client(laptop.request)
    on_laptop.sign_up("student", "Two Devices")
    laptop.goto("/#/bookings")
    expect(laptop.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
    # The phone logs in to the same account and changes the password: the laptop's session ends.
    phone = Client(pages.open("phone").request)
    email = on_laptop.call("GET", "/me")["user"]["email"]
    phone.token = phone.call("POST", "/auth/login", {"email": email, "password": PASSWORD})["token"]
    phone.call("POST", "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    expect(laptop.get_by_role("heading", name="Log in")).to_be_visible()
    expect(laptop.get_by_role("status")).to_contain_text("Your session has ended: log in again.")
    assert pages.errors == []
