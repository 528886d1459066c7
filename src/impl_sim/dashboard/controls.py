"""Dashboard controls derived from the parameter schema (never restated here).

Everything a control shows — label, unit, range, default, help text, source — comes from
:func:`impl_sim.params.param_specs`. This module is plain Python (no Solara), so the layout
of the controls can be tested without a browser: which levers come first, which sit under
"more", which settings belong to each strategy, and how a changed value becomes an override.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from impl_sim.params import Params, ParamSpec, StrategyParams, param_specs, strategy_names

# The run length is one setting for both sides of a what-if (the scenario's horizon_months).
HORIZON = "simulation.horizon_months"
STRATEGY_PREFIX = "strategies."

# Sliders with more positions than this are hard to aim; a number field is used instead.
MAX_SLIDER_POSITIONS = 1000


@dataclass(frozen=True)
class ControlGroup:
    """A titled set of parameters shown together."""

    key: str
    title: str
    description: str
    specs: tuple[ParamSpec, ...]


@dataclass(frozen=True)
class StrategyControls:
    """One implementation strategy: its on/off switch and its dose settings."""

    name: str
    title: str
    eric_name: str
    description: str
    enabled: ParamSpec
    dose: tuple[ParamSpec, ...]

    @property
    def key_dose(self) -> tuple[ParamSpec, ...]:
        """Dose settings marked ``key`` in the schema (shown without opening "more")."""
        return tuple(s for s in self.dose if s.key)


def _group_doc(path: str) -> str:
    """First line of the docstring of the schema class at a dotted group path."""
    model: Any = Params
    for part in path.split("."):
        model = model.model_fields[part].annotation
    return (model.__doc__ or "").strip().splitlines()[0]


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def arm_specs() -> tuple[ParamSpec, ...]:
    """Every parameter one side (arm) of a what-if can set: all but the shared horizon."""
    return tuple(s for s in param_specs() if s.name != HORIZON)


def key_levers() -> tuple[ParamSpec, ...]:
    """Key parameters outside the strategies, in schema order (shown first)."""
    return tuple(s for s in arm_specs() if s.key and not s.name.startswith(STRATEGY_PREFIX))


def more_groups() -> tuple[ControlGroup, ...]:
    """The remaining non-strategy parameters, one group per schema group (under "more")."""
    groups: dict[str, list[ParamSpec]] = {}
    for s in arm_specs():
        if s.key or s.name.startswith(STRATEGY_PREFIX):
            continue
        groups.setdefault(s.group, []).append(s)
    return tuple(ControlGroup(key=g, title=_title(g), description=_group_doc(g),
                              specs=tuple(specs)) for g, specs in groups.items())


def strategy_controls() -> tuple[StrategyControls, ...]:
    """Every registered strategy with its switch and dose, in schema order."""
    from impl_sim.model.strategies import REGISTRY

    by_name: dict[str, list[ParamSpec]] = {}
    for s in param_specs():
        if s.name.startswith(STRATEGY_PREFIX):
            by_name.setdefault(s.name.split(".")[1], []).append(s)
    out = []
    for name in strategy_names():
        specs = by_name[name]
        enabled = next(s for s in specs if s.name.endswith(".enabled"))
        doc = (type(getattr(StrategyParams(), name)).__doc__ or "").strip().splitlines()[0]
        registered = REGISTRY.get(name)
        out.append(StrategyControls(
            name=name, title=_title(name), description=doc,
            eric_name=registered.eric_name if registered else "",
            enabled=enabled, dose=tuple(s for s in specs if s is not enabled)))
    return tuple(out)


# --- one control -------------------------------------------------------------------------------


def widget_kind(spec: ParamSpec) -> str:
    """Which input suits a parameter: ``select``, ``switch``, ``slider`` or ``number``."""
    if spec.choices:
        return "select"
    if spec.type == "bool":
        return "switch"
    if spec.min is None or spec.max is None:
        return "number"
    positions = (spec.max - spec.min) / slider_step(spec)
    return "slider" if positions <= MAX_SLIDER_POSITIONS else "number"


def _decimals(x: float) -> int:
    text = f"{x:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def slider_step(spec: ParamSpec) -> float:
    """A round step giving about 100 positions, fine enough to hit the default exactly."""
    if spec.type == "int":
        return 1
    span = (spec.max or 0.0) - (spec.min or 0.0)
    if span <= 0:
        return 0.01
    magnitude = 10 ** math.floor(math.log10(span / 100))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= span / 100)
    default_step = 10.0 ** -_decimals(float(spec.default))
    return round(min(step, default_step), 10)


def label_with_unit(spec: ParamSpec) -> str:
    """Schema label plus unit, e.g. ``Production pressure (0–1)``."""
    return f"{spec.label} ({spec.unit})" if spec.unit else spec.label


def help_text(spec: ParamSpec) -> str:
    """Description, allowed values and source: what a leader reads under a control."""
    return f"{spec.description}. Allowed: {spec.allowed()}. Source: {spec.source}."


def with_value(overrides: Mapping[str, Any], spec: ParamSpec, value: Any) -> dict[str, Any]:
    """Overrides after setting one parameter; a value equal to the default is dropped.

    Raises :class:`impl_sim.params.ParamError` for a value the schema does not allow.
    """
    value = coerce(spec, value)
    Params.from_overrides({spec.name: value})  # validate: ParamError names key and range
    changed = {k: v for k, v in overrides.items() if k != spec.name}
    if value != spec.default:
        changed[spec.name] = value
    return changed


def coerce(spec: ParamSpec, value: Any) -> Any:
    """A widget's value in the schema's type (sliders send floats; ints stay ints)."""
    if spec.type == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if spec.type == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def value_of(overrides: Mapping[str, Any], spec: ParamSpec) -> Any:
    """The value a control shows: the override, else the schema default."""
    return overrides.get(spec.name, spec.default)
