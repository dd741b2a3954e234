"""The gateway's typed application state, one ``web.AppKey`` each (shared by its modules)."""

from __future__ import annotations

from aiohttp import web
from nats.aio.client import Client as NATS

from services.gateway import auth
from services.gateway.clientaddr import Network
from services.gateway.live import Hub
from services.gateway.metrics import GatewayMetrics
from services.gateway.ratelimit import RateLimiter
from shared.settings import Settings
from shared.storage import Storage

SETTINGS = web.AppKey("settings", Settings)
NC = web.AppKey("nc", NATS)
SESSIONS = web.AppKey("sessions", auth.SessionCache)
# This replica's Prometheus registry and the metrics in it.
METRICS = web.AppKey("metrics", GatewayMetrics)
OPENAPI = web.AppKey("openapi", dict)
# The web client's Content-Security-Policy and page (both depend on the map's tile server).
CSP = web.AppKey("csp", str)
INDEX = web.AppKey("index", str)
LIMITER = web.AppKey("limiter", RateLimiter)
# WARDMATE_TRUSTED_PROXIES, parsed: whose forwarding headers name the client.
PROXIES = web.AppKey("proxies", tuple[Network, ...])
# This replica's live sockets and its per-user subscriptions (set up with the NATS connection).
HUB = web.AppKey("hub", Hub)
# Object storage (uploads in flight, photos served from the filesystem store) and the
# per-user upload rate (issue #17).
STORAGE = web.AppKey("storage", Storage)
UPLOAD_LIMITER = web.AppKey("upload_limiter", RateLimiter)
