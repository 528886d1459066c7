"""The Parameters page: the schema as a table — names, defaults, units, ranges and sources."""

from __future__ import annotations

import html

import solara

from impl_sim.dashboard.controls import label_with_unit
from impl_sim.params import ParamSpec, param_specs

COLUMNS = ("name", "label", "default", "unit", "allowed", "kind", "description", "source")


def _row(spec: ParamSpec) -> str:
    cells = (spec.name, label_with_unit(spec) + (" ★" if spec.key else ""), str(spec.default),
             spec.unit, spec.allowed(), spec.kind, spec.description, spec.source)
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"


def parameters_table_html(query: str = "") -> str:
    """Every parameter matching ``query`` (in name, label, description or source)."""
    q = query.strip().lower()
    specs = [s for s in param_specs()
             if not q or q in " ".join((s.name, s.label, s.description, s.source)).lower()]
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in COLUMNS) + "</tr>"
    return ('<table class="impl-params">' + head + "".join(_row(s) for s in specs)
            + "</table>")


CSS = """<style>
table.impl-params { border-collapse: collapse; font-size: 0.8em; }
table.impl-params th, table.impl-params td { border-bottom: 1px solid #ddd; padding: 3px 6px;
  vertical-align: top; text-align: left; }
table.impl-params td:first-child { font-family: monospace; white-space: nowrap; }
</style>"""


@solara.component
def Page():
    query, set_query = solara.use_state("")
    solara.Title("impl-sim · Parameters")
    solara.HTML(tag="h2", unsafe_innerHTML="Parameters")
    solara.Text(f"All {len(param_specs())} model parameters, generated from the schema "
                "(src/impl_sim/params.py) — the same list as `impl-sim params` and "
                "docs/parameters.md. ★ marks the key levers shown first on the What-if page. "
                "Sources: seed documents, figures F1–F14 and stylised facts S1–S11 "
                "(docs/evidence-map.md); 'assumption' marks a value to test.",
                style={"max-width": "60em"})
    solara.InputText("Filter (name, label, description or source)", value=query,
                     on_value=set_query, continuous_update=True, style={"max-width": "420px"})
    solara.HTML(tag="div", unsafe_innerHTML=CSS + parameters_table_html(query),
                classes=["impl-params-box"])
