"""Every figure a planner takes to the meeting (issue 10): bus trips, who is affected,
figures per level, merges, recommended plans. Hand-computed cases on tiny road layouts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import planning
from planning import Policy, Project, WalkNetwork
from planning.bus import walk_to_road
from planning.validation import validate_schools, validate_villages

from .helpers import CRS, X0, Y0, grades


def _road_and_path(path_class: str = "path") -> WalkNetwork:
    """A 5 km road (drivable) and a 2 km footpath leaving it at 1 km, straight north."""
    lines = gpd.GeoDataFrame(
        {"highway": ["residential", path_class]},
        geometry=[shapely.LineString([(X0, Y0), (X0 + 5000, Y0)]),
                  shapely.LineString([(X0 + 1000, Y0), (X0 + 1000, Y0 + 2000)])], crs=CRS)
    return WalkNetwork.from_lines(lines)


def _hill_village(**policy) -> Project:
    """Village "hill" at the path's end (2 km from the road), school A on the road at 4 km."""
    villages = validate_villages(gpd.GeoDataFrame(
        [{"village_id": "hill", "name": "hill", **grades(10)}],
        geometry=[shapely.Point(X0 + 1000, Y0 + 2000)], crs=CRS))
    schools = validate_schools(gpd.GeoDataFrame(
        [{"school_id": "A", "name": "A", "type": "中心小学", "capacity": 500}],
        geometry=[shapely.Point(X0 + 4000, Y0)], crs=CRS))
    return Project(villages, schools, _road_and_path(), policy=Policy(**policy))


def test_a_bus_trip_is_the_walk_to_the_road_plus_the_ride():
    project = _hill_village()
    policy = project.policy
    path_min = 2000 / (policy.walk_speed_m_per_min * policy.class_factors.get("path", 1.0))
    ride_min = 3000 / (policy.bus_speed_kmh * 1000 / 60)  # from the path's foot (1 km) to A (4 km)
    assert walk_to_road(project)[0] == pytest.approx(path_min, abs=0.01)
    result = planning.Scenario(project, "bus").add_bus("A", villages=["hill"]).evaluate()
    row = result.villages.loc[("hill", "primary")]
    assert row["mode"] == "bus" and row["bus"] == 60
    assert row["road_walk_minutes"] == pytest.approx(path_min, abs=0.01)
    assert row["ride_minutes"] == pytest.approx(ride_min, abs=0.01)
    assert row["minutes"] == pytest.approx(path_min + ride_min, abs=0.02)  # not the 75-minute walk
    assert row["walk_minutes"] > 60
    s = result.summary
    assert s["bus_riders"] == 60 and s["pupils_beyond_limit"] == 0 and s["unserved"] == 0


def test_a_bus_cannot_serve_a_village_whose_walk_to_the_road_is_beyond_the_limit():
    project = _hill_village(walk_limit_minutes={"primary": 25, "junior": 25})
    assert walk_to_road(project)[0] > 25
    result = planning.Scenario(project, "bus").add_bus("A", villages=["hill"]).evaluate()
    assert result.summary["bus_riders"] == 0
    assert result.summary["unserved"] == 60 and result.summary["pupils_beyond_limit"] == 60
    zoned = planning.Scenario(project, "bus").add_bus("A", villages=["hill"]).evaluate("zoned")
    assert zoned.summary["bus_riders"] == 0 and zoned.summary["unserved"] == 60


def test_the_demo_bus_riders_walk_to_the_road_within_the_limit(demo):
    """Every demo village on a bus: riders' trips are walk to the road + ride, and those
    whose walk to the road is beyond the limit do not ride (two demo villages walk 35 and
    40 minutes to the nearest drivable road: beyond a 30-minute limit)."""
    demo = demo.with_policy(demo.policy.with_limit(30))
    school = demo.schools.index[demo.schools["beds"].fillna(0).to_numpy().argmax()]
    plan = planning.Scenario(demo, "all by bus").add_bus(school, villages=list(demo.villages.index), max_ride=60)
    result = plan.evaluate()
    walk = walk_to_road(demo)
    flows = result.flows
    riders = flows[flows["mode"] == "bus"]
    limits = demo.policy.grade_limits()[riders["grade"].to_numpy() - 1]
    assert len(riders) > 0
    np.testing.assert_allclose(riders["road_walk_minutes"], walk[riders["village"].to_numpy()])
    assert (riders["road_walk_minutes"].to_numpy() <= limits).all()
    np.testing.assert_allclose(riders["minutes"], riders["road_walk_minutes"] + riders["ride_minutes"])
    far = np.flatnonzero(walk > 30)
    assert len(far) >= 2
    assert not set(far) & set(riders["village"]), "a village whose walk to the road is beyond the limit rides"
    assert result.summary["pupils_beyond_limit"] == pytest.approx(result.summary["boarders"] + result.summary["unserved"])
