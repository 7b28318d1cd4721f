"""The ``planning`` command line.

    planning check --demo
    planning check --villages v.csv --schools s.xlsx --roads roads.gpkg --out results/
    planning check --villages v.csv --schools s.xlsx --teachers roster.xlsx --roads roads.gpkg
    planning check --osm county.osm.pbf --limit 40 --out results/
    planning teachers --demo data/demo/scenarios/consolidate_5.yaml --excel teachers.xlsx
    planning alliances --demo --cores S01,S03 --size 2-6 --max-minutes 40
    planning app [--address 0.0.0.0] [--server.port 8502 ...]   # the browser app (this computer only
                                               # unless --address; streamlit options pass through)
    planning cache info                        # the travel-time cache: where, how many files, how large
    planning cache clear                       # empty it
    planning province make-demo province/ --counties 50   # a synthetic province to try
    planning province run province/province.yaml --workers 2 --out results/province [--resume]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import settings
from .changes import village_changes
from .columns import column_kind
from .coords import COORDS
from .costs import COST_FIGURES
from .errors import DataWarning, InfeasibleError, PlanningError, ValidationError
from .evaluate import Result, compare
from .excel import write_excel
from .forecast import Forecast, forecast
from .i18n import (
    Listing,
    Message,
    field,
    level_name,
    localise,
    place_words,
    plan_name,
    t,
    with_names,
)
from .io import atomic_path, atomic_write_text, megabytes, write_csv, write_gpkg
from .load import (
    DEMO_BIRTHS,
    DEMO_HISTORY,
    DEMO_LABEL,
    county_name,
    demo,
    from_files,
    from_osm,
    is_demo,
    open_project,
    read_roster,
)
from .optimise import GOALS, cost_tradeoff, plan, plot_cost_tradeoff, plot_tradeoff, tradeoff
from .policy import LEVEL_GRADES, Policy, checked_limit
from .project import Project
from .report import (
    chart,
    cost_by_item,
    cost_table,
    excel_report,
    exchange_moves_table,
    plan_report,
    results_gpkg,
    solver_status,
    staffing_table,
    staffing_totals,
    zoning_lines,
)
from .scenario import Scenario, comparable_baseline, evaluate_or_nearest, years_or_nearest
from .schema import read_mapping
from .teachers import Alliances, Exchange, alliances, teacher_exchange
from .terrain import elevation_source
from .timeline import Timeline
from .traveltime import cache_size, clear_cache
from .walkcheck import data_notes, school_reach, walk_check, walk_check_layers, walk_summary


def build_parser() -> argparse.ArgumentParser:
    """The ``planning`` command and its subcommands (check, evaluate, compare, report, optimise, forecast,
    teachers, alliances, app, cache)."""
    parser = argparse.ArgumentParser(prog="planning", description="School layout and catchment planning.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="walk check: who is beyond the walking limit",
                           description="Time every village's walk to its nearest school and list who is "
                                       "beyond the limit. Writes a GeoPackage and CSV files.")
    source = check.add_argument_group("input (one of --demo, --osm alone, or tables with --roads/--osm)")
    source.add_argument("--demo", action="store_true", help="the shipped synthetic demo township")
    source.add_argument("--villages", type=Path, help="villages table (CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile)")
    source.add_argument("--schools", type=Path, help="schools table")
    source.add_argument("--sites", type=Path, help="candidate sites table (optional)")
    _teachers_option(source)
    source.add_argument("--roads", type=Path, help="road layer (lines)")
    source.add_argument("--osm", type=Path, help="OpenStreetMap file (.osm.pbf/.osm/.osm.bz2)")
    _dem_option(source)
    _county_option(source)
    check.add_argument("--policy", type=Path, help="policy YAML (walk limits, speeds, ...)")
    check.add_argument("--limit", type=float, help="one-way walking limit in minutes (default: policy, 40)")
    check.add_argument("--crs", help="CRS of tables that do not state one, e.g. EPSG:4547")
    _coords_options(check)
    check.add_argument("--road-class", help="column of the road layer holding the road class")
    check.add_argument("--encoding", help="text encoding of CSV/Shapefile tables (default: UTF-8, then GBK)")
    check.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    _lang_option(check)

    evaluate = sub.add_parser("evaluate", help="evaluate a scenario file against today's layout",
                              description="Apply a scenario's edits, assign every pupil and report walks, "
                                          "loads, classes and balance, beside today's layout.")
    evaluate.add_argument("--scenario", type=Path, required=True, help="scenario file (YAML or JSON)")
    compare = sub.add_parser("compare", help="compare scenario files side by side",
                             description="Evaluate several scenarios and show their figures side by side, "
                                         "with today's layout first.")
    compare.add_argument("scenarios", type=Path, nargs="+", help="scenario files (YAML or JSON)")
    _report_parser(sub)
    optimise = sub.add_parser("optimise", help="recommend which schools to keep, close or open (exact MILP)",
                              description="Solve a location-allocation model with HiGHS and write the answer "
                                          "as a scenario, evaluated against today.")
    _project_options(optimise)
    optimise.add_argument("--goal", choices=list(GOALS), default="fewest_schools")
    optimise.add_argument("--level", choices=["primary", "junior"], default="primary")
    optimise.add_argument("--p", type=int, help="number of schools (p_median, max_coverage)")
    optimise.add_argument("--budget", type=float, metavar="YUAN",
                          help="most the plan may spend once: renovation of schools kept, sites opened, "
                               "buses and beds bought (yuan)")
    optimise.add_argument("--transport", action="store_true",
                          help="with least_cost: buy school buses and boarding beds where a village beyond "
                               "every walk costs less to carry or board than a school to keep")
    optimise.add_argument("--limit", type=float, help="walking limit (minutes; default: the policy's)")
    optimise.add_argument("--keep", nargs="*", default=[], help="school ids that must stay open")
    optimise.add_argument("--close", nargs="*", default=[], help="school ids that must close")
    optimise.add_argument("--no-sites", action="store_true", help="do not open candidate sites")
    optimise.add_argument("--tradeoff", action="store_true",
                          help="also the trade-off curve (table and plot): over p; for least_cost, the cost "
                               "against the walking limit")
    optimise.add_argument("--limits", type=float, nargs="+", default=[20, 25, 30, 35, 40, 45, 50, 60],
                          metavar="MIN", help="walking limits of the least-cost trade-off (minutes)")
    optimise.add_argument("--solver-seconds", "--time-limit", type=float, default=60.0, dest="solver_seconds",
                          help="time limit of each solve (seconds)")
    optimise.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    optimise.add_argument("--quiet", action="store_true", help="no progress bar")
    _forecast_options(optimise, horizon=None)
    optimise.add_argument("--phased", action="store_true",
                          help="with --horizon and fewest_schools: close and open schools year by year")
    _lang_option(optimise)
    fc = sub.add_parser("forecast", help="forecast pupils by village and grade, and today's layout over the years",
                        description="Forecast enrolment from an enrolment history and births (cohort survival, "
                                    "entry ratios, a town-ward drift), then evaluate today's layout in every year: "
                                    "pupils, classes, large classes, the year each school becomes small-scale.")
    _project_options(fc)
    _forecast_options(fc)
    fc.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    _lang_option(fc)
    _teachers_parser(sub)
    _alliances_parser(sub)
    _province_parser(sub)
    app = sub.add_parser("app", help="open the browser app on the demo township (a warm Streamlit server)",
                         description="Load the app's modules and the demo first, then run `streamlit run "
                                     "streamlit_app.py`; any further options go to Streamlit. It listens on "
                                     "this computer only unless --address (or --server.address) says otherwise.")
    app.add_argument("--address", default=None,
                     help="where to listen (default 127.0.0.1: this computer only; 0.0.0.0: every network "
                          "interface, with NO login: put a reverse proxy with a password in front, see the README)")
    cache = sub.add_parser("cache", help="the travel-time cache: its folder and size, or empty it",
                           description="Travel-time matrices are kept on disk (settings.cache_folder, "
                                       "PLANNING_CACHE) up to settings.cache_max_mb (PLANNING_CACHE_MAX_MB), "
                                       "those used longest ago removed first.")
    cache.add_argument("action", choices=["info", "clear"], help="info: folder, files and size; clear: remove them")
    _lang_option(cache)
    for command in (evaluate, compare):
        _project_options(command)
        command.add_argument("--assignment", choices=["nearest", "zoned", "split"], default="nearest",
                             help="nearest school, or zoning whole villages under capacity (MILP), or split (LP)")
        command.add_argument("--solver-seconds", "--time-limit", type=float, default=60.0, dest="solver_seconds",
                             help="time limit of the zoning solver (seconds)")
        command.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
        command.add_argument("--year", type=int, help="evaluate in this year of the forecast instead of today")
        costs = command.add_argument_group("costs (default: the policy's cost settings, 10 years at 8 %%)")
        costs.add_argument("--costs", action="store_true",
                           help="print each plan's costs by item beside today's, and each layout's cost sheet by "
                                "school: one-off, yearly and present value (yuan)")
        costs.add_argument("--horizon-years", type=int, metavar="YEARS",
                           help="years over which costs are counted (present value; also in the figures and the "
                                "Excel report)")
        costs.add_argument("--discount", metavar="RATE",
                           help="discount rate a year for the present value, e.g. 0.08 or 8%%")
        _forecast_options(command, horizon=None)
        _lang_option(command)
    return parser


def _report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "report", help="the plan report (PDF) for the county government",
        description="Evaluate scenario files against today's layout and write the plan report: cover, the "
                    "decision in one paragraph, figures before and after, maps of today and the plan side by "
                    "side, villages and pupils affected, schools, balance, costs, assumptions and sources.")
    command.add_argument("--scenario", type=Path, nargs="+", required=True, help="scenario file(s) (YAML or JSON)")
    _project_options(command)
    _assignment_options(command)
    command.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    command.add_argument("--paper", choices=["A4", "A3"], default="A4", help="paper, landscape (default: A4)")
    command.add_argument("--unit", metavar="TEXT", help="who prepared the report (the mapping unit), printed on the cover")
    _forecast_options(command, horizon=None)
    _lang_option(command)


def _teachers_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "teachers", help="staffing today and after plans, and a teacher exchange",
        description="Teachers needed by the staffing norms against the teachers each school has, today and after "
                    "each scenario (merged schools' teachers move with their pupils), and the year's teacher "
                    "exchange that narrows the schools' differences the most (exact MILP), proposed for the "
                    "first scenario (today's layout without one).")
    command.add_argument("scenarios", type=Path, nargs="*", help="scenario files (YAML or JSON); none: today only")
    _project_options(command)
    _assignment_options(command)
    group = command.add_argument_group("teacher exchange (default: the policy's rules, 10 % and 20 %)")
    group.add_argument("--share", help="share of the eligible teachers who rotate, e.g. 0.1 or 10%%")
    group.add_argument("--key-share", help="least share of key teachers among those who rotate, e.g. 0.2 or 20%%")
    group.add_argument("--max-minutes", type=float, help="longest drive between the two schools of a move (minutes)")
    group.add_argument("--send-only", type=_ids, default=[], metavar="S01,S02", help="schools that only send teachers")
    group.add_argument("--receive-only", type=_ids, default=[], metavar="S01,S02",
                       help="schools that only receive teachers")
    group.add_argument("--level", choices=["primary", "junior"], help="only schools teaching this level take part")
    group.add_argument("--no-exchange", action="store_true", help="staffing only, no exchange")
    command.add_argument("--excel", type=Path, metavar="OUT.xlsx",
                         help="also write an Excel workbook: each layout's sheets with its staffing, and the exchange")
    _lang_option(command)


def _alliances_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "alliances", help="school alliances: member schools grouped around core schools by road",
        description="Group the open schools around core schools (given, or the best k chosen), each core with "
                    "2-6 member schools within a drive of it, the groups' pupils as even as can be (exact MILP), "
                    "for today's layout or the scenario's.")
    command.add_argument("scenario", type=Path, nargs="?", help="a scenario file (YAML or JSON); none: today")
    _project_options(command)
    _assignment_options(command)
    command.add_argument("--cores", type=_ids, metavar="S01,S03", help="the core schools")
    command.add_argument("--k", type=int, help="number of alliances, their cores chosen (instead of --cores)")
    command.add_argument("--candidates", type=_ids, metavar="S01,S02", help="with --k: schools that may be cores")
    command.add_argument("--balance", choices=["schools", "pupils"], default="schools",
                         help="balance the alliances' schools (default) or pupils")
    command.add_argument("--size", default="2-6", help="fewest and most member schools besides the core (default 2-6)")
    command.add_argument("--max-minutes", type=float, help="longest drive from a member to its core (minutes)")
    command.add_argument("--excel", type=Path, metavar="OUT.xlsx",
                         help="also write an Excel workbook: the layout's sheets, the alliances and their schools")
    _lang_option(command)


def _province_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser("province", help="a whole province: every county of a manifest on a Dask cluster",
                             description="Run every county of a province manifest (YAML or CSV) as a Dask task: walk "
                                         "check, today and every plan, written per county as it finishes; then the "
                                         "province summary (Excel) and map (HTML, PDF).")
    action = command.add_subparsers(dest="action", required=True)
    run = action.add_parser("run", help="run the counties of a manifest")
    run.add_argument("manifest", type=Path, help="province manifest (YAML or CSV), one entry per county")
    run.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786 "
                                                            "(default: a local cluster for this run)")
    run.add_argument("--workers", type=int, help="worker processes of the local cluster (default 2)")
    run.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    run.add_argument("--resume", action="store_true", help="skip the counties whose results are already whole")
    run.add_argument("--map-figure", default="pupils_beyond_limit", help="figure the province map is coloured by")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    _lang_option(run)
    demo_province = action.add_parser("make-demo", help="write a synthetic province for trying (the demo, moved)")
    demo_province.add_argument("folder", type=Path, help="folder for the manifest and the counties' files")
    demo_province.add_argument("--counties", type=int, default=50, help="number of counties (default 50)")
    demo_province.add_argument("--osm", type=Path, help="an OpenStreetMap file: every third county on its real roads")
    demo_province.add_argument("--seed", type=int, default=2026, help="seed of the random draws")
    _lang_option(demo_province)


def run_province(args: argparse.Namespace) -> int:
    """`planning province run|make-demo`: every county of a manifest on Dask (1 when a
    county failed), or a synthetic province to try it on."""
    from . import province

    lang = args.lang
    if args.action == "make-demo":
        manifest = province.make_demo_province(args.folder, counties=args.counties, osm=args.osm, seed=args.seed)
        print(t("province.made_demo", lang, n=args.counties, manifest=manifest))
        return 0
    spec = province.read_manifest(args.manifest)
    table = province.run(spec, out=args.out, resume=args.resume, workers=args.workers, scheduler=args.scheduler,
                         lang=lang, map_figure=args.map_figure, progress=not args.quiet)
    failed = table[table["status"] != "done"]
    shown = ["status", "villages", "pupils", "pupils_beyond_limit", "unserved", "boarders", "classroom_shortfall",
             "cv_verdict", "plans"]
    with _console():
        print(t("province.heading", lang, title=spec.name, n=len(table), done=len(table) - len(failed),
                failed=len(failed)) + "\n")
        print(province.worded(table[shown], lang).round(0).to_string(index=False))
    for county, row in failed.iterrows():
        print(t("province.failed_line", lang, county=county, message=row["message"]), file=sys.stderr)
    files = [args.out / name for name in ("province.xlsx", "province_map.html", "province_map.pdf")]
    print("\n" + t("cli.wrote", lang, files=Listing(files)))
    return 1 if len(failed) else 0


def _assignment_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--assignment", choices=["nearest", "zoned", "split"], default="nearest",
                         help="nearest school, or zoning whole villages under capacity (MILP), or split (LP)")
    command.add_argument("--solver-seconds", "--time-limit", type=float, default=60.0, dest="solver_seconds",
                         help="time limit of each solve (seconds)")


def _ids(text: str) -> list[str]:
    """School ids from one option: ``S01,S02`` (commas, Chinese commas or spaces)."""
    return [part for part in re.split(r"[,\uff0c\u3001\s]+", text) if part]


def _forecast_options(command: argparse.ArgumentParser, *, horizon: int | None = 10) -> None:
    group = command.add_argument_group("forecast (the demo's history and births with --demo)")
    group.add_argument("--history", type=Path, help="enrolment history (year, village id, pupils of grades 1–9; Chinese headers too), CSV or Excel")
    group.add_argument("--births", type=Path, help="births by village and year (year, village id, births; Chinese headers too), CSV or Excel")
    group.add_argument("--horizon", type=int, default=horizon,
                       help="years to forecast after today" + ("" if horizon else "; each plan is also evaluated "
                                                               "year by year"))
    group.add_argument("--variant", choices=["low", "medium", "high"], default="medium",
                       help="birth trend and town-ward drift (default: medium)")
    group.add_argument("--drift", type=float, help="share of village pupils moving to the town each year (0 = none)")


def _teachers_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--teachers", type=Path,
                       help="teacher roster, one row per teacher (school id, years at the school, key teacher; "
                            "Chinese headers too), CSV or Excel (optional); its counts replace the schools "
                            "table's teacher figures")


def _coords_options(group: argparse._ArgumentGroup | argparse.ArgumentParser) -> None:
    """``--coords`` for the villages, schools and sites tables at once, ``--village-coords``,
    ``--school-coords``, ``--site-coords`` and ``--road-coords`` for one file each."""
    systems = "wgs84 (GPS, Tianditu, OSM), gcj02 (Amap, Tencent) or bd09 (Baidu)"
    group.add_argument("--coords", choices=COORDS, help=f"longitude/latitude of the villages, schools and sites "
                                                        f"tables: {systems}; converted to WGS84 (default: wgs84)")
    for table, what in (("village", "villages"), ("school", "schools"), ("site", "sites"), ("road", "road layer")):
        group.add_argument(f"--{table}-coords", choices=COORDS, help=f"the same for the {what} only (wins over --coords)")


def _coords_given(args: argparse.Namespace) -> str | dict[str, str]:
    """``from_files``'s ``coords`` from the options: one system, or one per file named."""
    each = {kind: getattr(args, f"{option}_coords", None) for kind, option in (
        ("villages", "village"), ("schools", "school"), ("sites", "site"), ("roads", "road"))}
    common = getattr(args, "coords", None) or "wgs84"
    if not any(each.values()):
        return common
    return {kind: given or (common if kind != "roads" else "wgs84") for kind, given in each.items()}


def _lang_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--lang", choices=["zh", "en"], default="zh",
                         help="language of what is printed and written: tables, notes, messages, the Excel "
                              "report (default: zh)")


def _dem_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--dem", type=Path, metavar="FILE",
                       help="digital elevation model (GeoTIFF, any CRS, metres) giving the roads of --roads/--osm "
                            "heights where they have none, so walking speeds follow the slope")


def _county_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--county", metavar="NAME",
                       help="the county's name on reports and maps of a project read from files (default: the "
                            "villages file's name, or 'the county' where that only names a table: villages.csv)")


def _project_options(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("project (default: the scenario file's `project:` entry)")
    group.add_argument("--demo", action="store_true", help="the shipped synthetic demo township")
    group.add_argument("--project", type=Path, help="a project GeoPackage saved by planning")
    group.add_argument("--villages", type=Path)
    group.add_argument("--schools", type=Path)
    group.add_argument("--sites", type=Path)
    _teachers_option(group)
    group.add_argument("--roads", type=Path)
    group.add_argument("--osm", type=Path)
    _dem_option(group)
    _county_option(group)
    group.add_argument("--policy", type=Path)
    group.add_argument("--crs")
    _coords_options(group)
    group.add_argument("--road-class")
    group.add_argument("--encoding")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for bad input)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    lang = getattr(args, "lang", settings.language)
    if extra and args.command != "app":  # only the app passes options on (to Streamlit)
        parser.error(t("cli.only_app_options", lang, args=" ".join(extra)))
    commands = {"check": run_check, "evaluate": run_scenarios, "compare": run_scenarios, "optimise": run_optimise,
                "forecast": run_forecast, "teachers": run_teachers, "alliances": run_alliances, "cache": run_cache,
                "province": run_province, "report": run_report}
    before = settings.language
    settings.language = lang  # progress bars and anything worded without a language
    try:
        if args.command == "app":
            from .serve import main as serve

            return serve(extra, address=args.address)
        with warnings.catch_warnings(record=True) as caught:  # data warnings, in the planner's language
            warnings.simplefilter("always", DataWarning)
            try:
                _check_limits(args)
                return commands[args.command](args)
            finally:
                for warning in caught:
                    if isinstance(warning.message, DataWarning):
                        print(t("cli.warning", lang, message=warning.message.text(lang)), file=sys.stderr)
                    else:
                        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    except PlanningError as exc:
        print(t("cli.error", lang, message=exc.text(lang)), file=sys.stderr)
        return 2
    finally:
        settings.language = before


def _check_limits(args: argparse.Namespace) -> None:
    """Refuse a ``--limit`` or ``--limits`` outside the sensible range of walking limits
    (:func:`planning.policy.checked_limit`) before any file is read."""
    for option in ("limit", "limits"):
        given = getattr(args, option, None)
        for minutes in given if isinstance(given, list) else [given]:
            if minutes is not None:
                checked_limit(minutes, source=f"--{option}")


def _load(args: argparse.Namespace, step: Callable[[str], None]) -> Project:
    """The project the options name; ``--teachers`` gives it a teacher roster (in place of a
    saved project's or the demo's)."""
    project = _load_project(args, step)
    if args.teachers:
        project = project.with_roster(read_roster(args.teachers, project, encoding=args.encoding))
    return project


def _load_project(args: argparse.Namespace, step: Callable[[str], None]) -> Project:
    policy = Policy.from_yaml(args.policy) if args.policy else None
    if getattr(args, "dem", None) and (args.demo or getattr(args, "project", None)):
        raise SystemExit(t("cli.dem_needs_roads", args.lang, file=args.dem.name))
    if getattr(args, "project", None):
        step(t("cli.reading", name=args.project.name))
        opened = open_project(args.project)
        return opened.project if policy is None else opened.project.with_policy(policy)
    if args.demo:
        step(t("cli.reading_demo"))
        return demo(policy=policy)
    if args.osm and not args.villages:
        step(t("cli.reading", name=args.osm.name))
        return from_osm(args.osm, policy=policy, dem=args.dem, name=_county(args))
    if not (args.villages and args.schools and (args.roads or args.osm)):
        raise SystemExit(t("cli.needs_input"))
    step(t("cli.reading_tables"))
    return from_files(villages=args.villages, schools=args.schools, roads=args.roads, osm=args.osm,
                      sites=args.sites, policy=policy, crs=args.crs, road_class=args.road_class,
                      encoding=args.encoding, dem=args.dem, coords=_coords_given(args), name=_county(args))


def _county(args: argparse.Namespace) -> str | None:
    """The county's name typed with ``--county`` (None when blank or not given)."""
    return (getattr(args, "county", None) or "").strip() or None


def run_cache(args: argparse.Namespace) -> int:
    """`planning cache info|clear`: the travel-time cache's folder, files and size, or empty it."""
    folder = str(settings.cache_folder)
    if args.action == "clear":
        files, n_bytes = clear_cache()
        print(t("cli.cache_cleared", args.lang, folder=folder, files=files, size=megabytes(n_bytes)))
    else:
        files, n_bytes = cache_size()
        print(t("cli.cache_info", args.lang, folder=folder, files=files, size=megabytes(n_bytes),
                limit=f"{settings.cache_max_mb:,g}"))
    return 0


def run_check(args: argparse.Namespace) -> int:
    """`planning check`: the walk check, printed and written as GeoPackage and CSV."""
    bar = tqdm(total=5, desc=t("progress.check"), unit=t("progress.step"), disable=args.quiet, file=sys.stderr)

    def step(text: str) -> None:
        bar.set_postfix_str(text)

    settings.progress = not args.quiet
    project = _load(args, step)
    bar.update()
    step(t("cli.network"))
    project.network.chains()
    bar.update()
    step(t("cli.travel_times"))
    project.travel_times()
    bar.update()
    step(t("cli.walk_check"))
    check = walk_check(project, args.limit)
    summary = walk_summary(project, args.limit)
    reach = school_reach(project, args.limit, lang=args.lang)
    bar.update()
    step(t("cli.writing"))
    args.out.mkdir(parents=True, exist_ok=True)
    gpkg = write_gpkg(walk_check_layers(project, check, summary, reach), args.out / "walk_check.gpkg")
    write_csv(check, args.out / "walk_check.csv")
    write_csv(summary, args.out / "walk_summary.csv")
    write_csv(reach, args.out / "school_reach.csv")
    files = [gpkg, args.out / "walk_check.csv", args.out / "walk_summary.csv", args.out / "school_reach.csv"]
    notes = data_notes(project, args.lang)
    if len(notes) > NOTES_SHOWN:  # too many to print: all of them in a file
        atomic_write_text(args.out / "data_notes.txt", "\n".join(notes) + "\n")
        files.append(args.out / "data_notes.txt")
    bar.update()
    bar.close()
    print(format_report(project, check, summary, lang=args.lang, notes=notes, table_file=files[1], notes_file=files[-1]))
    print("\n" + t("cli.wrote", args.lang, files=Listing(files)))
    return 0


#: `planning check` prints every village of a table up to this many; of a longer one, the
#: :data:`WORST_SHOWN` with the longest walks (every village is in walk_check.csv).
ROWS_SHOWN = 60
WORST_SHOWN = 30
#: Notes on the data printed at most; all of them are written to data_notes.txt beyond.
NOTES_SHOWN = 30


def format_report(project: Project, check: pd.DataFrame, summary: pd.DataFrame, *, lang: str = "zh",
                  notes: list[str] | None = None, table_file: Path | str = "walk_check.csv",
                  notes_file: Path | str = "data_notes.txt") -> str:
    """The walk check as text tables in ``lang``: per level the villages, longest walks first,
    then the summary and notes on the data.

    A table of more than :data:`ROWS_SHOWN` villages shows the :data:`WORST_SHOWN` with the
    longest walks (those out of reach first) and a line saying how many there are and that
    every village is in ``table_file``; of more than :data:`NOTES_SHOWN` notes (``notes``:
    :func:`planning.walkcheck.data_notes` when None), the first are shown and a line says how
    many more are in ``notes_file``. A county of a million villages prints a page, not
    two million lines.
    """
    notes = data_notes(project, lang) if notes is None else notes
    with _console():
        net = project.network.summary()
        lines = [county_name(project, lang), t("cli.network_line", lang, source=net["source"], nodes=f"{net['nodes']:,}",
                                      km=net["km"], pieces=net["pieces"],
                                      elevation=t("cli.with_elevation", lang) if net["has_elevation"] else ""),
                 t("elevation.line", lang, source=elevation_source(project.network, lang))]
        if project.network.attribution:
            lines.append(t("cli.road_data", lang, attribution=t("osm_attribution", lang)))
        for level in ("primary", "junior"):
            limit = float(summary["limit_min"].astype(float)[level])
            cols = ["name", f"{level}_pupils", f"{level}_school_name", f"{level}_minutes", f"{level}_status"]
            table = check[cols].rename(columns={c: c.removeprefix(f"{level}_") for c in cols})
            table = table.rename(columns={"status": "walk_status"})
            table = table.sort_values("minutes", ascending=False, na_position="first")
            lines += ["", t("cli.level_heading", lang, level=level_name(level, lang), limit=f"{limit:g}")]
            if len(table) > ROWS_SHOWN:
                lines.append(t("cli.rows_cut", lang, n=f"{len(table):,}", shown=WORST_SHOWN, path=table_file))
                table = table.head(WORST_SHOWN)
            lines.append(localise(table.round(1), lang).to_string())
        lines += ["", t("cli.summary", lang), localise(summary.round(3), lang).to_string()]
        if notes:
            lines += ["", t("cli.notes", lang)] + [f"  - {n}" for n in notes[:NOTES_SHOWN]]
        if len(notes) > NOTES_SHOWN:
            lines.append(t("cli.notes_cut", lang, n=f"{len(notes) - NOTES_SHOWN:,}", path=notes_file))
    return "\n".join(lines)


def _console() -> pd.option_context:
    """Pandas options for tables printed on a console, Chinese characters counted double."""
    return pd.option_context("display.unicode.east_asian_width", True, "display.width", 200,
                             "display.max_rows", 500, "display.max_columns", 20)


def _scenario_project(args: argparse.Namespace, paths: list[Path]) -> Project:
    """The project named on the command line, or by the first scenario file's ``project:``."""
    if args.demo or args.project or args.villages or args.osm:
        return _load(args, lambda text: None)
    project = _entry_project(paths[0], county=_county(args))
    if args.teachers:
        project = project.with_roster(read_roster(args.teachers, project, encoding=args.encoding))
    return project


def _named_project(args: argparse.Namespace, paths: list[Path]) -> Project:
    """The project of the options, else of the first scenario file, else the demo."""
    if paths:
        return _scenario_project(args, paths)
    if args.demo or args.project or args.villages or args.osm:
        return _load(args, lambda text: None)
    project = demo()
    if args.teachers:
        project = project.with_roster(read_roster(args.teachers, project, encoding=args.encoding))
    return project


def _entry_project(path: Path, *, county: str | None = None) -> Project:
    """The project a scenario file's ``project:`` names: the demo, a project file, or files
    (with ``coords: gcj02``, or ``coords: {villages: gcj02}``, for tables read off a web map;
    ``name:`` or ``county`` — ``--county`` — the county's name)."""
    entry = read_mapping(path, what="scenario").get("project") if path.exists() else None
    if entry in ("demo", DEMO_LABEL) or entry is None:
        return demo()
    if isinstance(entry, str) and entry.endswith(".gpkg"):
        return open_project((path.parent / entry).resolve()).project
    if isinstance(entry, dict):  # file paths relative to the scenario file; `coords:` a system (or one per file)
        files = {k: v if k in ("coords", "name") else (path.parent / v).resolve() for k, v in entry.items()}
        return from_files(**{**files, **({"name": county} if county else {})})
    raise SystemExit(t("cli.unknown_project", path=path))


def _forecast(args: argparse.Namespace, project: Project, *, horizon: int) -> Forecast:
    """The forecast the options ask for (the demo's history and births for the demo)."""
    history, births = args.history, args.births
    if history is None and is_demo(project):
        history, births = DEMO_HISTORY, births or DEMO_BIRTHS
    return forecast(project, history, births=births, horizon=horizon, variant=args.variant, drift=args.drift,
                    lang=args.lang)


def run_forecast(args: argparse.Namespace) -> int:
    """`planning forecast`: pupils by year, and today's layout over the years."""
    lang = args.lang
    project = _load(args, lambda text: None) if (args.demo or args.project or args.villages or args.osm) else demo()
    predicted = _forecast(args, project, horizon=args.horizon)
    timeline = Scenario(project, t("today", lang)).evaluate_years(predicted)
    pupils = predicted.pupils
    totals = pd.DataFrame({level: pupils[[f"grade_{g}" for g in grades]].sum(axis=1).groupby(level="year").sum()
                           for level, grades in LEVEL_GRADES.items()}).rename(columns=lambda c: f"{c}_pupils")
    years = timeline.summary[["schools_open", "pupils_beyond_limit", "boarders", "large_classes", "small_schools"]]
    small = timeline.small_from().dropna().astype(int)
    args.out.mkdir(parents=True, exist_ok=True)
    with _console():
        print(t("cli.forecast_heading", lang, project=county_name(project, lang), first=predicted.years[0], last=predicted.years[-1],
                variant=t(f"forecast.variant.{predicted.variant}", lang)))
        print("\n" + localise(predicted.assumptions.set_index("setting"), lang).to_string())
        if predicted.backtest is not None:
            print("\n" + t("cli.backtest", lang) + "\n" + localise(predicted.backtest.round(1), lang).to_string())
        print("\n" + localise(totals.join(years).round(0), lang).to_string())
        if len(small):
            names = project.schools["name"]
            print("\n" + t("cli.small_from", lang) + "\n" + "\n".join(
                f"  {sid} {names.get(sid, '')}: {year}" for sid, year in small.items()))
    csv = args.out / f"forecast_{predicted.variant}.csv"
    write_csv(pupils.round(2), csv)
    excel = excel_report(project, [timeline.results[predicted.base_year]], args.out / f"forecast_{predicted.variant}.xlsx",
                         lang=lang, timelines=[timeline])
    print("\n" + t("cli.wrote", lang, files=Listing([csv, excel])))
    return 0


def run_scenarios(args: argparse.Namespace) -> int:
    """`planning evaluate` and `planning compare`: scenario files against today's layout
    (or in ``--year`` of the forecast), and with ``--horizon`` year by year."""
    paths = [args.scenario] if args.command == "evaluate" else list(args.scenarios)
    project = _with_cost_options(_scenario_project(args, paths), args)
    predicted = None
    if args.year is not None or args.horizon:
        predicted = _forecast(args, project, horizon=max(args.horizon or 0, 1))
        if args.year is not None and args.year > predicted.years[-1]:  # a later year: forecast that far
            predicted = _forecast(args, project, horizon=args.year - predicted.base_year)
        if args.year is not None:
            project = project.in_year(predicted, args.year)
    scenarios = [Scenario.from_file(p, project) for p in paths]
    today, fallback = comparable_baseline(project, args.assignment, solver_seconds=args.solver_seconds)
    evaluated = [evaluate_or_nearest(s, args.assignment, solver_seconds=args.solver_seconds) for s in scenarios]
    results = [result for result, _ in evaluated]
    table = compare(today, *results)
    args.out.mkdir(parents=True, exist_ok=True)
    lang = args.lang
    with _console():
        print(t("cli.against_today", lang, project=county_name(project, lang), plans=Listing([s.name for s in scenarios]),
                assignment=t(f"assignment.{today.assignment}", lang)) + "\n")
        for line in _fallback_lines(fallback, [(s.name, why) for s, (_, why) in zip(scenarios, evaluated, strict=True)],
                                    lang=lang):
            print(line + "\n")
        if args.year is not None:
            print(t("cli.in_year", lang, year=args.year) + "\n")
        print(localise(summary_text(table), lang).to_string())
        sys.stdout.write("".join(line + "\n" for line in zoning_lines((today, *results), lang)))
        for scenario, result in zip(scenarios, results, strict=True):
            print("\n" + t("cli.changes", lang, name=scenario.name) + "\n" + localise(scenario.log(lang), lang).to_string())
            changes = village_changes(today, result)
            moved = changes[changes["outcome"] != "same"]
            if len(moved):
                shown = moved[["name", "pupils", "school_before", "school_after", "mode_before", "mode_after", "change",
                               "outcome"]].round(1)
                print("\n" + t("cli.affected", lang, n=len(moved)) + "\n" + localise(shown, lang).to_string())
            for note in result.explain(lang):
                print(f"  - {note}")
        if args.costs:
            print("\n" + format_costs(today, results, lang=lang))
    timelines = []
    if predicted is not None and args.horizon:
        timelines = [_years_or_nearest(s, predicted, args.assignment, solver_seconds=args.solver_seconds, lang=lang)
                     for s in scenarios]
        with _console():
            for timeline in timelines:
                shown = timeline.summary[["pupils", "schools_open", "pupils_beyond_limit", "boarders", "large_classes",
                                          "small_schools"]]
                print("\n" + t("cli.over_the_years", lang, name=timeline.name) + "\n"
                      + localise(shown.round(0), lang).to_string())
    stem = "compare" if args.command == "compare" else file_stem(scenarios[0].name)
    excel = excel_report(project, [today, *results], args.out / f"{stem}.xlsx", lang=lang, timelines=timelines)
    write_csv(table, args.out / f"{stem}_summary.csv")
    gpkg = results_gpkg(project, results, args.out / f"{stem}.gpkg")
    print("\n" + t("cli.wrote", lang, files=Listing([excel, gpkg, args.out / f"{stem}_summary.csv"])))
    return 0


def run_report(args: argparse.Namespace) -> int:
    """`planning report`: scenario files against today's layout, as the plan report (PDF)."""
    paths = list(args.scenario)
    project = _scenario_project(args, paths)
    scenarios = [Scenario.from_file(p, project) for p in paths]
    today, fallback = comparable_baseline(project, args.assignment, solver_seconds=args.solver_seconds)
    evaluated = [evaluate_or_nearest(s, args.assignment, solver_seconds=args.solver_seconds) for s in scenarios]
    results = [result for result, _ in evaluated]
    for line in _fallback_lines(fallback, [(s.name, why) for s, (_, why) in zip(scenarios, evaluated, strict=True)],
                                lang=args.lang):
        print(line)
    timelines = []
    if args.horizon:  # today's layout and each plan over the forecast years
        predicted = _forecast(args, project, horizon=args.horizon)
        timelines = [_years_or_nearest(s, predicted, args.assignment, solver_seconds=args.solver_seconds,
                                       lang=args.lang) for s in [Scenario(project, "today"), *scenarios]]
    args.out.mkdir(parents=True, exist_ok=True)
    stem = file_stem(scenarios[0].name) if len(scenarios) == 1 else "plans"
    path = plan_report(project, [today, *results], args.out / f"{stem}_report.pdf", lang=args.lang, paper=args.paper,
                       unit=args.unit, timelines=timelines, county=_county(args))
    print(t("cli.wrote", args.lang, files=Listing([path])))
    return 0


def _fallback_lines(today: InfeasibleError | None, plans: Sequence[tuple[str, InfeasibleError | None]], *,
                    lang: str) -> list[str]:
    """Notes on what was evaluated by nearest school instead of as asked, and why: today's
    layout, and each plan that cannot be zoned (too few seats): it is still answered."""
    lines = [] if today is None else [t("cli.today_fallback", lang, reason=today.text(lang))]
    return lines + [t("cli.plan_fallback", lang, name=name, reason=why.text(lang)) for name, why in plans
                    if why is not None]


def _years_or_nearest(scenario: Scenario, predicted: Forecast, assignment: str, *, solver_seconds: float,
                      lang: str) -> Timeline:
    """:func:`planning.scenario.years_or_nearest`, printing why where it fell back to the
    nearest school."""
    timeline, exc = years_or_nearest(scenario, predicted, assignment, solver_seconds=solver_seconds)
    if exc is not None:
        print("\n" + t("cli.years_fallback", lang, name=scenario.name, reason=exc.text(lang)))
    return timeline


def _with_cost_options(project: Project, args: argparse.Namespace) -> Project:
    """The project with the years and discount rate of ``--horizon-years`` and ``--discount``
    as its policy's ``cost_horizon`` and ``cost_discount_rate`` (unchanged without them), so
    that every figure, table and file of the run counts costs alike."""
    changes: dict[str, object] = {}
    if args.horizon_years is not None:
        changes["cost_horizon"] = args.horizon_years
    if args.discount is not None:
        changes["cost_discount_rate"] = _share(args.discount)
    return project.with_policy(project.policy.replace(**changes)) if changes else project


def summary_text(table: pd.DataFrame) -> pd.DataFrame:
    """A comparison (:func:`planning.evaluate.compare`) as printed: a row of whole numbers
    (schools, pupils, …) as whole numbers, coefficients of variation to three decimals (the
    limits are 0.50 and 0.45), other figures to one decimal, never in scientific notation;
    the cost figures in whole yuan with thousands separators; blank when unknown."""
    shown = table.astype(object).copy()
    for row in table.index:
        values = pd.to_numeric(table.loc[row], errors="coerce").to_numpy(dtype=float)
        known = values[np.isfinite(values)]
        if row in COST_FIGURES:
            shown.loc[row] = [_yuan(v) for v in table.loc[row]]
        else:
            whole = len(known) and np.allclose(known, np.round(known))
            digits = 0 if whole else 3 if column_kind(row) == "cv" else 1
            shown.loc[row] = [f"{v:,.{digits}f}" if np.isfinite(v) else "" for v in values]
    return shown


def _yuan(value: object) -> str:
    """Whole yuan with thousands separators; blank when unknown."""
    number = float(value)  # type: ignore[arg-type]
    return "" if math.isnan(number) else f"{number:,.0f}"


def format_costs(today: Result, results: Sequence[Result], *, lang: str) -> str:
    """The costs as text in ``lang``: for each plan its costs by item beside today's
    (:func:`planning.report.cost_by_item`), then each layout's cost sheet by school, today's
    first (:func:`planning.report.cost_table`), in whole yuan with thousands separators; over
    the policy's ``cost_horizon`` at its ``cost_discount_rate``."""
    policy = today.project.policy
    years, rate = policy.cost_horizon, f"{policy.cost_discount_rate:.0%}"
    lines: list[str] = []
    with _console():
        for result in results:
            table = cost_by_item(today, result, lang)
            lines += [t("cli.costs_by_item", lang, plan=plan_name(result.name, lang), years=years, rate=rate),
                      table.map(_yuan).to_string(), ""]
        for result in [today, *results]:
            sheet = cost_table(result, lang)
            money = sheet.select_dtypes("number").columns.drop(field("quantity", lang))
            shown = sheet.astype(object).where(sheet.notna(), "")
            shown[money] = sheet[money].map(_yuan)
            shown[field("quantity", lang)] = sheet[field("quantity", lang)].map(lambda v: "" if v != v else f"{v:,g}")
            lines += [t("cli.cost_sheet", lang, name=plan_name(result.name, lang)), shown.to_string(), ""]
    return "\n".join(lines).rstrip()


def run_teachers(args: argparse.Namespace) -> int:
    """`planning teachers`: staffing today and after each scenario, per school and in the
    county, and the teacher exchange proposed for the first scenario (or today)."""
    lang = args.lang
    paths = list(args.scenarios)
    project = _named_project(args, paths)
    share, key_share = _share(args.share), _share(args.key_share)  # before any solving
    scenarios = [Scenario.from_file(p, project) for p in paths]
    today, fallback = comparable_baseline(project, args.assignment, solver_seconds=args.solver_seconds)
    results = [evaluate_or_nearest(s, args.assignment, solver_seconds=args.solver_seconds)[0] for s in scenarios]
    shown = ["name", "status", "pupils", "classes", "teachers_today", "moved", "teachers", "teachers_needed", "surplus",
             "to_place"]
    with _console():
        print(t("cli.teachers_heading", lang, project=county_name(project, lang),
                plans=Listing([plan_name(r.name, lang) for r in [today, *results]])) + "\n")
        if fallback is not None:
            print(t("cli.today_fallback", lang, reason=fallback.text(lang)) + "\n")
        print(t("cli.staffing_totals", lang) + "\n" + localise(staffing_totals(today, *results), lang).to_string())
        for result in [today, *results]:
            columns = shown if result.edits else [c for c in shown if c not in ("teachers_today", "moved", "to_place")]
            print("\n" + t("cli.staffing_of", lang, name=plan_name(result.name, lang)) + "\n"
                  + staffing_table(result, lang, columns=columns).to_string())
    exchange = None
    if not args.no_exchange:
        target = results[0] if results else today
        exchange = teacher_exchange(target, share=share, key_share=key_share, max_minutes=args.max_minutes,
                                    send_only=args.send_only, receive_only=args.receive_only, level=args.level,
                                    seconds=args.solver_seconds)
        policy = project.policy
        print("\n" + format_exchange(exchange, name=plan_name(target.name, lang), lang=lang,
                                     share=policy.exchange_share if share is None else share,
                                     key_share=policy.exchange_key_share if key_share is None else key_share,
                                     max_minutes=args.max_minutes))
    if args.excel:
        excel = excel_report(project, [today, *results], args.excel, lang=lang, exchange=exchange)
        print("\n" + t("cli.wrote", lang, files=Listing([excel])))
    return 0


def _share(text: str | None) -> float | None:
    """A share from the command line: ``0.1`` or ``10%``; None when not given."""
    if text is None:
        return None
    try:
        value = float(text.strip().removesuffix("%")) / (100 if text.strip().endswith("%") else 1)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise ValidationError(Message("cli.bad_share", value=text))
    return value


def _percent(share: float) -> str:
    return f"{100 * share:.4g}%"


def format_exchange(exchange: Exchange, *, name: str, lang: str, share: float, key_share: float,
                    max_minutes: float | None = None) -> str:
    """A teacher exchange as text in ``lang``: the quota, the solver's status and gap, who
    moves where, and the coefficients of variation before → after."""
    lines = [t("cli.exchange_heading", lang, name=name),
             t("cli.exchange_quota", lang, eligible=exchange.eligible, share=_percent(share), quota=exchange.quota,
               key_share=_percent(key_share), key_quota=exchange.key_quota)]
    if max_minutes is not None:
        lines.append(t("cli.exchange_drive", lang, minutes=f"{max_minutes:g}"))
    lines.append(t("cli.solver_line", lang, status=solver_status(exchange.status, lang), gap=f"{exchange.gap:.1%}",
                   seconds=f"{exchange.seconds:.1f}"))
    if len(exchange.moves):
        lines += ["", t("cli.exchange_moves", lang), exchange_moves_table(exchange, lang).reset_index().to_string(index=False)]
    else:
        lines.append(t("cli.exchange_no_moves", lang))
    lines += ["", t("cli.exchange_cv", lang)]
    for indicator in exchange.cv_before.index:
        label = field("teachers_per_100" if indicator == "teachers" else indicator, lang)
        lines.append(t("cli.cv_line", lang, indicator=label, before=f"{exchange.cv_before[str(indicator)]:.3f}",
                       after=f"{exchange.cv_after[str(indicator)]:.3f}"))
    if len(exchange.balance):
        lines += ["", t("cli.exchange_balance", lang)]
        balance = exchange.balance.reset_index()
        for level, indicator, before, after, limit in balance[["level", "indicator", "before", "after", "limit"]].itertuples(
                index=False):
            lines.append(t("cli.cv_limit_line", lang, level=level_name(str(level), lang), indicator=field(indicator, lang),
                           before=f"{before:.3f}", after=f"{after:.3f}", limit=f"{limit:g}"))
    lines += [f"  - {note}" for note in exchange.explain(lang)]
    return "\n".join(lines)


def run_alliances(args: argparse.Namespace) -> int:
    """`planning alliances`: school alliances around core schools, for today's layout or a
    scenario's."""
    lang = args.lang
    paths = [args.scenario] if args.scenario else []
    project = _named_project(args, paths)
    size = _size(args.size)
    if paths:
        layout, _ = evaluate_or_nearest(Scenario.from_file(paths[0], project), args.assignment,
                                        solver_seconds=args.solver_seconds)
    else:
        layout, _ = comparable_baseline(project, args.assignment, solver_seconds=args.solver_seconds)
    answer = alliances(layout, cores=args.cores, k=args.k, size=size, max_minutes=args.max_minutes,
                       candidates=args.candidates, balance=args.balance, seconds=args.solver_seconds)
    print(format_alliances(answer, project=county_name(project, lang), name=plan_name(layout.name, lang), lang=lang))
    if args.excel:
        excel = excel_report(project, [layout], args.excel, lang=lang, alliances=answer)
        print("\n" + t("cli.wrote", lang, files=Listing([excel])))
    return 0


def _size(text: str) -> tuple[int, int]:
    """Fewest and most member schools: ``2-6`` (or ``2–6``, ``2,6``), or one number for both."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[-\u2013~,\uff0c]\s*(\d+)\s*)?", text)
    if match is None:
        raise ValidationError(Message("cli.bad_size", value=text))
    lo = int(match[1])
    return lo, int(match[2]) if match[2] else lo


def format_alliances(answer: Alliances, *, project: str, name: str, lang: str) -> str:
    """Alliances as text in ``lang``: each core with its member schools and their drives,
    the spread of the groups (schools or pupils, as balanced), schools left out and the solver's status."""
    lines = [t("cli.alliances_heading", lang, project=project, name=name)]
    schools = answer.schools
    for core, group in answer.summary.iterrows():
        lines.append("")
        lines.append(t("cli.alliance_group", lang, core=core, name=group["name"], members=int(group["members"]),
                       pupils=f"{group['pupils']:.0f}", longest=f"{group['longest_minutes']:.0f}"))
        members = schools[(schools["core"] == core) & (schools["role"] == "member")].sort_values("drive_minutes")
        lines += [t("cli.alliance_member", lang, id=sid, name=row["name"], minutes=f"{row['drive_minutes']:.0f}",
                    pupils=f"{row['pupils']:.0f}") for sid, row in members.iterrows()]
    lines += ["", answer.spread_words().text(lang)]
    if answer.left_out:
        names = schools["name"]
        lines.append(t("cli.alliance_left_out", lang, ids=Listing([f"{sid} {names[sid]}" for sid in answer.left_out],
                                                                  sep="sep.names")))
    lines.append(t("cli.solver_line", lang, status=solver_status(answer.status, lang), gap=f"{answer.gap:.1%}",
                   seconds=f"{answer.seconds:.1f}"))
    return "\n".join(lines)


def file_stem(name: str) -> str:
    """A plan's name as the start of a file name: characters that file systems refuse
    (``<>:"/\\|?*`` and control characters) become ``_``, as do dots and spaces at the ends."""
    stem = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", name)
    return re.sub(r"^[. ]+|[. ]+$", lambda m: "_" * len(m.group()), stem) or "_"


def run_optimise(args: argparse.Namespace) -> int:
    """`planning optimise`: an exact plan, written as a scenario and evaluated against today."""
    settings.progress = not args.quiet
    lang = args.lang
    if args.goal not in ("fewest_schools", "least_cost") and args.p is None:
        print(t("cli.error", lang, message=t("cli.needs_p", lang, goal=args.goal)), file=sys.stderr)
        return 2
    project = _load(args, lambda text: None) if (args.demo or args.project or args.villages or args.osm) else demo()
    predicted = _forecast(args, project, horizon=args.horizon) if args.horizon else None
    option = plan(project, args.goal, level=args.level, p=args.p, limit=args.limit, keep=args.keep,
                  close=args.close, sites=not args.no_sites, solver_seconds=args.solver_seconds,
                  forecast=predicted, phased=args.phased and predicted is not None, budget=args.budget,
                  transport=args.transport)
    result = option.scenario.evaluate("zoned", solver_seconds=args.solver_seconds)
    today, _ = comparable_baseline(project, "zoned", solver_seconds=args.solver_seconds)
    table = compare(today, result)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"plan_{args.goal}_{args.level}"
    option.scenario.to_file(args.out / f"{stem}.yaml")
    report = localise(pd.DataFrame([option.report()]), lang)
    decisions = option.columns.rename_axis(index=str(option.columns.index.name or "school_id"))  # the id column headed
    sheets = {t("report.solver", lang): report, t("report.decisions", lang): localise(decisions, lang),
              t("report.summary", lang): localise(table, lang), t("report.villages", lang): localise(result.villages, lang),
              t("report.schools", lang): localise(result.schools, lang)}
    written = [args.out / f"{stem}.yaml", args.out / f"{stem}.xlsx"]
    with _console():
        print(t("cli.plan_heading", lang, project=county_name(project, lang), goal=t(f"goal.{args.goal}", lang),
                level=level_name(args.level, lang), limit=f"{option.limit:g}"))
        print(report.T.to_string(header=False))
        print("\n" + localise(option.columns.round(0), lang).to_string())
        for note in option.explain(lang):
            print(f"  - {note}")
        print("\n" + t("cli.evaluated", lang, assignment=t(f"assignment.{today.assignment}", lang)) + "\n"
              + localise(table, lang).to_string())
        if args.tradeoff:
            written += _tradeoff(args, project, option.limit, sheets)
    words = place_words(project, lang)  # pinyin in English
    write_excel({name: with_names(sheet, words) for name, sheet in sheets.items()}, args.out / f"{stem}.xlsx", lang=lang)
    print("\n" + t("cli.wrote", lang, files=Listing(written)))
    return 0


def _tradeoff(args: argparse.Namespace, project: Project, limit: float, sheets: dict[str, pd.DataFrame]) -> list[Path]:
    """`optimise --tradeoff`: the curve over p, or for least_cost the cost against the walking
    limit (:func:`planning.optimise.cost_tradeoff`, buses and beds with ``--transport``);
    printed, a sheet of the workbook, a CSV and a PNG."""
    lang = args.lang
    if args.goal == "least_cost":
        curve = cost_tradeoff(project, level=args.level, limits=args.limits, sites=not args.no_sites,
                              transport=args.transport, solver_seconds=args.solver_seconds)
        stem, draw = f"cost_tradeoff_{args.level}", lambda ax, lg: plot_cost_tradeoff(curve, ax=ax, lang=lg)
    else:
        curve = tradeoff(project, level=args.level, limit=limit, sites=not args.no_sites,
                         solver_seconds=args.solver_seconds)
        stem, draw = f"tradeoff_{args.level}", lambda ax, lg: plot_tradeoff(curve, ax=ax, limit=limit, lang=lg)
    print("\n" + t("cli.tradeoff", lang) + "\n" + localise(curve.round(2), lang).to_string())
    write_csv(curve, args.out / f"{stem}.csv")
    sheets[t("report.tradeoff", lang)] = localise(curve, lang)
    figure = chart(draw, lang=lang)
    with atomic_path(args.out / f"{stem}.png") as tmp:
        figure.savefig(tmp, dpi=150, format="png")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return [args.out / f"{stem}.csv", args.out / f"{stem}.png"]


if __name__ == "__main__":
    raise SystemExit(main())
