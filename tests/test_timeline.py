"""A plan over the years (issue 11): each year's pupils from a forecast, edits that take
effect in a year, classes in the classrooms there are, small-scale schools."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import planning
from planning.forecast import GRADE_COLUMNS, Forecast
from planning.timeline import class_sizes

from .helpers import grades, project_on_line

PRIMARY = {"type": "村完小", "capacity": 500, "classrooms": 6}


def _forecast(per_year: dict[int, dict[str, dict[str, float]]]) -> Forecast:
    """A forecast written by hand: year → village → {grade_g: pupils}."""
    rows = [{"year": year, "village_id": vid, **{c: float(g.get(c, 0)) for c in GRADE_COLUMNS}}
            for year, villages in per_year.items() for vid, g in villages.items()]
    return Forecast(pupils=pd.DataFrame(rows).set_index(["year", "village_id"]))


def _county():
    return project_on_line({"V": {"x": 0, **grades(20)}, "W": {"x": 1500, **grades(10)}},
                           {"A": {"x": 100, **PRIMARY}, "B": {"x": 1400, **PRIMARY}})


def test_each_year_has_its_own_pupils_and_the_travel_times_are_reused():
    project = _county()
    forecast = _forecast({2026: {"V": grades(20), "W": grades(10)}, 2027: {"V": grades(15), "W": grades(12)},
                          2028: {"V": grades(10)}})
    project.matrix  # noqa: B018 - routed once
    later = project.in_year(forecast, 2027)
    assert later.matrix is project.matrix  # pupils change, not travel times
    assert later.villages.loc["V", "primary_pupils"] == 90 and later.villages.loc["W", "grade_3"] == 12
    assert project.in_year(forecast, 2028).villages.loc["W", "primary_pupils"] == 0  # not in the forecast: none
    timeline = planning.Scenario(project, "today").evaluate_years(forecast)
    assert timeline.years == [2026, 2027, 2028]
    assert timeline.summary["pupils"].tolist() == [180, 162, 60]
    schools = timeline.schools
    assert schools.loc[(2027, "A"), "pupils"] == 90 and schools.loc[(2027, "B"), "pupils"] == 72
    with pytest.raises(KeyError, match="2026–2028"):
        project.in_year(forecast, 2030)


def test_an_edit_takes_effect_from_its_year():
    project = _county()
    forecast = _forecast({y: {"V": grades(20), "W": grades(10)} for y in (2026, 2027, 2028, 2029)})
    plan = planning.Scenario(project, "close B from 2028").close("B", year=2028)
    timeline = plan.evaluate_years(forecast)
    open_b = timeline.schools.xs("B", level="school_id")["open"]
    assert open_b.to_dict() == {2026: True, 2027: True, 2028: False, 2029: False}
    assert timeline.summary["schools_open"].tolist() == [2, 2, 1, 1]
    w = timeline.results[2028].villages.loc[("W", "primary")]
    assert w["school"] == "A" and w["minutes"] == pytest.approx(14 * 1.5)  # 1,400 m at 4 km/h
    assert plan.evaluate().summary["schools_open"] == 1  # evaluated once: the plan as it ends
    assert plan.log("zh")["change"].iloc[0].endswith("（2028 年起）")
    assert plan.log("en")["change"].iloc[0].endswith("(from 2028)")
    again = planning.Scenario.from_dict(plan.to_dict(), project)
    assert again.edits[0].year == 2028


def test_classes_in_the_classrooms_there_are():
    """Grades 1–3 with 60, 50 and 40 pupils need 2 + 2 + 1 = 5 classes of 45. With 3
    classrooms each grade has one: classes of 60 (large: 56–65), 50 and 40; two are over
    45. With a fourth classroom grade 1 (the fullest) splits into two of 30."""
    policy = planning.Policy()
    schools = pd.DataFrame({**{f"grade_{g}": [60.0, 60.0, 80.0, 30.0][:4] if g == 1 else
                               ([50.0, 50.0, 70.0, 0.0] if g == 2 else ([40.0, 40.0, 0.0, 0.0] if g == 3 else [0.0] * 4))
                               for g in range(1, 10)},
                            "classrooms": [3, 4, 2, np.nan], "grades": [tuple(range(1, 7))] * 4, "open": True},
                           index=["three", "four", "two", "unknown"])
    sizes = class_sizes(schools, policy)
    three, four, two, unknown = (sizes.loc[k] for k in ("three", "four", "two", "unknown"))
    assert three["classes"] == 3 and three["largest_class"] == 60
    assert three["oversized_classes"] == 2 and three["large_classes"] == 1 and three["super_large_classes"] == 0
    assert four["classes"] == 4 and four["largest_class"] == 50 and four["oversized_classes"] == 1
    assert four["large_classes"] == 0
    assert two["largest_class"] == 80 and two["super_large_classes"] == 2 and two["large_classes"] == 0  # 80 and 70
    assert unknown["classes"] == 1 and unknown["oversized_classes"] == 0  # classrooms unknown: as many as needed
    assert sizes["small_school"].tolist() == [False, False, False, True]  # 150, 150, 150, 30 pupils
    assert sizes["empty_grades"].tolist() == [3, 3, 4, 5]  # grades 1–6 taught, those without pupils


def test_the_year_a_school_becomes_small_scale():
    project = _county()
    forecast = _forecast({2026 + k: {"V": grades(20 - 3 * k), "W": grades(10)} for k in range(6)})
    timeline = planning.Scenario(project, "today").evaluate_years(forecast)
    a = timeline.schools.xs("A", level="school_id")["pupils"]
    first_small = int(a.index[a < 100][0])  # 6 grades × (20 − 3k) < 100 from k = 2
    assert first_small == 2028
    assert timeline.small_from().to_dict() == {"A": 2028, "B": 2026}  # B: 60 pupils from the start
    assert timeline.summary.loc[2028, "small_schools"] == 2


def test_the_excel_report_gives_a_plan_year_by_year(tmp_path):
    import openpyxl

    from planning.report import excel_report

    project = _county()
    forecast = _forecast({2026 + k: {"V": grades(20 - 3 * k), "W": grades(10)} for k in range(4)})
    plan = planning.Scenario(project, "close B from 2028").close("B", year=2028)
    timeline = plan.evaluate_years(forecast)
    path = excel_report(project, [planning.baseline(project), plan.evaluate()], tmp_path / "years.xlsx", lang="zh",
                        timelines=[timeline])
    book = openpyxl.load_workbook(path)
    (years,) = [n for n in book.sheetnames if n.endswith("逐年") and "学校" not in n]
    rows = list(book[years].iter_rows(values_only=True))
    header, body = rows[2], rows[3:]
    assert [r[0] for r in body] == [2026, 2027, 2028, 2029]
    assert [r[header.index("开办学校")] for r in body] == [2, 2, 1, 1]
    (by_school,) = [n for n in book.sheetnames if n.endswith("学校逐年")]
    rows = list(book[by_school].iter_rows(values_only=True))
    header = rows[2]
    a, b = (next(r for r in rows[3:] if r[0] == sid) for sid in ("A", "B"))
    assert a[header.index("成为小规模学校的年份")] is None  # 120, 102, then 144 with B's pupils
    assert b[header.index("成为小规模学校的年份")] == 2026  # 60 pupils
    assert a[header.index("学生数 2026")] == 120 and a[header.index("学生数 2028")] == 144


def test_the_cli_forecasts_and_evaluates_plans_year_by_year(tmp_path, capsys):
    from planning.cli import main

    from .conftest import ROOT

    assert main(["forecast", "--demo", "--horizon", "5", "--out", str(tmp_path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "enrolment forecast 2025–2030 (medium variant)" in out and "years ahead" in out
    assert "Year each school becomes small-scale" in out
    written = pd.read_csv(tmp_path / "forecast_medium.csv", encoding="utf-8-sig")
    assert sorted(written["year"].unique()) == list(range(2025, 2031))
    plan = ROOT / "data" / "demo" / "scenarios" / "consolidate_5.yaml"
    assert main(["evaluate", "--scenario", str(plan), "--demo", "--horizon", "3", "--out", str(tmp_path),
                 "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "逐年" in out and "2028" in out
    assert main(["evaluate", "--scenario", str(plan), "--demo", "--year", "2030", "--out", str(tmp_path),
                 "--lang", "en"]) == 0
    fewer = capsys.readouterr().out
    today = planning.demo()
    later = today.in_year(planning.forecast(today, planning.DEMO_HISTORY, births=planning.DEMO_BIRTHS, horizon=5), 2030)
    assert "pupils of 2030 (forecast)" in fewer
    assert f"{later.villages[['primary_pupils', 'junior_pupils']].to_numpy().sum():,.1f}" in fewer


def test_the_cli_recommends_a_phased_plan_over_the_horizon(tmp_path, capsys):
    from planning.cli import main

    assert main(["optimise", "--demo", "--horizon", "4", "--phased", "--out", str(tmp_path), "--quiet",
                 "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "2025–2029" in out and "binding years" in out
    plan = planning.Scenario.from_file(tmp_path / "plan_fewest_schools_primary.yaml", planning.demo())
    assert plan.edits and all(e.year is None or 2025 < e.year <= 2029 for e in plan.edits)
