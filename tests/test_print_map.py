"""The printed map (``print_map``, issue 17): names whose rendered boxes meet no other name
nor the scale bar and north arrow, a title in one language, a credit line with the date,
who made the map (制图单位) and where its roads come from, text larger on A3 than on A4.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Bbox

import planning
from planning.i18n import t
from planning.plan_report import date_text, names_of
from planning.report import _draw, print_map
from planning.scenario import Scenario, baseline
from tests.test_maps_report import require_cjk_font
from tests.test_plan_report import _tiny_osm_project, pdf_pages

matplotlib.use("Agg")
SCENARIO = Path(planning.__file__).resolve().parents[1] / "data" / "demo" / "scenarios" / "consolidate_5.yaml"
UNIT = {"zh": "某县教育局规划股", "en": "County Education Bureau, planning office"}
DATE = dt.date(2026, 11, 24)


@pytest.fixture(scope="module", params=["zh", "en"])
def lang(request) -> str:
    if request.param == "zh":
        require_cjk_font()
    return request.param


@pytest.fixture(scope="module")
def plan(demo):
    return Scenario.from_file(SCENARIO, demo).evaluate("zoned")


@pytest.fixture(scope="module", params=["today", "plan"])
def page(request, demo, plan, lang):
    """The map page as printed (A4) of today's layout and of the 13 → 5 plan, and the result."""
    result = baseline(demo) if request.param == "today" else plan
    with plt.rc_context({"font.family": _families(lang)}):
        fig = _draw(demo, result, level="primary", lang=lang, paper="A4", title=None, unit=UNIT[lang], date=DATE)
        FigureCanvasAgg(fig).draw()
    yield fig, result
    plt.close(fig)


def _families(lang: str) -> list[str]:
    from planning.report import cjk_font

    return [cjk_font(), "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", cjk_font()]  # as print_map


def _name_labels(fig, project, result, lang):
    """The map's texts that are a village's or school's name (a school's with its status
    when closed), two-line names joined back."""
    names = set(names_of(project.villages, lang)) | set(names_of(project.schools, lang))
    ax = fig.axes[0]
    labels = []
    for tx in ax.texts:
        text = tx.get_text().replace("\n", " " if lang == "en" else "")
        if any(text == n or text.startswith(f"{n} ") or text.startswith(f"{n}（") for n in names):
            labels.append(tx)
    return ax, labels


def test_names_meet_neither_each_other_nor_the_scale_bar_and_arrow(page, demo, lang):
    """Rendered boxes (display pixels) of every village's and school's name: inside the
    map, apart from each other and from the scale bar, its words and the north arrow."""
    fig, result = page
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax, labels = _name_labels(fig, demo, result, lang)
    assert len(labels) >= len(demo.villages)  # every village named (and the schools drawn)
    boxes = [tx.get_window_extent(renderer) for tx in labels]
    frame = ax.get_window_extent(renderer)
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1, labels[i].get_text()
        for j in range(i):
            assert not a.overlaps(boxes[j]), (labels[i].get_text(), labels[j].get_text())
    # the scale bar as one piece: its blocks and its words (the union of their boxes); the arrow's letter
    furniture = [tx.get_window_extent(renderer) for tx in ax.texts if tx not in labels and tx.get_text().strip()]
    north = [box for tx, box in zip([tx for tx in ax.texts if tx not in labels and tx.get_text().strip()], furniture,
                                    strict=True) if tx.get_text() == t("map.north", lang)]
    bar = Bbox.union([patch.get_window_extent(renderer) for patch in ax.patches]
                     + [box for box in furniture if box not in north])
    assert len(ax.patches) == 2 and len(north) == 1
    centres = [xy for c in ax.collections for xy in c.get_offset_transform().transform(c.get_offsets())]
    for tx, box in zip(labels, boxes, strict=True):
        assert not box.overlaps(bar) and not box.overlaps(north[0]), tx.get_text()
    assert not any(bar.contains(x, y) for x, y in centres)  # nor a village's or school's symbol under it


def test_the_title_is_in_one_language(page, lang):
    """The demo's title: no Latin letter in Chinese, no Chinese character in English, but
    for the planner's own plan name; today's layout is 现状 / today."""
    fig, result = page
    title = fig._suptitle.get_text()
    if result.name == "today":
        assert t("today", lang) in title
    rest = title.replace(result.name, "") if result.name != "today" else title
    if lang == "zh":
        assert not re.search("[A-Za-z]", rest), title
    else:
        assert not re.search("[\u2e80-\u9fff]", rest), title


def _words(fig) -> str:
    return " ".join(" ".join(tx.get_text() for tx in fig.texts).split())


def test_the_credit_line_gives_the_date_and_who_made_the_map(page, lang):
    fig, _ = page
    words = _words(fig)
    assert " ".join(t("plan_report.date", lang, date=date_text(DATE, lang)).split()) in words
    assert " ".join(t("plan_report.unit", lang, unit=UNIT[lang]).split()) in words
    assert "OpenStreetMap" not in words  # the demo's roads are its own


@pytest.mark.parametrize("words", ["zh", "en"])
def test_openstreetmap_roads_are_credited_with_the_date_and_maker(words):
    """An OSM project's map says, in the same line as its date and maker, that the roads
    are OpenStreetMap's, with the contributors' attribution."""
    if words == "zh":
        require_cjk_font()
    project = _tiny_osm_project()
    fig = _draw(project, baseline(project), level="primary", lang=words, paper="A4", title=None, unit=UNIT[words],
                date=DATE)
    try:
        date = t("plan_report.date", words, date=date_text(DATE, words))
        footer = next(tx.get_text() for tx in fig.texts if date in tx.get_text()).splitlines()
        start = next(i for i, line in enumerate(footer) if line.startswith(date))
        credit = " ".join(" ".join(footer[start:]).split())  # the credit line, unwrapped
        assert t("osm_attribution", words) in credit
        assert " ".join(t("plan_report.unit", words, unit=UNIT[words]).split()) in credit
    finally:
        plt.close(fig)


def test_print_map_prints_the_unit_given_and_a_blank_to_fill_without_one(tmp_path):
    project = _tiny_osm_project()
    given = pdf_pages(print_map(project, tmp_path / "unit.pdf", lang="en", unit=UNIT["en"], date=DATE))[0]
    assert " ".join(t("plan_report.unit", "en", unit=UNIT["en"]).split()) in " ".join(given.split())
    assert "2026-11-24" in given
    blank = pdf_pages(print_map(project, tmp_path / "blank.pdf", lang="en"))[0]
    assert t("plan_report.unit", "en", unit="____") in blank
    assert date_text(None, "en") in blank  # today's date by default


def test_names_and_key_grow_with_the_paper():
    """On A3 the names, the title and the key are 16.54 / 11.69 times their A4 size."""
    project = _tiny_osm_project()
    result = baseline(project)
    sizes = {}
    for paper in ("A4", "A3"):
        fig = _draw(project, result, level="primary", lang="en", paper=paper, title=None)
        FigureCanvasAgg(fig).draw()
        _, labels = _name_labels(fig, project, result, "en")
        assert labels
        sizes[paper] = (max(tx.get_fontsize() for tx in labels), fig._suptitle.get_fontsize(),
                        max(tx.get_fontsize() for tx in fig.legends[0].get_texts()))
        plt.close(fig)
    ratios = [a3 / a4 for a3, a4 in zip(sizes["A3"], sizes["A4"], strict=True)]
    assert ratios == pytest.approx([16.54 / 11.69] * 3)


def test_the_key_explains_the_lines_and_tells_closed_from_merged(page, lang):
    """The printed map's key had no entry for the dashed village-to-school lines, and gave
    撤并 and 并入他校 the same grey square."""
    from matplotlib.colors import to_hex

    from planning.i18n import t

    fig, _ = page
    (key,) = fig.legends
    labels = [tx.get_text() for tx in key.get_texts()]
    assert t("plan_report.assigned", lang) in labels
    handles = dict(zip(labels, key.legend_handles, strict=True))
    line = handles[t("plan_report.assigned", lang)]
    assert line.get_linestyle() == "--"
    from planning.maps import STATUS_COLOURS

    assert STATUS_COLOURS["closed"] != STATUS_COLOURS["merged"]
    for status in ("closed", "merged"):
        if t(f"status.{status}", lang) in handles:  # the 13 → 5 plan merges
            assert to_hex(handles[t(f"status.{status}", lang)].get_markerfacecolor()) == STATUS_COLOURS[status]
