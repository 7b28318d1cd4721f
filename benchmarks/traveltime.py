"""Travel-time engine against what an osmnx user writes: networkx Dijkstra per school.

    python benchmarks/traveltime.py [--quick]

Both sides route on the same graph (the network's segments, the same minutes per
segment) from the same points. The networkx side joins points at their nearest node
(``osmnx.nearest_nodes`` does the same) and runs ``single_source_dijkstra_path_length``
once per school, with the same cut-off; its graph is built before the clock starts. Our
side includes snapping, splicing points into edges and the Dijkstra runs, with the disk
cache off. "Cold" is the first matrix on a fresh network (it builds the contraction and the
spatial index, once per network); "warm" is every later one. networkx is timed on a sample
of schools and scaled up where stated. Needs ../shared/data (the Liechtenstein extract).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planning import Policy, WalkNetwork  # noqa: E402
from planning.osm import read_osm  # noqa: E402
from planning.traveltime import travel_time_matrix  # noqa: E402

PBF = ROOT.parent / "shared" / "data" / "osm" / "liechtenstein" / "liechtenstein-2015.osm.pbf"


def tiled(network: WalkNetwork, nx_tiles: int, ny_tiles: int, gap_m: float = 200.0) -> WalkNetwork:
    """Copies of a real network side by side, joined by a short road at each seam."""
    lo, hi = network.node_xy.min(axis=0), network.node_xy.max(axis=0)
    size = hi - lo + gap_m
    xy, u, v, cls = [], [], [], []
    n = network.n_nodes
    for k, (i, j) in enumerate((i, j) for i in range(nx_tiles) for j in range(ny_tiles)):
        xy.append(network.node_xy + size * [i, j])
        u.append(network.seg_u + k * n)
        v.append(network.seg_v + k * n)
        cls.append(network.seg_class)
    xy = np.concatenate(xy)
    tile_of = np.repeat(np.arange(nx_tiles * ny_tiles), n)
    tree = cKDTree(xy)
    links = []
    for k in range(nx_tiles * ny_tiles):  # join each tile to its neighbours at 5 points
        i, j = divmod(k, ny_tiles)
        for di, dj in ((1, 0), (0, 1)):
            if i + di >= nx_tiles or j + dj >= ny_tiles:
                continue
            other = (i + di) * ny_tiles + (j + dj)
            mine = np.flatnonzero(tile_of == k)
            for q in np.linspace(0.1, 0.9, 5):
                seam = lo + size * [i, j] + (size - gap_m) * ([1, q] if di else [q, 1])
                a = mine[cKDTree(xy[mine]).query(seam)[1]]
                cand = tree.query(xy[a], k=50)[1]
                b = next(c for c in cand if tile_of[c] == other) if any(tile_of[cand] == other) else \
                    np.flatnonzero(tile_of == other)[cKDTree(xy[tile_of == other]).query(xy[a])[1]]
                links.append((a, b))
    links = np.array(links)
    return WalkNetwork.from_arrays(
        xy, np.r_[np.concatenate(u), links[:, 0]], np.r_[np.concatenate(v), links[:, 1]],
        np.r_[np.concatenate(cls), np.full(len(links), "residential", dtype=object)],
        crs=network.crs, source=f"{nx_tiles}×{ny_tiles} tiles of {network.source}",
    )


def random_points(network: WalkNetwork, count: int, rng: np.random.Generator) -> np.ndarray:
    """Points up to 200 m from random road nodes (villages are off the road)."""
    base = network.node_xy[rng.choice(network.n_nodes, size=count, replace=False)]
    return base + rng.uniform(-200, 200, size=(count, 2))


def ours(network: WalkNetwork, origins: np.ndarray, targets: np.ndarray,
         policy: Policy) -> tuple[float, float, np.ndarray]:
    """(cold seconds: a fresh network, so contraction and the spatial index are built;
    warm seconds: the same network again, as every later matrix of a project; minutes)."""
    fresh = WalkNetwork.from_arrays(network.node_xy, network.seg_u, network.seg_v, network.seg_class,
                                    crs=network.crs, node_z=network.node_z)
    start = time.perf_counter()
    travel_time_matrix(fresh, origins, targets, policy=policy, use_cache=False, progress=False)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    result = travel_time_matrix(fresh, origins, targets, policy=policy, use_cache=False, progress=False)
    return cold, time.perf_counter() - start, result.minutes


def networkx_per_school(network: WalkNetwork, origins: np.ndarray, targets: np.ndarray, policy: Policy,
                        sample: int | None) -> tuple[float, int]:
    """Seconds for networkx single-source Dijkstra per school (scaled from a sample)."""
    fw, _ = network.segment_minutes(policy)
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(network.seg_u.tolist(), network.seg_v.tolist(), fw.tolist(), strict=True))
    tree = cKDTree(network.node_xy)
    routed = targets if sample is None else targets[:sample]
    start = time.perf_counter()
    origin_nodes = tree.query(origins)[1]
    matrix = np.full((len(origins), len(routed)), np.nan)
    for j, node in enumerate(tree.query(routed)[1]):
        lengths = nx.single_source_dijkstra_path_length(graph, int(node), cutoff=policy.max_minutes, weight="weight")
        matrix[:, j] = [lengths.get(int(o), np.nan) for o in origin_nodes]
    elapsed = time.perf_counter() - start
    return elapsed * len(targets) / len(routed), len(routed)


def run_case(name: str, network: WalkNetwork, origins: np.ndarray, targets: np.ndarray, policy: Policy,
             sample: int | None) -> dict:
    cold, warm, minutes = ours(network, origins, targets, policy)
    nx_s, routed = networkx_per_school(network, origins, targets, policy, sample)
    chains = network.chains()
    row = {"case": name, "nodes": network.n_nodes,
           "routing_nodes": len(np.unique(np.r_[chains.edge_u, chains.edge_v])),
           "pairs": f"{len(origins)}×{len(targets)}", "cold_s": cold, "warm_s": warm, "networkx_s": nx_s,
           "nx_sampled": routed, "reachable": float(np.isfinite(minutes).mean())}
    scaled = "" if routed == len(targets) else f"; networkx timed on {routed} schools, scaled ×{len(targets) / routed:g}"
    print(f"{name}\n  {row['nodes']:,} nodes, {row['routing_nodes']:,} after contraction; "
          f"{row['reachable']:.0%} of pairs within {policy.max_minutes:g} min{scaled}\n"
          f"  ours cold {cold:6.2f} s ({nx_s / cold:5.0f}×)   ours warm {warm:6.3f} s ({nx_s / warm:5.0f}×)   "
          f"networkx per school {nx_s:7.1f} s", flush=True)
    return row


def liechtenstein_arguments(doc: str) -> argparse.Namespace:
    """The command line of a benchmark on the Liechtenstein extract (``--quick``: smaller
    samples); exits saying what is missing when ../shared/data is not there."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (for a smoke run)")
    args = parser.parse_args()
    if not PBF.exists():
        raise SystemExit(f"needs {PBF} (../shared/data beside the repository)")
    return args


def main() -> None:
    args = liechtenstein_arguments(__doc__)
    policy = Policy()
    rng = np.random.default_rng(2026)
    data = read_osm(PBF, policy=policy)
    li = data.network
    villages = data.settlements.to_crs(li.crs)
    schools = data.schools.to_crs(li.crs)
    print(f"walking speed {policy.walk_speed_kmh} km/h, cut-off {policy.max_minutes:g} min; "
          f"machine: {__import__('os').cpu_count()} cores\n")
    run_case("Liechtenstein: its villages × its schools", li,
             np.c_[villages.geometry.x, villages.geometry.y], np.c_[schools.geometry.x, schools.geometry.y],
             policy, None)
    n_o, n_t = (300, 60) if args.quick else (1000, 300)
    run_case(f"Liechtenstein: {n_o} villages × {n_t} sites", li, random_points(li, n_o, rng),
             random_points(li, n_t, rng), policy, 30 if args.quick else 60)
    big = tiled(li, 2, 2)
    run_case(f"{big.n_nodes // 1000}k-node network (2×2 tiles): {n_o} villages × {n_t} sites", big,
             random_points(big, n_o, rng), random_points(big, n_t, rng), policy, 10 if args.quick else 60)
    if big.n_nodes < 200_000:
        print(f"note: the tiled network has {big.n_nodes:,} nodes")


if __name__ == "__main__":
    main()
