"""The Parameters page: the schema as a table — what each setting means, its default, what is
allowed and where the value comes from. The table scrolls inside its card on narrow screens."""

from __future__ import annotations

import html

import solara

from impl_sim.dashboard.wording import param_label, range_words, value_words
from impl_sim.params import ParamSpec, param_specs

COLUMNS = ("setting", "default", "allowed", "what it means", "source", "kind")


def _row(spec: ParamSpec) -> str:
    setting = (f"{html.escape(param_label(spec))}{' ★' if spec.key else ''}"
               f'<br><code class="impl-param-name">{html.escape(spec.name)}</code>')
    cells = (value_words(spec, spec.default), range_words(spec), spec.description,
             spec.source, spec.kind)
    return (f'<tr data-name="{html.escape(spec.name)}"><th scope="row">{setting}</th>'
            + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")


def parameters_table_html(query: str = "") -> str:
    """Every parameter matching ``query`` (in name, labels, description or source)."""
    q = query.strip().lower()
    specs = [s for s in param_specs()
             if not q or q in " ".join((s.name, s.label, s.plain, s.description,
                                        s.source)).lower()]
    head = "<tr>" + "".join(f'<th scope="col">{c}</th>' for c in COLUMNS) + "</tr>"
    return ('<div class="impl-scroll"><table class="impl-params">' + head
            + "".join(_row(s) for s in specs) + "</table></div>")


CSS = """<style>
table.impl-params { min-width: 720px; }
table.impl-params th[scope=row] { text-align: left; font-weight: normal; min-width: 14em; }
table.impl-params td { text-align: left; }
table.impl-params td:nth-child(4) { min-width: 18em; }
code.impl-param-name { font-size: 0.85em; color: #555; word-break: break-all; }
</style>"""


@solara.component
def Page():
    query, set_query = solara.use_state("")
    solara.Title("impl-sim · Parameters")
    solara.HTML(tag="h2", unsafe_innerHTML="Parameters")
    solara.Text(f"All {len(param_specs())} model settings, generated from the schema "
                "(src/impl_sim/params.py) — the same list as `impl-sim params` and "
                "docs/parameters.md. ★ marks the key settings shown first on the What-if page; "
                "the code under each name is how scenario files write it. Sources: the seed "
                "documents, published figures (F1–F14) and stylised facts (S1–S11) in "
                "docs/evidence-map.md; 'assumption' marks a value to test.",
                style={"max-width": "60em"})
    solara.InputText("Filter (name, label, description or source)", value=query,
                     on_value=set_query, continuous_update=True, style={"max-width": "420px"})
    solara.HTML(tag="div", unsafe_innerHTML=CSS + parameters_table_html(query),
                classes=["impl-params-box"])
