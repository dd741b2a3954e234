"""The private iCalendar feed (RFC 5545, with ``icalendar``): a user's stays as guest and
host, their rotations and their mentorship meetings. Pure: built from what listings and
matching answered.

Each event's ``UID`` is stable (the booking's, rotation's or meeting's id), and its
``SEQUENCE`` is the record's version, which the database raises on every change: a shifted
stay moves in Google, Apple and Outlook calendars instead of showing twice. Stays that will not happen
stay in the feed as ``STATUS:CANCELLED`` so a subscribed calendar drops them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import overload

from icalendar import Calendar, Event

from shared import reference
from shared.contracts.calendar import CalendarRotation, CalendarStay
from shared.contracts.mentoring import CalendarMeeting
from shared.dates import written
from shared.privacy import DELETED_NAME
from shared.signing import sign, unsign

PURPOSE = "calendar"
PRODID = "-//Wardmate//Calendar feed//EN"
_STATUS = {
    "requested": "TENTATIVE",
    # Accepted but not yet paid (payments): confirmed once the guest pays.
    "accepted": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "completed": "CONFIRMED",
    "declined": "CANCELLED",
    "expired": "CANCELLED",
    "cancelled": "CANCELLED",
}


def feed_token(secret: str, user_id: uuid.UUID, generation: int) -> str:
    """The feed's token: the user and the feed's generation, signed; rotating the feed
    raises the generation, so the old token no longer matches."""
    return sign(secret, PURPOSE, {"u": str(user_id), "g": generation}, None)


def read_feed_token(secret: str, token: str, now: datetime) -> tuple[uuid.UUID, int]:
    payload = unsign(secret, PURPOSE, token, now)
    return uuid.UUID(str(payload["u"])), int(payload["g"])


def feed_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/api/v1/calendar/{token}.ics"


def stay_event(stay: CalendarStay, public_url: str, stamp: datetime, other_name: str | None = None) -> Event:
    """A stay as all-day dates; a host's names its guest ("Hosting Priya Nair: …"), a
    guest's its host in the description (a host with two rooms, or a guest with two stays,
    told them apart by the room alone)."""
    event = Event()
    event.add("uid", f"booking-{stay.booking_id}@wardmate")
    event.add("sequence", stay.version)
    event.add("dtstamp", stamp)
    # All-day dates: check-in day to check-out day (DTEND is exclusive in RFC 5545).
    event.add("dtstart", stay.check_in)
    event.add("dtend", stay.check_out)
    if stay.role == "host":
        event.add(
            "summary", f"Hosting {other_name}: {stay.listing_title}" if other_name else f"Hosting: {stay.listing_title}"
        )
    else:
        event.add("summary", f"Stay: {stay.listing_title}")
    event.add("status", _STATUS.get(stay.status, "TENTATIVE"))
    if stay.address:
        event.add("location", stay.address)
    # The stay's own card (it opened every booking), and its days as people write them.
    event.add("url", f"{public_url.rstrip('/')}/#/bookings?booking={stay.booking_id}")
    nights = (stay.check_out - stay.check_in).days
    who = ""
    if other_name:
        who = f" Guest: {other_name}." if stay.role == "host" else f" Host: {other_name}."
    leaves = "your guest leaves" if stay.role == "host" else "you leave"
    event.add(
        "description",
        f"Booking {stay.status}.{who} Check-in {written(stay.check_in)}, check-out {written(stay.check_out)}"
        f" ({nights} night{'' if nights == 1 else 's'}; {leaves} on the check-out morning).",
    )
    event.add("transp", "TRANSPARENT")
    return event


def rotation_event(rotation: CalendarRotation, public_url: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"rotation-{rotation.rotation_id}@wardmate")
    event.add("sequence", rotation.version)
    event.add("dtstamp", stamp)
    event.add("dtstart", rotation.start_date)
    # A rotation's end date is the day its student moves out (its rooms are matched for the
    # nights before it), a stay's check-out: exclusive, as the stay's is. It ran a day past
    # the stay booked for it.
    event.add("dtend", rotation.end_date)
    # The specialty as the web client names it ("Cardiology"), not its stored key.
    specialty = reference.specialty_name(rotation.specialty) or rotation.specialty
    event.add("summary", f"Rotation: {specialty} at {rotation.hospital}")
    event.add("status", "CONFIRMED")
    if rotation.place:
        event.add("location", rotation.place)
    if rotation.latitude is not None and rotation.longitude is not None:
        event.add("geo", (rotation.latitude, rotation.longitude))
    event.add("url", f"{public_url.rstrip('/')}/#/rotations/{rotation.rotation_id}")
    event.add("transp", "TRANSPARENT")
    return event


def meeting_event(meeting: CalendarMeeting, other_name: str, public_url: str, stamp: datetime) -> Event:
    """A meeting titled with the other side's name: someone with two mentors (or a mentor
    with several students) tells their meetings apart in their calendar app."""
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@wardmate")
    event.add("sequence", meeting.version)
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", f"Mentorship meeting with {other_name}")
    event.add("status", "CANCELLED" if meeting.status in ("cancelled", "declined") else "CONFIRMED")
    if meeting.place:
        event.add("location", meeting.place)
    event.add("url", meeting.video_url or f"{public_url.rstrip('/')}/#/mentorships/{meeting.mentorship_id}")
    return event


def calendar(name: str, events: list[Event]) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(event)
    return bytes(cal.to_ical())


def feed(
    stays: list[CalendarStay],
    rotations: list[CalendarRotation],
    public_url: str,
    stamp: datetime,
    meetings: Sequence[CalendarMeeting] = (),
    names: Mapping[uuid.UUID, str] | None = None,
) -> bytes:
    """The feed; ``names`` are the display names of the people met or hosted, by id (see
    ``_name``)."""
    known = names or {}
    events = [stay_event(s, public_url, stamp, _name(known, s.other_id)) for s in stays]
    events += [rotation_event(r, public_url, stamp) for r in rotations]
    events += [meeting_event(m, _name(known, m.other_id), public_url, stamp) for m in meetings]
    return calendar("Wardmate", events)


@overload
def _name(names: Mapping[uuid.UUID, str], user_id: uuid.UUID) -> str: ...
@overload
def _name(names: Mapping[uuid.UUID, str], user_id: uuid.UUID | None) -> str | None: ...
def _name(names: Mapping[uuid.UUID, str], user_id: uuid.UUID | None) -> str | None:
    """The person's name; one not in ``names`` (their account is deleted) is ``DELETED_NAME``,
    as everywhere else it is shown; no person, no name."""
    return None if user_id is None else names.get(user_id, DELETED_NAME)


def stay_invite(
    stay: CalendarStay, public_url: str, stamp: datetime, names: Mapping[uuid.UUID, str] | None = None
) -> bytes:
    """One stay as an ``.ics`` attachment (METHOD:PUBLISH: added, not an invitation to answer);
    ``names`` as for ``feed``."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(stay_event(stay, public_url, stamp, _name(names or {}, stay.other_id)))
    return bytes(cal.to_ical())
