"""Resource-balance indicators (优质均衡, 教督〔2017〕6号).

Per school, seven resources per 100 pupils or per pupil against their standards. 教督〔2017〕6号
(资源配置): 每所学校至少6项指标达到要求，余项不能低于要求的85% — a school meets the
standard when it meets at least ``policy.min_indicators_met`` indicators and every one it
misses still reaches ``policy.missed_indicator_floor`` of its standard. A school whose
resource data are partly missing is *undetermined* unless what is known already decides:
it fails when a known indicator is below the floor or more known indicators are missed
than allowed; it meets only when all seven are known.

Across the schools of a level, the coefficient of variation of each indicator (≤ 0.50
primary, ≤ 0.45 junior). The coefficient is the pupil-weighted one of the evaluation
method: x̄ = Σ pᵢxᵢ / Σ pᵢ, s = √(Σ pᵢ(xᵢ − x̄)² / Σ pᵢ), CV = s / x̄, where pᵢ are the
school's pupils of that level. Which schools enter it and how a nine-year school is split
between the levels are settings (``cv_teaching_points``, ``cv_teaching_point_pupils``,
``cv_nine_year_split``; :func:`balance`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .i18n import Listing, Message, field, t
from .policy import INDICATORS, LEVELS, Policy

#: The verdicts of a school on the resource standard.
VERDICTS = ("meets", "fails", "undetermined")

#: Settings that decide the verdicts and the CV, in the order a report shows them.
BALANCE_SETTINGS = ("min_indicators_met", "missed_indicator_floor", "cv_limit", "cv_teaching_points",
                    "cv_teaching_point_pupils", "cv_nine_year_split")

_TOLERANCE = 1e-9


def school_indicators(schools: pd.DataFrame, pupils: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """The seven indicators of each open school with pupils, and its verdict.

    Parameters
    ----------
    schools
        Scenario state: resource columns (NaN where unknown), ``open`` and ``type``
        (``teaching_point`` schools may be left out of the CV, see ``in_cv``).
    pupils
        Pupils per school: columns ``primary`` and ``junior``.

    Returns
    -------
    DataFrame indexed by ``school_id``:

    ``pupils``, ``level``
        Pupils of the school; primary, junior or both.
    ``{name}``, ``{name}_min``, ``{name}_ok``
        Each indicator's value (per 100 pupils or per pupil, see :data:`INDICATORS`; NaN
        when its resource is unknown), its standard (pupil-weighted between the levels for
        a school teaching both) and whether it is met (NA when unknown).
    ``met``
        Indicators known to be met (NaN when none is known).
    ``lowest_share``
        The weakest known indicator's value as a share of its standard (fraction; 0.57 is
        57 % of it); NaN when none is known.
    ``verdict``
        ``meets``, ``fails`` or ``undetermined`` (resource data missing and able to change
        the verdict).
    ``missing``
        The resource columns without data, as a tuple of their names (empty when all are
        known).
    ``meets_standard``
        True (meets), False (fails) or NA (undetermined).
    ``in_cv``
        Whether the school enters the inter-school CV (False for a teaching point left out
        by ``cv_teaching_points: exclude``).
    """
    open_ = schools["open"].to_numpy(dtype=bool)
    rows = schools.index[open_]
    primary = pupils["primary"].reindex(rows).fillna(0.0).to_numpy()
    junior = pupils["junior"].reindex(rows).fillna(0.0).to_numpy()
    n = primary + junior
    keep = n > 0
    rows, primary, n = rows[keep], primary[keep], n[keep]
    share = primary / n
    names = list(INDICATORS)
    resources = schools.loc[rows, names].to_numpy(dtype=float)
    per = np.array([spec[0] for spec in INDICATORS.values()], dtype=float)
    standard_primary = np.array([spec[1] for spec in INDICATORS.values()])
    standard_junior = np.array([spec[2] for spec in INDICATORS.values()])
    value = resources / n[:, None] * per
    standard = share[:, None] * standard_primary + (1 - share[:, None]) * standard_junior
    known = ~np.isnan(value)
    ok = known & (value >= standard - _TOLERANCE)
    data: dict[str, object] = {"pupils": n,
                               "level": np.select([share == 1, share == 0], ["primary", "junior"], "both")}
    for k, name in enumerate(names):
        data[name] = value[:, k]
        data[f"{name}_min"] = standard[:, k]
        data[f"{name}_ok"] = pd.array([bool(o) if kn else None for o, kn in zip(ok[:, k], known[:, k], strict=True)],
                                      dtype="boolean")
    any_known = known.any(axis=1)
    data["met"] = np.where(any_known, ok.sum(axis=1), np.nan)
    with np.errstate(invalid="ignore"):
        data["lowest_share"] = np.where(any_known, np.min(np.where(known, value / standard, np.inf), axis=1), np.nan)
    verdict = verdicts(value, standard, policy)
    data["verdict"] = verdict
    data["missing"] = [tuple(name for name, kn in zip(names, row, strict=True) if not kn) for row in known]
    data["meets_standard"] = pd.array([None if v == "undetermined" else v == "meets" for v in verdict],
                                      dtype="boolean")
    types = schools.loc[rows, "type"].to_numpy() if "type" in schools else np.full(len(rows), "")
    small_point = (types == "teaching_point") & (n < policy.cv_teaching_point_pupils)
    data["in_cv"] = ~small_point if policy.cv_teaching_points == "exclude" else np.ones(len(rows), dtype=bool)
    out = pd.DataFrame(data, index=rows)
    out.index.name = "school_id"
    return out


def verdicts(value: np.ndarray, standard: np.ndarray, policy: Policy) -> np.ndarray:
    """Each school's verdict on the resource standard: ``meets``, ``fails`` or ``undetermined``.

    Parameters
    ----------
    value, standard
        Schools × indicators: each indicator's value (NaN when unknown) and standard.

    Returns
    -------
    Array of verdicts. A school meets when it meets at least ``policy.min_indicators_met``
    indicators and every other one reaches ``policy.missed_indicator_floor`` of its
    standard. Unknown indicators decide nothing by themselves: a school fails when what is
    known fails whatever the unknown values (a known indicator below the floor, or more
    known misses than allowed); it meets only when every indicator is known.
    """
    known = ~np.isnan(value)
    ok = known & (value >= standard - _TOLERANCE)
    missed = (known & ~ok).sum(axis=1)
    below_floor = (known & (value < policy.missed_indicator_floor * standard - _TOLERANCE)).any(axis=1)
    fails = below_floor | (missed > value.shape[1] - policy.min_indicators_met)
    meets = ~fails & known.all(axis=1)
    return np.select([fails, meets], ["fails", "meets"], "undetermined").astype(object)


def balance(indicators: pd.DataFrame, pupils: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Pupil-weighted inter-school coefficient of variation of each indicator, per level.

    A school enters a level's figure with that level's pupils as weight, when its
    indicator is known and it is ``in_cv`` (all schools when the column is absent). A
    school teaching both levels (nine-year school) is split into its primary and junior
    parts, each counted in its level (``policy.cv_nine_year_split``):

    ``pupils``
        Its resources split by the pupils of each level, so each part has the school's
        own per-pupil value.
    ``requirement``
        Split by each level's requirement (pupils × that level's standard), so each part's
        value is ``value × level standard / school standard`` (needs the ``{name}_min``
        columns) and both parts stand at the school's share of its standard.

    Returns
    -------
    DataFrame indexed by (level, indicator): ``schools`` (entering the figure), ``mean``
    (pupil-weighted, in the indicator's unit), ``cv``, ``cv_limit``, ``ok``.
    """
    names = list(INDICATORS)
    values = indicators[names].to_numpy(dtype=float) if len(indicators) else np.zeros((0, len(names)))
    entering = indicators["in_cv"].to_numpy(dtype=bool) if "in_cv" in indicators else np.ones(len(indicators), bool)
    records = []
    for li, level in enumerate(LEVELS):
        weights = pupils[level].reindex(indicators.index).fillna(0.0).to_numpy() * entering
        level_values = values
        if policy.cv_nine_year_split == "requirement" and len(indicators):
            level_standard = np.array([spec[1 + li] for spec in INDICATORS.values()])
            school_standard = indicators[[f"{name}_min" for name in names]].to_numpy(dtype=float)
            level_values = values * level_standard / school_standard
        use = (weights[:, None] > 0) & ~np.isnan(level_values)
        limit = policy.cv_limit[level]
        for k, name in enumerate(names):
            mean, cv = _weighted_mean_cv(level_values[:, k], weights)
            records.append({"level": level, "indicator": name, "schools": int(use[:, k].sum()), "mean": mean,
                            "cv": cv, "cv_limit": limit, "ok": bool(cv <= limit) if np.isfinite(cv) else None})
    return pd.DataFrame(records).set_index(["level", "indicator"])


def weighted_cv(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted coefficient of variation of ``values`` (NaN ignored) with ``weights``
    (pupils): √(Σ wᵢ(xᵢ − x̄)² / Σ wᵢ) / x̄, x̄ = Σ wᵢxᵢ / Σ wᵢ, over values with a positive
    weight; NaN for fewer than two such values or a mean that is not positive.

    >>> round(weighted_cv(np.array([1.0, 3.0]), np.array([1.0, 1.0])), 3)
    0.5
    """
    return _weighted_mean_cv(values, weights)[1]


def _weighted_mean_cv(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    use = (weights > 0) & ~np.isnan(values)
    if use.sum() < 2:
        return np.nan, np.nan
    w, x = weights[use], values[use]
    mean = float((w * x).sum() / w.sum())
    if mean <= 0:
        return mean, np.nan
    return mean, float(np.sqrt((w * (x - mean) ** 2).sum() / w.sum()) / mean)


def worded_indicators(indicators: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The indicators table with its verdicts and missing resource columns in words of
    ``lang`` (``settings.language`` when None), for reports; headers are left to
    :func:`~planning.i18n.localise`."""
    out = indicators.copy()
    out["verdict"] = [t(f"verdict.{v}", lang) for v in indicators["verdict"]]
    out["missing"] = [Listing([Message(f"resource.{name}") for name in names], sep="sep.names").text(lang)
                      for names in indicators["missing"]]
    return out


def balance_rules(policy: Policy, lang: str | None = None) -> pd.DataFrame:
    """The settings that decide the verdicts and the CV, their values and sources, in
    ``lang``: columns 设置/setting, 取值/value, 来源/source."""
    sources = policy.sources(lang)
    values = {
        "min_indicators_met": f"{policy.min_indicators_met} / {len(INDICATORS)}",
        "missed_indicator_floor": f"{policy.missed_indicator_floor:.0%}",
        "cv_limit": f"{policy.cv_limit['primary']:g} / {policy.cv_limit['junior']:g}",
        "cv_teaching_points": t(f"policy_value.{policy.cv_teaching_points}", lang),
        "cv_teaching_point_pupils": f"{policy.cv_teaching_point_pupils}",
        "cv_nine_year_split": t(f"policy_value.{policy.cv_nine_year_split}", lang),
    }
    setting, value, source = (field(name, lang) for name in ("setting", "value", "source"))
    return pd.DataFrame([{setting: field(name, lang), value: values[name], source: sources[name]}
                         for name in BALANCE_SETTINGS])


__all__ = ["school_indicators", "verdicts", "balance", "weighted_cv", "worded_indicators", "balance_rules", "VERDICTS",
           "BALANCE_SETTINGS"]
