"""A hospital's page: rooms near it, mentors affiliated with it and students rotating
there in the viewer's weeks (overlapping one of the viewer's rotations there), each shown
only as their hospital-page visibility allows and with what they share with the viewer;
never a user the viewer blocked or was blocked by, nor their rooms (``store/hospitals.py``)."""

from __future__ import annotations

from services.matching import store
from services.matching.domain import hospital_page
from services.matching.store import hospitals as hospital_store
from services.matching.store import plans as plan_store
from shared import clock, geo, hospitals, subjects
from shared.contracts.hospitals import HospitalRef
from shared.contracts.mentoring import HospitalPageRequest, HospitalPeople, NearbyRoom
from shared.service import Context, Registry

registry = Registry()

ROOMS_RADIUS_KM = 10.0
ROOMS_SHOWN = 12


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
    mentors = [
        hospital_page.person(dict(r), r["user_id"], actor.user_id, viewer_profile, specialty, peer=False)
        for r in await hospital_store.affiliated_mentors(ctx.pool, h.id, actor.user_id)
        if hospital_page.visible_to(r["visibility"], actor.role)
    ]
    peers = []
    if mine:
        weeks = [(r["start_date"], r["end_date"]) for r in mine]
        for r in await hospital_store.peers(ctx.pool, h.id, actor.user_id, weeks):
            if hospital_page.visible_to(r["visibility"], actor.role):
                peers.append(
                    hospital_page.person(dict(r), r["student_id"], actor.user_id, viewer_profile, specialty, peer=True)
                )
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
        your_rotations=len(mine),
        your_visibility=own["hospital_visibility"] if own else "nobody",
    )
