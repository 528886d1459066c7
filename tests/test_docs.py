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
        assert re.search(r"seed 00[0-4]|\b[FS]\d+\b|assumption|calibrated", spec.source), (
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
