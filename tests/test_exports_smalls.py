"""Exports whatever the plans are called, and the smaller items of issue 10 (item 14):
the command line's `evaluate`, the printed map's signature, unknown ids, empty edits."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pyogrio
import pytest

import planning
from planning.excel import write_excel
from planning.report import excel_report, results_gpkg, sheet_names

# a colon, slashes and a backslash, two 40-character names sharing their first 30, the same
# name but for case, Excel's reserved name, apostrophes at the ends, Chinese names
AWKWARD = [
    "Plan B: close Zhushan",
    "A/B test [v2]? *",
    "north\\south",
    "consolidate the western villages A" + "x" * 6,
    "consolidate the western villages A" + "y" * 6,
    "Plan B: CLOSE ZHUSHAN",
    "History",
    "'quoted'",
    "方案二：撤并高坪教学点并新建寄宿制学校以改善山区学生就学条件",
    "方案二：撤并高坪教学点并新建寄宿制学校以改善山区学生就学条件（备选）",
]
EXCEL_REFUSES = re.compile(r"[\[\]:*?/\\]")


def _valid_sheet_names(names: list[str]) -> None:
    """What Excel demands of a workbook's sheet names."""
    assert all(0 < len(n.encode("utf-16-le")) // 2 <= 31 for n in names), names
    assert not [n for n in names if EXCEL_REFUSES.search(n) or n.startswith("'") or n.endswith("'")]
    assert len({n.casefold() for n in names}) == len(names)  # Excel ignores case
    assert "history" not in {n.casefold() for n in names}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_plan_is_in_the_excel_report_whatever_its_name(demo, tmp_path, lang):
    """Before, a colon stopped the export (openpyxl: "Invalid character : found in sheet
    title") and plans sharing their first 18 characters wrote over each other's sheets. Then
    each plan had its own sheets under a cut, numbered name ("方案二：撤并高坪教学点并新建寄~2");
    now names that do not fit share one sheet per kind, each row naming its plan in full."""
    today = planning.baseline(demo)
    plans = [planning.Scenario(demo, name).close(school).evaluate()
             for name, school in zip(AWKWARD, ["S05", "S07", "S08"] * 4, strict=False)]
    path = excel_report(demo, [today, *plans], tmp_path / "report.xlsx", lang=lang)
    book = openpyxl.load_workbook(path)
    _valid_sheet_names(book.sheetnames)
    kinds = ["schools", "villages", "violations", "indicators", "balance", "staffing", "costs", "changes", "affected"]
    words = {kind: planning.i18n.t(f"report.{kind}", lang) for kind in kinds}
    assert book.sheetnames == [planning.i18n.t("report.plans", lang), planning.i18n.t("report.summary", lang),
                               *words.values()]
    for kind in kinds:
        assert book[words[kind]]["A1"].value == planning.i18n.t("report.sheet_title_all", lang, kind=words[kind])
    listed = pd.read_excel(path, book.sheetnames[0], index_col=0)  # the plans sheet: full names
    full = [planning.i18n.t("today", lang), *AWKWARD]
    assert listed.index.tolist() == full
    plan = planning.i18n.field("plan", lang)
    schools = pd.read_excel(path, words["schools"], header=2, dtype={plan: str})
    assert schools[plan].drop_duplicates().tolist() == full  # every plan, in order, by its full name
    assert (schools[plan].value_counts() == len(demo.schools)).all()
    affected = pd.read_excel(path, words["affected"], header=2, dtype={plan: str})
    assert set(affected[plan]) == set(AWKWARD)  # today affects nobody
    # each plan's own figures under its name (the closed school differs from plan to plan)
    changes = pd.read_excel(path, words["changes"], header=2, dtype={plan: str}).set_index(plan)
    for name, result in zip(AWKWARD, plans, strict=True):
        assert changes.loc[name].iloc[-1] == result.log(lang)["change"].iloc[0]


def test_sheet_names_made_fit_for_excel():
    assert sheet_names(["Plan B: close Zhushan"]) == ["Plan B_ close Zhushan"]
    forty = ["x" * 30 + "abcdefghij", "x" * 30 + "ABCDEFGHIJ", "x" * 30 + "klmnopqrst"]
    assert sheet_names(forty, room=20) == ["x" * 20, "x" * 18 + "~2", "x" * 18 + "~3"]
    assert sheet_names(["History", "plans", "'a'", ""], taken=["Plans"]) == ["History~2", "plans~2", "a", "_"]
    names = sheet_names(AWKWARD, room=25)
    _valid_sheet_names(names)
    assert all(len(n) <= 25 for n in names)
    emoji = sheet_names(["🏫" * 20])[0]  # Excel counts UTF-16 units: two per emoji
    assert emoji == "🏫" * 15


def test_write_excel_refuses_a_name_excel_would_refuse_or_cut(tmp_path):
    """Before, a name was cut at 31 characters, and a second sheet whose name was cut to the
    same wrote into the first."""
    frame = pd.DataFrame({"a": [1]})
    for bad in ({"x" * 32: frame}, {"a:b": frame}, {"Plans": frame, "plans": frame}, {"History": frame}):
        with pytest.raises(ValueError, match="sheet name"):
            write_excel(bad, tmp_path / "bad.xlsx")
    assert not (tmp_path / "bad.xlsx").exists()


def test_results_geopackage_keeps_plans_named_alike(demo, tmp_path):
    """GeoPackage layer names ignore case: before, "plan a" failed after "Plan A". The schools
    layers name their id column school_id (it was "index")."""
    plans = [planning.Scenario(demo, name).close(school).evaluate()
             for name, school in (("Plan A", "S05"), ("plan a", "S07"), ("Plan B: close S08", "S08"))]
    layers = dict(pyogrio.list_layers(results_gpkg(demo, plans, tmp_path / "plans.gpkg")))
    assert {"Plan A_villages", "plan a~2_villages", "Plan B: close S08_schools"} <= set(layers)
    schools = pyogrio.read_dataframe(tmp_path / "plans.gpkg", layer="plan a~2_schools")
    assert not schools.set_index("school_id").loc["S07", "open"]  # the second plan's own layer


def test_the_geopackage_names_villages_schools_and_sites_in_chinese(demo, tmp_path):
    """Every village and school layer keeps the planner's Chinese ``name`` beside the id, as
    the tables gave it (before, the schools layers had no name: ids alone in QGIS); a site
    opened by the plan is named as the sites file names it."""
    site = demo.sites.index[0]
    plan = planning.Scenario(demo, "open a site").open_site(site).evaluate()
    path = results_gpkg(demo, [planning.baseline(demo), plan], tmp_path / "plans.gpkg")
    for name in ("today", "open a site"):
        schools = pyogrio.read_dataframe(path, layer=f"{name}_schools").set_index("school_id")
        villages = pyogrio.read_dataframe(path, layer=f"{name}_villages")  # a row per village and level
        assert schools.loc[demo.schools.index, "name"].tolist() == demo.schools["name"].tolist()
        assert set(villages["village_id"]) == set(demo.villages.index)
        assert (villages["name"] == villages["village_id"].map(demo.villages["name"])).all()
    assert schools.loc[site, "name"] == demo.sites.loc[site, "name"]


def test_close_and_undo_are_different_words_in_chinese(demo):
    """撤销 meant both closing a school (the edit, its log, the optimiser's decision) and
    undoing the last edit: now a school is 撤并 (closed) and only undo is 撤销上一步."""
    texts = planning.i18n.catalogue()
    assert [key for key, text in texts.items() if "撤销" in text["zh"]] == ["app.undo"]
    assert texts["app.undo"]["zh"] == "撤销上一步"
    for key in ("edit_op.close", "decision.close", "status.closed", "app.action.close", "app.must_close"):
        assert "撤并" in texts[key]["zh"] or "关闭" in texts[key]["zh"], key
    plan = planning.Scenario(demo).close("S05")
    assert plan.log("zh")["change"].tolist() == ["撤并 S05 杨家坳村完小"]


def test_a_shortfall_with_more_than_ten_schools_names_them_and_the_shortfall():
    """Item 8: with more than 10 schools short of seats, zoning once crashed with
    ``ValueError: `lang` was 12`` (the number of schools to name was passed where the
    language goes) instead of saying which schools lack how many seats."""
    from .helpers import grades, project_on_line

    # 14 village primaries 300 m apart with 10 seats each, a village of 30 pupils (5 per grade) beside each
    schools = {f"S{i:02d}": {"x": 300.0 * i, "type": "village_primary", "capacity": 10, "classrooms": 6}
               for i in range(1, 15)}
    villages = {f"V{i:02d}": {"x": 300.0 * i, **grades(5)} for i in range(1, 15)}
    project = project_on_line(villages, schools, length_m=4500.0)
    with pytest.raises(planning.InfeasibleError) as caught:
        planning.Scenario(project).evaluate("zoned")
    named = [f"S{i:02d} 10" for i in range(1, 13)]  # the first 12 named, then how many more
    assert caught.value.text("en") == (
        "zoning is infeasible before solving: primary: 420 pupils but the open schools teaching it have 140 seats "
        f"({', '.join(named)} and 2 more): short by 280; expand a school or open a site")
    assert caught.value.text("zh") == (
        f"无法整村划片：小学：420 名学生，但开设该学段的学校只有 140 个学位（{'、'.join(named)}等另外 2 个）："
        "缺 280 个；请扩建学校或启用校址")
