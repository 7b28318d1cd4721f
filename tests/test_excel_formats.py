"""Workbooks a planner can work in (issue 17, item 3): every workbook the package writes is
a set of flat tables with number formats by what each column holds, 是/否 words, frozen
bold headers, filters and widths from the content, and the figures themselves unchanged.

Before, every cell was in General format (9.072522296696455 minutes, 0.3533 load,
TRUE/FALSE), ids were merged cells, headers were neither frozen nor filtered."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

import planning
from planning.cli import main
from planning.excel import OTHER_DECIMALS, write_excel
from planning.i18n import field, localise, t
from planning.report import excel_report

CONSOLIDATE_5 = planning.load.DEMO_FOLDER / "scenarios" / "consolidate_5.yaml"
MINUTES, SHARE, COUNT, YUAN, CV = "0.0", "0.0%", "#,##0", "#,##0", "0.000"


@pytest.fixture(scope="module")
def results(demo):
    return planning.baseline(demo, "zoned"), planning.Scenario.from_file(CONSOLIDATE_5, demo).evaluate("zoned")


@pytest.fixture(scope="module", params=["zh", "en"])
def report(request, demo, results, tmp_path_factory):
    """The demo's scenario report (today and the 13 → 5 plan), in each language."""
    lang = request.param
    path = excel_report(demo, list(results), tmp_path_factory.mktemp("xl") / "report.xlsx", lang=lang)
    return lang, path, openpyxl.load_workbook(path)


def header_row(sheet) -> int:
    """Row of a sheet's header: 3 under a title (A1, then an empty row), else 1."""
    return 3 if sheet["A2"].value is None and sheet.max_row >= 3 else 1


def column(sheet, label: str) -> list:
    """The cells under the header ``label``."""
    row = header_row(sheet)
    heads = [c.value for c in sheet[row]]
    assert label in heads, (label, heads)
    j = heads.index(label) + 1
    return [sheet.cell(row=i, column=j) for i in range(row + 1, sheet.max_row + 1)]


def formats(cells) -> set[str]:
    """Number formats of the cells that hold numbers."""
    return {c.number_format for c in cells if isinstance(c.value, int | float) and not isinstance(c.value, bool)}


def sheet_of(lang: str, plan: str, kind: str) -> str:
    return t("report.sheet", lang, plan=planning.i18n.plan_name(plan, lang), kind=t(f"report.{kind}", lang))


def test_every_sheet_is_a_flat_filtered_table_under_a_frozen_bold_header(report):
    workable(report[2])


def workable(book) -> None:
    """Every sheet of a workbook: a flat table under a frozen bold header, filtered, no
    TRUE/FALSE and no figure with decimals in General format or in the format of figures of
    no known kind; sheet names fit for Excel."""
    names = book.sheetnames
    assert len({n.casefold() for n in names}) == len(names) and all(len(n) <= 31 for n in names)
    for sheet in book.worksheets:
        row = header_row(sheet)
        assert not sheet.merged_cells.ranges, sheet.title
        assert sheet.freeze_panes == f"B{row + 1}", sheet.title
        empty = [r[0].row for r in sheet.iter_rows(min_row=row + 1) if all(c.value in (None, "") for c in r)]
        last = empty[0] - 1 if empty else sheet.max_row  # the table, not the settings under a balance
        assert sheet.auto_filter.ref == f"A{row}:{get_column_letter(sheet.max_column)}{last}", sheet.title
        heads = sheet[row]
        assert all(c.font.bold and c.alignment.wrap_text for c in heads), sheet.title
        for cells in sheet.iter_rows(min_row=row + 1):
            assert not [c.coordinate for c in cells if c.data_type == "b"], sheet.title  # no TRUE/FALSE
            general = [c.coordinate for c in cells if isinstance(c.value, float) and not c.value.is_integer()
                       and c.number_format == "General"]
            assert not general, (sheet.title, general)  # no 9.072522296696455 on show
            unknown = [c.coordinate for c in cells if c.number_format == OTHER_DECIMALS]
            assert not unknown, (sheet.title, unknown)  # every column with figures has a known kind


def test_figures_show_in_the_format_of_what_they_are(report):
    lang, _, book = report
    villages, schools = book[sheet_of(lang, "today", "villages")], book[sheet_of(lang, "today", "schools")]
    assert formats(column(villages, field("minutes", lang))) == {MINUTES}
    assert formats(column(villages, field("walk_minutes", lang))) == {MINUTES}
    assert formats(column(villages, field("pupils", lang))) == {COUNT}
    assert formats(column(schools, field("load", lang))) == {SHARE}
    for key in ("capacity", "beds", "classrooms", "pupils", "grade_1", "seats_short"):
        assert formats(column(schools, field(key, lang))) == {COUNT}, key
    costs = book[sheet_of(lang, "撤并为5所", "costs")]
    for key in ("one_off_yuan", "yearly_yuan", "npv_yuan"):
        assert formats(column(costs, field(key, lang))) == {YUAN}, key
    assert formats(column(costs, field("quantity", lang))) == {COUNT}  # 2 classrooms, not 2.0
    affected = book[sheet_of(lang, "撤并为5所", "affected")]
    assert formats(column(affected, field("change", lang))) == {"+0.0;-0.0;0.0"}  # +1.8 minutes, -119.8
    staffing = book[sheet_of(lang, "撤并为5所", "staffing")]
    assert formats(column(staffing, field("surplus", lang))) == {"+#,##0;-#,##0;0"}
    balance = book[sheet_of(lang, "today", "balance")]
    assert formats(column(balance, field("cv", lang))) == {CV}
    indicators = book[sheet_of(lang, "today", "indicators")]
    assert formats(column(indicators, field("lowest_share", lang))) == {SHARE}  # 1.27 shows 127.3 %
    # the summary: one column per plan, each row in its figure's format
    summary = book[t("report.summary", lang)]
    rows = {r[0].value: r[1:] for r in summary.iter_rows(min_row=2)}
    assert formats(rows[field("mean_walk", lang)]) == {MINUTES}
    assert formats(rows[field("schools_open", lang)]) == {COUNT}
    assert formats(rows[field("cost_npv_yuan", lang)]) == {YUAN}
    assert formats(rows[field("primary_max_cv", lang)]) == {CV}


def test_yes_no_are_words(report, results):
    lang, _, book = report
    today = results[0]
    schools = book[sheet_of(lang, "today", "schools")]
    shown = [c.value for c in column(schools, field("over_capacity", lang))]
    assert shown == [t("yes" if v else "no", lang) for v in today.schools["over_capacity"]]
    assert {c.value for c in column(schools, field("open", lang))} == {t("yes", lang)}  # today every school is open
    assert all(c.data_type == "s" for c in column(schools, field("open", lang)))


def test_rows_hold_their_ids_and_the_figures_unrounded(report, results):
    """Each row names its village and level (they were merged cells, blank on all but the
    first row of a village); the format decides what a cell shows, the cell holds the figure
    itself (re-read by pandas)."""
    lang, path, _ = report
    today, plan = results
    village_id, level = field("village_id", lang), field("level", lang)
    villages = pd.read_excel(path, sheet_of(lang, "撤并为5所", "villages"), header=2, dtype={village_id: str})
    assert villages[village_id].tolist() == plan.villages.index.get_level_values("village_id").tolist()
    assert villages[level].notna().all()
    assert np.allclose(villages[field("minutes", lang)], plan.villages["minutes"], rtol=1e-12, equal_nan=True)
    assert (villages[field("pupils", lang)].to_numpy() == plan.villages["pupils"].to_numpy()).all()
    schools = pd.read_excel(path, sheet_of(lang, "today", "schools"), header=2)
    # a load is a share (0.35, shown 35.0 %), pupils over seats of the same row, not ×100
    assert np.allclose(schools[field("load", lang)], schools[field("pupils", lang)] / schools[field("capacity", lang)])
    summary = pd.read_excel(path, t("report.summary", lang), index_col=0)
    assert summary.loc[field("mean_walk", lang)].tolist() == pytest.approx(
        [float(today.summary["mean_walk"]), float(plan.summary["mean_walk"])], rel=1e-12)


def test_columns_are_as_wide_as_their_content_chinese_counting_double(report, demo):
    lang, _, book = report
    schools = book[sheet_of(lang, "today", "schools")]
    cells = column(schools, field("name", lang))
    width = schools.column_dimensions[cells[0].column_letter].width
    # the names shown (pinyin in English): a Chinese character two widths, a Latin one one
    shown = planning.i18n.shown_names(demo.schools, lang)
    longest = max(sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in name) for name in shown)
    assert [c.value for c in cells] == shown.tolist()
    assert longest <= width <= longest + 4


def test_a_plan_report_written_by_the_command_line(demo, tmp_path, capsys):
    """`planning evaluate` (with the years ahead) and `planning optimise --tradeoff` write
    their workbooks through the same writer."""
    assert main(["evaluate", "--demo", "--scenario", str(CONSOLIDATE_5), "--out", str(tmp_path), "--lang", "en"]) == 0
    book = openpyxl.load_workbook(tmp_path / "撤并为5所.xlsx")
    staffing = book[sheet_of("en", "撤并为5所", "staffing")]
    assert {c.value for c in column(staffing, field("small_school", "en"))} <= {"yes", "no"}
    assert formats(column(staffing, field("needed_by_ratio", "en"))) == {"0.0"}
    assert formats(column(staffing, field("teachers", "en"))) == {COUNT}
    assert all(not s.merged_cells.ranges and s.auto_filter.ref for s in book.worksheets)
    assert main(["optimise", "--goal", "fewest_schools", "--tradeoff", "--out", str(tmp_path), "--lang", "zh"]) == 0
    capsys.readouterr()
    book = openpyxl.load_workbook(tmp_path / "plan_fewest_schools_primary.xlsx")
    solver = book[t("report.solver", "zh")]
    assert solver["A1"].value == field("goal", "zh")  # no column of row numbers before it
    assert formats(column(solver, field("gap", "zh"))) == {SHARE}
    assert book[t("report.decisions", "zh")]["A1"].value == field("school_id", "zh")  # not a blank header
    curve = book[t("report.tradeoff", "zh")]
    assert formats(column(curve, "p")) == {COUNT} and formats(column(curve, field("mean_walk", "zh"))) == {MINUTES}
    assert all(s.freeze_panes == "B2" and s.auto_filter.ref for s in book.worksheets)


@pytest.mark.parametrize("command", [
    ["teachers", "--demo", str(CONSOLIDATE_5), "--lang", "zh", "--excel"],
    ["alliances", "--demo", "--cores", "S01,S03", "--lang", "en", "--excel"],
    ["forecast", "--demo", "--lang", "zh", "--out"],
])
def test_the_other_workbooks_are_workable_too(command, tmp_path, capsys):
    """Teachers (exchange sheets), alliances and the forecast (year by year) through the same writer."""
    target = tmp_path / "book.xlsx" if command[-1] == "--excel" else tmp_path
    assert main([*command, str(target)]) == 0
    capsys.readouterr()
    path = target if command[-1] == "--excel" else next(tmp_path.glob("*.xlsx"))
    book = openpyxl.load_workbook(path)
    workable(book)
    lang = command[command.index("--lang") + 1]
    if command[0] == "teachers":
        moves = book[t("report.exchange_moves", lang)]
        assert formats(column(moves, field("drive_minutes", lang))) == {MINUTES}
        assert formats(column(moves, field("moved_teachers", lang))) == {COUNT}
    if command[0] == "forecast":
        years = next(book[name] for name in book.sheetnames if name.endswith(t("report.years", lang)))
        assert formats(column(years, field("year", lang))) == {"0"}  # 2030, not 2,030


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_writer_formats_any_table_by_its_columns(tmp_path, lang):
    """Coordinates, 万元, km and a MultiIndex: formats by the column's key, ids on every row."""
    frame = pd.DataFrame({
        "village_id": ["V1", "V1", "V2"], "level": ["primary", "junior", "primary"],
        "lon": [111.123456789, 111.123456789, 111.2], "lat": [27.5, 27.5, 27.6], "one_off_wan": [12.345, 0.0, 3.0],
        "distance_km": [1.234, 2.0, 0.5], "load": [0.5, 1.25, 0.0], "over_capacity": [False, True, False],
        "walk_speed_kmh": [4.0, 4.0, 4.0], "year": [2030, 2030, 2031],
    }).set_index(["village_id", "level"])
    path = write_excel({"x": localise(frame, lang)}, tmp_path / "x.xlsx", lang=lang)
    sheet = openpyxl.load_workbook(path)["x"]
    assert not sheet.merged_cells.ranges
    assert [c.value for c in column(sheet, field("village_id", lang))] == ["V1", "V1", "V2"]
    assert formats(column(sheet, field("lon", lang))) == {"0.000000"}
    assert formats(column(sheet, field("one_off_wan", lang))) == {"#,##0.0"}
    assert formats(column(sheet, field("distance_km", lang))) == {"0.00"}
    assert formats(column(sheet, field("load", lang))) == {SHARE}
    assert formats(column(sheet, field("year", lang))) == {"0"}  # 2030, not 2,030
    assert [c.value for c in column(sheet, field("over_capacity", lang))] == [t("no", lang), t("yes", lang), t("no", lang)]
    back = pd.read_excel(path, "x")
    assert back[field("lon", lang)].tolist() == frame["lon"].tolist()  # unrounded


def test_plans_named_too_long_for_a_sheet_share_a_sheet_per_kind(demo, results, tmp_path):
    today, plan = results
    long = "2027年撤并方案：青山镇中心小学扩建并接收溪口村完小学生（第一稿）"
    renamed = planning.Scenario.from_file(CONSOLIDATE_5, demo).renamed(long).evaluate("zoned")
    path = excel_report(demo, [today, renamed], tmp_path / "long.xlsx", lang="zh")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:4] == ["方案", "汇总", "学校", "村庄"]
    schools = book["学校"]
    assert schools["A3"].value == field("plan", "zh") and schools.freeze_panes == "C4"
    table = pd.read_excel(path, "学校", header=2)
    assert table[field("plan", "zh")].tolist() == ["现状"] * len(demo.schools) + [long] * len(demo.schools)
    assert formats(column(schools, field("load", "zh"))) == {SHARE}
