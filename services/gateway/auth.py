"""Who is calling: bearer token or session cookie, resolved by accounts, cached briefly."""

from __future__ import annotations

import base64
import hashlib
import hmac
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


def csrf_token(secret_key: str, session_token: str) -> str:
    """A session's CSRF token: an HMAC of the session's token under the server's secret (a
    signed double submit). Only a script of this origin reads it, from the cookie set at
    login, and it is worth nothing for any other session: a cookie planted by a sibling
    subdomain or over plain HTTP no longer passes, as any random value echoed back did."""
    mac = hmac.new(secret_key.encode(), b"wardmate-csrf\x00" + session_token.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode()


class SessionCache:
    """Resolved sessions for ``ttl`` seconds; a revocation broadcast evicts at once."""

    def __init__(self, nc: NATS, ttl: float, timeout: float, secret_key: str) -> None:
        self.nc = nc
        self.ttl = ttl
        self.timeout = timeout
        self.secret_key = secret_key
        self._entries: dict[str, tuple[float, Actor]] = {}

    def csrf_token(self, token: str) -> str:
        return csrf_token(self.secret_key, token)

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


def check_csrf(request: web.Request, expected: str) -> None:
    """Cookie-authenticated writes must send the session's CSRF token (``expected``, the
    value of the CSRF cookie) in a header."""
    if request.method in SAFE_METHODS:
        return
    header = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(header.encode(), expected.encode()):
        raise AppError("forbidden", f"missing or wrong {CSRF_HEADER} header for a cookie session")


async def logged_in(request: web.Request, sessions: SessionCache) -> Actor:
    """The caller of a route outside the NATS routes (uploads, metrics): 401 without a
    session; a cookie session must send the CSRF header on writes."""
    token, from_cookie = credentials(request)
    if token is None:
        raise AppError("unauthorized", "log in first: send a bearer token or the session cookie")
    actor = await sessions.resolve(token)
    if from_cookie:
        check_csrf(request, sessions.csrf_token(token))
    return actor
