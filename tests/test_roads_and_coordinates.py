"""Distances and roads that were silently wrong, and Chinese surveying coordinates (issue 15).

Every road here runs east from (X0, Y0) in UTM zone 49N, at 28°N (a county of Hunan): at
4 km/h 1 km of flat road is 15 minutes. Files are written in tmp_path as a county would send
them (GeoPackage or Shapefile roads in degrees, Web Mercator or metres; CSV tables with
lon/lat or surveyors' X/Y) and read through the public entry points.
"""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer

import planning
from planning import Policy, ValidationError, WalkNetwork
from planning.cli import main
from planning.io import MAX_SCALE_ERROR, gauss_kruger_zone, metric_crs_for, read_table
from planning.network import road_class
from planning.traveltime import travel_time_matrix

UTM = "EPSG:32649"
X0, Y0 = 500_000.0, 3_100_000.0  # 111°E, 28.0°N
TO_DEGREES = Transformer.from_crs(UTM, 4326, always_xy=True)


def flat_minutes(metres: float) -> float:
    """Minutes to walk ``metres`` of flat road at 4 km/h (66.67 m a minute)."""
    return metres / (4000 / 60)


def line(*points: tuple[float, ...], step: float = 100.0) -> shapely.LineString:
    """A line through points (metres from X0, Y0; a third value is the elevation), with a
    vertex every ``step`` metres, so that it stays the same road in any CRS."""
    return shapely.segmentize(shapely.LineString([(X0 + p[0], Y0 + p[1], *p[2:]) for p in points]), step)


def lonlat(x: float, y: float = 0.0) -> tuple[float, float]:
    lon, lat = TO_DEGREES.transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


def tables(tmp_path, villages: dict[str, float], schools: dict[str, float]) -> dict[str, str]:
    """Villages (10 primary pupils each) and village primaries at x metres along the road, as
    CSV files with lon/lat (WGS84)."""
    rows = [f"{vid},{vid}村,{lon:.9f},{lat:.9f},10,0" for vid, x in villages.items() for lon, lat in [lonlat(x)]]
    (tmp_path / "villages.csv").write_text("村编号,村名,经度,纬度,小学生数,初中生数\n" + "\n".join(rows) + "\n",
                                           encoding="utf-8")
    rows = [f"{sid},{sid}小学,村小,{lon:.9f},{lat:.9f},100" for sid, x in schools.items() for lon, lat in [lonlat(x)]]
    (tmp_path / "schools.csv").write_text("学校编号,学校名称,学校类型,经度,纬度,学位数\n" + "\n".join(rows) + "\n",
                                          encoding="utf-8")
    return {"villages": str(tmp_path / "villages.csv"), "schools": str(tmp_path / "schools.csv")}


def quietly(load, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planning.DataWarning)
        return load(*args, **kwargs)


def walks(project: planning.Project) -> dict[str, float]:
    return planning.walk_check(project)["primary_minutes"].round(3).to_dict()


# ---------------------------------------------------------------------- lengths in metres on the ground
@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857", UTM, "EPSG:4546"])
def test_the_same_road_in_degrees_web_mercator_or_metres_gives_the_same_minutes(tmp_path, crs):
    """A 3 km village road; villages at 0 and 1.5 km, a school at 3 km: 45 and 22.5 minutes in
    every CRS (EPSG:4546 is CGCS2000 3-degree Gauss–Krüger, CM 111°E). In Web Mercator the road
    was measured 1/cos 28° = 13.3 % long: 51.0 and 25.5 minutes."""
    roads = gpd.GeoDataFrame({"道路等级": ["村道"]}, geometry=[line((0, 0), (3000, 0))], crs=UTM).to_crs(crs)
    roads.to_file(tmp_path / "roads.gpkg")
    project = quietly(planning.from_files, **tables(tmp_path, {"A": 0, "B": 1500}, {"S": 3000}),
                      roads=tmp_path / "roads.gpkg")
    got = walks(project)
    assert got["A"] == pytest.approx(flat_minutes(3000), rel=1e-3) == pytest.approx(45.0, rel=1e-3)
    assert got["B"] == pytest.approx(flat_minutes(1500), rel=1e-3)
    assert project.network.summary()["km"] == pytest.approx(3.0, abs=0.01)


def test_a_projected_crs_is_kept_only_when_its_metres_are_metres_on_the_ground():
    road = gpd.GeoDataFrame(geometry=[line((0, 0), (3000, 0))], crs=UTM)
    assert metric_crs_for(road) == CRS(UTM)
    assert metric_crs_for(road.to_crs(4546)) == CRS(4546)  # Gauss–Krüger, true to scale within 0.1 %
    assert metric_crs_for(road.to_crs(4326)) == CRS(UTM)
    assert metric_crs_for(road.to_crs(3857)) == CRS(UTM)  # 13.3 % off at 28°N
    feet = CRS("+proj=tmerc +lon_0=111 +k=1 +x_0=500000 +units=us-ft +ellps=GRS80")
    assert metric_crs_for(road.to_crs(feet)) == CRS(UTM)
    assert MAX_SCALE_ERROR == 0.001


def test_tables_in_another_crs_than_the_roads_load(tmp_path):
    """Village and school x/y in CGCS2000 Gauss–Krüger (crs=EPSG:4546) beside a road layer that
    says it is in UTM: crs= is for the tables that do not say; it was refused ("the file says
    its CRS is EPSG:32649 but crs='EPSG:4546' was passed; drop crs=..."), while without it the
    tables had no CRS at all."""
    gpd.GeoDataFrame({"道路等级": ["村道"]}, geometry=[line((0, 0), (3000, 0))], crs=UTM).to_file(tmp_path / "r.gpkg")
    to_gk = Transformer.from_crs(UTM, 4546, always_xy=True)
    (tmp_path / "v.csv").write_text("村编号,村名,x,y,小学生数,初中生数\n" + "\n".join(
        f"{vid},{vid}村,{gx:.3f},{gy:.3f},10,0" for vid, x in (("A", 0), ("B", 1500))
        for gx, gy in [to_gk.transform(X0 + x, Y0)]) + "\n", encoding="utf-8")
    gx, gy = to_gk.transform(X0 + 3000, Y0)
    (tmp_path / "s.csv").write_text(f"学校编号,学校名称,学校类型,x,y\nS,S小学,村小,{gx:.3f},{gy:.3f}\n", encoding="utf-8")
    project = quietly(planning.from_files, tmp_path / "v.csv", tmp_path / "s.csv", roads=tmp_path / "r.gpkg",
                      crs="EPSG:4546")
    assert project.network.crs == CRS(UTM)
    assert walks(project) == pytest.approx({"A": 45.0, "B": 22.5}, rel=1e-3)


def test_points_in_the_wrong_crs_are_a_message_naming_the_rows_not_a_numpy_error(tmp_path):
    """Eastings without a zone number read as EPSG:4525 (zone 37, which expects 37 500 000):
    every point fell nowhere and the walk check failed with "operands could not be broadcast
    together with shapes (2,2) (0,2)"."""
    path = tmp_path / "v.csv"
    path.write_text(f"村编号,村名,x,y,小学生数\nA,甲村,{X0:.1f},{Y0:.1f},10\nB,乙村,{X0 + 10:.1f},{Y0:.1f},10\n",
                    encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        read_table(path, crs="EPSG:4525")
    assert info.value.text("en") == (
        f"{path}: 2 of 2 rows (row 2, row 3) have x/y outside the area of EPSG:4525, China - onshore between "
        "109°30'E and 112°30'E (109.5–112.5°E, 18.11–45.11°N), with the columns either way round; check the "
        "coordinate system (--crs on the command line, crs=... in Python) and these columns")
    assert info.value.text("zh").startswith(f"{path}：2 行中有 2 行（第 2 行，第 3 行）的 x/y 不在坐标系 EPSG:4525 的适用范围")


def test_a_geopackage_of_points_nowhere_on_earth_names_its_features(tmp_path):
    """A points layer whose file states the wrong CRS (the metres of a prefixed zone): each
    point is named, where the walk check failed inside numpy."""
    points = gpd.GeoDataFrame({"村编号": ["A"], "村名": ["甲村"], "小学生数": [10], "初中生数": [5]},
                              geometry=[shapely.Point(X0 - 37_500_000, Y0)], crs="EPSG:4525")
    points.to_file(tmp_path / "v.gpkg")
    with pytest.raises(ValidationError) as info:
        planning.validation.validate_villages(read_table(tmp_path / "v.gpkg"), source="v.gpkg")
    assert info.value.text("en") == ("v.gpkg: feature 1: in its coordinate system EPSG:4525 this location is nowhere "
                                     "on earth; check the file's coordinate system")
    assert info.value.text("zh") == "v.gpkg：第 1 个要素：在其坐标系 EPSG:4525 中，这个位置不在地球上的任何地方；请核对文件的坐标系"


# ---------------------------------------------------------------------- Gauss–Krüger x/y
def gk_table(tmp_path, *, x_is_northing: bool = True) -> tuple[str, list[tuple[float, float]]]:
    """Two villages in CGCS2000 3-degree zone 37 (EPSG:4525: 37 before the easting), written as
    surveyors write them (X the northing, Y the easting); and their lon/lat."""
    to_gk = Transformer.from_crs(UTM, 4525, always_xy=True)
    rows, degrees = [], []
    for vid, x in (("A", 0.0), ("B", 1500.0)):
        east, north = to_gk.transform(X0 + x, Y0)
        first, second = (north, east) if x_is_northing else (east, north)
        rows.append(f"{vid},{vid}村,{first:.3f},{second:.3f},10")
        degrees.append(lonlat(x))
    path = tmp_path / "villages_gk.csv"
    path.write_text("村编号,村名,X,Y,小学生数\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path), degrees


def test_surveyors_x_northing_y_easting_with_the_zone_number_are_read_with_a_note(tmp_path):
    """X = 3 100 000 (northing), Y = 37 500 000 (zone 37, easting 500 000) with crs=EPSG:4525:
    read as Y easting, X northing. Before, X was taken as the easting: every point at infinity,
    and the walk check failed with a numpy broadcast error."""
    path, degrees = gk_table(tmp_path)
    with pytest.warns(planning.DataWarning) as caught:
        table = read_table(path, crs="EPSG:4525")
    got = table.to_crs(4326).geometry
    np.testing.assert_allclose(np.c_[got.x, got.y], degrees, atol=1e-7)
    (note,) = [w.message for w in caught]
    assert note.text("en") == (f"{path}: X/Y hold the northing/easting, as surveyors write them (Gauss–Krüger: "
                               "X is the northing); read Y as the easting and X as the northing (EPSG:4525)")
    assert note.text("zh") == (f"{path}：X/Y 按测量习惯是北坐标/东坐标（高斯-克吕格：X 为北坐标）；已将 Y 作为东坐标、"
                               "X 作为北坐标读取（坐标系 EPSG:4525）")
    easting_first, _ = gk_table(tmp_path, x_is_northing=False)
    got = read_table(easting_first, crs="EPSG:4525").to_crs(4326).geometry  # as written: no note, same places
    np.testing.assert_allclose(np.c_[got.x, got.y], degrees, atol=1e-7)


def test_gauss_kruger_coordinates_without_a_crs_say_which_epsg_to_give(tmp_path):
    path, _ = gk_table(tmp_path)
    with pytest.raises(ValidationError) as info:
        read_table(path)
    en, zh = info.value.lines("en"), info.value.lines("zh")
    assert en[1] == ("Y holds the zone number 37 before the easting: Gauss–Krüger coordinates of 3-degree zone 37 "
                     "(central meridian 111°E); as surveyors write them, X is the northing and Y the easting, and "
                     "they are read so once the coordinate system is given. State their coordinate system: "
                     "EPSG:4525 for CGCS2000, EPSG:2361 for Xi'an 1980, EPSG:2413 for Beijing 1954 (--crs on the "
                     "command line, crs=... in Python)")
    assert zh[1].startswith("Y 列在东坐标前带有带号 37：这是高斯-克吕格 3 度带第 37 带（中央经线 111°E）的坐标")
    assert "CGCS2000 为 EPSG:4525，西安 1980 为 EPSG:2361，北京 1954 为 EPSG:2413" in zh[1]
    for code, name in ((4525, "CGCS2000 / 3-degree Gauss-Kruger zone 37"), (2361, "Xian 1980 / 3-degree Gauss-Kruger "
                       "zone 37"), (2413, "Beijing 1954 / 3-degree Gauss-Kruger zone 37"), (4527, "CGCS2000 / 3-degree "
                       "Gauss-Kruger zone 39"), (4497, "CGCS2000 / Gauss-Kruger zone 19")):
        assert CRS.from_epsg(code).name == name  # the codes the message computes name those zones
    assert gauss_kruger_zone([39_412_345.6, 39_587_000.0]) == (3, 39)
    assert gauss_kruger_zone([19_500_000.0]) == (6, 19)
    assert gauss_kruger_zone([500_000.0, 412_000.0]) is None and gauss_kruger_zone([3_100_000.0]) is None


# ---------------------------------------------------------------------- road classes
def detour_roads(label: str, *, column: str = "道路等级", other: str = "村道") -> gpd.GeoDataFrame:
    """A 2 km road labelled ``label`` straight from village A (x = 0) to the school (x = 2 km),
    and a 4 km village road around it (1 km north, 2 km east, 1 km south)."""
    return gpd.GeoDataFrame({column: [label, other]},
                            geometry=[line((0, 0), (2000, 0)), line((0, 0), (0, 1000), (2000, 1000), (2000, 0))],
                            crs=UTM)


def walk_a_to_school(roads: gpd.GeoDataFrame, *, policy: Policy | None = None) -> float:
    network = quietly(WalkNetwork.from_lines, roads, policy=policy)
    return float(travel_time_matrix(network, np.array([[X0, Y0]]), np.array([[X0 + 2000, Y0]]),
                                    policy=policy or Policy(), use_cache=False).minutes[0, 0])


@pytest.mark.parametrize(("label", "column"), [
    ("高速公路", "公路等级"), ("高速路", "道路等级"), ("G55二广高速", "道路等级"), ("G55", "道路等级"), ("G4501", "等级"),
    ("S1", "类型"), ("Expressway", "fclass"), ("Motorway", "CLASS"), ("高速", "RDLEVEL"),
])
def test_an_expressway_between_village_and_school_is_never_walked(label, column):
    """Walked, the expressway is 2 km: 30 minutes; left out, the village road is 4 km: 60.
    Every one of these was walked: the county's own label (高速路, G55二广高速, G55 a national
    expressway by its number) or a class column of a name not looked for (公路等级, CLASS)."""
    roads = detour_roads(label, column=column)
    assert walk_a_to_school(roads) == pytest.approx(flat_minutes(4000)) == pytest.approx(60.0)
    walked = Policy.from_dict({"walk_expressways": True})
    assert walk_a_to_school(roads, policy=walked) == pytest.approx(flat_minutes(2000)) == pytest.approx(30.0)


def test_an_expressway_in_a_layer_without_a_class_column_is_left_out_by_its_name():
    roads = detour_roads("二广高速", column="名称", other="张家村路")
    with pytest.warns(planning.DataWarning) as caught:
        network = WalkNetwork.from_lines(roads, source="roads.gpkg")
    assert network.class_column is None and network.seg_class.tolist() == ["road"] * network.n_segments
    named, missing = [w.message for w in caught]
    assert named.text("en") == ("roads.gpkg: 1 road lines without a known class are named as expressways in 名称 "
                                "(二广高速): taken as expressways, not walked")
    assert named.text("zh") == "roads.gpkg：1 条未注明等级的道路，其 名称 表明是高速公路（二广高速），按高速公路计算，不步行"
    assert missing.text("en").startswith("roads.gpkg: the road layer has no road-class column (looked for highway, "
                                         "fclass, road_class, roadclass, class, 道路等级, 公路等级, 行政等级 and 14 more)")
    assert missing.text("zh").startswith("roads.gpkg：道路图层没有道路等级列（查找过 highway，fclass")
    assert walk_a_to_school(roads) == pytest.approx(60.0)


def test_labels_not_recognised_are_listed_with_how_they_were_treated():
    roads = gpd.GeoDataFrame({"道路等级": ["大路", "大路", "Hauptstrasse", None, "村道"]},
                             geometry=[line((0, i * 100), (1000, i * 100)) for i in range(5)], crs=UTM)
    with pytest.warns(planning.DataWarning) as caught:
        network = WalkNetwork.from_lines(roads, source="roads.gpkg")
    (note,) = [w.message for w in caught]
    assert note.text("en") == (
        "roads.gpkg: 4 road lines have labels in column 道路等级 not recognised as road classes: 大路 (2 lines), "
        "Hauptstrasse (1 lines), (empty) (1 lines); they are taken as ordinary roads (walked at the walking speed, "
        "driven by school buses). Name any pedestrians may not use (an expressway) in the policy's "
        "excluded_classes; set walking speed factors with class_factors")
    assert note.text("zh") == (
        "roads.gpkg：列 道路等级 中有 4 条道路的等级无法识别：大路（2 条），Hauptstrasse（1 条），（空）（1 条）；"
        "这些道路按普通道路计算（按步行速度步行，校车可走）。其中若有高速公路等行人不能走的道路，请在政策的 "
        "excluded_classes 中列出；步行速度系数用 class_factors 设置")
    assert sorted(set(network.seg_class)) == ["Hauptstrasse", "road", "大路", "村道"]
    assert network.class_column == "道路等级"


def test_a_class_column_of_an_unknown_name_is_found_by_its_labels():
    roads = detour_roads("G55二广高速", column="RDGRADE")
    with pytest.warns(planning.DataWarning, match="road classes read from column RDGRADE"):
        network = WalkNetwork.from_lines(roads)
    assert network.class_column == "RDGRADE" and set(network.seg_class) == {"村道"}


def test_road_labels_of_chinese_layers_are_read_as_their_classes():
    """Route codes after GB/T 917-2017: G/S with 1, 2 or 4 digits are expressways, with 3
    digits ordinary national or provincial roads; X county, Y township, C village roads."""
    expected = {
        "高速公路": "高速公路", "高速路": "高速公路", "G55二广高速": "高速公路", "G55": "高速公路", "g4501": "高速公路",
        "Expressway": "expressway", "motorway": "motorway", "MOTORWAY": "motorway", "freeway": "expressway",
        "国道": "国道", "G207": "国道", "207国道": "国道", "S231": "省道", "省道": "省道", "X012": "县道", "县道": "县道",
        "Y003": "乡道", "乡道": "乡道", "C101": "村道", "村道": "村道", "通村公路": "村道", "机耕路": "机耕路",
        "机耕道": "机耕路", "山路": "山路", "步道": "步道", "游步道": "步道", "二级公路": "road", "track_grade3": "track",
        "residential": "residential", "Ｇ５５": "高速公路", " 县道 ": "县道",
        "大路": None, "Hauptstrasse": None, "": None, None: None, 7: None,
    }
    assert {label: road_class(label) for label in expected} == expected
    own = Policy.from_dict({"class_factors": {"林道": 0.8}})
    assert road_class("林道") is None and road_class("林道", policy=own) == "林道"


# ---------------------------------------------------------------------- walking limits and speeds
@pytest.mark.parametrize(("setting", "value", "en", "zh"), [
    ("walk_limit_minutes", 0, "walk_limit_minutes.primary: a walking limit must be 5 to 180 minutes (given 0); a "
     "limit of a few minutes reaches no school, one over 3 hours is no walk for a child",
     "walk_limit_minutes.primary：步行时限应在 5 至 180 分钟之间（给出的是 0）；几分钟的时限到不了任何学校，超过 3 小时则不是儿童能走的路"),
    ("walk_speed_kmh", 40, "walk_speed_kmh: a walking speed must be 1 to 8 km/h (given 40); children walk about 3–5 "
     "km/h on flat road", "walk_speed_kmh：步行速度应在 1 至 8 公里/小时之间（给出的是 40）；儿童平路步行约 3–5 公里/小时"),
    ("bus_speed_kmh", 200, "bus_speed_kmh: a school-bus speed must be 5 to 80 km/h (given 200)",
     "bus_speed_kmh：校车速度应在 5 至 80 公里/小时之间（给出的是 200）"),
])
def test_a_policy_refuses_limits_and_speeds_outside_their_sensible_range(setting, value, en, zh):
    with pytest.raises(ValidationError) as info:
        Policy.from_dict({setting: value})
    lines = {lang: info.value.lines(lang) for lang in ("en", "zh")}
    assert lines["en"][0] == en and lines["zh"][0] == zh


def test_the_ends_of_the_sensible_ranges_are_allowed():
    policy = Policy.from_dict({"walk_limit_minutes": {"primary": 5, "junior": 180}, "walk_speed_kmh": 1,
                               "bus_speed_kmh": 80})
    assert (policy.limit("primary"), policy.limit("junior"), policy.walk_speed_kmh) == (5, 180, 1)
    assert Policy().with_limit(8).limit("junior") == 8 and Policy.from_dict({"walk_speed_kmh": 8}).walk_speed_kmh == 8
    with pytest.raises(ValidationError, match="given 1"):
        Policy().with_limit(1)
    assert planning.demo().with_policy(Policy(bus_speed_kmh=60)).bus_times is not None  # the bus's routing copy


@pytest.mark.parametrize(("command", "lang", "message"), [
    (["check", "--demo", "--limit", "0"], "en", "error: --limit: a walking limit must be 5 to 180 minutes (given 0)"),
    (["check", "--demo", "--limit", "0"], "zh", "错误：--limit：步行时限应在 5 至 180 分钟之间（给出的是 0）"),
    (["optimise", "--demo", "--limit", "1"], "en", "error: --limit: a walking limit must be 5 to 180 minutes (given 1)"),
    (["optimise", "--demo", "--goal", "least_cost", "--tradeoff", "--limits", "30", "400"], "zh",
     "错误：--limits：步行时限应在 5 至 180 分钟之间（给出的是 400）"),
])
def test_the_command_line_refuses_a_walking_limit_outside_the_range(tmp_path, capsys, command, lang, message):
    """`planning optimise --limit 1` answered "Optimal, objective 0, 2 schools"; `check --limit 0`
    listed every village as beyond the limit."""
    assert main([*command, "--lang", lang, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(message)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------- elevation no-data
@pytest.mark.parametrize("nodata", [-9999.0, -32768.0, -3.4028235e38])
def test_elevation_no_data_markers_are_not_heights(nodata):
    """A 2 km road at 300 m whose second and fourth vertices hold a no-data marker: the marker
    was a 10 km drop (every walk NaN or hours); now the stretch between known heights is flat,
    30 minutes each way."""
    roads = gpd.GeoDataFrame({"highway": ["residential"]}, crs=UTM, geometry=[shapely.LineString(
        [(X0, Y0, 300.0), (X0 + 500, Y0, nodata), (X0 + 1000, Y0, 300.0), (X0 + 1500, Y0, nodata), (X0 + 2000, Y0, 300.0)])])
    with pytest.warns(planning.DataWarning) as caught:
        network = WalkNetwork.from_lines(roads, source="roads.gpkg")
    a, b = np.array([[X0, Y0]]), np.array([[X0 + 2000, Y0]])
    for start, end in ((a, b), (b, a)):
        got = travel_time_matrix(network, start, end, policy=Policy(), use_cache=False).minutes[0, 0]
        assert got == pytest.approx(flat_minutes(2000)) == pytest.approx(30.0)
    note = next(w.message for w in caught if "no-data" in str(w.message))
    assert note.text("en") == (f"roads.gpkg: 2 vertices of 1 road lines have elevations outside -500 to 9000 m "
                               f"({nodata:g}): no-data markers, not heights; taken as unknown, no slope is worked out "
                               "from them")
    assert note.text("zh").startswith(f"roads.gpkg：1 条道路的 2 个顶点高程不在 -500 至 9000 米之间（{nodata:g}）")


def test_a_layer_whose_every_elevation_is_no_data_has_none():
    """Two markers, -9999 and -32768, made a 22.8 km drop along 1 km of road."""
    roads = gpd.GeoDataFrame({"highway": ["residential"]}, crs=UTM,
                             geometry=[line((0, 0, -9999.0), (1000, 0, -32768.0))])
    network = quietly(WalkNetwork.from_lines, roads)
    assert network.node_z is None and not network.summary()["has_elevation"]


# ---------------------------------------------------------------------- Shapefile text
def shapefile(tmp_path, name: str, encoding: str, *, cpg: bool = True) -> str:
    """The detour roads (高速公路 straight, 村道 around) as a Shapefile with Chinese field names
    and text, written in ``encoding``; without its .cpg file when ``cpg`` is False."""
    roads = detour_roads("高速公路").assign(名称=["二广高速", "张家村路"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL says it cut the field names
        roads.to_file(tmp_path / f"{name}.shp", encoding=encoding)
    if not cpg:
        os.remove(tmp_path / f"{name}.cpg")
    return str(tmp_path / f"{name}.shp")


def test_a_gbk_shapefile_without_cpg_is_read_as_gbk(tmp_path):
    """GDAL reads a .dbf without .cpg as Latin-1: 道路等级 became 'µÀÂ·µÈ¼¶', the class column
    was not found and the expressway was walked."""
    path = shapefile(tmp_path, "gbk", "GBK", cpg=False)
    with pytest.warns(planning.DataWarning) as caught:
        roads = read_table(path, limit_rows=False)
    assert list(roads.columns[:2]) == ["道路等级", "名称"] and roads["名称"].tolist() == ["二广高速", "张家村路"]
    (note,) = [w.message for w in caught]
    assert note.text("en") == ("gbk.shp: the Shapefile has no .cpg file saying its text encoding and read as garbage; "
                               "read again as GB18030. Check its text, or put a .cpg file holding GB18030 beside the "
                               ".shp (or give --encoding)")
    assert note.text("zh").startswith("gbk.shp：Shapefile 没有说明文字编码的 .cpg 文件，按默认编码读出的是乱码；已按 GB18030 重新读取")
    assert walk_a_to_school(roads) == pytest.approx(60.0)


def test_a_utf8_shapefile_with_field_names_cut_mid_character_opens(tmp_path):
    """道路等级 is 12 bytes in UTF-8, cut at 10 in the middle of 级: GDAL could not open the file
    ("cannot read this file (UnicodeDecodeError …)")."""
    path = shapefile(tmp_path, "utf8", "UTF-8")
    with pytest.warns(planning.DataWarning) as caught:
        roads = read_table(path, limit_rows=False)
    assert list(roads.columns[:2]) == ["道路等", "名称"] and roads["道路等"].tolist() == ["高速公路", "村道"]
    (note,) = [w.message for w in caught]
    assert note.text("en") == ("utf8.shp: Shapefile field names hold at most 10 bytes and some were cut in the middle "
                               "of a Chinese character: 道路等; read without the half character (UTF-8). If a column is "
                               "not found, give it a shorter name in your GIS or save the layer as a GeoPackage")
    network = quietly(WalkNetwork.from_lines, roads)
    assert network.class_column == "道路等"  # 道路等级 cut
    assert walk_a_to_school(roads) == pytest.approx(60.0)


def test_a_cut_table_header_gets_its_whole_name_back(tmp_path):
    """小学在校生数 (18 bytes) cut to 小学在 + half a character: read as 小学在校生数, so the
    pupils are read, not estimated from population."""
    villages = gpd.GeoDataFrame({"村编号": ["A"], "村名": ["甲村"], "小学在校生数": [37], "户籍人口": [900]},
                                geometry=[shapely.Point(X0, Y0)], crs=UTM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        villages.to_file(tmp_path / "villages.shp", encoding="UTF-8")
    with pytest.warns(planning.DataWarning, match="小学在 → 小学在校生数"):
        table = read_table(tmp_path / "villages.shp")
    checked = planning.validation.validate_villages(table, source="villages.shp")
    assert checked.loc["A", "primary_pupils"] == 37  # estimated from 900 people it would be 64.8
