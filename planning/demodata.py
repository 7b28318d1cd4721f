"""The shipped demo: 青山镇 (Qingshan), a synthetic hilly township (合成示例数据).

The files in ``data/demo/`` are made by ``data/make_demo.py`` (seeded); see the README
there. Every map and report of the demo says it is synthetic.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .errors import ValidationError
from .policy import Policy
from .project import Project

DEMO_FOLDER = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_LABEL = "青山镇 Qingshan (synthetic demo · 合成示例数据)"


def load_demo(*, policy: Policy | None = None) -> Project:
    """Load the demo township from ``data/demo/``."""
    if not (DEMO_FOLDER / "villages.csv").exists():
        msg = (f"the demo dataset is not at {DEMO_FOLDER}; run `python data/make_demo.py` "
               "from a clone of the repository to make it")
        raise ValidationError(msg)
    return Project.from_files(
        villages=DEMO_FOLDER / "villages.csv",
        schools=DEMO_FOLDER / "schools.csv",
        sites=DEMO_FOLDER / "sites.csv",
        roads=DEMO_FOLDER / "roads.gpkg",
        policy=policy,
        name=DEMO_LABEL,
    )


_SHARED: dict[str, Project] = {}
_SHARED_LOCK = threading.Lock()


def shared_demo() -> Project:
    """The demo loaded once per process and shared by the app's sessions.

    Sharing is safe: edits make new scenarios and a new policy or site makes a new
    project; the project itself only fills its result cache.
    """
    with _SHARED_LOCK:
        if "demo" not in _SHARED:
            _SHARED["demo"] = load_demo()
        return _SHARED["demo"]
