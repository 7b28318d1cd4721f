"""The app's exports say the right county, date and forecast (issue 17 item 2), the
exported HTML map its title in one language, and the panel of saved plans stays open after
a save (AppTest: a real script run, no browser)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import planning
import planning.plan_report
import planning.report
import planning.timeline
from planning import app as logic
from planning.i18n import plan_name, t
from planning.load import DEMO_FOLDER, county_name

from .conftest import ROOT
from .helpers import expander_path, started_app

APP = str(ROOT / "streamlit_app.py")
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture
def app() -> AppTest:
    return started_app(timeout=300)  # the report with its forecast takes a while on a loaded machine


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text of a PDF (pdftotext), or skip when it is not installed."""
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "made.pdf"
    path.write_bytes(data)
    return subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict[str, Any]]:
    """Record the keyword arguments of ``planning.report.<name>`` (the app imports it on each
    run), calling the real function."""
    real, calls = getattr(planning.report, name), []

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(planning.report, name, recorded)
    return calls


def close_school(app: AppTest, school: str) -> None:
    app.selectbox(key="action").set_value(logic.action_label("close", app.session_state["lang"])).run()
    label = next(o for o in app.selectbox(key="school").options if o.startswith(school + " "))
    app.selectbox(key="school").set_value(label).run()
    app.button(key="apply").click().run()
    assert not app.exception, [e.value for e in app.exception]


def download(app: AppTest, kind: str) -> bytes:
    app.download_button(key=f"export_{kind}").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    return app.session_state.downloads[kind].collect(timeout=1)


def test_the_plan_report_holds_the_forecast_the_app_shows(app, demo, monkeypatch, tmp_path):
    """Before, the report downloaded from the app said "未提供入学历史，本报告不含学生数预测。"
    while the sidebar showed the demo's forecast: the app passed no timelines."""
    calls = spy(monkeypatch, "plan_report")
    close_school(app, "S05")
    fc = app.session_state.forecast
    assert fc is not None  # the demo's forecast, the sidebar's variant
    app.button_group(key="view").set_value("years").run()  # the years view evaluates the plan year by year
    app.button_group(key="view").set_value("export").run()
    text = pdf_text(download(app, "plan_report"), tmp_path)
    assert t("plan_report.no_forecast", "zh") not in text
    plan = app.session_state.scenario
    for name in ("today", plan.name):
        assert t("plan_report.forecast_title", "zh", plan=plan_name(name, "zh")) in text
    timelines = list(calls[0].get("timelines", ()))
    assert [tl.name for tl in timelines] == ["today", plan.name]
    for timeline, edits in zip(timelines, [(), plan.edits], strict=True):
        assert timeline.years == fc.years
        again = planning.timeline.evaluate_years(demo, edits, fc, name=timeline.name, assignment=timeline.assignment)
        assert timeline.summary.equals(again.summary)
    shown = next(entry[3] for entry in app.session_state.timelines if entry[0] is plan)
    assert timelines[1] is shown  # the years view's, not made a second time


def test_without_a_forecast_the_report_says_so(tmp_path, monkeypatch):
    """A project without enrolment history (here a saved project file): no timelines, and the
    report's line saying it has no forecast; the county box shows the project's name."""
    from .helpers import project_on_line

    project = project_on_line({"A": {"x": 0, "primary": 30, "junior": 0}, "B": {"x": 1000, "primary": 20, "junior": 0}},
                              {"S1": {"x": 500, "type": "村完小", "capacity": 100}})
    monkeypatch.setenv("PLANNING_APP_PROJECT", str(planning.save_project(tmp_path / "line.gpkg", project)))
    calls = spy(monkeypatch, "plan_report")
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and at.session_state.forecast is None
    at.button_group(key="view").set_value("export").run()
    box = next(b for b in at.text_input if b.label == t("app.export.county", "zh"))
    assert box.value == project.name  # the project's own name, until the planner types another
    text = pdf_text(download(at, "plan_report"), tmp_path)
    assert list(calls[0].get("timelines", ())) == []
    assert t("plan_report.no_forecast", "zh") in text
    assert t("plan_report.title", "zh", county=project.name) in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_county_and_date_typed_reach_the_report_and_the_printed_map(app, monkeypatch, tmp_path, lang):
    """Before, the export view had no county or date: the cover and page headers said the
    project's name (an uploaded project's: "villages") and the day of the download."""
    reports, maps = spy(monkeypatch, "plan_report"), spy(monkeypatch, "print_map")
    if lang == "en":
        app.radio(key="lang_choice").set_value("English").run()
    app.button_group(key="view").set_value("export").run()
    box = next(b for b in app.text_input if b.label == t("app.export.county", lang))
    assert box.value == t("plan_report.demo_name", lang)  # the project's name, until the planner types one
    box.set_value("清浦区").run()
    app.date_input(key="report_date").set_value(dt.date(2027, 3, 1)).run()
    app.text_input(key="report_unit").set_value("清浦区教育局").run()
    text = pdf_text(download(app, "plan_report"), tmp_path)
    assert (reports[0]["county"], reports[0]["date"], reports[0]["unit"]) == ("清浦区", dt.date(2027, 3, 1), "清浦区教育局")
    title = t("plan_report.title", lang, county="清浦区")
    date = t("plan_report.date", lang, date=planning.plan_report.date_text(dt.date(2027, 3, 1), lang))
    assert re.sub(r"\s+", " ", title) in re.sub(r"\s+", " ", text) and date in text
    assert t("plan_report.title", lang, county=t("plan_report.demo_name", lang)) not in text  # no page says the demo
    download(app, "pdf")
    assert (maps[0]["county"], maps[0]["date"], maps[0]["unit"]) == ("清浦区", dt.date(2027, 3, 1), "清浦区教育局")
    html = download(app, "html").decode()
    assert re.findall(r"<title>(.*?)</title>", html) == [f"清浦区 · {plan_name('today', lang)}"]  # no edits yet


def test_the_county_typed_stays_when_the_language_changes(app):
    """Before, the county box went back to the project's own name (青山镇（合成示例） /
    Qingshan township) when the planner switched the language after typing 清浦区."""
    app.button_group(key="view").set_value("export").run()
    next(b for b in app.text_input if b.label == t("app.export.county", "zh")).set_value("清浦区").run()
    app.radio(key="lang_choice").set_value("English").run()
    app.button_group(key="view").set_value("export").run()
    assert next(b for b in app.text_input if b.label == t("app.export.county", "en")).value == "清浦区"
    app.radio(key="lang_choice").set_value("中文").run()
    app.button_group(key="view").set_value("export").run()
    box = next(b for b in app.text_input if b.label == t("app.export.county", "zh"))
    assert box.value == "清浦区"
    box.set_value(t("plan_report.demo_name", "zh")).run()  # the own name typed back: the own name in English again
    app.radio(key="lang_choice").set_value("English").run()
    app.button_group(key="view").set_value("export").run()
    assert next(b for b in app.text_input if b.label == t("app.export.county", "en")).value == \
        t("plan_report.demo_name", "en")


def test_an_uploaded_project_is_named_by_the_planner_or_called_the_county(demo, app):
    """Before, the demo's own files uploaded made "学校布局与学区规划 · villages" and a report
    "villages中小学布局调整方案报告": the project was named after the villages file."""
    files = {"villages": DEMO_FOLDER / "villages.csv", "schools": DEMO_FOLDER / "schools.csv", "sites": None,
             "roads": DEMO_FOLDER / "roads.gpkg"}
    unnamed, _ = logic.uploaded_project(**files, lang="zh")
    assert unnamed.name == "本县"
    assert county_name(unnamed, "zh") == "本县" and county_name(unnamed, "en") == "the county"
    named, _ = logic.uploaded_project(**files, name="  青山镇 ", lang="en")
    assert named.name == "青山镇" and county_name(named, "en") == "青山镇"
    # the app's title, as after loading the tables (replace_project)
    app.session_state.project = unnamed
    app.session_state.project_version += 1
    app.session_state.scenario = planning.Scenario(unnamed, "方案")
    app.run()
    assert not app.exception
    assert app.title[0].value == f"{t('app.title', 'zh')} · 本县"
    app.radio(key="lang_choice").set_value("English").run()
    assert app.title[0].value == f"{t('app.title', 'en')} · the county"
    app.button_group(key="view").set_value("export").run()
    assert next(b for b in app.text_input if b.label == t("app.export.county", "en")).value == "the county"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_exported_html_map_has_its_title_in_one_language(app, lang):
    """Before: "青山镇 Qingshan (synthetic demo · 合成示例数据) · 方案" in both languages, and
    the layer button's tooltip "Layers" on the Chinese map."""
    if lang == "en":
        app.radio(key="lang_choice").set_value("English").run()
    close_school(app, "S05")
    app.button_group(key="view").set_value("export").run()
    html = download(app, "html").decode()
    plan = app.session_state.scenario.name
    assert re.findall(r"<title>(.*?)</title>", html) == [f"{t('plan_report.demo_name', lang)} · {plan}"]
    assert f', "{t("map.layers", lang)}");' in html  # the layer button's tooltip (_ControlTitle)


def test_the_panel_of_saved_plans_stays_where_it_is_after_a_save(app):
    """Before, "已保存" was drawn on the save's run only: on the next run (a click on 复制 in
    the panel) everything below it moved up one place and the browser drew the panel anew,
    folded, hiding the confirmation."""
    close_school(app, "S05")
    app.button(key="save").click().run()
    assert t("app.saved", "zh", name=app.session_state.scenario.name) in [s.value for s in app.success]
    label = t("app.manage_plans", "zh")
    after_save = expander_path(app, label)
    app.button(key="duplicate_plan").click().run()
    assert not app.exception
    assert expander_path(app, label) == after_save
    copy = logic.copy_name(app.session_state.scenario.name, {}, "zh")
    assert [s.value for s in app.success] == [t("app.plan_duplicated", "zh", name=copy)]
    app.run()
    assert expander_path(app, label) == after_save
