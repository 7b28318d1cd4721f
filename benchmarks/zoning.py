"""Zoning 1,000 villages × 100 schools with tight seats and beds: the gap after 2 s and the
time to proof.

    python benchmarks/zoning.py [--seed 7] [--seconds 120]

The county of ``benchmarks/scenario.py`` (:func:`real_county`, seeded): 1,000 villages and
100 schools of a rural county's mix on the real Liechtenstein walking network; a village
primary closes (the scenario's edit). The county has more seats than pupils, but each
village walks to few schools and those fill: in the LP about 60 schools are full and 14
of the 30 boarding schools' beds are taken, so zoning whole villages is a generalised
assignment problem with knapsacks at the small schools (teaching points of 60 seats). ``planning.zoning.zone`` runs on the layout (the travel times are computed
once, outside the timings) with a 2-second limit and with ``--seconds``; the table prints
each run's status, cost, proven bound, gap and time. Needs ../shared/data.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scenario import real_county  # noqa: E402

import planning  # noqa: E402
from planning.evaluate import build_layout  # noqa: E402
from planning.zoning import zone  # noqa: E402


def layout_of(seed: int) -> planning.assign.Layout:
    """The benchmark's layout: the seeded county with its first village primary closed."""
    project = real_county(np.random.default_rng(seed))
    project.travel_times()
    closing = project.schools.index[project.schools["type"] == "village_primary"][0]
    return build_layout(project, planning.Scenario(project, "edit").close(closing).state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="seed of the county (benchmarks/scenario.py uses 7)")
    parser.add_argument("--seconds", type=float, default=120.0, help="time limit of the run to proof (seconds)")
    args = parser.parse_args()
    layout = layout_of(args.seed)
    pupils = layout.pupils.sum()
    print(f"{layout.minutes.shape[0]:,} villages × {layout.minutes.shape[1]} schools, {pupils:,.0f} pupils, "
          f"{np.nansum(layout.capacity):,.0f} seats, {layout.beds.sum():,.0f} beds\n")
    print(f"{'limit s':>8} {'status':<20} {'cost':>12} {'bound':>12} {'gap':>8} {'seconds':>8} {'variables':>10}")
    for limit in (2.0, args.seconds):
        start = time.perf_counter()
        zoning = zone(layout, seconds=limit)
        took = time.perf_counter() - start
        print(f"{limit:>8.0f} {zoning.status:<20} {zoning.cost:>12,.0f} {zoning.cost * (1 - zoning.gap):>12,.0f} "
              f"{zoning.gap:>8.3%} {took:>8.1f} {zoning.variables:>10,}", flush=True)


if __name__ == "__main__":
    main()
