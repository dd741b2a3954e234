"""The client's address behind trusted proxies (``WARDMATE_TRUSTED_PROXIES``).

Behind a load balancer every connection comes from the balancer, so the per-address rate
limit and login throttle would lump all clients together. The forwarding headers are
believed only on a connection from a configured proxy: anyone else could write them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from multidict import CIMultiDictProxy

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# One ``for=`` of a Forwarded element: a bare IPv4 address, "[v6]:port", "1.2.3.4:80".
_FORWARDED_FOR = re.compile(r'for\s*=\s*"?\[?([0-9A-Fa-f:.]+?)\]?(?::\d+)?"?\s*(?:[;,]|$)', re.IGNORECASE)


def parse_networks(text: str) -> tuple[Network, ...]:
    """``10.0.0.0/8, 192.168.1.7`` -> networks; a bare address is a network of one.

    Raises:
        ValueError: an entry that is not an address or network, naming it.
    """
    networks = []
    for item in text.split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: str | None, proxies: Sequence[Network]) -> bool:
    parsed = _address(address) if address else None
    return parsed is not None and any(parsed in net for net in proxies)


def forwarded_chain(headers: CIMultiDictProxy[str]) -> list[str]:
    """The addresses the proxies recorded, nearest last (``Forwarded`` wins over
    ``X-Forwarded-For``); entries that are not addresses (``unknown``, obfuscated) dropped."""
    forwarded = headers.getall("Forwarded", [])
    if forwarded:
        found = [m.group(1) for m in _FORWARDED_FOR.finditer(",".join(forwarded))]
    else:
        found = [part for value in headers.getall("X-Forwarded-For", []) for part in value.split(",")]
    return [str(a) for a in (_address(f) for f in found) if a is not None]


def client_address(remote: str | None, headers: CIMultiDictProxy[str], proxies: Sequence[Network]) -> str:
    """The connection's address, or, when it is a trusted proxy, the nearest address in the
    forwarding chain that is not itself a trusted proxy (entries further left could be
    made up by the client)."""
    address = remote or "unknown"
    if not _trusted(remote, proxies):
        return address
    for hop in reversed(forwarded_chain(headers)):
        if not _trusted(hop, proxies):
            return hop
        address = hop
    return address
