"""What a fault run's clients were told, against what the system stored: once the load
has stopped and every consumer has caught up (``settle``), ``verify`` counts accepted
bookings lost (in listings or in matching's projection), events applied twice or never,
and messages lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from bench.lib.cluster_load import Run
from services.runner import SERVICES_WITH_SCHEMA, Stack
from shared import bus


@contextlib.asynccontextmanager
async def databases(stack: Stack) -> AsyncIterator[dict[str, asyncpg.Connection]]:
    """A superuser connection to each service's Postgres server, by service (services on
    one server share it)."""
    urls = {name: stack.admin_url(name) for name in SERVICES_WITH_SCHEMA}
    conns = {url: await asyncpg.connect(url) for url in set(urls.values())}
    try:
        yield {name: conns[url] for name, url in urls.items()}
    finally:
        for conn in conns.values():
            await conn.close()


async def settle(stack: Stack, timeout: float = 90) -> None:
    """Until every durable consumer has acknowledged everything and no outbox row waits."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "chaos-settle")
    try:
        async with databases(stack) as db:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    consumers = await nc.jetstream(timeout=2).consumers_info(bus.EVENTS_STREAM)
                    busy = [c.name for c in consumers if c.num_pending or c.num_ack_pending]
                except Exception as exc:
                    busy = [repr(exc)]
                unsent = 0
                for name in SERVICES_WITH_SCHEMA:
                    unsent += await db[name].fetchval(f'SELECT count(*) FROM "{name}".outbox WHERE sent_at IS NULL')
                if not busy and not unsent:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"events did not settle: consumers {busy}, {unsent} unsent")
                await asyncio.sleep(0.3)
    finally:
        await nc.close()


async def consumer_subjects(stack: Stack) -> dict[str, list[str]]:
    """Every durable consumer of the events stream and the subjects it takes."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "chaos-consumers")
    try:
        infos = await nc.jetstream(timeout=5).consumers_info(bus.EVENTS_STREAM)
        return {c.name: list(c.config.filter_subjects or [c.config.filter_subject or ">"]) for c in infos}
    finally:
        await nc.close()


async def events_never_applied(db: dict[str, asyncpg.Connection], consumers: dict[str, list[str]]) -> int:
    """Events of any service's outbox that a consumer taking their subject has not applied
    (its inbox, in its service's schema, lacks them). Every event of this fresh system was
    written during the run, so this is complete."""
    published: list[tuple[uuid.UUID, str]] = []
    for name in SERVICES_WITH_SCHEMA:
        published += [
            (r["event_id"], r["subject"])
            for r in await db[name].fetch(f'SELECT event_id, subject FROM "{name}".outbox')
        ]
    missing = 0
    for consumer, subjects in consumers.items():
        schema = consumer.split("-", 1)[0]
        applied = {
            r["event_id"]
            for r in await db[schema].fetch(f'SELECT event_id FROM "{schema}".inbox WHERE consumer = $1', consumer)
        }
        missing += sum(1 for event_id, subject in published if subject in subjects and event_id not in applied)
    return missing


async def verify(stack: Stack, run: Run) -> dict[str, Any]:
    """Bookings, events and messages as stored, against what the clients were told."""
    consumers = await consumer_subjects(stack)
    async with databases(stack) as db:
        accepted = list(map(uuid.UUID, run.accepted))
        stored = await db["listings"].fetch(
            "SELECT id, status FROM listings.bookings WHERE id = ANY($1::uuid[])", accepted
        )
        in_matching = await db["matching"].fetch(
            "SELECT booking_id FROM matching.bookings WHERE booking_id = ANY($1::uuid[]) AND status = 'accepted'",
            accepted,
        )
        lost = len(accepted) - sum(1 for r in stored if r["status"] == "accepted")
        missing_in_projection = len(accepted) - len(in_matching)
        # One system message per booking event: requested and accepted.
        system = await db["messaging"].fetch(
            "SELECT c.subject_id, count(*) FILTER (WHERE m.sender_id IS NULL) AS n"
            " FROM messaging.conversations c JOIN messaging.messages m ON m.conversation_id = c.id"
            " WHERE c.kind = 'booking' AND c.subject_id = ANY($1::uuid[]) GROUP BY c.subject_id",
            accepted,
        )
        notes = await db["messaging"].fetch(
            "SELECT booking_id, kind, count(*) AS n FROM messaging.notifications"
            " WHERE booking_id = ANY($1::uuid[]) GROUP BY booking_id, kind",
            accepted,
        )
        # Effects: at most one system message per booking event (requested, accepted) and
        # one notification per booking and kind. (Fewer is allowed: a request applied after
        # its acceptance adds nothing, by design.)
        twice = sum(max(r["n"] - 2, 0) for r in system) + sum(r["n"] - 1 for r in notes if r["n"] > 1)
        never = await events_never_applied(db, consumers)
        lost_messages = doubled = 0
        for conversation, cids in run.sent.items():
            rows = await db["messaging"].fetch(
                "SELECT client_message_id, count(*) AS n FROM messaging.messages"
                " WHERE conversation_id = $1 AND client_message_id IS NOT NULL GROUP BY client_message_id",
                uuid.UUID(conversation),
            )
            counts = {r["client_message_id"]: r["n"] for r in rows}
            lost_messages += sum(1 for cid in cids if cid not in counts)
            doubled += sum(n - 1 for n in counts.values() if n > 1)
    return {
        "bookings_accepted": len(accepted),
        "accepted_bookings_lost": lost,
        "accepted_missing_in_matching": missing_in_projection,
        "events_applied_twice": twice,
        "events_never_applied": never,
        "messages_sent": sum(len(c) for c in run.sent.values()),
        "messages_lost": lost_messages,
        "messages_doubled": doubled,
    }
