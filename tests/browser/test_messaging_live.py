"""Messaging pages in Chromium (audit msg2): message bodies are shown isolated (no bidi
override reaches past one)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Client, Pages


def test_a_message_is_shown_isolated_and_stored_without_its_override(pages: Pages) -> None:
    """A right-to-left override inside a message is dropped when stored ("invoice_txt.exe"
    stays as written), and every body is shown in an element of its own direction
    (``dir="auto"``, isolated), in the conversation and in the inbox's preview; an Arabic
    message keeps its bidi isolates."""
    host = pages.open("host")
    as_host, as_student = Client(host.request), Client(pages.open("student").request)
    host_id = as_host.sign_up("professional", "Dr. Bidi")
    as_student.sign_up("student", "Bidi Student")
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "invoice_\u202etxt.exe"})
    arabic = "\u0645\u0631\u062d\u0628\u0627 \u2067Fargo\u2069"
    as_student.call("POST", f"/conversations/{conversation['id']}/messages", {"body": arabic})

    host.goto(f"/#/inbox/{conversation['id']}")
    bodies = host.locator("ol.messages .body")
    expect(bodies).to_have_count(2)
    assert bodies.all_text_contents() == ["invoice_txt.exe", arabic]
    for body in bodies.all():
        expect(body).to_have_attribute("dir", "auto")
        assert body.evaluate("e => getComputedStyle(e).unicodeBidi") in ("isolate", "plaintext")
    assert bodies.nth(1).evaluate("e => getComputedStyle(e).direction") == "rtl"

    host.goto("/#/inbox")
    preview = host.locator(".conversations .last")
    expect(preview).to_have_text(arabic)
    expect(preview).to_have_attribute("dir", "auto")
    assert preview.evaluate("e => getComputedStyle(e).unicodeBidi") in ("isolate", "plaintext")
    assert pages.errors == []
