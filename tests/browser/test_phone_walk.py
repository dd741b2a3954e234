"""The web client walked again at 375 px: each defect the walk found, in Chromium. The
badge reads the same for one person everywhere, professions read as words, a receipt says
"Receipt" once and when the money is held until in full, an operator's Bookings page
speaks to operators, a value and its unit stay on one line, and a new calendar link is
asked for before the old one stops working."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, expect

from services.runner import Stack
from tests.browser.conftest import FARGO, PHONE, Client, Pages, future
from tests.browser.test_accessibility import make_admin
from tests.browser.test_client_fixes import room
from tests.eventually import eventually_sync

# Lines the text `needle` of `element` spans when the element has no width at all: every
# place a line may end, it does (min-content is not enough: there a short "1.5 km" still
# fits beside a longer word). Whitespace counts as a space, so "1.5 km" matches "1.5&nbsp;km".
LINES_SPANNED = """(element, needle) => {
  element.style.width = "0";
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = "";
  while (walker.nextNode()) {
    nodes.push([walker.currentNode, text.length]);
    text += walker.currentNode.data;
  }
  const at = text.replace(/\\s/g, " ").indexOf(needle);
  if (at < 0) return -1;
  const place = (i) => {
    const [node, start] = nodes.filter(([, start]) => start <= i).pop();
    return [node, i - start];
  };
  const range = document.createRange();
  range.setStart(...place(at));
  const [last, offset] = place(at + needle.length - 1);
  range.setEnd(last, offset + 1);
  const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
  element.style.width = "";
  return tops.size;
}"""


def lines_spanned(element: Locator, needle: str) -> int:
    """How many lines ``needle`` takes in ``element`` with no width."""
    expect(element).to_contain_text(needle)
    found: int = element.evaluate(LINES_SPANNED, needle)
    return found


def professional(client: Client, name: str) -> str:
    """A professional who typed their work in lowercase, mentoring at Fargo."""
    user_id = client.sign_up("professional", name)
    client.call(
        "PATCH",
        "/me/profile",
        {
            "profession": "physician",
            "specialties": ["pediatrics"],
            "hospital_ids": [FARGO],
            "open_to_mentoring": True,
            "mentoring_capacity": 1,
        },
    )
    return user_id


def test_a_students_badge_reads_the_same_everywhere_and_names_the_role_once(pages: Pages) -> None:
    """An unverified student reads "Student not verified" on their profile (not followed by
    "· student"), on the mentor's card of their request and atop their conversation; the
    mentor's own profile names the profession as a word ("Physician")."""
    mentor_page = pages.open("mentor", PHONE)
    as_mentor, as_student = Client(mentor_page.request), Client(pages.open("student").request)
    mentor_id = professional(as_mentor, "Dr. Lower")
    student_id = as_student.sign_up("student", "Badge Student")
    as_student.call("POST", "/mentorships", {"mentor_id": mentor_id, "message": "Would you mentor me?"})
    talk = as_student.call("POST", "/conversations", {"user_id": mentor_id, "body": "Hello Dr. Lower"})
    year = date.today().year
    # Matching and messaging learn the student's name and role from events: wait for both.
    eventually_sync(
        lambda: as_mentor.call("GET", "/me/mentorships?limit=100")["items"],
        15,
        what="the student's name on the mentorship",
        until=lambda items: [m["student"]["display_name"] for m in items] == ["Badge Student"],
        interval=0.1,
    )
    eventually_sync(
        lambda: as_mentor.call("GET", f"/conversations/{talk['id']}")["other"],
        15,
        what="the student's role in the conversation",
        until=lambda other: other["role"] == "student",
        interval=0.1,
    )

    mentor_page.goto(f"/#/users/{student_id}")
    expect(mentor_page.get_by_text(re.compile("member since"))).to_have_text(
        f"Student not verified · member since {year}"
    )
    mentor_page.goto("/#/mentorships")
    card = mentor_page.get_by_role("listitem", name="From Badge Student")
    expect(card.get_by_role("heading")).to_have_text("Badge Student Student not verified")
    mentor_page.goto(f"/#/inbox/{talk['id']}")
    expect(mentor_page.get_by_role("heading", level=1)).to_have_text("Badge Student Student not verified")
    mentor_page.goto(f"/#/users/{mentor_id}")
    expect(mentor_page.get_by_text(re.compile("member since"))).to_have_text(
        f"Not verified · Physician · member since {year}"
    )
    assert pages.errors == []


def test_professions_read_as_words_and_values_keep_their_units(pages: Pages) -> None:
    """A host who typed "physician" and "pediatrics" reads "Physician · Pediatrics" on the
    mentor card and the listing's host box; at 375 px no distance, price or count of nights
    is split from its unit, however narrow its line."""
    student = pages.open("student", PHONE)
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    host_id = professional(as_host, "Dr. Words")
    listing = as_host.call("POST", "/listings", room(monthly_rent=1450))
    as_student.sign_up("student", "Units Student")
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "pediatrics", "start_date": future(20), "end_date": future(48)},
    )
    eventually_sync(
        lambda: as_student.call("GET", f"/rotations/{rotation['id']}/mentor-matches?limit=100")["items"],
        15,
        what="the host among the student's mentor matches",
        until=lambda items: any(m["mentor"]["id"] == host_id for m in items),
        interval=0.1,
    )
    eventually_sync(
        lambda: as_student.call("GET", f"/rotations/{rotation['id']}/room-matches?limit=100")["items"],
        15,
        what="the room among the rotation's room matches",
        until=lambda items: any(m["listing"]["id"] == listing["id"] for m in items),
        interval=0.1,
    )

    student.goto(f"/#/rotations/{rotation['id']}")
    mentor = student.get_by_role("list", name="Mentor matches").get_by_role("listitem").filter(has_text="Dr. Words")
    expect(mentor.locator("p").first).to_have_text("Physician · Pediatrics · 1 place left · at this hospital")
    match = student.get_by_role("list", name="Room matches").get_by_role("listitem").filter(has_text=listing["title"])
    where = match.locator("p").filter(has_text="from the hospital")
    expect(where).to_have_text(re.compile(r"^Private room · \$1,450\.00/month · \d+\.\d km from the hospital$"))
    km = re.search(r"\d+\.\d km", where.inner_text())
    assert km is not None
    assert lines_spanned(where, km.group()) == 1
    assert lines_spanned(where, "$1,450.00/month") == 1
    assert lines_spanned(match.locator("p").filter(has_text="match "), "28 nights") == 1

    student.goto(f"/#/listings/{listing['id']}?from={future(20)}&to={future(34)}")
    host_box = student.get_by_role("region", name="Your host")
    expect(host_box.locator("p").filter(has_text="Physician")).to_have_text("Physician · Pediatrics")
    assert lines_spanned(student.locator("p.lead"), "$1,450.00 a month") == 1
    quote = student.get_by_role("status").filter(has_text="total, no fees")
    assert lines_spanned(quote, "14 nights") == 1
    assert lines_spanned(student.locator("dd").filter(has_text="at least"), "7 nights") == 1
    from_hospital = student.get_by_role("list", name="From your rotations' hospitals").get_by_role("listitem")
    km = re.search(r"\d+\.\d km", from_hospital.inner_text())
    assert km is not None
    assert lines_spanned(from_hospital, km.group()) == 1
    assert pages.errors == []


def as_intl(moment: datetime) -> str:
    """A moment as the browser's en-US writes it with year and zone: "Jan 15, 2027, 3:00 PM CST"."""
    hour = moment.hour % 12 or 12
    noon = "AM" if moment.hour < 12 else "PM"
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M} {noon} {moment.tzname()}"


def as_deadline(moment: datetime, browser_zone: str) -> str:
    """A deadline as ui.js's fmtDeadline writes it: on the room's clock (``moment``'s zone),
    then on the browser's when that is another offset ("(Dec 10, 1:30 AM your time)", the
    day only when it is another there)."""
    at = as_intl(moment)
    mine = moment.astimezone(ZoneInfo(browser_zone))
    if mine.utcoffset() == moment.utcoffset():
        return at
    time = f"{mine.hour % 12 or 12}:{mine:%M} {'AM' if mine.hour < 12 else 'PM'}"
    day = "" if mine.date() == moment.date() else f"{mine:%b} {mine.day}, "
    return f"{at} ({day}{time} your time)"


def test_a_receipt_says_receipt_once_and_holds_money_until_a_dated_zoned_moment(pages: Pages) -> None:
    """The receipt page's title is its one "Receipt"; "Held until" gives the year and is on
    the room's clock with its zone named (Fargo's, Central time), whatever the browser's
    (here Kolkata's: the student has not flown in yet), then on the browser's."""
    zone = "America/Chicago"
    student = pages.open("student", PHONE, timezone_id="Asia/Kolkata")
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    as_host.sign_up("professional", "Dr. Receipt")
    listing = as_host.call("POST", "/listings", room())
    as_student.sign_up("student", "Receipt Student")
    booking = as_student.call(
        "POST", f"/listings/{listing['id']}/bookings", {"check_in": future(30), "check_out": future(44)}
    )
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    receipt = eventually_sync(  # payments hears of the acceptance as an event
        lambda: as_student.call("GET", f"/bookings/{booking['id']}/payments"),
        15,
        what="the accepted stay's payments",
        until=lambda r: r["payments"],
        interval=0.1,
        retry_on=(AssertionError,),  # a 404 until then
    )
    assert receipt["time_zone"] == zone
    held = datetime.fromisoformat(receipt["payments"][0]["release_at"]).astimezone(ZoneInfo(zone))

    student.goto(f"/#/bookings/{booking['id']}/receipt")
    row = student.get_by_role("table", name="Payments").get_by_role("row").nth(1)
    # And on the student's clock, which is not the room's (the student had to work it out).
    # Not paid yet: held from the payment on ("Held until" alone read as money already held).
    expect(row.get_by_role("cell").last).to_have_text(f"{as_deadline(held, 'Asia/Kolkata')} (once paid)")
    assert "your time)" in as_deadline(held, "Asia/Kolkata")
    # Counted once the receipt is drawn (while it loads, the page's title is alone).
    expect(student.get_by_role("heading", name="Receipt", exact=True)).to_have_count(1)
    expect(student.get_by_text("Receipt", exact=True)).to_have_count(1)
    assert pages.errors == []


def test_an_operators_bookings_page_speaks_to_operators(pages: Pages, stack: Stack) -> None:
    """An operator's Bookings page says where operators handle bookings, not "Your stays"
    with a link to rotations operators do not have."""
    operator = pages.open("operator")
    make_admin(stack, operator)  # it looks for the Admin link, which a phone's menu hides
    operator.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    operator.goto("/#/bookings")
    main = operator.locator("main")
    expect(main.get_by_role("heading", level=1)).to_have_text("Bookings")
    expect(main.get_by_text("Operators take no part")).to_have_text(
        "Operators take no part in bookings. To see a booking's payments or refund it, enter its id under Payments"
        " on the operator page."
    )
    expect(main.get_by_text("Your stays")).to_have_count(0)
    expect(main.get_by_role("link", name="rotations")).to_have_count(0)
    main.get_by_role("link", name="operator page").click()
    expect(operator.get_by_role("heading", name="Payments")).to_be_visible()
    assert pages.errors == []


def test_a_new_calendar_link_is_asked_for_first(pages: Pages) -> None:
    """ "Make a new link" asks first, saying subscribed calendars stop updating; "Keep it"
    keeps the link working; "Yes, make a new link" replaces it."""
    page = pages.open("user", PHONE)
    Client(page.request).sign_up("student", "Calendar Student")
    page.goto("/#/settings")
    link = page.get_by_label("Calendar link")
    old = link.input_value()
    assert old.endswith(".ics")
    page.get_by_role("button", name="Make a new link").click()
    question = page.get_by_role("group", name=re.compile("Make a new link"))
    expect(question).to_contain_text(
        "Make a new link? Calendars subscribed with the old link stop updating until you subscribe with the new one."
    )
    expect(question.get_by_role("button", name="Keep it")).to_be_focused()
    page.keyboard.press("Escape")  # as "Keep it"
    expect(question).to_have_count(0)
    expect(page.get_by_role("button", name="Make a new link")).to_be_focused()
    expect(link).to_have_value(old)
    assert page.request.get(old).ok
    page.get_by_role("button", name="Make a new link").click()
    page.get_by_role("button", name="Yes, make a new link").click()
    expect(link).not_to_have_value(old)
    assert page.request.get(old).status == 404
    assert page.request.get(link.input_value()).ok
    assert pages.errors == []
