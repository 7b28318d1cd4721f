"""The app's edit panel through Streamlit's AppTest: the inputs an edit reads belong to the
school picked; a bus twice from a village to one school is refused in both languages."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

import planning
from planning import app as logic
from planning.edits import AddBus
from planning.i18n import shown_names, t

from .helpers import expander_path


def pick_school(app: AppTest, school_id: str) -> None:
    box = app.selectbox(key="school")
    box.set_value(next(o for o in box.options if o.split()[0] == school_id)).run()


def bus_box(app: AppTest):
    """The villages box of the bus edit, found by its label (whatever its key)."""
    (box,) = [m for m in app.multiselect if m.label == t("app.bus_villages", "zh")]
    return box


def test_another_school_picked_starts_the_bus_with_no_village(app):
    """A bus for S04 from V02 and V05, then S01 picked: the villages box is empty, and a bus
    for S01 from V07 carries V07 alone (before, the box kept V02 and V05, and Apply gave
    S01 a bus from V02, V05 and V07)."""
    app.selectbox(key="action").set_value(logic.action_label("add_bus", "zh")).run()
    pick_school(app, "S04")
    bus_box(app).select("V02").select("V05").run()
    assert bus_box(app).value == ["V02", "V05"]
    pick_school(app, "S01")
    assert bus_box(app).value == []
    bus_box(app).select("V07").run()
    app.button(key="apply").click().run()
    assert not app.exception and not app.session_state["edit_error"]
    (edit,) = app.session_state.scenario.edits
    assert isinstance(edit, AddBus) and (edit.school, edit.villages) == ("S01", ("V07",))
    assert bus_box(app).value == []  # the bus is in the plan: Apply again adds nothing unasked


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_second_bus_from_a_village_to_the_same_school_is_refused(demo, lang):
    plan = planning.Scenario(demo, "p").add_bus("S04", villages=["V02"])
    with pytest.raises(planning.ValidationError) as refused:
        plan.add_bus("S04", villages=["V05", "V02"])
    said = refused.value.text(lang)
    v02, s04 = shown_names(demo.villages, lang)["V02"], shown_names(demo.schools, lang)["S04"]
    # the refusal names V02 (on the bus already) and S04, not V05 (new on this bus), in the
    # reader's language (before, Chinese names in English: "a bus from V02 溪口村 to S04 石门村完小")
    assert said.endswith(t("error.bus_twice", lang, villages=f"V02 {v02}", school=f"S04 {s04}")), said
    assert (lang == "zh") == bool(re.search(r"[\u4e00-\u9fff]", said))
    assert ("本方案已有从" in said) if lang == "zh" else ("this plan already has a bus from" in said)
    # to another school it rides (its primary pupils to one, its junior pupils to another)
    both = plan.add_bus("S02", villages=["V02"]).add_bus("S04", villages=["V05"])
    assert [e.school for e in both.edits] == ["S04", "S02", "S04"]
    assert both.evaluate() is not None


def test_the_app_says_why_a_second_bus_is_refused(app, demo):
    app.selectbox(key="action").set_value(logic.action_label("add_bus", "zh")).run()
    pick_school(app, "S04")
    for _ in range(2):
        bus_box(app).select("V02").run()
        app.button(key="apply").click().run()
    assert len(app.session_state.scenario.edits) == 1
    said = [e.value for e in app.error]
    assert any(f"V02 {demo.villages.loc['V02', 'name']}" in s and "本方案已有从" in s for s in said), said


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_suggest_panel_says_what_to_do_in_the_app_not_on_the_command_line(app, demo, lang):
    """The fewest schools for primary close the teaching points (grades 1–3 only): the panel's
    note tells the planner to choose one in its “must stay open” box and suggest again, not
    to use --keep; the library's words (the command line's) keep --keep."""
    from planning.optimise import plan

    if lang == "en":
        app.radio(key="lang_choice").set_value("English").run()
    app.button_group(key="view").set_value("suggest").run()
    app.button(key="suggest").click().run()
    assert not app.exception
    notes = [c.value.removeprefix("• ") for c in app.caption if c.value.startswith("• ")]
    suggested = plan(demo, "fewest_schools", level="primary")
    partial = [m for m in suggested.messages if m.key == "plan.partial"]
    assert partial  # the teaching points S10–S13 teach grades 1–3 only
    for m in partial:
        values = dict(m.values)
        said = t("app.plan_partial", lang, **values, box=t("app.must_keep", lang), button=t("app.suggest", lang))
        assert said in notes and m.text(lang) not in notes
    assert not any("--keep" in note or "命令行" in note or "command line" in note for note in notes), notes
    assert all("--keep" in m.text(lang) for m in partial)  # the command line's words, for the command line
    others = [m.text(lang) for m in suggested.messages if m.key != "plan.partial"]
    assert others and all(note in notes for note in others)  # the other notes as before


def test_the_affected_villages_show_minutes_to_one_decimal(app, demo):
    """A bus from 云盘村 (V11) to 茶园村完小 (S06): its grades 1–2 ride 43.2 minutes door to
    door where they walked 42.6, a change of 0.566 minutes, shown 0.6 like every other
    minute of the table (before: 0.566, a value below 1 taken for a share)."""
    from planning.changes import affected

    app.selectbox(key="action").set_value(logic.action_label("add_bus", "zh")).run()
    pick_school(app, "S06")
    bus_box(app).select("V11").run()
    app.button(key="apply").click().run()
    app.button_group(key="view").set_value("compare").run()
    assert not app.exception
    changes = affected(planning.village_changes(planning.baseline(demo), app.session_state.scenario.evaluate()))
    change = t("field.change", "zh")
    (table,) = [d.value for d in app.dataframe if change in d.value.columns]
    assert len(table) == len(changes)
    minutes = [t(f"field.{c}", "zh") for c in ("minutes_before", "minutes_after", "change")]
    for column, key in zip(minutes, ("minutes_before", "minutes_after", "change"), strict=True):
        assert table[column].tolist() == [f"{v:,.1f}" for v in changes[key]], column  # recomputed here
    small = changes.index[changes["change"].abs() < 1]
    assert len(small) == 1 and small[0][0] == "V11"
    at = changes.index.get_loc(small[0])  # the table's levels are worded (小学)
    assert table[change].iloc[at] == f"{changes.loc[small[0], 'change']:.1f}" == "0.6"
    assert table[t("field.pupils", "zh")].tolist() == [f"{v:.0f}" for v in changes["pupils"]]  # counts stay whole


def test_display_table_words_minutes_by_the_column_s_kind():
    import pandas as pd

    frame = pd.DataFrame({"change": [0.566, 48.787, -2.0, float("nan")], "load": [0.5532, 1.25, 3.0, 12.0]})
    shown = logic.display_table(frame, kinds={"change": "minutes_change", "load": None})
    assert shown["change"].tolist() == ["0.6", "48.8", "-2.0", ""]
    assert shown["load"].tolist() == ["0.553", "1.2", "3", "12"]  # by size, as before, where the kind is not minutes
    assert logic.shown_table(frame, "zh").columns.tolist() == [t("field.change", "zh"), t("field.load", "zh")]
    assert logic.shown_table(frame, "en")[t("field.change", "en")].tolist()[0] == "0.6"


def test_the_edit_s_error_leaves_the_panels_below_it_where_they_are(app):
    """A bus with no village is refused: before, the error was an element drawn on that run
    only, so the new-site panel below it moved one place down (and back when the error went),
    and the browser drew it anew, folded. Now the error fills a slot drawn on every run."""
    label = t("app.new_site", "zh")
    app.selectbox(key="action").set_value(logic.action_label("add_bus", "zh")).run()
    pick_school(app, "S04")
    before = expander_path(app, label)
    app.button(key="apply").click().run()  # no village on the bus
    assert not app.exception and app.session_state["edit_error"]
    assert [e.value for e in app.error] == [app.session_state["edit_error"]]
    assert expander_path(app, label) == before
    bus_box(app).select("V02").run()
    app.button(key="apply").click().run()  # the error goes
    assert not app.session_state["edit_error"] and not app.error
    assert expander_path(app, label) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_solver_out_of_time_in_the_suggest_panel_says_what_to_do_in_the_app(app, lang, monkeypatch):
    """A suggestion whose solver ran out of time: the panel says to choose schools in its
    boxes (must stay open, must close, candidate sites) and suggest again; before, it said to
    use --solver-seconds, an option of the command line the app has no box for. The library
    (the command line) keeps its words."""
    import planning.optimise
    from planning.i18n import Message

    def out_of_time(*args, **kwargs):
        raise planning.optimise.out_of_time(Message("app.goal.fewest_schools"), 20.0)

    monkeypatch.setattr(planning.optimise, "plan", out_of_time)
    if lang == "en":
        app.radio(key="lang_choice").set_value("English").run()
    app.button_group(key="view").set_value("suggest").run()
    app.button(key="suggest").click().run()
    assert not app.exception
    (said,) = [e.value for e in app.error]
    what = t("app.goal.fewest_schools", lang)
    assert said == t("app.solver_out_of_time", lang, what=what, seconds="20", keep=t("app.must_keep", lang),
                     close=t("app.must_close", lang), sites=t("app.sites_may_open", lang),
                     button=t("app.suggest", lang))
    assert "--solver-seconds" not in said and "命令行" not in said and "command line" not in said
    assert t("app.must_keep", lang) in said and t("app.suggest", lang) in said
    library = planning.optimise.out_of_time(Message("app.goal.fewest_schools"), 20.0).text(lang)
    assert "--solver-seconds" in library  # the command line's words, for the command line


def test_the_bus_villages_box_invites_in_chinese(app):
    """The villages box of a new bus said "Choose options" (Streamlit's English) in the
    Chinese app."""
    app.selectbox(key="action").set_value(logic.action_label("add_bus", "zh")).run()
    pick_school(app, "S04")
    assert bus_box(app).proto.placeholder == t("app.choose_villages", "zh") == "选择村庄"
