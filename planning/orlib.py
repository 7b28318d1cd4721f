"""Readers for OR-Library location-allocation instances (the optimiser's reference tests).

- Beasley's uncapacitated p-median ``pmed1.txt`` … ``pmed40.txt``: ``n_vertices n_edges p``
  then ``i j cost`` per undirected edge (1-based; when an edge appears twice the last one
  wins); the cost matrix is the all-pairs shortest paths.
- Osman & Christofides' capacitated ``pmedcap01.txt`` …: ``id optimum``, ``n p capacity``,
  then ``i x y demand``; cost is the Euclidean distance rounded down.
- Lorena & Senne's São José dos Campos capacitated ``SJC1.dat`` …: ``n p``, then
  ``x y capacity demand`` per point; cost is the Euclidean distance (not rounded).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra


def read_pmed(path: str | Path) -> tuple[np.ndarray, int]:
    """(cost matrix of all-pairs shortest paths, p) of a Beasley p-median file."""
    lines = Path(path).read_text().split("\n")
    n, e, p = map(int, lines[0].split())
    edges: dict[tuple[int, int], int] = {}
    for line in lines[1:1 + e]:
        i, j, c = map(int, line.split())
        edges[(min(i, j), max(i, j))] = c
    ij = np.array(list(edges)) - 1
    graph = sparse.csr_matrix((np.array(list(edges.values()), dtype=float), (ij[:, 0], ij[:, 1])), shape=(n, n))
    return dijkstra(graph, directed=False), p


def read_pmed_optima(path: str | Path) -> dict[int, float]:
    """Published optima from ``pmedopt.txt``: instance number → value."""
    rows = Path(path).read_text().split("\n")[1:]
    return {int(r.split()[0][4:]): float(r.split()[1]) for r in rows if r.strip()}


def read_pmedcap(path: str | Path) -> tuple[np.ndarray, int, float, np.ndarray, float]:
    """(cost matrix, p, capacity of every median, demand per point, published optimum)."""
    rows = [line.split() for line in Path(path).read_text().strip().split("\n")]
    optimum = float(rows[0][1])
    n, p, capacity = map(int, rows[1])
    points = np.array(rows[2:2 + n], dtype=float)
    xy = points[:, 1:3]
    cost = np.floor(np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]))
    return cost, p, float(capacity), points[:, 3], optimum


def read_sjc(path: str | Path) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """(cost matrix, p, capacity per point, demand per point) of a Lorena–Senne SJC file:
    every point is a demand point and a candidate median; costs are Euclidean distances
    (metres), the objective their plain sum."""
    rows = [line.split() for line in Path(path).read_text().strip().splitlines() if line.strip()]
    n, p = int(rows[0][0]), int(rows[0][1])
    points = np.array(rows[1:1 + n], dtype=float)
    xy = points[:, :2]
    cost = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    return cost, p, points[:, 2], points[:, 3]
