"""Least-cost plans for a county: 1,000 villages and 100 schools on the Liechtenstein network.

    python benchmarks/costs.py

The county of benchmarks/scenario.py (synthetic people and schools, real roads), with a
fifth of its schools carrying 200–1,500 m² of dilapidated buildings. Times the cost sheet
of today's layout, the least-cost plan within 40 minutes (proven optimal or its gap) and the
same first-stage model solved by the CBC that PuLP ships (benchmarks/teachers.py), and the
cost–walk trade-off at four limits. Seats are not held (the synthetic county's seats do not
fit its pupils within the limit). Needs ../shared/data.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scenario import real_county  # noqa: E402
from teachers import cbc_seconds  # noqa: E402

import planning  # noqa: E402
from planning import optimise, transport  # noqa: E402
from planning.milp import Model  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(5)
    project = real_county(rng)
    schools = project.schools.copy()
    old = rng.random(len(schools)) < 0.2
    schools["dilapidated_m2"] = np.where(old, rng.integers(200, 1500, len(schools)), np.nan)
    project = project.with_schools(schools)
    reach = np.isfinite(project.travel_times().to_numpy()).any(axis=1)  # villages on another network piece
    project = project.with_villages(project.villages[reach])              # cannot be planned for: left out
    today = planning.baseline(project)
    start = time.perf_counter()
    sheet = planning.cost_sheet(today)
    print(f"{len(project.villages)} villages (those any school reaches) × {len(project.schools)} schools; today's cost sheet "
          f"({len(sheet) - 1} rows) in {(time.perf_counter() - start) * 1000:.0f} ms; 10-year present value "
          f"{sheet['npv_yuan'].iloc[-1] / 1e8:.2f} × 10⁸ yuan")
    start = time.perf_counter()
    cheap = optimise.plan(project, "least_cost", capacity=False, solver_seconds=300)  # the synthetic seats do not fit
    ours = time.perf_counter() - start
    print(f"least-cost plan (primary, 40 min): {cheap.solution.status}, gap {cheap.solution.gap:.2%}, "
          f"{int(cheap.result.summary['schools_open'])} schools open; {cheap.solution.seconds:.2f} s solving, "
          f"{ours:.1f} s with evaluation")
    inputs = optimise.level_inputs(project, "primary", capacity=False)
    costs = optimise.opening_costs(project, inputs, "primary").to_numpy()
    demand = optimise._plan_demand(project, inputs, None, None, "primary", closed=[], limit=40.0)
    problem = optimise._problem(demand.minutes, weights=demand.pupils, demand=demand.pupils, max_cost=40.0,
                                open_=None, closed=None, labels=demand.labels, unit="", periods=None)
    built = optimise._model(problem, demand.capacities, True, cover=False)
    cost = np.r_[costs, np.zeros(len(built.model.cost) - len(costs))]
    start = time.perf_counter()
    first = built.model.solve(cost=cost)
    mine = time.perf_counter() - start
    peer = cbc_seconds(Model(cost, built.model.matrix, built.model.row_lower, built.model.row_upper,
                             built.model.col_lower, built.model.col_upper, built.model.integer))
    line = f"  least opening cost model: HiGHS {mine:.2f} s ({first.status}, {first.objective / 1e4:,.1f} 万元)"
    if peer:
        line += f"; CBC (PuLP's) {peer[0]:.2f} s ({peer[1] / 1e4:,.1f} 万元); CBC/ours {peer[0] / mine:.1f}×"
    print(line)
    transport_benchmark(project)
    start = time.perf_counter()
    table = optimise.cost_tradeoff(project, limits=(30, 40, 50, 60), progress=False, capacity=False)
    print(f"cost–walk trade-off at 4 limits in {time.perf_counter() - start:.1f} s:")
    print(table[["schools_open", "opening_cost_yuan", "cost_npv_yuan", "pupils_beyond_limit", "solver_status"]]
          .to_string())


def transport_benchmark(project: planning.Project) -> None:
    """The least-cost plan that may buy buses and beds (planning.transport) within 40 minutes:
    the whole plan (60 s solver limit, from the heuristic start), then its first-stage model
    from scratch by HiGHS and by PuLP's CBC at the same gap, 120 s each."""
    start = time.perf_counter()
    bought = optimise.plan(project, "least_cost", capacity=False, transport=True, solver_seconds=60)
    whole = time.perf_counter() - start
    purchases = bought.solution.purchases
    print(f"least cost with buses and beds (primary, 40 min): {bought.solution.status}, "
          f"{bought.solution.objective / 1e4:,.1f} 万元 (bound {bought.solution.bound / 1e4:,.1f}, "
          f"gap {bought.solution.gap:.1%}), "
          f"{int(bought.result.summary['schools_open'])} schools open, {purchases['buses'].sum():.0f} buses for "
          f"{purchases['bus_riders'].sum():,.0f} riders, {purchases['beds_added'].sum():.0f} beds; "
          f"{bought.solution.seconds:.2f} s solving, {whole:.1f} s with evaluation")
    inputs = optimise.level_inputs(project, "primary", capacity=False)
    costs = optimise.column_costs(project, inputs, "primary")
    demand = optimise._plan_demand(project, inputs, None, None, "primary", closed=None, limit=40.0)
    opts = transport.options(project, inputs, "primary", demand.minutes, limit=40.0,
                             open_cost=optimise.opening_costs(project, inputs, "primary").to_numpy(),
                             one_off=costs["one_off"].to_numpy())
    served = ~opts.lonely
    layout = transport._layout(opts, served)
    model = transport._model(layout, opts, demand, served, {"single_source": True})
    start = time.perf_counter()
    first = model.solve(mip_gap=1e-4, seconds=120)
    mine = time.perf_counter() - start
    peer = cbc_seconds(model, seconds=120)
    line = (f"  its model ({len(model.cost):,} variables, {model.matrix.shape[0]:,} rows): HiGHS {mine:.2f} s "
            f"({first.status}, {first.objective / 1e4:,.1f} 万元)")
    if peer:
        line += f"; CBC (PuLP's) {peer[0]:.2f} s ({peer[1] / 1e4:,.1f} 万元); CBC/ours {peer[0] / mine:.1f}×"
    print(line)


if __name__ == "__main__":
    main()
