"""Shared fixtures. Tests never read ../shared and never touch the network.

Subprocesses of the command line go through the ``cli`` fixture: one generous timeout
(``IMPL_SIM_TEST_TIMEOUT``, default 600 s — CI machines are busy, a slow answer is not a
failure) and at most :data:`SUBPROCESS_SLOTS` at once however many a test starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SUBPROCESS_TIMEOUT = float(os.environ.get("IMPL_SIM_TEST_TIMEOUT") or 600)
SUBPROCESS_SLOTS = max(2, min(4, os.cpu_count() or 2))
_slots = threading.BoundedSemaphore(SUBPROCESS_SLOTS)


@dataclass
class CliResult:
    """What an ``impl-sim`` subprocess did."""

    code: int
    out: str
    err: str


class Cli:
    """``impl-sim`` as a user meets it: real subprocesses, bounded in number and time."""

    timeout = SUBPROCESS_TIMEOUT

    def run(self, *args: str, cwd: Path = ROOT, env: dict | None = None) -> CliResult:
        """Run ``impl-sim ARGS`` to the end (waiting for a free slot first)."""
        with _slots:
            done = subprocess.run([sys.executable, "-m", "impl_sim", *args], cwd=cwd,
                                  env=env, text=True, capture_output=True,
                                  timeout=self.timeout)
        return CliResult(done.returncode, done.stdout, done.stderr)

    def run_many(self, commands: list[list[str]], **options) -> list[CliResult]:
        """Run several commands, at most SUBPROCESS_SLOTS at a time; results in order."""
        with ThreadPoolExecutor(SUBPROCESS_SLOTS) as pool:
            return list(pool.map(lambda args: self.run(*args, **options), commands))


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep matplotlib and solara caches out of the user's home."""
    home = tmp_path_factory.getbasetemp() / "cache"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("MPLCONFIGDIR", str(home / "mpl"))
    monkeypatch.setenv("SOLARA_HOME", str(home / "solara"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    os.environ.setdefault("PYTHONHASHSEED", "0")


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS
