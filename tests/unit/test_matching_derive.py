"""Preference lists derived from the vectorised mentor score, and the list structures."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import numpy as np
import pytest
from numpy.typing import NDArray

from services.matching.engine import derive, preferences
from services.matching.engine.cohort_round import cohort_from_profiles, run_round
from services.matching.engine.derive import QUANTA, derive_preferences
from services.matching.engine.models import HospitalInput, ProfileInput, RotationInput
from services.matching.engine.preferences import PrefLists, RankLookup
from services.matching.engine.score_matrix import MentorTable, StudentTable, encode, score_block
from services.matching.engine.scoring import mentor_score
from services.matching.engine.wording import specialty_key

SPECIALTIES = ["cardiology", "pediatrics", "Internal_Medicine", "internal medicine", "surgery"]
Population = tuple[list[tuple[RotationInput, ProfileInput]], list[ProfileInput], dict[str, HospitalInput]]


def population(seed: int, n_s: int, n_m: int) -> Population:
    rng = random.Random(seed)
    hospitals = {
        f"h{i}": HospitalInput(f"h{i}", f"H{i}", 39 + rng.uniform(-0.3, 0.3), -76.6 + rng.uniform(-0.3, 0.3))
        for i in range(5)
    }

    def person(pid: str, **extra: object) -> ProfileInput:
        return ProfileInput(
            pid,
            medical_school=rng.choice([None, "Lagos", " lagos ", "Ibadan"]),
            school_country=rng.choice([None, "NG", "ng", "US"]),
            languages=frozenset(rng.sample(["en", "yo", "fr", "es"], rng.randint(0, 3))),
            specialties=frozenset(rng.sample(SPECIALTIES, rng.randint(0, 2))),
            hobbies=frozenset(rng.sample(["chess", "running", "piano"], rng.randint(0, 3))),
            organizations=frozenset(rng.sample(["amwa", "nma"], rng.randint(0, 2))),
            **extra,  # type: ignore[arg-type]
        )

    start = date(2025, 3, 3)
    students = [
        (
            RotationInput(
                hospitals[rng.choice(sorted(hospitals))],
                rng.choice(SPECIALTIES),
                start,
                date(2025, 3, 31),
            ),
            person(f"s{i:03d}"),
        )
        for i in range(n_s)
    ]
    mentors = [
        person(
            f"m{j:03d}",
            hospital_ids=frozenset(rng.sample([*sorted(hospitals), "unknown"], rng.randint(0, 2))),
            open_to_mentoring=True,
            mentoring_capacity=rng.randint(1, 3),
        )
        for j in range(n_m)
    ]
    return students, mentors, hospitals


def test_vectorised_score_equals_the_scalar_score() -> None:
    students, mentors, hospitals = population(1, 40, 25)
    s_table, m_table = encode(students, mentors, hospitals)
    block = score_block(s_table, m_table, np.arange(40), np.arange(25))
    for i, (rotation, student) in enumerate(students):
        for j, mentor in enumerate(mentors):
            scalar = mentor_score(rotation, student, mentor, hospitals=hospitals)
            assert scalar is not None
            assert block[i, j] == pytest.approx(scalar.score, abs=1e-12)


def quanta(s_table: StudentTable, m_table: MentorTable) -> NDArray[np.int64]:
    block = score_block(s_table, m_table, np.arange(len(s_table.ids)), np.arange(len(m_table.ids)))
    return np.rint(block * QUANTA).astype(np.int64)


def test_full_lists_order_by_score_then_index() -> None:
    students, mentors, hospitals = population(2, 30, 12)
    s_table, m_table = encode(students, mentors, hospitals)
    q = quanta(s_table, m_table)
    s_lists, m_lists = derive_preferences(s_table, m_table)
    for i in range(30):
        assert s_lists.row(i).tolist() == sorted(range(12), key=lambda j: (-q[i, j], j))
    for j in range(12):
        assert m_lists.row(j).tolist() == sorted(range(30), key=lambda i: (-q[i, j], i))


def test_generic_path_and_small_blocks_give_the_same_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    students, mentors, hospitals = population(3, 30, 12)
    s_table, m_table = encode(students, mentors, hospitals)
    full = derive_preferences(s_table, m_table)
    monkeypatch.setattr(derive, "_BLOCK_CELLS", 7)
    # list_length as long as the lists takes the general (non-full-matrix) path.
    for got in (
        derive_preferences(s_table, m_table),
        derive_preferences(s_table, m_table, list_length=12),
    ):
        for a, b in zip(full, got, strict=True):
            assert a.offsets.tolist() == b.offsets.tolist()
            assert a.targets.tolist() == b.targets.tolist()


def test_list_length_specialty_and_min_score_options() -> None:
    students, mentors, hospitals = population(4, 40, 15)
    s_table, m_table = encode(students, mentors, hospitals)
    q = quanta(s_table, m_table)
    full, _ = derive_preferences(s_table, m_table)
    short, short_m = derive_preferences(s_table, m_table, list_length=3)
    for i in range(40):
        assert short.row(i).tolist() == full.row(i).tolist()[:3]
    for j in range(15):  # each mentor ranks exactly the students who ranked it
        ranked_j = [i for i in range(40) if j in short.row(i).tolist()]
        assert short_m.row(j).tolist() == sorted(ranked_j, key=lambda i: (-q[i, j], i))
    same, _ = derive_preferences(s_table, m_table, same_specialty=True)
    for i, (rotation, _) in enumerate(students):
        wanted = specialty_key(rotation.specialty)
        fits = [j for j, m in enumerate(mentors) if wanted in {specialty_key(x) for x in m.specialties}]
        assert sorted(same.row(i).tolist()) == fits
    floor = int(np.median(q))
    picky, picky_m = derive_preferences(s_table, m_table, min_score=floor / QUANTA)
    for i in range(40):
        assert picky.row(i).tolist() == [j for j in full.row(i).tolist() if q[i, j] >= floor]
    assert 0 < len(picky.targets) < len(full.targets)
    assert len(picky_m.targets) == len(picky.targets)


def test_nobody_is_their_own_mentor() -> None:
    students, mentors, hospitals = population(5, 6, 4)
    twin = dataclasses.replace(mentors[2], id=students[1][1].id)
    s_table, m_table = encode(students, [*mentors[:2], twin, mentors[3]], hospitals)
    s_lists, m_lists = derive_preferences(s_table, m_table)
    assert 2 not in s_lists.row(1).tolist() and len(s_lists.row(1)) == 3
    assert 1 not in m_lists.row(2).tolist() and len(m_lists.row(2)) == 5
    short, _ = derive_preferences(s_table, m_table, list_length=4)
    assert 2 not in short.row(1).tolist()


def test_cohort_from_profiles_uses_remaining_capacity_and_id_order() -> None:
    students, mentors, hospitals = population(6, 10, 5)
    closed = dataclasses.replace(mentors[0], open_to_mentoring=False)
    twin_b = dataclasses.replace(mentors[1], id="zz-twin", mentoring_capacity=3)
    twin_a = dataclasses.replace(mentors[1], id="aa-twin", mentoring_capacity=3)
    cohort = cohort_from_profiles(
        list(reversed(students)),
        [closed, twin_b, mentors[2], twin_a, mentors[4]],
        hospitals=hospitals,
        mentee_counts={"zz-twin": 1, mentors[4].id: mentors[4].mentoring_capacity},
    )
    assert cohort.student_ids == tuple(sorted(p.id for _, p in students))
    assert cohort.mentor_ids == ("aa-twin", mentors[2].id, "zz-twin")
    assert cohort.capacity == (3, mentors[2].mentoring_capacity, 2)
    for i in range(10):  # identical mentors: the one with the smaller id comes first
        row = cohort.students.row(i).tolist()
        assert row.index(0) < row.index(2)
    result = run_round(cohort)
    assert result.report["blocking_pairs"] == 0 and result.report["stable"]


# --- the list structures --------------------------------------------------------------


def test_pref_lists_round_trip_and_problems() -> None:
    lists = PrefLists.from_lists([[2, 0], [], [1]], 3)
    assert lists.to_lists() == [[2, 0], [], [1]]
    assert lists.problems() == []
    padded = PrefLists.from_matrix(np.array([[2, 0, -1], [-1, -1, -1], [1, -1, -1]]), 3)
    assert padded.to_lists() == [[2, 0], [], [1]]
    assert PrefLists.from_lists([[0, 1, 0]], 2).problems() == ["list 0 names 0 twice"]
    assert PrefLists.from_lists([[], [3]], 2).problems() == ["list 1 names 3, out of range"]


@pytest.mark.parametrize("seed", range(5))
def test_rank_lookup_dense_and_sparse_agree(seed: int) -> None:
    rng = random.Random(seed)
    n_o, n_t = rng.randint(1, 30), rng.randint(1, 30)
    # Even seeds: every list the same length (the rectangular fast path); odd: ragged.
    length = rng.randint(0, n_t)
    rows = [rng.sample(range(n_t), length if seed % 2 == 0 else rng.randint(0, n_t)) for _ in range(n_o)]
    lists = PrefLists.from_lists(rows, n_t)
    owner = np.repeat(np.arange(n_o), n_t)
    target = np.tile(np.arange(n_t), n_o)
    want = [rows[o].index(t) if t in rows[o] else -1 for o, t in zip(owner, target, strict=True)]
    assert RankLookup(lists, dense_cells=1 << 20)(owner, target).tolist() == want
    assert RankLookup(lists, dense_cells=0)(owner, target).tolist() == want
    small = list(preferences.PrefLists.entry_blocks(lists, max_entries=3))
    assert sum(len(o) for o, _, _ in small) == len(lists.targets)
