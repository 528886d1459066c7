"""Controls derive from the parameter schema: labels, ranges, grouping, overrides."""

from __future__ import annotations

import pytest

from impl_sim.dashboard.controls import (
    HORIZON,
    key_levers,
    label_with_unit,
    more_groups,
    slider_step,
    strategy_controls,
    widget_kind,
    with_value,
)
from impl_sim.model.strategies import Strategy, register, unregister
from impl_sim.params import (
    STRATEGY_NAMES,
    ParamError,
    Params,
    StrategyParamsBase,
    param_spec,
    param_specs,
    spec,
)


def test_every_key_lever_of_the_schema_is_shown_first_and_nothing_else():
    expected = [s.name for s in param_specs()
                if s.key and not s.name.startswith("strategies.") and s.name != HORIZON]
    assert [s.name for s in key_levers()] == expected
    assert "leaders.style" in expected  # the lever the project is about


def test_every_parameter_has_exactly_one_control_and_the_horizon_is_shared():
    shown = [s.name for s in key_levers()]
    shown += [s.name for g in more_groups() for s in g.specs]
    for strategy in strategy_controls():
        shown += [strategy.enabled.name] + [s.name for s in strategy.dose]
    names = [s.name for s in param_specs() if s.name != HORIZON]
    assert sorted(shown) == sorted(names)
    assert len(shown) == len(set(shown))


def test_strategies_come_with_their_switch_and_dose_from_the_schema():
    controls = {c.name: c for c in strategy_controls()}
    assert tuple(controls) == STRATEGY_NAMES
    protected = controls["protected_time"]
    assert protected.enabled.name == "strategies.protected_time.enabled"
    assert "strategies.protected_time.hours_per_week" in [s.name for s in protected.key_dose]
    assert protected.eric_name  # the ERIC name registered with the plug-in


class _PeerCircleParams(StrategyParamsBase):
    """Peer circles: colleagues meet to discuss CPP cases."""

    meetings_per_month: float = spec(1.0, ge=0.0, le=4.0, unit="meetings/month",
                                     description="Circle meetings per month")


class _PeerCircle(Strategy):
    """A plug-in strategy registered by a user, not built in."""

    name = "peer_circle"
    eric_name = "Create a learning collaborative"
    parameters = _PeerCircleParams


def test_a_registered_plug_in_strategy_gets_controls_too():
    register(_PeerCircle)
    try:
        controls = {c.name: c for c in strategy_controls()}
        assert "peer_circle" in controls
        assert controls["peer_circle"].enabled.name == "strategies.peer_circle.enabled"
        assert "strategies.peer_circle.meetings_per_month" in [
            s.name for s in controls["peer_circle"].dose]
    finally:
        unregister(_PeerCircle.name)
    assert "peer_circle" not in {c.name for c in strategy_controls()}


def test_labels_carry_the_schema_unit_and_sliders_can_hit_every_default():
    spec = param_spec("services.production_pressure")
    assert label_with_unit(spec) == f"{spec.label} ({spec.unit})"
    for s in param_specs():
        if widget_kind(s) != "slider":
            continue
        step = slider_step(s)
        positions = (s.default - s.min) / step
        assert abs(positions - round(positions)) < 1e-6, s.name
        assert (s.max - s.min) / step <= 1000, s.name


def test_wide_ranges_get_a_number_field_and_choices_a_select():
    assert widget_kind(param_spec("leaders.style")) == "select"
    assert widget_kind(param_spec("context.funded_at_start")) == "switch"
    assert widget_kind(param_spec("training.cost_per_trainee")) == "number"


def test_a_changed_value_becomes_an_override_and_the_default_removes_it():
    spec = param_spec("therapists.motivation_mean")
    changed = with_value({}, spec, 0.8)
    assert Params.from_overrides(changed).therapists.motivation_mean == 0.8
    assert with_value(changed, spec, spec.default) == {}


def test_an_int_parameter_set_from_a_slider_float_stays_an_int():
    spec = param_spec("training.duration_months")
    assert with_value({}, spec, 12.0) == {"training.duration_months": 12}
    assert isinstance(with_value({}, spec, 12.0)["training.duration_months"], int)


def test_a_value_outside_the_schema_range_is_refused_with_the_range():
    spec = param_spec("services.production_pressure")
    with pytest.raises(ParamError, match=r"production_pressure.*from 0 to 1"):
        with_value({}, spec, 1.5)
