"""Scenarios: a named list of edits to a project's schools, evaluated against the same matrix.

    >>> import planning
    >>> project = planning.demo()
    >>> plan = planning.Scenario(project, "consolidate").merge("S08", into="S04").close("S13")
    >>> result = plan.evaluate("zoned")
    >>> result.name, int(result.summary["schools_open"])
    ('consolidate', 11)

Every edit returns a *new* scenario (nothing is changed in place). An edit is checked
against the schools as the edits before it left them, so a bad edit (unknown school, merge
into a closed school, a merge cycle, a site opened twice, capacity below zero) fails at
once with a message naming it. Scenario files are YAML or JSON, checked strictly
(:class:`ScenarioFile`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic
import yaml

from .edits import (
    EDITS,
    AnyEdit,
    Edit,
    State,
    apply_edits,
    edit_log,
    edit_words,
    make_edit,
    object_names,
)
from .errors import InfeasibleError, ValidationError
from .evaluate import Result, evaluate
from .i18n import Message
from .io import atomic_write_text
from .memo import once, per_owner
from .project import Project
from .pupils import Forecast
from .schema import Settings, problems, read_mapping
from .timeline import Timeline, evaluate_years


class ScenarioFile(Settings):
    """What a scenario file holds.

    Attributes
    ----------
    name
        The scenario's name (the file's name when missing).
    project
        The project it belongs to: ``demo``, a project file (``.gpkg``), or a mapping of
        table files (``villages``, ``schools``, ``roads``, ...); for the command line.
    edits
        The edits, in order, each a mapping with ``op`` and its fields.
    log
        The change log as written by :meth:`Scenario.to_file` (for people; ignored).
    """

    name: str | None = None
    project: str | dict[str, str] | None = None
    edits: list[AnyEdit] = []
    log: list[str] | None = None


@dataclass(frozen=True, eq=False)
class Scenario:
    """A named list of edits to a project's schools; immutable.

    Parameters
    ----------
    project
        The project the edits apply to.
    name
        A label for tables, maps and reports.
    edits
        The edits, in order (checked when :attr:`state` is first read).
    """

    project: Project
    name: str = "scenario"
    edits: tuple[Edit, ...] = ()

    @cached_property
    def state(self) -> State:
        """Schools and sites after the edits (computed once)."""
        return apply_edits(self.project, self.edits, source=self.name)

    def _with(self, op: str, **fields: Any) -> Scenario:
        edit = make_edit(op, **fields)
        new = Scenario(self.project, self.name, (*self.edits, edit))
        try:  # checked against the state the edits before it left
            new.__dict__["state"] = edit.apply(self.state, self.project)
        except ValidationError as exc:
            words = edit_words(edit, names=object_names(self.project))
            raise ValidationError([Message("error.edit_problem", edit=words, problem=p) for p in exc.problems]) from exc
        return new

    # the edits (each takes ``year``: the school year it takes effect from; none, from the start)
    def close(self, school_id: str, *, year: int | None = None) -> Scenario:
        """Close a school; its pupils are re-zoned to the schools that remain."""
        return self._with("close", school=school_id, year=year)

    def merge(self, school_id: str, *, into: str, add_grades: bool = False, year: int | None = None) -> Scenario:
        """Merge ``school_id`` into ``into``: it closes, its pupils go to ``into``, and its
        teachers and equipment move there (changing ``into``'s indicators). ``into`` must
        teach every grade of ``school_id`` unless ``add_grades``, which makes it take on
        the grades it lacks (said in the change log)."""
        return self._with("merge", school=school_id, into=into, add_grades=add_grades, year=year)

    def open_site(self, site_id: str, *, capacity: float | None = None, classrooms: float | None = None,
                  beds: float | None = None, type: str | None = None,  # noqa: A002 - the field's name
                  year: int | None = None) -> Scenario:
        """Open a candidate site as a school: seats (pupils), classrooms and beds default to
        the site table's, ``type`` to the site's school type."""
        return self._with("open_site", site=site_id, capacity=capacity, classrooms=classrooms, beds=beds,
                          type=type, year=year)

    def expand(self, school_id: str, *, capacity: float = 0, classrooms: float = 0, beds: float = 0,
               year: int | None = None) -> Scenario:
        """Add seats (pupils), classrooms and boarding beds to a school."""
        return self._with("expand", school=school_id, capacity=float(capacity), classrooms=float(classrooms),
                          beds=float(beds), year=year)

    def teaching_point(self, school_id: str, grades: Iterable[int] = (1, 2, 3), *, year: int | None = None) -> Scenario:
        """Keep a school for ``grades`` only (教学点); its other grades go on elsewhere."""
        return self._with("teaching_point", school=school_id, grades=tuple(grades), year=year)

    def add_beds(self, school_id: str, beds: float, *, year: int | None = None) -> Scenario:
        """Add boarding beds to a school."""
        return self._with("add_beds", school=school_id, beds=float(beds), year=year)

    def add_bus(self, school_id: str, *, villages: Iterable[str], max_ride: float = 40.0,
                year: int | None = None) -> Scenario:
        """A bus from ``villages`` to a school; ride time (minutes) at bus speed on drivable roads."""
        return self._with("add_bus", school=school_id, villages=tuple(str(v) for v in villages),
                          max_ride=float(max_ride), year=year)

    def set_school(self, school_id: str, *, capacity: float | None = None, classrooms: float | None = None,
                   beds: float | None = None, year: int | None = None) -> Scenario:
        """Set a school's seats (pupils), classrooms or beds to new figures (those not given
        stay as they were); :meth:`expand` adds to them instead."""
        return self._with("set_school", school=school_id, capacity=capacity, classrooms=classrooms, beds=beds,
                          year=year)

    def set_pupils(self, village_id: str, *, grade: int | None = None, pupils: float | None = None,
                   scale: float | None = None, year: int | None = None) -> Scenario:
        """Set a village's pupils of ``grade`` to ``pupils``, or multiply its pupils (of
        ``grade``, or of every grade) by ``scale``; one of the two is given."""
        return self._with("set_pupils", village=village_id, grade=grade, pupils=pupils, scale=scale, year=year)

    def evaluate_years(self, forecast: Forecast, *, assignment: str = "nearest", years: Iterable[int] | None = None,
                       solver_seconds: float | None = 60.0) -> Timeline:
        """The plan in each year of ``forecast`` (all its years, or ``years``): that year's
        pupils under the edits in effect that year (:mod:`planning.timeline`)."""
        return evaluate_years(self.project, self.edits, forecast, name=self.name, assignment=assignment, years=years,
                              solver_seconds=solver_seconds)

    def undo(self) -> Scenario:
        """The scenario without its last edit."""
        return Scenario(self.project, self.name, self.edits[:-1])

    def renamed(self, name: str) -> Scenario:
        """The same edits under another name."""
        new = Scenario(self.project, name, self.edits)
        if "state" in self.__dict__:
            new.__dict__["state"] = self.state
        return new

    def on(self, project: Project) -> Scenario:
        """The same edits on another project (e.g. under a new policy), checked again."""
        new = Scenario(project, self.name, self.edits)
        new.state  # noqa: B018 - every edit must still apply
        return new

    # reading -------------------------------------------------------------------------
    def log(self, lang: str | None = None) -> pd.DataFrame:
        """The change log: one row per edit (``op``, ``change`` in ``lang``), steps from 1."""
        return edit_log(self.project, self.edits, lang)

    def evaluate(self, assignment: str = "nearest", *, solver_seconds: float | None = 60.0) -> Result:
        """Assign every pupil and measure the layout (see :func:`planning.evaluate.evaluate`);
        computed once per scenario, assignment and (for zoning) solver time limit. Zoning's
        ``result.solver.status`` is "Optimal" only when proven over every school teaching
        the grades; else "Time limit reached", with its ``gap``."""
        limit = None if assignment == "nearest" else solver_seconds  # no solver for nearest school
        return once(self, ("evaluate", assignment, limit),
                    lambda: evaluate(self.project, self.state, name=self.name, edits=self.edits,
                                     assignment=assignment, solver_seconds=solver_seconds))

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {len(self.edits)} edits>"

    # persistence ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data: name, project, edits and the change log."""
        return {"name": self.name, "project": self.project.name, "edits": [e.to_dict() for e in self.edits],
                "log": self.log("en")["change"].tolist()}

    def to_file(self, path: str | Path) -> Path:
        """Write the scenario as YAML (``.yaml``/``.yml``) or JSON, atomically."""
        path = Path(path)
        data = self.to_dict()
        text = (json.dumps(data, ensure_ascii=False, indent=2) if path.suffix.lower() == ".json"
                else yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        atomic_write_text(path, text)
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], project: Project, *, source: str = "scenario") -> Scenario:
        """Build and check a scenario from plain data (as written by :meth:`to_dict`)."""
        try:
            spec = ScenarioFile.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ValidationError(problems(exc, ScenarioFile, tags=EDITS), source=source) from exc
        scenario = cls(project, spec.name or Path(source).stem, tuple(spec.edits))
        scenario.__dict__["state"] = apply_edits(project, scenario.edits, source=source)  # checks every edit
        return scenario

    @classmethod
    def from_file(cls, path: str | Path, project: Project) -> Scenario:
        """Read a scenario file (YAML or JSON) and check it against ``project``."""
        return cls.from_dict(read_mapping(path, what="scenario"), project, source=str(path))


@per_owner
def today(project: Project) -> Scenario:
    """Today's layout as a scenario with no edits (one per project, so that its results are
    evaluated once)."""
    return Scenario(project, "today")


def baseline(project: Project, assignment: str = "nearest", *, solver_seconds: float | None = 60.0) -> Result:
    """Today's layout evaluated with ``assignment`` (computed once per project, method and
    time limit of the zoning solver, in seconds).

    Raises
    ------
    InfeasibleError
        For zoning, when today's schools lack the seats for today's pupils.
    """
    return today(project).evaluate(assignment, solver_seconds=solver_seconds)


def comparable_baseline(project: Project, assignment: str, *, solver_seconds: float | None = 60.0
                        ) -> tuple[Result, InfeasibleError | None]:
    """Today's layout to compare plans against: evaluated with ``assignment`` where it can
    be; where today's zoning is infeasible (too few seats today), the nearest-school
    layout, with the reason (the caller says so)."""
    return evaluate_or_nearest(today(project), assignment, solver_seconds=solver_seconds)


def evaluate_or_nearest(scenario: Scenario, assignment: str, *, solver_seconds: float | None = 60.0
                        ) -> tuple[Result, InfeasibleError | None]:
    """A plan evaluated with ``assignment``, or by nearest school where it cannot be zoned
    (too few seats, or no zoning found in the time), with the reason (the caller says so)."""
    try:
        return scenario.evaluate(assignment, solver_seconds=solver_seconds), None
    except InfeasibleError as exc:
        return scenario.evaluate("nearest"), exc


def years_or_nearest(scenario: Scenario, forecast: Forecast, assignment: str, *, years: Iterable[int] | None = None,
                     solver_seconds: float | None = 60.0) -> tuple[Timeline, InfeasibleError | None]:
    """A plan evaluated year by year with ``assignment``, or by nearest school where some year
    cannot be zoned (too few seats for that year's pupils), with the reason (the caller says
    so): :func:`evaluate_or_nearest` over the forecast years."""
    try:
        return scenario.evaluate_years(forecast, assignment=assignment, years=years, solver_seconds=solver_seconds), None
    except InfeasibleError as exc:
        return scenario.evaluate_years(forecast, assignment="nearest", years=years), exc


__all__ = ["Scenario", "ScenarioFile", "today", "baseline", "comparable_baseline", "evaluate_or_nearest",
           "years_or_nearest"]
