"""The least-cost plan that may buy school buses and boarding beds, worked out on paper
(tests/helpers.py: 100 m of road is 1.5 min on foot; a bus at 30 km/h drives 500 m a minute)
with the policy's default cost settings: ten years at 8 % (Σ 1.08^−t = 6.7101)."""

from __future__ import annotations

import numpy as np
import pytest

import planning
from planning.evaluate import level_summary
from planning.optimise import cost_tradeoff, level_inputs, opening_costs, plan

from .helpers import grades, project_on_line
from .invariants import check_result

YEARS = sum(1.08 ** -t for t in range(1, 11))


def _bus_line(**policy):
    """Central primary A at 0 m with its village (270 pupils); village primary B at 3000 m
    (45 min from A on foot: beyond 40) with 200 m² of dilapidated buildings and its village
    of 30 pupils (5 a grade)."""
    villages = {"VA": {"x": 0, **grades(45)}, "VB": {"x": 3000, **grades(5)}}
    schools = {"A": {"x": 0, "type": "central_primary", "capacity": 1000, "classrooms": 12, "beds": 0},
               "B": {"x": 3000, "type": "village_primary", "capacity": 200, "classrooms": 6, "beds": 0,
                     "dilapidated_m2": 200}}
    return project_on_line(villages, schools, length_m=5000, **policy)


def test_a_bus_is_bought_where_it_costs_less_than_a_school():
    """Keeping B costs its running, 100,000 × 6.7101 = 671,008, and its renovation, 200 m² ×
    1,500 = 300,000: 971,008. One bus for VB's 30 pupils costs 400,000 and, a year, a driver
    (60,000) and the km of two round trips a school day on its 6-minute ride (3 km × 4 × 195
    days × 3 yuan = 7,020): 400,000 + 67,020 × 6.7101 = 849,717. So the plan closes B and buys
    the bus; without buses it must keep B."""
    project = _bus_line()
    bought = plan(project, "least_cost", transport=True)
    assert bought.solution.status == "Optimal"
    assert list(bought.columns.index[bought.columns["decision"] == "close"]) == ["B"]
    row = bought.solution.purchases.loc["A"]
    assert (row["buses"], row["bus_villages"], row["bus_riders"]) == (1, ("VB",), 30)
    assert row["max_ride"] == pytest.approx(6.0)
    a = opening_costs(project, level_inputs(project, "primary"), "primary")["A"]
    assert a == pytest.approx(100_000 * YEARS)
    assert bought.solution.objective == pytest.approx(a + 400_000 + (60_000 + 7_020) * YEARS)
    result = bought.result
    check_result(result)
    assert result.summary["bus_riders"] == 30 and result.summary["unserved"] == 0
    sheet = planning.cost_sheet(result).set_index("item")
    assert sheet.loc["buses_bought", ["quantity", "one_off_yuan"]].tolist() == [1, 400_000]
    assert sheet.loc["buses_run", "yearly_yuan"] == pytest.approx(67_020)  # what the optimiser paid for
    assert sheet.loc["renovation_avoided", "one_off_yuan"] == -300_000
    walking = plan(project, "least_cost")
    assert set(walking.columns.index[walking.columns["decision"] == "keep"]) == {"A", "B"}
    assert walking.solution.purchases is None


def test_the_school_stays_where_the_bus_costs_more():
    """Without the dilapidated buildings B costs 671,008 < 849,717: B is kept, no bus."""
    project = _bus_line()
    project = project.with_schools(project.schools.assign(dilapidated_m2=0.0))
    kept = plan(project, "least_cost", transport=True)
    assert set(kept.columns.index[kept.columns["decision"] == "keep"]) == {"A", "B"}
    assert kept.solution.purchases.empty
    assert kept.result.summary["bus_riders"] == 0


def test_a_bus_ride_beyond_the_longest_allowed_is_not_bought():
    """With rides of at most 5 minutes the 6-minute bus is not an option: B stays."""
    kept = plan(_bus_line(bus_max_ride_minutes=5), "least_cost", transport=True)
    assert set(kept.columns.index[kept.columns["decision"] == "keep"]) == {"A", "B"}


def _board_line():
    """Junior school J at 0 m with 10 beds and its village (100 pupils); junior school K at
    4000 m (60 min from J) with its village of 30 pupils in grades 7–9; buses may ride 5 min
    at most (the ride is 8)."""
    villages = {"VJ": {"x": 0, **grades(0), "grade_7": 40, "grade_8": 30, "grade_9": 30},
                "VK": {"x": 4000, **grades(0), "grade_7": 10, "grade_8": 10, "grade_9": 10}}
    schools = {"J": {"x": 0, "type": "junior_secondary", "capacity": 1000, "classrooms": 12, "beds": 10},
               "K": {"x": 4000, "type": "junior_secondary", "capacity": 300, "classrooms": 6, "beds": 0}}
    return project_on_line(villages, schools, length_m=5000, bus_max_ride_minutes=5)


def test_beds_are_bought_where_boarding_costs_less_than_a_school():
    """Keeping K costs 671,008. VK's 30 pupils boarding at J need 20 beds more than its 10:
    20 × 3 m² × 3,000 = 180,000, and a living subsidy for the 30 % from families in
    difficulty: 30 × 0.3 × 1,250 = 11,250 a year, × 6.7101 = 75,489. Boarding wins."""
    project = _board_line()
    bought = plan(project, "least_cost", level="junior", transport=True)
    assert list(bought.columns.index[bought.columns["decision"] == "close"]) == ["K"]
    row = bought.solution.purchases.loc["J"]
    assert (row["buses"], row["boarders"], row["beds_added"]) == (0, 30, 20)
    j = opening_costs(project, level_inputs(project, "junior"), "junior")["J"]
    assert bought.solution.objective == pytest.approx(j + 180_000 + 11_250 * YEARS)
    result = bought.result
    check_result(result)
    figures = level_summary(result, "junior")
    assert figures["boarders"] == 30 and figures["unserved"] == 0
    sheet = planning.cost_sheet(result).set_index("item")
    assert sheet.loc["beds_built", ["quantity", "one_off_yuan"]].tolist() == [20, 180_000]
    assert sheet.loc["boarding_subsidy", ["quantity", "yearly_yuan"]].tolist() == pytest.approx([30, 11_250])


def test_young_pupils_never_board_so_their_village_needs_a_bus_or_a_school():
    """Primary pupils of grades 1–3 may not board (boarding from grade 4): with buses out of
    reach (5-minute rides) VB's school stays; closed by the planner, the plan names VB as a
    village it cannot place, and VB's pupils are left without a way to school."""
    project = _bus_line(bus_max_ride_minutes=5)
    kept = plan(project, "least_cost", transport=True)
    assert "B" in set(kept.columns.index[kept.columns["decision"] == "keep"])
    closed = plan(project, "least_cost", transport=True, close=["B"])
    assert "1 villages (30 pupils) can neither walk" in " ".join(closed.explain("en"))
    assert "VB" in " ".join(closed.explain("en")) and "不足 4 年级" in " ".join(closed.explain("zh"))
    assert closed.result.summary["unserved"] == 30


def test_a_budget_too_small_for_the_bus_names_the_cheapest_plan():
    """Closing B leaves VB a bus (400,000 once) as the only way: a budget of 100,000 is too
    small and the message names 40.0 万元; 400,000 is enough."""
    project = _bus_line()
    with pytest.raises(planning.InfeasibleError) as caught:
        plan(project, "least_cost", transport=True, close=["B"], budget=100_000)
    assert "cheapest such plan needs 40.0 × 10,000 yuan" in caught.value.text("en")
    assert "40.0 万元" in caught.value.text("zh")
    within = plan(project, "least_cost", transport=True, close=["B"], budget=400_000)
    assert within.solution.purchases.loc["A", "buses"] == 1


def test_transport_goes_with_the_least_cost_goal_only(demo):
    with pytest.raises(ValueError, match="transport"):
        plan(demo, "fewest_schools", transport=True)


def test_the_demo_least_cost_plan_with_buses_and_beds(demo):
    """On the demo the plan's buses carry its riders within their rides, every primary pupil
    gets to school, the optimiser's cost equals the schools kept plus what the cost sheet
    charges for the buses, beds and boarding subsidy it bought, and it costs no more than
    the least-cost plan without buses (whose layout the optimiser could also choose)."""
    bought = plan(demo, "least_cost", transport=True)
    walking = plan(demo, "least_cost")
    check_result(bought.result)
    figures = level_summary(bought.result, "primary")
    assert figures["unserved"] == 0
    purchases = bought.solution.purchases
    assert purchases["buses"].sum() >= 1
    flows = bought.result.flows
    bus = flows[(flows["mode"] == "bus") & (flows["level"] == "primary")]
    for school, row in purchases[purchases["buses"] > 0].iterrows():
        riders = bus[bus["school_id"] == school]
        assert riders["pupils"].sum() == pytest.approx(row["bus_riders"])
        assert riders["ride_minutes"].max() <= row["max_ride"] + 1e-9
        assert row["buses"] == np.ceil(row["bus_riders"] / demo.policy.cost_bus_seats - 1e-9)
    sheet = planning.cost_sheet(bought.result)
    items = sheet[sheet["school_id"].isin(purchases.index)].groupby("item")["npv_yuan"].sum()
    kept = bought.columns.index[bought.columns["decision"].isin(["keep", "open"])]
    opening = opening_costs(demo, level_inputs(demo, "primary"), "primary")[kept].sum()
    rebuy = 0.0  # buses last 15 years: none bought again within 10
    transport = sum(items.get(k, 0.0) for k in ("buses_bought", "buses_run", "beds_built", "boarding_subsidy"))
    assert bought.solution.objective == pytest.approx(opening + transport + rebuy, rel=1e-6)
    assert bought.solution.objective <= walking.solution.objective + 1e-6 or walking.result.summary["unserved"] > 0


def test_the_cost_tradeoff_with_buses_and_beds(demo):
    table = cost_tradeoff(demo, limits=(30, 40), transport=True, progress=False)
    assert list(table.index) == [30.0, 40.0]
    assert {"bus_riders", "buses", "beds_added", "boarders"} <= set(table.columns)
    assert (table["opening_cost_yuan"].diff().dropna() <= 1e-6).all()


def test_cli_buys_buses_and_writes_the_cost_tradeoff(demo, tmp_path, capsys):
    """`optimise --goal least_cost --transport --tradeoff --limits 30 40`: the scenario file
    holds the buses the library's plan buys; the trade-off is printed and written (CSV and
    PNG), its figures those of :func:`cost_tradeoff`."""
    import pandas as pd

    from planning.cli import main

    assert main(["optimise", "--demo", "--goal", "least_cost", "--transport", "--tradeoff", "--limits", "30", "40",
                 "--out", str(tmp_path), "--quiet", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    bought = plan(demo, "least_cost", transport=True)
    scenario = planning.Scenario.from_file(tmp_path / "plan_least_cost_primary.yaml", demo)
    buses = [e for e in scenario.edits if e.op == "add_bus"]
    assert sorted((e.school, e.villages) for e in buses) == sorted(
        (s, row["bus_villages"]) for s, row in bought.solution.purchases.iterrows() if row["buses"] > 0)
    curve = pd.read_csv(tmp_path / "cost_tradeoff_primary.csv", index_col=0)
    expected = cost_tradeoff(demo, limits=(30, 40), transport=True, progress=False)
    assert curve["cost_npv_yuan"].tolist() == pytest.approx(expected["cost_npv_yuan"].tolist())
    assert curve["bus_riders"].tolist() == expected["bus_riders"].tolist()
    assert (tmp_path / "cost_tradeoff_primary.png").stat().st_size > 10_000
    assert "trade-off:" in out and "bus riders" in out


def test_the_solver_starts_from_a_layout_worked_out_by_the_rules_and_keeps_it_when_time_runs_out(demo):
    """The heuristic start (every school, then closings and swaps while they save) is a
    solution of the model whose cost is the model's; with no time to solve, the plan is that
    layout, its status says the time ran out and a note gives the gap — not an infeasibility."""
    from planning import transport
    from planning.optimise import _plan_demand, column_costs

    inputs = level_inputs(demo, "primary")
    demand = _plan_demand(demo, inputs, None, None, "primary", closed=None, limit=40.0)
    opts = transport.options(demo, inputs, "primary", demand.minutes, limit=40.0,
                             open_cost=opening_costs(demo, inputs, "primary").to_numpy(),
                             one_off=column_costs(demo, inputs, "primary")["one_off"].to_numpy())
    served = ~opts.lonely
    lay = transport._layout(opts, served)
    model = transport._model(lay, opts, demand, served, {"single_source": True})
    start = transport._greedy(lay, opts, demand.pupils, served, model.col_lower[:lay.m], model.col_upper[:lay.m])
    x = transport._start_vector(lay, opts, demand.pupils, start)
    rows = model.matrix @ x
    assert ((rows >= model.row_lower - 1e-6) & (rows <= model.row_upper + 1e-6)).all()
    assert model.cost @ x == pytest.approx(start.cost)
    optimum = plan(demo, "least_cost", transport=True)
    assert optimum.solution.objective <= start.cost + 1e-6
    hurried = plan(demo, "least_cost", transport=True, solver_seconds=1e-3)
    if hurried.solution.status != "Optimal":  # HiGHS may prove the start optimal at once
        assert hurried.solution.objective == pytest.approx(start.cost)
        assert "not proven least" in " ".join(hurried.explain("en"))
        assert "inf" not in " ".join(hurried.explain("en"))
