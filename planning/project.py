"""A planning project: villages, schools, candidate sites, the walking network, the policy and,
optionally, a teacher roster.

A :class:`Project` never changes after it is made. What it derives (where points join the
roads, the travel-time matrix, bus ride times) is computed once per project and can never
go stale; :meth:`Project.with_policy`, :meth:`Project.with_site` and the other ``with_*``
methods return new projects that reuse what the change leaves valid (a new walking limit
never routes again).

    >>> import planning
    >>> project = planning.demo()
    >>> project.travel_times().shape          # villages × (schools and candidate sites)
    (17, 16)
    >>> stricter = project.with_policy(project.policy.with_limit(30))
    >>> stricter.travel_times() is not None and stricter.matrix is project.matrix
    True
"""

from __future__ import annotations

from functools import cached_property
from types import MappingProxyType
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .errors import ValidationError, warn
from .i18n import Message
from .io import ROW
from .memo import carry_once, once
from .network import WalkNetwork
from .policy import Policy
from .pupils import Forecast
from .traveltime import MatrixResult, routing_settings, travel_time_matrix
from .validation import (
    check_tables,
    empty_sites,
    revalidate_villages,
    roster_differences,
    schools_with_roster,
    validate_roster,
    validate_schools,
    validate_sites,
)


class Project:
    """Villages, schools and candidate sites on a walking network, under a policy.

    Parameters
    ----------
    villages, schools, sites
        Validated tables (:mod:`planning.validation`), WGS84, indexed by id. The project
        keeps its own copies: changing a table afterwards does not change the project.
    network, policy, name
        The walking network; walking limits, speeds and the rest (the defaults when None);
        a label for maps and reports.
    roster
        A teacher roster (:func:`~planning.validation.validate_roster`) or None: its counts per school
        are the schools' teacher figures (:func:`~planning.validation.schools_with_roster`).

    Raises
    ------
    ValidationError
        Naming each point farther than ``policy.max_snap_m`` from every road (usually wrong
        coordinates or CRS), or an id a school and a site share.
    """

    network: WalkNetwork
    policy: Policy
    name: str
    _villages: gpd.GeoDataFrame
    _schools: gpd.GeoDataFrame
    _sites: gpd.GeoDataFrame
    _roster: pd.DataFrame | None

    def __init__(self, villages: gpd.GeoDataFrame, schools: gpd.GeoDataFrame, network: WalkNetwork, *,
                 sites: gpd.GeoDataFrame | None = None, policy: Policy | None = None, name: str = "project",
                 roster: pd.DataFrame | None = None) -> None:
        sites, policy = sites if sites is not None else empty_sites(), policy or Policy()
        check_tables(villages, schools, sites)
        schools = schools if roster is None else schools_with_roster(schools, roster, min_years=policy.exchange_min_years)
        for attr, value in (("_villages", villages), ("_schools", schools), ("_sites", sites), ("_roster", roster),
                            ("network", network), ("policy", policy), ("name", str(name))):
            object.__setattr__(self, attr, value.copy() if isinstance(value, pd.DataFrame) else value)
        self.snaps  # noqa: B018 - every point must join the network: checked now, not on first use

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a Project never changes (tried to set {name!r}); make a changed copy with "
                             "with_policy(...), with_villages(...), with_schools(...), with_site(...) or with_roster(...)")

    __delattr__ = __setattr__  # type: ignore[assignment]

    # Tables come out as copies that may be changed freely (copy-on-write: cheap).
    @property
    def villages(self) -> gpd.GeoDataFrame:
        """Villages (:func:`~planning.validation.validate_villages`), indexed by ``village_id``."""
        return self._villages.copy(deep=False)

    @property
    def schools(self) -> gpd.GeoDataFrame:
        """Schools (:func:`~planning.validation.validate_schools`), indexed by ``school_id``."""
        return self._schools.copy(deep=False)

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """Candidate sites (:func:`~planning.validation.validate_sites`), indexed by ``site_id``."""
        return self._sites.copy(deep=False)

    @property
    def roster(self) -> pd.DataFrame | None:
        """The teacher roster (:func:`~planning.validation.validate_roster`), indexed by ``teacher_id``, or None."""
        return None if self._roster is None else self._roster.copy(deep=False)

    @property
    def crs(self) -> CRS:
        """The projected CRS of metric work (the network's)."""
        return self.network.crs

    @cached_property
    def targets(self) -> pd.DataFrame:
        """Schools then candidate sites (``kind``, ``name``): the matrix's columns."""
        frames = [pd.DataFrame({"kind": kind, "name": table["name"]}, index=table.index)
                  for kind, table in (("school", self._schools), ("site", self._sites))]
        out = pd.concat(frames)
        out.index.name = "target_id"
        return out

    @cached_property
    def target_points(self) -> gpd.GeoSeries:
        """Locations (WGS84) of the schools then sites, indexed by id."""
        if len(self._sites) == 0:
            return self._schools.geometry.copy()
        return gpd.GeoSeries(pd.concat([self._schools.geometry, self._sites.geometry]), crs=4326)

    def xy(self, points: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
        """Coordinates of points in the project's metric CRS, shape (n, 2), metres."""
        projected = points.geometry.to_crs(self.crs)
        return np.c_[projected.x.to_numpy(), projected.y.to_numpy()]

    @cached_property
    def snaps(self) -> pd.DataFrame:
        """Where each village, school and site joins the roads: ``kind``, ``name``,
        ``snap_m`` (metres to the road), ``piece`` (network piece, 0 the largest),
        ``offroad_min`` (minutes of the off-road leg) and ``far_from_road``."""
        return _snap_table(self)

    @cached_property
    def matrix(self) -> MatrixResult:
        """The walking travel-time matrix with its snapping details (:class:`MatrixResult`)."""
        result = travel_time_matrix(self.network, self.xy(self._villages), self.xy(self.target_points),
                                    policy=self.policy)
        result.minutes.setflags(write=False)
        return result

    def travel_times(self) -> pd.DataFrame:
        """Walking minutes from each village (rows, ``village_id``) to each school and
        candidate site (columns, ``target_id``); NaN where out of reach (another network
        piece, or beyond ``policy.max_minutes``). Routed once per project."""
        return pd.DataFrame(self.matrix.minutes, index=self._villages.index,
                            columns=self.targets.index.rename("target_id"))

    @cached_property
    def bus_times(self) -> np.ndarray:
        """Bus ride minutes (villages × targets) on the roads a bus can use, at the bus speed,
        from a village's pick-up point (the nearest point of a drivable road; the walk there
        is :func:`planning.bus.walk_to_road`) to the school's. NaN where no road connects them."""
        return _bus_rides(self)

    def _changed(self, *, carry: tuple[str, ...] = (), **changes: Any) -> Project:
        """A new project with ``changes``, reusing the derived values named in ``carry``
        (given before it is made, so that carried snaps are not worked out again)."""
        fields = {"villages": self._villages, "schools": self._schools, "sites": self._sites, "roster": self._roster,
                  "network": self.network, "policy": self.policy, "name": self.name, **changes}
        new = object.__new__(Project)
        _carry(self, new, carry)
        Project.__init__(new, fields.pop("villages"), fields.pop("schools"), fields.pop("network"), **fields)
        return new

    def with_policy(self, policy: Policy) -> Project:
        """The project under another policy. Travel times are reused unless walking speed,
        slope, road-class factors, the off-road detour or the cut-off change; bus times
        unless the bus settings change. Road classes pedestrians may not use decide which
        roads the network holds: changing them means loading the roads again. Teachers eligible
        to rotate are counted again from a roster."""
        villages = (self._villages if policy.school_age_share == self.policy.school_age_share
                    else revalidate_villages(self._villages, policy=policy))  # pupils estimated from population
        return self._changed(carry=_kept_under(policy, self), policy=policy, villages=villages)

    def with_villages(self, villages: gpd.GeoDataFrame) -> Project:
        """The project with another villages table (e.g. pupils of another year), checked
        again; travel times are reused when the villages and their locations are the same."""
        villages = revalidate_villages(villages, policy=self.policy)
        same = ("matrix", "bus_times") if _same_points(villages, self._villages) else ()
        return self._changed(carry=("targets", "target_points", *same), villages=villages)

    def in_year(self, forecast: Forecast, year: int) -> Project:
        """The project with the pupils ``forecast`` gives each village in ``year`` (villages
        it does not name have none); travel times, snaps and bus times are reused."""
        villages = _villages_in_year(self._villages, forecast, year)
        return self._changed(carry=("targets", "target_points", "snaps", "matrix", "bus_times"), villages=villages)

    def with_schools(self, schools: gpd.GeoDataFrame) -> Project:
        """The project with another schools table, checked again (types give grades and
        levels); travel times are reused when the schools and their locations are the same."""
        schools = validate_schools(_grades_follow_types(schools, self._schools), source="schools")
        same = _same_points(schools, self._schools)
        return self._changed(carry=("target_points", "matrix", "bus_times") if same else (), schools=schools)

    def with_roster(self, roster: pd.DataFrame | None) -> Project:
        """The project with a teacher roster (checked again) whose counts per school become the
        schools' teacher figures, a :class:`~planning.errors.DataWarning` listing where they differ
        (:func:`~planning.validation.roster_differences`); None drops the roster, the figures stay.
        Travel times are reused."""
        roster = None if roster is None else _checked_roster(self, roster)
        return self._changed(carry=("targets", "target_points", "snaps", "matrix", "bus_times"), roster=roster)

    def with_site(self, site_id: str, *, lon: float, lat: float, name: str | None = None,
                  capacity: float | None = None, classrooms: float | None = None, beds: float | None = None,
                  type: str = "village_primary") -> Project:  # noqa: A002 - the table's column
        """The project with one more candidate site (e.g. clicked on the map): only its column of
        travel times is routed; a site far outside the network is an error, as for any point.

        Parameters
        ----------
        site_id, name
            The new site's id (not used by any school or site) and name (the id when None).
        lon, lat
            Location in degrees (WGS84).
        capacity, classrooms, beds
            Seats (pupils), classrooms and boarding beds of a school opened there.
        type
            The school type it would open as (``village_primary`` by default).
        """
        sites, new_site = _sites_with(self, {"site_id": site_id, "name": name or site_id, "type": type,
                                             "capacity": capacity, "classrooms": classrooms, "beds": beds}, lon=lon, lat=lat)
        new = self._changed(sites=sites)
        if "matrix" in self.__dict__:  # route the new column only
            extra = travel_time_matrix(self.network, self.xy(self._villages), new.xy(new_site), policy=self.policy)
            new.__dict__["matrix"] = self.matrix.joined(extra)
        return new

    def __repr__(self) -> str:
        return (f"<Project {self.name!r}: {len(self._villages)} villages, {len(self._schools)} schools, "
                f"{len(self._sites)} sites, network {self.network.n_nodes} nodes>")


def _carry(old: Project, new: Project, carry: tuple[str, ...]) -> None:
    """Give ``new`` the derived values of ``old`` named in ``carry``, and the routes along the
    roads (:func:`planning.routes.routes_of`) that go with the travel times carried (same
    points, roads and speeds)."""
    new.__dict__.update({name: old.__dict__[name] for name in carry if name in old.__dict__})
    carry_once(old, new, [("routes", way) for way, times in (("walk", "matrix"), ("bus", "bus_times"))
                          if times in carry])


def _kept_under(policy: Policy, project: Project) -> tuple[str, ...]:
    """What a project's copy under ``policy`` reuses: travel times unless routing changes, bus
    times unless the bus settings change. The pedestrian road classes cannot change."""
    if policy.walk_excluded != project.policy.walk_excluded:
        raise ValidationError(Message("error.excluded_classes_change"), source=project.name)
    carry: tuple[str, ...] = ("targets", "target_points")
    if routing_settings(policy) == routing_settings(project.policy):
        carry += ("matrix",)
    if _bus_settings(policy) == _bus_settings(project.policy):
        carry += ("bus_times",)
    return carry


def _villages_in_year(villages: gpd.GeoDataFrame, forecast: Forecast, year: int) -> gpd.GeoDataFrame:
    """The villages with the pupils ``forecast`` gives each in ``year`` (none when not named)."""
    pupils = forecast.of_year(year).reindex(villages.index).fillna(0.0).to_numpy(dtype=float)
    out = villages.assign(**{f"grade_{g + 1}": pupils[:, g] for g in range(9)},
                          primary_pupils=pupils[:, :6].sum(axis=1), junior_pupils=pupils[:, 6:].sum(axis=1))
    if "pupils_estimated" in out:
        out["pupils_estimated"] = False
    return out


def _sites_with(project: Project, fields: dict[str, object], *, lon: float,
                lat: float) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The project's sites with one more at ``lon``/``lat`` (its id new to the project), and
    the new site alone (validated)."""
    site_id = fields["site_id"]
    if site_id in project.targets.index:
        raise ValidationError(Message("error.id_in_use", id=repr(site_id)))
    new_site = validate_sites(gpd.GeoDataFrame({k: [v] for k, v in fields.items()},
                                               geometry=gpd.points_from_xy([lon], [lat]), crs=4326),
                              source=f"site {site_id}")
    sites = pd.concat([project.sites, new_site]) if len(project.sites) else new_site
    sites.index.name = "site_id"
    return sites, new_site


def _checked_roster(project: Project, roster: pd.DataFrame) -> pd.DataFrame:
    """A roster checked against the project's schools (:func:`~planning.validation.validate_roster`),
    with a :class:`~planning.errors.DataWarning` for each thing a planner should know when its
    counts replace the schools table's (:func:`~planning.validation.roster_differences`)."""
    roster = validate_roster(roster, schools=project.schools, source="teachers")
    for note in roster_differences(project.schools, roster, min_years=project.policy.exchange_min_years):
        warn(note, stacklevel=3)
    return roster


def drivable_network(project: Project) -> WalkNetwork:
    """The roads a school bus can use: the walking network without
    ``policy.bus_excluded_classes`` (paths, steps, tracks); built once per project."""
    def build() -> WalkNetwork:
        network = project.network
        keep = ~np.isin(network.seg_class.astype(str), list(project.policy.bus_excluded_classes))
        if not keep.any():
            raise ValidationError(Message("error.no_bus_roads"), source=project.name)
        return network.subset(keep, source=f"{network.source} (drivable)")

    return once(project, "drivable_network", build)


def _bus_rides(project: Project) -> np.ndarray:
    result = travel_time_matrix(drivable_network(project), project.xy(project.villages),
                                project.xy(project.target_points), policy=bus_policy(project.policy), progress=False)
    ride = result.minutes - result.offroad_minutes_origin[:, None] - result.offroad_minutes_target[None, :]
    ride.setflags(write=False)
    return ride


def bus_policy(policy: Policy) -> Policy:
    """Routing settings of a school bus: bus speed, no slope, no road-class factors (a
    copy for routing only: its ``walk_speed_kmh`` is the bus's, beyond a walker's range)."""
    return policy.model_copy(update={"walk_speed_kmh": policy.bus_speed_kmh, "tobler": False,
                                     "class_factors": MappingProxyType(dict.fromkeys(policy.class_factors, 1.0))})


def _bus_settings(policy: Policy) -> tuple[object, ...]:
    """What bus ride times depend on."""
    return (routing_settings(bus_policy(policy)), tuple(sorted(policy.bus_excluded_classes)))


def _grades_follow_types(schools: gpd.GeoDataFrame, old: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Where a school's type changed but its grades did not, the grades are the new type's."""
    if "grades" not in schools or "type" not in schools:
        return schools
    before = old.reindex(schools.index)
    stale = (schools["type"] != before["type"]) & (schools["grades"] == before["grades"])
    return schools.assign(grades=schools["grades"].where(~stale, None))


def _same_points(new: gpd.GeoDataFrame, old: gpd.GeoDataFrame) -> bool:
    return bool(new.index.equals(old.index) and new.geometry.geom_equals_exact(old.geometry, 1e-9).all())


def _snap_table(project: Project) -> pd.DataFrame:
    """Snap every point; an error for points outside the network, a flag for those far from a road."""
    policy, network = project.policy, project.network
    frames = []
    for kind, table in (("village", project._villages), ("school", project._schools), ("site", project._sites)):
        if table.empty:
            continue
        snap = network.snap(project.xy(table))
        frames.append(pd.DataFrame({
            "kind": kind, "name": table["name"].to_numpy(), "snap_m": snap.distance_m,
            "piece": network.components[network.seg_u[snap.segment]],
            ROW: table[ROW].to_numpy() if ROW in table else "",
        }, index=table.index))
    snaps = pd.concat(frames)
    snaps.index.name = "id"
    snaps["offroad_min"] = snaps["snap_m"] * policy.offroad_detour / policy.walk_speed_m_per_min
    snaps["far_from_road"] = snaps["snap_m"] > policy.far_from_road_m
    outside = snaps[snaps["snap_m"] > policy.max_snap_m]
    if not outside.empty:
        problems = [Message("error.outside_network", kind=Message(f"kind.{r.kind}"), id=repr(idx), name=r["name"],
                            row=r[ROW], km=f"{r.snap_m / 1000:.1f}") for idx, r in outside.iterrows()]
        raise ValidationError(problems, source=project.name)
    return snaps


__all__ = ["Project"]
