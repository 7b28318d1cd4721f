"""A planning project: villages, schools, candidate sites, the walking network and the policy.

    >>> import planning
    >>> project = planning.demo()
    >>> check = project.walk_check()            # per village and level
    >>> project.walk_summary()                  # villages and pupils beyond the limit
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .assign import nearest, pupil_weighted_mean, walk_status
from .errors import ValidationError
from .io import ROW, read_table
from .model import (
    check_ids_disjoint,
    type_from_name,
    validate_schools,
    validate_sites,
    validate_villages,
)
from .network import WalkNetwork
from .policy import LEVELS, Policy
from .traveltime import MatrixResult, travel_time_matrix

if TYPE_CHECKING:
    from .evaluate import Result
    from .scenario import Scenario, State

PathLike = str | Path


@dataclass
class _Matrix:
    key: tuple
    result: MatrixResult


class Project:
    """Villages, schools and candidate sites on a walking network, under a policy.

    Parameters
    ----------
    villages, schools, sites
        Tables as returned by :func:`planning.model.validate_villages` etc. (WGS84).
    network
        The walking network.
    policy
        Walking limits, speeds and the rest; defaults when None.
    name
        A label for reports.

    Raises
    ------
    ValidationError
        When a point lies farther than ``policy.max_snap_m`` from every road (usually
        wrong coordinates or CRS), naming each such point.
    """

    def __init__(
        self,
        villages: gpd.GeoDataFrame,
        schools: gpd.GeoDataFrame,
        network: WalkNetwork,
        *,
        sites: gpd.GeoDataFrame | None = None,
        policy: Policy | None = None,
        name: str = "project",
    ) -> None:
        self.villages = villages
        self.schools = schools
        self.sites = sites if sites is not None else _empty_sites()
        check_ids_disjoint(self.schools, self.sites)
        self.network = network
        self.policy = policy or Policy()
        self.name = name
        self._matrix: _Matrix | None = None
        self._cache: dict[str, object] = {}  # derived tables, keyed by what they derive from
        self._bus: np.ndarray | None = None
        self.saved_scenarios: dict[str, Scenario] = {}
        self.snaps = self._snap_points()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_files(
        cls,
        villages: PathLike,
        schools: PathLike,
        roads: PathLike | None = None,
        osm: PathLike | None = None,
        sites: PathLike | None = None,
        policy: Policy | PathLike | None = None,
        *,
        crs: str | int | None = None,
        road_class: str | None = None,
        encoding: str | None = None,
        name: str | None = None,
    ) -> Project:
        """Load a project from files.

        Parameters
        ----------
        villages, schools, sites
            Tables (CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile); Chinese or English headers.
        roads
            The county's road layer (lines), or give ``osm`` instead.
        osm
            An OpenStreetMap file (.osm.pbf, .osm, .osm.bz2) for the walking network.
        policy
            A :class:`Policy` or a YAML file of settings.
        crs
            CRS of tables that do not state one (x/y columns, a Shapefile without .prj).
        road_class
            Column of the road layer holding the road class (found automatically if None).
        encoding
            Text encoding of CSV/Shapefile tables (UTF-8 then GBK are tried if None).
        """
        if (roads is None) == (osm is None):
            raise ValueError("give exactly one of `roads` (a road layer) or `osm` (an OSM file)")
        if policy is not None and not isinstance(policy, Policy):
            policy = Policy.from_yaml(policy)
        policy = policy or Policy()
        village_table = validate_villages(read_table(villages, crs=crs, encoding=encoding),
                                          source=str(villages), policy=policy)
        school_table = validate_schools(read_table(schools, crs=crs, encoding=encoding), source=str(schools))
        site_table = None
        if sites is not None:
            site_table = validate_sites(read_table(sites, crs=crs, encoding=encoding), source=str(sites))
        if osm is not None:
            from .osm import read_osm

            network = read_osm(osm, policy=policy).network
        else:
            layer = read_table(roads, crs=crs, encoding=encoding)
            network = WalkNetwork.from_lines(layer, class_column=road_class, policy=policy,
                                             source=Path(roads).name)
        return cls(village_table, school_table, network, sites=site_table, policy=policy,
                   name=name or Path(villages).stem)

    @classmethod
    def from_osm(
        cls,
        path: PathLike,
        *,
        policy: Policy | None = None,
        place_types: tuple[str, ...] | None = None,
        name: str | None = None,
    ) -> Project:
        """A project entirely from an OpenStreetMap file.

        Villages are the file's settlements (``place=village|hamlet|town|isolated_dwelling``);
        pupils are estimated from the ``population`` tag with the policy's school-age
        shares (``pupils_estimated`` is True) and unknown where there is no tag. Schools
        are ``amenity=school`` nodes and areas; their type is read from the name or
        ``isced:level`` and is ``unknown`` (counted for every grade) otherwise.
        """
        from .osm import PLACE_TYPES, read_osm

        policy = policy or Policy()
        data = read_osm(path, policy=policy, place_types=place_types or PLACE_TYPES)
        if data.settlements.empty:
            raise ValidationError("the file holds no settlements (place=village|hamlet|...)", source=str(path))
        settlements = data.settlements.rename(columns={"osm_id": "village_id"})
        villages = validate_villages(settlements[["village_id", "name", "population", "geometry"]],
                                     source=str(path), policy=policy, unknown_pupils_ok=True)
        villages["name_zh"] = settlements["name_zh"].to_numpy()
        schools_raw = data.schools.rename(columns={"osm_id": "school_id"})
        schools_raw["type"] = [
            _osm_school_type(n, i) for n, i in zip(schools_raw["name"], schools_raw["isced"], strict=True)
        ]
        schools_raw["name"] = schools_raw["name"].fillna("(unnamed school " + schools_raw["school_id"] + ")")
        schools = validate_schools(schools_raw[["school_id", "name", "type", "geometry"]], source=str(path))
        schools["name_zh"] = schools_raw["name_zh"].to_numpy()
        return cls(villages, schools, data.network, policy=policy, name=name or Path(path).name.split(".")[0])

    # ------------------------------------------------------------------ geometry
    @property
    def crs(self) -> CRS:
        """The projected CRS of metric work (the network's)."""
        return self.network.crs

    def _xy(self, table: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
        pts = table.geometry.to_crs(self.crs)
        return np.c_[pts.x.to_numpy(), pts.y.to_numpy()]

    @property
    def targets(self) -> pd.DataFrame:
        """Schools then candidate sites: the columns of the travel-time matrix."""
        key = (id(self.schools), id(self.sites))
        cached = self._cache.get("targets")
        if cached is None or cached[0] != key:
            self._cache["targets"] = cached = (key, self._targets())
        return cached[1]

    @property
    def target_points(self) -> gpd.GeoSeries:
        """Locations (WGS84) of the schools then sites, indexed by id."""
        if len(self.sites) == 0:
            return self.schools.geometry
        return pd.concat([self.schools.geometry, self.sites.geometry])

    def _targets(self) -> pd.DataFrame:
        schools = pd.DataFrame({"kind": "school", "name": self.schools["name"]}, index=self.schools.index)
        sites = pd.DataFrame({"kind": "site", "name": self.sites["name"]}, index=self.sites.index)
        out = pd.concat([schools, sites])
        out.index.name = "target_id"
        return out

    def _snap_points(self) -> pd.DataFrame:
        """Snap every point; error for points outside the network, flag those far from a road."""
        frames = []
        for kind, table in (("village", self.villages), ("school", self.schools), ("site", self.sites)):
            if table.empty:
                continue
            snap = self.network.snap(self._xy(table))
            frames.append(pd.DataFrame({
                "kind": kind, "name": table["name"].to_numpy(), "snap_m": snap.distance_m,
                "piece": self.network.components[self.network.seg_u[snap.segment]],
                ROW: table[ROW].to_numpy() if ROW in table else "",
            }, index=table.index))
        snaps = pd.concat(frames)
        snaps.index.name = "id"
        snaps["offroad_min"] = snaps["snap_m"] * self.policy.offroad_detour / self.policy.walk_speed_m_per_min
        snaps["far_from_road"] = snaps["snap_m"] > self.policy.far_from_road_m
        outside = snaps[snaps["snap_m"] > self.policy.max_snap_m]
        if not outside.empty:
            problems = [
                f"{r.kind} {idx!r} ({r['name']}, {r[ROW]}) is {r.snap_m / 1000:.1f} km from the nearest road, "
                f"outside the road network; check its coordinates (lon/lat swapped? wrong CRS?) "
                f"or give a road layer that covers it"
                for idx, r in outside.iterrows()
            ]
            raise ValidationError(problems, source=self.name)
        return snaps

    # ------------------------------------------------------------------ travel times
    def travel_times(self, *, progress: bool | None = None) -> pd.DataFrame:
        """Walking minutes from each village to each school and candidate site.

        Computed once per project (and cached on disk by content); NaN where a target is
        out of reach (another network piece, or beyond ``policy.max_minutes``).

        Returns
        -------
        DataFrame indexed by ``village_id`` with one column per school and site id (minutes).
        """
        result = self.matrix(progress=progress)
        cached = self._cache.get("times")
        if cached is None or cached[0] is not result:
            frame = pd.DataFrame(result.minutes, index=self.villages.index, columns=self.targets.index)
            frame.columns.name = "target_id"
            self._cache["times"] = cached = (result, frame)
        return cached[1]

    def matrix(self, *, progress: bool | None = None) -> MatrixResult:
        """The travel-time matrix with its snapping details (see :class:`MatrixResult`)."""
        key = (id(self.network), id(self.policy), id(self.villages), id(self.schools), id(self.sites))
        if self._matrix is None or self._matrix.key != key:
            result = travel_time_matrix(self.network, self._xy(self.villages), self._xy(self.target_points),
                                        policy=self.policy, progress=progress)
            self._matrix = _Matrix(key, result)
        return self._matrix.result

    # ------------------------------------------------------------------ walk check
    def walk_check(self, limit: float | None = None, *, level: str | None = None) -> pd.DataFrame:
        """Nearest school per village and level, the walk to it, and whether it is too far.

        Parameters
        ----------
        limit
            One-way walking limit (minutes); the policy's per level when None.
        level
            ``"primary"`` or ``"junior"``; both when None.

        Returns
        -------
        DataFrame indexed by ``village_id``: ``name``, ``snap_m`` (metres to the road),
        ``far_from_road``, ``pupils_estimated``, and per level ``{level}_pupils``,
        ``{level}_school`` (id), ``{level}_school_name``, ``{level}_minutes``,
        ``{level}_status`` (within / beyond / out of reach / no school) and
        ``{level}_beyond`` (True when beyond the limit or out of reach). For primary,
        ``primary_any_minutes`` also counts teaching points (lower grades only).
        """
        levels = LEVELS if level is None else (level,)
        minutes = self.travel_times().to_numpy()[:, : len(self.schools)]
        snaps = self.snaps.loc[self.snaps["kind"] == "village"]
        out = pd.DataFrame({
            "name": self.villages["name"],
            "snap_m": snaps["snap_m"].to_numpy(),
            "far_from_road": snaps["far_from_road"].to_numpy(),
            "pupils_estimated": self.villages["pupils_estimated"],
        }, index=self.villages.index)
        for lv in levels:
            lim = self.policy.limit(lv) if limit is None else float(limit)
            serves = self.schools[lv].to_numpy(dtype=bool)
            col, best = nearest(minutes, serves)
            ids = np.where(col >= 0, self.schools.index.to_numpy()[np.maximum(col, 0)], None)
            out[f"{lv}_pupils"] = self.villages[f"{lv}_pupils"]
            out[f"{lv}_school"] = ids
            out[f"{lv}_school_name"] = np.where(col >= 0, self.schools["name"].to_numpy()[np.maximum(col, 0)], None)
            out[f"{lv}_minutes"] = best
            out[f"{lv}_status"] = walk_status(best, lim, any_school=bool(serves.any()))
            out[f"{lv}_beyond"] = out[f"{lv}_status"] != "within"
            if lv == "primary":
                partial = self.schools["grades"].map(lambda g: 1 in g).to_numpy(dtype=bool)
                out["primary_any_minutes"] = nearest(minutes, partial)[1]
        return out

    def walk_summary(self, limit: float | None = None) -> pd.DataFrame:
        """Per level: villages and pupils beyond the limit, mean and longest walk.

        Returns
        -------
        DataFrame indexed by level with ``limit_min``, ``villages``, ``villages_beyond``,
        ``villages_out_of_reach``, ``pupils``, ``pupils_beyond``, ``share_beyond``,
        ``pupils_unknown_villages`` (villages whose pupils are not known),
        ``mean_minutes`` (pupil-weighted) and ``max_minutes``.
        """
        check = self.walk_check(limit)
        rows = {}
        for lv in LEVELS:
            pupils, mins, beyond = check[f"{lv}_pupils"], check[f"{lv}_minutes"], check[f"{lv}_beyond"]
            total = float(pupils.sum())
            rows[lv] = {
                "limit_min": self.policy.limit(lv) if limit is None else float(limit),
                "villages": len(check),
                "villages_beyond": int(beyond.sum()),
                "villages_out_of_reach": int((check[f"{lv}_status"] == "out of reach").sum()),
                "pupils": total,
                "pupils_beyond": float(pupils[beyond].sum()),
                "share_beyond": float(pupils[beyond].sum() / total) if total > 0 else float("nan"),
                "pupils_unknown_villages": int(pupils.isna().sum()),
                "mean_minutes": pupil_weighted_mean(mins, pupils),
                "max_minutes": float(mins.max()) if mins.notna().any() else float("nan"),
            }
        frame = pd.DataFrame(rows).T
        frame.index.name = "level"
        return frame

    def school_reach(self, limit: float | None = None) -> pd.DataFrame:
        """Per school: the villages within the walking limit, and those it is nearest for.

        Returns
        -------
        DataFrame indexed by ``school_id``: ``name``, ``type``, ``villages_within``
        (count), ``within`` (names), ``pupils_within`` (pupils of the levels it serves),
        ``nearest_for`` (villages whose nearest school of a level it is).
        """
        minutes = self.travel_times().iloc[:, : len(self.schools)]
        check = self.walk_check(limit)
        lim = min(self.policy.limit(lv) for lv in LEVELS) if limit is None else float(limit)
        rows = []
        for sid, school in self.schools.iterrows():
            reach = minutes[sid] <= lim
            pupils = sum(self.villages.loc[reach, f"{lv}_pupils"].sum() for lv in LEVELS if school[lv])
            nearest_for = check.index[(check.get("primary_school") == sid) | (check.get("junior_school") == sid)]
            rows.append({
                "school_id": sid, "name": school["name"], "type": school["type"],
                "villages_within": int(reach.sum()),
                "within": "、".join(self.villages.loc[reach, "name"]),
                "pupils_within": float(pupils),
                "nearest_for": "、".join(self.villages.loc[nearest_for, "name"]),
            })
        return pd.DataFrame(rows).set_index("school_id")

    def with_site(self, site_id: str, *, lon: float, lat: float, name: str | None = None,
                  capacity: float | None = None, classrooms: float | None = None, beds: float | None = None,
                  type: str = "village_primary") -> Project:  # noqa: A002 - the table's column
        """A copy of the project with one more candidate site (e.g. clicked on the map).

        The network and its contraction are shared; travel times are computed for the new
        set of targets (a site far outside the network is an error, as for any point).
        """
        if site_id in self.schools.index or site_id in self.sites.index:
            raise ValidationError(f"id {site_id!r} is already used by a school or site; choose another")
        row = gpd.GeoDataFrame({"site_id": [site_id], "name": [name or site_id], "type": [type],
                                "capacity": [capacity], "classrooms": [classrooms], "beds": [beds]},
                               geometry=gpd.points_from_xy([lon], [lat]), crs=4326)
        new = validate_sites(row, source=f"site {site_id}")
        sites = pd.concat([self.sites, new]) if len(self.sites) else new
        sites.index.name = "site_id"
        return Project(self.villages, self.schools, self.network, sites=sites, policy=self.policy, name=self.name)

    # ------------------------------------------------------------------ project file
    def save(self, path: PathLike, *, scenarios: list[Scenario] | None = None,
             results: list[Result] | None = None) -> Path:
        """Save to a project GeoPackage (atomically), with scenarios and results.

        Scenarios and results already in the file stay unless replaced by name.
        """
        from .store import save_project

        return save_project(self, path, scenarios=scenarios, results=results)

    @classmethod
    def load(cls, path: PathLike) -> Project:
        """Open a project GeoPackage; its scenarios are in ``project.saved_scenarios``."""
        from .store import load_project

        project, scenarios = load_project(path)
        project.saved_scenarios = scenarios
        return project

    # ------------------------------------------------------------------ scenarios
    def scenario(self, name: str = "scenario") -> Scenario:
        """A new scenario on this project (no edits yet: today's layout)."""
        from .scenario import Scenario

        return Scenario(self, name)

    def initial_state(self) -> State:
        """Today's schools and sites as a scenario state (computed once; copy before changing)."""
        key = (id(self.schools), id(self.sites))
        cached = self._cache.get("state")
        if cached is None or cached[0] != key:
            from .scenario import initial_state

            self._cache["state"] = cached = (key, initial_state(self))
        return cached[1]

    def baseline(self, assignment: str = "nearest") -> Result:
        """Today's layout evaluated with ``assignment`` (computed once per method)."""
        if assignment not in self._cache:
            self._cache[assignment] = self.scenario("today").evaluate(assignment=assignment)
        return self._cache[assignment]

    def baseline_school(self) -> np.ndarray:
        """Today's school of each (village, grade) by nearest assignment (matrix column, −1 none)."""
        if "school" not in self._cache:
            from .assign import assign_nearest
            from .evaluate import build_layout

            self._cache["school"] = assign_nearest(build_layout(self.scenario("today")))
        return self._cache["school"]

    def bus_times(self) -> np.ndarray:
        """Bus ride minutes from each village to each school and site (villages × targets).

        Routed on the roads a bus can use (``policy.bus_excluded_classes`` left out) at
        ``policy.bus_speed_kmh``; the walk from a village to the road is not included.
        NaN where no drivable road connects the pair.
        """
        if self._bus is None:
            from dataclasses import replace

            keep = ~np.isin(self.network.seg_class.astype(str), list(self.policy.bus_excluded_classes))
            if not keep.any():
                raise ValidationError("no road in the network is usable by a bus; check bus_excluded_classes",
                                      source=self.name)
            drivable = self.network.subset(keep, source=f"{self.network.source} (drivable)")
            bus_policy = replace(self.policy, walk_speed_kmh=self.policy.bus_speed_kmh, tobler=False,
                                 class_factors={})
            result = travel_time_matrix(drivable, self._xy(self.villages), self._xy(self.target_points),
                                        policy=bus_policy, progress=False)
            self._bus = (result.minutes - result.offroad_minutes_origin[:, None]
                         - result.offroad_minutes_target[None, :])
        return self._bus

    # ------------------------------------------------------------------ data quality
    def data_notes(self) -> list[str]:
        """Things a planner should know about the data (not errors): far-off points,
        disconnected pieces, estimated pupils, villages that probably lack a school."""
        notes = []
        far = self.snaps[self.snaps["far_from_road"]]
        for idx, r in far.iterrows():
            notes.append(f"{r.kind} {r['name']} ({idx}) is {r.snap_m:.0f} m from the nearest road; its walk includes "
                         f"{r.offroad_min:.0f} min off-road")
        pieces = self.network.pieces()
        if len(pieces) > 1:
            notes.append(f"the road network has {len(pieces)} disconnected pieces; the largest holds "
                         f"{pieces['km'].iloc[0] / pieces['km'].sum():.0%} of its length")
        cut = self.snaps[self.snaps["piece"] > 0]
        for idx, r in cut.iterrows():
            notes.append(f"{r.kind} {r['name']} ({idx}) joins a road piece cut off from the main network")
        est = self.villages["pupils_estimated"]
        if est.any():
            notes.append(f"pupils of {int(est.sum())} villages are estimated from population")
        unknown = self.villages["primary_pupils"].isna()
        if unknown.any():
            notes.append(f"pupils of {int(unknown.sum())} villages are unknown (no population): "
                         + "、".join(self.villages.loc[unknown, "name"]))
        notes += self._villages_lacking_school()
        return notes

    def _villages_lacking_school(self, radius_m: float = 1500, min_pupils: float = 100) -> list[str]:
        """Large villages with no school nearby: in OSM data, often a school missing from the map."""
        vxy, sxy = self._xy(self.villages), self._xy(self.schools)
        if len(sxy) == 0:
            return []
        dist = np.hypot(vxy[:, None, 0] - sxy[None, :, 0], vxy[:, None, 1] - sxy[None, :, 1]).min(axis=1)
        pupils = self.villages["primary_pupils"].fillna(0).to_numpy()
        return [
            f"{name} has about {p:.0f} primary pupils but no school within {radius_m / 1000:g} km "
            f"(nearest {d / 1000:.1f} km): check whether the data lack its school"
            for name, p, d in zip(self.villages["name"], pupils, dist, strict=True)
            if p >= min_pupils and d > radius_m
        ]

    def __repr__(self) -> str:
        return (f"<Project {self.name!r}: {len(self.villages)} villages, {len(self.schools)} schools, "
                f"{len(self.sites)} sites, network {self.network.n_nodes} nodes>")


def _empty_sites() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"name": pd.Series(dtype=object), ROW: pd.Series(dtype=object)},
                             geometry=gpd.GeoSeries([], crs=4326))
    frame.index.name = "site_id"
    return frame


def _osm_school_type(name: object, isced: object) -> str:
    guessed = type_from_name(name) if isinstance(name, str) else None
    if guessed:
        return guessed
    levels = {s.strip() for s in str(isced).split(";")} if isinstance(isced, str) else set()
    if {"1", "2"} <= levels:
        return "nine_year"
    if "1" in levels:
        return "village_primary"
    if "2" in levels:
        return "junior_secondary"
    return "unknown"


__all__ = ["Project"]
