"""The cohort round from a file: output, report, errors that name the problem, progress."""

from __future__ import annotations

import functools
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.matching.engine import cohort
from services.matching.engine.cohort_input import CohortInputError, parse_cohort
from services.matching.engine.cohort_round import run_round, without_pairs

ROOT = Path(__file__).resolve().parents[2]

# The NRMP's worked example ("How the Matching Algorithm Works"), with ids.
NRMP: dict[str, Any] = {
    "students": {
        "arthur": ["city"],
        "sunny": ["city", "mercy"],
        "joseph": ["city", "general", "mercy"],
        "latha": ["mercy", "city", "general"],
        "darrius": ["city", "mercy", "general"],
    },
    "mentors": {
        "mercy": {"capacity": 2, "prefs": ["darrius", "joseph"]},
        "city": {"capacity": 2, "prefs": ["darrius", "arthur", "sunny", "latha", "joseph"]},
        "general": {"capacity": 2, "prefs": ["darrius", "arthur", "joseph", "latha"]},
    },
}


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cohort.main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_runs_a_round_from_a_file_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = tmp_path / "in.json", tmp_path / "out.json"
    source.write_text(json.dumps(NRMP))
    status, out, err = run([str(source), "-o", str(target)], capsys)
    assert status == 0 and out == ""
    result = json.loads(target.read_text())
    assert result["assignment"] == {
        "arthur": "city",
        "sunny": None,
        "joseph": "general",
        "latha": "general",
        "darrius": "city",
    }
    assert result["unmatched"] == ["sunny"]
    assert result["unfilled"] == {"mercy": 2}
    report = result["report"]
    assert (report["matched"], report["unmatched"], report["seats"], report["unfilled_seats"]) == (
        4,
        1,
        6,
        2,
    )
    assert report["choice_counts"] == {"1": 2, "2": 1, "3": 1}
    assert report["blocking_pairs"] == 0 and report["stable"] is True
    assert "matched 4 of 5 students" in err and "blocking pairs: 0" in err


def test_mentor_proposing_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Gale and Shapley (1962), Example 1: the proposing side gets its first choices.
    data = {
        "students": {"a": ["A", "B", "C"], "b": ["B", "C", "A"], "c": ["C", "A", "B"]},
        "mentors": {
            "A": {"capacity": 1, "prefs": ["b", "c", "a"]},
            "B": {"capacity": 1, "prefs": ["c", "a", "b"]},
            "C": {"capacity": 1, "prefs": ["a", "b", "c"]},
        },
    }
    source = tmp_path / "gs.json"
    source.write_text(json.dumps(data))
    status, out, _ = run([str(source), "-q"], capsys)
    assert status == 0 and json.loads(out)["assignment"] == {"a": "A", "b": "B", "c": "C"}
    status, out, err = run([str(source), "--proposing", "mentors", "-q"], capsys)
    assert status == 0 and err == ""
    result = json.loads(out)
    assert result["assignment"] == {"a": "C", "b": "A", "c": "B"}
    assert result["report"]["proposing"] == "mentors"
    assert result["report"]["choice_counts"] == {"1": 0, "2": 0, "3": 3}


def bad(**changes: Any) -> str:
    data = json.loads(json.dumps(NRMP))
    for path, value in changes.items():
        *keys, last = path.split("__")
        node = data
        for key in keys:
            node = node[key]
        node[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            bad(students__arthur=["city", "county"]),
            "students['arthur'][1]: unknown mentor 'county'",
        ),
        (
            bad(mentors__city__prefs=["darrius", "nobody"]),
            "mentors['city'].prefs[1]: unknown student 'nobody'",
        ),
        (
            bad(students__sunny=["city", "mercy", "city"]),
            "students['sunny'] lists mentor 'city' twice",
        ),
        (bad(mentors__mercy__prefs=["joseph", "joseph"]), "lists student 'joseph' twice"),
        (bad(mentors__mercy__capacity=-1), "mentors['mercy'].capacity is -1; it must be 0 or more"),
        (bad(mentors__mercy__capacity=1.5), "mentors['mercy'].capacity must be a whole number"),
        (bad(mentors__mercy__capacity=True), "must be a whole number, not true"),
        (bad(mentors__mercy=["darrius"]), "mentors['mercy'] must be {\"capacity\": n"),
        (bad(students__arthur="city"), "students['arthur'] must be a list of mentor ids"),
        (bad(students__arthur=[3]), "students['arthur'][0] must be a mentor id (a string)"),
        (bad(students=["arthur"]), "'students' must be an object"),
        (bad(extra={}), "unexpected key 'extra' at the top level"),
        (bad(mentors__city__seats=2), "mentors['city'] has unexpected key 'seats'"),
        ('{"students": {}}', "'mentors' must be an object mapping each mentor id"),
        ("[1, 2]", "the input must be an object"),
        (
            '{"students": {"s": []}, "mentors": {"m": {"prefs": []}}}',
            "mentors['m'] has no 'capacity'",
        ),
        (
            '{"students": {"s": [], "s": []}, "mentors": {}}',
            "students: id 's' appears more than once",
        ),
        ('{"students": {', "not valid JSON"),
        ("[" * 100_000, "JSON nested too deeply"),
    ],
)
def test_bad_files_get_a_clear_error_and_status_2(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(text)
    status, out, err = run([str(source)], capsys)
    assert status == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert err.startswith(f"error: {source}")


def test_several_problems_are_listed_together() -> None:
    with pytest.raises(CohortInputError) as caught:
        parse_cohort({"students": {"s": ["x", "y"]}, "mentors": {"m": {"capacity": -2, "prefs": []}}})
    assert len(caught.value.problems) == 3
    assert str(caught.value).startswith("3 problems:")


def test_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run([str(tmp_path / "missing.json")], capsys)
    assert status == 2 and "cannot read" in err and "No such file" in err
    latin = tmp_path / "latin1.json"
    latin.write_bytes(b'{"students": {"\xe9": []}, "mentors": {}}')
    status, _, err = run([str(latin)], capsys)
    assert status == 2 and "not UTF-8 text" in err
    source = tmp_path / "ok.json"
    source.write_text(json.dumps(NRMP))
    status, _, err = run([str(source), "-o", str(tmp_path / "no" / "such" / "dir.json")], capsys)
    assert status == 1 and "cannot write" in err


def test_module_entry_point(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps(NRMP))
    command = [sys.executable, "-m", "services.matching.engine.cohort"]
    done = subprocess.run([*command, str(source)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["report"]["matched"] == 4
    source.write_text(bad(mentors__mercy__capacity=-1))
    done = subprocess.run([*command, str(source)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "capacity is -1" in done.stderr and "Traceback" not in done.stderr


def test_a_long_round_shows_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(0)
    students = {f"s{i}": rng.sample([f"m{j}" for j in range(30)], 10) for i in range(300)}
    mentors = {f"m{j}": {"capacity": rng.randint(1, 5), "prefs": rng.sample(sorted(students), 200)} for j in range(30)}
    source = tmp_path / "big.json"
    source.write_text(json.dumps({"students": students, "mentors": mentors}))
    # What counts as "long" is a second; make it zero so this small round reports too.
    monkeypatch.setattr(cohort, "_Progress", functools.partial(cohort._Progress, delay=0.0, every=0.0))
    status, _, err = run([str(source), "-o", str(tmp_path / "out.json")], capsys)
    assert status == 0
    lines = err.splitlines()
    assert any("read 300 students, 30 mentors" in line for line in lines)
    assert any("round 1:" in line for line in lines)
    assert "blocking pairs: 0" in lines[-1]
    status, _, err = run([str(source), "-q", "-o", str(tmp_path / "out.json")], capsys)
    assert status == 0 and err == ""


def test_progress_waits_a_second_before_speaking() -> None:
    stream = io.StringIO()
    say = cohort._Progress(stream, enabled=True)
    say("early")
    assert stream.getvalue() == ""
    say("summary", always=True)
    assert "summary" in stream.getvalue()


def test_report_counts_choices_from_parsed_input() -> None:
    result = run_round(parse_cohort(NRMP))
    assert result.report["choice_counts"] == {"1": 2, "2": 1, "3": 1}
    assert result.to_json()["assignment"]["sunny"] is None


def test_the_rank_chart_has_a_bar_per_choice_and_one_for_the_unmatched() -> None:
    from xml.etree import ElementTree

    from services.matching.domain.rounds import rank_chart_svg

    svg = ElementTree.fromstring(rank_chart_svg({"1": 40, "2": 10, "3": 5, "12": 2, "11": 1}, 7, max_bars=10))
    bars = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.find("{*}title") is not None]
    titles = [b.find("{*}title").text for b in bars]  # type: ignore[union-attr]
    assert titles == ["1st: 40", "2nd: 10", "3rd: 5", "10th+: 3", "none: 7"]
    heights = [int(b.get("height", "0")) for b in bars]
    assert heights[0] == max(heights) and heights[1] * 4 == heights[0]  # proportional to the counts


def test_a_month_is_its_first_day_up_to_the_next_months() -> None:
    from datetime import date

    from services.matching.domain.rounds import month_range

    assert month_range("2027-12") == (date(2027, 12, 1), date(2028, 1, 1))
    assert month_range("2028-02") == (date(2028, 2, 1), date(2028, 3, 1))


def test_pairs_kept_apart_are_never_matched_and_never_blocking() -> None:
    """A pair off both lists (a block) is impossible: the round gives each side another
    partner or none, stable on what is left; the rest of every list keeps its order."""
    apart = [("darrius", "city"), ("arthur", "city")]
    cohort = without_pairs(parse_cohort(NRMP), apart)
    students = dict(zip(cohort.student_ids, cohort.students.to_lists(), strict=True))
    mentors = dict(zip(cohort.mentor_ids, cohort.mentors.to_lists(), strict=True))
    city, mercy, general = (cohort.mentor_ids.index(m) for m in ("city", "mercy", "general"))
    darrius, arthur = (cohort.student_ids.index(s) for s in ("darrius", "arthur"))
    assert students["darrius"] == [mercy, general] and students["arthur"] == []
    assert darrius not in mentors["city"] and arthur not in mentors["city"]
    assert students["latha"] == [mercy, city, general]  # untouched
    assert cohort.students.problems() == [] and cohort.mentors.problems() == []
    result = run_round(cohort)
    assert result.assignment["darrius"] == "mercy" and result.assignment["arthur"] is None
    assert all((s, m) not in apart for s, m in result.assignment.items())
    assert result.report["blocking_pairs"] == 0 and result.report["stable"] is True
    # Nothing apart, or ids not in the round: the same cohort.
    assert without_pairs(cohort, []) is cohort and without_pairs(cohort, [("nobody", "city")]) is cohort
