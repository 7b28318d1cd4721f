"""Terrain from a DEM (issue 17 item 6): roads without elevations get heights from a DEM
raster, so Tobler's slope speeds apply; road elevations win; any CRS; no-data ignored.

Hand-computed cases ride a 2 km road (tests/helpers.py: 4 km/h, 100 m = 1.5 min) over a
"tent": a ridge at x = 1000 m, 10 % up from each end. Tobler's factor at +10 % is
exp(-3.5·0.15)/exp(-3.5·0.05) = exp(-0.35), so 1000 m climbing takes 15·exp(0.35) =
21.286 min; the same 1000 m flat (or 10 % down: factor exactly 1) takes 15 min.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer

import planning
from planning import Project
from planning.load import DEMO_FOLDER, from_files
from planning.terrain import densify, elevation_source, sample_dem, with_dem
from planning.validation import validate_schools, validate_villages

from .helpers import CRS, X0, Y0, line_network, points

CLIMB_MIN = 15 * math.exp(0.35)  # 1000 m up a 10 % slope at 4 km/h (Tobler)
FLAT_MIN = 15.0                  # 1000 m flat, or 10 % down
RIDGE_X, RISE = 1000.0, 0.1


def tent(x_m: np.ndarray) -> np.ndarray:
    """Ground height (m) at x metres east of X0: 100 m at both ends, 200 m on the ridge."""
    return 200.0 - RISE * np.abs(np.asarray(x_m) - RIDGE_X)


def write_dem(path: Path, heights: np.ndarray, *, west: float, north: float, cell: float, crs: str,
              nodata: float | None = None) -> Path:
    """A one-band float32 GeoTIFF, ``heights`` (rows north to south) from the corner (west, north)."""
    with rasterio.open(path, "w", driver="GTiff", width=heights.shape[1], height=heights.shape[0], count=1,
                       dtype="float32", crs=crs, transform=Affine(cell, 0.0, west, 0.0, -cell, north),
                       nodata=nodata) as dst:
        dst.write(heights.astype(np.float32), 1)
    return path


def tent_dem(path: Path, *, nodata: float | None = None, hole: tuple[float, float] | None = None,
             hole_value: float = -9999.0, shift_m: float = 0.0, x_from: float = -50.0) -> Path:
    """The tent in EPSG:32650 at 10 m cells whose centres fall on x = 0, 10, …, 2000 m (so
    the ridge is a column of cell centres and bilinear heights are exact), 200 m each side
    of the road, from ``x_from`` on; cells with centres in ``hole`` (x from, to) hold ``hole_value``."""
    x = np.arange(x_from, 2051.0, 10.0)
    heights = np.repeat(tent(x)[None, :], 41, axis=0)
    if hole is not None:
        heights[:, (x >= hole[0]) & (x <= hole[1])] = hole_value
    return write_dem(path, heights, west=X0 + x[0] - 5 + shift_m, north=Y0 + 205, cell=10.0, crs=CRS, nodata=nodata)


def ridge_project(network: planning.WalkNetwork) -> Project:
    """Village W at x = 0, village E at x = 2000, the school on the ridge at x = 1000."""
    villages = validate_villages(gpd.GeoDataFrame(
        [{"village_id": "W", "name": "W", "primary": 10, "junior": 0},
         {"village_id": "E", "name": "E", "primary": 10, "junior": 0}], geometry=points([0, 2000]).values))
    schools = validate_schools(gpd.GeoDataFrame([{"school_id": "S", "name": "S", "type": "village_primary"}],
                                                geometry=points([RIDGE_X]).values))
    return Project(villages, schools, network)


def minutes(project: Project) -> tuple[float, float]:
    times = project.travel_times()["S"]
    return float(times["W"]), float(times["E"])


def test_a_road_over_a_ridge_climbs_both_ways_as_tobler_says(tmp_path):
    road = line_network(2000)  # one straight segment from x = 0 to 2000: no vertex on the ridge
    assert road.node_z is None
    assert minutes(ridge_project(road)) == pytest.approx((FLAT_MIN, FLAT_MIN), rel=1e-9)  # flat without a DEM
    hilly = with_dem(road, tent_dem(tmp_path / "tent.tif"))
    # densified every 40 m: 50 pieces, a node on the ridge; heights exact (bilinear of a tent)
    assert hilly.n_segments == 50
    assert np.allclose(hilly.node_z, tent(hilly.node_xy[:, 0] - X0), atol=1e-6)
    assert minutes(ridge_project(hilly)) == pytest.approx((CLIMB_MIN, CLIMB_MIN), rel=1e-6)
    # even a coarse step keeps the climb: 2000 m in pieces of at most 700 m (3 × 666.7 m)
    coarse = with_dem(road, tmp_path / "tent.tif", step_m=700)
    assert coarse.n_segments == 3 and minutes(ridge_project(coarse))[0] > FLAT_MIN * 1.2
    assert hilly.elevation_from == ("tent.tif",)
    assert elevation_source(hilly, "en") == "the DEM tent.tif"
    assert elevation_source(hilly, "zh") == "数字高程模型 tent.tif"
    assert elevation_source(road, "en") == "none (walks taken as flat)"


def test_densify_keeps_lengths_and_places_road_heights_on_an_even_slope():
    road = gpd.GeoDataFrame({"highway": ["residential"]}, crs=CRS,
                            geometry=[shapely.LineString([(X0, Y0, 100.0), (X0 + 100, Y0, 110.0)])])
    network = planning.WalkNetwork.from_lines(road)
    dense = densify(network, step_m=30)
    assert dense.n_segments == 4  # 100 m in four pieces of 25 m
    assert dense.seg_length.sum() == pytest.approx(100.0)
    assert sorted(dense.node_z) == pytest.approx([100.0, 102.5, 105.0, 107.5, 110.0])


def test_road_elevations_win_over_the_dem(tmp_path):
    """A 3-D road climbing 5 % eastwards all along, over the tent: the road's own heights count."""
    line = shapely.LineString([(X0, Y0, 100.0), (X0 + 2000, Y0, 200.0)])
    network = planning.WalkNetwork.from_lines(gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[line],
                                                               crs=CRS))
    with_both = with_dem(network, tent_dem(tmp_path / "tent.tif"))
    assert np.allclose(with_both.node_z, 100.0 + 0.05 * (with_both.node_xy[:, 0] - X0))
    west, east = minutes(ridge_project(with_both))
    grade_factor = math.exp(-3.5 * 0.10) / math.exp(-3.5 * 0.05)  # +5 %: the W walk; −5 %: E, factor e^0.175
    assert west == pytest.approx(FLAT_MIN / grade_factor, rel=1e-6)
    assert east == pytest.approx(FLAT_MIN / (1 / math.exp(-3.5 * 0.05)), rel=1e-6)
    assert with_both.elevation_from == ("road", "tent.tif")
    assert elevation_source(with_both, "en") == "road elevations (3-D lines), the DEM tent.tif"
    assert elevation_source(with_both, "zh") == "道路三维高程，数字高程模型 tent.tif"


def test_a_dem_in_another_crs_gives_the_same_heights(tmp_path):
    """The tent as a DEM in degrees (EPSG:4326, cells of about 4 m): heights within a few
    centimetres except at the ridge's kink, walking times within 0.5 % of the hand figures."""
    to_utm = Transformer.from_crs(4326, CRS, always_xy=True)
    to_deg = Transformer.from_crs(CRS, 4326, always_xy=True)
    west, south = to_deg.transform(X0 - 100, Y0 - 200)
    east, north = to_deg.transform(X0 + 2100, Y0 + 200)
    cell = 0.00004
    lon = west + (np.arange(math.ceil((east - west) / cell)) + 0.5) * cell
    lat = north - (np.arange(math.ceil((north - south) / cell)) + 0.5) * cell
    x, _ = to_utm.transform(*np.meshgrid(lon, lat))
    path = write_dem(tmp_path / "tent_wgs84.tif", tent(np.asarray(x) - X0), west=west, north=north, cell=cell,
                     crs="EPSG:4326")
    hilly = with_dem(line_network(2000), path)
    away = np.abs(hilly.node_xy[:, 0] - X0 - RIDGE_X) > 10
    assert np.allclose(hilly.node_z[away], tent(hilly.node_xy[away, 0] - X0), atol=0.05)
    assert minutes(ridge_project(hilly)) == pytest.approx((CLIMB_MIN, CLIMB_MIN), rel=0.005)


def test_a_dem_that_does_not_cover_the_roads_is_refused(tmp_path):
    path = tent_dem(tmp_path / "elsewhere.tif", shift_m=50_000)
    with pytest.raises(planning.ValidationError) as info:
        with_dem(line_network(2000), path)
    assert info.value.text("en").endswith(
        "the DEM elsewhere.tif does not cover the roads: not one valid height where the roads are (another area, "
        "or no-data cells only). Check that the DEM covers the roads and states its coordinate system correctly")
    assert "高程数据 elsewhere.tif 没有覆盖道路" in info.value.text("zh")


def test_a_dem_covering_part_of_the_roads_warns_and_leaves_the_rest_flat(tmp_path):
    """The DEM covers x from 1445 m on (its first cell's edge): of the 51 nodes every 40 m,
    the 37 at 0 … 1440 m get no height. E's walk climbs 520 m (2000 → 1480 m) and is flat
    for the other 480 m; W's is flat all along."""
    path = tent_dem(tmp_path / "half.tif", x_from=1450)
    with pytest.warns(planning.DataWarning) as caught:
        hilly = with_dem(line_network(2000), path)
    note = next(w.message for w in caught if "half.tif" in str(w.message))
    assert str(note).startswith("DEM half.tif: 37 of the 51 road points without road elevations lie outside the DEM")
    assert note.text("zh").startswith("高程数据 half.tif：51 个缺少道路高程的道路节点中，有 37 个不在 DEM 范围内")
    assert np.isnan(hilly.node_z).sum() == 37
    west, east = minutes(ridge_project(hilly))
    assert west == pytest.approx(FLAT_MIN, rel=1e-6)  # no heights west of 1445 m: flat
    assert east == pytest.approx(0.52 * CLIMB_MIN + 0.48 * FLAT_MIN, rel=1e-6)


@pytest.mark.parametrize(("nodata", "value"), [(-9999.0, -9999.0), (None, -32768.0)],
                         ids=["declared no-data", "undeclared -32768"])
def test_no_data_cells_are_not_heights(tmp_path, nodata, value):
    """A band of no-data cells across the road (x 400–600 m): declared by the file, or an
    SRTM-style -32768 it does not declare (outside the elevations a road can have). No
    height comes from them; nodes among them only are unknown (flat stretches)."""
    path = tent_dem(tmp_path / "holes.tif", nodata=nodata, hole=(400, 600), hole_value=value)
    with pytest.warns(planning.DataWarning, match="holes.tif"):
        hilly = with_dem(line_network(2000), path)
    known = np.isfinite(hilly.node_z)
    xs = hilly.node_xy[:, 0] - X0
    assert not known[(xs > 410) & (xs < 590)].any()
    # Next to the hole, the valid neighbours only: heights stay on the ground (within one 10 m cell's rise)
    assert np.all(np.abs(hilly.node_z[known] - tent(xs[known])) <= RISE * 10 + 1e-6)
    west, _ = minutes(ridge_project(hilly))
    assert FLAT_MIN < west < CLIMB_MIN - 0.5  # the climb between 400 and 600 m is lost, not worse


def test_a_dem_too_large_for_the_roads_window_is_refused(tmp_path, monkeypatch):
    """The window over the road: its cells' centres from x = 0 to 2000 m (201 columns) and
    the road's row, with 2 cells around: 5 rows × 205 columns, beyond a limit of 1,000."""
    monkeypatch.setattr(planning.terrain, "MAX_CELLS", 1000)
    with pytest.raises(planning.ValidationError) as info:
        with_dem(line_network(2000), tent_dem(tmp_path / "big.tif"))
    assert ("the part of the DEM big.tif covering the roads has 5 rows × 205 columns of cells, more than the 1,000 "
            "allowed; clip the DEM to the county") in info.value.text("en")
    assert "高程数据 big.tif 覆盖道路的部分有 5 行 × 205 列像元，超过上限 1,000 个" in info.value.text("zh")


def test_only_the_window_over_the_roads_is_read(tmp_path, monkeypatch):
    """A DEM 20 km wide (41 × 2000 cells) around a 2 km road: read within a limit of 41 × 210
    cells, which the whole file is far beyond (the window over the road is 5 × 205)."""
    x = np.arange(-10_000.0, 10_000.0, 10.0)
    path = write_dem(tmp_path / "wide.tif", np.repeat(tent(x)[None, :], 41, axis=0), west=X0 - 10_005,
                     north=Y0 + 205, cell=10.0, crs=CRS)
    monkeypatch.setattr(planning.terrain, "MAX_CELLS", 41 * 210)
    road = line_network(2000)
    assert sample_dem(path, road.node_xy, road.crs) == pytest.approx(tent(np.array([0.0, 2000.0])))


def test_the_demo_roads_without_their_z_and_the_demo_dem_walk_alike(tmp_path):
    """The demo's 3-D roads against the same roads flattened (Z dropped) plus the demo's DEM
    (30 m cells of the same terrain, data/make_demo.py): every village-to-school walk agrees
    within 1 % (median within 0.1 %; measured: median 0.01 %, largest 0.5 %), while the flat
    roads alone are off by far more (measured: up to 33 %)."""
    roads = gpd.read_file(DEMO_FOLDER / "roads.gpkg")
    flat = roads.copy()
    flat.geometry = shapely.force_2d(roads.geometry.to_numpy())
    flat.to_file(tmp_path / "roads_2d.gpkg", driver="GPKG")
    files = {"villages": DEMO_FOLDER / "villages.csv", "schools": DEMO_FOLDER / "schools.csv",
             "sites": DEMO_FOLDER / "sites.csv"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planning.DataWarning)
        with_z = from_files(roads=DEMO_FOLDER / "roads.gpkg", **files)
        from_dem = from_files(roads=tmp_path / "roads_2d.gpkg", dem=DEMO_FOLDER / "dem.tif", **files)
        flat_only = from_files(roads=tmp_path / "roads_2d.gpkg", **files)
    assert with_z.network.elevation_from == ("road",) and from_dem.network.elevation_from == ("dem.tif",)
    assert flat_only.network.node_z is None
    a, b, c = (p.travel_times().to_numpy() for p in (with_z, from_dem, flat_only))
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    reached = np.isfinite(a)
    off = np.abs(b[reached] / a[reached] - 1)
    assert np.median(off) < 0.001 and off.max() < 0.01
    assert np.abs(c[reached] / a[reached] - 1).max() > 0.1
    # a saved project keeps the heights and says they came from the DEM
    from planning.store import read_project, save_project
    save_project(tmp_path / "project.gpkg", from_dem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planning.DataWarning)
        reopened = read_project(tmp_path / "project.gpkg").project
    assert reopened.network.elevation_from == ("dem.tif",)
    assert np.allclose(reopened.travel_times().to_numpy()[reached], b[reached], rtol=1e-9)


def test_the_demo_dem_is_small_and_covers_the_township():
    path = DEMO_FOLDER / "dem.tif"
    assert path.stat().st_size < 1_000_000
    with rasterio.open(path) as dem:
        assert dem.res == (30.0, 30.0) and dem.crs.to_epsg() == 32649
        assert dem.profile["compress"].lower() == "deflate"


def test_maps_reports_and_the_walk_check_name_the_elevation_source(tmp_path):
    """The interactive map's legend, the printed map's notes and the command line's walk
    check say where elevations came from: the DEM by its file name, or none."""
    import matplotlib.pyplot as plt

    from planning.cli import format_report
    from planning.maps import legend_html
    from planning.report import _draw
    from planning.walkcheck import walk_check, walk_summary

    hilly = ridge_project(with_dem(line_network(2000), tent_dem(tmp_path / "tent.tif")))
    flat = ridge_project(line_network(2000))
    assert "高程来源：数字高程模型 tent.tif" in legend_html(hilly, lang="zh")
    assert "elevations: the DEM tent.tif" in legend_html(hilly, lang="en")
    assert "elevations: none (walks taken as flat)" in legend_html(flat, lang="en")
    fig = _draw(hilly, planning.baseline(hilly), level="primary", lang="en", paper="A4", title="ridge")
    try:
        assert "elevations: the DEM tent.tif" in "\n".join(text.get_text() for text in fig.texts)
    finally:
        plt.close(fig)
    printed = format_report(hilly, walk_check(hilly), walk_summary(hilly), lang="zh")
    assert "高程来源：数字高程模型 tent.tif" in printed.splitlines()[2]
    assert "高程来源：无（按平地计算）" in format_report(flat, walk_check(flat), walk_summary(flat), lang="zh")


def test_the_app_loads_uploaded_roads_with_a_dem(tmp_path, monkeypatch):
    """Through the app's script: villages, schools, the demo's roads without Z and its DEM
    uploaded; the project's walks take their slopes from the DEM."""
    from planning.i18n import t

    from .helpers import FakeUpload, load_in_app

    roads = gpd.read_file(DEMO_FOLDER / "roads.gpkg")
    roads.geometry = shapely.force_2d(roads.geometry.to_numpy())
    roads.to_file(tmp_path / "roads_2d.gpkg", driver="GPKG")
    monkeypatch.setattr(planning.settings, "upload_folder", tmp_path / "uploads", raising=False)
    uploads = {t("app.upload.villages", "zh"): FakeUpload("villages.csv", DEMO_FOLDER / "villages.csv"),
               t("app.upload.schools", "zh"): FakeUpload("schools.csv", DEMO_FOLDER / "schools.csv"),
               t("app.upload.roads", "zh"): FakeUpload("roads_2d.gpkg", tmp_path / "roads_2d.gpkg"),
               t("app.upload.dem", "zh"): FakeUpload("dem.tif", DEMO_FOLDER / "dem.tif")}
    at = load_in_app(monkeypatch, uploads)
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    network = at.session_state["project"].network
    assert network.elevation_from == ("dem.tif",) and np.isfinite(network.node_z).all()


def test_the_command_line_takes_a_dem(tmp_path, capsys):
    """``planning check --roads … --dem FILE``: the walk check's output names the DEM."""
    from planning.cli import main

    roads = gpd.read_file(DEMO_FOLDER / "roads.gpkg")
    roads.geometry = shapely.force_2d(roads.geometry.to_numpy())
    roads.to_file(tmp_path / "roads_2d.gpkg", driver="GPKG")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planning.DataWarning)
        code = main(["check", "--villages", str(DEMO_FOLDER / "villages.csv"), "--schools",
                     str(DEMO_FOLDER / "schools.csv"), "--roads", str(tmp_path / "roads_2d.gpkg"), "--dem",
                     str(DEMO_FOLDER / "dem.tif"), "--out", str(tmp_path / "out"), "--quiet", "--lang", "en"])
    assert code == 0
    assert "elevations: the DEM dem.tif" in capsys.readouterr().out.splitlines()[2]
    # the demo and saved projects carry their heights: a DEM there is refused, not ignored
    with pytest.raises(SystemExit, match="applies to roads read with --roads or --osm"):
        main(["check", "--demo", "--dem", str(DEMO_FOLDER / "dem.tif"), "--out", str(tmp_path / "o"), "--lang", "en"])
    with pytest.raises(SystemExit, match="只用于 --roads 或 --osm"):
        main(["check", "--demo", "--dem", str(DEMO_FOLDER / "dem.tif"), "--out", str(tmp_path / "o")])


def test_an_osm_project_takes_its_heights_from_a_dem(tmp_path, liechtenstein):
    """OSM has no elevations: ``from_osm(..., dem=)`` gives them from a DEM, here a plane in
    degrees rising 1 m per 0.0001° of latitude northwards (bilinear heights of a plane are
    exact), and the walks change with the slope."""
    from .conftest import shared_file

    assert liechtenstein.network.node_z is None and liechtenstein.network.elevation_from == ()
    west, south, east, north, cell = 9.45, 47.0, 9.65, 47.28, 0.001
    lat = north - (np.arange(round((north - south) / cell)) + 0.5) * cell
    heights = np.repeat((400 + (lat - south) * 10_000)[:, None], round((east - west) / cell), axis=1)
    path = write_dem(tmp_path / "plane.tif", heights, west=west, north=north, cell=cell, crs="EPSG:4326")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planning.DataWarning)
        hilly = planning.from_osm(shared_file("osm", "liechtenstein", "liechtenstein-2015.osm.pbf"), dem=path)
    network = hilly.network
    assert network.elevation_from == ("plane.tif",)
    _, node_lat = Transformer.from_crs(network.crs, 4326, always_xy=True).transform(*network.node_xy.T)
    assert np.allclose(network.node_z, 400 + (np.asarray(node_lat) - south) * 10_000, atol=0.01)
    assert network.seg_length.max() <= 40.0 + 1e-6
    before, after = liechtenstein.travel_times().to_numpy(), hilly.travel_times().to_numpy()
    both = np.isfinite(before) & np.isfinite(after)
    assert np.abs(after[both] / before[both] - 1).max() > 0.05
