"""English outputs name places one way: the planner's pinyin (拼音 / name_pinyin) where the
tables give it, the Chinese name otherwise; Chinese outputs the Chinese name; ids unchanged
(issue 17). Before, the plan report printed "Xikou Village Primary" while the English app's
tables and charts and the English Excel workbook said 溪口村完小."""

from __future__ import annotations

import pandas as pd
import pytest

import planning
import planning.cli
from planning import app as logic
from planning.i18n import field, name_words, shown_names, t, with_names
from planning.report import excel_report

CONSOLIDATE_5 = planning.load.DEMO_FOLDER / "scenarios" / "consolidate_5.yaml"


def expected(table: pd.DataFrame, lang: str) -> pd.Series:
    """The names a reader of ``lang`` reads, recomputed from the table's own columns."""
    if lang == "zh":
        return table["name"].astype(str)
    return pd.Series([p if isinstance(p, str) and p.strip() else n for n, p in zip(
        table["name"], table["name_pinyin"], strict=True)], index=table.index)


def test_the_rule_by_hand():
    table = pd.DataFrame({"name": ["溪口村完小", "云盘村", "茶园村"], "name_pinyin": ["Xikou Village Primary", None, " "]},
                         index=["S1", "V1", "V2"])
    assert shown_names(table, "en").tolist() == ["Xikou Village Primary", "云盘村", "茶园村"]
    assert shown_names(table, "zh").tolist() == ["溪口村完小", "云盘村", "茶园村"]
    words = name_words(table, None, lang="en")
    assert words == {"溪口村完小": "Xikou Village Primary"} and name_words(table, lang="zh") == {}
    shown = with_names(pd.DataFrame({"name": ["溪口村完小", "云盘村"], "to (name)": ["溪口村完小", "x"],
                                     "school": ["溪口村完小", "S1"]}, index=["S1", "V1"]), words)
    assert shown.to_dict("list") == {"name": ["Xikou Village Primary", "云盘村"],
                                     "to (name)": ["Xikou Village Primary", "x"],
                                     "school": ["溪口村完小", "S1"]}  # not a name column: left as it is
    assert shown.index.tolist() == ["S1", "V1"]


@pytest.fixture(scope="module")
def results(demo):
    return planning.baseline(demo), planning.Scenario.from_file(CONSOLIDATE_5, demo).evaluate()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_app_s_school_and_village_tables_and_chart_name_places_as_the_report(demo, results, lang):
    today, plan = results
    schools = logic.school_table(plan, "primary", lang)
    want = expected(demo.schools, lang)
    assert schools["name"].tolist() == want[schools.index].tolist()
    assert (schools["name"] != demo.schools.loc[schools.index, "name"]).any() == (lang == "en")
    rows = logic.named(logic.village_rows(plan, "primary"), demo, lang)
    ids = rows.index.get_level_values("village_id")
    assert rows["name"].tolist() == expected(demo.villages, lang)[ids].tolist()
    bars = logic.pupils_per_school([today, plan], lang)
    sid = bars["school"].str.extract(r"\((\w+)\)$")[0]
    assert bars["school"].tolist() == [f"{want[s]} ({s})" for s in sid]
    if lang == "en":  # the report's words, by its own function
        from planning.plan_report import names_of

        assert names_of(demo.schools, "en")[schools.index].tolist() == schools["name"].tolist()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_excel_workbook_names_places_as_the_report(demo, results, lang, tmp_path):
    today, plan = results
    path = excel_report(demo, [today, plan], tmp_path / "r.xlsx", lang=lang)
    kind = t("report.sheet", lang, plan=planning.i18n.plan_name(today.name, lang), kind=t("report.schools", lang))
    sid, name = field("school_id", lang), field("name", lang)
    schools = pd.read_excel(path, kind, header=2, dtype={sid: str})
    assert schools[sid].tolist() == today.schools.index.tolist()  # ids unchanged
    assert schools[name].tolist() == expected(demo.schools, lang)[schools[sid]].tolist()
    kind = t("report.sheet", lang, plan=planning.i18n.plan_name(plan.name, lang), kind=t("report.villages", lang))
    vid = field("village_id", lang)
    villages = pd.read_excel(path, kind, header=2, dtype={vid: str})
    assert villages[name].tolist() == expected(demo.villages, lang)[villages[vid]].tolist()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_s_labels_and_tooltips_name_places_as_the_report(demo, results, lang):
    """The interactive map (the app's and the exported page): schools' labels and tooltips,
    villages' labels and tooltips, the difference map's tooltips, in the pinyin of the
    tables in English (before: the Chinese names, as the English app shows them)."""
    from html import escape

    from planning.maps import difference_map, result_map

    def bold(name: str) -> str:  # a tooltip's name, as the page's JSON holds it
        return f"<b>{escape(name)}<\\/b>"

    today, plan = results
    html = result_map(demo, plan, lang=lang).get_root().render()
    diff = difference_map(demo, today, plan, lang=lang).get_root().render()
    for table in (demo.schools, demo.villages):
        shown, chinese = expected(table, lang), table["name"].astype(str)
        assert all(f">{escape(n)}<" in html for n in shown), [n for n in shown if f">{escape(n)}<" not in html]
        assert all(bold(n) in html for n in shown), [n for n in shown if bold(n) not in html]
        replaced = chinese[shown != chinese]
        assert replaced.empty == (lang == "zh")
        assert not any(f">{name}<" in html or bold(name) in html for name in replaced)
    changed = planning.village_changes(today, plan).xs("primary", level="level")
    moved = changed[changed["outcome"] != "same"]
    for vid in moved.index.get_level_values("village_id").unique():
        assert bold(expected(demo.villages, lang)[vid]) in diff


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_app_s_pickers_name_places_as_the_report(demo, results, lang):
    """The school and village pickers of the editor and the village panel (ids first, as
    before)."""
    _, plan = results
    schools, villages = expected(demo.schools, lang), expected(demo.villages, lang)
    for sid, label in logic.school_choices(plan, lang).items():
        row = plan.schools.loc[sid]
        assert label == t("app.school_label", lang, id=sid, name=schools[sid], type=planning.i18n.school_type(
            row["type"], lang))
    assert logic.village_choices(demo, lang) == {vid: f"{vid} {villages[vid]}" for vid in demo.villages.index}


def test_the_years_view_names_schools_as_the_report(demo):
    """The chart of pupils by school over the years and the small-school table."""
    fc = planning.forecast(demo, planning.demo_history(), births=planning.demo_births(), horizon=2)
    timeline = planning.Scenario(demo).evaluate_years(fc)
    names = expected(demo.schools, "en")
    chart = logic.school_pupils(timeline, words=logic.place_words(demo, "en"))
    assert list(chart.columns) == [f"{c.split()[0]} {names[c.split()[0]]}" for c in chart.columns]
    assert list(logic.school_pupils(timeline).columns) == [f"{c.split()[0]} {demo.schools.loc[c.split()[0], 'name']}"
                                                          for c in chart.columns]  # the Chinese, without words
    small = logic.named(logic.small_from_table(timeline, "en"), demo, "en")
    assert small[field("name", "en")].tolist() == names[small.index].tolist()


def test_the_optimise_workbook_names_places_as_the_report(demo, tmp_path, capsys):
    """`planning optimise --lang en` writes its schools and villages sheets with the pinyin."""
    import openpyxl

    assert planning.cli.main(["optimise", "--demo", "--goal", "fewest_schools", "--out", str(tmp_path),
                              "--lang", "en"]) == 0
    capsys.readouterr()
    (path,) = tmp_path.glob("*.xlsx")
    book = openpyxl.load_workbook(path)
    for kind, table in (("schools", demo.schools), ("villages", demo.villages)):
        rows = list(book[t(f"report.{kind}", "en")].values)
        header = next(i for i, row in enumerate(rows) if field("name", "en") in row)
        at, ids = rows[header].index(field("name", "en")), rows[header].index(field(f"{kind[:-1]}_id", "en"))
        body = [row for row in rows[header + 1:] if row[ids] is not None]
        assert body and all(row[at] == expected(table, "en")[str(row[ids])] for row in body), body[:2]


def test_the_teacher_views_name_schools_as_the_report(demo, results):
    """The staffing table, the exchange's moves and schools, the alliances' groups and schools
    ("S01 name" labels) in English with the pinyin (words from place_words)."""
    today, _ = results
    names, chinese = expected(demo.schools, "en"), demo.schools["name"]
    words = logic.place_words(demo, "en")

    def labelled(labels) -> bool:  # every "S01 name" label with the shown name, none with the Chinese
        ids = [str(label).split()[0] for label in labels]
        return all(str(label).startswith(f"{sid} {names[sid]}") for label, sid in zip(labels, ids, strict=True))

    assert labelled(logic.staffing_table(today, "en").index)
    exchange = logic.propose_exchange(today, logic.ExchangeRules(share=0.1, key_share=0.2))
    assert not isinstance(exchange, planning.PlanningError)
    assert labelled(logic.exchange_school_rows(exchange, "en", words=words).index)
    moves = logic.moves_rows(exchange, "en", words=words)
    for column in (field("from_school", "en"), field("to_school", "en")):
        assert len(moves) and labelled(moves[column])
    found = logic.form_alliances(today, logic.AllianceRules(cores=("S01", "S03")))
    assert not isinstance(found, planning.PlanningError)
    assert labelled(logic.alliance_group_rows(found, "en", words=words).index)
    schools = logic.alliance_school_rows(found, "en", words=words)
    assert labelled(schools.index)
    cores = [c for c in schools[field("core", "en")] if c]
    assert cores and labelled(cores)
    assert not labelled(logic.alliance_school_rows(found, "en").index) or (names == chinese).all()  # words matter


def test_a_plans_edits_name_places_as_the_reader_reads_them(demo):
    """The edits of a plan (the app's list, the change log, the Excel 'plan changes' sheet)
    said "merge S08 溪口村完小 into S04 石门村完小" in English."""
    from planning.edits import edit_log

    plan = planning.Scenario(demo, "plan").merge("S08", into="S04").add_bus("S06", villages=["V11"])
    names = {lang: {**expected(demo.schools, lang).to_dict(), **expected(demo.villages, lang).to_dict()}
             for lang in ("zh", "en")}
    for lang in ("zh", "en"):
        n = names[lang]
        log = edit_log(demo, plan.edits, lang=lang)["change"].tolist()
        assert log == [t("edit.merge", lang, school=f"S08 {n['S08']}", into=f"S04 {n['S04']}"),
                       t("edit.add_bus", lang, villages=f"V11 {n['V11']}", school=f"S06 {n['S06']}", ride="40")]
        assert plan.log(lang)["change"].tolist() == log
    assert names["en"]["S08"] == "Xikou Village Primary"


def test_a_refused_edit_names_the_school_in_the_readers_language(demo):
    """"close S08 Xikou Village Primary: school 'S08' (溪口村完小) is merged" mixed the two."""
    import re

    from planning.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        planning.Scenario(demo, "plan").merge("S08", into="S04").close("S08")
    words = {lang: " ".join(p.text(lang) for p in caught.value.problems) for lang in ("zh", "en")}
    assert "Xikou Village Primary" in words["en"] and not re.search(r"[\u4e00-\u9fff]", words["en"])
    assert "（溪口村完小）" in words["zh"]
