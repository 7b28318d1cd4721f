"""Teachers: staffing after a plan, the teacher exchange and school alliances, on cases
worked out on paper (tests/helpers.py: 100 m of road is 1.5 min on foot; a bus at 30 km/h
drives 500 m a minute) and on the demo."""

from __future__ import annotations

import pytest

import planning
from planning import InfeasibleError, Scenario, ValidationError, baseline
from planning.teachers import school_drive_minutes

from .helpers import grades, project_on_line


def _staffing_line(**policy):
    """A central primary A (20 teachers) and its village at 0 m; a teaching point B (grades
    1–3, 2 teachers) and its village at 2000 m (30 min from A); a junior school J (12
    teachers) at 1000 m."""
    villages = {"VA": {"x": 0, **{f"grade_{g}": (60 if g <= 6 else 45) for g in range(1, 10)}},
                "VB": {"x": 2000, **grades(10, range(1, 4))}}
    schools = {"A": {"x": 0, "type": "central_primary", "teachers": 20},
               "B": {"x": 2000, "type": "teaching_point", "teachers": 2},
               "J": {"x": 1000, "type": "junior_secondary", "teachers": 12}}
    return project_on_line(villages, schools, **policy)


def test_staffing_follows_the_norms():
    """A: 360 primary pupils / 19 = 18.9 → 19 teachers; J: 135 junior / 13.5 = 10 exactly → 10;
    B (30 pupils, a small school): 30 / 19 = 1.6, but 3 classes × 1.7 = 5.1 → 6."""
    staff = baseline(_staffing_line()).staffing
    assert staff.loc["A", "teachers_needed"] == 19 and staff.loc["A", "surplus"] == 1
    assert staff.loc["J", "teachers_needed"] == 10 and staff.loc["J", "surplus"] == 2
    assert staff.loc["B", "needed_by_ratio"] == pytest.approx(30 / 19, abs=0.01)
    assert staff.loc["B", "needed_by_classes"] == pytest.approx(5.1)
    assert staff.loc["B", "teachers_needed"] == 6 and staff.loc["B", "surplus"] == -4
    assert bool(staff.loc["B", "small_school"]) and not bool(staff.loc["A", "small_school"])
    # a province with 1.5 teachers per class: 3 × 1.5 = 4.5 → 5
    assert baseline(_staffing_line(teachers_per_class=1.5)).staffing.loc["B", "teachers_needed"] == 5
    summary = baseline(_staffing_line()).summary
    assert (summary["teachers"], summary["teachers_needed"]) == (34, 35)
    assert (summary["teachers_short"], summary["teachers_spare"]) == (4, 3)


def test_a_merge_moves_the_teachers_and_a_closure_leaves_them_to_place():
    """Merging B into A: A teaches 390 primary pupils (390 / 19 = 20.5 → 21) with 22 teachers.
    Closing B instead: A has 20 of the 21 it needs, B's 2 teachers are to be placed."""
    project = _staffing_line()
    merged = Scenario(project, "merge").merge("B", into="A").evaluate().staffing
    assert merged.loc["A", ["teachers", "moved", "teachers_needed", "surplus"]].tolist() == [22, 2, 21, 1]
    assert merged.loc["B", ["teachers", "moved", "teachers_needed", "to_place"]].tolist() == [0, -2, 0, 0]
    closed = Scenario(project, "close").close("B").evaluate()
    assert closed.staffing.loc["A", "surplus"] == -1 and closed.staffing.loc["B", "to_place"] == 2
    assert (closed.summary["teachers_short"], closed.summary["teachers_spare"]) == (1, 2 + 2)


def test_staffing_before_and_after_the_demo_consolidation(demo):
    """13 → 5 schools: every teacher is still counted, the five open schools need fewer
    teachers than the thirteen did, and the shortages of the small schools are gone."""
    today = baseline(demo)
    plan = Scenario.from_file(planning.load.DEMO_FOLDER / "scenarios" / "consolidate_5.yaml", demo).evaluate()
    assert plan.summary["schools_open"] == 5
    assert plan.staffing["teachers"].sum() == today.staffing["teachers"].sum() == demo.schools["teachers"].sum()
    assert plan.summary["teachers_needed"] < today.summary["teachers_needed"]
    assert today.summary["teachers_short"] > 0 and plan.summary["teachers_short"] == 0
    moved_in = plan.staffing.loc[plan.staffing["moved"] > 0, "moved"].sum()
    assert moved_in == -plan.staffing.loc[plan.staffing["moved"] < 0, "moved"].sum() > 0
    row = planning.compare(today, plan).loc["teachers_short"]
    assert row.iloc[0] == today.summary["teachers_short"] and row.iloc[1] == 0


# ---------------------------------------------------------------------------------------------
# Alliances
# ---------------------------------------------------------------------------------------------

def _alliance_line():
    """Six primary schools on a road: cores A (0 m) and D (3000 m). A village beside each
    school: A 100 pupils, B (500 m) 100, C (1000 m) 100, D 100, E (3500 m) 10, F (4000 m) 10."""
    xs = {"A": 0, "B": 500, "C": 1000, "D": 3000, "E": 3500, "F": 4000}
    pupils = {"A": 100, "B": 100, "C": 100, "D": 100, "E": 10, "F": 10}
    villages = {f"V{s}": {"x": x, **grades(0), "grade_4": pupils[s]} for s, x in xs.items()}
    schools = {s: {"x": x, "type": "village_primary", "teachers": 5} for s, x in xs.items()}
    return project_on_line(villages, schools)


def test_drive_minutes_between_schools_are_the_road_at_bus_speed():
    minutes = school_drive_minutes(_alliance_line())
    assert minutes.loc["A", "D"] == pytest.approx(3000 / 500) and minutes.loc["C", "D"] == pytest.approx(4.0)
    assert minutes.loc["D", "D"] == 0


def test_alliances_balance_the_groups_before_the_driving():
    """Within 4.5 min (2250 m) B can only join A, E and F only D, C either (1000 m to A,
    2000 m to D). Nearest, C would join A: 300 pupils against 120; balanced, C joins D:
    200 against 220 — the spread of 20 pupils is the least possible."""
    answer = planning.alliances(_alliance_line(), cores=["A", "D"], size=(1, 3), max_minutes=4.5)
    assert answer.groups.to_dict() == {"A": "A", "B": "A", "C": "D", "D": "D", "E": "D", "F": "D"}
    assert answer.spread == 20 and answer.status == "Optimal" and answer.left_out == []
    assert answer.summary.loc["D", ["members", "pupils"]].tolist() == [3, 220]
    assert answer.schools.loc["C", "drive_minutes"] == pytest.approx(4.0)


def test_alliances_say_which_core_is_alone_and_check_the_request():
    project = _alliance_line()
    with pytest.raises(InfeasibleError) as caught:
        planning.alliances(project, cores=["A", "D"], size=(3, 6), max_minutes=1.5)
    assert "A A (1), D D (1)" in caught.value.text("en") and "fewer than 3" in caught.value.text("en")  # 750 m: B, E
    assert "不足 3 所" in caught.value.text("zh")
    with pytest.raises(ValidationError, match="one of the two"):
        planning.alliances(project)
    with pytest.raises(ValidationError, match="not an open school: X"):
        planning.alliances(project, cores=["A", "X"])


def test_alliances_with_cores_chosen_keep_every_rule(demo):
    """k = 2 cores chosen on the demo: every school in an alliance, each group 2–6 members
    within the drive limit, members sharing a level with their core, proven optimal."""
    answer = planning.alliances(demo, k=2, max_minutes=30)
    schools = answer.schools
    assert answer.status == "Optimal" and answer.left_out == []
    assert (answer.summary["members"].between(2, 6)).all() and len(answer.summary) == 2
    assert (schools["drive_minutes"] <= 30).all()
    levels = baseline(demo).schools["grades"]
    for school, core in answer.groups.items():
        assert set(levels[school]) & set(levels[core]), (school, core)
    assert answer.summary["pupils"].sum() == baseline(demo).schools["pupils"].sum()


def test_demo_alliances_around_the_central_and_the_nine_year_school(demo):
    answer = planning.alliances(demo, cores=["S01", "S03"])
    assert answer.groups["S02"] == "S03"  # the junior school shares its level with the nine-year school only
    assert set(answer.summary.index) == {"S01", "S03"} and answer.left_out == []
    assert answer.summary["members"].between(2, 6).all()
    drive = school_drive_minutes(demo)
    for school, core in answer.groups.items():
        assert answer.schools.loc[school, "drive_minutes"] == pytest.approx(drive.loc[school, core])
