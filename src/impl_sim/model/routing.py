"""Referral routing and the therapist's yes/no: who offers CPP to each eligible family.

Plain Python over lists on purpose: a month brings only a handful of families per service,
and each family's outcome depends on the previous ones (a therapist who takes a case has less
room for the next), so a loop is both the clearest and the fastest form.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate


def route_families(
    family_service: Sequence[int],
    draws: Sequence[Sequence[float]],
    *,
    per_service: int,
    routed_share: Sequence[float],
    has_room: list[bool],
    intake_weight: Sequence[float],
    take_log_odds: list[float],
    caseload: list[int],
    max_caseload: Sequence[int],
    caseload_weight: float,
) -> list[tuple[int, int]]:
    """Decide, family by family, who (if anyone) starts CPP with them.

    * With probability ``routed_share[s]`` intake routes the family to a therapist who can
      deliver CPP and has room (implementation leadership or central routing).
    * Otherwise the family lands with any therapist of the service, with probability
      proportional to ``intake_weight`` (self-leading therapists ask intake for CPP families).
    * The receiving therapist, if able and with room, offers CPP with probability
      ``sigmoid(take_log_odds)``; each case taken lowers the odds of the next one.

    ``has_room``, ``take_log_odds`` and ``caseload`` are updated in place; ``max_caseload`` is
    each post's most CPP cases (it depends on the service type). Returns
    ``(family index, post)`` for each CPP case started; everyone else gets treatment as usual.
    """
    starts: list[tuple[int, int]] = []
    intake: dict[int, list[float]] = {}  # cumulative intake weights of a service's posts
    for family, service in enumerate(family_service):
        route_draw, pick_draw, take_draw = draws[family]
        first = service * per_service
        post = -1
        if route_draw < routed_share[service]:
            candidates = [j for j in range(first, first + per_service) if has_room[j]]
            if candidates:
                post = candidates[int(pick_draw * len(candidates))]
        if post < 0:
            if service not in intake:
                intake[service] = list(accumulate(intake_weight[first: first + per_service]))
            cumulative = intake[service]
            post = first + min(bisect_right(cumulative, pick_draw * cumulative[-1]),
                               per_service - 1)
        if not has_room[post]:
            continue
        if take_draw < 1.0 / (1.0 + math.exp(-take_log_odds[post])):
            starts.append((family, post))
            caseload[post] += 1
            take_log_odds[post] -= caseload_weight
            has_room[post] = caseload[post] < max_caseload[post]
    return starts
