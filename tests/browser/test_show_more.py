"""Lists that showed their first page only (a host's rooms and a student's rotations past
100 or 20, mentorships and letters past 100, mentor matches past 20, the operators'
queues past 50): each now reaches its last item through ui.js's "Show more". Pages of 2
here (the requests rewritten) stand for the pages of the real client."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Locator, Page, Route, expect

from services.runner import Stack
from tests import samples
from tests.browser.conftest import FARGO, LAPTOP, Client, Pages, future
from tests.browser.test_accessibility import make_admin, mentors_known
from tests.browser.test_client_fixes import room

PAGED = re.compile(
    r"/api/v1/(me/(listings|rotations|mentorships|letters)|rotations/[^/?]+/mentor-matches|admin/(verifications|reports|documents))(\?|$)"
)


def pages_of_two(route: Route) -> None:
    """Every paged list read in pages of 2 (a request that names no limit gets one)."""
    url = route.request.url
    if "limit=" in url:
        url = re.sub(r"limit=\d+", "limit=2", url)
    else:
        url += ("&" if "?" in url else "?") + "limit=2"
    route.continue_(url=url)


def show_all(page: Page, label: str, shown: Locator) -> None:
    """Press the list's button until it is gone (the list's last page is shown). Each press
    keeps focus: on the button while there is more, then on the first item the last page
    brought (it fell to the page with the button)."""
    button = page.get_by_role("button", name=label)
    count = None
    for _ in range(50):
        if button.count() == 0:
            if count is not None:
                expect(shown.nth(count)).to_be_focused()
            return
        count = shown.count()
        button.click()
        # This list's next page is in before the button is pressed again (another list
        # on the page loading is no sign of it).
        expect(shown).not_to_have_count(count)
    raise AssertionError(f"{label!r} still shown after 50 pages")


def items(page: Page, name: str) -> Locator:
    return page.get_by_role("list", name=name, exact=True).locator(":scope > li")


def test_a_students_rotations_matches_mentorships_and_letters_reach_their_last_item(pages: Pages, stack: Stack) -> None:
    """Three of each, in pages of 2: "Older rotations", "More mentors", "Older mentorships",
    "Show more" reach the third; the letter form offers all three mentors; a host's third
    room is behind "Older rooms"."""
    tag = uuid.uuid4().hex[:6]
    mentors = [f"Dr. Paged {tag} {n}" for n in range(3)]
    clients, ids = [], []
    for name in mentors:
        client = Client(pages.open(name).request)
        ids.append(client.sign_up("professional", name))
        client.call(
            "PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 3}
        )
        clients.append(client)
    mentors_known(stack, ids)

    student = pages.open("student", LAPTOP)
    as_student = Client(student.request)
    as_student.sign_up("student", f"Paged Student {tag}")
    specialties = ["Cardiology", "Neurology", "Pediatrics"]
    rotations = [
        as_student.call(
            "POST",
            "/rotations",
            {"hospital_id": FARGO, "specialty": s, "start_date": future(30 + 40 * n), "end_date": future(58 + 40 * n)},
        )
        for n, s in enumerate(specialties)
    ]
    student.route(PAGED, pages_of_two)

    student.goto("/#/rotations")
    shown = items(student, "Rotations")
    expect(shown).to_have_count(2)
    show_all(student, "Older rotations", shown)
    expect(shown).to_have_count(3)
    for specialty in specialties:
        expect(student.get_by_role("link", name=re.compile(f"^{specialty} at "))).to_be_visible()

    # The mentors are ranked among any others near Fargo: each of the three is reached.
    student.goto(f"/#/rotations/{rotations[0]['id']}")
    expect(items(student, "Mentor matches")).to_have_count(2)
    show_all(student, "More mentors", items(student, "Mentor matches"))
    for name in mentors:
        expect(items(student, "Mentor matches").filter(has_text=name)).to_have_count(1)

    for n, client in enumerate(clients):
        asked = as_student.call(
            "POST", "/mentorships", {"mentor_id": ids[n], "rotation_id": rotations[n]["id"], "message": "Hello"}
        )
        client.call("POST", f"/mentorships/{asked['id']}/accept", {})
    student.goto("/#/mentorships")
    expect(items(student, "Your mentorships")).to_have_count(2)
    show_all(student, "Older mentorships", items(student, "Your mentorships"))
    expect(items(student, "Your mentorships")).to_have_count(3)

    # The form's choice reads every page (its first 100 left later mentors out).
    student.goto("/#/letters")
    student.get_by_role("button", name="Ask for a letter").click()
    writers = student.get_by_label("Who writes it").locator("option")
    expect(writers).to_have_count(4)  # "Choose…" and the three
    for name in mentors:
        expect(writers.filter(has_text=name)).to_have_count(1)
    for n in range(3):
        as_student.call(
            "POST",
            "/letters",
            {
                "writer_id": ids[n],
                "specialty": specialties[n],
                "deadline": future(20 + n),
                "application": "other",
                "waived": True,
            },
        )
    student.reload()
    expect(items(student, "Your letters")).to_have_count(2)
    show_all(student, "Show more", items(student, "Your letters"))
    expect(items(student, "Your letters")).to_have_count(3)

    host = pages.open("host", LAPTOP)
    as_host = Client(host.request)
    as_host.sign_up("professional", f"Dr. Many Rooms {tag}")
    titles = [f"Paged room {tag} {n}" for n in range(3)]
    for title in titles:
        as_host.call("POST", "/listings", room(title=title))
    host.route(PAGED, pages_of_two)
    host.goto("/#/listings")
    expect(items(host, "Your rooms")).to_have_count(2)
    show_all(host, "Older rooms", items(host, "Your rooms"))
    expect(items(host, "Your rooms")).to_have_count(3)
    expect(host.get_by_role("link", name=titles[0], exact=True)).to_be_visible()
    assert pages.errors == []


def test_the_operators_queues_reach_their_last_item(pages: Pages, stack: Stack) -> None:
    """Three credentials to check, three documents and three reports, in pages of 2 among
    any others: "Show more", "More documents" and "Older reports" reach each (the queues
    stopped at 50); a report resolved on a later page leaves the open list; another status
    starts its list again at its first page."""
    tag = uuid.uuid4().hex[:6]
    names = [f"Dr. Queued {tag} {n}" for n in range(3)]
    reported = Client(pages.open("reported").request)
    reported_id = reported.sign_up("professional", f"Dr. Reported {tag}")
    for n, name in enumerate(names):
        client = Client(pages.open(name).request)
        client.sign_up("professional", name)
        client.call("POST", "/me/verification", {"npi": "1234567893"})
        client.call("POST", "/reports", {"user_id": reported_id, "reason": "spam", "details": f"Report {tag} {n}"})
        sent = client.request.post(
            "/api/v1/me/documents",
            headers={"Authorization": f"Bearer {client.token}"},
            multipart={
                "kind": "licence",
                "file": {"name": "licence.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(pages=1)},
            },
        )
        assert sent.status == 201, sent.text()

    admin = pages.open("admin", LAPTOP)
    make_admin(stack, admin)
    admin.route(PAGED, pages_of_two)
    admin.goto("/#/admin")
    credentials = items(admin, "Credentials")
    expect(credentials).to_have_count(2)
    show_all(admin, "Show more", credentials)
    for name in names:
        expect(credentials.filter(has_text=name)).to_have_count(1)

    documents = items(admin, "Documents")
    expect(documents).to_have_count(2)
    show_all(admin, "More documents", documents)  # the queue showed its first 50 only
    for name in names:
        expect(documents.filter(has_text=name)).to_have_count(1)

    reports = items(admin, "Reports")
    expect(reports).to_have_count(2)
    show_all(admin, "Older reports", reports)
    for n in range(3):
        expect(reports.filter(has_text=f"Report {tag} {n}")).to_have_count(1)
    # The oldest is on a later page: resolved there, it leaves the open list (the pages
    # shown are read again with the first; it stayed, still offering "Resolve").
    oldest = reports.filter(has_text=f"Report {tag} 0")
    oldest.get_by_label("Outcome").select_option("No violation found")
    oldest.get_by_role("button", name="Resolve").click()
    expect(oldest).to_have_count(0)
    for n in (1, 2):
        expect(reports.filter(has_text=f"Report {tag} {n}")).to_have_count(1)
    admin.get_by_label("Show", exact=True).select_option("all")
    expect(reports).to_have_count(2)
    assert pages.errors == []
