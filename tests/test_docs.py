"""Generated documentation is current, and the hand-written docs cover what the code has."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import param_specs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_parameters_md_is_not_stale():
    fresh = subprocess.run([sys.executable, "-m", "impl_sim", "params", "--markdown"],
                           capture_output=True, text=True, check=True).stdout
    committed = (DOCS / "parameters.md").read_text(encoding="utf-8")
    assert fresh == committed, "docs/parameters.md is stale: run `make docs`"


def test_every_parameter_names_a_readable_source():
    for spec in param_specs():
        if spec.name.endswith((".enabled", ".start_month", ".duration_months")):
            continue
        # a seed, an EVIDENCE id, a dated publication, or an honest "assumed"/"calibrated"
        assert re.search(r"seed 00[0-4]|\b[FS]\d+\b|assum|calibrated|\b(19|20)\d\d\b",
                         spec.source), (
            spec.name, spec.source)
        assert "DESIGN" not in spec.source, spec.name


def test_odd_step_order_matches_the_code():
    odd = (DOCS / "odd.md").read_text(encoding="utf-8")
    code_order = re.findall(r"self\.(\w+)\(", inspect.getsource(ImplementationModel.step))
    block = odd.split("<!-- step order -->")[1].split("<!-- end step order -->")[0]
    doc_order = re.findall(r"`(\w+)`", block)
    assert [s for s in doc_order if s in code_order] == code_order


def test_odd_and_evidence_map_define_every_outcome_and_fact():
    odd = (DOCS / "odd.md").read_text(encoding="utf-8")
    evidence = (DOCS / "evidence-map.md").read_text(encoding="utf-8")
    for name in OUTCOMES:
        assert f"`{name}`" in odd, name
    for fact in [f"S{i}" for i in range(1, 12)]:
        assert re.search(rf"\| {fact} \|", evidence), fact


ROOT = DOCS.parent
DOC_PATH = r"\b((?:scenarios|docs|benchmarks|experiments|src|tests)/[\w./-]+\.(?:yaml|md|py|png))"
EXAMPLE_PATHS = {"scenarios/x.yaml"}  # the README's example of an error message
USER_DOCS = [ROOT / "README.md", *sorted(DOCS.glob("guide-*.md")), DOCS / "teaching" / "guide.md"]


def test_results_folders_named_in_the_docs_match_the_shipped_scenarios():
    from impl_sim.scenario.loader import load_scenario

    hashes = {(sc := load_scenario(p)).name: sc.hash() for p in (ROOT / "scenarios").glob("*.yaml")}
    found = 0
    for doc in USER_DOCS:
        for name, digest in re.findall(r"results/([a-z0-9-]+)-([0-9a-f]{12})\b", doc.read_text()):
            found += 1
            assert hashes.get(name) == digest, f"{doc.name}: results/{name}-{digest} is stale"
    assert found


def test_paths_the_docs_show_exist():
    for doc in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for path in re.findall(DOC_PATH, doc.read_text()):
            if path not in EXAMPLE_PATHS:
                assert (ROOT / path).exists(), f"{doc.name}: {path} does not exist"


def test_the_readme_links_every_guide():
    readme = (ROOT / "README.md").read_text()
    for guide in ("docs/guide-researchers.md", "docs/guide-analysis.md", "docs/guide-leaders.md",
                  "docs/teaching/guide.md", "docs/odd.md", "docs/evidence-map.md",
                  "docs/parameters.md", "docs/validation.md"):
        assert f"]({guide})" in readme, guide


def test_options_the_docs_show_exist():
    import typer.main

    from impl_sim.cli import app

    commands = typer.main.get_command(app).commands
    options = {name: {o for p in c.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
               for name, c in commands.items()}
    for doc in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for command, rest in re.findall(r"impl-sim (\w+)([^`#\n]*)", doc.read_text()):
            for option in re.findall(r"(--[\w-]+)", rest):
                if command in options:  # "impl-sim only needs ..." is prose
                    assert option in options[command], f"{doc.name}: impl-sim {command} {option}"


def test_the_readme_tour_and_design_blocks_are_valid_scenarios():
    import yaml

    from impl_sim.scenario.loader import parse_scenario

    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"),
                        re.S)
    tour = parse_scenario(yaml.safe_load(blocks[0]), "README tour")
    assert len(tour.arms) == 3
    assert tour.params_for("leadership_and_protected_time").flat()[
        "strategies.protected_time.enabled"] is True
    design = parse_scenario({"name": "readme-design", **yaml.safe_load(blocks[1])}, "README")
    assert design.design is not None and design.design.method == "lhs"


def test_the_readme_python_snippet_runs_from_any_folder_and_prints(tmp_path):
    snippet = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"),
                         re.S)[0]
    done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "implementation_leadership" in done.stdout and "passive_support" in done.stdout
