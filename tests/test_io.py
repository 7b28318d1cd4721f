"""Reading real tables: Chinese names through CSV (UTF-8, GBK), Excel, GeoPackage,
GeoJSON and zipped Shapefile; CRS handling; the Sanhe road layer."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import planning
from planning import WalkNetwork
from planning.io import read_table, write_gpkg
from planning.validation import validate_schools, validate_villages

from .conftest import shared_file

SANHE_NAMES = ["四福庄村", "许各庄村", "西曹庄村", "三福庄村", "夏辛庄村"]


@pytest.fixture
def sanhe_villages() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(shared_file("osm", "sanhe", "sanhe-villages.geojson"))
    return gdf.assign(村编号=[f"V{i + 1}" for i in range(len(gdf))], 小学生数=[31, 24, 40, 18, 27],
                      初中生数=[15, 12, 20, 9, 13]).rename(columns={"name": "村名"})


def _as_csv_frame(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(gdf.drop(columns="geometry")).assign(经度=gdf.geometry.x, 纬度=gdf.geometry.y)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_keeps_chinese_names_in_any_common_encoding(tmp_path, sanhe_villages, encoding):
    path = tmp_path / f"villages-{encoding}.csv"
    _as_csv_frame(sanhe_villages).to_csv(path, index=False, encoding=encoding)
    villages = validate_villages(read_table(path))
    assert villages["name"].tolist() == SANHE_NAMES
    assert villages["primary_pupils"].tolist() == [31, 24, 40, 18, 27]
    assert villages.crs.to_epsg() == 4326
    np.testing.assert_allclose(villages.geometry.x, sanhe_villages.geometry.x, atol=1e-6)


def test_excel_geopackage_geojson_and_zipped_shapefile_round_trip(tmp_path, sanhe_villages):
    excel = tmp_path / "villages.xlsx"
    _as_csv_frame(sanhe_villages).to_excel(excel, index=False)
    gpkg = write_gpkg({"villages": sanhe_villages}, tmp_path / "villages.gpkg")
    geojson = tmp_path / "villages.geojson"
    sanhe_villages.to_file(geojson, driver="GeoJSON")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    sanhe_villages.rename(columns={"初中生数": "junior", "小学生数": "primary"}).to_file(
        shp_dir / "villages.shp", encoding="utf-8")
    zipped = tmp_path / "villages.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    for path in (excel, gpkg, geojson, zipped):
        villages = validate_villages(read_table(path), source=str(path))
        assert villages["name"].tolist() == SANHE_NAMES, path.suffix
        assert villages.loc["V3", "primary_pupils"] == 40, path.suffix


def test_projected_xy_and_cgcs2000(tmp_path, sanhe_villages):
    projected = sanhe_villages.to_crs("EPSG:4527")  # CGCS2000 / 3-degree Gauss-Kruger zone 39
    frame = pd.DataFrame(projected.drop(columns="geometry")).assign(x=projected.geometry.x, y=projected.geometry.y)
    path = tmp_path / "xy.csv"
    frame.to_csv(path, index=False)
    villages = validate_villages(read_table(path, crs="EPSG:4527"))
    np.testing.assert_allclose(villages.geometry.x, sanhe_villages.geometry.x, atol=1e-6)
    cgcs = tmp_path / "cgcs.gpkg"
    sanhe_villages.set_crs(4490, allow_override=True).to_file(cgcs)
    assert read_table(cgcs).crs.to_epsg() == 4490
    assert validate_villages(read_table(cgcs)).crs.to_epsg() == 4326


def test_sanhe_road_layer_becomes_one_network(tmp_path, sanhe_villages):
    roads = read_table(shared_file("osm", "sanhe", "sanhe-roads.geojson"))
    network = WalkNetwork.from_lines(roads, source="sanhe-roads")
    summary = network.summary()
    assert summary["crs"] == "EPSG:32650"  # UTM 50N holds 三河市
    assert set(network.seg_class) == {"unclassified", "service"}
    layer_km = roads.to_crs("EPSG:32650").length.sum() / 1000  # every metre of road kept
    assert network.seg_length.sum() / 1000 == pytest.approx(layer_km, rel=1e-3)
    assert summary["pieces"] == 1
    assert summary["segments"] > 37  # lines were split where other roads join them
    # a project on it: the five villages, a school at 三福庄村
    village_csv = tmp_path / "villages.csv"
    _as_csv_frame(sanhe_villages).to_csv(village_csv, index=False, encoding="gbk")
    school_csv = tmp_path / "schools.csv"
    pt = sanhe_villages.geometry.iloc[3]
    pd.DataFrame({"学校编号": ["X1"], "学校名称": ["三福庄小学"], "学校类型": ["村完小"], "经度": [pt.x],
                  "纬度": [pt.y], "学位数": [300]}).to_csv(school_csv, index=False, encoding="gbk")
    project = planning.from_files(villages=village_csv, schools=school_csv,
                                 roads=shared_file("osm", "sanhe", "sanhe-roads.geojson"))
    check = planning.walk_check(project)
    assert check["name"].tolist() == SANHE_NAMES
    # the school stands at the village's point: there and back along the same off-road leg
    assert check.loc["V4", "primary_minutes"] == pytest.approx(2 * project.snaps.loc["V4", "offroad_min"])
    assert (check["primary_minutes"] < 40).all()
    assert check["primary_school_name"].unique().tolist() == ["三福庄小学"]


def test_school_types_and_grades_in_chinese(tmp_path):
    frame = pd.DataFrame({
        "学校编号": ["a", "b", "c", "d", "e"], "学校名称": ["中心校", "某村完小", "某教学点", "某初中", "某九年制"],
        "学校类型": ["中心小学", "完小", "教学点", "初级中学", "九年一贯制"], "开设年级": [None, None, "1-4", None, None],
        "lon": [116.9] * 5, "lat": [40.0] * 5, "学位数": [900, 200, 40, 800, 600], "床位数": [100, 0, 0, 300, None],
    })
    path = tmp_path / "schools.csv"
    frame.to_csv(path, index=False)
    schools = validate_schools(read_table(path))
    assert schools["type"].tolist() == ["central_primary", "village_primary", "teaching_point",
                                        "junior_secondary", "nine_year"]
    assert schools.loc["c", "grades"] == (1, 2, 3, 4)
    assert schools["primary"].tolist() == [True, True, False, False, True]
    assert schools["junior"].tolist() == [False, False, False, True, True]
    assert schools.loc["a", "capacity"] == 900
    assert schools.loc["e", "beds"] == 0 or np.isnan(schools.loc["e", "beds"])


def test_grades_give_level_totals_and_population_gives_flagged_estimates(tmp_path):
    frame = pd.DataFrame({"村名": ["甲", "乙"], "lon": [116.9, 116.91], "lat": [40.0, 40.0],
                          **{f"{g}年级": [10, 0] for g in range(1, 10)}, "人口": [1000, 500]})
    frame.loc[1, [f"{g}年级" for g in range(1, 10)]] = None
    path = tmp_path / "v.csv"
    frame.drop(columns=["人口"]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="row 3: primary_pupils is empty"):
        validate_villages(read_table(path))
    frame.to_csv(path, index=False)  # with population the gap is estimated, and flagged
    assert validate_villages(read_table(path))["pupils_estimated"].tolist() == [False, True]
    frame.loc[1, [f"{g}年级" for g in range(1, 10)]] = 5
    frame.drop(columns=[f"{g}年级" for g in range(1, 10)]).assign(小学生数=[60, None], 初中生数=[30, None]).to_csv(
        path, index=False)
    villages = validate_villages(read_table(path))
    assert villages["pupils_estimated"].tolist() == [False, True]
    assert villages.loc["乙", "primary_pupils"] == pytest.approx(500 * 0.072)
