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
    n = motivation.shape[0]
    out = np.empty(n)
    for i in range(n):
        missing = state[i] == in_training and training_cases[i] < cases_required
        out[i] = _log_odds(weights, motivation[i], readiness[i], competence[i], structure_fit[i],
                           caseload[i], missing, available_hours[i], opportunity[i], climate[i],
                           peer_norm[i], consultation[i], hours_per_case)
    return out


@njit(cache=True)
def _log_odds(weights, motivation, readiness, competence, structure_fit, caseload, missing,
              available_hours, opportunity, climate, peer_norm, consultation, hours_per_case):
    """One post's log-odds of taking a case (the reference's terms, in its order)."""
    (intercept, w_motivation, w_readiness, w_competence, w_time, w_opportunity, w_climate,
     w_peer, w_fit, w_consultation, w_requirement, w_caseload) = weights
    room = (available_hours - hours_per_case * caseload) / hours_per_case
    room = min(max(room, 0.0), 1.0)
    value = intercept + w_motivation * (motivation - 0.5)
    value = value + w_readiness * (readiness - 0.5)
    value = value + w_competence * (competence - 0.5)
    value = value + w_time * (room - 0.5)
    value = value + w_opportunity * (opportunity - 0.5)
    value = value + w_climate * (climate - 0.5)
    value = value + w_peer * (peer_norm - 0.5)
    value = value + w_fit * (structure_fit - 0.5)
    value = value + w_consultation * min(consultation, 1.0)
    value = value + w_requirement * (1.0 if missing else 0.0)
    return value - w_caseload * caseload


@njit(cache=True)
def decision_log_odds(service, motivation, readiness, competence, structure_fit, self_leadership,
                      caseload, state, training_cases, protected_hours, free_hours, agenda,
                      climate, peer_norm, consultation, trainee, able, service_terms, weights,
                      hours_per_case, cases_required, in_training):
    """As :func:`impl_sim.model.therapist.decision_log_odds`: the services' conditions read per
    post, then :func:`take_case_log_odds`'s terms. ``service_terms``: trainee hours per week
    and the agenda path's switch (0 or 1)."""
    trainee_hours, agenda_on = service_terms
    n = motivation.shape[0]
    out = np.empty(n)
    for i in range(n):
        s = service[i]
        protected = max(protected_hours[s], trainee_hours * (1.0 if trainee[i] else 0.0))
        hours = protected * (1.0 if able[i] else 0.0) + free_hours[s]
        post_agenda = agenda_on * agenda[s]
        opportunity = post_agenda + (1.0 - post_agenda) * self_leadership[i]
        missing = state[i] == in_training and training_cases[i] < cases_required
        out[i] = _log_odds(weights, motivation[i], readiness[i], competence[i], structure_fit[i],
                           caseload[i], missing, hours, opportunity, climate[s], peer_norm[i],
                           consultation[i], hours_per_case)
    return out


@njit(cache=True)
def progress_cases(active, slot, therapist_fidelity, barrier_reduction, fidelity_sum,
                   months_delivered, planned_months, barrier, resistance, improve_draw,
                   cumulative_hazard, status, improved, hazard_terms, improvement_terms, codes):
    """As :meth:`impl_sim.model.cases.CaseBook.progress`, one loop over the active cases.

    ``hazard_terms``: base dropout hazard, barrier hazard ratio − 1, engagement effect and the
    retention-support factor; ``improvement_terms``: base and per-fidelity improvement;
    ``codes``: the ACTIVE, COMPLETED and DROPPED status codes. Returns the completed, improved,
    dropped and still-active case indices.
    """
    base, excess0, engagement, support = hazard_terms
    improve_base, improve_per_fidelity = improvement_terms
    active_code, completed_code, dropped_code = codes
    n = active.shape[0]
    finished = np.empty(n, dtype=np.int64)
    better = np.empty(n, dtype=np.int64)
    dropped = np.empty(n, dtype=np.int64)
    still = np.empty(n, dtype=np.int64)
    n_finished = n_better = n_dropped = n_still = 0
    for k in range(n):
        case = active[k]
        post = slot[case]
        fid = therapist_fidelity[post]
        fidelity_sum[case] += fid
        months_delivered[case] += 1
        excess = excess0 * (1.0 - barrier_reduction[post])
        ratio = 1.0 + excess if barrier[case] else 1.0
        cumulative_hazard[case] += base * ratio * (1.0 - engagement * fid) * support
        if cumulative_hazard[case] > resistance[case]:
            dropped[n_dropped] = case
            n_dropped += 1
            status[case] = dropped_code
        elif months_delivered[case] >= planned_months[case]:
            finished[n_finished] = case
            n_finished += 1
            status[case] = completed_code
            mean_fid = fidelity_sum[case] / months_delivered[case]
            p_improve = min(max(improve_base + improve_per_fidelity * mean_fid, 0.0), 1.0)
            if improve_draw[case] < p_improve:
                better[n_better] = case
                n_better += 1
                improved[case] = True
        else:
            still[n_still] = case
            n_still += 1
            status[case] = active_code
    return finished[:n_finished], better[:n_better], dropped[:n_dropped], still[:n_still]


@njit(cache=True)
def learn_from_practice(competence, readiness, motivation, baseline, completed, caseload,
                        practising, supervised, in_training, gathering, able, follow_draws,
                        follow_up, improved_n, dropped_n, buffer, flags, weights):
    """As :func:`impl_sim.model.therapist.learn_from_practice`, one loop over the posts.

    ``flags``: anyone supervised, a gathering month with trainees (``gathering`` is real),
    families improved (``improved_n`` is real) and dropped out (``dropped_n``, ``buffer``);
    ``weights``: kernels.learning_weights. Each term is added exactly when the reference adds
    it, in the reference's order.
    """
    anyone_supervised, training_month, any_improved, any_dropped = flags
    (gain_per_case, supervised_multiplier, decay, gain_training, gathering_multiple,
     gain_practice, gain_follow_up, loss_struggle, recovery, struggle_competence,
     value_fit_gain, gain_improvement, loss_dropout) = weights
    for i in range(competence.shape[0]):
        gain = gain_per_case * caseload[i]
        if anyone_supervised:
            gain = gain * (supervised_multiplier if supervised[i] else 1.0)
        c = competence[i] + gain * (1.0 - competence[i])
        c = c - decay * (1.0 if (completed[i] and not practising[i]) else 0.0)
        c = min(max(c, 0.0), 1.0)
        competence[i] = c
        r = readiness[i]
        if training_month:
            r = r + gain_training * ((1.0 if in_training[i] else 0.0)
                                     + gathering_multiple * (1.0 if gathering[i] else 0.0))
        if anyone_supervised:
            r = r + gain_practice * (1.0 if (practising[i] and supervised[i]) else 0.0)
        followed = able[i] and follow_draws[i] < follow_up[i]
        struggling = (practising[i] and not (supervised[i] or followed)
                      and c < struggle_competence)
        m = motivation[i]
        m = m + ((gain_follow_up * (1.0 if followed else 0.0)
                  - loss_struggle * (1.0 if struggling else 0.0))
                 + recovery * (baseline[i] - m))
        if any_improved:
            r = r + gain_practice * improved_n[i]
            b = baseline[i] + value_fit_gain * improved_n[i]
            baseline[i] = min(max(b, 0.0), 1.0)
            m = m + gain_improvement * improved_n[i]
        if any_dropped:
            m = m - loss_dropout * dropped_n[i] * (1.0 - buffer[i])
        readiness[i] = min(max(r, 0.0), 1.0)
        motivation[i] = min(max(m, 0.0), 1.0)


@njit(cache=True)
def drift_and_fidelity(drift, fidelity, competence, autonomy_preference, watched, anyone_watched,
                       terms):
    """As :func:`impl_sim.model.therapist.drift_and_fidelity`, one loop over the posts.

    ``terms``: fidelity_drift × programme_flexibility, drift_lag_months and
    −drift_correction (kernels._constants).
    """
    drift_scale, lag, minus_correction = terms
    for i in range(drift.shape[0]):
        drifting = (drift_scale * autonomy_preference[i] - drift[i]) / lag
        if anyone_watched and watched[i]:
            d = drift[i] + minus_correction * drift[i]
        else:
            d = drift[i] + drifting
        d = min(max(d, 0.0), 1.0)
        drift[i] = d
        fidelity[i] = competence[i] * (1.0 - d)


@njit(cache=True)
def post_training_states(state, caseload, last_active_month, training_end_month, post_training,
                         idle_before, codes):
    """As :func:`impl_sim.model.training.post_training_states`, one loop over the posts.

    ``post_training``: which state codes are trained and not given up; ``idle_before``: the
    month minus ``learning.months_to_discontinue``; ``codes``: DELIVERING, PAUSED and
    DISCONTINUED.
    """
    delivering, paused, discontinued = codes
    for i in range(state.shape[0]):
        if not post_training[state[i]]:
            continue
        if caseload[i] > 0:
            state[i] = delivering
            continue
        if state[i] == delivering:
            state[i] = paused
        if idle_before >= max(last_active_month[i], training_end_month[i]):
            state[i] = discontinued


@njit(cache=True)
def reset_posts(personal, counts, months, flags, person_id, hired_month, state, slots, means, sds,
                normals, nominated, month, first_person_id, flexibility, rows):
    """As :meth:`impl_sim.model.therapist.TherapistPool.reset_posts`: every table's column of
    each slot reset, in the reference's order (all columns first, then the nominations).

    ``rows``: how many personal rows are drawn, the rows of motivation, autonomy preference,
    value fit and structure fit, the months row of the nomination, and the NEVER and UNTRAINED
    codes.
    """
    n_drawn, motivation, autonomy, baseline, fit, nominated_row, never, untrained = rows
    for j in range(slots.shape[0]):
        slot = slots[j]
        person_id[slot] = first_person_id + j
        hired_month[slot] = month
        state[slot] = untrained
        for k in range(personal.shape[0]):
            if k < n_drawn:
                value = means[k, 0] + sds[k, 0] * normals[k, j]
                personal[k, slot] = min(max(value, 0.0), 1.0)
            else:
                personal[k, slot] = 0.0
        personal[baseline, slot] = personal[motivation, slot]
        personal[fit, slot] = 1.0 - abs(flexibility - personal[autonomy, slot])
        counts[:, slot] = 0
        months[:, slot] = never
        flags[:, slot] = False
    for j in range(slots.shape[0]):
        if nominated[j]:
            months[nominated_row, slots[j]] = month


@njit(cache=True)
def start_cases(case_slot, case_service, start_month, planned_months, barrier, resistance,
                improve_draw, status, first_case, family_service, family_planned, family_barrier,
                family_resistance, family_improve, families, slots, month, caseload,
                cases_started, training_cases, in_training, count_training, first_case_month,
                last_case_start_month, active_code):
    """As :func:`impl_sim.model.cases.start_cases`: the case records from ``first_case`` on
    written from the referrals (the caller has made room and counts them open), then each
    post's caseload, cases started, training cases, first and last case-start months."""
    for j in range(slots.shape[0]):
        case, family, post = first_case + j, families[j], slots[j]
        case_slot[case] = post
        case_service[case] = family_service[family]
        start_month[case] = month
        planned_months[case] = family_planned[family]
        barrier[case] = family_barrier[family]
        resistance[case] = family_resistance[family]
        improve_draw[case] = family_improve[family]
        status[case] = active_code
    for j in range(slots.shape[0]):
        post = slots[j]
        caseload[post] += 1
        cases_started[post] += 1
        if count_training and in_training[post]:
            training_cases[post] += 1
        if first_case_month[post] < 0:
            first_case_month[post] = month
        last_case_start_month[post] = month


@njit(cache=True)
def consultation_and_masks(state, programme, booster_states, can_deliver, in_training_code,
                           programme_dose, reference_sessions, booster, with_booster):
    """As :func:`impl_sim.model.training.consultation_and_masks`: the consultation intensity
    (the programme's dose for trainees, plus ``booster`` sessions ÷ the reference for trained
    posts when ``with_booster``) and the in-training, can-deliver and consulted masks."""
    n = state.shape[0]
    consultation = np.empty(n)
    in_training = np.empty(n, dtype=np.bool_)
    able = np.empty(n, dtype=np.bool_)
    consulted = np.empty(n, dtype=np.bool_)
    for i in range(n):
        s = state[i]
        value = (1.0 if programme[s] else 0.0) * programme_dose
        if with_booster:
            value = value + (1.0 if booster_states[s] else 0.0) * (booster[i] / reference_sessions)
        consultation[i] = value
        in_training[i] = s == in_training_code
        able[i] = can_deliver[s]
        consulted[i] = value > 0
    return consultation, in_training, able, consulted
