"""Who is calling: bearer token or session cookie, resolved by accounts, cached briefly."""

from __future__ import annotations

import time

from aiohttp import web
from nats.aio.client import Client as NATS

from shared import bus, subjects
from shared.contracts.accounts import SessionInfo, session_fingerprint
from shared.contracts.base import Actor
from shared.errors import AppError

SESSION_COOKIE = "wardmate_session"
CSRF_COOKIE = "wardmate_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionCache:
    """Resolved sessions for ``ttl`` seconds; a revocation broadcast evicts at once."""

    def __init__(self, nc: NATS, ttl: float, timeout: float) -> None:
        self.nc = nc
        self.ttl = ttl
        self.timeout = timeout
        self._entries: dict[str, tuple[float, Actor]] = {}

    def evict(self, key: str) -> None:
        self._entries.pop(key, None)

    async def resolve(self, token: str) -> Actor:
        key = session_fingerprint(token)
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit and hit[0] > now:
            return hit[1]
        info = await bus.request(self.nc, subjects.RESOLVE_SESSION, {"token": token}, SessionInfo, timeout=self.timeout)
        actor = Actor(user_id=info.user_id, role=info.role, email_verified=info.email_verified)
        if len(self._entries) > 50_000:
            self._entries.clear()
        self._entries[key] = (now + self.ttl, actor)
        return actor


def credentials(request: web.Request) -> tuple[str | None, bool]:
    """The caller's token and whether it came from the cookie (which needs CSRF checks)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AppError("unauthorized", "use 'Authorization: Bearer <token>'")
        return token.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def check_csrf(request: web.Request) -> None:
    """Cookie-authenticated writes must echo the CSRF cookie in a header (double submit)."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    header = request.headers.get(CSRF_HEADER)
    if not cookie or not header or cookie != header:
        raise AppError("forbidden", f"missing or wrong {CSRF_HEADER} header for a cookie session")


async def logged_in(request: web.Request, sessions: SessionCache) -> Actor:
    """The caller of a route outside the NATS routes (uploads, metrics): 401 without a
    session; a cookie session must send the CSRF header on writes."""
    token, from_cookie = credentials(request)
    if token is None:
        raise AppError("unauthorized", "log in first: send a bearer token or the session cookie")
    actor = await sessions.resolve(token)
    if from_cookie:
        check_csrf(request)
    return actor
