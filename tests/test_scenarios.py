"""Scenarios: hand-computed cases, bad scenario files, persistence and the demo consolidation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import planning
from planning import InfeasibleError, Scenario, ValidationError, compare, village_changes
from planning.cli import main
from planning.indicators import balance

from .conftest import ROOT
from .demo_facts import closed_by, schools_open_after
from .helpers import grades, project_on_line
from .invariants import affected_pairs

MIN_PER_100M = 1.5
PRIMARY = {"type": "村完小", "capacity": 500, "classrooms": 6}


def test_closing_a_school_sends_its_pupils_to_the_next_nearest():
    project = project_on_line({"V": {"x": 0, **grades(10)}},
                              {"A": {"x": 100, **PRIMARY}, "B": {"x": 300, **PRIMARY}, "C": {"x": 900, **PRIMARY}})
    today = planning.baseline(project)
    assert today.villages.loc[("V", "primary"), "school"] == "A"
    closed = planning.Scenario(project, "close A").close("A").evaluate()
    row = closed.villages.loc[("V", "primary")]
    assert row["school"] == "B"
    assert row["minutes"] == pytest.approx(3 * MIN_PER_100M)
    assert closed.schools.loc["A", "status"] == "closed" and closed.schools.loc["A", "pupils"] == 0
    assert closed.schools.loc["B", "pupils"] == 60
    changes = village_changes(today, closed).loc[("V", "primary", "1–6")]  # one band: all six grades alike
    assert changes["outcome"] == "loses its school"
    assert changes["minutes_before"] == pytest.approx(MIN_PER_100M)
    assert changes["change"] == pytest.approx(2 * MIN_PER_100M)


def test_a_full_school_forces_the_overflow_to_the_second_choice():
    project = project_on_line({"V1": {"x": 0, **grades(10)}, "V2": {"x": 200, **grades(10)}},
                              {"A": {"x": 100, "type": "村完小", "capacity": 70}, "B": {"x": 400, "type": "村完小",
                                                                                     "capacity": 200}})
    nearest = planning.baseline(project, "nearest")
    assert nearest.schools.loc["A", "pupils"] == 120
    assert nearest.schools.loc["A", "seats_short"] == 50 and nearest.summary["schools_over_capacity"] == 1
    assert any("A A is over capacity: 120 pupils for 70 seats" in n for n in nearest.explanations)
    zoned = planning.baseline(project, "zoned")
    # V1→A, V2→B costs 60×1.5 + 60×3 = 270 pupil-minutes; the other way 60×1.5 + 60×6 = 450
    assert zoned.villages.loc[("V1", "primary"), "school"] == "A"
    assert zoned.villages.loc[("V2", "primary"), "school"] == "B"
    assert zoned.summary["schools_over_capacity"] == 0
    assert zoned.solver.status == "Optimal"
    assert zoned.solver.pupil_minutes == pytest.approx(60 * 1.5 + 60 * 3.0)
    split = planning.baseline(project, "split")  # a village may be divided: A fills to its 70 seats
    assert split.schools.loc["A", "pupils"] == pytest.approx(70)
    assert split.summary["pupil_minutes"] == pytest.approx(60 * 1.5 + 10 * 1.5 + 50 * 3.0)


def test_grades_1_to_3_never_board():
    project = project_on_line({"far": {"x": 0, **grades(10)}},
                              {"A": {"x": 4000, "type": "中心小学", "capacity": 500, "beds": 100}})
    result = planning.baseline(project)
    flows = result.flows.groupby("grade", observed=True)["mode"].first().astype(str)
    assert flows.loc[[1, 2, 3]].tolist() == ["unserved"] * 3  # 60 minutes' walk, too young to board
    assert flows.loc[[4, 5, 6]].tolist() == ["board"] * 3
    assert result.summary["boarders"] == 30 and result.summary["unserved"] == 30
    assert any("grades 1–3" in n and "may not board" in n for n in result.explanations)
    assert any("1–3 年级" in n and "4 年级以下不得寄宿" in n for n in result.explain("zh"))  # the app in Chinese
    older = project_on_line({"far": {"x": 0, **grades(10)}},
                            {"A": {"x": 4000, "type": "中心小学", "capacity": 500, "beds": 100}},
                            boarding_min_grade=1)
    assert planning.baseline(older).summary["boarders"] == 60


def test_beds_go_to_the_longest_walks_and_run_out():
    project = project_on_line({"V1": {"x": 0, **grades(10, [4, 5, 6])}, "V2": {"x": 1000, **grades(10, [4, 5, 6])}},
                              {"A": {"x": 4000, "type": "中心小学", "capacity": 500, "beds": 40}})
    result = planning.baseline(project)
    assert result.villages.loc[("V1", "primary"), "board"] == 30  # walks 60 min: beds first
    assert result.villages.loc[("V2", "primary"), "board"] == 10  # 45 min: the 10 beds left
    assert result.villages.loc[("V2", "primary"), "unserved"] == 20


def test_a_bus_brings_a_far_village_within_the_limit():
    project = project_on_line({"far": {"x": 0, **grades(10)}}, {"A": {"x": 4000, "type": "中心小学", "capacity": 500}})
    assert planning.baseline(project).summary["unserved"] == 60
    result = planning.Scenario(project, "bus").add_bus("A", villages=["far"], max_ride=20).evaluate()
    row = result.villages.loc[("far", "primary")]
    assert row["mode"] == "bus" and row["bus"] == 60
    assert row["ride_minutes"] == pytest.approx(4.0 / 30 * 60)  # 4 km at 30 km/h
    assert result.summary["unserved"] == 0 and result.summary["bus_riders"] == 60
    too_short = planning.Scenario(project, "bus").add_bus("A", villages=["far"], max_ride=5).evaluate()
    assert too_short.summary["unserved"] == 60


def test_total_capacity_below_total_pupils_names_the_schools_and_shortfall():
    project = project_on_line({"V": {"x": 0, **grades(30)}},
                              {"A": {"x": 100, "type": "村完小", "capacity": 80}, "B": {"x": 300, "type": "村完小",
                                                                                    "capacity": 50}})
    with pytest.raises(InfeasibleError, match=r"primary: 180 pupils but the open schools teaching it have 130 seats "
                                              r"\(A 80, B 50\): short by 50; expand a school or open a site") as info:
        planning.baseline(project, "zoned")
    assert info.value.text("zh") == ("无法整村划片：小学：180 名学生，但开设该学段的学校只有 130 个学位（A 80、B 50）：缺 50 个；"
                                     "请扩建学校或启用校址")
    assert planning.Scenario(project, "x").expand("B", capacity=50).evaluate("zoned").summary["schools_over_capacity"] == 0


def test_teaching_point_sends_grades_4_to_6_on():
    project = project_on_line({"V": {"x": 0, **grades(10)}},
                              {"A": {"x": 100, **PRIMARY}, "B": {"x": 600, **PRIMARY}})
    result = planning.Scenario(project, "tp").teaching_point("A", grades=(1, 2, 3)).evaluate()
    by_grade = result.flows.set_index("grade")["school_id"]
    assert by_grade.loc[[1, 2, 3]].tolist() == ["A"] * 3
    assert by_grade.loc[[4, 5, 6]].tolist() == ["B"] * 3
    assert result.schools.loc["A", "status"] == "teaching point"
    assert result.villages.loc[("V", "primary"), "schools"] == "A · B"


def test_merge_moves_pupils_and_teachers_to_the_target():
    resources = {"teachers_above_qualification": 4, "key_teachers": 1, "pe_arts_teachers": 1,
                 "teaching_area_m2": 300, "sports_area_m2": 600, "equipment_value_yuan": 120000,
                 "multimedia_classrooms": 2}
    project = project_on_line({"V": {"x": 0, **grades(10)}, "W": {"x": 2000, **grades(10)}},
                              {"A": {"x": 100, **PRIMARY, **resources}, "C": {"x": 400, **PRIMARY, **resources},
                               "B": {"x": 2000, **PRIMARY, **resources}})
    scenario = planning.Scenario(project, "merge").merge("A", into="B")
    result = scenario.evaluate()
    assert result.villages.loc[("V", "primary"), "school"] == "B"  # follows the merge, not the nearer C
    assert scenario.state.schools.loc["B", "key_teachers"] == 2
    assert scenario.state.schools.loc["A", "key_teachers"] == 0
    assert scenario.state.schools.loc["B", "teaching_area_m2"] == 300  # buildings do not move
    assert result.indicators.loc["B", "key_teachers"] == pytest.approx(2 / 120 * 100)
    assert planning.baseline(project).indicators.loc["B", "key_teachers"] == pytest.approx(1 / 60 * 100)
    assert project.schools.loc["B", "key_teachers"] == 1  # the project is never changed


def test_open_site_and_undo():
    project = project_on_line({"V": {"x": 0, **grades(10)}}, {"A": {"x": 3000, **PRIMARY}},
                              sites={"N": {"x": 200, "capacity": 300, "classrooms": 6}})
    opened = planning.Scenario(project, "new").open_site("N", beds=20)
    result = opened.evaluate()
    assert result.villages.loc[("V", "primary"), "school"] == "N"
    assert result.schools.loc["N", "status"] == "new" and result.schools.loc["N", "capacity"] == 300
    assert opened.undo().evaluate().villages.loc[("V", "primary"), "school"] == "A"
    assert list(opened.log()["change"]) == ["open site N N (20 beds)"]


def test_classes_and_classroom_shortfall():
    project = project_on_line({"V": {"x": 0, **grades(46)}}, {"A": {"x": 100, "type": "村完小", "classrooms": 10}})
    school = planning.baseline(project).schools.loc["A"]
    assert school["classes_needed"] == 12  # 46 pupils per grade need 2 classes of at most 45
    assert school["classroom_shortfall"] == 2


def test_balance_is_the_pupil_weighted_coefficient_of_variation():
    indicators = pd.DataFrame({name: [np.nan] * 3 for name in planning.policy.INDICATORS}, index=["a", "b", "c"])
    indicators["key_teachers"] = [1.0, 2.0, 3.0]
    pupils = pd.DataFrame({"primary": [100, 100, 200], "junior": [0, 0, 0]}, index=["a", "b", "c"])
    table = balance(indicators, pupils, planning.Policy())
    mean = (1 * 100 + 2 * 100 + 3 * 200) / 400
    sd = np.sqrt((100 * (1 - mean) ** 2 + 100 * (2 - mean) ** 2 + 200 * (3 - mean) ** 2) / 400)
    assert table.loc[("primary", "key_teachers"), "cv"] == pytest.approx(sd / mean)
    assert table.loc[("primary", "key_teachers"), "ok"]


# ---------------------------------------------------------------------- bad scenario files
@pytest.mark.parametrize(("edits", "message"), [
    ([{"op": "close", "school": "S99"}], r"edit 1 \(close S99\): unknown school 'S99'; the schools are S01"),
    ([{"op": "close", "school": "S08"}, {"op": "merge", "school": "S05", "into": "S08"}],
     r"edit 2 \(merge S05 Yangjia'ao Village Primary into S08 Xikou Village Primary\): school 'S08' \(Xikou Village Primary\) is closed, not open"),
    ([{"op": "merge", "school": "S05", "into": "S04"}, {"op": "merge", "school": "S04", "into": "S05"}],
     r"merge cycle S04 → S05 → S04"),
    ([{"op": "open_site", "site": "C1"}, {"op": "open_site", "site": "C1"}], r"site 'C1' is already open; a site opens once"),
    ([{"op": "open_site", "site": "C2", "capacity": -10}], r"edits\[1\]\.capacity \(open_site\): must be at least 0 \(given -10\)"),
    ([{"op": "expand", "school": "S01", "capacity": "300"}], r"edits\[1\]\.capacity \(expand\): must be a number \(given '300'\)"),
    ([{"op": "demolish", "school": "S01"}], r"edits\[1\]\.op: must be one of 'close', 'merge', .* \(given 'demolish'\)"),
    ([{"op": "close", "school": "S01", "when": 2027}], r"edits\[1\]\.when \(close\): unknown setting; the settings here are year, school"),
    ([{"op": "add_bus", "school": "S01", "villages": "V02"}], r"edits\[1\]\.villages \(add_bus\): must be a list \(given 'V02'\)"),
    ([{"op": "add_bus", "school": "S01", "villages": ["V99"]}], r"bad.yaml: edit 1 \(school bus: V99 → S01 Qingshan Central Primary \(ride ≤ 40 min\)\): unknown villages V99; villages are ids"),
    ([{"op": "teaching_point", "school": "S05", "grades": [0, 3]}], r"edits\[1\]\.grades\[1\] \(teaching_point\): must be at least 1"),
])
def test_bad_scenario_files_get_clear_errors(demo, tmp_path, edits, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"name": "bad", "edits": edits}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        Scenario.from_file(path, demo)


def test_bad_edits_fail_at_once_in_python(demo, tmp_path):
    with pytest.raises(ValidationError, match=r"close S08 Xikou Village Primary: school 'S08' \(Xikou Village Primary\) is merged, not open"):
        planning.Scenario(demo).merge("S08", into="S04").close("S08")
    with pytest.raises(ValidationError, match=r"expand: capacity: must be at least 0 \(given -5.0\)"):
        planning.Scenario(demo).expand("S01", capacity=-5)
    with pytest.raises(ValidationError, match="cannot read the scenario file"):
        Scenario.from_file(tmp_path / "nowhere.yaml", demo)
    broken = tmp_path / "broken.yaml"
    broken.write_text("edits: [unclosed", encoding="utf-8")
    with pytest.raises(ValidationError, match="cannot read the scenario file"):
        Scenario.from_file(broken, demo)


# ---------------------------------------------------------------------- persistence
def test_yaml_and_json_round_trip_give_the_same_result(demo, tmp_path):
    scenario = (planning.Scenario(demo, "plan").merge("S08", into="S04").teaching_point("S05").open_site("C2", capacity=300)
                .add_bus("S01", villages=["V07"], max_ride=25).expand("S03", beds=40))
    first = scenario.evaluate("zoned")
    for suffix in (".yaml", ".json"):
        path = scenario.to_file(tmp_path / f"plan{suffix}")
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        assert data["log"][0] == "merge S08 Xikou Village Primary into S04 Shimen Village Primary" and len(data["edits"]) == 5
        again = Scenario.from_file(path, demo).evaluate("zoned")
        pd.testing.assert_series_equal(first.summary, again.summary)
        pd.testing.assert_frame_equal(first.villages, again.villages)


def test_scenario_files_written_before_keep_loading(demo, tmp_path):
    """As planning 0.1 wrote them: a change log without names, ids as numbers where the
    county's ids are numbers (here a school id written without quotes is taken as text)."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"name": "old", "project": "demo", "edits": [
        {"op": "merge", "school": "S08", "into": "S04"}, {"op": "add_bus", "school": "S04", "villages": ["V02"],
                                                         "max_ride": 30.0}],
        "log": ["merge S08 into S04", "bus from V02 to S04 (ride ≤ 30 min)"]}), encoding="utf-8")
    scenario = Scenario.from_file(path, demo)
    assert [e.op for e in scenario.edits] == ["merge", "add_bus"] and scenario.name == "old"
    numbered = tmp_path / "numbers.yaml"
    numbered.write_text("edits:\n  - {op: close, school: 101}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="unknown school '101'"):  # read as the text id '101'
        Scenario.from_file(numbered, demo)


def test_project_geopackage_keeps_inputs_scenarios_and_results(demo, tmp_path):
    import sqlite3

    path = tmp_path / "county.gpkg"
    scenario = planning.Scenario(demo, "five").merge("S08", into="S04").add_beds("S01", 50)
    result = scenario.evaluate()
    planning.save_project(path, demo, scenarios=[scenario], results=[result])
    with sqlite3.connect(path) as db:  # a real SQLite GeoPackage, as QGIS reads it
        tables = {r[0] for r in db.execute("select table_name from gpkg_contents")}
        log = db.execute("select log from scenarios where name = 'five'").fetchone()[0]
        saved = dict(db.execute("select metric, value from result_summary where scenario = 'five'").fetchall())
    assert {"villages", "schools", "sites", "roads", "policy", "scenarios", "result_villages"} <= tables
    assert log == "merge S08 Xikou Village Primary into S04 Shimen Village Primary\nadd 50 beds at S01 Qingshan Central Primary"
    assert saved == result.summary.to_dict()  # the result's own figures, as numbers
    opened = planning.open_project(path)
    assert list(opened.scenarios) == ["five"]
    np.testing.assert_allclose(opened.project.travel_times().to_numpy(), demo.travel_times().to_numpy(),
                               equal_nan=True)
    again = opened.scenarios["five"].evaluate()
    pd.testing.assert_series_equal(again.summary, result.summary)
    other = planning.Scenario(demo, "other").close("S13")  # saving again keeps "five"
    planning.save_project(path, demo, scenarios=[other])
    assert set(planning.open_project(path).scenarios) == {"five", "other"}
    path.write_bytes(b"not a geopackage")
    with pytest.raises(ValidationError, match="not a readable GeoPackage"):
        planning.open_project(path)


# ---------------------------------------------------------------------- the demo consolidation
def test_demo_consolidation_to_5_complete_schools(demo):
    path = ROOT / "data" / "demo" / "scenarios" / "consolidate_5.yaml"
    plan = Scenario.from_file(path, demo)
    result = plan.evaluate("zoned")
    today = planning.baseline(demo, "zoned")
    table = compare(today, result)
    assert list(table.columns) == ["today", "撤并为5所"]
    # today every school of the table is open; the file's merges close schools
    assert table.loc["schools_open"].tolist() == [len(demo.schools), schools_open_after(path, demo)]
    assert result.summary["unserved"] <= today.summary["unserved"]  # buses and beds cover the far valleys
    assert result.summary["bus_riders"] > 0
    whole = result.flows.groupby(["village_id", "level"])["school_id"].nunique()
    assert (whole == 1).all()  # whole villages grouped onto one complete school per level
    changes = village_changes(today, result)
    # a village's grades lose their school when the school teaching them today is merged
    # away (unless they are newly unserved, which is said first): per village and grade
    before = today.flows.groupby(["village_id", "grade"])
    after = result.flows.groupby(["village_id", "grade"])
    unserved_after = after["mode"].agg(lambda m: (m == "unserved").any())
    unserved_before = before["mode"].agg(lambda m: (m == "unserved").any())
    closed = before["school_id"].agg(lambda s: bool(set(s) & closed_by(path)))
    losing = set(closed.index[closed & ~(unserved_after & ~unserved_before)])
    assert len(losing) > 0
    assert affected_pairs(changes[changes["outcome"] == "loses its school"], set(closed.index)) == losing


def test_cli_evaluate_and_compare(demo, tmp_path, capsys):
    scenarios = ROOT / "data" / "demo" / "scenarios"
    assert main(["compare", str(scenarios / "consolidate_5.yaml"), str(scenarios / "keep_teaching_points.yaml"),
                 "--assignment", "zoned", "--out", str(tmp_path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "today" in out and "撤并为5所" in out and "保留教学点" in out
    assert "loses its school" in out
    summary = pd.read_csv(tmp_path / "compare_summary.csv", encoding="utf-8-sig", index_col=0)
    assert summary.loc["schools_open"].astype(int).tolist() == [
        len(demo.schools), schools_open_after(scenarios / "consolidate_5.yaml", demo),
        schools_open_after(scenarios / "keep_teaching_points.yaml", demo)]
    with pd.ExcelFile(tmp_path / "compare.xlsx") as workbook:
        assert {"summary", "撤并为5所 villages", "撤并为5所 violations"} <= set(workbook.sheet_names)
    assert main(["evaluate", "--scenario", str(scenarios / "consolidate_5.yaml"), "--out", str(tmp_path)]) == 0
    with pd.ExcelFile(tmp_path / "撤并为5所.xlsx") as workbook:  # Chinese by default
        assert {"汇总", "撤并为5所 村庄", "撤并为5所 超时限村庄"} <= set(workbook.sheet_names)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nproject: demo\nedits:\n  - {op: close, school: S77}\n", encoding="utf-8")
    assert main(["evaluate", "--scenario", str(bad), "--out", str(tmp_path)]) == 2
    assert "第 1 项改动（撤并 S77）：未知学校 'S77'" in capsys.readouterr().err  # Chinese by default


def test_cli_prints_counts_whole_cvs_to_three_decimals_and_never_scientific(demo):
    """Before, every printed figure was rounded to one decimal: "1823.0" pupils, a CV of
    0.553 as "0.6" beside a limit of 0.50, and large sums could print as 1.8e+04."""
    from planning.cli import summary_text

    today = planning.baseline(demo, "nearest")
    plan = Scenario.from_file(ROOT / "data" / "demo" / "scenarios" / "consolidate_5.yaml", demo).evaluate()
    table = compare(today, plan)
    shown = summary_text(table)
    pupils = int(table.loc["pupils"].iloc[0])
    assert shown.loc["pupils"].tolist() == [f"{pupils:,}"] * 2 and "," in shown.loc["pupils"].iloc[0]
    assert shown.loc["schools_open"].tolist() == [str(int(v)) for v in table.loc["schools_open"]]
    assert shown.loc["primary_max_cv"].tolist() == [f"{v:.3f}" for v in table.loc["primary_max_cv"]]
    assert shown.loc["mean_walk"].tolist() == [f"{v:,.1f}" for v in table.loc["mean_walk"]]
    assert not any("e+" in str(v) or "e-" in str(v) for v in shown.to_numpy().ravel())
