"""Therapist states and the state sets the phases test against (no Mesa: cheap to import)."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class State(IntEnum):
    """Therapist states (DESIGN §3). ``LEFT`` appears only in departure records."""

    UNTRAINED = 0  # hired, never enrolled
    IN_TRAINING = 1
    TRAINED = 2  # completed training, no CPP case since
    DELIVERING = 3  # completed training, carries >= 1 CPP case
    PAUSED = 4  # completed training, no case now, not yet given up
    DISCONTINUED = 5  # left the training, or no case for `months_to_discontinue` months
    LEFT = 6


STATE_NAMES = tuple(s.name.lower() for s in State)

# Plain-int codes for the hot loops (comparing arrays with an IntEnum member is slow).
UNTRAINED, IN_TRAINING, TRAINED, DELIVERING, PAUSED, DISCONTINUED, LEFT = (int(s) for s in State)

# States in which a therapist may take an eligible family as a CPP case.
CAN_DELIVER = np.array([False, True, True, True, True, False, False])
# Completed training and not given up (the post-training state machine runs on these).
POST_TRAINING = np.array([False, False, True, True, True, False, False])
