"""The impl-sim dashboard (Solara): ``solara run impl_sim.dashboard.app --production``.

Pages: What-if, Explore, Lessons, Parameters. ``Layout`` creates one
:class:`~impl_sim.dashboard.session.DashboardSession` per browser session and provides it to
the pages, so state survives moving between pages but is never shared between sessions.
Everything is served from this machine: no CDN, no web fonts, no telemetry.
"""

from __future__ import annotations

import solara

from impl_sim.dashboard import explore, lessons, parameters, whatif
from impl_sim.dashboard.session import DashboardSession, SessionContext

BAR_STYLE = {"background": "#1f4e79", "color": "white", "padding": "6px 16px",
             "align-items": "center", "flex-wrap": "wrap", "position": "sticky", "top": "0",
             "z-index": "10"}


@solara.component
def Navigation():
    """A bar with the title and one tab per page (labels from ``routes``)."""
    current, all_routes = solara.use_route()
    with solara.Row(style=BAR_STYLE, classes=["impl-nav"]):
        solara.HTML(tag="div", unsafe_innerHTML="<b>impl-sim</b> · how CPP takes root — "
                    "what-ifs for services and courses", style={"margin-right": "24px"})
        for route in all_routes:
            active = route is current
            with solara.Link(solara.resolve_path(route)):
                solara.Button(route.label, text=True, classes=[f"impl-tab-{route.label.lower()}"],
                              style={"color": "white", "font-weight": "bold" if active else
                                     "normal", "border-bottom": "3px solid white" if active
                                     else "3px solid transparent", "border-radius": "0"})


@solara.component
def Layout(children=None):
    session = solara.use_memo(DashboardSession.create, [])
    SessionContext.provide(session)
    solara.Title("impl-sim")  # the browser tab's title
    with solara.Column(gap="0px", style={"min-height": "100vh"}) as main:
        Navigation()
        with solara.Column(style={"padding": "12px 20px"}, children=children or []):
            pass
    return main


routes = [
    solara.Route(path="/", component=whatif.Page, label="What-if", layout=Layout),
    solara.Route(path="explore", component=explore.Page, label="Explore"),
    solara.Route(path="lessons", component=lessons.Page, label="Lessons"),
    solara.Route(path="parameters", component=parameters.Page, label="Parameters"),
]
