"""Re-evaluating a scenario after one edit, with the travel-time matrix cached.

    python benchmarks/scenario.py

A county-sized case on the real Liechtenstein walking network: 1,000 villages (pupils by
grade) and 100 schools of a rural county's mix (central primaries and junior secondaries
with beds, village primaries, teaching points, nine-year schools). One edit (a village
primary closes) is evaluated with nearest assignment and with capacity-constrained zoning
(HiGHS MILP), and set beside the time to recompute the travel-time matrix.
Targets: nearest under 50 ms, zoning under 2 s, ten years of a plan (nearest) under 0.5 s.
Needs ../shared/data.

Zoning whole villages is a generalised assignment problem: small schools (teaching
points of 60 seats) are knapsacks. The benchmark prints what HiGHS proves within 2 s
(status and gap) and the time to proven optimality (0.01 % gap) or its 120 s limit.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import planning  # noqa: E402
from planning.forecast import GRADE_COLUMNS, Forecast  # noqa: E402
from planning.osm import read_osm  # noqa: E402
from planning.traveltime import travel_time_matrix  # noqa: E402
from planning.validation import validate_schools, validate_villages  # noqa: E402

PBF = ROOT.parent / "shared" / "data" / "osm" / "liechtenstein" / "liechtenstein-2015.osm.pbf"

# type, count, capacity, classrooms, beds
MIX = [("中心小学", 12, 900, 20, 150), ("村完小", 50, 450, 9, 0), ("教学点", 20, 60, 3, 0),
       ("初级中学", 12, 1600, 32, 1200), ("九年一贯制", 6, 900, 18, 200)]


def county(network, rng: np.random.Generator, *, scale: int = 1) -> planning.Project:
    """1,000 villages and 100 × ``scale`` schools on a real network (synthetic people and schools)."""
    main = np.flatnonzero(network.components == 0)

    def points(n: int) -> gpd.GeoSeries:
        base = network.node_xy[rng.choice(main, size=n, replace=False)] + rng.uniform(-150, 150, size=(n, 2))
        return gpd.GeoSeries(gpd.points_from_xy(base[:, 0], base[:, 1]), crs=network.crs)

    size = rng.lognormal(np.log(5), 0.5, 1000)
    villages = validate_villages(gpd.GeoDataFrame(
        {"village_id": [f"V{i:04d}" for i in range(1000)],
         **{f"grade_{g}": rng.poisson(size) for g in range(1, 10)}}, geometry=points(1000)))
    rows = [(kind, cap, rooms, beds) for kind, count, cap, rooms, beds in MIX for _ in range(count * scale)]
    n = len(rows)
    schools = validate_schools(gpd.GeoDataFrame(
        {"school_id": [f"S{i:03d}" for i in range(n)], "type": [r[0] for r in rows],
         "capacity": [r[1] for r in rows], "classrooms": [r[2] for r in rows], "beds": [r[3] for r in rows],
         "teachers_above_qualification": rng.integers(2, 40, n), "key_teachers": rng.integers(0, 10, n),
         "pe_arts_teachers": rng.integers(0, 10, n), "teaching_area_m2": rng.integers(300, 6000, n),
         "sports_area_m2": rng.integers(500, 9000, n), "equipment_value_yuan": rng.integers(10**5, 2 * 10**6, n),
         "multimedia_classrooms": rng.integers(1, 20, n)}, geometry=points(n)))
    return planning.Project(villages, schools, network, name="benchmark county")


def real_county(rng: np.random.Generator, *, scale: int = 1) -> planning.Project:
    """:func:`county` on the real Liechtenstein network, with the disk cache and progress bars
    off (every benchmark times the work itself); stops with a message without ../shared/data."""
    if not PBF.exists():
        raise SystemExit(f"needs {PBF} (../shared/data beside the repository)")
    planning.settings.use_cache = False
    planning.settings.progress = False
    return county(read_osm(PBF).network, rng, scale=scale)


def ten_years(project: planning.Project) -> Forecast:
    """A forecast of ten more years: pupils shrink 3 % a year, year by year (the matrix is
    reused; only pupils change)."""
    today = project.villages[GRADE_COLUMNS]
    frames = {2026 + k: today * 0.97 ** k for k in range(11)}
    return Forecast(pupils=pd.concat(frames, names=["year", "village_id"]))


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    project = real_county(np.random.default_rng(7))
    tt, _ = timed(lambda: travel_time_matrix(project.network, project.xy(project.villages),
                                             project.xy(project.schools), policy=project.policy, use_cache=False))
    project.travel_times()
    planning.baseline(project, "nearest")
    closing = project.schools.index[project.schools["type"] == "village_primary"][0]
    print(f"{len(project.villages)} villages × {len(project.schools)} schools on {project.network.n_nodes:,} nodes; "
          f"{project.villages[['primary_pupils', 'junior_pupils']].to_numpy().sum():,.0f} pupils\n")
    print(f"recompute travel times           {tt * 1000:8.0f} ms")
    near, result = timed(lambda: planning.Scenario(project, "edit").close(closing).evaluate("nearest"), repeat=7)
    print(f"one edit, nearest assignment     {near * 1000:8.1f} ms   ({tt / near:5.0f}× faster than re-routing; "
          f"target < 50 ms)")
    quick, qres = timed(lambda: planning.Scenario(project, "edit").close(closing).evaluate("zoned", solver_seconds=2.0))
    print(f"one edit, zoned, 2 s limit       {quick * 1000:8.0f} ms   solver: {qres.solver.status}, "
          f"gap {qres.solver.gap:.2%} ({qres.solver.variables:,} variables)")
    zoned, zres = timed(lambda: planning.Scenario(project, "edit").close(closing).evaluate("zoned", solver_seconds=120.0))
    print(f"one edit, zoned to proof         {zoned * 1000:8.0f} ms   ({tt / zoned:5.2f}× re-routing; target < 2 s); "
          f"solver: {zres.solver.status}, gap {zres.solver.gap:.2%}")
    split, sres = timed(lambda: planning.Scenario(project, "edit").close(closing).evaluate("split"), repeat=3)
    print(f"one edit, split zoning (LP)      {split * 1000:8.0f} ms")
    forecast = ten_years(project)
    years, _ = timed(lambda: planning.Scenario(project, "edit").close(closing).evaluate_years(forecast), repeat=3)
    print(f"ten years of one plan, nearest   {years * 1000:8.0f} ms   (11 years incl. the base; target < 500 ms)")
    s = result.summary
    print(f"\nnearest: {s['walkers']:.0f} walk, {s['boarders']:.0f} board, {s['unserved']:.0f} unserved; "
          f"zoned: {zres.summary['walkers']:.0f} walk, {zres.summary['boarders']:.0f} board, "
          f"{zres.summary['unserved']:.0f} unserved, {zres.summary['schools_over_capacity']:.0f} over capacity")


if __name__ == "__main__":
    main()
