"""Requests that aiohttp's HTTP parser refuses before any route or middleware sees them (a
request line or header over 8,190 bytes, a malformed header): a JSON error, as every other
refusal is, instead of aiohttp's plain text ("Got more than 8190 bytes when reading: …",
echoing the request back) and a traceback logged at error level for each.

aiohttp answers these from ``RequestHandler.handle_error``, which the server builds for each
connection; ``install`` has the gateway's server build this subclass instead.
"""

from __future__ import annotations

import logging

from aiohttp import web, web_protocol, web_server

from shared.errors import AppError

log = logging.getLogger("gateway")

# What the client is told, whatever the parser said (its message quotes what it read).
MALFORMED = "the request is malformed: its request line or a header is too long or cannot be read"


class JsonErrorsRequestHandler(web_protocol.RequestHandler):
    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:  # the server's own failure: aiohttp's handling (logged, no details)
            return super().handle_error(request, status, exc, message)
        if request.writer.output_size > 0:  # part of a response went out: nothing can follow
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        log.info("refused a malformed request from %s: %s", request.remote, type(exc).__name__ if exc else status)
        response = web.json_response(AppError("validation", MALFORMED).to_dict(), status=status)
        response.force_close()
        return response


def install() -> None:
    """Make the servers of this process answer malformed requests in JSON (the gateway's
    ``__main__``; ``web_server.Server`` builds a ``RequestHandler`` per connection)."""
    web_server.RequestHandler = JsonErrorsRequestHandler  # type: ignore[attr-defined]
