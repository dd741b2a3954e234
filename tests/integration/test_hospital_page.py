"""A hospital's page read from matching's own tables: its mentors and peers are the ones
who let the viewer see them, a page at a time, however many others are hidden."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import asyncpg
import pytest

from services.matching.handlers.hospitals import hospital_people
from shared.contracts.base import Actor
from shared.contracts.mentoring import HospitalPageRequest, HospitalPeople
from shared.errors import AppError
from shared.service import Context
from shared.settings import Settings

HOSPITAL = "wyoming-medical-center-casper-wy"
VIEWER = uuid.UUID("88888888-0000-4000-8000-000000000000")


def person(prefix: str, n: int) -> uuid.UUID:
    """The n-th id of a block that sorts before (``0…``) or after (``f…``) the others."""
    return uuid.UUID(f"{prefix * 8}-0000-4000-8000-{n:012d}")


async def add_mentors(pool: asyncpg.Pool, ids: list[uuid.UUID], visibility: str | None) -> None:
    data = {"role": "professional", "display_name": "Dr. M", "hospital_ids": [HOSPITAL], "open_to_mentoring": True}
    await pool.executemany("INSERT INTO profiles(user_id, version, data) VALUES ($1, 1, $2)", [(i, data) for i in ids])
    if visibility:
        await pool.executemany(
            "INSERT INTO member_settings(user_id, hospital_visibility) VALUES ($1, $2)", [(i, visibility) for i in ids]
        )


async def add_peers(pool: asyncpg.Pool, ids: list[uuid.UUID], visibility: str | None, start: date) -> None:
    data = {"role": "student", "display_name": "Peer"}
    await pool.executemany("INSERT INTO profiles(user_id, version, data) VALUES ($1, 1, $2)", [(i, data) for i in ids])
    await pool.executemany(
        "INSERT INTO rotations(id, student_id, hospital_id, specialty, start_date, end_date)"
        " VALUES ($1, $2, $3, 'Cardiology', $4, $5)",
        [(uuid.uuid4(), i, HOSPITAL, start, start + timedelta(days=28)) for i in ids],
    )
    if visibility:
        await pool.executemany(
            "INSERT INTO member_settings(user_id, hospital_visibility) VALUES ($1, $2)", [(i, visibility) for i in ids]
        )


async def page(pool: asyncpg.Pool, **query: str) -> HospitalPeople:
    ctx = Context(Actor(user_id=VIEWER, role="student"), "test", pool, Settings(), None)  # type: ignore[arg-type]
    return await hospital_people(ctx, HospitalPageRequest.model_validate({"hospital_id": HOSPITAL} | query))


async def test_visible_people_show_past_200_hidden_ones_and_every_page_is_reached(matching: asyncpg.Pool) -> None:
    """The page read the first 200 mentors (and peers) by id, then left out those hidden
    from the viewer (everyone who never chose: the default is nobody): past 200 hidden ones,
    a mentor or peer who lets students see them never showed. Hidden ones are left out
    before the limit, and the visible ones come a page at a time, each list with its cursor."""
    start = date.today() + timedelta(days=30)
    await add_mentors(matching, [person("0", n) for n in range(200)], None)
    await add_mentors(matching, [person("1", n) for n in range(30)], "professionals")
    visible_mentors = [person("f", n) for n in range(120)]
    await add_mentors(matching, visible_mentors, "students")
    await add_peers(matching, [person("0", 1000 + n) for n in range(200)], "nobody", start)
    visible_peers = [person("f", 1000 + n) for n in range(3)]
    await add_peers(matching, visible_peers, "members", start)
    await add_peers(matching, [VIEWER], None, start + timedelta(days=7))

    first = await page(matching)
    assert [p.id for p in first.mentors] == visible_mentors[:50]
    assert [p.id for p in first.peers] == visible_peers
    assert first.peers_next_cursor is None
    mentors, cursor = [p.id for p in first.mentors], first.mentors_next_cursor
    while cursor:
        more = await page(matching, mentors_cursor=cursor)
        assert [p.id for p in more.peers] == visible_peers  # the other list starts again
        mentors += [p.id for p in more.mentors]
        cursor = more.mentors_next_cursor
    assert mentors == visible_mentors

    with pytest.raises(AppError) as bad:
        await page(matching, mentors_cursor="not-a-cursor")
    assert bad.value.code == "validation"
