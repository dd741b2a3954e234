"""SQL of the operators' mentoring outcomes: counts per hospital and month, never rows
about one person."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.matching.store import DB

# Each measure as (hospital, month, measure, count, sum of ratings): one pass per table.
OUTCOMES_SQL = """
WITH m AS (
    -- The rotation's hospital; without a rotation, the mentor's first affiliation.
    SELECT m.*, coalesce(r.hospital_id, p.data->'hospital_ids'->>0) AS hospital_id FROM mentorships m
      LEFT JOIN rotations r ON r.id = m.rotation_id LEFT JOIN profiles p ON p.user_id = m.mentor_id
)
SELECT hospital_id, date_trunc('month', created_at) AS month, 'mentorships_requested' AS measure,
       count(*) AS n, 0::bigint AS total FROM m WHERE created_at >= $1 GROUP BY 1, 2
UNION ALL
SELECT hospital_id, date_trunc('month', decided_at), 'mentorships_accepted', count(*), 0 FROM m
 WHERE decided_at >= $1 AND (status = 'accepted' OR (status = 'ended' AND decided_at IS NOT NULL)) GROUP BY 1, 2
UNION ALL
SELECT m.hospital_id, date_trunc('month', g.held_at), 'meetings_held', count(*), 0 FROM meetings g
  JOIN m ON m.id = g.mentorship_id WHERE g.status = 'held' AND g.held_at >= $1 GROUP BY 1, 2
UNION ALL
SELECT m.hospital_id, date_trunc('month', c.created_at), 'check_ins', count(*), sum(c.usefulness) FROM check_ins c
  JOIN m ON m.id = c.mentorship_id WHERE c.created_at >= $1 GROUP BY 1, 2
UNION ALL
SELECT hospital_id, date_trunc('month', requested_at), 'letters_requested', count(*), 0 FROM letters
 WHERE requested_at >= $1 GROUP BY 1, 2
UNION ALL
SELECT hospital_id, date_trunc('month', requested_at), 'letters_accepted', count(*), 0 FROM letters
 WHERE requested_at >= $1 AND status IN ('accepted', 'submitted', 'confirmed') GROUP BY 1, 2
UNION ALL
SELECT hospital_id, date_trunc('month', requested_at), 'letters_submitted', count(*), 0 FROM letters
 WHERE requested_at >= $1 AND status IN ('submitted', 'confirmed') GROUP BY 1, 2
"""


async def outcomes(db: DB, since: datetime) -> list[asyncpg.Record]:
    return await db.fetch(OUTCOMES_SQL, since)
