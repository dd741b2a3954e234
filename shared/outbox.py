"""The transactional outbox: the one way to publish a domain event, and its relay (rows
published long ago are pruned by ``shared.retention``).

A handler calls ``await add(conn, event)`` inside the transaction of its change. The relay
publishes unsent rows to JetStream with ``Nats-Msg-Id`` = event id (the broker drops a
re-publish within its dedupe window) and marks them sent; consumers are in
``shared.consumers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import asyncpg
from nats.aio.client import Client as NATS

from shared.contracts.base import Event
from shared.db import Connection
from shared.logs import REQUEST_ID_HEADER, request_id_var

if TYPE_CHECKING:
    pass

from shared.aio import stop_if_cancelled

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "wardmate_outbox"


async def add(conn: Connection, event: Event) -> None:
    """Write ``event`` to the outbox in the caller's transaction; wake the relay at commit."""
    headers = {}
    rid = request_id_var.get()
    if rid:
        headers[REQUEST_ID_HEADER] = rid
    await conn.execute(
        "INSERT INTO outbox(event_id, subject, payload, headers) VALUES ($1, $2, $3, $4)",
        event.event_id,
        event.subject,
        event.model_dump_json().encode(),
        headers,
    )
    # NOTIFY is delivered only when the transaction commits, and not at all on rollback.
    await conn.execute("SELECT pg_notify($1, current_schema())", OUTBOX_CHANNEL)


class OutboxRelay:
    """Publishes outbox rows to JetStream: woken by NOTIFY at commit, and by a slow poll."""

    def __init__(self, pool: asyncpg.Pool, nc: NATS, *, poll_s: float = 2.0, batch: int = 200):
        self.pool = pool
        self.js = nc.jetstream()
        self.nc = nc
        self.poll_s = poll_s
        self.batch = batch
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Relay until cancelled."""
        listener = await self.pool.acquire()

        def wake(*_: object) -> None:
            self._wake.set()

        try:
            await listener.add_listener(OUTBOX_CHANNEL, wake)
            while True:
                stop_if_cancelled()
                try:
                    sent = await self.relay_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # NATS down, Postgres restarting: retry shortly
                    log.warning("outbox relay failed, retrying: %s", exc)
                    sent = 0
                    await asyncio.sleep(1.0)
                if sent >= self.batch:
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_s):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(OUTBOX_CHANNEL, wake)
            await self.pool.release(listener)

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; return how many were sent."""
        async with self.pool.acquire() as conn, conn.transaction():
            # SKIP LOCKED lets several replicas relay side by side without sending twice.
            rows = await conn.fetch(
                "SELECT event_id, subject, payload, headers FROM outbox"
                " WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch,
            )
            for row in rows:
                headers = {**row["headers"], "Nats-Msg-Id": str(row["event_id"])}
                await self.js.publish(row["subject"], bytes(row["payload"]), headers=headers)
            if rows:
                await conn.execute(
                    "UPDATE outbox SET sent_at = now() WHERE event_id = ANY($1::uuid[])",
                    [r["event_id"] for r in rows],
                )
        return len(rows)
