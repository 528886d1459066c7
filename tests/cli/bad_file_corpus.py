"""A corpus of bad files, one per kind of mistake (or attack): scenarios, targets and results
folders. Each case writes its file(s) under a folder and says which command reads them and what
the one-line message must contain. Used by test_bad_files.py and benchmarks/bench_bad_files.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GOOD = """\
name: tiny
horizon_months: 24
replications: 2
seed: 5
base: {services.count: 1, services.therapists_per_service: 4}
arms:
  passive: {leaders.style: passive_support}
  leading: {leaders.style: implementation_leadership}
"""


@dataclass(frozen=True)
class Case:
    """One bad file: ``make(folder)`` writes it and returns the command's arguments."""

    kind: str
    make: Callable[[Path], list[str]]
    needles: tuple[str, ...] = ()


def _scenario(content: str | bytes) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / "bad.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return ["check", str(path)]
    return make


def _laughs(levels: int, where: str) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    body = "\n".join("  " + line for line in lines)
    return f"name: x\n{where}:\n{body}\n"


def _nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "name: x\nbase: " + "[" * depth + "]" * depth + "\n"
    return "name: x\nbase: " + "{a: " * depth + "1" + "}" * depth + "\n"


SCENARIOS: list[Case] = [Case(kind, _scenario(text), tuple(needles)) for kind, text, needles in [
    # the classes of the original 22
    ("unknown top-level key", "name: x\nreplicatons: 3\n", ["replicatons", "replications"]),
    ("misspelt parameter", "name: x\nbase: {therapists.motivaton_mean: 0.5}\n",
     ["therapists.motivaton_mean", "therapists.motivation_mean"]),
    ("out-of-range value", "name: x\nbase: {therapists.annual_turnover: 1.5}\n",
     ["therapists.annual_turnover", "1.5"]),
    ("wrong type", "name: x\nbase: {services.count: many}\n", ["services.count", "many"]),
    ("bad enum", "name: x\narms: {a: {leaders.style: bossy}}\n", ["leaders.style", "bossy"]),
    ("unknown strategy", "name: x\nstrategies: {protected_tme: {}}\n", ["protected_time"]),
    ("unknown strategy setting", "name: x\nstrategies: {protected_time: {hours: 2}}\n",
     ["hours_per_week"]),
    ("arms not a mapping", "name: x\narms: [a, b]\n", ["arms"]),
    ("empty file", "", ["empty"]),
    ("not a mapping", "- name: x\n", ["mapping"]),
    ("duplicate key", "name: x\nseed: 1\nseed: 2\n", ["duplicate", "seed"]),
    ("invalid YAML", "name: x\nbase: {services.count: 2\n", ["invalid YAML", "line"]),
    ("python tag", "name: !!python/object/apply:os.system ['echo hi']\n", ["!!python"]),
    ("missing name", "replications: 3\n", ["name", "missing"]),
    ("zero replications", "name: x\nreplications: 0\n", ["replications"]),
    ("replications not a number", "name: x\nreplications: many\n", ["replications", "many"]),
    ("bad design method", "name: x\ndesign: {method: random, parameters: "
     "{therapists.motivation_mean: [0.2, 0.8]}}\n", ["design.method", "lhs"]),
    ("reversed design range", "name: x\ndesign: {method: lhs, parameters: "
     "{therapists.motivation_mean: [0.8, 0.2]}}\n", ["0.8"]),
    ("design range outside limits", "name: x\ndesign: {method: lhs, parameters: "
     "{therapists.motivation_mean: [0.2, 3]}}\n", ["allowed range"]),
    ("unknown outcome", "name: x\noutputs: {outcomes: [sustainment_42m]}\n",
     ["outputs.outcomes[0]", "sustainment_42m", "available"]),
    ("bad scenario name", "name: 'two words'\n", ["name", "two words"]),
    # size, depth, aliases, bytes
    ("alias bomb in description", _laughs(9, "description"), ["aliases"]),
    ("alias bomb in base", _laughs(9, "base"), ["aliases"]),
    ("small alias bomb", _laughs(5, "base"), ["values once aliases are expanded"]),
    ("recursive alias", "name: x\nbase: &b [*b]\n", ["aliases are expanded"]),
    ("deeply nested lists", _nested(5000, "list"), ["nested more than"]),
    ("deeply nested maps", _nested(2000, "map"), ["nested more than"]),
    ("nested just past the limit", _nested(25, "list"), ["nested more than 20"]),
    ("NUL in name", "name: \"a\\0b\"\n", ["name"]),
    ("raw NUL byte", b"name: a\x00b\n", ["NUL"]),
    ("control characters in name", "name: \"\\e[31mred\\e[0m\"\n", ["\\x1b"]),
    ("control characters in a key", "name: x\n\"\\e[2Jkey\": 1\n", ["\\x1b", "allowed"]),
    ("Latin-1 byte", b"name: caf\xe9\n", ["not UTF-8", "line 1"]),
    ("UTF-16 file", "name: x\n".encode("utf-16"), ["not UTF-8"]),
    ("file over 1 MiB", "name: x\ndescription: '" + "x" * (1024 * 1024) + "'\n",
     ["at most 1,048,576 bytes"]),
    ("huge value echoed", "name: x\nbase: {services.count: '" + "9" * 100_000 + "'}\n",
     ["services.count", "..."]),
    ("unhashable key", "name: x\n? [a, b]\n: 1\n", ["cannot be a key"]),
    ("tab indentation", "name: x\nbase:\n\tservices.count: 2\n", ["invalid YAML"]),
    ("binary tag", "name: !!binary aGVsbG8=\n", ["name"]),
    # values and structure
    ("outputs as a list", "name: x\noutputs: [adoption]\n", ["outputs", "mapping with keys"]),
    ("outputs.outcomes not a list", "name: x\noutputs: {outcomes: adoption}\n",
     ["outputs.outcomes", "adoption"]),
    ("outputs unknown key", "name: x\noutputs: {serie: true}\n", ["series"]),
    ("outputs.series not a bool", "name: x\noutputs: {series: 3}\n", ["outputs.series"]),
    ("grid of 8 parameters at 100 levels", "name: x\ndesign:\n  method: grid\n  levels: 100\n"
     "  parameters:\n" + "".join(f"    {p}: [0.2, 0.8]\n" for p in (
         "therapists.motivation_mean", "therapists.readiness_mean",
         "therapists.autonomy_preference_mean", "therapists.self_leadership_mean",
         "leaders.proactive", "leaders.knowledgeable", "leaders.supportive",
         "leaders.perseverant")), ["runs", "more than"]),
    ("replications past the cap", "name: x\nreplications: 100001\n", ["replications"]),
    ("negative seed", "name: x\nseed: -1\n", ["seed"]),
    ("bool seed", "name: x\nseed: true\n", ["seed"]),
    ("float replications", "name: x\nreplications: 2.5\n", ["replications", "2.5"]),
    ("horizon out of range", "name: x\nhorizon_months: 5000\n", ["horizon_months"]),
    ("description not text", "name: x\ndescription: [1, 2]\n", ["description"]),
    ("base a list", "name: x\nbase: [1, 2]\n", ["base", "mapping"]),
    ("base nested unknown", "name: x\nbase: {therapists: {motivaton_mean: 0.5}}\n",
     ["motivaton_mean"]),
    ("empty arms mapping", "name: x\narms: {}\n", ["arms"]),
    ("arm name with spaces", "name: x\narms: {'a b': {}}\n", ["arms.a b"]),
    ("arm overrides a list", "name: x\narms: {a: [1]}\n", ["arms.a"]),
    ("strategies a list", "name: x\nstrategies: [protected_time]\n", ["strategies"]),
    ("strategy settings a number", "name: x\nstrategies: {protected_time: 3}\n",
     ["strategies.protected_time"]),
    ("design not a mapping", "name: x\ndesign: lhs\n", ["design"]),
    ("design unknown key", "name: x\ndesign: {method: lhs, sample: 4, parameters: "
     "{therapists.motivation_mean: [0.2, 0.8]}}\n", ["samples"]),
    ("design without parameters", "name: x\ndesign: {method: lhs}\n", ["design.parameters"]),
    ("design bounds not a list", "name: x\ndesign: {method: lhs, parameters: "
     "{therapists.motivation_mean: 0.5}}\n", ["therapists.motivation_mean"]),
    ("design unknown parameter", "name: x\ndesign: {method: lhs, parameters: "
     "{therapists.motivaton_mean: [0.2, 0.8]}}\n", ["therapists.motivation_mean"]),
    ("sobol samples not a power of 2", "name: x\ndesign: {method: sobol, samples: 12, "
     "parameters: {therapists.motivation_mean: [0.2, 0.8], leaders.proactive: [0.2, 0.8]}}\n",
     ["power of 2"]),
    ("morris odd levels", "name: x\ndesign: {method: morris, levels: 5, parameters: "
     "{therapists.motivation_mean: [0.2, 0.8], leaders.proactive: [0.2, 0.8]}}\n", ["even"]),
    ("design kind unknown", "name: x\ndesign: {method: lhs, parameters: "
     "{therapists.motivation_mean: [0.2, 0.8]}, kinds: {therapists.motivation_mean: knob}}\n",
     ["knob", "lever"]),
    ("design parameter also set by an arm", "name: x\narms: {a: {therapists.motivation_mean: "
     "0.5}}\ndesign: {method: lhs, parameters: {therapists.motivation_mean: [0.2, 0.8]}}\n",
     ["also set by arm"]),
]]


def _directory_case(folder: Path) -> list[str]:
    (folder / "dir.yaml").mkdir()
    return ["check", str(folder / "dir.yaml")]


SCENARIOS.append(Case("a directory, not a file", _directory_case, ("directory",)))


def _targets(content: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / "targets.yaml"
        path.write_text(content, encoding="utf-8")
        return ["validate", "--targets", str(path)]
    return make


BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
_T = "name: t\ntargets:\n  - id: a\n    outcome: adoption\n    band: [0.1, 0.9]\n"
TARGETS: list[Case] = [Case(kind, _targets(text), tuple(needles)) for kind, text, needles in [
    ("targets: base a list", _T + "    base: [1, 2]\n", ["base", "mapping"]),
    ("targets: base a list with a scenario",
     _T + f"    scenario: {BASELINE}\n    base: [1, 2]\n", ["base"]),
    ("targets: unknown key", _T + "    outcom: adoption\n", ["outcom"]),
    ("targets: no targets", "name: t\ntargets: []\n", ["targets"]),
    ("targets: empty file", "", ["mapping"]),
    ("targets: a target not a mapping", "name: t\ntargets: [3]\n", ["#1"]),
    ("targets: unknown outcome", _T.replace("adoption", "adoptoin"), ["adoptoin"]),
    ("targets: duplicate id", _T + _T.split("targets:\n")[1], ["duplicate"]),
    ("targets: alias bomb", _laughs(9, "description").replace("name: x", _T.strip()), []),
    ("targets: bad parameter", _T + "    base: {services.count: many}\n", ["services.count"]),
]]


def _results(change: Callable[[dict], dict | bytes | None]) -> Callable[[Path], list[str]]:
    """A copy of a real results folder (``REFERENCE``) with its manifest changed."""

    def make(folder: Path) -> list[str]:
        target = folder / "results"
        shutil.copytree(REFERENCE["dir"], target, ignore=shutil.ignore_patterns(".lock"))
        manifest = json.loads((target / "manifest.json").read_text())
        changed = change(manifest)
        if changed is None:
            (target / "manifest.json").unlink()
        elif isinstance(changed, bytes):
            (target / "manifest.json").write_bytes(changed)
        else:
            (target / "manifest.json").write_text(json.dumps(changed))
        return ["report", str(target), "--out", str(folder / "report.html")]
    return make


REFERENCE: dict[str, Path] = {}  # filled by the tests with a finished results folder


def _set(**values):
    return lambda m: {**m, **values}


RESULTS: list[Case] = [Case(kind, _results(change), tuple(needles)) for kind, change, needles in [
    ("results: no manifest", lambda m: None, ["manifest.json"]),
    ("results: manifest with a Latin-1 byte",
     lambda m: json.dumps(m).replace('"tiny"', '"t\\u00ecny"').encode().replace(
         b"\\u00ec", b"\xec"), ["not UTF-8"]),
    ("results: manifest not JSON", lambda m: b"{not json", ["unreadable manifest"]),
    ("results: manifest a list", lambda m: b"[1, 2]", ["not an impl-sim manifest"]),
    ("results: unknown design parameter", _set(design_parameters=["therapists.made_up"]),
     ["therapists.made_up"]),
    ("results: runs_expected 1e15", _set(runs_expected=1e15), ["runs_expected"]),
    ("results: runs_expected huge integer", _set(runs_expected=10**15), ["runs_expected"]),
    ("results: chunk_size zero", _set(chunk_size=0), ["chunk_size"]),
    ("results: series not a bool", _set(series="yes"), ["series"]),
    ("results: old format", _set(format_version=1), ["format"]),
    ("results: arms a string", _set(arms="passive"), ["arms"]),
    ("results: control characters in a manifest value",
     _set(runs_expected="\x1b[2J"), ["runs_expected", "\\x1b"]),
    ("results: deeply nested manifest", lambda m: ("[" * 100_000 + "]" * 100_000).encode(),
     ["manifest"]),
]]

CORPUS: list[Case] = [*SCENARIOS, *TARGETS, *RESULTS]
