"""``impl-sim sweep``: runs a design, prints where the results are, refuses bad options."""

from __future__ import annotations

from typer.testing import CliRunner

from impl_sim.cli import app
from impl_sim.experiment.store import Results


def test_sweep_runs_prints_the_folder_and_applies_overrides(make_scenario_file, tmp_path):
    path = make_scenario_file("cli")
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path), "--samples",
                                      "3", "--replications", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "3 points × 2 arm(s) × 1 replications = 6 runs" in result.output
    folder = next(tmp_path.glob("tiny-sweep-*"))
    assert f"results: {folder}" in result.output.replace("\n", "")
    loaded = Results.load(folder)
    assert len(loaded.summary) == 6
    assert loaded.manifest["scenario"]["design"]["samples"] == 3


def test_sweep_refuses_bad_input_with_exit_2(make_scenario_file, tmp_path):
    runner = CliRunner()
    path = make_scenario_file("bad")
    grid = make_scenario_file("grid", design={"method": "grid", "parameters": {
        "therapists.annual_turnover": [0.1, 0.5]}})
    cases = [
        (["sweep", str(path), "--executor", "threads"], "expected one of serial, processes"),
        (["sweep", str(grid), "--samples", "8"], "grid design"),
        (["sweep", str(tmp_path / "missing.yaml")], "file not found"),
    ]
    for args, words in cases:
        result = runner.invoke(app, [*args, "--out", str(tmp_path), "--quiet"])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output, result.output
        assert "Traceback" not in result.output
