"""Sustainment as survival: how long therapists keep delivering, stay in post, take to start;
how long services keep delivering after start-up and after competence.

Durations come from the event log (:mod:`impl_sim.model.events`, ``Results.events``) and are
estimated with Kaplan–Meier (``lifelines``), pooled over the replications of each arm. Every
duration counts months from its *origin* to the month of its *end*, the same way for events
and censorings: a therapist whose first case is in month 3 and whose delivery stops in month 10
(the first of ``window`` consecutive months without a case) delivered for 7 months; one still
delivering at the run's end (``horizon`` months) is censored at ``horizon − 3``.

Durations (:data:`DURATIONS`):

* ``delivering`` — months delivering CPP before stopping, among adopters (origin: first CPP
  case; stop: the first of ``window`` = 6 consecutive months without an active case, as in the
  service events). Two versions: ``delivering_until_stop_or_leaving`` (leaving the job
  while delivering counts as stopping, at the first month without a case) and
  ``delivering_leaving_censored`` (leaving the job censors the duration at the month after
  leaving).
* ``delivering_first_to_last`` — months from the first CPP case to the last month with an
  active case, as claims-based studies measure it (first to final claim; a gap does not end
  it, leaving does); censored when the therapist is still in post with a case in the run's last
  ``window`` months.
* ``in_post_from_hire`` — months from the first month in post (month 0 for the staff in post at
  the start, which ignores their earlier tenure) to the month after leaving.
* ``in_post_new_hires`` — the same for the therapists hired during the run only (the month-0
  staff have been in post for a while and leave less: turnover falls with tenure), as
  workforce studies follow a hiring cohort.
* ``in_post_after_training`` — months from the month after completing training to the month
  after leaving.
* ``first_case_after_enrolment`` — months from enrolment to the first CPP case; leaving the job
  or the programme censors it (cause-specific: the quitters cannot start any more).
* ``service_delivering_after_startup`` / ``service_delivering_after_competence`` — services:
  months from start-up (first active case), resp. competence (first certified therapist in
  post), to the first stop of delivery (event ``delivery_stopped``).
* ``service_programme_after_startup`` — services: months from start-up to the service's first
  decision to stop offering CPP (event ``programme_stopped``), as programme-continuation
  studies follow sites; a month without a case is no stop.

Intervals are Kaplan–Meier (Greenwood, log–log) 95 % intervals over the pooled individuals:
they describe sampling of people and services, not differences between settings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impl_sim.model.outcomes import SUSTAINMENT_WINDOW

CASE_END = ("case_completed", "case_dropped", "case_closed_by_leaving")
SURVIVAL_MONTHS = (12, 24, 36)
DEFAULT_TAU = 36


@dataclass(frozen=True)
class Duration:
    """One time-to-event quantity: who is at risk, from when, until what."""

    name: str
    entity: str
    label: str
    at_risk: str  # the denominator: who enters the curve
    end: str  # what ends the duration (what the curve counts down)


DURATIONS: dict[str, Duration] = {d.name: d for d in (
    Duration("delivering_until_stop_or_leaving", "therapist",
             "Months delivering CPP (leaving the job = stopping)",
             "adopters (therapists who started a CPP case)",
             "the first of 6 consecutive months without a CPP case, or leaving"),
    Duration("delivering_leaving_censored", "therapist",
             "Months delivering CPP (leaving the job censors)",
             "adopters (therapists who started a CPP case)",
             "the first of 6 consecutive months without a CPP case"),
    Duration("delivering_first_to_last", "therapist",
             "Months from first to last CPP case (claims-style; leaving = stopping)",
             "adopters (therapists who started a CPP case)",
             "the last month with an active CPP case, when no case follows within the run "
             "(censored if still delivering in the run's last 6 months)"),
    Duration("in_post_from_hire", "therapist", "Months in post from hire",
             "every therapist who held a post", "leaving the post"),
    Duration("in_post_new_hires", "therapist", "Months in post of new hires",
             "therapists hired during the run", "leaving the post"),
    Duration("in_post_after_training", "therapist", "Months in post after training",
             "therapists who completed training", "leaving the post"),
    Duration("first_case_after_enrolment", "therapist", "Months from enrolment to first case",
             "therapists who enrolled in training", "the first CPP case"),
    Duration("service_delivering_after_startup", "service",
             "Service months delivering after start-up", "services that started up",
             "the first stop of delivery"),
    Duration("service_delivering_after_competence", "service",
             "Service months delivering after competence",
             "services with a certified therapist", "the first stop of delivery"),
    Duration("service_programme_after_startup", "service",
             "Service months offering CPP after start-up", "services that started up",
             "the service's first decision to stop offering CPP"),
)}
GROUP_KEYS = ("task", "arm", "replication")


class SurvivalError(ValueError):
    """Results that cannot give survival tables (no events kept, unknown duration)."""


# --- durations from the event log --------------------------------------------------------------


def _first(events: pd.DataFrame, kind: str, keys: list[str]) -> pd.Series:
    rows = events[events["event"] == kind]
    return rows.groupby(keys, observed=True)["month"].min()


def _case_spans(people: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One row per CPP case: its therapist's keys, start ``month`` and ``last`` active month
    (the run's last month for a case still open)."""
    keys = [*GROUP_KEYS, "id"]
    starts = people[people["event"] == "case_started"][[*keys, "value", "month"]]
    ends = people[people["event"].isin(CASE_END)][["task", "value", "month"]]
    cases = starts.merge(ends, on=["task", "value"], how="left", suffixes=("", "_end"))
    cases["last"] = cases["month_end"].fillna(horizon - 1).astype(np.int64)
    return cases


def _delivery_episodes(people: pd.DataFrame, horizon: int, window: int) -> pd.DataFrame:
    """Per adopter: first case month, end of the first delivery episode, whether the end is a
    confirmed stop, and the leaving month (−1 if still in post)."""
    keys = [*GROUP_KEYS, "id"]
    cases = _case_spans(people, horizon)
    cases = cases.sort_values([*keys, "month"], kind="stable")
    left = _first(people, "left", keys)
    rows = []
    for key, group in cases.groupby(keys, sort=False, observed=True):
        first = int(group["month"].iloc[0])
        leaving = int(left.get(key, -1))
        observed_until = leaving if leaving >= 0 else horizon - 1
        cover, stopped = first - 1, False
        for start, last in zip(group["month"].tolist(), group["last"].tolist(), strict=True):
            if cover >= first and start - cover - 1 >= window:
                stopped = True
                break
            cover = max(cover, last)
        stopped = stopped or observed_until - cover >= window
        rows.append((*key, first, cover + 1, stopped, leaving))
    return pd.DataFrame(rows, columns=[*keys, "origin", "stop", "stopped", "left"])


def _delivering(people: pd.DataFrame, horizon: int, window: int, leaving_is_stop: bool,
                ) -> pd.DataFrame:
    ep = _delivery_episodes(people, horizon, window)
    if ep.empty:
        return ep.assign(duration=[], observed=[])
    censor_at = np.where(ep["left"] >= 0, ep["left"] + 1, horizon)
    observed = ep["stopped"] | ((ep["left"] >= 0) & leaving_is_stop)
    end = np.where(observed, ep["stop"], censor_at)
    return ep.assign(duration=end - ep["origin"], observed=observed.astype(bool))


def _first_to_last(people: pd.DataFrame, horizon: int, window: int) -> pd.DataFrame:
    """Claims-style delivery: from the first case's start to the last month any case was
    active (gaps do not end it); leaving ends it; still in post with a case active in the
    last ``window`` months of the run is censored (as a claim near the end of a study's window
    would be)."""
    keys = [*GROUP_KEYS, "id"]
    cases = _case_spans(people, horizon)
    per = cases.groupby(keys, observed=True).agg(origin=("month", "min"), last=("last", "max"))
    left = _first(people, "left", keys).reindex(per.index)
    censored = left.isna() & (per["last"] >= horizon - window)
    per = per.assign(duration=per["last"] + 1 - per["origin"], observed=~censored)
    return per.reset_index()


def _from_to(people: pd.DataFrame, origin: pd.Series, end: pd.Series,
             censor: list[pd.Series], horizon: int, end_offset: int = 0) -> pd.DataFrame:
    """Duration from ``origin`` to ``end`` (+ ``end_offset``); censored at the earliest of
    ``censor`` (+1) and the horizon."""
    frame = origin.rename("origin").to_frame()
    frame["end"] = end.reindex(frame.index) + end_offset
    frame["censor"] = float(horizon)
    for series in censor:
        frame["censor"] = np.fmin(frame["censor"], series.reindex(frame.index) + 1)
    observed = frame["end"].notna() & (frame["end"] <= frame["censor"])
    stop = np.where(observed, frame["end"], frame["censor"])
    frame = frame.assign(duration=stop - frame["origin"], observed=observed)
    return frame[frame["duration"] >= 0].reset_index()


def _service_after(services: pd.DataFrame, origin_event: str, horizon: int,
                   stop_event: str = "delivery_stopped") -> pd.DataFrame:
    keys = [*GROUP_KEYS, "id"]
    origin = _first(services, origin_event, keys)
    stops = services[services["event"] == stop_event].merge(
        origin.rename("origin").reset_index(), on=keys)
    # a stop before the origin is over if a restart followed it before the origin
    first_stop = stops[stops["month"] >= stops["origin"]].groupby(keys)["month"].min()
    frame = _from_to(services, origin, first_stop, [], horizon)
    if origin_event == "competence" and len(frame):
        state = _state_at_origin(services, frame, keys)
        frame.loc[~state, ["duration", "observed"]] = (0, True)
    return frame


def _state_at_origin(services: pd.DataFrame, frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Whether each service was delivering (not in a stopped spell) at its origin month."""
    spells = services[services["event"].isin(("delivery_stopped", "delivery_restarted"))]
    merged = spells.merge(frame[[*keys, "origin"]], on=keys)
    before = merged[merged["month"] <= merged["origin"]]
    last = before.groupby(keys, observed=True)["event"].last()
    stopped = last.reindex(pd.MultiIndex.from_frame(frame[keys])) == "delivery_stopped"
    return pd.Series(~stopped.to_numpy(dtype=bool), index=frame.index)


def durations(events: pd.DataFrame, horizon: int, window: int = SUSTAINMENT_WINDOW,
              names: list[str] | None = None) -> pd.DataFrame:
    """Tidy durations: one row per duration and individual (``duration`` name, task, arm,
    replication, id, ``months``, ``observed``)."""
    events = events.astype({"event": str, "entity": str, "detail": str})
    people = events[events["entity"] == "therapist"]
    services = events[events["entity"] == "service"]
    keys = [*GROUP_KEYS, "id"]
    hired = people[people["event"] == "hired"].set_index(keys)
    first_month = hired["month"] + (hired["detail"] != "in post at start")
    left = _first(people, "left", keys)
    enrolled = _first(people, "enrolled", keys)
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "delivering_until_stop_or_leaving":
            lambda: _delivering(people, horizon, window, leaving_is_stop=True),
        "delivering_leaving_censored":
            lambda: _delivering(people, horizon, window, leaving_is_stop=False),
        "delivering_first_to_last": lambda: _first_to_last(people, horizon, window),
        "in_post_from_hire": lambda: _from_to(people, first_month, left, [], horizon, 1),
        "in_post_new_hires": lambda: _from_to(
            people, first_month[hired["detail"] != "in post at start"], left, [], horizon, 1),
        "in_post_after_training": lambda: _from_to(
            people, _first(people, "completed_training", keys) + 1, left, [], horizon, 1),
        "first_case_after_enrolment": lambda: _from_to(
            people, enrolled, _first(people, "first_case", keys),
            [left, _first(people, "left_training", keys)], horizon),
        "service_delivering_after_startup": lambda: _service_after(services, "startup",
                                                                   horizon),
        "service_delivering_after_competence": lambda: _service_after(services, "competence",
                                                                      horizon),
        "service_programme_after_startup": lambda: _service_after(
            services, "startup", horizon, stop_event="programme_stopped"),
    }
    frames = []
    for name in names or list(DURATIONS):
        if name not in builders:
            raise SurvivalError(f"unknown duration {name!r}; expected one of "
                                + ", ".join(DURATIONS))
        frame = builders[name]()
        frames.append(pd.DataFrame({
            "duration": name, **{k: frame[k].to_numpy() for k in keys},
            "months": frame["duration"].to_numpy(dtype=float),
            "observed": frame["observed"].to_numpy(dtype=bool)}))
    return pd.concat(frames, ignore_index=True)


# --- Kaplan–Meier -------------------------------------------------------------------------------


def _fit(months: np.ndarray, observed: np.ndarray, label: str):
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=0.05).fit(months, observed, label=label)


def _at(kmf, t: float) -> tuple[float, float, float]:
    """S(t) with its 95 % interval (step function: the value at the last time ≤ t); NaN when
    nobody was followed for ``t`` months."""
    if not (np.asarray(kmf.durations) >= t).any():
        return math.nan, math.nan, math.nan
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    i = int(np.searchsorted(sf.index.to_numpy(), t, side="right")) - 1
    return float(sf.iloc[i]), float(ci.iloc[i, 0]), float(ci.iloc[i, 1])


def _median(kmf) -> tuple[float, float, float]:
    from lifelines.utils import median_survival_times

    bounds = median_survival_times(kmf.confidence_interval_)
    return (float(kmf.median_survival_time_), float(bounds.iloc[0, 0]),
            float(bounds.iloc[0, 1]))


def _restricted_mean(kmf, tau: float) -> float:
    from lifelines.utils import restricted_mean_survival_time

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(restricted_mean_survival_time(kmf, t=tau))


def _groups(table: pd.DataFrame, by: str | None):
    for name, rows in table.groupby("duration", sort=False):
        if by is None:
            yield name, "all", rows
        else:
            for group, sub in rows.groupby(by, sort=False):
                yield name, str(group), sub


def survival_table(table: pd.DataFrame, by: str | None = "arm", tau: float = DEFAULT_TAU,
                   months: tuple[int, ...] = SURVIVAL_MONTHS) -> pd.DataFrame:
    """One row per duration and group: ``n`` at risk, ``events``, the median with its 95 %
    interval (``inf`` when the curve never falls to a half), the restricted mean up to ``tau``
    months, and S(t) with its interval at each of ``months``."""
    rows = []
    for name, group, sub in _groups(table, by):
        kmf = _fit(sub["months"].to_numpy(), sub["observed"].to_numpy(), name)
        median, lo, hi = _median(kmf)
        row: dict[str, Any] = {
            "duration": name, "group": group, "n": len(sub), "events": int(sub["observed"].sum()),
            "median": median, "median_lo": lo, "median_hi": hi,
            f"restricted_mean_{int(tau)}m": _restricted_mean(kmf, tau)}
        for t in months:
            row[f"S{t}"], row[f"S{t}_lo"], row[f"S{t}_hi"] = _at(kmf, t)
        rows.append(row)
    return pd.DataFrame(rows)


def km_curves(table: pd.DataFrame, by: str | None = "arm") -> pd.DataFrame:
    """Kaplan–Meier curves, tidy: duration, group, month, survival, lo, hi, at_risk."""
    frames = []
    for name, group, sub in _groups(table, by):
        kmf = _fit(sub["months"].to_numpy(), sub["observed"].to_numpy(), name)
        ci = kmf.confidence_interval_
        frames.append(pd.DataFrame({
            "duration": name, "group": group, "month": kmf.survival_function_.index,
            "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
            "lo": ci.iloc[:, 0].to_numpy(), "hi": ci.iloc[:, 1].to_numpy(),
            "at_risk": kmf.event_table["at_risk"].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


# --- results directories --------------------------------------------------------------------------


def horizon_of(results: Any) -> int:
    """The horizon (months) of a results directory's scenario."""
    scenario = results.manifest.get("scenario", {})
    base = scenario.get("base", {}) if isinstance(scenario, dict) else {}
    horizon = scenario.get("horizon_months") or base.get("simulation.horizon_months")
    if horizon is None:
        raise SurvivalError("the manifest does not say the scenario's horizon")
    return int(horizon)


def results_durations(results: Any, names: list[str] | None = None) -> pd.DataFrame:
    """:func:`durations` of a :class:`~impl_sim.experiment.store.Results` (needs events)."""
    if results.events is None:
        where = results.directory or "these results"
        raise SurvivalError(f"{where}: no events table (the scenario ran with outputs.events: "
                            "false); rerun it with outputs.events: true")
    return durations(results.events, horizon_of(results), names=names)


def survival_figure(curves: pd.DataFrame, colours: dict[str, str] | None = None):
    """Kaplan–Meier curves with 95 % bands, one panel per duration (matplotlib Figure)."""
    from matplotlib.figure import Figure

    names = list(dict.fromkeys(curves["duration"]))
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(4.6 * cols, 3.4 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes[len(names):]:
        ax.set_visible(False)
    palette = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6b4c9a", "#00798c")
    for ax, name in zip(axes, names, strict=False):
        sub = curves[curves["duration"] == name]
        for i, (group, g) in enumerate(sub.groupby("group", sort=False)):
            colour = (colours or {}).get(group, palette[i % len(palette)])
            ax.step(g["month"], g["survival"], where="post", color=colour, label=group)
            ax.fill_between(g["month"], g["lo"], g["hi"], step="post", color=colour,
                            alpha=0.2, linewidth=0)
        ax.set_title(DURATIONS[name].label, fontsize=10)
        ax.set_xlabel("months since origin")
        ax.set_ylabel("share not yet ended")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    fig.suptitle("Kaplan–Meier curves with 95 % bands", fontsize=13, fontweight="bold")
    return fig


def run_survival_value(columns: dict[str, np.ndarray], horizon: int, name: str, kind: str,
                       after: int = 0) -> float:
    """A survival quantity of one run's event columns (``RunResult.events``): the KM median
    (``kind="median"``, months; NaN when not reached) or the share not ended ``after`` months
    after the origin (``kind="survival_at"``; NaN when nobody was followed that long)."""
    from impl_sim.model.events import event_frame_columns

    frame = pd.DataFrame(event_frame_columns(columns)).assign(task=0, point=0, arm="run",
                                                              replication=0)
    table = durations(frame, horizon, names=[name])
    if table.empty:
        return math.nan
    kmf = _fit(table["months"].to_numpy(), table["observed"].to_numpy(), name)
    if kind == "median":
        median = float(kmf.median_survival_time_)
        return median if math.isfinite(median) else math.nan
    return _at(kmf, after)[0]


# --- the command's work: tables, figure, JSON ----------------------------------------------------

BY_CHOICES = ("arm", "none")


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def as_json(table: pd.DataFrame, months: tuple[int, ...] = SURVIVAL_MONTHS,
            tau: float = DEFAULT_TAU) -> dict[str, Any]:
    """``{duration: {group: {n, events, median: {value, lo, hi}, restricted_mean,
    survival: {"24": {value, lo, hi}, …}}}}``; ``null`` = not reached / not estimable."""
    out: dict[str, Any] = {}
    for row in table.to_dict("records"):
        entry = {
            "at_risk": DURATIONS[row["duration"]].at_risk,
            "ends_with": DURATIONS[row["duration"]].end,
            "n": int(row["n"]), "events": int(row["events"]),
            "median_months": {k: _finite(row[c]) for k, c in (
                ("value", "median"), ("lo", "median_lo"), ("hi", "median_hi"))},
            f"restricted_mean_{int(tau)}m": _finite(row[f"restricted_mean_{int(tau)}m"]),
            "share_not_ended_at": {str(t): {k: _finite(row[f"S{t}{s}"]) for k, s in (
                ("value", ""), ("lo", "_lo"), ("hi", "_hi"))} for t in months},
        }
        out.setdefault(row["duration"], {})[row["group"]] = entry
    return out


def analyse(results: Any, names: list[str] | None = None, by: str = "arm",
            tau: float = DEFAULT_TAU) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(survival table, KM curves) of a results directory's events."""
    if by not in BY_CHOICES:
        raise SurvivalError(f"--by: {by!r} is not allowed; expected one of "
                            + ", ".join(BY_CHOICES))
    table = results_durations(results, names)
    group = None if by == "none" else by
    return survival_table(table, group, tau), km_curves(table, group)


def write_figure(curves: pd.DataFrame, path: Any) -> Any:
    """Render :func:`survival_figure` to a PNG file (atomically)."""
    from pathlib import Path

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from impl_sim.experiment.store import atomic_write_bytes

    fig = survival_figure(curves)
    FigureCanvasAgg(fig)
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def report_table(table: pd.DataFrame, tau: float = DEFAULT_TAU) -> pd.DataFrame:
    """The survival table as a report shows it: one readable row per duration and group."""
    def interval(row: dict, key: str) -> str:
        def one(x: float) -> str:
            return "not reached" if x == math.inf else ("–" if math.isnan(x) else f"{x:.2f}")

        return f"{one(row[key])} [{one(row[key + '_lo'])}, {one(row[key + '_hi'])}]"

    rows = []
    for row in table.to_dict("records"):
        duration = DURATIONS[row["duration"]]
        rows.append({
            "duration": duration.label, "at risk": duration.at_risk, "group": row["group"],
            "n": row["n"], "ended": row["events"],
            "median months [95 %]": interval(row, "median"),
            f"mean months to {int(tau)}": round(row[f"restricted_mean_{int(tau)}m"], 2),
            **{f"S({t}) [95 %]": interval(row, f"S{t}") for t in SURVIVAL_MONTHS}})
    return pd.DataFrame(rows)
