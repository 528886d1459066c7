"""Results store: one directory per scenario and hash, Parquet parts and a manifest.

Layout::

    results/<name>-<hash>/
      manifest.json              scenario (canonical), hash, task digest, seeds, design,
                                 part schemas, provenance, sessions
      .lock                      who is writing (one writer per folder; see ``lock.py``)
      runs/part-000000.parquet   run summaries of chunk 0 (one row per run)
      runs/part-000000.sha256    its SHA-256 (``sha256sum -c`` format)
      series/part-000000.parquet monthly series of chunk 0 (one row per run and month; only
                                 when the scenario's ``outputs.series`` is true)
      events/part-000000.parquet event log of chunk 0 (one row per run and event: careers,
                                 service and leader histories; only when ``outputs.events``
                                 is true — model/events.py)

Each part is written to a temporary name in the same directory, flushed to disk, its SHA-256
written beside it, then renamed into place, so a part is either whole or absent; the series
and events parts are written before the summary part, whose presence marks a chunk done.
Reading a part verifies, for every kind of table alike: its SHA-256 (any changed byte, footer
included), the Parquet page checksums, its schema (the one recorded in the manifest for that
kind), and that it holds exactly the expected runs (task ids, and on resume their point, arm
and replication). A sweep restarted on the same directory keeps the whole parts, moves bad ones
into ``corrupt/`` and redoes them: nothing lost, nothing duplicated, nothing accepted changed.

Nothing is ever deleted silently: a folder whose manifest is missing, unreadable or disagrees
with the scenario (hash or task list) is refused with one line; ``force_new`` (``--force-new``)
moves the old contents into ``superseded-<time>/`` and starts afresh. The scenario hash keeps
the order of arms and design parameters (they decide task order), and the manifest's task digest
covers every task's point, arm, replication, overrides and seed, so a resume can never mix two
scenarios. Write errors name the path and say that a rerun resumes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from impl_sim.experiment.lock import FolderLock
from impl_sim.experiment.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    ResultsError,
    check_manifest,
    check_results_folder,
)
from impl_sim.experiment.manifest import read_manifest as _read_manifest
from impl_sim.experiment.provenance import now, provenance
from impl_sim.experiment.runner import RunResult, Task, scenario_tasks
from impl_sim.model.events import DETAILS, ENTITIES, EVENT_ENTITY, EVENTS
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.scenario.design import design_seed, parameter_kinds
from impl_sim.scenario.loader import Scenario
from impl_sim.textsafe import excerpt

KEY_COLUMNS = ["task", "point", "arm", "replication"]
_PART_RE = re.compile(r"^part-(\d{6,})\.parquet$")


class StoreWriteError(OSError):
    """A part or the manifest could not be written; names the path; a rerun resumes."""

    def __init__(self, path: Path, cause: OSError) -> None:
        self.path, self.cause = path, cause
        reason = cause.strerror or type(cause).__name__
        hint = {errno.ENOSPC: "free some disk space", errno.EDQUOT: "free some disk space",
                errno.EROFS: "choose a writable --out",
                errno.EACCES: "fix its permissions or choose another --out",
                errno.EPERM: "fix its permissions or choose another --out",
                errno.ENOTDIR: "a file is in the way; choose another --out",
                errno.EEXIST: "a file is in the way; choose another --out",
                }.get(cause.errno or 0, "fix the problem")
        super().__init__(cause.errno, f"{path}: cannot write ({reason.lower()}); the runs "
                         f"finished so far are saved — {hint} and rerun the same command to "
                         "resume")
        self.filename = str(path)

    def __str__(self) -> str:
        return str(self.strerror)

    @property
    def user_path_error(self) -> bool:
        """True when the folder the user chose is unusable (read-only, no permission)."""
        return self.cause.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                                    errno.EEXIST, errno.EISDIR)


def chunk_size_for(n_tasks: int) -> int:
    """Runs per part: small for small studies (parallelism, fine-grained resume), up to 64 for
    big ones (fewer files: 112,640 runs make 1,760 parts)."""
    return max(4, min(64, math.ceil(n_tasks / 200)))


def results_dir_for(scenario: Scenario, out: str | Path) -> Path:
    """``out/<name>-<hash>``: where a scenario's results live."""
    return Path(out) / f"{scenario.name}-{scenario.hash()}"


def tasks_digest(tasks: list[Task]) -> str:
    """SHA-256 of every task's id, point, arm, replication, overrides and seed, in order: two
    task lists with the same digest compute the same runs under the same ids."""
    digest = hashlib.sha256()
    for t in tasks:
        row = [t.task, t.point, t.arm, t.replication, sorted(t.overrides.items()), t.seed,
               t.keep_series]
        digest.update(json.dumps(row, default=str).encode())
    return digest.hexdigest()


# --- atomic files -----------------------------------------------------------------------------


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)``, fsync, and rename onto ``path`` (never half-written). Any
    OSError becomes a :class:`StoreWriteError` naming ``path``."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except StoreWriteError:
        raise
    except OSError as exc:
        raise StoreWriteError(path, exc) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            Path(tmp).unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    _atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def checksum_path(part: Path) -> Path:
    """Where the SHA-256 of ``part`` is kept: ``part-NNNNNN.sha256`` beside it."""
    return part.with_suffix(".sha256")


def _sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet part atomically, with page checksums and a SHA-256 beside it (written
    before the part is renamed into place, so a whole part always has its checksum)."""

    def write(tmp: str) -> None:
        pq.write_table(table, tmp, write_page_checksum=True)
        line = f"{_sha256(tmp)}  {path.name}\n"
        atomic_write_bytes(checksum_path(path), line.encode())

    _atomic_write(path, write)


def schema_signature(table: pa.Table | pa.Schema) -> list[list[str]]:
    """``[[column, type class], ...]``: what every part of one kind must share. Numbers are one
    class (a design column may be whole numbers in one part and decimals in another)."""
    schema = table.schema if isinstance(table, pa.Table) else table
    return [[f.name, _type_class(f.type)] for f in schema]


def _type_class(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return "number"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_null(kind):
        return "null"
    return str(kind)


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

_KEY_TYPES = {"task": pa.types.is_integer, "point": pa.types.is_integer,
              "replication": pa.types.is_integer,
              "arm": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)}


def read_part(path: Path, task_ids: range, series: bool = False, events: bool = False, *,
              schema: list[list[str]] | None = None,
              keys: dict[str, np.ndarray] | None = None) -> pa.Table | None:
    """The part's table if it is whole, else ``None``. Whole means: its SHA-256 matches the one
    written beside it; it reads with its page checksums verified; its key columns have their
    types and its columns match ``schema`` (when given); its runs are exactly ``task_ids``
    (for series, each run's months run 0, 1, 2, … without a gap; for events, each run's rows
    are contiguous and in month order); and, when ``keys``
    (``point``, ``arm``, ``replication`` per task id in ``task_ids``) is given, each row's
    keys are those of its task."""
    try:
        recorded = checksum_path(path).read_text(encoding="ascii").split()[0]
        if recorded != _sha256(path):
            return None
        table = pq.read_table(path, page_checksum_verification=True)
        if schema is not None and schema_signature(table) != schema:
            return None
        if not all(name in table.column_names and ok(table.schema.field(name).type)
                   for name, ok in _KEY_TYPES.items()):
            return None
        found = np.asarray(table.column("task"))
        months = np.asarray(table.column("month")) if series or events else None
        if keys is not None and not _keys_match(table, found, task_ids, keys):
            return None
    except Exception:  # any unreadable part is a bad part, whatever pyarrow raises
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


def _keys_match(table: pa.Table, found: np.ndarray, task_ids: range,
                keys: dict[str, np.ndarray]) -> bool:
    position = found - task_ids.start
    if len(found) and (position.min() < 0 or position.max() >= len(task_ids)):
        return False
    return all(np.array_equal(np.asarray(table.column(name).to_pylist(), dtype=object),
                              np.asarray(expected, dtype=object)[position])
               for name, expected in keys.items())


def chunk_ranges(n_tasks: int, chunk_size: int) -> list[range]:
    """The task ids of each chunk (tasks are numbered 0…n−1 in scenario order)."""
    return [range(i, min(i + chunk_size, n_tasks)) for i in range(0, n_tasks, chunk_size)]


def chunk_range(chunk: int, n_tasks: int, chunk_size: int) -> range:
    """The task ids of one chunk (without building the list of every chunk)."""
    return range(chunk * chunk_size, min((chunk + 1) * chunk_size, n_tasks))


def part_path(directory: Path, kind: str, chunk: int) -> Path:
    """``directory/kind/part-NNNNNN.parquet``."""
    return directory / kind / f"part-{chunk:06d}.parquet"


def stored_chunks(directory: Path, kind: str = "runs") -> list[int]:
    """Chunk numbers with a part of ``kind`` on disk, in order."""
    found = (_PART_RE.match(p.name) for p in (directory / kind).glob("part-*.parquet"))
    return sorted(int(m.group(1)) for m in found if m)


def _has_parts(directory: Path) -> bool:
    return directory.is_dir() and any(directory.glob("*/part-*.parquet"))


def _to_frame(tables: list[pa.Table], keys: list[str] | None = None) -> pd.DataFrame:
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    keys = keys or (["task", "month"] if "month" in frame.columns else ["task"])
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def move_aside(directory: Path) -> Path | None:
    """Move everything in ``directory`` (but its lock and earlier moves) into
    ``directory/superseded-<time>/``; returns that folder (``None`` if nothing to move)."""
    entries = [p for p in directory.iterdir()
               if p.name != ".lock" and not p.name.startswith("superseded-")] \
        if directory.is_dir() else []
    if not entries:
        return None
    stamp = now().replace(":", "").replace("-", "").replace("+0000", "Z")
    target = directory / f"superseded-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = directory / f"superseded-{stamp}-{n}"
    try:
        target.mkdir()
        for entry in entries:
            entry.rename(target / entry.name)
    except OSError as exc:
        raise StoreWriteError(target, exc) from None
    return target


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
        # whatever the tasks record (callers that build their own tasks may keep none)
        self.keep_events = any(t.keep_events for t in self.tasks)
        self.manifest: dict[str, Any] = {}
        self.lock: FolderLock | None = None
        self._memory: dict[int, tuple[pa.Table, pa.Table | None, pa.Table | None]] = {}
        self._done: set[int] = set()

    # -- opening and resuming ------------------------------------------------------------------

    @classmethod
    def open(cls, scenario: Scenario, out: str | Path | None, resume: bool = True,
             tasks: list[Task] | None = None, *, force_new: bool = False, wait: bool = False,
             on_wait: Any = None) -> ResultStore:
        """Open (and scan) the store of ``scenario`` under ``out``, holding its folder's lock
        (call :meth:`close` when done). A folder that cannot be resumed safely — parts without
        a manifest, a manifest for another scenario or task list — raises
        :class:`ResultsError`; ``force_new`` (or ``resume=False``) moves its contents aside
        and starts afresh. ``wait``: wait for another writer instead of refusing.

        ``tasks`` replaces the scenario's own (e.g. runs with posterior draws); the scenario's
        name must then say so, since the folder is named after the scenario's hash (the
        manifest's task digest covers the tasks actually run)."""
        tasks = tasks if tasks is not None else scenario_tasks(scenario)
        if out is None:
            store = cls(scenario, None, chunk_size_for(len(tasks)), tasks)
            store.manifest = store._new_manifest()
            return store
        directory = results_dir_for(scenario, out)
        lock = FolderLock(directory, wait=wait, on_wait=on_wait)
        try:
            lock.acquire()
        except OSError as exc:
            raise StoreWriteError(directory, exc) from None
        try:
            store = cls._open_locked(scenario, directory, tasks, force_new or not resume)
        except BaseException:
            lock.release()
            raise
        store.lock = lock
        return store

    @classmethod
    def _open_locked(cls, scenario: Scenario, directory: Path, tasks: list[Task],
                     fresh: bool) -> ResultStore:
        if fresh:
            moved = move_aside(directory)
            if moved is not None:
                warnings.warn(f"{directory}: earlier contents moved to {moved}", stacklevel=3)
        manifest = _read_manifest(directory)
        if manifest is None:
            if _has_parts(directory):
                raise ResultsError(f"{directory}: has result parts but no {MANIFEST}, so they "
                                   "cannot be checked; nothing was touched — rerun with "
                                   "--force-new to move them aside and start afresh, or use "
                                   "another --out")
            store = cls(scenario, directory, chunk_size_for(len(tasks)), tasks)
            store.manifest = store._new_manifest()
            store._write_manifest()
        else:
            _check_resumable(directory, manifest, scenario, tasks)
            store = cls(scenario, directory, int(manifest["chunk_size"]), tasks)
            store.manifest = manifest
        store._scan_parts()
        return store

    def close(self) -> None:
        """Release the folder's lock (idempotent)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _new_manifest(self) -> dict[str, Any]:
        s = self.scenario
        design = s.design.as_dict() | {"sampler_seed": design_seed(s.design, s.seed)} \
            if s.design else None
        return {
            "format_version": FORMAT_VERSION,
            "scenario_name": s.name, "scenario_hash": s.hash(), "scenario": s.canonical(),
            "tasks_digest": tasks_digest(self.tasks),
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
            "schemas": {},
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

    def part_kinds(self) -> list[str]:
        """The tables every finished chunk has (``runs`` last: it marks the chunk done)."""
        return ((["series"] if self.keep_series else []) + (["events"] if self.keep_events else [])
                + ["runs"])

    def _chunk_keys(self, chunk: int) -> dict[str, np.ndarray]:
        tasks = self.chunks[chunk]
        return {"point": np.array([t.point for t in tasks]),
                "arm": np.array([t.arm for t in tasks], dtype=object),
                "replication": np.array([t.replication for t in tasks])}

    def _chunk_whole(self, chunk: int, ids: range) -> bool:
        schemas = self.manifest.get("schemas") or {}
        keys = self._chunk_keys(chunk)
        return all(read_part(self._part(kind, chunk), ids, kind == "series", kind == "events",
                             schema=schemas.get(kind), keys=keys) is not None
                   for kind in self.part_kinds())

    def _scan_parts(self) -> None:
        """Mark chunks done whose parts all read back whole; move bad parts into
        ``corrupt/`` (they are redone) and delete stray temporary files (left by a crash
        between writing and renaming; no other writer can own them: we hold the lock)."""
        assert self.directory is not None
        for tmp in self.directory.glob("*/.part-*.tmp"):
            tmp.unlink(missing_ok=True)
        n_chunks = len(self.chunks)
        for i in stored_chunks(self.directory):
            if i >= n_chunks:
                self._quarantine(i)
                continue
            if self._chunk_whole(i, chunk_range(i, len(self.tasks), self.chunk_size)):
                self._done.add(i)
            else:
                warnings.warn(f"{self.directory}: chunk {i} is corrupt or incomplete; "
                              "redoing it", stacklevel=2)
                self._quarantine(i)

    def _quarantine(self, chunk: int) -> None:
        assert self.directory is not None
        corrupt = self.directory / "corrupt"
        for kind in self.part_kinds():
            part = self._part(kind, chunk)
            for path in (part, checksum_path(part)):
                if path.exists():
                    corrupt.mkdir(exist_ok=True)
                    path.replace(corrupt / f"{kind}-{path.name}")

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
        """Store one finished chunk (series and events first: the summary part marks
        completion)."""
        pairs = sorted(pairs, key=lambda p: p[0].task)
        index = pairs[0][0].task // self.chunk_size
        summary = summary_table(pairs, self.design_names)
        series = series_table(pairs)
        events = events_table(pairs)
        if self.directory is None:
            self._memory[index] = (summary, series, events)
        else:
            if series is not None:
                self.write_part("series", index, series)
            if events is not None:
                self.write_part("events", index, events)
            self.write_part("runs", index, summary)
        self._done.add(index)

    def write_part(self, kind: str, chunk: int, table: pa.Table) -> None:
        """Write one part of ``kind``; the first part of a kind records its schema in the
        manifest (before the part exists), and every later part must share it."""
        schemas = self.manifest.setdefault("schemas", {})
        if kind not in schemas:
            schemas[kind] = schema_signature(table)
            self._write_manifest()
        atomic_write_table(self._part(kind, chunk), table)

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


def _check_resumable(directory: Path, manifest: dict[str, Any], scenario: Scenario,
                     tasks: list[Task]) -> None:
    """Refuse (one line, nothing touched) a folder whose manifest is not for these tasks."""
    path = directory / MANIFEST
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ResultsError(f"{directory}: written by another impl-sim store format "
                           f"({excerpt(manifest.get('format_version'))}, this is "
                           f"{FORMAT_VERSION}); rerun with --force-new to move it aside, or use "
                           "another --out")
    check_manifest(path, manifest)
    problem = None
    if manifest.get("scenario_hash") != scenario.hash():
        problem = (f"its scenario_hash {excerpt(manifest.get('scenario_hash'))} is not this "
                   f"scenario's ({scenario.hash()})")
    elif manifest.get("tasks_digest") != tasks_digest(tasks):
        problem = ("its task list (design points, arms, replications, seeds) differs from "
                   "this scenario's — another impl-sim or sampler version?")
    elif int(manifest["runs_expected"]) != len(tasks):
        problem = f"it expects {manifest['runs_expected']} runs, this scenario has {len(tasks)}"
    if problem:
        raise ResultsError(f"{path}: {problem}; nothing was touched — rerun with --force-new "
                           "to move the old results aside and start afresh, or use another "
                           "--out")


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
        manifest = check_results_folder(directory)
        n_tasks, size = int(manifest["runs_expected"]), int(manifest["chunk_size"])
        keep_series = bool(manifest["series"])
        keep_events = bool(manifest.get("events", False))
        schemas = manifest.get("schemas") or {}
        runs, series, events, problems = [], [], [], []
        for i in stored_chunks(directory):
            ids = chunk_range(i, n_tasks, size)
            if not len(ids):
                problems.append(f"chunk {i} is beyond the {n_tasks} expected runs")
                continue
            table = read_part(part_path(directory, "runs", i), ids, schema=schemas.get("runs"))
            series_part = (read_part(part_path(directory, "series", i), ids, True,
                                     schema=schemas.get("series")) if keep_series else None)
            events_part = (read_part(part_path(directory, "events", i), ids, events=True,
                                     schema=schemas.get("events")) if keep_events else None)
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

    def tidy_series(self) -> pd.DataFrame:
        """Long form of the monthly series: one row per run, month and series."""
        if self.series is None:
            raise ResultsError("this sweep kept no monthly series (set outputs.series: true)")
        id_vars = [*KEY_COLUMNS, "month"]
        return self.series.melt(id_vars=id_vars, var_name="series", value_name="value")

