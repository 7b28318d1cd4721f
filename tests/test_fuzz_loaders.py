"""Fuzz test over the loaders (issue 15, item 4): every broken file either loads or is refused
with the package's own error naming the file, in Chinese and English; never a raw library
exception, a crash or a hang.

For each supported format a small valid file is written, then damaged in ways fixed by a
seed: cut at random lengths, random bytes overwritten, and, for tables, random cells made bad
(text in number columns, NaN, negative, huge, infinite, empty, full-width digits, an id
repeated). Each case runs in a forked child with a time limit, so that a hang or a crash of a
C library is a failure named with its case, not a stuck test run. The counts per format
(tried, loaded, refused) are printed and checked.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import planning
from planning.errors import PlanningError
from planning.io import read_table
from planning.load import read_roads
from planning.validation import validate_villages

from .helpers import CRS, X0, Y0, project_on_line

#: Seconds a case may take before it counts as a hang (the slowest valid case takes 0.3 s).
CASE_SECONDS = 10.0
#: Damaged copies of each file: cuts, byte flips, and (tables) bad cells.
CUTS, FLIPS, CELLS = 16, 36, 16
SEED = 15

BAD_CELLS = ("abc", "NaN", "-5", "1e300", "", " ", "inf", "-inf", "１２", "12.5.3", "None", "#N/A", "0x1F", "1,2")
VILLAGE_COLUMNS = ("村编号", "村名", "x", "y", "小学生数", "初中生数")


@dataclass
class Case:
    """One file to load and the loader that reads it, as the package's entry points do."""

    fmt: str
    name: str
    path: Path
    load: Callable[[Path], object]


# ---------------------------------------------------------------------- the valid files
def tiny() -> planning.Project:
    return project_on_line({"V1": {"x": 0, "primary": 10, "junior": 5}, "V2": {"x": 900, "primary": 20, "junior": 8}},
                           {"S1": {"x": 100, "type": "nine_year"}, "S2": {"x": 800, "type": "village_primary"}})


def village_frame(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"村编号": [f"V{i}" for i in range(n)], "村名": [f"村{i}" for i in range(n)],
                         "x": [X0 + 100.0 * i for i in range(n)], "y": [Y0] * n,
                         "小学生数": [10 + i for i in range(n)], "初中生数": [5] * n})


def village_points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(frame["x"], frame["y"]),
                            crs=CRS)


def load_table(path: Path) -> object:
    """A villages table read and checked as :func:`planning.from_files` reads it."""
    return validate_villages(read_table(path, crs=CRS), source=str(path))


def osm_xml() -> str:
    nodes = "".join(f'<node id="{i}" lat="{28 + i / 1000:.4f}" lon="111.0" version="1"/>\n' for i in range(2, 6))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
            '<node id="1" lat="28.0" lon="111.0" version="1"><tag k="place" v="village"/><tag k="name" v="甲村"/>'
            '<tag k="population" v="500"/></node>\n' + nodes +
            '<node id="9" lat="28.005" lon="111.0" version="1"><tag k="amenity" v="school"/>'
            '<tag k="name" v="甲村小学"/></node>\n'
            '<way id="10" version="1">' + "".join(f'<nd ref="{i}"/>' for i in range(1, 6)) +
            '<tag k="highway" v="track"/></way>\n</osm>\n')


def valid_files(folder: Path, project: planning.Project) -> list[Case]:
    """One valid file of every supported format, and the loader of each."""
    frame = village_frame()
    cases: list[Case] = []

    def add(fmt: str, name: str, load: Callable[[Path], object]) -> Path:
        path = folder / name
        cases.append(Case(fmt, name, path, load))
        return path

    frame.to_csv(add("csv", "villages.csv", load_table), index=False, encoding="utf-8")
    frame.to_excel(add("xlsx", "villages.xlsx", load_table), index=False)
    village_points(frame).to_file(add("gpkg", "villages.gpkg", load_table))
    village_points(frame).to_file(add("geojson", "villages.geojson", load_table))
    shp = folder / "shp"
    shp.mkdir()
    village_points(frame).rename(columns={"小学生数": "primary", "初中生数": "junior"}).to_file(
        shp / "villages.shp", encoding="utf-8")
    with zipfile.ZipFile(add("shp.zip", "villages_shp.zip", load_table), "w") as archive:
        for part in shp.iterdir():
            archive.write(part, part.name)
    roads = gpd.GeoDataFrame({"道路等级": ["村道", "乡道"]}, crs=CRS, geometry=[
        shapely.LineString([(X0, Y0), (X0 + 1000, Y0)]), shapely.LineString([(X0 + 1000, Y0), (X0 + 2000, Y0 + 50)])])
    roads.to_file(add("roads.gpkg", "roads.gpkg", lambda p: read_roads(p, crs=CRS)))
    xml = add("osm.xml", "county.osm", planning.from_osm)
    xml.write_text(osm_xml(), encoding="utf-8")
    pbf = add("osm.pbf", "county.osm.pbf", planning.from_osm)
    import osmium

    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    scenario = (planning.Scenario(project, "合并").merge("S2", into="S1").add_beds("S1", 20))
    scenario.to_file(add("scenario", "plan.yaml", lambda p: planning.Scenario.from_file(p, project)))
    project.policy.replace(walk_limit_minutes={"primary": 30, "junior": 40}).to_yaml(add("policy", "policy.yaml", planning.Policy.from_yaml))
    planning.save_project(add("project", "county.gpkg", planning.open_project), project, scenarios=[scenario])
    return cases


# ---------------------------------------------------------------------- damage
def damaged(case: Case, folder: Path, rng: random.Random) -> list[Case]:
    """Cut and byte-flipped copies of a case's file (and bad cells for tables), named by what was done."""
    data = case.path.read_bytes()
    out: list[Case] = []

    def write(label: str, content: bytes) -> None:
        path = folder / f"{label}_{case.name}"
        path.write_bytes(content)
        out.append(Case(case.fmt, path.name, path, case.load))

    for i in range(CUTS):
        write(f"cut{i}at{(at := rng.randrange(len(data)))}", data[:at])
    for i in range(FLIPS):
        flipped = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 8))):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        write(f"flip{i}", bytes(flipped))
    if case.fmt in ("csv", "xlsx", "gpkg", "geojson"):
        for i in range(CELLS):
            frame = village_frame().astype(object)
            for _ in range(rng.choice((1, 1, 2))):
                column, row = rng.choice(VILLAGE_COLUMNS), rng.randrange(len(frame))
                if rng.random() < 0.15:
                    frame.loc[row, "村编号"] = frame.loc[(row + 1) % len(frame), "村编号"]  # an id twice
                else:
                    frame.loc[row, column] = rng.choice(BAD_CELLS)
            path = folder / f"cells{i}_{case.name}"
            if case.fmt == "csv":
                frame.to_csv(path, index=False, encoding="utf-8")
            elif case.fmt == "xlsx":
                frame.to_excel(path, index=False)
            else:
                xs, ys = pd.to_numeric(frame["x"], errors="coerce"), pd.to_numeric(frame["y"], errors="coerce")
                xs, ys = xs.where(np.isfinite(xs), X0), ys.where(np.isfinite(ys), Y0)  # a bad cell, not a bad point
                points = gpd.GeoDataFrame(frame.drop(columns=["x", "y"]).astype(str), crs=CRS,
                                          geometry=gpd.points_from_xy(xs, ys))
                points.to_file(path)
            out.append(Case(case.fmt, path.name, path, case.load))
    return out


# ---------------------------------------------------------------------- running a case
def outcome(case: Case) -> dict[str, str]:
    """What loading a case gives: loaded, refused (with the message in both languages), or raw."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.load(case.path)
    except PlanningError as exc:
        return {"kind": "refused", "en": exc.text("en"), "zh": exc.text("zh")}
    except Exception as exc:  # noqa: BLE001 - what the test is looking for
        return {"kind": "raw", "error": f"{type(exc).__name__}: {exc}"[:500],
                "trace": traceback.format_exc()[-3000:]}
    return {"kind": "loaded"}


#: The cases the pool's workers run, set before the pool forks them (lambdas do not pickle).
_CASES: list[Case] = []


def _outcome_of(index: int) -> dict[str, str]:
    return outcome(_CASES[index])


def run_all(cases: list[Case], *, seconds: float = CASE_SECONDS, workers: int = 2) -> list[dict[str, str]]:
    """:func:`outcome` of every case in forked workers: a case not answered within ``seconds``
    of its turn (a hang, or a worker killed by a crash) is reported as such, its pool is ended
    and the cases left run in a new one."""
    global _CASES
    _CASES = cases
    results: list[dict[str, str] | None] = [None] * len(cases)
    context = multiprocessing.get_context("fork")
    while any(r is None for r in results):
        pending = [i for i, r in enumerate(results) if r is None]
        with context.Pool(workers) as pool:
            answers = {i: pool.apply_async(_outcome_of, (i,)) for i in pending}
            for i in pending:
                try:
                    results[i] = answers[i].get(timeout=seconds)
                except multiprocessing.TimeoutError:
                    results[i] = {"kind": "hang", "error": f"no answer {seconds:g} s after its turn (a hang or a crash)"}
                    break  # the pool ends here, its stuck worker with it
    return [r for r in results if r is not None]


def problem(case: Case, result: dict[str, str]) -> str | None:
    """Why a case's outcome is wrong, or None: a refusal must name the file in both languages."""
    if result["kind"] == "loaded":
        return None
    if result["kind"] != "refused":
        return f"{result['kind']}: {result['error']}\n{result.get('trace', '')}"
    if case.name not in result["en"] or case.name not in result["zh"]:
        return f"the message does not name the file: {result['en']!r}"
    return None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="cases run in forked workers")
def test_every_damaged_file_loads_or_is_refused_naming_it(tmp_path):
    started = time.perf_counter()
    project = tiny()
    originals = valid_files(tmp_path, project)
    for case in originals:  # the valid files load
        assert outcome(case)["kind"] == "loaded", (case.name, outcome(case))
    rng = random.Random(SEED)
    cases = [c for case in originals for c in damaged(case, tmp_path, rng)]
    counts: dict[str, Counter[str]] = {}
    wrong = []
    for case, result in zip(cases, run_all(cases), strict=True):
        counts.setdefault(case.fmt, Counter())[result["kind"]] += 1
        why = problem(case, result)
        if why:
            wrong.append(f"{case.name}: {why}")
    lines = [f"{fmt:11} tried {sum(c.values()):3}  loaded {c['loaded']:3}  refused {c['refused']:3}"
             + "".join(f"  {k} {c[k]}" for k in ("raw", "hang", "crash") if c[k]) for fmt, c in counts.items()]
    print(f"\nfuzz over the loaders (seed {SEED}, {time.perf_counter() - started:.1f} s):\n" + "\n".join(lines))
    assert not wrong, f"{len(wrong)} of {len(cases)} cases:\n" + "\n".join(wrong)
    assert sum(c["refused"] for c in counts.values()) > len(cases) / 3  # the damage was seen, not loaded blind
    assert all(c["refused"] for c in counts.values())
    assert set(counts) == {case.fmt for case in originals}
