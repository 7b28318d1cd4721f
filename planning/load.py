"""Every way a project comes in: tables and a road layer (and, optionally, a teacher roster),
an OpenStreetMap file, a saved project file, or the shipped demo.

    >>> import planning
    >>> project = planning.demo()
    >>> len(project.villages), len(project.schools)
    (17, 13)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from .coords import COORDS_COLUMN, checked_coords, shift_suggested
from .errors import PlanningError, ValidationError, warn
from .forecast import read_yearly
from .i18n import Listing, Message, t
from .io import ROW, check_extent, check_road_file, read_rows, read_table
from .io import _read_plain_table as read_plain_table
from .network import WalkNetwork
from .osm import PLACE_TYPES, read_osm
from .policy import Policy
from .project import Project
from .store import ProjectFile, read_project
from .terrain import with_dem
from .validation import (
    type_from_name,
    validate_roster,
    validate_schools,
    validate_sites,
    validate_villages,
)
from .walkcheck import pupil_notes

PathLike = str | Path
#: The files of a project that ``coords`` may name.
TABLES = ("villages", "schools", "sites", "roads")
#: The files of a project that may be workbooks, whose sheet ``sheet`` may name.
SHEET_TABLES = ("villages", "schools", "sites", "teachers")
logger = logging.getLogger(__name__)

#: The shipped demo (made by ``data/make_demo.py``; see the README there).
DEMO_FOLDER = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_LABEL = "青山镇 Qingshan (synthetic demo · 合成示例数据)"
#: The demo's synthetic six-year enrolment history and births by village (``data/make_demo.py``).
DEMO_HISTORY = DEMO_FOLDER / "enrolment_history.csv"
DEMO_BIRTHS = DEMO_FOLDER / "births.csv"
#: The demo's synthetic teacher roster (教师名册), one row per teacher, agreeing with ``schools.csv``.
DEMO_TEACHERS = DEMO_FOLDER / "teachers.csv"


#: File names that say what a table is, not whose (``villages.csv``, ``村庄.xlsx``, ``data.gpkg``,
#: ``Sheet1``; case, digits, spaces, ``_`` and ``-`` aside): a project read from one is named
#: 本县 / the county (:func:`default_name`), as uploads are, not "villages".
GENERIC_STEMS = frozenset({
    "village", "villages", "settlement", "settlements", "school", "schools", "table", "tables", "data",
    "dataset", "input", "inputs", "export", "sheet", "book", "workbook", "points", "layer", "file", "new",
    "untitled", "map", "road", "roads", "osm", "county", "township", "县", "乡镇", "村庄", "村", "自然村", "行政村", "村庄表", "村庄数据", "学校",
    "学校表", "数据", "表", "工作簿", "新建", "导出", "道路", "路网", "地图",
})


def default_name(path: PathLike) -> str:
    """The name of a project read from ``path`` (its villages table, or its OSM file) when the
    planner gives none: the file's name without its suffixes (``青山镇村庄.csv`` → 青山镇村庄),
    or the catalogue's word for a county without a name (本县, shown as "the county" in
    English: :func:`county_name`) where that name says only what the table is
    (:data:`GENERIC_STEMS`: ``villages.csv``, ``村庄.xlsx``, ``data_2024.gpkg``)."""
    stem = Path(path).name.split(".")[0]
    plain = "".join(c for c in stem.casefold() if not (c.isdigit() or c.isspace() or c in "_-()（）"))
    return t("plan_report.county_default", "zh") if plain in GENERIC_STEMS or not plain else stem


def from_files(
    villages: PathLike,
    schools: PathLike,
    *,
    roads: PathLike | None = None,
    osm: PathLike | None = None,
    sites: PathLike | None = None,
    policy: Policy | PathLike | None = None,
    teachers: PathLike | None = None,
    crs: str | int | None = None,
    road_class: str | None = None,
    encoding: str | None = None,
    name: str | None = None,
    dem: PathLike | None = None,
    coords: str | Mapping[str, str] = "wgs84",
    sheet: str | int | Mapping[str, str | int] | None = None,
) -> Project:
    """A project from a county's files.

    Parameters
    ----------
    villages, schools, sites
        Tables (CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile); Chinese or English headers.
    roads
        The county's road layer (lines), or give ``osm`` instead.
    osm
        An OpenStreetMap file (.osm.pbf, .osm, .osm.bz2) for the walking network.
    policy
        A :class:`Policy` or a YAML file of settings.
    teachers
        A teacher roster (CSV or Excel, one row per teacher: 学校编号, 本校任教年限, 骨干教师, …;
        :func:`read_roster`). Its counts per school become the schools' teacher figures; a
        :class:`~planning.errors.DataWarning` lists where they differ from the schools table.
    crs
        CRS of tables that do not state one (x/y columns, a Shapefile without .prj).
    road_class
        Column of the road layer holding the road class (found automatically if None).
    encoding
        Text encoding of CSV/Shapefile tables (UTF-8 then GBK are tried if None).
    name
        The county's name on maps and reports (``planning ... --county``); when None, the
        villages file's name, or 本县 / the county where that name says only what the table
        is (``villages.csv``, ``村庄.xlsx``: :func:`default_name`).
    dem
        A digital elevation model (GeoTIFF, any CRS, heights in metres) giving the roads their
        heights where the road layer (or OSM, which has none) does not: walking speeds then
        follow the slope everywhere (:func:`planning.terrain.with_dem`; road elevations win).
    coords
        The system of the tables' longitude/latitude: ``"wgs84"`` (GPS, Tianditu, OSM),
        ``"gcj02"`` (Amap/高德, Tencent/腾讯) or ``"bd09"`` (Baidu/百度), for the villages,
        schools and sites tables alike; or per table, ``{"villages": "gcj02", "schools":
        "bd09"}`` (keys ``villages``, ``schools``, ``sites``, ``roads``; tables not named are
        WGS84, and the road layer is converted only when named). Converted tables keep
        ``coords_from`` (:func:`planning.io.read_table`). A table declared WGS84 whose points
        sit off the roads by a GCJ-02 or BD-09 offset gets a
        :class:`~planning.errors.DataWarning` saying which to choose
        (:func:`planning.coords.shift_suggested`).
    sheet
        The sheet of an Excel workbook to read (name, or number from 0), for every workbook or
        per table (``{"villages": "村庄", "schools": "学校"}``; keys ``villages``, ``schools``,
        ``sites``, ``teachers``). When not given, each table is read from the sheet whose header
        names the most of that table's columns, below any title rows
        (:func:`planning.io.read_table`): one workbook may hold villages and schools.

    Raises
    ------
    ValidationError
        Naming the file, row and column of every problem of a table; for a table longer
        than ``settings.max_table_rows`` (100,000; ``PLANNING_MAX_ROWS``) or an archive
        that would unpack beyond the limits of :func:`planning.io.check_archive`.
    """
    if (roads is None) == (osm is None):
        raise ValueError("give exactly one of `roads` (a road layer) or `osm` (an OSM file)")
    logger.info("reading %s, %s and %s", villages, schools, roads or osm)
    if policy is not None and not isinstance(policy, Policy):
        policy = Policy.from_yaml(policy)
    policy = policy or Policy()
    systems = table_coords(coords)
    sheets = sheet if isinstance(sheet, Mapping) else dict.fromkeys(SHEET_TABLES, sheet)
    if set(sheets) - set(SHEET_TABLES):
        raise ValueError(f"sheet names tables {sorted(set(sheets) - set(SHEET_TABLES))}; the tables are "
                         f"{', '.join(SHEET_TABLES)}")

    def read(path: PathLike, kind: str) -> gpd.GeoDataFrame:
        return read_table(path, crs=crs, encoding=encoding, coords=systems[kind], sheet=sheets.get(kind), kind=kind)

    village_table = validate_villages(read(villages, "villages"), source=str(villages), policy=policy)
    school_table = validate_schools(read(schools, "schools"), source=str(schools))
    if school_table.empty:
        raise ValidationError(Message("error.no_schools"), source=str(schools))
    site_table = None
    if sites is not None:
        site_table = validate_sites(read(sites, "sites"), source=str(sites))
    if osm is not None:
        network = read_osm(osm, policy=policy).network
    else:
        assert roads is not None
        network = read_roads(roads, crs=crs, encoding=encoding, road_class=road_class, policy=policy,
                             coords=systems["roads"])
    if dem is not None:
        network = with_dem(network, dem)
    for kind, table, path in (("villages", village_table, villages), ("schools", school_table, schools),
                              ("sites", site_table, sites)):
        if table is not None and path is not None:
            warn_about_offset(table, network, table=kind, source=Path(path).name)
    project = Project(village_table, school_table, network, sites=site_table, policy=policy,
                      name=name or default_name(villages))
    if teachers is not None:
        project = project.with_roster(read_roster(teachers, project, encoding=encoding, sheet=sheets.get("teachers")))
    warn_about_data(project)
    return project


def read_roads(path: PathLike, *, crs: str | int | None = None, encoding: str | None = None,
               road_class: str | None = None, policy: Policy | None = None, coords: str = "wgs84") -> WalkNetwork:
    """The walking network of a county's road layer (GeoPackage, GeoJSON, Shapefile), as
    :func:`from_files` reads it: refused before reading when larger than the limits of
    :func:`planning.io.check_road_file`, and when its extent lies outside its CRS
    (:func:`planning.io.check_extent`); ``crs``, ``encoding``, ``road_class`` and ``coords``
    (the road layer's system) as there."""
    check_road_file(path)  # before reading: a province's roads must not fill the memory
    layer = read_table(path, crs=crs, encoding=encoding, limit_rows=False, coords=coords)  # roads outnumber villages
    check_extent(layer, source=str(path))
    return WalkNetwork.from_lines(layer, class_column=road_class, policy=policy, source=Path(path).name)


def from_osm(path: PathLike, *, policy: Policy | None = None, place_types: tuple[str, ...] = PLACE_TYPES,
             name: str | None = None, dem: PathLike | None = None) -> Project:
    """A project entirely from an OpenStreetMap file.

    Villages are the file's settlements (``place=village|hamlet|town|isolated_dwelling``);
    pupils are estimated from the ``population`` tag with the policy's school-age shares
    (``pupils_estimated`` is True) and unknown where there is no tag. Schools are
    ``amenity=school`` nodes and areas; their type is read from the name or
    ``isced:level`` and is ``unknown`` (counted for every grade) otherwise. OSM roads have no
    elevations: give a ``dem`` (GeoTIFF) for walking speeds that follow the slope.

    Raises
    ------
    ValidationError
        When the file cannot be read, holds no walkable ways, no settlements, or no schools:
        a project without schools cannot be checked, and the message says to give a schools
        table with the OSM file as the road network (:func:`from_files` with ``osm=``).
    """
    policy = policy or Policy()
    data = read_osm(path, policy=policy, place_types=place_types)
    if data.settlements.empty:
        raise ValidationError(Message("error.osm_no_settlements"), source=str(path))
    if data.schools.empty:  # nothing to walk to: say what to give instead of failing in the walk check
        raise ValidationError(Message("error.osm_no_schools"), source=str(path))
    settlements = data.settlements.rename(columns={"osm_id": "village_id"})
    villages = validate_villages(settlements[["village_id", "name", "population", "geometry"]],
                                 source=str(path), policy=policy, unknown_pupils_ok=True)
    villages["name_zh"] = settlements["name_zh"].to_numpy()
    schools_raw = data.schools.rename(columns={"osm_id": "school_id"})
    schools_raw["type"] = [osm_school_type(n, i) for n, i in zip(schools_raw["name"], schools_raw["isced"],
                                                                   strict=True)]
    schools_raw["name"] = schools_raw["name"].fillna("(unnamed school " + schools_raw["school_id"] + ")")
    schools = validate_schools(schools_raw[["school_id", "name", "type", "geometry"]], source=str(path))
    schools["name_zh"] = schools_raw["name_zh"].to_numpy()
    network = data.network if dem is None else with_dem(data.network, dem)
    project = Project(villages, schools, network, policy=policy, name=name or default_name(path))
    warn_about_data(project)
    return project


def read_roster(table: PathLike | pd.DataFrame, project: Project, *, encoding: str | None = None,
                sheet: str | int | None = None) -> pd.DataFrame:
    """A teacher roster (教师名册) from a CSV/Excel file or a DataFrame, Chinese or English
    headers, checked against the project's schools (:func:`~planning.validation.validate_roster`).
    Give it to :meth:`Project.with_roster` to use its counts.

    Parameters
    ----------
    table
        The file (CSV in UTF-8 or GBK, or Excel) or a DataFrame.
    project
        The project whose schools the teachers teach at.
    encoding
        Text encoding of a CSV file (UTF-8 then GBK are tried if None).
    sheet
        The sheet of a workbook; when None, the sheet whose header names the most roster
        columns, below any title rows (:func:`planning.io.read_rows`).
    """
    if isinstance(table, pd.DataFrame):
        return validate_roster(table, schools=project.schools, source="teachers")
    return validate_roster(read_rows(table, encoding=encoding, sheet=sheet, kind="teachers"), schools=project.schools,
                           source=str(table))


def table_coords(coords: str | Mapping[str, str]) -> dict[str, str]:
    """The coordinate system of each of a project's files (``villages``, ``schools``,
    ``sites``, ``roads``) from :func:`from_files`'s ``coords``: one system for the three
    tables (the road layer WGS84), or one per table named (the others WGS84).

    Raises
    ------
    ValidationError
        For a system that is not recognised (:func:`planning.coords.checked_coords`).
    ValueError
        For a key other than a table's.
    """
    if isinstance(coords, str):
        system = checked_coords(coords, source="coords")
        return {"villages": system, "schools": system, "sites": system, "roads": "wgs84"}
    unknown = set(coords) - set(TABLES)
    if unknown:
        raise ValueError(f"coords names tables {sorted(unknown)}; the tables are {', '.join(TABLES)}")
    return {kind: checked_coords(coords.get(kind), source=f"coords[{kind!r}]") for kind in TABLES}


def warn_about_offset(points: gpd.GeoDataFrame, network: WalkNetwork, *, table: str, source: str) -> None:
    """A :class:`~planning.errors.DataWarning` when a validated table read as WGS84 looks like
    GCJ-02 or BD-09 points (:func:`planning.coords.shift_suggested`): "these look like
    Amap/Tencent (GCJ-02) coordinates; choose gcj02", with the median distances (metres) of
    its points to the nearest road as given and as converted.

    Parameters
    ----------
    points
        A validated table (WGS84, with ``coords_from``); tables converted on reading are not checked.
    table, source
        Which table (``villages``, ``schools``, ``sites``) and its file's name, for the message.
    """
    declared = points[points[COORDS_COLUMN] == "wgs84"] if COORDS_COLUMN in points else points
    if declared.empty:
        return
    to_network = Transformer.from_crs(4326, network.crs, always_xy=True)

    def road_metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        x, y = to_network.transform(lon, lat)
        return network.snap(np.c_[x, y]).distance_m

    found = shift_suggested(declared.geometry.x.to_numpy(), declared.geometry.y.to_numpy(), road_metres)
    if found is not None:
        system, before, after = found
        warn(Message(f"data.looks_{system}", table=Message(f"table.{table}"), source=source, before=f"{before:.0f}",
                     after=f"{after:.0f}"), stacklevel=3)


def warn_about_data(project: Project) -> None:
    """A :class:`~planning.errors.DataWarning` for each thing about a project's data a
    planner should see at once (the full list: :func:`planning.data_notes`): points far
    from any road, pupils estimated from population or unknown."""
    snaps = project.snaps
    far = snaps[snaps["far_from_road"]]
    if len(far):
        names = Listing([f"{name} ({idx}, {m:.0f} m)" for idx, name, m in zip(far.index, far["name"], far["snap_m"],
                                                                                strict=True)], most=10)
        warn(Message("data.far_points", n=len(far), names=names, limit=f"{project.policy.far_from_road_m:g}"),
             stacklevel=3)
    for note in pupil_notes(project, most=10):
        warn(note, stacklevel=3)


def osm_school_type(name: object, isced: object) -> str:
    """A school's type from its OSM name, else from ``isced:level`` (1 primary, 2 junior)."""
    guessed = type_from_name(name) if isinstance(name, str) else None
    if guessed:
        return guessed
    levels = {s.strip() for s in str(isced).split(";")} if isinstance(isced, str) else set()
    if {"1", "2"} <= levels:
        return "nine_year"
    if "1" in levels:
        return "village_primary"
    if "2" in levels:
        return "junior_secondary"
    return "unknown"


def open_project(path: PathLike) -> ProjectFile:
    """A saved project file (GeoPackage): the project and its saved scenarios by name.

    Raises
    ------
    ValidationError
        When the file is not a project file or is damaged (cut short, bytes changed): every
        failure of the libraries reading it is told as one, naming the file and what to do.
    """
    try:
        return read_project(path)
    except PlanningError as exc:
        if exc.source is not None and str(path) in exc.source:
            raise
        where = f"{path}:{exc.source}" if exc.source else str(path)  # the file, then its layer
        raise type(exc)(exc.problems, source=where) from exc
    except Exception as exc:  # GDAL, SQLite, pandas and pydantic each fail their own way on a damaged file
        detail = f"{type(exc).__name__}: {exc}"
        raise ValidationError(Message("error.cannot_read_project", detail=detail), source=str(path)) from exc


def demo(*, policy: Policy | None = None) -> Project:
    """The shipped demo: 青山镇, a synthetic hilly township (合成示例数据; ``data/demo/``), with
    its synthetic teacher roster (:data:`DEMO_TEACHERS`)."""
    if not (DEMO_FOLDER / "villages.csv").exists():
        raise ValidationError(Message("error.no_demo", folder=str(DEMO_FOLDER)))
    return from_files(villages=DEMO_FOLDER / "villages.csv", schools=DEMO_FOLDER / "schools.csv",
                      sites=DEMO_FOLDER / "sites.csv", roads=DEMO_FOLDER / "roads.gpkg", policy=policy,
                      teachers=DEMO_TEACHERS, name=DEMO_LABEL)


def demo_history() -> pd.DataFrame:
    """The demo township's synthetic enrolment history (年份, 村编号, 一年级 … 九年级), as in
    its file :data:`DEMO_HISTORY`: six years ending in the base year, whose last year is the
    demo's pupils today."""
    return read_plain_table(DEMO_HISTORY, layer=None, encoding=None).drop(columns=ROW)


def demo_births() -> pd.DataFrame:
    """The demo township's synthetic births by village and year (年份, 村编号, 出生人口), as in
    its file :data:`DEMO_BIRTHS`: rural births falling, the town's growing."""
    return read_plain_table(DEMO_BIRTHS, layer=None, encoding=None).drop(columns=ROW)


def is_demo(project: Project) -> bool:
    """Whether a project is the shipped synthetic demo (its maps and reports say so)."""
    return project.name == DEMO_LABEL


def county_name(project: Project, lang: str, *, given: str | None = None) -> str:
    """The project's name for a title in ``lang``: ``given`` when the planner typed one (the
    county's name on a report's cover; blank or None: the project's); the demo's in that
    language; a project named by the catalogue's word for a county without a name (本县 /
    the county, what uploaded tables are called when the planner gives no name) by that
    word in ``lang``; others as given."""
    if given is not None and given.strip():
        return given.strip()
    if is_demo(project):
        return t("plan_report.demo_name", lang)
    if project.name in {t("plan_report.county_default", "zh"), t("plan_report.county_default", "en")}:
        return t("plan_report.county_default", lang)
    return project.name


_SHARED: dict[str, Project] = {}
_SHARED_LOCK = threading.Lock()


def shared_demo() -> Project:
    """The demo loaded once per process, shared by the app's sessions (a project never
    changes, so sessions cannot disturb each other)."""
    with _SHARED_LOCK:
        if "demo" not in _SHARED:
            _SHARED["demo"] = demo()
        return _SHARED["demo"]


__all__ = ["from_files", "from_osm", "default_name", "GENERIC_STEMS", "open_project", "demo", "shared_demo", "is_demo", "county_name", "DEMO_FOLDER",
           "DEMO_LABEL", "DEMO_HISTORY", "DEMO_BIRTHS", "DEMO_TEACHERS", "demo_history", "demo_births", "read_yearly",
           "read_roster"]
