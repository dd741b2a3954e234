"""The compose Postgres init script, run for real against the session's Postgres."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from shared.db import migrate
from shared.embedded import pg_bin
from tests.conftest import Infra

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres-init.sh"


async def test_init_script_gives_each_service_a_role_that_can_migrate(infra: Infra, fresh_db: str) -> None:
    """The script creates roles and schemas (idempotently); listings' role migrates its schema."""
    url = urlsplit(fresh_db)
    env = {
        **os.environ,
        "PATH": f"{pg_bin()}:{os.environ['PATH']}",
        "PGHOST": url.hostname or "",
        "PGPORT": str(url.port),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_DB": url.path.lstrip("/"),
        "SERVICE_DB_PASSWORD": "s3cret",
    }
    for _ in range(2):  # roles may already exist on this cluster: the script must not mind
        proc = await asyncio.create_subprocess_exec(
            "sh", str(SCRIPT), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
    listings_url = fresh_db.replace(f"{url.username}@", "listings@")
    applied = await migrate(listings_url, "listings", "services.listings.migrations")
    assert "services.listings.migrations:0001_init" in applied
    conn = await asyncpg.connect(listings_url)
    try:
        owner = await conn.fetchval("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'listings'")
        assert owner == "listings"
    finally:
        await conn.close()
