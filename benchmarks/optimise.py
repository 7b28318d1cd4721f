"""Exact p-median: our HiGHS model against spopt's PMedian (PuLP + CBC) on OR-Library instances.

    make bench          # creates .venv-bench with spopt, runs every benchmark
    python benchmarks/optimise.py [--ladder]

Both solve the same cost matrices (all-pairs shortest paths of Beasley's pmed graphs) to
proven optimality; the table prints each one's objective beside the published optimum,
the solve times and their ratio. ``--ladder`` adds pmed11–20 (300–400 vertices).
spopt is needed only here; without it the script times our solver alone.
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
from planning.optimise import p_median  # noqa: E402

ORLIB = ROOT.parent / "shared" / "data" / "orlib"


def read_pmed(k: int) -> tuple[np.ndarray, int]:
    return orlib.read_pmed(ORLIB / "pmed" / f"pmed{k}.txt")


def optima() -> dict[int, float]:
    return orlib.read_pmed_optima(ORLIB / "pmed" / "pmedopt.txt")


def spopt_solve(cost: np.ndarray, p: int) -> tuple[float, float] | None:
    try:
        import pulp
        from spopt.locate import PMedian
    except ImportError:
        return None
    start = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, np.ones(len(cost)), p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return time.perf_counter() - start, float(pulp.value(model.problem.objective))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ladder", action="store_true", help="add pmed11-20")
    args = parser.parse_args()
    if not ORLIB.exists():
        raise SystemExit(f"needs {ORLIB} (../shared/data beside the repository)")
    known = optima()
    ks = list(range(1, 21 if args.ladder else 11))
    print(f"{'instance':<9} {'n':>4} {'p':>3} {'optimum':>8} {'ours':>8} {'ours s':>8} {'spopt':>8} {'spopt s':>8} "
          f"{'ratio':>7}")
    ratios = []
    for k in ks:
        cost, p = read_pmed(k)
        start = time.perf_counter()
        ours = p_median(cost, p)
        ours_s = time.perf_counter() - start
        other = spopt_solve(cost, p)
        line = f"pmed{k:<5} {len(cost):>4} {p:>3} {known[k]:>8.0f} {ours.objective:>8.0f} {ours_s:>8.2f}"
        if other is None:
            print(line + "   (spopt not installed: `make bench` sets up an environment with it)", flush=True)
            continue
        ratios.append(other[0] / ours_s)
        print(line + f" {other[1]:>8.0f} {other[0]:>8.2f} {other[0] / ours_s:>6.1f}×", flush=True)
    if ratios:
        print(f"\ngeometric mean: spopt takes {np.exp(np.mean(np.log(ratios))):.1f}× our time")


if __name__ == "__main__":
    main()
