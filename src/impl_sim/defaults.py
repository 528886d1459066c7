"""Run defaults, stated once and imported everywhere else.

These are settings of *how* the model is run (seed, replications, horizon) and *what* is shown
first (key outcomes), not model parameters: the horizon's default comes from the parameter
schema (:mod:`impl_sim.params`, ``simulation.horizon_months``), the only place where it is
stated. A test checks that the seed's number appears in this module only.

This module imports nothing from the model, so the scenario package, the CLI and the dashboard
can use it cheaply.
"""

from __future__ import annotations

from impl_sim.params import param_spec

#: Seed of a scenario that names none; also seeds the analysis steps that draw random numbers
#: (bootstrap intervals, calibration searches, SALib's resampling), so equal inputs give equal
#: outputs. The value is arbitrary (the date the project started).
DEFAULT_SEED: int = 20261123

#: Replications per arm of a scenario (and per target setting) that names no number.
DEFAULT_REPLICATIONS: int = 20

#: Months per run when a scenario names none: the schema's default.
DEFAULT_HORIZON_MONTHS: int = int(param_spec("simulation.horizon_months").default)

#: How runs are computed: ``stacked`` (workers run chunks of tasks as stacks of worlds,
#: :func:`impl_sim.experiment.runner.run_stack`) or ``per-run`` (one ``run_one`` per task, the
#: reference). Both give byte-for-byte the same results; ``impl-sim sweep --engine`` overrides.
ENGINES: tuple[str, ...] = ("stacked", "per-run")
DEFAULT_ENGINE: str = "stacked"

#: The outcomes shown first by ``impl-sim run``, the report and attribution, in display order.
KEY_OUTCOMES: tuple[str, ...] = (
    "adoption", "time_to_first_case", "penetration", "fidelity", "sustainment_12m",
    "sustainment_24m", "sustainment_36m", "service_sustainment_24m", "trained_retention",
    "cases_started", "completion_rate", "cost_per_completed_case",
)
