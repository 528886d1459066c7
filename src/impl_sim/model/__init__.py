"""The agent-based model: entities, their behaviours, strategies and outcomes.

Submodules are imported on first use (``impl_sim.model.outcomes`` does not need Mesa).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ImplementationModel": ("impl_sim.model.model", "ImplementationModel"),
    "OUTCOMES": ("impl_sim.model.outcomes", "OUTCOMES"),
    "SERIES": ("impl_sim.model.outcomes", "SERIES"),
    "STRATEGIES": ("impl_sim.model.strategies", "REGISTRY"),
    "State": ("impl_sim.model.states", "State"),
}

__all__ = ["OUTCOMES", "SERIES", "STRATEGIES", "ImplementationModel", "State"]

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel
    from impl_sim.model.outcomes import OUTCOMES, SERIES
    from impl_sim.model.states import State
    from impl_sim.model.strategies import REGISTRY as STRATEGIES


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        value = getattr(import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'impl_sim.model' has no attribute {name!r}")
