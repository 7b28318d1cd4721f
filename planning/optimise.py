"""Location-allocation: which schools to keep, close or open, solved exactly with HiGHS.

The core works on a cost matrix (rows: villages or demand points; columns: schools and
candidate sites), like spopt's ``from_cost_matrix``; :func:`plan` only extracts the matrix
from a project and turns the answer into a :class:`~planning.Scenario`.

Goals
-----
``p_median``      least total weighted cost with ``p`` open columns (optionally capacitated,
                  optionally with ``max_cost`` as a hard limit)
``set_cover``     fewest open columns such that every row is within ``max_cost`` (and
                  capacity holds); then, among those, least total cost
``max_coverage``  most weight within ``max_cost`` of an open column, with ``p`` open

Formulation (strong): y_j ∈ {0,1} open; x_ij assignment, x_ij ≤ y_j; Σ_j x_ij = 1 (or the
covered share); Σ_i d_i x_ij ≤ C_j y_j where capacities are given. With capacities and
``single_source`` (villages zoned whole), x is binary; otherwise continuous (for the
uncapacitated p-median the strong formulation needs no integral x).

Set cover and max coverage where no seat limit can bind (and nothing is phased) need no
x_ij: they are solved in their compact form, reduced by dominance first
(:mod:`planning.covering`), each row then at its nearest open column.

The uncapacitated p-median (no capacities, no budget; a walking limit allowed) is solved
instead by Benders decomposition of the radius formulation (:mod:`planning.benders`): the
same optimum, proven, in a fraction of the time on hundreds of rows and columns. An answer's
``method`` says which was used; when the time limit stops it, the best plan found is
returned with the bound and gap, never an error that no plan exists.

    >>> import numpy as np
    >>> from planning.optimise import p_median
    >>> line = np.abs(np.subtract.outer(np.arange(5) * 10.0, np.arange(5) * 10.0))  # 5 villages 10 apart
    >>> answer = p_median(line, 2)
    >>> answer.objective, answer.status
    (30.0, 'Optimal')
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from tqdm.auto import tqdm

from . import benders, capacitated, covering, settings
from .changes import village_changes
from .columns import SCHOOL_GRADES
from .costs import annuity
from .edits import grade_words
from .errors import InfeasibleError, PlanningError, ValidationError
from .evaluate import Result, level_summary
from .forecast import Forecast
from .i18n import Listing, Message, t
from .milp import MilpResult, Model, Rows
from .policy import LEVEL_GRADES
from .project import Project
from .scenario import Scenario, baseline
from .transport import least_cost as _least_cost_transport

if TYPE_CHECKING:
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)


@dataclass
class Solution:
    """An optimiser's answer.

    Attributes
    ----------
    open
        Indices of the open columns.
    assignment
        Column index per row (−1 where a row is not covered: ``max_coverage`` only).
    objective
        Σ over rows of weight × cost of the assignment (for ``max_coverage``: the covered weight).
    status
        "Optimal" only when proven (within the relative gap asked for); "Time limit reached"
        when the solver stopped at its time limit with the plan found so far; HiGHS's status
        otherwise.
    gap
        Relative MIP gap (0 when proven optimal).
    bound
        Best proven bound on the objective.
    seconds
        Solve time (seconds).
    notes
        What the solver or the checks want the planner to know.
    open_by_period
        Phased problems only: which columns are open (periods × columns, booleans).
    purchases
        Least cost with ``transport``: the buses and beds bought per column
        (:func:`planning.transport.purchases`); None otherwise.
    method
        How it was solved (words in the catalogue, ``method.*``): ``"milp"``, the strong
        formulation by HiGHS; ``"benders"``, Benders decomposition of the radius formulation
        with HiGHS (:mod:`planning.benders`), from a greedy + interchange start;
        ``"lagrangian"``, villages zoned whole under seats: Lagrangian (knapsack) bounds,
        fixing of what cannot beat the incumbent, then HiGHS (:mod:`planning.capacitated`);
        ``"lagrangian_sets"``, the same bounds and fixing, then every set of open columns
        ruled out by Lagrangian cuts or assigned exactly (:func:`planning.capacitated.by_sets`,
        when the sets are few).
    """

    open: np.ndarray
    assignment: np.ndarray
    objective: float
    status: str
    gap: float
    bound: float
    seconds: float
    notes: list[Message] = field(default_factory=list)
    open_by_period: np.ndarray | None = None
    purchases: pd.DataFrame | None = None
    method: str = "milp"

    @property
    def optimal(self) -> bool:
        """True when optimality is proven."""
        return self.status == "Optimal"


@dataclass
class Problem:
    """A location-allocation request on a cost matrix, checked and ready to model.

    Attributes
    ----------
    cost
        Cost matrix (rows × columns); NaN or inf where a pair is impossible.
    weights, demand
        Objective weight and capacity use of each row.
    allowed
        Pairs that may be used (finite, within ``max_cost``, column may open).
    y_lower, y_upper
        Bounds of each column's open variable (1/1 kept open, 0/0 closed).
    labels, unit
        Row names and the cost's unit, for messages.
    period, period_labels
        Period (index into ``period_labels``, e.g. years) of each row; one period when
        the rows are not split into periods.
    """

    cost: np.ndarray
    weights: np.ndarray
    demand: np.ndarray
    allowed: np.ndarray
    y_lower: np.ndarray
    y_upper: np.ndarray
    labels: Sequence[object]
    unit: str | Message = ""
    period: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    period_labels: Sequence[object] = (0,)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the cost matrix."""
        n, m = self.cost.shape
        return int(n), int(m)

    @property
    def periods(self) -> int:
        """Number of periods."""
        return len(self.period_labels)

    def capacity_table(self, capacities: ArrayLike) -> np.ndarray:
        """Capacities per period (rows) and column; one row given holds in every period."""
        caps = np.asarray(capacities, dtype=float)
        return np.broadcast_to(caps, (self.periods, caps.shape[-1])) if caps.ndim == 1 else caps

    def demand_by_period(self) -> np.ndarray:
        """Σ demand of the rows of each period."""
        return np.bincount(self.period, weights=self.demand, minlength=self.periods)


def _problem(cost: ArrayLike, *, weights: ArrayLike | None, demand: ArrayLike | None, max_cost: float | None,
             open_: Sequence[int] | None, closed: Sequence[int] | None, labels: Sequence[object] | None,
             unit: str | Message, periods: Sequence[object] | None = None) -> Problem:
    matrix = np.asarray(cost, dtype=float)
    n, m = matrix.shape
    weight = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    use = weight if demand is None else np.asarray(demand, dtype=float)
    allowed = np.isfinite(matrix)
    if max_cost is not None:
        allowed &= matrix <= max_cost
    y_lo, y_hi = np.zeros(m), np.ones(m)
    if open_ is not None:
        y_lo[np.asarray(open_, dtype=int)] = 1
    if closed is not None:
        y_hi[np.asarray(closed, dtype=int)] = 0
    if (y_lo > y_hi).any():
        both = np.flatnonzero(y_lo > y_hi).tolist()
        raise InfeasibleError(Message("infeasible.both_open_and_closed", columns=Listing(both)))
    allowed &= (y_hi > 0)[None, :]
    codes, uniques = pd.factorize(np.asarray(periods), sort=True) if periods is not None else (np.zeros(n, int), [0])
    return Problem(matrix, weight, use, allowed, y_lo, y_hi, list(labels) if labels is not None else list(range(n)),
                   unit, np.asarray(codes, dtype=int), list(uniques))


def _unreachable(problem: Problem, max_cost: float | None) -> None:
    lonely = np.flatnonzero(~problem.allowed.any(axis=1))
    if len(lonely):
        names = Listing([problem.labels[int(i)] for i in lonely], most=15)
        limit = (Message("infeasible.beyond", limit=f"{max_cost:g}", unit=problem.unit) if max_cost is not None
                 else Message("infeasible.out_of_reach"))
        key = "infeasible.unreachable_one" if len(lonely) == 1 else "infeasible.unreachable_many"
        raise InfeasibleError(Message(key, names=names, limit=limit))


@dataclass
class _Built:
    """A location model: variables [y (columns; per period when phased) | x (allowed pairs) | z (rows; cover only)].

    ``y_of`` gives the open variable of each (period, column)."""

    model: Model
    pair_row: np.ndarray
    pair_col: np.ndarray
    pair_cost: np.ndarray
    y_of: np.ndarray

    @property
    def n_y(self) -> int:
        """Number of open variables."""
        return int(self.y_of.max()) + 1

    def count(self) -> np.ndarray:
        """Objective coefficients counting open variables (columns, or column-periods when phased)."""
        return np.r_[np.ones(self.n_y), np.zeros(len(self.model.cost) - self.n_y)]


def _model(problem: Problem, capacities: ArrayLike | None, single_source: bool, *, cover: bool,
           phase: np.ndarray | None = None, budget: tuple[np.ndarray, float] | None = None) -> _Built:
    """The strong formulation (see the module docstring) as a :class:`~planning.milp.Model`,
    with one capacity row per period and column, and open variables per period when ``phase``
    is given (see :func:`_phase_rows`)."""
    n, m = problem.shape
    periods = problem.periods
    y_of = (np.arange(periods * m).reshape(periods, m) if phase is not None
            else np.broadcast_to(np.arange(m), (periods, m)))
    n_y = periods * m if phase is not None else m
    pi, pj = np.nonzero(problem.allowed)
    n_pairs = len(pi)
    nz = n if cover else 0
    x, z = n_y + np.arange(n_pairs), n_y + n_pairs + np.arange(nz)
    rows = Rows(n_y + n_pairs + nz)
    # each row assigned once (or its covered share z_i)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray | float]] = [(pi, x, 1.0)]
    if cover:
        entries.append((np.arange(n), z, -1.0))
    rows.add(entries, 0.0 if cover else 1.0, 0.0 if cover else 1.0, count=n)
    # x_ij <= y_j (strong linking; y_j of the row's period when phased)
    rows.add([(np.arange(n_pairs), x, 1.0), (np.arange(n_pairs), y_of[problem.period[pi], pj], -1.0)], -np.inf, 0.0,
             count=n_pairs)
    if capacities is not None:
        _capacity_rows(rows, problem, problem.capacity_table(capacities), pi, pj, x, y_of, aggregate=not cover)
    if phase is not None:
        _phase_rows(rows, y_of, phase)
    if budget is not None:  # Σ_j cost_j y_j ≤ budget (the columns' one-off costs)
        spend, amount = budget
        rows.add([(np.zeros(m, int), np.arange(m), np.asarray(spend, dtype=float))], -np.inf, amount, count=1)
    integer = np.r_[np.ones(n_y, dtype=bool), np.full(n_pairs, capacities is not None and single_source),
                    np.zeros(nz, dtype=bool)]
    pair_cost = problem.weights[pi] * problem.cost[pi, pj]
    times = n_y // m
    model = Model.from_rows(np.zeros(n_y + n_pairs + nz), rows,
                            col_lower=np.r_[np.tile(problem.y_lower, times), np.zeros(n_pairs + nz)],
                            col_upper=np.r_[np.tile(problem.y_upper, times), np.ones(n_pairs + nz)], integer=integer)
    return _Built(model, pi, pj, pair_cost, np.asarray(y_of))


def _capacity_rows(rows: Rows, problem: Problem, caps: np.ndarray, pi: np.ndarray, pj: np.ndarray,
                   x: np.ndarray, y_of: np.ndarray, *, aggregate: bool) -> None:
    """Σ_i d_it x_ijt − C_jt y_j ≤ 0 per period t and column j with a capacity (rows of period
    t only); with ``aggregate`` (every row assigned: not for max coverage, which may leave
    rows out), per period where all columns have one, Σ_j C_jt y_j ≥ Σ_i d_it."""
    periods, m = caps.shape
    limited = np.isfinite(caps)
    row_of = np.full((periods, m), -1)
    row_of[limited] = np.arange(int(limited.sum()))
    lt, lj = np.nonzero(limited)
    pair_row = row_of[problem.period[pi], pj]
    sel = pair_row >= 0
    rows.add([(pair_row[sel], x[sel], problem.demand[pi[sel]]), (np.arange(len(lt)), y_of[lt, lj], -caps[lt, lj])],
             -np.inf, 0.0, count=len(lt))
    full = np.flatnonzero(limited.all(axis=1)) if aggregate else np.zeros(0, dtype=int)
    if len(full):  # aggregate cut: the open seats must hold all demand of the period (tightens the LP)
        rows.add([(np.repeat(np.arange(len(full)), m), y_of[full].ravel(), caps[full].ravel())],
                 problem.demand_by_period()[full], np.inf, count=len(full))


def _phase_rows(rows: Rows, y_of: np.ndarray, phase: np.ndarray) -> None:
    """y_j(t+1) ≤ y_j(t) where ``phase`` is +1 (a school closed stays closed) and
    y_j(t) ≤ y_j(t+1) where it is −1 (a site opened stays open); 0 leaves a column free."""
    periods, m = y_of.shape
    if periods < 2:
        return
    t, j = (a.ravel() for a in np.meshgrid(np.arange(periods - 1), np.arange(m), indexing="ij"))
    sign = np.asarray(phase, dtype=float)[j]
    k = np.arange(len(t))
    rows.add([(k, y_of[t + 1, j], sign), (k, y_of[t, j], -sign)], -np.inf, 0.0, count=len(t))


#: HiGHS statuses of a solve stopped by a limit, not by what the model allows
_LIMITS = ("Time limit reached", "Iteration limit reached")


def _answer(sol: MilpResult, built: _Built, n: int, m: int, *, what: Message, seconds: float | None = None
            ) -> Solution:
    """The solution in ``sol``; without one, why: the time limit (``seconds``) ran out
    (:func:`out_of_time`), or no plan meets the request (InfeasibleError)."""
    if not sol.has_solution:
        if sol.status in _LIMITS:
            raise out_of_time(what, seconds if seconds is not None else sol.seconds)
        raise InfeasibleError(Message("infeasible.no_solution", what=what, status=sol.status))
    n_y = built.n_y
    x = sol.x[n_y:n_y + len(built.pair_row)]
    assignment = np.full(n, -1)
    best = np.zeros(n)
    for i, j, v in zip(built.pair_row, built.pair_col, x, strict=True):  # the largest share of each row
        if v > best[i] + 1e-9:
            best[i], assignment[i] = v, j
    y = sol.x[:n_y].reshape(-1, m) > 0.5
    return Solution(open=np.flatnonzero(y.any(axis=0)), assignment=assignment, objective=sol.objective,
                    status=sol.status, gap=sol.gap, bound=sol.bound, seconds=sol.seconds,
                    open_by_period=y if n_y > m else None)


def out_of_time(what: Message, seconds: float) -> PlanningError:
    """The error for a solver stopped by its time limit before it found any plan: not a
    sign that no plan exists; more time or a smaller problem is what helps."""
    return PlanningError(Message("error.solver_out_of_time", what=what, seconds=f"{seconds:.3g}"))


def _check_room(problem: Problem, capacities: ArrayLike | None, *, p: int | None = None) -> None:
    """Before solving: in every period, the seats of all columns that may open (of the ``p``
    largest when given) must hold the demand."""
    if capacities is None:
        return
    caps = problem.capacity_table(np.nan_to_num(np.asarray(capacities, dtype=float), nan=np.inf))
    room = np.where(problem.y_upper[None, :] > 0, caps, 0)
    if p is not None:
        room = -np.sort(-room, axis=1)[:, :p]
    seats, need = room.sum(axis=1), problem.demand_by_period()
    short = np.flatnonzero(seats < need)
    if not len(short):
        return
    t = int(short[0])
    figures = {"demand": f"{need[t]:,.0f}", **({"best": f"{seats[t]:,.0f}", "p": p} if p is not None
                                                 else {"room": f"{seats[t]:,.0f}"})}
    key = "infeasible.capacity_p" if p is not None else "infeasible.capacity_all"
    if problem.periods > 1:
        figures["period"] = str(problem.period_labels[t])
        key += "_period"
    raise InfeasibleError(Message(key, **figures))


def _check_count(p: int, problem: Problem) -> None:
    may_open = int(problem.y_upper.sum())
    if not 1 <= p <= may_open:
        raise InfeasibleError(Message("infeasible.p_range", p=p, may_open=may_open))
    if problem.y_lower.sum() > p:
        raise InfeasibleError(Message("infeasible.kept_over_p", kept=int(problem.y_lower.sum()), p=p))


def p_median(cost: ArrayLike, p: int, *, weights: ArrayLike | None = None, demand: ArrayLike | None = None,
             capacities: ArrayLike | None = None, max_cost: float | None = None, single_source: bool = True,
             open_: Sequence[int] | None = None, closed: Sequence[int] | None = None,
             solver_seconds: float | None = None, mip_gap: float = 1e-6, labels: Sequence[object] | None = None,
             unit: str | Message = "", periods: Sequence[object] | None = None,
             budget: tuple[np.ndarray, float] | None = None) -> Solution:
    """Open ``p`` columns minimising Σ weight × cost of each row's assignment.

    Parameters
    ----------
    cost
        Cost matrix (rows × columns), e.g. walking minutes; NaN/inf where a pair is impossible.
    p
        Number of columns to open.
    weights
        Objective weight per row (e.g. pupils); 1 when None.
    demand
        Capacity use per row (pupils); ``weights`` when None.
    capacities
        Capacity per column (same unit as ``demand``); NaN for unlimited; None for the
        uncapacitated problem. With ``periods``: per period (rows, in the order of the sorted
        period labels) and column, or one row for every period.
    max_cost
        Pairs costing more are not allowed (the walking limit as a hard constraint).
    single_source
        With capacities: each row goes whole to one column (villages are zoned whole).
    open_, closed
        Columns that must stay open / must close.
    solver_seconds
        Time limit of the solver (seconds); None for none.
    labels, unit
        Row names and the cost unit, for messages.
    periods
        The period (e.g. the year) of each row, for a multi-period problem: one set of open
        columns serves every period; each period's rows are assigned and each period's
        capacity holds on its own (a row is a village in one year). The objective sums
        over the periods.
    budget
        ``(cost per column, amount)``: the open columns' costs may add up to at most the
        amount (e.g. the one-off spending a county can afford).

    ``method``: "benders" (no seats, no budget) or "lagrangian" / "lagrangian_sets" (whole
    villages, some seats, one period, no budget) return the best plan at a time limit; "milp"
    raises PlanningError then."""
    problem = _problem(cost, weights=weights, demand=demand, max_cost=max_cost, open_=open_, closed=closed,
                       labels=labels, unit=unit, periods=periods)
    _check_count(p, problem)
    _unreachable(problem, max_cost)
    _check_room(problem, capacities, p=p)
    what = Message("infeasible.what_p_median", p=p)
    if capacities is None and budget is None:
        return _p_median_benders(problem, p, seconds=solver_seconds, mip_gap=mip_gap, what=what)
    if capacities is not None and single_source and problem.periods == 1 and budget is None \
            and np.isfinite(np.asarray(capacities, dtype=float)).any():
        return _capacitated(problem, p, capacities, seconds=solver_seconds, mip_gap=mip_gap, what=what)
    n, m = problem.shape
    built = _model(problem, capacities, single_source, cover=False, budget=budget)
    model = built.model.with_row(np.r_[np.ones(m), np.zeros(len(built.model.cost) - m)], p, p)
    sol = model.solve(cost=np.r_[np.zeros(m), built.pair_cost], seconds=solver_seconds, mip_gap=mip_gap)
    return _answer(sol, built, n, m, what=what, seconds=solver_seconds)


def _p_median_benders(problem: Problem, p: int, *, seconds: float | None, mip_gap: float, what: Message
                      ) -> Solution:
    """The uncapacitated p-median by :func:`planning.benders.p_median` on the weighted costs
    (rows of every period together: without capacities, periods share only the open columns).
    Stopped by the time limit, the best plan found (at least the greedy + interchange start)
    with its proven bound and gap, and a note saying so."""
    weighted = np.where(problem.allowed, problem.weights[:, None] * np.where(problem.allowed, problem.cost, 0.0),
                        np.inf)
    answer = benders.p_median(weighted, p, lower=problem.y_lower, upper=problem.y_upper, seconds=seconds,
                              mip_gap=mip_gap)
    if answer.status == "Infeasible":
        raise InfeasibleError(Message("infeasible.no_solution", what=what, status=answer.status))
    if not np.isfinite(answer.objective):
        raise out_of_time(what, seconds if seconds is not None else answer.seconds)
    solution = Solution(open=np.flatnonzero(answer.open), assignment=answer.assignment, objective=answer.objective,
                        status=answer.status, gap=answer.gap, bound=answer.bound, seconds=answer.seconds,
                        method="benders")
    if not solution.optimal:
        solution.notes.append(Message("plan.time_limit", seconds=f"{answer.seconds:.3g}", gap=f"{answer.gap:.2%}"))
    return solution


def _capacitated(problem: Problem, p: int, capacities: ArrayLike, *, seconds: float | None, mip_gap: float,
                 what: Message) -> Solution:
    """Villages zoned whole under seats, one period: Lagrangian bounds, fixing, then every
    set of open columns when they are few, else HiGHS (:mod:`planning.capacitated`), proven
    for every allowed pair. Stopped by the time limit,
    the best plan found with its proven bound and gap, and a note saying so."""
    pi, pj = np.nonzero(problem.allowed)
    seats = np.nan_to_num(problem.capacity_table(capacities)[0], nan=np.inf)
    pairs = capacitated.Pairs(pi, pj, problem.weights[pi] * problem.cost[pi, pj], problem.demand, seats, p,
                              problem.y_lower, problem.y_upper)
    answer = capacitated.solve(pairs, seconds=seconds, mip_gap=mip_gap)
    if not answer.has_solution:
        if answer.status == "Time limit reached":
            raise out_of_time(what, seconds if seconds is not None else answer.seconds)
        raise InfeasibleError(Message("infeasible.no_solution", what=what, status=answer.status))
    solution = Solution(open=answer.open, assignment=answer.assignment, objective=answer.objective,
                        status=answer.status, gap=answer.gap, bound=answer.bound, seconds=answer.seconds,
                        method="lagrangian_sets" if answer.method == "lagrangian + sets" else "lagrangian")
    if not solution.optimal:
        solution.notes.append(Message("plan.time_limit", seconds=f"{answer.seconds:.3g}", gap=f"{answer.gap:.2%}"))
    return solution


def set_cover(cost: ArrayLike, max_cost: float, *, weights: ArrayLike | None = None,
              demand: ArrayLike | None = None, capacities: ArrayLike | None = None, single_source: bool = True,
              open_: Sequence[int] | None = None, closed: Sequence[int] | None = None,
              solver_seconds: float | None = None, mip_gap: float = 1e-6, labels: Sequence[object] | None = None,
              unit: str | Message = "", periods: Sequence[object] | None = None,
              phase: ArrayLike | None = None, column_cost: ArrayLike | None = None,
              budget: tuple[np.ndarray, float] | None = None, least_walking: bool = True) -> Solution:
    """Fewest open columns so that every row is within ``max_cost`` (and capacities hold);
    among the fewest, least Σ weight × cost (a second exact solve). Parameters as
    :func:`p_median`; with ``column_cost`` (one per column), the open columns of least total
    cost instead of the fewest (a weighted set cover: the least-cost plan).

    ``phase`` (with ``periods``) lets each column open or close from a period on: +1 for a
    column that may close and then stays closed (a school), −1 for one that may open and
    then stays open (a site), 0 for free; "fewest" then counts column-periods (school-years)
    and ``open_by_period`` of the answer says which column is open in which period.

    Where no seat limit can bind (see :func:`_seats_bind`) and nothing is phased, the
    fewest (or cheapest) columns come from the compact covering model, reduced by
    dominance (:mod:`planning.covering`); otherwise from the strong model with x_ij.
    ``least_walking=False`` stops there (as spopt's LSCP): each row goes to its nearest
    open column, ``objective`` is that walking, ``status`` and ``gap`` are the first
    solve's, ``bound`` NaN (no bound on walking was sought).

    The second stage is exact: the least walking over every choice of the fewest (or
    cheapest) columns, a p-median with p that number over the pairs within the limit, with
    every column (column dominance does not hold for walking: the dominating column may be
    farther from the dominated one's villages). The first stage's columns with each row at
    its nearest are only its start: two choices of equally few columns can differ in
    walking. Without seats that bind it is solved in levels (the radius formulation,
    :func:`planning.covering.walking_model`), otherwise on the assignment model x_ij ≤ y_j.
    """
    problem = _problem(cost, weights=weights, demand=demand, max_cost=max_cost, open_=open_, closed=closed,
                       labels=labels, unit=unit, periods=periods)
    _unreachable(problem, max_cost)
    _check_room(problem, capacities)
    n, m = problem.shape
    if phase is None and not _seats_bind(problem, capacities):
        return _set_cover_compact(problem, column_cost=column_cost, budget=budget, seconds=solver_seconds,
                                  mip_gap=mip_gap, least_walking=least_walking)
    built = _model(problem, capacities, single_source, cover=False,
                   phase=None if phase is None else np.asarray(phase, dtype=float), budget=budget)
    fewest = built.model.solve(cost=_column_count(built, column_cost, m), seconds=solver_seconds, mip_gap=mip_gap)
    if not fewest.has_solution:
        return _answer(fewest, built, n, m, what=Message("infeasible.what_fewest"))
    if not least_walking:
        return _fewest_only(problem, built, fewest)
    return _least_walking_pairs(problem, built, fewest, fewest.x, column_cost=column_cost, seconds=solver_seconds,
                                mip_gap=mip_gap)


def _column_count(built: _Built, column_cost: ArrayLike | None, m: int) -> np.ndarray:
    """The first stage's objective on the strong model's variables: 1 per open variable, or
    the column's cost."""
    count = built.count()
    if column_cost is not None:
        count[: built.n_y] = np.tile(np.asarray(column_cost, dtype=float), built.n_y // m)
    return count


def _seats_bind(problem: Problem, capacities: ArrayLike | None) -> bool:
    """Whether some seat limit can bind: True when, in some period, the demand of all rows
    within a column's reach exceeds its seats. When none can, no assignment within the
    limit fills any column beyond its seats (x_ij ≤ 1 on allowed pairs only), the capacity
    rows and the aggregate seat row they imply are redundant, and the problem is
    uncapacitated (NaN seats: none)."""
    if capacities is None:
        return False
    n, _ = problem.shape
    caps = problem.capacity_table(np.nan_to_num(np.asarray(capacities, dtype=float), nan=np.inf))
    by_period = sparse.csr_matrix((problem.demand, (problem.period, np.arange(n))), shape=(problem.periods, n))
    reach = np.asarray(by_period @ problem.allowed.astype(float))
    return bool((reach > caps).any())


def _first_stage(fewest: MilpResult, y: np.ndarray, column_cost: ArrayLike | None) -> tuple[int, float, float]:
    """The number of columns the first stage opened (or of open variables when phased) and
    the bounds the second stage keeps its count (or cost) within: the same count, or no
    more than the least cost (with a hair of tolerance)."""
    if column_cost is None:
        k = int(round(fewest.objective))
        return k, k, k
    return int(round((y > 0.5).sum())), -np.inf, fewest.objective + max(1e-6, 1e-9 * abs(fewest.objective))


def _after_fewest(answer: Solution, fewest: MilpResult, k: int) -> Solution:
    """The second stage's answer with the first stage's time, and a note where the first
    stage did not prove its count (or cost) the least."""
    answer.seconds += fewest.seconds
    if not fewest.optimal:
        answer.status = f"fewest: {fewest.status}"
        answer.notes.append(Message("plan.not_minimal", k=k, gap=f"{fewest.gap:.1%}"))
    return answer


def _least_walking_pairs(problem: Problem, built: _Built, fewest: MilpResult, start: np.ndarray, *,
                         column_cost: ArrayLike | None, seconds: float | None, mip_gap: float) -> Solution:
    """The second stage on the strong model: least Σ weight × cost with the first stage's
    count (or no more than its cost), from ``start`` (a solution of ``built``)."""
    n, m = problem.shape
    count = _column_count(built, column_cost, m)
    k, lo, hi = _first_stage(fewest, start[: built.n_y], column_cost)
    cheapest = built.model.with_row(count, lo, hi).solve(cost=np.r_[np.zeros(built.n_y), built.pair_cost],
                                                         seconds=seconds, mip_gap=mip_gap, initial=start)
    return _after_fewest(_answer(cheapest, built, n, m, what=Message("infeasible.what_least_cost", k=k)), fewest, k)


def _fewest_only(problem: Problem, built: _Built, fewest: MilpResult) -> Solution:
    """The first stage's answer on the strong model (``least_walking=False``): its columns
    and assignment, the walking of that assignment as ``objective``, no bound on it."""
    n, m = problem.shape
    answer = _answer(fewest, built, n, m, what=Message("infeasible.what_fewest"))
    answer.objective = float(built.pair_cost @ fewest.x[built.n_y:built.n_y + len(built.pair_row)])
    answer.bound = float("nan")
    return answer


def _walking(problem: Problem, to: np.ndarray) -> float:
    """Σ weight × cost of rows assigned to column ``to`` (−1: none)."""
    n, _ = problem.shape
    at = to >= 0
    return float((problem.weights[at] * problem.cost[np.arange(n)[at], to[at]]).sum())


def _set_cover_compact(problem: Problem, *, column_cost: ArrayLike | None, budget: tuple[np.ndarray, float] | None,
                       seconds: float | None, mip_gap: float, least_walking: bool) -> Solution:
    """Set cover without seats that bind: the first stage on the compact model reduced by
    dominance (:func:`planning.covering.reduce_cover`: the same optimum as the full model;
    its time counts in the answer's), the second on the walking levels
    (:func:`_least_walking_levels`), or on the pairs model where the levels would be too
    large."""
    n, m = problem.shape
    clock = time.perf_counter()
    cost = np.ones(m) if column_cost is None else np.asarray(column_cost, dtype=float)
    sets, free = covering.reduce_cover(problem.allowed, kept=problem.y_lower > 0, may_open=problem.y_upper > 0,
                                       cost=cost, spend=None if budget is None else budget[0])
    model = covering.cover_model(sets, cost, lower=problem.y_lower, upper=np.where(free, problem.y_upper, 0.0),
                                 budget=budget)
    reduced = time.perf_counter() - clock
    fewest = model.solve(seconds=seconds, mip_gap=mip_gap)
    fewest.seconds += reduced
    logger.info("set cover: %d × %d reduced to %d × %d in %.2f s", n, m, sets.shape[0], int(free.sum()), reduced)
    if not fewest.has_solution:
        return _answer(fewest, _model(problem, None, True, cover=False, budget=budget), n, m,
                       what=Message("infeasible.what_fewest"))
    opened = fewest.x[:m] > 0.5
    to = covering.nearest_open(problem.cost, problem.allowed, opened)
    if not least_walking:  # the first stage's columns, each row at its nearest: no bound on the walking
        return Solution(open=np.flatnonzero(opened), assignment=to, objective=_walking(problem, to),
                        status=fewest.status, gap=fewest.gap, bound=float("nan"), seconds=fewest.seconds)
    levels = covering.walking_levels(problem.cost, problem.allowed, problem.weights)
    if levels is None:
        built = _model(problem, None, True, cover=False, budget=budget)
        start = np.r_[opened.astype(float), (to[built.pair_row] == built.pair_col).astype(float)]
        return _least_walking_pairs(problem, built, fewest, start, column_cost=column_cost, seconds=seconds,
                                    mip_gap=mip_gap)
    return _least_walking_levels(problem, fewest, opened, levels, cost=cost, column_cost=column_cost, budget=budget,
                                 seconds=seconds, mip_gap=mip_gap)


def _least_walking_levels(problem: Problem, fewest: MilpResult, opened: np.ndarray,
                          levels: tuple[sparse.csr_matrix, np.ndarray, float], *, cost: np.ndarray,
                          column_cost: ArrayLike | None, budget: tuple[np.ndarray, float] | None,
                          seconds: float | None, mip_gap: float) -> Solution:
    """The second stage without seats that bind: the least walking over every choice with
    the first stage's count (or no more than its cost), in levels
    (:func:`planning.covering.walking_model`; the same optimum and LP bound as the
    assignment model x_ij ≤ y_j over the pairs within the limit, in fewer rows), from the
    first stage's columns. Its walking is exactly each row's walk to its nearest open
    column, so that is the assignment."""
    n, m = problem.shape
    clock = time.perf_counter()
    sets, gain, base = levels
    k, lo, hi = _first_stage(fewest, opened, column_cost)
    cover = covering.essential_rows(covering.cover_sets(problem.allowed))  # every row within the limit
    model, kept = covering.walking_model(sets, gain, cover, lower=problem.y_lower, upper=problem.y_upper,
                                         limit=(cost, lo, hi), budget=budget)
    start = np.r_[opened, np.maximum(0.0, 1.0 - sets[kept] @ opened.astype(float))]
    built = time.perf_counter() - clock
    sol = model.solve(seconds=seconds, mip_gap=mip_gap, initial=start)
    sol.seconds += built
    if not sol.has_solution:
        return _answer(sol, _model(problem, None, True, cover=False, budget=budget), n, m,
                       what=Message("infeasible.what_least_cost", k=k))
    y = sol.x[:m] > 0.5
    to = covering.nearest_open(problem.cost, problem.allowed, y)
    walking, bound = _walking(problem, to), base + sol.bound
    answer = Solution(open=np.flatnonzero(y), assignment=to, objective=walking, status=sol.status,
                      gap=max(0.0, walking - bound) / max(abs(walking), 1e-9), bound=bound, seconds=sol.seconds)
    return _after_fewest(answer, fewest, k)


def max_coverage(cost: ArrayLike, p: int, max_cost: float, *, weights: ArrayLike | None = None,
                 demand: ArrayLike | None = None, capacities: ArrayLike | None = None, single_source: bool = True,
                 open_: Sequence[int] | None = None, closed: Sequence[int] | None = None,
                 solver_seconds: float | None = None, mip_gap: float = 1e-6, labels: Sequence[object] | None = None,
                 unit: str | Message = "", periods: Sequence[object] | None = None,
             budget: tuple[np.ndarray, float] | None = None) -> Solution:
    """Open ``p`` columns covering the most weight within ``max_cost``. Parameters as
    :func:`p_median` (with ``periods``, the covered weight is summed over the periods).

    ``objective`` is the covered weight, ``bound`` the most any ``p`` columns could cover;
    each covered row is assigned to its nearest open column within ``max_cost``, an
    uncovered one has ``assignment`` −1. Rows beyond ``max_cost`` of every column that may
    open, which no choice covers, are counted and named in ``notes`` (with their weight:
    pupils in :func:`plan`). Where no seat limit can bind, the compact model with rows of
    equal cover sets merged (:mod:`planning.covering`); otherwise the strong one.
    """
    problem = _problem(cost, weights=weights, demand=demand, max_cost=max_cost, open_=open_, closed=closed,
                       labels=labels, unit=unit, periods=periods)
    _check_count(p, problem)
    if _seats_bind(problem, capacities):
        answer = _coverage_strong(problem, p, capacities, single_source=single_source, budget=budget,
                                  seconds=solver_seconds, mip_gap=mip_gap)
    else:
        answer = _coverage_compact(problem, p, budget=budget, seconds=solver_seconds, mip_gap=mip_gap)
    lonely = np.flatnonzero(~problem.allowed.any(axis=1))
    if len(lonely):  # beyond max_cost of every column that may open: no choice of p covers them
        key = "plan.not_coverable_one" if len(lonely) == 1 else "plan.not_coverable_many"
        answer.notes.append(Message(key, n=len(lonely), weight=f"{problem.weights[lonely].sum():,.0f}",
                                    limit=Message("infeasible.beyond", limit=f"{max_cost:g}", unit=problem.unit),
                                    names=Listing([problem.labels[int(i)] for i in lonely], sep="sep.names", most=15)))
    return answer


def _coverage_strong(problem: Problem, p: int, capacities: ArrayLike | None, *, single_source: bool,
                     budget: tuple[np.ndarray, float] | None, seconds: float | None, mip_gap: float) -> Solution:
    """Maximal coverage on the strong model (x_ij and z_i), for seats that can bind."""
    n, m = problem.shape
    built = _model(problem, capacities, single_source, cover=True, budget=budget)
    # maximise covered weight; a tiny cost term picks the nearest among equal covers
    eps = 1e-6 / max(1.0, float(np.nansum(built.pair_cost)))
    model = built.model.with_row(np.r_[np.ones(m), np.zeros(len(built.model.cost) - m)], p, p)
    sol = model.solve(cost=np.r_[np.zeros(m), eps * built.pair_cost, -problem.weights], seconds=seconds,
                      mip_gap=mip_gap)
    answer = _answer(sol, built, n, m, what=Message("infeasible.what_coverage", p=p))
    answer.objective = float((problem.weights * sol.x[-n:]).sum())
    answer.bound = -sol.bound
    return answer


def _coverage_compact(problem: Problem, p: int, *, budget: tuple[np.ndarray, float] | None,
                      seconds: float | None, mip_gap: float) -> Solution:
    """Maximal coverage on the compact model, rows merged (:func:`planning.covering.reduce_coverage`),
    each row then at its nearest open column within the limit. Among choices covering as
    much, HiGHS's is taken as it comes (the strong model's tie-break towards less walking
    was a cost term below the MIP gap, never enforced either)."""
    n, m = problem.shape
    clock = time.perf_counter()
    sets, weight, always = covering.reduce_coverage(problem.allowed, problem.weights, kept=problem.y_lower > 0)
    model = covering.coverage_model(sets, weight, p, lower=problem.y_lower, upper=problem.y_upper, budget=budget)
    reduced = time.perf_counter() - clock
    sol = model.solve(seconds=seconds, mip_gap=mip_gap)
    sol.seconds += reduced
    if not sol.has_solution:
        return _answer(sol, _model(problem, None, True, cover=True, budget=budget), n, m,
                       what=Message("infeasible.what_coverage", p=p))
    opened = sol.x[:m] > 0.5
    to = covering.nearest_open(problem.cost, problem.allowed, opened)
    covered = float(problem.weights[to >= 0].sum())
    bound = always - sol.bound  # HiGHS bounds −(weight covered beyond the kept columns') from below
    gap = sol.gap if sol.optimal else max(0.0, bound - covered) / max(abs(covered), 1e-9)
    return Solution(open=np.flatnonzero(opened), assignment=to, objective=covered, status=sol.status, gap=gap,
                    bound=bound, seconds=sol.seconds)


# ---------------------------------------------------------------------- on a project
GOALS = ("fewest_schools", "p_median", "max_coverage", "least_cost")


@dataclass
class Plan:
    """A recommended layout: the scenario that realises it and the solver's report.

    Attributes
    ----------
    scenario
        Close/open edits; evaluate it like any hand-made scenario.
    solution
        The optimiser's answer (status, objective, gap, time).
    goal, level
        What was asked.
    limit
        The walking limit used (minutes).
    columns
        Schools and sites considered: ``kind``, ``name``, ``decision`` (keep, close, open,
        stay closed), ``pupils`` assigned by the optimiser.
    messages
        Things to know, as catalogue messages (:meth:`explain` words them), worked out from
        the plan's own open schools (kept teaching points included) by evaluating it: which
        village grades would still be beyond the limit and how they get to school, pupils
        left unserved who are not today, a nine-year school closed for one level closing
        for both, teaching points closed.
    result
        The plan evaluated by nearest school (the figures the notes are about), on the
        project's pupils (today's).
    binding
        Over a horizon, the years and whether each binds (see :func:`binding_years`); None
        for a plan of today's pupils.
    """

    scenario: Scenario
    solution: Solution
    goal: str
    level: str
    limit: float
    columns: pd.DataFrame
    messages: list[Message]
    result: Result
    binding: pd.DataFrame | None = None

    @property
    def binding_years(self) -> list[int]:
        """The years that bind a plan over the horizon (empty for today's plan, or when no
        single year binds)."""
        return [] if self.binding is None else [int(y) for y in self.binding.index[self.binding["binds"]]]

    @property
    def timeline(self) -> pd.DataFrame:
        """Each school closed and site opened, with the year from which it holds (the
        first year of the horizon unless phased; empty ``year`` for today's plan): columns
        ``school_id``, ``name``, ``action`` (close, open), ``year``."""
        changes = self.columns[self.columns["decision"].isin(["close", "open"])]
        year = changes["year"].array if "year" in changes else pd.array([None] * len(changes), dtype="Int64")
        table = pd.DataFrame({"school_id": changes.index.to_numpy(), "name": changes["name"].to_numpy(),
                              "action": changes["decision"].to_numpy(), "year": year})
        return table.sort_values(["year", "school_id"], kind="stable").reset_index(drop=True)

    @property
    def notes(self) -> list[str]:
        """The notes in English."""
        return self.explain("en")

    def explain(self, lang: str | None = None) -> list[str]:
        """The notes in ``lang`` (zh or en; ``settings.language`` when None)."""
        return [message.text(lang) for message in self.messages]

    def report(self) -> dict[str, object]:
        """The solver report, for people: goal, level, limit (minutes), ``solver_status`` and
        ``solver_method`` (worded by :func:`~planning.i18n.localise`), the objective under its own name
        (``pupil_minutes`` of walking, ``pupils_covered`` for max coverage, or ``plan_cost_yuan``
        for the least cost with buses and beds; whole numbers) and its best proven ``bound``, the relative ``gap``, ``seconds``, and the
        schools of the level open after the plan (teaching points kept included); over a
        horizon also its ``years`` and the ``binding_years``."""
        s = self.solution
        objective = "pupils_covered" if self.goal == "max_coverage" else \
            "plan_cost_yuan" if s.purchases is not None else "pupil_minutes"
        return {"goal": self.goal, "level": self.level, "limit_min": self.limit, "solver_status": s.status,
                "solver_method": s.method, objective: round(s.objective), "bound": round(s.bound) if np.isfinite(s.bound) else s.bound,
                "gap": round(s.gap, 4), "seconds": round(s.seconds, 2),
                "schools_open": int(level_summary(self.result, self.level)["schools_open"]),
                **({} if self.binding is None else {"years": f"{self.binding.index[0]}–{self.binding.index[-1]}",
                                                    "binding_years": ", ".join(map(str, self.binding_years)) or "—"})}


@dataclass
class LevelInputs:
    """A level's location problem taken from a project.

    Attributes
    ----------
    rows
        Villages with pupils of the level (ids).
    columns
        Schools teaching the whole level, and usable sites: ``kind``, ``name``.
    minutes
        Walking minutes (rows × columns).
    pupils
        Pupils of the level per row.
    capacities
        Seats per column for the level (a nine-year school's seats used by its other level
        today are not free); None when capacity is ignored.
    partial
        Schools teaching part of the level (teaching points).
    """

    rows: pd.Index
    columns: pd.DataFrame
    minutes: np.ndarray
    pupils: np.ndarray
    capacities: np.ndarray | None
    partial: pd.DataFrame


def level_inputs(project: Project, level: str, *, sites: bool = True, capacity: bool = True) -> LevelInputs:
    """The cost matrix and its rows and columns for one level of a project."""
    pupils = project.villages[f"{level}_pupils"].fillna(0.0)
    rows = pupils.index[pupils > 0]
    schools, grades = project.schools, set(LEVEL_GRADES[level])
    complete = schools[schools[level].to_numpy(dtype=bool) & (schools["type"] != "other").to_numpy()]
    partial = schools[~schools[level].to_numpy(dtype=bool) & schools["grades"].map(lambda g: bool(set(g) & grades))]
    columns = [pd.DataFrame({"kind": "school", "name": complete["name"]}, index=complete.index)]
    if sites and len(project.sites):
        usable = project.sites[project.sites["type"].map(lambda kind: grades <= set(SCHOOL_GRADES[kind]))]
        columns.append(pd.DataFrame({"kind": "site", "name": usable["name"]}, index=usable.index))
    table = pd.concat(columns)
    minutes = project.travel_times().loc[rows, table.index].to_numpy()
    caps = None
    if capacity:
        seats = pd.concat([project.schools["capacity"], project.sites["capacity"]])
        caps = seats.reindex(table.index).to_numpy(dtype=float, copy=True)
        other = "junior" if level == "primary" else "primary"
        both = table.index.isin(schools.index[schools[level].to_numpy(dtype=bool) & schools[other].to_numpy(dtype=bool)])
        if both.any():  # seats a nine-year school's other level uses today are not free
            used = baseline(project, "nearest").schools.loc[table.index[both], f"{other}_pupils"].to_numpy()
            caps[both] = np.maximum(caps[both] - used, 0)
    return LevelInputs(rows, table, minutes, pupils[rows].to_numpy(), caps, partial)


@dataclass
class Demand:
    """The rows of a plan's location problem: one per village (a single year) or one per
    village and year (a horizon).

    Attributes
    ----------
    villages
        Village id of each row.
    years
        Year of each row; None for a single year (today's pupils).
    minutes
        Walking minutes (rows × columns) as solved (villages set aside by ``beyond="report"``
        have 0 where reachable).
    pupils
        Pupils of the level per row.
    capacities
        Seats per column, or per year (rows, years ascending) and column; None when ignored.
    labels
        Row names for messages.
    """

    villages: np.ndarray
    years: np.ndarray | None
    minutes: np.ndarray
    pupils: np.ndarray
    capacities: np.ndarray | None
    labels: list[str]

    def year_list(self) -> list[int]:
        """The years of the rows, ascending (empty for a single year)."""
        return [] if self.years is None else sorted({int(y) for y in self.years})

    def without(self, year: int, *, relax: bool = False) -> Demand:
        """The rows of the other years (``relax``: all rows, that year's capacity lifted instead)."""
        assert self.years is not None
        years = self.year_list()
        caps = None if self.capacities is None else np.array(self.capacities, dtype=float)
        if relax:
            if caps is not None:
                caps[years.index(year)] = np.nan
            return replace(self, capacities=caps)
        keep = self.years != year
        caps = None if caps is None else np.delete(caps, years.index(year), axis=0)
        return Demand(self.villages[keep], self.years[keep], self.minutes[keep], self.pupils[keep], caps,
                      [label for label, k in zip(self.labels, keep, strict=True) if k])


def horizon_demand(project: Project, inputs: LevelInputs, forecast: Forecast, level: str,
                   years: Iterable[int] | None = None) -> Demand:
    """One row per village of the project and year with pupils of ``level`` in the forecast.

    Seats per year: a nine-year school's seats used by its other level are not free; its
    use in a year is today's nearest-school flows of that level, village by village and
    grade by grade, scaled to the year's forecast pupils (travel times do not change).

    Raises
    ------
    ValidationError
        When ``years`` names years the forecast does not cover.
    """
    chosen = forecast.years if years is None else sorted({int(y) for y in years})
    missing = [y for y in chosen if y not in forecast.years]
    if missing or not chosen:
        raise ValidationError(Message("error.horizon_years", years=Listing(missing or ["—"]),
                                      first=forecast.years[0], last=forecast.years[-1]))
    grades = [f"grade_{g}" for g in LEVEL_GRADES[level]]
    parts = []
    for year in chosen:
        pupils = forecast.of_year(year)[grades].sum(axis=1).reindex(project.villages.index).fillna(0.0)
        parts.append(pd.DataFrame({"village": pupils.index, "year": year, "pupils": pupils.to_numpy()}))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["pupils"] > 0]
    names = project.villages["name"]
    labels = [f"{names[v]} ({v}, {y})" for v, y in zip(rows["village"], rows["year"], strict=True)]
    minutes = project.travel_times().loc[rows["village"], inputs.columns.index].to_numpy()
    caps = None if inputs.capacities is None else _yearly_seats(project, inputs, forecast, level, chosen)
    return Demand(rows["village"].to_numpy(), rows["year"].to_numpy(dtype=int), minutes, rows["pupils"].to_numpy(),
                  caps, labels)


def _yearly_seats(project: Project, inputs: LevelInputs, forecast: Forecast, level: str,
                  years: list[int]) -> np.ndarray:
    """Seats per year (rows) and column (see :func:`horizon_demand`)."""
    seats = pd.concat([project.schools["capacity"], project.sites["capacity"]])
    caps = np.tile(seats.reindex(inputs.columns.index).to_numpy(dtype=float), (len(years), 1))
    schools, other = project.schools, "junior" if level == "primary" else "primary"
    both = schools.index[schools[level].to_numpy(dtype=bool) & schools[other].to_numpy(dtype=bool)]
    flows = baseline(project, "nearest").flows
    flows = flows[(flows["level"] == other) & flows["school_id"].isin(both) & (flows["pupils"] > 0)]
    if flows.empty:
        return caps
    today = project.villages
    column = [f"grade_{int(g)}" for g in flows["grade"]]
    share = flows["pupils"].to_numpy() / np.array([today.loc[v, c] for v, c in zip(flows["village_id"], column,
                                                                                     strict=True)], dtype=float)
    where = inputs.columns.index.get_indexer(pd.Index(flows["school_id"]))
    for k, year in enumerate(years):
        table = forecast.of_year(year).reindex(today.index).fillna(0.0)
        used = share * np.array([table.loc[v, c] for v, c in zip(flows["village_id"], column, strict=True)])
        caps[k] = np.maximum(caps[k] - np.bincount(where, weights=used, minlength=caps.shape[1]), 0)
    return caps


def _solve(demand: Demand, *, goal: str, p: int | None, limit: float, hard_limit: bool, phase: np.ndarray | None,
           common: dict[str, Any], column_cost: np.ndarray | None = None) -> Solution:
    """The goal's solver on ``demand``'s rows (one set of open columns for all its years)."""
    options = {**common, "weights": demand.pupils, "demand": demand.pupils, "capacities": demand.capacities,
               "labels": demand.labels, "periods": demand.years}
    if goal == "fewest_schools":
        return set_cover(demand.minutes, limit, phase=phase, **options)
    if goal == "least_cost":
        return set_cover(demand.minutes, limit, column_cost=column_cost, **options)
    if goal == "p_median":
        try:
            return p_median(demand.minutes, int(p or 0), max_cost=limit if hard_limit else None, **options)
        except InfeasibleError:
            if hard_limit:
                _too_few(demand, int(p or 0), limit, options)
            raise
    return max_coverage(demand.minutes, int(p or 0), limit, **options)


def _too_few(demand: Demand, p: int, limit: float, options: dict[str, Any]) -> None:
    """Where no plan of ``p`` schools seats every pupil within the walking limit because
    more schools are needed, raise saying how many: the fewest-schools goal's proven count
    (its first stage only) under the same seats, schools kept and schools closed. Returns
    when that count is not above ``p`` or not proven (the first error then stands)."""
    try:
        fewest = set_cover(demand.minutes, limit, least_walking=False, **options)
    except PlanningError:
        return
    if fewest.optimal and len(fewest.open) > p:
        raise InfeasibleError(Message("infeasible.too_few", p=p, fewest=len(fewest.open), limit=f"{limit:g}"))


def _by_year(goal: str, demand: Demand, solution: Solution) -> tuple[float, np.ndarray]:
    """The objective (lower is better) and each year's own part of it: pupil-minutes
    (p-median), −pupils covered (max coverage), schools open that year (phased fewest);
    for fewest schools over the horizon, the count (no year's own part)."""
    years = demand.year_list()
    of_row = np.searchsorted(years, np.asarray(demand.years))
    if goal == "fewest_schools":
        if solution.open_by_period is None:
            return float(len(solution.open)), np.zeros(len(years))
        part = solution.open_by_period.sum(axis=1).astype(float)
        return float(part.sum()), part
    served = solution.assignment >= 0
    if goal == "p_median":
        value = demand.pupils * np.where(served, demand.minutes[np.arange(len(served)),
                                                                np.maximum(solution.assignment, 0)], 0.0)
    else:
        value = -demand.pupils * served
    part = np.bincount(of_row, weights=value, minlength=len(years))
    return float(part.sum()), part


def binding_years(goal: str, demand: Demand, solution: Solution, columns: pd.Index,
                  solve: Callable[[Demand], Solution]) -> pd.DataFrame:
    """Which years bind a plan over the horizon, found by solving again.

    A year binds when, leaving it out, the other years could be served better: fewer
    schools (fewest schools), fewer school-years in those years (phased), less walking
    (p-median) or more pupils covered (max coverage). It binds by ``capacity`` when lifting
    only its seat limits frees the other years as much, by the ``walk_limit`` (its villages
    with pupils need a school within reach) when lifting its seats frees nothing, ``both``
    in between.

    Returns
    -------
    DataFrame indexed by ``year``: ``pupils`` (of the level), ``binds``, ``binds_by``,
    ``objective_without`` (the other years' objective without this year, in the goal's
    unit), ``objective_with`` (theirs in the plan), ``fullest_school`` and ``fullest_share``
    (its pupils ÷ seats that year in the plan), ``longest_walk`` (minutes, in the plan).
    """
    total, part = _by_year(goal, demand, solution)
    records = []
    for k, year in enumerate(demand.year_list()):
        with_ = total - part[k]
        alone = demand.without(year)
        without = _by_year(goal, alone, solve(alone))[0]
        binds = without < with_ - 1e-6 * max(1.0, abs(with_))
        by = ""
        if binds:
            by = "walk_limit"
            if demand.capacities is not None:
                lifted = demand.without(year, relax=True)
                got, got_part = _by_year(goal, lifted, solve(lifted))
                freed = (with_ - (got - got_part[k])) / (with_ - without)
                by = "capacity" if freed > 1 - 1e-6 else "both" if freed > 1e-6 else "walk_limit"
        records.append({"year": year, "binds": binds, "binds_by": by, "objective_with": with_,
                        "objective_without": without, **_year_figures(demand, solution, year, columns)})
    return pd.DataFrame(records).set_index("year")


def _year_figures(demand: Demand, solution: Solution, year: int, columns: pd.Index) -> dict[str, object]:
    """A year's pupils, its fullest school (pupils ÷ seats) and longest walk in a plan."""
    assert demand.years is not None
    rows = np.flatnonzero((demand.years == year) & (solution.assignment >= 0))
    to = solution.assignment[rows]
    load = np.bincount(to, weights=demand.pupils[rows], minlength=len(columns))
    figures: dict[str, object] = {"pupils": float(demand.pupils[demand.years == year].sum()), "fullest_school": "",
                                  "fullest_share": np.nan, "longest_walk": float(demand.minutes[rows, to].max())
                                  if len(rows) else np.nan}
    if demand.capacities is not None:
        seats = demand.capacities[demand.year_list().index(year)]
        share = np.where(seats > 0, load / np.where(seats > 0, seats, 1), np.nan)
        if np.isfinite(share).any():
            j = int(np.nanargmax(share))
            figures.update(fullest_school=str(columns[j]), fullest_share=float(share[j]))
    return figures


def plan(project: Project, goal: str = "fewest_schools", *, level: str = "primary", p: int | None = None,
         limit: float | None = None, keep: Iterable[str] = (), close: Iterable[str] = (), sites: bool = True,
         capacity: bool = True, hard_limit: bool = True, single_source: bool = True, beyond: str = "report",
         solver_seconds: float | None = 60.0, name: str | None = None, forecast: Forecast | None = None,
         years: Iterable[int] | None = None, phased: bool = False, budget: float | None = None,
         transport: bool = False) -> Plan:
    """Recommend which schools of a level to keep, close or open, exactly.

    Parameters
    ----------
    goal
        ``"fewest_schools"`` (every pupil within ``limit``, capacity respected), ``"p_median"`` (least pupil
        travel time with ``p`` schools; ``hard_limit`` keeps the limit as a constraint), ``"max_coverage"``
        (most pupils within ``limit`` with ``p`` schools), ``"least_cost"`` (as fewest, at least :func:`opening_costs`).
    level, limit
        ``"primary"`` or ``"junior"`` (schools teaching all its grades are candidates, teaching points
        close); the walking limit (minutes; the policy's for the level when None).
    keep, close
        School ids that must stay open (teaching points too) / must close.
    sites, capacity, single_source
        Whether sites may open; respect seats (a nine-year school's other level's are not free); villages
        go whole to one school (划片).
    beyond
        Villages beyond the limit of every school and site that may open: ``"report"`` leaves them out
        of the walking constraint (zoned to the nearest, named in ``notes``); ``"error"`` raises.
    solver_seconds
        Time limit of each solve (seconds).
    forecast, years
        One layout for every year of ``years`` (all the forecast's when None): each year's villages within the
        limit, its pupils within the seats; walking and pupils covered summed. ``binding``: the years that bind.
    phased
        With a forecast and ``"fewest_schools"``: a school may close (a site open) from a year on, for good;
        the fewest school-years, then the least walking; ``timeline`` gives the years.
    budget
        Most the plan may spend once (yuan: :func:`column_costs`, buses, beds); too small: the cheapest plan's named.
    transport
        ``"least_cost"`` of today's pupils may buy buses and beds where a village is beyond the limit
        (:mod:`planning.transport`); ``columns`` and ``solution.purchases`` say what is bought.

    Raises
    ------
    InfeasibleError
        Why no plan meets the request (e.g. a village beyond the limit of every school and site).
    """
    _check_request(goal, p, phased=phased, forecast=forecast, transport=transport)
    limit = project.policy.limit(level) if limit is None else float(limit)
    inputs = level_inputs(project, level, sites=sites, capacity=capacity)
    keep, open_, closed = _fixed_columns(project, inputs, keep, close)
    aside = (goal in ("fewest_schools", "least_cost") or (goal == "p_median" and hard_limit)) and beyond == "report" \
        and not transport  # with transport, villages beyond every walk ride or board instead
    demand = _plan_demand(project, inputs, forecast, years, level, limit=limit, closed=closed if aside else None)
    common: dict[str, Any] = {"single_source": single_source, "open_": open_ or None, "closed": closed or None,
                              "solver_seconds": solver_seconds, "unit": Message("unit.minutes_suffix")}
    solve = _solver(project, inputs, goal=goal, p=p, level=level, limit=limit, hard_limit=hard_limit, common=common,
                    phased=phased, transport=transport)
    solution = _within_budget(solve, demand, project, inputs, level, common, budget=budget, limit=limit,
                              phased=phased, transport=transport)
    logger.info("plan %s: %s, %d open, %.2f s", goal, solution.status, len(solution.open), solution.seconds)
    binding = None if forecast is None else binding_years(goal, demand, solution, inputs.columns.index, solve)
    return _as_plan(project, solution, goal, level, limit, inputs, demand, keep, name, binding)


def _solver(project: Project, inputs: LevelInputs, *, goal: str, p: int | None, level: str, limit: float,
            hard_limit: bool, common: dict[str, Any], phased: bool, transport: bool) -> Callable[..., Solution]:
    """The goal's solver for a plan's demand (:func:`_solve`, or the least cost with buses and beds)."""
    costs = column_costs(project, inputs, level) if goal == "least_cost" else None
    if transport:
        assert costs is not None
        return partial(_transport_solution, project=project, inputs=inputs, level=level, limit=limit, common=common,
                       open_cost=opening_costs(project, inputs, level).to_numpy(),
                       one_off=costs["one_off"].to_numpy())
    return partial(_solve, goal=goal, p=p, limit=limit, hard_limit=hard_limit, common=common,
                   phase=np.where(inputs.columns["kind"] == "school", 1.0, -1.0) if phased else None,
                   column_cost=opening_costs(project, inputs, level).to_numpy() if costs is not None else None)


def column_costs(project: Project, inputs: LevelInputs, level: str) -> pd.DataFrame:
    """What keeping each column of a level's plan open costs (yuan): ``one_off`` — the
    renovation of a school's dilapidated buildings (危房面积, avoided if it closes), a site's
    investment (投资估算, or seats × ``cost_new_seat``) — and ``yearly``, its fixed running
    cost. A school that also teaches the other level keeps running whatever this plan does:
    nothing of it is saved (0). Costs per pupil (funding, teachers) are the same wherever a
    pupil goes and do not change the choice; :func:`planning.cost_sheet` counts them."""
    policy = project.policy
    ids = inputs.columns.index
    schools = project.schools.reindex(ids)
    other = "junior" if level == "primary" else "primary"
    shared = schools[other].fillna(False).to_numpy(dtype=bool)
    dilapidated = schools["dilapidated_m2"].fillna(0.0).to_numpy(dtype=float) if "dilapidated_m2" in schools \
        else np.zeros(len(ids))
    one_off = np.where(shared, 0.0, dilapidated * policy.cost_renovation_per_m2)
    yearly = np.where(shared, 0.0, policy.cost_school_fixed)
    is_site = (inputs.columns["kind"] == "site").to_numpy()
    if is_site.any():
        sites = project.sites.reindex(ids[is_site])
        seats = sites["capacity"].fillna(0.0).to_numpy(dtype=float)
        given = sites["cost"].to_numpy(dtype=float) if "cost" in sites else np.full(len(seats), np.nan)
        one_off[is_site] = np.where(np.isnan(given), seats * policy.cost_new_seat, given)
        yearly[is_site] = policy.cost_school_fixed
    return pd.DataFrame({"one_off": one_off, "yearly": yearly}, index=ids)


def opening_costs(project: Project, inputs: LevelInputs, level: str) -> pd.Series:
    """What keeping each column open costs over the policy's cost horizon at its discount
    rate (yuan, present value): one-off + yearly × Σ_t (1 + r)^−t (:func:`column_costs`);
    the least-cost goal minimises their sum."""
    policy = project.policy
    years = annuity(horizon=policy.cost_horizon, discount=policy.cost_discount_rate)
    costs = column_costs(project, inputs, level)
    return (costs["one_off"] + costs["yearly"] * years).rename("opening_cost_yuan")


def _transport_solution(demand: Demand, **options: Any) -> Solution:
    """The least cost with buses and beds (:func:`planning.transport.least_cost`) as a :class:`Solution`."""
    return Solution(**_least_cost_transport(demand, **options))


def _within_budget(solve: Callable[..., Solution], demand: Demand, project: Project, inputs: LevelInputs,
                   level: str, common: dict[str, Any], *, budget: float | None, limit: float, phased: bool,
                   transport: bool = False) -> Solution:
    """Solve; with a one-off ``budget`` (a row of the model through ``common``), a plan that
    cannot keep it is explained by the cheapest plan's cost."""
    if budget is None:
        return solve(demand)
    if phased:
        raise ValueError("`budget` does not go with `phased` plans yet")
    common["budget"] = (column_costs(project, inputs, level)["one_off"].to_numpy(), float(budget))
    try:
        return solve(demand)
    except InfeasibleError as error:
        if transport:  # the cheapest plan once, buses and beds included
            cheapest = solve(demand, common={k: v for k, v in common.items() if k != "budget"}, objective="one_off")
            raise InfeasibleError(_budget_message(budget, cheapest.objective, inputs, cheapest)) from error
        raise InfeasibleError(_over_budget(demand, inputs, common, project, level, budget, limit)) from error


def _over_budget(demand: Demand, inputs: LevelInputs, common: dict[str, Any], project: Project, level: str,
                 budget: float, limit: float) -> Message:
    """Why no plan fits the budget: the one-off cost of the cheapest plan that keeps every
    pupil within the limit (a weighted set cover on the one-off costs, without the budget)."""
    spend = column_costs(project, inputs, level)["one_off"].to_numpy()
    options: dict[str, Any] = {**{key: value for key, value in common.items() if key != "budget"},
                               "weights": demand.pupils, "demand": demand.pupils, "capacities": demand.capacities,
                               "labels": demand.labels, "periods": demand.years}
    try:
        cheapest = set_cover(demand.minutes, limit, column_cost=spend, **options)
    except InfeasibleError:
        return Message("infeasible.budget_none", budget=_wan(budget))
    return _budget_message(budget, float(spend[cheapest.open].sum()), inputs, cheapest)


def _budget_message(budget: float, cheapest: float, inputs: LevelInputs, plan: Solution) -> Message:
    """The budget is too small: what the cheapest plan spends once, and what it keeps or opens."""
    return Message("infeasible.budget", budget=_wan(budget), cheapest=_wan(cheapest),
                   schools=Listing([f"{cid} {inputs.columns.loc[cid, 'name']}" for cid in
                                    inputs.columns.index[plan.open]], sep="sep.names", most=12))


def _wan(yuan: float) -> str:
    """Yuan in 万元 (ten thousands), as county budgets are written: 64.9."""
    return f"{yuan / 10_000:,.1f}"


def _plan_demand(project: Project, inputs: LevelInputs, forecast: Forecast | None, years: Iterable[int] | None,
                 level: str, *, closed: list[int] | None, limit: float) -> Demand:
    """Today's villages, or every village and year of the forecast; with ``closed`` given,
    villages beyond the limit of every column that may open are set aside (the notes name them)."""
    demand = (Demand(inputs.rows.to_numpy(), None, inputs.minutes, inputs.pupils, inputs.capacities,
                     [f"{project.villages.loc[v, 'name']} ({v})" for v in inputs.rows]) if forecast is None
              else horizon_demand(project, inputs, forecast, level, years))
    if closed is None:
        return demand
    return replace(demand, minutes=_set_aside_lonely(demand.minutes, closed, limit))


def _check_request(goal: str, p: int | None, *, phased: bool, forecast: Forecast | None, transport: bool) -> None:
    if goal not in GOALS:
        raise ValueError(f"`goal` was {goal!r} but is expected to be one of {list(GOALS)}")
    if transport and (goal != "least_cost" or forecast is not None):
        raise ValueError("`transport` goes with goal 'least_cost' on today's pupils (no forecast) only")
    if goal not in ("fewest_schools", "least_cost") and p is None:
        raise ValueError(f"goal {goal!r} needs p, the number of schools to open")
    if phased and (forecast is None or goal != "fewest_schools"):
        raise ValueError("`phased` needs a forecast and goal 'fewest_schools'")


def _fixed_columns(project: Project, inputs: LevelInputs, keep: Iterable[str], close: Iterable[str]
                   ) -> tuple[list[str], list[int], list[int]]:
    """School ids kept, and the column indices that must stay open and must close.

    Raises
    ------
    ValidationError
        Naming ids that are no school or site of the project (with the ones there are),
        and ids both kept and closed.
    """
    keep, close = [str(s) for s in keep], [str(s) for s in close]
    known = set(project.schools.index) | set(project.sites.index)
    problems = []
    for ids, box in ((keep, "app.must_keep"), (close, "app.must_close")):
        unknown = [s for s in dict.fromkeys(ids) if s not in known]
        if unknown:
            sites = Listing(project.sites.index, most=20) if len(project.sites) else Message("error.none")
            problems.append(Message("error.unknown_plan_ids", box=Message(box), ids=Listing(unknown),
                                    schools=Listing(project.schools.index, most=40), sites=sites))
    both = [s for s in dict.fromkeys(keep) if s in set(close)]
    if both:
        problems.append(Message("error.kept_and_closed", ids=Listing(both), keep=Message("app.must_keep"),
                                close=Message("app.must_close")))
    if problems:
        raise ValidationError(problems)
    col_ids = list(inputs.columns.index)
    return keep, [col_ids.index(s) for s in keep if s in col_ids], [col_ids.index(s) for s in close if s in col_ids]


def _set_aside_lonely(minutes: np.ndarray, closed: list[int], limit: float) -> np.ndarray:
    """Villages beyond ``limit`` of every school and site that may open are left out of the
    walking constraint (their minutes become 0 wherever reachable); the plan's notes say
    how they get to school."""
    may_open = np.ones(minutes.shape[1], dtype=bool)
    may_open[closed] = False
    lonely = np.asarray(~((minutes <= limit) & may_open[None, :]).any(axis=1), dtype=bool)
    return np.where(lonely[:, None], np.where(np.isfinite(minutes), 0.0, np.nan), minutes)


def _as_plan(project: Project, solution: Solution, goal: str, level: str, limit: float, inputs: LevelInputs,
             demand: Demand, keep: list[str], name: str | None, binding: pd.DataFrame | None) -> Plan:
    default = Message("plan.name", goal=Message(f"goal.{goal}"), level=Message(f"level.{level}"), limit=f"{limit:g}")
    scenario = Scenario(project, name or default.text())
    messages = list(solution.notes)
    table = _decisions(inputs, demand, solution)
    first = demand.year_list()[0] if demand.years is not None else None
    for cid, row in table.iterrows():
        # phased: a change after the first year takes effect from its year (an edit with year=)
        when = int(row["year"]) if solution.open_by_period is not None and not pd.isna(row.get("year")) \
            and int(row["year"]) != first else None
        if row["decision"] == "close":
            scenario = scenario.close(str(cid), year=when)
            if project.schools.loc[cid, "type"] == "nine_year":
                messages.append(Message("plan.nine_year", school=f"{cid} {row['name']}",
                                        level=Message(f"level.{level}")))
        elif row["decision"] == "open":
            scenario = scenario.open_site(str(cid), year=when)
    if solution.purchases is not None:
        scenario = _bought(scenario, solution.purchases)
    for cid, row in inputs.partial.iterrows():
        if cid not in keep:
            scenario = scenario.close(str(cid))
            messages.append(Message("plan.partial", school=f"{cid} {row['name']}",
                                    grades=grade_words(row["grades"])))
    if solution.open_by_period is not None:  # phased: the year of each change
        messages += [Message(f"plan.from_year.{row['decision']}", school=f"{cid} {row['name']}", year=row["year"])
                     for cid, row in table.sort_values("year").iterrows() if row["decision"] in ("close", "open")]
    if binding is not None:
        messages += _binding_notes(goal, binding, phased=solution.open_by_period is not None)
    result = scenario.evaluate("nearest")
    messages += consequences(baseline(project, "nearest"), result, level=level)
    return Plan(scenario=scenario, solution=solution, goal=goal, level=level, limit=limit, columns=table,
                messages=messages, result=result, binding=binding)


def _bought(scenario: Scenario, purchases: pd.DataFrame) -> Scenario:
    """The buses (one per school, carrying its villages within its longest ride) and beds a plan buys."""
    for cid, row in purchases.iterrows():
        if row["buses"] > 0:
            # the ride allowed, to the 0.1 min above the longest (the bus carries its villages only)
            scenario = scenario.add_bus(str(cid), villages=row["bus_villages"],
                                        max_ride=float(np.ceil(row["max_ride"] * 10) / 10))
        if row["beds_added"] > 0:
            scenario = scenario.add_beds(str(cid), float(row["beds_added"]))
    return scenario


def _decisions(inputs: LevelInputs, demand: Demand, solution: Solution) -> pd.DataFrame:
    """Each column's ``kind``, ``name``, ``decision`` (keep, close, open, stay closed) and
    ``pupils`` assigned (in the first year); over a horizon also ``most_pupils`` (the most in
    any year) and ``year`` (from which a close or open holds: the first year unless phased)."""
    m = len(inputs.columns)
    years = demand.year_list()
    of_row = np.searchsorted(years, demand.years) if demand.years is not None else np.zeros(len(demand.pupils), int)
    covered = solution.assignment >= 0
    loads = np.zeros((max(len(years), 1), m))
    np.add.at(loads, (of_row[covered], solution.assignment[covered]), demand.pupils[covered])
    school = (inputs.columns["kind"] == "school").to_numpy()
    by_year = (np.repeat(np.isin(np.arange(m), solution.open)[None, :], loads.shape[0], axis=0)
               if solution.open_by_period is None else solution.open_by_period)
    open_ever, open_always = by_year.any(axis=0), by_year.all(axis=0)
    decision = np.where(school, np.where(open_always, "keep", "close"), np.where(open_ever, "open", "stay closed"))
    table = inputs.columns.assign(decision=decision, pupils=loads[0])
    if solution.purchases is not None:  # buses and beds bought
        bought = solution.purchases[["buses", "bus_riders", "boarders", "beds_added"]]
        table = table.join(bought.reindex(table.index).fillna(0.0))
    if demand.years is None:
        return table
    change = np.where(school, ~by_year, by_year)  # closed (schools) or open (sites) in a year
    first = np.where(change.any(axis=0), np.argmax(change, axis=0), -1)
    year = [years[f] if d in ("close", "open") else None for f, d in zip(first, decision, strict=True)]
    return table.assign(most_pupils=loads.max(axis=0), year=pd.array(year, dtype="Int64"))


def _binding_notes(goal: str, binding: pd.DataFrame, *, phased: bool) -> list[Message]:
    """Which years bind the plan and why, or that no single year does."""
    binds = binding[binding["binds"]]
    if binds.empty:
        return [Message("plan.no_year_binds", first=binding.index[0], last=binding.index[-1])]
    what = "phased" if phased else goal
    notes = []
    for year, row in binds.iterrows():
        now, then = row["objective_with"], row["objective_without"]
        figures = ({"now": f"{now:.0f}", "then": f"{then:.0f}"} if goal == "fewest_schools"
                   else {"less": f"{now - then:,.0f}"} if goal == "p_median" else {"more": f"{then - now:,.0f}"})
        notes.append(Message("plan.year_binds", year=year, why=Message(f"plan.binds_by.{row['binds_by']}"),
                             without=Message(f"plan.without.{what}", **figures)))
    return notes


def consequences(today: Result, after: Result, *, level: str, most: int = 15) -> list[Message]:
    """What a plan does that a planner would object to, from the plan's own evaluation:
    each village's grades of ``level`` beyond the walking limit of every school the plan
    keeps open (kept teaching points count) and how they get to school, and the pupils it
    leaves unserved who are not unserved today."""
    villages = today.project.villages
    messages = []
    bands = village_changes(today, after).xs(level, level="level")
    far = bands[bands["mode_after"].isin(["board", "unserved"])]
    for (vid, grades), (_, row) in zip(far.index[:most], far.head(most).iterrows(), strict=True):
        messages.append(Message("plan.beyond", village=f"{villages.loc[vid, 'name']} ({vid})", grades=grades,
                                pupils=f"{row['pupils']:.0f}", school=row["school_after"] or "—",
                                minutes="—" if pd.isna(row["minutes_after"]) else f"{row['minutes_after']:.0f}",
                                limit=f"{today.project.policy.limit(level):g}",
                                how=Message(f"plan.how.{row['mode_after']}")))
    if len(far) > most:
        messages.append(Message("note.more_villages", n=len(far) - most))
    more = level_summary(after, level)["unserved"] - level_summary(today, level)["unserved"]
    if more > 0.5:
        newly = bands[(bands["mode_after"] == "unserved") & (bands["mode_before"] != "unserved")]
        names = Listing([villages.loc[v, "name"] for v in pd.unique(newly.index.get_level_values(0))],
                        sep="sep.names", most=10)
        messages.append(Message("plan.more_unserved", n=f"{more:.0f}", villages=names))
    return messages


def tradeoff(project: Project, *, level: str = "primary", limit: float | None = None,
             p_values: Iterable[int] | None = None, sites: bool = True, solver_seconds: float | None = 60.0,
             progress: bool | None = None) -> pd.DataFrame:
    """For p from the fewest feasible number of schools to today's: total pupil travel time,
    longest walk and pupils beyond the limit of the p-median plan (walking limit hard).

    Parameters
    ----------
    limit
        Walking limit (minutes); the policy's for the level when None.
    progress
        Show a progress bar; ``settings.progress`` when None.

    Returns
    -------
    DataFrame indexed by ``p``: ``pupil_minutes``, ``mean_walk`` and ``max_walk`` (minutes,
    of pupils who walk), ``pupils_beyond_limit``, ``unserved``, ``status``, ``gap``, ``seconds``.
    """
    limit = project.policy.limit(level) if limit is None else float(limit)
    fewest = plan(project, "fewest_schools", level=level, limit=limit, sites=sites, solver_seconds=solver_seconds)
    schools = project.schools
    today = int((schools[level].to_numpy(dtype=bool) & (schools["type"] != "other").to_numpy()).sum())
    values = list(p_values) if p_values is not None else list(range(len(fewest.solution.open), today + 1))
    show = settings.progress if progress is None else progress
    steps: Iterable[int] = tqdm(values, desc=t("progress.tradeoff"), unit=t("progress.plan"), leave=False) if show \
        else values
    records = []
    for p in steps:
        option = plan(project, "p_median", level=level, p=p, limit=limit, sites=sites, solver_seconds=solver_seconds)
        figures = level_summary(option.result, level)  # the same figures as the plan's headlines
        records.append({"p": p, "pupil_minutes": option.solution.objective, "mean_walk": figures["mean_walk"],
                        "max_walk": figures["max_walk"], "pupils_beyond_limit": figures["pupils_beyond_limit"],
                        "unserved": figures["unserved"], "solver_status": option.solution.status,
                        "gap": option.solution.gap, "seconds": option.solution.seconds})
    return pd.DataFrame(records).set_index("p")


def cost_tradeoff(project: Project, *, level: str = "primary", limits: Iterable[float] = (20, 25, 30, 35, 40, 45, 50, 60),
                  sites: bool = True, capacity: bool = True, transport: bool = False, solver_seconds: float | None = 60.0,
                  progress: bool | None = None) -> pd.DataFrame:
    """The least-cost plan at each walking limit: what a shorter limit costs, and how many
    pupils it leaves beyond a daily walk (boarding or without a way to school), each plan
    judged at its own limit (the travel times are reused).

    Returns
    -------
    DataFrame indexed by ``limit`` (minutes): ``schools_open``, ``opening_cost_yuan`` (what
    the choice minimised: :func:`opening_costs` of the schools and sites kept, never more at
    a longer limit), ``one_off_yuan``, ``yearly_yuan`` and ``cost_npv_yuan`` of the plan's
    whole layout (:func:`planning.cost_sheet`: classrooms it leaves short, boarding, teachers
    and funding per pupil included),
    ``max_walk``, ``mean_walk``, ``boarders``, ``pupils_beyond_limit`` (of the level),
    ``solver_status``, ``seconds``; a limit no plan can keep is left out. With ``transport``
    (buses and beds bought, :mod:`planning.transport`) ``opening_cost_yuan`` is what the
    optimiser minimised, buses and beds included (it can be less at a shorter limit when
    villages no bus reaches are left out: ``pupils_beyond_limit`` counts them), and the
    plan's ``bus_riders``, ``buses`` and ``beds_added`` follow.
    """
    values = list(limits)
    show = settings.progress if progress is None else progress
    steps: Iterable[float] = tqdm(values, desc=t("progress.tradeoff"), unit=t("progress.plan"), leave=False) if show \
        else values
    records = []
    for limit in steps:
        at = project.with_policy(project.policy.with_limit(float(limit), level))  # judged at this limit
        try:
            option = plan(at, "least_cost", level=level, sites=sites, capacity=capacity, solver_seconds=solver_seconds,
                          transport=transport)
        except InfeasibleError:
            continue
        figures, summary = level_summary(option.result, level), option.result.summary
        kept = option.columns.index[option.columns["decision"].isin(["keep", "open"])]
        chosen = option.solution.objective if transport else \
            opening_costs(at, level_inputs(at, level, sites=sites, capacity=False), level).reindex(kept).sum()
        bought = {} if option.solution.purchases is None else {
            "bus_riders": figures["bus_riders"], "buses": float(option.solution.purchases["buses"].sum()),
            "beds_added": float(option.solution.purchases["beds_added"].sum())}
        records.append({"limit": float(limit), "schools_open": int(summary["schools_open"]),
                        "opening_cost_yuan": float(chosen), **bought,
                        "one_off_yuan": summary["one_off_yuan"], "yearly_yuan": summary["yearly_yuan"],
                        "cost_npv_yuan": summary["cost_npv_yuan"], "max_walk": figures["max_walk"],
                        "mean_walk": figures["mean_walk"], "boarders": figures["boarders"],
                        "pupils_beyond_limit": figures["pupils_beyond_limit"],
                        "solver_status": option.solution.status, "seconds": option.solution.seconds})
    return pd.DataFrame(records).set_index("limit")


def plot_cost_tradeoff(table: pd.DataFrame, *, ax: Axes | None = None, lang: str | None = None) -> Axes:
    """The least-cost plan's cost over the horizon (万元) and the pupils beyond a daily walk
    (and, with buses bought, the bus riders), against the walking limit (:func:`cost_tradeoff`)."""
    ax, twin = _two_scales(ax, table.index, table["cost_npv_yuan"] / 10_000, table["pupils_beyond_limit"],
                           left=t("plot.cost", lang), right=t("plot.beyond", lang), across=t("plot.walk_limit", lang),
                           title=t("plot.cost_title", lang))
    if "bus_riders" in table:  # buses bought (cost_tradeoff with transport): their riders on the pupils' scale
        twin.plot(table.index, table["bus_riders"], "^:", color="tab:green", label=t("plot.bus_riders", lang))
        twin.set_ylabel(t("plot.pupils_scale", lang))
        lines = ax.get_lines() + twin.get_lines()
        ax.legend(lines, [str(line.get_label()) for line in lines], loc="upper right", fontsize="small")
    return ax


def plot_tradeoff(table: pd.DataFrame, *, ax: Axes | None = None, limit: float | None = None,
                  lang: str | None = None) -> Axes:
    """Total travel time and longest walk against the number of schools.

    Parameters
    ----------
    table
        As made by :func:`tradeoff`.
    limit
        Draw the walking limit (minutes) as a line.
    lang
        Language of the labels (``settings.language`` when None; Chinese needs a CJK font).
    """
    ax, twin = _two_scales(ax, table.index, table["pupil_minutes"] / 1000, table["max_walk"],
                           left=t("plot.pupil_travel", lang), right=t("plot.longest", lang),
                           across=t("plot.schools", lang), title=t("plot.title", lang),
                           left_axis=t("plot.total_walking", lang))
    if limit is not None:
        twin.axhline(limit, color="tab:red", linewidth=0.8, linestyle=":")
    ax.set_xticks(list(table.index))
    return ax


def _two_scales(ax: Axes | None, index: pd.Index, first: pd.Series, second: pd.Series, *, left: str, right: str,
                across: str, title: str, left_axis: str | None = None) -> tuple[Axes, Axes]:
    """``first`` (blue circles, left scale) and ``second`` (red squares, right scale) against
    ``index`` (``across`` below), each line labelled; the left scale named ``left_axis``
    (``left`` when None). Returns both axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    ax.plot(index, first, "o-", color="tab:blue", label=left)
    ax.set_xlabel(across)
    ax.set_ylabel(left_axis or left, color="tab:blue")
    twin = ax.twinx()
    twin.plot(index, second, "s--", color="tab:red", label=right)
    twin.set_ylabel(right, color="tab:red")
    ax.set_title(title)
    return ax, twin


__all__ = ["Solution", "Plan", "GOALS", "p_median", "set_cover", "max_coverage", "plan", "level_inputs", "opening_costs", "column_costs", "cost_tradeoff",
           "plot_cost_tradeoff",
           "tradeoff", "plot_tradeoff"]
