"""Honest names for the sides of a what-if, generated from what differs.

B is called after what it changes relative to A — "today + protected time 2 h/week + central
routing" — so a heading, a legend or a downloaded file can never call B something it is not.
A user's own name wins until they clear it. Scenario files need arm names of letters, digits,
``-``, ``_`` and ``.``: :func:`arm_id` turns a name into one.

Plain Python (no Solara).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from impl_sim.dashboard.questions import named_settings
from impl_sim.dashboard.wording import CHOICE_SHORT, param_label, value_words
from impl_sim.params import param_spec

STRATEGY_PREFIX = "strategies."
ARM_ID_MAX = 80  # the scenario loader's limit on arm names

# A strategy in words, with the dose setting that belongs in its name (if any).
STRATEGY_WORDS: dict[str, tuple[str, str]] = {
    "protected_time": ("protected time", "hours_per_week"),
    "booster_consultation": ("booster consultation", "sessions_per_month"),
    "central_case_routing": ("central routing", ""),
    "leadership_training": ("leader training", ""),
    "champions": ("champions", "per_service"),
    "audit_feedback": ("audit and feedback", "interval_months"),
    "commissioning_support": ("commissioner support", ""),
    "tailored_readiness_support": ("readiness support", ""),
    "ongoing_training": ("ongoing training", "interval_months"),
}
DOSE_WORDS = {"hours_per_week": "{:g} h/week", "sessions_per_month": "{:g} a month",
              "per_service": "{} per service", "interval_months": "every {} months"}


def _value(overrides: Mapping[str, Any], name: str) -> Any:
    return overrides.get(name, param_spec(name).default)


def _strategy_phrase(strategy: str, b: Mapping[str, Any], a: Mapping[str, Any]) -> str | None:
    """How B's use of one strategy differs from A's, in words (None if it does not)."""
    prefix = f"{STRATEGY_PREFIX}{strategy}."
    keys = {k for k in (*a, *b) if k.startswith(prefix)}
    changed = sorted(k for k in keys if _value(b, k) != _value(a, k))
    if not changed:
        return None
    words, dose = STRATEGY_WORDS.get(strategy, (strategy.replace("_", " "), ""))
    if not _value(b, prefix + "enabled"):
        return f"no {words}"
    parts = [words]
    if dose:
        parts.append(DOSE_WORDS[dose].format(_value(b, prefix + dose)))
    for key in changed:
        setting = key[len(prefix):]
        if setting not in ("enabled", dose):
            spec = param_spec(key)
            parts.append(f"{param_label(spec).lower()} {value_words(spec, _value(b, key))}")
    return " ".join(parts[:2]) + (f" ({', '.join(parts[2:])})" if len(parts) > 2 else "")


def _setting_phrase(name: str, value: Any) -> str:
    spec = param_spec(name)
    if spec.choices:
        return CHOICE_SHORT.get(str(value), str(value).replace("_", " "))
    return f"{param_label(spec).lower()} {value_words(spec, value)}"


def differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """What B changes relative to A, one phrase per concept.

    A one-click question with a ``name`` ("funding lost in year 3") names the settings it set
    when B has all of them; the rest are named strategy by strategy, then setting by setting.
    """
    changed = {k for k in (*a, *b) if _value(b, k) != _value(a, k)}
    phrases: list[str] = []
    for settings, name in named_settings():
        keys = set(settings)
        if keys & changed and all(_value(b, k) == v for k, v in settings.items()):
            phrases.append(name)
            changed -= keys
    a = {k: v for k, v in a.items() if k in changed}
    b = {k: v for k, v in b.items() if k in changed}
    strategies = sorted({k.split(".")[1] for k in (*a, *b) if k.startswith(STRATEGY_PREFIX)},
                        key=lambda s: list(STRATEGY_WORDS).index(s)
                        if s in STRATEGY_WORDS else len(STRATEGY_WORDS))
    for strategy in strategies:
        phrase = _strategy_phrase(strategy, b, a)
        if phrase:
            phrases.append(phrase)
    for name in [k for k in dict.fromkeys((*a, *b)) if not k.startswith(STRATEGY_PREFIX)]:
        phrases.append(_setting_phrase(name, _value(b, name)))
    return phrases


def generated_name(base: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """``today + protected time 2 h/week + central routing``; an unchanged copy says so."""
    phrases = differences(a, b)
    if not phrases:
        return f"{base} (unchanged copy)"
    return " + ".join([base, *phrases])


def arm_id(name: str, taken: str = "") -> str:
    """A scenario arm name for a display name: ``today_protected_time_2_h_week``.

    Different from ``taken`` (the other side's id), at most 80 characters.
    """
    slug = re.sub(r"[^a-z0-9.]+", "_", name.lower().replace("+", " ")).strip("_.")
    slug = slug or "arm"
    if not slug[0].isalnum():
        slug = "arm_" + slug
    slug = slug[:ARM_ID_MAX].rstrip("_.")
    if slug == taken:
        slug = slug[:ARM_ID_MAX - 2] + "_b"
    return slug
