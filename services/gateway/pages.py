"""What the gateway serves besides the API: the web client's page and its Content-Security-Policy,
the OpenAPI document and its docs page; the security headers every answer carries."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from services.gateway.keys import (
    INDEX,
    OPENAPI,
)
from services.gateway.openapi import DOCS_HTML
from shared.settings import Settings

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# The API docs page alone keeps its inline script and style.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)


# The web client: static ES modules, no build step (see static/vendor/README.md).
STATIC_DIR = Path(__file__).parent / "static"


def tile_origin(tile_url: str) -> str:
    """The origin a map's tiles come from (``{s}`` subdomains as a wildcard), for the CSP."""
    parts = urlsplit(tile_url)
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def content_security_policy(
    tile_url: str | None, media_origin: str | None = None, stripe_js_url: str | None = None
) -> str:
    """The web client's policy: scripts, styles and connections (fetch, the WebSocket)
    from this origin only, no inline script or style; images also from the map's tile
    server when one is configured, and from the S3 store photos redirect to; Stripe.js's
    one origin for its script, its calls and its card frame (the card never touches
    Wardmate's pages)."""
    images = "'self' data:" + (f" {tile_origin(tile_url)}" if tile_url else "")
    images += f" {media_origin}" if media_origin else ""
    stripe = f" {tile_origin(stripe_js_url)}" if stripe_js_url else ""
    frames = f"frame-src{stripe}; " if stripe else ""
    return (
        f"default-src 'self'; script-src 'self'{stripe}; style-src 'self'; img-src {images}; "
        f"connect-src 'self'{stripe}; {frames}"
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def media_origin(settings: Settings) -> str | None:
    """Where photos come from besides this origin: the S3 endpoint's presigned URLs."""
    if settings.storage != "s3":
        return None
    if settings.s3_endpoint_url:
        parts = urlsplit(settings.s3_endpoint_url)
        return f"{parts.scheme}://{parts.netloc}"
    return "https://*.amazonaws.com"


def index_html(settings: Settings) -> str:
    """The client's page; the map's tile server, when configured, in meta tags it reads."""
    page = (STATIC_DIR / "index.html").read_text()
    if settings.map_tile_url:
        meta = (
            f'<meta name="wardmate-map-tiles" content="{html.escape(settings.map_tile_url)}">\n'
            f'<meta name="wardmate-map-attribution" content="{html.escape(settings.map_attribution)}">\n'
        )
        page = page.replace("</head>", meta + "</head>", 1)
    # Stripe.js's address.
    stripe = f'<meta name="wardmate-stripe-js" content="{html.escape(settings.stripe_js_url)}">\n'
    return page.replace("</head>", stripe + "</head>", 1)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


async def docs(request: web.Request) -> web.Response:
    return web.Response(text=DOCS_HTML, content_type="text/html", headers={"Content-Security-Policy": DOCS_CSP})


async def index(request: web.Request) -> web.Response:
    """The web client's page; its modules route by the URL's fragment (``#/rooms``)."""
    return web.Response(text=request.app[INDEX], content_type="text/html", headers={"Cache-Control": "no-cache"})


async def not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()
