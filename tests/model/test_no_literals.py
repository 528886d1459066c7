"""Every structural constant of the model is a parameter (issue 11, item 5).

Scans ``src/impl_sim/model/`` for numeric literals. Allowed: 0, 1 and 0.5 (the value that
centres a term), and the named constants of ``constants.py`` (calendar, the ILS scale, and
computational settings). ``outcomes.py`` is exempt: its 6-month window and 12/24/36-month
follow-ups define what is measured, not how the world behaves (docs/odd.md §7.10); so do
``effects.py`` (effect sizes) and ``events.py`` (the event log).
"""

from __future__ import annotations

import ast
from pathlib import Path

import impl_sim.model

MODEL_DIR = Path(impl_sim.model.__file__).parent
ALLOWED = {0, 1, 0.5}
EXEMPT = {"constants.py", "outcomes.py", "effects.py", "events.py"}  # see constants.py


def numeric_literals(path: Path) -> list[tuple[int, object]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
                and not isinstance(node.value, bool) and node.value not in ALLOWED):
            found.append((node.lineno, node.value))
    return found


def test_no_numeric_literals_outside_the_allow_list():
    offenders = {path.name: numeric_literals(path) for path in sorted(MODEL_DIR.glob("*.py"))
                 if path.name not in EXEMPT}
    offenders = {name: hits for name, hits in offenders.items() if hits}
    assert not offenders, f"numbers in model/ that should be parameters: {offenders}"


def test_the_scan_finds_a_literal(tmp_path):
    # the scan itself can fail: a planted constant is found, allowed ones and booleans are not
    planted = tmp_path / "planted.py"
    planted.write_text("x = 0.5 * y + 1 - 0\nflag = True\nz = 0.55 * w\n", encoding="utf-8")
    assert numeric_literals(planted) == [(3, 0.55)]
