"""S6 — the sustainment cliff after training and consultation end, and what flattens it."""

from common import TRAINING_END, bands, figure, means_by, run, save

ARMS = {
    "passive_support": ("Passive support only", {"leaders.style": "passive_support"}),
    "booster": ("+ booster consultation", {"leaders.style": "passive_support",
                                           "strategies": {"booster_consultation": True}}),
    "protected_time": ("+ protected time", {"leaders.style": "passive_support",
                                            "strategies": {"protected_time": True}}),
    "implementation_leadership": ("Implementation leadership",
                                  {"leaders.style": "implementation_leadership"}),
}


def main() -> None:
    res = run({"name": "exp06-s6-cliff", "replications": 12, "seed": 106,
               "arms": {a: o for a, (_, o) in ARMS.items()}, "outputs": {"series": True}})
    fig, (ax,) = figure("S6: delivery falls after training ends unless structures remain",
                        size=(8, 4.5))
    bands(ax, res.series, "delivering", list(ARMS), {a: label for a, (label, _) in ARMS.items()})
    ax.axvline(TRAINING_END, color="grey", ls=":", label="training and consultation end")
    ax.legend(fontsize=8)
    save(fig, "06_s6_sustainment_cliff",
         "Therapists with an active CPP case each month: median and 10–90 % band of 12 runs per "
         "arm. S6 expects a fall after the dotted line under passive support and a flatter "
         "course with booster consultation, protected time or implementation leadership.",
         means_by(res.summary, ["arm"], "sustainment_24m"))


if __name__ == "__main__":
    main()
