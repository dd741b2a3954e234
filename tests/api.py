"""A small HTTP client for end-to-end tests, and random references to keep tests apart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from multidict import CIMultiDict

from shared.mailsink import Mail, Mailbox

PASSWORD = "correct-horse-battery"


def random_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@test.wardmate"


@dataclass
class Response:
    status: int
    body: Any
    headers: CIMultiDict[str]

    @property
    def error_code(self) -> str | None:
        return self.body.get("error", {}).get("code") if isinstance(self.body, dict) else None


@dataclass
class User:
    id: str
    token: str
    email: str
    role: str


def link_token(link: str) -> str:
    """The ``token`` of a mailed link into the web client (``.../#/verify-email?token=...``)."""
    parts = urlsplit(link)
    query = parts.fragment.partition("?")[2] or parts.query
    return parse_qs(query)["token"][0]


class Api:
    def __init__(self, base_url: str, mailbox: Mailbox | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.http: aiohttp.ClientSession | None = None
        # The SMTP sink's mail: a signed-up user confirms their address from it.
        self.mailbox = mailbox

    async def __aenter__(self) -> Api:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.http
        await self.http.close()

    async def call(
        self,
        method: str,
        path: str,
        user: User | None = None,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        assert self.http
        hdrs = dict(headers or {})
        if user is not None:
            hdrs["Authorization"] = f"Bearer {user.token}"
        url = path if path.startswith("http") else f"{self.base}{path if path.startswith('/api') else '/api/v1' + path}"
        async with self.http.request(method, url, json=json, params=params, data=data, headers=hdrs) as r:
            try:
                body = await r.json(content_type=None)
            except ValueError:
                body = await r.text()
            return Response(r.status, body, CIMultiDict(r.headers))

    async def signup(self, role: str = "student", name: str = "Test User", *, verify: bool = True) -> User:
        """A new account; with ``verify``, its address confirmed by the mailed link."""
        email = random_email(role)
        r = await self.call(
            "POST", "/auth/signup", json={"email": email, "password": PASSWORD, "display_name": name, "role": role}
        )
        assert r.status == 201, r.body
        user = User(r.body["user"]["id"], r.body["token"], email, role)
        if verify:
            await self.verify(user)
        return user

    async def mail(self, address: str, subject: str, *, count: int = 1, timeout: float = 20.0) -> list[Mail]:
        """The first ``count`` mails to ``address`` whose subject contains ``subject``."""
        assert self.mailbox is not None, "this Api has no mailbox (pass the stack's)"
        return await self.mailbox.wait_for(address, lambda m: subject in m.subject, count=count, timeout=timeout)

    async def verify(self, user: User) -> None:
        """Confirm the user's address as they would: open the mailed link (the web client's
        page), which posts its token; the link works for the logged-in user's browser."""
        [mail] = await self.mail(user.email, "Confirm your email address")
        link = mail.link("verify-email")
        assert self.http
        async with self.http.get(link) as page:
            assert page.status == 200, link
        r = await self.call("POST", "/auth/verify-email", user, json={"token": link_token(link)})
        assert r.status == 200 and r.body["email_verified"], r.body
