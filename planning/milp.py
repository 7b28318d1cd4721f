"""A thin wrapper over HiGHS (highspy): a sparse MILP/LP in, a solution and a solver report out.

Zoning (:mod:`planning.zoning`) and location-allocation (:mod:`planning.optimise`) write
their constraints block by block into a :class:`Rows` builder, make a :class:`Model` and
call :func:`solve`.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

_QUIET = False


def _new_highs() -> highspy.Highs:
    """A HiGHS instance. highspy ≥ 1.16 prints a banner on the first one in a process, from
    C++ to file descriptor 1, before any option can silence it: hide that one print."""
    global _QUIET
    if _QUIET:
        return highspy.Highs()
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
        _QUIET = True


class Rows:
    """Constraint rows of a sparse model, added in blocks.

    Each block is ``lower <= A_block @ x <= upper`` for ``k`` new rows; its entries are given
    as ``(row within the block, column, value)`` triples, so a block is written the way its
    formula reads (one row per unit, per school, ...) without counting rows so far.

    Parameters
    ----------
    n_columns
        Number of variables.
    """

    def __init__(self, n_columns: int) -> None:
        self.n_columns = n_columns
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []
        self.n_rows = 0

    def add(self, entries: list[tuple[np.ndarray, np.ndarray, np.ndarray | float]], lower: np.ndarray | float,
            upper: np.ndarray | float, *, count: int) -> np.ndarray:
        """Add ``count`` rows; ``entries`` are (row in block, column, value) arrays.

        Returns
        -------
        The new rows' indices in the whole model.
        """
        for rows, cols, vals in entries:
            rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
            self._rows.append(self.n_rows + rows)
            self._cols.append(cols)
            self._vals.append(np.broadcast_to(np.asarray(vals, dtype=float), rows.shape))
        self._lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (count,)))
        self._upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (count,)))
        index = self.n_rows + np.arange(count)
        self.n_rows += count
        return index

    def matrix(self) -> sparse.csr_matrix:
        """The constraint matrix (rows × columns)."""
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        data = (cat(self._vals, float), (cat(self._rows, np.int64), cat(self._cols, np.int64)))
        return sparse.csr_matrix(data, shape=(self.n_rows, self.n_columns))

    @property
    def lower(self) -> np.ndarray:
        """Row lower bounds."""
        return np.concatenate(self._lower) if self._lower else np.zeros(0)

    @property
    def upper(self) -> np.ndarray:
        """Row upper bounds."""
        return np.concatenate(self._upper) if self._upper else np.zeros(0)


@dataclass
class Model:
    """Minimise ``cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper`` and
    ``col_lower <= x <= col_upper``, ``x`` integer where ``integer``."""

    cost: np.ndarray
    matrix: sparse.spmatrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray

    @classmethod
    def from_rows(cls, cost: np.ndarray, rows: Rows, *, col_lower: np.ndarray | None = None,
                  col_upper: np.ndarray | None = None, integer: np.ndarray | None = None) -> Model:
        """A model from an objective and a :class:`Rows` builder (bounds 0 … +inf, continuous by default)."""
        n = len(cost)
        return cls(np.asarray(cost, dtype=float), rows.matrix(), rows.lower, rows.upper,
                   np.zeros(n) if col_lower is None else np.asarray(col_lower, dtype=float),
                   np.full(n, np.inf) if col_upper is None else np.asarray(col_upper, dtype=float),
                   np.zeros(n, dtype=bool) if integer is None else np.asarray(integer, dtype=bool))

    def with_row(self, coefficients: np.ndarray, lower: float, upper: float) -> Model:
        """The model with one more row (e.g. a count of open schools)."""
        row = sparse.csr_matrix(np.asarray(coefficients, dtype=float)[None, :])
        return Model(self.cost, sparse.vstack([self.matrix, row]).tocsr(), np.r_[self.row_lower, lower],
                     np.r_[self.row_upper, upper], self.col_lower, self.col_upper, self.integer)

    def restricted(self, keep: np.ndarray) -> Model:
        """The model over the variables ``keep`` (indices) only, the others fixed at 0; every
        row is kept (a row left with no variable keeps its bounds, which 0 must meet)."""
        return Model(self.cost[keep], sparse.csc_matrix(self.matrix)[:, keep], self.row_lower, self.row_upper,
                     self.col_lower[keep], self.col_upper[keep], self.integer[keep])

    def solve(self, *, cost: np.ndarray | None = None, col_lower: np.ndarray | None = None,
              col_upper: np.ndarray | None = None, relax: bool = False, seconds: float | None = None,
              mip_gap: float = 1e-4, initial: np.ndarray | None = None) -> MilpResult:
        """Solve with HiGHS (see :func:`solve`); ``relax`` drops integrality (the LP)."""
        return solve(self.cost if cost is None else cost, self.matrix, self.row_lower, self.row_upper,
                     col_lower=self.col_lower if col_lower is None else col_lower,
                     col_upper=self.col_upper if col_upper is None else col_upper,
                     integer=False if relax else self.integer, seconds=seconds, mip_gap=mip_gap,
                     initial=initial)


@dataclass
class MilpResult:
    """What the solver returned.

    Attributes
    ----------
    status
        HiGHS model status, e.g. "Optimal", "Infeasible", "Time limit reached".
    x
        Variable values (NaN when the solver found no solution).
    objective
        Objective value of ``x``.
    bound
        Best proven bound (equals ``objective`` when optimal; the LP value for an LP).
    gap
        Relative MIP gap (0 when proven optimal).
    seconds
        Wall-clock solve time.
    row_dual
        For an LP with a solution, the dual value of each row (HiGHS's sign convention:
        a variable's reduced cost is ``cost − matrix.T @ row_dual``); None otherwise.
    col_dual
        For an LP with a solution, each variable's reduced cost; None otherwise.
    """

    status: str
    x: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None

    @property
    def optimal(self) -> bool:
        """True when HiGHS proved optimality."""
        return self.status == "Optimal"

    @property
    def has_solution(self) -> bool:
        """True when ``x`` holds a feasible solution (optimal or not)."""
        return bool(np.isfinite(self.x).all())


def solve(
    cost: np.ndarray,
    matrix: sparse.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    *,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
    integer: np.ndarray | bool = False,
    seconds: float | None = None,
    mip_gap: float = 1e-4,
    threads: int | None = None,
    initial: np.ndarray | None = None,
) -> MilpResult:
    """Minimise ``cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper`` and bounds.

    Parameters
    ----------
    cost
        Objective coefficients, one per variable.
    matrix
        Constraint matrix (rows × variables), any scipy sparse format.
    row_lower, row_upper
        Constraint bounds; use ``-np.inf``/``np.inf`` for one-sided rows.
    col_lower, col_upper
        Variable bounds (default 0 and +inf).
    integer
        Which variables are integer (a mask, or True for all).
    seconds
        Time limit (seconds) after which HiGHS returns its best solution (status "Time
        limit reached").
    mip_gap
        Relative gap at which a MILP counts as solved (HiGHS's default, 1e-4).
    threads
        Threads HiGHS may use (its default when None).
    initial
        A feasible solution to start from (a MIP start); HiGHS improves on it. An answer
        whose objective does not match its values is solved again without it (HiGHS 1.16).
    """
    n = len(cost)
    mask = np.full(n, bool(integer)) if isinstance(integer, bool) else np.asarray(integer, dtype=bool)
    lp = _highs_lp(cost, matrix, row_lower, row_upper, col_lower, col_upper, mask)
    h = _configured(seconds=seconds, mip_gap=mip_gap, threads=threads)
    h.passModel(lp)
    if initial is not None:
        start_solution = highspy.HighsSolution()
        start_solution.col_value = np.asarray(initial, dtype=float)
        h.setSolution(start_solution)
    start = time.perf_counter()
    h.run()
    result = _outcome(h, n, is_mip=bool(mask.any()), seconds=time.perf_counter() - start)
    if initial is not None and result.has_solution and not np.isclose(
            float(np.asarray(cost, dtype=float) @ result.x), result.objective, rtol=1e-7, atol=1e-6):
        # HiGHS 1.16 can map a start into its presolved model with a wrong objective and
        # keep it as the incumbent, even call it optimal: solve again without it
        left = None if seconds is None else max(0.1, seconds - result.seconds)
        retry = solve(cost, matrix, row_lower, row_upper, col_lower=col_lower, col_upper=col_upper, integer=mask,
                      seconds=left, mip_gap=mip_gap, threads=threads)
        return _better_of(retry, np.asarray(initial, dtype=float), cost, spent=result.seconds)
    return result


def _better_of(result: MilpResult, initial: np.ndarray, cost: np.ndarray, *, spent: float) -> MilpResult:
    """``result``, or the start HiGHS accepted as feasible where it is better (then not
    "Optimal": its bound is the one ``result`` proved)."""
    result.seconds += spent
    value = float(np.asarray(cost, dtype=float) @ initial)
    if result.has_solution and result.objective <= value:
        return result
    result.x, result.objective = initial, value
    if result.status == "Optimal":  # within the gap HiGHS was asked for
        result.status = "Time limit reached"
    result.gap = max(0.0, (value - result.bound) / max(abs(value), 1e-9)) if np.isfinite(result.bound) else np.inf
    return result


def _configured(*, seconds: float | None, mip_gap: float, threads: int | None) -> highspy.Highs:
    """A HiGHS instance with the options of :func:`solve` (quiet unless PLANNING_HIGHS_LOG is set)."""
    h = _new_highs()
    h.setOptionValue("output_flag", bool(os.environ.get("PLANNING_HIGHS_LOG")))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if seconds is not None:
        h.setOptionValue("time_limit", float(seconds))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    return h


def _highs_lp(cost: np.ndarray, matrix: sparse.spmatrix, row_lower: np.ndarray, row_upper: np.ndarray,
              col_lower: np.ndarray | None, col_upper: np.ndarray | None, integer: np.ndarray) -> highspy.HighsLp:
    """The model as HiGHS's column-wise ``HighsLp`` (infinite bounds as HiGHS's infinity)."""
    inf = highspy.kHighsInf
    n = len(cost)
    a = sparse.csc_matrix(matrix)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(n) if col_lower is None else np.asarray(col_lower, dtype=float)
    lp.col_upper_ = np.full(n, inf) if col_upper is None else np.minimum(np.asarray(col_upper, dtype=float), inf)
    lp.row_lower_ = np.maximum(np.asarray(row_lower, dtype=float), -inf)
    lp.row_upper_ = np.minimum(np.asarray(row_upper, dtype=float), inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, a.shape[0]
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if m else highspy.HighsVarType.kContinuous for m in integer]
    return lp


def _outcome(h: highspy.Highs, n: int, *, is_mip: bool, seconds: float) -> MilpResult:
    """What HiGHS found: status, solution (NaN when none), objective, bound and gap."""
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    found = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if found else np.full(n, np.nan)
    objective = float(info.objective_function_value) if found else float("nan")
    row_dual = col_dual = None
    if is_mip:
        bound, gap = float(info.mip_dual_bound), float(info.mip_gap) if found else float("inf")
    else:
        bound, gap = objective, 0.0
        if found and info.dual_solution_status == 2:  # kSolutionStatusFeasible
            row_dual = np.asarray(h.getSolution().row_dual, dtype=float)
            col_dual = np.asarray(h.getSolution().col_dual, dtype=float)
    return MilpResult(status=status, x=x, objective=objective, bound=bound, gap=gap, seconds=seconds,
                      row_dual=row_dual, col_dual=col_dual)


class Session:
    """A model kept in one HiGHS instance between solves, for cutting-plane loops: rows are
    added to it, variables fixed, and it is solved again — as an LP from its last basis
    (dual simplex, no fresh start), or as the MILP.

    Parameters
    ----------
    model
        The model to start from (its ``integer`` mask is used by :meth:`solve` unless ``relax``).
    """

    def __init__(self, model: Model) -> None:
        self.cost = model.cost
        self.integer = np.asarray(model.integer, dtype=bool)
        self._h = _configured(seconds=None, mip_gap=1e-4, threads=None)
        self._h.passModel(_highs_lp(model.cost, model.matrix, model.row_lower, model.row_upper, model.col_lower,
                                    model.col_upper, np.zeros(len(model.cost), dtype=bool)))
        self._relaxed = True

    @property
    def n_rows(self) -> int:
        """Rows in the model now."""
        return int(self._h.getNumRow())

    def add_rows(self, matrix: sparse.spmatrix, lower: np.ndarray, upper: np.ndarray) -> None:
        """Add the rows ``lower <= matrix @ x <= upper``."""
        a = sparse.csr_matrix(matrix)
        inf = highspy.kHighsInf
        self._h.addRows(a.shape[0], np.maximum(np.asarray(lower, dtype=float), -inf),
                        np.minimum(np.asarray(upper, dtype=float), inf), a.nnz, a.indptr[:-1].astype(np.int32),
                        a.indices.astype(np.int32), a.data.astype(float))

    def set_bounds(self, columns: np.ndarray, lower: np.ndarray | float, upper: np.ndarray | float) -> None:
        """Bound the variables ``columns`` (indices): ``lower <= x <= upper``."""
        columns = np.asarray(columns, dtype=np.int32)
        if len(columns):
            self._h.changeColsBounds(len(columns), columns, np.broadcast_to(np.asarray(lower, dtype=float),
                                                                            columns.shape).copy(),
                                     np.broadcast_to(np.asarray(upper, dtype=float), columns.shape).copy())

    def restart(self) -> None:
        """Forget the last solution and basis: the next solve starts from scratch."""
        self._h.clearSolver()

    def basis(self) -> highspy.HighsBasis:
        """The simplex basis now, to go back to with :meth:`restore`."""
        return self._h.getBasis()

    def restore(self, basis: highspy.HighsBasis) -> None:
        """Go back to a basis of :meth:`basis`; rows added since are basic (their slacks)."""
        added = self.n_rows - len(basis.row_status)
        if added > 0:
            basis.row_status = list(basis.row_status) + [highspy.HighsBasisStatus.kBasic] * added
        self._h.setBasis(basis)

    def solve(self, *, relax: bool, seconds: float | None = None, mip_gap: float = 1e-4,
              initial: np.ndarray | None = None, stop_at: float | None = None) -> MilpResult:
        """Solve as it stands (``relax``: the LP); ``initial`` is a MIP start, as in :func:`solve`
        (an answer whose objective does not match its values is solved again without it).
        ``stop_at``: the LP's dual simplex stops once its objective, a lower bound, reaches it
        (status "Bound on objective reached", no solution)."""
        self._h.setOptionValue("objective_bound", float("inf") if stop_at is None else float(stop_at))
        if relax != self._relaxed and self.integer.any():
            kind = 0 if relax else 1  # HighsVarType kContinuous / kInteger
            where = np.flatnonzero(self.integer).astype(np.int32)
            self._h.changeColsIntegrality(len(where), where, np.full(len(where), kind, dtype=np.uint8))
            self._relaxed = relax
        self._h.setOptionValue("mip_rel_gap", float(mip_gap))
        # HiGHS compares its time limit with the instance's run time summed over every solve
        limit = float("inf") if seconds is None else self._h.getRunTime() + max(float(seconds), 1e-3)
        self._h.setOptionValue("time_limit", limit)
        if initial is not None and not relax:
            start_solution = highspy.HighsSolution()
            start_solution.col_value = np.asarray(initial, dtype=float)
            self._h.setSolution(start_solution)
        start = time.perf_counter()
        self._h.run()
        result = _outcome(self._h, len(self.cost), is_mip=not relax and bool(self.integer.any()),
                          seconds=time.perf_counter() - start)
        if initial is not None and not relax and result.has_solution and not np.isclose(
                float(self.cost @ result.x), result.objective, rtol=1e-7, atol=1e-6):  # see solve()
            self.restart()
            left = None if seconds is None else max(1e-3, seconds - result.seconds)
            retry = self.solve(relax=False, seconds=left, mip_gap=mip_gap)
            return _better_of(retry, np.asarray(initial, dtype=float), self.cost, spent=result.seconds)
        return result
