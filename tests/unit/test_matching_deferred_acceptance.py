"""Deferred acceptance: cases from the literature, and properties on random instances.

Stability, capacities and lists are checked against the definition written out
naively here; student-optimality against every stable matching found by brute force;
the mentor-proposing variant against the rural hospitals theorem.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.engine import preferences
from services.matching.engine.deferred_acceptance import deferred_acceptance
from services.matching.engine.preferences import PrefLists

Lists = list[list[int]]
Instance = tuple[Lists, Lists, list[int]]


def match(students: Lists, mentors: Lists, cap: list[int], proposing: str = "students") -> list[int]:
    result = deferred_acceptance(
        PrefLists.from_lists(students, len(mentors)),
        PrefLists.from_lists(mentors, len(students)),
        np.array(cap, dtype=np.int64),
        proposing=proposing,  # type: ignore[arg-type]
    )
    return [int(m) for m in result.mentor_of]


def blocking_pairs(students: Lists, mentors: Lists, cap: list[int], got: list[int]) -> list[tuple[int, int]]:
    """The definition, pair by pair: s prefers m to its mentor, m would take s."""
    held = {m: [s for s, x in enumerate(got) if x == m] for m in range(len(mentors))}
    found = []
    for s, prefs in enumerate(students):
        for m in prefs:
            if got[s] == m:
                break
            if s in mentors[m] and (
                len(held[m]) < cap[m] or any(mentors[m].index(t) > mentors[m].index(s) for t in held[m])
            ):
                found.append((s, m))
    return found


def respects_lists_and_capacities(students: Lists, mentors: Lists, cap: list[int], got: list[int]) -> bool:
    counts = [got.count(m) for m in range(len(mentors))]
    mutual = all(m < 0 or (m in students[s] and s in mentors[m]) for s, m in enumerate(got))
    return mutual and all(c <= k for c, k in zip(counts, cap, strict=True))


def stable_matchings(students: Lists, mentors: Lists, cap: list[int]) -> Iterator[list[int]]:
    """Every stable matching, by brute force over all valid assignments."""
    options = [[-1] + [m for m in prefs if s in mentors[m]] for s, prefs in enumerate(students)]
    taken = [0] * len(mentors)
    current: list[int] = []

    def walk(s: int) -> Iterator[list[int]]:
        if s == len(students):
            if not blocking_pairs(students, mentors, cap, current):
                yield list(current)
            return
        for m in options[s]:
            if m >= 0 and taken[m] >= cap[m]:
                continue
            if m >= 0:
                taken[m] += 1
            current.append(m)
            yield from walk(s + 1)
            current.pop()
            if m >= 0:
                taken[m] -= 1

    yield from walk(0)


def rank(students: Lists, s: int, m: int) -> int:
    """Student s's rank of m; being unmatched is worse than any listed mentor."""
    return students[s].index(m) if m >= 0 else len(students[s])


@st.composite
def instances(draw: st.DrawFn, max_students: int = 5, max_mentors: int = 3, max_cap: int = 2) -> Instance:
    n_s = draw(st.integers(0, max_students))
    n_m = draw(st.integers(0, max_mentors))

    def lists(owners: int, targets: int) -> Lists:
        return [draw(st.permutations(list(range(targets))))[: draw(st.integers(0, targets))] for _ in range(owners)]

    students, mentors = lists(n_s, n_m), lists(n_m, n_s)
    cap = draw(st.lists(st.integers(0, max_cap), min_size=n_m, max_size=n_m))
    return students, mentors, cap


# --- from the literature --------------------------------------------------------------

# Gale and Shapley (1962), "College Admissions and the Stability of Marriage", Amer.
# Math. Monthly 69(1), Example 1: men a, b, c (students 0-2) and women A, B, C
# (mentors 0-2, one seat each). The ranking matrix
#        A     B     C
#   a   1,3   2,2   3,1
#   b   3,1   1,3   2,2
#   c   2,2   3,1   1,3
# has three stable matchings: every man gets his first choice, every woman gets hers,
# or everyone gets their second.
GS1_MEN = [[0, 1, 2], [1, 2, 0], [2, 0, 1]]
GS1_WOMEN = [[1, 2, 0], [2, 0, 1], [0, 1, 2]]


def test_gale_shapley_example_1_has_three_stable_matchings() -> None:
    cap = [1, 1, 1]
    assert match(GS1_MEN, GS1_WOMEN, cap) == [0, 1, 2]  # men propose: aA, bB, cC
    assert match(GS1_MEN, GS1_WOMEN, cap, "mentors") == [2, 0, 1]  # women: aC, bA, cB
    assert sorted(stable_matchings(GS1_MEN, GS1_WOMEN, cap)) == [[0, 1, 2], [1, 2, 0], [2, 0, 1]]


# Gale and Shapley (1962), Example 2: four men and four women with the matrix
#        A     B     C     D
#   a   1,3   2,3   3,2   4,3
#   b   1,4   4,1   3,3   2,2
#   c   2,2   1,4   3,4   4,1
#   d   4,1   2,2   3,1   1,4
# whose only stable matching is aC, bD, cA, dB.
GS2_MEN = [[0, 1, 2, 3], [0, 3, 2, 1], [1, 0, 2, 3], [3, 1, 2, 0]]
GS2_WOMEN = [[3, 2, 0, 1], [1, 3, 0, 2], [3, 0, 1, 2], [2, 1, 0, 3]]


def test_gale_shapley_example_2_unique_stable_matching() -> None:
    cap = [1, 1, 1, 1]
    assert match(GS2_MEN, GS2_WOMEN, cap) == [2, 3, 0, 1]
    assert match(GS2_MEN, GS2_WOMEN, cap, "mentors") == [2, 3, 0, 1]
    assert list(stable_matchings(GS2_MEN, GS2_WOMEN, cap)) == [[2, 3, 0, 1]]


# NRMP, "How the Matching Algorithm Works" (the Match's own worked example): applicants
# Arthur, Sunny, Joseph, Latha, Darrius; programs Mercy, City, General, 2 positions each,
# with incomplete rank order lists. Result: Arthur and Darrius to City, Joseph and Latha
# to General, Sunny unmatched, Mercy's two positions unfilled.
ARTHUR, SUNNY, JOSEPH, LATHA, DARRIUS = range(5)
MERCY, CITY, GENERAL = range(3)
NRMP_APPLICANTS = [
    [CITY],
    [CITY, MERCY],
    [CITY, GENERAL, MERCY],
    [MERCY, CITY, GENERAL],
    [CITY, MERCY, GENERAL],
]
NRMP_PROGRAMS = [
    [DARRIUS, JOSEPH],
    [DARRIUS, ARTHUR, SUNNY, LATHA, JOSEPH],
    [DARRIUS, ARTHUR, JOSEPH, LATHA],
]


@pytest.mark.parametrize("proposing", ["students", "mentors"])
def test_nrmp_worked_example(proposing: str) -> None:
    got = match(NRMP_APPLICANTS, NRMP_PROGRAMS, [2, 2, 2], proposing)
    assert got == [CITY, -1, GENERAL, GENERAL, CITY]
    assert list(stable_matchings(NRMP_APPLICANTS, NRMP_PROGRAMS, [2, 2, 2])) == [got]


# --- properties on random instances ---------------------------------------------------


@settings(max_examples=150, deadline=None, database=None)
@given(instances())
def test_student_proposing_is_stable_valid_and_student_optimal(instance: Instance) -> None:
    students, mentors, cap = instance
    got = match(students, mentors, cap)
    assert respects_lists_and_capacities(students, mentors, cap, got)
    assert blocking_pairs(students, mentors, cap, got) == []
    stable = list(stable_matchings(students, mentors, cap))
    assert got in stable
    for other in stable:
        for s in range(len(students)):
            assert rank(students, s, got[s]) <= rank(students, s, other[s])


@settings(max_examples=150, deadline=None, database=None)
@given(instances())
def test_mentor_proposing_is_stable_and_student_pessimal(instance: Instance) -> None:
    students, mentors, cap = instance
    got = match(students, mentors, cap, "mentors")
    assert respects_lists_and_capacities(students, mentors, cap, got)
    assert blocking_pairs(students, mentors, cap, got) == []
    for other in stable_matchings(students, mentors, cap):
        for s in range(len(students)):
            assert rank(students, s, got[s]) >= rank(students, s, other[s])


@settings(max_examples=150, deadline=None, database=None)
@given(instances(max_students=9, max_mentors=4, max_cap=3))
def test_rural_hospitals_theorem(instance: Instance) -> None:
    students, mentors, cap = instance
    by_students = match(students, mentors, cap)
    by_mentors = match(students, mentors, cap, "mentors")
    assert {s for s, m in enumerate(by_students) if m >= 0} == {s for s, m in enumerate(by_mentors) if m >= 0}
    for m in range(len(mentors)):
        mine = {s for s, x in enumerate(by_students) if x == m}
        theirs = {s for s, x in enumerate(by_mentors) if x == m}
        assert len(mine) == len(theirs)
        if len(mine) < cap[m]:  # a mentor left with a free seat gets the same students
            assert mine == theirs


# --- against a textbook implementation, on larger instances ---------------------------


def textbook(students: Lists, mentors: Lists, cap: list[int], proposing: str) -> list[int]:
    """One proposal at a time, straight from the description, with dicts and lists."""
    m_rank = [{s: i for i, s in enumerate(x)} for x in mentors]
    s_rank = [{m: i for i, m in enumerate(x)} for x in students]
    if proposing == "students":
        nxt, free = [0] * len(students), list(range(len(students)))
        held: list[list[int]] = [[] for _ in mentors]
        while free:
            s = free.pop()
            while nxt[s] < len(students[s]):
                m = students[s][nxt[s]]
                nxt[s] += 1
                if s in m_rank[m]:
                    held[m] = sorted([*held[m], s], key=m_rank[m].__getitem__)
                    if len(held[m]) > cap[m]:
                        out = held[m].pop()
                        if out != s:
                            free.append(out)
                        else:
                            continue
                    break
        got = [-1] * len(students)
        for m, ss in enumerate(held):
            for s in ss:
                got[s] = m
        return got
    offer, hold = [0] * len(mentors), [-1] * len(students)
    members: list[set[int]] = [set() for _ in mentors]
    busy = True
    while busy:
        busy = False
        for m in range(len(mentors)):
            while len(members[m]) < cap[m] and offer[m] < len(mentors[m]):
                s = mentors[m][offer[m]]
                offer[m] += 1
                busy = True
                if m in s_rank[s] and (hold[s] < 0 or s_rank[s][m] < s_rank[s][hold[s]]):
                    if hold[s] >= 0:
                        members[hold[s]].discard(s)
                    hold[s] = m
                    members[m].add(s)
    return hold


def random_instance(rng: random.Random, n_s: int, n_m: int, max_cap: int, full: float) -> Instance:
    def lists(owners: int, targets: int) -> Lists:
        return [
            rng.sample(range(targets), targets if rng.random() < full else rng.randint(0, targets))
            for _ in range(owners)
        ]

    return lists(n_s, n_m), lists(n_m, n_s), [rng.randint(0, max_cap) for _ in range(n_m)]


@pytest.mark.parametrize("proposing", ["students", "mentors"])
@pytest.mark.parametrize("sparse", [False, True])
def test_matches_textbook_implementation(proposing: str, sparse: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if sparse:  # force the sorted-key rank lookup instead of the dense table
        monkeypatch.setattr(preferences, "_DENSE_CELLS", 0)
    rng = random.Random(7)
    for trial in range(150):
        n_s, n_m = rng.randint(0, 40), rng.randint(0, 12)
        students, mentors, cap = random_instance(rng, n_s, n_m, 4, full=0.5)
        assert match(students, mentors, cap, proposing) == textbook(students, mentors, cap, proposing), trial


def test_long_lists_skip_full_mentors_in_bulk() -> None:
    # 300 students all ranking 250 mentors of one seat in the same order, and mentors
    # agreeing: student i ends with mentor i, students 250+ end unmatched after being
    # turned down by every mentor (the windowed skip crosses whole lists).
    students = [list(range(250)) for _ in range(300)]
    mentors = [list(range(300)) for _ in range(250)]
    got = match(students, mentors, [1] * 250)
    assert got == list(range(250)) + [-1] * 50
    rng = random.Random(3)
    for _ in range(3):
        s, m, cap = random_instance(rng, 400, 150, 3, full=0.9)
        for proposing in ("students", "mentors"):
            assert match(s, m, cap, proposing) == textbook(s, m, cap, proposing)


def test_capacities_larger_than_lists_and_zero() -> None:
    students = [[0, 1], [0, 1], [1]]
    mentors = [[0, 1, 2], [2, 1, 0]]
    assert match(students, mentors, [10**12, 0]) == [0, 0, -1]
    assert match(students, mentors, [10**12, 0], "mentors") == [0, 0, -1]
    assert match([], [], []) == []
    assert match([[], []], [[0, 1]], [2]) == [-1, -1]


def test_rejects_inconsistent_input() -> None:
    s = PrefLists.from_lists([[0]], 1)
    m = PrefLists.from_lists([[0]], 1)
    with pytest.raises(ValueError, match="capacity"):
        deferred_acceptance(s, m, np.array([-1]))
    with pytest.raises(ValueError, match="capacity"):
        deferred_acceptance(s, m, np.array([1, 1]))
    with pytest.raises(ValueError, match="refer to each other"):
        deferred_acceptance(s, PrefLists.from_lists([[0], [0]], 1), np.array([1, 1]))
    with pytest.raises(ValueError, match="proposing"):
        deferred_acceptance(s, m, np.array([1]), proposing="hospitals")  # type: ignore[arg-type]


def test_progress_is_reported_each_round() -> None:
    seen: list[tuple[int, int, int]] = []
    result = deferred_acceptance(
        PrefLists.from_lists(GS2_MEN, 4),
        PrefLists.from_lists(GS2_WOMEN, 4),
        np.ones(4, dtype=np.int64),
        progress=lambda r, free, proposals: seen.append((r, free, proposals)),
    )
    assert [r for r, _, _ in seen] == list(range(1, result.rounds + 1))
    assert seen[-1] == (result.rounds, 0, result.proposals)
