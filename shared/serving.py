"""How a service process serves its NATS endpoints: concurrently, counted, drained on stop.

nats-py runs a subscription's callback one message at a time, so an endpoint whose
handler awaits Postgres would serve one request at a time. The runner's callback only
acquires a slot of a bounded semaphore and spawns a task, so up to
``handler_concurrency`` requests are in flight per process; when all slots are taken the
callback waits, which pushes back on the subscription instead of queueing without bound.

For the same reason micro's own statistics time only the spawn, so the runner counts each
endpoint's requests, error replies, time from receipt to reply and requests in flight
itself, and ``$SRV.STATS`` reports those (through ``shared.micro_shim``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.micro.request import Request
from nats.micro.service import EndpointStats, Service
from pydantic import BaseModel, ValidationError

from shared.bus import ROLE_HEADER, USER_HEADER, VERIFIED_HEADER
from shared.contracts.base import PATTERN_MESSAGES, Actor
from shared.db import retry_aborted
from shared.errors import AppError, validation_details
from shared.logs import REQUEST_ID_HEADER, new_request_id, request_id_var
from shared.metrics import Children, ServiceMetrics
from shared.micro_shim import drain_endpoints
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What a handler gets besides its request: the caller, the pool, the settings, the bus."""

    actor: Actor | None
    request_id: str
    pool: asyncpg.Pool
    settings: Settings
    nc: NATS

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise AppError("unauthorized", "authentication required")
        return self.actor

    def require_verified_email(self) -> Actor:
        """The caller, who must have confirmed their email address (403 ``email_unverified``)."""
        actor = self.require_actor()
        if not actor.email_verified:
            raise AppError(
                "forbidden",
                "confirm your email address first: follow the link we mailed you, or ask for a new one",
                {"reason": "email_unverified"},
            )
        return actor

    def require_role(self, *roles: str) -> Actor:
        actor = self.require_actor()
        if actor.role not in roles:
            raise AppError("forbidden", f"this action needs the role {' or '.join(roles)}")
        return actor


@dataclass(frozen=True, slots=True)
class RawJson:
    """A reply a handler serialized itself, for hot paths where building pydantic models
    costs more than the query; its shape must still be its endpoint's reply contract
    (a test checks it against the model)."""

    body: bytes


Handler = Callable[[Context, Any], Awaitable[BaseModel | RawJson | None]]


@dataclass
class Endpoint:
    name: str
    subject: str
    model: type[BaseModel]
    handler: Handler
    # Who may call it (``Registry.endpoint``); empty: the handler decides.
    roles: tuple[str, ...] = ()


@dataclass
class EndpointCounts:
    """One endpoint's requests as the runner sees them: from receipt to reply.

    The one measuring point of an endpoint: ``$SRV.STATS`` reads the totals here, and the
    same events feed the process's Prometheus metrics.
    """

    subject: str
    metrics: ServiceMetrics
    requests: int = 0
    finished: int = 0
    errors: int = 0
    processing_ns: int = 0
    last_error: str | None = None

    def __post_init__(self) -> None:
        # This endpoint's metric children, looked up once rather than on every request.
        self.in_flight = self.metrics.in_flight.labels(self.subject)
        self.latency = self.metrics.latency.labels(self.subject)
        self.outcomes = Children(self.metrics.requests)

    def receive(self) -> None:
        self.requests += 1
        self.in_flight.inc()

    def finish(self, received_ns: int, code: str) -> None:
        """The request is answered (``code``: ok or its error code) or abandoned."""
        elapsed_ns = time.perf_counter_ns() - received_ns
        self.finished += 1
        self.processing_ns += elapsed_ns
        self.in_flight.dec()
        self.outcomes(self.subject, code).inc()
        self.latency.observe(elapsed_ns / 1e9)

    def fail(self, err: AppError) -> None:
        self.errors += 1
        # Shaped like micro's own last_error for a ServiceError: "code:description".
        self.last_error = f"{err.status}:{err.message}"

    def report(self, micro: EndpointStats) -> EndpointStats:
        """``micro``'s entry for this endpoint with the runner's numbers (nanoseconds, like micro)."""
        return dataclasses.replace(
            micro,
            num_requests=self.requests,
            num_errors=self.errors,
            processing_time=self.processing_ns,
            # Over finished requests only: one still running has no time yet.
            average_processing_time=self.processing_ns // self.finished if self.finished else 0,
            last_error=self.last_error,
            data={"in_flight": self.requests - self.finished},
        )


class Server:
    def __init__(self, endpoints: list[Endpoint], base: Context, concurrency: int, metrics: ServiceMetrics) -> None:
        self.endpoints = endpoints
        self.base = base
        self.metrics = metrics
        self.slots = asyncio.Semaphore(concurrency)
        self.inflight: set[asyncio.Task[None]] = set()
        self.counts: dict[str, EndpointCounts] = {}

    def callback(self, ep: Endpoint) -> Callable[[Request], Awaitable[None]]:
        counts = self.counts.setdefault(ep.subject, EndpointCounts(ep.subject, self.metrics))

        async def on_request(req: Request) -> None:
            # The clock starts before the wait for a slot: the caller waits for it too.
            received_ns = time.perf_counter_ns()
            counts.receive()
            try:
                await self.slots.acquire()
            except BaseException:
                # Cancelled with its subscription before a slot freed: never served, and
                # it must not stay in flight forever.
                counts.finish(received_ns, "cancelled")
                raise
            task = asyncio.create_task(self.serve(ep, req, counts, received_ns))
            self.inflight.add(task)
            task.add_done_callback(self._done)

        return on_request

    def _done(self, task: asyncio.Task[None]) -> None:
        self.inflight.discard(task)
        self.slots.release()

    def report(self, micro: EndpointStats) -> EndpointStats:
        """The runner's statistics for the endpoint micro describes in ``micro``."""
        counts = self.counts.get(micro.subject)
        return micro if counts is None else counts.report(micro)

    async def stop_accepting(self, service: Service) -> None:
        """Unsubscribe the endpoints but hand every message already received to a task.

        A plain unsubscribe would drop requests sitting in nats-py's pending queue; their
        callers would time out although a replica was there to serve them.
        """
        await drain_endpoints(service)

    async def drain(self) -> None:
        """Let requests already accepted finish, so a stopping replica drops none."""
        if self.inflight:
            await asyncio.wait(self.inflight, timeout=10)

    async def serve(self, ep: Endpoint, req: Request, counts: EndpointCounts, received_ns: int) -> None:
        headers = req.headers or {}
        rid = headers.get(REQUEST_ID_HEADER) or new_request_id()
        token = request_id_var.set(rid)
        outcome = "ok"
        try:
            actor = None
            if USER_HEADER in headers:
                actor = Actor(
                    user_id=uuid.UUID(headers[USER_HEADER]),
                    role=headers.get(ROLE_HEADER, ""),
                    email_verified=headers.get(VERIFIED_HEADER) == "1",
                )
            ctx = Context(actor, rid, self.base.pool, self.base.settings, self.base.nc)
            if ep.roles:
                # Who may ask comes before what was asked: a student's invalid body to an
                # operators' endpoint once got its schema errors instead of a 403 (audit 4, D12).
                ctx.require_role(*ep.roles)
            try:
                body = ep.model.model_validate_json(req.data or b"{}")
            except ValidationError as exc:
                details = validation_details(exc.errors(), PATTERN_MESSAGES)
                raise AppError("validation", "invalid request", details) from None
            reply = await retry_aborted(lambda: ep.handler(ctx, body))
            if isinstance(reply, RawJson):
                await req.respond(reply.body)
            else:
                await req.respond(reply.model_dump_json().encode() if reply is not None else b"{}")
        except AppError as err:
            outcome = err.code
            counts.fail(err)
            await self._respond_error(req, err)
        except Exception:
            outcome = "internal"
            log.exception("unhandled error in %s", ep.subject)
            internal = AppError("internal", "internal error")
            counts.fail(internal)
            await self._respond_error(req, internal)
        finally:
            counts.finish(received_ns, outcome)
            if log.isEnabledFor(logging.INFO):  # the fields cost more than the check
                log.info(
                    "request",
                    extra={
                        "fields": {
                            "subject": ep.subject,
                            "outcome": outcome,
                            "ms": round((time.perf_counter_ns() - received_ns) / 1e6, 2),
                        }
                    },
                )
            request_id_var.reset(token)

    @staticmethod
    async def _respond_error(req: Request, err: AppError) -> None:
        with contextlib.suppress(Exception):
            await req.respond_error(str(err.status), err.message, data=json.dumps(err.to_dict()).encode())
