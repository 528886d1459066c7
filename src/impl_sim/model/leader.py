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
        # one row per ILS dimension; ``self.proactive`` etc. are views of the rows, so a
        # strategy that changes them in place changes the behaviours below
        self.scores = np.zeros((len(ILS_DIMENSIONS), n_services))
        self.proactive, self.knowledgeable, self.supportive, self.perseverant = self.scores
        self.leadership_trained = np.zeros(n_services, dtype=bool)
        self.appoint(np.arange(n_services))

    def appoint(self, services: np.ndarray) -> None:
        """Put a new leader in post: the scenario's profile, without any training gains."""
        for row, dim in zip(self.scores, ILS_DIMENSIONS, strict=True):
            row[services] = self.profile[dim]
        self.leadership_trained[services] = False

    def scaled(self) -> np.ndarray:
        """The four ILS rows scaled to 0–1 (proactive, knowledgeable, supportive,
        perseverant)."""
        return self.scores * 0.25

    # -- behaviours (DESIGN §3) ------------------------------------------------------------

    def implementation_agenda(self, training_running: np.ndarray) -> np.ndarray:
        """How strongly CPP is kept on the service's agenda (0–1).

        While training runs the programme itself carries part of the agenda, so proactivity and
        knowledge count; after it ends only a perseverant leader keeps it there (S6, S11).
        """
        p, k, _, v = self.scaled()
        return np.where(training_running, (p + k + v) / 3.0, v * (p + k) / 2.0)

    def protected_hours(self, params: Params) -> np.ndarray:
        """Hours per week the leader protects for each trained therapist.

        seed 000 theme 4: passive support permits CPP ("you are allowed to") but sets no time
        aside, so protection starts above a proactive score of 1 and is full at 4.
        """
        share = np.maximum(self.proactive - 1.0, 0.0) / 3.0
        return params.leaders.max_protected_hours_per_week * share

    def routed_share(self) -> np.ndarray:
        """Share of eligible referrals the leader routes to trained therapists."""
        return (0.0625 * self.proactive) * self.knowledgeable

    def follow_up_probability(self, training_running: np.ndarray) -> np.ndarray:
        """Monthly chance the leader follows up a therapist's CPP work."""
        p, _, _, v = self.scaled()
        return np.where(training_running, p, p * v)

    def funding_advocacy(self) -> np.ndarray:
        """How hard the leader argues for funding with commissioners (0–1)."""
        return (0.0625 * self.proactive) * self.perseverant

    def loss_buffer(self) -> np.ndarray:
        """Share of a setback's motivational cost a supportive leader absorbs (up to a half)."""
        return 0.125 * self.supportive


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
