"""What a layout costs: one-off and yearly costs, savings, and their present value.

Every figure is in yuan and comes from the layout's own tables and the policy's cost settings
(``policy.cost_*``, each with its source or marked as assumed: :meth:`Policy.sources`).

One-off (capital)
    ``classrooms_built``  classrooms a plan adds (Expand) and, with ``cost_classroom_short:
    build``, those it still lacks at open schools: floor per classroom of the school's main
    level × building cost per m².
    ``beds_built``        beds a plan adds: floor per bed × building cost per m².
    ``school_opened``     a school opened at a site: the site's 投资估算, or seats × ``cost_new_seat``.
    ``buses_bought``      school buses: ⌈riders / seats⌉ per school a bus serves × price.
    ``renovation_avoided`` (a saving, negative) a school closed or merged that carries
    dilapidated buildings (危房面积 m²): the renovation it no longer needs.
Yearly
    ``classrooms_rented`` with ``cost_classroom_short: rent``, classrooms short × rent.
    ``buses_run``         drivers, and the km of two round trips a school day on the longest ride.
    ``boarding_subsidy``  boarders × the share from families in difficulty × the subsidy of their level.
    ``teachers``          the teachers the school needs (:mod:`planning.staffing`) × the cost of a teacher.
    ``schools_run``       each open school: fixed + its pupils (at least ``small_school_pupils``)
    × the funding per pupil of their level.

Over ``horizon`` years at ``discount`` a year, the present value is one-off + yearly × Σ_{t=1..H}
(1 + r)^−t (a bus is bought again when its life ends within the horizon). Today's layout has
only yearly costs; a plan's change is an explicit comparison (``planning.compare``).

    >>> import planning
    >>> project = planning.demo()
    >>> today = cost_sheet(planning.baseline(project))
    >>> bool(today.loc[today["item"] == "total", "one_off_yuan"].iloc[0] == 0)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from .policy import Policy

if TYPE_CHECKING:
    from .edits import State
    from .project import Project


class _Evaluated(Protocol):
    """What :func:`cost_sheet` reads of a :class:`planning.evaluate.Result` (which imports
    this module, so it is named by what it has)."""

    @property
    def project(self) -> Project: ...

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]: ...

#: The items of a cost sheet, in its order.
ITEMS = ("classrooms_built", "beds_built", "school_opened", "buses_bought", "renovation_avoided",
         "classrooms_rented", "buses_run", "boarding_subsidy", "teachers", "schools_run")

#: The cost figures of :attr:`planning.evaluate.Result.summary`.
COST_FIGURES = ("one_off_yuan", "yearly_yuan", "cost_npv_yuan")

#: Adds the rows of one item: (item, which schools, quantity, unit, one_off=, yearly=).
_Add = Callable[..., None]

_COLUMNS = ["item", "school_id", "name", "quantity", "unit", "one_off_yuan", "yearly_yuan"]


def cost_items(project: Project, state: State, schools: pd.DataFrame, flows: pd.DataFrame,
               staffing: pd.DataFrame) -> pd.DataFrame:
    """The cost sheet's rows, one per item and school where it applies (no total; see
    :func:`cost_sheet`). ``schools``, ``flows`` and ``staffing`` are the layout's tables."""
    policy = project.policy
    today = project.schools
    table = state.schools.loc[schools.index]
    main_level = np.where(schools["junior_pupils"] > schools["primary_pupils"], "junior", "primary")
    classroom = np.array([policy.cost_classroom_m2[lv] for lv in main_level]) * policy.cost_build_per_m2
    existed = schools.index.isin(today.index)
    before = today.reindex(schools.index)
    open_ = schools["open"].to_numpy(dtype=bool)
    ids, names = schools.index.to_numpy(dtype=object), schools["name"].to_numpy(dtype=object)
    pieces: list[pd.DataFrame] = []

    def add(item: str, mask: np.ndarray, quantity: np.ndarray, unit: str, *, one_off: np.ndarray | float = 0.0,
            yearly: np.ndarray | float = 0.0) -> None:
        """The item's rows at the schools of ``mask``, as one block (evaluated on every edit: no row loop)."""
        at = np.nonzero(mask)[0]
        if len(at):
            pieces.append(pd.DataFrame({
                "item": item, "school_id": ids[at], "name": names[at],
                "quantity": np.asarray(quantity, dtype=float)[at], "unit": unit,
                "one_off_yuan": np.broadcast_to(np.asarray(one_off, dtype=float), mask.shape)[at],
                "yearly_yuan": np.broadcast_to(np.asarray(yearly, dtype=float), mask.shape)[at]}))

    added_rooms = np.where(existed, np.clip(table["classrooms"].to_numpy(dtype=float)
                                            - before["classrooms"].to_numpy(dtype=float), 0, None), 0.0)
    short = np.where(open_, schools["classroom_shortfall"].to_numpy(dtype=float), 0.0)
    built = np.nan_to_num(added_rooms) + (short if policy.cost_classroom_short == "build" else 0.0)
    add("classrooms_built", built > 0, built, "classrooms", one_off=built * classroom)
    added_beds = np.where(existed, np.clip(np.nan_to_num(table["beds"].to_numpy(dtype=float))
                                           - np.nan_to_num(before["beds"].to_numpy(dtype=float)), 0, None), 0.0)
    add("beds_built", added_beds > 0, added_beds, "beds",
        one_off=added_beds * policy.cost_bed_m2 * policy.cost_build_per_m2)
    opened = table["is_site"].to_numpy(dtype=bool) & open_
    seats = np.nan_to_num(table["capacity"].to_numpy(dtype=float))
    given = project.sites["cost"].reindex(schools.index).to_numpy(dtype=float) if "cost" in project.sites \
        else np.full(len(schools), np.nan)
    add("school_opened", opened, seats, "seats", one_off=np.where(np.isnan(given), seats * policy.cost_new_seat, given))
    _bus_rows(add, schools, flows, policy)
    dilapidated = np.nan_to_num(table["dilapidated_m2"].to_numpy(dtype=float)) if "dilapidated_m2" in table \
        else np.zeros(len(schools))
    gone = existed & ~open_ & (schools["status"].isin(["closed", "merged"])).to_numpy() & (dilapidated > 0)
    add("renovation_avoided", gone, dilapidated, "m2", one_off=-dilapidated * policy.cost_renovation_per_m2)
    rented = short if policy.cost_classroom_short == "rent" else np.zeros(len(schools))
    add("classrooms_rented", rented > 0, rented, "classrooms", yearly=rented * policy.cost_classroom_rent)
    _yearly_rows(add, schools, flows, staffing, policy, open_)
    frame = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=_COLUMNS)
    order = {item: k for k, item in enumerate(ITEMS)}
    return frame.sort_values(["item", "school_id"], key=lambda c: c.map(order) if c.name == "item" else c,
                             ignore_index=True)


def _bus_rows(add: _Add, schools: pd.DataFrame, flows: pd.DataFrame, policy: Policy) -> None:
    """Buses per school a bus serves: ⌈riders / seats⌉ bought; drivers and km run."""
    bus = flows[flows["mode"] == "bus"]
    if bus.empty:
        return
    riders = bus.groupby("school_id")["pupils"].sum().reindex(schools.index, fill_value=0.0).to_numpy()
    ride = bus.groupby("school_id")["ride_minutes"].max().reindex(schools.index).to_numpy(dtype=float)
    vehicles = np.ceil(riders / policy.cost_bus_seats - 1e-9)
    has = vehicles > 0
    km = np.nan_to_num(ride) / 60.0 * policy.bus_speed_kmh * 4 * policy.cost_school_days  # two round trips a day
    add("buses_bought", has, vehicles, "buses", one_off=vehicles * policy.cost_bus)
    add("buses_run", has, vehicles, "buses", yearly=vehicles * (policy.cost_bus_driver + km * policy.cost_bus_per_km))


def _yearly_rows(add: _Add, schools: pd.DataFrame, flows: pd.DataFrame, staffing: pd.DataFrame,
                 policy: Policy, open_: np.ndarray) -> None:
    """Boarding subsidies, teachers and running the open schools."""
    board = flows[flows["mode"] == "board"].groupby(["school_id", "level"])["pupils"].sum().unstack()
    board = board.reindex(index=schools.index, columns=["primary", "junior"]).fillna(0.0)
    share = policy.cost_boarding_needy_share
    subsidised = board.to_numpy() * share
    subsidy = subsidised @ np.array([policy.cost_boarding_subsidy["primary"], policy.cost_boarding_subsidy["junior"]])
    boarders = board.to_numpy().sum(axis=1)  # the quantity: all boarders (the subsidy goes to the share)
    add("boarding_subsidy", (boarders > 0) & (subsidy > 0), boarders, "boarders", yearly=subsidy)
    needed = staffing["teachers_needed"].reindex(schools.index).to_numpy(dtype=float)
    add("teachers", open_ & (needed > 0), needed, "teachers", yearly=needed * policy.cost_teacher)
    primary, junior = schools["primary_pupils"].to_numpy(dtype=float), schools["junior_pupils"].to_numpy(dtype=float)
    pupils = primary + junior
    funding = primary * policy.cost_per_pupil["primary"] + junior * policy.cost_per_pupil["junior"]
    floor = float(policy.small_school_pupils)  # a small school is funded as if it had this many pupils
    funding = np.where(pupils >= floor, funding,
                       np.where(pupils > 0, funding * floor / np.maximum(pupils, 1e-9),
                                floor * policy.cost_per_pupil["primary"]))
    add("schools_run", open_, pupils, "pupils", yearly=policy.cost_school_fixed + funding)


def annuity(*, horizon: int, discount: float) -> float:
    """Σ_{t=1..horizon} (1 + discount)^−t: what 1 yuan a year for ``horizon`` years is worth today.

    >>> round(annuity(horizon=10, discount=0.08), 4)
    6.7101
    """
    return float(sum((1 + discount) ** -t for t in range(1, horizon + 1)))


def present_value(one_off: float, yearly: float, *, horizon: int, discount: float, buses: float = 0.0,
                  policy: Policy | None = None) -> float:
    """One-off + yearly × Σ_{t=1..horizon} (1 + discount)^−t, plus buses bought again at the
    end of their life within the horizon (yuan).

    >>> round(present_value(100.0, 10.0, horizon=2, discount=0.0))
    120
    """
    value = one_off + yearly * annuity(horizon=horizon, discount=discount)
    if buses and policy is not None:
        life = policy.cost_bus_life
        value += sum(buses * (1 + discount) ** -t for t in range(life, horizon, life))
    return float(value)


def cost_figures(items: pd.DataFrame, policy: Policy, *, horizon: int | None = None,
                 discount: float | None = None) -> dict[str, float]:
    """The totals of :data:`COST_FIGURES` over ``horizon`` years at ``discount`` (the policy's
    ``cost_horizon`` and ``cost_discount_rate`` when None)."""
    one_off, yearly = float(items["one_off_yuan"].sum()), float(items["yearly_yuan"].sum())
    buses = float(items.loc[items["item"] == "buses_bought", "one_off_yuan"].sum())
    return {"one_off_yuan": one_off, "yearly_yuan": yearly,
            "cost_npv_yuan": present_value(one_off, yearly, horizon=_horizon(policy, horizon),
                                           discount=_discount(policy, discount), buses=buses, policy=policy)}


def _horizon(policy: Policy, horizon: int | None) -> int:
    return policy.cost_horizon if horizon is None else int(horizon)


def _discount(policy: Policy, discount: float | None) -> float:
    return policy.cost_discount_rate if discount is None else float(discount)


def cost_sheet(result: _Evaluated, *, horizon: int | None = None, discount: float | None = None) -> pd.DataFrame:
    """A layout's cost sheet: one row per item (per school where it applies) with
    ``one_off_yuan`` and ``yearly_yuan`` (and ``quantity``, ``unit``), then a ``total`` row
    whose ``npv_yuan`` is the present value over ``horizon`` years at ``discount`` (the
    policy's ``cost_horizon`` and ``cost_discount_rate`` when None)."""
    policy = result.project.policy
    items = result.tables["costs"].copy()
    totals = cost_figures(items, policy, horizon=horizon, discount=discount)
    items["npv_yuan"] = [present_value(o, y, horizon=_horizon(policy, horizon), discount=_discount(policy, discount))
                         for o, y in zip(items["one_off_yuan"], items["yearly_yuan"], strict=True)]
    total = {"item": "total", "school_id": None, "name": None, "quantity": math.nan, "unit": None,
             "one_off_yuan": totals["one_off_yuan"], "yearly_yuan": totals["yearly_yuan"],
             "npv_yuan": totals["cost_npv_yuan"]}
    return pd.concat([items, pd.DataFrame([total])], ignore_index=True)


__all__ = ["COST_FIGURES", "ITEMS", "annuity", "cost_figures", "cost_items", "cost_sheet", "present_value"]
