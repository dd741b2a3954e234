"""An independent check of a matching: blocking pairs, capacities, acceptability.

Written apart from the matching code on purpose (it shares no helper with it): it
reads only the raw lists, the capacities and the assignment, and applies the
definition. A student s and a mentor m block the matching when s ranked m above
their mentor (or s is unmatched and ranked m), m ranked s, and m either has a free
seat or ranked s above the worst student it got. A stable matching has none.

It is vectorised (every "s would rather have m" entry is tested at once, in blocks
of students), so it checks a 10,000 x 2,000 full-list round in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.preferences import PrefLists

_DENSE_CELLS = 1 << 26
_BLOCK = 1 << 22
I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class StabilityReport:
    blocking_pairs: int
    over_capacity: int  # mentors given more students than their capacity
    unacceptable: int  # matched pairs where one side did not rank the other
    examples: list[tuple[int, int]] = field(default_factory=list)  # (student, mentor)

    @property
    def ok(self) -> bool:
        return self.blocking_pairs == 0 and self.over_capacity == 0 and self.unacceptable == 0


def _blocks(lists: PrefLists) -> list[tuple[int, int]]:
    """Owner ranges [lo, hi) holding at most ~_BLOCK entries each (at least one owner)."""
    out, lo, n = [], 0, lists.n_owners
    while lo < n:
        hi = int(np.searchsorted(lists.offsets, lists.offsets[lo] + _BLOCK, side="right")) - 1
        hi = min(max(hi, lo + 1), n)
        out.append((lo, hi))
        lo = hi
    return out


def _entries(lists: PrefLists, lo: int, hi: int) -> tuple[I64, I64, I64]:
    """(owner, target, place in the owner's list) of the entries of owners lo..hi-1."""
    offsets = lists.offsets[lo : hi + 1]
    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(lo, hi, dtype=np.int64), lengths)
    place = np.arange(offsets[-1] - offsets[0], dtype=np.int64) - np.repeat(offsets[:-1] - offsets[0], lengths)
    return owner, lists.targets[offsets[0] : offsets[-1]].astype(np.int64), place


class _MentorRanks:
    """Rank mentor m gives student s, or -1 if m did not rank s."""

    def __init__(self, mentors: PrefLists, n_students: int) -> None:
        self.n_s = max(n_students, 1)
        self.table: NDArray[np.int32] | None = None
        if mentors.n_owners * self.n_s <= _DENSE_CELLS:
            self.table = np.full((mentors.n_owners, self.n_s), -1, dtype=np.int32)
            for lo, hi in _blocks(mentors):
                owner, target, place = _entries(mentors, lo, hi)
                self.table[owner, target] = place
            return
        # Pack (mentor, student, place) into one integer and sort: no argsort needed.
        self.width = int(np.diff(mentors.offsets).max(initial=0)) + 1
        packed = [
            (owner * self.n_s + target) * self.width + place
            for owner, target, place in (_entries(mentors, lo, hi) for lo, hi in _blocks(mentors))
        ]
        self.packed = np.sort(np.concatenate(packed)) if packed else np.empty(0, np.int64)

    def __call__(self, m: I64, s: I64) -> I64:
        if self.table is not None:
            return self.table[m, s].astype(np.int64)
        if len(self.packed) == 0:
            return np.full(len(m), -1, dtype=np.int64)
        want = (m * self.n_s + s) * self.width
        at = np.minimum(np.searchsorted(self.packed, want), len(self.packed) - 1)
        hit = self.packed[at] // self.width == want // self.width
        return np.where(hit, self.packed[at] % self.width, -1)


def check_stability(
    students: PrefLists,
    mentors: PrefLists,
    capacity: NDArray[np.integer],
    mentor_of: NDArray[np.integer],
    *,
    examples: int = 5,
) -> StabilityReport:
    """Check `mentor_of` (per student: mentor index or -1) against the definition."""
    n_s, n_m = students.n_owners, mentors.n_owners
    cap = np.asarray(capacity, dtype=np.int64)
    match = np.asarray(mentor_of, dtype=np.int64)
    matched = np.flatnonzero(match >= 0)
    taken = np.bincount(match[matched], minlength=n_m)
    over = int(np.count_nonzero(taken > cap))
    rank_of = _MentorRanks(mentors, n_s)
    mentor_rank_own = rank_of(match[matched], matched)
    # The worst rank each mentor accepted (-1 when it has nobody).
    worst = np.full(n_m, -1, dtype=np.int64)
    np.maximum.at(worst, match[matched], mentor_rank_own)
    unacceptable = int(np.count_nonzero(mentor_rank_own < 0))

    blocking, shown = 0, list[tuple[int, int]]()
    for lo, hi in _blocks(students):
        owner, target, place = _entries(students, lo, hi)
        lengths = np.diff(students.offsets[lo : hi + 1])
        # Where each student's own mentor sits in their list; unmatched: past the end.
        own_place = lengths.copy()
        is_own = target == match[owner]
        own_place[owner[is_own] - lo] = place[is_own]
        ranked_own = np.zeros(hi - lo, dtype=np.bool_)
        ranked_own[owner[is_own] - lo] = True
        unacceptable += int(np.count_nonzero(~ranked_own[match[lo:hi] >= 0]))
        better = place < own_place[owner - lo]
        s, m = owner[better], target[better]
        rank = rank_of(m, s)
        blocks = (rank >= 0) & ((taken[m] < cap[m]) | (rank < worst[m]))
        found = np.flatnonzero(blocks)
        blocking += int(found.size)
        shown += [(int(s[i]), int(m[i])) for i in found[: max(0, examples - len(shown))]]
    return StabilityReport(blocking, over, unacceptable, shown)
