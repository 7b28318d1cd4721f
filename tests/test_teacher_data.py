"""Teacher data: the schools table's eligibility columns, the teacher roster (教师名册), the
counts a roster gives, the project file and the command line, and the demo's roster."""

from __future__ import annotations

import importlib.util
import shutil
import warnings

import numpy as np
import pandas as pd
import pyogrio
import pytest

import planning
from planning import DataWarning, Policy, ValidationError
from planning.cli import main
from planning.io import read_table
from planning.store import read_project, save_project
from planning.validation import validate_roster, validate_schools

from .conftest import ROOT
from .helpers import grades, project_on_line

DEMO = ROOT / "data" / "demo"
PE_ARTS_WORDS = {"体育", "音乐", "美术"}  # the demo's PE and arts subjects, by the roster's own words


def schools_csv(tmp_path, **columns) -> str:
    """A schools file of three schools (rows 2–4) with Chinese headers and ``columns`` added."""
    frame = pd.DataFrame({"学校编号": ["A", "B", "C"], "学校名称": ["甲小学", "乙小学", "丙小学"],
                          "学校类型": ["村完小"] * 3, "经度": [116.95, 116.96, 116.97], "纬度": [40.03, 40.04, 40.05],
                          **columns})
    path = tmp_path / "schools.csv"
    frame.to_csv(path, index=False)
    return str(path)


def roster_csv(tmp_path, frame: pd.DataFrame, name: str = "teachers.csv") -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def read_roster_file(path: str, schools=("A", "B", "C")) -> pd.DataFrame:
    return validate_roster(planning.io.read_rows(path), schools=list(schools), source=path)


def problems_of(call) -> tuple[str, str]:
    """The English and Chinese text of the ValidationError ``call`` raises."""
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.text("en"), info.value.text("zh")


# ---------------------------------------------------------------------- the schools table
@pytest.mark.parametrize(("header", "column"), [
    ("符合交流条件教师数", "eligible_teachers"), ("可交流教师数", "eligible_teachers"),
    ("符合交流轮岗条件教师数", "eligible_teachers"), ("eligible_teachers", "eligible_teachers"),
    ("符合交流条件骨干教师数", "eligible_key_teachers"), ("可交流骨干教师数", "eligible_key_teachers"),
    ("eligible_key_teachers", "eligible_key_teachers")])
def test_eligibility_columns_are_read_under_chinese_and_english_headers(tmp_path, header, column):
    path = schools_csv(tmp_path, 专任教师数=[10, 8, None], 县级以上骨干教师数=[4, 3, None], **{header: [3, None, 0]})
    schools = validate_schools(read_table(path), source=path)
    assert schools[column].tolist()[0] == 3 and schools[column].tolist()[2] == 0
    assert np.isnan(schools.loc["B", column])  # an empty cell is unknown, not none
    other = ({"eligible_teachers", "eligible_key_teachers"} - {column}).pop()
    assert schools[other].isna().all()  # a column the file lacks is unknown too


def test_school_teacher_counts_that_cannot_be_are_reported_with_row_and_header(tmp_path):
    path = schools_csv(tmp_path, 专任教师数=[10, 8, 6], 县级以上骨干教师数=[4, 9, 2], 高于规定学历教师数=[1, 2, 7],
                       符合交流条件教师数=[2.5, 5, 7], 符合交流条件骨干教师数=[1, 4, 3])
    en, zh = problems_of(lambda: validate_schools(read_table(path), source=path))
    assert "5 problems" in en
    assert ("row 2: 符合交流条件教师数 (teachers eligible to rotate) is 2.5, not a whole number; count teachers in "
            "whole persons") in en
    assert "第 2 行：符合交流条件教师数 为 2.5，不是整数；教师人数请填整数" in zh
    assert ("row 3: 县级以上骨干教师数 (key teachers per 100 pupils) is 9, more than the 8 of 专任教师数 (teachers); "
            "the first is part of the second, check the two columns") in en
    assert "第 3 行：县级以上骨干教师数 为 9，多于 专任教师数（8）；前者是后者的一部分，请核对这两列" in zh
    assert "第 4 行：高于规定学历教师数 为 7，多于 专任教师数（6）" in zh
    assert "第 4 行：符合交流条件教师数 为 7，多于 专任教师数（6）" in zh
    assert "第 4 行：符合交流条件骨干教师数 为 3，多于 县级以上骨干教师数（2）" in zh
    # eligible key teachers above the eligible teachers, the key teachers themselves fine
    path = schools_csv(tmp_path, 专任教师数=[10, 8, 6], 县级以上骨干教师数=[4, 3, 2], 符合交流条件教师数=[2, 5, 6],
                       符合交流条件骨干教师数=[3, 1, 2])
    en, zh = problems_of(lambda: validate_schools(read_table(path), source=path))
    assert ("row 2: 符合交流条件骨干教师数 (key teachers eligible to rotate) is 3, more than the 2 of 符合交流条件教师数 "
            "(teachers eligible to rotate)") in en
    assert "第 2 行：符合交流条件骨干教师数 为 3，多于 符合交流条件教师数（2）" in zh


def test_a_figure_unknown_on_either_side_is_not_compared(tmp_path):
    path = schools_csv(tmp_path, 专任教师数=[None, 8, 6], 县级以上骨干教师数=[4, None, None], 符合交流条件教师数=[3, 5, None],
                       符合交流条件骨干教师数=[2, 1, 9])
    schools = validate_schools(read_table(path), source=path)
    assert schools.loc["C", "eligible_key_teachers"] == 9 and np.isnan(schools.loc["A", "teachers"])


# ---------------------------------------------------------------------- the roster
def expected_roster(ids: list[str]) -> pd.DataFrame:
    """The roster of :data:`ZH_ROSTER`, normalised by hand."""
    frame = pd.DataFrame({"school_id": ["A", "A", "B"], "years_at_school": [8.0, 2.0, 6.0],
                          "key_teacher": [True, False, True], "above_qualification": [False, True, True],
                          "subject": ["数学", "体育", "音乐"], "pe_arts": [False, True, True]},
                         index=pd.Index(ids, name="teacher_id"))
    return frame.astype({"subject": object})  # text, None where empty


ZH_ROSTER = pd.DataFrame({"教师编号": ["001", "002", "003"], "学校编号": ["A", "A", "B"], "本校任教年限": [8, 2, 6],
                          "骨干教师": ["是", "否", "是"], "高于规定学历": ["否", "是", "是"], "任教学科": ["数学", "体育", "音乐"]})


@pytest.mark.parametrize(("headers", "yes", "no", "ids"), [
    ({}, "是", "否", ["001", "002", "003"]),
    ({"教师编号": "teacher_id", "学校编号": "school_id", "本校任教年限": "years_at_school", "骨干教师": "key_teacher",
      "高于规定学历": "above_qualification", "任教学科": "subject"}, "yes", "no", ["001", "002", "003"]),
    ({"教师编号": None, "本校任教年限": "在本校任教年数", "骨干教师": "县级以上骨干教师", "高于规定学历": "学历达标以上",
      "任教学科": "学科组"}, "Y", "N", ["1", "2", "3"]),  # no id column: the running number
])
def test_a_roster_is_read_under_chinese_and_english_headers(tmp_path, headers, yes, no, ids):
    frame = ZH_ROSTER.replace({"是": yes, "否": no})
    frame = frame.drop(columns=[h for h, new in headers.items() if new is None]).rename(
        columns={h: new for h, new in headers.items() if new})
    roster = read_roster_file(roster_csv(tmp_path, frame))
    pd.testing.assert_frame_equal(roster.drop(columns="_row"), expected_roster(ids))


def test_every_problem_of_a_roster_is_reported_with_its_row_and_column(tmp_path):
    frame = pd.DataFrame({"教师编号": ["T1", "T2", "T3", "T4", "T5", "T6", "T1"],
                          "学校编号": ["A", "Z", None, "B", "B", "B", "C"],
                          "本校任教年限": ["5", "3", "3", "十年", "-1", None, "3"],
                          "骨干教师": ["是", "否", "否", "否", "否", "否", "也许"]})
    path = roster_csv(tmp_path, frame)
    en, zh = problems_of(lambda: read_roster_file(path))
    assert f"{path}: 7 problems" in en
    assert "duplicate 教师编号 (teacher id) 'T1' in row 2, row 8; each teacher needs its own id" in en
    assert "教师编号 'T1' 重复，见 第 2 行，第 8 行；每个教师需要自己的编号" in zh
    assert ("row 3: 学校编号 (school id) 'Z' is not a school of the schools table; use an id of the schools table "
            "(such as A, B, C) or delete the row") in en
    assert "第 3 行：学校编号 'Z' 不是学校表中的学校；请改用学校表中的编号（如 A，B，C），或删去此行" in zh
    assert "row 4: 学校编号 (school id) is empty; fill in the id of the school this row belongs to" in en
    assert "第 4 行：学校编号 为空；请填写此行所属学校的编号" in zh
    assert "row 5: 本校任教年限 (years at the school) is '十年', not a number; use digits only" in en
    assert "第 5 行：本校任教年限 为 '十年'，不是数字；请只填数字" in zh
    assert "row 6: 本校任教年限 (years at the school) is -1, below zero" in en
    assert ("row 7: 本校任教年限 (years at the school) is empty; enter the years the teacher has taught at this "
            "school (0 if less than one)") in en
    assert "第 7 行：本校任教年限 为空；请填写该教师在本校任教的年数（不足一年填 0）" in zh
    assert "row 8: 骨干教师 (key teacher) is '也许', neither yes nor no; write yes or no" in en
    assert "第 8 行：骨干教师 为 '也许'，无法识别；请填 是 或 否（也可用 有/无、Y/N、1/0、√/空白）" in zh


def test_a_roster_without_its_required_columns_says_which_headers_to_add(tmp_path):
    path = roster_csv(tmp_path, ZH_ROSTER.drop(columns=["本校任教年限", "骨干教师"]))
    en, zh = problems_of(lambda: read_roster_file(path))
    assert "no years at the school column in the teacher roster: add one (its header may be any of " in en
    assert "本校任教年限" in en.split("years at the school column")[1]
    assert "缺少教师名册的 本校任教年限（年） 列：请添加一列（列名可用 本校任教年限、在本校任教年数" in zh
    assert "缺少教师名册的 骨干教师 列：请添加一列（列名可用 骨干教师、县级以上骨干教师" in zh


CELLS = {"是": True, "否": False, "有": True, "无": False, "Y": True, "N": False, "yes": True, "no": False,
         "TRUE": True, "false": False, "1": True, "0": False, "√": True, "": False}


def test_yes_and_no_are_read_in_every_usual_spelling(tmp_path):
    cells = list(CELLS)
    frame = pd.DataFrame({"学校编号": ["A"] * len(cells), "本校任教年限": [1] * len(cells), "骨干教师": cells})
    roster = read_roster_file(roster_csv(tmp_path, frame))
    assert roster["key_teacher"].dtype == bool
    assert roster["key_teacher"].tolist() == list(CELLS.values())
    numeric = pd.DataFrame({"学校编号": ["A", "A", "A"], "本校任教年限": [1, 2, 3], "骨干教师": [1, 0, None]})
    assert read_roster_file(roster_csv(tmp_path, numeric))["key_teacher"].tolist() == [True, False, False]


SUBJECTS = {"体育": True, "音乐": True, "美术": True, "艺术": True, "体育与健康": True, "PE": True, "music": True,
            "Art": True, "arts": True, "Physical Education": True, "音体美组": True, "数学": False, "语文": False,
            "Earth science": False, "speech": False, None: False}


def test_pe_and_arts_teachers_follow_the_subject_unless_a_column_says(tmp_path):
    subjects = list(SUBJECTS)
    frame = pd.DataFrame({"学校编号": ["A"] * len(subjects), "本校任教年限": [1] * len(subjects),
                          "骨干教师": ["否"] * len(subjects), "任教学科": subjects})
    roster = read_roster_file(roster_csv(tmp_path, frame))
    assert dict(zip(subjects, roster["pe_arts"].tolist(), strict=True)) == SUBJECTS
    stated = frame.assign(体育艺术教师=["否"] + ["是"] * (len(subjects) - 1))  # the column wins over the subject
    roster = read_roster_file(roster_csv(tmp_path, stated))
    assert roster["pe_arts"].tolist() == [False] + [True] * (len(subjects) - 1)
    no_subject = read_roster_file(roster_csv(tmp_path, frame.drop(columns="任教学科")))
    assert "pe_arts" not in no_subject and "subject" not in no_subject  # not known: no column


# ---------------------------------------------------------------------- a roster's counts in a project
def small_project() -> planning.Project:
    """Three schools; the table knows A's teachers, B's (some wrong) and C's; nobody's eligibility but B's."""
    return project_on_line({"V": {"x": 0, **grades(10)}},
                           {"A": {"x": 0, "type": "村完小", "teachers": 3, "key_teachers": 2},
                            "B": {"x": 1000, "type": "村完小", "teachers": 5, "key_teachers": 1, "eligible_teachers": 4},
                            "C": {"x": 2000, "type": "村完小", "teachers": 4, "key_teachers": 1}})


#: A: 8, 2 and 6 years, two key teachers (8 and 2 years); B: 10 and 1 years, no key teacher; C: none.
SMALL_ROSTER = pd.DataFrame({"teacher_id": ["a1", "a2", "a3", "b1", "b2"], "school_id": ["A", "A", "A", "B", "B"],
                             "years_at_school": [8, 2, 6, 10, 1], "key_teacher": [True, True, False, False, False]})
FIGURES = ["teachers", "key_teachers", "eligible_teachers", "eligible_key_teachers"]


def test_a_roster_gives_the_teacher_figures_and_a_warning_names_each_difference():
    project = small_project()
    with pytest.warns(DataWarning) as caught:
        with_roster = project.with_roster(SMALL_ROSTER)
    schools = with_roster.schools
    # counted by hand: A 3 teachers, 2 key, 2 with 6+ years (8, 6), 1 of them key (8); B 2, 0, 1 (10), 0
    assert schools.loc["A", FIGURES].tolist() == [3, 2, 2, 1]
    assert schools.loc["B", FIGURES].tolist() == [2, 0, 1, 0]
    assert schools.loc["C", ["teachers", "key_teachers"]].tolist() == [4, 1]  # not on the roster: the table's
    assert np.isnan(schools.loc["C", "eligible_teachers"])
    texts = [w.message.text("en") for w in caught]
    assert texts == [
        "the teacher roster and the schools table differ (3 figures); the roster's counts are used: B (B) teachers "
        "5 → 2, B (B) key_teachers 1 → 0, B (B) eligible_teachers 4 → 1",
        "schools with no teacher on the teacher roster (1) keep the teacher figures of the schools table: C (C)"]
    zh = caught[0].message.text("zh")
    assert zh.startswith("教师名册与学校表的教师数不一致（3 处），已采用名册的统计：B（B）teachers（专任教师数） 5 → 2")
    assert len(with_roster.roster) == 5 and project.roster is None  # the project itself never changes
    assert with_roster.with_roster(None).roster is None
    assert with_roster.with_roster(None).schools.loc["A", FIGURES].tolist() == [3, 2, 2, 1]  # the figures stay


def test_eligibility_is_counted_again_when_the_years_of_the_policy_change():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        project = small_project().with_roster(SMALL_ROSTER)
    minutes = project.travel_times()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # a policy change is no new data: no warning
        two = project.with_policy(project.policy.replace(exchange_min_years=2))
        nine = project.with_policy(project.policy.replace(exchange_min_years=9))
    assert two.schools.loc[["A", "B"], ["eligible_teachers", "eligible_key_teachers"]].to_numpy().tolist() == \
        [[3, 2], [1, 0]]  # A: 8, 2, 6 years are all 2+, both key teachers; B: 10 years
    assert nine.schools.loc[["A", "B"], ["eligible_teachers", "eligible_key_teachers"]].to_numpy().tolist() == \
        [[0, 0], [1, 0]]
    assert two.schools.loc[["A", "B"], "teachers"].tolist() == [3, 2]
    assert two.matrix is project.matrix and minutes.equals(two.travel_times())  # no routing again
    back = nine.with_policy(project.policy)
    assert back.schools.loc["A", ["eligible_teachers", "eligible_key_teachers"]].tolist() == [2, 1]


def test_the_roster_outweighs_a_new_schools_table_and_must_name_its_schools():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        project = small_project().with_roster(SMALL_ROSTER)
    edited = project.with_schools(project.schools.assign(teachers=[30.0, 20.0, 10.0]))
    assert edited.schools["teachers"].tolist() == [3, 2, 10]  # A and B counted from the roster, C as given
    with pytest.raises(ValidationError, match="the teacher roster names schools the schools table does not have: B"):
        project.with_schools(project.schools.drop(index="B"))


def test_the_project_file_keeps_the_roster(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        project = small_project().with_roster(SMALL_ROSTER.assign(
            teacher_id=["007", "a2", "a3", "b1", "b2"], subject=["体育", None, "数学", "音乐", "数学"],
            above_qualification=["是", "", "√", "否", "1"]))
    project = project.with_policy(project.policy.replace(exchange_min_years=7))
    save_project(tmp_path / "p.gpkg", project)
    assert "teachers" in dict(pyogrio.list_layers(tmp_path / "p.gpkg"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # the saved figures are the roster's: nothing differs
        opened = read_project(tmp_path / "p.gpkg").project
    pd.testing.assert_frame_equal(opened.roster.drop(columns="_row"), project.roster.drop(columns="_row"))
    assert opened.roster.index.tolist()[0] == "007"
    assert opened.roster["pe_arts"].tolist() == [True, False, False, True, False]
    assert opened.schools.loc[["A", "B"], FIGURES].to_numpy().tolist() == [[3, 2, 1, 1], [2, 0, 1, 0]]
    save_project(tmp_path / "none.gpkg", small_project())
    assert "teachers" not in dict(pyogrio.list_layers(tmp_path / "none.gpkg"))
    assert read_project(tmp_path / "none.gpkg").project.roster is None


def test_from_files_takes_a_roster(tmp_path):
    schools = pd.read_csv(DEMO / "schools.csv", dtype={"学校编号": str})
    roster = pd.read_csv(DEMO / "teachers.csv", dtype=str)
    first = schools["学校编号"].iloc[0]
    roster = roster[roster["学校编号"] != first]  # the first school has no teacher on the roster
    project = planning.from_files(DEMO / "villages.csv", DEMO / "schools.csv", roads=DEMO / "roads.gpkg",
                                  teachers=roster_csv(tmp_path, roster))
    assert len(project.roster) == len(roster)
    assert project.schools.loc[first, "teachers"] == schools["专任教师数"].iloc[0]  # the table's figure kept


# ---------------------------------------------------------------------- the command line
def test_the_command_line_takes_a_roster_and_prints_its_warning_and_errors(tmp_path, capsys):
    schools = pd.read_csv(DEMO / "schools.csv", dtype={"学校编号": str})
    sid, name, teachers = schools.loc[0, ["学校编号", "学校名称", "专任教师数"]]
    schools.loc[0, "专任教师数"] = teachers + 1  # the table says one teacher more than the roster lists
    schools.to_csv(tmp_path / "schools.csv", index=False)
    args = ["check", "--villages", str(DEMO / "villages.csv"), "--schools", str(tmp_path / "schools.csv"),
            "--roads", str(DEMO / "roads.gpkg"), "--out", str(tmp_path / "out"), "--quiet"]
    assert main([*args, "--teachers", str(DEMO / "teachers.csv"), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert f"{name} ({sid}) 专任教师数 (teachers) {teachers + 1} → {teachers}" in err
    assert main([*args, "--teachers", str(DEMO / "teachers.csv")]) == 0
    assert f"{name}（{sid}）专任教师数 {teachers + 1} → {teachers}" in capsys.readouterr().err
    bad = pd.read_csv(DEMO / "teachers.csv", dtype=str)
    bad.loc[1, "学校编号"] = "S99"
    bad_path = roster_csv(tmp_path, bad, "bad.csv")
    for source in (args, ["check", "--demo", "--out", str(tmp_path / "out"), "--quiet"]):
        assert main([*source, "--teachers", bad_path]) == 2
        assert f"{bad_path}：第 3 行：学校编号 'S99' 不是学校表中的学校" in capsys.readouterr().err


# ---------------------------------------------------------------------- the demo's roster
def test_the_demo_roster_agrees_with_its_schools_table():
    schools = pd.read_csv(DEMO / "schools.csv", dtype={"学校编号": str}).set_index("学校编号")
    roster = pd.read_csv(DEMO / "teachers.csv", dtype={"学校编号": str, "教师编号": str})
    assert roster["教师编号"].is_unique and set(roster["学校编号"]) <= set(schools.index)
    years = Policy().exchange_min_years
    key, eligible = roster["骨干教师"] == "是", roster["本校任教年限"] >= years
    counted = pd.DataFrame({
        "专任教师数": roster.groupby("学校编号").size(),
        "县级以上骨干教师数": key.groupby(roster["学校编号"]).sum(),
        "高于规定学历教师数": (roster["高于规定学历"] == "是").groupby(roster["学校编号"]).sum(),
        "体育艺术教师数": roster["任教学科"].isin(PE_ARTS_WORDS).groupby(roster["学校编号"]).sum(),
        "符合交流条件教师数": eligible.groupby(roster["学校编号"]).sum(),
        "符合交流条件骨干教师数": (eligible & key).groupby(roster["学校编号"]).sum(),
    }).reindex(schools.index).fillna(0)
    pd.testing.assert_frame_equal(counted.astype(int), schools[counted.columns].astype(int))
    # long-serving teachers are common at the township seat's schools, rarer in the villages
    share = eligible.groupby(roster["学校编号"].map(schools["学校类型"])).mean()
    assert min(share["中心小学"], share["初级中学"]) > max(share["村完小"], share["教学点"])
    assert "SYNTHETIC" in (DEMO / "README.md").read_text(encoding="utf-8")
    assert "`teachers.csv`" in (DEMO / "README.md").read_text(encoding="utf-8")


def test_the_demo_loads_its_roster_and_no_figure_differs():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        project = planning.demo()
    assert not [w for w in caught if "roster" in str(w.message)]
    table = pd.read_csv(DEMO / "schools.csv", dtype={"学校编号": str}).set_index("学校编号")
    assert len(project.roster) == len(pd.read_csv(planning.DEMO_TEACHERS))
    assert project.schools["eligible_teachers"].tolist() == table["符合交流条件教师数"].tolist()
    assert project.schools["eligible_key_teachers"].tolist() == table["符合交流条件骨干教师数"].tolist()


def test_regenerating_the_demo_roster_gives_the_same_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "data" / "make_demo.py")
    make_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_demo)
    shutil.copy(DEMO / "schools.csv", tmp_path / "schools.csv")
    make_demo.write_teachers(tmp_path)
    for name in ("schools.csv", "teachers.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_a_schools_table_checked_again_still_names_the_planners_headers(tmp_path):
    path = schools_csv(tmp_path, 专任教师数=[10, 8, 6], 县级以上骨干教师数=[4, 3, 2])
    schools = validate_schools(read_table(path), source=path)
    en, zh = problems_of(lambda: validate_schools(schools.assign(key_teachers=[4.0, 9.0, 2.0])))
    assert "第 3 行：县级以上骨干教师数 为 9，多于 专任教师数（8）" in zh
