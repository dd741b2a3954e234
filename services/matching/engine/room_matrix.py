"""The room score of many listings for one rotation at once, with numpy.

`room_score` scores one listing and words its reasons; ranking a city's thousands of
rooms needs only the scores. Here the parts that are arithmetic on a listing's numbers
(distance, coverage without stays, price, reviews) are array operations; the coverage of
a listing with booked stays, the preferences and the host affinity (computed once per
host) use the scalar functions themselves, so both agree: the same parts, summed in the
same order (tests compare them). The exclusion rules are those of `room_score`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.features import affinity
from services.matching.engine.models import ListingInput, ProfileInput, RotationInput
from services.matching.engine.scoring import free_nights, host_affinity_part, preferences_part
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS, RoomWeights
from shared.geo import haversine_km_array


def room_scores(
    rotation: RotationInput,
    student: ProfileInput,
    listings: Sequence[ListingInput],
    weights: RoomWeights = DEFAULT_ROOM_WEIGHTS,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(indices into ``listings`` of those not excluded, their scores), in input order."""
    n = len(listings)
    if n == 0 or rotation.nights <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float64)

    def column(values: object, dtype: type) -> NDArray:  # type: ignore[type-arg]
        return np.fromiter(values, dtype=dtype, count=n)  # type: ignore[call-overload,no-any-return]

    hospital, start, nights = rotation.hospital, rotation.start.toordinal(), rotation.nights
    km = haversine_km_array(
        hospital.lat, hospital.lon, column((x.lat for x in listings), float), column((x.lon for x in listings), float)
    )
    # Free nights of the rotation inside each availability window; stays cut some (below).
    lo = np.maximum(0, column((x.available_from.toordinal() for x in listings), np.int64) - start)
    hi = np.minimum(nights, column((x.available_to.toordinal() for x in listings), np.int64) - start)
    free = np.maximum(0, hi - lo)
    longest = free.copy()
    for i, x in enumerate(listings):
        if x.booked:
            free[i], longest[i] = free_nights(rotation, x)
    keep = (
        (km <= weights.max_distance_km)
        & (free > 0)
        & (longest >= column((x.min_stay_nights for x in listings), np.int64))
        & column((x.host.id != student.id for x in listings), bool)
    )
    index = np.flatnonzero(keep)
    kept = [listings[i] for i in index.tolist()]
    km, free = km[index], free[index]

    distance = 0.5 ** (km / weights.distance_half_km)
    coverage = free / nights
    rent = np.array([x.monthly_rent for x in kept], dtype=np.float64)
    budget = rotation.monthly_budget
    if budget is None or budget <= 0:
        price = np.ones(len(kept))
    else:
        over = (rent - budget) / budget
        price = np.where(rent <= budget, 1.0, np.maximum(0.0, 1.0 - over / weights.over_budget_zero))
    prior, strength = weights.review_prior_mean, weights.review_prior_weight
    count = np.array([x.review_count for x in kept], dtype=np.float64)
    average = np.array([np.nan if x.review_average is None else x.review_average for x in kept], dtype=np.float64)
    rated = ~np.isnan(average) & (count > 0)
    stars = np.where(rated, (prior * strength + np.nan_to_num(average) * count) / (strength + count), prior)
    reviews = np.minimum(1.0, np.maximum(0.0, (stars - 1.0) / 4.0))
    by_host: dict[str, float] = {}
    for x in kept:
        if x.host.id not in by_host:
            shared = affinity(student, x.host, rotation.specialty)
            by_host[x.host.id] = host_affinity_part(shared, x.host, weights.affinity_parts)
    host = np.array([by_host[x.host.id] for x in kept], dtype=np.float64)
    preferences = np.array([preferences_part(rotation, x) for x in kept], dtype=np.float64)

    # The weighted mean of `room_score`, term by term in its parts' order.
    parts = (
        (weights.distance, distance),
        (weights.coverage, coverage),
        (weights.price, price),
        (weights.affinity, host),
        (weights.reviews, reviews),
        (weights.preferences, preferences),
    )
    total = sum(w for w, _ in parts)
    if total <= 0:
        return index, np.zeros(len(kept))
    summed = np.zeros(len(kept))
    for w, part in parts:
        summed = summed + w * part
    return index, summed / total
