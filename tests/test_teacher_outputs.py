"""Teachers outside the app: the `planning teachers` and `planning alliances` commands, the
Excel sheets of staffing, exchange and alliances, and the printed map's staffing. Every
figure is recomputed from the library (result.staffing, teacher_exchange, alliances) or,
for the printed page, worked out on paper."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import planning
from planning import InfeasibleError, Scenario, baseline
from planning.cli import main
from planning.i18n import field, t
from planning.report import _cost_pages, _draw, _staffing_pages, print_map
from planning.teachers import TEACHER_INDICATORS

from .helpers import grades, project_on_line

CONSOLIDATE_5 = planning.load.DEMO_FOLDER / "scenarios" / "consolidate_5.yaml"


@pytest.fixture(scope="module")
def plan(demo):
    return Scenario.from_file(CONSOLIDATE_5, demo).evaluate()


@pytest.fixture(scope="module")
def exchange(plan):
    return planning.teacher_exchange(plan)


def _section(out: str, heading: str) -> list[str]:
    """The lines after ``heading`` up to the next empty line."""
    lines = out.split(heading, 1)[1].splitlines()[1:]
    return lines[: lines.index("")] if "" in lines else lines


def _numbers(line: str, n: int) -> list[int]:
    """The last ``n`` whole numbers of a printed row."""
    return [int(v) for v in line.split()[-n:]]


def _shortages(result) -> int:
    staff = result.staffing
    return int((staff["open"] & (staff["surplus"] < 0)).sum())


# ---------------------------------------------------------------------------------------------
# planning teachers
# ---------------------------------------------------------------------------------------------

def test_teachers_prints_staffing_today_and_after_the_plan(demo, plan, capsys):
    today = baseline(demo)
    assert main(["teachers", "--demo", str(CONSOLIDATE_5), "--no-exchange", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    totals = _section(out, t("cli.staffing_totals", "en"))
    for figure in ("teachers", "teachers_needed", "teachers_short", "teachers_spare"):
        (row,) = [line for line in totals if line.startswith(field(figure, "en") + "  ")]
        assert _numbers(row, 2) == [round(today.summary[figure]), round(plan.summary[figure])], figure
    (row,) = [line for line in totals if line.startswith(field("schools_short", "en"))]
    assert _numbers(row, 2) == [_shortages(today), _shortages(plan)]
    assert _shortages(today) > 0  # the demo's small schools are short of teachers today
    rows = _section(out, t("cli.staffing_of", "en", name="撤并为5所"))[2:]  # below the two header lines
    assert len(rows) == len(plan.staffing)
    for line in rows:  # pupils, classes, teachers today, moved, teachers, needed, surplus, to place
        sid = line.split()[0]
        expected = plan.staffing.loc[sid, ["pupils", "classes", "teachers_today", "moved", "teachers",
                                           "teachers_needed", "surplus", "to_place"]]
        assert _numbers(line, 8) == [round(v) for v in expected], sid
    today_rows = _section(out, t("cli.staffing_of", "en", name="today"))[2:]
    assert {line.split()[0]: _numbers(line, 1)[0] for line in today_rows} == today.staffing["surplus"].to_dict()
    assert t("cli.exchange_heading", "en", name="today") not in out  # --no-exchange


def test_teachers_proposes_the_exchange_of_the_plan(plan, exchange, tmp_path, capsys):
    """The exchange is the first plan's: moves only between its open schools, meeting the
    10 %/20 % rules, the key-teacher CV lower after than before, figures as the library's."""
    book = tmp_path / "teachers.xlsx"
    assert main(["teachers", "--demo", str(CONSOLIDATE_5), "--lang", "en", "--excel", str(book)]) == 0
    out = capsys.readouterr().out
    assert exchange.quota == math.ceil(0.10 * exchange.eligible) == exchange.moves["teachers"].sum()
    assert exchange.moves["key_teachers"].sum() >= exchange.key_quota == math.ceil(0.20 * exchange.quota)
    assert exchange.cv_after["key_teachers"] < exchange.cv_before["key_teachers"]
    assert t("cli.exchange_heading", "en", name="撤并为5所") in out
    assert t("cli.exchange_quota", "en", eligible=exchange.eligible, share="10%", quota=exchange.quota,
             key_share="20%", key_quota=exchange.key_quota) in out
    assert "solver: optimal (proven), gap 0.0%" in out
    moves = _section(out, t("cli.exchange_moves", "en"))[1:]
    printed = {(r.split()[0], r.split()[1], *_numbers(r, 5)) for r in moves}
    expected = {(m.from_school, m.to_school, m.teachers, m.key_teachers, m.teachers_above_qualification,
                 m.pe_arts_teachers, round(m.drive_minutes)) for m in exchange.moves.itertuples()}
    assert printed == expected
    open_after = set(plan.staffing.index[plan.staffing["open"]])
    assert {m[0] for m in printed} | {m[1] for m in printed} <= open_after  # not today's merged schools
    for indicator in TEACHER_INDICATORS:
        label = field("teachers_per_100" if indicator == "teachers" else indicator, "en")
        assert (f"  {label}: {exchange.cv_before[indicator]:.3f} → {exchange.cv_after[indicator]:.3f}") in out
    for (level, indicator), row in exchange.balance.iterrows():
        assert (f"  {planning.i18n.level_name(level, 'en')}, {field(indicator, 'en')}: {row['before']:.3f} → "
                f"{row['after']:.3f} (limit {row['limit']:g})") in out
    assert f"wrote {book}" in out


def test_teachers_in_chinese_with_the_rules_given(demo, capsys):
    today = baseline(demo)
    answer = planning.teacher_exchange(today, share=0.2, key_share=0.3, max_minutes=20, send_only=["S01"])
    assert main(["teachers", "--demo", "--share", "20%", "--key-share", "0.3", "--max-minutes", "20",
                 "--send-only", "S01"]) == 0
    out = capsys.readouterr().out
    assert t("cli.exchange_quota", "zh", eligible=answer.eligible, share="20%", quota=answer.quota, key_share="30%",
             key_quota=answer.key_quota) in out
    assert "两校之间车程不超过 20 分钟" in out and "求解：最优（已证明）" in out
    assert "S01" not in set(answer.moves["to_school"])  # S01 only sends
    (row,) = [line for line in _section(out, t("cli.staffing_totals", "zh")) if line.startswith("核定需教师")]
    assert _numbers(row, 1) == [round(today.summary["teachers_needed"])]


def test_exchange_rules_that_cannot_be_met_give_the_message_and_exit_2(demo, capsys):
    eligible = demo.schools["eligible_teachers"]
    sender = eligible.idxmin()  # the one school that may send has fewer eligible teachers than the quota
    assert eligible[sender] < math.ceil(0.10 * eligible.sum())
    receivers = [s for s in demo.schools.index if s != sender]
    with pytest.raises(InfeasibleError) as caught:
        planning.teacher_exchange(baseline(demo), receive_only=receivers)
    for lang in ("zh", "en"):
        assert main(["teachers", "--demo", "--receive-only", ",".join(receivers), "--lang", lang]) == 2
        captured = capsys.readouterr()
        assert t("cli.error", lang, message=caught.value.text(lang)) in captured.err
        assert "Traceback" not in captured.err
        assert t("cli.staffing_totals", lang) in captured.out  # the staffing is printed before
    assert main(["teachers", "--demo", "--share", "1.5", "--lang", "en"]) == 2
    assert "error: a share is between 0 and 1 (e.g. 0.1 or 10%), not 1.5" in capsys.readouterr().err
    assert main(["teachers", "--demo", "--send-only", "S01", "--receive-only", "S01", "--lang", "en"]) == 2
    assert "a school cannot be both send-only and receive-only: S01" in capsys.readouterr().err


def test_the_excel_workbook_holds_staffing_and_the_exchange(demo, plan, exchange, tmp_path, capsys):
    book = tmp_path / "teachers.xlsx"
    assert main(["teachers", "--demo", str(CONSOLIDATE_5), "--lang", "en", "--excel", str(book)]) == 0
    capsys.readouterr()
    f = lambda name: field(name, "en")  # noqa: E731
    for result, name in ((baseline(demo), "today"), (plan, "撤并为5所")):
        sheet = f"{name} staffing"
        title = pd.read_excel(book, sheet, header=None, nrows=1).iloc[0, 0]
        assert title == t("report.sheet_title", "en", plan=name, kind="staffing")
        table = pd.read_excel(book, sheet, header=2, index_col=0)
        staff = result.staffing
        assert table.index.tolist() == staff.index.tolist()
        for column in ("pupils", "teachers_today", "moved", "teachers", "teachers_needed", "surplus", "to_place"):
            assert table[f(column)].tolist() == staff[column].round().astype(int).tolist(), column
        assert table[f("needed_by_classes")].tolist() == pytest.approx(staff["needed_by_classes"].round(1).tolist())
    moves = pd.read_excel(book, "exchange moves", header=2)
    assert moves[f("from_school")].tolist() == exchange.moves["from_school"].tolist()
    assert moves[f("to_school")].tolist() == exchange.moves["to_school"].tolist()
    assert moves[f("moved_teachers")].tolist() == exchange.moves["teachers"].tolist()
    assert moves[f("moved_key_teachers")].tolist() == exchange.moves["key_teachers"].tolist()
    assert moves[f("drive_minutes")].tolist() == exchange.moves["drive_minutes"].round().astype(int).tolist()
    title = pd.read_excel(book, "exchange moves", header=None, nrows=1).iloc[0, 0]
    assert title.startswith(f"Teacher exchange: {exchange.quota} of {exchange.eligible} eligible teachers rotate")
    schools = pd.read_excel(book, "exchange schools", header=2, index_col=0)
    assert schools[f("key_teachers_after")].to_dict() == exchange.schools["key_teachers_after"].astype(int).to_dict()
    assert schools[f("sent")].sum() == schools[f("received")].sum() == exchange.quota
    cv = pd.read_excel(book, "exchange CV", header=2, index_col=0)
    pool = cv.loc["schools taking part"]
    assert pool[f("before")].tolist() == pytest.approx(exchange.cv_before.round(3).tolist())
    assert pool[f("after")].tolist() == pytest.approx(exchange.cv_after.round(3).tolist())
    primary = cv.loc[t("report.cv_level", "en", level="primary")]
    rows = exchange.balance.loc["primary"]
    assert primary[f("indicator")].tolist() == [f(i) for i in rows.index]
    assert primary[f("after")].tolist() == pytest.approx(rows["after"].round(3).tolist())
    assert primary[f("limit")].tolist() == pytest.approx(rows["limit"].tolist())


# ---------------------------------------------------------------------------------------------
# planning alliances
# ---------------------------------------------------------------------------------------------

def test_alliances_around_the_central_and_the_nine_year_school(demo, tmp_path, capsys):
    answer = planning.alliances(demo, cores=["S01", "S03"])
    book = tmp_path / "alliances.xlsx"
    assert main(["alliances", "--demo", "--cores", "S01,S03", "--lang", "en", "--excel", str(book)]) == 0
    out = capsys.readouterr().out
    names = demo.schools["name"]
    for core, group in answer.summary.iterrows():
        assert t("cli.alliance_group", "en", core=core, name=names[core], members=int(group["members"]),
                 pupils=f"{group['pupils']:.0f}", longest=f"{group['longest_minutes']:.0f}") in out
    members = answer.schools[answer.schools["role"] == "member"]
    for sid, row in members.iterrows():
        line = f"  - {sid} {row['name']}: {row['drive_minutes']:.0f} min by road, {row['pupils']:.0f} pupils"
        assert line in out.split(f"{row['core']} {names[row['core']]} (core)")[1]  # under its own core
    assert f"largest group minus smallest: {answer.spread:.0f} schools" in out
    groups = pd.read_excel(book, "alliances", header=2, index_col=0)
    assert groups[field("members", "en")].to_dict() == answer.summary["members"].to_dict()
    assert groups[field("pupils", "en")].to_dict() == answer.summary["pupils"].astype(int).to_dict()
    schools = pd.read_excel(book, "alliance schools", header=2, index_col=0)
    assert schools[field("core", "en")].to_dict() == answer.groups.to_dict()
    assert set(schools[field("role", "en")]) == {"core school", "member"}
    with pd.ExcelFile(book) as opened:
        assert "today staffing" in opened.sheet_names  # the layout's sheets too


def test_alliances_with_cores_chosen_on_the_plan(demo, capsys):
    plan = Scenario.from_file(CONSOLIDATE_5, demo).evaluate()
    answer = planning.alliances(plan, k=1, size=(2, 4))
    assert main(["alliances", str(CONSOLIDATE_5), "--k", "1", "--size", "2-4", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    (core,) = answer.summary.index
    assert f"{core} {demo.schools.loc[core, 'name']} (core): {answer.summary.loc[core, 'members']} member" in out
    assert "school alliances (撤并为5所)" in out
    if answer.left_out:
        assert "schools in no alliance: " + ", ".join(f"{s} {demo.schools.loc[s, 'name']}" for s in answer.left_out) in out


def test_alliance_requests_that_cannot_be_met_give_the_message_and_exit_2(demo, capsys):
    plan = Scenario.from_file(CONSOLIDATE_5, demo).evaluate()
    with pytest.raises(InfeasibleError) as caught:
        planning.alliances(plan, cores=["S01", "S03"], max_minutes=15)
    for lang in ("zh", "en"):
        assert main(["alliances", str(CONSOLIDATE_5), "--cores", "S01,S03", "--max-minutes", "15",
                     "--lang", lang]) == 2
        err = capsys.readouterr().err
        assert t("cli.error", lang, message=caught.value.text(lang)) in err and "Traceback" not in err
    assert main(["alliances", "--demo", "--lang", "en"]) == 2
    assert "name the core schools, or give the number of alliances" in capsys.readouterr().err
    assert main(["alliances", "--demo", "--cores", "S01", "--size", "two"]) == 2
    assert "成员学校数应写作“最少-最多”（如 2-6）或一个数，而不是 two" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The printed map
# ---------------------------------------------------------------------------------------------

def _staffing_line():
    """A central primary A (20 teachers) with 360 pupils: 360 / 19 = 18.9 → 19 needed, 1 to
    spare; a teaching point B (2 teachers, 30 pupils in 3 classes, a small school): 3 × 1.7
    = 5.1 → 6 needed, 4 short; a junior school J (12 teachers, 135 pupils): 135 / 13.5 = 10,
    2 to spare. The county: 34 teachers, 35 needed, 4 short at 1 school, 3 to spare."""
    villages = {"VA": {"x": 0, **{f"grade_{g}": (60 if g <= 6 else 45) for g in range(1, 10)}},
                "VB": {"x": 2000, **grades(10, range(1, 4))}}
    schools = {"A": {"x": 0, "type": "central_primary", "teachers": 20},
               "B": {"x": 2000, "type": "teaching_point", "teachers": 2},
               "J": {"x": 1000, "type": "junior_secondary", "teachers": 12}}
    return project_on_line(villages, schools)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


def test_the_printed_map_gives_the_staffing_and_a_pdf_its_table(tmp_path):
    import matplotlib.pyplot as plt

    project = _staffing_line()
    result = baseline(project)
    fig = _draw(project, result, level="primary", lang="en", paper="A4", title=None)
    footer = "\n".join(text.get_text() for text in fig.texts)
    plt.close(fig)
    assert ("teachers (all levels) — teachers: 34   needed: 35   short: 4 at 1 school(s)   to spare (incl. to "
            "place): 3") in footer
    pdf = print_map(project, tmp_path / "staffing.pdf", result=result, lang="en")
    assert _pages(pdf.read_bytes()) == 3  # the map, the staffing, the costs
    (page,) = _staffing_pages(project, result, lang="en", paper="A4", title=None)
    (table,) = page.axes[0].tables
    cells = table.get_celld()
    rows = [[cells[r, c].get_text().get_text() for c in range(14)] for r in range(1, 4)]
    plt.close(page)
    # shortage first: B (−4), then A (+1), J (+2); teachers, needed, surplus
    assert [[row[0], row[8], row[11], row[12]] for row in rows] == [["B", "2", "6", "-4"], ["A", "20", "19", "+1"],
                                                                    ["J", "12", "10", "+2"]]
    assert rows[0][10] == "5.1" and rows[1][10] == ""  # needed by teachers per class: the small school only
    assert cells[1, 12].get_text().get_color() != cells[2, 12].get_text().get_color()  # the shortage stands out
    # no teachers known: no staffing line, no empty table page
    unknown = project_on_line({"V": {"x": 0, **grades(10)}}, {"A": {"x": 0, "type": "central_primary"}})
    assert np.isnan(baseline(unknown).summary["teachers"])
    assert _staffing_pages(unknown, baseline(unknown), lang="en", paper="A4", title=None) == []
    assert _pages(print_map(unknown, tmp_path / "map.pdf", lang="en").read_bytes()) == 2  # the map, the costs


def test_the_demo_plan_prints_on_two_pages_with_its_staffing(demo, plan, tmp_path):
    import matplotlib.pyplot as plt

    fig = _draw(demo, plan, level="primary", lang="en", paper="A4", title=None)
    footer = "\n".join(text.get_text() for text in fig.texts)
    plt.close(fig)
    summary = plan.summary
    assert t("map.staffing_facts", "en", teachers=f"{summary['teachers']:.0f}",
             needed=f"{summary['teachers_needed']:.0f}", short=f"{summary['teachers_short']:.0f}",
             short_schools=_shortages(plan), spare=f"{summary['teachers_spare']:.0f}") in footer
    pdf = print_map(demo, tmp_path / "plan.pdf", result=plan, lang="en")
    costs = _cost_pages(demo, plan, lang="en", paper="A4", title=None)  # after the map and the staffing
    assert len(costs) >= 1 and _pages(pdf.read_bytes()) == 2 + len(costs)
    for page in costs:
        plt.close(page)


def test_today_is_named_in_the_language_on_the_printed_pages(demo):
    """The map's title named today's layout "today" on a Chinese map; it is 现状, as on the
    staffing page and in the Excel report."""
    import matplotlib.pyplot as plt

    from .test_maps_report import require_cjk_font

    require_cjk_font()
    today = baseline(demo)
    with plt.rc_context({"font.family": [planning.report.cjk_font(), "DejaVu Sans"]}):
        fig = _draw(demo, today, level="primary", lang="zh", paper="A4", title=None)
        (page,) = _staffing_pages(demo, today, lang="zh", paper="A4", title=None)
    titles = [fig.get_suptitle(), page.get_suptitle()]
    plt.close(fig)
    plt.close(page)
    county = t("plan_report.demo_name", "zh")  # the demo's name in the page's language (one language a title)
    assert titles == [t("map.title", "zh", project=county, scenario="现状", level="小学"),
                      t("map.staffing_title", "zh", project=county, scenario="现状")]


def test_a_long_staffing_table_runs_on_over_pages_that_it_fits(tmp_path):
    """60 schools: every school printed once, over several pages, each table above the
    footer (at 24 rows a page, the Chinese table at 9 points ran into the footer)."""
    import matplotlib.pyplot as plt

    from .test_maps_report import require_cjk_font

    require_cjk_font()
    xs = {f"S{i:02d}": 100 * i for i in range(60)}
    project = project_on_line({f"V{s}": {"x": x, **grades(3)} for s, x in xs.items()},
                              {s: {"x": x, "type": "village_primary", "teachers": 1 + i % 4}
                               for i, (s, x) in enumerate(xs.items())}, length_m=6000)
    result = baseline(project)
    with plt.rc_context({"font.family": [planning.report.cjk_font(), "DejaVu Sans"]}):
        pages = _staffing_pages(project, result, lang="zh", paper="A4", title=None)
        printed = []
        for page in pages:
            page.canvas.draw()
            (table,) = page.axes[0].tables
            bottom = table.get_window_extent(page.canvas.get_renderer()).y0 / page.bbox.height
            footer = max(text.get_window_extent().y1 for text in page.texts
                         if text.get_position()[1] < 0.5) / page.bbox.height  # not the title
            assert bottom > footer, (bottom, footer)
            cells = table.get_celld()
            printed += [cells[r, 0].get_text().get_text() for r in range(1, 1 + max(r for r, _ in cells))]
            plt.close(page)
    assert len(pages) > 2 and sorted(printed) == sorted(xs)
    assert pages[1].get_suptitle() == t("map.staffing_continued", "zh", title=pages[0].get_suptitle(), page=2)
    assert _pages(print_map(project, tmp_path / "long.pdf", result=result, lang="en").read_bytes()) == 1 + len(
        _staffing_pages(project, result, lang="en", paper="A4", title=None)) + len(
        _cost_pages(project, result, lang="en", paper="A4", title=None))  # the map, the staffing, the costs
