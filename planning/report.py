"""Printable maps (PNG/PDF, A4/A3 landscape) and reports (Excel, GeoPackage) for meetings.

The printed map is drawn with matplotlib on the road network itself, so it is made without
internet: title, legend, scale bar, north arrow, attribution and Chinese text (a CJK font
must be installed: Debian/Ubuntu ``fonts-wqy-microhei`` or ``fonts-noto-cjk``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .changes import affected, village_changes
from .errors import PlanningError
from .evaluate import Result, compare, level_summary
from .i18n import Message, field, level_name, localise, plan_name, school_type, t
from .indicators import balance_rules, worded_indicators
from .io import atomic_path, write_excel, write_gpkg
from .load import is_demo
from .maps import COLOURS, STATUS_COLOURS, village_table, walk_class
from .project import Project
from .scenario import baseline
from .timeline import Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PAPER = {"A4": (11.69, 8.27), "A3": (16.54, 11.69)}  # landscape, inches
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei",
                "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")
MARKERS = {"central_primary": "s", "village_primary": "o", "teaching_point": "^", "junior_secondary": "D",
           "nine_year": "*", "unknown": "o", "other": "x"}


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
              lang: str = "zh", paper: str = "A4", title: str | None = None, dpi: int = 200) -> Path:
    """Draw a printable map of a result and save it as PDF or PNG (by the file's suffix).

    ``print_map(project, "map.pdf")`` prints today's layout; pass ``result=`` for a plan.

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
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if paper not in PAPER:
        raise ValueError(f"`paper` was {paper!r} but is expected to be one of {list(PAPER)}")
    path = Path(path)
    if path.suffix.lower() not in (".pdf", ".png"):
        raise ValueError(f"save the map as .pdf or .png, not {path.suffix!r}")
    result = result if result is not None else baseline(project)
    if lang == "zh":
        families = [cjk_font(), "DejaVu Sans"]
    else:  # Latin text first; Chinese names (where no pinyin is given) fall back to a CJK font if any
        try:
            families = ["DejaVu Sans", cjk_font()]
        except PlanningError:
            families = ["DejaVu Sans"]
    with plt.rc_context({"font.family": families, "pdf.fonttype": 42, "axes.unicode_minus": False}):
        fig = _draw(project, result, level=level, lang=lang, paper=paper, title=title)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=path.suffix[1:].lower())
        plt.close(fig)
    return path


def _draw(project: Project, result: Result, *, level: str, lang: str, paper: str, title: str | None) -> Figure:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patheffects import withStroke

    crs = project.crs
    halo = [withStroke(linewidth=2.5, foreground="white")]  # labels stay legible over lines and circles
    fig, ax = plt.subplots(figsize=PAPER[paper])
    fig.subplots_adjust(left=0.03, right=0.78, top=0.9, bottom=0.06)
    roads = project.network.to_gdf()
    roads.plot(ax=ax, color="#8c8c8c", linewidth=0.6, zorder=1)
    villages = village_table(project, result, level=level)
    villages["class"] = walk_class(villages["minutes"], villages["mode"], project.policy.limit(level))
    vpts = villages.to_crs(crs)
    points = project.target_points
    spts = points.to_crs(crs)
    for _, row in vpts.iterrows():
        school = row["school"]
        if isinstance(school, str) and school in spts.index:
            ax.plot([row.geometry.x, spts[school].x], [row.geometry.y, spts[school].y], color=COLOURS[row["class"]],
                    linewidth=0.8, linestyle="--", alpha=0.7, zorder=2)
    pupils = vpts["pupils"].fillna(0).to_numpy()
    ax.scatter(vpts.geometry.x, vpts.geometry.y, s=20 + 3 * pupils, c=[COLOURS[c] for c in vpts["class"]],
               edgecolors="#252525", linewidths=0.6, zorder=3)
    names = _names(project.villages, lang)
    for (vid, row), n in zip(vpts.iterrows(), pupils, strict=True):
        clear = 0.7 * np.sqrt(20 + 3 * n) / 2 + 3  # beside the circle, whatever its size (points)
        ax.annotate(names[vid], (row.geometry.x, row.geometry.y), xytext=(clear, clear), textcoords="offset points",
                    fontsize=7, zorder=5, path_effects=halo)
    schools = result.schools
    school_names = _names(pd.concat([project.schools, project.sites]) if len(project.sites) else project.schools, lang)
    for sid, row in schools.iterrows():
        p = spts[sid]
        colour = STATUS_COLOURS.get(row["status"], "#2166ac")
        ax.scatter([p.x], [p.y], marker=MARKERS.get(row["type"], "o"), s=110, c=colour, edgecolors="white",
                   linewidths=1.2, zorder=4)
        status = t(f"status.{row['status']}", lang)
        label = str(school_names[str(sid)]) + ("" if row["open"] else f" ({status})")
        ax.annotate(label, (p.x, p.y), xytext=(6, -10), textcoords="offset points", fontsize=7.5, color=colour,
                    zorder=6, path_effects=halo)
    ax.margins(0.04)
    ax.set_aspect("equal", adjustable="datalim")  # the map fills the page's frame, not a strip of it
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.suptitle(title or t("map.title", lang, project=project.name, scenario=result.name,
                            level=level_name(level, lang)),
                 fontsize=16)
    _scale_bar(ax, lang)
    _north_arrow(ax, lang)
    limit = project.policy.limit(level)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=COLOURS[k], markeredgecolor="#333",
                      label=label) for k, label in (
        ("short", t("map.walk_within", lang, short=30)), ("limit", t("map.walk_limit", lang, limit=f"{limit:g}")),
        ("beyond", t("map.walk_beyond", lang, limit=f"{limit:g}")), ("bus", t("map.bus", lang)), ("board", t("map.board", lang)),
        ("unserved", t("map.unserved", lang)))]
    kinds = [k for k in MARKERS if k in set(schools["type"])]
    handles += [Line2D([], [], marker=MARKERS[k], linestyle="", markersize=9, markerfacecolor="#2166ac",
                       markeredgecolor="white", label=school_type(k, lang)) for k in kinds]
    handles += [Line2D([], [], marker="s", linestyle="", markersize=9, markerfacecolor=STATUS_COLOURS[s],
                       label=t(f"status.{s}", lang)) for s in ("open", "new", "teaching point", "closed")]
    handles += [Line2D([], [], color="#8c8c8c", linewidth=1.5, label=t("map.roads", lang))]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.79, 0.88), title=t("map.legend", lang), fontsize=9,
               title_fontsize=11, frameon=True)
    notes = [t("map.size_note", lang)]
    if project.network.attribution:
        notes.append(t("osm_attribution", lang))
    if is_demo(project):
        notes.append(t("synthetic", lang))
    summary = level_summary(result, level)  # the figures of the level the map shows
    facts = t("map.facts", lang, level=level_name(level, lang), schools=int(summary["schools_open"]),
              pupils=f"{summary['pupils']:.0f}",
              bus=f"{summary['bus_riders']:.0f}", board=f"{summary['boarders']:.0f}",
              unserved=f"{summary['unserved']:.0f}")
    fig.text(0.03, 0.02, facts, fontsize=9)
    fig.text(0.79, 0.02, "\n".join(notes + [t("map.made_with", lang)]), fontsize=8, color="#444", va="bottom")
    return fig


def _names(table: pd.DataFrame, lang: str) -> pd.Series:
    """Names to print: pinyin for English maps where the data give it."""
    names = table["name"].astype(str)
    if lang == "en" and "name_pinyin" in table:
        names = table["name_pinyin"].where(table["name_pinyin"].notna(), names).astype(str)
    return names


def _nice_length(span: float) -> float:
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _scale_bar(ax: Axes, lang: str) -> None:
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    x, y = x1 - 0.04 * (x1 - x0) - length, y0 + 0.04 * (y1 - y0)
    for i in range(2):
        ax.add_patch(Rectangle(
            (x + i * length / 2, y), length / 2, 0.008 * (y1 - y0), facecolor="black" if i == 0 else "white",
            edgecolor="black", zorder=6))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x, y + 0.015 * (y1 - y0), f"{t('map.scale', lang)} 0", fontsize=8, zorder=6)
    ax.text(x + length, y + 0.015 * (y1 - y0), label, fontsize=8, ha="right", zorder=6)


def _north_arrow(ax: Axes, lang: str) -> None:
    ax.annotate(t("map.north", lang), xy=(0.95, 0.95), xytext=(0.95, 0.85), xycoords="axes fraction",
                ha="center", va="center", fontsize=13,
                arrowprops={"facecolor": "black", "width": 4, "headwidth": 12})


def excel_report(project: Project, results: Iterable[Result], path: str | Path, *, lang: str = "zh",
                 before: Result | None = None, timelines: Iterable[Timeline] = ()) -> Path:
    """One workbook: the plans (assignment, solver), their figures side by side, and per
    result its schools, villages, violations (villages not walking within the limit),
    indicators (each school's verdict: meets, fails, or undetermined with the data missing),
    balance (the CV, and under it the settings that decide the verdicts and the CV with
    their sources), change log and, for each plan, the villages it affects (every village ×
    grade band whose school, mode or trip minutes change against ``before``: today's
    layout, by default the first result when it has no edits); sheet names, headers and
    words in ``lang``.

    Any plan name works. A plan's sheets are named "<plan> <kind>" (学校, 村庄, …) with the
    plan's name made fit for Excel (characters Excel refuses, ``[]:*?/\\``, become ``_``; the
    name is shortened so that every sheet name has at most 31 characters) and, where two
    plans would share a name (Excel ignores case), numbered ``~2``, ``~3``. Every plan sheet
    starts with its title, the plan's full name, in cell A1; its table starts on row 3
    (``pd.read_excel(book, sheet, header=2)``). The plans sheet names each plan's sheets.

    Each of ``timelines`` (plans evaluated over the years) adds two sheets: its figures year
    by year, and each school's pupils, classes and large classes year by year with the year
    it becomes a small-scale school.
    """
    results = list(results)
    names = [plan_name(r.name, lang) for r in results]
    kinds = ["schools", "villages", "violations", "indicators", "balance", "changes", "affected"]
    if before is None and results and not results[0].edits:
        before = results[0]
    prefixes = _sheet_prefixes(names, kinds, lang, taken=[t("report.plans", lang), t("report.summary", lang)])
    plans = plans_table(results)
    plans.index = pd.Index(names, name=plans.index.name)
    plans["sheets"] = prefixes
    summary = localise(compare(*results), lang).rename_axis(t("field.figure", lang))
    sheets: dict[str, pd.DataFrame] = {t("report.plans", lang): localise(plans, lang), t("report.summary", lang): summary}
    titles: dict[str, str] = {}
    for result, full, prefix in zip(results, names, prefixes, strict=True):
        tables = {"schools": result.schools, "villages": result.villages,
                  "violations": result.villages[result.villages["mode"].astype(str) != "walk"],
                  "indicators": worded_indicators(result.indicators, lang), "balance": result.balance}
        if result.edits:  # the change log, its sentences in the language
            tables["changes"] = result.log(lang).rename(columns={"change": "change_text"})
        if before is not None and result is not before:
            tables["affected"] = affected(village_changes(before, result))
        for kind, table in tables.items():
            _put_sheet(sheets, titles, balance_sheet(result, lang) if kind == "balance" else localise(table, lang),
                       kind=kind, plan=(prefix, full), lang=lang)
    _timeline_sheets(list(timelines), sheets, titles, lang)
    return write_excel(sheets, path, titles=titles)


def _sheet_prefixes(names: list[str], kinds: Iterable[str], lang: str, *, taken: Iterable[str]) -> list[str]:
    """Each plan's sheet-name prefix, short enough for its longest sheet ("<plan> <kind>")."""
    longest = max((t(f"report.{kind}", lang) for kind in kinds), key=len)
    return sheet_names(names, room=SHEET_ROOM - len(t("report.sheet", lang, plan="", kind=longest)), taken=taken)


def _put_sheet(sheets: dict[str, pd.DataFrame], titles: dict[str, str], table: pd.DataFrame, *, kind: str,
               plan: tuple[str, str], lang: str) -> None:
    """One plan's sheet of ``kind``: named by the plan's prefix, titled by its full name."""
    prefix, full = plan
    name = t("report.sheet", lang, plan=prefix, kind=t(f"report.{kind}", lang))
    sheets[name] = table
    titles[name] = t("report.sheet_title", lang, plan=full, kind=t(f"report.{kind}", lang))


def _timeline_sheets(timelines: list[Timeline], sheets: dict[str, pd.DataFrame], titles: dict[str, str],
                     lang: str) -> None:
    """A plan over the years: its figures by year, and its schools by year."""
    names = [plan_name(tl.name, lang) for tl in timelines]
    prefixes = _sheet_prefixes(names, ("years", "school_years"), lang, taken=list(sheets))
    for timeline, full, prefix in zip(timelines, names, prefixes, strict=True):
        schools = timeline.schools
        by_school = schools[["pupils", "classes", "oversized_classes", "large_classes", "super_large_classes"]]
        wide = pd.DataFrame(by_school.unstack(level="year"))
        wide.columns = [f"{field(str(key[0]), lang)} {key[1]}" for key in wide.columns]
        wide.insert(0, "small_from", timeline.small_from())
        wide.insert(0, "name", schools.xs(timeline.years[0], level="year")["name"])
        for kind, table in (("years", timeline.summary), ("school_years", wide)):
            _put_sheet(sheets, titles, localise(table, lang), kind=kind, plan=(prefix, full), lang=lang)


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
    """What each result is: name, assignment, edits, and the zoning solver's status, gap
    and seconds (empty for nearest-school assignment)."""
    rows = []
    for r in results:
        solver = r.solver
        rows.append({"name": r.name, "assignment": r.assignment, "edits": len(r.edits),
                     "solver_status": solver.status if solver else "", "gap": solver.gap if solver else None,
                     "seconds": solver.seconds if solver else None})
    return pd.DataFrame(rows).set_index("name")


def results_gpkg(project: Project, results: Iterable[Result], path: str | Path) -> Path:
    """Villages and schools of each result with their geometry, for QGIS: layers
    ``<plan>_villages`` and ``<plan>_schools`` (a plan whose name equals an earlier one
    ignoring case, as GeoPackage compares layer names, is numbered ``~2``)."""
    layers = {}
    results = list(results)
    for result, prefix in zip(results, _distinct(r.name for r in results), strict=True):
        villages = project.villages[["geometry"]].join(result.villages.reset_index(level="level"))
        villages["mode"] = villages["mode"].astype(str)
        layers[f"{prefix}_villages"] = villages
        schools = project.target_points.to_frame("geometry").join(result.schools.drop(columns=["name"]), how="inner")
        schools = schools.rename_axis("school_id")  # the id column by its name, not "index"
        schools["grades"] = schools["grades"].map(lambda g: ",".join(map(str, g)))
        layers[f"{prefix}_schools"] = schools
    return write_gpkg(layers, path)


__all__ = ["print_map", "excel_report", "balance_sheet", "plans_table", "results_gpkg", "cjk_font", "sheet_names"]
