"""The agent-based model: entities, their behaviours, strategies and outcomes."""

from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import OUTCOMES, SERIES
from impl_sim.model.strategies import REGISTRY as STRATEGIES
from impl_sim.model.therapist import State

__all__ = ["OUTCOMES", "SERIES", "STRATEGIES", "ImplementationModel", "State"]
