"""Idempotent event consumers: durable JetStream consumers applied once through ``inbox``.

A consumer records ``(consumer, event_id)`` in ``inbox`` in the same transaction as the
event's effect, so a redelivered event finds its row and has no second effect. An event
whose effect keeps failing, or that cannot be decoded, is moved to the dead-letter stream
(``shared.deadletters`` lists and replays it) instead of blocking or vanishing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError

from shared.bus import DEAD_LETTERS_PREFIX, DEAD_LETTERS_STREAM, EVENTS_STREAM
from shared.contracts.base import Event
from shared.db import Connection
from shared.logs import REQUEST_ID_HEADER, request_id_var

if TYPE_CHECKING:
    from shared.metrics import ServiceMetrics

from shared.aio import stop_if_cancelled

log = logging.getLogger(__name__)

# What a consumer does once its transaction has committed, given the bus: live pushes of
# what it stored (``shared.push``), which must not go out for an effect rolled back.
AfterCommit = Callable[[NATS], Awaitable[None]]
Apply = Callable[[Connection, Event], Awaitable[AfterCommit | None]]


# A dead letter's body is the original event's bytes; these headers say whose it was and why.
DL_CONSUMER = "Wardmate-DL-Consumer"
DL_SUBJECT = "Wardmate-DL-Subject"
DL_EVENT_ID = "Wardmate-DL-Event-Id"
DL_DELIVERIES = "Wardmate-DL-Deliveries"
DL_ERROR_TYPE = "Wardmate-DL-Error-Type"
DL_ERROR = "Wardmate-DL-Error"

_URL_CREDENTIALS = re.compile(r"(\w+://)[^/\s@]+@")


def dead_letter_subject(consumer: str, subject: str) -> str:
    return f"{DEAD_LETTERS_PREFIX}.{consumer}.{subject}"


def describe_error(exc: BaseException) -> str:
    """``exc``'s message as a short one-line ASCII header value, URL credentials masked.

    NATS headers are single-line ASCII (nats-py hands back anything else as an
    ``email.header.Header``), and a driver's message may quote a DSN with its password.
    """
    text = " ".join(_URL_CREDENTIALS.sub(r"\1***@", str(exc)).split())
    return text.encode("ascii", "backslashreplace").decode()[:500]


class Consumer:
    """A durable JetStream consumer whose effects are applied exactly once via ``inbox``.

    A failing event is retried after ``backoff_s[attempt - 1]`` seconds (the last value
    repeats), ``max_deliver`` attempts in all; then it moves to the dead-letter stream,
    and so does an event that cannot be decoded, so the consumer goes on with the next.
    """

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
        max_deliver: int = 5,
        backoff_s: Sequence[float] = (1.0, 5.0, 30.0, 120.0),
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.pool = pool
        self.metrics = metrics
        self.nc = nc
        self.js = nc.jetstream()
        self.name = name
        self.subjects = list(subjects)
        self.apply = apply
        self.stream = stream
        self.batch = batch
        self.max_deliver = max_deliver
        self.backoff_s = tuple(backoff_s) or (0.0,)
        # Events this process moved to the dead-letter stream (each also logged at error).
        self.dead_lettered = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask ``run`` to return once the events it has fetched are handled (no new fetch)."""
        self._stopping.set()

    async def run(self) -> None:
        """Fetch and apply events until cancelled."""
        config = ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=self.subjects,
            ack_wait=30,
            # The retry limit is enforced here, not by the server: a server that reaches
            # max_deliver just stops delivering, so an event whose last attempt died with
            # its process would end up in neither stream (only in an advisory).
            max_deliver=-1,
            max_ack_pending=1000,
        )
        while True:
            if self._stopping.is_set():
                return
            try:
                await self._create_or_update(config)
                sub = await self.js.pull_subscribe_bind(durable=self.name, stream=self.stream)
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

    async def _create_or_update(self, config: ConsumerConfig) -> None:
        try:
            await self.js.add_consumer(self.stream, config)
        except APIError as exc:
            # nats-py 2.16 creates a durable through DURABLE.CREATE, which updates an
            # existing one in place, but the server refuses the whole request when a field
            # it cannot update differs (deliver policy, ack policy: err 10012). Keep those
            # and update the rest, above all max_deliver, which an older config may limit.
            try:
                info = await self.js.consumer_info(self.stream, self.name)
            except NotFoundError:
                raise exc from None
            kept = info.config.evolve(
                filter_subject=None,
                filter_subjects=config.filter_subjects,
                ack_wait=config.ack_wait,
                max_deliver=config.max_deliver,
                backoff=None,
                max_ack_pending=config.max_ack_pending,
            )
            await self.js.add_consumer(self.stream, kept)
            log.warning(
                "consumer kept its existing config where the server refused an update",
                extra={"fields": {"consumer": self.name, "refused": exc.description}},
            )

    async def _consume(self, sub: Any) -> None:
        while not self._stopping.is_set():
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
            for i, msg in enumerate(msgs):
                try:
                    await self._handle(msg)
                except asyncio.CancelledError:
                    # Hand what this replica will not handle back at once (an unacked
                    # event would wait out ack_wait); the current one may have been
                    # applied, where the inbox makes its redelivery a no-op.
                    for pending in msgs[i:]:
                        with contextlib.suppress(Exception):
                            await pending.nak()
                    raise

    async def _handle(self, msg: Msg) -> None:
        token = request_id_var.set((msg.headers or {}).get(REQUEST_ID_HEADER))
        try:
            await self._attempt(msg)
        finally:
            request_id_var.reset(token)

    async def _attempt(self, msg: Msg) -> None:
        subject: str = msg.subject
        deliveries = msg.metadata.num_delivered
        try:
            event = Event.parse(subject, msg.data)
        except Exception as exc:
            # Decoding fails the same way every time: no retries, but no silent drop either.
            await self._dead_letter(msg, None, exc)
            return
        if deliveries > self.max_deliver:
            # Its last allowed attempt ended with no outcome: the process died, the ack
            # timed out, or moving it to dead letters failed. Move it without a new attempt.
            await self._dead_letter(msg, event, None)
            return
        try:
            applied = await self.handle_event(event)
        except Exception as exc:
            if deliveries >= self.max_deliver:
                await self._dead_letter(msg, event, exc)
                return
            delay = self.backoff_s[min(deliveries, len(self.backoff_s)) - 1]
            log.warning(
                "event failed, will retry",
                exc_info=True,
                extra={"fields": self._fields(msg, str(event.event_id), exc) | {"retry_in_s": delay}},
            )
            self._count("retried")
            with contextlib.suppress(Exception):
                await msg.nak(delay=delay)
            return
        self._count("applied" if applied else "duplicate")
        try:
            await msg.ack()
        except Exception as exc:
            # Redelivered after ack_wait, where the inbox makes it a no-op.
            log.warning("ack failed: %s", exc, extra={"fields": {"subject": subject, "consumer": self.name}})
        if applied:
            log.info("event applied", extra={"fields": {"subject": subject, "consumer": self.name}})

    async def _dead_letter(self, msg: Msg, event: Event | None, error: Exception | None) -> None:
        """Publish ``msg`` to the dead-letter stream, and only then terminate it here."""
        # The relay's Nats-Msg-Id is the event id, for an event too broken to decode.
        event_id = str(event.event_id) if event else (msg.headers or {}).get("Nats-Msg-Id", "")
        fields = self._fields(msg, event_id, error)
        headers = {
            # A move retried after a lost term is dropped by the broker's dedupe.
            "Nats-Msg-Id": f"{self.name}:{event_id or msg.metadata.sequence.stream}",
            DL_CONSUMER: self.name,
            DL_SUBJECT: msg.subject,
            DL_EVENT_ID: event_id,
            DL_DELIVERIES: str(fields["deliveries"]),
            DL_ERROR_TYPE: fields["error_type"],
            DL_ERROR: fields["error"],
        }
        if rid := request_id_var.get():
            headers[REQUEST_ID_HEADER] = rid
        try:
            await self.js.publish(
                dead_letter_subject(self.name, msg.subject), msg.data, headers=headers, stream=DEAD_LETTERS_STREAM
            )
        except Exception as exc:
            # Not terminated: it comes back after the delay and the move is tried again.
            log.error("could not move event to dead letters, will retry: %s", exc, extra={"fields": fields})
            with contextlib.suppress(Exception):
                await msg.nak(delay=self.backoff_s[-1])
            return
        with contextlib.suppress(Exception):
            # If this is lost, the redelivery is moved again and deduplicated.
            await msg.term()
        self.dead_lettered += 1
        self._count("dead_lettered")
        log.error("event moved to dead letters", extra={"fields": fields | {"dead_lettered": self.dead_lettered}})

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.consumer_events.labels(self.name, outcome).inc()

    def _fields(self, msg: Msg, event_id: str, error: Exception | None) -> dict[str, Any]:
        deliveries = msg.metadata.num_delivered
        if error is None:
            error_type, text = "NoOutcome", f"no outcome after {deliveries - 1} deliveries"
        else:
            error_type, text = type(error).__name__, describe_error(error)
        return {
            "consumer": self.name,
            "subject": msg.subject,
            "event_id": event_id,
            "deliveries": deliveries,
            "error_type": error_type,
            "error": text,
        }

    async def handle_event(self, event: Event) -> bool:
        """Apply ``event`` once, then run what the effect left for after commit; return
        False when the inbox shows it was already applied."""
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
            after = await self.apply(conn, event)
        if after is not None:
            await after(self.nc)
        return True
