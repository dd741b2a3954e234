"""The baseline of ``bench/search.py``: the listing search as one minimal process.

A single aiohttp + asyncpg process that answers ``GET /api/v1/listings?hospital_id=&from=&to=``
with the very SQL the listings service runs (``services.listings.store.search_query``),
the same in-memory hospital lookup, the same pool settings, role (the listings role, as the
benchmark starts it), event loop and collector settings (``shared.runtime``), and returns
the rows as JSON (orjson). No NATS hop, no gateway, no middleware: what the search costs
when nothing else is in the way, so the ratio measures the architecture's overhead.

    .venv/bin/python bench/baseline_search.py PORT        # WARDMATE_DATABASE_URL from the env
    .venv/bin/python bench/baseline_search.py PORT DSN
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import orjson
from aiohttp import web

from services.listings.app import PG_SETTINGS
from services.listings.store import search_query
from shared import runtime
from shared.contracts.listings import ListingSearch
from shared.db import create_pool
from shared.errors import AppError
from shared.hospitals import lookup

POOL = web.AppKey("pool", asyncpg.Pool)


async def search(request: web.Request) -> web.Response:
    q = request.query
    try:
        hospital_id = q["hospital_id"]
        from_, to = date.fromisoformat(q["from"]), date.fromisoformat(q["to"])
    except (KeyError, ValueError):
        return web.json_response({"error": "give hospital_id, from and to"}, status=400)
    pool = request.app[POOL]
    try:
        h = lookup(hospital_id)
    except AppError:
        return web.json_response({"error": "hospital not found"}, status=404)
    # model_construct: no validation, just the fields search_query reads.
    req = ListingSearch.model_construct(hospital_id=hospital_id, from_=from_, to=to)
    sql, args = search_query(req, (h.latitude, h.longitude), None)
    rows = await pool.fetch(sql, *args)
    body = orjson.dumps({"items": [dict(r) for r in rows[: req.limit]]}, default=str, option=orjson.OPT_UTC_Z)
    return web.Response(body=body, content_type="application/json")


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_app(dsn: str) -> web.Application:
    app = web.Application()

    async def pool_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        # The service's pool size and session settings: the same query, planned the same way.
        pool = await create_pool(dsn, "listings", size=10, app="baseline", server_settings=PG_SETTINGS)
        app[POOL] = pool
        runtime.freeze_startup_heap()  # as the service does once started
        yield
        await pool.close()

    app.cleanup_ctx.append(pool_ctx)
    app.router.add_get("/api/v1/listings", search)
    app.router.add_get("/health", health)
    return app


def main() -> None:
    port = int(sys.argv[1])
    dsn = sys.argv[2] if len(sys.argv) > 2 else os.environ["WARDMATE_DATABASE_URL"]
    runtime.tune_collector()  # the services' collector settings (shared.runtime)
    web.run_app(
        create_app(dsn), host="127.0.0.1", port=port, print=None, access_log=None, loop=runtime.new_event_loop()
    )


if __name__ == "__main__":
    main()
