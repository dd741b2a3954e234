"""Addresses outside the JSON route table, reached from mails and calendar apps.

``POST /api/v1/mail/unsubscribe?token=...`` is the RFC 8058 one-click unsubscribe: a mail
client posts ``List-Unsubscribe=One-Click`` as a form, with no session and no JSON, so it
cannot go through the table's JSON handler; a GET of it (the mail's link, clicked) sends
the browser to the web client's page, which asks first. ``GET /api/v1/calendar/{token}.ics`` is the
private calendar feed, ``text/calendar`` for calendar apps. In both the token in the URL
is the credential.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from services.gateway.clientaddr import client_address
from services.gateway.keys import LIMITER, NC, PROXIES, SETTINGS
from shared import bus, signing, subjects
from shared.contracts.calendar import CalendarFeed
from shared.contracts.lifecycle import MAIL_CHOICES, Preferences

API = "/api/v1"


def _check_rate(request: web.Request) -> None:
    proxies = request.app[PROXIES]
    request.app[LIMITER].check(client_address(request.remote, request.headers, proxies))


async def one_click_unsubscribe(request: web.Request) -> web.Response:
    _check_rate(request)
    token = request.query.get("token", "")
    settings = request.app[SETTINGS]
    # The body (List-Unsubscribe=One-Click) says nothing the URL does not; it is read so
    # the client's request completes, and not required: some clients send it empty.
    await request.read()
    prefs = await bus.request(
        request.app[NC], subjects.UNSUBSCRIBE, {"token": token}, Preferences, timeout=settings.request_timeout_s
    )
    return web.json_response(prefs.model_dump(mode="json"))


def _kind_label(token: str) -> str | None:
    """The label of the kind of mail a token names (as the preferences list says it), read
    without checking its signature: only to say what the page would stop. The POST checks
    the token, and its reply names what was stopped."""
    choice = MAIL_CHOICES.get(str((signing.peek(token) or {}).get("k")))
    return choice[1] if choice else None


async def unsubscribe_page(request: web.Request) -> web.Response:
    """The same link opened in a browser (a person clicking "Stop these mails"): the web
    client's page, which says what stops (``what``: the kind's label; it said only "the
    kind of the mail it came in" until after the click) and asks before it posts. A GET
    changes nothing: mail scanners open links, and RFC 8058 keeps the unsubscribe to the
    POST. It answered 405 in JSON."""
    token = request.query.get("token", "")
    query = {"token": token}
    label = _kind_label(token)
    if label:
        query["what"] = label
    raise web.HTTPSeeOther("/#/unsubscribe?" + urlencode(query))


async def calendar_feed(request: web.Request) -> web.Response:
    """The private iCalendar feed; its token is the credential (no session: calendar apps
    fetch it on their own), and a wrong or replaced one is a 404."""
    _check_rate(request)
    settings = request.app[SETTINGS]
    feed = await bus.request(
        request.app[NC],
        subjects.CALENDAR_FEED,
        {"token": request.match_info["token"]},
        CalendarFeed,
        timeout=settings.request_timeout_s,
    )
    return web.Response(
        body=feed.ics.encode(),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="wardmate.ics"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post(API + "/mail/unsubscribe", one_click_unsubscribe)
    app.router.add_get(API + "/mail/unsubscribe", unsubscribe_page)
    app.router.add_get(API + "/calendar/{token}.ics", calendar_feed)
