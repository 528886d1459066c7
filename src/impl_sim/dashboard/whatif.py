"""The What-if page: A (today) and B (the what-if) side by side, with uncertainty bands."""

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
from impl_sim.dashboard.figures import difference_figure, whatif_figure
from impl_sim.dashboard.limits import read_upload
from impl_sim.dashboard.sentences import BAND_NOTE, sentences
from impl_sim.dashboard.session import DashboardSession, use_session
from impl_sim.dashboard.widgets import HELP_STYLE, SideControls
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import param_spec
from impl_sim.scenario.loader import ScenarioError

INTRO = ("Set up today's situation in A and the change you are considering in B, then press "
         "Run. Each side is simulated many times with the same families and the same "
         "chance events, so the difference B − A is the effect of your change. Everything runs "
         "on this computer.")


def fmt_number(x: float | None) -> str:
    """Four significant digits, whole numbers from 1000 (what the outcome table shows)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


@solara.component
def RunSettings(session: DashboardSession):
    """Replications, seed, horizon and the Run button, with progress while it runs."""
    whatif = session.whatif.value
    horizon = param_spec(HORIZON)
    progress = session.progress.value
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.SliderInt(f"Simulated futures per side: {whatif.replications}",
                         value=whatif.replications, min=2, max=MAX_REPLICATIONS,
                         on_value=lambda n: session.update(lambda w: replace(w, replications=n)))
        solara.SliderInt(f"Run length: {whatif.horizon_months} {horizon.unit}",
                         value=whatif.horizon_months, min=int(horizon.min), max=int(horizon.max),
                         on_value=lambda n: session.update(
                             lambda w: replace(w, horizon_months=n)))
        solara.InputInt("Seed", value=whatif.seed,
                        on_value=lambda s: session.update(lambda w: replace(w, seed=s)),
                        style={"max-width": "160px"})
        solara.Button("Run", on_click=session.run, color="primary", icon_name="mdi-play",
                      disabled=progress is not None, classes=["impl-run"])
    if progress is not None:
        share = 100 * progress.done / max(progress.total, 1)
        solara.ProgressLinear(value=share)
        solara.Text(f"Simulating… {progress.done} of {progress.total} futures",
                    classes=["impl-progress"])


@solara.component
def ScenarioFiles(session: DashboardSession):
    """Download the what-if as a scenario file; open a shipped or uploaded one."""
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

    def open_shipped(name: str | None) -> None:
        if name:
            session.load_file(shipped[name])

    def rename(name: str) -> None:
        session.update(lambda w: replace(w, name=name))

    try:
        whatif.scenario()
        exportable = True
    except ScenarioError:
        exportable = False
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.InputText("Scenario name", value=whatif.name, on_value=rename,
                         style={"max-width": "260px"})
        if exportable:
            solara.FileDownload(data, filename=f"{whatif.name}.yaml",
                                label="Download scenario", mime_type="text/yaml")
        solara.Select("Open a shipped scenario", values=list(shipped), value=None,
                      on_value=open_shipped, style={"max-width": "320px"})
        with solara.Column(style={"max-width": "320px"}):
            solara.FileDrop(label="…or drop a scenario file (.yaml) here", on_file=on_file,
                            lazy=True)
    solara.Text("The downloaded file reproduces these numbers exactly with "
                f"`impl-sim run {whatif.name}.yaml`.", style=HELP_STYLE)


def outcome_table_html(ens: Ensemble) -> str:
    """Every outcome: mean [95 % interval] per arm, as `impl-sim run` prints, and B − A."""
    a, b = ens.arms
    table = ens.mean_table()
    head = (f"<tr><th>outcome</th><th>unit</th><th>A: {html.escape(a)}</th>"
            f"<th>B: {html.escape(b)}</th><th>B − A (paired)</th></tr>")
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
        title = html.escape(outcome.description)
        rows.append(f'<tr><td title="{title}">{html.escape(outcome.label)}'
                    f'<br><code>{name}</code></td><td>{html.escape(outcome.unit)}</td>'
                    + "".join(cells) + "</tr>")
    return ('<table class="impl-outcomes">' + head + "".join(rows) + "</table>"
            f"<p style='font-size:0.8em;color:#555'>Mean over {ens.scenario.replications} runs "
            "per side with the 95 % interval of the mean — the same numbers as "
            "<code>impl-sim run FILE --json</code> for the downloaded file.</p>")


TABLE_CSS = """
<style>
table.impl-outcomes { border-collapse: collapse; font-size: 0.85em; width: 100%; }
table.impl-outcomes th, table.impl-outcomes td { border-bottom: 1px solid #ddd;
  padding: 3px 8px; text-align: right; vertical-align: top; }
table.impl-outcomes th:first-child, table.impl-outcomes td:first-child { text-align: left; }
table.impl-outcomes .ci { color: #777; font-size: 0.9em; }
ul.impl-sentences li { margin-bottom: 6px; }
</style>
"""


@solara.component
def Results(session: DashboardSession):
    """Sentences, band plots, difference plots and the outcome table of the last run."""
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
    a, b = ens.arms
    solara.HTML(tag="h3", unsafe_innerHTML=f"What the simulation says (A: {html.escape(a)}, "
                f"B: {html.escape(b)})")
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences(ens))
    solara.HTML(tag="div", unsafe_innerHTML=TABLE_CSS + f'<ul class="impl-sentences">{items}'
                "</ul>", classes=["impl-sentences-box"])
    solara.Text(BAND_NOTE, style=HELP_STYLE)
    solara.FigureMatplotlib(main, dependencies=[ens, "main"])
    solara.FigureMatplotlib(diff, dependencies=[ens, "diff"])
    solara.HTML(tag="div", unsafe_innerHTML=TABLE_CSS + outcome_table_html(ens),
                classes=["impl-table"])


@solara.component
def Workspace(session: DashboardSession, show_message: bool = True,
              below_run: Callable[[], None] | None = None):
    """Both sides' controls, the run settings and the results (also on the Lessons page,
    which puts its check ``below_run``, next to the Run button)."""
    with solara.Columns([1, 1]):
        SideControls(session, "a")
        SideControls(session, "b")
    RunSettings(session)
    if show_message:
        Message(session)
    if below_run is not None:
        below_run()
    Results(session)


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
    ScenarioFiles(session)
    Message(session)  # next to the file controls, where a bad upload happens
    Workspace(session, show_message=False)
