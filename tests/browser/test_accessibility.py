"""The main pages pass axe-core's WCAG 2.1 A/AA rules with no serious or critical violation,
at phone width (students) and laptop width (hosts, operators), and show what they promise."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import asyncpg
from playwright.sync_api import Page, Route, expect

from services.accounts.admin import ensure_admin
from services.runner import Stack
from tests.browser.conftest import FARGO, LAPTOP, PASSWORD, PHONE, Client, Pages, axe_violations, future
from tests.eventually import eventually

FARGO_POINT = (46.831488, -96.827505)
# A hospital no other test uses: a match round's selection of it holds this test's people only.
MINOT = "trinity-hospitals-minot-nd"


def profiles_hold(stack: Stack, user_ids: list[str], condition: str, what: str) -> None:
    """Wait until matching's projection of profiles holds each user with ``condition`` (SQL
    on its row): profiles reach it through events, after the call that changed them answered."""

    async def wait() -> None:
        assert stack.database_url
        conn = await asyncpg.connect(stack.database_url)
        try:
            await eventually(
                lambda: conn.fetchval(
                    f"SELECT count(*) FROM matching.profiles WHERE user_id = ANY($1::uuid[]) AND {condition}",
                    [uuid.UUID(u) for u in user_ids],
                ),
                what=what,
                until=lambda known: known == len(user_ids),
            )
        finally:
            await conn.close()

    # Playwright's sync API holds this thread's event loop: asyncpg runs in another thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, wait()).result()


def mentors_known(stack: Stack, mentor_ids: list[str]) -> None:
    """Wait until matching holds each mentor open to mentoring."""
    condition = "(data->>'open_to_mentoring')::boolean"
    profiles_hold(stack, mentor_ids, condition, "matching to hold every mentor open to mentoring")


def names_known(stack: Stack, user_ids: list[str]) -> None:
    """Wait until matching holds each user's name: it prefixes the notices it words (a letter
    request, a plan's change) with it, and until then says "A student" or "Your mentoring
    partner". A test that signed up and acted within a second, on a loaded machine, outran it."""
    profiles_hold(stack, user_ids, "data->>'display_name' IS NOT NULL", "matching to hold every user's name")


def check(page: Page, path: str, ready: str, found: dict[str, Any]) -> None:
    """Open ``path``, wait for the text ``ready``, and record axe's serious violations."""
    page.goto(path)
    expect(page.get_by_text(ready).filter(visible=True).first).to_be_visible()
    violations = axe_violations(page)
    if violations:
        found[f"{path} at {page.viewport_size}"] = violations


def new_admin(stack: Stack) -> str:
    """A new operator's address (password ``PASSWORD``), made as `python -m
    services.accounts.admin` makes one, in this process (a new one took a second to import)."""
    email = f"admin-{uuid.uuid4().hex[:8]}@test.wardmate"
    # Playwright's sync API holds this thread's event loop: asyncpg runs in another thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, ensure_admin(stack.service_url("accounts"), email, PASSWORD)).result()
    return email


def make_admin(stack: Stack, page: Page) -> None:
    email = new_admin(stack)
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Admin")).to_be_visible()


def npi_sent(pages: Pages, name: str) -> tuple[Page, Client, str]:
    """A professional ``name`` signed up in a page of their own, their NPI sent for an
    operator to check: their page, their client and their id."""
    page = pages.open("applicant")
    applicant = Client(page.request, pages.mailbox)
    user_id = applicant.sign_up("professional", name)
    applicant.call("POST", "/me/verification", {"npi": "1234567893"})
    return page, applicant, user_id


def operators_page(pages: Pages, stack: Stack) -> Page:
    """A new operator, logged in on a laptop, on the operators' page."""
    operator = pages.open("operator", LAPTOP)
    make_admin(stack, operator)
    operator.goto("/#/admin")
    return operator


def test_main_pages_have_no_serious_accessibility_violations(pages: Pages, stack: Stack) -> None:
    """Every main page, logged out, as a student, a host and an operator: no serious axe violation."""
    found: dict[str, Any] = {}
    visitor = pages.open("visitor", PHONE)
    check(visitor, "/#/", "Log in", found)
    check(visitor, "/#/signup", "Create your account", found)

    host, student = pages.open("host", LAPTOP), pages.open("student", PHONE)
    as_host, as_student = Client(host.request, pages.mailbox), Client(student.request, pages.mailbox)
    host_name = f"Dr. Axe Host {uuid.uuid4().hex[:6]}"
    host_id = as_host.sign_up("professional", host_name)
    as_host.call("POST", "/me/verification", {"npi": "1234567893"})
    as_host.call(
        "PATCH",
        "/me/profile",
        {"profession": "Internist", "hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 1},
    )
    listing = as_host.call(
        "POST",
        "/listings",
        {
            "title": "Quiet room near Essentia",
            "room_type": "private_room",
            "address": "1 Main Ave, Fargo, ND",
            "latitude": FARGO_POINT[0] - 0.01,
            "longitude": FARGO_POINT[1],
            "monthly_rent": 800,
            "amenities": ["wifi"],
            "available_from": future(5),
            "available_to": future(120),
            "min_stay_nights": 7,
        },
    )
    as_student.sign_up("student", "Axe Student")
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "internal medicine", "start_date": future(20), "end_date": future(48)},
    )
    as_student.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(20), "check_out": future(48), "hospital_id": FARGO},
    )
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "Hello, is it free?"})
    as_host.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        {"body": "Yes. Send the deposit by Western Union before viewing and it is yours."},
    )
    as_student.call("POST", "/mentorships", {"mentor_id": host_id, "message": "Could you mentor me?"})

    check(student, "/#/", "Your rotations", found)
    check(student, f"/#/rotations/{rotation['id']}", "Rooms for this rotation", found)
    check(student, f"/#/search?hospital={FARGO}&hname=Essentia&lat=46.83&lon=-96.83", "Results", found)
    check(student, f"/#/listings/{listing['id']}?rotation={rotation['id']}", "Where it is", found)
    check(student, "/#/bookings", "Your stays", found)
    check(student, "/#/inbox", host_name, found)
    check(student, f"/#/inbox/{conversation['id']}", "Possible scam", found)
    check(student, "/#/mentorships", "Your mentors", found)
    check(student, "/#/profile", "Your profile", found)
    check(student, "/#/settings", "Delete your account", found)
    # The scam warning is shown to the recipient, with the message, which they report.
    flagged = student.get_by_role("listitem").filter(has_text="Western Union")
    student.goto(f"/#/inbox/{conversation['id']}")
    expect(flagged.get_by_role("note")).to_contain_text("Possible scam")
    flagged.get_by_role("button", name="Report message").click()
    flagged.get_by_label("Reason").select_option("scam")
    flagged.get_by_label("What happened").fill("Asked for a wire deposit.")
    flagged.get_by_role("button", name="Send report").click()
    expect(flagged.get_by_role("status")).to_contain_text("Reported")
    # ... and blocks the host: the message box gives way to the block's notice, which says why.
    student.get_by_text(f"Safety: block or report {host_name}").click()
    student.get_by_role("button", name="Block", exact=True).click()
    notice = student.get_by_role("status").filter(has_text=f"You blocked {host_name}: neither of you can write")
    expect(notice).to_be_focused()
    expect(student.get_by_role("form", name="Send a message")).to_have_count(0)
    # Only the action that applies is offered, also after a reload (both once were).
    safety = student.locator("details.safety")
    expect(safety.get_by_role("button", name="Unblock")).to_be_visible()
    expect(safety.get_by_role("button", name="Block", exact=True)).to_have_count(0)
    student.reload()
    student.get_by_text(f"Safety: unblock or report {host_name}").click()
    expect(safety.get_by_role("button", name="Unblock")).to_be_visible()
    expect(safety.get_by_role("button", name="Block", exact=True)).to_have_count(0)

    check(host, "/#/", "Your rooms", found)
    check(host, "/#/profile", "As a professional", found)
    check(host, "/#/listings", "Quiet room near Essentia", found)
    check(host, "/#/bookings", "Requests for your rooms", found)
    check(host, "/#/mentorships", "Students who asked you", found)
    check(host, "/#/notifications", "Notifications", found)
    host.goto("/#/listings/new")
    host.get_by_role("button", name="Post room").click()
    expect(host.get_by_label("Title", exact=True)).to_have_attribute("aria-invalid", "true")
    violations = axe_violations(host)
    if violations:
        found["/#/listings/new with errors"] = violations

    operator = pages.open("operator", LAPTOP)
    make_admin(stack, operator)
    check(operator, "/#/admin", "Verify professionals", found)
    # The operator verifies the host's NPI and resolves the student's report.
    operator.get_by_role("listitem", name=host_name).get_by_role("button", name="Verify").click()
    expect(operator.get_by_role("listitem", name=host_name)).to_have_count(0)
    report = operator.get_by_role("listitem").filter(has_text="Asked for a wire deposit.")
    expect(report).to_contain_text(f"Reported: {host_name} · by Axe Student")
    report.get_by_label("Outcome").select_option("Warned the reported user")
    report.get_by_label("Note (optional)").fill("Told the host to keep payments on Wardmate.")
    report.get_by_role("button", name="Resolve").click()
    expect(report).to_have_count(0)
    host.goto(f"/#/users/{host_id}")
    expect(host.get_by_text("✓ Verified")).to_be_visible()

    # Two students rotate at Minot in a month; one mentor there has one seat.
    month = f"{date.today().year + 2}-03"
    mentor, minot_students = Client(pages.open("mentor").request, pages.mailbox), []
    mentor_name = f"Dr. Minot {uuid.uuid4().hex[:6]}"
    mentor_id = mentor.sign_up("professional", mentor_name)
    mentor.call(
        "PATCH",
        "/me/profile",
        {"specialties": ["surgery"], "hospital_ids": [MINOT], "open_to_mentoring": True, "mentoring_capacity": 1},
    )
    dates = {"start_date": f"{month}-05", "end_date": f"{month}-26"}
    for name in ("Minot Student A", "Minot Student B"):
        client = Client(pages.open(name).request, pages.mailbox)
        client.sign_up("student", name)
        client.call("POST", "/rotations", {"hospital_id": MINOT, "specialty": "surgery", **dates})
        minot_students.append(name)
    mentors_known(stack, [mentor_id])

    # The operator queues a round of that hospital's month and follows it to its report.
    check(operator, "/#/admin/rounds", "New round", found)
    # No hospital chosen: refused beside the field, with focus there (it stayed on the button).
    operator.get_by_role("button", name="Queue round").click()
    expect(operator.get_by_label("Hospital", exact=True)).to_be_focused()
    operator.get_by_label("Hospital", exact=True).fill("Trinity Hospitals")
    operator.get_by_role("button", name="Trinity Hospitals, Minot, ND").click()
    operator.get_by_label("Rotations starting in").fill(month)
    # The round's first answer is shown as still running (a round this small is done before
    # the page could see it run): the page shows its progress and asks again.
    asked: list[str] = []

    def running_once(route: Route) -> None:
        reply = route.fetch()
        asked.append(route.request.url)
        if len(asked) > 1:
            route.fulfill(response=reply)
            return
        body = reply.json() | {"status": "running", "progress": {"stage": "matching", "done": 3, "total": 10}}
        route.fulfill(response=reply, json=body)

    operator.route("**/api/v1/admin/match-rounds/*", running_once)
    operator.get_by_role("button", name="Queue round").click()
    # Named by its hospital and month, not by the time it was queued.
    expect(operator.get_by_role("heading", name=re.compile("^Trinity Hospitals, Minot, ND · March"))).to_be_visible()
    expect(operator.get_by_role("progressbar", name="Progress")).to_have_attribute("value", "3")
    expect(operator.get_by_role("status").filter(has_text="Matching: 3 of 10")).to_be_visible()
    expect(operator.get_by_role("list", name="Rank distribution")).to_have_text("1st choice: 1")
    expect(operator.get_by_text("0 (stable)")).to_be_visible()
    chart = operator.get_by_role("img", name="Chart of the rank distribution: 1st choice: 1, unmatched: 1")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")  # the SVG loaded under the CSP
    table = operator.get_by_role("table", name="Each rotation's mentor")
    for name in minot_students:
        expect(table.get_by_role("row").filter(has_text=name)).to_be_visible()
    expect(table.get_by_role("row").filter(has_text=mentor_name)).to_contain_text("1st choice")
    expect(table.get_by_role("row").filter(has_text="Unmatched")).to_have_count(1)
    assert len(asked) >= 2
    operator.unroute("**/api/v1/admin/match-rounds/*")
    violations = axe_violations(operator)
    if violations:
        found["a match round's page"] = violations

    # A scramble of what it left unmatched: one rotation, and no seat left.
    first_round = operator.url
    operator.get_by_role("button", name="Scramble the unmatched rotations").click()
    expect(operator.get_by_role("heading", name=re.compile("^Scramble of Trinity Hospitals"))).to_be_visible()
    expect(operator.get_by_text("No rotation was matched.")).to_be_visible()
    assert operator.url != first_round
    # Back on the first round, the operator accepts it: one mentorship request.
    operator.get_by_role("link", name="an earlier round").click()
    operator.get_by_role("button", name="Accept: send mentorship requests").click()
    # Asked first (it sends requests that cannot be taken back), then said, with focus.
    expect(operator.get_by_role("button", name="Keep it")).to_be_focused()
    operator.get_by_role("button", name="Yes, send them").click()
    made = operator.get_by_role("status").filter(has_text="1 mentorship request made")
    expect(made).to_be_visible()
    expect(made).to_be_focused()
    expect(operator.get_by_role("button", name="Accept: send mentorship requests")).to_have_count(0)
    operator.get_by_role("link", name="All match rounds").click()
    newest = operator.get_by_role("list", name="Match rounds").get_by_role("listitem")
    expect(newest.nth(0)).to_contain_text("0 of 1 rotations matched")
    expect(newest.nth(1)).to_contain_text("Accepted · 1 of 2 rotations matched")

    assert found == {}
    assert pages.errors == []
