"""Plans over a forecast horizon (issue 11, item 4): one layout within the walking limit and
the seats in every year, the years that bind, and closures phased over the years.

Hand-made cases on a straight road (100 m = 1.5 min): schools A at 0 m and B at 2,000 m with
100 seats each; villages V1 at 900 m (A 13.5 min, B 16.5 min) and V2 at 1,100 m (A 16.5 min,
B 13.5 min); the walking limit 40 min keeps both schools within reach of both villages, so
only the seats decide how many schools a year needs: one while the pupils are at most 100.
"""

from __future__ import annotations

import pandas as pd
import pytest

from planning import InfeasibleError
from planning.forecast import GRADE_COLUMNS, Forecast
from planning.optimise import plan

from .helpers import project_on_line

SCHOOLS = {"A": {"x": 0, "type": "village_primary", "capacity": 100},
           "B": {"x": 2000, "type": "village_primary", "capacity": 100}}


def line_project(v1: float, v2: float):
    """Today's pupils: ``v1`` and ``v2`` primary pupils (spread evenly over grades 1–6)."""
    def even(total: float) -> dict[str, float]:
        return {f"grade_{g}": (total / 6 if g <= 6 else 0.0) for g in range(1, 10)}

    return project_on_line({"V1": {"x": 900, **even(v1)}, "V2": {"x": 1100, **even(v2)}}, SCHOOLS)


def forecast(pupils: dict[int, tuple[float, float]]) -> Forecast:
    """Year → (V1, V2) primary pupils, spread evenly over grades 1–6."""
    rows = []
    for year, pair in pupils.items():
        for village, total in zip(("V1", "V2"), pair, strict=True):
            rows.append({"year": year, "village_id": village,
                         **{c: (total / 6 if i < 6 else 0.0) for i, c in enumerate(GRADE_COLUMNS)}})
    return Forecast(pupils=pd.DataFrame(rows).set_index(["year", "village_id"]))


def opened(option) -> list[str]:
    return sorted(option.columns.index[option.columns["decision"].isin(["keep", "open"])])


def test_a_year_whose_pupils_outgrow_one_school_keeps_both_and_binds():
    """V1 grows 60 → 65 → 80 while V2 stays at 30: 90 and 95 pupils fit one school, 110 in
    2027 do not. The base-year plan keeps one school (A: 60 × 13.5 + 30 × 16.5 = 1,305
    pupil-minutes against B's 1,395); the horizon plan keeps both, and 2027 is the year that
    binds, by capacity: without it (or with its seats unlimited) one school would do."""
    project = line_project(60, 30)
    today = plan(project, "fewest_schools", limit=40)
    assert opened(today) == ["A"]
    assert today.binding is None and today.binding_years == []
    horizon = plan(project, "fewest_schools", limit=40, forecast=forecast({2025: (60, 30), 2026: (65, 30),
                                                                           2027: (80, 30)}))
    assert opened(horizon) == ["A", "B"] and horizon.solution.optimal
    assert horizon.binding_years == [2027]
    table = horizon.binding
    assert list(table.index) == [2025, 2026, 2027]
    assert table.loc[2027, "binds_by"] == "capacity"
    assert table.loc[2027, "objective_without"] == 1 and table.loc[2027, "objective_with"] == 2
    assert list(table["pupils"]) == pytest.approx([90, 95, 110])
    # 2027 with both schools: V1 (80) to A, V2 (30) to B; the fullest school is A at 80 %
    assert table.loc[2027, "fullest_school"] == "A" and table.loc[2027, "fullest_share"] == pytest.approx(0.8)
    assert table.loc[2027, "longest_walk"] == pytest.approx(13.5, abs=0.01)
    assert horizon.columns.loc["A", "most_pupils"] == pytest.approx(80)
    assert "2027 binds the plan (capacity: its pupils need the seats): without that year, the schools needed " \
           "would be 1 instead of 2" in horizon.notes
    assert "2027 年约束了本方案（学位：当年学生需要这些学位）：若不考虑这一年，1 所学校即可，而不是 2 所" \
        in horizon.explain("zh")
    assert horizon.report()["binding_years"] == "2027" and horizon.report()["years"] == "2025–2027"
    # the horizon may be cut: the first two years alone need one school, and no year binds
    early = plan(project, "fewest_schools", limit=40, forecast=forecast({2025: (60, 30), 2026: (65, 30),
                                                                         2027: (80, 30)}), years=[2025, 2026])
    assert opened(early) == ["A"] and early.binding_years == []
    assert "no single year of 2025–2026 binds the plan: leaving out any one year would not change what it needs" \
        in early.notes
    assert "2025–2026 年中没有单独一年约束本方案：去掉任何一年，方案所需都不变" in early.explain("zh")


def test_a_constant_forecast_gives_the_single_year_answer():
    project = line_project(60, 30)
    same = plan(project, "fewest_schools", limit=40, forecast=forecast({y: (60, 30) for y in range(2025, 2036)}))
    assert opened(same) == opened(plan(project, "fewest_schools", limit=40)) == ["A"]
    assert same.solution.objective == pytest.approx(11 * 1305)  # pupil-minutes summed over the 11 years
    assert same.binding_years == []


def test_a_school_needed_in_the_first_years_closes_from_the_year_it_is_not():
    """V1 falls 80 → 80 → 60 (V2 30): 110 pupils need both schools in 2025 and 2026, 90 fit
    one in 2027. Over the horizon both stay; phased, B closes from 2027 (A alone walks
    1,305 pupil-minutes, B alone 1,395)."""
    project = line_project(80, 30)
    falling = forecast({2025: (80, 30), 2026: (80, 30), 2027: (60, 30)})
    whole = plan(project, "fewest_schools", limit=40, forecast=falling)
    assert opened(whole) == ["A", "B"]
    assert whole.binding_years == []  # 2025 and 2026 each need both: no single year binds
    phased = plan(project, "fewest_schools", limit=40, forecast=falling, phased=True)
    assert phased.solution.open_by_period.tolist() == [[True, True], [True, True], [True, False]]
    assert phased.timeline.to_dict("records") == [{"school_id": "B", "name": "B", "action": "close", "year": 2027}]
    assert "close B B from 2027" in phased.notes
    assert "B B 自 2027 学年起撤并" in phased.explain("zh")
    assert phased.solution.objective == pytest.approx(2 * (80 * 13.5 + 30 * 13.5) + 60 * 13.5 + 30 * 16.5)
    (edit,) = phased.scenario.edits  # the plan is a timeline: B closes from 2027
    assert (edit.op, edit.school, edit.year) == ("close", "B", 2027)
    timeline = phased.scenario.evaluate_years(falling)
    assert timeline.schools.xs("B", level="school_id")["open"].tolist() == [True, True, False]
    assert whole.timeline.empty


def test_a_year_beyond_every_seat_is_named_before_solving():
    project = line_project(60, 30)
    with pytest.raises(InfeasibleError) as caught:
        plan(project, "fewest_schools", limit=40, forecast=forecast({2025: (60, 30), 2026: (190, 40)}))
    assert caught.value.text("en") == ("in 2026, all columns that may open hold 200, less than that year's "
                                       "demand 230")
    assert caught.value.text("zh") == "2026 年：所有可开办的学校共 200 个学位，少于当年需求 230"
    with pytest.raises(Exception, match="the forecast does not cover 2030; it covers 2025–2026"):
        plan(project, "fewest_schools", limit=40, forecast=forecast({2025: (60, 30), 2026: (60, 30)}), years=[2030])
