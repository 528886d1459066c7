"""Colleague and co-trainee networks (networkx), and the peer norm they carry."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import scipy.sparse as sp

from impl_sim.model.constants import (
    DENSE_NETWORK_LIMIT,
    NETWORK_SEED_BOUND,
    RING_SIDES,
    TIE_DRAW_BLOCK,
)


def colleague_graph(n_services: int, per_service: int, rng: np.random.Generator,
                    colleagues_each: int, rewire: float) -> nx.Graph:
    """Posts as nodes; within each service a small-world ring of colleagues.

    Node attributes: ``service``. Edge attribute ``kind``: ``colleague`` or ``co_trainee``.
    """
    graph = nx.Graph()
    k = min(colleagues_each, per_service - 1)
    for s in range(n_services):
        first = s * per_service
        graph.add_nodes_from(range(first, first + per_service), service=s)
        if k < 1:
            continue
        seed = int(rng.integers(NETWORK_SEED_BOUND))
        local = small_world_edges(per_service, k, rewire, seed)
        graph.add_edges_from(((first + a, first + b) for a, b in local), kind="colleague")
    return graph


def small_world_edges(n: int, k: int, rewire: float, seed: int) -> list[tuple[int, int]]:
    """The edges of ``networkx.watts_strogatz_graph(n, k, rewire, seed=seed)`` in the order
    its ``edges`` lists them, for 1 <= k < n: the same algorithm and the same calls to the
    same ``random.Random(seed)``, without networkx's per-call dispatch, which cost more than
    the graph (tests/model/test_networks.py compares the two).

    A ring lattice joins each node to its ``k // 2`` nearest neighbours on each side; then,
    distance by distance and node by node, each edge is rewired with probability ``rewire``
    to a node drawn uniformly, never making a self-loop or a double edge.
    """
    if not 1 <= k < n:
        raise ValueError(f"small_world_edges needs 1 <= k < n; got k={k}, n={n}")
    draw = random.Random(seed)
    nodes = list(range(n))
    adjacency: dict[int, dict[int, None]] = {u: {} for u in nodes}
    rings = [list(zip(nodes, nodes[j:] + nodes[:j], strict=True))
             for j in range(1, k // RING_SIDES + 1)]
    for ring in rings:
        for u, v in ring:
            adjacency[u][v] = adjacency[v][u] = None
    for ring in rings:
        for u, v in ring:
            if draw.random() >= rewire:
                continue
            w = draw.choice(nodes)
            while w == u or w in adjacency[u]:
                w = draw.choice(nodes)
                if len(adjacency[u]) >= n - 1:
                    break  # u is joined to everyone: no rewiring
            else:
                del adjacency[u][v], adjacency[v][u]
                adjacency[u][w] = adjacency[w][u] = None
    seen: set[int] = set()
    edges = []
    for u, neighbours in adjacency.items():
        edges += [(u, v) for v in neighbours if v not in seen]
        seen.add(u)
    return edges


def add_co_trainee_ties(graph: nx.Graph, trainees: np.ndarray, rng: np.random.Generator,
                        ties_each: int) -> None:
    """Link each trainee to a few trainees of *other* services met at gatherings."""
    n = len(trainees)
    service = np.array([graph.nodes[int(t)]["service"] for t in trainees], dtype=np.int64)
    others = n - np.bincount(service)[service] if n else service
    # rejection sampling from a block of draws (services are small, so few are rejected)
    block = rng.integers(n, size=(n, TIE_DRAW_BLOCK * ties_each)).tolist() if n else []
    nodes, services = trainees.tolist(), service.tolist()
    for i in range(n):
        wanted = min(ties_each, int(others[i]))
        met: list[int] = []
        draws = iter(block[i])
        while len(met) < wanted:
            j = next(draws, None)
            if j is None:
                j = int(rng.integers(n))
            if services[j] != services[i] and j not in met:
                met.append(j)
        graph.add_edges_from(((nodes[i], nodes[j]) for j in met), kind="co_trainee")


DENSE_LIMIT = DENSE_NETWORK_LIMIT


class PeerNorm:
    """Share of each post's network neighbours who currently deliver CPP."""

    def __init__(self, graph: nx.Graph) -> None:
        n = graph.number_of_nodes()
        edges = list(graph.edges())
        u = np.array([a for a, _ in edges], dtype=np.int64)
        v = np.array([b for _, b in edges], dtype=np.int64)
        rows, cols = np.concatenate((u, v)), np.concatenate((v, u))  # both directions
        self.degree = np.maximum(np.bincount(rows, minlength=n), 1).astype(float)
        # a dense matrix-vector product is faster for a few hundred posts; sparse beyond
        if n <= DENSE_LIMIT:
            self.adjacency = np.zeros((n, n))
            self.adjacency[rows, cols] = 1.0
        else:
            self.adjacency = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))

    def share_delivering(self, delivering: np.ndarray) -> np.ndarray:
        return (self.adjacency @ delivering) / self.degree
