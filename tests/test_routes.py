"""Walking routes along the roads (planning.routes): the maps, the printed map and the
GeoPackage draw the way pupils walk, not a straight line across a river."""

from __future__ import annotations

from unittest.mock import patch

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

import planning
from planning import Policy, Project, WalkNetwork
from planning.i18n import t
from planning.maps import result_layers, village_table
from planning.report import print_map, results_gpkg
from planning.routes import SIMPLIFY_M, routes_of, trip_lines
from planning.validation import validate_schools, validate_villages

from .helpers import CRS, X0, Y0, grades

M_PER_MIN = 4000 / 60  # 4 km/h


def _u_road() -> Project:
    """A river between a village and its school 200 m apart, one bridge 1 km upstream: the
    road runs 1,000 m up, 200 m across and 1,000 m down (2,200 m, 33 minutes on paper)."""
    road = shapely.LineString([(X0, Y0), (X0, Y0 + 1000), (X0 + 200, Y0 + 1000), (X0 + 200, Y0)])
    network = WalkNetwork.from_lines(gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[road], crs=CRS))
    villages = validate_villages(gpd.GeoDataFrame(
        [{"village_id": "V1", "name": "河西村", **grades(10)}, {"village_id": "V2", "name": "桥头村", **grades(10)}],
        geometry=gpd.points_from_xy([X0, X0 + 100], [Y0, Y0 + 1000]), crs=CRS))
    schools = validate_schools(gpd.GeoDataFrame(
        [{"school_id": "S1", "name": "河东小学", "type": "村完小", "capacity": 200}],
        geometry=gpd.points_from_xy([X0 + 200], [Y0]), crs=CRS))
    return Project(villages, schools, network, policy=Policy())


def test_a_route_follows_the_road_round_the_river_and_takes_the_matrix_minutes():
    project = _u_road()
    line, minutes, km = routes_of(project).route("V1", "S1")
    assert line.length == pytest.approx(2200.0, abs=1e-6)
    corners = {(round(x - X0), round(y - Y0)) for x, y in line.coords}
    assert corners == {(0, 0), (0, 1000), (200, 1000), (200, 0)}
    assert minutes == pytest.approx(2200 / M_PER_MIN) and km == pytest.approx(2.2)
    assert minutes == pytest.approx(project.travel_times().loc["V1", "S1"])
    half, half_minutes, _ = routes_of(project).route("V2", "S1")  # from the bridge: 100 m across, 1,000 m down
    assert half.length == pytest.approx(1100.0) and half_minutes == pytest.approx(1100 / M_PER_MIN)


def test_the_maps_and_the_printed_map_draw_the_route_not_the_straight_line(tmp_path):
    project = _u_road()
    result = planning.baseline(project)
    trips = trip_lines(project, village_table(project, result))
    assert trips["along_roads"].all() and trips.loc["V1"].geometry.length == pytest.approx(2200.0)
    (zoning,) = [group for group in result_layers(project, result) if group.layer_name == t("map.zoning", "zh")]
    (layer,) = [child for child in zoning._children.values() if hasattr(child, "data")]
    lines = {feature["properties"]["tip"].split(" → ")[0]: np.asarray(feature["geometry"]["coordinates"])
             for feature in layer.data["features"]}
    bends = np.asarray(gpd.GeoSeries(gpd.points_from_xy([X0, X0 + 200], [Y0 + 1000] * 2), crs=CRS).to_crs(4326)
                       .get_coordinates())
    np.testing.assert_allclose(lines["河西村"][1:3], bends, atol=1e-9)  # up to the bridge, across, down
    tips = [feature["properties"]["tip"] for feature in layer.data["features"]]
    assert "河西村 → 河东小学：沿道路步行 2.2 公里，33 分钟" in tips  # its length and minutes on the map
    assert trips.loc["V1", "route_km"] == pytest.approx(2.2)
    drawn: list[np.ndarray] = []
    real = Axes.add_collection

    def recording(ax, collection, *args, **kwargs):
        if isinstance(collection, LineCollection):
            drawn.extend(collection.get_segments())
        return real(ax, collection, *args, **kwargs)

    with patch.object(Axes, "add_collection", recording):
        print_map(project, tmp_path / "map.png", result=result, dpi=50)
    village_lines = [seg for seg in drawn if np.allclose(seg[0], (X0, Y0)) and np.allclose(seg[-1], (X0 + 200, Y0))]
    assert len(village_lines) == 1 and len(village_lines[0]) == 4  # V1's line: its road's four corners


def test_a_bus_line_follows_the_roads_it_drives_and_takes_the_ride_minutes():
    project = _u_road()
    project = project.with_policy(project.policy.with_limit(20))  # V1 walks 33 minutes: over the limit
    result = planning.Scenario(project, "bus").add_bus("S1", villages=["V1"]).evaluate()
    trips = trip_lines(project, village_table(project, result))
    assert trips.loc["V1", "mode"] == "bus" and trips.loc["V1", "along_roads"]
    assert trips.loc["V1"].geometry.length == pytest.approx(2200.0)  # round the river, not 200 m across it
    (zoning,) = [g for g in result_layers(project, result, lang="en") if g.layer_name == t("map.zoning", "en")]
    (layer,) = [child for child in zoning._children.values() if hasattr(child, "data")]
    tips = [feature["properties"]["tip"] for feature in layer.data["features"]]
    minutes = f"{project.bus_times[0, 0]:.0f}"
    walk = f"{result.villages.loc[('V1', 'primary'), 'road_walk_minutes']:.0f}"  # the walk to the pick-up, told too
    assert f"河西村 → 河东小学: {walk} min on foot to the bus stop, then 2.2 km by school bus, {minutes} min" in tips
    ride = project.bus_times[0, 0]
    assert trips.loc["V1", "route_minutes"] == pytest.approx(ride)
    assert ride == pytest.approx(2.2 / project.policy.bus_speed_kmh * 60)
    assert trips.loc["V2", "mode"] == "walk" and trips.loc["V2", "along_roads"]


def test_boarders_keep_a_straight_line(demo):
    """Boarders and pupils without a place keep a straight line; its tooltip says which."""
    trips = trip_lines(demo, village_table(demo))
    boarders = trips[trips["mode"] == "board"]
    assert len(boarders) > 0 and not boarders["along_roads"].any()
    assert all(len(line.coords) == 2 for line in boarders.geometry) and boarders["route_minutes"].isna().all()
    assert trips.loc[trips["mode"] == "walk", "along_roads"].all()
    plan = planning.Scenario(demo, "merge").merge("S08", into="S04").evaluate()  # 溪口村: unserved and boarding
    (zoning,) = [g for g in result_layers(demo, plan) if g.layer_name == t("map.zoning", "zh")]
    (layer,) = [child for child in zoning._children.values() if hasattr(child, "data")]
    tips = [f["properties"]["tip"] for f in layer.data["features"]]
    row = plan.villages.xs("primary", level="level")
    xikou = row[row["name"] == "溪口村"].iloc[0]
    assert xikou["main_mode"] == "unserved" and xikou["unserved"] == 44 and xikou["board"] == 37
    assert "溪口村 → 石门村完小：44 名学生无学位" in tips  # not a bare line, as if it were zoned there
    boarding = [tip for tip in tips if tip.endswith("：寄宿")]
    assert boarding


def test_the_geopackage_has_each_plans_trips(demo, tmp_path):
    result = planning.Scenario(demo, "撤并为5所").close("S08").evaluate()
    path = results_gpkg(demo, [result], tmp_path / "plans.gpkg")
    assert dict(pyogrio.list_layers(path))["撤并为5所_trips"] == "LineString"
    trips = pyogrio.read_dataframe(path, layer="撤并为5所_trips")
    rows = result.villages.reset_index()
    rows = rows[rows["school"].isin(demo.target_points.index)]
    assert len(trips) == len(rows)  # one line per village and level with a school
    walking = trips[trips["along_roads"].astype(bool) & (trips["mode"] == "walk")]
    assert len(walking) > 0
    minutes = result.villages["minutes"]
    for _, trip in walking.iterrows():
        assert trip["route_minutes"] == pytest.approx(minutes.loc[(trip["village_id"], trip["level"])], abs=1e-6)


def test_routes_on_real_roads_take_the_matrix_minutes_and_stay_on_the_roads(liechtenstein):
    """Every walking village of a real OpenStreetMap county: the route (segment graph) takes
    the minutes of the matrix (contracted graph), starts at the village, ends at the
    school, and between its off-road legs never leaves the roads by more than SIMPLIFY_M."""
    project = liechtenstein
    trips = trip_lines(project, village_table(project))
    walking = trips[trips["along_roads"]]
    assert len(walking) >= 8
    matrix = project.travel_times()
    expected = np.array([matrix.loc[v, s] for v, s in zip(walking.index, walking["school"], strict=True)])
    np.testing.assert_allclose(walking["route_minutes"].to_numpy(), expected, rtol=1e-9, atol=1e-9)
    roads = shapely.union_all(project.network.to_gdf().geometry.to_numpy())
    village_xy = project.xy(project.villages.loc[walking.index])
    school_xy = project.xy(project.target_points.loc[walking["school"].to_numpy()])
    for line, start, end in zip(walking.geometry, village_xy, school_xy, strict=True):
        xy = np.asarray(line.coords)
        np.testing.assert_allclose(xy[0], start)
        np.testing.assert_allclose(xy[-1], end)
        inner = shapely.points(xy[1:-1])
        assert shapely.distance(inner, roads).max() <= SIMPLIFY_M + 1e-6
    buses = routes_of(project, "bus")  # the bus's routes take project.bus_times' ride minutes
    rides = project.bus_times
    for i, k in [(0, 0), (3, 5), (7, 11), (12, 2), (18, 17)]:
        line, minutes, _ = buses.route(project.villages.index[i], project.target_points.index[k])
        if np.isnan(rides[i, k]):
            assert line is None
        else:
            assert minutes == pytest.approx(rides[i, k], rel=1e-9) and line.length > 0


def test_an_edit_routes_only_the_villages_whose_school_changed(monkeypatch):
    import planning.routes as routes

    demo = planning.demo()  # a project of its own: no routes found by other tests

    calls = []
    real = routes.dijkstra
    monkeypatch.setattr(routes, "dijkstra", lambda *a, **k: calls.append(len(k["indices"])) or real(*a, **k))
    today = planning.baseline(demo)
    trip_lines(demo, village_table(demo, today))
    before = sum(calls)
    assert before > 0
    trip_lines(demo, village_table(demo, today))
    assert sum(calls) == before  # routes kept with the project
    plan = planning.Scenario(demo, "plan").close("S03").evaluate()  # two villages walk to another school
    after = village_table(demo, plan)
    trip_lines(demo, after)
    was = village_table(demo, today)
    changed = (after["school"] != was["school"]) | (after["main_mode"] != was["main_mode"])
    moved = after[changed & after["main_mode"].isin(["walk", "bus"])]
    assert len(moved) > 0
    searched = len(moved[["main_mode", "school"]].drop_duplicates())
    assert sum(calls) - before == searched  # one search per school they now walk or ride to


def test_the_table_under_the_map_gives_each_trips_length_by_road(demo):
    """The villages' table under the map: km along the roads (the walk, or the bus ride), as
    the map draws it; none for boarders and pupils without a place."""
    from planning import app as logic

    plan = planning.Scenario(demo, "plan").close("S08").evaluate()
    rows = logic.village_rows(plan, "primary")
    trips = trip_lines(demo, village_table(demo, plan))
    on_roads = rows["mode"].isin(["walk", "bus"]) & rows.index.isin(trips.index[trips["along_roads"]])
    assert on_roads.sum() >= 10
    np.testing.assert_allclose(rows.loc[on_roads, "route_km"], trips.loc[rows.index[on_roads], "route_km"], atol=0.005)
    assert rows.loc[~rows["mode"].isin(["walk", "bus"]), "route_km"].isna().all()
    assert rows.loc["V01", "route_km"] == pytest.approx(trips.loc["V01"].geometry.length / 1000, abs=0.005)


def test_a_village_that_rides_to_one_school_and_walks_to_its_main_one_is_drawn_walking():
    """Under a 20-minute limit with a bus for 龙潭村 (V10) to S06, its grades 1–3 walk to the
    teaching point S12 (its main school) and grades 4–6 ride: the line to S12 is a walk (the
    village's mode, the worst of its trips, says bus)."""
    demo = planning.demo()
    project = demo.with_policy(demo.policy.with_limit(20))
    result = planning.Scenario(project, "bus").add_bus("S06", villages=["V10"]).evaluate()
    row = result.villages.loc[("V10", "primary")]
    assert row["school"] == "S12" and row["mode"] == "bus" and row["main_mode"] == "walk"
    flows = result.tables["flows"]
    here = flows[flows["village"] == project.villages.index.get_loc("V10")]
    assert set(here.loc[here["school_id"] == "S12", "mode"].astype(str)) == {"walk"}  # as the flows have it
    trips = trip_lines(project, village_table(project, result))
    assert trips.loc["V10", "mode"] == "walk" and trips.loc["V10", "along_roads"]
    assert trips.loc["V10", "route_minutes"] == pytest.approx(project.travel_times().loc["V10", "S12"])
    (zoning,) = [g for g in result_layers(project, result, lang="en") if g.layer_name == t("map.zoning", "en")]
    (layer,) = [child for child in zoning._children.values() if hasattr(child, "data")]
    tips = [f["properties"]["tip"] for f in layer.data["features"] if "Longtan" in f["properties"]["tip"]]
    assert len(tips) == 1 and "on foot" in tips[0] and "bus" not in tips[0]


def test_a_bus_rides_km_are_the_roads_it_drives_not_the_walk_to_the_pick_up():
    """A footpath 600 m from the village to a road, then 3,000 m along it to the school: the
    ride is 3.0 km at the bus speed (the line drawn starts at the village)."""
    roads = gpd.GeoDataFrame({"highway": ["path", "residential"]}, geometry=[
        shapely.LineString([(X0, Y0), (X0, Y0 + 600)]),
        shapely.LineString([(X0, Y0 + 600), (X0 + 3000, Y0 + 600)])], crs=CRS)
    villages = validate_villages(gpd.GeoDataFrame([{"village_id": "V1", "name": "V1", **grades(10)}],
                                                  geometry=gpd.points_from_xy([X0], [Y0]), crs=CRS))
    schools = validate_schools(gpd.GeoDataFrame(
        [{"school_id": "S1", "name": "S1", "type": "村完小", "capacity": 200}],
        geometry=gpd.points_from_xy([X0 + 3000], [Y0 + 600]), crs=CRS))
    project = Project(villages, schools, WalkNetwork.from_lines(roads), policy=Policy().with_limit(20))
    result = planning.Scenario(project, "bus").add_bus("S1", villages=["V1"]).evaluate()
    trips = trip_lines(project, village_table(project, result))
    assert trips.loc["V1", "mode"] == "bus"
    assert trips.loc["V1", "route_km"] == pytest.approx(3.0, abs=1e-6)
    assert trips.loc["V1", "route_minutes"] == pytest.approx(3.0 / project.policy.bus_speed_kmh * 60)
    assert trips.loc["V1"].geometry.length == pytest.approx(3600.0)  # drawn from the village


def test_routes_go_with_the_travel_times_to_another_years_pupils():
    """A later year's project (same villages, schools and roads) shares the routes found,
    so the app does not route every village again on each rerun; other walking speeds do not."""
    from planning import app as logic

    demo = planning.demo()
    walks, rides = routes_of(demo), routes_of(demo, "bus")
    forecast = logic.app_forecast(demo)
    later = demo.in_year(forecast, forecast.years[3])
    assert routes_of(later) is walks and routes_of(later, "bus") is rides
    assert routes_of(demo.with_villages(later.villages)) is walks  # same points
    slower = demo.with_policy(demo.policy.model_copy(update={"walk_speed_kmh": 3.0}))
    assert routes_of(slower) is not walks


def test_a_trip_of_seconds_is_not_shown_as_zero_minutes():
    road = shapely.LineString([(X0, Y0), (X0 + 500, Y0)])
    network = WalkNetwork.from_lines(gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[road], crs=CRS))
    villages = validate_villages(gpd.GeoDataFrame([{"village_id": "V1", "name": "河西村", **grades(10)}],
                                                  geometry=gpd.points_from_xy([X0], [Y0]), crs=CRS))
    schools = validate_schools(gpd.GeoDataFrame(
        [{"school_id": "S1", "name": "河东小学", "type": "村完小", "capacity": 200}],
        geometry=gpd.points_from_xy([X0 + 20], [Y0]), crs=CRS))
    project = Project(villages, schools, network, policy=Policy())
    (zoning,) = [g for g in result_layers(project, planning.baseline(project)) if g.layer_name == t("map.zoning", "zh")]
    (layer,) = [child for child in zoning._children.values() if hasattr(child, "data")]
    assert [f["properties"]["tip"] for f in layer.data["features"]] == ["河西村 → 河东小学：沿道路步行 0.02 公里，&lt;1 分钟"]  # html


def test_the_table_under_the_map_writes_km_to_two_places(demo):
    """The km column read 0.460, 2.0 and 1.9 side by side (the table's figures were not told
    which are km); minutes keep one decimal."""
    import re

    from planning import app as logic
    from planning.i18n import field

    plan = planning.Scenario(demo, "plan").close("S08").evaluate()
    rows = logic.village_rows(plan, "primary")
    shown = logic.shown_table(rows, "zh")
    km = shown[field("route_km", "zh")]
    assert km[km != ""].map(lambda s: re.fullmatch(r"\d+\.\d\d", s) is not None).all() and (km != "").sum() >= 10
    assert km[rows["route_km"].isna().to_numpy()].eq("").all()
    minutes = shown[field("minutes", "zh")]
    assert minutes[minutes != ""].map(lambda s: re.fullmatch(r"[\d,]+\.\d", s) is not None).all()
