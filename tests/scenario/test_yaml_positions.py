"""A YAML mistake is reported at its cause (the line missing a colon), not where the parser
noticed it."""

from __future__ import annotations

import pytest

from impl_sim.scenario.loader import ScenarioError, parse_yaml_text


@pytest.mark.parametrize(("text", "line", "words"), [
    ("name: x\nreplications 3\nseed: 4\n", 2, ["'replications 3'", "no ':'"]),
    ("name: x\nbase:\n  services.count 2\n  therapists.annual_turnover: 0.3\n", 3,
     ["'services.count 2'", "no ':'"]),
    ("name: x\nbase: {services.count: 2\nseed: 3\n", 2, ["flow mapping", "line 3"]),
])
def test_the_message_points_at_the_line_that_causes_the_error(text, line, words):
    with pytest.raises(ScenarioError) as caught:
        parse_yaml_text(text, "x.yaml")
    message = str(caught.value)
    assert message.startswith(f"x.yaml: line {line}:"), message
    assert "invalid YAML" in message
    for word in words:
        assert word in message, message
