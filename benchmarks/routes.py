"""Routes along the roads (planning.routes) against what an osmnx user writes: networkx paths.

    python benchmarks/routes.py [--quick]

Work: the route of every village to its school (the nearest by walking time), as a map of
the plan draws them. Both sides route on the network's segments with the same minutes per
segment. networkx: ``single_source_dijkstra`` (paths) once per school over the reversed
graph, with the same cut-off, points joined at their nearest node (``osmnx.nearest_nodes``
does the same), its graph built before the clock starts. Ours: ``Routes`` of a fresh
project (the segment graph with every point spliced in, then one Dijkstra with
predecessors per school, paths walked and simplified), and then the same routes asked again
(kept with the project, as the app's next redraw). Needs ../shared/data (the Liechtenstein
extract).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.traveltime import PBF, liechtenstein_arguments, random_points, tiled  # noqa: E402
from planning import Policy, Project, WalkNetwork, settings  # noqa: E402
from planning.osm import read_osm  # noqa: E402
from planning.routes import Routes  # noqa: E402
from planning.validation import validate_schools, validate_villages  # noqa: E402


def project_of(network: WalkNetwork, villages: np.ndarray, schools: np.ndarray) -> Project:
    """A project of these points (network CRS) on this network."""
    crs = network.crs
    village_table = validate_villages(gpd.GeoDataFrame(
        {"village_id": [f"V{i:05d}" for i in range(len(villages))], "name": [f"V{i}" for i in range(len(villages))],
         "primary_pupils": 10, "junior_pupils": 5}, geometry=gpd.points_from_xy(*villages.T), crs=crs))
    school_table = validate_schools(gpd.GeoDataFrame(
        {"school_id": [f"S{i:04d}" for i in range(len(schools))], "name": [f"S{i}" for i in range(len(schools))],
         "type": "九年一贯制", "capacity": 10_000}, geometry=gpd.points_from_xy(*schools.T), crs=crs))
    return Project(village_table, school_table, network, policy=Policy())


def ours(project: Project, pairs: list[tuple[str, str]]) -> tuple[float, float, int]:
    """(seconds for a fresh project's routes, seconds asked again, routes found)."""
    start = time.perf_counter()
    routes = Routes(project)
    found = routes.routes(pairs)
    first = time.perf_counter() - start
    start = time.perf_counter()
    routes.routes(pairs)
    return first, time.perf_counter() - start, sum(line is not None for line, _ in found)


def networkx_paths(network: WalkNetwork, villages: np.ndarray, schools: np.ndarray, school_of: np.ndarray,
                   policy: Policy) -> tuple[float, int]:
    """(seconds, routes found): single_source_dijkstra with paths from each school over the
    reversed graph (walking to it), each village's path read off."""
    fw, bw = network.segment_minutes(policy)
    graph = nx.DiGraph()  # reversed: an edge b → a for each walk a → b
    graph.add_weighted_edges_from(zip(network.seg_v.tolist(), network.seg_u.tolist(), fw.tolist(), strict=True))
    graph.add_weighted_edges_from(zip(network.seg_u.tolist(), network.seg_v.tolist(), bw.tolist(), strict=True))
    tree = cKDTree(network.node_xy)
    start = time.perf_counter()
    village_node, school_node = tree.query(villages)[1], tree.query(schools)[1]
    found = 0
    for k in np.unique(school_of):
        _, paths = nx.single_source_dijkstra(graph, int(school_node[k]), cutoff=policy.max_minutes, weight="weight")
        for i in np.flatnonzero(school_of == k):
            path = paths.get(int(village_node[i]))
            if path is not None:
                found += 1
                _ = network.node_xy[path[::-1]]
    return time.perf_counter() - start, found


def run_case(name: str, network: WalkNetwork, villages: np.ndarray, schools: np.ndarray) -> None:
    project = project_of(network, villages, schools)
    minutes = project.travel_times().to_numpy()
    reach = np.isfinite(minutes).any(axis=1)
    school_of = np.where(reach, np.argmin(np.nan_to_num(minutes, nan=np.inf), axis=1), -1)
    pairs = [(project.villages.index[i], project.schools.index[k]) for i, k in enumerate(school_of) if k >= 0]
    first, again, found = ours(project, pairs)
    nx_s, nx_found = networkx_paths(network, villages, schools, school_of, project.policy)
    print(f"{name}\n  {network.n_segments:,} segments; {len(pairs)} villages' routes to "
          f"{len(set(school_of[school_of >= 0]))} schools (found: ours {found}, networkx {nx_found})\n"
          f"  ours {first:6.3f} s ({nx_s / first:5.1f}×)   asked again {again:7.4f} s   networkx {nx_s:7.2f} s",
          flush=True)


def main() -> None:
    args = liechtenstein_arguments(__doc__)
    settings.progress = False  # the travel-time matrix's bar (the work timed comes after it)
    rng = np.random.default_rng(2026)
    li = read_osm(PBF, policy=Policy()).network
    print(f"machine: {__import__('os').cpu_count()} cores\n")
    n_v, n_s = (300, 30) if args.quick else (2000, 150)
    run_case(f"Liechtenstein: {n_v} villages, {n_s} schools", li, random_points(li, n_v, rng),
             random_points(li, n_s, rng))
    big = tiled(li, 2, 2)
    run_case(f"{big.n_nodes // 1000}k-node network (2×2 tiles): {2 * n_v} villages, {2 * n_s} schools", big,
             random_points(big, 2 * n_v, rng), random_points(big, 2 * n_s, rng))


if __name__ == "__main__":
    main()
