"""Room matches through the running system, with the listing search as the reference.

Part of ``make bench-matching`` (``bench/matching.py`` runs it after its two rounds):

1. starts a fresh system (fsync off, services at WARNING, no per-address rate limit) and
   seeds 100,000 listings, 25,000 hosts and their stays as ``bench/search.py`` does
   (``bench.lib.seed``);
2. copies them into matching's projection (what its consumers build from the events, in
   one statement instead of 200,000 events) and gives every host a profile (specialties,
   school, country, languages, organisations) so the host-affinity part has work;
3. signs up students through the API and records rotations at two dense hospitals
   (Lower Manhattan, ~5,200 listings within 50 km; Johns Hopkins, ~3,900) and a sparse
   one (Huntsville, ~210);
4. loads ``GET /api/v1/rotations/{id}/room-matches`` at concurrency 16 with wrk (a Lua
   script cycles through the rotations' pages 1 and 2), then the listing search at the
   same concurrency as the reference, each after a warm-up, in alternating rounds;
5. Johns Hopkins (~3,400 candidates within 50 km): a new rotation's first page through
   the gateway, one request at a time, 100 times cold (before each, the epochs of the
   regions within the hospital's reach move, as a change of a listing there would, so the
   cached ranking is dropped and computed anew) and 200 times warm (the ranking kept);
   then in this process the columnar ranking and, as reference, the per-object path it
   replaced, on the same rows (their ids and scores must be equal);
6. returns ``hopkins_cold_p99_ms``, ``hopkins_warm_p99_ms``, ``room_matches_p99_ms`` and
   the rest to ``matching.py``, which prints them as its ``RESULT`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench.lib.common import get_json, quantile, say, signup, start_system
from bench.lib.cpu import CpuMeter
from bench.lib.load import Load, ensure_wrk, measure
from bench.lib.seed import HOSPITAL, seed
from services.matching import domain, ranking, store
from services.matching.engine.scoring import rank_rooms
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS as WEIGHTS
from services.matching.store import candidates, regions
from shared import hospitals
from shared.db import create_pool
from shared.geo import EARTH_RADIUS_KM

DENSE = ["new-york-presbyterian-lower-manhattan-hospital-new-york-ny", "the-johns-hopkins-hospital-baltimore-md"]
SPARSE = ["the-huntsville-hospital-huntsville-al"]
HOPKINS = DENSE[1]
SPECIALTIES = ["internal medicine", "cardiology", "pediatrics", "emergency medicine", "neurology", "surgery"]

# Matching's projections, filled from listings' tables (the benchmark's superuser reads
# both schemas; the services never do).
PROJECT = [
    """
    INSERT INTO matching.listings (listing_id, version, host_id, title, room_type, latitude, longitude,
        position, monthly_rent, amenities, available_from, available_to, min_stay_nights, status,
        review_average, review_count)
    SELECT id, 1, host_id, title, room_type, public_latitude, public_longitude,
           ll_to_earth(public_latitude, public_longitude),
           monthly_rent, amenities, available_from, available_to, min_stay_nights, status,
           CASE WHEN review_count > 0 THEN review_sum::float8 / review_count END, review_count
    FROM listings.listings
    """,
    """
    INSERT INTO matching.bookings (booking_id, version, listing_id, guest_id, status, stay)
    SELECT id, 1, listing_id, guest_id, status, stay FROM listings.bookings
    """,
    """
    INSERT INTO matching.profiles (user_id, version, data)
    SELECT user_id, 1, jsonb_build_object(
        'role', 'professional', 'display_name', display_name, 'verified', verified,
        'specialties', jsonb_build_array((ARRAY['internal medicine', 'cardiology', 'pediatrics',
            'emergency medicine', 'neurology', 'surgery', 'psychiatry', 'radiology'])[1 + (h % 8)]),
        'medical_school', 'School of Medicine ' || (h % 40),
        'school_country', (ARRAY['US', 'US', 'US', 'IN', 'NG', 'PK', 'MX', 'EG'])[1 + (h / 8 % 8)],
        'languages', jsonb_build_array('en', (ARRAY['es', 'hi', 'yo', 'ur', 'ar', 'fr'])[1 + (h / 64 % 6)]),
        'organizations', CASE WHEN h % 3 = 0 THEN '["amwa"]'::jsonb ELSE '[]'::jsonb END,
        'hobbies', '[]'::jsonb, 'hospital_ids', '[]'::jsonb,
        'open_to_mentoring', h % 4 = 0, 'mentoring_capacity', CASE WHEN h % 4 = 0 THEN 2 ELSE 0 END)
    FROM (SELECT user_id, display_name, verified, abs(hashtext(user_id::text)) AS h FROM listings.hosts) x
    ON CONFLICT (user_id) DO NOTHING
    """,
]


async def project(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        for sql in PROJECT:
            await conn.execute(sql)
        for table in ("listings", "bookings", "profiles"):
            await conn.execute(f"VACUUM (ANALYZE) matching.{table}")
        return dict(
            await conn.fetchrow(
                "SELECT (SELECT count(*) FROM matching.listings) AS listings,"
                " (SELECT count(*) FROM matching.bookings) AS bookings,"
                " (SELECT count(*) FROM matching.profiles) AS profiles"
            )
        )
    finally:
        await conn.close()


async def students(base: str, rotations: list[tuple[str, date, date]]) -> tuple[str, list[str]]:
    """One student per call, with a profile; their rotations' ids (in order)."""
    async with aiohttp.ClientSession() as http:
        token = (await signup(http, base, "bench-student"))["token"]
        auth = {"Authorization": f"Bearer {token}"}
        profile = {
            "specialties": ["cardiology", "internal medicine"],
            "medical_school": "School of Medicine 7",
            "school_country": "NG",
            "languages": ["en", "yo"],
            "organizations": ["amwa"],
        }
        async with http.patch(f"{base}/api/v1/me/profile", json=profile, headers=auth) as r:
            assert r.status == 200, await r.text()
        ids = []
        for i, (hospital, start, end) in enumerate(rotations):
            rotation = {
                "hospital_id": hospital,
                "specialty": SPECIALTIES[i % len(SPECIALTIES)],
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "monthly_budget": 1500 + 100 * (i % 10),
                "room_types": ["private_room"] if i % 2 else [],
                "amenities": ["wifi", "desk"] if i % 3 else [],
            }
            async with http.post(f"{base}/api/v1/rotations", json=rotation, headers=auth) as r:
                assert r.status == 201, await r.text()
                ids.append((await r.json())["id"])
        return token, ids


async def suggestions_made(dsn: str, rotations: int, timeout: float = 120) -> None:
    """Wait until matching's consumer has handled every rotation's rotation.changed."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while (
            await conn.fetchval(
                "SELECT count(*) FROM matching.inbox WHERE subject = 'events.matching.rotation.changed'"
            )
            < rotations
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("matching's consumer did not handle the new rotations in time")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def _get(http: aiohttp.ClientSession, url: str) -> float:
    t = time.perf_counter()
    async with http.get(url) as r:
        await r.read()
        if r.status != 200:
            raise RuntimeError(f"room matches answered {r.status}")
    return (time.perf_counter() - t) * 1000


async def hopkins(base: str, dsn: str, token: str, rotation_id: str, samples: int) -> dict[str, float]:
    """The Johns Hopkins rotation's first page through the gateway, one request at a time:
    cold, each after moving the epochs of the regions within the hospital's reach (as a
    change of a listing there would, so the cached ranking is dropped), then warm, the
    ranking kept; and in process, the columnar ranking against the per-object reference
    on the same rows (the same ids and scores, checked)."""
    hospital = hospitals.lookup(HOPKINS)
    cells = regions.cells_within(hospital.latitude, hospital.longitude, WEIGHTS.max_distance_km, EARTH_RADIUS_KM)
    url = f"{base}/api/v1/rotations/{rotation_id}/room-matches"
    conn = await asyncpg.connect(dsn)
    cold, warm = [], []
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            for _ in range(samples):
                await conn.execute(
                    "INSERT INTO matching.region_epochs(cell, epoch) SELECT c, 1 FROM unnest($1::int[]) c"
                    " ON CONFLICT (cell) DO UPDATE SET epoch = matching.region_epochs.epoch + 1",
                    [c for c in cells if c != regions.EVERYWHERE],
                )
                cold.append(await _get(http, url))
            await _get(http, url)
            warm = [await _get(http, url) for _ in range(samples * 2)]
    finally:
        await conn.close()
    return {
        "cold_p50_ms": round(quantile(cold, 50), 1),
        "cold_p99_ms": round(quantile(cold, 99), 1),
        "warm_p50_ms": round(quantile(warm, 50), 2),
        "warm_p99_ms": round(quantile(warm, 99), 2),
        **await in_process(dsn, uuid.UUID(rotation_id)),
    }


async def in_process(dsn: str, rotation_id: uuid.UUID, samples: int = 30) -> dict[str, float]:
    """``rank_rooms_for`` in this process (no cache), and the per-object path it replaced
    (``listings_near``, one ``ListingInput`` per candidate, ``rank_rooms``) as reference."""
    pool = await create_pool(dsn, "matching", size=2, app="bench-rooms")
    try:
        row = await store.rotation(pool, rotation_id)
        assert row is not None
        hospital = hospitals.lookup(row["hospital_id"])
        found = await candidates.room_candidates(
            pool,
            hospital.latitude,
            hospital.longitude,
            WEIGHTS.max_distance_km,
            row["start_date"],
            row["end_date"],
            row["student_id"],
        )
        times, reference = [], []
        for _ in range(samples):
            t = time.perf_counter()
            columnar = await ranking.rank_rooms_for(pool, row)
            times.append((time.perf_counter() - t) * 1000)
        for _ in range(5):
            t = time.perf_counter()
            rows = await store.listings_near(
                pool, hospital.latitude, hospital.longitude, WEIGHTS.max_distance_km, *_dates(row)
            )
            offers = await ranking._offers(pool, row, rows)
            expected = rank_rooms(domain.rotation_input(row, hospital), offers.student, offers.listings.values())
            reference.append((time.perf_counter() - t) * 1000)
        ids = [str(offers.rows[m.listing_id]["listing_id"]) for m in expected]
        if [str(i) for i in columnar.ids_at(0)] != ids or columnar.scores.tolist() != [m.score for m in expected]:
            raise RuntimeError("the columnar ranking differs from the per-object reference")
        return {
            "candidates": len(found.columns),
            "ranked": len(columnar),
            "in_process_cold_p50_ms": round(quantile(times, 50), 1),
            "in_process_cold_p99_ms": round(quantile(times, 99), 1),
            "in_process_per_object_p50_ms": round(quantile(reference, 50), 1),
        }
    finally:
        await pool.close()


def _dates(row: asyncpg.Record) -> tuple[date, date, uuid.UUID]:
    return row["start_date"], row["end_date"], row["student_id"]


def lua_script(path: Path, token: str, paths: list[str]) -> Path:
    listed = ",\n".join(f'  "{p}"' for p in paths)
    path.write_text(
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        f"local paths = {{\n{listed}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\n'
        "end\n"
    )
    return path


def run(args: argparse.Namespace, data_dir: Path, cleanup: list) -> dict:
    wrk = ensure_wrk()
    if not wrk:
        raise RuntimeError("the room-match benchmark needs wrk (Debian's package; install it with apt-get)")
    say(f"starting a fresh system in {data_dir} (fsync off)")
    stack = start_system(data_dir, cleanup)
    assert stack.database_url and stack.postgres and stack.nats

    today = date.today()
    window = (today + timedelta(days=30), today + timedelta(days=72))
    say(f"seeding {args.listings:,} listings around the shipped hospitals")
    counts = asyncio.run(seed(stack.database_url, args.listings, args.hosts, window))
    projected = asyncio.run(project(stack.database_url))
    print(
        f"    {counts['listings']:,} listings, {counts['accepted']:,} accepted stays; matching's projection: "
        f"{projected['listings']:,} listings, {projected['bookings']:,} stays, {projected['profiles']:,} profiles"
    )

    say("a student with rotations at two dense hospitals and a sparse one (through the API)")
    hot = [(h, window[0] + timedelta(days=i), window[1] + timedelta(days=i)) for i, h in enumerate(DENSE + SPARSE)]
    token, hot_ids = asyncio.run(students(stack.url, hot))
    paths = [f"/api/v1/rotations/{rid}/room-matches" for rid in hot_ids]
    # The second page too: a student pages through their matches.
    first = {}
    for rid, p in list(zip(hot_ids, paths, strict=True)):
        t = time.perf_counter()
        status, body = get_json(stack.url + p, token)
        print(f"    first request of {rid}: {(time.perf_counter() - t) * 1000:.0f} ms")
        if status != 200 or not body.get("items"):
            raise RuntimeError(f"room matches answered {status}: {json.dumps(body)[:300]}")
        first[rid] = body
        if body.get("next_cursor"):
            paths.append(f"{p}?cursor={body['next_cursor']}")
    for (hospital, *_), rid in zip(hot, hot_ids, strict=True):
        top = first[rid]["items"][0]
        print(f"    {hospital}: best {top['score']:.3f} at {top['distance_km']} km — {'; '.join(top['reasons'][:3])}")

    script = lua_script(data_dir / "room_matches.lua", token, paths)
    query = f"hospital_id={HOSPITAL}&from={window[0]}&to={window[1]}"
    targets = {
        "room matches": (stack.url + paths[0], ("-s", str(script))),
        "listing search (reference)": (f"{stack.url}/api/v1/listings?{query}", ()),
    }
    services = {k: [p.pid] for k, p in stack.procs.items()}
    meter = CpuMeter({**services, "nats-server": [stack.nats.proc.pid]}, parents={"postgres": stack.postgres.proc.pid})
    loads: dict[str, list[Load]] = {name: [] for name in targets}
    for r in range(args.rounds):
        for name, (url, extra) in targets.items():
            loads[name].append(measure(f"{name} (round {r + 1} of {args.rounds})", url, wrk, meter, args, extra))
    best = {k: max(v, key=lambda load: load.rps) for k, v in loads.items()}

    say("Johns Hopkins: one rotation's first page, cold then warm, one request at a time")
    start, end = window[0] + timedelta(days=3), window[1] + timedelta(days=3)
    hop_token, (hop_id,) = asyncio.run(students(stack.url, [(HOPKINS, start, end)]))
    asyncio.run(suggestions_made(stack.database_url, len(hot) + 1))
    hop = asyncio.run(hopkins(stack.url, stack.database_url, hop_token, hop_id, getattr(args, "samples", 100)))
    load = os.getloadavg()
    print(
        f"    {hop['candidates']:,} candidates, {hop['ranked']:,} ranked; through the gateway: cold p50"
        f" {hop['cold_p50_ms']} ms, p99 {hop['cold_p99_ms']} ms; warm p50 {hop['warm_p50_ms']} ms, p99"
        f" {hop['warm_p99_ms']} ms; in process: {hop['in_process_cold_p50_ms']} ms"
        f" (per-object reference {hop['in_process_per_object_p50_ms']} ms); load average"
        f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    rm, ref = best["room matches"], best["listing search (reference)"]
    return {
        "hopkins_candidates": hop["candidates"],
        "hopkins_ranked": hop["ranked"],
        "hopkins_cold_p50_ms": hop["cold_p50_ms"],
        "hopkins_cold_p99_ms": hop["cold_p99_ms"],
        "hopkins_warm_p50_ms": hop["warm_p50_ms"],
        "hopkins_warm_p99_ms": hop["warm_p99_ms"],
        "hopkins_in_process_cold_p50_ms": hop["in_process_cold_p50_ms"],
        "hopkins_in_process_cold_p99_ms": hop["in_process_cold_p99_ms"],
        "hopkins_in_process_per_object_p50_ms": hop["in_process_per_object_p50_ms"],
        "room_matches_p99_ms": round(rm.p99_ms, 2),
        "room_matches_rps": round(rm.rps, 1),
        "room_matches_p50_ms": round(rm.p50_ms, 2),
        "search_p99_ms": round(ref.p99_ms, 2),
        "search_rps": round(ref.rps, 1),
        "load_average_1m": round(load[0], 2),
    }
