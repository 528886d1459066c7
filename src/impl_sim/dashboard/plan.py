"""The Plan page: a budget and what the leader cares about → the robust bundle of strategies.

Searches every bundle of up to three strategies (``plan.yaml``) across futures that differ in
the model's uncertainties, with common random numbers; shows the cost–effect frontier with
95 % intervals, the robust choice and one sentence. Runs on the shared pool; shows progress;
Cancel stops it.
"""

from __future__ import annotations

import html
import math
import threading
from dataclasses import dataclass

import solara
from matplotlib.figure import Figure

from impl_sim.dashboard.ensemble import Cancelled, pool_executor
from impl_sim.dashboard.planning import OBJECTIVES, TODAY, PlanRequest, PlanResult, search
from impl_sim.dashboard.sentences import say_difference
from impl_sim.dashboard.session import DashboardSession, RunProgress, use_session
from impl_sim.dashboard.widgets import HELP_STYLE, FigureImage
from impl_sim.dashboard.wording import euro, outcome_label, outcome_words, param_label
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import param_spec

INTRO = ("Give a budget — what you could spend over today's costs during the whole run — and "
         "what you care about. The planner simulates every bundle of up to three strategies "
         "in the same futures, which differ in what nobody controls (staff turnover, "
         "referrals, motivation, pressure), and recommends the bundle that is best in most "
         "futures within your budget. Today's settings come from side A of the What-if page.")
MAX_BUDGET = 1_000_000


@dataclass
class PlanState:
    """One session's plan search: its progress, its result, and how to cancel it."""

    progress: solara.Reactive[RunProgress | None]
    result: solara.Reactive[PlanResult | None]
    cancel: threading.Event


def plan_sentence(result: PlanResult) -> str:
    """What the search recommends, with its uncertainty, in words."""
    request, choice = result.request, result.choice
    what = outcome_words(request.objective).plain
    outcome = OUTCOMES[request.objective]
    unit = "" if outcome.share or outcome.unit == "EUR" else f" {outcome.unit}"

    def diff(x: float) -> str:
        return say_difference(request.objective, x) + unit

    if choice is None:
        return f"No bundle fits a budget of {euro(request.budget)}; raise it."
    if all(math.isnan(r.gain["mean"]) for r in result.bundles):
        return (f"“{what}” cannot be measured in a {request.horizon_months}-month run (it ends "
                "too early); make the run longer on the What-if page.")
    if not choice.bundle:
        return (f"Within {euro(request.budget)}, {choice.name} is the robust choice: no bundle "
                f"beats today in most futures for “{what}”, so spending more does not clearly "
                "buy more here.")
    g, c = choice.gain, choice.extra_cost
    clear = g["lo"] > 0
    return (f"Within {euro(request.budget)} extra over {request.horizon_months} months, "
            f"{choice.name} is the robust choice for “{what}”: best of the affordable bundles "
            f"in {choice.wins} of {request.futures} futures; on average {diff(g['mean'])} "
            f"compared with today (95 % interval {diff(g['lo'])} to {diff(g['hi'])}) for about "
            f"{euro(c['mean'])} extra. "
            + (f"In its worst future it falls {diff(choice.regret).lstrip('+')} short of the "
               "best affordable bundle of that future (its regret)." if choice.regret > 0 else
               "It is the best affordable bundle in every future (no regret).")
            + ("" if clear else " Its gain is not clearly above zero with this many futures."))


def frontier_figure(result: PlanResult) -> Figure:
    """Extra cost vs gain of every bundle; the frontier, the budget and the choice marked."""
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    k = 1 / 1000
    for r in result.bundles:
        ax.errorbar(r.extra_cost["mean"] * k, r.gain["mean"],
                    xerr=[[max(r.extra_cost["mean"] - r.extra_cost["lo"], 0) * k],
                          [max(r.extra_cost["hi"] - r.extra_cost["mean"], 0) * k]],
                    yerr=[[max(r.gain["mean"] - r.gain["lo"], 0)],
                          [max(r.gain["hi"] - r.gain["mean"], 0)]],
                    fmt="o", color="#999999", markersize=4, alpha=0.5, elinewidth=0.6)
    front = result.frontier
    ax.plot([r.extra_cost["mean"] * k for r in front], [r.gain["mean"] for r in front],
            "s-", color="#0072B2", label="frontier (nothing cheaper does more)")
    ax.axvline(result.request.budget * k, color="#555", linestyle="--", linewidth=1,
               label=f"budget {euro(result.request.budget)}")
    if result.choice is not None:
        ax.plot([result.choice.extra_cost["mean"] * k], [result.choice.gain["mean"]], "*",
                color="#D55E00", markersize=18, label=f"robust choice: {result.choice.name}")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("extra cost over today, thousand € (mean, 95 % interval)")
    ax.set_ylabel(f"gain over today (mean, 95 % interval)\n"
                  f"{outcome_words(result.request.objective).plain}", fontsize=9)
    ax.set_title("Every bundle of up to three strategies: cost and effect", loc="left")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def frontier_table_html(result: PlanResult) -> str:
    rows = []
    for r in result.frontier:
        mark = " ★" if r is result.choice else ""
        g = r.gain
        rows.append(
            f"<tr><th scope='row'>{html.escape(r.name)}{mark}</th>"
            f"<td>{euro(r.extra_cost['mean'])}</td>"
            f"<td>{say_difference(result.request.objective, g['mean'])} "
            f"<span class='ci'>[{say_difference(result.request.objective, g['lo'])}, "
            f"{say_difference(result.request.objective, g['hi'])}]</span></td>"
            f"<td>{'yes' if r.in_budget else 'no'}</td>"
            f"<td>{r.wins if r.in_budget else '–'}</td></tr>")
    head = ("<tr><th scope='col'>bundle (on the frontier)</th><th scope='col'>extra cost</th>"
            "<th scope='col'>gain over today [95 % interval]</th><th scope='col'>within "
            "budget</th><th scope='col'>best in … futures</th></tr>")
    return ('<div class="impl-scroll"><table class="impl-outcomes impl-frontier">' + head
            + "".join(rows) + "</table></div>")


def start_search(session: DashboardSession, state: PlanState, request: PlanRequest) -> None:
    """Run the search in the background on the shared pool (a new search cancels the old)."""
    state.cancel.set()
    state.cancel = cancel = threading.Event()
    state.progress.value = RunProgress(0, 1)

    def report(done: int, total: int) -> None:
        if cancel.is_set():
            raise Cancelled()
        state.progress.value = RunProgress(done, total)

    def work() -> None:
        try:
            result = search(request, executor=pool_executor(f"{session.key}-plan"),
                            progress=report)
        except Cancelled:
            return
        except Exception as exc:  # a worker died: say so, keep the page alive
            session.message.value = f"The plan search stopped ({exc}); press Search again."
            state.progress.value = None
            return
        if not cancel.is_set():
            state.result.value = result
            state.progress.value = None

    threading.Thread(target=work, daemon=True).start()


@solara.component
def Page():
    session = use_session()
    state = solara.use_memo(lambda: PlanState(solara.reactive(None), solara.reactive(None),
                                              threading.Event()), [])
    budget, set_budget = solara.use_state(150_000)
    objective, set_objective = solara.use_state(OBJECTIVES[0])
    futures, set_futures = solara.use_state(6)
    labels = {outcome_label(o): o for o in OBJECTIVES}
    progress, result = state.progress.value, state.result.value

    def go() -> None:
        whatif = session.whatif.value
        start_search(session, state, PlanRequest(
            budget=float(budget), objective=objective, futures=futures, seed=whatif.seed,
            base=dict(whatif.a.overrides), horizon_months=whatif.horizon_months))

    def cancel() -> None:
        state.cancel.set()
        state.progress.value = None

    solara.Title("impl-sim · Plan")
    solara.HTML(tag="h2", unsafe_innerHTML="Plan: what to do with a budget")
    solara.Text(INTRO, style={"max-width": "60em"})
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Search", on_click=go, color="primary", icon_name="mdi-magnify",
                      disabled=progress is not None, classes=["impl-plan-search"])
        if progress is not None:
            solara.Button("Cancel", on_click=cancel, icon_name="mdi-close",
                          classes=["impl-plan-cancel"])
        solara.SliderInt(f"Budget over today: {euro(budget)}", value=budget, min=0,
                         max=MAX_BUDGET, step=10_000, on_value=set_budget)
        solara.Select("What you care about", values=list(labels),
                      value=outcome_label(objective),
                      on_value=lambda v: set_objective(labels[v]), style={"max-width": "520px"})
        solara.SliderInt(f"Simulated futures per bundle: {futures}", value=futures, min=4,
                         max=20, on_value=set_futures)
    if progress is not None:
        solara.ProgressLinear(value=100 * progress.done / max(progress.total, 1))
        solara.Text(f"Simulating… {progress.done} of {progress.total} runs "
                    "(every bundle in every future)", classes=["impl-plan-progress"])
    if session.message.value:
        solara.Error(session.message.value)
    if result is None:
        if progress is None:
            solara.Info("Press Search to find the robust bundle for this budget.")
        return
    PlanResultView(result)


@solara.component
def PlanResultView(result: PlanResult):
    fig = solara.use_memo(lambda: frontier_figure(result), [result])
    uncertain = ", ".join(param_label(param_spec(n)).lower()
                          for n in ("therapists.annual_turnover",
                                    "services.eligible_referrals_per_month"))
    solara.HTML(tag="p", unsafe_innerHTML=f"<b>{html.escape(plan_sentence(result))}</b>",
                classes=["impl-plan-sentence"], style={"max-width": "60em"})
    solara.Text(f"Each bundle was simulated in the same {result.request.futures} futures "
                f"(they differ in {uncertain}, motivation and pressure — see "
                "src/impl_sim/dashboard/plan.yaml); ranges are 95 % intervals of the mean; "
                f"“{TODAY}” is side A of the What-if page.", style=HELP_STYLE)
    gains = [r.gain["mean"] for r in result.frontier]
    FigureImage(fig, f"Scatter of {len(result.bundles)} bundles: extra cost against gain in "
                f"{outcome_label(result.request.objective).lower()}; the frontier runs from "
                f"{min(gains):+.1f} to {max(gains):+.1f}; the robust choice within the budget "
                f"is {result.choice.name if result.choice else 'none'}.",
                classes=["impl-plan-figure"])
    solara.HTML(tag="div", unsafe_innerHTML=frontier_table_html(result),
                classes=["impl-plan-table"])

