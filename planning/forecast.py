"""Enrolment forecasts: pupils per village and grade for each year of a planning horizon.

A layout is decided for the next ten years, not for today. A :class:`Forecast` holds the
pupils each village will send to school, year by year and grade by grade, with the ratios
and assumptions that produced them; :meth:`planning.Project.in_year` gives the project of
one year and :meth:`planning.Scenario.evaluate_years` evaluates a plan over the years.

:func:`forecast` uses the methods school planners use, on pupils by home village
(``P[y, v, g]``: pupils of village ``v`` in grade ``g`` in school year ``y``):

Grade progression (cohort survival), grades 2–9::

    P[y+1, v, g] = P[y, v, g-1] × r[v, g]
    r[v, g] = Σ_y P[y+1, v, g] / Σ_y P[y, v, g-1]        (consecutive years of the history)

``r[v, g]`` is the village's own ratio where its denominator has at least
:data:`~planning.policy.OWN_RATIO_MIN` pupils, else the township's pooled ratio (the same
sums over every village); ratios are clipped to :data:`~planning.policy.PROGRESSION_RANGE`,
except that a grade with no pupils anywhere in the history keeps ratio 0.

Grade 1 entry, from births six years earlier::

    P[y, v, 1] = B[y-6, v] × e[v]
    e[v] = Σ_y P[y, v, 1] / Σ_y B[y-6, v]              (history years whose births are known)

with the same own/pooled rule and :data:`~planning.policy.ENTRY_RANGE`. Births ``B`` are,
per village, the births table where it gives them; beyond its years the mean of its three
nearest years, changed by the variant's birth trend ``b`` each year
(``B[y] = mean × (1 + b)^(y − middle year)``); where a village has no births but a
population ``N`` (births table, else the villages table), ``B[y] = N × rate / 1000 ×
(1 + m)^(y − year of N) × (1 + b)^(y − (base − 6))`` with the national birth rate
(:data:`~planning.policy.BIRTH_RATE_PER_1000`) and the village's migration rate ``m``
where given; with neither, ``B[y] = today's grade 1 × (1 + b)^(y − (base − 6))`` (so
``e`` ≈ 1 and grade 1 follows the trend from today's).

Town-ward drift: after each year's progression, a share ``d`` (the variant's, or ``drift=``)
of every grade of every non-town village moves to the town's villages, split among them in
proportion to their pupils of that grade (conserving the total)::

    moved[v, g] = d × P[y, v, g]   (v not in town);   P[y, t, g] += Σ_v moved[v, g] × P[y, t, g] / Σ_t P[y, t, g]

A village is in the town when its nearest school teaching grade 1 (by walking time) is a
central primary (中心小学) within :data:`~planning.policy.TOWN_WALK_MINUTES`; the set is
listed in ``.assumptions``. Without town villages, nothing drifts.

Without a history, the project's pupils today are the only year: every progression ratio is 1
and grade 1 is births × today's entry ratio (today's grade 1 following the birth trend when
births are not given). The base year is the history's last year (the current calendar year
without a history) and its pupils are always the project's pupils today.

Variants ``low`` / ``medium`` / ``high`` (named after the township's total pupils) set the
birth trend beyond the data and the drift (:data:`~planning.policy.FORECAST_VARIANTS`).

Backtest (history of 4 years or more): from every origin year from the 2nd to the
last-but-one, the ratios are fitted on the years up to it and the pupils of the later
history years forecast (same drift and births); the mean absolute percentage error of
pupils (grades 1–9) by years ahead, per village (villages with pupils) and summed over the
township.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .i18n import Listing, Message, language, t
from .io import ROW, read_rows
from .policy import (
    BIRTH_RATE_PER_1000,
    ENTRY_RANGE,
    FORECAST_VARIANTS,
    OWN_RATIO_MIN,
    PROGRESSION_RANGE,
    TOWN_WALK_MINUTES,
)
from .project import Project
from .pupils import GRADE_COLUMNS, Forecast  # noqa: E402 - the data a forecast hands on, in a module of its own
from .validation import validate_births, validate_history

Table = str | Path | pd.DataFrame


def read_yearly(table: Table, project: Project, *, what: str,
                encoding: str | None = None) -> pd.DataFrame:
    """An enrolment history (``what="history"``) or a births table (``what="births"``) from a
    CSV/Excel file or a DataFrame, Chinese or English headers, validated against the
    project's villages (:func:`planning.validation.validate_history` / ``validate_births``)."""
    if isinstance(table, pd.DataFrame):
        frame, source = table.copy(), what
    else:
        frame, source = read_rows(table, encoding=encoding), str(table)
    if ROW not in frame.columns:
        frame[ROW] = pd.Series([Message("error.row", n=i + 2) for i in range(len(frame))], index=frame.index,
                               dtype=object)
    check = validate_history if what == "history" else validate_births
    return check(frame, project.villages.index, source=source)


@dataclass(frozen=True)
class _Births:
    """Births per village (rows) and year (columns), and which cells are not extrapolated."""

    values: pd.DataFrame
    known: pd.DataFrame
    source: pd.Series  # per village: "births", "population" or "grade_1"


def forecast(project: Project, history: Table | None = None, *, births: Table | None = None,
             horizon: int = 10, variant: str = "medium", drift: float | None = None,
             lang: str | None = None) -> Forecast:
    """Pupils per village and grade for the base year and ``horizon`` years after it.

    Parameters
    ----------
    project
        The project; its villages' pupils (``grade_1`` … ``grade_9``) are the base year.
    history
        An enrolment history (年份, 村编号, 一年级 … 九年级; or year, village_id, grade_1 …),
        a CSV/Excel path or a DataFrame. None: today's pupils only.
    births
        Births by village and year (年份, 村编号, 出生人口; optionally 户籍人口 and 迁移率), a
        path or a DataFrame. None: population × the national birth rate.
    horizon
        Years after the base year (≥ 1).
    variant
        ``"low"``, ``"medium"`` or ``"high"``: the birth trend beyond the data and the drift.
    drift
        Share of each village's pupils moving to the town each year (0–1); None takes the
        variant's, 0 turns drift off.
    lang
        Language of ``.assumptions`` (``settings.language`` when None).

    Returns
    -------
    :class:`Forecast`: ``.pupils`` (pupils by (year, village_id) and grade), ``.ratios``
    (per village: ``entry`` ratio, progression ratios ``grade_2`` … ``grade_9``, ``own_entry``
    and ``own_grades`` telling which come from the village's own history, ``town``),
    ``.assumptions`` (index: setting key; columns ``setting``, ``value``, ``source`` in
    ``lang``), ``.backtest`` (None under 4 history years; else indexed by ``horizon`` in years
    ahead with ``village_mape`` and ``township_mape`` in %, ``comparisons`` and ``origins``).
    The method is the module's docstring.
    """
    lang = language(lang)
    if variant not in FORECAST_VARIANTS:
        raise ValueError(f"`variant` was {variant!r} but is expected to be one of {list(FORECAST_VARIANTS)}")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"`horizon` was {horizon!r} but is expected to be a whole number of years ≥ 1")
    trend = FORECAST_VARIANTS[variant]["birth_trend"]
    share = FORECAST_VARIANTS[variant]["drift"] if drift is None else float(drift)
    if not 0 <= share < 1:
        raise ValueError(f"`drift` was {drift!r} but is expected to be a share from 0 to below 1")
    ids = project.villages.index
    today = today_grades(project)
    hist = None if history is None else read_yearly(history, project, what="history")
    base = int(hist.index.get_level_values("year").max()) if hist is not None else datetime.date.today().year
    cube = _cube(hist, ids, base, today)
    table = None if births is None else read_yearly(births, project, what="births")
    town = town_villages(project)
    is_town = ids.isin(town)
    years = sorted(cube)
    birth = _births(project, table, trend, years[0] - 6, base + int(horizon) - 6, base, today["grade_1"])
    ratios = _fit(cube, birth, ids)
    steps = _project(today.to_numpy(), birth.values, ratios, base, int(horizon), is_town, share)
    index = pd.MultiIndex.from_product([range(base, base + int(horizon) + 1), ids], names=["year", "village_id"])
    pupils = pd.DataFrame(steps.reshape(-1, len(GRADE_COLUMNS)), index=index, columns=GRADE_COLUMNS)
    ratios["town"] = is_town
    backtest = _backtest(project, cube, table, trend, is_town, share, ids) if len(years) >= 4 else None
    assumptions = _assumptions(project, lang, variant=variant, trend=trend, share=share, town=town,
                               years=years if hist is not None else [], birth=birth, ratios=ratios, base=base)
    return Forecast(pupils=pupils, ratios=ratios, assumptions=assumptions, backtest=backtest, variant=variant)


def today_grades(project: Project) -> pd.DataFrame:
    """The project's pupils today by village and grade; where a village gives level totals
    only (or pupils estimated from population), the total spread evenly over its grades."""
    villages = project.villages
    out = villages[GRADE_COLUMNS].astype(float).copy()
    for level, grades in (("primary_pupils", range(1, 7)), ("junior_pupils", range(7, 10))):
        cols = [f"grade_{g}" for g in grades]
        missing = out[cols].isna().any(axis=1)
        total = villages[level].astype(float).fillna(0.0)
        for col in cols:
            out.loc[missing, col] = total[missing] / len(cols)
    return out


def town_villages(project: Project) -> list[str]:
    """Villages of the town: those whose nearest school teaching grade 1 (by walking time)
    is a central primary (中心小学) within :data:`~planning.policy.TOWN_WALK_MINUTES`."""
    schools = project.schools
    first = [sid for sid, grades in schools["grades"].items() if 1 in grades]
    if not first:
        return []
    minutes = project.travel_times()[first]
    reach = minutes.notna().any(axis=1)
    nearest = minutes[reach].idxmin(axis=1)
    best = minutes[reach].min(axis=1)
    central = nearest.map(schools["type"]).eq("central_primary") & (best <= TOWN_WALK_MINUTES)
    return [str(v) for v in central[central].index]


def _cube(hist: pd.DataFrame | None, ids: pd.Index, base: int, today: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Pupils per year: villages (rows, NaN where a year lacks them) × grades; the base year
    is today's pupils."""
    cube: dict[int, pd.DataFrame] = {}
    if hist is not None:
        for year, rows in hist.groupby(level="year"):
            table = rows.droplevel("year").reindex(ids)
            cube[int(str(year))] = table[GRADE_COLUMNS].astype(float)
    cube[base] = today[GRADE_COLUMNS].astype(float)
    return cube


def _births(project: Project, table: pd.DataFrame | None, trend: float, first: int, last: int,
            anchor: int, grade_1: pd.Series) -> _Births:
    """Births per village and year from ``first`` to ``last`` (see the module docstring);
    ``anchor`` is the year whose grade 1 (``grade_1``) stands in where nothing else is known."""
    ids = project.villages.index
    years = list(range(first, last + 1))
    values = pd.DataFrame(np.nan, index=ids, columns=years)
    known = pd.DataFrame(False, index=ids, columns=years)
    source = pd.Series("grade_1", index=ids, dtype=object)
    given = pd.DataFrame() if table is None else table["births"].dropna().unstack("village_id")
    population = _population(project, table)
    offset = np.array(years, dtype=float) - (anchor - 6)
    for vid in ids:
        if vid in given.columns and given[vid].notna().any():
            series = given[vid].dropna()
            values.loc[vid] = _extend(series, years, trend)
            known.loc[vid] = [y in series.index for y in years]
            source[vid] = "births"
        elif vid in population.index:
            people, year, rate = population.loc[vid]
            values.loc[vid] = (people * BIRTH_RATE_PER_1000 / 1000 * (1 + rate) ** (np.array(years) - year)
                               * (1 + trend) ** offset)
            known.loc[vid] = True
            source[vid] = "population"
        else:
            values.loc[vid] = float(grade_1[vid]) * (1 + trend) ** offset
            known.loc[vid] = True
    return _Births(values, known, source)


def _extend(series: pd.Series, years: list[int], trend: float) -> np.ndarray:
    """A village's births in ``years``: the data, gaps interpolated, and beyond the data the
    mean of the three nearest years changed by ``trend`` a year from their middle year."""
    series = series.sort_index()
    series.index = series.index.astype(int)
    inside = series.reindex(range(int(series.index.min()), int(series.index.max()) + 1)).interpolate()
    out = []
    tail, head = series.iloc[-3:], series.iloc[:3]
    for year in years:
        if year in inside.index:
            out.append(float(inside[year]))
        else:
            ends = tail if year > series.index.max() else head
            middle = float(np.mean(ends.index))
            out.append(float(ends.mean()) * (1 + trend) ** (year - middle))
    return np.array(out)


def _population(project: Project, table: pd.DataFrame | None) -> pd.DataFrame:
    """Per village with a population: (population, its year, migration rate a year)."""
    rows: dict[str, tuple[float, float, float]] = {}
    villages = project.villages
    for vid, people in villages["population"].dropna().items():
        rows[str(vid)] = (float(people), float("nan"), 0.0)
    if table is not None:
        for (year, vid), people, rate in zip(table.index, table["population"], table["migration_rate"], strict=True):
            if pd.notna(people):
                rows[str(vid)] = (float(people), float(year), 0.0 if pd.isna(rate) else float(rate))
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["population", "year", "migration_rate"])
    return frame.fillna({"year": 0.0}).assign(migration_rate=lambda f: f["migration_rate"].where(f["year"] > 0, 0.0))


def _fit(cube: dict[int, pd.DataFrame], birth: _Births, ids: pd.Index) -> pd.DataFrame:
    """Entry and progression ratios per village (module docstring)."""
    years = sorted(cube)
    pairs = [(y, y + 1) for y in years if y + 1 in cube]
    num = np.zeros((len(ids), 8))
    den = np.zeros((len(ids), 8))
    for y0, y1 in pairs:
        before, after = cube[y0].to_numpy()[:, :8], cube[y1].to_numpy()[:, 1:]
        ok = ~np.isnan(before) & ~np.isnan(after)
        num += np.where(ok, after, 0.0)
        den += np.where(ok, before, 0.0)
    progression = _ratios(num, den, PROGRESSION_RANGE, default=1.0)
    g1 = np.zeros(len(ids))
    b = np.zeros(len(ids))
    for year in years:
        if year - 6 not in birth.values.columns:
            continue
        first = cube[year]["grade_1"].to_numpy()
        born = birth.values[year - 6].to_numpy()
        ok = ~np.isnan(first) & birth.known[year - 6].to_numpy() & ~np.isnan(born)
        g1 += np.where(ok, first, 0.0)
        b += np.where(ok, born, 0.0)
    if len(years) == 1:  # today's pupils only: each village keeps its own entry ratio
        with np.errstate(divide="ignore", invalid="ignore"):
            own = b > 0
            entry = (np.where(own, g1 / np.where(own, b, 1.0), 0.0)[:, None], own[:, None])
    else:
        entry = _ratios(g1[:, None], b[:, None], ENTRY_RANGE, default=1.0)
    out = pd.DataFrame(progression[0], index=ids, columns=GRADE_COLUMNS[1:])
    out.insert(0, "entry", entry[0][:, 0])
    out["own_entry"] = entry[1][:, 0]
    out["own_grades"] = progression[1].sum(axis=1)
    return out


def _ratios(num: np.ndarray, den: np.ndarray, bounds: tuple[float, float], *,
            default: float) -> tuple[np.ndarray, np.ndarray]:
    """Ratios num/den per village (rows) and column: the village's own where its
    denominator reaches OWN_RATIO_MIN, else the pooled ratio; clipped; 0 where the pooled
    numerator is 0 but the denominator is not (a grade absent from the history)."""
    pooled_num, pooled_den = num.sum(axis=0), den.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.where(pooled_den > 0, pooled_num / pooled_den, default)
        own = den >= OWN_RATIO_MIN
        ratio = np.where(own, num / np.where(own, den, 1.0), pooled)
    ratio = np.clip(ratio, *bounds)
    absent = (pooled_num == 0) & (pooled_den > 0)
    ratio[:, absent] = 0.0
    return ratio, own


def _project(start: np.ndarray, births: pd.DataFrame, ratios: pd.DataFrame, base: int, horizon: int,
             is_town: np.ndarray, share: float) -> np.ndarray:
    """Pupils (years × villages × grades) from ``start`` in the base year."""
    out = np.zeros((horizon + 1, *start.shape))
    out[0] = np.nan_to_num(start)
    entry = ratios["entry"].to_numpy()
    progression = ratios[GRADE_COLUMNS[1:]].to_numpy()
    for k in range(1, horizon + 1):
        year = base + k
        out[k, :, 1:] = out[k - 1, :, :-1] * progression
        out[k, :, 0] = np.nan_to_num(births[year - 6].to_numpy()) * entry
        out[k] = _drift(out[k], is_town, share)
    return out


def _drift(pupils: np.ndarray, is_town: np.ndarray, share: float) -> np.ndarray:
    """Move ``share`` of each non-town village's pupils (by grade) to the town villages, in
    proportion to their pupils of that grade (equally where they have none)."""
    if share == 0 or not is_town.any() or is_town.all():
        return pupils
    out = pupils.copy()
    moved = share * out[~is_town]
    out[~is_town] -= moved
    town = out[is_town]
    totals = town.sum(axis=0)
    weights = np.where(totals > 0, town / np.where(totals > 0, totals, 1.0), 1.0 / len(town))
    out[is_town] = town + weights * moved.sum(axis=0)
    return out


def _backtest(project: Project, cube: dict[int, pd.DataFrame], table: pd.DataFrame | None, trend: float,
              is_town: np.ndarray, share: float, ids: pd.Index) -> pd.DataFrame:
    """Mean absolute percentage error by years ahead, from every origin year (module docstring)."""
    years = sorted(cube)
    village_errors: dict[int, list[float]] = {}
    township_errors: dict[int, list[float]] = {}
    origins = [y for y in years[1:-1] if y - 1 in cube]
    for origin in origins:
        fitted = {y: cube[y] for y in years if y <= origin}
        start = cube[origin].fillna(0.0)
        birth = _births(project, table, trend, years[0] - 6, years[-1] - 6, origin, start["grade_1"])
        ratios = _fit(fitted, birth, ids)
        steps = _project(start.to_numpy(), birth.values, ratios, origin, years[-1] - origin, is_town, share)
        for target in (y for y in years if y > origin):
            actual = cube[target].sum(axis=1, min_count=1).to_numpy()
            predicted = steps[target - origin].sum(axis=1)
            seen = ~np.isnan(actual) & cube[origin].notna().all(axis=1).to_numpy()
            positive = seen & (actual > 0)
            errors = np.abs(predicted[positive] - actual[positive]) / actual[positive] * 100
            village_errors.setdefault(target - origin, []).extend(errors.tolist())
            total = actual[seen].sum()
            if total > 0:
                township_errors.setdefault(target - origin, []).append(
                    abs(predicted[seen].sum() - total) / total * 100)
    rows = [{"horizon": h, "village_mape": float(np.mean(village_errors[h])) if village_errors[h] else np.nan,
             "township_mape": float(np.mean(township_errors.get(h, [np.nan]))),
             "comparisons": len(village_errors[h]), "origins": len(township_errors.get(h, []))}
            for h in sorted(village_errors)]
    return pd.DataFrame(rows).set_index("horizon")


def _assumptions(project: Project, lang: str, *, variant: str, trend: float, share: float, town: list[str],
                 years: list[int], birth: _Births, ratios: pd.DataFrame, base: int) -> pd.DataFrame:
    """Each assumption (setting, value, source) in ``lang``, indexed by a setting key."""
    names = project.villages["name"]
    counts = birth.source.value_counts()
    pooled_entry = ratios.loc[~ratios["own_entry"].astype(bool), "entry"]
    rows = {
        "variant": (t(f"forecast.variant.{variant}", lang), t("forecast.source.variant", lang)),
        "base_year": (str(base), t("forecast.source.base_year", lang)),
        "history": (t("forecast.years", lang, first=years[0], last=years[-1], n=len(years)) if years
                    else t("forecast.no_history", lang), t("policy_source.forecast_no_history", lang)),
        "birth_trend": (t("forecast.per_year", lang, value=f"{trend * 100:+g} %"),
                        t("policy_source.forecast_birth_trend", lang)),
        "births_from": (t("forecast.births_from", lang, births=int(counts.get("births", 0)),
                          population=int(counts.get("population", 0)), grade_1=int(counts.get("grade_1", 0))),
                        t("policy_source.forecast_birth_rate", lang)),
        "birth_rate": (f"{BIRTH_RATE_PER_1000:g} ‰", t("policy_source.forecast_birth_rate", lang)),
        "drift": (t("forecast.per_year", lang, value=f"{share * 100:g} %"), t("policy_source.forecast_drift", lang)),
        "town": (Listing([f"{v} {names[v]}" for v in town]).text(lang) if town else t("error.none", lang),
                 t("policy_source.forecast_town", lang)),
        "ratios": (t("forecast.ratios_used", lang, entry=int(ratios["own_entry"].sum()),
                     grades=int((ratios["own_grades"] == 8).sum()), n=len(ratios),
                     pooled=f"{pooled_entry.iloc[0]:.2f}" if len(pooled_entry) else "–"),
                   t("policy_source.forecast_own_ratio_min", lang)),
        "ratio_range": (f"{PROGRESSION_RANGE[0]:g}–{PROGRESSION_RANGE[1]:g} / {ENTRY_RANGE[0]:g}–{ENTRY_RANGE[1]:g}",
                        t("policy_source.forecast_ratio_range", lang)),
    }
    frame = pd.DataFrame([{"setting": t(f"forecast.setting.{key}", lang), "value": value, "source": source}
                          for key, (value, source) in rows.items()], index=pd.Index(list(rows), name="key"))
    return frame


__all__ = ["Forecast", "GRADE_COLUMNS", "forecast", "town_villages", "today_grades"]
