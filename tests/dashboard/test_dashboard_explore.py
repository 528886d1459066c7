"""The Explore page's live run, its figures, and the `impl-sim dashboard` command."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from impl_sim import Params, run_one
from impl_sim.cli import app, dashboard_command
from impl_sim.dashboard.figures import network_figure
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


def test_the_network_figure_draws_every_post_and_a_star_per_leader():
    live = LiveRun(SMALL, seed=1)
    live.step()
    fig = network_figure(live.model.network, live.positions, live.states(),
                         live.model.therapists.service, live.leader_labels(), live.month,
                         selected=0)
    ax = fig.axes[0]
    assert "month 1" in ax.get_title()
    # posts (one collection), the selected ring, and one star per service
    stars = [c for c in ax.collections if len(c.get_offsets()) == 1]
    assert len(stars) >= SMALL.services.count
    assert any(len(c.get_offsets()) == live.model.therapists.n for c in ax.collections)


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
