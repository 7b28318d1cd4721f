"""What the browser app does, without streamlit: edit actions, headline figures, labels.

``streamlit_app.py`` only wires widgets to these functions, so they are tested in plain
Python and the app stays thin.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import queue
import re
import shutil
import tempfile
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from . import settings
from .columns import column_kind
from .coords import COORDS, ground_metres
from .errors import DataWarning, InfeasibleError, PlanningError, ValidationError
from .evaluate import Result, level_summary
from .forecast import Forecast, Table, forecast
from .i18n import (
    Listing,
    Message,
    field,
    has_text,
    level_name,
    localise,
    place_words,
    plan_name,
    school_type,
    shown_names,
    t,
    with_names,
)
from .indicators import balance_rules
from .io import ARCHIVE_SUFFIXES, MB, atomic_path, check_archive, megabytes
from .load import demo_births, demo_history, from_files, is_demo, read_roster
from .memo import once
from .policy import COST_SETTINGS, LEVEL_GRADES, LEVELS, Policy
from .project import Project
from .report import cost_by_item, cost_table, money, zoning_lines
from .routes import trip_lines
from .scenario import Scenario, comparable_baseline, evaluate_or_nearest, today, years_or_nearest
from .teachers import Alliances, Exchange, alliances, school_drive_minutes, teacher_exchange
from .terrain import elevation_source
from .timeline import Timeline

T = TypeVar("T")

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

    def solver_lines(self, lang: str) -> list[str]:
        """How the zonings shown were solved (:func:`planning.report.zoning_line`): the
        plan's, and today's when it is a different result; none for nearest school."""
        results = [self.result] if self.baseline is self.result else [self.baseline, self.result]
        return zoning_lines(results, lang)


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


def with_uploaded_roster(project: Project, roster: Table) -> tuple[Project, list[DataWarning]]:
    """The project with a teacher roster the planner uploaded (a CSV or Excel file, one row
    per teacher; :func:`planning.load.read_roster`), whose counts become the schools'
    teacher figures, and the data warnings it raised (figures that differ from the schools
    table's, schools with no teacher on the roster) to show in the app. Validation errors
    propagate (they name the file, its rows and columns)."""
    return with_data_warnings(lambda: project.with_roster(read_roster(roster, project)))


def with_data_warnings(read: Callable[[], T]) -> tuple[T, list[DataWarning]]:
    """What ``read`` returns and the data warnings it raised (to show in the app); other
    warnings go on as Python would have shown them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        value = read()
    notes = []
    for caught_warning in caught:
        if isinstance(caught_warning.message, DataWarning):
            notes.append(caught_warning.message)
        else:  # not ours to show: as Python would have
            warnings.warn_explicit(caught_warning.message, caught_warning.category, caught_warning.filename,
                                   caught_warning.lineno)
    return value, notes


def evaluate_plan_in_year(scenario: Scenario, assignment: str, fc: Forecast, year: int) -> PlanView:
    """Today's layout and the plan with the pupils ``fc`` forecasts for ``year`` (the plan's
    edits in effect that year): what the map and the headline figures show for a year after
    the base year. Falls back to nearest school as :func:`evaluate_plan` does."""
    before, today_infeasible = years_or_nearest(today(scenario.project), fc, assignment, years=[year],
                                                solver_seconds=SOLVER_SECONDS)
    baseline = before.results[year]
    if not scenario.edits and today_infeasible is None:
        return PlanView(baseline, baseline)
    after, plan_infeasible = years_or_nearest(scenario, fc, assignment, years=[year], solver_seconds=SOLVER_SECONDS)
    return PlanView(baseline, after.results[year], today_infeasible, plan_infeasible)


def year_table(timeline: Timeline, lang: str = "zh") -> pd.DataFrame:
    """Year × :data:`YEAR_COLUMNS` (pupils, open schools, pupils beyond the walk limit,
    boarders, classes above the class size, large and very large classes, small-scale
    schools; both levels), worded in ``lang``, counts as whole numbers."""
    table = timeline.summary[list(YEAR_COLUMNS)].round(0).astype(int)
    return localise(table, lang)


def school_pupils(timeline: Timeline, *, words: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Year × school ("S01 name"): the pupils of each school open in some year (for the chart);
    ``words``: the names shown instead (:func:`place_words`: pinyin in English)."""
    schools = timeline.schools
    pupils = schools["pupils"].where(schools["open"].to_numpy(dtype=bool)).unstack("school_id")
    names = schools["name"].groupby(level="school_id").first()
    pupils = pupils.dropna(axis=1, how="all").round(0)
    pupils.columns = [f"{sid} {(words or {}).get(names[sid], names[sid])}" for sid in pupils.columns]
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
    but the one it is (same name, same edits): a saved copy under another name is shown too,
    though its figures are the same (:func:`same_edits_notes` says so); a plan that cannot be zoned is evaluated by nearest school (its
    ``assignment`` says so: :func:`fallback_notes`). Reads no session state: exports call it
    when clicked."""
    others = [evaluate_or_nearest(plan, assignment, solver_seconds=SOLVER_SECONDS)[0]
              for plan in _saved_shown(current, saved)]
    if any(r.name == result.name for r in others):  # the plan on the map, changed since it was saved
        renamed = current.renamed(t("current", lang, name=result.name))
        result = evaluate_or_nearest(renamed, result.assignment, solver_seconds=SOLVER_SECONDS)[0]
    return [baseline, result, *others]


def _saved_shown(current: Scenario, saved: Iterable[Scenario]) -> list[Scenario]:
    """The saved plans compared beside ``current``: all but ``current`` itself saved."""
    return [plan for plan in saved if (plan.name, plan.edits) != (current.name, current.edits)]


def same_edits_notes(current: Scenario, saved: Iterable[Scenario], lang: str) -> list[str]:
    """A sentence for each plan compared (:func:`plans_side_by_side`) whose edits are those of
    a plan before it (a duplicated plan, not yet changed): its column repeats that plan's."""
    plans, notes = [current], []
    for plan in _saved_shown(current, saved):
        twin = next((p for p in plans if p.edits == plan.edits), None)
        if twin is not None:
            notes.append(t("app.same_edits", lang, name=plan_name(plan.name, lang), other=plan_name(twin.name, lang)))
        plans.append(plan)
    return notes


def compare_captions(level: str, lang: str, *, base_year: int | None = None, year: int | None = None) -> list[str]:
    """What the compare view counts: every level together (the headline figures above count
    ``level``), and, when a later ``year`` than the forecast's ``base_year`` is chosen, that
    its figures are still the base year's (as the exports' are)."""
    words = {"primary": level_name("primary", lang), "junior": level_name("junior", lang)}
    lines = [t("app.compare_levels", lang, level=level_name(level, lang), **words)]
    if base_year is not None and year is not None and year != base_year:
        lines.append(t("app.compare_year", lang, base=base_year, year=year, view=t("app.view.years", lang)))
    return lines


# ---------------------------------------------------------------------- the session's plans
#: A plan as it would be written to a file: its name and its edits (what a download keeps).
PlanKey = tuple[str, tuple[Any, ...]]


def plan_key(plan: Scenario) -> PlanKey:
    """What a file holds of ``plan``: its name and its edits. A plan whose key is among those
    downloaded (or opened from a file) has not changed since."""
    return plan.name, tuple(plan.edits)


def unsaved_plans(current: Scenario, saved: Mapping[str, Scenario], kept: Iterable[PlanKey]) -> list[str]:
    """Names of the session's plans that opening another project would lose: the saved plans
    and the plan on the map (``current``) that have edits and were not downloaded in a file
    (project file or Excel report) or opened from one since their last change (``kept``);
    the plan on the map counts once when it is a saved plan unchanged."""
    kept = list(kept)
    plans = [*saved.values(), *([current] if all(plan_key(current) != plan_key(p) for p in saved.values()) else [])]
    names = [p.name for p in plans if p.edits and plan_key(p) not in kept]
    return list(dict.fromkeys(names))


def plan_name_in(plan: Scenario, saved: Mapping[str, Scenario], lang: str) -> str:
    """The name the plan on the map goes by in ``lang``.

    The plan the app starts (or a project opens) with gets the catalogue's default name
    (``plan_default_name``: 方案 / plan) in the language of that moment. While it stays that
    plan, without edits and not saved, its name follows the planner's language (a planner
    who switches to English at once sees "plan"); a saved plan, a plan with edits or a name
    the planner gave keeps its name.
    """
    defaults = {t("plan_default_name", "zh"), t("plan_default_name", "en")}
    if plan.name in defaults and not plan.edits and plan.name not in saved:
        return t("plan_default_name", lang)
    return plan.name


def checked_plan_name(name: str, saved: Mapping[str, Scenario], *, keep: str | None = None) -> str:
    """``name`` without surrounding spaces, when it can name a saved plan: not empty, not
    today's name (现状 / today, the first column of every comparison) and not the name of
    another saved plan (``keep``: the plan being renamed may keep its own). Raises
    ``ValidationError`` saying which."""
    name = name.strip()
    if not name:
        raise ValidationError(Message("error.plan_name_empty"))
    if name in {"today", t("today", "zh"), t("today", "en")}:
        raise ValidationError(Message("error.plan_name_today", name=name))
    if name in saved and name != keep:
        raise ValidationError(Message("error.plan_name_taken", name=name))
    return name


def rename_plan(saved: Mapping[str, Scenario], old: str, new: str) -> dict[str, Scenario]:
    """The saved plans with ``old`` named ``new`` (same edits, same place in the list).

    Comparisons and exports name a plan by its scenario's name, so the renamed plan appears
    under ``new`` everywhere; raises ``ValidationError`` for a name :func:`checked_plan_name` refuses.
    """
    new = checked_plan_name(new, saved, keep=old)
    if new == old:
        return dict(saved)
    return {(new if name == old else name): (plan.renamed(new) if name == old else plan)
            for name, plan in saved.items()}


def duplicate_plan(saved: Mapping[str, Scenario], name: str, copy: str) -> dict[str, Scenario]:
    """The saved plans with a copy of plan ``name`` under the name ``copy`` (placed after it)."""
    copy = checked_plan_name(copy, saved)
    out: dict[str, Scenario] = {}
    for key, plan in saved.items():
        out[key] = plan
        if key == name:
            out[copy] = plan.renamed(copy)
    return out


def delete_plan(saved: Mapping[str, Scenario], name: str) -> dict[str, Scenario]:
    """The saved plans without plan ``name``."""
    return {key: plan for key, plan in saved.items() if key != name}


def copy_name(name: str, saved: Mapping[str, Scenario], lang: str = "zh") -> str:
    """A name for a copy of plan ``name`` that no saved plan has: "<name> 副本" / "<name> copy",
    then numbered (副本 2, copy 2, ...)."""
    candidate = t("app.plan_copy_name", lang, name=name)
    k = 2
    while candidate in saved:
        candidate = t("app.plan_copy_name_n", lang, name=name, n=k)
        k += 1
    return candidate


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


#: Notes of a suggested plan worded for the app: the key the app says instead (the
#: library's words name the command line's options too; the app names its own boxes).
APP_NOTES = {"plan.partial": "app.plan_partial"}


def suggestion_notes(messages: Iterable[Message], lang: str) -> list[str]:
    """The notes of a suggested plan (``Plan.messages``) in ``lang`` as the app says them: what
    to do in the suggest panel (its “must stay open” box), not a command-line option."""
    boxes = {"box": Message("app.must_keep"), "button": Message("app.suggest")}
    return [t(APP_NOTES[m.key], lang, **dict(m.values), **boxes) if m.key in APP_NOTES else m.text(lang)
            for m in messages]


#: Errors worded for the app: the key the app says instead (the library's words name the
#: command line's options, such as --solver-seconds; the app names its own boxes).
APP_ERRORS = {"error.solver_out_of_time": "app.solver_out_of_time"}


def error_text(error: PlanningError, lang: str, *, button: str = "app.suggest") -> str:
    """``error`` in ``lang`` as the app says it: a solver stopped by its time limit tells the
    planner what to do in the suggest panel (choose schools that must stay open or close,
    no candidate sites, then click ``button`` — a catalogue key — again), not an option of
    the command line the app does not have; other problems as the library words them."""
    boxes = {"keep": Message("app.must_keep"), "close": Message("app.must_close"),
             "sites": Message("app.sites_may_open"), "button": Message(button)}
    problems = [Message(APP_ERRORS[p.key], **dict(p.values), **boxes)
                if isinstance(p, Message) and p.key in APP_ERRORS else p for p in error.problems]
    return PlanningError(problems, source=error.source).text(lang)


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
    (None for today itself) and whether lower is better (for the colour of the change; None:
    neither, the change is shown without a colour)."""

    key: str
    label: str
    value: float
    delta: float | None
    lower_is_better: bool | None


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


#: Cost figures of a layout's summary shown under the headline figures (all levels; lower is better).
COST_HEADLINES = ("one_off_yuan", "yearly_yuan", "cost_npv_yuan")


def cost_headlines(result: Result, baseline: Result, lang: str = "zh") -> list[Headline]:
    """The layout's costs (all levels): one-off, yearly and their present value over the
    policy's ``cost_horizon`` (yuan), with their change against today (None for today);
    labelled with the unit :func:`cost_words` shows them in."""
    years, unit = result.project.policy.cost_horizon, t("app.cost.unit", lang)
    labels = {"one_off_yuan": t("app.cost.one_off", lang, unit=unit), "yearly_yuan": t("app.cost.yearly", lang, unit=unit),
              "cost_npv_yuan": t("app.cost.npv", lang, years=years, unit=unit)}
    out = []
    for key in COST_HEADLINES:
        value = float(result.summary[key])
        delta = None if result is baseline else value - float(baseline.summary[key])
        out.append(Headline(key, labels[key], value, delta, True))
    return out


def cost_amount(value: float, lang: str = "zh") -> str:
    """An amount under the headline figures, its unit in the label (``app.cost.unit``): 万元
    to one decimal in Chinese (whole from 1,000 万元 on), thousand yuan in English."""
    if lang == "zh":
        wan = value / 1e4
        return f"{wan:,.0f}" if abs(wan) >= 1000 or wan == 0 else f"{wan:,.1f}"
    return f"{value / 1e3:,.0f}"


def cost_words(headline: Headline, lang: str = "zh") -> tuple[str, str | None]:
    """A cost figure as the app shows it (:func:`cost_amount`) and its change with a sign
    (None when there is none)."""
    delta = None
    if headline.delta:
        delta = ("+" if headline.delta > 0 else "") + cost_amount(headline.delta, lang)
    return cost_amount(headline.value, lang), delta


def cost_caption(result: Result, lang: str = "zh") -> str:
    """What the cost figures count: all levels, over how many years, at what discount rate."""
    policy = result.project.policy
    return t("app.cost_caption", lang, years=policy.cost_horizon, rate=f"{policy.cost_discount_rate:.0%}")


def cost_npv_words(baseline: Result, result: Result, lang: str = "zh") -> str:
    """The present values of today and the plan in a sentence (:func:`planning.report.money`)."""
    return t("app.cost_npv_line", lang, years=result.project.policy.cost_horizon,
             today=money(float(baseline.summary["cost_npv_yuan"]), lang),
             plan=money(float(result.summary["cost_npv_yuan"]), lang))


#: Columns of the costs by item the compare view shows (the present values are in a sentence
#: under it, so that the table fits a 1024-pixel screen).
COST_ROW_COLUMNS = 4


def cost_rows(baseline: Result, result: Result, lang: str = "zh") -> Any:
    """The plan's costs by item beside today's (:func:`planning.report.cost_by_item`: today's
    yearly cost, the plan's one-off and yearly costs, the change a year), in 万元 to two
    decimals in Chinese and whole yuan in English, for the browser (a Styler)."""
    wan = lang == "zh"
    table = cost_by_item(baseline, result, lang, wan=wan).iloc[:, :COST_ROW_COLUMNS]
    return table.style.format("{:,.2f}" if wan else "{:,.0f}")


def cost_sheet_rows(result: Result, lang: str = "zh") -> Any:
    """A layout's cost sheet by school (:func:`planning.report.cost_table`) for a narrow
    screen: the item, the school ("S01 name"), the quantity with its unit, one-off and yearly
    costs in 万元 (two decimals) in Chinese and whole yuan in English (the present value is
    in the headline figures and under the costs by item); blank on the total row where a
    cell does not apply; a Styler."""
    wan = lang == "zh"
    sheet = cost_table(result, lang, wan=wan)
    sid, name, quantity, unit = sheet.columns[:4]
    schools = [f"{s} {n}" if isinstance(s, str) else "" for s, n in zip(sheet[sid], sheet[name], strict=True)]
    counts = ["" if q != q else f"{q:,g} {u}" for q, u in zip(sheet[quantity], sheet[unit], strict=True)]
    table = sheet.iloc[:, 4:6].copy()  # by position (an item's rows share its index label); no present value

    table.insert(0, field("quantity", lang), counts)
    table.insert(0, t("app.teachers.school", lang), schools)
    return table.style.format("{:,.2f}" if wan else "{:,.0f}", subset=list(table.columns[2:]))


#: The walking limits of the suggest view's cost–walk trade-off (minutes).
COST_LIMITS = (20, 25, 30, 35, 40, 45, 50, 60)


def cost_curve_rows(curve: pd.DataFrame, lang: str = "zh") -> Any:
    """The cost–walk trade-off (:func:`planning.optimise.cost_tradeoff`) for the suggest view:
    per walking limit, the schools open, the plan's costs (in :func:`cost_unit`: 万元 in
    Chinese, yuan in English; headers without the unit, which the heading names), the buses
    and beds bought where there are any, and the pupils boarding, riding and beyond a daily
    walk, with the longest walk; a Styler."""
    money = [c for c in ("cost_npv_yuan", "opening_cost_yuan", "one_off_yuan", "yearly_yuan") if c in curve]
    pupils = [c for c in ("bus_riders", "buses", "beds_added", "boarders", "pupils_beyond_limit") if c in curve]
    table = curve[["schools_open", *money, *pupils, "max_walk"]].rename_axis("limit_min")
    if lang == "zh":
        table[money] = table[money] / 10_000
    table = localise(table, lang)
    table = table.rename(columns=cost_short_headers(table.columns))
    formats: dict[Any, str | Callable[[object], str] | None] = {column: "{:,.0f}" for column in table.columns}
    for column in table.columns[1:1 + len(money)]:
        formats[column] = "{:,.1f}" if lang == "zh" else "{:,.0f}"
    formats[table.columns[-1]] = "{:.1f}"
    return table.style.format(formats)


def cost_unit(lang: str = "zh") -> str:
    """The unit of the compare view's cost tables: 万元 in Chinese, yuan in English."""
    return t("cost_col.unit_wan" if lang == "zh" else "cost_col.unit_yuan", lang)


def cost_short_headers(columns: Iterable[object]) -> dict[str, str]:
    """A cost table's headers without their unit in brackets (the heading above the table
    names it), so that the table fits a 1024-pixel screen: full header → short one."""
    return {str(c): re.sub(r"\s*[(\uff08][^()\uff08\uff09]*[)\uff09]$", "", str(c)) for c in columns}


def headline_caption(level: str, lang: str = "zh") -> str:
    """The line above the headline figures naming the level they count."""
    return t("app.headline_level", lang, level=level_name(level, lang))


def named(table: pd.DataFrame, project: Project, lang: str) -> pd.DataFrame:
    """``table`` with the names of its name columns as a reader of ``lang`` reads them
    (:func:`place_words`); ids and everything else unchanged."""
    return with_names(table, place_words(project, lang))


def village_rows(result: Result, level: str) -> pd.DataFrame:
    """The villages of a level under a plan, for the table under the map: pupils, school,
    way to school, the one-way trip (minutes), its length along the roads (``route_km``: the
    walk, or the bus ride from the pick-up point, as the map draws it; empty for boarders)
    and, for bus riders, the trip's two legs; those not walking within the limit first."""
    villages = result.villages.xs(level, level="level")
    assert isinstance(villages, pd.DataFrame)  # a level of the index: a table
    villages = villages.assign(route_km=trip_lines(result.project, villages)["route_km"].reindex(villages.index))
    columns = ["name", "pupils", "schools", "mode", "minutes", "route_km", "walk_minutes", "road_walk_minutes",
               "ride_minutes"]
    order = np.argsort(-(villages["mode"].cat.codes.to_numpy(dtype=float) * 1e4 + np.nan_to_num(villages["minutes"].to_numpy())),
                       kind="stable")
    return villages[columns].iloc[order].round({**dict.fromkeys(columns, 1), "route_km": 2})


#: Columns of the school table (:func:`school_table`), labelled ``field.<key>``.
SCHOOL_TABLE = ("name", "type", "status", "pupils", "capacity", "load", "classes_needed", "classrooms", "boarders",
                "beds", "teachers_needed", "teachers", "met", "indicators_missed", "over_capacity")


def school_table(result: Result, level: str, lang: str = "zh") -> pd.DataFrame:
    """The open schools teaching a grade of ``level`` under a plan, one row each, indexed by
    school id: name (in English the tables' pinyin where given: :func:`place_words`), type
    and status (words in ``lang``); ``pupils`` (all its pupils) and
    ``capacity`` (seats); ``load`` = pupils ÷ seats (a fraction, 1.2 = 120 %; NaN where
    the seats are unknown); classrooms needed (``classes_needed``, classes its pupils fill)
    against those it has (``classrooms``); boarders against ``beds``; teachers needed by
    the staffing norms against those it has (``teachers``, NaN where no teacher figures or
    roster are known); 优质均衡 indicators known to be met (``met``) and the names of
    those missed (``indicators_missed``, in ``lang``); ``over_capacity`` (more pupils than
    seats). Figures stay numbers, so that the app's table sorts them."""
    schools = result.schools
    grades = set(LEVEL_GRADES[level])
    rows = schools[schools["open"].to_numpy(dtype=bool) & schools["grades"].map(lambda g: bool(set(g) & grades))]
    staff = result.staffing.reindex(rows.index)
    ind = result.indicators.reindex(rows.index)
    names = [c.removesuffix("_ok") for c in result.indicators.columns if c.endswith("_ok")]

    def missed(sid: object) -> str:
        return str(Listing([field(n, lang) for n in names if ind.at[sid, f"{n}_ok"] is False
                            or ind.at[sid, f"{n}_ok"] is np.False_], sep="sep.names").text(lang))

    table = pd.DataFrame({
        "name": rows["name"], "type": rows["type"].map(lambda k: school_type(k, lang)),
        "status": rows["status"].map(lambda k: t(f"status.{k}", lang)),
        "pupils": rows["pupils"], "capacity": rows["capacity"],
        "load": rows["pupils"] / rows["capacity"].where(rows["capacity"] > 0),
        "classes_needed": rows["classes_needed"], "classrooms": rows["classrooms"],
        "boarders": rows["boarders"], "beds": rows["beds"],
        "teachers_needed": staff["teachers_needed"].astype(float), "teachers": staff["teachers"].astype(float),
        "met": ind["met"].astype(float), "indicators_missed": [missed(sid) for sid in rows.index],
        "over_capacity": rows["over_capacity"].map(lambda v: t("yes" if v else "no", lang)),
    }, index=rows.index)
    table.index.name = "school_id"
    return named(table, result.project, lang)


def figures_to_set(result: Result, school: str, **typed: float) -> dict[str, float]:
    """The figures typed for a school (``capacity``, ``classrooms``, ``beds``) that differ
    from its figures under the plan: those a :meth:`Scenario.set_school` edit sets (none:
    nothing to change)."""
    row = result.schools.loc[school, ["capacity", "classrooms", "beds"]].to_numpy(dtype=float)
    now = dict(zip(["capacity", "classrooms", "beds"], np.nan_to_num(row, nan=-1.0), strict=True))
    return {col: float(value) for col, value in typed.items() if not np.isclose(float(value), now[col])}


def edit_pupils(scenario: Scenario, village: str, grade: int | None, value: float) -> Scenario:
    """The plan after a pupils edit made in the app: the pupils of ``grade`` set to
    ``value``, or, with no grade, every grade's pupils of the village multiplied by
    ``value`` (validation errors propagate)."""
    if grade is None:
        return scenario.set_pupils(village, scale=value)
    return scenario.set_pupils(village, grade=grade, pupils=value)


def village_choices(project: Project, lang: str = "zh") -> dict[str, str]:
    """Village id → "V01 name", for the village picker (in English the pinyin where given)."""
    names = shown_names(project.villages, lang)
    return {str(vid): f"{vid} {name}" for vid, name in names.items()}


#: How far from a village's centre a click on its marker may land (metres): its circle is 9
#: pixels wide in radius, some 300 m at zoom 12.
VILLAGE_CLICK_M = 300.0


def clicked_village(project: Project, lat: float, lon: float) -> str | None:
    """The village whose marker was clicked on the map: the nearest village when the click
    (a point on its circle, not its centre) is within :data:`VILLAGE_CLICK_M` of it; None
    for a click on a school's or site's marker (such a click lands on the point itself,
    within a metre) or far from every village."""
    villages, targets = project.villages.geometry, project.target_points
    if not len(villages):
        return None
    to_village = ground_metres(villages.x.to_numpy(), villages.y.to_numpy(), lon, lat)
    to_target = ground_metres(targets.x.to_numpy(), targets.y.to_numpy(), lon, lat)
    nearest = int(np.argmin(to_village))
    on_school = bool(len(to_target)) and float(to_target.min()) < 1.0
    near = to_village[nearest] <= VILLAGE_CLICK_M and not on_school
    return str(villages.index[nearest]) if near else None


#: Columns of the village detail (:func:`village_detail`), labelled ``field.<key>``.
VILLAGE_DETAIL = ("in_grade", "pupils", "school_after", "mode_after", "walk_minutes", "minutes_after", "grade_limit",
                  "school_before", "mode_before", "minutes_before")


def village_detail(result: Result, baseline: Result, village: str) -> pd.DataFrame:
    """A village's pupils grade by grade under a plan and today: one row per flow of the
    plan (a grade whose pupils go two ways has two rows): ``in_grade``, ``pupils``, the
    plan's school ("S01 name"), way to school (``mode_after``: walk, bus, board,
    unserved), the walk to that school (``walk_minutes``, minutes; NaN with no school) and
    the one-way trip (``minutes_after``: the walk, or walk and ride), the grade's walking
    limit (``grade_limit``, minutes, from the policy); then today's school, way and trip of
    the grade (those of the flow carrying most of its pupils today). Modes are keys,
    worded by :func:`planning.i18n.localise`."""
    names = result.schools["name"]
    limits = result.project.policy.grade_limits()

    def school(sid: object) -> str:
        return f"{sid} {names.get(sid, '')}".strip() if isinstance(sid, str) else ""

    after = result.flows[result.flows["village_id"] == village].sort_values(["grade", "pupils"],
                                                                              ascending=[True, False])
    before = baseline.flows[baseline.flows["village_id"] == village].sort_values("pupils", ascending=False)
    main = before.drop_duplicates("grade").set_index("grade")
    grades = after["grade"].to_numpy()
    table = pd.DataFrame({
        "in_grade": grades, "pupils": after["pupils"].to_numpy(),
        "school_after": [school(s) for s in after["school_id"]], "mode_after": after["mode"].astype(str).to_numpy(),
        "walk_minutes": after["walk_minutes"].to_numpy(dtype=float), "minutes_after": after["minutes"].to_numpy(dtype=float),
        "grade_limit": limits[grades - 1],
        "school_before": [school(s) for s in main["school_id"].reindex(grades)],
        "mode_before": main["mode"].astype(object).reindex(grades).to_numpy(),
        "minutes_before": main["minutes"].reindex(grades).to_numpy(dtype=float),
    })
    return table


def upload_summary(project: Project, lang: str = "zh") -> pd.DataFrame:
    """What was loaded, in one table of (``item``, ``value``) in ``lang``: villages and
    their pupils (primary, junior), schools by type, candidate sites, road km, villages far
    from any road (over the policy's flag distance, named), pupils estimated from
    population or unknown, the coordinate system each table was read in (converted to
    WGS84 on reading) and the source of elevations. Worked out once per project and
    language (the app draws it on every run)."""
    return once(project, ("upload_summary", lang), lambda: _upload_summary(project, lang)).copy()


def _upload_summary(project: Project, lang: str) -> pd.DataFrame:
    villages, schools, snaps = project.villages, project.schools, project.snaps
    rows: list[tuple[str, str]] = [
        (field("villages", lang), f"{len(villages):,}"),
        (field("primary_pupils", lang), f"{np.nansum(villages['primary_pupils'].to_numpy(dtype=float)):,.0f}"),
        (field("junior_pupils", lang), f"{np.nansum(villages['junior_pupils'].to_numpy(dtype=float)):,.0f}"),
        (t("app.summary.schools", lang), f"{len(schools):,}"),
    ]
    for kind, n in schools["type"].value_counts().sort_index().items():
        rows.append((t("app.summary.of_type", lang, type=school_type(str(kind), lang)), f"{n:,}"))
    rows.append((t("app.summary.sites", lang), f"{len(project.sites):,}"))
    rows.append((t("app.summary.road_km", lang), f"{project.network.seg_length.sum() / 1000:,.1f}"))
    far = snaps[(snaps["kind"] == "village") & snaps["far_from_road"].to_numpy(dtype=bool)]
    rows.append((t("app.summary.far_from_road", lang), t("app.summary.count_names", lang, n=len(far),
                 names=Listing([f"{n} ({m:.0f} m)" for n, m in zip(far["name"], far["snap_m"], strict=True)],
                               sep="sep.names", most=8)) if len(far) else "0"))
    rows.append((t("app.summary.estimated", lang), f"{int(villages['pupils_estimated'].sum()):,}"))
    rows.append((t("app.summary.unknown", lang), f"{int(villages['primary_pupils'].isna().sum()):,}"))
    for kind, table in (("villages", villages), ("schools", schools), ("sites", project.sites)):
        if table.empty:  # no sites given
            continue
        systems = sorted(set(table["coords_from"].dropna())) if "coords_from" in table else []
        words = Listing([t(f"coords.{s}", lang) for s in systems] or [t("coords.wgs84", lang)]).text(lang)
        rows.append((t("app.summary.coords", lang, table=t(f"table.{kind}", lang)), str(words)))
    rows.append((t("app.summary.elevation", lang), elevation_source(project.network, lang)))
    return pd.DataFrame(rows, columns=["item", "value"])


def school_choices(result: Result, lang: str = "zh", *, open_only: bool = True) -> dict[str, str]:
    """School id → label for select boxes ("S01 青山镇中心小学 (中心小学)"; in English the
    pinyin where given: "S01 Qingshan Central Primary (central primary)")."""
    schools = with_names(result.schools, place_words(result.project, lang))
    if open_only:
        schools = schools[schools["open"].to_numpy(dtype=bool)]
    return {str(sid): t("app.school_label", lang, id=sid, name=row["name"], type=school_type(row["type"], lang))
            for sid, row in schools.iterrows()}


def school_names(result: Result) -> dict[str, str]:
    """Open school id → "S01 name", for choosing several schools (short labels, so that
    several fit a box)."""
    schools = result.schools[result.schools["open"].to_numpy(dtype=bool)]
    return {str(sid): f"{sid} {name}" for sid, name in schools["name"].items()}


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


def display_table(frame: pd.DataFrame, *, kinds: Mapping[str, str | None] | None = None) -> pd.DataFrame:
    """Mixed figures and words as text (rounded), so that a browser table can show them:
    whole numbers and figures of 1,000 or more whole, with thousands separators; shares
    and coefficients of variation below 1 to three decimals (0.553 beside a limit of 0.50);
    the rest to one decimal. ``kinds``: what a column's figures are (column → a kind of
    :data:`~planning.columns.COLUMN_KINDS`, :func:`shown_table` gives them): minutes and
    changes of minutes to one decimal always (0.6, not 0.566 among 48.8 and 97.8), km to
    two (0.46 beside 2.00, as the Excel workbook writes them)."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            if value != value:
                return ""
            if value.is_integer() or abs(value) >= 1000:
                return f"{value:,.0f}"
            return f"{value:.3f}" if abs(value) < 1 else f"{value:,.1f}"
        return str(value)

    def fixed(places: int) -> Callable[[object], str]:
        return lambda value: f"{value:,.{places}f}" if isinstance(value, float) and value == value else cell(value)

    places = {"minutes": 1, "minutes_change": 1, "km": 2}
    shown = frame.map(cell)
    for i, column in enumerate(frame.columns):
        if (kind := (kinds or {}).get(column)) in places:
            shown.isetitem(i, frame.iloc[:, i].map(fixed(places[kind])).to_numpy())
    return shown


def shown_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A table of figures keyed by field (:func:`~planning.i18n.localise`d into ``lang``) as
    text for the browser (:func:`display_table`), each column by what its figures are."""
    kinds = {field(c, lang): column_kind(c) for c in frame.columns}
    return display_table(localise(frame, lang), kinds=kinds)


def with_changes(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A comparison (today first, then the plans; rows of figures) shown as text
    (:func:`display_table`) with, after each plan, its change against today (plan − today,
    signed: +3, −2.5; blank where a figure is not a number), headed "Change: plan" /
    "变化：方案". A change has the precision its row is shown with: whole where every
    figure of the row is shown whole (counts; figures of 1,000 or more), three decimals for
    shares and CVs (figures below 1), one decimal otherwise."""
    shown = display_table(table)
    numbers = pd.concat([pd.to_numeric(table.iloc[:, i], errors="coerce") for i in range(table.shape[1])], axis=1)
    today = numbers.iloc[:, 0]
    digits = numbers.apply(_row_digits, axis=1)
    columns: dict[str, pd.Series] = {str(table.columns[0]): shown.iloc[:, 0]}
    for i, name in enumerate(table.columns[1:], start=1):
        columns[str(name)] = shown.iloc[:, i]
        change = numbers.iloc[:, i] - today
        columns[t("app.change_vs_today", lang, plan=name)] = pd.Series(
            [_signed(v, d) for v, d in zip(change, digits, strict=True)], index=table.index)
    return pd.DataFrame(columns, index=table.index)


def _row_digits(row: pd.Series) -> int:
    """Decimals a row's change is shown with (:func:`with_changes`): the most its figures
    are shown with (:func:`display_table`), so a change reads like its row — whole where
    every figure is shown whole (whole numbers, and figures of 1,000 or more: a total of
    18,089 pupil-minutes changes by +852, not +851.6), three decimals where figures below 1
    are, one otherwise."""
    known = row.to_numpy(dtype=float)
    known = known[np.isfinite(known)]
    whole = (known == np.round(known)) | (np.abs(known) >= 1000)
    if whole.all():
        return 0
    return 3 if np.abs(known[~whole]).max() < 1 else 1


def _signed(value: float, digits: int) -> str:
    """A change with its sign: +3, −2.5, 0 (blank when unknown)."""
    if value != value:
        return ""
    if abs(value) < 0.5 * 10 ** -digits:
        return "0"
    return ("+" if value > 0 else "−") + f"{abs(value):,.{digits}f}"


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


def pupils_per_school(results: Sequence[Result], lang: str = "zh") -> pd.DataFrame:
    """Long table for the grouped bar chart: per school open in any result, its name (the
    planner reads names, not ids; in English the pinyin where given, :func:`place_words`) and
    id, the plan (worded: 现状 / today) and its pupils."""
    rows = []
    for r in results:
        words = place_words(r.project, lang)
        for school_id, row in r.schools.iterrows():
            if row["pupils"] > 0 or bool(row["open"]):
                rows.append({"school": f"{words.get(row['name'], row['name'])} ({school_id})",
                             "plan": plan_name(r.name, lang),
                             "pupils": float(row["pupils"])})
    return pd.DataFrame(rows, columns=["school", "plan", "pupils"])


def policy_rows(policy: Policy, lang: str = "zh") -> pd.DataFrame:
    """The policy's settings with their sources, for the policy panel: walking, class and
    school sizes, boarding, the bus, the staffing norms (pupils per teacher per level,
    teachers per class at small schools), the teacher exchange rules and the cost settings
    (:func:`cost_setting_rows`), then the 优质均衡
    rules (indicators a school may miss and by how much, the CV limit, teaching points and
    nine-year schools in the CV, from :func:`planning.indicators.balance_rules`)."""
    sources = policy.sources(lang)
    rows = [
        ("walk_limit_minutes", f"{policy.walk_limit_minutes['primary']:g} / {policy.walk_limit_minutes['junior']:g}"),
        ("walk_speed_kmh", f"{policy.walk_speed_kmh:g}"),
        ("class_size", f"{policy.class_size['primary']:g} / {policy.class_size['junior']:g}"),
        ("school_size", f"{policy.school_size['primary']:g} / {policy.school_size['junior']:g}"),
        ("boarding_min_grade", f"{policy.boarding_min_grade}"),
        ("bus_speed_kmh", f"{policy.bus_speed_kmh:g}"),
        ("bus_max_ride_minutes", f"{policy.bus_max_ride_minutes:g}"),
        ("small_school_pupils", f"{policy.small_school_pupils}"),
        ("pupils_per_teacher", f"{policy.pupils_per_teacher['primary']:g} / {policy.pupils_per_teacher['junior']:g}"),
        ("teachers_per_class", f"{policy.teachers_per_class:g}"),
        ("exchange_share", f"{policy.exchange_share:.0%}"),
        ("exchange_key_share", f"{policy.exchange_key_share:.0%}"),
        ("exchange_min_years", f"{policy.exchange_min_years}"),
        *cost_setting_rows(policy, lang),
    ]
    setting, value, source = (field(name, lang) for name in ("setting", "value", "source"))
    own = pd.DataFrame([{setting: field(k, lang), value: v, source: sources.get(k, "")} for k, v in rows])
    return pd.concat([own, balance_rules(policy, lang)], ignore_index=True)


def cost_setting_rows(policy: Policy, lang: str = "zh") -> list[tuple[str, str]]:
    """The policy's cost settings (:data:`planning.policy.COST_SETTINGS`) and their values as
    the policy panel shows them: amounts with thousands separators, per-level ones as
    "primary / junior", shares and the discount rate in per cent, build or rent in words."""
    def number(value: float) -> str:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"

    rows = []
    for name in COST_SETTINGS:
        value = getattr(policy, name)
        if name == "cost_classroom_short":
            text = t(f"cost_short.{value}", lang)
        elif name in ("cost_boarding_needy_share", "cost_discount_rate"):
            text = f"{value:.0%}"
        elif name in PER_LEVEL_COSTS:
            text = f"{number(value['primary'])} / {number(value['junior'])}"
        else:
            text = number(value)
        rows.append((name, text))
    return rows


#: Cost settings with a figure per level (primary / junior).
PER_LEVEL_COSTS = ("cost_classroom_m2", "cost_boarding_subsidy", "cost_per_pupil")


# ---------------------------------------------------------------------------------------------
# Teachers and alliances (the view 教师与共同体)
# ---------------------------------------------------------------------------------------------

#: County staffing figures of the teachers view (labels ``field.<key>``): summary key → lower
#: is better (None: neither, its change is shown without a colour).
STAFFING_HEADLINES: dict[str, bool | None] = {"teachers": None, "teachers_needed": None, "teachers_short": True,
                                              "teachers_spare": None}

#: Columns of the staffing table, per school (labels ``field.<key>``).
STAFFING_COLUMNS = ("teachers_today", "moved", "teachers", "teachers_needed", "surplus", "to_place", "pupils")

#: School types offered as alliance cores before the planner chooses (central primary, nine-year school).
CORE_TYPES = ("central_primary", "nine_year")


def staffing_headlines(result: Result, baseline: Result, lang: str = "zh") -> list[Headline]:
    """The county's staffing figures after the plan (``result``) with their change against
    today (``baseline``; None when the plan is today): teachers at open schools, teachers
    they need by the norms, teachers short at schools below the norm, teachers to spare
    (beyond the norm, or to place from closed schools). Whole teachers; NaN unknown."""
    out = []
    for key, lower in STAFFING_HEADLINES.items():
        value = float(result.summary[key])
        delta = None if result is baseline else value - float(baseline.summary[key])
        out.append(Headline(key, field(key, lang), value, delta, lower))
    return out


def staffing_words(headline: Headline, baseline: Result) -> tuple[str, str | None]:
    """A staffing figure as the app shows it: "today → plan" (or the figure alone for today)
    in whole teachers, and its change with a sign (None when it does not change); "—" for a
    figure not known."""
    def whole(value: float) -> str:
        return "—" if value != value else f"{value:,.0f}"

    if headline.delta is None:
        return whole(headline.value), None
    before = float(baseline.summary[headline.key])
    delta = None if headline.delta != headline.delta or headline.delta == 0 else f"{headline.delta:+,.0f}"
    return f"{whole(before)} → {whole(headline.value)}", delta


def staffing_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """Each school of the layout, closed ones too ("S01 name", its status when not open):
    teachers today, moved by merges (+ in, − out), teachers after the plan, teachers needed
    by the norms, surplus (+) or shortage (−), teachers to place from a closed school, and
    pupils; whole numbers (blank where the teachers are not known), worded in ``lang``, the
    largest shortages first.

    Columns that would say nothing are left out: teachers today and moved when no teacher
    moves (today's layout), teachers to place when no school closes."""
    staff = result.staffing
    columns = list(STAFFING_COLUMNS)
    if not staff["moved"].fillna(0).astype(bool).any():
        columns.remove("teachers_today")
        columns.remove("moved")
    if not staff["to_place"].fillna(0).astype(bool).any():
        columns.remove("to_place")
    table = staff[columns].copy()
    for column in columns:
        table[column] = _whole(table[column])
    words = place_words(result.project, lang)
    names = staff["name"].astype(str).map(lambda n: words.get(n, n)) + staff["status"].map(
        lambda s: "" if s == "open" else t("app.teachers.status", lang, status=t(f"status.{s}", lang)))
    order = np.argsort(staff["surplus"].fillna(np.inf).to_numpy(dtype=float), kind="stable")
    return _by_school(localise(table, lang), names, lang).iloc[order]


def _whole(values: pd.Series) -> pd.Series:
    """Whole numbers for a browser table; text with blanks where some are not known (a
    browser shows a missing number as "None")."""
    rounded = values.astype(float).round(0)
    if rounded.notna().all():
        return rounded.astype(int)
    return rounded.map(lambda v: "" if v != v else f"{v:,.0f}")


def _by_school(table: pd.DataFrame, names: pd.Series, lang: str, *, words: Mapping[str, str] | None = None
               ) -> pd.DataFrame:
    """The table indexed by "S01 name" (one column less for narrow screens); ``words``: the
    names shown instead (:func:`place_words`: pinyin in English)."""
    words = words or {}
    labelled = table.copy()
    labelled.index = pd.Index([f"{sid} {words.get(names[sid], names[sid])}" for sid in table.index],
                              name=t("app.teachers.school", lang))
    return labelled


#: Columns shown under a short header in the browser (``app.teachers.col.<name>``; the field's
#: full words are the header's help), so that the tables fit a 1024-pixel screen.
SHORT_HEADERS = ("teachers_today", "moved", "teachers", "teachers_needed", "surplus", "to_place", "moved_teachers",
                 "moved_key_teachers", "moved_teachers_above_qualification", "moved_pe_arts_teachers", "drive_minutes",
                 "longest_minutes")


def short_headers(table: pd.DataFrame, lang: str = "zh") -> dict[str, str]:
    """A worded table's columns that have a short header (full words → short words); the
    teachers after a plan only beside the teachers today (alone they are the teachers)."""
    shown = set(table.columns)
    out = {field(name, lang): t(f"app.teachers.col.{name}", lang) for name in SHORT_HEADERS
           if field(name, lang) in shown}
    if field("teachers_today", lang) not in shown:
        out.pop(field("teachers", lang), None)
    return out


def shortage_style(table: pd.DataFrame, lang: str = "zh") -> Any:
    """The staffing table (:func:`staffing_table`) with each shortage (a negative surplus)
    on a red ground, for the browser (a pandas Styler)."""
    surplus = field("surplus", lang)

    def mark(value: object) -> str:
        return "background-color: #f8d0cc; color: #a50f15; font-weight: bold" if (
            isinstance(value, (int, np.integer)) and value < 0) else ""

    return table.style.map(mark, subset=[surplus])


def norms_caption(policy: Policy, lang: str = "zh") -> str:
    """The staffing norms the table applies, with their sources."""
    sources = policy.sources(lang)
    return t("app.teachers.norms", lang, primary=f"{policy.pupils_per_teacher['primary']:g}",
             junior=f"{policy.pupils_per_teacher['junior']:g}", small=policy.small_school_pupils,
             per_class=f"{policy.teachers_per_class:g}", source_ratio=sources["pupils_per_teacher"],
             source_class=sources["teachers_per_class"])


@dataclass(frozen=True)
class ExchangeRules:
    """This year's exchange rules as the planner set them in the app (hashable: the key of
    a solve kept in the session). ``share`` and ``key_share`` are fractions, ``max_minutes``
    the longest drive (None: no limit), ``level`` None for every school."""

    share: float
    key_share: float
    max_minutes: float | None = None
    send_only: tuple[str, ...] = ()
    receive_only: tuple[str, ...] = ()
    level: str | None = None


def propose_exchange(result: Result, rules: ExchangeRules) -> Exchange | PlanningError:
    """The exchange for ``rules`` over ``result``'s schools, or the error that says why there
    is none (rules that cannot be met, missing data), to be shown in the planner's language."""
    try:
        return teacher_exchange(result, share=rules.share, key_share=rules.key_share, max_minutes=rules.max_minutes,
                                send_only=rules.send_only, receive_only=rules.receive_only, level=rules.level,
                                seconds=SOLVER_SECONDS)
    except (InfeasibleError, ValidationError) as exc:
        return exc


def solve_words(status: str, gap: float, seconds: float, lang: str = "zh") -> str:
    """How close a solver's answer is, for people: proven best, or within a gap of it."""
    took = f"{seconds:.1f}" if seconds >= 0.05 else "<0.1"
    if status == "Optimal":
        return t("app.teachers.proven", lang, seconds=took)
    worded = t(f"solver.{status}", lang) if has_text(f"solver.{status}") else status
    return t("app.teachers.within_gap", lang, status=worded, gap=f"{gap:.1%}", seconds=took)


def quota_words(exchange: Exchange, rules: ExchangeRules, lang: str = "zh") -> str:
    """The year's quota (⌈share × eligible⌉ teachers, at least ⌈key share × quota⌉ key
    teachers) and what the proposed moves add up to."""
    moves = exchange.moves
    return t("app.teachers.quota", lang, quota=exchange.quota, eligible=exchange.eligible,
             share=f"{rules.share:.0%}", key_quota=exchange.key_quota, key_share=f"{rules.key_share:.0%}",
             moved=int(moves["teachers"].sum()), key=int(moves["key_teachers"].sum()))


def moves_rows(exchange: Exchange, lang: str = "zh", *, words: Mapping[str, str] | None = None
            ) -> pd.DataFrame:
    """The moves for people: from which school to which (id and name), how many teachers
    and of which kind (:meth:`~planning.teachers.Exchange.moves_table`), and the drive
    between the two schools in whole minutes; worded in ``lang``."""
    moves = exchange.moves
    table = exchange.moves_table(lang).drop(columns=[field("from_name", lang), field("to_name", lang)])
    moves = with_names(moves, words or {})  # the names shown (pinyin in English: place_words)
    table[field("from_school", lang)] = (moves["from_school"].astype(str) + " " + moves["from_name"].astype(str)).to_numpy()
    table[field("to_school", lang)] = (moves["to_school"].astype(str) + " " + moves["to_name"].astype(str)).to_numpy()
    minutes = table.pop(field("drive_minutes", lang))
    table.insert(2, field("drive_minutes", lang), _whole(minutes))  # beside the two schools
    return table


def cv_rows(exchange: Exchange, lang: str = "zh") -> pd.DataFrame:
    """Each teacher indicator's coefficient of variation (per 100 pupils) over the schools
    taking part, before and after the exchange, to 3 decimals."""
    return exchange.cv_table(lang).round(3)


def cv_bars(exchange: Exchange, lang: str = "zh") -> pd.DataFrame:
    """The 优质均衡 CV of each teacher indicator per level before and after the exchange, long
    (for grouped bars): ``level``, ``indicator`` (short words: the chart says per 100
    pupils), ``when`` (before/after), ``cv`` and the level's ``limit``, each column and word
    in ``lang``; CVs to 3 decimals."""
    rows = []
    balance = exchange.balance
    for (level, indicator), before, after, limit in zip(balance.index, balance["before"], balance["after"],
                                                         balance["limit"], strict=True):
        for when, cv in (("before", before), ("after", after)):
            rows.append({"level": level_name(str(level), lang), "indicator": t(f"app.teachers.indicator.{indicator}", lang),
                         "when": field(when, lang), "cv": round(float(cv), 3), "limit": round(float(limit), 3)})
    return pd.DataFrame(rows, columns=["level", "indicator", "when", "cv", "limit"]).rename(
        columns=lambda c: field(c, lang) if c != "when" else t("app.teachers.when", lang))


def exchange_school_rows(exchange: Exchange, lang: str = "zh", *, words: Mapping[str, str] | None = None
            ) -> pd.DataFrame:
    """Per school taking part: pupils, eligible teachers, sent, received and each teacher
    count before and after, whole numbers, worded in ``lang``."""
    table = exchange.schools.drop(columns="name")
    for column in table.columns:
        table[column] = _whole(table[column])
    return _by_school(localise(table, lang), exchange.schools["name"], lang, words=words)


class Solves:
    """Answers of solves the planner asked for, kept for the session so that a rerun (any
    click) shows them without solving again: each with the layout it was made for (a result,
    compared by identity: results are immutable and computed once per plan) and its
    settings (compared by value). The ``most`` latest are kept."""

    def __init__(self, most: int = 12) -> None:
        self._kept: list[tuple[Result, object, object]] = []
        self._most = most

    def get(self, layout: Result, settings: object) -> object | None:
        """The answer for ``layout`` and ``settings``, or None when not solved yet."""
        return next((answer for kept, asked, answer in self._kept if kept is layout and asked == settings), None)

    def put(self, layout: Result, settings: object, answer: object) -> None:
        """Keep ``answer`` (the latest first)."""
        self._kept = [(layout, settings, answer), *[(k, a, v) for k, a, v in self._kept
                                                     if not (k is layout and a == settings)]][: self._most]


def default_cores(result: Result) -> list[str]:
    """The schools offered as alliance cores at first: the open central primaries and
    nine-year schools (the towns' schools), in the table's order."""
    schools = result.schools
    pick = schools["open"].to_numpy(dtype=bool) & schools["type"].isin(CORE_TYPES).to_numpy()
    return [str(sid) for sid in schools.index[pick]]


@dataclass(frozen=True)
class AllianceRules:
    """Alliances as asked in the app: the ``cores`` given, or ``k`` cores to be chosen;
    fewest and most member schools; longest drive from a member to its core (None: no
    limit); what is made even between them (``"schools"`` or ``"pupils"``)."""

    cores: tuple[str, ...] | None = None
    k: int | None = None
    size: tuple[int, int] = (2, 6)
    max_minutes: float | None = None
    balance: str = "schools"


def form_alliances(result: Result, rules: AllianceRules) -> Alliances | PlanningError:
    """The alliances of ``result``'s open schools for ``rules``, or the error that says why
    there are none (a core with too few schools near it, bad settings)."""
    try:
        return alliances(result, cores=rules.cores, k=rules.k, size=rules.size, max_minutes=rules.max_minutes,
                         balance=rules.balance, seconds=SOLVER_SECONDS)
    except (InfeasibleError, ValidationError) as exc:
        return exc


def alliance_words(found: Alliances, lang: str = "zh") -> str:
    """How close the grouping is to the best, and how even the alliances are (in schools or
    pupils, as balanced)."""
    return t("app.teachers.alliance_solved", lang, solved=solve_words(found.status, found.gap, found.seconds, lang),
             groups=len(found.summary), spread=found.spread_words().text(lang))


def alliance_group_rows(found: Alliances, lang: str = "zh", *, words: Mapping[str, str] | None = None
            ) -> pd.DataFrame:
    """Per alliance, by its core school ("S01 name"): member schools, pupils of the whole
    group and the farthest member's drive in whole minutes, worded in ``lang``."""
    summary = found.summary
    table = pd.DataFrame({"members": summary["members"], "pupils": _whole(summary["pupils"]),
                          "longest_minutes": _whole(summary["longest_minutes"])}, index=summary.index)
    labelled = _by_school(localise(table, lang), summary["name"], lang, words=words)
    labelled.index.name = field("core", lang)
    return labelled


def alliance_school_rows(found: Alliances, lang: str = "zh", *, words: Mapping[str, str] | None = None
            ) -> pd.DataFrame:
    """Per school ("S01 name"): its core school (id and name), its role (core school,
    member, in no alliance), the drive to its core in whole minutes (0 for a core, blank
    for a school in no alliance) and its pupils, worded in ``lang``; alliance by alliance,
    each core first."""
    schools = found.schools
    placed = (schools["role"] != "left_out").to_numpy()
    table = pd.DataFrame({
        "core": (schools["core"].astype(str) + " " + with_names(schools, words or {})["core_name"].astype(str)
                 ).where(placed, ""),
        "role": schools["role"], "drive_minutes": _whole(schools["drive_minutes"]),
        "pupils": _whole(schools["pupils"])}, index=schools.index)
    rank = schools["role"].map({"core": 0, "member": 1, "left_out": 2}).to_numpy()
    order = np.lexsort((schools.index.to_numpy(dtype=str), rank, schools["core"].fillna("~").to_numpy(dtype=str)))
    return _by_school(localise(table, lang), schools["name"], lang, words=words).iloc[order]


def left_out_reasons(result: Result, found: Alliances, rules: AllianceRules, lang: str = "zh") -> list[str]:
    """Each school in no alliance and why: no core of a level it teaches within the drive
    allowed, or the alliances within reach already have their most members."""
    if not found.left_out:
        return []
    project = result.project
    limit = rules.max_minutes if rules.max_minutes is not None else project.policy.max_minutes
    cores = list(found.summary.index)
    minutes = school_drive_minutes(project, rules.max_minutes).loc[found.left_out, cores].to_numpy(dtype=float)
    levels = {str(sid): {lv for lv in LEVELS if set(grades) & set(LEVEL_GRADES[lv])}
              for sid, grades in result.schools["grades"].items()}
    shared = np.array([[bool(levels[sid] & levels[core]) for core in cores] for sid in found.left_out])
    near = np.asarray((shared & (minutes <= limit)).any(axis=1), dtype=bool)  # NaN (no road) is not near
    names = result.schools["name"]
    reasons = []
    for sid, reach in zip(found.left_out, near.tolist(), strict=True):
        school = f"{sid} {names[sid]!s}"
        reasons.append(t("app.teachers.left_out_full", lang, school=school, most=rules.size[1]) if reach else
                       t("app.teachers.left_out_far", lang, school=school, minutes=f"{limit:g}"))
    return reasons


# ---------------------------------------------------------------------- uploads
#: What each kind of upload box accepts (the suffixes its readers read): a project file, a
#: table of points (villages, schools, sites), a road layer or OSM file, a table of rows
#: (enrolment history, births, teacher roster), a DEM (GeoTIFF: heights for the roads).
UPLOAD_SUFFIXES: dict[str, tuple[str, ...]] = {
    "project": (".gpkg",),
    "table": (".csv", ".xlsx", ".geojson", ".gpkg", ".zip"),
    "roads": (".gpkg", ".geojson", ".zip", ".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".bz2"),
    "dem": (".tif", ".tiff"),
    "rows": (".csv", ".xlsx", ".xls"),
}

#: Characters no stored name keeps: control characters and those Windows refuses in names.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
#: Names Windows reserves for devices (``NUL.csv`` is the null device there).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def coords_words(lang: str | None = None) -> dict[str, str]:
    """The coordinate systems a table uploaded may be in (``wgs84``, ``gcj02``, ``bd09``) and
    their names in ``lang``, for the choice beside each table's upload box."""
    return {system: t(f"coords.{system}", lang) for system in COORDS}


def uploaded_project(*, villages: Path, schools: Path, sites: Path | None, roads: Path,
                     coords: Mapping[str, str] | None = None, dem: Path | None = None, name: str | None = None,
                     lang: str = "zh") -> tuple[Project, list[DataWarning]]:
    """The project of a planner's uploaded files (:func:`planning.load.from_files`; ``roads``
    an OSM file when its name says so), their tables in the coordinate systems chosen
    (``coords``: ``villages``, ``schools``, ``sites`` → ``wgs84``, ``gcj02`` or ``bd09``), and
    the data warnings its reading raised to show in the app (among them "these look like
    Amap/Tencent (GCJ-02) coordinates; choose gcj02"); ``dem``, an elevation model
    (:func:`planning.terrain.with_dem`). Validation errors propagate.

    The project is called ``name`` (the county's name the planner typed), or, left blank,
    the catalogue's word for it in ``lang`` (本县 / the county, which titles then show in
    the reader's language: :func:`planning.load.county_name`), not after the villages file,
    whose name says what the table is ("villages", "村庄表") rather than whose it is."""
    is_osm = roads.name.endswith((".pbf", ".osm", ".bz2"))
    called = (name or "").strip() or t("plan_report.county_default", lang)
    return with_data_warnings(lambda: from_files(
        villages=villages, schools=schools, sites=sites, roads=None if is_osm else roads, osm=roads if is_osm else None,
        coords=dict(coords or {}), dem=dem, name=called))


def upload_types(kind: str) -> list[str]:
    """The file types an upload box of ``kind`` offers (Streamlit's ``type=``: last suffixes, no dot)."""
    return sorted({suffix.rsplit(".", 1)[-1] for suffix in UPLOAD_SUFFIXES[kind]})


def upload_name(name: str, *, kind: str) -> str:
    """The name an upload is stored under, made from the name the browser sent: its last
    part only (no folder, ``/`` or ``\\``, no drive), control characters and characters
    Windows refuses replaced by ``_``, no leading dot or space, at most 100 characters
    before the suffix, never a device name of Windows.

    Raises
    ------
    ValidationError
        When the name does not end in a suffix the box reads (:data:`UPLOAD_SUFFIXES`).
    """
    base = _UNSAFE.sub("_", re.split(r"[\\/]", re.sub(r"^[A-Za-z]:", "", name))[-1]).strip(" .")
    suffix = next((s for s in sorted(UPLOAD_SUFFIXES[kind], key=len, reverse=True)
                   if base.lower().endswith(s) and len(base) > len(s)), None)
    if suffix is None:
        shown = os.path.splitext(base)[1] or base
        raise ValidationError(Message("error.file_type", suffix=repr(shown), allowed=Listing(UPLOAD_SUFFIXES[kind])),
                              source=base or None)
    stem = base[: -len(suffix)].strip(" .")[:100] or kind
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"_{stem}"
    return stem + base[-len(suffix):]


class SessionUploads:
    """One browser session's upload folder, inside ``settings.upload_folder``: a folder per
    upload inside it (:func:`store_upload`). The folder goes when its session does (the
    object is dropped with the session's state) or when the server stops, and an app
    starting removes those left behind (:func:`remove_stale_uploads`).

    Attributes
    ----------
    folder
        The session's folder, named ``s<process id>-<random>``.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._remove = weakref.finalize(self, shutil.rmtree, str(folder), ignore_errors=True)

    def touch(self) -> None:
        """Mark the folder as in use now (an app starting keeps folders in use)."""
        with contextlib.suppress(OSError):
            os.utime(self.folder)

    def clear(self) -> None:
        """Remove every upload of the session (the project they made was replaced)."""
        for child in self.folder.iterdir() if self.folder.is_dir() else ():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    def remove(self) -> None:
        """Remove the session's folder now."""
        self._remove()

    def hide(self, text: str) -> str:
        """``text`` (a message naming uploaded files) with the app's folders taken out, so
        that it names each file as the planner named it."""
        return re.sub(re.escape(str(self.folder)) + r"[\\/][0-9a-f]{16}[\\/]", "", text)


def session_uploads() -> SessionUploads:
    """A new upload folder for one browser session, inside ``settings.upload_folder``
    (made readable by this user only)."""
    parent = _upload_parent()
    return SessionUploads(Path(tempfile.mkdtemp(prefix=f"s{os.getpid()}-", dir=parent)))


def _upload_parent() -> Path:
    """``settings.upload_folder``, made if missing; a new private temporary folder instead
    when that is a link or belongs to another user (on a shared machine, somebody else's
    folder is no place for a planner's files)."""
    parent = Path(settings.upload_folder)
    with contextlib.suppress(FileExistsError):
        parent.mkdir(mode=0o700, parents=True)
    own = parent.is_dir() and not parent.is_symlink() and (
        not hasattr(os, "getuid") or parent.stat().st_uid == os.getuid())
    if own:
        return parent
    logging.getLogger(__name__).warning("upload folder %s is not this user's own folder: using a temporary folder", parent)
    return Path(tempfile.mkdtemp(prefix="planning-uploads-"))


def store_upload(name: str, data: bytes, *, session: SessionUploads, kind: str) -> Path:
    """Keep an uploaded file where the app chooses, and return its path: in the session's
    folder, in a folder of its own named by a hash of its name and bytes (the same upload,
    kept again on the script's next run, is the same file, and what was computed from it
    is kept), under :func:`upload_name`. Nothing the browser sends chooses where a file
    lands: ``../../x.csv`` and ``/etc/x.csv`` both become ``x.csv`` in that folder.

    Parameters
    ----------
    name
        The file's name as the browser sent it.
    data
        Its bytes.
    session
        The session's upload folder.
    kind
        What the box reads (a key of :data:`UPLOAD_SUFFIXES`).

    Raises
    ------
    ValidationError
        For a suffix the box does not read, a file larger than ``settings.max_upload_mb``,
        an archive (zip, ``.xlsx``) that fails :func:`planning.io.check_archive`: nothing
        is written then.
    """
    stored = upload_name(name, kind=kind)
    if len(data) > settings.max_upload_mb * MB:
        raise ValidationError(Message("error.upload_too_large", size=megabytes(len(data)),
                                      limit=f"{settings.max_upload_mb:,g}"), source=stored)
    if stored.lower().endswith(tuple(ARCHIVE_SUFFIXES)):
        check_archive(io.BytesIO(data), source=stored)
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass") + b"\0" + data).hexdigest()[:16]
    path = session.folder / digest / stored
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    session.touch()
    return path


def remove_stale_uploads(*, now: float | None = None) -> list[Path]:
    """Remove the session folders of ``settings.upload_folder`` left by an app that stopped
    (on POSIX, its process is gone) or untouched for ``settings.upload_max_age_hours``;
    returns them. An app calls this once when it starts."""
    parent = Path(settings.upload_folder)
    if not parent.is_dir() or parent.is_symlink():
        return []
    now = time.time() if now is None else now
    removed = []
    for child in parent.iterdir():
        found = re.fullmatch(r"s(\d+)-\w+", child.name)
        if found is None or not child.is_dir() or child.is_symlink():
            continue
        with contextlib.suppress(OSError):
            idle_hours = (now - child.stat().st_mtime) / 3600
            if idle_hours > settings.upload_max_age_hours or not _running(int(found[1])):
                shutil.rmtree(child)
                removed.append(child)
    return removed


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (always True where that cannot be asked safely: on
    Windows, ``os.kill`` would end it)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
