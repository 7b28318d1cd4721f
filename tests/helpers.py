"""Tiny projects on straight roads whose walking times are worked out on paper.

4 km/h is 66.67 m/min: 100 m of road is 1.5 minutes. Points lie on the road (no off-road leg).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
import streamlit

# imported up front: imported later, under a test's patched tempfile.tempdir, it leaves a folder there
from streamlit.testing.v1 import AppTest

from planning import Policy, Project, WalkNetwork
from planning.i18n import t
from planning.validation import validate_schools, validate_sites, validate_villages

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 4_400_000.0


def line_network(length_m: float = 5000.0, road_class: str = "residential") -> WalkNetwork:
    road = gpd.GeoDataFrame({"highway": [road_class]},
                            geometry=[shapely.LineString([(X0, Y0), (X0 + length_m, Y0)])], crs=CRS)
    return WalkNetwork.from_lines(road)


def points(xs) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy([X0 + x for x in xs], [Y0] * len(xs)), crs=CRS)


def project_on_line(villages: dict[str, dict], schools: dict[str, dict], *, sites: dict[str, dict] | None = None,
                    length_m: float = 5000.0, **policy) -> Project:
    """``villages``: id → {x, primary, junior} or {x, grade_1..grade_9}; ``schools``: id → {x, type, ...}."""
    vrows = [{"village_id": k, "name": k, **{c: v for c, v in d.items() if c != "x"}} for k, d in villages.items()]
    vg = validate_villages(gpd.GeoDataFrame(vrows, geometry=points([d["x"] for d in villages.values()]).values))
    srows = [{"school_id": k, "name": k, **{c: v for c, v in d.items() if c != "x"}} for k, d in schools.items()]
    sg = validate_schools(gpd.GeoDataFrame(srows, geometry=points([d["x"] for d in schools.values()]).values))
    site_table = None
    if sites:
        rows = [{"site_id": k, "name": k, **{c: v for c, v in d.items() if c != "x"}} for k, d in sites.items()]
        site_table = validate_sites(gpd.GeoDataFrame(rows, geometry=points([d["x"] for d in sites.values()]).values))
    return Project(vg, sg, line_network(length_m), sites=site_table, policy=Policy(**policy))


def grades(each: int, grades_=range(1, 7)) -> dict[str, int]:
    """``each`` pupils in every grade listed, 0 in the others."""
    return {f"grade_{g}": (each if g in grades_ else 0) for g in range(1, 10)}


class FakeUpload:
    """What ``st.file_uploader`` hands the script: a name the browser chose and the bytes."""

    def __init__(self, name: str, path: Path) -> None:
        self.name, self._data = name, path.read_bytes()
        self.size = len(self._data)

    def getvalue(self) -> bytes:
        return self._data


def load_in_app(monkeypatch, uploads: dict[str, FakeUpload]) -> AppTest:
    """The app's script (AppTest) with ``uploads`` handed to its upload boxes (by their
    labels), the planner's own files chosen as the source and 「读入」 clicked."""
    from .conftest import ROOT

    monkeypatch.setattr(streamlit, "file_uploader", lambda label, *args, **kwargs: uploads.get(label))
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180).run()
    at.radio(key="source").set_value("files").run()
    next(b for b in at.button if b.label == t("app.load", "zh")).click().run()
    return at


def started_app(*, timeout: float = 180) -> AppTest:
    """The app's script (AppTest) after its first run, which must raise nothing."""
    from .conftest import ROOT

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def choose_lang(app: AppTest, lang: str) -> None:
    """Switch the app to ``lang`` (it starts in Chinese)."""
    if lang == "en":
        app.radio(key="lang_choice").set_value("English").run()
        assert not app.exception


def expander_path(app: AppTest, label: str) -> list[int]:
    """Where the expander labelled ``label`` is in the page (the indices from the root): the
    browser keeps an expander open across runs only while this stays the same."""
    def search(node: Any, path: list[int]) -> list[int] | None:
        if getattr(node, "type", None) == "expander" and getattr(node, "label", None) == label:
            return path
        for index, child in getattr(node, "children", {}).items():
            if (found := search(child, [*path, index])) is not None:
                return found
        return None

    found = search(app._tree, [])
    assert found is not None, label
    return found
