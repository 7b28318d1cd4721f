"""优质均衡 verdicts and the inter-school CV (教督〔2017〕6号), worked out by hand.

Schools are built from the share of each standard they reach: a primary school of 100
pupils with ``teaching_area_m2`` at 0.57 has 0.57 × 4.5 m² × 100 = 256.5 m² of teaching space.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

import planning
from planning import Policy, ValidationError
from planning.i18n import t
from planning.indicators import balance, school_indicators, worded_indicators
from planning.policy import INDICATORS
from planning.report import excel_report

from .helpers import grades, project_on_line

NAMES = list(INDICATORS)


def school(primary: int, junior: int = 0, *, kind: str = "village_primary", shares: dict[str, float] | None = None,
           unknown: tuple[str, ...] = ()) -> dict[str, object]:
    """A school's row: each resource at ``shares[name]`` (1.2 when not given) of its standard
    for these pupils (the standard pupil-weighted between levels), NaN for ``unknown``."""
    shares = shares or {}
    row: dict[str, object] = {"open": True, "type": kind, "primary": primary, "junior": junior}
    for name, (per, primary_min, junior_min, _) in INDICATORS.items():
        standard = (primary * primary_min + junior * junior_min) / (primary + junior)
        row[name] = np.nan if name in unknown else shares.get(name, 1.2) * standard * (primary + junior) / per
    return row


def indicators_of(rows: dict[str, dict[str, object]], policy: Policy | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame.from_dict(rows, orient="index")
    pupils = frame[["primary", "junior"]].astype(float)
    return school_indicators(frame.drop(columns=["primary", "junior"]), pupils, policy or Policy()), pupils


# ---------------------------------------------------------------------- the 85 % rule
@pytest.mark.parametrize(("share", "verdict"), [(0.57, "fails"), (0.84, "fails"), (0.85, "meets"), (0.90, "meets")])
def test_the_one_missed_indicator_must_reach_85_percent_of_its_standard(share, verdict):
    table, _ = indicators_of({"A": school(100, shares={"teaching_area_m2": share})})
    row = table.loc["A"]
    assert row["met"] == 6  # six of seven met in every case: only the 85 % rule tells them apart
    assert not row["teaching_area_m2_ok"]
    assert row["teaching_area_m2"] == pytest.approx(share * 4.5)
    assert row["lowest_share"] == pytest.approx(share)
    assert row["verdict"] == verdict
    assert row["meets_standard"] == (verdict == "meets")


def test_the_floor_is_a_setting():
    rows = {"A": school(100, shares={"sports_area_m2": 0.57})}
    assert indicators_of(rows)[0].loc["A", "verdict"] == "fails"
    assert indicators_of(rows, Policy(missed_indicator_floor=0.5))[0].loc["A", "verdict"] == "meets"
    # a nine-year school is held to its pupil-weighted standard: (200 × 7.5 + 100 × 10.2) / 300 = 8.4 m²
    nine = indicators_of({"N": school(200, 100, kind="nine_year", shares={"sports_area_m2": 0.9})})[0].loc["N"]
    assert nine["sports_area_m2_min"] == pytest.approx(8.4)
    assert (nine["sports_area_m2"], nine["verdict"]) == (pytest.approx(0.9 * 8.4), "meets")


def test_two_missed_indicators_fail_even_above_85_percent():
    table, _ = indicators_of({"A": school(100, shares={"key_teachers": 0.95, "multimedia_classrooms": 0.95})})
    assert (table.loc["A", "met"], table.loc["A", "verdict"]) == (5, "fails")


# ---------------------------------------------------------------------- unknown resources
def test_five_known_passing_and_two_unknown_are_undetermined_and_named():
    table, _ = indicators_of({"A": school(100, unknown=("teachers_above_qualification", "key_teachers"))})
    row = table.loc["A"]
    assert row["met"] == 5
    assert row["verdict"] == "undetermined"
    assert pd.isna(row["meets_standard"])
    assert row["missing"] == ("teachers_above_qualification", "key_teachers")
    assert pd.isna(row["key_teachers_ok"])
    zh, en = (worded_indicators(table, lang).loc["A"] for lang in ("zh", "en"))
    assert (zh["verdict"], zh["missing"]) == ("无法判定（缺数据）", "高于规定学历教师数、县级以上骨干教师数")
    assert en["verdict"] == "undetermined (data missing)"
    assert en["missing"] == "teachers above required qualification (teachers_above_qualification), key teachers (key_teachers)"


@pytest.mark.parametrize(("shares", "unknown", "verdict"), [
    ({"key_teachers": 0.9, "pe_arts_teachers": 0.9}, ("teaching_area_m2", "sports_area_m2"), "fails"),  # two misses
    ({"key_teachers": 0.5}, NAMES[2:], "fails"),  # one known indicator below 85 %: nothing unknown can save it
    ({"key_teachers": 0.9}, ("sports_area_m2",), "undetermined"),  # the unknown one could be a second miss
    ({}, NAMES, "undetermined"),  # nothing known
    ({"key_teachers": 0.9}, (), "meets"),  # all seven known
])
def test_known_indicators_decide_when_unknowns_cannot_change_the_verdict(shares, unknown, verdict):
    table, _ = indicators_of({"A": school(100, shares=shares, unknown=unknown)})
    assert table.loc["A", "verdict"] == verdict
    assert table.loc["A", "missing"] == tuple(name for name in NAMES if name in unknown)


def test_summary_counts_undetermined_schools_apart_from_those_below_standard():
    full = {name: school(60)[name] for name in NAMES}  # 1.2 × every standard for the 60 pupils of each
    project = project_on_line(
        {"V": {"x": 0, **grades(10)}, "W": {"x": 2000, **grades(10)}, "U": {"x": 4000, **grades(10)}},
        {"A": {"x": 0, "type": "村完小", **full},
         "B": {"x": 2000, "type": "村完小", **{**full, "teachers_above_qualification": None, "key_teachers": None}},
         "C": {"x": 4000, "type": "村完小", **{**full, "key_teachers": 0, "pe_arts_teachers": None}}})
    result = planning.baseline(project)
    assert result.indicators["verdict"].to_dict() == {"A": "meets", "B": "undetermined", "C": "fails"}
    assert result.summary["schools_below_standard"] == 1
    assert result.summary["schools_undetermined"] == 1


# ---------------------------------------------------------------------- the CV
def weighted_cv(values: np.ndarray, weights: np.ndarray) -> float:
    """CV = s / x̄ with x̄ = Σ pᵢxᵢ / Σ pᵢ and s = √(Σ pᵢ(xᵢ − x̄)² / Σ pᵢ)."""
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)) / mean)


COUNTY = {"central": school(300, shares={"key_teachers": 3.0}),
          "village": school(120, shares={"key_teachers": 1.5}),
          "point_small": school(20, kind="teaching_point", shares={"key_teachers": 0.1}),
          "point_large": school(60, kind="teaching_point", shares={"key_teachers": 0.6})}


@pytest.mark.parametrize(("setting", "schools"), [
    ("include", ["central", "village", "point_small", "point_large"]),
    ("exclude", ["central", "village", "point_large"]),  # only teaching points under 50 pupils leave the CV
])
def test_teaching_points_in_the_cv_follow_the_policy(setting, schools):
    policy = Policy(cv_teaching_points=setting)
    table, pupils = indicators_of(COUNTY, policy)
    result = balance(table, pupils, policy).loc[("primary", "key_teachers")]
    frame = pd.DataFrame.from_dict(COUNTY, orient="index").loc[schools]
    values = frame["key_teachers"].to_numpy() / frame["primary"].to_numpy() * 100  # key teachers per 100 pupils
    assert result["schools"] == len(schools)
    assert result["cv"] == pytest.approx(weighted_cv(values, frame["primary"].to_numpy()))
    assert table["in_cv"].to_dict() == {name: name in schools for name in COUNTY}
    assert table.loc["point_small", "verdict"] == "fails"  # its own verdict is still given


def test_the_teaching_point_size_is_a_setting():
    policy = Policy(cv_teaching_points="exclude", cv_teaching_point_pupils=100)
    table, pupils = indicators_of(COUNTY, policy)
    assert balance(table, pupils, policy).loc[("primary", "key_teachers"), "schools"] == 2


@pytest.mark.parametrize("split", ["pupils", "requirement"])
def test_a_nine_year_school_is_split_between_the_levels_by_the_policy(split):
    county = {"primary": school(300, shares={"teaching_area_m2": 1.0}),
              "junior": school(0, 400, kind="junior_secondary", shares={"teaching_area_m2": 1.5}),
              "nine": school(200, 100, kind="nine_year", shares={"teaching_area_m2": 1.1})}
    policy = Policy(cv_nine_year_split=split)
    table, pupils = indicators_of(county, policy)
    result = balance(table, pupils, policy)
    area = {name: row["teaching_area_m2"] for name, row in county.items()}
    p, j = 200, 100  # the nine-year school's primary and junior pupils
    weight = {"pupils": (p, j), "requirement": (p * 4.5, j * 5.8)}[split]
    primary_part = area["nine"] * weight[0] / sum(weight)
    junior_part = area["nine"] - primary_part
    expected = {"primary": weighted_cv(np.array([area["primary"] / 300, primary_part / p]), np.array([300, p])),
                "junior": weighted_cv(np.array([area["junior"] / 400, junior_part / j]), np.array([400, j]))}
    for level in ("primary", "junior"):
        assert result.loc[(level, "teaching_area_m2"), "cv"] == pytest.approx(expected[level])


# ---------------------------------------------------------------------- settings and report
def test_the_balance_settings_are_read_from_a_policy_file_with_their_sources(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("cv_teaching_points: exclude\ncv_nine_year_split: requirement\nmissed_indicator_floor: 0.9\n",
                    encoding="utf-8")
    policy = Policy.from_yaml(path)
    assert (policy.cv_teaching_points, policy.cv_nine_year_split, policy.missed_indicator_floor) == (
        "exclude", "requirement", 0.9)
    assert "余项不能低于要求的85%" in Policy.sources("zh")["missed_indicator_floor"]
    assert "50" in Policy.sources("en")["cv_teaching_point_pupils"]
    path.write_text("cv_teaching_points: sometimes\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        Policy.from_yaml(path)
    assert "cv_teaching_points: must be one of 'include' or 'exclude' (given 'sometimes')" in info.value.text("en")
    assert "cv_teaching_points：应为以下之一：'include' or 'exclude'（给出的是 'sometimes'）" in info.value.text("zh")


@pytest.mark.parametrize(("lang", "words"), [
    ("zh", ("教学点计入差异系数", "不计入", "九年一贯制学校资源拆分", "按各学段标准要求（学生数×标准）", "无法判定（缺数据）")),
    ("en", ("teaching points in the CV", "exclude", "nine-year schools split", "by each level's requirement (pupils × standard)",
            "undetermined (data missing)")),
])
def test_the_excel_report_shows_the_balance_settings_and_verdicts(tmp_path, lang, words):
    project = project_on_line({"V": {"x": 0, **grades(10)}}, {"A": {"x": 0, "type": "村完小", "key_teachers": 3}},
                              cv_teaching_points="exclude", cv_nine_year_split="requirement")
    path = excel_report(project, [planning.baseline(project)], tmp_path / "report.xlsx", lang=lang)
    book = openpyxl.load_workbook(path)
    (balance_sheet,) = [name for name in book.sheetnames if t("report.balance", lang) in name]
    balance_rows = list(book[balance_sheet].iter_rows(values_only=True))
    settings = {row[0]: row[1:3] for row in balance_rows}
    teaching_points, pupils, split = (settings[t(f"field.{name}", lang)] for name in (
        "cv_teaching_points", "cv_teaching_point_pupils", "cv_nine_year_split"))
    assert teaching_points == (words[1], t("policy_source.cv_teaching_points", lang))
    assert pupils == ("50", t("policy_source.cv_teaching_point_pupils", lang))
    assert split == (words[3], t("policy_source.cv_nine_year_split", lang))
    assert settings[t("field.missed_indicator_floor", lang)][0] == "85%"
    assert words[0] == t("field.cv_teaching_points", lang) and words[2] == t("field.cv_nine_year_split", lang)
    (indicator_sheet,) = [name for name in book.sheetnames if t("report.indicators", lang) in name]
    indicator_rows = list(book[indicator_sheet].iter_rows(values_only=True))
    header = indicator_rows[2]  # the plan's full name is the sheet's title, in A1; the table starts on row 3
    verdict = indicator_rows[3][header.index(t("field.verdict", lang))]
    assert verdict == words[4]
