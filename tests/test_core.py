"""The core's promises: a project never changes, a changed copy gives new figures everywhere,
results describe themselves (a zoned plan that fixes today's seat shortfall has its maps,
Excel and GeoPackage), and the package's modules import each other in one direction."""

from __future__ import annotations

import ast

import folium
import numpy as np
import pandas as pd
import pyogrio
import pytest

import planning
from planning import app as logic
from planning.evaluate import level_summary
from planning.maps import result_map
from planning.report import excel_report, results_gpkg

from .conftest import ROOT


def test_a_project_never_changes(demo):
    with pytest.raises(AttributeError, match="a Project never changes"):
        demo.policy = demo.policy.with_limit(20)  # the way the old app changed the policy
    villages = demo.villages
    villages.loc["V01", "primary_pupils"] = 0  # a copy: the project's table is untouched
    assert demo.villages.loc["V01", "primary_pupils"] > 0
    assert not demo.matrix.minutes.flags.writeable and not demo.bus_times.flags.writeable


@pytest.mark.parametrize("limit", [20, 30])
def test_a_new_policy_gives_the_new_figures_everywhere(demo, limit):
    """Before: after `project.policy = ...` the walk summary followed the new policy but
    today's layout, bus times and the merge baseline did not (on the demo of the time, 402
    against 821 pupils beyond a 20-minute limit). Now every figure of the changed copy equals
    a freshly loaded project's under the same policy."""
    planning.baseline(demo)  # derived values exist on the old project before the change
    policy = demo.policy.with_limit(limit)
    changed, fresh = demo.with_policy(policy), planning.demo(policy=policy)
    assert changed.matrix is demo.matrix  # a new walking limit never routes again
    for assignment in ("nearest", "zoned"):
        pd.testing.assert_series_equal(planning.baseline(changed, assignment).summary,
                                       planning.baseline(fresh, assignment).summary)
    pd.testing.assert_frame_equal(planning.walk_summary(changed), planning.walk_summary(fresh))
    plan = (planning.Scenario(demo, "p").merge("S08", into="S04").add_bus("S04", villages=["V02"], max_ride=30))
    moved = plan.on(changed).evaluate("zoned").summary
    pd.testing.assert_series_equal(moved, plan.on(fresh).evaluate("zoned").summary)
    assert planning.baseline(changed).summary["pupils_beyond_limit"] != planning.baseline(demo).summary[
        "pupils_beyond_limit"]


def test_a_new_walking_speed_routes_again_and_bus_times_follow_the_bus_speed(demo):
    demo.bus_times  # noqa: B018 - computed before the change
    slower = demo.with_policy(demo.policy.replace(walk_speed_kmh=3.0))
    assert slower.matrix is not demo.matrix
    np.testing.assert_allclose(slower.travel_times().to_numpy(),
                               planning.demo(policy=slower.policy).travel_times().to_numpy(), equal_nan=True)
    assert slower.bus_times is demo.bus_times  # the bus does not walk
    faster_bus = demo.with_policy(demo.policy.replace(bus_speed_kmh=60.0))
    np.testing.assert_allclose(faster_bus.bus_times, demo.bus_times / 2, rtol=1e-9, atol=1e-6)
    both = demo.with_policy(demo.policy.replace(bus_speed_kmh=60.0, school_age_share={"primary": 0.1}))
    np.testing.assert_allclose(both.bus_times, demo.bus_times / 2, rtol=1e-9, atol=1e-6)
    with pytest.raises(planning.ValidationError, match="excluded_classes decide which roads"):
        demo.with_policy(demo.policy.replace(excluded_classes=("motorway",)))


def test_a_site_added_routes_its_column_only_and_matches_a_full_routing(demo):
    point = demo.villages.geometry["V05"]
    demo.matrix  # noqa: B018 - routed before the site is added
    bigger = demo.with_site("N1", lon=point.x + 0.002, lat=point.y, capacity=200)
    full = planning.Project(bigger.villages, bigger.schools, bigger.network, sites=bigger.sites,
                            policy=bigger.policy, name=bigger.name)
    np.testing.assert_allclose(bigger.travel_times().to_numpy(), full.travel_times().to_numpy(), rtol=1e-9,
                               atol=1e-6, equal_nan=True)
    assert list(bigger.travel_times().columns) == [*demo.schools.index, *demo.sites.index, "N1"]


def test_new_villages_reuse_the_matrix_only_when_they_stand_where_they_stood(demo):
    villages = demo.villages
    villages["primary_pupils"] = villages["primary_pupils"] * 2  # pupils of another year: totals ...
    with pytest.raises(planning.ValidationError, match=r"row 2: primary_pupils is 438 but grades 1–6 add up to 219"):
        demo.with_villages(villages)  # ... that disagree with the grades are caught
    grades = [f"grade_{g}" for g in range(1, 7)]
    villages[grades] = villages[grades] * 2
    doubled = demo.with_villages(villages)
    assert doubled.matrix is demo.matrix
    assert planning.baseline(doubled).summary["pupils"] == 2 * demo.villages["primary_pupils"].sum() + \
        demo.villages["junior_pupils"].sum()
    moved = villages.copy()
    moved.loc["V01", "geometry"] = demo.villages.geometry["V02"]
    assert demo.with_villages(moved).matrix is not demo.matrix


@pytest.fixture(scope="module")
def short_of_seats(demo):
    """The demo with every primary school's seats cut so today's primary pupils do not fit."""
    schools = demo.schools
    primary = schools["primary"].to_numpy(dtype=bool)
    factor = 0.8 * demo.villages["primary_pupils"].sum() / schools.loc[primary, "capacity"].sum()
    schools.loc[primary, "capacity"] = (schools.loc[primary, "capacity"] * factor).round()
    project = demo.with_schools(schools)
    primary = project.schools[project.schools["primary"]]
    pupils = project.villages["primary_pupils"].sum()
    assert primary["capacity"].sum() < pupils  # the point of the fixture
    return project, pupils - primary["capacity"].sum()


def test_a_zoned_plan_that_fixes_a_shortfall_has_villages_maps_excel_and_geopackage(short_of_seats, tmp_path):
    """Before: Result.villages zoned today's layout behind the caller's back, which is
    infeasible here, so the plan's maps, Excel and GeoPackage all failed."""
    project, short = short_of_seats
    with pytest.raises(planning.InfeasibleError, match=r"primary: .* short by"):
        planning.baseline(project, "zoned")
    plan = planning.Scenario(project, "more seats").expand("S01", capacity=short + 200, classrooms=4)
    result = plan.evaluate("zoned")
    assert result.summary["schools_over_capacity"] == 0
    assert set(result.villages.columns) >= {"school", "mode", "minutes"}
    assert not {"minutes_before", "change"} & set(result.villages.columns)  # about this plan only
    assert len(result.villages) == 2 * len(project.villages)
    html = result_map(project, result, lang="zh").get_root().render()
    assert "planning-legend" in html
    today, reason = planning.comparable_baseline(project, "zoned")
    assert today.assignment == "nearest" and "short by" in str(reason)
    book = excel_report(project, [today, result], tmp_path / "plan.xlsx", lang="en")
    with pd.ExcelFile(book) as workbook:
        assert "more seats villages" in workbook.sheet_names
        plans = pd.read_excel(workbook, "plans", index_col=0)
    assert plans["assignment"].tolist() == ["nearest", "zoned"]
    layers = dict(pyogrio.list_layers(results_gpkg(project, [result], tmp_path / "plan.gpkg")))
    assert layers["more seats_villages"] == "Point"
    changes = planning.village_changes(today, result)  # before/after: explicit, with the caller's "before"
    assert set(changes.columns) >= {"school_before", "school_after", "minutes_before", "minutes_after"}


def test_the_app_compares_with_nearest_where_today_cannot_be_zoned(short_of_seats):
    project, short = short_of_seats
    empty = planning.Scenario(project, "plan")
    view = logic.evaluate_plan(project, empty, "zoned")
    assert view.baseline.assignment == "nearest" and view.today_infeasible is not None
    assert view.result.assignment == "zoned" or view.plan_infeasible is not None
    assert any("nearest school" in note for note in view.notes("en"))
    assert any("就近入学" in note for note in view.notes("zh"))
    fixed = empty.expand("S01", capacity=short + 200)
    view = logic.evaluate_plan(project, fixed, "zoned")
    assert view.result.assignment == "zoned" and view.plan_infeasible is None
    headlines = {h.key: h for h in logic.headlines(view.result, view.baseline, "en")}
    assert headlines["schools_open"].value == level_summary(view.baseline, "primary")["schools_open"]  # all open


def test_results_describe_themselves_and_summaries_are_numbers(demo):
    result = planning.Scenario(demo, "plan").close("S05").evaluate("zoned")
    assert result.summary.dtype == float and planning.compare(planning.baseline(demo), result).dtypes.eq(float).all()
    assert result.solver is not None and result.solver.status == "Optimal" and result.assignment == "zoned"
    assert result.project is demo and [e.op for e in result.edits] == ["close"]
    assert result.log("zh")["change"].tolist() == ["撤并 S05 杨家坳村完小"]
    assert planning.Scenario(demo, "plan").close("S05").evaluate("zoned") is not result  # a new scenario object
    same = planning.Scenario(demo, "plan").close("S05")
    assert same.evaluate("zoned") is same.evaluate("zoned")  # computed once per scenario


def _imports(path) -> set[str]:
    """The package modules a module imports (top level, in functions, and for type checking)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("planning."):
            found.add(node.module.split(".")[1])
    return found


def test_the_package_has_no_import_cycle():
    import networkx as nx

    modules = {p.stem: p for p in (ROOT / "planning").glob("*.py") if p.stem != "__init__"}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    graph.add_edges_from((name, dep) for name, path in modules.items() for dep in _imports(path) if dep in modules)
    assert list(nx.simple_cycles(graph)) == []
    order = list(nx.topological_sort(graph.reverse()))  # the flow: what comes first imports nothing after it
    assert order.index("project") < order.index("scenario") < order.index("store")


def test_zoning_and_optimisation_are_written_in_small_functions():
    for name in ("zoning", "optimise", "milp", "transport"):
        tree = ast.parse((ROOT / "planning" / f"{name}.py").read_text(encoding="utf-8"))
        long = [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
                if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 60]
        assert long == [], name
    project_class = next(n for n in ast.parse((ROOT / "planning" / "project.py").read_text(encoding="utf-8")).body
                         if isinstance(n, ast.ClassDef) and n.name == "Project")
    assert project_class.end_lineno - project_class.lineno + 1 < 200


def test_maps_of_a_result_need_no_second_evaluation(demo):
    result = planning.Scenario(demo, "x").close("S05").evaluate("zoned")
    assert isinstance(result_map(demo, result), folium.Map)


# ---------------------------------------------------------------------- found in review
def test_pupils_estimated_from_population_follow_the_policy_and_the_population(demo):
    villages = demo.villages
    villages[[f"grade_{g}" for g in range(1, 10)]] = np.nan  # a table with population only
    villages[["primary_pupils", "junior_pupils"]] = np.nan
    project = demo.with_villages(villages.drop(columns="pupils_estimated"))
    assert project.villages["pupils_estimated"].all()
    population = project.villages["population"]
    shares = {"primary": 0.10, "junior": 0.05}
    changed = project.with_policy(project.policy.replace(school_age_share=shares))
    np.testing.assert_allclose(changed.villages["primary_pupils"], population * 0.10)
    assert planning.baseline(changed).summary["pupils"] == pytest.approx(population.sum() * 0.15)
    grown = changed.villages
    grown["population"] = grown["population"] * 2
    np.testing.assert_allclose(changed.with_villages(grown).villages["junior_pupils"], population * 2 * 0.05)


def test_a_school_given_another_type_teaches_that_type_s_grades(demo):
    schools = demo.schools
    schools.loc["S05", "type"] = "teaching_point"
    changed = demo.with_schools(schools)
    assert changed.schools.loc["S05", "grades"] == (1, 2, 3)
    taught = planning.baseline(changed).schools.loc["S05", [f"grade_{g}" for g in range(4, 7)]]
    assert (taught == 0).all()


def test_derived_values_die_with_their_project():
    import gc
    import weakref

    project = planning.demo()
    planning.baseline(project)  # a result that refers back to its project
    alive = weakref.ref(project)
    del project
    gc.collect()
    assert alive() is None


def test_today_s_layout_shared_by_every_plan_cannot_be_changed_from_outside(demo):
    from planning.edits import initial_state

    today = planning.baseline(demo)
    state = today.state.schools
    state.loc["S05", "capacity"] = 1  # a copy
    schools = today.schools
    schools.loc["S05", "capacity"] = 1  # a copy too
    assert initial_state(demo).schools.loc["S05", "capacity"] > 1
    assert planning.baseline(demo).schools.loc["S05", "capacity"] > 1
    assert planning.baseline(demo) is planning.baseline(demo, "nearest")  # one value, defaults filled in
    with pytest.raises(ValueError, match="read-only"):
        today.layout.pupils[0, 0] = 0


def test_a_zoning_not_found_in_time_is_a_message_and_the_app_falls_back(demo, monkeypatch):
    from planning import milp

    def no_time(self, **kwargs):
        n = len(self.cost)
        return milp.MilpResult("Time limit reached", np.full(n, np.nan), np.nan, np.nan, np.inf, 0.0)

    monkeypatch.setattr(milp.Model, "solve", no_time)
    plan = planning.Scenario(demo, "plan").close("S05")
    with pytest.raises(planning.InfeasibleError) as info:
        plan.evaluate("zoned", solver_seconds=1)
    assert "no zoning was found within 1 s" in str(info.value)
    assert info.value.text("zh").startswith("在 1 秒内没有找到划片方案")
    saved = planning.Scenario(demo, "saved").close("S07")
    results = logic.plans_side_by_side(planning.baseline(demo), plan.evaluate(), plan, [saved], assignment="zoned",
                                       lang="zh")
    assert [r.assignment for r in results] == ["nearest"] * 3
    assert logic.fallback_notes(results, "zoned", "zh")[-1] == "saved：无法整村划片，按就近入学计算"


def test_a_teaching_point_s_grades_are_named_in_order(demo):
    from planning.edits import TeachingPoint, describe_edit

    assert describe_edit(TeachingPoint(school="S05", grades=(3, 1, 2)), lang="zh") == "S05 改为教学点（1–3 年级）"
    assert describe_edit(TeachingPoint(school="S05", grades=(1, 3)), lang="en") == \
        "S05 becomes a teaching point (grades 1, 3)"


def test_options_are_keyword_only():
    """A keyword argument passed by position once crashed the capacity message (ValueError:
    lang was 12): private helpers take every option by keyword, public functions at most one
    optional argument by position (e.g. ``lang`` or ``limit``)."""
    loose = []
    for path in sorted((ROOT / "planning").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.args.defaults:
                positional = [a.arg for a in node.args.args[len(node.args.args) - len(node.args.defaults):]]
                private = node.name.startswith("_") and not node.name.startswith("__")
                if private or len(positional) > 1:
                    loose.append(f"{path.name}:{node.lineno} {node.name}({', '.join(positional)})")
    assert loose == []
