"""Zoning is exact over every school teaching the grades, and says so only when it is.

Before: ``zone`` solved the model over a shortlist (the schools a unit reaches daily, its
three nearest and its two nearest with beds) and reported HiGHS's "Optimal" for that
shortlist. A large boarding school farther away was never considered: pupils stayed
unserved while it had beds, under a status that claimed a proof.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import planning
from planning.assign import Layout
from planning.evaluate import build_layout
from planning.zoning import build_model, candidates, no_zoning, pair_terms, unserved_cost, zone
from tests.helpers import grades, project_on_line


def boarding_county(big_beds: int = 100) -> planning.Project:
    """Two villages at the road's start with grades 4–6 only (V1: 3 × 30 = 90 pupils, V2:
    3 × 20 = 60); every school lies beyond the 40-minute walk (2,667 m): three small
    schools at 3.0–3.2 km (S1 and S2 with 10 beds each, S3 none) and a central school B at
    4.5 km with ``big_beds`` beds. The shortlist of each village is S1, S2, S3 (its three
    nearest) and S1, S2 (its two nearest with beds): B is not on it."""
    villages = {"V1": {"x": 0, **grades(30, range(4, 7))}, "V2": {"x": 100, **grades(20, range(4, 7))}}
    schools = {"S1": {"x": 3000, "type": "村完小", "capacity": 100, "beds": 10},
               "S2": {"x": 3100, "type": "村完小", "capacity": 100, "beds": 10},
               "S3": {"x": 3200, "type": "村完小", "capacity": 100, "beds": 0},
               "B": {"x": 4500, "type": "中心小学", "capacity": 600, "beds": big_beds}}
    return project_on_line(villages, schools)


def test_a_large_boarding_school_farther_away_takes_the_pupils_a_shortlist_left_unserved():
    """By hand, whole villages: V1 (90) boards at B (100 beds); V2 (60) then finds 10 beds
    at B or at S1 and 50 of its pupils are unserved either way (S1 is nearer: it goes
    there). Unserved 50, boarders 100. Any other zoning leaves more unserved (V2 at B and
    V1 at S1: 80; both at small schools, as the shortlist had it: 130, called "Optimal")."""
    result = planning.Scenario(boarding_county(), "x").evaluate("zoned")
    assert result.summary["unserved"] == 50
    assert result.summary["boarders"] == 100
    assert result.solver is not None and result.solver.status == "Optimal" and result.solver.gap < 1e-4
    primary = result.villages.xs("primary", level="level")
    assert primary["school"].to_dict() == {"V1": "B", "V2": "S1"}
    assert primary["board"].to_dict() == {"V1": 90, "V2": 10}


def test_split_zoning_is_the_lp_of_the_full_model():
    """Split (an LP): villages may divide. By hand: B's 100 beds and S1's and S2's 10 take
    120 of the 150 pupils; 30 are unserved. The shortlist's LP left 130 unserved."""
    result = planning.Scenario(boarding_county(), "x").evaluate("split")
    assert result.summary["unserved"] == pytest.approx(30)
    assert result.solver is not None and result.solver.status == "Optimal"


# --- the full model by enumeration, on tiny random layouts -----------------------------------

def random_layout(rng: np.random.Generator, n_villages: int = 4, n_schools: int = 5) -> Layout:
    """Villages and schools on a line (minutes apart), grades 1–6, every school teaching
    them, boarding from grade 4; seats of 20–120 and, at about half the schools, beds."""
    xv, xt = rng.uniform(0, 60, n_villages), rng.uniform(0, 100, n_schools)
    pupils = np.zeros((n_villages, 9))
    pupils[:, :6] = rng.integers(0, 12, (n_villages, 6))
    beds = np.where(rng.random(n_schools) < 0.5, rng.integers(1, 60, n_schools), 0).astype(float)
    return Layout(minutes=np.abs(xv[:, None] - xt[None, :]), pupils=pupils,
                  serves=np.repeat((np.arange(9) < 6)[None, :], n_schools, axis=0),
                  capacity=rng.integers(20, 120, n_schools).astype(float), beds=beds, limit=np.full(9, 40.0),
                  ride=np.full((n_villages, n_schools), np.nan), may_board=np.arange(1, 10) >= 4,
                  forced=np.full((n_villages, 9), -1), boarding_cost=60.0)


def model_cost(layout: Layout, choice: tuple[int, ...]) -> float:
    """The zoning model's objective for whole villages sent to ``choice`` (−1: no school),
    worked out directly: walkers' minutes, M per pupil who neither walks nor boards, and
    at each school the boarders who fit (in beds and in the seats the walkers leave), the
    nearest first, each counting B + walk instead of M. Infinite when walkers overflow."""
    m, b = unserved_cost(layout), layout.boarding_cost
    total, load = 0.0, np.zeros(len(layout.capacity))
    boarders: dict[int, list[tuple[float, float]]] = {t: [] for t in range(len(layout.capacity))}
    for v, t in enumerate(choice):
        n = layout.pupils[v].sum()
        if n == 0:
            continue
        if t < 0:
            total += 10 * m * max(n, 1)
            continue
        walks = layout.minutes[v, t] <= layout.limit
        day = layout.pupils[v][walks].sum()
        total += day * layout.minutes[v, t] + m * (n - day)
        load[t] += day
        if layout.beds[t] > 0:
            boarders[t].append((layout.minutes[v, t], layout.pupils[v][~walks & layout.may_board].sum()))
    if (load > layout.capacity + 1e-9).any():
        return np.inf
    for t, wanting in boarders.items():
        room = min(layout.beds[t], layout.capacity[t] - load[t])
        for walk, count in sorted(wanting):
            taken = min(count, room)
            total += taken * (b + walk - m)
            room -= taken
    return total


def best_by_enumeration(layout: Layout) -> float:
    options = range(-1, len(layout.capacity))
    return min(model_cost(layout, choice) for choice in itertools.product(options, repeat=len(layout.pupils)))


def chosen(layout: Layout, share: np.ndarray) -> tuple[int, ...]:
    school = {int(v): int(t) for v, _, t, _ in share}
    return tuple(school.get(v, -1) for v in range(len(layout.pupils)))


def test_optimal_means_optimal_over_every_school():
    """On 40 random tiny counties (4 villages, 5 schools) the zoning is "Optimal" and its
    objective equals the best of all 6⁴ whole-village zonings. Before, 7 of them were called
    "Optimal" with a better zoning outside the shortlist."""
    rng = np.random.default_rng(3)
    for _ in range(40):
        layout = random_layout(rng)
        zoning = zone(layout)
        best = best_by_enumeration(layout)
        got = model_cost(layout, chosen(layout, zoning.share))
        assert zoning.status == "Optimal"
        assert got == pytest.approx(best, rel=1e-4, abs=1e-6)
