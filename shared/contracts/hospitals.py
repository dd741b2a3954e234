"""Contracts of the hospital directory: one ``Hospital`` shape, for the directory that
``shared.hospitals`` loads and for the replies that show it."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from shared.contracts.base import Contract, Cursor, HospitalId, Limit, Page, Reply, Text, worded


class HospitalSearch(Contract):
    q: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    state: (
        Annotated[
            str,
            Field(
                pattern=worded(r"^[A-Za-z]{2}$", "a state's two-letter code, such as MA"),
                description="US state code, any case",
            ),
        ]
        | None
    ) = None
    limit: Limit = 20
    cursor: Cursor | None = None


class HospitalRequest(Contract):
    """One hospital of the directory, by its id (a link that carries the id alone)."""

    hospital_id: HospitalId


class Hospital(Reply):
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_serialization_defaults_required=True)

    id: str
    name: str
    city: str
    state: str
    zip: str
    latitude: float
    longitude: float
    beds: int | None = None
    teaching: bool | None = None


class HospitalPage(Page):
    items: list[Hospital]


class HospitalRef(Reply):
    """A hospital where a reply names one: enough to show it and place it on a map."""

    id: str
    name: str
    city: str
    state: str
    latitude: float
    longitude: float
