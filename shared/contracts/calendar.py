"""Contracts of the private calendar feed: what listings and matching give accounts about
a user's stays and rotations, and the feed's link."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import Field

from shared.contracts.base import Contract, Reply, Text


class CalendarStay(Reply):
    """A stay as guest or host; ``version`` grows with every change (the event's SEQUENCE)."""

    booking_id: uuid.UUID
    listing_title: str
    check_in: date
    check_out: date
    status: str
    role: str
    # Only once the guest's stay is confirmed (always for the host).
    address: str | None = None
    version: int
    # The other side: the host of a guest's stay, the guest of a host's (the feed names them).
    other_id: uuid.UUID | None = None
    # Paid once (whatever it is now): its mails carried it into its people's calendars.
    was_confirmed: bool = False


class CalendarStays(Reply):
    items: list[CalendarStay]


class CalendarStayRequest(Contract):
    """One stay of the caller's (as guest or host), by its booking's id."""

    booking_id: uuid.UUID


class CalendarRotation(Reply):
    rotation_id: uuid.UUID
    hospital: str
    specialty: str
    start_date: date
    end_date: date
    version: int
    # Where it is ("Johns Hopkins Hospital, Baltimore, MD 21287") and the hospital's
    # position: the event's LOCATION and GEO.
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class CalendarRotations(Reply):
    items: list[CalendarRotation]


class CalendarFeedRequest(Contract):
    token: Annotated[Text, Field(min_length=10, max_length=500)]


class CalendarFeed(Reply):
    ics: str


class CalendarLink(Reply):
    """The private feed's address: anyone holding it reads your calendar; rotate it to
    turn the old one off (it then answers 404)."""

    url: str
