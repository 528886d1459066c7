"""One live model run for the Explore page: step it, look inside, follow a therapist.

Plain Python (no Solara). The model records only what the outcomes need, so this wrapper keeps
each person's monthly history (by person id, so a post's new hire starts a new history).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from impl_sim.dashboard.figures import HISTORY_TRAITS, service_layout
from impl_sim.experiment.runner import seed_for
from impl_sim.model import ImplementationModel
from impl_sim.model.therapist import State
from impl_sim.params import Params

# What each therapist is doing, one definition for the dots, the counts and the chart:
# "delivering" = carries an active CPP case this month (as the model's outcome series);
# otherwise the therapist's state.
CATEGORIES = ("untrained", "in_training", "trained", "delivering", "paused", "discontinued")
CATEGORY_WORDS = {"untrained": "not trained", "in_training": "in training, no case now",
                  "trained": "trained, no case now", "delivering": "delivering CPP now",
                  "paused": "paused", "discontinued": "stopped CPP"}


def categories(states: np.ndarray, caseload: np.ndarray) -> list[str]:
    """Each post's category: ``delivering`` with an active case, else its state."""
    out = []
    for state, cases in zip(states, caseload, strict=True):
        name = State(int(state)).name.lower()
        out.append("delivering" if cases > 0 else ("trained" if name == "delivering" else name))
    return out


@dataclass
class PersonHistory:
    """Monthly record of one therapist (a person, not a post)."""

    person_id: int
    slot: int
    months: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    traits: dict[str, list[float]] = field(
        default_factory=lambda: {t: [] for t in HISTORY_TRAITS})


class LiveRun:
    """A model you can reset and step month by month.

    Play steps it from a background thread while the page reads it, so every read and every
    step holds :attr:`lock`; reads return copies.
    """

    def __init__(self, params: Params, seed: int, replication: int = 0) -> None:
        self.params, self.seed, self.replication = params, seed, replication
        # the same seed as replication r of a what-if or `impl-sim run`
        self.model = ImplementationModel(params, seed_for(seed, replication))
        self.positions = service_layout(self.model.network, self.model.services.n)
        self.histories: dict[int, PersonHistory] = {}
        self.counts: list[dict[str, int]] = []  # per month: posts in each category
        self.lock = threading.RLock()

    @property
    def month(self) -> int:
        return self.model.month

    @property
    def finished(self) -> bool:
        return self.model.month >= self.model.horizon

    def step(self) -> None:
        """Advance one month (no-op at the horizon) and record every therapist."""
        with self.lock:
            if self.finished:
                return
            self.model.step()
            self._record()

    def _record(self) -> None:
        pool, month = self.model.therapists, self.model.month - 1
        now = categories(pool.state, pool.cpp_caseload)
        self.counts.append({c: now.count(c) for c in CATEGORIES})
        for slot in range(pool.n):
            pid = int(pool.person_id[slot])
            h = self.histories.get(pid)
            if h is None:
                h = self.histories[pid] = PersonHistory(pid, slot)
            h.months.append(month)
            h.states.append(State(int(pool.state[slot])).name.lower())
            for trait in HISTORY_TRAITS:
                h.traits[trait].append(float(getattr(pool, trait)[slot]))

    # -- views -------------------------------------------------------------------------------

    def states(self) -> np.ndarray:
        with self.lock:
            return self.model.therapists.state.copy()

    def leader_labels(self) -> list[str]:
        """Per service: the leader's proactive and perseverant ILS scores (0–4) now."""
        with self.lock:
            pro = self.model.leaders.proactive.copy()
            per = self.model.leaders.perseverant.copy()
        return [f"leader: proactive {pro[s]:.1f}, perseverant {per[s]:.1f}"
                for s in range(self.model.services.n)]

    def categories(self) -> list[str]:
        """Each post's category now (see :data:`CATEGORIES`)."""
        with self.lock:
            return categories(self.model.therapists.state, self.model.therapists.cpp_caseload)

    def counts_by_category(self) -> dict[str, int]:
        """Posts in each category now: the same numbers as the chart's last month."""
        now = self.categories()
        return {c: now.count(c) for c in CATEGORIES}

    def count_series(self) -> dict[str, list[int]]:
        """Per category, the monthly counts so far (what the chart draws)."""
        with self.lock:
            return {c: [m[c] for m in self.counts] for c in CATEGORIES}

    def therapist(self, slot: int) -> dict[str, Any]:
        """The Mesa agent's description of the therapist now in ``slot``."""
        with self.lock:
            info = self.model.therapists.agent[slot].describe()
            info["hired_month"] = int(self.model.therapists.hired_month[slot])
        for key in ("first_case_month", "last_active_month"):
            if info.get(key, 0) < 0:  # NEVER: the event has not happened
                info[key] = "never"
        return info

    def history(self, slot: int) -> PersonHistory | None:
        """A copy of the history of the person now in ``slot`` (None before the first step)."""
        with self.lock:
            pid = int(self.model.therapists.person_id[slot])
            found = self.histories.get(pid)
            return copy.deepcopy(found) if found else None

    def series(self) -> dict[str, np.ndarray]:
        """Copies of the run's monthly series so far (derived series filled in, as at the
        end of a batch run)."""
        with self.lock:
            return {k: v.copy() for k, v in self.model.series.as_dict().items()}
