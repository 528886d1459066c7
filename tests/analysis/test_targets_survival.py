"""Targets stated as studies print them: survival medians, shares N months after an origin,
shares at a month of the run, service trajectories."""

from __future__ import annotations

import math

import pytest

from impl_sim.analysis.validation import TargetsError, parse_targets, validate

HEADER = "name: t\ndefaults: {replications: 3, horizon_months: 48, base: {services.count: 2}}\n"


def _targets(body: str):
    import yaml

    return parse_targets(yaml.safe_load(HEADER + "targets:\n" + body), "t.yaml")


def test_survival_and_share_quantities_parse():
    target_set = _targets(
        "  - id: A\n    outcome: median(delivering_leaving_censored)\n    band: [6, 30]\n"
        "  - id: B\n    outcome: survival_at(service_delivering_after_startup, 24)\n"
        "    band: [0.5, 1]\n"
        "  - id: C\n    outcome: staff_left_share@24\n    band: [0.3, 0.7]\n"
        "  - id: D\n    outcome: services_delivery_restarted\n    direction: greater\n"
        "    than: 0\n")
    a, b, c, d = target_set.targets
    assert a.quantities[0].needs_events and not a.quantities[0].needs_series
    assert b.quantities[0].terms[0].after == 24
    assert c.quantities[0].needs_series and not d.quantities[0].needs_events


@pytest.mark.parametrize(("outcome", "words"), [
    ("median(in_post)", ["unknown duration 'in_post'", "in_post_from_hire"]),
    ("survival_at(in_post_from_hire)", ["survival_at takes a duration and a number"]),
    ("median(in_post_from_hire, 3)", ["median only a duration"]),
    ("mean(in_post_from_hire)", ["expected median(DURATION) or survival_at(DURATION, N)"]),
])
def test_bad_survival_quantities_name_the_target_key_and_what_is_allowed(outcome, words):
    with pytest.raises(TargetsError) as caught:
        _targets(f"  - id: X\n    outcome: '{outcome}'\n    band: [0, 1]\n")
    message = str(caught.value)
    assert "t.yaml: target X: outcome:" in message
    for word in words:
        assert word in message


def _simulated(base: str, outcome: str) -> float:
    target_set = _targets(f"  - id: X\n    base: {base}\n    outcome: '{outcome}'\n"
                          "    band: [0, 100]\n")
    return validate(target_set.targets)[0].simulated


def test_time_in_post_follows_turnover():
    steady = "{therapists.annual_turnover: 0.0}"
    assert _simulated(steady, "survival_at(in_post_from_hire, 24)") == 1.0
    assert math.isnan(_simulated(steady, "median(in_post_from_hire)"))  # never reached
    assert _simulated(steady, "staff_left_share@40") == 0.0
    # a constant hazard (no early-tenure effect), so the month-0 staff leave as fast as hires
    churning = "{therapists.annual_turnover: 0.9, therapists.early_tenure_hazard_ratio: 1.0}"
    assert _simulated(churning, "median(in_post_from_hire)") < 12
    assert _simulated(churning, "staff_left_share@40") > 0.8
