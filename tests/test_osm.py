"""Real OpenStreetMap data: Liechtenstein 2015 (ODbL, © OpenStreetMap contributors)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest

import planning
from planning import Policy, ValidationError
from planning.osm import parse_population, read_osm
from planning.traveltime import travel_time_matrix

from .conftest import shared_file


def test_finds_the_schools_villages_and_network(liechtenstein):
    project = liechtenstein
    assert len(project.schools) == 19  # 7 nodes + 12 areas tagged amenity=school
    assert project.schools.index.str[0].value_counts().to_dict() == {"w": 12, "n": 7}
    places = set(project.villages["name"])
    assert len(project.villages) == 19  # 15 villages + 4 hamlets
    assert {"Vaduz", "Schaan", "Balzers", "Malbun", "Steg", "Planken"} <= places
    assert project.villages.set_index("name").loc["Schaan", "population"] == 5933
    summary = project.network.summary()
    assert 50_000 < summary["nodes"] < 60_000
    assert summary["largest_piece_share"] > 0.95
    assert project.network.attribution == "© OpenStreetMap contributors"


def test_school_types_are_read_from_names(liechtenstein):
    types = liechtenstein.schools.set_index("name")["type"]
    assert types["Primarschule Triesen"] == "village_primary"
    assert types["Weiterführende Schule Triesen"] == "junior_secondary"
    assert types["Universität Liechtenstein"] == "other"  # not a compulsory school: not counted
    assert (liechtenstein.schools["type"] == "unknown").sum() >= 5  # unnamed: counted for every grade


def test_pupils_are_estimated_from_population_and_marked(liechtenstein):
    villages = liechtenstein.villages.set_index("name")
    assert villages.loc["Schaan", "primary_pupils"] == pytest.approx(5933 * 0.072)
    assert villages.loc["Schaan", "pupils_estimated"]
    assert np.isnan(villages.loc["Malbun", "primary_pupils"])  # no population tag: unknown, not zero
    assert not villages.loc["Malbun", "pupils_estimated"]


def test_walk_check_lists_the_villages_beyond_40_minutes(liechtenstein):
    check = planning.walk_check(liechtenstein, limit=40).set_index("name")
    beyond = set(check.index[check["primary_beyond"]])
    assert {"Malbun", "Steg", "Balzers"} <= beyond  # alpine hamlets, and Balzers whose school the map lacks
    assert {"Vaduz", "Schaan", "Triesen", "Eschen"}.isdisjoint(beyond)
    assert check.loc["Malbun", "primary_minutes"] == pytest.approx(128, abs=3)
    assert check.loc["Balzers", "primary_school_name"] == "Primarschule Triesen"
    summary = planning.walk_summary(liechtenstein)
    assert summary.loc["primary", "villages_beyond"] == len(beyond)
    assert summary.loc["primary", "pupils_unknown_villages"] == 7


def test_the_missing_school_of_balzers_is_said_not_hidden(liechtenstein):
    notes = planning.data_notes(liechtenstein)
    assert any(n.startswith("Balzers has about 327 primary pupils but no school within 1.5 km") for n in notes)
    assert any("pupils of 7 villages are unknown" in n and "Malbun" in n for n in notes)


def test_engine_matches_an_independent_osmnx_networkx_computation():
    """Same walk-only extract, loaded by osmnx; points joined to osmnx's nearest edge
    (split at the foot of the perpendicular), the same off-road leg; networkx Dijkstra
    per school. The remaining difference is great-circle (osmnx) vs UTM (ours) lengths."""
    import osmnx as ox

    path = shared_file("osm", "liechtenstein", "liechtenstein-2015-walk.osm.bz2")
    points = gpd.read_file(shared_file("osm", "liechtenstein", "liechtenstein-2015-places-schools.geojson"))
    policy = Policy()
    network = read_osm(path, policy=policy).network
    villages = points[points["place"].isin(["village", "hamlet"])].to_crs(network.crs)
    schools = points[points["amenity"] == "school"].to_crs(network.crs)
    vxy = np.c_[villages.geometry.x, villages.geometry.y]
    sxy = np.c_[schools.geometry.x, schools.geometry.y]
    ours = travel_time_matrix(network, vxy, sxy, policy=policy, use_cache=False).minutes

    graph = ox.project_graph(ox.graph_from_xml(path, simplify=False, retain_all=True, bidirectional=True),
                             to_crs=network.crs)
    speed = policy.walk_speed_m_per_min
    walk = nx.Graph()
    for u, v, data in graph.edges(data=True):
        highway = data["highway"][0] if isinstance(data["highway"], list) else data["highway"]
        walk.add_edge(u, v, weight=data["length"] / (speed * policy.class_factors.get(highway, 1.0)))

    def attach(xy: np.ndarray, tag: str) -> list[tuple[object, float]]:
        edges, dist = ox.distance.nearest_edges(graph, xy[:, 0], xy[:, 1], return_dist=True)
        out = []
        for k, ((u, v, _), d) in enumerate(zip(edges, dist, strict=True)):
            a = np.array([graph.nodes[u]["x"], graph.nodes[u]["y"]])
            b = np.array([graph.nodes[v]["x"], graph.nodes[v]["y"]])
            t = np.clip(np.dot(xy[k] - a, b - a) / max(np.dot(b - a, b - a), 1e-12), 0, 1)
            w = walk[u][v]["weight"]
            walk.add_edge((tag, k), u, weight=t * w)
            walk.add_edge((tag, k), v, weight=(1 - t) * w)
            out.append(((tag, k), d * policy.offroad_detour / speed))
        return out

    village_nodes, school_nodes = attach(vxy, "v"), attach(sxy, "s")
    reference = np.full(ours.shape, np.nan)
    for j, (school, school_off) in enumerate(school_nodes):
        lengths = nx.single_source_dijkstra_path_length(walk, school, weight="weight")
        for i, (village, village_off) in enumerate(village_nodes):
            if village in lengths:
                reference[i, j] = lengths[village] + village_off + school_off
    reference[reference > policy.max_minutes] = np.nan

    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    assert np.isfinite(ours).sum() > 250
    np.testing.assert_allclose(ours, reference, rtol=5e-3, atol=0.05)
    rel = np.abs(ours - reference)[np.isfinite(ours)] / reference[np.isfinite(ours)]
    assert np.median(rel) < 1e-3


def test_xml_bz2_and_pbf_read_the_same_way():
    data = read_osm(shared_file("osm", "liechtenstein", "liechtenstein-2015-walk.osm.bz2"))
    assert 50_000 < data.network.n_nodes < 60_000
    assert "cycleway" in set(data.network.seg_class)  # walkable unless foot=no


def test_not_an_osm_file(tmp_path):
    path = tmp_path / "roads.csv"
    path.write_text("a,b\n")
    with pytest.raises(ValidationError, match=r"'roads.csv' is not an OSM file"):
        read_osm(path)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dnot really a pbf")
    with pytest.raises(ValidationError, match=r"cannot read this OSM file"):
        planning.from_osm(broken)


@pytest.mark.parametrize(("tag", "expected"), [("5933", 5933), ("1,234", 1234), ("ca. 500", 500), ("unknown", None)])
def test_population_tags(tag, expected):
    value = parse_population(tag)
    assert (np.isnan(value) if expected is None else value == expected)
