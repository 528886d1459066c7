"""Every bad file — scenario, targets, results folder — ends in one line and exit 2: no
traceback, the file named, the offending key or value shown as a short escaped excerpt, memory
bounded. The command line runs in-process (cheap on CI); one subprocess checks that the error
path imports nothing heavy. A hypothesis fuzz mutates the shipped scenarios."""

from __future__ import annotations

import copy
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml
from bad_file_corpus import CORPUS, GOOD, REFERENCE, RESULTS, SCENARIOS, TARGETS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from impl_sim.cli import app

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def reference_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished results folder whose manifest the results cases tamper with (copies)."""
    from impl_sim.experiment.runner import run_scenario
    from impl_sim.scenario.loader import parse_scenario

    scenario = parse_scenario(yaml.safe_load(GOOD), "good.yaml")
    folder = run_scenario(scenario, out=tmp_path_factory.mktemp("reference")).directory
    REFERENCE["dir"] = folder
    return folder


def invoke(args: list[str]):
    return CliRunner().invoke(app, args, catch_exceptions=False)


def test_the_corpus_has_at_least_60_kinds_of_bad_file():
    kinds = [case.kind for case in CORPUS]
    assert len(kinds) == len(set(kinds)) >= 60
    assert SCENARIOS and TARGETS and RESULTS


@pytest.mark.timeout(120)  # a hang guard, not a timing assertion
@pytest.mark.parametrize("case", CORPUS, ids=[c.kind for c in CORPUS])
def test_a_bad_file_ends_in_one_line_and_exit_2(case, tmp_path, reference_results):
    args = case.make(tmp_path)
    tracemalloc.start()
    try:
        result = invoke(args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    err = result.stderr
    assert result.exit_code == 2, f"exit {result.exit_code}: {err}{result.stdout}"
    assert "Traceback" not in err + result.stdout
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert len(lines[0]) <= 2100, "the message must be a short excerpt"
    assert "\x1b" not in err and "\x00" not in err, "control characters must be escaped"
    named = args[-1] if args[0] != "report" else args[1]
    assert Path(named).name in err, f"the file is not named: {err}"
    for needle in case.needles:
        assert needle in err, f"{needle!r} missing from {err!r}"
    assert peak <= 200 * MIB, f"{peak / MIB:.0f} MiB to refuse one file"


def test_refusing_a_bad_file_imports_neither_pandas_scipy_nor_mesa(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nbase: {therapists.motivaton_mean: 0.5}\n", encoding="utf-8")
    probe = ("import sys\nfrom impl_sim.cli import main\nsys.argv = ['impl-sim', 'check', "
             f"{str(bad)!r}]\ntry:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
             "heavy = sorted(m for m in ('pandas', 'scipy', 'mesa', 'pyarrow', 'matplotlib') "
             "if m in sys.modules)\nprint(code, ','.join(heavy) or '-')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    code, heavy = done.stdout.split()[-2:]
    assert code == "2", done.stderr
    assert heavy == "-", f"the error path imported {heavy}"


def test_a_long_run_asks_for_yes_and_the_check_shows_the_estimate(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(GOOD.replace("replications: 2", "replications: 100000"), encoding="utf-8")
    check = invoke(["check", str(path)])
    assert check.exit_code == 0 and "estimated run time" in check.stdout
    assert "--yes" in check.stdout
    refused = invoke(["run", str(path), "--out", str(tmp_path / "out")])
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert "200,000 runs" in refused.stderr
    assert not (tmp_path / "out").exists(), "nothing may start before --yes"


# --- fuzz: mutations of the shipped scenarios ------------------------------------------------

SHIPPED = {p.name: yaml.safe_load(p.read_text()) for p in sorted((ROOT / "scenarios")
                                                                  .glob("*.yaml"))}
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.lists(st.integers(-5, 5), max_size=4),
    st.dictionaries(st.text(max_size=12), st.integers(-3, 3), max_size=3))


def _paths(doc, prefix=()):
    """Every key path of a nested document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))


@st.composite
def mutants(draw):
    name = draw(st.sampled_from(sorted(SHIPPED)))
    doc = copy.deepcopy(SHIPPED[name])
    paths = list(_paths(doc))
    path = draw(st.sampled_from(paths))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["replace", "delete", "rename", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(JUNK)
    elif action == "delete":
        del parent[path[-1]]
    elif action == "rename":
        parent[str(path[-1]) + draw(st.sampled_from(["x", "_", "s"]))] = parent.pop(path[-1])
    else:
        parent[draw(st.text(min_size=1, max_size=12))] = draw(JUNK)
    return doc


@pytest.mark.timeout(600)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(doc=mutants())
def test_a_mutated_shipped_scenario_is_accepted_or_refused_in_one_line(doc, tmp_path):
    path = tmp_path / "mutant.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = invoke(["check", str(path)])
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "mutant.yaml" in lines[0], result.stderr
