"""Zoning (划片招生), solved exactly with HiGHS: whole villages to schools under seats and beds.

The model works on a :class:`~planning.assign.Layout` (arrays from the travel-time matrix
and a scenario's schools), never on a graph.

Formulation
-----------
Sets
    U
        Units: one village's pupils of one grade band. A band is a run of grades that every
        open school teaches all or none of (1–6 and 7–9; 1–3, 4–6 and 7–9 when teaching
        points teach 1–3), so a unit can go whole to one school.
    T
        Schools: open schools and opened sites.
    P ⊆ U × T
        Candidate pairs (:func:`candidates`): every school teaching the unit's grades that
        it can reach at all (a walk, or a bus), so that a full school pushes pupils on to
        another school, to boarding (however far the school with beds), or to being
        unserved. A merge pins a unit to the school it merges into.
Data of a pair p = (u, t)
    c_p
        Daily travel: over the unit's grades that can travel daily to t, pupils × minutes
        (the walk, or the bus ride).
    d_p
        Day pupils: pupils of those grades (each takes a seat).
    s_p
        Stranded pupils: the unit's other pupils (they board, or are unserved).
    b_p
        Boardable: stranded pupils of grades that may board, when t has beds.
    w_p
        Walking minutes from the village to t (a boarder's weekly trip home).
Variables
    x_p ∈ {0, 1}
        Unit u is zoned to school t (x_p ∈ [0, 1] with ``split``: a village may divide).
    z_p ≥ 0
        Boarders of pair p (pairs with b_p > 0 only).
    e_u ∈ [0, 1]
        Unit u has no school at all (every candidate is full).
Objective (pupil-minutes)
    minimise  Σ_p (c_p + M·s_p)·x_p  +  Σ_p (B + w_p − M)·z_p  +  Σ_u 10·M·max(n_u, 1)·e_u

    B
        The policy's ``boarding_cost_minutes``: one boarder counts as B minutes of daily
        travel, so day schooling is chosen wherever it is possible.
    M
        The cost of one unserved pupil, 2·(longest walk + B) + 1 (:func:`unserved_cost`):
        more than any walk and any boarding place, so a pupil is left unserved only when no
        seat, bus or bed can take them. Each boarder turns M into B + w_p.
    10·M·max(n_u, 1)
        (n_u the unit's pupils) No school at all costs more than being unserved at a
        school: e_u is used only when no candidate has a seat left. It keeps the model
        feasible; such units are reported with no school.
Constraints
    Σ_{p ∈ P(u)} x_p + e_u = 1                     each unit once
    z_p − b_p·x_p ≤ 0                              boarders only where the unit is zoned
    Σ_{p ∈ P(t)} (d_p·x_p + z_p) ≤ capacity_t      seats, for schools with a known capacity
    Σ_{p ∈ P(t)} z_p ≤ beds_t                      beds, for schools with beds

Units with neither a daily option nor a boarding option among their candidates have no
decision to make (their pupils are unserved wherever they go and take no seat): they are
fixed to their nearest candidate before solving.

Solving
-------
P is large (every village × every school teaching its grades), but few pairs matter. The
solve starts from a shortlist (the schools a unit reaches daily, its ``fallback`` nearest
and its ``bed_fallback`` nearest with beds) and proves it may leave the rest out:

1. Pricing (column generation) on the LP relaxation. Solve the LP over the pairs so far;
   with its duals π_u (each unit once), σ_t (seats), β_t (beds), a pair outside it has
   reduced cost d_p = c_p + M·s_p − π_u − d_p·σ_t + b_p·min(0, B + w_p − M − σ_t − β_t)
   (:func:`reduced_costs`; its boarders at their best). Add every pair with d_p < 0 and
   repeat. When none is left, the LP is the LP of the full model: its value L is a lower
   bound on every zoning.
2. Whole villages (x integer). A start of cost U (:func:`_start`): the LP rounded (units
   it zones whole keep their school, the others go one by one where they cost least),
   improved by moves of whole units between schools that keep the seats (shifts; where
   the seats are full, a unit there moves on to make room: ejections), then the MILP
   over the core of the model (each unit's pairs of least rise, below) for part of the
   time, started from it. The bound K of the knapsack relaxation (:func:`knapsack_bound`:
   "each unit once" priced, the schools without beds as 0-1 knapsacks) at the LP's
   duals, raised by subgradient steps (:func:`ascent`), gives each pair a rise: any
   zoning using pair p costs at least K + rise_p (and at least L + d_p).
   Pairs whose bound reaches U cannot beat the start and are left out; every other pair
   joins, and the MILP is solved over them from the start. Its optimum is the full
   model's optimum, and its bound (or K) is a bound of the full model. When the MILP
   finds no better zoning in its time, the start is the answer, with its gap.

So the status is about the full model: "Optimal" is proven optimal over every school
teaching the grades (whole villages: within HiGHS's relative gap of 0.01 %), "Time limit
reached" is the best zoning found with its gap to a bound of the full model. When the time
runs out during pricing, the bound is the last LP's value plus each unit's most negative
d_p (each unit takes one pair), the start is rounded from that LP, and the status is never
"Optimal".

Where the gap comes from on the benchmark (``benchmarks/zoning.py``)
--------------------------------------------------------------------
1,000 villages × 100 schools with tight seats and beds (2,883 units): the LP is 2,560,071
pupil-minutes and splits only 69 units, yet every whole-village zoning found costs at
least 2,577,199 (600 s of HiGHS over the pairs kept; its bound 2,570,575, gap 0.26 %).
The loss is packing: whole units do not fill the schools without beds, so more pupils
have no seat (each costs M = 481 here): 434 in the LP, 565 in the moves' local optimum
(about 2.64 M, 3 %), which is the start at 2 s; the moves converge there in under a second. Measured on it
(2026-11-24) and left out, because none was better at every time limit:

- diving on the LP (fixing the largest fractional pair, undoing a fix whose LP has no
  solution): 1,500–1,900 LPs, 20–25 s, 2.61–2.62 M after the moves;
- the relaxation's knapsacks as the rounding's seed: 2.632 M after the moves (2.641 M);
- neighbourhood MILPs (the units of a school and of the schools they could go to, the
  others fixed, 0.2–0.5 s each): 2.618 M at 3 s, 2.590 M at 20 s (the core MILP: 2.583 M);
- a smaller core first (1.2 pairs per unit, then 2.3): 1.9 % at 2 s but 2.8 % at 5 s and
  1.0–1.2 % at 20 s with the smaller core alone — HiGHS finds a zoning within 1 s on some
  runs and not on others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .assign import Layout, grade_bands
from .capacitated import buckets_of, knapsacks
from .errors import InfeasibleError
from .i18n import Message, has_text
from .milp import MilpResult, Model, Rows

logger = logging.getLogger(__name__)

#: Reduced costs above −TOLERANCE (pupil-minutes) count as non-negative when pricing pairs.
TOLERANCE = 1e-6
#: Pairs per unit in the core the start's MILP solves (those of least rise, :func:`_start`).
CORE = 2.3
#: Share of the time left, and most seconds, the start's MILP over the core may take.
CORE_SHARE, CORE_SECONDS = 0.4, 20.0
#: Least seconds the start's moves take (even past the time limit, as each HiGHS solve
#: takes at least 0.1 s): their first gains are the largest.
MOVES = 0.2
#: Seconds left below which the start's MILP and the bound's ascent are skipped: HiGHS
#: finds nothing in less on large models; the moves and the last MILP take the time.
ROOMY = 2.0


@dataclass
class Zoning:
    """The zoning model's answer and the solver report.

    Attributes
    ----------
    share
        Rows (village, grade index 0–8, target, fraction of the pupils).
    status
        About the full model (every school teaching the unit's grades): "Optimal" when
        proven optimal for it (whole villages: within HiGHS's relative gap of 0.01 %),
        "Time limit reached" when the time ran out first (the best zoning found; ``gap``
        says how far from optimal it may be).
    objective
        Daily travel of the zoning (pupil-minutes).
    gap
        Relative gap of ``cost`` to the best bound proven for the full model (0 when
        optimal): (cost − bound) / cost.
    seconds
        Wall-clock solving time.
    variables
        Number of variables of the last model solved (the pairs pricing kept, their
        boarders, one per unit).
    cost
        The model's objective (pupil-minutes, with unserved pupils and boarders at their
        cost in the formulation).
    """

    share: np.ndarray
    status: str
    objective: float
    gap: float
    seconds: float
    variables: int
    cost: float


@dataclass
class Units:
    """Units and their candidate pairs.

    Attributes
    ----------
    village, band
        Village row and band of each unit.
    pair_unit, pair_target
        Unit and school (matrix column) of each candidate pair.
    band_grades
        (bands, 9) mask of each band's grades.
    fixed
        Rows (village, grade index, target, 1.0) of units fixed before solving.
    start
        Per pair: in the shortlist the solve starts from.
    """

    village: np.ndarray
    band: np.ndarray
    pair_unit: np.ndarray
    pair_target: np.ndarray
    band_grades: np.ndarray
    fixed: np.ndarray
    start: np.ndarray


@dataclass
class Terms:
    """Per candidate pair: c_p (``day_cost``, pupil-minutes), d_p (``day_pupils``), s_p
    (``stranded``), b_p (``boardable``) and w_p (``walk``, minutes); per unit n_u
    (``unit_pupils``)."""

    day_cost: np.ndarray
    day_pupils: np.ndarray
    stranded: np.ndarray
    boardable: np.ndarray
    walk: np.ndarray
    unit_pupils: np.ndarray


@dataclass
class Built:
    """The full model (:func:`build_model`) and where its blocks are.

    Attributes
    ----------
    model
        Variables [x (pairs) | z (boardable pairs) | e (units)].
    units, terms
        Its units and pair terms.
    boardable
        The pairs with a z variable, in z's order.
    unit_rows
        Row of each unit's "each unit once" constraint.
    seat_row, bed_row
        Per target: its seats row and beds row (−1 when it has none).
    """

    model: Model
    units: Units
    terms: Terms
    boardable: np.ndarray
    unit_rows: np.ndarray
    seat_row: np.ndarray
    bed_row: np.ndarray


@dataclass
class Priced:
    """The LP relaxation after pricing (:func:`_price`).

    Attributes
    ----------
    lp
        The last LP solved (x over every variable).
    active
        Per pair: in that LP.
    reduced
        d_p of every pair under its duals (:func:`reduced_costs`).
    exact
        Pricing finished: no pair left out has a negative d_p, so the LP is the full model's.
    bound
        A lower bound on the full model (pupil-minutes): the LP value when exact, else the
        LP value plus each unit's most negative d_p.
    """

    lp: MilpResult
    active: np.ndarray
    reduced: np.ndarray
    exact: bool
    bound: float


class _Clock:
    """Time left of an optional limit (seconds)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds, self.started = seconds, time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float | None:
        return None if self.seconds is None else max(0.1, self.seconds - self.elapsed())

    def expired(self) -> bool:
        return self.seconds is not None and self.elapsed() >= self.seconds


def zone(layout: Layout, *, split: bool = False, fallback: int = 3, bed_fallback: int = 2,
         seconds: float | None = 60.0) -> Zoning:
    """Zone every unit to a school: the module's model over every school teaching the unit's
    grades, solved exactly by pricing (see the module's "Solving").

    Parameters
    ----------
    split
        Let units divide among schools (an LP instead of a MILP).
    fallback, bed_fallback
        The shortlist the solve starts from: each unit's schools within daily reach, its
        ``fallback`` nearest schools and its ``bed_fallback`` nearest schools with beds.
        Pricing adds every other school that could improve the answer, so they change the
        time taken, not the answer.
    seconds
        Solver time limit (seconds) for the whole solve; None for no limit.

    Returns
    -------
    :class:`Zoning`. Its status is about the full model (every school teaching the grades):
    "Optimal" means proven optimal for it (whole villages: within HiGHS's relative gap of
    0.01 %); "Time limit reached" means the best zoning found (whole villages: when HiGHS
    found none better in time, the start built from the LP), ``gap`` above a bound proven
    for the full model.

    Raises
    ------
    InfeasibleError
        The solver stopped without any zoning (no LP solved in time, or a solver failure):
        the message says what the planner can do.
    """
    units = candidates(layout, fallback=fallback, bed_fallback=bed_fallback)
    if len(units.village) == 0:
        return Zoning(units.fixed, "Optimal", 0.0, 0.0, 0.0, 0, 0.0)
    terms = pair_terms(layout, units)
    built = build_model(layout, units, terms)
    solution, variables = _solve(built, layout, split=split, seconds=seconds)
    if not solution.has_solution:
        raise InfeasibleError(no_zoning(solution.status, seconds))
    x = solution.x[: len(units.pair_unit)]
    logger.info("zoning: %s, %d units, %d of %d pairs, %d variables, gap %.2g, %.2f s", solution.status,
                len(units.village), int((x > 1e-6).sum()), len(x), variables, solution.gap, solution.seconds)
    return Zoning(np.r_[_shares(units, x, split), units.fixed], solution.status, float((terms.day_cost * x).sum()),
                  solution.gap, solution.seconds, variables, solution.objective)


def no_zoning(status: str, seconds: float | None) -> Message:
    """Why no zoning came back, and what the planner can do."""
    worded: object = Message(f"solver.{status}") if has_text(f"solver.{status}") else status
    if status == "Time limit reached" and seconds is not None:
        return Message("infeasible.no_zoning_in_time", seconds=f"{seconds:g}", status=worded)
    return Message("infeasible.zoning_solver_failed", status=worded)


def candidates(layout: Layout, *, fallback: int = 3, bed_fallback: int = 2) -> Units:
    """The units (village × grade band with pupils) and every candidate pair of the full model.

    Parameters
    ----------
    layout
        The arrays of a layout.
    fallback, bed_fallback
        The shortlist (``Units.start``): beyond the schools a unit reaches daily, its
        ``fallback`` nearest schools and ``bed_fallback`` nearest schools with beds.
    """
    bands = grade_bands(layout.serves)
    band_grades = np.zeros((len(bands), 9), dtype=bool)
    village, band, pair_unit, pair_target, start, fixed = [], [], [], [], [], []
    n_units = 0
    for b, grades in enumerate(bands):
        band_grades[b, np.array(grades) - 1] = True
        cand, short, stuck_rows = _band_candidates(layout, band_grades[b], fallback, bed_fallback)
        fixed.append(stuck_rows)
        rows = np.flatnonzero(cand.any(axis=1))
        v, t = np.nonzero(cand[rows])
        pair_unit.append(n_units + v)
        pair_target.append(t)
        start.append(short[rows][v, t])
        village.append(rows)
        band.append(np.full(len(rows), b))
        n_units += len(rows)
    return Units(np.concatenate(village).astype(int), np.concatenate(band).astype(int),
                 np.concatenate(pair_unit).astype(int), np.concatenate(pair_target).astype(int), band_grades,
                 np.concatenate(fixed).reshape(-1, 4), np.concatenate(start).astype(bool))


def _band_candidates(layout: Layout, grades: np.ndarray, fallback: int, bed_fallback: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(V, T) masks of one band: every candidate pair, the shortlist among them; and the
    rows of its units fixed before solving."""
    gi = np.flatnonzero(grades)
    has_beds = layout.beds > 0
    teaches = np.asarray(layout.serves[:, gi].all(axis=1), dtype=bool)
    ok = teaches[None, :] & (np.isfinite(layout.minutes) | np.isfinite(layout.ride))      # (V, T)
    day = layout.day[:, :, gi] & ok[:, :, None]
    by_time = np.where(ok & np.isfinite(layout.minutes), layout.minutes, np.inf)
    short = day.all(axis=2) | _nearest_mask(by_time, fallback)
    short |= _nearest_mask(np.where(has_beds, by_time, np.inf), bed_fallback)
    cand = ok.copy()
    forced = layout.forced[:, gi[0]]
    pin = (forced >= 0) & ok[np.arange(len(ok)), np.maximum(forced, 0)]
    cand[pin] = False
    cand[np.flatnonzero(pin), forced[pin]] = True
    cand &= (layout.pupils[:, gi].sum(axis=1) > 0)[:, None]
    short = (short & cand) | (cand & pin[:, None])
    may_board = bool(layout.may_board[gi].any())
    stuck = cand.any(axis=1) & ~pin & ~(cand & day.any(axis=2)).any(axis=1)
    stuck &= ~(may_board & (cand & has_beds).any(axis=1))
    nearest = np.argmin(np.where(cand[stuck], by_time[stuck], np.inf), axis=1) if stuck.any() else []
    rows = [(v, g, t, 1.0) for v, t in zip(np.flatnonzero(stuck), nearest, strict=True) for g in gi]
    cand[stuck] = short[stuck] = False
    return cand, short, np.array(rows, dtype=float).reshape(-1, 4)


def _nearest_mask(minutes: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of each row's ``k`` smallest finite entries."""
    mask = np.zeros(minutes.shape, dtype=bool)
    if k <= 0 or minutes.shape[1] == 0:
        return mask
    k = min(k, minutes.shape[1])
    part = np.argpartition(minutes, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(len(minutes)), k)
    cols = part.ravel()
    mask[rows, cols] = np.isfinite(minutes[rows, cols])
    return mask


def pair_terms(layout: Layout, units: Units) -> Terms:
    """c_p, d_p, s_p, b_p, w_p of every candidate pair and n_u of every unit.

    Parameters
    ----------
    layout, units
        The layout and its units (:func:`candidates`).
    """
    pv, pt = units.village[units.pair_unit], units.pair_target
    pupils = layout.pupils[pv] * units.band_grades[units.band[units.pair_unit]]          # (P, 9)
    walk = layout.minutes[pv, pt]
    walk_ok = walk[:, None] <= layout.limit[None, :]
    daily = walk_ok | layout.bus(pv, pt)  # a bus trip's walk to the pick-up is held to the limit too
    minutes = np.where(walk_ok, walk[:, None], layout.trip(pv, pt)[:, None])
    day_pupils = np.where(daily, pupils, 0.0).sum(axis=1)
    boards = ~daily & layout.may_board[None, :] & (layout.beds[pt] > 0)[:, None]
    unit_pupils = np.zeros(len(units.village))
    unit_pupils[units.pair_unit] = pupils.sum(axis=1)
    return Terms(day_cost=np.where(daily, pupils * np.nan_to_num(minutes), 0.0).sum(axis=1), day_pupils=day_pupils,
                 stranded=pupils.sum(axis=1) - day_pupils, boardable=np.where(boards, pupils, 0.0).sum(axis=1),
                 walk=walk, unit_pupils=unit_pupils)


def unserved_cost(layout: Layout) -> float:
    """M: minutes one unserved pupil costs, more than any walk plus a boarding place."""
    trips = np.r_[layout.minutes.ravel(), (layout.bus_walk[:, None] + layout.ride).ravel()]
    longest = float(np.max(np.where(np.isfinite(trips), trips, 0.0), initial=0.0))
    return 2.0 * (longest + layout.boarding_cost) + 1.0


def build_model(layout: Layout, units: Units, terms: Terms) -> Built:
    """The MILP of the module's formulation over every candidate pair: variables
    [x (pairs) | z (boardable pairs) | e (units)], x integer.

    Parameters
    ----------
    layout, units, terms
        The layout, its units and their pair terms (:func:`pair_terms`).
    """
    n_p, n_u = len(units.pair_unit), len(units.village)
    zb = np.flatnonzero(terms.boardable > 0)
    n_z = len(zb)
    m, b = unserved_cost(layout), layout.boarding_cost
    cost = np.r_[terms.day_cost + m * terms.stranded, b + np.nan_to_num(terms.walk[zb], nan=m) - m,
                 10.0 * m * np.maximum(terms.unit_pupils, 1.0)]
    x, z, e = np.arange(n_p), n_p + np.arange(n_z), n_p + n_z + np.arange(n_u)
    rows = Rows(n_p + n_z + n_u)
    unit_rows = rows.add([(units.pair_unit, x, 1.0), (np.arange(n_u), e, 1.0)], 1.0, 1.0, count=n_u)
    rows.add([(np.arange(n_z), z, 1.0), (np.arange(n_z), zb, -terms.boardable[zb])], -np.inf, 0.0, count=n_z)
    target = units.pair_target
    limited = np.flatnonzero(np.isfinite(layout.capacity))
    seat_row = np.full(len(layout.capacity), -1)
    seat_row[limited] = np.arange(len(limited))
    day, board = seat_row[target] >= 0, seat_row[target[zb]] >= 0
    seat_rows = rows.add([(seat_row[target[day]], x[day], terms.day_pupils[day]),
                          (seat_row[target[zb][board]], z[board], 1.0)], -np.inf, layout.capacity[limited],
                         count=len(limited))
    bedded = np.flatnonzero(layout.beds > 0)
    bed_row = np.full(len(layout.beds), -1)
    bed_row[bedded] = np.arange(len(bedded))
    bed_rows = rows.add([(bed_row[target[zb]], z, 1.0)], -np.inf, layout.beds[bedded], count=len(bedded))
    upper = np.r_[np.ones(n_p), terms.boardable[zb], np.ones(n_u)]
    integer = np.r_[np.ones(n_p, dtype=bool), np.zeros(n_z + n_u, dtype=bool)]
    seat_row[limited], bed_row[bedded] = seat_rows, bed_rows
    return Built(Model.from_rows(cost, rows, col_upper=upper, integer=integer), units, terms, zb, unit_rows,
                 seat_row, bed_row)


def reduced_costs(built: Built, row_dual: np.ndarray) -> np.ndarray:
    """d_p of every pair's x_p under the row duals of an LP over some of the pairs (the
    module's "Solving"): its cost less what its unit, seats and beds are worth, with its
    boarders at their best (a pair outside the LP gets the z-row dual min(0, reduced cost
    of z_p), which keeps z_p's reduced cost ≥ 0).

    Parameters
    ----------
    built
        The full model (:func:`build_model`).
    row_dual
        The LP's row duals (HiGHS's convention: reduced cost = cost − matrix.T @ row_dual).
    """
    units, terms, zb = built.units, built.terms, built.boardable
    n_p = len(units.pair_unit)
    dual = np.r_[row_dual, 0.0]                                   # index −1: no such row, worth 0
    seat, bed = dual[built.seat_row[units.pair_target]], dual[built.bed_row[units.pair_target]]
    d = built.model.cost[:n_p] - dual[built.unit_rows][units.pair_unit] - terms.day_pupils * seat
    board = built.model.cost[n_p: n_p + len(zb)] - seat[zb] - bed[zb]
    d[zb] += terms.boardable[zb] * np.minimum(0.0, board)
    return d


def _solve(built: Built, layout: Layout, *, split: bool, seconds: float | None) -> tuple[MilpResult, int]:
    """Price the LP relaxation over every pair; for whole villages, then the knapsack bound,
    a start (:func:`_start`), the bound raised by :func:`ascent` (a tenth of the time left,
    2 s at most, with :data:`ROOMY` seconds left), the pairs the reduced-cost arguments
    keep, and the MILP over them started from the start. Returns the solution (over every
    pair; status, bound and gap about the full model; the start when the MILP found
    nothing better in its time) and the variables of the last model solved."""
    clock = _Clock(seconds)
    idle = redundant(built)
    priced = _price(built, clock, idle)
    lp = priced.lp
    if split or not lp.has_solution:
        return _honest(lp, priced, clock), int(len(_columns(built, priced.active)))
    lower, rise, relaxed = priced.bound, None, None
    if priced.exact:  # knapsack_bound, kept whole for the ascent to start from
        relaxed = lagrangian(built, layout, lp_prices(built, lp), idle)
        lower, rise = max(relaxed.bound, lp.objective), relaxed.rise
    start = _start(built, layout, priced, clock, rise=rise, idle=idle)
    active = priced.active
    if rise is not None and start.has_solution:  # pairs whose bound with them reaches the start cannot beat it
        if _roomy(clock):
            lower, rise = ascent(built, layout, lp, idle, target=start.objective, seconds=_share(clock, 0.1, most=2.0),
                                 first=relaxed)
            lower = max(lower, lp.objective)
        slack = TOLERANCE + 1e-9 * abs(start.objective)
        beats = (priced.reduced < start.objective - lp.objective + slack) & (rise < start.objective - lower + slack)
        active = (active | beats) & ~idle
    if start.has_solution:
        active = active | (start.x[: len(active)] > 0.5)
    logger.info("zoning: LP %.7g, knapsack bound %.7g, start %.7g; %d of %d pairs kept (%d idle left out), %.2f s",
                lp.objective, lower, start.objective if start.has_solution else np.nan, int(active.sum()),
                len(active), int(idle.sum()), clock.elapsed())
    solution = _solve_over(built, active, seconds=clock.left(), initial=start.x if start.has_solution else None)
    bound = max(solution.bound if np.isfinite(solution.bound) else -np.inf, lower) if priced.exact else priced.bound
    stopped = solution.has_solution or solution.status == "Time limit reached"
    if start.has_solution and stopped and not (solution.has_solution and solution.objective <= start.objective):
        solution.x, solution.objective = start.x, start.objective  # the status says why the MILP did no better
    solution.bound = bound
    return _honest(solution, priced, clock), int(len(_columns(built, active)))


def redundant(built: Built) -> np.ndarray:
    """Pairs no zoning needs: a unit sent where none of its pupils can travel daily or board
    (d_p = 0, b_p = 0) takes no seat and no bed and costs M per pupil, wherever it goes;
    of those pairs of one unit only the nearest school (on foot) is kept (the others are
    the same column of the model: same cost, same unit row, nothing else)."""
    terms, unit = built.terms, built.units.pair_unit
    idle = (terms.day_pupils == 0) & (terms.boardable == 0)
    order = np.lexsort((np.nan_to_num(terms.walk, nan=np.inf), unit))
    ordered = order[idle[order]]
    nearest = ordered[np.unique(unit[ordered], return_index=True)[1]]
    idle[nearest] = False
    return idle


def knapsack_bound(built: Built, layout: Layout, lp: MilpResult, idle: np.ndarray) -> tuple[float, np.ndarray]:
    """A Lagrangian bound at the full LP's duals (pricing finished) with whole villages at
    the schools without beds, and per pair how much zoning its unit there raises it. The
    ``idle`` pairs (:func:`redundant`) are left out: an optimal zoning needs none of them,
    and the LP's duals do not price them (each is a copy of a pair the LP has).

    "Each unit once" is relaxed with the LP's π_u; the seats and beds of schools with beds
    (or without a seat limit) with their σ_t, β_t ≥ 0; each school with seats and no beds
    keeps its seats and takes its units whole (a 0-1 knapsack,
    :func:`planning.capacitated.knapsacks`). Then

        L = Σ_u π_u + Σ_u min(0, 10·M·n_u − π_u) + Σ_{t without beds} K_t
            + Σ_{pairs elsewhere} min(0, d̄_p) − Σ_{t elsewhere} (σ_t·seats_t + β_t·beds_t)

    (d̄_p the pair's reduced cost at those prices) is below every zoning and at least the
    LP. Zoning unit u to t raises it by at least max(0, d̄_p) elsewhere, and by
    max(0, c̄_p + K_t(seats_t − d_p) − K_t) at a school without beds (c̄_p = c_p − π_u,
    K_t(c) the knapsack with c seats). The same holds at any π (:func:`ascent`).

    Returns
    -------
    (L in pupil-minutes, the rise of each pair).
    """
    relaxed = lagrangian(built, layout, lp_prices(built, lp), idle)
    return relaxed.bound, relaxed.rise


def lp_prices(built: Built, lp: MilpResult) -> Prices:
    """The relaxation's multipliers from the LP's duals: π per unit, σ and β ≥ 0 per school."""
    dual = np.r_[lp.row_dual if lp.row_dual is not None else np.zeros(0), 0.0]   # index −1: no row, worth 0
    return Prices(dual[built.unit_rows], np.maximum(0.0, -dual[built.seat_row]),
                  np.maximum(0.0, -dual[built.bed_row]))


@dataclass
class Prices:
    """Multipliers of the relaxation (:func:`knapsack_bound`): π_u per unit (each unit
    once), σ_t ≥ 0 and β_t ≥ 0 per school (seats and beds of schools with beds or no seat
    limit), in pupil-minutes per unit, seat and bed."""

    unit: np.ndarray
    seat: np.ndarray
    bed: np.ndarray


@dataclass
class Relaxed:
    """The relaxation at some :class:`Prices`: its bound L (pupil-minutes), each pair's
    rise, and per unit 1 − the times the relaxation's solution zones it (its subgradient)."""

    bound: float
    rise: np.ndarray
    slack: np.ndarray


def lagrangian(built: Built, layout: Layout, prices: Prices, idle: np.ndarray) -> Relaxed:
    """The relaxation of :func:`knapsack_bound` at ``prices``: L, each pair's rise, and the
    subgradient of L in π."""
    units, terms, zb = built.units, built.terms, built.boardable
    n_p, n_z = len(units.pair_unit), len(zb)
    cost, t = built.model.cost, units.pair_target
    pi, seat, bed = prices.unit, prices.seat, prices.bed
    board = np.zeros(n_p)
    board[zb] = cost[n_p: n_p + n_z]
    reduced = np.where(idle, np.inf, cost[:n_p] - pi[units.pair_unit])
    sack = (layout.beds <= 0) & np.isfinite(layout.capacity)
    priced = reduced + seat[t] * terms.day_pupils + terms.boardable * np.minimum(0.0, board + seat[t] + bed[t])
    weight, room = buckets_of(terms.day_pupils, np.where(sack, layout.capacity, np.inf))
    sacks = knapsacks(np.where(sack[t] & ~idle, reduced, 0.0), weight, t, np.where(sack, room, -1))
    outside = float((np.nan_to_num(seat * layout.capacity) + bed * layout.beds)[~sack].sum())
    nowhere = cost[n_p + n_z:] - pi
    bound = float(pi.sum() + np.minimum(0.0, nowhere).sum() + sacks.value[sack].sum()
                  + np.minimum(0.0, priced[~sack[t]]).sum() - outside)
    left = room[t] - weight
    rest = np.where(left >= 0, sacks.table[t, np.maximum(left, 0)], np.inf)
    rise = np.where(sack[t], reduced + rest - sacks.value[t], priced)
    taken = np.where(sack[t], sacks.chosen & ~idle, priced < 0)
    slack = 1.0 - np.bincount(units.pair_unit[taken], minlength=len(pi)) - (nowhere < 0)
    return Relaxed(bound, np.maximum(0.0, rise), slack)


def ascent(built: Built, layout: Layout, lp: MilpResult, idle: np.ndarray, *, target: float, seconds: float,
           first: Relaxed | None = None) -> tuple[float, np.ndarray]:
    """The best relaxation of :func:`knapsack_bound` found by subgradient steps on π from
    the LP's duals (σ, β stay the LP's): π ← π + μ (target − L) g / ‖g‖² with g the
    subgradient, μ from 1, halved after 5 steps without a better bound; it stops when L
    reaches ``target`` (the incumbent: nothing better exists), at a zero subgradient, when
    μ is spent or after ``seconds``; ``first``: the relaxation at the LP's duals, when already
    worked out (:func:`knapsack_bound`'s). Returns (L, each pair's rise) of the best."""
    prices = lp_prices(built, lp)
    deadline, mu, stall = time.perf_counter() + seconds, 1.0, 0
    best = first if first is not None else lagrangian(built, layout, prices, idle)
    current = best
    while time.perf_counter() < deadline and mu > 1e-3 and best.bound < target:
        norm = float(current.slack @ current.slack)
        if norm == 0:
            break
        step = mu * max(target - current.bound, 1e-6 * abs(target)) / norm
        prices = Prices(prices.unit + step * current.slack, prices.seat, prices.bed)
        current = lagrangian(built, layout, prices, idle)
        if current.bound > best.bound + 1e-9:
            best, stall = current, 0
        else:
            stall += 1
            mu, stall = (mu / 2, 0) if stall >= 5 else (mu, stall)
    return best.bound, best.rise


def _start(built: Built, layout: Layout, priced: Priced, clock: _Clock, *, rise: np.ndarray | None,
           idle: np.ndarray) -> MilpResult:
    """A whole-village zoning to start from (no solution only when none is found): the LP
    rounded and improved by moves of units (:class:`_Search`, half of the time left, at
    least :data:`MOVES` and at most a second); then, with each pair's ``rise`` (:func:`knapsack_bound`) and
    :data:`ROOMY` seconds left, the MILP over the core of the model (each unit's pairs of
    the least rise, about :data:`CORE` per unit, and the pairs of the LP and of that
    zoning) for at most :data:`CORE_SHARE` of the time left, started from it. The better
    of the two."""
    search = _Search(built, layout, ~idle)
    _placed(search, priced.lp.x)
    _improved(search, time.perf_counter() + max(MOVES, _share(clock, 0.5, most=1.0)))
    start = search.result(built)
    n_units = len(built.units.village)
    if rise is None or not start.has_solution or (~idle).sum() < 2 * CORE * n_units or not _roomy(clock):
        return start
    least = np.sort(rise[~idle])[int(CORE * n_units)]
    core = ((rise <= least) & ~idle) | (start.x[: len(idle)] > 0.5) | (priced.lp.x[: len(idle)] > 1e-6)
    found = _solve_over(built, core, seconds=_share(clock, CORE_SHARE, most=CORE_SECONDS), initial=start.x)
    logger.info("zoning: start %.7g by moves, %.7g by the MILP over %d pairs (%s), %.2f s", start.objective,
                found.objective, int(core.sum()), found.status, clock.elapsed())
    return found if found.has_solution and found.objective < start.objective else start


def _roomy(clock: _Clock) -> bool:
    """At least :data:`ROOMY` seconds left (or no limit)."""
    left = clock.left()
    return left is None or left >= ROOMY


def _share(clock: _Clock, fraction: float, *, most: float) -> float:
    """Seconds for a step: ``fraction`` of the time left, at most ``most`` (``most`` when no limit)."""
    left = clock.left()
    return most if left is None else max(0.05, min(most, fraction * left))


def _honest(solution: MilpResult, priced: Priced, clock: _Clock) -> MilpResult:
    """The solution's gap to its bound and its time; "Optimal" only when proven for the full
    model (pricing finished)."""
    if not priced.exact and solution.status == "Optimal":
        solution.status = "Time limit reached"
        solution.bound = min(solution.bound, priced.bound)
    if solution.has_solution:
        solution.gap = max(0.0, (solution.objective - solution.bound) / max(abs(solution.objective), 1e-9))
    solution.seconds = clock.elapsed()
    return solution


def _price(built: Built, clock: _Clock, idle: np.ndarray) -> Priced:
    """Column generation over the pairs (not the ``idle`` ones, :func:`redundant`): solve the
    LP over the active pairs (from the shortlist and each unit's idle pair kept), add every
    pair with a negative reduced cost, repeat until none is left (the LP of the full model
    is then solved) or the time is up (then the last LP solved in time)."""
    active = (built.units.start | (built.terms.day_pupils == 0) & (built.terms.boardable == 0)) & ~idle
    last: Priced | None = None
    while True:
        lp = _solve_over(built, active, relax=True, seconds=clock.left())
        if not lp.has_solution or lp.row_dual is None:  # an LP cut short: the last one stands
            return last if last is not None else Priced(lp, active, np.zeros(len(active)), False, -np.inf)
        reduced = reduced_costs(built, lp.row_dual)
        new = ~active & ~idle & (reduced < -TOLERANCE)
        if not new.any():
            return Priced(lp, active, reduced, True, lp.objective)
        last = Priced(lp, active, reduced, False, _lagrangian_bound(lp.objective, reduced, built.units, active))
        if clock.expired():
            return last
        active = active | new


def _lagrangian_bound(objective: float, reduced: np.ndarray, units: Units, active: np.ndarray) -> float:
    """A bound on the full LP from an LP over some pairs: each unit takes at most one whole
    pair, so no solution is cheaper than the LP plus each unit's most negative d_p."""
    worst = np.zeros(len(units.village))
    np.minimum.at(worst, units.pair_unit[~active], reduced[~active])
    return float(objective + worst.sum())


def _columns(built: Built, active: np.ndarray) -> np.ndarray:
    """The model's variables over the active pairs: their x and z, and every e."""
    n_p, n_z = len(active), len(built.boardable)
    return np.r_[np.flatnonzero(active), n_p + np.flatnonzero(active[built.boardable]),
                 n_p + n_z + np.arange(len(built.units.village))]


def _solve_over(built: Built, active: np.ndarray, *, relax: bool = False, seconds: float | None,
                col_lower: np.ndarray | None = None, col_upper: np.ndarray | None = None,
                initial: np.ndarray | None = None) -> MilpResult:
    """Solve the model with only the active pairs (the others at 0); x over every variable."""
    keep = _columns(built, active)
    model = built.model
    result = model.restricted(keep).solve(
        relax=relax, seconds=seconds, col_lower=None if col_lower is None else col_lower[keep],
        col_upper=None if col_upper is None else col_upper[keep], initial=None if initial is None else initial[keep])
    x = np.zeros(len(model.cost)) if result.has_solution else np.full(len(model.cost), np.nan)
    x[keep] = result.x
    result.x = x
    return result


def _shares(units: Units, x: np.ndarray, split: bool) -> np.ndarray:
    """Rows (village, grade index, target, fraction) of the chosen pairs."""
    chosen = np.flatnonzero(x > 1e-6)
    unit = units.pair_unit[chosen]
    grades = units.band_grades[units.band[unit]]                                         # (chosen, 9)
    k, g = np.nonzero(grades)
    fraction = np.round(x[chosen][k], 9) if split else np.ones(len(k))
    return np.c_[units.village[unit][k], g, units.pair_target[chosen][k], fraction].astype(float)



# --- the start: rounding the LP, then shifts and swaps of whole units (a local search) --------

class _Search:
    """A whole-village zoning being improved by moves of units between schools.

    Each unit holds one pair, or its virtual pair ``n_pairs + u`` (no school, e_u = 1).
    Per school it keeps the day pupils (``load``), the units there and the value of its
    boarders at their best (:meth:`boarding`: the fewest minutes, B + w_p − M each, filled
    nearest first into min(beds, seats − day pupils)), so that a move's change in cost is
    worked out at the schools it touches only.
    """

    def __init__(self, built: Built, layout: Layout, pairs: np.ndarray) -> None:
        units, terms, n_p = built.units, built.terms, len(built.units.pair_unit)
        n_u, cost = len(units.village), built.model.cost
        board = np.zeros(n_p)
        board[built.boardable] = cost[n_p: n_p + len(built.boardable)]
        self.n_pairs, self.allowed = n_p, pairs
        self.cost = np.r_[cost[:n_p], cost[-n_u:]].tolist()
        self.day = np.r_[terms.day_pupils, np.zeros(n_u)].tolist()
        self.boardable = np.r_[np.where(board < 0, terms.boardable, 0.0), np.zeros(n_u)].tolist()
        self.board = np.r_[board, np.zeros(n_u)].tolist()
        self.target = np.r_[units.pair_target, np.full(n_u, -1)].tolist()
        self.unit = np.r_[units.pair_unit, np.arange(n_u)].tolist()
        self.seats = np.nan_to_num(layout.capacity, nan=np.inf).tolist()
        self.beds = np.asarray(layout.beds, dtype=float).tolist()
        hope = cost[:n_p] + np.minimum(board, 0.0) * np.where(board < 0, terms.boardable, 0.0)
        self.hope = np.r_[hope, cost[-n_u:]].tolist()    # a pair's cost were all its boarders to board
        by_unit: list[list[int]] = [[] for _ in range(n_u)]
        for p in np.flatnonzero(pairs)[np.argsort(hope[pairs], kind="stable")].tolist():
            by_unit[self.unit[p]].append(p)
        self.options = [mine + [n_p + u] for u, mine in enumerate(by_unit)]   # by hope, no school last
        self.chosen = [n_p + u for u in range(n_u)]
        self.load = [0.0] * len(self.seats)
        self.members: list[set[int]] = [set() for _ in self.seats]
        self.value = [0.0] * len(self.seats)

    def boarding(self, t: int, load: float, members: list[int]) -> float:
        """The boarders' cost at school t (≤ 0) with these pairs there and this day load."""
        return sum((taken * self.board[p] for p, taken in self._filled(t, load, members)), 0.0)

    def change(self, out: list[int], into: list[int]) -> float | None:
        """The cost change of replacing pairs ``out`` by pairs ``into`` (None: seats overflow)."""
        delta = sum(self.cost[p] for p in into) - sum(self.cost[p] for p in out)
        for t in {self.target[p] for p in out + into} - {-1}:
            load = self.load[t] + sum(self.day[p] for p in into if self.target[p] == t) \
                - sum(self.day[p] for p in out if self.target[p] == t)
            if load > self.seats[t] + 1e-9:
                return None
            if self.beds[t] > 0:
                here = [p for p in self.members[t] if p not in out] + [p for p in into if self.target[p] == t]
                delta += self.boarding(t, load, here) - self.value[t]
        return delta

    def apply(self, out: list[int], into: list[int]) -> None:
        """Make the move (``out`` and ``into`` as in :meth:`change`)."""
        for p in out:
            if self.target[p] >= 0:
                self.members[self.target[p]].discard(p)
                self.load[self.target[p]] -= self.day[p]
        for p in into:
            self.chosen[self.unit[p]] = p
            if self.target[p] >= 0:
                self.members[self.target[p]].add(p)
                self.load[self.target[p]] += self.day[p]
        for t in {self.target[p] for p in out + into} - {-1}:
            if self.beds[t] > 0:
                self.value[t] = self.boarding(t, self.load[t], list(self.members[t]))

    def result(self, built: Built) -> MilpResult:
        """The zoning as a solution of the full model (x, the boarders, e), or no solution
        when it breaks a row (a guard: moves keep the seats)."""
        n_p, n_z = self.n_pairs, len(built.boardable)
        chosen = np.array(self.chosen)
        x = np.zeros(len(built.model.cost))
        x[chosen[chosen < n_p]] = 1.0
        x[n_p + n_z + np.flatnonzero(chosen >= n_p)] = 1.0
        z_of = np.full(n_p, -1)
        z_of[built.boardable] = np.arange(n_z)
        for t in range(len(self.seats)):
            for p, taken in self.boarders(t) if self.beds[t] > 0 else []:
                x[n_p + z_of[p]] = taken
        rows = built.model.matrix @ x
        if (rows < built.model.row_lower - 1e-6).any() or (rows > built.model.row_upper + 1e-6).any():
            x[:] = np.nan
        objective = float(built.model.cost @ x)
        return MilpResult("Time limit reached", x, objective, -np.inf, np.inf, 0.0)

    def boarders(self, t: int) -> list[tuple[int, float]]:
        """(pair, boarders) at school t, as :meth:`boarding` fills its beds."""
        return self._filled(t, self.load[t], self.members[t])

    def _filled(self, t: int, load: float, members: Iterable[int]) -> list[tuple[int, float]]:
        """(pair, boarders) at school t with these pairs there and this day load: the beds
        (at most the seats left) filled by the pairs whose boarders gain most first."""
        room, taken = min(self.beds[t], self.seats[t] - load), []
        for p in sorted((p for p in members if self.boardable[p] > 0), key=self.board.__getitem__):
            if room <= 0:
                break
            taken.append((p, min(self.boardable[p], room)))
            room -= taken[-1][1]
        return taken


def _placed(search: _Search, x_lp: np.ndarray) -> None:
    """Units into the search's zoning: each unit the LP zones whole to its school, the others
    (the LP splits them) one by one, the most pupils first, to the school (or none) that
    costs least with the seats left."""
    n_p = search.n_pairs
    for p in np.flatnonzero((x_lp[:n_p] > 1 - 1e-6) & search.allowed).tolist():
        if search.chosen[search.unit[p]] >= n_p and search.change([search.chosen[search.unit[p]]], [p]) is not None:
            search.apply([search.chosen[search.unit[p]]], [p])
    rest = [u for u, p in enumerate(search.chosen) if p >= n_p]
    rest.sort(key=lambda u: -max((search.day[p] for p in search.options[u]), default=0.0))
    for u in rest:
        here = search.chosen[u]
        moves = [(d, q) for q in search.options[u] if q != here and (d := search.change([here], [q])) is not None]
        if moves and min(moves)[0] < 0:
            search.apply([here], [min(moves)[1]])


def _improved(search: _Search, deadline: float) -> None:
    """Shifts (a unit to another school) and, where the seats there are full, ejections (a
    unit there moves on to one of its schools, possibly the first one's: a swap), each
    made when it lowers the cost, until none does or the deadline (``time.perf_counter()``).
    Each pass takes the units by how far their cost is above their best hope, the farthest
    first (the largest gains come first when time is short)."""
    moved = True
    while moved and time.perf_counter() < deadline:
        moved = False
        hope = [search.cost[p] - search.hope[search.options[u][0]] for u, p in enumerate(search.chosen)]
        for u in sorted(range(len(hope)), key=hope.__getitem__, reverse=True):
            for q in search.options[u]:
                p = search.chosen[u]
                here = search.target[p]
                if q == p or (search.hope[q] >= search.cost[p] and (here < 0 or search.beds[here] <= 0)):
                    continue  # (seats freed where there are no beds let no one board)
                delta = search.change([p], [q])
                move = ([p], [q])
                if delta is None:
                    delta, move = _ejection(search, p, q)
                if delta is not None and delta < -1e-7:
                    search.apply(*move)
                    moved = True
            if time.perf_counter() > deadline:
                return


def _ejection(search: _Search, p: int, q: int) -> tuple[float | None, tuple[list[int], list[int]]]:
    """The best move of a unit v out of q's school (to another school of its own) that makes
    room for the unit of p to take q: (cost change or None, (pairs out, pairs in))."""
    best: tuple[float | None, tuple[list[int], list[int]]] = (None, ([], []))
    gain, school = search.hope[q] - search.cost[p], search.target[q]
    for pv in list(search.members[school]):
        for r in search.options[search.unit[pv]]:
            if gain + search.hope[r] - search.cost[pv] >= 0:   # no better move of v (options by hope)
                break
            if r == pv or search.target[r] == school:
                continue
            delta = search.change([p, pv], [q, r])
            if delta is not None and (best[0] is None or delta < best[0]):
                best = (delta, ([p, pv], [q, r]))
    return best


__all__ = ["Zoning", "zone", "candidates", "pair_terms", "build_model", "reduced_costs", "unserved_cost",
           "no_zoning", "redundant", "knapsack_bound", "lp_prices", "lagrangian", "ascent", "Prices"]
