"""Coordinates read off Chinese web maps: GCJ-02 (Amap, Tencent) and BD-09 (Baidu) (issue 17, item 5).

Conversions are checked against points published by others (cited at each), by round
trips, by the size of the offset at county seats and by leaving points outside China alone;
then through the public entry points: ``read_table(coords=...)``, ``from_files(coords=...)``,
the CLI's ``--coords`` options, and the warning when a table declared WGS84 sits off the
roads by the GCJ-02 offset (the demo moved by that offset).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planning
from planning.cli import _coords_given, build_parser, main
from planning.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    ground_metres,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from planning.errors import DataWarning, ValidationError
from planning.io import read_table
from planning.load import DEMO_FOLDER
from planning.store import save_project

DEG_PER_CM = 1e-7  # 0.01 m is about 9e-8 degrees of latitude


# ---------------------------------------------------------------------- published points
def test_amap_published_example():
    # Amap's coordinate-conversion web service documentation (lbs.amap.com/api/webservice/guide/api/convert),
    # as quoted in the MapCoords package (pypi.org/project/MapCoords): WGS84 116.481499, 39.990475 is
    # GCJ-02 116.487586, 39.991754 and BD-09 116.49412, 39.997716 (six decimals).
    lon, lat = wgs84_to_gcj02(116.481499, 39.990475)
    assert lon == pytest.approx(116.487586, abs=1e-6) and lat == pytest.approx(39.991754, abs=1e-6)
    lon, lat = gcj02_to_bd09(116.487586, 39.991754)
    assert lon == pytest.approx(116.49412, abs=1e-6) and lat == pytest.approx(39.997716, abs=1e-6)
    lon, lat = wgs84_to_bd09(116.481499, 39.990475)
    assert lon == pytest.approx(116.49412, abs=2e-6) and lat == pytest.approx(39.997716, abs=2e-6)


def test_coordtransform_tiananmen_pair():
    # The widely cited Tiananmen pair of wandergis/coordtransform (test/app.js, the JavaScript library
    # hutool and others test against): 116.404, 39.915 in each direction.
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-11)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-11)
    # the inverses published there are single approximate steps (a few centimetres off); ours
    # iterate: within 1e-6° of theirs, and exact where theirs is not
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.39775550083061, 39.91359571849836), abs=1e-6)
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((116.404, 39.915), abs=1e-9)
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-6)
    assert gcj02_to_bd09(lon, lat) == pytest.approx((116.404, 39.915), abs=1e-9)


# ---------------------------------------------------------------------- round trips, sizes, outside China
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(74, 134, 61), np.linspace(18.5, 53, 35))
    return lon.ravel(), lat.ravel()


def test_round_trips_within_a_centimetre():
    lon, lat = china_grid()
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back[0] - lon).max() < DEG_PER_CM and np.abs(back[1] - lat).max() < DEG_PER_CM
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.abs(back[0] - lon).max() < DEG_PER_CM and np.abs(back[1] - lat).max() < DEG_PER_CM
    # and the other way: the WGS84 point found is the one GCJ-02 shifts onto the given point
    ahead = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert np.abs(ahead[0] - lon).max() < 1e-8 and np.abs(ahead[1] - lat).max() < 1e-8
    assert ground_metres(lon, lat, *back).max() < 0.01


# WGS84 county seats: the GCJ-02 offset is some hundreds of metres and differs from place to place
COUNTY_SEATS = {"定西": (104.62, 35.58), "毕节": (105.29, 27.30), "赣州": (114.93, 25.83), "承德": (117.96, 40.95),
                "阿坝": (102.22, 31.90), "喀什": (75.99, 39.47), "拉萨": (91.11, 29.65), "百色": (106.62, 23.90),
                "青山镇 (demo)": (110.12, 27.95)}


@pytest.mark.parametrize("place", COUNTY_SEATS)
def test_offsets_at_county_seats(place):
    lon, lat = COUNTY_SEATS[place]
    gcj = float(ground_metres(lon, lat, *wgs84_to_gcj02(lon, lat)))
    bd = float(ground_metres(lon, lat, *wgs84_to_bd09(lon, lat)))
    assert 160 <= gcj <= 700
    assert bd > gcj + 200  # Baidu adds its own offset on top


def test_points_outside_china_unchanged():
    lon = np.array([139.69, 2.35, 37.62, -74.0, 151.2])  # Tokyo, Paris, Moscow, New York, Sydney
    lat = np.array([35.69, 48.86, 55.75, 40.71, -33.87])
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84):
        x, y = convert(lon, lat)
        assert np.array_equal(x, lon) and np.array_equal(y, lat)


# ---------------------------------------------------------------------- through the entry points
def moved_demo(folder: Path, system: str) -> dict[str, Path]:
    """The demo's villages, schools and sites with their points moved as ``system`` shows them."""
    move = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}[system]
    files = {}
    for table in ("villages", "schools", "sites"):
        frame = pd.read_csv(DEMO_FOLDER / f"{table}.csv", dtype=str)
        lon, lat = move(frame["经度"].astype(float), frame["纬度"].astype(float))
        frame["经度"], frame["纬度"] = [f"{v:.7f}" for v in lon], [f"{v:.7f}" for v in lat]
        files[table] = folder / f"{table}_{system}.csv"
        frame.to_csv(files[table], index=False)
    return files


def loaded(files: dict[str, Path], **options) -> tuple[planning.Project, list[DataWarning]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        project = planning.from_files(files["villages"], files["schools"], sites=files["sites"],
                                      roads=DEMO_FOLDER / "roads.gpkg", **options)
    return project, [w.message for w in caught if isinstance(w.message, DataWarning)]


def looks_like(messages: list[DataWarning], key: str) -> list[DataWarning]:
    return [m for m in messages if getattr(m, "message", None) is not None and m.message.key == key]


def test_read_table_converts_and_records(tmp_path):
    files = moved_demo(tmp_path, "gcj02")
    table = read_table(files["villages"], coords="gcj02")
    demo = read_table(DEMO_FOLDER / "villages.csv")
    assert ground_metres(table.geometry.x, table.geometry.y, demo.geometry.x, demo.geometry.y).max() < 0.02
    assert set(table["coords_from"]) == {"gcj02"} and table.crs.to_epsg() == 4326
    assert "coords_from" not in demo  # nothing converted, nothing recorded
    for given in ("GCJ-02", "高德", "Amap"):
        assert set(read_table(files["villages"], coords=given)["coords_from"]) == {"gcj02"}


def test_unknown_system_and_projected_tables_refused(tmp_path):
    with pytest.raises(ValidationError) as caught:
        read_table(DEMO_FOLDER / "villages.csv", coords="google")
    assert "坐标系 'google' 无法识别" in caught.value.text("zh") and "gcj02" in caught.value.text("zh")
    assert "coordinate system 'google' is not recognised" in caught.value.text("en")
    (tmp_path / "xy.csv").write_text("村编号,村名,x,y,小学生数,初中生数\nV1,甲村,500000,3100000,10,0\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_table(tmp_path / "xy.csv", crs="EPSG:32649", coords="bd09")
    assert "投影坐标（EPSG:32649）" in caught.value.text("zh") and "BD-09（百度）" in caught.value.text("zh")
    assert "projected coordinates (EPSG:32649) but BD-09 (Baidu) applies to longitude/latitude only" in \
        caught.value.text("en")


def test_demo_moved_by_gcj_offset_warns_and_converts(tmp_path):
    demo = planning.demo()
    files = moved_demo(tmp_path, "gcj02")
    _, messages = loaded(files)
    found = looks_like(messages, "data.looks_gcj02")
    assert len(found) == 3  # villages, schools and sites, each named with its file
    assert "these look like Amap/Tencent (GCJ-02) coordinates; choose gcj02" in found[0].text("en")
    assert "villages_gcj02.csv" in found[0].text("en") and "the villages table" in found[0].text("en")
    assert "这些像是高德/腾讯（GCJ-02）坐标，请选择 gcj02" in found[0].text("zh")
    project, messages = loaded(files, coords="gcj02")
    assert not looks_like(messages, "data.looks_gcj02") and not looks_like(messages, "data.looks_bd09")
    for mine, theirs in ((project.villages, demo.villages), (project.schools, demo.schools)):
        assert ground_metres(mine.geometry.x, mine.geometry.y, theirs.geometry.x, theirs.geometry.y).max() < 0.02
    assert np.allclose(project.travel_times().to_numpy(), demo.travel_times().to_numpy(), atol=1e-3, equal_nan=True)


def test_demo_itself_does_not_look_shifted():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        planning.from_files(DEMO_FOLDER / "villages.csv", DEMO_FOLDER / "schools.csv", sites=DEMO_FOLDER / "sites.csv",
                            roads=DEMO_FOLDER / "roads.gpkg")
    keys = [w.message.message.key for w in caught if isinstance(w.message, DataWarning)]
    assert not {"data.looks_gcj02", "data.looks_bd09"} & set(keys)


def test_baidu_per_table_recorded_in_notes_and_project_file(tmp_path):
    gcj, bd = moved_demo(tmp_path, "gcj02"), moved_demo(tmp_path, "bd09")
    files = {"villages": gcj["villages"], "schools": bd["schools"], "sites": DEMO_FOLDER / "sites.csv"}
    _, messages = loaded(files, coords={"villages": "wgs84", "schools": "bd09"})
    assert looks_like(messages, "data.looks_gcj02") and not looks_like(messages, "data.looks_bd09")
    project, messages = loaded(files, coords={"villages": "gcj02", "schools": "bd09"})
    assert not looks_like(messages, "data.looks_gcj02") and not looks_like(messages, "data.looks_bd09")
    assert set(project.villages["coords_from"]) == {"gcj02"} and set(project.schools["coords_from"]) == {"bd09"}
    assert set(project.sites["coords_from"]) == {"wgs84"}
    notes = planning.data_notes(project, "en")
    assert "coordinates of the villages table converted from GCJ-02 (Amap, Tencent) to WGS84 (17 points" in " | ".join(notes)
    assert any(n.startswith("学校表的坐标已从 BD-09（百度）换算为 WGS84（13 个位置") for n in planning.data_notes(project, "zh"))
    reopened = planning.open_project(save_project(tmp_path / "p.gpkg", project)).project
    assert set(reopened.schools["coords_from"]) == {"bd09"}
    assert planning.data_notes(reopened, "en") == notes


def test_cli_coords_options(tmp_path, capsys):
    parser = build_parser()
    args = parser.parse_args(["check", "--coords", "gcj02"])
    assert _coords_given(args) == "gcj02"
    args = parser.parse_args(["check", "--coords", "gcj02", "--school-coords", "bd09"])
    assert _coords_given(args) == {"villages": "gcj02", "schools": "bd09", "sites": "gcj02", "roads": "wgs84"}
    files = moved_demo(tmp_path, "gcj02")
    common = ["check", "--villages", str(files["villages"]), "--schools", str(files["schools"]), "--roads",
              str(DEMO_FOLDER / "roads.gpkg"), "--quiet", "--lang", "en"]
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    assert "these look like Amap/Tencent (GCJ-02) coordinates; choose gcj02" in capsys.readouterr().err
    assert main([*common, "--coords", "gcj02", "--out", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    assert "choose gcj02" not in captured.err
    assert "converted from GCJ-02 (Amap, Tencent) to WGS84" in captured.out + captured.err
    with pytest.raises(SystemExit):
        parser.parse_args(["check", "--coords", "google"])


def test_app_upload_choice(tmp_path):
    from planning import app as logic

    assert list(logic.coords_words("zh")) == ["wgs84", "gcj02", "bd09"]
    assert logic.coords_words("zh")["gcj02"] == "GCJ-02（高德、腾讯）" and logic.coords_words("en")["bd09"] == "BD-09 (Baidu)"
    files = moved_demo(tmp_path, "gcj02")
    uploads = {"villages": files["villages"], "schools": files["schools"], "sites": files["sites"],
               "roads": DEMO_FOLDER / "roads.gpkg"}
    _, notes = logic.uploaded_project(**uploads)
    assert any("choose gcj02" in note.text("en") for note in notes)
    project, notes = logic.uploaded_project(**uploads, coords={"villages": "gcj02", "schools": "gcj02", "sites": "gcj02"})
    assert not any("choose" in note.text("en") for note in notes)
    assert set(project.sites["coords_from"]) == {"gcj02"}


def test_app_upload_form_offers_the_systems():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"), default_timeout=180).run()
    at.radio(key="source").set_value("files").run()
    for kind in ("villages", "schools", "sites"):
        box = at.selectbox(key=f"coords_{kind}_zh")
        assert box.value == "wgs84" and box.options == ["WGS84（GPS、天地图、OSM）", "GCJ-02（高德、腾讯）", "BD-09（百度）"]
    assert at.selectbox(key="coords_villages_zh").label == "村庄表的坐标系"


def test_road_layer_named_is_converted_keeping_its_heights(tmp_path):
    """A road layer digitised on Amap (GCJ-02, heights kept) with GCJ-02 tables: converted when
    ``coords`` names the roads, the demo's times come back (the heights, and so the slopes, kept)."""
    import geopandas as gpd
    import shapely

    demo = planning.demo()
    files = moved_demo(tmp_path, "gcj02")
    roads = gpd.read_file(DEMO_FOLDER / "roads.gpkg").to_crs(4326)
    assert roads.geometry.has_z.all()
    roads["geometry"] = shapely.transform(roads.geometry.to_numpy(), lambda xyz: np.c_[
        np.column_stack(wgs84_to_gcj02(xyz[:, 0], xyz[:, 1])), xyz[:, 2]], include_z=True)
    roads.to_file(tmp_path / "roads_gcj02.gpkg")
    systems = {"villages": "gcj02", "schools": "gcj02", "sites": "gcj02", "roads": "gcj02"}
    project = planning.from_files(files["villages"], files["schools"], sites=files["sites"],
                                  roads=tmp_path / "roads_gcj02.gpkg", coords=systems)
    assert project.network.node_z is not None
    assert np.allclose(project.travel_times().to_numpy(), demo.travel_times().to_numpy(), atol=0.01, equal_nan=True)


def test_scenario_file_names_the_coordinate_system(tmp_path):
    from planning.cli import _entry_project

    files = moved_demo(tmp_path, "gcj02")
    (tmp_path / "plan.yaml").write_text(
        f"name: plan\nproject:\n  villages: {files['villages'].name}\n  schools: {files['schools'].name}\n"
        f"  roads: {DEMO_FOLDER / 'roads.gpkg'}\n  coords: gcj02\nedits: []\n", encoding="utf-8")
    project = _entry_project(tmp_path / "plan.yaml")
    assert set(project.villages["coords_from"]) == {"gcj02"}
    assert ground_metres(project.villages.geometry.x, project.villages.geometry.y,
                         planning.demo().villages.geometry.x, planning.demo().villages.geometry.y).max() < 0.02
