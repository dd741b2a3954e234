"""The floor under mentor matches (engine/relevance.py): something in common, or near."""

from __future__ import annotations

from datetime import date

import numpy as np

from services.matching.engine.models import HospitalInput, ProfileInput, RotationInput
from services.matching.engine.relevance import is_remote, relevant_block
from services.matching.engine.score_matrix import encode

FARGO = HospitalInput("fargo", "ESSENTIA HEALTH FARGO", 46.8315, -96.8275)
MOORHEAD = HospitalInput("moorhead", "SANFORD MOORHEAD", 46.87, -96.76)  # ~6 km away
FAIRBANKS = HospitalInput("fairbanks", "FAIRBANKS MEMORIAL HOSPITAL", 64.83, -147.74)  # ~3,500 km away
PLACES = {h.id: h for h in (FARGO, MOORHEAD, FAIRBANKS)}


def mentor(name: str, **fields: object) -> ProfileInput:
    defaults: dict[str, object] = {"open_to_mentoring": True, "mentoring_capacity": 2}
    return ProfileInput(name, **{**defaults, **fields})  # type: ignore[arg-type]


def test_only_mentors_with_something_in_common_or_near_clear_the_floor() -> None:
    rotation = RotationInput(FARGO, "surgery", date(2027, 3, 1), date(2027, 3, 29))
    student = ProfileInput(
        "student",
        medical_school="University of Lagos",
        school_country="NG",
        languages=frozenset({"yo", "en"}),
        hobbies=frozenset({"chess"}),
        organizations=frozenset({"nma"}),
    )
    mentors = [
        mentor("far-and-unrelated", hospital_ids=frozenset({"fairbanks"}), hobbies=frozenset({"chess"})),
        mentor("nothing-known"),
        mentor("english-only", hospital_ids=frozenset({"fairbanks"}), languages=frozenset({"en"})),
        mentor("far-same-specialty", hospital_ids=frozenset({"fairbanks"}), specialties=frozenset({"surgery"})),
        mentor("far-same-country", school_country="NG"),
        mentor("far-same-school", medical_school="University of Lagos"),
        mentor("far-yoruba", languages=frozenset({"yo"})),
        mentor("far-same-organization", organizations=frozenset({"nma"})),
        mentor("at-the-hospital", hospital_ids=frozenset({"fargo"})),
        mentor("near-the-hospital", hospital_ids=frozenset({"moorhead"})),
    ]
    students, table = encode([(rotation, student)], mentors, PLACES)
    keep = relevant_block(students, table, np.zeros(1, np.int64), np.arange(len(mentors)))[0]
    kept = {m.id for m, k in zip(mentors, keep, strict=True) if k}
    assert kept == {m.id for m in mentors[3:]}


def test_a_mentor_without_a_hospital_near_the_rotation_is_remote() -> None:
    assert is_remote(None) and is_remote(3500.0)
    assert not is_remote(0.0) and not is_remote(6.2)
