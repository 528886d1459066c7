"""The events table in the results store: written and read back through the part mechanism,
switched by ``outputs.events``, a damaged part redone."""

from __future__ import annotations

import pandas as pd
import pytest

from impl_sim.experiment.runner import run_scenario
from impl_sim.experiment.store import Results
from impl_sim.scenario.loader import load_scenario


def test_events_come_back_as_a_dataframe_with_run_keys(serial_results, tiny):
    events = Results.load(serial_results.directory).events
    assert isinstance(events, pd.DataFrame)
    assert list(events.columns[:5]) == ["task", "point", "arm", "replication", "month"]
    assert {"entity", "id", "post", "service", "event", "detail", "value"} <= set(events)
    assert set(events["task"]) == set(serial_results.summary["task"])
    started = events[events["event"] == "case_started"].groupby("task").size()
    stored = serial_results.summary.set_index("task")["cases_started"]
    assert (started.reindex(stored.index, fill_value=0) == stored).all()


def test_events_are_off_for_designs_unless_asked(make_scenario_file, tmp_path):
    scenario = load_scenario(make_scenario_file("quiet", outputs={"series": False}))
    assert scenario.outputs["events"] is False
    results = run_scenario(scenario, out=tmp_path)
    assert results.events is None
    assert not (results.directory / "events").exists()


def test_a_run_without_a_design_keeps_events_by_default(make_scenario_file):
    scenario = load_scenario(make_scenario_file("plain", design=None, outputs=None))
    assert scenario.outputs["events"] is True


def test_a_bad_events_switch_is_refused(make_scenario_file):
    from impl_sim.scenario.loader import ScenarioError

    with pytest.raises(ScenarioError, match=r"outputs\.events"):
        load_scenario(make_scenario_file("bad", outputs={"events": "yes"}))


def test_a_damaged_events_part_is_detected_and_redone(tiny, tmp_path):
    reference = run_scenario(tiny, out=None)
    directory = run_scenario(tiny, out=tmp_path).directory
    victim = sorted((directory / "events").glob("part-*.parquet"))[1]
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.warns(UserWarning, match="chunk 1 is corrupt or incomplete"):
        assert not Results.load(directory).complete
    with pytest.warns(UserWarning, match="redoing it"):
        redone = run_scenario(tiny, out=tmp_path)
    pd.testing.assert_frame_equal(redone.events, reference.events)
