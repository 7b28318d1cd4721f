"""The browser app's logic through Streamlit's AppTest (a real script run, no browser).

The same app in headless Chromium is tests/test_browser.py.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import planning
import planning.maps
import planning.report
from planning import app as logic
from planning.changes import OUTCOMES
from planning.evaluate import level_summary
from planning.i18n import field, level_name, localise, t

from .conftest import ROOT
from .demo_facts import beyond_limit, may_open, metres_from_road
from .helpers import choose_lang

APP = str(ROOT / "streamlit_app.py")



def metrics(at: AppTest) -> dict[str, str]:
    """The headline figures by their key (schools_open, ...), after checking that the line
    above them names the level they count."""
    lang, level = at.session_state["lang"], at.session_state["level"]
    assert t("app.headline_level", lang, level=level_name(level, lang)) in [c.value for c in at.caption]
    label = {t(f"app.headline.{key}", lang): key for key in logic.HEADLINES}
    return {label[m.label]: m.value for m in at.metric if m.label in label}  # not the costs under them


def teaching(project: planning.Project, level: str = "primary") -> int:
    """Schools of a project teaching some grade of a level (all open today)."""
    grades = set(planning.policy.LEVEL_GRADES[level])
    return int(project.schools["grades"].map(lambda gs: bool(set(gs) & grades)).sum())


def test_opens_the_demo_with_headline_figures(app, demo):
    assert app.title[0].value.endswith("青山镇（合成示例）")  # one language: not "青山镇 Qingshan (synthetic demo · …)"
    figures = metrics(app)
    assert "以下为小学的数字（学段可在左侧切换）" in [c.value for c in app.caption]  # the level the figures count
    assert figures["schools_open"] == str(teaching(demo))  # today every school of the table is open
    primary = level_summary(planning.baseline(demo), "primary")
    assert figures["pupils_beyond_limit"] == str(int(primary["pupils_beyond_limit"]))
    assert figures["boarders"] == str(int(primary["boarders"]))


def pick_school(app: AppTest, school_id: str) -> None:
    box = app.selectbox(key="school")
    box.set_value(next(o for o in box.options if o.split()[0] == school_id))


def merge_s08_into_s04(app: AppTest, lang: str) -> None:
    """Merge S08 into S04 through the edit panel in ``lang``."""
    app.selectbox(key="action").set_value(logic.action_label("merge", lang)).run()
    pick_school(app, "S08")
    app.run()
    into = app.selectbox(key="into")
    into.set_value(next(o for o in into.options if o.startswith("S04 ")))
    app.button(key="apply").click().run()
    assert [e.op for e in app.session_state.scenario.edits] == ["merge"]


def test_closing_a_school_changes_the_metrics_and_undo_restores_them(app, demo):
    today = teaching(demo)
    app.selectbox(key="action").set_value(logic.action_label("close", "zh")).run()
    pick_school(app, "S05")
    app.button(key="apply").click().run()
    assert not app.exception
    figures = metrics(app)
    assert figures["schools_open"] == str(today - 1)
    assert [m.delta for m in app.metric if m.label == "开办学校"] == ["-1"]
    assert any("1. 撤并 S05" in m.value for m in app.markdown)  # the plan's edits, in Chinese
    app.button(key="undo").click().run()
    assert metrics(app)["schools_open"] == str(today)
    assert any("尚无改动" in m.value for m in app.markdown)


def test_apply_reads_what_was_typed_with_the_click(app):
    """Typing a number and clicking Apply arrive in one run: the edit uses the typed number."""
    app.selectbox(key="action").set_value(logic.action_label("expand", "zh")).run()
    pick_school(app, "S04")
    app.number_input(key="expand_seats").set_value(10).run()  # Apply is offered once something is added
    app.number_input(key="expand_seats").set_value(120)
    app.number_input(key="expand_rooms").set_value(3)
    app.button(key="apply").click().run()
    assert not app.exception
    assert any("扩建 S04 石门村完小（学位 +120，教室 +3）" in m.value for m in app.markdown)


def test_a_bad_edit_shows_the_message_not_a_traceback(app, demo):
    app.selectbox(key="action").set_value(logic.action_label("add_bus", "zh")).run()
    pick_school(app, "S01")
    app.button(key="apply").click().run()  # no villages chosen for the bus
    assert not app.exception
    assert any("未知村庄" in e.value and "（未选择）" in e.value for e in app.error)  # in the planner's language
    assert metrics(app)["schools_open"] == str(teaching(demo))  # nothing changed


def test_switching_to_english(app):
    app.radio(key="lang_choice").set_value("English").run()
    assert not app.exception
    assert "School layout and catchment planning" in app.title[0].value
    assert app.title[0].value.endswith("Qingshan township (synthetic demo)")
    assert "schools open" in [m.label for m in app.metric]
    assert "Figures for primary (switch the level on the left)" in [c.value for c in app.caption]


def test_app_logic_in_plain_python(demo):
    scenario = logic.apply_action(planning.Scenario(demo), "merge", "S08", into="S04")
    scenario = logic.apply_action(scenario, "add_bus", "S04", villages=["V02"], max_ride=30)
    result = scenario.evaluate()
    heads = {h.key: h for h in logic.headlines(result, planning.baseline(demo), "en")}
    assert heads["schools_open"].value == teaching(demo) - 1 and heads["schools_open"].delta == -1
    assert logic.nearest_school(result, demo, demo.schools.geometry["S03"].y, demo.schools.geometry["S03"].x) == "S03"
    assert set(logic.walk_histogram([planning.baseline(demo), result]).columns) == {"today", "scenario"}
    shown = logic.display_table(pd.DataFrame({"x": [0.0, 12.345, 1823.0, float("nan"), "zoned"]}))["x"].tolist()
    assert shown == ["0", "12.3", "1,823", "", "zoned"]  # counts without decimals
    with pytest.raises(ValueError, match="`action` was 'demolish'"):
        logic.apply_action(planning.Scenario(demo), "demolish", "S01")


def test_suggest_a_plan_and_use_it(app, demo):
    app.button_group(key="view").set_value("suggest").run()
    app.multiselect(key="suggest_keep").select("S10 高坪教学点")
    app.button(key="suggest").click().run()
    assert not app.exception
    report, decisions = app.dataframe[0].value, app.dataframe[1].value
    assert report["求解状态"].tolist() == ["最优（已证明）"] and report["目标"].tolist() == ["最少学校"]
    assert report["学生步行总分钟"].iloc[0] == round(report["学生步行总分钟"].iloc[0])  # no 15258.5583
    assert {"保留", "撤并"} <= set(decisions["决定"])
    assert set(decisions.loc[list(demo.sites.index), "决定"]) <= {"启用", "不启用"}
    app.button(key="use_plan").click().run()
    assert not app.exception
    assert int(metrics(app)["schools_open"]) < teaching(demo)  # the plan closes schools; the teaching point kept stays open


def test_infeasible_suggestion_is_explained(app, demo):
    columns = len(may_open(demo, "primary"))  # complete primary schools and candidate sites
    app.button_group(key="view").set_value("suggest").run()
    app.selectbox(key="suggest_goal_zh").set_value("时限内学生最多（p 所学校）").run()
    app.number_input(key="suggest_p").set_value(columns + 1).run()
    app.button(key="suggest").click().run()
    assert not app.exception
    assert any(f"p = {columns + 1}，但只有 {columns} 所学校和校址可开办" in e.value for e in app.error), [e.value for e in app.error]


def test_too_few_schools_for_the_least_walking_says_how_many(app, demo):
    """The panel's own p = 5 for the least total walking on the demo: the error says 5 are
    too few and how many the fewest-schools goal needs (before: "no set of schools serves
    every village ... allow sites", with sites allowed)."""
    from planning.optimise import plan

    least = len(plan(demo, "fewest_schools", level="primary").solution.open)
    app.button_group(key="view").set_value("suggest").run()
    app.selectbox(key="suggest_goal_zh").set_value("总步行时间最短（p 所学校）").run()
    assert app.number_input(key="suggest_p").value == 5
    app.button(key="suggest").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [f"p = 5 所学校不够：要让每名学生都在 40 分钟步行范围内就读且有学位，至少需要 {least} "
                                            f"所学校（“最少学校”目标可找出是哪几所）。请把 p 设为 {least} 或以上，或放宽步行时限"]


def test_least_cost_suggestion_and_a_budget_too_small(app, demo):
    """The least-cost goal gives a plan; a one-off budget of 10 万元 is too small, and the
    message names the cheapest plan's one-off cost, recomputed here from the library."""
    from planning.optimise import column_costs, level_inputs, plan

    cheapest = plan(demo, "least_cost")
    app.button_group(key="view").set_value("suggest").run()
    app.selectbox(key="suggest_goal_zh").set_value("成本最低（步行不超时）").run()
    app.button(key="suggest").click().run()
    assert not app.exception and app.dataframe[0].value["目标"].tolist() == ["最低成本（步行不超时）"]
    kept = cheapest.columns.index[cheapest.columns["decision"].isin(["keep", "open"])]
    spend = column_costs(demo, level_inputs(demo, "primary"), "primary")["one_off"][kept].sum()
    app.number_input(key="suggest_budget").set_value(10.0).run()
    app.button(key="suggest").click().run()
    assert any(f"最省的方案需一次性投入 {spend / 10_000:,.1f} 万元" in e.value for e in app.error), \
        [e.value for e in app.error]


def test_least_cost_with_buses_and_beds_and_the_cost_tradeoff(app, demo, monkeypatch):
    """Ticking "may buy buses and beds" gives the plan the library makes with ``transport``
    (its buses in the decisions table); the trade-off panel then shows the least-cost plan at
    each walking limit, its figures those of :func:`cost_tradeoff`, costs in 万元, and a chart."""
    from planning.optimise import cost_tradeoff, plan

    monkeypatch.setattr(logic, "COST_LIMITS", (30, 40))
    bought = plan(demo, "least_cost", transport=True)
    app.button_group(key="view").set_value("suggest").run()
    app.selectbox(key="suggest_goal_zh").set_value("成本最低（步行不超时）").run()
    app.checkbox(key="suggest_transport").check().run()
    app.button(key="suggest").click().run()
    assert not app.exception, [e.value for e in app.exception]
    decisions = next(d.value for d in app.dataframe if field("buses", "zh") in d.value.columns)
    assert decisions[field("buses", "zh")].sum() == bought.solution.purchases["buses"].sum() > 0
    assert decisions[field("decision", "zh")].tolist() == [t(f"decision.{d}", "zh") for d in bought.columns["decision"]]
    app.button(key="cost_tradeoff").click().run()
    assert not app.exception, [e.value for e in app.exception]
    curve = cost_tradeoff(demo, limits=(30, 40), transport=True, progress=False)
    shown = next(d.value for d in app.dataframe if field("schools_open", "zh") in d.value.columns
                 and field("bus_riders", "zh") in d.value.columns)
    assert shown.index.tolist() == [30.0, 40.0]
    assert shown[field("schools_open", "zh")].tolist() == curve["schools_open"].tolist()
    npv = next(c for c in shown.columns if c.startswith("规划期总成本现值"))
    assert shown[npv].tolist() == pytest.approx((curve["cost_npv_yuan"] / 10_000).tolist())
    assert any("万元" in c.value for c in app.caption)
    assert len(app.get("image")) == 1  # the chart


def test_a_site_added_on_the_map_serves_its_villages(demo):
    # a village beyond the walking limit of every complete primary today, the one nearest a road
    # (a site about 100 m away is then a few minutes' walk)
    far = beyond_limit(demo, "primary")
    assert far.any(), "the demo should have a village beyond the limit"
    village = metres_from_road(demo, demo.villages)[far].idxmin()
    point = demo.villages.geometry[village]
    sites_before = list(demo.sites.index)
    site = logic.new_site_id(demo)
    bigger = demo.with_site(site, lon=point.x + 0.001, lat=point.y, name="新校", capacity=200, classrooms=6)
    assert site == "N1" and list(bigger.travel_times().columns)[-1] == "N1"
    assert list(demo.sites.index) == sites_before  # the original project is not changed
    assert list(bigger.sites.index) == [*sites_before, "N1"]
    plan = planning.Scenario(bigger, "new school").open_site("N1")
    row = plan.evaluate().villages.loc[(village, "primary")]
    assert row["school"] == "N1" and row["mode"] == "walk" and row["minutes"] < 10
    with pytest.raises(planning.ValidationError, match="already used"):
        bigger.with_site("S01", lon=point.x, lat=point.y)
    with pytest.raises(planning.ValidationError, match="outside the road network"):
        demo.with_site("far", lon=point.x + 1.0, lat=point.y)


def test_a_new_policy_keeps_the_plan_and_saved_plans(app):
    app.selectbox(key="action").set_value(logic.action_label("close", "zh")).run()
    pick_school(app, "S05")
    app.button(key="apply").click().run()
    app.button(key="save").click().run()
    app.button_group(key="view").set_value("policy").run()
    app.number_input(key="policy_primary").set_value(30.0).run()
    app.button(key="policy").click().run()
    assert not app.exception
    assert app.session_state.project.policy.limit("primary") == 30
    assert [e.op for e in app.session_state.scenario.edits] == ["close"]
    assert list(app.session_state.saved) == ["方案"]


def test_compare_two_saved_plans_in_chinese(app, demo):
    app.selectbox(key="action").set_value(logic.action_label("close", "zh")).run()
    pick_school(app, "S05")
    app.button(key="apply").click().run()
    app.button(key="save").click().run()
    assert app.button(key="apply").disabled  # S05 closed: no school picked, none closed unasked
    pick_school(app, "S07")
    app.run()
    app.button(key="apply").click().run()  # a second plan: S05 and S07 closed
    app.button_group(key="view").set_value("compare").run()
    assert not app.exception
    table = app.dataframe[0].value
    today = len(demo.schools)
    assert list(table.columns)[0] == "现状" and table.loc["开办学校"].tolist()[:2] == [str(today), str(today - 2)]
    assert str(today - 1) in table.loc["开办学校"].tolist()  # the saved plan beside the current one
    # after each plan its change against today, signed (before, two bare columns)
    changes = [c for c in table.columns if c.startswith("变化：")]
    assert len(changes) == len(table.columns) // 2 and table.loc["开办学校", changes[0]] == "−2"
    assert table.columns.get_loc(changes[0]) == 2  # right after the plan it belongs to
    affected = frame_with(app, "影响")  # the villages affected (the costs come between)
    assert "影响" in affected.columns and set(affected["影响"]) <= {
        t(f"outcome.{o}", "zh") for o in OUTCOMES if o != "same"}
    # every village taught today by a school the current plan closes is among those affected
    closed = {edit.to_dict()["school"] for edit in app.session_state.scenario.edits}
    taught = planning.baseline(demo).villages
    losing = set(taught.index[taught["school"].isin(closed)].get_level_values("village_id"))
    assert len(closed) == 2 and losing and losing <= set(affected.index.get_level_values(0))


def test_compare_table_changes_and_the_charts_data(demo):
    """The change columns are plan − today for every figure, recomputed here; the pupils per
    school chart names schools (not ids alone) and words today's plan."""
    today, plan = planning.baseline(demo), planning.Scenario(demo, "p").close("S05").evaluate()
    table = localise(planning.compare(today, plan), "en")
    shown = logic.with_changes(table, "en")
    assert list(shown.columns) == ["today", "p", "Change: p"]
    assert shown["p"].tolist() == logic.display_table(table)["p"].tolist()
    for row in table.index:
        before, after = pd.to_numeric(table.loc[row], errors="coerce")
        change = shown.loc[row, "Change: p"]
        if before != before or after != after:
            assert change == ""
            continue
        diff = after - before
        if abs(diff) < 1e-9:
            assert change == "0"
        else:
            sign = "+" if diff > 0 else "−"
            assert change.startswith(sign)
            assert float(change[1:].replace(",", "")) == pytest.approx(abs(diff), abs=5e-4 if abs(diff) < 1 else 0.5)
    walk = shown.loc[field("mean_walk", "en"), "Change: p"]  # minutes to one decimal, not −0.799
    assert walk == "0" or (walk[0] in "+−" and len(walk.split(".")[-1]) == 1), walk
    hand = logic.with_changes(pd.DataFrame({"today": [12.7, 0.553, 13.0], "p": [11.901, 0.5, 12.0]},
                                           index=["mean walk", "largest CV", "schools"]), "en")
    assert hand["Change: p"].tolist() == ["−0.8", "−0.053", "−1"]  # before: −0.799 minutes
    cv = shown.loc[next(r for r in shown.index if r.endswith("largest CV")), "Change: p"]
    assert cv == "0" or len(cv.split(".")[-1]) == 3, cv
    assert logic.display_table(pd.DataFrame({"cv": [0.5532, 12.25, 3.0, 18088.7]}))["cv"].tolist() == [
        "0.553", "12.2", "3", "18,089"]
    bars = logic.pupils_per_school([today, plan], "zh")
    assert set(bars["plan"]) == {"现状", "p"}
    s05 = demo.schools.loc["S05", "name"]
    assert bars.loc[(bars["plan"] == "现状") & (bars["school"] == f"{s05} (S05)"), "pupils"].item() == \
        today.schools.loc["S05", "pupils"]
    assert bars.groupby("plan")["pupils"].sum().to_dict() == pytest.approx(
        {"现状": today.schools["pupils"].sum(), "p": plan.schools["pupils"].sum()})


def test_a_change_is_shown_in_its_row_s_format(demo):
    """学生步行总分钟 is shown whole (18,089: figures of 1,000 or more are), so its change is
    whole too (before: "+851.6" beside whole figures); minutes rows keep one decimal and
    shares three. The demo's closing of S05 and S06 changes the total by a fraction of a
    minute, recomputed here."""
    today = planning.baseline(demo)
    plan = planning.Scenario(demo, "p").close("S05").close("S06").evaluate()
    table = localise(planning.compare(today, plan), "zh")
    shown = logic.with_changes(table, "zh")
    row = field("pupil_minutes", "zh")
    before, after = (float(plan_.summary["pupil_minutes"]) for plan_ in (today, plan))
    assert min(before, after) >= 1000 and (after - before) != round(after - before)  # a fraction: the case
    assert shown.loc[row, "现状"] == f"{before:,.0f}"
    change = shown.loc[row, t("app.change_vs_today", "zh", plan="p")]
    assert change == ("+" if after > before else "−") + f"{abs(after - before):,.0f}", change
    hand = logic.with_changes(pd.DataFrame({"today": [18088.7, 12.7, 0.553, 1.0], "p": [18940.3, 11.901, 0.5, 0.75]},
                                           index=["pupil-minutes", "mean walk", "CV", "share"]), "en")
    assert hand["Change: p"].tolist() == ["+852", "−0.8", "−0.053", "−0.250"]


def test_plans_side_by_side_for_compare_and_export(demo):
    saved = planning.Scenario(demo, "方案").close("S05")
    current = saved.close("S07")  # changed since it was saved, same name
    today, result = planning.baseline(demo), current.evaluate()
    plans = logic.plans_side_by_side(today, result, current, [saved], assignment="nearest", lang="zh")
    assert [p.name for p in plans] == ["today", "方案（当前）", "方案"]
    today_open = len(demo.schools)  # every school of the table is open today
    assert [int(p.summary["schools_open"]) for p in plans] == [today_open, today_open - 2, today_open - 1]
    assert len(logic.plans_side_by_side(today, result, current, [current], assignment="nearest", lang="en")) == 2


def test_plan_log_in_both_languages(demo):
    plan = (planning.Scenario(demo).merge("S08", into="S04").add_bus("S04", villages=["V02"], max_ride=30)
            .teaching_point("S06").add_beds("S04", 50).open_site(demo.sites.index[0], capacity=300))
    zh, en = logic.plan_log(plan, "zh").splitlines(), logic.plan_log(plan, "en").splitlines()
    assert zh[0] == "1. S08 溪口村完小 并入 S04 石门村完小"
    assert en[0] == "1. merge S08 Xikou Village Primary into S04 Shimen Village Primary"
    assert zh[1] == "2. 校车：V02 溪口村 → S04 石门村完小（单程 ≤ 30 分钟）"
    assert en[2] == "3. S06 Chayuan Village Primary becomes a teaching point (grades 1–3)"
    assert zh[3] == "4. S04 石门村完小 增加床位 50" and en[4].endswith("(300 seats)")
    assert logic.plan_log(planning.Scenario(demo), "en").startswith("No edits yet")


def test_planning_app_warms_the_server_and_shares_the_demo():
    from planning import load
    from planning.cli import main
    from planning.serve import warm

    load._SHARED.clear()
    warm()
    assert "demo" in load._SHARED  # made before the first visit
    demo = load.shared_demo()
    assert demo is load.shared_demo()  # one demo per server
    assert planning.baseline(demo, "nearest") is planning.baseline(demo, "nearest")  # today's layout, computed once
    with pytest.raises(SystemExit) as exc:
        main(["check", "--demo", "--server.port", "1"])  # only `planning app` passes options to Streamlit
    assert exc.value.code == 2


def _listening(port: int) -> set[str]:
    """The addresses something listens on at ``port`` (from /proc/net/tcp and tcp6, Linux)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    words = b"".join(raw[k:k + 4][::-1] for k in range(0, len(raw), 4))  # host order per word
                    found.add(str(ipaddress.ip_address(words)) if width == 8 else str(ipaddress.IPv6Address(words)))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from Linux's /proc")
def test_planning_app_listens_on_this_computer_only_and_says_how_to_share_it(tmp_path):
    """Before, `planning app` listened on every interface (Streamlit's default), with no login."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "planning.cli", "app", "--server.headless", "true",
                                 "--server.port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PLANNING_LANG": "en"})
    try:
        deadline = time.time() + 90
        while time.time() < deadline and not _listening(port):
            assert proc.poll() is None, log.read_text(errors="replace")
            time.sleep(0.3)
        assert _listening(port) == {"127.0.0.1"}  # not 0.0.0.0 nor ::
        printed = log.read_text(errors="replace")
        assert t("cli.app_local", "en", url=f"http://127.0.0.1:{port}") in printed
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_app_s_address_is_this_computer_unless_given_and_an_open_one_is_warned_of():
    from planning.serve import server_args, where

    assert server_args(["--server.port", "8502"]) == ["--server.port", "8502", "--server.address", "127.0.0.1"]
    assert server_args([], address="0.0.0.0") == ["--server.address", "0.0.0.0"]
    assert server_args(["--server.address=10.0.0.5"], address="0.0.0.0") == ["--server.address=10.0.0.5"]
    assert where(server_args([]), lang="en") == (
        "The app can be opened on this computer only: http://127.0.0.1:8501. To let other computers in the office "
        "open it, start it with planning app --address 0.0.0.0; the app has no login, so put it behind a reverse "
        'proxy with a password (README, "Sharing the app in an office")')
    assert where(["--server.address", "0.0.0.0", "--server.port", "8502"], lang="zh").startswith(
        "注意：应用在 0.0.0.0 的端口 8502 上对网络开放，且没有登录")
    assert where(["--server.address", "::1"], lang="en").startswith("The app can be opened on this computer only")
    assert where(["--server.address", "192.0.2.7"], lang="en").startswith(
        "Warning: the app is open to the network on 192.0.2.7, port 8501, with no login")


def test_the_policy_view_shows_a_policy_where_no_grade_boards(app):
    project = app.session_state.project
    app.session_state.project = project.with_policy(project.policy.replace(boarding_min_grade=10))
    app.button_group(key="view").set_value("policy").run()
    assert not app.exception, [e.value for e in app.exception]


def test_a_county_short_of_seats_today_can_still_zone_its_plans(app):
    """Before, zoned assignment stopped the whole app with an error when today's schools
    lacked the seats: today could not be zoned, so nothing was shown."""
    project = app.session_state.project
    schools = project.schools
    primary = schools["primary"].to_numpy(dtype=bool)
    factor = 0.8 * project.villages["primary_pupils"].sum() / schools.loc[primary, "capacity"].sum()
    schools.loc[primary, "capacity"] = (schools.loc[primary, "capacity"] * factor).round()
    short = project.with_schools(schools)
    app.session_state.project = short
    app.session_state.scenario = planning.Scenario(short, "方案")
    app.selectbox(key="assignment_zh").set_value("zoned").run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("现状学位不足，无法整村划片" in w.value for w in app.warning)
    assert metrics(app)["schools_open"] == str(teaching(short))
    app.radio(key="lang_choice").set_value("English").run()  # the choice stays, worded in English
    assert app.selectbox(key="assignment_en").value == "zoned"
    assert any("Today's schools lack the seats" in w.value for w in app.warning)


def test_tianditu_without_a_key_keeps_the_map_and_says_where_to_type_it(app):
    """Before, choosing 天地图 without a key stopped the map view with a traceback."""
    app.selectbox(key="basemap_choice_zh").set_value("tianditu").run()
    assert not app.exception, [e.value for e in app.exception]
    box = app.text_input(key="tianditu_key_input")
    assert box.label == "天地图密钥"
    assert [i.value for i in app.info] == [t("app.tianditu_needs_key", "zh", box=box.label)]
    assert app.session_state.basemap_drawn == "none"  # the map without tiles meanwhile
    assert app.button(key="apply").label == "应用"  # the map view with its editor is there
    app.radio(key="lang_choice").set_value("English").run()  # the choice stays; the words follow
    assert not app.exception
    assert [i.value for i in app.info] == [t("app.tianditu_needs_key", "en", box="Tianditu key")]
    app.text_input(key="tianditu_key_input").input(" 0123abcd ").run()
    assert not app.exception and not app.info
    assert (app.session_state.basemap_drawn, app.session_state.tianditu_key) == ("tianditu", "0123abcd")
    fmap = planning.maps.base_map(app.session_state.project, basemap="tianditu", tianditu_key="0123abcd")
    assert "tianditu.gov.cn" in fmap.get_root().render() and "tk=0123abcd" in fmap.get_root().render()


def test_excel_export_holds_every_saved_plan_whatever_its_name(app, demo):
    """Before, a saved plan named with a colon made the Excel download fail without a word."""
    names = ["Plan B: close Zhushan", "consolidate the western villages A" + "x" * 6,
             "consolidate the western villages A" + "y" * 6, "方案：撤并/保留"]
    for name, school in zip(names, ["S05", "S07", "S08", "S09"], strict=True):
        app.session_state.saved[name] = planning.Scenario(app.session_state.project, name).close(school)
    app.button_group(key="view").set_value("export").run()
    app.download_button(key="export_excel").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    book = openpyxl.load_workbook(BytesIO(app.session_state.downloads["excel"].collect(timeout=1)))
    # names too long or odd for a sheet name: one sheet per kind, a column naming each row's plan in full
    schools = book[t("report.schools", "zh")]
    assert schools["A3"].value == field("plan", "zh")
    assert set(names) <= {row[0].value for row in schools.iter_rows(min_row=4)}


def test_a_failed_export_is_told_in_the_app(app, monkeypatch):
    """Before, a failed download showed nothing: the traceback went to the server log only."""
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(planning.report, "excel_report", broken)
    app.button_group(key="view").set_value("export").run()
    app.download_button(key="export_excel").click().run()
    assert not app.exception
    reason = t("app.export_unexpected", "zh", error="OSError: disk full")
    assert [e.value for e in app.error] == [t("app.export_failed", "zh", what="Excel 报告", reason=reason)]
    with pytest.raises(OSError, match="disk full"):  # and the browser downloads nothing
        app.session_state.downloads["excel"].collect(timeout=1)
    app.run()
    assert not app.error  # told once, on the run the click started
    app.download_button(key="export_gpkg").click().run()  # another export is not affected
    assert not app.error


def test_one_solver_time_limit_for_today_the_plans_and_suggestions(app, monkeypatch):
    """Before, today and the plans were zoned with 20 s and a suggestion solved with 30 s."""
    import planning.optimise

    seen: list[tuple[str, float | None]] = []

    def recorded(name, function):
        def call(*args, **kwargs):
            seen.append((name, kwargs.get("solver_seconds")))
            return function(*args, **kwargs)
        return call

    for name in ("comparable_baseline", "evaluate_or_nearest"):
        monkeypatch.setattr(logic, name, recorded(name, getattr(logic, name)))
    monkeypatch.setattr(planning.optimise, "plan", recorded("plan", planning.optimise.plan))
    app.selectbox(key="assignment_zh").set_value("zoned").run()
    app.selectbox(key="action").set_value(logic.action_label("close", "zh")).run()
    pick_school(app, "S05")
    app.button(key="apply").click().run()
    app.button_group(key="view").set_value("suggest").run()
    app.button(key="suggest").click().run()
    assert not app.exception and not app.error
    assert {name for name, _ in seen} == {"comparable_baseline", "evaluate_or_nearest", "plan"}
    assert {seconds for _, seconds in seen} == {logic.SOLVER_SECONDS}


def test_an_expansion_of_nothing_is_not_offered_nor_accepted(app, demo):
    """Before, Apply with 0 seats, 0 classrooms and 0 beds logged "expand S04" that added nothing."""
    app.selectbox(key="action").set_value(logic.action_label("expand", "zh")).run()
    pick_school(app, "S04")
    app.run()
    apply = app.button(key="apply")
    assert apply.disabled and apply.help == "请先填写要增加的学位、教室或床位"
    app.number_input(key="expand_beds").set_value(20).run()
    assert not app.button(key="apply").disabled
    app.number_input(key="expand_beds").set_value(0).run()
    assert app.button(key="apply").disabled
    with pytest.raises(planning.ValidationError) as caught:  # nor in Python, nor in a scenario file
        planning.Scenario(demo).expand("S04", capacity=0, classrooms=0, beds=0)
    assert caught.value.text("zh") == "扩建：beds：扩建须至少增加学位、教室或床位中的一项（三者都是 0，什么也没有增加）"
    assert caught.value.text("en") == "expand: beds: an expansion adds seats, classrooms or beds (all three were 0: it adds nothing)"
    with pytest.raises(planning.ValidationError, match="must be greater than 0"):
        planning.Scenario(demo).add_beds("S04", 0)
    assert planning.Scenario(demo).expand("S04", classrooms=2).log("en")["change"].tolist() == [
        "expand S04 Shimen Village Primary (+2 classrooms)"]


def test_the_school_picker_stays_on_the_edited_school(app):
    """Before, after an edit the picker fell back to the first school (S01, the central
    school): a second Apply closed it unasked."""
    app.selectbox(key="action").set_value(logic.action_label("expand", "zh")).run()
    pick_school(app, "S04")
    app.number_input(key="expand_seats").set_value(40).run()
    app.button(key="apply").click().run()
    assert app.selectbox(key="school").value.startswith("S04 ")  # the expanded school, still picked
    app.selectbox(key="action").set_value(logic.action_label("merge", "zh")).run()
    pick_school(app, "S08")
    app.run()  # the schools it may merge into
    app.selectbox(key="into").set_value(next(o for o in app.selectbox(key="into").options if o.startswith("S04 ")))
    app.button(key="apply").click().run()
    assert app.selectbox(key="school").value.startswith("S04 ")  # the merge target
    app.radio(key="lang_choice").set_value("English").run()  # its label in English, the same school
    assert app.selectbox(key="school").value.startswith("S04 ") and "village primary" in app.selectbox(key="school").value
    app.selectbox(key="action").set_value(logic.action_label("close", "en")).run()
    app.button(key="apply").click().run()  # close S04
    assert [e.op for e in app.session_state.scenario.edits] == ["expand", "merge", "close"]
    assert app.selectbox(key="school").value is None  # no longer a choice: no other school instead
    assert app.button(key="apply").disabled
    app.button(key="undo").click().run()
    assert app.selectbox(key="school").value.startswith("S04 ")  # open again, picked again
    assert logic.school_after("merge", "S08", into="S04") == "S04" and logic.school_after("close", "S05") == "S05"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bus_riders_show_the_walk_to_the_bus_and_the_ride(app, demo, lang):
    """A bus for 云盘村 (V11, 40 min from the nearest drivable road) to 茶园村完小 (S06): its
    pupils ride; the village table shows the trip as walk to the pick-up + ride, not the
    68-minute walk, and they no longer count as beyond the limit."""
    from planning.bus import walk_to_road

    if lang == "en":
        app.radio(key="lang_choice").set_value("English").run()
    before = metrics(app)
    app.selectbox(key="action").set_value(logic.action_label("add_bus", lang)).run()
    pick_school(app, "S06")
    app.run()  # the villages box is the picked school's
    app.multiselect(key="bus_villages_S06").select("V11")
    app.number_input(key="bus_ride").set_value(30)
    app.button(key="apply").click().run()
    assert not app.exception
    (table,) = [frame.value for frame in app.dataframe]  # the village table under the map
    row = table.loc["V11"]
    walk, ride = walk_to_road(demo)[list(demo.villages.index).index("V11")], demo.bus_times[
        list(demo.villages.index).index("V11"), list(demo.targets.index).index("S06")]
    assert row[t("field.mode", lang)] == t("mode.bus", lang)
    assert float(row[t("field.road_walk_minutes", lang)]) == pytest.approx(walk, abs=0.06)
    assert float(row[t("field.ride_minutes", lang)]) == pytest.approx(ride, abs=0.06)
    assert float(row[t("field.minutes", lang)]) == pytest.approx(walk + ride, abs=0.11)
    after = metrics(app)
    pupils = demo.villages.loc["V11", "primary_pupils"]
    assert int(after["pupils_beyond_limit"]) == int(before["pupils_beyond_limit"]) - pupils
    assert int(after["bus_riders"]) == pupils


def test_the_figures_follow_the_level_chosen(app, demo):
    today = planning.baseline(demo)
    app.selectbox(key="level_choice_zh").set_value("junior").run()
    assert not app.exception
    assert "以下为初中的数字（学段可在左侧切换）" in [c.value for c in app.caption]
    junior = level_summary(today, "junior")
    assert metrics(app)["boarders"] == f"{junior['boarders']:.0f}" != f"{today.summary['boarders']:.0f}"
    assert metrics(app)["schools_open"] == str(teaching(demo, "junior"))


def demo_forecast(demo: planning.Project, variant: str = "medium") -> planning.forecast.Forecast:
    """The demo's forecast made here as the app is told to make it (its history and births)."""
    return planning.forecast(demo, planning.demo_history(), births=planning.demo_births(), variant=variant)


def frame_with(app: AppTest, column: str) -> pd.DataFrame:
    """The one table shown with ``column`` (AppTest does not give tables' keys)."""
    found = [d.value for d in app.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in app.dataframe]
    return found[0]



@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_later_year_shows_its_figures_against_today_in_that_year(app, demo, lang):
    """The year slider spans the forecast, opens on the base year with today's figures, and a
    year ten years on shows the plan (S05 closed) and today's layout in that year's pupils."""
    fc = demo_forecast(demo)
    choose_lang(app, lang)
    slider = app.select_slider(key=f"year_{lang}")
    assert slider.label == t("app.year", lang)
    assert slider.options == [str(y) if y != fc.base_year else t("app.year_today", lang, year=y) for y in fc.years]
    assert slider.value == fc.base_year
    today_figures = metrics(app)
    app.selectbox(key="action").set_value(logic.action_label("close", lang)).run()
    pick_school(app, "S05")
    app.button(key="apply").click().run()
    year = fc.base_year + 10
    app.select_slider(key=f"year_{lang}").set_value(year).run()
    assert not app.exception
    plan = planning.Scenario(demo).close("S05")
    later = level_summary(plan.evaluate_years(fc, years=[year]).results[year], "primary")
    before = level_summary(planning.scenario.today(demo).evaluate_years(fc, years=[year]).results[year], "primary")
    figures = metrics(app)
    assert figures["pupils_beyond_limit"] == f"{later['pupils_beyond_limit']:.0f}"
    assert figures["boarders"] == f"{later['boarders']:.0f}"
    assert figures["mean_walk"] == f"{later['mean_walk']:.1f}"
    deltas = {m.label: m.delta for m in app.metric}
    assert deltas[t("app.headline.pupils_beyond_limit", lang)] == \
        f"{later['pupils_beyond_limit'] - before['pupils_beyond_limit']:+.0f}"
    assert deltas[t("app.headline.schools_open", lang)] == "-1"
    assert figures != {**today_figures, "schools_open": figures["schools_open"]}  # the year's pupils, not today's
    caption = t("app.year_caption", lang, year=year, variant=t("forecast.variant.medium", lang))
    assert caption in [c.value for c in app.caption]
    app.select_slider(key=f"year_{lang}").set_value(fc.base_year).run()  # back to today: as before
    assert caption not in [c.value for c in app.caption]
    assert metrics(app)["pupils_beyond_limit"] == f"{level_summary(plan.evaluate(), 'primary')['pupils_beyond_limit']:.0f}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_over_the_years_view(app, demo, lang):
    """The view's figures by year are the timeline's, year for year; the small-scale year of
    every school is the timeline's; the band holds the three variants' totals."""
    fc = demo_forecast(demo)
    choose_lang(app, lang)
    app.segmented_control(key="view").set_value("years").run()
    assert not app.exception
    timeline = planning.Scenario(demo).evaluate_years(fc)
    table = frame_with(app, t("field.small_schools", lang))
    assert table.index.name == t("field.year", lang)
    assert list(table.index) == fc.years
    assert list(table[t("field.pupils", lang)]) == [round(v) for v in timeline.summary["pupils"]]
    assert list(table[t("field.small_schools", lang)]) == [round(v) for v in timeline.summary["small_schools"]]
    small = frame_with(app, t("field.small_from", lang))[t("field.small_from", lang)]
    first = timeline.small_from()
    later = first[first > fc.base_year]
    assert not later.empty  # the demo has a village school becoming small-scale after today
    for sid, year in first.items():
        expected = (t("app.years.never", lang) if pd.isna(year) else
                    t("app.year_today", lang, year=int(year)) if year == fc.base_year else str(int(year)))
        assert small[sid] == expected, sid
    assert len(app.get("vega_lite_chart")) == 2  # each school's pupils; the low–high band
    schools = json.loads(app.get("vega_lite_chart")[0].proto.spec)  # its tooltip said year / value / color
    tips = [tip["field"] for tip in schools["encoding"]["tooltip"]]
    assert tips == [t(f"field.{f}", lang) for f in ("year", "school", "pupils")]
    assert schools["encoding"]["color"]["legend"]["columns"] == 2  # every school in the key
    assert t("app.years.pupils_by_school", lang, variant=t("forecast.variant.medium", lang)) in \
        [m.value for m in app.markdown]
    band = logic.pupil_band({v: demo_forecast(demo, v) for v in logic.VARIANTS}, lang)
    low, high = (band[t(f"forecast.variant.{v}", lang)] for v in ("low", "high"))
    assert (low <= high).all() and low.iloc[0] == high.iloc[0] and low.iloc[-1] < high.iloc[-1]  # widens from today
    assumptions = frame_with(app, t("field.source", lang))
    assert list(assumptions.columns) == [t(f"field.{c}", lang) for c in ("setting", "value", "source")]
    assert list(assumptions[t("field.setting", lang)]) == list(fc.assumptions["setting"])  # worded in lang
    backtest = frame_with(app, t("field.township_mape", lang))
    assert len(backtest) == len(fc.backtest)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_edit_from_a_year_is_on_the_plans_timeline(app, demo, lang):
    fc = demo_forecast(demo)
    choose_lang(app, lang)
    year = fc.base_year + 3
    app.selectbox(key="action").set_value(logic.action_label("close", lang)).run()
    pick_school(app, "S13")
    app.selectbox(key=f"edit_year_{lang}").set_value(year)
    app.button(key="apply").click().run()
    assert not app.exception
    worded = t("edit.from_year", lang, edit=planning.Scenario(demo).close("S13").log(lang)["change"].iloc[0],
               year=year)
    assert any(f"1. {worded}" in m.value for m in app.markdown)
    assert metrics(app)["schools_open"] == str(teaching(demo))  # today: S13 still open
    app.select_slider(key=f"year_{lang}").set_value(year).run()
    assert metrics(app)["schools_open"] == str(teaching(demo) - 1)  # closed from that year
    app.segmented_control(key="view").set_value("years").run()
    opened = frame_with(app, t("field.small_schools", lang))[t("field.schools_open", lang)]
    assert opened[year - 1] - opened[year] == 1 and opened[fc.base_year] == opened[year - 1]
    assert any(t("app.years.edits", lang) in m.value and worded in m.value for m in app.markdown)


def test_apply_action_passes_the_year(demo):
    plan = logic.apply_action(planning.Scenario(demo), "close", "S13", year=2030)
    plan = logic.apply_action(plan, "add_beds", "S01", beds=20, year=2031)
    assert [e.year for e in plan.edits] == [2030, 2031]
    assert logic.app_forecast(demo.with_policy(demo.policy)) is not None  # the demo (a new policy too)


def test_switching_language_keeps_the_choices_and_words_them_anew(app):
    """The level and basemap boxes show their options in the language chosen (a kept widget
    would keep the other language's words) and keep what was chosen."""
    app.selectbox(key="level_choice_zh").set_value("junior").run()
    app.radio(key="lang_choice").set_value("English").run()
    assert not app.exception
    level = app.selectbox(key="level_choice_en")
    assert level.value == "junior" and "junior secondary" in level.options
    assert "none (roads only, offline)" in app.selectbox(key="basemap_choice_en").options


def test_suggest_a_phased_plan_over_the_forecast(app, demo):
    app.button_group(key="view").set_value("suggest").run()
    app.checkbox(key="suggest_horizon").check().run()
    app.button(key="suggest").click().run()
    assert not app.exception, [e.value for e in app.exception]
    report = app.dataframe[0].value
    fc = demo_forecast(demo)
    assert report["年份"].tolist() == [f"{fc.years[0]}–{fc.years[-1]}"]
    assert "起约束作用的年份" in report.columns
    app.button(key="use_plan").click().run()
    assert not app.exception


# ---------------------------------------------------------------------- plans kept, renamed, deleted
def close_school(app: AppTest, school: str) -> None:
    app.selectbox(key="action").set_value(logic.action_label("close", app.session_state["lang"])).run()
    pick_school(app, school)
    app.run()
    app.button(key="apply").click().run()


def click_label(app: AppTest, key: str) -> None:
    """Click the button labelled with catalogue ``key`` (buttons without a key of their own)."""
    label = t(key, app.session_state["lang"])
    next(b for b in app.button if b.label == label).click().run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_opening_the_demo_over_plans_not_downloaded_asks_first(app, lang):
    """Before, opening the demo (or a project file, or uploaded tables) silently dropped the
    session's plans."""
    choose_lang(app, lang)
    close_school(app, "S05")
    app.button(key="save").click().run()  # saved in the session: "方案" / "plan", S05 closed
    close_school(app, "S07")  # and the plan on the map changed since
    click_label(app, "app.open_demo")
    assert not app.exception
    name = app.session_state.scenario.name  # named when the app opened (in Chinese)
    plans = name  # the saved plan and the plan on the map share the name: said once
    assert t("app.unsaved_plans", lang, plans=plans) in [w.value for w in app.warning]
    assert [e.op for e in app.session_state.scenario.edits] == ["close", "close"]  # nothing discarded yet
    app.button(key="keep_demo").click().run()  # cancel: the plans stay, the question goes
    assert [e.op for e in app.session_state.scenario.edits] == ["close", "close"]
    assert list(app.session_state.saved) == [name]
    assert not [w for w in app.warning if w.value == t("app.unsaved_plans", lang, plans=plans)]
    click_label(app, "app.open_demo")
    app.radio(key="source").set_value("gpkg").run()  # another way of opening chosen: the question goes
    app.radio(key="source").set_value("demo").run()
    assert not [w for w in app.warning if w.value == t("app.unsaved_plans", lang, plans=plans)]
    click_label(app, "app.open_demo")
    app.button(key="discard_demo").click().run()  # confirmed: the demo opens afresh
    assert not app.exception
    assert app.session_state.scenario.edits == () and app.session_state.saved == {}
    assert not [w for w in app.warning if w.value == t("app.unsaved_plans", lang, plans=plans)]


def test_a_downloaded_project_file_keeps_its_plans_until_they_change(app, tmp_path):
    close_school(app, "S05")
    app.button(key="save").click().run()
    app.button_group(key="view").set_value("export").run()
    app.download_button(key="export_project").click().run()
    assert not app.error
    path = tmp_path / "project.gpkg"
    path.write_bytes(_downloaded(app, "project").getvalue())
    opened = planning.open_project(path)
    assert [e.op for e in opened.scenarios["方案"].edits] == ["close"]
    click_label(app, "app.open_demo")  # every plan is in the downloaded file: no question
    assert app.session_state.scenario.edits == () and not app.session_state.saved
    app.button_group(key="view").set_value("map").run()
    close_school(app, "S05")
    app.button(key="save").click().run()
    app.button_group(key="view").set_value("export").run()
    app.download_button(key="export_project").click().run()
    app.button_group(key="view").set_value("map").run()
    close_school(app, "S07")  # changed after the download: asked again
    click_label(app, "app.open_demo")
    assert app.button(key="discard_demo") and [e.op for e in app.session_state.scenario.edits] == ["close", "close"]


def _downloaded(app: AppTest, kind: str) -> BytesIO:
    return BytesIO(app.session_state.downloads[kind].collect(timeout=1))


def test_unsaved_plans_in_plain_python(demo):
    a = planning.Scenario(demo, "A").close("S05")
    b = planning.Scenario(demo, "B").close("S07")
    empty = planning.Scenario(demo, "方案")
    assert logic.unsaved_plans(empty, {}, []) == []  # no edits: nothing to lose
    assert logic.unsaved_plans(a, {}, []) == ["A"]
    assert logic.unsaved_plans(a, {"A": a, "B": b}, []) == ["A", "B"]  # the plan on the map is saved plan A
    assert logic.unsaved_plans(a, {"A": a, "B": b}, [logic.plan_key(a)]) == ["B"]
    assert logic.unsaved_plans(a.close("S08"), {"A": a}, [logic.plan_key(a)]) == ["A"]  # changed since
    assert logic.unsaved_plans(a.renamed("C"), {"A": a}, [logic.plan_key(a)]) == ["C"]  # renamed since
    assert logic.unsaved_plans(a.on(demo.with_policy(demo.policy.replace(walk_speed_kmh=3.5))), {},
                               [logic.plan_key(a)]) == []  # a new policy keeps the plan's edits


def test_renaming_duplicating_and_deleting_plans_in_plain_python(demo):
    a = planning.Scenario(demo, "A").close("S05")
    b = planning.Scenario(demo, "B").close("S07")
    saved = {"A": a, "B": b}
    renamed = logic.rename_plan(saved, "A", "  west  ")
    assert list(renamed) == ["west", "B"] and renamed["west"].name == "west" and renamed["west"].edits == a.edits
    assert list(saved) == ["A", "B"]  # the given plans are left as they were
    assert logic.rename_plan(saved, "A", "A") == saved  # its own name: nothing changes
    copied = logic.duplicate_plan(saved, "A", logic.copy_name("A", saved, "zh"))
    assert list(copied) == ["A", "A 副本", "B"] and copied["A 副本"].edits == a.edits
    assert logic.copy_name("A", copied, "zh") == "A 副本 2" and logic.copy_name("A", copied, "en") == "A copy"
    assert list(logic.delete_plan(copied, "A")) == ["A 副本", "B"]
    for name, key in (("B", "error.plan_name_taken"), (" ", "error.plan_name_empty"),
                      ("现状", "error.plan_name_today"), ("today", "error.plan_name_today")):
        with pytest.raises(planning.ValidationError) as caught:
            logic.rename_plan(saved, "A", name)
        assert caught.value.text("en") == t(key, "en", name=name.strip())
        assert caught.value.text("zh") == t(key, "zh", name=name.strip())
    with pytest.raises(planning.ValidationError, match='a saved plan is already called "A"'):
        logic.duplicate_plan(saved, "B", "A")


def test_rename_duplicate_and_delete_saved_plans_in_the_app(app, demo, tmp_path):
    close_school(app, "S05")
    app.text_input[0].set_value("西片撤并").run()  # the plan's name box
    app.button(key="save").click().run()
    assert list(app.session_state.saved) == ["西片撤并"]
    app.text_input(key="manage_name").set_value("现状").run()
    app.button(key="rename_plan").click().run()
    assert [e.value for e in app.error] == [t("error.plan_name_today", "zh", name="现状")]
    assert list(app.session_state.saved) == ["西片撤并"]
    app.text_input(key="manage_name").set_value("方案甲").run()
    app.button(key="rename_plan").click().run()
    assert not app.exception and not app.error
    assert [s.value for s in app.success] == [t("app.plan_renamed", "zh", old="西片撤并", new="方案甲")]
    assert list(app.session_state.saved) == ["方案甲"] and app.session_state.saved["方案甲"].name == "方案甲"
    assert app.session_state.scenario.name == "方案甲"  # the plan on the map was that plan: renamed with it
    app.button(key="duplicate_plan").click().run()  # no name typed: "… 副本"
    assert list(app.session_state.saved) == ["方案甲", "方案甲 副本"]
    assert app.session_state.saved["方案甲 副本"].edits == app.session_state.saved["方案甲"].edits
    assert app.selectbox(key="manage_plan").value == "方案甲 副本"  # the copy picked, to be renamed
    app.selectbox(key="manage_plan").set_value("方案甲").run()
    app.button(key="duplicate_plan").click().run()
    assert list(app.session_state.saved) == ["方案甲", "方案甲 副本 2", "方案甲 副本"]  # each copy after its plan
    app.selectbox(key="manage_plan").set_value("方案甲 副本 2").run()
    app.text_input(key="manage_name").set_value("方案甲").run()
    app.button(key="rename_plan").click().run()  # a name taken
    assert [e.value for e in app.error] == [t("error.plan_name_taken", "zh", name="方案甲")]
    app.button(key="delete_plan").click().run()
    assert list(app.session_state.saved) == ["方案甲", "方案甲 副本"]
    assert [s.value for s in app.success] == [t("app.plan_deleted", "zh", name="方案甲 副本 2")]
    # the new name everywhere: the compare view and the Excel export; the old nowhere
    app.session_state.saved["方案甲 副本"] = app.session_state.saved["方案甲 副本"].close("S07")
    app.button_group(key="view").set_value("compare").run()
    assert not app.exception
    columns = list(app.dataframe[0].value.columns)
    assert columns == ["现状", "方案甲", "变化：方案甲", "方案甲 副本", "变化：方案甲 副本"], columns
    app.button_group(key="view").set_value("export").run()
    app.download_button(key="export_excel").click().run()
    book = openpyxl.load_workbook(_downloaded(app, "excel"))
    titles = {book[sheet]["A1"].value for sheet in book.sheetnames}
    assert t("report.sheet_title", "zh", plan="方案甲", kind="学校") in titles
    assert t("report.sheet_title", "zh", plan="方案甲 副本", kind="学校") in titles
    assert not any("西片撤并" in str(title) for title in titles)
    app.download_button(key="export_project").click().run()
    path = tmp_path / "project.gpkg"
    path.write_bytes(_downloaded(app, "project").getvalue())
    assert set(planning.open_project(path).scenarios) == {"方案甲", "方案甲 副本"}


def test_the_first_plan_is_named_in_the_language_the_planner_switches_to(app):
    """The plan the app starts with is named 方案 (the app starts in Chinese); a planner who
    switches to English at once sees the catalogue's English default name, in the name box
    too, and the Chinese one again on switching back. A plan saved under a name, or edited,
    keeps its name."""
    zh, en = t("plan_default_name", "zh"), t("plan_default_name", "en")
    assert zh != en
    assert app.session_state.scenario.name == zh and app.text_input[0].value == zh
    app.radio(key="lang_choice").set_value("English").run()
    assert not app.exception
    assert app.session_state.scenario.name == en and app.text_input[0].value == en
    app.radio(key="lang_choice").set_value("中文").run()
    assert app.session_state.scenario.name == zh and app.text_input[0].value == zh
    close_school(app, "S05")  # an edited plan: its name stays when the language changes
    app.radio(key="lang_choice").set_value("English").run()
    assert app.session_state.scenario.name == zh and len(app.session_state.scenario.edits) == 1
    app.button(key="undo").click().run()  # no edits again, but saved under its name by the planner
    app.text_input[0].set_value("West").run()
    app.button(key="save").click().run()
    app.radio(key="lang_choice").set_value("中文").run()
    assert app.session_state.scenario.name == "West" and list(app.session_state.saved) == ["West"]


def test_the_app_opens_the_project_file_planning_app_project_names(tmp_path, monkeypatch):
    """``PLANNING_APP_PROJECT=path`` (README): the app starts on that project file, not the
    demo: here one school on a line between two villages, so one school open and the pupils
    at 500 m = 7.5 min each (4 km/h)."""
    from .helpers import project_on_line

    project = project_on_line({"A": {"x": 0, "primary": 30, "junior": 0}, "B": {"x": 1000, "primary": 20, "junior": 0}},
                              {"S1": {"x": 500, "type": "村完小", "capacity": 100}})
    monkeypatch.setenv("PLANNING_APP_PROJECT", str(planning.save_project(tmp_path / "line.gpkg", project)))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert at.metric[0].value == "1"
    assert [m.value for m in at.metric if m.label == t("app.headline.mean_walk", "zh")] == ["7.5"]
    assert [o.split(" ")[0] for o in at.selectbox(key="school").options] == ["S1"]
