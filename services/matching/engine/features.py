"""What two profiles have in common, computed once for both the room and mentor scores.

Tags are compared after normalisation (case, spacing, ``_``/``-`` in specialties),
so "Internal_Medicine" and "internal medicine" are the same specialty. Languages in
`COMMON_LANGUAGES` are ignored: sharing English on a US rotation is no affinity.
The vectorised scorer (`score_matrix`) encodes these same normalised features, so
both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from services.matching.engine import wording as w
from services.matching.engine.models import ProfileInput
from services.matching.engine.weights import COMMON_LANGUAGES, INTEREST_SPECIALTY_CREDIT
from services.matching.engine.wording import specialty_key


@lru_cache(maxsize=65536)
def _tag(value: str) -> str:
    return " ".join(value.lower().split())


@dataclass(frozen=True, slots=True)
class Features:
    specialties: frozenset[str]
    school: str | None
    country: str | None
    languages: frozenset[str]
    hobbies: frozenset[str]
    organizations: frozenset[str]


@lru_cache(maxsize=8192)
def features(profile: ProfileInput) -> Features:
    """The profile's comparable features, normalised."""
    school = _tag(profile.medical_school) if profile.medical_school else ""
    country = profile.school_country.strip().upper() if profile.school_country else ""
    return Features(
        specialties=frozenset(map(specialty_key, profile.specialties)),
        school=school or None,
        country=country or None,
        languages=frozenset(map(_tag, profile.languages)) - COMMON_LANGUAGES,
        hobbies=frozenset(map(_tag, profile.hobbies)),
        organizations=frozenset(map(w.organization_key, profile.organizations)),
    )


@dataclass(frozen=True, slots=True)
class Affinity:
    """What a student shares with a host or mentor; tuples are sorted for stable wording."""

    specialty_credit: float  # 1 for the rotation's specialty, less for another shared one
    specialty: str | None  # the shared specialty (normalised) behind the credit
    rotation_specialty: bool
    same_school: bool
    same_country: bool
    languages: tuple[str, ...]
    hobbies: tuple[str, ...]
    organizations: tuple[str, ...]


def affinity(student: ProfileInput, other: ProfileInput, rotation_specialty: str) -> Affinity:
    """What `student`, on a rotation in `rotation_specialty`, shares with `other`."""
    mine, theirs = features(student), features(other)
    wanted = specialty_key(rotation_specialty)
    if wanted in theirs.specialties:
        credit, shared, on_rotation = 1.0, wanted, True
    elif mine.specialties & theirs.specialties:
        credit, shared, on_rotation = (
            INTEREST_SPECIALTY_CREDIT,
            min(mine.specialties & theirs.specialties),
            False,
        )
    else:
        credit, shared, on_rotation = 0.0, None, False
    return Affinity(
        specialty_credit=credit,
        specialty=shared,
        rotation_specialty=on_rotation,
        same_school=mine.school is not None and mine.school == theirs.school,
        same_country=mine.country is not None and mine.country == theirs.country,
        languages=tuple(sorted(mine.languages & theirs.languages)),
        hobbies=tuple(sorted(mine.hobbies & theirs.hobbies)),
        organizations=tuple(sorted(mine.organizations & theirs.organizations)),
    )


def weighted_mean(parts: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """sum(w * part) / sum(w), summed in the parts' order (the vectorised score relies on it)."""
    total = sum(weights[k] for k in parts)
    return sum(weights[k] * v for k, v in parts.items()) / total if total > 0 else 0.0


def affinity_reasons(shared: Affinity, student: ProfileInput, who: str = "") -> list[str]:
    """Reasons in words for what the student shares with a host (who="host") or mentor."""
    reasons: list[str] = []
    if shared.specialty is not None:
        noun = w.practitioner(shared.specialty)
        mine = "your specialty" if shared.rotation_specialty else "one of your specialties"
        if noun:
            what = f"{who} is {noun}" if who else noun
        else:
            what = f"{who} works in {shared.specialty}" if who else f"works in {shared.specialty}"
        reasons.append(f"{what} — {mine}")
    if shared.same_school and student.medical_school:
        reasons.append(f"you both studied at {' '.join(student.medical_school.split())}")
    elif shared.same_country and student.school_country:
        reasons.append(f"you both studied in {w.country_name(student.school_country)}")
    if shared.languages:
        reasons.append(f"you both speak {w.join_words(w.language_name(c) for c in shared.languages)}")
    if shared.hobbies:
        reasons.append(f"you both enjoy {w.join_words(shared.hobbies)}")
    if shared.organizations:
        names = w.join_words(w.organization_name(o) for o in shared.organizations)
        reasons.append(f"you are both {names} members")
    return reasons
