"""Planning policy: walking limits, speeds, class and school sizes, indicator thresholds.

Every default is a setting a county can change (``Policy.from_yaml``) and carries its
source (``Policy.sources()``), so the app and reports can show where a number comes from.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .errors import ValidationError

#: School levels and the grades they span.
LEVEL_GRADES: dict[str, tuple[int, ...]] = {
    "primary": (1, 2, 3, 4, 5, 6),
    "junior": (7, 8, 9),
}
LEVELS: tuple[str, ...] = tuple(LEVEL_GRADES)

#: Walking speed factor by road class (OSM ``highway`` values and common Chinese road
#: layer classes), multiplied with ``walk_speed_kmh``. Unpaved tracks and paths are
#: slower underfoot; steps are slow whatever their horizontal length.
DEFAULT_CLASS_FACTORS: dict[str, float] = {
    "trunk": 1.0, "primary": 1.0, "secondary": 1.0, "tertiary": 1.0,
    "unclassified": 1.0, "residential": 1.0, "living_street": 1.0, "service": 1.0,
    "pedestrian": 1.0, "footway": 1.0, "road": 1.0,
    "trunk_link": 1.0, "primary_link": 1.0, "secondary_link": 1.0, "tertiary_link": 1.0,
    "cycleway": 1.0, "track": 0.9, "bridleway": 0.85, "path": 0.85, "steps": 0.5,
    "国道": 1.0, "省道": 1.0, "县道": 1.0, "乡道": 1.0, "村道": 1.0, "街道": 1.0,
    "机耕路": 0.9, "山路": 0.85, "小路": 0.85, "步道": 1.0, "台阶": 0.5,
    "county_road": 1.0, "township_road": 1.0, "village_road": 1.0, "farm_track": 0.9,
    "footpath": 0.85,
}

#: Road classes pedestrians cannot use (OSM values and Chinese layer classes).
#: Like osmnx's "walk" network filter (motorways, ways under construction or proposed,
#: bus guideways, raceways, platforms) but keeping cycleways, which pedestrians may use
#: unless tagged ``foot=no`` (Liechtenstein's walk extract has 311, most ``foot=yes``);
#: plus Chinese expressways. A way tagged ``foot=yes|designated|permissive`` is walkable
#: whatever its class.
DEFAULT_EXCLUDED_CLASSES: tuple[str, ...] = (
    "motorway", "motorway_link", "construction", "proposed", "planned", "abandoned",
    "razed", "bus_guideway", "busway", "raceway", "platform", "elevator", "escalator",
    "corridor", "no",
    "高速公路", "高速", "expressway",
)

#: The seven 优质均衡 resource indicators: (per how many pupils, primary, junior, unit).
INDICATORS: dict[str, tuple[int, float, float, str]] = {
    "teachers_above_qualification": (100, 4.2, 5.3, "teachers per 100 pupils"),
    "key_teachers": (100, 1.0, 1.0, "teachers per 100 pupils"),
    "pe_arts_teachers": (100, 0.9, 0.9, "teachers per 100 pupils"),
    "teaching_area_m2": (1, 4.5, 5.8, "m² per pupil"),
    "sports_area_m2": (1, 7.5, 10.2, "m² per pupil"),
    "equipment_value_yuan": (1, 2000.0, 2500.0, "yuan per pupil"),
    "multimedia_classrooms": (100, 2.3, 2.4, "classrooms per 100 pupils"),
}

#: Road classes a school bus cannot use (paths, steps, tracks, farm tracks).
DEFAULT_BUS_EXCLUDED: tuple[str, ...] = (
    "footway", "path", "steps", "pedestrian", "bridleway", "cycleway", "track",
    "山路", "小路", "步道", "台阶", "机耕路", "footpath", "farm_track",
)

_SOURCE_SEEDS = "seeds (清浦区: 学生每天上学单程步行不超过40分钟); county-configurable"
_SOURCE_BALANCE = "教督〔2017〕6号 县域义务教育优质均衡发展督导评估办法"

#: Where each default comes from (shown in the app and reports).
SOURCES: dict[str, str] = {
    "walk_limit_minutes": _SOURCE_SEEDS,
    "walk_speed_kmh": "common practice (4 km/h on flat road); children are slower: configurable",
    "tobler": "Tobler (1993) hiking function, normalised to walk_speed_kmh on flat ground",
    "offroad_detour": "straight-line leg to the road × detour factor (field paths wind)",
    "far_from_road_m": "flag: beyond this a village is probably not where the table says",
    "max_snap_m": "error: beyond this a point is outside the road network (wrong CRS?)",
    "max_minutes": "travel times beyond this cut-off are reported as out of reach",
    "class_size": "建标109-2008 农村普通中小学校建设标准; 优质均衡 criteria",
    "school_size": "优质均衡 criteria (2500 for nine-year schools)",
    "boarding_min_grade": "2018 国务院办公厅 关于全面加强乡村小规模学校和乡镇寄宿制学校建设的指导意见",
    "school_age_share": "2020 census: ages 0–14 are 17.95% of the population, ≈1.2% per "
    "single-year cohort; 6 cohorts primary, 3 junior. Estimates only",
    "indicator_thresholds": _SOURCE_BALANCE,
    "cv_limit": _SOURCE_BALANCE,
    "min_indicators_met": _SOURCE_BALANCE,
    "bus_speed_kmh": "assumed average school-bus speed on rural roads; configurable",
    "bus_excluded_classes": "school buses keep to roads (校车安全管理条例): no paths, steps or tracks",
    "boarding_cost_minutes": "zoning weight of one boarder, in minutes of daily travel: day schooling is preferred",
}


def _per_level(primary: float, junior: float) -> dict[str, float]:
    return {"primary": primary, "junior": junior}


@dataclass(frozen=True)
class Policy:
    """Policy settings of a county. All defaults are documented in :data:`SOURCES`.

    Attributes
    ----------
    walk_limit_minutes
        One-way walking limit per level (minutes).
    walk_speed_kmh
        Walking speed on flat, paved road (km/h).
    tobler
        Whether slopes (from road vertex elevations) change walking speed.
    offroad_detour
        Factor applied to the straight-line distance between a point and the road.
    far_from_road_m
        Points farther than this from any road are flagged (metres).
    max_snap_m
        Points farther than this from any road are an input error (metres).
    max_minutes
        Travel-time cut-off of the matrix (minutes); beyond it a pair is out of reach.
    class_size
        Largest class per level (pupils).
    school_size
        Largest school per level (pupils); ``nine_year_school_size`` for nine-year schools.
    boarding_min_grade
        Lowest grade allowed to board.
    school_age_share
        Share of the population in each level's ages, to estimate pupils (fraction).
    class_factors
        Walking speed factor per road class.
    excluded_classes
        Road classes pedestrians cannot use.
    cv_limit
        Largest inter-school coefficient of variation of the indicators per level.
    min_indicators_met
        Resource indicators (of seven) each school must meet.
    bus_speed_kmh
        School-bus speed on drivable roads (km/h).
    bus_excluded_classes
        Road classes a school bus cannot use.
    boarding_cost_minutes
        Weight of one boarder in zoning, in minutes of daily travel.
    """

    walk_limit_minutes: dict[str, float] = field(default_factory=lambda: _per_level(40, 40))
    walk_speed_kmh: float = 4.0
    tobler: bool = True
    offroad_detour: float = 1.3
    far_from_road_m: float = 500.0
    max_snap_m: float = 5000.0
    max_minutes: float = 180.0
    class_size: dict[str, float] = field(default_factory=lambda: _per_level(45, 50))
    school_size: dict[str, float] = field(default_factory=lambda: _per_level(2000, 2000))
    nine_year_school_size: float = 2500
    boarding_min_grade: int = 4
    school_age_share: dict[str, float] = field(default_factory=lambda: _per_level(0.072, 0.036))
    class_factors: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CLASS_FACTORS))
    excluded_classes: tuple[str, ...] = DEFAULT_EXCLUDED_CLASSES
    cv_limit: dict[str, float] = field(default_factory=lambda: _per_level(0.50, 0.45))
    min_indicators_met: int = 6
    bus_speed_kmh: float = 30.0
    bus_excluded_classes: tuple[str, ...] = DEFAULT_BUS_EXCLUDED
    boarding_cost_minutes: float = 60.0

    def __post_init__(self) -> None:
        problems = []
        for name in ("walk_limit_minutes", "class_size", "school_size", "school_age_share"):
            value = getattr(self, name)
            missing = [lv for lv in LEVELS if lv not in value]
            if missing:
                problems.append(f"`{name}` lacks levels {missing}; give a value for each of {list(LEVELS)}")
            bad = {k: v for k, v in value.items() if not _positive(v)}
            if bad:
                problems.append(f"`{name}` must be positive numbers, got {bad}")
        for name in ("walk_speed_kmh", "offroad_detour", "max_snap_m", "max_minutes", "bus_speed_kmh"):
            if not _positive(getattr(self, name)):
                problems.append(f"`{name}` must be a positive number, got {getattr(self, name)!r}")
        if problems:
            raise ValidationError(problems, source="policy")

    # ------------------------------------------------------------------ derived values
    @property
    def walk_speed_m_per_min(self) -> float:
        """Walking speed on flat road (metres per minute)."""
        return self.walk_speed_kmh * 1000.0 / 60.0

    def grade_limits(self) -> np.ndarray:
        """Walking limit of each grade 1–9 (minutes)."""
        return np.array([self.limit(level) for level, grades in LEVEL_GRADES.items() for _ in grades], dtype=float)

    def limit(self, level: str) -> float:
        """One-way walking limit of ``level`` (minutes)."""
        return float(self.walk_limit_minutes[_check_level(level)])

    def with_limit(self, minutes: float, level: str | None = None) -> Policy:
        """A copy with a new walk limit for ``level`` (all levels when None)."""
        levels = LEVELS if level is None else (_check_level(level),)
        limits = dict(self.walk_limit_minutes)
        limits.update(dict.fromkeys(levels, float(minutes)))
        return replace(self, walk_limit_minutes=limits)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Plain data for YAML/JSON."""
        out = asdict(self)
        out["excluded_classes"] = list(self.excluded_classes)
        out["bus_excluded_classes"] = list(self.bus_excluded_classes)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "policy") -> Policy:
        """Build from a mapping; unknown keys are an error naming the valid ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"unknown policy settings {unknown}; valid settings are {sorted(known)}"
            raise ValidationError(msg, source=source)
        kwargs = dict(data)
        base = cls()
        for name in ("walk_limit_minutes", "class_size", "school_size", "school_age_share",
                     "class_factors", "cv_limit"):
            if name in kwargs:  # partial dicts complete the defaults
                kwargs[name] = {**getattr(base, name), **kwargs[name]}
        for name in ("excluded_classes", "bus_excluded_classes"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name])
        return cls(**kwargs)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Policy:
        """Read a YAML file of settings (any subset of the fields)."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValidationError(f"cannot read policy file: {exc}", source=str(path)) from exc
        if not isinstance(data, dict):
            raise ValidationError("a policy file must be a mapping of setting: value", source=str(path))
        return cls.from_dict(data, source=str(path))

    def to_yaml(self, path: str | Path) -> None:
        """Write the settings as YAML (atomically)."""
        from .io import atomic_write_text

        atomic_write_text(path, yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False))

    @staticmethod
    def sources() -> dict[str, str]:
        """Where each default comes from."""
        return dict(SOURCES)


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _check_level(level: str) -> str:
    if level not in LEVEL_GRADES:
        msg = f"`level` was {level!r} but is expected to be one of {list(LEVELS)}"
        raise ValueError(msg)
    return level


def tobler_factor(grade: Any) -> Any:
    """Walking speed relative to flat ground by Tobler's hiking function.

    Parameters
    ----------
    grade
        Rise over run (dimensionless; 0.1 is a 10 % climb, negative is downhill).

    Returns
    -------
    Speed factor (1.0 on flat ground; about 0.70 at +10 %, 1.19 at −5 %).
    """
    return np.exp(-3.5 * np.abs(np.asarray(grade) + 0.05)) / math.exp(-3.5 * 0.05)
