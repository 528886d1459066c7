"""Provenance: what produced a result (package, commit, dependencies, machine, time)."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

DEPENDENCIES = ("mesa", "numpy", "networkx", "pandas", "pyarrow", "pydantic", "scipy", "SALib",
                "matplotlib", "dask", "distributed")


def package_version() -> str:
    try:
        return metadata.version("impl-sim")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str:
    """The commit of the source tree impl_sim runs from ('unknown' outside a checkout);
    '+dirty' when it has uncommitted changes."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def dependency_versions() -> dict[str, str]:
    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def provenance() -> dict[str, Any]:
    """Everything but the scenario: goes into every manifest and report."""
    return {
        "package": "impl-sim", "package_version": package_version(), "git_commit": git_commit(),
        "python": sys.version.split()[0], "platform": platform.platform(),
        "dependencies": dependency_versions(),
    }
