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
import pytest
import shapely

import planning
from planning import Policy, WalkNetwork
from planning.io import read_table
from planning.traveltime import travel_time_matrix

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 4_400_000.0


def flat_minutes(metres: float, policy: Policy | None = None) -> float:
    """Minutes to walk ``metres`` of flat road at the policy's speed (km/h)."""
    return metres / ((policy or Policy()).walk_speed_kmh * 1000 / 60)


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
