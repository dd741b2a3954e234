"""A service process: its registries of endpoints, consumers and jobs (``Registry``),
wired into a ``ServiceApp`` that migrates, connects, serves until SIGTERM and stops
cleanly. How each request is served is ``shared/serving.py``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from nats.aio.client import Client as NATS
from nats.micro.service import ServiceConfig
from pydantic import BaseModel

from shared import healthcheck, runtime
from shared.bus import DEAD_LETTERS_STREAM, DEAD_LETTERS_SUBJECTS, connect, ensure_stream
from shared.consumers import Apply, Consumer
from shared.db import create_pool, migrate
from shared.metrics import ServiceMetrics, serve_metrics
from shared.micro_shim import add_reporting_service
from shared.outbox import OutboxRelay
from shared.retention import retention_loop, stream_max_age_s
from shared.serving import Context, Endpoint, Handler, RawJson, Server
from shared.settings import Settings

__all__ = ["Context", "Endpoint", "Handler", "RawJson", "Registry", "ServiceApp", "close_nats"]

log = logging.getLogger(__name__)

# How long a stopping service lets its consumers finish the events they fetched.
CONSUMER_STOP_TIMEOUT_S = 10.0


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

    def endpoint(
        self, subject: str, model: type[BaseModel], *, roles: tuple[str, ...] = ()
    ) -> Callable[[Handler], Handler]:
        """Register ``handler`` for ``subject``; its request body is validated as ``model``.
        With ``roles``, only a caller with one of them is served: anyone else is refused
        (401, 403) before the body is read, so the body's errors never tell them its shape."""

        def register(handler: Handler) -> Handler:
            name = subject.rsplit(".", 1)[-1].replace("-", "_")
            self.endpoints.append(Endpoint(name, subject, model, handler, roles))
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
        runtime.leave_with_parent()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGUSR2, _dump_tasks)
        # How long each step of starting took (the "service ready" line says it): a replica
        # slow to come back in a rolling restart shows where its time went.
        phases: dict[str, float] = {"imports_cpu": round(time.process_time(), 2)}
        mark = time.monotonic()

        def step(name: str) -> None:
            nonlocal mark
            now = time.monotonic()
            phases[name] = round(now - mark, 2)
            mark = now

        if self.migrations:
            await migrate(settings.database_url, self.name, self.migrations)
        step("migrate")
        async with contextlib.AsyncExitStack() as stack:
            pool = await create_pool(
                settings.database_url,
                self.name,
                size=settings.db_pool_size,
                app=self.name,
                server_settings=self.pg_settings,
            )
            stack.push_async_callback(pool.close)
            nc = await connect(settings.nats_servers, self.name, dont_randomize=settings.nats_ordered)
            # Not drain(): in-flight requests are awaited below, and nats-py's drain waits
            # 30 s on a pull subscription whose fetch was cancelled.
            stack.push_async_callback(close_nats, nc)
            step("connect")
            # Dead letters are copies of events (personal data included): kept as long.
            max_age_s = stream_max_age_s(settings)
            await ensure_stream(nc, replicas=settings.stream_replicas, max_age_s=max_age_s)
            await ensure_stream(
                nc, DEAD_LETTERS_STREAM, DEAD_LETTERS_SUBJECTS, replicas=settings.stream_replicas, max_age_s=max_age_s
            )
            step("streams")
            for factory in self.resources:
                await stack.enter_async_context(factory(settings))
            step("resources")
            base = Context(None, "startup", pool, settings, nc)
            for hook in self.startup:
                await hook(base)
            step("startup_hooks")
            runtime.freeze_startup_heap()
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
            server = Server(self.endpoints, base, settings.handler_concurrency, metrics)
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
            # The container's health check pings this instance, not any replica.
            stack.callback(healthcheck.forget_instance, healthcheck.remember_instance(self.name, service.id))
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
            background = [
                asyncio.create_task(OutboxRelay(pool, nc).run(), name="outbox-relay"),
                asyncio.create_task(retention_loop(pool, settings), name="retention"),
            ]
            background += [asyncio.create_task(task(base)) for task in self.tasks]
            step("serve")
            phases["cpu"] = round(time.process_time(), 2)
            log.info("service ready", extra={"fields": {"endpoints": len(self.endpoints), "startup_s": phases}})
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
