"""Fixes from a user walk, over HTTP: a request withdrawn before an answer is no way into
a professional's letter queue and has no plan; a rotation already over is refused on
create, on a move and in a mentorship request; a mentor at capacity reads what to do."""

from __future__ import annotations

import uuid

from services.runner import Stack
from shared.db import create_pool
from tests.api import Api
from tests.e2e.helpers import future
from tests.e2e.mentoring import accepted_pair, at, letter_request
from tests.e2e.test_matching import profile, rotation
from tests.eventually import eventually

NO_PLAN = "the request was withdrawn before it was accepted: it has no plan"


async def test_a_request_withdrawn_before_an_answer_reaches_no_letter_queue_and_has_no_plan(api: Api) -> None:
    """Asking for mentorship and withdrawing at once left an 'ended' mentorship: the
    professional was then "your mentor" for a letter request, and its plan had check-ins
    due and took their ratings."""
    student = await api.signup("student", "Wanda Withdrawn")
    under_way = await rotation(api, student, start_date=future(-20), end_date=future(8))  # mid check-in due
    mentor = await api.signup("professional", "Dr. Never Asked")
    await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=2)
    body = {"mentor_id": mentor.id, "rotation_id": under_way["id"], "message": "Hello"}
    asked = await eventually(
        lambda: api.call("POST", "/mentorships", student, json=body),
        10,
        what="matching to know the mentor",
        until=lambda r: r.status == 201,
        interval=0.1,
    )
    mentorship_id = asked.body["id"]
    withdrawn = await api.call("POST", f"/mentorships/{mentorship_id}/end", student)
    assert withdrawn.status == 200 and withdrawn.body["decided_at"] is None, withdrawn.body

    # No letter: the professional never took the student on.
    letter = await api.call("POST", "/letters", student, json=letter_request(mentor))
    assert letter.status == 404 and letter.error_code == "not_found", letter.body
    # The letter form's "your mentors, past and present": accepted and ended mentorships.
    for status in ("accepted", "ended"):
        listed = await api.call("GET", "/me/mentorships", student, params={"role": "student", "status": status})
        assert listed.body["items"] == [], (status, listed.body)
    everything = await api.call("GET", "/me/mentorships", student, params={"role": "student"})
    assert [m["id"] for m in everything.body["items"]] == [mentorship_id]  # still listed, unfiltered

    # The plan reads "withdrawn", with nothing due; every write says why there is none.
    for who in (student, mentor):
        plan = await api.call("GET", f"/mentorships/{mentorship_id}/plan", who)
        assert plan.status == 200 and plan.body["status"] == "withdrawn", plan.body
        assert plan.body["check_ins_due"] == [], plan.body
    writes = [
        (f"/mentorships/{mentorship_id}/check-ins", {"stage": "mid", "usefulness": 5, "change": ""}),
        (f"/mentorships/{mentorship_id}/goals", {"title": "Present a patient"}),
        (f"/mentorships/{mentorship_id}/notes", {"body": "to myself", "private": True}),
        (f"/mentorships/{mentorship_id}/meetings", {"options": [at(days=2)], "duration_minutes": 30}),
    ]
    for path, payload in writes:
        r = await api.call("POST", path, student, json=payload)
        assert r.status == 409 and r.error_code == "conflict", (path, r.body)
        assert r.body["error"]["message"] == NO_PLAN, (path, r.body)

    # Accepted, then ended: a past mentor, who may be asked and is listed as ended.
    _, past_mentor, past_id = await accepted_pair(api, student=student)
    assert (await api.call("POST", f"/mentorships/{past_id}/end", student)).status == 200
    ended = await api.call("GET", "/me/mentorships", student, params={"role": "student", "status": "ended"})
    assert [m["id"] for m in ended.body["items"]] == [past_id]
    assert (await api.call("GET", f"/mentorships/{past_id}/plan", student)).body["status"] == "ended"
    asked_past = await api.call("POST", "/letters", student, json=letter_request(past_mentor))
    assert asked_past.status == 201, asked_past.body


async def test_a_rotation_already_over_is_refused(api: Api, stack: Stack) -> None:
    """Created, moved into the past, or named in a mentorship request: a rotation that is
    over was accepted, then offered rooms and mentors for weeks gone."""
    student = await api.signup("student", "Paula Past")
    base = {"hospital_id": "the-johns-hopkins-hospital-baltimore-md", "specialty": "cardiology"}
    # Yesterday is over everywhere; today may not be yet (UTC-12 decides), tomorrow is not.
    for start, end in ((-40, -12), (-20, -1)):
        r = await api.call(
            "POST", "/rotations", student, json=base | {"start_date": future(start), "end_date": future(end)}
        )
        assert r.status == 400 and r.error_code == "validation", (start, end, r.body)
        assert [d["field"] for d in r.body["error"]["details"]] == ["end_date"], r.body
    ending_tomorrow = await api.call(
        "POST", "/rotations", student, json=base | {"start_date": future(-20), "end_date": future(1)}
    )
    assert ending_tomorrow.status == 201, ending_tomorrow.body

    mine = await rotation(api, student)
    path = f"/rotations/{mine['id']}"
    moved = await api.call("PATCH", path, student, json={"start_date": future(-30), "end_date": future(-2)})
    assert moved.status == 400 and [d["field"] for d in moved.body["error"]["details"]] == ["end_date"], moved.body
    assert (await api.call("PATCH", path, student, json={"end_date": future(60)})).status == 200

    # A rotation that ended since (its dates set in the past, as time would): no request.
    pool = await create_pool(stack.service_url("matching"), "matching", size=1)
    try:
        await pool.execute(
            "UPDATE rotations SET start_date = current_date - 30, end_date = current_date - 2 WHERE id = $1",
            uuid.UUID(mine["id"]),
        )
    finally:
        await pool.close()
    # Its budget can still change: only its dates are held to "after today".
    assert (await api.call("PATCH", path, student, json={"monthly_budget": 900})).status == 200
    mentor = await api.signup("professional", "Dr. Too Late")
    await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=2)
    body = {"mentor_id": mentor.id, "rotation_id": mine["id"], "message": "Hello"}
    late = await eventually(
        lambda: api.call("POST", "/mentorships", student, json=body),
        10,
        what="matching to know the mentor",
        until=lambda r: r.status != 404,
        interval=0.1,
    )
    assert late.status == 400 and late.error_code == "validation", late.body
    assert [d["field"] for d in late.body["error"]["details"]] == ["rotation_id"], late.body
    assert "over" in late.body["error"]["message"]


async def test_a_mentor_at_capacity_reads_what_frees_a_place(api: Api) -> None:
    """The mentor pressing Accept read "this mentor has no capacity left (1 mentees)"."""
    mentor = await api.signup("professional", "Dr. One Place")
    await profile(api, mentor, open_to_mentoring=True, mentoring_capacity=1)
    body = {"mentor_id": mentor.id, "message": "Hello"}
    ids = []
    for name in ("First Student", "Second Student"):
        student = await api.signup("student", name)
        asked = await eventually(
            lambda: api.call("POST", "/mentorships", student, json=body),  # noqa: B023 (awaited here)
            10,
            what="matching to know the mentor",
            until=lambda r: r.status == 201,
            interval=0.1,
        )
        ids.append(asked.body["id"])
    assert (await api.call("POST", f"/mentorships/{ids[0]}/accept", mentor)).status == 200
    full = await api.call("POST", f"/mentorships/{ids[1]}/accept", mentor)
    assert full.status == 409, full.body
    assert full.body["error"]["message"] == (
        "You have no places left (1 of 1 taken): raise your mentoring capacity on your profile,"
        " or end a mentorship, to accept another"
    )
