"""Results store: one directory per scenario and hash, Parquet parts and a manifest.

Layout::

    results/<name>-<hash>/
      manifest.json              scenario, hash, seeds, provenance, progress
      runs/part-000000.parquet   run summaries of chunk 0 (one row per run)
      series/part-000000.parquet monthly series of chunk 0 (long: one row per run and month)

Every file is written to a temporary name in the same directory and renamed into place, so a
part is either complete or absent. A sweep restarted on the same directory skips chunks whose
summary part reads back complete; a corrupt or partial part is deleted and redone. A changed
scenario has another hash, so it never mixes with old results.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from impl_sim.experiment.provenance import now, provenance
from impl_sim.experiment.runner import RunResult, Task, scenario_tasks
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.scenario.loader import Scenario

KEY_COLUMNS = ["task", "point", "arm", "replication"]
MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def chunk_size_for(n_tasks: int) -> int:
    """Runs per part: small for small studies (parallelism), larger for big ones (fewer files)."""
    return max(4, min(64, math.ceil(n_tasks / 200)))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def results_dir_for(scenario: Scenario, out: str | Path) -> Path:
    return Path(out) / f"{scenario.name}-{scenario.hash()}"


def summary_rows(pairs: list[tuple[Task, RunResult]], design_names: list[str]) -> pd.DataFrame:
    rows = []
    for task, result in pairs:
        row: dict[str, Any] = {"task": task.task, "point": task.point, "arm": task.arm,
                               "replication": task.replication, "seed": task.seed}
        for name in design_names:
            row[name] = task.overrides.get(name)
        row.update(result.summary)
        rows.append(row)
    return pd.DataFrame(rows)


def series_rows(pairs: list[tuple[Task, RunResult]]) -> pd.DataFrame | None:
    frames = []
    for task, result in pairs:
        if result.series is None:
            continue
        frame = pd.DataFrame(result.series)
        frame.insert(0, "month", range(len(frame)))
        for i, (col, val) in enumerate(zip(KEY_COLUMNS, (task.task, task.point, task.arm,
                                                         task.replication), strict=True)):
            frame.insert(i, col, val)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else None


class ResultStore:
    """Where a scenario's runs go: a directory (resumable) or memory (``directory=None``)."""

    def __init__(self, scenario: Scenario, directory: Path | None, chunk_size: int) -> None:
        self.scenario = scenario
        self.directory = directory
        self.tasks = scenario_tasks(scenario)
        self.chunk_size = chunk_size
        self.chunks = [self.tasks[i:i + chunk_size] for i in range(0, len(self.tasks), chunk_size)]
        self.design_names = list(scenario.design.parameters) if scenario.design else []
        self._memory: dict[int, tuple[pd.DataFrame, pd.DataFrame | None]] = {}
        self._done: set[int] = set()

    # -- opening and resuming ------------------------------------------------------------------

    @classmethod
    def open(cls, scenario: Scenario, out: str | Path | None, resume: bool = True) -> ResultStore:
        if out is None:
            return cls(scenario, None, chunk_size_for(len(scenario_tasks(scenario))))
        directory = results_dir_for(scenario, out)
        manifest_path = directory / MANIFEST
        if resume and manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            store = cls(scenario, directory, int(manifest["chunk_size"]))
            store._manifest = manifest
            store._scan_parts()
        else:
            if directory.exists() and not resume:
                for part in [*directory.glob("runs/part-*.parquet"),
                             *directory.glob("series/part-*.parquet")]:
                    part.unlink()
            store = cls(scenario, directory, chunk_size_for(len(scenario_tasks(scenario))))
            store._manifest = store._new_manifest()
            store._write_manifest()
        return store

    def _new_manifest(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "format_version": FORMAT_VERSION,
            "scenario_name": s.name, "scenario_hash": s.hash(), "scenario": s.canonical(),
            "description": s.description, "source": s.source,
            "arms": list(s.arms), "design_parameters": self.design_names,
            "n_points": len({t.point for t in self.tasks}), "replications": s.replications,
            "seeds": {"scenario_seed": s.seed, "rule": "numpy SeedSequence(seed, "
                      "spawn_key=(replication,)); replication r uses the same seed in every arm "
                      "and design point"},
            "runs_expected": len(self.tasks), "chunk_size": self.chunk_size,
            "created": now(), "updated": now(), "complete": False,
            "provenance": provenance(),
        }

    def _write_manifest(self) -> None:
        if self.directory is None:
            return
        text = json.dumps(self._manifest, indent=2, sort_keys=False, default=str)
        atomic_write_bytes(self.directory / MANIFEST, text.encode())

    def _part(self, kind: str, chunk: int) -> Path:
        assert self.directory is not None
        return self.directory / kind / f"part-{chunk:06d}.parquet"

    def _scan_parts(self) -> None:
        """Mark chunks done whose parts read back whole; delete broken ones."""
        keep_series = bool(self.scenario.outputs.get("series", True))
        for i, chunk in enumerate(self.chunks):
            runs = self._part("runs", i)
            if not runs.exists():
                continue
            ok = _part_is_whole(runs, [t.task for t in chunk])
            if ok and keep_series:
                ok = _part_is_whole(self._part("series", i), [t.task for t in chunk])
            if ok:
                self._done.add(i)
            else:
                warnings.warn(f"redoing chunk {i}: its part file is corrupt or incomplete",
                              stacklevel=2)
                runs.unlink(missing_ok=True)
                self._part("series", i).unlink(missing_ok=True)

    # -- writing -----------------------------------------------------------------------------

    def pending_chunks(self) -> list[list[Task]]:
        return [c for i, c in enumerate(self.chunks) if i not in self._done]

    def runs_done(self) -> int:
        return sum(len(self.chunks[i]) for i in self._done)

    def write_chunk(self, pairs: list[tuple[Task, RunResult]]) -> None:
        """Store one finished chunk (series first: the summary part marks completion)."""
        pairs = sorted(pairs, key=lambda p: p[0].task)
        index = pairs[0][0].task // self.chunk_size
        summary = summary_rows(pairs, self.design_names)
        series = series_rows(pairs)
        if self.directory is None:
            self._memory[index] = (summary, series)
        else:
            if series is not None:
                atomic_write_parquet(self._part("series", index), series)
            atomic_write_parquet(self._part("runs", index), summary)
        self._done.add(index)

    def finish(self) -> None:
        self._manifest_update(complete=len(self._done) == len(self.chunks))

    def _manifest_update(self, **fields: Any) -> None:
        if self.directory is None:
            return
        self._manifest.update(fields, updated=now(), runs_done=self.runs_done())
        self._write_manifest()

    # -- reading -------------------------------------------------------------------------------

    def load(self) -> Results:
        if self.directory is not None:
            return Results.load(self.directory)
        summaries = [self._memory[i][0] for i in sorted(self._memory)]
        series = [frame for i in sorted(self._memory)
                  if (frame := self._memory[i][1]) is not None]
        manifest = getattr(self, "_manifest", None) or self._new_manifest()
        return Results(None, manifest, _sorted(pd.concat(summaries, ignore_index=True)),
                       _sorted(pd.concat(series, ignore_index=True)) if series else None)


def _part_is_whole(path: Path, tasks: list[int]) -> bool:
    try:
        table = pq.read_table(path, columns=["task"])
    except Exception:
        return False
    return sorted(set(table.column("task").to_pylist())) == tasks


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["task", "month"] if "month" in frame.columns else ["task"]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


@dataclass
class Results:
    """A scenario's results: run summaries (one row per run), monthly series, manifest."""

    directory: Path | None
    manifest: dict[str, Any]
    summary: pd.DataFrame
    series: pd.DataFrame | None = None

    @classmethod
    def load(cls, directory: str | Path) -> Results:
        """Read a results directory back (only complete parts)."""
        directory = Path(directory)
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            raise FileNotFoundError(f"{directory}: no {MANIFEST}; not a results directory")
        manifest = json.loads(manifest_path.read_text())
        runs = sorted((directory / "runs").glob("part-*.parquet"))
        if not runs:
            raise FileNotFoundError(f"{directory}: no finished runs yet")
        summary = _sorted(pd.concat([pd.read_parquet(p) for p in runs], ignore_index=True))
        series_parts = sorted((directory / "series").glob("part-*.parquet"))
        series = (_sorted(pd.concat([pd.read_parquet(p) for p in series_parts],
                                    ignore_index=True)) if series_parts else None)
        return cls(directory, manifest, summary, series)

    @property
    def outcomes(self) -> list[str]:
        return [c for c in self.summary.columns if c in OUTCOMES]

    @property
    def arms(self) -> list[str]:
        return list(self.manifest.get("arms") or self.summary["arm"].unique())

    def tidy(self) -> pd.DataFrame:
        """Long form: one row per run and outcome (columns: keys, design values, outcome,
        value)."""
        id_vars = [c for c in self.summary.columns if c not in OUTCOMES]
        return self.summary.melt(id_vars=id_vars, value_vars=self.outcomes,
                                 var_name="outcome", value_name="value")
