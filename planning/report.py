"""Printable maps (PNG/PDF, A4/A3 landscape) and reports (Excel, GeoPackage) for meetings.

The printed map is drawn with matplotlib on the road network itself, so it is made without
internet: title, legend, scale bar, north arrow, attribution and Chinese text (a CJK font
must be installed: Debian/Ubuntu ``fonts-wqy-microhei`` or ``fonts-noto-cjk``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .changes import affected, village_changes
from .costs import COST_FIGURES, ITEMS, cost_sheet
from .errors import PlanningError
from .evaluate import Result, compare, level_summary
from .excel import flat_table, write_excel
from .i18n import (
    Listing,
    Message,
    field,
    level_name,
    localise,
    place_words,
    plan_name,
    shown_names,
    t,
    with_names,
)
from .indicators import balance_rules, worded_indicators
from .io import atomic_path, write_gpkg
from .load import county_name, is_demo
from .maps import village_table
from .plan_report import Sheet, date_text, draw_map, drawn_schools, key_handles, map_extent
from .plan_report import wrap as _wrap  # lines of at most so many ems (one wrapper for every page)
from .project import Project
from .routes import trip_lines
from .scenario import baseline
from .staffing import STAFFING_FIGURES
from .teachers import TEACHER_INDICATORS, Alliances, Exchange
from .terrain import elevation_source
from .timeline import Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PAPER = {"A4": (11.69, 8.27), "A3": (16.54, 11.69)}  # landscape, inches
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei",
                "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")
MARKERS = {"central_primary": "s", "village_primary": "o", "teaching_point": "^", "junior_secondary": "D",
           "nine_year": "*", "unknown": "o", "other": "x"}


def chart(draw: Callable[[Axes, str], object], *, lang: str, size: tuple[float, float] = (7, 4)) -> Figure:
    """A chart drawn by ``draw(ax, lang)`` with fonts for ``lang``: Chinese labels need an
    installed CJK font; without one the labels are drawn in English."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    try:
        families = [cjk_font(), "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans"]
    except PlanningError:
        families, lang = ["DejaVu Sans"], "en"
    with plt.rc_context({"font.family": families, "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=size)
        draw(ax, lang)
        fig.tight_layout()
    return fig


def cjk_font() -> str:
    """The family name of an installed Chinese font, or an error saying what to install."""
    from matplotlib import font_manager

    for attempt in range(2):
        names = {f.name for f in font_manager.fontManager.ttflist}
        for family in CJK_FAMILIES:
            if family in names:
                return family
        if attempt == 0:  # installed after matplotlib cached its font list: register the files
            for file in font_manager.findSystemFonts():
                if any(key in Path(file).name.lower() for key in ("wqy", "cjk", "notosanssc", "sourcehan", "simhei",
                                                                    "msyh", "pingfang", "uming")):
                    font_manager.fontManager.addfont(file)
    raise PlanningError(Message("map.no_cjk_font"))


def print_map(project: Project, path: str | Path, *, result: Result | None = None, level: str = "primary",
              lang: str = "zh", paper: str = "A4", title: str | None = None, dpi: int = 200,
              unit: str | None = None, date: Any = None, county: str | None = None) -> Path:
    """Draw a printable map of a result and save it as PDF or PNG (by the file's suffix).

    ``print_map(project, "map.pdf")`` prints today's layout; pass ``result=`` for a plan.

    The footer gives the level's figures (schools, pupils, bus riders, boarders, unserved)
    and, where the schools' teachers are known, the layout's staffing: teachers at open
    schools, teachers needed by the norms, the shortage (and how many schools are short)
    and the teachers to spare (with those of closed schools to place). A PDF has, after the
    map, the staffing table of the layout (:func:`staffing_table`, schools short of
    teachers first, shortages in red) with the same title and footer, on as many pages as
    its schools need, and then the layout's cost sheet (:func:`cost_table`: each item per
    school and the total; 万元 in Chinese, yuan in English) with the costs in its footer
    and what the items count. The footer of every page gives the layout's one-off and
    yearly costs and their present value over the policy's ``cost_horizon`` (万元 in
    Chinese). A PNG is the map alone.

    The map is drawn as the plan report draws its maps (:mod:`planning.plan_report`):
    names placed without overlapping each other, the symbols or the scale bar and north
    arrow, which go in the emptiest corners; text and symbols 1.41 times larger on A3. The
    title is in one language (the demo's county name in ``lang``, today's layout as
    现状 / today; the planner's own names as given). The last line under the map gives the
    date, who made the map (制图单位) and where its roads come from (OpenStreetMap's
    attribution for OSM roads).

    Parameters
    ----------
    path
        The file to write, ``.pdf`` or ``.png``.
    result
        The layout to print; today's layout (nearest school) when None.
    level
        "primary" or "junior": which pupils the villages show.
    lang
        "zh" or "en" for title, legend and notes.
    paper
        "A4" or "A3", landscape.
    title
        Map title; by default the project, scenario and level.
    dpi
        Resolution of a PNG (dots per inch).
    unit
        Who made the map (制图单位), printed under it; a blank line to fill in when None.
    date
        The map's date (a ``datetime.date`` or text); today when None.
    county
        The county's name in the titles (the project's name, or the demo's in ``lang``,
        when None or blank).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if paper not in PAPER:
        raise ValueError(f"`paper` was {paper!r} but is expected to be one of {list(PAPER)}")
    path = Path(path)
    county = county_name(project, lang, given=county)
    if path.suffix.lower() not in (".pdf", ".png"):
        raise ValueError(f"save the map as .pdf or .png, not {path.suffix!r}")
    result = result if result is not None else baseline(project)
    with plt.rc_context({"font.family": _report_fonts(lang), "pdf.fonttype": 42, "axes.unicode_minus": False}):
        fig = _draw(project, result, level=level, lang=lang, paper=paper, title=title, unit=unit, date=date,
                    county=county)
        pages = [fig]
        try:
            if path.suffix.lower() == ".png":
                with atomic_path(path) as tmp:
                    fig.savefig(tmp, dpi=dpi, format="png")
            else:
                pages += _staffing_pages(project, result, lang=lang, paper=paper, title=title, county=county)
                pages += _cost_pages(project, result, lang=lang, paper=paper, title=title, county=county)
                save_pages(pages, path, lang=lang)
        finally:
            for page in pages:
                plt.close(page)
    return path


def _draw(project: Project, result: Result, *, level: str, lang: str, paper: str, title: str | None,
          unit: str | None = None, date: Any = None, county: str | None = None) -> Figure:
    """The map page: the map drawn as the plan report draws its maps (names placed without
    overlap, scale bar and north arrow in the emptiest corners, sizes × 1.41 on A3), the
    title in one language, the key and notes on the right, the figures and the credit line
    (date, 制图单位, data source) under it."""
    import matplotlib.pyplot as plt

    sheet = Sheet(PAPER[paper], MARKERS, lang)
    fig = plt.figure(figsize=sheet.size)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    footer = _footer_lines(result, level, lang, paper) + _credit_lines(project, lang, unit=unit, date=date)
    # room for the lines of figures: 9-point text (× the paper's scale), 1.6 lines apart, above a margin
    size = sheet.pt(9)
    bottom = (0.02 * sheet.size[1] * 72 + 1.6 * size * len(footer) + 8) / (sheet.size[1] * 72)
    left, right, top = 0.03, 0.78, 0.9
    extent = map_extent(project, (right - left) * sheet.size[0], (top - bottom) * sheet.size[1])
    ax = fig.add_axes((left, bottom, right - left, top - bottom))
    placer = draw_map(ax, project, result, level=level, extent=extent, sheet=sheet, renderer=renderer)
    heading = title or t("map.title", lang, project=county_name(project, lang, given=county), scenario=plan_name(result.name, lang),
                         level=level_name(level, lang))
    fig.suptitle(heading, fontsize=sheet.pt(16), fontweight=sheet.bold)
    _map_legend(fig, result, level=level, sheet=sheet, limit=project.policy.limit(level))
    notes = [t("map.size_note", lang)]
    if placer.left_out:
        notes.append(t("plan_report.labels_left_out", lang, n=placer.left_out))
    if is_demo(project):
        notes.append(t("synthetic", lang))
    room = 0.19 * sheet.size[0] * 72 / sheet.pt(8)  # ems of the notes' text in their column
    elevations = t("elevation.line", lang, source=elevation_source(project.network, lang))
    notes = [line for note in [*notes, elevations, t("map.made_with", lang)] for line in _wrap(note, room)]
    fig.text(0.03, 0.02, "\n".join(footer), fontsize=size, va="bottom", linespacing=1.6)
    fig.text(0.79, 0.02, "\n".join(notes), fontsize=sheet.pt(8), color="#444", va="bottom")
    return fig


def _map_legend(fig: Figure, result: Result, *, level: str, sheet: Sheet, limit: float) -> None:
    """The printed map's key on the right: trips, the school types and statuses drawn, roads."""
    from matplotlib.lines import Line2D

    lang = sheet.lang
    size = sheet.pt(8)
    trips, types, statuses = key_handles(drawn_schools(result, level), sheet=sheet, limit=limit, size=size)
    handles = [*trips, *types, *statuses, Line2D([], [], color="#9a9a9a", linewidth=1.5, label=t("map.roads", lang)),
               Line2D([], [], color="#555555", linewidth=1.0, linestyle="--", label=t("plan_report.assigned", lang)),
               Line2D([], [], marker="o", linestyle="", markersize=size * 1.3, markerfacecolor="none",
                      markeredgecolor="#d7301f", label=t("plan_report.over_capacity", lang))]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.79, 0.88), title=t("map.legend", lang),
               fontsize=sheet.pt(8.5), title_fontsize=sheet.pt(10), frameon=True)


def _credit_lines(project: Project, lang: str, *, unit: str | None, date: Any) -> list[str]:
    """The printed map's credit line: its date, who made it (制图单位; a blank to fill in
    when ``unit`` is not given) and where its roads come from (OpenStreetMap's attribution
    for OSM roads), wrapped to the figures' room."""
    source = (t("plan_report.source_osm", lang, attribution=t("osm_attribution", lang)) if project.network.attribution
              else t("plan_report.source_roads", lang))
    text = t("map.credits", lang, date=t("plan_report.date", lang, date=date_text(date, lang)),
             unit=t("plan_report.unit", lang, unit=unit if unit and unit.strip() else "_" * 16), source=source)
    return _wrap(text, 0.72 * PAPER["A4"][0] * 72 / 9)  # as the figures above it


def _footer_lines(result: Result, level: str, lang: str, paper: str) -> list[str]:
    """The map's figures under it, each fact wrapped to the room left of the notes: the
    level's schools and pupils, the staffing (where teachers are known), the costs."""
    summary = level_summary(result, level)  # the figures of the level the map shows
    facts = t("map.facts", lang, level=level_name(level, lang), schools=int(summary["schools_open"]),
              pupils=f"{summary['pupils']:.0f}",
              bus=f"{summary['bus_riders']:.0f}", board=f"{summary['boarders']:.0f}",
              unserved=f"{summary['unserved']:.0f}")
    room = 0.72 * PAPER["A4"][0] * 72 / 9  # ems of 9-point text (on A4; larger on A3) left of the notes
    return [line for text in [facts, *_staffing_facts(result, lang), cost_facts(result, lang)]
            for line in _wrap(text, room)]


def _staffing_facts(result: Result, lang: str) -> list[str]:
    """The layout's staffing in one line (none when no school's teachers are known)."""
    summary = result.summary
    if pd.isna(summary["teachers"]):
        return []
    table = result.staffing
    short = int((table["open"].to_numpy(dtype=bool) & (table["surplus"] < 0).to_numpy()).sum())
    return [t("map.staffing_facts", lang, teachers=f"{summary['teachers']:.0f}",
              needed=f"{summary['teachers_needed']:.0f}", short=f"{summary['teachers_short']:.0f}",
              short_schools=short, spare=f"{summary['teachers_spare']:.0f}")]


_STAFFING_COLUMNS = ("name", "status", "pupils", "classes", "small_school", "teachers_today", "moved", "teachers",
                     "needed_by_ratio", "needed_by_classes", "teachers_needed", "surplus", "to_place")
#: Largest font of the printed staffing table (points), smaller when its columns need it.
_TABLE_POINTS = {"A4": 9.0, "A3": 11.0}
_TABLE_TOP, _TABLE_BOTTOM = 0.9, 0.12  # the table's room on the page (figure fractions)


def _staffing_pages(project: Project, result: Result, *, lang: str, paper: str, title: str | None,
                    county: str | None = None) -> list[Figure]:
    """The staffing table of ``result`` on printed pages (none when no teachers are known),
    schools short of teachers first, titled and footed like the map; as many rows on a page
    as fit at the table's font size."""
    facts = _staffing_facts(result, lang)
    if not facts:
        return []
    table = result.staffing.copy()
    order = np.lexsort((table["surplus"].fillna(np.inf).to_numpy(), ~table["open"].to_numpy(dtype=bool)))
    table = table.iloc[order]
    heading = t("map.staffing_title", lang, project=county_name(project, lang, given=county), scenario=title or plan_name(result.name, lang))
    policy = project.policy
    norms = t("map.staffing_norms", lang, primary=f"{policy.pupils_per_teacher['primary']:g}",
              junior=f"{policy.pupils_per_teacher['junior']:g}", small=policy.small_school_pupils,
              per_class=f"{policy.teachers_per_class:g}")
    notes = ([t("synthetic", lang)] if is_demo(project) else []) + [t("map.made_with", lang)]
    names = shown_names(pd.concat([project.schools, project.sites]) if len(project.sites) else project.schools, lang)
    cells = _staffing_cells(table, names, lang)
    labels = [_heading_lines(field(c, lang)) for c in ("school_id", *_STAFFING_COLUMNS)]
    ems = [max(_ems(line) for text in [label, *column] for line in text.split("\n")) + 1.2
           for label, column in zip(labels, zip(*cells, strict=True), strict=True)]
    size = min(_TABLE_POINTS[paper], 0.94 * PAPER[paper][0] * 72 / sum(ems))  # the table fits the page's width
    layout = _TableLayout(labels, [e / sum(ems) for e in ems], size, paper)
    rows = layout.rows_per_page
    pages = []
    for number, first in enumerate(range(0, len(table), rows), start=1):
        name = heading if number == 1 else t("map.staffing_continued", lang, title=heading, page=number)
        pages.append(_staffing_page(table.iloc[first: first + rows], cells[first: first + rows], layout, title=name,
                                    footer=(facts + [norms], notes)))
    return pages


def _staffing_cells(table: pd.DataFrame, names: pd.Series, lang: str) -> list[list[str]]:
    """The printed cells of each school: counts whole (changes signed), blank where they do
    not apply (teachers needed at a closed school, by teachers per class at a larger one)."""
    cells = []
    for sid, row in table.iterrows():
        need = [f"{row['needed_by_ratio']:.1f}", f"{row['needed_by_classes']:.1f}" if row["needed_by_classes"] else "",
                _count(row["teachers_needed"]), _count(row["surplus"], signed=True)] if row["open"] else [""] * 4
        cells.append([str(sid), str(names.get(str(sid), row["name"])), t(f"status.{row['status']}", lang), *[
            _count(row[c]) for c in ("pupils", "classes")], t("yes" if row["small_school"] else "no", lang), *[
            _count(row[c], signed=c == "moved") for c in ("teachers_today", "moved", "teachers")], *need,
            _count(row["to_place"])])
    return cells


@dataclass(frozen=True)
class _TableLayout:
    """Headings, column widths (axes fractions), font size (points) and paper of a table."""

    labels: list[str]
    widths: list[float]
    size: float
    paper: str
    bottom: float = _TABLE_BOTTOM  # the table's lowest point on the page (figure fraction), above the footer

    @property
    def row_height(self) -> float:
        """A row: 2.1 font sizes high, as a fraction of the table's room."""
        return 2.1 * self.size / ((_TABLE_TOP - self.bottom) * PAPER[self.paper][1] * 72)

    @property
    def header_rows(self) -> float:
        """The heading row's height in rows (its labels have several lines)."""
        return 0.4 + 0.6 * max(label.count("\n") + 1 for label in self.labels)

    @property
    def rows_per_page(self) -> int:
        return max(1, int(1 / self.row_height - self.header_rows))


def _staffing_page(table: pd.DataFrame, cells: list[list[str]], layout: _TableLayout, *, title: str,
                   footer: tuple[list[str], list[str]]) -> Figure:
    """One page of the staffing table: shortages in red (their surplus cell shaded), closed
    schools in grey; title and footer like the map's."""
    surplus = len(layout.labels) - 2

    def style(r: int, c: int, cell: Any) -> None:
        row = table.iloc[r - 1]
        if not row["open"]:
            cell.get_text().set_color("#777777")
        elif row["surplus"] < 0:
            cell.get_text().set_color("#b2182b")
            if c == surplus:
                cell.set_facecolor("#f8d7da")
        if c == 1:
            cell.set_text_props(ha="left")
            cell.PAD = 0.03

    return _table_page(cells, layout, title=title, footer=footer, style=style)


def _table_page(cells: list[list[str]], layout: _TableLayout, *, title: str, footer: tuple[list[str], list[str]],
                style: Callable[[int, int, Any], None]) -> Figure:
    """A printed page holding one table: the heading row shaded, each body cell (row from 1,
    column) styled by ``style``; titled, with the footer's facts left and notes right."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=PAPER[layout.paper])
    fig.subplots_adjust(left=0.03, right=0.97, top=_TABLE_TOP, bottom=layout.bottom)
    ax.axis("off")
    grid = ax.table(cellText=cells, colLabels=layout.labels, colWidths=layout.widths, loc="upper center",
                    cellLoc="center")
    grid.auto_set_font_size(False)
    grid.set_fontsize(layout.size)
    for (r, c), cell in grid.get_celld().items():
        cell.set_height(layout.row_height * (layout.header_rows if r == 0 else 1))
        cell.set_edgecolor("#999999")
        if r == 0:
            cell.set_facecolor("#e8eef5")
        else:
            style(r, c, cell)
    fig.suptitle(title, fontsize=16)
    facts, notes = footer
    room = 0.74 * PAPER[layout.paper][0] * 72 / 9  # ems of 9-point text left of the notes
    fig.text(0.03, 0.02, "\n".join(line for text in facts for line in _wrap(text, room)), fontsize=9, va="bottom",
             linespacing=1.6)
    fig.text(0.79, 0.02, "\n".join(notes), fontsize=8, color="#444", va="bottom")
    return fig


def _cost_pages(project: Project, result: Result, *, lang: str, paper: str, title: str | None,
                county: str | None = None) -> list[Figure]:
    """The cost sheet of ``result`` on printed pages (万元 to two decimals in Chinese, whole
    yuan in English), each item named on its first row, savings in green, the total shaded;
    titled like the map, its footer the costs and what the items count."""
    wan = lang == "zh"
    table = cost_table(result, lang, wan=wan)
    heading = t("map.cost_title", lang, project=county_name(project, lang, given=county), scenario=title or plan_name(result.name, lang))
    policy = project.policy
    note = t("map.cost_note", lang, rate=f"{policy.cost_discount_rate:.0%}", years=policy.cost_horizon)
    notes = ([t("synthetic", lang)] if is_demo(project) else []) + [t("map.made_with", lang)]
    names = shown_names(pd.concat([project.schools, project.sites]) if len(project.sites) else project.schools, lang)
    cells, previous = [], None
    for item, row in zip(table.index, table.itertuples(index=False), strict=True):
        sid, _, quantity, unit, *amounts = row
        school = "" if not isinstance(sid, str) else f"{sid} {names.get(sid, '')}"
        cells.append([str(item) if item != previous else "", school, "" if quantity != quantity else f"{quantity:,g}",
                      unit if isinstance(unit, str) else "",
                      *[_amount(float(a), wan=wan, blank_zero=isinstance(sid, str)) for a in amounts]])
        previous = item
    labels = [_heading_lines(str(c)) for c in [table.index.name, t("map.cost_school", lang), *table.columns[2:]]]
    ems = [max(_ems(line) for text in [label, *column] for line in text.split("\n")) + 1.2
           for label, column in zip(labels, zip(*cells, strict=True), strict=True)]
    size = min(_TABLE_POINTS[paper], 0.94 * PAPER[paper][0] * 72 / sum(ems))
    facts = [cost_facts(result, lang), note]
    lines = sum(len(_wrap(text, 0.74 * PAPER[paper][0] * 72 / 9)) for text in facts)
    height = PAPER[paper][1] * 72  # points
    bottom = (0.02 * height + 14.4 * lines + 12) / height  # above the footer's lines
    layout = _TableLayout(labels, [e / sum(ems) for e in ems], size, paper, bottom=bottom)
    rows = layout.rows_per_page
    pages = []
    for number, first in enumerate(range(0, len(cells), rows), start=1):
        name = heading if number == 1 else t("map.staffing_continued", lang, title=heading, page=number)
        part = cells[first: first + rows]
        if part and not part[0][0]:  # a page starts with its item named
            part[0][0] = str(table.index[first])
        pages.append(_cost_page(part, layout, title=name, footer=(facts, notes)))
    return pages


def _amount(value: float, *, wan: bool, blank_zero: bool) -> str:
    """An amount as printed in a cost table: 万元 to two decimals or whole yuan; blank when
    it is zero on a school's row (the item costs nothing of that kind there)."""
    if blank_zero and value == 0:
        return ""
    return f"{value:,.2f}" if wan else f"{value:,.0f}"


def _cost_page(cells: list[list[str]], layout: _TableLayout, *, title: str,
               footer: tuple[list[str], list[str]]) -> Figure:
    """One page of the cost sheet: amounts right-aligned, savings (negative) in green, the
    total row shaded."""
    last = len(cells)
    total = bool(cells) and not cells[-1][1] and not cells[-1][2]  # the total row has no school and no quantity

    def style(r: int, c: int, cell: Any) -> None:
        text = cell.get_text()
        if c in (0, 1):
            cell.set_text_props(ha="left")
            cell.PAD = 0.03
        elif c >= 4:
            cell.set_text_props(ha="right")
            cell.PAD = 0.05
            if text.get_text().startswith("-"):
                text.set_color("#1a7837")
        if total and r == last:
            cell.set_facecolor("#eeeeee")

    return _table_page(cells, layout, title=title, footer=footer, style=style)


def _count(value: object, *, signed: bool = False) -> str:
    """A count as printed: whole, signed where it is a change, blank when unknown."""
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return ""
    return f"{number:+.0f}" if signed and round(number) != 0 else f"{number:.0f}"


def _ems(text: str) -> float:
    """Width of a line of text in ems (a Chinese character 1, a Latin one about 0.6)."""
    return sum(1.0 if ord(ch) > 0x2e80 else 0.6 for ch in text)


def _heading_lines(text: str) -> str:
    """A column heading in lines of about 10 ems: broken before a bracket (Chinese or
    Latin) and at spaces."""
    bracket = re.search(r" ?[(\uff08]", text)  # a Latin or a Chinese bracket
    if bracket and bracket.start() > 0:
        return f"{_heading_lines(text[: bracket.start()])}\n{text[bracket.start():].lstrip()}"
    return "\n".join(_wrap(text, max(10.0, _ems(text) / 3)))


def excel_report(project: Project, results: Iterable[Result], path: str | Path, *, lang: str = "zh",
                 before: Result | None = None, timelines: Iterable[Timeline] = (),
                 exchange: Exchange | None = None, alliances: Alliances | None = None) -> Path:
    """One workbook: the plans (assignment, solver), their figures side by side, and per
    result its schools, villages, violations (villages not walking within the limit),
    indicators (each school's verdict: meets, fails, or undetermined with the data missing),
    balance (the CV, and under it the settings that decide the verdicts and the CV with
    their sources), staffing (:func:`staffing_table`: teachers needed by the norms, had,
    moved by merges, surplus or shortage, per school), change log and, for each plan, the
    villages it affects (every village × grade band whose school, mode or trip minutes
    change against ``before``: today's layout, by default the first result when it has no
    edits), and costs (:func:`cost_table`: each cost item per school, one-off, yearly and
    present value over the policy's ``cost_horizon``, in whole yuan, and the total); sheet
    names, headers and words in ``lang``; schools, sites and villages named as in the plan
    report (in English the tables' pinyin where given, :func:`planning.i18n.shown_names`;
    ids unchanged). The plans' figures side by side include their
    one-off, yearly and present-value costs (whole yuan).

    Any plan name works. A plan's sheets are named "<plan> <kind>" (学校, 村庄, …) when every
    plan's name fits into its sheet names as it is; the plans sheet then names each plan's
    sheets. Where a name would not (a sheet name has at most 31 characters, Excel refuses
    ``[]:*?/\\`` and two names equal ignoring case), the plans share one sheet per kind
    named by the kind (学校, 村庄, …), every row under a first column 方案 / plan holding its
    plan's full name, so that nothing is cut and a filter picks a plan. Every plan sheet
    starts with its title in cell A1 (the plan's full name, or that the sheet holds every
    plan); its table starts on row 3 (``pd.read_excel(book, sheet, header=2)``).

    Every sheet is a flat table a planner can sort and filter (:func:`planning.excel.write_excel`):
    ids on every row (no merged cells), minutes to one decimal, loads and shares as
    percentages, counts and yuan whole, yes/no as 是/否 (yes/no), the header frozen and
    filtered. Cells hold the figures unrounded; the number format decides what they show.

    Each of ``timelines`` (plans evaluated over the years) adds two sheets: its figures year
    by year, and each school's pupils, classes and large classes year by year with the year
    it becomes a small-scale school.

    ``exchange`` (a :class:`planning.teachers.Exchange`) adds three sheets titled with its
    quota and solver status: the moves (from which school to which, teachers and key
    teachers, drive minutes), each school's teachers before and after, and the coefficients
    of variation before and after (:func:`exchange_cv_table`). ``alliances`` (a
    :class:`planning.teachers.Alliances`) adds two: the groups (core, member schools, pupils,
    longest drive) and each school's core, role and drive minutes to it. Counts are whole
    numbers and minutes rounded to whole minutes.
    """
    results = list(results)
    names = [plan_name(r.name, lang) for r in results]
    kinds = ["schools", "villages", "violations", "indicators", "balance", "staffing", "costs", "changes", "affected"]
    if before is None and results and not results[0].edits:
        before = results[0]
    prefixes = _sheet_prefixes(names, kinds, lang, taken=[t("report.plans", lang), t("report.summary", lang)])
    plans = plans_table(results)
    plans.index = pd.Index(names, name=plans.index.name)
    if not _stacked(names, prefixes):
        plans["sheets"] = prefixes
    summary = localise(_whole_yuan(compare(*results)), lang).rename_axis(t("field.figure", lang))
    sheets: dict[str, pd.DataFrame] = {t("report.plans", lang): localise(plans, lang), t("report.summary", lang): summary}
    titles: dict[str, str] = {}
    plan_tables: list[tuple[str, str, dict[str, pd.DataFrame]]] = []
    for result, full, prefix in zip(results, names, prefixes, strict=True):
        tables = {"schools": result.schools, "villages": result.villages,
                  "violations": result.villages[result.villages["mode"].astype(str) != "walk"],
                  "indicators": worded_indicators(result.indicators, lang), "balance": result.balance,
                  "staffing": result.staffing, "costs": result.tables["costs"]}
        if result.edits:  # the change log, its sentences in the language
            tables["changes"] = result.log(lang).rename(columns={"change": "change_text"})
        if before is not None and result is not before:
            tables["affected"] = affected(village_changes(before, result))
        worders = {"balance": balance_sheet, "staffing": staffing_table, "costs": cost_table}
        plan_tables.append((full, prefix, {kind: worders[kind](result, lang) if kind in worders else localise(table, lang)
                                           for kind, table in tables.items()}))
    _plan_sheets(plan_tables, sheets, titles, lang)
    _timeline_sheets(list(timelines), sheets, titles, lang)
    if exchange is not None:
        _other_sheets(sheets, titles, exchange_title(exchange, lang), lang, {
            "exchange_moves": exchange_moves_table(exchange, lang), "exchange_schools": exchange_schools_table(exchange, lang),
            "exchange_cv": exchange_cv_table(exchange, lang)})
    if alliances is not None:
        _other_sheets(sheets, titles, alliance_title(alliances, lang), lang, {
            "alliance_groups": alliance_groups_table(alliances, lang),
            "alliance_schools": alliance_schools_table(alliances, lang)})
    if results:  # places named as the plan report names them (pinyin in English where given)
        project = results[0].project
        words = place_words(project, lang)
        sheets = {name: with_names(table, words) for name, table in sheets.items()}
    return write_excel(sheets, path, titles=titles, lang=lang)


def _whole_yuan(table: pd.DataFrame) -> pd.DataFrame:
    """A comparison with its cost figures (rows) in whole yuan."""
    rows = [row for row in COST_FIGURES if row in table.index]
    out = table.copy()
    out.loc[rows] = out.loc[rows].astype(float).round(0)
    return out


def _other_sheets(sheets: dict[str, pd.DataFrame], titles: dict[str, str], title: str, lang: str,
                  tables: dict[str, pd.DataFrame]) -> None:
    """Sheets that belong to no plan (kind → table), each titled ``title``."""
    names = sheet_names([t(f"report.{kind}", lang) for kind in tables], taken=list(sheets))
    for name, table in zip(names, tables.values(), strict=True):
        sheets[name] = table
        titles[name] = title


#: Staffing columns that count pupils, classes or teachers: whole numbers in reports.
STAFFING_COUNTS = ("pupils", "classes", "teachers_today", "moved", "teachers", "teachers_needed", "surplus",
                   "to_place")

#: The money columns of a cost sheet (yuan).
COST_MONEY = ("one_off_yuan", "yearly_yuan", "npv_yuan")


def money(value: float, lang: str = "zh") -> str:
    """An amount of yuan as county reports word it: in Chinese in 万元 (one decimal, whole
    万元 from 1,000 万元 on and for nothing: "64.9 万元", "2,468 万元", "0 万元"), in English in whole yuan with
    thousands separators ("649,000 yuan")."""
    if lang == "zh":
        wan = value / 1e4
        return t("money.wan", lang, amount=f"{wan:,.0f}" if abs(wan) >= 1000 or wan == 0 else f"{wan:,.1f}")
    return t("money.yuan", lang, amount=f"{value:,.0f}")


def cost_table(result: Result, lang: str = "zh", *, horizon: int | None = None, discount: float | None = None,
               wan: bool = False) -> pd.DataFrame:
    """A result's cost sheet (:func:`planning.costs.cost_sheet`) for people, in ``lang``:
    indexed by the item in words, then the school (id and name; blank on the total row),
    quantity (one decimal) and its unit in words, one-off, yearly and present value over
    ``horizon`` years at ``discount`` (the policy's when None) in whole yuan, or with ``wan``
    in 万元 to two decimals (the columns named so)."""
    table = cost_sheet(result, horizon=horizon, discount=discount)
    table["quantity"] = table["quantity"].astype(float).round(1)
    money_columns = list(COST_MONEY)
    if wan:
        table[money_columns] = (table[money_columns].astype(float) / 1e4).round(2)
        table = table.rename(columns={c: c.replace("_yuan", "_wan") for c in money_columns})
    else:
        for column in money_columns:
            table[column] = _whole(table[column])
    table = localise(table, lang)
    return table.set_index(table.columns[0])


def cost_by_item(before: Result, after: Result, lang: str = "zh", *, horizon: int | None = None,
                 discount: float | None = None, wan: bool = False) -> pd.DataFrame:
    """A plan's costs beside today's, one row per cost item either layout has (in the order
    of :data:`planning.costs.ITEMS`) and the total, indexed by the item in words: today's
    yearly cost, the plan's one-off and yearly costs, the change in the yearly cost (plan −
    today), and both present values over ``horizon`` years at ``discount`` (the policy's when
    None; the total's counts buses bought again, the items' do not). Whole yuan, or with
    ``wan`` 万元 to two decimals; the column names say which."""
    policy = after.project.policy
    years = policy.cost_horizon if horizon is None else int(horizon)
    rows = [*ITEMS, "total"]
    sums = [cost_sheet(r, horizon=horizon, discount=discount).groupby("item")[list(COST_MONEY)].sum().reindex(rows)
            for r in (before, after)]
    kept = [item for item in rows if item == "total" or sums[0].loc[item].notna().any() or sums[1].loc[item].notna().any()]
    today, plan = (s.loc[kept].fillna(0.0) for s in sums)
    unit = t("cost_col.unit_wan" if wan else "cost_col.unit_yuan", lang)
    columns = {"today_yearly": today["yearly_yuan"], "plan_one_off": plan["one_off_yuan"],
               "plan_yearly": plan["yearly_yuan"], "yearly_change": plan["yearly_yuan"] - today["yearly_yuan"],
               "today_npv": today["npv_yuan"], "plan_npv": plan["npv_yuan"]}
    table = pd.DataFrame({t(f"cost_col.{key}", lang, unit=unit, years=years): values for key, values in columns.items()})
    table = (table / 1e4).round(2) if wan else table.apply(_whole)
    table.index = pd.Index([t(f"cost_item.{item}", lang) for item in kept], name=field("item", lang))
    return table


def cost_facts(result: Result, lang: str = "zh") -> str:
    """A layout's costs in one line (all levels): one-off, yearly and the present value over
    the policy's horizon at its discount rate (:func:`money`: 万元 in Chinese)."""
    summary, policy = result.summary, result.project.policy
    return t("map.cost_facts", lang, one_off=money(float(summary["one_off_yuan"]), lang),
             yearly=money(float(summary["yearly_yuan"]), lang), npv=money(float(summary["cost_npv_yuan"]), lang),
             years=policy.cost_horizon, rate=f"{policy.cost_discount_rate:.0%}")


def _whole(values: pd.Series) -> pd.Series:
    """Counts as whole numbers (blank where unknown)."""
    return values.astype(float).round().astype("Int64")


def staffing_table(result: Result, lang: str = "zh", *, shortage_first: bool = False,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A result's staffing (:attr:`planning.evaluate.Result.staffing`) for people, in ``lang``:
    pupils, classes and teachers as whole numbers (blank where a school's teachers are not
    known), the teachers needed by pupils per teacher and by teachers per class to one
    decimal (before rounding up), yes/no and the status in words.

    With ``shortage_first``, the open schools short of teachers come first (the largest
    shortage first), then the other open schools (the least surplus first), then the closed
    and merged ones. ``columns``: only these columns of the staffing table (all when None)."""
    table = result.staffing.copy()
    if shortage_first:
        order = np.lexsort((table["surplus"].fillna(np.inf).to_numpy(), ~table["open"].to_numpy(dtype=bool)))
        table = table.iloc[order]
    for column in STAFFING_COUNTS:
        table[column] = _whole(table[column])
    for column in ("needed_by_ratio", "needed_by_classes"):
        table[column] = table[column].astype(float).round(1)
    for column in ("open", "small_school"):
        table[column] = table[column].map(lambda v: t("yes" if v else "no", lang))
    return localise(table if columns is None else table[list(columns)], lang)


def staffing_totals(*results: Result) -> pd.DataFrame:
    """The county's staffing of each result side by side (one column per result, named as
    in :func:`planning.evaluate.compare`): teachers at open schools, teachers needed by the
    norms, teachers short (the shortages added up), teachers to spare (with those of closed
    schools to place; :func:`planning.staffing.staffing_figures`) and the open schools short
    of teachers, as whole numbers (blank where no school's teachers are known)."""
    table = compare(*results).loc[list(STAFFING_FIGURES)]
    short = [int((r.staffing["open"].to_numpy(dtype=bool) & (r.staffing["surplus"] < 0).to_numpy()).sum())
             for r in results]
    table.loc["schools_short"] = short
    return table.apply(_whole)


def exchange_title(exchange: Exchange, lang: str = "zh") -> str:
    """The exchange in one line: quota among the eligible, key teachers, solver status and gap."""
    return t("report.exchange_title", lang, eligible=exchange.eligible, quota=exchange.quota,
             key_quota=exchange.key_quota, status=solver_status(exchange.status, lang), gap=f"{exchange.gap:.1%}")


def solver_status(status: str, lang: str = "zh") -> str:
    """HiGHS's status in words (最优（已证明） / optimal (proven), …)."""
    return str(localise(pd.DataFrame({"solver_status": [status]}), lang).iloc[0, 0])


def exchange_moves_table(exchange: Exchange, lang: str = "zh") -> pd.DataFrame:
    """Who moves where (:meth:`planning.teachers.Exchange.moves_table`), one row per pair
    of schools indexed by the sending school, the drive between the two in whole minutes."""
    table = exchange.moves_table(lang)
    table = table.apply(lambda column: _whole(column) if column.dtype.kind == "f" else column)
    return table.set_index(table.columns[0])


def exchange_schools_table(exchange: Exchange, lang: str = "zh") -> pd.DataFrame:
    """Each school taking part in an exchange: pupils, eligible teachers, teachers sent and
    received, and each teacher indicator's count before and after, as whole numbers."""
    table = exchange.schools.copy()
    for column in table.columns.drop("name"):
        table[column] = _whole(table[column])
    return localise(table, lang)


def exchange_cv_table(exchange: Exchange, lang: str = "zh") -> pd.DataFrame:
    """The exchange's coefficients of variation before and after, to three decimals: first
    over the schools taking part (each teacher indicator per 100 pupils, pupil-weighted),
    then the 优质均衡 inter-school CV of each level with its limit. Columns: over (the
    schools the CV is over), indicator, before, after, limit."""
    pool = pd.DataFrame({"cv_scope": t("report.cv_pool", lang), "indicator": list(TEACHER_INDICATORS),
                         "before": exchange.cv_before.reindex(list(TEACHER_INDICATORS)).to_numpy(),
                         "after": exchange.cv_after.reindex(list(TEACHER_INDICATORS)).to_numpy(), "limit": np.nan})
    pool["indicator"] = pool["indicator"].replace({"teachers": "teachers_per_100"})
    levels = exchange.balance.reset_index()
    levels.insert(0, "cv_scope", levels.pop("level").map(lambda v: t("report.cv_level", lang, level=level_name(v, lang))))
    table = pd.concat([pool, levels[pool.columns]], ignore_index=True)
    table["indicator"] = table["indicator"].map(lambda v: field(v, lang))
    table[["before", "after", "limit"]] = table[["before", "after", "limit"]].astype(float).round(3)
    return localise(table.set_index("cv_scope"), lang)


def alliance_title(alliances: Alliances, lang: str = "zh") -> str:
    """The alliances in one line: groups, schools in them, their spread, solver status."""
    return t("report.alliance_title", lang, groups=len(alliances.summary), schools=len(alliances.groups),
             spread=alliances.spread_words().text(lang), status=solver_status(alliances.status, lang),
             gap=f"{alliances.gap:.1%}")


def alliance_groups_table(alliances: Alliances, lang: str = "zh") -> pd.DataFrame:
    """One row per alliance: its core (id and name), how many member schools and which, the
    pupils of the whole group and the longest drive from a member to the core (minutes)."""
    schools = alliances.schools
    members = schools[schools["role"] == "member"]
    listed = {core: Listing([f"{sid} {name}" for sid, name in group["name"].items()], sep="sep.names").text(lang)
              for core, group in members.groupby("core")}
    table = alliances.summary.copy()
    table.insert(2, "member_schools", [listed.get(core, "") for core in table.index])
    table["pupils"] = _whole(table["pupils"])
    table["longest_minutes"] = _whole(table["longest_minutes"])
    return localise(table, lang)


def alliance_schools_table(alliances: Alliances, lang: str = "zh") -> pd.DataFrame:
    """Each school's alliance: its core (id and name), role (core, member, left out), the
    drive to its core (minutes, whole) and its pupils; in the order of the groups."""
    table = alliances.schools.copy()
    left_out = (table["role"] == "left_out").to_numpy()
    order = np.lexsort((table["drive_minutes"].fillna(np.inf).to_numpy(), table["core"].fillna("").astype(str).to_numpy(),
                        left_out))
    table = table.iloc[order]
    table["drive_minutes"] = _whole(table["drive_minutes"])
    table["pupils"] = _whole(table["pupils"])
    return localise(table, lang)


def _sheet_prefixes(names: list[str], kinds: Iterable[str], lang: str, *, taken: Iterable[str]) -> list[str]:
    """Each plan's sheet-name prefix, short enough for its longest sheet ("<plan> <kind>")."""
    longest = max((t(f"report.{kind}", lang) for kind in kinds), key=len)
    return sheet_names(names, room=SHEET_ROOM - len(t("report.sheet", lang, plan="", kind=longest)), taken=taken)


def _stacked(names: Sequence[str], prefixes: Sequence[str]) -> bool:
    """Whether plans share one sheet per kind: when a sheet name could not carry some plan's
    name as it is (cut to fit 31 characters, a character Excel refuses, numbered apart)."""
    return any(prefix != name for name, prefix in zip(names, prefixes, strict=True))


def _plan_sheets(plans: list[tuple[str, str, dict[str, pd.DataFrame]]], sheets: dict[str, pd.DataFrame],
                 titles: dict[str, str], lang: str) -> None:
    """The plans' sheets (each plan: full name, sheet-name prefix, kind → table): a sheet per
    plan and kind ("<plan> <kind>", titled by the plan's full name), or, where a sheet name
    would not carry a plan's name as it is (:func:`_stacked`), one sheet per kind with every
    plan's rows under a first column naming the plan in full."""
    if not _stacked([full for full, _, _ in plans], [prefix for _, prefix, _ in plans]):
        for full, prefix, tables in plans:
            for kind, table in tables.items():
                name = t("report.sheet", lang, plan=prefix, kind=t(f"report.{kind}", lang))
                sheets[name] = table
                titles[name] = t("report.sheet_title", lang, plan=full, kind=t(f"report.{kind}", lang))
        return
    kinds = list(dict.fromkeys(kind for _, _, tables in plans for kind in tables))
    for kind, name in zip(kinds, sheet_names([t(f"report.{kind}", lang) for kind in kinds], taken=list(sheets)),
                          strict=True):
        parts = [flat_table(tables[kind], lang=lang).assign(**{field("plan", lang): full})
                 for full, _, tables in plans if kind in tables]
        table = pd.concat(parts, ignore_index=True)
        sheets[name] = table[[table.columns[-1], *table.columns[:-1]]]
        titles[name] = t("report.sheet_title_all", lang, kind=t(f"report.{kind}", lang))


def _timeline_sheets(timelines: list[Timeline], sheets: dict[str, pd.DataFrame], titles: dict[str, str],
                     lang: str) -> None:
    """A plan over the years: its figures by year, and its schools by year."""
    names = [plan_name(tl.name, lang) for tl in timelines]
    prefixes = _sheet_prefixes(names, ("years", "school_years"), lang, taken=list(sheets))
    plans = []
    for timeline, full, prefix in zip(timelines, names, prefixes, strict=True):
        schools = timeline.schools
        by_school = schools[["pupils", "classes", "oversized_classes", "large_classes", "super_large_classes"]]
        wide = pd.DataFrame(by_school.unstack(level="year"))
        wide.columns = [f"{field(str(key[0]), lang)} {key[1]}" for key in wide.columns]
        wide.insert(0, "small_from", timeline.small_from())
        wide.insert(0, "name", schools.xs(timeline.years[0], level="year")["name"])
        plans.append((full, prefix, {"years": localise(timeline.summary, lang), "school_years": localise(wide, lang)}))
    _plan_sheets(plans, sheets, titles, lang)


#: Characters an Excel sheet name may have (UTF-16 code units, as Excel counts them).
SHEET_ROOM = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def _excel_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, room: int) -> str:
    """``text`` shortened to at most ``room`` UTF-16 code units, whole characters only."""
    while _excel_length(text) > room:
        text = text[:-1]
    return text


def sheet_names(texts: Iterable[str], *, room: int = SHEET_ROOM, taken: Iterable[str] = ()) -> list[str]:
    """One name per text that Excel accepts as (part of) a sheet name, all different.

    Characters Excel refuses in sheet names (``[]:*?/\\``) become ``_``; apostrophes at either
    end are dropped; each name has at most ``room`` characters; a name equal to an earlier
    one or to one of ``taken`` (Excel compares names ignoring case) is shortened and
    numbered ``~2``, ``~3``, …; "History" (reserved by Excel) is numbered too.
    """
    if room < 4:
        raise ValueError(f"`room` was {room} but is expected to be at least 4 (a name and its number)")
    bases = [_cut(_NOT_IN_SHEET_NAMES.sub("_", text).strip("'"), room).strip("'") or "_" for text in texts]
    return _distinct(bases, room=room, taken=[*taken, "History"])


def _distinct(bases: Iterable[str], *, room: int | None = None, taken: Iterable[str] = ()) -> list[str]:
    """``bases`` with a number (``~2``, ``~3``, …) on each that equals an earlier one or one
    of ``taken`` ignoring case (as Excel and SQLite compare names), within ``room`` characters."""
    used = {name.casefold() for name in taken}
    out = []
    for base in bases:
        name, number = base, 1
        while name.casefold() in used:
            number += 1
            tail = f"~{number}"
            name = (base if room is None else _cut(base, room - len(tail))) + tail
        used.add(name.casefold())
        out.append(name)
    return out


def balance_sheet(result: Result, lang: str = "zh") -> pd.DataFrame:
    """A result's balance table for a report, and under it the settings that decide the
    verdicts and the CV (teaching points, nine-year schools, 85 % rule) with their values
    and sources, in ``lang``."""
    table = localise(result.balance.rename(columns={"schools": "schools_in_cv"}), lang).reset_index()
    rules = balance_rules(result.project.policy, lang)
    columns = list(table.columns[: len(rules.columns)])
    title = pd.DataFrame([[t("report.balance_rules", lang), *[""] * (len(columns) - 1)], list(rules.columns)],
                         columns=columns)
    block = pd.concat([pd.DataFrame([[""] * len(columns)], columns=columns), title,
                       rules.set_axis(columns, axis=1)], ignore_index=True)
    return pd.concat([table, block], ignore_index=True).set_index(table.columns[0])


def plans_table(results: Iterable[Result]) -> pd.DataFrame:
    """What each result is: name, assignment, edits, and the zoning solver's report: status,
    method, the cost of its zoning and the lower bound proven for it (pupil-minutes, with
    unserved pupils and boarders at their cost in the model), relative gap and seconds
    (empty for nearest-school assignment)."""
    rows = []
    for r in results:
        solver = r.solver
        rows.append({"name": r.name, "assignment": r.assignment, "edits": len(r.edits),
                     "solver_status": solver.status if solver else "", "solver_method": solver.method if solver else "",
                     "bound": round(solver.bound) if solver and np.isfinite(solver.bound) else None,
                     "gap": solver.gap if solver else None, "seconds": solver.seconds if solver else None})
    return pd.DataFrame(rows).set_index("name")


def zoning_line(result: Result, lang: str = "zh") -> str | None:
    """How the zoning of ``result`` was solved, for people (None for nearest-school
    assignment): status, method, proven bound, gap and seconds in ``lang``."""
    solver = result.solver
    if solver is None:
        return None
    bound = f"{solver.bound:,.0f}" if np.isfinite(solver.bound) else "—"
    return t("report.zoning_line", lang, name=plan_name(result.name, lang), status=solver_status(solver.status, lang),
             method=t(f"method.{solver.method}", lang), bound=bound, gap=f"{solver.gap:.2%}",
             seconds=f"{solver.seconds:.1f}" if solver.seconds >= 0.05 else "<0.1")


def zoning_lines(results: Iterable[Result], lang: str = "zh") -> list[str]:
    """:func:`zoning_line` of each zoned result (nearest-school results have none)."""
    return [line for r in results if (line := zoning_line(r, lang)) is not None]


def results_gpkg(project: Project, results: Iterable[Result], path: str | Path) -> Path:
    """Villages, schools and trips of each result with their geometry, for QGIS: layers
    ``<plan>_villages``, ``<plan>_schools`` and ``<plan>_trips`` (a plan whose name equals
    an earlier one ignoring case, as GeoPackage compares layer names, is numbered ``~2``).
    A trip is a village's line to its school at one level: along the roads its pupils walk
    or the bus drives (``along_roads``; ``route_km``, ``route_minutes``: the walk's or the ride's),
    else straight (:func:`planning.routes.trip_lines`)."""
    layers = {}
    results = list(results)
    for result, prefix in zip(results, _distinct(r.name for r in results), strict=True):
        villages = project.villages[["geometry"]].join(result.villages.reset_index(level="level"))
        villages[["mode", "main_mode"]] = villages[["mode", "main_mode"]].astype(str)
        layers[f"{prefix}_villages"] = villages
        schools = project.target_points.to_frame("geometry").join(result.schools, how="inner")  # name: the Chinese
        schools = schools.rename_axis("school_id")  # the id column by its name, not "index"
        schools["grades"] = schools["grades"].map(lambda g: ",".join(map(str, g)))
        layers[f"{prefix}_schools"] = schools
        layers[f"{prefix}_trips"] = trips_table(project, result)
    return write_gpkg(layers, path)


def trips_table(project: Project, result: Result) -> gpd.GeoDataFrame:
    """Each village's trip to its school at each level (WGS84 lines): ``village_id``,
    ``level``, ``school``, ``mode``, ``along_roads``, ``route_km``, ``route_minutes``."""
    frames = []
    for level in result.villages.index.get_level_values("level").unique():
        trips = trip_lines(project, village_table(project, result, level=level), crs=4326)
        frames.append(trips.rename_axis("village_id").reset_index().assign(level=level))
    columns = ["village_id", "level", "school", "mode", "along_roads", "route_km", "route_minutes", "geometry"]
    if not frames:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=4326)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True)[columns], geometry="geometry", crs=4326)


__all__ = ["print_map", "excel_report", "balance_sheet", "plans_table", "zoning_line", "zoning_lines", "results_gpkg", "cjk_font", "sheet_names",
           "staffing_table", "staffing_totals", "cost_table", "cost_by_item", "cost_facts", "money", "exchange_cv_table", "exchange_moves_table", "exchange_schools_table", "exchange_title", "alliance_groups_table",
           "alliance_schools_table", "alliance_title", "solver_status"]


# ---------------------------------------------------------------------------------- the plan report
def plan_report(project: Project, results: Iterable[Result], path: str | Path, *, lang: str = "zh",
                paper: str = "A4", unit: str | None = None, date: Any = None,
                timelines: Iterable[Timeline] = (), county: str | None = None) -> Path:
    """Write the plan report, the PDF a planner hands to the county government
    (:mod:`planning.plan_report` lists its pages): cover (county, plans, date, ``unit``
    as 制图单位 / prepared by, data sources with the OpenStreetMap attribution where the
    roads come from OSM), the decision in one paragraph and the figures before and after,
    maps of today and the plan side by side, the villages and pupils affected, the schools
    (loads, classrooms, beds, staffing, resource verdicts), the CVs, the costs, the
    forecast (``timelines``), the assumptions with their sources; numbered pages, the
    Chinese font embedded.

    Parameters
    ----------
    results
        Today's layout first, then the plans (at least one).
    path
        The PDF to write.
    lang
        "zh" or "en": every word of the report (the planner's own names as given).
    paper
        "A4" or "A3", landscape; text and symbols grow with the paper.
    unit
        Who prepared the report (制图单位); a line to write on when None.
    date
        The report's date (a ``datetime.date`` or text); today when None.
    timelines
        Layouts evaluated over the forecast years (``Scenario.evaluate_years``), each a table
        of its figures year by year; without any, the report says it has no forecast.
    county
        The county's name on the cover, in every page's footer and the PDF's title (the
        project's name, or the demo's in ``lang``, when None or blank).
    """
    pages = plan_report_pages(project, list(results), lang=lang, paper=paper, unit=unit, date=date,
                              timelines=list(timelines), county=county)
    return save_pages(pages, path, lang=lang, author=unit,
                      title=t("plan_report.title", lang, county=county_name(project, lang, given=county)))


def plan_report_pages(project: Project, results: Sequence[Result], *, lang: str = "zh", paper: str = "A4",
                      unit: str | None = None, date: Any = None, timelines: Sequence[Timeline] = (),
                      county: str | None = None) -> list[Figure]:
    """The pages of :func:`plan_report` as matplotlib figures (the caller closes them)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .plan_report import Sheet, report_pages

    if paper not in PAPER:
        raise ValueError(f"`paper` was {paper!r} but is expected to be one of {list(PAPER)}")
    # a report of many pages holds them all open until saved: no "more than 20 figures" warning
    with plt.rc_context({"font.family": _report_fonts(lang), "pdf.fonttype": 42, "axes.unicode_minus": False,
                         "figure.max_open_warning": 0}), _quiet_fonts():
        return report_pages(project, results, sheet=Sheet(PAPER[paper], MARKERS, lang), unit=unit, date=date,
                            timelines=timelines, county=county)


class _quiet_fonts:  # noqa: N801 - used like a function, ``with _quiet_fonts():``
    """Without matplotlib's warning that a fallback font (the CJK one behind Latin text) has
    no bold: bold Latin text is drawn in DejaVu Sans Bold all the same."""

    def __enter__(self) -> None:
        import logging

        self.logger = logging.getLogger("matplotlib.font_manager")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)


def _report_fonts(lang: str) -> list[str]:
    """The font families of a printed report in ``lang``: a CJK font first in Chinese; in
    English Latin text first, Chinese names falling back to a CJK font if any."""
    if lang == "zh":
        return [cjk_font(), "DejaVu Sans"]
    try:
        return ["DejaVu Sans", cjk_font()]
    except PlanningError:
        return ["DejaVu Sans"]


def save_pages(pages: Sequence[Figure], path: str | Path, *, lang: str = "zh", title: str | None = None,
               author: str | None = None) -> Path:
    """Write figures (:func:`plan_report_pages`) as the pages of one PDF, atomically, with
    their fonts embedded (TrueType), and close them; ``title`` and ``author`` go into the
    PDF's document properties."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    try:
        with plt.rc_context({"font.family": _report_fonts(lang), "pdf.fonttype": 42}), _quiet_fonts(), \
                atomic_path(path) as tmp, PdfPages(tmp, metadata={"Title": title, "Author": author}) as pdf:
            for page in pages:
                pdf.savefig(page)
    finally:
        for page in pages:
            plt.close(page)
    return path

__all__ += ["plan_report", "plan_report_pages", "save_pages"]
