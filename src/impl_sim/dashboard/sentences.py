"""Plain-language sentences for service leaders, with one uncertainty statement throughout.

Every number is a mean over the simulated futures of one side, every range its 95 % interval,
and every comparison the paired difference B − A with its 95 % interval. When that interval
includes zero the sentence says "no clear difference" — never "better". Every share names its
group ("of the trained therapists still in post"). Costs are given three ways: total, per
completed case, and per *extra* completed case.
"""

from __future__ import annotations

import math

from impl_sim.dashboard.ensemble import Ensemble
from impl_sim.dashboard.wording import count, euro, outcome_words, percent
from impl_sim.model.outcomes import OUTCOMES

# The outcomes leaders asked about first, in the order they are said.
KEY_SENTENCES = ("delivering_therapists_24m", "sustainment_enrolled_24m", "sustainment_24m",
                 "adoption", "service_sustainment_24m", "cases_started")

UNCERTAINTY_NOTE = (
    "Each number is the average over the {n} simulated futures of each side; the range in "
    "brackets is its 95 % interval. B − A compares like with like: both sides meet the same "
    "families and the same chance events. “No clear difference” means the 95 % interval of "
    "B − A includes zero — more simulated futures narrow it.")


def uncertainty_note(ens: Ensemble) -> str:
    """The one statement of what every range on the page is."""
    return UNCERTAINTY_NOTE.format(n=ens.scenario.replications)


def _scale(ens: Ensemble, name: str, arm: str) -> tuple[float, str]:
    """(multiplier, " of N group") turning an outcome into a count of a named group."""
    words = outcome_words(name)
    if words.group == "posts":
        return 1.0, f" of {ens.therapist_posts(arm)} {words.denominator}"
    if words.group == "services":
        n = ens.services(arm)
        return float(n), f" of {n} {words.denominator}"
    return 1.0, ""


def first_cohort(ens: Ensemble, arm: str) -> int:
    """Therapists enrolled in the first cohort: the posts times the enrolled share."""
    p = ens.scenario.params_for(arm)
    return round(ens.therapist_posts(arm) * p.training.enrolled_share)


def _value(name: str, x: float, k: float) -> str:
    outcome = OUTCOMES[name]
    if outcome.unit == "EUR":
        return euro(x)
    if outcome.share and k == 1.0:
        return percent(x)
    if outcome.unit == "months":
        return f"{x:.1f} months"
    return count(k * x)


def _range(name: str, m: dict[str, float], k: float) -> str:
    """``(81–94 %)``: the 95 % interval of a side's mean (a share kept within 0–100 %)."""
    lo, hi = m["lo"], m["hi"]
    if OUTCOMES[name].share:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    if OUTCOMES[name].share and k == 1.0:
        return f"({100 * lo:.0f}–{100 * hi:.0f} %)"
    return f"({_value(name, lo, k)}–{_value(name, hi, k)})"


def _magnitude(name: str, x: float, k: float) -> str:
    outcome = OUTCOMES[name]
    if outcome.unit == "EUR":
        return f"€{abs(x):,.0f}"
    if outcome.share and k == 1.0:
        points = abs(100 * x)
        return f"{points:.1f}" if points < 1 else f"{points:.0f}"
    if outcome.unit == "months":
        return f"{abs(x):.1f}"
    return count(abs(k * x))


def _difference(name: str, x: float, k: float) -> str:
    """A signed difference without its unit: ``+12``, ``−€3,100``, ``+2.5``."""
    text = _magnitude(name, x, k)
    if not any(c in "123456789" for c in text):
        return text  # rounds to zero: no sign
    return ("+" if x > 0 else "−") + text


def _unit(name: str, k: float) -> str:
    """The unit written once after the mean difference."""
    outcome = OUTCOMES[name]
    if outcome.share and k == 1.0:
        return " percentage points"
    if outcome.unit == "months":
        return " months"
    return ""


def say_difference(name: str, x: float) -> str:
    """A difference B − A of one outcome with its unit: ``+12 percentage points``."""
    return f"{_difference(name, x, 1.0)}{_unit(name, 1.0)}"


def say_value(name: str, x: float) -> str:
    """One side's value of an outcome: ``72 %``, ``€12,300``, ``3.4 months``."""
    return _value(name, x, 1.0)


def clear(d: dict[str, float]) -> bool:
    """The paired difference is clear: its 95 % interval excludes zero."""
    return d["n"] >= 2 and not math.isnan(d["lo"]) and (d["lo"] > 0 or d["hi"] < 0)


def verdict(ens: Ensemble, name: str) -> str:
    """``B − A: +3 (95 % interval +2 to +4): clearly better with B.`` or no clear difference.

    Money is never "better" or "worse": it is clearly more or less.
    """
    d = ens.difference(name)
    if d["n"] < 2 or math.isnan(d["lo"]):
        return "Too few simulated futures to compare A and B."
    k, _ = _scale(ens, name, ens.arms[1])
    span = (f"B − A: {_difference(name, d['mean'], k)}{_unit(name, k)} (95 % interval "
            f"{_difference(name, d['lo'], k)} to {_difference(name, d['hi'], k)})")
    if not clear(d):
        return f"{span}: no clear difference."
    if OUTCOMES[name].unit == "EUR":
        return f"{span}: clearly {'more' if d['lo'] > 0 else 'less'} with B."
    better = (d["lo"] > 0) == OUTCOMES[name].higher_is_better
    return f"{span}: clearly {'better' if better else 'worse'} with B."


def sentence(ens: Ensemble, name: str) -> str:
    """One outcome for both sides and their difference, in words."""
    a, b = ens.arms
    words = outcome_words(name)
    ma, mb = ens.mean(a, name), ens.mean(b, name)
    heading = words.plain[:1].upper() + words.plain[1:]
    if math.isnan(ma["mean"]) or math.isnan(mb["mean"]):
        return (f"{heading}: cannot be measured in this run — it ends too early "
                f"({ens.scenario.horizon_months} months) or nobody reached that point.")
    kb, of_b = _scale(ens, name, b)
    ka, _ = _scale(ens, name, a)
    share_of = (f" of the {words.denominator}" if OUTCOMES[name].share and not of_b
                and words.denominator else "")
    if words.group == "enrolled":  # "of the 40 therapists who started training"
        share_of = f" of the {first_cohort(ens, b)} {words.denominator}"
    side_b = f"{_value(name, mb['mean'], kb)}{of_b}{share_of} with B {_range(name, mb, kb)}"
    side_a = f"{_value(name, ma['mean'], ka)} with A {_range(name, ma, ka)}"
    return f"{heading}: {side_b}, {side_a}. {verdict(ens, name)}"


def cost_sentences(ens: Ensemble) -> list[str]:
    """Total cost, cost per completed case, and what each extra completed case costs."""
    a, b = ens.arms
    total_a, total_b = ens.mean(a, "cost_total"), ens.mean(b, "cost_total")
    per_a = ens.mean(a, "cost_per_completed_case")
    per_b = ens.mean(b, "cost_per_completed_case")
    d_cost = ens.difference("cost_total")
    d_done = ens.difference("cases_completed")
    out = [f"Total cost over {ens.scenario.horizon_months} months (implementation — training, "
           "consultation, protected time, strategies — and therapists' session time): "
           f"{euro(total_b['mean'])} with B, {euro(total_a['mean'])} with A. "
           f"{verdict(ens, 'cost_total')}"]
    if not (math.isnan(per_a["mean"]) or math.isnan(per_b["mean"])):
        out.append(f"Cost per completed CPP case: {euro(per_b['mean'])} with B, "
                   f"{euro(per_a['mean'])} with A.")
    out.append(extra_case_sentence(d_cost, d_done))
    return out


def extra_case_sentence(d_cost: dict[str, float], d_done: dict[str, float]) -> str:
    """What B pays for each completed case it adds (the ratio of the two mean differences)."""
    if not clear(d_done):
        return ("B does not clearly complete more (or fewer) CPP cases than A, so there is no "
                "cost per extra completed case to give.")
    if d_done["mean"] < 0:
        return (f"B completes about {count(-d_done['mean'])} fewer CPP cases than A "
                f"(its total cost differs by {_difference('cost_total', d_cost['mean'], 1)}).")
    per_extra = d_cost["mean"] / d_done["mean"]
    if per_extra <= 0:
        return (f"B completes about {count(d_done['mean'])} more CPP cases than A and costs "
                "less in total: no extra cost per extra case.")
    return (f"B completes about {count(d_done['mean'])} more CPP cases than A; each extra "
            f"completed case costs about {euro(per_extra)} (extra total cost ÷ extra cases).")


def sentences(ens: Ensemble) -> list[str]:
    """The key outcomes, then the costs, each in one sentence."""
    return [sentence(ens, name) for name in KEY_SENTENCES] + cost_sentences(ens)
