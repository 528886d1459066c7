"""S8 — turnover is the largest single drain on delivery capacity."""

from common import COLOURS, figure, means_by, run, save

from impl_sim.analysis.report import series_axis_label

PARAM = "therapists.annual_turnover"


def main() -> None:
    res = run({"name": "exp08-s8-turnover", "replications": 8, "seed": 108,
               "design": {"method": "grid", "parameters": {PARAM: [0.1, 0.3, 0.5]}},
               "outputs": {"series": True}})
    series = res.series.merge(res.summary[["task", PARAM]], on="task")
    fig, (ax,) = figure("S8: turnover erodes trained capacity", size=(7.5, 4.5))
    for i, (rate, runs) in enumerate(series.groupby(PARAM)):
        q = runs.groupby("month")["trained_in_post"].quantile([0.1, 0.5, 0.9]).unstack()
        ax.fill_between(q.index, q[0.1], q[0.9], color=COLOURS[i], alpha=0.18, lw=0)
        ax.plot(q.index, q[0.5], color=COLOURS[i], lw=2, label=f"{rate:.0%} per year")
    ax.set_xlabel("Month since training started (months)")
    ax.set_ylabel(series_axis_label("trained_in_post"))
    ax.legend(title="Staff turnover")
    ax.grid(alpha=0.3)
    save(fig, "08_s8_turnover",
         "Trained therapists still in post each month at three turnover rates (F12: 25–50 %, "
         "typically 30–35 % a year): median and 10–90 % band of 8 runs each. S8 expects "
         "steady erosion after training, faster with higher turnover, as no new staff are "
         "trained.", means_by(res.summary, [PARAM], "delivering_therapists_24m"))


if __name__ == "__main__":
    main()
