"""Child process for the outbox crash test: commit an event, then die by SIGKILL at once,
before any relay could publish it (mimics a crash between commit and publish)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid

import asyncpg

from shared.outbox import add
from tests.integration.events import ThingHappened


async def main(dsn: str, event_id: str) -> None:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "plumbing,public"})
    await conn.set_type_codec(
        "jsonb", encoder=__import__("json").dumps, decoder=__import__("json").loads, schema="pg_catalog"
    )
    async with conn.transaction():
        await conn.execute("INSERT INTO things(name) VALUES ('crash')")
        await add(conn, ThingHappened(event_id=uuid.UUID(event_id), name="crash"))
    print("committed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
