"""Hostile and broken files where input enters: YAML alias bombs and oversized settings
files, tables longer than the row limit, travel-time cache files that cannot be read.

Before (main at 6a5ea10): a 373-byte scenario of nested aliases ran the command line out of
memory (1.4 GB under a 3 GB cap after 24 s; 2.2 GB and 116 s uncapped, as reported); a 1 MB
scenario file took 8 s to parse and 50 MB never finished; a table had no row limit; a
truncated cache file made every later run fail with BadZipFile.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import planning
from planning.cli import main
from planning.errors import DataWarning, ValidationError
from planning.io import read_table
from planning.scenario import evaluate_or_nearest
from planning.schema import read_mapping
from planning.traveltime import travel_time_matrix

from .conftest import ROOT
from .helpers import CRS, X0, Y0, line_network, project_on_line

ROOT_SCENARIOS = ROOT / "data" / "demo" / "scenarios"


def billion_laughs(levels: int = 9) -> str:
    """Nine lists of nine aliases of the list before: 9⁹ "lol"s once written out."""
    names = "abcdefghijklmnop"[:levels]
    lines = ["a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"{name}: &{name} [" + ", ".join([f"*{before}"] * 9) + "]" for before, name in zip(names, names[1:], strict=False)]
    return "\n".join(lines) + "\n"


def tiny_project() -> planning.Project:
    return project_on_line({"V1": {"x": 0, "primary": 10, "junior": 5}},
                           {"S1": {"x": 100, "type": "nine_year"}, "S2": {"x": 900, "type": "nine_year"}})


# ---------------------------------------------------------------------- YAML
def test_the_billion_laughs_is_refused_at_once_in_both_languages(tmp_path):
    scenario = tmp_path / "plan.yaml"
    scenario.write_text("name: laughs\nx:\n" + "".join(f"  {line}\n" for line in billion_laughs().splitlines())
                        + "edits: *i\n", encoding="utf-8")
    assert scenario.stat().st_size < 617  # the size reported: a few hundred bytes
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        read_mapping(scenario, what="scenario")
    assert time.perf_counter() - started < 2.0
    assert caught.value.text("en") == (
        f"{scenario}: the aliases (*name) of the scenario file repeat more than 10,000 values, or an alias names an "
        "anchor (&name) that holds it; the file was not read: this is the mark of an alias bomb (\"billion laughs\"), "
        "whose values would exhaust memory. Write the settings out instead of nesting aliases")
    assert caught.value.text("zh") == (
        f"{scenario}：方案文件中的别名（*名称）展开后重复了超过 10,000 个值，或别名引用了包含它自身的锚点（&名称），未读取："
        "这是“别名炸弹”（billion laughs）的特征，展开会耗尽内存。请直接写出各项设置，不要层层嵌套别名")
    with pytest.raises(ValidationError, match="alias bomb"):
        planning.Scenario.from_file(scenario, tiny_project())
    policy = tmp_path / "policy.yaml"
    policy.write_text(billion_laughs(), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        planning.Policy.from_yaml(policy)
    assert "政策文件中的别名（*名称）展开后重复了超过 10,000 个值" in caught.value.text("zh")
    loop = tmp_path / "loop.yaml"
    loop.write_text("walk_limit_minutes: &x {primary: 30, junior: *x}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="an alias names an anchor"):
        planning.Policy.from_yaml(loop)
    kept = tmp_path / "aliases.yaml"  # aliases as people use them still read
    kept.write_text("class_size: &forty {primary: 40, junior: 40}\nwalk_limit_minutes: *forty\n", encoding="utf-8")
    assert planning.Policy.from_yaml(kept).walk_limit_minutes.junior == 40


def test_a_project_file_whose_policy_is_an_alias_bomb_is_refused(tmp_path):
    path = planning.save_project(tmp_path / "county.gpkg", tiny_project())
    with sqlite3.connect(path) as db:  # a GeoPackage is SQLite: its policy is YAML text in a table
        db.execute("UPDATE policy SET yaml = ?", (billion_laughs(),))
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        planning.open_project(path)
    assert time.perf_counter() - started < 2.0
    assert caught.value.text("en").startswith(f"{path}:policy: the aliases (*name) of the policy file repeat more")


def test_an_oversized_settings_file_is_refused_unread_and_read_after_raising_the_limit(tmp_path, monkeypatch):
    edits = [{"op": "close", "school": f"S{i:05d}"} for i in range(33_000)]
    big = tmp_path / "plan.json"
    big.write_text(json.dumps({"name": "big", "edits": edits}), encoding="utf-8")
    assert 1.1 * 2**20 < big.stat().st_size < 1.3 * 2**20
    with pytest.raises(ValidationError) as caught:
        read_mapping(big, what="scenario")
    assert caught.value.text("en") == (
        f"{big}: the scenario file is 1.2 MB, more than the limit of 1 MB, and was not read. A scenario file is "
        "usually a few KB: check that this is the right file; if it really is this large, raise the limit: "
        "planning.settings.max_settings_mb, or the environment variable PLANNING_MAX_SETTINGS_MB")
    assert caught.value.text("zh").startswith(f"{big}：方案文件大小为 1.2 MB，超过上限 1 MB，未读取")
    as_yaml = tmp_path / "plan.yaml"  # 8 s a megabyte to parse before: refused before parsing
    as_yaml.write_text("name: big\nedits:\n" + "".join(f"  - {{op: close, school: S{i:05d}}}\n" for i in range(36_000)),
                       encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ValidationError, match="more than the limit of 1 MB"):
        read_mapping(as_yaml, what="scenario")
    assert time.perf_counter() - started < 0.5
    monkeypatch.setattr(planning.settings, "max_settings_mb", 2)
    assert len(read_mapping(big, what="scenario")["edits"]) == 33_000


# ---------------------------------------------------------------------- tables
def county_files(tmp_path, suffix: str, villages: int) -> dict[str, object]:
    """``villages`` villages 100 m apart on a road of five pieces (five features), two schools."""
    road = gpd.GeoDataFrame({"道路等级": ["村道"] * 5}, crs=CRS, geometry=[
        shapely.LineString([(X0 + 1000 * i, Y0), (X0 + 1000 * (i + 1), Y0)]) for i in range(5)])
    road.to_file(tmp_path / "roads.gpkg")
    table = gpd.GeoDataFrame({"村编号": [f"V{i}" for i in range(villages)], "村名": [f"村{i}" for i in range(villages)],
                              "小学生数": [10] * villages, "初中生数": [5] * villages},
                             geometry=gpd.points_from_xy([X0 + 100 * i for i in range(villages)], [Y0] * villages),
                             crs=CRS)
    path = tmp_path / f"villages{suffix}"
    if suffix == ".geojson":
        table.to_file(path)
    else:
        flat = table.drop(columns="geometry").assign(x=table.geometry.x, y=table.geometry.y)
        flat.to_csv(path, index=False) if suffix == ".csv" else flat.to_excel(path, index=False)
    (tmp_path / "schools.csv").write_text("学校编号,学校名称,学校类型,x,y\n"
                                          f"S1,甲校,九年一贯制,{X0 + 50},{Y0}\nS2,乙校,九年一贯制,{X0 + 4000},{Y0}\n",
                                          encoding="utf-8")
    return {"villages": path, "schools": tmp_path / "schools.csv", "roads": tmp_path / "roads.gpkg", "crs": CRS}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson"])
def test_a_table_over_the_row_limit_is_refused_until_the_limit_is_raised(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(planning.settings, "max_table_rows", 3)
    files = county_files(tmp_path, suffix, villages=4)
    with pytest.raises(ValidationError) as caught:
        planning.from_files(**files)
    assert caught.value.text("en") == (
        f"{files['villages']}: the table has more than 3 rows and was not read, to keep memory safe. Check that this "
        "is the right file (one row per village, school or teacher); if it really has more rows, raise the limit: "
        "planning.settings.max_table_rows in Python, or the environment variable PLANNING_MAX_ROWS (e.g. "
        "PLANNING_MAX_ROWS=500000) before starting the command line or the app")
    assert caught.value.text("zh").startswith(f"{files['villages']}：表格超过 3 行，为防止内存耗尽未读入")
    monkeypatch.setattr(planning.settings, "max_table_rows", 4)  # the road's five pieces are no table: no limit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        project = planning.from_files(**files)
    assert project.villages.index.tolist() == ["V0", "V1", "V2", "V3"]


def test_a_table_three_times_the_default_limit_is_refused_in_well_under_a_second(tmp_path):
    path = tmp_path / "villages.csv"
    rows = planning.settings.max_table_rows * 3
    path.write_text("村编号,村名,经度,纬度,小学生数\n" + "V,村,116.9,40.0,10\n" * rows, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ValidationError, match="has more than 100,000 rows"):
        read_table(path)
    assert time.perf_counter() - started < 1.0


# ---------------------------------------------------------------------- the travel-time cache
def matrix(xs: list[float]) -> planning.traveltime.MatrixResult:
    """Minutes from points at ``xs`` metres along a 5 km road to the points at 0 and 2000 m."""
    xy = np.c_[[X0 + x for x in xs], [Y0] * len(xs)]
    return travel_time_matrix(line_network(), xy, np.c_[[X0, X0 + 2000], [Y0, Y0]], policy=planning.Policy())


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "another matrix"])
def test_a_cache_file_that_cannot_be_read_is_computed_again_with_a_warning(tmp_path, monkeypatch, damage):
    monkeypatch.setattr(planning.settings, "cache_folder", tmp_path)
    fresh = matrix([0, 500, 1000])
    (path,) = tmp_path.glob("tt-*.npz")
    good = path.read_bytes()
    broken = {"truncated": good[: len(good) // 2], "garbage": b"\x00garbage" * 10, "empty": b""}.get(damage)
    if broken is None:
        np.savez_compressed(path, minutes=np.zeros((2, 2)))
    else:
        path.write_bytes(broken)
    with pytest.warns(DataWarning, match=r"the saved travel times .*tt-\w+\.npz could not be read \(\w+"):
        again = matrix([0, 500, 1000])
    assert not again.from_cache
    np.testing.assert_array_equal(again.minutes, fresh.minutes)
    np.testing.assert_allclose(fresh.minutes[:, 0], [0, 7.5, 15], atol=1e-6)  # 100 m of road is 1.5 minutes
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        healed = matrix([0, 500, 1000])  # written again, whole
    assert healed.from_cache and path.read_bytes() == good


def test_the_cache_keeps_the_matrices_used_last_within_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(planning.settings, "cache_folder", tmp_path)
    matrix([0])
    (first,) = tmp_path.glob("tt-*.npz")
    monkeypatch.setattr(planning.settings, "cache_max_mb", 2.5 * first.stat().st_size / 2**20)  # room for two
    matrix([100])
    os.utime(first, (time.time() - 60,) * 2)  # the first used a minute ago, the second now
    (second,) = set(tmp_path.glob("tt-*.npz")) - {first}
    os.utime(second, (time.time() - 30,) * 2)
    assert matrix([0]).from_cache  # using the first makes it the newest
    stale = tmp_path / f".{first.name}.abc123.npz"  # a write cut short two hours ago
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200,) * 2)
    matrix([200])
    left = set(tmp_path.iterdir())
    assert first in left and second not in left and not stale.exists() and len(left) == 2


def test_a_cache_write_cut_short_leaves_nothing_under_the_matrix_name(tmp_path, monkeypatch):
    """A guard of what was already so (the write goes beside its place and is moved into it)."""
    monkeypatch.setattr(planning.settings, "cache_folder", tmp_path)

    def full_disk(handle, **arrays):
        handle.write(b"PK\x03\x04half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", full_disk)
    assert not matrix([0]).from_cache
    assert list(tmp_path.iterdir()) == []


def test_planning_cache_info_and_clear(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(planning.settings, "cache_folder", tmp_path)
    matrix([0])
    matrix([100])
    size = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert main(["cache", "info", "--lang", "en"]) == 0
    assert capsys.readouterr().out == (f"travel-time cache {tmp_path}: 2 file(s), {size / 2**20:.1f} MB (limit 1,000 MB; "
                                       "environment variable PLANNING_CACHE_MAX_MB)\n")
    assert main(["cache", "clear"]) == 0
    assert capsys.readouterr().out == f"已从 {tmp_path} 删除 2 个文件（{size / 2**20:.1f} MB）\n"
    assert list(tmp_path.iterdir()) == []
    assert not matrix([0]).from_cache


# ---------------------------------------------------------------------- a county without schools
def osm_without_schools(tmp_path, *, school: bool = False) -> str:
    """An OSM extract of two settlements on a 2.2 km track, and no ``amenity=school`` (or, with
    ``school``, a school at the second)."""
    path = tmp_path / ("school.osm" if school else "no_schools.osm")
    tag = '<tag k="amenity" v="school"/><tag k="name" v="乙村小学"/>' if school else ""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
        '<node id="1" lat="28.00" lon="111.00" version="1"><tag k="place" v="village"/><tag k="name" v="甲村"/>'
        '<tag k="population" v="500"/></node>\n<node id="2" lat="28.01" lon="111.00" version="1"/>\n'
        f'<node id="4" lat="28.02" lon="111.0001" version="1">{tag}</node>\n'
        '<node id="3" lat="28.02" lon="111.00" version="1"><tag k="place" v="hamlet"/><tag k="name" v="乙村"/>'
        '<tag k="population" v="200"/></node>\n'
        '<way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="track"/></way>\n'
        "</osm>\n", encoding="utf-8")
    return str(path)


def test_an_osm_file_without_schools_says_to_give_a_schools_table(tmp_path, capsys):
    """Before: the file loaded, then the walk check failed with "IndexError: index 0 is out of
    bounds for axis 0 with size 0"."""
    path = osm_without_schools(tmp_path)
    with pytest.raises(ValidationError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        planning.from_osm(path)
    assert caught.value.text("en") == (
        f"{path}: the file holds no schools (amenity=school), and a project without schools cannot be checked or "
        "planned. Give a schools table (school id, name, type, lon/lat) and read it with this OSM file as the road "
        "network: --villages VILLAGES --schools SCHOOLS --osm FILE on the command line, planning.from_files(villages, "
        "schools, osm=FILE) in Python")
    assert caught.value.text("zh").startswith(f"{path}：文件中没有学校（amenity=school）：没有学校的项目无法做步行核查或规划。")
    assert main(["check", "--osm", path, "--out", str(tmp_path / "out"), "--quiet", "--lang", "zh"]) == 2
    assert f"{path}：文件中没有学校（amenity=school）" in capsys.readouterr().err
    # what the message says to do works: the OSM file as the road network of the county's tables
    (tmp_path / "v.csv").write_text("村编号,村名,经度,纬度,小学生数,初中生数\nV1,甲村,111.0,28.0,30,10\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text("学校编号,学校名称,学校类型,经度,纬度\nS1,乙村小学,九年一贯制,111.0,28.02\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        project = planning.from_files(tmp_path / "v.csv", tmp_path / "s.csv", osm=path)
    walk = planning.walk_check(project).loc["V1", "primary_minutes"]
    assert walk == pytest.approx(project.matrix.minutes[0, 0]) and 30 < walk < 40  # 2.2 km at 0.9 × 4 km/h (a track): 37 min


@pytest.mark.parametrize("suffix", [".csv", ".gpkg"])
def test_a_schools_table_without_rows_is_said_so(tmp_path, suffix):
    """Before: both loaded and the walk check failed with an IndexError (a header-only CSV
    without crs= was "经度/纬度 look like projected metres, not degrees")."""
    files = county_files(tmp_path, ".csv", villages=2)
    if suffix == ".csv":
        path = tmp_path / "empty.csv"
        path.write_text("学校编号,学校名称,学校类型,经度,纬度\n", encoding="utf-8")
        en, zh = "the table has no rows (only a header, or nothing); fill it in, one item a row", "表中没有数据行"
    else:
        path = tmp_path / "empty.gpkg"
        gpd.GeoDataFrame({"学校编号": ["S"], "学校名称": ["甲"], "学校类型": ["村小"]}, crs=CRS,
                         geometry=[shapely.Point(X0, Y0)]).iloc[:0].to_file(path)
        en, zh = ("the schools table holds no schools, and a project without schools cannot be checked or planned. "
                  "Fill in the schools (one a row: school id, name, type, lon/lat)"), "学校表中没有学校"
    with pytest.raises(ValidationError) as caught:
        planning.from_files(**{**files, "schools": path})
    assert caught.value.text("en") == f"{path}: {en}"
    assert caught.value.text("zh").startswith(f"{path}：{zh}")


# ---------------------------------------------------------------------- surveyors' x/y on the command line
def surveyed_county(tmp_path) -> tuple[list[str], float]:
    """Villages and a school as surveyors' X (northing) / Y (easting with zone 39) in CGCS2000
    (EPSG:4527), and a road Shapefile in UTM metres whose .prj is lost; and the options of
    `planning check` for them."""
    from pyproj import Transformer

    to_gk = Transformer.from_crs(CRS, 4527, always_xy=True)

    def row(x: float) -> str:
        east, north = to_gk.transform(X0 + x, Y0)
        return f"{north:.3f},{east:.3f}"

    (tmp_path / "v.csv").write_text(f"村编号,村名,X,Y,小学生数,初中生数\nA,甲村,{row(0)},10,0\nB,乙村,{row(1500)},10,0\n",
                                    encoding="utf-8")
    (tmp_path / "s.csv").write_text(f"学校编号,学校名称,学校类型,X,Y\nS,甲小学,村小,{row(3000)}\n", encoding="utf-8")
    road = shapely.segmentize(shapely.LineString([(X0, Y0), (X0 + 3000, Y0)]), 100)
    gpd.GeoDataFrame({"kind": ["residential"]}, geometry=[road], crs=CRS).to_file(tmp_path / "roads.shp")
    (tmp_path / "roads.prj").unlink()
    return ["check", "--villages", str(tmp_path / "v.csv"), "--schools", str(tmp_path / "s.csv"), "--roads",
            str(tmp_path / "roads.shp"), "--out", str(tmp_path / "out"), "--quiet"], 3000 / (4000 / 60)


def test_surveyed_x_y_on_the_command_line_with_and_without_crs(tmp_path, capsys):
    """X/Y in EPSG:4527 with --crs EPSG:4527: checked (A walks 3 km, 45 min); without --crs
    the message names the EPSG codes. With the roads' .prj lost, --crs gave the road layer the
    tables' CRS: before, "ValueError: cannot convert float NaN to integer" (a traceback, exit 1);
    now a message saying what to do, and with the .prj given back the check runs."""
    options, minutes = surveyed_county(tmp_path)
    assert main([*options, "--lang", "en"]) == 2  # no --crs
    err = capsys.readouterr().err
    assert "EPSG:4527 for CGCS2000, EPSG:2363 for Xi'an 1980, EPSG:2415 for Beijing 1954" in err
    assert main([*options, "--crs", "EPSG:4527", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"error: {tmp_path / 'roads.shp'}: the layer's extent (x 500,000 to 503,000, y 4,400,000 to 4,400,000) lies "
        "outside the area of its coordinate system EPSG:4527, China - onshore between 115°30'E and 118°30'E "
        "(115.5–118.5°E, 22.6–49.88°N): its coordinates are in another system. A file that does not state its own "
        "(a Shapefile without .prj) takes the one of --crs (crs=... in Python), which the tables take too: add the "
        "layer's .prj file, or save it with its coordinate system (e.g. as a GeoPackage)")
    assert main([*options, "--crs", "EPSG:4527", "--lang", "zh"]) == 2
    assert "图层范围（x 500,000 至 503,000，y 4,400,000 至 4,400,000）不在其坐标系 EPSG:4527 的适用范围" in capsys.readouterr().err
    (tmp_path / "roads.prj").write_text(pyproj_wkt(CRS), encoding="utf-8")
    assert main([*options, "--crs", "EPSG:4527", "--lang", "en"]) == 0
    check = gpd.read_file(tmp_path / "out" / "walk_check.gpkg", layer="villages").set_index("village_id")
    assert check.loc["A", "primary_minutes"] == pytest.approx(minutes, rel=1e-3)


def pyproj_wkt(crs: str) -> str:
    from pyproj import CRS as PyprojCRS

    return PyprojCRS(crs).to_wkt("WKT1_ESRI")


# ---------------------------------------------------------------------- zoning short of seats
def test_a_plan_short_of_seats_is_answered_by_nearest_school_with_the_reason(tmp_path, capsys, demo):
    """Closing S01–S06 leaves fewer primary seats than pupils. The library refuses to zone it
    (InfeasibleError naming the shortfall); `planning evaluate --assignment zoned` and
    `compare` answer, the plan by nearest school with a note saying why (as the app does).
    Before: exit 2 with only the error, nothing evaluated or written."""
    closed = ["S01", "S02", "S03", "S04", "S05", "S06"]
    scenario = planning.Scenario(demo, "close six")
    for school in closed:
        scenario = scenario.close(school)
    schools = demo.schools
    teaching = schools["grades"].map(lambda grades: bool(set(grades) & set(range(1, 7)))) & ~schools.index.isin(closed)
    pupils, seats = demo.villages["primary_pupils"].sum(), schools.loc[teaching, "capacity"].sum()
    assert seats < pupils
    short = f"short by {round(pupils) - round(seats):,}"
    with pytest.raises(planning.InfeasibleError) as caught:
        scenario.evaluate("zoned", solver_seconds=30)
    assert f"primary: {round(pupils):,} pupils" in caught.value.text("en") and short in caught.value.text("en")
    path = tmp_path / "close.yaml"
    path.write_text("name: close six\nproject: demo\nedits:\n" + "".join(f"  - {{op: close, school: {s}}}\n"
                                                                       for s in closed), encoding="utf-8")
    consolidate = ROOT_SCENARIOS / "consolidate_5.yaml"
    out = tmp_path / "out"
    assert main(["compare", str(path), str(consolidate), "--assignment", "zoned", "--out", str(out),
                 "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert f'note: the plan "close six" cannot be zoned (zoning is infeasible before solving: primary: {round(pupils):,} ' \
           "pupils" in printed and short in printed
    assert 'the plan "撤并为5所" cannot' not in printed  # a plan that can be zoned is zoned
    summary = pd.read_csv(out / "compare_summary.csv", encoding="utf-8-sig", index_col=0)
    nearest = evaluate_or_nearest(scenario, "zoned")[0]
    assert nearest.assignment == "nearest"
    assert summary.loc["schools_open", "close six"] == 7
    assert summary.loc["unserved", "close six"] == pytest.approx(nearest.summary["unserved"])
    assert main(["evaluate", "--scenario", str(path), "--assignment", "zoned", "--out", str(out), "--lang", "zh"]) == 0
    assert "注意：方案“close six”无法整村划片" in capsys.readouterr().out
    assert main(["evaluate", "--scenario", str(path), "--assignment", "zoned", "--horizon", "2", "--out", str(out),
                 "--lang", "en"]) == 0
    assert 'note: the plan "close six" cannot be zoned in some year' in capsys.readouterr().out


# ---------------------------------------------------------------------- OSM files and road layers too large
def test_an_osm_file_over_its_size_limit_is_refused_unread_until_the_limit_is_raised(tmp_path, monkeypatch):
    """Before: no limit; a province's extract was read whole (several times its size in memory)."""
    import osmium

    path = osm_without_schools(tmp_path, school=True)
    size = os.path.getsize(path)
    opened = osmium.FileProcessor

    def never(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(planning.settings, "max_osm_mb", size / 2 / (1 << 20))
    monkeypatch.setattr(osmium, "FileProcessor", never)
    with pytest.raises(ValidationError) as caught:
        planning.from_osm(path)
    limit = f"{size / 2 / (1 << 20):,g}"
    assert caught.value.text("en") == (
        f"{path}: the file is 0.0 MB, more than the limit of {limit} MB for OSM files, and was not read, to keep memory "
        "safe. Check that this is the right file (the county's, not a province's); to read it anyway, raise the limit: "
        "planning.settings.max_osm_mb in Python, or the environment variable PLANNING_MAX_OSM_MB (e.g. "
        "PLANNING_MAX_OSM_MB=100) before starting the command line or the app")
    assert caught.value.text("zh").startswith(f"{path}：文件大小为 0.0 MB，超过OSM 文件的上限 {limit} MB，为防止内存耗尽未读入")
    monkeypatch.setattr(osmium, "FileProcessor", opened)
    monkeypatch.setattr(planning.settings, "max_osm_mb", size * 2 / (1 << 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert planning.from_osm(path).schools["name"].tolist() == ["乙村小学"]


def test_an_osm_file_with_more_ways_than_the_limit_stops_being_read(tmp_path, monkeypatch):
    path = osm_without_schools(tmp_path, school=True)  # one walkable way
    monkeypatch.setattr(planning.settings, "max_road_features", 0)
    with pytest.raises(ValidationError) as caught:
        planning.from_osm(path)
    assert caught.value.text("en").startswith(f"{path}: the layer holds more than 0 roads and was not read, to keep "
                                              "memory safe (a county has tens of thousands)")
    assert "PLANNING_MAX_ROAD_FEATURES" in caught.value.text("zh")
    monkeypatch.setattr(planning.settings, "max_road_features", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert planning.from_osm(path).network.summary()["nodes"] == 3


def test_a_road_layer_over_its_size_or_line_limit_is_refused_unread(tmp_path, monkeypatch, capsys):
    """The county's road layer of five lines: refused above max_roads_mb or max_road_features,
    naming the file, its size, the limit and the environment variable (zh, en, command line)."""
    files = county_files(tmp_path, ".csv", villages=2)
    roads = files["roads"]
    size = os.path.getsize(roads)
    monkeypatch.setattr(planning.settings, "max_roads_mb", 0.01)
    assert size > 0.01 * (1 << 20)
    with pytest.raises(ValidationError) as caught:
        planning.from_files(**files)
    shown = f"{size / (1 << 20):,.1f}"
    assert caught.value.text("en").startswith(f"{roads}: the file is {shown} MB, more than the limit of 0.01 MB for "
                                              "road layers, and was not read")
    assert "planning.settings.max_roads_mb in Python, or the environment variable PLANNING_MAX_ROADS_MB" in \
        caught.value.text("en")
    options = ["check", "--villages", str(files["villages"]), "--schools", str(files["schools"]), "--roads", str(roads),
               "--crs", CRS, "--out", str(tmp_path / "out"), "--quiet", "--lang", "zh"]
    assert main(options) == 2
    assert f"{roads}：文件大小为 {shown} MB，超过道路图层的上限 0.01 MB" in capsys.readouterr().err
    monkeypatch.setattr(planning.settings, "max_roads_mb", 200)
    monkeypatch.setattr(planning.settings, "max_road_features", 4)  # five lines in the file
    with pytest.raises(ValidationError, match="the layer holds more than 4 roads"):
        planning.from_files(**files)
    monkeypatch.setattr(planning.settings, "max_road_features", 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert planning.from_files(**files).network.summary()["km"] == pytest.approx(5.0)


# ---------------------------------------------------------------------- a long table on the terminal
def test_planning_check_prints_a_page_for_a_long_table_and_writes_every_village(tmp_path, capsys):
    """100 villages along a 5 km road, the last 40 of them 600 m off it (a note each). Before:
    every village printed per level and every note (a 100,000-village table: 214,109 lines,
    18.8 MB on the terminal); now the 30 longest walks per level, the count, and where the
    full table and the notes are."""
    from planning.cli import NOTES_SHOWN, WORST_SHOWN

    files = county_files(tmp_path, ".csv", villages=2)
    rows = [f"V{i:03d},村{i},{X0 + 40 * i},{Y0 + (600 if i >= 60 else 0)},10,5" for i in range(100)]
    (tmp_path / "many.csv").write_text("村编号,村名,x,y,小学生数,初中生数\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["check", "--villages", str(tmp_path / "many.csv"), "--schools", str(files["schools"]), "--roads",
                 str(files["roads"]), "--crs", CRS, "--out", str(out), "--quiet", "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    cut = f"100 villages in all; only the {WORST_SHOWN} with the longest walks are shown here, every village is in " \
          f"{out / 'walk_check.csv'}"
    assert printed.count(cut) == 2  # primary and junior
    full = pd.read_csv(out / "walk_check.csv", encoding="utf-8-sig", index_col=0)
    assert len(full) == 100
    worst = set(full.sort_values("primary_minutes", ascending=False).index[:WORST_SHOWN])
    shown = {line.split()[0] for line in printed.splitlines() if line.startswith("V")}
    assert shown == worst  # the same 30 in both levels: one school serves every grade
    assert len(printed.splitlines()) < 120
    notes = (out / "data_notes.txt").read_text(encoding="utf-8").splitlines()
    assert len(notes) == 40 and all(f"(V{i:03d})" in "".join(notes) for i in range(60, 100))
    assert f"{len(notes) - NOTES_SHOWN} more notes are not shown; every note is in {out / 'data_notes.txt'}" in printed
    assert main(["check", "--villages", str(files["villages"]), "--schools", str(files["schools"]), "--roads",
                 str(files["roads"]), "--crs", CRS, "--out", str(tmp_path / "small"), "--quiet", "--lang", "zh"]) == 0
    printed = capsys.readouterr().out
    assert "个村，此处只列" not in printed and {"V0", "V1"} <= {line.split()[0] for line in printed.splitlines() if line}


@pytest.mark.parametrize(("crs", "lang", "expected"), [
    ("EPSG:99999", "en", "the coordinate system 'EPSG:99999' is not known ("),
    ("高斯", "zh", "无法识别坐标系 '高斯'（"),
])
def test_an_unknown_crs_on_the_command_line_is_a_message(tmp_path, capsys, crs, lang, expected):
    """Before: pyproj's CRSError as a traceback (exit 1)."""
    files = county_files(tmp_path, ".csv", villages=2)
    assert main(["check", "--villages", str(files["villages"]), "--schools", str(files["schools"]), "--roads",
                 str(files["roads"]), "--crs", crs, "--out", str(tmp_path / "out"), "--quiet", "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert f"{files['villages']}" in err and expected in err
    assert "EPSG:4490" in err and "--crs" in err and "Traceback" not in err
