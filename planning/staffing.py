"""Teachers a layout needs, by the national staffing norms, against the teachers it has.

A school needs ``primary pupils / 19 + junior pupils / 13.5`` teachers (中央编办发〔2014〕72号,
the unified urban–rural standard; ``policy.pupils_per_teacher``), rounded up. A small-scale
school (fewer than ``policy.small_school_pupils`` pupils, 乡村小规模学校) needs at least
``policy.teachers_per_class`` teachers per class (班师比, set by each province; 国办发〔2018〕27号:
staffed by the pupil–teacher and the class–teacher ratio together), its classes being those
its pupils need at the class-size limit, grade by grade.

The teachers are the layout's: a merge moves the merged school's teachers to the receiving
school (``moved``, + received, − sent); a school closed without a merge keeps its teachers on
the list, all of them to be placed elsewhere (``to_place``). A new school opened at a site
starts with none.

    >>> import pandas as pd
    >>> from planning.policy import Policy
    >>> schools = pd.DataFrame({"name": ["A", "B"], "status": ["open", "open"], "open": [True, True],
    ...                         "primary_pupils": [380.0, 30.0], "junior_pupils": [135.0, 0.0],
    ...                         "classes_needed": [12.0, 3.0]}, index=pd.Index(["A", "B"], name="school_id"))
    >>> teachers = pd.Series([33.0, 3.0], index=schools.index)
    >>> table = staffing(schools, teachers, teachers, Policy())
    >>> table.loc["A", ["needed_by_ratio", "teachers_needed", "surplus"]].tolist()   # 380/19 + 135/13.5
    [30.0, 30.0, 3.0]
    >>> table.loc["B", ["needed_by_ratio", "needed_by_classes", "teachers_needed", "surplus"]].tolist()
    [1.58, 5.1, 6.0, -3.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .policy import Policy

#: The staffing figures of a layout in :attr:`planning.evaluate.Result.summary`.
STAFFING_FIGURES = ("teachers", "teachers_needed", "teachers_short", "teachers_spare")

_TOLERANCE = 1e-9


def staffing(schools: pd.DataFrame, teachers: pd.Series, teachers_today: pd.Series, policy: Policy) -> pd.DataFrame:
    """Teachers needed and had, per school of a layout (closed ones too).

    Parameters
    ----------
    schools
        The layout's schools (:attr:`planning.evaluate.Result.schools`): ``name``,
        ``status``, ``open``, ``primary_pupils``, ``junior_pupils``, ``classes_needed``.
    teachers
        Full-time teachers (专任教师) of each school after the layout's edits (NaN unknown).
    teachers_today
        The same before the edits (a new school: 0).

    Returns
    -------
    DataFrame indexed by ``school_id``:

    ``name``, ``status``, ``open``, ``pupils``, ``classes``
        As in the layout (``classes``: the classes its pupils need).
    ``small_school``
        An open school with pupils, fewer than ``policy.small_school_pupils``.
    ``teachers_today``, ``moved``, ``teachers``
        Teachers before the edits, moved by merges (+ received, − sent) and after.
    ``needed_by_ratio``
        Pupils over the pupils-per-teacher norm of their level (teachers, not rounded).
    ``needed_by_classes``
        At a small school, classes × ``policy.teachers_per_class``; 0 elsewhere.
    ``teachers_needed``
        The larger of the two, rounded up (whole teachers; 0 at a closed school).
    ``surplus``
        ``teachers − teachers_needed``: positive = teachers to spare, negative = shortage
        (NaN where the teachers are not known, and at schools not counted).
    ``to_place``
        Teachers of a school closed without a merge, to be placed at other schools.
    """
    open_ = schools["open"].to_numpy(dtype=bool)
    primary = schools["primary_pupils"].to_numpy(dtype=float)
    junior = schools["junior_pupils"].to_numpy(dtype=float)
    pupils = primary + junior
    by_ratio = primary / policy.pupils_per_teacher["primary"] + junior / policy.pupils_per_teacher["junior"]
    small = open_ & (pupils > 0) & (pupils < policy.small_school_pupils)
    classes = schools["classes_needed"].to_numpy(dtype=float)
    by_classes = np.where(small, classes * policy.teachers_per_class, 0.0)
    needed = np.where(open_, np.ceil(np.maximum(by_ratio, by_classes) - _TOLERANCE), 0.0).astype(int)
    after = teachers.reindex(schools.index).to_numpy(dtype=float)
    before = teachers_today.reindex(schools.index).to_numpy(dtype=float)
    out = pd.DataFrame({
        "name": schools["name"], "status": schools["status"], "open": open_, "pupils": pupils, "classes": classes,
        "small_school": small, "teachers_today": before, "moved": after - before, "teachers": after,
        "needed_by_ratio": np.round(by_ratio, 2), "needed_by_classes": np.round(by_classes, 2),
        "teachers_needed": needed,
        "surplus": np.where(open_ | (schools["status"] != "not counted").to_numpy(), after - needed, np.nan),
        "to_place": np.where(~open_ & (schools["status"] == "closed").to_numpy(), np.nan_to_num(after), 0.0),
    }, index=schools.index)
    return out


def staffing_figures(table: pd.DataFrame) -> dict[str, float]:
    """County totals of a staffing table over the open schools whose teachers are known:
    ``teachers``, ``teachers_needed``, ``teachers_short`` (their shortages added up) and
    ``teachers_spare`` (teachers beyond the need, plus those of closed schools to be placed).
    NaN when no open school's teachers are known."""
    open_ = table[table["open"].to_numpy(dtype=bool) & table["teachers"].notna().to_numpy()]
    if open_.empty:
        return dict.fromkeys(STAFFING_FIGURES, np.nan)
    surplus = open_["surplus"].to_numpy(dtype=float)
    return {
        "teachers": float(np.nansum(open_["teachers"].to_numpy(dtype=float))),
        "teachers_needed": float(open_["teachers_needed"].sum()),
        "teachers_short": float(np.nansum(np.clip(-surplus, 0, None))),
        "teachers_spare": float(np.nansum(np.clip(surplus, 0, None)) + table["to_place"].sum()),
    }


__all__ = ["STAFFING_FIGURES", "staffing", "staffing_figures"]
