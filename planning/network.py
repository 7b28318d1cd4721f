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
import math
import re
import unicodedata
from collections.abc import Iterable
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
from .policy import (
    DEFAULT_BUS_EXCLUDED,
    DEFAULT_CLASS_FACTORS,
    DEFAULT_EXCLUDED_CLASSES,
    EXPRESSWAY_CLASSES,
    Policy,
    tobler_factor,
)

logger = logging.getLogger(__name__)

#: Candidate names of the road-class column of a road layer, matched ignoring case (a name a
#: Shapefile cut at 10 bytes, 道路等 for 道路等级, matches too). Where several are present, the
#: one whose labels are most often recognised is read; where none is, any text column most of
#: whose labels are road classes.
CLASS_COLUMNS = ("highway", "fclass", "road_class", "roadclass", "class", "道路等级", "公路等级", "行政等级", "道路级别",
                 "道路类型", "道路类别", "等级", "级别", "类型", "类别", "type", "road_type", "kind", "level", "grade", "rank",
                 "技术等级")

#: Candidate names of a road-name column: where a line's class is unknown (no class column, or
#: a label not recognised), a name that says expressway (二广高速, G55) keeps it off the network.
NAME_COLUMNS = ("name", "名称", "道路名称", "路名", "道路名", "road_name", "roadname", "name_zh", "name_en")

#: Labels of county road layers and the class each names (a class of the policy's road-class
#: settings: its speed factor, pedestrians and buses allowed or not). Compared ignoring case,
#: spaces, hyphens and full-width forms. Patterns beyond these: :func:`road_class`.
ROAD_LABELS: dict[str, str] = {
    **dict.fromkeys(("高速", "高速路", "高速公路", "国家高速", "国家高速公路", "省级高速", "高速公路匝道", "高速匝道"), "高速公路"),
    **dict.fromkeys(("expressway", "express_way", "freeway"), "expressway"),
    **dict.fromkeys(("国道", "普通国道", "national_road", "national_highway"), "国道"),
    **dict.fromkeys(("省道", "普通省道", "provincial_road", "provincial_highway"), "省道"),
    **dict.fromkeys(("乡村道路", "村级公路", "通村公路", "村组道路", "村路", "村级道路"), "村道"),
    **dict.fromkeys(("城市道路", "城镇道路", "主干路", "次干路", "支路", "街巷", "巷道", "street", "lane"), "街道"),
    **dict.fromkeys(("一级公路", "二级公路", "三级公路", "四级公路", "等外公路", "一级", "二级", "三级", "四级", "等外",
                     "公路", "道路", "专用公路", "农村公路", "其他道路"), "road"),
    **dict.fromkeys(("机耕道", "田间道", "田间道路", "生产路", "农耕路"), "机耕路"),
    **dict.fromkeys(("山道", "山间小路"), "山路"),
    **dict.fromkeys(("小道", "便道", "土路"), "小路"),
    **dict.fromkeys(("人行道", "人行步道", "游步道", "栈道", "绿道"), "步道"),
    **dict.fromkeys(("石阶", "阶梯", "梯步"), "台阶"),
    **dict.fromkeys(("trail", "footpath"), "footpath"),
    **dict.fromkeys(("dirt_road", "unpaved_road"), "track"),
}

#: A route code at the start of a label (GB/T 917-2017): G/S with 1, 2 or 4 digits an
#: expressway (national or provincial: G55, S1, G4501), with 3 digits an ordinary national
#: or provincial road (G207, S231); X a county road, Y a township road, C a village road,
#: Z a special-purpose road.
_ROUTE_CODE = re.compile(r"^([GSXYCZ])\s*(\d{1,4})(?!\d)", re.IGNORECASE)
_CODE_CLASS = {"X": "县道", "Y": "乡道", "C": "村道", "Z": "road"}
_EXPRESSWAY_WORDS = re.compile(r"高速|expressway|motorway|freeway", re.IGNORECASE)
#: Words inside a longer label (207国道, 县道X012 石门段) and the class they name.
_CLASS_WORDS = (("国道", "国道"), ("省道", "省道"), ("县道", "县道"), ("乡道", "乡道"), ("村道", "村道"),
                ("机耕", "机耕路"), ("山路", "山路"), ("步道", "步道"), ("台阶", "台阶"), ("小路", "小路"))
_TRACK_GRADE = re.compile(r"^track_grade\d$")


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
    class_column
        The road layer's column the road classes were read from (None: none, or OSM).
    attribution
        Data licence attribution to print on maps, e.g. "© OpenStreetMap contributors".
    elevation_from
        Where ``node_z`` came from, for maps and reports: ``"road"`` for the road lines' own
        elevations, then the file name of a DEM (:func:`planning.terrain.with_dem`); empty
        when there are none. Words: :func:`planning.terrain.elevation_source`.
    """

    crs: CRS
    node_xy: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_class: np.ndarray
    node_z: np.ndarray | None = None
    source: str = ""
    attribution: str | None = None
    class_column: str | None = field(default=None, compare=False)
    elevation_from: tuple[str, ...] = field(default=(), compare=False)
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
        class_column: str | None = None,
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
            class_column=class_column,
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
        only cross (bridges, overpasses) do not. Each line's class is read by
        :func:`road_classes` (the county's own labels: 高速路, G55二广高速, X012, …; a
        :class:`~planning.errors.DataWarning` lists the labels not recognised); roads of the
        policy's ``walk_excluded`` classes (expressways unless ``walk_expressways``,
        ``excluded_classes``) and with ``foot=no`` are left out.

        Lengths are measured in a CRS whose metres are metres on the ground
        (:func:`planning.io.metric_crs_for`): a layer in degrees, in Web Mercator (EPSG:3857,
        whose "metres" are 1/cos(latitude) long: 13 % at 28°N) or in feet is reprojected to
        the UTM zone of its centre.

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
            Projected CRS for the network: the layer's own when None. Either is used only
            if true to scale over the layer (:func:`planning.io.metric_crs_for`), else the
            UTM zone of the layer's centre.
        """
        policy = policy or Policy()
        lines, column = _walkable_lines(roads, class_column=class_column, policy=policy, source=source)
        crs = metric_crs_for(lines, prefer=crs)
        lines = lines.to_crs(crs)
        coords, line_of = _line_vertices(lines.geometry.to_numpy(), tolerance_m)
        node_of_vertex, node_xy = _merge_vertices(coords, line_of, tolerance_m)
        node_z, lacking = _node_elevations(coords, line_of, node_of_vertex)
        _warn_no_data(coords[:, 2], line_of, lines["_feature"].to_numpy(), source=source)
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
        network = cls.from_arrays(
            node_xy, seg_u, seg_v, seg_class, crs=crs, node_z=node_z if has_z else None,
            source=source, attribution=attribution, class_column=column,
        )
        network.elevation_from = ("road",) if has_z else ()
        return network

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
            "elevation_from": self.elevation_from,
            "class_column": self.class_column,
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
        network = WalkNetwork.from_arrays(
            self.node_xy, self.seg_u[keep], self.seg_v[keep], self.seg_class[keep], crs=self.crs,
            node_z=self.node_z, source=source or self.source, attribution=self.attribution,
            class_column=self.class_column,
        )
        network.elevation_from = self.elevation_from
        return network

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


#: Elevations a road can have (metres): from below the Dead Sea shore (-430 m; China's lowest
#: land, the Turpan basin, is at -154 m) to above Everest. A vertex elevation outside is a
#: no-data marker (-9999, -32768, a raster's -3.4e38 written into the lines) and is unknown.
ELEVATION_RANGE = (-500.0, 9000.0)


# ---------------------------------------------------------------------- road layers
def _walkable_lines(
    roads: gpd.GeoDataFrame, *, class_column: str | None, policy: Policy, source: str
) -> tuple[gpd.GeoDataFrame, str | None]:
    """The lines of a road layer people may walk, with their class (``_class``) and feature
    number (``_feature``), and the column the classes were read from (None: no class column)."""
    if roads.crs is None:
        raise ValidationError(Message("error.roads_no_crs"), source=source)
    lines = roads[~(roads.geometry.isna() | roads.geometry.is_empty)]
    lines = lines[lines.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    if lines.empty:
        kinds = sorted(set(roads.geometry.geom_type.dropna()))
        raise ValidationError(Message("error.no_road_lines", kinds=Listing(kinds)), source=source)
    classes, column = road_classes(lines, class_column=class_column, policy=policy, source=source)
    lines = lines.assign(_feature=np.arange(len(lines)), _class=classes.to_numpy())
    lines = lines.explode(index_parts=False).reset_index(drop=True)
    walkable = ~lines["_class"].isin(policy.walk_excluded)
    if "foot" in lines.columns:
        walkable &= lines["foot"].astype(str).str.lower() != "no"
    lines = lines[walkable]
    if lines.empty:
        raise ValidationError(Message("error.no_walkable_class"), source=source)
    return lines, column


def road_class(label: object, *, policy: Policy | None = None) -> str | None:
    """The road class a road layer's label names, or None when it is not recognised.

    Recognised, in this order: a class the policy's road-class settings name
    (``class_factors``, ``excluded_classes``, ``bus_excluded_classes``, OSM ``highway`` values
    among them) in any case; a label of :data:`ROAD_LABELS`; an expressway by its words (高速,
    expressway, motorway, freeway: ``G55二广高速`` is 高速公路); a route code at the start
    (:data:`_ROUTE_CODE`: G55 and S1 expressways, G207 国道, S231 省道, X012 县道, Y003 乡道);
    a class word inside a longer label (207国道, 县道石门段); OSM's ``track_grade1``–``5``.

        >>> [road_class(x) for x in ("高速路", "G55二广高速", "Expressway", "G207", "S231", "X012", "村道", "乡间大道")]
        ['高速公路', '高速公路', 'expressway', '国道', '省道', '县道', '村道', None]
    """
    text = _label_text(label)
    return None if text is None else _classify(text, _vocabulary(policy or Policy()))


def _label_text(label: object) -> str | None:
    """A cell of a class or name column as text (full-width forms folded), None when empty."""
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return None
    text = unicodedata.normalize("NFKC", str(label)).strip()
    return text or None


def _label_key(text: str) -> str:
    """A label as :data:`ROAD_LABELS` compares it: case ignored, spaces and hyphens as ``_``."""
    return re.sub(r"[\s\-_]+", "_", text.casefold())


def _vocabulary(policy: Policy) -> dict[str, str]:
    """The classes a policy knows (and the defaults), by their compared form."""
    names: Iterable[str] = (*DEFAULT_CLASS_FACTORS, *DEFAULT_EXCLUDED_CLASSES, *DEFAULT_BUS_EXCLUDED,
                            *sorted(EXPRESSWAY_CLASSES), *policy.class_factors, *policy.excluded_classes,
                            *policy.bus_excluded_classes)
    return {_label_key(name): name for name in names}


def _classify(text: str, vocabulary: dict[str, str]) -> str | None:
    key = _label_key(text)
    if key in vocabulary:
        return vocabulary[key]
    if key in ROAD_LABELS:
        return ROAD_LABELS[key]
    if _EXPRESSWAY_WORDS.search(text):
        return "高速公路" if "高速" in text else ("motorway" if "motorway" in key else "expressway")
    code = _ROUTE_CODE.match(text)
    if code:
        letter, digits = code.group(1).upper(), code.group(2)
        if letter in "GS":
            return ("国道" if letter == "G" else "省道") if len(digits) == 3 else "高速公路"
        return _CODE_CLASS[letter]
    for word, found in _CLASS_WORDS:
        if word in text:
            return found
    return "track" if _TRACK_GRADE.match(key) else None


def _says_expressway(name: str | None) -> bool:
    """Whether a road's name says expressway: 高速/expressway/motorway, or a G/S code of 1, 2 or 4 digits."""
    if name is None:
        return False
    code = _ROUTE_CODE.match(name)
    return bool(_EXPRESSWAY_WORDS.search(name)) or (
        code is not None and code.group(1).upper() in "GS" and len(code.group(2)) != 3)


def road_classes(lines: gpd.GeoDataFrame, *, class_column: str | None = None, policy: Policy | None = None,
                 source: str = "roads") -> tuple[pd.Series, str | None]:
    """The road class of each line of a road layer, and the column read (None: none).

    The class column is ``class_column``, else one of :data:`CLASS_COLUMNS`, else a text
    column most of whose labels are road classes. Each label is read by :func:`road_class`.
    A label not recognised stays as it is and the line is an ordinary road (walked at the
    walking speed, driven by buses); an empty one is ``road``; a line with no class whose name
    (:data:`NAME_COLUMNS`) says expressway is 高速公路.

    A :class:`~planning.errors.DataWarning` says when there is no class column, when the
    column was chosen by its labels, which labels were not recognised (how many lines each)
    and how many lines were taken as expressways by their names.

    Raises
    ------
    ValidationError
        When ``class_column`` is not a column of the layer.
    """
    policy = policy or Policy()
    vocabulary = _vocabulary(policy)
    column, guessed = _class_column(lines, class_column, vocabulary, source)
    if column is None:
        classes = pd.Series("road", index=lines.index, dtype=object)
        unknown = pd.Series(True, index=lines.index)
    else:
        labels = lines[column].map(_label_text).astype(object)
        found = {text: _classify(text, vocabulary) for text in labels.dropna().unique()}
        recognised = labels.map(found).astype(object)  # NaN where empty or not recognised
        unknown = recognised.isna()
        classes = recognised.where(~unknown, labels.where(labels.notna(), "road")).astype(object)
        if guessed:
            warn(Message("data.road_class_guessed", column=column, names=Listing(CLASS_COLUMNS, most=8), source=source),
                 stacklevel=4)
        not_known = labels[unknown].fillna("")
        if len(not_known):
            counts = not_known.value_counts()
            shown = Listing([Message("data.road_label", label=label or Message("error.blank"), n=int(n))
                             for label, n in counts.items()], most=12)
            warn(Message("data.road_classes_unknown", n=int(counts.sum()), column=column, labels=shown, source=source),
                 stacklevel=4)
    name_column = _column_named(lines.columns, NAME_COLUMNS)
    if name_column is not None and unknown.any():
        names = lines.loc[unknown, name_column].map(_label_text)
        express = names[names.map(_says_expressway)]
        if len(express):
            classes[express.index] = "高速公路"
            named = Listing(sorted(set(express)), most=5)
            warn(Message("data.road_expressway_names", n=len(express), column=name_column, names=named, source=source),
                 stacklevel=4)
    if column is None:
        warn(Message("data.road_no_class", names=Listing(CLASS_COLUMNS, most=8), source=source), stacklevel=4)
    logger.info("road layer %s: classes from %s", source, column or "(no column)")
    return classes, column


def _class_column(lines: gpd.GeoDataFrame, given: str | None, vocabulary: dict[str, str],
                  source: str) -> tuple[str | None, bool]:
    """The column holding road classes and whether it was chosen by its labels (no known name)."""
    columns = [c for c in lines.columns if c != lines.geometry.name and not str(c).startswith("_")]
    if given:
        found = _column_named(columns, (given,))
        if found is None:
            raise ValidationError(Message("error.class_column", column=repr(given), columns=Listing(columns)),
                                  source=source)
        return found, False
    share = {c: _recognised_share(lines[c], vocabulary) for c in columns}
    named = [c for name in CLASS_COLUMNS if (c := _column_named(columns, (name,))) is not None]
    best_named = max(named, key=lambda c: share[c], default=None)  # the first of the best on a tie
    if best_named is not None and share[best_named] > 0:
        return best_named, False
    names = {name.casefold() for name in NAME_COLUMNS}
    by_labels = max((c for c in columns if str(c).casefold() not in names), key=lambda c: share[c], default=None)
    if by_labels is not None and share[by_labels] >= 0.5:
        return by_labels, True
    return best_named, False


def _recognised_share(column: pd.Series, vocabulary: dict[str, str]) -> float:
    """Share of a column's filled cells that are road classes (0 for a column of numbers)."""
    if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
        return 0.0
    counts = column.value_counts(dropna=True)  # each distinct cell classified once
    filled = known = 0
    for cell, n in counts.items():
        text = _label_text(cell)
        if text is not None:
            filled += int(n)
            known += int(n) if _classify(text, vocabulary) is not None else 0
    return known / filled if filled else 0.0


def _column_named(columns: Iterable[object], names: Iterable[str]) -> str | None:
    """The first of ``columns`` called one of ``names``: as written, in another case, or cut
    by a Shapefile's 10-byte limit on field names (道路等 for 道路等级)."""
    texts = [str(c) for c in columns]
    for name in names:
        for column in texts:
            if column == name or column.casefold() == name.casefold():
                return column
        for column in texts:
            cut = len(name.encode()) > 10 and len(column.encode()) >= 7
            if cut and name.casefold().startswith(column.casefold()):
                return column
    return None


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
    vertex in a layer whose other lines are not, has none; an elevation outside
    :data:`ELEVATION_RANGE` (a no-data marker: -9999, -32768, -3.4e38) is unknown. Along lines lacking them,
    :func:`_spread_along_lines` places elevations between nodes of known elevation.
    """
    n_lines = int(line_of.max()) + 1 if len(line_of) else 0
    z = coords[:, 2].copy()
    measured = np.isfinite(z) & (z >= ELEVATION_RANGE[0]) & (z <= ELEVATION_RANGE[1])
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


def _warn_no_data(z: np.ndarray, line_of: np.ndarray, features: np.ndarray, *, source: str) -> None:
    """A :class:`~planning.errors.DataWarning` naming the no-data elevations of a layer's
    vertices (outside :data:`ELEVATION_RANGE`), if any: how many, on how many road lines."""
    bad = np.isfinite(z) & ((z < ELEVATION_RANGE[0]) | (z > ELEVATION_RANGE[1]))
    bad |= np.isinf(z)
    if bad.any():
        values = Listing([f"{v:g}" for v in np.unique(z[bad])[:5]])
        warn(Message("data.elevation_no_data", n=int(bad.sum()), lines=len(np.unique(features[line_of[bad]])),
                     values=values, low=f"{ELEVATION_RANGE[0]:g}", high=f"{ELEVATION_RANGE[1]:g}", source=source),
             stacklevel=4)


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
