"""Bad input gets a clear error naming the file, row and column, and what to do."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pydantic
import pytest
import shapely

import planning
from planning import Policy, Project, ValidationError
from planning.io import read_table
from planning.validation import validate_schools, validate_sites, validate_villages

from .conftest import ROOT
from .demo_facts import metres_from_road
from .helpers import grades, project_on_line

DEMO = ROOT / "data" / "demo"


def write(tmp_path, name: str, frame: pd.DataFrame, **kwargs) -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False, **kwargs)
    return str(path)


def villages_frame(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({"村编号": ["V1", "V2", "V3"], "村名": ["甲村", "乙村", "丙村"],
                          "经度": [116.95, 116.96, 116.97], "纬度": [40.03, 40.04, 40.05],
                          "小学生数": [10, 20, 30], "初中生数": [5, 6, 7]})
    for col, values in changes.items():
        frame[col] = values
    return frame


def test_missing_column_names_it_and_its_chinese_header(tmp_path):
    path = write(tmp_path, "v.csv", villages_frame().drop(columns=["初中生数"]))
    with pytest.raises(ValidationError, match=r"v\.csv: no column of junior secondary pupils: add one \(its header may "
                                              r"be any of junior_pupils, junior, 初中生数, "):
        validate_villages(read_table(path), source=path)


def test_duplicate_id_names_both_rows(tmp_path):
    path = write(tmp_path, "v.csv", villages_frame(村编号=["V1", "V2", "V1"]))
    with pytest.raises(ValidationError, match=r"duplicate 村编号 \(village id\) 'V1' in row 2, row 4; each village needs its own id"):
        validate_villages(read_table(path), source=path)


def test_negative_and_non_numeric_pupils_are_all_reported_at_once(tmp_path):
    path = write(tmp_path, "v.csv", villages_frame(小学生数=["10", "-3", "十二"]))
    with pytest.raises(ValidationError) as info:
        validate_villages(read_table(path), source=path)
    text = str(info.value)
    assert "2 problems" in text
    assert "row 3: 小学生数 (primary pupils) is -3, below zero" in text  # the header as the planner wrote it
    assert "row 4: 小学生数 (primary pupils) is '十二', not a number; use digits only" in text
    assert "第 4 行：小学生数 为 '十二'，不是数字；请只填数字" in info.value.text("zh")
    assert len(info.value.problems) == 2


def test_empty_coordinates_name_the_row(tmp_path):
    path = write(tmp_path, "v.csv", villages_frame(经度=[116.95, None, 116.97]))
    with pytest.raises(ValidationError, match=r"row 3: empty or non-numeric coordinates"):
        read_table(path)


def test_empty_geometry_in_a_spatial_file(tmp_path):
    frame = villages_frame()
    gdf = gpd.GeoDataFrame(frame.drop(columns=["经度", "纬度"]),
                           geometry=[shapely.Point(116.95, 40.03), None, shapely.Point(116.97, 40.05)], crs=4326)
    path = tmp_path / "v.gpkg"
    gdf.to_file(path)
    with pytest.raises(ValidationError, match=r"feature 2: empty geometry \(no location\); add coordinates"):
        validate_villages(read_table(path), source=str(path))


def test_projected_coordinates_without_crs(tmp_path):
    frame = villages_frame().rename(columns={"经度": "x", "纬度": "y"}).assign(x=[5e5] * 3, y=[4.4e6] * 3)
    path = write(tmp_path, "xy.csv", frame)
    with pytest.raises(ValidationError, match=r"projected coordinates but the CRS is unknown; give lon/lat in degrees instead, or state the "
                                              r"coordinate system \(--crs on the command line, crs=\.\.\. in Python"):
        read_table(path)


def test_unknown_crs_string(tmp_path):
    path = write(tmp_path, "v.csv", villages_frame())
    with pytest.raises(Exception, match="EPSG:999999|Invalid projection|CRS"):
        read_table(path, crs="EPSG:999999")


def test_shapefile_without_prj(tmp_path):
    gdf = gpd.GeoDataFrame(villages_frame().drop(columns=["经度", "纬度"]),
                           geometry=gpd.points_from_xy([116.95] * 3, [40.03] * 3), crs=4326)
    path = tmp_path / "v.shp"
    gdf.rename(columns={"小学生数": "primary", "初中生数": "junior"}).to_file(path, encoding="utf-8")
    (tmp_path / "v.prj").unlink()
    with pytest.raises(ValidationError, match=r"the file has no CRS \(a Shapefile without its \.prj\?\); include the "
                                              r"\.prj file, or state the coordinate system \(--crs on the command line"):
        read_table(path)
    assert read_table(path, crs=4326).crs.to_epsg() == 4326


def test_swapped_longitude_and_latitude(tmp_path):
    path = write(tmp_path, "v.csv", villages_frame(经度=[40.03, 40.04, 40.05], 纬度=[116.95, 116.96, 116.97]))
    with pytest.raises(ValidationError, match="row 2: 经度=40.03, 纬度=116.95: longitude and latitude look swapped"):
        read_table(path)


def test_broken_files(tmp_path):
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"SQLite format 3\x00 this is not a database")
    with pytest.raises(ValidationError, match=r"broken\.gpkg: cannot read this file"):
        read_table(broken)
    xlsx = tmp_path / "broken.xlsx"
    xlsx.write_text("not a workbook")
    with pytest.raises(ValidationError, match=r"broken\.xlsx: cannot read this file"):
        read_table(xlsx)
    with pytest.raises(ValidationError, match="file not found"):
        read_table(tmp_path / "nowhere.csv")
    with pytest.raises(ValidationError, match=r"file type '\.docx' is not supported"):
        (tmp_path / "a.docx").write_text("x")
        read_table(tmp_path / "a.docx")


def test_undecodable_text_asks_for_an_encoding(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes("村名,lon,lat\n".encode("utf-16"))
    with pytest.raises(ValidationError, match=r"cannot decode the text .* save the file as UTF-8 CSV"):
        read_table(path)


def test_unknown_school_type_lists_the_known_ones(tmp_path):
    frame = pd.DataFrame({"学校编号": ["S1"], "学校名称": ["某校"], "学校类型": ["大学"], "lon": [116.9], "lat": [40.0]})
    path = write(tmp_path, "s.csv", frame)
    with pytest.raises(ValidationError, match=r"row 2: 学校类型 \(type\) '大学' is not a known school type; use one of "
                                              r"central_primary \(中心小学\)"):
        validate_schools(read_table(path), source=path)


def test_grades_that_disagree_with_level_totals(tmp_path):
    frame = villages_frame(**{f"{g}年级": [1, 1, 1] for g in range(1, 10)})
    path = write(tmp_path, "v.csv", frame)
    with pytest.raises(ValidationError, match=r"row 2: 小学生数 \(primary pupils\) is 10 but grades 1–6 add up to 6; make them agree"):
        validate_villages(read_table(path), source=path)


def test_school_and_site_ids_must_differ(demo):
    sites = demo.sites.copy()
    school = demo.schools.index[0]
    sites.index = pd.Index([school, *demo.sites.index[1:]], name="site_id")
    with pytest.raises(ValidationError, match=rf"ids {school} are used by both a school and a candidate site"):
        Project(demo.villages, demo.schools, demo.network, sites=sites)


def test_point_far_outside_the_network_is_an_error_naming_it(tmp_path):
    frame = pd.read_csv(DEMO / "villages.csv")
    frame.loc[2, "经度"] += 1.0  # about 100 km east of the township
    path = write(tmp_path, "villages.csv", frame)
    moved = re.escape(f"village '{frame.loc[2, '村编号']}' ({frame.loc[2, '村名']}, row 4)")  # row 1 is the header
    with pytest.raises(ValidationError, match=moved + r" is \d+\.\d km from the nearest road, "
                                              r"outside the road network; check its coordinates"):
        planning.from_files(villages=path, schools=DEMO / "schools.csv", roads=DEMO / "roads.gpkg")


def test_data_problems_are_warned_where_the_data_come_in(demo, tmp_path):
    """A planner or analyst sees at once what the data notes say in full: points far from
    any road, pupils estimated from population, elevations on some roads only."""
    points = pd.concat([demo.villages[["name", "geometry"]], demo.schools[["name", "geometry"]],
                        demo.sites[["name", "geometry"]]])
    metres = metres_from_road(demo, gpd.GeoDataFrame(points, crs=4326))
    limit = demo.policy.far_from_road_m
    far_points = points[metres > limit]
    assert len(far_points) > 0, "the demo should have a point far from any road"
    with pytest.warns(planning.DataWarning) as caught:
        planning.demo()
    (far,) = [w.message for w in caught]
    assert f"points more than {limit:g} m from any road ({len(far_points)};" in str(far)
    assert all(f"{name} ({pid}, {metres[pid]:.0f} m)" in str(far) for pid, name in far_points["name"].items())
    assert far.text("zh").startswith(f"距道路超过 {limit:g} 米的位置（{len(far_points)} 个")
    roads = gpd.read_file(DEMO / "roads.gpkg")
    flat = roads.index % 3 == 0  # a third of the roads lose their elevations
    roads.loc[flat, "geometry"] = shapely.force_2d(roads.geometry[flat].to_numpy())
    walkable = ~roads["道路等级"].isin(Policy().excluded_classes)
    n, total = int((flat & walkable).sum()), int(walkable.sum())
    with pytest.warns(planning.DataWarning, match=rf"roads: {n} of {total} road lines have no elevations \(2-D lines, "
                                                  r".*\); they are taken as flat") as caught:
        network = planning.WalkNetwork.from_lines(roads)
    assert caught[0].message.text("zh").startswith(f"roads：{total} 条道路中有 {n} 条没有高程")
    assert network.node_z is not None  # the roads that have elevations keep their slopes


def test_point_far_from_any_road_is_flagged_not_dropped(demo):
    check = planning.walk_check(demo)
    metres = metres_from_road(demo, demo.villages)  # measured here, not by the network's snapping
    far = metres > demo.policy.far_from_road_m
    assert far.any(), "the demo should have a village far from any road"
    np.testing.assert_allclose(check["snap_m"], metres, atol=0.01)
    assert check["far_from_road"].to_dict() == far.to_dict()
    assert list(check.index) == list(demo.villages.index)  # flagged, not dropped:
    assert check.loc[far, "primary_minutes"].notna().all()  # they still walk, with the off-road leg
    notes = planning.data_notes(demo)
    for village in far.index[far]:
        label = f"{demo.villages.loc[village, 'name']} ({village})"
        assert any(label in note and "off-road" in note for note in notes), label


def test_roads_and_osm_are_alternatives():
    with pytest.raises(ValueError, match="give exactly one of `roads`"):
        planning.from_files(villages=DEMO / "villages.csv", schools=DEMO / "schools.csv")


def test_policy_rejects_unknown_and_bad_settings(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("walk_limit_minute: 30\n")
    with pytest.raises(ValidationError, match=r"policy.yaml: walk_limit_minute: unknown setting; the settings here "
                                              r"are walk_limit_minutes, walk_speed_kmh"):
        Policy.from_yaml(path)
    with pytest.raises(ValidationError, match=r"walk_speed_kmh: a walking speed must be 1 to 8 km/h \(given -4\)"):
        Policy.from_dict({"walk_speed_kmh": -4})
    path.write_text("walk_limit_minutes: {primary: 30}\nwalk_speed_kmh: 3.5\n")
    policy = Policy.from_yaml(path)
    assert policy.limit("primary") == 30 and policy.limit("junior") == 40
    assert policy.walk_speed_kmh == 3.5
    policy.to_yaml(tmp_path / "copy.yaml")
    assert Policy.from_yaml(tmp_path / "copy.yaml") == policy


def test_bad_policy_files_name_each_setting_what_was_given_and_what_is_allowed(tmp_path):
    """Each of these once passed, or failed later inside numpy: letters of 'motorway' taken
    as road classes, a quoted grade, 'no' read as true, a negative CV limit."""
    path = tmp_path / "county-policy.yaml"
    path.write_text("excluded_classes: motorway\nboarding_min_grade: '4'\ntobler: 'no'\n"
                    "cv_limit: {primary: -0.5}\nclass_size: {primary: 45, senior: 50}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        Policy.from_yaml(path)
    assert info.value.source == str(path) and len(info.value.problems) == 5
    assert set(info.value.lines("en")) == {
        "tobler: must be true or false (given 'no')",
        "class_size.senior: unknown setting; the settings here are primary, junior",
        "boarding_min_grade: must be a whole number (given '4')",
        "excluded_classes: must be a list (given 'motorway')",
        "cv_limit.primary: must be greater than 0 (given -0.5)",
    }
    path.write_text("- walk_limit_minutes\n- 40\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="a policy file must be a mapping of setting: value, got list"):
        Policy.from_yaml(path)
    path.write_text("school_age_share: {primary: 7.2}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="school_age_share must be a fraction between 0 and 1"):
        Policy.from_yaml(path)


def test_a_policy_is_immutable_and_hashable():
    policy = Policy()
    assert hash(policy) == hash(Policy()) and policy == Policy()
    with pytest.raises(TypeError):
        policy.class_factors["path"] = 2.0  # type: ignore[index]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        policy.walk_limit_minutes.primary = 30  # type: ignore[misc]
    assert Policy.from_dict({"walk_limit_minutes": 30}).limit("junior") == 30  # one number for both levels
    assert policy.with_limit(30, "primary").limit("junior") == 40
    assert {policy, policy.with_limit(30)} == {Policy(), Policy().with_limit(30)}


def test_sites_table(tmp_path):
    frame = pd.DataFrame({"候选点编号": ["C1", "C1"], "候选点名称": ["甲", "乙"], "lon": [116.9, 116.9],
                          "lat": [40.0, 40.0], "学位数": [300, -1]})
    path = write(tmp_path, "sites.csv", frame)
    with pytest.raises(ValidationError) as info:
        validate_sites(read_table(path), source=path)
    assert "duplicate 候选点编号 (site id) 'C1' in row 2, row 3" in str(info.value)
    assert "row 3: 学位数 (seats) is -1, below zero" in str(info.value)


def test_figures_in_wan_yuan_are_read_as_yuan_once(tmp_path):
    """Before, 投资估算（万元） matched the yuan column with its unit dropped: a 1,800 万元 site
    cost 1,800 yuan, 10,000 times too little, silently."""
    demo_sites = pd.read_csv(ROOT / "data" / "demo" / "sites.csv")
    wan = demo_sites.rename(columns={"投资估算": "投资估算（万元）"})
    wan["投资估算（万元）"] = wan["投资估算（万元）"] / 10_000
    in_yuan = validate_sites(read_table(write(tmp_path, "yuan.csv", demo_sites)), source="yuan.csv")
    in_wan = validate_sites(read_table(write(tmp_path, "wan.csv", wan)), source="wan.csv")
    assert in_wan["cost"].tolist() == pytest.approx(in_yuan["cost"].tolist())
    assert in_wan["cost"].iloc[0] == 18_000_000
    again = validate_sites(in_wan, source="wan.csv")  # a validated table checked again: not scaled twice
    assert again["cost"].tolist() == pytest.approx(in_yuan["cost"].tolist())
    schools = pd.read_csv(ROOT / "data" / "demo" / "schools.csv")
    wan_schools = schools.rename(columns={"教学仪器设备值": "教学仪器设备值(单位:万元)"})
    wan_schools["教学仪器设备值(单位:万元)"] = wan_schools["教学仪器设备值(单位:万元)"] / 10_000
    read = validate_schools(read_table(write(tmp_path, "schools_wan.csv", wan_schools)), source="s.csv")
    assert read["equipment_value_yuan"].tolist() == pytest.approx(schools["教学仪器设备值"].tolist())


@pytest.mark.parametrize("value", ["1e300", 50_000_000, float("inf")])
def test_impossibly_large_figures_are_refused(tmp_path, value):
    """Before, a village of ``inf`` or 1e300 pupils passed every check (the fuzz test found
    it) and gave NaN walks and loads downstream."""
    villages = pd.read_csv(ROOT / "data" / "demo" / "villages.csv")
    column = next(c for c in villages.columns if c in ("小学生数", "一年级"))
    villages[column] = villages[column].astype(object)
    villages.loc[2, column] = value  # the file's row 4 (its header is row 1)
    path = write(tmp_path, "villages.csv", villages)
    with pytest.raises(ValidationError) as info:
        validate_villages(read_table(path), source=path)
    text = info.value.text("en")
    assert f"row 4: {column}" in text
    if value == float("inf"):  # written "inf" in the file: not a number at all
        assert "is 'inf', not a number" in text
        return
    assert "too large to be right (10,000,000 at most)" in text
    assert "大得不可能（最多 10,000,000）" in info.value.text("zh")


@pytest.mark.parametrize("empty", ["villages", "schools"])
def test_a_project_with_no_villages_or_no_schools_is_refused_when_built(empty):
    """Built in Python from a table with no rows, a project is refused at once, naming the
    table (before: an IndexError deep in the walk check)."""
    base = project_on_line({"V1": {"x": 100, **grades(10)}}, {"S1": {"x": 900, "type": "village_primary"}})
    villages = base.villages.iloc[:0] if empty == "villages" else base.villages
    schools = base.schools.iloc[:0] if empty == "schools" else base.schools
    with pytest.raises(ValidationError) as info:
        Project(villages, schools, base.network)
    assert info.value.text("zh") == f"{empty}：表中没有数据行（只有表头或为空）；请填写数据，每行一项"
    assert info.value.text("en") == f"{empty}: the table has no rows (only a header, or nothing); fill it in, one item a row"
