"""Deferred acceptance (Gale-Shapley) for the hospital-resident problem, on integer arrays.

Students propose down their lists; a mentor with capacity ``q`` holds the best ``q``
proposals so far and rejects the rest; a rejected student proposes to their next
choice. The result is the student-optimal stable matching: no student and mentor
both prefer each other to what they got (a mentor with a free seat prefers anyone it
ranked to an empty seat), and every student gets the best mentor they have in any
stable matching (Gale and Shapley 1962; Roth 1984). The mentor-proposing variant
gives the mentor-optimal stable matching; by the rural hospitals theorem both match
the same students and fill each mentor to the same count.

How it runs fast: proposals go in rounds, all free students at once (the outcome of
deferred acceptance does not depend on the order of proposals). Each mentor's held
students sit in its own slice of a slot array, sorted by the mentor's rank, so its
worst held rank is a lookup. A student skips, in bulk, every mentor that would reject
them now: a full mentor's worst held rank only improves, so such a mentor would reject
them later too. Mentor-proposing runs the same loop with each mentor split into
``capacity`` clones that students rank in clone order, the textbook reduction to the
one-to-one case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.preferences import PrefLists, RankLookup

Proposing = Literal["students", "mentors"]
# Called after each round with (round number, proposers still free, proposals so far).
Progress = Callable[[int, int, int], None]

_EMPTY = np.iinfo(np.int64).max
_I64 = np.int64


@dataclass(frozen=True, slots=True)
class Matching:
    mentor_of: NDArray[np.int32]  # per student: mentor index, or -1 if unmatched
    rounds: int
    proposals: int


@dataclass(slots=True)
class _Side:
    """The proposing side: entry ranges into shared lists, and how receivers rank it."""

    targets: NDArray[np.int32]  # receiver of each entry
    starts: NDArray[np.int64]
    ends: NDArray[np.int64]
    identity: NDArray[np.int64]  # whom the receivers ranked: the student, or a clone's mentor
    lookup: RankLookup  # receivers' lists
    # A receiver ranks proposer p at lookup * scale + bonus[p] (clones of one mentor differ
    # only by bonus); -1 from the lookup means the receiver did not rank p at all.
    scale: int
    bonus: NDArray[np.int64] | None

    def ranks(
        self, receiver: NDArray[np.int64], proposer: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """(receiver's rank of proposer, whether the receiver ranked them at all)."""
        back = self.lookup(receiver, self.identity[proposer])
        if self.bonus is None:
            return back, back >= 0
        return back * self.scale + self.bonus[proposer], back >= 0


def deferred_acceptance(
    students: PrefLists,
    mentors: PrefLists,
    capacity: NDArray[np.integer],
    *,
    proposing: Proposing = "students",
    progress: Progress | None = None,
) -> Matching:
    """Stable matching of students to mentors with capacities.

    ``students`` ranks mentors (``students.n_targets == mentors.n_owners``), ``mentors``
    ranks students; a pair can match only if each ranked the other.
    """
    if students.n_targets != mentors.n_owners or mentors.n_targets != students.n_owners:
        raise ValueError("students' and mentors' lists do not refer to each other")
    cap = np.asarray(capacity, dtype=_I64)
    if cap.shape != (mentors.n_owners,) or np.any(cap < 0):
        raise ValueError("capacity needs one non-negative number per mentor")
    # Seats beyond the students a mentor ranked can never fill; don't allocate them.
    cap = np.minimum(cap, mentors.lengths())
    if proposing == "students":
        side = _Side(
            students.targets,
            students.offsets[:-1].astype(_I64),
            students.offsets[1:].astype(_I64),
            np.arange(students.n_owners, dtype=_I64),
            RankLookup(mentors),
            1,
            None,
        )
        held, owner, rounds, count = _propose(side, cap, progress)
        mentor_of = np.full(students.n_owners, -1, dtype=np.int32)
        taken = held >= 0
        mentor_of[held[taken]] = owner[taken]
        return Matching(mentor_of, rounds, count)
    if proposing != "mentors":
        raise ValueError(f"proposing must be 'students' or 'mentors', not {proposing!r}")
    clones = cap
    clone_mentor = np.repeat(np.arange(mentors.n_owners, dtype=_I64), clones)
    first_clone = np.cumsum(clones) - clones
    clone_index = np.arange(len(clone_mentor), dtype=_I64) - np.repeat(first_clone, clones)
    side = _Side(
        mentors.targets,
        mentors.offsets[clone_mentor].astype(_I64),
        mentors.offsets[clone_mentor + 1].astype(_I64),
        clone_mentor,
        RankLookup(students),
        int(clones.max(initial=0)) or 1,
        clone_index,
    )
    seats = np.ones(students.n_owners, dtype=_I64)
    held, owner, rounds, count = _propose(side, seats, progress)
    mentor_of = np.full(students.n_owners, -1, dtype=np.int32)
    taken = held >= 0
    mentor_of[owner[taken]] = clone_mentor[held[taken]].astype(np.int32)
    return Matching(mentor_of, rounds, count)


def _propose(
    side: _Side, cap: NDArray[np.int64], progress: Progress | None
) -> tuple[NDArray[np.int64], NDArray[np.int32], int, int]:
    """Run the rounds; return each slot's held proposer (-1 empty), its receiver, counts."""
    n_recv = len(cap)
    slot_start = np.zeros(n_recv + 1, dtype=_I64)
    np.cumsum(cap, out=slot_start[1:])
    slot_owner = np.repeat(np.arange(n_recv, dtype=np.int32), cap)
    slot_who = np.full(int(slot_start[-1]), -1, dtype=_I64)
    slot_rank = np.full(int(slot_start[-1]), _EMPTY, dtype=_I64)
    # Worst rank a receiver still accepts (exclusive): anything while it has a free seat.
    threshold = np.where(cap > 0, _EMPTY, -1).astype(_I64)
    ptr = side.starts.copy()
    free = np.flatnonzero(side.ends > side.starts)
    rounds = proposals = 0
    while free.size:
        who, entry = _next_offers(side, ptr, free, threshold)
        if who.size == 0:
            break
        rounds += 1
        proposals += int(who.size)
        to = side.targets[entry].astype(_I64)
        rank, _ = side.ranks(to, who)
        # Merge the new offers with what the receivers already hold, best rank first.
        hit = np.unique(to)
        sizes = cap[hit]
        slots = _ranges(slot_start[hit], sizes)
        old = slot_who[slots] >= 0
        all_who = np.concatenate((slot_who[slots][old], who))
        all_to = np.concatenate((np.repeat(hit, sizes)[old], to))
        all_rank = np.concatenate((slot_rank[slots][old], rank))
        order = np.lexsort((all_rank, all_to))
        all_who, all_to, all_rank = all_who[order], all_to[order], all_rank[order]
        group_start = np.searchsorted(all_to, all_to, side="left")
        place = np.arange(len(all_to), dtype=_I64) - group_start
        keep = place < cap[all_to]
        slot_who[slots] = -1
        slot_rank[slots] = _EMPTY
        dest = slot_start[all_to[keep]] + place[keep]
        slot_who[dest] = all_who[keep]
        slot_rank[dest] = all_rank[keep]
        threshold[hit] = slot_rank[slot_start[hit] + sizes - 1]
        rejected = all_who[~keep]
        ptr[rejected] += 1
        free = rejected[ptr[rejected] < side.ends[rejected]]
        if progress is not None:
            progress(rounds, int(free.size), proposals)
    return slot_who, slot_owner, rounds, proposals


def _next_offers(
    side: _Side, ptr: NDArray[np.int64], free: NDArray[np.int64], threshold: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each free proposer, the first entry from its pointer that would be held now.

    Scans windows of growing width so that a proposer rejected by hundreds of full
    mentors costs a few vectorised steps, not hundreds of rounds. Moves `ptr` to the
    entry found, or to the end of the list.
    """
    found_who: list[NDArray[np.int64]] = []
    found_entry: list[NDArray[np.int64]] = []
    last = len(side.targets) - 1
    width = 4
    cand = free
    while cand.size:
        base = ptr[cand]
        entry = base[:, None] + np.arange(width, dtype=_I64)
        inside = entry < side.ends[cand][:, None]
        to = side.targets[np.minimum(entry, last)].astype(_I64)
        who = np.broadcast_to(cand[:, None], to.shape)
        rank, ranked = side.ranks(to.ravel(), who.ravel())
        ok = inside & (ranked & (rank < threshold[to.ravel()])).reshape(to.shape)
        any_ok = ok.any(axis=1)
        first = ok.argmax(axis=1)
        hit = cand[any_ok]
        ptr[hit] = base[any_ok] + first[any_ok]
        found_who.append(hit)
        found_entry.append(ptr[hit])
        cand = cand[~any_ok]
        ptr[cand] = np.minimum(base[~any_ok] + width, side.ends[cand])
        cand = cand[ptr[cand] < side.ends[cand]]
        width = min(width * 4, 1024)
    if not found_who:
        return np.empty(0, dtype=_I64), np.empty(0, dtype=_I64)
    return np.concatenate(found_who), np.concatenate(found_entry)


def _ranges(starts: NDArray[np.int64], sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of ``arange(s, s + n)`` for each (s, n), without a Python loop."""
    total = int(sizes.sum())
    if total == 0:
        return np.empty(0, dtype=_I64)
    shift = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
    out: NDArray[np.int64] = np.arange(total, dtype=_I64) + shift
    return out
