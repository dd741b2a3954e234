"""The events stream's side of a backup: what keeps a restore consistent across services.

A backup records the stream's last sequence number when it starts. Every event published
up to then was written to some outbox before any dump began, so it is in the backup. A
restore then makes the stream hold exactly what the restored outboxes hold: each event
published after that point is kept if its outbox row came back (and the row is marked
sent, since the stream has it), and deleted otherwise: it belongs to the timeline the
restore abandoned. Every durable consumer of the stream is deleted, so each service's
consumers start again from the stream's beginning and apply, through their restored
inboxes, exactly the events they had not applied at the backup. After that, replaying
the stream (``make rebuild-matching``, or a consumer deleted later) gives back projections
of the restored data, never of data the restore removed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import asyncpg
import nats
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from shared.bus import EVENTS_STREAM

MSG_ID = "Nats-Msg-Id"


class StreamError(RuntimeError):
    """NATS could not be reached or did not answer; the message says which."""


@dataclass
class Alignment:
    kept: int = 0
    dropped: int = 0
    marked_sent: int = 0
    consumers_reset: int = 0
    # The stream's first event: past the backup's position, the events around the backup
    # are gone (older than the stream's retention), and a consumer that was behind then
    # cannot catch up.
    first_seq: int = 0


async def _connect(servers: list[str]) -> NATS:
    try:
        return await nats.connect(servers=servers, connect_timeout=3, max_reconnect_attempts=3, reconnect_time_wait=0.5)
    except Exception as exc:
        raise StreamError(f"cannot reach NATS at {','.join(servers)}: {exc!r}") from None


async def _last_seq(nc: NATS, timeout: float) -> int:
    """The events stream's last sequence (0 when it does not exist yet); waits for a
    freshly started cluster to elect the stream's leader."""
    js = nc.jetstream(timeout=2)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return (await js.stream_info(EVENTS_STREAM)).state.last_seq
        except NotFoundError:
            return 0
        except Exception as exc:
            if time.monotonic() > deadline:
                raise StreamError(f"the {EVENTS_STREAM} stream did not answer in {timeout:g} s: {exc!r}") from None
            await asyncio.sleep(0.3)


async def position(servers: list[str], timeout: float = 10) -> int:
    """The events stream's last sequence number, recorded with a backup."""
    nc = await _connect(servers)
    try:
        return await _last_seq(nc, timeout)
    finally:
        await nc.close()


async def restored_outboxes(admin_urls: dict[str, str]) -> dict[uuid.UUID, tuple[str, bool]]:
    """Every restored outbox row: event id -> (its service, already sent)."""
    rows: dict[uuid.UUID, tuple[str, bool]] = {}
    for service, url in admin_urls.items():
        conn = await asyncpg.connect(url)
        try:
            for row in await conn.fetch(f'SELECT event_id, sent_at IS NOT NULL AS sent FROM "{service}".outbox'):
                rows[row["event_id"]] = (service, row["sent"])
        finally:
            await conn.close()
    return rows


async def _mark_sent(admin_urls: dict[str, str], by_service: dict[str, list[uuid.UUID]]) -> None:
    for service, ids in by_service.items():
        conn = await asyncpg.connect(admin_urls[service])
        try:
            await conn.execute(
                f'UPDATE "{service}".outbox SET sent_at = now() WHERE event_id = ANY($1::uuid[]) AND sent_at IS NULL',
                ids,
            )
        finally:
            await conn.close()


async def align(servers: list[str], after_seq: int, admin_urls: dict[str, str], timeout: float = 30) -> Alignment:
    """Make the stream past ``after_seq`` hold exactly the restored outboxes' events, and
    reset every durable consumer of it (see the module's docstring)."""
    outboxes = await restored_outboxes(admin_urls)
    result = Alignment()
    to_mark: dict[str, list[uuid.UUID]] = {}
    nc = await _connect(servers)
    try:
        last = await _last_seq(nc, timeout)
        js = nc.jetstream(timeout=5)
        if last:
            result.first_seq = (await js.stream_info(EVENTS_STREAM)).state.first_seq
        for seq in range(after_seq + 1, last + 1):
            try:
                msg = await js.get_msg(EVENTS_STREAM, seq)
            except NotFoundError:
                continue  # deleted already (an earlier restore)
            try:
                event_id = uuid.UUID((msg.headers or {}).get(MSG_ID, ""))
            except ValueError:
                event_id = None
            found = outboxes.get(event_id) if event_id else None
            if found is None:
                await js.delete_msg(EVENTS_STREAM, seq)
                result.dropped += 1
                continue
            result.kept += 1
            service, sent = found
            if not sent:
                to_mark.setdefault(service, []).append(event_id)  # type: ignore[arg-type]
                result.marked_sent += 1
        await _mark_sent(admin_urls, to_mark)
        if last:
            for consumer in await js.consumers_info(EVENTS_STREAM):
                await js.delete_consumer(EVENTS_STREAM, consumer.name)
                result.consumers_reset += 1
    finally:
        await nc.close()
    return result
