"""One plain-language sentence per key outcome, for service leaders.

"With B, about 14 of 40 therapists (10–18) still deliver CPP 24 months after training ends,
vs 7 (4–10) with A." Numbers are medians across the simulated futures; brackets give the middle
80 % (10th–90th percentile). A second sentence says whether the paired difference B − A is
clear at this number of runs (its 95 % interval excludes zero).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from impl_sim.dashboard.ensemble import Ensemble, Spread
from impl_sim.model.outcomes import OUTCOMES


def _count(x: float) -> str:
    return f"{x:,.0f}"


def _percent(x: float) -> str:
    return f"{100 * x:.0f} %"


def _euro(x: float) -> str:
    return f"€{x:,.0f}"


def _months(x: float) -> str:
    return f"{x:.1f} months"


@dataclass(frozen=True)
class Phrase:
    """How to say one outcome: the B clause (slots {value}, {of}, {range}) and a format.

    ``per`` scales a share to a count ("services": 0.75 × 4 services = 3 services) and adds
    "of N" after the value; ``of="therapists"`` adds "of N" without scaling.
    """

    outcome: str
    fmt: Callable[[float], str]
    clause: str
    of: str = ""  # "" | "therapists" | "services" | "enrolled" (the first training cohort)
    unit: str = ""  # of a count difference: "therapists", "families"

    def size(self, ens: Ensemble, arm: str) -> int:
        if self.of == "enrolled":
            return round(ens.spread(arm, "enrolled_total").median)
        return ens.therapist_posts(arm) if self.of == "therapists" else ens.services(arm)

    def scale(self, ens: Ensemble, arm: str) -> float:
        return float(ens.services(arm)) if self.of == "services" else 1.0

    def total(self, ens: Ensemble, arm: str) -> str:
        if self.of == "enrolled":
            return f"{self.size(ens, arm)}"
        return f" of {self.size(ens, arm)}" if self.of else ""


PHRASES: tuple[Phrase, ...] = (
    Phrase("delivering_therapists_24m", _count,
           "about {value}{of} therapists {range} still deliver CPP 24 months after training "
           "ends", of="therapists"),
    Phrase("sustainment_enrolled_24m", _percent,
           "of the {of} therapists who started training, {value} {range} still deliver CPP "
           "24 months after training ends", of="enrolled"),
    Phrase("sustainment_24m", _percent,
           "{value} {range} of the trained therapists still in post (leavers not counted) "
           "deliver CPP at 24 months"),
    Phrase("adoption", _percent,
           "{value} {range} of the therapists who completed training start at least one CPP "
           "case"),
    Phrase("service_sustainment_24m", _count,
           "{value}{of} services {range} still offer CPP 24 months after training ends",
           of="services"),
    Phrase("cases_started", _count, "about {value} families {range} start CPP",
           unit="families"),
    Phrase("cost_per_completed_case", _euro,
           "all costs (implementation and therapists' session time) come to about {value} "
           "{range} per completed CPP case"),
)


def _range(s: Spread, fmt: Callable[[float], str], k: float = 1.0) -> str:
    if fmt is _percent:
        return f"({100 * s.lo:.0f}–{100 * s.hi:.0f} %)"
    return f"({fmt(k * s.lo)}–{fmt(k * s.hi)})"


def sentence(ens: Ensemble, phrase: Phrase) -> str:
    """"With B, … vs … with A." plus whether the difference is clear."""
    a, b = ens.arms
    sa, sb = ens.spread(a, phrase.outcome), ens.spread(b, phrase.outcome)
    if math.isnan(sa.median) or math.isnan(sb.median):
        return (f"{OUTCOMES[phrase.outcome].label}: not measurable in this run — the horizon "
                f"({ens.scenario.horizon_months} months) ends too early, or no case finished.")
    ka, kb = phrase.scale(ens, a), phrase.scale(ens, b)
    clause_b = phrase.clause.format(value=phrase.fmt(kb * sb.median), of=phrase.total(ens, b),
                                    range=_range(sb, phrase.fmt, kb))
    return (f"With B, {clause_b}, vs {phrase.fmt(ka * sa.median)} "
            f"{_range(sa, phrase.fmt, ka)} with A. {verdict(ens, phrase)}")


def verdict(ens: Ensemble, phrase: Phrase) -> str:
    """Whether B − A is distinguishable from chance with this many paired runs."""
    d = ens.difference(phrase.outcome)
    if d["n"] < 2 or math.isnan(d["lo"]):
        return "(Too few runs to judge the difference.)"
    fmt, unit = _signed(phrase, phrase.scale(ens, ens.arms[1]))
    span = (f"B − A = {fmt(d['mean'])}{unit} (95 % interval {fmt(d['lo'])} to "
            f"{fmt(d['hi'])})")
    if d["lo"] > 0 or d["hi"] < 0:
        better = (d["lo"] > 0) == OUTCOMES[phrase.outcome].higher_is_better
        return f"{span}: {'B is better' if better else 'B is worse'}."
    return f"{span}: no clear difference with {d['n']} runs each."


def _signed(phrase: Phrase, k: float) -> tuple[Callable[[float], str], str]:
    """A signed number format for differences, and the unit written once after the mean."""
    if phrase.fmt is _percent:
        return (lambda x: f"{100 * x:+.0f}"), " percentage points"
    if phrase.fmt is _euro:
        return (lambda x: f"{'+' if x >= 0 else '−'}€{abs(x):,.0f}"), ""
    unit = phrase.unit or phrase.of
    return (lambda x: f"{k * x:+,.1f}"), (f" {unit}" if unit else "")


def sentences(ens: Ensemble) -> list[str]:
    """One sentence per key outcome, in the order leaders asked for them."""
    return [sentence(ens, p) for p in PHRASES]


BAND_NOTE = ("Numbers are medians of the simulated futures; brackets give the middle 80 % "
             "(10th–90th percentile). A and B share their random draws (same families, same "
             "people leaving), so B − A compares like with like.")
