"""Both sides' preference lists derived from the mentor score.

Each student ranks mentors by score, best first; each mentor ranks, by the same
score, the students who ranked it (a mentor ranking a student who left it off can
never matter to the match). Scores are compared at a resolution of 1e-6, so float
noise never decides a rank, and ties are broken by index: encode students and mentors
sorted by id to break ties by id. Options: keep only the best `list_length`, only
mentors of the rotation's specialty (as residency applicants rank programmes of one
specialty), only pairs scoring at least `min_score`.

Work goes in row blocks of ~2 M cells. Ranking a row is one sort of packed integer
keys (score units, then index), never a Python comparison. Full lists take a fast
path: the quantised score matrix is kept (int32) and each mentor's list is a sorted
column of it; otherwise the mentors' lists are the students' entries sorted by
(mentor, score, student).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.preferences import PrefLists
from services.matching.engine.score_matrix import MentorTable, StudentTable, score_block
from services.matching.engine.weights import DEFAULT_MENTOR_WEIGHTS, MentorWeights

QUANTA = 1_000_000  # score units per 1.0
_BLOCK_CELLS = 1 << 21
_DENSE_CELLS = 1 << 26  # largest score matrix kept whole (int32: 256 MB)
_MAX_WORKERS = 4  # threads scoring and sorting blocks; each holds ~100 MB of temporaries

_T = TypeVar("_T")
_R = TypeVar("_R")

# Called with (rows done, rows in all) while scoring.
BuildProgress = Callable[[int, int], None]
Ints = NDArray[np.int64]


def derive_preferences(
    students: StudentTable,
    mentors: MentorTable,
    weights: MentorWeights = DEFAULT_MENTOR_WEIGHTS,
    *,
    list_length: int | None = None,
    same_specialty: bool = False,
    min_score: float | None = None,
    progress: BuildProgress | None = None,
) -> tuple[PrefLists, PrefLists]:
    """(students' lists over mentors, mentors' lists over students)."""
    n_s, n_m = len(students.ids), len(mentors.ids)
    floor = 0 if min_score is None else max(0, int(np.ceil(min_score * QUANTA - 1e-9)))
    self_col = _self_columns(students, mentors)
    if list_length is None and not same_specialty and n_s * n_m <= _DENSE_CELLS:
        return _full_lists(students, mentors, weights, floor, self_col, progress)
    mentors.hospital_term(weights)  # fill its cache once, before the threads share it
    tasks = [
        (rows[at : at + step], cols)
        for rows, cols in _groups(students, mentors, same_specialty)
        for step in [max(1, _BLOCK_CELLS // max(len(cols), 1))]
        for at in range(0, len(rows), step)
    ]

    def rank_block(task: tuple[Ints, Ints]) -> tuple[Ints, Ints, Ints, Ints]:
        block, cols = task
        q = _quantised(students, mentors, block, cols, weights, self_col)
        col, value = _rank_rows(q, list_length)
        ok = value >= floor
        return block, ok.sum(axis=1), cols[col[ok]], value[ok]

    rows_seen: list[Ints] = []
    counts: list[Ints] = []
    picked: list[Ints] = []
    values: list[Ints] = []
    done = 0
    for block, count, pick, value in _in_parallel(rank_block, tasks):
        rows_seen.append(block)
        counts.append(count)
        picked.append(pick)
        values.append(value)
        done += len(block)
        if progress is not None:
            progress(done, n_s)
    row_of, count = _cat(rows_seen), _cat(counts)
    target, value = _cat(picked), _cat(values)
    if not np.array_equal(row_of, np.arange(n_s)):
        # Groups visit students out of order; put every student's list back in place.
        order = np.argsort(np.repeat(row_of, count), kind="stable")
        target, value = target[order], value[order]
        count = np.bincount(row_of, weights=count, minlength=n_s).astype(np.int64)
    student_lists = PrefLists(_offsets(count), target.astype(np.int32), n_m)
    return student_lists, _transpose(student_lists, value, n_m)


def _full_lists(
    students: StudentTable,
    mentors: MentorTable,
    weights: MentorWeights,
    floor: int,
    self_col: Ints | None,
    progress: BuildProgress | None,
) -> tuple[PrefLists, PrefLists]:
    n_s, n_m = len(students.ids), len(mentors.ids)
    every_mentor = np.arange(n_m, dtype=np.int64)
    scores = np.empty((n_s, n_m), dtype=np.int32)
    s_rows = np.empty((n_s, n_m), dtype=np.int32)
    s_count = np.empty(n_s, dtype=np.int64)
    m_rows = np.empty((n_m, n_s), dtype=np.int32)
    m_count = np.empty(n_m, dtype=np.int64)
    mentors.hospital_term(weights)  # fill its cache once, before the threads share it
    s_step = max(1, _BLOCK_CELLS // max(n_m, 1))
    m_step = max(1, _BLOCK_CELLS // max(n_s, 1))

    # Blocks write to disjoint rows of the arrays above, so threads need no lock.
    def student_block(at: int) -> int:
        end = min(n_s, at + s_step)
        q = _quantised(students, mentors, np.arange(at, end), every_mentor, weights, self_col)
        scores[at:end] = q
        s_count[at:end] = _rank_into(q, s_rows[at:end], floor)
        return end

    def mentor_block(at: int) -> None:
        end = min(n_m, at + m_step)
        q = np.ascontiguousarray(scores[:, at:end].T)
        m_count[at:end] = _rank_into(q, m_rows[at:end], floor)

    for end in _in_parallel(student_block, range(0, n_s, s_step)):
        if progress is not None:
            progress(end, n_s)
    for _ in _in_parallel(mentor_block, range(0, n_m, m_step)):
        pass
    return (
        PrefLists(_offsets(s_count), _compact(s_rows, s_count), n_m),
        PrefLists(_offsets(m_count), _compact(m_rows, m_count), n_s),
    )


def _rank_into(q: NDArray[np.int32], out: NDArray[np.int32], floor: int) -> Ints:
    """Write each row's columns, best first, into `out`; return how many are acceptable."""
    everyone = q.size == 0 or int(q.min()) >= floor
    _, value = _rank_rows(q, None, decode=not everyone, out=out)
    return np.full(len(q), q.shape[1], dtype=np.int64) if everyone else (value >= floor).sum(axis=1)


def _compact(rows: NDArray[np.int32], count: Ints) -> NDArray[np.int32]:
    """The acceptable prefix of every row, concatenated."""
    if np.all(count == rows.shape[1]):
        return rows.reshape(-1)
    return rows[np.arange(rows.shape[1]) < count[:, None]]


def _quantised(
    students: StudentTable,
    mentors: MentorTable,
    rows: Ints,
    cols: Ints,
    weights: MentorWeights,
    self_col: Ints | None,
) -> NDArray[np.int32]:
    """Scores in integer units; -1 where a student would be their own mentor."""
    q = np.rint(score_block(students, mentors, rows, cols, weights) * QUANTA).astype(np.int32)
    if self_col is not None and len(cols):
        mine = self_col[rows]
        hit = np.flatnonzero(mine >= 0)
        local = np.minimum(np.searchsorted(cols, mine[hit]), len(cols) - 1)  # cols ascend
        inside = cols[local] == mine[hit]
        q[hit[inside], local[inside]] = -1
    return q


def _self_columns(students: StudentTable, mentors: MentorTable) -> Ints | None:
    """Per student, their own index among the mentors (-1 if not one); None if nobody is."""
    at = {m: i for i, m in enumerate(mentors.ids)}
    found = np.array([at.get(s, -1) for s in students.ids], dtype=np.int64)
    return found if np.any(found >= 0) else None


def _rank_rows(
    q: NDArray[np.int32],
    keep: int | None,
    decode: bool = True,
    out: NDArray[np.int32] | None = None,
) -> tuple[NDArray[np.int32], Ints]:
    """Each row's columns by score (high first) then column; with their scores if `decode`."""
    n = q.shape[1]
    bits = max(1, (n - 1).bit_length())
    # Packed keys (score units above, column below): 32-bit when they fit, sorting faster.
    kind = np.uint32 if (QUANTA + 1).bit_length() + bits <= 32 else np.uint64
    key = np.subtract(QUANTA, q, dtype=kind, casting="unsafe")  # q = -1 gives QUANTA + 1
    np.left_shift(key, kind(bits), out=key)
    np.bitwise_or(key, np.arange(n, dtype=kind), out=key)
    if keep is not None and keep < n:
        key = np.partition(key, keep - 1, axis=1)[:, :keep]
    key.sort(axis=1)
    low = kind((1 << bits) - 1)
    if out is not None and kind is np.uint32 and out.shape == key.shape:
        col = out
        np.bitwise_and(key, low, out=col.view(np.uint32))
    else:
        col = (key & low).astype(np.int32)
        if out is not None:
            out[:] = col
    if not decode:
        return col, np.empty(0, dtype=np.int64)
    return col, QUANTA - (key >> kind(bits)).astype(np.int64)


def _groups(students: StudentTable, mentors: MentorTable, same_specialty: bool) -> list[tuple[Ints, Ints]]:
    everyone = np.arange(len(mentors.ids), dtype=np.int64)
    if not same_specialty:
        return [(np.arange(len(students.ids), dtype=np.int64), everyone)]
    groups = []
    for code in np.unique(students.specialty).tolist():
        rows = np.flatnonzero(students.specialty == code).astype(np.int64)
        cols = np.flatnonzero(mentors.specialties[:, code] > 0).astype(np.int64)
        groups.append((rows, cols))
    return groups


def _transpose(lists: PrefLists, value: Ints, n_mentors: int) -> PrefLists:
    """Each mentor's list: the students who ranked it, by score then index."""
    n_s = lists.n_owners
    if len(lists.targets) == 0:
        return PrefLists(np.zeros(n_mentors + 1, dtype=np.int64), np.empty(0, np.int32), n_s)
    per_mentor = (QUANTA + 2) * n_s
    key = lists.targets.astype(np.int64) * per_mentor + (QUANTA - value) * n_s + lists.owners()
    key.sort()
    count = np.bincount(key // per_mentor, minlength=n_mentors)
    return PrefLists(_offsets(count), (key % n_s).astype(np.int32), n_s)


def _workers() -> int:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, _MAX_WORKERS))


def _in_parallel(work: Callable[[_T], _R], items: Sequence[_T]) -> Iterator[_R]:
    """`map(work, items)` on a few threads; numpy releases the GIL in the heavy loops."""
    workers = _workers()
    if workers == 1 or len(items) < 2:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        yield from pool.map(work, items)


def _offsets(count: Ints) -> Ints:
    offsets = np.zeros(len(count) + 1, dtype=np.int64)
    np.cumsum(count, out=offsets[1:])
    return offsets


def _cat(parts: list[Ints]) -> Ints:
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
