"""The walk check: who walks too far to today's schools, and what to know about the data.

Reads a project's travel-time matrix; no scenario, no assignment beyond "nearest school
teaching the level".

    >>> import planning
    >>> summary = planning.walk_summary(planning.demo())
    >>> list(summary.index)
    ['primary', 'junior']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .assign import nearest, pupil_weighted_mean, walk_status
from .coords import from_wgs84, ground_metres
from .i18n import Listing, Message, t
from .memo import per_owner
from .policy import LEVELS
from .project import Project


def walk_check(project: Project, limit: float | None = None, *, level: str | None = None) -> pd.DataFrame:
    """Nearest school per village and level, the walk to it, and whether it is too far.

    Parameters
    ----------
    limit
        One-way walking limit (minutes); the policy's per level when None.
    level
        ``"primary"`` or ``"junior"``; both when None.

    Returns
    -------
    DataFrame indexed by ``village_id``: ``name``, ``snap_m`` (metres to the road),
    ``far_from_road``, ``pupils_estimated``, and per level ``{level}_pupils``,
    ``{level}_school`` (id), ``{level}_school_name``, ``{level}_minutes`` (walk, minutes),
    ``{level}_status`` (within / beyond / out of reach / no school) and ``{level}_beyond``
    (True when beyond the limit or out of reach). For primary, ``primary_any_minutes``
    also counts teaching points (lower grades only).
    """
    levels = LEVELS if level is None else (level,)
    villages, schools = project.villages, project.schools
    minutes = project.matrix.minutes[:, : len(schools)]
    snaps = project.snaps.loc[project.snaps["kind"] == "village"]
    out = pd.DataFrame({
        "name": villages["name"],
        "snap_m": snaps["snap_m"].to_numpy(),
        "far_from_road": snaps["far_from_road"].to_numpy(),
        "pupils_estimated": villages["pupils_estimated"],
    }, index=villages.index)
    for lv in levels:
        lim = project.policy.limit(lv) if limit is None else float(limit)
        serves = schools[lv].to_numpy(dtype=bool)
        col, best = nearest(minutes, serves)
        found = col >= 0
        out[f"{lv}_pupils"] = villages[f"{lv}_pupils"]
        pick = np.maximum(col, 0)
        out[f"{lv}_school"] = pd.Series(np.where(found, schools.index.to_numpy()[pick], None), index=out.index)
        out[f"{lv}_school_name"] = pd.Series(np.where(found, schools["name"].to_numpy()[pick], None), index=out.index)
        out[f"{lv}_minutes"] = best
        out[f"{lv}_status"] = walk_status(best, lim, any_school=bool(serves.any()))
        out[f"{lv}_beyond"] = out[f"{lv}_status"] != "within"
        if lv == "primary":
            partial = schools["grades"].map(lambda g: 1 in g).to_numpy(dtype=bool)
            out["primary_any_minutes"] = nearest(minutes, partial)[1]
    return out


def walk_summary(project: Project, limit: float | None = None) -> pd.DataFrame:
    """Per level: villages and pupils beyond the limit, mean and longest walk.

    Parameters
    ----------
    limit
        One-way walking limit (minutes); the policy's per level when None.

    Returns
    -------
    DataFrame indexed by level with ``limit_min`` (minutes), ``villages``,
    ``villages_beyond``, ``villages_out_of_reach``, ``pupils``, ``pupils_beyond``,
    ``share_beyond`` (fraction), ``pupils_unknown_villages`` (villages whose pupils are not
    known), ``mean_minutes`` (pupil-weighted) and ``max_minutes``. All numbers.
    """
    check = walk_check(project, limit)
    rows = {}
    for lv in LEVELS:
        pupils, mins, beyond = check[f"{lv}_pupils"], check[f"{lv}_minutes"], check[f"{lv}_beyond"]
        total = float(pupils.sum())
        rows[lv] = {
            "limit_min": project.policy.limit(lv) if limit is None else float(limit),
            "villages": len(check),
            "villages_beyond": int(beyond.sum()),
            "villages_out_of_reach": int((check[f"{lv}_status"] == "out of reach").sum()),
            "pupils": total,
            "pupils_beyond": float(pupils[beyond].sum()),
            "share_beyond": float(pupils[beyond].sum() / total) if total > 0 else float("nan"),
            "pupils_unknown_villages": int(pupils.isna().sum()),
            "mean_minutes": pupil_weighted_mean(mins, pupils),
            "max_minutes": float(mins.max()) if mins.notna().any() else float("nan"),
        }
    frame = pd.DataFrame(rows).T.astype(float)
    frame.index.name = "level"
    return frame


def school_reach(project: Project, limit: float | None = None, *, lang: str | None = None) -> pd.DataFrame:
    """Per school: the villages within the walking limit, and those it is nearest for.

    Parameters
    ----------
    limit
        One-way walking limit (minutes); the strictest of the policy's when None.
    lang
        Language of the name lists' separator (、 or ,); ``settings.language`` when None.

    Returns
    -------
    DataFrame indexed by ``school_id``: ``name``, ``type``, ``villages_within`` (count),
    ``within`` (names), ``pupils_within`` (pupils of the levels it serves),
    ``nearest_for`` (villages whose nearest school of a level it is).
    """
    villages, schools = project.villages, project.schools
    minutes = project.travel_times().iloc[:, : len(schools)]
    check = walk_check(project, limit)
    lim = min(project.policy.limit(lv) for lv in LEVELS) if limit is None else float(limit)
    rows = []
    for sid, school in schools.iterrows():
        reach = minutes[sid] <= lim
        pupils = sum(villages.loc[reach, f"{lv}_pupils"].sum() for lv in LEVELS if school[lv])
        nearest_for = check.index[(check["primary_school"] == sid) | (check["junior_school"] == sid)]
        rows.append({
            "school_id": sid, "name": school["name"], "type": school["type"],
            "villages_within": int(reach.sum()),
            "within": t("sep.names", lang).join(villages.loc[reach, "name"]),
            "pupils_within": float(pupils),
            "nearest_for": t("sep.names", lang).join(villages.loc[nearest_for, "name"]),
        })
    return pd.DataFrame(rows).set_index("school_id")


def data_notes(project: Project, lang: str | None = None) -> list[str]:
    """Things a planner should know about the data (not errors), in ``lang``: far-off
    points, disconnected pieces, estimated or unknown pupils, villages that probably lack a
    school (``settings.language`` when ``lang`` is None)."""
    return [note.text(lang) for note in data_messages(project)]


@per_owner
def data_messages(project: Project) -> tuple[Message, ...]:
    """The notes of :func:`data_notes` as catalogue messages (once per project)."""
    notes = []
    snaps = project.snaps
    for idx, r in snaps[snaps["far_from_road"]].iterrows():
        notes.append(Message("data.far_from_road", kind=Message(f"kind.{r.kind}"), name=r["name"], id=idx,
                             m=f"{r.snap_m:.0f}", minutes=f"{r.offroad_min:.0f}"))
    pieces = project.network.pieces()
    if len(pieces) > 1:
        notes.append(Message("data.pieces", n=len(pieces), share=f"{pieces['km'].iloc[0] / pieces['km'].sum():.0%}"))
    for idx, r in snaps[snaps["piece"] > 0].iterrows():
        notes.append(Message("data.cut_off", kind=Message(f"kind.{r.kind}"), name=r["name"], id=idx))
    return (*notes, *coords_notes(project), *pupil_notes(project), *villages_lacking_school(project))


def coords_notes(project: Project) -> list[Message]:
    """Tables whose coordinates were converted from GCJ-02 or BD-09 on reading (their
    ``coords_from``), with the number of points and how far they moved on average (metres)."""
    notes = []
    for kind, table in (("villages", project.villages), ("schools", project.schools), ("sites", project.sites)):
        if "coords_from" not in table:
            continue
        for system in ("gcj02", "bd09"):
            rows = table[table["coords_from"] == system]
            if len(rows):
                lon, lat = rows.geometry.x.to_numpy(), rows.geometry.y.to_numpy()
                moved = ground_metres(lon, lat, *from_wgs84(lon, lat, system))
                notes.append(Message("data.coords_converted", table=Message(f"table.{kind}"),
                                     coords=Message(f"coords.{system}"), n=len(rows), m=f"{moved.mean():.0f}"))
    return notes


def pupil_notes(project: Project, *, most: int | None = None) -> list[Message]:
    """Villages whose pupils are estimated from population, and those whose pupils are not
    known (at most ``most`` of them named)."""
    notes = []
    villages = project.villages
    estimated = villages["pupils_estimated"]
    if estimated.any():
        notes.append(Message("data.estimated", n=int(estimated.sum())))
    unknown = villages["primary_pupils"].isna()
    if unknown.any():
        notes.append(Message("data.unknown", n=int(unknown.sum()),
                             names=Listing(villages.loc[unknown, "name"], sep="sep.names", most=most)))
    return notes


def villages_lacking_school(project: Project, *, radius_m: float = 1500, min_pupils: float = 100) -> list[Message]:
    """Large villages with no school nearby: in OSM data, often a school missing from the map.

    Parameters
    ----------
    radius_m
        Straight-line distance within which a school is looked for (metres).
    min_pupils
        Only villages with at least this many primary pupils are named.
    """
    villages, schools = project.villages, project.schools
    if schools.empty:
        return []
    vxy, sxy = project.xy(villages), project.xy(schools)
    dist = np.hypot(vxy[:, None, 0] - sxy[None, :, 0], vxy[:, None, 1] - sxy[None, :, 1]).min(axis=1)
    pupils = villages["primary_pupils"].fillna(0).to_numpy()
    return [Message("data.lacks_school", name=name, pupils=f"{p:.0f}", radius=f"{radius_m / 1000:g}", km=f"{d / 1000:.1f}")
            for name, p, d in zip(villages["name"], pupils, dist, strict=True) if p >= min_pupils and d > radius_m]


def walk_check_layers(project: Project, check: pd.DataFrame, summary: pd.DataFrame, reach: pd.DataFrame
                      ) -> dict[str, pd.DataFrame]:
    """The walk check's GeoPackage layers (``planning check``, a province's counties): the
    villages with their :func:`walk_check`, the schools with their :func:`school_reach`, the
    :func:`walk_summary` and the roads in WGS84."""
    villages = project.villages[["geometry"]].join(check)
    schools = project.schools[["geometry", "name", "type", "capacity", "beds"]].join(reach.drop(columns=["name", "type"]))
    return {"villages": villages, "schools": schools, "summary": summary.reset_index(),
            "roads": project.network.to_gdf().to_crs(4326)}


__all__ = ["walk_check", "walk_summary", "school_reach", "walk_check_layers", "data_notes", "data_messages", "coords_notes", "pupil_notes",
           "villages_lacking_school"]
