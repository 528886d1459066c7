"""First guard: a default run completes and its shares are shares."""

import math

from impl_sim import Params, run_one
from impl_sim.model.outcomes import OUTCOMES


def test_default_run_gives_every_outcome_and_shares_lie_in_unit_interval():
    result = run_one(Params(), seed=1)
    assert set(result.summary) == set(OUTCOMES)
    for name, outcome in OUTCOMES.items():
        value = result.summary[name]
        if outcome.share and not math.isnan(value):
            assert 0.0 <= value <= 1.0, name


def test_same_seed_gives_identical_results_and_different_seeds_differ():
    a = run_one(Params(), seed=7)
    b = run_one(Params(), seed=7)
    c = run_one(Params(), seed=8)
    assert a.summary == b.summary
    assert a.summary != c.summary
