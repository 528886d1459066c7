"""PRIM scenario discovery: finds planted boxes and says so in plain words."""

import re
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from impl_sim.analysis.discovery import (
    condition_text,
    describe,
    prim,
    runs_of_interest,
)


def planted(n: int = 1500, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Failure is common (90 %) where turnover > 0.6 and proactive < 1.5, rare (5 %) elsewhere."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({
        "therapists.annual_turnover": rng.uniform(0, 0.9, n),
        "leaders.proactive": rng.uniform(0, 4, n),
        "therapists.motivation_mean": rng.uniform(0, 1, n),
        "services.count": rng.integers(1, 6, n),
    })
    inside = (data["therapists.annual_turnover"] > 0.6) & (data["leaders.proactive"] < 1.5)
    fails = np.where(inside, rng.random(n) < 0.9, rng.random(n) < 0.05)
    return data, fails


def test_prim_finds_the_planted_box_and_only_its_dimensions():
    data, fails = planted()
    result = prim(data, fails)
    assert result.restricted == ["therapists.annual_turnover", "leaders.proactive"]
    low, high = result.box.limits["therapists.annual_turnover"]
    assert low == pytest.approx(0.6, abs=0.05) and high == np.inf
    low, high = result.box.limits["leaders.proactive"]
    assert low == -np.inf and high == pytest.approx(1.5, abs=0.2)
    assert result.box.density > 0.8
    assert result.box.coverage > 0.6


def test_plain_words_name_the_dimensions_limits_density_and_coverage():
    data, fails = planted()
    result = prim(data, fails)
    text = describe(result, "sustainment_24m < 0.3")
    assert text.startswith("sustainment_24m < 0.3 in ")
    turnover = re.search(r"therapists\.annual_turnover > ([0-9.]+)", text)
    proactive = re.search(r"leaders\.proactive < ([0-9.]+)", text)
    assert turnover and float(turnover.group(1)) == pytest.approx(0.6, abs=0.05)
    assert proactive and float(proactive.group(1)) == pytest.approx(1.5, abs=0.2)
    assert "motivation" not in text and "services.count" not in text
    assert f"{result.box.density:.0%} of runs where" in text
    assert f"covers {result.box.coverage:.0%} of all such runs" in text


def test_peeling_trades_coverage_for_density():
    data, fails = planted()
    trajectory = prim(data, fails, pasting=False).trajectory
    coverage = [b.coverage for b in trajectory]
    masses = [b.mass for b in trajectory]
    assert coverage[0] == 1.0 and trajectory[0].density == pytest.approx(fails.mean())
    assert all(a >= b for a, b in pairwise(coverage))
    assert all(a > b for a, b in pairwise(masses))
    assert masses[-1] >= 0.05


def test_density_threshold_chooses_the_widest_box_that_reaches_it():
    data, fails = planted()
    result = prim(data, fails, min_density=0.5, pasting=False, prune=0)
    reaching = [b for b in result.trajectory if b.density >= 0.5]
    assert result.box.coverage == max(b.coverage for b in reaching)


def test_categorical_column_is_peeled_by_category():
    rng = np.random.default_rng(5)
    n = 1200
    styles = ["passive_support", "implementation_leadership", "ils_scores"]
    data = pd.DataFrame({"leaders.style": rng.choice(styles, n),
                         "therapists.annual_turnover": rng.uniform(0, 0.9, n)})
    fails = np.where(data["leaders.style"] == "passive_support", rng.random(n) < 0.8,
                     rng.random(n) < 0.05)
    result = prim(data, fails)
    assert result.restricted == ["leaders.style"]
    assert result.box.categories["leaders.style"] == {"passive_support"}
    assert "leaders.style in {passive_support}" in describe(result, "x < 1")


def test_no_runs_of_interest_is_said_plainly():
    data, _ = planted(200)
    result = prim(data, np.zeros(len(data), dtype=bool))
    assert "No run has" in describe(result, "adoption < 0")


def test_runs_of_interest_below_above_and_between_ignore_nan():
    values = pd.Series([0.1, 0.5, np.nan, 0.9])
    assert runs_of_interest(values, 0.3, None).tolist() == [True, False, False, False]
    assert runs_of_interest(values, None, 0.6).tolist() == [False, False, False, True]
    assert runs_of_interest(values, 0.6, 0.3).tolist() == [False, True, False, False]
    assert condition_text("fidelity", 0.6, 0.3) == "0.3 < fidelity < 0.6"
