"""Addresses outside the JSON route table, reached from mails and calendar apps.

``POST /api/v1/mail/unsubscribe?token=...`` is the RFC 8058 one-click unsubscribe: a mail
client posts ``List-Unsubscribe=One-Click`` as a form, with no session and no JSON, so it
cannot go through the table's JSON handler. The token in the URL is the credential.
"""

from __future__ import annotations

from aiohttp import web

from services.gateway.keys import LIMITER, NC, SETTINGS
from shared import bus, subjects
from shared.contracts.lifecycle import Preferences

API = "/api/v1"


async def one_click_unsubscribe(request: web.Request) -> web.Response:
    request.app[LIMITER].check(request.remote or "unknown")
    token = request.query.get("token", "")
    settings = request.app[SETTINGS]
    # The body (List-Unsubscribe=One-Click) says nothing the URL does not; it is read so
    # the client's request completes, and not required: some clients send it empty.
    await request.read()
    prefs = await bus.request(
        request.app[NC], subjects.UNSUBSCRIBE, {"token": token}, Preferences, timeout=settings.request_timeout_s
    )
    return web.json_response(prefs.model_dump(mode="json"))


def add_routes(app: web.Application) -> None:
    app.router.add_post(API + "/mail/unsubscribe", one_click_unsubscribe)
