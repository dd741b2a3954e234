"""Downloads made of every page of a JSON route, streamed: ``GET /api/v1/me/payouts.csv``,
a host's payouts as one CSV file.

The payouts route answers a page at a time (keyset, newest check-in first), and its CSV
was the page asked for: a host with more stays than one page exported part of them. The
download asks payments for each page in turn (``format=csv``: the header comes with the
first page only) and writes it to the response before asking for the next, so a host's
whole history costs the gateway one page of memory, whatever its length.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from services.gateway import auth
from services.gateway.clientaddr import client_address
from services.gateway.keys import CSP, LIMITER, NC, PROXIES, SESSIONS, SETTINGS
from services.gateway.pages import SECURITY_HEADERS
from shared import bus, subjects
from shared.contracts.payments import Payouts
from shared.errors import AppError
from shared.logs import REQUEST_ID_HEADER, request_id_var

log = logging.getLogger("gateway")

API = "/api/v1"
# Rows per page asked of payments (the route's largest page).
PAYOUTS_PAGE = 100
UTF8_BOM = "\ufeff".encode()
# What the download takes: the period, by check-in (the JSON route's ``from`` and ``to``).
PAYOUTS_QUERY = ("from", "to")


async def payouts_csv(request: web.Request) -> web.StreamResponse:
    """Every paid stay of the caller's (a host), checking in within ``from``–``to`` when
    given, as CSV. Errors come before the first byte (401, a bad date: 400): the first page
    is asked for before the response starts. A failure after it (payments gone mid-way)
    ends the response unfinished, so a client never takes part of the file for all of it."""
    app = request.app
    proxies = app[PROXIES]
    app[LIMITER].check(client_address(request.remote, request.headers, proxies))
    actor = await auth.logged_in(request, app[SESSIONS])
    unknown = sorted(set(request.query) - set(PAYOUTS_QUERY))
    if unknown:
        raise AppError("validation", "unknown fields", [{"field": name, "message": "not a field"} for name in unknown])
    query: dict[str, Any] = {name: request.query[name] for name in PAYOUTS_QUERY if name in request.query}
    settings = app[SETTINGS]

    async def page(cursor: str | None) -> Payouts:
        ask = {**query, "format": "csv", "limit": PAYOUTS_PAGE, **({"cursor": cursor} if cursor else {})}
        return await bus.request(
            app[NC], subjects.HOST_PAYOUTS, ask, Payouts, actor=actor, timeout=settings.request_timeout_s
        )

    current = await page(None)
    # The errors middleware adds its headers after the handler: too late for a response
    # already under way, so they are set here, before the first byte.
    headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": app[CSP],
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="wardmate-payouts.csv"',
        "Cache-Control": "private, no-store",
    }
    if rid := request_id_var.get():
        headers[REQUEST_ID_HEADER] = rid
    response = web.StreamResponse(headers=headers)
    response.enable_chunked_encoding()
    await response.prepare(request)
    # A byte order mark first: Excel reads a CSV without one in the machine's legacy code
    # page, and titles with "·", "—" or an emoji came out garbled.
    await response.write(UTF8_BOM)
    try:
        while True:
            await response.write((current.csv or "").encode())
            if current.next_cursor is None:
                break
            current = await page(current.next_cursor)
    except Exception as exc:
        # The status is sent: no error body can follow. Closing the connection without the
        # last chunk tells the client the file is incomplete (a clean end would not).
        log.warning("payouts CSV cut short: %s", exc)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get(API + "/me/payouts.csv", payouts_csv)
