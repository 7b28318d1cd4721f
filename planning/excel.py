"""Workbooks a planner can work in: every Excel file the package writes goes through
:func:`write_excel`, which gives each sheet the same form.

- Figures in their number format, by what the column holds (:data:`planning.columns.COLUMN_KINDS`,
  read from the column's header in the workbook's language): minutes to one decimal, km to two,
  shares and loads as percentages (0.0 %), pupils, seats, beds, teachers and schools as whole
  numbers with thousands separators, yuan whole (万元 to one decimal), coordinates to six
  decimals, coefficients of variation to three, years as years, changes signed (+1.8 minutes,
  −3 teachers). A sheet whose rows are figures
  (a summary: one column per plan) gives each row its figure's format. The values themselves
  are written unrounded: the format only decides what the cell shows.
- Yes/no as the words 是/否 (yes/no), text cells, never TRUE/FALSE.
- A flat table from cell A1 (or row 3 under a title): ids and index levels as ordinary
  columns, repeated on every row (no merged cells), so that a planner can sort and filter.
- The header row bold and wrapped, frozen with the first column (the first two where the
  first names the plan of each row); a filter on the table;
  each column as wide as its content (a Chinese character counts as two).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .columns import COLUMN_KINDS, GRADE_COLUMNS, column_kind
from .i18n import catalogue, field, language, t
from .io import ROW, atomic_path

#: Excel number format of each kind of figure (:data:`planning.columns.COLUMN_KINDS`).
FORMATS: dict[str, str] = {
    "minutes": "0.0", "km": "0.00", "share": "0.0%", "count": "#,##0", "yuan": "#,##0", "wan": "#,##0.0",
    "coordinate": "0.000000", "decimal": "0.0", "cv": "0.000", "year": "0",
    "minutes_change": "+0.0;-0.0;0.0", "count_change": "+#,##0;-#,##0;0",
}
#: The format of a figure with decimals whose column says nothing of its kind.
OTHER_DECIMALS = "#,##0.00"
#: Narrowest and widest column (characters of the default font; a Chinese character is two).
WIDTHS = (6.0, 60.0)
#: A header wraps onto more lines rather than make its column wider than this.
HEADER_ROOM = 20.0


def write_excel(sheets: Mapping[str, pd.DataFrame], path: str | Path, *,
                titles: Mapping[str, str] | None = None, lang: str | None = None) -> Path:
    """Write sheets to one Excel workbook atomically, each a table a planner can work in
    (see the module's description: number formats, 是/否, no merged cells, frozen header,
    filter, column widths).

    Parameters
    ----------
    sheets
        Sheet name → table, its headers in ``lang`` (as :func:`planning.i18n.localise` words
        them). The index is written as the first column(s) (every level, on every row).
        Names must be valid Excel sheet names (at most 31 characters, none of ``[]:*?/\\``)
        and differ ignoring case: a ``ValueError`` says which is not, instead of a cut name
        overwriting another sheet.
    titles
        Sheet name → a title written in bold in cell A1; that sheet's table starts on row 3
        (``pd.read_excel(book, sheet, header=2)``).
    lang
        The language of the headers and of 是/否 (``settings.language`` when None).
    """
    lang = language(lang)
    path = Path(path)
    titles = titles or {}
    seen: set[str] = set()
    for name in sheets:
        if len(name.encode("utf-16-le")) > 62 or any(c in name for c in "[]:*?/\\") or name.casefold() in seen | {"history"}:
            raise ValueError(f"sheet name {name!r} is too long, has a character Excel refuses, is used twice or is 'History'")
        seen.add(name.casefold())
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            table = flat_table(frame, lang=lang)
            start = 2 if sheet in titles else 0
            table.to_excel(writer, sheet_name=sheet, startrow=start, index=False)
            format_sheet(writer.sheets[sheet], table, header_row=start + 1, lang=lang, title=titles.get(sheet))
    return path


def flat_table(frame: pd.DataFrame, *, lang: str | None = None) -> pd.DataFrame:
    """A table as a workbook holds it: the index (every level) as the first columns, yes/no
    as words in ``lang``, tuples as text, no geometry and no row numbers of the files read."""
    lang = language(lang)
    out = frame.drop(columns=[ROW], errors="ignore")
    if isinstance(out, gpd.GeoDataFrame):
        out = pd.DataFrame(out.drop(columns=out.geometry.name))
    if out.index.nlevels > 1 or out.index.name is not None or not out.index.equals(pd.RangeIndex(len(out))):
        names = [name if name is not None else "" for name in out.index.names]
        out = out.rename_axis(names).reset_index()
    out.columns = [str(c) for c in out.columns]
    yes, no = t("yes", lang), t("no", lang)

    def cell(value: Any) -> Any:
        if isinstance(value, bool | np.bool_):
            return yes if value else no
        if isinstance(value, tuple):
            return ", ".join(map(str, value))
        return value

    for j in range(out.shape[1]):  # by position: two columns may share a header
        values = out.iloc[:, j]
        if values.dtype.kind in "bO" or str(values.dtype) == "boolean":
            out.isetitem(j, values.astype(object).map(cell).to_numpy())
    return out


def format_sheet(sheet: Any, table: pd.DataFrame, *, header_row: int, lang: str, title: str | None = None) -> None:
    """Give a written sheet (openpyxl) its form: number formats by kind, bold wrapped header,
    frozen header and first column, a filter over the table (down to its first empty row:
    what follows is a note under the table) and widths from the content.
    ``table`` is the flat table written with its header on ``header_row`` (1-based)."""
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]  # openpyxl ships no types
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    columns = len(table.columns)
    last = header_row + len(table)
    row_kinds = [label_kind(v, lang) for v in table.iloc[:, 0]] if columns else []
    lines = 1
    for j, header in enumerate(table.columns, start=1):
        kind = label_kind(header, lang)
        shown = []
        for i, row in enumerate(sheet.iter_rows(min_row=header_row + 1, max_row=last, min_col=j, max_col=j)):
            cell = row[0]
            number = number_format(cell.value, kind or row_kinds[i])
            if number:
                cell.number_format = number
            shown.append(_width(_shown(cell.value, number)))
        head = sheet.cell(row=header_row, column=j)
        head.font = Font(bold=True)
        head.alignment = Alignment(wrap_text=True, vertical="top")
        head_width = _width(str(header))
        width = min(max(max(shown, default=0.0), min(head_width, HEADER_ROOM), WIDTHS[0]) + 2, WIDTHS[1])
        sheet.column_dimensions[get_column_letter(j)].width = width
        lines = max(lines, math.ceil(head_width / (width - 1)))
    sheet.row_dimensions[header_row].height = 15 * lines
    if columns:
        ids = 2 if columns > 2 and table.columns[0] == field("plan", lang) else 1  # a plan column, then ids
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=ids + 1 if columns > 1 else 1)
        blank = table.isna() | (table.astype(object) == "")
        below = [i for i, empty in enumerate(blank.all(axis=1)) if empty]  # a block under the table (a balance's rules)
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{header_row + below[0] if below else last}"
    if title is not None:
        sheet["A1"] = title
        sheet["A1"].font = Font(bold=True, size=13)


def number_format(value: object, kind: str | None) -> str | None:
    """The number format of a cell holding ``value`` in a column (or row) of ``kind``; None
    for text and for whole numbers of no known kind (Excel shows those as they are)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind in FORMATS:
        return FORMATS[kind]
    return OTHER_DECIMALS if isinstance(value, float) and not value.is_integer() else None


def label_kind(label: object, lang: str) -> str | None:
    """What the figures under a header (or beside a row label) are, by the column it names
    in ``lang`` (:data:`planning.columns.COLUMN_KINDS`): a header worded by
    :func:`planning.i18n.field`, a column key itself (in English with spaces for
    underscores, as :func:`planning.i18n.field` words keys it does not know), or a figure of
    a year ("学生数 2030")."""
    if not isinstance(label, str):
        return None
    kinds = _label_kinds(lang)
    if label in kinds:
        return kinds[label]
    year = re.fullmatch(r"(.+) \d{4}", label)
    if year and year.group(1) in kinds:
        return kinds[year.group(1)]
    return column_kind(label.replace(" ", "_"))  # a key, or one field() wrote with spaces


@cache
def _label_kinds(lang: str) -> dict[str, str]:
    """Header in ``lang`` → kind, for every column key the catalogue names and the kinds know."""
    keys = {key[6:] for key in catalogue() if key.startswith("field.")} | set(COLUMN_KINDS) | set(GRADE_COLUMNS)
    keys |= {f"{level}_{key}" for key in set(keys) for level in ("primary", "junior")}
    keys |= {f"{key}{suffix}" for key in set(keys) for suffix in ("_min", "_ok")}
    out: dict[str, str] = {}
    for key in sorted(keys):
        kind = column_kind(key)
        if kind is not None and "{" not in (label := field(key, lang)):
            out.setdefault(label, kind)
    return out


_PYTHON_FORMATS = {"0.0": "{:.1f}", "0.00": "{:.2f}", "#,##0.00": "{:,.2f}", "0.0%": "{:.1%}", "#,##0": "{:,.0f}", "#,##0.0": "{:,.1f}",
                   "0.000000": "{:.6f}", "0.000": "{:.3f}", "0": "{:.0f}", "+0.0;-0.0;0.0": "{:+.1f}",
                   "+#,##0;-#,##0;0": "{:+,.0f}"}


def _shown(value: object, number: str | None) -> str:
    """A cell's text as Excel shows it (near enough to size its column)."""
    if value is None:
        return ""
    if number is not None:
        return _PYTHON_FORMATS[number].format(value)
    return str(value)


def _width(text: str) -> float:
    """Width of a text in characters of the default font: East Asian wide characters two."""
    return float(max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                     for line in text.split("\n")))


__all__ = ["write_excel", "flat_table", "format_sheet", "number_format", "label_kind", "FORMATS"]
