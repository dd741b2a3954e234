"""The listings service's search as Postgres plans it: EXPLAIN (ANALYZE, BUFFERS) of the
exact SQL the service runs (``services.listings.store.search_query``), once as a fresh
query and once as the service's cached prepared statement is planned after many runs,
and the checks the search benchmark makes on those plans (no sequential scan of
listings, the bookings check an index probe per candidate listing)."""

from __future__ import annotations

import re
import statistics
import time
from datetime import date
from typing import Any

import asyncpg

from bench.lib.seed import HOSPITAL
from services.listings.app import PG_SETTINGS
from services.listings.store import search_query
from shared.contracts.listings import ListingSearch


def service_query(center: tuple[float, float], window: tuple[date, date]) -> tuple[str, list[Any]]:
    """The SQL and arguments of the listings service for the benchmark's request."""
    req = ListingSearch.model_validate(
        {"hospital_id": HOSPITAL, "from": window[0].isoformat(), "to": window[1].isoformat()}
    )
    return search_query(req, center, None)


def scans_listings_sequentially(plan: str) -> bool:
    return bool(re.search(r"Seq Scan on listings\b", plan))


async def explain(dsn: str, window: tuple[date, date]) -> dict[str, Any]:
    """The plans of the search for ``window`` around the benchmark's hospital, by kind."""
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


def plan_summary(ex: dict[str, Any]) -> str:
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
