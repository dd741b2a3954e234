"""Fault tests: the NATS server restarted under a running system (the rolling restart of
every replica is in test_cluster.py, on the cluster)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from services.runner import Stack
from shared.embedded import start_nats
from shared.mailsink import Mailbox
from tests.api import Api, User
from tests.conftest import TEST_ENV, Infra
from tests.e2e.helpers import create_listing, request_stay
from tests.eventually import eventually


def logs_since(stack: Stack, marks: dict[str, int]) -> dict[str, str]:
    """Each process's log past the offset in ``marks``."""
    texts = {}
    for key, offset in marks.items():
        with open(stack.data_dir / "logs" / f"{key}.log", "rb") as log:
            log.seek(offset)
            texts[key] = log.read().decode(errors="replace")
    return texts


def log_sizes(stack: Stack) -> dict[str, int]:
    return {key: (stack.data_dir / "logs" / f"{key}.log").stat().st_size for key in stack.procs}


@pytest.fixture
def own_nats_stack(infra: Infra) -> Iterator[Stack]:
    """A second system with a NATS server of its own, so restarting it spares the others."""
    url = infra.create_database("fault")
    system = Stack(infra.data_dir / url.rsplit("/", 1)[1], database_url=url, extra_env=TEST_ENV)
    with system.running():
        yield system


async def test_nats_restart_fails_fast_then_recovers(own_nats_stack: Stack) -> None:
    """While NATS is down requests fail fast with 503; after it returns, everything works,
    including events written during the outage."""
    stack = own_nats_stack
    async with Api(stack.url, Mailbox(stack.mail_dir)) as api:
        host = await api.signup("professional")
        student = await api.signup("student")
        listing = await create_listing(api, host)
        assert stack.nats is not None
        port = stack.nats.port
        marks = log_sizes(stack)
        stack.nats.stop()

        started = time.monotonic()
        down = await api.call("GET", "/me", host)
        assert down.status == 503 and down.error_code == "unavailable", down.body
        assert time.monotonic() - started < 1.0
        health = await api.call("GET", "/health")
        assert health.status == 503

        # NATS returns only once every process has failed a few reconnect attempts (each
        # logs "nats error"), so the recovery below is from a real outage, not a blip.
        await eventually(
            lambda: {key: text.count("nats error") for key, text in logs_since(stack, marks).items()},
            30,
            what="every process to fail reconnecting to NATS a few times",
            until=lambda failures: min(failures.values()) >= 3,
            interval=0.1,
        )
        stack.nats = start_nats(stack.data_dir / "nats", port=port)
        await eventually(
            lambda: api.call("GET", "/health"), 30, what="the system to recover", until=lambda r: r.status == 200
        )

        booking = await request_stay(api, student, listing["id"])
        assert booking.status == 201, booking.body
        accepted = await api.call("POST", f"/bookings/{booking.body['id']}/accept", host)
        assert accepted.status == 200
        again: User = await api.signup("student")
        assert again.token
