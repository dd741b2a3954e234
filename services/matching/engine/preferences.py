"""Preference lists as integer arrays, and the ranks each side gives the other.

A `PrefLists` holds one strict, possibly incomplete list per owner in compressed-row
form: owner ``i``'s list is ``targets[offsets[i]:offsets[i + 1]]``, best first.
Leaving someone off a list makes them unacceptable. Full lists of 10,000 students
over 2,000 mentors are 20 M int32 entries (80 MB); a 50,000 x 15 rank-list round is
750 k entries, so storage is proportional to what was ranked, never owners x targets.

`RankLookup` answers "where does t sit in o's list" for arrays of pairs, so the
matching loop never looks anything up by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Rank matrices up to this many cells (int32) are built dense: 64 M cells = 256 MB.
_DENSE_CELLS = 1 << 26


@dataclass(frozen=True, slots=True)
class PrefLists:
    offsets: NDArray[np.int64]  # n_owners + 1, non-decreasing, offsets[0] == 0
    targets: NDArray[np.int32]  # indices in [0, n_targets)
    n_targets: int

    @property
    def n_owners(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    def row(self, owner: int) -> NDArray[np.int32]:
        return self.targets[self.offsets[owner] : self.offsets[owner + 1]]

    def owners(self) -> NDArray[np.int32]:
        """The owner of every entry, aligned with `targets`."""
        return np.repeat(np.arange(self.n_owners, dtype=np.int32), self.lengths())

    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[int]], n_targets: int) -> PrefLists:
        offsets = np.zeros(len(lists) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(x) for x in lists])
        flat = [t for x in lists for t in x]
        return cls(offsets, np.asarray(flat, dtype=np.int32).reshape(-1), n_targets)

    @classmethod
    def from_matrix(cls, matrix: NDArray[np.integer], n_targets: int) -> PrefLists:
        """From a 2-D array of rows, each a list padded at its end with -1."""
        rows = np.asarray(matrix)
        keep = rows >= 0
        offsets = np.zeros(rows.shape[0] + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(keep.sum(axis=1))
        targets = rows.ravel() if keep.all() else rows[keep]
        return cls(offsets, targets.astype(np.int32, copy=False), n_targets)

    def entry_blocks(
        self, max_entries: int = 1 << 22
    ) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]]:
        """(owner, target, rank in the owner's list) of every entry, in bounded blocks."""
        lengths = self.lengths()
        lo = 0
        while lo < self.n_owners:
            limit = self.offsets[lo] + max_entries
            hi = max(lo + 1, int(np.searchsorted(self.offsets, limit, side="right")) - 1)
            hi = min(hi, self.n_owners)
            a, b = int(self.offsets[lo]), int(self.offsets[hi])
            owner = np.repeat(np.arange(lo, hi, dtype=np.int64), lengths[lo:hi])
            place = np.arange(b - a, dtype=np.int64) - np.repeat(self.offsets[lo:hi] - a, lengths[lo:hi])
            yield owner, self.targets[a:b].astype(np.int64), place
            lo = hi

    def to_lists(self) -> list[list[int]]:
        flat = self.targets.tolist()
        bounds = self.offsets.tolist()
        return [flat[bounds[i] : bounds[i + 1]] for i in range(self.n_owners)]

    def without(self, pairs: Iterable[tuple[int, int]]) -> PrefLists:
        """These lists less the (owner, target) entries given, the rest in order: each of
        those targets becomes unacceptable to its owner. Touches only those owners' rows
        (one copy of the entries, never an owners x targets table)."""
        drop: list[int] = []
        removed = np.zeros(self.n_owners, dtype=np.int64)
        for owner, target in pairs:
            found = np.flatnonzero(self.row(owner) == target)
            drop += (int(self.offsets[owner]) + found).tolist()
            removed[owner] += found.size
        if not drop:
            return self
        offsets = self.offsets.copy()
        offsets[1:] -= np.cumsum(removed)
        return PrefLists(offsets, np.delete(self.targets, drop), self.n_targets)

    def problems(self) -> list[str]:
        """What makes these lists invalid (ids out of range, a target listed twice)."""
        found: list[str] = []
        if len(self.offsets) == 0 or self.offsets[0] != 0 or np.any(np.diff(self.offsets) < 0):
            return ["offsets must start at 0 and never decrease"]
        if self.offsets[-1] != len(self.targets):
            return ["offsets must end at the number of entries"]
        bad = np.flatnonzero((self.targets < 0) | (self.targets >= self.n_targets))
        if bad.size:
            owner = int(np.searchsorted(self.offsets, bad[0], side="right") - 1)
            found.append(f"list {owner} names {int(self.targets[bad[0]])}, out of range")
            return found
        keys = self.owners().astype(np.int64) * self.n_targets + self.targets
        keys.sort()
        twice = np.flatnonzero(keys[1:] == keys[:-1])
        if twice.size:
            key = int(keys[twice[0]])
            found.append(f"list {key // self.n_targets} names {key % self.n_targets} twice")
        return found


class RankLookup:
    """Where a target sits in an owner's list, for many (owner, target) pairs at once.

    Built once per match; asked only about the entries the matching actually reaches
    (a few per student), never for every entry of every list. Dense (an owners x
    targets int32 table, each owner's row written contiguously) when that table is
    small; otherwise a sorted array of packed (owner, target, rank) keys searched in
    bulk, which costs memory in proportion to the entries only.
    """

    def __init__(self, lists: PrefLists, dense_cells: int | None = None) -> None:
        dense_cells = _DENSE_CELLS if dense_cells is None else dense_cells
        self._n_targets = n_t = max(lists.n_targets, 1)
        cells = lists.n_owners * n_t
        lengths = lists.lengths()
        self._width = int(lengths.max(initial=0)) + 1
        self._table: NDArray[np.int32] | None = None
        self._keys: NDArray[np.int64] | None = None
        if cells <= dense_cells and (cells <= 1 << 20 or cells <= 8 * len(lists.targets)):
            table = np.full((lists.n_owners, n_t), -1, dtype=np.int32)
            if lengths.size and np.all(lengths == lengths[0]):
                _fill_rectangular(table, lists.targets.reshape(lists.n_owners, int(lengths[0])))
            else:
                flat = table.reshape(-1)
                for owner, target, place in lists.entry_blocks():
                    flat[owner * n_t + target] = place
            self._table = table
        else:
            parts = [(owner * n_t + target) * self._width + place for owner, target, place in lists.entry_blocks()]
            keys = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
            keys.sort()
            self._keys = keys

    def __call__(self, owner: NDArray[np.int64], target: NDArray[np.int64]) -> NDArray[np.int64]:
        """Rank (0 = first) of target[i] in owner[i]'s list, or -1 if it is not there."""
        if self._table is not None:
            return self._table[owner, target].astype(np.int64)
        keys = self._keys
        assert keys is not None
        if len(keys) == 0:
            return np.full(np.shape(owner), -1, dtype=np.int64)
        want = (owner * self._n_targets + target) * self._width
        at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        found = keys[at]
        return np.where(found // self._width == want // self._width, found % self._width, -1)


def _fill_rectangular(table: NDArray[np.int32], grid: NDArray[np.int32]) -> None:
    """table[o, grid[o, k]] = k when every list has the same length (full lists).

    One scatter per block of rows, with no per-entry owner or rank arrays: about
    twice as fast as the general path on a 2,000 x 10,000 table.
    """
    width = grid.shape[1]
    ranks = np.arange(width, dtype=np.int32)
    step = max(1, (1 << 22) // max(width, 1))
    for lo in range(0, grid.shape[0], step):
        hi = min(grid.shape[0], lo + step)
        np.put_along_axis(table[lo:hi], grid[lo:hi], np.broadcast_to(ranks, (hi - lo, width)), axis=1)
