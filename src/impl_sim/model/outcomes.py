"""Implementation outcomes (Proctor et al.): one definition each, as series and summaries.

Definitions (also in docs/odd.md):

* **trained therapist**: completed the training programme (any cohort).
* **delivering**: carries at least one active CPP case this month.
* **sustaining**: a trained therapist still in post who had an active CPP case in the last
  6 months. ``sustainment_Nm`` is the share of trained therapists still in post who are
  sustaining, N months after the first cohort's training ends; turnover shows separately in
  ``trained_retention`` and in the absolute ``delivering_therapists_24m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from impl_sim.model.cases import COMPLETED, DROPPED
from impl_sim.model.effects import effect_sizes
from impl_sim.model.states import DISCONTINUED, IN_TRAINING, State

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel

SUSTAINMENT_WINDOW = 6  # months: "delivered CPP in the last 6 months"


@dataclass(frozen=True)
class Outcome:
    """Metadata of one outcome: results know their labels (for tables, plots, sentences)."""

    name: str
    label: str
    unit: str
    description: str
    share: bool = False  # lies in [0, 1]
    higher_is_better: bool = True


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("adoption", "Adoption", "share",
            "Share of trained therapists who started at least one CPP case", share=True),
    Outcome("time_to_first_case", "Time to first case", "months",
            "Mean months from enrolment to the first CPP case, among therapists who started one",
            higher_is_better=False),
    Outcome("penetration", "Penetration", "share",
            "Share of eligible referrals that received CPP", share=True),
    Outcome("fidelity", "Fidelity", "0–1",
            "Mean fidelity over all CPP case-months delivered", share=True),
    Outcome("fidelity_adjusted_delivery", "Fidelity-adjusted delivery", "case-months",
            "Sum over all CPP case-months of the therapist's fidelity that month (S5)"),
    Outcome("sustainment_12m", "Sustainment at 12 months", "share",
            "Share of trained therapists in post who delivered CPP in the last 6 months, "
            "12 months after training ended", share=True),
    Outcome("sustainment_24m", "Sustainment at 24 months", "share",
            "As sustainment_12m, 24 months after training ended", share=True),
    Outcome("sustainment_36m", "Sustainment at 36 months", "share",
            "As sustainment_12m, 36 months after training ended", share=True),
    Outcome("service_sustainment_24m", "Services sustaining at 24 months", "share",
            "Share of services with at least one sustaining therapist, 24 months after training "
            "ended", share=True),
    Outcome("service_sustainment_36m", "Services sustaining at 36 months", "share",
            "As service_sustainment_24m, 36 months after training ended", share=True),
    Outcome("delivery_drop_after_training", "Fall in delivery after training", "share",
            "1 − (therapists delivering in months 6–17 after training ended) / (in the last "
            "6 months of training): the sustainment cliff (S6)", higher_is_better=False),
    Outcome("delivering_therapists_24m", "Therapists sustaining at 24 months", "therapists",
            "Number of sustaining therapists 24 months after training ended (capacity)"),
    Outcome("trained_retention", "Retention of trained therapists", "share",
            "Share of all therapists who completed training who are still in post at the end",
            share=True),
    Outcome("training_completion", "Training completion", "share",
            "Completed / (completed + quit the programme) among enrolled therapists who stayed "
            "in post until their programme ended (F9); job leavers show in training_turnover",
            share=True),
    Outcome("training_turnover", "Left the job during training", "share",
            "Share of enrolled therapists who left their post before their programme ended",
            share=True, higher_is_better=False),
    Outcome("delivering_at_training_end", "Delivering at training end", "share",
            "Share of the first cohort's enrolled therapists sustaining when its training ends",
            share=True),
    Outcome("certified_share", "Certified", "share",
            "Share of trained therapists who met the training-case requirement", share=True),
    Outcome("cases_started", "CPP cases started", "cases", "CPP cases started in the run"),
    Outcome("cases_completed", "CPP cases completed", "cases", "CPP cases completed"),
    Outcome("cases_dropped", "CPP cases dropped", "cases",
            "CPP cases the family left early", higher_is_better=False),
    Outcome("completion_rate", "Family completion rate", "share",
            "Completed / (completed + dropped out) among ended CPP cases", share=True),
    Outcome("improvement_rate", "Improvement rate", "share",
            "Share of completed CPP cases in which the family improved", share=True),
    Outcome("cases_per_trained_therapist", "Cases per trained therapist", "cases",
            "CPP cases started per therapist who completed training"),
    Outcome("cost_total", "Total cost", "EUR", "Training, consultation, protected time and "
            "strategy costs", higher_is_better=False),
    Outcome("cost_per_completed_case", "Cost per completed case", "EUR",
            "Total cost divided by completed CPP cases", higher_is_better=False),
    Outcome("months_funded", "Months funded", "months",
            "Mean months a service was funded for CPP"),
    Outcome("funding_losses", "Funding losses", "events",
            "Times a service lost its CPP funding at a commissioning review (all services)",
            higher_is_better=False),
    Outcome("funding_returns", "Funding restarts", "events",
            "Times an unfunded service regained CPP funding — stop–restart (all services)"),
    Outcome("leadership_climate_d", "Leadership → climate (d)", "SD",
            "Climate difference between services with above- vs below-median leadership, 24 "
            "months after training ended, in pooled SDs across services (model/effects.py)"),
    Outcome("climate_use_d", "Climate → CPP use (d)", "SD",
            "Difference in the share of trained therapists sustaining 24 months after training "
            "ended between services with above- vs below-median climate at training end, in "
            "pooled SDs across services (model/effects.py)"),
)}

@dataclass(frozen=True)
class Series:
    """Metadata of one monthly series: label and unit for axes, description for titles."""

    name: str
    label: str
    unit: str
    description: str


# Every monthly series a run records, in one place (report axes, dashboard, validation names).
# Descriptions are short enough for a panel title. ``sustainment`` is NaN until someone has
# completed training (0 / 0) and 0 once every trained therapist has left; ``adopted_ever``
# counts the adopters still in post, so it falls when they leave (the ``adoption`` outcome
# counts leavers too).
SERIES_INFO: dict[str, Series] = {s.name: s for s in (
    Series("in_training", "In training", "therapists", "Therapists in training"),
    Series("trained_in_post", "Trained in post", "therapists", "Trained therapists in post"),
    Series("delivering", "Delivering", "therapists",
           "Therapists delivering CPP (≥ 1 active case)"),
    Series("sustaining", "Sustaining", "therapists",
           "Trained therapists who delivered in the last 6 months"),
    Series("sustainment", "Sustainment", "share", "Sustaining / trained therapists in post"),
    Series("adopted_ever", "Adopters in post", "therapists",
           "Therapists in post who ever started a CPP case"),
    Series("discontinued", "Discontinued", "therapists",
           "Therapists in post who have discontinued CPP"),
    Series("active_cases", "Active cases", "cases", "Active CPP cases"),
    Series("referrals", "Referrals", "families/month", "Eligible referrals this month"),
    Series("cpp_starts", "CPP starts", "cases/month", "CPP cases started this month"),
    Series("climate", "Climate", "0–1", "Mean implementation climate"),
    Series("motivation", "Motivation", "0–1", "Mean motivation of therapists who can deliver"),
    Series("readiness", "Readiness", "0–1",
           "Mean psychological readiness of therapists who can deliver"),
    Series("funded_services", "Funded services", "services", "Services funded for CPP"),
    Series("leavers_cumulative", "Leavers", "therapists",
           "Therapists who have left since month 0"),
    Series("services_sustaining", "Services sustaining", "services",
           "Services with at least one sustaining therapist"),
)}
# Monthly series recorded by every run (name → description); units in SERIES_INFO/SERIES_UNITS.
SERIES: dict[str, str] = {name: s.description for name, s in SERIES_INFO.items()}
SERIES_UNITS: dict[str, str] = {name: s.unit for name, s in SERIES_INFO.items()}


class MonthlySeries:
    """Preallocated arrays, one value per month (no deep copies, DESIGN brief)."""

    def __init__(self, horizon: int, n_services: int) -> None:
        self.horizon = horizon
        self.values = {name: np.zeros(horizon) for name in SERIES}
        self.services_sustaining = self.values["services_sustaining"]
        self._anyone_trained = False  # sustainment is undefined until then

    def record_referrals(self, month: int, n: int) -> None:
        self.values["referrals"][month] = n

    def record(self, model: ImplementationModel) -> None:
        pool, m, v = model.therapists, model.month, self.values
        trained = pool.completed_training
        sustaining = trained & pool.delivered_within(m, SUSTAINMENT_WINDOW)
        able = pool.can_deliver()
        in_state = np.bincount(pool.state, minlength=len(State)).tolist()
        trained_in_post = np.count_nonzero(trained)
        n_sustaining = np.count_nonzero(sustaining)
        v["in_training"][m] = in_state[IN_TRAINING]
        v["trained_in_post"][m] = trained_in_post
        v["delivering"][m] = np.count_nonzero(pool.cpp_caseload)
        v["sustaining"][m] = n_sustaining
        # Leavers who completed training count too: they finished and left in the same month.
        self._anyone_trained = self._anyone_trained or trained_in_post > 0 or any(
            d["completed_training"] for d in model.departures)
        v["sustainment"][m] = (n_sustaining / max(trained_in_post, 1) if self._anyone_trained
                               else float("nan"))
        v["adopted_ever"][m] = np.count_nonzero(pool.first_case_month >= 0)
        v["discontinued"][m] = in_state[DISCONTINUED]
        v["active_cases"][m] = len(model.cases.active)
        v["cpp_starts"][m] = model.cpp_starts_this_month
        v["climate"][m] = model.services.climate.sum() / model.services.n
        n_able = np.count_nonzero(able)
        v["motivation"][m] = pool.motivation @ able / n_able if n_able else 0.0
        v["readiness"][m] = pool.readiness @ able / n_able if n_able else 0.0
        v["funded_services"][m] = np.count_nonzero(model.services.funded)
        v["leavers_cumulative"][m] = len(model.departures)
        self.services_sustaining[m] = np.count_nonzero(
            np.bincount(pool.service[sustaining], minlength=model.services.n))

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self.values)


def _at(series: np.ndarray, month: int) -> float:
    return float(series[month]) if 0 <= month < len(series) else float("nan")


def _safe_div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _everyone(model: ImplementationModel) -> dict[str, np.ndarray]:
    """Person-level records of everyone who held a post: those in post now, then the leavers."""
    pool, gone = model.therapists, model.departures
    fields = ("completed_training", "enrolled_month", "first_case_month", "cases_started",
              "certified")
    people = {f: np.concatenate([getattr(pool, f), np.array([d[f] for d in gone],
                                                             dtype=getattr(pool, f).dtype)])
              for f in fields}
    states = [State(int(s)).name.lower() for s in pool.state] + [d["state_before"] for d in gone]
    people["state"] = np.array(states, dtype=object)
    people["left"] = np.arange(len(states)) >= pool.n
    return people


def _training_funnel(people: dict[str, np.ndarray]) -> dict[str, float]:
    """F9's funnel: who completed, who quit the programme, who left the job during training.

    Completion is counted among those who stayed in post until their programme ended, so that
    staff turnover (F12) is not mistaken for failing the training; it is reported separately.
    """
    enrolled = people["enrolled_month"] >= 0
    completed = people["completed_training"]
    quit_programme = enrolled & ~completed & (people["state"] == "discontinued")
    left_in_training = enrolled & people["left"] & (people["state"] == "in_training")
    n_completed = int(completed.sum())
    return {
        "training_completion": _safe_div(n_completed, n_completed + int(quit_programme.sum())),
        "training_turnover": _safe_div(int(left_in_training.sum()), int(enrolled.sum())),
    }


def _mean_in(series: np.ndarray, start: int, stop: int) -> float:
    """Mean of ``series`` over months [start, stop), NaN unless the window lies in the run."""
    if start < 0 or stop > len(series) or start >= stop:
        return float("nan")
    return float(series[start:stop].mean())


def summarise(model: ImplementationModel) -> dict[str, float]:
    """End-of-run outcomes, one number each (NaN where undefined, e.g. a horizon too short)."""
    pool, cases, series = model.therapists, model.cases, model.series
    v = series.values
    people = _everyone(model)
    trained = people["completed_training"]
    trained_total = int(trained.sum())
    adopters = int((trained & (people["first_case_month"] >= 0)).sum())
    started = (people["first_case_month"] >= 0) & (people["enrolled_month"] >= 0)
    waits = (people["first_case_month"] - people["enrolled_month"])[started]
    completed, dropped = cases.count(COMPLETED), cases.count(DROPPED)
    improved = int(cases.improved[: cases.size].sum())
    end = model.first_training_end
    cost = float(sum(model.costs.values()))
    cohort_size = max(len(model._first_cohort), 1)
    before_end = _mean_in(v["delivering"], end - 6, end)
    return {
        "adoption": _safe_div(adopters, trained_total),
        "time_to_first_case": float(waits.mean()) if len(waits) else float("nan"),
        "penetration": _safe_div(model.tally["cpp_starts"], model.tally["referrals"]),
        "fidelity": _safe_div(model.tally["fidelity_sum"], model.tally["case_months"]),
        "fidelity_adjusted_delivery": float(model.tally["fidelity_sum"]),
        "sustainment_12m": _at(v["sustainment"], end + 12),
        "sustainment_24m": _at(v["sustainment"], end + 24),
        "sustainment_36m": _at(v["sustainment"], end + 36),
        "service_sustainment_24m": _at(series.services_sustaining, end + 24) / model.services.n,
        "service_sustainment_36m": _at(series.services_sustaining, end + 36) / model.services.n,
        "delivering_therapists_24m": _at(v["sustaining"], end + 24),
        "delivery_drop_after_training": (
            1.0 - _safe_div(_mean_in(v["delivering"], end + 6, end + 18), before_end)),
        "trained_retention": _safe_div(float(pool.completed_training.sum()), trained_total),
        **_training_funnel(people),
        "delivering_at_training_end": _at(v["sustaining"], end) / cohort_size,
        "certified_share": _safe_div(int((trained & people["certified"]).sum()), trained_total),
        "cases_started": float(model.tally["cpp_starts"]),
        "cases_completed": float(completed),
        "cases_dropped": float(dropped),
        "completion_rate": _safe_div(completed, completed + dropped),
        "improvement_rate": _safe_div(improved, completed),
        "cases_per_trained_therapist": _safe_div(
            int(people["cases_started"][trained].sum()), trained_total),
        "cost_total": cost,
        "cost_per_completed_case": _safe_div(cost, completed),
        "months_funded": float(model.services.months_funded.mean()),
        "funding_losses": float(model.services.funding_losses.sum()),
        "funding_returns": float(model.services.funding_returns.sum()),
        **effect_sizes(model.snapshots, end),
    }

