"""The app's compare view through Streamlit's AppTest: it says what it counts (every level,
the base year), shows a duplicated saved plan, and names every school on its chart."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import planning
from planning import app as logic
from planning.i18n import level_name, t

from .helpers import choose_lang


def captions(app: AppTest) -> list[str]:
    return [c.value for c in app.caption]


def test_a_duplicated_plan_is_compared_too_and_said_to_be_the_same(demo):
    """备选B, a copy of 备选A (the plan on the map), is a column of its own with 备选A's
    figures and a note (before, every saved plan with the edits of the plan on the map was
    left out, so 备选B silently missing); 备选A itself is not shown twice."""
    a = planning.Scenario(demo, "备选A").close("S05")
    b = a.renamed("备选B")
    today, result = planning.baseline(demo), a.evaluate()
    plans = logic.plans_side_by_side(today, result, a, [a, b], assignment="nearest", lang="zh")
    assert [p.name for p in plans] == ["today", "备选A", "备选B"]
    assert plans[2].summary.equals(plans[1].summary)
    assert logic.same_edits_notes(a, [a, b], "zh") == ["备选B 与 备选A 的改动相同，数字也相同"]
    assert logic.same_edits_notes(a, [a, b], "en") == ["备选B has the same edits as 备选A: the same figures"]
    other = a.close("S07").renamed("备选C")
    assert logic.same_edits_notes(a, [other], "zh") == []  # a plan of its own: nothing to say


def test_the_compare_view_shows_a_duplicated_plan(app, demo):
    a = planning.Scenario(demo, "备选A").close("S05")
    app.session_state["saved"] = {"备选A": a, "备选B": a.renamed("备选B")}
    app.session_state["scenario"] = a
    app.button_group(key="view").set_value("compare").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert [c for c in table.columns if not c.startswith("变化：")] == ["现状", "备选A", "备选B"]
    assert table["备选B"].tolist() == table["备选A"].tolist()
    assert "备选B 与 备选A 的改动相同，数字也相同" in captions(app)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_compare_view_says_it_counts_every_level_and_the_base_year(app, demo, lang):
    """The headline counts primary (its schools: those teaching a primary grade), the compare
    table every school of both levels: a caption says so, and, with a later year chosen,
    that its figures are the base year's (as the exports')."""
    choose_lang(app, lang)
    app.button_group(key="view").set_value("compare").run()
    said = captions(app)
    words = t("app.compare_levels", lang, level=level_name("primary", lang), primary=level_name("primary", lang),
              junior=level_name("junior", lang))
    assert words in said
    table = app.dataframe[0].value
    today = planning.baseline(demo)
    assert table.iloc[0, 0] == str(int(today.summary["schools_open"])) == str(len(demo.schools))  # every level
    fc = app.session_state["forecast"]
    assert not any(t("app.view.years", lang) in line for line in said)  # the base year chosen: nothing to say
    year = fc.base_year + 5
    app.select_slider(key=f"year_{lang}").set_value(year).run()
    assert not app.exception
    later = t("app.compare_year", lang, base=fc.base_year, year=year, view=t("app.view.years", lang))
    assert later in captions(app)
    pupils = app.dataframe[0].value.loc[t("field.pupils", lang)].iloc[0]  # still the base year's pupils
    assert pupils == f"{today.summary['pupils']:,.0f}"


def test_the_pupils_per_school_chart_names_every_school(app, demo):
    """Bars across, one row per school down the left, names never dropped for want of room
    (before: upright bars, slanted names, every other one left out by Vega-Lite)."""
    app.button_group(key="view").set_value("compare").run()
    specs = [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    (spec,) = [s for s in specs if s["encoding"].get("y", {}).get("field") == "school"
               or s["encoding"].get("x", {}).get("field") == "school"]
    y = spec["encoding"]["y"]
    assert y["field"] == "school" and y["axis"]["labelOverlap"] is False
    assert len(y["sort"]) == len(demo.schools) and spec["encoding"]["yOffset"]["field"] == "plan"
    assert spec["height"] >= len(demo.schools) * 12  # a row of at least 12 pixels for each name
