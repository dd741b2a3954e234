"""The room score of a rotation's candidates from their columns: no object per listing.

`room_score` (``scoring.py``) scores one ``ListingInput`` and words its reasons; it stays
the reference, and the rooms of a page shown are explained by it. Ranking a city's
thousands of rooms needs only the scores, and building a ``ListingInput`` and a
``ProfileInput`` per candidate and host cost more than the scoring itself. Here a
candidate is a row of arrays (``RoomColumns``, filled straight from Postgres by
``store/candidates.py``), its host a row of ``HostColumns``, and the tags (amenities,
specialties, languages, organizations) pairs of (row, tag) arrays.

Every part is computed as ``room_score`` computes it, summed in the same order, so the
scores are bit for bit the same (tests/unit/test_matching_room_columns.py): the
arithmetic IEEE rounds the same in numpy and Python, but numpy's SIMD ``arcsin`` and
``power`` differ from libm's in the last bit, so the distance and its part go through
``math`` element by element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from numpy.typing import NDArray

from services.matching.engine import wording as w
from services.matching.engine.features import _tag, features
from services.matching.engine.models import ListingInput, ProfileInput, RotationInput
from services.matching.engine.scoring import _amenity
from services.matching.engine.weights import INTEREST_SPECIALTY_CREDIT, RoomWeights
from shared.geo import haversine_km

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class Tags:
    """Tags of many rows: ``row[k]`` holds ``tag[k]`` (a row may repeat a tag)."""

    row: Ints
    tag: list[str]

    @staticmethod
    def of(sets: Sequence[frozenset[str] | Sequence[str]]) -> Tags:
        pairs = [(i, t) for i, tags in enumerate(sets) for t in tags]
        return Tags(np.array([i for i, _ in pairs], np.int64), [t for _, t in pairs])

    def rows_with(self, wanted: Callable[[str], bool], rows: int) -> Bools:
        """Which rows hold a tag ``wanted`` says yes to (judged once per distinct tag)."""
        verdict = {t: wanted(t) for t in set(self.tag)}
        hit = np.fromiter(map(verdict.__getitem__, self.tag), bool, len(self.tag))
        found = np.zeros(rows, bool)
        found[self.row[hit]] = True
        return found


@dataclass(frozen=True)
class HostColumns:
    """The hosts of the candidates, one row each (a host without a profile: blanks)."""

    school: list[str | None]
    country: list[str | None]
    open_to_mentoring: Bools
    specialties: Tags
    languages: Tags
    organizations: Tags

    def __len__(self) -> int:
        return len(self.open_to_mentoring)


@dataclass(frozen=True)
class RoomColumns:
    """The candidates of one rotation, one row each; dates as days from its start."""

    lat: Floats
    lon: Floats
    monthly_rent: Ints
    room_type: list[str]
    opens: Ints  # available_from - rotation start
    closes: Ints  # available_to - rotation start
    min_stay_nights: Ints
    review_average: Floats  # NaN: none
    review_count: Ints
    host: Ints  # row of ``hosts``
    own: Bools  # the host is the student
    amenities: Tags
    stays: tuple[Ints, Ints, Ints]  # (row, check_in, check_out): booked stays, days from the start
    hosts: HostColumns

    def __len__(self) -> int:
        return len(self.lat)


def columns_of(rotation: RotationInput, student: ProfileInput, listings: Sequence[ListingInput]) -> RoomColumns:
    """``listings`` as columns (what the tests compare with the reference)."""
    start = rotation.start.toordinal()
    profiles = list({x.host.id: x.host for x in listings}.values())
    host_row = {p.id: i for i, p in enumerate(profiles)}
    stays = [(i, a.toordinal() - start, b.toordinal() - start) for i, x in enumerate(listings) for a, b in x.booked]
    return RoomColumns(
        lat=np.array([x.lat for x in listings], np.float64),
        lon=np.array([x.lon for x in listings], np.float64),
        monthly_rent=np.array([x.monthly_rent for x in listings], np.int64),
        room_type=[x.room_type for x in listings],
        opens=np.array([x.available_from.toordinal() - start for x in listings], np.int64),
        closes=np.array([x.available_to.toordinal() - start for x in listings], np.int64),
        min_stay_nights=np.array([x.min_stay_nights for x in listings], np.int64),
        review_average=np.array([np.nan if x.review_average is None else x.review_average for x in listings]),
        review_count=np.array([x.review_count for x in listings], np.int64),
        host=np.array([host_row[x.host.id] for x in listings], np.int64),
        own=np.array([x.host.id == student.id for x in listings], bool),
        amenities=Tags.of([x.amenities for x in listings]),
        stays=tuple(np.array([s[k] for s in stays], np.int64) for k in range(3)),  # type: ignore[arg-type]
        hosts=HostColumns(
            school=[p.medical_school for p in profiles],
            country=[p.school_country for p in profiles],
            open_to_mentoring=np.array([p.open_to_mentoring for p in profiles], bool),
            specialties=Tags.of([p.specialties for p in profiles]),
            languages=Tags.of([p.languages for p in profiles]),
            organizations=Tags.of([p.organizations for p in profiles]),
        ),
    )


def _free_nights(cols: RoomColumns, nights: int) -> tuple[Ints, Ints]:
    """(free nights, longest run of free nights) per row, as ``free_nights`` counts them."""
    lo = np.maximum(0, cols.opens)
    hi = np.minimum(nights, cols.closes)
    free = np.maximum(0, hi - lo)
    longest = free.copy()
    row, check_in, check_out = cols.stays
    if len(row):
        # Only rows with stays need a night-by-night look: a (rows x nights) mask of the
        # window, minus the stays (a +1/-1 difference per stay, summed along the nights).
        booked, at = np.unique(row, return_inverse=True)
        night = np.arange(nights)
        window = (night >= lo[booked, None]) & (night < hi[booked, None])
        taken = np.zeros((len(booked), nights + 1), np.int64)
        np.add.at(taken, (at, np.clip(check_in, 0, nights)), 1)
        np.add.at(taken, (at, np.clip(check_out, 0, nights)), -1)
        open_ = window & (np.cumsum(taken, axis=1)[:, :nights] == 0)
        free[booked] = open_.sum(axis=1)
        # A night's run: nights since the last taken one (-1 before the first night).
        last_taken = np.maximum.accumulate(np.where(open_, -1, night), axis=1)
        longest[booked] = (night - last_taken).max(axis=1) if nights else 0
    return free, longest


def _host_affinity(rotation: RotationInput, student: ProfileInput, hosts: HostColumns, weights: RoomWeights) -> Floats:
    """``host_affinity_part(affinity(student, host))`` of every host, as ``features`` reads tags."""
    mine, n = features(student), len(hosts)
    wanted = w.specialty_key(rotation.specialty)
    on_rotation = hosts.specialties.rows_with(lambda t: w.specialty_key(t) == wanted, n)
    shared = hosts.specialties.rows_with(lambda t: w.specialty_key(t) in mine.specialties, n)

    def school(value: str | None) -> bool:
        return mine.school is not None and bool(value) and _tag(value or "") == mine.school

    def country(value: str | None) -> bool:
        return mine.country is not None and bool(value) and (value or "").strip().upper() == mine.country

    parts = weights.affinity_parts
    terms = (
        (parts.specialty, np.where(on_rotation, 1.0, np.where(shared, INTEREST_SPECIALTY_CREDIT, 0.0))),
        (parts.school, _judged(school, hosts.school).astype(np.float64)),
        (parts.country, _judged(country, hosts.country).astype(np.float64)),
        (parts.languages, hosts.languages.rows_with(lambda t: _tag(t) in mine.languages, n).astype(np.float64)),
        (
            parts.organizations,
            hosts.organizations.rows_with(lambda t: w.organization_key(t) in mine.organizations, n).astype(np.float64),
        ),
        (parts.mentoring, hosts.open_to_mentoring.astype(np.float64)),
    )
    return _weighted_mean(terms, n)


def _judged(verdict: Callable[[str | None], bool], values: list[str | None]) -> Bools:
    """``verdict`` of each value, judged once per distinct value (a city's hosts name a
    few dozen schools and countries)."""
    judged = {v: verdict(v) for v in set(values)}
    return np.fromiter(map(judged.__getitem__, values), bool, len(values))


def _weighted_mean(terms: Sequence[tuple[float, Floats]], n: int) -> Floats:
    """``features.weighted_mean`` row by row: the terms summed in their order, then divided."""
    total = sum(weight for weight, _ in terms)
    if total <= 0:
        return np.zeros(n)
    summed = np.zeros(n)
    for weight, part in terms:
        summed = summed + weight * part
    return summed / total


def _preferences(rotation: RotationInput, cols: RoomColumns, index: Ints) -> Floats:
    """``preferences_part`` of the rows ``index``."""
    n = len(cols)
    parts: list[Floats] = []
    if rotation.room_types:
        asked = np.fromiter(map(rotation.room_types.__contains__, cols.room_type), bool, n)
        parts.append(asked.astype(np.float64))
    wanted = {_amenity(a) for a in rotation.amenities}
    if wanted:
        # Distinct wanted amenities per row (a row listing "Wifi" and "wifi" has one).
        code = {a: i for i, a in enumerate(sorted(wanted))}
        tags = cols.amenities
        which = np.fromiter((code.get(_amenity(t), -1) for t in tags.tag), np.int64, len(tags.tag))
        hit = which >= 0
        pairs = np.unique(tags.row[hit] * len(code) + which[hit])
        present = np.bincount(pairs // len(code), minlength=n)
        parts.append(present / len(wanted))
    if not parts:
        return np.ones(len(index))
    summed = np.zeros(n)
    for part in parts:
        summed = summed + part
    return (summed / len(parts))[index]


def score_columns(
    rotation: RotationInput, student: ProfileInput, cols: RoomColumns, weights: RoomWeights
) -> tuple[Ints, Floats]:
    """(rows not excluded, their scores), in row order: ``room_score``'s rules and numbers."""
    nights = rotation.nights
    if len(cols) == 0 or nights <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    hospital = rotation.hospital
    km = np.fromiter(
        map(haversine_km, repeat(hospital.lat), repeat(hospital.lon), cols.lat.tolist(), cols.lon.tolist()),
        np.float64,
        len(cols),
    )
    free, longest = _free_nights(cols, nights)
    keep = (km <= weights.max_distance_km) & ~cols.own & (free > 0) & (longest >= cols.min_stay_nights)
    index = np.flatnonzero(keep)
    half = weights.distance_half_km
    distance = np.fromiter((0.5 ** (k / half) for k in km[index].tolist()), np.float64, len(index))
    coverage = free[index] / nights

    rent, budget = cols.monthly_rent[index], rotation.monthly_budget
    if budget is None or budget <= 0:
        price = np.ones(len(index))
    else:
        over = (rent - budget) / budget
        price = np.where(rent <= budget, 1.0, np.maximum(0.0, 1.0 - over / weights.over_budget_zero))

    prior, strength = weights.review_prior_mean, weights.review_prior_weight
    count, average = cols.review_count[index], cols.review_average[index]
    rated = ~np.isnan(average) & (count > 0)
    stars = np.where(rated, (prior * strength + np.nan_to_num(average) * count) / (strength + count), prior)
    reviews = np.minimum(1.0, np.maximum(0.0, (stars - 1.0) / 4.0))

    host = _host_affinity(rotation, student, cols.hosts, weights)[cols.host[index]]
    terms = (
        (weights.distance, distance),
        (weights.coverage, coverage),
        (weights.price, price),
        (weights.affinity, host),
        (weights.reviews, reviews),
        (weights.preferences, _preferences(rotation, cols, index)),
    )
    return index, _weighted_mean(terms, len(index))
