"""Closed-loop load through the gateways of a cluster, for the fault run (``chaos.py``)
and the fault tests: hosts who accept one-night stays one after another and senders of
numbered messages, each client moving to the next gateway when its own refuses or drops
the connection (as a load balancer would) and retrying 503/504. ``Run`` records every
answer's time and status and what the clients were told succeeded, for the checks of
``bench.lib.consistency`` and the figures of ``bench.lib.faults``."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import aiohttp

from shared.mailsink import Mailbox

PASSWORD = "chaos-password-1"
RETRYABLE = (503, 504)
RETRY_FOR_S = 60.0


def day(n: int) -> str:
    return str(date.today() + timedelta(days=n))


@dataclass
class Options:
    warmup: float = 4.0
    gap: float = 6.0
    tail: float = 8.0
    booking_workers: int = 4
    message_workers: int = 4
    p99_target_ms: float | None = None


@dataclass
class Sample:
    at: float  # when the answer came, in seconds since the load started
    ms: float
    status: int


@dataclass
class Run:
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    failed: Counter[int] = field(default_factory=Counter)
    unrecovered: list[str] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)  # booking ids we saw accepted
    sent: dict[str, set[str]] = field(default_factory=dict)  # conversation -> client ids answered 2xx
    faults: dict[str, float] = field(default_factory=dict)  # what -> when (seconds since start)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    # Workers whose users, room or conversation are set up (sign-ups hash passwords with
    # argon2: slow on purpose, so the warm-up starts after them).
    ready: int = 0
    all_ready: asyncio.Event = field(default_factory=asyncio.Event)
    workers: int = 0
    # The system's mail sink: sign-ups confirm their address by the mailed link.
    mailbox: Mailbox | None = None
    # Requests moved to another gateway because theirs refused or dropped the connection.
    failovers: int = 0

    def worker_ready(self) -> None:
        self.ready += 1
        if self.ready == self.workers:
            self.faults["load_ready"] = self.now()
            self.all_ready.set()

    def now(self) -> float:
        return time.monotonic() - self.started


class Client:
    """One user's calls through the gateways, each timed and recorded. It uses one gateway
    and moves to the next when that one refuses or drops the connection (a replica being
    restarted), as a load balancer would."""

    def __init__(self, http: aiohttp.ClientSession, bases: list[str], first: int, run: Run) -> None:
        self.http, self.bases, self.index, self.run, self.token = http, bases, first, run, ""
        # The last call went out again after a connection was lost: it may have been done.
        self.resent = False

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.resent = False
        while True:
            started = time.perf_counter()
            base = self.bases[self.index % len(self.bases)]
            try:
                async with self.http.request(method, f"{base}/api/v1{path}", json=body, headers=headers) as r:
                    data = await r.json(content_type=None)
                    status = r.status
                break
            except aiohttp.ClientConnectionError:
                # Not sent, or sent and its answer lost with the connection: the next
                # gateway gets it (a message's client_message_id makes a resend harmless).
                self.run.failovers += 1
                self.resent = True
                self.index += 1
                await asyncio.sleep(0.05)
        # Placed at its completion: a request caught in flight by a fault counts when its
        # client finally sees the answer (a 504 after the gateway's 5 s).
        self.run.samples.append(Sample(self.run.now(), (time.perf_counter() - started) * 1000, status))
        return status, data

    async def retried(
        self, what: str, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201)
    ) -> Any:
        """The call, retried while it answers 503/504; None when it never succeeds. A 409 to
        a retry of an accept or a request means its first attempt was done."""
        deadline = time.monotonic() + RETRY_FOR_S
        retry = False
        while True:
            status, data = await self.call(method, path, body)
            retry = retry or self.resent
            if status in ok:
                return data
            if retry and status == 409:
                # The first attempt went through and the retry is refused as its duplicate:
                # an accept of an accepted booking, or a second request of the same stay
                # (a guest asks once per stay), which names the first.
                details = ((data or {}).get("error") or {}).get("details") or {}
                if what == "accept":
                    return {}
                if what == "request" and details.get("booking_id"):
                    return {"id": details["booking_id"]}
            if status not in RETRYABLE:
                self.run.failed[status] += 1
                self.run.unrecovered.append(f"{what}: {status} {data}")
                return None
            self.run.failed[status] += 1
            if time.monotonic() > deadline:
                self.run.unrecovered.append(f"{what}: still {status} after {RETRY_FOR_S:.0f} s")
                return None
            retry = True
            await asyncio.sleep(0.2)


async def signup(http: aiohttp.ClientSession, bases: list[str], first: int, run: Run, role: str) -> tuple[Client, str]:
    email = f"chaos-{uuid.uuid4().hex[:10]}@example.org"
    body = {"email": email, "password": PASSWORD, "display_name": f"Chaos {role}", "role": role}
    client = Client(http, bases, first, run)
    reply = await client.retried("signup", "POST", "/auth/signup", body)
    assert reply is not None, "signup failed"
    client.token = reply["token"]
    if run.mailbox is not None:
        [mail] = await run.mailbox.wait_for(email, lambda m: "Confirm your email address" in m.subject, timeout=60)
        token = mail.link("verify-email").rsplit("token=", 1)[1]
        assert await client.retried("verify", "POST", "/auth/verify-email", {"token": token}) is not None
    return client, reply["user"]["id"]


async def booking_worker(http: aiohttp.ClientSession, bases: list[str], run: Run, n: int) -> None:
    """A host with a room and a student who books one night after another."""
    host, _ = await signup(http, bases, n, run, "professional")
    student, _ = await signup(http, bases, n, run, "student")
    listing = await host.retried(
        "listing",
        "POST",
        "/listings",
        {
            "title": f"Chaos room {n}",
            "room_type": "private_room",
            "address": f"{n} Chaos St, Baltimore, MD",
            "latitude": 39.30 + n * 0.001,
            "longitude": -76.59,
            "monthly_rent": 900,
            "available_from": day(10),
            "available_to": day(2000),
            "min_stay_nights": 1,
        },
    )
    assert listing is not None, "listing failed"
    run.worker_ready()
    night = 10
    while not run.stop.is_set() and night < 1990:
        body = {"check_in": day(night), "check_out": day(night + 1), "message": "rotation"}
        night += 1
        booking = await student.retried("request", "POST", f"/listings/{listing['id']}/bookings", body)
        if booking is None:
            continue
        if await host.retried("accept", "POST", f"/bookings/{booking['id']}/accept") is not None:
            run.accepted.add(booking["id"])


async def message_worker(http: aiohttp.ClientSession, bases: list[str], run: Run, n: int) -> None:
    """A sender writing numbered messages to one recipient."""
    sender, _ = await signup(http, bases, n, run, "student")
    _, recipient = await signup(http, bases, n, run, "professional")
    conversation = await sender.retried("conversation", "POST", "/conversations", {"user_id": recipient})
    assert conversation is not None, "conversation failed"
    run.worker_ready()
    sent = run.sent.setdefault(conversation["id"], set())
    k = 0
    while not run.stop.is_set():
        cid = f"chaos-{n}-{k}"
        k += 1
        reply = await sender.retried(
            "message",
            "POST",
            f"/conversations/{conversation['id']}/messages",
            {"body": f"#{k}", "client_message_id": cid},
        )
        if reply is not None:
            sent.add(cid)
