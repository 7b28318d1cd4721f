"""A plan over the years: each year's pupils (a forecast) under the edits in effect that year.

A layout is decided for the next ten years. :func:`evaluate_years` evaluates a plan for
every year of a forecast: the pupils of the year (:meth:`Project.in_year`, travel times
reused), the edits in effect that year (an edit with ``year`` takes effect from that school
year), and per school the classes a year's pupils fill in the classrooms there are, the
large (大班额, 56–65) and very large (超大班额, 66 and more) classes that follow where
classrooms are short, and whether the school has become a small-scale school (乡村小规模学校,
fewer than 100 pupils) or has grades without pupils.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import numpy as np
import pandas as pd

from .assign import taught_grades
from .edits import Edit, apply_edits, in_effect
from .evaluate import Result, evaluate
from .policy import Policy
from .project import Project
from .pupils import Forecast

#: Per school and year, beyond :attr:`Result.schools`: see :func:`class_sizes`.
CLASS_COLUMNS = ("classes", "largest_class", "oversized_classes", "large_classes", "super_large_classes",
                 "small_school", "empty_grades")
#: Per year, beyond :data:`planning.evaluate.SUMMARY`.
YEAR_FIGURES = {
    "oversized_classes": "classes above the class size (45 primary, 50 junior) where classrooms are short",
    "large_classes": "large classes (56–65 pupils)",
    "super_large_classes": "very large classes (66 pupils and more)",
    "small_schools": "open schools with fewer pupils than the small-scale size (fewer than 100)",
    "schools_with_empty_grades": "open schools with a grade they teach but no pupil in it",
}


def class_sizes(schools: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """The classes each school's pupils fill in the classrooms it has.

    Each grade needs ``ceil(pupils / class size)`` classes (45 primary, 50 junior). Where a
    school has the classrooms (or their number is unknown), that is what it has; where it
    has fewer, each grade with pupils gets one classroom and the rest go, one at a time, to
    the grade whose classes are fullest, and classes grow: those above the class size are
    counted (``oversized_classes``), and among them the large (``policy.large_class``, 56)
    and very large (``policy.super_large_class``, 66) ones.

    Returns
    -------
    DataFrame (the schools' index) with ``classes``, ``largest_class`` (pupils),
    ``oversized_classes``, ``large_classes``, ``super_large_classes``, ``small_school``
    (open, fewer pupils than ``policy.small_school_pupils``) and ``empty_grades`` (grades
    it teaches with no pupil).
    """
    pupils = schools[[f"grade_{g}" for g in range(1, 10)]].to_numpy(dtype=float)
    size = np.array([policy.class_size["primary"]] * 6 + [policy.class_size["junior"]] * 3, dtype=float)
    needed = np.ceil(pupils / size - 1e-9)
    rooms = schools["classrooms"].to_numpy(dtype=float)
    classes = needed.copy()
    for i in np.flatnonzero(np.isfinite(rooms) & (needed.sum(axis=1) > rooms)):
        classes[i] = _share_rooms(pupils[i], int(max(rooms[i], 0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(classes > 0, pupils / np.maximum(classes, 1), 0.0)
    counted = np.where(per_class > size + 1e-9, classes, 0.0)
    taught = taught_grades(schools["grades"])
    open_ = schools["open"].to_numpy(dtype=bool)
    return pd.DataFrame({
        "classes": classes.sum(axis=1),
        "largest_class": np.ceil(per_class.max(axis=1, initial=0.0) - 1e-9),
        "oversized_classes": counted.sum(axis=1),
        "large_classes": np.where((per_class >= policy.large_class) & (per_class < policy.super_large_class),
                                  classes, 0.0).sum(axis=1),
        "super_large_classes": np.where(per_class >= policy.super_large_class, classes, 0.0).sum(axis=1),
        "small_school": open_ & (pupils.sum(axis=1) < policy.small_school_pupils),
        "empty_grades": np.where(open_, (taught & (pupils < 0.5)).sum(axis=1), 0),
    }, index=schools.index)


def _share_rooms(pupils: np.ndarray, rooms: int) -> np.ndarray:
    """Classes per grade when ``rooms`` classrooms are fewer than the classes needed: one per
    grade with pupils (they cannot share below that), then each further room to the grade
    whose classes are fullest."""
    classes = (pupils > 0).astype(float)
    for _ in range(max(rooms - int(classes.sum()), 0)):
        fullest = np.argmax(np.where(classes > 0, pupils / np.maximum(classes, 1), 0.0))
        classes[fullest] += 1
    return classes


@dataclass(frozen=True, eq=False)
class Timeline:
    """A plan evaluated year by year.

    Attributes
    ----------
    name, assignment
        The plan and how pupils were assigned.
    results
        The :class:`~planning.evaluate.Result` of each year (its project holds that year's
        pupils; its edits are those in effect that year).
    """

    name: str
    assignment: str
    results: Mapping[int, Result]

    @property
    def years(self) -> list[int]:
        return sorted(self.results)

    @property
    def summary(self) -> pd.DataFrame:
        """Year × figures: the headline figures (:data:`planning.evaluate.SUMMARY`) and
        :data:`YEAR_FIGURES` (classes, small-scale schools)."""
        rows = {}
        for year in self.years:
            schools = self.schools.xs(year, level="year")
            open_ = schools[schools["open"].to_numpy(dtype=bool)]
            rows[year] = pd.concat([self.results[year].summary, pd.Series({
                "oversized_classes": open_["oversized_classes"].sum(), "large_classes": open_["large_classes"].sum(),
                "super_large_classes": open_["super_large_classes"].sum(),
                "small_schools": float(open_["small_school"].sum()),
                "schools_with_empty_grades": float((open_["empty_grades"] > 0).sum())}, dtype=float)])
        out = pd.DataFrame(rows).T
        out.index.name = "year"
        return out

    @cached_property
    def _schools(self) -> pd.DataFrame:
        frames = {year: r.schools.join(class_sizes(r.schools, r.project.policy)) for year, r in self.results.items()}
        return pd.concat(frames, names=["year", "school_id"]).sort_index(level="year", sort_remaining=False)

    @property
    def schools(self) -> pd.DataFrame:
        """Per (year, school): :attr:`Result.schools` and :func:`class_sizes`."""
        return self._schools.copy(deep=False)

    def small_from(self) -> pd.Series:
        """Per open school: the first year it is a small-scale school (fewer pupils than
        ``policy.small_school_pupils``), NaN if never within the horizon."""
        schools = self.schools
        small = schools[schools["small_school"].to_numpy(dtype=bool)].reset_index()
        first = small.groupby("school_id")["year"].min()
        ids = schools.index.get_level_values("school_id").unique()
        return first.reindex(ids).rename("small_from")


def evaluate_years(project: Project, edits: Sequence[Edit], forecast: Forecast, *, name: str = "scenario",
                   assignment: str = "nearest", years: Iterable[int] | None = None,
                   solver_seconds: float | None = 60.0) -> Timeline:
    """Evaluate a plan in each year of a forecast (:meth:`planning.Scenario.evaluate_years`).

    Parameters
    ----------
    project, edits, name
        The plan; an edit with ``year`` takes effect from that school year.
    forecast
        Pupils per village and grade, year by year.
    assignment, solver_seconds
        As for :func:`planning.evaluate.evaluate`, every year.
    years
        The years to evaluate; all the forecast's when None.
    """
    chosen = forecast.years if years is None else sorted(int(y) for y in years)
    project.matrix  # noqa: B018 - routed once here, carried to every year's project
    results = {}
    for year in chosen:
        in_year = project.in_year(forecast, year)
        effective = in_effect(edits, year)
        results[year] = evaluate(in_year, apply_edits(in_year, effective, source=name), name=name, edits=effective,
                                 assignment=assignment, solver_seconds=solver_seconds)
    return Timeline(name=name, assignment=assignment, results=MappingProxyType(results))


__all__ = ["Timeline", "evaluate_years", "class_sizes", "CLASS_COLUMNS", "YEAR_FIGURES"]
