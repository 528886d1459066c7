"""Packaging: every package-data pattern ships files, and the dashboard's lessons are among them."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_data() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]


def test_every_package_data_pattern_matches_files_inside_the_package():
    for package, patterns in _package_data().items():
        folder = ROOT / "src" / package.replace(".", "/")
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: {pattern} matches nothing in {folder}"


def test_the_lessons_and_type_marker_are_packaged():
    patterns = _package_data()["impl_sim"]
    shipped = {p.relative_to(ROOT / "src" / "impl_sim").as_posix()
               for pattern in patterns for p in (ROOT / "src" / "impl_sim").glob(pattern)}
    lessons = {p.relative_to(ROOT / "src" / "impl_sim").as_posix()
               for p in (ROOT / "src" / "impl_sim" / "dashboard" / "lessons").glob("*.yaml")}
    assert lessons and lessons <= shipped
    assert "py.typed" in shipped


def test_citation_names_the_package_version_and_licence():
    import yaml

    import impl_sim

    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == impl_sim.__version__
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert citation["license"] == config["project"]["license"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {impl_sim.__version__} — " in changelog  # every version has its section
