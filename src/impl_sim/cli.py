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

from impl_sim.defaults import DEFAULT_ENGINE, ENGINES, KEY_OUTCOMES
from impl_sim.params import ParamError

app = typer.Typer(
    name="impl-sim", no_args_is_help=True, add_completion=False,
    help="Simulate how an evidence-based therapy (CPP) takes root — or fails to — in services.",
    pretty_exceptions_enable=False,
)
# Wide enough for the outcome tables when output goes to a file or a pipe.
# emoji=False: text such as "a:b:" in a user's value must not turn into an emoji
out_console = Console(highlight=False, emoji=False,
                      width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)
_state = {"debug": False}

EXIT_BAD_INPUT = 2
EXIT_ERROR = 1


USER_PATH_ERRORS = (FileNotFoundError, PermissionError, NotADirectoryError, IsADirectoryError,
                    FileExistsError)


class BadInput(Exception):
    """Bad user input that is not a scenario file (paths, options)."""


# (module, exception): bad input raised by that module. Only modules already imported can have
# raised one, so the error path looks them up in sys.modules instead of importing them: a bad
# file is refused without loading pandas, scipy or Mesa.
_BAD_INPUT_ERRORS = (
    ("impl_sim.scenario.loader", "ScenarioError"),
    ("impl_sim.model.kernels", "KernelError"),
    ("impl_sim.analysis.validation", "TargetsError"),
    ("impl_sim.experiment.manifest", "ResultsError"),
    ("impl_sim.experiment.lock", "FolderBusy"),
    ("impl_sim.dashboard.lesson_book", "LessonError"),
    ("impl_sim.analysis.survival", "SurvivalError"),
)


def _loaded_error(module: str, name: str) -> type[BaseException] | None:
    loaded = sys.modules.get(module)
    found = getattr(loaded, name, None) if loaded is not None else None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _bad_input_types() -> tuple[type[BaseException], ...]:
    """Errors that mean the user gave a bad file, folder or option (exit 2, one line)."""
    loaded = (_loaded_error(m, n) for m, n in _BAD_INPUT_ERRORS)
    return (ParamError, BadInput, *(t for t in loaded if t is not None))


def _fail(message: str, code: int) -> typer.Exit:
    from impl_sim.textsafe import one_line

    err_console.print(f"error: {one_line(message, 2000)}", markup=False)
    return typer.Exit(code)


def _environment_error(exc: Exception) -> typer.Exit | None:
    """One line for errors of the machine rather than the code: a write that failed (disk
    full, read-only), lost workers. ``None`` for anything else."""
    import errno

    write_error = _loaded_error("impl_sim.experiment.store", "StoreWriteError")
    if write_error is not None and isinstance(exc, write_error):
        return _fail(str(exc), EXIT_BAD_INPUT if exc.user_path_error else EXIT_ERROR)
    lost = _loaded_error("impl_sim.experiment.executors", "ExecutorLost")
    if lost is not None and isinstance(exc, lost):
        return _fail(str(exc), EXIT_ERROR)
    if isinstance(exc, OSError) and exc.filename and exc.errno in (errno.EROFS, errno.ENOSPC):
        code = EXIT_BAD_INPUT if exc.errno == errno.EROFS else EXIT_ERROR
        return _fail(f"{exc.filename}: {str(exc.strerror).lower()}", code)
    return None


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input → one line and exit 2; anything else → short message and exit 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        interrupted = _watch_ctrl_c()
        try:
            result = fn(*args, **kwargs)
            if interrupted:  # a Ctrl-C that Python swallowed (e.g. inside a weakref callback)
                raise KeyboardInterrupt
            return result
        except typer.Exit:
            raise
        except BrokenPipeError:
            _closed_pipe()
        except KeyboardInterrupt:
            err_console.print("interrupted; finished runs are saved — rerun the same command to "
                              "resume")
            raise typer.Exit(130) from None
        except Exception as exc:
            if isinstance(exc, _bad_input_types()):
                raise _fail(str(exc), EXIT_BAD_INPUT) from None
            if _state["debug"]:
                traceback.print_exc()
            environment = _environment_error(exc)
            if environment is not None:
                raise environment from None
            if isinstance(exc, USER_PATH_ERRORS) and exc.filename:
                # a folder or file the user named cannot be read or written (--out, RESULTS_DIR)
                raise _fail(f"{exc.filename}: {exc.strerror.lower()}", EXIT_BAD_INPUT) from None
            err_console.print(f"error: {type(exc).__name__}: {exc}", markup=False)
            err_console.print("(rerun with --debug for the full traceback)")
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper


def _watch_ctrl_c() -> list[bool]:
    """Remember every Ctrl-C (SIGINT) while a command runs, and still raise KeyboardInterrupt
    as Python's default handler does. Python ignores an exception raised inside some callbacks
    (weakref finalisers, ``__del__``), so an interrupt could otherwise be lost and the command
    carry on as if nothing happened; the returned list becomes non-empty once one arrives."""
    import signal
    import threading

    seen: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        return seen
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return seen  # ignored or handled by the caller: leave it alone

    def on_ctrl_c(signum: int, frame: Any) -> None:
        seen.append(True)
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, on_ctrl_c)
    return seen


def _closed_pipe() -> None:
    """The reader of our output went away (``impl-sim run … --json | head``): stop quietly.
    Further writes (and the flush at exit) go to /dev/null instead of raising again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(0)


def _print_version(value: bool) -> None:
    if value:
        from impl_sim import __version__

        print(f"impl-sim {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """impl-sim: agent-based model of implementation determinants for CPP."""
    _state["debug"] = debug


def _load(path: Path):
    """Load a scenario file; a missing ``NAME.yaml`` or ``scenarios/NAME.yaml`` that ships with
    impl-sim is taken from the package (said on stderr), so the README's commands work from any
    directory."""
    from impl_sim.model.outcomes import OUTCOMES  # numbers only: does not import Mesa
    from impl_sim.scenario.loader import load_scenario

    if not path.exists() and (len(path.parts) == 1 or path.parts[0] == "scenarios"):
        from impl_sim.shipped import scenario_path

        try:
            shipped = scenario_path(str(path))
        except FileNotFoundError:
            pass
        else:
            err_console.print(f"({path} is not here; using the shipped {shipped})", markup=False)
            path = shipped
    return load_scenario(path, outcome_names=OUTCOMES)


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


def _denominator(outcome: str) -> str:
    from impl_sim.model.outcomes import OUTCOMES

    return getattr(OUTCOMES.get(outcome), "denominator", "") or ""


# --- run size, folder lock and fresh starts (issue 15) ------------------------------------------

FORCE_NEW_HELP = ("Move an existing results folder's contents aside (into superseded-<time>/) "
                  "and start afresh; needed when its manifest is missing or disagrees.")
WAIT_HELP = "If another sweep is writing the results folder, wait for it instead of exiting."
YES_HELP = "Start even when the estimated run time is long (see `impl-sim check`)."
# Measured CPU time per simulated month of one run at the default size (4 services × 10
# therapists): about 1.2 ms on the 2-core CI machine; rounded up, as an estimate should be.
SECONDS_PER_RUN_MONTH = 0.0015
DEFAULT_THERAPISTS = 40
LONG_RUN_SECONDS = 3600.0  # estimated CPU time beyond which run/sweep ask for --yes


def estimated_cpu_seconds(sc: Any) -> float:
    """Rough CPU seconds for every run of ``sc`` (scales with months and therapists)."""
    sizes = []
    for arm in sc.arms:
        p = sc.params_for(arm)
        sizes.append(p.services.count * p.services.therapists_per_service)
    scale = max(1.0, max(sizes) / DEFAULT_THERAPISTS)
    return sc.run_count() * sc.horizon_months * SECONDS_PER_RUN_MONTH * scale


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"~{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"~{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"~{seconds / 3600:.1f} h"
    return f"~{seconds / 86400:,.0f} days"


def _confirm_size(path: Path, sc: Any, workers: int, yes: bool) -> None:
    """Refuse (exit 2) a long run unless ``--yes``; the scenario loader's hard cap on runs
    has already refused the impossible ones."""
    cpu = estimated_cpu_seconds(sc)
    if cpu > LONG_RUN_SECONDS and not yes:
        raise BadInput(f"{path}: {sc.run_count():,} runs, estimated {_duration(cpu)} of CPU "
                       f"({_duration(cpu / max(workers, 1))} on {workers} worker(s)); rerun "
                       "with --yes to start it, or lower replications/samples")


@app.command()
@handle_errors
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[Path, typer.Option(help="Folder for results.")] = Path("results"),
    replications: Annotated[int | None, typer.Option(min=1, help="Override replications.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Override the scenario seed.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Parallel worker processes.")] = 1,
    reference: Annotated[str | None, typer.Option(
        help="Arm the others are compared with (paired differences; default: the first).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    posterior: Annotated[Path | None, typer.Option(
        help="ABC output folder: draw each replication's free parameters from its posterior "
        "(impl-sim calibrate --method abc).")] = None,
    force_new: Annotated[bool, typer.Option("--force-new", help=FORCE_NEW_HELP)] = False,
    wait: Annotated[bool, typer.Option("--wait", help=WAIT_HELP)] = False,
    yes: Annotated[bool, typer.Option("--yes", help=YES_HELP)] = False,
) -> None:
    """Run every arm × replication of a scenario; print outcomes with 95 % intervals.

    With several arms, each other arm's difference from the reference arm is shown, paired by
    replication (common random numbers). The results folder (printed at the end) reads back in
    Python with ``impl_sim.Results.load(FOLDER)`` (``.summary`` and ``.series`` are pandas
    DataFrames), or with ``pandas.read_parquet(FOLDER + "/runs")``; ``impl-sim export FOLDER``
    writes CSV, Excel or netCDF.
    """
    from impl_sim.analysis.summary import arm_table, paired_difference
    from impl_sim.experiment.runner import run_scenario
    from impl_sim.experiment.threads import pin_threads

    pin_threads(1)
    sc = _load(scenario)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    if changes:
        sc = sc.with_changes(**changes)
    if sc.design is not None:
        raise BadInput(f"{scenario}: design: this scenario has a design block; run it with "
                       "`impl-sim sweep`")
    _confirm_size(scenario, sc, workers, yes)
    arms = list(sc.arms)
    if reference is not None and reference not in arms:
        raise BadInput(f"--reference: {reference!r} is not an arm of {scenario}; expected one "
                       "of " + ", ".join(arms))
    reference = reference or arms[0]
    others = [a for a in arms if a != reference]
    with _progress(not quiet and not as_json, f"{sc.name}") as progress:
        if posterior is not None:
            from impl_sim.analysis.abc import run_with_posterior

            results = run_with_posterior(sc, posterior, out=out, workers=workers,
                                         progress=progress)
        else:
            results = run_scenario(sc, out=out, workers=workers, progress=progress,
                                   force_new=force_new, wait=wait)
    outcomes = list(sc.outputs.get("outcomes") or KEY_OUTCOMES)
    table = arm_table(results.summary, list(results.outcomes))
    differences = {arm: {o: paired_difference(results.summary, o, arm, reference)
                         for o in outcomes} for arm in others}
    if as_json:
        print(json.dumps({"scenario": sc.name, "scenario_hash": sc.hash(),
                          "results_dir": str(results.directory),
                          "replications": sc.replications, "seed": sc.seed,
                          "arms": _arms_json(table), "reference": reference,
                          "paired_differences": _arms_json(differences)}, indent=2))
        return
    paired = f"; differences paired by replication vs {reference}" if others else ""
    grid = Table(title=f"{sc.name}: {sc.replications} replications per arm "
                 f"(mean [95 % interval of the mean]{paired})", title_justify="left")
    grid.add_column("outcome (unit)", min_width=18)
    grid.add_column("of whom", max_width=30)
    for arm in arms:
        grid.add_column(arm, justify="right")
    for arm in others:  # headers stay whole: the "of whom" column wraps instead
        header = f"{arm} − {reference}"
        grid.add_column(header, justify="right", min_width=len(header))
    for o in outcomes:
        cells = [_interval(table[a][o]) for a in arms]
        cells += [_interval(differences[a][o]) for a in others]
        grid.add_row(_outcome_label(o), _denominator(o), *cells)
    out_console.print(grid)
    out_console.print("outcome definitions and denominators: impl-sim outcomes")
    out_console.print(f"results: {results.directory}", markup=False)
    out_console.print(f"  in Python: impl_sim.Results.load({str(results.directory)!r}).summary "
                      "(pandas; one row per run)", markup=False)


def _outcome_label(name: str) -> str:
    """``name (unit)``, the unit from the outcome's metadata."""
    from impl_sim.model.outcomes import OUTCOMES

    outcome = OUTCOMES.get(name)
    return f"{name} ({outcome.unit})" if outcome is not None and outcome.unit else name


@app.command()
@handle_errors
def check(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")]) -> None:
    """Validate a scenario file and say what it will run."""
    sc = _load(scenario)
    points = _design_points(sc)
    n = len(sc.arms) * sc.replications * points
    out_console.print(f"{scenario}: ok — scenario '{sc.name}' (hash {sc.hash()})")
    out_console.print(f"  horizon {sc.horizon_months} months, {sc.replications} replications, "
                      f"seed {sc.seed}, {n} runs")
    out_console.print(f"  estimated run time: {_duration(estimated_cpu_seconds(sc))} of CPU "
                      "(divide by --workers)" + (" — `run`/`sweep` will ask for --yes"
                                                 if estimated_cpu_seconds(sc) > LONG_RUN_SECONDS
                                                 else ""))
    for arm in sc.arms:
        arm_params = sc.params_for(arm)
        changed = arm_params.changed()
        shown = ", ".join(f"{k}={v}" for k, v in changed.items()) or "all defaults"
        out_console.print(f"  arm {arm}: {shown}", markup=False, soft_wrap=True)
        out_console.print(f"    strategies: {_strategy_doses(arm_params.flat())}", markup=False,
                          soft_wrap=True)
    if sc.design is not None:
        # a grid's points come from its levels; samples only sizes sampled designs
        sampled = sc.design.method != "grid" and points != sc.design.samples
        size = f" from {sc.design.samples} samples" if sampled else ""
        out_console.print(f"  design: {sc.design.method}, {points} points{size} over "
                          + ", ".join(sc.design.parameters), markup=False)
        out_console.print(f"  {_design_quality(sc)}", markup=False)


def _strategy_doses(flat: dict[str, Any]) -> str:
    """The strategies switched on in a parameter set, each with its full dose, e.g.
    ``protected_time (hours_per_week=4, start_month=0, duration_months=60)``; or ``none``."""
    enabled = sorted({k.split(".")[1] for k, v in flat.items()
                      if k.startswith("strategies.") and k.endswith(".enabled") and v})
    doses = []
    for name in enabled:
        prefix = f"strategies.{name}."
        dose = ", ".join(f"{k[len(prefix):]}={v}" for k, v in flat.items()
                         if k.startswith(prefix) and not k.endswith(".enabled"))
        doses.append(f"{name} ({dose})" if dose else name)
    return "; ".join(doses) or "none"


def _design_quality(sc) -> str:
    """One line on how the design samples: LHS discrepancy, Morris levels, Sobol' size."""
    from impl_sim.scenario.design import lhs_discrepancy, morris_levels

    design = sc.design
    if design.method == "lhs":
        optimised, plain = lhs_discrepancy(design, sc.seed)
        return (f"optimised Latin hypercube (random-cd): centred L2 discrepancy {optimised:.4f} "
                f"(a plain one of the same size: {plain:.4f}; lower is more even)")
    if design.method == "morris":
        return (f"Morris grid of {morris_levels(design)} levels (integer parameters reach every "
                "whole number)")
    if design.method == "sobol":
        return (f"Saltelli sampling, N = {design.samples} base samples; indices whose intervals "
                "are wider than themselves are flagged after the run")
    return "full factorial grid"


def _design_points(sc) -> int:
    """Number of design points (1 without a design), counted without building them."""
    return sc.design_point_count()


@app.command()
@handle_errors
def params(
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown reference table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON list of parameters.")] = False,
    names: Annotated[bool, typer.Option("--names", help="Only the full names, one a line.")]
    = False,
) -> None:
    """List every model parameter with default, unit, range and source (names never cut)."""
    from impl_sim.params import param_specs

    if sum((markdown, as_json, names)) > 1:
        raise BadInput("choose one of --markdown, --json and --names")
    if names:
        sys.stdout.write("".join(f"{s.name}\n" for s in param_specs()))
        return
    if markdown:
        from impl_sim.paramdoc import parameters_markdown

        sys.stdout.write(parameters_markdown())
        return
    if as_json:
        print(json.dumps([s.as_dict() for s in param_specs()], indent=2))
        return
    grid = Table()
    grid.add_column("name", no_wrap=True)  # a name must stay whole to be copied
    for column in ("default", "unit", "range", "source"):
        grid.add_column(column, overflow="fold")
    for s in param_specs():
        rng = ", ".join(s.choices) if s.choices else (
            f"{s.min:g}–{s.max:g}" if s.min is not None else s.type)
        grid.add_row(s.name, str(s.default), s.unit, rng, s.source)
    out_console.print(grid)


@app.command()
@handle_errors
def outcomes(
    as_json: Annotated[bool, typer.Option("--json", help="JSON list of outcomes.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown table.")] = False,
) -> None:
    """List every outcome with its definition, denominator and unit (costs in EUR)."""
    from impl_sim.model.outcomes import OUTCOMES

    if as_json and markdown:
        raise BadInput("choose one of --json and --markdown")
    rows = [{"name": o.name, "label": o.label, "unit": o.unit,
             "denominator": getattr(o, "denominator", "") or "",
             "definition": o.description, "plain": getattr(o, "plain", "") or "",
             "share": o.share, "higher_is_better": o.higher_is_better}
            for o in OUTCOMES.values()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if markdown:
        lines = ["| outcome | unit | denominator | definition |", "| --- | --- | --- | --- |"]
        lines += [f"| `{r['name']}` | {r['unit']} | {r['denominator'] or '–'} | "
                  f"{r['definition']} |" for r in rows]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    grid = Table(title="outcomes (one value per run; tables show the mean over runs)",
                 title_justify="left")
    grid.add_column("name", no_wrap=True)
    for column in ("unit", "denominator", "definition"):
        grid.add_column(column, overflow="fold")
    for r in rows:
        grid.add_row(r["name"], r["unit"], r["denominator"] or "–", r["definition"])
    out_console.print(grid)


@app.command()
@handle_errors
def scenarios(
    copy: Annotated[Path | None, typer.Option("--copy", help="Copy them (and targets/) into "
                                                             "this folder to edit.")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --copy: overwrite files already "
                                                        "there.")] = False,
) -> None:
    """List the scenarios that ship with impl-sim (usable by name from any folder)."""
    from impl_sim.shipped import copy_scenarios, shipped_scenarios

    if copy is not None:
        written = copy_scenarios(copy, overwrite=force)
        out_console.print(f"copied {len(written)} files into {copy}"
                          + ("" if force else " (existing files kept; --force overwrites)"),
                          markup=False)
        return
    import yaml

    grid = Table(title="shipped scenarios: impl-sim check NAME, impl-sim run NAME",
                 title_justify="left")
    grid.add_column("name", no_wrap=True)
    grid.add_column("description", overflow="fold")
    for name, path in shipped_scenarios().items():
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            doc = {}
        text = " ".join(str(doc.get("description", "")).split())
        grid.add_row(name, text.split(". ")[0])
    out_console.print(grid)


# --- sweep and report (issue 4) ------------------------------------------------------------


@app.command()
@handle_errors
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file (usually with a design).")],
    out: Annotated[Path, typer.Option(help="Folder for results.")] = Path("results"),
    workers: Annotated[int, typer.Option(min=1, help="Parallel workers.")] = 1,
    executor: Annotated[str | None, typer.Option(
        help="serial | processes | dask (default: serial for 1 worker, processes for more, "
        "dask when an address is given).")] = None,
    dask_address: Annotated[str | None, typer.Option(
        envvar="IMPL_SIM_DASK_ADDRESS",
        help="Dask scheduler address (tcp://host:8786), e.g. of a dask-jobqueue cluster.")
    ] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="Override design.samples.")] = None,
    replications: Annotated[int | None, typer.Option(min=1, help="Override replications.")
                            ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    force_new: Annotated[bool, typer.Option("--force-new", help=FORCE_NEW_HELP)] = False,
    wait: Annotated[bool, typer.Option("--wait", help=WAIT_HELP)] = False,
    yes: Annotated[bool, typer.Option("--yes", help=YES_HELP)] = False,
    engine: Annotated[str, typer.Option(
        help="stacked | per-run: workers run each chunk of tasks as one stack of worlds "
        "(stacked) or one run at a time (per-run, the reference); the results are identical."
    )] = DEFAULT_ENGINE,
) -> None:
    """Run a scenario's design × arms × replications into a resumable results folder.

    Rerunning the same command after a crash or Ctrl-C continues where it stopped.
    """
    from impl_sim.experiment.executors import EXECUTORS
    from impl_sim.experiment.runner import run_scenario, with_overrides

    if executor is not None and executor not in EXECUTORS:
        raise BadInput(f"--executor: {executor!r} is not allowed; expected one of "
                       + ", ".join(EXECUTORS))
    if engine not in ENGINES:
        raise BadInput(f"--engine: {engine!r} is not allowed; expected one of "
                       + ", ".join(ENGINES))
    sc = with_overrides(_load(scenario), samples=samples, replications=replications)
    _confirm_size(scenario, sc, workers, yes)
    with _progress(not quiet, sc.name) as progress:
        results = run_scenario(sc, out=out, workers=workers, executor=executor,
                               dask_address=dask_address, progress=progress,
                               force_new=force_new, wait=wait, engine=engine)
    _print_sweep_summary(results)


def _print_sweep_summary(results: Any) -> None:
    from impl_sim.analysis.summary import outcome_interval

    m = results.manifest
    design = m.get("design")
    what = (f"{design['method']} design, {m['n_points']} points × " if design else "")
    out_console.print(f"{m['scenario_name']}: {what}{len(results.arms)} arm(s) × "
                      f"{m['replications']} replications = {len(results.summary)} runs")
    grid = Table(title="mean [95 % interval of the mean] over all runs of each arm",
                 title_justify="left")
    grid.add_column("outcome")
    for arm in results.arms:
        grid.add_column(arm, justify="right")
    for o in ("adoption", "sustainment_24m", "service_sustainment_24m", "trained_retention"):
        if o in results.summary:
            grid.add_row(o, *[_interval(outcome_interval(
                o, results.summary.loc[results.summary["arm"] == a, o])) for a in results.arms])
    out_console.print(grid)
    out_console.print(f"results: {results.directory}")
    out_console.print(f"report:  impl-sim report {results.directory}")


@app.command()
@handle_errors
def report(
    results_dir: Annotated[Path, typer.Argument(help="A results folder (from sweep or run).")],
    fmt: Annotated[str, typer.Option("--format", help="html | md")] = "html",
    out: Annotated[Path | None, typer.Option(
        help="Report file (default: RESULTS_DIR/report.html or report.md).")] = None,
    outcome: Annotated[str, typer.Option(
        help="Outcome plotted against the design parameters and in the attribution "
        "waterfall.")] = "sustainment_24m",
    explain: Annotated[bool, typer.Option(
        "--explain", help="Also run the mechanism attribution of the first two arms (new "
        "simulations; saved in RESULTS_DIR/explain and reused by later reports).")] = False,
    replications: Annotated[int | None, typer.Option(
        min=2, help="--explain: replications per arm and combination (default: the "
        "results').")] = None,
    workers: Annotated[int, typer.Option(min=1, help="--explain: parallel worker processes.")]
    = 1,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Write a self-contained report: figures, tables and provenance; with two or more arms,
    why they differ (attribution: --explain, or one saved beside the results)."""
    from impl_sim.experiment.manifest import check_results_folder

    check_results_folder(results_dir)  # a bad folder is refused before the heavy imports
    from impl_sim.analysis.report import FORMATS, write_report
    from impl_sim.model.outcomes import OUTCOMES

    if fmt not in FORMATS:
        raise BadInput(f"--format: {fmt!r} is not allowed; expected one of {', '.join(FORMATS)}")
    if outcome not in OUTCOMES:
        from impl_sim.params import suggest

        raise BadInput(f"--outcome: {outcome!r} is not an outcome{suggest(outcome, list(OUTCOMES))}"
                       f"; expected one of {', '.join(OUTCOMES)}")
    if replications is not None and not explain:
        raise BadInput("--replications: only with --explain (the attribution's runs)")
    with _progress(explain and not quiet, "explaining") as progress:
        path = write_report(results_dir, fmt, out, outcome, explain=explain,
                            replications=replications, workers=workers, progress=progress)
    out_console.print(f"report: {path}")


# --- survival (issue 10) ---------------------------------------------------------------------


def _months(value: float, lo: float, hi: float) -> str:
    def one(x: float) -> str:
        return "not reached" if x == math.inf else _fmt(x)

    return f"{one(value)} [{one(lo)}, {one(hi)}]"


@app.command()
@handle_errors
def survival(
    results_dir: Annotated[Path, typer.Argument(help="A results folder that kept events.")],
    event: Annotated[list[str] | None, typer.Option(
        "--event", help="Duration to analyse (repeatable; default: all).")] = None,
    by: Annotated[str, typer.Option(help="Curves per: arm | none (pooled).")] = "arm",
    tau: Annotated[int, typer.Option(min=1, help="Horizon of the restricted mean (months).")
                   ] = 36,
    figure: Annotated[Path | None, typer.Option(
        help="Kaplan–Meier figure (default: RESULTS_DIR/survival.png).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Sustainment as survival: Kaplan–Meier medians, restricted means and shares at 12/24/36
    months for careers (delivering, in post, first case) and services (after start-up, after
    competence); writes a figure with 95 % bands."""
    from impl_sim.analysis import survival as sv
    from impl_sim.experiment.store import Results

    if event:
        for name in event:
            if name not in sv.DURATIONS:
                from impl_sim.params import suggest

                raise BadInput(f"--event: {name!r} is not a duration"
                               f"{suggest(name, list(sv.DURATIONS))}; expected one of "
                               + ", ".join(sv.DURATIONS))
    results = Results.load(results_dir)
    table, curves = sv.analyse(results, list(event) if event else None, by, tau)
    path = sv.write_figure(curves, figure or Path(results_dir) / "survival.png")
    if as_json:
        print(json.dumps({"results_dir": str(results_dir), "horizon_months":
                          sv.horizon_of(results), "by": by, "figure": str(path),
                          "durations": sv.as_json(table, tau=tau)}, indent=2))
        return
    grid = Table(title="Kaplan–Meier, pooled over replications (95 % intervals)",
                 title_justify="left")
    for column in ("duration", "group", "n", "ended", "median months",
                   f"mean to {tau} m", "S(12)", "S(24)", "S(36)"):
        grid.add_column(column, justify="left" if column in ("duration", "group") else "right")
    for row in table.to_dict("records"):
        grid.add_row(row["duration"], row["group"], str(row["n"]), str(row["events"]),
                     _months(row["median"], row["median_lo"], row["median_hi"]),
                     _fmt(row[f"restricted_mean_{tau}m"]),
                     *(_months(row[f"S{t}"], row[f"S{t}_lo"], row[f"S{t}_hi"])
                       for t in sv.SURVIVAL_MONTHS))
    out_console.print(grid)
    out_console.print("S(t): share whose duration had not ended t months after its origin "
                      "(e.g. services still delivering t months after start-up)")
    out_console.print(f"figure: {path}")


# --- sensitivity, discover, validate, calibrate (issue 6) ------------------------------------

DEFAULT_TARGETS = Path("scenarios/targets/evidence.yaml")


def _default_targets() -> Path:
    """The shipped evidence targets: from the working directory, else from the source tree."""
    if DEFAULT_TARGETS.exists():
        return DEFAULT_TARGETS
    from impl_sim.shipped import scenarios_folder

    shipped = scenarios_folder() / "targets" / DEFAULT_TARGETS.name
    if shipped.exists():
        return shipped
    raise BadInput(f"{DEFAULT_TARGETS}: file not found; pass --targets FILE (the evidence targets "
                   "ship in the source repository under scenarios/targets/)")


@app.command()
@handle_errors
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file with a design block.")],
    method: Annotated[str | None, typer.Option(help="sobol or morris (default: the "
                                                    "scenario's, or sobol).")] = None,
    samples: Annotated[int | None, typer.Option(min=2, help="Base samples (Sobol: N, "
                                                           "Morris: trajectories).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Parallel worker processes.")] = 1,
    out: Annotated[Path, typer.Option(help="Folder for results.")] = Path("results"),
    top: Annotated[int, typer.Option(min=1, help="Parameters shown per outcome.")] = 5,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Global sensitivity (Sobol' S1/ST or Morris μ*) of key outcomes to the design parameters."""
    from impl_sim.analysis.sensitivity import rank_key, run_sensitivity, sensitivity_scenario

    sc = sensitivity_scenario(_load(scenario), method, samples)
    with _progress(not quiet, f"{sc.name} ({sc.design.method})") as progress:
        report = run_sensitivity(sc, out=out, workers=workers, progress=progress)
    key = rank_key(report.method)
    conf = f"{key}_conf"
    for (outcome, arm), rows in report.table.groupby(["outcome", "arm"], sort=False):
        title = f"{outcome}" + (f" (arm {arm})" if len(sc.arms) > 1 else "")
        grid = Table(title=f"{title}: ranked by {key}", title_justify="left")
        grid.add_column("rank", justify="right")
        grid.add_column("parameter")
        grid.add_column(f"{key} ± 95 %", justify="right")
        grid.add_column("S1" if report.method == "sobol" else "σ", justify="right")
        for r in rows.head(top).itertuples():
            second = r.S1 if report.method == "sobol" else r.sigma
            grid.add_row(str(r.rank), r.parameter, f"{getattr(r, key):.3f} ± "
                         f"{getattr(r, conf):.3f}", f"{second:.3f}")
        out_console.print(grid)
    for message in report.warnings:
        err_console.print(f"warning: {message}", markup=False)
    out_console.print(f"results: {report.results_dir}")
    for path in report.files:
        out_console.print(f"  {path}", markup=False)


@app.command()
@handle_errors
def discover(
    results_dir: Annotated[Path, typer.Argument(help="Results folder of a sweep (with a "
                                                     "design).")],
    outcome: Annotated[str, typer.Option(help="Outcome to explain, e.g. sustainment_24m.")],
    below: Annotated[float | None, typer.Option(help="Runs of interest: outcome below this.")]
    = None,
    above: Annotated[float | None, typer.Option(help="Runs of interest: outcome above this.")]
    = None,
    alpha: Annotated[float, typer.Option(min=0.01, max=0.4, help="Share peeled per step.")]
    = 0.05,
    min_mass: Annotated[float, typer.Option(min=0.001, max=1.0, help="Smallest box, as a "
                                                                     "share of all runs.")] = 0.05,
    min_density: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Choose the widest "
                           "box with at least this density; the final box keeps it (default: "
                           "the knee).")] = None,
    step: Annotated[int | None, typer.Option(min=0, help="Choose the box at this step of the "
                                                        "peeling trajectory (see "
                                                        "--trajectory).")] = None,
    prune: Annotated[float, typer.Option(min=0.0, max=0.9, help="Lift restrictions while the box "
                                                                "keeps (1 − prune) of its "
                                                                "density.")] = 0.1,
    max_p: Annotated[float, typer.Option(min=0.0, max=1.0, help="Lift restrictions whose quasi-p "
                                                                "is above this (1: keep "
                                                                "all).")] = 0.05,
    boxes: Annotated[int, typer.Option(min=1, max=10, help="Boxes in sequence: each next one "
                                                           "among the runs outside the earlier "
                                                           "ones.")] = 1,
    resamples: Annotated[int, typer.Option(min=0, max=200, help="Random halves PRIM is rerun on "
                                                               "for each restriction's "
                                                               "stability (0: none).")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the resampling.")] = 0,
    trajectory: Annotated[bool, typer.Option("--trajectory", help="Also print the peeling "
                                                                  "trajectory.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    plot: Annotated[Path | None, typer.Option(help="Trade-off plot (PNG); default "
                                                   "RESULTS_DIR/discovery-OUTCOME.png.")] = None,
) -> None:
    """Scenario discovery (PRIM): under which parameter ranges does an outcome fail?

    Prints each box with the quasi-p (significance) and the resampling stability of every
    restriction; writes the trade-off plot and the peeling trajectory (CSV) next to it.
    """
    from impl_sim.experiment.manifest import check_results_folder

    if below is None and above is None:
        raise BadInput("give --below VALUE and/or --above VALUE to say which runs are of interest")
    if below is not None and above is not None and above >= below:
        raise BadInput(f"--above {above:g} must be below --below {below:g} (runs between them "
                       "are of interest)")
    if step is not None and min_density is not None:
        raise BadInput("choose one of --step and --min-density")
    check_results_folder(results_dir)  # a bad folder is refused before the heavy imports
    from impl_sim.analysis.discovery import QUASI_P_NOTE, write_outputs
    from impl_sim.analysis.discovery import discover as run_discovery

    try:
        found = run_discovery(results_dir, outcome, below=below, above=above, n_boxes=boxes,
                              resamples=resamples, seed=seed, alpha=alpha, min_mass=min_mass,
                              min_density=min_density, step=step, prune=prune,
                              max_p=None if max_p >= 1 else max_p)
    except (ValueError, FileNotFoundError) as exc:  # outcome, design or --step the folder lacks
        raise BadInput(f"{results_dir}: {exc}") from None
    if as_json:
        print(json.dumps(found.as_json(), indent=2))
        return
    out_console.print(found.text(), markup=False)
    if found.boxes and found.boxes[0].restricted:
        out_console.print(_discovery_table(found, resamples))
        out_console.print(QUASI_P_NOTE, markup=False)
    if found.boxes and trajectory:
        out_console.print(found.trajectory().drop(columns="restricted")
                          .to_string(index=False, float_format=lambda x: f"{x:.3f}"),
                          markup=False)
    files = write_outputs(found, plot)
    if files:
        out_console.print(f"trade-off plot: {files[0]}", markup=False)
        out_console.print(f"peeling trajectory: {files[1]} (pick a box with --step N)",
                          markup=False)


def _discovery_table(found: Any, resamples: int) -> Table:
    from impl_sim.analysis.discovery import p_text

    grid = Table(title=f"where {found.condition}: restrictions", title_justify="left")
    for col, justify in (("box", "right"), ("restriction", "left"), ("quasi-p", "right"),
                         ("in resamples", "right"), ("box density", "right"),
                         ("coverage", "right")):
        grid.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in found.table().itertuples():
        stable = (f"{round(row.reproducibility * resamples)} of {resamples}"
                  if resamples else "–")
        grid.add_row(str(row.box), row.restriction, p_text(row.quasi_p), stable,
                     f"{row.density:.0%}", f"{row.coverage:.0%}")
    return grid


# --- export (issue 14) --------------------------------------------------------------------


@app.command()
@handle_errors
def export(
    results_dir: Annotated[Path, typer.Argument(help="A results folder (from sweep or run).")],
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx | netcdf")] = "csv",
    out: Annotated[Path | None, typer.Option(help="Folder for the files (default: "
                                                  "RESULTS_DIR/export).")] = None,
) -> None:
    """Write a results folder as CSV files, an Excel workbook or netCDF, for R, Stata, a
    spreadsheet or xarray: summaries (one row per run), series (per run and month), events."""
    from impl_sim.experiment.export import FORMATS, ExportError
    from impl_sim.experiment.export import export as write_export
    from impl_sim.experiment.store import Results

    if fmt not in FORMATS:
        raise BadInput(f"--format: {fmt!r} is not allowed; expected one of {', '.join(FORMATS)}")
    results = Results.load(results_dir)
    try:
        files = write_export(results, fmt, out or Path(results_dir) / "export")
    except ExportError as exc:
        raise BadInput(str(exc)) from None
    for path in files:
        out_console.print(f"wrote {path}", markup=False)


def _validation_table(results: list, title: str) -> Table:
    from rich.markup import escape

    from impl_sim.analysis.validation import simulated_text

    grid = Table(title=title, title_justify="left")
    for col, justify in (("id", "left"), ("role", "left"), ("quantity", "left"),
                         ("expected", "right"), ("simulated [95 %]", "right"),
                         ("met", "center")):
        grid.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in results:
        grid.add_row(escape(r.target.id), r.target.role, escape(r.target.label),
                     escape(r.target.expectation.text),
                     simulated_text(r), "yes" if r.passed else "[red]no[/red]")
    return grid


def _plausibility_table(checks: list) -> Table:
    from rich.markup import escape

    from impl_sim.analysis.plausibility import model_text, range_text

    outside = sum(c.outside for c in checks)
    grid = Table(title=f"plausibility (checks, not targets): {outside} of {len(checks)} outside "
                 "the published range", title_justify="left")
    for col in ("id", "quantity", "model", "published", "unit", "flag"):
        grid.add_column(col, justify="right" if col in ("model", "published") else "left")
    for c in checks:
        grid.add_row(c.row["id"], escape(c.row["quantity"]), model_text(c), range_text(c),
                     escape(c.row["unit"]), "[red]outside[/red]" if c.outside else "inside")
    return grid


@app.command()
@handle_errors
def validate(
    targets: Annotated[Path | None, typer.Option(help="Targets YAML file (default: the "
                                                      "evidence targets).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: targets and "
                                                          "plausibility rows.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown report.")]
    = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a target fails.")]
    = False,
    replications: Annotated[int | None, typer.Option(min=1, help="Override every target's "
                                                                 "replications (and the "
                                                                 "plausibility rows').")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Parallel worker processes.")] = 1,
    plausibility: Annotated[bool, typer.Option(
        help="Also show the plausibility table (inputs and intermediate quantities vs "
        "published ranges).")] = True,
) -> None:
    """Compare simulated outcomes with empirical targets: value, 95 % interval, met or not."""
    from impl_sim.analysis.validation import (
        load_targets,
        markdown_report,
        summary_line,
    )
    from impl_sim.analysis.validation import (
        validate as run_validation,
    )

    if as_json and markdown:
        raise BadInput("choose one of --json and --markdown")
    path = targets or _default_targets()
    target_set = load_targets(path, replications=replications)
    results = run_validation(target_set.targets, workers=workers)
    checks = None
    if plausibility:
        from impl_sim.analysis.plausibility import evaluate

        checks = (evaluate(workers=workers) if replications is None
                  else evaluate(workers=workers, replications=replications))
    if as_json:
        print(json.dumps({"targets": [r.as_json() for r in results],
                          "plausibility": None if checks is None
                          else [c.as_json() for c in checks]}, indent=2))
    elif markdown:
        from impl_sim.analysis.plausibility import markdown_section

        shown = path if targets else DEFAULT_TARGETS
        command = "impl-sim validate --markdown" + (f" --targets {shown}" if targets else "")
        sys.stdout.write(markdown_report(results, target_set, command))
        if checks is not None:
            sys.stdout.write("\n" + markdown_section(checks))
    else:
        out_console.print(_validation_table(results, f"{target_set.name}: targets vs simulation"))
        out_console.print(summary_line(results))
        if checks is not None:
            out_console.print(_plausibility_table(checks))
    if strict and not all(r.passed for r in results):
        raise typer.Exit(EXIT_ERROR)


CALIBRATION_METHODS = ("de", "abc")


@app.command()
@handle_errors
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario whose base the fit starts from.")],
    targets: Annotated[Path, typer.Option(help="Targets YAML file (role: calibration ones are "
                                               "fitted).")],
    free: Annotated[list[str], typer.Option(help="Parameter to fit: NAME or NAME=LOW:HIGH "
                                                 "(repeatable).")],
    method: Annotated[str, typer.Option(help="de: one best point (differential evolution); "
                                             "abc: a posterior (ABC-SMC).")] = "de",
    budget: Annotated[int, typer.Option(min=5, help="de: parameter points to evaluate (about: "
                                                    "whole generations, at least two).")] = 60,
    population: Annotated[int, typer.Option(min=4, help="abc: particles per generation.")]
    = 40,
    generations: Annotated[int, typer.Option(min=1, help="abc: generations (tolerance steps).")]
    = 4,
    ppc_draws: Annotated[int, typer.Option(min=1, help="abc: posterior draws for the posterior "
                                                       "predictive check.")] = 20,
    workers: Annotated[int, typer.Option(min=1, help="Parallel worker processes.")] = 1,
    executor: Annotated[str | None, typer.Option(help="serial | processes | dask (default: "
                                                      "serial for 1 worker, else processes).")]
    = None,
    dask_address: Annotated[str | None, typer.Option(
        envvar="IMPL_SIM_DASK_ADDRESS", help="Dask scheduler address (tcp://host:8786).")]
    = None,
    replications: Annotated[int | None, typer.Option(min=1, help="Override every target's "
                                                                 "replications.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the cache of evaluated points.")]
    = Path("results"),
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Fit free parameters to the calibration targets; report held-back validation targets.

    --method abc samples the posterior (approximate Bayesian computation, sequential Monte
    Carlo) and checks every target at posterior draws; rerunning the same command resumes.
    """
    from impl_sim.analysis.calibration import calibrate as run_calibration
    from impl_sim.analysis.calibration import parse_free
    from impl_sim.analysis.validation import load_targets, summary_line
    from impl_sim.experiment.executors import EXECUTORS, make_executor

    if method not in CALIBRATION_METHODS:
        raise BadInput(f"--method: {method!r} is not allowed; expected one of "
                       + ", ".join(CALIBRATION_METHODS))
    if executor is not None and executor not in EXECUTORS:
        raise BadInput(f"--executor: {executor!r} is not allowed; expected one of "
                       + ", ".join(EXECUTORS))
    sc = _load(scenario)
    target_set = load_targets(targets, replications=replications)
    free_params = parse_free(free, sc)
    ex = make_executor(executor, workers=workers, dask_address=dask_address)
    if method == "abc":
        from impl_sim.analysis.abc import AbcSettings, calibrate_abc
        from impl_sim.analysis.priors import unused_priors

        settings = AbcSettings(population=population, generations=generations,
                               ppc_draws=ppc_draws)
        unused = unused_priors(free_params, target_set.priors)
        if unused:
            err_console.print(f"(priors in {targets} not used, their parameters are not "
                              f"--free: {', '.join(unused)})", markup=False)
        with _progress(not quiet, "ABC-SMC") as progress:
            abc = calibrate_abc(sc, target_set, free_params, settings=settings, workers=workers,
                                executor=ex, out=out, progress=progress)
        _print_abc(abc)
        return
    if target_set.priors:
        err_console.print(f"(the priors in {targets} are for --method abc; --method de "
                          "searches the --free ranges)", markup=False)
    with _progress(not quiet, "calibrating") as progress:
        result = run_calibration(sc, target_set, free_params, budget=budget, workers=workers,
                                 executor=ex, cache_dir=out, progress=progress)
    out_console.print(f"{result.evaluations} points evaluated ({result.cache_hits} from the "
                      f"cache {result.cache_path})", markup=False)
    out_console.print(f"distance at the scenario's values {result.start.values}: "
                      f"{result.start.distance:.3g} ({result.start.met} of "
                      f"{len(result.calibration)} calibration targets met)", markup=False)
    out_console.print(f"best distance: {result.best.distance:.3g}", markup=False)
    out_console.print(_validation_table(result.calibration, "calibration targets at the best "
                                                            "values"))
    out_console.print(summary_line(result.calibration))
    if result.validation:
        out_console.print(_validation_table(result.validation, "held-back validation targets at "
                                                               "the best values"))
        out_console.print(summary_line(result.validation))
    out_console.print("best values (paste under base: in a scenario):")
    sys.stdout.flush()
    print(result.base_snippet(), end="")


def _print_abc(abc: Any) -> None:
    """The tolerance schedule, the credible intervals and the posterior predictive check."""
    from rich.markup import escape

    schedule = Table(title=f"ABC-SMC: {abc.stopped}", title_justify="left")
    for col in ("generation", "ε (distance)", "proposed", "accepted", "acceptance", "ESS"):
        schedule.add_column(col, justify="right")
    for g in abc.generations:
        schedule.add_row(str(g.index), "∞" if math.isinf(g.epsilon) else f"{g.epsilon:.3g}",
                         str(g.proposed), str(len(g.particles)), f"{g.acceptance:.0%}",
                         f"{g.ess:.1f}")
    out_console.print(schedule)
    out_console.print(f"{abc.evaluations} particles evaluated ({abc.cache_hits} from the cache), "
                      f"{abc.runs} runs simulated, {abc.cpu_seconds:.0f} s CPU in this process, "
                      f"{abc.wall_seconds:.0f} s wall", markup=False)
    grid = Table(title="posterior: median [90 % credible interval] (prior)",
                 title_justify="left")
    for col in ("parameter", "median [90 %]", "prior"):
        grid.add_column(col, justify="left" if col == "parameter" else "right")
    for name, ci in abc.intervals.items():
        prior = abc.priors.get(name)
        grid.add_row(name, f"{ci['median']:.3g} [{ci['lo']:.3g}, {ci['hi']:.3g}]",
                     prior.text() if prior is not None
                     else f"uniform on {ci['prior_low']:g}–{ci['prior_high']:g}")
    out_console.print(grid)
    ppc = Table(title=f"posterior predictive check ({abc.settings.ppc_draws} posterior draws, "
                "fresh seeds): statistic median [5 %, 95 %] and share of draws meeting the "
                "target", title_justify="left")
    for col in ("id", "role", "quantity", "expected", "simulated", "met in"):
        ppc.add_column(col, justify="left" if col in ("id", "role", "quantity") else "right")
    for r in abc.predictive:
        ppc.add_row(escape(r["id"]), r["role"], escape(r["quantity"]), escape(r["expected"]),
                    f"{_fmt(r['median'])} [{_fmt(r['lo'])}, {_fmt(r['hi'])}]",
                    f"{r['met_share']:.0%}")
    out_console.print(ppc)
    if abc.directory is not None:
        out_console.print(f"posterior: {abc.directory}", markup=False)
        for path in abc.files:
            out_console.print(f"  {path}", markup=False)


# --- explain (issue 12) ---------------------------------------------------------------------


@app.command()
@handle_errors
def explain(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file with two (or more) arms.")],
    arms: Annotated[tuple[str, str] | None, typer.Option(
        help="The two arms compared, A B (default: the first two); shares are of B − A.")]
    = None,
    outcome: Annotated[list[str] | None, typer.Option(
        help="Outcome to attribute (repeatable; default: sustainment, adoption, penetration, "
        "service sustainment, cases started).")] = None,
    replications: Annotated[int | None, typer.Option(min=2, help="Override replications.")]
    = None,
    workers: Annotated[int, typer.Option(min=1, help="Parallel worker processes.")] = 1,
    out: Annotated[Path, typer.Option(help="Results folder: the table, JSON and waterfall go to "
                                           "OUT/<scenario>-<hash>/explain, beside the "
                                           "scenario's runs (impl-sim report reuses them).")]
    = Path("results"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Which mechanism path carries the difference between two arms? Switches each path off in
    both arms (common random numbers) and reports Shapley shares with 95 % intervals."""
    from impl_sim.analysis.attribution import ATTRIBUTION_OUTCOMES, sentence, write_outputs
    from impl_sim.analysis.attribution import explain as run_explain
    from impl_sim.model.outcomes import OUTCOMES
    from impl_sim.params import suggest

    for name in outcome or []:
        if name not in OUTCOMES:
            raise BadInput(f"--outcome: {name!r} is not an outcome"
                           f"{suggest(name, list(OUTCOMES))}; expected one of "
                           + ", ".join(OUTCOMES))
    from impl_sim.analysis.report import EXPLAIN_FOLDER
    from impl_sim.experiment.store import results_dir_for

    sc = _load(scenario)
    original = sc
    if replications is not None:
        sc = sc.with_changes(replications=replications)
    # beside the scenario's runs, so that `impl-sim report` finds it: the folder of a run with
    # the same --replications, else the scenario's own folder, else a new one like the former
    candidates = [results_dir_for(sc, out), results_dir_for(original, out)]
    home = next((c for c in candidates if (c / "manifest.json").exists()), candidates[0])
    folder = home / EXPLAIN_FOLDER
    outcomes = list(outcome or ATTRIBUTION_OUTCOMES)
    with _progress(not quiet and not as_json, f"explaining {sc.name}") as progress:
        result = run_explain(sc, arms=list(arms) if arms else None, outcomes=outcomes,
                             workers=workers, progress=progress)
    files = write_outputs(result, folder, outcomes[0])
    if as_json:
        print(json.dumps(result.as_json() | {"files": [str(f) for f in files]}, indent=2))
        return
    for name, item in result.outcomes.items():
        grid = Table(title=f"{name}: {result.arm_b} − {result.arm_a} = "
                     f"{_fmt(item.difference)} [{_fmt(item.difference_lo)}, "
                     f"{_fmt(item.difference_hi)}]; with every path off "
                     f"{_fmt(item.residual)} [{_fmt(item.residual_lo)}, "
                     f"{_fmt(item.residual_hi)}]", title_justify="left")
        for col in ("path", "carries [95 %]", "share [95 %]", "alone", "cumulative"):
            grid.add_column(col, justify="left" if col == "path" else "right")
        for p in item.paths:
            grid.add_row(p.path, f"{_fmt(p.shapley)} [{_fmt(p.lo)}, {_fmt(p.hi)}]",
                         f"{_share(p.share)} [{_share(p.share_lo)}, {_share(p.share_hi)}]",
                         _fmt(p.alone), _fmt(p.cumulative))
        out_console.print(grid)
        out_console.print(sentence(item, result), markup=False)
    out_console.print(f"{result.coalitions} combinations of switched-off paths × 2 arms × "
                      f"{sc.replications} replications = {result.runs} runs "
                      f"({'exact' if result.exact else 'sampled'} Shapley values)")
    for path in files:
        out_console.print(f"  {path}", markup=False)


def _share(x: float) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:.0f} %"


# --- dashboard (issue 5) ---------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.1, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def dashboard_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line that serves the dashboard (production mode: offline)."""
    return [sys.executable, "-m", "solara", "run", "impl_sim.dashboard.app", "--production",
            "--host", host, "--port", str(port)]


@app.command()
@handle_errors
def dashboard(
    host: Annotated[str, typer.Option(help="Address to serve on (127.0.0.1: this computer "
                                      "only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8765,
    token: Annotated[str | None, typer.Option(
        envvar="IMPL_SIM_DASHBOARD_TOKEN", show_envvar=True,
        help="Secret every request must carry (?token=… in the address); required when "
        "--host is not this computer only.")] = None,
) -> None:
    """Serve the what-if dashboard for service leaders and teachers; open the printed address
    in a browser."""
    import importlib.util
    import os
    import signal
    import subprocess

    if importlib.util.find_spec("solara") is None:
        raise BadInput("the dashboard needs the 'dashboard' extra: pip install "
                       "'impl-sim[dashboard]'")
    if not _is_loopback(host):
        err_console.print(f"warning: --host {host} serves the dashboard to every machine that "
                          "can reach this one", markup=False)
        if not token:
            raise BadInput(f"--host {host}: a dashboard served beyond this computer needs a "
                           "token; give --token SECRET (or set IMPL_SIM_DASHBOARD_TOKEN), or "
                           "serve on --host 127.0.0.1")
    # Solara warns on every page load that a cookie cannot be samesite=none over plain http on
    # 127.0.0.1; it falls back to samesite=lax, which is right for a local app.
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    warnings = ",".join(w for w in (os.environ.get("PYTHONWARNINGS"), quiet) if w)
    env = {**os.environ, "SOLARA_THEME_SHOW_BANNER": "False", "PYTHONWARNINGS": warnings,
           "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", "2m")}
    command = dashboard_command(host, port)
    address = f"http://{host}:{port}/"
    if token:  # every request must carry it (impl_sim.dashboard.server.TokenGate)
        env["IMPL_SIM_DASHBOARD_TOKEN"] = token
        command = [sys.executable, "-m", "impl_sim.dashboard.server", host, str(port)]
        address += "?token=<your token>"
    err_console.print(f"impl-sim dashboard: {address}  (Ctrl-C to stop)", markup=False)
    server = subprocess.Popen(command, env=env)
    # stopping this command stops the server too (a plain `kill` would otherwise orphan it)
    previous = signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        code = server.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the server as well; let it finish
        server.terminate()
        server.wait()
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code and code != -signal.SIGTERM:
        raise typer.Exit(code)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except BrokenPipeError:  # raised outside a command (e.g. while printing --help)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
