"""A small HTTP client for end-to-end tests, and random references to keep tests apart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDict

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


class Api:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http: aiohttp.ClientSession | None = None

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

    async def signup(self, role: str = "student", name: str = "Test User") -> User:
        email = random_email(role)
        r = await self.call(
            "POST", "/auth/signup", json={"email": email, "password": PASSWORD, "display_name": name, "role": role}
        )
        assert r.status == 201, r.body
        return User(r.body["user"]["id"], r.body["token"], email, role)
