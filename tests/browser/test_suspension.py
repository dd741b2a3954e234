"""Operators' safety tools in the browser: a report resolved as "Suspended the reported user"
suspends the account (the outcome said so and nothing happened, so a reported scammer kept
their rooms and went on messaging), and the credential queue warns of an NPI already
verified for another account."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import PASSWORD, Client, Pages, future
from tests.browser.test_accessibility import operators_page
from tests.browser.test_client_fixes import room
from tests.e2e.test_accounts import fresh_npi
from tests.eventually import eventually_sync


def test_resolving_a_report_as_a_suspension_suspends_the_account(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    host_page, student = pages.open("host"), pages.open("student")
    as_host, as_student = Client(host_page.request), Client(student.request)
    host_id = as_host.sign_up("professional", f"Dr. Wire {tag}")
    host_email = as_host.call("GET", "/me")["user"]["email"]
    listing = as_host.call("POST", "/listings", room(title=f"Too cheap {tag}"))
    as_student.sign_up("student", f"Careful {tag}")
    as_student.call("POST", "/reports", {"user_id": host_id, "reason": "scam", "details": f"wire {tag}"})
    chat = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "Is it still free?"})
    # A stay the host accepted before, in another room (a guest still sees a room they
    # booked): the guest's card says what the suspension means for it.
    booked = as_host.call("POST", "/listings", room(title=f"Booked {tag}"))
    stay = as_student.call(
        "POST", f"/listings/{booked['id']}/bookings", {"check_in": future(30), "check_out": future(58)}
    )
    as_host.call("POST", f"/bookings/{stay['id']}/accept")

    operator = operators_page(pages, stack)
    reports = operator.get_by_role("list", name="Reports")
    report = reports.get_by_role("listitem").filter(has_text=f"wire {tag}")
    outcome = report.get_by_label("Outcome")
    outcome.select_option("Suspended the reported user")
    expect(outcome).to_have_accessible_description(
        re.compile("^Resolving suspends the account at once: it is logged out")
    )
    report.get_by_role("button", name="Resolve").click()
    expect(report).to_have_count(0)

    login = host_page.request.post("/api/v1/auth/login", data={"email": host_email, "password": PASSWORD})
    assert login.status == 403 and "suspended" in login.json()["error"]["message"], login.text()
    eventually_sync(
        lambda: as_student.request.get(f"/api/v1/listings/{listing['id']}").status,
        what="the suspended host's room held",
        until=lambda status: status == 404,
    )
    # The inbox says so of the conversation, and its thread says why nothing can be sent,
    # instead of a composer.
    student.goto("/#/inbox")
    expect(
        student.get_by_role("list", name="Conversations").get_by_role(
            "link", name=re.compile(f"Dr. Wire {tag}.*Direct messages")
        )
    ).to_contain_text("suspended by Wardmate")
    student.goto(f"/#/inbox/{chat['id']}")
    expect(student.get_by_role("status").filter(has_text="Wardmate suspended this account")).to_be_visible()
    # Its heading says so too, as the inbox does (it read "Dr. … ✓ Verified" alone).
    expect(student.get_by_role("heading", level=1)).to_contain_text("suspended by Wardmate")
    expect(student.get_by_role("form", name="Send a message")).to_have_count(0)
    student.goto("/#/bookings")
    card = student.get_by_role("listitem", name=re.compile(f"^Booked {tag}"))
    expect(card).to_contain_text(
        "Wardmate suspended this host's account. The stay is not cancelled. You may cancel it without fault"
    )
    # Accepted, unpaid: no Pay button beside that notice (payments refuses the money), and
    # the pay page says why instead of drawing a card form.
    expect(card).to_contain_text("Wardmate takes no payment for it while the suspension lasts.")
    expect(card.get_by_role("link", name=re.compile("^Pay "))).to_have_count(0)
    student.goto(f"/#/bookings/{stay['id']}/pay")
    expect(student.locator("main")).to_contain_text(
        "Wardmate suspended this host's account: it takes no payment for this stay while the suspension lasts."
    )
    expect(student.get_by_role("form", name="Card payment")).to_have_count(0)
    student.goto(f"/#/users/{host_id}")
    expect(student.get_by_role("status").filter(has_text="Wardmate suspended this account")).to_be_visible()
    expect(student.get_by_role("button", name="Message")).to_have_count(0)
    expect(student.get_by_role("button", name="Report")).to_be_visible()
    operator.get_by_role("combobox", name="Show").select_option("resolved")
    resolved = reports.get_by_role("listitem").filter(has_text=f"wire {tag}")
    expect(resolved).to_contain_text("by you: Suspended the reported user.")
    assert pages.errors == []


def test_the_queue_warns_of_an_npi_verified_for_someone_else(pages: Pages, stack: Stack) -> None:
    """The second account sending an NPI verified for another shows the warning."""
    tag = uuid.uuid4().hex[:6]
    npi = fresh_npi()
    holder, copy = Client(pages.open("holder").request), Client(pages.open("copy").request)
    holder.sign_up("professional", f"Dr. Holder {tag}")
    copy.sign_up("professional", f"Dr. Copy {tag}")
    for who in (holder, copy):
        who.call("POST", "/me/verification", {"npi": npi})
    operator = operators_page(pages, stack)
    operator.get_by_role("button", name=f"Verify Dr. Holder {tag}").click()
    expect(operator.get_by_role("listitem", name=f"Dr. Holder {tag}")).to_have_count(0)
    operator.reload()
    entry = operator.get_by_role("listitem", name=f"Dr. Copy {tag}")
    expect(entry.get_by_role("note")).to_have_text(
        f"This NPI is already verified for Dr. Holder {tag}: one names one person. Check who this is before verifying."
    )
    assert pages.errors == []
