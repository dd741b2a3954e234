"""bench/search.py's CPU model: the ratio its hop table predicts, and the ceiling that the
gateway and nats-server alone put on it."""

from __future__ import annotations

import pytest

from bench.search import ceiling

# Run g1's hop table (README): ms of CPU per request.
THROUGH = {"gateway": 0.107, "listings": 0.196, "nats-server": 0.059, "postgres": 0.292, "load generator": 0.02}
BASELINE = {"baseline": 0.152, "postgres": 0.254, "load generator": 0.02}


def test_the_ceiling_adds_only_the_gateway_and_nats_to_the_baseline() -> None:
    model = ceiling(THROUGH, BASELINE)
    assert model["gateway_and_nats_ms"] == pytest.approx(0.166)
    assert model["predicted"] == pytest.approx(0.426 / 0.674, abs=0.001)
    assert model["ceiling"] == pytest.approx(0.426 / (0.426 + 0.166), abs=0.001)
    # Whatever the service costs, the ceiling stays put: it is the architecture's share.
    leaner = {**THROUGH, "listings": 0.0}
    assert ceiling(leaner, BASELINE)["ceiling"] == model["ceiling"]
    assert ceiling(leaner, BASELINE)["predicted"] > model["predicted"]


def test_an_empty_round_gives_zeros_not_a_division_error() -> None:
    assert ceiling({}, BASELINE)["ceiling"] == 0.0
    assert ceiling(THROUGH, {})["predicted"] == 0.0
