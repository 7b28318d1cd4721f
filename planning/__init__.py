"""School layout and catchment planning.

Load a county (tables + road layer, or an OpenStreetMap file), time every pupil's walk
to every school, check it against the walking limit, and try plans::

    >>> import planning
    >>> project = planning.demo()
    >>> planning.walk_summary(project).loc["primary", "villages"]
    np.float64(17.0)
    >>> plan = planning.Scenario(project, "merge").merge("S08", into="S04")
    >>> planning.compare(planning.baseline(project), plan.evaluate()).loc["schools_open"].tolist()
    [13.0, 12.0]

The flow (see ``ARCHITECTURE.md``): files → :class:`Project` (immutable) → travel-time
matrix → :class:`Scenario` → :class:`Result` → maps, reports, project file.
"""

from __future__ import annotations

import logging

from . import settings
from .changes import village_changes
from .costs import cost_sheet
from .errors import DataWarning, InfeasibleError, PlanningError, ValidationError
from .evaluate import Result, compare
from .forecast import Forecast, forecast
from .load import (
    DEMO_BIRTHS,
    DEMO_HISTORY,
    DEMO_TEACHERS,
    demo,
    demo_births,
    demo_history,
    from_files,
    from_osm,
    open_project,
    read_roster,
)
from .network import WalkNetwork
from .policy import Policy
from .project import Project
from .scenario import Scenario, baseline, comparable_baseline
from .store import ProjectFile, save_project
from .teachers import Alliances, Exchange, alliances, teacher_exchange
from .timeline import Timeline
from .walkcheck import data_notes, school_reach, walk_check, walk_summary

__version__ = "0.2.0"

# progress goes to the "planning" logger; the application decides where it is shown
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Project",
    "cost_sheet",
    "teacher_exchange",
    "alliances",
    "Exchange",
    "Alliances",
    "Policy",
    "WalkNetwork",
    "from_files",
    "from_osm",
    "open_project",
    "save_project",
    "ProjectFile",
    "demo",
    "walk_check",
    "walk_summary",
    "school_reach",
    "data_notes",
    "Scenario",
    "baseline",
    "comparable_baseline",
    "Timeline",
    "Result",
    "compare",
    "village_changes",
    "forecast",
    "Forecast",
    "demo_history",
    "demo_births",
    "DEMO_HISTORY",
    "DEMO_BIRTHS",
    "DEMO_TEACHERS",
    "read_roster",
    "ValidationError",
    "InfeasibleError",
    "PlanningError",
    "DataWarning",
    "settings",
]
