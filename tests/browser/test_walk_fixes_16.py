"""What the session of 2026-12-08 fixed in the web client: a form sent twice at once (a
double press before the page had disabled its button) made two of what it asked."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Client, Pages
from tests.browser.test_journey import pick_hospital


def test_a_form_sent_twice_at_once_sends_once(pages: Pages) -> None:
    """Two submits in the same moment (as a double press can, before the page re-renders
    the button disabled) sent two POST /rotations: two rotations, or a 409 shown as a
    failure for actions that can happen once. The form's own guard sends one."""
    student = pages.open("student")
    as_student = Client(student.request)
    as_student.sign_up("student", "Twice Student")
    student.goto("/#/rotations")
    student.get_by_role("button", name="Add a rotation").click()
    pick_hospital(student, "Hospital")
    student.get_by_label("Specialty").fill("cardiology")
    sent: list[str] = []
    student.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/rotations") else None)
    student.locator("form[aria-labelledby='add-rotation-h']").evaluate("f => { f.requestSubmit(); f.requestSubmit(); }")
    expect(student).to_have_url(re.compile(r"#/rotations/[0-9a-f-]{36}$"))
    assert len(sent) == 1, sent
    assert len(as_student.call("GET", "/me/rotations")["items"]) == 1
    assert pages.errors == []
