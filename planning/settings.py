"""Package-wide settings, read at call time (like ``osmnx.settings``).

Change them in a notebook or a test::

    import planning
    planning.settings.cache_folder = "/tmp/planning-cache"

The limits below keep a hostile or mistaken file from exhausting memory or disk; each is
also set by an environment variable, read when the package is imported (for the command
line and the app: ``PLANNING_MAX_ROWS=500000 planning check ...``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _number(name: str, default: float) -> float:
    """The number in environment variable ``name``, else ``default``."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"the environment variable {name}={value!r} must be a number (default {default:g})") from None


#: Folder of the on-disk travel-time cache (content-hashed ``.npz`` files); ``PLANNING_CACHE``.
cache_folder: Path = Path(
    os.environ.get("PLANNING_CACHE", Path.home() / ".cache" / "planning")
)

#: Whether travel-time matrices are read from and written to ``cache_folder``.
use_cache: bool = True

#: Most the travel-time cache may hold (megabytes); the matrices used longest ago are
#: removed when a new one would go beyond it. ``PLANNING_CACHE_MAX_MB``.
cache_max_mb: float = _number("PLANNING_CACHE_MAX_MB", 1000)

#: Whether long steps show a tqdm progress bar.
progress: bool = True

#: Language of messages and notes read without saying which (``str(error)``, notes):
#: "en" or "zh". The app and the command line say which, whatever this is.
language: str = os.environ.get("PLANNING_LANG", "en")

#: Most rows a table may have (villages, schools, sites, teacher roster, enrolment history,
#: births); a longer table is refused before it is read whole. ``PLANNING_MAX_ROWS``.
max_table_rows: int = int(_number("PLANNING_MAX_ROWS", 100_000))

#: Largest OpenStreetMap file (megabytes on disk: .osm.pbf, .osm, .osm.bz2), refused before
#: it is read: a county's extract is a few megabytes, a province's hundreds, and reading one
#: takes several times its size in memory. ``PLANNING_MAX_OSM_MB``.
max_osm_mb: float = _number("PLANNING_MAX_OSM_MB", 100)

#: Largest road layer (megabytes on disk: a GeoPackage, GeoJSON, zipped Shapefile, or a
#: Shapefile's .shp and .dbf together), refused before it is read. ``PLANNING_MAX_ROADS_MB``.
max_roads_mb: float = _number("PLANNING_MAX_ROADS_MB", 200)

#: Most lines a road layer may hold (its features, counted from the file's header before it
#: is read; for an OSM file, its walkable ways, counted while it is read). A county has tens
#: of thousands. ``PLANNING_MAX_ROAD_FEATURES``.
max_road_features: int = int(_number("PLANNING_MAX_ROAD_FEATURES", 1_000_000))

#: Largest scenario or policy file (megabytes). ``PLANNING_MAX_SETTINGS_MB``.
max_settings_mb: float = _number("PLANNING_MAX_SETTINGS_MB", 1)

#: Most values the aliases (``*name``) of a YAML settings file may repeat: aliases nested
#: in aliases (the "billion laughs") would otherwise make a few hundred bytes into billions
#: of values. ``PLANNING_MAX_YAML_ALIAS_VALUES``.
max_yaml_alias_values: int = int(_number("PLANNING_MAX_YAML_ALIAS_VALUES", 10_000))

#: Most an archive (zip, zipped Shapefile, Excel ``.xlsx``) may hold once unpacked
#: (megabytes), checked before anything is unpacked. ``PLANNING_MAX_UNZIPPED_MB``.
max_unzipped_mb: float = _number("PLANNING_MAX_UNZIPPED_MB", 500)

#: Most files an archive may hold. ``PLANNING_MAX_ARCHIVE_FILES``.
max_archive_files: int = int(_number("PLANNING_MAX_ARCHIVE_FILES", 1000))

#: Largest file the app accepts as an upload (megabytes). ``PLANNING_MAX_UPLOAD_MB``.
max_upload_mb: float = _number("PLANNING_MAX_UPLOAD_MB", 200)

#: Where the app keeps uploaded files: one folder per browser session inside it, one folder
#: per upload inside that. ``PLANNING_UPLOADS``.
upload_folder: Path = Path(os.environ.get("PLANNING_UPLOADS", Path(tempfile.gettempdir()) / "planning-uploads"))

#: A session's upload folder untouched this long (hours) is removed when an app starts.
#: ``PLANNING_UPLOAD_MAX_AGE_HOURS``.
upload_max_age_hours: float = _number("PLANNING_UPLOAD_MAX_AGE_HOURS", 24)
