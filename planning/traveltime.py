"""Travel-time matrix: origins (villages) × targets (schools and candidate sites), in minutes.

The engine builds a compressed sparse graph of the contracted network with every snapped
point spliced into its edge, then runs Dijkstra from every target over the reversed graph
(``scipy.sparse.csgraph.dijkstra`` with a cut-off), in chunks to bound memory. Reversing
matters once slopes make walking direction-dependent: a pupil's time is *from* the village
*to* the school. Results are cached on disk under a content hash of network, points and
speeds, so a matrix is computed once per set of inputs. The cache heals: a file that cannot
be read (cut short by a crash or a full disk) is discarded with a warning and computed
again; files are written beside their place and moved into it whole; the matrices used
longest ago go when the cache outgrows ``settings.cache_max_mb`` (``planning cache info``,
``planning cache clear``).

Why not networkx: one ``single_source_dijkstra_path_length`` per school in pure Python is
what an osmnx user writes; ``benchmarks/traveltime.py`` measures this engine against it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from tqdm.auto import tqdm

from . import settings
from .errors import warn
from .i18n import Message, t
from .io import MB, atomic_path
from .network import Chains, Snap, WalkNetwork
from .policy import Policy

logger = logging.getLogger(__name__)

ENGINE_VERSION = "1"
_EPS = 1e-9  # zero-length hops (coincident points) must stay edges in the sparse graph


@dataclass
class MatrixResult:
    """A travel-time matrix and how its points joined the network.

    Attributes
    ----------
    minutes
        Shape (origins, targets); NaN where the target is out of reach (another network
        piece, or beyond ``max_minutes``).
    origin_snap, target_snap
        Where each point joined the network.
    offroad_minutes_origin, offroad_minutes_target
        Time of the straight leg from each point to the road (minutes).
    from_cache
        Whether the matrix came from the disk cache.
    """

    minutes: np.ndarray
    origin_snap: Snap
    target_snap: Snap
    offroad_minutes_origin: np.ndarray
    offroad_minutes_target: np.ndarray
    from_cache: bool = False

    def joined(self, more: MatrixResult) -> MatrixResult:
        """This matrix with the targets of ``more`` (same origins) as further columns."""
        snap = Snap(*(np.r_[a, b] for a, b in zip(self.target_snap.astuple(), more.target_snap.astuple(),
                                                     strict=True)))
        return MatrixResult(np.c_[self.minutes, more.minutes], self.origin_snap, snap, self.offroad_minutes_origin,
                            np.r_[self.offroad_minutes_target, more.offroad_minutes_target])


def routing_settings(policy: Policy, max_minutes: float | None = None) -> tuple[object, ...]:
    """The settings a travel-time matrix depends on besides network and points: walking
    speed, slope, off-road detour, cut-off (minutes) and road-class speed factors."""
    cut_off = float(max_minutes or policy.max_minutes)
    return (policy.walk_speed_kmh, policy.tobler, policy.offroad_detour, cut_off,
            tuple(sorted(policy.class_factors.items())))


def travel_time_matrix(
    network: WalkNetwork,
    origin_xy: np.ndarray,
    target_xy: np.ndarray,
    *,
    policy: Policy | None = None,
    max_minutes: float | None = None,
    chunk: int = 32,
    progress: bool | None = None,
    use_cache: bool | None = None,
) -> MatrixResult:
    """Walking minutes from every origin to every target.

    Parameters
    ----------
    network
        The walking network.
    origin_xy, target_xy
        Coordinates in the network CRS (metres), shapes (n, 2) and (m, 2).
    policy
        Walking speed, road-class factors, slope, off-road detour.
    max_minutes
        Cut-off (minutes); pairs beyond it are NaN. Defaults to ``policy.max_minutes``.
    chunk
        Targets routed per Dijkstra call (memory ∝ chunk × graph nodes).
    progress
        Show a tqdm bar; defaults to ``settings.progress`` when there are many targets.
    use_cache
        Read and write the disk cache; defaults to ``settings.use_cache``. A cached file
        that cannot be read is removed with a :class:`~planning.errors.DataWarning` and
        the matrix computed again.
    """
    policy = policy or Policy()
    max_minutes = float(max_minutes or policy.max_minutes)
    origin_xy = np.asarray(origin_xy, dtype=float).reshape(-1, 2)
    target_xy = np.asarray(target_xy, dtype=float).reshape(-1, 2)
    origin_snap = network.snap(origin_xy)
    target_snap = network.snap(target_xy)
    metres_per_min = policy.walk_speed_m_per_min
    off_o = origin_snap.distance_m * policy.offroad_detour / metres_per_min
    off_t = target_snap.distance_m * policy.offroad_detour / metres_per_min

    use_cache = settings.use_cache if use_cache is None else use_cache
    path = _cache_path(network, origin_xy, target_xy, policy, max_minutes) if use_cache else None
    cached = None if path is None else _read_cached(path, shape=(len(origin_xy), len(target_xy)))
    if path is not None and cached is not None:
        logger.info("travel times %d × %d: from the cache (%s)", len(origin_xy), len(target_xy), path.name)
        return MatrixResult(cached, origin_snap, target_snap, off_o, off_t, from_cache=True)
    started = time.perf_counter()

    graph, point_node = splice_points(network, np.r_[origin_snap.segment, target_snap.segment],
                                      np.r_[origin_snap.t, target_snap.t], policy)
    n_o = len(origin_xy)
    network_min = _route(graph.T.tocsr(), point_node[n_o:], point_node[:n_o], max_minutes, chunk, progress)
    minutes = off_o[:, None] + network_min + off_t[None, :]
    minutes[~(minutes <= max_minutes)] = np.nan
    if path is not None:
        _atomic_save(path, minutes)
    logger.info("travel times %d × %d: routed in %.2f s", len(origin_xy), len(target_xy),
                time.perf_counter() - started)
    return MatrixResult(minutes, origin_snap, target_snap, off_o, off_t)


def paired_minutes(network: WalkNetwork, origin_xy: np.ndarray, target_xy: np.ndarray, *, policy: Policy,
                   max_minutes: float, chunk: int = 64) -> np.ndarray:
    """Walking minutes from each origin to its own target (origin i → target i), NaN beyond
    ``max_minutes``: e.g. from each village to where a school bus picks it up.

    Only the pairs are kept (not the full origins × targets matrix); each Dijkstra stops at
    the cut-off, so this costs about one bounded search per pair.
    """
    origin_xy = np.asarray(origin_xy, dtype=float).reshape(-1, 2)
    target_xy = np.asarray(target_xy, dtype=float).reshape(-1, 2)
    origin_snap, target_snap = network.snap(origin_xy), network.snap(target_xy)
    off_o = origin_snap.distance_m * policy.offroad_detour / policy.walk_speed_m_per_min
    off_t = target_snap.distance_m * policy.offroad_detour / policy.walk_speed_m_per_min
    graph, point_node = splice_points(network, np.r_[origin_snap.segment, target_snap.segment],
                                      np.r_[origin_snap.t, target_snap.t], policy)
    n = len(origin_xy)
    reverse = graph.T.tocsr()
    network_min = np.empty(n)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        dist = dijkstra(reverse, directed=True, indices=point_node[n + start:n + stop], limit=max_minutes)
        network_min[start:stop] = dist[np.arange(stop - start), point_node[start:stop]]
    minutes = off_o + network_min + off_t
    minutes[~(minutes <= max_minutes)] = np.nan
    return minutes


def splice_points(
    network: WalkNetwork, segment: np.ndarray, t: np.ndarray, policy: Policy, *, chains: Chains | None = None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The routing graph: contracted edges, each point spliced into its edge.

    ``chains`` replaces the network's contraction: :func:`segment_chains` makes every
    segment an edge of its own (a graph whose paths follow the roads' shapes, for drawing
    routes). Graph nodes are the edges' end nodes (``np.unique`` of both ends, in that
    order), then one node per point.

    Returns
    -------
    (graph where ``graph[a, b]`` is minutes from a to b, graph node of each point)
    """
    chains = network.chains() if chains is None else chains
    fw, bw = network.segment_minutes(policy)
    fwd = chains.seg_forward
    seg_a = np.where(fwd, fw, bw)  # minutes along the segment in its edge's direction
    seg_b = np.where(fwd, bw, fw)  # ... and against it
    before_a, total_a = _offsets(seg_a, chains)
    before_b, total_b = _offsets(seg_b, chains)

    tt = np.where(fwd[segment], t, 1.0 - t)  # fraction along the edge's direction
    edge = chains.seg_edge[segment]
    pos_a = before_a[segment] + tt * seg_a[segment]
    pos_b = before_b[segment] + tt * seg_b[segment]

    # Compact node ids: only contracted-edge ends, then one node per point.
    ends, compact = np.unique(np.r_[chains.edge_u, chains.edge_v], return_inverse=True)
    n_edges = len(chains.edge_u)
    eu, ev = compact[:n_edges], compact[n_edges:]
    n_points = len(segment)
    point_node = len(ends) + np.arange(n_points)

    order = np.lexsort((pos_a, edge))
    e_sorted, a_sorted, b_sorted, nodes_sorted = edge[order], pos_a[order], pos_b[order], point_node[order]
    first = np.r_[True, e_sorted[1:] != e_sorted[:-1]]
    last = np.r_[e_sorted[1:] != e_sorted[:-1], True]
    has_points = np.zeros(n_edges, dtype=bool)
    has_points[edge] = True

    rows, cols, w = [], [], []

    def add(a: np.ndarray, b: np.ndarray, minutes_ab: np.ndarray, minutes_ba: np.ndarray) -> None:
        rows.extend([a, b])
        cols.extend([b, a])
        w.extend([minutes_ab, minutes_ba])

    plain = ~has_points
    add(eu[plain], ev[plain], total_a[plain], total_b[plain])
    add(eu[e_sorted[first]], nodes_sorted[first], a_sorted[first], b_sorted[first])
    add(nodes_sorted[last], ev[e_sorted[last]],
        total_a[e_sorted[last]] - a_sorted[last], total_b[e_sorted[last]] - b_sorted[last])
    inner = ~last
    nxt = np.flatnonzero(inner) + 1
    add(nodes_sorted[inner], nodes_sorted[nxt],
        a_sorted[nxt] - a_sorted[inner], b_sorted[nxt] - b_sorted[inner])

    n = len(ends) + n_points
    return _min_csr(np.concatenate(rows), np.concatenate(cols), np.concatenate(w), n), point_node


def segment_chains(network: WalkNetwork) -> Chains:
    """Chains in which each segment is an edge of its own (nothing contracted)."""
    every = np.arange(network.n_segments)
    return Chains(edge_u=network.seg_u, edge_v=network.seg_v, seg_edge=every,
                  seg_forward=np.ones(len(every), dtype=bool), seg_order=every)


def _offsets(seg_minutes: np.ndarray, chains: Chains) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each segment's edge start to the segment, and each edge's total."""
    order = chains.seg_order
    edge_sorted = chains.seg_edge[order]
    csum = np.cumsum(seg_minutes[order])
    exclusive = csum - seg_minutes[order]
    first = np.r_[True, edge_sorted[1:] != edge_sorted[:-1]]
    start_idx = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    before = np.empty_like(seg_minutes)
    before[order] = exclusive - exclusive[start_idx]
    total = np.bincount(chains.seg_edge, weights=seg_minutes, minlength=len(chains.edge_u))
    return before, total


def _min_csr(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_matrix:
    """CSR graph keeping the fastest of parallel edges (scipy would add them up)."""
    keep = rows != cols
    rows, cols, w = rows[keep], cols[keep], np.maximum(w[keep], _EPS)
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    return sparse.csr_matrix((w[first], (rows[first], cols[first])), shape=(n, n))


def _route(
    reverse_graph: sparse.csr_matrix,
    sources: np.ndarray,
    wanted: np.ndarray,
    limit: float,
    chunk: int,
    progress: bool | None,
) -> np.ndarray:
    """Shortest minutes from every ``wanted`` node to every source (columns)."""
    out = np.empty((len(wanted), len(sources)))
    starts: Iterable[int] = range(0, len(sources), chunk)
    show = settings.progress if progress is None else progress
    if show and len(sources) > 4 * chunk:
        starts = tqdm(starts, desc=t("progress.travel_times"), unit=t("progress.chunk"), leave=False)
    for start in starts:
        block = sources[start:start + chunk]
        dist = dijkstra(reverse_graph, directed=True, indices=block, limit=limit)
        out[:, start:start + len(block)] = dist[:, wanted].T
    return out


# ---------------------------------------------------------------------- disk cache
def network_hash(network: WalkNetwork) -> str:
    """Content hash of a network's geometry, classes and elevations."""
    if "hash" not in network._cache:
        h = hashlib.sha256()
        for arr in (network.node_xy, network.seg_u, network.seg_v,
                    network.node_z if network.node_z is not None else np.zeros(0)):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update("\x1f".join(map(str, network.seg_class)).encode())
        h.update(network.crs.to_wkt().encode())
        network._cache["hash"] = h.hexdigest()
    return network._cache["hash"]


def _cache_path(network: WalkNetwork, origin_xy: np.ndarray, target_xy: np.ndarray,
                policy: Policy, max_minutes: float) -> Path:
    h = hashlib.sha256()
    h.update(ENGINE_VERSION.encode())
    h.update(network_hash(network).encode())
    h.update(np.ascontiguousarray(origin_xy).tobytes())
    h.update(b"|")
    h.update(np.ascontiguousarray(target_xy).tobytes())
    h.update(repr(routing_settings(policy, max_minutes)).encode())
    return Path(settings.cache_folder) / f"tt-{h.hexdigest()[:32]}.npz"


def _read_cached(path: Path, *, shape: tuple[int, int]) -> np.ndarray | None:
    """The matrix cached at ``path``, or None when there is none. A file that cannot be read
    (cut short, garbage) or holds another matrix is removed, with a
    :class:`~planning.errors.DataWarning`, so that it is computed again and never fails a
    later run."""
    try:
        with path.open("rb") as handle:  # closed here even when numpy cannot read it
            stored = np.load(handle, allow_pickle=False)
            if not isinstance(stored, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            with stored:
                minutes = stored["minutes"]
        if minutes.shape != shape or minutes.dtype != np.float64:
            raise ValueError(f"{minutes.dtype} {minutes.shape}, not float64 {shape}")
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with a cache file, it is computed again
        warn(Message("data.cache_discarded", file=str(path), detail=f"{type(exc).__name__}: {exc}"), stacklevel=3)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used now: evicted last
    return minutes


def _atomic_save(path: Path, minutes: np.ndarray) -> None:
    """Write a matrix to the cache: beside its place, then moved into it whole (a crash
    leaves no half-written matrix under the name), then older matrices evicted."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, minutes=minutes)
    except OSError:  # a read-only cache folder must not stop the analysis
        return
    evict(keep=path)


#: Seconds after which a temporary file left in the cache (a write cut short) is removed.
_STALE_SECONDS = 3600.0


def cache_files(folder: str | Path | None = None) -> list[Path]:
    """The travel-time cache's files in ``folder`` (``settings.cache_folder`` when None):
    its matrices (``tt-*.npz``) and temporary files left by writes cut short."""
    folder = Path(settings.cache_folder if folder is None else folder)
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("tt-*.npz"), *folder.glob(".tt-*.npz.*")])


def evict(*, keep: Path | None = None) -> int:
    """Remove the matrices used longest ago until the cache holds at most
    ``settings.cache_max_mb`` megabytes (never ``keep``, the one just written), and
    temporary files older than an hour; returns the number of files removed."""
    now, limit = time.time(), settings.cache_max_mb * MB
    found = []
    for path in cache_files():
        with contextlib.suppress(OSError):
            stat = path.stat()
            found.append((stat.st_mtime, stat.st_size, path))
    removed = 0
    total = sum(size for _, size, path in found if not path.name.startswith("."))
    for mtime, size, path in sorted(found, key=lambda item: item[0]):
        stale = path.name.startswith(".") and now - mtime > _STALE_SECONDS
        over = not path.name.startswith(".") and total > limit and path != keep
        if stale or over:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
                total -= size if over else 0
    return removed


def clear_cache() -> tuple[int, int]:
    """Remove every file of the travel-time cache; returns (files, bytes) removed."""
    files = n_bytes = 0
    for path in cache_files():
        with contextlib.suppress(OSError):
            size = path.stat().st_size
            path.unlink()
            files, n_bytes = files + 1, n_bytes + size
    return files, n_bytes


def cache_size() -> tuple[int, int]:
    """The travel-time cache's files and bytes now."""
    sizes = []
    for path in cache_files():
        with contextlib.suppress(OSError):
            sizes.append(path.stat().st_size)
    return len(sizes), sum(sizes)
