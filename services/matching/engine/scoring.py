"""Room and mentor scores for a student's rotation, each with its parts and its reasons.

A score is the weighted mean of parts in [0, 1] (weights in `weights.py`).

Room score parts: ``distance`` to the rotation's hospital (halves every 5 km),
``coverage`` of the rotation's nights, ``price`` (rent against the monthly budget),
host ``affinity``, ``reviews`` (Bayesian average), and ``preferences`` (room type and
amenities asked for).

Coverage rule: a night is free when it lies in the listing's availability window
(``available_from`` .. ``available_to - 1``) and in no booked stay. The coverage part
is the fraction of the rotation's nights that are free, and the match says "free for
20 of 28 nights". A listing is *excluded* (no match) when none of the nights is free,
when its longest run of consecutive free nights is shorter than its minimum stay, when
it is farther than ``max_distance_km``, or when the host is the student.

Mentor score parts: ``specialty``, ``hospital`` (1 when affiliated with the rotation's
hospital, else up to 0.6 decaying with the distance from the mentor's nearest
hospital), ``school``, ``country``, ``languages``, ``hobbies``, ``organizations``.
Only professionals open to mentoring with remaining capacity are scored.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.matching.engine import wording as w
from services.matching.engine.features import Affinity, affinity, affinity_reasons, weighted_mean
from services.matching.engine.mentor_scoring import hospital_part, mentor_score, rank_mentors
from services.matching.engine.models import ListingInput, ProfileInput, RoomMatch, RotationInput
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS, AffinityWeights, RoomWeights
from shared.geo import haversine_km
from shared.pricing import stay_total_cents

__all__ = [
    "distance_part",
    "free_nights",
    "hospital_part",
    "host_affinity_part",
    "mentor_score",
    "preferences_part",
    "price_part",
    "rank_mentors",
    "rank_rooms",
    "review_part",
    "room_score",
]

_ROOM_TYPES = {
    "private_room": "a private room",
    "entire_place": "an entire place",
    "shared_room": "a shared room",
}


# --- room parts -----------------------------------------------------------------------


def distance_part(km: float, weights: RoomWeights = DEFAULT_ROOM_WEIGHTS) -> float:
    return float(0.5 ** (km / weights.distance_half_km))


def free_nights(rotation: RotationInput, listing: ListingInput) -> tuple[int, int]:
    """(free nights of the rotation, longest run of consecutive free nights)."""
    start = rotation.start.toordinal()
    nights = rotation.nights
    lo = max(0, listing.available_from.toordinal() - start)
    hi = min(nights, listing.available_to.toordinal() - start)
    free = [lo <= i < hi for i in range(nights)]
    for check_in, check_out in listing.booked:
        first, stop = check_in.toordinal() - start, check_out.toordinal() - start
        for i in range(max(lo, first), min(hi, stop)):
            free[i] = False
    longest = run = 0
    for is_free in free:
        run = run + 1 if is_free else 0
        longest = max(longest, run)
    return sum(free), longest


def price_part(monthly_rent: int, monthly_budget: int | None, weights: RoomWeights = DEFAULT_ROOM_WEIGHTS) -> float:
    if monthly_budget is None or monthly_budget <= 0 or monthly_rent <= monthly_budget:
        return 1.0
    over = (monthly_rent - monthly_budget) / monthly_budget
    return max(0.0, 1.0 - over / weights.over_budget_zero)


def review_part(average: float | None, count: int, weights: RoomWeights = DEFAULT_ROOM_WEIGHTS) -> float:
    """Bayesian average of 1-5 stars shrunk toward the prior, mapped to [0, 1]."""
    prior, strength = weights.review_prior_mean, weights.review_prior_weight
    stars = prior if average is None or count <= 0 else ((prior * strength + average * count) / (strength + count))
    return min(1.0, max(0.0, (stars - 1.0) / 4.0))


def _amenity(tag: str) -> str:
    return "_".join(tag.strip().lower().split())


def preferences_part(rotation: RotationInput, listing: ListingInput) -> float:
    """Mean of: room type asked for (1/0), share of wanted amenities present; 1 if none asked."""
    parts: list[float] = []
    if rotation.room_types:
        parts.append(1.0 if listing.room_type in rotation.room_types else 0.0)
    wanted = {_amenity(a) for a in rotation.amenities}
    if wanted:
        parts.append(len(wanted & {_amenity(a) for a in listing.amenities}) / len(wanted))
    return sum(parts) / len(parts) if parts else 1.0


def host_affinity_part(
    shared: Affinity,
    host: ProfileInput,
    weights: AffinityWeights = DEFAULT_ROOM_WEIGHTS.affinity_parts,
) -> float:
    parts = {
        "specialty": shared.specialty_credit,
        "school": float(shared.same_school),
        "country": float(shared.same_country),
        "languages": float(bool(shared.languages)),
        "organizations": float(bool(shared.organizations)),
        "mentoring": float(host.open_to_mentoring),
    }
    return weighted_mean(parts, {k: getattr(weights, k) for k in parts})


# --- reasons --------------------------------------------------------------------------


def _room_reasons(rotation: RotationInput, listing: ListingInput, km: float, free: int) -> list[str]:
    reasons = [f"{w.distance(km)} from {w.hospital_name(rotation.hospital.name)}"]
    if free == rotation.nights:
        reasons.append(f"free for all {w.plural(free, 'night')} of your rotation")
    else:
        reasons.append(f"free for {free} of {rotation.nights} nights")
    budget = rotation.monthly_budget
    if budget is not None and budget > 0:
        gap = budget - listing.monthly_rent
        if gap > 0:
            reasons.append(f"{w.money(gap)} under your budget")
        elif gap == 0:
            reasons.append("exactly your budget")
        else:
            reasons.append(f"{w.money(-gap)} over your budget")
    # The stay's price is the match's ``stay_total``, to the cent (a card showed it beside
    # this list's rounded copy: "$739.75 for 25 of 25 nights", "$740 for 25 nights").
    return reasons


def _preference_reasons(rotation: RotationInput, listing: ListingInput) -> list[str]:
    reasons: list[str] = []
    kind = _ROOM_TYPES.get(listing.room_type, listing.room_type.replace("_", " "))
    if rotation.room_types:
        if listing.room_type in rotation.room_types:
            reasons.append(f"{kind}, as you asked")
        else:
            asked = w.join_words((_ROOM_TYPES.get(t, t) for t in sorted(rotation.room_types)), "or")
            reasons.append(f"{kind} — you asked for {asked}")
    wanted = sorted({_amenity(a) for a in rotation.amenities})
    have = {_amenity(a) for a in listing.amenities}
    present = [a.replace("_", " ") for a in wanted if a in have]
    missing = [a.replace("_", " ") for a in wanted if a not in have]
    if present:
        reasons.append(f"has {w.join_words(present)}")
    if missing:
        reasons.append(f"no {w.join_words(missing, 'or')}")
    return reasons


# --- room score -----------------------------------------------------------------------


def room_score(
    rotation: RotationInput,
    student: ProfileInput,
    listing: ListingInput,
    weights: RoomWeights = DEFAULT_ROOM_WEIGHTS,
) -> RoomMatch | None:
    """Score one listing for the rotation, or None if the coverage rule excludes it."""
    hospital = rotation.hospital
    km = haversine_km(hospital.lat, hospital.lon, listing.lat, listing.lon)
    if km > weights.max_distance_km or listing.host.id == student.id or rotation.nights == 0:
        return None
    free, longest = free_nights(rotation, listing)
    if free == 0 or longest < listing.min_stay_nights:
        return None
    shared = affinity(student, listing.host, rotation.specialty)
    parts = {
        "distance": distance_part(km, weights),
        "coverage": free / rotation.nights,
        "price": price_part(listing.monthly_rent, rotation.monthly_budget, weights),
        "affinity": host_affinity_part(shared, listing.host, weights.affinity_parts),
        "reviews": review_part(listing.review_average, listing.review_count, weights),
        "preferences": preferences_part(rotation, listing),
    }
    cost = stay_total_cents(listing.monthly_rent, free)
    reasons = _room_reasons(rotation, listing, km, free)
    reasons += affinity_reasons(shared, student, who="host")
    if listing.host.open_to_mentoring:
        reasons.append("host is open to mentoring")
    if listing.review_count > 0 and listing.review_average is not None:
        reviews = w.plural(listing.review_count, "review")
        reasons.append(f"rated {listing.review_average:.1f} from {reviews}")
    else:
        reasons.append("no reviews yet")
    # A listing without photos is the first sign of a fake one: say so either way.
    reasons.append(w.plural(listing.photo_count, "photo") if listing.photo_count else "no photos yet")
    reasons += _preference_reasons(rotation, listing)
    score = weighted_mean(parts, {k: getattr(weights, k) for k in parts})
    return RoomMatch(listing.id, score, parts, reasons, km, free, rotation.nights, cost)


def rank_rooms(
    rotation: RotationInput,
    student: ProfileInput,
    listings: Iterable[ListingInput],
    weights: RoomWeights = DEFAULT_ROOM_WEIGHTS,
    limit: int | None = None,
) -> list[RoomMatch]:
    """Listings that are not excluded, best first; ties broken by listing id."""
    found = [m for m in (room_score(rotation, student, x, weights) for x in listings) if m]
    found.sort(key=lambda m: (-m.score, m.listing_id))
    return found if limit is None else found[:limit]
