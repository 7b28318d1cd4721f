"""Hand-computed cases: small networks whose walking times can be worked out on paper.

Walking speed 4 km/h is 66.67 m/min, so 100 m of flat road takes 1.5 min; the off-road
leg is its straight length × 1.3 at the same speed.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import planning
from planning import Policy, Project, WalkNetwork
from planning.policy import tobler_factor
from planning.traveltime import travel_time_matrix

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 4_400_000.0
SPEED = 4000 / 60  # m/min
OFF = 1.3 / SPEED  # minutes per metre off-road


def lines(*coords_and_class) -> gpd.GeoDataFrame:
    geoms, classes = [], []
    for coords, road_class in coords_and_class:
        geoms.append(shapely.LineString([(X0 + c[0], Y0 + c[1], *c[2:]) for c in coords]))
        classes.append(road_class)
    return gpd.GeoDataFrame({"highway": classes}, geometry=geoms, crs=CRS)


def grid() -> gpd.GeoDataFrame:
    """3×3 nodes 100 m apart; the lines share their crossing vertices."""
    rows = [([(0, y), (100, y), (200, y)], "residential") for y in (0, 100, 200)]
    cols = [([(x, 0), (x, 100), (x, 200)], "residential") for x in (0, 100, 200)]
    return lines(*rows, *cols)


def times(network: WalkNetwork, origins, targets, **policy) -> np.ndarray:
    o = np.asarray(origins, dtype=float) + [X0, Y0]
    t = np.asarray(targets, dtype=float) + [X0, Y0]
    return travel_time_matrix(network, o, t, policy=Policy(**policy), use_cache=False).minutes


def test_grid_corner_to_corner_is_four_blocks():
    net = WalkNetwork.from_lines(grid())
    assert (net.n_nodes, net.n_segments) == (9, 12)
    assert times(net, [(0, 0)], [(200, 200)])[0, 0] == pytest.approx(6.0)


def test_offroad_leg_is_timed_with_detour():
    net = WalkNetwork.from_lines(grid())
    assert times(net, [(-30, 0)], [(200, 200)])[0, 0] == pytest.approx(6.0 + 30 * OFF)


def test_points_join_mid_edge_not_at_nearest_node():
    net = WalkNetwork.from_lines(grid())
    # (50, -20) joins at (50, 0): 150 m east + 200 m north, plus 20 m off-road
    assert times(net, [(50, -20)], [(200, 200)])[0, 0] == pytest.approx(350 / SPEED + 20 * OFF)


def test_two_points_on_one_edge_walk_along_it():
    net = WalkNetwork.from_lines(grid())
    assert times(net, [(20, -10)], [(80, -10)])[0, 0] == pytest.approx(60 / SPEED + 2 * 10 * OFF)


def test_many_points_on_one_edge_and_coincident_points():
    net = WalkNetwork.from_lines(grid())
    origins = [(10, 0), (30, 0), (30, 0), (90, 0)]
    result = times(net, origins, [(60, 0), (30, 0)])
    expected = np.array([[50, 20], [30, 0], [30, 0], [30, 60]]) / SPEED
    np.testing.assert_allclose(result, expected, atol=1e-6)


def test_slope_makes_climbing_slower_than_descending():
    road = lines(([(0, 0, 0.0), (1000, 0, 100.0)], "residential"))
    net = WalkNetwork.from_lines(road)
    assert net.node_z is not None
    up = times(net, [(0, 0)], [(1000, 0)])[0, 0]
    down = times(net, [(1000, 0)], [(0, 0)])[0, 0]
    assert up == pytest.approx(15.0 / math.exp(-3.5 * 0.10)) == pytest.approx(21.286, abs=1e-3)
    assert down == pytest.approx(15.0)  # −10 % is as fast as flat ground on Tobler's curve
    assert times(net, [(0, 0)], [(1000, 0)], tobler=False)[0, 0] == pytest.approx(15.0)


def test_tobler_factor_peaks_on_a_gentle_descent():
    assert tobler_factor(0.0) == pytest.approx(1.0)
    assert tobler_factor(-0.05) == pytest.approx(math.exp(0.175))
    assert tobler_factor(0.2) < tobler_factor(0.1) < 1.0


def test_road_class_changes_speed():
    path = lines(([(0, 0), (100, 0)], "path"), ([(100, 0), (200, 0)], "steps"))
    net = WalkNetwork.from_lines(path)
    assert times(net, [(0, 0)], [(200, 0)])[0, 0] == pytest.approx(1.5 / 0.85 + 1.5 / 0.5)


def test_t_junction_without_shared_vertex_is_joined():
    roads = lines(([(0, 0), (200, 0)], "residential"), ([(100, 1.0), (100, 100)], "residential"))
    net = WalkNetwork.from_lines(roads, tolerance_m=2.0)
    assert len(net.pieces()) == 1
    assert times(net, [(100, 100)], [(0, 0)])[0, 0] == pytest.approx(200 / SPEED, abs=0.02)


def test_crossing_without_vertex_is_a_bridge_not_a_junction():
    roads = lines(([(0, 0), (200, 0)], "residential"), ([(50, -50), (50, 50)], "residential"))
    net = WalkNetwork.from_lines(roads)
    assert len(net.pieces()) == 2
    assert np.isnan(times(net, [(50, 50)], [(0, 0)])[0, 0])


def test_pedestrians_cannot_use_expressways():
    roads = lines(([(0, 0), (100, 0)], "residential"), ([(100, 0), (900, 0)], "motorway"),
                  ([(900, 0), (1000, 0)], "residential"))
    net = WalkNetwork.from_lines(roads)
    assert set(net.seg_class) == {"residential"}
    assert len(net.pieces()) == 2
    assert np.isnan(times(net, [(0, 0)], [(1000, 0)])[0, 0])


def test_cut_off_marks_far_pairs_out_of_reach():
    net = WalkNetwork.from_lines(grid())
    result = times(net, [(0, 0)], [(100, 0), (200, 200)], max_minutes=5.0)
    assert result[0, 0] == pytest.approx(1.5)
    assert np.isnan(result[0, 1])


def test_contracted_graph_gives_the_same_times_as_plain_dijkstra(demo):
    """The demo's 1,000-node network against networkx on its uncontracted segments."""
    import networkx as nx

    net, policy = demo.network, demo.policy
    fw, bw = net.segment_minutes(policy)
    graph = nx.DiGraph()
    for u, v, a, b in zip(net.seg_u.tolist(), net.seg_v.tolist(), fw, bw, strict=True):
        graph.add_edge(u, v, weight=a)
        graph.add_edge(v, u, weight=b)
    rng = np.random.default_rng(7)
    nodes = rng.choice(net.n_nodes, size=12, replace=False)
    xy = net.node_xy[nodes]
    ours = travel_time_matrix(net, xy, xy, policy=policy, use_cache=False).minutes
    for j, target in enumerate(nodes):
        reference = nx.single_source_dijkstra_path_length(graph.reverse(copy=False), int(target))
        expected = np.array([reference.get(int(o), np.nan) for o in nodes])
        expected[expected > policy.max_minutes] = np.nan
        np.testing.assert_allclose(ours[:, j], expected, rtol=1e-9, atol=1e-6)


def _tiny_project(pupils=(30, 40, 10), **policy) -> Project:
    from planning.validation import validate_schools, validate_villages

    net = WalkNetwork.from_lines(grid())
    pts = gpd.points_from_xy([X0 + 0, X0 + 200, X0 + 200], [Y0 + 0, Y0 + 0, Y0 + 200], crs=CRS)
    villages = validate_villages(gpd.GeoDataFrame(
        {"id": ["A", "B", "C"], "name": ["甲村", "乙村", "丙村"], "primary_pupils": list(pupils),
         "junior_pupils": [5, 5, 5]}, geometry=pts))
    spts = gpd.points_from_xy([X0 + 0, X0 + 100], [Y0 + 0, Y0 + 200], crs=CRS)
    schools = validate_schools(gpd.GeoDataFrame(
        {"id": ["S1", "S2"], "name": ["一小", "二中"], "type": ["村完小", "初中"]}, geometry=spts))
    return Project(villages, schools, net, policy=Policy(**policy))


def test_walk_check_flags_villages_beyond_the_limit():
    project = _tiny_project(walk_limit_minutes={"primary": 5.0, "junior": 5.0})
    check = planning.walk_check(project)
    # to S1 at (0,0): A 0 min, B 200 m = 3 min, C 400 m = 6 min
    assert check["primary_minutes"].to_numpy() == pytest.approx([0.0, 3.0, 6.0], abs=1e-6)
    assert check["primary_beyond"].tolist() == [False, False, True]
    assert check["primary_status"].tolist() == ["within", "within", "beyond"]
    assert check["junior_school"].tolist() == ["S2", "S2", "S2"]
    summary = planning.walk_summary(project)
    assert summary.loc["primary", "pupils_beyond"] == 10
    assert summary.loc["primary", "mean_minutes"] == pytest.approx((30 * 0 + 40 * 3 + 10 * 6) / 80)
    assert planning.walk_check(project, limit=2.0)["primary_beyond"].tolist() == [False, True, True]


def test_school_reach_lists_villages_within_the_limit():
    reach = planning.school_reach(_tiny_project(), limit=3.5, lang="zh")
    assert reach.loc["S1", "within"] == "甲村、乙村"
    assert planning.school_reach(_tiny_project(), limit=3.5, lang="en").loc["S1", "within"] == "甲村, 乙村"
    assert reach.loc["S1", "pupils_within"] == 70


def test_walk_check_counts_only_schools_serving_the_level():
    project = _tiny_project()
    schools = project.schools
    schools.loc["S1", "type"] = "junior_secondary"  # a copy: the project is not changed
    schools.at["S1", "grades"] = (7, 8, 9)
    assert project.schools.loc["S1", "primary"]
    check = planning.walk_check(project.with_schools(schools), level="primary")
    assert set(check["primary_status"]) == {"no school"}
    assert pd.isna(check["primary_minutes"]).all()
