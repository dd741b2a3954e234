"""Endpoints of the name directories: US places (cities and ZIP codes), countries and
languages. Pure lookups in package data (shared.places, shared.countries), no database."""

from __future__ import annotations

import asyncio

from shared import countries, places, subjects
from shared.contracts.places import Named, NamedList, NameSearch, Place, PlaceList, PlaceSearch
from shared.service import Context, Registry

registry = Registry()


@registry.on_startup
async def warm_lists(_ctx: Context) -> None:
    # The place and language lists are read from package data once (about a second, in a
    # thread): on a user's first lookup instead, that call timed out at the gateway.
    await asyncio.to_thread(places.warm)
    await asyncio.to_thread(countries.warm)


@registry.endpoint(subjects.SEARCH_PLACES, PlaceSearch)
async def search_places(_ctx: Context, req: PlaceSearch) -> PlaceList:
    found = places.search(req.q, req.limit)
    return PlaceList(items=[Place.model_validate(p, from_attributes=True) for p in found])


@registry.endpoint(subjects.LIST_COUNTRIES, NameSearch)
async def list_countries(_ctx: Context, req: NameSearch) -> NamedList:
    items = countries.countries()
    if req.codes:
        wanted = {c.upper() for c in req.codes}
        items = tuple(n for n in items if n.code in wanted)
    if req.q:
        text = places.fold(req.q)
        items = tuple(n for n in items if f" {places.fold(n.name)}".find(f" {text}") >= 0 or n.code.lower() == text)
    return NamedList(items=[Named(code=n.code, name=n.name) for n in items[: req.limit]])


@registry.endpoint(subjects.SEARCH_LANGUAGES, NameSearch)
async def search_languages(_ctx: Context, req: NameSearch) -> NamedList:
    if req.codes:
        found = countries.language_names([c.lower() for c in req.codes])
    else:
        found = countries.search_languages(req.q or "", req.limit)
    return NamedList(items=[Named(code=n.code, name=n.name) for n in found])
