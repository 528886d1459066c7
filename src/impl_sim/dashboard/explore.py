"""The Explore page: one live run — reset, step, play — and a look inside."""

from __future__ import annotations

import html
import threading
import time

import solara

from impl_sim.dashboard.figures import history_figure, live_series_figure, network_figure
from impl_sim.dashboard.live_run import LiveRun
from impl_sim.dashboard.session import DashboardSession, use_session
from impl_sim.dashboard.widgets import HELP_STYLE

PLAY_DELAY_SECONDS = 0.4  # about two months a second: slow enough to follow
FIGURE_DPI = 90  # PNG: cheaper to draw every month than SVG
INTRO = ("One simulated future, month by month. Each dot is a therapist post, grouped by "
         "service; the colour is the therapist's state, the star the service's leader. When a "
         "therapist leaves, an untrained hire takes the post.")
SHOWN_TRAITS = ("motivation", "readiness", "autonomy_preference", "self_leadership",
                "competence", "fidelity", "cpp_caseload", "cases_started", "training_cases",
                "completed_training", "certified", "champion", "first_case_month",
                "last_active_month")


def _new_run(session: DashboardSession, side: str, replication: int) -> LiveRun:
    whatif = session.whatif.value
    params = whatif.side(side).params(whatif.horizon_months)
    return LiveRun(params, whatif.seed, replication)


@solara.component
def Controls(session: DashboardSession, live: LiveRun | None, version: int, playing: bool,
             set_playing):
    """Which settings to run, and Reset / Step / Play. ``live`` and ``version`` come from the
    page as props, so the buttons update with every month."""
    side, set_side = solara.use_state("b")
    replication, set_replication = solara.use_state(0)

    def reset() -> None:
        set_playing(False)
        session.live.value = _new_run(session, side, replication)
        session.live_version.value += 1

    def step() -> None:
        if session.live.value is not None:
            session.live.value.step()
            session.live_version.value += 1

    whatif = session.whatif.value
    labels = {"a": f"A: {whatif.a.name}", "b": f"B: {whatif.b.name}"}
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select("Settings from the What-if page", values=list(labels.values()),
                      value=labels[side],
                      on_value=lambda v: set_side("a" if v == labels["a"] else "b"),
                      style={"max-width": "280px"})
        solara.InputInt("Replication (same seed as in the What-if)", value=replication,
                        on_value=lambda r: set_replication(max(0, r)),
                        style={"max-width": "260px"})
        solara.Button("Reset", on_click=reset, icon_name="mdi-restart", classes=["impl-reset"])
        solara.Button("Step", on_click=step, icon_name="mdi-step-forward",
                      disabled=live is None or live.finished or playing, classes=["impl-step"])
        solara.Button("Pause" if playing else "Play",
                      icon_name="mdi-pause" if playing else "mdi-play",
                      on_click=lambda: set_playing(not playing),
                      disabled=live is None or live.finished, classes=["impl-play"])
        if live is not None:
            solara.Text(f"Month {live.month} of {live.model.horizon}",
                        classes=["impl-month"], style={"font-weight": "bold"})


def _attributes_html(info: dict) -> str:
    rows = "".join(f"<tr><td>{html.escape(k.replace('_', ' '))}</td><td>"
                   f"{v:.2f}</td></tr>" if isinstance(v, float) else
                   f"<tr><td>{html.escape(k.replace('_', ' '))}</td><td>{html.escape(str(v))}"
                   "</td></tr>" for k, v in info.items())
    return f'<table style="font-size:0.85em">{rows}</table>'


@solara.component
def TherapistView(live: LiveRun, version: int, slot: int, set_slot, playing: bool):
    """Pick a post; see the therapist in it now and their history since they were hired.

    While playing, the history chart waits for the pause (drawing it every month would slow
    the animation down).
    """
    pool = live.model.therapists
    options = [f"post {i} · service {int(pool.service[i]) + 1}" for i in range(pool.n)]
    info = live.therapist(slot)
    key = [slot, id(live), "playing" if playing else version]
    history = solara.use_memo(lambda: live.history(slot), key)
    fig = solara.use_memo(
        lambda: history_figure(history.traits, history.months,
                               f"Therapist {info['person_id']} (post {slot}): history since hired")
        if history is not None and history.months else None, key)
    solara.Select("Therapist", values=options, value=options[slot],
                  on_value=lambda v: set_slot(options.index(v)), style={"max-width": "300px"})
    shown = {"person": info["person_id"], "hired in month": info["hired_month"],
             "state": info["state"],
             **{k: info[k] for k in SHOWN_TRAITS if k in info}}
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        solara.HTML(tag="div", unsafe_innerHTML=_attributes_html(shown),
                    classes=["impl-therapist"])
        if fig is not None:
            states = ", ".join(_state_changes(history.months, history.states))
            with solara.Column():
                solara.FigureMatplotlib(fig, dependencies=key, format="png", dpi=FIGURE_DPI)
                solara.Text(f"States: {states}", style=HELP_STYLE)
        else:
            solara.Text("No history yet: press Step or Play.", style=HELP_STYLE)


@solara.component
def LiveView(live: LiveRun, version: int, playing: bool):
    """Network and series of the live run, and the selected therapist."""
    slot, set_slot = solara.use_state(0)
    key = [version, slot, id(live)]
    net = solara.use_memo(lambda: network_figure(
        live.model.network, live.positions, live.states(), live.model.therapists.service,
        live.leader_labels(), live.month, selected=slot), key)
    series = solara.use_memo(lambda: live_series_figure(live.series(), live.month,
                                                        live.model.horizon), key)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in live.counts_by_state().items())
    solara.Text(f"Therapists by state: {counts}", classes=["impl-counts"])
    with solara.Columns([1, 1]):
        solara.FigureMatplotlib(net, dependencies=key, format="png", dpi=FIGURE_DPI)
        solara.FigureMatplotlib(series, dependencies=key, format="png", dpi=FIGURE_DPI)
    solara.HTML(tag="h3", unsafe_innerHTML="One therapist")
    TherapistView(live, version, slot, set_slot, playing)


def _state_changes(months: list[int], states: list[str]) -> list[str]:
    changes, previous = [], None
    for month, state in zip(months, states, strict=True):
        if state != previous:
            changes.append(f"month {month}: {state.replace('_', ' ')}")
            previous = state
    return changes


@solara.component
def Page():
    session = use_session()
    playing, set_playing = solara.use_state(False)
    live = session.live.value
    version = session.live_version.value

    def ensure_run() -> None:
        if session.live.value is None:
            session.live.value = _new_run(session, "b", 0)
            session.live_version.value += 1

    solara.use_effect(ensure_run, [])

    def play(cancel: threading.Event) -> None:
        while playing and not cancel.is_set():
            current = session.live.value
            if current is None or current.finished:
                set_playing(False)
                return
            current.step()
            session.live_version.value += 1
            time.sleep(PLAY_DELAY_SECONDS)

    solara.use_thread(play, dependencies=[playing], intrusive_cancel=False)

    solara.Title("impl-sim · Explore")
    solara.HTML(tag="h2", unsafe_innerHTML="Explore one run")
    solara.Text(INTRO, style={"max-width": "60em"})
    Controls(session, live, version, playing, set_playing)
    if live is None:
        solara.Info("Press Reset to start a run.")
        return
    LiveView(live, version, playing)
