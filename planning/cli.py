"""The ``planning`` command line.

    planning check --demo
    planning check --villages v.csv --schools s.xlsx --roads roads.gpkg --out results/
    planning check --osm county.osm.pbf --limit 40 --out results/
    planning app [--server.port 8502 ...]      # the browser app (streamlit options pass through)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from . import settings
from .errors import PlanningError
from .evaluate import compare, village_changes
from .io import write_csv, write_excel, write_gpkg
from .load import DEMO_LABEL, demo, from_files, from_osm, open_project
from .optimise import plan, plot_tradeoff, tradeoff
from .policy import Policy
from .project import Project
from .report import excel_report, results_gpkg
from .scenario import Scenario, comparable_baseline
from .schema import read_mapping
from .walkcheck import data_notes, school_reach, walk_check, walk_summary


def build_parser() -> argparse.ArgumentParser:
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
    source.add_argument("--roads", type=Path, help="road layer (lines)")
    source.add_argument("--osm", type=Path, help="OpenStreetMap file (.osm.pbf/.osm/.osm.bz2)")
    check.add_argument("--policy", type=Path, help="policy YAML (walk limits, speeds, ...)")
    check.add_argument("--limit", type=float, help="one-way walking limit in minutes (default: policy, 40)")
    check.add_argument("--crs", help="CRS of tables that do not state one, e.g. EPSG:4547")
    check.add_argument("--road-class", help="column of the road layer holding the road class")
    check.add_argument("--encoding", help="text encoding of CSV/Shapefile tables (default: UTF-8, then GBK)")
    check.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    check.add_argument("--quiet", action="store_true", help="no progress bar")

    evaluate = sub.add_parser("evaluate", help="evaluate a scenario file against today's layout",
                              description="Apply a scenario's edits, assign every pupil and report walks, "
                                          "loads, classes and balance, beside today's layout.")
    evaluate.add_argument("--scenario", type=Path, required=True, help="scenario file (YAML or JSON)")
    compare = sub.add_parser("compare", help="compare scenario files side by side",
                             description="Evaluate several scenarios and show their figures side by side, "
                                         "with today's layout first.")
    compare.add_argument("scenarios", type=Path, nargs="+", help="scenario files (YAML or JSON)")
    optimise = sub.add_parser("optimise", help="recommend which schools to keep, close or open (exact MILP)",
                              description="Solve a location-allocation model with HiGHS and write the answer "
                                          "as a scenario, evaluated against today.")
    _project_options(optimise)
    optimise.add_argument("--goal", choices=["fewest_schools", "p_median", "max_coverage"], default="fewest_schools")
    optimise.add_argument("--level", choices=["primary", "junior"], default="primary")
    optimise.add_argument("--p", type=int, help="number of schools (p_median, max_coverage)")
    optimise.add_argument("--limit", type=float, help="walking limit (minutes; default: the policy's)")
    optimise.add_argument("--keep", nargs="*", default=[], help="school ids that must stay open")
    optimise.add_argument("--close", nargs="*", default=[], help="school ids that must close")
    optimise.add_argument("--no-sites", action="store_true", help="do not open candidate sites")
    optimise.add_argument("--tradeoff", action="store_true", help="also the trade-off curve over p (table and plot)")
    optimise.add_argument("--solver-seconds", "--time-limit", type=float, default=60.0, dest="solver_seconds",
                          help="time limit of each solve (seconds)")
    optimise.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    optimise.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("app", help="open the browser app on the demo township (a warm Streamlit server)",
                   description="Load the app's modules and the demo first, then run `streamlit run "
                               "streamlit_app.py`; any further options go to Streamlit.")
    for command in (evaluate, compare):
        _project_options(command)
        command.add_argument("--assignment", choices=["nearest", "zoned", "split"], default="nearest",
                             help="nearest school, or zoning whole villages under capacity (MILP), or split (LP)")
        command.add_argument("--solver-seconds", "--time-limit", type=float, default=60.0, dest="solver_seconds",
                             help="time limit of the zoning solver (seconds)")
        command.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
        command.add_argument("--lang", choices=["zh", "en"], default="zh",
                             help="language of the Excel report: sheet names, headers, words (default: zh)")
    return parser


def _project_options(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("project (default: the scenario file's `project:` entry)")
    group.add_argument("--demo", action="store_true", help="the shipped synthetic demo township")
    group.add_argument("--project", type=Path, help="a project GeoPackage saved by planning")
    group.add_argument("--villages", type=Path)
    group.add_argument("--schools", type=Path)
    group.add_argument("--sites", type=Path)
    group.add_argument("--roads", type=Path)
    group.add_argument("--osm", type=Path)
    group.add_argument("--policy", type=Path)
    group.add_argument("--crs")
    group.add_argument("--road-class")
    group.add_argument("--encoding")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for bad input)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "app":  # only the app passes options on (to Streamlit)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "check":
            return run_check(args)
        if args.command in ("evaluate", "compare"):
            return run_scenarios(args)
        if args.command == "optimise":
            return run_optimise(args)
        if args.command == "app":
            from .serve import main as serve

            return serve(extra)
    except PlanningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1


def _load(args: argparse.Namespace, step: Callable[[str], None]) -> Project:
    policy = Policy.from_yaml(args.policy) if args.policy else None
    if getattr(args, "project", None):
        step(f"reading {args.project.name}")
        opened = open_project(args.project)
        return opened.project if policy is None else opened.project.with_policy(policy)
    if args.demo:
        step("reading the demo township")
        return demo(policy=policy)
    if args.osm and not args.villages:
        step(f"reading {args.osm.name}")
        return from_osm(args.osm, policy=policy)
    if not (args.villages and args.schools and (args.roads or args.osm)):
        raise SystemExit("planning check: give --demo, --osm FILE, or --villages, --schools and --roads/--osm")
    step("reading tables and roads")
    return from_files(villages=args.villages, schools=args.schools, roads=args.roads, osm=args.osm,
                      sites=args.sites, policy=policy, crs=args.crs, road_class=args.road_class,
                      encoding=args.encoding)


def run_check(args: argparse.Namespace) -> int:
    """`planning check`: the walk check, printed and written as GeoPackage and CSV."""
    steps = ["load", "network", "travel times", "walk check", "write"]
    bar = tqdm(total=len(steps), desc="planning check", unit="step", disable=args.quiet, file=sys.stderr)

    def step(text: str) -> None:
        bar.set_postfix_str(text)

    settings.progress = not args.quiet
    project = _load(args, step)
    bar.update()
    step("walking network")
    project.network.chains()
    bar.update()
    step("travel times")
    project.travel_times()
    bar.update()
    step("walk check")
    check = walk_check(project, args.limit)
    summary = walk_summary(project, args.limit)
    reach = school_reach(project, args.limit)
    bar.update()
    step("writing results")
    args.out.mkdir(parents=True, exist_ok=True)
    villages = project.villages[["geometry"]].join(check)
    schools = project.schools[["geometry", "name", "type", "capacity", "beds"]].join(reach.drop(columns=["name", "type"]))
    layers = {"villages": villages, "schools": schools, "summary": summary.reset_index(),
              "roads": project.network.to_gdf().to_crs(4326)}
    gpkg = write_gpkg(layers, args.out / "walk_check.gpkg")
    write_csv(check, args.out / "walk_check.csv")
    write_csv(summary, args.out / "walk_summary.csv")
    write_csv(reach, args.out / "school_reach.csv")
    bar.update()
    bar.close()
    print(format_report(project, check, summary))
    print(f"\nwrote {gpkg}, {args.out / 'walk_check.csv'}, {args.out / 'walk_summary.csv'}, "
          f"{args.out / 'school_reach.csv'}")
    return 0


def format_report(project: Project, check: pd.DataFrame, summary: pd.DataFrame) -> str:
    """The walk check as text tables: villages beyond the limit first, then the summary."""
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 200,
                           "display.max_rows", 500, "display.max_columns", 20):
        lines = [f"{project.name}", f"network: {project.network.summary()}"]
        if project.network.attribution:
            lines.append(f"road data {project.network.attribution}")
        for level in ("primary", "junior"):
            limit = summary.loc[level, "limit_min"]
            cols = ["name", f"{level}_pupils", f"{level}_school_name", f"{level}_minutes", f"{level}_status"]
            table = check[cols].rename(columns=lambda c, lv=level: c.removeprefix(f"{lv}_"))
            table = table.sort_values("minutes", ascending=False, na_position="first")
            lines += ["", f"{level}: walk to the nearest school (limit {limit:g} min one way)",
                      table.round(1).to_string()]
        lines += ["", "summary", summary.round(3).to_string()]
        notes = data_notes(project)
        if notes:
            lines += ["", "notes on the data:"] + [f"  - {n}" for n in notes]
    return "\n".join(lines)


def _scenario_project(args: argparse.Namespace, paths: list[Path]) -> Project:
    """The project named on the command line, or by the first scenario file's ``project:``."""
    if args.demo or args.project or args.villages or args.osm:
        return _load(args, lambda text: None)
    entry = read_mapping(paths[0], what="scenario").get("project") if paths[0].exists() else None
    if entry in ("demo", DEMO_LABEL) or entry is None:
        return demo()
    if isinstance(entry, str) and entry.endswith(".gpkg"):
        return open_project((paths[0].parent / entry).resolve()).project
    if isinstance(entry, dict):
        files = {k: (paths[0].parent / v).resolve() for k, v in entry.items()}
        return from_files(**files)
    raise SystemExit(f"planning: cannot tell the project of {paths[0]}; give --demo, --project or the tables")


def run_scenarios(args: argparse.Namespace) -> int:
    """`planning evaluate` and `planning compare`: scenario files against today's layout."""
    paths = [args.scenario] if args.command == "evaluate" else list(args.scenarios)
    project = _scenario_project(args, paths)
    scenarios = [Scenario.from_file(p, project) for p in paths]
    today, fallback = comparable_baseline(project, args.assignment)
    results = [s.evaluate(args.assignment, solver_seconds=args.solver_seconds) for s in scenarios]
    table = compare(today, *results)
    args.out.mkdir(parents=True, exist_ok=True)
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 200,
                           "display.max_rows", 500, "display.max_columns", 20):
        print(f"{project.name}: {', '.join(s.name for s in scenarios)} against today ({today.assignment})\n")
        if fallback is not None:
            print(f"note: today's layout cannot be zoned ({fallback}); it is shown with nearest-school "
                  "assignment\n")
        print(table.to_string())
        for scenario, result in zip(scenarios, results, strict=True):
            print(f"\n{scenario.name}: changes\n{scenario.log().to_string()}")
            changes = village_changes(today, result)
            moved = changes[changes["outcome"] != "same"]
            if len(moved):
                print(f"\nvillages affected ({len(moved)}):\n" + moved[["name", "pupils", "school_before",
                      "school_after", "mode_before", "mode_after", "change", "outcome"]].round(1).to_string())
            for note in result.explanations:
                print(f"  - {note}")
    stem = "compare" if args.command == "compare" else scenarios[0].name
    excel = excel_report(project, [today, *results], args.out / f"{stem}.xlsx", lang=args.lang)
    write_csv(table, args.out / f"{stem}_summary.csv")
    gpkg = results_gpkg(project, results, args.out / f"{stem}.gpkg")
    print(f"\nwrote {excel}, {gpkg}, {args.out / f'{stem}_summary.csv'}")
    return 0


def run_optimise(args: argparse.Namespace) -> int:
    """`planning optimise`: an exact plan, written as a scenario and evaluated against today."""
    settings.progress = not args.quiet
    if args.goal != "fewest_schools" and args.p is None:
        print(f"error: --goal {args.goal} needs --p, the number of schools to open", file=sys.stderr)
        return 2
    project = _load(args, lambda text: None) if (args.demo or args.project or args.villages or args.osm) else demo()
    option = plan(project, args.goal, level=args.level, p=args.p, limit=args.limit, keep=args.keep,
                  close=args.close, sites=not args.no_sites, solver_seconds=args.solver_seconds)
    result = option.scenario.evaluate("zoned", solver_seconds=args.solver_seconds)
    today, _ = comparable_baseline(project, "zoned")
    table = compare(today, result)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"plan_{args.goal}_{args.level}"
    option.scenario.to_file(args.out / f"{stem}.yaml")
    sheets = {"solver": pd.DataFrame([option.report()]), "decisions": option.columns, "summary": table,
              "villages": result.villages, "schools": result.schools}
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 200, "display.max_rows", 200):
        print(f"{project.name}: {args.goal} for {args.level}, limit {option.limit:g} min")
        print(pd.Series(option.report()).to_string())
        print("\n" + option.columns.round(0).to_string())
        for note in option.notes:
            print(f"  - {note}")
        print(f"\nevaluated (zoned) against today ({today.assignment}):\n" + table.to_string())
        if args.tradeoff:
            curve = tradeoff(project, level=args.level, limit=option.limit, sites=not args.no_sites,
                             solver_seconds=args.solver_seconds)
            print("\ntrade-off:\n" + curve.round(2).to_string())
            write_csv(curve, args.out / f"tradeoff_{args.level}.csv")
            sheets["trade-off"] = curve
            _save_plot(curve, option.limit, args.out / f"tradeoff_{args.level}.png")
    write_excel(sheets, args.out / f"{stem}.xlsx")
    print(f"\nwrote {args.out / (stem + '.yaml')}, {args.out / (stem + '.xlsx')}"
          + (f", {args.out / f'tradeoff_{args.level}.png'}" if args.tradeoff else ""))
    return 0


def _save_plot(curve: pd.DataFrame, limit: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_tradeoff(curve, limit=limit)
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=150)


if __name__ == "__main__":
    raise SystemExit(main())
