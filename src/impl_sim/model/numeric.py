"""Small numeric helpers for the hot loop (ufuncs avoid ``np.clip``'s Python overhead)."""

from __future__ import annotations

import numpy as np


def clip01(values: np.ndarray) -> np.ndarray:
    """Clip an array to [0, 1] in place and return it."""
    np.maximum(values, 0.0, out=values)
    np.minimum(values, 1.0, out=values)
    return values


def bounded(values: np.ndarray | float) -> np.ndarray:
    """A new array clipped to [0, 1]."""
    return np.minimum(np.maximum(values, 0.0), 1.0)
