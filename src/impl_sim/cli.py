"""The ``impl-sim`` command line (DESIGN §7). Thin: parse, call the public API, print.

Exit status: 0 success, 2 bad input (usage, scenario, targets), 1 unexpected error.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from impl_sim.params import ParamError

app = typer.Typer(
    name="impl-sim", no_args_is_help=True, add_completion=False,
    help="Simulate how an evidence-based therapy (CPP) takes root — or fails to — in services.",
    pretty_exceptions_enable=False,
)
# Wide enough for the outcome tables when output goes to a file or a pipe.
out_console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}

EXIT_BAD_INPUT = 2
EXIT_ERROR = 1
KEY_OUTCOMES = (
    "adoption", "time_to_first_case", "penetration", "fidelity", "sustainment_12m",
    "sustainment_24m", "sustainment_36m", "service_sustainment_24m", "trained_retention",
    "cases_started", "completion_rate", "cost_per_completed_case",
)


class BadInput(Exception):
    """Bad user input that is not a scenario file (paths, options)."""


def _bad_input_types() -> tuple[type[BaseException], ...]:
    from impl_sim.scenario.loader import ScenarioError

    types: list[type[BaseException]] = [ScenarioError, ParamError, BadInput]
    try:
        from impl_sim.analysis.validation import TargetsError

        types.append(TargetsError)
    except ImportError:
        pass
    return tuple(types)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input → one line and exit 2; anything else → short message and exit 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted; finished runs are saved — rerun the same command to "
                              "resume")
            raise typer.Exit(130) from None
        except Exception as exc:
            if isinstance(exc, _bad_input_types()):
                err_console.print(f"error: {exc}", markup=False)
                raise typer.Exit(EXIT_BAD_INPUT) from None
            if _state["debug"]:
                traceback.print_exc()
            err_console.print(f"error: {type(exc).__name__}: {exc}", markup=False)
            err_console.print("(rerun with --debug for the full traceback)")
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False,
) -> None:
    """impl-sim: agent-based model of implementation determinants for CPP."""
    _state["debug"] = debug


def _load(path: Path):
    from impl_sim.scenario.loader import load_scenario

    return load_scenario(path)


def _progress(enabled: bool, description: str):
    """A rich progress bar with ETA on a terminal; a no-op otherwise."""
    from contextlib import nullcontext

    if not enabled or not err_console.is_terminal:
        return nullcontext(lambda done, total: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    class _Bar:
        def __enter__(self):
            self.progress = Progress("[progress.description]{task.description}", BarColumn(),
                                     MofNCompleteColumn(), TimeRemainingColumn(),
                                     console=err_console, transient=True)
            self.progress.__enter__()
            self.task = self.progress.add_task(description, total=None)
            return self.update

        def update(self, done: int, total: int) -> None:
            self.progress.update(self.task, completed=done, total=total)

        def __exit__(self, *exc):
            return self.progress.__exit__(*exc)

    return _Bar()


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"


def _interval(stats: dict[str, float]) -> str:
    return f"{_fmt(stats['mean'])} [{_fmt(stats['lo'])}, {_fmt(stats['hi'])}]"


def _arms_json(table: dict) -> dict:
    return {arm: {o: {k: (None if isinstance(v, float) and math.isnan(v) else v)
                      for k, v in stats.items() if k in ("mean", "lo", "hi")}
                  for o, stats in outcomes.items()} for arm, outcomes in table.items()}


@app.command()
@handle_errors
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[Path, typer.Option(help="Folder for results.")] = Path("results"),
    replications: Annotated[int | None, typer.Option(min=1, help="Override replications.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Override the scenario seed.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Parallel worker processes.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Run every arm × replication of a scenario; print outcomes with 95 % intervals."""
    from impl_sim.analysis.summary import arm_table, paired_difference
    from impl_sim.experiment.runner import run_scenario

    sc = _load(scenario)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    if changes:
        sc = sc.with_changes(**changes)
    if sc.design is not None:
        raise BadInput(f"{scenario}: design: this scenario has a design block; run it with "
                       "`impl-sim sweep`")
    with _progress(not quiet and not as_json, f"{sc.name}") as progress:
        results = run_scenario(sc, out=out, workers=workers, progress=progress)
    outcomes = [o for o in (sc.outputs.get("outcomes") or KEY_OUTCOMES)]
    table = arm_table(results.summary, list(results.outcomes))
    if as_json:
        print(json.dumps({"scenario": sc.name, "scenario_hash": sc.hash(),
                          "results_dir": str(results.directory),
                          "replications": sc.replications, "seed": sc.seed,
                          "arms": _arms_json(table)}, indent=2))
        return
    arms = list(sc.arms)
    grid = Table(title=f"{sc.name}: {sc.replications} replications per arm "
                 "(mean [95 % interval of the mean])", title_justify="left")
    grid.add_column("outcome")
    for arm in arms:
        grid.add_column(arm, justify="right")
    if len(arms) == 2:
        grid.add_column(f"{arms[1]} − {arms[0]} (paired)", justify="right")
    for o in outcomes:
        cells = [_interval(table[a][o]) for a in arms]
        if len(arms) == 2:
            cells.append(_interval(paired_difference(results.summary, o, arms[1], arms[0])))
        grid.add_row(o, *cells)
    out_console.print(grid)
    out_console.print(f"results: {results.directory}")


@app.command()
@handle_errors
def check(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")]) -> None:
    """Validate a scenario file and say what it will run."""
    from impl_sim.experiment.runner import scenario_tasks

    sc = _load(scenario)
    n = len(scenario_tasks(sc)) if sc.design is None or _design_ready() else None
    out_console.print(f"{scenario}: ok — scenario '{sc.name}' (hash {sc.hash()})")
    out_console.print(f"  horizon {sc.horizon_months} months, {sc.replications} replications, "
                      f"seed {sc.seed}" + (f", {n} runs" if n is not None else ""))
    for arm in sc.arms:
        changed = sc.params_for(arm).changed()
        shown = ", ".join(f"{k}={v}" for k, v in changed.items()) or "all defaults"
        out_console.print(f"  arm {arm}: {shown}", markup=False)
    if sc.design is not None:
        out_console.print(f"  design: {sc.design.method}, {sc.design.samples} samples over "
                          + ", ".join(sc.design.parameters), markup=False)


def _design_ready() -> bool:
    return True


@app.command()
@handle_errors
def params(
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown reference table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON list of parameters.")] = False,
) -> None:
    """List every model parameter with default, unit, range and source."""
    from impl_sim.params import param_specs

    if markdown and as_json:
        raise BadInput("choose one of --markdown and --json")
    if markdown:
        from impl_sim.paramdoc import parameters_markdown

        sys.stdout.write(parameters_markdown())
        return
    if as_json:
        print(json.dumps([s.as_dict() for s in param_specs()], indent=2))
        return
    grid = Table("name", "default", "unit", "range", "source")
    for s in param_specs():
        rng = ", ".join(s.choices) if s.choices else (
            f"{s.min:g}–{s.max:g}" if s.min is not None else s.type)
        grid.add_row(s.name, str(s.default), s.unit, rng, s.source)
    out_console.print(grid)


# --- sweep and report (issue 4) ------------------------------------------------------------

# --- sensitivity, discover, validate, calibrate (issue 6) ------------------------------------

# --- dashboard (issue 5) ---------------------------------------------------------------------


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
