"""The independent stability checker finds exactly the blocking pairs of the definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.engine import stability
from services.matching.engine.preferences import PrefLists
from services.matching.engine.stability import check_stability

Lists = list[list[int]]


def check(students: Lists, mentors: Lists, cap: list[int], got: list[int]) -> stability.StabilityReport:
    return check_stability(
        PrefLists.from_lists(students, len(mentors)),
        PrefLists.from_lists(mentors, len(students)),
        np.array(cap, dtype=np.int64),
        np.array(got, dtype=np.int64),
    )


def naive_blocking(students: Lists, mentors: Lists, cap: list[int], got: list[int]) -> int:
    count = 0
    for s, prefs in enumerate(students):
        for m in prefs:
            if got[s] == m:
                break
            held = [t for t, x in enumerate(got) if x == m]
            if s in mentors[m] and (len(held) < cap[m] or any(mentors[m].index(t) > mentors[m].index(s) for t in held)):
                count += 1
    return count


# The NRMP worked example (see test_matching_deferred_acceptance) with Arthur's seat at
# City given to Sunny: City ranks Arthur above Sunny and Arthur prefers City to nothing.
APPLICANTS = [[1], [1, 0], [1, 2, 0], [0, 1, 2], [1, 0, 2]]
PROGRAMS = [[4, 2], [4, 0, 1, 3, 2], [4, 0, 2, 3]]


def test_finds_the_one_blocking_pair() -> None:
    good = check(APPLICANTS, PROGRAMS, [2, 2, 2], [1, -1, 2, 2, 1])
    assert good.ok and good.blocking_pairs == 0
    bad = check(APPLICANTS, PROGRAMS, [2, 2, 2], [-1, 1, 2, 2, 1])
    assert (bad.blocking_pairs, bad.examples) == (1, [(0, 1)])
    assert not bad.ok


def test_a_free_seat_blocks_with_anyone_acceptable() -> None:
    report = check([[0]], [[0]], [1], [-1])
    assert report.blocking_pairs == 1
    # ... but not with someone the mentor did not rank.
    assert check([[0]], [[]], [1], [-1]).blocking_pairs == 0


def test_reports_capacity_and_acceptability_violations() -> None:
    over = check([[0], [0]], [[0, 1]], [1], [0, 0])
    assert over.over_capacity == 1 and not over.ok
    unranked_by_student = check([[], [0]], [[0, 1]], [2], [0, 0])
    assert unranked_by_student.unacceptable == 1
    unranked_by_mentor = check([[0]], [[]], [1], [0])
    assert unranked_by_mentor.unacceptable == 1


@st.composite
def matchings(draw: st.DrawFn) -> tuple[Lists, Lists, list[int], list[int]]:
    n_s, n_m = draw(st.integers(0, 7)), draw(st.integers(0, 4))

    def lists(owners: int, targets: int) -> Lists:
        return [draw(st.permutations(list(range(targets))))[: draw(st.integers(0, targets))] for _ in range(owners)]

    students, mentors = lists(n_s, n_m), lists(n_m, n_s)
    cap = draw(st.lists(st.integers(0, 3), min_size=n_m, max_size=n_m))
    # Any mutually acceptable assignment, stable or not, capacities or not.
    got = [draw(st.sampled_from([-1] + [m for m in students[s] if s in mentors[m]])) for s in range(n_s)]
    return students, mentors, cap, got


@pytest.mark.parametrize("dense", [True, False])
@settings(max_examples=100, deadline=None, database=None)
@given(case=matchings())
def test_counts_agree_with_the_definition(case: tuple[Lists, Lists, list[int], list[int]], dense: bool) -> None:
    students, mentors, cap, got = case
    with pytest.MonkeyPatch.context() as patch:
        if not dense:
            patch.setattr(stability, "_DENSE_CELLS", 0)
        report = check(students, mentors, cap, got)
    assert report.blocking_pairs == naive_blocking(students, mentors, cap, got)
    assert report.unacceptable == 0
    taken = [got.count(m) for m in range(len(mentors))]
    assert report.over_capacity == sum(t > c for t, c in zip(taken, cap, strict=True))
