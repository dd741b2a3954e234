"""What a sixth walk found, fixed in the web client: focus fell to the page after sending a
document, uploading a photo, an operator's decision, the letter actions and accepting a
meeting time; declining and withdrawing a letter acted on one click; a letter action's
error stayed after a later success, and a refused upload date showed as a banner; the
writer's letter page showed codes ("NG", "en, ig", "cardiology at THE JOHNS HOPKINS
HOSPITAL"); a licence's hint and rejection spoke of a student's letter; the password's
notice read "0 other session(s)"; the calendar's text left out meetings; an ended
mentorship with a deleted user offered "Message" and a badge.

One system, one mentor and one student in an accepted mentorship about a rotation at The
Johns Hopkins Hospital, for the module's letter and plan tests."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from services.runner import Stack
from shared.mailsink import Mailbox
from tests import samples
from tests.browser.conftest import FARGO, PASSWORD, PHONE, Client, Pages, axe_violations, future
from tests.browser.test_accessibility import mentors_known, npi_sent, operators_page
from tests.browser.test_walk_fixes_4 import log_in

HOPKINS = "the-johns-hopkins-hospital-baltimore-md"


def until(read: Callable[[], Any], done: Callable[[Any], bool], what: str, seconds: float = 15) -> Any:
    """``read()`` again until ``done`` holds of it (what another service applies through
    events), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}: {value}"
        time.sleep(0.2)


def written(day: date) -> str:
    """A day as the client's fmtDate writes it: "Jan 5, 2027"."""
    return f"{day:%b} {day.day}, {day.year}"


@dataclass
class Pair:
    """The module's mentor (the letters' writer) and student, their accepted mentorship and
    the student's rotation it is about."""

    mentor: Client
    mentor_id: str
    mentor_name: str
    mentor_email: str
    student: Client
    student_name: str
    student_email: str
    mentorship_id: str
    rotation: dict[str, Any]

    def ask(self, specialty: str, days: int) -> dict[str, Any]:
        """A letter request from the student to the mentor (another application)."""
        letter: dict[str, Any] = self.student.call(
            "POST",
            "/letters",
            {
                "writer_id": self.mentor_id,
                "specialty": specialty,
                "deadline": future(days),
                "application": "other",
                "waived": True,
            },
        )
        return letter


@pytest.fixture(scope="module")
def pair(browser: Browser, stack: Stack) -> Iterator[Pair]:
    setup = Pages(browser, stack.url, Mailbox(stack.mail_dir))
    tag = uuid.uuid4().hex[:6]
    mentor = Client(setup.open("mentor").request, setup.mailbox)
    mentor_name = f"Dr. Writer {tag}"
    mentor_id = mentor.sign_up("professional", mentor_name)
    mentor.call("PATCH", "/me/profile", {"hospital_ids": [HOPKINS], "open_to_mentoring": True, "mentoring_capacity": 3})
    student = Client(setup.open("student").request, setup.mailbox)
    student_name = f"Student Okafor {tag}"
    student.sign_up("student", student_name)
    student.call(
        "PATCH",
        "/me/profile",
        {
            "medical_school": "University of Nigeria",
            "school_country": "NG",
            "graduation_year": 2027,
            "languages": ["en", "ig"],
            "specialties": ["cardiology"],
        },
    )
    rotation = student.call(
        "POST",
        "/rotations",
        {"hospital_id": HOPKINS, "specialty": "cardiology", "start_date": future(40), "end_date": future(68)},
    )
    mentors_known(stack, [mentor_id])
    mentorship = student.call(
        "POST", "/mentorships", {"mentor_id": mentor_id, "rotation_id": rotation["id"], "message": "Hello"}
    )
    mentor.call("POST", f"/mentorships/{mentorship['id']}/accept")
    yield Pair(
        mentor,
        mentor_id,
        mentor_name,
        mentor.call("GET", "/me")["user"]["email"],
        student,
        student_name,
        student.call("GET", "/me")["user"]["email"],
        mentorship["id"],
        rotation,
    )
    setup.close()


def test_a_document_sent_takes_focus_to_its_notice_and_each_kind_has_its_hint(pages: Pages) -> None:
    """Focus fell to the page after "Send document" (disabled while the file goes): it goes
    to "Document sent", and a send with no file to the file field. A licence's hint read
    "a photo of the letter" (a student's enrolment): each kind says what its file is."""
    tag = uuid.uuid4().hex[:6]
    student = pages.open("student", PHONE)
    Client(student.request, pages.mailbox).sign_up("student", f"Doc Student {tag}")
    student.goto("/#/profile")
    section = student.get_by_role("region", name="Verification documents")
    file = section.get_by_label("File", exact=True)
    expect(file).to_have_accessible_description(re.compile("certificate saying you are enrolled"))
    section.get_by_label("Document", exact=True).select_option("rotation_acceptance")
    expect(file).to_have_accessible_description(re.compile("offer letter accepting you for the rotation"))
    section.get_by_role("button", name="Send document").click()
    expect(file).to_have_attribute("aria-invalid", "true")
    expect(file).to_be_focused()
    file.set_input_files({"name": "scan.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(pages=1)})
    section.get_by_role("button", name="Send document").click()
    sent = section.get_by_role("status").filter(has_text="Document sent")
    expect(sent).to_be_focused()
    expect(section.get_by_role("list", name="Your documents")).to_contain_text("waiting for a check")

    professional = pages.open("professional", PHONE)
    Client(professional.request, pages.mailbox).sign_up("professional", f"Dr. Licensed {tag}")
    professional.goto("/#/profile")
    licence = professional.get_by_role("region", name="Verification documents").get_by_label("File", exact=True)
    expect(licence).to_have_accessible_description(re.compile("^Your medical licence, every page"))
    expect(licence).not_to_have_accessible_description(re.compile("letter|enrol"))
    assert pages.errors == [], pages.errors


def test_an_uploaded_photo_takes_focus_to_its_notice(pages: Pages) -> None:
    """Focus fell to the page after "Upload photo" (disabled while the file goes): it goes to
    "Photo added.", and an upload with no photo chosen to the Photo field."""
    tag = uuid.uuid4().hex[:6]
    host = pages.open("host")
    as_host = Client(host.request, pages.mailbox)
    as_host.sign_up("professional", f"Dr. Photo {tag}")
    listing = as_host.call(
        "POST",
        "/listings",
        {
            "title": f"Photo room {tag}",
            "room_type": "private_room",
            "address": "3 Photo St, Fargo, ND",
            "latitude": 46.84,
            "longitude": -96.83,
            "monthly_rent": 700,
            "available_from": future(5),
            "available_to": future(200),
            "min_stay_nights": 7,
        },
    )
    host.goto(f"/#/listings/{listing['id']}/edit")
    form = host.get_by_role("form", name="Add a photo")
    form.get_by_label("Alt text", exact=True).fill("Bedroom with a desk")
    form.get_by_role("button", name="Upload photo").click()
    photo = form.get_by_label("Photo", exact=True)
    expect(photo).to_have_attribute("aria-invalid", "true")
    expect(photo).to_be_focused()
    photo.set_input_files({"name": "room.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(800, 600)})
    form.get_by_role("button", name="Upload photo").click()
    expect(host.get_by_role("heading", name="Photos (1 of 20)")).to_be_visible()
    expect(form.get_by_role("status").filter(has_text="Photo added.")).to_be_focused()
    assert pages.errors == [], pages.errors


def test_an_operators_decision_is_said_and_focused_and_a_reason_missing_takes_focus(pages: Pages, stack: Stack) -> None:
    """A credential or document decided leaves its list with the button pressed and focus
    fell to the page: what was decided is said above the list, focused. Reject with no note
    kept focus on Reject: the field in error takes it, and a professional's licence scan
    says the professional reads the note (it said "the student")."""
    tag = uuid.uuid4().hex[:6]
    name = f"Dr. Decided {tag}"
    applicant_page, applicant, _ = npi_sent(pages, name)
    sent = applicant_page.request.post(
        "/api/v1/me/documents",
        headers={"Authorization": f"Bearer {applicant.token}"},
        multipart={
            "kind": "licence",
            "file": {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(pages=1)},
        },
    )
    assert sent.status == 201, sent.text()

    operator = operators_page(pages, stack)
    document = operator.get_by_role("listitem", name=f"Licence scan of {name}")
    document.get_by_role("button", name=f"Reject Licence scan of {name}").click()
    note = document.get_by_label("Note (shown to them; required to reject)")
    expect(note).to_have_accessible_description("Say why you reject it: the professional reads this note.")
    expect(note).to_be_focused()
    note.fill("The scan is cut off: send every page")
    document.get_by_role("button", name=f"Reject Licence scan of {name}").click()
    expect(document).to_have_count(0)
    said = operator.get_by_role("region", name="Verify documents").get_by_role("status")
    expect(said).to_have_text(f"Licence scan of {name}: rejected; the professional reads why.")
    expect(said).to_be_focused()

    credential = operator.get_by_role("listitem", name=name, exact=True)
    credential.get_by_role("button", name=f"Reject {name}").click()
    reason = credential.get_by_label("Reason (shown to them; required to reject)")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    credential.get_by_role("button", name=f"Verify {name}").click()
    expect(credential).to_have_count(0)
    verified = operator.get_by_role("region", name="Verify professionals").get_by_role("status")
    expect(verified).to_have_text(f"{name}'s NPI: verified.")
    expect(verified).to_be_focused()
    assert pages.errors == [], pages.errors


def letter_card(page: Page, specialty: str) -> Locator:
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=re.compile(f"^{specialty}: ")))


def test_the_writer_declines_twice_and_agreeing_focuses_the_status(pages: Pages, pair: Pair) -> None:
    """Decline acted on one click: it asks, with focus on "Keep it" (and back on Decline when
    kept); "Agree to write" left with its button, focus on the page: the card's heading,
    with the new status, takes it."""
    pair.ask("Dermatology", 30)
    writer = pages.open("writer", PHONE)
    log_in(writer, pair.mentor_email)
    writer.goto("/#/letters")
    card = letter_card(writer, "Dermatology")
    card.get_by_role("button", name="Decline").click()
    keep = card.get_by_role("button", name="Keep it")
    expect(keep).to_be_focused()
    expect(card.get_by_role("group")).to_contain_text("Decline to write this letter?")
    keep.click()
    expect(card.get_by_role("button", name="Decline")).to_be_focused()
    expect(card).to_contain_text("Requested")
    card.get_by_role("button", name="Agree to write").click()
    heading = card.get_by_role("heading", level=3)
    expect(heading).to_contain_text("Accepted")
    expect(heading).to_be_focused()
    assert pages.errors == [], pages.errors


def test_the_writer_reads_the_student_in_words_and_a_refused_day_is_beside_its_field(pages: Pages, pair: Pair) -> None:
    """About the student read "University of Nigeria (NG)", "en, ig", "cardiology at THE
    JOHNS HOPKINS HOSPITAL": names, as the profile pages give them. "Mark submitted" with a
    day after today showed the API's error in a banner: it is said beside the date, which
    takes focus; marked with a good day, the error is gone and the status has focus."""
    letter = pair.ask("Internal Medicine", 31)
    pair.mentor.call("POST", f"/letters/{letter['id']}/accept")
    until(
        lambda: pair.mentor.call("GET", f"/letters/{letter['id']}")["student_profile"],
        lambda profile: profile["school_country"] == "NG",
        "matching to hold the student's profile",
    )
    writer = pages.open("writer")
    log_in(writer, pair.mentor_email)
    writer.goto(f"/#/letters/{letter['id']}")
    facts = writer.locator("dl").filter(has_text="Medical school")
    expect(facts).to_contain_text("University of Nigeria (Nigeria)")
    expect(facts).to_contain_text("English, Igbo")
    expect(facts.locator("dt:has-text('Specialties') + dd")).to_have_text("Cardiology")
    start, end = date.fromisoformat(pair.rotation["start_date"]), date.fromisoformat(pair.rotation["end_date"])
    expect(writer.get_by_role("listitem").filter(has_text="at The Johns Hopkins Hospital")).to_have_text(
        f"Cardiology at The Johns Hopkins Hospital, {written(start)} to {written(end)}"
    )

    day = writer.get_by_label("Day you uploaded it to the AAMC Letter Writer Portal")
    day.fill(future(3))
    writer.get_by_role("button", name="Mark submitted").click()
    expect(day).to_have_attribute("aria-invalid", "true")
    expect(day).to_have_accessible_description(re.compile("^Give a day from the request to today: between .+ and .+$"))
    expect(day).to_be_focused()
    day.fill(future(0))
    writer.get_by_role("button", name="Mark submitted").click()
    status = writer.locator("p").filter(has=writer.get_by_role("link", name="All letters"))
    expect(status).to_contain_text("Submitted")
    expect(writer.get_by_text(re.compile("between the request"))).to_have_count(0)
    expect(status).to_be_focused()
    assert axe_violations(writer) == []
    assert pages.errors == [], pages.errors


def test_an_actions_error_goes_once_a_later_action_succeeds(pages: Pages, pair: Pair) -> None:
    """A letter action's error stayed on the page after a later action succeeded (Actions
    set it and never cleared it): "Agree to write" that could not reach Wardmate, then
    again once it can, leaves the new status and no error."""
    letter = pair.ask("Neurology", 32)
    writer = pages.open("writer")
    log_in(writer, pair.mentor_email)
    writer.goto(f"/#/letters/{letter['id']}")
    accept = f"**/api/v1/letters/{letter['id']}/accept"
    writer.route(accept, lambda route: route.abort())
    agree = writer.get_by_role("button", name="Agree to write")
    agree.click()
    alert = writer.get_by_role("alert")
    expect(alert).to_contain_text("Wardmate cannot be reached")
    expect(agree).to_be_focused()
    writer.unroute(accept)
    agree.click()
    status = writer.locator("p").filter(has=writer.get_by_role("link", name="All letters"))
    expect(status).to_contain_text("Accepted")
    expect(alert).to_have_count(0)
    assert pages.errors == [], pages.errors


def test_the_student_asks_withdraws_twice_and_confirms_with_focus_kept(pages: Pages, pair: Pair) -> None:
    """The form "Ask for a letter" opened with focus left on the page: it goes to "Who writes
    it". Sent empty, only the writer was flagged: the specialty and deadline are too, and
    focus goes to the first. "Send request" says it was sent, focused. Withdraw asks twice
    (focus on "Keep it"); withdrawing and "Confirm it arrived" focus the card's status."""
    student = pages.open("student", PHONE)
    log_in(student, pair.student_email)
    student.goto("/#/letters")
    student.get_by_role("button", name="Ask for a letter").click()
    writer = student.get_by_label("Who writes it")
    expect(writer).to_be_focused()
    student.get_by_label("Application").select_option("other")
    student.get_by_role("button", name="Send request").click()
    for label in ("Who writes it", "Specialty", "Deadline"):
        expect(student.get_by_label(label, exact=True)).to_have_attribute("aria-invalid", "true")
    expect(writer).to_be_focused()
    writer.select_option(label=pair.mentor_name)
    student.get_by_label("Specialty", exact=True).fill("Emergency Medicine")
    student.get_by_label("Deadline", exact=True).fill(future(34))
    student.get_by_role("button", name="Send request").click()
    sent = student.get_by_role("status").filter(has_text=f"Request sent to {pair.mentor_name}")
    expect(sent).to_be_focused()

    card = letter_card(student, "Emergency Medicine")
    card.get_by_role("button", name="Withdraw request").click()
    expect(card.get_by_role("button", name="Keep it")).to_be_focused()
    card.get_by_role("button", name="Yes, withdraw").click()
    heading = card.get_by_role("heading", level=3)
    expect(heading).to_contain_text("Withdrawn")
    expect(heading).to_be_focused()

    submitted = pair.ask("Family Medicine", 35)
    pair.mentor.call("POST", f"/letters/{submitted['id']}/accept")
    pair.mentor.call("POST", f"/letters/{submitted['id']}/submit", {"submitted_on": future(0)})
    student.reload()
    card = letter_card(student, "Family Medicine")
    card.get_by_role("button", name="Confirm it arrived").click()
    heading = card.get_by_role("heading", level=3)
    expect(heading).to_contain_text("Confirmed")
    expect(heading).to_be_focused()
    assert axe_violations(student) == []
    assert pages.errors == [], pages.errors


def test_accepting_a_meeting_time_focuses_the_meeting(pages: Pages, pair: Pair) -> None:
    """Focus fell to the page after "Accept <time>" (it left with the proposed times): the
    meeting's heading, its time and new status, takes it."""
    moment = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    pair.mentor.call(
        "POST",
        f"/mentorships/{pair.mentorship_id}/meetings",
        {"options": [moment.isoformat().replace("+00:00", "Z")], "place": "Cafeteria"},
    )
    student = pages.open("student")
    log_in(student, pair.student_email)
    student.goto(f"/#/mentorships/{pair.mentorship_id}")
    meeting = (
        student.get_by_role("list", name="Meetings")
        .get_by_role("listitem")
        .filter(has=student.get_by_role("button", name=re.compile("^Accept ")))
    )
    meeting.get_by_role("button", name=re.compile("^Accept ")).click()
    heading = student.get_by_role("list", name="Meetings").get_by_role("heading", level=3).filter(has_text="Scheduled")
    expect(heading).to_be_focused()
    assert pages.errors == [], pages.errors


def test_settings_word_the_password_change_and_name_meetings_in_the_calendar(pages: Pages) -> None:
    """The password's notice read "0 other session(s) logged out, and the calendar link
    replaced": it says, in words, how many other devices were logged out. The calendar's
    text named stays and rotations, not the mentorship meetings the feed carries too."""
    page = pages.open("user")
    client = Client(page.request, pages.mailbox)
    client.sign_up("student", "Password Changer")
    email = client.call("GET", "/me")["user"]["email"]
    log_in(pages.open("phone"), email)
    page.goto("/#/settings")
    expect(page.get_by_role("region", name="Calendar")).to_contain_text(
        "your stays, rotations and mentorship meetings appear"
    )
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("a-brand-new-passphrase")
    page.get_by_role("button", name="Change password").click()
    done = page.get_by_role("status").filter(has_text="Password changed")
    worded = r"(One|Two) other devices? (was|were) logged out"
    expect(done).to_have_text(re.compile(rf"^Password changed and calendar link replaced\. {worded}\.$"))
    assert pages.errors == [], pages.errors


def test_an_ended_mentorship_with_a_deleted_user_offers_no_message(pages: Pages, stack: Stack) -> None:
    """The mentor deleted their account: the student's card read "Deleted user Not verified"
    and offered "Message" (to nobody). It names them with no badge and no link, says why
    the mentorship ended, and offers no Message."""
    tag = uuid.uuid4().hex[:6]
    mentor = Client(pages.open("mentor").request, pages.mailbox)
    mentor_id = mentor.sign_up("professional", f"Dr. Leaving {tag}")
    mentor.call("PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 1})
    student_page = pages.open("student", PHONE)
    student = Client(student_page.request, pages.mailbox)
    student.sign_up("student", f"Student Staying {tag}")
    mentors_known(stack, [mentor_id])
    mentorship = student.call("POST", "/mentorships", {"mentor_id": mentor_id, "message": "Hello"})
    mentor.call("POST", f"/mentorships/{mentorship['id']}/accept")
    mentor.call("DELETE", "/me", {"password": PASSWORD})
    until(
        lambda: student.call("GET", "/me/mentorships?role=student")["items"][0],
        lambda m: m["status"] == "ended" and m["mentor"]["display_name"] == "Deleted user",
        "matching to end the mentorship and name the mentor Deleted user",
    )
    student_page.goto("/#/mentorships")
    card = student_page.get_by_role("listitem", name="With Deleted user")
    expect(card).to_contain_text("Ended")
    expect(card).to_contain_text("Your mentor deleted their account")
    expect(card.get_by_role("button", name="Message")).to_have_count(0)
    expect(card).not_to_contain_text("verified")
    expect(card.get_by_role("link", name="Deleted user")).to_have_count(0)
    expect(card.get_by_role("link", name="Open plan")).to_be_visible()
    assert pages.errors == [], pages.errors


def test_hospital_names_keep_initials_and_lower_their_small_words(pages: Pages) -> None:
    """Registry names shout; the client kept every word of one or two letters as it came
    ("University OF Maryland Medical Center"), for the initials' sake ("Birmingham VA")."""
    for hospital_id, name in (
        ("university-of-maryland-medical-center-baltimore-md", "University of Maryland Medical Center, Baltimore, MD"),
        ("birmingham-va-medical-center-birmingham-al", "Birmingham VA Medical Center, Birmingham, AL"),
    ):
        page = pages.open(f"visitor {hospital_id}")
        page.goto(f"/#/search?hospital={hospital_id}")
        # The picker's hint (a regex: case counts); the rooms found say it too ("About 2.6 km
        # from …"), as many as other tests of this stack posted near it.
        expect(page.get_by_text(re.compile(f"^Chosen: {re.escape(name)}"))).to_be_visible()
    assert pages.errors == []


def test_a_writer_ahead_of_utc_marks_a_letter_uploaded_on_their_today(pages: Pages, pair: Pair) -> None:
    """Matching took the request's day and today in UTC: a writer in New York at 7 PM (the
    next day in UTC), or anywhere ahead of UTC in its morning, was refused the day their
    page offers, "Give a day between the request (…) and today". Any day that is today
    somewhere is taken; a day past that is refused with the days that are allowed."""
    letter = pair.ask("Internal Medicine", 36)
    pair.mentor.call("POST", f"/letters/{letter['id']}/accept")
    writer = pages.open("writer", timezone_id="Pacific/Kiritimati")  # UTC+14
    log_in(writer, pair.mentor_email)
    writer.goto(f"/#/letters/{letter['id']}")
    form = writer.get_by_role("form", name="Mark the letter submitted")
    day = form.get_by_label("Day you uploaded it to the AAMC Letter Writer Portal")
    offered = day.input_value()
    assert offered == datetime.now(UTC).astimezone(ZoneInfo("Pacific/Kiritimati")).date().isoformat()

    day.fill((date.fromisoformat(offered) + timedelta(days=2)).isoformat())
    form.get_by_role("button", name="Mark submitted").click()
    expect(day).to_be_focused()
    expect(day).to_have_accessible_description(
        re.compile(
            r"^Give a day from the request to today: between [A-Z][a-z]{2} \d+, \d{4} and [A-Z][a-z]{2} \d+, \d{4}\.$"
        )
    )
    day.fill(offered)
    form.get_by_role("button", name="Mark submitted").click()
    expect(form).to_have_count(0)  # submitted: the form is gone
    expect(writer.get_by_role("main")).to_contain_text("Submitted")
    assert pair.mentor.call("GET", f"/letters/{letter['id']}")["submitted_on"] == offered
    assert pages.errors == []
