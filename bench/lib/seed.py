"""Seeding of listings for the benchmarks: synthetic listings around the shipped hospitals,
their hosts and stays, written straight into listings' tables in batches (100,000 listings
through the API would take longer than the benchmark), then vacuumed and analyzed so that
no autoanalyze moves the plans mid-run."""

from __future__ import annotations

import math
import random
import time
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
from tqdm import tqdm

from services.listings.domain import public_point
from shared.hospitals import directory as hospital_directory
from shared.places import zone_at
from shared.settings import PLACEHOLDER_SECRET

# The benchmarks' hospital: an extra cluster of listings around it, and the one searched.
HOSPITAL = "the-johns-hopkins-hospital-baltimore-md"
SPREAD_KM = 15.0
ROOM_TYPES = ["private_room"] * 6 + ["entire_place"] * 3 + ["shared_room"]
AMENITIES = [
    "wifi",
    "parking",
    "washer",
    "dryer",
    "kitchen",
    "desk",
    "air_conditioning",
    "pets_allowed",
    "gym",
    "private_bath",
]
STREETS = ["Maple", "Oak", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Main"]


def synthetic_listings(
    n: int, hosts: list[uuid.UUID], today: date, seed: int = 7, secret_key: str = PLACEHOLDER_SECRET
) -> list[tuple[Any, ...]]:
    """``n`` listings around the shipped hospitals: weighted by beds, plus a cluster (3%)
    around the benchmark's hospital. Availability windows cover most dates near today.
    Each at its public position too, as listings would place it with ``secret_key``."""
    rng = random.Random(seed)
    directory = list(hospital_directory())
    weights = [float(h.beds or 50) for h in directory]
    target = next(h for h in directory if h.id == HOSPITAL)
    picks = rng.choices(directory, weights=weights, k=n - n * 3 // 100) + [target] * (n * 3 // 100)
    rng.shuffle(picks)
    rows = []
    for h in picks:
        d = SPREAD_KM * math.sqrt(rng.random())  # uniform over the disc
        bearing = rng.uniform(0, 2 * math.pi)
        lat = h.latitude + d * math.cos(bearing) / 111.32
        lon = h.longitude + d * math.sin(bearing) / (111.32 * max(math.cos(math.radians(h.latitude)), 0.05))
        lat, lon = max(-90.0, min(90.0, lat)), max(-180.0, min(180.0, lon))
        room = rng.choice(ROOM_TYPES)
        if rng.random() < 0.85:  # open from before today for a year or more
            start = today - timedelta(days=rng.randint(0, 90))
            end = today + timedelta(days=rng.randint(150, 540))
        else:  # a window of its own, may or may not cover the searched dates
            start = today + timedelta(days=rng.randint(0, 240))
            end = start + timedelta(days=rng.randint(30, 365))
        created = time.time() - rng.uniform(0, 400 * 86400)
        review_count = rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 13])
        listing_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        rows.append(
            (
                listing_id,
                rng.choice(hosts),
                f"{room.replace('_', ' ').capitalize()} near {h.name.title()}"[:120],
                f"A quiet, furnished {room.replace('_', ' ')} about {d:.1f} km from {h.name.title()} in "
                f"{h.city.title()}, {h.state}. Monthly stays for residents, nurses and students on rotation; "
                "utilities included, flexible move-in, the host answers within a day.",
                room,
                f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St, {h.city.title()}, {h.state} {h.zip}",
                lat,
                lon,
                *public_point(secret_key, listing_id, lat, lon),
                rng.randrange(600, 3600, 25),
                ",".join(rng.sample(AMENITIES, rng.randint(1, 6))),
                start,
                end,
                rng.choice([1, 7, 7, 14, 30, 30, 30, 60]),
                "active" if rng.random() < 0.95 else rng.choice(["draft", "archived"]),
                review_count * rng.randint(3, 5),
                review_count,
                created,
                # The room's zone as listings stores it when it places a room (its hospital's:
                # 15 km from it crosses no zone border that matters here). Without it the
                # listings service zones every seeded room at start, during the run.
                zone_at(h.latitude, h.longitude),
            )
        )
    return rows


INSERT_LISTINGS = """
INSERT INTO listings (id, host_id, title, description, room_type, address, latitude, longitude,
    public_latitude, public_longitude, position, monthly_rent, amenities, house_rules,
    available_from, available_to, min_stay_nights, status, review_sum, review_count, created_at,
    updated_at, time_zone)
SELECT id, host_id, title, description, room_type, address, lat, lon, plat, plon,
       ll_to_earth(plat, plon), rent, string_to_array(amenities, ','), 'No smoking.', af, at,
       min_stay, status, review_sum, review_count, to_timestamp(created), to_timestamp(created), zone
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::int[], $12::text[],
            $13::date[], $14::date[], $15::int[], $16::text[], $17::int[], $18::int[], $19::float8[],
            $20::text[])
     AS t(id, host_id, title, description, room_type, address, lat, lon, plat, plon, rent,
          amenities, af, at, min_stay, status, review_sum, review_count, created, zone)
"""


async def seed(
    dsn: str,
    n: int,
    n_hosts: int,
    window: tuple[date, date],
    *,
    booked: float = 0.08,
    overlap: float = 0.33,
    batch: int = 5000,
) -> dict[str, Any]:
    """``n`` listings of ``n_hosts`` hosts and stays on ``booked`` of them (``overlap`` of
    those over ``window``, the searched dates) in ``dsn``'s listings schema; the counts."""
    today = date.today()
    rng = random.Random(11)
    hosts = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(n_hosts)]
    rows = synthetic_listings(n, hosts, today)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "listings,public"})
    started = time.perf_counter()
    try:
        await conn.execute(
            "INSERT INTO hosts(user_id, display_name, verified)"
            " SELECT u, 'Host ' || left(u::text, 8), random() < 0.6 FROM unnest($1::uuid[]) u"
            " ON CONFLICT DO NOTHING",
            hosts,
        )
        with tqdm(total=n, unit="listing", unit_scale=True, ncols=80, desc="seeding") as bar:
            for i in range(0, n, batch):
                chunk = rows[i : i + batch]
                await conn.execute(INSERT_LISTINGS, *[list(col) for col in zip(*chunk, strict=True)])
                bar.update(len(chunk))
        # Stays on ``booked`` (8%) of the active listings (80% accepted, the rest requested);
        # ``overlap`` (a third) of them overlap the searched window, so the NOT EXISTS filter
        # has work to do (--overlap 1: dates everybody wants, like the start of a rotation).
        f, t = window
        bookings = await conn.execute(
            """
            INSERT INTO bookings (id, listing_id, guest_id, host_id, stay, total_cents, status,
                                  expires_at, decided_at)
            SELECT gen_random_uuid(), id, gen_random_uuid(), host_id, daterange(s, s + 21),
                   21 * monthly_rent * 12 * 100 / 365,
                   CASE WHEN random() < 0.8 THEN 'accepted' ELSE 'requested' END,
                   now() + interval '2 days', now()
            FROM (SELECT l.*, CASE WHEN random() < $3 THEN $1::date + (random() * 30)::int
                                   ELSE $2::date + 10 + (random() * 60)::int END AS s
                  FROM listings l WHERE l.status = 'active' AND random() < $4) x
            """,
            f,
            t,
            overlap,
            booked,
        )
        for table in ("listings", "hosts", "bookings", "hospitals"):
            # VACUUM too: sets the visibility map (index-only scans) and leaves autovacuum
            # nothing to do, so no autoanalyze changes the statistics during the run.
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM listings) AS listings,"
            " (SELECT count(*) FROM listings WHERE status = 'active') AS active,"
            " (SELECT count(*) FROM bookings WHERE status = 'accepted') AS accepted,"
            " (SELECT count(*) FROM bookings WHERE status = 'accepted'"
            "   AND stay && daterange($2, $3)) AS overlapping,"
            " (SELECT count(*) FROM listings l, hospitals h WHERE h.id = $1 AND l.status = 'active'"
            "   AND earth_box(h.position, 25000) @> l.position"
            "   AND earth_distance(h.position, l.position) <= 25000) AS near_target",
            HOSPITAL,
            f,
            t,
        )
    finally:
        await conn.close()
    return {**dict(counts), "bookings": int(bookings.split()[-1]), "seconds": round(time.perf_counter() - started, 1)}
