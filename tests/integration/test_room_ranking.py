"""A rotation's room ranking from the candidates' columns (one query, ``store/candidates.py``,
scored by ``engine/room_columns.py``) is exactly the per-object reference's on the same
rows in a real Postgres: the rows as ``listings_near`` and ``_offers`` read them, one
``ListingInput`` each, ranked by ``rank_rooms`` (``room_score``)."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import asyncpg
import pytest

from services.matching import domain, ranking, store
from services.matching.engine.scoring import rank_rooms
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS
from shared import hospitals
from shared.contracts.accounts import UserData
from shared.contracts.listings import BookingData, ListingData
from shared.db import create_pool, migrate

HOSPITAL = "the-johns-hopkins-hospital-baltimore-md"
START = date(2027, 3, 1)
# Tags as people write them: cases, spacing, quotes, brackets, commas, accents, emoji.
TAGS = ["Cardiology", " cardiology", "pediatrics", 'the "best" ward', "[icu]", "a, b", "Médecine", "🩺", "amwa"]
LANGUAGES = ["en", "EN", "yo", "es", "fr "]


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "matching", "services.matching.migrations")
    pool = await create_pool(fresh_db, "matching", size=2)
    yield pool
    await pool.close()


async def seed(pool: asyncpg.Pool, student: uuid.UUID) -> None:
    rnd = random.Random(20261204)
    hospital = hospitals.lookup(HOSPITAL)
    hosts = [uuid.uuid4() for _ in range(120)] + [student]
    async with pool.acquire() as conn:
        for i, host in enumerate(hosts[:100]):  # 20 hosts have no profile yet: blanks
            await store.project_profile(
                conn,
                UserData(
                    user_id=host,
                    version=1,
                    role="professional",
                    display_name=f"Dr. {i}",
                    medical_school=rnd.choice([None, "School of Medicine 7", "school of  medicine 7", "Other"]),
                    school_country=rnd.choice([None, "NG", " ng", "US"]),
                    languages=rnd.sample(LANGUAGES, rnd.randint(0, 3)),
                    specialties=rnd.sample(TAGS, rnd.randint(0, 3)),
                    organizations=rnd.sample(["amwa", "AMWA", "nma", 'x"]'], rnd.randint(0, 2)),
                    open_to_mentoring=rnd.random() < 0.3,
                ),
            )
        # A profile stored before its lists were sent: JSON nulls, not arrays.
        await conn.execute(
            'UPDATE profiles SET data = data || \'{"specialties": null, "languages": null}\' WHERE user_id = $1',
            hosts[0],
        )
        await store.project_profile(
            conn,
            UserData(
                user_id=student,
                version=1,
                role="student",
                display_name="Student",
                medical_school="School of Medicine 7",
                school_country="NG",
                languages=["en", "yo"],
                specialties=["cardiology", "[icu]"],
                organizations=["amwa"],
            ),
        )
        for _ in range(1500):
            km, bearing = rnd.uniform(0, 55), rnd.uniform(0, 2 * math.pi)
            dlat = math.degrees(km / 6378.168)
            opens = START + timedelta(days=rnd.randint(-40, 20))
            listing_id = uuid.uuid4()
            await store.project_listing(
                conn,
                ListingData(
                    listing_id=listing_id,
                    version=1,
                    host_id=rnd.choice(hosts),
                    title="Room",
                    room_type=rnd.choice(["private_room", "entire_place", "shared_room"]),
                    latitude=hospital.latitude + dlat * math.cos(bearing),
                    longitude=hospital.longitude + dlat * math.sin(bearing) / math.cos(math.radians(hospital.latitude)),
                    monthly_rent=rnd.randint(600, 3000),
                    amenities=rnd.sample(["wifi", "WiFi", "desk", "free parking", "Free_Parking", "🧺 washer"], 3),
                    available_from=opens,
                    available_to=opens + timedelta(days=rnd.randint(10, 120)),
                    min_stay_nights=rnd.randint(1, 30),
                    status=rnd.choice(["active"] * 9 + ["archived"]),
                    review_average=rnd.choice([None, round(rnd.uniform(1, 5), 2)]),
                    review_count=rnd.randint(0, 20),
                ),
            )
            for _ in range(rnd.choice([0, 0, 0, 1, 2])):
                check_in = START + timedelta(days=rnd.randint(-10, 40))
                await store.project_booking(
                    conn,
                    BookingData(
                        booking_id=uuid.uuid4(),
                        version=1,
                        listing_id=listing_id,
                        guest_id=uuid.uuid4(),
                        host_id=hosts[0],
                        check_in=check_in,
                        check_out=check_in + timedelta(days=rnd.randint(1, 25)),
                        status=rnd.choice(["accepted", "confirmed", "completed", "cancelled", "requested"]),
                        total_cents=1000,
                    ),
                )


async def test_the_columnar_ranking_is_the_per_object_one(pool: asyncpg.Pool) -> None:
    student = uuid.uuid4()
    await seed(pool, student)
    hospital = hospitals.lookup(HOSPITAL)
    variants = [
        {"specialty": "cardiology", "monthly_budget": 1500, "room_types": [], "amenities": []},
        {"specialty": "Pediatrics", "monthly_budget": None, "room_types": ["private_room"], "amenities": ["wifi"]},
        {"specialty": "[icu]", "monthly_budget": 900, "room_types": [], "amenities": ["free parking", "desk"]},
    ]
    for nights, fields in zip((42, 28, 14), variants, strict=True):
        rotation_id = uuid.uuid4()
        end = START + timedelta(days=nights)
        await store.insert_rotation(
            pool, rotation_id, student, {"hospital_id": HOSPITAL, "start_date": START, "end_date": end, **fields}
        )
        row = await store.rotation(pool, rotation_id)
        assert row is not None
        columnar = await ranking.rank_rooms_for(pool, row)
        rows = await store.listings_near(
            pool, hospital.latitude, hospital.longitude, DEFAULT_ROOM_WEIGHTS.max_distance_km, START, end, student
        )
        offers = await ranking._offers(pool, row, rows)
        expected = rank_rooms(domain.rotation_input(row, hospital), offers.student, offers.listings.values())
        assert 100 < len(expected) < len(rows)  # some excluded by the engine (stays, minimum stays)
        assert [str(i) for i in columnar.ids_at(0)] == [m.listing_id for m in expected]
        assert columnar.scores.tolist() == [m.score for m in expected]  # to the last bit
