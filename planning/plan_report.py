"""The plan report: the PDF a planner hands to the county government.

Pages, in order (landscape A4 or A3; every text from the catalogue, in one language):

1. the cover: county, plans, date, who prepared it (制图单位), the data sources;
2. per plan, the decision in one paragraph and the figures before and after;
3. per plan and level whose pupils it moves, the maps of today and of the plan side by side;
4. per plan, the villages and pupils affected (:func:`planning.changes.village_changes`);
5. per plan, the schools: pupils, seats and load, classrooms, beds, teachers and the
   resource verdict (优质均衡) today and in the plan, then the inter-school CVs;
6. per plan, its costs by item;
7. per layout evaluated over the forecast years (``timelines``), its figures year by year;
8. the assumptions: the policy settings with their values and sources.

Every page says "第 n 页 / 共 N 页" ("Page n of N"). A section without data (no teachers
known, no costs, no forecast) is one line saying so.

Map labels are placed by :class:`LabelPlacer`: each name tries eight places around its point
(then eight further out, with a leader line) and takes the first free one, crossing the
fewest roads (further out with a leader line where none is free close by); a name with no
free place is left out (the page says how many). The scale
bar and north arrow go in the corners with the fewest villages, schools and roads.

The module draws; :func:`planning.report.plan_report` picks the fonts and writes the file
(this module comes before ``report`` in the flow and does not import it).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .changes import affected, village_changes
from .costs import ITEMS, cost_sheet
from .evaluate import Result, compare, level_summary
from .i18n import field, has_text, level_name, plan_name, school_type, shown_names, t, target_names
from .indicators import BALANCE_SETTINGS, balance_rules
from .load import county_name, is_demo
from .maps import COLOURS, STATUS_COLOURS, village_table, walk_class
from .policy import INDICATORS, LEVEL_GRADES, SOURCED, Policy
from .project import Project
from .routes import trip_lines
from .terrain import elevation_source
from .timeline import Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

#: The gid of a map label drawn by :class:`LabelPlacer` (tests find the labels by it).
LABEL_GID = "plan_report.label"
#: The gid of a page's number ("第 n 页 / 共 N 页").
PAGE_GID = "plan_report.page"
#: The figures of the before/after table, in order (rows of :func:`planning.compare`).
FIGURES = ("schools_open", "pupils", "walkers", "bus_riders", "boarders", "unserved", "pupils_beyond_limit",
           "primary_pupils_beyond_limit", "junior_pupils_beyond_limit", "mean_walk", "max_walk",
           "schools_over_capacity", "seats_short", "classroom_shortfall", "schools_below_standard",
           "schools_undetermined", "primary_max_cv", "junior_max_cv", "teachers", "teachers_needed",
           "teachers_short", "teachers_spare", "one_off_yuan", "yearly_yuan", "cost_npv_yuan")
_MINUTES = {"mean_walk", "max_walk"}
_CV = {"primary_max_cv", "junior_max_cv"}
_YUAN = {"one_off_yuan", "yearly_yuan", "cost_npv_yuan"}
_TEACHERS = {"teachers", "teachers_needed", "teachers_short", "teachers_spare"}
_BASE_PAPER = 11.69  # width of landscape A4 (inches): text sizes below are for it
#: Village names tried on one map (the villages with most pupils first); the others are
#: counted among the names left out.
MOST_VILLAGE_NAMES = 250


@dataclass(frozen=True)
class Sheet:
    """The paper and the drawing conventions of a report.

    Attributes
    ----------
    size
        The page (inches, landscape).
    markers
        The matplotlib marker of each school type (as on the printed map).
    lang
        "zh" or "en".
    """

    size: tuple[float, float]
    markers: Mapping[str, str]
    lang: str

    @property
    def bold(self) -> str:
        """The weight of titles: bold in English; the Chinese fonts installed have no bold."""
        return "bold" if self.lang == "en" else "normal"

    @property
    def scale(self) -> float:
        """Text and symbol sizes against A4 (A3: about 1.41)."""
        return self.size[0] / _BASE_PAPER

    def pt(self, points: float) -> float:
        """A size in points on A4, scaled to this paper."""
        return points * self.scale


# ---------------------------------------------------------------------------------- text
def _ems(text: str) -> float:
    """Width of a line in ems (a Chinese character 1, a Latin one about 0.6)."""
    return sum(1.0 if ord(ch) > 0x2e80 else 0.6 for ch in text)


def wrap(text: str, room: float) -> list[str]:
    """``text`` in lines of at most ``room`` ems, broken at spaces or, in Chinese, after a
    punctuation mark or between characters."""
    lines: list[str] = []
    line = ""
    for piece in re.findall(r"[^\s\uff0c\uff1b\u3001\u3002]*[\s\uff0c\uff1b\u3001\u3002]?", text):
        if line and _ems((line + piece).rstrip()) > room:  # a space at the end of a line takes no room
            lines.append(line.rstrip())
            line = ""
        line += piece
        while _ems(line.rstrip()) > room:  # one piece longer than a line
            cut = next(i for i in range(len(line), 0, -1) if _ems(line[:i]) <= room)
            lines.append(line[:cut])
            line = line[cut:]
    return [*lines, line.rstrip()] if line.strip() else lines


def whole(value: float) -> str:
    """A count as printed: whole, thousands separated; blank when unknown."""
    return "" if value is None or math.isnan(value) else f"{value:,.0f}"


def money(value: float, lang: str) -> str:
    """An amount of yuan as printed in the tables: 万元 to two decimals in Chinese, whole
    yuan in English (the unit is in the column's or row's name)."""
    if math.isnan(value):
        return ""
    return f"{value / 1e4:,.2f}" if lang == "zh" else f"{value:,.0f}"


def money_words(value: float, lang: str) -> str:
    """An amount of yuan in a sentence, with its unit (万元 / yuan)."""
    return t("plan_report.money", lang, amount=money(value, lang))


def figure_text(name: str, value: float, lang: str) -> str:
    """One figure of the before/after table as printed: minutes to one decimal, CVs to
    three, amounts by :func:`money`, counts whole; blank when unknown."""
    if value is None or math.isnan(value):
        return ""
    if name in _MINUTES:
        return f"{value:.1f}"
    if name in _CV:
        return f"{value:.3f}"
    if name in _YUAN:
        return money(value, lang)
    return whole(value)


def change_text(name: str, before: float, after: float, lang: str) -> str:
    """The change of one figure, signed; blank when either side is unknown, "0" when none."""
    if math.isnan(before) or math.isnan(after):
        return ""
    text = figure_text(name, after - before, lang)
    if float(re.sub(r"[^0-9.]", "", text) or 0) == 0:  # no change at the printed precision (not "-0.0")
        return figure_text(name, 0.0, lang)
    return text if text.startswith("-") else f"+{text}"


def figure_label(name: str, lang: str) -> str:
    """The row name of a figure (amounts in 万元 in Chinese)."""
    return t(f"plan_report.{name}", lang) if name in _YUAN else field(name, lang)


def names_of(table: pd.DataFrame, lang: str) -> pd.Series:
    """Names to print: pinyin in English where the data give it (:func:`planning.i18n.shown_names`)."""
    return shown_names(table, lang)


def date_text(date: dt.date | str | None, lang: str) -> str:
    """A date as printed, in the catalogue's format for ``lang``; text as given; today when None."""
    if isinstance(date, str):
        return date
    day = date or dt.date.today()
    if lang == "zh":
        return t("plan_report.date_format", lang, year=day.year, month=day.month, day=day.day)
    return t("plan_report.date_format", lang, year=day.year, month=f"{day.month:02d}", day=f"{day.day:02d}")


# ---------------------------------------------------------------------------------- labels
#: How far out (font sizes beyond the symbol) a label tries its eight places: beside the
#: symbol first, then further out with a leader line.
_RINGS = (0.0, 1.6, 3.2, 5.0, 7.0)
_Align = Literal["left", "center", "right"]
_Valign = Literal["bottom", "center", "top"]
#: The eight places around a point, in the order tried: (direction x, direction y, ha, va);
#: right of the point first, as cartographers do.
_PLACES: tuple[tuple[int, int, _Align, _Valign], ...] = (
    (1, 0, "left", "center"), (1, 1, "left", "bottom"), (1, -1, "left", "top"), (0, 1, "center", "bottom"),
    (0, -1, "center", "top"), (-1, 0, "right", "center"), (-1, 1, "right", "bottom"), (-1, -1, "right", "top"))


@dataclass
class LabelPlacer:
    """Greedy label placement on one map (display coordinates).

    Each label tries the eight places around its symbol (:data:`_PLACES`; a school in its
    village's circle counts the circle as its symbol), then the same eight further out
    (:data:`_RINGS`) with a leader line to the point, each on one line and, when long, on
    two. A place is free when its box (with a margin of 1.5 points) stays inside the map
    and meets no label, symbol or map furniture (scale bar, north arrow) placed before. Of
    the free places one clear of other symbols wins (a label beside another symbol reads as
    that symbol's name), then the nearest, then the one on one line, then the one with the
    fewest other symbols close to it, then the one covering the fewest road points, then
    the first tried. A label with no free place is left out and counted (:attr:`left_out`).
    """

    ax: Axes
    renderer: RendererBase
    road_points: np.ndarray  # (n, 2) display coordinates of points along the roads
    taken: list[tuple[float, float, float, float]] = dataclass_field(default_factory=list)  # x0, y0, x1, y1
    symbols: list[tuple[float, float, float]] = dataclass_field(default_factory=list)  # x, y, radius (pixels)
    left_out: int = 0

    def block(self, box: Bbox) -> None:
        """Keep ``box`` (display coordinates) free of labels."""
        self.taken.append((box.x0, box.y0, box.x1, box.y1))

    def block_point(self, x: float, y: float, radius: float) -> None:
        """Keep a symbol of ``radius`` points at data point (x, y) free of labels."""
        px, py = (float(v) for v in self.ax.transData.transform((x, y)))
        r = radius * self.ax.figure.dpi / 72
        self.taken.append((px - r, py - r, px + r, py + r))
        self.symbols.append((px, py, r))

    def place(self, x: float, y: float, text: str, *, radius: float, size: float, colour: str = "black",
              weight: str = "normal") -> Text | None:
        """Label the data point (x, y), whose symbol has ``radius`` points, with ``text`` in
        ``size`` points; the label drawn, or None when no place is free."""
        from matplotlib.patheffects import withStroke
        from matplotlib.transforms import Bbox

        label = self.ax.annotate(text, (x, y), xytext=(0, 0), textcoords="offset points", fontsize=size, color=colour,
                                 fontweight=weight, zorder=7, gid=LABEL_GID,
                                 path_effects=[withStroke(linewidth=max(2.0, size / 3), foreground="white")])
        frame = self.ax.get_window_extent(self.renderer)
        margin = 1.5 * self.ax.figure.dpi / 72
        taken = np.array(self.taken, dtype=float).reshape(-1, 4)
        symbols = np.array(self.symbols, dtype=float).reshape(-1, 3)
        px, py = self.ax.transData.transform((x, y))
        pixels = self.ax.figure.dpi / 72
        distance = np.hypot(symbols[:, 0] - px, symbols[:, 1] - py)
        touching = distance < symbols[:, 2] + radius * pixels  # its own symbol and those it sits in
        radius = max(radius, float(((distance + symbols[:, 2])[touching]).max(initial=0.0)) / pixels)
        others = symbols[~touching]
        best: tuple[int, ...] | None = None  # beside another symbol, ring, lines, how many, roads, order
        chosen: tuple[str, float, float, _Align, _Valign, Bbox] | None = None
        sizes = []  # each variant's box at offset 0, left and bottom aligned: measured once
        label.set_horizontalalignment("left")
        label.set_verticalalignment("bottom")
        for words in _variants(text):
            label.set_text(words)
            box = label.get_window_extent(self.renderer)
            sizes.append((words, box.x0 - px, box.y0 - py, box.width, box.height))
        for ring, gap in enumerate(radius + 1.5 + step * size for step in _RINGS):
            for lines, (words, sx, sy, width, height) in enumerate(sizes):
                for order, (dx, dy, ha, va) in enumerate(_PLACES):
                    norm = math.hypot(dx, dy)
                    ox, oy = dx * gap / norm, dy * gap / norm
                    x0 = px + sx + ox * pixels - {"left": 0.0, "center": width / 2, "right": width}[ha] - margin
                    y0 = py + sy + oy * pixels - {"bottom": 0.0, "center": height / 2, "top": height}[va] - margin
                    box = Bbox.from_bounds(x0, y0, width + 2 * margin, height + 2 * margin)
                    if not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1):
                        continue
                    if ((taken[:, 0] < box.x1) & (box.x0 < taken[:, 2]) & (taken[:, 1] < box.y1)
                            & (box.y0 < taken[:, 3])).any():
                        continue
                    near = _near(box, others, size * pixels)
                    score = (min(near, 1), ring, lines, near, _crowding(self.road_points, box), order)
                    if best is None or score < best:
                        best, chosen = score, (words, ox, oy, ha, va, box)
            if best is not None and best[0] == 0:  # clear of other symbols: no nearer place is
                break
        if best is None or chosen is None:
            label.remove()
            self.left_out += 1
            return None
        words, ox, oy, ha, va, box = chosen
        label.set_text(words)
        label.set_position((ox, oy))
        label.set_horizontalalignment(ha)
        label.set_verticalalignment(va)
        if best[1] > 0:  # further out: a thin line from the point to the label
            self.ax.annotate("", (x, y), xytext=(ox * 0.85, oy * 0.85), textcoords="offset points", zorder=6,
                             arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.5, "shrinkA": 0,
                                         "shrinkB": radius})
        self.block(box)
        return label


def _near(box: Bbox, symbols: np.ndarray, gap: float) -> int:
    """How many ``symbols`` (x, y, radius in pixels) come within ``gap`` pixels of ``box``: a
    label beside another symbol reads as that symbol's name."""
    dx = np.maximum.reduce([box.x0 - symbols[:, 0], np.zeros(len(symbols)), symbols[:, 0] - box.x1])
    dy = np.maximum.reduce([box.y0 - symbols[:, 1], np.zeros(len(symbols)), symbols[:, 1] - box.y1])
    return int((np.hypot(dx, dy) < symbols[:, 2] + gap).sum())


def _variants(text: str) -> list[str]:
    """A name on one line and, when it is long (over 8 ems), on two lines broken at the
    space (or, in Chinese, the character) nearest its middle."""
    if _ems(text) <= 8:
        return [text]
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    middle = len(text) / 2
    if spaces:
        cut = min(spaces, key=lambda i: abs(i - middle))
        return [text, f"{text[:cut]}\n{text[cut + 1:]}"]
    cut = round(middle)
    return [text, f"{text[:cut]}\n{text[cut:]}"]


# ---------------------------------------------------------------------------------- maps
@dataclass(frozen=True)
class _Extent:
    """The ground a page's maps show (project CRS, metres), fitted to the maps' frames."""

    x0: float
    x1: float
    y0: float
    y1: float


def map_extent(project: Project, width: float, height: float) -> _Extent:
    """Villages, schools and sites with a margin, widened to a frame ``width`` × ``height``."""
    crs = project.crs
    points = pd.concat([project.villages.to_crs(crs).geometry, project.target_points.to_crs(crs)])
    xs, ys = points.x.to_numpy(), points.y.to_numpy()
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    dx, dy = max(x1 - x0, 100.0), max(y1 - y0, 100.0)
    x0, x1, y0, y1 = x0 - 0.1 * dx, x1 + 0.1 * dx, y0 - 0.1 * dy, y1 + 0.1 * dy
    ratio = width / height
    if (x1 - x0) / (y1 - y0) < ratio:
        grow = ((y1 - y0) * ratio - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = ((x1 - x0) / ratio - (y1 - y0)) / 2
        y0, y1 = y0 - grow, y1 + grow
    return _Extent(x0, x1, y0, y1)


def _nice_length(most: float) -> float:
    """The longest of 1, 2, 5 × a power of ten metres up to ``most``: a scale bar's length."""
    power = 10 ** math.floor(math.log10(most))
    return float(max(m * power for m in (1, 2, 5) if m * power <= most))


def _crowding(points: np.ndarray, box: Bbox) -> int:
    """How many of ``points`` (display coordinates, n × 2) lie in ``box``."""
    if not len(points):
        return 0
    return int(((points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0)
                & (points[:, 1] < box.y1)).sum())


def _corner(ax: Axes, width: float, height: float, corner: int) -> Bbox:
    """A box of ``width`` × ``height`` (axes fractions) in a corner of the map (0 bottom
    right, 1 bottom left, 2 top right, 3 top left), in display coordinates."""
    from matplotlib.transforms import Bbox

    right, top = corner in (0, 2), corner in (2, 3)
    x0 = 0.98 - width if right else 0.02
    y0 = 0.98 - height if top else 0.02
    return Bbox(ax.transAxes.transform([[x0, y0], [x0 + width, y0 + height]]))


def _furniture(ax: Axes, placer: LabelPlacer, crowd: np.ndarray, extent: _Extent, sheet: Sheet) -> None:
    """Scale bar and north arrow in the two corners of the map with fewest symbols and roads."""
    from matplotlib.patches import Rectangle

    frame = ax.get_window_extent(placer.renderer)
    fig_w = frame.width / ax.figure.dpi * 72  # the map's width in points
    bar_w, bar_h = 0.34, sheet.pt(26) / (frame.height / ax.figure.dpi * 72)
    arrow_w, arrow_h = sheet.pt(24) / fig_w, sheet.pt(44) / (frame.height / ax.figure.dpi * 72)
    order = sorted(range(4), key=lambda c: (_crowding(crowd, _corner(ax, bar_w, bar_h, c)), c))
    bar_corner = order[0]
    box = _corner(ax, bar_w, bar_h, bar_corner)
    placer.block(box)
    (bx0, by0), (bx1, by1) = ax.transData.inverted().transform([[box.x0, box.y0], [box.x1, box.y1]])
    length = _nice_length(0.8 * (bx1 - bx0))  # within its box
    x = bx0 + 0.04 * (bx1 - bx0) if bar_corner in (1, 3) else bx1 - 0.04 * (bx1 - bx0) - length
    y = by0 + 0.2 * (by1 - by0)
    tall = 0.12 * (by1 - by0)
    for i in range(2):
        ax.add_patch(Rectangle((x + i * length / 2, y), length / 2, tall, facecolor="black" if i == 0 else "white",
                               edgecolor="black", linewidth=0.6, zorder=6))
    words = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x, y + 1.8 * tall, "0", fontsize=sheet.pt(7), zorder=6, ha="center")
    ax.text(x + length, y + 1.8 * tall, words, fontsize=sheet.pt(7), zorder=6, ha="center")
    ax.text(x + length / 2, y - 0.6 * tall, t("map.scale", sheet.lang), fontsize=sheet.pt(7), zorder=6, ha="center",
            va="top")
    rest = [c for c in order if c != bar_corner]
    arrow_corner = min(rest, key=lambda c: (_crowding(crowd, _corner(ax, arrow_w, arrow_h, c)), c not in (2, 3), c))
    arrow = _corner(ax, arrow_w, arrow_h, arrow_corner)
    placer.block(arrow)
    (ax0, ay0), (ax1, ay1) = ax.transAxes.inverted().transform([[arrow.x0, arrow.y0], [arrow.x1, arrow.y1]])
    cx = (ax0 + ax1) / 2
    base = ay0 + 0.36 * (ay1 - ay0)
    ax.annotate("", xy=(cx, ay1 - 0.02 * (ay1 - ay0)), xytext=(cx, base), xycoords="axes fraction", zorder=6,
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": sheet.pt(2.5),
                            "headwidth": sheet.pt(8), "headlength": sheet.pt(8), "shrink": 0.0})
    ax.text(cx, base - 0.04 * (ay1 - ay0), t("map.north", sheet.lang), transform=ax.transAxes, ha="center", va="top",
            fontsize=sheet.pt(10), zorder=6)


def _road_lines(project: Project) -> list[np.ndarray]:
    """The roads as arrays of (x, y) vertices in the project's CRS, one per line."""
    import shapely

    parts = shapely.get_parts(project.network.to_gdf().to_crs(project.crs).geometry.to_numpy())
    coords, index = shapely.get_coordinates(parts, return_index=True)
    return np.split(coords, np.flatnonzero(np.diff(index)) + 1) if len(coords) else []


def _road_points(project: Project, ax: Axes) -> np.ndarray:
    """Points along the roads, a 400th of the map's width apart, in display coordinates (to
    count the roads under a label)."""
    import shapely

    roads = project.network.to_gdf().to_crs(project.crs)
    x0, x1 = ax.get_xlim()
    points = shapely.get_coordinates(shapely.segmentize(roads.geometry.to_numpy(), (x1 - x0) / 400))
    return ax.transData.transform(points) if len(points) else np.zeros((0, 2))


def circle_areas(pupils: np.ndarray, ax: Axes, *, scale: float = 1.0) -> np.ndarray:
    """Village circles (points²) by pupils: the largest village gets at most a quarter of
    the map's area per village (at most 400 pt² on A4, a circle 23 pt across, × ``scale``²
    on larger paper; at least 30 pt²),
    the others in proportion to their pupils above a small floor, so a county of thousands
    of villages is not covered by its circles."""
    frame = ax.get_position().transformed(ax.figure.transFigure)  # pixels
    room = frame.width * frame.height * (72 / ax.figure.dpi) ** 2 / max(len(pupils), 1)
    largest = float(np.clip(0.25 * room, 30.0, 400.0 * scale ** 2))
    floor = largest / 8
    most = float(pupils.max()) if len(pupils) and pupils.max() > 0 else 1.0
    return floor + (largest - floor) * pupils / most


def drawn_schools(result: Result, level: str) -> pd.DataFrame:
    """The schools a map of ``level`` shows: those teaching the level's grades, and of the
    candidate sites only those the plan opens."""
    schools = result.schools
    grades = set(LEVEL_GRADES[level])
    teaching = schools["grades"].map(lambda gs: bool(set(gs) & grades)).to_numpy(dtype=bool)
    return schools[teaching & (schools["open"].to_numpy(dtype=bool) | (schools["status"] != "candidate").to_numpy())]


def draw_map(ax: Axes, project: Project, result: Result, *, level: str, extent: _Extent, sheet: Sheet,
             renderer: RendererBase) -> LabelPlacer:
    """One map of a page: roads, each village's line to its school (coloured by its trip),
    villages (circles by the level's pupils), the schools teaching the level (shape by type,
    colour by status, a red ring when over capacity; candidate sites only when opened),
    scale bar, north arrow and the names placed without overlap (:class:`LabelPlacer`)."""
    from matplotlib.collections import LineCollection

    lang = sheet.lang
    crs = project.crs
    ax.set_xlim(extent.x0, extent.x1)
    ax.set_ylim(extent.y0, extent.y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.add_collection(LineCollection(_road_lines(project), colors="#9a9a9a", linewidths=sheet.pt(0.6), zorder=1))
    ax.set_xlim(extent.x0, extent.x1)
    ax.set_ylim(extent.y0, extent.y1)
    villages = village_table(project, result, level=level).to_crs(crs)
    villages["class"] = walk_class(villages["minutes"], villages["mode"], project.policy.limit(level))
    spts = project.target_points.to_crs(crs)
    trips = trip_lines(project, villages)  # along the roads walked or driven
    ax.add_collection(LineCollection(
        [np.asarray(line.coords) for line in trips.geometry], colors=[COLOURS[c] for c in villages.loc[trips.index, "class"]],
        linewidths=sheet.pt(0.8), linestyles="--", alpha=0.8, zorder=2))
    pupils = villages["pupils"].fillna(0).to_numpy(dtype=float)
    areas = circle_areas(pupils, ax, scale=sheet.scale)
    ax.scatter(villages.geometry.x, villages.geometry.y, s=areas, c=[COLOURS[c] for c in villages["class"]],
               edgecolors="#252525", linewidths=0.5, zorder=3)
    shown = drawn_schools(result, level)
    school_size = sheet.pt(9.0)  # marker size (points)
    for sid, row in shown.iterrows():
        p = spts[sid]
        colour = STATUS_COLOURS.get(row["status"], "#2166ac")
        ax.scatter([p.x], [p.y], marker=sheet.markers.get(row["type"], "o"), s=school_size ** 2, c=colour,
                   edgecolors="white", linewidths=1.0, zorder=4)
        if row["open"] and row["over_capacity"]:
            ax.scatter([p.x], [p.y], marker="o", s=(1.7 * school_size) ** 2, facecolors="none", edgecolors="#d7301f",
                       linewidths=sheet.pt(1.4), zorder=4)
    placer = LabelPlacer(ax, renderer, _road_points(project, ax))
    radii = np.sqrt(areas) / 2
    for (_, row), r in zip(villages.iterrows(), radii, strict=True):
        placer.block_point(row.geometry.x, row.geometry.y, r)
    for sid in shown.index:
        placer.block_point(spts[sid].x, spts[sid].y, school_size * 0.6)
    symbols = ax.transData.transform(np.column_stack([
        np.r_[villages.geometry.x.to_numpy(), [spts[s].x for s in shown.index]],
        np.r_[villages.geometry.y.to_numpy(), [spts[s].y for s in shown.index]]]))
    crowd = np.vstack([np.repeat(symbols, 20, axis=0), placer.road_points])  # a symbol weighs 20 road points
    _furniture(ax, placer, crowd, extent, sheet)
    school_names = target_names(project, lang)
    shown = shown.iloc[np.argsort(~shown["open"].to_numpy(dtype=bool), kind="stable")]
    for sid, row in shown.iterrows():  # schools first (open ones, then closed): their names matter most
        name = str(school_names[str(sid)])
        if row["status"] != "open":
            name = t("plan_report.school_label", lang, name=name, status=t(f"status.{row['status']}", lang))
        placer.place(spts[sid].x, spts[sid].y, name, radius=school_size * 0.6,
                     size=sheet.pt(7.5), colour=STATUS_COLOURS.get(row["status"], "#2166ac"), weight=sheet.bold)
    village_names = names_of(project.villages, lang)
    order = np.argsort(-pupils, kind="stable")  # the largest villages first, as many as a page can hold
    for i in order[:MOST_VILLAGE_NAMES]:
        row = villages.iloc[i]
        placer.place(row.geometry.x, row.geometry.y, str(village_names[villages.index[i]]), radius=radii[i],
                     size=sheet.pt(6.5))
    placer.left_out += max(0, len(order) - MOST_VILLAGE_NAMES)
    return placer


def key_handles(drawn: pd.DataFrame, *, sheet: Sheet, limit: float, size: float) -> tuple[list, list, list]:
    """The map key's entries for the villages' trips, the school types and the school statuses
    among the ``drawn`` schools (:func:`drawn_schools`): the plan report's map page and the
    printed map (:func:`planning.report.print_map`) show the same symbols."""
    from matplotlib.lines import Line2D

    lang = sheet.lang
    trips = [Line2D([], [], marker="o", linestyle="", markersize=size, markerfacecolor=COLOURS[k],
                    markeredgecolor="#333", label=label) for k, label in (
        ("short", t("map.walk_within", lang, short=30)), ("limit", t("map.walk_limit", lang, limit=f"{limit:g}")),
        ("beyond", t("map.walk_beyond", lang, limit=f"{limit:g}")), ("bus", t("map.bus", lang)),
        ("board", t("map.board", lang)), ("unserved", t("map.unserved", lang)))]
    types = [Line2D([], [], marker=sheet.markers[k], linestyle="", markersize=size, markerfacecolor="#555555",
                    markeredgecolor="white", label=school_type(k, lang))
             for k in sheet.markers if k in set(drawn["type"])]
    statuses = [Line2D([], [], marker="s", linestyle="", markersize=size, markerfacecolor=STATUS_COLOURS[s],
                       markeredgecolor="white", label=t(f"status.{s}", lang))
                for s in STATUS_COLOURS if s in set(drawn["status"])]
    return trips, types, statuses


def _legends(fig: Figure, project: Project, results: Sequence[Result], *, level: str, sheet: Sheet,
             top: float) -> None:
    """The map page's key under the maps, in groups: villages' trips, school types, school
    statuses, other symbols."""
    from matplotlib.lines import Line2D

    lang = sheet.lang
    size = sheet.pt(7.5)
    drawn = pd.concat([drawn_schools(r, level) for r in results])
    trips, types, statuses = key_handles(drawn, sheet=sheet, limit=project.policy.limit(level), size=size)
    other = [Line2D([], [], color="#9a9a9a", linewidth=1.5, label=t("map.roads", lang)),
             Line2D([], [], color="#555555", linewidth=1.0, linestyle="--", label=t("plan_report.assigned", lang)),
             Line2D([], [], marker="o", linestyle="", markersize=size * 1.3, markerfacecolor="none",
                    markeredgecolor="#d7301f", label=t("plan_report.over_capacity", lang))]
    groups = [(t("plan_report.legend_trips", lang), trips, 2), (t("plan_report.legend_types", lang), types, 2),
              (t("plan_report.legend_status", lang), statuses, 2), (t("plan_report.legend_other", lang), other, 1)]
    x = 0.03
    widths = (0.30, 0.24, 0.16, 0.27)
    for (title, handles, columns), width in zip(groups, widths, strict=True):
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(x, top), ncols=columns, title=title,
                   fontsize=sheet.pt(7.5), title_fontsize=sheet.pt(8.5), frameon=False, alignment="left",
                   columnspacing=1.0, handletextpad=0.4, borderaxespad=0.0)
        x += width


def map_page(project: Project, today: Result, plan: Result, *, level: str, sheet: Sheet) -> Figure:
    """Today and the plan side by side, one level's villages, with one key under both."""
    import matplotlib.pyplot as plt

    lang = sheet.lang
    fig = plt.figure(figsize=sheet.size)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    left, right, top, bottom, gap = 0.03, 0.97, 0.88, 0.2, 0.02
    width = (right - left - gap) / 2
    frame = (width * sheet.size[0], (top - bottom) * sheet.size[1])
    extent = map_extent(project, *frame)
    left_out = 0
    for i, result in enumerate((today, plan)):
        ax = fig.add_axes((left + i * (width + gap), bottom, width, top - bottom))
        placer = draw_map(ax, project, result, level=level, extent=extent, sheet=sheet, renderer=renderer)
        left_out += placer.left_out
        summary = level_summary(result, level)
        panel = t("plan_report.map_panel", lang, plan=plan_name(result.name, lang),
                  schools=whole(summary["schools_open"]), pupils=whole(summary["pupils"]))
        ax.set_title(capital(panel) if lang == "en" else panel,
                     fontsize=sheet.pt(10), loc="left")
    _title(fig, t("plan_report.maps_title", lang, level=level_name(level, lang), plan=plan_name(plan.name, lang)),
           sheet)
    _legends(fig, project, (today, plan), level=level, sheet=sheet, top=bottom - 0.015)
    notes = [t("map.size_note", lang)]
    if left_out:
        notes.append(t("plan_report.labels_left_out", lang, n=left_out))
    fig.text(0.03, 0.045, "  ".join(notes), fontsize=sheet.pt(7), color="#444444")
    return fig


# ---------------------------------------------------------------------------------- pages
def capital(text: str) -> str:
    """A title's text with its first letter capital (English names of levels and plans are lower case)."""
    return text[:1].upper() + text[1:]


def _title(fig: Figure, text: str, sheet: Sheet) -> None:
    fig.text(0.03, 0.955, capital(text) if sheet.lang == "en" else text, fontsize=sheet.pt(15), va="top", fontweight=sheet.bold)


@dataclass(frozen=True)
class Table:
    """A printed table: headings, rows of cells, each column's share of the width and
    alignment ("left", "right", "center")."""

    headings: list[str]
    rows: list[list[str]]
    widths: list[float]
    aligns: list[str]
    shade: Callable[[int], str | None] = lambda r: None  # a row's fill colour (row index in ``rows``)


def _cell_lines(table: Table, size: float, width_pt: float) -> tuple[list[list[str]], list[list[list[str]]]]:
    """Headings and cells wrapped to their columns' widths (lists of lines)."""
    total = sum(table.widths)
    rooms = [max(2.0, w / total * width_pt / size - 1.0) for w in table.widths]  # ems of each column
    heads = [_heading(h, room) for h, room in zip(table.headings, rooms, strict=True)]
    cells = [[wrap(c, _word_room(c, room)) or [""] for c, room in zip(row, rooms, strict=True)] for row in table.rows]
    return heads, cells


def _word_room(text: str, room: float) -> float:
    """The ems a cell's lines may take: ``room``, or up to an em more (the column's padding)
    where that keeps a Latin word whole (village, unserved: not villag / e, unserve / d)."""
    latin = [_ems(word) for word in text.split() if all(ord(ch) <= 0x2e80 for ch in word)]
    return max(room, min(room + 1.0, max(latin, default=0.0)))


def _heading(text: str, room: float) -> list[str]:
    """A column heading in lines of ``room`` ems, broken first before a bracket (Chinese or
    Latin) so that a unit stays whole."""
    bracket = re.search(r" ?[(\uff08]", text)
    if bracket and bracket.start() > 0 and _ems(text) > room:
        return [*wrap(text[: bracket.start()], room), *wrap(text[bracket.start():].lstrip(), room)]
    lines = wrap(text, _word_room(text, room)) or [""]
    if len(lines) > 1 and all(ord(ch) > 0x2e80 for ch in text):  # a Chinese word: even lines, 学校/编号 not 学校编/号
        per = math.ceil(len(text) / len(lines))
        return [text[i:i + per] for i in range(0, len(text), per)]
    return lines


def table_pages(title: str, table: Table, *, sheet: Sheet, intro: Sequence[str] = (),
                notes: Sequence[str] = ()) -> list[Figure]:
    """A table on as many pages as it needs, rows wrapped to their columns, the headings on
    every page, ``intro`` lines above it on the first page and ``notes`` under it on the last;
    a table without rows is its title and ``intro`` alone."""
    import matplotlib.pyplot as plt

    size = sheet.pt(8.0)
    width_pt = 0.94 * sheet.size[0] * 72
    heads, cells = _cell_lines(table, size, width_pt)
    line = 1.25 * size  # points
    head_h = max(len(h) for h in heads) * line + 0.5 * size
    heights = [max(len(c) for c in row) * line + 0.5 * size for row in cells]
    page_h = sheet.size[1] * 72
    intro_size = sheet.pt(9.0)
    intro_lines = [ln for i, text in enumerate(intro) for ln in [*([""] if i else []), *wrap(text, width_pt / intro_size)]]
    note_lines = [ln for text in notes for ln in wrap(text, width_pt / sheet.pt(8))]
    pages: list[Figure] = []
    start = 0
    while True:
        first = not pages
        top = 0.90 * page_h - (len(intro_lines) * 1.45 * intro_size + sheet.pt(6) if first else 0)
        room = top - 0.065 * page_h - head_h
        end = start
        used = 0.0
        while end < len(cells) and used + heights[end] <= room:
            used += heights[end]
            end += 1
        if end == start and start < len(cells):
            end = start + 1
        last = end >= len(cells)
        if last and note_lines and used + len(note_lines) * 1.5 * sheet.pt(8) > room and end > start + 1:
            end -= 1  # the notes go on the last page: leave a row for the next one
            last = False
        fig = plt.figure(figsize=sheet.size)
        number = len(pages) + 1
        _title(fig, title if first else t("map.staffing_continued", sheet.lang, title=title, page=number), sheet)
        if first and intro_lines:
            fig.text(0.03, 0.90, "\n".join(intro_lines), fontsize=intro_size, va="top", linespacing=1.45)
        bottom = top / page_h
        if cells:
            bottom = _draw_table(fig, table, heads, cells[start:end], range(start, end), top=bottom, line=line,
                                 size=size, head_h=head_h, heights=heights[start:end], page_h=page_h,
                                 weight=sheet.bold)
        if last and note_lines:
            fig.text(0.03, bottom - 0.015, "\n".join(note_lines), fontsize=sheet.pt(8), va="top", linespacing=1.5,
                     color="#444444")
        pages.append(fig)
        start = end
        if last:
            return pages


def _draw_table(fig: Figure, table: Table, heads: list[list[str]], cells: list[list[list[str]]], rows: range, *,
                top: float, line: float, size: float, head_h: float, heights: list[float], page_h: float,
                weight: str) -> float:
    """Draw a table's headings and rows from ``top`` (figure fraction) down; the fraction
    where it ends."""
    from matplotlib.patches import Rectangle

    left, span = 0.03, 0.94
    xs = left + span * np.r_[0, np.cumsum(table.widths)] / sum(table.widths)
    y = top

    def row(lines: list[list[str]], height: float, fill: str | None, weight: str) -> None:
        nonlocal y
        h = height / page_h
        if fill:
            fig.add_artist(Rectangle((left, y - h), span, h, transform=fig.transFigure, facecolor=fill,
                                     edgecolor="none", zorder=0))
        for i, (text, align) in enumerate(zip(lines, table.aligns, strict=True)):
            pad = 0.004
            x = xs[i] + pad if align == "left" else xs[i + 1] - pad if align == "right" else (xs[i] + xs[i + 1]) / 2
            fig.text(x, y - 0.25 * size / page_h, "\n".join(text), ha=align, va="top", fontsize=size,
                     fontweight=weight, linespacing=1.25)
        y -= h
        fig.add_artist(Rectangle((left, y), span, 0, transform=fig.transFigure, edgecolor="#bbbbbb",
                                 linewidth=0.5))

    row(heads, head_h, "#e8eef5", weight)
    for r, (lines, height) in zip(rows, zip(cells, heights, strict=True), strict=True):
        row(lines, height, table.shade(r), "normal")
    return y


def cover_page(project: Project, results: Sequence[Result], *, sheet: Sheet, unit: str | None,
               date: dt.date | str | None, county: str | None = None) -> Figure:
    """County (``county``, else the project's name), plans, date, who prepared it, the data sources."""
    import matplotlib.pyplot as plt

    lang = sheet.lang
    fig = plt.figure(figsize=sheet.size)
    size = sheet.pt(26)
    title = wrap(t("plan_report.title", lang, county=county_name(project, lang, given=county)), 0.8 * sheet.size[0] * 72 / size)
    fig.text(0.5, 0.72, "\n".join(title), ha="center", va="bottom", fontsize=size, fontweight=sheet.bold,
             linespacing=1.3)
    names = t("sep.names", lang).join(plan_name(r.name, lang) for r in results[1:])
    fig.text(0.5, 0.63, t("plan_report.plans", lang, plans=names), ha="center", fontsize=sheet.pt(16))
    lines = [t("plan_report.date", lang, date=date_text(date, lang)),
             t("plan_report.unit", lang, unit=unit if unit and unit.strip() else "_" * 24)]
    fig.text(0.5, 0.50, "\n".join(lines), ha="center", va="top", fontsize=sheet.pt(13), linespacing=1.8)
    sources = [t("plan_report.sources_title", lang), *data_sources(project, lang)]
    width = 0.8 * sheet.size[0] * 72 / sheet.pt(9)
    fig.text(0.1, 0.30, "\n".join(ln for s in sources for ln in wrap(s, width)), va="top", fontsize=sheet.pt(9),
             linespacing=1.6, color="#333333")
    return fig


def data_sources(project: Project, lang: str) -> list[str]:
    """The lines saying where the report's data come from."""
    network = project.network
    lines = [t("plan_report.source_tables", lang)]
    if network.attribution:
        lines.append(t("plan_report.source_osm", lang, attribution=t("osm_attribution", lang)))
    else:
        lines.append(t("plan_report.source_roads", lang))
    lines.append(t("elevation.line", lang, source=elevation_source(network, lang)))
    roster = project.roster
    if roster is not None:
        lines.append(t("plan_report.source_roster", lang, n=len(roster)))
    lines.append(t("plan_report.source_policy", lang))
    if is_demo(project):
        lines.append(t("plan_report.source_demo", lang))
    return [f"· {line}" for line in lines]


def decision(today: Result, plan: Result, lang: str) -> str:
    """The plan in one paragraph: schools kept, closed or merged and opened; the pupils and
    villages affected and who travels further; buses and boarding; beds and buses bought;
    the resource standard; the costs."""
    names = target_names(plan.project, lang)
    was = today.schools["open"].astype(bool)
    now = plan.schools["open"].astype(bool)
    was = was.reindex(now.index, fill_value=False)
    kept = [names.get(s, s) for s in now.index[was & now]]
    closed = [names.get(s, s) for s in now.index[was & ~now]]
    opened = [names.get(s, s) for s in now.index[~was & now]]
    sep = t("sep.names", lang)
    parts = [t("plan_report.decision_schools", lang, plan=plan_name(plan.name, lang), before=int(was.sum()),
               after=int(now.sum()), kept=sep.join(map(str, kept)) or "—")]
    if closed:
        parts.append(t("plan_report.decision_closed", lang, n=len(closed), schools=sep.join(map(str, closed))))
    if opened:
        parts.append(t("plan_report.decision_opened", lang, n=len(opened), schools=sep.join(map(str, opened))))
    moved = affected(village_changes(today, plan))
    if len(moved):
        placed = (moved["mode_before"].astype(str) != "unserved") & (moved["mode_after"].astype(str) != "unserved")
        longer = moved[placed & (moved["change"] > 0.5)]  # a pupil without a place had no trip to lengthen
        parts.append(t("plan_report.decision_pupils", lang, villages=moved.index.get_level_values("village_id").nunique(),
                       pupils=whole(moved["pupils"].sum()), longer=whole(longer["pupils"].sum()),
                       most=f"{longer['change'].max():.0f}" if len(longer) else "0"))
    else:
        parts.append(t("plan_report.decision_none_affected", lang))
    a, b = today.summary, plan.summary
    parts.append(t("plan_report.decision_trips", lang, bus0=whole(a["bus_riders"]), bus1=whole(b["bus_riders"]),
                   board0=whole(a["boarders"]), board1=whole(b["boarders"]), unserved0=whole(a["unserved"]),
                   unserved1=whole(b["unserved"])))
    items = plan.costs.groupby("item")["quantity"].sum()
    beds, buses = float(items.get("beds_built", 0.0)), float(items.get("buses_bought", 0.0))
    if beds or buses:
        parts.append(t("plan_report.decision_bought", lang, beds=whole(beds), buses=whole(buses)))
    parts.append(t("plan_report.decision_standard", lang, before=whole(a["schools_below_standard"]),
                   after=whole(b["schools_below_standard"])))
    policy = plan.project.policy
    parts.append(t("plan_report.decision_costs", lang, one_off=money_words(b["one_off_yuan"], lang),
                   yearly0=money_words(a["yearly_yuan"], lang), yearly1=money_words(b["yearly_yuan"], lang),
                   years=policy.cost_horizon, npv0=money_words(a["cost_npv_yuan"], lang),
                   npv1=money_words(b["cost_npv_yuan"], lang)))
    return (" " if lang == "en" else "").join(parts)


def figures_table(today: Result, plans: Sequence[Result], lang: str) -> Table:
    """The figures of :func:`planning.compare` a planner reads, today beside each plan (and
    the change when there is one plan); teachers' rows only where teachers are known."""
    table = compare(today, *plans)
    known = not math.isnan(float(today.summary["teachers"]))
    names = [n for n in FIGURES if known or n not in _TEACHERS]
    headings = [t("plan_report.figure", lang), *(plan_name(r.name, lang) for r in (today, *plans))]
    if len(plans) == 1:
        headings.append(t("plan_report.change", lang))
    rows = []
    for name in names:
        values = [float(v) for v in table.loc[name].to_numpy(dtype=float)]
        row = [figure_label(name, lang), *(figure_text(name, v, lang) for v in values)]
        if len(plans) == 1:
            row.append(change_text(name, values[0], values[1], lang))
        rows.append(row)
    n = len(headings) - 1
    return Table(headings, rows, [3.0] + [1.0] * n, ["left"] + ["right"] * n,
                 shade=lambda r: "#f5f5f5" if r % 2 else None)


def affected_table(today: Result, plan: Result, lang: str) -> Table:
    """Every village × grade band whose school, way to school or trip changes."""
    moved = affected(village_changes(today, plan))
    project = plan.project
    villages = names_of(project.villages, lang)
    schools = target_names(project, lang)

    def school(sid: object) -> str:
        return f"{sid} {schools.get(str(sid), '')}" if isinstance(sid, str) else "—"

    def mode(m: object) -> str:
        return t(f"mode.{m}", lang) if isinstance(m, str) else "—"

    rows = []
    for (vid, level, grades), (_, row) in zip(moved.index.tolist(), moved.iterrows(), strict=True):
        rows.append([str(vid), str(villages.get(vid, row["name"])), level_name(str(level), lang), str(grades),
                     whole(row["pupils"]), school(row["school_before"]), school(row["school_after"]),
                     mode(row["mode_before"]), mode(row["mode_after"]), f"{row['minutes_before']:.1f}",
                     f"{row['minutes_after']:.1f}", f"{row['change']:+.1f}", t(f"outcome.{row['outcome']}", lang)])
    headings = [field(c, lang) for c in ("village_id", "name", "level", "grades", "pupils", "school_before",
                                          "school_after", "mode_before", "mode_after", "minutes_before",
                                          "minutes_after", "change", "outcome")]
    return Table(headings, rows, [0.7, 1.1, 1.4, 0.75, 0.7, 1.9, 1.9, 0.8, 0.8, 0.8, 0.8, 0.8, 1.3],
                 ["left", "left", "left", "center", "right", "left", "left", "left", "left", "right", "right",
                  "right", "left"], shade=lambda r: "#f5f5f5" if r % 2 else None)


def _verdict(indicators: pd.DataFrame, sid: str, lang: str) -> str:
    if sid not in indicators.index:
        return "—"
    row = indicators.loc[sid]
    words = t(f"verdict.{row['verdict']}", lang)
    return f"{words} {row['met']:.0f}/{len(INDICATORS)}"


def schools_table(today: Result, plan: Result, lang: str) -> Table:
    """Each school of the plan (open ones, then closed): status, pupils today and in the
    plan, seats and load, classrooms against classes needed, beds against boarders,
    teachers against the need (where known), the resource verdict today and in the plan."""
    schools = plan.schools
    before = today.schools
    staffing = plan.staffing
    known = not math.isnan(float(plan.summary["teachers"]))
    names = target_names(plan.project, lang)
    order = schools.index[np.lexsort((schools.index.to_numpy(), ~schools["open"].to_numpy(dtype=bool)))]
    shown = [s for s in order if schools.loc[s, "open"] or (s in before.index and before.loc[s, "open"])]
    rows = []
    for sid in shown:
        row = schools.loc[sid]
        was = float(before.loc[sid, "pupils"]) if sid in before.index and before.loc[sid, "open"] else math.nan
        open_ = bool(row["open"])
        cells = [str(sid), str(names.get(sid, row["name"])), t(f"status.{row['status']}", lang), whole(was),
                 whole(row["pupils"]) if open_ else "", whole(row["capacity"]) if open_ else "",
                 f"{row['load']:.0%}" if open_ and not math.isnan(row["load"]) else "",
                 f"{whole(row['classrooms'])} / {whole(row['classes_needed'])}" if open_ else "",
                 f"{whole(row['beds'])} / {whole(row['boarders'])}" if open_ else ""]
        if known:
            s = staffing.loc[sid]
            cells.append(f"{whole(s['teachers'])} / {whole(s['teachers_needed'])}" if open_ else "")
            cells.append(f"{s['surplus']:+.0f}" if open_ and not math.isnan(s["surplus"]) else "")
        cells += [_verdict(today.indicators, sid, lang), _verdict(plan.indicators, sid, lang) if open_ else ""]
        rows.append(cells)
    keys = ["school_id", "name", "status", "pupils_today", "pupils_plan", "capacity", "load", "rooms", "beds"]
    keys += ["teachers", "surplus"] if known else []
    keys += ["verdict_today", "verdict_plan"]
    headings = [t(f"plan_report.col_{k}", lang) if k in ("pupils_today", "pupils_plan", "rooms", "beds", "teachers",
                                                          "verdict_today", "verdict_plan") else field(k, lang)
                for k in keys]
    widths = {"school_id": 0.7, "name": 1.9, "status": 0.9, "pupils_today": 0.8, "pupils_plan": 0.8, "capacity": 0.7,
              "load": 0.9, "rooms": 1.1, "beds": 1.1, "teachers": 1.1, "surplus": 1.3, "verdict_today": 1.5,
              "verdict_plan": 1.5}
    aligns = {"school_id": "left", "name": "left", "status": "left"}

    def shade(r: int) -> str | None:
        row = schools.loc[shown[r]]
        if not row["open"]:
            return "#eeeeee"
        if row["over_capacity"] or row["classroom_shortfall"] > 0:
            return "#fbe3e4"
        return None

    return Table(headings, rows, [widths[k] for k in keys], [aligns.get(k, "right") for k in keys], shade=shade)


def balance_table(today: Result, plan: Result, lang: str) -> Table:
    """Per level and indicator: the inter-school CV today and in the plan, the limit, and
    whether the plan is within it (是/否)."""
    a, b = today.balance, plan.balance
    rows = []
    for (level, indicator), (_, row) in zip(b.index.tolist(), b.iterrows(), strict=True):
        cv0 = a["cv"].get((level, indicator), math.nan)
        rows.append([level_name(str(level), lang), field(indicator, lang),
                     "" if math.isnan(cv0) else f"{cv0:.3f}", "" if math.isnan(row["cv"]) else f"{row['cv']:.3f}",
                     f"{row['cv_limit']:g}", t("yes" if row["ok"] else "no", lang)])
    headings = [field("level", lang), field("indicator", lang), t("plan_report.cv_today", lang),
                t("plan_report.cv_plan", lang), field("cv_limit", lang), t("plan_report.cv_ok", lang)]
    return Table(headings, rows, [0.8, 2.4, 1.0, 1.0, 1.0, 1.0], ["left", "left", "right", "right", "right", "center"],
                 shade=lambda r: "#fbe3e4" if rows[r][-1] == t("no", lang) else None)


def costs_table(today: Result, plan: Result, lang: str) -> Table:
    """The plan's costs by item (all schools together) beside today's yearly costs: quantity,
    one-off, yearly today and in the plan; the total last."""
    def by_item(result: Result) -> pd.DataFrame:
        sheet = cost_sheet(result)
        items = sheet[sheet["item"] != "total"]
        return items.groupby("item").agg(quantity=("quantity", "sum"), unit=("unit", "first"),
                                         one_off=("one_off_yuan", "sum"), yearly=("yearly_yuan", "sum"))

    a, b = by_item(today), by_item(plan)
    rows = []
    for item in [i for i in ITEMS if i in a.index or i in b.index]:
        unit = b["unit"].get(item, a["unit"].get(item))
        quantity = b["quantity"].get(item, math.nan)
        rows.append([t(f"cost_item.{item}", lang), whole(quantity),
                     t(f"cost_unit.{unit}", lang) if isinstance(unit, str) and not math.isnan(quantity) else "",
                     money(float(b["one_off"].get(item, 0.0)), lang), money(float(a["yearly"].get(item, 0.0)), lang),
                     money(float(b["yearly"].get(item, 0.0)), lang)])
    rows.append([t("cost_item.total", lang), "", "", money(float(plan.summary["one_off_yuan"]), lang),
                 money(float(today.summary["yearly_yuan"]), lang), money(float(plan.summary["yearly_yuan"]), lang)])
    headings = [field("item", lang), field("quantity", lang), field("unit", lang), t("plan_report.one_off_yuan", lang),
                t("plan_report.yearly_today", lang), t("plan_report.yearly_plan", lang)]
    last = len(rows) - 1
    return Table(headings, rows, [2.2, 0.9, 0.9, 1.3, 1.3, 1.3], ["left", "right", "left", "right", "right", "right"],
                 shade=lambda r: "#eeeeee" if r == last else None)


#: Settings shown in per cent.
_SHARES = ("cost_boarding_needy_share", "cost_discount_rate", "exchange_share", "exchange_key_share",
           "missed_indicator_floor")


def _setting_value(name: str, value: Any, lang: str) -> str:
    """A policy setting's value as the assumptions table prints it: per-level values named,
    shares in per cent, choices and yes/no in words, amounts with thousands separators."""
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if name == "cost_classroom_short":
        return t(f"cost_short.{value}", lang)
    if name in _SHARES:
        return f"{value:.0%}"
    if hasattr(value, "primary") and hasattr(value, "junior"):
        return f"{level_name('primary', lang)} {value.primary:,g} / {level_name('junior', lang)} {value.junior:,g}"
    if isinstance(value, float):
        return f"{value:,g}"
    if isinstance(value, str) and has_text(f"policy_value.{value}"):
        return t(f"policy_value.{value}", lang)
    if isinstance(value, (list, tuple)):
        return t("sep.names", lang).join(map(str, value))
    return str(value)


def assumptions_table(policy: Policy, lang: str) -> Table:
    """The policy settings with a name in the catalogue, their values and sources, then the
    rules of the resource standard and the CV (:func:`planning.indicators.balance_rules`)."""
    sources = policy.sources(lang)
    rows = [[field(name, lang), _setting_value(name, getattr(policy, name), lang), sources[name]]
            for name in SOURCED if hasattr(policy, name) and name not in BALANCE_SETTINGS
            and field(name, "en").replace(" ", "_") != name]
    rows += [[str(v) for v in row] for row in balance_rules(policy, lang).itertuples(index=False)]
    return Table([field("setting", lang), field("value", lang), field("source", lang)], rows, [2.2, 1.6, 6.0],
                 ["left", "left", "left"], shade=lambda r: "#f5f5f5" if r % 2 else None)


#: The figures of a forecast table, year by year (:attr:`planning.timeline.Timeline.summary`).
YEAR_ROWS = ("pupils", "schools_open", "walkers", "bus_riders", "boarders", "unserved", "pupils_beyond_limit",
             "classroom_shortfall", "oversized_classes", "large_classes", "super_large_classes", "small_schools")


def forecast_table(timeline: Timeline, lang: str) -> Table:
    """A layout over the forecast years: pupils, schools, trips, classrooms and classes,
    small-scale schools, one row a year."""
    summary = timeline.summary
    values = summary[list(YEAR_ROWS)].to_numpy(dtype=float)
    rows = [[str(year), *(whole(float(v)) for v in row)] for year, row in zip(summary.index, values, strict=True)]
    return Table([field("year", lang), *(field(c, lang) for c in YEAR_ROWS)], rows, [0.8] + [1.0] * len(YEAR_ROWS),
                 ["left"] + ["right"] * len(YEAR_ROWS), shade=lambda r: "#f5f5f5" if r % 2 else None)


def _levels_moved(today: Result, plan: Result) -> list[str]:
    """The levels whose villages the plan changes (primary first; at least one)."""
    moved = affected(village_changes(today, plan))
    levels = [lvl for lvl in ("primary", "junior") if lvl in set(moved.index.get_level_values("level"))]
    return levels or ["primary"]


def report_pages(project: Project, results: Sequence[Result], *, sheet: Sheet, unit: str | None = None,
                 date: dt.date | str | None = None, timelines: Sequence[Timeline] = (),
                 county: str | None = None) -> list[Figure]:
    """Every page of the report, numbered ("第 n 页 / 共 N 页"); ``results``: today first;
    ``timelines``: layouts over the forecast years, each a table (none: a line says the
    report has no forecast); ``county``: the county's name on the cover and in the footers
    (the project's name when None or blank)."""
    lang = sheet.lang
    if len(results) < 2:
        raise ValueError("give today's layout and at least one plan (today first)")
    today, plans = results[0], list(results[1:])
    pages = [cover_page(project, results, sheet=sheet, unit=unit, date=date, county=county)]
    decisions = [decision(today, plan, lang) for plan in plans]
    pages += table_pages(t("plan_report.decision_title", lang, plans=t("sep.names", lang).join(
        plan_name(p.name, lang) for p in plans)), figures_table(today, plans, lang), sheet=sheet, intro=decisions,
        notes=[t("plan_report.figures_note", lang)])
    for plan in plans:
        name = plan_name(plan.name, lang)
        pages += [map_page(project, today, plan, level=level, sheet=sheet) for level in _levels_moved(today, plan)]
        moved = affected_table(today, plan, lang)
        title = t("plan_report.affected_title", lang, plan=name)
        lead = t("plan_report.affected_intro", lang, rows=len(moved.rows)) if moved.rows else \
            t("plan_report.decision_none_affected", lang)
        pages += table_pages(title, moved, sheet=sheet, intro=[lead])
        notes = [] if not math.isnan(float(plan.summary["teachers"])) else [t("plan_report.no_teachers", lang)]
        pages += table_pages(t("plan_report.schools_title", lang, plan=name), schools_table(today, plan, lang),
                             sheet=sheet, intro=notes, notes=[t("plan_report.schools_note", lang)])
        pages += table_pages(t("plan_report.balance_title", lang, plan=name), balance_table(today, plan, lang),
                             sheet=sheet)
        pages += table_pages(t("plan_report.costs_title", lang, plan=name), costs_table(today, plan, lang),
                             sheet=sheet, notes=[t("map.cost_note", lang, rate=f"{project.policy.cost_discount_rate:.0%}",
                                                   years=project.policy.cost_horizon)])
    for timeline in timelines:
        pages += table_pages(t("plan_report.forecast_title", lang, plan=plan_name(timeline.name, lang)),
                             forecast_table(timeline, lang), sheet=sheet,
                             intro=[t("plan_report.forecast_intro", lang, first=timeline.years[0],
                                      last=timeline.years[-1])])
    intro = [] if timelines else [t("plan_report.no_forecast", lang)]
    pages += table_pages(t("plan_report.assumptions_title", lang), assumptions_table(project.policy, lang),
                         sheet=sheet, intro=[*intro, t("plan_report.assumptions_intro", lang)])
    number_pages(pages, project, sheet=sheet, county=county)
    return pages


def number_pages(pages: Iterable[Figure], project: Project, *, sheet: Sheet, county: str | None = None) -> None:
    """The footer of every page: the county (``county``, else the project's name) and report
    on the left, the page number right."""
    pages = list(pages)
    lang = sheet.lang
    left = t("plan_report.title", lang, county=county_name(project, lang, given=county))
    for n, fig in enumerate(pages, start=1):
        fig.text(0.97, 0.015, t("plan_report.page", lang, n=n, total=len(pages)), ha="right", fontsize=sheet.pt(8),
                 color="#444444", gid=PAGE_GID)
        if n > 1:
            fig.text(0.03, 0.015, left, fontsize=sheet.pt(8), color="#444444")


__all__ = ["Sheet", "LabelPlacer", "report_pages", "figures_table", "decision", "FIGURES", "LABEL_GID",
           "PAGE_GID"]
