"""End-to-end fixtures beyond the session's one system (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from bench.lib.faults import cluster_stack
from services.runner import Stack
from tests.api import Api, User
from tests.conftest import Infra
from tests.e2e.payments import make_admin, payments_pool


@pytest.fixture(scope="session")
def cluster(infra: Infra) -> Iterator[Stack]:
    """``make run-cluster``'s system, started once for the tests that need it: three NATS
    servers in a cluster, two replicas of every service and of the gateway, and listings
    on a Postgres server of its own (a database per service works too)."""
    with cluster_stack(infra.data_dir / "cluster", own_postgres=("listings",)).running(timeout=180) as stack:
        stack.wait_healthy(timeout=120, gateway=1)
        yield stack


@pytest.fixture
async def admin(api: Api, stack: Stack) -> User:
    """An operator of the session's system."""
    return await make_admin(api, stack)


@pytest.fixture
async def payments_db(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the payments schema, for what a test reads behind the API."""
    async with payments_pool(stack) as pool:
        yield pool
