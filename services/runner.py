"""The whole system on one machine: embedded Postgres and NATS, every service, the gateway.

``python -m services`` (what ``make run`` calls) starts it, loads the demo data once, and
prints the URL. The test session uses ``Stack`` to run the same processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared import runtime
from shared.embedded import ClusterNode, Server, free_port, hold_port, start_nats, start_postgres
from shared.localstripe import LocalStripe
from shared.mailsink import start_sink
from shared.storage import MotoServer, moto_env, start_moto

PROCESSES = ("accounts", "listings", "messaging", "matching", "payments", "gateway")
SERVICES_WITH_SCHEMA = ("accounts", "listings", "messaging", "matching", "payments")
# Database-wide extensions a service's migrations ask for; a service role may not create
# them, so the superuser does, once.
EXTENSIONS = ("cube", "earthdistance", "btree_gist", "pg_trgm")


async def prepare_roles(admin_url: str, services: Sequence[str] = SERVICES_WITH_SCHEMA) -> None:
    """One login role per service owning its schema: a service cannot read another's tables.

    Roles are cluster-wide (created once); schemas and extensions are per database.
    ``services``: those whose data lives on this server (all of them, unless some have a
    Postgres of their own).
    """
    conn = await asyncpg.connect(admin_url)
    try:
        for name in services:
            # Two stacks starting together on one cluster may race to create a role.
            with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
                    await conn.execute(f'CREATE ROLE "{name}" LOGIN')
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}" AUTHORIZATION "{name}"')
            # Data from before per-service roles: hand the schema and its objects over.
            await conn.execute(f'ALTER SCHEMA "{name}" OWNER TO "{name}"')
            for rel in await conn.fetch(
                "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p')"
                " AND pg_get_userbyid(c.relowner) <> $1",
                name,
            ):
                # A table's serial sequences follow it to the new owner.
                kind = {"v": "VIEW", "m": "MATERIALIZED VIEW"}.get(rel["relkind"], "TABLE")
                await conn.execute(f'ALTER {kind} "{name}"."{rel["relname"]}" OWNER TO "{name}"')
        for ext in EXTENSIONS:
            await conn.execute(f"CREATE EXTENSION IF NOT EXISTS {ext} WITH SCHEMA public")
    finally:
        await conn.close()


async def wait_for_jetstream(nats_url: str, timeout: float) -> None:
    """Wait until JetStream answers (a cluster has elected its meta leader)."""
    import nats

    deadline = time.monotonic() + timeout
    nc = await nats.connect(servers=nats_url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    try:
        while True:
            try:
                await nc.jetstream(timeout=1).account_info()
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the NATS cluster's JetStream did not answer in {timeout}s: {exc!r}") from None
                await asyncio.sleep(0.2)
    finally:
        await nc.close()


def role_url(admin_url: str, role: str) -> str:
    """``admin_url`` logged in as ``role`` (the embedded cluster trusts local logins)."""
    parts = urlsplit(admin_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


def tail(path: Path, lines: int = 12) -> str:
    """The last ``lines`` lines of a log, indented (a data folder in a temporary directory
    goes with it: a failed start printed only the log's path)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 64_000))
            text = f.read().decode(errors="replace")
    except OSError:
        return "  (no log)"
    return "\n".join(f"  {line[:400]}" for line in text.splitlines()[-lines:])


@dataclass
class Stack:
    """Infrastructure plus service processes, each service its own ``python -m`` process."""

    data_dir: Path
    http_port: int = 0
    fsync: bool = True
    database_url: str | None = None
    # Services that get an embedded Postgres server of their own instead of sharing
    # ``database_url``'s (as a deployment may give each service its own database server).
    own_postgres: tuple[str, ...] = ()
    # The admin URL of each service's own server (filled by start_infra, or given).
    service_servers: dict[str, str] = field(default_factory=dict)
    postgres_of: dict[str, Server] = field(default_factory=dict)
    nats_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # A role per service where the deployment allows it: a URL without a password (the
    # embedded cluster trusts local logins). With a password-protected URL, one role.
    service_roles: bool = True
    # A NATS cluster of this many servers on loopback (JetStream on each, the streams
    # replicated on up to 3) instead of one server; and replicas of every process.
    nats_nodes: int = 1
    replicas: int = 1
    postgres: Server | None = None
    nats: Server | None = None
    # The cluster's servers, by name (with nats_nodes > 1; ``nats`` stays None then).
    nats_cluster: dict[str, Server] = field(default_factory=dict)
    cluster_specs: dict[str, tuple[int, ClusterNode]] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Gateway replicas beyond the first each listen on a port of their own, kept across
    # restarts: index -> port.
    gateway_ports: dict[int, int] = field(default_factory=dict)
    # Each process serves Prometheus metrics on a port of its own, kept across restarts
    # (Prometheus keeps scraping the same target): process key -> port.
    metrics_ports: dict[str, int] = field(default_factory=dict)
    # When each process was last started (monotonic): the supervisor's back-off resets
    # for a process that ran long enough.
    started_at: dict[str, float] = field(default_factory=dict)
    # An SMTP sink (shared.mailsink) that every mail goes to, kept in ``mail_dir``.
    smtp_sink: bool = True
    mail_sink: Server | None = None
    # Object storage in S3 (moto's server on a free port) instead of files under data_dir.
    # Also on when WARDMATE_STORAGE=s3 names no endpoint of its own.
    s3: bool = False
    moto: MotoServer | None = None

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    # Stripe: a localstripe server started with the infrastructure (its URL, its webhook's
    # secret), unless ``local_stripe`` is off (then WARDMATE_STRIPE_* from the environment).
    local_stripe: bool = True
    stripe: LocalStripe | None = None

    def start_infra(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.smtp_sink and self.mail_sink is None:
            self.mail_sink = start_sink(self.mail_dir, self.data_dir / "mail-sink.log")
        self.start_s3()
        if self.database_url is None:
            self.postgres = start_postgres(self.data_dir / "postgres", fsync=self.fsync)
            self.database_url = self.postgres.url
        if self.nats_url is None and self.nats_nodes > 1:
            self.start_nats_cluster()
        elif self.nats_url is None:
            self.nats = start_nats(self.data_dir / "nats")
            self.nats_url = self.nats.url
        self.http_port = self.http_port or free_port()
        for name in self.own_postgres:
            if name not in self.service_servers:
                server = self.postgres_of[name] = start_postgres(self.data_dir / f"postgres-{name}", fsync=self.fsync)
                self.service_servers[name] = server.url
        if self.local_stripe and self.stripe is None:
            self.stripe = LocalStripe.start(self.data_dir / "localstripe", self.url + "/api/v1/payments/stripe-webhook")
        if self.roles_enabled:
            shared = [name for name in SERVICES_WITH_SCHEMA if name not in self.service_servers]
            asyncio.run(prepare_roles(self.database_url, shared))
            for name, url in self.service_servers.items():
                asyncio.run(prepare_roles(url, [name]))

    def start_s3(self) -> None:
        """moto's S3 server when S3 storage is asked for without an endpoint of its own."""
        settings = {**os.environ, **self.extra_env}
        wanted = self.s3 or settings.get("WARDMATE_STORAGE") == "s3"
        if wanted and not settings.get("WARDMATE_S3_ENDPOINT_URL") and self.moto is None:
            self.moto = start_moto(free_port(), self.data_dir / "moto" / "server.log")
            self.extra_env = {**self.extra_env, **moto_env(self.moto)}

    def start_nats_cluster(self, timeout: float = 60) -> None:
        """Start ``nats_nodes`` servers routed to each other; wait until JetStream answers."""
        ports = [(free_port(), free_port()) for _ in range(self.nats_nodes)]
        routes = tuple(cluster for _, cluster in ports)
        for i, (port, cluster) in enumerate(ports, start=1):
            self.cluster_specs[f"nats-{i}"] = (port, ClusterNode(f"wardmate-n{i}", cluster, routes))
        for name in self.cluster_specs:
            self.start_nats_node(name)
        self.nats_url = ",".join(server.url for server in self.nats_cluster.values())
        asyncio.run(wait_for_jetstream(self.nats_url, timeout))

    def start_nats_node(self, name: str) -> Server:
        """Start (or restart) cluster server ``name`` on its ports and store."""
        port, node = self.cluster_specs[name]
        hold_port(node.cluster_port)
        server = self.nats_cluster[name] = start_nats(self.data_dir / name, port, node=node)
        self.started_at[name] = time.monotonic()
        return server

    @property
    def roles_enabled(self) -> bool:
        assert self.database_url
        return self.service_roles and urlsplit(self.database_url).password is None

    def write_env_files(self) -> Path:
        """``<data_dir>/env/<service>.env``: where a service's Postgres and NATS are, so an
        operator command (``dead-letters``) can reach the running system; returns the folder."""
        assert self.database_url and self.nats_url
        folder = self.data_dir / "env"
        folder.mkdir(exist_ok=True)
        for name in SERVICES_WITH_SCHEMA:
            path = folder / f"{name}.env"
            lines = [f"WARDMATE_DATABASE_URL={self.service_url(name)}", f"WARDMATE_NATS_URL={self.nats_url}"]
            if name == "payments" and self.stripe:
                # python -m services.payments reconcile asks the same Stripe.
                lines += [f"{key}={value}" for key, value in self.stripe.env().items()]
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)
        return folder

    def admin_url(self, name: str) -> str:
        """A superuser URL of the server that holds service ``name``'s schema."""
        assert self.database_url
        return self.service_servers.get(name, self.database_url)

    def service_url(self, name: str) -> str:
        """The database URL that service ``name`` connects with: through the Unix-domain
        socket of an embedded Postgres this stack started (``Server.local_url``)."""
        url = self.admin_url(name)
        if self.roles_enabled and name in SERVICES_WITH_SCHEMA:
            url = role_url(url, name)
        server = self.postgres_of.get(name) or (self.postgres if name not in self.service_servers else None)
        return server.local_url(url) if server is not None else url

    def env(self, name: str) -> dict[str, str]:
        assert self.database_url and self.nats_url
        return {
            **os.environ,
            "WARDMATE_DATABASE_URL": self.service_url(name),
            "WARDMATE_NATS_URL": self.nats_url,
            "WARDMATE_HTTP_PORT": str(self.http_port),
            "WARDMATE_DATA_DIR": str(self.data_dir),
            # The events and dead-letter streams survive the loss of a cluster node.
            **({"WARDMATE_STREAM_REPLICAS": str(min(self.nats_nodes, 3))} if self.nats_cluster else {}),
            **self.mail_env(),
            **(self.stripe.env() if self.stripe else {}),
            **self.extra_env,
        }

    def mail_env(self) -> dict[str, str]:
        """Where mail goes: the sink, and links in mails point at the first gateway."""
        env = {"WARDMATE_PUBLIC_URL": self.url}
        if self.mail_sink is not None:
            env |= {
                "WARDMATE_SMTP_HOST": "127.0.0.1",
                "WARDMATE_SMTP_PORT": str(self.mail_sink.port),
                "WARDMATE_SMTP_SECURITY": "none",
            }
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def gateway_urls(self) -> list[str]:
        """The URL of every gateway replica."""
        return [self.gateway_url(i) for i in range(self.replicas)]

    def gateway_url(self, index: int = 0) -> str:
        """The URL of gateway replica ``index`` (0 is ``url``)."""
        if index == 0:
            return self.url
        return f"http://127.0.0.1:{self.gateway_ports.setdefault(index, free_port())}"

    def start(self, name: str, index: int = 0) -> subprocess.Popen[bytes]:
        """Start one process of ``name`` (replica ``index``); its log goes to logs/."""
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        key = name if index == 0 else f"{name}-{index}"
        logf = open(logs / f"{key}.log", "ab")
        env = self.env(name)
        if name == "gateway" and index:
            env["WARDMATE_HTTP_PORT"] = self.gateway_url(index).rsplit(":", 1)[1]
        elif name == "gateway":
            hold_port(self.http_port)  # a restart binds it again
        if key in self.metrics_ports:
            hold_port(self.metrics_ports[key])
        env["WARDMATE_METRICS_PORT"] = str(self.metrics_ports.setdefault(key, free_port()))
        env.update(runtime.parent_env())  # it leaves when this process is gone
        env.update(self.spread_nats(name, index))
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env=env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[key] = proc
        self.started_at[key] = time.monotonic()
        return proc

    def spread_nats(self, name: str, index: int) -> dict[str, str]:
        """A cluster's servers in another order for each replica (and process), so that one
        hung node holds one replica of a service at most, never all of them."""
        if not self.nats_cluster or self.nats_url is None:
            return {}
        servers = self.nats_url.split(",")
        shift = (index + PROCESSES.index(name)) % len(servers)
        return {"WARDMATE_NATS_URL": ",".join(servers[shift:] + servers[:shift]), "WARDMATE_NATS_ORDERED": "true"}

    def metrics_targets(self) -> dict[str, dict[str, str]]:
        """Prometheus targets of the running processes by job (the process name):
        ``{instance key: host:port}``."""
        jobs: dict[str, dict[str, str]] = {}
        for key, port in sorted(self.metrics_ports.items()):
            if key in self.procs:
                jobs.setdefault(key.split("-")[0], {})[key] = f"127.0.0.1:{port}"
        return jobs

    def write_prometheus_config(self, path: Path, scrape_interval: str = "5s") -> Path:
        """A Prometheus configuration scraping every process of this stack; returns ``path``.

        Written as JSON, which is YAML too (Prometheus reads it), so no YAML writer is needed.
        """
        config = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
            "scrape_configs": [
                {
                    "job_name": job,
                    "static_configs": [
                        {"targets": [target], "labels": {"instance": key}} for key, target in targets.items()
                    ],
                }
                for job, targets in self.metrics_targets().items()
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config, indent=2) + "\n")
        return path

    def start_all(self) -> None:
        for index in range(self.replicas):
            for name in PROCESSES:
                self.start(name, index)

    @contextlib.contextmanager
    def running(self, timeout: float = 90) -> Iterator[Stack]:
        """Start infrastructure and every process, wait until healthy, stop on exit."""
        try:
            self.start_infra()
            self.start_all()
            self.wait_healthy(timeout=timeout)
            yield self
        finally:
            self.stop()

    def wait_healthy(self, timeout: float = 60, gateway: int = 0) -> None:
        """Wait until gateway replica ``gateway`` reports every service up."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            # A snapshot: a rolling restart starts and stops processes from other threads.
            for key, proc in list(self.procs.items()):
                if proc.poll() is not None:
                    log = self.data_dir / "logs" / f"{key}.log"
                    raise RuntimeError(f"{key} exited ({proc.returncode}); see {log}, which ends:\n{tail(log)}")
            try:
                with urllib.request.urlopen(f"{self.gateway_url(gateway)}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                # "starting": every service answers; the caller makes it ready (demo data).
                if exc.code == 503 and json.loads(exc.read() or b"{}").get("status") == "starting":
                    return
                last = str(exc)
            except Exception as exc:
                last = str(exc)
            time.sleep(0.2)
        raise RuntimeError(f"the system did not become healthy in {timeout}s: {last}")

    def stop_process(self, key: str, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        """Signal one process and wait for it; kill it after ``timeout``. Its exit code
        (negative: the signal that ended it), or None when it was not running."""
        proc = self.procs.pop(key, None)
        if proc is None or proc.poll() is not None:
            return None
        proc.send_signal(sig)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            # Ask a stuck service for its asyncio task stacks (SIGUSR2) before killing it.
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGUSR2)
            time.sleep(0.5)
            proc.kill()
            log = self.data_dir / "logs" / f"{key}.log"
            tail = log.read_text(errors="replace")[-8000:] if log.exists() else ""
            print(
                f"!! {key} did not stop within {timeout:.0f}s and was killed; the end of {log}:\n{tail}",
                file=sys.stderr,
                flush=True,
            )
            return proc.wait()

    def stop(self) -> None:
        for key in list(self.procs):
            proc = self.procs[key]
            if proc.poll() is None:
                proc.terminate()
        for key in list(self.procs):
            self.stop_process(key)
        for server in (
            self.nats,
            *self.nats_cluster.values(),
            self.postgres,
            *self.postgres_of.values(),
            self.mail_sink,
        ):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
        if self.moto is not None:
            self.moto.stop()
        if self.stripe is not None:
            self.stripe.stop()
            self.stripe = None
