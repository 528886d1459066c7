"""The impl-sim dashboard (Solara): ``solara run impl_sim.dashboard.app --production``.

Pages: What-if, Plan, Explore, Lessons, Parameters. ``Layout`` creates one
:class:`~impl_sim.dashboard.session.DashboardSession` per browser session and provides it to
the pages, so state survives moving between pages but is never shared between sessions. The
session's state is mirrored in the URL, so a reload or a shared link restores it.
Everything is served from this machine: no CDN, no web fonts, no telemetry.
"""

from __future__ import annotations

import solara

from impl_sim.dashboard import explore, lessons, parameters, plan, whatif
from impl_sim.dashboard.session import DashboardSession, SessionContext

BAR_STYLE = {"background": "#1f4e79", "color": "white", "padding": "6px 16px",
             "align-items": "center", "flex-wrap": "wrap", "position": "sticky", "top": "0",
             "z-index": "10"}

# Responsive and accessible layout for every page (no external fonts or stylesheets).
CSS = """
.impl-skip { position: absolute; left: -9999px; top: 0; background: #fff; color: #1f4e79;
  padding: 8px 12px; z-index: 100; }
.impl-skip:focus { left: 8px; }
.impl-sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px;
  width: 100%; }
@media (max-width: 900px) { .impl-sides { grid-template-columns: minmax(0, 1fr); } }
.impl-page { max-width: 100vw; overflow-x: hidden; }
.impl-page img { max-width: 100%; height: auto; }
.impl-scroll { overflow-x: auto; max-width: 100%; }
table.impl-outcomes, table.impl-params { border-collapse: collapse; font-size: 0.85em;
  width: 100%; }
table.impl-outcomes th, table.impl-outcomes td, table.impl-params th, table.impl-params td {
  border-bottom: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
table.impl-outcomes td { text-align: right; }
table.impl-outcomes th { text-align: left; font-weight: normal; }
table.impl-outcomes tr:first-child th, table.impl-params tr:first-child th { font-weight: bold; }
table.impl-outcomes .ci { color: #555; font-size: 0.9em; }
.impl-note { font-size: 0.8em; color: #555; }
ul.impl-sentences li { margin-bottom: 6px; }
details.impl-source { font-size: 0.78em; color: #444; }
details.impl-source summary { cursor: pointer; color: #0072B2; text-decoration: underline; }
.impl-param .v-input__slot, .impl-param .v-label { white-space: normal; }
.impl-param .v-label { overflow: visible; text-overflow: clip; height: auto; }
.impl-nav .v-btn { min-width: 0; padding: 0 8px !important; }
.impl-run-row > .v-input { flex: 1 1 220px; min-width: 200px; }
@media (max-width: 600px) { .impl-content { padding: 8px !important; }
  .impl-nav-title { display: none; } }
"""


@solara.component
def Navigation():
    """A bar with a skip link, the title and one tab per page (labels from ``routes``)."""
    current, all_routes = solara.use_route()
    with solara.Row(style=BAR_STYLE, classes=["impl-nav"]):
        solara.HTML(tag="a", unsafe_innerHTML="Skip to the Run button",
                    attributes={"href": "#impl-main"}, classes=["impl-skip"])
        solara.HTML(tag="div", unsafe_innerHTML="<b>impl-sim</b> · how CPP takes root",
                    style={"margin-right": "24px"}, classes=["impl-nav-title"])
        for route in all_routes:
            active = route is current
            with solara.Link(solara.resolve_path(route)):
                solara.Button(route.label, text=True, classes=[f"impl-tab-{route.label.lower()}"],
                              style={"color": "white", "font-weight": "bold" if active else
                                     "normal", "border-bottom": "3px solid white" if active
                                     else "3px solid transparent", "border-radius": "0"})


def use_url_state(session: DashboardSession) -> None:
    """Keep the URL's query equal to the session's state (reload and share restore it)."""
    router = solara.use_router()
    wanted = session.query()

    def sync() -> None:
        if (router.search or "") != wanted:
            router.push(f"{router.path}?{wanted}")

    solara.use_effect(sync, [wanted, router.path, router.search])


@solara.component
def Layout(children=None):
    router = solara.use_router()
    session = solara.use_memo(lambda: DashboardSession.create(search=router.search), [])
    SessionContext.provide(session)
    use_url_state(session)
    solara.Title("impl-sim")  # the browser tab's title
    with solara.Column(gap="0px", style={"min-height": "100vh"}, classes=["impl-page"]) as main:
        solara.Style(CSS)
        Navigation()
        with solara.Column(style={"padding": "12px 20px"}, classes=["impl-content"],
                           children=children or []):
            solara.HTML(tag="span", attributes={"id": "impl-main"})
    return main


routes = [
    solara.Route(path="/", component=whatif.Page, label="What-if", layout=Layout),
    solara.Route(path="plan", component=plan.Page, label="Plan"),
    solara.Route(path="explore", component=explore.Page, label="Explore"),
    solara.Route(path="lessons", component=lessons.Page, label="Lessons"),
    solara.Route(path="parameters", component=parameters.Page, label="Parameters"),
]
