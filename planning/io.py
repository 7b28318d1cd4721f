"""Reading and writing tables: CSV, Excel, GeoJSON, GeoPackage and zipped Shapefile.

Column names may be Chinese or English (see :mod:`planning.columns`); CSV may be UTF-8
or GBK; coordinates may be WGS84, CGCS2000 (EPSG:4490) or projected. Every write is
atomic: the file is written beside its target and moved into place, so a failed run
never leaves a half-written project or result.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import logging
import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Proj, Transformer

from . import settings
from .columns import (
    BIRTHS_ALIASES,
    COORDINATE_ALIASES,
    HISTORY_ALIASES,
    ROSTER_ALIASES,
    SCHOOL_ALIASES,
    SITE_ALIASES,
    VILLAGE_ALIASES,
    id_text,
    normalise_header,
    number_column,
    text_headers,
)
from .coords import table_to_wgs84
from .errors import ValidationError, warn
from .i18n import Listing, Message

TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls", ".xlsm"}
SPATIAL_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb"}
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
#: Files that are zip archives inside (a zipped Shapefile, an Excel workbook): checked by
#: :func:`check_archive` before any reader unpacks them.
ARCHIVE_SUFFIXES = {".zip", ".xlsx", ".xlsm"}

logger = logging.getLogger(__name__)

#: Name of the column holding each row's place in its file ("row 5", "feature 3").
ROW = "_row"


def read_table(
    path: str | Path,
    *,
    crs: str | int | CRS | None = None,
    layer: str | int | None = None,
    encoding: str | None = None,
    limit_rows: bool = True,
    coords: str = "wgs84",
    sheet: str | int | None = None,
    kind: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a table of points (or polygons) from any supported file.

    Parameters
    ----------
    path
        CSV/Excel with coordinate columns (``lon``/``lat``, ``经度``/``纬度``, or ``x``/``y``),
        or GeoJSON, GeoPackage, Shapefile (``.shp`` or zipped ``.zip``).
    crs
        CRS of the coordinates when the file does not say (CSV/Excel ``x``/``y`` columns,
        a Shapefile without ``.prj``); a file that states its CRS keeps it, so one ``crs``
        serves x/y tables beside a road layer in another CRS. CSV ``lon``/``lat`` default to
        WGS84. Projected x/y columns that fit the CRS's area only the other way round (X the
        northing, as Chinese surveyors write Gauss–Krüger coordinates) are read that way
        with a :class:`~planning.errors.DataWarning`; x/y that fit neither way, or that have
        no CRS, are an error saying what to give (for eastings with a zone number before
        them, 39 500 000: the zone's EPSG codes, e.g. EPSG:4527 for CGCS2000 zone 39).
    layer
        GeoPackage layer (or Excel sheet).
    sheet
        The sheet of an Excel workbook (name, or number from 0). When None, the sheet whose
        header row names the most columns of a ``kind`` table (any table when ``kind`` is None)
        is read, with a :class:`~planning.errors.DataWarning` naming it when several have such
        a header; the header row is the one naming them, below any title rows (a county's
        "XX县村庄情况表" and date lines); rows keep the numbers the sheet shows them under and
        name the sheet when the workbook has several.
    kind
        ``villages``, ``schools``, ``sites``, ``teachers``, ``history`` or ``births``: whose
        headers find a workbook's sheet and header row.
    encoding
        Text encoding of a CSV or a Shapefile ``.dbf``; tried UTF-8 then GBK when None.
    limit_rows
        Refuse a table of more than ``settings.max_table_rows`` rows (features), reading no
        more than one row beyond (False for a road layer, which has many more lines than a
        county has villages).
    coords
        The system of longitude/latitude read off a web map: ``"wgs84"`` (GPS, Tianditu,
        OSM; the default), ``"gcj02"`` (Amap/高德, Tencent/腾讯) or ``"bd09"`` (Baidu/百度).
        GCJ-02 and BD-09 points are converted to WGS84 (:func:`planning.coords.to_wgs84`,
        to under 0.01 m) and the table gets a ``coords_from`` column naming the system.

    Returns
    -------
    GeoDataFrame with the file's own columns, a geometry in the file's CRS and a
    ``_row`` column naming each row as the user sees it (spreadsheet row, the header
    being row 1, or feature). Id and name columns (every header alias of ``village_id``,
    ``school_id``, ``site_id``, ``name``, ``name_pinyin``) are text in every format:
    ``001`` keeps its zeros, a number cell 7 or 7.0 becomes ``"7"``, an empty cell None.
    Other columns of CSV and Excel are numbers where every cell is one. Rows with no
    cell filled (blank lines, empty formatted rows at a sheet's end) are left out
    without changing the other rows' numbers.

    Raises
    ------
    ValidationError
        When the file is missing or cannot be read, when a table is longer than
        ``settings.max_table_rows``, or when an archive (zip, ``.xlsx``) fails
        :func:`check_archive`.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationError(Message("error.file_not_found", path=str(path)), source=str(path))
    suffix = path.suffix.lower()
    most = settings.max_table_rows if limit_rows else None
    if suffix in ARCHIVE_SUFFIXES:
        check_archive(path)
    if suffix in TABLE_SUFFIXES:
        frame = _read_plain_table(path, layer=sheet if sheet is not None else layer, encoding=encoding, most=most,
                                  kind=kind)
        return table_to_wgs84(_points_from_columns(frame, crs=crs, source=str(path)), coords, source=str(path))
    if suffix in SPATIAL_SUFFIXES:
        return table_to_wgs84(_read_spatial(path, crs=crs, layer=layer, encoding=encoding, most=most), coords,
                              source=str(path))
    allowed = Listing(sorted(TABLE_SUFFIXES | SPATIAL_SUFFIXES))
    raise ValidationError(Message("error.file_type", suffix=repr(suffix), allowed=allowed), source=str(path))


def read_rows(path: str | Path, *, encoding: str | None = None, sheet: str | int | None = None,
              kind: str | None = None) -> pd.DataFrame:
    """A CSV or Excel table without locations (an enrolment history, a teacher roster): the
    file's own columns (ids text, other columns numbers where every cell is one) and a
    ``_row`` column as in :func:`read_table`; of a workbook, the sheet and header row found
    as :func:`read_table` finds them (``sheet``, ``kind``).

    Raises
    ------
    ValidationError
        When the file does not exist or is not CSV or Excel, is longer than
        ``settings.max_table_rows`` or is a workbook that fails :func:`check_archive`.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationError(Message("error.file_not_found", path=str(path)), source=str(path))
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise ValidationError(Message("error.file_type", suffix=repr(path.suffix),
                                      allowed=Listing(sorted(TABLE_SUFFIXES))), source=str(path))
    if path.suffix.lower() in ARCHIVE_SUFFIXES:
        check_archive(path)
    return _read_plain_table(path, layer=sheet, encoding=encoding, most=settings.max_table_rows, kind=kind)


def _read_plain_table(path: Path, *, layer: str | int | None, encoding: str | None,
                      most: int | None = None, kind: str | None = None) -> pd.DataFrame:
    """A CSV or Excel table as the planner sees it in a spreadsheet: ids and names as text,
    other columns numbers where every cell is one, rows numbered as the spreadsheet numbers
    them (the header is the line of a CSV file :func:`_read_csv` finds, row 1 but for title
    lines; in a workbook, the row found by :func:`_read_workbook`, whose rows name their
    sheet when the workbook has several), rows
    with no cell filled left out. A table of more than ``most`` rows is refused having read
    one row beyond."""
    suffix = path.suffix.lower()
    rows = None if most is None else most + 1
    first_data_row, sheet = 2, None  # the header is row 1
    try:
        if suffix in {".xlsx", ".xls", ".xlsm"}:
            frame, header_row, sheet = _read_workbook(path, sheet=layer, kind=kind, rows=rows)
            first_data_row = header_row + 2
        else:
            frame = _read_csv(path, encoding, rows=rows, kind=kind)
            first_data_row = frame.attrs["header_row"] + 2
    except ValidationError:
        raise
    except Exception as exc:  # pandas raises many types for broken files
        detail = f"{type(exc).__name__}: {exc}"
        raise ValidationError(Message("error.cannot_read", detail=detail, suffix=suffix), source=str(path)) from exc
    if most is not None and len(frame) > most:
        raise ValidationError(_too_long(most), source=str(path))
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = _typed_columns(frame)
    frame[ROW] = pd.Series([Message("error.row", n=i + first_data_row) if sheet is None else
                            Message("error.sheet_row", sheet=sheet, n=i + first_data_row) for i in range(len(frame))],
                           index=frame.index, dtype=object)
    filled = frame.drop(columns=[ROW]).notna().any(axis=1)
    return frame[filled].reset_index(drop=True)


#: How far down a sheet its header row is looked for (title rows above it), in rows.
HEADER_SEARCH_ROWS = 20
#: The headers of each kind of table, for finding the header row and the sheet of a workbook.
KIND_ALIASES: dict[str, tuple[dict[str, list[str]], ...]] = {
    "villages": (VILLAGE_ALIASES,), "schools": (SCHOOL_ALIASES,), "sites": (SITE_ALIASES,),
    "teachers": (ROSTER_ALIASES,), "history": (HISTORY_ALIASES,), "births": (BIRTHS_ALIASES,),
}


def _known_headers(kind: str | None) -> set[str]:
    """Normalised headers a table of ``kind`` (any kind when None) may have, coordinates left out
    (every table of points has them: they find the header row, not the sheet)."""
    tables = KIND_ALIASES.get(kind or "", (VILLAGE_ALIASES, SCHOOL_ALIASES, SITE_ALIASES, HISTORY_ALIASES,
                                           BIRTHS_ALIASES, ROSTER_ALIASES))
    return {normalise_header(a) for table in tables for aliases in table.values() for a in aliases}


_COORDINATE_HEADERS = {normalise_header(a) for xs, ys in COORDINATE_ALIASES.values() for a in (*xs, *ys)}


def _header_row(cells: pd.DataFrame, known: set[str]) -> tuple[int, int]:
    """(row, columns of the table it names) of the row among the first :data:`HEADER_SEARCH_ROWS`
    of a sheet read without a header that names the most known columns, coordinates included
    (the first on a tie); (0, 0) when no row names two (then the first row is the header, as
    in a plain table)."""
    best, most = (0, 0), 1
    for i in range(min(len(cells), HEADER_SEARCH_ROWS)):
        names = [normalise_header(v) for v in cells.iloc[i] if isinstance(v, str)]
        found = sum(1 for n in names if n in known)
        total = found + sum(1 for n in names if n in _COORDINATE_HEADERS)
        if total > most:
            best, most = (i, found), total
    return best


def _read_workbook(path: Path, *, sheet: str | int | None, kind: str | None,
                   rows: int | None) -> tuple[pd.DataFrame, int, str | None]:
    """A workbook's table as counties make them: the sheet ``sheet``, else the one whose header
    names the most columns of a ``kind`` table (a :class:`~planning.errors.DataWarning` names
    it when several sheets have such a header); its header the row naming them, below any
    title rows (:func:`_header_row`). Cells are objects: a text cell "001" stays "001".

    Returns
    -------
    (the table under its header, the header's row index from 0, the sheet's name when the
    workbook has several sheets or ``sheet`` chose it, else None)
    """
    read = None if rows is None else rows + HEADER_SEARCH_ROWS

    def cells_of(book: pd.ExcelFile, name: str, most: int | None) -> pd.DataFrame:
        return pd.read_excel(book, sheet_name=name, header=None, dtype=object, keep_default_na=False,
                             na_values=[""], nrows=most)

    with pd.ExcelFile(path) as book:
        names = [str(n) for n in book.sheet_names]
        if sheet is not None and not (isinstance(sheet, int) and 0 <= sheet < len(names)) and sheet not in names:
            raise ValidationError(Message("error.no_sheet", sheet=repr(sheet), sheets=Listing([repr(n) for n in names])),
                                  source=str(path))
        chosen = [names[sheet] if isinstance(sheet, int) else str(sheet)] if sheet is not None else names
        known = _known_headers(kind)
        # each sheet's top rows find the header and the sheet; only the sheet chosen is read whole
        found = {name: _header_row(cells_of(book, name, HEADER_SEARCH_ROWS), known) for name in chosen}
        matching = [name for name, (_, n) in found.items() if n >= 2]
        name = max(matching, key=lambda n: found[n][1]) if matching else chosen[0]  # max: the first on a tie
        cells, row = cells_of(book, name, read), found[name][0]
    if len(matching) > 1:
        warn(Message("data.sheet_chosen", sheet=repr(name), sheets=Listing([repr(n) for n in matching]),
                     file=path.name), stacklevel=6)
    header: list[str] = []
    seen: dict[str, int] = {}
    for j, value in enumerate(cells.iloc[row] if len(cells) else []):
        text = id_text(value) or f"Unnamed: {j}"
        header.append(f"{text}.{seen[text]}" if seen.get(text) else text)  # as pandas names a repeated header
        seen[text] = seen.get(text, 0) + 1
    table = cells.iloc[row + 1:].reset_index(drop=True)
    table.columns = header
    unnamed = [h for h in header if h.startswith("Unnamed: ") and table[h].isna().all()]
    if rows is not None:
        table = table.iloc[:rows]
    return table.drop(columns=unnamed), row, str(name) if len(names) > 1 or sheet is not None else None


def _too_long(most: int) -> Message:
    return Message("error.table_too_long", limit=f"{most:,}")


def _read_csv(path: Path, encoding: str | None, *, rows: int | None = None, kind: str | None = None) -> pd.DataFrame:
    """A CSV file's table, in the first of the encodings that decodes it, under its header row:
    the line among the first :data:`HEADER_SEARCH_ROWS` naming the most of a ``kind`` table's
    columns (title lines above it, as a workbook saved as CSV has them), else the first line;
    ``attrs["header_row"]`` is its index (from 0)."""
    encodings = (encoding,) if encoding else CSV_ENCODINGS
    errors = []
    for enc in encodings:
        try:
            with path.open(encoding=enc, newline="") as handle:
                head = list(itertools.islice(csv.reader(handle), HEADER_SEARCH_ROWS))
            width = max((len(line) for line in head), default=0)
            header_row = _header_row(pd.DataFrame([line + [None] * (width - len(line)) for line in head]),
                                     _known_headers(kind))[0] if head else 0
            # blank lines are kept (and dropped later) so rows keep the numbers a spreadsheet shows
            frame = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False, na_values=[""],
                                skip_blank_lines=False, nrows=rows, skiprows=header_row)
        except UnicodeDecodeError as exc:
            errors.append(f"{enc}: {exc.reason} at byte {exc.start}")
            continue
        frame.attrs["encoding"], frame.attrs["header_row"] = enc, header_row
        return frame
    raise ValidationError(Message("error.cannot_decode", detail="; ".join(errors)), source=str(path))


def _typed_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Id and name columns (any alias of :data:`planning.columns.TEXT_COLUMNS`) as text,
    the others as numbers where the whole column is numeric."""
    text = text_headers()
    out = frame.copy()
    for col in frame.columns:
        if normalise_header(col) in text:
            out[col] = frame[col].map(id_text).astype(object)
        else:
            out[col] = _numeric_where_possible(frame[col])
    return out


def _numeric_where_possible(column: pd.Series) -> pd.Series:
    """Numbers where every filled cell is one as counties type them ("1,234", "12人", "1 234",
    full-width "１２３": :func:`~planning.columns.number_value`); the cells as they are otherwise.
    A column the file already holds as numbers stays as it is; whole numbers in every cell are
    integers (years read 2020, not 2020.0)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column
    cells = column.map(lambda v: v.strip() or None if isinstance(v, str) else v)
    converted = number_column(cells)
    if converted.notna().sum() != cells.notna().sum():
        return column
    if len(converted) and converted.notna().all() and (converted.abs() < 2**53).all() \
            and (converted == converted.round()).all():
        return converted.astype("int64")  # whole numbers stay whole, as a CSV reader gives them
    return converted


def _find_coordinate_columns(columns: list[str]) -> tuple[str, str, bool] | None:
    """Return (x column, y column, is_geographic) or None."""
    normalised = {normalise_header(c): c for c in columns}
    for (xs, ys), geographic in (
        (COORDINATE_ALIASES["lonlat"], True),
        (COORDINATE_ALIASES["xy"], False),
    ):
        x = next((normalised[a] for a in xs if a in normalised), None)
        y = next((normalised[a] for a in ys if a in normalised), None)
        if x and y:
            return x, y, geographic
    return None


def _points_from_columns(frame: pd.DataFrame, *, crs: object, source: str) -> gpd.GeoDataFrame:
    found = _find_coordinate_columns(list(frame.columns))
    if found is None:
        columns = Listing([c for c in frame.columns if c != ROW])
        raise ValidationError(Message("error.no_coordinates", columns=columns), source=source)
    xcol, ycol, geographic = found
    if frame.empty:  # before any check of coordinates, which an empty table passes or fails alike
        raise ValidationError(Message("error.no_rows"), source=source)
    x = pd.to_numeric(frame[xcol], errors="coerce")
    y = pd.to_numeric(frame[ycol], errors="coerce")
    if crs is None and not geographic:
        raise ValidationError([Message("error.projected_no_crs", x=xcol, y=ycol),
                               *gauss_kruger_advice(x, y, xcol, ycol)], source=source)
    problems: list[Message] = []
    for i in map(int, np.flatnonzero(x.isna().to_numpy() | y.isna().to_numpy())):
        problem = Message("error.empty_coordinates", x=xcol, y=ycol, xv=shown(frame[xcol].iat[i]),
                          yv=shown(frame[ycol].iat[i]))
        problems.append(Message("error.at", where=frame[ROW].iat[i], problem=problem))
    target_crs = checked_crs(crs, source=source) if crs is not None else CRS.from_epsg(4326)
    if target_crs.is_geographic:
        problems += _check_degrees(frame, x, y, xcol, ycol)
    if problems:
        raise ValidationError(problems, source=source)
    if target_crs.is_projected:
        x, y = _survey_axes(frame, x, y, xcol, ycol, target_crs, source=source)
    geometry = gpd.points_from_xy(x, y, crs=target_crs)
    return gpd.GeoDataFrame(frame.drop(columns=[xcol, ycol]), geometry=geometry)


def shown(value: object) -> Message | str:
    """A cell as a message shows it: its value, or "(empty)"."""
    if id_text(value) is None:
        return Message("error.blank")
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_degrees(frame: pd.DataFrame, x: pd.Series, y: pd.Series, xcol: str, ycol: str) -> list[Message]:
    bad = (x.abs() > 180) | (y.abs() > 90)
    if bad.all() and ((x.abs() > 1000) | (y.abs() > 1000)).all():
        return [Message("error.metres_not_degrees", x=xcol, y=ycol)]
    swapped = (y.abs() > 90) & (x.abs() <= 90)
    out = []
    for i in map(int, np.flatnonzero(bad.to_numpy())):
        key = "error.swapped" if swapped.iat[i] else "error.degrees_range"
        problem = Message(key, x=xcol, y=ycol, xv=f"{x.iat[i]}", yv=f"{y.iat[i]}")
        out.append(Message("error.at", where=frame[ROW].iat[i], problem=problem))
    return out


# ---------------------------------------------------------------------- surveying coordinates
#: EPSG codes of the first Gauss–Krüger zone with the zone number before the easting, by datum:
#: 3-degree zones 25–45 (central meridian 3 × zone) and 6-degree zones 13–23 (6 × zone − 3);
#: zone N's code is the first's plus N − 25 (or N − 13).
GK_FIRST_EPSG: dict[str, dict[int, int]] = {
    "CGCS2000": {3: 4513, 6: 4491},
    "Xian 1980": {3: 2349, 6: 2327},
    "Beijing 1954": {3: 2401, 6: 21413},
}
_GK_ZONES = {3: range(25, 46), 6: range(13, 24)}


def gauss_kruger_zone(values: pd.Series | np.ndarray) -> tuple[int, int] | None:
    """(zone width in degrees, zone number) when every value is an easting with a Chinese
    Gauss–Krüger zone number before it (39 500 000 ± 400 000 is zone 39), else None.
    Zones 13–23 are 6-degree zones, 25–45 3-degree zones."""
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    zones = np.floor(v / 1e6)
    rest = v - zones * 1e6
    zone = int(zones[0])
    if not ((zones == zone).all() and ((rest > 1e5) & (rest < 9e5)).all()):
        return None
    width = next((w for w, numbers in _GK_ZONES.items() if zone in numbers), None)
    return None if width is None else (width, zone)


def gauss_kruger_advice(x: pd.Series, y: pd.Series, xcol: str, ycol: str) -> list[Message]:
    """What to do with x/y columns holding Gauss–Krüger coordinates with the zone number
    before the easting (in either column): the zone, its central meridian and the EPSG code
    of that zone in CGCS2000, Xi'an 1980 and Beijing 1954; [] when neither column has one."""
    for east in (xcol, ycol):
        found = gauss_kruger_zone(x if east == xcol else y)
        if found is None:
            continue
        width, zone = found
        first = min(_GK_ZONES[width])
        codes = {datum: f"EPSG:{firsts[width] + zone - first}" for datum, firsts in GK_FIRST_EPSG.items()}
        meridian = 3 * zone if width == 3 else 6 * zone - 3
        swapped = Message("error.gk_swapped", x=xcol, y=ycol) if east == ycol else ""
        return [Message("error.gk_zone", column=east, zone=zone, width=width, meridian=meridian,
                        cgcs=codes["CGCS2000"], xian=codes["Xian 1980"], beijing=codes["Beijing 1954"],
                        swapped=swapped)]
    return []


def _inside(crs: CRS, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each point (in ``crs``) lies within a degree of the area the CRS is made for
    (anywhere on earth when the CRS does not say)."""
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    area = crs.area_of_use
    if area is not None:
        west, south, east, north = area.bounds
        ok &= (lon >= west - 1) & (lon <= east + 1) & (lat >= south - 1) & (lat <= north + 1)
    return ok


def check_extent(gdf: gpd.GeoDataFrame, *, source: str | None = None) -> None:
    """Refuse a layer (a road layer) whose extent lies outside the area its CRS is made for:
    its coordinates belong to another system (a Shapefile without ``.prj`` given the tables'
    ``crs=``, a file stating the wrong CRS), and measured in this one they would be nowhere,
    or far from where they are. Only the extent's centre and corners are transformed.

    Raises
    ------
    ValidationError
        Naming the extent, the CRS and its area, and what to do; with the Gauss–Krüger
        zone and EPSG codes when the eastings carry a zone number (:func:`gauss_kruger_advice`).
    """
    if gdf.crs is None or gdf.empty:
        return
    crs = CRS.from_user_input(gdf.crs)
    x0, y0, x1, y1 = gdf.total_bounds
    xs, ys = np.array([(x0 + x1) / 2, x0, x0, x1, x1]), np.array([(y0 + y1) / 2, y0, y1, y0, y1])
    if crs.is_geographic or _inside(crs, xs, ys).all():
        return
    area = crs.area_of_use
    where = f"{area.name.rstrip('.')} ({area.west:g}–{area.east:g}°E, {area.south:g}–{area.north:g}°N)" if area else "—"
    xs_, ys_ = pd.Series([x0, x1]), pd.Series([y0, y1])
    raise ValidationError([Message("error.layer_outside_crs", x0=f"{x0:,.0f}", x1=f"{x1:,.0f}", y0=f"{y0:,.0f}",
                                   y1=f"{y1:,.0f}", crs=crs.to_string(), area=where),
                           *gauss_kruger_advice(xs_, ys_, "x", "y")], source=source)


def _survey_axes(frame: pd.DataFrame, x: pd.Series, y: pd.Series, xcol: str, ycol: str, crs: CRS, *,
                 source: str) -> tuple[pd.Series, pd.Series]:
    """Projected x/y columns as (easting, northing) in ``crs``.

    Chinese surveying names the northing X and the easting Y (Gauss–Krüger): when every point
    lies in the CRS's area only with the columns the other way round, they are read that way
    with a :class:`~planning.errors.DataWarning`. Points outside the area either way are an
    error naming their rows, with the zone and EPSG codes when the eastings carry a zone
    number (:func:`gauss_kruger_advice`).
    """
    xa, ya = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    inside = _inside(crs, xa, ya)
    if inside.all():
        return x, y
    if _inside(crs, ya, xa).all():
        warn(Message("data.northing_easting", x=xcol, y=ycol, crs=crs.to_string(), source=source), stacklevel=5)
        return y, x
    rows = Listing([frame[ROW].iat[int(i)] for i in np.flatnonzero(~inside)], most=5)
    area = crs.area_of_use
    where = f"{area.name.rstrip('.')} ({area.west:g}–{area.east:g}°E, {area.south:g}–{area.north:g}°N)" if area else "—"
    raise ValidationError([Message("error.outside_crs", n=int((~inside).sum()), total=len(inside), rows=rows, x=xcol,
                                   y=ycol, crs=crs.to_string(), area=where),
                           *gauss_kruger_advice(x, y, xcol, ycol)], source=source)


def checked_crs(crs: object, *, source: str | None = None) -> CRS:
    """The CRS a planner gave (``--crs``, ``crs=``), or a ValidationError saying it is not known
    and what to give, instead of pyproj's CRSError."""
    try:
        found = CRS.from_user_input(crs)
    except Exception as exc:  # noqa: BLE001  # pyproj's CRSError, or a TypeError for a value of no CRS
        raise ValidationError(Message("error.bad_crs", given=repr(crs), detail=str(exc)), source=source) from exc
    _convertible(found, source=source)
    return found


def _convertible(crs: object, *, source: str | None) -> None:
    """Refuse a CRS that cannot be converted to degrees (a damaged ``.prj``): every check of a
    location needs it."""
    try:
        Transformer.from_crs(crs, 4326, always_xy=True)
    except Exception as exc:  # noqa: BLE001  # pyproj's ProjError and CRSError
        raise ValidationError(Message("error.unusable_crs", detail=str(exc)), source=source) from exc


def _read_spatial(
    path: Path, *, crs: object, layer: str | int | None, encoding: str | None, most: int | None = None
) -> gpd.GeoDataFrame:
    kwargs: dict[str, object] = {}
    if layer is not None:
        kwargs["layer"] = layer
    if encoding:
        kwargs["encoding"] = encoding
    if most is not None:
        kwargs["rows"] = most + 1
    try:
        gdf = _read_vector(path, kwargs, encoding=encoding)
    except ValidationError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        detail = f"{type(exc).__name__}: {exc}"
        raise ValidationError(Message("error.cannot_read", detail=detail, suffix=path.suffix),
                              source=str(path)) from exc
    if not isinstance(gdf, gpd.GeoDataFrame):  # GDAL read a table without locations (a broken .shp)
        raise ValidationError(Message("error.no_geometry"), source=str(path))
    if most is not None and len(gdf) > most:
        raise ValidationError(_too_long(most), source=str(path))
    gdf = _with_crs(gdf, crs, path)
    gdf.columns = [str(c).strip() if c != gdf.geometry.name else c for c in gdf.columns]
    text = text_headers()
    for col in gdf.columns:
        if col != gdf.geometry.name and normalise_header(col) in text:  # ids stay text: 7, never 7.0
            gdf[col] = gdf[col].map(id_text).astype(object)
    gdf[ROW] = pd.Series([Message("error.feature", n=i + 1) for i in range(len(gdf))], index=gdf.index, dtype=object)
    return gdf


def _with_crs(gdf: gpd.GeoDataFrame, crs: object, path: Path) -> gpd.GeoDataFrame:
    """A layer in its own CRS, else in ``crs`` (a file that states none); refused when it has
    neither, or when either is unknown or cannot be converted to degrees."""
    if gdf.crs is None:
        if crs is None:
            raise ValidationError(Message("error.file_no_crs"), source=str(path))
        return gdf.set_crs(checked_crs(crs, source=str(path)))
    _convertible(gdf.crs, source=str(path))
    if crs is not None and checked_crs(crs, source=str(path)) != gdf.crs:  # crs= is for files that do not say
        logger.info("%s states its CRS %s; crs=%s is for files that do not", path, gdf.crs.to_string(), crs)
    return gdf


# ---------------------------------------------------------------------- Shapefile text
#: Encodings a Shapefile's ``.dbf`` without a ``.cpg`` is tried in when GDAL's reading of it
#: (ISO-8859-1) gives mojibake: UTF-8 first (its byte patterns rarely occur by chance), then
#: GB18030 (a superset of GBK and GB2312, as Chinese desktop GIS writes them).
DBF_ENCODINGS = ("utf-8", "gb18030")
_SHAPEFILE_SUFFIXES = {".shp", ".dbf", ".zip"}
_LATIN = re.compile(r"[\u0080-\u00ff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _read_vector(path: Path, kwargs: dict[str, object], *, encoding: str | None) -> gpd.GeoDataFrame:
    """A vector file read by GDAL; a Shapefile's text repaired where GDAL misread it (only
    when ``encoding`` is not given):

    - a ``.dbf`` in GBK or UTF-8 without the ``.cpg`` file saying so reads as mojibake
      (道路等级 as ``µÀÂ·µÈ¼¶``): read again in the encoding of :data:`DBF_ENCODINGS` that
      gives Chinese text;
    - a UTF-8 ``.dbf`` whose field names the format cut at 10 bytes, in the middle of a
      character (道路等级 is 12 bytes), which GDAL cannot read at all: read byte for byte,
      the cut character dropped from the name, and a name cut from a known column name
      (小学在 from 小学在校生数) given that name back.

    Either way a :class:`~planning.errors.DataWarning` says what was done.
    """
    shapefile = path.suffix.lower() in _SHAPEFILE_SUFFIXES and not encoding
    try:
        gdf = gpd.read_file(path, **kwargs)
    except UnicodeDecodeError:
        if not shapefile:
            raise
        return _cut_names_read(path, kwargs)
    if not shapefile or not _looks_misread(gdf):
        return gdf
    for candidate in DBF_ENCODINGS:
        try:
            again = gpd.read_file(path, **kwargs, encoding=candidate)
        except UnicodeDecodeError:
            continue
        if any(_CJK.search(text) for text in _texts(again)):
            warn(Message("data.dbf_encoding", encoding=candidate.upper(), source=path.name), stacklevel=5)
            return again
    return gdf


def _texts(gdf: pd.DataFrame, *, most: int = 500) -> list[str]:
    """Column names and up to ``most`` distinct text cells of each text column."""
    out = [str(c) for c in gdf.columns]
    for col in gdf.columns:
        if _is_text(gdf[col]):
            out += [v for v in gdf[col].dropna().unique()[:most] if isinstance(v, str)]
    return out


def _is_text(column: pd.Series) -> bool:
    """Whether a column holds text (object or string dtype)."""
    return column.dtype == object or pd.api.types.is_string_dtype(column.dtype)


def _looks_misread(gdf: pd.DataFrame) -> bool:
    """Whether a layer's text is mojibake: letters of the Latin-1 range and no Chinese."""
    texts = _texts(gdf)
    return any(_LATIN.search(text) for text in texts) and not any(_CJK.search(text) for text in texts)


def _cut_names_read(path: Path, kwargs: dict[str, object]) -> gpd.GeoDataFrame:
    """A Shapefile GDAL cannot decode (UTF-8 field names cut mid-character): read byte for
    byte (Latin-1) and decoded here, the names' cut characters dropped."""
    gdf = gpd.read_file(path, **kwargs, encoding="ISO-8859-1")  # GDAL knows this name, not "latin-1"
    cells = _texts(gdf, most=10**9)[len(gdf.columns):]
    codec = "utf-8"
    try:
        for text in cells:
            text.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        codec = "gb18030"
    geometry = gdf.geometry.name
    renames: dict[str, str] = {}
    cut: list[str] = []
    for col in gdf.columns:
        if col == geometry:
            continue
        raw = str(col).encode("latin-1")
        name = raw.decode(codec, errors="ignore")
        if len(name.encode(codec)) < len(raw):
            whole = _uncut(name)
            cut.append(name if whole == name else f"{name} → {whole}")
            name = whole
        renames[col] = name
        if _is_text(gdf[col]):
            gdf[col] = gdf[col].map(lambda v: v.encode("latin-1").decode(codec, errors="replace")
                                    if isinstance(v, str) else v)
    warn(Message("data.dbf_cut_names", names=Listing(cut), encoding=codec.upper(), source=path.name), stacklevel=5)
    return gdf.rename(columns=renames)


def _uncut(name: str) -> str:
    """The column name a name cut at 10 bytes was cut from, when every header alias it begins
    (:mod:`planning.columns`) means one column; the cut name otherwise."""
    key = normalise_header(name)
    if len(key) < 2:
        return name
    found = {canon: alias for canon, alias in _all_aliases() if normalise_header(alias).startswith(key)
             and len(alias.encode()) > 10}
    return next(iter(found.values())) if len(found) == 1 else name


def _all_aliases() -> list[tuple[str, str]]:
    """(canonical column, alias) of every table's headers."""
    tables = (VILLAGE_ALIASES, SCHOOL_ALIASES, SITE_ALIASES, HISTORY_ALIASES, BIRTHS_ALIASES, ROSTER_ALIASES)
    return [(canon, alias) for table in tables for canon, aliases in table.items() for alias in aliases]


# ---------------------------------------------------------------------- sizes
def check_file_size(path: str | Path, *, limit_mb: float, setting: str, env: str, what: str) -> None:
    """Refuse a file larger than ``limit_mb`` megabytes before anything reads it (a
    Shapefile counts its ``.shp``, ``.shx`` and ``.dbf`` together).

    Parameters
    ----------
    setting, env
        The setting of :mod:`planning.settings` holding the limit and its environment
        variable, which the message names as the way to raise it.
    what
        The catalogue key naming the kind of file (``what.osm_files``).
    """
    path = Path(path)
    parts = [path.with_suffix(s) for s in (".shp", ".shx", ".dbf")] if path.suffix.lower() == ".shp" else [path]
    size = sum(part.stat().st_size for part in parts if part.exists())
    if size > limit_mb * MB:
        example = f"{100 * (int(size / MB) // 100 + 1):g}"  # a round number of megabytes above the file's size
        raise ValidationError(Message("error.file_too_large", size=megabytes(size), limit=f"{limit_mb:,g}",
                                      what=Message(what), setting=setting, env=env, example=example), source=str(path))


def check_road_file(path: str | Path) -> None:
    """Refuse a road layer over ``settings.max_roads_mb`` (``PLANNING_MAX_ROADS_MB``) or, where
    its header says so without reading it, with more than ``settings.max_road_features`` lines
    (``PLANNING_MAX_ROAD_FEATURES``): a ValidationError naming the file, its size or count,
    the limit and how to raise it."""
    path = Path(path)
    if not path.exists():
        return  # the reader says so
    check_file_size(path, limit_mb=settings.max_roads_mb, setting="max_roads_mb", env="PLANNING_MAX_ROADS_MB",
                    what="what.road_layers")
    if path.suffix.lower() not in {".gpkg", ".shp", ".fgb"}:
        return  # counting the features of GeoJSON or a zip would mean reading them
    try:
        import pyogrio

        count = int(pyogrio.read_info(path)["features"])
    except Exception:  # noqa: BLE001  # a broken file: the reader's message says what is wrong
        return
    if count > settings.max_road_features:
        raise ValidationError(Message("error.too_many_roads", limit=f"{settings.max_road_features:,}"),
                              source=str(path))


# ---------------------------------------------------------------------- archives
def check_archive(archive: str | Path | BinaryIO, *, source: str | None = None) -> None:
    """Refuse a zip archive (a zipped Shapefile, an Excel ``.xlsx``) before anything unpacks it.

    Only the archive's directory is read, never its contents: a few kilobytes whatever the
    archive would unpack to.

    Parameters
    ----------
    archive
        The file, or its bytes as an open binary file (an upload not yet written).
    source
        The name messages give the file (the path when None).

    Raises
    ------
    ValidationError
        When an entry's path is absolute or leads out of the archive (``..``); when it
        holds more than ``settings.max_archive_files`` files; when its files would unpack
        to more than ``settings.max_unzipped_mb`` megabytes (a "zip bomb": a few megabytes
        that unpack to gigabytes); when it is not a zip archive at all. Each message says
        the limit and what to do.
    """
    if isinstance(archive, str | Path):
        with Path(archive).open("rb") as handle:
            return check_archive(handle, source=source or str(archive))
    source = source or "archive"
    most = settings.max_archive_files
    declared, directory_bytes = _zip_directory(archive)
    if declared > most or directory_bytes > most * 1024:  # before the directory is read
        raise ValidationError(Message("error.archive_too_many", limit=f"{most:,}"), source=source)
    try:
        archive.seek(0)
        with zipfile.ZipFile(archive) as opened:
            entries = opened.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:  # a damaged archive
        raise ValidationError(Message("error.cannot_read", detail=f"{type(exc).__name__}: {exc}",
                                      suffix=Path(source).suffix), source=source) from exc
    outside = [entry.filename for entry in entries if _leads_outside(entry.filename)]
    if outside:
        raise ValidationError(Message("error.archive_outside", n=len(outside), names=Listing(outside, most=5)),
                              source=source)
    if len(entries) > most:
        raise ValidationError(Message("error.archive_too_many", limit=f"{most:,}"), source=source)
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > settings.max_unzipped_mb * MB:
        raise ValidationError(Message("error.archive_too_large", size=megabytes(unpacked),
                                      limit=f"{settings.max_unzipped_mb:,g}"), source=source)
    return None


#: Bytes in a megabyte, as every limit of :mod:`planning.settings` counts them.
MB = 1 << 20


def megabytes(n_bytes: float) -> str:
    """A size in megabytes as messages show it: ``4,000.0``, ``0.3``."""
    return f"{n_bytes / MB:,.1f}"


def _leads_outside(name: str) -> bool:
    """Whether an archive entry's path is absolute (``/x``, ``C:\\x``) or climbs out (``../x``)."""
    parts = re.split(r"[\\/]+", name)
    return name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) is not None or ".." in parts


def _zip_directory(handle: BinaryIO) -> tuple[int, int]:
    """The number of entries and the size of the directory (bytes) a zip archive declares at
    its end, read without reading the directory itself; (0, 0) when there is no such record
    (:class:`zipfile.ZipFile` then says the file is not a zip archive)."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - (22 + 0xFFFF + 20)))  # the end record, its comment, the zip64 locator
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return 0, 0
    entries, directory = struct.unpack_from("<HI", tail, at + 10)
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        handle.seek(struct.unpack_from("<Q", tail, at - 20 + 8)[0])
        record = handle.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            entries, directory = struct.unpack_from("<QQ", record, 32)
    return int(entries), int(directory)


# ---------------------------------------------------------------------- CRS helpers
def utm_crs(lon: float, lat: float) -> CRS:
    """The UTM zone CRS (WGS84) containing a point given in degrees."""
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


#: Largest scale error (fraction) a layer's own projected CRS may have over the layer for its
#: metres to be used as metres on the ground: 0.1 %, 1 m in a kilometre. A UTM or a 3-degree
#: Gauss–Krüger zone is within it; Web Mercator (1/cos(latitude): 13.3 % at 28°N) is not.
MAX_SCALE_ERROR = 0.001


def metric_crs_for(gdf: gpd.GeoDataFrame, *, prefer: str | int | CRS | None = None) -> CRS:
    """A projected CRS for measuring a layer in metres on the ground.

    ``prefer`` (the layer's own CRS when None) if it is projected, in metres, and true to
    scale within :data:`MAX_SCALE_ERROR` at the centre and the corners of the layer's extent;
    otherwise the UTM zone of the extent's centre. A layer in degrees, in Web Mercator
    (EPSG:3857) or in feet is therefore measured in UTM.
    """
    if gdf.crs is None:
        raise ValidationError(Message("error.table_no_crs"))
    check_extent(gdf)  # coordinates of another system would be nowhere here
    crs = CRS.from_user_input(prefer) if prefer is not None else gdf.crs
    lon, lat = _extent_degrees(gdf)
    if _true_to_scale(crs, lon, lat):
        return crs
    return utm_crs(float(lon[0]), float(lat[0]))


def _extent_degrees(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of a layer's centre (first) and its extent's corners."""
    x0, y0, x1, y1 = gdf.total_bounds
    x = np.array([(x0 + x1) / 2, x0, x0, x1, x1])
    y = np.array([(y0 + y1) / 2, y0, y1, y0, y1])
    lon, lat = Transformer.from_crs(gdf.crs, 4326, always_xy=True).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _true_to_scale(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> bool:
    """Whether a CRS is projected, in metres, and within :data:`MAX_SCALE_ERROR` of true
    scale (along meridians and parallels) at the given points (degrees)."""
    if not crs.is_projected or any(abs(axis.unit_conversion_factor - 1) > 1e-9 for axis in crs.axis_info[:2]):
        return False
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return False
    try:
        factors = Proj(crs).get_factors(lon, lat)
    except Exception:  # noqa: BLE001  # pyproj cannot compute factors for some CRSs: measure in UTM
        return False
    scales = np.r_[np.asarray(factors.meridional_scale), np.asarray(factors.parallel_scale)]
    return bool(np.isfinite(scales).all() and np.abs(scales - 1).max() <= MAX_SCALE_ERROR)


# ---------------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    Every file the package writes goes through here (project files, scenario and policy
    files, Excel, GeoPackage, CSV, printed maps, the travel-time cache). The writer writes
    the temporary file (``.<name>.<random><suffix>`` in the same folder, so the move is a
    rename on one file system); once it returns, the file is flushed to disk and renamed
    over ``path`` in one step. A run that fails, is killed or loses power while writing
    leaves the previous ``path`` whole (tests/test_saves.py kills a child mid-save); a
    kill may leave the hidden temporary file behind, never a half file under ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp_path
        _to_disk(tmp_path)
        os.replace(tmp_path, path)
        _to_disk(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _to_disk(path: Path) -> None:
    """Flush a file (or a folder's list of names) to the disk, where the system allows it:
    without it, a power cut just after the rename could leave an empty file under the name."""
    with contextlib.suppress(OSError):  # folders cannot be opened on Windows; some file systems refuse
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write text (UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_gpkg(layers: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write several layers to one GeoPackage atomically (replacing the file).

    Plain DataFrames become attribute tables (no geometry), readable in QGIS.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            out = frame.drop(columns=[ROW], errors="ignore")
            if not isinstance(out, gpd.GeoDataFrame):
                out = gpd.GeoDataFrame(out)
            out.to_file(tmp, layer=name, driver="GPKG")
    return path


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a CSV atomically, UTF-8 with BOM so that Excel shows Chinese correctly."""
    path = Path(path)
    out = frame.drop(columns=[ROW], errors="ignore")
    if isinstance(out, gpd.GeoDataFrame):
        out = pd.DataFrame(out.drop(columns=out.geometry.name))
    with atomic_path(path) as tmp:
        out.to_csv(tmp, encoding="utf-8-sig")
    return path
