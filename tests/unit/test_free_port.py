"""``shared.embedded.free_port``: ports for servers that bind them a moment later."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared import embedded


def test_ports_are_distinct_bindable_and_outside_the_ephemeral_range() -> None:
    """Outgoing connections take their local ports from the kernel's ephemeral range, so a
    port picked there could be taken before its server binds it; and one process never
    gets the same port twice while its servers start."""
    ports = [embedded.free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    span = embedded._ephemeral_range()
    if span is not None and span[0] - embedded._LOWEST_PORT >= 1_000:
        assert all(embedded._LOWEST_PORT <= p < span[0] for p in ports), sorted(ports)[-5:]
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", ports[-1]))


def test_a_port_another_process_was_given_is_not_handed_out_until_its_hold_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runners (two test workers, or a test beside ``make run``) each picked a port that
    was free, the same one, a moment apart: the second server to bind it exited. Another
    process books 999 of a 1,000-port range here; this one must get the last port, or one
    from the kernel, and gets the booked ones again once their hold has passed."""
    book = tmp_path / "ports.json"
    low = 40_000
    booked = range(low, low + 999)
    other = (
        "import sys; from pathlib import Path; from shared import embedded;"
        f"embedded._PORT_BOOK = Path({str(book)!r});"
        f"embedded.hold_port(*range({low}, {low + 999}))"
    )
    subprocess.run([sys.executable, "-c", other], check=True, cwd=Path(__file__).parents[2])
    monkeypatch.setattr(embedded, "_PORT_BOOK", book)
    monkeypatch.setattr(embedded, "_ephemeral_range", lambda: (low + 1_000, 60_999))
    monkeypatch.setattr(embedded, "_LOWEST_PORT", low)
    monkeypatch.setattr(embedded, "_handed_out", set())
    ports = [embedded.free_port() for _ in range(5)]
    assert not set(ports) & set(booked), ports
    # The holds end: the range is free again (and the book keeps no stale entries).
    later = time.time() + embedded._PORT_HOLD_S + 1
    monkeypatch.setattr(embedded.time, "time", lambda: later)
    again = [embedded.free_port() for _ in range(5)]
    assert set(again) & set(booked), again
    assert len(json.loads(book.read_text())) == 5
