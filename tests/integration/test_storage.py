"""shared.storage against the filesystem and a real S3 endpoint (moto's server)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from services.runstate import alive, wait_gone
from shared.storage import (
    PART_BYTES,
    ObjectMissingError,
    Storage,
    TooLargeError,
    check_key,
    sweep_temporary,
)


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_put_get_delete(storage: Storage) -> None:
    """An object reads back byte for byte; deleted, it is missing, and deleting again is fine."""
    await storage.put("photos/abc.webp", b"RIFF....WEBP", "image/webp")
    assert await storage.get("photos/abc.webp") == b"RIFF....WEBP"
    await storage.delete("photos/abc.webp")
    with pytest.raises(ObjectMissingError):
        await storage.get("photos/abc.webp")
    await storage.delete("photos/abc.webp")


async def test_stream_in_parts(storage: Storage) -> None:
    """A stream longer than one multipart part is stored whole (S3: a multipart upload)."""
    data = bytes(range(256)) * ((PART_BYTES + 300_000) // 256)
    size = await storage.put_stream("tmp/big", chunked(data), "application/octet-stream", max_bytes=len(data))
    assert size == len(data)
    assert await storage.get("tmp/big") == data


async def test_stream_over_limit_keeps_nothing(storage: Storage) -> None:
    """Past its limit a stream stops being read at once and nothing stays stored."""
    read = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal read
        while True:
            read += 1
            yield b"x" * 65536

    with pytest.raises(TooLargeError):
        await storage.put_stream("tmp/huge", endless(), "application/octet-stream", max_bytes=1_000_000)
    assert read == 1_000_000 // 65536 + 1
    assert await storage.list("tmp/") == []
    with pytest.raises(ObjectMissingError):
        await storage.get("tmp/huge")


async def test_sweep_deletes_only_old_uploads(storage: Storage) -> None:
    """The sweep deletes uploads in flight older than its age, nothing younger, nothing outside tmp/."""
    await storage.put("tmp/old", b"1", "application/octet-stream")
    await storage.put("photos/keep.webp", b"2", "image/webp")
    assert await sweep_temporary(storage, older_than_s=3600) == 0
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    assert await sweep_temporary(storage, older_than_s=3600, now=later) == 1
    assert [o.key for o in await storage.list("tmp/")] == []
    assert await storage.get("photos/keep.webp") == b"2"


async def test_presigned_url_is_an_attachment(storage: Storage) -> None:
    """S3 gives a URL a browser can fetch, with the attachment header; the filesystem none."""
    await storage.put("documents/x.pdf", b"%PDF-1.4 test", "application/pdf")
    url = await storage.presigned_url("documents/x.pdf", 60, download_name='../../etc/"passwd"')
    if storage.local_path("documents/x.pdf") is not None:
        assert url is None
        return
    assert url is not None
    async with aiohttp.ClientSession() as http, http.get(url) as reply:
        assert await reply.read() == b"%PDF-1.4 test"
        assert reply.headers["Content-Disposition"] == 'attachment; filename="etc_passwd"'


@pytest.mark.parametrize("key", ["../etc/passwd", "tmp/../x", "/abs", "Tmp/x", "tmp/a b", "tmp//x", ""])
def test_keys_never_leave_the_store(key: str) -> None:
    """A key is one of ours or refused: no climbing, no absolute paths, nothing odd."""
    with pytest.raises(ValueError):
        check_key(key)


def test_moto_leaves_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    """A runner killed outright cannot stop the moto it started: moto notices its parent
    is gone and stops by itself, instead of holding its port and memory until reboot."""
    script = (
        "import sys; from pathlib import Path; from shared.embedded import free_port;"
        " from shared.storage import start_moto;"
        f" s = start_moto(free_port(), Path({str(tmp_path / 'moto.log')!r}));"
        " print(s.proc.pid, flush=True); sys.stdin.read()"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        moto_pid = int(parent.stdout.readline())
        assert alive(moto_pid)
        parent.kill()
        parent.wait(10)
        assert wait_gone(moto_pid, 15), "moto still runs 15 s after its parent was killed"
    finally:
        parent.kill()
        with contextlib.suppress(ProcessLookupError):
            os.kill(moto_pid, signal.SIGKILL)
