"""What the browser app does, without streamlit: edit actions, headline figures, labels.

``streamlit_app.py`` only wires widgets to these functions, so they are tested in plain
Python and the app stays thin.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import InfeasibleError, PlanningError
from .evaluate import Result, level_summary
from .forecast import Forecast, Table, forecast
from .i18n import field, level_name, localise, plan_name, school_type, t
from .indicators import balance_rules
from .load import demo_births, demo_history, is_demo
from .policy import Policy
from .project import Project
from .scenario import Scenario, comparable_baseline, evaluate_or_nearest, today
from .timeline import Timeline

#: Seconds the app lets each solve run, one setting for all of them: zoning today's layout,
#: the plan on the map and the saved plans, and the optimiser's suggestion (each reports the
#: gap it reached).
SOLVER_SECONDS = 20.0

#: Edit actions offered in the app (labelled ``app.action.<key>`` in the text catalogue).
ACTIONS = ("close", "merge", "expand", "teaching_point", "add_beds", "add_bus", "open_site")

#: Headline figures above the map: summary key → lower is better (labels ``app.headline.<key>``).
HEADLINES: dict[str, bool] = {"schools_open": False, "pupils_beyond_limit": True, "unserved": True,
                              "boarders": True, "bus_riders": True, "mean_walk": True}

#: Forecast variants offered in the app (labelled ``forecast.variant.<key>``).
VARIANTS = ("low", "medium", "high")

#: Figures of the over-the-years table, per year (labels ``field.<key>``; whole township).
YEAR_COLUMNS = ("pupils", "schools_open", "pupils_beyond_limit", "boarders", "oversized_classes", "large_classes",
                "super_large_classes", "small_schools")


@dataclass(frozen=True)
class PlanView:
    """What the app shows: today's layout to compare against, the plan on the map, and why
    either is not evaluated as asked (today's or the plan's zoning infeasible)."""

    baseline: Result
    result: Result
    today_infeasible: InfeasibleError | None = None
    plan_infeasible: InfeasibleError | None = None

    def notes(self, lang: str) -> list[str]:
        """Sentences saying what was evaluated otherwise, and why."""
        notes = []
        if self.today_infeasible is not None:
            notes.append(t("app.today_not_zoned", lang, reason=self.today_infeasible.text(lang)))
        if self.plan_infeasible is not None:
            notes.append(t("app.plan_not_zoned", lang, reason=self.plan_infeasible.text(lang)))
        return notes


def evaluate_plan(project: Project, scenario: Scenario, assignment: str) -> PlanView:
    """Today's layout and the plan, evaluated with ``assignment`` where it can be.

    Where today's schools lack the seats to zone every village, today is evaluated by
    nearest school (the plan is still zoned: a plan that adds seats can be); where the
    plan itself cannot be zoned, it is shown by nearest school too. The notes say so.
    """
    baseline, today_infeasible = comparable_baseline(project, assignment, solver_seconds=SOLVER_SECONDS)
    if not scenario.edits and today_infeasible is None:
        return PlanView(baseline, baseline)
    result, plan_infeasible = evaluate_or_nearest(scenario, assignment, solver_seconds=SOLVER_SECONDS)
    return PlanView(baseline, result, today_infeasible, plan_infeasible)


def app_forecast(project: Project, *, variant: str = "medium", history: Table | None = None,
                 births: Table | None = None) -> Forecast | None:
    """The forecast the app shows for ``project`` (ten years after the base year): from the
    enrolment ``history`` (and ``births``) the planner uploaded, or for the demo from its
    synthetic history and births; None without a history (validation errors propagate)."""
    if history is None and is_demo(project):
        history, births = demo_history(), demo_births()
    if history is None:
        return None
    return forecast(project, history, births=births, variant=variant)


def years_or_nearest(scenario: Scenario, fc: Forecast, assignment: str, *, years: Iterable[int] | None = None
                     ) -> tuple[Timeline, InfeasibleError | None]:
    """A plan evaluated year by year with ``assignment``, or by nearest school where some
    year cannot be zoned, with the reason (as :func:`planning.scenario.evaluate_or_nearest`)."""
    try:
        return scenario.evaluate_years(fc, assignment=assignment, years=years, solver_seconds=SOLVER_SECONDS), None
    except InfeasibleError as exc:
        return scenario.evaluate_years(fc, assignment="nearest", years=years), exc


def evaluate_plan_in_year(scenario: Scenario, assignment: str, fc: Forecast, year: int) -> PlanView:
    """Today's layout and the plan with the pupils ``fc`` forecasts for ``year`` (the plan's
    edits in effect that year): what the map and the headline figures show for a year after
    the base year. Falls back to nearest school as :func:`evaluate_plan` does."""
    before, today_infeasible = years_or_nearest(today(scenario.project), fc, assignment, years=[year])
    baseline = before.results[year]
    if not scenario.edits and today_infeasible is None:
        return PlanView(baseline, baseline)
    after, plan_infeasible = years_or_nearest(scenario, fc, assignment, years=[year])
    return PlanView(baseline, after.results[year], today_infeasible, plan_infeasible)


def year_table(timeline: Timeline, lang: str = "zh") -> pd.DataFrame:
    """Year × :data:`YEAR_COLUMNS` (pupils, open schools, pupils beyond the walk limit,
    boarders, classes above the class size, large and very large classes, small-scale
    schools; both levels), worded in ``lang``, counts as whole numbers."""
    table = timeline.summary[list(YEAR_COLUMNS)].round(0).astype(int)
    return localise(table, lang)


def school_pupils(timeline: Timeline) -> pd.DataFrame:
    """Year × school ("S01 name"): the pupils of each school open in some year (for the chart)."""
    schools = timeline.schools
    pupils = schools["pupils"].where(schools["open"].to_numpy(dtype=bool)).unstack("school_id")
    names = schools["name"].groupby(level="school_id").first()
    pupils = pupils.dropna(axis=1, how="all").round(0)
    pupils.columns = [f"{sid} {names[sid]}" for sid in pupils.columns]
    pupils.index = pupils.index.astype(str)  # years as labels, not 2,025
    return pupils


def pupil_band(forecasts: Mapping[str, Forecast], lang: str = "zh") -> pd.DataFrame:
    """Year × variant (worded in ``lang``): the township's total pupils (all grades) in each
    forecast variant, the low–high band around the medium forecast."""
    totals = {t(f"forecast.variant.{v}", lang): fc.pupils.groupby(level="year").sum().sum(axis=1).round(0)
              for v, fc in forecasts.items()}
    band = pd.DataFrame(totals)
    band.index = band.index.astype(str)
    band.index.name = field("year", lang)
    return band


def small_from_table(timeline: Timeline, lang: str = "zh") -> pd.DataFrame:
    """Each school open in the base year: its pupils then and the first year it has fewer
    pupils than a small-scale school (``policy.small_school_pupils``), or words saying not
    within the horizon."""
    first = timeline.small_from()
    base = timeline.schools.xs(timeline.years[0], level="year")
    base = base[base["open"].to_numpy(dtype=bool)]
    table = pd.DataFrame({"name": base["name"], "pupils": base["pupils"].round(0).astype(int),
                          "small_from": [_small_year(first.get(sid), timeline.years[0], lang) for sid in base.index]}, index=base.index)
    table.index.name = "school_id"
    return localise(table, lang)


def _small_year(year: float | None, base: int, lang: str) -> str:
    if year is None or pd.isna(year):
        return t("app.years.never", lang)
    return t("app.year_today", lang, year=int(year)) if int(year) == base else str(int(year))


def assumptions_table(fc: Forecast, lang: str = "zh") -> pd.DataFrame:
    """What the forecast assumes (setting, value, source), with headers in ``lang``."""
    return localise(fc.assumptions, lang)


def backtest_table(fc: Forecast, lang: str = "zh") -> pd.DataFrame | None:
    """The forecast's backtest (mean absolute percentage error by years ahead, per village
    and for the township, in %), worded in ``lang``; None without one."""
    if fc.backtest is None:
        return None
    table = fc.backtest.round(1)
    return localise(table, lang)


def drawable_basemap(basemap: str, tianditu_key: str | None) -> str:
    """The basemap the app draws: the one chosen, except Tianditu before its key is typed,
    which draws none (the roads only, as offline) instead of stopping the map with an error."""
    return "none" if basemap == "tianditu" and not tianditu_key else basemap


def action_label(action: str, lang: str) -> str:
    """An edit action's label in ``lang``."""
    return t(f"app.action.{action}", lang)


def apply_action(scenario: Scenario, action: str, school: str, **params: Any) -> Scenario:
    """The scenario after one edit chosen in the app (validation errors propagate);
    ``year`` (None: from the start) is the school year the edit takes effect from."""
    year = params.get("year")
    if action == "close":
        return scenario.close(school, year=year)
    if action == "merge":
        return scenario.merge(school, into=params["into"], add_grades=bool(params.get("add_grades", False)), year=year)
    if action == "expand":
        return scenario.expand(school, capacity=params.get("capacity", 0), classrooms=params.get("classrooms", 0),
                               beds=params.get("beds", 0), year=year)
    if action == "teaching_point":
        return scenario.teaching_point(school, grades=params.get("grades", (1, 2, 3)), year=year)
    if action == "add_beds":
        return scenario.add_beds(school, params["beds"], year=year)
    if action == "add_bus":
        return scenario.add_bus(school, villages=params["villages"], max_ride=params.get("max_ride", 40), year=year)
    if action == "open_site":
        return scenario.open_site(school, capacity=params.get("capacity"), classrooms=params.get("classrooms"),
                                  beds=params.get("beds"), year=year)
    raise ValueError(f"`action` was {action!r} but is expected to be one of {list(ACTIONS)}")


def school_after(action: str, school: str, **params: Any) -> str:
    """The school the app's picker stays on after an edit: the merge target, or the school
    (or site) edited; never another school that a second Apply would change unasked."""
    return str(params["into"]) if action == "merge" else school


def plans_side_by_side(baseline: Result, result: Result, current: Scenario, saved: Iterable[Scenario], *,
                       assignment: str, lang: str) -> list[Result]:
    """Today, the plan on the map (``current``, evaluated as ``result``) and the ``saved`` plans
    that differ from it; a plan that cannot be zoned is evaluated by nearest school (its
    ``assignment`` says so: :func:`fallback_notes`). Reads no session state: exports call it
    when clicked."""
    others = [evaluate_or_nearest(plan, assignment, solver_seconds=SOLVER_SECONDS)[0] for plan in saved
              if plan.edits != current.edits]
    if any(r.name == result.name for r in others):  # the plan on the map, changed since it was saved
        renamed = current.renamed(t("current", lang, name=result.name))
        result = evaluate_or_nearest(renamed, result.assignment, solver_seconds=SOLVER_SECONDS)[0]
    return [baseline, result, *others]


class Download:
    """A file that an app's download button makes when it is clicked, and what went wrong.

    The click's callback makes the file (:meth:`make`, run by Streamlit before the script
    run that the click starts), so that run knows of a failure and shows :attr:`error`;
    the browser's request for the file (:meth:`collect`, on another thread) waits for it.
    Made in the browser's own request instead, a failure only reached the server log and
    nothing downloaded.
    """

    def __init__(self) -> None:
        self._made: queue.Queue[bytes | Exception] = queue.Queue()
        #: Why the last click made no file, in the planner's language (None when it did).
        self.error: str | None = None

    def make(self, build: Callable[[], bytes], *, what: str, lang: str) -> None:
        """Make the file (``build``) for the request that follows the click; ``what`` names it."""
        while not self._made.empty():  # a file made earlier that no request took
            self._made.get_nowait()
        try:
            data = build()
        except Exception as exc:  # noqa: BLE001 - any failure is told to the planner, not only ours
            logging.getLogger(__name__).exception("export %r failed", what)
            reason = exc.text(lang) if isinstance(exc, PlanningError) else t(
                "app.export_unexpected", lang, error=f"{type(exc).__name__}: {exc}")
            self.error = t("app.export_failed", lang, what=what, reason=reason)
            self._made.put(exc)
        else:
            self.error = None
            self._made.put(data)

    def collect(self, timeout: float = 300.0) -> bytes:
        """The file made for the last click (waits up to ``timeout`` seconds for it); raises
        what made it fail, so that the browser downloads nothing."""
        made = self._made.get(timeout=timeout)
        if isinstance(made, Exception):
            raise made
        return made


def fallback_notes(results: Iterable[Result], assignment: str, lang: str) -> list[str]:
    """A sentence for each plan evaluated by nearest school where ``assignment`` was asked."""
    return [t("app.plan_fell_back", lang, name=plan_name(r.name, lang)) for r in results
            if r.assignment != assignment]


def plan_log(scenario: Scenario, lang: str = "zh") -> str:
    """The plan's edits as a numbered Markdown list (or a line saying there are none yet)."""
    if not scenario.edits:
        return t("edit.none", lang)
    return "\n".join(f"{step}. {change}" for step, change in scenario.log(lang)["change"].items())


@dataclass
class Headline:
    """One figure above the map: its label in the language, value, change against today
    (None for today itself) and whether lower is better (for the colour of the change)."""

    key: str
    label: str
    value: float
    delta: float | None
    lower_is_better: bool


def headlines(result: Result, baseline: Result, lang: str = "zh", *, level: str = "primary") -> list[Headline]:
    """The figures shown above the map for the level the planner chose (its schools, pupils
    and their trips; :func:`headline_caption` says which level), with their change against
    today."""
    now, before = level_summary(result, level), level_summary(baseline, level)
    out = []
    for key, lower in HEADLINES.items():
        value = float(now[key])
        delta = None if result is baseline else value - float(before[key])
        out.append(Headline(key, t(f"app.headline.{key}", lang), value, delta, lower))
    return out


def headline_caption(level: str, lang: str = "zh") -> str:
    """The line above the headline figures naming the level they count."""
    return t("app.headline_level", lang, level=level_name(level, lang))


def village_rows(result: Result, level: str) -> pd.DataFrame:
    """The villages of a level under a plan, for the table under the map: pupils, school,
    way to school, the one-way trip (minutes) and, for bus riders, its two legs; those not
    walking within the limit first."""
    villages = result.villages.xs(level, level="level")
    assert isinstance(villages, pd.DataFrame)  # a level of the index: a table
    columns = ["name", "pupils", "schools", "mode", "minutes", "walk_minutes", "road_walk_minutes", "ride_minutes"]
    order = np.argsort(-(villages["mode"].cat.codes.to_numpy(dtype=float) * 1e4 + np.nan_to_num(villages["minutes"].to_numpy())),
                       kind="stable")
    return villages[columns].iloc[order].round(1)


def school_choices(result: Result, lang: str = "zh", *, open_only: bool = True) -> dict[str, str]:
    """School id → label for select boxes ("S01 青山镇中心小学 (中心小学)")."""
    schools = result.schools
    if open_only:
        schools = schools[schools["open"].to_numpy(dtype=bool)]
    return {str(sid): t("app.school_label", lang, id=sid, name=row["name"], type=school_type(row["type"], lang))
            for sid, row in schools.iterrows()}


def site_choices(scenario: Scenario) -> dict[str, str]:
    """Candidate sites not yet opened: id → label."""
    state = scenario.state.schools
    sites = state[state["is_site"] & (state["status"] == "candidate")]
    return {str(sid): f"{sid} {row['name']}" for sid, row in sites.iterrows()}


def new_site_id(project: Project) -> str:
    """The next free id for a site added on the map: N1, N2, …"""
    used = set(project.schools.index) | set(project.sites.index)
    return next(f"N{i}" for i in range(1, 10_000) if f"N{i}" not in used)


def nearest_school(result: Result, project: Project, lat: float, lon: float) -> str | None:
    """The school or site marker nearest a clicked point (for picking on the map)."""
    points = project.target_points
    shown = points[points.index.isin(result.schools.index)]
    if shown.empty:
        return None
    d = (shown.x - lon) ** 2 + (shown.y - lat) ** 2
    return str(d.idxmin())


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mixed figures and words as text (rounded), so that a browser table can show them."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            if value != value:
                return ""
            return f"{value:,.0f}" if value.is_integer() or abs(value) >= 1000 else f"{value:,.1f}"
        return str(value)

    return frame.map(cell)


def walk_histogram(results: Iterable[Result]) -> pd.DataFrame:
    """Pupils walking per 5-minute band, one column per result (for before/after charts)."""
    bands = list(range(0, 65, 5))
    columns = {}
    for result in results:
        walk = result.flows[result.flows["mode"] == "walk"]
        cut = pd.cut(walk["walk_minutes"], bins=bands, right=True, include_lowest=True)
        columns[result.name] = walk["pupils"].groupby(cut, observed=False).sum()
    frame = pd.DataFrame(columns)
    frame.index = [f"{int(b.left):02d}–{int(b.right):02d}" for b in frame.index]  # sorts as text too
    return frame


def policy_rows(policy: Policy, lang: str = "zh") -> pd.DataFrame:
    """The policy's settings with their sources, for the policy panel (the 优质均衡 rules:
    indicators a school may miss and by how much, the CV limit, teaching points and
    nine-year schools in the CV, from :func:`planning.indicators.balance_rules`)."""
    sources = policy.sources(lang)
    rows = [
        ("walk_limit_minutes", f"{policy.walk_limit_minutes['primary']:g} / {policy.walk_limit_minutes['junior']:g}"),
        ("walk_speed_kmh", f"{policy.walk_speed_kmh:g}"),
        ("class_size", f"{policy.class_size['primary']:g} / {policy.class_size['junior']:g}"),
        ("school_size", f"{policy.school_size['primary']:g} / {policy.school_size['junior']:g}"),
        ("boarding_min_grade", f"{policy.boarding_min_grade}"),
        ("bus_speed_kmh", f"{policy.bus_speed_kmh:g}"),
    ]
    setting, value, source = (field(name, lang) for name in ("setting", "value", "source"))
    own = pd.DataFrame([{setting: field(k, lang), value: v, source: sources.get(k, "")} for k, v in rows])
    return pd.concat([own, balance_rules(policy, lang)], ignore_index=True)
