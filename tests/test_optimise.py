"""Exact location-allocation: published optima of OR-Library instances, plans on the demo,
hand-made cases and explanations of infeasible requests."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest

import planning
from planning import InfeasibleError, PlanningError, benders, covering, optimise, orlib
from planning.benders import heuristic
from planning.evaluate import level_summary
from planning.i18n import localise
from planning.milp import Model, Rows, Session
from planning.optimise import max_coverage, p_median, plan, set_cover, tradeoff

from .conftest import shared_file
from .demo_facts import beyond_limit, may_open, nearest_minutes

PMED_OPTIMA = {1: 5819, 2: 4093, 3: 4250, 4: 3034, 5: 1355, 6: 7824, 7: 5631, 8: 4445, 9: 2734, 10: 1255}
PMEDCAP_OPTIMA = {1: 713, 2: 740, 3: 751, 4: 651, 5: 664, 6: 778, 7: 787, 8: 820, 9: 715, 10: 829}


def read_pmed(k: int) -> tuple[np.ndarray, int]:
    return orlib.read_pmed(shared_file("orlib", "pmed", f"pmed{k}.txt"))


def read_pmedcap(k: int) -> tuple[np.ndarray, int, float, np.ndarray]:
    cost, p, capacity, demand, optimum = orlib.read_pmedcap(shared_file("orlib", "pmedcap", f"pmedcap{k:02d}.txt"))
    assert optimum == PMEDCAP_OPTIMA[k]  # line 1 of the file agrees with the data README
    return cost, p, capacity, demand


@pytest.mark.parametrize("k", range(1, 11))
def test_uncapacitated_p_median_reaches_the_published_optimum(k):
    """By Benders decomposition now (pmed6 took 14 s with the strong formulation)."""
    cost, p = read_pmed(k)
    solution = p_median(cost, p)
    assert solution.optimal and solution.method == "benders"
    assert solution.bound == pytest.approx(PMED_OPTIMA[k], abs=0.5) and solution.gap <= 1e-6
    assert solution.objective == pytest.approx(PMED_OPTIMA[k], abs=0.5)
    assert len(solution.open) == p
    assert cost[np.arange(len(cost)), solution.assignment].sum() == pytest.approx(PMED_OPTIMA[k], abs=0.5)


@pytest.mark.parametrize(("k", "steps"), [(1, ["start", "lp"]), (2, ["start", "lp", "fixing", "tree"])])
def test_benders_counts_the_seconds_of_each_step(k, steps):
    """pmed1's LP relaxation with cuts is integral (proven there); pmed2 needs fixing and
    the branch and cut (no HiGHS MILP). The steps reached are those timed, and together they
    account for the run."""
    cost, p = read_pmed(k)
    answer = benders.p_median(cost, p)
    assert answer.status == "Optimal" and answer.objective == pytest.approx(PMED_OPTIMA[k])
    assert list(answer.phases) == steps and answer.rounds == 0
    assert (answer.nodes > 1) == ("tree" in steps) and answer.lp_solves > answer.nodes
    assert all(took > 0 for took in answer.phases.values())
    assert sum(answer.phases.values()) == pytest.approx(answer.seconds, rel=0.05, abs=2e-3)


@pytest.mark.parametrize("k", range(1, 11))
def test_capacitated_p_median_reaches_the_published_optimum(k):
    cost, p, capacity, demand = read_pmedcap(k)
    n = len(cost)
    solution = p_median(cost, p, weights=np.ones(n), demand=demand, capacities=np.full(n, capacity))
    assert solution.optimal and solution.method in ("lagrangian", "lagrangian_sets")
    if k == 8:  # its Dantzig–Wolfe bound is 771.7: the bound alone cannot prove 820 (12 s in HiGHS's tree before)
        assert solution.method == "lagrangian_sets"
    assert solution.objective == pytest.approx(PMEDCAP_OPTIMA[k], abs=0.5)
    loads = np.bincount(solution.assignment, weights=demand, minlength=n)
    assert loads.max() <= capacity + 1e-6
    assert set(np.flatnonzero(loads)) <= set(solution.open)


def _brute_force(cost: np.ndarray, weights: np.ndarray, p: int, keep: list[int], closed: list[int]) -> float:
    """The least Σ weight × cost to the nearest open usable column over every choice of p
    columns (inf where a pair is impossible)."""
    best = np.inf
    for chosen in itertools.combinations([j for j in range(cost.shape[1]) if j not in closed], p):
        if set(keep) <= set(chosen):
            best = min(best, float((weights * cost[:, list(chosen)].min(axis=1)).sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_benders_and_the_strong_formulation_agree_with_every_choice_tried(seed):
    """Random points, weights, a walking limit that rules pairs out, one column kept and
    one closed: Benders, the strong formulation (unlimited capacities) and trying every
    choice of p columns find the same least cost."""
    rng = np.random.default_rng(seed)
    villages, schools = rng.uniform(0, 100, (14, 2)), rng.uniform(0, 100, (9, 2))
    cost = np.hypot(*(villages[:, None, :] - schools[None, :, :]).transpose(2, 0, 1)).round(1)
    weights = rng.integers(1, 10, 14).astype(float)
    limit = float(np.sort(cost, axis=1)[:, 4].max())  # every village has 5 schools within it
    keep, closed, p = [int(seed % 9)], [int((seed + 4) % 9)], 3
    expected = _brute_force(np.where(cost <= limit, cost, np.inf), weights, p, keep, closed)
    fast = p_median(cost, p, weights=weights, max_cost=limit, open_=keep, closed=closed)
    strong = p_median(cost, p, weights=weights, max_cost=limit, open_=keep, closed=closed,
                      capacities=np.full(9, np.nan))
    assert fast.method == "benders" and strong.method == "milp"
    assert fast.optimal and fast.objective == pytest.approx(expected)
    assert strong.optimal and strong.objective == pytest.approx(expected)
    assert len(fast.open) == p and set(keep) <= set(fast.open) and not set(closed) & set(fast.open)
    rows = np.arange(14)
    assert (cost[rows, fast.assignment] <= limit).all() and set(fast.assignment) <= set(fast.open)
    assert float((weights * cost[rows, fast.assignment]).sum()) == pytest.approx(fast.objective)


def test_the_interchange_leaves_no_swap_that_lowers_the_cost():
    """The vectorised swap evaluation against trying every single swap by hand."""
    rng = np.random.default_rng(7)
    points = rng.uniform(0, 100, (40, 2))
    cost = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    everything = np.ones(40, dtype=bool)
    chosen = heuristic(cost, 4, keep=~everything, may=everything)
    value = cost[:, chosen].min(axis=1).sum()
    for out, into in itertools.product(np.flatnonzero(chosen), np.flatnonzero(~chosen)):
        swapped = chosen.copy()
        swapped[[out, into]] = [False, True]
        assert cost[:, swapped].min(axis=1).sum() >= value - 1e-9


def test_a_time_limit_returns_the_best_plan_found_not_infeasibility():
    """Before, HiGHS stopping at its time limit without a solution raised InfeasibleError
    ("no set of schools serves every village"): a false statement to a planner."""
    cost, p = read_pmed(11)
    solution = p_median(cost, p, solver_seconds=1e-3)
    assert solution.status == "Time limit reached" and not solution.optimal
    assert len(solution.open) == p
    rows = np.arange(len(cost))
    assert (cost[rows, solution.assignment] == cost[:, solution.open].min(axis=1)).all()  # a real plan
    assert solution.objective == pytest.approx(cost[rows, solution.assignment].sum())
    assert solution.bound <= 7696 <= solution.objective  # pmed11's published optimum between them
    assert solution.gap == pytest.approx((solution.objective - solution.bound) / solution.objective)
    assert [n.text("en") for n in solution.notes] == [
        f"the solver stopped at its time limit after {solution.seconds:.3g} s: this is the best plan it found, and "
        f"no plan can lower its total walking by more than {solution.gap:.2%}; give the solver more time for a "
        "plan proven best"]
    assert solution.notes[0].text("zh").startswith(f"求解器在 {solution.seconds:.3g} 秒时达到时间上限：这是已找到的最好方案")


def test_a_time_limit_without_any_plan_says_so():
    """The strong formulation (capacities and a budget) stopped before any solution: the
    error says the time ran out and what to do, not that no plan exists. Villages zoned
    whole under seats alone (Lagrangian bounds and fixing) have a plan before HiGHS starts:
    stopped then, that plan comes back, feasible, with its proven bound, its gap and a note."""
    cost, p, capacity, demand = read_pmedcap(10)
    n = len(cost)
    with pytest.raises(PlanningError) as caught:
        p_median(cost, p, weights=np.ones(n), demand=demand, capacities=np.full(n, capacity), solver_seconds=1e-3,
                 budget=(np.zeros(n), 1.0))
    assert not isinstance(caught.value, InfeasibleError)
    assert caught.value.text("en") == (
        "p-median with p = 5: the solver stopped at its time limit of 0.001 s before finding any plan. This does "
        "not mean that no plan exists: give the solver more time (--solver-seconds on the command line) or make "
        "the problem smaller (fewer candidate sites, or fix the schools that must stay open or close)")
    assert caught.value.text("zh").startswith("p = 5 的总步行时间最短方案：求解器在 0.001 秒的时间上限内没有找到任何方案。这并不说明不存在可行方案")
    cost, p, capacity, demand = read_pmedcap(8)  # the hardest of pmedcap01–10 (seconds to prove)
    try:
        quick = p_median(cost, p, weights=np.ones(n), demand=demand, capacities=np.full(n, capacity),
                         solver_seconds=0.5)
    except PlanningError as stopped:  # a loaded machine: not even the start in time — said so, not "infeasible"
        assert not isinstance(stopped, InfeasibleError) and "time limit of 0.5 s" in stopped.text("en")
        return
    assert quick.method in ("lagrangian", "lagrangian_sets") and len(quick.open) == p
    loads = np.bincount(quick.assignment, weights=demand, minlength=n)
    assert loads.max() <= capacity + 1e-6 and set(np.flatnonzero(loads)) <= set(quick.open)
    assert quick.objective == pytest.approx(cost[np.arange(n), quick.assignment].sum())
    assert quick.bound <= PMEDCAP_OPTIMA[8] + 1e-6 <= quick.objective + 1e-6
    if not quick.optimal:
        assert quick.status == "Time limit reached" and quick.gap > 0
        assert [m.key for m in quick.notes] == ["plan.time_limit"]


def test_a_kept_highs_model_gives_each_solve_its_own_time_limit():
    """HiGHS compares its time limit with the run time of all solves of an instance: before,
    a Benders loop's later solves stopped at once ("Time limit reached") when the time
    spent so far exceeded the time left. (Each limit is 8 times the longest solve so far,
    slack for a loaded machine, and still below the run time of all solves.)"""
    rng = np.random.default_rng(1)
    rows = Rows(300)
    rows.add([(np.repeat(np.arange(300), 300), np.tile(np.arange(300), 300), rng.uniform(0, 1, 90_000))],
             rng.uniform(5, 10, 300), np.inf, count=300)
    session = Session(Model.from_rows(rng.uniform(1, 2, 300), rows, col_upper=np.ones(300)))
    took = []
    for _ in range(31):
        session.restart()  # from scratch each time
        took.append(session.solve(relax=True, seconds=8 * max(took, default=1.0)).seconds)
    assert sum(took) > 8 * max(took)  # the instance has run longer than the limit given below
    assert session.solve(relax=True).status == "Optimal"
    session.restart()
    assert session.solve(relax=True, seconds=8 * max(took)).status == "Optimal"


def test_the_solver_report_names_the_method_and_the_time_limit(demo):
    quick = plan(demo, "p_median", level="primary", p=3, hard_limit=False, capacity=False,
                 solver_seconds=1e-6)
    report = quick.report()
    assert report["solver_status"] == "Time limit reached" and report["solver_method"] == "benders"
    worded = localise(pd.DataFrame([report]), "en").iloc[0]
    assert worded["solver status"] == "time limit reached"
    assert worded["solver method"] == "Benders decomposition (radius formulation) + HiGHS"
    assert localise(pd.DataFrame([report]), "zh").iloc[0]["求解方法"] == "Benders 分解（半径模型）+ HiGHS"
    assert any(n.startswith("the solver stopped at its time limit") for n in quick.notes)
    proven = plan(demo, "p_median", level="primary", p=3, hard_limit=False, capacity=False)
    assert proven.report()["solver_status"] == "Optimal" and not any("time limit" in n for n in proven.notes)
    least = plan(demo, "fewest_schools", level="primary", limit=40)
    assert localise(pd.DataFrame([least.report()]), "en").iloc[0]["solver method"] == "HiGHS MILP (strong formulation)"


# a line of 5 villages 10 apart; schools at the same points
LINE = np.abs(np.subtract.outer(np.arange(5) * 10.0, np.arange(5) * 10.0))


def test_set_cover_finds_the_fewest_and_then_the_cheapest():
    # two schools cover every village within 10: {0,3}, {1,3} or {1,4}; with the last village
    # weighing 5, {1,4} costs 10+0+10+10+0 = 30 and the others 70
    solution = set_cover(LINE, 10.0, weights=np.array([1, 1, 1, 1, 5.0]))
    assert sorted(solution.open) == [1, 4]
    assert solution.objective == pytest.approx(30.0)


def test_max_coverage_weights_rows():
    weights = np.array([1, 1, 1, 1, 50.0])
    solution = max_coverage(LINE, 1, 10.0, weights=weights)
    assert list(solution.open) == [3]  # covers the villages at 20, 30, 40: 1 + 1 + 50
    assert solution.objective == pytest.approx(52.0)
    assert (solution.assignment[:2] == -1).all()


def _subsets(m: int) -> np.ndarray:
    """Every subset of m columns as a row of booleans (2^m × m)."""
    return ((np.arange(2 ** m)[:, None] >> np.arange(m)) & 1).astype(bool)


def brute_cover(minutes, limit, weights, *, cost=None, keep=(), close=(), budget=None):
    """Over every subset of columns (keeping ``keep``, without ``close``, spending at most
    ``budget``) that brings each row within ``limit``: the least count (or ``cost``), then
    the least Σ weight × walk to the nearest open column. Returns (count or cost, walking);
    (inf, inf) when none does."""
    n, m = minutes.shape
    chosen = _subsets(m)
    chosen = chosen[chosen[:, list(keep)].all(axis=1) & ~chosen[:, list(close)].any(axis=1)]
    if budget is not None:
        chosen = chosen[chosen @ budget[0] <= budget[1]]
    near = np.where((minutes <= limit)[None] & chosen[:, None, :], minutes[None], np.inf).min(axis=2)
    ok = np.isfinite(near).all(axis=1)
    if not ok.any():
        return np.inf, np.inf
    value = (chosen.sum(axis=1) if cost is None else chosen @ cost)[ok]
    walking = (np.where(np.isfinite(near), near, 0.0) @ weights)[ok]
    least = np.isclose(value, value.min())
    return float(value.min()), float(walking[least].min())


def brute_coverage(minutes, limit, weights, p, *, keep=(), close=(), budget=None):
    """The most weight within ``limit`` of p open columns, over every choice of p."""
    chosen = _subsets(minutes.shape[1])
    chosen = chosen[(chosen.sum(axis=1) == p) & chosen[:, list(keep)].all(axis=1) & ~chosen[:, list(close)].any(axis=1)]
    if budget is not None:
        chosen = chosen[chosen @ budget[0] <= budget[1]]
    covered = ((minutes <= limit)[None] & chosen[:, None, :]).any(axis=2)
    return float((covered @ weights).max(initial=-np.inf))  # −inf: no choice of p fits


def random_matrix(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Walking minutes between n villages and m sites at random points of a 6 × 6 km square
    (4 km/h: 15 min a km), a few pairs unreachable; pupils per village."""
    rng = np.random.default_rng(seed)
    homes, spots = rng.uniform(0, 6, (n, 2)), rng.uniform(0, 6, (m, 2))
    minutes = 15 * np.sqrt(((homes[:, None] - spots[None]) ** 2).sum(axis=2))
    minutes[rng.random((n, m)) < 0.05] = np.nan
    return minutes, rng.integers(1, 60, n).astype(float)


@pytest.mark.parametrize("seed", range(8))
def test_reduced_covering_models_reach_the_brute_force_optimum(seed):
    """The compact models, reduced by row and column dominance (set cover) or by merging
    rows (max coverage), against every subset of columns: fewest, least cost, the least
    walking among those, the most pupils covered; kept and closed columns honoured."""
    minutes, pupils = random_matrix(seed, 40, 10)
    rng = np.random.default_rng(100 + seed)
    limit = float(np.nanmax(np.nanmin(minutes, axis=1))) + rng.uniform(0, 20)  # every village coverable
    keep, close = [int(rng.integers(10))], [int(rng.integers(10))]
    close = [c for c in close if c not in keep]
    spend = rng.integers(0, 3, 10).astype(float)
    for options in ({}, {"open_": keep, "closed": close}, {"budget": (spend, float(np.median(spend) * 3))}):
        wanted = {"keep": options.get("open_", ()), "close": options.get("closed", ()), "budget": options.get("budget")}
        try:
            fewest = set_cover(minutes, limit, weights=pupils, **options)
        except InfeasibleError:  # a village only a closed column reaches, or beyond the budget
            assert brute_cover(np.nan_to_num(minutes, nan=np.inf), limit, pupils, **wanted)[0] == np.inf
            continue
        count, walking = brute_cover(np.nan_to_num(minutes, nan=np.inf), limit, pupils, **wanted)
        assert fewest.optimal and len(fewest.open) == count
        assert fewest.objective == pytest.approx(walking)
        assert set(wanted["keep"]) <= set(fewest.open) and not set(wanted["close"]) & set(fewest.open)
        cost = rng.integers(-1, 5, 10).astype(float)  # zero and negative costs too (a column that saves)
        cheapest = set_cover(minutes, limit, weights=pupils, column_cost=cost, **options)
        value, walking = brute_cover(np.nan_to_num(minutes, nan=np.inf), limit, pupils, cost=cost, **wanted)
        assert cost[cheapest.open].sum() == pytest.approx(value) and cheapest.objective == pytest.approx(walking)
        for p in (2, 4):
            best = brute_coverage(np.nan_to_num(minutes, nan=np.inf), limit * 0.6, pupils, p, **wanted)
            if best == -np.inf:  # over the budget
                with pytest.raises(InfeasibleError):
                    max_coverage(minutes, p, limit * 0.6, weights=pupils, **options)
                continue
            most = max_coverage(minutes, p, limit * 0.6, weights=pupils, **options)
            assert most.objective == pytest.approx(best)
            covered = most.assignment >= 0
            assert (minutes[covered, most.assignment[covered]] <= limit * 0.6).all()
            assert most.objective == pytest.approx(pupils[covered].sum())


def test_column_dominance_closes_columns_for_the_count_but_not_for_the_walking():
    """Villages at 0, 10, 20, 30 on a line, limit 10; columns b at 10 (reaches 0, 10, 20), a
    at 0 (0, 10), c at 30 (20, 30). The third village's row goes (it contains the fourth's),
    the second's too (the same set as the first's); then a and b reach the same rows and b,
    first and no dearer, closes a. Among the fewest (two), {a, c} walks 0 + 10 + 10 + 0 with
    the first village weighing 5, {b, c} 50 + 0 + 10 + 0: the walking keeps a."""
    minutes = np.abs(np.subtract.outer([0.0, 10, 20, 30], [10.0, 0, 30]))
    allowed = minutes <= 10
    none, every = np.zeros(3, bool), np.ones(3, bool)
    rows, free = covering.reduce_cover(allowed, kept=none, may_open=every, cost=np.ones(3))
    assert rows.toarray().tolist() == [[True, False, False], [False, False, True]]  # {b}, {c}
    assert free.tolist() == [True, False, True]
    rows, free = covering.reduce_cover(allowed, kept=np.array([False, True, False]), may_open=every, cost=np.ones(3))
    assert rows.toarray().tolist() == [[False, False, True]]  # kept a covers the first two villages
    assert free.tolist() == [False, True, True]  # b covers no village left: closed; a kept
    rows, free = covering.reduce_cover(allowed, kept=none, may_open=every, cost=np.array([2.0, 1.0, 1.0]))
    assert free.tolist() == [False, True, True]  # a cheaper: b closes
    rows, free = covering.reduce_cover(allowed, kept=none, may_open=np.array([True, True, False]), cost=np.ones(3))
    assert rows.shape[0] == 2 and free.tolist() == [True, False, False]  # c may not open: the fourth row is empty
    solution = set_cover(minutes, 10.0, weights=np.array([5.0, 1, 1, 1]))
    assert sorted(solution.open) == [1, 2] and solution.objective == pytest.approx(20.0)
    assert solution.assignment.tolist() == [1, 1, 2, 2]


@pytest.mark.parametrize("density", [0.03, 0.5])
def test_contained_sets_are_found_as_by_direct_counting(density):
    """``covering.within`` (blocks of sparse products, or dense ones for dense sets) against
    counting each pair's common columns directly: N(a) ⊆ N(b) ⇔ |N(a) ∩ N(b)| = |N(a)|."""
    from scipy import sparse

    rng = np.random.default_rng(7)
    sets = rng.random((1500, 40)) < density
    sets[::7] = sets[1::7]  # equal sets too
    common = sets.astype(int) @ sets.T.astype(int)
    size = sets.sum(axis=1)
    expected = {(a, b) for a, b in zip(*np.nonzero(common == size[:, None]), strict=True) if a != b and size[a] > 0}
    small, big = covering.within(sparse.csr_matrix(sets))
    assert set(zip(small.tolist(), big.tolist(), strict=True)) == expected
    of = sets[:300][::-1]
    small, big = covering.within(sparse.csr_matrix(sets[:50]), sparse.csr_matrix(of))
    inside = (sets[:50].astype(int) @ of.T.astype(int)) == size[:50, None]
    assert set(zip(small.tolist(), big.tolist(), strict=True)) == {
        (a, b) for a, b in zip(*np.nonzero(inside), strict=True) if size[a] > 0}


def test_max_coverage_merges_villages_with_the_same_reach_summing_their_pupils():
    """Rows reaching {0}, {1}, {1}, {0, 1} weigh 3, 2, 2, 1: the two reaching {1} become one
    group of 4; column 1 covers 4 + 1. A kept column's villages count once, outside the model."""
    allowed = np.array([[True, False], [False, True], [False, True], [True, True]])
    weights = np.array([3.0, 2, 2, 1])
    sets, weight, always = covering.reduce_coverage(allowed, weights, kept=np.zeros(2, bool))
    assert sorted(zip(map(tuple, sets.toarray().tolist()), weight.tolist(), strict=True)) == [
        ((False, True), 4.0), ((True, False), 3.0), ((True, True), 1.0)]
    assert always == 0
    sets, weight, always = covering.reduce_coverage(allowed, weights, kept=np.array([True, False]))
    assert sets.toarray().tolist() == [[False, True]] and weight.tolist() == [4.0] and always == 4.0
    minutes = np.where(allowed, 5.0, 50.0)
    solution = max_coverage(minutes, 1, 10.0, weights=weights)
    assert list(solution.open) == [1] and solution.objective == pytest.approx(5.0) and solution.bound == pytest.approx(5)
    assert solution.assignment.tolist() == [-1, 1, 1, 1]
    kept = max_coverage(minutes, 1, 10.0, weights=weights, open_=[0])
    assert list(kept.open) == [0] and kept.objective == pytest.approx(4.0) and kept.assignment.tolist() == [0, -1, -1, 0]


def test_the_fewest_alone_stops_after_the_first_stage():
    """``least_walking=False`` answers what spopt's LSCP does: the fewest columns, each row at
    its nearest open one, the walking of that as the objective and no bound on it."""
    minutes, pupils = random_matrix(3, 60, 12)
    limit = float(np.nanmax(np.nanmin(minutes, axis=1))) + 5
    first = set_cover(minutes, limit, weights=pupils, least_walking=False)
    both = set_cover(minutes, limit, weights=pupils)
    assert len(first.open) == len(both.open) == brute_cover(np.nan_to_num(minutes, nan=np.inf), limit, pupils)[0]
    near = np.where(np.isin(np.arange(12), first.open)[None, :] & (minutes <= limit), minutes, np.inf)
    assert first.assignment.tolist() == near.argmin(axis=1).tolist()
    assert first.objective == pytest.approx((pupils * near.min(axis=1)).sum())
    assert first.objective >= both.objective - 1e-6
    assert np.isnan(first.bound) and first.optimal


def test_seats_that_cannot_bind_leave_the_answer_as_without_seats_and_seats_that_bind_hold():
    """Five villages 10 apart, limit 10, 10 pupils each: with 50 seats per column no column
    can be filled beyond its seats (the compact model); with 20, a column serves at most two
    villages and three columns are needed (the strong model)."""
    demand = np.full(5, 10.0)
    free = set_cover(LINE, 10.0, weights=demand)
    roomy = set_cover(LINE, 10.0, weights=demand, demand=demand, capacities=np.full(5, 50.0))
    assert len(free.open) == len(roomy.open) == 2 and roomy.objective == pytest.approx(free.objective)
    tight = set_cover(LINE, 10.0, weights=demand, demand=demand, capacities=np.full(5, 20.0))
    assert len(tight.open) == 3
    assert np.bincount(tight.assignment, weights=demand, minlength=5).max() <= 20
    assert max_coverage(LINE, 1, 10.0, weights=demand, demand=demand, capacities=np.full(5, 20.0)).objective == 20
    assert max_coverage(LINE, 1, 10.0, weights=demand, demand=demand, capacities=np.full(5, 50.0)).objective == 30


def test_plans_on_the_demo_reach_the_brute_force_optimum(demo):
    """The demo's fewest-schools and max-coverage plans without seats (the compact models)
    against every subset of its complete primary schools and sites; with seats (one school's
    villages within reach outnumber its seats there: the strong model) max coverage against
    the strong model with each choice of five fixed."""
    columns = may_open(demo, "primary")
    pupils = demo.villages["primary_pupils"].fillna(0.0)
    minutes = demo.travel_times().loc[pupils.index[pupils > 0], columns].to_numpy()
    weights = pupils[pupils > 0].to_numpy()
    lonely = ~(minutes <= 40).any(axis=1)  # set aside: within reach of whatever opens
    aside = np.where(lonely[:, None], np.where(np.isfinite(minutes), 0.0, np.inf), np.nan_to_num(minutes, nan=np.inf))
    count, walking = brute_cover(aside, 40, weights)
    fewest = plan(demo, "fewest_schools", level="primary", limit=40, capacity=False)
    assert fewest.solution.optimal and len(fewest.solution.open) == count
    assert fewest.solution.objective == pytest.approx(walking)
    most = plan(demo, "max_coverage", level="primary", p=5, limit=40, capacity=False)
    assert most.solution.optimal
    assert most.solution.objective == pytest.approx(brute_coverage(np.nan_to_num(minutes, nan=np.inf), 40, weights, 5))
    seats = plan(demo, "max_coverage", level="primary", p=5, limit=40)
    assert seats.solution.optimal and seats.solution.objective <= most.solution.objective
    strong = optimise._coverage_strong
    inputs = optimise.level_inputs(demo, "primary")
    choices = itertools.combinations(range(len(columns)), 5)
    best = max(strong(optimise._problem(inputs.minutes, weights=inputs.pupils, demand=inputs.pupils, max_cost=40.0,
                                        open_=list(chosen), closed=None, labels=None, unit=""), 5, inputs.capacities,
                      single_source=True, budget=None, seconds=None, mip_gap=1e-6).objective for chosen in choices)
    assert seats.solution.objective == pytest.approx(best)


def test_must_keep_and_must_close():
    solution = p_median(LINE, 2, open_=[0], closed=[2])
    assert 0 in solution.open and 2 not in solution.open


@pytest.mark.parametrize(("call", "message"), [
    (lambda: p_median(LINE, 6), r"p = 6, but only 5 schools and sites may open"),
    (lambda: p_median(LINE, 2, demand=np.full(5, 10.0), capacities=np.full(5, 20.0)),
     r"the highest possible capacity of 2 open columns is 40, smaller than the total demand 50"),
    (lambda: set_cover(np.c_[LINE[:, :2], np.full(5, np.nan)], 10.0, labels=list("ABCDE")),
     r"D, E are beyond 10 from every school and site that may open: they need a bus or boarding"),
    (lambda: p_median(LINE, 1, open_=[0], closed=[0]), r"both kept open and closed"),
])
def test_infeasible_requests_are_explained_before_solving(call, message):
    with pytest.raises(InfeasibleError, match=message):
        call()


def test_fewest_schools_on_the_demo_is_a_scenario(demo):
    result = plan(demo, "fewest_schools", level="primary", limit=40)
    assert result.solution.optimal
    kept = result.columns[result.columns["decision"] == "keep"].index
    assert len(kept) == len(result.solution.open) < len(may_open(demo, "primary", sites=False))  # today's
    # villages beyond 40 min of every complete primary and candidate site, from the travel times
    lonely = [f"{demo.villages.loc[v, 'name']} ({v})" for v, far in beyond_limit(demo, "primary", 40, sites=True).items()
              if far]
    assert lonely, "the demo should have villages no school or site brings within 40 min"
    for village in lonely:  # named, grades by grades, from the plan's own evaluation
        assert any(n.startswith(f"{village}, grades") and "beyond the 40-minute limit" in n for n in result.notes)
        assert any(n.startswith(f"{village} 的") and "超出 40 分钟时限" in n for n in result.explain("zh"))

    junior = plan(demo, "p_median", level="junior", p=1, close=["S03"])  # the nine-year school closes
    assert "S03 岩口九年一贯制学校 is a nine-year school: closing it for junior secondary closes it for both levels" in junior.notes
    assert "S03 岩口九年一贯制学校 是九年一贯制学校：为初中撤并即两个学段一起撤并" in junior.explain("zh")
    # the village nearest S03 (where it stands) is beyond 40 min of what may still open: its note
    # gives the walk to the nearest of those, not to S03
    tt = demo.travel_times()
    home = tt["S03"].idxmin()
    still_open = nearest_minutes(demo, [c for c in may_open(demo, "junior") if c != "S03"])[home]
    assert still_open > 40 and tt.loc[home, "S03"] <= 40
    near_s03 = next(n for n in junior.notes if n.startswith(f"{demo.villages.loc[home, 'name']} ({home})"))
    assert f"{still_open:.0f} min on foot" in near_s03
    assert f"{tt.loc[home, 'S03']:.0f} min on foot" not in near_s03
    evaluated = result.scenario.evaluate("zoned")
    assert evaluated.summary["schools_open"] < planning.baseline(demo).summary["schools_open"]
    walkers = evaluated.flows[(evaluated.flows["level"] == "primary") & (evaluated.flows["mode"] == "walk")]
    assert walkers["walk_minutes"].max() <= 40
    assert result.report()["schools_open"] == level_summary(result.scenario.evaluate(), "primary")["schools_open"]
    verb = "is" if len(lonely) == 1 else "are"
    with pytest.raises(InfeasibleError, match=re.escape(f"{', '.join(lonely)} {verb} beyond 40 min from every school")):
        plan(demo, "fewest_schools", level="primary", limit=40, beyond="error")


def test_keep_and_close_constraints_on_the_demo(demo):
    kept = plan(demo, "fewest_schools", level="primary", limit=40, keep=["S09", "S10"], close=["S04"])
    decisions = kept.columns["decision"]
    assert decisions["S09"] == "keep" and decisions["S04"] == "close"
    assert "S10" not in set(kept.scenario.log()["change"].str.split().str[-1])  # a kept teaching point stays


def test_unknown_or_contradictory_keep_and_close_are_validation_errors(demo, capsys):
    """Before, an unknown id raised InfeasibleError ("unknown schools in keep/close") without
    saying which ids there are; ids both kept and closed were told as column numbers."""
    schools, sites = ", ".join(demo.schools.index), ", ".join(demo.sites.index)
    with pytest.raises(planning.ValidationError) as caught:
        plan(demo, "fewest_schools", keep=["S99", "S01"], close=["S01", "X1"])
    error = caught.value
    assert not isinstance(error, InfeasibleError)
    assert error.lines("en") == [
        f"unknown school ids in “Must stay open”: S99; the schools of this project are {schools}, its candidate "
        f"sites {sites}",
        f"unknown school ids in “Must close”: X1; the schools of this project are {schools}, its candidate sites {sites}",
        "“Must stay open” and “Must close” both name S01; choose one"]
    zh = error.lines("zh")
    assert zh[0].startswith("“必须保留”中有未知的学校编号：S99；本项目的学校为 S01，S02")
    assert zh[2] == "S01 既在“必须保留”中又在“必须撤并”中；请二选一"
    from planning.cli import main

    assert main(["optimise", "--demo", "--keep", "S99", "--quiet", "--lang", "en"]) == 2
    assert "unknown school ids in “Must stay open”: S99; the schools of this project are S01" in capsys.readouterr().err


def test_max_coverage_names_the_rows_no_choice_covers():
    """Villages beyond the limit of every column stay uncovered whatever opens: before, the
    answer did not say so."""
    cost = np.c_[LINE[:, :2], np.full(5, np.nan)]  # columns at 0 and 10 (the third unreachable)
    solution = max_coverage(cost, 1, 10.0, weights=np.array([1, 1, 1, 4, 5.0]), labels=list("ABCDE"))
    assert list(solution.open) == [1] and solution.objective == pytest.approx(3.0)  # A, B, C; D and E: 30, 40
    assert [n.text("en") for n in solution.notes] == [
        "2 villages (9 pupils) are beyond 10 from every school and site that may open, so no choice of schools "
        "covers them: D, E; they need a bus, boarding or a site nearer"]
    assert solution.notes[0].text("zh").startswith("2 个村庄（共 9 名学生）距离所有可开办的学校和校址都在 10以外")
    assert max_coverage(LINE, 1, 40.0).notes == []  # every row within reach of some column


def test_p_median_plans_along_the_tradeoff_curve(demo):
    table = tradeoff(demo, level="primary", limit=40)
    today = len(may_open(demo, "primary", sites=False))  # complete primary schools
    assert list(table.index) == list(range(table.index[0], today + 1))  # fewest feasible … today's
    assert (table["solver_status"] == "Optimal").all()
    assert table["pupil_minutes"].is_monotonic_decreasing  # more schools, less walking
    assert (table["max_walk"] <= 40).all()
    for p in table.index:
        option = plan(demo, "p_median", level="primary", p=p, limit=40)
        assert option.scenario.evaluate("nearest").summary["schools_open"] >= p


def test_max_coverage_on_the_demo_covers_what_it_claims(demo):
    option = plan(demo, "max_coverage", level="primary", p=5, limit=40)
    assert option.solution.optimal
    opened = option.columns.index[option.columns["decision"].isin(["keep", "open"])]
    assert len(opened) == 5
    minutes = demo.travel_times()[opened]
    pupils = demo.villages["primary_pupils"]
    assert option.solution.objective == pytest.approx(pupils[(minutes <= 40).any(axis=1)].sum())
    far = beyond_limit(demo, "primary", 40, sites=True)  # no school or site within 40 min: never covered
    named = [f"{demo.villages.loc[v, 'name']} ({v})" for v in far.index[far & (pupils > 0)]]
    assert named, "the demo should have villages no school or site brings within 40 min"
    note = f"{len(named)} villages ({pupils[far].sum():,.0f} pupils) are beyond 40 min from every school and site"
    assert any(n.startswith(note) and ", ".join(named) in n for n in option.explain("en")), option.explain("en")
    columns = len(may_open(demo, "junior"))  # schools teaching grades 7–9, and junior sites if any
    with pytest.raises(InfeasibleError, match=f"p = {columns + 1}, but only {columns} schools and sites may open"):
        plan(demo, "max_coverage", level="junior", p=columns + 1, limit=40)


def test_cli_optimise_writes_a_scenario_and_the_tradeoff(tmp_path, capsys):
    from planning import Scenario, demo
    from planning.cli import main

    assert main(["optimise", "--demo", "--goal", "fewest_schools", "--level", "primary", "--tradeoff",
                 "--out", str(tmp_path), "--quiet", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "solver status" in out and "optimal (proven)" in out and "trade-off" in out and "Optimal" not in out
    plan_file = tmp_path / "plan_fewest_schools_primary.yaml"
    scenario = Scenario.from_file(plan_file, demo())
    assert scenario.log()["op"].eq("close").all()
    assert (tmp_path / "tradeoff_primary.png").stat().st_size > 10_000
    assert main(["optimise", "--demo", "--goal", "p_median", "--out", str(tmp_path), "--quiet"]) == 2


def test_plan_notes_come_from_the_plans_own_open_schools(demo):
    """A kept teaching point serves its village's lower grades: no note calls them beyond
    every school; closing it says how many more pupils are left with no way to school."""
    closing = plan(demo, "fewest_schools", level="primary", limit=40)
    keeping = plan(demo, "fewest_schools", level="primary", limit=40, keep=["S10"])  # 高坪教学点 beside 高坪村
    today = planning.baseline(demo)
    served_today = today.flows[(today.flows["school_id"] == "S10") & (today.flows["mode"] == "walk")]
    village = demo.villages.loc[served_today["village_id"].iloc[0], "name"]
    assert any(n.startswith(f"{village} (V05), grades 1–3") for n in closing.notes)
    assert not any(n.startswith(f"{village} (V05), grades 1–3") for n in keeping.notes)
    more = level_summary(closing.result, "primary")["unserved"] - level_summary(today, "primary")["unserved"]
    assert more > 0
    assert any(n.startswith(f"this plan leaves {more:.0f} more pupils") and village in n for n in closing.notes)
    assert not any("more pupils than today" in n for n in keeping.notes)
    for option in (closing, keeping):
        heads = level_summary(option.scenario.evaluate(), "primary")
        assert option.report()["schools_open"] == heads["schools_open"]  # the count "use this plan" shows


@pytest.mark.parametrize("seed", [0, 10, 14, 16])
@pytest.mark.parametrize("unit", [1.0, 7.0])
def test_the_branch_and_cut_proves_the_optimum_where_the_lp_with_every_cut_is_fractional(seed, unit):
    """Random costs (whole numbers, then sevenths: the tree prunes at incumbent − 1 only in
    the first case) whose master LP with every violated cut added stays fractional
    below the optimum; the tree starts from the worst plan (the p columns of largest column
    sums), so the optimum is found and proven by branching, not by the start: it is the
    least over every choice of p columns."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 100, (24, 16)) / unit
    p, lower, upper = 5, np.zeros(16), np.ones(16)
    worst = np.isin(np.arange(16), np.argsort(-cost.sum(axis=0))[:p])
    search = benders._prepared(cost, p, lower, upper, worst, deadline=np.inf, mip_gap=1e-6)
    assert search.step == (1.0 if unit == 1.0 else 0.0)
    lp, bound = benders._converge(search)
    expected = _brute_force(cost, np.ones(24), p, [], [])
    fraction = np.minimum(lp.x[:16], 1.0 - lp.x[:16])
    assert fraction.max() > 0.3 and bound < expected - 1 / unit  # more than whole numbers prove
    proven, status = benders._tree(search, bound, most=1000)
    assert status == "Optimal" and search.nodes > 1
    assert search.best.value == pytest.approx(expected) and proven == pytest.approx(expected)
    stopped = benders._prepared(cost, p, lower, upper, worst, deadline=np.inf, mip_gap=1e-6)
    partial, status = benders._tree(stopped, benders._converge(stopped)[1], most=1)  # the root only
    assert status == "Node limit reached" and partial <= expected + 1e-9  # the nodes left bound every plan
    answer = benders.p_median(cost, p)
    assert answer.status == "Optimal" and answer.objective == pytest.approx(expected)


def test_after_its_node_limit_the_tree_gives_way_to_highs_rounds(monkeypatch):
    """With room for one node only, the tree stops ("Node limit reached") and HiGHS's MILP
    rounds over the master with the tree's cuts prove the same optimum as trying every choice."""
    rng = np.random.default_rng(0)
    cost = rng.integers(1, 100, (24, 16)).astype(float)
    monkeypatch.setattr(benders, "TREE_NODES", 1)
    answer = benders.p_median(cost, 5)
    assert answer.status == "Optimal" and answer.objective == pytest.approx(_brute_force(cost, np.ones(24), 5, [], []))
    assert answer.nodes == 1 and answer.rounds >= 1 and list(answer.phases)[-2:] == ["tree", "milp"]


def test_too_few_schools_for_the_walking_limit_says_how_many_are_needed(demo):
    """The suggest panel's p = 5 on the demo's primary level: no 5 (or 6) schools seat every
    pupil within 40 minutes. Before, the planner read "HiGHS found no solution ... relax the
    limit, add capacity or allow sites" (sites were allowed). Now the error says p is too
    few and how many are needed: the fewest-schools plan's count, under the same schools
    kept and closed; and a p-median with that many has a plan."""
    least = len(plan(demo, "fewest_schools", level="primary").solution.open)
    for p in (5, least - 1):
        with pytest.raises(InfeasibleError) as caught:
            plan(demo, "p_median", level="primary", p=p)
        assert caught.value.text("en") == (
            f"p = {p} schools are too few: seating every pupil within 40 minutes' walk needs at least {least} schools "
            f"(the \"fewest schools\" goal finds which). Set p to {least} or more, or relax the walking limit")
        assert caught.value.text("zh").startswith(f"p = {p} 所学校不够：要让每名学生都在 40 分钟步行范围内就读且有学位，"
                                                  f"至少需要 {least} 所学校")
    assert plan(demo, "p_median", level="primary", p=least).solution.optimal
    kept = len(plan(demo, "fewest_schools", level="primary", keep=["S08"]).solution.open)
    with pytest.raises(InfeasibleError) as caught:
        plan(demo, "p_median", level="primary", p=5, keep=["S08"])
    assert f"needs at least {kept} schools" in caught.value.text("en")
