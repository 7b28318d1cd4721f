"""Package-wide settings, read at call time (like ``osmnx.settings``).

Change them in a notebook or a test::

    import planning
    planning.settings.cache_folder = "/tmp/planning-cache"
"""

from __future__ import annotations

import os
from pathlib import Path

#: Folder of the on-disk travel-time cache (content-hashed ``.npz`` files).
cache_folder: Path = Path(
    os.environ.get("PLANNING_CACHE", Path.home() / ".cache" / "planning")
)

#: Whether travel-time matrices are read from and written to ``cache_folder``.
use_cache: bool = True

#: Whether long steps show a tqdm progress bar.
progress: bool = True

#: Language of messages and notes read without saying which (``str(error)``, notes):
#: "en" or "zh". The app and the command line say which, whatever this is.
language: str = os.environ.get("PLANNING_LANG", "en")
