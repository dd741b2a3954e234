"""A REST route: its method and path, the NATS subject it forwards to, its contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from shared.errors import ErrorCode

Auth = Literal["public", "optional", "user"]
# What a route does to the browser session: "start" sets the cookies from the reply's
# token, "end" revokes the caller's session and clears them, "refresh" drops the caller's
# cached session so the next request sees what the route changed (a confirmed address).
Session = Literal["start", "end", "refresh"]

# Path parameters: the path's ``{id}`` is the request field named here.
LISTING_ID = {"id": "listing_id"}
BOOKING_ID = {"id": "booking_id"}
USER_ID = {"id": "user_id"}
ROTATION_ID = {"id": "rotation_id"}
MENTORSHIP_ID = {"id": "mentorship_id"}
ROUND_ID = {"id": "round_id"}
CONVERSATION_ID = {"id": "conversation_id"}
REPORT_ID = {"id": "report_id"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    subject: str
    request: type[BaseModel]
    reply: type[BaseModel]
    auth: Auth = "user"
    summary: str = ""
    tag: str = ""
    status: int = 200
    path_params: dict[str, str] = field(default_factory=dict)
    # Request fields the gateway fills in itself (see app.GATEWAY_FIELDS); hidden from
    # the documented body, and refused when a client sends them.
    internal_fields: tuple[str, ...] = ()
    session: Session | None = None
    # What the service can answer besides success and the errors any route can give
    # (validation, rate_limited, unavailable, timeout; unauthorized unless public; a
    # cookie session's missing CSRF header on writes): the document lists exactly these.
    errors: tuple[ErrorCode, ...] = ()
    # A JSON body for a DELETE (DELETE /me takes the password there, never in the URL);
    # None: the method decides (GET and DELETE take query parameters).
    body: bool | None = None
