"""Name directories the web client's pickers ask as one types: US places, countries,
languages (public: search is open to everyone)."""

from __future__ import annotations

from services.gateway.routes.route import Route
from shared import subjects
from shared.contracts import places

ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/places",
        subject=subjects.SEARCH_PLACES,
        request=places.PlaceSearch,
        reply=places.PlaceList,
        auth="public",
        summary="US cities and ZIP codes starting with what is typed, with their centres",
        tag="places",
    ),
    Route(
        method="GET",
        path="/countries",
        subject=subjects.LIST_COUNTRIES,
        request=places.NameSearch,
        reply=places.NamedList,
        auth="public",
        summary="Countries by name (ISO 3166-1 codes), the list profiles are checked against",
        tag="places",
    ),
    Route(
        method="GET",
        path="/languages",
        subject=subjects.SEARCH_LANGUAGES,
        request=places.NameSearch,
        reply=places.NamedList,
        auth="public",
        summary="Languages by name, or the names of codes (ISO 639), the list profiles are checked against",
        tag="places",
    ),
]
