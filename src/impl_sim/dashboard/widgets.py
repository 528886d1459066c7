"""Solara components for parameter controls, built from :mod:`impl_sim.dashboard.controls`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import solara

from impl_sim.dashboard.controls import (
    ParamSpec,
    StrategyControls,
    help_text,
    key_levers,
    label_with_unit,
    more_groups,
    slider_step,
    strategy_controls,
    value_of,
    widget_kind,
    with_value,
)
from impl_sim.dashboard.ensemble import Arm
from impl_sim.dashboard.session import DashboardSession

HELP_STYLE = {"font-size": "0.78em", "color": "#555", "margin": "-4px 0 10px 0",
              "line-height": "1.25"}
SIDE_TITLES = {"a": "A — today", "b": "B — the what-if"}
SIDE_COLOURS = {"a": "#1f77b4", "b": "#e66101"}


@solara.component
def ParamControl(spec: ParamSpec, value: Any, on_value: Callable[[Any], None],
                 show_help: bool = True):
    """One parameter: the widget its type calls for, and its help text from the schema."""
    label = label_with_unit(spec)
    kind = widget_kind(spec)
    with solara.Column(gap="0px", classes=["impl-param"], style={"min-width": "0"}):
        if kind == "select":
            solara.Select(label=label, values=list(spec.choices or ()), value=value,
                          on_value=on_value)
        elif kind == "switch":
            solara.Switch(label=label, value=bool(value), on_value=on_value)
        elif kind == "slider" and spec.type == "int":
            solara.SliderInt(label=f"{label}: {value}", value=int(value), min=int(spec.min),
                             max=int(spec.max), step=1, on_value=on_value)
        elif kind == "slider":
            solara.SliderFloat(label=f"{label}: {value:g}", value=float(value),
                               min=float(spec.min), max=float(spec.max),
                               step=slider_step(spec), on_value=on_value)
        elif spec.type == "int":
            solara.InputInt(label=label, value=int(value), on_value=on_value)
        else:
            solara.InputFloat(label=label, value=float(value), on_value=on_value)
        if show_help:
            changed = "" if value == spec.default else f" Default: {spec.default}."
            solara.Text(help_text(spec) + changed, style=HELP_STYLE)


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
        session.update(lambda w: w.with_side(which, Arm(w.side(which).name,
                                                        with_value(w.side(which).overrides,
                                                                   spec, value))))

    def rename(name: str) -> None:
        session.update(lambda w: w.with_side(which, Arm(name, w.side(which).overrides)))

    def reset() -> None:
        session.update(lambda w: w.with_side(which, Arm(w.side(which).name, {})))

    def copy_a() -> None:
        session.update(lambda w: w.with_side("b", Arm(w.b.name, dict(w.a.overrides))))

    colour = SIDE_COLOURS[which]
    with solara.Card(style={"border-top": f"4px solid {colour}"}, margin=0,
                     classes=[f"impl-side-{which}"]):
        solara.HTML(tag="h3", unsafe_innerHTML=SIDE_TITLES[which],
                    style={"color": colour, "margin": "0 0 6px 0"})
        solara.InputText("Name of this side (the arm in the exported file)", value=arm.name,
                         on_value=rename)
        changed = ", ".join(f"{k} = {v}" for k, v in overrides.items()) or "all defaults"
        solara.Text(f"Changed from the defaults: {changed}", style=HELP_STYLE)
        with solara.Row():
            solara.Button("Reset to defaults", on_click=reset, text=True, small=True)
            if which == "b":
                solara.Button("Copy A into B", on_click=copy_a, text=True, small=True)
        solara.HTML(tag="h4", unsafe_innerHTML="Key levers", style={"margin": "8px 0 4px 0"})
        ParamList(key_levers(), overrides, on_change)
        solara.HTML(tag="h4", unsafe_innerHTML="Implementation strategies",
                    style={"margin": "8px 0 4px 0"})
        for strategy in strategy_controls():
            StrategySwitch(strategy, overrides, on_change)
        solara.HTML(tag="h4", unsafe_innerHTML="More settings", style={"margin": "8px 0 4px 0"})
        for group in more_groups():
            Collapsible(group.title, lambda g=group: ParamList(g.specs, overrides, on_change),
                        subtitle=group.description)
