"""Outer context: commissioning cycles and funding (seed 003)."""

from __future__ import annotations

import numpy as np

from impl_sim.model.constants import MONTHS_PER_YEAR
from impl_sim.model.numeric import bounded
from impl_sim.params import Params


class Commissioning:
    """Regional commissioners' awareness, and per-service funding decisions."""

    def __init__(self, params: Params) -> None:
        self.awareness = params.context.awareness_initial

    def demonstrated_impact(self, params: Params, improved_this_cycle: np.ndarray,
                            evaluation_boost: float) -> np.ndarray:
        """0–1: how well each service can show impact and value for money this cycle
        (routine evaluation, a strategy's lever, raises it)."""
        shown = improved_this_cycle / params.context.impact_cases_for_full_evidence
        return bounded(shown + evaluation_boost * np.minimum(shown, 1.0))

    def renewal_probability(self, params: Params, impact: np.ndarray, advocacy: np.ndarray,
                            ) -> np.ndarray:
        """Chance a funded service is recommissioned at the end of a cycle."""
        c = params.context
        return bounded(c.renewal_base + c.renewal_impact_weight * impact
                       + c.renewal_awareness_weight * self.awareness
                       + c.renewal_advocacy_weight * advocacy)

    def refunding_probability(self, params: Params, advocacy: np.ndarray) -> np.ndarray:
        """Monthly chance an unfunded service regains funding (stop–restart, S10)."""
        return params.context.refunding_monthly * bounded(self.awareness + advocacy)

    def update_awareness(self, params: Params, advocacy: np.ndarray, extra_gain: float) -> None:
        """Advocacy (and awareness work, a strategy's lever) raises awareness slowly; without
        it awareness fades."""
        c = params.context
        gain = c.awareness_gain_advocacy / MONTHS_PER_YEAR * float(advocacy.mean()) + extra_gain
        fade = c.awareness_decay / MONTHS_PER_YEAR * self.awareness
        self.awareness = min(max(self.awareness + gain - fade, 0.0), 1.0)

    def is_review_month(self, params: Params, month: int) -> bool:
        cycle = params.context.funding_cycle_months
        return month > 0 and month % cycle == 0
