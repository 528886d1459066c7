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
