"""Routes along the roads: the way each village's pupils walk, or the school bus drives, to
their school.

The travel-time matrix (:mod:`planning.traveltime`) keeps minutes only, and routes on the
contracted network, whose edges stand for whole chains of road. A map that draws a
village's trip wants the roads it follows, so a route is found again for the pairs a plan
uses: one Dijkstra per school (``scipy.sparse.csgraph.dijkstra`` with predecessors, over
the reversed graph as the matrix does, so slopes count in the walking direction) on a graph
whose edges are the network's own segments (:func:`~planning.traveltime.segment_chains`),
each village and school spliced into its segment at the point the matrix uses. Its paths
are the matrix's shortest paths drawn to the road's shape: a walk takes the minutes the
matrix gives (tests check this on real OpenStreetMap roads), a bus ride those of
:attr:`~planning.project.Project.bus_times` (on the roads a bus can use, from the
village's pick-up point).

A route is the village, the straight leg to where it joins the road, the roads, and the
leg from the road to the school; drawn with :data:`SIMPLIFY_M` of slack. Routes are found
once per project and pair (:func:`routes_of` keeps them with the project, which never
changes), so an edit in the app routes only the villages whose school or way changed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from .memo import once
from .traveltime import segment_chains, splice_points

if TYPE_CHECKING:
    from .project import Project

#: Metres a drawn route may depart from the roads' shape (Douglas–Peucker): well under a
#: pixel at the zoom a village's name shows, and routes of a 3,000-village county stay light.
SIMPLIFY_M = 5.0
#: Schools searched per Dijkstra call: its distances and predecessors take 12 bytes × this ×
#: graph nodes (50 MB on a county of 500,000 road nodes).
CHUNK = 8

_NO_PATH = -9999  # scipy's predecessor where there is none


class Route(NamedTuple):
    """One village's route to one school: ``line`` (the project's metric CRS; None when no
    road joins them within the policy's longest trip), ``minutes`` and ``km`` (the walk, or
    the bus ride: NaN without a line). A walk's km include its legs off the road (they are
    walked, and the minutes count them); a ride's are the roads the bus drives, from the
    pick-up point. Both are measured on the path before it is drawn simplified."""

    line: shapely.LineString | None
    minutes: float
    km: float


_NONE = Route(None, float("nan"), float("nan"))


class Routes:
    """The routes of one project on foot or by school bus, found as they are asked for (use
    :func:`routes_of`).

    Parameters
    ----------
    project
        The project.
    way
        "walk": on the walking network at the walking speed, with slopes; the off-road legs
        count (minutes as the travel-time matrix). "bus": on the roads a bus can use
        (:func:`~planning.project.drivable_network`) at the bus speed, from the village's
        pick-up point (where it joins those roads) to the school's; minutes of the ride only
        (as :attr:`~planning.project.Project.bus_times`).
    """

    def __init__(self, project: Project, way: str = "walk") -> None:
        from .project import bus_policy, drivable_network

        walking = self._walking = way == "walk"
        network = project.network if walking else drivable_network(project)
        policy = project.policy if walking else bus_policy(project.policy)
        self._origin_xy, self._target_xy = project.xy(project.villages), project.xy(project.target_points)
        if walking:  # where the matrix joined the points to the roads, and its off-road legs
            matrix = project.matrix
            origin, target = matrix.origin_snap, matrix.target_snap
            self._off_origin, self._off_target = matrix.offroad_minutes_origin, matrix.offroad_minutes_target
        else:  # pick-up points on the roads a bus can use; the ride only
            origin, target = network.snap(self._origin_xy), network.snap(self._target_xy)
            self._off_origin, self._off_target = np.zeros(len(self._origin_xy)), np.zeros(len(self._target_xy))
        chains = segment_chains(network)
        graph, self._point_node = splice_points(network, np.r_[origin.segment, target.segment],
                                                np.r_[origin.t, target.t], policy, chains=chains)
        self._reverse = graph.T.tocsr()
        ends = np.unique(np.r_[chains.edge_u, chains.edge_v])  # splice_points' node order
        self._xy = np.r_[network.node_xy[ends], origin.xy, target.xy]
        self._limit = float(policy.max_minutes)
        self._village = pd.Index(project.villages.index)
        self._target = pd.Index(project.target_points.index)
        self._found: dict[tuple[int, int], Route] = {}
        self._lock = threading.Lock()

    def route(self, village: str, school: str) -> Route:
        """The :class:`Route` from ``village`` to ``school`` (no line when no road joins
        them within the policy's longest trip)."""
        return self.routes([(village, school)])[0]

    def routes(self, pairs: Iterable[tuple[str, str]]) -> list[Route]:
        """:meth:`route` of each (village id, school or site id) pair."""
        keys = [(int(self._village.get_loc(v)), int(self._target.get_loc(s))) for v, s in pairs]
        with self._lock:
            missing: dict[int, list[tuple[int, int]]] = {}
            for key in dict.fromkeys(keys):
                if key not in self._found:
                    missing.setdefault(key[1], []).append(key)
            targets = sorted(missing)
            for lo in range(0, len(targets), CHUNK):
                chunk = targets[lo:lo + CHUNK]
                self._search(chunk, [key for k in chunk for key in missing[k]])
            return [self._found[key] for key in keys]

    def _search(self, targets: Sequence[int], keys: Sequence[tuple[int, int]]) -> None:
        """Route ``keys`` (village, target) from one Dijkstra per target of ``targets``."""
        n_origins = len(self._origin_xy)
        dist, pred = dijkstra(self._reverse, directed=True, indices=self._point_node[n_origins + np.asarray(targets)],
                              limit=self._limit, return_predecessors=True)
        row = {k: r for r, k in enumerate(targets)}
        for i, k in keys:
            r, node = row[k], int(self._point_node[i])
            minutes = self._off_origin[i] + dist[r, node] + self._off_target[k]
            if not minutes <= self._limit:
                self._found[(i, k)] = _NONE
                continue
            path = [node]
            while (node := int(pred[r, node])) != _NO_PATH:  # towards the school: the graph is reversed
                path.append(node)
            roads = self._xy[path]
            xy = np.vstack([self._origin_xy[i], roads, self._target_xy[k]])
            metres = _length(xy if self._walking else roads)  # the bus drives the roads only
            line = shapely.simplify(shapely.LineString(_distinct(xy)), SIMPLIFY_M)
            self._found[(i, k)] = Route(line, float(minutes), metres / 1000)


def _length(xy: np.ndarray) -> float:
    """Metres along the points ``xy`` (a metric CRS)."""
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())


def _distinct(xy: np.ndarray) -> np.ndarray:
    """The points of a path without repeats in a row (a point on its road, a village at its
    snap); at least two."""
    keep = np.r_[True, np.any(np.abs(np.diff(xy, axis=0)) > 1e-9, axis=1)]
    out = xy[keep]
    return out if len(out) >= 2 else np.vstack([out, out])


def routes_of(project: Project, way: str = "walk") -> Routes:
    """The project's :class:`Routes` on foot (``way="walk"``) or by bus (``"bus"``): one
    of each per project, routes kept as they are found."""
    if way not in ("walk", "bus"):
        raise ValueError(f"way is 'walk' or 'bus', not {way!r}")
    return once(project, ("routes", way), lambda: Routes(project, way))


def trip_lines(project: Project, villages: pd.DataFrame, *, crs: object = None) -> gpd.GeoDataFrame:
    """Each village's line to its school, for maps: along the roads its pupils walk, or the
    school bus drives from its pick-up point; straight for boarders, pupils without a
    school place, and a trip no road joins.

    Parameters
    ----------
    villages
        Per village (index: village id, as :func:`planning.maps.village_table` gives):
        ``school`` and the way there: ``main_mode`` (the trip to that school, as
        :attr:`planning.evaluate.Result.villages` gives it) or else ``mode``; villages
        without a school are left out.
    crs
        CRS of the lines (the project's metric CRS when None).

    Returns
    -------
    Per village with a school (same index): ``geometry``, ``school``, ``mode`` (the way to
    that school), ``along_roads`` (whether the line follows the roads), ``route_km`` and
    ``route_minutes`` (:class:`Route`'s km and minutes: the walk, or the bus ride from the
    pick-up point; NaN for a straight line).
    """
    points = project.target_points
    served = villages[villages["school"].map(lambda s: isinstance(s, str) and s in points.index).astype(bool)]
    # a village whose grades split between schools may ride to one and walk to the main one
    mode = served["main_mode" if "main_mode" in served else "mode"].astype(str).to_numpy()
    start = project.xy(project.villages.loc[served.index])
    end = project.xy(points.loc[served["school"].to_numpy()])
    lines = np.asarray(shapely.linestrings(np.stack([start, end], axis=1)), dtype=object)
    minutes, km = np.full(len(served), np.nan), np.full(len(served), np.nan)
    along = np.zeros(len(served), dtype=bool)
    for way in ("walk", "bus"):
        at = np.flatnonzero(mode == way)
        if not len(at):
            continue
        found = routes_of(project, way).routes(zip(served.index[at], served["school"].iloc[at], strict=True))
        for k, route in zip(at, found, strict=True):
            if route.line is not None:
                lines[k], minutes[k], km[k], along[k] = route.line, route.minutes, route.km, True
    out = gpd.GeoDataFrame({"school": served["school"].to_numpy(), "mode": mode, "along_roads": along,
                            "route_km": km, "route_minutes": minutes}, index=served.index, geometry=list(lines),
                           crs=project.crs)
    return out if crs is None else out.to_crs(crs)


__all__ = ["Route", "Routes", "routes_of", "trip_lines", "SIMPLIFY_M"]
