# %% [markdown]
# # impl-sim in a notebook
#
# A Jupyter notebook kept as a plain script (the "percent" format: each `# %%` starts a cell;
# JupyterLab, VS Code and jupytext open it as a notebook, and `python` runs it as a script).
# It runs a shipped scenario, tabulates and plots it, turns the runs into an xarray cube, and
# shows the dashboard's What-if page inline. `docs/guide-notebooks.md` walks through it.
#
# `IMPL_SIM_REPLICATIONS` (default 10) and `IMPL_SIM_OUTPUT` (default `experiments/output`)
# keep a test run small and out of the way.

# %%
import os
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # as a script: draw into files, not windows
import matplotlib.pyplot as plt

from impl_sim import Results, load_scenario, run_scenario, scenario_path
from impl_sim.analysis.summary import arm_table, paired_difference, series_bands

REPLICATIONS = int(os.environ.get("IMPL_SIM_REPLICATIONS", "10"))
OUTPUT = Path(os.environ.get("IMPL_SIM_OUTPUT", Path.cwd() / "experiments" / "output"))

# %% [markdown]
# ## Run a shipped scenario
# `scenario_path` finds the scenarios that ship with impl-sim from any folder.

# %%
scenario = load_scenario(scenario_path("leadership_vs_support")).with_changes(
    replications=REPLICATIONS)
results = run_scenario(scenario, out=OUTPUT / "results")
print(f"{len(results.summary)} runs in {results.directory}")

# %% [markdown]
# ## Outcomes per arm, and the paired difference (common random numbers)

# %%
table = arm_table(results.summary, ["sustainment_24m", "adoption"])
reference, other = results.arms
for outcome in ("sustainment_24m", "adoption"):
    a, b = table[reference][outcome], table[other][outcome]
    d = paired_difference(results.summary, outcome, other, reference)
    print(f"{outcome}: {reference} {a['mean']:.2f} [{a['lo']:.2f}, {a['hi']:.2f}], "
          f"{other} {b['mean']:.2f} [{b['lo']:.2f}, {b['hi']:.2f}], "
          f"difference {d['mean']:+.2f} [{d['lo']:+.2f}, {d['hi']:+.2f}]")

# %% [markdown]
# ## A plot: therapists delivering CPP, median and 10–90 % band per arm

# %%
bands = series_bands(results.series, "delivering")
fig, ax = plt.subplots(figsize=(7, 4))
for arm, rows in bands.groupby("arm", sort=False):
    ax.plot(rows["month"], rows["q50"], label=arm)
    ax.fill_between(rows["month"], rows["q10"], rows["q90"], alpha=0.2)
ax.set_xlabel("month")
ax.set_ylabel("therapists delivering CPP")
ax.legend()
figure_path = OUTPUT / "notebook-delivering.png"
fig.savefig(figure_path, dpi=100)
print(f"figure: {figure_path}")

# %% [markdown]
# ## The runs as an xarray cube: run × month, arm and replication as coordinates

# %%
cube = Results.load(results.directory).to_xarray()
mean_delivering = cube["delivering"].groupby("arm").mean("run")
print(mean_delivering.sel(month=24).to_series().round(2).to_dict())

# %% [markdown]
# ## The What-if page, inline
# In Jupyter the last expression of a cell is displayed: a Solara component renders as a live
# widget (needs the `dashboard` extra). The same page as `impl-sim dashboard`, without a server.


# %%
def what_if():
    """The dashboard's What-if page as a component with its own session."""
    import solara

    from impl_sim.dashboard import whatif
    from impl_sim.dashboard.session import DashboardSession, SessionContext

    @solara.component
    def WhatIf():
        session = solara.use_memo(DashboardSession.create, [])
        SessionContext.provide(session)
        whatif.Page()

    return WhatIf()


if "ipykernel" in sys.modules:
    from IPython.display import display

    display(what_if())
else:
    print("in Jupyter, this cell shows the What-if page inline")
