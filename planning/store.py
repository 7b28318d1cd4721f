"""The project file: one GeoPackage (SQLite, opens in QGIS) with inputs, policy, scenarios
and results.

Layers: ``villages``, ``schools``, ``sites`` (points, WGS84), ``roads`` (the walking network's
segments, 3-D where elevations exist, in the network's projected CRS), and attribute tables
``project`` (name, attribution), ``policy`` (YAML), ``teachers`` (the teacher roster, one row
per teacher, when the project has one), ``scenarios`` (name, edits as YAML, change log, saved
at) and ``result_villages`` / ``result_summary`` (one block per saved result). Every save writes a new file beside the old one and moves it into place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml

from .errors import ValidationError
from .evaluate import Result
from .i18n import Listing, Message
from .io import ROW, write_gpkg
from .network import WalkNetwork
from .policy import Policy
from .project import Project
from .scenario import Scenario
from .schema import load_yaml
from .validation import revalidate_villages, validate_roster, validate_schools, validate_sites

TUPLE_COLUMNS = ("grades",)
#: The columns of a saved result's villages (the result's own figures, no comparison).
RESULT_VILLAGE_COLUMNS = ["village_id", "level", "name", "pupils", "school", "mode", "minutes", "walk", "bus",
                          "board", "unserved"]


@dataclass(frozen=True)
class ProjectFile:
    """What a project file holds: the project and its saved scenarios by name."""

    project: Project
    scenarios: Mapping[str, Scenario]


def _flat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GeoPackage can hold: tuples as text, ids as a column."""
    out = frame.drop(columns=[ROW], errors="ignore").copy()
    for col in TUPLE_COLUMNS:
        if col in out:
            out[col] = out[col].map(lambda g: ",".join(str(x) for x in g))
    return out.reset_index()


def _network_layer(network: WalkNetwork) -> gpd.GeoDataFrame:
    a, b = network.node_xy[network.seg_u], network.node_xy[network.seg_v]
    if network.node_z is not None:
        a = np.c_[a, network.node_z[network.seg_u]]
        b = np.c_[b, network.node_z[network.seg_v]]
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    return gpd.GeoDataFrame({"road_class": network.seg_class.astype(str)}, geometry=lines, crs=network.crs)


def save_project(path: str | Path, project: Project, *, scenarios: Iterable[Scenario] = (),
                 results: Iterable[Result] = ()) -> Path:
    """Write the project file (replacing it atomically): inputs, policy, scenarios, results.

    Scenarios and results already in an existing file at ``path`` are kept unless one of
    the same name is given.
    """
    path = Path(path)
    old_scen, old_villages, old_summary = _existing(path)
    scen_rows = {r["name"]: r for r in old_scen.to_dict("records")} if len(old_scen) else {}
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for s in scenarios:
        data = s.to_dict()
        scen_rows[s.name] = {"name": s.name, "edits": yaml.safe_dump(data["edits"], allow_unicode=True),
                             "log": "\n".join(data["log"]), "saved_at": now}
    village_blocks, summary_blocks = [old_villages], [old_summary]
    for r in results:
        village_blocks = [b[b["scenario"] != r.name] if len(b) else b for b in village_blocks]
        summary_blocks = [b[b["scenario"] != r.name] if len(b) else b for b in summary_blocks]
        villages = r.villages.reset_index()[RESULT_VILLAGE_COLUMNS]
        villages["mode"] = villages["mode"].astype(str)
        village_blocks.append(villages.assign(scenario=r.name, assignment=r.assignment))
        summary_blocks.append(pd.DataFrame({"scenario": r.name, "metric": r.summary.index,
                                            "value": r.summary.to_numpy(dtype=float)}))
    layers: dict[str, pd.DataFrame] = {
        "villages": _flat(project.villages),
        "schools": _flat(project.schools),
        "roads": _network_layer(project.network),
        "project": pd.DataFrame({"key": ["name", "attribution", "network_source", "elevation_from"],
                                 "value": [project.name, project.network.attribution or "",
                                           project.network.source, "|".join(project.network.elevation_from)]}),
        "policy": pd.DataFrame({"yaml": [yaml.safe_dump(project.policy.to_dict(), allow_unicode=True)]}),
        "scenarios": pd.DataFrame(list(scen_rows.values()), columns=["name", "edits", "log", "saved_at"]),
    }
    if len(project.sites):
        layers["sites"] = _flat(project.sites)
    if project.roster is not None:
        layers["teachers"] = _flat(project.roster)
    villages = pd.concat([b for b in village_blocks if len(b)], ignore_index=True) if any(
        len(b) for b in village_blocks) else pd.DataFrame()
    summary = pd.concat([b for b in summary_blocks if len(b)], ignore_index=True) if any(
        len(b) for b in summary_blocks) else pd.DataFrame()
    if len(villages):
        layers["result_villages"] = villages
        layers["result_summary"] = summary
    return write_gpkg(layers, path)


def _existing(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if not path.exists():
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    layers = _layers(path)
    read = {name: pyogrio.read_dataframe(path, layer=name) if name in layers else pd.DataFrame()
            for name in ("scenarios", "result_villages", "result_summary")}
    villages, summary = read["result_villages"], read["result_summary"]
    if len(villages):  # files saved before results described themselves held comparisons too
        villages = villages[[c for c in (*RESULT_VILLAGE_COLUMNS, "scenario", "assignment") if c in villages]]
    if len(summary):  # and words among the figures
        summary = summary.assign(value=pd.to_numeric(summary["value"], errors="coerce")).dropna(subset=["value"])
    return read["scenarios"], villages, summary


def _layers(path: Path) -> set[str]:
    try:
        return {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises DataSourceError for a broken file
        raise ValidationError(Message("error.not_geopackage", detail=str(exc)), source=str(path)) from exc


def read_project(path: str | Path) -> ProjectFile:
    """Read a project file: the project and its saved scenarios by name."""
    path = Path(path)
    layers = _layers(path)
    missing = {"villages", "schools", "roads", "policy", "project"} - layers
    if missing:
        raise ValidationError(Message("error.not_project_file", layers=Listing(sorted(missing))), source=str(path))
    policy_text = pyogrio.read_dataframe(path, layer="policy")["yaml"].iloc[0]
    policy = Policy.from_dict(load_yaml(policy_text, what="policy", source=f"{path}:policy", ids_as_text=False) or {},
                              source=str(path))
    meta = dict(pyogrio.read_dataframe(path, layer="project")[["key", "value"]].to_numpy())
    villages = revalidate_villages(gpd.read_file(path, layer="villages"), source=f"{path}:villages", policy=policy)
    schools = validate_schools(gpd.read_file(path, layer="schools"), source=f"{path}:schools")
    sites = validate_sites(gpd.read_file(path, layer="sites"), source=f"{path}:sites") if "sites" in layers else None
    roster = (validate_roster(pyogrio.read_dataframe(path, layer="teachers"), schools=schools, source=f"{path}:teachers")
              if "teachers" in layers else None)
    roads = gpd.read_file(path, layer="roads")
    network = WalkNetwork.from_lines(roads, class_column="road_class", policy=policy, crs=roads.crs,
                                     tolerance_m=0.01, source=meta.get("network_source", "roads"),
                                     attribution=meta.get("attribution") or None)
    if network.node_z is not None and meta.get("elevation_from"):  # a DEM's name, saved with its heights
        network.elevation_from = tuple(str(meta["elevation_from"]).split("|"))
    project = Project(villages, schools, network, sites=sites, policy=policy, name=meta.get("name", path.stem),
                      roster=roster)
    scenarios = {}
    if "scenarios" in layers:
        for row in pyogrio.read_dataframe(path, layer="scenarios").to_dict("records"):
            where = f"{path}:scenarios/{row['name']}"
            data = {"name": row["name"], "edits": load_yaml(row["edits"], what="scenario", source=where,
                                                            ids_as_text=False) or []}
            scenarios[row["name"]] = Scenario.from_dict(data, project, source=where)
    return ProjectFile(project, scenarios)


__all__ = ["ProjectFile", "save_project", "read_project"]
