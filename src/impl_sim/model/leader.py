"""Leaders: one per service, described by the four Implementation Leadership Scale dimensions.

Behaviours are small functions of the scores (all scaled to 0–1 by dividing by 4). Passive
support ("you may do it") scores high on *supportive* only; implementation leadership is also
proactive, knowledgeable and perseverant (seed 000 theme 4, F8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from impl_sim.params import ILS_DIMENSIONS, Params

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel


class LeaderPool:
    """ILS scores (0–4) of the leader in post at each service."""

    def __init__(self, n_services: int, params: Params) -> None:
        self.n = n_services
        self.profile = params.ils_profile()
        self.proactive = np.zeros(n_services)
        self.knowledgeable = np.zeros(n_services)
        self.supportive = np.zeros(n_services)
        self.perseverant = np.zeros(n_services)
        self.leadership_trained = np.zeros(n_services, dtype=bool)
        self.appoint(np.arange(n_services))

    def appoint(self, services: np.ndarray) -> None:
        """Put a new leader in post: the scenario's profile, without any training gains."""
        for dim in ILS_DIMENSIONS:
            getattr(self, dim)[services] = self.profile[dim]
        self.leadership_trained[services] = False

    def scaled(self, dim: str) -> np.ndarray:
        return getattr(self, dim) / 4.0

    # -- behaviours (DESIGN §3) ------------------------------------------------------------

    def implementation_agenda(self, training_running: np.ndarray) -> np.ndarray:
        """How strongly CPP is kept on the service's agenda (0–1).

        While training runs the programme itself carries part of the agenda, so proactivity and
        knowledge count; after it ends only a perseverant leader keeps it there (S6, S11).
        """
        p, k, v = self.scaled("proactive"), self.scaled("knowledgeable"), self.scaled("perseverant")
        return np.where(training_running, (p + k + v) / 3.0, v * (p + k) / 2.0)

    def protected_hours(self, params: Params) -> np.ndarray:
        """Hours per week the leader protects for each trained therapist."""
        return params.leaders.max_protected_hours_per_week * self.scaled("proactive")

    def routed_share(self) -> np.ndarray:
        """Share of eligible referrals the leader routes to trained therapists."""
        return self.scaled("proactive") * self.scaled("knowledgeable")

    def follow_up_probability(self, training_running: np.ndarray) -> np.ndarray:
        """Monthly chance the leader follows up a therapist's CPP work."""
        p, v = self.scaled("proactive"), self.scaled("perseverant")
        return np.where(training_running, p, p * v)

    def funding_advocacy(self) -> np.ndarray:
        """How hard the leader argues for funding with commissioners (0–1)."""
        return self.scaled("proactive") * self.scaled("perseverant")

    def loss_buffer(self) -> np.ndarray:
        """Share of a setback's motivational cost a supportive leader absorbs (up to a half)."""
        return 0.5 * self.scaled("supportive")


class Leader(mesa.Agent):
    """The leader of one service: a readable view of :class:`LeaderPool`."""

    def __init__(self, model: ImplementationModel, service: int) -> None:
        super().__init__(model)
        self.service = service

    def scores(self) -> dict[str, float]:
        pool = self.model.leaders
        return {d: float(getattr(pool, d)[self.service]) for d in ILS_DIMENSIONS}

    @property
    def style(self) -> str:
        return self.model.params.leaders.style.value
