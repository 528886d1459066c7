"""S10 — funding decides long-run service-level survival (scenarios/sweep_funding_cycles.yaml)."""

from pathlib import Path

from common import COLOURS, OUTPUT, figure, line_with_interval, means_by, save, workers

from impl_sim import sweep
from impl_sim.analysis.report import outcome_axis_label, parameter_axis_label, series_axis_label

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "sweep_funding_cycles.yaml"
CYCLE = "context.funding_cycle_months"


def main() -> None:
    res = sweep(SCENARIO, replications=3, out=OUTPUT / "results", workers=workers())
    fig, (ax1, ax2) = figure("S10: funding decides long-run service survival", panels=2)
    table = means_by(res.summary, ["arm", CYCLE], "months_funded")
    for i, arm in enumerate(res.arms):
        line_with_interval(ax1, table[table["arm"] == arm], CYCLE, COLOURS[i], arm)
    ax1.set_xlabel(parameter_axis_label(CYCLE))
    ax1.set_ylabel(outcome_axis_label("months_funded"))
    ax1.legend()
    ax1.grid(alpha=0.3)
    runs = res.series.merge(res.summary[["task", CYCLE, "context.renewal_impact_weight"]])
    chosen = runs[(runs[CYCLE] == 24) & (runs["context.renewal_impact_weight"] == 0.35)
                  & (runs["arm"] == res.arms[0])]
    for i, (_, one) in enumerate(chosen.groupby("task")):
        ax2.step(one["month"], one["funded_services"] + 0.06 * i, where="post",
                 color=COLOURS[i % len(COLOURS)], lw=1.5, label=f"run {i + 1}")
    ax2.set_xlabel("Month since training started (months)")
    ax2.set_ylabel(series_axis_label("funded_services"))
    ax2.set_title("24-month cycles, no support: single runs")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    save(fig, "10_s10_funding",
         "Left: mean months funded (95 % interval over runs and impact weights) against the "
         "commissioning cycle, without and with commissioning support. Right: funded services "
         "in single runs (lines offset slightly), showing losses of funding and restarts. S10 "
         "expects support and shorter review gaps to change survival, and stop–restart "
         "episodes.", table)


if __name__ == "__main__":
    main()
