"""Planning policy: walking limits, speeds, class and school sizes, indicator thresholds.

Every default is a setting a county can change (``Policy.from_yaml``) and carries its
source (``Policy.sources()``), so the app and reports can show where a number comes from.

    >>> from planning import Policy
    >>> policy = Policy.from_dict({"walk_limit_minutes": {"primary": 30}})
    >>> policy.limit("primary"), policy.limit("junior")
    (30.0, 40.0)
    >>> Policy.from_dict({"tobler": "no"})
    Traceback (most recent call last):
    ...
    planning.errors.ValidationError: policy: tobler: must be true or false (given 'no')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
import yaml

from .errors import ValidationError
from .i18n import Message, t
from .io import atomic_write_text
from .schema import Settings, key_path, problems, read_mapping

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

#: Expressway classes (OSM ``motorway``, the Chinese 高速公路 and what road layers call them):
#: no one walks them unless ``walk_expressways`` is set, whatever ``excluded_classes`` holds
#: (《道路交通安全法》第六十七条: pedestrians may not enter an expressway). A road layer's
#: labels for expressways (高速路, G55二广高速, Expressway, …) are read as 高速公路 by
#: :func:`planning.network.road_class`.
EXPRESSWAY_CLASSES: frozenset[str] = frozenset({"motorway", "motorway_link", "高速公路", "高速", "expressway"})

#: Sensible ranges (lowest, highest) of the settings a planner types most: a walking limit of
#: 0 or 1 minute reaches no school (and "every pupil within the limit" then holds for none), a
#: walking speed of 40 km/h is a car's. Minutes, km/h.
SENSIBLE: dict[str, tuple[float, float]] = {
    "walk_limit_minutes": (5.0, 180.0),
    "walk_speed_kmh": (1.0, 8.0),
    "bus_speed_kmh": (5.0, 80.0),
}

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

#: Cost settings (yuan, m², years), each with its source or marked as assumed (``policy_source.cost_*``).
COST_SETTINGS = ("cost_build_per_m2", "cost_classroom_m2", "cost_bed_m2", "cost_new_seat", "cost_classroom_rent", "cost_classroom_short",
                 "cost_bus", "cost_bus_life", "cost_bus_seats", "cost_bus_driver", "cost_bus_per_km", "cost_school_days",
                 "cost_boarding_subsidy", "cost_boarding_needy_share", "cost_teacher", "cost_school_fixed", "cost_per_pupil", "cost_renovation_per_m2", "cost_discount_rate", "cost_horizon")

#: Settings whose default carries a source (worded in the text catalogue, ``policy_source.*``).
SOURCED = ("walk_limit_minutes", "walk_speed_kmh", "walk_expressways", "tobler", "offroad_detour", "far_from_road_m", "max_snap_m",
           "max_minutes", "class_size", "large_class", "super_large_class", "small_school_pupils", "school_size",
           "boarding_min_grade", "school_age_share",
           "indicator_thresholds", "cv_limit", "min_indicators_met", "missed_indicator_floor", "cv_teaching_points",
           "cv_teaching_point_pupils", "cv_nine_year_split", "bus_speed_kmh", "bus_max_ride_minutes", "bus_excluded_classes",
           "boarding_cost_minutes", "pupils_per_teacher", "teachers_per_class", "exchange_share", "exchange_key_share",
           "exchange_min_years", *COST_SETTINGS)


#: Forecast variants (:func:`planning.forecast.forecast`), named after the township's total
#: pupils: the yearly change of births beyond the data (fraction: −0.03 is 3 % fewer births
#: each year) and the town-ward drift (share of each village's pupils, by grade, moving to the
#: town's villages each year). Sources: ``policy_source.forecast_birth_trend`` and
#: ``policy_source.forecast_drift``.
FORECAST_VARIANTS: dict[str, dict[str, float]] = {
    "low": {"birth_trend": -0.05, "drift": 0.005},
    "medium": {"birth_trend": -0.03, "drift": 0.01},
    "high": {"birth_trend": -0.01, "drift": 0.015},
}

#: Births per 1000 people a year where a village's births are not given (国家统计局 2023: 6.39‰).
BIRTH_RATE_PER_1000 = 6.39

#: A village belongs to the town when its nearest school teaching grade 1 is a central primary
#: (中心小学) within this walk (minutes).
TOWN_WALK_MINUTES = 15.0

#: Progression ratios (pupils of grade g next year per pupil of grade g−1 this year) and entry
#: ratios (grade 1 per birth six years earlier) are clipped to these ranges.
PROGRESSION_RANGE = (0.5, 1.5)
ENTRY_RANGE = (0.2, 3.0)

#: A village's own ratio is used where its history has at least this many pupils (or births)
#: in the denominator; otherwise the township's pooled ratio.
OWN_RATIO_MIN = 50.0

#: Forecast settings with a source in the catalogue (``policy_source.forecast_*``).
FORECAST_SOURCED = ("forecast_birth_trend", "forecast_drift", "forecast_birth_rate", "forecast_town",
                    "forecast_ratio_range", "forecast_own_ratio_min", "forecast_no_history")


class PerLevel(Settings):
    """A value for each school level (primary, junior secondary)."""

    primary: Annotated[float, pydantic.Field(gt=0)]
    junior: Annotated[float, pydantic.Field(gt=0)]

    def __getitem__(self, level: str) -> float:
        return float(getattr(self, _check_level(level)))


def _per_level(primary: float, junior: float) -> PerLevel:
    return PerLevel(primary=primary, junior=junior)


_LIMIT_LOW, _LIMIT_HIGH = SENSIBLE["walk_limit_minutes"]


class WalkLimits(PerLevel):
    """One-way walking limit per level (minutes), within :data:`SENSIBLE`."""

    primary: Annotated[float, pydantic.Field(ge=_LIMIT_LOW, le=_LIMIT_HIGH)]
    junior: Annotated[float, pydantic.Field(ge=_LIMIT_LOW, le=_LIMIT_HIGH)]


def _sensible(name: str) -> Any:
    """A pydantic Field bounding a setting to its :data:`SENSIBLE` range."""
    low, high = SENSIBLE[name]
    return pydantic.Field(ge=low, le=high)


#: Settings given per level; a file may give one number for both levels, or some levels only.
PER_LEVEL = ("walk_limit_minutes", "class_size", "school_size", "school_age_share", "cv_limit", "pupils_per_teacher",
             "cost_classroom_m2", "cost_boarding_subsidy", "cost_per_pupil")


class Policy(Settings):
    """Policy settings of a county; where each default comes from: :meth:`sources`.

    Immutable and hashable: ``with_limit`` and ``replace`` return new policies. Files and
    keyword arguments are checked strictly (types and ranges; unknown settings refused).

    Attributes
    ----------
    walk_limit_minutes
        One-way walking limit per level (minutes, 5–180: :data:`SENSIBLE`).
    walk_speed_kmh
        Walking speed on flat, paved road (km/h, 1–8).
    walk_expressways
        Whether pupils may walk on expressways (:data:`EXPRESSWAY_CLASSES`); False by law
        and by default, whatever ``excluded_classes`` holds.
    tobler
        Whether slopes (from road vertex elevations) change walking speed.
    offroad_detour
        Factor (≥ 1) applied to the straight-line distance between a point and the road.
    far_from_road_m
        Points farther than this from any road are flagged (metres).
    max_snap_m
        Points farther than this from any road are an input error (metres).
    max_minutes
        Travel-time cut-off of the matrix (minutes); beyond it a pair is out of reach.
    class_size
        Largest class per level (pupils).
    large_class, super_large_class
        Smallest class counted as a large class (大班额, 56) and a very large class (超大班额, 66).
    small_school_pupils
        A school with fewer pupils is a small-scale school (乡村小规模学校, fewer than 100).
    school_size
        Largest school per level (pupils); ``nine_year_school_size`` for nine-year schools.
    boarding_min_grade
        Lowest grade allowed to board (1–9; 10 means no pupil boards).
    school_age_share
        Share of the population in each level's ages, to estimate pupils (fraction, 0–1).
    class_factors
        Walking speed factor per road class (read-only mapping).
    excluded_classes
        Road classes pedestrians cannot use (expressways: ``walk_expressways``).
    cv_limit
        Largest inter-school coefficient of variation of the indicators per level.
    min_indicators_met
        Resource indicators (of seven) each school must meet.
    missed_indicator_floor
        Share of its standard (fraction, 0–1) that every indicator a school does not meet
        must still reach (教督〔2017〕6号: the one missed indicator at least 85 %).
    cv_teaching_points
        ``include``: every teaching point (教学点) enters the inter-school CV like any
        school; ``exclude``: teaching points with fewer than ``cv_teaching_point_pupils``
        pupils are left out of it (their own verdicts are still given).
    cv_teaching_point_pupils
        With ``cv_teaching_points: exclude``, teaching points with fewer pupils than this
        are left out of the CV (pupils).
    cv_nine_year_split
        How a school teaching both levels (nine-year school) enters each level's CV:
        ``pupils``: its resources split by the pupils of each level, so both parts show the
        school's per-pupil value; ``requirement``: split by each level's requirement (pupils
        × that level's standard), so both parts stand at the same share of their standard.
    bus_speed_kmh
        School-bus speed on drivable roads (km/h, 5–80).
    bus_max_ride_minutes
        Longest school-bus ride a plan may buy a bus for (minutes, one way; the least-cost
        plan with buses and beds, :mod:`planning.transport`).
    bus_excluded_classes
        Road classes a school bus cannot use.
    boarding_cost_minutes
        Weight of one boarder in zoning, in minutes of daily travel (≥ 0).
    pupils_per_teacher
        Staffing norm per level: pupils per teacher (中央编办发〔2014〕72号: 19 primary, 13.5 junior).
    teachers_per_class
        Staffing floor of a small-scale school (fewer than ``small_school_pupils``): teachers
        per class (班师比), set by each province.
    exchange_share, exchange_key_share
        Teacher exchange rules (教师〔2014〕4号): each year at least this share of the
        teachers eligible to rotate move (0.10), and key teachers are at least this share of
        those who move (0.20).
    exchange_min_years
        A teacher is eligible to rotate after this many years at the school (6).
    cost_build_per_m2, cost_classroom_m2, cost_bed_m2
        Building cost (yuan per m² of floor) and the floor of a classroom per level and of a
        dormitory place (m²): a classroom or a bed costs floor × cost.
    cost_new_seat
        A new school at a site whose 投资估算 is not given: yuan per seat.
    cost_classroom_rent, cost_classroom_short
        Renting a classroom (yuan a year); whether classrooms a plan leaves short are
        ``build``-t (one-off) or ``rent``-ed (yearly).
    cost_bus, cost_bus_life, cost_bus_seats, cost_bus_driver, cost_bus_per_km, cost_school_days
        A school bus: price (yuan), life (years), seats, driver (yuan a year), running cost
        (yuan per km), school days a year (two round trips a day on its longest ride).
    cost_boarding_subsidy, cost_boarding_needy_share
        Living subsidy per boarder from a family in difficulty (yuan a year, per level), and
        the share of boarders who receive it.
    cost_teacher
        A teacher (yuan a year, salary and contributions).
    cost_school_fixed, cost_per_pupil
        Running an open school: yuan a year, plus per pupil (公用经费, per level; a school of
        fewer than ``small_school_pupils`` is funded as if it had that many).
    cost_renovation_per_m2
        Renovating dilapidated school buildings (危房, yuan per m²): avoided when a school
        carrying them closes.
    cost_discount_rate, cost_horizon
        Discount rate (fraction a year) and years over which a plan's cost is counted.
    """

    walk_limit_minutes: WalkLimits = WalkLimits(primary=40, junior=40)
    walk_speed_kmh: Annotated[float, _sensible("walk_speed_kmh")] = 4.0
    walk_expressways: bool = False
    tobler: bool = True
    offroad_detour: Annotated[float, pydantic.Field(ge=1)] = 1.3
    far_from_road_m: Annotated[float, pydantic.Field(gt=0)] = 500.0
    max_snap_m: Annotated[float, pydantic.Field(gt=0)] = 5000.0
    max_minutes: Annotated[float, pydantic.Field(gt=0)] = 180.0
    class_size: PerLevel = _per_level(45, 50)
    large_class: Annotated[int, pydantic.Field(gt=0)] = 56
    super_large_class: Annotated[int, pydantic.Field(gt=0)] = 66
    small_school_pupils: Annotated[int, pydantic.Field(ge=0)] = 100
    school_size: PerLevel = _per_level(2000, 2000)
    nine_year_school_size: Annotated[float, pydantic.Field(gt=0)] = 2500
    boarding_min_grade: Annotated[int, pydantic.Field(ge=1, le=10)] = 4
    school_age_share: PerLevel = _per_level(0.072, 0.036)
    class_factors: Mapping[str, Annotated[float, pydantic.Field(gt=0)]] = pydantic.Field(
        default_factory=lambda: dict(DEFAULT_CLASS_FACTORS))
    excluded_classes: Annotated[tuple[str, ...], pydantic.Field(strict=False)] = DEFAULT_EXCLUDED_CLASSES
    cv_limit: PerLevel = _per_level(0.50, 0.45)
    min_indicators_met: Annotated[int, pydantic.Field(ge=0, le=len(INDICATORS))] = 6
    missed_indicator_floor: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.85
    cv_teaching_points: Literal["include", "exclude"] = "include"
    cv_teaching_point_pupils: Annotated[int, pydantic.Field(ge=0)] = 50
    cv_nine_year_split: Literal["pupils", "requirement"] = "pupils"
    bus_speed_kmh: Annotated[float, _sensible("bus_speed_kmh")] = 30.0
    bus_max_ride_minutes: Annotated[float, pydantic.Field(gt=0, le=240)] = 40.0
    bus_excluded_classes: Annotated[tuple[str, ...], pydantic.Field(strict=False)] = DEFAULT_BUS_EXCLUDED
    boarding_cost_minutes: Annotated[float, pydantic.Field(ge=0)] = 60.0
    pupils_per_teacher: PerLevel = _per_level(19, 13.5)
    teachers_per_class: Annotated[float, pydantic.Field(ge=0)] = 1.7
    exchange_share: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.10
    exchange_key_share: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.20
    exchange_min_years: Annotated[int, pydantic.Field(ge=0)] = 6
    cost_build_per_m2: Annotated[float, pydantic.Field(ge=0)] = 3000.0
    cost_classroom_m2: PerLevel = _per_level(61, 70)
    cost_bed_m2: Annotated[float, pydantic.Field(ge=0)] = 3.0
    cost_new_seat: Annotated[float, pydantic.Field(ge=0)] = 30000.0
    cost_classroom_rent: Annotated[float, pydantic.Field(ge=0)] = 6000.0
    cost_classroom_short: Literal["build", "rent"] = "build"
    cost_bus: Annotated[float, pydantic.Field(ge=0)] = 400000.0
    cost_bus_life: Annotated[int, pydantic.Field(gt=0)] = 15
    cost_bus_seats: Annotated[int, pydantic.Field(gt=0)] = 40
    cost_bus_driver: Annotated[float, pydantic.Field(ge=0)] = 60000.0
    cost_bus_per_km: Annotated[float, pydantic.Field(ge=0)] = 3.0
    cost_school_days: Annotated[int, pydantic.Field(ge=0, le=366)] = 195
    cost_boarding_subsidy: PerLevel = _per_level(1000, 1250)
    cost_boarding_needy_share: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.3
    cost_teacher: Annotated[float, pydantic.Field(ge=0)] = 100000.0
    cost_school_fixed: Annotated[float, pydantic.Field(ge=0)] = 100000.0
    cost_per_pupil: PerLevel = _per_level(720, 940)
    cost_renovation_per_m2: Annotated[float, pydantic.Field(ge=0)] = 1500.0
    cost_discount_rate: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.08
    cost_horizon: Annotated[int, pydantic.Field(ge=1, le=100)] = 10

    @pydantic.model_validator(mode="before")
    @classmethod
    def _complete(cls, data: Any) -> Any:
        """Per-level settings may be one number (both levels) or name some levels only;
        class factors add to the defaults."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in PER_LEVEL:
            value = data.get(name)
            default = cls.model_fields[name].default.model_dump()
            if isinstance(value, int | float) and not isinstance(value, bool):
                data[name] = dict.fromkeys(LEVELS, value)
            elif isinstance(value, dict):
                data[name] = {**default, **value}
        if isinstance(data.get("class_factors"), dict):
            data["class_factors"] = {**DEFAULT_CLASS_FACTORS, **data["class_factors"]}
        return data

    @pydantic.field_validator("class_factors", mode="after")
    @classmethod
    def _read_only(cls, value: Mapping[str, float]) -> Mapping[str, float]:
        return MappingProxyType(dict(value))

    @pydantic.field_serializer("class_factors")
    def _plain(self, value: Mapping[str, float]) -> dict[str, float]:
        return dict(value)

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> Policy:
        if any(self.school_age_share[level] > 1 for level in LEVELS):
            raise ValueError("settings.age_share")  # a catalogue key: the message is worded there
        if self.far_from_road_m > self.max_snap_m:
            raise ValueError("settings.flag_over_error")
        return self

    def __hash__(self) -> int:
        return hash(self.model_dump_json())

    # ------------------------------------------------------------------ derived values
    @property
    def walk_excluded(self) -> frozenset[str]:
        """Road classes no one walks: ``excluded_classes``, and the expressways
        (:data:`EXPRESSWAY_CLASSES`) unless ``walk_expressways`` (then they are walked
        even if ``excluded_classes`` names them)."""
        own = frozenset(self.excluded_classes)
        return own - EXPRESSWAY_CLASSES if self.walk_expressways else own | EXPRESSWAY_CLASSES

    @property
    def walk_speed_m_per_min(self) -> float:
        """Walking speed on flat road (metres per minute)."""
        return self.walk_speed_kmh * 1000.0 / 60.0

    def grade_limits(self) -> np.ndarray:
        """Walking limit of each grade 1–9 (minutes)."""
        return np.array([self.limit(level) for level, grades in LEVEL_GRADES.items() for _ in grades], dtype=float)

    def limit(self, level: str) -> float:
        """One-way walking limit of ``level`` (minutes)."""
        return self.walk_limit_minutes[level]

    def with_limit(self, minutes: float, level: str | None = None) -> Policy:
        """A copy with a new walk limit (minutes) for ``level`` (all levels when None)."""
        levels = LEVELS if level is None else (_check_level(level),)
        limits = self.walk_limit_minutes.model_dump()
        limits.update(dict.fromkeys(levels, float(minutes)))
        return self.replace(walk_limit_minutes=limits)

    def replace(self, **changes: Any) -> Policy:
        """A copy with ``changes``, checked like a policy file (per-level settings may be partial)."""
        return self.from_dict({**self.to_dict(), **changes})

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Plain data for YAML/JSON."""
        out = self.model_dump()
        out["excluded_classes"] = list(self.excluded_classes)
        out["bus_excluded_classes"] = list(self.bus_excluded_classes)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "policy") -> Policy:
        """Build from a mapping of settings (any subset); every problem in one error naming
        the setting, what was given and what is allowed."""
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ValidationError(_worded(exc, cls), source=source) from exc

    @classmethod
    def from_yaml(cls, path: str | Path) -> Policy:
        """Read a YAML (or JSON) file of settings (any subset of the fields)."""
        return cls.from_dict(read_mapping(path, what="policy"), source=str(path))

    def to_yaml(self, path: str | Path) -> None:
        """Write the settings as YAML (atomically)."""
        atomic_write_text(path, yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False))

    @staticmethod
    def sources(lang: str | None = None) -> dict[str, str]:
        """Where each default comes from, in ``lang`` (``settings.language`` when None)."""
        return {name: t(f"policy_source.{name}", lang) for name in SOURCED}


def _worded(error: pydantic.ValidationError, model: type[pydantic.BaseModel]) -> list[Message]:
    """The problems of a policy (:func:`~planning.schema.problems`), a setting outside its
    :data:`SENSIBLE` range said with the range and its unit ("5–180 minutes")."""
    out = problems(error, model)
    for i, item in enumerate(error.errors(include_url=False)):
        name = item["loc"][0] if item["loc"] else None
        value = item.get("input")
        if name in SENSIBLE and item["type"].startswith(("greater_than", "less_than")) and isinstance(value, int | float):
            low, high = SENSIBLE[str(name)]
            out[i] = Message(f"settings.sensible.{name}", where=key_path(item["loc"]), low=f"{low:g}",
                             high=f"{high:g}", value=f"{value:g}")
    return out


def checked_limit(minutes: float, *, source: str | None = None) -> float:
    """A walking limit given on its own (``--limit``), checked like ``walk_limit_minutes``.

    Raises
    ------
    ValidationError
        When it is not a number in the :data:`SENSIBLE` range (5–180 minutes).
    """
    low, high = SENSIBLE["walk_limit_minutes"]
    if not (isinstance(minutes, int | float) and math.isfinite(minutes) and low <= minutes <= high):
        shown = f"{minutes:g}" if isinstance(minutes, int | float) else repr(minutes)
        raise ValidationError(Message("settings.sensible.limit", low=f"{low:g}", high=f"{high:g}", value=shown),
                              source=source)
    return float(minutes)


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
