"""The event log of a run: careers of people, histories of services and leaders.

One row per event: ``month, entity, id, post, service, event, detail, value``. ``id`` is the
*person* (``person_id``; a new hire gets a new one), the service index, or the leader's own id
(a successor gets a new one). ``post`` is the therapist's post (slot), −1 otherwise. ``value``
carries the case number for case events and −1 otherwise; ``detail`` is a short text (why
someone left, whether a hire was in post at the start).

The recorder watches rather than intervenes: :meth:`EventLog.observe` compares the workforce,
the case book and the funding tallies with what it saw last time and writes what changed; the
model calls it once a month (``collect``), and :meth:`EventLog.left` and
:meth:`EventLog.leaders_appointed` at the two moments whose traces a replacement would wipe.
Service start-up, competence and delivery stop/restart are derived at the end of the run from
the monthly service records (:class:`~impl_sim.model.outcomes.MonthlySeries`), so they follow
exactly the definitions of the service outcomes.

Memory is bounded: columns are numpy buffers that double when full (about 30 bytes an event;
a national run of 10,200 therapists × 120 months writes a few hundred thousand events). A model
built with ``events=False`` gets a recorder whose calls return at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from impl_sim.model.cases import ACTIVE, COMPLETED, DROPPED
from impl_sim.model.states import (
    DELIVERING,
    DISCONTINUED,
    IN_TRAINING,
    PAUSED,
    POST_TRAINING,
    STATE_NAMES,
    UNTRAINED,
)

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel

ENTITIES = ("therapist", "service", "leader")
# (event, entity), in the order events of one month are written for one entity.
EVENT_KINDS: tuple[tuple[str, str], ...] = (
    ("hired", "therapist"),
    ("enrolled", "therapist"),
    ("first_case", "therapist"),
    ("case_started", "therapist"),
    ("case_completed", "therapist"),
    ("case_dropped", "therapist"),
    ("paused", "therapist"),
    ("resumed", "therapist"),
    ("completed_training", "therapist"),
    ("certified", "therapist"),
    ("left_training", "therapist"),
    ("discontinued", "therapist"),
    ("case_closed_by_leaving", "therapist"),
    ("left", "therapist"),
    ("funding_lost", "service"),
    ("funding_regained", "service"),
    ("programme_stopped", "service"),
    ("programme_restarted", "service"),
    ("startup", "service"),
    ("competence", "service"),
    ("delivery_stopped", "service"),
    ("delivery_restarted", "service"),
    ("appointed", "leader"),
    ("leader_left", "leader"),
)
EVENTS = tuple(name for name, _ in EVENT_KINDS)
EVENT_CODE = {name: code for code, name in enumerate(EVENTS)}
EVENT_ENTITY = np.array([ENTITIES.index(entity) for _, entity in EVENT_KINDS], dtype=np.int8)
EVENT_DESCRIPTIONS = {
    "hired": "took up a therapist post (detail: 'in post at start' or 'replacement')",
    "enrolled": "started a CPP training programme",
    "first_case": "started their first CPP case",
    "case_started": "started a CPP case (value: case number)",
    "case_completed": "a family completed its CPP course (value: case number)",
    "case_dropped": "a family left its CPP course early (value: case number)",
    "paused": "trained therapist's last open CPP case ended; no case now",
    "resumed": "paused trained therapist took a CPP case again",
    "completed_training": "completed the training programme",
    "certified": "met the training-case requirement when completing training",
    "left_training": "left the training programme before its end (still in post)",
    "discontinued": "gave CPP up (no case for learning.months_to_discontinue months)",
    "case_closed_by_leaving": "an open CPP case ended because its therapist left "
                              "(value: case number)",
    "left": "left the post (detail: the state they left from)",
    "funding_lost": "the service lost its CPP funding at a commissioning review",
    "funding_regained": "an unfunded service regained CPP funding",
    "programme_stopped": "the service decided to stop offering CPP (docs/odd.md §7.2a)",
    "programme_restarted": "a service that had stopped offering CPP restarted it",
    "startup": "the service's first month with an active CPP case",
    "competence": "the service's first month with a certified therapist in post",
    "delivery_stopped": "the first of 6 consecutive months without an active CPP case at the "
                        "service (value: its last active month)",
    "delivery_restarted": "a CPP case active again at a service whose delivery had stopped",
    "appointed": "a leader took up post (detail: 'in post at start' or 'successor')",
    "leader_left": "a leader left the post",
}
COLUMNS = ("month", "event", "id", "post", "service", "value", "detail")
DETAILS = ("", "in post at start", "replacement", "successor", *STATE_NAMES)
DETAIL_CODE = {text: code for code, text in enumerate(DETAILS)}
_NO_DETAIL = 0


class EventLog:
    """Growable columnar buffers of one run's events."""

    def __init__(self, model: ImplementationModel, enabled: bool = True,
                 capacity: int = 1024) -> None:
        self.enabled = enabled
        self.size = 0
        self._cap = capacity if enabled else 0
        self._columns = {name: np.zeros(self._cap, dtype=np.int64) for name in COLUMNS}
        if not enabled:
            return
        pool, services = model.therapists, model.services
        self._person = pool.person_id.copy()
        self._state = pool.state.copy()
        self._enrolled_month = pool.enrolled_month.copy()
        self._certified = pool.certified.copy()
        self._adopted = pool.first_case_month >= 0
        self._open = np.zeros(0, dtype=np.int64)
        self._case_person = np.zeros(capacity, dtype=np.int64)
        self._cases_seen = 0
        self._losses = services.funding_losses.copy()
        self._returns = services.funding_returns.copy()
        self._stops = services.programme_stops.copy()
        self._restarts = services.programme_restarts.copy()
        self._leader_id = np.arange(model.leaders.n)
        self.next_leader_id = model.leaders.n
        slots = np.arange(pool.n)
        self._add("hired", 0, pool.person_id, slots, pool.service, DETAIL_CODE["in post at start"])
        leaders = np.arange(model.leaders.n)
        self._add("appointed", 0, leaders, -1, leaders, DETAIL_CODE["in post at start"])

    # -- writing -----------------------------------------------------------------------------

    def _add(self, event: str, month: int, ids: np.ndarray, post: np.ndarray | int,
             service: np.ndarray | int, detail: np.ndarray | int = _NO_DETAIL,
             value: np.ndarray | int = -1) -> None:
        k = len(ids)
        if k == 0:
            return
        while self.size + k > self._cap:
            self._grow()
        rows = slice(self.size, self.size + k)
        c = self._columns
        c["month"][rows], c["event"][rows], c["id"][rows] = month, EVENT_CODE[event], ids
        c["post"][rows], c["service"][rows] = post, service
        c["detail"][rows], c["value"][rows] = detail, value
        self.size += k

    def _grow(self) -> None:
        self._cap = max(2 * self._cap, 1024)
        for name, column in self._columns.items():
            grown = np.zeros(self._cap, dtype=column.dtype)
            grown[: self.size] = column[: self.size]
            self._columns[name] = grown

    def _add_people(self, event: str, month: int, pool, slots: np.ndarray,
                    detail: np.ndarray | int = _NO_DETAIL) -> None:
        self._add(event, month, pool.person_id[slots], slots, pool.service[slots], detail)

    # -- what the model calls ----------------------------------------------------------------

    def observe(self, model: ImplementationModel) -> None:
        """Write what changed since the last call (hires, training, cases, state, funding)."""
        if not self.enabled:
            return
        m, pool = model.month, model.therapists
        self._hires(m, pool)
        self._enrolments(m, pool)
        self._cases(m, model)
        self._transitions(m, pool)
        self._funding(m, model.services)

    def left(self, model: ImplementationModel, slots: np.ndarray) -> None:
        """Therapists at ``slots`` leave this month (call before their posts are refilled)."""
        if not self.enabled or len(slots) == 0:
            return
        self.observe(model)  # this month's events of the leavers come before their leaving
        pool = model.therapists
        reason = np.array([DETAIL_CODE[STATE_NAMES[s]] for s in pool.state[slots].tolist()])
        self._add_people("left", model.month, pool, slots, reason)

    def leaders_appointed(self, month: int, services: np.ndarray) -> None:
        """The leaders of ``services`` leave and successors take up post this month."""
        if not self.enabled or len(services) == 0:
            return
        self._add("leader_left", month, self._leader_id[services], -1, services)
        new_ids = self.next_leader_id + np.arange(len(services))
        self.next_leader_id += len(services)
        self._leader_id[services] = new_ids
        self._add("appointed", month, new_ids, -1, services, DETAIL_CODE["successor"])

    # -- what observe compares ---------------------------------------------------------------

    def _hires(self, m: int, pool) -> None:
        new = np.flatnonzero(pool.person_id != self._person)
        if len(new) == 0:
            return
        self._add_people("hired", m, pool, new, DETAIL_CODE["replacement"])
        self._person[new] = pool.person_id[new]
        self._state[new] = UNTRAINED
        self._enrolled_month[new] = -1  # a hire has not enrolled
        self._certified[new] = False
        self._adopted[new] = False

    def _enrolments(self, m: int, pool) -> None:
        enrolled = np.flatnonzero((pool.enrolled_month >= 0)
                                  & (pool.enrolled_month != self._enrolled_month))
        self._add_people("enrolled", m, pool, enrolled)
        self._enrolled_month[enrolled] = pool.enrolled_month[enrolled]
        self._state[enrolled] = IN_TRAINING  # what follows in the month is a transition

    def _cases(self, m: int, model: ImplementationModel) -> None:
        pool, cases = model.therapists, model.cases
        first = np.flatnonzero((pool.first_case_month >= 0) & ~self._adopted)
        self._add_people("first_case", m, pool, first)
        self._adopted[first] = True
        new = np.arange(self._cases_seen, cases.size)
        if len(new):
            while cases.size > len(self._case_person):
                self._case_person = np.concatenate((self._case_person, self._case_person))
            slots = cases.slot[new]
            self._case_person[new] = pool.person_id[slots]
            self._add("case_started", m, pool.person_id[slots], slots, cases.service[new],
                      value=new)
            self._cases_seen = cases.size
        ended = np.concatenate((self._open, new))
        ended = ended[cases.status[ended] != ACTIVE]
        for event, status in (("case_completed", COMPLETED), ("case_dropped", DROPPED)):
            done = ended[cases.status[ended] == status]
            self._add(event, m, self._case_person[done], cases.slot[done], cases.service[done],
                      value=done)
        closed = ended[(cases.status[ended] != COMPLETED) & (cases.status[ended] != DROPPED)]
        self._add("case_closed_by_leaving", m, self._case_person[closed], cases.slot[closed],
                  cases.service[closed], value=closed)
        self._open = cases.active.copy()

    def _transitions(self, m: int, pool) -> None:
        old, new = self._state, pool.state
        changed = np.flatnonzero(old != new)
        if len(changed):
            was, now = old[changed], new[changed]
            completed = pool.completed_training[changed]
            for event, mask in (
                ("paused", (was == DELIVERING) & (now == PAUSED)),
                ("resumed", (was == PAUSED) & (now == DELIVERING)),
                ("completed_training", (was == IN_TRAINING) & completed),
                ("left_training", (was == IN_TRAINING) & (now == DISCONTINUED) & ~completed),
                ("discontinued", (POST_TRAINING[was] | ((was == IN_TRAINING) & completed))
                 & (now == DISCONTINUED)),
            ):
                self._add_people(event, m, pool, changed[mask])
            self._state[changed] = now
        certified = np.flatnonzero(pool.certified & ~self._certified)
        self._add_people("certified", m, pool, certified)
        self._certified[certified] = True

    def _funding(self, m: int, services) -> None:
        for event, tally, seen in (
                ("funding_lost", services.funding_losses, self._losses),
                ("funding_regained", services.funding_returns, self._returns),
                ("programme_stopped", services.programme_stops, self._stops),
                ("programme_restarted", services.programme_restarts, self._restarts)):
            for s in np.flatnonzero(tally != seen).tolist():
                times = int(tally[s] - seen[s])
                self._add(event, m, np.full(times, s), -1, s)
            seen[:] = tally

    # -- reading -----------------------------------------------------------------------------

    def columns(self, model: ImplementationModel) -> dict[str, np.ndarray]:
        """The finished log as plain columns, ordered by month (stable within a month); the
        service delivery events are derived here from the monthly service records."""
        if not self.enabled:
            return empty_columns()
        self.observe(model)
        derived = service_delivery_events(model.series.service_active,
                                          model.series.competent_since, model.series.window)
        c = {name: np.concatenate((col[: self.size], derived[name]))
             for name, col in self._columns.items()}
        order = np.argsort(c["month"], kind="stable")
        out = {name: col[order] for name, col in c.items()}
        out["month"] = out["month"].astype(np.int32)
        out["event"] = out["event"].astype(np.int8)
        for name in ("post", "service", "detail"):
            out[name] = out[name].astype(np.int32)
        return out


def empty_columns() -> dict[str, np.ndarray]:
    """A log without events (same columns and types as :meth:`EventLog.columns`)."""
    types = {"month": np.int32, "event": np.int8, "id": np.int64, "post": np.int32,
             "service": np.int32, "value": np.int64, "detail": np.int32}
    return {name: np.zeros(0, dtype=types[name]) for name in COLUMNS}


def service_delivery_events(active: np.ndarray, competent_since: np.ndarray | None,
                            window: int) -> dict[str, np.ndarray]:
    """Start-up, competence, delivery stopped and restarted, from month × service flags.

    ``active[m, s]``: service ``s`` had at least one CPP case active in month ``m``;
    ``competent_since[s]``: the first month it had a certified therapist in post (−1: never;
    ``None``: not wanted). Delivery stops in the
    first of ``window`` consecutive months without an active case (a gap that the run's end cuts
    short is not a stop: the service is censored); it restarts with the next active month.
    """
    rows: list[tuple[int, int, int, int]] = []  # month, event, service, value
    horizon, n_services = active.shape
    for s in range(n_services):
        months = np.flatnonzero(active[:, s])
        if competent_since is not None and competent_since[s] >= 0:
            rows.append((int(competent_since[s]), EVENT_CODE["competence"], s, -1))
        if len(months) == 0:
            continue
        rows.append((int(months[0]), EVENT_CODE["startup"], s, -1))
        following = np.append(months[1:], horizon + window)  # the run's end never stops
        for last, nxt in zip(months.tolist(), following.tolist(), strict=True):
            if nxt - last > window and last + 1 + window <= horizon:
                rows.append((last + 1, EVENT_CODE["delivery_stopped"], s, last))
                if nxt < horizon:
                    rows.append((nxt, EVENT_CODE["delivery_restarted"], s, -1))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    n = len(table)
    return {"month": table[:, 0], "event": table[:, 1], "id": table[:, 2],
            "post": np.full(n, -1, dtype=np.int64), "service": table[:, 2],
            "value": table[:, 3], "detail": np.zeros(n, dtype=np.int64)}


def event_frame_columns(columns: dict[str, np.ndarray]) -> dict[str, object]:
    """Readable columns: event, entity and detail as text (categoricals), the rest as ints."""
    import pandas as pd

    code = columns["event"].astype(np.int64)
    return {
        "month": columns["month"],
        "entity": pd.Categorical.from_codes(EVENT_ENTITY[code], categories=list(ENTITIES)),
        "id": columns["id"], "post": columns["post"], "service": columns["service"],
        "event": pd.Categorical.from_codes(code, categories=list(EVENTS)),
        "detail": pd.Categorical.from_codes(columns["detail"].astype(np.int64),
                                            categories=list(DETAILS)),
        "value": columns["value"],
    }
