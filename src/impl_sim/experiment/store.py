"""Results store: one directory per scenario and hash, Parquet parts and a manifest.

Layout::

    results/<name>-<hash>/
      manifest.json              scenario (canonical), hash, seeds, design, provenance, sessions
      runs/part-000000.parquet   run summaries of chunk 0 (one row per run)
      series/part-000000.parquet monthly series of chunk 0 (one row per run and month; only
                                 when the scenario's ``outputs.series`` is true)
      events/part-000000.parquet event log of chunk 0 (one row per run and event: careers,
                                 service and leader histories; only when ``outputs.events``
                                 is true — model/events.py)

Each file is written to a temporary name in the same directory, flushed to disk and renamed
into place, so a part is either whole or absent; the series and events parts are written before
the summary part, whose presence marks a chunk done. Parquet page checksums are written and
verified on reading. A sweep restarted on the same directory reads every part back (checksums,
columns, the exact task ids, the number of months), keeps the whole ones and redoes the rest:
nothing lost, nothing duplicated. A changed scenario has another hash, so it never mixes with
old results.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from impl_sim.experiment.provenance import now, provenance
from impl_sim.experiment.runner import RunResult, Task, scenario_tasks
from impl_sim.model.events import DETAILS, ENTITIES, EVENT_ENTITY, EVENTS
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.scenario.design import design_seed, parameter_kinds
from impl_sim.scenario.loader import Scenario

KEY_COLUMNS = ["task", "point", "arm", "replication"]
_UMASK = os.umask(0o022)  # read once, at import (single-threaded), and put back
os.umask(_UMASK)
MANIFEST = "manifest.json"
FORMAT_VERSION = 2


class ResultsError(ValueError):
    """A directory that is not (or no longer) a readable results directory."""


def chunk_size_for(n_tasks: int) -> int:
    """Runs per part: small for small studies (parallelism, fine-grained resume), up to 64 for
    big ones (fewer files: 112,640 runs make 1,760 parts)."""
    return max(4, min(64, math.ceil(n_tasks / 200)))


def results_dir_for(scenario: Scenario, out: str | Path) -> Path:
    """``out/<name>-<hash>``: where a scenario's results live."""
    return Path(out) / f"{scenario.name}-{scenario.hash()}"


# --- atomic files -----------------------------------------------------------------------------


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)``, fsync, and rename onto ``path`` (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp's 0600 would hide results from the group
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    _atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically, with page checksums."""
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp, write_page_checksum=True))


# --- rows ---------------------------------------------------------------------------------------


def summary_table(pairs: list[tuple[Task, RunResult]], design_names: list[str]) -> pa.Table:
    """One row per run: keys, seed, the design values, then every outcome."""
    columns: dict[str, list[Any]] = {k: [] for k in [*KEY_COLUMNS, "seed", *design_names]}
    outcomes = list(pairs[0][1].summary)
    for name in outcomes:
        columns[name] = []
    for task, result in pairs:
        for key in KEY_COLUMNS:
            columns[key].append(getattr(task, key))
        columns["seed"].append(task.seed)
        for name in design_names:
            columns[name].append(task.overrides.get(name))
        for name in outcomes:
            columns[name].append(float(result.summary[name]))
    return pa.table(columns)


def series_table(pairs: list[tuple[Task, RunResult]]) -> pa.Table | None:
    """Long form: one row per run and month, one column per monthly series."""
    kept = [(t, r.series) for t, r in pairs if r.series is not None]
    if not kept:
        return None
    lengths = [len(next(iter(s.values()))) for _, s in kept]
    columns: dict[str, Any] = {
        key: np.repeat([getattr(t, key) for t, _ in kept], lengths) for key in KEY_COLUMNS}
    columns["month"] = np.concatenate([np.arange(n) for n in lengths])
    for name in kept[0][1]:
        columns[name] = np.concatenate([np.asarray(s[name], dtype=float) for _, s in kept])
    return pa.table(columns)


def _dictionary(codes: np.ndarray, values: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values))


def events_table(pairs: list[tuple[Task, RunResult]]) -> pa.Table | None:
    """Long form: one row per run and event (keys, month, entity, id, post, service, event,
    detail, value); entity, event and detail are dictionary-encoded text."""
    kept = [(t, r.events) for t, r in pairs if r.events is not None]
    if not kept:
        return None
    lengths = [len(e["month"]) for _, e in kept]
    columns: dict[str, Any] = {
        key: np.repeat([getattr(t, key) for t, _ in kept], lengths) for key in KEY_COLUMNS}
    joined = {name: np.concatenate([e[name] for _, e in kept]) for name in kept[0][1]}
    event = joined["event"].astype(np.int64)
    columns.update(
        month=joined["month"], entity=_dictionary(EVENT_ENTITY[event], ENTITIES),
        id=joined["id"], post=joined["post"], service=joined["service"],
        event=_dictionary(event, EVENTS), detail=_dictionary(joined["detail"], DETAILS),
        value=joined["value"])
    return pa.table(columns)


# --- reading and checking parts -------------------------------------------------------------------


def read_part(path: Path, task_ids: range, series: bool = False, events: bool = False,
              ) -> pa.Table | None:
    """The part's table if it is whole — it reads, its checksums verify, its runs are exactly
    ``task_ids`` (for series, each run's months run 0, 1, 2, … without a gap; for events, each
    run's rows are contiguous and in month order) — else ``None``."""
    try:
        table = pq.read_table(path, page_checksum_verification=True)
        found = np.asarray(table.column("task"))
        months = np.asarray(table.column("month")) if series or events else None
    except Exception:
        return None
    expected = np.asarray(task_ids)
    if events:
        assert months is not None
        starts = np.r_[True, found[1:] != found[:-1]] if len(found) else np.array([], bool)
        ordered = np.all((months[1:] >= months[:-1]) | starts[1:])
        return table if ordered and np.array_equal(found[starts], expected) else None
    if months is None:
        return table if np.array_equal(np.sort(found), expected) else None
    starts = np.r_[True, found[1:] != found[:-1]] if len(found) else np.array([], bool)
    ok = (np.array_equal(found[starts], expected) and not months[starts].any()
          and np.array_equal(months[1:][~starts[1:]], months[:-1][~starts[1:]] + 1))
    return table if ok else None


def chunk_ranges(n_tasks: int, chunk_size: int) -> list[range]:
    """The task ids of each chunk (tasks are numbered 0…n−1 in scenario order)."""
    return [range(i, min(i + chunk_size, n_tasks)) for i in range(0, n_tasks, chunk_size)]


def part_path(directory: Path, kind: str, chunk: int) -> Path:
    """``directory/kind/part-NNNNNN.parquet``."""
    return directory / kind / f"part-{chunk:06d}.parquet"


def _to_frame(tables: list[pa.Table], keys: list[str] | None = None) -> pd.DataFrame:
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    keys = keys or (["task", "month"] if "month" in frame.columns else ["task"])
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


class ResultStore:
    """Where a scenario's runs go: a directory (resumable) or memory (``directory=None``)."""

    def __init__(self, scenario: Scenario, directory: Path | None, chunk_size: int,
                 tasks: list[Task] | None = None) -> None:
        self.scenario = scenario
        self.directory = directory
        self.tasks = tasks if tasks is not None else scenario_tasks(scenario)
        self.chunk_size = chunk_size
        self.chunks = [self.tasks[i:i + chunk_size] for i in range(0, len(self.tasks), chunk_size)]
        self.design_names = list(scenario.design.parameters) if scenario.design else []
        self.keep_series = bool(scenario.outputs.get("series", True))
        self.keep_events = bool(scenario.outputs.get("events", False))
        self.manifest: dict[str, Any] = {}
        self._memory: dict[int, tuple[pa.Table, pa.Table | None, pa.Table | None]] = {}
        self._done: set[int] = set()

    # -- opening and resuming ------------------------------------------------------------------

    @classmethod
    def open(cls, scenario: Scenario, out: str | Path | None, resume: bool = True,
             tasks: list[Task] | None = None) -> ResultStore:
        """Open (and, with ``resume``, scan) the store of ``scenario`` under ``out``.

        ``tasks`` replaces the scenario's own (e.g. runs with posterior draws); the scenario's
        name must then say so, since the folder is named after the scenario's hash."""
        tasks = tasks if tasks is not None else scenario_tasks(scenario)
        if out is None:
            store = cls(scenario, None, chunk_size_for(len(tasks)), tasks)
            store.manifest = store._new_manifest()
            return store
        directory = results_dir_for(scenario, out)
        manifest = _read_manifest(directory) if resume else None
        if manifest is not None and manifest.get("format_version") != FORMAT_VERSION:
            raise ResultsError(f"{directory}: written by another impl-sim store format "
                               f"({manifest.get('format_version')}, this is {FORMAT_VERSION}); "
                               "move it away or use another --out")
        if manifest is not None and manifest.get("scenario_hash") == scenario.hash():
            store = cls(scenario, directory, int(manifest["chunk_size"]), tasks)
            store.manifest = manifest
        else:
            store = cls(scenario, directory, chunk_size_for(len(tasks)), tasks)
            store.manifest = store._new_manifest()
            store._clear()
            store._write_manifest()
        store._scan_parts()
        return store

    def _clear(self) -> None:
        assert self.directory is not None
        for kind in ("runs", "series", "events"):
            for part in (self.directory / kind).glob("part-*.parquet"):
                part.unlink()

    def _new_manifest(self) -> dict[str, Any]:
        s = self.scenario
        design = s.design.as_dict() | {"sampler_seed": design_seed(s.design, s.seed)} \
            if s.design else None
        return {
            "format_version": FORMAT_VERSION,
            "scenario_name": s.name, "scenario_hash": s.hash(), "scenario": s.canonical(),
            "description": s.description, "source": s.source,
            "arms": list(s.arms), "design": design,
            "design_parameters": self.design_names,
            "parameter_kinds": parameter_kinds(s.design),
            "n_points": len({t.point for t in self.tasks}), "replications": s.replications,
            "series": self.keep_series, "events": self.keep_events,
            "seeds": {"scenario_seed": s.seed, "rule": "numpy SeedSequence(scenario_seed, "
                      "spawn_key=(replication,)); replication r uses the same seed in every arm "
                      "and design point (common random numbers)"},
            "runs_expected": len(self.tasks), "chunk_size": self.chunk_size,
            "runs_done": 0, "complete": False,
            "created": now(), "updated": now(),
            "provenance": provenance(), "sessions": [],
        }

    def _write_manifest(self) -> None:
        if self.directory is None:
            return
        text = json.dumps(self.manifest, indent=2, default=str)
        atomic_write_bytes(self.directory / MANIFEST, text.encode())

    def _part(self, kind: str, chunk: int) -> Path:
        assert self.directory is not None
        return part_path(self.directory, kind, chunk)

    def _scan_parts(self) -> None:
        """Mark chunks done whose parts read back whole; delete broken parts and stray
        temporary files (left by a crash between writing and renaming)."""
        assert self.directory is not None
        for tmp in self.directory.glob("*/.part-*.tmp"):
            tmp.unlink(missing_ok=True)
        for i, ids in enumerate(chunk_ranges(len(self.tasks), self.chunk_size)):
            runs = self._part("runs", i)
            if not runs.exists():
                continue
            whole = read_part(runs, ids) is not None and (
                not self.keep_series or read_part(self._part("series", i), ids, True)
                is not None) and (
                not self.keep_events or read_part(self._part("events", i), ids, events=True)
                is not None)
            if whole:
                self._done.add(i)
            else:
                warnings.warn(f"{runs.parent.parent}: chunk {i} is corrupt or incomplete; "
                              "redoing it", stacklevel=2)
                runs.unlink(missing_ok=True)
                self._part("series", i).unlink(missing_ok=True)
                self._part("events", i).unlink(missing_ok=True)

    # -- writing -----------------------------------------------------------------------------

    def pending_chunks(self) -> list[list[Task]]:
        """Chunks still to run, in task order."""
        return [c for i, c in enumerate(self.chunks) if i not in self._done]

    def split(self, tasks: list[Task]) -> tuple[list[tuple[Task, RunResult]], list[list[Task]]]:
        """For :func:`~impl_sim.experiment.runner.run_tasks`: stored runs stay on disk (none
        returned); the chunks still to run. ``tasks`` must be this store's tasks."""
        assert tasks is self.tasks or len(tasks) == len(self.tasks)
        return [], self.pending_chunks()

    def put(self, pairs: list[tuple[Task, RunResult]]) -> None:
        """For :func:`~impl_sim.experiment.runner.run_tasks`: store one finished chunk."""
        self.write_chunk(pairs)

    def runs_done(self) -> int:
        """Runs stored so far."""
        return sum(len(self.chunks[i]) for i in self._done)

    def begin_session(self, executor: dict[str, Any]) -> None:
        """Record who runs (executor, commit, time) before running: a resumed sweep shows every
        session that contributed, so mixed code versions cannot hide."""
        prov = provenance()
        self.manifest["sessions"].append({
            "started": now(), "runs_done_before": self.runs_done(), **executor,
            "package_version": prov["package_version"], "git_commit": prov["git_commit"]})
        self._write_manifest()

    def write_chunk(self, pairs: list[tuple[Task, RunResult]]) -> None:
        """Store one finished chunk (series first: the summary part marks completion)."""
        pairs = sorted(pairs, key=lambda p: p[0].task)
        index = pairs[0][0].task // self.chunk_size
        summary = summary_table(pairs, self.design_names)
        series = series_table(pairs)
        events = events_table(pairs)
        if self.directory is None:
            self._memory[index] = (summary, series, events)
        else:
            if series is not None:
                atomic_write_table(self._part("series", index), series)
            if events is not None:
                atomic_write_table(self._part("events", index), events)
            atomic_write_table(self._part("runs", index), summary)
        self._done.add(index)

    def finish(self) -> None:
        """Update the manifest: runs done, complete or not."""
        self.manifest.update(runs_done=self.runs_done(), updated=now(),
                             complete=len(self._done) == len(self.chunks))
        self._write_manifest()

    # -- reading -------------------------------------------------------------------------------

    def load(self) -> Results:
        """The stored results (from disk, or from memory for an in-memory store)."""
        if self.directory is not None:
            return Results.load(self.directory)
        order = sorted(self._memory)
        series = [t for i in order if (t := self._memory[i][1]) is not None]
        events = [t for i in order if (t := self._memory[i][2]) is not None]
        return Results(None, self.manifest, _to_frame([self._memory[i][0] for i in order]),
                       _to_frame(series) if series else None,
                       events=_events_frame(events) if events else None)


def _events_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """Events in run order, each run's rows as written (month order, stable within a month)."""
    return _to_frame(tables, keys=["task"])


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or "scenario" not in manifest:
        raise ResultsError(f"{path}: not an impl-sim manifest")
    return manifest


@dataclass
class Results:
    """A scenario's results as pandas DataFrames.

    ``summary``: one row per run — ``task, point, arm, replication, seed``, the design
    parameters (dotted names), then one column per outcome. ``series``: one row per run and
    month (``None`` unless the scenario kept series). ``events``: one row per run and event —
    keys, ``month, entity, id, post, service, event, detail, value`` (``None`` unless the
    scenario kept events; see :mod:`impl_sim.model.events`). ``manifest``: scenario, seeds,
    design, parameter kinds and provenance.
    """

    directory: Path | None
    manifest: dict[str, Any]
    summary: pd.DataFrame
    series: pd.DataFrame | None = None
    problems: list[str] = field(default_factory=list)
    events: pd.DataFrame | None = None

    @classmethod
    def load(cls, directory: str | Path) -> Results:
        """Read a results directory back. Only whole parts are read; a corrupt part is left
        out with a warning (rerun the sweep to redo it) and listed in ``problems``."""
        directory = Path(directory)
        if not directory.is_dir():
            raise ResultsError(f"{directory}: no such results directory")
        manifest = _read_manifest(directory)
        if manifest is None:
            raise ResultsError(f"{directory}: no {MANIFEST}; not a results directory (expected "
                               "the folder `impl-sim sweep` or `impl-sim run` printed)")
        try:
            chunks = chunk_ranges(int(manifest["runs_expected"]), int(manifest["chunk_size"]))
            keep_series = bool(manifest["series"])
            keep_events = bool(manifest.get("events", False))
        except (KeyError, TypeError, ValueError):
            raise ResultsError(f"{directory / MANIFEST}: incomplete manifest (no runs_expected, "
                               "chunk_size or series); written by another version?") from None
        runs, series, events, problems = [], [], [], []
        for i, ids in enumerate(chunks):
            path = part_path(directory, "runs", i)
            if not path.exists():
                continue
            table = read_part(path, ids)
            series_part = (read_part(part_path(directory, "series", i), ids, True)
                           if keep_series else None)
            events_part = (read_part(part_path(directory, "events", i), ids, events=True)
                           if keep_events else None)
            if table is None or (keep_series and series_part is None) or (
                    keep_events and events_part is None):
                problems.append(f"chunk {i} is corrupt or incomplete")
                continue
            runs.append(table)
            if series_part is not None:
                series.append(series_part)
            if events_part is not None:
                events.append(events_part)
        for problem in problems:
            warnings.warn(f"{directory}: {problem}; left out (rerun the sweep to redo it)",
                          stacklevel=2)
        if not runs:
            raise ResultsError(f"{directory}: no finished runs yet")
        return cls(directory, manifest, _to_frame(runs), _to_frame(series) if series else None,
                   problems, _events_frame(events) if events else None)

    @property
    def outcomes(self) -> list[str]:
        """Outcome columns present in ``summary``."""
        return [c for c in self.summary.columns if c in OUTCOMES]

    @property
    def arms(self) -> list[str]:
        """Arm names in scenario order."""
        return list(self.manifest.get("arms") or self.summary["arm"].unique())

    @property
    def parameters(self) -> list[str]:
        """The design parameters (columns of ``summary``)."""
        return list(self.manifest.get("design_parameters") or [])

    @property
    def parameter_kinds(self) -> dict[str, str]:
        """``{design parameter: "lever" | "uncertainty" | "structure"}``."""
        return dict(self.manifest.get("parameter_kinds") or {})

    @property
    def complete(self) -> bool:
        """True when every expected run is present."""
        return len(self.summary) == int(self.manifest.get("runs_expected", -1))

    def tidy(self) -> pd.DataFrame:
        """Long form: one row per run and outcome (keys, design values, ``outcome``,
        ``value``)."""
        id_vars = [c for c in self.summary.columns if c not in OUTCOMES]
        return self.summary.melt(id_vars=id_vars, value_vars=self.outcomes,
                                 var_name="outcome", value_name="value")

    def to_xarray(self) -> Any:
        """The runs as an ``xarray.Dataset``: outcomes over ``run``, monthly series over
        ``(run, month)``, with arm, design point, replication, seed and the design parameters
        as coordinates of ``run`` (see :mod:`impl_sim.experiment.export`; needs xarray)."""
        from impl_sim.experiment.export import to_xarray

        return to_xarray(self)

    def tidy_series(self) -> pd.DataFrame:
        """Long form of the monthly series: one row per run, month and series."""
        if self.series is None:
            raise ResultsError("this sweep kept no monthly series (set outputs.series: true)")
        id_vars = [*KEY_COLUMNS, "month"]
        return self.series.melt(id_vars=id_vars, var_name="series", value_name="value")

