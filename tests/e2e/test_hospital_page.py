"""A hospital's page over HTTP: mentors affiliated with it and students rotating there in
the viewer's weeks appear only as their privacy settings allow, each with what they share
with the viewer; rooms near it; an unknown hospital is a 404."""

from __future__ import annotations

from typing import Any

from tests.api import Api, User
from tests.e2e.helpers import create_listing, future
from tests.e2e.test_matching import profile, rotation, until

# A hospital no other test uses: these people are the only ones there.
CASPER = ("wyoming-medical-center-casper-wy", 42.848077, -106.308823)


async def mentor(api: Api, name: str, visibility: str | None) -> User:
    user = await api.signup("professional", name)
    await profile(
        api, user, hospital_ids=[CASPER[0]], open_to_mentoring=True, mentoring_capacity=1, organizations=["AMWA"]
    )
    if visibility:
        r = await api.call("PATCH", "/me/mentoring-settings", user, json={"hospital_visibility": visibility})
        assert r.status == 200, r.body
    return user


async def peer(api: Api, name: str, visibility: str | None, start: int, end: int) -> User:
    user = await api.signup("student", name)
    await profile(api, user, organizations=["American Medical Women's Association"], school_country="IN")
    await rotation(
        api, user, hospital_id=CASPER[0], specialty="Cardiology", start_date=future(start), end_date=future(end)
    )
    if visibility:
        await api.call("PATCH", "/me/mentoring-settings", user, json={"hospital_visibility": visibility})
    return user


def names(people: list[dict[str, Any]]) -> set[str]:
    return {p["display_name"] for p in people}


async def test_people_at_a_hospital_as_their_privacy_allows(api: Api) -> None:
    """Opted-in mentors and overlapping peers show with shared reasons; the others do not."""
    host = await api.signup("professional", "Casper Host")
    await create_listing(api, host, latitude=CASPER[1] + 0.01, longitude=CASPER[2], title="Room by Wyoming Medical")
    await mentor(api, "Dr. Open To Students", "students")
    await mentor(api, "Dr. Hidden", None)
    await mentor(api, "Dr. Only For Professionals", "professionals")
    await peer(api, "Peer Same Weeks", "members", 40, 60)
    await peer(api, "Peer Private", "nobody", 40, 60)
    await peer(api, "Peer Other Weeks", "members", 100, 120)
    viewer = await api.signup("student", "Viewer")
    await profile(api, viewer, organizations=["amwa"], school_country="IN")
    await rotation(api, viewer, hospital_id=CASPER[0], specialty="cardio", start_date=future(45), end_date=future(70))
    path = f"/hospitals/{CASPER[0]}/people"

    page = await until(
        lambda: api.call("GET", path, viewer),
        lambda r: r.status == 200 and r.body["mentors"] and r.body["peers"] and r.body["rooms"],
    )
    assert names(page["mentors"]) == {"Dr. Open To Students"}
    assert names(page["peers"]) == {"Peer Same Weeks"}
    reasons = page["peers"][0]["reasons"]
    assert reasons[0] == "also rotating in Cardiology" and "you are both AMWA members" in reasons
    assert "you both studied in India" in reasons
    assert "you are both AMWA members" in page["mentors"][0]["reasons"]
    assert page["rooms"][0]["title"] == "Room by Wyoming Medical" and page["rooms"][0]["km"] < 2
    assert page["your_rotations"] == 1 and page["your_visibility"] == "nobody"

    # A professional sees the mentor open to professionals and none of the students.
    colleague = await api.signup("professional", "Colleague")
    seen = (await api.call("GET", path, colleague)).body
    assert names(seen["mentors"]) == {"Dr. Only For Professionals"} and seen["peers"] == []
    # A student with no rotation there has no weeks to share: no peers.
    elsewhere = await api.signup("student", "Elsewhere")
    assert (await api.call("GET", path, elsewhere)).body["peers"] == []
    assert (await api.call("GET", "/hospitals/no-such-hospital/people", viewer)).status == 404
    assert (await api.call("GET", path)).status == 401
