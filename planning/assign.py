"""Assigning villages to schools from a travel-time matrix (never from a graph).

The functions here take plain arrays so that scenarios and the optimiser reuse them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd


def nearest(minutes: np.ndarray, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest allowed target per origin.

    Parameters
    ----------
    minutes
        Travel times, shape (origins, targets), NaN where out of reach.
    allowed
        Boolean mask of usable targets (columns); all when None.

    Returns
    -------
    (column index per origin, -1 where no allowed target is in reach;
    minutes to it, NaN where none)
    """
    m = np.where(np.isnan(minutes), np.inf, minutes)
    if allowed is not None:
        m = np.where(np.asarray(allowed, dtype=bool)[None, :], m, np.inf)
    if m.shape[1] == 0:
        return np.full(m.shape[0], -1), np.full(m.shape[0], np.nan)
    col = np.argmin(m, axis=1)
    best = m[np.arange(len(m)), col]
    found = np.isfinite(best)
    return np.where(found, col, -1), np.where(found, best, np.nan)


def walk_status(minutes: np.ndarray, limit: float, *, any_school: bool = True) -> np.ndarray:
    """Label each origin: 'within' the limit, 'beyond', 'out of reach' (no school reachable
    within the matrix cut-off) or 'no school' (no school serves the level at all)."""
    status = np.where(minutes <= limit, "within", "beyond").astype(object)
    status[np.isnan(minutes)] = "out of reach" if any_school else "no school"
    return status


def pupil_weighted_mean(minutes: pd.Series, pupils: pd.Series) -> float:
    """Mean walking time per pupil (minutes), over reachable villages with known pupils."""
    ok = minutes.notna() & pupils.notna()
    weight = pupils[ok].sum()
    return float((minutes[ok] * pupils[ok]).sum() / weight) if weight > 0 else float("nan")


# ---------------------------------------------------------------------- scenario assignment
MODES = ("walk", "bus", "board", "unserved")
WALK, BUS, BOARD, UNSERVED = range(4)
GRADES = np.arange(1, 10)


@dataclass
class Layout:
    """Everything assignment needs, as arrays (villages V, targets T, grades 1–9).

    Attributes
    ----------
    minutes
        Walking minutes (V, T); NaN out of reach.
    pupils
        Pupils per village and grade (V, 9).
    serves
        Whether each open target teaches each grade (T, 9).
    capacity
        Seats per target (pupils); NaN when unknown (not limited).
    beds
        Boarding beds per target.
    limit
        Walking limit per grade (minutes).
    ride
        Bus ride minutes (V, T) where a bus serves the pair within its ride limit; NaN else.
    may_board
        Whether each grade may board.
    forced
        Target each (village, grade) must attend (a merge), −1 where free (V, 9).
    boarding_cost
        Minutes of daily travel one boarder counts for when zoning (prefers day schooling).
    """

    minutes: np.ndarray
    pupils: np.ndarray
    serves: np.ndarray
    capacity: np.ndarray
    beds: np.ndarray
    limit: np.ndarray
    ride: np.ndarray
    may_board: np.ndarray
    forced: np.ndarray
    boarding_cost: float = 60.0

    @property
    def day(self) -> np.ndarray:
        """(V, T, 9): the pair can be travelled daily (walk within the limit, or a bus)."""
        walk_ok = self.minutes[:, :, None] <= self.limit[None, None, :]
        return walk_ok | np.isfinite(self.ride)[:, :, None]


def assign_nearest(layout: Layout) -> np.ndarray:
    """School per (village, grade): the nearest that teaches the grade within the walking
    limit; else a bus school; else, for grades that may board, the nearest with beds; else
    the nearest at all (unserved). Merged schools' pupils go where the merge sends them.

    Grades taught by the same schools share one search (usually three: 1–3, 4–6, 7–9).

    Returns
    -------
    Target index per (village, grade), −1 where no school teaching the grade is in reach.
    """
    n_v = len(layout.minutes)
    school = np.full((n_v, 9), -1)
    has_beds = layout.beds > 0
    any_bus = bool(np.isfinite(layout.ride).any())
    searched: dict[bytes, tuple] = {}
    for g in range(9):
        serves = layout.serves[:, g]
        key = serves.tobytes()
        if key not in searched:
            col, best = nearest(layout.minutes, serves)
            bus_col, bus_best = nearest(layout.ride, serves) if any_bus else (col, np.full(n_v, np.nan))
            board_col = nearest(layout.minutes, serves & has_beds)[0] if has_beds.any() else np.full(n_v, -1)
            searched[key] = (col, best, bus_col, bus_best, board_col)
        col, best, bus_col, bus_best, board_col = searched[key]
        fallback = np.where(layout.may_board[g] & (board_col >= 0), board_col, col)
        school[:, g] = np.where(best <= layout.limit[g], col, np.where(np.isfinite(bus_best), bus_col, fallback))
    return np.where(layout.forced >= 0, layout.forced, school)


def flows_from_assignment(layout: Layout, school: np.ndarray, share: np.ndarray | None = None,
                          *, respect_seats: bool = False) -> pd.DataFrame:
    """Pupils per (village, grade, school, mode) after the walk → bus → board chain.

    Parameters
    ----------
    school
        Target per (village, grade), or per row of ``share`` (see below); −1 for none.
    share
        For zoning: rows (village, grade, target, fraction) instead of ``school``.
    respect_seats
        Give beds only up to the seats a school has left after its day pupils (zoning).

    Returns
    -------
    DataFrame with ``village`` (row index), ``grade``, ``target`` (−1 none), ``mode``,
    ``pupils``, ``walk_minutes`` and ``ride_minutes``. Boarding beds go to the pupils
    with the longest walks first; pupils beyond the beds are unserved.
    """
    if share is None:
        v, g = np.nonzero(layout.pupils > 0)
        t = school[v, g]
        pupils = layout.pupils[v, g]
    else:
        v, g, t, fraction = (share[:, 0].astype(int), share[:, 1].astype(int), share[:, 2].astype(int), share[:, 3])
        pupils = layout.pupils[v, g] * fraction
    found = t >= 0
    tt = np.where(found, t, 0)
    walk = np.where(found, layout.minutes[v, tt], np.nan)
    ride = np.where(found, layout.ride[v, tt], np.nan)
    mode = np.full(len(v), UNSERVED)
    walk_ok = found & (walk <= layout.limit[g])
    mode[walk_ok] = WALK
    mode[~walk_ok & found & np.isfinite(ride)] = BUS
    wants_bed = (mode == UNSERVED) & found & layout.may_board[g] & (layout.beds[tt] > 0)
    frame = pd.DataFrame({"village": v, "grade": g + 1, "target": np.where(found, t, -1), "mode": mode,
                          "pupils": pupils, "walk_minutes": walk, "ride_minutes": ride})
    if wants_bed.any():
        beds = layout.beds
        if respect_seats:  # a boarder needs a seat too: beds beyond the seats left stay empty
            day = np.isin(frame["mode"].to_numpy(), (WALK, BUS))
            taken = np.bincount(frame["target"].to_numpy()[day], weights=pupils[day], minlength=len(beds))
            seats = np.where(np.isnan(layout.capacity), np.inf, layout.capacity - taken)
            beds = np.clip(np.minimum(beds, seats), 0, None)
        frame = _allocate_beds(frame, wants_bed, beds)
    frame["mode"] = pd.Categorical.from_codes(frame["mode"].to_numpy(), categories=list(MODES))
    return frame[frame["pupils"] > 0].reset_index(drop=True)


def _allocate_beds(frame: pd.DataFrame, wants_bed: np.ndarray, beds: np.ndarray) -> pd.DataFrame:
    """Give beds to the longest walks first; split rows where beds run out."""
    candidates = frame[wants_bed].sort_values(["target", "walk_minutes"], ascending=[True, False])
    before = candidates.groupby("target")["pupils"].cumsum() - candidates["pupils"]
    free = np.clip(beds[candidates["target"].to_numpy()] - before.to_numpy(), 0, None)
    boarders = np.minimum(candidates["pupils"].to_numpy(), free)
    boarding = candidates.assign(pupils=boarders, mode=BOARD)
    left = candidates.assign(pupils=candidates["pupils"].to_numpy() - boarders, mode=UNSERVED)
    return pd.concat([frame[~wants_bed], boarding, left], ignore_index=True)


def grade_bands(serves: np.ndarray) -> list[tuple[int, ...]]:
    """Groups of consecutive grades that every open school teaches all or none of.

    With teaching points (1–3) beside complete primaries (1–6), primary splits into 1–3
    and 4–6: a village's grades 1–3 may be zoned to its teaching point and 4–6 elsewhere.
    """
    bands, current = [], [1]
    for g in range(1, 9):
        same = np.array_equal(serves[:, g - 1], serves[:, g]) and g != 6  # never across levels
        if same:
            current.append(g + 1)
        else:
            bands.append(tuple(current))
            current = [g + 1]
    bands.append(tuple(current))
    return bands


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


@dataclass
class Zoning:
    """The zoning model's answer and the solver report."""

    share: np.ndarray
    status: str
    objective: float
    gap: float
    seconds: float
    variables: int


def assign_zoned(layout: Layout, *, split: bool = False, fallback: int = 3, bed_fallback: int = 2,
                 time_limit: float | None = 60.0) -> Zoning:
    """Zone (village, grade band) units to schools, minimising pupil travel time under the
    schools' seats and beds, with the walking limit enforced by the chain's penalties.

    Each unit goes whole to one school (划片招生); with ``split`` the units may be divided
    (an LP). Candidate schools of a unit: those it can reach daily (walk within the
    limit, or a bus), plus its ``fallback`` nearest and its ``bed_fallback`` nearest with
    beds, so a full school pushes pupils to boarding or, as a last resort, leaves them
    unserved — which costs far more than any walk, and is reported. The solution is
    optimal over these candidates.

    Returns
    -------
    :class:`Zoning` with ``share`` rows (village, grade, target, fraction).
    """
    from scipy import sparse

    from .milp import solve

    bands = grade_bands(layout.serves)
    day = layout.day
    n_t = layout.minutes.shape[1]
    reachable = np.isfinite(layout.minutes) | np.isfinite(layout.ride)
    has_beds = layout.beds > 0
    by_time = np.nan_to_num(layout.minutes, nan=1e9)
    unit_v, unit_b, cand_u, cand_t = [], [], [], []
    fixed: list[tuple[int, int, int, float]] = []
    n_units = 0
    for b, band in enumerate(bands):
        gi = np.array(band) - 1
        ok = layout.serves[:, gi].all(axis=1)[None, :] & reachable                      # (V, T)
        cand = day[:, :, gi].all(axis=2) & ok
        cand |= _nearest_mask(np.where(ok, by_time, np.inf), fallback)
        cand |= _nearest_mask(np.where(ok & has_beds[None, :], by_time, np.inf), bed_fallback)
        forced = layout.forced[:, gi[0]]
        pin = (forced >= 0) & ok[np.arange(len(ok)), np.maximum(forced, 0)]
        cand[pin] = False
        cand[np.flatnonzero(pin), forced[pin]] = True
        cand &= (layout.pupils[:, gi].sum(axis=1) > 0)[:, None]
        # units with no daily option and no grade that may board are no decision: whichever
        # school they get, their pupils are unserved and take no seat. Fix them to the nearest.
        stuck = ~(cand & day[:, :, gi].all(axis=2)).any(axis=1) & ~(
            layout.may_board[gi].any() & (cand & has_beds[None, :]).any(axis=1))
        stuck &= cand.any(axis=1) & ~pin
        if stuck.any():
            nearest_t = np.argmin(np.where(cand[stuck], by_time[stuck], np.inf), axis=1)
            for v, t in zip(np.flatnonzero(stuck), nearest_t, strict=True):
                fixed.extend((v, g, t, 1.0) for g in gi)
            cand[stuck] = False
        villages = np.flatnonzero(cand.any(axis=1))
        v, t = np.nonzero(cand[villages])
        unit_v.append(villages)
        unit_b.append(np.full(len(villages), b))
        cand_u.append(n_units + v)
        cand_t.append(t)
        n_units += len(villages)
    unit_v, unit_b = np.concatenate(unit_v).astype(int), np.concatenate(unit_b).astype(int)
    cand_u, cand_t = np.concatenate(cand_u).astype(int), np.concatenate(cand_t).astype(int)
    n_u, n_p = len(unit_v), len(cand_u)
    fixed_rows = np.array(fixed, dtype=float).reshape(-1, 4)
    if n_u == 0:
        return Zoning(fixed_rows, "Optimal", 0.0, 0.0, 0.0, 0)

    # per pair: day pupils × minutes, boardable and stranded pupils
    band_mask = np.zeros((len(bands), 9), dtype=bool)
    for b, band in enumerate(bands):
        band_mask[b, np.array(band) - 1] = True
    pv, pb = unit_v[cand_u], unit_b[cand_u]
    grades_in = band_mask[pb]                                              # (P, 9)
    pupils_g = layout.pupils[pv] * grades_in                               # (P, 9)
    walk = layout.minutes[pv, cand_t]
    ride = layout.ride[pv, cand_t]
    walk_ok = walk[:, None] <= layout.limit[None, :]
    daily = walk_ok | np.isfinite(ride)[:, None]
    day_minutes = np.where(walk_ok, walk[:, None], ride[:, None])
    day_cost = np.where(daily, pupils_g * np.nan_to_num(day_minutes), 0.0).sum(axis=1)
    day_pupils = np.where(daily, pupils_g, 0.0).sum(axis=1)
    boardable = np.where(~daily & layout.may_board[None, :] & has_beds[cand_t][:, None], pupils_g, 0.0).sum(axis=1)
    stranded = pupils_g.sum(axis=1) - day_pupils
    # an unserved pupil must cost more than any walk or boarding place; the slack (no seat at
    # all, only when every candidate is full) more than being unserved
    longest = float(np.nanmax(np.where(np.isfinite(layout.minutes), layout.minutes, 0.0), initial=0.0))
    penalty = 2.0 * (longest + layout.boarding_cost) + 1.0
    unit_pupils = np.bincount(cand_u, weights=pupils_g.sum(axis=1), minlength=n_u) / np.maximum(
        np.bincount(cand_u, minlength=n_u), 1)

    # variables: x (pairs), z (boarders of pairs that can board), e (no-seat slack per unit)
    zb = np.flatnonzero(boardable > 0)
    n_z = len(zb)
    # a boarder costs the walk (the weekly trip) plus the boarding weight, instead of the penalty
    board_cost = layout.boarding_cost + np.nan_to_num(walk[zb], nan=penalty) - penalty
    cost = np.r_[day_cost + penalty * stranded, board_cost, 10.0 * penalty * np.maximum(unit_pupils, 1.0)]
    upper = np.r_[np.ones(n_p), boardable[zb], np.ones(n_u)]
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    # each unit assigned once
    rows += [cand_u, np.arange(n_u)]
    cols += [np.arange(n_p), n_p + n_z + np.arange(n_u)]
    vals += [np.ones(n_p), np.ones(n_u)]
    lo.append(np.ones(n_u))
    hi.append(np.ones(n_u))
    r += n_u
    # boarders only where assigned
    rows += [r + np.arange(n_z), r + np.arange(n_z)]
    cols += [n_p + np.arange(n_z), zb]
    vals += [np.ones(n_z), -boardable[zb]]
    lo.append(np.full(n_z, -np.inf))
    hi.append(np.zeros(n_z))
    r += n_z
    # seats: day pupils and boarders of each school with a known capacity
    limited = np.flatnonzero(np.isfinite(layout.capacity))
    row_of = np.full(n_t, -1)
    row_of[limited] = r + np.arange(len(limited))
    sel = row_of[cand_t] >= 0
    rows += [row_of[cand_t[sel]]]
    cols += [np.flatnonzero(sel)]
    vals += [day_pupils[sel]]
    zsel = row_of[cand_t[zb]] >= 0
    rows += [row_of[cand_t[zb][zsel]]]
    cols += [n_p + np.flatnonzero(zsel)]
    vals += [np.ones(int(zsel.sum()))]
    lo.append(np.full(len(limited), -np.inf))
    hi.append(layout.capacity[limited])
    r += len(limited)
    # beds
    bedded = np.flatnonzero(has_beds)
    bed_row = np.full(n_t, -1)
    bed_row[bedded] = r + np.arange(len(bedded))
    rows += [bed_row[cand_t[zb]]]
    cols += [n_p + np.arange(n_z)]
    vals += [np.ones(n_z)]
    lo.append(np.full(len(bedded), -np.inf))
    hi.append(layout.beds[bedded])
    r += len(bedded)

    matrix = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(r, n_p + n_z + n_u))
    row_lo, row_hi = np.concatenate(lo), np.concatenate(hi)
    started = time.perf_counter()
    relaxed = solve(cost, matrix, row_lo, row_hi, col_upper=upper, time_limit=time_limit)
    if split or not relaxed.has_solution:
        sol = relaxed
    else:
        # LP-and-fix: units the LP already assigns whole keep that school; a small MILP places
        # the few split ones. That gives a near-optimal start; the full MILP then improves it
        # and proves the gap within what is left of the time limit.
        integer = np.r_[np.ones(n_p, dtype=bool), np.zeros(n_z + n_u, dtype=bool)]
        x_lp = relaxed.x[:n_p]
        frac = (x_lp > 1e-6) & (x_lp < 1 - 1e-6)
        free = np.zeros(n_u, dtype=bool)
        free[cand_u[frac]] = True
        settled = ~free[cand_u]
        lower = np.zeros(len(cost))
        upper_fixed = upper.copy()
        lower[:n_p][settled] = upper_fixed[:n_p][settled] = np.round(x_lp[settled])
        left = None if time_limit is None else max(0.1, time_limit - (time.perf_counter() - started))
        start_point = solve(cost, matrix, row_lo, row_hi, col_lower=lower, col_upper=upper_fixed,
                            integer=integer, time_limit=left)
        left = None if time_limit is None else max(0.1, time_limit - (time.perf_counter() - started))
        sol = solve(cost, matrix, row_lo, row_hi, col_upper=upper, integer=integer, time_limit=left,
                    initial=start_point.x if start_point.has_solution else None)
        if not sol.has_solution and start_point.has_solution:
            sol = start_point
        # the LP relaxation is a valid lower bound too: report the gap against the better bound
        sol.bound = max(sol.bound, relaxed.objective) if np.isfinite(sol.bound) else relaxed.objective
        sol.gap = max(0.0, (sol.objective - sol.bound) / max(abs(sol.objective), 1e-9))
        sol.seconds = time.perf_counter() - started
    if not sol.has_solution:
        raise RuntimeError(f"zoning: HiGHS returned no solution (status {sol.status})")
    x = sol.x[:n_p]
    chosen = x > 1e-6
    share_rows = []
    for p in np.flatnonzero(chosen):
        for g in np.flatnonzero(band_mask[unit_b[cand_u[p]]]):
            share_rows.append((unit_v[cand_u[p]], g, cand_t[p], round(x[p], 9) if split else 1.0))
    share = np.r_[np.array(share_rows, dtype=float).reshape(-1, 4), fixed_rows]
    travel = float((day_cost * x).sum())
    return Zoning(share, sol.status, travel, sol.gap, sol.seconds, n_p + n_z + n_u)
