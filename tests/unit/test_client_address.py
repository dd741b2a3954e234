"""The client address behind trusted proxies: forwarding headers believed only from them."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from services.gateway.clientaddr import client_address, parse_networks
from shared.settings import Settings

PROXIES = parse_networks("10.0.0.0/8, 192.168.1.7")


def headers(**values: str) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict({k.replace("_", "-"): v for k, v in values.items()}))


def test_headers_from_an_untrusted_peer_are_ignored() -> None:
    assert client_address("203.0.113.9", headers(X_Forwarded_For="1.2.3.4"), PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", headers(Forwarded="for=1.2.3.4"), PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", headers(), ()) == "203.0.113.9"


def test_a_trusted_proxy_names_the_client() -> None:
    assert client_address("10.1.2.3", headers(X_Forwarded_For="198.51.100.7"), PROXIES) == "198.51.100.7"
    assert client_address("192.168.1.7", headers(Forwarded='for="[2001:db8::1]:4711"'), PROXIES) == "2001:db8::1"


def test_the_nearest_untrusted_hop_wins_over_what_the_client_wrote() -> None:
    # The client sent "X-Forwarded-For: 6.6.6.6"; the balancer appended its peer.
    chain = headers(X_Forwarded_For="6.6.6.6, 198.51.100.7, 10.0.0.5")
    assert client_address("10.0.0.9", chain, PROXIES) == "198.51.100.7"
    assert client_address("10.0.0.9", headers(Forwarded="for=6.6.6.6, for=198.51.100.7;proto=https"), PROXIES) == (
        "198.51.100.7"
    )


def test_a_trusted_peer_without_a_usable_header_is_itself_the_client() -> None:
    assert client_address("10.0.0.9", headers(), PROXIES) == "10.0.0.9"
    assert client_address("10.0.0.9", headers(X_Forwarded_For="garbage, unknown"), PROXIES) == "10.0.0.9"
    assert client_address("10.0.0.9", headers(X_Forwarded_For="10.0.0.4"), PROXIES) == "10.0.0.4"


def test_a_bad_setting_names_the_entry() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        Settings(trusted_proxies="127.0.0.1, 10.0.0.0/33")
    assert Settings(trusted_proxies="127.0.0.1, ::1").trusted_proxies
