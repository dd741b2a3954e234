"""The pure rules of a cohort match round: its members as the engine takes them, the run
(``engine/cohort_round.py``: deferred acceptance, the independent stability check) with
progress, the students' ranks and the rank-distribution chart. ``jobs.py`` loads the
members and runs it off the event loop.

The students of a round are rotations (a student's rotation gives the hospital, the
specialty and the dates the mentor score needs); the mentors are professionals, taking
part with the seats they have left (capacity minus accepted mentees; in a scramble round,
minus what the first round assigned them too). A rotation whose student and a mentor
blocked one another (either way) is off that mentor's list and the mentor off its, given
lists or derived: an impossible pair, never matched and never a blocking pair.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from services.matching import domain
from services.matching.engine.cohort_input import CohortInputError, parse_cohort
from services.matching.engine.cohort_round import (
    Cohort,
    CohortResult,
    cohort_from_profiles,
    run_round,
    without_pairs,
)
from services.matching.engine.models import HospitalInput, ProfileInput, RotationInput
from shared import geo, hospitals
from shared.errors import AppError


class RoundError(Exception):
    """A round that cannot run as asked; the message says why (the round fails with it)."""


@dataclass
class Progress:
    """Written by the round's thread, read by its heartbeat: plain assignments only."""

    stage: str = "loading"
    done: int = 0
    total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, stage: str, done: int = 0, total: int = 0) -> None:
        with self.lock:
            self.stage, self.done, self.total = stage, done, total

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"stage": self.stage, "done": self.done, "total": self.total}


@dataclass(frozen=True)
class Members:
    rotations: Sequence[domain.Row]  # ordered by id
    mentors: dict[uuid.UUID, dict[str, Any]]  # mentor id -> profile data
    students: dict[uuid.UUID, dict[str, Any]]  # student id -> profile data
    taken: dict[str, int]  # mentor id -> seats already taken (accepted mentees, a first round's)
    hospitals: dict[str, HospitalInput]
    # (rotation id, mentor id) pairs that must never be matched: a block between them.
    apart: frozenset[tuple[str, str]] = frozenset()


def month_range(month: str) -> tuple[date, date]:
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    return first, date(year + (mon == 12), mon % 12 + 1, 1)


def mentors_near(candidates: dict[uuid.UUID, dict[str, Any]], hospital_id: str, radius_km: float) -> list[uuid.UUID]:
    """Mentors affiliated with the hospital, or with one within ``radius_km`` of it."""
    target = hospitals.lookup(hospital_id)
    chosen = []
    for user_id, data in candidates.items():
        for hid in data.get("hospital_ids") or []:
            if hid == hospital_id:
                chosen.append(user_id)
                break
            try:
                other = hospitals.lookup(hid)
            except AppError:
                continue
            if radius_km and geo.haversine_km(target.latitude, target.longitude, other.latitude, other.longitude) <= (
                radius_km
            ):
                chosen.append(user_id)
                break
    return sorted(chosen)


def _seats(data: dict[str, Any], taken: int) -> int:
    return max(0, domain.mentoring_capacity(data) - taken)


def build_cohort(members: Members, request: dict[str, Any], progress: Progress) -> Cohort:
    """The round's lists, without the pairs kept apart (``Members.apart``)."""
    return without_pairs(_lists(members, request, progress), members.apart)


def _lists(members: Members, request: dict[str, Any], progress: Progress) -> Cohort:
    """The round's lists: as given, or derived from the mentor score (ties by id)."""
    given = request.get("preferences")
    if given:
        data = {
            "students": {str(r["id"]): given["students"].get(str(r["id"]), []) for r in members.rotations},
            "mentors": {
                str(m): {"capacity": _seats(d, members.taken.get(str(m), 0)), "prefs": given["mentors"].get(str(m), [])}
                for m, d in members.mentors.items()
            },
        }
        try:
            return parse_cohort(data)
        except CohortInputError as exc:
            raise RoundError(f"the preferences do not fit the round: {exc}") from None
    students: list[tuple[RotationInput, ProfileInput]] = []
    for r in members.rotations:
        hospital = hospitals.lookup(r["hospital_id"])
        profile = domain.profile_input(r["id"], members.students.get(r["student_id"]))  # the rotation is the student
        students.append((domain.rotation_input(r, hospital), profile))
    mentors = [domain.profile_input(m, d) for m, d in members.mentors.items()]
    return cohort_from_profiles(
        students,
        mentors,
        hospitals=members.hospitals,
        mentee_counts=members.taken,
        list_length=request.get("list_length"),
        progress=lambda done, total: progress.set("preferences", done, total),
    )


def compute(
    members: Members, request: dict[str, Any], proposing: str, progress: Progress
) -> tuple[Cohort, CohortResult]:
    """Build the lists and run the round (in a worker thread: numpy, no I/O)."""
    progress.set("preferences", 0, len(members.rotations))
    cohort = build_cohort(members, request, progress)
    progress.set("matching", 0, len(cohort.student_ids))
    result = run_round(
        cohort,
        proposing="mentors" if proposing == "mentors" else "students",
        progress=lambda rounds, free, proposals: progress.set(
            "matching", len(cohort.student_ids) - free, len(cohort.student_ids)
        ),
    )
    progress.set("saving", 0, len(cohort.student_ids))
    return cohort, result


def ranks(cohort: Cohort, result: CohortResult) -> dict[str, int]:
    """Each matched rotation's place for its mentor on its own list (1 = first choice)."""
    m_index = {m: i for i, m in enumerate(cohort.mentor_ids)}
    found = {}
    for s, sid in enumerate(cohort.student_ids):
        mentor = result.assignment[sid]
        if mentor is not None:
            found[sid] = int(np.flatnonzero(cohort.students.row(s) == m_index[mentor])[0]) + 1
    return found


# --- the chart ------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_chart_svg(choice_counts: dict[str, int], unmatched: int, *, max_bars: int = 10) -> str:
    """A bar chart of how many rotations got their 1st, 2nd, ... choice, and unmatched.
    Choices past ``max_bars`` share one bar. Self-contained SVG, no script, no fonts."""
    counts = [(int(k), v) for k, v in choice_counts.items()]
    counts.sort()
    bars = [(f"{_ordinal(k)}", v) for k, v in counts if k < max_bars]
    rest = sum(v for k, v in counts if k >= max_bars)
    if rest:
        bars.append((f"{_ordinal(max_bars)}+", rest))
    bars.append(("none", unmatched))
    # At least as wide as the heading line (~7.5 px a character at 14 px): with two bars
    # the chart was 172 px wide and cut its own title off.
    width, height, top, bottom, left = max(60 + 56 * len(bars), 400), 260, 40, 40, 40
    tallest = max(v for _, v in bars) or 1
    plot = height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' role="img" aria-labelledby="title">',
        '<title id="title">Rotations by the rank of the mentor they were matched to</title>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{left}" y="22" font-family="sans-serif" font-size="14" fill="#1a1a1a">'
        "Matched to their n-th choice (none: unmatched)</text>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" y2="{height - bottom}" stroke="#555"/>',
    ]
    for i, (label, value) in enumerate(bars):
        h = round(plot * value / tallest)
        x = left + 8 + 56 * i
        y = height - bottom - h
        colour = "#9b2c2c" if label == "none" else "#1f5f99"
        parts += [
            f'<rect x="{x}" y="{y}" width="40" height="{h}" fill="{colour}">'
            f"<title>{escape(label)}: {value}</title></rect>",
            f'<text x="{x + 20}" y="{y - 4}" text-anchor="middle" font-family="sans-serif" font-size="12"'
            f' fill="#1a1a1a">{value}</text>',
            f'<text x="{x + 20}" y="{height - bottom + 16}" text-anchor="middle" font-family="sans-serif"'
            f' font-size="12" fill="#1a1a1a">{escape(label)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)
