"""An operator's day on the Admin page: who verified a credential and who resolved a report
are shown where the next operator looks, the counts follow the actions, and reconciliation
shows the overdue payments it lists."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Route, expect

from services.runner import Stack
from shared.contracts.payments import Reconciliation
from tests import samples
from tests.browser.conftest import LAPTOP, Client, Pages
from tests.browser.test_accessibility import make_admin, npi_sent, operators_page


def open_reports(text: str) -> int:
    found = re.search(r"(\d+) open reports?\b", text)
    assert found, text
    return int(found.group(1))


def test_operator_actions_say_who_and_when(pages: Pages, stack: Stack) -> None:
    """A credential verified reads "verified <time> by you" to its operator (by their name,
    "Operator", it did not say it was them, where reports said "by you"), a
    student verified by a document reads as a document (it read "Licence ()"), a resolved
    report "Resolved <time> by you", and the open reports count drops at once."""
    tag = uuid.uuid4().hex[:6]
    applicant_name = f"Dr. Checked {tag}"
    _, _, applicant_id = npi_sent(pages, applicant_name)
    student_page = pages.open("student")
    student = Client(student_page.request)
    student_name = f"Student Doc {tag}"
    student.sign_up("student", student_name)
    upload = student_page.request.post(
        "/api/v1/me/documents",
        headers={"Authorization": f"Bearer {student.token}"},
        multipart={
            "kind": "enrolment",
            "file": {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(pages=1)},
        },
    )
    assert upload.status == 201, upload.text()
    student.call("POST", "/reports", {"user_id": applicant_id, "reason": "scam", "details": f"wire {tag}"})

    operator = operators_page(pages, stack)
    counts = operator.get_by_text(re.compile(r"\d+ open reports?\b"))
    before = open_reports(counts.inner_text())

    operator.get_by_role("button", name=f"Verify {applicant_name}").click()
    document = operator.get_by_role("listitem", name=f"Proof of enrolment of {student_name}")
    document.get_by_role("button", name=f"Verify Proof of enrolment of {student_name}").click()
    expect(document).to_have_count(0)
    operator.get_by_role("combobox", name="Credentials").select_option("verified")
    expect(operator.get_by_role("listitem", name=applicant_name)).to_contain_text(
        re.compile(r"NPI 1234567893 · sent .+ · verified [A-Z][a-z]{2} \d+, .+ by you")
    )
    verified_student = operator.get_by_role("listitem", name=student_name)
    expect(verified_student).to_contain_text("A document")
    expect(verified_student).to_contain_text("by you")
    expect(verified_student).not_to_contain_text("Licence")

    report = operator.get_by_role("listitem").filter(has_text=f"wire {tag}")
    report.get_by_label("Note (optional)").fill("told them off-platform payment is not allowed")
    # No outcome is preset: Resolve alone recorded a warning nobody gave.
    report.get_by_role("button", name="Resolve").click()
    outcome = report.get_by_label("Outcome")
    expect(outcome).to_have_accessible_description("Choose what was done about the report.")
    expect(outcome).to_be_focused()
    expect(report.get_by_role("alert")).to_have_count(0)  # said beside the field, not twice
    outcome.select_option("Warned the reported user")
    report.get_by_role("button", name="Resolve").click()
    expect(report).to_have_count(0)  # the open list no longer has it
    expect(counts).to_contain_text(f"{before - 1} open report{'' if before - 1 == 1 else 's'},")
    operator.get_by_role("combobox", name="Show").select_option("resolved")
    resolved = operator.get_by_role("listitem").filter(has_text=f"wire {tag}")
    expect(resolved).to_contain_text(re.compile(r"Resolved [A-Z][a-z]{2} \d+, .+ by you: Warned the reported user\."))
    assert pages.errors == []


def test_reconciliation_shows_the_overdue_payments(pages: Pages, stack: Stack) -> None:
    """Later payments past their deadline are not differences but the operator's to follow
    up: the page lists them (it said only "Reconciled: no difference"). The reply is the
    contract's, served to the page, since an overdue payment needs days to pass."""
    overdue = "OVERDUE: payment 1 of booking 3f0c… $412.00 due by 6 Feb 2027, unpaid"
    reply = Reconciliation(
        ok=True,
        charges_in_ledger=2,
        charges_at_stripe=2,
        refunds_in_ledger=0,
        refunds_at_stripe=0,
        differences=[],
        overdue=[overdue],
    )

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=reply.model_dump_json())

    operator = pages.open("operator", LAPTOP)
    make_admin(stack, operator)
    operator.route("**/api/v1/admin/payments-reconciliation", serve)
    operator.goto("/#/admin")
    operator.get_by_role("button", name="Reconcile with Stripe").click()
    expect(operator.get_by_role("status").filter(has_text="in the ledger")).to_contain_text("Reconciled: no difference")
    expect(operator.get_by_role("list", name="Overdue payments")).to_have_text(overdue)
    assert pages.errors == []


def test_a_non_operator_opening_admin_is_told_the_page_is_for_operators(pages: Pages) -> None:
    """A host opening #/admin reads one clear line (it showed the operators' sections, each
    with a permission error), and the page asks the API for none of their data."""
    host = pages.open("host")
    Client(host.request).sign_up("professional", "Dr. Curious")
    asked: list[str] = []
    host.on("request", lambda r: asked.append(r.url) if "/api/v1/admin" in r.url else None)
    host.goto("/#/admin")
    expect(host.get_by_text("This page is for Wardmate operators")).to_be_visible()
    expect(host.get_by_role("heading", name="Verify professionals")).to_have_count(0)
    expect(host.get_by_role("alert")).to_have_count(0)
    assert asked == []
    assert pages.errors == []


def test_a_malformed_booking_id_is_explained_beside_the_field(pages: Pages, stack: Stack) -> None:
    """The payments look-up says what is wrong with the id beside the field (it said only
    "invalid request"); an id of no booking says so too."""
    operator = operators_page(pages, stack)
    lookup = operator.get_by_role("form", name="A booking's payments")
    field = lookup.get_by_label("Booking id")
    field.fill("3f0c-not-an-id")
    lookup.get_by_role("button", name="Show payments").click()
    expect(lookup.locator(".error")).to_contain_text("An id must be a UUID written 8-4-4-4-12 hex digits")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill(str(uuid.uuid4()))
    lookup.get_by_role("button", name="Show payments").click()
    expect(lookup.get_by_role("alert")).to_contain_text("not found")
    assert pages.errors == []


def test_an_operator_rejects_a_credential_and_the_professional_reads_why(pages: Pages, stack: Stack) -> None:
    """Reject needs a reason; the rejected list says who and when and why; the professional
    sees the reason on their profile and may submit again."""
    tag = uuid.uuid4().hex[:6]
    name = f"Dr. Wrong NPI {tag}"
    applicant_page, _, _ = npi_sent(pages, name)

    operator = operators_page(pages, stack)
    card = operator.get_by_role("listitem", name=name)
    card.get_by_role("button", name=f"Reject {name}").click()
    expect(card.get_by_text("Say why you reject it")).to_be_visible()
    reason = "This NPI belongs to another physician"
    card.get_by_label("Reason (shown to them; required to reject)").fill(reason)
    card.get_by_role("button", name=f"Reject {name}").click()
    expect(card).to_have_count(0)
    operator.get_by_role("combobox", name="Credentials").select_option("rejected")
    expect(operator.get_by_role("listitem", name=name)).to_contain_text(
        re.compile(rf"rejected [A-Z][a-z]{{2}} \d+, .+ by you.*Why: {reason}", re.S)
    )

    applicant_page.goto("/#/profile")
    expect(
        applicant_page.get_by_role("status").filter(has_text="An operator could not verify your NPI")
    ).to_contain_text(reason)
    expect(applicant_page.get_by_role("button", name="Request verification")).to_be_visible()
    # Corrected: a wrong check digit is said beside the field, which takes focus (it was an
    # alert above the button); pasted with a space and dashes, the NPI is its digits (the
    # field cut " 1234567893" to nine).
    npi = applicant_page.get_by_label("NPI", exact=True)
    npi.fill("1234567890")
    applicant_page.get_by_role("button", name="Request verification").click()
    expect(npi).to_be_focused()
    expect(npi).to_have_accessible_description(re.compile("not a valid NPI: its last digit does not match"))
    npi.fill(" 1234-567-893")
    applicant_page.get_by_role("button", name="Request verification").click()
    expect(applicant_page.get_by_text("Your NPI is waiting for an operator to check it.")).to_be_visible()
    assert pages.errors == []
