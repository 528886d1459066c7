"""Bounded memory across many runs: Mesa's agent-id registry must not keep models alive.

Mesa 3 numbers agents per model through a class-level ``Agent._ids`` dictionary keyed by the
model, so every model ever built in a process stays reachable from it (about 0.17 MiB per
seed-scale run; a worker doing a 112,640-run Sobol' study would need ~19 GiB). :func:`install`
replaces that dictionary with one that holds its models weakly: ids still count from 1 per
model, and a finished model is freed as soon as nothing else refers to it. It is a no-op on a
Mesa without that registry. Imported (and installed) by :mod:`impl_sim.model.model`.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from typing import Any

import mesa


class WeakIdCounters(weakref.WeakKeyDictionary):
    """``{model: itertools.count(1)}`` that creates missing counters and holds models weakly."""

    def __getitem__(self, model: Any) -> Any:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


def install() -> bool:
    """Swap Mesa's strong registry for :class:`WeakIdCounters`; True when it did."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, WeakIdCounters):
        return True
    if not isinstance(ids, defaultdict):
        return False
    counters = WeakIdCounters()
    counters.update(ids)
    ids.clear()
    mesa.Agent._ids = counters
    return True


install()
