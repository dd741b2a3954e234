"""The main journey in a real browser: host, student, booking, live status, messages, mentorship."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from playwright.sync_api import Page, Route, WebSocketRoute, expect

from services.runner import Stack
from tests.browser.conftest import FARGO, PASSWORD, PHONE, Client, Pages, future, verification_link

# The directory's hospital FARGO, as the picker shows it.
HOSPITAL = "Essentia Health Fargo"
HOSPITAL_CHOICE = "Essentia Health Fargo, Fargo, ND"


def sign_up(pages: Pages, page: Page, role: str, name: str) -> None:
    """Sign up in the client, then confirm the address by opening the mailed link."""
    email = f"{role}-{uuid.uuid4().hex[:10]}@test.wardmate"
    page.goto("/#/signup")
    page.get_by_label("A medical professional" if role == "professional" else "A medical student").check()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Confirm your address")).to_be_visible()
    page.goto(verification_link(pages.mailbox, email))
    expect(page.get_by_role("status").filter(has_text=f"{email} is confirmed")).to_be_visible()
    expect(page.get_by_role("region", name="Confirm your address")).to_have_count(0)
    page.goto("/#/profile")
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()


def pick_hospital(page: Page, label: str) -> None:
    page.get_by_label(label, exact=True).fill(HOSPITAL)
    page.get_by_role("button", name=HOSPITAL_CHOICE).click()


def test_host_and_student_journey(pages: Pages) -> None:
    """A host posts a room; a student finds it from a rotation, books it for that rotation,
    sees the host's acceptance live, they message each other live, the host accepts to
    mentor them; then the rotation moves, the student asks to move the stay, the host
    declines and the student cancels without fault."""
    tag = uuid.uuid4().hex[:6]
    host_name, student_name, title = f"Dr. Host {tag}", f"Student {tag}", f"Sunny room by the hospital {tag}"
    host, student = pages.open("host"), pages.open("student")

    # The host signs up as a professional open to mentoring, affiliated with the hospital.
    sign_up(pages, host, "professional", host_name)
    host.get_by_label("Profession", exact=True).fill("Cardiologist")
    host.get_by_label("Specialties").fill("cardiology")
    pick_hospital(host, "Add a hospital affiliation")
    expect(host.get_by_role("list", name="Hospital affiliations")).to_contain_text(HOSPITAL)
    host.get_by_label("Open to mentoring").check()
    host.get_by_label("Mentoring capacity").fill("2")
    host.get_by_role("button", name="Save profile").click()
    expect(host.get_by_role("status").filter(has_text="Profile saved")).to_be_visible()

    # The host posts a room: a bad form shows its errors beside the fields first.
    host.goto("/#/listings/new")
    host.get_by_label("Title", exact=True).fill("ab")
    host.get_by_role("button", name="Post room").click()
    expect(host.get_by_label("Title", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(host.get_by_text("Write at least 3 characters.")).to_be_visible()
    host.get_by_label("Title", exact=True).fill(title)
    host.get_by_label("Monthly rent (USD)").fill("900")
    host.get_by_label("Address").fill("1702 University Dr S, Fargo, ND")
    host.get_by_label("ZIP code").fill("58103")
    expect(host.get_by_role("status").filter(has_text="Approximate: the centre of ZIP code 58103")).to_be_visible()
    host.get_by_text("Enter the coordinates by hand").click()
    host.get_by_label("Latitude").fill("46.8355")
    host.get_by_label("Longitude").fill("-96.8200")
    host.get_by_label("Wi-Fi").check()
    host.get_by_label("Desk").check()
    host.get_by_role("button", name="Post room").click()
    expect(host.get_by_role("heading", name=title)).to_be_visible()

    # The student adds a rotation at that hospital and finds the room among its matches.
    sign_up(pages, student, "student", student_name)
    student.goto("/#/rotations")
    student.get_by_role("button", name="Add a rotation").click()
    pick_hospital(student, "Hospital")
    student.get_by_label("Specialty").fill("cardiology")
    student.get_by_role("button", name="Add rotation").click()
    matches = student.get_by_role("list", name="Room matches")
    expect(matches.get_by_role("link", name=title)).to_be_visible()
    matches.get_by_role("link", name=title).click()

    # The listing shows where it is from the hospital and the stay's total; the student books.
    expect(student.get_by_role("heading", name=title)).to_be_visible()
    # "1.2 km north-east of", or "650 m" under 1 km (as matching's reasons write it).
    expect(student.get_by_text(re.compile(rf"\d k?m (north|south|east|west)[a-z-]* of {HOSPITAL}"))).to_be_visible()
    expect(student.get_by_role("status").filter(has_text="28 nights")).to_contain_text("total")
    # The map (a tile server is configured) draws the room's area and the hospital.
    expect(student.get_by_role("region", name=f"Map of the room's area and {HOSPITAL_CHOICE}")).to_be_visible()
    expect(student.locator(".leaflet-tile-loaded").first).to_be_attached()
    assert pages.tiles_served > 0
    # Coming from the rotation's matches, the request names that rotation.
    rotation_id = re.search(r"rotation=([0-9a-f-]+)", student.url)[1]  # type: ignore[index]
    expect(student.get_by_role("combobox", name="For which rotation?")).to_have_value(rotation_id)
    student.get_by_label("Message to the host").fill("Cardiology rotation, arriving the day before.")
    student.get_by_role("button", name="Request booking").click()
    my_bookings = student.get_by_role("list", name="Your bookings of this room")
    expect(my_bookings).to_contain_text("Requested")

    # The host accepts; the student's page shows it without reloading.
    host.goto("/#/bookings")
    request = host.get_by_role("list", name="Requests for your rooms").get_by_role("listitem").filter(has_text=title)
    request.get_by_role("button", name="Accept").click()
    expect(request).to_contain_text("Accepted")
    expect(my_bookings).to_contain_text("Accepted")
    # Accepted is not paid: the student pays through Wardmate (a test card in the local
    # Stripe's Stripe.js), the stay turns confirmed and only then the address shows.
    expect(my_bookings).not_to_contain_text("Address:")
    listing_url = student.url
    student.goto("/#/bookings")
    stay = student.get_by_role("listitem").filter(has_text=title)
    stay.get_by_role("link", name=re.compile(r"Pay \$")).click()
    card = student.get_by_role("form", name="Card payment")
    for placeholder, value in (("number", "4242424242424242"), ("exp_month", "12"), ("exp_year", "40"), ("cvc", "123")):
        card.get_by_placeholder(placeholder).fill(value)
    card.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    student.goto(listing_url)
    expect(my_bookings).to_contain_text("Confirmed")
    expect(my_bookings).to_contain_text("Address: 1702 University Dr S")

    # They talk in the booking's conversation, each seeing the other's message at once.
    student.goto("/#/bookings")
    student.get_by_role("listitem").filter(has_text=title).get_by_role("button", name="Message host").click()
    host.get_by_role("button", name="Message guest").click()
    expect(student.get_by_role("heading", name=host_name)).to_be_visible()
    expect(host.get_by_role("heading", name=student_name)).to_be_visible()
    student.get_by_label("Message", exact=True).fill("Hello! Is there a desk in the room?")
    student.get_by_role("button", name="Send").click()
    expect(host.get_by_role("list", name="Messages")).to_contain_text("Is there a desk in the room?")
    host.get_by_label("Message", exact=True).fill("Yes, and fast wifi.")
    host.get_by_role("button", name="Send").click()
    expect(student.get_by_role("list", name="Messages")).to_contain_text("Yes, and fast wifi.")

    # The student asks the host to mentor them; the host accepts.
    student.go_back()
    student.go_back()
    expect(student.get_by_role("heading", name=title)).to_be_visible()
    student.get_by_role("button", name=f"Ask {host_name} to mentor you").click()
    student.get_by_label("Message to the mentor").fill("I would value your advice on cardiology residency.")
    student.get_by_role("button", name="Request mentorship").click()
    expect(student.get_by_role("status").filter(has_text="Mentorship requested")).to_be_visible()
    host.goto("/#/mentorships")
    expect(host.get_by_text("0 of 2 places taken")).to_be_visible()
    mentee = host.get_by_role("listitem", name=f"From {student_name}")
    mentee.get_by_role("button", name="Accept").click()
    expect(mentee).to_contain_text("Accepted")
    expect(host.get_by_text("1 of 2 places taken")).to_be_visible()
    student.goto("/#/mentorships")
    expect(student.get_by_role("listitem", name=f"With {host_name}")).to_contain_text("Accepted")

    # The rotation moves three days later: the notification opens the stay's form with the
    # rotation's new dates; the host declines; the student cancels, without fault.
    student.goto(f"/#/rotations/{rotation_id}")
    student.get_by_role("button", name="Change dates").click()
    student.get_by_label("Start date").fill(future(33))
    student.get_by_label("End date").fill(future(61))
    student.get_by_role("button", name="Save dates").click()
    expect(student.get_by_role("button", name="Change dates")).to_be_visible()
    student.goto("/#/notifications")
    student.get_by_role("link", name=re.compile("^Your rotation now runs")).click()
    stay = student.get_by_role("listitem").filter(has_text=title)
    expect(stay.get_by_label("New check-in")).to_have_value(future(33))
    expect(stay.get_by_label("New check-out")).to_have_value(future(61))
    expect(stay.get_by_label("New check-in")).to_be_focused()
    stay.get_by_role("button", name="Send to the host").click()
    expect(stay).to_contain_text("waiting for the host")
    host.goto("/#/bookings")
    expect(request).to_contain_text("The guest asks to move this stay")
    request.get_by_role("button", name="Decline new dates").click()
    expect(request).to_contain_text("You declined moving this stay")
    expect(stay).to_contain_text("The host declined moving this stay")
    stay.get_by_role("button", name="Cancel booking").click()
    stay.get_by_role("button", name="Yes, cancel").click()
    expect(stay).to_contain_text("Cancelled without fault")
    expect(request).to_contain_text("Cancelled")

    assert pages.errors == []


def complete_stay(stack: Stack, booking_id: str) -> None:
    """Move an accepted stay into the past and complete it, as the sweep would see it."""

    async def move() -> None:
        conn = await asyncpg.connect(stack.service_url("listings"))
        try:
            await conn.execute(
                "UPDATE listings.bookings SET stay = daterange(current_date - 30, current_date - 2),"
                " status = 'completed' WHERE id = $1",
                uuid.UUID(booking_id),
            )
        finally:
            await conn.close()

    # Playwright's sync API holds this thread's event loop: asyncpg runs in another thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, move()).result()


def test_a_guest_reviews_a_completed_stay(pages: Pages, stack: Stack) -> None:
    """After a completed stay the guest reviews it from their bookings (not offered again
    after a reload); the listing, its host card and the host's profile show it. The host's
    review of the guest shows on the guest's card among the host's bookings."""
    guest_page, host_page = pages.open("guest", PHONE), pages.open("host")
    as_host, as_guest = Client(host_page.request, pages.mailbox), Client(guest_page.request, pages.mailbox)
    host_id = as_host.sign_up("professional", "Dr. Review Host")
    listing = as_host.call(
        "POST",
        "/listings",
        {
            "title": "Room with a garden",
            "room_type": "private_room",
            "address": "10 Garden St, Fargo, ND",
            "latitude": 46.84,
            "longitude": -96.82,
            "monthly_rent": 700,
            "available_from": future(1),
            "available_to": future(90),
            "min_stay_nights": 7,
        },
    )
    as_guest.sign_up("student", "Review Guest")
    booking = as_guest.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(10), "check_out": future(24), "hospital_id": FARGO},
    )
    as_host.call("POST", f"/bookings/{booking['id']}/accept")
    complete_stay(stack, booking["id"])

    guest_page.goto("/#/bookings")
    stay = guest_page.get_by_role("listitem").filter(has_text="Room with a garden")
    expect(stay).to_contain_text("Completed")
    stay.get_by_role("button", name="Review this stay").click()
    stay.get_by_label("Rating").select_option("4")
    stay.get_by_label("Your review").fill("Quiet, ten minutes from the hospital.")
    stay.get_by_role("button", name="Post review").click()
    expect(stay.get_by_role("status")).to_contain_text("your review is posted")

    guest_page.goto(f"/#/listings/{listing['id']}")
    reviews = guest_page.get_by_role("list", name="Reviews")
    expect(reviews).to_contain_text("Quiet, ten minutes from the hospital.")
    expect(reviews).to_contain_text("4 out of 5")
    expect(reviews).to_contain_text("rotating at Essentia Health Fargo")
    expect(guest_page.locator(".lead")).to_contain_text("from 1 review")
    host_card = guest_page.get_by_role("region", name="Your host")
    expect(host_card).to_contain_text("★ 4.0 from 1 review by guests, over all their rooms")

    # The booking knows it was reviewed: after a reload the button does not come back
    # (it did, and a second review ended in a 409).
    guest_page.goto("/#/bookings")
    stay = guest_page.get_by_role("listitem").filter(has_text="Room with a garden")
    expect(stay).to_contain_text("Completed")
    expect(stay.get_by_role("button", name="Review this stay")).to_have_count(0)

    # The host's reviews are theirs, not the room's: on their profile, with the average.
    guest_page.goto(f"/#/users/{host_id}")
    expect(guest_page.get_by_text("★ 4.0 from 1 review by guests")).to_be_visible()
    expect(guest_page.get_by_role("list", name="Reviews of Dr. Review Host")).to_contain_text(
        "Quiet, ten minutes from the hospital."
    )

    # The host reviews the guest: the next host deciding on them sees it on the guest's card.
    as_host.call("POST", f"/bookings/{booking['id']}/reviews", {"rating": 5, "text": "A considerate guest."})
    host_page.goto("/#/bookings")
    card = host_page.get_by_role("list", name="Requests for your rooms").get_by_role("listitem").first
    expect(card.get_by_text("★ 5.0 from 1 review by hosts")).to_be_visible()
    expect(card.get_by_role("list", name="What hosts wrote of this guest")).to_contain_text("A considerate guest.")
    expect(card.get_by_role("button", name="Review this stay")).to_have_count(0)
    assert pages.errors == []


def fargo_room(as_host: Client, title: str) -> dict[str, Any]:
    return dict(
        as_host.call(
            "POST",
            "/listings",
            {
                "title": title,
                "room_type": "private_room",
                "address": "12 Elm St, Fargo, ND",
                "latitude": 46.85,
                "longitude": -96.81,
                "monthly_rent": 700,
                "available_from": future(1),
                "available_to": future(90),
                "min_stay_nights": 7,
            },
        )
    )


def test_a_guest_reviews_a_host_who_cancelled_their_stay(pages: Pages) -> None:
    """A host who cancelled an accepted stay could not be reviewed (the button showed only
    after a completed stay, and the API refused): now the guest's card says the host
    cancelled and offers "Review the host"; the review shows, on the listing and the host's
    profile, that the host cancelled this stay. The host is offered no review of the guest."""
    guest_page, host_page = pages.open("guest", PHONE), pages.open("host")
    as_host, as_guest = Client(host_page.request, pages.mailbox), Client(guest_page.request, pages.mailbox)
    host_id = as_host.sign_up("professional", "Dr. Cancelling Host")
    listing = fargo_room(as_host, "Room that fell through")
    as_guest.sign_up("student", "Stranded Guest")
    booking = as_guest.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(10), "check_out": future(24), "hospital_id": FARGO},
    )
    as_host.call("POST", f"/bookings/{booking['id']}/accept")
    as_host.call("POST", f"/bookings/{booking['id']}/cancel")

    guest_page.goto("/#/bookings")
    stay = guest_page.get_by_role("listitem").filter(has_text="Room that fell through")
    expect(stay).to_contain_text("The host cancelled this stay.")
    stay.get_by_role("button", name="Review the host").click()
    stay.get_by_label("Rating").select_option("1")
    stay.get_by_label("Your review").fill("Cancelled ten days before my rotation.")
    stay.get_by_role("button", name="Post review").click()
    expect(stay.get_by_role("status")).to_contain_text("your review is posted")
    guest_page.reload()
    stay = guest_page.get_by_role("listitem").filter(has_text="Room that fell through")
    expect(stay).to_contain_text("Cancelled")
    expect(stay.get_by_role("button", name="Review the host")).to_have_count(0)

    guest_page.goto(f"/#/listings/{listing['id']}")
    reviews = guest_page.get_by_role("list", name="Reviews")
    expect(reviews).to_contain_text("Cancelled ten days before my rotation.")
    expect(reviews).to_contain_text("The host cancelled this stay")
    expect(guest_page.get_by_role("region", name="Your host")).to_contain_text("★ 1.0 from 1 review by guests")
    guest_page.goto(f"/#/users/{host_id}")
    expect(guest_page.get_by_role("list", name="Reviews of Dr. Cancelling Host")).to_contain_text(
        "The host cancelled this stay"
    )

    host_page.goto("/#/bookings")
    card = host_page.get_by_role("list", name="Requests for your rooms").get_by_role("listitem").first
    expect(card).to_contain_text("You cancelled this stay.")
    expect(card.get_by_role("button", name=re.compile("Review"))).to_have_count(0)
    assert pages.errors == []


def at_fargo(day: str, clock: time, word: str) -> str:
    """ "Jan 14 from 3:00 PM CST": a stay's moment on the room's clock in Fargo (Central
    time, standard or daylight by the date), as the page should write it."""
    moment = datetime.combine(date.fromisoformat(day), clock, tzinfo=ZoneInfo("America/Chicago"))
    return f"{moment:%b} {moment.day} {word} {moment.hour % 12 or 12}:00 {moment:%p} {moment.tzname()}"


def test_check_in_and_check_out_show_on_the_rooms_clock(pages: Pages) -> None:
    """The client never said when check-in was: the listing says check-in from 3:00 PM and
    check-out by 11:00 AM at the room, its quote and the stay's card give the days with
    the zone's abbreviation (Fargo: Central time)."""
    guest_page, host_page = pages.open("guest"), pages.open("host")
    as_host, as_guest = Client(host_page.request, pages.mailbox), Client(guest_page.request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Clock Host")
    listing = fargo_room(as_host, "Room with a clock")
    as_guest.sign_up("student", "Clock Guest")
    check_in, check_out = future(12), future(26)
    times = f"Check-in {at_fargo(check_in, time(15), 'from')}, check-out {at_fargo(check_out, time(11), 'by')}"

    guest_page.goto(f"/#/listings/{listing['id']}?from={check_in}&to={check_out}")
    # The room's zone named as the other check-in lines name it (Central time, now).
    expect(guest_page.locator("dl.facts")).to_contain_text(
        re.compile(r"Check-in from 3:00 PM, check-out by 11:00 AM \(C[SD]T, the room's local time\)")
    )
    expect(guest_page.locator(".quote")).to_contain_text(times)
    guest_page.get_by_role("button", name="Request booking").click()
    expect(guest_page.get_by_role("status").filter(has_text="Request sent")).to_be_visible()
    expect(guest_page.get_by_role("list", name="Your bookings of this room")).to_contain_text(times)

    guest_page.goto("/#/bookings")
    stay = guest_page.get_by_role("listitem").filter(has_text="Room with a clock")
    expect(stay).to_contain_text(f"{times} (the room's local time)")
    host_page.goto("/#/bookings")
    request = host_page.get_by_role("list", name="Requests for your rooms").get_by_role("listitem").first
    expect(request).to_contain_text(f"{times} (the room's local time)")
    assert pages.errors == []


def test_the_quote_is_for_the_dates_chosen_last(pages: Pages) -> None:
    """A quote for earlier dates that answers after the current dates' quote does not
    replace it: the page priced the stay for dates no longer chosen."""
    guest_page = pages.open("guest")
    as_host = Client(pages.open("host").request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Quote Host")
    listing = fargo_room(as_host, "Room with two quotes")
    Client(guest_page.request, pages.mailbox).sign_up("student", "Quote Guest")
    check_in = future(12)

    held: list[Route] = []
    guest_page.route("**/quote?*", lambda route: held.append(route) if not held else route.continue_())
    guest_page.goto(f"/#/listings/{listing['id']}?from={check_in}&to={future(26)}")
    quote = guest_page.locator(".quote")
    expect(guest_page.get_by_label("Check-out")).to_have_value(future(26))
    while not held:
        guest_page.wait_for_timeout(20)  # lets Playwright dispatch the route
    guest_page.get_by_label("Check-out").fill(future(19))
    expect(quote).to_contain_text("7 nights")

    # The first dates' quote (14 nights) answers last; the page has fully handled it once
    # the browser finished the request and the page ran a task after it.
    with guest_page.expect_event("requestfinished", lambda r: "/quote?" in r.url):
        held[0].continue_()
    guest_page.evaluate("() => new Promise((done) => setTimeout(done, 50))")
    assert "7 nights" in quote.inner_text()
    assert pages.errors == []


def test_an_anonymous_visit_keeps_the_console_clean(pages: Pages) -> None:
    """A visitor's session probe is an answer, not a refused call: no 401 in the console."""
    page = pages.open("visitor")
    with page.expect_response("**/api/v1/auth/session") as probe:
        page.goto("/")
    assert probe.value.status == 200 and probe.value.json() == {"me": None}
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert pages.failed_loads == [] and pages.errors == []


def test_slow_and_unreachable_api(pages: Pages) -> None:
    """A call slower than 200 ms shows the loading indicator; an unreachable API is a clear error."""
    page = pages.open("visitor", PHONE)
    page.goto("/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Email", exact=True).fill("nobody@test.wardmate")
    page.get_by_label("Password", exact=True).fill("not-the-password")

    # The login call held for a second: the indicator shows, then the API's refusal.
    release: list[Route] = []
    page.route("**/api/v1/auth/login", lambda route: release.append(route))
    page.get_by_role("button", name="Log in").click()
    indicator = page.get_by_role("status").filter(has_text="Loading…")
    expect(indicator).to_be_visible()
    release[0].continue_()
    page.unroute("**/api/v1/auth/login")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    expect(indicator).to_have_count(0)

    # The network drops: the form says so instead of failing silently.
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wardmate cannot be reached")


def test_a_message_arriving_while_the_conversation_loads_is_shown(pages: Pages) -> None:
    """A message pushed after the page's GET was answered but before the page applied that
    answer is shown: the load must not drop or overwrite a live frame. (CI caught this
    race twice: the first answer of a just-opened conversation never appeared.)"""
    student = pages.open("student")
    relayed: list[str] = []

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            relayed.append(message if isinstance(message, str) else message.decode())
            ws.send(message)

        server.on_message(to_page)

    student.route_web_socket("**/api/v1/ws*", relay)
    as_host, as_student = Client(pages.open("host").request, pages.mailbox), Client(student.request, pages.mailbox)
    host_id = as_host.sign_up("professional", "Dr. Loading Host")
    as_student.sign_up("student", "Loading Student")
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "Hello!"})

    def relayed_text(text: str) -> None:
        while not any(text in frame for frame in relayed):
            student.wait_for_timeout(20)  # lets Playwright dispatch the relay

    # The feed is live before the conversation opens, so no "reload" frame follows.
    student.goto("/#/inbox")
    expect(student.get_by_role("heading", name="Inbox")).to_be_visible()
    relayed_text('"type":"ready"')

    # The conversation's messages are read now (only "Hello!"), but reach the page later.
    held: list[tuple[Route, Any]] = []
    student.route(re.compile(r"/api/v1/conversations/[0-9a-f-]+/messages\?"), lambda r: held.append((r, r.fetch())))
    student.goto(f"/#/inbox/{conversation['id']}")
    expect(student.get_by_role("heading", name="Dr. Loading Host")).to_be_visible()
    while not held:
        student.wait_for_timeout(20)
    as_host.call("POST", f"/conversations/{conversation['id']}/messages", {"body": "First answer"})
    relayed_text("First answer")
    route, answered = held[0]
    route.fulfill(response=answered)

    messages = student.get_by_role("list", name="Messages")
    expect(messages).to_contain_text("Hello!")
    expect(messages).to_contain_text("First answer")
    assert pages.errors == []


def test_a_page_that_found_wardmate_unreachable_recovers_by_itself(pages: Pages) -> None:
    """A conversation opened while the API cannot be reached shows so, then loads by itself
    once the API answers again, with no click or reload. (CI caught a page stuck on "cannot
    be reached" with its live feed working: the feed reconnected when the browser went back
    online, and the reload it asked for went out before the network was back.)"""
    student = pages.open("student")
    as_host, as_student = Client(pages.open("host").request, pages.mailbox), Client(student.request, pages.mailbox)
    host_id = as_host.sign_up("professional", "Dr. Back Host")
    as_student.sign_up("student", "Back Student")
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "Hello!"})
    cut = re.compile(r"/api/v1/conversations/")
    student.route(cut, lambda route: route.abort("internetdisconnected"))
    student.goto(f"/#/inbox/{conversation['id']}")
    expect(student.get_by_role("alert")).to_contain_text("Wardmate cannot be reached")
    as_host.call("POST", f"/conversations/{conversation['id']}/messages", {"body": "Back again"})
    student.unroute(cut)
    expect(student.get_by_role("list", name="Messages")).to_contain_text("Back again")
    expect(student.get_by_role("alert")).to_have_count(0)
    assert pages.errors == []


def test_the_live_feed_resumes_after_a_dropped_connection(pages: Pages) -> None:
    """A socket cut while offline reconnects when the browser is back online, resumes from
    the last seq it handled, and the message sent meanwhile arrives without a reload."""
    student = pages.open("student")
    sockets: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.connect_to_server()

    student.route_web_socket("**/api/v1/ws*", through)
    as_host, as_student = Client(pages.open("host").request, pages.mailbox), Client(student.request, pages.mailbox)
    host_id = as_host.sign_up("professional", "Dr. Live Host")
    as_student.sign_up("student", "Live Student")
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "Hello!"})
    send = f"/conversations/{conversation['id']}/messages"

    student.goto(f"/#/inbox/{conversation['id']}")
    messages = student.get_by_role("list", name="Messages")
    expect(messages).to_contain_text("Hello!")
    as_host.call("POST", send, {"body": "First answer"})
    expect(messages).to_contain_text("First answer")
    assert len(sockets) == 1 and sockets[0].url.endswith("since=0")

    # Offline, the socket drops; the host writes meanwhile; back online, the page catches up.
    student.context.set_offline(True)
    sockets[0].close(code=1013, reason="test")
    expect(student.get_by_text("Offline: live updates paused")).to_be_visible()
    as_host.call("POST", send, {"body": "Sent while you were away"})
    student.context.set_offline(False)
    expect(messages).to_contain_text("Sent while you were away")
    resumed_from = int(sockets[-1].url.rsplit("since=", 1)[1])
    assert len(sockets) >= 2 and resumed_from > 0
    assert pages.errors == []


@dataclass
class LiveConversation:
    """A student's page on a conversation with a host, its live feed passing through the
    test: ``sockets`` in the order the page opened them; a socket in ``cut`` carries
    nothing more either way, as when a network goes away without a word."""

    page: Page
    sockets: list[WebSocketRoute]
    cut: list[WebSocketRoute]
    host: Client
    conversation_id: str

    def host_says(self, body: str) -> None:
        self.host.call("POST", f"/conversations/{self.conversation_id}/messages", {"body": body})

    def resumed_from(self) -> int:
        return int(self.sockets[-1].url.rsplit("since=", 1)[1])


def live_conversation(
    pages: Pages, viewport: dict[str, int] | None = None, fake_clock: bool = False
) -> LiveConversation:
    student = pages.open("student", viewport)
    if fake_clock:
        student.clock.install()
    sockets: list[WebSocketRoute] = []
    cut: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        server = ws.connect_to_server()
        ws.on_message(lambda message: None if ws in cut else server.send(message))
        server.on_message(lambda message: None if ws in cut else ws.send(message))

    student.route_web_socket("**/api/v1/ws*", through)
    as_host, as_student = Client(pages.open("host").request, pages.mailbox), Client(student.request, pages.mailbox)
    host_id = as_host.sign_up("professional", "Dr. Live Host")
    as_student.sign_up("student", "Live Student")
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "Hello!"})
    live = LiveConversation(student, sockets, cut, as_host, conversation["id"])
    student.goto(f"/#/inbox/{conversation['id']}")
    messages = student.get_by_role("list", name="Messages")
    expect(messages).to_contain_text("Hello!")
    live.host_says("First answer")
    expect(messages).to_contain_text("First answer")  # through the live feed
    assert len(sockets) == 1
    return live


def test_going_offline_says_so_at_once_and_back_online_catches_up(pages: Pages) -> None:
    """At phone width: when the browser goes offline the page says so at once, though the
    browser itself leaves the socket open; back online, a new socket resumes from the last
    seq handled and the message sent meanwhile arrives without a reload."""
    live = live_conversation(pages, PHONE)
    live.page.context.set_offline(True)
    expect(live.page.get_by_text("Offline: live updates paused")).to_be_visible()
    live.host_says("Sent while you were offline")
    live.page.context.set_offline(False)
    expect(live.page.get_by_role("list", name="Messages")).to_contain_text("Sent while you were offline")
    expect(live.page.get_by_text("Offline: live updates paused")).to_have_count(0)
    assert len(live.sockets) == 2 and live.resumed_from() > 0
    assert pages.errors == []


def test_a_live_feed_that_stops_answering_is_replaced(pages: Pages) -> None:
    """A socket that still looks open but carries nothing (the network went away without
    a word; nothing tells the browser for minutes) is given up once a ping has gone 10 s
    without an answer: a new socket resumes from the last seq handled and the message
    sent meanwhile arrives. The page's clock is Playwright's, moved on by the test."""
    live = live_conversation(pages, fake_clock=True)
    messages = live.page.get_by_role("list", name="Messages")
    live.cut.append(live.sockets[0])
    live.host_says("Sent into the silence")
    live.page.clock.fast_forward(20_000)  # the ping goes out, unanswered
    live.page.clock.fast_forward(9_000)
    expect(messages).not_to_contain_text("Sent into the silence")
    assert len(live.sockets) == 1  # still waiting for the pong
    live.page.clock.fast_forward(1_000)  # 10 s without a pong
    expect(messages).to_contain_text("Sent into the silence")
    assert len(live.sockets) == 2 and live.resumed_from() > 0
    assert pages.errors == []
