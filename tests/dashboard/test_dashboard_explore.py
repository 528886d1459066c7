"""The Explore page's live run, its figures, and the `impl-sim dashboard` command."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from impl_sim import Params, run_one
from impl_sim.cli import app, dashboard_command
from impl_sim.dashboard.live_run import LiveRun

SMALL = Params.from_overrides({"services.count": 2, "simulation.horizon_months": 24,
                               "therapists.annual_turnover": 0.6})


def test_a_live_run_stepped_to_the_end_matches_the_batch_run_with_the_same_seed():
    live = LiveRun(SMALL, seed=5, replication=2)
    while not live.finished:
        live.step()
    live.step()  # stepping past the horizon does nothing
    assert live.month == 24
    batch = run_one(SMALL, 5, 2)
    for name, values in live.series().items():
        assert np.array_equal(values, batch.series[name], equal_nan=True), name


def test_history_follows_the_person_not_the_post():
    live = LiveRun(SMALL, seed=3)
    for _ in range(24):
        live.step()
    replaced = [s for s in range(live.model.therapists.n)
                if live.model.therapists.person_id[s] >= live.model.therapists.n]
    assert replaced, "with 60 % turnover a year some posts get new hires"
    slot = replaced[0]
    history = live.history(slot)
    hired = int(live.model.therapists.hired_month[slot])
    assert history.months[0] == hired and history.months[-1] == 23
    assert history.states[0] == "untrained"
    assert live.therapist(slot)["person_id"] == history.person_id


def test_counts_chart_and_dots_use_one_definition_of_delivering():
    # the issue: "at month 5 the counts say delivering 0 while the chart says about 11"
    live = LiveRun(Params(), seed=7)
    for month in range(1, 13):
        live.step()
        counts, series = live.counts_by_category(), live.count_series()
        assert sum(counts.values()) == live.model.therapists.n
        assert {c: v[-1] for c, v in series.items()} == counts
        # "delivering" is the model's own outcome definition: an active CPP case this month
        assert counts["delivering"] == live.series()["delivering"][month - 1]
        assert counts["delivering"] == int((live.model.therapists.cpp_caseload > 0).sum())
        assert len(series["delivering"]) == month
    assert max(live.count_series()["delivering"]) > 0, "someone delivers in the first year"


def test_the_explore_layout_is_computed_once_with_every_post_and_edge():
    from impl_sim.dashboard.explore import _layout

    live = LiveRun(SMALL, seed=1)
    layout = _layout(live)
    live.step()
    assert _layout(live) == layout  # positions do not move as the run advances
    assert len(layout["nodes"]) == live.model.therapists.n
    assert len(layout["edges"]) == live.model.network.number_of_edges()
    assert len(layout["leaders"]) == live.model.services.n


def test_the_dashboard_serves_solara_in_production_mode_on_localhost(monkeypatch):
    calls = []

    class FakeServer:
        def __init__(self, cmd, env):
            calls.append((cmd, env))

        def wait(self):
            return 0

    monkeypatch.setattr("subprocess.Popen", FakeServer)
    result = CliRunner().invoke(app, ["dashboard", "--port", "9123"])
    assert result.exit_code == 0, result.output
    [(cmd, env)] = calls
    assert cmd == dashboard_command("127.0.0.1", 9123)
    assert cmd[cmd.index("run") + 1] == "impl_sim.dashboard.app" and "--production" in cmd
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"


def test_a_bad_port_is_bad_input():
    result = CliRunner().invoke(app, ["dashboard", "--port", "70000"])
    assert result.exit_code == 2
