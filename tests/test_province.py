"""A whole province on Dask: counties as tasks on a LocalCluster of 2 worker processes.

Every county's figures are checked against a single-county run of the same files with the
ordinary API (independent of the province code); a county with bad data fails with its
message while the others finish; ``resume`` re-does only missing counties; a worker killed
mid-run leaves every county present once and no temporary files; manifest errors are named
by file, county and field in both languages.
"""

from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

import planning
from planning import province
from planning.errors import ValidationError
from planning.optimise import plan

from .conftest import shared_file

distributed = pytest.importorskip("distributed")

PBF = ("osm", "liechtenstein", "liechtenstein-2015.osm.pbf")


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each (as ``planning province run`` makes by default)."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, distributed.Client(cluster) as running:
        yield running


def _files(folder: Path, name: str) -> dict[str, str]:
    """A county's entry with its files (paths relative to the manifest's folder)."""
    return {"name": name, **{key: f"{folder}/{key}.csv" for key in ("villages", "schools", "sites", "teachers")},
            "roads": f"{folder}/roads.gpkg"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three counties of the demo (the third on real Liechtenstein roads, the second also
    asking the optimiser for the fewest schools) and a fourth whose villages table has a
    pupil count that is not a number."""
    folder = tmp_path_factory.mktemp("province")
    manifest = province.make_demo_province(folder, counties=3, osm=shared_file(*PBF), goals_every=2)
    spec = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    bad = pd.read_csv(folder / "county_01" / "villages.csv", dtype=str)
    bad.iloc[2, 7] = "lots"  # a grade's pupils of the third village
    (folder / "bad").mkdir()
    bad.to_csv(folder / "bad" / "villages.csv", index=False)
    entry = _files(Path("county_01"), "bad county")
    entry["villages"] = "bad/villages.csv"
    spec["counties"].append(entry)
    manifest.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return manifest


@pytest.fixture(scope="module")
def ran(small: Path, client, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("out")
    return province.run(small, client=client, out=out, lang="en"), out


def _single(manifest: Path, entry: dict) -> planning.Project:
    """A county loaded alone, with the ordinary single-county API."""
    at = manifest.parent
    return planning.from_files(villages=at / entry["villages"], schools=at / entry["schools"],
                               sites=at / entry["sites"], teachers=at / entry["teachers"], roads=at / entry["roads"],
                               name=entry["name"])


def _same(got: dict, expected: pd.Series) -> None:
    for name in province.FIGURES:
        want = float(expected[name])
        assert math.isclose(got[name], want, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(want) and math.isnan(got[name])), \
            (name, got[name], want)


def test_every_county_equals_a_single_county_run(ran, small):
    table, out = ran
    spec = yaml.safe_load(small.read_text(encoding="utf-8"))
    assert list(table.index) == [c["name"] for c in spec["counties"]]
    good = [c for c in spec["counties"] if c["name"] != "bad county"]
    assert any("goals" in c for c in good)
    assert (table.loc[[c["name"] for c in good], "status"] == "done").all()
    for entry in good:
        project = _single(small, entry)
        today = planning.baseline(project, "nearest")
        layouts = {"today": today}
        for path in entry["scenarios"]:
            scenario = planning.Scenario.from_file(small.parent / path, project)
            layouts[scenario.name] = scenario.evaluate("nearest")
        for goal in entry.get("goals", []):
            option = plan(project, goal)
            layouts[option.scenario.name] = option.scenario.evaluate("nearest")
        summary = json.loads((out / entry["name"] / "summary.json").read_text(encoding="utf-8"))
        assert list(summary["plans"]) == list(layouts)
        for name, result in layouts.items():
            _same(summary["plans"][name], result.summary)
        _same(table.loc[entry["name"]].to_dict(), today.summary)  # the province table shows today's layout
        assert table.loc[entry["name"], "villages"] == len(project.villages)
        lon = project.villages.geometry.to_crs(4326).x.mean()
        assert table.loc[entry["name"], "lon"] == pytest.approx(lon)
        # the county's files: the walk check, every layout's villages, the Excel report
        walks = gpd.read_file(out / entry["name"] / "walk_check.gpkg", layer="villages")
        assert sorted(walks["village_id"]) == sorted(project.villages.index)
        layers = gpd.list_layers(out / entry["name"] / "plans.gpkg")["name"]
        assert sorted(layers) == sorted(f"{name}_{kind}" for name in layouts for kind in ("villages", "schools", "trips"))
        with pd.ExcelFile(out / entry["name"] / "plans.xlsx") as book:
            assert len(book.sheet_names) > 2 * len(layouts)


def test_a_county_with_bad_data_is_reported_and_the_rest_complete(ran, small):
    table, out = ran
    row = table.loc["bad county"]
    assert row["status"] == "failed"
    spec = yaml.safe_load(small.read_text(encoding="utf-8"))
    entry = next(c for c in spec["counties"] if c["name"] == "bad county")
    with pytest.raises(ValidationError) as caught:
        _single(small, entry)
    assert row["message"] == caught.value.text("en")
    assert "lots" in row["message"]
    summary = json.loads((out / "bad county" / "summary.json").read_text(encoding="utf-8"))
    assert summary["message"]["zh"] == caught.value.text("zh")
    assert not any((out / "bad county" / name).exists() for name in province.COUNTY_FILES)
    assert (table.drop(index="bad county")["status"] == "done").all()


def test_province_summary_files(ran):
    table, out = ran
    with pd.ExcelFile(out / "province.xlsx") as book:
        names = book.sheet_names
        counties = pd.read_excel(book, names[0], header=1)
        plans = pd.read_excel(book, names[1], header=1)
    assert list(counties.iloc[:, 0]) == list(table.index)
    assert counties.loc[3, "status"] == "failed" and counties.loc[0, "status"] == "done"
    assert list(counties["pupils beyond the walk limit with no bus"].iloc[:3]) == list(table["pupils_beyond_limit"].iloc[:3])
    from openpyxl import load_workbook

    sheet = load_workbook(out / "province.xlsx")[names[0]]
    assert sheet.freeze_panes == "B3" and sheet.auto_filter.ref.startswith("A2:")
    assert len(plans) == int(table["plans"].sum()) + int((table["status"] == "done").sum())
    page = (out / "province_map.html").read_text(encoding="utf-8")
    assert "\\u00a9 OpenStreetMap contributors" in page or "© OpenStreetMap contributors" in page
    assert all(name in page for name in table.index[:3])
    assert (out / "province_map.pdf").read_bytes().startswith(b"%PDF")


def test_resume_redoes_only_the_missing_county(ran, small, client):
    _, out = ran
    kept = {path: path.stat().st_mtime_ns for name in ("county_01", "county_03") for path in (out / name).iterdir()}
    for path in (out / "county_02").iterdir():
        path.unlink()
    # what a write cut short leaves (planning.io.atomic_path's temporary names), in a done county and the missing one
    half = [out / "county_01" / ".plans.xlsx.k2j3h4_x.xlsx", out / "county_02" / ".walk_check.gpkg.a1b2c3d4.gpkg"]
    for path in half:
        path.write_bytes(b"PK\x03\x04 cut short")
    time.sleep(0.05)
    table = province.run(small, client=client, out=out, resume=True, lang="en")
    assert {path: path.stat().st_mtime_ns for path in kept} == kept
    assert not any(path.exists() for path in half)
    assert table.loc["county_02", "status"] == "done"
    assert sorted(p.name for p in (out / "county_02").iterdir()) == sorted([*province.COUNTY_FILES, "summary.json"])
    assert table.loc["bad county", "status"] == "failed"  # a failed county is tried again, and fails again


def test_a_csv_manifest_reads_as_the_yaml_one(small):
    spec = yaml.safe_load(small.read_text(encoding="utf-8"))
    rows = [{**c, "scenarios": ";".join(c.get("scenarios", [])), "goals": ";".join(c.get("goals", []))} for c in spec["counties"]]
    csv = small.parent / "province.csv"
    pd.DataFrame(rows).to_csv(csv, index=False, encoding="utf-8-sig")
    from_csv, from_yaml = province.read_manifest(csv), province.read_manifest(small)
    assert from_csv.counties == from_yaml.counties
    assert Path(from_csv.counties[0].villages) == small.parent / "county_01" / "villages.csv"
    assert from_csv.counties[1].goals == ["fewest_schools"]


def test_manifest_errors_name_the_file_county_and_field(tmp_path):
    folder = tmp_path
    (folder / "v.csv").write_text("x", encoding="utf-8")
    missing = folder / "missing.yaml"
    missing.write_text(yaml.safe_dump({"counties": [{"name": "A", "villages": "v.csv", "schools": "nope.csv",
                                                     "roads": "v.csv"}]}), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        province.read_manifest(missing)
    assert caught.value.text("en") == (f"{missing}: county 1 (A): schools: the file nope.csv does not exist "
                                       "(paths are relative to the manifest's folder)")
    assert caught.value.text("zh") == f"{missing}：第 1 个县（A）：schools 所列文件 nope.csv 不存在（路径相对于清单所在文件夹）"

    unknown = folder / "unknown.csv"
    unknown.write_text("name,villages,schools,roads,colour\nA,v.csv,v.csv,v.csv,red\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        province.read_manifest(unknown)
    english, chinese = caught.value.text("en"), caught.value.text("zh")
    assert english.startswith(f"{unknown}: row 2 (A): colour: unknown setting; the settings here are name, villages")
    assert chinese.startswith(f"{unknown}：第 2 行（A）：colour：未知设置；此处可用的设置为 name，villages")

    broken = folder / "broken.yaml"
    broken.write_text("counties: [\n  {name: A, villages: v.csv\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        province.read_manifest(broken)
    assert caught.value.text("en").startswith(f"{broken}: cannot read the province manifest file: ")
    assert caught.value.text("zh").startswith(f"{broken}：无法读取省级清单文件：")

    both = folder / "both.yaml"
    both.write_text(yaml.safe_dump({"counties": [{"name": "A", "villages": "v.csv", "schools": "v.csv"},
                                                 {"name": "A", "villages": "v.csv", "schools": "v.csv",
                                                  "roads": "v.csv", "goals": ["fastest"]},
                                                 {"name": "B", "villages": "v.csv", "schools": "v.csv",
                                                  "roads": "v.csv", "limit": 300}]}), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        province.read_manifest(both)
    lines = caught.value.lines("en")
    assert lines[0] == "county 1 (A): give either a road layer (roads) or an OSM file (osm), one of the two"
    assert lines[1] == ("county 2 (A): goals[1]: must be one of 'fewest_schools', 'p_median', 'max_coverage' or "
                        "'least_cost' (given 'fastest')")
    assert lines[2] == ("county 3 (B): a walking limit must be 5 to 180 minutes (given 300); a limit of a few minutes "
                        "reaches no school, one over 3 hours is no walk for a child")
    assert caught.value.lines("zh")[0] == "第 1 个县（A）：请给出道路图层（roads）或 OSM 文件（osm）中的一个"


def test_command_line(tmp_path, capsys):
    from planning.cli import main

    assert main(["province", "make-demo", str(tmp_path / "p"), "--counties", "1", "--lang", "en"]) == 0
    manifest = tmp_path / "p" / "province.yaml"
    assert capsys.readouterr().out.strip() == f"wrote a demo province of 1 counties: {manifest}"
    out = tmp_path / "out"
    assert main(["province", "run", str(manifest), "--workers", "1", "--out", str(out), "--lang", "en", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("p: 1 counties, 1 done, 0 failed")
    assert (out / "county_01" / "summary.json").exists() and (out / "province_map.pdf").exists()
    assert main(["province", "run", str(tmp_path / "none.yaml")]) == 2
    assert "无法读取省级清单文件" in capsys.readouterr().err


def test_a_killed_worker_leaves_every_county_once_and_nothing_half_written(client, tmp_path):
    manifest = province.make_demo_province(tmp_path / "province", counties=6, goals_every=0)
    out = tmp_path / "out"
    answer: dict[str, pd.DataFrame] = {}
    running = threading.Thread(target=lambda: answer.update(table=province.run(manifest, client=client, out=out)))
    running.start()
    deadline = time.monotonic() + 120
    while not list(out.glob("*/summary.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    busy = [address for address, keys in client.processing().items() if keys]
    assert busy, "no county was running when the worker was to be killed"
    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
    done_before = len(list(out.glob("*/summary.json")))
    os.kill(pid, signal.SIGKILL)
    running.join(timeout=300)
    assert not running.is_alive()
    assert done_before < 6  # killed in the middle of the run
    assert pid not in client.run(os.getpid).values()  # that worker is gone (its nanny started a new one)
    table = answer["table"]
    assert list(table.index) == [f"county_{k:02d}" for k in range(1, 7)]
    assert (table["status"] == "done").all(), [
        json.loads((out / c / "summary.json").read_text(encoding="utf-8")).get("message") for c in table.index]
    for county in table.index:
        assert sorted(p.name for p in (out / county).iterdir()) == sorted([*province.COUNTY_FILES, "summary.json"])
    assert [p for p in out.rglob(".*")] == []  # no temporary files of a write cut short


@pytest.mark.slow  # about 90 s on two free cores (each county writes two GeoPackages and an Excel report)
def test_a_generated_province_of_50_counties_on_two_workers(client, tmp_path):
    manifest = province.make_demo_province(tmp_path / "province", counties=50, osm=shared_file(*PBF))
    start = time.perf_counter()
    table = province.run(manifest, client=client, out=tmp_path / "out")
    seconds = time.perf_counter() - start
    assert len(table) == 50 and (table["status"] == "done").all(), table[table["status"] != "done"]["message"]
    real = [k for k in range(1, 51) if gpd.read_file(tmp_path / "province" / f"county_{k:02d}" / "roads.gpkg").crs.to_epsg()
            == 32649]
    assert real == list(range(3, 51, 3))  # every third county on the real Liechtenstein roads
    assert table[["lon", "lat"]].round(3).drop_duplicates().shape[0] == 50  # each county moved to its own place
    spec = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    for entry in (spec["counties"][2], spec["counties"][9]):  # a real-network county, one with the optimiser
        _same(table.loc[entry["name"]].to_dict(), planning.baseline(_single(manifest, entry), "nearest").summary)
    print(f"\n50 counties on 2 workers in {seconds:.0f} s ({50 / seconds * 60:.0f} counties per minute)")
