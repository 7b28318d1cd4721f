"""Assigning villages to schools from a travel-time matrix (never from a graph).

The functions here take plain arrays so that scenarios and the optimiser reuse them.
"""

from __future__ import annotations

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
