"""Exact p-median: our solver against spopt's PMedian (PuLP + CBC, PuLP + HiGHS) on OR-Library.

    make bench                                  # creates .venv-bench with spopt, runs every benchmark
    python benchmarks/optimise.py [--ladder] [--capacitated] [--spopt-seconds 120] [--only pmed11 pmed12]

All solve the same cost matrices (all-pairs shortest paths of Beasley's pmed graphs) to
proven optimality; the table prints our objective beside the published optimum and the
times. Ours is :func:`planning.optimise.p_median` (Benders decomposition of the radius
formulation on HiGHS for these uncapacitated instances); spopt's times include building
its model (``PMedian.from_cost_matrix``), as a user of either waits for both. By default
pmed1–10 (100–200 vertices); ``--ladder`` runs pmed1–40 (up to 900 vertices). spopt gets
``--spopt-seconds`` per instance and solver (for the solver; building the model comes on
top): a run it does not prove optimal within them prints "timeout" and counts as the time it
ran, so spopt's geometric means are then lower bounds. spopt is needed only here; without it the script times ours alone. ``--capacitated`` runs
the capacitated ladder instead: pmedcap01–20 and SJC1–2 (villages zoned whole under seats;
ours is :mod:`planning.capacitated`, spopt's PMedian with ``facility_capacities`` and binary
assignment; spopt weighs each pair by the row's demand, so it is given cost ÷ demand to
minimise the same Σ cost).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from capacitated import instances  # noqa: E402

from planning import orlib  # noqa: E402
from planning.optimise import p_median  # noqa: E402

ORLIB = ROOT.parent / "shared" / "data" / "orlib"


def read_pmed(k: int) -> tuple[np.ndarray, int]:
    return orlib.read_pmed(ORLIB / "pmed" / f"pmed{k}.txt")


def optima() -> dict[int, float]:
    return orlib.read_pmed_optima(ORLIB / "pmed" / "pmedopt.txt")


def spopt_solvers(seconds: float) -> dict[str, Callable[[], object]] | None:
    """spopt's two PuLP solvers, each with the time limit, or None without spopt."""
    try:
        import pulp
        import spopt.locate  # noqa: F401
    except ImportError:
        return None
    return {"CBC": lambda: pulp.PULP_CBC_CMD(msg=False, timeLimit=seconds),
            "HiGHS": lambda: pulp.HiGHS(msg=False, timeLimit=seconds)}


def spopt_solve(cost: np.ndarray, p: int, solver: object, seconds: float, *, demand: np.ndarray | None = None,
                seats: np.ndarray | None = None) -> tuple[float, float | None]:
    """(seconds, objective) of spopt's PMedian, objective None when not proven optimal (its
    solver stopped at ``seconds``). With ``demand`` and ``seats``, the capacitated model
    (objective Σ cost of the pairs chosen, as OR-Library counts it)."""
    import pulp
    from spopt.locate import PMedian

    start = time.perf_counter()
    if demand is None:
        model = PMedian.from_cost_matrix(cost, np.ones(len(cost)), p_facilities=p)
    else:
        model = PMedian.from_cost_matrix(cost / demand[:, None], demand, p_facilities=p, facility_capacities=seats)
    try:
        model.solve(solver)
    except RuntimeError:  # spopt's "Model is not solved": stopped at the time limit without a solution
        return time.perf_counter() - start, None
    took = time.perf_counter() - start
    proven = model.problem.status == pulp.LpStatusOptimal and model.problem.sol_status == pulp.LpSolutionOptimal
    return took, float(pulp.value(model.problem.objective)) if proven else None


def _geomean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values))))


def ladder(capacitated: bool, full: bool) -> list[tuple[str, np.ndarray, int, float, dict[str, np.ndarray]]]:
    """(name, cost, p, published optimum, keyword arguments of the capacitated model) of each
    instance of the ladder asked for."""
    if capacitated:
        return [(name, cost, p, optimum, {"demand": demand, "seats": seats})
                for name, cost, p, seats, demand, optimum in instances(None)]
    known = optima()
    return [(f"pmed{k}", *read_pmed(k), known[k], {}) for k in range(1, 41 if full else 11)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ladder", action="store_true", help="run pmed1-40 (default pmed1-10)")
    parser.add_argument("--capacitated", action="store_true", help="run pmedcap01-20 and SJC1-2")
    parser.add_argument("--spopt-seconds", type=float, default=120.0, help="spopt's time limit per instance")
    parser.add_argument("--only", nargs="*", help="instance names of the ladder run, e.g. pmed11 pmed12")
    args = parser.parse_args()
    if not ORLIB.exists():
        raise SystemExit(f"needs {ORLIB} (../shared/data beside the repository)")
    solvers = spopt_solvers(args.spopt_seconds)
    print(f"{'instance':<10} {'n':>4} {'p':>4} {'optimum':>9} {'ours':>9} {'ours s':>7}"
          + ("".join(f" {name + ' s':>9}" for name in solvers) if solvers else "   (spopt not installed: "
             "`make bench` sets up an environment with it)"), flush=True)
    times: dict[str, list[float]] = {"ours": [], **{name: [] for name in solvers or {}}}
    for name, cost, p, optimum, capacities in ladder(args.capacitated, args.ladder or bool(args.only)):
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        ours = p_median(cost, p, weights=np.ones(len(cost)), demand=capacities.get("demand"),
                        capacities=capacities.get("seats"), solver_seconds=120)
        times["ours"].append(time.perf_counter() - start)
        mark = "" if ours.optimal and abs(ours.objective - optimum) < 0.5 else " (!)"
        line = (f"{name:<10} {len(cost):>4} {p:>4} {optimum:>9.0f} {ours.objective:>9.0f}{mark} "
                f"{times['ours'][-1]:>7.2f}")
        for solver, make in (solvers or {}).items():
            took, objective = spopt_solve(cost, p, make(), args.spopt_seconds, **capacities)
            times[solver].append(took)
            wrong = objective is not None and abs(objective - optimum) > 0.5 + 1e-6 * optimum
            line += f" {took:>9.2f}{' (!)' if wrong else ''}" if objective is not None else f" {'timeout':>9}"
        print(line, flush=True)
    means = {name: _geomean(values) for name, values in times.items()}
    print("\ngeometric mean of the times: " + ", ".join(f"{name} {mean:.2f} s" for name, mean in means.items()))
    for name in solvers or {}:
        print(f"spopt with {name} takes {means[name] / means['ours']:.1f}× our time (geometric mean; "
              f"a timeout counts as the time it ran, so spopt's figure is a lower bound)")


if __name__ == "__main__":
    main()
