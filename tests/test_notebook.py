"""The notebook workflow (docs/guide-notebooks.md): experiments/notebook_quickstart.py runs as a
script from any folder, and its What-if cell renders the dashboard page as a widget."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "experiments" / "notebook_quickstart.py"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_notebook_runs_plots_and_builds_the_cube(tmp_path):
    env = {**os.environ, "IMPL_SIM_REPLICATIONS": "2", "IMPL_SIM_OUTPUT": str(tmp_path)}
    done = subprocess.run([sys.executable, str(NOTEBOOK)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "4 runs in" in done.stdout
    assert "sustainment_24m: passive_support" in done.stdout
    figure = tmp_path / "notebook-delivering.png"
    assert figure.stat().st_size > 5000
    assert "{'implementation_leadership':" in done.stdout  # the xarray cube, grouped by arm


def test_the_what_if_cell_renders_the_dashboard_page():
    solara = pytest.importorskip("solara")
    from solara.server import kernel
    from solara.server.kernel_context import VirtualKernelContext

    tree = ast.parse(NOTEBOOK.read_text(encoding="utf-8"))
    [function] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "what_if"]
    namespace: dict = {}
    exec(compile(ast.Module([function], []), str(NOTEBOOK), "exec"), namespace)
    context = VirtualKernelContext(id="notebook-test", kernel=kernel.Kernel(),
                                   session_id="notebook-session")
    try:
        with context:
            _box, rc = solara.render(namespace["what_if"](), handle_error=False)
            html = " ".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)
            assert "What if" in html
    finally:
        with context:
            context.close()
