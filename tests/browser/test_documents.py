"""A student's enrolment letter in the browser: sent from the profile page, checked by an
operator in the queue beside the credential checks, and the host sees a verified student
on the next booking request; a new name, warned of before saving, ends the badge."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from services.runner import Stack
from tests import samples
from tests.browser.conftest import PHONE, Client, Pages, future
from tests.browser.test_accessibility import operators_page

ADAK_POINT = (51.868005, -176.640263)


def test_student_document_operator_verifies_host_sees_badge(pages: Pages, stack: Stack) -> None:
    """Upload (a JavaScript PDF refused with the reason, then the real letter), the
    operator downloads and verifies it, the host's booking request shows the badge."""
    tag = uuid.uuid4().hex[:6]
    student = pages.open("student", viewport=PHONE)
    student_api = Client(student.request)
    student_api.sign_up("student", f"Student {tag}")
    student.goto("/#/profile")
    section = student.get_by_role("region", name="Verification documents")
    expect(section.get_by_text("No documents sent yet.")).to_be_visible()
    section.get_by_label("Document", exact=True).select_option("enrolment")
    section.get_by_label("File", exact=True).set_input_files(
        {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(javascript=True)}
    )
    section.get_by_role("button", name="Send document").click()
    expect(section.get_by_label("File", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(section.get_by_text("JavaScript")).to_be_visible()
    section.get_by_label("File", exact=True).set_input_files(
        {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(pages=1)}
    )
    section.get_by_role("button", name="Send document").click()
    expect(section.get_by_role("status").filter(has_text="Document sent")).to_be_visible()
    expect(section.get_by_role("list", name="Your documents")).to_contain_text("waiting for a check")

    operator = operators_page(pages, stack)
    queue = operator.get_by_role("list", name="Documents")
    item = queue.get_by_role("listitem", name=f"Proof of enrolment of Student {tag}")
    expect(item).to_be_visible()
    with operator.expect_download() as downloading:
        item.get_by_role("link", name=f"Download Proof of enrolment of Student {tag}").click()
    assert downloading.value.suggested_filename.startswith("enrolment-")
    item.get_by_role("button", name=f"Verify Proof of enrolment of Student {tag}").click()
    expect(item).to_have_count(0)

    host = pages.open("host")
    host_api = Client(host.request)
    host_api.sign_up("professional", f"Dr. Host {tag}")
    listing = host_api.call(
        "POST",
        "/listings",
        {
            "title": f"Room {tag}",
            "room_type": "private_room",
            "address": "2 Main Rd, Adak, AK",
            "latitude": ADAK_POINT[0],
            "longitude": ADAK_POINT[1] + 0.002,
            "monthly_rent": 700,
            "available_from": future(5),
            "available_to": future(200),
            "min_stay_nights": 7,
        },
    )
    student_api.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(30), "check_out": future(44), "message": "Rotating in family medicine"},
    )
    host.goto("/#/bookings")
    request = host.get_by_role("listitem").filter(has_text=f"Room {tag}").first
    expect(request.get_by_text("✓ Verified student")).to_be_visible()
    expect(request.get_by_role("link", name=f"Student {tag}")).to_be_visible()
    student.reload()  # the profile page is still open: load it anew
    expect(student.get_by_role("list", name="Your documents")).to_contain_text("verified")

    # A new name ends the badge: said before saving, and after (the page never told).
    badge = section.get_by_role("status").filter(has_text=re.compile("verified.student"))
    expect(badge).to_have_text("✓ You are a verified student: hosts see the badge.")
    warning = student.get_by_role("note").filter(has_text="ends your verified-student badge")
    expect(warning).to_have_count(0)
    student.get_by_label("Name", exact=True).fill(f"Student {tag} Okoro")
    expect(warning).to_be_visible()
    student.get_by_role("button", name="Save profile").click()
    expect(student.get_by_role("status").filter(has_text="Profile saved")).to_be_visible()
    expect(badge).to_have_text(
        "Your verified-student badge ended when you changed your name or school: send a new document to have it"
        " checked again."
    )
    expect(warning).to_have_count(0)  # nothing left to lose
    assert pages.errors == [], pages.errors
