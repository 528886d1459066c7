"""Families as light case records: referral → start → dropout | completion → improvement.

Each family's own chance draws (caregiver barriers, planned length, how much strain it takes
before dropping out, whether a completed course helps) are made when the *referral* arrives,
from a stream that does not depend on the model's state. So the same families arrive in every
arm of a scenario (common random numbers) and arms differ only in what services do with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from impl_sim.model import kernels
from impl_sim.model.constants import (
    CASEBOOK_CAPACITY,
    CASEBOOK_GROWTH,
    SCALAR_POISSON_LIMIT,
    WEEKS_PER_MONTH,
)
from impl_sim.model.numeric import bounded
from impl_sim.params import Params

if TYPE_CHECKING:
    from impl_sim.model.therapist import TherapistPool

CASE_STATUSES = ("active", "completed", "dropped", "ended_by_turnover")
ACTIVE, COMPLETED, DROPPED, ENDED_BY_TURNOVER = range(len(CASE_STATUSES))
# one uniform per family and attribute, in this order
FAMILY_DRAWS = ("barrier", "length", "resistance", "improve")


@dataclass
class Referrals:
    """The eligible families referred this month, service by service."""

    service: np.ndarray  # service of each family
    barrier: np.ndarray  # caregiver barriers (F6, seed 004)
    planned_months: np.ndarray  # planned course of weekly sessions (F3)
    dropout_resistance: np.ndarray  # Exp(1): cumulative hazard the family withstands
    improve_draw: np.ndarray  # U(0,1): compared with the improvement probability

    def __len__(self) -> int:
        return len(self.service)


def draw_referrals(rng: np.random.Generator, params: Params, rates: np.ndarray,
                   prevalence: np.ndarray | None = None) -> Referrals:
    """Eligible families arriving this month: Poisson per service (``rates``), attributes drawn
    at once; ``prevalence`` is each service's share of families with caregiver barriers
    (default ``cases.caregiver_barrier_prevalence``).

    One uniform draw per family and attribute (a single generator call keeps the hot loop
    cheap); the dropout resistance is its exponential transform.
    """
    n_services = len(rates)
    counts = poisson_counts(rng, rates)
    n = int(counts.sum())
    c = params.cases
    if prevalence is None:
        prevalence = np.full(n_services, c.caregiver_barrier_prevalence)
    lo, hi = min(c.session_weeks_min, c.session_weeks_max), max(c.session_weeks_min,
                                                                 c.session_weeks_max)
    barrier_u, length_u, resistance_u, improve_u = rng.random((len(FAMILY_DRAWS), n))
    planned_weeks = lo + (hi - lo) * length_u
    return Referrals(
        service=np.arange(n_services).repeat(counts),
        barrier=barrier_u < prevalence.repeat(counts),
        planned_months=np.maximum(1, np.rint(planned_weeks / WEEKS_PER_MONTH)).astype(np.int64),
        dropout_resistance=-np.log1p(-resistance_u),  # Exp(1)
        improve_draw=improve_u,
    )


def poisson_counts(rng: np.random.Generator, rates: np.ndarray) -> np.ndarray:
    """``rng.poisson(rates)``: the same draws in the same order, for a few services one scalar
    call each (numpy's checks of an array of rates cost more than the draws themselves)."""
    if len(rates) > SCALAR_POISSON_LIMIT:
        return rng.poisson(rates)
    return np.array([rng.poisson(rate) for rate in rates.tolist()], dtype=np.int64)


def start_cases(book: CaseBook, pool: TherapistPool, referrals: Referrals,
                families: np.ndarray, slots: np.ndarray, month: int,
                in_training: np.ndarray | None) -> None:
    """Open the CPP cases taken this month (``families`` with the posts ``slots``) and book them
    on the posts: caseloads, cases started, training cases (``in_training``: the trainees, or
    None when nobody trains), first and last case-start months. The reference of
    ``kernels.start_cases``."""
    book.open(slots, month, referrals, families)
    taken = np.bincount(slots, minlength=pool.n)
    pool.cpp_caseload += taken
    pool.cases_started += taken
    if in_training is not None:
        pool.training_cases += taken * in_training
    first = slots[pool.first_case_month[slots] < 0]
    pool.first_case_month[first] = month
    pool.last_case_start_month[slots] = month


class CaseBook:
    """Every CPP case started in a run, as growable arrays; ``active`` indexes the open ones."""

    def __init__(self, capacity: int = CASEBOOK_CAPACITY) -> None:
        self.size = 0
        self._cap = capacity
        self.slot = np.zeros(capacity, dtype=np.int64)
        self.service = np.zeros(capacity, dtype=np.int64)
        self.start_month = np.zeros(capacity, dtype=np.int64)
        self.planned_months = np.zeros(capacity, dtype=np.int64)
        self.months_delivered = np.zeros(capacity, dtype=np.int64)
        self.barrier = np.zeros(capacity, dtype=bool)
        self.resistance = np.zeros(capacity)
        self.improve_draw = np.zeros(capacity)
        self.cumulative_hazard = np.zeros(capacity)
        self.fidelity_sum = np.zeros(capacity)
        self.status = np.zeros(capacity, dtype=np.int8)
        self.improved = np.zeros(capacity, dtype=bool)
        self.active = np.zeros(0, dtype=np.int64)

    def _grow(self) -> None:
        self._cap *= CASEBOOK_GROWTH
        for name, arr in vars(self).items():
            if isinstance(arr, np.ndarray) and name != "active":
                new = np.zeros(self._cap, dtype=arr.dtype)
                new[: len(arr)] = arr
                setattr(self, name, new)

    def make_room(self, k: int) -> None:
        """Grow the records until ``k`` more cases fit."""
        while self.size + k > self._cap:
            self._grow()

    def add_active(self, k: int) -> np.ndarray:
        """Count the ``k`` records just written after the last as open cases; returns their
        indices."""
        new = np.arange(self.size, self.size + k)
        self.size += k
        self.active = np.concatenate((self.active, new))
        return new

    def open(self, slots: np.ndarray, month: int, referrals: Referrals, families: np.ndarray,
             ) -> np.ndarray:
        """Start CPP cases for referrals ``families`` with the therapists at ``slots``.

        Returns the new case indices.
        """
        k = len(slots)
        self.make_room(k)
        new = np.arange(self.size, self.size + k)
        rows = slice(self.size, self.size + k)  # the same records as ``new``, written by slice
        self.slot[rows] = slots
        self.service[rows] = referrals.service[families]
        self.start_month[rows] = month
        self.planned_months[rows] = referrals.planned_months[families]
        self.barrier[rows] = referrals.barrier[families]
        self.resistance[rows] = referrals.dropout_resistance[families]
        self.improve_draw[rows] = referrals.improve_draw[families]
        self.status[rows] = ACTIVE
        self.size += k
        self.active = np.concatenate((self.active, new))
        return new

    def dropout_hazard(self, params: Params, fidelity: np.ndarray,
                       barrier_reduction: np.ndarray | None = None) -> np.ndarray:
        """Monthly dropout hazard of each active case.

        Caregiver barriers multiply it (F6); a high-fidelity therapist's between-session
        engagement work cuts it (seed 004, F7); trial-like retention supports cut it (S9, F5).
        """
        c = params.cases
        a = self.active
        excess = c.caregiver_barrier_hazard_ratio - 1.0
        if barrier_reduction is not None:  # culturally tailored care (a strategy's lever)
            excess = excess * (1.0 - barrier_reduction[self.slot[a]])
        barrier = np.where(self.barrier[a], 1.0 + excess, 1.0)
        return (c.dropout_hazard * barrier * (1.0 - c.engagement_effect * fidelity)
                * (1.0 - c.retention_support_max_reduction * c.retention_support))

    def progress(self, params: Params, therapist_fidelity: np.ndarray,
                 barrier_reduction: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Advance every active case by one month of weekly sessions.

        ``barrier_reduction`` (per post, 0–1) removes that share of the caregiver barriers' excess
        hazard for the post's families. Returns the indices of cases that completed, that
        improved and that dropped out.
        """
        a = self.active
        if len(a) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        compiled = kernels.progress_cases(self, params, therapist_fidelity, barrier_reduction)
        if compiled is not None:
            return compiled
        fid = therapist_fidelity[self.slot[a]]
        self.fidelity_sum[a] += fid
        self.months_delivered[a] += 1
        self.cumulative_hazard[a] += self.dropout_hazard(params, fid, barrier_reduction)
        dropped = a[self.cumulative_hazard[a] > self.resistance[a]]
        finished = a[(self.months_delivered[a] >= self.planned_months[a])
                     & (self.cumulative_hazard[a] <= self.resistance[a])]
        c = params.cases
        mean_fid = self.fidelity_sum[finished] / self.months_delivered[finished]
        p_improve = bounded(c.improvement_base + c.improvement_per_fidelity * mean_fid)
        improved = finished[self.improve_draw[finished] < p_improve]
        self.status[dropped] = DROPPED
        self.status[finished] = COMPLETED
        self.improved[improved] = True
        self.active = a[self.status[a] == ACTIVE]
        return finished, improved, dropped

    def end_for_leavers(self, leaving_slots: np.ndarray) -> np.ndarray:
        """Close the open cases of therapists who leave; returns the closed case indices."""
        a = self.active
        posts = self.slot[a]
        leaving = np.zeros(int(posts.max(initial=0)) + 1, dtype=bool)
        leaving[leaving_slots[leaving_slots < len(leaving)]] = True
        ends = leaving[posts]
        closing = a[ends]
        if len(closing):
            self.status[closing] = ENDED_BY_TURNOVER
            self.active = a[~ends]  # every other active case stays active
        return closing

    def count(self, status: int) -> int:
        return int(np.count_nonzero(self.status[: self.size] == status))
