"""School layout and catchment planning.

Load a county (tables + road layer, or an OpenStreetMap file), time every pupil's walk
to every school, and check it against the walking limit::

    import planning
    project = planning.demo()
    project.walk_summary()
"""

from __future__ import annotations

from . import settings
from .errors import DataWarning, InfeasibleError, PlanningError, ValidationError
from .evaluate import Result, compare, village_changes
from .network import WalkNetwork
from .policy import Policy
from .project import Project
from .scenario import Scenario

__version__ = "0.1.0"


def demo(*, policy: Policy | None = None) -> Project:
    """The shipped demo project: a synthetic hilly township (see ``data/demo/README.md``)."""
    from .demodata import load_demo

    return load_demo(policy=policy)


__all__ = [
    "Project",
    "Scenario",
    "Result",
    "compare",
    "village_changes",
    "Policy",
    "WalkNetwork",
    "ValidationError",
    "InfeasibleError",
    "PlanningError",
    "DataWarning",
    "demo",
    "settings",
]
