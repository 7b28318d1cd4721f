"""What a plan costs, worked out on paper (tests/helpers.py: 100 m of road is 1.5 min on foot;
a bus at 30 km/h drives 500 m a minute) with the policy's default cost settings."""

from __future__ import annotations

import pytest

import planning
from planning import Scenario, baseline
from planning.costs import present_value

from .helpers import grades, project_on_line


def _merge_line():
    """A central primary A (10 classrooms) and its village at 0 m, 270 pupils (45 a grade); a
    village primary B with 200 m² of dilapidated buildings and its village at 2000 m (30 min
    from A), 270 pupils; a village C at 4500 m with 30 pupils in grade 4 (37.5 min to B, 67.5
    to A)."""
    villages = {"VA": {"x": 0, **grades(45)}, "VB": {"x": 2000, **grades(45)},
                "VC": {"x": 4500, **grades(0), "grade_4": 30}}
    schools = {"A": {"x": 0, "type": "central_primary", "capacity": 1000, "classrooms": 10, "beds": 0},
               "B": {"x": 2000, "type": "village_primary", "capacity": 400, "classrooms": 6, "beds": 0,
                     "dilapidated_m2": 200}}
    return project_on_line(villages, schools, length_m=5000)


def test_a_merge_that_needs_three_classrooms_and_a_bus_costs_what_it_should():
    """Merging B into A: A teaches 570 pupils, 90 in each grade (2 classes of 45) but 120 in
    grade 4 with C's (3 classes): 13 classes in 10 classrooms, so 3 classrooms are built, 3 ×
    61 m² × 3,000 yuan = 549,000. C's 30 pupils ride one bus (400,000). B's 200 m² of
    dilapidated buildings need no renovation (−200 × 1,500 = −300,000). One-off: 649,000.
    Yearly: a driver (60,000) and 4.5 km × 4 × 195 days × 3 yuan = 10,530; 570 / 19 = 30
    teachers × 100,000; running A, 100,000 + 570 × 720 = 510,400."""
    plan = Scenario(_merge_line(), "merge").merge("B", into="A").add_bus("A", villages=["VC"]).evaluate()
    assert plan.schools.loc["A", "classes_needed"] == 13 and plan.summary["bus_riders"] == 30
    sheet = planning.cost_sheet(plan).set_index("item")
    assert sheet.loc["classrooms_built", ["quantity", "one_off_yuan"]].tolist() == [3, 549_000]
    assert sheet.loc["buses_bought", ["quantity", "one_off_yuan"]].tolist() == [1, 400_000]  # 30 riders: one bus
    assert sheet.loc["buses_run", "yearly_yuan"] == pytest.approx(60_000 + 10_530)
    assert sheet.loc["renovation_avoided", "one_off_yuan"] == -200 * 1500
    assert sheet.loc["teachers", "yearly_yuan"] == 30 * 100_000                      # 570 / 19 = 30
    assert sheet.loc["schools_run", "yearly_yuan"] == 100_000 + 570 * 720
    total = sheet.loc["total"]
    assert total["one_off_yuan"] == 649_000
    assert total["yearly_yuan"] == pytest.approx(70_530 + 3_000_000 + 510_400)
    annuity = sum(1.08 ** -t for t in range(1, 11))
    assert total["npv_yuan"] == pytest.approx(total["one_off_yuan"] + total["yearly_yuan"] * annuity)
    assert plan.summary["one_off_yuan"] == total["one_off_yuan"]


def test_renting_instead_of_building_and_small_schools_funded_as_a_hundred():
    project = _merge_line().with_policy(planning.Policy(cost_classroom_short="rent"))
    plan = Scenario(project, "merge").merge("B", into="A").add_bus("A", villages=["VC"]).evaluate()
    sheet = planning.cost_sheet(plan).set_index("item")
    assert "classrooms_built" not in sheet.index
    assert sheet.loc["classrooms_rented", ["quantity", "yearly_yuan"]].tolist() == [3, 18_000]
    # today: B alone has 270 pupils; a school of 30 pupils would be funded as 100
    villages = {"V": {"x": 0, **grades(5)}}
    small = baseline(project_on_line(villages, {"S": {"x": 0, "type": "village_primary"}}))
    row = planning.cost_sheet(small).set_index("item").loc["schools_run"]
    assert row["quantity"] == 30 and row["yearly_yuan"] == 100_000 + 100 * 720


def test_present_value_and_a_bus_bought_again():
    assert present_value(1000.0, 100.0, horizon=3, discount=0.0) == 1300.0
    policy = planning.Policy(cost_bus_life=4)
    # a bus of 400 bought at 0, again in years 4 and 8 of a 10-year horizon (undiscounted)
    assert present_value(400.0, 0.0, horizon=10, discount=0.0, buses=400.0, policy=policy) == 1200.0


def test_the_demo_consolidation_cost_sheet(demo):
    today, plan = baseline(demo), Scenario.from_file(planning.load.DEMO_FOLDER / "scenarios" / "consolidate_5.yaml",
                                                     demo).evaluate()
    sheet = planning.cost_sheet(plan)
    total = sheet[sheet["item"] == "total"].iloc[0]
    assert total["one_off_yuan"] == pytest.approx(sheet.loc[sheet["item"] != "total", "one_off_yuan"].sum())
    avoided = sheet[sheet["item"] == "renovation_avoided"]
    closed = demo.schools.loc[plan.state.schools.index[~plan.state.schools["open"]].intersection(demo.schools.index)]
    assert avoided["one_off_yuan"].sum() == -closed["dilapidated_m2"].fillna(0).sum() * 1500
    assert plan.summary["yearly_yuan"] < today.summary["yearly_yuan"]          # fewer schools, fewer teachers needed
    assert planning.compare(today, plan).loc["one_off_yuan"].tolist() == [0.0, total["one_off_yuan"]]


def test_the_least_cost_plan_is_not_always_the_fewest_schools():
    """Villages of 100 pupils at 0, 2000 and 4000 m; village primaries B (0 m), A (2000 m,
    with 1000 m² of dilapidated buildings) and C (4000 m). A alone reaches every village
    within 30 min: the fewest schools. But keeping A costs its running, 100,000 × 6.71 (ten
    years at 8 %) = 671,008, plus 1,000 m² × 1,500 of renovation = 2,171,008; B and C cost
    2 × 671,008 = 1,342,016: the least-cost plan keeps B and C and closes A."""
    from planning.optimise import level_inputs, opening_costs, plan

    villages = {f"V{x}": {"x": x, **grades(0), "grade_5": 100} for x in (0, 2000, 4000)}
    schools = {"B": {"x": 0, "type": "village_primary", "capacity": 300},
               "A": {"x": 2000, "type": "village_primary", "capacity": 300, "dilapidated_m2": 1000},
               "C": {"x": 4000, "type": "village_primary", "capacity": 300}}
    project = project_on_line(villages, schools)
    costs = opening_costs(project, level_inputs(project, "primary"), "primary")
    annuity = sum(1.08 ** -t for t in range(1, 11))
    assert costs.to_dict() == pytest.approx({"B": 100_000 * annuity, "A": 100_000 * annuity + 1_500_000,
                                             "C": 100_000 * annuity})
    fewest = plan(project, "fewest_schools")
    assert set(fewest.columns.index[fewest.columns["decision"] == "keep"]) == {"A"}
    cheapest = plan(project, "least_cost")
    assert cheapest.solution.status == "Optimal"
    assert set(cheapest.columns.index[cheapest.columns["decision"] == "keep"]) == {"B", "C"}
    assert cheapest.result.summary["pupils_beyond_limit"] == 0
    assert cheapest.result.summary["cost_npv_yuan"] < fewest.result.summary["cost_npv_yuan"]


def test_a_budget_too_small_names_the_cheapest_plan():
    """On the same line, B and C have no dilapidated buildings: the cheapest plan keeping every
    walk within 40 min spends nothing once. Give A 1000 m² and close B and C: only A is left,
    1,500,000 yuan of renovation — with 1,000,000 the message names 150.0 万元 and A."""
    from planning.optimise import plan

    villages = {f"V{x}": {"x": x, **grades(0), "grade_5": 100} for x in (0, 2000, 4000)}
    schools = {"B": {"x": 0, "type": "village_primary", "capacity": 300},
               "A": {"x": 2000, "type": "village_primary", "capacity": 300, "dilapidated_m2": 1000},
               "C": {"x": 4000, "type": "village_primary", "capacity": 300}}
    project = project_on_line(villages, schools)
    within = plan(project, "fewest_schools", budget=0)   # A needs renovation: B and C instead
    assert set(within.columns.index[within.columns["decision"] == "keep"]) == {"B", "C"}
    with pytest.raises(planning.InfeasibleError) as caught:
        plan(project, "fewest_schools", close=["B", "C"], budget=1_000_000)
    assert "cheapest such plan needs 150.0 × 10,000 yuan" in caught.value.text("en")
    assert "A A" in caught.value.text("en") and "150.0 万元" in caught.value.text("zh")


def test_the_cost_walk_tradeoff_on_the_demo(demo):
    """At each limit the least-cost plan judged at that limit: its figures are the plan's own
    (recomputed here for 40 min), a longer limit leaves no more pupils beyond a daily walk, and
    the plot draws both."""
    import matplotlib

    matplotlib.use("Agg")
    from planning.evaluate import level_summary
    from planning.optimise import (
        cost_tradeoff,
        level_inputs,
        opening_costs,
        plan,
        plot_cost_tradeoff,
    )

    table = cost_tradeoff(demo, limits=(30, 40, 60), progress=False)
    assert list(table.index) == [30.0, 40.0, 60.0] and (table["solver_status"] == "Optimal").all()
    assert table["pupils_beyond_limit"].is_monotonic_decreasing
    forty = plan(demo.with_policy(demo.policy.with_limit(40, "primary")), "least_cost")
    kept = forty.columns.index[forty.columns["decision"].isin(["keep", "open"])]
    assert table.loc[40.0, "opening_cost_yuan"] == pytest.approx(
        opening_costs(demo, level_inputs(demo, "primary"), "primary")[kept].sum())
    assert table.loc[40.0, "pupils_beyond_limit"] == level_summary(forty.result, "primary")["pupils_beyond_limit"]
    assert table.loc[40.0, "cost_npv_yuan"] == forty.result.summary["cost_npv_yuan"]
    ax = plot_cost_tradeoff(table, lang="en")
    assert len(ax.lines) == 1 and len(ax.get_figure().axes) == 2
