"""Time zones: the IANA zone most of a US state lives in, the default of a user who has
not chosen one (from the hospital they rotate at or are affiliated with).

States split across zones get the zone of most of their people (Florida's panhandle,
west Texas, Idaho's north and so on are the exceptions a user corrects by choosing).
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, tzinfo

from shared import dates

DEFAULT_ZONE = "America/New_York"

STATE_ZONES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
    "CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
    "DC": "America/New_York", "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis", "IA": "America/Chicago",
    "KS": "America/Chicago", "KY": "America/New_York", "LA": "America/Chicago", "ME": "America/New_York",
    "MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver", "NE": "America/Chicago",
    "NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York", "NM": "America/Denver",
    "NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York", "RI": "America/New_York",
    "SC": "America/New_York", "SD": "America/Chicago", "TN": "America/Chicago", "TX": "America/Chicago",
    "UT": "America/Denver", "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver", "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas", "GU": "Pacific/Guam", "AS": "Pacific/Pago_Pago", "MP": "Pacific/Saipan",
}  # fmt: skip


# What the zone database ships besides zones: the machine's own zone (whatever the server
# is set to) and a placeholder that reads "-00".
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def is_zone(name: str) -> bool:
    return name in known_zones()


def zone_for_state(state: str | None) -> str:
    """The zone of a state's code, or the default when the state is unknown."""
    return STATE_ZONES.get((state or "").upper(), DEFAULT_ZONE)


@functools.cache
def zone(name: str) -> tzinfo:
    return zoneinfo.ZoneInfo(name)


def local(moment: datetime, zone_name: str) -> str:
    """``moment`` as a person in ``zone_name`` reads it: 'Dec 10, 2026 at 9:30 AM EST' (as
    the web client writes dates and times; it read '2026-12-10 09:30 EST')."""
    here = moment.astimezone(zone(zone_name))
    return f"{dates.written(here.date())} at {dates.clock(here)}"
