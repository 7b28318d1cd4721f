"""A saved project always reopens, whatever kinds of school it holds.

Before, a school of a type the tool knows no grades for (其他, an OSM kindergarten or music
school) was saved with its empty grade list as '' and the file was refused on opening
("grades '' not understood"): the planner's saved plans were locked inside it.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import planning

from .conftest import ROOT


def reopened(project: planning.Project, tmp_path, name: str) -> planning.ProjectFile:
    plan = planning.Scenario(project, "plan").close(str(project.schools.index[-1]))
    path = planning.save_project(tmp_path / name, project, scenarios=[plan])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planning.DataWarning)
        return planning.open_project(path)


def same_figures(before: planning.Project, after: planning.Project) -> None:
    pd.testing.assert_frame_equal(before.schools[["type", "grades"]], after.schools[["type", "grades"]],
                                  check_dtype=False)
    a, b = planning.baseline(before).summary, planning.baseline(after).summary
    pd.testing.assert_series_equal(a, b, check_exact=False, rtol=1e-9)


def test_a_school_of_type_other_saves_and_reopens(tmp_path):
    schools = pd.read_csv(ROOT / "data" / "demo" / "schools.csv")
    schools.loc[schools["学校编号"] == "S02", "学校类型"] = "其他"
    schools.to_csv(tmp_path / "schools.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planning.DataWarning)
        project = planning.from_files(villages=ROOT / "data" / "demo" / "villages.csv", schools=tmp_path / "schools.csv",
                                      roads=ROOT / "data" / "demo" / "roads.gpkg")
    assert project.schools.loc["S02", "grades"] == ()
    opened = reopened(project, tmp_path, "other.gpkg")
    assert opened.project.schools.loc["S02", "type"] == "other" and list(opened.scenarios) == ["plan"]
    same_figures(project, opened.project)


@pytest.mark.slow
def test_an_osm_project_with_kindergartens_and_unknown_schools_saves_and_reopens(liechtenstein, tmp_path):
    assert {"other", "unknown"} <= set(liechtenstein.schools["type"])
    opened = reopened(liechtenstein, tmp_path, "osm.gpkg")
    assert list(opened.scenarios) == ["plan"]
    same_figures(liechtenstein, opened.project)
