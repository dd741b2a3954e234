"""The gateway's route table is consistent with the contracts it names."""

from __future__ import annotations

from services.gateway.app import GATEWAY_FIELDS
from services.gateway.routes import ROUTES


def test_internal_and_path_fields_exist_in_the_request_contracts() -> None:
    """Every field the gateway fills (from the connection, the token or the path) is a
    field of the route's request model, and the gateway knows how to fill it."""
    for route in ROUTES:
        fields = set(route.request.model_fields)
        assert set(route.internal_fields) <= fields & set(GATEWAY_FIELDS), route.path
        assert set(route.path_params.values()) <= fields, route.path


def test_session_routes_are_the_auth_routes() -> None:
    """Signup and login start a browser session; logout ends it; confirming an address
    refreshes the caller's cached session; nothing else touches it."""
    sessions = {r.path: r.session for r in ROUTES if r.session}
    assert sessions == {
        "/auth/signup": "start",
        "/auth/login": "start",
        "/auth/logout": "end",
        "/auth/verify-email": "refresh",
        "/auth/confirm-email": "refresh",
    }
