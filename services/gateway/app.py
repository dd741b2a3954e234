"""The gateway: REST JSON under /api/v1, relayed to the services over NATS.

Stateless: it keeps no data, only a short cache of resolved sessions, so any number of
replicas can run behind a load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from nats.aio.client import Client as NATS

from services.gateway import auth, downloads, links, upload_docs, uploads, ws
from services.gateway.clientaddr import client_address, parse_networks
from services.gateway.decode import query_decoder, read_json
from services.gateway.keys import (
    CSP,
    HUB,
    INDEX,
    LIMITER,
    METRICS,
    NC,
    OPENAPI,
    PROXIES,
    SESSIONS,
    SETTINGS,
    UPLOAD_LIMITER,
)
from services.gateway.live import Hub
from services.gateway.metrics import UNMATCHED, GatewayMetrics
from services.gateway.openapi import build_openapi, has_body, hidden_fields
from services.gateway.pages import (
    SECURITY_HEADERS,
    STATIC_DIR,
    content_security_policy,
    docs,
    index,
    index_html,
    media_origin,
    openapi,
)
from services.gateway.ratelimit import RateLimiter
from services.gateway.routes import ROUTES, Route
from shared import bus, runtime, subjects
from shared.contracts.accounts import session_fingerprint
from shared.contracts.base import Actor
from shared.errors import AppError, ErrorCode
from shared.logs import REQUEST_ID_HEADER, new_request_id, request_id_var
from shared.metrics import metrics_handler, serve_metrics
from shared.settings import Settings

log = logging.getLogger("gateway")

API = "/api/v1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(err: AppError) -> web.Response:
    response = web.json_response(err.to_dict(), status=err.status)
    if err.code == "rate_limited" and isinstance(err.details, dict) and "retry_after_s" in err.details:
        # Whole seconds, at least 1 (HTTP has no fractions: a 0 said to retry at once).
        response.headers["Retry-After"] = str(max(1, math.ceil(err.details["retry_after_s"])))
    return response


# aiohttp's own refusals (no route, wrong method, body too large) in our error vocabulary.
HTTP_REFUSALS: dict[int, tuple[ErrorCode, str]] = {
    400: ("validation", "bad request"),
    404: ("not_found", "no such route"),
    405: ("method_not_allowed", "method not allowed here"),
    413: ("payload_too_large", "request body too large"),
}


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The one place where failures become HTTP statuses with a JSON body."""
    rid = request.headers.get(REQUEST_ID_HEADER) or new_request_id()
    token = request_id_var.set(rid)
    started = time.perf_counter()
    status = 500
    metrics = request.app[METRICS]
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else UNMATCHED
    in_flight = metrics.route_in_flight(route)
    in_flight.inc()
    try:
        try:
            response = await handler(request)
        except AppError as err:
            response = error_response(err)
        except web.HTTPException as exc:
            if exc.status < 400:
                # A redirect (a mail's "Stop these mails" GET: 303): counted and logged as
                # itself with the usual headers (it was a 500, without a request id).
                status = exc.status
                exc.headers[REQUEST_ID_HEADER] = rid
                for k, v in SECURITY_HEADERS.items():
                    exc.headers.setdefault(k, v)
                raise
            code, message = HTTP_REFUSALS.get(exc.status, ("validation", exc.reason))
            response = error_response(AppError(code, message))
            response.set_status(exc.status)
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("unhandled error")
            response = error_response(AppError("internal", "internal error"))
        status = response.status
        response.headers[REQUEST_ID_HEADER] = rid
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        response.headers.setdefault("Content-Security-Policy", request.app[CSP])
        if request.path.startswith("/static/"):
            # Revalidated on each load (a 304 when unchanged): a new release's modules are
            # never mixed with an old one's from the cache.
            response.headers.setdefault("Cache-Control", "no-cache")
        return response
    finally:
        elapsed = time.perf_counter() - started
        in_flight.dec()
        metrics.route_requests(route, request.method, str(status)).inc()
        metrics.route_latency(route, request.method).observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "http",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": request.path,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    }
                },
            )
        request_id_var.reset(token)


async def authenticate(request: web.Request, route: Route) -> tuple[Actor | None, str | None]:
    if route.auth == "public":
        # Whatever credentials come along are not looked at, so they cannot fail (no 401).
        return None, None
    token, from_cookie = auth.credentials(request)
    if token is None:
        if route.auth == "user":
            raise AppError("unauthorized", "log in first: send a bearer token or the session cookie")
        return None, None
    try:
        actor = await request.app[SESSIONS].resolve(token)
    except AppError as err:
        if err.code == "unauthorized" and route.auth != "user" and from_cookie:
            return None, None  # a stale cookie on a public page: browse anonymously
        raise
    if from_cookie:
        auth.check_csrf(request, request.app[SESSIONS].csrf_token(token))
    return actor, token


def operators_only(handler: Handler) -> Handler:
    """``handler`` behind an operator's session: 401 without one, 403 for anyone else."""

    async def handle(request: web.Request) -> web.StreamResponse:
        actor = await auth.logged_in(request, request.app[SESSIONS])
        if actor.role != "admin":
            raise AppError("forbidden", "this needs the role admin")
        return await handler(request)

    return handle


def remote_address(request: web.Request) -> str:
    """The client's address: the connection's, or the forwarded one from a trusted proxy."""
    proxies = request.app[PROXIES]
    return client_address(request.remote, request.headers, proxies)


# How the gateway fills a route's internal fields: from the connection or the credentials.
GATEWAY_FIELDS: dict[str, Callable[[web.Request, str | None], Any]] = {
    "client_address": lambda request, token: remote_address(request),
    "token": lambda request, token: token,
    "user_agent": lambda request, token: request.headers.get("User-Agent", "")[:1000] or None,
}


def make_handler(route: Route) -> Handler:
    decode_query = query_decoder(route)
    hidden = hidden_fields(route)

    async def handle(request: web.Request) -> web.StreamResponse:
        app = request.app
        limiter = app[LIMITER]
        if limiter.enabled:
            limiter.check(remote_address(request))
        actor, token = await authenticate(request, route)
        payload: dict[str, Any] = await read_json(request) if has_body(route) else decode_query(request.query)
        sent = sorted(hidden & set(payload))
        if sent:
            raise AppError(
                "validation", "unknown fields", [{"field": name, "message": "set by the server"} for name in sent]
            )
        for name in route.internal_fields:
            payload[name] = GATEWAY_FIELDS[name](request, token)
        for segment, field in route.path_params.items():
            payload[field] = request.match_info[segment]
        settings = app[SETTINGS]
        raw = await bus.request_raw(app[NC], route.subject, payload, actor=actor, timeout=settings.request_timeout_s)
        response = web.Response(body=raw, status=route.status, content_type="application/json")
        if route.session == "start":
            set_session_cookies(response, json.loads(raw), settings, app[SESSIONS])
        elif route.session == "end" and token:
            app[SESSIONS].evict(session_fingerprint(token))
            response.del_cookie(auth.SESSION_COOKIE, path="/")
            response.del_cookie(auth.CSRF_COOKIE, path="/")
        elif route.session == "refresh" and token:
            app[SESSIONS].evict(session_fingerprint(token))
        elif token and request.cookies.get(auth.SESSION_COOKIE) == token:
            renew_csrf_cookie(request, response, token, settings, app[SESSIONS])
        return response

    handle.__name__ = route.subject.rsplit(".", 1)[-1].replace("-", "_")
    return handle


def set_session_cookies(
    response: web.Response, reply: dict[str, Any], settings: Settings, sessions: auth.SessionCache
) -> None:
    max_age = settings.session_ttl_hours * 3600
    response.set_cookie(
        auth.SESSION_COOKIE,
        reply["token"],
        httponly=True,
        samesite="Strict",
        secure=settings.cookie_secure,
        max_age=max_age,
        path="/",
    )
    set_csrf_cookie(response, sessions.csrf_token(reply["token"]), settings)


def set_csrf_cookie(response: web.Response, value: str, settings: Settings) -> None:
    """Readable by the page's script, which echoes it in X-CSRF-Token on writes."""
    response.set_cookie(
        auth.CSRF_COOKIE,
        value,
        httponly=False,
        samesite="Strict",
        secure=settings.cookie_secure,
        max_age=settings.session_ttl_hours * 3600,
        path="/",
    )


def renew_csrf_cookie(
    request: web.Request, response: web.Response, token: str, settings: Settings, sessions: auth.SessionCache
) -> None:
    """A cookie session whose CSRF cookie is not its token (one from before the token was
    bound to the session, or a cookie planted in its place) gets its token with any
    answer, as the page's first read (``GET /me``) is, so its next write passes."""
    expected = sessions.csrf_token(token)
    if request.cookies.get(auth.CSRF_COOKIE) != expected:
        set_csrf_cookie(response, expected, settings)


async def health(request: web.Request) -> web.Response:
    """Each service's reachability through NATS micro's $SRV.PING; 503 when one is down."""
    nc = request.app[NC]
    report: dict[str, Any] = {"nats": nc.is_connected, "services": {}}

    async def ping(name: str) -> tuple[str, bool]:
        if not nc.is_connected:
            return name, False
        try:
            await nc.request(subjects.service_ping(name), b"", timeout=1.0)
            return name, True
        except Exception:
            return name, False

    async def cluster() -> dict[str, Any] | None:
        return await bus.stream_cluster(nc) if nc.is_connected else None

    pings, report["cluster"] = await asyncio.gather(asyncio.gather(*(ping(s) for s in subjects.SERVICES)), cluster())
    for name, up in pings:
        report["services"][name] = "up" if up else "down"
    # report["cluster"]: which NATS servers hold the events stream, and whether each is
    # current. A cluster serves on with one node down, so it informs and degrades nothing.
    healthy = report["nats"] and all(v == "up" for v in report["services"].values())
    ready = request.app[SETTINGS].ready_file
    if healthy and ready is not None and not ready.exists():
        # Up but not usable yet (make run still loading the demo data): a script waiting
        # for 200 and then logging in as a demo user must find the user there.
        report["status"] = "starting"
        return web.json_response(report, status=503)
    report["status"] = "ok" if healthy else "degraded"
    return web.json_response(report, status=200 if healthy else 503)


async def stripe_webhook(request: web.Request) -> web.Response:
    """Stripe's webhook: the raw body and its Stripe-Signature go to payments, which
    verifies them (a bad or stale signature is a 400 and nothing is recorded)."""
    signature = request.headers.get("Stripe-Signature")
    if not signature:
        raise AppError("validation", "the Stripe-Signature header is missing")
    try:
        payload = (await request.read()).decode()
    except UnicodeDecodeError:
        raise AppError("validation", "the body is not UTF-8") from None
    settings = request.app[SETTINGS]
    raw = await bus.request_raw(
        request.app[NC],
        subjects.STRIPE_WEBHOOK,
        {"payload": payload, "signature": signature},
        actor=None,
        timeout=settings.request_timeout_s,
    )
    return web.Response(body=raw, content_type="application/json")


async def liveness(request: web.Request) -> web.Response:
    """This process serves: what an orchestrator restarts on; it asks no dependency, so an
    outage elsewhere does not get a healthy gateway restarted."""
    return web.json_response({"status": "alive"})


def nats_context(settings: Settings, nc: NATS | None = None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        # The hub exists only once connected; NATS may call back before that.
        async def reconnected() -> None:
            if HUB in app:
                await app[HUB].on_nats_reconnected()

        async def errored(exc: Exception) -> None:
            if HUB in app:
                await app[HUB].on_nats_error(exc)

        conn = nc or await bus.connect(
            settings.nats_servers,
            "gateway",
            reconnected=reconnected,
            errored=errored,
            dont_randomize=settings.nats_ordered,
        )
        app[NC] = conn
        cache = auth.SessionCache(conn, settings.token_cache_s, settings.request_timeout_s, settings.secret_key)
        app[SESSIONS] = cache
        hub = app[HUB] = Hub(conn, app[METRICS])

        async def on_revoked(msg: Any) -> None:
            fingerprint = msg.data.decode()
            cache.evict(fingerprint)
            hub.revoke(fingerprint)  # that session's open sockets close with 4401

        async def on_changed(msg: Any) -> None:
            cache.evict(msg.data.decode())

        sub = await conn.subscribe(subjects.SESSION_REVOKED, cb=on_revoked)
        changed = await conn.subscribe(subjects.SESSION_CHANGED, cb=on_changed)
        yield
        # Sockets were closed at shutdown (ws.close_sockets), before this cleanup runs.
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
            await changed.unsubscribe()
        if nc is None:
            await conn.drain()

    return ctx


async def metrics_port_context(app: web.Application) -> AsyncIterator[None]:
    """Serve this replica's metrics on ``WARDMATE_METRICS_PORT`` too, as every process does."""
    settings = app[SETTINGS]
    async with serve_metrics(app[METRICS].registry, settings.metrics_host, settings.metrics_port):
        yield


def create_app(settings: Settings, nc: NATS | None = None) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[CSP] = content_security_policy(settings.map_tile_url, media_origin(settings), settings.stripe_js_url)
    app[INDEX] = index_html(settings)
    app[METRICS] = GatewayMetrics()
    app[OPENAPI] = build_openapi(ROUTES, API)
    upload_docs.document(app[OPENAPI], API)
    app[LIMITER] = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    app[UPLOAD_LIMITER] = RateLimiter(settings.upload_rate_per_minute / 60, settings.upload_rate_per_minute)
    app.cleanup_ctx.append(uploads.storage_context(settings))
    app[PROXIES] = parse_networks(settings.trusted_proxies)
    app.cleanup_ctx.append(nats_context(settings, nc))
    app.cleanup_ctx.append(metrics_port_context)
    # Open sockets would hold the shutdown up to its timeout: close them first (1001).
    app.on_shutdown.append(ws.close_sockets)
    for route in ROUTES:
        app.router.add_route(route.method, API + route.path, make_handler(route))
    uploads.add_routes(app, API)
    app.router.add_get(API + "/ws", ws.websocket)
    app.router.add_post(API + "/payments/stripe-webhook", stripe_webhook)
    links.add_routes(app)
    downloads.add_routes(app)
    app.router.add_get(API + "/health", health)
    app.router.add_get(API + "/health/live", liveness)
    # The same registry as the metrics port, for operators only: per-route counts are the
    # platform's activity. Prometheus scrapes the metrics port, which is not public.
    app.router.add_get(API + "/metrics", operators_only(metrics_handler(app[METRICS].registry)))
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/api/docs", docs)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    app.on_startup.append(freeze_startup_heap)  # after the contexts above (see shared.runtime)
    return app


async def freeze_startup_heap(app: web.Application) -> None:
    runtime.freeze_startup_heap()
