"""THE parameter schema: every model parameter is declared here, once.

Each parameter carries its type, default, unit, allowed range, a one-line description and its
source (a seed document, an EVIDENCE id such as ``F12``, or ``assumption``). Everything else
derives from this module: scenario validation, the dashboard controls, the generated
``docs/parameters.md``, sampler bounds and the ODD parameter table.

Parameters are addressed by dotted names, ``group.name`` (``therapists.motivation_mean``) or
``strategies.<strategy>.<name>`` (``strategies.protected_time.hours_per_week``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.fields import FieldInfo

# What a parameter is, for experiment designs (EMA Workbench's split): a *lever* is something a
# leader or funder controls; an *uncertainty* is something they do not; *structure* fixes the
# world's shape (sizes, horizons) and is rarely swept.
Kind = Literal["lever", "uncertainty", "structure"]


def spec(
    default: Any,
    *,
    description: str,
    unit: str = "",
    source: str = "assumption",
    ge: float | None = None,
    le: float | None = None,
    kind: Kind = "uncertainty",
    label: str | None = None,
    key: bool = False,
    plain: str | None = None,
) -> Any:
    """Declare one parameter: a pydantic ``Field`` carrying our metadata.

    ``key=True`` marks the parameters a dashboard shows first (the most important levers);
    ``plain`` is the leader-facing wording of the label where the technical one does not serve.
    """
    extra = {"unit": unit, "source": source, "kind": kind, "key": key}
    if label:
        extra["label"] = label
    if plain:
        extra["plain"] = plain
    return Field(default, description=description, ge=ge, le=le, json_schema_extra=extra)


class _Group(BaseModel):
    """Base for parameter groups: frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class LeadershipStyle(StrEnum):
    """How leaders behave. ``ils_scores`` uses the four ILS dimensions as given."""

    passive_support = "passive_support"
    implementation_leadership = "implementation_leadership"
    ils_scores = "ils_scores"


class SimulationParams(_Group):
    """Time frame of a run."""

    horizon_months: int = spec(
        60, ge=12, le=240, unit="months", kind="structure",
        description="Length of a run in monthly steps",
        source="F1 (18-month training) plus follow-up; assumption for the length",
    )


class ServiceParams(_Group):
    """Services (clinics): size, referrals, workload and climate."""

    count: int = spec(
        10, ge=1, le=1000, unit="services", kind="structure",
        description="Number of services whose therapists join the programme",
        source="F1 (40 trainees) sent by 10 services, about 4 each — learning collaboratives "
        "take agency teams of a few clinicians (F2); value assumed",
    )
    therapists_per_service: int = spec(
        10, ge=1, le=200, unit="therapists", kind="structure",
        description="Therapist posts per service, trained or not (vacancies are refilled at "
        "once); `training.enrolled_share` of them join the first cohort",
        source="value assumed (a child mental health team of about ten clinicians)",
    )
    eligible_referrals_per_month: float = spec(
        0.9, ge=0.0, le=50.0, unit="families/month", key=True,
        label="Eligible referrals per month",
        plain="Families needing CPP referred each month (per service)",
        description="Mean number of CPP-eligible families (child 0–5, trauma) referred to a "
        "service each month (Poisson)",
        source="seed 001 (target group); value calibrated (ABC-SMC, docs/evidence-map.md §4; "
        "posterior 90 % interval 0.65–1.5)",
    )
    production_pressure: float = spec(
        0.5, ge=0.0, le=1.0, unit="0–1", key=True, label="Production pressure",
        plain="How stretched the service is",
        description="Demand relative to capacity: 0 = slack, 1 = overloaded; eats the free hours "
        "therapists could give to CPP and raises turnover",
        source="seed 004 (organisational constraints); assumption",
    )
    free_hours_per_week: float = spec(
        1.0, ge=0.0, le=10.0, unit="hours/week",
        description="Hours per week a therapist could give to CPP at zero production pressure, "
        "without protected time",
        source="seed 000 theme 4 and seed 004 (lack of time is a main barrier): less than one "
        "case's 1.5 h at average pressure; value assumed",
    )
    referral_rate_cv: float = spec(
        0.6, ge=0.0, le=2.0, unit="coefficient of variation",
        description="How much services differ in their eligible-referral rate: each service's "
        "rate is the mean times a gamma-distributed factor with this spread (0 = all equal)",
        source="seed 003 (regional disparities in access); value assumed — services differ "
        "widely in catchment, intake and awareness (the targets F9–F10 identify it only "
        "weakly, so it is set, not calibrated)",
    )
    climate_initial: float = spec(
        0.3, ge=0.0, le=1.0, unit="0–1",
        description="Implementation climate at month 0 (how expected, supported and rewarded "
        "CPP use is)",
        source="assumption",
    )
    climate_lag_months: float = spec(
        9.0, ge=1.0, le=36.0, unit="months",
        description="Time constant with which climate follows what leadership sustains "
        "(leadership → climate → use)",
        source="S1, S6: Williams et al. 2020, 2022 (effects lag many months); value assumed",
    )
    climate_base: float = spec(
        0.15, ge=0.0, le=1.0, unit="0–1", kind="structure",
        description="Climate a service tends to with no leadership agenda, no training running "
        "and nobody delivering",
        source="value assumed",
    )
    climate_agenda_weight: float = spec(
        0.45, ge=0.0, le=1.0, unit="0–1 per unit agenda", kind="structure",
        description="How much the leader's agenda (0–1) raises the climate a service tends to "
        "(leadership → climate)",
        source="Williams et al. 2020 (d = 0.92); value calibrated to target E1",
    )
    climate_programme_weight: float = spec(
        0.15, ge=0.0, le=1.0, unit="0–1", kind="structure",
        description="Climate the running training programme (trainers, gatherings, consultation) "
        "carries while a service has trainees; it goes when training ends",
        source="S11: Skar et al. 2022 (Norwegian LOCI trial: climate fell steadily in non-LOCI "
        "conditions); value assumed",
    )
    climate_practice_weight: float = spec(
        0.2, ge=0.0, le=1.0, unit="0–1 per share delivering", kind="structure",
        description="How much colleagues seen delivering CPP (share of the service's posts) "
        "raise the climate",
        source="Ehrhart et al. 2014 (climate: CPP use expected, supported and rewarded); "
        "value assumed",
    )
    climate_sd: float = spec(
        0.09, ge=0.0, le=0.5, unit="0–1",
        description="Between-service spread of the climate a service tends to that leadership "
        "does not explain (general organisational climate, history); drawn once per service",
        source="Williams et al. 2020 (leadership change explained 11 % of the variance in "
        "climate change); value calibrated to target E1",
    )


class TherapistParams(_Group):
    """Therapist attributes at hire, and staff turnover."""

    motivation_mean: float = spec(
        0.6, ge=0.0, le=1.0, unit="0–1", key=True, label="Intrinsic motivation (mean)",
        plain="How well CPP fits therapists' own values",
        description="Mean intrinsic motivation: fit between the therapist's own values and "
        "clients' needs",
        source="seed 000 theme 1 (S3); value assumed",
    )
    motivation_sd: float = spec(
        0.15, ge=0.0, le=0.5, unit="0–1",
        description="Spread of intrinsic motivation between therapists",
        source="assumption",
    )
    readiness_mean: float = spec(
        0.5, ge=0.0, le=1.0, unit="0–1", key=True, label="Psychological readiness (mean)",
        plain="How ready therapists feel for trauma work with parent and child",
        description="Mean psychological readiness to work with trauma and the parent–child "
        "relationship",
        source="seed 000 theme 2 (S4); value assumed",
    )
    readiness_sd: float = spec(
        0.2, ge=0.0, le=0.5, unit="0–1",
        description="Spread of psychological readiness between therapists",
        source="assumption",
    )
    autonomy_preference_mean: float = spec(
        0.6, ge=0.0, le=1.0, unit="0–1",
        description="Mean wish to adapt the method freely (0 = wants a manual, 1 = full autonomy)",
        source="seed 000 theme 3 (S5: flexibility welcomed); value assumed",
    )
    autonomy_preference_sd: float = spec(
        0.15, ge=0.0, le=0.5, unit="0–1",
        description="Spread of autonomy preference between therapists",
        source="assumption",
    )
    self_leadership_mean: float = spec(
        0.35, ge=0.0, le=1.0, unit="0–1", key=True, label="Self-leadership (mean)",
        plain="How well therapists organise CPP on their own",
        description="Mean ability to organise one's own implementation (find cases, carve out "
        "time) when leaders are passive",
        source="seed 000 theme 4 (S2); value assumed",
    )
    self_leadership_sd: float = spec(
        0.2, ge=0.0, le=0.5, unit="0–1",
        description="Spread of self-leadership between therapists",
        source="assumption",
    )
    annual_turnover: float = spec(
        0.35, ge=0.0, le=0.9, unit="share/year", key=True, label="Staff turnover per year",
        plain="Therapists leaving each year",
        description="Yearly staff turnover rate as services report it — leavers per post per "
        "year (posts are refilled at once) — at average pressure and climate, for staff not "
        "in consultation. Turnover is concentrated early in tenure "
        "(`early_tenure_hazard_ratio`), so the established staff's own hazard is lower than "
        "this rate; the model solves for it (docs/odd.md §7.9)",
        source="F12 (25–50 %/year, typically 30–35 %); calibrated (ABC-SMC posterior 90 % "
        "interval 0.25–0.48; 0.20–0.47 after the programme decision); the realised rate "
        "(staff_turnover_rate) of the default world is about 0.28",
    )
    early_tenure_months: int = spec(
        12, ge=0, le=60, unit="months", kind="structure",
        description="Months after hire during which a therapist's turnover hazard is raised by "
        "`early_tenure_hazard_ratio` (new staff leave more often than established staff)",
        source="Griffeth, Hom & Gaertner 2000 (meta-analysis: tenure predicts lower turnover); "
        "child-welfare and mental-health workforce studies (most leavers leave within their "
        "first one to two years); value assumed",
    )
    early_tenure_hazard_ratio: float = spec(
        2.0, ge=1.0, le=5.0, unit="hazard ratio",
        description="Turnover hazard in the first `early_tenure_months` after hire relative to "
        "established staff (1 = no tenure effect)",
        source="Griffeth, Hom & Gaertner 2000 (tenure ρ ≈ −0.20 with turnover); value assumed",
    )
    initial_tenure_max_months: int = spec(
        240, ge=1, le=600, unit="months", kind="structure",
        description="Longest tenure a therapist in post at month 0 can have: the month-0 staff "
        "are a stationary workforce, their tenure drawn from the tenure distribution that the "
        "turnover hazards imply (truncated here)",
        source="value assumed (20 years)",
    )
    turnover_pressure_effect: float = spec(
        0.8, ge=0.0, le=3.0, unit="log hazard ratio",
        description="How much production pressure (per unit above 0.5) raises the turnover hazard",
        source="F12, S8; assumption",
    )
    turnover_climate_effect: float = spec(
        0.6, ge=0.0, le=3.0, unit="log hazard ratio",
        description="How much implementation climate (per unit above 0.5) lowers the turnover "
        "hazard",
        source="Aarons & Sawitzky 2006 (climate → work attitudes → turnover); value assumed",
    )
    consultation_turnover_ratio: float = spec(
        0.5, ge=0.1, le=1.0, unit="hazard ratio",
        description="Turnover hazard of a therapist receiving model consultation (the "
        "programme's during training, a booster's afterwards) relative to colleagues — "
        "supportive consultation and fidelity monitoring protect against leaving. Leaving the "
        "job during training is a separate hazard from dropping out of training",
        source="Aarons et al. 2009 (SafeCare with fidelity monitoring presented as supportive "
        "consultation: greater staff retention over 29 months, 153 providers); value "
        "calibrated to F9a (ABC-SMC posterior 90 % interval 0.35–0.87)",
    )
    self_leadership_intake_weight: float = spec(
        1.0, ge=0.0, le=10.0, unit="relative weight", kind="structure",
        description="How much more often intake gives an eligible family to a fully self-leading "
        "therapist who asks for CPP families (intake weight 1 + this × self-leadership)",
        source="seed 000 theme 4 (S2: self-leaders find their own cases); value assumed",
    )


class LeaderParams(_Group):
    """Leaders: style (or the four ILS dimensions) and their turnover."""

    style: LeadershipStyle = spec(
        LeadershipStyle.ils_scores, kind="lever", key=True, label="Leadership style",
        plain="What leaders do about CPP",
        description="passive_support ('you may do it'), implementation_leadership (proactive, "
        "knowledgeable, perseverant), or ils_scores (use the four dimensions below)",
        source="seed 000 theme 4 (S1)",
    )
    proactive: float = spec(
        2.05, ge=0.0, le=4.0, unit="ILS 0–4", kind="lever",
        description="ILS proactive: plans ahead, removes obstacles (used when style = ils_scores)",
        source="F8",
    )
    knowledgeable: float = spec(
        2.21, ge=0.0, le=4.0, unit="ILS 0–4", kind="lever",
        description="ILS knowledgeable: knows CPP and who is trained (used when style = "
        "ils_scores)",
        source="F8",
    )
    supportive: float = spec(
        2.81, ge=0.0, le=4.0, unit="ILS 0–4", kind="lever",
        description="ILS supportive: permits and appreciates CPP work (used when style = "
        "ils_scores)",
        source="F8",
    )
    perseverant: float = spec(
        2.49, ge=0.0, le=4.0, unit="ILS 0–4", kind="lever",
        description="ILS perseverant: keeps CPP on the agenda through difficulties (used when "
        "style = ils_scores)",
        source="F8",
    )
    ils_sd: float = spec(
        0.8, ge=0.0, le=2.0, unit="ILS points",
        description="Spread of leaders' ILS scores around the style's (or F8's) means: each "
        "leader, initial or successor, draws one general implementation-leadership factor shared "
        "by the four dimensions plus a dimension-specific part (clipped to 0–4)",
        source="F8 (Braathu et al. 2022: means; therapist-rated ILS subscales spread about one "
        "scale point between leaders); value assumed",
    )
    ils_dimension_correlation: float = spec(
        0.7, ge=0.0, le=1.0, unit="correlation", kind="structure",
        description="Correlation between a leader's four ILS dimensions (share of each "
        "dimension's variance that is the general factor)",
        source="Aarons, Ehrhart & Farahnak 2014 (ILS: four highly correlated subscales, one "
        "second-order factor); value assumed",
    )
    reference_score: float = spec(
        2.0, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
        description="ILS score at which each behaviour's log-odds equal its intercept below (the "
        "scale's midpoint, so intercepts describe an average leader)",
        source="Aarons et al. 2014 (ILS 0–4 scale)",
    )
    routing_log_odds: float = spec(
        -1.0, ge=-10.0, le=10.0, unit="log-odds",
        description="Log-odds that the leader has an eligible referral routed to a trained "
        "therapist with room, at the reference score of mean(proactive, knowledgeable)",
        source="seed 000 theme 4; value calibrated to the effect-size targets E1, E2, S1",
    )
    routing_slope: float = spec(
        0.6, ge=0.0, le=5.0, unit="log-odds per ILS point",
        description="How much each ILS point of mean(proactive, knowledgeable) raises the routing "
        "log-odds",
        source="Aarons et al. 2014 (knowing who is trained, planning); value calibrated",
    )
    protection_log_odds: float = spec(
        -0.5, ge=-10.0, le=10.0, unit="log-odds",
        description="Log-odds of the share of `max_protected_hours_per_week` the leader protects, "
        "at the reference proactive score (passive support protects a little, not nothing)",
        source="seed 000 theme 4; value calibrated to E1, E2, S1",
    )
    protection_slope: float = spec(
        0.5, ge=0.0, le=5.0, unit="log-odds per ILS point",
        description="How much each proactive ILS point raises the protection log-odds",
        source="Aarons et al. 2014 (ILS proactive: removes obstacles); value calibrated",
    )
    follow_up_log_odds: float = spec(
        -1.5, ge=-10.0, le=10.0, unit="log-odds",
        description="Log-odds per month that the leader follows up a therapist's CPP work, at the "
        "reference score of mean(proactive, perseverant)",
        source="seed 000 theme 4; value calibrated to E1, E2, S1",
    )
    follow_up_slope: float = spec(
        0.4, ge=0.0, le=5.0, unit="log-odds per ILS point",
        description="How much each ILS point of mean(proactive, perseverant) raises the follow-up "
        "log-odds",
        source="Aarons et al. 2014 (ILS perseverant); value calibrated",
    )
    max_protected_hours_per_week: float = spec(
        2.0, ge=0.0, le=10.0, unit="hours/week", kind="lever",
        plain="Hours a leader who protects fully sets aside unprompted (how leaders behave)",
        description="Hours per week a leader who protects fully sets aside for each therapist "
        "who can deliver CPP — trainees as well as trained therapists (needs funding; costed "
        "at training.therapist_hour_cost)",
        source="seed 000 theme 4; assumption",
    )
    support_turnover_effect: float = spec(
        0.15, ge=0.0, le=2.0, unit="log hazard ratio per ILS point",
        description="How much each supportive ILS point above the reference score lowers "
        "therapists' turnover hazard",
        source="Fukui, Wu & Salyers 2019 (supervisory support lowers turnover intention through "
        "emotional exhaustion); Kim & Kao 2014 (meta-analysis); value assumed",
    )
    setback_buffer_max: float = spec(
        0.5, ge=0.0, le=1.0, unit="share",
        description="Share of a dropout's motivational cost absorbed by a fully supportive leader "
        "(scaled by supportive/4)",
        source="seed 000 theme 4; value assumed",
    )
    annual_turnover: float = spec(
        0.12, ge=0.0, le=0.9, unit="share/year",
        description="Share of leaders leaving per year; the successor is drawn from the leader "
        "population (style or F8 means, spread `ils_sd`) and has none of the gains from "
        "leadership training",
        source="assumption",
    )


class LeaderStyleProfile(_Group):
    """ILS (0–4) means of one named leadership style."""

    proactive: float = spec(1.0, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                            description="Mean proactive score", source="seed 000 theme 4")
    knowledgeable: float = spec(1.5, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                                description="Mean knowledgeable score", source="seed 000 theme 4")
    supportive: float = spec(3.0, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                             description="Mean supportive score", source="seed 000 theme 4; F8")
    perseverant: float = spec(1.0, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                              description="Mean perseverant score", source="seed 000 theme 4")


class PassiveSupportProfile(LeaderStyleProfile):
    """Passive support, "you are allowed to": supportive, but neither proactive, knowledgeable
    nor perseverant (seed 000 theme 4; F8: leaders are seen as more supportive than proactive)."""


class ImplementationLeadershipProfile(LeaderStyleProfile):
    """Implementation leadership: high on all four dimensions (seed 000 theme 4)."""

    proactive: float = spec(3.5, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                            description="Mean proactive score", source="seed 000 theme 4")
    knowledgeable: float = spec(3.4, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                                description="Mean knowledgeable score", source="seed 000 theme 4")
    supportive: float = spec(3.3, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                             description="Mean supportive score", source="seed 000 theme 4")
    perseverant: float = spec(3.5, ge=0.0, le=4.0, unit="ILS 0–4", kind="structure",
                              description="Mean perseverant score", source="seed 000 theme 4")


class LeaderStyleParams(_Group):
    """The ILS profiles of the named styles (``leaders.style``)."""

    passive_support: PassiveSupportProfile = Field(default_factory=PassiveSupportProfile)
    implementation_leadership: ImplementationLeadershipProfile = Field(
        default_factory=ImplementationLeadershipProfile)


class CaseParams(_Group):
    """Families as case records: length, dropout, improvement."""

    session_weeks_min: float = spec(
        20.0, ge=4.0, le=104.0, unit="weeks",
        description="Shortest planned course of weekly CPP sessions",
        source="F3 (20–32 weeks in routine use)",
    )
    session_weeks_max: float = spec(
        32.0, ge=4.0, le=104.0, unit="weeks",
        description="Longest planned course of weekly CPP sessions",
        source="F3 (up to ~50 weeks in trials)",
    )
    max_cpp_caseload: int = spec(
        3, ge=1, le=20, unit="cases",
        description="Most CPP cases one therapist carries at once",
        source="F10, S7 (few cases per therapist); assumption",
    )
    hours_per_case_per_week: float = spec(
        1.5, ge=0.5, le=5.0, unit="hours/week",
        description="Therapist time per active CPP case: the weekly 60-minute session plus "
        "preparation and notes",
        source="F3; assumption for preparation",
    )
    dropout_hazard: float = spec(
        0.09, ge=0.0, le=1.0, unit="per month",
        description="Monthly dropout hazard of a family without caregiver barriers, before "
        "engagement work and retention supports",
        source="F5 (≈50 % complete in community services); calibrated",
    )
    caregiver_barrier_prevalence: float = spec(
        0.56, ge=0.0, le=1.0, unit="share of families",
        description="Share of families with caregiver barriers (caregiver mental health, social "
        "stressors, passive expectations)",
        source="F6 (≈56 %); seed 004 patient-level barriers",
    )
    caregiver_barrier_hazard_ratio: float = spec(
        2.0, ge=1.0, le=5.0, unit="hazard ratio",
        description="How much caregiver barriers multiply the dropout hazard",
        source="F6; assumption",
    )
    engagement_effect: float = spec(
        0.5, ge=0.0, le=1.0, unit="0–1",
        description="How much a high-fidelity therapist's between-session engagement work "
        "(clear task planning, tailoring) cuts the dropout hazard",
        source="seed 004 (practitioner facilitators); F7; value assumed",
    )
    retention_support: float = spec(
        0.0, ge=0.0, le=1.0, unit="0–1", kind="lever",
        description="Trial-like retention supports (reminders, transport, flexible times), 0–1: "
        "cuts the dropout hazard by up to `retention_support_max_reduction`",
        source="S9, F5 (86 % complete in trials); assumption",
    )
    retention_support_max_reduction: float = spec(
        0.7, ge=0.0, le=1.0, unit="share of hazard", kind="structure",
        description="Share of the dropout hazard that full retention support removes",
        source="F5 (86 % vs 50 % completion: a 60–75 % lower hazard over a course); value assumed",
    )
    improvement_base: float = spec(
        0.30, ge=0.0, le=1.0, unit="probability",
        description="Probability that a completed case improves when delivered at zero fidelity",
        source="assumption",
    )
    improvement_per_fidelity: float = spec(
        0.50, ge=0.0, le=1.0, unit="probability",
        description="Extra improvement probability at full fidelity",
        source="S5; F7 (engagement–outcome r≈0.26); assumption",
    )


class TrainingParams(_Group):
    """The training programme: dose, consultation, certification, cost, and flexibility."""

    start_month: int = spec(
        0, ge=0, le=120, unit="month", kind="structure",
        description="Month the first cohort starts training",
        source="F1 (the cohort starts together); assumption",
    )
    duration_months: int = spec(
        18, ge=1, le=48, unit="months", kind="lever",
        description="Length of the training programme",
        source="F1, F2 (18 months)",
    )
    gatherings: int = spec(
        3, ge=0, le=20, unit="gatherings", kind="lever",
        description="In-person training gatherings, evenly spread over the programme; each "
        "raises readiness",
        source="F1 (about 3 gatherings)",
    )
    consultation_sessions_per_month: float = spec(
        2.0, ge=0.0, le=8.0, unit="sessions/month", kind="lever", key=True,
        label="Consultation during training",
        plain="Case consultation during training",
        description="Case consultation sessions per month while training (ends with training "
        "unless a strategy extends it)",
        source="F2 (every 2 weeks)",
    )
    training_cases_required: int = spec(
        4, ge=0, le=20, unit="cases",
        description="Training cases required for certification",
        source="F2 (at least 4 training cases)",
    )
    enrolled_share: float = spec(
        0.4, ge=0.0, le=1.0, unit="share of staff", kind="lever",
        description="Share of each service's therapists enrolled in the first cohort (its CPP "
        "team); established staff first (`min_tenure_months`)",
        source="F1 (40 trainees), F2 (agencies send a team of a few clinicians): 4 of 10 posts; "
        "value assumed",
    )
    min_tenure_months: int = spec(
        12, ge=0, le=60, unit="months", kind="lever",
        description="Services enrol in the first cohort therapists who have been in post at "
        "least this long (fill remaining seats with newer staff only if too few qualify)",
        source="F2 (learning collaboratives ask agencies to commit clinicians expected to stay "
        "and deliver); value assumed",
    )
    annual_dropout: float = spec(
        0.05, ge=0.0, le=0.9, unit="share/year",
        description="Yearly hazard of leaving the training programme for a therapist of average "
        "readiness (low readiness raises it)",
        source="F9 (90 % completed training); value calibrated (ABC-SMC posterior 90 % "
        "interval 0.03–0.18)",
    )
    programme_flexibility: float = spec(
        0.5, ge=0.0, le=1.0, unit="0–1", kind="lever", key=True, label="Programme flexibility",
        plain="How freely therapists may adapt the method",
        description="How much the programme lets therapists adapt: 0 = rigid manual, "
        "1 = unlimited autonomy",
        source="seed 000 theme 3 (S5); value assumed",
    )
    hours_total: float = spec(
        92.0, ge=0.0, le=500.0, unit="hours",
        description="Practitioner training hours per trainee (counted in cost)",
        source="F4 (92 hours)",
    )
    cost_per_trainee: float = spec(
        6000.0, ge=0.0, le=100000.0, unit="EUR",
        description="Course fee per enrolled therapist",
        source="F14; seed 002; assumption for the amount",
    )
    consultation_cost_per_session: float = spec(
        60.0, ge=0.0, le=2000.0, unit="EUR/therapist-session",
        description="Cost of one consultation session per participating therapist",
        source="F14; assumption for the amount",
    )
    therapist_hour_cost: float = spec(
        50.0, ge=0.0, le=500.0, unit="EUR/hour",
        description="Cost of one therapist hour (protected time and training hours)",
        source="F14; assumption for the amount",
    )
    trainee_hours_per_week: float = spec(
        0.5, ge=0.0, le=10.0, unit="hours/week", kind="lever",
        description="Hours per week a trainee's service sets aside for training cases while the "
        "programme runs (the agency's commitment to the course); they end with training",
        source="F2 (learning collaboratives: agencies commit a team and time); RBUP (course "
        "participation anchored at the workplace); value assumed",
    )
    training_case_routing: float = spec(
        0.5, ge=0.0, le=1.0, unit="share of referrals", kind="lever",
        description="Share of eligible referrals a service routes to a therapist who can deliver "
        "CPP and has room while its therapists are in training (the agency's commitment to find "
        "training cases); afterwards only the leader's routing remains",
        source="F2 (learning collaboratives: agencies commit to identify and assign training "
        "cases); value assumed",
    )
    reference_sessions_per_month: float = spec(
        2.0, ge=0.5, le=8.0, unit="sessions/month", kind="structure",
        description="Consultation dose that counts as intensity 1 (fortnightly)",
        source="F2 (consultation every 2 weeks)",
    )
    dropout_readiness_effect: float = spec(
        3.0, ge=0.0, le=10.0, unit="log hazard ratio per unit", kind="structure",
        description="How much each unit of readiness below 0.5 raises the training-dropout "
        "hazard",
        source="seed 000 theme 2 (S4: low readiness raises early abandonment); value assumed",
    )
    cohort_interval_months: int = spec(
        12, ge=1, le=120, unit="months", kind="lever",
        description="Months between the regional centre's training cohorts after the first one; "
        "hires nominated for training wait for the next",
        source="RBUP runs the 18-month CPP further-education course in cohorts starting each "
        "autumn with three gatherings, subject to enough applicants (rbup.no); value assumed",
    )
    cohort_seats: int = spec(
        20, ge=0, le=1000, unit="therapists", kind="lever",
        description="Most trainees a later cohort takes (longest-waiting first)",
        source="F1 (a cohort of 40 in the Norwegian study); value assumed",
    )
    cohort_min_trainees: int = spec(
        4, ge=1, le=100, unit="therapists",
        description="A later cohort starts only if at least this many therapists are waiting",
        source="RBUP: a course starts only with enough applicants; value assumed",
    )
    hire_enrolment_share: float = spec(
        0.75, ge=0.0, le=1.0, unit="share of hires", kind="lever",
        description="Share of the hires who replace a member of the service's CPP team "
        "(enrolled, trained or nominated) whom the service nominates for the next cohort (0 = "
        "hires are never trained); hires into other posts are not nominated",
        source="S8 (trained capacity erodes unless new staff are trained); value assumed",
    )


class LearningParams(_Group):
    """How competence, readiness and motivation change with experience."""

    competence_gain: float = spec(
        0.05, ge=0.0, le=0.5, unit="per case-month",
        description="Competence gained per month of delivering one CPP case (doubled with "
        "consultation)",
        source="assumption",
    )
    competence_decay: float = spec(
        0.02, ge=0.0, le=0.2, unit="per month",
        description="Competence lost per month without an active CPP case",
        source="S6; assumption",
    )
    readiness_gain_training: float = spec(
        0.01, ge=0.0, le=0.2, unit="per month",
        description="Readiness gained per month in training (a gathering month adds "
        "`gathering_readiness_multiple` times this)",
        source="seed 000 theme 2; assumption",
    )
    gathering_readiness_multiple: float = spec(
        5.0, ge=0.0, le=20.0, unit="months of training", kind="structure",
        description="Readiness an in-person gathering adds, in months of ordinary training",
        source="F1 (gatherings); seed 000 theme 2; value assumed",
    )
    supervised_learning_multiplier: float = spec(
        2.0, ge=1.0, le=5.0, unit="ratio", kind="structure",
        description="How much faster competence grows with consultation than without",
        source="F2 (consultation on training cases); value assumed",
    )
    struggle_competence: float = spec(
        0.4, ge=0.0, le=1.0, unit="0–1", kind="structure",
        description="Competence below which a CPP case without consultation or follow-up is an "
        "unsupported struggle",
        source="seed 000 theme 2; value assumed",
    )
    readiness_gain_practice: float = spec(
        0.02, ge=0.0, le=0.2, unit="per case-month",
        description="Readiness gained per month of supervised practice with a CPP case",
        source="S4; assumption",
    )
    motivation_gain_improvement: float = spec(
        0.10, ge=0.0, le=0.5, unit="per improved case",
        description="Motivation gained when a family completes and improves",
        source="seed 000 theme 1 (S3); value assumed",
    )
    value_fit_gain_improvement: float = spec(
        0.05, ge=0.0, le=0.5, unit="per improved case",
        description="Lasting rise of the therapist's intrinsic value fit (the level motivation "
        "recovers to) per family that completes and improves: seeing the method help confirms "
        "that it fits clients' needs",
        source="seed 000 theme 1 (S3); assumption",
    )
    motivation_loss_dropout: float = spec(
        0.04, ge=0.0, le=0.5, unit="per dropped case",
        description="Motivation lost when a family drops out (halved by a supportive leader)",
        source="seed 000; assumption",
    )
    motivation_loss_struggle: float = spec(
        0.02, ge=0.0, le=0.5, unit="per month",
        description="Motivation lost per month of unsupported struggle: a CPP case with low "
        "competence and neither consultation nor follow-up",
        source="seed 000 theme 2; assumption",
    )
    motivation_gain_follow_up: float = spec(
        0.02, ge=0.0, le=0.5, unit="per follow-up",
        description="Motivation gained when a leader follows up the therapist's CPP work",
        source="seed 000 theme 4; assumption",
    )
    motivation_recovery: float = spec(
        0.03, ge=0.0, le=0.5, unit="per month",
        description="Monthly pull of motivation back toward the therapist's intrinsic value fit",
        source="seed 000 theme 1; assumption",
    )
    fidelity_drift: float = spec(
        0.6, ge=0.0, le=1.0, unit="0–1",
        description="How far a high-autonomy therapist's practice drifts from the model under "
        "unlimited flexibility when nobody watches (the drift ceiling is this × flexibility × "
        "autonomy preference)",
        source="seed 000 theme 3 ('ambivalence in practice'); S5; value assumed",
    )
    drift_lag_months: float = spec(
        6.0, ge=1.0, le=60.0, unit="months", kind="structure",
        description="Time constant with which unwatched practice drifts toward its ceiling",
        source="S6; Williams et al. 2022 (fidelity effects lag months); value assumed",
    )
    drift_correction: float = spec(
        0.5, ge=0.0, le=1.0, unit="share per month", kind="structure",
        description="Share of accumulated drift a month of consultation, supervision or audit "
        "corrects (watching the model being delivered)",
        source="F2; seed 000 theme 3; value assumed",
    )
    months_to_discontinue: int = spec(
        12, ge=1, le=60, unit="months",
        description="Months without a CPP case after which a trained therapist has discontinued "
        "the method",
        source="assumption",
    )


class DecisionParams(_Group):
    """Weights of the CPP-case decision (a logistic function; see docs/odd.md)."""

    intercept: float = spec(
        -2.2, ge=-10.0, le=10.0, unit="log-odds",
        description="Baseline log-odds of taking an offered eligible family as a CPP case",
        source="value calibrated to F9–F10 (ABC-SMC posterior 90 % interval −3.6 to −0.3, "
        "strongly correlated with the referral rate)",
    )
    motivation_weight: float = spec(
        2.5, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of intrinsic motivation", source="seed 000 theme 1 (S3); value assumed",
    )
    readiness_weight: float = spec(
        3.0, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of psychological readiness",
        source="seed 000 theme 2 (S4); value assumed",
    )
    competence_weight: float = spec(
        1.0, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of competence (confidence in the method)", source="assumption",
    )
    time_weight: float = spec(
        2.0, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of available time (protected plus free hours vs. hours a new case "
        "needs)",
        source="seed 000 theme 4; seed 004 (organisational constraints); value assumed",
    )
    opportunity_weight: float = spec(
        2.0, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of opportunity structure: the leader's agenda creates it, or the "
        "therapist's own self-leadership does (agenda + (1 − agenda) × self-leadership)",
        source="seed 000 theme 4 (S1, S2); value assumed",
    )
    climate_weight: float = spec(
        3.0, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of the service's implementation climate",
        source="S1 (Williams et al. 2020: climate → EBP use); value calibrated to target E2",
    )
    peer_weight: float = spec(
        1.0, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of the peer norm: share of colleagues and co-trainees delivering CPP",
        source="assumption",
    )
    fit_weight: float = spec(
        2.0, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of structure fit: how well programme flexibility matches the "
        "therapist's autonomy preference",
        source="seed 000 theme 3 (S5); value assumed",
    )
    consultation_weight: float = spec(
        0.6, ge=0.0, le=10.0, unit="log-odds per unit",
        description="Weight of ongoing consultation (support for taking difficult cases)",
        source="S6; F2; value assumed",
    )
    training_requirement_weight: float = spec(
        1.5, ge=0.0, le=10.0, unit="log-odds",
        description="Push to take cases while training cases for certification are still missing",
        source="F2; value calibrated to F9b (ABC-SMC posterior 90 % interval 0.7–2.7)",
    )
    caseload_weight: float = spec(
        0.8, ge=0.0, le=10.0, unit="log-odds per case",
        description="Reluctance per CPP case already carried",
        source="assumption",
    )


class ChildWelfareParams(_Group):
    """Child welfare services: the second service type of the Norwegian CPP cohort.

    The rest of the services are child and adolescent mental health services (CAMHS), described
    by the ``services.*`` and ``cases.*`` parameters. A child welfare service differs in its
    eligible referrals, its production pressure, its families' barriers and the CPP caseload one
    therapist can carry alongside statutory casework.
    """

    share: float = spec(
        0.0, ge=0.0, le=1.0, unit="share of services", kind="structure",
        description="Share of services that are child welfare services (the last ones by "
        "number; the rest are CAMHS)",
        source="seed 000 (CPP trained in CAMHS and child welfare services in Norway); "
        "value assumed (0 = the calibrated CAMHS world)",
    )
    referral_ratio: float = spec(
        1.2, ge=0.0, le=10.0, unit="ratio",
        description="Eligible referrals of a child welfare service relative to a CAMHS one",
        source="seed 000 (child welfare meets many young children after adversity); value "
        "assumed",
    )
    production_pressure: float = spec(
        0.7, ge=0.0, le=1.0, unit="0–1",
        description="Production pressure in child welfare services (replaces "
        "services.production_pressure there)",
        source="Kim & Kao 2014 (workload and stress in child welfare); value assumed",
    )
    caregiver_barrier_prevalence: float = spec(
        0.7, ge=0.0, le=1.0, unit="share of families",
        description="Share of child welfare families with caregiver barriers",
        source="seed 004 (social stressors); F6; value assumed",
    )
    max_cpp_caseload: int = spec(
        2, ge=1, le=20, unit="cases",
        description="Most CPP cases a child welfare therapist carries alongside casework",
        source="value assumed",
    )


class NetworkParams(_Group):
    """Colleague and co-trainee networks (the peer norm)."""

    colleagues_each: int = spec(
        4, ge=0, le=50, unit="colleagues", kind="structure",
        description="Colleagues each post is tied to within its service (Watts–Strogatz ring)",
        source="value assumed",
    )
    rewiring: float = spec(
        0.1, ge=0.0, le=1.0, unit="probability", kind="structure",
        description="Watts–Strogatz rewiring probability of colleague ties",
        source="value assumed",
    )
    co_trainee_ties: int = spec(
        2, ge=0, le=20, unit="ties", kind="structure",
        description="Trainees of other services each first-cohort trainee meets at gatherings",
        source="F1 (gatherings bring services together); value assumed",
    )


class ContextParams(_Group):
    """Outer context: commissioning and funding (seed 003)."""

    funded_at_start: bool = spec(
        True, kind="lever",
        description="Whether services are funded for CPP (protected time, consultation) at "
        "month 0",
        source="seed 003",
    )
    funding_cycle_months: int = spec(
        36, ge=6, le=120, unit="months",
        description="Length of a commissioning cycle; funding is reviewed at each cycle's end",
        source="seed 003 (commissioning cycles); assumption for the length",
    )
    renewal_base: float = spec(
        0.6, ge=0.0, le=1.0, unit="probability",
        description="Probability that funding is renewed with no evidence of impact, no awareness "
        "and no advocacy",
        source="seed 003; F13 (funding is a barrier for 19 % of CPP sites, workforce and "
        "training logistics for more: most services keep their funding); value assumed",
    )
    renewal_impact_weight: float = spec(
        0.35, ge=0.0, le=1.0, unit="probability",
        description="Added renewal probability at full demonstrated impact",
        source="seed 003 (demonstrating impact and value for money); value assumed",
    )
    renewal_awareness_weight: float = spec(
        0.15, ge=0.0, le=1.0, unit="probability",
        description="Added renewal probability at full commissioner awareness",
        source="seed 003 (lack of awareness of infant mental health); value assumed",
    )
    renewal_advocacy_weight: float = spec(
        0.15, ge=0.0, le=1.0, unit="probability",
        description="Added renewal probability with a fully proactive, perseverant leader",
        source="seed 003; seed 000 theme 4; value assumed",
    )
    unfunded_agenda_share: float = spec(
        0.5, ge=0.0, le=1.0, unit="share",
        description="Share of the leader's CPP agenda that survives when the service loses its "
        "CPP funding (referral routing, protected time and booster consultation stop entirely)",
        source="seed 003 (decommissioning ends the offer); assumption",
    )
    awareness_initial: float = spec(
        0.3, ge=0.0, le=1.0, unit="0–1",
        description="Commissioners' awareness of infant mental health at month 0",
        source="seed 003; value assumed",
    )
    impact_cases_for_full_evidence: float = spec(
        10.0, ge=1.0, le=200.0, unit="improved cases",
        description="Improved cases within one cycle that make a service's impact fully "
        "demonstrated",
        source="assumption",
    )
    refunding_monthly: float = spec(
        0.02, ge=0.0, le=1.0, unit="per month",
        description="Monthly chance that an unfunded service regains funding, at full awareness "
        "(stop–restart)",
        source="S10, seed 003; assumption",
    )
    awareness_gain_advocacy: float = spec(
        0.1, ge=0.0, le=1.0, unit="0–1 per year", kind="structure",
        description="Commissioner awareness gained per year when every leader advocates fully",
        source="seed 003; value assumed",
    )
    awareness_decay: float = spec(
        0.05, ge=0.0, le=1.0, unit="share per year", kind="structure",
        description="Share of commissioner awareness that fades per year without advocacy",
        source="seed 003; value assumed",
    )


class ProgrammeParams(_Group):
    """The service's own decision to keep offering CPP: de-adoption and re-adoption.

    docs/odd.md §7.2a.

    Sites report that they stop a practice for three reasons: inadequate financing, lack of
    prioritisation and workforce problems (Bond et al. 2014, 49 sites; Massatti et al. 2008,
    twelve Ohio providers; F13 for CPP sites: staff turnover, funding, loss of a trainer); the
    turnover of a programme's supervisor predicts its survival (Peterson et al. 2014). Each is
    a hazard ratio on a base rate; a service that has stopped offers no CPP (no routing,
    protected time, booster or new trainees, and no new CPP case) until it restarts.
    """

    discontinuation_per_year: float = spec(
        0.04, ge=0.0, le=1.0, unit="probability per year",
        description="Yearly chance that a service decides to stop offering CPP when it is "
        "funded, has a therapist in post who can deliver, a leader of average agenda and no "
        "new leader",
        source="value assumed (the reasons sites give all raise it: see the hazard ratios)",
    )
    unfunded_hazard_ratio: float = spec(
        8.0, ge=1.0, le=100.0, unit="hazard ratio",
        description="Discontinuation hazard of a service that has lost its CPP funding, relative "
        "to a funded one",
        source="Bond et al. 2014 and Massatti et al. 2008 (inadequate financing, the reason "
        "most often given); value assumed",
    )
    no_team_hazard_ratio: float = spec(
        20.0, ge=1.0, le=100.0, unit="hazard ratio",
        description="Discontinuation hazard of a service with no therapist in post who can "
        "deliver CPP (trained or in training), relative to one with a CPP team",
        source="Bond et al. 2014 (workforce); Massatti et al. 2008 (attracting and retaining "
        "qualified staff); F13 (training logistics 50 %, staff turnover 25 % of CPP sites, more "
        "than funding: the F13 target, 60 replications); value calibrated to F13 (a funded "
        "service left with nobody able to deliver, at an average agenda, stops after 15 "
        "months on average, half of them within 10)",
    )
    new_leader_hazard_ratio: float = spec(
        2.0, ge=1.0, le=20.0, unit="hazard ratio",
        description="Discontinuation hazard in the first new_leader_months after a new leader "
        "takes over, relative to an established leader",
        source="Peterson et al. 2014 (J Behav Health Serv Res 41:337: supervisor turnover "
        "predicted program survival); F13 (loss of a trainer, 19 %); value assumed",
    )
    new_leader_months: int = spec(
        12, ge=0, le=60, unit="months", kind="structure",
        description="Months after a leader's appointment during which the programme is at the "
        "raised risk of new_leader_hazard_ratio",
        source="value assumed",
    )
    priority_effect: float = spec(
        1.0, ge=0.0, le=10.0, unit="log hazard ratio per unit agenda",
        description="How much a leader's implementation agenda (0–1, centred at 0.5) lowers the "
        "discontinuation hazard and raises the restart hazard (log hazard ratio per unit)",
        source="Bond et al. 2014 (lack of prioritisation); Aarons et al. 2014 (ILS "
        "perseverant); value assumed",
    )
    readoption_per_year: float = spec(
        0.15, ge=0.0, le=1.0, unit="probability per year",
        description="Yearly chance that a funded service that stopped offering CPP restarts it "
        "(at an average agenda); without CPP funding the chance is divided by "
        "unfunded_hazard_ratio",
        source="Bond et al. 2014 (sites restart a practice after a period of discontinuation); "
        "value assumed",
    )


class MechanismParams(_Group):
    """Switches for the causal paths through which leadership (and climate) act.

    Each field switches one documented path on (default) or off; off cuts the link, so the
    leader's scores no longer reach the outcome through it. With every path off, implementation
    leadership and passive support produce identical runs (a test checks this). Attribution
    (``impl-sim explain``) switches them off one at a time: ``{"mechanisms.<name>": False}``.
    The display order is the order of :func:`mechanism_paths`.
    """

    leader_routing: bool = spec(
        True, kind="structure",
        description="Leaders route eligible referrals to trained therapists (probability rises "
        "with proactive and knowledgeable scores)",
        source="Aarons et al. 2014 (ILS: proactive, knowledgeable); seed 000 theme 4",
    )
    protected_time: bool = spec(
        True, kind="structure",
        description="Leaders protect time for CPP (share of the maximum rises with the "
        "proactive score)",
        source="seed 000 theme 4; Aarons et al. 2014 (ILS proactive: removes obstacles)",
    )
    follow_up: bool = spec(
        True, kind="structure",
        description="Leaders follow up therapists' CPP work (monthly probability rises with "
        "proactive and perseverant scores); a follow-up lifts motivation",
        source="seed 000 theme 4; Aarons et al. 2014 (ILS perseverant)",
    )
    leader_agenda: bool = spec(
        True, kind="structure",
        description="The leader's agenda gives therapists the opportunity to take CPP cases "
        "(self-leadership fills the gap a weak agenda leaves)",
        source="seed 000 theme 4 (S1, S2)",
    )
    agenda_to_climate: bool = spec(
        True, kind="structure",
        description="The leader's agenda shapes the service's implementation climate",
        source="Williams et al. 2020 (leadership → climate, d = 0.92)",
    )
    climate_to_use: bool = spec(
        True, kind="structure",
        description="Implementation climate raises therapists' propensity to take CPP cases",
        source="Williams et al. 2020 (climate → EBP use); Williams et al. 2022",
    )
    climate_to_turnover: bool = spec(
        True, kind="structure",
        description="A positive implementation climate lowers staff turnover",
        source="Aarons & Sawitzky 2006 (climate → work attitudes and turnover)",
    )
    support_to_turnover: bool = spec(
        True, kind="structure",
        description="Supportive leadership lowers therapists' turnover hazard",
        source="Fukui, Wu & Salyers 2019 (supervisory support → lower turnover intention via "
        "emotional exhaustion); Kim & Kao 2014 (meta-analysis, child welfare)",
    )
    setback_buffer: bool = spec(
        True, kind="structure",
        description="A supportive leader absorbs part of the motivational cost of a family "
        "dropping out",
        source="seed 000 theme 4; assumption",
    )
    funding_advocacy: bool = spec(
        True, kind="structure",
        description="Proactive, perseverant leaders argue for funding with commissioners",
        source="seed 003; seed 000 theme 4",
    )
    leader_priority: bool = spec(
        True, kind="structure",
        description="The leader's agenda keeps CPP a priority of the service (it is less likely "
        "to stop offering CPP, and more likely to restart it)",
        source="Bond et al. 2014 (lack of prioritisation, a reason sites stop a practice)",
    )


# --- strategies -------------------------------------------------------------------------------


class StrategyParamsBase(_Group):
    """Fields every strategy has. A strategy acts only when ``enabled``.

    A strategy's own parameter group subclasses this and adds its settings with :func:`spec`;
    :func:`register_strategy_params` (called by ``model.strategies.register``) puts it in the
    schema as ``strategies.<name>``.
    """

    enabled: bool = spec(False, kind="lever", description="Switch the strategy on")
    start_month: int = spec(0, ge=0, le=240, unit="month", kind="lever",
                            description="Month the strategy starts")
    duration_months: int = spec(0, ge=0, le=240, unit="months", kind="lever",
                                description="How long it runs; 0 = to the end of the run")


class ProtectedTimeParams(StrategyParamsBase):
    """Alter incentive/allowance structures: hours protected for CPP."""

    hours_per_week: float = spec(
        2.0, ge=0.0, le=10.0, unit="hours/week", kind="lever", key=True,
        label="Protected hours per week",
        plain="Hours protected for CPP each week",
        description="Hours per week protected for CPP for every therapist who can deliver it "
        "(trainees and trained therapists, not those who discontinued); costed at "
        "training.therapist_hour_cost",
        source="seed 000 theme 4; value assumed",
    )


class BoosterConsultationParams(StrategyParamsBase):
    """Provide ongoing consultation: consultation continues after training ends."""

    start_month: int = spec(18, ge=0, le=240, unit="month", kind="lever",
                            description="Month booster consultation starts")
    sessions_per_month: float = spec(
        1.0, ge=0.0, le=8.0, unit="sessions/month", kind="lever",
        description="Booster consultation sessions per month after training",
        source="S6; F2; value assumed",
    )


class CentralCaseRoutingParams(StrategyParamsBase):
    """Revise professional roles: intake routes eligible families to trained therapists."""

    routed_share: float = spec(
        0.9, ge=0.0, le=1.0, unit="share", kind="lever",
        description="Share of eligible referrals routed to a trained therapist with room",
        source="seed 000 theme 4; assumption",
    )


class LeadershipTrainingParams(StrategyParamsBase):
    """Recruit, designate and train for leadership (e.g. the LOCI programme)."""

    ils_gain: float = spec(
        1.0, ge=0.0, le=4.0, unit="ILS points", kind="lever",
        description="Gain on proactive, knowledgeable and perseverant (capped at 4) for the "
        "leaders in post",
        source="S11 (LOCI trials in Norway); assumption",
    )
    cost_per_leader: float = spec(
        4000.0, ge=0.0, le=100000.0, unit="EUR", description="Cost of training one leader",
        source="assumption",
    )


class ChampionsParams(StrategyParamsBase):
    """Identify and prepare champions: one motivated trained therapist per service."""

    per_service: int = spec(
        1, ge=0, le=10, unit="therapists", kind="lever",
        description="Champions designated per service (most motivated trained therapists)",
        source="assumption",
    )
    peer_boost: float = spec(
        0.3, ge=0.0, le=1.0, unit="0–1",
        description="How much a champion raises the peer norm of colleagues in the service",
        source="assumption",
    )
    self_leadership_floor: float = spec(
        0.8, ge=0.0, le=1.0, unit="0–1",
        description="Self-leadership a champion has at least (the role makes them organise "
        "their own implementation)",
        source="value assumed",
    )


class AuditFeedbackParams(StrategyParamsBase):
    """Audit and provide feedback: regular reports on CPP use to therapists and leaders."""

    interval_months: int = spec(
        6, ge=1, le=24, unit="months", kind="lever", description="Months between feedback rounds",
    )
    climate_boost: float = spec(
        0.05, ge=0.0, le=0.5, unit="0–1", description="Climate gain per feedback round",
    )


class CommissioningSupportParams(StrategyParamsBase):
    """Access new funding: evaluation and awareness work aimed at commissioners (seed 003)."""

    awareness_gain_per_year: float = spec(
        0.2, ge=0.0, le=1.0, unit="0–1/year", kind="lever",
        description="Commissioner awareness gained per year of support",
        source="seed 003 (awareness; demonstrating impact); value assumed",
    )
    evaluation_boost: float = spec(
        0.3, ge=0.0, le=1.0, unit="0–1",
        description="How much routine evaluation raises demonstrated impact",
        source="seed 003; value assumed",
    )


class TailoredReadinessSupportParams(StrategyParamsBase):
    """Tailor strategies: extra supervision for therapists with low psychological readiness."""

    readiness_threshold: float = spec(
        0.5, ge=0.0, le=1.0, unit="0–1",
        description="Therapists below this readiness get tailored support",
    )
    readiness_gain: float = spec(
        0.02, ge=0.0, le=0.2, unit="per month",
        description="Extra readiness per month for supported therapists",
        source="seed 000 theme 2; assumption",
    )


class TailoredFlexibilityParams(StrategyParamsBase):
    """Tailor strategies (individual level): flexibility matched to each trainee's autonomy."""

    mismatch_removed: float = spec(
        0.5, ge=0.0, le=1.0, unit="share", kind="lever",
        description="Share of the mismatch between programme flexibility and a trainee's "
        "autonomy preference that tailoring removes (structure fit rises)",
        source="seed 000 theme 3 (flexibility welcomed, tailoring to the therapist); value "
        "assumed",
    )
    cost_per_therapist: float = spec(
        300.0, ge=0.0, le=10000.0, unit="EUR", description="Cost of tailoring per trainee",
        source="value assumed",
    )


class TailoredOrganisationalSupportParams(StrategyParamsBase):
    """Tailor strategies (organisational level): protected time where pressure is high."""

    pressure_threshold: float = spec(
        0.6, ge=0.0, le=1.0, unit="0–1", kind="lever",
        description="Services with at least this production pressure get the support",
        source="seed 004 (organisational constraints); value assumed",
    )
    hours_per_week: float = spec(
        1.5, ge=0.0, le=10.0, unit="hours/week", kind="lever",
        description="Hours per week protected for CPP in those services",
        source="seed 000 theme 4; value assumed",
    )


class CulturalTailoringParams(StrategyParamsBase):
    """Tailor strategies (cultural level): training in culturally sensitive care."""

    barrier_hazard_reduction: float = spec(
        0.3, ge=0.0, le=1.0, unit="share", kind="lever",
        description="Share of caregiver barriers' excess dropout hazard a therapist trained in "
        "culturally sensitive care removes (language, culture, mental-health literacy)",
        source="seed 004 (barriers among ethnic minority families; recommendation: training in "
        "culturally sensitive care); value assumed",
    )
    cost_per_therapist: float = spec(
        500.0, ge=0.0, le=10000.0, unit="EUR",
        description="Cost of the training per therapist", source="value assumed",
    )


class OngoingTrainingParams(StrategyParamsBase):
    """Conduct ongoing training: new cohorts enrol untrained staff (answers turnover, S8)."""

    interval_months: int = spec(
        12, ge=1, le=60, unit="months", kind="lever",
        description="Months between new training cohorts",
    )


class StrategyParams(_Group):
    """Implementation strategies (plug-ins in impl_sim.model.strategies).

    The built-in strategies' groups are declared here so that the schema (docs, dashboard,
    validation) is complete without importing the model; a plug-in strategy adds its own group
    at registration (:func:`register_strategy_params`).
    """

    protected_time: ProtectedTimeParams = Field(default_factory=ProtectedTimeParams)
    booster_consultation: BoosterConsultationParams = Field(
        default_factory=BoosterConsultationParams)
    central_case_routing: CentralCaseRoutingParams = Field(
        default_factory=CentralCaseRoutingParams)
    leadership_training: LeadershipTrainingParams = Field(
        default_factory=LeadershipTrainingParams)
    champions: ChampionsParams = Field(default_factory=ChampionsParams)
    audit_feedback: AuditFeedbackParams = Field(default_factory=AuditFeedbackParams)
    commissioning_support: CommissioningSupportParams = Field(
        default_factory=CommissioningSupportParams)
    tailored_readiness_support: TailoredReadinessSupportParams = Field(
        default_factory=TailoredReadinessSupportParams)
    ongoing_training: OngoingTrainingParams = Field(default_factory=OngoingTrainingParams)
    tailored_flexibility: TailoredFlexibilityParams = Field(
        default_factory=TailoredFlexibilityParams)
    tailored_organisational_support: TailoredOrganisationalSupportParams = Field(
        default_factory=TailoredOrganisationalSupportParams)
    cultural_tailoring: CulturalTailoringParams = Field(default_factory=CulturalTailoringParams)


class Params(_Group):
    """All parameters of one model run. Build with ``Params()`` or ``Params.from_overrides``."""

    _digest: str | None = PrivateAttr(default=None)

    simulation: SimulationParams = SimulationParams()
    services: ServiceParams = ServiceParams()
    therapists: TherapistParams = TherapistParams()
    leaders: LeaderParams = LeaderParams()
    leader_styles: LeaderStyleParams = Field(default_factory=LeaderStyleParams)
    cases: CaseParams = CaseParams()
    training: TrainingParams = TrainingParams()
    learning: LearningParams = LearningParams()
    decision: DecisionParams = DecisionParams()
    context: ContextParams = ContextParams()
    programme: ProgrammeParams = ProgrammeParams()
    network: NetworkParams = NetworkParams()
    child_welfare: ChildWelfareParams = ChildWelfareParams()
    mechanisms: MechanismParams = MechanismParams()
    strategies: StrategyParams = Field(default_factory=StrategyParams)

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None = None) -> Params:
        """Defaults with ``{"group.name": value}`` overrides applied and validated.

        Raises :class:`ParamError` naming the first bad key or value.
        """
        return cls().with_overrides(overrides or {})

    def with_overrides(self, overrides: Mapping[str, Any]) -> Params:
        """A copy with dotted-name overrides applied; raises :class:`ParamError`."""
        tree = self.model_dump(mode="python")
        for name, value in overrides.items():
            check_name(name)
            *path, leaf = name.split(".")
            node = tree
            for part in path:
                node = node[part]
            node[leaf] = value
        try:
            return type(self).model_validate(tree)
        except ValidationError as exc:
            raise ParamError.from_validation(exc, overrides) from None

    # -- access -----------------------------------------------------------------------------

    def get(self, name: str) -> Any:
        """Value of a dotted parameter name."""
        check_name(name)
        node: Any = self
        for part in name.split("."):
            node = getattr(node, part)
        return node.value if isinstance(node, Enum) else node

    def flat(self) -> dict[str, Any]:
        """Every parameter as ``{dotted name: value}`` (enums as strings)."""
        return {s.name: self.get(s.name) for s in param_specs()}

    def changed(self) -> dict[str, Any]:
        """Only the parameters that differ from the defaults."""
        defaults = Params().flat()
        return {k: v for k, v in self.flat().items() if defaults[k] != v}

    def digest(self) -> str:
        """A short, stable hash of every value (identifies a parameter set)."""
        if self._digest is None:  # frozen, so computed once
            blob = json.dumps(self.flat(), sort_keys=True, default=str)
            self._digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
        return self._digest

    def ils_profile(self) -> dict[str, float]:
        """The four ILS scores the leaders start with, from ``style`` or the dimensions."""
        lead = self.leaders
        if lead.style is LeadershipStyle.ils_scores:
            return {d: getattr(lead, d) for d in ILS_DIMENSIONS}
        profile = getattr(self.leader_styles, lead.style.value)
        return {d: getattr(profile, d) for d in ILS_DIMENSIONS}


ILS_DIMENSIONS = ("proactive", "knowledgeable", "supportive", "perseverant")
# The named styles' profiles as plain dictionaries (read from the schema's defaults).
LEADERSHIP_STYLE_PROFILES: dict[str, dict[str, float]] = {
    style: {d: getattr(getattr(LeaderStyleParams(), style), d) for d in ILS_DIMENSIONS}
    for style in LeaderStyleParams.model_fields
}


# --- the flat view every consumer uses ---------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One parameter, flattened: what validation, docs, dashboard and samplers read."""

    name: str
    group: str
    type: str
    default: Any
    min: float | None
    max: float | None
    unit: str
    description: str
    source: str
    kind: str
    key: bool
    label: str
    choices: tuple[str, ...] | None = None
    plain: str = ""  # leader-facing label ("" = the label serves)

    @property
    def is_numeric(self) -> bool:
        """True for int and float parameters (the ones samplers can vary)."""
        return self.type in ("int", "float")

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type == "bool":
            return "true or false"
        if self.min is not None and self.max is not None:
            return f"{self.type} from {_fmt(self.min)} to {_fmt(self.max)}"
        return self.type

    def as_dict(self) -> dict[str, Any]:
        """The ``impl-sim params --json`` record."""
        return {
            "name": self.name, "type": self.type, "default": self.default,
            "min": self.min, "max": self.max, "unit": self.unit,
            "description": self.description, "source": self.source,
            "kind": self.kind, "choices": list(self.choices) if self.choices else None,
        }


def _fmt(x: float) -> str:
    return f"{x:g}"


def _bound(field: Any, attr: str) -> float | None:
    for meta in field.metadata:
        if hasattr(meta, attr):
            return float(getattr(meta, attr))
    return None


def _walk(model: type[BaseModel], prefix: str, group: str) -> Iterator[ParamSpec]:
    for fname, field in model.model_fields.items():
        name = f"{prefix}{fname}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _walk(ann, name + ".", group or fname)
            continue
        extra = field.json_schema_extra or {}
        assert isinstance(extra, dict)
        default = field.default
        choices = None
        if isinstance(ann, type) and issubclass(ann, Enum):
            choices = tuple(m.value for m in ann)
            default = default.value
            type_name = "choice"
        else:
            type_name = {int: "int", float: "float", bool: "bool"}.get(ann, str(ann))
        yield ParamSpec(
            name=name, group=group, type=type_name, default=default,
            min=_bound(field, "ge"), max=_bound(field, "le"),
            unit=str(extra.get("unit", "")), description=field.description or "",
            source=str(extra.get("source", "assumption")), kind=str(extra.get("kind", "")),
            key=bool(extra.get("key", False)),
            label=str(extra.get("label") or fname.replace("_", " ").capitalize()),
            choices=choices, plain=str(extra.get("plain", "")),
        )


_SPECS: tuple[ParamSpec, ...] = ()
_BY_NAME: dict[str, ParamSpec] = {}
# The built-in strategies; :func:`strategy_names` also lists plug-ins registered later.
STRATEGY_NAMES: tuple[str, ...] = tuple(StrategyParams.model_fields)


def _index_specs() -> None:
    global _SPECS, _BY_NAME
    _SPECS = tuple(_walk(Params, "", ""))
    _BY_NAME = {s.name: s for s in _SPECS}


_index_specs()


def strategy_names() -> tuple[str, ...]:
    """Every strategy with a parameter group: built-in and registered plug-ins."""
    return tuple(StrategyParams.model_fields)


def strategy_params_group(name: str) -> type[StrategyParamsBase]:
    """The parameter-group class of strategy ``name``."""
    return StrategyParams.model_fields[name].annotation  # type: ignore[return-value]


def register_strategy_params(name: str, group: type[StrategyParamsBase]) -> None:
    """Add a strategy's parameter group to the schema as ``strategies.<name>``.

    Idempotent for the same class. After this, scenario files, ``Params.from_overrides``,
    ``param_specs()`` and the generated docs all know ``strategies.<name>.*``. The group is
    registered in this process only: a plug-in must be imported in every worker process too.
    """
    if not (isinstance(group, type) and issubclass(group, StrategyParamsBase)):
        raise TypeError(f"parameters of strategy '{name}' must subclass StrategyParamsBase")
    known = StrategyParams.model_fields.get(name)
    if known is not None:
        if known.annotation is group:
            return
        raise ValueError(f"strategy '{name}' already has parameter group "
                         f"{known.annotation.__name__}")
    StrategyParams.model_fields[name] = FieldInfo.from_annotated_attribute(
        group, Field(default_factory=group))
    StrategyParams.model_rebuild(force=True)
    Params.model_rebuild(force=True)
    _index_specs()


def unregister_strategy_params(name: str) -> None:
    """Remove a plug-in strategy's group from the schema (built-in strategies stay)."""
    if name in STRATEGY_NAMES:
        raise ValueError(f"'{name}' is a built-in strategy")
    if StrategyParams.model_fields.pop(name, None) is not None:
        StrategyParams.model_rebuild(force=True)
        Params.model_rebuild(force=True)
        _index_specs()


def mechanism_paths() -> list[str]:
    """Dotted names of the causal-path switches (``mechanisms.*``), in display order.

    Switching one off is the override ``{name: False}``; attribution uses only this list.
    """
    return [f"mechanisms.{name}" for name in MechanismParams.model_fields]


def param_specs() -> tuple[ParamSpec, ...]:
    """Every parameter, in declaration order."""
    return _SPECS


def param_spec(name: str) -> ParamSpec:
    """The spec of one dotted parameter name; raises :class:`ParamError` with a hint."""
    check_name(name)
    return _BY_NAME[name]


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """A '(did you mean …?)' hint for a misspelt name, or ''."""
    if len(name) > 200:  # no parameter name is this long; keep the comparison cheap
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_name(name: str) -> None:
    """Raise :class:`ParamError` unless ``name`` is a known dotted parameter name."""
    if name in _BY_NAME:
        return
    group = name.split(".")[0]
    groups = sorted({s.name.split(".")[0] for s in _SPECS})
    if group not in groups:
        allowed = "a parameter name starting with one of: " + ", ".join(groups)
    else:
        allowed = f"a parameter of group '{group}' (see `impl-sim params`)"
    raise ParamError(name, None, allowed, hint=suggest(name, list(_BY_NAME)), unknown=True)


class ParamError(ValueError):
    """A bad parameter name or value; names the key, the value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str, hint: str = "", unknown: bool = False):
        self.key, self.value, self.allowed = key, value, allowed
        self.hint, self.unknown = hint, unknown
        from impl_sim.textsafe import escape_controls, excerpt  # short, escaped echoes

        shown = escape_controls(str(key))[:120]
        if unknown:
            msg = f"unknown parameter '{shown}'{hint}; expected {allowed}"
        else:
            msg = f"'{shown}' = {excerpt(value)} is not allowed; expected {allowed}"
        super().__init__(msg)

    @classmethod
    def from_validation(cls, exc: ValidationError, overrides: Mapping[str, Any]) -> ParamError:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        spec_ = _BY_NAME.get(key)
        value = overrides.get(key, err.get("input"))
        allowed = spec_.allowed() if spec_ else err["msg"]
        return cls(key, value, allowed)
