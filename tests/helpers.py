"""Tiny projects on straight roads whose walking times are worked out on paper.

4 km/h is 66.67 m/min: 100 m of road is 1.5 minutes. Points lie on the road (no off-road leg).
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from planning import Policy, Project, WalkNetwork
from planning.validation import validate_schools, validate_sites, validate_villages

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 4_400_000.0


def line_network(length_m: float = 5000.0, road_class: str = "residential") -> WalkNetwork:
    road = gpd.GeoDataFrame({"highway": [road_class]},
                            geometry=[shapely.LineString([(X0, Y0), (X0 + length_m, Y0)])], crs=CRS)
    return WalkNetwork.from_lines(road)


def points(xs) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy([X0 + x for x in xs], [Y0] * len(xs)), crs=CRS)


def project_on_line(villages: dict[str, dict], schools: dict[str, dict], *, sites: dict[str, dict] | None = None,
                    length_m: float = 5000.0, **policy) -> Project:
    """``villages``: id → {x, primary, junior} or {x, grade_1..grade_9}; ``schools``: id → {x, type, ...}."""
    vrows = [{"village_id": k, "name": k, **{c: v for c, v in d.items() if c != "x"}} for k, d in villages.items()]
    vg = validate_villages(gpd.GeoDataFrame(vrows, geometry=points([d["x"] for d in villages.values()]).values))
    srows = [{"school_id": k, "name": k, **{c: v for c, v in d.items() if c != "x"}} for k, d in schools.items()]
    sg = validate_schools(gpd.GeoDataFrame(srows, geometry=points([d["x"] for d in schools.values()]).values))
    site_table = None
    if sites:
        rows = [{"site_id": k, "name": k, **{c: v for c, v in d.items() if c != "x"}} for k, d in sites.items()]
        site_table = validate_sites(gpd.GeoDataFrame(rows, geometry=points([d["x"] for d in sites.values()]).values))
    return Project(vg, sg, line_network(length_m), sites=site_table, policy=Policy(**policy))


def grades(each: int, grades_=range(1, 7)) -> dict[str, int]:
    """``each`` pupils in every grade listed, 0 in the others."""
    return {f"grade_{g}": (each if g in grades_ else 0) for g in range(1, 10)}
