"""Domain events: the transactional outbox, its relay, and idempotent inbox consumers.

One way to publish: a handler calls ``await add(conn, event)`` inside the transaction of
its change. The relay publishes unsent rows to JetStream with ``Nats-Msg-Id`` = event id
(the broker drops a re-publish within its dedupe window) and marks them sent. A consumer
records ``(consumer, event_id)`` in ``inbox`` in the same transaction as the event's
effect, so a redelivered event finds its row and has no second effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared.bus import EVENTS_STREAM
from shared.contracts.base import Event
from shared.db import Connection
from shared.logs import REQUEST_ID_HEADER, request_id_var

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "wardmate_outbox"

Apply = Callable[[Connection, Event], Awaitable[None]]


def stop_if_cancelled() -> None:
    """Raise CancelledError when the current task has been asked to stop.

    Loops call it on every turn: on Python 3.11 a cancellation that lands while a library
    awaits ``asyncio.wait_for`` (nats-py's publish and fetch do) can be swallowed, and a
    loop that relied on the CancelledError would then run forever (seen as a replica
    hanging on SIGTERM under load).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


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
                " WHERE sent_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
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


class Consumer:
    """A durable JetStream consumer whose effects are applied exactly once via ``inbox``."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        nc: NATS,
        name: str,
        subjects: Sequence[str],
        apply: Apply,
        *,
        stream: str = EVENTS_STREAM,
        batch: int = 50,
    ) -> None:
        self.pool = pool
        self.nc = nc
        self.name = name
        self.subjects = list(subjects)
        self.apply = apply
        self.stream = stream
        self.batch = batch

    async def run(self) -> None:
        """Fetch and apply events until cancelled."""
        js = self.nc.jetstream()
        config = ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=self.subjects,
            ack_wait=30,
            max_ack_pending=1000,
        )
        while True:
            try:
                await js.add_consumer(self.stream, config)
                sub = await js.pull_subscribe_bind(durable=self.name, stream=self.stream)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s not ready: %s", self.name, exc)
                await asyncio.sleep(1.0)
        try:
            await self._consume(sub)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _consume(self, sub: Any) -> None:
        while True:
            stop_if_cancelled()
            try:
                msgs = await sub.fetch(self.batch, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue  # nothing new; the loop's stop_if_cancelled sees a cancellation
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s fetch failed: %s", self.name, exc)
                await asyncio.sleep(0.5)
                continue
            for msg in msgs:
                await self._handle(msg)

    async def _handle(self, msg: Msg) -> None:
        subject: str = msg.subject
        try:
            event = Event.parse(subject, msg.data)
        except Exception:
            log.error("dropping undecodable event on %s", subject)
            await msg.term()
            return
        token = request_id_var.set((msg.headers or {}).get(REQUEST_ID_HEADER))
        try:
            applied = await self.handle_event(event)
            await msg.ack()
            if applied:
                log.info("event applied", extra={"fields": {"subject": subject, "consumer": self.name}})
        except Exception:
            log.exception("event %s failed on %s; will be redelivered", event.event_id, self.name)
            with contextlib.suppress(Exception):
                await msg.nak(delay=1.0)
        finally:
            request_id_var.reset(token)

    async def handle_event(self, event: Event) -> bool:
        """Apply ``event`` once; return False when the inbox shows it was already applied."""
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO inbox(consumer, event_id, subject) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING RETURNING true",
                self.name,
                event.event_id,
                event.subject,
            )
            if not fresh:
                return False
            await self.apply(conn, event)
            return True
