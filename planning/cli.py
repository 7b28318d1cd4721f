"""The ``planning`` command line.

    planning check --demo
    planning check --villages v.csv --schools s.xlsx --roads roads.gpkg --out results/
    planning check --osm county.osm.pbf --limit 40 --out results/
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .errors import PlanningError


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for bad input)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args)
    except PlanningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1


def _load(args: argparse.Namespace, step) -> object:
    from . import demo
    from .policy import Policy
    from .project import Project

    policy = Policy.from_yaml(args.policy) if args.policy else None
    if args.demo:
        step("reading the demo township")
        return demo(policy=policy)
    if args.osm and not args.villages:
        step(f"reading {args.osm.name}")
        return Project.from_osm(args.osm, policy=policy)
    if not (args.villages and args.schools and (args.roads or args.osm)):
        raise SystemExit("planning check: give --demo, --osm FILE, or --villages, --schools and --roads/--osm")
    step("reading tables and roads")
    return Project.from_files(villages=args.villages, schools=args.schools, roads=args.roads, osm=args.osm,
                              sites=args.sites, policy=policy, crs=args.crs, road_class=args.road_class,
                              encoding=args.encoding)


def run_check(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import settings
    from .io import write_csv, write_gpkg

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
    check = project.walk_check(args.limit)
    summary = project.walk_summary(args.limit)
    reach = project.school_reach(args.limit)
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


def format_report(project, check: pd.DataFrame, summary: pd.DataFrame) -> str:
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
        notes = project.data_notes()
        if notes:
            lines += ["", "notes on the data:"] + [f"  - {n}" for n in notes]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
