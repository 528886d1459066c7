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
    prim_sequence,
    quasi_p,
    runs_of_interest,
)
from impl_sim.analysis.discovery_ema import planted_box


def planted(n: int = 1500, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Failure is common (90 %) where turnover > 0.6 and proactive < 1.5, rare (5 %) elsewhere."""
    return planted_box(n, seed)


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
    result = prim(data, fails, min_density=0.5, pasting=False, prune=0, max_p=None)
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


# --- significance, stability, selection, sequences (issue 14) ------------------------------


def test_quasi_p_is_tiny_for_a_planted_restriction_and_large_for_a_noise_one():
    data, fails = planted()
    result = prim(data, fails)
    assert result.quasi_p["therapists.annual_turnover"] < 0.01
    assert result.quasi_p["leaders.proactive"] < 0.01
    # the same box with a restriction on a dimension that does not matter
    noisy = result.box.copy()
    noisy.limits["therapists.motivation_mean"] = (0.3, np.inf)
    assert quasi_p(noisy, "therapists.motivation_mean", data, fails) > 0.1


@pytest.mark.parametrize("min_density", [0.4, 0.55, 0.7])
def test_min_density_is_honoured_after_pasting_and_pruning(min_density):
    # a fuzzy box: density rises slowly with peeling, so pruning would otherwise undercut it
    rng = np.random.default_rng(11)
    n = 1500
    data = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n),
                         "c": rng.uniform(0, 1, n)})
    rate = 0.05 + 0.9 * data["a"] ** 2 * (1 - data["b"])
    fails = rng.random(n) < rate
    result = prim(data, fails, min_density=min_density, prune=0.3)
    assert max(b.density for b in result.trajectory) >= min_density  # reachable
    assert result.box.density >= min_density
    assert result.meets_min_density


def test_an_unreachable_min_density_is_said_not_faked():
    data, fails = planted(600)
    result = prim(data, fails, min_density=1.01)
    assert not result.meets_min_density
    assert "No box on the trajectory reaches the requested density" in describe(result, "x < 1")


def test_non_significant_restrictions_are_lifted():
    data, fails = planted()
    # the densest boxes at the end of a long peel pick up restrictions on noise dimensions
    kept = prim(data, fails, prune=0, max_p=None, pasting=False, min_mass=0.01, min_density=1)
    tested = prim(data, fails, prune=0, max_p=0.05, pasting=False, min_mass=0.01,
                  step=kept.chosen_step)
    assert any(kept.quasi_p[n] > 0.05 for n in kept.restricted)
    assert set(tested.restricted) < set(kept.restricted)
    assert all(tested.quasi_p[n] <= 0.05 for n in tested.restricted)
    assert set(tested.dropped) == set(kept.restricted) - set(tested.restricted)
    assert {"therapists.annual_turnover", "leaders.proactive"} <= set(tested.restricted)


def test_a_box_can_be_chosen_by_its_step_on_the_trajectory():
    data, fails = planted()
    result = prim(data, fails, pasting=False, prune=0, max_p=None, step=5)
    assert result.chosen_step == 5
    assert result.box.limits == result.trajectory[5].limits
    other = result.select(len(result.trajectory) - 1)
    assert other.chosen_step == len(result.trajectory) - 1
    assert other.box.mass < result.box.mass
    with pytest.raises(ValueError, match="step must lie between 0 and"):
        prim(data, fails, step=len(result.trajectory))


def test_resampling_finds_the_planted_dimensions_stable_and_the_noise_not():
    data, fails = planted()
    result = prim(data, fails, resamples=10, seed=1)
    assert result.reproducibility["therapists.annual_turnover"] >= 0.9
    assert result.reproducibility["leaders.proactive"] >= 0.9
    assert result.reproducibility["therapists.motivation_mean"] <= 0.5
    assert len(result.resample_dims) == 10
    again = prim(data, fails, resamples=10, seed=1)
    assert again.reproducibility == result.reproducibility
    text = describe(result, "x < 1")
    assert "restricted in 10 of 10 resamples" in text and "quasi-p < 0.001" in text


def test_a_sequence_of_boxes_finds_two_planted_failure_modes():
    rng = np.random.default_rng(8)
    n = 2500
    data = pd.DataFrame({"turnover": rng.uniform(0, 1, n), "proactive": rng.uniform(0, 4, n),
                         "motivation": rng.uniform(0, 1, n), "noise": rng.uniform(0, 1, n)})
    first = (data["turnover"] > 0.7) & (data["proactive"] < 1.5)
    second = data["motivation"] < 0.15
    fails = np.where(first | second, rng.random(n) < 0.9, rng.random(n) < 0.03)
    boxes = prim_sequence(data, fails, n_boxes=3, min_density=0.8)
    found = [set(b.restricted) for b in boxes[:2]]
    assert {"turnover", "proactive"} in found and {"motivation"} in found
    assert sum(b.coverage_of_all for b in boxes) <= 1 + 1e-9
    # later boxes count coverage against all runs of interest
    assert boxes[1].total_of_interest == int(fails.sum())


def test_trajectory_as_data_matches_the_boxes():
    data, fails = planted(800)
    result = prim(data, fails)
    frame = result.trajectory_frame()
    assert len(frame) == len(result.trajectory)
    assert frame["coverage"].tolist() == [b.coverage for b in result.trajectory]
    assert frame["n_restricted"].iloc[0] == 0 and frame["n_restricted"].iloc[-1] >= 2


def test_discover_on_results_reports_boxes_with_significance_and_stability():
    from impl_sim.analysis.discovery import discover
    from impl_sim.experiment.store import Results

    data, fails = planted(1000)
    summary = data.assign(arm="baseline", point=range(len(data)), replication=0,
                          sustainment_24m=np.where(fails, 0.1, 0.7))
    summary.loc[3, "sustainment_24m"] = np.nan
    results = Results(None, {"arms": ["baseline"], "design_parameters": list(data.columns)},
                      summary)
    report = discover(results, "sustainment_24m", below=0.3, resamples=4)
    assert report.left_out == 1 and report.n_runs == 999
    table = report.table()
    assert set(table["parameter"]) == {"therapists.annual_turnover", "leaders.proactive"}
    assert (table["quasi_p"] < 0.01).all() and (table["reproducibility"] >= 0.75).all()
    assert "quasi-p" in report.text() and "of 4 resamples" in report.text()
    assert report.as_json()["boxes"][0]["restrictions"][0]["quasi_p"] < 0.01
    with pytest.raises(ValueError, match="not in these results"):
        discover(results, "adoption", below=0.3)


def test_ema_workbench_prim_recovers_the_same_planted_box():
    ema = pytest.importorskip("ema_workbench")
    if int(ema.__version__.split(".")[0]) >= 3:  # 3.x (Python 3.12+) changed Prim's arguments
        pytest.skip(f"the adapter speaks EMA Workbench 2.x's Prim API, not {ema.__version__}")
    from impl_sim.analysis.discovery_ema import ema_prim_box

    data, fails = planted()
    ours = prim(data, fails, min_density=0.8)
    theirs = ema_prim_box(data, fails, min_density=0.8)
    assert set(theirs["restricted"]) == set(ours.restricted)
    assert theirs["restricted"]["therapists.annual_turnover"][0] == pytest.approx(
        ours.box.limits["therapists.annual_turnover"][0], abs=0.05)
    assert theirs["restricted"]["leaders.proactive"][1] == pytest.approx(
        ours.box.limits["leaders.proactive"][1], abs=0.2)
    assert all(p < 0.01 for p in theirs["quasi_p"].values())
    assert theirs["density"] >= 0.8 and ours.box.density >= 0.8
