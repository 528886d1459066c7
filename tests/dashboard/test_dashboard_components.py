"""Solara component tests (no browser): controls, run, load, per-session state."""

from __future__ import annotations

import ipyvuetify as v
import pytest
import solara

from impl_sim.dashboard.controls import key_levers
from impl_sim.dashboard.ensemble import Arm, WhatIf, export_yaml
from impl_sim.dashboard.session import DashboardSession
from impl_sim.dashboard.whatif import Message, ScenarioFiles, Workspace
from impl_sim.dashboard.widgets import SideControls
from impl_sim.dashboard.wording import CHOICE_WORDS, param_label
from impl_sim.params import param_spec

pytestmark = pytest.mark.usefixtures("kernel_context")


def _session(**kwargs) -> DashboardSession:
    session = DashboardSession.create(background=False)
    session.whatif.value = WhatIf(**{"replications": 2, "horizon_months": 48, **kwargs})
    return session


def _slider(rc, spec) -> v.Slider:
    """The one slider whose label is the parameter's plain label (followed by its value)."""
    found = [w for w in rc.find(v.Slider).widgets
             if w.label.startswith(param_label(spec) + ":")]
    assert len(found) == 1, (spec.name, [w.label for w in rc.find(v.Slider).widgets])
    return found[0]


def test_every_key_lever_has_a_control_with_the_plain_label_and_range():
    session = _session()
    _box, rc = solara.render(SideControls(session, "b"), handle_error=False)
    for spec in key_levers():
        if spec.choices:
            select = rc.find(v.Select, label=param_label(spec))
            select.assert_single()
            assert select.widget.items == [CHOICE_WORDS[c] for c in spec.choices]
            assert select.widget.v_model == CHOICE_WORDS[spec.default]
        else:
            slider = _slider(rc, spec)
            assert (slider.min, slider.max) == (spec.min, spec.max)
            assert slider.v_model == spec.default


def test_moving_a_slider_changes_that_sides_parameters_only():
    session = _session()
    _box, rc = solara.render(SideControls(session, "b"), handle_error=False)
    spec = param_spec("services.production_pressure")
    _slider(rc, spec).v_model = 0.9
    whatif = session.whatif.value
    assert whatif.b.params(whatif.horizon_months).services.production_pressure == 0.9
    assert whatif.a.params(whatif.horizon_months).services.production_pressure == spec.default


def test_choosing_a_leadership_style_and_switching_on_a_strategy_reach_the_parameters():
    session = _session()
    _box, rc = solara.render(SideControls(session, "a"), handle_error=False)
    rc.find(v.Select, label=param_label(param_spec("leaders.style"))).widget.v_model = (
        CHOICE_WORDS["passive_support"])
    rc.find(v.Switch, label="Protected time").widget.v_model = True
    params = session.whatif.value.a.params(48)
    assert params.leaders.style.value == "passive_support"
    assert params.strategies.protected_time.enabled
    # the strategy's dose appears once it is on, with the schema's label
    dose = param_spec("strategies.protected_time.hours_per_week")
    assert _slider(rc, dose).v_model == dose.default


def test_run_shows_sentences_figures_and_the_outcome_table():
    session = _session(b=Arm("leadership", {"leaders.style": "implementation_leadership"}))
    _box, rc = solara.render(Workspace(session), handle_error=False)
    [run] = [w for w in rc.find(v.Btn).widgets if "impl-run" in (w.class_ or "")]
    run.click()
    assert session.ensemble.value is not None and session.progress.value is None
    html = " ".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)
    assert "of the trained therapists still in post with B" in html
    assert 'data-outcome="sustainment_24m"' in html
    images = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
              if "data:image/png;base64," in (w.unsafe_innerHTML or "")]
    assert len(images) == 2
    assert all('alt="' in i and 'alt=""' not in i and len(i) > 10_000 for i in images)


def test_export_then_load_round_trips_into_the_same_parameters():
    original = _session(a=Arm("today", {"therapists.annual_turnover": 0.45}),
                        b=Arm("plan", {"strategies.ongoing_training.enabled": True}))
    text = export_yaml(original.whatif.value)
    other = _session()
    assert other.load(text.encode(), "exported.yaml")
    for side in ("a", "b"):
        assert (other.whatif.value.side(side).params(48)
                == original.whatif.value.side(side).params(48))


def test_a_bad_upload_shows_the_loader_message_in_the_page():
    session = _session()
    _box, rc = solara.render(Message(session), handle_error=False)
    before = session.whatif.value
    assert not session.load(b"name: x\nreplications: many\n", "upload.yaml")
    expected = ("upload.yaml: replications: 'many' is not allowed; expected a whole number "
                "from 1 to 100000")
    alert = rc.find(v.Alert, type="error")
    alert.assert_single()
    assert alert.widget.children == [expected]
    assert session.whatif.value == before


def test_the_file_controls_offer_download_and_the_shipped_scenarios(scenarios_dir):
    session = _session()
    _box, rc = solara.render(ScenarioFiles(session), handle_error=False)
    shipped = rc.find(v.Select, label="Open a shipped scenario").widget
    assert "leadership_vs_support.yaml" in shipped.items
    for name in shipped.items:  # sweeps are for `impl-sim sweep`, not offered here
        assert "design:" not in (scenarios_dir / name).read_text()
    shipped.v_model = "leadership_vs_support.yaml"
    assert session.whatif.value.label("b") == "implementation_leadership"
    assert session.message.value is None


def test_two_sessions_keep_separate_what_ifs():
    first, second = _session(), _session()
    _box, rc = solara.render(SideControls(first, "b"), handle_error=False)
    _slider(rc, param_spec("therapists.motivation_mean")).v_model = 0.9
    assert first.whatif.value.b.overrides == {"therapists.motivation_mean": 0.9}
    assert second.whatif.value.b.overrides == {}
