"""Assigning pupils to schools from a travel-time matrix (never from a graph).

Nearest-school assignment and the walk → bus → board chain that decides how each pupil
gets to the school they are assigned. The functions take plain arrays (a :class:`Layout`)
so that evaluation, zoning (:mod:`planning.zoning`) and the walk check share them.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def taught_grades(grades: Iterable[Iterable[int]]) -> np.ndarray:
    """(schools, 9) boolean: whether each school (its tuple of grades 1–9) teaches each grade."""
    rows = list(grades)
    out = np.zeros((len(rows), 9), dtype=bool)
    for i, gs in enumerate(rows):
        out[i, np.asarray(list(gs), dtype=int) - 1] = True
    return out


@dataclass(frozen=True)
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
    bus_walk
        Walking minutes from each village to where a bus picks it up (V,); NaN where
        unknown or beyond reach. A bus serves a grade only where this walk is within the
        grade's limit (:meth:`bus`).
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
    bus_walk: np.ndarray
    may_board: np.ndarray
    forced: np.ndarray
    boarding_cost: float = 60.0

    def __post_init__(self) -> None:
        for array in (self.minutes, self.pupils, self.serves, self.capacity, self.beds, self.limit, self.ride,
                      self.bus_walk, self.may_board, self.forced):
            array.setflags(write=False)  # a layout is read by assignment and kept on its result

    @property
    def day(self) -> np.ndarray:
        """(V, T, 9): the pair can be travelled daily (walk within the limit, or a bus)."""
        walk_ok = self.minutes[:, :, None] <= self.limit[None, None, :]
        return walk_ok | self.bus(slice(None), slice(None))

    def bus(self, v: np.ndarray | slice, t: np.ndarray | slice) -> np.ndarray:
        """Whether a bus serves each grade of the pairs (v, t): a ride, and a walk to the
        pick-up within the grade's limit. Shape: that of ``ride[v, t]`` plus a last axis of 9."""
        walk = self.bus_walk[v]
        ride = self.ride[v, t]
        walk = walk[:, None] if ride.ndim == 2 else walk
        return np.isfinite(ride)[..., None] & (walk[..., None] <= self.limit)

    def trip(self, v: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Minutes of the bus trip of pairs (v, t): walk to the pick-up plus the ride."""
        return self.bus_walk[v] + self.ride[v, t]


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
    trip = layout.bus_walk[:, None] + layout.ride  # bus trips: the walk to the pick-up and the ride
    searched: dict[tuple[bytes, float], tuple] = {}
    for g in range(9):
        serves = layout.serves[:, g]
        key = (serves.tobytes(), float(layout.limit[g]))
        if key not in searched:
            col, best = nearest(layout.minutes, serves)
            bus_trip = np.where((layout.bus_walk <= layout.limit[g])[:, None], trip, np.nan)
            bus_col, bus_best = nearest(bus_trip, serves) if any_bus else (col, np.full(n_v, np.nan))
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
    ``pupils``, ``walk_minutes`` (the walk to the school), for bus riders ``road_walk_minutes``
    (the walk to the pick-up) and ``ride_minutes`` (NaN for others), and ``minutes``: the
    one-way trip in the pupil's mode (the walk, or for bus riders walk to the pick-up plus
    ride). Boarding beds go to the pupils with the longest walks first; pupils beyond the
    beds are unserved.
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
    mode = np.full(len(v), UNSERVED)
    walk_ok = found & (walk <= layout.limit[g])
    mode[walk_ok] = WALK
    by_bus = ~walk_ok & found & np.isfinite(layout.ride[v, tt]) & (layout.bus_walk[v] <= layout.limit[g])
    mode[by_bus] = BUS
    road_walk = np.where(by_bus, layout.bus_walk[v], np.nan)
    ride = np.where(by_bus, layout.ride[v, tt], np.nan)
    wants_bed = (mode == UNSERVED) & found & layout.may_board[g] & (layout.beds[tt] > 0)
    frame = pd.DataFrame({"village": v, "grade": g + 1, "target": np.where(found, t, -1), "mode": mode,
                          "pupils": pupils, "walk_minutes": walk, "road_walk_minutes": road_walk,
                          "ride_minutes": ride, "minutes": np.where(by_bus, road_walk + ride, walk)})
    if wants_bed.any():
        beds = layout.beds
        if respect_seats:  # a boarder needs a seat too: beds beyond the seats left stay empty
            day = np.isin(frame["mode"].to_numpy(), (WALK, BUS))
            taken = np.bincount(frame["target"].to_numpy()[day], weights=pupils[day], minlength=len(beds))
            seats = np.where(np.isnan(layout.capacity), np.inf, layout.capacity - taken)
            beds = np.clip(np.minimum(beds, seats), 0, None)
        frame = _allocate_beds(frame, wants_bed, beds)
    if layout.beds.any():
        frame = _board_elsewhere(frame, layout)
    frame["mode"] = pd.Categorical.from_codes(frame["mode"].to_numpy(dtype=np.int64), categories=pd.Index(MODES))
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


def _board_elsewhere(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """Pupils left unserved (their school's beds ran out, or it has none) board at the nearest
    other school in reach that teaches their grade and has both a bed and a seat free.

    A planner would not leave a pupil without a school while a bed stands empty at another
    school; the pupils with the longest walks go first.
    """
    code = frame["mode"].to_numpy()
    grade = frame["grade"].to_numpy() - 1
    stuck = np.flatnonzero((code == UNSERVED) & (frame["target"].to_numpy() >= 0) & layout.may_board[grade]
                           & (frame["pupils"].to_numpy() > 1e-9))
    if len(stuck) == 0:
        return frame
    target, pupils = frame["target"].to_numpy(), frame["pupils"].to_numpy().copy()
    village = frame["village"].to_numpy(dtype=np.int64)
    served = code != UNSERVED
    n_t = len(layout.beds)
    free_beds = layout.beds - np.bincount(target[code == BOARD], weights=pupils[code == BOARD], minlength=n_t)
    free_seats = np.where(np.isnan(layout.capacity), np.inf,
                          layout.capacity - np.bincount(target[served], weights=pupils[served], minlength=n_t))
    rows, schools, placed = [], [], []
    for i in stuck[np.argsort(-frame["walk_minutes"].to_numpy()[stuck], kind="stable")]:
        if not ((free_beds > 1e-9) & (free_seats > 1e-9)).any():
            break
        v, g = village[i], grade[i]
        reach = np.where(layout.serves[:, g] & np.isfinite(layout.minutes[v]), layout.minutes[v], np.inf)
        while pupils[i] > 1e-9:
            room = np.minimum(free_beds, free_seats)
            t = int(np.argmin(np.where(room > 1e-9, reach, np.inf)))
            if not np.isfinite(reach[t]) or room[t] <= 1e-9:
                break
            n = min(pupils[i], room[t])
            free_beds[t] -= n
            free_seats[t] -= n
            pupils[i] -= n
            rows.append(i)
            schools.append(t)
            placed.append(n)
    if not rows:
        return frame
    moved = frame.iloc[rows].reset_index(drop=True)
    walk = layout.minutes[village[rows], schools]
    moved = moved.assign(target=schools, mode=BOARD, pupils=placed, walk_minutes=walk, minutes=walk,
                         road_walk_minutes=np.nan, ride_minutes=np.nan)
    return pd.concat([frame.assign(pupils=pupils), moved], ignore_index=True)


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
