"""The zoning's knapsack bound and the pairs it leaves out, against enumeration.

Before, zoning bounded its answer by the LP alone (with tight seats the proof could not
close: a 0.26 % gap after 120 s on the 1,000-village benchmark) and kept every pair of a
unit that could only strand its pupils, one per school teaching its grades (54 of 78
thousand pairs of that benchmark). ``redundant`` and ``knapsack_bound`` did not exist.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planning import zoning
from planning.zoning import build_model, candidates, knapsack_bound, pair_terms, redundant, zone
from tests.test_zoning_exact import best_by_enumeration, chosen, model_cost, random_layout


def priced(layout):
    units = candidates(layout)
    built = build_model(layout, units, pair_terms(layout, units))
    idle = redundant(built)
    return built, idle, zoning._price(built, zoning._Clock(None), idle)


def far_layout(rng: np.random.Generator):
    """:func:`random_layout` with the schools spread over 300 minutes: most pairs are beyond
    the walk, at schools without beds many of them idle (no seat, no bed)."""
    layout = random_layout(rng, n_villages=4, n_schools=5)
    minutes = layout.minutes * 6.0
    return type(layout)(**{**layout.__dict__, "minutes": minutes})


def test_of_the_pairs_that_only_strand_pupils_one_per_unit_is_kept_the_nearest():
    """A pair none of whose pupils can walk there or board there takes nothing and costs M
    per pupil wherever it is: all but the nearest of a unit's such pairs are left out, and
    the zoning is still the best of every whole-village zoning (enumerated)."""
    rng = np.random.default_rng(21)
    left_out = 0
    for _ in range(25):
        layout = far_layout(rng)
        units = candidates(layout)
        terms = pair_terms(layout, units)
        idle = redundant(build_model(layout, units, terms))
        useless = (terms.day_pupils == 0) & (terms.boardable == 0)
        assert not (idle & ~useless).any()
        for u in np.unique(units.pair_unit[useless]):
            mine = np.flatnonzero(useless & (units.pair_unit == u))
            kept = mine[~idle[mine]]
            assert len(kept) == 1 and terms.walk[kept[0]] == np.nanmin(terms.walk[mine])
        left_out += int(idle.sum())
        result = zone(layout)
        assert result.status == "Optimal"
        assert model_cost(layout, chosen(layout, result.share)) == pytest.approx(best_by_enumeration(layout),
                                                                                 rel=1e-4, abs=1e-6)
    assert left_out >= 20


def test_the_knapsack_bound_and_each_pair_s_rise_hold_for_every_zoning():
    """On 30 tiny layouts (4 villages, 5 schools; some far apart): the bound lies between the
    LP and the best zoning; for every pair, the bound plus its rise is below every zoning
    that uses that pair (enumerated: all 6⁴ whole-village zonings), so a pair left out
    because its rise reaches the incumbent cannot be in a better zoning; on some layouts
    the bound is above the LP (whole villages in the seats of schools without beds)."""
    rng = np.random.default_rng(4)
    above = 0
    for k in range(30):
        layout = random_layout(rng) if k % 2 else far_layout(rng)
        built, idle, result = priced(layout)
        assert result.exact
        bound, rise = knapsack_bound(built, layout, result.lp, idle)
        options = range(-1, len(layout.capacity))
        costs = {choice: model_cost(layout, choice) for choice in itertools.product(options, repeat=len(layout.pupils))}
        best = min(costs.values())
        assert result.lp.objective - 1e-6 <= bound + 1e-6 and bound <= best + 1e-6
        units = built.units
        for p in np.flatnonzero(~idle):
            v, t = units.village[units.pair_unit[p]], units.pair_target[p]
            using = min(c for choice, c in costs.items() if choice[v] == t)
            assert bound + rise[p] <= using + 1e-6, (k, p)
        above += int(bound > result.lp.objective + 1e-6)
    assert above >= 3


def test_the_ascent_s_bound_and_rises_hold_for_every_zoning_and_climb_above_the_lp_duals():
    """Subgradient steps on π from the LP's duals (``ascent``, aimed at the best zoning):
    on 30 tiny layouts the bound stays below the best zoning and each pair's rise below
    every zoning that uses it (enumerated, as for the knapsack bound), and it is never
    below the knapsack bound at the LP's duals; on some layouts it is above it. Before,
    the bound stayed at the LP's duals (``ascent`` did not exist)."""
    rng = np.random.default_rng(8)
    above = 0
    for k in range(30):
        layout = random_layout(rng) if k % 2 else far_layout(rng)
        built, idle, result = priced(layout)
        options = range(-1, len(layout.capacity))
        costs = {choice: model_cost(layout, choice) for choice in itertools.product(options, repeat=len(layout.pupils))}
        best = min(costs.values())
        start, _ = knapsack_bound(built, layout, result.lp, idle)
        bound, rise = zoning.ascent(built, layout, result.lp, idle, target=best, seconds=0.5)
        assert start - 1e-6 <= bound <= best + 1e-6
        units = built.units
        for p in np.flatnonzero(~idle):
            v, t = units.village[units.pair_unit[p]], units.pair_target[p]
            using = min(c for choice, c in costs.items() if choice[v] == t)
            assert bound + rise[p] <= using + 1e-6, (k, p)
        above += int(bound > start + 1e-6)
    assert above >= 3


def search_cost(layout, units, search) -> float:
    """``model_cost`` of the search's zoning, with the units fixed before solving."""
    school = {int(v): int(t) for v, _, t, _ in units.fixed}
    school.update({int(units.village[search.unit[p]]): int(search.target[p]) for p in search.chosen})
    return model_cost(layout, tuple(school.get(v, -1) for v in range(len(layout.pupils))))


def test_the_start_s_moves_change_the_cost_by_what_they_say():
    """The start's local search works out a move's change at the schools it touches only
    (seats, and boarders refilled nearest first): on 20 tiny layouts, every shift of a
    unit to another of its schools that keeps the seats changes the zoning's cost (the
    full model's objective of the zoning with the units fixed before solving, worked out
    directly by ``model_cost``) by what ``change`` says, and one that breaks the seats is
    refused. Before, the start was a MILP (``_Search`` did not exist)."""
    rng = np.random.default_rng(12)
    tried = refused = 0
    for k in range(20):
        layout = random_layout(rng) if k % 2 else far_layout(rng)
        built, idle, result = priced(layout)
        search = zoning._Search(built, layout, ~idle)
        zoning._placed(search, result.lp.x)
        units = built.units
        fixed = units.fixed.astype(int)  # M per pupil, outside the model
        outside = zoning.unserved_cost(layout) * layout.pupils[fixed[:, 0], fixed[:, 1]].sum()
        assert search.result(built).objective + outside == pytest.approx(search_cost(layout, units, search), abs=1e-6)
        for u in range(len(search.chosen)):
            for q in search.options[u]:
                p, before = search.chosen[u], search_cost(layout, units, search)
                if q == p:
                    continue
                delta = search.change([p], [q])
                if delta is None:
                    search.apply([p], [q])
                    assert search_cost(layout, units, search) == np.inf
                    refused += 1
                else:
                    search.apply([p], [q])
                    assert search_cost(layout, units, search) - before == pytest.approx(delta, abs=1e-6)
                    tried += 1
                search.apply([q], [p])
    assert tried >= 100 and refused >= 5
