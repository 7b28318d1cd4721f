"""Teachers: staffing after a plan, the teacher exchange and school alliances, on cases
worked out on paper (tests/helpers.py: 100 m of road is 1.5 min on foot; a bus at 30 km/h
drives 500 m a minute) and on the demo."""

from __future__ import annotations

import math
import warnings

import numpy as np
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
    answer = planning.alliances(_alliance_line(), cores=["A", "D"], size=(1, 3), max_minutes=4.5, balance="pupils")
    assert answer.groups.to_dict() == {"A": "A", "B": "A", "C": "D", "D": "D", "E": "D", "F": "D"}
    assert answer.spread == 20 and answer.status == "Optimal" and answer.left_out == []
    assert answer.summary.loc["D", ["members", "pupils"]].tolist() == [3, 220]
    assert answer.schools.loc["C", "drive_minutes"] == pytest.approx(4.0)
    # counted in schools instead, C joins A: three schools each (2 against 4 the other way)
    by_schools = planning.alliances(_alliance_line(), cores=["A", "D"], size=(1, 3), max_minutes=4.5)
    assert by_schools.groups["C"] == "A" and by_schools.spread == 0
    with pytest.raises(ValidationError, match="balanced by schools or pupils, not teachers"):
        planning.alliances(_alliance_line(), cores=["A", "D"], balance="teachers")


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


# ---------------------------------------------------------------------------------------------
# Teacher exchange
# ---------------------------------------------------------------------------------------------

def _exchange_line(**a):
    """Three primary schools 1000 m apart (a bus drives it in 2 min), 100 pupils each. A has
    10 teachers, 4 of them key teachers, all eligible to rotate; B and C have 5, none key or
    eligible. The county: 20 teachers and 4 key teachers for 300 pupils."""
    villages = {f"V{s}": {"x": x, **grades(0), "grade_4": 100} for s, x in (("A", 0), ("B", 1000), ("C", 2000))}
    base = {"type": "village_primary", "key_teachers": 0, "eligible_teachers": 0, "eligible_key_teachers": 0}
    schools = {"A": {**base, "x": 0, "teachers": 10, "key_teachers": 4, "eligible_teachers": 10,
                     "eligible_key_teachers": a.get("eligible_key", 4)},
               "B": {**base, "x": 1000, "teachers": 5}, "C": {**base, "x": 2000, "teachers": 5}}
    return baseline(project_on_line(villages, schools))


def _cv(values, pupils):
    mean = np.average(values, weights=pupils)
    return np.sqrt(np.average((values - mean) ** 2, weights=pupils)) / mean


def test_exchange_of_one_key_teacher_worked_out_on_paper():
    """10 % of 10 eligible = 1 teacher, a key one (20 % of 1, rounded up). Moving a key
    teacher from A to B or C is equally good: teachers 9/6/5 (|9 − 6.67| + |6 − 6.67| +
    |5 − 6.67| = 4.67 of 20) and key teachers 3/1/0 (3.33 of 4): 0.233 + 0.833 = 1.067,
    against 0.333 + 1.333 = 1.667 before; B is the shorter drive."""
    answer = planning.teacher_exchange(_exchange_line())
    assert (answer.quota, answer.key_quota, answer.eligible) == (1, 1, 10)
    assert answer.moves[["from_school", "to_school", "teachers", "key_teachers"]].values.tolist() == [["A", "B", 1, 1]]
    assert answer.moves["drive_minutes"].iloc[0] == pytest.approx(2.0)
    assert answer.dispersion_before == pytest.approx(5 / 3) and answer.dispersion_after == pytest.approx(16 / 15)
    assert answer.status == "Optimal"
    pupils = np.full(3, 100.0)
    assert answer.cv_before["teachers"] == pytest.approx(_cv(np.array([10, 5, 5]), pupils))
    assert answer.cv_after["key_teachers"] == pytest.approx(_cv(np.array([3, 1, 0]), pupils))
    assert answer.cv_after["teachers_above_qualification"] == answer.cv_before["teachers_above_qualification"] or \
        np.isnan(answer.cv_before["teachers_above_qualification"])
    assert any("roster" in note for note in answer.explain("en"))


def test_exchange_of_three_teachers_worked_out_on_paper():
    """30 %: 3 teachers, at least 1 key. A keeps 7; the best is 7/7/6 teachers (1.33 of 20)
    and key teachers 2/1/1 or 1/2/1 (1.33 of 4): 0.067 + 0.333 = 0.4. Two to B and one to C
    (8 minutes of driving) beats one to B and two to C (10)."""
    answer = planning.teacher_exchange(_exchange_line(), share=0.3)
    assert (answer.quota, answer.key_quota) == (3, 1)
    assert answer.dispersion_after == pytest.approx(0.4)
    moves = answer.moves.set_index("to_school")
    assert moves["teachers"].to_dict() == {"B": 2, "C": 1} and set(moves["from_school"]) == {"A"}
    assert moves["key_teachers"].sum() >= 1
    after = answer.schools["teachers_after"].to_numpy()
    assert after.tolist() == [7, 7, 6]
    assert answer.cv_after["teachers"] == pytest.approx(_cv(after, np.full(3, 100.0)))
    assert answer.schools.loc["A", "sent"] == 3 and answer.schools[["sent", "received"]].sum().tolist() == [3, 3]


def test_exchange_rules_that_cannot_be_met_are_explained():
    today = _exchange_line()
    with pytest.raises(InfeasibleError) as caught:
        planning.teacher_exchange(_exchange_line(eligible_key=0))
    assert caught.value.text("en").startswith("of the 1 teachers who rotate at least 20%, i.e. 1, must be key")
    assert "只有 0 名符合交流条件的骨干教师" in caught.value.text("zh")
    with pytest.raises(InfeasibleError, match="the schools that may send have only 0 eligible teachers"):
        planning.teacher_exchange(today, receive_only=["A"])
    with pytest.raises(InfeasibleError) as caught:
        planning.teacher_exchange(today, max_minutes=1)  # 1000 m is 2 minutes: no pair within reach
    assert "at most 0 eligible teachers (0 key teachers) have a school they may move to within 1 minutes" in \
        caught.value.text("en")
    with pytest.raises(InfeasibleError) as caught:  # every school only sends: A's teachers have nowhere to go
        planning.teacher_exchange(today, send_only=["A", "B", "C"])
    assert "teachers move only between schools sharing a level" in caught.value.text("en")
    with pytest.raises(ValidationError, match="not understood: key_teacher"):
        planning.teacher_exchange(today, weights={"key_teacher": 2})
    with pytest.raises(ValidationError, match="do not take part: X"):
        planning.teacher_exchange(today, send_only=["X"])
    with pytest.raises(ValidationError, match="both send-only and receive-only: B"):
        planning.teacher_exchange(today, send_only=["B"], receive_only=["B"])


def test_exchange_needs_data_on_eligible_teachers():
    villages = {"V": {"x": 0, **grades(10)}}
    project = project_on_line(villages, {"A": {"x": 0, "type": "village_primary", "teachers": 5},
                                         "B": {"x": 500, "type": "village_primary", "teachers": 5}})
    with pytest.raises(ValidationError) as caught:
        planning.teacher_exchange(baseline(project))
    assert "符合交流条件教师数" in caught.value.text("en") and "教师名册" in caught.value.text("zh")


def test_demo_exchange_meets_the_rules_and_narrows_the_key_teacher_gaps(demo):
    """On the demo roster: 10 % of the teachers with six years or more at their school
    rotate, at least 20 % of them key teachers, each from a school where they are eligible,
    and the key-teacher CV falls."""
    answer = planning.teacher_exchange(baseline(demo), max_minutes=25)
    roster = demo.roster
    eligible = roster[roster["years_at_school"] >= demo.policy.exchange_min_years]
    assert answer.eligible == len(eligible) and answer.quota == math.ceil(0.1 * len(eligible))
    assert answer.moves["teachers"].sum() == answer.quota
    assert answer.moves["key_teachers"].sum() >= math.ceil(0.2 * answer.quota)
    sent = answer.moves.groupby("from_school")[["teachers", "key_teachers"]].sum()
    by_school = eligible.groupby("school_id").agg(teachers=("key_teacher", "size"), key=("key_teacher", "sum"))
    for school, row in sent.iterrows():
        assert row["teachers"] <= by_school.loc[school, "teachers"] and row["key_teachers"] <= by_school.loc[school, "key"]
    assert (answer.moves["drive_minutes"] <= 25).all()
    assert answer.cv_after["key_teachers"] < answer.cv_before["key_teachers"]
    assert answer.dispersion_after < answer.dispersion_before
    assert answer.status == "Optimal" and answer.gap <= 1e-4
    counts = demo.schools.loc[answer.schools.index, "key_teachers"].to_numpy()
    assert answer.schools["key_teachers_before"].tolist() == counts.tolist()
    net = answer.schools["key_teachers_after"] - answer.schools["key_teachers_before"]
    received = answer.moves.groupby("to_school")["key_teachers"].sum().reindex(net.index, fill_value=0)
    np.testing.assert_array_equal(net, received - sent["key_teachers"].reindex(net.index, fill_value=0))


def test_after_a_merge_the_roster_teachers_rotate_from_their_new_school(demo):
    from planning.teachers import _pool

    plan = Scenario(demo, "merge").merge("S08", into="S04").evaluate()
    pool = _pool(plan, None)
    roster = demo.roster[demo.roster["years_at_school"] >= demo.policy.exchange_min_years]
    at = pool.eligible.sum(axis=1)
    assert "S08" not in pool.ids
    assert at[pool.ids.get_loc("S04")] == (roster["school_id"].isin(["S04", "S08"])).sum()
    assert pool.counts[pool.ids.get_loc("S04"), 0] == demo.schools.loc[["S04", "S08"], "teachers"].sum()


def test_an_exchange_forced_to_widen_the_gaps_says_so():
    """Within 2.5 min (1250 m) A can only send to B. With 80 % of A's 10 eligible teachers
    to move (none of them key teachers, none required), A keeps 2 and B gets 13: teachers
    4.67 + 6.33 + 1.67 = 12.67 from the county's ratio instead of 6.67 (0.633 of 20 against
    0.333; key teachers unchanged at 1.333): wider than before, and the answer says why."""
    answer = planning.teacher_exchange(_exchange_line(eligible_key=0), share=0.8, key_share=0, max_minutes=2.5)
    assert answer.moves[["from_school", "to_school", "teachers"]].values.tolist() == [["A", "B", 8]]
    assert answer.dispersion_after == pytest.approx(12.67 / 20 + 4 / 3, abs=1e-3)
    assert answer.dispersion_before == pytest.approx(5 / 3)
    assert any("widens the gaps" in note for note in answer.explain("en"))
    assert any("扩大" in note for note in answer.explain("zh"))
    assert not any("widens" in note for note in planning.teacher_exchange(_exchange_line()).explain("en"))


def test_unknown_teachers_stay_unknown_through_a_merge_and_out_of_the_totals():
    """A merge of a school whose teachers are unknown leaves the receiving school's unknown
    (not 0 and a made-up shortage); the county figures count the schools whose teachers are
    known, the need included."""
    villages = {"VA": {"x": 0, **grades(60)}, "VB": {"x": 500, **grades(10)}, "VC": {"x": 4000, **grades(40)}}
    schools = {"A": {"x": 0, "type": "central_primary", "teachers": 20},
               "B": {"x": 500, "type": "village_primary"},
               "C": {"x": 4000, "type": "village_primary", "teachers": 15}}
    project = project_on_line(villages, schools)
    today = baseline(project)
    assert np.isnan(today.staffing.loc["B", "surplus"])
    assert today.summary["teachers"] == 35 and today.summary["teachers_needed"] == 19 + 13  # 360/19, 240/19
    merged = Scenario(project, "merge").merge("B", into="A").evaluate()
    assert np.isnan(merged.staffing.loc["A", "teachers"]) and np.isnan(merged.staffing.loc["A", "surplus"])
    assert merged.summary["teachers"] == 15 and merged.summary["teachers_short"] == 0


def test_exchange_review_cases():
    """Unknown counts stay unknown; a site opened with no teachers takes part; a drive exactly
    at the limit is within it; a roster covering some schools leaves the others' eligible
    teachers to the schools table."""
    # a key-teacher count unknown at B: key teachers are left out of the balancing, said so,
    # and nothing is invented for B
    villages = {f"V{s}": {"x": x, **grades(0), "grade_4": 100} for s, x in (("A", 0), ("B", 1000), ("C", 2000))}
    base = {"type": "village_primary", "eligible_teachers": 0}
    schools = {"A": {**base, "x": 0, "teachers": 10, "key_teachers": 4, "eligible_teachers": 10,
                     "eligible_key_teachers": 4},
               "B": {**base, "x": 1000, "teachers": 5}, "C": {**base, "x": 2000, "teachers": 5, "key_teachers": 0}}
    answer = planning.teacher_exchange(baseline(project_on_line(villages, schools)), share=0.0, key_share=0)
    assert answer.moves.empty and np.isnan(answer.schools.loc["B", "key_teachers_before"])
    kept = answer.balance.dropna()
    np.testing.assert_allclose(kept["after"], kept["before"])  # nobody moves: nothing changes
    assert any("unknown" in note for note in answer.explain("en"))
    # exactly 3 minutes (1500 m) away at a 3-minute limit: within it
    assert school_drive_minutes(_alliance_line()).loc["A", "D"] == pytest.approx(6.0)
    within = planning.alliances(_alliance_line(), cores=["A"], size=(1, 5), max_minutes=2.0)  # B 1 min, C 2 min
    assert set(within.groups.index) == {"A", "B", "C"}


def test_a_new_school_takes_part_in_the_exchange_with_no_teachers():
    villages = {"VA": {"x": 0, **grades(0), "grade_4": 100}, "VN": {"x": 3000, **grades(0), "grade_4": 100}}
    schools = {"A": {"x": 0, "type": "village_primary", "teachers": 12, "key_teachers": 2,
                     "eligible_teachers": 10, "eligible_key_teachers": 2}}
    project = project_on_line(villages, schools, sites={"N": {"x": 3000, "type": "village_primary"}})
    plan = Scenario(project, "open N").open_site("N").evaluate()
    assert plan.staffing.loc["N", "teachers"] == 0 and plan.staffing.loc["N", "surplus"] == -6
    answer = planning.teacher_exchange(plan, share=0.3)  # 3 teachers, at least 1 key: all to the new school
    assert answer.moves[["from_school", "to_school", "teachers"]].values.tolist() == [["A", "N", 3]]


def test_a_roster_of_some_schools_leaves_the_others_to_the_schools_table():
    """A's 10 eligible teachers (4 key) are in the schools table, B's 2 on a roster: 12
    eligible, 2 rotate, 1 key teacher among them, who can only come from A."""
    import pandas as pd

    villages = {f"V{s}": {"x": x, **grades(0), "grade_4": 100} for s, x in (("A", 0), ("B", 1000), ("C", 2000))}
    schools = {"A": {"x": 0, "type": "village_primary", "teachers": 10, "key_teachers": 4,
                     "eligible_teachers": 10, "eligible_key_teachers": 4},
               "B": {"x": 1000, "type": "village_primary", "teachers": 2, "key_teachers": 0},
               "C": {"x": 2000, "type": "village_primary", "teachers": 5, "key_teachers": 0,
                     "eligible_teachers": 0, "eligible_key_teachers": 0}}
    roster = pd.DataFrame({"teacher_id": ["b1", "b2"], "school_id": ["B", "B"], "years_at_school": [8, 9],
                           "key_teacher": ["否", "否"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        project = project_on_line(villages, schools).with_roster(roster)
    answer = planning.teacher_exchange(baseline(project))
    assert (answer.eligible, answer.quota, answer.key_quota) == (12, 2, 1)
    assert set(answer.moves.loc[answer.moves["key_teachers"] > 0, "from_school"]) == {"A"}
