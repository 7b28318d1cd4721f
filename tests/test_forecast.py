"""Enrolment forecasts (issue 11): cohorts worked out on paper, births that stop, the
town-ward drift, a backtest on a history made by known ratios, the demo, and the messages
a planner gets for a bad history or births table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import planning
from planning import DataWarning, ValidationError
from planning.forecast import GRADE_COLUMNS

from .helpers import grades, project_on_line

PRIMARY = GRADE_COLUMNS[:6]


def model_history(start: list[float], years: range, births: dict[int, float], *, r: float, e: float,
                  village: str = "A") -> pd.DataFrame:
    """A history made by the model itself: grade 1 = births six years earlier × e (the first
    year's too), grade g = last year's grade g−1 × r (junior grades empty)."""
    rows, pupils = [], np.array(start + [0.0] * (9 - len(start)))
    pupils[0] = births[years[0] - 6] * e
    for year in years:
        if year > years[0]:
            pupils = np.r_[births[year - 6] * e, pupils[:-1] * r]
            pupils[6:] = 0.0
        rows.append({"年份": year, "村编号": village, **{f"{'一二三四五六七八九'[g]}年级": pupils[g] for g in range(9)}})
    return pd.DataFrame(rows)


def births_table(values: dict[int, float], village: str = "A") -> pd.DataFrame:
    return pd.DataFrame({"年份": list(values), "村编号": village, "出生人口": list(values.values())})


def one_village(history: pd.DataFrame) -> planning.Project:
    last = history.iloc[-1]
    today = {f"grade_{g + 1}": float(last[f"{'一二三四五六七八九'[g]}年级"]) for g in range(9)}
    return project_on_line({"A": {"x": 0, **today}}, {"S": {"x": 0, "type": "central_primary"}})


def test_constant_ratios_give_the_cohorts_worked_out_on_paper():
    """Grades 2–6 of 30 pupils in 2020; every year 20 births enter grade 1 at 0.9 (18 pupils)
    and every grade goes on at 0.95. The forecast from 2023 (drift off) continues exactly so."""
    births = dict.fromkeys(range(2010, 2031), 20.0)
    history = model_history([30.0] * 6, range(2020, 2024), births, r=0.95, e=0.9)
    result = planning.forecast(one_village(history), history, births=births_table(births), horizon=3, drift=0)
    pupils = result.pupils.xs("A", level="village_id")[PRIMARY]
    assert result.years == [2023, 2024, 2025, 2026]
    expected = {
        2024: [20 * 0.9, 20 * 0.9 * 0.95, 20 * 0.9 * 0.95**2, 20 * 0.9 * 0.95**3, 20 * 0.9 * 0.95**4,
               30 * 0.95**4],  # grade 6 of 2024 is grade 2 of 2020
        2025: [20 * 0.9 * 0.95**k for k in range(6)],
        2026: [20 * 0.9 * 0.95**k for k in range(6)],
    }
    for year, values in expected.items():
        np.testing.assert_allclose(pupils.loc[year].to_numpy(), values, rtol=1e-12)
    assert result.ratios.loc["A", "entry"] == pytest.approx(0.9)
    np.testing.assert_allclose(result.ratios.loc["A", GRADE_COLUMNS[1:6]].to_numpy(dtype=float), 0.95)
    assert (result.pupils[GRADE_COLUMNS[6:]] == 0).all().all()  # junior grades absent from the history stay empty


def test_the_base_year_is_the_projects_pupils_today():
    births = dict.fromkeys(range(2010, 2031), 20.0)
    history = model_history([30.0] * 6, range(2020, 2024), births, r=0.95, e=0.9)
    project = one_village(history)
    result = planning.forecast(project, history, births=births_table(births), horizon=2, drift=0)
    pd.testing.assert_frame_equal(result.of_year(2023), project.villages[GRADE_COLUMNS].astype(float),
                                  check_names=False)


def test_zero_births_empty_a_school_grade_by_grade():
    """No child born from 2018: from 2024 the lowest grades go to 0 one a year."""
    births = {y: (20.0 if y < 2018 else 0.0) for y in range(2010, 2031)}
    history = model_history([30.0] * 6, range(2020, 2024), births, r=0.95, e=0.9)
    result = planning.forecast(one_village(history), history, births=births_table(births), horizon=6, drift=0)
    pupils = result.pupils.xs("A", level="village_id")[PRIMARY]
    for k in range(1, 7):
        row = pupils.loc[2023 + k].to_numpy()
        assert (row[:k] == 0).all(), (2023 + k, row)
        assert (row[k:] > 0).all(), (2023 + k, row)
    assert pupils.loc[2029].sum() == 0


def drift_project() -> planning.Project:
    """Two town villages next to the central primary (T1: 10 pupils a grade, T2: 30, 4.5 min
    away) and a village R 45 minutes away next to its own village primary."""
    return project_on_line({"T1": {"x": 0, **grades(10)}, "T2": {"x": 300, **grades(30)},
                            "R": {"x": 3000, **grades(40)}},
                           {"C": {"x": 0, "type": "central_primary"}, "P": {"x": 3000, "type": "village_primary"}})


def test_drift_moves_pupils_to_the_town_in_proportion_and_keeps_the_total():
    project = drift_project()
    off = planning.forecast(project, horizon=5, drift=0, lang="en")
    on = planning.forecast(project, horizon=5, drift=0.02, lang="en")
    assert list(on.ratios.index[on.ratios["town"]]) == ["T1", "T2"]
    assert "T1 T1" in on.assumptions.loc["town", "value"] and "R" not in on.assumptions.loc["town", "value"]
    year = on.base_year + 1
    before, after = off.of_year(year), on.of_year(year)
    moved = 0.02 * before.loc["R"]  # by grade: R keeps 98 %
    np.testing.assert_allclose(after.loc["R"], before.loc["R"] - moved)
    np.testing.assert_allclose(after.loc["T1"], before.loc["T1"] + moved * 10 / 40)  # T1 has 10 of the town's 40
    np.testing.assert_allclose(after.loc["T2"], before.loc["T2"] + moved * 30 / 40)
    totals_on = on.pupils.groupby(level="year").sum().sum(axis=1)
    np.testing.assert_allclose(totals_on, off.pupils.groupby(level="year").sum().sum(axis=1))
    town_share = on.pupils.loc[(slice(None), ["T1", "T2"]), :].groupby(level="year").sum().sum(axis=1) / totals_on
    assert town_share.is_monotonic_increasing and town_share.iloc[-1] > town_share.iloc[0]


def test_without_a_history_grade_1_follows_the_birth_trend_and_ratios_are_one():
    project = drift_project()
    result = planning.forecast(project, horizon=3, variant="low", drift=0, lang="en")
    trend = planning.policy.FORECAST_VARIANTS["low"]["birth_trend"]
    pupils = result.pupils.xs("R", level="village_id")
    np.testing.assert_allclose(pupils["grade_1"].to_numpy(), [40, 40 * (1 + trend), 40 * (1 + trend) ** 2,
                                                              40 * (1 + trend) ** 3])
    np.testing.assert_allclose(pupils.loc[result.base_year + 2, "grade_3"], 40)  # moved up unchanged
    assert result.backtest is None


def test_a_backtest_on_a_history_made_by_known_ratios_has_no_error():
    births_a = {y: 100 * 0.96 ** (y - 2010) for y in range(2008, 2031)}
    births_b = {y: 80 * 1.02 ** (y - 2010) for y in range(2008, 2031)}
    history = pd.concat([model_history([100.0] * 6, range(2019, 2025), births_a, r=0.97, e=0.9, village="A"),
                         model_history([70.0] * 6, range(2019, 2025), births_b, r=1.03, e=1.1, village="B")])
    last = history[history["年份"] == 2024].set_index("村编号")
    today = {v: {f"grade_{g + 1}": float(last.loc[v, f"{'一二三四五六七八九'[g]}年级"]) for g in range(9)}
             for v in ("A", "B")}
    project = project_on_line({"A": {"x": 0, **today["A"]}, "B": {"x": 3000, **today["B"]}},
                              {"S": {"x": 0, "type": "central_primary"}, "P": {"x": 3000, "type": "village_primary"}})
    births = pd.concat([births_table(births_a, "A"), births_table(births_b, "B")])
    result = planning.forecast(project, history, births=births, horizon=4, drift=0)
    assert list(result.backtest.index) == [1, 2, 3, 4]  # origins 2020–2023, targets up to 2024
    assert list(result.backtest["origins"]) == [4, 3, 2, 1]
    assert (result.backtest[["village_mape", "township_mape"]] < 1e-9).all().all()
    np.testing.assert_allclose(result.ratios.loc[["A", "B"], "entry"], [0.9, 1.1])
    # with a wrong drift the same backtest sees an error
    drifted = planning.forecast(project, history, births=births, horizon=4, drift=0.05)
    assert (drifted.backtest["village_mape"] > 1).all()


def test_the_demo_forecast_falls_in_the_villages_and_rises_in_the_town(demo):
    history = planning.demo_history()
    last = history[history["年份"] == history["年份"].max()].set_index("村编号")
    np.testing.assert_array_equal(last[[f"{'一二三四五六七八九'[g]}年级" for g in range(9)]].to_numpy(dtype=float),
                                  demo.villages.loc[last.index, GRADE_COLUMNS].to_numpy(dtype=float))
    totals = {}
    for variant in ("low", "medium", "high"):
        result = planning.forecast(demo, planning.DEMO_HISTORY, births=planning.DEMO_BIRTHS, variant=variant)
        primary = result.pupils[PRIMARY].sum(axis=1)
        town = result.ratios.index[result.ratios["town"]]
        assert list(town) == ["V01"]
        by_year = primary.groupby(level="year").sum()
        town_by_year = primary.loc[(slice(None), list(town))].groupby(level="year").sum()
        assert by_year.iloc[-1] < by_year.iloc[0]
        assert town_by_year.iloc[-1] > town_by_year.iloc[0]
        assert len(result.years) == 11 and result.backtest is not None and list(result.backtest.index) == [1, 2, 3, 4]
        totals[variant] = by_year.iloc[-1]
    assert totals["low"] < totals["medium"] < totals["high"]


def write(tmp_path, name: str, frame: pd.DataFrame) -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def small_project() -> planning.Project:
    return project_on_line({"A": {"x": 0, **grades(10)}, "B": {"x": 3000, **grades(10)}},
                           {"S": {"x": 0, "type": "central_primary"}})


def history_frame() -> pd.DataFrame:
    rows = [{"年份": y, "村编号": v, **{f"{'一二三四五六七八九'[g]}年级": 10 for g in range(9)}}
            for y in range(2020, 2024) for v in ("A", "B")]
    return pd.DataFrame(rows)


def test_a_bad_history_names_row_column_and_what_to_do_in_both_languages(tmp_path):
    frame = history_frame()
    frame.loc[1, "村编号"] = "V9"  # row 3
    frame.loc[5, "村编号"] = "A"   # row 7: A twice in 2022 (rows 6 and 7)
    frame["一年级"] = frame["一年级"].astype(object)
    frame.loc[2, "一年级"] = "-3"   # row 4
    frame.loc[6, "一年级"] = "十二"  # row 8
    path = write(tmp_path, "h.csv", frame)
    with pytest.raises(ValidationError) as info:
        planning.forecast(small_project(), path)
    en, zh = info.value.text("en"), info.value.text("zh")
    assert en.startswith(f"{path}: 4 problems")
    assert ("row 3: 村编号 (village id) 'V9' is not a village of the project; use an id of the villages table "
            "(such as A, B) or delete the row") in en
    assert "第 3 行：村编号 'V9' 不是项目中的村庄；请改用村庄表中的编号（如 A，B），或删去此行" in zh
    assert "村编号 (village id) 'A' appears more than once in 2022, in row 6, row 7; give each village one row a year" in en
    assert "村编号 'A' 在 2022 年出现多次，见 第 6 行，第 7 行；每个村每年只能有一行" in zh
    assert "row 4: 一年级 (grade 1) is -3, below zero; counts cannot be negative" in en
    assert "第 4 行：一年级 为 -3，小于零；人数和数量不能为负" in zh
    assert "row 8: 一年级 (grade 1) is '十二', not a number; use digits only" in en
    assert "第 8 行：一年级 为 '十二'，不是数字；请只填数字" in zh


def test_a_history_without_a_grade_column_says_which_headers_it_may_have(tmp_path):
    path = write(tmp_path, "h.csv", history_frame().drop(columns=["九年级"]))
    with pytest.raises(ValidationError) as info:
        planning.forecast(small_project(), path)
    assert "no grade 9 column in the enrolment history: add one (its header may be any of grade_9" in info.value.text("en")
    assert "缺少入学历史表的 9年级 列：请添加一列（列名可用 9年级、九年级" in info.value.text("zh")


def test_english_headers_and_a_dataframe_are_read_like_chinese_ones(tmp_path):
    chinese = history_frame()
    english = chinese.rename(columns={"年份": "year", "村编号": "village_id",
                                      **{f"{'一二三四五六七八九'[g]}年级": f"grade_{g + 1}" for g in range(9)}})
    a = planning.forecast(small_project(), write(tmp_path, "h.csv", chinese), horizon=2, drift=0)
    b = planning.forecast(small_project(), english, horizon=2, drift=0)
    pd.testing.assert_frame_equal(a.pupils, b.pupils)


def test_too_few_years_warn_and_the_forecast_goes_on(tmp_path):
    frame = history_frame()
    path = write(tmp_path, "h.csv", frame[frame["年份"] >= 2022])
    with pytest.warns(DataWarning, match=r"the enrolment history has 2 years \(2022, 2023\); ratios need at least 2 "
                                         r"years and a backtest at least 4"):
        result = planning.forecast(small_project(), path, horizon=2)
    assert result.backtest is None and result.years == [2023, 2024, 2025]


def test_births_without_births_or_population_columns_say_what_to_add():
    frame = pd.DataFrame({"年份": [2020], "村编号": ["A"], "人数": [3]})
    with pytest.raises(ValidationError) as info:
        planning.forecast(small_project(), births=frame)
    assert "the births table has neither a births nor a population column: add births (its header may be any of " \
           "births, birth, 出生人口" in info.value.text("en")
    assert "出生人口表既没有出生人口列，也没有人口列：请添加出生人口（列名可用 出生人口" in info.value.text("zh")
