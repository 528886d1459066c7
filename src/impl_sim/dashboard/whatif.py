"""The What-if page, question first: pick a question (or change B), read the answer.

A is today (the loaded scenario), B starts as an unchanged copy. One click on a question sets
B to A plus that question and runs; B is named after what differs. The answer comes first —
plain sentences with one uncertainty statement, then "Why?", the figures and the full table;
both sides' settings follow (side by side on wide screens, A over B on narrow ones).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import replace

import solara

from impl_sim.dashboard.controls import HORIZON
from impl_sim.dashboard.ensemble import (
    MAX_REPLICATIONS,
    Ensemble,
    export_yaml,
    openable_scenarios,
)
from impl_sim.dashboard.figures import difference_alt, difference_figure, whatif_alt, whatif_figure
from impl_sim.dashboard.questions import Question, load_questions
from impl_sim.dashboard.sentences import sentences, uncertainty_note
from impl_sim.dashboard.session import DashboardSession, use_session
from impl_sim.dashboard.widgets import HELP_STYLE, FigureImage, SideControls
from impl_sim.dashboard.wording import outcome_label, outcome_words
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import param_spec
from impl_sim.scenario.loader import ScenarioError

INTRO = ("A is your service today; B is the change you are considering. Click a question, or "
         "change B yourself and press Run. Both sides are simulated many times with the same "
         "families and the same chance events, so B − A is the effect of the change. "
         "Everything runs on this computer.")
MAX_UPLOAD_BYTES = 1_000_000  # a scenario file is a few kilobytes


def fmt_number(x: float | None) -> str:
    """Four significant digits, whole numbers from 1000 (what the outcome table shows)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


@solara.component
def QuestionBar(session: DashboardSession):
    """One-click questions (from questions.yaml): each sets B to A plus the question."""
    questions = solara.use_memo(load_questions, [])
    with solara.Column(gap="4px", classes=["impl-questions"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Ask a question", style={"margin": "0"})
        with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
            for q in questions:
                QuestionButton(session, q)


@solara.component
def QuestionButton(session: DashboardSession, question: Question):
    solara.Button(question.label, on_click=lambda: session.ask(question), outlined=True,
                  classes=["impl-question", f"impl-question-{question.id}"],
                  style={"text-transform": "none"})


@solara.component
def RunSettings(session: DashboardSession):
    """The Run button first (keyboard users reach it at once), then futures, seed, length."""
    whatif = session.whatif.value
    horizon = param_spec(HORIZON)
    progress = session.progress.value
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"},
                    classes=["impl-run-row"]):
        solara.Button("Run", on_click=session.run, color="primary", icon_name="mdi-play",
                      disabled=progress is not None, classes=["impl-run"])
        solara.SliderInt(f"Simulated futures per side: {whatif.replications}",
                         value=whatif.replications, min=2, max=MAX_REPLICATIONS,
                         on_value=lambda n: session.update(lambda w: replace(w, replications=n)))
        solara.SliderInt(f"Run length: {whatif.horizon_months} {horizon.unit}",
                         value=whatif.horizon_months, min=int(horizon.min), max=int(horizon.max),
                         on_value=lambda n: session.update(
                             lambda w: replace(w, horizon_months=n)))
        solara.InputInt("Seed (same seed, same futures)", value=whatif.seed,
                        on_value=lambda s: session.update(lambda w: replace(w, seed=s)),
                        style={"max-width": "200px"})
    if progress is not None:
        share = 100 * progress.done / max(progress.total, 1)
        solara.ProgressLinear(value=share)
        solara.Text(progress.text(), classes=["impl-progress"])


@solara.component_vue("file_picker.vue")
def FilePicker(event_loaded: Callable[[dict], None], max_bytes: int = MAX_UPLOAD_BYTES):
    """A file-picker button (keyboard and touch), read in the browser, sent as text."""


@solara.component
def ScenarioFiles(session: DashboardSession):
    """Download the what-if as a scenario file; open a shipped, chosen or dropped one."""
    whatif = session.whatif.value
    shipped = solara.use_memo(openable_scenarios, [])

    def data() -> str:
        return export_yaml(session.whatif.value)

    def on_file(info) -> None:
        session.load(info["data"] or b"", info["name"])

    def on_picked(info: dict) -> None:
        session.load(str(info.get("text", "")), str(info.get("name", "uploaded file")))

    def open_shipped(name: str | None) -> None:
        if name:
            session.load_file(shipped[name])

    try:
        whatif.scenario()
        exportable = True
    except ScenarioError:
        exportable = False
    with solara.Details("Open or download a scenario file"):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputText("Scenario name", value=whatif.name,
                             on_value=lambda n: session.update(lambda w: replace(w, name=n)),
                             style={"max-width": "260px"})
            if exportable:
                solara.FileDownload(data, filename=f"{whatif.name}.yaml",
                                    label="Download scenario", mime_type="text/yaml")
            solara.Select("Open a shipped scenario", values=list(shipped), value=None,
                          on_value=open_shipped, style={"max-width": "320px"})
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            FilePicker(event_loaded=on_picked)
            with solara.Column(style={"max-width": "320px"}):
                solara.FileDrop(label="…or drop a scenario file (.yaml) here", on_file=on_file,
                                lazy=False)
        solara.Text("The downloaded file reproduces these numbers exactly with "
                    f"`impl-sim run {whatif.name}.yaml`.", style=HELP_STYLE)


def outcome_table_html(ens: Ensemble) -> str:
    """Every outcome: mean [95 % interval] per side, as `impl-sim run` prints, and B − A."""
    a, b = ens.arms
    table = ens.mean_table()
    head = ("<tr><th scope='col'>outcome</th><th scope='col'>of / unit</th>"
            "<th scope='col'>A</th><th scope='col'>B</th>"
            "<th scope='col'>B − A (paired)</th></tr>")
    rows = []
    for name, outcome in OUTCOMES.items():
        cells = []
        for arm in (a, b):
            s = table[arm][name]
            cells.append(f'<td data-arm="{html.escape(arm)}" data-outcome="{name}" '
                         f'data-mean="{fmt_number(s["mean"])}">{fmt_number(s["mean"])} '
                         f'<span class="ci">[{fmt_number(s["lo"])}, {fmt_number(s["hi"])}]'
                         "</span></td>")
        d = ens.difference(name)
        cells.append(f'<td>{fmt_number(d["mean"])} <span class="ci">[{fmt_number(d["lo"])}, '
                     f'{fmt_number(d["hi"])}]</span></td>')
        words = outcome_words(name)
        of = (f"share of {words.denominator}" if outcome.share and words.denominator
              else outcome.unit)
        rows.append(f'<tr><th scope="row" title="{html.escape(outcome.description)}">'
                    f'{html.escape(outcome_label(name))}</th><td>{html.escape(of)}</td>'
                    + "".join(cells) + "</tr>")
    return ('<div class="impl-scroll"><table class="impl-outcomes">' + head + "".join(rows)
            + "</table></div>"
            f"<p class='impl-note'>Mean over {ens.scenario.replications} simulated futures "
            "per side with the 95 % interval of the mean; shares as fractions (0.72 = 72 %) — "
            "the same numbers as <code>impl-sim run FILE --json</code> for the downloaded "
            "file.</p>")


@solara.component
def Why(ens: Ensemble):
    """Which mechanisms carry the difference (the attribution of `impl-sim explain`)."""
    with solara.Details("Why? Which mechanisms make the difference"):
        solara.Text("The attribution of B − A to the model's mechanisms (switching each "
                    "causal path off in turn, `impl-sim explain`) is not yet part of this "
                    "build of the dashboard.", style=HELP_STYLE, classes=["impl-why"])


@solara.component
def Results(session: DashboardSession):
    """Sentences, "why", figures and the outcome table of the last run."""
    ens = session.ensemble.value
    main = solara.use_memo(lambda: whatif_figure(ens) if ens else None, [ens])
    diff = solara.use_memo(lambda: difference_figure(ens) if ens else None, [ens])
    if ens is None:
        if session.progress.value is None:
            solara.Info("Press Run to simulate A and B.")
        return
    if session.stale:
        solara.Warning("The settings changed since this run — press Run to update the results.",
                       classes=["impl-stale"])
    label_a, label_b = ens.labels()
    solara.HTML(tag="h3", unsafe_innerHTML="What the simulation says", style={"margin": "0"})
    solara.HTML(tag="p", unsafe_innerHTML=f'<b>A:</b> <span class="impl-label-a">'
                f'{html.escape(label_a)}</span> &nbsp;·&nbsp; <b>B:</b> '
                f'<span class="impl-label-b">{html.escape(label_b)}</span>',
                classes=["impl-labels"])
    if dict(ens.whatif.a.overrides) == dict(ens.whatif.b.overrides):
        solara.Info("B is the same as A, so every difference is zero. Click a question above "
                    "or change B, then Run.", dense=True)
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences(ens))
    solara.HTML(tag="div", unsafe_innerHTML=f'<ul class="impl-sentences">{items}</ul>',
                classes=["impl-sentences-box"])
    solara.Text(uncertainty_note(ens), style=HELP_STYLE, classes=["impl-uncertainty"])
    Why(ens)
    FigureImage(main, whatif_alt(ens), classes=["impl-figure-main"])
    FigureImage(diff, difference_alt(ens), classes=["impl-figure-diff"])
    with solara.Details("All outcomes (table)"):
        solara.HTML(tag="div", unsafe_innerHTML=outcome_table_html(ens), classes=["impl-table"])


@solara.component
def Sides(session: DashboardSession):
    """A and B: side by side on wide screens, A over B under ~900 px (CSS in app.py)."""
    with solara.Div(classes=["impl-sides"]):
        SideControls(session, "a")
        SideControls(session, "b")


@solara.component
def Workspace(session: DashboardSession, show_message: bool = True,
              below_run: Callable[[], None] | None = None, questions: bool = True):
    """Questions, Run, the answer, then both sides' settings (the Lessons page reuses it and
    puts its check ``below_run``, next to the Run button)."""
    if questions:
        QuestionBar(session)
    RunSettings(session)
    if show_message:
        Message(session)
    if below_run is not None:
        below_run()
    Results(session)
    solara.HTML(tag="h3", unsafe_innerHTML="Settings of A and B", style={"margin": "12px 0 0"})
    Sides(session)


@solara.component
def Message(session: DashboardSession):
    """A bad file or value: the same one-line message the command line prints."""
    if session.message.value:
        solara.Error(session.message.value, classes=["impl-message"])


@solara.component
def Page():
    session = use_session()
    # the first visit shows results without waiting for a click
    solara.use_effect(lambda: session.run() if session.ensemble.value is None
                      and session.progress.value is None else None, [])
    solara.Title("impl-sim · What-if")
    solara.HTML(tag="h2", unsafe_innerHTML="What if…?")
    solara.Text(INTRO, style={"max-width": "60em"})
    Message(session)  # next to the file controls, where a bad upload happens
    Workspace(session, show_message=False)
    ScenarioFiles(session)
