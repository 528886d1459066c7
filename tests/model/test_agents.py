"""Agents are views of the pools: they write through, or refuse loudly (issue 11, item 7)."""

from __future__ import annotations

import pytest

from impl_sim import Params
from impl_sim.model.model import ImplementationModel


@pytest.fixture
def model() -> ImplementationModel:
    model = ImplementationModel(Params.from_overrides({"simulation.horizon_months": 12}), 3)
    model.step()
    return model


def test_setting_an_attribute_on_the_agent_writes_through_to_the_pool(model):
    agent = model.therapists.agent[5]
    agent.motivation = 0.99
    assert model.therapists.motivation[5] == 0.99
    assert agent.motivation == 0.99
    model.therapists.readiness[5] = 0.123
    assert agent.readiness == 0.123  # and reads the pool


def test_bad_values_and_read_only_attributes_are_refused(model):
    agent = model.therapists.agent[5]
    with pytest.raises(ValueError, match="motivation"):
        agent.motivation = 1.5
    with pytest.raises(AttributeError, match="read-only"):
        agent.cases_started = 3
    with pytest.raises(AttributeError, match="motivaton"):
        agent.motivaton = 0.5  # a typo does not silently create an attribute


def test_agents_do_not_step_one_by_one(model):
    with pytest.raises(TypeError, match=r"model\.step"):
        model.agents.shuffle_do("step")
    leader = model.leader_agents[0]
    with pytest.raises(AttributeError):
        leader.proactive = 4.0
    assert leader.proactive == model.leaders.proactive[0]
    assert model.describe_leaders()[1]["service"] == 1


def test_a_post_keeps_its_agent_when_its_holder_leaves_and_the_agent_shows_the_new_holder():
    model = ImplementationModel(Params.from_overrides({"simulation.horizon_months": 24,
                                                       "therapists.annual_turnover": 0.9}), 3)
    pool = model.therapists
    agents = list(pool.agent)
    ids = sorted(agent.unique_id for agent in model.agents)
    people = pool.person_id.copy()
    model.run_model()
    replaced = pool.person_id != people
    assert replaced.any()
    assert all(a is b for a, b in zip(pool.agent, agents, strict=True))
    assert sorted(agent.unique_id for agent in model.agents) == ids
    slot = int(replaced.nonzero()[0][0])
    assert pool.agent[slot].person_id == pool.person_id[slot] != people[slot]
    assert pool.agent[slot].describe()["id"] == agents[slot].unique_id
