"""The What-if page, question first: pick a question (or change B), read the answer.

A is today (the loaded scenario), B starts as an unchanged copy. One click on a question sets
B to A plus that question and runs; B is named after what differs. The answer comes first —
plain sentences with one uncertainty statement, then "Why?", the figures and the full table;
both sides' settings follow (side by side on wide screens, A over B on narrow ones).
"""

from __future__ import annotations

import html
import math
import threading
from collections.abc import Callable
from dataclasses import replace

import solara
from matplotlib.figure import Figure

from impl_sim.dashboard.controls import HORIZON
from impl_sim.dashboard.ensemble import (
    MAX_REPLICATIONS,
    Cancelled,
    Ensemble,
    export_yaml,
    openable_scenarios,
    pool_executor,
)
from impl_sim.dashboard.figures import (
    difference_alt,
    difference_figure,
    short,
    whatif_alt,
    whatif_figure,
)
from impl_sim.dashboard.limits import MAX_UPLOAD_BYTES, read_upload
from impl_sim.dashboard.questions import Question, load_questions
from impl_sim.dashboard.sentences import sentences, uncertainty_note
from impl_sim.dashboard.session import DashboardSession, RunProgress, use_session
from impl_sim.dashboard.widgets import HELP_STYLE, FigureImage, SideControls
from impl_sim.dashboard.wording import outcome_label, outcome_words
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import param_spec
from impl_sim.scenario.loader import ScenarioError

INTRO = ("A is your service today; B is the change you are considering. Click a question, or "
         "change B yourself and press Run. Both sides are simulated many times with the same "
         "families and the same chance events, so B − A is the effect of the change. "
         "Everything runs on this computer.")


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
        try:  # lazy: an oversized file is refused before its bytes are received
            data = read_upload(info)
        except ScenarioError as exc:
            session.message.value = str(exc)
            return
        session.load(data, info["name"])

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
                                lazy=True)
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


WHY_REPLICATIONS = 4  # futures per side and combination: ~850 runs for ten paths
WHY_OUTCOMES = ("delivering_therapists_24m", "sustainment_24m")


def why_figure(attribution, outcome: str) -> Figure:
    """Share of B − A each mechanism path carries (Shapley), with 95 % intervals."""
    result = attribution.outcomes[outcome]
    paths = sorted(result.paths, key=lambda p: abs(p.share) if math.isfinite(p.share) else 0)
    labels = [short(attribution.labels.get(p.path, p.path), 55) for p in paths]
    shares = [100 * p.share for p in paths]
    lo = [max(100 * (p.share - p.share_lo), 0) for p in paths]
    hi = [max(100 * (p.share_hi - p.share), 0) for p in paths]
    fig = Figure(figsize=(9, 0.35 * len(paths) + 1.2), layout="constrained")
    ax = fig.subplots()
    ax.barh(range(len(paths)), shares, xerr=[lo, hi], color="#0072B2", ecolor="#555",
            height=0.6)
    ax.set_yticks(range(len(paths)), labels, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("% of the difference B − A this path carries (Shapley share, 95 % interval)",
                  fontsize=9)
    ax.set_title(f"Why? {outcome_label(outcome)}", loc="left", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def explain_whatif(session: DashboardSession, ens: Ensemble) -> None:
    """Attribute B − A to the mechanism paths (``impl-sim explain``) in the background."""
    from impl_sim.analysis.attribution import explain

    scenario = replace(ens.scenario, replications=min(WHY_REPLICATIONS,
                                                      ens.scenario.replications))
    session.why.value = (ens, None)
    session.why_progress.value = RunProgress(0, 1)

    def report(done: int, total: int) -> None:
        if session.why.value is None or session.why.value[0] is not ens:
            raise Cancelled()
        session.why_progress.value = RunProgress(done, total)

    def work() -> None:
        try:
            result = explain(scenario, outcomes=WHY_OUTCOMES, progress=report,
                             executor=pool_executor(f"{session.key}-why"))
        except Cancelled:
            return
        except Exception as exc:  # an unusual scenario or a dead worker: say so
            session.message.value = f"Why? could not be computed ({exc})."
            session.why.value, session.why_progress.value = None, None
            return
        if session.why.value is not None and session.why.value[0] is ens:
            session.why.value = (ens, result)
            session.why_progress.value = None

    threading.Thread(target=work, daemon=True).start()


@solara.component
def Why(session: DashboardSession, ens: Ensemble):
    """Which mechanisms carry the difference: the attribution of `impl-sim explain`, as a
    short bar chart and one sentence (on demand: it runs every path switched off)."""
    from impl_sim.analysis import attribution as attr

    why = session.why.value
    mine = why is not None and why[0] is ens
    result = why[1] if mine else None
    progress = session.why_progress.value if mine else None
    fig = solara.use_memo(lambda: why_figure(result, WHY_OUTCOMES[0])
                          if result is not None else None, [id(result)])
    with solara.Card(margin=0, classes=["impl-why"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Why? Which mechanisms make the difference",
                    style={"margin": "0"})
        if dict(ens.whatif.a.overrides) == dict(ens.whatif.b.overrides):
            solara.Text("B is the same as A: there is no difference to explain.",
                        style=HELP_STYLE)
            return
        if result is None and progress is None:
            solara.Button("Explain the difference", on_click=lambda: explain_whatif(session,
                                                                                     ens),
                          outlined=True, classes=["impl-why-run"])
            solara.Text("Switches each causal path of the model off in turn, in both A and B "
                        f"({WHY_REPLICATIONS} futures per side and combination; about a minute "
                        "on two cores), and measures how much of B − A goes with it.",
                        style=HELP_STYLE)
            return
        if progress is not None:
            solara.ProgressLinear(value=100 * progress.done / max(progress.total, 1))
            solara.Text(f"Explaining… {progress.done} of {progress.total} runs",
                        classes=["impl-why-progress"])
            return
        for outcome in WHY_OUTCOMES:
            said = attr.sentence(result.outcomes[outcome], result)
            said = said.replace(result.arm_b, "B").replace(result.arm_a, "A")  # B first: "A" is
            solara.HTML(tag="p", unsafe_innerHTML=html.escape(said),  # often a prefix of B
                        classes=["impl-why-sentence"], style={"margin": "4px 0"})
        ranked = sorted(result.outcomes[WHY_OUTCOMES[0]].paths, key=lambda p: -abs(p.share)
                        if math.isfinite(p.share) else 0)
        FigureImage(fig, "Horizontal bars: the share of the difference in "
                    f"{outcome_words(WHY_OUTCOMES[0]).plain} each mechanism path carries; "
                    "largest: " + "; ".join(f"{result.labels.get(p.path, p.path)} "
                                            f"{100 * p.share:.0f} %" for p in ranked[:3]) + ".")
        solara.Text(f"{result.runs} runs with {result.scenario.replications} futures per side "
                    "(common random numbers); shares add up to the difference minus what no "
                    "named path carries.", style=HELP_STYLE)


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
    Why(session, ens)
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
