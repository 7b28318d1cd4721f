"""What a planner's files say is what the tool reads: ids stay text (``001`` keeps its
zeros), rows are numbered as the spreadsheet numbers them, a road layer with elevations on
some lines only gets no invented slopes, and every reading problem is worded in both
languages with the file, the row and the column as the planner's file names them.

Files are written here (CSV, Excel with openpyxl, GeoJSON, Shapefile) and read back as a
planner's would be. Roads run along y = Y0 in UTM 50N: 4 km/h is 66.67 m/min, so 1 km of
flat road takes 15 minutes.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

import planning
from planning import Policy, ValidationError, WalkNetwork
from planning.io import read_table
from planning.traveltime import travel_time_matrix
from planning.validation import validate_schools, validate_villages

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 4_400_000.0


def flat_minutes(metres: float, policy: Policy | None = None) -> float:
    """Minutes to walk ``metres`` of flat road at the policy's speed (km/h)."""
    return metres / ((policy or Policy()).walk_speed_kmh * 1000 / 60)


# ---------------------------------------------------------------------- item 9: ids are text
def county_files(tmp_path) -> dict[str, str]:
    """A road 5 km long, villages 001 and 002, schools 001, 002 and 003 (CSV, x/y in metres)."""
    road = gpd.GeoDataFrame({"道路等级": ["村道"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 5000, Y0)])],
                            crs=CRS)
    road.to_file(tmp_path / "roads.gpkg")
    (tmp_path / "villages.csv").write_text(
        "村编号,村名,x,y,小学生数,初中生数\n"
        f"001,甲村,{X0},{Y0},10,5\n"
        f"002,乙村,{X0 + 2000},{Y0},20,6\n", encoding="utf-8")
    (tmp_path / "schools.csv").write_text(
        "学校编号,学校名称,学校类型,x,y,学位数\n"
        f"001,甲村小学,村小,{X0 + 100},{Y0},100\n"
        f"002,镇中心小学,中心小学,{X0 + 3000},{Y0},300\n"
        f"003,镇中学,初中,{X0 + 3500},{Y0},300\n", encoding="utf-8")
    return {"villages": str(tmp_path / "villages.csv"), "schools": str(tmp_path / "schools.csv"),
            "roads": str(tmp_path / "roads.gpkg")}


def test_csv_ids_keep_their_leading_zeros_and_a_scenario_can_name_them(tmp_path):
    project = planning.from_files(**county_files(tmp_path), crs=CRS)
    assert project.villages.index.tolist() == ["001", "002"]
    assert project.schools.index.tolist() == ["001", "002", "003"]
    assert all(isinstance(i, str) for i in [*project.villages.index, *project.schools.index])
    result = planning.Scenario(project, "x").close("001").evaluate()
    assert result.schools.loc["001", "status"] == "closed"
    assert result.villages.loc[("001", "primary"), "school"] == "002"  # 甲村 now walks to the central school


def test_a_scenario_file_naming_001_reads_it_as_text(tmp_path):
    project = planning.from_files(**county_files(tmp_path), crs=CRS)
    path = tmp_path / "plan.yaml"
    path.write_text("name: close 001\nedits:\n  - op: close\n    school: 001\n", encoding="utf-8")
    scenario = planning.Scenario.from_file(path, project)  # YAML 1.1 would read 001 as the number 1
    assert scenario.evaluate().schools.loc["001", "status"] == "closed"
    path.write_text("name: 2024\nedits:\n  - op: close\n    school: '001'\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        planning.Scenario.from_file(path, project)
    assert info.value.lines("en") == ["name: must be text; put it in quotes, e.g. '2024' (given 2024)"]
    assert info.value.lines("zh") == ["name：应为文本；请加引号，例如 '2024'（给出的是 2024）"]


def test_excel_text_ids_stay_text_and_numbers_lose_no_zeros_they_never_had(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["村编号", "村名", "经度", "纬度", "小学生数", "初中生数"])
    sheet.append(["001", "甲村", 116.95, 40.03, 10, 5])
    sheet.append([7, "乙村", 116.96, 40.04, 20, 6])
    sheet.append([8.0, 9, 116.97, 40.05, 30, 7])  # a float cell holding 8; a name typed as a number
    sheet["A2"].number_format = "@"  # the planner's "text" cell format
    assert sheet["A2"].data_type == "s" and sheet["A3"].data_type == "n"
    for row in range(5, 9):  # rows a spreadsheet keeps formatted but empty
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=2, value=" ")
    book.save(tmp_path / "villages.xlsx")
    villages = validate_villages(read_table(tmp_path / "villages.xlsx"))
    assert villages.index.tolist() == ["001", "7", "8"]  # never "1", never "7.0"
    assert villages["name"].tolist() == ["甲村", "乙村", "9"]
    assert villages["primary_pupils"].tolist() == [10, 20, 30]


def test_ids_in_spatial_files_are_text(tmp_path):
    points = gpd.GeoDataFrame({"school_id": [1.0, 2.0], "name": ["甲校", "乙校"], "type": ["村小", "初中"]},
                              geometry=gpd.points_from_xy([116.95, 116.96], [40.03, 40.04]), crs=4326)
    points.to_file(tmp_path / "schools.gpkg")  # a float column: GeoPackage gives 1.0, 2.0
    table = read_table(tmp_path / "schools.gpkg")
    assert table["school_id"].tolist() == ["1", "2"]  # as read, before validation: text
    assert validate_schools(table).index.tolist() == ["1", "2"]
    points.assign(school_id=["001", "002"]).to_file(tmp_path / "schools.geojson")
    assert validate_schools(read_table(tmp_path / "schools.geojson")).index.tolist() == ["001", "002"]


def test_rows_are_numbered_as_the_spreadsheet_numbers_them_despite_blank_lines(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text("村编号,村名,经度,纬度,小学生数,初中生数\n"
                    "001,甲村,116.95,40.03,10,5\n"
                    "\n"  # row 3: a blank line
                    "002,乙村,116.96,40.04,十二,6\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        validate_villages(read_table(path), source=str(path))
    assert info.value.lines("en") == ["row 4: 小学生数 (primary pupils) is '十二', not a number; use digits only"]
    assert info.value.lines("zh") == ["第 4 行：小学生数 为 '十二'，不是数字；请只填数字"]


# ---------------------------------------------------------------------- item 10: partial elevations
def road_layer(*lines_xyz) -> gpd.GeoDataFrame:
    """Lines given as vertex lists, (x, y) in metres from (X0, Y0) or (x, y, z)."""
    geoms = [shapely.LineString([(X0 + p[0], Y0 + p[1], *p[2:]) for p in line]) for line in lines_xyz]
    return gpd.GeoDataFrame({"highway": ["residential"] * len(geoms)}, geometry=geoms, crs=CRS)


def minutes(network: WalkNetwork, a: float, b: float) -> float:
    """Walking minutes from x = a to x = b along the road (metres from X0)."""
    return float(travel_time_matrix(network, np.array([[X0 + a, Y0]]), np.array([[X0 + b, Y0]]),
                                    policy=Policy(), use_cache=False).minutes[0, 0])


def built(roads: gpd.GeoDataFrame) -> tuple[WalkNetwork, planning.DataWarning]:
    with pytest.warns(planning.DataWarning) as caught:
        network = WalkNetwork.from_lines(roads)
    (warning,) = [w.message for w in caught]
    assert isinstance(warning, planning.DataWarning)
    return network, warning


def test_a_2d_line_beside_a_flat_3d_line_is_flat(tmp_path):
    """Two 1 km lines sharing a node, one 3-D at 500 m, one 2-D: each takes 15 minutes."""
    roads = road_layer([(0, 0, 500.0), (1000, 0, 500.0)], [(1000, 0), (2000, 0)])
    network, warning = built(roads)
    for a, b in ((0, 1000), (1000, 0), (1000, 2000), (2000, 1000)):
        assert minutes(network, a, b) == pytest.approx(flat_minutes(1000)) == pytest.approx(15.0)
    assert warning.text("en").startswith("roads: 1 of 2 road lines have no elevations (2-D lines, or 0 m at every "
                                         "vertex while other roads have elevations); they are taken as flat")
    assert warning.text("zh").startswith("roads：2 条道路中有 1 条没有高程")


def test_a_shapefile_stores_a_2d_line_at_0_m_which_is_not_taken_as_an_elevation(tmp_path):
    """A Shapefile (like desktop GIS in a 3-D layer) writes the 2-D line's missing Z as 0:
    averaged into the shared node, it made a 500 m drop out of a flat road."""
    road_layer([(0, 0, 500.0), (1000, 0, 500.0)], [(1000, 0), (2000, 0)]).to_file(tmp_path / "roads.shp")
    roads = read_table(tmp_path / "roads.shp")
    assert shapely.get_coordinates(roads.geometry[1], include_z=True)[:, 2].tolist() == [0.0, 0.0]
    network, warning = built(roads)
    assert minutes(network, 1000, 2000) == pytest.approx(15.0)
    assert minutes(network, 0, 1000) == pytest.approx(15.0)
    assert "1 of 2 road lines have no elevations" in str(warning)


def climb_minutes(metres: float, rise: float) -> float:
    """Tobler: speed ∝ exp(-3.5 |grade + 0.05|), relative to flat ground."""
    return flat_minutes(metres) / (math.exp(-3.5 * abs(rise / metres + 0.05)) / math.exp(-3.5 * 0.05))


def test_a_3d_line_keeps_its_slope_when_another_line_is_2d():
    roads = road_layer([(0, 0, 400.0), (1000, 0, 500.0)], [(1000, 0), (2000, 0)])
    network, _ = built(roads)
    assert minutes(network, 0, 1000) == pytest.approx(climb_minutes(1000, 100)) == pytest.approx(21.286, abs=1e-3)
    assert minutes(network, 1000, 0) == pytest.approx(climb_minutes(1000, -100)) == pytest.approx(15.0)
    assert minutes(network, 1000, 2000) == pytest.approx(15.0)


def test_a_2d_line_between_two_known_elevations_climbs_evenly():
    """3-D lines at 400 m and 500 m, joined by a 2-D line of two 500 m segments: the climb
    between them is known, so the 2-D line rises 100 m over its 1 km."""
    roads = road_layer([(-1000, 0, 400.0), (0, 0, 400.0)], [(0, 0), (500, 0), (1000, 0)],
                       [(1000, 0, 500.0), (2000, 0, 500.0)])
    network, warning = built(roads)
    assert minutes(network, 0, 1000) == pytest.approx(climb_minutes(1000, 100))
    assert minutes(network, 1000, 0) == pytest.approx(15.0)
    assert minutes(network, -1000, 0) == pytest.approx(15.0)
    assert minutes(network, 1000, 2000) == pytest.approx(15.0)
    assert "1 of 3 road lines have no elevations" in str(warning)


# ---------------------------------------------------------------------- item 13: messages
def schools_csv(tmp_path, header: str, rows: list[str]) -> str:
    path = tmp_path / "schools.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def problems_of(check, path: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check(read_table(path), source=path)
    return info.value


def test_a_missing_column_is_one_problem_listing_the_headers_it_may_have(tmp_path):
    """A file with Chinese headers and no 学校类型 column, whose names do not tell the
    type: one problem naming the column, not one per row ("school type nan is not known")."""
    path = schools_csv(tmp_path, "学校编号,学校名称,经度,纬度,学位数",
                       ["S1,青山镇中心小学,116.95,40.03,300", "S2,红星学校,116.96,40.04,100",
                        "S3,育才学校,116.97,40.05,100"])
    error = problems_of(validate_schools, path)
    assert error.lines("zh") == [
        "缺少学校类型列（列名可用 学校类型、类型、办学类型、类别、type、school_type），且有 2 所学校无法从名称判断类型："
        "红星学校（第 3 行）、育才学校（第 4 行）；请添加该列，为每所学校填写以下之一：中心小学、村完小、教学点、初级中学、"
        "九年一贯制学校、未知、其他"]
    assert error.lines("en") == [
        "no school type column (its header may be any of type, school_type, 学校类型, 类型, 办学类型, 类别), and the "
        "type of 2 schools cannot be told from their names: 红星学校 (row 3), 育才学校 (row 4); add the column and give "
        "each school one of central_primary (中心小学), village_primary (村完小), teaching_point (教学点), "
        "junior_secondary (初级中学), nine_year (九年一贯制学校), unknown (未知), other (其他)"]
    villages = tmp_path / "villages.csv"
    villages.write_text("村编号,村名,经度,纬度,初中生数\nV1,甲村,116.95,40.03,5\nV2,乙村,116.96,40.04,6\n",
                        encoding="utf-8")
    error = problems_of(validate_villages, str(villages))
    assert error.text("zh") == (
        f"{villages}：缺少小学学生数列：请添加一列（列名可用 小学生数、小学生、小学学生数、小学在校生、小学在校生数、"
        "小学人数、小学适龄儿童、primary_pupils、primary），或 1–6 年级每个年级一列（如 1年级、一年级、grade_1、grade1、"
        "g1），或一列人口（人口、总人口、户籍人口、常住人口、population、pop）用于估算")
    assert error.text("en") == (
        f"{villages}: no column of primary pupils: add one (its header may be any of primary_pupils, primary, 小学生数, "
        "小学生, 小学学生数, 小学在校生, 小学在校生数, 小学人数, 小学适龄儿童), or one column per grade 1–6 (such as "
        "grade_1, grade1, g1, 1年级, 一年级), or a population column (population, pop, 人口, 总人口, 户籍人口, 常住人口) "
        "to estimate them")


def test_bad_school_type_empty_type_non_numeric_seats_and_duplicate_id_in_both_languages(tmp_path):
    path = schools_csv(tmp_path, "学校编号,学校名称,学校类型,经度,纬度,学位数",
                       ["S1,甲校,大学,116.95,40.03,300", "S2,乙校,,116.96,40.04,三百", "S1,丙校,初中,116.97,40.05,100"])
    error = problems_of(validate_schools, path)
    assert error.text("en").startswith(f"{path}: 4 problems:")
    assert error.text("zh").startswith(f"{path}：4 个问题：")
    types_en = ("central_primary (中心小学), village_primary (村完小), teaching_point (教学点), junior_secondary (初级中学), "
                "nine_year (九年一贯制学校), unknown (未知), other (其他)")
    types_zh = "中心小学、村完小、教学点、初级中学、九年一贯制学校、未知、其他"
    assert error.lines("en") == [
        "duplicate 学校编号 (school id) 'S1' in row 2, row 4; each school needs its own id",
        "row 3: 学位数 (seats) is '三百', not a number; use digits only",
        f"row 2: 学校类型 (type) '大学' is not a known school type; use one of {types_en}",
        f"row 3: 学校类型 (type) is empty; fill in one of {types_en}",
    ]
    assert error.lines("zh") == [
        "学校编号 'S1' 重复，见 第 2 行，第 4 行；每个学校需要自己的编号",
        "第 3 行：学位数 为 '三百'，不是数字；请只填数字",
        f"第 2 行：学校类型 为 '大学'，无法识别；请使用以下之一：{types_zh}",
        f"第 3 行：学校类型 为空；请填写以下之一：{types_zh}",
    ]


def test_english_headers_are_named_as_written_with_their_meaning_in_chinese(tmp_path):
    path = tmp_path / "villages.csv"
    pd.DataFrame({"village_id": ["V1", "V2"], "lon": [116.95, 116.96], "lat": [40.03, 40.04],
                  "primary_pupils": [10, "ten"], "junior_pupils": [1, 2]}).to_csv(path, index=False)
    error = problems_of(validate_villages, str(path))
    assert error.lines("en") == ["row 3: primary_pupils is 'ten', not a number; use digits only"]
    assert error.lines("zh") == ["第 3 行：primary_pupils（小学生） 为 'ten'，不是数字；请只填数字"]


def test_empty_coordinates_say_empty_not_nan(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text("村编号,经度,纬度\nV1,116.95,40.03\nV2,,40.04\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert info.value.lines("en") == ["row 3: empty or non-numeric coordinates (经度=(empty), 纬度=40.04); fill them in"]
    assert info.value.lines("zh") == ["第 3 行：坐标为空或不是数字（经度=（空），纬度=40.04）；请填写"]
