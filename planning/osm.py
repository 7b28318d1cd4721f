"""Read an OpenStreetMap file (.osm.pbf, .osm, .osm.bz2): walking network, settlements, schools.

pyosmium (libosmium) streams the file once; a whole small country reads in about a
second. The walking filter follows osmnx's ``network_type="walk"``: ways with a ``highway`` tag
except motorways, construction, platforms and the like, ``area=yes``, ``foot=no``,
``access=private|no``, ``service=private``; unlike osmnx it keeps cycleways (walkable
unless ``foot=no``), and ``foot=yes|designated|permissive`` always makes a way walkable.

Online areas go through osmnx (:func:`download`), cached by osmnx; tests use local files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from . import settings
from .errors import ValidationError
from .i18n import Listing, Message
from .io import check_file_size, utm_crs
from .network import WalkNetwork
from .policy import Policy

ATTRIBUTION = "© OpenStreetMap contributors"
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".xml")
FOOT_ALLOWED = ("yes", "designated", "permissive")
#: Settlement kinds read as villages (OSM ``place=*``).
PLACE_TYPES = ("village", "hamlet", "town", "isolated_dwelling")


@dataclass
class OsmData:
    """What an OSM file holds for planning.

    Attributes
    ----------
    network
        The walking network (projected to the area's UTM zone).
    settlements
        ``place=*`` nodes: osm id, name, name_zh, name_en, place, population (people).
    schools
        ``amenity=school`` nodes and areas (areas as representative points).
    """

    network: WalkNetwork
    settlements: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame


def read_osm(path: str | Path, *, policy: Policy | None = None,
             place_types: tuple[str, ...] = PLACE_TYPES) -> OsmData:
    """Read the walking network, settlements and schools of an OSM file.

    Raises
    ------
    ValidationError
        When the file is missing, not an OSM file, cannot be read, holds no walkable ways,
        is larger than ``settings.max_osm_mb`` (``PLANNING_MAX_OSM_MB``; checked before it is
        read) or holds more walkable ways than ``settings.max_road_features``
        (``PLANNING_MAX_ROAD_FEATURES``; reading stops there).
    """
    import osmium

    policy = policy or Policy()
    path = Path(path)
    if not path.exists():
        raise ValidationError(Message("error.file_not_found", path=str(path)), source=str(path))
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise ValidationError(Message("error.not_osm", name=repr(path.name), allowed=Listing(OSM_SUFFIXES)),
                              source=str(path))
    check_file_size(path, limit_mb=settings.max_osm_mb, setting="max_osm_mb", env="PLANNING_MAX_OSM_MB",
                    what="what.osm_files")
    reader = _Collector(policy, place_types)
    try:
        processor = osmium.FileProcessor(str(path)).with_locations().with_areas()
        for obj in processor:
            reader.take(obj)
    except ValidationError as exc:
        raise ValidationError(exc.problems, source=str(path)) from None
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:  # libosmium's words for a broken file
        raise ValidationError(Message("error.cannot_read_osm", detail=str(exc)), source=str(path)) from exc
    if not reader.ways:
        raise ValidationError(Message("error.osm_no_ways"), source=str(path))
    network = _network(reader.ways, reader.way_class, source=path.name)
    return OsmData(network=network, settlements=reader.settlements(), schools=reader.schools())


class _Collector:
    """Collects what planning needs from a stream of OSM objects."""

    def __init__(self, policy: Policy, place_types: tuple[str, ...]) -> None:
        self.excluded = set(policy.walk_excluded)
        self.place_types = set(place_types)
        self.ways: list[list[tuple[int, float, float]]] = []
        self.way_class: list[str] = []
        self.places: list[dict[str, Any]] = []
        self.school_rows: list[dict[str, Any]] = []

    def take(self, obj: Any) -> None:
        """Keep what an OSM object (node, way or area from pyosmium) says for planning."""
        tags = obj.tags
        if obj.is_node():
            if not obj.location.valid():  # a broken coordinate: nowhere to put the point
                return
            if tags.get("place") in self.place_types:
                self.places.append(_feature(obj, "n", obj.location.lon, obj.location.lat, place=tags.get("place"),
                                            population=tags.get("population")))
            if tags.get("amenity") == "school":
                self.school_rows.append(_school(obj, "n", obj.location.lon, obj.location.lat))
        elif obj.is_way():
            highway = tags.get("highway")
            if highway and self._walkable(tags):
                if len(self.ways) >= settings.max_road_features:  # a province's ways: stop before memory runs out
                    raise ValidationError(Message("error.too_many_roads", limit=f"{settings.max_road_features:,}"))
                self.ways.append([(n.ref, n.lon, n.lat) for n in obj.nodes if n.location.valid()])
                self.way_class.append(highway)
        elif obj.is_area() and obj.tags.get("amenity") == "school":
            point = _area_point(obj)
            if point is not None:
                kind = "w" if obj.from_way() else "r"
                self.school_rows.append(_school(obj, kind, point.x, point.y, osm_id=obj.orig_id()))

    def _walkable(self, tags: Any) -> bool:
        foot = tags.get("foot")
        if foot in FOOT_ALLOWED:
            return True
        if tags.get("highway") in self.excluded or tags.get("area") == "yes":
            return False
        if foot == "no" or tags.get("service") == "private":
            return False
        return tags.get("access") not in ("private", "no")

    def settlements(self) -> gpd.GeoDataFrame:
        frame = pd.DataFrame(self.places, columns=["osm_id", "name", "name_zh", "name_en", "place", "population", "lon", "lat"])
        frame["population"] = frame["population"].map(parse_population)
        return _points(frame)

    def schools(self) -> gpd.GeoDataFrame:
        frame = pd.DataFrame(self.school_rows, columns=["osm_id", "name", "name_zh", "name_en", "isced", "lon", "lat"])
        return _points(frame)


def _feature(obj: Any, kind: str, lon: float, lat: float, *, osm_id: int | None = None, **extra: Any) -> dict[str, Any]:
    tags = obj.tags
    name = tags.get("name") or tags.get("name:zh")
    return {"osm_id": f"{kind}{osm_id if osm_id is not None else obj.id}", "name": name,
            "name_zh": tags.get("name:zh"), "name_en": tags.get("name:en"), "lon": lon, "lat": lat, **extra}


def _school(obj: Any, kind: str, lon: float, lat: float, *, osm_id: int | None = None) -> dict[str, Any]:
    return _feature(obj, kind, lon, lat, osm_id=osm_id, isced=obj.tags.get("isced:level"))


def _area_point(area: Any) -> shapely.Point | None:
    import osmium

    try:
        wkb = osmium.geom.WKBFactory().create_multipolygon(area)
    except RuntimeError:  # broken multipolygon in the data: skip it
        return None
    return shapely.from_wkb(bytes.fromhex(wkb)).representative_point()


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]),
                            geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)


def parse_population(value: object) -> float:
    """Population from an OSM tag: '5933', '1,234', 'ca. 500' → number; else NaN."""
    if value is None:
        return np.nan
    digits = re.sub(r"[,\s'’]", "", str(value))
    match = re.search(r"\d+", digits)
    return float(match.group()) if match else np.nan


def _network(ways: list[list[tuple[int, float, float]]], classes: list[str], *, source: str) -> WalkNetwork:
    lengths = np.fromiter((len(w) for w in ways), dtype=np.int64, count=len(ways))
    flat = np.array([node for way in ways for node in way], dtype=float)
    refs = flat[:, 0].astype(np.int64)
    ids, index, inverse = np.unique(refs, return_index=True, return_inverse=True)
    lon, lat = flat[index, 1], flat[index, 2]
    crs = utm_crs(float(np.median(lon)), float(np.median(lat)))
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    way_of = np.repeat(np.arange(len(ways)), lengths)
    same = way_of[1:] == way_of[:-1]
    return WalkNetwork.from_arrays(
        np.c_[x, y], inverse[:-1][same], inverse[1:][same], np.asarray(classes, dtype=object)[way_of[:-1][same]],
        crs=crs, source=source, attribution=ATTRIBUTION,
    )


def download(place: str | None = None, *, polygon: shapely.Geometry | None = None,
             policy: Policy | None = None) -> OsmData:
    """Download an area's walking network, settlements and schools through osmnx.

    Needs the internet; osmnx caches responses. Give a ``place`` name that Nominatim
    knows (e.g. "三河市, 河北省") or a shapely ``polygon`` in WGS84.
    """
    import osmnx as ox

    if (place is None) == (polygon is None):
        raise ValueError("give exactly one of `place` or `polygon`")
    if polygon is None and place is not None:
        polygon = ox.geocode_to_gdf(place).union_all()
    graph = ox.graph_from_polygon(polygon, network_type="walk", simplify=False, retain_all=True)
    nodes, edges = ox.graph_to_gdfs(graph)
    edges = edges.reset_index()
    edges["highway"] = edges["highway"].map(lambda h: h[0] if isinstance(h, list) else h)
    network = WalkNetwork.from_lines(edges[["highway", "geometry"]], policy=policy, source=place or "osmnx download",
                                     attribution=ATTRIBUTION)
    features = ox.features_from_polygon(polygon, tags={"place": list(PLACE_TYPES), "amenity": "school"})
    features = features.reset_index()
    features["osm_id"] = features["element"].str[0] + features["id"].astype(str)
    points = features.set_geometry(features.geometry.representative_point())
    for col in ("name", "name:zh", "name:en", "population", "place", "amenity", "isced:level"):
        if col not in points.columns:
            points[col] = None
    points = points.rename(columns={"name:zh": "name_zh", "name:en": "name_en", "isced:level": "isced"})
    points["name"] = points["name"].fillna(points["name_zh"])
    settlements = points[points["place"].isin(PLACE_TYPES)].copy()
    settlements["population"] = settlements["population"].map(parse_population)
    schools = points[points["amenity"] == "school"]
    keep = ["osm_id", "name", "name_zh", "name_en", "geometry"]
    return OsmData(network, settlements[[*keep[:-1], "place", "population", "geometry"]],
                   schools[[*keep[:-1], "isced", "geometry"]])
