"""The walking network: built from OpenStreetMap or a county's road layer.

A :class:`WalkNetwork` is a set of straight segments between nodes in a projected CRS
(metres), each with a road class and, where the data have it, node elevations for
Tobler's slope-dependent walking speed. Points (villages, schools, sites) join it at the
nearest point *on a segment*, not the nearest node: rural roads are sparse and a village
300 m from a long road should not walk to the road's far end first. The straight leg
from the point to the road is timed at walking speed times a detour factor.

For routing, chains of degree-2 nodes are contracted into single edges once per network
(:meth:`WalkNetwork.chains`); a snapped point then splits its contracted edge at the
right offset. On OSM networks this shrinks the graph Dijkstra runs on several-fold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .errors import ValidationError, warn
from .i18n import Listing, Message
from .io import metric_crs_for
from .policy import Policy, tobler_factor

logger = logging.getLogger(__name__)

#: Candidate names of the road-class column of a road layer.
CLASS_COLUMNS = ("highway", "fclass", "class", "road_class", "type", "kind", "道路等级", "等级", "道路类型", "类型")


@dataclass
class Snap:
    """Where points join the network.

    Attributes
    ----------
    segment
        Index of the nearest segment per point.
    t
        Position along that segment from its first node (fraction 0–1).
    distance_m
        Straight-line distance from the point to the road (metres).
    xy
        The point's projection on the road (metres, network CRS).
    """

    segment: np.ndarray
    t: np.ndarray
    distance_m: np.ndarray
    xy: np.ndarray

    def astuple(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The four arrays, in field order."""
        return self.segment, self.t, self.distance_m, self.xy


@dataclass
class Chains:
    """Degree-2 chains contracted into edges (a structure independent of speeds).

    Attributes
    ----------
    edge_u, edge_v
        End nodes of each contracted edge.
    seg_edge
        Contracted edge of each segment.
    seg_forward
        Whether the segment runs in its edge's direction.
    seg_order
        Segments sorted by (edge, position along the edge).
    """

    edge_u: np.ndarray
    edge_v: np.ndarray
    seg_edge: np.ndarray
    seg_forward: np.ndarray
    seg_order: np.ndarray


@dataclass
class WalkNetwork:
    """A walkable network of straight segments in a projected CRS.

    Attributes
    ----------
    crs
        Projected CRS of the coordinates (metres).
    node_xy
        Node coordinates, shape (n, 2), metres.
    seg_u, seg_v
        Node indices of each segment's ends.
    seg_class
        Road class of each segment (OSM ``highway`` or the layer's class).
    node_z
        Node elevation (metres), NaN where unknown, or None when the data give no slope
        at all (no elevations, or every road at one height). See :meth:`from_lines` for
        layers whose lines have elevations only in part.
    source
        Where the network came from (file name), for reports.
    attribution
        Data licence attribution to print on maps, e.g. "© OpenStreetMap contributors".
    """

    crs: CRS
    node_xy: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_class: np.ndarray
    node_z: np.ndarray | None = None
    source: str = ""
    attribution: str | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        node_xy: np.ndarray,
        seg_u: np.ndarray,
        seg_v: np.ndarray,
        seg_class: np.ndarray,
        *,
        crs: CRS,
        node_z: np.ndarray | None = None,
        source: str = "",
        attribution: str | None = None,
    ) -> WalkNetwork:
        """Build from arrays: drops self-loops and duplicate segments, keeps used nodes only."""
        seg_u = np.asarray(seg_u, dtype=np.int64)
        seg_v = np.asarray(seg_v, dtype=np.int64)
        seg_class = np.asarray(seg_class, dtype=object)
        keep = seg_u != seg_v
        lo, hi = np.minimum(seg_u, seg_v), np.maximum(seg_u, seg_v)
        pairs = pd.DataFrame({"lo": lo, "hi": hi})
        keep &= ~pairs.duplicated().to_numpy()
        seg_u, seg_v, seg_class = seg_u[keep], seg_v[keep], seg_class[keep]
        used = np.unique(np.concatenate([seg_u, seg_v]))
        remap = np.full(len(node_xy), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        if len(used) == 0:
            raise ValidationError(Message("error.network_empty"), source=source or None)
        return cls(
            crs=CRS.from_user_input(crs),
            node_xy=np.asarray(node_xy, dtype=float)[used],
            seg_u=remap[seg_u].astype(np.int32),
            seg_v=remap[seg_v].astype(np.int32),
            seg_class=seg_class,
            node_z=None if node_z is None else np.asarray(node_z, dtype=float)[used],
            source=source,
            attribution=attribution,
        )

    @classmethod
    def from_lines(
        cls,
        roads: gpd.GeoDataFrame,
        *,
        class_column: str | None = None,
        tolerance_m: float = 2.0,
        policy: Policy | None = None,
        crs: CRS | None = None,
        source: str = "roads",
        attribution: str | None = None,
    ) -> WalkNetwork:
        """Build a topologically correct network from a road layer.

        Ends of lines within ``tolerance_m`` of another line's vertex or of its interior
        are joined (a T-junction drawn without a shared vertex still connects); lines that
        only cross (bridges, overpasses) do not. Roads of the policy's
        ``excluded_classes`` (expressways, …) and with ``foot=no`` are left out.

        Elevations come from 3-D lines. A node's elevation is the mean of the elevations
        the lines meeting there give; a line without them (a 2-D line, or a line at exactly
        0 m on every vertex in a layer whose other lines have elevations: how Shapefiles
        and desktop GIS store a 2-D line in a 3-D layer) adds nothing to that mean. Along
        such a line, a stretch between two nodes of known elevation climbs evenly from one
        to the other (the climb between them is known, its profile is not); every other
        stretch is flat: no slope is invented from a missing elevation. The elevations
        placed this way count as known for other such lines, until none is added. A
        :class:`~planning.errors.DataWarning` says how many road lines lacked elevations.

        Parameters
        ----------
        roads
            LineString/MultiLineString layer with a CRS; 3-D lines give node elevations
            (metres).
        class_column
            Column holding the road class; found among :data:`CLASS_COLUMNS` when None.
        tolerance_m
            Distance under which line ends are joined (metres).
        crs
            Projected CRS for the network; the layer's UTM zone when None.
        """
        policy = policy or Policy()
        lines = _walkable_lines(roads, class_column=class_column, policy=policy, source=source)
        crs = CRS.from_user_input(crs) if crs is not None else metric_crs_for(lines)
        lines = lines.to_crs(crs)
        coords, line_of = _line_vertices(lines.geometry.to_numpy(), tolerance_m)
        node_of_vertex, node_xy = _merge_vertices(coords, line_of, tolerance_m)
        node_z, lacking = _node_elevations(coords, line_of, node_of_vertex)
        same_line = line_of[1:] == line_of[:-1]
        seg_u = node_of_vertex[:-1][same_line]
        seg_v = node_of_vertex[1:][same_line]
        seg_class = lines["_class"].to_numpy()[line_of[:-1][same_line]]
        if lacking.any():
            features = lines["_feature"].to_numpy()
            warn(Message("data.partial_elevation", n=len(np.unique(features[lacking])),
                         total=len(np.unique(features)), source=source), stacklevel=2)
        known = node_z[np.isfinite(node_z)] if node_z is not None else np.zeros(0)
        has_z = len(known) > 0 and np.ptp(known) > 0  # a layer all at one height has no slopes
        logger.info("network %s: %d nodes, %d segments%s", source, len(node_xy), len(seg_u),
                    ", with elevations" if has_z else "")
        return cls.from_arrays(
            node_xy, seg_u, seg_v, seg_class, crs=crs, node_z=node_z if has_z else None,
            source=source, attribution=attribution,
        )

    # ------------------------------------------------------------------ properties
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)

    @property
    def n_segments(self) -> int:
        """Number of straight segments."""
        return len(self.seg_u)

    @cached_property
    def seg_length(self) -> np.ndarray:
        """Horizontal length of each segment (metres)."""
        d = self.node_xy[self.seg_v] - self.node_xy[self.seg_u]
        return np.hypot(d[:, 0], d[:, 1])

    def segment_minutes(self, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
        """Walking minutes along each segment, from u to v and from v to u.

        Speed is the policy's walking speed times the road-class factor, and, where both
        ends of a segment have elevations and ``policy.tobler`` is on, times Tobler's slope
        factor (so a climb takes longer than the descent). A segment with an end of unknown
        elevation is flat.
        """
        factors = pd.Series(self.seg_class).map(policy.class_factors).fillna(1.0).to_numpy()
        base = self.seg_length / (policy.walk_speed_m_per_min * factors)
        if self.node_z is None or not policy.tobler:
            return base, base.copy()
        rise = self.node_z[self.seg_v] - self.node_z[self.seg_u]
        rise = np.where(np.isfinite(rise), rise, 0.0)  # an end of unknown elevation: flat
        grade = np.divide(rise, self.seg_length, out=np.zeros_like(rise), where=self.seg_length > 0)
        return base / tobler_factor(grade), base / tobler_factor(-grade)

    @cached_property
    def segment_lines(self) -> np.ndarray:
        """Shapely LineStrings of the segments (network CRS)."""
        pts = np.stack([self.node_xy[self.seg_u], self.node_xy[self.seg_v]], axis=1)
        return shapely.linestrings(pts)

    @cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.segment_lines)

    @cached_property
    def components(self) -> np.ndarray:
        """Connected piece of each node (0 is the largest piece)."""
        adj = sparse.coo_matrix(
            (np.ones(self.n_segments), (self.seg_u, self.seg_v)), shape=(self.n_nodes, self.n_nodes)
        )
        _, labels = connected_components(adj, directed=False)
        order = np.argsort(-np.bincount(labels), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return rank[labels]

    def pieces(self) -> pd.DataFrame:
        """Disconnected pieces of the network, largest first: nodes, segments, km."""
        seg_piece = self.components[self.seg_u]
        frame = pd.DataFrame({
            "nodes": np.bincount(self.components),
            "segments": np.bincount(seg_piece, minlength=self.components.max() + 1),
            "km": np.bincount(seg_piece, weights=self.seg_length, minlength=self.components.max() + 1) / 1000,
        })
        frame.index.name = "piece"
        return frame

    def summary(self) -> dict[str, object]:
        """Nodes, segments, length (km), pieces, classes, elevation: for reports and the CLI."""
        pieces = self.pieces()
        return {
            "source": self.source,
            "crs": self.crs.to_string(),
            "nodes": self.n_nodes,
            "segments": self.n_segments,
            "km": round(float(self.seg_length.sum()) / 1000, 1),
            "pieces": len(pieces),
            "largest_piece_share": round(float(pieces["km"].iloc[0] / pieces["km"].sum()), 3),
            "has_elevation": self.node_z is not None,
        }

    def to_gdf(self) -> gpd.GeoDataFrame:
        """Segments as a GeoDataFrame (network CRS) with class, length and piece."""
        return gpd.GeoDataFrame(
            {"road_class": self.seg_class, "length_m": self.seg_length, "piece": self.components[self.seg_u]},
            geometry=self.segment_lines,
            crs=self.crs,
        )

    def subset(self, keep: np.ndarray, *, source: str | None = None) -> WalkNetwork:
        """A network of only the segments where ``keep`` is True (e.g. roads a bus can use)."""
        keep = np.asarray(keep, dtype=bool)
        return WalkNetwork.from_arrays(
            self.node_xy, self.seg_u[keep], self.seg_v[keep], self.seg_class[keep], crs=self.crs,
            node_z=self.node_z, source=source or self.source, attribution=self.attribution,
        )

    # ------------------------------------------------------------------ snapping
    def snap(self, xy: np.ndarray) -> Snap:
        """Join points to the nearest point on any segment.

        Parameters
        ----------
        xy
            Point coordinates in the network CRS, shape (k, 2), metres.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        points = shapely.points(xy)
        (_, seg), dist = self._tree.query_nearest(points, return_distance=True, all_matches=False)
        a = self.node_xy[self.seg_u[seg]]
        b = self.node_xy[self.seg_v[seg]]
        ab = b - a
        denom = np.einsum("ij,ij->i", ab, ab)
        t = np.divide(np.einsum("ij,ij->i", xy - a, ab), denom, out=np.zeros(len(xy)), where=denom > 0)
        t = np.clip(t, 0.0, 1.0)
        return Snap(segment=seg.astype(np.int64), t=t, distance_m=dist, xy=a + t[:, None] * ab)

    # ------------------------------------------------------------------ contraction
    def chains(self) -> Chains:
        """Contract chains of degree-2 nodes into edges (computed once per network)."""
        if "chains" not in self._cache:
            self._cache["chains"] = _contract(self.seg_u, self.seg_v, self.n_nodes)
        return self._cache["chains"]


# ---------------------------------------------------------------------- road layers
def _walkable_lines(
    roads: gpd.GeoDataFrame, *, class_column: str | None, policy: Policy, source: str
) -> gpd.GeoDataFrame:
    if roads.crs is None:
        raise ValidationError(Message("error.roads_no_crs"), source=source)
    lines = roads[~(roads.geometry.isna() | roads.geometry.is_empty)]
    lines = lines[lines.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    if lines.empty:
        kinds = sorted(set(roads.geometry.geom_type.dropna()))
        raise ValidationError(Message("error.no_road_lines", kinds=Listing(kinds)), source=source)
    lines = lines.assign(_feature=np.arange(len(lines))).explode(index_parts=False).reset_index(drop=True)
    column = class_column or next((c for c in CLASS_COLUMNS if c in lines.columns), None)
    if class_column and class_column not in lines.columns:
        columns = Listing([c for c in lines.columns if c != lines.geometry.name])
        raise ValidationError(Message("error.class_column", column=repr(class_column), columns=columns), source=source)
    lines["_class"] = lines[column].astype(str).str.strip() if column else "road"
    walkable = ~lines["_class"].isin(policy.excluded_classes)
    if "foot" in lines.columns:
        walkable &= lines["foot"].astype(str).str.lower() != "no"
    lines = lines[walkable]
    if lines.empty:
        raise ValidationError(Message("error.no_walkable_class"), source=source)
    return lines


def _line_vertices(geoms: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (x, y, z) of lines, with a vertex inserted where another line's end
    touches a line's interior (T-junction without a shared vertex).

    Returns (coords of shape (k, 3), line index of each vertex), lines in order.
    """
    coords, line_of = shapely.get_coordinates(geoms, include_z=True, return_index=True)
    starts = np.r_[0, np.flatnonzero(np.diff(line_of)) + 1]
    ends = np.r_[starts[1:] - 1, len(line_of) - 1]
    seg_idx = np.flatnonzero(line_of[1:] == line_of[:-1])  # segment i runs vertex i → i+1
    segs = shapely.linestrings(np.stack([coords[seg_idx, :2], coords[seg_idx + 1, :2]], axis=1))
    tree = shapely.STRtree(segs)
    end_vertices = np.r_[starts, ends]
    ep, sp = tree.query(shapely.points(coords[end_vertices, :2]), predicate="dwithin", distance=tolerance_m)
    end_vertex = end_vertices[ep]
    seg_vertex = seg_idx[sp]
    other = line_of[end_vertex] != line_of[seg_vertex]
    end_vertex, seg_vertex = end_vertex[other], seg_vertex[other]
    a, b = coords[seg_vertex], coords[seg_vertex + 1]
    p = coords[end_vertex]
    ab = b[:, :2] - a[:, :2]
    length = np.hypot(ab[:, 0], ab[:, 1])
    denom = np.maximum(length**2, 1e-12)
    t = np.clip(np.einsum("ij,ij->i", p[:, :2] - a[:, :2], ab) / denom, 0, 1)
    interior = (t * length > tolerance_m) & ((1 - t) * length > tolerance_m)
    if not interior.any():
        return coords, line_of
    # Insert the foot of each end on the segment's interior, in order along the segment.
    t, seg_vertex = t[interior], seg_vertex[interior]
    a, b = a[interior], b[interior]
    new = a + t[:, None] * (b - a)
    key = np.r_[np.arange(len(coords), dtype=float), seg_vertex + 0.5 + 0.49 * t]
    order = np.argsort(key, kind="stable")
    coords = np.r_[coords, new][order]
    line_of = np.r_[line_of, line_of[seg_vertex]][order]
    return coords, line_of


def _merge_vertices(coords: np.ndarray, line_of: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Group vertices into nodes: identical positions always join; a line's end also
    joins any vertex within the tolerance. Returns (node of vertex, node xy)."""
    n = len(coords)
    is_end = np.zeros(n, dtype=bool)
    is_end[np.r_[0, np.flatnonzero(np.diff(line_of)) + 1]] = True
    is_end[np.r_[np.flatnonzero(np.diff(line_of)), n - 1]] = True
    tree = cKDTree(coords[:, :2])
    pairs = tree.query_pairs(tolerance_m, output_type="ndarray")
    dist = np.hypot(*(coords[pairs[:, 0], :2] - coords[pairs[:, 1], :2]).T)
    join = (dist < 1e-3) | is_end[pairs[:, 0]] | is_end[pairs[:, 1]]
    pairs = pairs[join]
    adj = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, node_of_vertex = connected_components(adj, directed=False)
    counts = np.bincount(node_of_vertex)
    node_xy = np.stack(
        [np.bincount(node_of_vertex, weights=coords[:, i]) / counts for i in (0, 1)], axis=1
    )
    return node_of_vertex, node_xy


def _node_elevations(
    coords: np.ndarray, line_of: np.ndarray, node_of_vertex: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray]:
    """Node elevations (metres, NaN where unknown) from the lines' vertices, and which
    lines lack elevations (a mask over lines); None when no line has any.

    Only known elevations are averaged at a node; a 2-D line, or a line at 0 m on every
    vertex in a layer whose other lines are not, has none. Along lines lacking them,
    :func:`_spread_along_lines` places elevations between nodes of known elevation.
    """
    n_lines = int(line_of.max()) + 1 if len(line_of) else 0
    z = coords[:, 2].copy()
    measured = np.isfinite(z)
    if not measured.any():
        return None, np.zeros(n_lines, dtype=bool)
    nonzero = np.bincount(line_of, weights=measured & (z != 0), minlength=n_lines) > 0
    if nonzero.any():  # a line at exactly 0 m throughout: a 2-D line stored in a 3-D layer
        measured &= nonzero[line_of]
    lacking = np.bincount(line_of, weights=~measured, minlength=n_lines) > 0
    n_nodes = int(node_of_vertex.max()) + 1
    known = np.bincount(node_of_vertex, weights=measured, minlength=n_nodes)
    total = np.bincount(node_of_vertex, weights=np.where(measured, z, 0.0), minlength=n_nodes)
    with np.errstate(invalid="ignore", divide="ignore"):
        node_z = np.where(known > 0, total / known, np.nan)
    return _spread_along_lines(node_z, coords, line_of, node_of_vertex, np.flatnonzero(lacking)), lacking


def _spread_along_lines(node_z: np.ndarray, coords: np.ndarray, line_of: np.ndarray, node_of_vertex: np.ndarray,
                        lines: np.ndarray) -> np.ndarray:
    """Elevations of the nodes of ``lines`` that lie between two nodes of known elevation
    along the line, interpolated by distance along it (an even slope); repeated while
    this places new elevations (they may close a stretch of another line). Nodes beyond
    the last known one of a line stay unknown, so their segments are flat."""
    node_z = node_z.copy()
    starts = np.searchsorted(line_of, lines, side="left")
    stops = np.searchsorted(line_of, lines, side="right")
    step = np.r_[0.0, np.hypot(*np.diff(coords[:, :2], axis=0).T)]
    while True:
        total = np.zeros_like(node_z)
        count = np.zeros_like(node_z)
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            nodes = node_of_vertex[start:stop]
            known = np.flatnonzero(np.isfinite(node_z[nodes]))
            if len(known) < 2:
                continue
            between = np.arange(known[0] + 1, known[-1])
            between = between[~np.isfinite(node_z[nodes[between]])]
            if not len(between):
                continue
            along = np.cumsum(step[start:stop]) - step[start]
            np.add.at(total, nodes[between], np.interp(along[between], along[known], node_z[nodes[known]]))
            np.add.at(count, nodes[between], 1.0)
        fresh = count > 0
        if not fresh.any():
            return node_z
        node_z[fresh] = total[fresh] / count[fresh]


# ---------------------------------------------------------------------- contraction
def _contract(seg_u: np.ndarray, seg_v: np.ndarray, n_nodes: int) -> Chains:
    """Walk chains of degree-2 nodes between junctions and dead ends.

    A Python walk over segments, done once per network: even 500,000 segments take
    about a second, and every travel-time matrix after that runs on the smaller graph.
    """
    m = len(seg_u)
    ends = np.r_[seg_u, seg_v]
    seg_of = np.r_[np.arange(m), np.arange(m)]
    order = np.argsort(ends, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(ends, minlength=n_nodes))]
    inc_seg = seg_of[order].tolist()
    degree = np.diff(indptr)
    keep = degree != 2
    indptr_l = indptr.tolist()
    seg_u_l, seg_v_l = seg_u.tolist(), seg_v.tolist()

    seg_edge = np.full(m, -1, dtype=np.int64)
    seg_forward = np.zeros(m, dtype=bool)
    seg_rank = np.zeros(m, dtype=np.int64)
    edge_u: list[int] = []
    edge_v: list[int] = []
    visited = [False] * m

    def walk(start: int, first: int) -> None:
        e = len(edge_u)
        node, s, rank = start, first, 0
        while True:
            visited[s] = True
            forward = seg_u_l[s] == node
            nxt = seg_v_l[s] if forward else seg_u_l[s]
            seg_edge[s], seg_forward[s], seg_rank[s] = e, forward, rank
            rank += 1
            if keep[nxt] or nxt == start:
                break
            lo, hi = indptr_l[nxt], indptr_l[nxt + 1]
            s_next = inc_seg[lo] if inc_seg[lo] != s else inc_seg[hi - 1]
            if visited[s_next]:
                break
            node, s = nxt, s_next
        edge_u.append(start)
        edge_v.append(nxt)

    for node in np.flatnonzero(keep).tolist():
        for k in range(indptr_l[node], indptr_l[node + 1]):
            if not visited[inc_seg[k]]:
                walk(node, inc_seg[k])
    for s in range(m):  # loops made only of degree-2 nodes
        if not visited[s]:
            keep[seg_u_l[s]] = True
            walk(seg_u_l[s], s)
    seg_order = np.lexsort((seg_rank, seg_edge))
    return Chains(
        edge_u=np.asarray(edge_u, dtype=np.int64),
        edge_v=np.asarray(edge_v, dtype=np.int64),
        seg_edge=seg_edge,
        seg_forward=seg_forward,
        seg_order=seg_order,
    )
