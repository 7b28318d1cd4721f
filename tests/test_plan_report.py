"""The plan report a planner hands to the county government (issue 17 item 2).

The demo's 13 → 5 plan (data/demo/scenarios/consolidate_5.yaml) in Chinese and English:
numbered pages, the figures table against ``compare`` re-read from the drawn cells, every
affected village named, map labels whose rendered boxes do not meet, the font embedded,
titles in one language; the OpenStreetMap attribution on a project whose roads are OSM's;
A3 text larger than A4; the ``planning report`` command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

import planning
import planning.cli
from planning.changes import affected, village_changes
from planning.i18n import field, plan_name, t
from planning.report import plan_report, plan_report_pages, save_pages
from planning.scenario import Scenario, baseline
from tests.demo_facts import closed_by, schools_open_after
from tests.helpers import grades, project_on_line

matplotlib.use("Agg")

SCENARIO = Path(planning.__file__).resolve().parents[1] / "data" / "demo" / "scenarios" / "consolidate_5.yaml"
UNIT = {"zh": "某县教育局规划股", "en": "County Education Bureau, planning office"}
DATE = dt.date(2026, 11, 24)
PDFTOTEXT = shutil.which("pdftotext")
LABEL_GID = "plan_report.label"  # how the report marks map labels and page numbers (its documented gids)
PAGE_GID = "plan_report.page"


@pytest.fixture(scope="module")
def today(demo):
    return baseline(demo)


@pytest.fixture(scope="module")
def plan(demo):
    return Scenario.from_file(SCENARIO, demo).evaluate()


@pytest.fixture(scope="module", params=["zh", "en"])
def lang(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def pages(demo, today, plan, lang):
    """The report's pages, drawn (what ``plan_report`` writes: it is these two steps)."""
    figures = plan_report_pages(demo, [today, plan], lang=lang, unit=UNIT[lang], date=DATE)
    for fig in figures:
        fig.canvas.draw()
    return figures


@pytest.fixture(scope="module")
def pdf(pages, lang, tmp_path_factory) -> Path:
    return save_pages(pages, tmp_path_factory.mktemp("report") / f"plan_{lang}.pdf", lang=lang)


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext, pages split at form feeds)."""
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def texts(fig) -> list:
    """Every text artist of a page (figure texts and those of its axes)."""
    return [*fig.texts, *(tx for ax in fig.axes for tx in ax.texts)]


def test_every_page_is_numbered_n_of_total(pages, pdf, lang):
    total = len(pages)
    assert total >= 8  # cover, decision, two map pages, villages, schools, balance, costs, assumptions
    for n, fig in enumerate(pages, start=1):
        numbers = [tx.get_text() for tx in fig.texts if tx.get_gid() == PAGE_GID]
        assert numbers == [t("plan_report.page", lang, n=n, total=total)]
    printed = pdf_pages(pdf)
    assert len(printed) == total
    for n, page in enumerate(printed, start=1):
        assert t("plan_report.page", lang, n=n, total=total) in page


def _number(cell: str) -> float:
    return float(cell.replace(",", "").replace("+", ""))


def test_the_figures_table_holds_the_figures_of_compare(pages, today, plan, lang):
    """Each row re-read from the drawn cells (same height on the page, left to right) equals
    ``compare(today, plan)`` at the printed precision; amounts in 万元 in Chinese."""
    table = planning.compare(today, plan)
    page = next(fig for fig in pages if any(tx.get_text() == t("plan_report.figure", lang) for tx in fig.texts))
    rows = {}
    for tx in page.texts:
        y = round(tx.get_position()[1], 6)
        rows.setdefault(y, []).append(tx)
    by_label = {re.sub(r"\s", "", cells[0].get_text()): [c.get_text() for c in cells[1:]]
                for cells in (sorted(r, key=lambda c: c.get_position()[0]) for r in rows.values())}
    yuan = {"one_off_yuan", "yearly_yuan", "cost_npv_yuan"}
    checked = 0
    for name in table.index:
        label = re.sub(r"\s", "", t(f"plan_report.{name}", lang) if name in yuan else field(name, lang))
        if label not in by_label:
            continue
        before, after, change = by_label[label]
        a, b = float(table.loc[name, "today"]), float(table.loc[name, plan.name])
        scale, tolerance = ((1e4, 0.006) if lang == "zh" else (1.0, 0.6)) if name in yuan else (
            (1.0, 0.06) if name in ("mean_walk", "max_walk") else (1.0, 6e-4) if name.endswith("_cv") else (1.0, 0.6))
        for cell in (before, after, change):
            assert "e+" not in cell and "e-" not in cell and cell.strip()
        assert abs(_number(before) - a / scale) < tolerance, name
        assert abs(_number(after) - b / scale) < tolerance, name
        assert abs(_number(change) - (b - a) / scale) < 2 * tolerance, name
        assert (b - a) / scale < tolerance or change.startswith("+"), name
        checked += 1
    # every headline a planner reads: schools, pupils and trips, capacity, standard, teachers, costs
    for name in ("schools_open", "pupils", "bus_riders", "boarders", "unserved", "pupils_beyond_limit", "mean_walk",
                 "classroom_shortfall", "schools_below_standard", "teachers_short", "one_off_yuan", "yearly_yuan"):
        assert re.sub(r"\s", "", t(f"plan_report.{name}", lang) if name in yuan else field(name, lang)) in by_label
    assert checked >= 20


def test_the_decision_names_the_schools_closed_and_the_pupils_moved(pages, demo, today, plan, lang):
    moved = affected(village_changes(today, plan))
    closed = closed_by(SCENARIO)
    page = next(fig for fig in pages if any(tx.get_text() == t("plan_report.figure", lang) for tx in fig.texts))
    paragraph = "".join(tx.get_text() for tx in page.texts).replace("\n", " " if lang == "en" else "")
    names = demo.schools["name_pinyin"] if lang == "en" else demo.schools["name"]
    for sid in closed:
        assert names[sid] in paragraph
    schools = t("plan_report.decision_schools", lang, plan=plan.name, before=len(demo.schools),
                after=schools_open_after(SCENARIO, demo), kept="\x00")
    assert schools.split("\x00")[0] in paragraph
    assert f"{moved['pupils'].sum():,.0f}" in paragraph


def test_every_affected_village_and_its_pupils_are_in_the_report(pdf, demo, today, plan, lang):
    moved = affected(village_changes(today, plan))
    assert len(moved)
    text = "\n".join(pdf_pages(pdf))
    names = demo.villages["name_pinyin"] if lang == "en" else demo.villages["name"]
    for (vid, _, band), row in moved.iterrows():
        line = next((ln for ln in text.splitlines() if re.match(rf"\s*{vid}\s", ln) and f" {band} " in ln), None)
        assert line is not None, (vid, band)
        assert names[vid] in line and f"{row['pupils']:,.0f}" in line


def test_map_labels_do_not_overlap_and_every_name_is_placed(pages, demo, lang):
    """Boxes of the labels as the renderer draws them (display pixels) meet no other label,
    the scale bar or a symbol's centre; on the demo no name is left out."""
    maps = [fig for fig in pages if any(tx.get_gid() == LABEL_GID for tx in texts(fig))]
    assert len(maps) >= 1
    names = set(demo.villages["name_pinyin" if lang == "en" else "name"])
    for fig in maps:
        renderer = FigureCanvasAgg(fig).get_renderer()  # the page as drawn (a PDF written closes its figures)
        for ax in fig.axes:
            labels = [tx for tx in ax.texts if tx.get_gid() == LABEL_GID]
            if not labels:
                continue
            boxes = [tx.get_window_extent(renderer) for tx in labels]
            for i, a in enumerate(boxes):
                assert ax.get_window_extent(renderer).contains(a.x0, a.y0), labels[i].get_text()
                for j in range(i):
                    b = boxes[j]
                    overlap = a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
                    assert not overlap, (labels[i].get_text(), labels[j].get_text())
            placed = {tx.get_text().replace("\n", " ") for tx in labels}
            assert names <= placed
            # nor the scale bar, nor any village's or school's symbol (its centre)
            furniture = [patch.get_window_extent(renderer) for patch in ax.patches]
            centres = [xy for c in ax.collections for xy in c.get_offset_transform().transform(c.get_offsets())]
            assert furniture
            for tx, box in zip(labels, boxes, strict=True):
                assert not any(box.overlaps(f) for f in furniture), tx.get_text()
                assert not any(box.contains(x, y) for x, y in centres), tx.get_text()
        assert not any(t("plan_report.labels_left_out", lang, n=1)[:6] in tx.get_text() for tx in fig.texts)


def test_the_font_is_embedded_and_titles_are_in_one_language(pdf, pages, plan, lang):
    data = pdf.read_bytes()
    assert b"/FontFile" in data
    if lang == "zh":
        assert b"WenQuanYi" in data or b"NotoSansCJK" in data
    for fig in pages[1:]:
        title = max(fig.texts, key=lambda tx: tx.get_fontsize()).get_text().replace(plan.name, "")
        if lang == "zh":
            assert not re.search("[A-Za-z]", title), title
        else:
            assert not re.search("[\u2e80-\u9fff]", title), title


def test_the_cover_says_who_made_it_when_and_from_what(pdf, demo, lang):
    cover = pdf_pages(pdf)[0]
    for line in (t("plan_report.title", lang, county=t("plan_report.demo_name", lang)),
                 t("plan_report.unit", lang, unit=UNIT[lang]), plan_name("撤并为5所", lang)):
        assert " ".join(line.split()) in " ".join(cover.split())
    assert "2026" in cover and "24" in cover
    assert "OpenStreetMap" not in cover  # the demo's roads are its own


def _tiny_osm_project():
    """Two schools on a straight road said to come from OpenStreetMap."""
    project = project_on_line({"V1": {"x": 500, **grades(10)}, "V2": {"x": 3500, **grades(6)}},
                              {"A": {"x": 0, "type": "central_primary", "capacity": 400},
                               "B": {"x": 4000, "type": "village_primary", "capacity": 200}})
    network = dataclasses.replace(project.network, attribution="© OpenStreetMap contributors")
    return planning.Project(project.villages, project.schools, network, policy=project.policy)


@pytest.mark.parametrize("words", ["zh", "en"])
def test_roads_from_openstreetmap_are_attributed_on_the_cover(tmp_path, words):
    project = _tiny_osm_project()
    plan = Scenario(project, "close B").close("B").evaluate()
    path = plan_report(project, [baseline(project), plan], tmp_path / "tiny.pdf", lang=words)
    assert t("osm_attribution", words) in " ".join(pdf_pages(path)[0].split())


def test_a_plan_that_changes_nothing_says_so_without_an_empty_table(tmp_path):
    """Sections without data are a line each: no village affected, no teachers known."""
    project = _tiny_osm_project()
    same = Scenario(project, "no change").evaluate()
    printed = pdf_pages(plan_report(project, [baseline(project), same], tmp_path / "same.pdf", lang="en"))
    title = t("plan_report.affected_title", "en", plan="no change")
    page = next(p for p in printed if title in p)
    assert t("plan_report.decision_none_affected", "en") in " ".join(page.split())
    assert field("village_id", "en") not in page
    whole_text = " ".join(" ".join(printed).split())  # no teachers known: said once, no teacher columns
    assert t("plan_report.no_teachers", "en") in whole_text
    assert t("plan_report.col_teachers", "en") not in whole_text and field("teachers_short", "en") not in whole_text


def test_text_grows_with_the_paper():
    project = _tiny_osm_project()
    plan = Scenario(project, "close B").close("B").evaluate()
    sizes = {}
    for paper in ("A4", "A3"):
        figures = plan_report_pages(project, [baseline(project), plan], lang="en", paper=paper)
        sizes[paper] = [max(tx.get_fontsize() for tx in texts(fig)) for fig in figures]
        width = figures[0].get_size_inches()[0]
        import matplotlib.pyplot as plt

        for fig in figures:
            plt.close(fig)
        sizes[paper + "_width"] = [width]
    ratio = sizes["A3_width"][0] / sizes["A4_width"][0]
    assert ratio == pytest.approx(16.54 / 11.69)
    assert [a3 / a4 for a3, a4 in zip(sizes["A3"], sizes["A4"], strict=True)] == pytest.approx([ratio] * len(sizes["A4"]))


def test_the_report_command_writes_the_pdf_with_the_forecast_years(tmp_path, capsys):
    """``planning report --horizon 2``: today's layout and the plan over the forecast years
    (the demo's history and births), each a page; without a forecast a line says so."""
    code = planning.cli.main(["report", "--scenario", str(SCENARIO), "--out", str(tmp_path), "--lang", "en",
                              "--unit", "Planning office", "--horizon", "2"])
    assert code == 0
    written = list(tmp_path.glob("*.pdf"))
    assert len(written) == 1 and str(written[0].name) in capsys.readouterr().out.replace("\n", "")
    printed = pdf_pages(written[0])
    assert t("plan_report.unit", "en", unit="Planning office") in printed[0]
    info = subprocess.run(["pdfinfo", str(written[0])], capture_output=True, text=True, check=True).stdout
    assert t("plan_report.title", "en", county=t("plan_report.demo_name", "en")) in info and "Planning office" in info
    base = planning.forecast(planning.demo(), planning.load.DEMO_HISTORY, births=planning.load.DEMO_BIRTHS,
                             horizon=2).years
    for name in ("today", "撤并为5所"):
        page = next((p for p in printed if t("plan_report.forecast_title", "en", plan=plan_name(name, "en")) in p), "")
        years = [int(line.split()[0]) for line in page.splitlines() if re.match(r"\s*20\d\d\s", line)]
        assert years == list(base), name
    assert not any(t("plan_report.no_forecast", "en") in p for p in printed)


def test_a_report_without_a_forecast_says_so(pages, lang):
    assert any(t("plan_report.no_forecast", lang) in tx.get_text().replace("\n", " " if lang == "en" else "")
               for fig in pages for tx in fig.texts)


def test_the_app_exports_the_plan_report_with_who_prepared_it(tmp_path):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(Path(planning.__file__).resolve().parents[1] / "streamlit_app.py"),
                            default_timeout=180).run()
    app.button_group(key="view").set_value("export").run()
    app.text_input(key="report_unit").input(UNIT["zh"]).run()
    app.download_button(key="export_plan_report").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.download_button(key="export_plan_report").proto.label == t("app.export.plan_report", "zh")
    path = tmp_path / "app.pdf"
    path.write_bytes(app.session_state.downloads["plan_report"].collect(timeout=60))
    assert t("plan_report.unit", "zh", unit=UNIT["zh"]) in "".join(pdf_pages(path)[0].split())


def test_a_heading_too_wide_for_its_column_breaks_between_words_or_into_even_lines():
    """学校编号 in a column three characters wide prints 学校 / 编号, not 学校编 / 号; a
    unit in brackets still goes to its own line; English breaks at spaces, a word reaching
    into the column's padding (an em) rather than breaking (village id, not villag / e id)."""
    from planning.plan_report import _heading

    assert _heading("学校编号", 3.0) == ["学校", "编号"]
    assert _heading("学校编号", 4.0) == ["学校编号"]
    assert _heading("寄宿生数", 1.5) == ["寄", "宿", "生", "数"]
    assert _heading("投资（万元）", 4.0) == ["投资", "（万元）"]
    assert _heading("school id", 4.0) == ["school", "id"]
    assert _heading("village id", 3.8) == ["village", "id"]   # into the padding, not villag / e id
    assert _heading("unserved", 4.0) == ["unserved"]
    assert _heading("electrification", 4.0) == ["electrif", "ication"]  # too long even so: broken


def test_pupils_who_had_no_place_are_not_counted_as_travelling_further():
    """A bus for 云盘村 (V11), whose grades 1–2 had no place today: the decision counted them
    among the pupils with a longer trip (they had no trip). Recounted from the changes."""
    from planning.changes import affected, village_changes
    from planning.plan_report import decision

    demo = planning.demo()
    today = planning.baseline(demo)
    plan = planning.Scenario(demo, "plan").merge("S08", into="S04").add_bus("S06", villages=["V11"]).evaluate()
    moved = affected(village_changes(today, plan))
    was_unserved = moved["mode_before"].astype(str) == "unserved"
    assert (was_unserved & (moved["change"] > 0.5)).any()  # the case: newly placed, minutes "up"
    longer = moved[~was_unserved & (moved["mode_after"].astype(str) != "unserved") & (moved["change"] > 0.5)]
    text = decision(today, plan, "en")
    assert f"{longer['pupils'].sum():.0f} of them have a longer trip (by up to {longer['change'].max():.0f} min)" in text
