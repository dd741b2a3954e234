"""A hospital's page over HTTP: mentors affiliated with it and students rotating there in
the viewer's weeks appear only as their privacy settings allow, each with what they share
with the viewer; rooms near it; an unknown hospital is a 404. Operators' outcomes per
hospital and month."""

from __future__ import annotations

from typing import Any

from services.runner import Stack
from tests.api import Api, User
from tests.e2e.helpers import create_listing, future
from tests.e2e.mentoring import accepted_pair, at
from tests.e2e.test_matching import profile, rotation
from tests.e2e.test_rounds import operator
from tests.eventually import eventually

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

    def complete(r: Any) -> bool:
        # Profiles (organizations, school country, affiliations) reach matching through
        # events, after the calls that changed them answered: wait for every one.
        body = r.body
        return (
            r.status == 200
            and bool(body["rooms"])
            and any("you are both AMWA members" in p["reasons"] for p in body["mentors"])
            and any("you both studied in India" in p["reasons"] for p in body["peers"])
        )

    page = (
        await eventually(
            lambda: api.call("GET", path, viewer), 10, what="the hospital page complete", until=complete, interval=0.1
        )
    ).body
    assert names(page["mentors"]) == {"Dr. Open To Students"}
    assert names(page["peers"]) == {"Peer Same Weeks"}
    reasons = page["peers"][0]["reasons"]
    assert reasons[0] == "also rotating in Cardiology" and "you are both AMWA members" in reasons
    assert "you both studied in India" in reasons
    assert "you are both AMWA members" in page["mentors"][0]["reasons"]
    assert page["rooms"][0]["title"] == "Room by Wyoming Medical" and page["rooms"][0]["km"] < 2
    assert page["your_rotations"] == 1 and page["your_visibility"] == "nobody"
    # A second rotation after the other peer's weeks: the weeks between the viewer's two
    # rotations are not theirs, so that peer stays hidden.
    await rotation(api, viewer, hospital_id=CASPER[0], specialty="cardio", start_date=future(130), end_date=future(150))
    again = (await api.call("GET", path, viewer)).body
    assert again["your_rotations"] == 2 and names(again["peers"]) == {"Peer Same Weeks"}, again["peers"]

    # A professional sees the mentor open to professionals and none of the students.
    colleague = await api.signup("professional", "Colleague")
    seen = (
        await eventually(
            lambda: api.call("GET", path, colleague),
            10,
            what='r.status == 200 and r.body["mentors"]',
            until=lambda r: r.status == 200 and r.body["mentors"],
            interval=0.1,
        )
    ).body
    assert names(seen["mentors"]) == {"Dr. Only For Professionals"} and seen["peers"] == []
    # A student with no rotation there has no weeks to share: no peers.
    elsewhere = await api.signup("student", "Elsewhere")
    assert (await api.call("GET", path, elsewhere)).body["peers"] == []
    assert (await api.call("GET", "/hospitals/no-such-hospital/people", viewer)).status == 404
    assert (await api.call("GET", path)).status == 401


async def test_operators_see_outcomes_per_hospital_and_month(api: Api, stack: Stack) -> None:
    """Mentorships, meetings, check-ins and letters counted under the rotation's hospital
    and this month; an average only from three answers; students are refused."""
    hospital = "summit-medical-center-llc-casper-wy"
    admin = await operator(api, stack)
    before = await api.call("GET", "/admin/mentoring/outcomes", admin, params={"months": "1"})
    assert before.status == 200, before.body

    def cell(body: dict[str, Any]) -> dict[str, Any]:
        return next((r for r in body["rows"] if r["hospital_id"] == hospital), {})

    start = cell(before.body)
    student = await api.signup("student", "Outcome Student")
    # Under way past its middle: the mid-rotation check-in is due.
    mine = await rotation(api, student, hospital_id=hospital, start_date=future(-20), end_date=future(10))
    _, mentor_user, mentorship_id = await accepted_pair(api, mine["id"], student)
    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", student, json={"options": [at(days=3)]})
    meeting = r.body["meetings"][0]
    await api.call(
        "POST", f"/meetings/{meeting['id']}/accept", mentor_user, json={"starts_at": meeting["options"][0]["utc"]}
    )
    assert (await api.call("POST", f"/meetings/{meeting['id']}/held", student)).status == 200
    check = {"stage": "mid", "usefulness": 5}
    assert (await api.call("POST", f"/mentorships/{mentorship_id}/check-ins", student, json=check)).status == 201
    letter = {
        "writer_id": mentor_user.id,
        "specialty": "Surgery",
        "deadline": future(30),
        "application": "other",
        "waived": False,
    }
    assert (await api.call("POST", "/letters", student, json=letter)).status == 201

    after = cell((await api.call("GET", "/admin/mentoring/outcomes", admin, params={"months": "1"})).body)
    for key in ("mentorships_requested", "mentorships_accepted", "meetings_held", "check_ins", "letters_requested"):
        assert after[key] == start.get(key, 0) + 1, key
    assert after["check_in_average"] is None or start.get("check_ins", 0) + 1 >= 3
    assert (
        "Mentoring outcomes by month" in (await api.call("GET", "/admin/mentoring/outcomes", admin)).body["chart_svg"]
    )
    assert (await api.call("GET", "/admin/mentoring/outcomes", student)).status == 403
    assert (await api.call("GET", "/admin/mentoring/stalled", student)).status == 403
    assert (await api.call("GET", "/admin/mentoring/stalled", admin)).status == 200
