"""``shared.embedded.free_port``: ports for servers that bind them a moment later."""

from __future__ import annotations

import socket

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
