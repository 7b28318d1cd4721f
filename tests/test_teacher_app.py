"""The app's view 教师与共同体 (issue 12) through Streamlit's AppTest, its logic in plain Python,
and the alliance map.

Figures are worked out here in the tests' own way: the staffing norms applied school by
school, the exchange quota counted from the demo's roster, the best two alliances found by
trying every grouping.
"""

from __future__ import annotations

import itertools
import math
from html import escape

import folium
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import planning
from planning import app as logic
from planning.i18n import field, shown_names, t
from planning.maps import ALLIANCE_COLOURS, LEFT_OUT_COLOUR, alliance_colours, alliance_map
from planning.policy import LEVEL_GRADES
from planning.teachers import Alliances, school_drive_minutes

from .helpers import choose_lang
from .test_app import frame_with, merge_s08_into_s04
from .test_maps_report import geojson_features

FIGURES = ("teachers", "teachers_needed", "teachers_short", "teachers_spare")



def open_view(app: AppTest, lang: str) -> None:
    if app.session_state["lang"] != lang:
        choose_lang(app, lang)
    app.segmented_control(key="view").set_value("teachers").run()
    assert not app.exception, [e.value for e in app.exception]


def frame_with_or_none(app: AppTest, column: str) -> bool:
    """Whether a table with ``column`` is shown."""
    return any(column in d.value.columns for d in app.dataframe)


def county_staffing(result: planning.Result, teachers: pd.Series) -> tuple[dict[str, float], pd.Series]:
    """The county's staffing figures and each open school's surplus, from the norms applied
    here school by school: pupils over 19 (primary) and 13.5 (junior) per teacher, and at a
    school under 100 pupils at least 1.7 teachers per class, rounded up."""
    policy = result.project.policy
    schools = result.schools[result.schools["open"].to_numpy(dtype=bool)]
    needed = {}
    for sid, row in schools.iterrows():
        by_ratio = (row["primary_pupils"] / policy.pupils_per_teacher["primary"]
                    + row["junior_pupils"] / policy.pupils_per_teacher["junior"])
        pupils = row["primary_pupils"] + row["junior_pupils"]
        by_classes = row["classes_needed"] * policy.teachers_per_class if 0 < pupils < policy.small_school_pupils else 0
        needed[sid] = math.ceil(max(by_ratio, by_classes) - 1e-9)
    surplus = teachers[schools.index] - pd.Series(needed)
    figures = {"teachers": teachers[schools.index].sum(), "teachers_needed": sum(needed.values()),
               "teachers_short": (-surplus).clip(lower=0).sum(), "teachers_spare": surplus.clip(lower=0).sum()}
    return figures, surplus


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staffing_today_beside_the_plan(app, demo, lang):
    """After merging 溪口村完小 (S08) into 石门村完小 (S04), its teachers teach at S04: the four
    county figures read "today → plan" as the norms give them, and the table per school
    lists each school's teachers, need and surplus, shortages first."""
    choose_lang(app, lang)
    merge_s08_into_s04(app, lang)
    open_view(app, lang)
    teachers = demo.schools["teachers"].astype(float)
    after = teachers.copy()
    after["S04"] += after["S08"]
    after["S08"] = 0.0
    today, _ = county_staffing(planning.baseline(demo), teachers)
    plan, surplus = county_staffing(planning.Scenario(demo).merge("S08", into="S04").evaluate(), after)
    shown = {m.label: m.value for m in app.metric}
    for key in FIGURES:
        assert shown[field(key, lang)] == f"{today[key]:,.0f} → {plan[key]:,.0f}", key
    assert t("app.teachers.today_to_plan", lang, plan=t("plan_default_name", lang)) in [c.value for c in app.caption]
    table = frame_with(app, field("teachers_needed", lang))
    assert table.index.name == t("app.teachers.school", lang)
    rows = {label.split()[0]: row for label, row in table.iterrows()}
    for sid, value in surplus.items():
        assert rows[sid][field("surplus", lang)] == value, sid
        assert rows[sid][field("teachers", lang)] == after[sid]
    assert rows["S04"][field("moved", lang)] == teachers["S08"] and rows["S08"][field("moved", lang)] == -teachers["S08"]
    assert t("status.merged", lang) in [label for label in table.index if label.startswith("S08 ")][0]
    order = [rows[label.split()[0]][field("surplus", lang)] for label in table.index]
    assert order == sorted(order)  # the largest shortages first
    norms = logic.norms_caption(demo.policy, lang)
    assert norms in [c.value for c in app.caption] and "72" in norms and "1.7" in norms


def test_today_alone_shows_its_figures_without_arrows(app, demo):
    open_view(app, "zh")
    today, _ = county_staffing(planning.baseline(demo), demo.schools["teachers"].astype(float))
    shown = {m.label: (m.value, m.delta) for m in app.metric}
    for key in FIGURES:
        assert shown[field(key, "zh")] == (f"{today[key]:,.0f}", "")
    table = frame_with(app, field("teachers_needed", "zh"))
    assert field("moved", "zh") not in table.columns and field("to_place", "zh") not in table.columns  # nothing moves
    assert t("app.roster_loaded", "zh", teachers=len(demo.roster)) in [c.value for c in app.caption]


def eligible_today(demo: planning.Project) -> tuple[int, int]:
    """Teachers of the demo's roster with the years to rotate (policy: 6), and key teachers among them."""
    roster = demo.roster
    eligible = roster[roster["years_at_school"] >= demo.policy.exchange_min_years]
    return len(eligible), int(eligible["key_teacher"].sum())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_exchange_meets_the_years_quota(app, demo, lang):
    """10 % of the eligible teachers (rounded up) move, at least 20 % of them key teachers;
    the moves, the CV chart and the CV table are shown, the solve worded, not "Optimal"."""
    open_view(app, lang)
    assert app.number_input(key="exchange_share").value == 10 and app.number_input(key="exchange_key_share").value == 20
    app.button(key="propose_exchange").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    eligible, _ = eligible_today(demo)
    quota = math.ceil(0.10 * eligible)
    moves = frame_with(app, field("moved_teachers", lang))
    assert moves[field("moved_teachers", lang)].sum() == quota
    assert moves[field("moved_key_teachers", lang)].sum() >= math.ceil(0.20 * quota)
    assert (moves[field("drive_minutes", lang)] == moves[field("drive_minutes", lang)].round()).all()  # whole minutes
    assert moves[field("from_school", lang)].str.match(r"S\d\d ").all()
    key = int(moves[field("moved_key_teachers", lang)].sum())
    assert [s.value for s in app.success] == [t("app.teachers.quota", lang, quota=quota, eligible=eligible, share="10%",
                                                 key_quota=math.ceil(0.20 * quota), key_share="20%", moved=quota,
                                                 key=key)]
    proven = t("app.teachers.exchange_solved", lang, solved=t("app.teachers.proven", lang, seconds="#")).split("#")[0]
    assert [c.value for c in app.caption if c.value.startswith(proven)], [c.value for c in app.caption]
    assert len(app.get("vega_lite_chart")) == 1
    cv = frame_with(app, field("before", lang))
    assert (cv.round(3) == cv).all().all() and (cv[field("after", lang)] <= cv[field("before", lang)] + 1e-9).any()
    app.run()  # another run shows the same answer, without solving again
    assert frame_with(app, field("moved_teachers", lang)).equals(moves)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_exchange_that_cannot_be_met_is_explained(app, demo, lang):
    """Half the eligible teachers to move, the three town schools only receiving: the
    village schools have too few eligible teachers to send. The message, in the planner's
    language, gives the figures."""
    open_view(app, lang)
    app.number_input(key="exchange_share").set_value(50.0)
    app.multiselect(key=f"exchange_receive_{lang}").set_value(["S01", "S02", "S03"])
    app.button(key="propose_exchange").click().run()
    assert not app.exception
    eligible, _ = eligible_today(demo)
    roster = demo.roster
    senders = int(((roster["years_at_school"] >= 6) & ~roster["school_id"].isin(["S01", "S02", "S03"])).sum())
    assert [e.value for e in app.error] == [t("exchange.too_few_senders", lang, share="50%", eligible=eligible,
                                              quota=math.ceil(0.5 * eligible), senders=senders)]
    assert not app.success


def best_two_alliances(result: planning.Result, cores: tuple[str, str], size: tuple[int, int], *,
                       balance: str = "schools") -> dict[str, str]:
    """The best alliances around two cores found by trying every grouping: each other open
    school with a core sharing a level or with none; most schools placed, then the least
    difference between the groups (their schools, core included, or their pupils), then the
    least driving."""
    schools = result.schools[result.schools["open"].to_numpy(dtype=bool)]
    minutes = school_drive_minutes(result.project)
    levels = {sid: {lv for lv, grades in LEVEL_GRADES.items() if set(g) & set(grades)} for sid, g in schools["grades"].items()}
    others = [sid for sid in schools.index if sid not in cores]
    choices = [[None] + [c for c in cores if levels[sid] & levels[c] and minutes.at[sid, c] == minutes.at[sid, c]]
               for sid in others]
    best, best_key = None, None
    for pick in itertools.product(*choices):
        members = {c: [s for s, p in zip(others, pick, strict=True) if p == c] for c in cores}
        if not all(size[0] <= len(m) <= size[1] for m in members.values()):
            continue
        weight = schools["pupils"] if balance == "pupils" else pd.Series(1.0, index=schools.index)
        sizes = [weight[c] + sum(weight[s] for s in m) for c, m in members.items()]
        drive = sum(minutes.at[s, c] for c, m in members.items() for s in m)
        key = (-sum(p is not None for p in pick), round(max(sizes) - min(sizes), 6), round(drive, 6))
        if best_key is None or key < best_key:
            best, best_key = dict(zip(others, pick, strict=True)), key
    assert best is not None
    return {**{s: c for s, c in best.items() if c is not None}, **{c: c for c in cores}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_alliances_around_the_central_school_and_the_nine_year_school(app, demo, lang):
    open_view(app, lang)
    assert app.multiselect(key=f"alliance_cores_{lang}").value == ["S01", "S03"]  # offered before choosing
    app.button(key="form_alliances").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    expected = best_two_alliances(planning.baseline(demo), ("S01", "S03"), (2, 6))  # balanced by schools
    table = frame_with(app, field("role", lang))
    shown = {label.split()[0]: row[field("core", lang)].split()[0] for label, row in table.iterrows()}
    assert shown == expected
    roles = {label.split()[0]: row[field("role", lang)] for label, row in table.iterrows()}
    assert roles["S01"] == roles["S03"] == t("alliance_role.core", lang) and roles["S02"] == t("alliance_role.member", lang)
    groups = frame_with(app, field("members", lang))
    assert groups[field("members", lang)].tolist() == [sum(1 for s, c in expected.items() if c == core and s != core)
                                                     for core in ("S01", "S03")]
    assert t("app.teachers.none_left_out", lang) in [m.value for m in app.markdown]
    spread = t("alliance.spread_schools", lang, spread=1)  # 13 schools in two alliances: 7 and 6
    assert app.success[-1].value.endswith(spread), app.success[-1].value
    app.selectbox(key=f"alliance_balance_{lang}").set_value("pupils").run()
    assert not frame_with_or_none(app, field("role", lang))  # other settings: not solved yet
    app.button(key="form_alliances").click().run()
    by_pupils = best_two_alliances(planning.baseline(demo), ("S01", "S03"), (2, 6), balance="pupils")
    table = frame_with(app, field("role", lang))
    assert {label.split()[0]: row[field("core", lang)].split()[0] for label, row in table.iterrows()} == by_pupils


def test_a_school_too_far_from_every_core_is_named_with_the_reason(app, demo):
    """With a 20-minute limit, 高坪教学点 (S10) has no core within reach (worked out from the
    drive times): it is listed as left out, and why."""
    minutes = school_drive_minutes(demo)
    far = [sid for sid in demo.schools.index if sid not in ("S01", "S03")
           and not (minutes.loc[sid, ["S01", "S03"]] <= 20).any()]
    assert far == ["S10"]
    open_view(app, "zh")
    app.number_input(key="alliance_minutes").set_value(20.0)
    app.button(key="form_alliances").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    reason = t("app.teachers.left_out_far", "zh", school="S10 高坪教学点", minutes="20")
    assert any(reason in m.value for m in app.markdown), [m.value for m in app.markdown]
    table = frame_with(app, field("role", "zh"))
    assert table.loc["S10 高坪教学点", field("role", "zh")] == t("alliance_role.left_out", "zh")


def test_alliances_that_cannot_be_formed_are_explained(app):
    """Ten members at least for each of two cores: the 11 other schools cannot make it."""
    open_view(app, "en")
    app.slider(key="alliance_size").set_value((10, 12)).run()
    app.button(key="form_alliances").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [t("alliance.infeasible", "en", k=2)]


# ---------------------------------------------------------------------------------------------
# The logic in plain Python
# ---------------------------------------------------------------------------------------------

def test_solves_are_kept_by_layout_and_settings(demo):
    today = planning.baseline(demo)
    plan = planning.Scenario(demo).close("S13").evaluate()
    solves = logic.Solves(most=2)
    rules = logic.ExchangeRules(share=0.1, key_share=0.2)
    solves.put(today, rules, "today's")
    assert solves.get(today, logic.ExchangeRules(share=0.1, key_share=0.2)) == "today's"  # equal settings
    assert solves.get(plan, rules) is None and solves.get(today, logic.ExchangeRules(0.1, 0.3)) is None
    solves.put(plan, rules, "the plan's")
    solves.put(plan, logic.ExchangeRules(0.2, 0.2), "more")
    assert solves.get(today, rules) is None  # the oldest dropped beyond `most`
    assert solves.get(plan, rules) == "the plan's"


def test_solve_words_and_staffing_words(demo):
    assert logic.solve_words("Optimal", 0.0, 1.23, "zh") == "已证明最优（用时 1.2 秒）"
    assert logic.solve_words("Time limit reached", 0.0123, 20.0, "en") == \
        "time limit reached, within 1.2% of the best (20.0 s)"
    assert logic.solve_words("Optimal", 0.0, 0.01, "en") == "proven best (<0.1 s)"
    today = planning.baseline(demo)
    plan = planning.Scenario(demo).close("S13").evaluate()
    heads = {h.key: h for h in logic.staffing_headlines(plan, today, "en")}
    assert heads["teachers_short"].lower_is_better is True and heads["teachers"].lower_is_better is None
    value, delta = logic.staffing_words(heads["teachers_spare"], today)
    closed = demo.schools.at["S13", "teachers"]  # S13's teachers are to be placed: spare
    assert value == f"{today.summary['teachers_spare']:,.0f} → {plan.summary['teachers_spare']:,.0f}"
    assert float(delta) == plan.summary["teachers_spare"] - today.summary["teachers_spare"] and closed > 0
    table = logic.staffing_table(plan, "en")
    pinyin = demo.schools.at["S13", "name_pinyin"]  # named as the plan report names it in English
    assert table.loc[f"S13 {pinyin} (closed)", field("to_place", "en")] == closed
    assert logic.short_headers(table, "en")[field("surplus", "en")] == "surplus"


def test_a_table_with_unknown_teachers_shows_blanks(demo):
    schools = demo.schools.copy()
    schools.loc["S05", "teachers"] = np.nan
    result = planning.baseline(demo.with_roster(None).with_schools(schools))
    table = logic.staffing_table(result, "zh")
    row = table.loc["S05 杨家坳村完小"]
    assert row[field("teachers", "zh")] == "" and row[field("surplus", "zh")] == ""  # not "None" in the browser
    assert table.loc["S04 石门村完小", field("teachers", "zh")] == f"{schools.at['S04', 'teachers']:,.0f}"


def test_the_policy_panel_shows_the_staffing_norms_and_exchange_rules_with_sources():
    policy = planning.Policy().replace(pupils_per_teacher={"primary": 18, "junior": 12.5}, exchange_share=0.15)
    for lang in ("zh", "en"):
        rows = logic.policy_rows(policy, lang)
        setting, value, source = (field(n, lang) for n in ("setting", "value", "source"))
        shown = dict(zip(rows[setting], zip(rows[value], rows[source], strict=True), strict=True))
        assert shown[field("pupils_per_teacher", lang)] == ("18 / 12.5", t("policy_source.pupils_per_teacher", lang))
        assert shown[field("teachers_per_class", lang)] == ("1.7", t("policy_source.teachers_per_class", lang))
        assert shown[field("exchange_share", lang)] == ("15%", t("policy_source.exchange_share", lang))
        assert shown[field("exchange_key_share", lang)] == ("20%", t("policy_source.exchange_key_share", lang))
        assert shown[field("exchange_min_years", lang)] == ("6", t("policy_source.exchange_min_years", lang))


def test_an_uploaded_roster_gives_the_project_its_teacher_figures(demo, tmp_path):
    """A roster with one teacher fewer at 杨家坳村完小 (S05): its figures become the school's,
    and the difference from the schools table is told; a roster naming an unknown school is
    refused with its row."""
    bare = demo.with_roster(None)
    rows = (planning.load.DEMO_FOLDER / "teachers.csv").read_text(encoding="utf-8").splitlines()
    dropped = next(i for i, line in enumerate(rows) if line.split(",")[1] == "S05")
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(rows[:dropped] + rows[dropped + 1:]) + "\n", encoding="utf-8")
    project, notes = logic.with_uploaded_roster(bare, path)
    assert project.schools.at["S05", "teachers"] == demo.schools.at["S05", "teachers"] - 1
    assert len(project.roster) == len(rows) - 2
    assert any("S05" in note.text("zh") for note in notes) and all(isinstance(n, planning.DataWarning) for n in notes)
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([rows[0], rows[1].replace(",S01,", ",S99,", 1)]) + "\n", encoding="utf-8")
    with pytest.raises(planning.ValidationError) as caught:
        logic.with_uploaded_roster(bare, broken)
    assert "S99" in caught.value.text("zh") and "第 2 行" in caught.value.text("zh")


# ---------------------------------------------------------------------------------------------
# The alliance map
# ---------------------------------------------------------------------------------------------

def layers(fmap: folium.Map) -> dict[str, folium.FeatureGroup]:
    return {group.layer_name: group for group in fmap._children.values() if isinstance(group, folium.FeatureGroup)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_alliance_map_one_line_per_member_in_its_alliances_colour(demo, lang):
    found = planning.alliances(demo, cores=["S01", "S03"], max_minutes=20)
    fmap = alliance_map(demo, found, lang=lang)
    groups = layers(fmap)
    lines = geojson_features(groups[t("map.alliance_lines", lang)])
    members = found.schools[found.schools["role"] == "member"]
    assert len(lines) == len(members) and len(members) == len(demo.schools) - 3  # S10 too far: no line
    colours = alliance_colours(found)
    assert len(set(colours.values())) == 2 and set(colours.values()) <= set(ALLIANCE_COLOURS)
    points = demo.target_points
    names = shown_names(demo.schools, lang)
    for (geometry, style, tip), (sid, row) in zip(lines, members.iterrows(), strict=True):
        ends = [[points[sid].x, points[sid].y], [points[row["core"]].x, points[row["core"]].y]]
        assert np.allclose(np.asarray(geometry["coordinates"], dtype=float), ends)
        assert style["color"] == colours[row["core"]]
        assert tip == escape(t("map.alliance_line", lang, member=f"{names[sid]} ({sid})",  # pinyin in English
                               core=f"{names[row['core']]} ({row['core']})", minutes=f"{row['drive_minutes']:.0f}"))
    markers = geojson_features(groups[t("map.alliances", lang)])
    assert len(markers) == len(found.schools)
    for (_, style, _), (sid, row) in zip(markers, found.schools.iterrows(), strict=True):
        colour = LEFT_OUT_COLOUR if row["role"] == "left_out" else colours[row["core"]]
        assert f'data-school="{sid}"' in style["html"] and f'data-role="{row["role"]}"' in style["html"]
        assert colour in style["html"]
    html = fmap.get_root().render()
    assert 'id="planning-alliance-legend"' in html and t("synthetic", lang) in html
    assert t("alliance_role.left_out", lang) in html  # S10 is one
    assert names["S01"] in html and t("osm_attribution", lang) not in html  # the demo's roads are not OSM's


def test_alliance_map_credits_openstreetmap(liechtenstein, demo):
    """Roads from OpenStreetMap: the legend credits them; an OSM basemap credits its tiles."""
    ids = list(liechtenstein.schools.index[:3])
    names = liechtenstein.schools["name"]
    schools = pd.DataFrame({"name": names[ids].to_numpy(), "core": [ids[0]] * 3,
                            "core_name": [names[ids[0]]] * 3, "role": ["core", "member", "member"],
                            "drive_minutes": [0.0, 4.2, 6.8], "pupils": [100.0, 50.0, 30.0]}, index=pd.Index(ids))
    summary = pd.DataFrame({"name": [names[ids[0]]], "members": [2], "pupils": [180.0], "longest_minutes": [6.8]},
                           index=pd.Index([ids[0]], name="core"))
    found = Alliances(groups=schools["core"], schools=schools, summary=summary, status="Optimal", gap=0.0,
                      seconds=0.0, spread=0.0, left_out=[])
    for lang in ("zh", "en"):
        fmap = alliance_map(liechtenstein, found, lang=lang)
        assert t("osm_attribution", lang) in fmap.get_root().render()
        (_, _, tip), _ = geojson_features(layers(fmap)[t("map.alliance_lines", lang)])
        assert tip == escape(t("map.alliance_line", lang, member=f"{names[ids[1]]} ({ids[1]})",
                               core=f"{names[ids[0]]} ({ids[0]})", minutes="4"))
    fmap = alliance_map(demo, planning.alliances(demo, cores=["S01", "S03"]), basemap="osm")
    (tiles,) = [c for c in fmap._children.values() if isinstance(c, folium.TileLayer)]
    assert "tile.openstreetmap.org" in tiles.tiles and tiles.options["attribution"] == t("osm_attribution", "en")
