"""Letters of recommendation over HTTP: an ERAS request with its Letter ID and a waiver,
accepted, submitted and confirmed; reminders at 14, 7 and 2 days and to a student left
waiting, by matching's job at a moved clock; expiry; nobody else sees a request."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from services.runner import Stack
from shared.dates import written
from tests.api import Api, User
from tests.e2e.helpers import future
from tests.e2e.mentoring import accepted_pair, letter_request, notifications, sweep_at
from tests.e2e.test_matching import profile, rotation
from tests.eventually import eventually


async def kinds(api: Api, user: User, kind: str) -> list[str]:
    return [n["text"] for n in await notifications(api, user) if n["kind"] == kind]


async def test_an_eras_letter_from_request_to_confirmation(api: Api, stack: Stack) -> None:
    """The writer's page holds the Letter ID, the waiver and the student's profile; the
    reminders fire at 14, 7 and 2 days before the deadline and after 7 silent days, once."""
    student = await api.signup("student", "Amina")
    await profile(api, student, medical_school="University of Lagos", school_country="NG", graduation_year=2024)
    _, writer, _ = await accepted_pair(api, student=student)
    stranger = await api.signup("professional", "Dr. Nobody")
    unknown = await api.call("POST", "/letters", student, json=letter_request(stranger))
    assert unknown.status == 404
    assert (await api.call("POST", "/letters", student, json=letter_request(writer, eras_letter_id=None))).status == 400
    assert (await api.call("POST", "/letters", writer, json=letter_request(student))).status == 403

    r = await api.call("POST", "/letters", student, json=letter_request(writer))
    assert r.status == 201 and r.body["status"] == "requested" and r.body["waived"] is True, r.body
    letter_id = r.body["id"]
    # The writer's page, not the student's: their profile, and the upload instructions.
    assert r.body["student_profile"] is None and r.body["how_to_submit"] is None, r.body
    again = await api.call("POST", "/letters", student, json=letter_request(writer))
    assert again.status == 409  # one Letter ID, one letter
    page = (await api.call("GET", f"/letters/{letter_id}", writer)).body
    assert page["role"] == "writer" and page["eras_letter_id"] == letter_request(writer)["eras_letter_id"].upper()
    assert page["student_profile"]["medical_school"] == "University of Lagos"
    assert "never receives or stores" in page["how_to_submit"] and "waived" in page["how_to_submit"]
    told = await eventually(
        lambda: api.call("GET", "/notifications", writer),
        10,
        what='any(n["kind"] == "letter_requested" for n in r.body["items"])',
        until=lambda r: any(n["kind"] == "letter_requested" for n in r.body["items"]),
        interval=0.1,
    )
    [asked] = [n for n in told.body["items"] if n["kind"] == "letter_requested"]
    # The deadline as every page writes a date ("Jan 5, 2027"; it read "2027-01-05").
    assert asked["text"].endswith(f"(Internal Medicine), due {written(date.fromisoformat(future(20)))}"), asked

    await sweep_at(stack, timedelta(days=5))  # 15 days left, asked 5 days ago: nothing yet
    await sweep_at(stack, timedelta(days=6))  # 14 days left
    await eventually(
        lambda: api.call("GET", "/notifications", writer),
        10,
        what='_count(r, "letter_reminder") == 1',
        until=lambda r: _count(r, "letter_reminder") == 1,
        interval=0.1,
    )
    await sweep_at(stack, timedelta(days=7))  # 7 days unanswered: the student hears
    await eventually(
        lambda: api.call("GET", "/notifications", student),
        10,
        what='_count(r, "letter_reminder") == 1',
        until=lambda r: _count(r, "letter_reminder") == 1,
        interval=0.1,
    )

    assert (await api.call("POST", f"/letters/{letter_id}/accept", student)).status == 403
    accepted = await api.call("POST", f"/letters/{letter_id}/accept", writer)
    assert accepted.status == 200 and accepted.body["status"] == "accepted"
    await sweep_at(stack, timedelta(days=13))  # 7 days left
    await sweep_at(stack, timedelta(days=18))  # 2 days left
    await sweep_at(stack, timedelta(days=18, hours=5))  # again: nothing new
    await eventually(
        lambda: api.call("GET", "/notifications", writer),
        10,
        what='_count(r, "letter_reminder") == 3',
        until=lambda r: _count(r, "letter_reminder") == 3,
        interval=0.1,
    )
    reminders = await kinds(api, writer, "letter_reminder")
    deadline = written(date.fromisoformat(future(20)))
    assert sorted(reminders) == sorted(
        f"A letter of recommendation (Internal Medicine) is due in {n} days, on {deadline}" for n in (14, 7, 2)
    )
    assert len(await kinds(api, student, "letter_reminder")) == 1

    submitted = await api.call("POST", f"/letters/{letter_id}/submit", writer, json={"submitted_on": future(0)})
    assert submitted.status == 200 and submitted.body["status"] == "submitted", submitted.body
    confirmed = await api.call("POST", f"/letters/{letter_id}/confirm", student)
    assert confirmed.status == 200 and confirmed.body["status"] == "confirmed"
    dashboard = (await api.call("GET", "/me/letters", student)).body["items"]
    assert [(x["id"], x["status"]) for x in dashboard] == [(letter_id, "confirmed")]

    third = await api.signup("student", "Eve")
    assert (await api.call("GET", f"/letters/{letter_id}", third)).status == 404
    for action in ("accept", "decline", "submit", "confirm", "withdraw"):
        assert (await api.call("POST", f"/letters/{letter_id}/{action}", third)).status == 404
    assert (await api.call("GET", "/me/letters", third)).body["items"] == []


async def test_an_unanswered_request_expires_at_its_deadline(api: Api, stack: Stack) -> None:
    """Past its deadline an open request expires and both hear of it; it cannot be accepted."""
    student, writer, _ = await accepted_pair(api)
    r = await api.call(
        "POST",
        "/letters",
        student,
        json=letter_request(writer, deadline=future(3), application="other", eras_letter_id=None),
    )
    assert r.status == 201, r.body
    await sweep_at(stack, timedelta(days=4))
    letter = (
        await eventually(
            lambda: api.call("GET", f"/letters/{r.body['id']}", student),
            10,
            what='x.body["status"] == "expired"',
            until=lambda x: x.body["status"] == "expired",
            interval=0.1,
        )
    ).body
    assert letter["status"] == "expired"
    assert (await api.call("POST", f"/letters/{r.body['id']}/accept", writer)).status == 409
    for user in (student, writer):
        await eventually(
            lambda u=user: api.call("GET", "/notifications", u),
            10,
            what='_count(x, "letter_expired") == 1',
            until=lambda x: _count(x, "letter_expired") == 1,
            interval=0.1,
        )


def _count(r: Any, kind: str) -> int:
    return sum(n["kind"] == kind for n in r.body["items"])


async def test_the_writer_sees_the_students_rotations_at_the_letters_hospital_only_while_asked(api: Api) -> None:
    """What the letter is about, not where the student goes next: a rotation elsewhere
    never shows, not even once the writer adds that hospital to their own profile, and
    none shows once the request is withdrawn."""
    student = await api.signup("student", "Rotating Student")
    _, writer, _ = await accepted_pair(api, student=student)  # the writer works at Johns Hopkins
    here = await rotation(api, student, specialty="cardiology")
    elsewhere = await rotation(
        api,
        student,
        hospital_id="massachusetts-general-hospital-boston-ma",
        specialty="neurology",
        start_date=future(120),
        end_date=future(148),
    )
    letter = (await api.call("POST", "/letters", student, json=letter_request(writer))).body
    page = (await api.call("GET", f"/letters/{letter['id']}", writer)).body
    shown = [r["hospital_id"] for r in page["rotations"]]
    assert shown == [here["hospital"]["id"]] and elsewhere["hospital"]["id"] not in shown, page["rotations"]
    # Affiliations are the writer's own word: claiming the other hospital shows nothing more.
    both = {"hospital_ids": [here["hospital"]["id"], elsewhere["hospital"]["id"]]}
    assert (await api.call("PATCH", "/me/profile", writer, json=both)).status == 200
    page = (await api.call("GET", f"/letters/{letter['id']}", writer)).body
    assert [r["hospital_id"] for r in page["rotations"]] == [here["hospital"]["id"]], page["rotations"]
    assert (await api.call("POST", f"/letters/{letter['id']}/withdraw", student)).status == 200
    assert (await api.call("GET", f"/letters/{letter['id']}", writer)).body["rotations"] == []


async def test_letters_pages_survive_answers_between_them_and_repeats_are_one_request(api: Api) -> None:
    """The dashboard pages by key, not position: a request answered between two pages
    neither hides the next one nor comes back. The same request sent three times at once
    (a double click) makes one request; the others are 409."""
    student = await api.signup("student", "Paging Student")
    _, writer, _ = await accepted_pair(api, student=student)
    other = {"application": "other", "eras_letter_id": None, "waived": False}
    same = letter_request(writer, deadline=future(40), **other)
    tries = await asyncio.gather(*(api.call("POST", "/letters", student, json=same) for _ in range(3)))
    assert sorted(r.status for r in tries) == [201, 409, 409], [r.body for r in tries]
    asks = [letter_request(writer, deadline=future(d), **other) for d in (20, 21, 22)]
    ids = [(await api.call("POST", "/letters", student, json=ask)).body["id"] for ask in asks]
    first = await api.call("GET", "/me/letters", student, params={"limit": "1"})
    assert [item["id"] for item in first.body["items"]] == [ids[0]]
    assert (await api.call("POST", f"/letters/{ids[0]}/decline", writer)).status == 200
    seen, cursor = [], first.body["next_cursor"]
    while cursor:
        page = await api.call("GET", "/me/letters", student, params={"limit": "1", "cursor": cursor})
        seen += [(item["id"], item["status"]) for item in page.body["items"]]
        cursor = page.body["next_cursor"]
    open_ids = [letter_id for letter_id, status in seen if status == "requested"]
    assert open_ids == [ids[1], ids[2], next(r.body["id"] for r in tries if r.status == 201)], seen
