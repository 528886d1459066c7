"""Solara components for parameter controls, built from :mod:`impl_sim.dashboard.controls`."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping
from typing import Any

import solara
from matplotlib.figure import Figure

from impl_sim.dashboard.controls import (
    ParamSpec,
    StrategyControls,
    key_levers,
    more_groups,
    slider_step,
    strategy_controls,
    value_of,
    widget_kind,
    with_value,
)
from impl_sim.dashboard.session import DashboardSession
from impl_sim.dashboard.wording import (
    CHOICE_WORDS,
    control_label,
    param_label,
    plain_description,
    range_words,
    value_words,
)

HELP_STYLE = {"font-size": "0.78em", "color": "#555", "margin": "-4px 0 10px 0",
              "line-height": "1.25"}
SIDE_TITLES = {"a": "A", "b": "B"}
SIDE_COLOURS = {"a": "#0072B2", "b": "#E69F00"}  # Okabe–Ito, as in the figures
SIDE_TEXT_COLOURS = {"a": "#0072B2", "b": "#8a5d00"}  # darker orange: 4.5:1 on white

# One concept, one control: where the model has a second setting that touches the same thing,
# the strategy says how the two combine (the other is how leaders behave, not a decision).
STRATEGY_NOTES = {
    "protected_time": "This is the control for protected time. Leaders in the model also "
    "protect some time on their own, depending on how proactive they are (More settings ▸ "
    "Leaders); a therapist gets the larger of the two, never both added up.",
    "central_case_routing": "Leaders who know who is trained route some families themselves; "
    "with this strategy the larger share applies.",
}


def figure_html(fig: Figure, alt: str, dpi: int = 96) -> str:
    """A figure as an ``<img>`` with alt text (a PNG in a data: URL, served by nobody)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            'style="max-width:100%;height:auto" />')


@solara.component
def FigureImage(fig: Figure | None, alt: str, classes: list[str] | None = None):
    """A matplotlib figure with alt text, scaled to its card's width."""
    markup = solara.use_memo(lambda: figure_html(fig, alt) if fig is not None else "",
                             [fig, alt])
    solara.HTML(tag="div", unsafe_innerHTML=markup, classes=["impl-figure", *(classes or [])])


def source_html(spec: ParamSpec) -> str:
    """Allowed values and source behind an info disclosure (keyboard and touch reachable)."""
    return (f'<details class="impl-source"><summary aria-label="Source and allowed values of '
            f'{html.escape(param_label(spec))}">source</summary>Allowed: '
            f'{html.escape(range_words(spec))}. Default: '
            f'{html.escape(value_words(spec, spec.default))}. Source: '
            f'{html.escape(spec.source)}. Name in scenario files: <code>{spec.name}</code>.'
            "</details>")


@solara.component
def ParamControl(spec: ParamSpec, value: Any, on_value: Callable[[Any], None],
                 show_help: bool = True):
    """One parameter: the widget its type calls for, in plain words; details behind "source"."""
    kind = widget_kind(spec)
    label = param_label(spec)
    with solara.Column(gap="0px", classes=["impl-param"], style={"min-width": "0"}):
        if kind == "select":
            words = {CHOICE_WORDS.get(c, c): c for c in spec.choices or ()}
            shown = next((w for w, c in words.items() if c == value), str(value))
            solara.Select(label=label, values=list(words), value=shown,
                          on_value=lambda w: on_value(words[w]))
        elif kind == "switch":
            solara.Switch(label=label, value=bool(value), on_value=on_value)
        elif kind == "slider" and spec.type == "int":
            solara.SliderInt(label=control_label(spec, value), value=int(value),
                             min=int(spec.min), max=int(spec.max), step=1, on_value=on_value)
        elif kind == "slider":
            solara.SliderFloat(label=control_label(spec, value), value=float(value),
                               min=float(spec.min), max=float(spec.max),
                               step=slider_step(spec), on_value=on_value)
        elif spec.type == "int":
            solara.InputInt(label=label, value=int(value), on_value=on_value)
        else:
            solara.InputFloat(label=label, value=float(value), on_value=on_value)
        if show_help:
            with solara.Row(gap="4px", style={"align-items": "flex-start"}):
                solara.Text(plain_description(spec), style=HELP_STYLE)
                solara.HTML(tag="div", unsafe_innerHTML=source_html(spec))


@solara.component
def Collapsible(title: str, render: Callable[[], None], subtitle: str = ""):
    """A section whose contents are built only once opened (keeps long pages fast)."""
    open_, set_open = solara.use_state(False)
    with solara.Column(gap="0px"):
        solara.Button(("▾ " if open_ else "▸ ") + title, text=True,
                      on_click=lambda: set_open(not open_),
                      style={"justify-content": "flex-start", "text-transform": "none"})
        if open_:
            if subtitle:
                solara.Text(subtitle, style=HELP_STYLE)
            render()


@solara.component
def ParamList(specs: tuple[ParamSpec, ...], overrides: Mapping[str, Any],
              on_change: Callable[[ParamSpec, Any], None]):
    for spec in specs:
        ParamControl(spec, value_of(overrides, spec),
                     on_value=lambda v, s=spec: on_change(s, v))


@solara.component
def StrategySwitch(strategy: StrategyControls, overrides: Mapping[str, Any],
                   on_change: Callable[[ParamSpec, Any], None]):
    """A strategy's on/off switch; its dose settings appear when it is on."""
    on = bool(value_of(overrides, strategy.enabled))
    with solara.Column(gap="0px"):
        solara.Switch(label=strategy.title, value=on,
                      on_value=lambda v: on_change(strategy.enabled, v))
        solara.Text(strategy.description, style=HELP_STYLE)
        if strategy.name in STRATEGY_NOTES:
            solara.Text(STRATEGY_NOTES[strategy.name], style=HELP_STYLE)
        if on:
            with solara.Column(style={"padding-left": "24px"}, gap="0px"):
                ParamList(strategy.key_dose, overrides, on_change)
                rest = tuple(s for s in strategy.dose if not s.key)
                Collapsible(f"more {strategy.title.lower()} settings",
                            lambda: ParamList(rest, overrides, on_change))


@solara.component
def SideControls(session: DashboardSession, which: str):
    """Every control of one side (A or B): key levers, strategies, then "more" by group."""
    whatif = session.whatif.value
    arm = whatif.side(which)
    overrides = arm.overrides

    def on_change(spec: ParamSpec, value: Any) -> None:
        session.update(lambda w: w.with_side(which, w.side(which).changed(
            with_value(w.side(which).overrides, spec, value))))

    def rename(name: str) -> None:
        session.update(lambda w: w.with_side(which, w.side(which).renamed(name)))

    def reset() -> None:
        session.update(lambda w: w.with_side(which, w.side(which).changed({})))

    def copy_a() -> None:
        session.update(lambda w: w.with_side("b", w.b.changed(dict(w.a.overrides))))

    colour = SIDE_COLOURS[which]
    label = whatif.label(which)
    with solara.Card(style={"border-top": f"4px solid {colour}", "min-width": "0"}, margin=0,
                     classes=[f"impl-side-{which}", "impl-side"]):
        solara.HTML(tag="h3", unsafe_innerHTML=f"{SIDE_TITLES[which]}: "
                    f'<span class="impl-side-name">{html.escape(label)}</span>',
                    style={"color": SIDE_TEXT_COLOURS[which], "margin": "0 0 6px 0"})
        solara.InputText("Call it something else (empty = name from what differs)",
                         value=arm.name if arm.pinned else "", on_value=rename,
                         classes=[f"impl-rename-{which}"])
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Button("Reset to defaults", on_click=reset, text=True, small=True)
            if which == "b":
                solara.Button("Copy A into B", on_click=copy_a, text=True, small=True,
                              classes=["impl-copy-a"])
        solara.HTML(tag="h4", unsafe_innerHTML="Key settings", style={"margin": "8px 0 4px 0"})
        ParamList(key_levers(), overrides, on_change)
        solara.HTML(tag="h4", unsafe_innerHTML="Implementation strategies",
                    style={"margin": "8px 0 4px 0"})
        for strategy in strategy_controls():
            StrategySwitch(strategy, overrides, on_change)
        solara.HTML(tag="h4", unsafe_innerHTML="More settings", style={"margin": "8px 0 4px 0"})
        for group in more_groups():
            Collapsible(group.title, lambda g=group: ParamList(g.specs, overrides, on_change),
                        subtitle=group.description)
