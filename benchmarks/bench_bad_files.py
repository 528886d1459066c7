"""Time and memory to refuse each bad file of the test corpus (tests/cli/bad_file_corpus.py),
as a user meets it: one ``impl-sim`` process per file, one after another. Prints the slowest
cases and the largest peak RSS; the target is every file within 2 s and 200 MiB.

    .venv/bin/python benchmarks/bench_bad_files.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cli"))

from bad_file_corpus import CORPUS, GOOD, REFERENCE  # noqa: E402


def refuse(args: list[str]) -> tuple[int, float, float, float]:
    """Exit code, wall seconds, CPU seconds and peak RSS (MiB) of one ``impl-sim`` process
    (CPU time is what a loaded machine does not inflate)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "impl_sim", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


REFERENCE_RUN = """
import sys, yaml
from impl_sim.experiment.runner import run_scenario
from impl_sim.scenario.loader import parse_scenario
scenario = parse_scenario(yaml.safe_load(sys.argv[1]), "good.yaml")
print(run_scenario(scenario, out=sys.argv[2]).directory)
"""


def main() -> None:
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        # the reference folder is made in another process: this one stays small, so the peak
        # RSS of each child (which counts the parent's pages until exec) is its own
        made = subprocess.run([sys.executable, "-c", REFERENCE_RUN, GOOD, str(Path(tmp) / "ref")],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        REFERENCE["dir"] = Path(made.stdout.strip().splitlines()[-1])
        rows = []
        for i, case in enumerate(CORPUS):
            folder = Path(tmp) / f"case{i}"
            folder.mkdir()
            code, wall, cpu, rss = refuse(case.make(folder))
            rows.append((wall, cpu, rss, code, case.kind))
    rows.sort(reverse=True)
    print(f"{len(rows)} bad files; exit codes: {sorted({r[3] for r in rows})}")
    print("slowest (wall):")
    for wall, cpu, rss, code, kind in rows[:8]:
        print(f"  {wall:5.2f} s wall  {cpu:5.2f} s CPU  {rss:4.0f} MiB  exit {code}  {kind}")
    median = sorted(r[0] for r in rows)[len(rows) // 2]
    print(f"most CPU: {max(r[1] for r in rows):.2f} s; largest peak RSS: "
          f"{max(r[2] for r in rows):.0f} MiB; median wall {median:.2f} s; "
          f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
