"""Object storage behind one small interface: photos, documents and uploads in flight.

``FsStorage`` keeps objects as files under the data folder (``make run``, one machine);
``S3Storage`` talks to any S3-compatible store through aiobotocore (AWS S3, MinIO, Ceph,
R2; moto's server in tests), which replicas on several machines need. ``open_storage``
picks one from the settings. Keys are relative paths made by the code (``tmp/<uuid>``,
``photos/<hash>.webp``), never from a client's file name; ``check_key`` refuses anything
else, so a key can never climb out of the store.

Errors: ``ObjectMissingError`` (no such key), ``TooLargeError`` (a stream passed its
limit; nothing is left stored).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from shared import runtime
from shared.settings import Settings

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_.-]*)*$")
# Uploads in flight live here until the owning service takes them; the sweep deletes
# what is older than an hour.
TMP_PREFIX = "tmp/"
# S3 multipart parts must be at least 5 MiB (but the last): what a streamed upload holds
# in memory at most.
PART_BYTES = 8 * 1024 * 1024


class ObjectMissingError(LookupError):
    """No object under this key."""


class TooLargeError(ValueError):
    """A streamed object passed its size limit (it was not stored)."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


def check_key(key: str) -> str:
    """``key`` when it is one of ours (lower-case path segments, no ``..``), else ValueError."""
    if len(key) > 300 or not KEY_PATTERN.fullmatch(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


# Public objects (photos) are fetched from the gateway under this path, which sends the
# file or, for S3, redirects to a presigned URL. Documents are never served here.
MEDIA_PATH = "/media/"
PUBLIC_PREFIXES = ("photos/",)
IMMUTABLE = "public, max-age=31536000, immutable"


def media_url(key: str) -> str:
    """Where a browser fetches the public object ``key``."""
    return MEDIA_PATH + key


def temporary_key() -> str:
    """A fresh key under ``tmp/`` for an upload in flight."""
    return f"{TMP_PREFIX}{uuid.uuid4().hex}"


class Storage(Protocol):
    """What the services and the gateway need of an object store."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str, max_bytes: int) -> int:
        """Store the stream's bytes; their count. Past ``max_bytes`` raise ``TooLargeError``
        at once (the rest is not read) and keep nothing."""
        ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None:
        """Delete ``key``; a missing key is no error."""
        ...

    async def list(self, prefix: str) -> list[ObjectInfo]: ...

    async def presigned_url(self, key: str, expires_s: int, download_name: str | None = None) -> str | None:
        """A URL a browser may fetch the object from for ``expires_s`` seconds (as an
        attachment named ``download_name`` when given), or None when the gateway serves
        objects itself (the filesystem)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The object's file for the gateway to send, when the store is the filesystem."""
        ...


class FsStorage:
    """Objects as files under ``root``; written to a temporary name, then renamed, so a
    reader never sees half an object."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def _partial(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            partial = self._partial(path)
            partial.write_bytes(data)
            os.replace(partial, path)

        await asyncio.to_thread(write)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str, max_bytes: int) -> int:
        path = self._path(key)
        partial = self._partial(path)
        size = 0
        try:
            # Chunks are small (the socket's reads): written in place, no thread hop each.
            with open(partial, "wb") as out:  # noqa: ASYNC230
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLargeError(f"over {max_bytes} bytes")
                    out.write(chunk)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return size

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise ObjectMissingError(key) from None

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def list(self, prefix: str) -> list[ObjectInfo]:
        def walk() -> list[ObjectInfo]:
            found = []
            # Walk only the prefix's folder: the sweep looks at tmp/, not every photo.
            base = self.root / prefix.rpartition("/")[0] if "/" in prefix else self.root
            for path in base.rglob("*") if base.is_dir() else []:
                key = path.relative_to(self.root).as_posix()
                if path.is_file() and key.startswith(prefix) and not path.name.startswith("."):
                    stat = path.stat()
                    found.append(ObjectInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)))
            return found

        return await asyncio.to_thread(walk)

    async def presigned_url(self, key: str, expires_s: int, download_name: str | None = None) -> str | None:
        return None


class S3Storage:
    """Objects in one bucket of an S3-compatible store (path-style addressing, which
    MinIO and moto need and AWS accepts)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def local_path(self, key: str) -> Path | None:
        return None

    async def ensure_bucket(self) -> None:
        try:
            await self.client.head_bucket(Bucket=self.bucket)
        except self.client.exceptions.ClientError:
            with contextlib.suppress(self.client.exceptions.BucketAlreadyOwnedByYou):
                await self.client.create_bucket(Bucket=self.bucket)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        # Public objects are named by their content: the store serves them cached for good.
        extra = {"CacheControl": IMMUTABLE} if key.startswith(PUBLIC_PREFIXES) else {}
        await self.client.put_object(
            Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type, **extra
        )

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str, max_bytes: int) -> int:
        check_key(key)
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError(f"over {max_bytes} bytes")
                buffer += chunk
                if len(buffer) >= PART_BYTES:
                    if upload_id is None:
                        created = await self.client.create_multipart_upload(
                            Bucket=self.bucket, Key=key, ContentType=content_type
                        )
                        upload_id = created["UploadId"]
                    part = await self.client.upload_part(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                        PartNumber=len(parts) + 1,
                        Body=bytes(buffer),
                    )
                    parts.append({"ETag": part["ETag"], "PartNumber": len(parts) + 1})
                    buffer.clear()
            if upload_id is None:
                await self.put(key, bytes(buffer), content_type)
                return size
            if buffer:
                part = await self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=len(parts) + 1, Body=bytes(buffer)
                )
                parts.append({"ETag": part["ETag"], "PartNumber": len(parts) + 1})
            await self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            upload_id = None
            return size
        finally:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    async def get(self, key: str) -> bytes:
        try:
            reply = await self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.NoSuchKey:
            raise ObjectMissingError(key) from None
        async with reply["Body"] as body:
            data: bytes = await body.read()
        return data

    async def delete(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    async def list(self, prefix: str) -> list[ObjectInfo]:
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found.append(ObjectInfo(item["Key"], item["Size"], item["LastModified"]))
        return found

    async def presigned_url(self, key: str, expires_s: int, download_name: str | None = None) -> str | None:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": check_key(key)}
        if download_name is not None:
            params["ResponseContentDisposition"] = content_disposition(download_name)
        url: str = await self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
        return url


def content_disposition(download_name: str) -> str:
    """``attachment`` with a name reduced to safe characters (never a path, no quotes)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", download_name).strip("._") or "download"
    return f'attachment; filename="{safe[:100]}"'


@contextlib.asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    """The store the settings name: the data folder's ``storage/``, or the S3 bucket."""
    if settings.storage != "s3":
        yield FsStorage(settings.data_dir / "storage")
        return
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    session = get_session()
    async with session.create_client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
        config=AioConfig(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 3}),
    ) as client:
        store = S3Storage(client, settings.s3_bucket)
        await store.ensure_bucket()
        yield store


async def sweep_temporary(storage: Storage, older_than_s: float, now: datetime | None = None) -> int:
    """Delete uploads in flight older than ``older_than_s`` (their request died); how many."""
    now = now or datetime.now(UTC)
    swept = 0
    for item in await storage.list(TMP_PREFIX):
        if (now - item.modified).total_seconds() > older_than_s:
            await storage.delete(item.key)
            swept += 1
    return swept


@dataclass
class MotoServer:
    """moto's standalone S3 server (a real HTTP endpoint) on a loopback port."""

    proc: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_moto(port: int, log: Path, timeout: float = 30) -> MotoServer:
    """Start ``moto_server`` on ``port``; return once it answers HTTP."""
    import urllib.request

    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        # moto's own command line, through this module's main: it leaves with this process
        # (a runner killed outright, with no chance to stop it, leaves no moto behind).
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared.storage", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **runtime.parent_env()},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}; see {log}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "/moto-api/", timeout=1):
            return MotoServer(proc, url)
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"moto_server did not answer on {url} in {timeout}s; see {log}")


def moto_env(server: MotoServer, bucket: str = "wardmate") -> dict[str, str]:
    """The settings that point a process at ``server``."""
    return {
        "WARDMATE_STORAGE": "s3",
        "WARDMATE_S3_ENDPOINT_URL": server.url,
        "WARDMATE_S3_BUCKET": bucket,
        "WARDMATE_S3_ACCESS_KEY_ID": "testing",
        "WARDMATE_S3_SECRET_ACCESS_KEY": "testing",
    }


if __name__ == "__main__":
    # python -m shared.storage -H HOST -p PORT: moto's S3 server, started by start_moto.
    runtime.leave_with_parent()
    from moto.server import main

    sys.argv[0] = "python -m shared.storage"  # what moto's --help names, not "storage.py"
    main()
