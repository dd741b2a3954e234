"""A rotation that is over (a past one kept, or one whose last day came) offered rooms for
nights gone ("We will notify you when one is posted") and mentors to ask about it, which the
API now refuses: its page says it is over and matches nothing, and the list marks it."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import asyncpg
from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import FARGO, Client, Pages, future


def _move_into_the_past(stack: Stack, rotation_id: str) -> None:
    """What a rotation created months ago is today (the API refuses one already over)."""

    async def move() -> None:
        assert stack.database_url
        conn = await asyncpg.connect(stack.database_url)
        try:
            start = date.today() - timedelta(days=40)
            await conn.execute(
                "UPDATE matching.rotations SET start_date = $2, end_date = $3 WHERE id = $1",
                uuid.UUID(rotation_id),
                start,
                start + timedelta(days=28),
            )
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, move()).result()


def test_a_rotation_that_is_over_says_so_and_matches_nothing(pages: Pages, stack: Stack) -> None:
    page = pages.open("student")
    as_student = Client(page.request, pages.mailbox)
    as_student.sign_up("student", "Past Student")
    body = {"hospital_id": FARGO, "specialty": "surgery", "start_date": future(20), "end_date": future(48)}
    past = as_student.call("POST", "/rotations", body)
    _move_into_the_past(stack, past["id"])

    page.goto(f"/#/rotations/{past['id']}")
    expect(page.get_by_role("status").filter(has_text="This rotation is over")).to_be_visible()
    expect(page.get_by_role("list", name="Room matches")).to_have_count(0)
    expect(page.get_by_role("list", name="Mentor matches")).to_have_count(0)
    expect(page.get_by_role("link", name="Search all rooms near this hospital")).to_have_count(0)
    expect(page.get_by_role("button", name="Change dates")).to_be_visible()
    expect(page.get_by_role("button", name="Delete this rotation")).to_be_visible()

    page.goto("/#/rotations")
    card = page.get_by_role("list", name="Rotations").get_by_role("listitem")
    expect(card).to_contain_text(" · over")
    assert pages.errors == []
