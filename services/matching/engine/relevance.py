"""The floor under mentor matches: a mentor is suggested for a rotation only when they
have something to do with it. A shared specialty (the rotation's or another of the
student's), the rotation's hospital or one near it, the same school, country, a shared
language (beyond English) or organization. Hobbies alone do not count. Scores rank
mentors; they never made one irrelevant: a mentor 4,341 km away with nothing in common
still scored above zero (from the hospital part's long tail) and was listed.

Computed on the score matrix's tables, for a block of students and mentors at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.score_matrix import MentorTable, StudentTable
from services.matching.engine.weights import NEAR_HOSPITAL_REASON_KM


def relevant_block(
    students: StudentTable,
    mentors: MentorTable,
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    near_km: float = NEAR_HOSPITAL_REASON_KM,
) -> NDArray[np.bool_]:
    """Whether each of mentors[cols] clears the floor for each of students[rows]."""
    r, c = rows[:, None], cols[None, :]
    spec = mentors.specialties[cols]
    at = students.hospital[r]
    relevant = mentors.specialties_by_code[students.specialty[r], c]
    relevant |= (students.interests[rows] @ spec.T) > 0
    relevant |= mentors.affiliated[at, c] | (mentors.nearest_km[at, c] <= near_km)
    # Unknown schools and countries are coded apart (-1 students, -2 mentors): never equal.
    relevant |= students.school[r] == mentors.school[c]
    relevant |= students.country[r] == mentors.country[c]
    relevant |= (students.languages[rows] @ mentors.languages[cols].T) > 0
    relevant |= (students.organizations[rows] @ mentors.organizations[cols].T) > 0
    return relevant


def is_remote(hospital_km: float | None, near_km: float = NEAR_HOSPITAL_REASON_KM) -> bool:
    """A mentor with no hospital near the rotation's would mentor at a distance."""
    return hospital_km is None or hospital_km > near_km
