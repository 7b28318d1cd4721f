"""Evaluate a layout: assign every pupil, then measure walks, loads, classes and balance.

Evaluation reads the project's travel-time matrix and never routes again (bus ride times
are a second matrix at bus speed, computed once per project when a bus first appears). A
:class:`Result` describes its own layout only; before/after is always an explicit
comparison of two results (:func:`compare`, :func:`village_changes`).

    >>> import planning
    >>> project = planning.demo()
    >>> today = planning.baseline(project)
    >>> plan = planning.Scenario(project, "close S05").close("S05").evaluate()
    >>> int(plan.summary["schools_open"]), int(today.summary["schools_open"])
    (12, 13)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import numpy as np
import pandas as pd

from .assign import (
    BOARD,
    BUS,
    MODES,
    UNSERVED,
    WALK,
    Layout,
    assign_nearest,
    flows_from_assignment,
    taught_grades,
)
from .bus import bus_rides, walk_to_road
from .costs import cost_figures, cost_items
from .edits import Edit, State, edit_log, edited_pupils, initial_state
from .errors import InfeasibleError
from .i18n import Listing, Message
from .indicators import balance, school_indicators
from .memo import per_owner
from .policy import LEVEL_GRADES, LEVELS, Policy
from .project import Project
from .staffing import staffing, staffing_figures
from .zoning import zone

ASSIGNMENTS = ("nearest", "zoned", "split")
LEVEL_OF_GRADE = np.array(["primary"] * 6 + ["junior"] * 3)


@dataclass(frozen=True)
class SolverReport:
    """How the zoning solver did.

    Attributes
    ----------
    status
        About the full model, every school teaching the grades (not a shortlist):
        "Optimal" = proven optimal for it (whole villages: within HiGHS's relative gap of
        0.01 %); "Time limit reached" = the best zoning found in the time, ``gap`` at most
        from optimal (:mod:`planning.zoning`, "Solving").
    pupil_minutes
        Daily travel of the zoning, walks and bus rides (pupil-minutes): the travel part of
        what the solver minimised (beside unserved pupils and boarders), unlike
        ``summary["pupil_minutes"]``, which counts walkers only. The solver zones whole
        villages; pupils its zoning leaves without a bed then board wherever a bed and a
        seat stay free (:func:`planning.assign.flows_from_assignment`), so the flows may
        leave fewer unserved than the zoning itself.
    gap
        Relative gap of the zoning's cost to a lower bound proven for the full model,
        (cost − bound) / cost: 0 when optimal, 0.02 when no zoning can cost less than 2 %
        below it.
    seconds
        Solving time (seconds).
    variables
        Variables in the model.
    method
        How it was solved (words in the catalogue, ``method.*``): ``"zoning"``, whole
        villages: column generation over every pair, a Lagrangian (knapsack) bound, pairs
        left out only where proven unable to help, then HiGHS; ``"zoning_split"``, the LP
        by column generation (:mod:`planning.zoning`).
    bound
        The lower bound proven for the model's cost (pupil-minutes, unserved pupils and
        boarders at their cost in the formulation): cost × (1 − gap).
    """

    status: str
    pupil_minutes: float
    gap: float
    seconds: float
    variables: int
    method: str = "zoning"
    bound: float = float("nan")


#: The figures about pupils and their trips; :func:`level_summary` gives them per level.
TRIP_FIGURES = ("pupils", "walkers", "bus_riders", "boarders", "unserved", "pupils_beyond_limit", "mean_walk",
                "max_walk", "pupil_minutes")

#: The headline figures of :attr:`Result.summary` (all numbers) and their units.
SUMMARY = {
    "schools_open": "schools open (count)",
    "pupils": "pupils (count)",
    "walkers": "pupils who walk within the limit",
    "bus_riders": "pupils who ride a bus",
    "boarders": "pupils who board",
    "unserved": "pupils with no way to school (beyond the walk limit, no bus, no bed)",
    "pupils_beyond_limit": "pupils with no daily trip within the limit: their school is beyond the walking "
                           "limit (or out of reach) and no bus serves them; they board or are unserved",
    "mean_walk": "mean walk of walkers (minutes, pupil-weighted)",
    "max_walk": "longest walk of walkers (minutes)",
    "schools_over_capacity": "open schools with more pupils than seats",
    "seats_short": "seats missing, over all open schools (pupils)",
    "classroom_shortfall": "classrooms missing, over all open schools",
    "oversized_schools": "open schools above the school-size limit",
    "schools_below_standard": "open schools known to fail the resource standard (fewer indicators met than "
                              "required, or one missed by more than the policy's floor, 85 %)",
    "schools_undetermined": "open schools whose resource verdict is undetermined (data missing that could change it)",
    "primary_max_cv": "largest inter-school coefficient of variation of a primary indicator",
    "primary_cv_over_limit": "primary indicators whose CV is over the limit",
    "junior_max_cv": "largest inter-school coefficient of variation of a junior indicator",
    "junior_cv_over_limit": "junior indicators whose CV is over the limit",
    "pupil_minutes": "walking time of walkers (pupil-minutes)",
    "teachers": "full-time teachers at open schools (NaN when no school's teachers are known)",
    "teachers_needed": "teachers the open schools need by the staffing norms (pupils per teacher; teachers per "
                       "class at small schools)",
    "teachers_short": "teachers missing, the shortages of open schools added up",
    "teachers_spare": "teachers beyond the need at open schools, plus those of closed schools to be placed",
    "one_off_yuan": "one-off costs of the layout (yuan; savings such as renovation avoided count negative)",
    "yearly_yuan": "yearly costs of the layout (yuan a year)",
    "cost_npv_yuan": "one-off + yearly costs over policy.cost_horizon years at policy.cost_discount_rate (yuan)",
}


class _Table:
    """A table of a result, given out as a copy (copy-on-write: cheap, and the result's own
    table stays as it was)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, result: Result, owner: type | None = None) -> pd.DataFrame:
        return result.tables[self.name].copy(deep=False)


@dataclass(frozen=True, eq=False)
class Result:
    """What a layout does to pupils and schools: everything here is about this layout.

    The tables come out as copies that may be changed freely: a result is shared (today's
    layout by every plan of a project, in the app by every session).

    Attributes
    ----------
    name
        The scenario's name.
    assignment
        "nearest", "zoned" or "split".
    project
        The project evaluated.
    edits
        The scenario's edits (none for today's layout).
    state
        The schools and sites after the edits.
    solver
        For zoning, the solver's report; None for nearest-school assignment.
    layout
        The arrays assignment read (travel minutes, pupils by grade, seats, beds, limits,
        bus rides, merges); read-only.
    flows
        Pupils per (village, grade, school, mode): everything else derives from it.
    schools
        Per school (closed ones too): status, pupils by grade, load against capacity,
        classes needed (45 per primary class, 50 per junior class) and classroom
        shortfall, beds used, oversized school.
    indicators
        Per open school: the seven resource indicators, thresholds and how many are met.
    balance
        Per level and indicator: pupil-weighted inter-school coefficient of variation.
    staffing
        Per school (closed ones too): teachers after the edits (merges move them), teachers
        needed by the staffing norms, surplus (negative = shortage), teachers to place
        (:func:`planning.staffing.staffing`).
    costs
        The layout's cost items, one-off and yearly (yuan; :func:`planning.costs.cost_sheet`
        adds the present value and a total).
    summary
        Headline figures, all numbers: see :data:`SUMMARY` for each and its unit.
    """

    name: str
    assignment: str
    project: Project
    edits: tuple[Edit, ...]
    state: State
    solver: SolverReport | None
    layout: Layout
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    figures: pd.Series = field(repr=False)

    flows = _Table()
    schools = _Table()
    indicators = _Table()
    balance = _Table()
    staffing = _Table()
    costs = _Table()

    @property
    def summary(self) -> pd.Series:
        return self.figures.copy(deep=False)

    @cached_property
    def _villages(self) -> pd.DataFrame:
        return _villages(self.project, self.tables["flows"])

    @property
    def villages(self) -> pd.DataFrame:
        """Per (village, level): pupils, main school (``school``; ``schools`` lists all
        where a village's grades go to several), ``mode`` (the worst of walk, bus, board,
        unserved), ``main_mode`` (the way to the main school: a village may ride to one
        school and walk to the main one), ``minutes`` (the one-way trip to the main school
        in its mode: the walk, or by bus the walk to the pick-up plus the ride),
        ``walk_minutes`` (walking all the way to the main school), ``road_walk_minutes``
        and ``ride_minutes`` (the two legs of a bus trip, NaN for others) and pupils by
        mode (``walk``, ``bus``, ``board``, ``unserved``)."""
        return self._villages.copy(deep=False)

    @cached_property
    def notes(self) -> list[Message]:
        """What could not be satisfied and why (unserved pupils, full schools, missing
        classrooms), as catalogue messages: :meth:`explain` words them."""
        return _notes(self.tables["flows"], self.tables["schools"], self.project)

    @property
    def explanations(self) -> list[str]:
        """The notes in English."""
        return self.explain("en")

    def explain(self, lang: str | None = None) -> list[str]:
        """The notes in ``lang`` (zh or en; ``settings.language`` when None)."""
        return [note.text(lang) for note in self.notes]

    def log(self, lang: str | None = None) -> pd.DataFrame:
        """The change log: one row per edit (``op``, ``change`` in ``lang``), steps from 1."""
        return edit_log(self.project, self.edits, lang)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<Result {self.name!r} ({self.assignment}): {int(s['schools_open'])} schools, "
                f"{s['pupils_beyond_limit']:.0f} pupils beyond the limit, {s['unserved']:.0f} unserved>")


def grade_pupils(villages: pd.DataFrame) -> np.ndarray:
    """Pupils per village and grade (V, 9); where grades are not given, a level's pupils
    are spread evenly over its grades."""
    out = np.zeros((len(villages), 9))
    for level, grades in LEVEL_GRADES.items():
        cols = [f"grade_{g}" for g in grades]
        given = villages[cols].to_numpy(dtype=float)
        total = villages[f"{level}_pupils"].to_numpy(dtype=float)
        spread = np.repeat((np.nan_to_num(total) / len(grades))[:, None], len(grades), axis=1)
        have = ~np.isnan(given).any(axis=1)
        out[:, np.array(grades) - 1] = np.where(have[:, None], np.nan_to_num(given), spread)
    return out


def build_layout(project: Project, state: State) -> Layout:
    """Arrays for assignment from the schools after some edits and the project's matrices."""
    minutes = project.matrix.minutes
    schools = state.schools
    if list(schools.index) != list(project.targets.index):  # pragma: no cover - internal invariant
        raise RuntimeError("scenario state and travel-time matrix disagree on targets")
    serves = taught_grades(schools["grades"]) & schools["open"].to_numpy(dtype=bool)[:, None]
    policy = project.policy
    return Layout(
        minutes=minutes,
        pupils=edited_pupils(grade_pupils(project.villages), project.villages.index, state.pupils),
        serves=serves,
        capacity=schools["capacity"].to_numpy(dtype=float),
        beds=np.nan_to_num(schools["beds"].to_numpy(dtype=float)),
        limit=policy.grade_limits(),
        ride=bus_rides(project, state),
        bus_walk=walk_to_road(project) if state.buses else np.full(len(minutes), np.nan),
        may_board=np.arange(1, 10) >= policy.boarding_min_grade,
        forced=_forced(project, state),
        boarding_cost=policy.boarding_cost_minutes,
    )


@per_owner
def today_schools(project: Project) -> np.ndarray:
    """Today's school of each (village, grade) by nearest assignment (matrix column, −1
    none); computed once per project."""
    return assign_nearest(build_layout(project, initial_state(project)))


def _forced(project: Project, state: State) -> np.ndarray:
    """Pupils who attend a merged school today go where the merge sends them."""
    merged = state.schools.index[state.schools["merged_into"].map(lambda v: isinstance(v, str))]
    forced = np.full((len(project.villages), 9), -1)
    if len(merged) == 0:
        return forced
    today = today_schools(project)
    index = state.schools.index
    for school in merged:
        forced[today == index.get_loc(school)] = index.get_loc(state.merge_target(school))
    return forced


def _check_capacity(layout: Layout, schools: pd.DataFrame) -> None:
    """Before zoning: every level's pupils must fit in the seats of the schools teaching it."""
    problems = []
    for level, grades in LEVEL_GRADES.items():
        gi = np.array(grades) - 1
        teach = layout.serves[:, gi].any(axis=1)
        caps = layout.capacity[teach]
        if not teach.any() or np.isnan(caps).any():
            continue
        need = layout.pupils[:, gi].sum()
        seats = caps.sum()
        if seats + 1e-6 < need:
            names = Listing([f"{sid} {cap:g}" for sid, cap in zip(schools.index[np.asarray(teach)], caps, strict=True)],
                            sep="sep.names", most=12)
            problems.append(Message("infeasible.capacity", level=Message(f"level.{level}"), need=f"{need:,.0f}",
                                    seats=f"{seats:,.0f}", schools=names, short=f"{need - seats:,.0f}"))
    if problems:
        raise InfeasibleError([Message("infeasible.zoning", problems=p) for p in problems])


def evaluate(project: Project, state: State, *, name: str = "scenario", edits: tuple[Edit, ...] = (),
             assignment: str = "nearest", solver_seconds: float | None = 60.0) -> Result:
    """Assign every pupil of a layout and measure the result.

    Parameters
    ----------
    project
        The project (its travel-time matrix, pupils and policy).
    state
        The schools after the edits (:func:`planning.edits.apply_edits`).
    name, edits
        What the layout is (kept on the result, which describes itself).
    assignment
        ``"nearest"``: each (village, grade) to the nearest open school teaching it
        (capacity is reported, not enforced); ``"zoned"``: whole villages (per grade band)
        zoned by an exact MILP under seats and beds, minimising pupil travel time, over
        every school teaching the grades (:mod:`planning.zoning`); ``"split"``: the same
        as an LP, a village may divide. The result's ``solver.status`` is "Optimal" only
        when proven for that full model; else "Time limit reached" with its ``gap``.
    solver_seconds
        Time limit of the zoning solver (seconds); None for none.

    Raises
    ------
    InfeasibleError
        Zoning when a level's pupils exceed the seats of the schools teaching it (names
        the schools and the shortfall), or when the solver stops without any zoning (the
        time limit, or a solver failure; says what to do).
    """
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"`assignment` was {assignment!r} but is expected to be one of {list(ASSIGNMENTS)}")
    layout = build_layout(project, state)
    solver = None
    if assignment == "nearest":
        flows = flows_from_assignment(layout, assign_nearest(layout))
    else:
        _check_capacity(layout, state.schools)
        zoning = zone(layout, split=assignment == "split", seconds=solver_seconds)
        share = _with_unreachable(layout, zoning.share)
        flows = flows_from_assignment(layout, np.empty(0), share=share, respect_seats=True)
        solver = SolverReport(zoning.status, zoning.objective, zoning.gap, zoning.seconds, zoning.variables,
                              method="zoning_split" if assignment == "split" else "zoning",
                              bound=zoning.cost * (1 - zoning.gap))
    return _result(project, state, name, tuple(edits), assignment, layout, flows, solver)


def _with_unreachable(layout: Layout, share: np.ndarray) -> np.ndarray:
    """Add (village, grade) pairs the zoning could not place at all, with no school."""
    covered = np.zeros(layout.pupils.shape, dtype=bool)
    covered[share[:, 0].astype(int), share[:, 1].astype(int)] = True
    v, g = np.nonzero((layout.pupils > 0) & ~covered)
    extra = np.c_[v, g, np.full(len(v), -1), np.ones(len(v))]
    return np.r_[share, extra]


def _result(project: Project, state: State, name: str, edits: tuple[Edit, ...], assignment: str,
            layout: Layout, flows: pd.DataFrame, solver: SolverReport | None) -> Result:
    ids = state.schools.index.to_numpy()
    village_ids = project.villages.index.to_numpy(dtype=object)
    target = flows["target"].to_numpy()
    flows = flows.assign(  # object columns: pandas' Arrow strings cost more than they give here
        village_id=pd.Series(village_ids[flows["village"].to_numpy()], index=flows.index, dtype=object),
        school_id=pd.Series(np.where(target >= 0, ids.astype(object)[np.maximum(target, 0)], None),
                            index=flows.index, dtype=object),
        level=pd.Series(LEVEL_OF_GRADE[flows["grade"].to_numpy() - 1].astype(object), index=flows.index,
                        dtype=object),
    )
    schools = _schools(state, flows, project.policy)
    pupils_by_level = schools[["primary_pupils", "junior_pupils"]].set_axis(["primary", "junior"], axis=1)
    indicators = school_indicators(state.schools, pupils_by_level, project.policy)
    bal = balance(indicators, pupils_by_level, project.policy)
    staff = _staffing(project, state, schools)
    costs = cost_items(project, state, schools, flows, staff)
    summary = pd.concat([_summary(flows, schools, indicators, bal), pd.Series(staffing_figures(staff)),
                         pd.Series(cost_figures(costs, project.policy))])
    tables = MappingProxyType({"flows": flows, "schools": schools, "indicators": indicators, "balance": bal,
                               "staffing": staff, "costs": costs})
    return Result(name=name, assignment=assignment, project=project, edits=edits, state=state, solver=solver,
                  layout=layout, tables=tables, figures=summary)


def _staffing(project: Project, state: State, schools: pd.DataFrame) -> pd.DataFrame:
    """The staffing table of a layout; a school opened at a site starts without teachers."""
    is_site = state.schools["is_site"].reindex(schools.index).fillna(False).to_numpy(dtype=bool)
    after = state.schools["teachers"].reindex(schools.index)
    after = after.where(~(is_site & after.isna().to_numpy()), 0.0)
    today = project.schools["teachers"].reindex(schools.index).where(~is_site, 0.0)
    return staffing(schools, after, today, project.policy)


def _villages(project: Project, flows: pd.DataFrame) -> pd.DataFrame:
    """Per (village, level), with integer keys and bincount: this runs on every edit."""
    n_v = len(project.villages)
    key = flows["village"].to_numpy() * 2 + (flows["grade"].to_numpy() > 6)
    pupils = flows["pupils"].to_numpy()
    mode = flows["mode"].cat.codes.to_numpy()
    size = 2 * n_v
    total = np.bincount(key, weights=pupils, minlength=size)
    by_mode = np.bincount(key * 4 + mode, weights=pupils, minlength=size * 4).reshape(size, 4)
    worst = np.full(size, -1)
    np.maximum.at(worst, key, mode)
    order = np.lexsort((-flows["grade"].to_numpy(), -pupils, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    keys = key[first]
    target = flows["target"].to_numpy()
    ids = np.asarray(flows["school_id"].to_numpy(), dtype=object)
    n_t = len(project.targets) + 1
    pair_key = np.unique(key * n_t + (target + 1))
    pairs = np.c_[pair_key // n_t, pair_key % n_t - 1]
    multi = np.bincount(pairs[:, 0], minlength=size) > 1
    schools_used = ids[first].astype(object)
    if multi.any():  # a teaching point beside a complete school, or a split village
        target_ids = np.r_[project.targets.index.to_numpy(dtype=object), np.array(["none"], dtype=object)]  # -1 → none
        many = pairs[multi[pairs[:, 0]]]
        joined = pd.Series(target_ids[many[:, 1]]).groupby(many[:, 0]).agg(" · ".join)
        hit = multi[keys]
        schools_used[hit] = joined.reindex(keys[hit]).to_numpy()
    village_ids = project.villages.index.to_numpy(dtype=object)[keys // 2]
    level = np.where(keys % 2 == 1, "junior", "primary").astype(object)
    out = pd.DataFrame({
        "name": project.villages["name"].to_numpy(dtype=object)[keys // 2],
        "pupils": total[keys],
        "school": ids[first],
        "schools": schools_used,
        "mode": pd.Categorical.from_codes(worst[keys].astype(np.int64), categories=pd.Index(MODES)),
        "main_mode": pd.Categorical.from_codes(mode[first].astype(np.int64), categories=pd.Index(MODES)),
        "minutes": flows["minutes"].to_numpy()[first],
        "walk_minutes": flows["walk_minutes"].to_numpy()[first],
        "road_walk_minutes": flows["road_walk_minutes"].to_numpy()[first],
        "ride_minutes": flows["ride_minutes"].to_numpy()[first],
        **{m: by_mode[keys, i] for i, m in enumerate(MODES)},
    }, index=pd.MultiIndex.from_arrays([pd.Index(village_ids, dtype=object), pd.Index(level, dtype=object)],
                                       names=["village_id", "level"]))
    return out.iloc[np.argsort(keys, kind="stable")]


def _schools(state: State, flows: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    shown_mask = (state.schools["status"] != "candidate").to_numpy()
    n_t = len(state.schools)
    at = (flows["target"].to_numpy() >= 0) & (flows["mode"].to_numpy() != "unserved")
    t = flows["target"].to_numpy()[at]
    g = flows["grade"].to_numpy()[at] - 1
    p = flows["pupils"].to_numpy()[at]
    mode = flows["mode"].cat.codes.to_numpy()[at]
    by_grade = np.bincount(t * 9 + g, weights=p, minlength=n_t * 9).reshape(n_t, 9)[shown_mask]
    by_mode = np.bincount(t * 4 + mode, weights=p, minlength=n_t * 4).reshape(n_t, 4)[shown_mask]
    walk = mode == WALK
    walk_minutes = flows["walk_minutes"].to_numpy()[at][walk]
    walk_sum = np.bincount(t[walk], weights=p[walk] * walk_minutes, minlength=n_t)[shown_mask]
    shown = state.schools[shown_mask]
    primary, junior = by_grade[:, :6].sum(axis=1), by_grade[:, 6:].sum(axis=1)
    pupils = primary + junior
    capacity = shown["capacity"].to_numpy(dtype=float)
    classrooms = shown["classrooms"].to_numpy(dtype=float)
    size = np.array([policy.class_size[LEVEL_OF_GRADE[i]] for i in range(9)])
    classes = np.ceil(by_grade / size - 1e-9).sum(axis=1)
    seats_short = np.clip(pupils - capacity, 0, None)
    types = shown["type"].to_numpy()
    largest = np.where(types == "nine_year", policy.nine_year_school_size,
                       np.where(primary >= junior, policy.school_size["primary"], policy.school_size["junior"]))
    with np.errstate(invalid="ignore", divide="ignore"):
        data = {
            "name": shown["name"], "type": shown["type"], "status": shown["status"], "open": shown["open"],
            "grades": shown["grades"], "capacity": capacity, "classrooms": classrooms, "beds": shown["beds"],
            **{f"grade_{i + 1}": by_grade[:, i] for i in range(9)},
            "primary_pupils": primary, "junior_pupils": junior, "pupils": pupils,
            "load": pupils / capacity, "seats_short": seats_short, "over_capacity": seats_short > 0.5,
            "classes_needed": classes, "classroom_shortfall": np.clip(classes - classrooms, 0, None),
            "walkers": by_mode[:, WALK], "bus_riders": by_mode[:, BUS], "boarders": by_mode[:, BOARD],
            "mean_walk": np.where(by_mode[:, WALK] > 0, walk_sum / by_mode[:, WALK], np.nan),
            "oversized": pupils > largest,
        }
    out = pd.DataFrame(data, index=shown.index)
    out.index.name = "school_id"
    return out


def _summary(flows: pd.DataFrame, schools: pd.DataFrame, indicators: pd.DataFrame, bal: pd.DataFrame) -> pd.Series:
    open_ = schools[schools["open"].to_numpy(dtype=bool)]
    trips = _trip_figures(flows)
    data = {
        "schools_open": len(open_),
        **{k: v for k, v in trips.items() if k != "pupil_minutes"},
        "schools_over_capacity": int(open_["over_capacity"].sum()),
        "seats_short": open_["seats_short"].sum(),
        "classroom_shortfall": open_["classroom_shortfall"].sum(),
        "oversized_schools": int(open_["oversized"].sum()),
        "schools_below_standard": int((indicators["meets_standard"] == False).sum()),  # noqa: E712 - NaN stays out
        "schools_undetermined": int((indicators["verdict"] == "undetermined").sum()),
    }
    for level in LEVELS:
        of_level = bal.xs(level, level="level")
        cvs = of_level["cv"].astype(float)
        data[f"{level}_max_cv"] = float(cvs.max()) if cvs.notna().any() else np.nan
        data[f"{level}_cv_over_limit"] = int((of_level["ok"] == False).sum())  # noqa: E712 - NaN stays out
    data["pupil_minutes"] = trips["pupil_minutes"]
    return pd.Series(data, dtype=float)


def _trip_figures(flows: pd.DataFrame) -> dict[str, float]:
    """The figures of :data:`TRIP_FIGURES` over some flows (all, or one level's)."""
    mode = flows["mode"].cat.codes.to_numpy()
    pupils = flows["pupils"].to_numpy()
    minutes = flows["walk_minutes"].to_numpy()
    by_mode = np.bincount(mode, weights=pupils, minlength=4)
    walk = mode == WALK
    walk_pupils = by_mode[WALK]
    return {
        "pupils": float(pupils.sum()),
        "walkers": walk_pupils,
        "bus_riders": by_mode[BUS],
        "boarders": by_mode[BOARD],
        "unserved": by_mode[UNSERVED],
        "pupils_beyond_limit": by_mode[BOARD] + by_mode[UNSERVED],  # bus riders' walks are within the limit
        "mean_walk": float((minutes[walk] * pupils[walk]).sum() / walk_pupils) if walk_pupils > 0 else np.nan,
        "max_walk": float(minutes[walk].max()) if walk.any() else np.nan,
        "pupil_minutes": float((minutes[walk] * pupils[walk]).sum()),
    }


def level_summary(result: Result, level: str) -> pd.Series:
    """The headline figures of one level (``"primary"`` or ``"junior"``): the open schools
    teaching it (``schools_open``) and its pupils and their trips (:data:`TRIP_FIGURES`).
    Use it wherever a figure is shown under one level's title; :attr:`Result.summary`
    counts both levels."""
    if level not in LEVELS:
        raise ValueError(f"`level` was {level!r} but is expected to be one of {list(LEVELS)}")
    flows = result.tables["flows"]
    schools = result.tables["schools"]
    grades = set(LEVEL_GRADES[level])
    teaching = schools["open"].to_numpy(dtype=bool) & schools["grades"].map(lambda gs: bool(set(gs) & grades)).to_numpy()
    figures = {"schools_open": float(teaching.sum()), **_trip_figures(flows[flows["level"].to_numpy() == level])}
    return pd.Series(figures, dtype=float)


def _notes(flows: pd.DataFrame, schools: pd.DataFrame, project: Project, *, most: int = 25) -> list[Message]:
    """Notes on pupils left unserved, full schools and missing classrooms.

    At most ``most`` notes on unserved villages and on schools; the rest are counted (every
    village is in ``Result.villages``, every school in ``Result.schools``).
    """
    notes = _unserved_notes(flows, project, most=most)
    open_ = schools[schools["open"].to_numpy(dtype=bool)]
    full = open_[open_["over_capacity"].to_numpy(dtype=bool)]
    for sid, row in full.head(most).iterrows():
        notes.append(Message("note.over_capacity", school=f"{sid} {row['name']}", pupils=f"{row['pupils']:.0f}",
                             capacity=f"{row['capacity']:.0f}", short=f"{row['seats_short']:.0f}"))
    short = open_[open_["classroom_shortfall"].to_numpy() > 0]
    for sid, row in short.head(most).iterrows():
        notes.append(Message("note.classrooms", school=f"{sid} {row['name']}",
                             classes=f"{row['classes_needed']:.0f}", classrooms=f"{row['classrooms']:.0f}"))
    if max(len(full), len(short)) > most:
        notes.append(Message("note.more_schools", full=len(full), short=len(short)))
    return notes


def _unserved_notes(flows: pd.DataFrame, project: Project, *, most: int) -> list[Message]:
    """Who is unserved and why: no school teaching their grade in reach, or too far with no
    bus and no bed (too young to board, or no free bed)."""
    notes = []
    names = project.villages["name"].to_numpy()
    unserved = flows[flows["mode"].cat.codes.to_numpy() == UNSERVED]
    no_school = unserved["target"].to_numpy() < 0
    if no_school.any():
        villages = Listing(names[np.unique(unserved["village"].to_numpy()[no_school])], sep="sep.names", most=10)
        notes.append(Message("note.no_school", pupils=f"{unserved['pupils'].to_numpy()[no_school].sum():.0f}",
                             villages=villages))
    far = unserved[~no_school]
    listed = pd.unique(far["village"].to_numpy())
    far = far[far["village"].isin(listed[:most])]
    summary = far.groupby(["village", "target"], sort=False).agg(
        pupils=("pupils", "sum"), low=("grade", "min"), high=("grade", "max"), walk=("walk_minutes", "first"))
    min_board = project.policy.boarding_min_grade
    for (v, target), row in summary.head(most).iterrows():
        school = project.targets.index[target]
        low, high = int(row["low"]), int(row["high"])
        why = (Message("note.why_too_young", grade=min_board) if low < min_board
               else Message("note.why_no_beds", school=school))
        notes.append(Message("note.far", village=names[v], pupils=f"{row['pupils']:.0f}",
                             grades=f"{low}–{high}" if high > low else str(low), walk=f"{row['walk']:.0f}",
                             school=school, why=why))
    if len(listed) > most:
        notes.append(Message("note.more_villages", n=len(listed) - most))
    return notes


#: The trip figures :func:`compare` repeats per level (rows ``primary_<figure>``, ``junior_<figure>``).
COMPARED_PER_LEVEL = ("pupils_beyond_limit", "unserved", "boarders", "bus_riders", "mean_walk")


def compare(*results: Result) -> pd.DataFrame:
    """Side-by-side summary of results: one column per result, one row per figure (numbers):
    the whole summary (both levels), then :data:`COMPARED_PER_LEVEL` for each level, in rows
    named ``primary_<figure>`` and ``junior_<figure>``.

    Columns are the results' names (with the assignment, or a number, where names repeat).
    """
    if not results:
        raise ValueError("give at least one Result to compare")
    names = [r.name for r in results]
    if len(set(names)) != len(names):
        names = [f"{r.name} ({r.assignment})" for r in results]
    if len(set(names)) != len(names):
        names = [f"{name} #{i + 1}" for i, name in enumerate(names)]
    columns = []
    for r in results:
        per_level = [level_summary(r, level)[list(COMPARED_PER_LEVEL)].add_prefix(f"{level}_") for level in LEVELS]
        columns.append(pd.concat([r.summary, *per_level]))
    return pd.concat(columns, axis=1, keys=names)


__all__ = ["Result", "SolverReport", "SUMMARY", "TRIP_FIGURES", "level_summary", "evaluate", "build_layout", "compare", "today_schools",
           "ASSIGNMENTS"]
