"""Where planners see a plan's costs (issue 13, item 4): `planning evaluate --costs`, the
Excel report's cost sheets, the printed map's cost line and cost page, the app's cost
figures, compare view and policy panel.

Every figure is recomputed here from the library (:func:`planning.cost_sheet` and the
results' summaries) and compared with what each output shows; the formatting (thousands
separators, 万元) is worked out here on its own.
"""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import planning
from planning import app as logic
from planning.cli import main
from planning.costs import ITEMS
from planning.i18n import field, t
from planning.report import _cost_pages, _draw, excel_report, money
from planning.scenario import Scenario

from .test_app import APP, choose_lang, merge_s08_into_s04

CONSOLIDATE_5 = planning.load.DEMO_FOLDER / "scenarios" / "consolidate_5.yaml"


@pytest.fixture(scope="module")
def today(demo):
    return planning.baseline(demo)


@pytest.fixture(scope="module")
def plan(demo):
    return Scenario.from_file(CONSOLIDATE_5, demo).evaluate()


def yuan(value: float) -> str:
    """Whole yuan with thousands separators, worked out here."""
    return f"{round(value):,d}"


def sheet_lines(out: str, heading: str) -> list[str]:
    """The printed lines after ``heading`` up to the next empty line."""
    lines = out.split(heading, 1)[1].splitlines()[1:]
    return lines[: lines.index("")] if "" in lines else lines


# ---------------------------------------------------------------------------------------------
# planning evaluate --costs
# ---------------------------------------------------------------------------------------------

def test_evaluate_prints_the_cost_sheets_of_today_and_the_plan(demo, today, plan, tmp_path, capsys):
    """Over 20 years at 5 % (the options), every row of both cost sheets is printed with its
    school and its one-off, yearly and present-value yuan as cost_sheet gives them; the
    by-item table adds up the plan's items; the figures' present value follows the options."""
    assert main(["evaluate", "--scenario", str(CONSOLIDATE_5), "--costs", "--horizon-years", "20", "--discount",
                 "5%", "--out", str(tmp_path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for result in (today, plan):
        sheet = planning.cost_sheet(result, horizon=20, discount=0.05)
        name = "today" if result is today else result.name
        lines = sheet_lines(out, t("cli.cost_sheet", "en", name=name))
        assert len(lines) == 2 + len(sheet)  # two heading lines, then a line per row
        for row, line in zip(sheet.itertuples(), lines[2:], strict=True):
            words = t(f"cost_item.{row.item}", "en")
            assert line.startswith(words), (line, words)
            amounts = [yuan(row.one_off_yuan), yuan(row.yearly_yuan), yuan(row.npv_yuan)]
            assert line.split()[-3:] == amounts, line
            if row.item != "total":
                assert f" {row.school_id} " in line
    # by item, beside today: the plan's one-off per item and the yearly change of the total
    by_item = sheet_lines(out, t("cli.costs_by_item", "en", plan=plan.name, years=20, rate="5%"))
    sheet = planning.cost_sheet(plan, horizon=20, discount=0.05)
    before = planning.cost_sheet(today, horizon=20, discount=0.05)
    for item in [*ITEMS, "total"]:
        mine = sheet[sheet["item"] == item]
        theirs = before[before["item"] == item]
        if mine.empty and theirs.empty:
            assert not any(line.startswith(t(f"cost_item.{item}", "en")) for line in by_item)
            continue
        (line,) = [line for line in by_item if line.startswith(t(f"cost_item.{item}", "en"))]
        yearly, was = mine["yearly_yuan"].sum(), theirs["yearly_yuan"].sum()
        assert line.split()[-6:-2] == [yuan(was), yuan(mine["one_off_yuan"].sum()), yuan(yearly), yuan(yearly - was)]
    # the comparison's cost rows: whole yuan with separators, present value over 20 years at 5 %
    (npv,) = [line for line in out.splitlines() if line.startswith(field("cost_npv_yuan", "en"))]
    assert npv.split()[-2:] == [yuan(before["npv_yuan"].iloc[-1]), yuan(sheet["npv_yuan"].iloc[-1])]
    (one_off,) = [line for line in out.splitlines() if line.startswith(field("one_off_yuan", "en"))]
    assert one_off.split()[-2:] == ["0", yuan(plan.summary["one_off_yuan"])]


def test_compare_without_costs_prints_no_cost_sheet_but_the_cost_rows_in_yuan(plan, tmp_path, capsys):
    assert main(["compare", str(CONSOLIDATE_5), "--out", str(tmp_path), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert t("cli.cost_sheet", "zh", name=plan.name) not in out
    (yearly,) = [line for line in out.splitlines() if line.startswith(field("yearly_yuan", "zh"))]
    assert yearly.split()[-1] == yuan(plan.summary["yearly_yuan"]) and "," in yearly.split()[-1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_discount_rate_out_of_range_is_refused_in_words(tmp_path, capsys, lang):
    assert main(["evaluate", "--scenario", str(CONSOLIDATE_5), "--costs", "--discount", "150%", "--out",
                 str(tmp_path), "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert t("cli.bad_share", lang, value="150%") in err


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_excel_report_has_a_cost_sheet_per_plan(demo, today, plan, tmp_path, lang):
    book = excel_report(demo, [today, plan], tmp_path / "costs.xlsx", lang=lang)
    kind = t("report.costs", lang)
    for result in (today, plan):
        name = t("report.sheet", lang, plan=planning.i18n.plan_name(result.name, lang), kind=kind)
        read = pd.read_excel(book, name, header=2)
        sheet = planning.cost_sheet(result)
        assert len(read) == len(sheet)
        assert read.iloc[:, 0].tolist() == [t(f"cost_item.{i}", lang) for i in sheet["item"]]
        assert read[field("school_id", lang)].iloc[:-1].tolist() == sheet["school_id"].iloc[:-1].tolist()
        for column in ("one_off_yuan", "yearly_yuan", "npv_yuan"):
            assert read[field(column, lang)].tolist() == sheet[column].round().astype(int).tolist(), column
        title = pd.read_excel(book, name, header=None, nrows=1).iloc[0, 0]
        assert title == t("report.sheet_title", lang, plan=planning.i18n.plan_name(result.name, lang), kind=kind)
    summary = pd.read_excel(book, t("report.summary", lang), index_col=0)
    for key in ("one_off_yuan", "yearly_yuan", "cost_npv_yuan"):
        assert summary.loc[field(key, lang)].tolist() == [round(today.summary[key]), round(plan.summary[key])]


# ---------------------------------------------------------------------------------------------
# The printed map
# ---------------------------------------------------------------------------------------------

def test_money_in_wan_for_chinese_and_yuan_for_english():
    assert money(649_000, "zh") == "64.9 万元"
    assert money(24_680_000, "zh") == "2,468 万元"
    assert money(-1_320_000, "zh") == "-132.0 万元"
    assert money(0, "zh") == "0 万元"  # today's one-off: nothing, not "0.0"
    assert money(649_000, "en") == "649,000 yuan"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_printed_map_gives_the_plans_costs_and_a_pdf_its_cost_sheet(demo, plan, lang):
    import matplotlib.pyplot as plt

    from .test_maps_report import require_cjk_font

    require_cjk_font()
    summary = plan.summary
    if lang == "zh":
        words = [f"一次性投入 {summary['one_off_yuan'] / 1e4:,.1f} 万元",
                 f"每年 {summary['yearly_yuan'] / 1e4:,.0f} 万元", f"10 年现值 {summary['cost_npv_yuan'] / 1e4:,.0f} 万元"]
    else:
        words = [f"one-off {yuan(summary['one_off_yuan'])} yuan", f"yearly {yuan(summary['yearly_yuan'])} yuan",
                 f"over 10 years {yuan(summary['cost_npv_yuan'])} yuan"]
    with plt.rc_context({"font.family": [planning.report.cjk_font(), "DejaVu Sans"]}):
        fig = _draw(demo, plan, level="primary", lang=lang, paper="A4", title=None)
        footer = " ".join(text.get_text().replace("\n", " ") for text in fig.texts)
        plt.close(fig)
        for phrase in words:
            assert phrase in footer, (phrase, footer)
        pages = _cost_pages(demo, plan, lang=lang, paper="A4", title=None)
    sheet = planning.cost_sheet(plan)
    rows = []
    for page in pages:
        (table,) = page.axes[0].tables
        cells = table.get_celld()
        rows += [[cells[r, c].get_text().get_text() for c in range(7)] for r in range(1, 1 + max(r for r, _ in cells))]
        page_footer = " ".join(text.get_text().replace("\n", " ") for text in page.texts)
        assert all(phrase in page_footer for phrase in words), page_footer
        plt.close(page)
    assert len(rows) == len(sheet)
    total = rows[-1]
    scale, pattern = (1e4, "{:,.2f}") if lang == "zh" else (1, "{:,.0f}")
    assert total[4:] == [pattern.format(sheet[c].iloc[-1] / scale) for c in ("one_off_yuan", "yearly_yuan", "npv_yuan")]
    assert [row[1].split()[0] for row in rows[:-1]] == sheet["school_id"].iloc[:-1].tolist()
    named = [row[0] for row in rows if row[0]]  # each item named on its first row (and atop a new page)
    assert list(dict.fromkeys(named)) == [t(f"cost_item.{i}", lang) for i in dict.fromkeys(sheet["item"])]
    assert len(named) <= len(dict.fromkeys(sheet["item"])) + len(pages) - 1


# ---------------------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------------------

def cost_metrics(at: AppTest, lang: str, years: int = 10) -> dict[str, tuple[str, str]]:
    unit = "万元" if lang == "zh" else "thousand yuan"
    labels = {t("app.cost.one_off", lang, unit=unit): "one_off_yuan", t("app.cost.yearly", lang, unit=unit): "yearly_yuan",
              t("app.cost.npv", lang, years=years, unit=unit): "cost_npv_yuan"}
    return {labels[m.label]: (m.value, m.delta) for m in at.metric if m.label in labels}


def amount(value: float, lang: str) -> str:
    """A cost under the headline, worked out here: 万元 to one decimal (whole from 1,000 万元
    and for nothing), or thousand yuan."""
    if lang == "en":
        return f"{round(value / 1e3):,d}"
    wan = value / 1e4
    return f"{round(wan):,d}" if abs(wan) >= 1000 or wan == 0 else f"{wan:,.1f}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_app_shows_the_costs_under_the_headline_and_in_compare(demo, lang):
    """Today: the three cost figures as the summary gives them; after merging 溪口村完小 (S08)
    into 石门村完小 (S04), the plan's figures with their change, the compare view's cost table
    by item (today's and the plan's totals) and the plan's sheet by school."""
    app = AppTest.from_file(APP, default_timeout=180).run()
    choose_lang(app, lang)
    view = logic.evaluate_plan(demo, planning.scenario.today(demo), app.session_state.assignment)
    shown = cost_metrics(app, lang)
    assert set(shown) == {"one_off_yuan", "yearly_yuan", "cost_npv_yuan"}
    for key, (value, delta) in shown.items():
        assert value == amount(float(view.baseline.summary[key]), lang) and not delta
    merge_s08_into_s04(app, lang)
    assert not app.exception
    merged = logic.evaluate_plan(demo, app.session_state.scenario, app.session_state.assignment)
    before, after = merged.baseline.summary, merged.result.summary
    assert after["yearly_yuan"] < before["yearly_yuan"]  # one school fewer to run
    for key, (value, delta) in cost_metrics(app, lang).items():
        assert value == amount(float(after[key]), lang)
        change = float(after[key] - before[key])
        if change:
            assert delta == ("+" if change > 0 else "") + amount(change, lang), key
    app.segmented_control(key="view").set_value("compare").run()
    assert not app.exception, [e.value for e in app.exception]
    unit = t("cost_col.unit_wan" if lang == "zh" else "cost_col.unit_yuan", lang)
    scale, near = (1e4, 0.005) if lang == "zh" else (1, 0.5)  # 万元 to two decimals, or whole yuan
    by_item = [d.value for d in app.dataframe if t("cost_col.plan_yearly", lang, unit=unit) in d.value.columns]
    assert len(by_item) == 1
    total = by_item[0].loc[t("cost_item.total", lang)]
    assert total[t("cost_col.today_yearly", lang, unit=unit)] == pytest.approx(before["yearly_yuan"] / scale, abs=near)
    assert total[t("cost_col.plan_yearly", lang, unit=unit)] == pytest.approx(after["yearly_yuan"] / scale, abs=near)
    assert total[t("cost_col.plan_one_off", lang, unit=unit)] == pytest.approx(after["one_off_yuan"] / scale, abs=near)
    assert t("app.cost_npv_line", lang, years=10, today=money(float(before["cost_npv_yuan"]), lang),
             plan=money(float(after["cost_npv_yuan"]), lang)) in [c.value for c in app.caption]
    sheets = [d.value for d in app.dataframe if field("quantity", lang) in d.value.columns]
    assert len(sheets) == 2  # the plan's and today's, by school
    plan_sheet = planning.cost_sheet(merged.result)
    school = t("app.teachers.school", lang)
    assert [s.split()[0] for s in sheets[0][school].iloc[:-1]] == plan_sheet["school_id"].iloc[:-1].tolist()
    money_column = field("yearly_wan" if lang == "zh" else "yearly_yuan", lang)
    assert sheets[0][money_column].iloc[-1] == pytest.approx(after["yearly_yuan"] / scale, abs=near)


def test_the_policy_panel_lists_every_cost_setting_with_its_source(demo):
    rows = logic.policy_rows(demo.policy, "zh")
    setting, value, source = (field(n, "zh") for n in ("setting", "value", "source"))
    sources = demo.policy.sources("zh")
    for name in planning.policy.COST_SETTINGS:
        (row,) = rows[rows[setting] == field(name, "zh")].itertuples(index=False)
        assert getattr(row, source) == sources[name] and sources[name], name
    shown = dict(zip(rows[setting], rows[value], strict=True))
    assert shown[field("cost_classroom_m2", "zh")] == "61 / 70"  # per level: primary / junior
    assert shown[field("cost_boarding_subsidy", "zh")] == "1,000 / 1,250"
    assert shown[field("cost_bus", "zh")] == "400,000" and shown[field("cost_discount_rate", "zh")] == "8%"
    assert shown[field("cost_classroom_short", "zh")] == t("cost_short.build", "zh")
    assert any("假设值" in s for s in rows[source])  # assumed figures say so
    rent = logic.policy_rows(demo.policy.replace(cost_classroom_short="rent"), "en")
    assert t("cost_short.rent", "en") in rent[field("value", "en")].tolist()
