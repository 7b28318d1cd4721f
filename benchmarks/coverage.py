"""Set cover and maximal coverage at county scale: ours (compact, reduced by dominance) against spopt.

    make bench          # creates .venv-bench with spopt, runs every benchmark
    python benchmarks/coverage.py [--villages 5000] [--sites 500] [--p 50] [--strong]

A generated county: villages and candidate sites at random points of a 40 km square
(seeded), straight-line metres walked at 4 km/h, a 40-minute limit; villages beyond the
limit of every site are left out, as ``plan`` sets them aside. Times, each to proven
optimality (relative gap 1e-6 for everyone):

- the fewest sites that bring every village within the limit: ours (``set_cover`` with
  ``least_walking=False``, which is what spopt's LSCP solves) against spopt's LSCP with
  CBC and with HiGHS (through PuLP), the counts checked equal;
- ours then with its second stage, the least walking among the fewest (a p-median with p
  the fewest count, over the pairs within the limit), for which spopt has no model;
- the most pupils within the limit of ``p`` sites: ours (``max_coverage``) against spopt's
  MCLP with CBC and with HiGHS, the pupils covered checked equal.

``--strong`` also times the strong formulation with assignment variables x_ij that both
goals used before (still used where seats can bind), on the same instance. spopt's times
include building its PuLP model (ours include building and reducing ours). spopt is needed
only here; without it the script times ours alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planning import covering, optimise  # noqa: E402
from planning.optimise import max_coverage, set_cover  # noqa: E402

LIMIT = 40.0  # walking limit (minutes)
GAP = 1e-6    # relative MIP gap asked of every solver
T = TypeVar("T")


def county(villages: int, sites: int, *, seed: int, side_km: float = 40.0, speed_kmh: float = 4.0
           ) -> tuple[np.ndarray, np.ndarray, int]:
    """Walking minutes (villages × sites) and pupils per village of a generated county; the
    number of villages left out (beyond the limit of every site)."""
    rng = np.random.default_rng(seed)
    homes = rng.uniform(0, side_km * 1000, (villages, 2))
    spots = rng.uniform(0, side_km * 1000, (sites, 2))
    metres = np.sqrt(((homes[:, None, :] - spots[None, :, :]) ** 2).sum(axis=2))
    minutes = metres / (speed_kmh * 1000 / 60)
    pupils = rng.integers(5, 120, villages).astype(float)
    reach = (minutes <= LIMIT).any(axis=1)
    return minutes[reach], pupils[reach], int((~reach).sum())


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """Seconds a call takes, and its value."""
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def spopt_solve(kind: str, minutes: np.ndarray, pupils: np.ndarray, p: int, solver: str,
                seconds: float) -> tuple[float, float, str, float] | None:
    """spopt's LSCP (sites open) or MCLP (pupils covered) built and solved: (seconds,
    objective, status, seconds of building its PuLP model)."""
    try:
        import pulp
        from spopt.locate import LSCP, MCLP
    except ImportError:
        return None
    engine = (pulp.PULP_CBC_CMD(msg=False, gapRel=GAP, timeLimit=seconds) if solver == "CBC"
              else pulp.HiGHS(msg=False, gapRel=GAP, timeLimit=seconds))
    start = time.perf_counter()
    if kind == "lscp":
        model = LSCP.from_cost_matrix(minutes, service_radius=LIMIT)
    else:
        model = MCLP.from_cost_matrix(minutes, pupils, service_radius=LIMIT, p_facilities=p)
    built = time.perf_counter() - start
    model.solve(engine, results=False)
    return (time.perf_counter() - start, float(pulp.value(model.problem.objective)),
            pulp.LpStatus[model.problem.status], built)


def compare(label: str, ours: float, objective: float, kind: str, minutes: np.ndarray, pupils: np.ndarray, p: int,
            seconds: float) -> None:
    """Print spopt's times beside ours, with the ratio and whether the objectives agree."""
    for solver in ("CBC", "HiGHS"):
        other = spopt_solve(kind, minutes, pupils, p, solver, seconds)
        if other is None:
            print("  spopt not installed (`make bench` sets up an environment with it)")
            return
        same = "same" if np.isclose(other[1], objective, rtol=1e-9, atol=1e-6) else f"DIFFERENT ({other[1]:,.0f})"
        print(f"  {label}: spopt + {solver:<5} {other[0]:8.2f} s ({other[3]:.1f} s building)  {other[2]:<10} "
              f"objective {same}; spopt takes {other[0] / ours:,.1f}× our time", flush=True)


def strong(minutes: np.ndarray, pupils: np.ndarray, p: int, seconds: float) -> None:
    """The strong formulation (x_ij ≤ y_j) of both goals on the same instance, as solved before."""
    problem = optimise._problem(minutes, weights=pupils, demand=None, max_cost=LIMIT, open_=None, closed=None,
                                labels=None, unit="")
    built = optimise._model(problem, None, True, cover=False)
    took, first = timed(lambda: built.model.solve(cost=built.count(), seconds=seconds, mip_gap=GAP))
    print(f"strong model, fewest sites: {took:8.2f} s  {first.status}, {first.objective:.0f} sites, "
          f"gap {first.gap:.2%}", flush=True)
    took, most = timed(lambda: optimise._coverage_strong(problem, p, None, single_source=True, budget=None,
                                                          seconds=seconds, mip_gap=GAP))
    print(f"strong model, max coverage: {took:8.2f} s  {most.status}, {most.objective:,.0f} pupils, "
          f"gap {most.gap:.2%}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=5000)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--p", type=int, default=50, help="sites open for maximal coverage")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--seconds", type=float, default=600.0, help="time limit of each solve")
    parser.add_argument("--strong", action="store_true", help="also time the strong formulation (x_ij)")
    args = parser.parse_args()
    minutes, pupils, out = county(args.villages, args.sites, seed=args.seed)
    n, m = minutes.shape
    allowed = minutes <= LIMIT
    print(f"{n:,} villages ({out} beyond {LIMIT:.0f} min of every site left out) × {m} sites, "
          f"{int(allowed.sum()):,} pairs within the limit, {pupils.sum():,.0f} pupils")
    rows, free = covering.reduce_cover(allowed, kept=np.zeros(m, bool), may_open=np.ones(m, bool), cost=np.ones(m))
    groups, _, _ = covering.reduce_coverage(allowed, pupils, kept=np.zeros(m, bool))
    print(f"reduced: set cover {rows.shape[0]:,} rows × {int(free.sum())} columns; max coverage "
          f"{groups.shape[0]:,} groups of villages with the same sites within reach")

    took, fewest = timed(lambda: set_cover(minutes, LIMIT, weights=pupils, least_walking=False,
                                           solver_seconds=args.seconds, mip_gap=GAP))
    print(f"fewest sites (LSCP): ours {took:8.2f} s  {fewest.status}, {len(fewest.open)} sites", flush=True)
    compare("fewest sites", took, len(fewest.open), "lscp", minutes, pupils, args.p, args.seconds)
    took, best = timed(lambda: set_cover(minutes, LIMIT, weights=pupils, solver_seconds=args.seconds, mip_gap=GAP))
    print(f"fewest, then least walking: ours {took:8.2f} s  {best.status}, {len(best.open)} sites, "
          f"{best.objective:,.0f} pupil-minutes (gap {best.gap:.2%}; nearest to the first answer's sites: "
          f"{fewest.objective:,.0f})", flush=True)
    took, most = timed(lambda: max_coverage(minutes, args.p, LIMIT, weights=pupils, solver_seconds=args.seconds,
                                            mip_gap=GAP))
    print(f"max coverage, p = {args.p} (MCLP): ours {took:8.2f} s  {most.status}, {most.objective:,.0f} pupils "
          f"covered", flush=True)
    compare("max coverage", took, most.objective, "mclp", minutes, pupils, args.p, args.seconds)
    if args.strong:
        strong(minutes, pupils, args.p, args.seconds)


if __name__ == "__main__":
    main()
