"""Resource-balance indicators (优质均衡, 教督〔2017〕6号).

Per school, seven resources per 100 pupils or per pupil against their thresholds (a
school must meet at least six); across the schools of a level, the coefficient of
variation of each indicator (≤ 0.50 primary, ≤ 0.45 junior). The coefficient is the
pupil-weighted one of the evaluation method: x̄ = Σ pᵢxᵢ / Σ pᵢ, s = √(Σ pᵢ(xᵢ − x̄)² / Σ pᵢ),
CV = s / x̄, where pᵢ are the school's pupils.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .policy import INDICATORS, LEVELS, Policy


def school_indicators(schools: pd.DataFrame, pupils: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """The seven indicators of each open school with pupils.

    Parameters
    ----------
    schools
        Scenario state: resource columns, ``open``, and ``primary_share`` is computed here
        from ``pupils``.
    pupils
        Pupils per school: columns ``primary`` and ``junior``.

    Returns
    -------
    DataFrame indexed by ``school_id``: ``pupils``, ``level`` (primary, junior or both),
    each indicator's value (per 100 pupils or per pupil, see :data:`INDICATORS`), each
    indicator's threshold (``{name}_min``, pupil-weighted between levels for nine-year
    schools), ``{name}_ok``, ``met`` (how many of seven) and ``meets_standard``
    (at least ``policy.min_indicators_met``). NaN where a school has no resource data.
    """
    open_ = schools["open"].to_numpy(dtype=bool)
    rows = schools.index[open_]
    primary = pupils["primary"].reindex(rows).fillna(0.0).to_numpy()
    junior = pupils["junior"].reindex(rows).fillna(0.0).to_numpy()
    n = primary + junior
    keep = n > 0
    rows, primary, n = rows[keep], primary[keep], n[keep]
    share = primary / n
    resources = schools.loc[rows, list(INDICATORS)].to_numpy(dtype=float)
    data: dict[str, object] = {"pupils": n,
                               "level": np.select([share == 1, share == 0], ["primary", "junior"], "both")}
    met = np.zeros(len(rows), dtype=int)
    known = np.zeros(len(rows), dtype=bool)
    for k, (name, (per, primary_min, junior_min, _)) in enumerate(INDICATORS.items()):
        value = resources[:, k] / n * per
        threshold = share * primary_min + (1 - share) * junior_min
        ok = value >= threshold - 1e-9
        data[name] = value
        data[f"{name}_min"] = threshold
        data[f"{name}_ok"] = pd.array([None if np.isnan(v) else bool(o) for v, o in zip(value, ok, strict=True)],
                                      dtype="boolean")
        met += ok & ~np.isnan(value)
        known |= ~np.isnan(value)
    data["met"] = np.where(known, met, np.nan)
    data["meets_standard"] = pd.array([bool(m >= policy.min_indicators_met) if k else None
                                       for m, k in zip(met, known, strict=True)], dtype="boolean")
    out = pd.DataFrame(data, index=rows)
    out.index.name = "school_id"
    return out


def balance(indicators: pd.DataFrame, pupils: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Pupil-weighted inter-school coefficient of variation of each indicator, per level.

    Schools enter a level's figure with that level's pupils (a nine-year school counts in
    both levels).

    Returns
    -------
    DataFrame indexed by (level, indicator): ``schools``, ``mean``, ``cv``, ``cv_limit``, ``ok``.
    """
    names = list(INDICATORS)
    values = indicators[names].to_numpy(dtype=float) if len(indicators) else np.zeros((0, len(names)))
    records = []
    for level in LEVELS:
        weights = pupils[level].reindex(indicators.index).fillna(0.0).to_numpy()
        use = (weights[:, None] > 0) & ~np.isnan(values)
        w = np.where(use, weights[:, None], 0.0)
        total = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(total > 0, (w * np.nan_to_num(values)).sum(axis=0) / total, np.nan)
            sd = np.sqrt((w * (np.nan_to_num(values) - mean) ** 2).sum(axis=0) / total)
            cv = np.where((use.sum(axis=0) >= 2) & (mean > 0), sd / mean, np.nan)
        limit = policy.cv_limit[level]
        for k, name in enumerate(names):
            records.append({"level": level, "indicator": name, "schools": int(use[:, k].sum()),
                            "mean": mean[k] if use[:, k].sum() >= 2 else np.nan, "cv": cv[k], "cv_limit": limit,
                            "ok": bool(cv[k] <= limit) if np.isfinite(cv[k]) else None})
    return pd.DataFrame(records).set_index(["level", "indicator"])
