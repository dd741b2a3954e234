"""The service runner: one NATS micro service per process, endpoints served concurrently.

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
import faulthandler
import json
import logging
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.micro.request import Request
from nats.micro.service import EndpointStats, Service, ServiceConfig
from pydantic import BaseModel, ValidationError

from shared.bus import DEAD_LETTERS_STREAM, DEAD_LETTERS_SUBJECTS, ROLE_HEADER, USER_HEADER, connect, ensure_stream
from shared.consumers import Apply, Consumer
from shared.contracts.base import PATTERN_MESSAGES, Actor
from shared.db import create_pool, migrate, retry_aborted
from shared.deadletters import run_cli
from shared.errors import AppError, validation_details
from shared.logs import REQUEST_ID_HEADER, new_request_id, request_id_var, setup_logging
from shared.metrics import ServiceMetrics, serve_metrics
from shared.micro_shim import add_reporting_service, drain_endpoints
from shared.outbox import OutboxRelay
from shared.settings import Settings

log = logging.getLogger(__name__)

# How long a stopping service lets its consumers finish the events they fetched.
CONSUMER_STOP_TIMEOUT_S = 10.0


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


Job = Callable[[Context], Coroutine[Any, Any, None]]
Hook = Callable[[Context], Awaitable[None]]
Resource = Callable[[Settings], contextlib.AbstractAsyncContextManager[None]]


class Registry:
    """What one module declares: endpoints, event consumers, background jobs, startup hooks.

    Handler, consumer and job modules each make one and decorate their functions with it;
    the service's ``app.py`` includes them into its ``ServiceApp`` (the wiring is explicit
    there, like aiohttp's ``RouteTableDef``, and a handler module never imports the app).
    """

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []
        # (name, subjects, apply); the service's name is prefixed when included.
        self.consumers: list[tuple[str, list[str], Apply]] = []
        self.tasks: list[Job] = []
        self.startup: list[Hook] = []
        self.resources: list[Resource] = []

    def endpoint(self, subject: str, model: type[BaseModel]) -> Callable[[Handler], Handler]:
        """Register ``handler`` for ``subject``; its request body is validated as ``model``."""

        def register(handler: Handler) -> Handler:
            name = subject.rsplit(".", 1)[-1].replace("-", "_")
            self.endpoints.append(Endpoint(name, subject, model, handler))
            return handler

        return register

    def consumer(self, name: str, *subjects: str) -> Callable[[Apply], Apply]:
        """Register ``apply`` as the durable consumer ``name`` of events on ``subjects``."""

        def register(apply: Apply) -> Apply:
            self.consumers.append((name, list(subjects), apply))
            return apply

        return register

    def background(self, task: Job) -> Job:
        """Run ``task`` for the life of the process (it should loop until cancelled)."""
        self.tasks.append(task)
        return task

    def on_startup(self, hook: Hook) -> Hook:
        self.startup.append(hook)
        return hook

    def resource(self, factory: Resource) -> Resource:
        """Hold what ``factory(settings)`` opens (object storage, a process pool) for the
        life of the process: entered before the startup hooks, closed after the last request."""
        self.resources.append(factory)
        return factory


class ServiceApp(Registry):
    """A service: its name, migrations and the registries it includes, run by ``run``."""

    def __init__(
        self,
        name: str,
        *,
        version: str = "0.1.0",
        migrations: str | None = None,
        pg_settings: dict[str, str] | None = None,
        include: tuple[Registry, ...] = (),
    ) -> None:
        super().__init__()
        self.name = name
        self.version = version
        self.migrations = migrations
        # Session settings of the service's Postgres connections (e.g. plan_cache_mode).
        self.pg_settings = pg_settings or {}
        for part in include:
            self.include(part)

    def include(self, part: Registry) -> None:
        """Serve what ``part`` declares; its consumers' durable names get the service's prefix."""
        self.endpoints += part.endpoints
        self.consumers += [(f"{self.name}-{name}", subjects, apply) for name, subjects, apply in part.consumers]
        self.tasks += part.tasks
        self.startup += part.startup
        self.resources += part.resources

    def consumer(self, name: str, *subjects: str) -> Callable[[Apply], Apply]:
        """Register ``apply`` as the durable consumer ``<service>-name`` of events on ``subjects``."""
        return super().consumer(f"{self.name}-{name}", *subjects)

    async def run(self, settings: Settings, stop: asyncio.Event | None = None) -> None:
        """Migrate, connect, serve until ``stop`` is set or SIGTERM/SIGINT arrives."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGUSR2, _dump_tasks)
        if self.migrations:
            await migrate(settings.database_url, self.name, self.migrations)
        async with contextlib.AsyncExitStack() as stack:
            pool = await create_pool(
                settings.database_url,
                self.name,
                size=settings.db_pool_size,
                app=self.name,
                server_settings=self.pg_settings,
            )
            stack.push_async_callback(pool.close)
            nc = await connect(settings.nats_servers, self.name)
            # Not drain(): in-flight requests are awaited below, and nats-py's drain waits
            # 30 s on a pull subscription whose fetch was cancelled.
            stack.push_async_callback(close_nats, nc)
            await ensure_stream(nc, replicas=settings.stream_replicas)
            await ensure_stream(nc, DEAD_LETTERS_STREAM, DEAD_LETTERS_SUBJECTS, replicas=settings.stream_replicas)
            for factory in self.resources:
                await stack.enter_async_context(factory(settings))
            base = Context(None, "startup", pool, settings, nc)
            for hook in self.startup:
                await hook(base)
            metrics = ServiceMetrics()
            consumer_names = [cname for cname, _, _ in self.consumers]
            await stack.enter_async_context(
                serve_metrics(
                    metrics.registry,
                    settings.metrics_host,
                    settings.metrics_port,
                    metrics.refresher(pool, nc, consumer_names),
                )
            )
            server = _Server(self, base, settings.handler_concurrency, metrics)
            service = await add_reporting_service(
                nc,
                ServiceConfig(
                    name=self.name,
                    version=self.version,
                    queue_group=self.name,
                    description=f"Wardmate {self.name} service",
                ),
                server.report,
            )
            for ep in self.endpoints:
                await service.add_endpoint(
                    name=ep.name,
                    subject=ep.subject,
                    handler=server.callback(ep),
                    queue_group=self.name,
                )
            consumers = [
                Consumer(
                    pool,
                    nc,
                    cname,
                    subjects,
                    apply,
                    max_deliver=settings.event_max_deliver,
                    backoff_s=settings.event_retry_backoff_s,
                    metrics=metrics,
                )
                for cname, subjects, apply in self.consumers
            ]
            consuming = [asyncio.create_task(c.run(), name=c.name) for c in consumers]
            background = [asyncio.create_task(OutboxRelay(pool, nc).run(), name="outbox-relay")]
            background += [asyncio.create_task(task(base)) for task in self.tasks]
            log.info("service ready", extra={"fields": {"endpoints": len(self.endpoints)}})
            try:
                await stop.wait()
            finally:
                log.info("service stopping")
                await server.stop_accepting(service)
                await server.drain()
                # Consumers finish the batch they fetched: cancelled in the middle of one,
                # its events would wait out ack_wait (30 s) before another replica got them.
                for consumer in consumers:
                    consumer.stop()
                if consuming:
                    await asyncio.wait(consuming, timeout=CONSUMER_STOP_TIMEOUT_S)
                for task in [*consuming, *background]:
                    task.cancel()
                await asyncio.gather(*consuming, *background, return_exceptions=True)
                with contextlib.suppress(Exception):
                    await service.stop()
                log.info("service stopped")


@dataclass
class _EndpointCounts:
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

    def receive(self) -> None:
        self.requests += 1
        self.metrics.in_flight.labels(self.subject).inc()

    def finish(self, received_ns: int, code: str) -> None:
        """The request is answered (``code``: ok or its error code) or abandoned."""
        elapsed_ns = time.perf_counter_ns() - received_ns
        self.finished += 1
        self.processing_ns += elapsed_ns
        self.metrics.in_flight.labels(self.subject).dec()
        self.metrics.requests.labels(self.subject, code).inc()
        self.metrics.latency.labels(self.subject).observe(elapsed_ns / 1e9)

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


class _Server:
    def __init__(self, app: ServiceApp, base: Context, concurrency: int, metrics: ServiceMetrics) -> None:
        self.app = app
        self.base = base
        self.metrics = metrics
        self.slots = asyncio.Semaphore(concurrency)
        self.inflight: set[asyncio.Task[None]] = set()
        self.counts: dict[str, _EndpointCounts] = {}

    def callback(self, ep: Endpoint) -> Callable[[Request], Awaitable[None]]:
        counts = self.counts.setdefault(ep.subject, _EndpointCounts(ep.subject, self.metrics))

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

    async def serve(self, ep: Endpoint, req: Request, counts: _EndpointCounts, received_ns: int) -> None:
        headers = req.headers or {}
        rid = headers.get(REQUEST_ID_HEADER) or new_request_id()
        token = request_id_var.set(rid)
        outcome = "ok"
        try:
            actor = None
            if USER_HEADER in headers:
                actor = Actor(user_id=uuid.UUID(headers[USER_HEADER]), role=headers.get(ROLE_HEADER, ""))
            ctx = Context(actor, rid, self.base.pool, self.base.settings, self.base.nc)
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


def _dump_tasks() -> None:
    """`kill -USR2 <pid>`: log every asyncio task's stack (where a stuck replica waits)."""
    import io

    for task in asyncio.all_tasks():
        out = io.StringIO()
        task.print_stack(limit=8, file=out)
        log.warning("task %s\n%s", task.get_name(), out.getvalue())


async def close_nats(nc: NATS) -> None:
    with contextlib.suppress(Exception):
        await nc.flush(timeout=2)
    await nc.close()


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed (a faster event loop), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def main(app: ServiceApp) -> None:
    """Entry point of ``python -m services.<name>`` (and of its ``dead-letters`` commands)."""
    # `kill -USR1 <pid>` prints every thread's stack: a hung replica explains itself.
    faulthandler.register(signal.SIGUSR1)
    settings = Settings()
    if sys.argv[1:2] == ["dead-letters"]:
        # An operator's command prints its own report; only real trouble goes to the log.
        setup_logging(app.name, "ERROR")
        sys.exit(run_cli(app, settings, sys.argv[2:]))
    setup_logging(app.name, settings.log_level)
    run_loop(app.run(settings))
