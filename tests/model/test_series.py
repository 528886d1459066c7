"""Monthly series: metadata for every recorded series, and what each one counts."""

from __future__ import annotations

import numpy as np

from impl_sim import Params, run_one
from impl_sim.experiment.runner import seed_for
from impl_sim.model.cases import ACTIVE, COMPLETED, DROPPED
from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import SERIES, SERIES_INFO, SERIES_UNITS
from impl_sim.model.therapist import State

SMALL = {"services.count": 2, "simulation.horizon_months": 48}


def test_every_recorded_series_has_a_label_unit_and_description():
    series = run_one(Params.from_overrides(SMALL), 1).series
    assert set(series) == set(SERIES_INFO) == set(SERIES) == set(SERIES_UNITS)
    for name, info in SERIES_INFO.items():
        assert info.name == name and info.label and info.unit and info.description


def test_sustainment_is_undefined_until_someone_completes_training():
    params = Params.from_overrides(SMALL)
    series = run_one(params, 2).series
    t = params.training
    end = t.start_month + t.duration_months  # the first cohort completes in this month
    assert np.isnan(series["sustainment"][:end]).all()
    assert (series["trained_in_post"][:end] == 0).all()
    assert not np.isnan(series["sustainment"][end:]).any()
    assert series["trained_in_post"][end] > 0


def test_adopted_ever_counts_adopters_in_post_and_falls_when_they_leave():
    params = Params.from_overrides({**SMALL, "therapists.annual_turnover": 0.6})
    model = ImplementationModel(params, seed_for(3, 0))
    model.run_model()
    adopted = model.series.values["adopted_ever"]
    pool = model.therapists
    assert adopted[-1] == np.count_nonzero(pool.first_case_month >= 0)
    assert (np.diff(adopted) < 0).any()  # turnover takes adopters away (description says so)
    assert "in post" in SERIES["adopted_ever"]


def test_describe_names_the_person_holding_the_post():
    params = Params.from_overrides({**SMALL, "therapists.annual_turnover": 0.6})
    model = ImplementationModel(params, seed_for(4, 0))
    model.run_model()
    pool = model.therapists
    replaced = np.flatnonzero(pool.person_id != np.arange(pool.n))
    assert len(replaced)  # someone was hired into a post
    for slot in replaced[:3]:
        info = pool.agent[slot].describe()
        assert info["person_id"] == pool.person_id[slot]
        assert info["person_id"] != slot


def test_a_trainee_who_quits_keeps_open_cases_until_they_end():
    # docs/odd.md §7.1: quitting the programme stops new cases, not the families already seen
    params = Params.from_overrides({**SMALL, "training.annual_dropout": 0.9,
                                    "therapists.annual_turnover": 0.0,
                                    "services.eligible_referrals_per_month": 4.0})
    model = ImplementationModel(params, seed_for(6, 0))
    pool, cases = model.therapists, model.cases
    kept: set[int] = set()
    for _ in range(params.training.start_month + params.training.duration_months):
        model.step()
        quitters = (pool.state == State.DISCONTINUED) & ~pool.completed_training
        for slot in np.flatnonzero(quitters & (pool.cpp_caseload > 0)):
            kept |= set(np.flatnonzero(cases.slot[: cases.size] == slot).tolist())
    assert kept, "no trainee quit while holding a case; raise the dropout"
    model.run_model()
    ended = cases.status[sorted(kept)]
    assert ((ended == COMPLETED) | (ended == DROPPED) | (ended == ACTIVE)).all()
    assert (ended != ACTIVE).any()  # they ran their course


def test_no_gatherings_runs_without_warnings_and_holds_none():
    import warnings

    from impl_sim.model.training import _gathering_schedule

    assert not _gathering_schedule(0, 18).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_one(Params.from_overrides({**SMALL, "training.gatherings": 0}), 1)


def test_report_axes_take_the_series_units_from_the_outcomes_module():
    from impl_sim.analysis.report import KEY_SERIES, series_axis_label

    for name in KEY_SERIES:
        info = SERIES_INFO[name]
        assert series_axis_label(name) == f"{info.label} ({info.unit})"
