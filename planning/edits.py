"""Scenario edits and the state of the schools they leave.

An edit (close, merge, open a site, expand, keep as teaching point, add beds, add a bus,
set a school's seats, classrooms or beds, set or scale a village's pupils) is a small
immutable settings object: built in Python or read from a scenario file, checked
the same way (unknown fields refused, numbers ≥ 0). :meth:`Edit.apply` checks it against the
schools as the edits before it left them and returns a new :class:`State`; nothing is
changed in place.

    >>> import planning
    >>> from planning.edits import Close, apply_edits
    >>> project = planning.demo()
    >>> state = apply_edits(project, [Close(school="S05")])
    >>> state.schools.loc["S05", "status"], project.schools.loc["S05", "type"]
    ('closed', 'village_primary')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pydantic

from .columns import SCHOOL_GRADES
from .errors import ValidationError
from .i18n import Listing, Message, PlaceName, shown_names
from .memo import per_owner
from .policy import LEVEL_GRADES
from .project import Project
from .schema import Settings, problems
from .validation import ELIGIBLE_COLUMNS, RESOURCE_COLUMNS

#: Resources that move with a merge (people and equipment); buildings and grounds stay.
MOVABLE_RESOURCES = ["teachers", "teachers_above_qualification", "key_teachers", "pe_arts_teachers",
                     "equipment_value_yuan", "eligible_teachers", "eligible_key_teachers"]
STATE_NUMBERS = ["capacity", "classrooms", "beds", *RESOURCE_COLUMNS, *ELIGIBLE_COLUMNS, "dilapidated_m2"]


@dataclass(frozen=True)
class Bus:
    """A school bus: the school, the villages it collects and the longest ride (minutes)."""

    school: str
    villages: tuple[str, ...]
    max_ride: float


class State:
    """Schools and sites after some edits; a state never changes once an edit has made it.

    Attributes
    ----------
    schools
        One row per matrix column (schools then sites): ``name``, ``type``, ``grades``,
        ``open``, ``status`` (open, closed, merged, new, teaching point, candidate, not
        counted), ``merged_into``, ``is_site``, ``capacity`` (pupils), ``classrooms``,
        ``beds`` and the resource columns. A copy: changing it changes no state (today's
        state is shared by every scenario of a project).
    buses
        School buses.
    pupils
        The pupil edits (:class:`SetPupils`) in order; evaluation applies them to the
        pupils of the year evaluated (:func:`edited_pupils`).
    """

    __slots__ = ("_table", "buses", "pupils")

    def __init__(self, schools: pd.DataFrame, buses: tuple[Bus, ...] = (), *, pupils: tuple[SetPupils, ...] = ()) -> None:
        self._table = schools
        self.buses = buses
        self.pupils = pupils

    @property
    def schools(self) -> pd.DataFrame:
        return self._table.copy(deep=False)  # copy-on-write: cheap, and the state stays as it was

    def changed(self, buses: tuple[Bus, ...] | None = None, *, pupils: tuple[SetPupils, ...] | None = None) -> State:
        """A new state to apply one edit to (the schools table copied)."""
        return State(self._table.copy(), self.buses if buses is None else buses,
                     pupils=self.pupils if pupils is None else pupils)

    def set(self, school_id: str, **values: object) -> None:
        """Set cells of one school's row (only on a state just made by :meth:`changed`)."""
        for column, value in values.items():
            self._table.at[school_id, column] = value  # type: ignore[assignment]  # cells may hold tuples (grades)

    def number(self, school_id: str, column: str) -> float:
        """A school's figure, 0 where not known."""
        return float(np.nan_to_num(np.asarray(self._table.at[school_id, column], dtype=float)))

    def known(self, school_id: str, column: str) -> float:
        """A school's figure, NaN where not known."""
        return float(np.asarray(self._table.at[school_id, column], dtype=float))

    def merge_target(self, school_id: str) -> str:
        """Where pupils of a merged school go now (following merges of merges)."""
        target = school_id
        while isinstance(nxt := self._table.at[target, "merged_into"], str):
            target = nxt
        return target


@per_owner
def initial_state(project: Project) -> State:
    """Today's layout: every counted school open, every candidate site closed (once per project)."""
    schools = project.schools
    counted = (schools["type"] != "other").to_numpy()
    frame = pd.DataFrame({"name": schools["name"], "type": schools["type"], "grades": schools["grades"],
                          "open": counted, "status": np.where(counted, "open", "not counted"), "is_site": False},
                         index=schools.index)
    for col in STATE_NUMBERS:
        frame[col] = schools[col].astype(float) if col in schools else np.nan
    sites = project.sites
    if len(sites):
        site_frame = pd.DataFrame({"name": sites["name"], "type": sites["type"],
                                   "grades": sites["type"].map(lambda kind: SCHOOL_GRADES[kind]),
                                   "open": False, "status": "candidate", "is_site": True}, index=sites.index)
        for col in STATE_NUMBERS:
            site_frame[col] = sites[col].astype(float) if col in sites else np.nan
        frame = pd.concat([frame, site_frame])
    frame["merged_into"] = None
    frame.index.name = "school_id"
    return State(frame)


def _id(value: Any) -> Any:
    """Ids may be written as whole numbers in a file (学校编号 101); they are text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, pydantic.BeforeValidator(_id)]
Amount = Annotated[float, pydantic.Field(ge=0, allow_inf_nan=False)]
SchoolType = Literal["central_primary", "village_primary", "teaching_point", "junior_secondary", "nine_year",
                     "unknown"]


class Edit(Settings):
    """Base of scenario edits; ``op`` names the edit in files and logs; ``year``, when set,
    is the school year the edit takes effect from (a plan over the years is a timeline:
    "close S13 from 2028"); without it the edit holds from the start."""

    op: str
    year: Annotated[int, pydantic.Field(ge=1900, le=2200)] | None = None

    def apply(self, state: State, project: Project) -> State:
        """The state after this edit (checked against ``state``)."""
        raise NotImplementedError

    def words(self, who: Callable[[str], object]) -> Message:
        """The edit as a catalogue message; ``who`` names a school, site or village."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a scenario file: ``op`` and the fields that are set."""
        data = self.model_dump(exclude_none=True)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _school(state: State, school_id: str, project: Project, *, must_be_open: bool = True) -> pd.Series:
    if school_id not in state.schools.index:
        known = Listing(state.schools.index[~state.schools["is_site"].to_numpy(dtype=bool)])
        raise ValidationError(Message("error.unknown_school", id=repr(school_id), known=known))
    row = state.schools.loc[school_id]
    assert isinstance(row, pd.Series)  # ids are unique: one row
    if row["is_site"] and row["status"] == "candidate":
        raise ValidationError(Message("error.site_not_open", id=repr(school_id)))
    if must_be_open and not row["open"]:
        named = object_names(project)[str(school_id)]  # its name in the reader's language
        raise ValidationError(Message("error.school_not_open", id=repr(school_id), name=PlaceName("", named.zh, named.en),
                                      status=Message(f"status.{row['status']}")))
    return row


class Close(Edit):
    """Close a school; its pupils are re-zoned to the schools that remain."""

    op: Literal["close"] = "close"
    school: Id

    def apply(self, state: State, project: Project) -> State:
        _school(state, self.school, project)
        new = state.changed()
        new.set(self.school, open=False, status="closed")
        return new

    def words(self, who: Callable[[str], object]) -> Message:
        return Message("edit.close", school=who(self.school))


class Merge(Edit):
    """Merge a school into another: it closes, its pupils, teachers and equipment move.

    The receiving school must teach every grade of the merged one; ``add_grades`` lets it
    take on the missing grades (a junior school receiving a primary becomes a nine-year
    school), which the change log says."""

    op: Literal["merge"] = "merge"
    school: Id
    into: Id
    add_grades: bool = False

    def apply(self, state: State, project: Project) -> State:
        if self.school == self.into:
            raise ValidationError(Message("error.merge_into_itself"))
        _school(state, self.school, project)
        if self.into in state.schools.index and isinstance(state.schools.at[self.into, "merged_into"], str):
            chain = [self.into]
            while isinstance(nxt := state.schools.at[chain[-1], "merged_into"], str) and len(chain) < 50:
                chain.append(nxt)
            if self.school in chain:
                cycle = " → ".join([self.school, *chain[: chain.index(self.school) + 1]])
                raise ValidationError(Message("error.merge_cycle", cycle=cycle))
        merged, into = _school(state, self.school, project), _school(state, self.into, project)
        missing = tuple(sorted(set(merged["grades"]) - set(into["grades"])))
        if missing and not self.add_grades:
            names = object_names(project)  # in the reader's language
            raise ValidationError(Message("error.merge_grades", school=names[self.school], into=names[self.into],
                                          grades=grade_words(missing),
                                          taught=grade_words(into["grades"])))
        new = state.changed()
        if missing:
            grades = tuple(sorted(set(into["grades"]) | set(missing)))
            new.set(self.into, grades=grades, type=_type_teaching(grades, into["type"]))
        for col in MOVABLE_RESOURCES:  # teachers and equipment move; buildings and grounds stay
            new.set(self.into, **{col: new.known(self.into, col) + new.known(self.school, col)})  # unknown stays unknown
            new.set(self.school, **{col: 0.0})
        new.set(self.school, open=False, status="merged", merged_into=self.into)
        return new

    def words(self, who: Callable[[str], object]) -> Message:
        if self.add_grades:
            return Message("edit.merge_add_grades", school=who(self.school), into=who(self.into))
        return Message("edit.merge", school=who(self.school), into=who(self.into))


def grade_words(grades: Iterable[int], *, sep: str = "sep.names") -> Listing | str:
    """Grades as a planner writes them: "1–6" for a run, "1、3" otherwise (joined by ``sep``)."""
    g = sorted(set(int(x) for x in grades))
    if not g:
        return "—"
    if len(g) > 1 and g == list(range(g[0], g[-1] + 1)):
        return f"{g[0]}–{g[-1]}"
    return Listing(g, sep=sep)


def _type_teaching(grades: tuple[int, ...], old: str) -> str:
    """The school type that teaches ``grades`` after a merge added some."""
    if set(grades) & set(LEVEL_GRADES["primary"]) and set(grades) & set(LEVEL_GRADES["junior"]):
        return "nine_year"
    if old == "teaching_point" and set(LEVEL_GRADES["primary"]) <= set(grades):
        return "village_primary"
    return old


class OpenSite(Edit):
    """Open a new school at a candidate site (values default to the site table's)."""

    op: Literal["open_site"] = "open_site"
    site: Id
    capacity: Amount | None = None
    classrooms: Amount | None = None
    beds: Amount | None = None
    type: SchoolType | None = None

    def apply(self, state: State, project: Project) -> State:
        rows = state.schools
        if self.site not in rows.index or not rows.at[self.site, "is_site"]:
            sites = list(rows.index[rows["is_site"].to_numpy(dtype=bool)])
            known = Listing(sites) if sites else Message("error.none")
            raise ValidationError(Message("error.unknown_site", id=repr(self.site), known=known))
        if rows.at[self.site, "status"] != "candidate":
            raise ValidationError(Message("error.site_open_twice", id=repr(self.site)))
        new = state.changed()
        for col in ("capacity", "classrooms", "beds"):
            if (value := getattr(self, col)) is not None:
                new.set(self.site, **{col: float(value)})
        if self.type is not None:
            new.set(self.site, type=self.type, grades=SCHOOL_GRADES[self.type])
        new.set(self.site, open=True, status="new", beds=new.number(self.site, "beds"))
        return new

    def words(self, who: Callable[[str], object]) -> Message:
        return Message("edit.open_site", school=who(self.site), extra=_amounts(self, "edit.amount_set"))


class Expand(Edit):
    """Add seats (pupils), classrooms and boarding beds to an open school."""

    op: Literal["expand"] = "expand"
    school: Id
    capacity: Amount = 0.0
    classrooms: Amount = 0.0
    beds: Amount = 0.0

    @pydantic.field_validator("beds")
    @classmethod
    def _adds_something(cls, beds: float, info: pydantic.ValidationInfo) -> float:
        """An expansion adds seats, classrooms or beds: one of nothing is refused, not logged
        (checked with the last field, so that the message names a field of the edit)."""
        if not beds and info.data.get("capacity") == 0 and info.data.get("classrooms") == 0:
            raise ValueError("error.expand_nothing")
        return beds

    def apply(self, state: State, project: Project) -> State:
        _school(state, self.school, project)
        new = state.changed()
        for col in ("capacity", "classrooms", "beds"):
            new.set(self.school, **{col: new.number(self.school, col) + getattr(self, col)})
        return new

    def words(self, who: Callable[[str], object]) -> Message:
        return Message("edit.expand", school=who(self.school), extra=_amounts(self, "edit.amount_add"))


class TeachingPoint(Edit):
    """Keep a school for the lower grades only (教学点); its other grades go on elsewhere."""

    op: Literal["teaching_point"] = "teaching_point"
    school: Id
    grades: Annotated[tuple[Annotated[int, pydantic.Field(ge=1, le=9)], ...],
                      pydantic.Field(strict=False, min_length=1)] = (1, 2, 3)

    def apply(self, state: State, project: Project) -> State:
        row = _school(state, self.school, project)
        grades = tuple(sorted(set(self.grades)))
        if not set(grades) <= set(row["grades"]):
            raise ValidationError(Message("error.grades_not_taught", grades=Listing(grades),
                                          taught=Listing(row["grades"])))
        new = state.changed()
        new.set(self.school, grades=grades, type="teaching_point", status="teaching point")
        return new

    def words(self, who: Callable[[str], object]) -> Message:
        return Message("edit.teaching_point", school=who(self.school), grades=grade_words(self.grades, sep="sep.list"))


class AddBeds(Edit):
    """Add boarding beds to an open school."""

    op: Literal["add_beds"] = "add_beds"
    school: Id
    beds: Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)]  # no beds added is no edit

    def apply(self, state: State, project: Project) -> State:
        return Expand(school=self.school, beds=self.beds).apply(state, project)

    def words(self, who: Callable[[str], object]) -> Message:
        return Message("edit.add_beds", school=who(self.school), beds=f"{self.beds:g}")


class AddBus(Edit):
    """A school bus from some villages to a school, with the longest ride allowed (minutes).

    A village already on a bus to the same school in the plan is refused, with its name and
    the school's: its riders are counted once whatever the buses, so a second bus would only
    muddle the plan's log (to change the longest ride, undo the first). The same village may
    ride to another school (its primary pupils to one, its junior pupils to another)."""

    op: Literal["add_bus"] = "add_bus"
    school: Id
    villages: Annotated[tuple[Id, ...], pydantic.Field(strict=False)]
    max_ride: Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)] = 40.0

    def apply(self, state: State, project: Project) -> State:
        _school(state, self.school, project)
        unknown = [v for v in self.villages if v not in project.villages.index]
        if unknown or not self.villages:
            raise ValidationError(Message("error.unknown_villages", ids=Listing(unknown) if unknown else
                                          Message("error.no_villages"),
                                          examples=Listing(project.villages.index[:5])))
        riding = [v for b in state.buses if b.school == self.school for v in b.villages]
        twice = list(dict.fromkeys(v for v in self.villages if v in riding))
        if twice:  # riders are counted once whatever the buses: a second bus only muddles the plan's log
            names = object_names(project)  # in the reader's language
            raise ValidationError(Message("error.bus_twice", villages=Listing([names[v] for v in twice], sep="sep.names"),
                                          school=names[self.school]))
        return state.changed(buses=(*state.buses, Bus(self.school, self.villages, self.max_ride)))

    def words(self, who: Callable[[str], object]) -> Message:
        return Message("edit.add_bus", villages=Listing([who(v) for v in self.villages], sep="sep.names"),
                       school=who(self.school), ride=f"{self.max_ride:g}")


class SetSchool(Edit):
    """Set an open school's seats (pupils), classrooms or boarding beds to new figures (a
    survey's count, a rebuilt building), where :class:`Expand` adds to them. Figures not
    given stay as they were; at least one is given. Classrooms and beds set above today's
    count as built in the costs, as an expansion's do."""

    op: Literal["set_school"] = "set_school"
    school: Id
    capacity: Amount | None = None
    classrooms: Amount | None = None
    beds: Amount | None = None

    @pydantic.field_validator("beds")
    @classmethod
    def _sets_something(cls, beds: float | None, info: pydantic.ValidationInfo) -> float | None:
        """A change of nothing is refused, not logged (checked with the last field)."""
        given = info.data.get("capacity", 0), info.data.get("classrooms", 0)  # missing: refused already
        if beds is None and given == (None, None):
            raise ValueError("error.set_school_nothing")
        return beds

    def apply(self, state: State, project: Project) -> State:
        _school(state, self.school, project)
        new = state.changed()
        for col in ("capacity", "classrooms", "beds"):
            if (value := getattr(self, col)) is not None:
                new.set(self.school, **{col: float(value)})
        return new

    def words(self, who: Callable[[str], object]) -> Message:
        return Message("edit.set_school", school=who(self.school), extra=_amounts(self, "edit.amount_set"))


class SetPupils(Edit):
    """Set a village's pupils of one grade (``grade`` and ``pupils``), or scale its pupils
    (of one grade, or of every grade when ``grade`` is not given) by ``scale`` (1.2: a fifth
    more): a survey's count, a new housing estate. Applied to the pupils of the year
    evaluated (today's, or a forecast year's), in the order of the edits."""

    op: Literal["set_pupils"] = "set_pupils"
    village: Id
    grade: Annotated[int, pydantic.Field(ge=1, le=9)] | None = None
    pupils: Amount | None = None
    scale: Amount | None = None

    @pydantic.field_validator("scale")
    @classmethod
    def _one_way(cls, scale: float | None, info: pydantic.ValidationInfo) -> float | None:
        """Either a grade's pupils or a factor (checked with the last field)."""
        if "pupils" not in info.data:  # refused already (below zero)
            return scale
        pupils = info.data["pupils"]
        if (pupils is None) == (scale is None):
            raise ValueError("error.set_pupils_one_way")
        if pupils is not None and info.data.get("grade") is None:
            raise ValueError("error.set_pupils_grade")
        return scale

    def apply(self, state: State, project: Project) -> State:
        if self.village not in project.villages.index:
            raise ValidationError(Message("error.unknown_villages", ids=Listing([self.village]),
                                          examples=Listing(project.villages.index[:5])))
        return state.changed(pupils=(*state.pupils, self))

    def words(self, who: Callable[[str], object]) -> Message:
        if self.pupils is not None:
            return Message("edit.set_pupils", village=who(self.village), grade=self.grade, pupils=f"{self.pupils:g}")
        if self.grade is None:
            return Message("edit.scale_pupils", village=who(self.village), scale=f"{self.scale:g}")
        return Message("edit.scale_grade", village=who(self.village), grade=self.grade, scale=f"{self.scale:g}")


def edited_pupils(pupils: np.ndarray, villages: pd.Index, edits: Sequence[SetPupils]) -> np.ndarray:
    """Pupils per village and grade (V, 9) after the pupil edits, in order (a copy)."""
    out = np.array(pupils, dtype=float)
    for edit in edits:
        row = villages.get_loc(edit.village)
        cols = slice(None) if edit.grade is None else edit.grade - 1
        if edit.pupils is not None:
            out[row, cols] = edit.pupils
        else:
            out[row, cols] = out[row, cols] * float(edit.scale or 0.0)
    return out


def _amounts(edit: OpenSite | Expand | SetSchool, key: str) -> Message | str:
    """Seats, classrooms and beds an edit sets or adds, e.g. "（学位 +120，教室 +3）"."""
    amounts = [Message(key, value=f"{v:g}", what=Message(f"edit.{col}")) for col in ("capacity", "classrooms", "beds")
               if (v := getattr(edit, col)) is not None and (v or isinstance(edit, OpenSite | SetSchool))]
    return Message("edit.amounts", amounts=Listing(amounts)) if amounts else ""


EDITS: dict[str, type[Edit]] = {cls.model_fields["op"].default: cls
                                for cls in (Close, Merge, OpenSite, Expand, TeachingPoint, AddBeds, AddBus, SetSchool,
                                            SetPupils)}
AnyEdit = Annotated[Close | Merge | OpenSite | Expand | TeachingPoint | AddBeds | AddBus | SetSchool | SetPupils,
                    pydantic.Field(discriminator="op")]


def make_edit(op: str, **fields: Any) -> Edit:
    """An edit from Python arguments, checked like a scenario file's (a clear error, not a
    pydantic one)."""
    try:
        return EDITS[op](**fields)
    except pydantic.ValidationError as exc:
        what = Message(f"edit_op.{op}")
        raise ValidationError([Message("error.edit_problem", edit=what, problem=p)
                               for p in problems(exc, EDITS[op])]) from exc


def apply_edits(project: Project, edits: Sequence[Edit], *, source: str | None = None) -> State:
    """The state after ``edits`` in order; the first bad edit raises, named by its number."""
    state = initial_state(project)
    names = object_names(project)
    for i, edit in enumerate(edits, 1):
        try:
            state = edit.apply(state, project)
        except ValidationError as exc:
            words = edit_words(edit, names=names)
            raise ValidationError([Message("error.in_edit", n=i, edit=words, problem=p) for p in exc.problems],
                                  source=source) from exc
    return state


def in_effect(edits: Sequence[Edit], year: int) -> tuple[Edit, ...]:
    """The edits in effect in ``year``: those without a year, and those from it or before."""
    return tuple(e for e in edits if e.year is None or e.year <= year)


def object_names(project: Project) -> dict[str, PlaceName]:
    """Id → id and name of every village, school and site, in either language (for
    descriptions: pinyin in English where the tables give it)."""
    names: dict[str, PlaceName] = {}
    for table in (project.villages, project.schools, project.sites):
        names.update({str(k): PlaceName(str(k), str(zh), str(en)) for k, zh, en in
                      zip(table.index, table["name"], shown_names(table, "en"), strict=True)})
    return names


def edit_words(edit: Edit, *, names: Mapping[str, PlaceName] | None = None) -> Message:
    """One edit as a catalogue message, with school and village names (worded later)."""
    names = names or {}
    words = edit.words(lambda key: names.get(key, key))
    return words if edit.year is None else Message("edit.from_year", edit=words, year=edit.year)


def describe_edit(edit: Edit, *, names: Mapping[str, PlaceName] | None = None, lang: str | None = None) -> str:
    """One edit in the planner's words and language, with school and village names.

    Parameters
    ----------
    names
        Id → name (:func:`object_names`); ids alone when None.
    lang
        "zh" or "en" (``settings.language`` when None).
    """
    return edit_words(edit, names=names).text(lang)


def edit_log(project: Project, edits: Sequence[Edit], lang: str | None = None) -> pd.DataFrame:
    """A change log: one row per edit (``op``, ``change`` in ``lang``), steps from 1."""
    names = object_names(project)
    return pd.DataFrame({"op": [e.op for e in edits], "change": [describe_edit(e, names=names, lang=lang) for e in edits]},
                        index=pd.RangeIndex(1, len(edits) + 1, name="step"))


__all__ = ["Edit", "Close", "Merge", "OpenSite", "Expand", "TeachingPoint", "AddBeds", "AddBus", "SetSchool",
           "SetPupils", "edited_pupils", "EDITS", "Bus",
           "State", "initial_state", "apply_edits", "in_effect", "make_edit", "describe_edit", "edit_words", "object_names",
           "edit_log"]
