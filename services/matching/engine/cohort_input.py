"""Reading a cohort round from JSON, with errors that name the problem.

The shape::

    {"students": {"s1": ["m2", "m1"], ...},
     "mentors": {"m1": {"capacity": 2, "prefs": ["s1", ...]}, ...}}

Each list is strict and may be incomplete: whoever is left off is unacceptable.
Refused, each with a message naming where: a shape other than this, an unknown id,
an id listed twice in one list, an id used twice as a key, a capacity that is not a
whole number or is below 0, an unexpected key. Up to 20 problems are reported at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from services.matching.engine.bulk import gc_paused
from services.matching.engine.cohort_round import Cohort
from services.matching.engine.preferences import PrefLists

_MAX_SHOWN = 20


class CohortInputError(ValueError):
    """The input is not a valid cohort; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:_MAX_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"- {p}" for p in shown] + ([f"... and {more} more"] if more > 0 else [])
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            super().__init__(f"{len(problems)} problems:\n  " + "\n  ".join(lines))


class _Object(dict[str, Any]):
    """A JSON object that remembers keys it saw more than once (json keeps the last)."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    seen: set[str] = set()
    obj.duplicates = []
    for key, _ in pairs:
        if key in seen:
            obj.duplicates.append(key)
        seen.add(key)
    return obj


def load_cohort(text: str) -> Cohort:
    """Parse JSON text into a `Cohort`, or raise `CohortInputError`."""
    try:
        with gc_paused():
            data = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        raise CohortInputError([f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"]) from None
    except RecursionError:
        raise CohortInputError(["not a cohort: JSON nested too deeply"]) from None
    with gc_paused():
        return parse_cohort(data)


def _what(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {json.dumps(value[:40])}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return "a list" if isinstance(value, list) else "an object"


def _ids(value: object, index: Mapping[str, int], where: str, kind: str, problems: list[str]) -> list[int]:
    if not isinstance(value, list):
        problems.append(f"{where} must be a list of {kind} ids, not {_what(value)}")
        return []
    out: list[int] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(f"{where}[{i}] must be a {kind} id (a string), not {_what(item)}")
        elif item not in index:
            problems.append(f"{where}[{i}]: unknown {kind} {item!r}")
        elif item in seen:
            problems.append(f"{where} lists {kind} {item!r} twice (at {seen[item]} and {i})")
        else:
            seen[item] = i
            out.append(index[item])
    return out


def parse_cohort(data: object) -> Cohort:
    """Validate decoded JSON into a `Cohort`, or raise `CohortInputError`."""
    shape = 'an object {"students": {...}, "mentors": {...}}'
    if not isinstance(data, dict):
        raise CohortInputError([f"the input must be {shape}, not {_what(data)}"])
    problems: list[str] = [
        f"unexpected key {k!r} at the top level (only 'students' and 'mentors')"
        for k in data
        if k not in ("students", "mentors")
    ]
    students, mentors = data.get("students"), data.get("mentors")
    if not isinstance(students, dict):
        problems.append(
            "'students' must be an object mapping each student id to a list of mentor ids"
            + ("" if "students" in data else " (it is missing)")
        )
    if not isinstance(mentors, dict):
        problems.append(
            "'mentors' must be an object mapping each mentor id to "
            '{"capacity": n, "prefs": [student ids]}' + ("" if "mentors" in data else " (it is missing)")
        )
    if not isinstance(students, dict) or not isinstance(mentors, dict):
        raise CohortInputError(problems)
    for name, table in (("students", students), ("mentors", mentors)):
        for key in getattr(table, "duplicates", []):
            problems.append(f"{name}: id {key!r} appears more than once")
    s_index = {s: i for i, s in enumerate(students)}
    m_index = {m: i for i, m in enumerate(mentors)}
    s_lists = [_ids(p, m_index, f"students[{s!r}]", "mentor", problems) for s, p in students.items()]
    m_lists: list[list[int]] = []
    capacity: list[int] = []
    for mid, spec in mentors.items():
        where = f"mentors[{mid!r}]"
        m_lists.append([])
        capacity.append(0)
        if not isinstance(spec, dict):
            problems.append(f'{where} must be {{"capacity": n, "prefs": [...]}}, not {_what(spec)}')
            continue
        problems += [
            f"{where} has unexpected key {k!r} (only 'capacity' and 'prefs')"
            for k in spec
            if k not in ("capacity", "prefs")
        ]
        cap = spec.get("capacity")
        if "capacity" not in spec:
            problems.append(f"{where} has no 'capacity'")
        elif not isinstance(cap, int) or isinstance(cap, bool):
            problems.append(f"{where}.capacity must be a whole number, not {_what(cap)}")
        elif cap < 0:
            problems.append(f"{where}.capacity is {cap}; it must be 0 or more")
        else:
            capacity[-1] = cap
        if "prefs" not in spec:
            problems.append(f"{where} has no 'prefs' (its ranked list of student ids)")
        else:
            m_lists[-1] = _ids(spec["prefs"], s_index, f"{where}.prefs", "student", problems)
    if problems:
        raise CohortInputError(problems)
    return Cohort(
        tuple(students),
        tuple(mentors),
        PrefLists.from_lists(s_lists, len(mentors)),
        PrefLists.from_lists(m_lists, len(students)),
        tuple(capacity),
    )
