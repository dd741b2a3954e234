"""Every weight and tuning constant of the room and mentor scores, in one place.

A score is the weighted mean of its parts, each part in [0, 1]:
``score = sum(w_i * part_i) / sum(w_i)``, so a score is in [0, 1] too and the
weights need not add up to 1; to change the balance, change a number here (the
table in docs/matching.md mirrors these defaults). Pass a modified copy
(``dataclasses.replace(DEFAULT_ROOM_WEIGHTS, price=0.3)``) to try other weights
without touching the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AffinityWeights:
    """How the host-affinity part of a room score is made (its own weighted mean)."""

    specialty: float = 0.30
    school: float = 0.20
    country: float = 0.10
    languages: float = 0.15
    organizations: float = 0.15
    mentoring: float = 0.10


@dataclass(frozen=True, slots=True)
class RoomWeights:
    """Weights of the room score's parts, and the knobs that shape each part."""

    distance: float = 0.25
    coverage: float = 0.20
    price: float = 0.20
    affinity: float = 0.15
    reviews: float = 0.10
    preferences: float = 0.10
    affinity_parts: AffinityWeights = field(default_factory=AffinityWeights)
    # The distance part halves every `distance_half_km`; beyond `max_distance_km`
    # a listing is excluded (nobody commutes 50 km to a 6 a.m. ward round).
    distance_half_km: float = 5.0
    max_distance_km: float = 50.0
    # Within budget scores 1; the part falls linearly to 0 at this fraction over budget.
    over_budget_zero: float = 0.5
    # Reviews: Bayesian average of 1-5 stars shrunk toward `review_prior_mean` as if the
    # listing had `review_prior_weight` extra reviews at that mean.
    review_prior_mean: float = 4.0
    review_prior_weight: float = 3.0


@dataclass(frozen=True, slots=True)
class MentorWeights:
    """Weights of the mentor score's parts, and the knobs that shape each part."""

    specialty: float = 0.30
    hospital: float = 0.25
    school: float = 0.10
    country: float = 0.07
    languages: float = 0.10
    hobbies: float = 0.08
    organizations: float = 0.10
    # A mentor at another hospital gets at most `hospital_near_max` of the hospital part,
    # halving every `hospital_half_km` between that hospital and the rotation's.
    hospital_near_max: float = 0.6
    hospital_half_km: float = 10.0
    # This many shared hobbies give the full hobby part (one gives half, with 2).
    hobbies_full: int = 2


# Sharing one of the student's stated specialties, rather than the rotation's own,
# earns this fraction of the specialty part.
INTEREST_SPECIALTY_CREDIT = 0.5

# Languages nearly everyone on a US rotation shares; sharing them is no affinity.
COMMON_LANGUAGES: frozenset[str] = frozenset({"en", "eng"})

# Reasons mention a hospital "near" a mentor's only within this distance.
NEAR_HOSPITAL_REASON_KM = 25.0

DEFAULT_ROOM_WEIGHTS = RoomWeights()
DEFAULT_MENTOR_WEIGHTS = MentorWeights()
