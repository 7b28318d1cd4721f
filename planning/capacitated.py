"""Capacitated single-source p-median, solved exactly: Lagrangian bounds, fixing, then HiGHS.

The problem (the strong model of :mod:`planning.optimise`, capacities given, rows zoned
whole): y_j ∈ {0, 1} open, x_ij ∈ {0, 1} row i goes to column j (pairs allowed only),

    minimise    Σ_ij c_ij x_ij                       (c_ij: weight × cost of the pair)
    subject to  Σ_j x_ij = 1                         each row once
                Σ_i d_i x_ij ≤ C_j y_j               seats of column j (C_j = ∞: none)
                x_ij ≤ y_j,   Σ_j y_j = p            (some y fixed open or closed)

Method
------
1. **Lagrangian bound.** Relaxing "each row once" with multipliers λ_i leaves one 0-1
   knapsack per column, K_j(λ) = min Σ_i (c_ij − λ_i) x_ij subject to Σ_i d_i x_ij ≤ C_j
   (rows with c_ij < λ_i only), solved by dynamic programming over the seats, every
   column at once (:func:`knapsacks`). Then

       L(λ) = Σ_i λ_i + Σ_{j kept open} K_j(λ) + the p − (kept open) smallest K_j of the
              columns free to open

   is below the cost of every solution, whatever λ. The multipliers start from the duals
   of the LP relaxation (so L ≥ the LP bound: the knapsacks are whole) and improve by
   subgradient steps (Polyak's step towards the incumbent). The best value of L is the
   bound of the Dantzig–Wolfe master (each row once over knapsack columns, each column
   at most once, p columns); the steps stall below it (pmedcap20: 971.9 after 300 steps,
   972.8 after 900; the master's 973.6), so on the way to HiGHS (step 5), where fixing
   (step 3) leaves more than :data:`LARGE` pairs per row, column generation follows
   (:func:`column_generation`): the master LP over the knapsacks the steps met, its row
   duals as λ, each column's best knapsack at λ added while it prices out (at most 40
   rounds). Each λ it meets gives the valid bound L(λ). Even converged, the bound stays
   well below the optimum on tight seats (pmedcap08: 771.7 against 820, pmedcap20: 973.6
   against 1005): the fractional master shares rows between columns.
2. **Incumbent.** The LP's p columns, each relaxation's, and (where the column generation
   runs) those of the three best relaxations the steps met, improved by vertex substitution under a regret assignment
   improved by row moves and exchanges (:func:`_shifts`), then given their rows by a small
   MILP (the generalised assignment on those columns); the best is the incumbent U.
3. **Fixing.** With x_ij = 1 forced, the bound rises to at least
   L + (K_j − the largest K chosen, if j is not chosen) + max(0, c_ij − λ_i + K_j(C_j − d_i) − K_j),
   where K_j(c) is the knapsack's best value with c seats (a by-product of the dynamic
   programme). A pair whose forced bound reaches U (less 1 when every cost is a whole
   number, less the relative gap asked for otherwise) is in no solution better than U and
   is left out; a column is closed (kept open) when forcing it open (closed) does the same.
   No shortlist is involved: every pair left out is proven unable to beat U. This is done
   at the subgradient's and at the column generation's multipliers; a pair goes when
   either proof rules it out.
4. **Every set of open columns, when they are few** (:func:`by_sets`). At fixed λ the
   relaxation of the solutions opening a set S is Σ_i λ_i + Σ_{j∈S} K_j(λ): a lower bound
   of every solution opening S, for any λ, linear in the columns (a Lagrangian cut in
   their space). The sets whose bound at the root's λ is below the cutoff are listed
   (:func:`column_sets`; pmedcap08: 880,510 of C(50, 5) = 2,118,760). Then, while any is
   left, the one of least bound is taken: subgradient steps on its columns alone each
   work out every column's knapsack, so each step's λ is a cut of **every** set left, and
   one set's steps rule out thousands; a set whose own bound stays below the cutoff after
   :data:`SET_STEPS` steps has its rows assigned exactly by HiGHS (the generalised
   assignment: 5 ms at 50 rows), and a cheaper assignment becomes the incumbent. When no
   set is left, U is optimal. pmedcap08: 153 sets taken, 19 assigned exactly, 1,079 cuts,
   1.7 s after the root (HiGHS's tree below took 12 s); pmedcap01–10 in 0.1–2.0 s
   (geometric mean 0.30 s, before 0.59 s). Used when the sets left after the root hold at
   most :data:`SET_CELLS` cells (sets × columns chosen); with more (pmedcap11–20 and SJC:
   p = 10–15 of 100–200 columns, up to about 10^13 sets) the list is given up, in at most
   0.2 s, and:
5. **HiGHS** solves the strong model over the pairs left, started from U, with the
   **Lagrangian cuts** of the subgradient's multipliers: Σ_i (c_ij − λ_i) x_ij ≥ K_j(λ) y_j
   for each column j (an open column's rows are one of its knapsacks; a closed one has
   none), so the root LP is at least L(λ), and every branch on y_j keeps that strength
   (same pairs and start, 2 shared cores: pmedcap07 11.0 s → 7.5 s, pmedcap10 11.3 →
   11.0, pmedcap08 37.7 → 36.0; adding the column generation's cuts as well doubled
   pmedcap08, so they are left out).
   Its optimum is the full model's (or U is), and min(its bound, U) — never below L — is
   a bound of the full model, so "Optimal" is a proof for the full model.

The bound stops short of the optimum when the capacities are tight (the relaxation lets
the p knapsacks share rows); the sets (step 4) or HiGHS's branching (step 5) close the
rest. The gap is in the choice of columns, not in the assignment: with the right set
fixed, the bound of that set alone usually reaches its best assignment, which is why
going through the sets works where they are few.

Where the time went on the hardest small instance before step 4
----------------------------------------------------------------
pmedcap08 (50 rows, p = 5, seats 552 of 600) took 12–16 s, nearly all in HiGHS's tree:
1,616 nodes at about 8 ms each, the bound rising from the root's 770.4 (the column
generation's 771.7 is the Dantzig–Wolfe bound) to the optimum 820. The gap is in the
choice of columns, not in the assignment: with the optimum's five columns fixed, the same
bound is 820 exactly. Measured on it and left out, because none made the proof faster:

- branch and price on the columns only (the master's bound at every node, best first):
  1,033 nodes, 271 s;
- our own depth-first tree after the root (a few subgradient steps from the parent's
  multipliers and this fixing at every node, strong branching on the columns, HiGHS's exact
  assignment once p columns are chosen): 3,455 nodes, 130 s (x branching: 1,156 nodes,
  unfinished at 240 s) — the knapsack bound cannot pass the Dantzig–Wolfe one, and a node
  costs 30–40 ms of knapsack programmes against HiGHS's 8 ms (pmedcap07 4.2 s as now,
  pmedcap10 12.5 s against 4.6 s, pmedcap15/18/20 and SJC2 unproven at 60 s);
- enumerating the column sets whose bound at the root multipliers is below the cutoff:
  924,509 sets of 5 on pmedcap08, too many to assign each (step 4 now rules nearly all
  out by the cuts of a few sets' subgradient steps instead);
- probing each column open with 60 subgradient steps: 12 of 50 columns closed (1 before),
  then HiGHS 14 s;
- rows "each open column holds at least its seats less the spare seats of the p largest"
  (72 of 120 here): root LP 768.7 → 768.9;
- Lagrangian cuts at the multipliers of the best relaxations' column sets, with those
  columns fixed: 12 s → 21 s;
- HiGHS options (no heuristics, no presolve, no restart, no symmetry detection, one
  thread, other LP ageing and pseudo-cost weights): 11.5–15.8 s;
- a branch and cut adding these cuts inside HiGHS's search: highspy 1.16's callback
  input carries only a solution and an interrupt flag, so no rows can be added there;
- **count cuts**: the rows of a set T need at least k(T) = ⌈Σ_T d_i / C⌉ open columns,
  so Σ_j min(y_j, Σ_{i∈T} x_ij) ≥ k(T), written as Σ_{j∈J} y_j + Σ_{j∉J} Σ_{i∈T} x_ij ≥ k(T)
  for the J where y_j is the smaller (valid for every J), separated over the balls of each
  row's nearest rows. They are what the fractional LP breaks: pmedcap08's LP opens six
  columns at ½ over two groups of rows of 155 and 170 seats, each group's columns summing
  to 1½ where it needs 2. Root bound 768.7 (LP) → 787.7 after 24 rounds (the
  Dantzig–Wolfe bound is 771.7; pmedcap20 961.2 → 974.7, pmedcap18 1025.5 → 1030.8), but
  HiGHS with the binding ones takes 11.3 s, as before (the tree still has to close
  787.7 → 820). Our own branch and cut with them (branching on columns by reliability,
  count cuts and x ≤ y rows separated at every node, slack count cuts deleted, depth
  first): 355 nodes, 1,131 LPs at 3.6 ms each, 5.7 s before the assignments of the
  leaves whose columns are whole; about 6–7 s in all against 12 s — not the few seconds
  asked for, so left out (sketch and figures of 2026-11-24). In that prototype: count
  cuts also over the rows of each group of fractional columns sharing rows (381 nodes
  instead of 437, no faster); a knapsack bound (20 subgradient steps from the node LP's
  duals) at every node pruned 24 of 535 nodes, at 5 ms each;
- HiGHS's random seed: 12–17 s over seeds 0–5, so racing two seeds on the two cores
  gains little.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from .milp import MilpResult, Model, Rows
from .milp import solve as solve_lp

logger = logging.getLogger(__name__)

#: Most seat buckets a knapsack's dynamic programme uses; larger capacities are scaled
#: down (weights and capacities rounded down: still a relaxation, so still a bound).
BUCKETS = 1000
#: Most cells (items × columns × buckets) the dynamic programme keeps at once.
CELLS = 20_000_000
#: Pairs per row that fixing may leave before the column generation and more starts are
#: tried (a smaller model HiGHS proves at once: pmedcap03, 05 keep about 3 per row).
LARGE = 6


@dataclass
class Knapsacks:
    """Best 0-1 knapsacks, one per group (column).

    Attributes
    ----------
    value
        Per group: the least Σ value of items fitting its capacity (≤ 0: empty is allowed).
    table
        (groups, buckets + 1): the least Σ value within each load c (buckets), c ≤ capacity.
    chosen
        Per item: in its group's best knapsack.
    weight, capacity
        Items' weights and groups' capacities in buckets (whole numbers; −1: unlimited).
    """

    value: np.ndarray
    table: np.ndarray
    chosen: np.ndarray
    weight: np.ndarray
    capacity: np.ndarray


def buckets_of(weight: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole-number weights and capacities (−1 for unlimited) for the dynamic programme:
    scaled so the largest finite capacity is at most :data:`BUCKETS`, rounded down (any
    load that fits still fits: a relaxation)."""
    finite = np.isfinite(capacity)
    top = float(capacity[finite].max()) if finite.any() else 0.0
    scale = min(1.0, BUCKETS / top) if top > 0 else 1.0
    eps = 1e-9
    w = np.floor(np.asarray(weight, dtype=float) * scale + eps).astype(np.int64)
    c = np.where(finite, np.floor(np.nan_to_num(capacity, posinf=0.0) * scale + eps), -1).astype(np.int64)
    return np.maximum(w, 0), c


def knapsacks(value: np.ndarray, weight: np.ndarray, group: np.ndarray, capacity: np.ndarray) -> Knapsacks:
    """One 0-1 knapsack per group: the items of negative value whose bucket weights fit the
    group's capacity, least total value (dynamic programme over buckets, every group at
    once, in chunks of at most :data:`CELLS` cells).

    Parameters
    ----------
    value, weight, group
        Per item: its value (to minimise), weight (whole buckets ≥ 0) and group.
    capacity
        Per group: capacity in buckets; −1 for unlimited (every negative item is taken).
    """
    n_groups = len(capacity)
    top = int(max(capacity.max(initial=0), 0))
    table = np.zeros((n_groups, top + 1))
    chosen = np.zeros(len(value), dtype=bool)
    useful = np.flatnonzero(value < 0)
    unlimited = capacity[group[useful]] < 0
    free = useful[unlimited]
    chosen[free] = True
    total = np.bincount(group[free], weights=value[free], minlength=n_groups)
    table += total[:, None]
    items = useful[~unlimited & (weight[useful] <= capacity[group[useful]])]
    if len(items):
        order = items[np.argsort(group[items], kind="stable")]
        counts = np.bincount(group[order], minlength=n_groups)
        first = np.r_[0, np.cumsum(counts)[:-1]]
        busy = np.flatnonzero(counts)
        per_chunk = max(1, CELLS // max(1, int(counts.max()) * (top + 1)))
        for lo in range(0, len(busy), per_chunk):
            _chunk(busy[lo:lo + per_chunk], order, counts, first, value, weight, capacity, table, chosen)
    value_at = table[np.arange(n_groups), np.maximum(capacity, 0)]
    return Knapsacks(value_at, table, chosen, weight, capacity)


def _chunk(groups: np.ndarray, order: np.ndarray, counts: np.ndarray, first: np.ndarray, value: np.ndarray,
           weight: np.ndarray, capacity: np.ndarray, table: np.ndarray, chosen: np.ndarray) -> None:
    """The dynamic programme of some groups (``table`` and ``chosen`` filled in place)."""
    slots = int(counts[groups].max(initial=0))
    if slots == 0:
        return
    top = table.shape[1] - 1
    g = len(groups)
    slot = np.arange(slots)
    present = slot[None, :] < counts[groups][:, None]                        # (g, slots)
    item = np.where(present, order[np.minimum(first[groups][:, None] + slot[None, :], len(order) - 1)], -1)
    w = np.where(present, weight[np.maximum(item, 0)], 0)
    v = np.where(present, value[np.maximum(item, 0)], 0.0)
    best = table[groups].copy()
    took = np.zeros((slots, g, top + 1), dtype=bool)
    load = np.arange(top + 1)
    rows = np.arange(g)[:, None]
    for k in range(slots):
        back = load[None, :] - w[:, k:k + 1]
        with_item = np.where(back >= 0, best[rows, np.maximum(back, 0)] + v[:, k:k + 1], np.inf)
        took[k] = with_item < best - 1e-12
        best = np.where(took[k], with_item, best)
    table[groups] = best
    left = np.maximum(capacity[groups], 0)
    for k in range(slots - 1, -1, -1):               # walk back from each group's capacity
        take = took[k, np.arange(g), left] & present[:, k]
        chosen[item[take, k]] = True
        left = left - np.where(take, w[:, k], 0)


@dataclass
class Pairs:
    """The allowed pairs of a capacitated p-median and its data.

    Attributes
    ----------
    row, col, cost
        Per pair: its row, column and objective coefficient (weight × cost).
    demand
        Per row: seats it takes.
    capacity
        Per column: seats (inf: unlimited).
    p
        Columns to open.
    y_lower, y_upper
        Per column: 1/1 kept open, 0/0 closed.
    """

    row: np.ndarray
    col: np.ndarray
    cost: np.ndarray
    demand: np.ndarray
    capacity: np.ndarray
    p: int
    y_lower: np.ndarray
    y_upper: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.demand), len(self.capacity)

    @property
    def step(self) -> float:
        """1 when every pair's cost is a whole number (a better solution is then at least 1
        better), else 0."""
        return 1.0 if np.allclose(self.cost, np.round(self.cost), rtol=0, atol=1e-9) else 0.0


@dataclass
class Lagrangian:
    """The relaxation at one set of multipliers (module docstring, step 1).

    Attributes
    ----------
    bound
        L(λ), a lower bound on every solution's cost.
    multipliers
        λ per row.
    value
        Per column: K_j(λ) where worked out exactly (every column the relaxation opens),
        else a lower bound of it (the knapsack's LP) that keeps it out of the p smallest.
    items
        Per pair: in the knapsack of its column (columns worked out exactly).
    chosen
        Per column: open in the relaxation's solution (p columns).
    """

    bound: float
    multipliers: np.ndarray
    value: np.ndarray
    items: np.ndarray
    chosen: np.ndarray


def fractional(value: np.ndarray, weight: np.ndarray, group: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Per group: the least Σ value of its negative items when an item may be taken in part
    (the knapsack's LP, items by value per bucket): a lower bound of the 0-1 knapsack."""
    useful = np.flatnonzero(value < 0)
    if not len(useful):
        return np.zeros(len(capacity))
    v, w, g = value[useful], weight[useful].astype(float), group[useful]
    ratio = np.where(w > 0, v / np.maximum(w, 1.0), -np.inf)     # weightless items first
    order = np.lexsort((ratio, g))
    v, w, g = v[order], w[order], g[order]
    total = np.cumsum(w)
    first = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    offset = np.zeros(len(g))
    offset[first] = total[first] - w[first]
    before = total - w - np.maximum.accumulate(offset)             # weight ahead in its group
    room = np.where(capacity[g] < 0, np.inf, capacity[g].astype(float)) - before
    share = np.where(w > 0, np.clip(room / np.maximum(w, 1.0), 0.0, 1.0), 1.0)
    return np.bincount(g, weights=v * share, minlength=len(capacity))


def relaxation(pairs: Pairs, multipliers: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> Lagrangian:
    """L(λ) and its solution (bucket ``weight`` per row, ``capacity`` per column). Knapsacks
    are worked out exactly only for columns whose LP bound could put them among the p
    smallest, until the p smallest are all exact."""
    reduced = pairs.cost - multipliers[pairs.row]
    item_weight = weight[pairs.row]
    value = np.where(pairs.y_upper > 0, fractional(reduced, item_weight, pairs.col, capacity), np.inf)
    exact = np.zeros(len(capacity), dtype=bool)
    items = np.zeros(len(reduced), dtype=bool)
    forced = pairs.y_lower > 0
    free = np.flatnonzero(~forced & (pairs.y_upper > 0))
    room = pairs.p - int(forced.sum())
    while True:
        chosen = forced.copy()
        chosen[free[np.argsort(value[free], kind="stable")[:room]]] = True
        todo = chosen & ~exact
        if not todo.any():
            break
        on = todo[pairs.col]
        sacks = knapsacks(np.where(on, reduced, 0.0), item_weight, pairs.col, np.where(todo, capacity, 0))
        value[todo] = sacks.value[todo]
        items[on] = sacks.chosen[on]
        exact |= todo
    bound = float(multipliers.sum() + value[chosen].sum())
    return Lagrangian(bound, multipliers, value, items, chosen)


def subgradient(pairs: Pairs, start: np.ndarray, *, target: float, cutoff: float, iterations: int = 300,
                deadline: float = np.inf, pool: Pool | None = None) -> Lagrangian:
    """The best relaxation found by subgradient steps from the multipliers ``start``:
    λ ← λ + μ (target − L) g / ‖g‖², g_i = 1 − (knapsacks holding row i); μ from 2, halved
    after 10 steps without a better bound. Stops at ``cutoff`` (nothing better than the
    incumbent exists), at a zero subgradient (the relaxation's solution is feasible), when
    μ is spent, or at ``deadline`` (``time.perf_counter()``). The knapsacks of the open
    columns at every step go into ``pool`` (the start of :func:`column_generation`)."""
    weight, capacity = buckets_of(pairs.demand, pairs.capacity)
    n = pairs.shape[0]
    multipliers, best, mu, stall = start.astype(float).copy(), None, 2.0, 0
    for _ in range(iterations):
        current = relaxation(pairs, multipliers, weight, capacity)
        if pool is not None:
            pool.add(np.flatnonzero(current.items & current.chosen[pairs.col]), pairs)
            key = tuple(np.flatnonzero(current.chosen).tolist())
            pool.opened[key] = max(pool.opened.get(key, -np.inf), current.bound)
        if best is None or current.bound > best.bound + 1e-9:
            best, stall = current, 0
        else:
            stall += 1
            if stall >= 10:
                mu, stall = mu / 2, 0
        covered = np.bincount(pairs.row[current.items & current.chosen[pairs.col]], minlength=n)
        g = 1.0 - covered
        norm = float(g @ g)
        if best.bound >= cutoff or norm == 0 or mu < 5e-3 or time.perf_counter() > deadline:
            break
        multipliers = multipliers + mu * max(target - current.bound, 1e-6 * abs(target)) / norm * g
    assert best is not None
    return best


class Pool:
    """Knapsack columns (a column and the rows it serves) met so far, each once: the columns
    of the Dantzig–Wolfe master of :func:`column_generation`."""

    def __init__(self) -> None:
        self.column: list[int] = []
        self.pairs: list[np.ndarray] = []
        self.cost: list[float] = []
        self._seen: set[tuple[int, ...]] = set()
        #: the open columns of each relaxation met (mask) and its bound, each set once
        self.opened: dict[tuple[int, ...], float] = {}

    def add(self, chosen: np.ndarray, pairs: Pairs, columns: np.ndarray | None = None) -> int:
        """Add the knapsacks of the pairs ``chosen`` (indices), one per column they use (and
        an empty one for each of ``columns`` using none); returns how many were new."""
        chosen = np.asarray(chosen, dtype=np.int64)
        order = chosen[np.argsort(pairs.col[chosen], kind="stable")]
        cols, first = np.unique(pairs.col[order], return_index=True)
        groups = dict(zip(cols.tolist(), np.split(order, first[1:]), strict=True)) if len(order) else {}
        for j in [] if columns is None else columns.tolist():
            groups.setdefault(int(j), np.zeros(0, dtype=np.int64))
        new = 0
        for j, members in groups.items():
            key = (int(j), *np.sort(members).tolist())
            if key not in self._seen:
                self._seen.add(key)
                self.column.append(int(j))
                self.pairs.append(members)
                self.cost.append(float(pairs.cost[members].sum()))
                new += 1
        return new

    def master(self, pairs: Pairs) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """The master LP over the pool: variables [z (pool) | a (rows)], rows [each row once
        (a: an artificial at a high cost) | each open-able column at most once (at least once
        where kept open) | at most p columns]; (cost, matrix, row lower, row upper, columns
        with a row)."""
        n, m = pairs.shape
        k = len(self.column)
        lengths = np.array([len(members) for members in self.pairs], dtype=np.int64)
        members = np.concatenate(self.pairs) if k else np.zeros(0, dtype=np.int64)
        owner = np.repeat(np.arange(k), lengths)
        openable = np.flatnonzero(pairs.y_upper > 0)
        at = np.full(m, -1)
        at[openable] = np.arange(len(openable))
        cols = np.array(self.column, dtype=np.int64)
        finite = pairs.cost[np.isfinite(pairs.cost)]
        high = float(np.abs(finite).max(initial=1.0)) * (n + 1) + 1.0    # an artificial's cost
        rows = np.r_[pairs.row[members], n + at[cols], np.full(k, n + len(openable)), np.arange(n)]
        var = np.r_[owner, np.arange(k), np.arange(k), k + np.arange(n)]
        matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, var)), shape=(n + len(openable) + 1, k + n))
        cost = np.r_[np.array(self.cost), np.full(n, high)]
        lower = np.r_[np.ones(n), pairs.y_lower[openable], 0.0]
        upper = np.r_[np.ones(n), np.ones(len(openable)), float(pairs.p)]
        return cost, matrix, lower, upper, openable


def column_generation(pairs: Pairs, pool: Pool, *, cutoff: float, deadline: float = np.inf,
                      iterations: int = 40) -> Lagrangian | None:
    """The Dantzig–Wolfe bound by column generation (module docstring, step 1): the master
    LP over the ``pool``'s knapsacks gives multipliers λ (its row duals); each column's best
    knapsack at λ (:func:`knapsacks`) joins the pool when its reduced cost is negative.
    Every λ met gives the valid bound L(λ), whatever the pool; the best is returned (None
    when no master had a solution). Stops when no knapsack prices out (L(λ) then equals
    the master's value: the best bound of the relaxation), at ``cutoff``, when the master
    and L(λ) round to the same whole bound (whole costs), after ``iterations`` or at
    ``deadline``."""
    n, m = pairs.shape
    weight, capacity = buckets_of(pairs.demand, pairs.capacity)
    best: Lagrangian | None = None
    pool.add(np.zeros(0, dtype=np.int64), pairs, np.flatnonzero(pairs.y_lower > 0))
    for _ in range(iterations):
        cost, matrix, lower, upper, openable = pool.master(pairs)
        lp = solve_lp(cost, matrix, lower, upper)
        if not lp.has_solution or lp.row_dual is None:
            return best
        multipliers = lp.row_dual[:n]
        current = relaxation(pairs, multipliers, weight, capacity)
        if best is None or current.bound > best.bound:
            best = current
        reduced = pairs.cost - multipliers[pairs.row]
        duals = np.full(m, -np.inf)                                      # closed: never priced
        duals[openable] = lp.row_dual[n:n + len(openable)] + lp.row_dual[-1]
        # the knapsack's LP is below it: a column whose LP does not price out cannot
        priced = fractional(reduced, weight[pairs.row], pairs.col, capacity) - duals < 0
        on = priced[pairs.col]
        sacks = knapsacks(np.where(on, reduced, 0.0), weight[pairs.row], pairs.col, np.where(priced, capacity, 0))
        price = np.where(priced, sacks.value - np.where(priced, duals, 0.0), np.inf)
        tolerance = 1e-7 * max(1.0, abs(lp.objective))
        entering = np.flatnonzero(price < -tolerance)
        whole = pairs.step > 0 and np.ceil(best.bound - 1e-6) >= np.ceil(lp.objective - 1e-6)
        if (not len(entering) or best.bound >= cutoff or whole or best.bound >= lp.objective - tolerance
                or time.perf_counter() > deadline):
            break
        pool.add(np.flatnonzero(sacks.chosen & np.isin(pairs.col, entering)), pairs, entering)
    return best


def fixed(pairs: Pairs, lagrangian: Lagrangian, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pairs kept, columns closed, columns kept open): the module docstring's step 3, at
    ``cutoff`` (a solution whose bound reaches it cannot beat the incumbent)."""
    chosen, bound = lagrangian.chosen, lagrangian.bound
    weight, capacity = buckets_of(pairs.demand, pairs.capacity)
    reduced = pairs.cost - lagrangian.multipliers[pairs.row]
    sacks = knapsacks(reduced, weight[pairs.row], pairs.col, capacity)
    value = np.where(pairs.y_upper > 0, sacks.value, np.inf)
    free = (pairs.y_lower == 0) & (pairs.y_upper > 0)
    picked = np.sort(value[free & chosen])
    others = np.sort(value[free & ~chosen])
    next_best = others[0] if len(others) else np.inf       # the free column a closing lets in
    # opening a column displaces the largest chosen free one (impossible when none is free)
    opening = value - picked[-1] if len(picked) else np.full(len(value), np.inf)
    to_open = np.where(chosen, 0.0, np.where(free, opening, np.inf))
    to_close = np.zeros(len(value))
    to_close[free & chosen] = next_best - value[free & chosen]  # (no inf − inf at closed columns)
    closed = (bound + to_open >= cutoff) & (pairs.y_upper > 0)
    kept_open = (bound + to_close >= cutoff) & free
    left = sacks.capacity[pairs.col] - sacks.weight
    limited = sacks.capacity[pairs.col] >= 0
    rest = np.where(left >= 0, sacks.table[pairs.col, np.maximum(left, 0)], np.inf)
    rise = np.where(limited, reduced + rest - sacks.value[pairs.col], reduced)
    pair_bound = bound + np.nan_to_num(to_open[pairs.col], nan=np.inf) + np.maximum(0.0, rise)
    keep = (pair_bound < cutoff) & ~closed[pairs.col]
    return keep, closed, kept_open


# --- every set of open columns, when there are few -----------------------------------------------

#: Most sets of open columns :func:`by_sets` keeps, counted in cells: sets × the free
#: columns each chooses (a cut's work and the memory go with the cells: 2 bytes each,
#: and 8 per set for its bound). 8 M: 1.6 M sets of 5, 0.8 M of 10. With more, HiGHS
#: searches the reduced model instead (pmedcap13: 2.0 M sets of 10 listed, 35 taken,
#: 2.7 s; HiGHS 1.3 s).
SET_CELLS = 8_000_000
#: Sets a cut adds up at once.
CHUNK = 1 << 18
#: Subgradient steps on one set of columns before its rows are assigned exactly.
SET_STEPS = 20


def column_sets(value: np.ndarray, free: np.ndarray, room: int, limit: float, *, most: int) -> np.ndarray | None:
    """Every set of ``room`` columns of ``free`` (indices) whose Σ ``value`` is below
    ``limit``, one per row (column indices); None when there are more than ``most``.

    Built a column at a time over the columns sorted by value: a partial set is extended
    only by the columns after its last whose cheapest completion (the columns next in that
    order) stays below the limit, so every partial set has a completion and no level holds
    more sets than the last."""
    order = free[np.argsort(value[free], kind="stable")]
    v = value[order]
    total = np.r_[0.0, np.cumsum(v)]
    sets = np.zeros((1, 0), dtype=np.int32)
    sums, last = np.zeros(1), np.full(1, -1)
    for level in range(room):
        left = room - level                                  # columns still to choose
        window = total[left:] - total[:len(total) - left]    # window[q] = v[q] + … + v[q + left − 1]
        lo = last + 1
        count = np.maximum(np.searchsorted(window, limit - sums, side="left") - lo, 0)
        if int(count.sum()) > most:
            return None
        parent = np.repeat(np.arange(len(sums)), count)
        last = lo[parent] + np.arange(len(parent)) - np.repeat(np.cumsum(count) - count, count)
        sets = np.column_stack([sets[parent], last]).astype(np.int32)
        sums = sums[parent] + v[last]
    sets = sets[sums < limit]                                # (no column to choose: the empty set)
    return None if len(sets) > most else order.astype(np.int16 if len(value) < 1 << 15 else np.int32)[sets]


class _Sets:
    """The sets of open columns still to rule out (``columns``, one per row: the free
    columns; the kept-open ones are in every set) and each one's best bound so far."""

    def __init__(self, pairs: Pairs, columns: np.ndarray, bound: np.ndarray) -> None:
        self.pairs, self.columns, self.bound = pairs, columns, bound
        self.forced = pairs.y_lower > 0
        self.weight, self.capacity = buckets_of(pairs.demand, pairs.capacity)
        self.cuts = 0

    def cut(self, multipliers: np.ndarray) -> Knapsacks:
        """Every column's knapsack at ``multipliers``; each set's bound rises to the
        relaxation's value on it, Σ_i λ_i + Σ_{j in the set} K_j(λ), where that is higher
        (a bound of every solution opening that set, whatever λ)."""
        pairs = self.pairs
        sacks = knapsacks(pairs.cost - multipliers[pairs.row], self.weight[pairs.row], pairs.col, self.capacity)
        fixed_part = multipliers.sum() + sacks.value[self.forced].sum()
        for lo in range(0, len(self.bound), CHUNK):  # (a chunk at a time: the sums of 2 M sets of 15 take 240 MB)
            part = self.bound[lo:lo + CHUNK]
            np.maximum(part, fixed_part + sacks.value[self.columns[lo:lo + CHUNK]].sum(axis=1), out=part)
        self.cuts += 1
        return sacks

    def keep(self, chosen: np.ndarray) -> None:
        """Keep the sets of the mask ``chosen`` only."""
        self.columns, self.bound = self.columns[chosen], self.bound[chosen]


def by_sets(pairs: Pairs, multipliers: np.ndarray, incumbent: Found, *, mip_gap: float, deadline: float = np.inf,
            most: int = SET_CELLS) -> tuple[Found, float, bool] | None:
    """The incumbent proven, or bettered, over every set of p open columns, when the sets
    whose bound at ``multipliers`` is below the cutoff hold at most ``most`` cells (sets ×
    the free columns each chooses; else None).

    The set of least bound is taken next. Subgradient steps on it alone (at most
    :data:`SET_STEPS`) each give multipliers whose relaxation bounds **every** set (the
    knapsacks of every column are worked out at each step: a Lagrangian cut in the space
    of the columns), so one set's steps rule out many others. A set whose own bound stays
    below the cutoff has its rows assigned exactly (the generalised assignment, HiGHS); its
    solution becomes the incumbent when cheaper. Returns (the best solution, a bound of
    every solution, whether every set was settled before ``deadline``)."""
    if time.perf_counter() >= deadline:
        return incumbent, -np.inf, False
    cutoff = _cutoff(pairs, incumbent.value, mip_gap)
    forced = pairs.y_lower > 0
    free = np.flatnonzero((pairs.y_upper > 0) & ~forced)
    sets = _Sets(pairs, np.zeros((0, 0), dtype=np.int16), np.zeros(0))  # none listed yet: the first cut's values
    first = sets.cut(multipliers).value
    base = float(multipliers.sum() + first[forced].sum())
    room = pairs.p - int(forced.sum())
    columns = column_sets(first, free, room, cutoff - base, most=most // max(room, 1))
    if columns is None:
        return None
    sets.columns, sets.bound = columns, base + first[columns].sum(axis=1)
    settled = exact = 0
    while len(sets.bound) and time.perf_counter() < deadline:
        s = int(np.argmin(sets.bound))
        chosen = forced.copy()
        chosen[sets.columns[s]] = True
        settled += 1
        # its own bound, as the cuts left it (added up in another order, it may differ by a rounding step)
        sets.bound[s] = max(sets.bound[s], _set_bound(sets, chosen, multipliers, target=incumbent.value,
                                                      cutoff=cutoff))
        if sets.bound[s] < cutoff:
            exact += 1
            found, settled_at = _assign_proven(pairs, chosen, deadline)
            if settled_at < np.inf and time.perf_counter() < deadline:
                return None  # HiGHS stopped short of a proof with time left: the reduced model's search instead
            incumbent = _better(found, incumbent) or incumbent
            cutoff = _cutoff(pairs, incumbent.value, mip_gap)
            sets.bound[s] = max(sets.bound[s], settled_at)
        sets.keep(sets.bound < cutoff)
    logger.info("capacitated p-median by sets: %d sets under the first bound, %d taken, %d assigned exactly, "
                "%d cuts, %d left", len(columns), settled, exact, sets.cuts, len(sets.bound))
    dropped = incumbent.value if pairs.step and cutoff > incumbent.value - 1.0 else cutoff
    return incumbent, float(min(dropped, sets.bound.min(initial=np.inf))), not len(sets.bound)


def _set_bound(sets: _Sets, chosen: np.ndarray, start: np.ndarray, *, target: float, cutoff: float) -> float:
    """The best relaxation bound of the columns ``chosen`` (mask) alone found by subgradient
    steps from ``start`` (as :func:`subgradient`, μ halved after 5 steps without a better
    bound); every step is a cut of every set (:meth:`_Sets.cut`)."""
    pairs = sets.pairs
    multipliers, best, mu, stall = start.astype(float).copy(), -np.inf, 2.0, 0
    for _ in range(SET_STEPS):
        sacks = sets.cut(multipliers)
        value = float(multipliers.sum() + sacks.value[chosen].sum())
        best, stall = (value, 0) if value > best + 1e-9 else (best, stall + 1)
        if stall >= 5:
            mu, stall = mu / 2, 0
        g = 1.0 - np.bincount(pairs.row[sacks.chosen & chosen[pairs.col]], minlength=pairs.shape[0])
        norm = float(g @ g)
        if best >= cutoff or norm == 0:
            break
        multipliers = multipliers + mu * max(target - value, 1e-6 * abs(target)) / norm * g
    return best


def _assign_proven(pairs: Pairs, columns: np.ndarray, deadline: float) -> tuple[Found | None, float]:
    """The best whole assignment of every row to the open ``columns`` (mask), solved to
    optimality by HiGHS: (it, or None when there is none; inf when that is proven, else
    the bound HiGHS reached by ``deadline``)."""
    model = strong_model(pairs, np.flatnonzero(columns[pairs.col]), columns.astype(float), columns.astype(float))
    result = model.model.solve(seconds=_left(deadline), mip_gap=1e-9)
    proven = result.status in ("Optimal", "Infeasible")
    return model.found(result, pairs), np.inf if proven else _bound(result)


@dataclass
class Answer:
    """The capacitated p-median's answer and how it was proven.

    Attributes
    ----------
    open
        Indices of the open columns.
    assignment
        Column of each row.
    objective
        Σ_ij c_ij x_ij of the answer.
    bound
        A lower bound on every solution of the full model (every allowed pair).
    gap
        (objective − bound) / objective.
    status
        "Optimal" (proven for the full model, within the relative gap asked for), "Time
        limit reached", or HiGHS's status when there is no answer.
    seconds
        Wall-clock time.
    method
        How it was solved: "lp" (the LP relaxation was whole), "lagrangian" (the bound met
        the incumbent), "lagrangian + sets" (every set of open columns, :func:`by_sets`),
        "lagrangian + highs" (HiGHS on the pairs fixing left), "highs" (no incumbent before
        HiGHS: the full model).
    pairs
        Pairs in the last model solved (of all allowed pairs; "lagrangian + sets": those
        its cuts and exact assignments use, the pairs fixing left).
    """

    open: np.ndarray
    assignment: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    method: str
    pairs: int

    @property
    def has_solution(self) -> bool:
        """True when ``assignment`` is a feasible answer."""
        return bool(len(self.assignment)) and bool((self.assignment >= 0).all())


@dataclass
class Found:
    """A whole solution: ``assignment`` (column per row), ``value`` (its cost) and ``open``
    (mask of the open columns, p of them, some maybe serving no row)."""

    assignment: np.ndarray
    value: float
    open: np.ndarray


@dataclass
class _Strong:
    """The strong model over some pairs: variables [y (columns) | x (those pairs)]."""

    model: Model
    pairs: np.ndarray

    def found(self, result: MilpResult, pairs: Pairs) -> Found | None:
        """The solution HiGHS returned (None when it has none)."""
        if not result.has_solution:
            return None
        m = len(pairs.capacity)
        chosen = self.pairs[result.x[m:] > 0.5]
        assignment = np.full(pairs.shape[0], -1)
        assignment[pairs.row[chosen]] = pairs.col[chosen]
        return Found(assignment, float(result.objective), result.x[:m] > 0.5)

    def start(self, found: Found, pairs: Pairs) -> np.ndarray | None:
        """The model's variables for a solution (None when it uses a pair left out)."""
        used = found.assignment[pairs.row] == pairs.col
        if int(used[self.pairs].sum()) != pairs.shape[0]:
            return None
        return np.r_[found.open.astype(float), used[self.pairs].astype(float)]


def strong_model(pairs: Pairs, keep: np.ndarray, y_lower: np.ndarray, y_upper: np.ndarray, *,
                 cuts: tuple[Lagrangian, ...] = ()) -> _Strong:
    """The strong model (module docstring) over the pairs ``keep`` (indices), integer x, with
    the Lagrangian cuts of each relaxation in ``cuts`` (module docstring, step 5; valid
    with pairs left out: a column's knapsack over fewer rows is no better)."""
    n, m = pairs.shape
    pi, pj = pairs.row[keep], pairs.col[keep]
    k = len(keep)
    x = m + np.arange(k)
    rows = Rows(m + k)
    rows.add([(pi, x, 1.0)], 1.0, 1.0, count=n)                                          # each row once
    rows.add([(np.arange(k), x, 1.0), (np.arange(k), pj, -1.0)], -np.inf, 0.0, count=k)  # x ≤ y
    limited = np.flatnonzero(np.isfinite(pairs.capacity))
    seat = np.full(m, -1)
    seat[limited] = np.arange(len(limited))
    sel = seat[pj] >= 0
    rows.add([(seat[pj[sel]], x[sel], pairs.demand[pi[sel]]),
              (np.arange(len(limited)), limited, -pairs.capacity[limited])], -np.inf, 0.0, count=len(limited))
    if len(limited) == m:  # the open seats hold every row (tightens the LP)
        rows.add([(np.zeros(m, dtype=int), np.arange(m), pairs.capacity)], float(pairs.demand.sum()), np.inf,
                 count=1)
    rows.add([(np.zeros(m, dtype=int), np.arange(m), 1.0)], pairs.p, pairs.p, count=1)
    for lag in cuts:  # Σ_i (c_ij − λ_i) x_ij ≥ K_j(λ) y_j for every column that may open
        bounded = np.flatnonzero(np.isfinite(lag.value) & (pairs.y_upper > 0))
        at = np.full(m, -1)
        at[bounded] = np.arange(len(bounded))
        on = at[pj] >= 0
        rows.add([(at[pj[on]], x[on], pairs.cost[keep][on] - lag.multipliers[pi[on]]),
                  (np.arange(len(bounded)), bounded, -lag.value[bounded])], 0.0, np.inf, count=len(bounded))
    model = Model.from_rows(np.r_[np.zeros(m), pairs.cost[keep]], rows, col_lower=np.r_[y_lower, np.zeros(k)],
                            col_upper=np.r_[y_upper, np.ones(k)], integer=np.ones(m + k, dtype=bool))
    return _Strong(model, np.asarray(keep))


def solve(pairs: Pairs, *, seconds: float | None = None, mip_gap: float = 1e-6, sets: int = SET_CELLS) -> Answer:
    """The capacitated p-median, proven by the module docstring's method.

    Parameters
    ----------
    pairs
        The problem (its allowed pairs, seats, p and fixed columns).
    seconds
        Time limit (seconds) of the whole solve; None for none. A third of it at most goes
        to the bound and the incumbent, the rest to HiGHS.
    mip_gap
        Relative gap at which an answer counts as optimal.
    sets
        Most sets of open columns to go through one by one (:func:`by_sets`) where the
        bound alone does not prove the incumbent, in cells (:data:`SET_CELLS`); 0: never
        (HiGHS on the reduced model).
    """
    started = time.perf_counter()
    deadline = np.inf if seconds is None else started + seconds
    full = strong_model(pairs, np.arange(len(pairs.row)), pairs.y_lower, pairs.y_upper)
    lp = full.model.solve(relax=True, seconds=_left(deadline))
    if not lp.has_solution or lp.row_dual is None:
        return _answer(full, lp, pairs, None, bound=-np.inf, started=started, method="lp")
    if np.allclose(lp.x, np.round(lp.x), atol=1e-9):  # the LP is whole: it is the optimum
        lp.status = "Optimal"
        return _answer(full, lp, pairs, None, bound=lp.objective, started=started, method="lp")
    incumbent = _better(_alternate(pairs, _top(lp.x[: len(pairs.capacity)], pairs), deadline), None)
    target = incumbent.value if incumbent is not None else lp.objective * 1.05 + 1.0
    cutoff = _cutoff(pairs, incumbent.value if incumbent is not None else np.inf, mip_gap)
    pool = Pool()
    lags: tuple[Lagrangian, ...] = (subgradient(pairs, lp.row_dual[: pairs.shape[0]], target=target, cutoff=cutoff,
                                                deadline=_share(deadline), pool=pool),)
    incumbent = _incumbent(pairs, lags, pool, incumbent, deadline, starts=0)
    if incumbent is None:  # no start: HiGHS on the full model
        result = full.model.solve(seconds=_left(deadline), mip_gap=mip_gap)
        return _answer(full, result, pairs, None, bound=max(lags[0].bound, lp.objective, _bound(result)),
                       started=started, method="highs")
    cutoff = _cutoff(pairs, incumbent.value, mip_gap)
    if lags[0].bound >= cutoff:
        return _proven(pairs, incumbent, lags[0].bound, started)
    keep, closed, kept_open = _fixed_by(pairs, lags, cutoff)
    narrowed = _narrowed(pairs, keep, closed, kept_open)
    settled = by_sets(narrowed, lags[0].multipliers, incumbent, mip_gap=mip_gap, deadline=deadline, most=sets) \
        if sets > 0 else None
    if settled is not None:
        return _settled(settled, lags[0].bound, started, pairs=len(narrowed.row))
    if int(keep.sum()) > LARGE * pairs.shape[0]:  # a hard model for HiGHS: worth a better bound and start
        master = column_generation(pairs, pool, cutoff=cutoff, deadline=_share(deadline))
        lags = lags if master is None else (*lags, master)
        incumbent = _incumbent(pairs, lags[1:], pool, incumbent, deadline) or incumbent
        cutoff = _cutoff(pairs, incumbent.value, mip_gap)
        if max(each.bound for each in lags) >= cutoff:
            return _proven(pairs, incumbent, max(each.bound for each in lags), started)
        keep, closed, kept_open = _fixed_by(pairs, lags, cutoff)
    lag = max(lags, key=lambda each: each.bound)
    logger.info("capacitated p-median: LP %.6g, Lagrangian bound %.6g, incumbent %.6g; %d of %d pairs kept, "
                "%d columns closed, %d kept open, %.2f s", lp.objective, lag.bound, incumbent.value, int(keep.sum()),
                len(keep), int(closed.sum()), int(kept_open.sum()), time.perf_counter() - started)
    reduced = strong_model(pairs, np.flatnonzero(keep), np.maximum(pairs.y_lower, kept_open),
                           np.where(closed, 0.0, pairs.y_upper), cuts=lags[:1])
    result = reduced.model.solve(seconds=_left(deadline), mip_gap=mip_gap, initial=reduced.start(incumbent, pairs))
    # pairs left out cannot go below the cutoff (with whole costs: not below the incumbent)
    dropped = incumbent.value if pairs.step and cutoff > incumbent.value - 1.0 else cutoff
    kept = np.inf if result.status == "Infeasible" else result.bound
    return _answer(reduced, result, pairs, incumbent, bound=max(lag.bound, min(kept, dropped)), started=started,
                   method="lagrangian + highs")


def _narrowed(pairs: Pairs, keep: np.ndarray, closed: np.ndarray, kept_open: np.ndarray) -> Pairs:
    """The problem over the pairs ``keep`` (mask) with the columns ``closed`` closed and those
    ``kept_open`` kept open: what fixing proved no solution better than the cutoff leaves
    (every pair, if the kept ones alone had whole costs where the others do not: the cutoff
    would then count on a step of 1 that the full model lacks)."""
    y_lower, y_upper = np.maximum(pairs.y_lower, kept_open), np.where(closed, 0.0, pairs.y_upper)
    kept = Pairs(pairs.row[keep], pairs.col[keep], pairs.cost[keep], pairs.demand, pairs.capacity, pairs.p, y_lower,
                 y_upper)
    return kept if kept.step == pairs.step else replace(pairs, y_lower=y_lower, y_upper=y_upper)


def _fixed_by(pairs: Pairs, lags: tuple[Lagrangian, ...], cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fixed` at each relaxation of ``lags``: each proof holds alone, so a pair (a
    column) goes when any of them rules it out."""
    keep, closed, kept_open = fixed(pairs, lags[0], cutoff)
    for other in lags[1:]:
        more = fixed(pairs, other, cutoff)
        keep, closed, kept_open = keep & more[0], closed | more[1], kept_open | more[2]
    return keep, closed, kept_open


def _incumbent(pairs: Pairs, lags: tuple[Lagrangian, ...], pool: Pool, incumbent: Found | None, deadline: float, *,
               starts: int = 3) -> Found | None:
    """The best of ``incumbent`` and :func:`_alternate` from the open columns of each
    relaxation in ``lags`` and of the ``starts`` other relaxations of highest bound the
    subgradient steps met (``pool.opened``)."""
    tried: set[tuple[int, ...]] = set()
    ranked = sorted(pool.opened, key=lambda key: -pool.opened[key])
    for key in [tuple(np.flatnonzero(each.chosen).tolist()) for each in lags] + ranked:
        if key in tried:
            continue
        if len(tried) >= len(lags) + starts or time.perf_counter() > deadline:
            break
        tried.add(key)
        mask = np.zeros(len(pairs.capacity), dtype=bool)
        mask[list(key)] = True
        incumbent = _better(_alternate(pairs, mask, deadline), incumbent)
    return incumbent


def _bound(result: MilpResult) -> float:
    """HiGHS's proven bound (−inf when it gives none)."""
    return float(np.nan_to_num(result.bound, nan=-np.inf))


def _left(deadline: float) -> float | None:
    """Seconds left before ``deadline`` (None: no limit; at least 0.1 s)."""
    return None if not np.isfinite(deadline) else max(0.1, deadline - time.perf_counter())


def _share(deadline: float) -> float:
    """The deadline of the Lagrangian phase: a third of the time left."""
    return deadline if not np.isfinite(deadline) else time.perf_counter() + (deadline - time.perf_counter()) / 3


def _cutoff(pairs: Pairs, value: float, mip_gap: float) -> float:
    """A solution whose bound reaches this cannot beat ``value`` by more than the gap asked
    for (by a whole unit where every cost is a whole number)."""
    if not np.isfinite(value):
        return np.inf
    slack = mip_gap * abs(value)
    return value - 1.0 + 1e-6 if pairs.step and slack < 1.0 else value - slack


def _top(y: np.ndarray, pairs: Pairs) -> np.ndarray:
    """The p columns an LP opens most (those kept open first)."""
    score = np.where(pairs.y_upper > 0, y + 2.0 * pairs.y_lower, -np.inf)
    chosen = np.zeros(len(y), dtype=bool)
    chosen[np.argsort(-score, kind="stable")[: pairs.p]] = True
    return chosen & (pairs.y_upper > 0)


def _better(found: Found | None, incumbent: Found | None) -> Found | None:
    """The cheaper of two solutions (either may be None)."""
    if found is None or (incumbent is not None and incumbent.value <= found.value):
        return incumbent
    return found


def _assign(pairs: Pairs, columns: np.ndarray, deadline: float) -> Found | None:
    """The best whole assignment of every row to the open ``columns`` (mask; a generalised
    assignment MILP, at most 2 s), or None when there is none."""
    if columns.sum() != pairs.p or (pairs.y_lower > columns).any():
        return None
    if pairs.capacity[columns].sum() < pairs.demand.sum() - 1e-9:
        return None
    model = strong_model(pairs, np.flatnonzero(columns[pairs.col]), columns.astype(float), columns.astype(float))
    left = _left(deadline)
    return model.found(model.model.solve(seconds=2.0 if left is None else min(2.0, left), mip_gap=1e-4), pairs)


def _dense(pairs: Pairs) -> np.ndarray:
    """The pair costs as a (rows, columns) matrix, inf where a pair is not allowed."""
    matrix = np.full(pairs.shape, np.inf)
    matrix[pairs.row, pairs.col] = pairs.cost
    return matrix


def _greedy(cost: np.ndarray, demand: np.ndarray, room: np.ndarray) -> np.ndarray | None:
    """Rows to columns (of ``cost``, rows × open columns) by regret: the row that would lose
    most by missing its cheapest column that still has room goes first (the largest first
    among equals). None when a row finds no room. (Each row's two cheapest columns with
    room are kept and worked out again only when a column it could use fills up.)"""
    n, k = cost.shape
    assignment = np.full(n, -1)
    left = room.astype(float).copy()
    fits = np.where(demand[:, None] <= left[None, :] + 1e-9, cost, np.inf)
    best, second, first = np.empty(n), np.full(n, np.inf), np.empty(n, dtype=np.int64)

    def rank(rows: np.ndarray) -> None:
        two = np.argsort(fits[rows], axis=1)[:, :2]
        first[rows] = two[:, 0]
        best[rows] = fits[rows, two[:, 0]]
        if k > 1:
            second[rows] = fits[rows, two[:, 1]]

    rank(np.arange(n))
    waiting = np.ones(n, dtype=bool)
    for _ in range(n):
        if not np.isfinite(best[waiting]).all():
            return None
        score = np.where(waiting, np.minimum(second - best, 1e18) + 1e-9 * demand, -np.inf)
        i = int(np.argmax(score))
        j = first[i]
        assignment[i], waiting[i] = j, False
        left[j] -= demand[i]
        unfit = np.flatnonzero(waiting & np.isfinite(fits[:, j]) & (demand > left[j] + 1e-9))
        if len(unfit):
            fits[unfit, j] = np.inf
            rank(unfit)
    return assignment


def _shifts(cost: np.ndarray, demand: np.ndarray, room: np.ndarray, assignment: np.ndarray, *, moves: int = 500
            ) -> np.ndarray:
    """An assignment (``cost``: rows × open columns) improved by the best of: one row moved
    to another column with room, or two rows of different columns exchanged where both
    columns still hold theirs; while that lowers the cost (at most ``moves`` moves)."""
    n, k = cost.shape
    assignment = assignment.copy()
    rows = np.arange(n)
    finite = np.where(np.isfinite(cost), cost, np.inf)
    for _ in range(moves):
        load = np.bincount(assignment, weights=demand, minlength=k)
        now = finite[rows, assignment]
        shift = np.where(load[None, :] + demand[:, None] <= room[None, :] + 1e-9, finite - now[:, None], np.inf)
        i, j = np.unravel_index(np.argmin(shift), shift.shape)
        best_shift = shift[i, j]
        other = finite[:, assignment]                                       # (i, i'): row i at the column of i'
        delta = other + other.T - now[:, None] - now[None, :]
        spare = room - load                                                 # per column
        grow = demand[None, :] - demand[:, None]                            # row i gives way to i'
        fits = (grow <= spare[assignment][:, None] + 1e-9) & (-grow <= spare[assignment][None, :] + 1e-9)
        delta = np.where(fits & (assignment[:, None] != assignment[None, :]), delta, np.inf)
        a, b = np.unravel_index(np.argmin(delta), delta.shape)
        if min(best_shift, delta[a, b]) >= -1e-9:
            break
        if best_shift <= delta[a, b]:
            assignment[i] = j
        else:
            assignment[a], assignment[b] = assignment[b], assignment[a]
    return assignment


def _swaps(pairs: Pairs, cost: np.ndarray, columns: np.ndarray, *, near: int = 8, seconds: float = 2.0
           ) -> np.ndarray:
    """Vertex substitution: close an open column and open one of the ``near`` closed columns
    that serve its rows most cheaply, while that lowers the cost of the regret assignment
    (first improvement; columns kept open stay). Returns the open columns."""
    until = time.perf_counter() + seconds
    movable = pairs.y_upper > 0

    def value(open_: np.ndarray) -> tuple[float, np.ndarray | None]:
        local = _greedy(cost[:, open_], pairs.demand, pairs.capacity[open_])
        if local is None:
            return np.inf, None
        local = _shifts(cost[:, open_], pairs.demand, pairs.capacity[open_], local)
        return float(cost[np.arange(len(local)), open_[local]].sum()), local

    current, (best, local) = columns.copy(), value(columns)
    improved = True
    while improved and time.perf_counter() < until:
        improved = False
        for slot in range(len(current)):
            if pairs.y_lower[current[slot]] > 0:
                continue
            rows = np.flatnonzero(local == slot) if local is not None else np.arange(len(cost))
            serve = np.where(np.isfinite(cost[rows]), cost[rows], 1e18).sum(axis=0)
            serve[~movable] = np.inf
            serve[current] = np.inf
            for k in np.argsort(serve)[:near]:
                if not np.isfinite(serve[k]):
                    break
                trial = current.copy()
                trial[slot] = k
                v, trial_local = value(trial)
                if v < best - 1e-9:
                    current, best, local, improved = trial, v, trial_local, True
                    break
            if time.perf_counter() > until:
                break
    return current


def _relocate(cost: np.ndarray, pairs: Pairs, columns: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Each group of rows (``assignment``: index into ``columns``) moved to the column that
    serves it most cheaply and holds it (columns kept open stay); the new open columns."""
    member = np.zeros((len(columns), len(assignment)))
    member[assignment, np.arange(len(assignment))] = 1.0
    total = member @ np.where(np.isfinite(cost), cost, 0.0)
    total[(member @ (~np.isfinite(cost)).astype(float)) > 0] = np.inf
    load = member @ pairs.demand
    total[load[:, None] > pairs.capacity[None, :] + 1e-9] = np.inf
    total[:, pairs.y_upper <= 0] = np.inf
    new = columns.copy()
    taken = set(columns[pairs.y_lower[columns] > 0].tolist())
    for k in np.argsort(-load):  # the heaviest groups choose first
        if pairs.y_lower[columns[k]] > 0:
            continue
        for j in np.argsort(total[k]):
            if not np.isfinite(total[k, j]):
                break
            if int(j) not in taken:
                new[k] = j
                taken.add(int(j))
                break
    return new


def _alternate(pairs: Pairs, start: np.ndarray, deadline: float, *, seconds: float = 1.0) -> Found | None:
    """A good solution from the open columns ``start`` (mask): vertex substitution under the
    regret assignment (at most ``seconds``), then rows placed by the exact assignment MILP
    on those columns, then each group of rows to its best column while that helps."""
    cost = _dense(pairs)
    columns = _swaps(pairs, cost, np.flatnonzero(start), seconds=seconds)
    best: Found | None = None
    seen: set[tuple[int, ...]] = set()
    while tuple(sorted(columns.tolist())) not in seen and time.perf_counter() < deadline:
        seen.add(tuple(sorted(columns.tolist())))
        mask = np.zeros(len(pairs.capacity), dtype=bool)
        mask[columns] = True
        found = _assign(pairs, mask, deadline)
        if found is None or (best is not None and found.value >= best.value - 1e-9):
            break
        best = found
        columns = np.sort(columns)
        columns = _relocate(cost, pairs, columns, np.searchsorted(columns, found.assignment))
    return best


def _answer(model: _Strong, result: MilpResult, pairs: Pairs, incumbent: Found | None, *, bound: float,
            started: float, method: str) -> Answer:
    """The better of HiGHS's solution of ``model`` and the incumbent, with ``bound`` (a bound
    of the full model) and the status it earns: "Optimal" when HiGHS proved its model and
    the bound covers the rest, else HiGHS's status."""
    best = _better(model.found(result, pairs), incumbent)
    seconds = time.perf_counter() - started
    if best is None:
        return Answer(np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.nan, bound, np.inf, result.status, seconds,
                      method, len(model.pairs))
    bound = min(bound, best.value)
    gap = max(0.0, (best.value - bound) / max(abs(best.value), 1e-9))
    proven = result.status in ("Optimal", "Infeasible") or gap <= 1e-9
    status = "Optimal" if proven else (result.status if result.status != "Optimal" else "Time limit reached")
    return Answer(np.flatnonzero(best.open), best.assignment, best.value, bound, gap, status, seconds, method,
                  len(model.pairs))


def _settled(settled: tuple[Found, float, bool], lower: float, started: float, *, pairs: int) -> Answer:
    """The answer of :func:`by_sets` (``lower``: the root's bound): "Optimal" when every set
    was settled, else stopped by the time limit, with the least bound of the sets left."""
    best, bound, finished = settled
    bound = min(max(bound, lower), best.value)
    gap = max(0.0, (best.value - bound) / max(abs(best.value), 1e-9))
    return Answer(np.flatnonzero(best.open), best.assignment, best.value, bound, gap,
                  "Optimal" if finished else "Time limit reached", time.perf_counter() - started, "lagrangian + sets",
                  pairs)


def _proven(pairs: Pairs, incumbent: Found, bound: float, started: float) -> Answer:
    """The incumbent, proven optimal by the Lagrangian bound alone."""
    bound = min(float(np.ceil(bound - 1e-6)) if pairs.step else bound, incumbent.value)  # whole costs: whole bound
    gap = max(0.0, (incumbent.value - bound) / max(abs(incumbent.value), 1e-9))
    return Answer(np.flatnonzero(incumbent.open), incumbent.assignment, incumbent.value, bound, gap, "Optimal",
                  time.perf_counter() - started, "lagrangian", 0)


__all__ = ["Knapsacks", "knapsacks", "buckets_of", "fractional", "Pairs", "Lagrangian", "relaxation", "subgradient",
           "fixed", "SET_CELLS", "column_sets", "by_sets", "Found", "Answer", "strong_model", "solve"]
