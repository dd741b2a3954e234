"""Run a cohort match round from a file.

    python -m services.matching.engine.cohort INPUT.json [-o OUTPUT.json] [--proposing mentors]

INPUT is ``{"students": {"s1": ["m2", "m1"], ...}, "mentors": {"m1": {"capacity": 2,
"prefs": ["s1", ...]}, ...}}`` ("-" reads standard input). The output (standard output
unless ``-o``) is ``{"assignment": {"s1": "m2", "s3": null, ...}, "unmatched": [...],
"unfilled": {"m1": 1, ...}, "report": {...}}``. A summary goes to stderr, and progress
too when the round runs for more than a second. Exit status: 0 done; 2 the input is
unreadable or invalid (the message names the problem); 1 the output could not be
written, or the independent check found the result unstable (a bug: never expected).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from services.matching.engine.cohort_input import CohortInputError, load_cohort
from services.matching.engine.cohort_round import run_round


class _Progress:
    """Timestamped lines on stderr, only once a run is slow, and at most twice a second."""

    def __init__(self, stream: TextIO, enabled: bool, delay: float = 1.0, every: float = 0.5):
        self.stream, self.enabled, self.delay, self.every = stream, enabled, delay, every
        self.start = time.monotonic()
        self.last = float("-inf")

    def __call__(self, message: str, *, always: bool = False) -> None:
        now = time.monotonic()
        slow = now - self.start >= self.delay and now - self.last >= self.every
        if self.enabled and (always or slow):
            self.last = now
            print(f"[{now - self.start:7.1f}s] {message}", file=self.stream, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.matching.engine.cohort",
        description="Stable cohort match of students to mentors (deferred acceptance).",
    )
    parser.add_argument("input", metavar="INPUT.json", help='the round to run; "-" for stdin')
    parser.add_argument("-o", "--output", metavar="OUTPUT.json", help="write the result here (default: stdout)")
    parser.add_argument(
        "--proposing",
        choices=("students", "mentors"),
        default="students",
        help="who proposes: students (student-optimal, the default) or mentors",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on stderr")
    return parser


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    say = _Progress(sys.stderr, enabled=not args.quiet)
    name = "standard input" if args.input == "-" else args.input
    try:
        cohort = load_cohort(_read(args.input))
    except OSError as error:
        print(f"error: cannot read {name}: {error.strerror or error}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"error: {name} is not UTF-8 text", file=sys.stderr)
        return 2
    except CohortInputError as error:
        print(f"error: {name}: {error}", file=sys.stderr)
        return 2
    entries = len(cohort.students.targets) + len(cohort.mentors.targets)
    say(f"read {len(cohort.student_ids):,} students, {len(cohort.mentor_ids):,} mentors, {entries:,} list entries")
    result = run_round(
        cohort,
        proposing=args.proposing,
        progress=lambda rounds, free, proposals: say(
            f"round {rounds:,}: {proposals:,} proposals so far, {free:,} still proposing"
        ),
    )
    report = result.report
    text = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
    except OSError as error:
        print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    firsts = report["choice_counts"].get("1", 0)
    say(
        f"matched {report['matched']:,} of {report['students']:,} students "
        f"({report['unmatched']:,} unmatched, {firsts:,} got their first choice); "
        f"{report['unfilled_seats']:,} seats unfilled; blocking pairs: {report['blocking_pairs']}",
        always=True,
    )
    if not report["stable"]:
        print(
            "error: the independent check found this matching unstable; please report it",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
