"""Start the browser app on a warm server: ``planning app`` (what ``make run`` calls).

``streamlit run`` imports nothing and loads nothing until the first browser connects, so
the first planner to open the page waited for folium, pandas, geopandas and the demo
township (about 3 s on a cold machine, more than half of the first render). Here the
server process does that work before it starts listening; the app's sessions then share
the warm modules and the demo project (:func:`planning.load.shared_demo`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import ValidationError
from .i18n import Message, t

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def warm() -> float:
    """Import the app's modules and load the demo with today's layout; returns seconds taken."""
    start = time.perf_counter()
    # not streamlit_folium: it registers its component with the runtime that imports it, and
    # the runtime starts after this (imported here, its map would be missing: a 404)
    import folium.plugins  # noqa: F401 - imported for the app's first session (streamlit_folium needs it)

    from . import app, maps, report  # noqa: F401
    from .load import shared_demo
    from .scenario import baseline

    baseline(shared_demo(), "nearest")
    return time.perf_counter() - start


def main(streamlit_args: Sequence[str] = ()) -> int:
    """Warm up, then hand over to ``streamlit run streamlit_app.py`` with ``streamlit_args``."""
    if not APP.exists():
        raise ValidationError(Message("error.no_app_script", path=str(APP)))
    print(t("cli.warming", seconds=f"{warm():.1f}"), flush=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *streamlit_args]
    return cli.main()
