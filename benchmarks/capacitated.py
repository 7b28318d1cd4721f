"""Capacitated single-source p-median on the OR-Library ladder: pmedcap01–20 and SJC1–2.

    python benchmarks/capacitated.py [--plain] [--seconds 300] [--only pmedcap08 SJC2]

Each instance is solved by ``planning.optimise.p_median`` with seats (the Lagrangian bound,
fixing, then every set of open columns or HiGHS, of :mod:`planning.capacitated`) and, with
``--plain``, by the strong model
handed whole to HiGHS (what ``p_median`` did before), both with the same time limit. The
table prints the published optimum, each method's objective, proven bound, status and
time. Needs ../shared/data.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planning import orlib  # noqa: E402
from planning.milp import MilpResult  # noqa: E402
from planning.optimise import _model, _problem, p_median  # noqa: E402

ORLIB = ROOT.parent / "shared" / "data" / "orlib"
SJC_OPTIMA = {"SJC1": 17288.99, "SJC2": 33270.94}  # ../shared/data/README.md


def instances(only: list[str] | None) -> list[tuple[str, np.ndarray, int, np.ndarray, np.ndarray, float]]:
    """(name, cost, p, seats per column, demand per row, published optimum) of each instance."""
    out = []
    for k in range(1, 21):
        name = f"pmedcap{k:02d}"
        if only and name not in only:
            continue
        cost, p, capacity, demand, optimum = orlib.read_pmedcap(ORLIB / "pmedcap" / f"{name}.txt")
        out.append((name, cost, p, np.full(len(cost), capacity), demand, optimum))
    for name, optimum in SJC_OPTIMA.items():
        if only and name not in only:
            continue
        cost, p, seats, demand = orlib.read_sjc(ORLIB / "sjc" / f"{name}.dat")
        out.append((name, cost, p, seats, demand, optimum))
    return out


def plain(cost: np.ndarray, p: int, seats: np.ndarray, demand: np.ndarray, seconds: float) -> MilpResult:
    """The strong model solved whole by HiGHS (p_median before the Lagrangian method)."""
    n, m = cost.shape
    problem = _problem(cost, weights=np.ones(n), demand=demand, max_cost=None, open_=None, closed=None, labels=None,
                       unit="")
    built = _model(problem, seats, True, cover=False)
    model = built.model.with_row(np.r_[np.ones(m), np.zeros(len(built.model.cost) - m)], p, p)
    return model.solve(cost=np.r_[np.zeros(m), built.pair_cost], seconds=seconds, mip_gap=1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain", action="store_true", help="also time the strong model handed whole to HiGHS")
    parser.add_argument("--seconds", type=float, default=300.0, help="time limit per solve (seconds)")
    parser.add_argument("--only", nargs="*", help="instance names, e.g. pmedcap08 SJC2")
    args = parser.parse_args()
    if not ORLIB.exists():
        raise SystemExit(f"needs {ORLIB} (../shared/data beside the repository)")
    print(f"{'instance':<10} {'n':>4} {'p':>3} {'optimum':>10} {'ours':>10} {'bound':>10} {'ours s':>7} {'proven':>6} {'method':<15}"
          + (f" {'plain':>10} {'bound':>10} {'plain s':>7} {'proven':>6}" if args.plain else ""))
    times = []
    for name, cost, p, seats, demand, optimum in instances(args.only):
        start = time.perf_counter()
        ours = p_median(cost, p, weights=np.ones(len(cost)), demand=demand, capacities=seats,
                        solver_seconds=args.seconds)
        took = time.perf_counter() - start
        times.append(took)
        line = (f"{name:<10} {len(cost):>4} {p:>3} {optimum:>10.2f} {ours.objective:>10.2f} {ours.bound:>10.2f} "
                f"{took:>7.1f} {'yes' if ours.optimal else 'no':>6} {ours.method:<15}")
        if args.plain:
            start = time.perf_counter()
            before = plain(cost, p, seats, demand, args.seconds)
            line += (f" {before.objective:>10.2f} {before.bound:>10.2f} {time.perf_counter() - start:>7.1f} "
                     f"{'yes' if before.optimal else 'no':>6}")
        print(line, flush=True)
    if times:
        print(f"\ngeometric mean of our times: {np.exp(np.mean(np.log(times))):.2f} s")


if __name__ == "__main__":
    main()
