"""The uncapacitated p-median, exact and fast: Benders decomposition of the radius formulation.

The method of Durán-Mateluna, Alès & Elloumi ("An efficient Benders decomposition for the
p-median problem", EJOR 2023), on HiGHS. It works on a cost matrix of rows (villages,
demand points) × columns (schools, sites) whose entries are already weighted
(pupils × minutes), ``inf`` where a row may not use a column.

Radius formulation (Elloumi 2010)
---------------------------------
Let D_i^1 < D_i^2 < … < D_i^K be the distinct costs of row i to the columns it may use,
y_j ∈ {0, 1} whether column j opens (Σ_j y_j = p). With z_i^k ≥ 1 − Σ_{j: c_ij ≤ D_i^k} y_j,
z ≥ 0 ("no open column within radius D_i^k of row i"), row i costs
D_i^1 + Σ_k (D_i^{k+1} − D_i^k) z_i^k.

Benders cuts in closed form
---------------------------
For fixed y, each row's subproblem in z is solved by sorting the row's costs: with r the
first level at which the open share within radius r reaches 1, its optimal dual gives

    θ_i ≥ r − Σ_j max(0, r − c_ij) y_j

valid at every level r and tight at y (for an integral y, r is the cost to the nearest open
column). No LP is solved for a cut: the rows are sorted once (numpy) and each separation is
a cumulative sum over the sorted rows, O(rows × columns).

Master
------
min Σ_i θ_i  subject to  Σ_j y_j = p, kept / closed columns, θ_i ≥ min_j c_ij, the cuts
found so far, and Σ_{j usable by i} y_j ≥ 1 for rows that may not use every column (a
walking limit). It has one variable per column and one per row, whatever the number of pairs.

Solving
-------
1. A start: greedy, then vertex interchange (best swap, Whitaker's fast evaluation of all
   swaps at once), vectorised; its open set is the incumbent and gives the first cuts.
2. Phase 1: the master's LP relaxation, solved again from its last basis after each round
   of cuts until no cut is violated (in-out stabilisation: cuts are taken at a point
   between the LP optimum and a core point, then at the optimum itself). Its largest open
   shares, rounded and improved by interchange, may give a better incumbent.
3. Fixing by reduced cost: a column whose LP reduced cost exceeds the gap between the
   incumbent and the LP bound cannot be in a better plan. (Probing each free column with the
   LP and cuts, done here before the tree, cost more than it saved: on pmed36 10 s of
   probing left a tree of 317 nodes, against 335 nodes without it.)
4. Phase 2: our own branch and cut over the master's LP, kept in one HiGHS instance
   (:class:`~planning.milp.Session`) — what Durán-Mateluna et al. do with CPLEX's cut
   callbacks, which HiGHS (highspy 1.16) does not have: its callback cannot add
   constraints inside its branch and bound. A node is a set of bounds on the open
   variables. Its LP is solved from the parent's basis (dual simplex) with a round of
   Benders cuts at its optimum, fractional or not, and stopped as soon as its bound
   reaches the incumbent (the node is pruned). An integral optimum that violates no cut is
   a plan (offered as incumbent) and ends its node. Otherwise the columns whose reduced
   cost exceeds incumbent − node bound are fixed for its children, and it branches on a
   fractional column chosen by reliability branching: among the most fractional, each
   column's two children are tried with one LP each (strong branching) until it has been
   branched on, afterwards their average bound gains per unit (pseudo-costs) stand in;
   the column whose two gains have the largest product wins, and a child whose LP already
   reaches the incumbent fixes the column the other way instead. Depth first, the child
   on the side the LP leans to first. Every cut stays in the master: it is valid
   everywhere. When every plan's cost is a whole number (OR-Library), a bound above
   incumbent − 1 prunes. The tree proves optimality when no node is left; its bound is
   the least bound of the nodes left (time limit). After ``TREE_NODES`` nodes it gives way
   to HiGHS's branch and bound over the master with the cuts so far, iterated as before
   the tree: solve the MILP, add the cuts its answer violates, solve again — until its
   bound reaches the incumbent or the time runs out.

Measured on 2 shared cores (back to back with the MILP rounds that came before the tree,
which probed every free column first): every OR-Library pmed1–40 proven optimal, the
hardest pmed36 in 5–6 s (141 nodes, about 300 LP solves; 30 s before) and pmed39 in
2–5 s (31 nodes; 17–35 s before); HiGHS's own branch and bound needed 577 nodes and
8,802 generic cuts at its root for pmed36's master.

    >>> import numpy as np
    >>> line = np.abs(np.subtract.outer(np.arange(6) * 10.0, np.arange(6) * 10.0))  # 6 points 10 apart
    >>> answer = p_median(line, 2)
    >>> answer.objective, answer.status, np.flatnonzero(answer.open).tolist(), answer.assignment.tolist()
    (40.0, 'Optimal', [1, 4], [1, 1, 1, 4, 4, 4])
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse

from .milp import MilpResult, Model, Rows, Session

logger = logging.getLogger(__name__)

#: HiGHS's status when the dual simplex's objective reached the bound it was given
REACHED = "Bound on objective reached"

#: rounds of cuts at a node of the tree other than the root (which adds cuts until none is
#: violated): more rounds gave trees as large with more LP solves on pmed36 and pmed39
NODE_ROUNDS = 1

#: fractional columns (the most fractional first) weighed when the tree branches
CANDIDATES = 8

#: branchings on a column, each way, after which its pseudo-costs stand in for strong branching
RELIABLE = 1

#: nodes after which the tree gives way to HiGHS's branch and bound over the master (with
#: every cut found so far)
TREE_NODES = 20_000

#: relative tolerance of a cut's violation and of the stop of the search
_TOL = 1e-6


@dataclass
class Answer:
    """The p-median found.

    Attributes
    ----------
    open
        Whether each column is open (booleans).
    assignment
        The nearest open column of each row (−1 when none is found: no plan in the time).
    objective
        Σ over rows of the cost to that column (the matrix's unit); inf when no plan was found.
    bound
        A proven lower bound on every plan's objective.
    status
        "Optimal" (proven within ``mip_gap``, or by a bound above objective − 1 when every
        cost is a whole number), "Time limit reached" or "Infeasible" (no
        choice of p columns gives every row a column it may use).
    seconds
        Wall-clock time of the whole method (seconds).
    start
        Objective of the greedy + interchange start (inf when it leaves a row without a
        column it may use).
    rounds
        MILP solves of phase 2 by HiGHS (0 unless the tree reached ``TREE_NODES``).
    nodes
        Nodes of phase 2's branch and cut whose LP was solved (its root included).
    lp_solves
        LP solves of the whole method (phase 1's cut rounds, every node's, strong branching's):
        the work, whatever the machine's load.
    phases
        Wall-clock seconds of each step, to see where the time goes: "start" (greedy +
        interchange, sorting the rows, building the master), "lp" (phase 1's LP with cuts
        to convergence, rounding), "fixing" (reduced-cost fixing), "tree" (phase 2's branch
        and cut) and "milp" (HiGHS's MILP solves after the tree, and their cuts); a step not
        reached is absent.
    """

    open: np.ndarray
    assignment: np.ndarray
    objective: float
    bound: float
    status: str
    seconds: float
    start: float
    rounds: int
    nodes: int
    lp_solves: int
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """(objective − bound) / objective: 0 when optimal, inf without a plan."""
        if not np.isfinite(self.objective):
            return float("inf")
        return max(0.0, (self.objective - self.bound) / max(abs(self.objective), 1e-9))


def p_median(cost: np.ndarray, p: int, *, lower: np.ndarray | None = None, upper: np.ndarray | None = None,
             seconds: float | None = None, mip_gap: float = 1e-6) -> Answer:
    """Open ``p`` columns minimising Σ_i min over open usable columns of ``cost[i, j]``.

    Parameters
    ----------
    cost
        Weighted cost (rows × columns), e.g. pupils × walking minutes; ``inf`` (or NaN) where
        a row may not use a column.
    p
        Columns to open.
    lower, upper
        Bounds of each column's open variable (1/1: kept open; 0/0: closed); 0/1 when None.
    seconds
        Time limit of the whole method (seconds); None for none.
    mip_gap
        Relative gap at which the incumbent counts as optimal.
    """
    began = time.perf_counter()
    deadline = np.inf if seconds is None else began + float(seconds)
    c = np.where(np.isnan(cost), np.inf, np.asarray(cost, dtype=float))
    m = c.shape[1]
    lo = np.zeros(m) if lower is None else np.asarray(lower, dtype=float)
    hi = np.ones(m) if upper is None else np.asarray(upper, dtype=float)
    c[:, hi < 0.5] = np.inf
    search = _prepared(c, p, lo, hi, heuristic(c, p, keep=lo > 0.5, may=hi > 0.5, deadline=deadline),
                       deadline=deadline, mip_gap=mip_gap)
    start = search.best.value
    search.lap("start", began)
    bound, status = float(c.min(axis=1).sum()), "Time limit reached"  # each row at its nearest
    if search.left() > 0:
        bound, status = _phase_one(search)
    if status == "Optimal" and not search.proven(bound):
        bound, status = _phase_two(search, bound)
    best = search.best
    if search.proven(bound):  # a bound above incumbent − step (or within rounding) is the incumbent's
        status = "Optimal"
        bound = best.value if bound > best.value - max(search.step, 1e-9 * max(1.0, best.value)) else bound
    logger.debug("seconds by step: %s", {name: round(took, 3) for name, took in search.phases.items()})
    return Answer(best.y > 0.5, best.assignment, best.value, bound, status, time.perf_counter() - began, start,
                  search.rounds, search.nodes, search.lp_solves, search.phases)


def _prepared(cost: np.ndarray, p: int, lower: np.ndarray, upper: np.ndarray, start: np.ndarray, *,
              deadline: float, mip_gap: float) -> _Search:
    """The search from the open set ``start`` (booleans) as incumbent: the rows sorted, the
    master with the cuts tight at ``start`` (none when it leaves a row without a column)."""
    best = _Incumbent.of(cost, start)
    radius = Radius(cost)
    master = _master(cost, p, lower, upper)
    if np.isfinite(best.value):
        master.add_rows(*radius.cut_rows(radius.levels(best.y), np.arange(len(cost))))
    return _Search(master, radius, best, lower.copy(), upper.copy(), _core(p, lower, upper), deadline, mip_gap,
                   step=_step(cost))


def _step(cost: np.ndarray) -> float:
    """1 when every usable cost is a whole number (so is every plan's cost: a bound above
    incumbent − 1 proves it optimal), else 0."""
    finite = cost[np.isfinite(cost)]
    return 1.0 if bool(np.all(finite == np.round(finite))) and float(np.abs(finite).sum()) < 2.0**52 else 0.0


@dataclass
class _Incumbent:
    """The best open set found, its rows' nearest columns and true costs."""

    y: np.ndarray
    assignment: np.ndarray
    costs: np.ndarray
    value: float

    @classmethod
    def of(cls, cost: np.ndarray, open_: np.ndarray) -> _Incumbent:
        """The incumbent of an open set (value inf when a row has no usable open column)."""
        assignment, costs = nearest(cost, open_)
        value = float(costs.sum()) if np.isfinite(costs).all() else float("inf")
        return cls(open_.astype(float), assignment, costs, value)


# ---------------------------------------------------------------------- the start
def nearest(cost: np.ndarray, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest open column and its cost (−1 and inf where none is usable)."""
    cols = np.flatnonzero(open_)
    if not len(cols):
        return np.full(len(cost), -1), np.full(len(cost), np.inf)
    sub = cost[:, cols]
    k = np.argmin(sub, axis=1)
    value = sub[np.arange(len(cost)), k]
    return np.where(np.isfinite(value), cols[k], -1), value


def heuristic(cost: np.ndarray, p: int, *, keep: np.ndarray, may: np.ndarray, deadline: float = np.inf,
              start: np.ndarray | None = None) -> np.ndarray:
    """Greedy then vertex interchange: a good open set of ``p`` columns (booleans).

    Parameters
    ----------
    cost
        Weighted cost (rows × columns), ``inf`` where a row may not use a column.
    keep, may
        Columns that must open / may open (booleans).
    deadline
        ``time.perf_counter()`` value after which the interchange stops.
    start
        ``p`` open columns (booleans) to start the interchange from instead of the greedy's.
    """
    finite = np.isfinite(cost)
    penal = cost
    if not finite.all():  # a row without a usable open column costs more than any plan
        big = float(np.where(finite, cost, 0.0).max(axis=1).sum()) + 1.0
        penal = np.where(finite, cost, big)
    chosen = greedy(penal, p, keep=keep, may=may) if start is None else start
    return interchange(penal, chosen, keep=keep, may=may, deadline=deadline)


def greedy(cost: np.ndarray, p: int, *, keep: np.ndarray, may: np.ndarray) -> np.ndarray:
    """The kept columns, then one column at a time, each the one that lowers Σ_i nearest
    cost most, until ``p`` are open (booleans)."""
    open_ = keep.copy()
    nearest_cost = cost[:, open_].min(axis=1) if open_.any() else np.full(len(cost), np.inf)
    while open_.sum() < p:
        total = np.minimum(cost, nearest_cost[:, None]).sum(axis=0)
        total[open_ | ~may] = np.inf
        j = int(np.argmin(total))
        open_[j] = True
        nearest_cost = np.minimum(nearest_cost, cost[:, j])
    return open_


def interchange(cost: np.ndarray, open_: np.ndarray, *, keep: np.ndarray, may: np.ndarray,
                deadline: float = np.inf) -> np.ndarray:
    """Vertex interchange (Teitz & Bart), best improvement: swap the open column ``r`` and the
    closed column ``j`` that lower Σ_i nearest cost most, while one does.

    All swaps are evaluated at once (Whitaker): with d1, d2 each row's nearest and second
    nearest open cost and a(i) its nearest open column, the change of swapping r out and j in
    is G_j + L_r − Σ_{i: a(i)=r} max(0, d2_i − max(c_ij, d1_i)), where
    G_j = Σ_i min(0, c_ij − d1_i) and L_r = Σ_{i: a(i)=r} (d2_i − d1_i).
    """
    open_ = open_.copy()
    n, m = cost.shape
    out_ok = ~keep
    while time.perf_counter() < deadline:
        cols = np.flatnonzero(open_)
        first, second = _two_nearest(cost[:, cols])
        a, d1 = cols[first[0]], first[1]
        d2 = second if len(cols) > 1 else np.full(n, float(cost.max()) + 1.0)
        gain_in = np.minimum(cost - d1[:, None], 0.0).sum(axis=0)
        loss_out = np.bincount(a, weights=d2 - d1, minlength=m)[cols]
        by_open = sparse.csr_matrix((np.ones(n), (first[0], np.arange(n))), shape=(len(cols), n))
        overlap = by_open @ np.maximum(d2[:, None] - np.maximum(cost, d1[:, None]), 0.0)
        change = gain_in[None, :] + loss_out[:, None] - overlap
        change[~out_ok[cols], :] = np.inf
        change[:, open_ | ~may] = np.inf
        r, j = np.unravel_index(int(np.argmin(change)), change.shape)
        if not change[r, j] < -_TOL * max(1.0, float(d1.sum())):
            break
        open_[cols[r]], open_[j] = False, True
    return open_


def _two_nearest(sub: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """((position, cost) of each row's nearest column of ``sub``, cost of its second nearest)."""
    rows = np.arange(len(sub))
    k = np.argmin(sub, axis=1)
    d1 = sub[rows, k]
    if sub.shape[1] < 2:
        return (k, d1), np.full(len(sub), np.inf)
    two = np.partition(sub, 1, axis=1)[:, :2]
    return (k, d1), two.max(axis=1)


# ---------------------------------------------------------------------- cuts
class Radius:
    """Each row's costs sorted once, to read its Benders cut at any open share in O(columns).

    Parameters
    ----------
    cost
        Weighted cost (rows × columns), ``inf`` where a row may not use a column.
    columns
        The columns that may still open (indices; all when None): the cuts leave out the
        others, which must then stay closed (fixed at 0 in the master).
    """

    def __init__(self, cost: np.ndarray, columns: np.ndarray | None = None) -> None:
        self.cost = cost
        self.n_columns = cost.shape[1]
        self.columns = np.arange(self.n_columns) if columns is None else np.asarray(columns, dtype=int)
        sub = cost[:, self.columns]
        self.order = np.argsort(sub, axis=1, kind="stable")
        self.sorted = np.take_along_axis(sub, self.order, axis=1)

    def restricted(self, columns: np.ndarray) -> Radius:
        """The rows sorted over ``columns`` only (indices)."""
        return Radius(self.cost, columns)

    def _shares(self, y: np.ndarray) -> np.ndarray:
        """``y`` of each row's columns in its sorted order (rows × columns)."""
        return np.asarray(y, dtype=float)[self.columns][self.order]

    def levels(self, y: np.ndarray) -> np.ndarray:
        """Each row's radius r at which the open share ``y`` within it first reaches 1 (the
        level of the tight cut; the nearest open cost when ``y`` is integral)."""
        reached = np.cumsum(self._shares(y), axis=1) >= 1.0 - 1e-9
        k = np.where(reached.any(axis=1), np.argmax(reached, axis=1), self.sorted.shape[1] - 1)
        r = self.sorted[np.arange(len(k)), k]
        last = np.where(np.isfinite(self.sorted), self.sorted, -np.inf).max(axis=1)
        return np.where(np.isfinite(r), r, last)

    def values(self, r: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cut at levels ``r`` evaluated at ``y``: r_i − Σ_j max(0, r_i − c_ij) y_j per row."""
        return r - (np.maximum(r[:, None] - self.sorted, 0.0) * self._shares(y)).sum(axis=1)

    def cut_rows(self, r: np.ndarray, rows: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """The cuts θ_i + Σ_j max(0, r_i − c_ij) y_j ≥ r_i of ``rows`` over the master's
        variables [y (columns) | θ (rows)]: (matrix, lower, upper)."""
        n = len(self.sorted)
        r = r[rows]
        count = np.array([np.searchsorted(self.sorted[i], level) for i, level in zip(rows, r, strict=True)], dtype=int)
        k = np.repeat(np.arange(len(rows)), count)
        t = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        i = rows[k]
        values = np.r_[r[k] - self.sorted[i, t], np.ones(len(rows))]
        columns = np.r_[self.columns[self.order[i, t]], self.n_columns + rows]
        matrix = sparse.csr_matrix((values, (np.r_[k, np.arange(len(rows))], columns)),
                                   shape=(len(rows), self.n_columns + n))
        return matrix, r, np.full(len(rows), np.inf)

    def violated(self, r: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Rows whose cut at levels ``r`` cuts off (y, θ)."""
        value = self.values(r, y)
        return np.flatnonzero(value - theta > _TOL * np.maximum(1.0, np.abs(value)))


# ---------------------------------------------------------------------- master and phases
def _master(cost: np.ndarray, p: int, lower: np.ndarray, upper: np.ndarray) -> Session:
    """The master over [y (columns) | θ (rows)]: Σ y = p, cover rows, θ_i ≥ min_j c_ij."""
    n, m = cost.shape
    usable = np.isfinite(cost)
    rows = Rows(m + n)
    rows.add([(np.zeros(m, dtype=int), np.arange(m), 1.0)], p, p, count=1)
    partial = np.flatnonzero((~usable[:, upper > 0.5]).any(axis=1))
    if len(partial):  # rows that may not use every column: one of theirs must open
        ri, cj = np.nonzero(usable[partial])
        rows.add([(ri, cj, 1.0)], 1.0, np.inf, count=len(partial))
    floor = np.where(usable, cost, np.inf).min(axis=1)
    model = Model.from_rows(np.r_[np.zeros(m), np.ones(n)], rows, col_lower=np.r_[lower, floor],
                            col_upper=np.r_[upper, np.full(n, np.inf)],
                            integer=np.r_[np.ones(m, dtype=bool), np.zeros(n, dtype=bool)])
    return Session(model)


def _core(p: int, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """An interior point of the open shares: kept columns open, p spread over the others."""
    free = (upper > 0.5) & (lower < 0.5)
    core = lower.astype(float).copy()
    if free.any():
        core[free] = max(0.0, p - lower.sum()) / free.sum()
    return core


@dataclass
class _Search:
    """What the phases share: the master, the sorted rows, the incumbent, the open
    variables' bounds now (after fixing), the stabilisation's core point, the deadline; the
    unit of every plan's cost (``step``, 0 when none), MILP solves, tree nodes and LP solves
    so far."""

    master: Session
    radius: Radius
    best: _Incumbent
    lower: np.ndarray
    upper: np.ndarray
    core: np.ndarray
    deadline: float
    mip_gap: float
    phases: dict[str, float] = field(default_factory=dict)
    step: float = 0.0
    rounds: int = 0
    nodes: int = 0
    lp_solves: int = 0

    def left(self) -> float:
        """Seconds left before the deadline."""
        return self.deadline - time.perf_counter()

    def lap(self, step: str, since: float) -> None:
        """Count the seconds from ``since`` (a ``time.perf_counter()`` value) to now in ``step``."""
        self.phases[step] = self.phases.get(step, 0.0) + time.perf_counter() - since

    def target(self) -> float:
        """A bound at or above which no plan beats the incumbent by more than the gap."""
        if not np.isfinite(self.best.value):
            return float("inf")
        scale = max(1.0, abs(self.best.value))
        return self.best.value - max(self.mip_gap * scale, self.step - 1e-6 * scale)

    def proven(self, bound: float) -> bool:
        """Whether ``bound`` proves the incumbent optimal (within the gap, or within ``step``
        when every plan's cost is a multiple of it)."""
        return bool(np.isfinite(self.best.value) and bound >= self.target())

    def lp(self, stop_at: float = np.inf) -> MilpResult:
        """The master's LP from its last basis; its dual simplex stops once its bound reaches
        ``stop_at`` (status ``REACHED``, no solution)."""
        self.lp_solves += 1
        return self.master.solve(relax=True, seconds=self.left(), stop_at=stop_at if stop_at < np.inf else None)

    def set_bounds(self, columns: np.ndarray, lower: float, upper: float) -> None:
        """Bound the open variables of ``columns``."""
        self.lower[columns], self.upper[columns] = lower, upper
        self.master.set_bounds(columns, self.lower[columns], self.upper[columns])

    def offer(self, y: np.ndarray) -> None:
        """Make the open set ``y`` (integral) the incumbent when it costs less."""
        candidate = _Incumbent.of(self.radius.cost, y > 0.5)
        if candidate.value < self.best.value:
            self.best = candidate


def _converge(search: _Search, *, stop_at: float = np.inf, most: int | None = None
              ) -> tuple[MilpResult | None, float]:
    """The master's LP with cuts added until none is violated (in-out stabilisation: cuts
    at the midpoint of the LP optimum and the core point first, at the optimum when the
    midpoint gives none), or until its bound reaches ``stop_at``, or after ``most`` rounds
    of cuts while the LP optimum is fractional (an integral one is cut until no cut is
    violated there: then its θ are the plan's true costs). An integral LP optimum is
    offered as incumbent. Returns (last LP or None, bound)."""
    m = search.radius.n_columns
    bound, lp, rounds = -np.inf, None, 0
    while search.left() > 0:
        lp = search.lp(stop_at)
        if lp.status == REACHED:
            return lp, max(bound, stop_at)
        if not lp.optimal:
            return lp, bound
        bound = max(bound, lp.objective)
        y, theta = lp.x[:m], lp.x[m:]
        integral = bool(np.all(np.minimum(y, 1 - y) < 1e-6))
        if integral:
            search.offer(np.round(y))
        if bound >= stop_at or (most is not None and rounds >= most and not integral):
            return lp, bound
        rounds += 1
        mid = 0.5 * (y + search.core)
        found = search.radius.violated(levels := search.radius.levels(mid), y, theta)
        if not len(found):
            found = search.radius.violated(levels := search.radius.levels(y), y, theta)
        if not len(found):
            return lp, bound
        search.core = mid
        search.master.add_rows(*search.radius.cut_rows(levels, found))
    return None, bound


def _phase_one(search: _Search) -> tuple[float, str]:
    """The LP relaxation with cuts to convergence, then columns fixed by reduced cost.
    Returns (LP bound, "Optimal" or why it stopped)."""
    began = time.perf_counter()
    lp, bound = _converge(search, stop_at=search.target())
    if lp is None or not lp.optimal:
        search.lap("lp", began)
        return bound, "Time limit reached" if lp is None else lp.status
    logger.debug("LP bound %.6g, %d rows, %.1f s left", bound, search.master.n_rows, search.left())
    _round(search, lp.x[: search.radius.n_columns])
    search.lap("lp", began)
    if np.isfinite(search.best.value) and bound < search.target():
        began = time.perf_counter()
        _fix_by_reduced_cost(search, lp, bound)
        search.radius = search.radius.restricted(np.flatnonzero(search.upper > 0.5))
        search.lap("fixing", began)
    return bound, "Optimal"


def _round(search: _Search, y: np.ndarray) -> None:
    """Offer the interchange's best from the LP's open shares rounded: the kept columns and
    the largest shares, p in all."""
    keep, may = search.lower > 0.5, search.upper > 0.5
    p = int(round(y.sum()))
    rank = np.argsort(-np.where(keep, 2.0, np.where(may, y, -1.0)), kind="stable")
    start = np.zeros(len(y), dtype=bool)
    start[rank[:p]] = True
    search.offer(heuristic(search.radius.cost, p, keep=keep, may=may, deadline=search.deadline, start=start))


def _fix_by_reduced_cost(search: _Search, lp: MilpResult, bound: float) -> None:
    """Fix columns that no plan better than the incumbent can open (or close): an LP
    optimum at its bound whose reduced cost exceeds incumbent − LP bound. The incumbent's
    own choice is never fixed against."""
    if lp.col_dual is None:
        return
    m = search.radius.n_columns
    room = search.target() - bound
    y, reduced, held = lp.x[:m], lp.col_dual[:m], search.best.y
    closed = np.flatnonzero((y < 1e-9) & (reduced > room) & (held < 0.5) & (search.lower < search.upper))
    opened = np.flatnonzero((y > 1 - 1e-9) & (-reduced > room) & (held > 0.5) & (search.lower < search.upper))
    search.set_bounds(closed, 0.0, 0.0)
    search.set_bounds(opened, 1.0, 1.0)
    logger.debug("reduced costs fixed %d closed, %d open", len(closed), len(opened))


def _phase_two(search: _Search, bound: float) -> tuple[float, str]:
    """Our branch and cut from the LP bound of phase 1, and HiGHS's MILP rounds when it
    reaches ``TREE_NODES`` (see the module docstring). Returns (bound, status)."""
    began = time.perf_counter()
    bound, status = _tree(search, bound, most=TREE_NODES)
    search.lap("tree", began)
    logger.debug("tree: %d nodes, %d LP solves, %s, bound %.6g", search.nodes, search.lp_solves, status, bound)
    if status == "Node limit reached":
        began = time.perf_counter()
        bound, status = _highs_rounds(search, bound)
        search.lap("milp", began)
    return bound, status


def _highs_rounds(search: _Search, bound: float) -> tuple[float, str]:
    """The master as a MILP, cuts added at each answer until its bound meets the
    incumbent (see the module docstring). Returns (bound, status)."""
    m = search.radius.n_columns
    # HiGHS cannot take lazy constraints inside its branch and bound (highspy has no such
    # callback), so each round solves the MILP anew with the cuts so far, warm-started
    while not search.proven(bound) and search.left() > 0:
        best = search.best
        start = np.r_[best.y, best.costs] if np.isfinite(best.value) else None
        mip = search.master.solve(relax=False, seconds=search.left(), mip_gap=search.mip_gap, initial=start)
        search.rounds += 1
        logger.debug("MILP %.2f s: %s, bound %.6g, objective %.6g", mip.seconds, mip.status, mip.bound,
                     mip.objective)
        if mip.status == "Infeasible":  # nothing better than the incumbent (or no plan at all)
            return (best.value, "Optimal") if np.isfinite(best.value) else (bound, "Infeasible")
        if np.isfinite(mip.bound):
            bound = max(bound, mip.bound)
        if not mip.has_solution:
            break
        y = (mip.x[:m] > 0.5).astype(float)
        search.offer(y)
        if not mip.optimal:
            break
        cuts = search.radius.violated(levels := search.radius.levels(y), y, mip.x[m:])
        if len(cuts):
            search.master.add_rows(*search.radius.cut_rows(levels, cuts))
    return bound, "Optimal" if search.proven(bound) else "Time limit reached"


# ---------------------------------------------------------------------- phase 2: our branch and cut
@dataclass
class _Node:
    """A node of the tree: bounds of the open variables, a lower bound on every plan within
    it (its parent's LP bound, or its own LP's from strong branching), and the basis to
    start its LP from (its parent's; None at the root)."""

    lower: np.ndarray
    upper: np.ndarray
    bound: float
    basis: highspy.HighsBasis | None = None


@dataclass
class _Gains:
    """Pseudo-costs: the LP bound's gain per unit of change seen when each column was set to
    0 (row 0) or 1 (row 1), summed, and how many times."""

    total: np.ndarray
    count: np.ndarray

    def note(self, side: int, j: int, gain: float, change: float) -> None:
        """Count one gain (in the cost's unit) seen when column ``j`` moved by ``change``."""
        if np.isfinite(gain) and change > 1e-9:
            self.total[side, j] += max(gain, 0.0) / change
            self.count[side, j] += 1

    def estimate(self, side: int, j: int) -> float:
        """The average gain per unit of column ``j`` on ``side`` (of every column when ``j``
        has none yet; 1 when no column has)."""
        if self.count[side, j]:
            return float(self.total[side, j] / self.count[side, j])
        seen = self.count[side] > 0
        return float(self.total[side, seen].sum() / self.count[side, seen].sum()) if seen.any() else 1.0


def _tree(search: _Search, bound: float, *, most: int) -> tuple[float, str]:
    """Branch and cut over the master's LP (see the module docstring), from the bounds left
    by phase 1, whose LP bound is ``bound``. Returns (bound, status): "Optimal" (or
    "Infeasible" without any plan) when no node is left, "Node limit reached" after
    ``most`` nodes, else "Time limit reached"; the bound is the least of the nodes left."""
    m = search.radius.n_columns
    stack = [_Node(search.lower.copy(), search.upper.copy(), bound)]
    gains = _Gains(np.zeros((2, m)), np.zeros((2, m)))
    solved = 0
    while stack and search.left() > 0 and solved < most:
        node = stack.pop()
        if node.bound >= search.target():
            continue  # the incumbent improved since the node was made
        search.master.set_bounds(np.arange(m), node.lower, node.upper)
        if node.basis is not None:
            search.master.restore(node.basis)
        lp, value = _converge(search, stop_at=search.target(), most=None if solved == 0 else NODE_ROUNDS)
        solved += 1
        if lp is None:  # out of time within the node
            stack.append(node)
            break
        if lp.optimal and value < search.target():  # else infeasible or no better than the incumbent
            stack.extend(_children(search, node, lp, value, gains))
    search.nodes += solved
    search.master.set_bounds(np.arange(m), search.lower, search.upper)
    bound = min([search.best.value, *(node.bound for node in stack)])
    if not stack:
        return bound, "Optimal" if np.isfinite(search.best.value) else "Infeasible"
    return bound, "Time limit reached" if search.left() <= 0 else "Node limit reached"


def _children(search: _Search, node: _Node, lp: MilpResult, value: float, gains: _Gains) -> list[_Node]:
    """The children of a node whose LP optimum (``lp``, bound ``value``) violates no cut
    found: none when it is integral (a plan, offered as incumbent by :func:`_converge`);
    else two, on the column :func:`_branch` picks, the one to solve first last. Both keep
    the columns fixed by the node's reduced costs: those whose reduced cost exceeds
    incumbent − ``value`` (and those strong branching fixed)."""
    m = search.radius.n_columns
    y = lp.x[:m]
    if np.minimum(y, 1.0 - y).max() < 1e-6:
        return []
    lower, upper = node.lower.copy(), node.upper.copy()
    if lp.col_dual is not None:
        room, reduced = search.target() - value, lp.col_dual[:m]
        upper[(y < 1e-9) & (reduced > room)] = 0.0
        lower[(y > 1.0 - 1e-9) & (-reduced > room)] = 1.0
    basis = search.master.basis()
    chosen = _branch(search, lower, upper, y, value, gains)
    if chosen is None:
        return []
    j, down_bound, up_bound = chosen
    if j < 0:  # strong branching fixed every candidate: the node again with those fixings
        return [_Node(lower, upper, value, basis)]
    down = _Node(lower.copy(), upper.copy(), max(value, down_bound), basis)
    up = _Node(lower.copy(), upper.copy(), max(value, up_bound), basis)
    down.upper[j], up.lower[j] = 0.0, 1.0
    return [down, up] if y[j] >= 0.5 else [up, down]


def _branch(search: _Search, lower: np.ndarray, upper: np.ndarray, y: np.ndarray, value: float,
            gains: _Gains) -> tuple[int, float, float] | None:
    """Reliability branching over the ``CANDIDATES`` most fractional columns of ``y``: each
    column's two children are weighed by their LP bounds (one LP each, strong branching)
    until it has been branched on ``RELIABLE`` times each way, afterwards by its
    pseudo-costs; the column whose two bound gains have the largest product wins. A child
    whose LP reaches the incumbent fixes its column the other way in ``lower``/``upper``
    (both children pruned: the node is, None). Returns (column or −1 when every candidate
    was fixed, a bound on its down child's plans, on its up child's: the strong branching
    LP's, or the node's when weighed by pseudo-costs, which are estimates)."""
    fraction = np.minimum(y, 1.0 - y)
    candidates = np.flatnonzero(fraction > 1e-6)
    candidates = candidates[np.argsort(-fraction[candidates], kind="stable")][:CANDIDATES]
    best, best_score = (-1, -np.inf, -np.inf), -np.inf
    for j in candidates.tolist():
        if min(gains.count[0, j], gains.count[1, j]) >= RELIABLE:
            down, up = value + gains.estimate(0, j) * y[j], value + gains.estimate(1, j) * (1.0 - y[j])
            proven = (value, value)  # estimates, not bounds
        else:
            down, up = _strong(search, j, lower[j], upper[j])
            gains.note(0, j, min(down, search.target()) - value, y[j])
            gains.note(1, j, min(up, search.target()) - value, 1.0 - y[j])
            if down == np.inf and up == np.inf:
                return None
            if np.inf in (down, up):
                lower[j] = upper[j] = 1.0 if down == np.inf else 0.0
                search.master.set_bounds(np.array([j]), lower[j], upper[j])
                continue
            proven = (down, up)
        score = max(down - value, 1e-6) * max(up - value, 1e-6)
        if score > best_score:
            best, best_score = (j, float(proven[0]), float(proven[1])), score
    return best


def _strong(search: _Search, j: int, lower: float, upper: float) -> tuple[float, float]:
    """The LP bound (one solve from the last basis, no new cuts) with column ``j`` closed and
    open: inf when it is infeasible or reaches the incumbent, −inf when the time ran out;
    the column's bounds ``lower``, ``upper`` are put back."""
    found = []
    for side in (0.0, 1.0):
        search.master.set_bounds(np.array([j]), side, side)
        lp = search.lp(search.target())
        found.append(np.inf if lp.status in (REACHED, "Infeasible") else lp.objective if lp.optimal else -np.inf)
    search.master.set_bounds(np.array([j]), lower, upper)
    return found[0], found[1]
