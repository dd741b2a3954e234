"""Mentor score: how well a professional open to mentoring fits a student's rotation.

Parts (each in [0, 1], weighted by `MentorWeights`): ``specialty`` (1 for the
rotation's specialty, 0.5 for another of the student's specialties), ``hospital`` (1
when affiliated with the rotation's hospital; otherwise ``hospital_near_max`` halving
every ``hospital_half_km`` from the mentor's nearest known hospital; 0 when none is
known), ``school``, ``country``, ``languages`` (any shared beyond English),
``hobbies`` (shared count up to ``hobbies_full``), ``organizations``.
Professionals not open to mentoring, with no remaining capacity, or who are the
student themselves get no match. `score_matrix` computes the same score vectorised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.matching.engine import wording as w
from services.matching.engine.features import affinity, affinity_reasons, weighted_mean
from services.matching.engine.models import HospitalInput, MentorMatch, ProfileInput, RotationInput
from services.matching.engine.weights import (
    DEFAULT_MENTOR_WEIGHTS,
    NEAR_HOSPITAL_REASON_KM,
    MentorWeights,
)
from shared.geo import haversine_km

_NO_HOSPITALS: Mapping[str, HospitalInput] = {}


def hospital_part(
    rotation: RotationInput,
    mentor: ProfileInput,
    hospitals: Mapping[str, HospitalInput] = _NO_HOSPITALS,
    weights: MentorWeights = DEFAULT_MENTOR_WEIGHTS,
) -> tuple[float, float | None, HospitalInput | None]:
    """(part, km to the mentor's nearest known hospital, that hospital)."""
    if rotation.hospital.id in mentor.hospital_ids:
        return 1.0, 0.0, rotation.hospital
    best: tuple[float, HospitalInput] | None = None
    here = rotation.hospital
    for hospital_id in sorted(mentor.hospital_ids):
        there = hospitals.get(hospital_id)
        if there is not None:
            km = haversine_km(here.lat, here.lon, there.lat, there.lon)
            if best is None or km < best[0]:
                best = (km, there)
    if best is None:
        return 0.0, None, None
    part = weights.hospital_near_max * 0.5 ** (best[0] / weights.hospital_half_km)
    return part, best[0], best[1]


def mentor_score(
    rotation: RotationInput,
    student: ProfileInput,
    mentor: ProfileInput,
    *,
    hospitals: Mapping[str, HospitalInput] = _NO_HOSPITALS,
    mentees: int = 0,
    weights: MentorWeights = DEFAULT_MENTOR_WEIGHTS,
) -> MentorMatch | None:
    """Score one professional for the student's rotation; `mentees` they already have."""
    remaining = mentor.mentoring_capacity - mentees
    if not mentor.open_to_mentoring or remaining <= 0 or mentor.id == student.id:
        return None
    shared = affinity(student, mentor, rotation.specialty)
    at_hospital, km, nearest = hospital_part(rotation, mentor, hospitals, weights)
    parts = {
        "specialty": shared.specialty_credit,
        "hospital": at_hospital,
        "school": float(shared.same_school),
        "country": float(shared.same_country),
        "languages": float(bool(shared.languages)),
        "hobbies": min(len(shared.hobbies), weights.hobbies_full) / weights.hobbies_full,
        "organizations": float(bool(shared.organizations)),
    }
    reasons = affinity_reasons(shared, student)
    rotation_hospital = w.hospital_name(rotation.hospital.name)
    if km == 0.0 and nearest is rotation.hospital:
        reasons.insert(0, f"works at {rotation_hospital} — your rotation's hospital")
    elif km is not None and nearest is not None and km <= NEAR_HOSPITAL_REASON_KM:
        there = w.hospital_name(nearest.name)
        reasons.insert(0, f"works at {there}, {w.distance(km)} from {rotation_hospital}")
    reasons.append(f"can take {w.plural(remaining, 'more mentee')}")
    score = weighted_mean(parts, {k: getattr(weights, k) for k in parts})
    return MentorMatch(mentor.id, score, parts, reasons, remaining, km)


def rank_mentors(
    rotation: RotationInput,
    student: ProfileInput,
    professionals: Iterable[ProfileInput],
    *,
    hospitals: Mapping[str, HospitalInput] = _NO_HOSPITALS,
    mentee_counts: Mapping[str, int] | None = None,
    weights: MentorWeights = DEFAULT_MENTOR_WEIGHTS,
    limit: int | None = None,
) -> list[MentorMatch]:
    """Professionals who can mentor the student, best first; ties broken by id."""
    counts = mentee_counts or {}
    found = [
        m
        for m in (
            mentor_score(
                rotation,
                student,
                p,
                hospitals=hospitals,
                mentees=counts.get(p.id, 0),
                weights=weights,
            )
            for p in professionals
        )
        if m is not None
    ]
    found.sort(key=lambda m: (-m.score, m.mentor_id))
    return found if limit is None else found[:limit]
