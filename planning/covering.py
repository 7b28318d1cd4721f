"""Set cover and maximal coverage in their compact form, reduced by dominance before solving.

Without seat limits that can bind, whether a row (a village) is within ``max_cost`` of an
open column (a school or site) depends only on which columns open: the covering problems
need no assignment variables x_ij, only one variable per column. :mod:`planning.optimise`
solves them here and then assigns each row to its nearest open column within the limit.

Sets and variables
    N(i)   the columns within the limit of row i that may open (its cover set)
    y_j    1 when column j opens (binary)
    z_u    share of the rows of group u covered (maximal coverage; continuous in [0, 1], 1
           at an optimum wherever some column of N(u) opens and W_u > 0)

Set cover (c_j = 1: the fewest columns; else the least cost)::

    min Σ_j c_j y_j   s.t.  Σ_{j∈N(i)} y_j ≥ 1 for every row i      [Σ_j s_j y_j ≤ budget]

Maximal coverage (W_u: the rows' weight in group u)::

    max Σ_u W_u z_u   s.t.  z_u ≤ Σ_{j∈N(u)} y_j for every group u,  Σ_j y_j = p   [budget]

Set cover's second stage, the least walking among the fewest (k) columns, in levels
(Elloumi's radius formulation over the pairs within the limit; S: a level set, the columns
within some distance of a row, g_S the weight × minutes it saves, see
:func:`walking_levels`)::

    min Σ_S g_S z_S   s.t.  Σ_{j∈S} y_j + z_S ≥ 1 per level set,  Σ_{j∈N(i)} y_j ≥ 1 per row,
                            Σ_j y_j = k (or Σ_j c_j y_j ≤ the least cost)   [budget]

Before HiGHS sees them the models are reduced; every reduction keeps the optimum (the
functions say why). Set cover: rows a kept column covers go; of rows with the same cover
set one stays; a row whose cover set contains another row's goes (row dominance); a column
whose rows another column covers too, at no greater cost, closes (column dominance); the
last two repeat until nothing changes. Maximal coverage: rows with the same cover set merge
into one group whose weight is their sum; rows a kept column covers are counted once as a
constant. All of it on sparse matrices: equal sets by sorting bit strings, "contains" by
one sparse product per block of rows (|N(a) ∩ N(b)| = |N(a)| ⇔ N(a) ⊆ N(b)).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .milp import Model, Rows

_BLOCK = 1024  # rows per block of the "contains" products at most
_ENTRIES = 4_000_000  # entries of one block's product at most (bounds its memory)


def cover_sets(allowed: np.ndarray) -> sparse.csr_matrix:
    """Cover sets as a sparse boolean matrix (rows × columns): True where the pair is allowed."""
    return sparse.csr_matrix(np.asarray(allowed, dtype=bool))


def same_sets(sets: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Rows with equal cover sets, exactly: each set packed into a bit string (one bit per
    column), equal strings found by sorting them.

    Returns
    -------
    The first row of each distinct set (ascending), and the index of each row's set in it.
    """
    if sets.shape[0] == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    packed = np.packbits(sets.toarray(), axis=1)
    if packed.shape[1] == 0:  # no columns: every set is empty
        return np.zeros(min(1, sets.shape[0]), dtype=int), np.zeros(sets.shape[0], dtype=int)
    _, first, group = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # number the sets in the order their first rows come
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[np.ravel(group)]


def within(sets: sparse.csr_matrix, of: sparse.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a, b) where the non-empty set of row a of ``sets`` lies within row b of ``of``
    (of ``sets`` itself when None, then a ≠ b).

    |N(a) ∩ N(b)| is entry (a, b) of sets · ofᵀ, computed one block of rows at a time (as
    a sparse product: the work is Σ_j |rows with column j|², not rows² × columns; as a
    dense one where the sets are dense). N(a) ⊆ N(b) exactly when it equals |N(a)|.
    """
    counts = sparse.csr_matrix(sets, dtype=np.float32)
    against = counts if of is None else sparse.csr_matrix(of, dtype=np.float32)
    size = np.diff(counts.indptr)
    n, m = counts.shape
    dense = counts.nnz > 0.1 * n * m and against.nnz > 0.1 * against.shape[0] * m
    other = against.toarray().T if dense else against.T.tocsc()
    step = max(1, min(_BLOCK, _ENTRIES // max(1, against.shape[0])))  # a block's product: ≤ _ENTRIES entries
    small, big = [], []
    for start in range(0, n, step):
        block = counts[start:start + step]
        if dense:
            a, b = np.nonzero(block.toarray() @ other == size[start:start + step, None])
        else:
            product = (block @ other).tocoo()
            hit = product.data == size[start + product.row]
            a, b = product.row[hit], product.col[hit]
        a = a + start
        keep = (size[a] > 0) & ((a != b) if of is None else True)
        small.append(a[keep])
        big.append(b[keep])
    return np.concatenate(small or [np.zeros(0, int)]), np.concatenate(big or [np.zeros(0, int)])


def essential_rows(sets: sparse.csr_matrix) -> sparse.csr_matrix:
    """The rows a set cover must cover: one of each distinct set, none that contains another.

    Keeps the optimum: a row whose set N(b) contains another row's N(a) is covered by
    every choice that covers row a, so its constraint adds nothing (the feasible choices of
    columns are the same); of equal sets one row says it all. Each row left out contains a
    smaller set that stays (containment between distinct sets is strict, so chains end).
    """
    first, _ = same_sets(sets)
    distinct = sets[first]
    _, big = within(distinct)
    keep = np.ones(distinct.shape[0], dtype=bool)
    keep[big] = False
    return distinct[keep]


def dominated_columns(sets: sparse.csr_matrix, *, free: np.ndarray, droppable: np.ndarray, cost: np.ndarray,
                      spend: np.ndarray) -> np.ndarray:
    """Columns a set cover may close (True) without losing its optimum.

    Column a is dominated by column b when b may open, covers every row a covers, costs no
    more (``cost``, and ``spend`` for a budget) and is better in one of these or comes
    first; ``droppable`` are the columns not kept open whose cost and spend are ≥ 0. A
    column covering no row (left) is dominated by closing it.

    Keeps the optimum: the relation is transitive and strict, so a dominated column a has a
    dominating column b* that nothing dominates (b* stays). In a best choice with a open,
    swap a for b* (if b* is closed; every row stays covered, cost and spend do not grow) or
    close a (if b* is open; cost and spend fall by a's, ≥ 0). Not for the walking of the
    second stage: b* may be farther from a's rows, so that stage keeps every column.
    """
    candidate = free & droppable
    cols = sparse.csr_matrix(sets.T)
    a, b = within(cols)
    size = np.diff(cols.indptr)
    better = (size[a] < size[b]) | (cost[b] < cost[a]) | (spend[b] < spend[a]) | (b < a)
    hit = candidate[a] & free[b] & (cost[b] <= cost[a]) & (spend[b] <= spend[a]) & better
    drop = np.zeros(len(free), dtype=bool)
    drop[a[hit]] = True
    return drop | (candidate & (size == 0))


def reduce_cover(allowed: np.ndarray, *, kept: np.ndarray, may_open: np.ndarray, cost: np.ndarray,
                 spend: np.ndarray | None = None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """A set cover reduced: rows a kept column covers left out, then :func:`essential_rows`
    and :func:`dominated_columns` in turn until neither changes anything (each round is a
    problem with the same optimum as the one before).

    Parameters
    ----------
    allowed
        Pairs within the limit (rows × columns; False for a column that may not open).
    kept, may_open
        Columns that must stay open / that may open (booleans).
    cost, spend
        Each column's objective coefficient and (with a budget) its spending.

    Returns
    -------
    The remaining rows' cover sets (sparse, rows × columns) and the columns that may still
    open (booleans).
    """
    sets = cover_sets(allowed)
    spend = np.zeros(len(cost)) if spend is None else np.asarray(spend, dtype=float)
    done = np.asarray(sets[:, np.flatnonzero(kept)].sum(axis=1)).ravel() > 0
    sets = sets[np.flatnonzero(~done)]
    free = np.asarray(may_open, dtype=bool).copy()
    droppable = ~np.asarray(kept, dtype=bool) & (cost >= 0) & (spend >= 0)
    while True:
        sets = essential_rows(sets)
        drop = dominated_columns(sets, free=free, droppable=droppable, cost=cost, spend=spend)
        if not drop.any():
            return sets, free
        free &= ~drop
        sets = sparse.csr_matrix(sets @ sparse.diags(free.astype(float)), dtype=bool)
        sets.eliminate_zeros()


def reduce_coverage(allowed: np.ndarray, weights: np.ndarray, *, kept: np.ndarray
                    ) -> tuple[sparse.csr_matrix, np.ndarray, float]:
    """A maximal coverage reduced: rows a kept column covers count once as a constant; rows
    no column covers go; rows with the same cover set merge into one group weighing their sum.

    Keeps the optimum: a kept column is open in every choice, so its rows are covered
    whatever else opens; a row with an empty set is never covered; rows with the same set
    are covered by the same choices, so one z with their summed weight counts them alike.
    (Row dominance does not hold here: each row has its own weight.)

    Returns
    -------
    The groups' cover sets (sparse, groups × columns), their weights, and the weight always
    covered.
    """
    sets = cover_sets(allowed)
    weights = np.asarray(weights, dtype=float)
    done = np.asarray(sets[:, np.flatnonzero(kept)].sum(axis=1)).ravel() > 0
    rest = np.flatnonzero(~done & (np.diff(sets.indptr) > 0))
    first, group = same_sets(sets[rest])
    if not len(rest):
        return sets[rest], np.zeros(0), float(weights[done].sum())
    return sets[rest][first], np.bincount(group, weights=weights[rest]), float(weights[done].sum())


def nearest_open(cost: np.ndarray, allowed: np.ndarray, opened: np.ndarray) -> np.ndarray:
    """Each row's nearest open column among its allowed pairs, −1 where none is open (ties:
    the first column)."""
    masked = np.where(allowed & np.asarray(opened, dtype=bool)[None, :], cost, np.inf)
    best = np.argmin(masked, axis=1) if masked.shape[1] else np.zeros(masked.shape[0], dtype=int)
    reached = masked.shape[1] > 0 and np.isfinite(masked[np.arange(len(best)), best])
    return np.where(reached, best, -1)


def walking_levels(cost: np.ndarray, allowed: np.ndarray, weights: np.ndarray, *, most: int = 20_000_000
                   ) -> tuple[sparse.csr_matrix, np.ndarray, float] | None:
    """Each row's walk to its nearest open column as levels (Elloumi's radius formulation,
    within the limit), level sets of equal columns merged.

    Row i's allowed costs, distinct and ascending, D_1 < … < D_L: with some column of N(i)
    open, its walk to the nearest is D_1 + Σ_{l<L} (D_{l+1} − D_l) · [no column within D_l
    is open], and [no column of S is open] = max(0, 1 − Σ_{j∈S} y_j) for binary y. Rows
    whose level sets S are equal share that term, their gains w_i (D_{l+1} − D_l) summed.

    Returns
    -------
    The level sets (sparse, sets × columns), the gain of each (Σ weight × minutes), and the
    walk every row has at least (Σ_i w_i D_1); None when the weights are not all ≥ 0 or the
    sets would hold more than ``most`` entries (where each row reaches very many columns
    the pairs model is the smaller one).
    """
    allowed = np.asarray(allowed, dtype=bool)
    weights = np.asarray(weights, dtype=float)
    n, m = allowed.shape
    reach = allowed.sum(axis=1)
    if (weights < 0).any() or float((reach.astype(float) ** 2).sum()) / 2 > most:
        return None
    near = np.where(allowed, cost, np.inf)
    order = np.argsort(near, axis=1, kind="stable")
    ranked = np.take_along_axis(near, order, axis=1)
    row, level = np.nonzero(np.arange(m)[None, :] < (reach - 1)[:, None])
    gain = weights[row] * (ranked[row, level + 1] - ranked[row, level])
    row, level, gain = row[gain > 0], level[gain > 0], gain[gain > 0]  # ties and weight 0 add nothing
    size = level + 1  # the level set: the row's size nearest columns (ties end a level, see above)
    owner = np.repeat(np.arange(len(row)), size)
    rank = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    sets = sparse.csr_matrix((np.ones(len(owner), dtype=bool), (owner, order[row[owner], rank])), shape=(len(row), m))
    first, group = same_sets(sets)
    base = float((weights * np.where(reach > 0, ranked[:, 0] if m else 0.0, 0.0)).sum())
    return sets[first], np.bincount(group, weights=gain, minlength=len(first)), base


def walking_model(levels: sparse.csr_matrix, gain: np.ndarray, cover: sparse.csr_matrix, *, lower: np.ndarray,
                  upper: np.ndarray, limit: tuple[np.ndarray, float, float],
                  budget: tuple[np.ndarray, float] | None = None) -> tuple[Model, np.ndarray]:
    """The least walking over the pairs within the limit, in levels: variables [y (columns) |
    z (level sets)], min Σ_S gain_S z_S subject to Σ_{j∈S} y_j + z_S ≥ 1 per level set,
    Σ_{j∈N(i)} y_j ≥ 1 per row of ``cover`` (every row within the limit), ``limit`` =
    (a, lo, hi): lo ≤ a · y ≤ hi (the first stage's count or cost), and the budget.

    A level set that contains a row's whole cover set always has an open column (z_S = 0):
    it is left out. Returns the model and the level sets kept (indices into ``levels``)."""
    _, implied = within(cover, levels)
    kept = np.setdiff1d(np.arange(levels.shape[0]), implied)
    levels, gain = levels[kept], np.asarray(gain, dtype=float)[kept]
    u, m = levels.shape
    rows = Rows(m + u)
    coo, cv = levels.tocoo(), cover.tocoo()
    rows.add([(coo.row, coo.col, 1.0), (np.arange(u), m + np.arange(u), 1.0)], 1.0, np.inf, count=u)
    rows.add([(cv.row, cv.col, 1.0)], 1.0, np.inf, count=cover.shape[0])
    coefficients, lo, hi = limit
    rows.add([(np.zeros(m, int), np.arange(m), np.asarray(coefficients, dtype=float))], lo, hi, count=1)
    _budget_row(rows, m, budget)
    model = Model.from_rows(np.r_[np.zeros(m), gain], rows, col_lower=np.r_[lower, np.zeros(u)],
                            col_upper=np.r_[upper, np.ones(u)],
                            integer=np.r_[np.ones(m, dtype=bool), np.zeros(u, dtype=bool)])
    return model, kept


def _budget_row(rows: Rows, m: int, budget: tuple[np.ndarray, float] | None) -> None:
    """Σ_j s_j y_j ≤ budget (y_j the first m variables)."""
    if budget is not None:
        spend, amount = budget
        rows.add([(np.zeros(m, int), np.arange(m), np.asarray(spend, dtype=float))], -np.inf, amount, count=1)


def cover_model(sets: sparse.csr_matrix, cost: np.ndarray, *, lower: np.ndarray, upper: np.ndarray,
                budget: tuple[np.ndarray, float] | None = None) -> Model:
    """The compact set cover: variables y (one per column), min Σ c_j y_j subject to
    Σ_{j∈N(i)} y_j ≥ 1 per row of ``sets`` and the budget; y_j between ``lower`` and ``upper``."""
    n, m = sets.shape
    rows = Rows(m)
    coo = sets.tocoo()
    rows.add([(coo.row, coo.col, 1.0)], 1.0, np.inf, count=n)
    _budget_row(rows, m, budget)
    return Model.from_rows(np.asarray(cost, dtype=float), rows, col_lower=lower, col_upper=upper,
                           integer=np.ones(m, dtype=bool))


def coverage_model(sets: sparse.csr_matrix, weights: np.ndarray, p: int, *, lower: np.ndarray, upper: np.ndarray,
                   budget: tuple[np.ndarray, float] | None = None) -> Model:
    """The compact maximal coverage: variables [y (columns) | z (groups)], min −Σ W_u z_u
    subject to z_u − Σ_{j∈N(u)} y_j ≤ 0, Σ_j y_j = p and the budget."""
    u, m = sets.shape
    rows = Rows(m + u)
    coo = sets.tocoo()
    rows.add([(np.arange(u), m + np.arange(u), 1.0), (coo.row, coo.col, -1.0)], -np.inf, 0.0, count=u)
    rows.add([(np.zeros(m, int), np.arange(m), 1.0)], p, p, count=1)
    _budget_row(rows, m, budget)
    return Model.from_rows(np.r_[np.zeros(m), -np.asarray(weights, dtype=float)], rows,
                           col_lower=np.r_[lower, np.zeros(u)], col_upper=np.r_[upper, np.ones(u)],
                           integer=np.r_[np.ones(m, dtype=bool), np.zeros(u, dtype=bool)])


__all__ = ["cover_sets", "same_sets", "within", "essential_rows", "dominated_columns", "reduce_cover",
           "reduce_coverage", "nearest_open", "walking_levels", "cover_model", "coverage_model", "walking_model"]
