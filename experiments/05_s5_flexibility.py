"""S5 — flexibility has an inverted-U effect on fidelity-adjusted delivery."""

import pandas as pd
from common import figure, line_with_interval, means_by, outcome_axis_label, run, save

from impl_sim.analysis.report import parameter_axis_label

PARAM = "training.programme_flexibility"


def main() -> None:
    res = run({"name": "exp05-s5-flexibility", "replications": 10, "seed": 105,
               "design": {"method": "grid", "levels": 6, "parameters": {PARAM: [0.0, 1.0]}}})
    summary = res.summary.assign(
        fidelity_adjusted_cases=res.summary["cases_started"] * res.summary["fidelity"])
    fig, axes = figure("S5: too rigid or too loose both cost delivery", panels=3,
                       size=(4.6, 3.8))
    tables = []
    for ax, outcome, label in zip(axes, ("cases_started", "fidelity", "fidelity_adjusted_cases"),
                                  ("CPP cases started", "Fidelity", "Fidelity-adjusted cases"),
                                  strict=True):
        table = means_by(summary, [PARAM], outcome)
        tables.append(table)
        line_with_interval(ax, table, PARAM, "#1b6ca8", label)
        ax.set_title(label)
        ax.set_xlabel(parameter_axis_label(PARAM))
        ax.set_ylabel(outcome_axis_label(outcome) if outcome != "fidelity_adjusted_cases"
                      else "Cases started × mean fidelity (cases)")
        ax.grid(alpha=0.3)
    save(fig, "05_s5_flexibility",
         "Cases started (adoption side), mean fidelity (drift side) and their product against "
         "programme flexibility; means with 95 % intervals, 10 runs per point. S5 expects the "
         "product to peak at intermediate flexibility.", pd.concat(tables))


if __name__ == "__main__":
    main()
