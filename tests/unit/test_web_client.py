"""The web client's static side: its policy, its page, its modules' imports, its vendored files."""

from __future__ import annotations

import hashlib
import re

import pytest
from pydantic import ValidationError

from services.gateway.pages import STATIC_DIR, content_security_policy, index_html
from shared.settings import Settings


def test_policy_allows_only_this_origin_and_the_tile_server() -> None:
    """Scripts and styles from 'self' only, never inline; images also from the tile server."""
    plain = dict(part.strip().split(" ", 1) for part in content_security_policy(None).split(";"))
    assert plain["script-src"] == "'self'" and plain["style-src"] == "'self'" and plain["connect-src"] == "'self'"
    assert plain["img-src"] == "'self' data:"
    mapped = content_security_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://*.tile.example.org;" in mapped
    assert "unsafe" not in mapped


def test_policy_allows_exactly_the_stripe_js_origin() -> None:
    """Stripe.js's one origin for its script, its calls and its card frame; nothing else."""
    policy = content_security_policy(None, stripe_js_url="http://127.0.0.1:8420/js.stripe.com/v3/")
    parts = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert parts["script-src"] == "'self' http://127.0.0.1:8420"
    assert parts["connect-src"] == "'self' http://127.0.0.1:8420"
    assert parts["frame-src"] == "http://127.0.0.1:8420"
    assert parts["style-src"] == "'self'" and "unsafe" not in policy
    page = index_html(Settings(stripe_js_url="https://js.stripe.com/v3/"))
    assert '<meta name="wardmate-stripe-js" content="https://js.stripe.com/v3/">' in page


def test_page_names_the_tile_server_only_when_configured() -> None:
    """No tile URL, no map meta tags; a configured one is escaped into them."""
    assert "wardmate-map" not in index_html(Settings(map_tile_url=None))
    page = index_html(Settings(map_tile_url="https://tiles.example.org/{z}/{x}/{y}.png?a=1&b=2"))
    assert '<meta name="wardmate-map-tiles" content="https://tiles.example.org/{z}/{x}/{y}.png?a=1&amp;b=2">' in page
    assert "<script" in page and not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)//{z}{x}{y}", "https://tiles.example.org/tile.png", "ftp://t.example.org/{z}/{x}/{y}"]
)
def test_settings_refuse_a_tile_url_that_is_not_a_template(url: str) -> None:
    """A tile URL is an http(s) template with {z}, {x} and {y}."""
    with pytest.raises(ValidationError):
        Settings(map_tile_url=url)


def test_every_module_import_names_a_served_file() -> None:
    """Each relative import (static or dynamic) of the client's modules resolves to a file."""
    modules = [p for p in STATIC_DIR.rglob("*.js") if "vendor" not in p.parts]
    assert len(modules) > 5
    for module in modules:
        for spec in re.findall(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""", module.read_text()):
            assert (module.parent / spec).resolve().is_file(), f"{module.name} imports {spec}"


@pytest.mark.parametrize(
    ("path", "sha256"),
    [
        ("preact-htm.js", "72284e8e9079c87817145df1110f74e8a2aa040b2fc384922e18dfcb46fc1fd7"),
        ("leaflet.js", "39ee93464f11fe3847137e50c0dc8189f706c460e36989ea7871bf7d540f3306"),
        ("leaflet.css", "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6"),
    ],
)
def test_vendored_files_are_the_pinned_ones(path: str, sha256: str) -> None:
    """Each vendored file is byte for byte the one its README names (and the README says so)."""
    assert hashlib.sha256((STATIC_DIR / "vendor" / path).read_bytes()).hexdigest() == sha256
    assert sha256 in (STATIC_DIR / "vendor" / "README.md").read_text()
