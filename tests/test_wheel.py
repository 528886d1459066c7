"""The package as users get it: sdist and wheel build, the wheel installs in a fresh virtual
environment and runs the shipped baseline from outside the source tree (issue 14)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_scenarios_are_found_through_the_package(tmp_path):
    from impl_sim import scenario_path
    from impl_sim.shipped import copy_scenarios, shipped_scenarios

    names = shipped_scenarios()
    on_disk = {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    assert set(names) == on_disk
    assert scenario_path("baseline") == scenario_path("scenarios/baseline.yaml")
    assert scenario_path("targets/evidence").read_bytes() == (
        ROOT / "scenarios" / "targets" / "evidence.yaml").read_bytes()
    with pytest.raises(FileNotFoundError, match="shipped: baseline"):
        scenario_path("no_such_scenario")
    written = copy_scenarios(tmp_path)
    targets = list((ROOT / "scenarios" / "targets").glob("*.yaml"))  # evidence, community
    assert len(targets) >= 2
    assert len(written) == len(on_disk) + len(targets)
    (tmp_path / "baseline.yaml").write_text("edited", encoding="utf-8")
    assert tmp_path / "baseline.yaml" not in copy_scenarios(tmp_path)  # kept
    assert (tmp_path / "baseline.yaml").read_text(encoding="utf-8") == "edited"


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / "python"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_wheel_installs_and_runs_the_baseline_outside_the_tree(tmp_path):
    pytest.importorskip("build")
    dist = tmp_path / "dist"
    # build from a copy without the developer's .venv and results
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", "results", ".git", "__pycache__", ".pytest_cache", "*.egg-info", "build",
        "site", "experiments/output"))
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob("impl_sim-*.whl"))
    assert next(dist.glob("impl_sim-*.tar.gz"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "impl_sim/scenarios/baseline.yaml" in names
    assert "impl_sim/scenarios/targets/evidence.yaml" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = _venv_python(venv)
    # the dependencies come from this environment (offline: the test checks our wheel, not
    # PyPI); its own impl-sim is an editable install, which a plain path entry does not load
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path("
                              "'purelib'))"], capture_output=True, text=True, check=True,
                             timeout=300).stdout.strip()
    import site

    Path(purelib, "impl_sim_test_deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index",
                              "--force-reinstall", str(wheel)], capture_output=True, text=True,
                             timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    outside = Path(tempfile.mkdtemp(dir=tmp_path))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run([str(python), "-c", "import impl_sim; print(impl_sim.__file__)"],
                           cwd=outside, capture_output=True, text=True, timeout=300, env=env)
    assert str(venv) in where.stdout, where.stdout + where.stderr  # not the source tree
    done = subprocess.run([str(python), "-m", "impl_sim", "run", "scenarios/baseline.yaml",
                           "--replications", "2", "--json", "--out", str(outside / "r")],
                          cwd=outside, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["scenario"] == "baseline" and doc["replications"] == 2
    assert Path(doc["results_dir"]).is_relative_to(outside)
