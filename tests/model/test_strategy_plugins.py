"""A new strategy plugs in without touching model.py or params.py."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from impl_sim import Params, run_one
from impl_sim.model.strategies import REGISTRY, Strategy, register, unregister
from impl_sim.params import ParamError, StrategyParamsBase, param_specs, spec, strategy_names
from impl_sim.scenario.loader import ScenarioError, parse_scenario


class SupervisionCircleParams(StrategyParamsBase):
    """Peer supervision circles: colleagues meet monthly to discuss CPP cases."""

    climate_gain: float = spec(0.05, ge=0.0, le=0.5, unit="0–1/month", kind="lever",
                               description="Climate gained per month of meetings")


class SupervisionCircle(Strategy):
    """Each month the circle raises the implementation climate of every service."""

    name = "supervision_circle"
    eric_name = "Create a learning collaborative"
    parameters = SupervisionCircleParams

    def after_step(self, model) -> None:
        if self.active(model.month):
            services = model.services
            services.climate[:] = np.minimum(services.climate + self.params.climate_gain, 1.0)


@pytest.fixture
def supervision_circle() -> Iterator[type[Strategy]]:
    register(SupervisionCircle)
    yield SupervisionCircle
    unregister(SupervisionCircle.name)


def test_registering_a_strategy_adds_its_parameters_to_the_schema(supervision_circle):
    assert "supervision_circle" in strategy_names()
    names = {s.name for s in param_specs()}
    assert "strategies.supervision_circle.climate_gain" in names
    assert "strategies.supervision_circle.enabled" in names
    with pytest.raises(ParamError, match="climate_gain"):
        Params.from_overrides({"strategies.supervision_circle.climate_gain": 0.9})


def test_a_registered_strategy_acts_on_the_model(supervision_circle):
    off = run_one(Params(), seed=3)
    on = run_one(Params.from_overrides({"strategies.supervision_circle.enabled": True,
                                        "strategies.supervision_circle.climate_gain": 0.2}),
                 seed=3)
    assert on.series["climate"][24:].mean() > off.series["climate"][24:].mean() + 0.3


def test_scenario_files_can_switch_a_registered_strategy_on(supervision_circle):
    scenario = parse_scenario({"name": "circle", "strategies": {
        "supervision_circle": {"climate_gain": 0.1, "start_month": 6}}})
    params = scenario.params_for("baseline")
    assert params.strategies.supervision_circle.enabled
    assert params.strategies.supervision_circle.start_month == 6
    with pytest.raises(ScenarioError, match="climate_gian"):
        parse_scenario({"name": "circle", "strategies": {
            "supervision_circle": {"climate_gian": 0.1}}})


def test_unregistering_removes_the_strategy_again():
    register(SupervisionCircle)
    unregister(SupervisionCircle.name)
    assert "supervision_circle" not in REGISTRY
    assert "supervision_circle" not in strategy_names()
    with pytest.raises(ParamError):
        Params.from_overrides({"strategies.supervision_circle.enabled": True})


def test_a_strategy_without_a_parameter_group_is_refused():
    class Nameless(Strategy):
        name = "nameless"

    with pytest.raises(TypeError, match="parameters"):
        register(Nameless)


# --- a strategy with its own per-therapist state (issue 11, item 8) ---------------------------


class MentoringParams(StrategyParamsBase):
    """Mentoring: each new hire is paired with a trained colleague for their first months."""

    months: int = spec(6, ge=1, le=24, unit="months", kind="lever",
                       description="Months a hire is mentored")
    readiness_gain: float = spec(0.03, ge=0.0, le=0.2, unit="per month",
                                 description="Readiness a mentored hire gains per month")


class Mentoring(Strategy):
    """Keeps, per therapist, how many months they have been mentored; counts mentees."""

    name = "mentoring"
    eric_name = "Provide clinical supervision"
    parameters = MentoringParams
    therapist_state = {"mentored_months": (np.int64, 0), "mentee": (bool, False)}  # noqa: RUF012
    result_series = {"mentees": "Hires being mentored"}  # noqa: RUF012

    def on_hire(self, model, slots) -> None:
        assert (self.therapists.mentored_months[slots] == 0).all()  # reset before the hook
        self.therapists.mentee[slots] = True
        self.hired = getattr(self, "hired", 0) + len(slots)

    def after_step(self, model) -> None:
        state = self.therapists
        mentee = state.mentee & (state.mentored_months < self.params.months)
        state.mentored_months[mentee] += 1
        pool = model.therapists
        pool.readiness[mentee] = np.minimum(pool.readiness[mentee] + self.params.readiness_gain,
                                            1.0)
        self.series["mentees"][model.month] = np.count_nonzero(mentee)


@pytest.fixture
def mentoring() -> Iterator[type[Strategy]]:
    register(Mentoring)
    yield Mentoring
    unregister(Mentoring.name)


def test_a_strategy_keeps_per_therapist_state_without_touching_the_model(mentoring):
    from impl_sim.model.model import ImplementationModel

    params = Params.from_overrides({"strategies.mentoring.enabled": True,
                                    "therapists.annual_turnover": 0.5})
    model = ImplementationModel(params, seed=2)
    model.run_model()
    strategy = model.strategy("mentoring")
    state = strategy.therapists
    pool = model.therapists
    assert strategy.hired > 0
    hires = pool.hired_month > 0
    # the state belongs to the person holding the post: reset on hire, counted since then
    months_in_post = model.month - pool.hired_month  # hired before after_step that month
    assert (state.mentored_months[hires] == np.minimum(months_in_post[hires], 6)).all()
    assert not state.mentee[~hires].any()
    assert strategy.series["mentees"].max() > 0
    agent = pool.agent[int(np.flatnonzero(hires)[0])]
    assert agent.mentee is True and agent.describe()["mentored_months"] >= 0
    with pytest.raises(AttributeError):
        agent.mentored_months = 3  # strategy state is read-only on the agent view


def test_an_unknown_lever_is_refused():
    from impl_sim.model.strategies import LeverBoard

    board = LeverBoard()
    with pytest.raises(KeyError, match="protected_hours_per_week"):
        board.raise_("protected_hours", 2.0)
    board.raise_("routed_share", 0.4)
    board.raise_("routed_share", 0.2)
    assert board.get("routed_share") == 0.4  # the strongest strategy wins
    board.reset()
    assert board.get("routed_share") == 0.0
