"""Our PRIM against EMA Workbench's on a planted box and on a results folder (not a test).

    .venv/bin/python benchmarks/compare_prim_ema.py [RESULTS_DIR OUTCOME BELOW]

Prints, for each data set, the restricted parameters with their limits, quasi-p and
reproducibility on 10 random halves, from both implementations at the same minimum density
(0.8), alpha (0.05), minimum mass (0.05) and quasi-p cut (0.05). Needs ``ema_workbench``
(in the ``dev`` extra).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from impl_sim.analysis.discovery import discovery_data, prim, runs_of_interest
from impl_sim.analysis.discovery_ema import ema_prim_box, planted_box

MIN_DENSITY = 0.8


def _limits(value: object) -> str:
    if isinstance(value, tuple):
        low, high = value
        return f"({low:.3g}, {high:.3g})"
    return "{" + ", ".join(sorted(map(str, value))) + "}"  # type: ignore[call-overload]


def compare(label: str, data: pd.DataFrame, hits: np.ndarray) -> None:
    """Print both boxes side by side."""
    start = time.perf_counter()
    ours = prim(data, hits, min_density=MIN_DENSITY, resamples=10)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = ema_prim_box(data, hits, min_density=MIN_DENSITY, resamples=10)
    theirs_s = time.perf_counter() - start
    print(f"== {label}: {len(data)} runs, {hits.mean():.0%} of interest")
    print(f"   ours: density {ours.box.density:.3f}, coverage {ours.box.coverage:.3f}, "
          f"{ours.box.n_in_box} runs in the box ({ours_s:.1f} s with 10 resamples)")
    print(f"   EMA:  density {theirs['density']:.3f}, coverage {theirs['coverage']:.3f}, "
          f"{theirs['n_in_box']} runs in the box ({theirs_s:.1f} s with 10 resamples)")
    # EMA's drop_restriction lifts weak restrictions whatever the density: ours at the same step
    # without the density floor does the same
    lifted = prim(data, hits, step=ours.chosen_step)
    print(f"   ours at the same step, weak restrictions lifted below the floor: density "
          f"{lifted.box.density:.3f}, coverage {lifted.box.coverage:.3f}, restricted: "
          + ", ".join(f"{_limits(lifted.box.limits.get(n) or lifted.box.categories[n])} {n} "
                      f"(qp {lifted.quasi_p[n]:.2g})" for n in lifted.restricted))
    names = list(dict.fromkeys([*ours.restricted, *theirs["restricted"]]))
    print(f"   {'parameter':40s} {'ours: limits':>22s} {'qp':>9s} {'rep':>4s}   "
          f"{'EMA: limits':>22s} {'qp':>9s} {'rep':>4s}")
    for name in names:
        ours_cells = ("–", "", "")
        if name in ours.restricted:
            value = ours.box.limits.get(name) or ours.box.categories[name]
            ours_cells = (_limits(value), f"{ours.quasi_p[name]:.2g}",
                          f"{ours.reproducibility[name]:.1f}")
        ema_cells = ("–", "", "")
        if name in theirs["restricted"]:
            ema_cells = (_limits(theirs["restricted"][name]), f"{theirs['quasi_p'][name]:.2g}",
                         f"{theirs['reproducibility'].get(name, float('nan')):.1f}")
        print(f"   {name:40s} {ours_cells[0]:>22s} {ours_cells[1]:>9s} {ours_cells[2]:>4s}   "
              f"{ema_cells[0]:>22s} {ema_cells[1]:>9s} {ema_cells[2]:>4s}")


def main(argv: list[str]) -> None:
    compare("planted box", *planted_box())
    if len(argv) >= 3:
        from impl_sim.experiment.store import Results

        results = Results.load(argv[0])
        summary = results.summary.dropna(subset=[argv[1]])
        data = discovery_data(summary, results.parameters, results.arms)
        compare(f"{argv[0]}: {argv[1]} < {argv[2]}", data,
                runs_of_interest(summary[argv[1]], float(argv[2]), None))


if __name__ == "__main__":
    main(sys.argv[1:])
