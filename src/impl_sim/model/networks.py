"""Colleague and co-trainee networks (networkx), and the peer norm they carry."""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp


def colleague_graph(n_services: int, per_service: int, rng: np.random.Generator,
                    colleagues_each: int = 4, rewire: float = 0.1) -> nx.Graph:
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
        local = nx.watts_strogatz_graph(per_service, k, rewire, seed=int(rng.integers(2**31)))
        graph.add_edges_from(((first + a, first + b) for a, b in local.edges), kind="colleague")
    return graph


def add_co_trainee_ties(graph: nx.Graph, trainees: np.ndarray, rng: np.random.Generator,
                        ties_each: int = 2) -> None:
    """Link each trainee to a few trainees of *other* services met at gatherings."""
    if len(trainees) < 2:
        return
    services = nx.get_node_attributes(graph, "service")
    for a in trainees:
        others = trainees[[services[int(b)] != services[int(a)] for b in trainees]]
        if len(others) == 0:
            continue
        for b in rng.choice(others, size=min(ties_each, len(others)), replace=False):
            if not graph.has_edge(int(a), int(b)):
                graph.add_edge(int(a), int(b), kind="co_trainee")


DENSE_LIMIT = 2000


class PeerNorm:
    """Share of each post's network neighbours who currently deliver CPP."""

    def __init__(self, graph: nx.Graph) -> None:
        n = graph.number_of_nodes()
        adjacency = sp.csr_matrix(
            nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr"), dtype=float)
        self.degree = np.maximum(np.asarray(adjacency.sum(axis=1)).ravel(), 1.0)
        # a dense matrix is faster below a few thousand posts; sparse beyond
        self.adjacency = adjacency.toarray() if n <= DENSE_LIMIT else adjacency

    def share_delivering(self, delivering: np.ndarray) -> np.ndarray:
        return (self.adjacency @ delivering.astype(float)) / self.degree
