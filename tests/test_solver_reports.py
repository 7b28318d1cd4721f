"""Every exact answer says how it was found: method, proven bound, gap and time.

Before, a zoned evaluation's solver report had status, gap and seconds only; the command
line's ``evaluate``/``compare`` printed nothing about the zoning, the app said nothing, and
the workbook's plans sheet had neither method nor bound. A capacitated p-median reported
the method ``milp`` although it was solved by Lagrangian bounds and fixing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planning import Scenario
from planning.app import evaluate_plan
from planning.cli import main
from planning.i18n import localise
from planning.optimise import p_median
from planning.report import plans_table, zoning_line

from .conftest import ROOT

SCENARIOS = ROOT / "data" / "demo" / "scenarios"


@pytest.fixture(scope="module")
def zoned(demo):
    plan = Scenario.from_file(SCENARIOS / "consolidate_5.yaml", demo)
    return plan.evaluate("zoned"), plan.evaluate("split"), plan.evaluate("nearest")


def test_zoned_results_carry_method_and_a_bound_below_their_cost(zoned):
    whole, split, nearest = zoned
    assert whole.solver.method == "zoning" and split.solver.method == "zoning_split"
    assert nearest.solver is None
    for result in (whole, split):
        solver = result.solver
        # the bound is cost × (1 − gap): below the zoning's travel plus what the model
        # charges for unserved pupils and boarders, so never above it when nobody is unserved
        assert np.isfinite(solver.bound) and solver.bound >= 0
        if solver.status == "Optimal":
            assert solver.gap <= 1e-4
    # villages zoned whole cannot do better than the LP that may split them
    assert split.solver.bound <= whole.solver.bound * (1 + 1e-6)


def test_zoning_line_in_both_languages(zoned):
    whole, split, nearest = zoned
    zh, en = zoning_line(whole, "zh"), zoning_line(whole, "en")
    assert zh.startswith("「撤并为5所」划片求解：") and "列生成 + 拉格朗日背包下界 + HiGHS" in zh
    assert f"证明的下界 {whole.solver.bound:,.0f}" in zh and f"差距 {whole.solver.gap:.2%}" in zh
    assert en.startswith("撤并为5所, zoning: ") and "column generation + Lagrangian knapsack bound" in en
    assert "linear programme (column generation)" in zoning_line(split, "en")
    assert zoning_line(nearest, "en") is None


def test_plans_table_states_method_bound_gap_and_time(zoned):
    whole, split, _ = zoned
    table = plans_table([whole, split]).reset_index()
    assert table["solver_method"].tolist() == ["zoning", "zoning_split"]
    assert table["bound"].tolist() == [round(whole.solver.bound), round(split.solver.bound)]
    assert table["gap"].tolist() == [whole.solver.gap, split.solver.gap]
    assert (table["seconds"] >= 0).all()


def test_cli_compare_prints_how_each_zoning_was_solved(demo, tmp_path, capsys):
    assert main(["compare", str(SCENARIOS / "consolidate_5.yaml"), "--assignment", "zoned", "--out", str(tmp_path),
                 "--lang", "en"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if ", zoning: " in line]
    assert [line.split(",")[0] for line in lines] == ["today", "撤并为5所"]
    assert all("proven bound" in line and "whole-village zoning" in line for line in lines)
    assert main(["compare", str(SCENARIOS / "consolidate_5.yaml"), "--out", str(tmp_path), "--lang", "en"]) == 0
    assert ", zoning: " not in capsys.readouterr().out  # nearest school: nothing solved


def test_the_app_says_how_the_zonings_shown_were_solved(demo):
    plan = Scenario.from_file(SCENARIOS / "consolidate_5.yaml", demo)
    view = evaluate_plan(demo, plan, "zoned")
    lines = view.solver_lines("zh")
    assert len(lines) == 2 and lines[0].startswith("「现状」划片求解：") and lines[1].startswith("「撤并为5所」")
    assert evaluate_plan(demo, plan, "nearest").solver_lines("en") == []
    assert len(evaluate_plan(demo, Scenario(demo, "same"), "zoned").solver_lines("en")) == 1  # today only, once


def test_capacitated_p_median_names_its_method():
    rng = np.random.default_rng(12)
    xy = rng.uniform(0, 100, size=(12, 2))
    cost = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    demand = rng.integers(1, 10, size=12).astype(float)
    answer = p_median(cost, 3, weights=np.ones(12), demand=demand, capacities=np.full(12, demand.sum() / 2.6))
    assert answer.optimal and answer.method == "lagrangian_sets"  # seats tight: the bound alone falls short
    words = localise(pd.DataFrame({"solver_method": [answer.method, "lagrangian"]}), "en")["solver method"].tolist()
    assert words == ["Lagrangian bound + variable fixing + every set of open schools ruled out (Lagrangian cuts; the "
                     "rest assigned exactly by HiGHS)", "Lagrangian bound + variable fixing + HiGHS"]
    assert localise(pd.DataFrame({"solver_method": [answer.method]}), "zh")["求解方法"].tolist() == [
        "拉格朗日下界 + 变量固定 + 逐一排除开放学校组合（拉格朗日割，余者由 HiGHS 精确分配）"]
    assert p_median(cost, 3).method == "benders"
