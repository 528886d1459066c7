"""The colleague network: our small-world generator is networkx's, draw for draw."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from impl_sim.model.networks import PeerNorm, colleague_graph, small_world_edges


@pytest.mark.parametrize(("n", "k", "rewire"), [
    (10, 4, 0.1), (10, 4, 1.0), (10, 3, 0.5), (10, 9, 0.5), (5, 4, 1.0), (2, 1, 1.0),
    (40, 6, 0.3), (7, 2, 0.0)])
def test_small_world_edges_equal_networkx_watts_strogatz(n, k, rewire):
    for seed in range(60):
        expected = list(nx.watts_strogatz_graph(n, k, rewire, seed=seed).edges)
        assert small_world_edges(n, k, rewire, seed) == expected, (n, k, rewire, seed)


def test_rewiring_changes_the_ring_and_keeps_the_number_of_edges():
    ring = small_world_edges(20, 4, 0.0, 1)
    rewired = [small_world_edges(20, 4, 1.0, seed) for seed in range(5)]
    assert all(len(edges) == len(ring) == 40 for edges in rewired)
    assert all(set(edges) != set(ring) for edges in rewired)
    assert all(u != v for u, v in itertools.chain.from_iterable(rewired))


def test_colleagues_are_within_services_and_the_peer_norm_is_a_neighbour_share():
    rng = np.random.default_rng(5)
    graph = colleague_graph(3, 6, rng, 4, 0.2)
    assert all(graph.nodes[u]["service"] == graph.nodes[v]["service"] for u, v in graph.edges)
    delivering = np.zeros(18)
    delivering[[0, 1]] = 1.0
    share = PeerNorm(graph).share_delivering(delivering)
    for node in range(18):
        neighbours = list(graph.neighbors(node))
        assert share[node] == pytest.approx(np.mean([delivering[v] for v in neighbours]))


@pytest.mark.parametrize(("n", "k"), [(5, 5), (5, 7), (5, 0)])
def test_small_world_edges_refuses_a_ring_it_cannot_draw(n, k):
    with pytest.raises(ValueError, match="1 <= k < n"):
        small_world_edges(n, k, 0.5, 1)
