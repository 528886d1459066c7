"""The only numbers in ``model/`` that are not parameters, and why.

Facts of the calendar and of the measurement instruments, and purely computational settings
(sizes and bounds that change speed, never results). Every assumption about the world is a
parameter in :mod:`impl_sim.params` instead; ``tests/model/test_no_literals.py`` fails on any
other number in ``model/`` except 0, 1 and the 0.5 that centres a term. ``outcomes.py`` is exempt
too, with ``effects.py`` and ``events.py``: they define and record what is *measured* (the 6-month
sustainment window, the 12/24/36-month follow-ups, log capacities; docs/odd.md §7.10), not how
the world behaves.
"""

from __future__ import annotations

import numpy as np

MONTHS_PER_YEAR = 12
WEEKS_PER_YEAR = 52
WEEKS_PER_MONTH = WEEKS_PER_YEAR / MONTHS_PER_YEAR

# The Implementation Leadership Scale rates each item 0–4 (Aarons, Ehrhart & Farahnak 2014).
ILS_SCALE_MAX = 4.0

# A ring lattice has two sides: each node is joined to k // RING_SIDES neighbours on each side.
RING_SIDES = 2

# "Month" of an event that has not happened (far before any run starts).
NEVER = -10_000

# Computational settings: they change speed or memory, never results.
DENSE_NETWORK_LIMIT = 300  # posts up to which the peer norm uses a dense matrix
CASEBOOK_CAPACITY = 256  # initial case-record capacity
CASEBOOK_GROWTH = 2  # capacity grows by this factor when full
SCHEDULE_CACHE_SIZE = 64  # gathering schedules kept in memory
LEVER_CACHE_SIZE = 64  # constant lever arrays (value, length) kept in memory
PARAMS_CACHE_SIZE = 64  # parameter sets whose kernel constants are kept (model/kernels.py)
SEED_BOUND = np.iinfo(np.int64).max  # bound of integers drawn to seed a child generator
NETWORK_SEED_BOUND = np.iinfo(np.int32).max  # networkx wants a 32-bit seed
TIE_DRAW_BLOCK = 4  # candidate draws per wanted co-trainee tie taken at once
SCALAR_POISSON_LIMIT = 16  # services up to which referrals are drawn one Poisson call each
BISECTION_STEPS = 60  # halvings when solving for a hazard (precision far below float noise)
