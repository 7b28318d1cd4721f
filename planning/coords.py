"""Coordinates from Chinese web maps: GCJ-02 (Amap/高德, Tencent/腾讯) and BD-09 (Baidu/百度).

Points a county reads off a Chinese web map are not WGS84: GCJ-02 shifts them by a
smooth, place-dependent offset of typically 160–700 m (the 2002 national rule), and BD-09
adds Baidu's own offset on top. Every table of a project is WGS84 inside; a table declared
``coords="gcj02"`` or ``"bd09"`` is converted on reading (:func:`to_wgs84`) and its rows
keep ``coords_from`` to say so.

The formulas are the public ones (the Krasovsky-ellipsoid GCJ-02 offset; Baidu's
``x_pi = π·3000/180`` rotation). They are written here (about 30 lines) rather than taken
from PyPI because the packages there (``eviltransform``, ``coord-convert``, ``prcoords``,
``coordtransform``) convert one point per Python call, most are unmaintained since
2018–2019, and their GCJ-02 → WGS84 is a single step (errors of 1–2 m) where this module
iterates to under a centimetre, vectorised over a whole table in numpy.

    >>> lon, lat = wgs84_to_gcj02(116.481499, 39.990475)   # Amap's own example
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.487586, 39.991754)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, cast, get_args

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from .columns import COORDS_ALIASES
from .errors import ValidationError
from .i18n import Listing, Message

Coords = Literal["wgs84", "gcj02", "bd09"]
#: The coordinate systems a table may be declared in.
COORDS: tuple[str, ...] = get_args(Coords)

Array = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

#: Krasovsky 1940 ellipsoid of the GCJ-02 formula: semi-major axis (m), first eccentricity squared.
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
#: Baidu's constant of the BD-09 rotation.
X_PI = np.pi * 3000.0 / 180.0
#: The bounding box (degrees) inside which GCJ-02 shifts points; outside it, points are WGS84.
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # west, south, east, north
#: Convergence of the inverse conversions, degrees (1e-9° ≈ 0.1 mm, far below the 0.01 m asked).
TOLERANCE_DEG = 1e-9
MAX_ITERATIONS = 50


def in_china(lon: ArrayLike, lat: ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether each point lies in the box where GCJ-02 shifts points (:data:`CHINA_BOX`)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    west, south, east, north = CHINA_BOX
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def _offset(lon: Array, lat: Array) -> tuple[Array, Array]:
    """The GCJ-02 offset (degrees of longitude, latitude) at WGS84 points; 0 outside China."""
    x, y = lon - 105.0, lat - 35.0
    wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + wave
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + wave
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = np.radians(lat)
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad) ** 2
    dlat = dlat * 180.0 / (KRASOVSKY_A * (1.0 - KRASOVSKY_EE) / (magic * np.sqrt(magic)) * np.pi)
    dlon = dlon * 180.0 / (KRASOVSKY_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 → GCJ-02 (degrees), the public formula; points outside China unchanged."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 (degrees), Baidu's public formula."""
    x, y = _arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_step(lon: Array, lat: Array) -> tuple[Array, Array]:
    """Baidu's public approximate inverse (BD-09 → GCJ-02), the start of the iteration."""
    x, y = lon - 0.0065, lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _inverse(forward: Callable[[Array, Array], tuple[Array, Array]], lon: Array, lat: Array,
             start: tuple[Array, Array]) -> tuple[Array, Array]:
    """The points p with ``forward(p)`` = (lon, lat), by fixed-point iteration
    p ← p − (forward(p) − target): the offsets vary slowly (a few metres per kilometre), so
    each step shrinks the error about a thousandfold and 2–3 steps reach :data:`TOLERANCE_DEG`."""
    x, y = start
    for _ in range(MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if not len(np.atleast_1d(ex)) or float(np.nanmax(np.abs(np.r_[np.ravel(ex), np.ravel(ey)]))) < TOLERANCE_DEG:
            break
    return x, y


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → WGS84 (degrees): the WGS84 points that GCJ-02 shifts onto the given ones, found
    by iteration to within :data:`TOLERANCE_DEG` (under 0.01 m); points outside China unchanged."""
    lon, lat = _arrays(lon, lat)
    return _inverse(wgs84_to_gcj02, lon, lat, (lon, lat))


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → GCJ-02 (degrees): Baidu's public inverse, refined by iteration so that
    :func:`gcj02_to_bd09` gives the points back to within :data:`TOLERANCE_DEG`."""
    lon, lat = _arrays(lon, lat)
    return _inverse(gcj02_to_bd09, lon, lat, _bd09_to_gcj02_step(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 → BD-09 (degrees), through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → WGS84 (degrees), through GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, coords: str) -> tuple[Array, Array]:
    """Points in ``coords`` (``"wgs84"``, ``"gcj02"`` or ``"bd09"``) as WGS84 degrees."""
    if coords == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if coords == "bd09":
        return bd09_to_wgs84(lon, lat)
    if coords == "wgs84":
        return _arrays(lon, lat)
    raise ValueError(f"coords must be one of {', '.join(COORDS)}, not {coords!r}")


#: The column of a table (read with ``coords=`` and validated) naming the system its file gave.
COORDS_COLUMN = "coords_from"


def checked_coords(value: object, *, source: str | None = None) -> str:
    """The coordinate system ``value`` names (``"wgs84"``, ``"gcj02"`` or ``"bd09"``; None is
    ``"wgs84"``), also from ``GCJ-02``, ``Amap``, ``高德``, ``百度`` and the like.

    Raises
    ------
    ValidationError
        Naming what was given and the choices, when ``value`` names none of them.
    """
    if value is None:
        return "wgs84"
    key = re.sub(r"[\s_\-]", "", str(value)).lower()
    if key in COORDS_ALIASES:
        return COORDS_ALIASES[key]
    raise ValidationError(Message("error.coords_unknown", given=repr(value), allowed=Listing(list(COORDS))),
                          source=source)


def table_to_wgs84(table: gpd.GeoDataFrame, coords: object, *, source: str | None = None) -> gpd.GeoDataFrame:
    """A table read from a file, its geometry converted from ``coords`` to WGS84 (EPSG:4326) and
    a :data:`COORDS_COLUMN` column naming ``coords`` in every row; the table itself when
    ``coords`` is WGS84. Points, lines and polygons alike; points outside China unchanged.

    Raises
    ------
    ValidationError
        When ``coords`` is not recognised (:func:`checked_coords`), or is GCJ-02/BD-09 while
        the table is in projected coordinates (these systems are longitude/latitude only).
    """
    system = checked_coords(coords, source=source)
    if system == "wgs84":
        return table
    if table.crs is None or not table.crs.is_geographic:
        crs = table.crs.to_string() if table.crs is not None else "—"
        raise ValidationError(Message("error.coords_projected", crs=crs, coords=Message(f"coords.{system}")),
                              source=source)

    def convert(xyz: Array) -> Array:  # heights (a road layer's Z) kept as they are
        lon, lat = to_wgs84(xyz[:, 0], xyz[:, 1], system)
        return np.c_[lon, lat, xyz[:, 2:]]

    geometry = table.geometry.to_numpy().copy()
    has_z = np.asarray(shapely.has_z(geometry), dtype=bool)
    for z in (True, False):  # each geometry keeps its Z, or stays 2-D (shapely < 2.1 has no include_z=None)
        if (has_z == z).any():
            geometry[has_z == z] = shapely.transform(geometry[has_z == z], convert, include_z=z)
    out = table.set_geometry(gpd.GeoSeries(geometry, index=table.index, crs=4326))
    out[COORDS_COLUMN] = system
    return cast(gpd.GeoDataFrame, out)


def shift_suggested(lon: ArrayLike, lat: ArrayLike, road_metres: Callable[[Array, Array], Array], *,
                    least_points: int = 3) -> tuple[str, float, float] | None:
    """Whether points declared WGS84 look like GCJ-02 or BD-09 ones: the system, and the median
    distance (metres) of the points to the nearest road as given and as converted from it.

    A web map's points sit off the roads by its offset, all in about the same direction: the
    suggestion is made when converting from that system brings the points markedly nearer
    the roads: the median distance falls to at most half, and by at least a third of the
    median offset (so points that merely sit some way from the roads are not suspected).
    None when neither does, or when fewer than ``least_points`` points lie in China.

    Parameters
    ----------
    road_metres
        The distance (metres) from each WGS84 point (longitude, latitude arrays) to the nearest road.
    """
    lon, lat = _arrays(lon, lat)
    inside = in_china(lon, lat)
    if int(inside.sum()) < least_points:
        return None
    lon, lat = lon[inside], lat[inside]
    given = float(np.median(road_metres(lon, lat)))
    best: tuple[str, float, float] | None = None
    for system in ("gcj02", "bd09"):
        x, y = to_wgs84(lon, lat, system)
        converted = float(np.median(road_metres(x, y)))
        offset = float(np.median(ground_metres(lon, lat, x, y)))
        if converted <= given / 2 and given - converted >= offset / 3 and (best is None or converted < best[2]):
            best = (system, given, converted)
    return best


def from_wgs84(lon: ArrayLike, lat: ArrayLike, coords: str) -> tuple[Array, Array]:
    """WGS84 points as ``coords`` (``"wgs84"``, ``"gcj02"`` or ``"bd09"``) shows them."""
    if coords == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if coords == "bd09":
        return wgs84_to_bd09(lon, lat)
    if coords == "wgs84":
        return _arrays(lon, lat)
    raise ValueError(f"coords must be one of {', '.join(COORDS)}, not {coords!r}")


def ground_metres(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Array:
    """Distance on the ground between points (metres, haversine on a 6,371 km sphere)."""
    p1, p2 = np.radians(np.asarray(lat1, dtype=float)), np.radians(np.asarray(lat2, dtype=float))
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6_371_000.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=float)


__all__ = ["COORDS", "Coords", "COORDS_COLUMN", "checked_coords", "table_to_wgs84", "shift_suggested", "in_china", "wgs84_to_gcj02", "gcj02_to_wgs84", "gcj02_to_bd09", "bd09_to_gcj02",
           "wgs84_to_bd09", "bd09_to_wgs84", "to_wgs84", "from_wgs84", "ground_metres"]
