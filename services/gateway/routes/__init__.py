"""The REST surface: each route names its NATS subject and its pydantic contracts.

The gateway's handlers and its OpenAPI document are both built from this one table, so
a route cannot be served without being documented (or documented without being served).
One module per area; a new area adds its module and its line below.
"""

from __future__ import annotations

from services.gateway.routes import (
    account,
    auth,
    bookings,
    directory,
    documents,
    letters,
    listings,
    matching,
    mentoring,
    messaging,
    operators,
    payments,
    photos,
)
from services.gateway.routes.route import Auth, Route, Session

ROUTES: list[Route] = [
    *auth.ROUTES,
    *account.ROUTES,
    *listings.ROUTES,
    *photos.ROUTES,
    *documents.ROUTES,
    *bookings.ROUTES,
    *operators.ROUTES,
    *messaging.ROUTES,
    *matching.ROUTES,
    *directory.ROUTES,
    *mentoring.ROUTES,
    *letters.ROUTES,
    *payments.ROUTES,
]

__all__ = ["ROUTES", "Auth", "Route", "Session"]
