"""The command line as users meet it: real subprocesses, exit codes, messages (DESIGN §7)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SUBPROCESS_TIMEOUT = 600  # as tests/conftest.py: a busy machine is slow, not wrong

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

GOOD = """\
name: tiny
horizon_months: 30
replications: 2
seed: 5
base: {services.count: 2, services.therapists_per_service: 4}
arms:
  passive: {leaders.style: passive_support}
  leading: {leaders.style: implementation_leadership}
"""

# kind of mistake → (file content, text the message must contain: the offending key or value)
BAD_FILES: dict[str, tuple[str | None, list[str]]] = {
    "unknown top-level key": ("name: x\nreplicatons: 3\n", ["replicatons", "replications"]),
    "misspelt parameter": ("name: x\nbase: {therapists.motivaton_mean: 0.5}\n",
                           ["therapists.motivaton_mean", "therapists.motivation_mean"]),
    "out-of-range value": ("name: x\nbase: {therapists.annual_turnover: 1.5}\n",
                           ["therapists.annual_turnover", "1.5", "0.9"]),
    "wrong type": ("name: x\nbase: {services.count: many}\n", ["services.count", "many"]),
    "bad enum": ("name: x\narms: {a: {leaders.style: bossy}}\n",
                 ["leaders.style", "bossy", "implementation_leadership"]),
    "unknown strategy": ("name: x\nstrategies: {protected_tme: {}}\n",
                         ["protected_tme", "protected_time"]),
    "unknown strategy setting": ("name: x\nstrategies: {protected_time: {hours: 2}}\n",
                                 ["strategies.protected_time.hours", "hours_per_week"]),
    "arms not a mapping": ("name: x\narms: [a, b]\n", ["arms"]),
    "empty file": ("", ["empty"]),
    "not a mapping": ("- name: x\n", ["mapping", "list"]),
    "duplicate key": ("name: x\nseed: 1\nseed: 2\n", ["duplicate", "seed"]),
    "invalid YAML": ("name: x\nbase: {services.count: 2\n", ["invalid YAML", "line"]),
    "python tag": ("name: !!python/object/apply:os.system ['echo hi']\n", ["!!python"]),
    "missing name": ("replications: 3\n", ["name", "missing"]),
    "bad replications": ("name: x\nreplications: 0\n", ["replications", "0"]),
    "replications not a number": ("name: x\nreplications: many\n", ["replications", "many"]),
    "bad design method": (
        "name: x\ndesign: {method: random, parameters: {therapists.motivation_mean: [0.2, 0.8]}}\n",
        ["design.method", "random", "lhs"]),
    "reversed design range": (
        "name: x\ndesign: {method: lhs, parameters: {therapists.motivation_mean: [0.8, 0.2]}}\n",
        ["design.parameters.therapists.motivation_mean", "0.8"]),
    "design range outside limits": (
        "name: x\ndesign: {method: lhs, parameters: {therapists.motivation_mean: [0.2, 3]}}\n",
        ["therapists.motivation_mean", "allowed range"]),
    "unknown outcome": ("name: x\noutputs: {outcomes: [sustainment_42m]}\n",
                        ["outputs.outcomes", "sustainment_42m"]),
    "bad scenario name": ("name: 'two words'\n", ["name", "two words"]),
    "missing file": (None, ["file not found"]),
}


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "impl_sim", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    return process.returncode, out, err


def test_every_shipped_scenario_passes_check(cli):
    results = cli.run_many([["check", str(p)] for p in SCENARIOS])
    outputs = {}
    for path, result in zip(SCENARIOS, results, strict=True):
        assert result.code == 0, f"{path.name}: {result.err}"
        assert "ok" in result.out
        outputs[path.name] = result.out
    # a grid has points (levels), not samples: 6 turnover levels × 2 arms × 10 replications
    grid = outputs["sweep_leadership_turnover_grid.yaml"]
    assert "design: grid, 6 points over" in grid and "samples" not in grid
    assert "120 runs" in grid


def test_bad_scenario_files_exit_2_with_a_message_naming_the_key(tmp_path, cli):
    assert len(BAD_FILES) >= 15
    paths = {}
    for kind, (content, _) in BAD_FILES.items():
        path = tmp_path / (kind.replace(" ", "_") + ".yaml")
        if content is not None:
            path.write_text(content, encoding="utf-8")
        paths[kind] = path
    results = cli.run_many([["check", str(p)] for p in paths.values()])
    for (kind, path), result in zip(paths.items(), results, strict=True):
        code, out, err = result.code, result.out, result.err
        assert code == 2, f"{kind}: exit {code}; {err}"
        assert "Traceback" not in err + out, kind
        assert path.name in err, f"{kind}: file not named in {err!r}"
        for needed in BAD_FILES[kind][1]:
            assert needed in err, f"{kind}: {needed!r} missing from {err!r}"


def test_run_json_is_identical_for_the_same_seed(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(GOOD, encoding="utf-8")
    runs = [_cli("run", str(scenario), "--json", "--seed", "9", "--out", str(tmp_path / d))
            for d in ("a", "b")]
    documents = []
    for process in runs:
        code, out, err = _finish(process)
        assert code == 0, err
        doc = json.loads(out)
        assert doc.pop("results_dir").startswith(str(tmp_path))
        documents.append(doc)
    assert documents[0] == documents[1]
    arms = documents[0]["arms"]
    assert set(arms) == {"passive", "leading"}
    assert set(arms["passive"]["adoption"]) == {"mean", "lo", "hi"}
    assert documents[0]["seed"] == 9


def test_params_json_lists_every_parameter_with_its_fields():
    code, out, err = _finish(_cli("params", "--json"))
    assert code == 0, err
    records = json.loads(out)
    names = [r["name"] for r in records]
    assert len(names) == len(set(names)) > 80
    for record in records:
        assert {"name", "type", "default", "min", "max", "unit", "description",
                "source"} <= set(record)
        assert record["description"] and record["source"], record["name"]
    by_name = {r["name"]: r for r in records}
    assert by_name["therapists.annual_turnover"]["source"].startswith("F12")


@pytest.mark.parametrize("args", [["params", "--json", "--markdown"], ["run", "--replications",
                                                                        "0", "x.yaml"]])
def test_bad_options_exit_2(args):
    code, _, err = _finish(_cli(*args))
    assert code == 2
    assert "Traceback" not in err


def test_a_folder_that_is_not_results_exits_2_for_every_command_reading_results(tmp_path):
    processes = [_cli("discover", str(tmp_path), "--outcome", "adoption", "--below", "0.3"),
                 _cli("report", str(tmp_path))]
    for process in processes:
        code, out, err = _finish(process)
        assert code == 2, err
        assert "Traceback" not in out + err
        assert str(tmp_path) in err and "not a results directory" in err
        assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_stopping_the_dashboard_command_stops_its_server(tmp_path):
    pytest.importorskip("solara")
    import contextlib
    import os
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SOLARA_HOME": str(tmp_path / "solara"), "MPLBACKEND": "Agg"}
    command = subprocess.Popen([sys.executable, "-m", "impl_sim", "dashboard", "--port",
                                str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        deadline = time.monotonic() + 90
        while not answers() and time.monotonic() < deadline and command.poll() is None:
            time.sleep(0.5)
        assert answers(), "the dashboard did not start"
        command.send_signal(signal.SIGTERM)  # only the impl-sim process, as `kill PID` does
        command.wait(timeout=30)
        deadline = time.monotonic() + 20
        while answers() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not answers(), "the solara server outlived `impl-sim dashboard`"
    finally:
        with contextlib.suppress(ProcessLookupError):  # the test's own process group
            os.killpg(command.pid, signal.SIGKILL)


def test_an_output_folder_that_cannot_be_made_exits_2_with_one_line(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(GOOD, encoding="utf-8")
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder", encoding="utf-8")
    code, out, err = _finish(_cli("run", str(scenario), "--out", str(a_file), "--quiet"))
    assert code == 2, err
    assert "Traceback" not in out + err
    assert str(a_file) in err and len(err.strip().splitlines()) == 1


def test_values_in_messages_are_printed_as_given(tmp_path):
    # rich would turn ":b:" into an emoji; a message must show the user's text
    code, _, err = _finish(_cli("calibrate", "scenarios/baseline.yaml", "--targets",
                                "scenarios/targets/evidence.yaml", "--free",
                                "therapists.annual_turnover=a:b:"))
    assert code == 2 and "therapists.annual_turnover=a:b:" in err
