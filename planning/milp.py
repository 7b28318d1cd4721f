"""A thin wrapper over HiGHS (highspy): a sparse MILP/LP in, a solution and a solver report out.

Zoning (:mod:`planning.assign`) and location-allocation (:mod:`planning.optimise`) build
their models as arrays and a ``scipy.sparse`` matrix and call :func:`solve`.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

_QUIET = False


def _new_highs():
    """A HiGHS instance. highspy ≥ 1.16 prints a banner on the first one in a process, from
    C++ to file descriptor 1, before any option can silence it: hide that one print."""
    global _QUIET
    import highspy

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


@dataclass
class Solution:
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
    """

    status: str
    x: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float

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
    time_limit: float | None = None,
    mip_gap: float = 1e-4,
    threads: int | None = None,
    initial: np.ndarray | None = None,
) -> Solution:
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
    time_limit
        Seconds before HiGHS stops and returns its best solution (status "Time limit reached").
    initial
        A feasible solution to start from (a MIP start); HiGHS improves on it.
    mip_gap
        Relative gap at which a MILP counts as solved (HiGHS's default, 1e-4).
    """
    import highspy

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
    mask = np.full(n, bool(integer)) if isinstance(integer, bool) else np.asarray(integer, dtype=bool)
    is_mip = bool(mask.any())
    if is_mip:
        lp.integrality_ = [highspy.HighsVarType.kInteger if m else highspy.HighsVarType.kContinuous for m in mask]
    h = _new_highs()
    h.setOptionValue("output_flag", bool(os.environ.get("PLANNING_HIGHS_LOG")))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    if initial is not None:
        start_solution = highspy.HighsSolution()
        start_solution.col_value = np.asarray(initial, dtype=float)
        h.setSolution(start_solution)
    start = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - start
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    found = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if found else np.full(n, np.nan)
    objective = float(info.objective_function_value) if found else float("nan")
    if is_mip:
        bound, gap = float(info.mip_dual_bound), float(info.mip_gap) if found else float("inf")
    else:
        bound, gap = objective, 0.0
    return Solution(status=status, x=x, objective=objective, bound=bound, gap=gap, seconds=seconds)
