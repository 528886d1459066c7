"""Results for other tools: CSV, Excel and netCDF files, and an xarray Dataset.

``impl-sim export RESULTS_DIR --format csv|xlsx|netcdf`` writes the tables of a results folder
(``summaries``: one row per run; ``series``: one row per run and month; ``events``: one row per
event, when the results have them) for colleagues who use R, Stata or a spreadsheet:

* ``csv`` — ``summaries.csv``, ``series.csv``, ``events.csv`` (UTF-8, comma, header row, no
  index; read back with ``pandas.read_csv`` or R's ``read.csv``);
* ``xlsx`` — one workbook ``results.xlsx`` with a sheet per table and a ``manifest`` sheet
  (scenario, hash, seeds, provenance); a table longer than Excel's 1,048,575 data rows is
  refused with the advice to use csv;
* ``netcdf`` — ``results.nc`` (netCDF 3, written by scipy: no HDF5 library needed), the
  Dataset of :func:`to_xarray`.

:func:`to_xarray` is the run × month cube Mesa users ask for: dimension ``run`` (one per run,
coordinates ``task``, ``arm``, ``point``, ``replication``, ``seed`` and the design parameters)
and ``month``; every monthly series is a variable over ``(run, month)`` (``NAME_monthly`` when
an outcome has the same name), every outcome a variable over ``run``; events stay in the
tables (csv, xlsx). ``ds[series].sel(run=ds.arm == "baseline").mean("run")`` is a mean
trajectory; ``ds[list_of_series].to_array("series")`` the run × month × series cube.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

FORMATS = ("csv", "xlsx", "netcdf")
EXCEL_MAX_ROWS = 1_048_575  # data rows below the header


class ExportError(ValueError):
    """An export that cannot be written (missing optional package, too many rows for Excel)."""


def _require(module: str, fmt: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExportError(f"--format {fmt} needs the {module} package: pip install "
                          "'impl-sim[export]'") from None


def tables(results: Any) -> dict[str, pd.DataFrame]:
    """The tables of ``results`` that exist: summaries, series, events."""
    found = {"summaries": results.summary}
    if results.series is not None:
        found["series"] = results.series
    events = getattr(results, "events", None)
    if events is not None:
        found["events"] = events
    return found


def run_coordinates(results: Any) -> list[str]:
    """Columns of ``summary`` that describe a run rather than measure it."""
    from impl_sim.model.outcomes import OUTCOMES

    return [c for c in results.summary.columns if c not in OUTCOMES]


def to_xarray(results: Any) -> Any:
    """The results as an ``xarray.Dataset`` over ``run`` (and ``month`` for the series)."""
    xr = _require("xarray", "netcdf")
    summary = results.summary.reset_index(drop=True)
    coords = {name: ("run", summary[name].to_numpy()) for name in run_coordinates(results)}
    data_vars: dict[str, Any] = {
        name: ("run", summary[name].to_numpy(dtype=float)) for name in results.outcomes}
    months: dict[str, Any] = {}
    if results.series is not None:
        series = results.series
        names = [c for c in series.columns if c not in ("task", "point", "arm", "replication",
                                                        "month")]
        wide = series.set_index(["task", "month"])[names].unstack("month")
        wide = wide.reindex(summary["task"])
        months = {"month": wide.columns.get_level_values("month").unique().to_numpy()}
        for name in names:  # a series named like an outcome gets a suffix
            key = f"{name}_monthly" if name in data_vars else name
            data_vars[key] = (("run", "month"), wide[name].to_numpy(dtype=float))
    dataset = xr.Dataset(data_vars, coords={**coords, **months})
    manifest = results.manifest
    dataset.attrs.update({
        "title": f"impl-sim results: {manifest.get('scenario_name', '')}",
        "scenario_name": str(manifest.get("scenario_name", "")),
        "scenario_hash": str(manifest.get("scenario_hash", "")),
        "package_version": str((manifest.get("provenance") or {}).get("package_version", "")),
        "manifest": json.dumps(manifest, default=str),
    })
    return dataset


def export(results: Any, fmt: str, out: str | Path) -> list[Path]:
    """Write ``results`` in ``fmt`` into folder ``out``; returns the files written."""
    from impl_sim.experiment.store import atomic_write_bytes

    if fmt not in FORMATS:
        raise ExportError(f"--format: {fmt!r} is not allowed; expected one of "
                          + ", ".join(FORMATS))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    found = tables(results)
    if fmt == "csv":
        files = []
        for name, frame in found.items():
            path = out / f"{name}.csv"
            atomic_write_bytes(path, frame.to_csv(index=False).encode("utf-8"))
            files.append(path)
        return files
    if fmt == "xlsx":
        _require("openpyxl", "xlsx")
        too_long = [f"{n} ({len(f):,} rows)" for n, f in found.items() if len(f) > EXCEL_MAX_ROWS]
        if too_long:
            raise ExportError(f"{', '.join(too_long)}: more rows than an Excel sheet holds "
                              f"({EXCEL_MAX_ROWS:,}); use --format csv or netcdf")
        path = out / "results.xlsx"
        manifest = pd.DataFrame(
            [(k, json.dumps(v, default=str) if isinstance(v, dict | list) else str(v))
             for k, v in results.manifest.items()], columns=["key", "value"])
        atomic_write_bytes(path, _excel_bytes({**found, "manifest": manifest}))
        return [path]
    path = out / "results.nc"
    dataset = to_xarray(results)
    _require("scipy", "netcdf")
    atomic_write_bytes(path, bytes(dataset.to_netcdf(engine="scipy")))
    return [path]


def _excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    import io

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()
