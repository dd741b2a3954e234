"""Shared steps of the mentoring end-to-end tests: an accepted pair, a moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.matching import jobs
from services.runner import Stack
from shared.db import create_pool
from shared.settings import Settings
from tests.api import Api, Response, User
from tests.e2e.helpers import future
from tests.e2e.test_matching import profile
from tests.eventually import eventually


async def accepted_pair(
    api: Api, rotation_id: str | None = None, student: User | None = None
) -> tuple[User, User, str]:
    """A student and a mentor (Maryland hospital) with an accepted mentorship."""
    student = student or await api.signup("student", "Ada Student")
    mentor = await api.signup("professional", "Dr. Grace Mentor")
    await profile(
        api,
        mentor,
        open_to_mentoring=True,
        mentoring_capacity=3,
        hospital_ids=["the-johns-hopkins-hospital-baltimore-md"],
    )
    body: dict[str, Any] = {"mentor_id": mentor.id, "message": "Hello"}
    if rotation_id:
        body["rotation_id"] = rotation_id

    async def ask() -> Response:
        return await api.call("POST", "/mentorships", student, json=body)

    request = (
        await eventually(ask, 10, what="matching to know the mentor", until=lambda r: r.status == 201, interval=0.1)
    ).body
    accepted = await api.call("POST", f"/mentorships/{request['id']}/accept", mentor)
    assert accepted.status == 200, accepted.body
    return student, mentor, request["id"]


def at(days: float = 0, hours: float = 0) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, hours=hours)
    return moment.isoformat().replace("+00:00", "Z")


async def sweep_at(stack: Stack, offset: timedelta) -> int:
    """One pass of matching's reminder job with the clock moved by ``offset`` (the
    setting the running service reads too), instead of waiting for the days to pass."""
    pool = await create_pool(stack.service_url("matching"), "matching", size=2)
    try:
        return await jobs.sweep(pool, Settings(clock_offset_s=offset.total_seconds()))
    finally:
        await pool.close()


async def notifications(api: Api, user: User) -> list[dict[str, Any]]:
    r = await api.call("GET", "/notifications", user, params={"limit": "100"})
    assert r.status == 200, r.body
    return r.body["items"]  # type: ignore[no-any-return]


async def write_plan(
    api: Api, author: User, other: User, mentorship_id: str, words: str, *, meeting_in_days: float = 3
) -> dict[str, str]:
    """``author``'s part of an accepted mentorship's plan, each text naming ``words``: a
    goal, a meeting they propose at a place ``meeting_in_days`` ahead (``other`` accepts
    it; a pair's meetings may not overlap, so each part of one plan takes another day), a
    shared note on it, a private note and their mid-rotation check-in answer. The texts,
    and the meeting's id."""
    texts = {
        "goal": f"Goal of {words}",
        "place": f"Place of {words}",
        "shared": f"Shared note of {words}",
        "private": f"Private note of {words}",
        "answer": f"Answer of {words}",
    }
    base = f"/mentorships/{mentorship_id}"
    r = await api.call("POST", f"{base}/goals", author, json={"title": texts["goal"]})
    assert r.status == 201, r.body
    r = await api.call(
        "POST", f"{base}/meetings", author, json={"options": [at(days=meeting_in_days)], "place": texts["place"]}
    )
    assert r.status == 201, r.body
    meeting = r.body["meetings"][-1]
    r = await api.call(
        "POST", f"/meetings/{meeting['id']}/accept", other, json={"starts_at": meeting["options"][0]["utc"]}
    )
    assert r.status == 200, r.body
    for note in ({"meeting_id": meeting["id"], "body": texts["shared"]}, {"private": True, "body": texts["private"]}):
        r = await api.call("POST", f"{base}/notes", author, json=note)
        assert r.status == 201, r.body
    check_in = {"stage": "mid", "usefulness": 4, "change": texts["answer"]}
    r = await api.call("POST", f"{base}/check-ins", author, json=check_in)
    assert r.status == 201, r.body
    return texts | {"meeting_id": meeting["id"]}


def letter_request(writer: User, **overrides: Any) -> dict[str, Any]:
    """A student's request to ``writer`` for an ERAS letter (Letter ID, waived), due in 20 days."""
    return {
        "writer_id": writer.id,
        "specialty": "Internal Medicine",
        "programs": 25,
        "deadline": future(20),
        "application": "eras",
        "eras_letter_id": f"L{writer.id[:8]}",
        "waived": True,
        "message": "Could you write about my month on your team?",
    } | overrides
