"""A kept ranking filtered for its student: the rooms or mentors of users they blocked or
were blocked by leave it, the rest keep their order."""

from __future__ import annotations

import uuid

import numpy as np

from services.matching.ranking import Ranking


def test_a_ranking_less_hidden_ids_keeps_its_order() -> None:
    """A kept ranking less the rooms or mentors of blocked users: the others in the same
    order with their scores; the same view again for the same ids; itself for none."""
    ids = [uuid.UUID(int=(k % 3) << 64 | k) for k in range(10)]  # first halves shared by several
    scores = np.linspace(1, 0.1, 10)
    halves = np.frombuffer(b"".join(i.bytes for i in ids), dtype=">u8").reshape(-1, 2).astype(np.uint64)
    ranking = Ranking("rooms", halves, scores)
    hidden = b"".join(i.bytes for i in sorted([ids[4], ids[7]]))
    view = ranking.without(hidden)
    assert view.ids_at(0) == [i for k, i in enumerate(ids) if k not in (4, 7)]
    assert view.scores.tolist() == [s for k, s in enumerate(scores.tolist()) if k not in (4, 7)]
    assert ranking.without(hidden) is view and ranking.without(b"") is ranking
    assert len(ranking.without(uuid.uuid4().bytes)) == 10
