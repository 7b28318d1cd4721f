"""Scenarios: a named list of edits to a project's schools, evaluated against the same matrix.

    >>> s = project.scenario("consolidate")
    >>> s = s.merge("S08", into="S04").close("S13").add_beds("S01", 100)
    >>> result = s.evaluate(assignment="zoned")

Every edit returns a *new* scenario (inputs are never changed) and adds a line to its
change log. An edit is checked against the state left by the edits before it, so a bad
edit (unknown school, merge into a closed school, a merge cycle, a site opened twice,
capacity below zero) fails at once with a message naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import yaml

from .columns import SCHOOL_TYPES
from .errors import ValidationError
from .model import RESOURCE_COLUMNS

if TYPE_CHECKING:
    from .evaluate import Result
    from .project import Project

#: Resources that move with a merge (people and equipment); buildings and grounds stay.
MOVABLE_RESOURCES = ["teachers", "teachers_above_qualification", "key_teachers", "pe_arts_teachers",
                     "equipment_value_yuan"]
STATE_NUMBERS = ["capacity", "classrooms", "beds", *RESOURCE_COLUMNS]


@dataclass(frozen=True)
class Bus:
    """A school bus: villages it collects and the longest ride allowed (minutes)."""

    school: str
    villages: tuple[str, ...]
    max_ride: float


@dataclass
class State:
    """Schools and sites after a scenario's edits.

    Attributes
    ----------
    schools
        One row per matrix column (schools then sites): ``name``, ``type``, ``grades``,
        ``open``, ``status`` (open, closed, merged, new, teaching point), ``merged_into``,
        ``is_site``, ``capacity`` (pupils), ``classrooms``, ``beds`` and resources.
    buses
        School buses.
    """

    schools: pd.DataFrame
    buses: list[Bus] = field(default_factory=list)

    def copy(self) -> State:
        return State(self.schools.copy(), list(self.buses))

    def merge_target(self, school_id: str) -> str:
        """Where pupils of a merged school go now (following merges of merges)."""
        seen = [school_id]
        target = self.schools.at[school_id, "merged_into"]
        while isinstance(target, str):
            seen.append(target)
            nxt = self.schools.at[target, "merged_into"]
            if not isinstance(nxt, str):
                return target
            target = nxt
        return seen[-1]


def initial_state(project: Project) -> State:
    """Today's layout: every school open, every candidate site closed."""
    schools = project.schools
    frame = pd.DataFrame({
        "name": schools["name"], "type": schools["type"], "grades": schools["grades"],
        "open": schools["type"] != "other", "status": np.where(schools["type"] != "other", "open", "not counted"),
        "is_site": False,
    }, index=schools.index)
    for col in STATE_NUMBERS:
        frame[col] = schools[col].astype(float) if col in schools else np.nan
    sites = project.sites
    if len(sites):
        site_frame = pd.DataFrame({
            "name": sites["name"], "type": sites["type"],
            "grades": sites["type"].map(lambda t: SCHOOL_TYPES[t]["grades"]),
            "open": False, "status": "candidate", "is_site": True,
        }, index=sites.index)
        for col in STATE_NUMBERS:
            site_frame[col] = sites[col].astype(float) if col in sites else np.nan
        frame = pd.concat([frame, site_frame])
    frame["merged_into"] = None
    frame.index.name = "school_id"
    return State(frame)


# ---------------------------------------------------------------------- edits
@dataclass(frozen=True)
class Edit:
    """Base class of scenario edits; ``op`` names the edit in files and logs."""

    op: ClassVar[str] = ""

    def apply(self, state: State, project: Project) -> State:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        data = {"op": self.op, **asdict(self)}
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items() if v is not None}


def _school(state: State, school_id: str, *, what: str, must_be_open: bool = True) -> pd.Series:
    if school_id not in state.schools.index:
        known = ", ".join(state.schools.index[~state.schools["is_site"]])
        raise ValidationError(f"{what}: unknown school {school_id!r}; the schools are {known}")
    row = state.schools.loc[school_id]
    if row["is_site"] and row["status"] == "candidate":
        raise ValidationError(f"{what}: {school_id!r} is a candidate site that is not open; open_site({school_id!r}) first")
    if must_be_open and not row["open"]:
        raise ValidationError(f"{what}: school {school_id!r} ({row['name']}) is {row['status']}, not open")
    return row


def _not_negative(what: str, **values: float | None) -> None:
    for name, value in values.items():
        if value is not None and (not np.isfinite(value) or value < 0):
            raise ValidationError(f"{what}: {name} must be a number ≥ 0, got {value!r}")


@dataclass(frozen=True)
class Close(Edit):
    """Close a school; its pupils are re-zoned."""

    op: ClassVar[str] = "close"
    school: str

    def apply(self, state: State, project: Project) -> State:
        _school(state, self.school, what=f"close {self.school}")
        state.schools.loc[self.school, ["open", "status"]] = [False, "closed"]
        return state

    def describe(self) -> str:
        return f"close {self.school}"


@dataclass(frozen=True)
class Merge(Edit):
    """Merge a school into another: it closes, its pupils and teachers and equipment move."""

    op: ClassVar[str] = "merge"
    school: str
    into: str

    def apply(self, state: State, project: Project) -> State:
        what = f"merge {self.school} into {self.into}"
        if self.school == self.into:
            raise ValidationError(f"{what}: a school cannot merge into itself")
        _school(state, self.school, what=what)
        target = state.schools.loc[self.into] if self.into in state.schools.index else None
        if target is not None and isinstance(target["merged_into"], str):
            chain = [self.into]
            while isinstance(state.schools.at[chain[-1], "merged_into"], str) and len(chain) < 50:
                chain.append(state.schools.at[chain[-1], "merged_into"])
            if self.school in chain:
                cycle = " → ".join([self.school, *chain[: chain.index(self.school) + 1]])
                raise ValidationError(f"{what}: merge cycle {cycle}; a school cannot end up merged into itself")
        _school(state, self.into, what=what)
        rows = state.schools
        rows.loc[self.into, MOVABLE_RESOURCES] = (
            rows.loc[self.into, MOVABLE_RESOURCES].fillna(0).to_numpy(dtype=float)
            + rows.loc[self.school, MOVABLE_RESOURCES].fillna(0).to_numpy(dtype=float)
        )
        rows.loc[self.school, MOVABLE_RESOURCES] = 0.0
        rows.loc[self.school, ["open", "status", "merged_into"]] = [False, "merged", self.into]
        return state

    def describe(self) -> str:
        return f"merge {self.school} into {self.into}"


@dataclass(frozen=True)
class OpenSite(Edit):
    """Open a new school at a candidate site."""

    op: ClassVar[str] = "open_site"
    site: str
    capacity: float | None = None
    classrooms: float | None = None
    beds: float | None = None
    type: str | None = None

    def apply(self, state: State, project: Project) -> State:
        what = f"open site {self.site}"
        rows = state.schools
        if self.site not in rows.index or not rows.at[self.site, "is_site"]:
            known = ", ".join(rows.index[rows["is_site"]]) or "none"
            raise ValidationError(f"{what}: unknown candidate site {self.site!r}; the sites are {known}")
        if rows.at[self.site, "status"] != "candidate":
            raise ValidationError(f"{what}: site {self.site!r} is already open; a site opens once")
        _not_negative(what, capacity=self.capacity, classrooms=self.classrooms, beds=self.beds)
        if self.type is not None and self.type not in SCHOOL_TYPES:
            raise ValidationError(f"{what}: type {self.type!r} is not one of {list(SCHOOL_TYPES)}")
        for col in ("capacity", "classrooms", "beds"):
            value = getattr(self, col)
            if value is not None:
                rows.at[self.site, col] = float(value)
        if self.type is not None:
            rows.at[self.site, "type"] = self.type
            rows.at[self.site, "grades"] = SCHOOL_TYPES[self.type]["grades"]
        rows.loc[self.site, ["open", "status"]] = [True, "new"]
        rows.at[self.site, "beds"] = np.nan_to_num(rows.at[self.site, "beds"])
        return state

    def describe(self) -> str:
        extra = ", ".join(f"{k} {v:g}" for k, v in (("capacity", self.capacity), ("classrooms", self.classrooms),
                                                     ("beds", self.beds)) if v is not None)
        return f"open site {self.site}" + (f" ({extra})" if extra else "")


@dataclass(frozen=True)
class Expand(Edit):
    """Add seats, classrooms or beds to an open school (the numbers are added)."""

    op: ClassVar[str] = "expand"
    school: str
    capacity: float = 0.0
    classrooms: float = 0.0
    beds: float = 0.0

    def apply(self, state: State, project: Project) -> State:
        what = f"expand {self.school}"
        _school(state, self.school, what=what)
        _not_negative(what, capacity=self.capacity, classrooms=self.classrooms, beds=self.beds)
        rows = state.schools
        for col in ("capacity", "classrooms", "beds"):
            rows.at[self.school, col] = np.nan_to_num(rows.at[self.school, col]) + float(getattr(self, col))
        return state

    def describe(self) -> str:
        parts = [f"+{getattr(self, c):g} {c}" for c in ("capacity", "classrooms", "beds") if getattr(self, c)]
        return f"expand {self.school} ({', '.join(parts) or 'nothing'})"


@dataclass(frozen=True)
class TeachingPoint(Edit):
    """Keep a school for the lower grades only; the other grades go on to another school."""

    op: ClassVar[str] = "teaching_point"
    school: str
    grades: tuple[int, ...] = (1, 2, 3)

    def apply(self, state: State, project: Project) -> State:
        what = f"teaching point {self.school}"
        row = _school(state, self.school, what=what)
        grades = tuple(sorted({int(g) for g in self.grades}))
        if not grades or not set(grades) <= set(row["grades"]):
            raise ValidationError(f"{what}: grades {list(grades)} must be some of the grades it teaches {list(row['grades'])}")
        state.schools.at[self.school, "grades"] = grades
        state.schools.loc[self.school, ["type", "status"]] = ["teaching_point", "teaching point"]
        return state

    def describe(self) -> str:
        return f"{self.school} becomes a teaching point for grades {self.grades[0]}–{self.grades[-1]}"


@dataclass(frozen=True)
class AddBeds(Edit):
    """Add boarding beds to an open school."""

    op: ClassVar[str] = "add_beds"
    school: str
    beds: float

    def apply(self, state: State, project: Project) -> State:
        return Expand(self.school, beds=float(self.beds)).apply(state, project)

    def describe(self) -> str:
        return f"add {self.beds:g} beds at {self.school}"


@dataclass(frozen=True)
class AddBus(Edit):
    """A school bus from some villages to a school, with the longest ride allowed (minutes)."""

    op: ClassVar[str] = "add_bus"
    school: str
    villages: tuple[str, ...]
    max_ride: float = 40.0

    def apply(self, state: State, project: Project) -> State:
        what = f"bus to {self.school}"
        _school(state, self.school, what=what)
        unknown = [v for v in self.villages if v not in project.villages.index]
        if unknown or not self.villages:
            raise ValidationError(f"{what}: unknown villages {unknown or '(none given)'}; "
                                  f"villages are ids such as {', '.join(project.villages.index[:5])}")
        if not (np.isfinite(self.max_ride) and self.max_ride > 0):
            raise ValidationError(f"{what}: max_ride must be a positive number of minutes, got {self.max_ride!r}")
        state.buses.append(Bus(self.school, tuple(self.villages), float(self.max_ride)))
        return state

    def describe(self) -> str:
        return f"bus from {', '.join(self.villages)} to {self.school} (ride ≤ {self.max_ride:g} min)"


EDITS: dict[str, type[Edit]] = {cls.op: cls for cls in (Close, Merge, OpenSite, Expand, TeachingPoint, AddBeds, AddBus)}


def edit_from_dict(data: dict[str, Any], *, where: str) -> Edit:
    """Build an edit from a file's mapping; unknown operations or fields are errors."""
    if not isinstance(data, dict) or "op" not in data:
        raise ValidationError(f"{where}: each edit needs an 'op' (one of {list(EDITS)}), got {data!r}")
    kind = EDITS.get(data["op"])
    if kind is None:
        raise ValidationError(f"{where}: unknown edit {data['op']!r}; use one of {list(EDITS)}")
    fields_ = {k: v for k, v in data.items() if k != "op"}
    allowed = set(kind.__dataclass_fields__)
    extra = sorted(set(fields_) - allowed)
    if extra:
        raise ValidationError(f"{where}: {data['op']} does not take {extra}; it takes {sorted(allowed)}")
    for key in ("villages", "grades"):
        if key in fields_:
            fields_[key] = tuple(str(v) if key == "villages" else int(v) for v in fields_[key])
    for key in ("school", "into", "site"):
        if key in fields_:
            fields_[key] = str(fields_[key])
    try:
        return kind(**fields_)
    except TypeError as exc:
        raise ValidationError(f"{where}: {data['op']}: {exc}") from exc


# ---------------------------------------------------------------------- scenario
class Scenario:
    """A named list of edits to a project's schools.

    Use :meth:`planning.Project.scenario` to start one. Edits return new scenarios.
    """

    def __init__(self, project: Project, name: str = "scenario", edits: Sequence[Edit] = (),
                 *, _state: State | None = None) -> None:
        self.project = project
        self.name = name
        self.edits: tuple[Edit, ...] = tuple(edits)
        self._state = _state

    @property
    def state(self) -> State:
        """Schools and sites after the edits (computed once)."""
        if self._state is None:
            state = self.project.initial_state().copy()
            for i, edit in enumerate(self.edits, 1):
                try:
                    state = edit.apply(state, self.project)
                except ValidationError as exc:
                    raise ValidationError(f"edit {i} ({edit.describe()}): {exc}", source=self.name) from exc
            self._state = state
        return self._state

    def _with(self, edit: Edit) -> Scenario:
        state = edit.apply(self.state.copy(), self.project)
        return Scenario(self.project, self.name, (*self.edits, edit), _state=state)

    # the edits ---------------------------------------------------------------------
    def close(self, school_id: str) -> Scenario:
        """Close a school; its pupils are re-zoned to the schools that remain."""
        return self._with(Close(school_id))

    def merge(self, school_id: str, *, into: str) -> Scenario:
        """Merge ``school_id`` into ``into``: it closes, its pupils go to ``into``, and its
        teachers and equipment move there (changing ``into``'s indicators)."""
        return self._with(Merge(school_id, into))

    def open_site(self, site_id: str, *, capacity: float | None = None, classrooms: float | None = None,
                  beds: float | None = None, type: str | None = None) -> Scenario:  # noqa: A002 - the field's name
        """Open a candidate site as a school (values default to the site table's)."""
        return self._with(OpenSite(site_id, capacity, classrooms, beds, type))

    def expand(self, school_id: str, *, capacity: float = 0, classrooms: float = 0, beds: float = 0) -> Scenario:
        """Add seats (pupils), classrooms and boarding beds to a school."""
        return self._with(Expand(school_id, float(capacity), float(classrooms), float(beds)))

    def teaching_point(self, school_id: str, grades: Iterable[int] = (1, 2, 3)) -> Scenario:
        """Keep a school for ``grades`` only (教学点); its other grades go on elsewhere."""
        return self._with(TeachingPoint(school_id, tuple(grades)))

    def add_beds(self, school_id: str, beds: float) -> Scenario:
        """Add boarding beds to a school."""
        return self._with(AddBeds(school_id, float(beds)))

    def add_bus(self, school_id: str, *, villages: Iterable[str], max_ride: float = 40.0) -> Scenario:
        """A bus from ``villages`` to a school; ride time at bus speed on drivable roads (minutes)."""
        return self._with(AddBus(school_id, tuple(str(v) for v in villages), float(max_ride)))

    def undo(self) -> Scenario:
        """The scenario without its last edit."""
        return Scenario(self.project, self.name, self.edits[:-1])

    def renamed(self, name: str) -> Scenario:
        """The same edits under another name."""
        return Scenario(self.project, name, self.edits, _state=self._state)

    # reading -------------------------------------------------------------------------
    @property
    def log(self) -> pd.DataFrame:
        """The change log: one row per edit, in order."""
        return pd.DataFrame({"op": [e.op for e in self.edits], "change": [e.describe() for e in self.edits]},
                            index=pd.RangeIndex(1, len(self.edits) + 1, name="step"))

    def evaluate(self, assignment: str = "nearest", *, time_limit: float | None = 60.0) -> Result:
        """Assign every pupil and measure the layout (see :func:`planning.evaluate.evaluate`)."""
        from .evaluate import evaluate

        return evaluate(self, assignment=assignment, time_limit=time_limit)

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {len(self.edits)} edits>"

    # persistence ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data: name, project, edits and the change log."""
        return {"name": self.name, "project": self.project.name,
                "edits": [e.to_dict() for e in self.edits], "log": self.log["change"].tolist()}

    def to_file(self, path: str | Path) -> Path:
        """Write the scenario as YAML (``.yaml``/``.yml``) or JSON, atomically."""
        from .io import atomic_write_text

        path = Path(path)
        data = self.to_dict()
        text = (json.dumps(data, ensure_ascii=False, indent=2) if path.suffix.lower() == ".json"
                else yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        atomic_write_text(path, text)
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], project: Project, *, source: str = "scenario") -> Scenario:
        """Build and check a scenario from plain data (as written by :meth:`to_dict`)."""
        if not isinstance(data, dict) or not isinstance(data.get("edits", []), list):
            raise ValidationError("a scenario is a mapping with 'name' and a list of 'edits'", source=source)
        edits = [edit_from_dict(e, where=f"edit {i}") for i, e in enumerate(data.get("edits", []), 1)]
        scenario = cls(project, str(data.get("name", Path(source).stem)), edits)
        try:
            scenario.state  # noqa: B018 - applies and checks every edit
        except ValidationError as exc:
            raise ValidationError(exc.problems, source=source) from exc
        return scenario

    @classmethod
    def from_file(cls, path: str | Path, project: Project) -> Scenario:
        """Read a scenario file (YAML or JSON) and check it against ``project``."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
            raise ValidationError(f"cannot read the scenario file: {exc}", source=str(path)) from exc
        return cls.from_dict(data, project, source=str(path))
