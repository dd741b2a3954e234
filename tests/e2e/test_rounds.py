"""Cohort match rounds over HTTP: an operator queues a round, it runs in the background
with progress, the result is stable (the independent checker's blocking pairs: 0), a
scramble round places what the first left unmatched over the seats left, and accepting a
round turns its matches into mentorship requests. Only operators reach any of it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from xml.etree import ElementTree

import asyncpg

from services.accounts.admin import ensure_admin
from services.demo import ADMIN
from services.runner import Stack
from tests.api import Api, User, random_email
from tests.e2e.test_matching import profile, rotation
from tests.eventually import eventually

# A hospital and a month of their own: a selection takes every rotation that fits.
HELENA = "st-peters-health-helena-mt"


async def operator(api: Api, stack: Stack) -> User:
    email = random_email("operator")
    await ensure_admin(stack.service_url("accounts"), email, ADMIN[1])
    login = await api.call("POST", "/auth/login", json={"email": email, "password": ADMIN[1]})
    assert login.status == 200, login.body
    return User(login.body["user"]["id"], login.body["token"], email, "admin")


async def mentor(api: Api, capacity: int, **fields: Any) -> User:
    """A professional open to mentoring, once matching's projection has the profile."""
    user = await api.signup("professional", f"Dr. Cap {capacity}")
    await profile(api, user, open_to_mentoring=True, mentoring_capacity=capacity, specialties=["cardiology"], **fields)
    return user


async def finished(api: Api, admin: User, round_id: str) -> dict[str, Any]:
    answer = await eventually(
        lambda: api.call("GET", f"/admin/match-rounds/{round_id}", admin),
        30,
        what="the round to finish",
        until=lambda r: r.status == 200 and r.body["status"] in ("done", "failed"),
        interval=0.1,
    )
    assert answer.body["status"] == "done", answer.body
    return answer.body  # type: ignore[no-any-return]


async def assignment(api: Api, admin: User, round_id: str) -> dict[str, str | None]:
    r = await api.call("GET", f"/admin/match-rounds/{round_id}/assignments", admin, params={"limit": "2"})
    assert r.status == 200, r.body
    items = r.body["items"]
    while r.body["next_cursor"]:  # pages of 2: the cursor is used
        r = await api.call(
            "GET",
            f"/admin/match-rounds/{round_id}/assignments",
            admin,
            params={"limit": "2", "cursor": r.body["next_cursor"]},
        )
        items += r.body["items"]
    return {a["rotation_id"]: a["mentor_id"] for a in items}


async def professionals_known(stack: Stack, mentors: list[User]) -> None:
    """Wait until matching's projection holds every mentor's profile as it is now (open
    to mentoring, with their hospitals): events reach it asynchronously."""
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    try:
        await eventually(
            lambda: conn.fetchval(
                "SELECT count(*) FROM matching.profiles WHERE user_id = ANY($1::uuid[])"
                " AND (data->>'open_to_mentoring')::boolean AND (data->>'mentoring_capacity')::int > 0",
                [m.id for m in mentors],
            ),
            what="matching to hold every mentor open to mentoring",
            until=lambda known: known == len(mentors),
        )
    finally:
        await conn.close()


async def test_a_round_with_given_lists_then_its_scramble_then_accepted(api: Api, stack: Stack) -> None:
    admin = await operator(api, stack)
    a, b = await mentor(api, 2), await mentor(api, 1)
    students = [await api.signup("student", f"Student {i}") for i in range(3)]
    rots = [await rotation(api, s) for s in students]
    await professionals_known(stack, [a, b])
    s1, s2, s3 = (r["id"] for r in rots)
    body = {
        "rotation_ids": [s1, s2, s3],
        "mentor_ids": [a.id, b.id],
        # s3 ranks only b, whom s1 takes: unmatched, though a keeps a seat.
        "preferences": {
            "students": {s1: [b.id], s2: [b.id, a.id], s3: [b.id]},
            "mentors": {a.id: [s2, s1, s3], b.id: [s1, s2, s3]},
        },
    }
    queued = await api.call("POST", "/admin/match-rounds", admin, json=body)
    assert queued.status == 202 and queued.body["status"] in ("queued", "running", "done"), queued.body
    done = await finished(api, admin, queued.body["id"])
    assert (done["matched"], done["unmatched"], done["seats"], done["unfilled_seats"]) == (2, 1, 3, 1)
    assert done["rank_distribution"] == {"1": 1, "2": 1} and done["blocking_pairs"] == 0
    assert done["progress"]["stage"] == "finished"
    chart = ElementTree.fromstring(done["chart_svg"])
    bars = [e for e in chart.iter("{http://www.w3.org/2000/svg}rect") if e.find("{*}title") is not None]
    assert [bar.find("{*}title").text for bar in bars] == ["1st: 1", "2nd: 1", "none: 1"]  # type: ignore[union-attr]
    assert await assignment(api, admin, done["id"]) == {s1: b.id, s2: a.id, s3: None}

    # The scramble: s3 alone, over the seat a has left (b has none), lists from the scores.
    scramble = await api.call("POST", "/admin/match-rounds", admin, json={"scramble_of": done["id"]})
    assert scramble.status == 202 and scramble.body["kind"] == "scramble", scramble.body
    second = await finished(api, admin, scramble.body["id"])
    assert (second["students"], second["matched"], second["seats"]) == (1, 1, 1)
    assert await assignment(api, admin, second["id"]) == {s3: a.id}

    # Accepting the first round: two mentorship requests, each with its rotation.
    accepted = await api.call("POST", f"/admin/match-rounds/{done['id']}/accept", admin)
    assert accepted.status == 200 and accepted.body["status"] == "accepted", accepted.body
    assert accepted.body["requests_made"] == 2
    mine = await api.call("GET", "/me/mentorships", students[0])
    assert [(m["mentor"]["id"], m["rotation_id"], m["status"]) for m in mine.body["items"]] == [(b.id, s1, "requested")]
    # Its words say who sent it: not the student's "I would be glad to have you", never written.
    assert mine.body["items"][0]["message"].startswith("Sent by Wardmate's cohort match"), mine.body
    again = await api.call("POST", f"/admin/match-rounds/{done['id']}/accept", admin)
    assert again.status == 409 and again.error_code == "conflict"
    listed = await api.call("GET", "/admin/match-rounds", admin, params={"limit": "100"})
    assert {done["id"], second["id"]} <= {r["id"] for r in listed.body["items"]}


async def test_a_selection_takes_a_hospitals_month_and_its_affiliated_mentors(api: Api, stack: Stack) -> None:
    admin = await operator(api, stack)
    far = date.today().replace(day=1)
    month = f"{far.year + 2}-{far.month:02d}"
    start = f"{month}-05"
    end = f"{month}-26"
    students = [await api.signup("student", f"Helena {i}") for i in range(4)]
    rots = [
        await rotation(api, s, hospital_id=HELENA, start_date=start, end_date=end, specialty="cardiology")
        for s in students
    ]
    near = await mentor(api, 3, hospital_ids=[HELENA])
    elsewhere = await mentor(api, 3)  # affiliated with no hospital: not in the selection
    await professionals_known(stack, [near, elsewhere])
    r = await api.call(
        "POST", "/admin/match-rounds", admin, json={"selection": {"hospital_id": HELENA, "month": month}}
    )
    assert r.status == 202, r.body
    done = await finished(api, admin, r.body["id"])
    assert (done["students"], done["mentors"], done["matched"], done["unmatched"]) == (4, 1, 3, 1)
    assert done["blocking_pairs"] == 0 and sum(done["rank_distribution"].values()) == 3
    matched = await assignment(api, admin, done["id"])
    assert set(matched) == {r["id"] for r in rots} and set(matched.values()) == {near.id, None}


async def test_rounds_are_for_operators_and_check_their_input(api: Api, stack: Stack) -> None:
    admin = await operator(api, stack)
    student = await api.signup("student")
    professional = await api.signup("professional")
    rot = await rotation(api, student)
    body = {"rotation_ids": [rot["id"]], "mentor_ids": [professional.id]}
    for user in (student, professional):
        assert (await api.call("POST", "/admin/match-rounds", user, json=body)).status == 403
        assert (await api.call("GET", "/admin/match-rounds", user)).status == 403
    unknown = str(uuid.uuid4())
    assert (await api.call("GET", f"/admin/match-rounds/{unknown}", admin)).status == 404
    assert (await api.call("GET", f"/admin/match-rounds/{unknown}/assignments", admin)).status == 404
    assert (await api.call("POST", f"/admin/match-rounds/{unknown}/accept", admin)).status == 404
    assert (await api.call("POST", "/admin/match-rounds", admin, json={"scramble_of": unknown})).status == 404
    bad = [
        {},
        {"rotation_ids": [rot["id"]]},
        {
            "rotation_ids": [rot["id"]],
            "mentor_ids": [professional.id],
            "selection": {"hospital_id": HELENA, "month": "2027-03"},
        },
        {"rotation_ids": [unknown], "mentor_ids": [professional.id]},
        {"rotation_ids": [rot["id"]], "mentor_ids": [student.id]},  # not a professional
        {"rotation_ids": [rot["id"], rot["id"]], "mentor_ids": [professional.id]},
        {**body, "preferences": {"students": {rot["id"]: [unknown]}, "mentors": {professional.id: [rot["id"]]}}},
        {**body, "preferences": {"students": {}, "mentors": {professional.id: [rot["id"]]}}},
        {"selection": {"hospital_id": "no-such-hospital-xx", "month": "2027-03"}},
        {"selection": {"hospital_id": HELENA, "month": "2027-13"}},
        {"selection": {"hospital_id": HELENA, "month": "2027-03", "radius_km": -1}},
    ]
    before = await api.call("GET", "/admin/match-rounds", admin, params={"limit": "100"})
    for wrong in bad:
        r = await api.call("POST", "/admin/match-rounds", admin, json=wrong)
        assert r.status == 400 and r.error_code == "validation", (wrong, r.body)
    after = await api.call("GET", "/admin/match-rounds", admin, params={"limit": "100"})
    assert [x["id"] for x in after.body["items"]] == [x["id"] for x in before.body["items"]]  # nothing queued
