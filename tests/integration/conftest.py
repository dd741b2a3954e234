"""Fixtures of the integration tests: object storage on the filesystem and on a real S3
endpoint (moto's server), for the storage interface and the services' files; matching's
schema on a fresh database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.db import create_pool, migrate
from shared.embedded import free_port
from shared.settings import Settings
from shared.storage import MotoServer, Storage, moto_env, open_storage, start_moto


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto(free_port(), tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["fs", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "fs":
        settings = Settings(data_dir=tmp_path)
    else:
        server: MotoServer = request.getfixturevalue("moto")
        env = moto_env(server, bucket=f"t-{uuid.uuid4().hex[:12]}")
        settings = Settings(
            data_dir=tmp_path,
            storage="s3",
            s3_endpoint_url=env["WARDMATE_S3_ENDPOINT_URL"],
            s3_bucket=env["WARDMATE_S3_BUCKET"],
            s3_access_key_id="testing",
            s3_secret_access_key="testing",
        )
    async with open_storage(settings) as store:
        yield store


@pytest.fixture
async def matching(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database with matching's schema."""
    await migrate(fresh_db, "matching", "services.matching.migrations")
    pool = await create_pool(fresh_db, "matching", size=4)
    yield pool
    await pool.close()
