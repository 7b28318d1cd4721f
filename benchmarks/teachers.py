"""Teacher exchange and school alliances over 300 schools, solved exactly with HiGHS.

    python benchmarks/teachers.py

A county of 300 schools (the mix of benchmarks/scenario.py, three times over) on the real
Liechtenstein network, with synthetic teachers: about one per 15 pupils, a fifth of them key
teachers, about half eligible to rotate. Drive times between schools are computed once.

- The exchange: 10 % of the eligible teachers rotate, at least 20 % of them key teachers,
  between schools within 20 minutes by road sharing a level.
- Alliances: 50 cores chosen among the central primaries, junior and nine-year schools,
  each with 2–6 members within 15 minutes by road, balanced by schools and by pupils.

Each is solved to proven optimality or its time limit (the status and gap are printed).
Balancing alliances by pupils is a bin-packing-like problem with a weak relaxation: expect a
time limit with a stated gap there.
The peer is the same model written out (MPS) and solved by the CBC that PuLP ships (the
solver of spopt's default set-up), when .venv-bench has PuLP: the ratio is its time over ours.
Needs ../shared/data.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


from scenario import real_county  # noqa: E402

import planning  # noqa: E402
from planning import teachers  # noqa: E402


def with_teachers(project: planning.Project, rng: np.random.Generator) -> planning.Project:
    """Teachers about one per 15 pupils (today's nearest school), spread ±40 %; a fifth of them key
    teachers, half above the required qualification, a tenth PE/arts; about half eligible."""
    pupils = planning.baseline(project).schools["pupils"].reindex(project.schools.index).fillna(0).to_numpy()
    schools = project.schools.copy()
    staff = np.maximum(2, np.round(pupils / 15 * rng.uniform(0.6, 1.4, len(schools)))).astype(int)
    schools["teachers"] = staff
    schools["key_teachers"] = rng.binomial(staff, 0.2)
    schools["teachers_above_qualification"] = rng.binomial(staff, 0.5)
    schools["pe_arts_teachers"] = rng.binomial(staff, 0.1)
    schools["eligible_teachers"] = rng.binomial(staff, 0.5)
    schools["eligible_key_teachers"] = np.minimum(schools["key_teachers"],
                                                  rng.binomial(schools["eligible_teachers"], 0.2))
    return project.with_schools(schools)


def cbc_seconds(model, *, seconds: float | None = None) -> tuple[float, float] | None:
    """Solve ``model`` (planning.milp.Model) with the CBC that PuLP ships, from an MPS file
    HiGHS writes (PuLP's own MPS reader does not take integer bounds): (seconds, objective)."""
    try:
        import highspy
        import pulp
    except ImportError:
        return None
    from planning.milp import _highs_lp
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.mps"
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(_highs_lp(model.cost, model.matrix, model.row_lower, model.row_upper, model.col_lower,
                              model.col_upper, model.integer))
        h.writeModel(str(path))
        start = time.perf_counter()
        limit = ["sec", str(seconds)] if seconds is not None else []
        run = subprocess.run([pulp.PULP_CBC_CMD().path, str(path), "ratioGap", "1e-4", *limit, "solve"],
                             capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    found = re.search(r"Objective value:\s*([-0-9.eE+]+)", run.stdout)
    return seconds, float(found.group(1)) if found else float("nan")


def main() -> None:
    rng = np.random.default_rng(11)
    project = with_teachers(real_county(rng, scale=3), rng)
    today = planning.baseline(project)
    start = time.perf_counter()
    teachers.school_drive_minutes(project)
    print(f"{len(project.schools)} schools; drive times between them in {time.perf_counter() - start:.1f} s\n")

    start = time.perf_counter()
    exchange = planning.teacher_exchange(today, max_minutes=20, seconds=300)
    ours = time.perf_counter() - start
    print(f"exchange: {exchange.quota} of {exchange.eligible} eligible rotate (≥ {exchange.key_quota} key), "
          f"{len(exchange.moves)} pairs of schools; {exchange.status}, gap {exchange.gap:.2%}; {ours:.1f} s in all")
    print("  CV before → after: " + ", ".join(
        f"{name} {exchange.cv_before[name]:.3f} → {exchange.cv_after[name]:.3f}" for name in exchange.cv_before.index))
    pool = teachers._pool(today, None)
    senders, receivers = teachers._sides(pool, set(), set())
    minutes = teachers._pair_minutes(project, pool.ids, pool.grades, 20)
    pairs = np.argwhere(~np.isnan(minutes) & senders[:, None] & receivers[None, :])
    built = teachers._exchange_model(pool, pairs, minutes, exchange.quota, exchange.key_quota, {}, senders=senders,
                                     receivers=receivers)
    compare("  least-dispersion model", built.model, built.model.cost)

    kinds = ("central_primary", "junior_secondary", "nine_year")
    candidates = list(project.schools.index[project.schools["type"].isin(kinds)])
    for balance in ("schools", "pupils"):
        start = time.perf_counter()
        answer = planning.alliances(today, k=50, candidates=candidates, max_minutes=15, balance=balance, seconds=60)
        ours = time.perf_counter() - start
        print(f"\nalliances by {balance}: 50 cores among {len(candidates)} candidates, {len(answer.groups)} schools "
              f"placed, {len(answer.left_out)} left out; {answer.spread_words().text('en')}; balancing step "
              f"{answer.status}, gap {answer.gap:.2%}; {ours:.1f} s in all (60 s limit per step)")
    ids = today.schools.index[today.schools["open"].to_numpy(dtype=bool)]
    grouping = teachers._alliance_model(teachers._pair_minutes(project, ids, today.schools.loc[ids, "grades"], 15),
                                        np.ones(len(ids)), np.isin(ids, candidates), fixed=False, k=50, size=(2, 6))
    compare("  most schools placed (first step)", grouping.model, -grouping.placed)


def compare(what: str, model, cost: np.ndarray) -> None:
    """Our time to proven optimality on ``model`` with ``cost``, and CBC's on the same."""
    from planning.milp import Model

    start = time.perf_counter()
    ours = model.solve(cost=cost)
    ours_seconds = time.perf_counter() - start
    peer = cbc_seconds(Model(cost, model.matrix, model.row_lower, model.row_upper, model.col_lower,
                             model.col_upper, model.integer))
    line = f"{what}: HiGHS {ours_seconds:.2f} s ({ours.status}, objective {ours.objective:.4f})"
    if peer:
        line += f"; CBC (PuLP's) {peer[0]:.2f} s, objective {peer[1]:.4f}; CBC/ours {peer[0] / ours_seconds:.1f}×"
    print(line)


if __name__ == "__main__":
    main()
