"""The service's own decision to keep offering CPP: organisational de-adoption and re-adoption
(docs/odd.md §7.2a). Stopping is likelier without funding, without anyone in post who can
deliver and under a new leader; the leader's agenda keeps CPP a priority."""

from __future__ import annotations

import numpy as np
import pytest
from ensembles import ensemble, mean, outcome, paired_difference

from impl_sim import Params, run_one
from impl_sim.experiment.runner import seed_for
from impl_sim.model.constants import NEVER
from impl_sim.model.model import ImplementationModel
from impl_sim.model.service import discontinuation_hazard, monthly_hazard, readoption_hazard

ON, OFF = np.array([True]), np.array([False])
AVERAGE = np.array([0.5])


def _stop(params: Params, funded=ON, team=ON, new_leader=OFF, agenda=AVERAGE) -> float:
    return float(discontinuation_hazard(params, funded, team, new_leader, agenda)[0])


def test_each_reason_multiplies_the_base_hazard_by_its_ratio():
    p = Params.from_overrides({"programme.discontinuation_per_year": 0.01,
                               "programme.unfunded_hazard_ratio": 3.0,
                               "programme.no_team_hazard_ratio": 5.0,
                               "programme.new_leader_hazard_ratio": 2.0})
    base = _stop(p)
    assert base == pytest.approx(1 - 0.99 ** (1 / 12))
    assert _stop(p, funded=OFF) == pytest.approx(3.0 * base)
    assert _stop(p, team=OFF) == pytest.approx(5.0 * base)
    assert _stop(p, new_leader=ON) == pytest.approx(2.0 * base)
    assert _stop(p, funded=OFF, team=OFF, new_leader=ON) == pytest.approx(30.0 * base)


def test_a_leader_who_keeps_cpp_on_the_agenda_makes_stopping_rarer_and_restarting_likelier():
    p = Params()
    high, low = np.array([0.9]), np.array([0.2])
    assert _stop(p, agenda=high) < _stop(p, agenda=AVERAGE) < _stop(p, agenda=low)
    assert readoption_hazard(p, ON, high)[0] > readoption_hazard(p, ON, low)[0]
    off = Params.from_overrides({"mechanisms.leader_priority": False})
    assert _stop(off, agenda=high) == _stop(off, agenda=low) == _stop(p, agenda=AVERAGE)


def test_without_funding_restarting_is_rarer_by_the_funding_ratio():
    p = Params.from_overrides({"programme.readoption_per_year": 0.5,
                               "programme.unfunded_hazard_ratio": 4.0})
    funded = readoption_hazard(p, ON, AVERAGE)[0]
    assert funded == pytest.approx(monthly_hazard(0.5))
    assert readoption_hazard(p, OFF, AVERAGE)[0] == pytest.approx(funded / 4.0)


def test_without_discontinuation_every_programme_continues():
    runs = ensemble({"programme.discontinuation_per_year": 0.0}, replications=5)
    assert (outcome(runs, "services_programme_sustained") == 1.0).all()
    offering = np.array([r.series["services_offering"] for r in runs])
    assert (offering == Params().services.count).all()


def test_a_service_that_stops_offering_cpp_starts_no_new_case():
    # every service stops in the first month, before any family is routed, and never restarts
    p = Params.from_overrides({"programme.discontinuation_per_year": 1.0,
                               "programme.readoption_per_year": 0.0,
                               "training.start_month": 0})
    result = run_one(p, seed=3)
    assert (result.series["services_offering"] == 0).all()
    assert result.series["cpp_starts"].sum() == 0
    assert result.summary["services_programme_sustained"] != result.summary[
        "services_programme_sustained"]  # NaN: no service ever started up


def test_losing_funding_makes_services_stop_offering_cpp():
    funded = ensemble({}, replications=20)
    # funding lost at the first review for every service, never regained
    cut = ensemble({"context.renewal_base": 0.0, "context.renewal_impact_weight": 0.0,
                    "context.renewal_awareness_weight": 0.0,
                    "context.renewal_advocacy_weight": 0.0,
                    "context.refunding_monthly": 0.0}, replications=20)
    assert mean(cut, "services_programme_sustained") < mean(
        funded, "services_programme_sustained") - 0.15
    assert mean(cut, "programme_stops_unfunded") > mean(funded, "programme_stops_unfunded")


def test_stop_reasons_follow_the_conditions():
    # funding is never lost while a programme runs, and leaders never change: no stop can be an
    # unfunded one or one under a new leader
    steady = ensemble({"context.renewal_base": 1.0, "leaders.annual_turnover": 0.0},
                      replications=10)
    assert np.nanmax(outcome(steady, "programme_stops_unfunded")) == 0.0
    assert np.nanmax(outcome(steady, "programme_stops_new_leader")) == 0.0
    # a window of 0 months makes no leader new
    no_window = ensemble({"programme.new_leader_months": 0}, replications=10)
    assert np.nanmax(outcome(no_window, "programme_stops_new_leader")) == 0.0
    # with a raised risk only under a new leader, most stops are taken under one
    leader_driven = ensemble({"programme.new_leader_hazard_ratio": 20.0,
                              "programme.unfunded_hazard_ratio": 1.0,
                              "programme.no_team_hazard_ratio": 1.0,
                              "leaders.annual_turnover": 0.3}, replications=10)
    assert mean(leader_driven, "programme_stops_new_leader") > 0.5


def _stopped_and_funded(overrides: dict) -> ImplementationModel:
    """Every service stops offering CPP in month 13 (after the first cohort's first year),
    never restarts and, left alone, would stay funded."""
    p = Params.from_overrides({"context.renewal_base": 1.0, "therapists.annual_turnover": 0.5,
                               "training.cohort_min_trainees": 1,
                               "programme.readoption_per_year": 0.0, **overrides})
    model = ImplementationModel(p, seed_for(7, 0))
    while model.month < 13:
        model.step()
    model.services.offers_cpp[:] = False
    return model


def _booster_dose(model: ImplementationModel) -> float:
    p = model.params
    return (p.strategies.booster_consultation.sessions_per_month
            / p.training.reference_sessions_per_month)


def test_a_stopped_service_routes_protects_consults_and_trains_nobody():
    model = _stopped_and_funded({"strategies.booster_consultation.enabled": True,
                                 "strategies.booster_consultation.start_month": 18,
                                 "strategies.protected_time.enabled": True,
                                 "strategies.ongoing_training.enabled": True,
                                 "strategies.ongoing_training.start_month": 13})
    while model.month < 40:
        model.step()
        services = model.services
        assert (services.routed_share == 0).all() and (services.protected_hours == 0).all()
        assert (services.agenda == 0).all() and model.cpp_starts_this_month == 0
        assert not (model._consultation == _booster_dose(model)).any()  # trainees keep theirs
    # neither the later cohorts (months 24, 36) nor the strategy's (25, 37) took anyone
    assert not (model.therapists.enrolled_month > 13).any()
    assert not model.services.funded.any()  # commissioners did not renew at month 36


def test_the_same_world_offering_cpp_does_route_consult_and_train():
    # the check above can fail: with the programme on, the same levers act
    p = Params.from_overrides({"context.renewal_base": 1.0, "therapists.annual_turnover": 0.5,
                               "training.cohort_min_trainees": 1,
                               "programme.discontinuation_per_year": 0.0,
                               "strategies.booster_consultation.enabled": True,
                               "strategies.booster_consultation.start_month": 18,
                               "strategies.protected_time.enabled": True})
    model = ImplementationModel(p, seed_for(7, 0))
    boosted = False
    while model.month < 40:
        model.step()
        assert (model.services.protected_hours > 0).all()
        boosted |= bool((model._consultation == _booster_dose(model)).any())
    assert boosted
    assert (model.therapists.enrolled_month > 13).any()
    assert model.services.funded.all()


def test_restarts_need_a_restart_hazard():
    high = {"programme.discontinuation_per_year": 0.5, "context.renewal_base": 1.0,
            "simulation.horizon_months": 96}
    never = ensemble({**high, "programme.readoption_per_year": 0.0}, replications=10)
    often = ensemble({**high, "programme.readoption_per_year": 0.6}, replications=10)
    assert (outcome(never, "services_programme_restarted") == 0.0).all()
    assert mean(often, "services_programme_restarted") > 0.1


def test_implementation_leadership_keeps_programmes_going_through_the_priority_path():
    long = {"simulation.horizon_months": 96}
    arms = {style: ensemble({**long, "leaders.style": style}, replications=20)
            for style in ("passive_support", "implementation_leadership")}
    gap = paired_difference(arms["passive_support"], arms["implementation_leadership"],
                            "services_programme_sustained")
    assert gap.mean() > 0.05
    cut = {**long, "mechanisms.leader_priority": False}
    arms_cut = {style: ensemble({**cut, "leaders.style": style}, replications=20)
                for style in ("passive_support", "implementation_leadership")}
    gap_cut = paired_difference(arms_cut["passive_support"],
                                arms_cut["implementation_leadership"],
                                "services_programme_sustained")
    assert gap_cut.mean() < gap.mean()


def test_nobody_gives_cpp_up_while_the_service_does_not_offer_it():
    # all services stop at month 13 for 30 months: their trained therapists cannot take a case,
    # so they do not count those months toward giving CPP up (learning.months_to_discontinue)
    from impl_sim.model.therapist import DISCONTINUED

    model = _stopped_and_funded({"therapists.annual_turnover": 0.0,
                                 "training.annual_dropout": 0.0})
    trained_before = None
    while model.month < 44:
        model.step()
        if model.month == model.first_training_end + 1:
            trained_before = model.therapists.completed_training.copy()
    gave_up = (model.therapists.state == DISCONTINUED) & trained_before
    assert trained_before.sum() > 10 and not gave_up.any()
    # restarted, they give up only after a further months_to_discontinue without a case
    model.services.offers_cpp[:] = True
    while model.month < 44 + model.params.learning.months_to_discontinue + 2:
        model.step()
    assert ((model.therapists.state == DISCONTINUED) & trained_before).any()


def _depleted_and_stopped() -> ImplementationModel:
    """Every service stopped at month 13; by month 60 high turnover has emptied most teams."""
    model = _stopped_and_funded({"therapists.annual_turnover": 0.9,
                                 "training.hire_enrolment_share": 0.0})
    while model.month < 60:
        model.step()
    return model


def test_a_restart_nominates_long_serving_never_enrolled_staff_to_rebuild_the_team():
    from impl_sim.model import training
    from impl_sim.model.therapist import CAN_DELIVER

    model = _depleted_and_stopped()
    pool, p = model.therapists, model.params
    team_size = round(p.training.enrolled_share * p.services.therapists_per_service)
    before = CAN_DELIVER[pool.state] | pool.waiting_for_course()
    hired = pool.hired_month.copy()
    enrolled_before = pool.enrolled_month.copy()
    restarting = np.zeros(model.services.n, dtype=bool)
    restarting[[0, 3]] = True
    nominated = training.rebuild_team(pool, restarting, p, model.month)
    assert set(pool.service[nominated]) <= {0, 3}
    for service in (0, 3):
        posts = pool.service == service
        mine = nominated[pool.service[nominated] == service]
        assert len(mine) == max(team_size - int(before[posts].sum()), 0) > 0
        assert (enrolled_before[mine] == NEVER).all()  # never enrolled before
        others = np.flatnonzero(posts & ~before & (enrolled_before == NEVER))
        others = np.setdiff1d(others, mine)
        if len(others):  # the longest-serving went first
            assert hired[mine].max() <= hired[others].min()
    assert (pool.waiting_for_course()[nominated]).all()


def test_while_a_restarted_service_waits_for_its_course_it_is_not_stopped_for_no_team():
    from impl_sim.model import training

    model = _depleted_and_stopped()
    pool, services = model.therapists, model.services
    empty = np.bincount(pool.service[pool.can_deliver()], minlength=services.n) == 0
    assert empty.any()
    assert not model._has_team(pool, services)[empty].any()
    services.offers_cpp[empty] = True  # restarted this month (not offering until last month)
    training.rebuild_team(pool, empty, model.params, model.month)
    assert model._has_team(pool, services)[empty].all()
    model.month += model.params.training.cohort_interval_months + 1  # the course did not run
    assert not model._has_team(pool, services)[empty].any()

