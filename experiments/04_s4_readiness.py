"""S4 — low psychological readiness delays the first case and raises early abandonment."""

import pandas as pd
from common import TRAINING_END, figure, line_with_interval, means_by, outcome_axis_label, run, save

from impl_sim.analysis.report import parameter_axis_label

PARAM = "therapists.readiness_mean"


def main() -> None:
    res = run({"name": "exp04-s4-readiness", "replications": 10, "seed": 104,
               "design": {"method": "grid", "levels": 5, "parameters": {PARAM: [0.1, 0.9]}},
               "outputs": {"series": True}})
    # early abandonment: therapists who have discontinued CPP by the end of training
    at_end = res.series[res.series["month"] == TRAINING_END][["task", "discontinued"]]
    summary = res.summary.merge(at_end, on="task")
    fig, axes = figure("S4: readiness delays the first case and drives early abandonment",
                       panels=2)
    first = means_by(summary, [PARAM], "time_to_first_case")
    line_with_interval(axes[0], first, PARAM, "#1b6ca8", "time to first case")
    axes[0].set_ylabel(outcome_axis_label("time_to_first_case"))
    quit_ = means_by(summary, [PARAM], "discontinued")
    line_with_interval(axes[1], quit_, PARAM, "#d1495b", "discontinued")
    axes[1].set_ylabel(f"Discontinued CPP by month {TRAINING_END} (therapists)")
    for ax in axes:
        ax.set_xlabel(parameter_axis_label(PARAM))
        ax.grid(alpha=0.3)
    save(fig, "04_s4_readiness",
         "Months to the first CPP case (left) and therapists who had already discontinued CPP "
         "when training ended (right), against mean psychological readiness; means with 95 % "
         "intervals, 10 runs per point. S4 expects both to fall as readiness rises.",
         pd.concat([first, quit_]))


if __name__ == "__main__":
    main()
