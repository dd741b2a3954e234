"""What the second user walk found, fixed in the web client: a student asks the host of a
stay they completed for a letter (each host once, by name), and is told to choose a writer
before anything is sent; the student's letter pages speak to the student, the writer's to
the writer; mailed links that are cut, garbled or expired say so and how to get a new one;
an operator's menu has no Mentorships; a deleted account's login page says it is deleted;
the operators' counts read "1 open report"."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from playwright.sync_api import Page, Route, expect

from services.listings import jobs as listing_jobs
from services.runner import Stack
from shared.db import create_pool
from tests.browser.conftest import FARGO, PASSWORD, Client, Pages, future
from tests.browser.test_accessibility import make_admin
from tests.eventually import eventually


def complete(stack: Stack, booking_ids: list[str]) -> None:
    """Move accepted stays into the past as paid ones, let listings' own sweep complete them,
    and wait until matching (which decides who may write a letter) has heard it."""

    async def run() -> None:
        pool = await create_pool(stack.service_url("listings"), "listings", size=1)
        try:
            for n, booking_id in enumerate(booking_ids):
                await pool.execute(
                    "UPDATE bookings SET status = 'confirmed',"
                    " stay = daterange(current_date - 30 - 30 * $2::int, current_date - 16 - 30 * $2::int)"
                    " WHERE id = $1",
                    uuid.UUID(booking_id),
                    n,
                )
            await listing_jobs.sweep_bookings(pool)
        finally:
            await pool.close()
        conn = await asyncpg.connect(stack.service_url("matching"))
        try:
            ids = [uuid.UUID(b) for b in booking_ids]
            await eventually(
                lambda: conn.fetchval(
                    "SELECT count(*) FROM matching.bookings WHERE booking_id = ANY($1) AND status = 'completed'", ids
                ),
                until=lambda done: done == len(ids),
                what="matching to hear that the stays completed",
            )
        finally:
            await conn.close()

    # Playwright's sync API holds this thread's event loop: asyncpg runs in another thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def stayed_with_a_host(pages: Pages, stack: Stack, stays: int = 1) -> tuple[Page, Client, Page, Client, str]:
    """A student's page and client, their host's page and client, and the host's name: the
    student completed ``stays`` stays in the host's room."""
    tag = uuid.uuid4().hex[:6]
    host_name = f"Dr. Stay Host {tag}"
    host_page, student_page = pages.open("host"), pages.open("student")
    as_host, as_student = Client(host_page.request, pages.mailbox), Client(student_page.request, pages.mailbox)
    as_host.sign_up("professional", host_name)
    listing = as_host.call(
        "POST",
        "/listings",
        {
            "title": f"Room for a letter {tag}",
            "room_type": "private_room",
            "address": "12 Letter St, Fargo, ND",
            "latitude": 46.84,
            "longitude": -96.82,
            "monthly_rent": 700,
            "available_from": future(1),
            "available_to": future(120),
            "min_stay_nights": 7,
        },
    )
    as_student.sign_up("student", f"Letter Student {tag}")
    booked = []
    for n in range(stays):
        booking = as_student.call(
            "POST",
            f"/listings/{listing['id']}/bookings",
            {"check_in": future(10 + 30 * n), "check_out": future(24 + 30 * n), "hospital_id": FARGO},
        )
        as_host.call("POST", f"/bookings/{booking['id']}/accept")
        booked.append(booking["id"])
    complete(stack, booked)
    return student_page, as_student, host_page, as_host, host_name


def test_a_student_asks_the_host_of_a_completed_stay_for_a_letter(pages: Pages, stack: Stack) -> None:
    """The form's writers were the student's mentors only, though its hint and the API let
    the host of a completed stay be asked: the host is offered by name, once for two stays,
    and the request reaches them."""
    student, _, _, _, host_name = stayed_with_a_host(pages, stack, stays=2)
    student.goto("/#/letters")
    student.get_by_role("button", name="Ask for a letter").click()
    writer = student.get_by_label("Who writes it")
    expect(writer.locator("option", has_text=host_name)).to_have_count(1)
    writer.select_option(label=host_name)
    student.get_by_label("Specialty").fill("Family Medicine")
    student.get_by_label("Deadline").fill(future(30))
    student.get_by_label("Application").select_option("other")
    student.get_by_role("button", name="Send request").click()
    expect(student.get_by_role("list", name="Your letters")).to_contain_text(f"Family Medicine: from {host_name}")
    assert pages.errors == []


def test_the_letter_form_asks_who_writes_it_before_sending(pages: Pages) -> None:
    """Sent with no writer chosen, the page said "An id must be a UUID written 8-4-4-4-12
    hex digits.": it says "Choose who writes it" beside the field, and sends nothing."""
    student = pages.open("student")
    Client(student.request, pages.mailbox).sign_up("student", "Writerless Student")
    sent: list[str] = []
    student.on("request", lambda r: sent.append(r.url) if r.method == "POST" and "/letters" in r.url else None)
    student.goto("/#/letters")
    student.get_by_role("button", name="Ask for a letter").click()
    student.get_by_label("Specialty").fill("Pediatrics")
    student.get_by_label("Deadline").fill(future(30))
    student.get_by_label("Application").select_option("other")
    student.get_by_role("button", name="Send request").click()
    writer = student.get_by_label("Who writes it")
    expect(writer).to_have_attribute("aria-invalid", "true")
    expect(writer).to_have_accessible_description(re.compile("Choose who writes it"))
    expect(student.get_by_text("UUID")).to_have_count(0)
    assert sent == []


def test_each_side_of_a_letter_reads_its_own_words(pages: Pages, stack: Stack) -> None:
    """The student's card said "Waived: the student will not see it" and their letter page
    told them to upload the letter themselves and not to send themselves a copy: the
    student reads of their own waiver and what happens next; the writer keeps the
    instructions."""
    student, as_student, host, as_host, host_name = stayed_with_a_host(pages, stack)
    host_id = as_host.call("GET", "/me")["user"]["id"]
    letter = as_student.call(
        "POST",
        "/letters",
        {
            "writer_id": host_id,
            "specialty": "Family Medicine",
            "deadline": future(30),
            "application": "eras",
            "eras_letter_id": f"LT{uuid.uuid4().hex[:8].upper()}",
            "waived": True,
        },
    )
    student.goto("/#/letters")
    mine = student.get_by_role("list", name="Your letters")
    expect(mine).to_contain_text("You waived your right to see it")
    expect(mine).not_to_contain_text("the student will not see it")
    student.goto(f"/#/letters/{letter['id']}")
    expect(student.get_by_text(f"Waiting for {host_name} to answer")).to_be_visible()
    expect(student.locator("#main")).not_to_contain_text("Upload the letter yourself")
    expect(student.locator("#main")).not_to_contain_text("do not send them a copy")

    host.goto(f"/#/letters/{letter['id']}")
    expect(host.get_by_text("Upload the letter yourself through the AAMC Letter Writer Portal")).to_be_visible()
    expect(host.get_by_text("do not send them a copy")).to_be_visible()
    assert pages.errors == []


def test_a_bad_reset_link_says_so_and_how_to_get_a_new_one(pages: Pages) -> None:
    """A cut or garbled reset link said "token: Write at least 10 characters." after a new
    password was typed, and no token at all showed the form: each says the link is invalid
    or has expired, and offers "Forgot password?"."""
    page = pages.open("visitor")
    for cut in ("/#/reset-password?token=garbage", "/#/reset-password"):
        page.goto(cut)
        expect(page.get_by_role("alert")).to_have_text("This link is invalid or has expired.")
        expect(page.get_by_label("New password")).to_have_count(0)
    # A token of the right length but not ours: the API refuses it before any form shows.
    page.goto("/#/reset-password?token=not-a-real-token-at-all")
    expect(page.get_by_role("alert")).to_have_text("This link is invalid or has expired.")
    expect(page.get_by_label("New password")).to_have_count(0)
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()


def test_a_bad_confirmation_link_says_so_and_how_to_get_a_new_one(pages: Pages) -> None:
    """A garbled confirmation link said "invalid request": it says the link is invalid or
    has expired, and where a new one comes from (logging in, the banner's "Mail me a new
    link", or changing the address again)."""
    visitor = pages.open("visitor")
    visitor.goto("/#/verify-email?token=garbage")
    expect(visitor.get_by_role("alert")).to_have_text("This link is invalid or has expired.")
    expect(visitor.locator("#main").get_by_role("link", name="Log in")).to_be_visible()
    visitor.goto("/#/confirm-email?token=garbage-but-long-enough")
    expect(visitor.get_by_role("alert")).to_have_text("This link is invalid or has expired.")

    # Logged in and not confirmed yet: the banner's button is the way to a new link.
    page = pages.open("new")
    signup = page.request.post(
        "/api/v1/auth/signup",
        data={
            "email": f"unconfirmed-{uuid.uuid4().hex[:8]}@test.wardmate",
            "password": PASSWORD,
            "display_name": "Unconfirmed Student",
            "role": "student",
        },
    )
    assert signup.ok, signup.text()
    page.goto("/#/verify-email?token=garbage-but-long-enough")
    expect(page.get_by_role("alert")).to_have_text("This link is invalid or has expired.")
    expect(page.get_by_text("Choose “Mail me a new link” at the top of the page")).to_be_visible()
    expect(page.get_by_role("region", name="Confirm your address").get_by_role("button")).to_be_visible()
    page.goto("/#/confirm-email?token=garbage")
    expect(page.get_by_role("alert")).to_have_text("This link is invalid or has expired.")
    expect(page.locator("#main").get_by_role("link", name="Settings")).to_be_visible()


def test_an_operators_menu_has_no_mentorships(pages: Pages, stack: Stack) -> None:
    """An operator's menu led to a student's empty "Your mentors" page: it offers neither
    Mentorships nor Letters, which a student's still does."""
    student = pages.open("student")
    Client(student.request, pages.mailbox).sign_up("student", "Menu Student")
    student.goto("/#/")
    expect(student.get_by_role("navigation", name="Main").get_by_role("link", name="Mentorships")).to_be_visible()
    operator = pages.open("operator")
    make_admin(stack, operator)
    menu = operator.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Admin")).to_be_visible()
    expect(menu.get_by_role("link", name="Mentorships")).to_have_count(0)
    expect(menu.get_by_role("link", name="Letters")).to_have_count(0)
    # Typed in, the address says where an operator's view is (it showed "Your mentors").
    for path, title in (("/#/mentorships", "Mentorships"), ("/#/letters", "Letters")):
        operator.goto(path)
        expect(operator.get_by_role("heading", name=title)).to_be_visible()
        expect(operator.get_by_role("link", name="Mentoring outcomes")).to_be_visible()


def test_deleting_the_account_says_so_where_the_user_lands(pages: Pages) -> None:
    """Deleting the account from Settings landed on the login page with no word: it shows
    the API's reply."""
    page = pages.open("leaving")
    Client(page.request, pages.mailbox).sign_up("student", "Leaving Student")
    page.goto("/#/settings")
    page.get_by_label("Password to confirm").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Your account is deleted")).to_be_visible()


def test_the_operators_counts_agree_with_their_number(pages: Pages, stack: Stack) -> None:
    """The admin page said "1 open reports": one of each reads in the singular, two in the
    plural (the counts come from the real reply, changed on the way)."""
    operator = pages.open("operator")
    make_admin(stack, operator)
    counts = {"messages": 1, "flagged_messages": 1, "flagged_last_24h": 1, "reports_open": 1, "blocks": 1}

    def serve(route: Route) -> None:
        reply = route.fetch()
        route.fulfill(response=reply, json={**reply.json(), **counts})

    operator.route("**/api/v1/admin/messaging/stats", serve)
    operator.goto("/#/admin")
    one = "1 message, 1 flagged as a possible scam (1 in the last 24 hours), 1 open report, 1 block."
    expect(operator.get_by_text(one)).to_be_visible()
    counts.update({key: 2 for key in counts})
    operator.reload()
    two = "2 messages, 2 flagged as possible scams (2 in the last 24 hours), 2 open reports, 2 blocks."
    expect(operator.get_by_text(two)).to_be_visible()
