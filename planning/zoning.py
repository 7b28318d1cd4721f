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
        Candidate pairs (:func:`candidates`): the schools a unit can reach daily (a walk
        within the limit, or a bus), plus its ``fallback`` nearest schools and its
        ``bed_fallback`` nearest schools with beds, so that a full school pushes pupils on
        to another school, to boarding, or to being unserved. A merge pins a unit to the
        school it merges into.
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
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from .assign import Layout, grade_bands
from .errors import InfeasibleError
from .i18n import Message
from .milp import MilpResult, Model, Rows

logger = logging.getLogger(__name__)


@dataclass
class Zoning:
    """The zoning model's answer and the solver report.

    Attributes
    ----------
    share
        Rows (village, grade index 0–8, target, fraction of the pupils).
    status
        HiGHS status ("Optimal", "Time limit reached", ...).
    objective
        Daily travel of the zoning (pupil-minutes).
    gap
        Relative gap to the best proven bound (0 when optimal).
    seconds
        Wall-clock solving time.
    variables
        Number of variables.
    """

    share: np.ndarray
    status: str
    objective: float
    gap: float
    seconds: float
    variables: int


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
    """

    village: np.ndarray
    band: np.ndarray
    pair_unit: np.ndarray
    pair_target: np.ndarray
    band_grades: np.ndarray
    fixed: np.ndarray


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


def zone(layout: Layout, *, split: bool = False, fallback: int = 3, bed_fallback: int = 2,
         seconds: float | None = 60.0) -> Zoning:
    """Zone every unit to a school, exactly (see the module's formulation).

    Parameters
    ----------
    split
        Let units divide among schools (an LP instead of a MILP).
    fallback, bed_fallback
        How many nearest schools, and nearest schools with beds, each unit may also go to
        beyond those it reaches daily.
    seconds
        Solver time limit (seconds); the best zoning found is returned with its gap.

    Returns
    -------
    :class:`Zoning`; optimal over the candidate pairs when its status is "Optimal".
    """
    units = candidates(layout, fallback=fallback, bed_fallback=bed_fallback)
    if len(units.village) == 0:
        return Zoning(units.fixed, "Optimal", 0.0, 0.0, 0.0, 0)
    terms = pair_terms(layout, units)
    model = build_model(layout, units, terms)
    solution = _solve(model, units.pair_unit, split=split, seconds=seconds)
    if not solution.has_solution:  # the time limit ran out before even the LP was solved
        raise InfeasibleError(Message("infeasible.no_zoning_in_time", seconds=f"{seconds:g}",
                                      status=solution.status))
    x = solution.x[: len(units.pair_unit)]
    logger.info("zoning: %s, %d units, %d variables, gap %.2g, %.2f s", solution.status, len(units.village),
                len(model.cost), solution.gap, solution.seconds)
    return Zoning(np.r_[_shares(units, x, split), units.fixed], solution.status, float((terms.day_cost * x).sum()),
                  solution.gap, solution.seconds, len(model.cost))


def candidates(layout: Layout, *, fallback: int = 3, bed_fallback: int = 2) -> Units:
    """The units (village × grade band with pupils) and their candidate schools.

    Parameters
    ----------
    layout
        The arrays of a layout.
    fallback, bed_fallback
        How many nearest schools, and nearest schools with beds, a unit may go to beyond
        those it reaches daily.
    """
    bands = grade_bands(layout.serves)
    band_grades = np.zeros((len(bands), 9), dtype=bool)
    village, band, pair_unit, pair_target, fixed = [], [], [], [], []
    n_units = 0
    for b, grades in enumerate(bands):
        band_grades[b, np.array(grades) - 1] = True
        cand, stuck_rows = _band_candidates(layout, band_grades[b], fallback, bed_fallback)
        fixed.append(stuck_rows)
        rows = np.flatnonzero(cand.any(axis=1))
        v, t = np.nonzero(cand[rows])
        pair_unit.append(n_units + v)
        pair_target.append(t)
        village.append(rows)
        band.append(np.full(len(rows), b))
        n_units += len(rows)
    return Units(np.concatenate(village).astype(int), np.concatenate(band).astype(int),
                 np.concatenate(pair_unit).astype(int), np.concatenate(pair_target).astype(int), band_grades,
                 np.concatenate(fixed).reshape(-1, 4))


def _band_candidates(layout: Layout, grades: np.ndarray, fallback: int, bed_fallback: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(V, T) candidate mask of one band, and the rows of its units fixed before solving."""
    gi = np.flatnonzero(grades)
    reachable = np.isfinite(layout.minutes) | np.isfinite(layout.ride)
    has_beds = layout.beds > 0
    teaches = np.asarray(layout.serves[:, gi].all(axis=1), dtype=bool)
    ok = teaches[None, :] & reachable                                                     # (V, T)
    daily = layout.day[:, :, gi].all(axis=2) & ok
    by_time = np.where(ok & np.isfinite(layout.minutes), layout.minutes, np.inf)
    cand = daily | _nearest_mask(by_time, fallback) | _nearest_mask(np.where(has_beds, by_time, np.inf), bed_fallback)
    forced = layout.forced[:, gi[0]]
    pin = (forced >= 0) & ok[np.arange(len(ok)), np.maximum(forced, 0)]
    cand[pin] = False
    cand[np.flatnonzero(pin), forced[pin]] = True
    cand &= (layout.pupils[:, gi].sum(axis=1) > 0)[:, None]
    may_board = bool(layout.may_board[gi].any())
    stuck = cand.any(axis=1) & ~pin & ~(cand & daily).any(axis=1) & ~(may_board & (cand & has_beds).any(axis=1))
    nearest = np.argmin(np.where(cand[stuck], by_time[stuck], np.inf), axis=1) if stuck.any() else []
    rows = [(v, g, t, 1.0) for v, t in zip(np.flatnonzero(stuck), nearest, strict=True) for g in gi]
    cand[stuck] = False
    return cand, np.array(rows, dtype=float).reshape(-1, 4)


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


def build_model(layout: Layout, units: Units, terms: Terms) -> Model:
    """The MILP of the module's formulation: variables [x (pairs) | z (boardable pairs) |
    e (units)], x integer.

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
    rows.add([(units.pair_unit, x, 1.0), (np.arange(n_u), e, 1.0)], 1.0, 1.0, count=n_u)
    rows.add([(np.arange(n_z), z, 1.0), (np.arange(n_z), zb, -terms.boardable[zb])], -np.inf, 0.0, count=n_z)
    target = units.pair_target
    limited = np.flatnonzero(np.isfinite(layout.capacity))
    seat_row = np.full(len(layout.capacity), -1)
    seat_row[limited] = np.arange(len(limited))
    day, board = seat_row[target] >= 0, seat_row[target[zb]] >= 0
    rows.add([(seat_row[target[day]], x[day], terms.day_pupils[day]), (seat_row[target[zb][board]], z[board], 1.0)],
             -np.inf, layout.capacity[limited], count=len(limited))
    bedded = np.flatnonzero(layout.beds > 0)
    bed_row = np.full(len(layout.beds), -1)
    bed_row[bedded] = np.arange(len(bedded))
    rows.add([(bed_row[target[zb]], z, 1.0)], -np.inf, layout.beds[bedded], count=len(bedded))
    upper = np.r_[np.ones(n_p), terms.boardable[zb], np.ones(n_u)]
    integer = np.r_[np.ones(n_p, dtype=bool), np.zeros(n_z + n_u, dtype=bool)]
    return Model.from_rows(cost, rows, col_upper=upper, integer=integer)


def _solve(model: Model, pair_unit: np.ndarray, *, split: bool, seconds: float | None) -> MilpResult:
    """LP relaxation; for whole villages, then LP-and-fix for a start and the full MILP.

    Units the LP already zones whole keep that school in a first small MILP, which places
    the few split ones (every candidate of a split unit stays free): a near-optimal start.
    The full MILP then improves it and proves the gap within what is left of the time
    limit; the LP value is a valid bound too.
    """
    started = time.perf_counter()

    def left() -> float | None:
        return None if seconds is None else max(0.1, seconds - (time.perf_counter() - started))

    relaxed = model.solve(relax=True, seconds=seconds)
    if split or not relaxed.has_solution:
        return relaxed
    n_pairs = len(pair_unit)
    x_lp = relaxed.x[:n_pairs]
    settled = settled_pairs(x_lp, pair_unit)
    lower, upper = model.col_lower.copy(), model.col_upper.copy()
    lower[:n_pairs][settled] = upper[:n_pairs][settled] = np.round(x_lp[settled])
    start = model.solve(col_lower=lower, col_upper=upper, seconds=left())
    solution = model.solve(seconds=left(), initial=start.x if start.has_solution else None)
    if not solution.has_solution and start.has_solution:
        solution = start
    bound = max(solution.bound, relaxed.objective) if np.isfinite(solution.bound) else relaxed.objective
    solution.bound = bound
    solution.gap = max(0.0, (solution.objective - bound) / max(abs(solution.objective), 1e-9))
    solution.seconds = time.perf_counter() - started
    return solution


def settled_pairs(x_lp: np.ndarray, pair_unit: np.ndarray) -> np.ndarray:
    """Pairs whose unit the LP zones whole (every pair 0 or 1): they keep the LP's value in
    the start MILP. Every pair of a unit the LP splits stays free, including the schools
    the LP gave none of it (the whole unit may have to go to one of those)."""
    split_units = np.unique(pair_unit[(x_lp > 1e-6) & (x_lp < 1 - 1e-6)])
    return ~np.isin(pair_unit, split_units)


def _shares(units: Units, x: np.ndarray, split: bool) -> np.ndarray:
    """Rows (village, grade index, target, fraction) of the chosen pairs."""
    chosen = np.flatnonzero(x > 1e-6)
    unit = units.pair_unit[chosen]
    grades = units.band_grades[units.band[unit]]                                         # (chosen, 9)
    k, g = np.nonzero(grades)
    fraction = np.round(x[chosen][k], 9) if split else np.ones(len(k))
    return np.c_[units.village[unit][k], g, units.pair_target[chosen][k], fraction].astype(float)


__all__ = ["Zoning", "zone", "candidates", "pair_terms", "build_model", "unserved_cost", "settled_pairs"]
