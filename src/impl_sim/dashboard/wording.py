"""Words a service leader uses: plain labels, units, values and outcome texts in one place.

Plain Python (no Solara). Parameter labels come from the schema (``ParamSpec.plain``, else
``label``); outcome texts read the outcome metadata's ``plain`` and ``denominator`` (contract
C1) when present and fall back to the texts below, keyed by outcome name. Nothing here decides
a number: it only says numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import ParamSpec

# Choice values said in words (leaders.style).
CHOICE_WORDS: dict[str, str] = {
    "passive_support": "passive support (“you may do it”)",
    "implementation_leadership": "implementation leadership",
    "ils_scores": "as measured in Norwegian services (average leadership scores)",
}
# Short forms for names generated from differences ("today + implementation leadership").
CHOICE_SHORT: dict[str, str] = {
    "passive_support": "passive leaders",
    "implementation_leadership": "implementation leadership",
    "ils_scores": "leaders as measured",
}

# What a choice means, where the schema's description names the values in code.
PLAIN_DESCRIPTIONS: dict[str, str] = {
    "leaders.style": "Passive support: leaders allow CPP (“you may do it”) but do little to make "
    "it possible. Implementation leadership: proactive, knowledgeable and perseverant about "
    "CPP. As measured: the four leadership scores under More settings ▸ Leaders (averages from "
    "Norwegian services).",
}

# Units as a leader writes them; a share unit is shown as a percentage.
PERCENT_UNITS = {"share/year": "% a year", "share": "%", "share of staff": "% of staff",
                 "share of families": "% of families", "probability": "%"}
PLAIN_UNITS = {"0–1": "0 = none, 1 = most", "hours/week": "h/week", "EUR": "€",
               "families/month": "families/month", "sessions/month": "sessions/month"}


def param_label(spec: ParamSpec) -> str:
    """The leader-facing label of a parameter (the schema's ``plain``, else its label)."""
    return getattr(spec, "plain", "") or spec.label


def plain_description(spec: ParamSpec) -> str:
    """The sentence under a control: a plain rewording where the schema's names codes."""
    return PLAIN_DESCRIPTIONS.get(spec.name, spec.description.rstrip(".") + ".")


def is_percent(spec: ParamSpec) -> bool:
    return spec.unit in PERCENT_UNITS


def unit_words(spec: ParamSpec) -> str:
    """``% a year`` for a share per year, ``h/week`` for hours per week, … ('' if none)."""
    if is_percent(spec):
        return PERCENT_UNITS[spec.unit]
    return PLAIN_UNITS.get(spec.unit, spec.unit)


def value_words(spec: ParamSpec, value: Any) -> str:
    """A parameter value as a leader reads it: ``30 % a year``, ``2 h/week``, ``on``."""
    if spec.choices:
        return CHOICE_WORDS.get(str(value), str(value).replace("_", " "))
    if spec.type == "bool":
        return "on" if value else "off"
    if is_percent(spec):
        return f"{100 * float(value):.0f} {PERCENT_UNITS[spec.unit]}"
    unit = PLAIN_UNITS.get(spec.unit, spec.unit)
    if spec.unit == "0–1":
        return f"{float(value):.2g}"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown} {unit}".strip()


def range_words(spec: ParamSpec) -> str:
    """The allowed values in words: ``from 0 % to 90 % a year``."""
    if spec.choices:
        return "one of: " + "; ".join(CHOICE_WORDS.get(c, c) for c in spec.choices)
    if spec.type == "bool":
        return "on or off"
    if spec.min is None or spec.max is None:
        return "any number"
    return f"from {value_words(spec, spec.min)} to {value_words(spec, spec.max)}"


def control_label(spec: ParamSpec, value: Any) -> str:
    """What a slider says: its plain label and the current value in words."""
    return f"{param_label(spec)}: {value_words(spec, value)}"


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeWords:
    """How a leader hears one outcome.

    ``plain`` names it; ``denominator`` names the group a share is of ("" for counts and
    money); ``group`` says which count the dashboard can put in front of the denominator:
    ``posts`` (therapist posts), ``services``, ``enrolled`` (the therapists who started
    training, counted in the run) or "" (no count).
    """

    plain: str
    denominator: str = ""
    group: str = ""


OUTCOME_WORDS: dict[str, OutcomeWords] = {
    "delivering_therapists_24m": OutcomeWords(
        "therapists still delivering CPP two years after training ends",
        "therapist posts", "posts"),
    "sustainment_enrolled_24m": OutcomeWords(
        "therapists who started training and still deliver CPP two years after it ends",
        "therapists who started training in the first cohort", "enrolled"),
    "sustainment_24m": OutcomeWords(
        "trained therapists still delivering CPP two years after training ends",
        "trained therapists still in post"),
    "sustainment_12m": OutcomeWords(
        "trained therapists still delivering CPP one year after training ends",
        "trained therapists still in post"),
    "sustainment_36m": OutcomeWords(
        "trained therapists still delivering CPP three years after training ends",
        "trained therapists still in post"),
    "adoption": OutcomeWords("trained therapists who took at least one CPP case",
                             "therapists who completed training"),
    "service_sustainment_24m": OutcomeWords(
        "services with a therapist still delivering CPP two years after training ends",
        "services", "services"),
    "service_sustainment_36m": OutcomeWords(
        "services with a therapist still delivering CPP three years after training ends",
        "services", "services"),
    "services_programme_sustained": OutcomeWords(
        "services that never stopped offering CPP", "services that started delivering CPP"),
    "cases_started": OutcomeWords("families who started CPP"),
    "cases_completed": OutcomeWords("families who completed CPP"),
    "cases_dropped": OutcomeWords("families who left CPP early"),
    "completion_rate": OutcomeWords("families who completed CPP",
                                    "families whose CPP ended (completed or left early)"),
    "improvement_rate": OutcomeWords("families who improved", "families who completed CPP"),
    "penetration": OutcomeWords("eligible families who received CPP", "eligible referrals"),
    "training_completion": OutcomeWords(
        "therapists who completed training",
        "enrolled therapists who stayed in post until the programme ended"),
    "training_turnover": OutcomeWords("enrolled therapists who left the job during training",
                                      "enrolled therapists"),
    "trained_retention": OutcomeWords("trained therapists still in post at the end",
                                      "therapists who completed training"),
    "delivering_at_training_end": OutcomeWords(
        "first-cohort therapists delivering CPP when training ends",
        "therapists enrolled in the first cohort"),
    "certified_share": OutcomeWords("trained therapists who met the training-case requirement",
                                    "therapists who completed training"),
    "delivery_drop_after_training": OutcomeWords(
        "fall in delivery in the year after training", "therapists delivering in the last "
        "6 months of training"),
    "time_to_first_case": OutcomeWords("months from enrolment to the first CPP case"),
    "cost_total": OutcomeWords("total cost"),
    "cost_per_completed_case": OutcomeWords("cost per completed CPP case"),
}


def outcome_words(name: str) -> OutcomeWords:
    """Plain name and denominator of an outcome: the outcome's own metadata (C1), where the
    texts here do not say it in a leader's words."""
    outcome = OUTCOMES[name]
    fallback = OUTCOME_WORDS.get(name)
    if fallback is None:
        return OutcomeWords(getattr(outcome, "plain", "") or outcome.label.lower(),
                            getattr(outcome, "denominator", ""))
    plain = getattr(outcome, "plain", "") or fallback.plain
    denominator = fallback.denominator or getattr(outcome, "denominator", "")
    return OutcomeWords(plain, denominator, fallback.group)


def outcome_label(name: str) -> str:
    """Capitalised plain name of an outcome for tables and headings."""
    text = outcome_words(name).plain
    return text[:1].upper() + text[1:]


def percent(x: float) -> str:
    return f"{100 * x:.0f} %"


def euro(x: float) -> str:
    return f"{'−' if x < 0 else ''}€{abs(x):,.0f}"


def count(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.1f}".replace(".0", "")


def signed(text: str, x: float) -> str:
    """``+3`` / ``−3`` (a real minus sign) in front of a formatted magnitude."""
    return ("+" if x > 0 else "−" if x < 0 else "±") + text


def format_outcome(name: str, x: float, groups: Mapping[str, int] | None = None) -> str:
    """One outcome value in words: ``72 %``, ``€12,300``, ``10 of 40``, ``3.4 months``."""
    outcome = OUTCOMES[name]
    if outcome.unit == "EUR":
        return euro(x)
    if outcome.share:
        return percent(x)
    if outcome.unit == "months":
        return f"{x:.1f} months"
    return count(x)
