"""Paying for a stay in Chromium through the web client and localstripe's Stripe.js: a test
card confirms the booking live, a declined card says so, a 3-D Secure card pays once the
challenge is completed; the host's payouts page shows the money held."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from services.payments import jobs
from services.runner import Stack
from shared.db import create_pool
from shared.embedded import pg_bin
from shared.settings import Settings
from tests.browser.conftest import PHONE, Client, Pages, axe_violations, future
from tests.browser.test_accessibility import npi_sent, operators_page
from tests.eventually import eventually_sync

FARGO_POINT = (46.831488, -96.827505)


def requested_booking(pages: Pages) -> tuple[Page, Page, dict[str, Any], Client, Client]:
    """A host's room and a student's request for it."""
    host, student = pages.open("host"), pages.open("student")
    as_host, as_student = Client(host.request), Client(student.request)
    as_host.sign_up("professional", "Dr. Paid")
    listing = as_host.call(
        "POST",
        "/listings",
        {
            "title": f"Paid room {uuid.uuid4().hex[:6]}",
            "room_type": "private_room",
            "address": "2 Broadway N, Fargo, ND",
            "latitude": FARGO_POINT[0] + 0.02,
            "longitude": FARGO_POINT[1] - 0.01,
            "monthly_rent": 912,
            "available_from": future(5),
            "available_to": future(120),
            "min_stay_nights": 7,
            "cancellation_policy": "flexible",
        },
    )
    as_student.sign_up("student", "Paying Student")
    booking = as_student.call(
        "POST", f"/listings/{listing['id']}/bookings", {"check_in": future(30), "check_out": future(44)}
    )
    return host, student, booking, as_student, as_host


def accepted_booking(pages: Pages) -> tuple[Page, Page, dict[str, Any], Client]:
    """A host's room, a student's request for it, accepted; payments has heard of it."""
    host, student, booking, as_student, as_host = requested_booking(pages)
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    deadline = time.monotonic() + 15
    while True:  # the acceptance reaches payments as an event
        r = student.request.fetch(
            f"/api/v1/bookings/{booking['id']}/payments", headers={"Authorization": f"Bearer {as_student.token}"}
        )
        if r.ok and r.json()["payments"]:
            break
        assert time.monotonic() < deadline, r.text()
        time.sleep(0.1)
    return host, student, booking, as_student


def fill_card(page: Page, number: str) -> None:
    """localstripe's card Element: plain inputs named by their placeholders."""
    form = page.get_by_role("form", name="Card payment")
    form.get_by_placeholder("number").fill(number)
    form.get_by_placeholder("exp_month").fill("12")
    form.get_by_placeholder("exp_year").fill("40")
    form.get_by_placeholder("cvc").fill("123")
    form.get_by_placeholder("postal_code").fill("58102")


def release_later(stack: Stack, offset: timedelta) -> None:
    """Payments' release job on a clock moved by ``offset`` (Playwright's sync API holds
    this thread's event loop, so the job runs on a thread of its own)."""

    async def run() -> None:
        pool = await create_pool(stack.service_url("payments"), "payments", size=1)
        try:
            await jobs.release_held(pool, Settings(clock_offset_s=offset.total_seconds()))
        finally:
            await pool.close()

    worker = threading.Thread(target=lambda: asyncio.run(run()))
    worker.start()
    worker.join(60)


def test_a_guest_pays_with_a_card_and_the_booking_turns_confirmed(pages: Pages, stack: Stack) -> None:
    """From the booking's "Pay to confirm" to a confirmed stay with its address; the host's
    payouts page shows the money held, and after check-in + 24 h (a moved clock) released
    less the 3 % fee; no CSP refusal on the way."""
    host, student, _, _ = accepted_booking(pages)
    student.goto("/#/bookings")
    card = student.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text("Accepted")
    expect(card).not_to_contain_text("2 Broadway N")
    # The link and the sentence after it read apart ("to confirm— held" before).
    expect(card).to_contain_text(
        re.compile(r"Pay \$[\d,.]+ to confirm Wardmate holds the money until 24 h after check-in\.")
    )
    # By when, on the room's clock (Fargo: Central), beside the button and on the pay
    # page (only the notice and its mail said).
    deadline = re.compile(
        r"Pay by \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M C[SD]T( \(.+ your time\))?:"
        r" unpaid by then, the booking expires\."
    )
    expect(card).to_contain_text(deadline)
    card.get_by_role("link", name=re.compile(r"Pay \$")).click()
    expect(student.get_by_role("heading", name=re.compile(r"Pay \$.* to confirm"))).to_be_visible()
    expect(student.get_by_role("form", name="Card payment")).to_contain_text(deadline)
    # Until when it is held, as the receipt gives it (it said "24 h after these nights
    # begin" of a long stay's later payment, which is released when they begin).
    expect(student.get_by_role("form", name="Card payment")).to_contain_text(
        re.compile(r"Held by Wardmate until \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M C[SD]T( \(.+ your time\))?, then")
    )
    assert axe_violations(student) == []
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    # The receipt names the card (the form's card_… method is a Card, not a PaymentMethod:
    # its receipt named none).
    expect(student.locator("main")).to_contain_text("Visa ending 4242")

    student.goto("/#/bookings")
    card = student.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text("Confirmed")
    expect(card).to_contain_text("Address: 2 Broadway N, Fargo, ND")
    # The guest's cancel question says by when the refund stays whole (24 h before check-in,
    # on the room's clock), and what it is after that: the policy's words gave no date.
    card.get_by_role("button", name="Cancel booking").click()
    mine = card.get_by_role("group", name=re.compile("Cancel this stay"))
    expect(mine).to_contain_text(
        re.compile(
            r"You get \$[\d,.]+ back \(flexible policy, full refund until 24 hours before check-in\)\."
            r" If you cancel after \w{3} \d{1,2}, \d{4}, 3:00 PM C[SD]T( \(.+ your time\))?, you get \$[\d,.]+ back\."
        )
    )
    mine.get_by_role("button", name="Keep it").click()

    # The host's cancel question says what their guest gets back, not "You get".
    host.goto("/#/bookings")
    request = host.get_by_role("listitem", name=re.compile("Paid room"))
    request.get_by_role("button", name="Cancel booking").click()
    question = request.get_by_role("group", name=re.compile("Cancel this stay"))
    expect(question).to_contain_text("Your guest gets $419.72 back (cancelled by the host")
    question.get_by_role("button", name="Keep it").click()

    host.goto("/#/payouts")
    expect(host.locator('[data-total="held"]')).to_have_text(re.compile(r"\$[0-9]"))
    expect(host.get_by_role("table", name="By booking")).to_contain_text("Paid room")
    assert axe_violations(host) == []
    # "Download CSV" is a plain link: the session cookie goes with it, and the file is the CSV.
    with host.expect_download() as got:
        host.get_by_role("link", name="Download CSV").click()
    assert got.value.suggested_filename == "wardmate-payouts.csv"
    # UTF-8 with a byte order mark, by which Excel reads it as UTF-8.
    lines = Path(got.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("\ufeffbooking_id,listing_title,") and len(lines) == 2
    assert "Paid room" in lines[1]
    # 14 nights at 912 x 12 / 365 = 29.98 a night: 419.72, less 3 % (12.59) = 407.13.
    expect(host.locator('[data-total="held"]')).to_have_text("$419.72")
    # Check-in 30 days ahead at 15:00 in Fargo, released 24 h later: at most 32 days away.
    release_later(stack, timedelta(days=32, hours=1))
    host.reload()
    expect(host.locator('[data-total="released"]')).to_have_text("$407.13")
    expect(host.locator('[data-total="fees"]')).to_have_text("$12.59")
    expect(host.locator('[data-total="held"]')).to_have_text("$0.00")
    # On a phone each stay is stacked, label beside value, as a receipt's payments are (its
    # seven columns scrolled sideways, 701 px wide in a 375 px page).
    host.set_viewport_size(PHONE)
    table = host.get_by_role("table", name="By booking")
    expect(table.get_by_role("rowheader", name="Paid room")).to_be_visible()
    wrap = host.get_by_role("region", name="Payouts table")
    assert wrap.evaluate("(e) => e.scrollWidth <= e.clientWidth"), wrap.evaluate(
        "(e) => [e.scrollWidth, e.clientWidth]"
    )
    assert pages.errors == [], pages.errors


def test_the_receipt_of_a_stay_cancelled_and_refunded_says_so(pages: Pages) -> None:
    """Paid, then cancelled by the guest a month ahead under a flexible policy: the receipt
    says the stay will not take place, and its payment reads refunded, paying for nothing
    and held until nothing (it read "Succeeded", "no whole night" and a release date)."""
    host, student, booking, as_student = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    as_student.call("POST", f"/bookings/{booking['id']}/cancel", {})
    receipt = f"/api/v1/bookings/{booking['id']}/payments"
    auth = {"Authorization": f"Bearer {as_student.token}"}
    eventually_sync(
        lambda: student.request.fetch(receipt, headers=auth).json(),
        what="the refund recorded",
        until=lambda r: r["booking_status"] == "cancelled" and r["refunded"] == r["paid"] > 0,
    )
    student.goto(f"/#/bookings/{booking['id']}/receipt")
    expect(student.get_by_text("This stay will not take place")).to_be_visible()
    row = student.get_by_role("table", name="Payments").get_by_role("row").nth(1)
    expect(row).to_contain_text("Refunded")
    expect(row).to_contain_text("Nothing now (refunded)")
    # The refund in words ("Refund $… (succeeded): flexible: …" read as a log line).
    refund = re.compile(r"^\$[\d,.]+ refunded: flexible policy, full refund until 24 hours before check-in\.$")
    expect(student.get_by_role("list", name="Refunds")).to_have_text(refund)
    expect(row).not_to_contain_text("Succeeded")
    expect(row.get_by_role("cell").last).to_have_text("—")
    # Whom and what it is for, as a reimbursement asks (it named neither side nor the booking).
    facts = student.get_by_role("definition")
    issued = re.compile(r"^\w{3} \d{1,2}, \d{4}, by Wardmate$")
    expect(facts).to_have_text([issued, booking["id"], re.compile("^Paid room"), "Paying Student", "Dr. Paid"])
    assert axe_violations(student) == []
    # The cancelled stay's card says what came back, to both sides (only the receipt did).
    paid = fmt_money(booking["total"])
    student.goto(f"/#/bookings?booking={booking['id']}")
    card = student.get_by_role("listitem").filter(has_text="You cancelled this stay.")
    expect(card).to_contain_text(re.compile(rf"{re.escape(paid)} of the {re.escape(paid)} you paid is refunded"))
    host.goto(f"/#/bookings?booking={booking['id']}")
    expect(host.get_by_role("listitem").filter(has_text="The guest cancelled this stay.")).to_contain_text(
        f"The guest is refunded {paid} of {paid}"
    )
    assert pages.errors == [], pages.errors


def fmt_money(amount: float) -> str:
    """An amount as the web client writes it (Intl's en-US dollars): $1,234.50."""
    return f"${amount:,.2f}"


def shown(days: int) -> str:
    """A day from today as the web client writes it ("Jan 4, 2027")."""
    day = date.today() + timedelta(days=days)
    return f"{day:%b} {day.day}, {day.year}"


def test_the_operator_page_reads_credentials_and_payments_with_spaces(pages: Pages, stack: Stack) -> None:
    """The operator's credential card, reconciliation and a booking's payments read their
    separators apart (a line break beside a value ate the space before: "1234567893· sent",
    "no difference.4 charges", "refunded $0.00· held")."""
    _, _, booking, _ = accepted_booking(pages)
    name = f"Dr. Npi {uuid.uuid4().hex[:6]}"
    npi_sent(pages, name)
    operator = operators_page(pages, stack)
    credential = operator.get_by_role("listitem", name=name)
    expect(credential).to_contain_text(re.compile(r"NPI 1234567893 · sent [A-Z][a-z]{2} \d"))
    operator.get_by_role("button", name="Reconcile with Stripe").click()
    expect(operator.get_by_role("status").filter(has_text="in the ledger")).to_have_text(
        re.compile(
            r"^(Reconciled: no difference|1 difference|(?!1 )\d+ differences)\."
            r" (1 charge|(?!1 )\d+ charges) and (1 refund|(?!1 )\d+ refunds) in the ledger\.$"
        )
    )
    operator.get_by_label("Booking id").fill(booking["id"])
    operator.get_by_role("button", name="Show payments").click()
    expect(operator.get_by_text(re.compile(r"nights · total"))).to_have_text(
        re.compile(
            r"^14 nights · total \$[\d,.]+ · paid \$0\.00 · refunded \$0\.00 · held \$0\.00"
            r" · released \$0\.00 · flexible cancellation policy$"
        )
    )
    # The payment by its number alone (it read "Payment 1 (block 0)", an index of the code's).
    expect(operator.get_by_role("list", name="Payments").get_by_role("listitem").first).to_have_text(
        re.compile(r"^Payment 1: \$[\d,.]+ for \d+ nights from ")
    )
    assert pages.errors == []


def test_what_new_dates_add_is_paid_from_the_receipt(pages: Pages) -> None:
    """A paid stay (14 nights) made longer, then moved 3 days later and longer again: the
    receipt numbers the payments that count (1 and 2), each with the nights it pays for on
    the dates now (the paid one from the new check-in, the one due for the 8 nights after
    it), and lists the 6 nights' payment the second change replaced apart, never charged;
    the pay page takes the 8 nights (it only ever offered the first payment); the host
    reads the same receipt."""
    host, student, booking, as_student, as_host = requested_booking(pages)
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    student.goto(f"/#/bookings/{booking['id']}/pay")  # it waits until payments has heard
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    as_student.call("POST", f"/bookings/{booking['id']}/shift", {"check_in": future(30), "check_out": future(50)})
    as_host.call("POST", f"/bookings/{booking['id']}/shift/accept", {})
    receipt = f"/api/v1/bookings/{booking['id']}/payments"
    auth = {"Authorization": f"Bearer {as_student.token}"}
    eventually_sync(  # payments hears of the new dates as an event
        lambda: student.request.fetch(receipt, headers=auth).json()["payments"],
        15,
        what="the 6 more nights due",
        until=lambda payments: len(payments) == 2,
    )
    as_student.call("POST", f"/bookings/{booking['id']}/shift", {"check_in": future(33), "check_out": future(55)})
    as_host.call("POST", f"/bookings/{booking['id']}/shift/accept", {})
    eventually_sync(
        lambda: student.request.fetch(receipt, headers=auth).json()["replaced"],
        15,
        what="the 6 nights' payment replaced by the 8 nights'",
        until=lambda replaced: len(replaced) == 1,
    )

    # The stay's card says what is paid next and by when (it said nothing of it).
    student.goto("/#/bookings")
    card = student.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text(
        re.compile(rf"Next payment: \$[\d,.]+ for 8 nights from {re.escape(shown(47))}, payable now, due by \w{{3}} \d")
    )
    student.goto(f"/#/bookings/{booking['id']}/receipt")
    for page in (student, host):
        if page is host:
            page.goto(f"/#/bookings/{booking['id']}/receipt")
        rows = page.get_by_role("table", name="Payments").get_by_role("row")
        expect(rows).to_have_count(3)  # the header, payment 1, payment 2
        expect(rows.nth(1)).to_contain_text(f"1{shown(33)} – {shown(47)} (14 nights)")
        expect(rows.nth(1).get_by_role("cell").nth(2)).to_have_text("Paid")
        expect(rows.nth(2)).to_contain_text(f"2{shown(47)} – {shown(55)} (8 nights)")
        expect(rows.nth(2)).to_contain_text(re.compile(r"DuePayable now, due by \w{3} \d{1,2}, \d{4}, "))
        replaced = page.get_by_role("table", name="Replaced by new dates")
        expect(replaced).to_contain_text(f"{shown(44)} – {shown(50)} (6 nights)")
        expect(replaced).to_contain_text("Never charged")
        assert axe_violations(page) == []
    expect(host.get_by_text(re.compile(r"Host fee 3"))).to_be_visible()
    # What the host receives is of what is paid so far, the 8 nights' payment still due.
    expect(host.get_by_text(re.compile(r"Host fee 3"))).to_contain_text(
        re.compile(r"of what is paid so far; \$[\d,.]+ more is due from the guest in later payments$")
    )

    student.get_by_role("link", name=re.compile(r"Pay \$.* now due")).click()
    heading = f"for 8 nights from {shown(47)}"
    expect(student.get_by_role("heading", name=re.compile(r"Pay \$.* " + re.escape(heading)))).to_be_visible()
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid, thank you")).to_be_visible()
    student.goto(f"/#/bookings/{booking['id']}/receipt")
    rows = student.get_by_role("table", name="Payments").get_by_role("row")
    expect(rows.nth(2).get_by_role("cell").nth(2)).to_have_text("Paid")
    expect(student.get_by_role("link", name=re.compile(r"now due"))).to_have_count(0)
    assert pages.errors == [], pages.errors


def test_a_declined_card_is_refused_and_the_booking_waits(pages: Pages) -> None:
    """The card is declined: the page says so and the booking still awaits payment."""
    _, student, booking, _ = accepted_booking(pages)
    # The room's page names its cancellation policy before anyone pays.
    student.goto(f"/#/listings/{booking['listing_id']}")
    expect(student.get_by_text("Flexible: full refund until 24 hours before check-in")).to_be_visible()
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4000000000000341")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("alert").filter(has_text="declined")).to_be_visible()
    student.goto("/#/bookings")
    expect(student.get_by_role("listitem", name=re.compile("Paid room"))).to_contain_text("Accepted")
    assert [e for e in pages.errors if "402" not in e] == [], pages.errors


def test_a_3d_secure_card_pays_after_the_challenge(pages: Pages) -> None:
    """The bank's challenge (localstripe's Stripe.js dialog) completed, the stay is paid."""
    _, student, booking, _ = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4000000000003220")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    student.get_by_role("button", name="Complete authentication").click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    assert pages.errors == [], pages.errors


def test_the_pay_page_waits_until_payments_has_heard_of_the_acceptance(pages: Pages, stack: Stack) -> None:
    """Payments hears of an acceptance as an event, a moment after the booking shows
    "Accepted". A guest who opens the pay page in that moment reads that the payment is
    being made ready, not "booking not found", and gets the card form once payments has
    caught up, without reloading. (The moment is held open: a session holds a lock that
    makes payments' consumer wait to write the booking, while its reads go on.)"""
    _, student, booking, _, as_host = requested_booking(pages)
    assert stack.database_url
    psql = [str(pg_bin() / "psql"), stack.database_url, "-v", "ON_ERROR_STOP=1", "-tA"]
    hold = "BEGIN; LOCK TABLE payments.bookings IN SHARE MODE; SELECT pg_sleep(120)"
    holder = subprocess.Popen([*psql, "-c", hold], env={**os.environ, "PGAPPNAME": "pay-page-lock"})
    try:
        held = "SELECT count(*) FROM pg_locks WHERE relation = 'payments.bookings'::regclass AND granted"
        eventually_sync(
            lambda: subprocess.run([*psql, "-c", held], capture_output=True, text=True).stdout.strip(),
            20,
            what="the lock on payments' bookings",
            until=lambda count: count not in ("", "0"),
        )
        as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
        student.goto(f"/#/bookings/{booking['id']}/pay")
        expect(student.get_by_role("status").filter(has_text="Getting your payment ready")).to_be_visible()
        student.wait_for_timeout(2500)  # the page has asked again meanwhile, and still waits
        expect(student.get_by_role("status").filter(has_text="Getting your payment ready")).to_be_visible()
        expect(student.get_by_role("alert")).to_have_count(0)
    finally:
        # The server side sleeps on, lock held, whatever becomes of psql: end it there.
        release = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pay-page-lock'"
        subprocess.run([*psql, "-c", release], check=True, capture_output=True)
        holder.wait(10)
    expect(student.get_by_role("form", name="Card payment")).to_be_visible(timeout=15_000)
    expect(student.get_by_role("status").filter(has_text="Getting your payment ready")).to_have_count(0)
