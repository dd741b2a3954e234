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
5. cold: 24 new rotations at the dense hospitals, and once matching's consumer has made
   their suggestions, a request for each, one at a time, each after moving the
   projections' epoch (so no cached ranking holds): what a ranking costs when computed;
6. returns ``room_matches_p99_ms``, ``room_matches_rps`` and the rest to ``matching.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench.lib.common import get_json, quantile, say, signup, start_system
from bench.lib.cpu import CpuMeter
from bench.lib.load import Load, ensure_wrk, measure
from bench.lib.seed import HOSPITAL, seed

DENSE = ["new-york-presbyterian-lower-manhattan-hospital-new-york-ny", "the-johns-hopkins-hospital-baltimore-md"]
SPARSE = ["the-huntsville-hospital-huntsville-al"]
SPECIALTIES = ["internal medicine", "cardiology", "pediatrics", "emergency medicine", "neurology", "surgery"]

# Matching's projections, filled from listings' tables (the benchmark's superuser reads
# both schemas; the services never do).
PROJECT = [
    """
    INSERT INTO matching.listings (listing_id, version, host_id, title, room_type, latitude, longitude,
        position, monthly_rent, amenities, available_from, available_to, min_stay_nights, status,
        review_average, review_count)
    SELECT id, 1, host_id, title, room_type, latitude, longitude, ll_to_earth(latitude, longitude),
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


async def cold_requests(base: str, dsn: str, token: str, ids: list[str]) -> list[float]:
    """Each rotation's room matches, one at a time, each ranking computed (the epoch moves
    before each, as a change of a listing would); the latencies in ms."""
    latencies: list[float] = []
    conn = await asyncpg.connect(dsn)
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            for rid in ids:
                await conn.execute("UPDATE matching.projection_epoch SET epoch = epoch + 1")
                t = time.perf_counter()
                async with http.get(f"{base}/api/v1/rotations/{rid}/room-matches") as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"room matches answered {r.status}")
                latencies.append((time.perf_counter() - t) * 1000)
    finally:
        await conn.close()
    return latencies


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

    say("cold: 24 new rotations at the dense hospitals, each ranking computed, one at a time")
    cold_rotations = [
        (DENSE[i % 2], window[0] + timedelta(days=3 + i), window[1] + timedelta(days=3 + i)) for i in range(24)
    ]
    cold_token, cold_ids = asyncio.run(students(stack.url, cold_rotations))
    asyncio.run(suggestions_made(stack.database_url, len(hot) + len(cold_rotations)))
    cold = asyncio.run(cold_requests(stack.url, stack.database_url, cold_token, cold_ids))
    print(f"    p50 {quantile(cold, 50):.1f} ms, p99 {quantile(cold, 99):.1f} ms, max {max(cold):.1f} ms")
    rm, ref = best["room matches"], best["listing search (reference)"]
    return {
        "room_matches_p99_ms": round(rm.p99_ms, 2),
        "room_matches_rps": round(rm.rps, 1),
        "room_matches_p50_ms": round(rm.p50_ms, 2),
        "room_matches_cold_p50_ms": round(quantile(cold, 50), 1),
        "room_matches_cold_p99_ms": round(quantile(cold, 99), 1),
        "search_p99_ms": round(ref.p99_ms, 2),
        "search_rps": round(ref.rps, 1),
    }
