"""Operator commands over the dead-letter stream: list a service's dead letters, replay them.

``python -m services.<name> dead-letters list`` prints the dead letters of the service's
consumers; ``... dead-letters replay --id EVENT_ID`` (or ``--all``) applies each through
its consumer's own inbox path (``Consumer.handle_event``), so an event that was applied
after all has no second effect, and deletes it from the stream only once it is applied.
Neither needs the service to be running; ``replay`` needs its database schema.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

import asyncpg
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from shared.bus import DEAD_LETTERS_STREAM, connect
from shared.consumers import (
    DL_CONSUMER,
    DL_DELIVERIES,
    DL_ERROR,
    DL_ERROR_TYPE,
    DL_EVENT_ID,
    DL_SUBJECT,
    Consumer,
    dead_letter_subject,
    describe_error,
)
from shared.contracts.base import Event
from shared.db import create_pool
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.service import ServiceApp

CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class DeadLetter:
    """One event a consumer gave up on, as stored in the dead-letter stream."""

    seq: int  # in the dead-letter stream: what ``replay`` deletes
    time: datetime | None
    consumer: str
    subject: str
    event_id: str
    deliveries: int
    error_type: str
    error: str
    data: bytes

    def line(self) -> str:
        when = self.time.strftime("%Y-%m-%dT%H:%M:%SZ") if self.time else "-"
        error = f"{self.error_type}: {self.error}"
        return f"{when}  {self.consumer}  {self.subject}  {self.event_id or '-'}  deliveries={self.deliveries}  {error}"


async def list_dead_letters(nc: NATS, consumers: Iterable[str]) -> list[DeadLetter]:
    """The dead letters of ``consumers``, oldest first (none when the stream does not exist)."""
    js = nc.jetstream()
    try:
        await js.stream_info(DEAD_LETTERS_STREAM)
    except NotFoundError:
        return []
    found: list[DeadLetter] = []
    for consumer in consumers:
        subjects, seq = dead_letter_subject(consumer, ">"), 1
        while True:
            try:
                raw = await js.get_msg(DEAD_LETTERS_STREAM, seq, subject=subjects, next=True)
            except NotFoundError:
                break
            assert raw.seq is not None
            headers = {key: str(value) for key, value in (raw.headers or {}).items()}
            found.append(
                DeadLetter(
                    seq=raw.seq,
                    time=raw.time,
                    consumer=headers.get(DL_CONSUMER, consumer),
                    subject=headers.get(DL_SUBJECT, ""),
                    event_id=headers.get(DL_EVENT_ID, ""),
                    deliveries=int(headers.get(DL_DELIVERIES) or 0),
                    error_type=headers.get(DL_ERROR_TYPE, ""),
                    error=headers.get(DL_ERROR, ""),
                    data=raw.data or b"",
                )
            )
            seq = raw.seq + 1
    return sorted(found, key=lambda dl: dl.seq)


@dataclass(frozen=True)
class Replayed:
    """What replaying one dead letter did: ``error`` is None when it is applied and deleted."""

    dead_letter: DeadLetter
    applied: bool  # False: the inbox shows an earlier delivery applied it already
    error: str | None


async def replay_dead_letters(
    app: ServiceApp, pool: asyncpg.Pool, nc: NATS, selected: Sequence[DeadLetter]
) -> list[Replayed]:
    """Apply each of ``selected`` through its consumer's inbox; delete the ones that succeed."""
    js = nc.jetstream()
    consumers = {name: Consumer(pool, nc, name, subjects, apply) for name, subjects, apply in app.consumers}
    results = []
    for dl in selected:
        consumer = consumers.get(dl.consumer)
        if consumer is None:
            results.append(Replayed(dl, False, f"{app.name} has no consumer {dl.consumer}"))
            continue
        try:
            event = Event.parse(dl.subject, dl.data)
        except Exception as exc:
            results.append(Replayed(dl, False, f"undecodable: {type(exc).__name__}: {describe_error(exc)}"))
            continue
        try:
            applied = await consumer.handle_event(event)
        except Exception as exc:
            results.append(Replayed(dl, False, f"{type(exc).__name__}: {describe_error(exc)}"))
            continue
        try:
            await js.delete_msg(DEAD_LETTERS_STREAM, dl.seq)
        except Exception as exc:
            # Applied but still listed: a second replay finds it in the inbox and deletes it.
            results.append(Replayed(dl, applied, f"applied, but not deleted from dead letters: {describe_error(exc)}"))
            continue
        results.append(Replayed(dl, applied, None))
    return results


async def run_command(app: ServiceApp, settings: Settings, argv: Sequence[str], out: TextIO = sys.stdout) -> int:
    """Run ``dead-letters <argv>`` for ``app``; print to ``out``; return the exit status."""
    args = _parser(app).parse_args(argv)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            nc = await connect(settings.nats_servers, f"{app.name}-dead-letters")
    except TimeoutError:
        # bus.connect retries forever, which suits a service but not a command.
        print(f"cannot reach NATS at {settings.nats_url}", file=sys.stderr)
        return 2
    try:
        dead = await list_dead_letters(nc, [name for name, _, _ in app.consumers])
        if args.command == "list":
            for dl in dead:
                print(dl.line(), file=out)
            print(f"{len(dead)} dead letter(s)", file=out)
            return 0
        return await _replay(app, settings, nc, dead, args.ids, out)
    finally:
        await nc.close()


async def _replay(
    app: ServiceApp, settings: Settings, nc: NATS, dead: list[DeadLetter], ids: list[str] | None, out: TextIO
) -> int:
    missing = [event_id for event_id in ids or [] if not any(dl.event_id == event_id for dl in dead)]
    for event_id in missing:
        print(f"no dead letter of {app.name} with event id {event_id}", file=out)
    selected = [dl for dl in dead if ids is None or dl.event_id in ids]
    if not selected:
        print("nothing to replay", file=out)
        return 1 if missing else 0
    try:
        pool = await create_pool(
            settings.database_url, app.name, size=2, app=f"{app.name}-dead-letters", server_settings=app.pg_settings
        )
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"cannot reach Postgres: {describe_error(exc)}", file=sys.stderr)
        return 2
    try:
        results = await replay_dead_letters(app, pool, nc, selected)
    finally:
        await pool.close()
    for result in results:
        dl = result.dead_letter
        if result.error is not None:
            outcome = f"failed, kept: {result.error}"
        else:
            outcome = "replayed" if result.applied else "already applied, removed"
        print(f"{dl.consumer}  {dl.subject}  {dl.event_id or '-'}  {outcome}", file=out)
    kept = sum(1 for result in results if result.error is not None)
    print(f"{len(results) - kept} replayed, {kept + len(missing)} failed", file=out)
    return 1 if kept or missing else 0


def _parser(app: ServiceApp) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{app.name} dead-letters",
        description=f"List or replay the events that {app.name}'s consumers moved to {DEAD_LETTERS_STREAM}.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="print one line per dead letter, then the count")
    replay = commands.add_parser("replay", help="apply dead letters again; delete each one that succeeds")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", dest="ids", action="append", metavar="EVENT_ID", help="this event (repeatable)")
    which.add_argument("--all", action="store_true", help="every dead letter of this service")
    return parser


def run_cli(app: ServiceApp, settings: Settings, argv: Sequence[str]) -> int:
    """``python -m services.<name> dead-letters ...``: the exit status."""
    return asyncio.run(run_command(app, settings, argv))
