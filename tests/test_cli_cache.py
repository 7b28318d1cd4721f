"""The command line end to end, and the travel-time disk cache."""

from __future__ import annotations

import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import planning
from planning.cli import file_stem, main
from planning.traveltime import travel_time_matrix

from .conftest import ROOT, shared_file
from .demo_facts import beyond_limit


def test_check_on_the_demo_writes_geopackage_and_csv(demo, tmp_path, capsys):
    beyond = beyond_limit(demo, "primary")  # from the travel times: nearest complete primary > 40 min
    assert beyond.any() and not beyond.all(), "the demo should have villages on both sides of the limit"
    assert main(["check", "--demo", "--out", str(tmp_path), "--quiet", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "青山镇" in out and "primary: walk to the nearest school (limit 40 min one way)" in out
    assert f"network: roads.gpkg, {demo.network.n_nodes:,} nodes" in out and "with elevations" in out
    primary = out.split("primary: ")[1].split("junior secondary: ")[0].splitlines()
    for village, far in beyond.items():  # one row per village, its name and its walk status
        (row,) = [line for line in primary if line.startswith(f"{village} ")]
        assert demo.villages.loc[village, "name"] in row and row.endswith("within") != far, row
    assert main(["check", "--demo", "--out", str(tmp_path), "--quiet"]) == 0  # Chinese by default
    out = capsys.readouterr().out
    assert "小学：到最近学校的步行（单程时限 40 分钟）" in out and "超出时限" in out and "步行（分钟）" in out
    layers = dict(pyogrio.list_layers(tmp_path / "walk_check.gpkg"))
    assert set(layers) == {"villages", "schools", "summary", "roads"}
    villages = gpd.read_file(tmp_path / "walk_check.gpkg", layer="villages")
    assert len(villages) == len(demo.villages) and villages.crs.to_epsg() == 4326
    assert set(villages["name"]) == set(demo.villages["name"])
    csv = pd.read_csv(tmp_path / "walk_check.csv", encoding="utf-8-sig", index_col=0)
    assert csv["primary_beyond"].to_dict() == beyond.to_dict()
    assert (csv["primary_status"] == "within").to_dict() == (~beyond).to_dict()
    summary = pd.read_csv(tmp_path / "walk_summary.csv", encoding="utf-8-sig", index_col=0)
    assert summary.loc["primary", "villages_beyond"] == (csv["primary_beyond"]).sum()


def test_check_with_tables_roads_and_a_limit(demo, tmp_path, capsys):
    folder = ROOT / "data" / "demo"
    args = ["check", "--villages", str(folder / "villages.csv"), "--schools", str(folder / "schools.csv"),
            "--roads", str(folder / "roads.gpkg"), "--limit", "30", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    assert "单程时限 30 分钟" in capsys.readouterr().out
    csv = pd.read_csv(tmp_path / "walk_check.csv", encoding="utf-8-sig", index_col=0)
    beyond_30 = beyond_limit(demo, "primary", 30)  # the same tables and roads as the demo
    assert csv["primary_beyond"].to_dict() == beyond_30.to_dict()
    # the demo has villages between 30 and 40 minutes: the default limit would give other statuses
    assert (beyond_30 & ~beyond_limit(demo, "primary")).any()


def test_check_on_an_osm_file(tmp_path, capsys):
    path = shared_file("osm", "liechtenstein", "liechtenstein-2015.osm.pbf")
    assert main(["check", "--osm", str(path), "--out", str(tmp_path), "--quiet", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "© OpenStreetMap contributors" in out
    assert "Malbun" in out and "Balzers has about 327 primary pupils" in out


def test_bad_input_exits_2_with_the_message(tmp_path, capsys):
    bad = tmp_path / "v.csv"
    bad.write_text("村名,lon,lat,小学生数,初中生数\n甲,116.9,40.0,-5,1\n", encoding="utf-8")
    demo = ROOT / "data" / "demo"
    code = main(["check", "--villages", str(bad), "--schools", str(demo / "schools.csv"),
                 "--roads", str(demo / "roads.gpkg"), "--out", str(tmp_path), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "v.csv：第 2 行：小学生数 为 -5，小于零" in err  # the header as the file names it
    assert not (tmp_path / "walk_check.gpkg").exists()


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path, demo, monkeypatch):
    from planning.io import write_gpkg

    target = tmp_path / "results.gpkg"
    write_gpkg({"villages": demo.villages}, target)
    before = target.read_bytes()
    real_to_file = gpd.GeoDataFrame.to_file

    def failing_to_file(self, path, *args, layer=None, **kwargs):
        if layer == "schools":
            raise OSError("disk full")
        return real_to_file(self, path, *args, layer=layer, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing_to_file)
    with pytest.raises(OSError, match="disk full"):  # fails after the first layer was written
        write_gpkg({"villages": demo.villages, "schools": demo.schools}, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.gpkg"]


def test_matrix_is_cached_on_disk_by_content(demo, tmp_path, monkeypatch):
    monkeypatch.setattr(planning.settings, "cache_folder", tmp_path)
    net, policy = demo.network, demo.policy
    xy = net.node_xy[:5]
    first = travel_time_matrix(net, xy, xy[:3], policy=policy)
    again = travel_time_matrix(net, xy, xy[:3], policy=policy)
    assert not first.from_cache and again.from_cache
    np.testing.assert_array_equal(first.minutes, again.minutes)
    assert len(list(tmp_path.glob("tt-*.npz"))) == 1
    slower = policy.replace(walk_speed_kmh=3.0)
    other = travel_time_matrix(net, xy, xy[:3], policy=slower)
    assert not other.from_cache
    np.testing.assert_allclose(other.minutes - other.offroad_minutes_origin[:, None]
                               - other.offroad_minutes_target[None, :],
                               (first.minutes - first.offroad_minutes_origin[:, None]
                                - first.offroad_minutes_target[None, :]) * 4 / 3, rtol=1e-9, atol=1e-8)
    assert len(list(tmp_path.glob("tt-*.npz"))) == 2


def test_project_travel_times_are_labelled(demo):
    tt = demo.travel_times()
    assert tt.index.name == "village_id" and list(tt.index) == list(demo.villages.index)
    assert list(tt.columns) == [*demo.schools.index, *demo.sites.index]
    # routed again from the points in another order, each labelled by its id: the same minutes
    villages = demo.villages.geometry.sample(frac=1, random_state=1).to_crs(demo.network.crs)
    targets = gpd.GeoSeries(pd.concat([demo.schools.geometry, demo.sites.geometry]), crs=4326)
    targets = targets.sample(frac=1, random_state=2).to_crs(demo.network.crs)
    assert list(villages.index) != list(tt.index) and list(targets.index) != list(tt.columns)
    shuffled = travel_time_matrix(demo.network, np.c_[villages.x, villages.y], np.c_[targets.x, targets.y],
                                  policy=demo.policy, use_cache=False).minutes
    expected = pd.DataFrame(shuffled, index=villages.index, columns=targets.index).loc[tt.index, tt.columns]
    np.testing.assert_allclose(tt.to_numpy(), expected.to_numpy(), rtol=1e-9, equal_nan=True)


def test_python_m_planning_cli_evaluate_runs_and_names_files_after_any_plan(tmp_path):
    """`python -m planning.cli evaluate` once stopped with NameError (the module ran main()
    before defining the commands below it); a plan named with a colon or slash is written to
    files named after it, those characters replaced."""
    scenario = tmp_path / "plan.yaml"
    scenario.write_text("name: 'Plan B: close S05/S07'\nproject: demo\nedits:\n- {op: close, school: S05}\n"
                        "- {op: close, school: S07}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "PLANNING_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "planning.cli", "evaluate", "--scenario", str(scenario),
                          "--out", str(tmp_path / "out"), "--lang", "en"], capture_output=True, text=True, env=env,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    assert "Plan B: close S05/S07" in run.stdout and "close S05" in run.stdout
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written == {"Plan B_ close S05_S07.xlsx", "Plan B_ close S05_S07.gpkg", "Plan B_ close S05_S07_summary.csv"}
    summary = pd.read_csv(tmp_path / "out" / "Plan B_ close S05_S07_summary.csv", encoding="utf-8-sig", index_col=0)
    assert summary.loc["schools_open"].tolist() == [len(planning.demo().schools), len(planning.demo().schools) - 2]


def test_file_stems_of_plan_names():
    assert file_stem("Plan B: close S05/S07") == "Plan B_ close S05_S07"
    assert file_stem('a<b>c"d\\e|f?g*h\ti') == "a_b_c_d_e_f_g_h_i"
    assert file_stem(" .hidden. ") == "__hidden__" and file_stem("") == "_"
    assert file_stem("方案二：撤并") == "方案二：撤并"  # the full-width colon is an ordinary character
