"""The mentor score for many students x many mentors at once, with numpy.

Profiles are encoded once into integer codes and 0/1 incidence matrices, built from
the same normalised `features` as the scalar score; a block of scores is then a few
array operations and small matrix products (shared languages, hobbies, organisations
are counts of common columns). `mentor_score` and `score_block` agree to float
rounding (tests compare them); this module is what derives whole preference lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.bulk import gc_paused
from services.matching.engine.features import features
from services.matching.engine.models import HospitalInput, ProfileInput, RotationInput
from services.matching.engine.weights import (
    DEFAULT_MENTOR_WEIGHTS,
    INTEREST_SPECIALTY_CREDIT,
    MentorWeights,
)
from services.matching.engine.wording import specialty_key
from shared.geo import haversine_km_array

F32 = np.float32
Index = NDArray[np.int64] | slice


@dataclass(frozen=True, slots=True)
class StudentTable:
    ids: tuple[str, ...]
    specialty: NDArray[np.int64]  # code of the rotation's specialty
    interests: NDArray[np.float32]  # students x specialty codes, 0/1
    school: NDArray[np.int64]  # -1: none given
    country: NDArray[np.int64]
    languages: NDArray[np.float32]
    hobbies: NDArray[np.float32]
    organizations: NDArray[np.float32]
    hospital: NDArray[np.int64]  # index of the rotation's hospital in `hospitals`
    hospitals: tuple[HospitalInput, ...]


@dataclass(frozen=True, slots=True)
class MentorTable:
    ids: tuple[str, ...]
    specialties: NDArray[np.float32]  # mentors x specialty codes, 0/1
    school: NDArray[np.int64]  # -2: none given (never equal to a student's -1)
    country: NDArray[np.int64]
    languages: NDArray[np.float32]
    hobbies: NDArray[np.float32]
    organizations: NDArray[np.float32]
    specialties_by_code: NDArray[np.bool_]  # specialty codes x mentors
    affiliated: NDArray[np.bool_]  # rotation hospitals x mentors
    nearest_km: NDArray[np.float64]  # rotation hospitals x mentors; inf when none known
    # Weighted hospital part (rotation hospitals x mentors) for each MentorWeights used.
    _hospital_terms: dict[MentorWeights, NDArray[np.float64]] = field(default_factory=dict, compare=False, repr=False)

    def hospital_term(self, weights: MentorWeights) -> NDArray[np.float64]:
        """weights.hospital x the hospital part, for every (rotation hospital, mentor)."""
        if weights not in self._hospital_terms:
            near = weights.hospital_near_max * np.exp2(-self.nearest_km / weights.hospital_half_km)
            part = np.where(self.affiliated, 1.0, near)
            self._hospital_terms[weights] = weights.hospital * part
        return self._hospital_terms[weights]


def _vocabulary(*groups: Iterable[str]) -> dict[str, int]:
    vocab: dict[str, int] = {}
    for group in groups:
        for value in group:
            vocab.setdefault(value, len(vocab))
    return vocab


def _incidence(sets: Sequence[frozenset[str]], vocab: Mapping[str, int]) -> NDArray[np.float32]:
    out = np.zeros((len(sets), len(vocab)), dtype=F32)
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    out[rows, [vocab[v] for s in sets for v in s]] = 1.0
    return out


def _codes(values: Sequence[str | None], vocab: Mapping[str, int], missing: int) -> NDArray[np.int64]:
    return np.array([missing if v is None else vocab[v] for v in values], dtype=np.int64)


def encode(
    students: Sequence[tuple[RotationInput, ProfileInput]],
    mentors: Sequence[ProfileInput],
    hospitals: Mapping[str, HospitalInput],
) -> tuple[StudentTable, MentorTable]:
    """Encode (rotation, student) pairs and mentors, keeping the order given."""
    with gc_paused():
        return _encode(students, mentors, hospitals)


def _encode(
    students: Sequence[tuple[RotationInput, ProfileInput]],
    mentors: Sequence[ProfileInput],
    hospitals: Mapping[str, HospitalInput],
) -> tuple[StudentTable, MentorTable]:
    mine = [features(p) for _, p in students]
    theirs = [features(p) for p in mentors]
    both = mine + theirs
    specs = _vocabulary([specialty_key(r.specialty) for r, _ in students], *(f.specialties for f in both))
    langs = _vocabulary(*(f.languages for f in both))
    hobbies = _vocabulary(*(f.hobbies for f in both))
    orgs = _vocabulary(*(f.organizations for f in both))
    schools = _vocabulary(f.school for f in both if f.school)
    countries = _vocabulary(f.country for f in both if f.country)
    at: dict[str, int] = _vocabulary(r.hospital.id for r, _ in students)
    rotation_hospitals = {r.hospital.id: r.hospital for r, _ in students}
    affiliated, nearest = _hospital_tables(mentors, list(rotation_hospitals.values()), hospitals)
    table = StudentTable(
        ids=tuple(p.id for _, p in students),
        specialty=np.array([specs[specialty_key(r.specialty)] for r, _ in students], np.int64),
        interests=_incidence([f.specialties for f in mine], specs),
        school=_codes([f.school for f in mine], schools, -1),
        country=_codes([f.country for f in mine], countries, -1),
        languages=_incidence([f.languages for f in mine], langs),
        hobbies=_incidence([f.hobbies for f in mine], hobbies),
        organizations=_incidence([f.organizations for f in mine], orgs),
        hospital=np.array([at[r.hospital.id] for r, _ in students], dtype=np.int64),
        hospitals=tuple(rotation_hospitals.values()),
    )
    mentor_specialties = _incidence([f.specialties for f in theirs], specs)
    return table, MentorTable(
        ids=tuple(p.id for p in mentors),
        specialties=mentor_specialties,
        specialties_by_code=np.ascontiguousarray(mentor_specialties.T > 0),
        school=_codes([f.school for f in theirs], schools, -2),
        country=_codes([f.country for f in theirs], countries, -2),
        languages=_incidence([f.languages for f in theirs], langs),
        hobbies=_incidence([f.hobbies for f in theirs], hobbies),
        organizations=_incidence([f.organizations for f in theirs], orgs),
        affiliated=affiliated,
        nearest_km=nearest,
    )


def _hospital_tables(
    mentors: Sequence[ProfileInput],
    rotation_hospitals: Sequence[HospitalInput],
    hospitals: Mapping[str, HospitalInput],
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    where = {h.id: i for i, h in enumerate(rotation_hospitals)}
    affiliated = np.zeros((len(rotation_hospitals), len(mentors)), dtype=np.bool_)
    known = _vocabulary(h for m in mentors for h in sorted(m.hospital_ids) if h in hospitals)
    pairs_m: list[int] = []
    pairs_k: list[int] = []
    for i, mentor in enumerate(mentors):
        for hospital_id in mentor.hospital_ids:
            if hospital_id in where:
                affiliated[where[hospital_id], i] = True
            if hospital_id in known:
                pairs_m.append(i)
                pairs_k.append(known[hospital_id])
    nearest = np.full((len(rotation_hospitals), len(mentors)), np.inf)
    if pairs_m and rotation_hospitals:
        lat = np.array([h.lat for h in rotation_hospitals])[:, None]
        lon = np.array([h.lon for h in rotation_hospitals])[:, None]
        there = [hospitals[h] for h in known]
        km = haversine_km_array(lat, lon, [[h.lat for h in there]], [[h.lon for h in there]])
        np.minimum.at(nearest.T, np.array(pairs_m), km.T[np.array(pairs_k)])
    return affiliated, nearest


def score_block(
    students: StudentTable,
    mentors: MentorTable,
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    weights: MentorWeights = DEFAULT_MENTOR_WEIGHTS,
) -> NDArray[np.float64]:
    """Mentor scores of students[rows] (one row each) against mentors[cols]."""
    r, c = rows[:, None], cols[None, :]
    spec = mentors.specialties[cols]
    # Terms are added in the scalar score's order and each is the same product
    # (weight x part), so both round alike; adding a weight where a mask holds is
    # exactly adding weight x 1.0, and costs no temporary array.
    on_rotation = mentors.specialties_by_code[students.specialty[r], c]
    shared_interest = (students.interests[rows] @ spec.T) > 0
    score = np.where(
        on_rotation,
        weights.specialty * 1.0,
        np.where(shared_interest, weights.specialty * INTEREST_SPECIALTY_CREDIT, 0.0),
    )
    score += mentors.hospital_term(weights)[students.hospital[r], c]
    np.add(score, weights.school, out=score, where=students.school[r] == mentors.school[c])
    np.add(score, weights.country, out=score, where=students.country[r] == mentors.country[c])
    shared = (students.languages[rows] @ mentors.languages[cols].T) > 0
    np.add(score, weights.languages, out=score, where=shared)
    hobbies = students.hobbies[rows] @ mentors.hobbies[cols].T
    full = weights.hobbies_full
    for k in range(1, full + 1):
        same = hobbies >= k if k == full else hobbies == k
        np.add(score, weights.hobbies * (k / full), out=score, where=same)
    shared = (students.organizations[rows] @ mentors.organizations[cols].T) > 0
    np.add(score, weights.organizations, out=score, where=shared)
    total = (
        weights.specialty
        + weights.hospital
        + weights.school
        + weights.country
        + weights.languages
        + weights.hobbies
        + weights.organizations
    )
    score /= total
    return score
