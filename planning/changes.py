"""Who is affected by a plan: every village and grade band whose school, way to school or
trip time changes between two results.

A village's grades often go to different schools (grades 1–3 to the village teaching point,
4–6 to the township's central school), so a change is described per village × grade band:
the consecutive grades of one level that fare alike before and after. A village whose
teaching point closes is affected for grades 1–3 even when its main school stays the same.

    >>> import planning
    >>> project = planning.demo()
    >>> today = planning.baseline(project)
    >>> plan = planning.Scenario(project, "close S05").close("S05").evaluate()
    >>> changes = village_changes(today, plan)
    >>> bool((changes["outcome"] != "same").any())
    True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .assign import MODES
from .evaluate import LEVEL_OF_GRADE, Result

#: Outcomes of a village × grade band, in the order they are decided (the first that holds).
OUTCOMES = ("unserved", "loses its school", "boards", "by bus", "longer walk", "shorter walk", "other change", "same")
_DESCRIBE = ["school", "schools", "mode", "minutes"]  # grades alike in these (and in changing or not) form a band
_MINUTES_SAME = 0.05  # minutes: below this, two trip times are the same (rounding of shares)
_PUPILS_SAME = 0.01


def by_grade(result: Result) -> pd.DataFrame:
    """Per (village row, grade): pupils, main school (most pupils), all schools, the worst
    mode, the main school's trip minutes (walk, or by bus walk to the pick-up plus ride) and
    pupils per mode."""
    flows = result.tables["flows"]
    key = flows["village"].to_numpy() * 10 + flows["grade"].to_numpy()
    order = np.lexsort((-flows["pupils"].to_numpy(), key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    keys = key[first]
    school = flows["school_id"].to_numpy(dtype=object)
    mode = flows["mode"].cat.codes.to_numpy()
    pupils = flows["pupils"].to_numpy()
    slot = np.searchsorted(keys, key)
    worst = np.full(len(keys), -1)
    np.maximum.at(worst, slot, mode)
    by_mode = np.zeros((len(keys), len(MODES)))
    np.add.at(by_mode, (slot, mode), pupils)
    schools = school[first].astype(object)
    several = np.bincount(slot, minlength=len(keys)) > 1
    if several.any():  # a split village, or beds running out (boarders and unserved)
        named = pd.Series(school, dtype=object).fillna("—")
        joined = named.groupby(slot).agg(lambda s: " · ".join(sorted(set(s))))
        schools[several] = joined.to_numpy()[several]
    frame = pd.DataFrame({
        "pupils": by_mode.sum(axis=1), "school": school[first], "schools": schools,
        "mode": np.asarray(MODES, dtype=object)[worst], "minutes": flows["minutes"].to_numpy()[first],
        **{m: by_mode[:, i] for i, m in enumerate(MODES)},
    }, index=pd.MultiIndex.from_arrays([keys // 10, keys % 10], names=["village", "grade"]))
    return frame


def grade_changes(before: Result, after: Result) -> pd.DataFrame:
    """Per (village row, grade) with pupils: each side's description (``*_before``,
    ``*_after``) and ``changed``: whether the school(s), the mode, the trip minutes or the
    pupils per mode differ."""
    a, b = by_grade(before), by_grade(after)
    index = a.index.union(b.index)
    a, b = a.reindex(index), b.reindex(index)
    minutes_differ = ~np.isclose(a["minutes"], b["minutes"], atol=_MINUTES_SAME, equal_nan=True)
    modes_differ = ~np.isclose(a[list(MODES)].fillna(0), b[list(MODES)].fillna(0), atol=_PUPILS_SAME).all(axis=1)
    changed = ((a["schools"].fillna("—") != b["schools"].fillna("—")).to_numpy() | (a["mode"] != b["mode"]).to_numpy()
               | minutes_differ | np.asarray(modes_differ))
    out = pd.concat([a.add_suffix("_before"), b.add_suffix("_after")], axis=1)
    out["pupils"] = a["pupils"].fillna(b["pupils"])
    out["changed"] = changed
    return out


def village_changes(before: Result, after: Result) -> pd.DataFrame:
    """Per village × grade band: who gains and who loses between two results.

    Parameters
    ----------
    before, after
        Two results of one project (e.g. today's layout and a plan), in that order.

    Returns
    -------
    DataFrame indexed by (``village_id``, ``level``, ``grades``, e.g. "1–3"), one row per
    band of consecutive grades of a level that fare alike in both results, with ``name``,
    ``pupils``, the school, mode and one-way trip minutes before and after (``school_*``,
    ``mode_*``, ``minutes_*``), ``change`` (minutes) and ``outcome``, the first that holds
    of :data:`OUTCOMES`: "unserved" (newly), "loses its school" (its school closed),
    "boards" (newly), "by bus" (newly), "longer walk" / "shorter walk" (trip minutes,
    by more than half a minute), "other change" (another school, mode or split at the
    same time) or "same". The affected are the rows whose outcome is not "same"; they are
    exactly the village × grade pairs whose school, mode or minutes changed.
    """
    g = grade_changes(before, after)
    village, grade = g.index.get_level_values("village"), g.index.get_level_values("grade")
    describe = [f"{c}_{side}" for side in ("before", "after") for c in _DESCRIBE]
    signature = pd.util.hash_pandas_object(g[[*describe, "changed"]].astype(str), index=False).to_numpy()
    level = LEVEL_OF_GRADE[grade.to_numpy() - 1]
    new_band = np.r_[True, (np.diff(village.to_numpy()) != 0) | (level[1:] != level[:-1])
                     | (signature[1:] != signature[:-1])]  # a grade without pupils does not split a band
    band = np.cumsum(new_band) - 1
    firsts = g[new_band]
    low = grade.to_numpy()[new_band]
    high = pd.Series(grade.to_numpy()).groupby(band).max().to_numpy()
    project = after.project
    ids = project.villages.index.to_numpy(dtype=object)
    v = firsts.index.get_level_values("village").to_numpy()
    out = pd.DataFrame({
        "name": project.villages["name"].to_numpy(dtype=object)[v],
        "pupils": g["pupils"].groupby(band).sum().to_numpy(),
        "school_before": firsts["school_before"].to_numpy(), "school_after": firsts["school_after"].to_numpy(),
        "mode_before": firsts["mode_before"].to_numpy(), "mode_after": firsts["mode_after"].to_numpy(),
        "minutes_before": firsts["minutes_before"].to_numpy(dtype=float),
        "minutes_after": firsts["minutes_after"].to_numpy(dtype=float),
        "changed": firsts["changed"].to_numpy(dtype=bool),
    }, index=pd.MultiIndex.from_arrays(
        [pd.Index(ids[v], dtype=object), pd.Index(level[new_band], dtype=object),
         pd.Index([f"{lo}–{hi}" if hi > lo else str(lo) for lo, hi in zip(low, high, strict=True)], dtype=object)],
        names=["village_id", "level", "grades"]))
    out["change"] = out["minutes_after"] - out["minutes_before"]
    out["outcome"] = _outcomes(out, set(after.schools.index[~after.schools["open"].astype(bool)]))
    return out.drop(columns="changed")


def _outcomes(out: pd.DataFrame, closed: set[str]) -> np.ndarray:
    was, now = out["mode_before"], out["mode_after"]
    conditions = [
        (now == "unserved") & (was != "unserved"),
        out["school_before"].isin(closed),
        (now == "board") & (was != "board"),
        (now == "bus") & (was != "bus"),
        out["change"] > 0.5,
        out["change"] < -0.5,
        out["changed"],
    ]
    outcome = np.select([np.asarray(c, dtype=bool) for c in conditions], list(OUTCOMES[:-1]), "same")
    return np.where(out["changed"].to_numpy(dtype=bool), outcome, "same")


def affected(changes: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`village_changes` whose outcome is not "same"."""
    return changes[changes["outcome"] != "same"]


__all__ = ["OUTCOMES", "village_changes", "grade_changes", "affected"]
