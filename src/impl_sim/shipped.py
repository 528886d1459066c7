"""The scenarios and evidence targets that ship with impl-sim, found from any directory.

In the source repository they live in ``scenarios/``; the package reaches them as
``impl_sim/scenarios`` (a link in the source tree, package data in the wheel), so
``scenario_path("leadership_vs_support")`` works in a checkout, an editable install and a
wheel alike::

    from impl_sim import load_scenario, scenario_path
    scenario = load_scenario(scenario_path("leadership_vs_support"))

``impl-sim scenarios`` lists them; ``impl-sim scenarios --copy DIR`` copies them into a folder
of one's own to edit.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def scenarios_folder() -> Path:
    """The folder of the shipped scenarios (``targets/`` holds the evidence targets)."""
    return Path(__file__).resolve().parent / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """``{name without .yaml: path}`` of every shipped scenario, sorted by name."""
    return {p.stem: p for p in sorted(scenarios_folder().glob("*.yaml"))}


def scenario_path(name: str) -> Path:
    """The path of a shipped scenario by name (``baseline``, ``baseline.yaml`` or
    ``scenarios/baseline.yaml``); ``targets/evidence.yaml`` names the evidence targets.
    Raises ``FileNotFoundError`` naming the shipped ones when there is no such file."""
    relative = Path(name)
    if relative.parts and relative.parts[0] == "scenarios":
        relative = Path(*relative.parts[1:])
    if relative.suffix != ".yaml":
        relative = relative.with_name(relative.name + ".yaml")
    path = scenarios_folder() / relative
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no shipped scenario of that name; shipped: "
                                + ", ".join(shipped_scenarios()))
    return path


def copy_scenarios(destination: str | Path, overwrite: bool = False) -> list[Path]:
    """Copy every shipped scenario (and ``targets/``) into ``destination``; an existing file
    is kept unless ``overwrite``. Returns the files written."""
    destination = Path(destination)
    written = []
    for source in sorted(scenarios_folder().rglob("*.yaml")):
        target = destination / source.relative_to(scenarios_folder())
        if target.exists() and not overwrite:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written
