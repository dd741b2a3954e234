"""A hospital's page: rooms near it, mentors affiliated with it and students rotating
there in the viewer's weeks (overlapping one of the viewer's rotations there), each shown
only as their hospital-page visibility allows and with what they share with the viewer;
never a user the viewer blocked or was blocked by, nor their rooms (``store/hospitals.py``)."""

from __future__ import annotations

import uuid

from services.matching import store
from services.matching.domain import hospital_page
from services.matching.store import hospitals as hospital_store
from services.matching.store import plans as plan_store
from shared import clock, geo, hospitals, subjects
from shared.contracts.hospitals import HospitalRef
from shared.contracts.mentoring import HospitalPageRequest, HospitalPeople, NearbyRoom
from shared.paging import decode_key, next_page, row_id
from shared.service import Context, Registry

registry = Registry()

ROOMS_RADIUS_KM = 10.0
ROOMS_SHOWN = 12


def _after(cursor: str | None, field: str) -> uuid.UUID | None:
    """The last id of the page before, from one list's cursor."""
    if not cursor:
        return None
    after: uuid.UUID = decode_key(cursor, row_id, field=field)[0]
    return after


@registry.endpoint(subjects.HOSPITAL_PAGE, HospitalPageRequest)
async def hospital_people(ctx: Context, req: HospitalPageRequest) -> HospitalPeople:
    actor = ctx.require_actor()
    h = hospitals.lookup(req.hospital_id)
    rooms = await hospital_store.rooms_near(
        ctx.pool, h.latitude, h.longitude, ROOMS_RADIUS_KM, ROOMS_SHOWN, actor.user_id
    )
    viewer_profile = await store.profile(ctx.pool, actor.user_id)
    mine = await hospital_store.rotations_at(ctx.pool, h.id, actor.user_id, clock.now(ctx.settings).date())
    specialty = mine[0]["specialty"] if mine else ""
    shown = hospital_page.visibilities_shown_to(actor.role)
    after = _after(req.mentors_cursor, "mentors_cursor")
    rows = await hospital_store.affiliated_mentors(ctx.pool, h.id, actor.user_id, shown, after, req.limit + 1)
    page, mentors_next = next_page(rows, req.limit, key=lambda r: (r["user_id"],))
    mentors = [
        hospital_page.person(dict(r), r["user_id"], actor.user_id, viewer_profile, specialty, peer=False) for r in page
    ]
    peers, peers_next = [], None
    if mine:
        weeks = [(r["start_date"], r["end_date"]) for r in mine]
        after = _after(req.peers_cursor, "peers_cursor")
        rows = await hospital_store.peers(ctx.pool, h.id, actor.user_id, weeks, shown, after, req.limit + 1)
        page, peers_next = next_page(rows, req.limit, key=lambda r: (r["student_id"],))
        peers = [
            hospital_page.person(dict(r), r["student_id"], actor.user_id, viewer_profile, specialty, peer=True)
            for r in page
        ]
    own = await plan_store.settings_row(ctx.pool, actor.user_id)
    return HospitalPeople(
        hospital=HospitalRef(
            id=h.id, name=h.name, city=h.city, state=h.state, latitude=h.latitude, longitude=h.longitude
        ),
        rooms=[
            NearbyRoom(
                id=r["listing_id"],
                title=r["title"],
                room_type=r["room_type"],
                monthly_rent=r["monthly_rent"],
                km=round(geo.great_circle_m(r["chord_m"]) / 1000, 1),
            )
            for r in rooms
        ],
        mentors=mentors,
        peers=peers,
        mentors_next_cursor=mentors_next,
        peers_next_cursor=peers_next,
        your_rotations=len(mine),
        your_visibility=own["hospital_visibility"] if own else "nobody",
    )
