"""Benchmark of the listing search through the running system, against a minimal baseline.

What it does, in one run (``make bench-search``):

1. starts a fresh system (embedded Postgres and NATS, every service, the gateway) in a
   temporary folder, with fsync off (a benchmark measures the read path, not the disk)
   and the services logging at WARNING (per-request log lines would be measured too) and
   the gateway's per-address rate limit off (the load comes from one address);
2. seeds 100,000 listings directly in SQL around the shipped hospitals (more around big
   hospitals, an extra cluster around the benchmark's hospital), 25,000 hosts and stays on
   8% of the listings (a third over the searched dates; ``--overlap``), in batches under a
   progress bar; then VACUUM (ANALYZE), so no autoanalyze moves the plans mid-run;
3. prints EXPLAIN (ANALYZE, BUFFERS) of the exact SQL the listings service runs (built by
   ``services.listings.store.search_query``), as planned for one execution and as the
   service's cached prepared statement is planned after many, and checks that no plan
   scans ``listings`` sequentially and that the bookings check is an index probe per
   candidate listing (checked again after the load);
4. checks that the gateway answers 200 with items (and the same items as the baseline);
5. loads ``GET /api/v1/listings?hospital_id=…&from=…&to=…`` at concurrency 32 with wrk
   (Debian's package, installed when missing; C, so it takes little of the CPU the system
   needs), through the gateway and through ``bench/baseline_search.py``, a single
   aiohttp + asyncpg process running the same two queries; each after a short warm-up, in
   alternating rounds (``--rounds``, 2) of which each target's best counts;
6. prints requests/s, p50 and p99 of both, the CPU each process (and anything else on the
   machine) used during each run, the ratio, and as the last line ``RESULT {json}``.

``--profile`` adds a py-spy run on the gateway and the listings processes under the same
load and prints where their time goes (py-spy: ``.venv/bin/pip install py-spy``).

    .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --profile --keep-profiles /tmp/prof
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from tqdm import tqdm  # noqa: E402

from services.runner import Stack  # noqa: E402
from shared.contracts.listings import ListingSearch  # noqa: E402
from shared.embedded import free_port  # noqa: E402
from shared.hospitals import directory as hospital_directory  # noqa: E402

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


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


# --- seeding --------------------------------------------------------------------------


def synthetic_listings(n: int, hosts: list[uuid.UUID], today: date, seed: int = 7) -> list[tuple]:
    """``n`` listings around the shipped hospitals: weighted by beds, plus a cluster (3%)
    around the benchmark's hospital. Availability windows cover most dates near today."""
    rng = random.Random(seed)
    directory = [
        tuple(h.model_dump().values()) for h in hospital_directory()
    ]  # (id, name, city, state, zip, lat, lon, beds, teaching)
    weights = [float(h[7] or 50) for h in directory]
    target = next(h for h in directory if h[0] == HOSPITAL)
    picks = rng.choices(directory, weights=weights, k=n - n * 3 // 100) + [target] * (n * 3 // 100)
    rng.shuffle(picks)
    rows = []
    for h in picks:
        d = SPREAD_KM * math.sqrt(rng.random())  # uniform over the disc
        bearing = rng.uniform(0, 2 * math.pi)
        lat = h[5] + d * math.cos(bearing) / 111.32
        lon = h[6] + d * math.sin(bearing) / (111.32 * max(math.cos(math.radians(h[5])), 0.05))
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
        rows.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                rng.choice(hosts),
                f"{room.replace('_', ' ').capitalize()} near {h[1].title()}"[:120],
                f"A quiet, furnished {room.replace('_', ' ')} about {d:.1f} km from {h[1].title()} in "
                f"{h[2].title()}, {h[3]}. Monthly stays for residents, nurses and students on rotation; "
                "utilities included, flexible move-in, the host answers within a day.",
                room,
                f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St, {h[2].title()}, {h[3]} {h[4]}",
                lat,
                lon,
                rng.randrange(600, 3600, 25),
                ",".join(rng.sample(AMENITIES, rng.randint(1, 6))),
                start,
                end,
                rng.choice([1, 7, 7, 14, 30, 30, 30, 60]),
                "active" if rng.random() < 0.95 else rng.choice(["draft", "archived"]),
                review_count * rng.randint(3, 5),
                review_count,
                created,
            )
        )
    return rows


INSERT_LISTINGS = """
INSERT INTO listings (id, host_id, title, description, room_type, address, latitude, longitude,
    position, monthly_rent, amenities, house_rules, available_from, available_to,
    min_stay_nights, status, review_sum, review_count, created_at, updated_at)
SELECT id, host_id, title, description, room_type, address, lat, lon, ll_to_earth(lat, lon),
       rent, string_to_array(amenities, ','), 'No smoking.', af, at, min_stay, status,
       review_sum, review_count, to_timestamp(created), to_timestamp(created)
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::float8[], $8::float8[], $9::int[], $10::text[], $11::date[], $12::date[],
            $13::int[], $14::text[], $15::int[], $16::int[], $17::float8[])
     AS t(id, host_id, title, description, room_type, address, lat, lon, rent, amenities,
          af, at, min_stay, status, review_sum, review_count, created)
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
) -> dict:
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


# --- EXPLAIN --------------------------------------------------------------------------


def service_query(center: tuple[float, float], window: tuple[date, date]) -> tuple[str, list]:
    """The SQL and arguments of the listings service for the benchmark's request."""
    from services.listings.store import search_query

    req = ListingSearch.model_validate(
        {"hospital_id": HOSPITAL, "from": window[0].isoformat(), "to": window[1].isoformat()}
    )
    return search_query(req, center, None)


def scans_listings_sequentially(plan: str) -> bool:
    return bool(re.search(r"Seq Scan on listings\b", plan))


async def explain(dsn: str, window: tuple[date, date]) -> dict:
    from services.listings.app import PG_SETTINGS

    # The session settings the listings service's connections run with.
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "listings,public", **PG_SETTINGS})
    try:
        h = await conn.fetchrow("SELECT latitude, longitude FROM hospitals WHERE id = $1", HOSPITAL)
        sql, args = service_query((h["latitude"], h["longitude"]), window)
        lookup = "\n".join(
            r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM hospitals WHERE id = $1", HOSPITAL)
        )
        custom = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args))
        # The service runs the query as a prepared statement (asyncpg caches it per
        # connection); after five executions Postgres may switch to a generic plan. Run it
        # so more than five times, then let auto_explain report the plan of the next run.
        stmt = await conn.prepare(sql)
        runs = []
        for _ in range(10):
            t0 = time.perf_counter()
            await stmt.fetch(*args)
            runs.append((time.perf_counter() - t0) * 1000)
        notices: list[str] = []
        conn.add_log_listener(lambda _c, msg: notices.append(msg.message))
        await conn.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;"
            " SET auto_explain.log_level = notice"
        )
        await stmt.fetch(*args)
        cached = _auto_explained(notices)
        notices.clear()
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await stmt.fetch(*args)
        generic = _auto_explained(notices)
        await conn.execute("RESET plan_cache_mode; SET auto_explain.log_min_duration = -1")
    finally:
        await conn.close()
    return {
        "sql": sql,
        "args": args,
        "lookup": lookup,
        "custom": custom,
        "cached": cached,
        "generic": generic,
        "runs": runs,
    }


def bookings_probe_keyed(plan: str) -> bool:
    """Whether the plan probes bookings by ``listing_id = l.id`` (an index lookup per
    candidate listing) rather than reading every booking over the dates for each one."""
    lines = plan.splitlines()
    for i, line in enumerate(lines):
        if " on bookings b" in line:
            return any("listing_id = l.id" in x for x in lines[i + 1 : i + 3] if "Index Cond" in x)
    return True


def plan_summary(ex: dict) -> str:
    runs = ex["runs"]
    return (
        f"prepared-statement runs: first 5 (custom plans) {statistics.median(runs[:5]):.2f} ms, "
        f"runs 6-10 (the cached plan) {statistics.median(runs[5:]):.2f} ms (median, client side); "
        f"bookings probed by listing in the cached plan: {bookings_probe_keyed(ex['cached'])}"
    )


def _auto_explained(notices: list[str]) -> str:
    """The plan out of auto_explain's notice (without the query text), and its duration."""
    for text in notices:
        if "plan:" in text:
            head, _, body = text.partition("plan:")
            lines = body.splitlines()
            start = next((i for i, line in enumerate(lines) if "(cost=" in line), 0)
            m = re.search(r"duration: ([\d.]+) ms", head)
            tail = [f"Execution Time: {m.group(1)} ms"] if m else []
            return "\n".join(lines[start:] + tail)
    return "(auto_explain reported nothing)"


def execution_ms(plan: str) -> float | None:
    m = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return float(m.group(1)) if m else None


# --- CPU accounting -------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def proc_ticks(pid: int) -> tuple[int, int] | None:
    """(utime + stime, ppid) of ``pid`` in clock ticks, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12]), int(fields[1])


def children_of(ppid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            t = proc_ticks(int(p.name))
            if t and t[1] == ppid:
                out.append(int(p.name))
    return out


def machine_ticks() -> tuple[int, int, int]:
    """(busy, total, irq + softirq) jiffies of the whole machine."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts), parts[5] + parts[6]


def all_ticks() -> dict[int, int]:
    out = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and (t := proc_ticks(int(p.name))):
            out[int(p.name)] = t[0]
    return out


def proc_label(pid: int) -> str:
    """A short name for a process: its program, and for python its script or module."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    args = [a.decode(errors="replace") for a in argv if a]
    if not args:
        return "kernel threads"
    prog = Path(args[0]).name
    if prog.startswith("python"):
        rest = [a for a in args[1:] if not a.startswith("-")]
        if "-m" in args[1:]:
            rest = [args[args.index("-m") + 1]]
        return f"python {Path(rest[0]).name}" if rest else prog
    return prog


@dataclass
class CpuMeter:
    """CPU seconds per named process group over an interval, and what else ran."""

    groups: dict[str, list[int]]  # name -> pids
    parents: dict[str, int] = field(default_factory=dict)  # name -> pid whose children count too
    start: dict[int, int] = field(default_factory=dict)
    machine: tuple[int, int, int] = (0, 0, 0)

    def pids(self) -> dict[str, list[int]]:
        out = {k: list(v) for k, v in self.groups.items()}
        for name, parent in self.parents.items():
            out.setdefault(name, []).extend([parent, *children_of(parent)])
        return out

    def begin(self) -> None:
        self.machine = machine_ticks()
        self.start = all_ticks()

    def end(self) -> tuple[dict[str, float], dict[str, float], float]:
        """CPU seconds per group, CPU seconds of everything else (by program, plus the
        kernel's interrupt work), and the machine's busy share (0..1) over the interval."""
        busy0, total0, irq0 = self.machine
        busy1, total1, irq1 = machine_ticks()
        now = all_ticks()
        used, mine = {}, set()
        for name, ps in self.pids().items():
            used[name] = sum(now.get(p, 0) - self.start.get(p, 0) for p in ps if p in now) / TICK
            mine.update(ps)
        others: Counter[str] = Counter()
        for p, t in now.items():
            if p not in mine and p != os.getpid() and t - self.start.get(p, 0) > 0:
                others[proc_label(p)] += (t - self.start.get(p, 0)) / TICK
        others["kernel irq/softirq"] = (irq1 - irq0) / TICK
        return used, dict(others), (busy1 - busy0) / max(total1 - total0, 1)


# --- load -----------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    say("wrk is missing: installing Debian's package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmds in (
        [["apt-get", "install", "-y", "-q", "wrk"]],
        [["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]],
    ):
        for cmd in cmds:
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if shutil.which("wrk"):
            return shutil.which("wrk")
    return None


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    cpu: dict[str, float]
    busy: float
    seconds: float


def parse_wrk(out: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        bad += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        bad += sum(int(x) for x in m.groups())
    return rps, p50, p99, requests, bad


def run_wrk(
    wrk: str, url: str, threads: int, conns: int, seconds: float, extra: tuple[str, ...] = ()
) -> tuple[str, float]:
    """Run wrk (``extra``: more arguments, e.g. a header or a script); return its output
    and the CPU seconds wrk itself used."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            [wrk, f"-t{threads}", f"-c{conns}", f"-d{int(seconds)}s", "--latency", "--timeout", "5s", *extra, url],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {text}")
    return text, ru.ru_utime + ru.ru_stime


def run_pyload(url: str, conns: int, seconds: float) -> tuple[dict, float]:
    """Fallback load generator: this script's --loadgen mode, in its own process."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--loadgen", url, str(conns), str(seconds)], stdout=out, stderr=subprocess.STDOUT
        )
        _, status, ru = os.wait4(proc.pid, 0)
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"load generator failed: {text}")
    return json.loads(text.strip().splitlines()[-1]), ru.ru_utime + ru.ru_stime


async def loadgen(url: str, conns: int, seconds: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    bad = 0
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal bad
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            async with session.get(url) as r:
                await r.read()
                if r.status != 200:
                    bad += 1
            latencies.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conns)) as session:
        await asyncio.gather(*(worker(session) for _ in range(conns)))
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50": q[49], "p99": q[98], "requests": len(latencies), "bad": bad}


def measure(
    name: str, url: str, wrk: str | None, meter: CpuMeter, args: argparse.Namespace, extra: tuple[str, ...] = ()
) -> Load:
    """One target under wrk (``extra``: wrk arguments; needs wrk) or the fallback."""
    say(f"{name}: warm-up {args.warmup:.0f}s, then {args.duration:.0f}s at concurrency {args.connections}")
    if extra and not wrk:
        raise RuntimeError(f"{name}: needs wrk (Debian's package)")
    if wrk:
        run_wrk(wrk, url, args.threads, args.connections, args.warmup, extra)
    else:
        run_pyload(url, args.connections, args.warmup)
    meter.begin()
    t0 = time.monotonic()
    if wrk:
        text, gen_cpu = run_wrk(wrk, url, args.threads, args.connections, args.duration, extra)
        rps, p50, p99, requests, bad = parse_wrk(text)
    else:
        res, gen_cpu = run_pyload(url, args.connections, args.duration)
        rps, p50, p99, requests, bad = res["rps"], res["p50"], res["p99"], res["requests"], res["bad"]
    seconds = time.monotonic() - t0
    cpu, others, busy = meter.end()
    cpu["load generator"] = gen_cpu
    others.pop("wrk", None)
    ncpu = os.cpu_count() or 1
    rest = max(0.0, busy * ncpu * seconds - sum(cpu.values()) - sum(others.values()))
    load = Load(rps, p50, p99, requests, bad, cpu, busy, seconds)
    print(
        f"    {rps:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({requests} requests, {bad} errors or non-2xx)"
    )
    shares = "  ".join(f"{k} {v / seconds * 100:.0f}%" for k, v in cpu.items() if v > 0.005 * seconds)
    print(f"    CPU (100% = one core, the machine has {os.cpu_count()}): {shares}; machine busy {busy * 100:.0f}%")
    top = sorted(others.items(), key=lambda kv: -kv[1])[:4]
    print(
        "    other CPU on the machine: "
        + ", ".join(f"{k} {v / seconds * 100:.0f}%" for k, v in top if v > 0.005 * seconds)
        + f", short-lived or unattributed {rest / seconds * 100:.0f}%"
    )
    if sum(v for k, v in others.items() if k != "kernel irq/softirq") + rest > 0.25 * seconds:
        print("    NOTE: other processes took CPU during this run; the figures are pessimistic")
    if bad:
        raise RuntimeError(f"{name}: {bad} requests failed or were not 2xx; the figures are worthless")
    return load


# --- profile --------------------------------------------------------------------------

CATEGORIES = [  # (label, path prefix of the frame's file, as py-spy shows it), first match wins
    ("pydantic", "pydantic"),
    ("json", "json/"),
    ("nats", "nats/"),
    ("asyncpg", "asyncpg/"),
    ("aiohttp", "aiohttp/"),
    ("multidict/yarl", "multidict/"),
    ("multidict/yarl", "yarl/"),
    ("logging", "logging/"),
    ("uuid", "uuid.py"),
    ("hashlib", "hashlib.py"),
    ("socket reads (asyncpg/nats protocol parsing)", "asyncio/selector_events.py"),
    ("asyncio", "asyncio/"),
    ("project: listings", "services/listings/"),
    ("project: gateway", "services/gateway/"),
    ("project: shared", "shared/"),
]


def _frame_file(frame: str) -> str:
    m = re.search(r"\((.*):\d+\)$", frame)
    return m.group(1) if m else ""


def _frame_func(frame: str) -> str:
    """``func (path:line)`` -> ``func (short/path.py)``, lines merged."""
    m = re.match(r"(.*) \((.*):\d+\)$", frame)
    if not m:
        return frame
    path = m.group(2)
    for marker in ("site-packages/", "python3.11/", "/work/main/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m.group(1)} ({path})"


def category(frame: str) -> str:
    f = _frame_file(frame)
    for label, prefix in CATEGORIES:
        if f.startswith(prefix) or f"/{prefix}" in f:
            return label
    return "other" if f else "native/other"


SYSCALL_LEAVES = (
    "_SelectorSocketTransport.write (",
    "EpollSelector.select (",
    "sock_send",
    "send (libc",
    "epoll_wait (",
)


def summarize_profile(path: Path, top: int = 14) -> str:
    """Self and inclusive time per function from py-spy's raw (collapsed) stacks.

    Samples whose innermost frame is a socket send or epoll wait are counted apart: on a
    saturated machine a process that wakes its peer (or is woken) sits there runnable,
    waiting for a CPU, and py-spy counts that as busy. The rest is the process's own work.
    """
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    total = sum(c for _, c in stacks)
    if not total:
        return "    (no samples)"
    waiting = sum(c for frames, c in stacks if any(x in _frame_func(frames[-1]) for x in SYSCALL_LEAVES))
    work = [(f, c) for f, c in stacks if not any(x in _frame_func(f[-1]) for x in SYSCALL_LEAVES)]
    n = sum(c for _, c in work) or 1
    self_fn: Counter[str] = Counter()
    incl_fn: Counter[str] = Counter()
    self_cat: Counter[str] = Counter()
    for frames, c in work:
        self_fn[_frame_func(frames[-1])] += c
        self_cat[category(frames[-1])] += c
        for fn in {_frame_func(f) for f in frames}:
            incl_fn[fn] += c
    lines = [
        f"    {total} samples; {waiting / total * 100:.0f}% sat in socket send/epoll wait"
        " (mostly runnable, waiting for a CPU); percentages below are of the other"
        f" {n} samples (the process's own work)",
        "    self time by library: " + ", ".join(f"{k} {v / n * 100:.0f}%" for k, v in self_cat.most_common()),
    ]
    lines.append("    top functions by self time:")
    lines += [f"      {v / n * 100:5.1f}%  {k}" for k, v in self_fn.most_common(top)]
    lines.append("    top functions by inclusive time (below the event loop):")
    skip = (
        "run_forever",
        "_run_once",
        "_run (asyncio/events.py)",
        "<module>",
        "run_app",
        "run (asyncio/runners.py)",
        "run_until_complete",
        "main (",
        "_run_module_as_main",
        "_run_code",
        "run (asyncio/",
        "process ",
        "thread ",
    )
    shown = [(k, v) for k, v in incl_fn.most_common() if not any(s in k for s in skip)]
    lines += [f"      {v / n * 100:5.1f}%  {k}" for k, v in shown[:top]]
    return "\n".join(lines)


def profile(stack: Stack, url: str, wrk: str | None, args: argparse.Namespace) -> str:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return "py-spy is not installed (.venv/bin/pip install py-spy); no profile"
    out_dir = Path(args.keep_profiles or tempfile.mkdtemp(prefix="wardmate-prof-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = {name: stack.procs[name].pid for name in ("gateway", "listings")}
    say(f"profiling {', '.join(targets)} with py-spy for {args.duration:.0f}s under the same load")
    spies = {
        name: subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "-d",
                str(int(args.duration)),
                "-r",
                "200",
                "--nonblocking",
                "-f",
                "raw",
                "-o",
                str(out_dir / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name, pid in targets.items()
    }
    time.sleep(0.5)
    if wrk:
        text, _ = run_wrk(wrk, url, args.threads, args.connections, args.duration + 1)
        rps = parse_wrk(text)[0]
    else:
        rps = run_pyload(url, args.connections, args.duration + 1)[0]["rps"]
    report = [f"    (under py-spy the gateway served {rps:.0f} req/s; raw stacks in {out_dir})"]
    for name, p in spies.items():
        _, err = p.communicate(timeout=60)
        report.append(f"  {name} (pid {targets[name]}):")
        f = out_dir / f"{name}.txt"
        report.append(summarize_profile(f) if f.exists() else f"    py-spy failed: {err.decode()[-500:]}")
    return "\n".join(report)


# --- main -----------------------------------------------------------------------------


def get_json(url: str, token: str | None = None) -> tuple[int, dict]:
    """(status, body) of a GET; ``token``: a bearer token to send."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited ({proc.returncode})")
        with contextlib.suppress(Exception), urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def run(args: argparse.Namespace, data_dir: Path, cleanup: list) -> dict:
    wrk = ensure_wrk()
    if not wrk:
        say(
            "wrk is not available: falling back to an aiohttp load generator in its own process"
            " (it takes more CPU than wrk, so the figures are pessimistic)"
        )
    # The load comes from one address: the gateway's per-address rate limit is off here.
    stack = Stack(data_dir, fsync=False, extra_env={"WARDMATE_LOG_LEVEL": "WARNING", "WARDMATE_RATE_LIMIT_PER_S": "0"})
    cleanup.append(stack.stop)
    say(f"starting Postgres and NATS in {data_dir} (fsync off: a benchmark, not a store of record)")
    stack.start_infra()
    say("starting every service and the gateway (log level WARNING)")
    stack.start_all()
    stack.wait_healthy(timeout=120)
    assert stack.database_url and stack.postgres and stack.nats

    window = (date.today() + timedelta(days=30), date.today() + timedelta(days=72))
    say(f"seeding {args.listings:,} listings around the shipped hospitals")
    counts = asyncio.run(
        seed(stack.database_url, args.listings, args.hosts, window, booked=args.booked, overlap=args.overlap)
    )
    print(
        f"    {counts['listings']:,} listings ({counts['active']:,} active), "
        f"{counts['accepted']:,} accepted bookings ({counts['overlapping']:,} over the searched dates),"
        f" {counts['near_target']:,} active listings within 25 km of {HOSPITAL}; seeded in {counts['seconds']}s"
    )

    say("EXPLAIN (ANALYZE, BUFFERS) of the service's search SQL")
    ex = asyncio.run(explain(stack.database_url, window))
    print("    SQL: " + " ".join(ex["sql"].split()))
    print(f"    args: {ex['args']}")
    for label, key in (
        ("hospital lookup", "lookup"),
        ("search, one execution (custom plan)", "custom"),
        ("search, as a cached prepared statement after 10 runs", "cached"),
        ("search, generic plan (forced)", "generic"),
    ):
        print(f"  -- {label}:")
        print("\n".join("    " + line for line in ex[key].splitlines()))
    plans = {k: ex[k] for k in ("custom", "cached", "generic")}
    seq = [k for k, p in plans.items() if scans_listings_sequentially(p)]
    uses_index = {k: "listings_position" in p for k, p in plans.items()}
    print(
        f"    GiST index listings_position used: {uses_index}; sequential scan of listings in: "
        f"{seq or 'none'}; execution {execution_ms(ex['custom'])} ms (custom), "
        f"{execution_ms(ex['cached'])} ms (cached)"
    )
    print(f"    {plan_summary(ex)}")
    if seq:
        print("    WARNING: a plan scans listings sequentially")
    if not bookings_probe_keyed(ex["cached"]):
        print("    WARNING: the cached plan reads every booking over the dates for each candidate")

    query = urllib.parse.urlencode(
        {"hospital_id": HOSPITAL, "from": window[0].isoformat(), "to": window[1].isoformat()}
    )
    gateway_url = f"{stack.url}/api/v1/listings?{query}"
    port = free_port()
    baseline_url = f"http://127.0.0.1:{port}/api/v1/listings?{query}"
    say(f"starting the baseline (bench/baseline_search.py) on port {port}")
    base_log = open(data_dir / "logs" / "baseline.log", "ab")
    baseline = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "baseline_search.py"), str(port), stack.database_url],
        stdout=base_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def stop_baseline() -> None:
        if baseline.poll() is None:
            baseline.send_signal(signal.SIGINT)
            try:
                baseline.wait(10)
            except subprocess.TimeoutExpired:
                baseline.kill()
                baseline.wait()
        base_log.close()

    cleanup.append(stop_baseline)
    wait_http(f"http://127.0.0.1:{port}/health", baseline)

    say("sanity check: both answer 200 with the same listings")
    status, body = get_json(gateway_url)
    if status != 200 or not body.get("items"):
        raise RuntimeError(f"gateway answered {status}: {json.dumps(body)[:500]}")
    b_status, b_body = get_json(baseline_url)
    if b_status != 200 or not b_body.get("items"):
        raise RuntimeError(f"baseline answered {b_status}: {json.dumps(b_body)[:500]}")
    g_ids = [i["id"] for i in body["items"]]
    b_ids = [i["id"] for i in b_body["items"]]
    if g_ids != b_ids:
        raise RuntimeError(f"gateway and baseline disagree:\n{g_ids}\n{b_ids}")
    size = len(urllib.request.urlopen(gateway_url).read())
    print(
        f"    {len(g_ids)} items, nearest {body['items'][0]['distance_km']} km, farthest "
        f"{body['items'][-1]['distance_km']} km; gateway reply {size:,} bytes; same ids in both"
    )

    pg, nats_pid = stack.postgres.proc.pid, stack.nats.proc.pid
    services = {k: [p.pid] for k, p in stack.procs.items()}
    meters = {
        "gateway": (gateway_url, CpuMeter({**services, "nats-server": [nats_pid]}, parents={"postgres": pg})),
        "baseline": (baseline_url, CpuMeter({"baseline": [baseline.pid]}, parents={"postgres": pg})),
    }
    # Rounds alternate the two targets, so a burst of other work on the machine does not
    # fall on one of them only; each target's best round is reported.
    loads: dict[str, list[Load]] = {"gateway": [], "baseline": []}
    for r in range(args.rounds):
        for name, (url, meter) in meters.items():
            label = f"{name} (round {r + 1} of {args.rounds})" if args.rounds > 1 else name
            loads[name].append(measure(label, url, wrk, meter, args))

    say("the plan of a fresh prepared statement after the load (statistics may have moved)")
    after = asyncio.run(explain(stack.database_url, window))
    print(f"    {plan_summary(after)}")

    prof = profile(stack, gateway_url, wrk, args) if args.profile else None
    best = {k: max(v, key=lambda load: load.rps) for k, v in loads.items()}
    return {"gateway": best["gateway"], "baseline": best["baseline"], "loads": loads, "profile": prof, "wrk": bool(wrk)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, default=25_000)
    ap.add_argument("--booked", type=float, default=0.08, help="share of listings with a stay")
    ap.add_argument("--overlap", type=float, default=0.33, help="share of stays over the searched dates")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of each measured run")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best counts")
    ap.add_argument("--profile", action="store_true", help="py-spy the gateway and listings under load")
    ap.add_argument("--keep-profiles", metavar="DIR", help="where py-spy's raw stacks go")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    ap.add_argument("--loadgen", nargs=3, metavar=("URL", "CONNS", "SECONDS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.loadgen:
        url, conns, seconds = args.loadgen
        print(json.dumps(asyncio.run(loadgen(url, int(conns), float(seconds)))))
        return

    data_dir = Path(tempfile.mkdtemp(prefix="wardmate-bench-search-"))
    cleanup: list = []
    started = time.monotonic()
    try:
        out = run(args, data_dir, cleanup)
    finally:
        for fn in reversed(cleanup):
            with contextlib.suppress(Exception):
                fn()
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    g, b = out["gateway"], out["baseline"]
    if out["profile"]:
        say("profile")
        print(out["profile"])
    print()
    for name, runs in out["loads"].items():
        if len(runs) > 1:
            print(f"{name} rounds: " + ", ".join(f"{x.rps:.0f} req/s p99 {x.p99_ms:.0f} ms" for x in runs))
    ratio = g.rps / b.rps if b.rps else 0.0
    print(
        f"load: {'wrk' if out['wrk'] else 'aiohttp fallback'}, {args.connections} connections, "
        f"{args.duration:.0f}s each; fsync off; services at log level WARNING"
    )
    print("best round of each:")
    print(f"gateway   {g.rps:8.0f} req/s   p50 {g.p50_ms:6.1f} ms   p99 {g.p99_ms:6.1f} ms")
    print(f"baseline  {b.rps:8.0f} req/s   p50 {b.p50_ms:6.1f} ms   p99 {b.p99_ms:6.1f} ms")
    verdict = "meets" if ratio >= 0.5 and g.p99_ms < 50 else "misses"
    print(
        f"ratio gateway/baseline {ratio:.2f} (target >= 0.5, gateway p99 < 50 ms: {verdict}); "
        f"total {time.monotonic() - started:.0f}s"
    )
    print(
        "RESULT "
        + json.dumps(
            {
                "ratio": round(ratio, 3),
                "gateway_rps": round(g.rps, 1),
                "gateway_p50_ms": round(g.p50_ms, 2),
                "gateway_p99_ms": round(g.p99_ms, 2),
                "baseline_rps": round(b.rps, 1),
                "baseline_p99_ms": round(b.p99_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
