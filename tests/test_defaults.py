"""Run defaults are stated once: the seed's number appears in ``impl_sim.defaults`` only."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from impl_sim import defaults
from impl_sim.scenario.loader import Scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("src", "tests", "benchmarks", "experiments")


def number_literals(path: Path) -> set[int]:
    """Every integer literal in a Python file's code (not in strings or comments)."""
    found = set()
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for token in tokens:
        if token.type == tokenize.NUMBER:
            try:
                found.add(int(token.string.replace("_", ""), 0))
            except ValueError:
                continue  # a float or complex literal
    return found


def test_default_seed_literal_is_in_the_defaults_module_only():
    files = [p for folder in CODE_FOLDERS for p in (ROOT / folder).rglob("*.py")
             if ".venv" not in p.parts]
    holding = sorted(str(p.relative_to(ROOT)) for p in files
                     if defaults.DEFAULT_SEED in number_literals(p))
    assert holding == ["src/impl_sim/defaults.py"]


def test_default_seed_is_not_restated_in_package_text_either():
    """Docstrings, YAML examples and dashboard files of the package do not spell the seed out
    (they name ``impl_sim.defaults.DEFAULT_SEED``); shipped scenario files may set it."""
    package = ROOT / "src" / "impl_sim"
    holding = sorted(str(p.relative_to(ROOT)) for p in package.rglob("*")
                     if p.is_file() and p.suffix in (".py", ".vue", ".yaml", ".md")
                     and "scenarios" not in p.relative_to(package).parts
                     and str(defaults.DEFAULT_SEED) in p.read_text(encoding="utf-8"))
    assert holding == ["src/impl_sim/defaults.py"]


def test_the_scanner_sees_a_seed_written_as_a_number(tmp_path):
    code = tmp_path / "x.py"
    code.write_text(f"SEED = {defaults.DEFAULT_SEED:_}\ntext = '{defaults.DEFAULT_SEED}'\n")
    assert defaults.DEFAULT_SEED in number_literals(code)
    code.write_text(f"text = '{defaults.DEFAULT_SEED}'  # {defaults.DEFAULT_SEED}\n")
    assert defaults.DEFAULT_SEED not in number_literals(code)


def test_a_scenario_without_settings_takes_the_defaults():
    scenario = parse_scenario({"name": "bare"}, "bare.yaml")
    assert (scenario.seed, scenario.replications, scenario.horizon_months) == (
        defaults.DEFAULT_SEED, defaults.DEFAULT_REPLICATIONS, defaults.DEFAULT_HORIZON_MONTHS)
    assert Scenario("x").seed == defaults.DEFAULT_SEED


def test_key_outcomes_are_outcomes():
    from impl_sim.model.outcomes import OUTCOMES

    assert set(defaults.KEY_OUTCOMES) <= set(OUTCOMES)
    assert len(set(defaults.KEY_OUTCOMES)) == len(defaults.KEY_OUTCOMES)
