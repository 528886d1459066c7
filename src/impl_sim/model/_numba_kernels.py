"""numba versions of the kernels in :mod:`impl_sim.model.kernels` (imported only when used).

Each loop does the reference's arithmetic in the reference's order, without fast-math, so
the results are the same bit for bit (no reassociation, no fused multiply-add).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# columns of the routing draws (model.ROUTING_DRAWS: route, pick, take) and of the decision's
# weights tuple (kernels.decision_weights)
ROUTE, PICK, TAKE = range(len(("route", "pick", "take")))


@njit(cache=True)
def route_families(family_service, draws, per_service, routed_share, has_room, intake_weight,
                   take_log_odds, caseload, max_caseload, caseload_weight):
    """As :func:`impl_sim.model.routing.route_families` (arrays in, arrays out)."""
    n = family_service.shape[0]
    families = np.empty(n, dtype=np.int64)
    posts = np.empty(n, dtype=np.int64)
    n_services = routed_share.shape[0]
    cumulative = np.zeros((n_services, per_service))
    known = np.zeros(n_services, dtype=np.bool_)
    candidates = np.empty(per_service, dtype=np.int64)
    taken = 0
    for family in range(n):
        service = family_service[family]
        route_draw = draws[family, ROUTE]
        pick_draw = draws[family, PICK]
        take_draw = draws[family, TAKE]
        first = service * per_service
        post = -1
        if route_draw < routed_share[service]:
            k = 0
            for j in range(first, first + per_service):
                if has_room[j]:
                    candidates[k] = j
                    k += 1
            if k > 0:
                post = candidates[int(pick_draw * k)]
        if post < 0:
            if not known[service]:
                total = 0.0
                for j in range(per_service):
                    total = intake_weight[first + j] if j == 0 else total + intake_weight[first + j]
                    cumulative[service, j] = total
                known[service] = True
            target = pick_draw * cumulative[service, per_service - 1]
            index = 0  # bisect_right: how many cumulative weights are <= target
            while index < per_service and cumulative[service, index] <= target:
                index += 1
            post = first + min(index, per_service - 1)
        if not has_room[post]:
            continue
        if take_draw < 1.0 / (1.0 + math.exp(-take_log_odds[post])):
            families[taken] = family
            posts[taken] = post
            taken += 1
            caseload[post] += 1
            take_log_odds[post] -= caseload_weight
            has_room[post] = caseload[post] < max_caseload[post]
    return families[:taken], posts[:taken]


@njit(cache=True)
def take_case_log_odds(motivation, readiness, competence, structure_fit, caseload, state,
                       training_cases, available_hours, opportunity, climate, peer_norm,
                       consultation, weights, hours_per_case, cases_required, in_training):
    """As :func:`impl_sim.model.therapist.take_case_log_odds`, one fused loop.

    ``weights``: intercept, motivation, readiness, competence, time, opportunity, climate
    (already multiplied by the mechanism switch), peer, fit, consultation, training
    requirement and caseload weights, in that order.
    """
    (intercept, w_motivation, w_readiness, w_competence, w_time, w_opportunity, w_climate,
     w_peer, w_fit, w_consultation, w_requirement, w_caseload) = weights
    n = motivation.shape[0]
    out = np.empty(n)
    for i in range(n):
        room = (available_hours[i] - hours_per_case * caseload[i]) / hours_per_case
        room = min(max(room, 0.0), 1.0)
        missing = 1.0 if (state[i] == in_training and training_cases[i] < cases_required) else 0.0
        value = intercept + w_motivation * (motivation[i] - 0.5)
        value = value + w_readiness * (readiness[i] - 0.5)
        value = value + w_competence * (competence[i] - 0.5)
        value = value + w_time * (room - 0.5)
        value = value + w_opportunity * (opportunity[i] - 0.5)
        value = value + w_climate * (climate[i] - 0.5)
        value = value + w_peer * (peer_norm[i] - 0.5)
        value = value + w_fit * (structure_fit[i] - 0.5)
        value = value + w_consultation * min(consultation[i], 1.0)
        value = value + w_requirement * missing
        value = value - w_caseload * caseload[i]
        out[i] = value
    return out
