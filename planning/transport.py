"""The least-cost layout when the plan may also buy school buses and boarding beds.

A plain least-cost plan (:func:`planning.optimise.plan` with ``goal="least_cost"``) keeps a
school within the walking limit of every village. With ``transport=True`` a village beyond
the limit of every open school may instead ride a school bus or board, and the buses and
beds are bought by the optimiser where they cost less than keeping a school open. Exact with
HiGHS, on one level and today's pupils.

Model (rows i: villages with pupils of the level, p_i pupils; columns j: schools and sites)
    y_j ∈ {0, 1}      open (fixed by must keep / must close)
    x_ij walk         pairs within the walking limit
    b_ij bus          the walk to the pick-up point within the limit and the ride within
                      ``policy.bus_max_ride_minutes``
    d_ij board        rows whose pupils may all board (grades ≥ ``boarding_min_grade``)
    Σ_j (x + b + d)_ij = 1;  each ≤ y_j;  Σ_i p_i (x + b + d)_ij ≤ seats_j y_j
    Σ_j (b + d)_ij + y_k ≤ 1 for every k within the limit of i: a pupil rides or boards only
                      where no open school is within a walk (the rule evaluation follows)
    d_ij + Σ_{k nearer i than j} y_k ≤ 1: boarders board at the nearest open school (as
                      evaluation sends them)
    buses at j run at one ride band β (the longest ride, from the pairs' own rides):
                      z_jβ ∈ {0,1}, Σ_β z_jβ ≤ y_j; b_ij ≤ Σ_{β ≥ ride_ij} z_jβ;
                      v_jβ ∈ ℤ, v_jβ ≤ V z_jβ; seats_bus Σ_β v_jβ ≥ Σ_i p_i b_ij
    beds added e_j ∈ ℤ, e_j ≥ Σ_i p_i d_ij − beds_j
minimise, in present value over the policy's cost horizon (:func:`planning.costs.present_value`):
    Σ_j open_j y_j + Σ_jβ bus_β v_jβ + bed e_j + subsidy Σ_ij p_i d_ij
then, among the cheapest, the least travel (walks, bus trips, boarders at
``boarding_cost_minutes``). A bus costs its price (bought again at the end of its life within
the horizon), its driver and the km of two round trips a school day on its band's ride —
what :func:`planning.cost_sheet` charges the plan's bus, so the optimiser and the cost sheet
agree on the buses and beds it buys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from .bus import walk_to_road
from .costs import annuity
from .errors import InfeasibleError
from .i18n import Listing, Message
from .milp import MilpResult, Model, Rows
from .policy import LEVEL_GRADES

if TYPE_CHECKING:
    from .project import Project


class Demand(Protocol):
    """What the model reads of a plan's rows (:class:`planning.optimise.Demand`, which
    imports this module): today's villages of one level."""

    villages: np.ndarray
    minutes: np.ndarray
    pupils: np.ndarray
    capacities: np.ndarray | None
    labels: list[str]


class LevelInputs(Protocol):
    """What the model reads of a level's problem (:class:`planning.optimise.LevelInputs`)."""

    rows: pd.Index
    columns: pd.DataFrame

#: Most ride bands per school; beyond, bands are the quantiles of its rides (rounded up),
#: so a bus may be charged at most one band's km more than its longest ride.
MAX_BANDS = 12


@dataclass(frozen=True)
class Options:
    """Which row may reach which column how, and what each costs (see the module docstring)."""

    minutes: np.ndarray     # (rows, columns) walking minutes, NaN to columns closed
    walk: np.ndarray        # (rows, columns) bool
    bus: np.ndarray         # (rows, columns) bool
    board: np.ndarray       # (rows, columns) bool
    ride: np.ndarray        # (rows, columns) bus ride minutes
    trip: np.ndarray        # (rows, columns) walk to the pick-up + ride
    open_cost: np.ndarray   # (columns,) present value of keeping a column open
    one_off: np.ndarray     # (columns,) its one-off part
    beds: np.ndarray        # (columns,) beds there today
    bus_price: float        # a bus's price
    bus_once: float         # its price, bought again within the horizon (present value)
    bus_yearly: float       # a bus's driver a year
    km_per_minute: float    # km a bus drives a year per minute of its longest ride
    per_km: float
    years: float            # Σ_t (1 + r)^−t over the horizon
    bed: float              # one bed, built
    subsidy: float          # a boarder's living subsidy a year (share from families in difficulty)
    seats: int              # seats of a bus
    board_minutes: float    # travel one boarder counts for (second stage)

    @property
    def lonely(self) -> np.ndarray:
        """Rows no column may serve in any way."""
        return ~(self.walk | self.bus | self.board).any(axis=1)


def options(project: Project, inputs: LevelInputs, level: str, minutes: np.ndarray, *, limit: float,
            open_cost: np.ndarray, one_off: np.ndarray, closed: list[int] | None = None) -> Options:
    """Each row's ways to each column at ``limit`` (today's pupils of ``level``); none to the
    columns ``closed`` (indices)."""
    policy = project.policy
    minutes = np.array(minutes, dtype=float)
    minutes[:, list(closed or [])] = np.nan
    rows = project.villages.index.get_indexer(inputs.rows)
    cols = project.targets.index.get_indexer(inputs.columns.index)
    reach = np.isfinite(minutes)
    walk = reach & (minutes <= limit)
    road = walk_to_road(project)[rows]
    ride = project.bus_times[np.ix_(rows, cols)]
    ride[:, list(closed or [])] = np.nan
    bus = ~walk & (np.nan_to_num(road, nan=np.inf) <= limit)[:, None] & \
        (np.nan_to_num(ride, nan=np.inf) <= policy.bus_max_ride_minutes)
    young = [f"grade_{g}" for g in LEVEL_GRADES[level] if g < policy.boarding_min_grade]
    all_board = project.villages.loc[inputs.rows, young].fillna(0.0).sum(axis=1).to_numpy() <= 0 if young \
        else np.ones(len(rows), dtype=bool)
    board = ~walk & reach & all_board[:, None]
    years = annuity(horizon=policy.cost_horizon, discount=policy.cost_discount_rate)
    again = sum((1 + policy.cost_discount_rate) ** -t for t in range(policy.cost_bus_life, policy.cost_horizon,
                                                                       policy.cost_bus_life))
    beds = pd.concat([project.schools["beds"], project.sites["beds"]]).reindex(inputs.columns.index)
    return Options(minutes=minutes, walk=walk, bus=bus, board=board, ride=np.where(bus, ride, np.nan),
                   trip=np.where(bus, road[:, None] + np.nan_to_num(ride), np.nan), open_cost=open_cost,
                   one_off=one_off, beds=beds.fillna(0.0).to_numpy(dtype=float),
                   bus_price=policy.cost_bus, bus_once=policy.cost_bus * (1 + again), bus_yearly=policy.cost_bus_driver,
                   km_per_minute=policy.bus_speed_kmh / 60.0 * 4 * policy.cost_school_days,
                   per_km=policy.cost_bus_per_km, years=years, bed=policy.cost_bed_m2 * policy.cost_build_per_m2,
                   subsidy=policy.cost_boarding_needy_share * policy.cost_boarding_subsidy[level],
                   seats=policy.cost_bus_seats, board_minutes=policy.boarding_cost_minutes)


def bands(rides: np.ndarray) -> np.ndarray:
    """A column's ride bands (minutes, ascending): its pairs' own rides, at most
    :data:`MAX_BANDS` of them (quantiles, the longest always kept).

    >>> bands(np.array([3.04, 7.0, 3.04]))
    array([3.04, 7.  ])
    """
    values = np.unique(rides)
    if len(values) > MAX_BANDS:
        values = np.unique(values[np.ceil(np.linspace(0, 1, MAX_BANDS) * (len(values) - 1)).astype(int)])
    return values


@dataclass
class _Layout:
    """Variable indices of the model: [y | x | b | d | z | v | e]."""

    m: int
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]   # mode → (rows, columns) of its variables
    start: dict[str, int]
    band_col: np.ndarray
    band_ride: np.ndarray
    n: int

    def index(self, key: str) -> np.ndarray:
        size = {"y": self.m, "e": self.m, "z": len(self.band_col), "v": len(self.band_col)}.get(key)
        size = len(self.pairs[key][0]) if size is None else size
        return self.start[key] + np.arange(size)


def _layout(opts: Options, served: np.ndarray) -> _Layout:
    m = opts.walk.shape[1]
    pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for key, name in (("x", "walk"), ("b", "bus"), ("d", "board")):
        i, j = np.nonzero(getattr(opts, name) & served[:, None])
        pairs[key] = (i, j)
    band_col, band_ride = [], []
    for j in np.unique(pairs["b"][1]):
        found = bands(opts.ride[pairs["b"][0][pairs["b"][1] == j], j])
        band_col += [j] * len(found)
        band_ride += list(found)
    sizes = {"y": m, "x": len(pairs["x"][0]), "b": len(pairs["b"][0]), "d": len(pairs["d"][0]),
             "z": len(band_col), "v": len(band_col), "e": m}
    start, at = {}, 0
    for key, size in sizes.items():
        start[key] = at
        at += size
    return _Layout(m, pairs, start, np.asarray(band_col, dtype=int), np.asarray(band_ride, dtype=float), at)


def _rows(lay: _Layout, opts: Options, pupils: np.ndarray, served: np.ndarray, minutes: np.ndarray,
          caps: np.ndarray | None) -> Rows:
    """Assignment, linking, seats, walk-first, nearest boarding, buses and beds."""
    rows = Rows(lay.n)
    modes = ("x", "b", "d")
    served_rows = np.flatnonzero(served)
    where = np.full(len(served), -1)
    where[served_rows] = np.arange(len(served_rows))
    rows.add([(where[lay.pairs[k][0]], lay.index(k), 1.0) for k in modes], 1.0, 1.0, count=len(served_rows))
    for k in modes:  # a pair only at an open column
        i, j = lay.pairs[k]
        rows.add([(np.arange(len(i)), lay.index(k), 1.0), (np.arange(len(i)), j, -1.0)], -np.inf, 0.0, count=len(i))
    if caps is not None:
        limited = np.flatnonzero(np.isfinite(caps))
        row_of = np.full(lay.m, -1)
        row_of[limited] = np.arange(len(limited))
        entries = [(row_of[lay.pairs[k][1]], lay.index(k), pupils[lay.pairs[k][0]]) for k in modes]
        entries = [(r[r >= 0], c[r >= 0], np.asarray(v)[r >= 0]) for r, c, v in entries]
        rows.add([*entries, (np.arange(len(limited)), limited, -caps[limited])], -np.inf, 0.0, count=len(limited))
    _walk_first(rows, lay, opts)
    _nearest_board(rows, lay, minutes)
    _bus_rows(rows, lay, opts, pupils)
    i, j = lay.pairs["d"]  # beds: e_j ≥ boarders_j − beds today
    rows.add([(j, lay.index("d"), pupils[i]), (np.arange(lay.m), lay.index("e"), -1.0)], -np.inf, opts.beds,
             count=lay.m)
    return rows


def _walk_first(rows: Rows, lay: _Layout, opts: Options) -> None:
    """Σ_j (b + d)_ij + y_k ≤ 1 for each k within the walking limit of i."""
    wi, wk = np.nonzero(opts.walk)
    if not len(wi):
        return
    block = np.arange(len(wi))
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray | float]] = [(block, wk, 1.0)]
    for key in ("b", "d"):
        i, _ = lay.pairs[key]
        if not len(i):
            continue
        # each walk row (i, k) takes every bus/board variable of row i
        order = np.argsort(wi, kind="stable")
        starts = np.searchsorted(wi[order], i, side="left")
        counts = np.searchsorted(wi[order], i, side="right") - starts
        entries.append((order[_expand(starts, counts)], np.repeat(lay.index(key), counts), 1.0))
    rows.add(entries, -np.inf, 1.0, count=len(wi))


def _nearest_board(rows: Rows, lay: _Layout, minutes: np.ndarray) -> None:
    """d_ij + Σ_{k nearer i than j} y_k ≤ 1 (k that may serve; ties are not nearer)."""
    i, j = lay.pairs["d"]
    if not len(i):
        return
    reach = np.where(np.isfinite(minutes), minutes, np.inf)
    nearer = reach[i] < reach[i, j][:, None]          # (pairs, columns)
    pr, pk = np.nonzero(nearer)
    rows.add([(np.arange(len(i)), lay.index("d"), 1.0), (pr, pk, 1.0)], -np.inf, 1.0, count=len(i))


def _bus_rows(rows: Rows, lay: _Layout, opts: Options, pupils: np.ndarray) -> None:
    """One ride band per column with buses; riders within its band; enough vehicles."""
    i, j = lay.pairs["b"]
    if not len(i):
        return
    cols = np.unique(lay.band_col)
    k = np.arange(len(cols))
    rows.add([(np.searchsorted(cols, lay.band_col), lay.index("z"), 1.0), (k, cols, -1.0)], -np.inf, 0.0,
             count=len(cols))
    ride = opts.ride[i, j]
    pr, pb = np.nonzero((lay.band_col[None, :] == j[:, None]) & (lay.band_ride[None, :] >= ride[:, None] - 1e-9))
    rows.add([(np.arange(len(i)), lay.index("b"), 1.0), (pr, lay.index("z")[pb], -1.0)], -np.inf, 0.0, count=len(i))
    # vehicles of a band: at most enough for every pupil its rides could carry
    most = np.ceil(np.bincount(pb, weights=pupils[i[pr]], minlength=len(lay.band_col)) / opts.seats)
    nb = len(lay.band_col)
    rows.add([(np.arange(nb), lay.index("v"), 1.0), (np.arange(nb), lay.index("z"), -most)], -np.inf, 0.0, count=nb)
    rows.add([(np.searchsorted(cols, j), lay.index("b"), pupils[i]),
              (np.searchsorted(cols, lay.band_col), lay.index("v"), -float(opts.seats))], -np.inf, 0.0,
             count=len(cols))


@dataclass
class _Start:
    """A layout worked out by the rules of evaluation: who walks, rides or boards where."""

    open: np.ndarray       # (columns,) bool
    mode: np.ndarray       # (rows,) 0 walk, 1 bus, 2 board, −1 none
    column: np.ndarray     # (rows,) column index
    cost: float


def _follow_rules(lay: _Layout, opts: Options, pupils: np.ndarray, served: np.ndarray, open_: np.ndarray) -> _Start:
    """The cost of keeping ``open_`` when every served row walks to its nearest open column
    within the limit, else rides to its nearest by road, else boards at its nearest (inf when
    a row has none of these), buses at each column run at its longest ride."""
    n, m = opts.walk.shape
    walk_min = np.where(opts.walk & open_, opts.minutes, np.inf)
    ride = np.where(opts.bus & open_, np.nan_to_num(opts.ride, nan=np.inf), np.inf)
    board = np.where(opts.board & open_, opts.minutes, np.inf)
    mode, column = np.full(n, -1), np.zeros(n, dtype=int)
    for k, table in enumerate((walk_min, ride, board)):
        best = np.argmin(table, axis=1)
        now = (mode < 0) & np.isfinite(table[np.arange(n), best]) & served
        mode[now], column[now] = k, best[now]
    if ((mode < 0) & served).any():
        return _Start(open_, mode, column, np.inf)
    bands, vehicles = _fleet(lay, opts, pupils, mode, column)
    cost = float(opts.open_cost[open_].sum()) + float((vehicles * (opts.bus_once + opts.years * (
        opts.bus_yearly + lay.band_ride[bands] * opts.km_per_minute * opts.per_km))).sum())
    boarders = np.bincount(column[mode == 2], weights=pupils[mode == 2], minlength=m)
    cost += float((np.ceil(np.clip(boarders - opts.beds, 0, None) - 1e-9) * opts.bed).sum())
    cost += float(boarders.sum() * opts.subsidy * opts.years)
    return _Start(open_, mode, column, cost)


def _fleet(lay: _Layout, opts: Options, pupils: np.ndarray, mode: np.ndarray, column: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """The buses of a layout: per column with riders (mode 1), the band of its longest ride
    (an index of ``lay.band_ride``) and the vehicles its riders fill."""
    bused = mode == 1
    riders = np.bincount(column[bused], weights=pupils[bused], minlength=lay.m)
    longest = np.zeros(lay.m)
    np.maximum.at(longest, column[bused], opts.ride[np.flatnonzero(bused), column[bused]])
    cols = np.flatnonzero(riders > 0)
    bands = np.array([np.flatnonzero(lay.band_col == c)[np.searchsorted(lay.band_ride[lay.band_col == c],
                                                                        longest[c] - 1e-9)] for c in cols], dtype=int)
    return bands, np.ceil(riders[cols] / opts.seats - 1e-9)


def _greedy(lay: _Layout, opts: Options, pupils: np.ndarray, served: np.ndarray, lower: np.ndarray,
            upper: np.ndarray, *, passes: int = 20) -> _Start:
    """A good first layout for the solver (the rules of :func:`_follow_rules`): every column
    that may open, then the one whose closing saves most closed, again and again; then the
    best swap of an open column for a closed one (or opening one), while any saves."""
    best = _follow_rules(lay, opts, pupils, served, upper > 0)
    m = len(upper)
    while np.isfinite(best.cost):  # drop
        trials = [_follow_rules(lay, opts, pupils, served, best.open & (np.arange(m) != j))
                  for j in np.flatnonzero(best.open & (lower < 1))]
        better = min(trials, key=lambda trial: trial.cost, default=best)
        if better.cost >= best.cost - 1e-6:
            break
        best = better
    for _ in range(passes if np.isfinite(best.cost) else 0):  # swap (or add)
        closed = np.flatnonzero(~best.open & (upper > 0))
        out = [-1, *np.flatnonzero(best.open & (lower < 1))]
        trials = []
        for k in closed:
            for j in out:
                layout = best.open.copy()
                layout[k] = True
                if j >= 0:
                    layout[j] = False
                trials.append(_follow_rules(lay, opts, pupils, served, layout))
        better = min(trials, key=lambda trial: trial.cost, default=best)
        if better.cost >= best.cost - 1e-6:
            break
        best = better
    return best


def _start_vector(lay: _Layout, opts: Options, pupils: np.ndarray, start: _Start) -> np.ndarray:
    """The model's variables for a layout of :func:`_greedy`."""
    x = np.zeros(lay.n)
    x[lay.index("y")] = start.open
    for k, key in enumerate(("x", "b", "d")):
        i, j = lay.pairs[key]
        x[lay.index(key)] = (start.mode[i] == k) & (start.column[i] == j)
    bands, vehicles = _fleet(lay, opts, pupils, start.mode, start.column)
    x[lay.index("z")[bands]] = 1.0
    x[lay.index("v")[bands]] = vehicles
    board = start.mode == 2
    boarders = np.bincount(start.column[board], weights=pupils[board], minlength=lay.m)
    x[lay.index("e")] = np.ceil(np.clip(boarders - opts.beds, 0, None) - 1e-9)
    return x


def _costs(lay: _Layout, opts: Options, pupils: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Present value of every variable, and what it spends once (for a budget)."""
    npv, once = np.zeros(lay.n), np.zeros(lay.n)
    npv[lay.index("d")] = pupils[lay.pairs["d"][0]] * opts.subsidy * opts.years
    npv[lay.index("y")], once[lay.index("y")] = opts.open_cost, opts.one_off
    km = lay.band_ride * opts.km_per_minute * opts.per_km
    npv[lay.index("v")] = opts.bus_once + opts.years * (opts.bus_yearly + km)
    once[lay.index("v")] = opts.bus_price
    npv[lay.index("e")], once[lay.index("e")] = opts.bed, opts.bed
    return npv, once


def _travel(lay: _Layout, opts: Options, pupils: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Pupil-minutes of every variable (the second stage): walks, bus trips, boarders."""
    travel = np.zeros(lay.n)
    i, j = lay.pairs["x"]
    travel[lay.index("x")] = pupils[i] * minutes[i, j]
    i, j = lay.pairs["b"]
    travel[lay.index("b")] = pupils[i] * opts.trip[i, j]
    travel[lay.index("d")] = pupils[lay.pairs["d"][0]] * opts.board_minutes
    return travel


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[0], starts[0]+1, … (counts[0] of them), then starts[1], …: the ranges, joined.

    >>> _expand(np.array([5, 0]), np.array([2, 3]))
    array([5, 6, 0, 1, 2])
    """
    total = int(counts.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


def least_cost(demand: Demand, *, project: Project, inputs: LevelInputs, level: str, limit: float,
               common: dict[str, Any], open_cost: np.ndarray, one_off: np.ndarray,
               objective: str = "npv") -> dict[str, Any]:
    """The least-cost layout of ``demand`` (today's pupils) with buses and beds bought where
    they cost less (see the module docstring); ``common`` holds the plan's options
    (``open_``, ``closed``, ``single_source``, ``solver_seconds``, ``budget``).
    ``objective="one_off"`` minimises what the plan spends once instead (a budget's floor).

    Returns
    -------
    The fields of a :class:`planning.optimise.Solution`: ``open``, ``assignment``,
    ``objective`` (yuan), ``status``, ``gap``, ``bound``, ``seconds``, ``notes`` and ``purchases``.
    """
    opts = options(project, inputs, level, demand.minutes, limit=limit, open_cost=open_cost, one_off=one_off,
                   closed=common.get("closed"))
    served = ~opts.lonely
    lay = _layout(opts, served)
    model = _model(lay, opts, demand, served, common)
    if objective == "one_off":
        model = replace(model, cost=_costs(lay, opts, demand.pupils)[1])
    seconds = common.get("solver_seconds")
    start = _greedy(lay, opts, demand.pupils, served, model.col_lower[lay.index("y")], model.col_upper[lay.index("y")])
    initial = _start_vector(lay, opts, demand.pupils, start) if np.isfinite(start.cost) else None
    first = model.solve(seconds=seconds, mip_gap=1e-6, initial=initial)
    if not first.has_solution:
        raise InfeasibleError(Message("infeasible.no_solution", what=Message("infeasible.what_transport"),
                                      status=first.status))
    notes = _lonely_notes(opts, demand, limit, project)
    best, spent = first, first.seconds
    if first.optimal:  # among the cheapest, the least travel (not worth a second time limit otherwise)
        travel = _travel(lay, opts, demand.pupils, demand.minutes)
        ceiling = first.objective + max(1e-6, 1e-9 * abs(first.objective))
        second = model.with_row(model.cost, -np.inf, ceiling).solve(cost=travel, seconds=seconds, mip_gap=1e-6,
                                                                    initial=first.x)
        best, spent = (second if second.has_solution else first), spent + second.seconds
    else:
        notes.append(Message("plan.cost_not_proven", gap=f"{first.gap:.1%}", seconds=f"{first.seconds:.0f}")
                     if np.isfinite(first.gap) else Message("plan.cost_no_bound", seconds=f"{first.seconds:.1f}"))
    return {"open": np.flatnonzero(best.x[lay.index("y")] > 0.5), "assignment": _assignment(lay, best, len(served)),
            "objective": float(model.cost @ best.x), "status": first.status, "gap": first.gap, "bound": first.bound,
            "seconds": spent, "notes": notes, "purchases": purchases(lay, best, demand, inputs)}


def _model(lay: _Layout, opts: Options, demand: Demand, served: np.ndarray, common: dict[str, Any]) -> Model:
    caps = None if demand.capacities is None else np.asarray(demand.capacities, dtype=float)
    rows = _rows(lay, opts, demand.pupils, served, demand.minutes, caps)
    npv, once = _costs(lay, opts, demand.pupils)
    budget = common.get("budget")
    if budget is not None:  # what the plan spends once: schools and sites kept, buses and beds bought
        rows.add([(np.zeros(lay.n, dtype=int), np.arange(lay.n), once)], -np.inf, float(budget[1]), count=1)
    lower, upper = np.zeros(lay.n), np.full(lay.n, np.inf)
    y = lay.index("y")
    upper[y] = 1.0
    upper[np.r_[lay.index("x"), lay.index("b"), lay.index("d"), lay.index("z")]] = 1.0
    lower[y[list(common.get("open_") or [])]] = 1.0
    upper[y[list(common.get("closed") or [])]] = 0.0
    integer = np.ones(lay.n, dtype=bool)
    if not common.get("single_source", True):  # a village may split between schools and modes
        integer[np.r_[lay.index("x"), lay.index("b"), lay.index("d")]] = False
    return Model.from_rows(npv, rows, col_lower=lower, col_upper=upper, integer=integer)


def _assignment(lay: _Layout, sol: MilpResult, n_rows: int) -> np.ndarray:
    """The column of each row's largest share (−1 for rows left out)."""
    assignment, best = np.full(n_rows, -1), np.zeros(n_rows)
    for key in ("x", "b", "d"):
        i, j = lay.pairs[key]
        for r, c, v in zip(i, j, sol.x[lay.index(key)], strict=True):
            if v > best[r] + 1e-9:
                best[r], assignment[r] = v, c
    return assignment


def purchases(lay: _Layout, sol: MilpResult, demand: Demand, inputs: LevelInputs) -> pd.DataFrame:
    """What the plan buys, per column that gets any: ``buses``, the longest ride they are
    paid for ``max_ride`` (minutes; the longest of their riders' unless a school has more
    than :data:`MAX_BANDS` rides), ``bus_villages`` (ids), ``bus_riders``, ``boarders`` and
    ``beds_added``."""
    x = sol.x
    ids = inputs.columns.index
    i, j = lay.pairs["b"]
    rides = x[lay.index("b")] > 0.5
    riders = np.bincount(j, weights=demand.pupils[i] * x[lay.index("b")], minlength=lay.m)
    di, dj = lay.pairs["d"]
    boarders = np.bincount(dj, weights=demand.pupils[di] * x[lay.index("d")], minlength=lay.m)
    vehicles = np.bincount(lay.band_col, weights=np.round(x[lay.index("v")]), minlength=lay.m)
    ride = np.zeros(lay.m)
    used = np.round(x[lay.index("z")]) > 0.5
    ride[lay.band_col[used]] = lay.band_ride[used]
    ride[vehicles == 0] = 0.0  # a band without a bus is no decision
    beds = np.round(x[lay.index("e")]) + 0.0  # never −0
    table = pd.DataFrame({"name": inputs.columns["name"], "buses": vehicles, "max_ride": ride,
                          "bus_villages": [tuple(str(v) for v in demand.villages[i[rides & (j == c)]])
                                           for c in range(lay.m)],
                          "bus_riders": riders, "boarders": boarders, "beds_added": beds}, index=ids)
    return table[(table["buses"] > 0) | (table["beds_added"] > 0) | (table["boarders"] > 1e-9)]


def _lonely_notes(opts: Options, demand: Demand, limit: float, project: Project) -> list[Message]:
    lonely = np.flatnonzero(opts.lonely)
    if not len(lonely):
        return []
    return [Message("plan.no_way", n=len(lonely), weight=f"{demand.pupils[lonely].sum():,.0f}", limit=f"{limit:g}",
                    ride=f"{project.policy.bus_max_ride_minutes:g}", grade=project.policy.boarding_min_grade,
                    names=Listing([demand.labels[int(r)] for r in lonely], sep="sep.names", most=15))]


__all__ = ["MAX_BANDS", "Options", "bands", "least_cost", "options", "purchases"]
