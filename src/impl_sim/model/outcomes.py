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
from impl_sim.model.constants import MONTHS_PER_YEAR
from impl_sim.model.effects import effect_sizes
from impl_sim.model.states import DISCONTINUED, IN_TRAINING, State

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel

SUSTAINMENT_WINDOW = 6  # months: "delivered CPP in the last 6 months"
# months of the implementation phase after which programme continuation is followed (Bond et
# al. 2014 followed sites from the end of a 2-year implementation phase)
IMPLEMENTATION_PHASE_MONTHS = 24


@dataclass(frozen=True)
class Outcome:
    """Metadata of one outcome: results know their labels (for tables, plots, sentences).

    ``denominator`` says of whom a share (or a per-head figure) is taken, e.g. "therapists
    enrolled in training" — every share names one; ``plain`` is a leader-facing label (filled in
    by the dashboard's texts).
    """

    name: str
    label: str
    unit: str
    description: str
    share: bool = False  # lies in [0, 1]
    higher_is_better: bool = True
    denominator: str = ""
    plain: str = ""


# Denominators ("of whom"), short enough for a table column; the descriptions say the rest.
ENROLLED = "enrolled therapists (leavers included)"
STAYED = "enrolled, still in post at programme end"
TRAINED_IN_POST = "trained therapists in post"
TRAINED_EVER = "therapists who completed training"
COHORT = "first-cohort enrolled therapists"
ADOPTERS = "adopters (leavers included)"
MONTH0_STAFF = "therapists in post at month 0"
SERVICES = "services"
STARTED_UP = "services that started up"
IMPLEMENTING = ("services that had started up and offered CPP at month "
                f"{IMPLEMENTATION_PHASE_MONTHS} (the end of the implementation phase)")
FUNDED0 = "services funded at month 0"
REFERRALS = "eligible referrals"
CASE_MONTHS = "CPP case-months"
ENDED_CASES = "ended CPP cases"
COMPLETED_CASES = "completed CPP cases"


def _after(event: str, n: int, denominator: str) -> Outcome:
    return Outcome(
        f"services_delivering_{n}m_after_{event}",
        f"Services delivering {n} months after {event.replace('_', '-')}", "share",
        f"Share of services with an active CPP case in the {SUSTAINMENT_WINDOW} months up to "
        f"{n} months after their own {event.replace('_', '-')} (first active case, resp. first "
        "certified therapist in post); only services whose that month lies within the run",
        share=True, denominator=denominator)


_DELIVERY_RULE = (f"delivery stops at the first of {SUSTAINMENT_WINDOW} consecutive months "
                  "without an active CPP case; a gap cut short by the run's end is no stop")

OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("adoption", "Adoption", "share",
            "Share of trained therapists who started at least one CPP case", share=True,
            denominator=TRAINED_EVER),
    Outcome("time_to_first_case", "Time to first case", "months",
            "Mean months from enrolment to the first CPP case, among therapists who started one",
            higher_is_better=False,
            denominator="enrolled adopters"),
    Outcome("penetration", "Penetration", "share",
            "Share of eligible referrals that received CPP", share=True,
            denominator=REFERRALS),
    Outcome("fidelity", "Fidelity", "0–1",
            "Mean fidelity over all CPP case-months delivered", share=True,
            denominator=CASE_MONTHS),
    Outcome("fidelity_adjusted_delivery", "Fidelity-adjusted delivery", "case-months",
            "Sum over all CPP case-months of the therapist's fidelity that month (S5)"),
    Outcome("sustainment_12m", "Sustainment at 12 months (in post)", "share",
            "Share of trained therapists in post who delivered CPP in the last 6 months, "
            "12 months after training ended (leavers are not in the denominator: see "
            "sustainment_enrolled_24m and adopters_delivering_24m)", share=True,
            denominator=TRAINED_IN_POST),
    Outcome("sustainment_24m", "Sustainment at 24 months (in post)", "share",
            "As sustainment_12m, 24 months after training ended", share=True,
            denominator=TRAINED_IN_POST),
    Outcome("sustainment_36m", "Sustainment at 36 months (in post)", "share",
            "As sustainment_12m, 36 months after training ended", share=True,
            denominator=TRAINED_IN_POST),
    Outcome("sustainment_enrolled_24m", "Sustainment at 24 months (of enrolled)", "share",
            "Share of the first cohort's enrolled therapists who are still in post and delivered "
            "CPP in the last 6 months, 24 months after training ended (intention to treat)",
            share=True, denominator=COHORT),
    Outcome("sustainment_trained_24m", "Sustainment at 24 months (of trained)", "share",
            "Share of the first cohort's therapists who completed training who are still in "
            "post and delivered CPP in the last 6 months, 24 months after training ended — "
            "'trained clinicians still delivering', leavers counted as not delivering",
            share=True, denominator="first-cohort therapists who completed training"),
    Outcome("sustainment_trained_36m", "Sustainment at 36 months (of trained)", "share",
            "As sustainment_trained_24m, 36 months after training ended", share=True,
            denominator="first-cohort therapists who completed training"),
    Outcome("adopters_delivering_24m", "Adopters still delivering at 24 months", "share",
            "Share of adopters (leavers included) in post with an active CPP case in the last "
            "6 months, 24 months after training ended", share=True, denominator=ADOPTERS),
    Outcome("adopters_delivering_36m", "Adopters still delivering at 36 months", "share",
            "As adopters_delivering_24m, 36 months after training ended", share=True,
            denominator=ADOPTERS),
    Outcome("adopters_in_post_delivering_36m", "Adopters in post still delivering at 36 months",
            "share",
            "Share of the adopters still in post who delivered CPP in the last 6 months, 36 "
            "months after training ended (as surveys of employed therapists ask 'do you "
            "currently use it?')", share=True, denominator="adopters in post"),
    Outcome("still_using_24m", "Still using CPP at 24 months (in post)", "share",
            "Share of trained therapists in post who have not discontinued CPP (a case within "
            "the last learning.months_to_discontinue months), 24 months after training ended — "
            "what surveys ask as 'do you still use the model?'; sustainment_24m asks for a case "
            "in the last 6 months", share=True, denominator=TRAINED_IN_POST),
    Outcome("adopters_in_post_using_36m", "Adopters in post still using CPP at 36 months",
            "share",
            "Share of the adopters still in post who have not discontinued CPP, 36 months after "
            "training ended (self-report surveys of employed therapists: 'do you currently use "
            "it?')", share=True, denominator="adopters in post"),
    Outcome("staff_left_24m", "Month-0 staff who left by month 24", "share",
            "Share of the therapists in post at month 0 who had left their post by month 24",
            share=True, higher_is_better=False, denominator=MONTH0_STAFF),
    Outcome("staff_left_60m", "Month-0 staff who left by month 60", "share",
            "As staff_left_24m, by month 60", share=True, higher_is_better=False,
            denominator=MONTH0_STAFF),
    Outcome("cohort_left_24m", "First cohort: left the post by 24 months", "share",
            "Share of the first cohort's enrolled therapists who had left their post 24 months "
            "after the cohort started (trainee turnover as trial cohorts report it)",
            share=True, higher_is_better=False, denominator=COHORT),
    Outcome("staff_turnover_rate", "Staff turnover rate", "leavers/post-year",
            "Therapists who left their post during the run per post and year (posts are "
            "refilled at once): the yearly turnover rate as services report it (F12)",
            higher_is_better=False, denominator="post-years of the run"),
    Outcome("service_sustainment_24m", "Services sustaining at 24 months", "share",
            "Share of services with at least one sustaining therapist, 24 months after training "
            "ended", share=True, denominator=SERVICES),
    Outcome("service_sustainment_36m", "Services sustaining at 36 months", "share",
            "As service_sustainment_24m, 36 months after training ended", share=True,
            denominator=SERVICES),
    _after("startup", 24, "services started up ≥ 24 months before the end"),
    _after("competence", 24, "services competent ≥ 24 months before the end"),
    Outcome("services_started_up", "Services that started delivering", "share",
            "Share of services with at least one active CPP case during the run", share=True,
            denominator=SERVICES),
    Outcome("services_delivery_sustained", "Services: delivery sustained", "share",
            f"Share of started-up services whose delivery never stopped ({_DELIVERY_RULE})",
            share=True, denominator=STARTED_UP),
    Outcome("services_delivery_stopped", "Services: delivery stopped", "share",
            "Share of started-up services whose delivery stopped and did not restart",
            share=True, higher_is_better=False, denominator=STARTED_UP),
    Outcome("services_delivery_restarted", "Services: delivery stopped and restarted", "share",
            "Share of started-up services whose delivery stopped and later restarted",
            share=True, denominator=STARTED_UP),
    Outcome("services_programme_sustained", "Services: programme never stopped", "share",
            "Share of the implementing services that never decided to stop offering CPP from "
            f"month {IMPLEMENTATION_PHASE_MONTHS} to the end of the run (programme "
            "continuation as agency leaders report it, Bond et al. 2014)", share=True,
            denominator=IMPLEMENTING),
    Outcome("services_programme_stopped", "Services: programme stopped", "share",
            "Share of the implementing services that stopped offering CPP after month "
            f"{IMPLEMENTATION_PHASE_MONTHS} and do not offer it at the end of the run",
            share=True, denominator=IMPLEMENTING),
    Outcome("services_programme_restarted", "Services: programme stopped and restarted",
            "share", "Share of the implementing services that stopped offering CPP after "
            f"month {IMPLEMENTATION_PHASE_MONTHS} and offer it again at the end of the run",
            share=True, denominator=IMPLEMENTING),
    *(Outcome(f"programme_stops_{reason}", f"Programme stops: {label}", "share",
              f"Share of the services' decisions to stop offering CPP taken {label} (F13: the "
              "barriers CPP sites report; a stop can meet several conditions, so the shares "
              "can add to more than 1)", share=True, denominator="programme stops")
      for reason, label in (("unfunded", "without CPP funding"),
                            ("no_team", "with nobody in post able to deliver"),
                            ("new_leader", "under a new leader"))),
    Outcome("services_funding_sustained", "Services: funding never lost", "share",
            "Share of services funded at the start that never lost CPP funding", share=True,
            denominator=FUNDED0),
    Outcome("services_funding_stopped", "Services: funding lost, not regained", "share",
            "Share of services funded at the start that lost CPP funding and never regained it",
            share=True, higher_is_better=False, denominator=FUNDED0),
    Outcome("services_funding_restarted", "Services: funding lost and regained", "share",
            "Share of services funded at the start that lost CPP funding and regained it",
            share=True, denominator=FUNDED0),
    Outcome("delivery_drop_after_training", "Fall in delivery after training", "share",
            "1 − (therapists delivering in months 6–17 after training ended) / (in the last "
            "6 months of training): the sustainment cliff (S6)", higher_is_better=False,
            denominator="delivering in the last 6 months of training"),
    Outcome("delivering_therapists_24m", "Therapists sustaining at 24 months", "therapists",
            "Number of sustaining therapists 24 months after training ended (capacity)"),
    Outcome("trained_retention", "Retention of trained therapists", "share",
            "Share of all therapists who completed training who are still in post at the end",
            share=True, denominator=TRAINED_EVER),
    Outcome("enrolled_total", "Therapists enrolled", "therapists",
            "Therapists who enrolled in training during the run (leavers included)"),
    Outcome("trained_total", "Therapists trained", "therapists",
            "Therapists who completed training during the run (leavers included)"),
    Outcome("adopters_total", "Adopters", "therapists",
            "Therapists who started at least one CPP case during the run (leavers included)"),
    Outcome("training_completion", "Training completion (of enrolled)", "share",
            "Share of enrolled therapists who completed the programme (F9); job leavers count "
            "as not completing. NaN when nobody's programme was due to end within the run",
            share=True, denominator=ENROLLED),
    Outcome("training_completion_in_post", "Training completion (stayed in post)", "share",
            "Completed / (completed + quit the programme) among enrolled therapists who stayed "
            "in post until their programme ended; NaN (undefined) when every enrolled "
            "therapist left the job before", share=True, denominator=STAYED),
    Outcome("training_turnover", "Left the job during training", "share",
            "Share of enrolled therapists who left their post before their programme ended",
            share=True, higher_is_better=False, denominator=ENROLLED),
    Outcome("delivering_at_training_end", "Delivering at training end", "share",
            "Share of the first cohort's enrolled therapists sustaining when its training ends",
            share=True, denominator=COHORT),
    Outcome("certified_enrolled", "Certified (of enrolled)", "share",
            "Share of the first cohort's enrolled therapists who completed training and met "
            "the training-case requirement — F9's 'rostered' (met the mastery and fidelity "
            "requirements); job leavers and programme quitters count as not certified",
            share=True, denominator=COHORT),
    Outcome("training_cases_per_enrolled", "Training cases per enrolled therapist", "cases",
            "CPP cases the first cohort's enrolled therapists started while in training, per "
            "enrolled therapist (job leavers and programme quitters included) — F9's clients "
            "initiated in treatment during the learning collaborative",
            denominator=COHORT),
    Outcome("certified_share", "Certified", "share",
            "Share of trained therapists who met the training-case requirement", share=True,
            denominator=TRAINED_EVER),
    Outcome("cases_started", "CPP cases started", "cases", "CPP cases started in the run"),
    Outcome("cases_completed", "CPP cases completed", "cases", "CPP cases completed"),
    Outcome("cases_dropped", "CPP cases dropped", "cases",
            "CPP cases the family left early", higher_is_better=False),
    Outcome("completion_rate", "Family completion rate", "share",
            "Completed / (completed + dropped out) among ended CPP cases", share=True,
            denominator=ENDED_CASES),
    Outcome("improvement_rate", "Improvement rate", "share",
            "Share of completed CPP cases in which the family improved", share=True,
            denominator=COMPLETED_CASES),
    Outcome("cases_per_trained_therapist", "Cases per trained therapist", "cases",
            "CPP cases started per therapist who completed training",
            denominator=TRAINED_EVER),
    Outcome("cost_implementation", "Implementation cost", "EUR",
            "Training fees and hours, consultation, protected time and strategy costs",
            higher_is_better=False),
    Outcome("cost_delivery", "Delivery cost", "EUR",
            "Therapist hours of the CPP sessions delivered (case-months × hours per case per "
            "week × 52/12 × hourly cost); protected hours spent on sessions are costed in "
            "both parts", higher_is_better=False),
    Outcome("cost_total", "Total cost", "EUR", "cost_implementation + cost_delivery",
            higher_is_better=False),
    Outcome("cost_per_completed_case", "Cost per completed case", "EUR",
            "Total cost (implementation + delivery) divided by completed CPP cases; compare "
            "arms with the incremental cost per extra completed case",
            higher_is_better=False, denominator=COMPLETED_CASES),
    Outcome("months_funded", "Months funded", "months",
            "Mean months a service was funded for CPP", denominator=SERVICES),
    Outcome("funding_losses", "Funding losses", "events",
            "Times a service lost its CPP funding at a commissioning review (all services)",
            higher_is_better=False),
    Outcome("funding_returns", "Funding restarts", "events",
            "Times an unfunded service regained CPP funding — stop–restart of funding, not of "
            "delivery (all services)"),
    Outcome("leadership_climate_d", "Leadership → climate (d)", "SD",
            "Climate difference between services with above- vs below-median leadership, 24 "
            "months after training ended, in pooled SDs across services (model/effects.py)",
            denominator="services of the run, split at the median leadership score"),
    Outcome("climate_use_d", "Climate → CPP use (d)", "SD",
            "Difference in the share of trained therapists sustaining 24 months after training "
            "ended between services with above- vs below-median climate at training end, in "
            "pooled SDs across services (model/effects.py)",
            denominator="services of the run with a trained therapist in post, split at the "
            "median climate"),
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
    Series("services_offering", "Services offering CPP", "services",
           "Services that have not decided to stop offering CPP (or have restarted it), "
           "funded or not"),
    Series("leavers_cumulative", "Leavers", "therapists",
           "Therapists who have left since month 0"),
    Series("services_sustaining", "Services sustaining", "services",
           "Services with at least one sustaining therapist"),
    Series("services_delivering", "Services delivering", "services",
           "Services with an active CPP case in the last 6 months"),
    Series("cohort_sustaining", "First cohort sustaining", "therapists",
           "First-cohort enrolled therapists in post who delivered in the last 6 months"),
    Series("adopters_total", "Adopters (leavers included)", "therapists",
           "Therapists who ever started a CPP case, leavers included"),
    Series("adopters_delivering", "Adopters delivering", "therapists",
           "Adopters in post who delivered in the last 6 months"),
    Series("trained_using", "Trained, still using", "therapists",
           "Trained therapists in post who have not discontinued CPP"),
    Series("adopters_using", "Adopters, still using", "therapists",
           "Adopters in post who have not discontinued CPP"),
    Series("month0_staff_left", "Month-0 staff who left", "therapists",
           "Therapists in post at month 0 who have left since"),
    Series("adopters_delivering_share", "Adopters delivering", "share",
           "Adopters delivering / adopters (leavers included); NaN before the first adopter"),
    Series("staff_left_share", "Month-0 staff who left", "share",
           "Month-0 staff who left / therapists in post at month 0"),
)}
# Monthly series recorded by every run (name → description); units in SERIES_INFO/SERIES_UNITS.
SERIES: dict[str, str] = {name: s.description for name, s in SERIES_INFO.items()}
SERIES_UNITS: dict[str, str] = {name: s.unit for name, s in SERIES_INFO.items()}


class MonthlySeries:
    """Preallocated arrays, one value per month (no deep copies, DESIGN brief).

    Besides the series, the service records feed the service outcomes and the service events:
    ``service_active`` (month × service: ≥ 1 CPP case worked on that month) and
    ``competent_since`` (per service, the first month with a certified therapist in post; −1 =
    never).
    """

    def __init__(self, horizon: int, n_services: int) -> None:
        self.horizon = horizon
        self.window = SUSTAINMENT_WINDOW
        self.values = {name: np.zeros(horizon) for name in SERIES}
        self.services_sustaining = self.values["services_sustaining"]
        self.service_active = np.zeros((horizon, n_services), dtype=bool)
        self.programme_on = np.zeros((horizon, n_services), dtype=bool)
        self.competent_since = np.full(n_services, -1, dtype=np.int64)
        self._service_last_active = np.full(n_services, -10**6, dtype=np.int64)
        self._anyone_trained = False  # sustainment is undefined until then
        self._departures_seen = 0
        self._left = {"adopters": 0, "month0": 0, "trained": 0}

    def record_referrals(self, month: int, n: int) -> None:
        self.values["referrals"][month] = n

    def _count_leavers(self, model: ImplementationModel) -> None:
        """Running tallies of the leavers (each departure record is read once)."""
        n0 = model.therapists.n  # people in post at month 0 have person ids 0 … n0 − 1
        for d in model.departures[self._departures_seen:]:
            self._left["adopters"] += d["first_case_month"] >= 0
            self._left["month0"] += d["person_id"] < n0
            self._left["trained"] += bool(d["completed_training"])
        self._departures_seen = len(model.departures)

    def record(self, model: ImplementationModel) -> None:
        pool, m, v = model.therapists, model.month, self.values
        n_services = model.services.n
        if len(model.departures) > self._departures_seen:
            self._count_leavers(model)
        trained = pool.completed_training
        delivered = pool.delivered_within(m, SUSTAINMENT_WINDOW)
        sustaining = trained & delivered
        able = pool.can_deliver()
        in_state = np.bincount(pool.state, minlength=len(State)).tolist()
        trained_in_post = np.count_nonzero(trained)
        n_sustaining = np.count_nonzero(sustaining)
        v["in_training"][m] = in_state[IN_TRAINING]
        v["trained_in_post"][m] = trained_in_post
        v["delivering"][m] = np.count_nonzero(pool.cpp_caseload)
        v["sustaining"][m] = n_sustaining
        # Leavers who completed training count too: they finished and left in the same month.
        self._anyone_trained = (self._anyone_trained or trained_in_post > 0
                                or self._left["trained"] > 0)
        v["sustainment"][m] = (n_sustaining / max(trained_in_post, 1) if self._anyone_trained
                               else float("nan"))
        adopted = pool.first_case_month >= 0
        v["adopted_ever"][m] = np.count_nonzero(adopted)
        v["discontinued"][m] = in_state[DISCONTINUED]
        v["active_cases"][m] = len(model.cases.active)
        v["cpp_starts"][m] = model.cpp_starts_this_month
        v["climate"][m] = model.services.climate.sum() / n_services
        n_able = np.count_nonzero(able)
        v["motivation"][m] = pool.motivation @ able / n_able if n_able else 0.0
        v["readiness"][m] = pool.readiness @ able / n_able if n_able else 0.0
        v["funded_services"][m] = np.count_nonzero(model.services.funded)
        v["services_offering"][m] = np.count_nonzero(model.services.offers_cpp)
        self.programme_on[m] = model.services.offers_cpp
        v["leavers_cumulative"][m] = len(model.departures)
        self.services_sustaining[m] = np.count_nonzero(
            np.bincount(pool.service[sustaining], minlength=n_services))
        worked = pool.service[model._caseload_delivered > 0]
        self.service_active[m, worked] = True
        self._service_last_active[worked] = m
        v["services_delivering"][m] = np.count_nonzero(
            self._service_last_active > m - SUSTAINMENT_WINDOW)
        if trained_in_post and (self.competent_since < 0).any():
            newly = (self.competent_since < 0) & (np.bincount(
                pool.service[pool.certified], minlength=n_services) > 0)
            self.competent_since[newly] = m
        cohort = model._first_cohort
        original = pool.person_id[cohort] == cohort  # still the person enrolled at month 0
        v["cohort_sustaining"][m] = np.count_nonzero(sustaining[cohort] & original)
        v["adopters_total"][m] = np.count_nonzero(adopted) + self._left["adopters"]
        v["adopters_delivering"][m] = np.count_nonzero(adopted & delivered)
        using = pool.state != DISCONTINUED
        v["trained_using"][m] = np.count_nonzero(trained & using)
        v["adopters_using"][m] = np.count_nonzero(adopted & using)
        v["month0_staff_left"][m] = self._left["month0"]
        total = v["adopters_total"][m]
        v["adopters_delivering_share"][m] = v["adopters_delivering"][m] / total if total \
            else float("nan")
        v["staff_left_share"][m] = self._left["month0"] / pool.n

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self.values)


def _at(series: np.ndarray, month: int) -> float:
    return float(series[month]) if 0 <= month < len(series) else float("nan")


def _safe_div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _everyone(model: ImplementationModel) -> dict[str, np.ndarray]:
    """Person-level records of everyone who held a post: those in post now, then the leavers."""
    pool, gone = model.therapists, model.departures
    fields = ("person_id", "completed_training", "enrolled_month", "first_case_month",
              "cases_started", "certified", "training_cases")
    people = {f: np.concatenate([getattr(pool, f), np.array([d[f] for d in gone],
                                                             dtype=getattr(pool, f).dtype)])
              for f in fields}
    states = [State(int(s)).name.lower() for s in pool.state] + [d["state_before"] for d in gone]
    people["state"] = np.array(states, dtype=object)
    people["left"] = np.arange(len(states)) >= pool.n
    return people


def _training_funnel(people: dict[str, np.ndarray], model: ImplementationModel,
                     ) -> dict[str, float]:
    """F9's funnel: who completed, who quit the programme, who left the job during training.

    The headline ``training_completion`` counts everyone enrolled whose programme was due to
    end within the run (job leavers count as not completing, as published funnels do);
    ``training_completion_in_post`` counts only those still in post when it ended, so that
    turnover (F12) and failing the training can be told apart — it is NaN when nobody stayed.
    """
    duration = model.params.training.duration_months
    enrolled = people["enrolled_month"] >= 0
    due = enrolled & (people["enrolled_month"] + duration <= model.horizon - 1)
    completed = people["completed_training"]
    quit_programme = enrolled & ~completed & (people["state"] == "discontinued")
    left_in_training = enrolled & people["left"] & (people["state"] == "in_training")
    n_completed = int(completed.sum())
    return {
        "enrolled_total": float(enrolled.sum()),
        "trained_total": float(n_completed),
        "training_completion": _safe_div(int((completed & due).sum()), int(due.sum())),
        "training_completion_in_post": _safe_div(
            n_completed, n_completed + int(quit_programme.sum())),
        "training_turnover": _safe_div(int(left_in_training.sum()), int(enrolled.sum())),
    }


def _share_at(numerator: np.ndarray, denominator: np.ndarray, month: int) -> float:
    """``numerator[month] / denominator[month]``; NaN outside the run or for an empty
    denominator."""
    return _safe_div(_at(numerator, month), _at(denominator, month)) \
        if 0 <= month < len(numerator) else float("nan")


def _delivering_after(active: np.ndarray, first: np.ndarray, n: int) -> float:
    """Share of services with a case active in the window ending ``n`` months after their own
    first month ``first`` (−1 = never), among those for which that month lies in the run."""
    horizon = active.shape[0]
    at = first + n
    eligible = np.flatnonzero((first >= 0) & (at < horizon))
    if len(eligible) == 0:
        return float("nan")
    window = np.arange(-SUSTAINMENT_WINDOW + 1, 1)
    months = np.clip(at[eligible, None] + window, 0, None)
    return float(active[months, eligible[:, None]].any(axis=1).mean())


def _first_month(flags: np.ndarray) -> np.ndarray:
    """First month each column is true (−1 for never)."""
    return np.where(flags.any(axis=0), flags.argmax(axis=0), -1)


def delivery_trajectories(active: np.ndarray, window: int = SUSTAINMENT_WINDOW) -> np.ndarray:
    """Each service's delivery over the run: "never", "sustained", "stopped" or "restarted"
    (stopped, then delivering again). The stop rule is that of the service events
    (:func:`impl_sim.model.events.service_delivery_events`): a gap of at least ``window``
    months without an active case is a stop; a final gap counts only if the run holds all of
    it."""
    horizon = active.shape[0]
    labels = np.full(active.shape[1], "never", dtype=object)
    for s in np.flatnonzero(active.any(axis=0)).tolist():
        months = np.flatnonzero(active[:, s])
        if (np.diff(months) > window).any():
            labels[s] = "restarted"
        elif horizon - 1 - months[-1] >= window:
            labels[s] = "stopped"
        else:
            labels[s] = "sustained"
    return labels


def _service_histories(model: ImplementationModel) -> dict[str, float]:
    """Field-standard service outcomes: delivering after start-up and after competence,
    delivery trajectories, and (separately) funding trajectories."""
    series, services = model.series, model.services
    active = series.service_active
    labels = delivery_trajectories(active, series.window)
    started = labels != "never"
    funded0 = np.full(services.n, model.params.context.funded_at_start)
    lost = services.funding_losses > 0
    regained = lost & (services.funding_returns > 0)
    return {
        "services_delivering_24m_after_startup": _delivering_after(
            active, _first_month(active), 24),
        "services_delivering_24m_after_competence": _delivering_after(
            active, series.competent_since, 24),
        "services_started_up": float(started.mean()),
        **{f"services_delivery_{kind}": _safe_div(int((labels == kind).sum()),
                                                  int(started.sum()))
           for kind in ("sustained", "stopped", "restarted")},
        **_programme_histories(series, services),
        "services_funding_sustained": _safe_div(int((funded0 & ~lost).sum()), int(funded0.sum())),
        "services_funding_stopped": _safe_div(int((funded0 & lost & ~regained).sum()),
                                              int(funded0.sum())),
        "services_funding_restarted": _safe_div(int((funded0 & regained).sum()),
                                                int(funded0.sum())),
    }


def _programme_histories(series: MonthlySeries, services) -> dict[str, float]:
    """Programme continuation as Bond et al. 2014 followed it: of the services that had
    started up and offered CPP at the end of the implementation phase (month 24), those that
    never stopped until the end of the run, stopped for good, or stopped and offer CPP again
    at the end; NaN for runs that end by month 24. Also the conditions under which stops
    were taken (all stops of the run)."""
    start = IMPLEMENTATION_PHASE_MONTHS
    stops = int(services.programme_stops.sum())
    reasons = {f"programme_stops_{k}": _safe_div(v, stops)
               for k, v in services.stops_by_reason.items()}
    on = series.programme_on
    if on.shape[0] <= start:
        return {**{f"services_programme_{k}": float("nan")
                   for k in ("sustained", "stopped", "restarted")}, **reasons}
    implementing = on[start] & series.service_active[:start + 1].any(axis=0)
    after = on[start:]
    never_off, at_end = after.all(axis=0), after[-1]
    groups = {"sustained": never_off, "stopped": ~at_end, "restarted": ~never_off & at_end}
    n = int(implementing.sum())
    return {**{f"services_programme_{k}": _safe_div(int((implementing & g).sum()), n)
               for k, g in groups.items()}, **reasons}


def delivery_cost(model: ImplementationModel) -> float:
    """Therapist time of the CPP sessions delivered (EUR)."""
    p = model.params
    hours = model.tally["case_months"] * p.cases.hours_per_case_per_week * 52.0 / 12.0
    return hours * p.training.therapist_hour_cost


def _mean_in(series: np.ndarray, start: int, stop: int) -> float:
    """Mean of ``series`` over months [start, stop), NaN unless the window lies in the run."""
    if start < 0 or stop > len(series) or start >= stop:
        return float("nan")
    return float(series[start:stop].mean())


def summarise(model: ImplementationModel) -> dict[str, float]:
    """End-of-run outcomes, one number each, in :data:`OUTCOMES` order (NaN where undefined:
    an empty denominator, or a month beyond the horizon)."""
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
    implementation, delivery = float(sum(model.costs.values())), delivery_cost(model)
    cost = implementation + delivery
    cohort_size = len(model._first_cohort)
    # the first cohort's people have the person ids of their month-0 posts
    in_cohort = np.isin(people["person_id"], model._first_cohort)
    cohort_ids = set(model._first_cohort.tolist())
    cohort_trained = int((trained & in_cohort).sum())
    before_end = _mean_in(v["delivering"], end - 6, end)
    month0 = np.full(len(v["month0_staff_left"]), float(pool.n))
    values = {
        "adoption": _safe_div(adopters, trained_total),
        "time_to_first_case": float(waits.mean()) if len(waits) else float("nan"),
        "penetration": _safe_div(model.tally["cpp_starts"], model.tally["referrals"]),
        "fidelity": _safe_div(model.tally["fidelity_sum"], model.tally["case_months"]),
        "fidelity_adjusted_delivery": float(model.tally["fidelity_sum"]),
        "sustainment_12m": _at(v["sustainment"], end + 12),
        "sustainment_24m": _at(v["sustainment"], end + 24),
        "sustainment_36m": _at(v["sustainment"], end + 36),
        "sustainment_enrolled_24m": _safe_div(_at(v["cohort_sustaining"], end + 24),
                                              cohort_size),
        "sustainment_trained_24m": _safe_div(_at(v["cohort_sustaining"], end + 24),
                                             cohort_trained),
        "sustainment_trained_36m": _safe_div(_at(v["cohort_sustaining"], end + 36),
                                             cohort_trained),
        "adopters_delivering_24m": _share_at(v["adopters_delivering"], v["adopters_total"],
                                             end + 24),
        "adopters_delivering_36m": _share_at(v["adopters_delivering"], v["adopters_total"],
                                             end + 36),
        "still_using_24m": _share_at(v["trained_using"], v["trained_in_post"], end + 24),
        "adopters_in_post_using_36m": _share_at(v["adopters_using"], v["adopted_ever"],
                                                end + 36),
        "adopters_in_post_delivering_36m": _share_at(v["adopters_delivering"],
                                                     v["adopted_ever"], end + 36),
        "staff_left_24m": _share_at(v["month0_staff_left"], month0, 23),
        "staff_left_60m": _share_at(v["month0_staff_left"], month0, 59),
        "cohort_left_24m": _safe_div(sum(
            d["month"] < model.cohort_start + 24 and d["person_id"] in cohort_ids
            for d in model.departures), cohort_size),
        "staff_turnover_rate": _safe_div(_at(v["leavers_cumulative"], model.horizon - 1),
                                         pool.n * model.horizon / MONTHS_PER_YEAR),
        "service_sustainment_24m": _at(series.services_sustaining, end + 24) / model.services.n,
        "service_sustainment_36m": _at(series.services_sustaining, end + 36) / model.services.n,
        **_service_histories(model),
        "delivering_therapists_24m": _at(v["sustaining"], end + 24),
        "delivery_drop_after_training": (
            1.0 - _safe_div(_mean_in(v["delivering"], end + 6, end + 18), before_end)),
        "trained_retention": _safe_div(float(pool.completed_training.sum()), trained_total),
        "adopters_total": float((people["first_case_month"] >= 0).sum()),
        **_training_funnel(people, model),
        "delivering_at_training_end": _safe_div(_at(v["sustaining"], end), cohort_size),
        "certified_enrolled": _safe_div(int((trained & people["certified"] & in_cohort).sum()),
                                        cohort_size),
        "training_cases_per_enrolled": _safe_div(
            int(people["training_cases"][in_cohort].sum()), cohort_size),
        "certified_share": _safe_div(int((trained & people["certified"]).sum()), trained_total),
        "cases_started": float(model.tally["cpp_starts"]),
        "cases_completed": float(completed),
        "cases_dropped": float(dropped),
        "completion_rate": _safe_div(completed, completed + dropped),
        "improvement_rate": _safe_div(improved, completed),
        "cases_per_trained_therapist": _safe_div(
            int(people["cases_started"][trained].sum()), trained_total),
        "cost_implementation": implementation,
        "cost_delivery": delivery,
        "cost_total": cost,
        "cost_per_completed_case": _safe_div(cost, completed),
        "months_funded": float(model.services.months_funded.mean()),
        "funding_losses": float(model.services.funding_losses.sum()),
        "funding_returns": float(model.services.funding_returns.sum()),
        **effect_sizes(model.snapshots, end),
    }
    return {name: values[name] for name in OUTCOMES}
