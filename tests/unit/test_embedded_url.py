"""The URL a service gets for the embedded Postgres's Unix-domain socket."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from shared.embedded import Server


def test_a_socket_folder_with_spaces_and_an_ampersand_survives_the_url() -> None:
    server = Server(None, 54321, "postgresql://postgres@127.0.0.1:54321/wardmate", Path("/home/a b/x&y/postgres"))  # type: ignore[arg-type]
    url = server.local_url("postgresql://listings@127.0.0.1:54321/wardmate")
    parts = urlsplit(url)
    assert parts.netloc == "listings@" and parts.path == "/wardmate"
    assert parse_qs(parts.query) == {"host": ["/home/a b/x&y/postgres"], "port": ["54321"]}


def test_without_a_socket_the_url_is_kept() -> None:
    url = "postgresql://listings@127.0.0.1:54321/wardmate"
    assert Server(None, 54321, url).local_url(url) == url  # type: ignore[arg-type]
