"""Contracts of the place and name directories: US places (cities, ZIP codes), countries
and languages, looked up by the names people type (see shared/places.py and
shared/countries.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.contracts.base import WHOLE_NUMBER, Contract, Reply, Text

Query = Annotated[Text, Field(min_length=1, max_length=100)]
Few = Annotated[int, Field(ge=1, le=50), WHOLE_NUMBER]


class PlaceSearch(Contract):
    """What someone is typing: the start of a ZIP code or of a city's name ("Fargo, ND")."""

    q: Query
    limit: Few = 8


class Place(Reply):
    kind: Literal["zip", "city"]
    label: str
    city: str
    state: str
    zip: str | None = None
    latitude: float
    longitude: float


class PlaceList(Reply):
    items: list[Place]


class NameSearch(Contract):
    """Countries or languages by name; without q, the whole list (countries) or the
    common languages (those with an ISO 639-1 code)."""

    q: Query | None = None
    # At least one: ``?codes=`` reads as no code and as one empty code alike, and both are
    # refused rather than taken for "no filter" (the fuzz run found the empty one answered).
    codes: (
        Annotated[
            list[Annotated[str, Field(max_length=3, pattern=r"^[A-Za-z]{2,3}$")]], Field(min_length=1, max_length=30)
        ]
        | None
    ) = None
    limit: Annotated[int, Field(ge=1, le=300), WHOLE_NUMBER] = 300


class Named(Reply):
    code: str
    name: str


class NamedList(Reply):
    items: list[Named]
