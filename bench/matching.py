"""Benchmark of the matching engine on synthetic cohorts.

Two rounds, each in its own process so that its peak memory is its own:

* ``10k``: 10,000 students, 2,000 mentors with capacities 1-8, full preference lists
  on both sides derived from the mentor score;
* ``50k``: an NRMP-sized round, 50,000 students and 6,600 mentors with capacities
  1-12 (about 43,000 seats); each student ranks the 15 best-scoring mentors of their
  rotation's specialty, each mentor ranks the students who ranked it.

For each: seconds to build the preferences (encode profiles, score, rank), seconds to
match (student-proposing deferred acceptance), peak memory (the process's peak
resident set size from ``getrusage``, which counts everything: the interpreter,
numpy, the synthetic profiles; tracemalloc would see numpy's buffers too, but slows
every Python allocation), matched count and blocking pairs from the independent
checker (the run fails if there is any). Times are wall-clock, with the CPU time
beside them, since other work on the machine stretches wall-clock time. The last
line is ``RESULT {json}``; its times include building the preferences.

    .venv/bin/python bench/matching.py            # both rounds
    .venv/bin/python bench/matching.py --round 10k
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench import room_matches
from bench.lib.common import scratch_dir
from bench.lib.load import add_load_arguments
from services.matching.engine.deferred_acceptance import deferred_acceptance
from services.matching.engine.derive import derive_preferences
from services.matching.engine.models import HospitalInput, ProfileInput, RotationInput
from services.matching.engine.score_matrix import encode
from services.matching.engine.stability import check_stability


@dataclass(frozen=True)
class Round:
    students: int
    mentors: int
    capacity: tuple[int, int]
    list_length: int | None  # None: full lists over every mentor


ROUNDS = {
    "10k": Round(10_000, 2_000, (1, 8), None),
    "50k": Round(50_000, 6_600, (1, 12), 15),
}
SPECIALTIES = [  # rough popularity, most common first
    "internal medicine",
    "family medicine",
    "pediatrics",
    "emergency medicine",
    "psychiatry",
    "general surgery",
    "anesthesiology",
    "obstetrics and gynecology",
    "neurology",
    "radiology",
    "cardiology",
    "orthopedic surgery",
    "pathology",
    "dermatology",
    "ophthalmology",
    "otolaryngology",
    "urology",
    "physical medicine and rehabilitation",
    "oncology",
    "geriatrics",
]
COUNTRIES = ["US"] * 14 + ["IN", "NG", "PK", "PH", "EG", "GB", "CA", "MX", "JM", "IR", "GH"]
LANGUAGES = ["es", "yo", "ig", "hi", "ur", "tl", "ar", "fr", "zh", "vi", "ko", "pt", "ru", "fa"]
HOBBIES = [
    "running",
    "chess",
    "hiking",
    "cooking",
    "piano",
    "guitar",
    "soccer",
    "basketball",
    "photography",
    "reading",
    "yoga",
    "cycling",
    "swimming",
    "painting",
    "gaming",
    "climbing",
    "baking",
    "dancing",
    "tennis",
    "film",
    "travel",
    "gardening",
    "writing",
    "volunteering",
    "board games",
]
ORGANIZATIONS = ["amwa", "nma", "amga", "ama", "amsa", "snma", "lmsa", "apamsa", "acp", "aafp"]


def synthetic_cohort(
    n_students: int, n_mentors: int, capacity: tuple[int, int], seed: int = 2024
) -> tuple[list[tuple[RotationInput, ProfileInput]], list[ProfileInput], dict[str, HospitalInput]]:
    rng = random.Random(seed)
    hospitals: dict[str, HospitalInput] = {}
    metros: list[list[str]] = []
    for city in range(60):  # 60 metro areas of 5 hospitals each across the contiguous US
        lat, lon = rng.uniform(26, 48), rng.uniform(-122, -71)
        metro = []
        for j in range(5):
            h = HospitalInput(
                f"h{city:02d}{j}",
                f"HOSPITAL {city}-{j}",
                lat + rng.gauss(0, 0.08),
                lon + rng.gauss(0, 0.1),
            )
            hospitals[h.id] = h
            metro.append(h.id)
        metros.append(metro)
    schools = [(f"School of Medicine {i}", rng.choice(COUNTRIES)) for i in range(150)]
    spec_weights = [1 / (i + 2) for i in range(len(SPECIALTIES))]

    def person(pid: str, specialties: frozenset[str]) -> ProfileInput:
        school, country = rng.choice(schools)
        return ProfileInput(
            pid,
            medical_school=school,
            school_country=country,
            graduation_year=rng.randint(1990, 2027),
            languages=frozenset(["en", *rng.sample(LANGUAGES, rng.randint(0, 2))]),
            specialties=specialties,
            hobbies=frozenset(rng.sample(HOBBIES, rng.randint(0, 3))),
            organizations=frozenset(rng.sample(ORGANIZATIONS, rng.randint(0, 2))),
        )

    mentors = []
    for i in range(n_mentors):
        specs = frozenset(rng.choices(SPECIALTIES, spec_weights, k=rng.randint(1, 2)))
        metro = rng.choice(metros)
        mentors.append(
            replace(
                person(f"m{i:05d}", specs),
                profession="physician",
                hospital_ids=frozenset(rng.sample(metro, rng.randint(1, 2))),
                open_to_mentoring=True,
                mentoring_capacity=rng.randint(*capacity),
            )
        )
    students = []
    start = date(2025, 3, 3)
    for i in range(n_students):
        specialty = rng.choices(SPECIALTIES, spec_weights)[0]
        interests = {specialty} if rng.random() < 0.6 else set()
        interests |= set(rng.sample(SPECIALTIES, rng.randint(0, 1)))
        hospital = hospitals[rng.choice(rng.choice(metros))]
        first = start + timedelta(weeks=rng.randint(0, 20))
        rotation = RotationInput(hospital, specialty, first, first + timedelta(weeks=4), 1500)
        students.append((rotation, person(f"s{i:05d}", frozenset(interests))))
    return students, mentors, hospitals


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_round(name: str) -> dict[str, float | int]:
    spec = ROUNDS[name]
    students, mentors, hospitals = synthetic_cohort(spec.students, spec.mentors, spec.capacity)
    capacity = np.array([m.mentoring_capacity for m in mentors], dtype=np.int64)
    c0, t0 = time.process_time(), time.perf_counter()
    s_table, m_table = encode(students, mentors, hospitals)
    s_lists, m_lists = derive_preferences(
        s_table, m_table, list_length=spec.list_length, same_specialty=spec.list_length is not None
    )
    t1 = time.perf_counter()
    result = deferred_acceptance(s_lists, m_lists, capacity)
    t2, c2 = time.perf_counter(), time.process_time()
    report = check_stability(s_lists, m_lists, capacity, result.mentor_of)
    t3 = time.perf_counter()
    matched = int(np.count_nonzero(result.mentor_of >= 0))
    return {
        "students": len(students),
        "mentors": len(mentors),
        "seats": int(capacity.sum()),
        "entries": len(s_lists.targets) + len(m_lists.targets),
        "build_s": t1 - t0,
        "match_s": t2 - t1,
        "total_s": t2 - t0,
        "cpu_s": c2 - c0,
        "check_s": t3 - t2,
        "rounds": result.rounds,
        "proposals": result.proposals,
        "peak_mib": peak_mib(),
        "matched": matched,
        "unmatched": len(students) - matched,
        "blocking_pairs": report.blocking_pairs,
        "valid": int(report.ok),
    }


def room_match_load(args: argparse.Namespace) -> dict[str, float]:
    """``bench/room_matches.py`` on a fresh system in a temporary folder, stopped after."""
    with scratch_dir("wardmate-bench-rooms-", keep=args.keep) as (data_dir, cleanup):
        return room_matches.run(args, data_dir, cleanup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", choices=sorted(ROUNDS), help="run one round in-process")
    parser.add_argument("--rooms-only", action="store_true", help="only the room-match load (no rounds)")
    parser.add_argument("--listings", type=int, default=100_000, help="listings in the room-match run")
    parser.add_argument("--hosts", type=int, default=25_000)
    add_load_arguments(parser, connections=16, connections_help="concurrency of the room-match load")
    parser.add_argument("--keep", action="store_true", help="keep the room-match run's data folder")
    args = parser.parse_args()
    if args.round:
        print(json.dumps(run_round(args.round)))
        return
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs when started (other work stretches wall-clock times)")
    rooms = room_match_load(args)
    if args.rooms_only:
        print("RESULT " + json.dumps(rooms))
        return
    results = {}
    for name in ROUNDS:
        done = subprocess.run([sys.executable, __file__, "--round", name], check=True, capture_output=True, text=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results[name] = r
        print(
            f"round {name}: {r['students']:,} students, {r['mentors']:,} mentors, "
            f"{r['seats']:,} seats, {r['entries']:,} list entries"
        )
        print(
            f"  build preferences {r['build_s']:.2f} s, match {r['match_s']:.2f} s "
            f"({r['rounds']} rounds, {r['proposals']:,} proposals), "
            f"total {r['total_s']:.2f} s ({r['cpu_s']:.2f} s of CPU); peak RSS {r['peak_mib']:.0f} MiB"
        )
        print(
            f"  matched {r['matched']:,}, unmatched {r['unmatched']:,}; "
            f"blocking pairs {r['blocking_pairs']} (checked in {r['check_s']:.2f} s)"
        )
    summary = {
        "round_10k_s": round(results["10k"]["total_s"], 3),
        "round_10k_peak_mib": round(results["10k"]["peak_mib"], 1),
        "round_50k_s": round(results["50k"]["total_s"], 3),
        "round_50k_peak_mib": round(results["50k"]["peak_mib"], 1),
        "blocking_pairs": results["10k"]["blocking_pairs"] + results["50k"]["blocking_pairs"],
        **rooms,
    }
    print("RESULT " + json.dumps(summary))
    if summary["blocking_pairs"] or not all(r["valid"] for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
