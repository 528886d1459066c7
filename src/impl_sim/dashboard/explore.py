"""The Explore page: one live run — reset, step, play — and a look inside.

The network is drawn once in the browser (an SVG Vue component, ``network.vue``); each month
only the posts' categories travel to the page, so Play stays smooth. The dots, the counts
above them and the chart all use one definition (:data:`live_run.CATEGORIES`). Clicking a dot
(or focusing it and pressing Enter) selects that therapist.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable

import solara

from impl_sim.dashboard.figures import HISTORY_TRAITS, STATE_COLOURS
from impl_sim.dashboard.live_run import CATEGORIES, CATEGORY_WORDS, LiveRun
from impl_sim.dashboard.session import DashboardSession, use_session
from impl_sim.dashboard.widgets import HELP_STYLE

PLAY_DELAY_SECONDS = 0.3  # about three months a second: fast enough to see change, slow
# enough to follow
INTRO = ("One simulated future, month by month. Each mark is a therapist post, grouped by "
         "service; colour and shape say what the therapist is doing, the star is the "
         "service's leader. When a therapist leaves, an untrained hire takes the post. Click a "
         "mark to follow that therapist.")
SHOWN_TRAITS = ("motivation", "readiness", "autonomy_preference", "self_leadership",
                "competence", "fidelity", "cpp_caseload", "cases_started", "training_cases",
                "completed_training", "certified", "champion", "first_case_month",
                "last_active_month")
# Okabe–Ito colours (figures.STATE_COLOURS) and one shape per category.
COLOURS = {c: STATE_COLOURS[s] for c, s in zip(CATEGORIES, STATE_COLOURS, strict=True)}
SHAPES = {"untrained": "circle", "in_training": "square", "trained": "diamond",
          "delivering": "triangle", "paused": "ring", "discontinued": "cross"}
CHART_LINES = (("delivering", ""), ("in_training", "6 3"), ("trained", "2 2"),
               ("discontinued", "8 3 2 3"))
TRAIT_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00")
TRAIT_DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3")


@solara.component_vue("network.vue")
def NetworkView(nodes: list, edges: list, states: list, leaders: list, selected: int,
                colours: dict, shapes: dict, words: dict, alt: str,
                event_select: Callable[[int], None]):
    """The colleague network (SVG); ``event_select(slot)`` when a post is clicked."""


@solara.component_vue("linechart.vue")
def LineChart(lines: list, xmax: int, ymax: float, marker: int, title: str, xlabel: str,
              alt: str):
    """Monthly lines (SVG), drawn in the browser."""


def _new_run(session: DashboardSession, side: str, replication: int) -> LiveRun:
    whatif = session.whatif.value
    params = whatif.side(side).params(whatif.horizon_months)
    return LiveRun(params, whatif.seed, replication)


@solara.component
def Controls(session: DashboardSession, live: LiveRun | None, version: int, playing: bool,
             set_playing, side: str, set_side, replication: int, set_replication):
    """Which settings to run, and Reset / Step / Play. ``live`` and ``version`` come from the
    page as props, so the buttons update with every month."""

    def reset(new_side: str | None = None, new_replication: int | None = None) -> None:
        set_playing(False)
        session.live.value = _new_run(session, new_side or side,
                                      replication if new_replication is None
                                      else new_replication)
        session.live_version.value += 1

    def step() -> None:
        if session.live.value is not None:
            session.live.value.step()
            session.live_version.value += 1

    whatif = session.whatif.value
    labels = {"a": f"A: {whatif.label('a')}", "b": f"B: {whatif.label('b')}"}

    def choose_side(label: str) -> None:
        new = "a" if label == labels["a"] else "b"
        set_side(new)
        reset(new_side=new)

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Reset", on_click=lambda: reset(), icon_name="mdi-restart",
                      classes=["impl-reset"])
        solara.Button("Step", on_click=step, icon_name="mdi-step-forward",
                      disabled=live is None or live.finished or playing, classes=["impl-step"])
        solara.Button("Pause" if playing else "Play",
                      icon_name="mdi-pause" if playing else "mdi-play",
                      on_click=lambda: set_playing(not playing), color="primary",
                      disabled=live is None or live.finished, classes=["impl-play"])
        if live is not None:
            solara.Text(f"Month {live.month} of {live.model.horizon}",
                        classes=["impl-month"], style={"font-weight": "bold",
                                                       "min-width": "9em"})
        solara.Select("Settings from the What-if page", values=list(labels.values()),
                      value=labels[side], on_value=choose_side, style={"max-width": "360px"})
        solara.InputInt("Which simulated future (0 = the first)", value=replication,
                        on_value=lambda r: (set_replication(max(0, r)),
                                            reset(new_replication=max(0, r))),
                        style={"max-width": "260px"})


def _attributes_html(info: dict) -> str:
    rows = "".join(f"<tr><th scope='row'>{html.escape(k.replace('_', ' '))}</th><td>"
                   f"{v:.2f}</td></tr>" if isinstance(v, float) else
                   f"<tr><th scope='row'>{html.escape(k.replace('_', ' '))}</th><td>"
                   f"{html.escape(str(v))}</td></tr>" for k, v in info.items())
    return f'<table class="impl-therapist-table" style="font-size:0.85em">{rows}</table>'


@solara.component
def TherapistView(live: LiveRun, version: int, slot: int, set_slot):
    """The therapist now in the selected post, and their history since they were hired."""
    pool = live.model.therapists
    options = [f"post {i} · service {int(pool.service[i]) + 1}" for i in range(pool.n)]
    info = live.therapist(slot)
    history = live.history(slot)
    solara.Select("Therapist (or click a mark in the network)", values=options,
                  value=options[slot], on_value=lambda v: set_slot(options.index(v)),
                  style={"max-width": "340px"})
    shown = {"person": info["person_id"], "hired in month": info["hired_month"],
             "state": info["state"], **{k: info[k] for k in SHOWN_TRAITS if k in info}}
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        solara.HTML(tag="div", unsafe_innerHTML=_attributes_html(shown),
                    classes=["impl-therapist"])
        if history is not None and history.months:
            first = history.months[0]
            lines = [{"label": t.replace("_", " "), "colour": c, "dash": d,
                      "values": [None] * first + [round(100 * v, 1) for v in history.traits[t]]}
                     for t, c, d in zip(HISTORY_TRAITS, TRAIT_COLOURS, TRAIT_DASHES,
                                        strict=True)]
            states = ", ".join(_state_changes(history.months, history.states))
            with solara.Column(style={"min-width": "0", "flex": "1 1 320px"}):
                LineChart(lines=lines, xmax=live.model.horizon, ymax=100, marker=0,
                          title=f"Therapist {info['person_id']} (post {slot}): levels, 0–100",
                          xlabel="month",
                          alt=f"Line chart of therapist {info['person_id']}'s motivation, "
                          f"readiness, autonomy preference, competence and fidelity since "
                          f"month {first}.")
                solara.Text(f"States: {states}", style=HELP_STYLE)
        else:
            solara.Text("No history yet: press Step or Play.", style=HELP_STYLE)


@solara.component
def LiveView(live: LiveRun, version: int):
    """Counts, network and chart of the live run (one definition), and the chosen therapist."""
    slot, set_slot = solara.use_state(0)
    layout = solara.use_memo(lambda: _layout(live), [id(live)])
    now = live.categories()
    counts = {c: now.count(c) for c in CATEGORIES}
    series = live.count_series()
    said = ", ".join(f"{CATEGORY_WORDS[c]} {n}" for c, n in counts.items() if n)
    solara.Text(f"Therapist posts ({len(now)}): {said}", classes=["impl-counts"])
    with solara.Div(classes=["impl-sides"]):
        with solara.Column(style={"min-width": "0"}):
            NetworkView(nodes=layout["nodes"], edges=layout["edges"], states=now,
                        leaders=[{**p, "label": lab} for p, lab in
                                 zip(layout["leaders"], live.leader_labels(), strict=True)],
                        selected=slot, colours=COLOURS, shapes=SHAPES, words=CATEGORY_WORDS,
                        alt=f"Network of {len(now)} therapist posts in "
                        f"{live.model.services.n} services at month {live.month}: {said}.",
                        event_select=lambda i: set_slot(int(i)))
        with solara.Column(style={"min-width": "0"}):
            LineChart(lines=[{"label": CATEGORY_WORDS[c], "colour": COLOURS[c], "dash": d,
                              "values": series[c]} for c, d in CHART_LINES],
                      xmax=live.model.horizon, ymax=5, marker=_training_end(live),
                      title="This run so far: therapist posts", xlabel="month (dashed line: "
                      "training ends)",
                      alt=f"Line chart of therapist posts by what they do, months 0 to "
                      f"{live.month}: {said}.")
    solara.HTML(tag="h3", unsafe_innerHTML="One therapist")
    TherapistView(live, version, slot, set_slot)


def _training_end(live: LiveRun) -> int:
    t = live.params.training
    return t.start_month + t.duration_months


def _layout(live: LiveRun) -> dict[str, list]:
    """Node positions, edges and leader positions: computed once per run."""
    service = live.model.therapists.service
    nodes = [{"x": round(float(live.positions[i][0]), 3),
              "y": round(-float(live.positions[i][1]), 3), "service": int(service[i])}
             for i in range(len(service))]
    edges = [[int(u), int(v), str(k)] for u, v, k in live.model.network.edges(data="kind")]
    leaders = []
    for s in range(live.model.services.n):
        members = [n for n in nodes if n["service"] == s]
        leaders.append({"x": round(sum(n["x"] for n in members) / len(members), 3),
                        "y": round(sum(n["y"] for n in members) / len(members), 3)})
    return {"nodes": nodes, "edges": edges, "leaders": leaders}


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
    side, set_side = solara.use_state("b")
    replication, set_replication = solara.use_state(0)
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
    Controls(session, live, version, playing, set_playing, side, set_side, replication,
             set_replication)
    if live is None:
        solara.Info("Press Reset to start a run.")
        return
    LiveView(live, version)
