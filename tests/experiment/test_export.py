"""Exports: CSV, Excel and netCDF read back equal to the stored Parquet tables."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from impl_sim.experiment.export import ExportError, export
from impl_sim.experiment.store import Results


@pytest.fixture(scope="module")
def stored(serial_results) -> Results:
    return Results.load(serial_results.directory)


def test_csv_round_trips_the_summaries_and_series(stored, tmp_path):
    files = export(stored, "csv", tmp_path)
    expected = {"summaries.csv", "series.csv"} | (
        {"events.csv"} if getattr(stored, "events", None) is not None else set())
    assert {p.name for p in files} == expected
    summaries = pd.read_csv(tmp_path / "summaries.csv")
    pd.testing.assert_frame_equal(summaries, stored.summary, check_dtype=False)
    series = pd.read_csv(tmp_path / "series.csv")
    pd.testing.assert_frame_equal(series, stored.series, check_dtype=False)


def test_netcdf_round_trips_as_a_run_by_month_cube(stored, tmp_path):
    xr = pytest.importorskip("xarray")
    (path,) = export(stored, "netcdf", tmp_path)
    ds = xr.open_dataset(path)
    summary = stored.summary
    assert ds.sizes["run"] == len(summary)
    assert ds.sizes["month"] == stored.series["month"].nunique()
    assert list(ds["arm"].values) == list(summary["arm"])
    np.testing.assert_array_equal(ds["replication"].values, summary["replication"])
    for outcome in stored.outcomes:
        np.testing.assert_array_equal(ds[outcome].values, summary[outcome].to_numpy(float))
    name = next(c for c in stored.series.columns if c not in ("task", "point", "arm",
                                                          "replication", "month"))
    for task in summary["task"].head(3):
        run = int(np.flatnonzero(ds["task"].values == task)[0])
        expected = stored.series.loc[stored.series["task"] == task, name].to_numpy(float)
        key = f"{name}_monthly" if name in stored.outcomes else name
        np.testing.assert_array_equal(ds[key].values[run], expected)
    assert ds.attrs["scenario_hash"] == stored.manifest["scenario_hash"]
    ds.close()
    # the same Dataset in memory
    assert stored.to_xarray()[key].dims == ("run", "month")


def test_excel_has_a_sheet_per_table_and_the_manifest(stored, tmp_path):
    pytest.importorskip("openpyxl")
    (path,) = export(stored, "xlsx", tmp_path)
    sheets = pd.read_excel(path, sheet_name=None)
    expected = {"summaries", "series", "manifest"} | (
        {"events"} if getattr(stored, "events", None) is not None else set())
    assert set(sheets) == expected
    pd.testing.assert_frame_equal(sheets["summaries"], stored.summary, check_dtype=False)
    assert stored.manifest["scenario_hash"] in set(sheets["manifest"]["value"])


def test_a_bad_format_is_refused(stored, tmp_path):
    with pytest.raises(ExportError, match="expected one of csv, xlsx, netcdf"):
        export(stored, "sav", tmp_path)


def test_cli_export_writes_files_and_a_bad_format_exits_2(stored, tmp_path):
    command = [sys.executable, "-m", "impl_sim", "export", str(stored.directory), "--out",
               str(tmp_path)]
    done = subprocess.run([*command, "--format", "csv"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "summaries.csv").exists()
    bad = subprocess.run([*command, "--format", "sav"], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "--format" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
