"""A cohort match round with string ids: build it, run it, report on it.

`Cohort` is the id-mapping layer over the integer engine: ids in a fixed order, the
lists as `PrefLists`, the capacities. It comes from a JSON file (`cohort_input`) or
from profiles and rotations through the mentor score (`cohort_from_profiles`).
`run_round` matches it (students or mentors proposing), checks the result with the
independent checker, and reports matched and unmatched counts, how many students got
their 1st, 2nd, ... choice, unfilled seats, and blocking pairs (always 0).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.deferred_acceptance import Progress, Proposing, deferred_acceptance
from services.matching.engine.derive import BuildProgress, derive_preferences
from services.matching.engine.models import HospitalInput, ProfileInput, RotationInput
from services.matching.engine.preferences import PrefLists, RankLookup
from services.matching.engine.score_matrix import encode
from services.matching.engine.stability import check_stability
from services.matching.engine.weights import DEFAULT_MENTOR_WEIGHTS, MentorWeights


@dataclass(frozen=True, slots=True)
class Cohort:
    student_ids: tuple[str, ...]
    mentor_ids: tuple[str, ...]
    students: PrefLists  # over mentor indices
    mentors: PrefLists  # over student indices
    capacity: tuple[int, ...]  # as given (may exceed what can ever fill)


@dataclass(frozen=True, slots=True)
class CohortResult:
    assignment: dict[str, str | None]  # every student, in cohort order
    unmatched: list[str]
    unfilled: dict[str, int]  # mentors with free seats: how many
    report: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "unmatched": self.unmatched,
            "unfilled": self.unfilled,
            "report": self.report,
        }


def cohort_from_profiles(
    students: Sequence[tuple[RotationInput, ProfileInput]],
    mentors: Sequence[ProfileInput],
    *,
    hospitals: Mapping[str, HospitalInput],
    mentee_counts: Mapping[str, int] | None = None,
    weights: MentorWeights = DEFAULT_MENTOR_WEIGHTS,
    list_length: int | None = None,
    same_specialty: bool = False,
    min_score: float | None = None,
    progress: BuildProgress | None = None,
) -> Cohort:
    """Preferences derived from the mentor score; ties broken by id.

    Mentors take part with their remaining capacity (capacity minus `mentee_counts`)
    if they are open to mentoring and have any left.
    """
    counts = mentee_counts or {}
    pool = sorted(
        (m for m in mentors if m.open_to_mentoring and m.mentoring_capacity > counts.get(m.id, 0)),
        key=lambda m: m.id,
    )
    ordered = sorted(students, key=lambda pair: pair[1].id)
    s_table, m_table = encode(ordered, pool, hospitals)
    s_lists, m_lists = derive_preferences(
        s_table,
        m_table,
        weights,
        list_length=list_length,
        same_specialty=same_specialty,
        min_score=min_score,
        progress=progress,
    )
    return Cohort(
        tuple(p.id for _, p in ordered),
        tuple(m.id for m in pool),
        s_lists,
        m_lists,
        tuple(m.mentoring_capacity - counts.get(m.id, 0) for m in pool),
    )


def without_pairs(cohort: Cohort, pairs: Iterable[tuple[str, str]]) -> Cohort:
    """The cohort with each (student id, mentor id) pair off both sides' lists: a pair
    that must never be matched (a block) is unacceptable to each, so the match cannot
    pair them and the independent checker cannot count them as blocking. Ids not in the
    cohort are ignored."""
    s_index = {s: i for i, s in enumerate(cohort.student_ids)}
    m_index = {m: i for i, m in enumerate(cohort.mentor_ids)}
    found = [(s_index[s], m_index[m]) for s, m in pairs if s in s_index and m in m_index]
    if not found:
        return cohort
    return replace(
        cohort,
        students=cohort.students.without(found),
        mentors=cohort.mentors.without([(m, s) for s, m in found]),
    )


def run_round(
    cohort: Cohort,
    *,
    proposing: Proposing = "students",
    progress: Progress | None = None,
) -> CohortResult:
    started = time.perf_counter()
    n_s = len(cohort.student_ids)
    # Seats a mentor cannot fill (beyond the students it ranked) need not exist.
    # (Done with Python ints: a capacity in the file may not fit in 64 bits.)
    lengths = cohort.mentors.lengths().tolist()
    capacity = np.array([min(c, n) for c, n in zip(cohort.capacity, lengths, strict=True)], dtype=np.int64)
    result = deferred_acceptance(cohort.students, cohort.mentors, capacity, proposing=proposing, progress=progress)
    match_seconds = time.perf_counter() - started
    check = check_stability(cohort.students, cohort.mentors, capacity, result.mentor_of)
    mentor_of = result.mentor_of
    matched = np.flatnonzero(mentor_of >= 0)
    choice = RankLookup(cohort.students)(matched.astype(np.int64), mentor_of[matched].astype(np.int64))
    taken = np.bincount(mentor_of[matched], minlength=len(cohort.mentor_ids))
    assignment = {
        sid: (cohort.mentor_ids[m] if m >= 0 else None)
        for sid, m in zip(cohort.student_ids, mentor_of.tolist(), strict=True)
    }
    unfilled = {
        mid: cap - int(t)
        for mid, cap, t in zip(cohort.mentor_ids, cohort.capacity, taken.tolist(), strict=True)
        if cap > t
    }
    report: dict[str, Any] = {
        "proposing": proposing,
        "students": n_s,
        "mentors": len(cohort.mentor_ids),
        "seats": int(sum(cohort.capacity)),
        "matched": int(matched.size),
        "unmatched": n_s - int(matched.size),
        "unfilled_seats": int(sum(unfilled.values())),
        "choice_counts": _choice_counts(choice),
        "blocking_pairs": check.blocking_pairs,
        "stable": check.ok,
        "rounds": result.rounds,
        "proposals": result.proposals,
        "match_seconds": round(match_seconds, 3),
    }
    if check.over_capacity or check.unacceptable:
        report["over_capacity"] = check.over_capacity
        report["unacceptable_pairs"] = check.unacceptable
    return CohortResult(assignment, [s for s, m in assignment.items() if m is None], unfilled, report)


def _choice_counts(choice: NDArray[np.int64]) -> dict[str, int]:
    """{"1": students who got their first choice, "2": second, ...} up to the last used."""
    counts = np.bincount(choice[choice >= 0]) if choice.size else np.empty(0, np.int64)
    return {str(i + 1): int(c) for i, c in enumerate(counts.tolist())}
