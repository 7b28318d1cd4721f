"""The school table, the village detail, the edits of seats and pupils, the upload summary:
the library edits on a project worked out on paper, the app through AppTest in both languages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import planning
from planning import app as logic
from planning.edits import make_edit
from planning.i18n import field, localise, school_type, t

from .demo_facts import TEACHES, metres_from_road
from .helpers import choose_lang, grades, project_on_line
from .test_app import frame_with

# ---------------------------------------------------------------------------- library


@pytest.fixture(scope="module")
def line() -> planning.Project:
    """Village A (10 pupils in each primary grade) at 0 m, school S1 at 100 m (100 seats, 6
    classrooms), school S2 at 2,000 m: everyone walks to S1 (1.5 minutes)."""
    return project_on_line({"A": {"x": 0, **grades(10)}},
                           {"S1": {"x": 100, "type": "village_primary", "capacity": 100, "classrooms": 6, "beds": 0},
                            "S2": {"x": 2000, "type": "village_primary", "capacity": 100, "classrooms": 6, "beds": 0}})


def test_set_school_sets_seats_classrooms_and_beds_that_evaluation_uses(line):
    today = planning.Scenario(line).evaluate()
    assert not today.schools.at["S1", "over_capacity"] and today.schools.at["S1", "classroom_shortfall"] == 0
    plan = planning.Scenario(line).set_school("S1", capacity=50, classrooms=1)
    result = plan.evaluate()
    s1 = result.schools.loc["S1"]
    # 60 pupils in 50 seats: 10 short; 6 grades of 10 pupils fill 6 classes in 1 classroom: 5 short
    assert (s1["capacity"], s1["pupils"], s1["seats_short"], bool(s1["over_capacity"])) == (50, 60, 10, True)
    assert (s1["classrooms"], s1["classroom_shortfall"]) == (1, 5)
    assert s1["beds"] == 0  # not given: as it was
    assert result.summary["schools_over_capacity"] == 1 and today.summary["schools_over_capacity"] == 0
    again = plan.set_school("S1", capacity=80)  # set, not added: 80 seats, not 130
    assert again.evaluate().schools.at["S1", "capacity"] == 80
    assert again.evaluate().schools.at["S1", "classrooms"] == 1


def test_set_pupils_sets_a_grade_or_scales_a_village_in_order(line):
    base = planning.Scenario(line)
    grade = base.set_pupils("A", grade=3, pupils=25).evaluate()
    flows = grade.flows.groupby("grade")["pupils"].sum()
    assert flows[3] == 25 and flows[2] == 10 and grade.summary["pupils"] == 75  # 60 − 10 + 25
    both = base.set_pupils("A", scale=2).set_pupils("A", grade=3, pupils=25).evaluate()
    assert both.summary["pupils"] == 2 * 60 - 20 + 25
    other_way = base.set_pupils("A", grade=3, pupils=25).set_pupils("A", scale=2).evaluate()
    assert other_way.summary["pupils"] == 2 * 75
    half = base.set_pupils("A", grade=1, scale=0.5).evaluate()
    assert half.flows.groupby("grade")["pupils"].sum()[1] == 5
    assert base.evaluate().summary["pupils"] == 60  # today's layout keeps today's pupils
    assert line.villages.at["A", "primary_pupils"] == 60  # the project never changes


def test_a_village_scaled_scales_its_forecast_pupils_in_every_year(demo):
    fc = planning.forecast(demo, planning.demo_history(), births=planning.demo_births())
    village = demo.villages.index[0]
    plain = planning.Scenario(demo).evaluate_years(fc, years=fc.years[:2])
    scaled = planning.Scenario(demo).set_pupils(village, scale=2).evaluate_years(fc, years=fc.years[:2])
    for year in fc.years[:2]:
        extra = fc.of_year(year).loc[village].sum()  # doubled: the village's pupils of that year once more
        assert scaled.results[year].summary["pupils"] == pytest.approx(plain.results[year].summary["pupils"] + extra)


def test_new_edits_round_trip_through_a_scenario_file(line, tmp_path):
    plan = (planning.Scenario(line, "counted").set_school("S1", beds=20).set_pupils("A", scale=1.5)
            .set_pupils("A", grade=6, pupils=0))
    path = plan.to_file(tmp_path / "plan.yaml")
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written["edits"] == [{"op": "set_school", "school": "S1", "beds": 20.0},
                                {"op": "set_pupils", "village": "A", "scale": 1.5},
                                {"op": "set_pupils", "village": "A", "grade": 6, "pupils": 0.0}]
    again = planning.Scenario.from_file(path, line)
    assert again.edits == plan.edits
    assert again.evaluate().summary["pupils"] == plan.evaluate().summary["pupils"] == 60 * 1.5 - 15
    assert again.evaluate().schools.at["S1", "beds"] == 20
    assert plan.log("zh")["change"].tolist() == ["调整 S1 S1（床位 20）", "A A 学生数乘以 1.5", "A A 6 年级学生数改为 0"]
    assert plan.log("en")["change"].tolist() == ["set S1 S1 (20 beds)", "multiply the pupils of A A by 1.5",
                                                 "set grade 6 pupils of A A to 0"]


@pytest.mark.parametrize(("op", "fields", "zh", "en"), [
    ("set_school", {"school": "S1"}, "须至少给出学位、教室或床位中的一项新数字",
     "give a new figure for seats, classrooms or beds"),
    ("set_school", {"school": "S1", "capacity": -5}, "capacity：应不小于 0", "capacity: must be at least 0"),
    ("set_pupils", {"village": "A", "pupils": 5}, "给出学生数时须指明年级", "pupils are set for one grade"),
    ("set_pupils", {"village": "A", "grade": 2, "pupils": 5, "scale": 2}, "须给出学生数（pupils）或倍数（scale）之一",
     "give either the pupils or a factor"),
    ("set_pupils", {"village": "A", "scale": -1}, "scale：应不小于 0", "scale: must be at least 0"),
    ("set_pupils", {"village": "A", "grade": 10, "scale": 2}, "grade：应不大于 9", "grade: must be at most 9"),
])
def test_bad_values_of_the_new_edits_are_told_in_both_languages(op, fields, zh, en):
    with pytest.raises(planning.ValidationError) as caught:
        make_edit(op, **fields)
    assert zh in caught.value.text("zh") and en in caught.value.text("en")
    assert len(caught.value.problems) == 1  # a figure below zero is not also "nothing given"


def test_new_edits_are_checked_against_the_project(line):
    with pytest.raises(planning.ValidationError) as caught:
        planning.Scenario(line).set_pupils("B", scale=2)
    assert "unknown villages B" in caught.value.text("en") and "未知" in caught.value.text("zh")
    with pytest.raises(planning.ValidationError) as closed:
        planning.Scenario(line).close("S1").set_school("S1", capacity=10)
    assert "S1" in closed.value.text("en")


# ------------------------------------------------------------------------ app logic


def test_school_table_loads_are_pupils_over_seats(demo):
    plan = planning.Scenario(demo).close("S05").evaluate()
    table = logic.school_table(plan, "primary", "en")
    open_primary = [sid for sid, row in demo.schools.iterrows()
                    if row["type"] in TEACHES["primary"] | {"teaching_point"} and sid != "S05"]
    assert sorted(table.index) == sorted(open_primary)
    served = plan.flows[plan.flows["mode"] != "unserved"]  # an unserved pupil is no school's
    pupils = served.groupby("school_id")["pupils"].sum()  # all the school's pupils, both levels
    for sid in table.index:
        assert table.at[sid, "pupils"] == pytest.approx(pupils[sid])
        assert table.at[sid, "load"] == pytest.approx(pupils[sid] / demo.schools.at[sid, "capacity"])
        assert table.at[sid, "over_capacity"] == ("yes" if pupils[sid] > demo.schools.at[sid, "capacity"] else "no")
        assert table.at[sid, "type"] == school_type(demo.schools.at[sid, "type"], "en")


def test_village_detail_rows_are_the_plan_s_flows(demo):
    today = planning.baseline(demo)
    plan = planning.Scenario(demo).close("S08").evaluate()
    village = plan.flows.loc[plan.flows["school_id"] == "S04", "village_id"].iloc[0]  # one S08's pupils now reach
    detail = logic.village_detail(plan, today, village)
    flows = plan.flows[plan.flows["village_id"] == village]
    assert len(detail) == len(flows)
    assert detail.groupby("in_grade")["pupils"].sum().to_dict() == flows.groupby("grade")["pupils"].sum().to_dict()
    limits = demo.policy.grade_limits()
    for _, row in detail.iterrows():
        match = flows[(flows["grade"] == row["in_grade"]) & (flows["pupils"] == row["pupils"])].iloc[0]
        assert row["school_after"].split()[0] == match["school_id"] and row["mode_after"] == match["mode"]
        assert row["walk_minutes"] == pytest.approx(match["walk_minutes"], nan_ok=True)
        assert row["grade_limit"] == limits[row["in_grade"] - 1]
        before = today.flows[(today.flows["village_id"] == village) & (today.flows["grade"] == row["in_grade"])]
        assert row["school_before"].split()[0] == before.sort_values("pupils").iloc[-1]["school_id"]


def test_a_village_clicked_on_the_map_is_found_and_a_school_is_not(demo):
    for vid, point in demo.villages.geometry.items():
        assert logic.clicked_village(demo, point.y, point.x) == vid
    school = demo.schools.geometry.iloc[0]
    assert logic.clicked_village(demo, school.y, school.x) is None
    for vid, point in demo.villages.geometry.items():  # on its circle, 50 m north of its centre (0.00045°)
        assert logic.clicked_village(demo, point.y + 0.00045, point.x) == vid
    first = demo.villages.geometry.iloc[0]
    assert logic.clicked_village(demo, first.y + 0.01, first.x) is None  # 1.1 km off: no village's marker


def test_upload_summary_counts_the_tables(demo):
    for lang in ("zh", "en"):
        summary = dict(logic.upload_summary(demo, lang).itertuples(index=False))
        assert summary[field("villages", lang)] == f"{len(demo.villages):,}"
        assert summary[field("primary_pupils", lang)] == f"{demo.villages['primary_pupils'].sum():,.0f}"
        assert summary[t("app.summary.schools", lang)] == f"{len(demo.schools):,}"
        for kind, n in demo.schools["type"].value_counts().items():
            assert summary[t("app.summary.of_type", lang, type=school_type(kind, lang))] == f"{n:,}"
        assert summary[t("app.summary.sites", lang)] == f"{len(demo.sites):,}"
        far = metres_from_road(demo, demo.villages)
        far = far[far > demo.policy.far_from_road_m]
        line = summary[t("app.summary.far_from_road", lang)]
        assert line.startswith(f"{len(far)}") and all(demo.villages.at[v, "name"] in line for v in far.index)
        assert summary[t("app.summary.coords", lang, table=t("table.villages", lang))] == t("coords.wgs84", lang)


def test_upload_summary_of_files_read_as_gcj02_with_pupils_estimated(tmp_path):
    from planning.load import DEMO_FOLDER

    table = pd.read_csv(DEMO_FOLDER / "villages.csv", dtype={"村编号": str})
    grades_zh = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级"]
    table.loc[table.index[:2], grades_zh] = np.nan  # two villages without counts: estimated from 户籍人口
    table.to_csv(tmp_path / "villages.csv", index=False)
    with pytest.warns(planning.DataWarning):
        project = planning.from_files(villages=tmp_path / "villages.csv", schools=DEMO_FOLDER / "schools.csv",
                                      roads=DEMO_FOLDER / "roads.gpkg", coords={"villages": "gcj02"})
    for lang in ("zh", "en"):
        summary = dict(logic.upload_summary(project, lang).itertuples(index=False))
        assert summary[t("app.summary.estimated", lang)] == "2"
        assert summary[t("app.summary.coords", lang, table=t("table.villages", lang))] == t("coords.gcj02", lang)
        assert summary[t("app.summary.coords", lang, table=t("table.schools", lang))] == t("coords.wgs84", lang)
        assert t("app.summary.coords", lang, table=t("table.sites", lang)) not in summary  # no sites given
        far = metres_from_road(project, project.villages)  # where the converted points lie
        far = far[far > project.policy.far_from_road_m]
        assert summary[t("app.summary.far_from_road", lang)].startswith(f"{len(far)}")


# ----------------------------------------------------------------------------- app



def open_tables(app, lang: str) -> None:
    choose_lang(app, lang)
    app.segmented_control(key="view").set_value("tables").run()
    assert not app.exception, [e.value for e in app.exception]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_school_table_in_the_app(app, demo, lang):
    open_tables(app, lang)
    table = frame_with(app, field("load", lang))
    flows = planning.baseline(demo).flows
    pupils = flows[flows["mode"] != "unserved"].groupby("school_id")["pupils"].sum()
    assert len(table) == sum(demo.schools["type"].isin(TEACHES["primary"] | {"teaching_point"}))
    for sid, row in table.iterrows():
        assert row[field("load", lang)] == pytest.approx(100 * pupils[sid] / demo.schools.at[sid, "capacity"])  # %
        assert row[field("capacity", lang)] == demo.schools.at[sid, "capacity"]
    assert pd.api.types.is_numeric_dtype(table[field("load", lang)])  # sorted as numbers


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_setting_a_school_s_seats_in_the_app_flags_it_is_logged_and_undone(app, demo, lang):
    open_tables(app, lang)
    school = "S04"
    flows = planning.baseline(demo).flows
    pupils = flows[flows["mode"] != "unserved"].groupby("school_id")["pupils"].sum()[school]
    app.selectbox(key="fig_school").set_value(school).run()
    app.number_input(key=f"fig_capacity_{school}").set_value(int(pupils) - 10).run()
    app.button(key="apply_figures").click().run()
    assert not app.exception
    over = frame_with(app, field("load", lang)).at[school, field("over_capacity", lang)]
    assert over == t("yes", lang)
    plan = app.session_state["scenario"]
    assert plan.edits[-1].to_dict() == {"op": "set_school", "school": school, "capacity": pupils - 10}
    assert yaml.safe_load(yaml.safe_dump(plan.to_dict(), allow_unicode=True))["edits"][-1]["op"] == "set_school"
    words = plan.log(lang)["change"].iloc[-1]
    assert any(words in m.value for m in app.markdown)
    app.button(key="undo_tables").click().run()
    assert frame_with(app, field("load", lang)).at[school, field("over_capacity", lang)] == t("no", lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_village_grade_by_grade_and_its_pupils_scaled(app, demo, lang):
    open_tables(app, lang)
    village = demo.villages.index[1]
    app.selectbox(key="detail_village").set_value(village).run()
    detail = frame_with(app, field("grade_limit", lang))
    flows = planning.baseline(demo).flows
    flows = flows[flows["village_id"] == village]
    assert detail[field("pupils", lang)].sum() == flows["pupils"].sum()
    expected = localise(pd.DataFrame({"mode_after": flows.sort_values(["grade", "pupils"], ascending=[True, False])
                                      ["mode"].astype(str)}), lang)
    assert detail[field("mode_after", lang)].tolist() == expected[field("mode_after", lang)].tolist()
    app.number_input(key="pupils_value_scale").set_value(2.0).run()
    app.button(key="apply_pupils").click().run()
    doubled = frame_with(app, field("grade_limit", lang))
    assert np.allclose(doubled.groupby(field("in_grade", lang))[field("pupils", lang)].sum(),
                       2 * flows.groupby("grade")["pupils"].sum())
    assert app.session_state["scenario"].edits[-1].to_dict() == {"op": "set_pupils", "village": village, "scale": 2.0}
    assert any(app.session_state["scenario"].log(lang)["change"].iloc[-1] in m.value for m in app.markdown)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_upload_summary_in_the_app(app, demo, lang):
    choose_lang(app, lang)
    title = t("app.summary", lang, villages=f"{len(demo.villages):,}", schools=f"{len(demo.schools):,}",
              km=f"{demo.network.seg_length.sum() / 1000:,.1f}")
    assert title in [e.label for e in app.expander]
    [shown] = [table.value for table in app.table if t("app.summary.value", lang) in table.value.columns]
    assert shown.at[t("app.summary.schools", lang), t("app.summary.value", lang)] == f"{len(demo.schools):,}"
    assert shown.at[field("villages", lang), t("app.summary.value", lang)] == f"{len(demo.villages):,}"
