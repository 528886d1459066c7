"""ImplementationModel: builds the world and runs the month in the ODD order.

One line per phase in :meth:`ImplementationModel.step` (docs/odd.md, "Process overview and
scheduling"); each phase is a short method below, and the behaviour itself lives in the module
of the entity that behaves (therapist.py, leader.py, service.py, cases.py, training.py,
context.py, strategies.py). The model does no I/O and prints nothing.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from impl_sim.model import kernels, mesa_registry, training
from impl_sim.model.cases import CaseBook, Referrals, draw_referrals
from impl_sim.model.constants import NEVER, WEEKS_PER_MONTH
from impl_sim.model.context import Commissioning
from impl_sim.model.effects import EFFECT_FOLLOW_UP_MONTHS
from impl_sim.model.events import EventLog
from impl_sim.model.leader import Leader, LeaderPool
from impl_sim.model.networks import PeerNorm, add_co_trainee_ties, colleague_graph
from impl_sim.model.outcomes import SUSTAINMENT_WINDOW, MonthlySeries
from impl_sim.model.service import (
    ServicePool,
    climate_target,
    discontinuation_hazard,
    initial_tenures,
    monthly_hazard,
    readoption_hazard,
    turnover_hazard,
)
from impl_sim.model.strategies import LeverBoard, Strategy, build_strategies
from impl_sim.model.therapist import (
    DISCONTINUED,
    IN_TRAINING,
    STATE_NAMES,
    Therapist,
    TherapistPool,
)
from impl_sim.params import Params

mesa_registry.install()  # Mesa's Agent._ids must not keep finished models alive

# Independent random streams, so that a change in one mechanism does not shift the draws of
# another (common random numbers across arms: the same families arrive, the same people would
# leave at the same hazard).
STREAMS = ("world", "referrals", "decisions", "turnover", "hires", "context", "leaders",
           "programme")
ROUTING_DRAWS = ("route", "pick", "take")  # uniforms per family (routing.route_families)


class ImplementationModel(mesa.Model):
    """Therapists, leaders and services implementing CPP, one step per month."""

    def __init__(self, params: Params | None = None, seed: int | np.random.SeedSequence = 0,
                 *, events: bool = False) -> None:
        if not isinstance(seed, np.random.SeedSequence):
            seed = np.random.SeedSequence(seed)
        super().__init__(rng=int(seed.generate_state(1)[0]))
        self.params = params or Params()
        streams = (np.random.default_rng(s) for s in seed.spawn(len(STREAMS)))
        self.rngs = dict(zip(STREAMS, streams, strict=True))
        p = self.params
        n_services, per_service = p.services.count, p.services.therapists_per_service
        self.month = 0
        self.horizon = p.simulation.horizon_months
        self.costs: dict[str, float] = {}
        self.levers = LeverBoard()

        self.therapists = TherapistPool(n_services * per_service, per_service)
        self.therapists.hire(np.arange(self.therapists.n), p, self.rngs["world"], 0, 0,
                             nominate=False)
        # the month-0 staff are a stationary workforce: each has been in post a while
        self.therapists.hired_month -= initial_tenures(p, self.therapists.n, self.rngs["hires"])
        self.next_person_id = self.therapists.n
        self.departures: list[dict[str, Any]] = []
        self.leaders = LeaderPool(n_services, p, self.rngs["leaders"])
        self.services = ServicePool(n_services, p, self.rngs["world"])
        self.cases = CaseBook()
        self.commissioning = Commissioning(p)

        net = p.network
        self.network = colleague_graph(n_services, per_service, self.rngs["world"],
                                       net.colleagues_each, net.rewiring)
        cohort = training.first_cohort(self.therapists, p, self.rngs["world"])
        add_co_trainee_ties(self.network, cohort, self.rngs["world"], net.co_trainee_ties)
        self.peers = PeerNorm(self.network)
        self.cohort_start = p.training.start_month
        self.first_training_end = p.training.start_month + p.training.duration_months
        self._first_cohort = cohort

        for slot in range(self.therapists.n):
            self.therapists.agent[slot] = Therapist(self, slot)
        # the Mesa face of the leaders: read-only views of LeaderPool (``describe_leaders``)
        self.leader_agents = [Leader(self, s) for s in range(n_services)]
        self.snapshots: dict[int, dict[str, np.ndarray]] = {}

        self.series = MonthlySeries(self.horizon, n_services)
        self.events = EventLog(self, enabled=events)  # careers and histories (events.py)
        self.tally = {"referrals": 0, "cpp_starts": 0, "case_months": 0, "fidelity_sum": 0.0}
        self.strategies = build_strategies(p)
        for strategy in self.strategies:
            strategy.initialise(self)
            strategy.on_start(self)

    # -- the month ---------------------------------------------------------------------------

    def step(self) -> None:
        """One month, in the documented order (docs/odd.md)."""
        self.start_training_cohorts()
        self.update_outer_context()
        self.review_programmes()
        self.run_strategies("before_step")
        self.leaders_act()
        referrals = self.referrals_arrive()
        self.therapists_decide_and_deliver(referrals)
        _finished, improved, dropped = self.cases_progress()
        self.learn_and_update_motivation(improved, dropped)
        self.progress_training()
        self.turnover_and_replacement()
        self.run_strategies("after_step")
        self.collect()
        self.month += 1

    def run_model(self) -> None:
        """Run every month up to the horizon."""
        while self.month < self.horizon:
            self.step()

    # -- phases ------------------------------------------------------------------------------

    def start_training_cohorts(self) -> None:
        """The first cohort at ``training.start_month``; later cohorts for nominated hires under
        the regional centre's cohort policy (docs/odd.md §7.1)."""
        p = self.params
        if self.month == self.cohort_start:
            cohort = self._first_cohort
        elif training.later_cohort_due(self.month, p):
            cohort = training.later_cohort(self.therapists, p,
                                           self.services.funded_and_offering())
        else:
            return
        if len(cohort):
            training.enrol(self.therapists, cohort, self.month, p)
            self.add_cost("training", training.cohort_cost(len(cohort), p))

    def update_outer_context(self) -> None:
        """Commissioning: funding reviews at cycle ends, refunding of unfunded services."""
        p, services, comm = self.params, self.services, self.commissioning
        advocacy = self.leaders.funding_advocacy()
        levers = self.levers  # last month's, until strategies act again this month
        comm.update_awareness(p, advocacy, levers.get("awareness_gain_per_month"))
        rng = self.rngs["context"]
        # fixed shape (a renewal and a refunding draw per service): same draws in every arm
        draws = rng.random((len(("renewal", "refunding")), services.n))
        if comm.is_review_month(p, self.month):
            impact = comm.demonstrated_impact(p, services.improved_this_cycle,
                                              levers.get("evaluation_boost"))
            # commissioners do not renew a programme the service no longer offers
            renewal = comm.renewal_probability(p, impact, advocacy) * services.offers_cpp
            lost = services.funded & (draws[0] >= renewal)
            services.funded[lost] = False
            services.funding_losses += lost
            services.improved_this_cycle[:] = 0
        regained = ~services.funded & (draws[1] < comm.refunding_probability(p, advocacy))
        services.funded[regained] = True
        services.funding_returns += regained
        services.months_funded += services.funded

    def review_programmes(self) -> None:
        """Each service decides whether to keep offering CPP, or to restart it (docs/odd.md
        §7.2a): stopping is likelier without funding, without anyone in post who can deliver
        and under a new leader, and less likely when the leader keeps CPP on the agenda."""
        p, services, leaders = self.params, self.services, self.leaders
        draws = self.rngs["programme"].random((len(("stop", "restart")), services.n))
        if self.month < self.cohort_start:
            return  # the programme begins with the first cohort
        pool = self.therapists
        has_team = self._has_team(pool, services)
        # successors appointed in the last new_leader_months months (appointments happen
        # later in the month, in leaders_act: a successor of month m is first seen at m + 1)
        new_leader = leaders.successor & (
            self.month - leaders.appointed_month <= p.programme.new_leader_months)
        agenda = leaders.implementation_agenda()
        offering = services.offers_cpp
        stop = offering & (draws[0] < discontinuation_hazard(
            p, services.funded, has_team, new_leader, agenda))
        restart = ~offering & (draws[1] < readoption_hazard(p, services.funded, agenda))
        services.offers_cpp = (offering & ~stop) | restart
        services.last_month_not_offering[~services.offers_cpp] = self.month
        services.programme_stops += stop
        services.programme_restarts += restart
        if restart.any():  # a restart is a re-implementation: the team is trained again
            training.rebuild_team(pool, restart, p, self.month)
        for reason, present in (("unfunded", ~services.funded), ("no_team", ~has_team),
                                ("new_leader", new_leader)):
            services.stops_by_reason[reason] += int(np.count_nonzero(stop & present))

    def _has_team(self, pool: TherapistPool, services: ServicePool) -> np.ndarray:
        """Per service: someone in post can deliver CPP, or (in the first
        ``training.cohort_interval_months`` after a restart, while the rebuilt team waits for
        its course) someone is nominated for the next cohort."""
        can_deliver = np.bincount(pool.service[pool.can_deliver()], minlength=services.n) > 0
        restarted = services.last_month_not_offering > NEVER
        rebuilding = restarted & (self.month - services.last_month_not_offering
                                  <= self.params.training.cohort_interval_months)
        waiting = np.bincount(pool.service[pool.waiting_for_course()], minlength=services.n) > 0
        return can_deliver | (rebuilding & waiting)

    def run_strategies(self, hook: str) -> None:
        if hook == "before_step":
            self.levers.reset()
        for strategy in self.strategies:
            getattr(strategy, hook)(self)

    def leaders_act(self) -> None:
        """Leaders set the agenda, protect time, route referrals and follow up, each through its
        path of ``params.mechanisms``; they turn over too (a successor is drawn from the leader
        population, without any training gains)."""
        p, leaders, services = self.params, self.leaders, self.services
        self._training_running = self.training_running_by_service()
        # seed 003: a decommissioned service no longer funds CPP: protected time and routing
        # stop, and only part of the leader's agenda survives (self-leadership may carry on);
        # a service that has stopped offering CPP (review_programmes) has no CPP agenda left
        offering = services.funded_and_offering()
        services.agenda = leaders.implementation_agenda() * services.offers_cpp * np.where(
            services.funded, 1.0, p.context.unfunded_agenda_share)
        services.protected_hours = offering * np.maximum(
            leaders.protected_hours(), self.levers.get("protected_hours_per_week"))
        # while the programme runs, the agency finds training cases for its trainees (F2)
        training_routing = p.training.training_case_routing * self._training_running
        services.routed_share = offering * np.maximum(
            np.maximum(leaders.routed_share(), self.levers.get("routed_share")), training_routing)
        services.follow_up_probability = leaders.follow_up_probability()
        rng = self.rngs["leaders"]
        leaving = rng.random(leaders.n) < monthly_hazard(p.leaders.annual_turnover)
        if leaving.any():
            leaders.appoint(np.flatnonzero(leaving), rng, self.month)
            self.events.leaders_appointed(self.month, np.flatnonzero(leaving))

    def referrals_arrive(self) -> Referrals:
        rates = self.services.referral_rate
        referrals = draw_referrals(self.rngs["referrals"], self.params, rates,
                                   self.services.barrier_prevalence)
        self.tally["referrals"] += len(referrals)
        self.series.record_referrals(self.month, len(referrals))
        return referrals

    def therapists_decide_and_deliver(self, referrals: Referrals) -> None:
        """Route each eligible family to a therapist, who decides whether to offer CPP."""
        pool, services, p = self.therapists, self.services, self.params
        self._month_masks()
        consultation, able = self._consultation, self._able
        of_post = pool.service
        peer = self.peers.share_delivering(pool.has_case())
        if self.levers.is_raised("peer_boost"):  # else adding zeros changes nothing
            peer += self.levers.per_service("peer_boost", services.n)[of_post]
        peer = np.minimum(peer, 1.0)
        log_odds = kernels.decision_log_odds(
            pool, p, protected_hours=services.protected_hours, free_hours=services.free_hours(p),
            agenda=services.agenda, climate=services.climate, peer_norm=peer,
            consultation=consultation, in_training=self._in_training, able=able)
        max_caseload = services.max_cpp_caseload[of_post]
        self.cpp_starts_this_month = 0
        if len(referrals) == 0:
            return
        families, slots = kernels.route_families(
            referrals.service,
            self.rngs["decisions"].random((len(referrals), len(ROUTING_DRAWS))),
            per_service=p.services.therapists_per_service,
            routed_share=services.routed_share,
            has_room=able & (pool.cpp_caseload < max_caseload) & services.offers_cpp[of_post],
            intake_weight=(1.0 + p.therapists.self_leadership_intake_weight
                           * pool.self_leadership * able),
            take_log_odds=log_odds,
            caseload=pool.cpp_caseload,
            max_caseload=max_caseload,
            caseload_weight=p.decision.caseload_weight,
        )
        if len(slots):
            self._start_cases(referrals, families, slots)

    def _start_cases(self, referrals: Referrals, families: np.ndarray, slots: np.ndarray,
                     ) -> None:
        """Open the CPP cases taken this month and book them on their therapists' posts."""
        # training cases are counted for trainees only (none in a month without trainees)
        kernels.start_cases(self.cases, self.therapists, referrals, families, slots, self.month,
                            self._in_training if self._anyone_training else None)
        self.tally["cpp_starts"] += len(slots)
        self.cpp_starts_this_month = len(slots)

    def cases_progress(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A month of weekly sessions for every active case; families complete or drop out."""
        pool, cases = self.therapists, self.cases
        watched = self._supervised
        if self.levers.is_raised("watched"):
            audited = self.levers.per_service("watched", self.services.n) > 0
            watched = watched | audited[pool.service]
        kernels.drift_and_fidelity(pool, self.params, watched)
        practising = self._practising = pool.cpp_caseload > 0  # (learning reads it too)
        pool.last_active_month[practising] = self.month
        self._caseload_delivered = pool.cpp_caseload.copy()
        self.tally["case_months"] += len(cases.active)
        self.tally["fidelity_sum"] += float(pool.fidelity @ pool.cpp_caseload)
        reduction = None  # no reduction unless a strategy raised the lever (None: none)
        if self.levers.is_raised("barrier_hazard_reduction"):
            reduction = self.levers.per_unit("barrier_hazard_reduction", pool.n)
        finished, improved, dropped = cases.progress(self.params, pool.fidelity, reduction)
        if len(finished) or len(dropped):
            ended = np.concatenate((finished, dropped))
            pool.cpp_caseload -= np.bincount(cases.slot[ended], minlength=pool.n)
        if len(improved):
            self.services.improved_this_cycle += np.bincount(
                cases.service[improved], minlength=self.services.n)
        return finished, improved, dropped

    def learn_and_update_motivation(self, improved: np.ndarray, dropped: np.ndarray) -> None:
        """Competence, readiness and motivation respond to this month's practice."""
        p, pool, services = self.params, self.therapists, self.services
        practising = self._practising  # cases worked on this month, finished ones included
        improved_n = dropped_n = buffer = None
        if len(improved):
            improved_n = np.bincount(self.cases.slot[improved], minlength=pool.n)
        if len(dropped):
            dropped_n = np.bincount(self.cases.slot[dropped], minlength=pool.n)
            buffer = self.leaders.loss_buffer()[pool.service]
        kernels.learn_from_practice(
            pool, p, caseload=self._caseload_delivered, practising=practising,
            supervised=self._supervised, in_training=self._in_training,
            gathering=(training.gathering_this_month(pool, self.month, p)
                       if self._anyone_training else None),
            able=self._able, follow_draws=self.rngs["leaders"].random(pool.n),
            follow_up=services.follow_up_probability[pool.service], improved_n=improved_n,
            dropped_n=dropped_n, buffer=buffer)

        delivering_share = np.bincount(pool.service[practising], minlength=services.n) / (
            p.services.therapists_per_service)
        services.update_climate(p, climate_target(
            p, services.agenda, self._training_running, delivering_share,
            services.climate_offset))

    def progress_training(self) -> None:
        """Training dropouts, completions, and the post-training state machine."""
        p, pool = self.params, self.therapists
        draws = self.rngs["turnover"].random(pool.n)  # drawn whether or not anyone trains
        if self._anyone_training:  # (states unchanged since the month's masks)
            pool.state[draws < training.training_dropout_hazard(pool, p)] = DISCONTINUED
            training.finish_training(pool, self.month, p)
        # trained, not given up: DELIVERING with a case, PAUSED without, DISCONTINUED after
        # `months_to_discontinue` months without one while the service offered CPP
        kernels.post_training_states(pool, self.month, p,
                                     self.services.last_month_not_offering[pool.service])

    def turnover_and_replacement(self) -> None:
        """Therapists leave with a monthly hazard; untrained hires fill their posts."""
        p, pool = self.params, self.therapists
        of_post = pool.service
        hazard = turnover_hazard(p, self.services.climate[of_post],
                                 self.leaders.turnover_log_ratio()[of_post],
                                 self._supervised, self.month - pool.hired_month,
                                 self.services.production_pressure[of_post])
        leaving = np.flatnonzero(self.rngs["turnover"].random(pool.n) < hazard)
        if len(leaving) == 0:
            return
        on_team = pool.on_cpp_team(leaving)  # read before the hires reset the posts
        closed = self.cases.end_for_leavers(leaving)
        if len(closed):
            pool.cpp_caseload -= np.bincount(self.cases.slot[closed], minlength=pool.n)
        for strategy in self.strategies:
            strategy.on_leave(self, leaving)
        self.departures.extend(self._departure_records(leaving))
        self.events.left(self, leaving)
        # the post's agent stays (a view of the post's row: it shows the new holder)
        pool.hire(leaving, p, self.rngs["hires"], self.month, self.next_person_id,
                  nominate=on_team)
        self.next_person_id += len(leaving)
        for strategy in self.strategies:
            strategy.therapists.reset(leaving)
            strategy.on_hire(self, leaving)

    def _departure_records(self, slots: np.ndarray) -> list[dict[str, Any]]:
        """What is kept of each leaver: enough for the person-level outcomes (outcomes.py)."""
        pool, month = self.therapists, self.month
        rows = zip(pool.person_id[slots].tolist(), slots.tolist(), pool.state[slots].tolist(),
                   pool.completed_training[slots].tolist(), pool.enrolled_month[slots].tolist(),
                   pool.first_case_month[slots].tolist(), pool.cases_started[slots].tolist(),
                   pool.certified[slots].tolist(), pool.training_cases[slots].tolist(),
                   strict=True)
        return [{"month": month, "person_id": person, "slot": slot,
                 "state_before": STATE_NAMES[state], "completed_training": completed,
                 "enrolled_month": enrolled, "first_case_month": first_case,
                 "cases_started": started, "certified": certified,
                 "training_cases": training_cases}
                for (person, slot, state, completed, enrolled, first_case, started, certified,
                     training_cases) in rows]

    def collect(self) -> None:
        """Book this month's running costs and record the monthly series."""
        p, pool = self.params, self.therapists
        sessions = float(self._consultation.sum()) * p.training.reference_sessions_per_month
        self.add_cost("consultation", sessions * p.training.consultation_cost_per_session)
        if np.count_nonzero(self.services.protected_hours):
            protected = self.services.protected_hours[pool.service] @ pool.can_deliver()
            self.add_cost("protected_time",
                          float(protected) * WEEKS_PER_MONTH * p.training.therapist_hour_cost)
        self.series.record(self)
        if self.month in self.snapshot_months():
            self.snapshots[self.month] = self.service_snapshot()
        self.events.observe(self)

    # -- helpers -----------------------------------------------------------------------------

    def _month_masks(self) -> None:
        """This month's consultation and the masks read by several phases, computed once when
        therapists decide: who is in training, who can deliver (states change only later, in
        ``progress_training`` and turnover) and who receives consultation."""
        (self._consultation, self._in_training, self._able,
         self._supervised) = kernels.consultation_and_masks(
            self.therapists, self.params, self._booster_sessions())
        # (np.count_nonzero: the same answer as .any(), a third of the call's overhead)
        self._anyone_training = np.count_nonzero(self._in_training) > 0
        self._anyone_supervised = np.count_nonzero(self._supervised) > 0

    def consultation(self) -> np.ndarray:
        """Consultation intensity per post this month (booster needs funding)."""
        return training.consultation_intensity(self.therapists, self.params,
                                               self._booster_sessions())

    def _booster_sessions(self) -> np.ndarray | None:
        """Booster sessions per post this month (services that fund and offer CPP only), or
        None."""
        sessions = self.levers.get("booster_sessions_per_month")
        offering = self.services.funded_and_offering()
        return sessions * offering[self.therapists.service] if sessions else None

    def training_running_by_service(self) -> np.ndarray:
        """Services with at least one therapist in training this month."""
        pool = self.therapists
        in_training = pool.state == IN_TRAINING
        if not np.count_nonzero(in_training):
            return np.zeros(self.services.n, dtype=bool)
        return np.bincount(pool.service, weights=in_training, minlength=self.services.n) > 0

    def snapshot_months(self) -> tuple[int, int]:
        """Months at which the service-level effect sizes are measured: the first cohort's
        training end and 24 months later (model/effects.py)."""
        end = self.first_training_end
        return end, end + EFFECT_FOLLOW_UP_MONTHS

    def service_snapshot(self) -> dict[str, np.ndarray]:
        """Per-service leadership, climate and CPP use this month (for the effect sizes)."""
        pool, n = self.therapists, self.services.n
        trained = pool.completed_training
        sustaining = trained & pool.delivered_within(self.month, SUSTAINMENT_WINDOW)
        return {
            "leadership": self.leaders.composite().copy(),
            "climate": self.services.climate.copy(),
            "trained": np.bincount(pool.service[trained], minlength=n),
            "sustaining": np.bincount(pool.service[sustaining], minlength=n),
        }

    def strategy(self, name: str) -> Strategy:
        """The enabled strategy ``name`` (its state and result series); KeyError if not enabled."""
        for strategy in self.strategies:
            if strategy.name == name:
                return strategy
        enabled = ", ".join(s.name for s in self.strategies) or "none"
        raise KeyError(f"strategy '{name}' is not enabled in this run (enabled: {enabled})")

    def describe_leaders(self) -> list[dict[str, object]]:
        """One plain dictionary per leader in post (for the dashboard)."""
        return [{"service": a.service, "style": a.style, "trained": a.leadership_trained,
                 **a.scores()} for a in self.leader_agents]

    def add_cost(self, category: str, amount: float) -> None:
        """Book a cost (EUR) under a category; strategies use this too."""
        self.costs[category] = self.costs.get(category, 0.0) + float(amount)
