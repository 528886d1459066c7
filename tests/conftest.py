"""Shared fixtures. Tests never read ../shared and never touch the network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


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
