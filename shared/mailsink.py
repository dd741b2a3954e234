"""A local SMTP sink: a real SMTP server (``aiosmtpd``) that keeps every mail it receives
as a ``.eml`` file, for ``make run`` and the tests; and ``Mailbox``, which reads them.

``python -m shared.mailsink PORT FOLDER`` serves until SIGINT/SIGTERM. ``start_sink`` runs
it as a child process on a free port, like the embedded Postgres and NATS. Each file is
written under a temporary name and renamed, so a reader never sees half a mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from shared import runtime
from shared.embedded import Server, free_port


class _Keeper:
    """aiosmtpd handler: one ``.eml`` file per accepted message (per recipient list)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        tmp = self.folder / f".{name}.tmp"
        # The envelope recipients are kept too: Bcc never appears in the headers.
        header = "X-Sink-Rcpt-To: " + ", ".join(envelope.rcpt_tos) + "\r\n"
        tmp.write_bytes(header.encode() + envelope.original_content)
        tmp.rename(self.folder / f"{name}.eml")
        return "250 Message accepted for delivery"


async def serve(port: int, folder: Path) -> None:
    from aiosmtpd.smtp import SMTP

    keeper = _Keeper(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(keeper, hostname="wardmate-sink"), "127.0.0.1", port)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"SMTP sink on 127.0.0.1:{port}, mail kept in {folder}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def start_sink(folder: Path, log: Path, port: int | None = None) -> Server:
    """Start the sink as a child process; returns when it accepts connections."""
    import socket

    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    logf = open(log, "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.mailsink", str(port), str(folder)],
        env={**os.environ, **runtime.parent_env()},
        stdout=logf,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the SMTP sink exited ({proc.returncode}); see {log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return Server(proc, port, f"smtp://127.0.0.1:{port}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"the SMTP sink did not listen on {port} in 30 s; see {log}")


@dataclass(frozen=True)
class Mail:
    """One kept mail: the parsed message, its envelope recipients and its file."""

    message: EmailMessage
    rcpt_to: list[str]
    path: Path

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def part(self, content_type: str) -> str:
        """The decoded text of the first part of this type (``text/plain``, ``text/html``)."""
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_attachment():
                return str(part.get_content())
        raise LookupError(f"no {content_type} part in {self.path}")

    def attachments(self) -> list[EmailMessage]:
        return list(self.message.iter_attachments())

    def links(self) -> list[str]:
        """Every http(s) link of the plain-text part, in order."""
        return re.findall(r"https?://[^\s<>\"']+", self.part("text/plain"))

    def link(self, contains: str) -> str:
        found = [link for link in self.links() if contains in link]
        if not found:
            raise LookupError(f"no link containing {contains!r} in {self.path}: {self.links()}")
        return found[0]


class Mailbox:
    """The sink's folder, read by tests and the demo loader."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Each file's envelope recipients (its first line), read once: a session's tests
        # keep hundreds of mails here and poll often.
        self._recipients: dict[Path, list[str]] = {}

    def _rcpt(self, path: Path) -> list[str]:
        if path not in self._recipients:
            with path.open("rb") as f:
                first = f.readline().decode(errors="replace")
            value = first.partition(":")[2] if first.startswith("X-Sink-Rcpt-To:") else ""
            self._recipients[path] = [a.strip().lower() for a in value.split(",") if a.strip()]
        return self._recipients[path]

    @staticmethod
    def read(path: Path) -> Mail:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        rcpt = [a.strip() for a in str(message["X-Sink-Rcpt-To"] or "").split(",") if a.strip()]
        return Mail(message, rcpt, path)

    def all(self) -> list[Mail]:
        return [self.read(path) for path in sorted(self.folder.glob("*.eml"))]

    def to(self, address: str) -> list[Mail]:
        address = address.lower()
        return [self.read(p) for p in sorted(self.folder.glob("*.eml")) if address in self._rcpt(p)]

    async def wait_for(
        self,
        address: str,
        where: Callable[[Mail], bool] = lambda mail: True,
        *,
        count: int = 1,
        timeout: float = 20.0,
    ) -> list[Mail]:
        """The first ``count`` mails to ``address`` for which ``where`` holds, once there are
        that many (polled until ``timeout``, then ``TimeoutError`` naming what arrived)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._found(address, where, count, deadline, timeout)
            if found is not None:
                return found
            await asyncio.sleep(0.05)  # a folder to watch, no event to wait on

    def wait_for_sync(
        self, address: str, where: Callable[[Mail], bool] = lambda mail: True, *, count: int = 1, timeout: float = 20.0
    ) -> list[Mail]:
        """``wait_for`` for synchronous callers (the browser tests, the demo loader's thread)."""
        deadline = time.monotonic() + timeout
        while (found := self._found(address, where, count, deadline, timeout)) is None:
            time.sleep(0.05)
        return found

    def _found(
        self, address: str, where: Callable[[Mail], bool], count: int, deadline: float, timeout: float
    ) -> list[Mail] | None:
        found = [m for m in self.to(address) if where(m)]
        if len(found) >= count:
            return found[:count]
        if time.monotonic() > deadline:
            seen = [m.subject for m in self.to(address)]
            raise TimeoutError(f"{count} mail(s) to {address} not there in {timeout}s; got {seen}")
        return None


if __name__ == "__main__":
    runtime.leave_with_parent()
    Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
