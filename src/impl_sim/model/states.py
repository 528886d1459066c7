"""Therapist states and the state sets the phases test against (no Mesa: cheap to import)."""

from __future__ import annotations

from enum import IntEnum, auto

import numpy as np


class State(IntEnum):
    """Therapist states (DESIGN §3). ``LEFT`` appears only in departure records."""

    UNTRAINED = 0  # hired, never enrolled
    IN_TRAINING = auto()
    TRAINED = auto()  # completed training, no CPP case since
    DELIVERING = auto()  # completed training, carries >= 1 CPP case
    PAUSED = auto()  # completed training, no case now, not yet given up
    DISCONTINUED = auto()  # left the training, or no case for `months_to_discontinue` months
    LEFT = auto()


STATE_NAMES = tuple(s.name.lower() for s in State)

# Plain-int codes for the hot loops (comparing arrays with an IntEnum member is slow).
UNTRAINED, IN_TRAINING, TRAINED, DELIVERING, PAUSED, DISCONTINUED, LEFT = (int(s) for s in State)

# States in which a therapist may take an eligible family as a CPP case.
CAN_DELIVER = np.isin(np.arange(len(State)), [IN_TRAINING, TRAINED, DELIVERING, PAUSED])
# Completed training and not given up (the post-training state machine runs on these).
POST_TRAINING = np.isin(np.arange(len(State)), [TRAINED, DELIVERING, PAUSED])
