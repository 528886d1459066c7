"""Targets files: forgiving of key order and defaults; bad files exit 2 naming file, id, key."""

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from impl_sim.analysis.validation import TargetsError, load_targets
from impl_sim.cli import app

REPO = Path(__file__).resolve().parents[2]

GOOD = """
name: tiny
defaults: {replications: 3, seed: 5, horizon_months: 36,
           base: {services.count: 1, services.therapists_per_service: 6}}
targets:
  - id: T1
    outcome: trained_retention
    band: [0.0, 1.0]
  - band: [0, 1]                       # same target, keys in another order
    outcome: trained_retention
    id: T2
  - direction: less
    reference: none
    arm: high
    compare: difference
    outcome: trained_retention
    arms: {none: {therapists.annual_turnover: 0.0}, high: {therapists.annual_turnover: 0.9}}
    id: T3
    role: calibration
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_good_file_loads_in_any_key_order_with_defaults(tmp_path):
    targets = load_targets(write(tmp_path, GOOD)).targets
    t1, t2, t3 = targets
    assert t1.scenario.canonical() | {"name": ""} == t2.scenario.canonical() | {"name": ""}
    assert (t1.compare, t1.arms, t1.expectation) == (t2.compare, t2.arms, t2.expectation)
    assert t1.role == "validation" and t3.role == "calibration"
    assert t1.scenario.replications == 3 and t1.scenario.horizon_months == 36
    assert t3.arms == ("high", "none") and t3.expectation.than == 0.0
    assert t3.scenario.params_for("high").services.count == 1


def test_shipped_evidence_targets_load_and_cover_the_evidence():
    target_set = load_targets(REPO / "scenarios" / "targets" / "evidence.yaml")
    ids = {t.id.rstrip("abc") for t in target_set.targets}
    assert {f"S{i}" for i in range(1, 12)} | {"F5", "F9", "F10", "F11"} <= ids
    assert target_set.with_role("calibration") and target_set.with_role("validation")


BAD = {
    "unknown key with a hint": ("  - id: B1\n    outcome: adoption\n    bandd: [0, 1]\n",
                                "B1", "bandd", "did you mean 'band'"),
    "unknown outcome": ("  - id: B2\n    outcome: adoptoin\n    band: [0, 1]\n",
                        "B2", "outcome", "did you mean 'adoption'"),
    "band upside down": ("  - id: B3\n    outcome: adoption\n    band: [0.9, 0.1]\n",
                         "B3", "band", "lo must not exceed hi"),
    "two expectations": ("  - id: B4\n    outcome: adoption\n    band: [0, 1]\n"
                         "    direction: greater\n    than: 0\n", "B4", "band / direction",
                         "exactly one expectation"),
    "bad direction": ("  - id: B5\n    outcome: adoption\n    direction: up\n    than: 0\n",
                      "B5", "direction", "greater, less"),
    "unknown arm": ("  - id: B6\n    outcome: adoption\n    compare: difference\n"
                    "    arms: {a: {}, b: {}}\n    arm: a\n    reference: c\n    direction: "
                    "greater\n", "B6", "reference", "unknown arm 'c'"),
    "bad parameter value": ("  - id: B7\n    outcome: adoption\n    band: [0, 1]\n"
                            "    base: {therapists.annual_turnover: 3}\n", "B7",
                            "base.therapists.annual_turnover", "not allowed"),
    "bad role": ("  - id: B8\n    outcome: adoption\n    band: [0, 1]\n    role: fit\n",
                 "B8", "role", "calibration, validation"),
    "month past the horizon": ("  - id: B9\n    outcome: climate@training_end+100\n"
                               "    direction: less\n    than: 1\n", "B9", "outcome",
                               "the horizon"),
    "missing scenario file": ("  - id: B10\n    scenario: nowhere.yaml\n    outcome: adoption\n"
                              "    band: [0, 1]\n", "B10", "scenario", "not found"),
    "duplicate id": ("  - id: B11\n    outcome: adoption\n    band: [0, 1]\n"
                     "  - id: B11\n    outcome: fidelity\n    band: [0, 1]\n", "B11", "id",
                     "duplicate"),
    "largest with one arm": ("  - id: B13\n    outcome: adoption\n    compare: largest\n"
                             "    arms: {a: {}, b: {}}\n    order: [a]\n    direction: greater\n",
                             "B13", "order", "two or more arm names"),
    "value direction without than": ("  - id: B12\n    outcome: adoption\n"
                                     "    direction: greater\n", "B12", "than", "needs than"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_targets_file_exits_2_naming_file_target_and_key(tmp_path, case):
    body, target_id, key, hint = BAD[case]
    path = write(tmp_path, "targets:\n" + body)
    with pytest.raises(TargetsError) as info:
        load_targets(path)
    assert (info.value.target, info.value.key) == (target_id, key)
    result = CliRunner().invoke(app, ["validate", "--targets", str(path)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert str(path) in message and f"target {target_id}" in message
    assert key in message and hint in message
    assert "Traceback" not in result.output


@pytest.mark.parametrize("text, key", [("", ""), ("targets: []\n", "targets"),
                                       ("name: x\ntargetz: []\n", "targetz"),
                                       ("targets:\n  - {id: [1\n", "line")])
def test_bad_file_structure_exits_2(tmp_path, text, key):
    path = write(tmp_path, text)
    result = CliRunner().invoke(app, ["validate", "--targets", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.output and key in result.output
