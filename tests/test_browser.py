"""The app in a real browser: headless Chromium (Debian's `chromium`) driven by Playwright.

Starts the app the way `make run` does (`planning app`: a warm server) on a free local
port, opens the demo, picks a school on the map, closes a school, checks the figures and the
map change, switches to English, downloads the Excel and PDF exports; opens a project from
uploaded tables (a broken one first) and from a saved project file; draws walking rings and
opens a new site clicked on the map; two sessions side by side. Screenshots go to tests/artifacts/. First render and
edit times are printed (measured, not asserted).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser tests skip without it
    PlaywrightTimeout = TimeoutError  # noqa: N816

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Schools teaching primary grades in the demo (all open today): the first figure the app
#: shows, for the level it opens on (primary).
SCHOOLS = sum(1 for line in (ROOT / "data" / "demo" / "schools.csv").read_text(encoding="utf-8").splitlines()[1:]
              if line.strip() and "初级中学" not in line)
ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    with _app_server() as url:
        yield url


@contextlib.contextmanager
def _app_server(**env_extra: str):
    """``planning app`` on a free local port (``env_extra`` added to its environment), until the block ends."""
    port = _free_port()
    env = {**os.environ, "PLANNING_CACHE": str(ROOT / ".pytest_cache" / "browser-cache"), **env_extra}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen([sys.executable, "-m", "planning.cli", "app", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        log.close()
        pytest.fail("the app did not start within 60 s: "
                    + (ARTIFACTS / "streamlit.log").read_text(errors="replace")[-2000:])
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium in CI")
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


def _schools_open(page) -> str:
    return page.get_by_test_id("stMetricValue").first.inner_text().strip()


def _map(page):
    return page.frame_locator("iframe[title*='st_folium']").first


def _wait_closed_on_map(page, school: str) -> None:
    _map(page).locator(f"[data-school='{school}'][style*='line-through']").wait_for(timeout=60_000)


def _drawn(page, legend: str = "") -> None:
    """Wait until the app's run has finished and the map shows its legend and markers (what a
    screenshot must show), instead of sleeping a fixed time."""
    _settled(page)
    _map(page).locator("#planning-legend", has_text=legend).wait_for(timeout=60_000)
    _map(page).locator("[data-school]").first.wait_for(timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll('iframe')].every(f => f.contentDocument === null "
                           "|| f.contentDocument.readyState === 'complete')", timeout=60_000)


def test_plan_in_the_browser(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # 1500 px tall: the map, below two rows of headline figures (trips, then costs), shows every school
    page = browser.new_page(viewport={"width": 1600, "height": 1500}, accept_downloads=True)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    start = time.perf_counter()
    page.goto(server)
    page.get_by_text("学校布局与学区规划").first.wait_for(timeout=90_000)
    _map(page).locator("[data-school='S01']").wait_for(timeout=60_000)  # the map with its schools drawn
    first_render = time.perf_counter() - start
    assert _schools_open(page) == str(SCHOOLS)
    _drawn(page, "图例")
    page.screenshot(path=ARTIFACTS / "01_demo_zh_1600.png")

    start = time.perf_counter()
    page.get_by_role("button", name="应用").click()  # close the selected school (S01)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           f".some((e, i) => i === 0 && e.innerText.trim() === '{SCHOOLS - 1}')", timeout=60_000)
    _wait_closed_on_map(page, "S01")
    edit = time.perf_counter() - start
    assert _schools_open(page) == str(SCHOOLS - 1)
    _drawn(page, "图例")
    page.screenshot(path=ARTIFACTS / "02_closed_zh_1600.png")

    _map(page).locator("[data-school='S07']").click()  # pick a school on the map
    page.wait_for_function("() => [...document.querySelectorAll('input[role=combobox]')]"
                           ".some(e => e.value.startsWith('S07 '))", timeout=60_000)
    start = time.perf_counter()
    page.get_by_role("button", name="应用").click()
    _wait_closed_on_map(page, "S07")
    second_edit = time.perf_counter() - start
    assert _schools_open(page) == str(SCHOOLS - 2)

    page.get_by_text("English", exact=True).click()
    page.get_by_text("School layout and catchment planning").first.wait_for(timeout=60_000)
    _map(page).locator("#planning-legend", has_text="Legend").wait_for(timeout=60_000)  # the map redrawn in English
    _wait_closed_on_map(page, "S07")  # with the plan's edits
    _drawn(page, "Legend")
    page.screenshot(path=ARTIFACTS / "03_closed_en_1600.png")

    page.get_by_text("Export", exact=True).click()
    with page.expect_download(timeout=60_000) as excel:
        page.get_by_role("button", name="Excel report").click()
    excel_path = ARTIFACTS / "report.xlsx"
    excel.value.save_as(excel_path)
    assert excel_path.read_bytes()[:2] == b"PK"
    with page.expect_download(timeout=120_000) as pdf:
        page.get_by_role("button", name="Printed map (PDF)").click()
    pdf_path = ARTIFACTS / "map.pdf"
    pdf.value.save_as(pdf_path)
    assert pdf_path.read_bytes()[:4] == b"%PDF"
    page.screenshot(path=ARTIFACTS / "04_export_en.png")
    assert not [u for u in failed if "leaflet" in u], failed  # the map needs no internet
    print(f"\nbrowser: first render {first_render:.1f} s, one edit to updated figures and map {edit:.2f} s "
          f"(a second edit {second_edit:.2f} s)")


def _first_view(page) -> dict:
    """The map's first view, once set (``data-planning-framed``): its size (pixels), how many
    village circles lie within its bounds (``getBounds``), each village's place and the
    legend's box, both in the map's pixels, and whether the legend is open."""
    fmap = _map(page)
    fmap.locator(".leaflet-container[data-planning-framed]").wait_for(state="attached", timeout=60_000)
    return fmap.locator(".leaflet-container").evaluate(
        "c => { const m = window.map, b = m.getBounds(), r = c.getBoundingClientRect(), out = [];"
        " let inside = 0;"
        " m.eachLayer(l => { if (l instanceof L.CircleMarker && l.feature) {"
        " if (b.contains(l.getLatLng())) { inside += 1; }"
        " const p = m.latLngToContainerPoint(l.getLatLng()); out.push([p.x, p.y]); } });"
        " const g = document.getElementById('planning-legend');"
        " const k = g.getBoundingClientRect();"
        " return {width: m.getSize().x, height: m.getSize().y, inside: inside, villages: out, open: g.open,"
        " legend: [k.left - r.left, k.top - r.top, k.right - r.left, k.bottom - r.top]}; }")


def _framed_well(view: dict) -> None:
    """Every village in the map's first view, none under the legend (folded or open), and the
    villages filling at least 80% of the map's width or height (a fit leaving a third of the
    map empty beside the legend filled 61% and 78%; the margins left and right keep the
    outermost names whole, planning.maps.FIT_SIDES)."""
    points = view["villages"]
    assert points and view["inside"] == len(points), (view["inside"], len(points))
    left, top, right, bottom = view["legend"]
    under = [(x, y) for x, y in points if left - 4 <= x <= right + 4 and top - 4 <= y <= bottom + 4]
    assert not under, (under[:5], view["legend"])
    xs, ys = [x for x, _ in points], [y for _, y in points]
    share = max((max(xs) - min(xs)) / view["width"], (max(ys) - min(ys)) / view["height"])
    assert share >= 0.8, (share, view["width"], view["height"], view["open"])


def _settled(page) -> None:
    """Wait until the app's script run that an action started has finished: for the run to
    start (if it has not already come and gone), then for it to end."""
    state = "document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state')"
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"() => {state} === 'running'", timeout=1_000)
    page.wait_for_function(f"() => {state} !== 'running'", timeout=60_000)


def _open_demo(browser, server: str, *, lang: str = "zh", width: int = 1600, height: int = 1200, **options):
    """A page on the app, the demo's schools drawn on the map, in ``lang``."""
    page = browser.new_page(viewport={"width": width, "height": height}, **options)
    page.goto(server)
    _map(page).locator("[data-school='S01']").wait_for(timeout=90_000)
    if lang == "en":
        page.get_by_text("English", exact=True).click()
        page.get_by_text("School layout and catchment planning").first.wait_for(timeout=60_000)
        _settled(page)
    return page



def _demo_with_s08_merged(browser, server, *, lang: str, width: int):
    """The demo in ``lang`` at ``width`` px (900 tall) with S08 merged into S04 through the
    edit panel, the map redrawn."""
    from planning.i18n import t

    page = _open_demo(browser, server, lang=lang, width=width, height=900)
    _choose(page, t("app.action", lang), t("app.action.merge", lang))
    _choose(page, t("app.school_pick", lang), "S08")
    _choose(page, t("app.into", lang), "S04")
    page.get_by_role("button", name=t("app.apply", lang)).click()
    _wait_closed_on_map(page, "S08")
    return page

def _again(page, act, *, undo=None) -> None:
    """Do ``act`` (which waits for its own effect), again up to three times when it times out:
    a script run that starts late (the map reports its first drawing back to the app, and on a
    loaded machine that rerun can begin after ``_settled`` stopped waiting) redraws the widget
    and loses what was done to it. ``undo`` tidies up before the next try; then the run ends."""
    for attempt in range(3):
        try:
            act()
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            if undo is not None:
                undo()
            _settled(page)
    _settled(page)  # each change reruns the app; the next input must be the new one


def _upload(page, label: str, path: Path) -> None:
    """Give the uploader labelled ``label`` the file ``path`` (again when a late run lost it)."""
    def give() -> None:
        box = page.get_by_test_id("stFileUploader").filter(has_text=label)
        box.locator("input[type=file]").set_input_files(str(path))
        box.get_by_text(path.name).wait_for(timeout=20_000)

    _again(page, give)


def test_open_tables_a_broken_file_and_a_project_file(server, browser, tmp_path):
    """Open a project from uploaded tables, see a broken table's message (not a traceback),
    and reopen a saved project file with its plans."""
    demo = ROOT / "data" / "demo"
    page = _open_demo(browser, server, width=1500, accept_downloads=True)
    page.get_by_text("打开项目").click()
    page.get_by_text("上传表格与道路").click()
    _settled(page)

    broken = tmp_path / "villages.csv"  # a pupil count below zero in the second data row
    rows = (demo / "villages.csv").read_text(encoding="utf-8").splitlines()
    cells = rows[2].split(",")
    cells[6] = "-5"
    broken.write_text("\n".join([*rows[:2], ",".join(cells), *rows[3:]]) + "\n", encoding="utf-8")
    _upload(page, "村庄表", broken)
    _upload(page, "学校表", demo / "schools.csv")
    _upload(page, "道路图层", demo / "roads.gpkg")
    page.get_by_role("button", name="载入").click()
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for(timeout=60_000)
    message = error.inner_text()
    assert message.startswith("villages.csv：第 3 行：一年级 为 -5，小于零"), message  # as uploaded, its header, in Chinese
    assert not page.get_by_test_id("stException").count()  # no traceback
    error.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "05_broken_upload_zh.png")

    fixed = tmp_path / "fixed" / "villages.csv"
    fixed.parent.mkdir()
    fixed.write_bytes((demo / "villages.csv").read_bytes())
    _upload(page, "村庄表", fixed)
    _upload(page, "候选校址", demo / "sites.csv")
    page.get_by_role("button", name="载入").click()
    page.wait_for_function("() => ![...document.querySelectorAll('[data-testid=stAlertContentError]')].length",
                           timeout=60_000)
    _map(page).locator("[data-school='S05']").wait_for(timeout=60_000)
    assert _schools_open(page) == str(SCHOOLS)

    page.get_by_role("button", name="应用").click()  # close S01, save the plan, download the project file
    page.wait_for_function(f"() => document.querySelector('[data-testid=stMetricValue]').innerText.trim() === '{SCHOOLS - 1}'",
                           timeout=60_000)
    page.get_by_role("button", name="保存方案").click()
    _settled(page)
    page.get_by_text("导出", exact=True).click()
    with page.expect_download(timeout=60_000) as saved:
        page.get_by_role("button", name="项目文件（含已保存方案）").click()
    project_file = tmp_path / "project.gpkg"
    saved.value.save_as(project_file)

    page.get_by_text("项目文件 (.gpkg)").click()
    _settled(page)
    _upload(page, "项目文件", project_file)
    page.get_by_role("button", name="打开", exact=True).click()
    page.wait_for_function(f"() => document.querySelector('[data-testid=stMetricValue]').innerText.trim() === '{SCHOOLS}'",
                           timeout=60_000)  # the reopened project, with a fresh plan
    page.get_by_text("地图与编辑", exact=True).click()
    page.get_by_label("打开已保存方案").wait_for(timeout=60_000)  # its saved plan is there to reopen
    _map(page).locator("[data-school='S01']").wait_for(timeout=60_000)
    _drawn(page, "图例")
    page.screenshot(path=ARTIFACTS / "06_project_reopened_zh.png", full_page=True)


def test_walking_rings_and_a_new_site_clicked_on_the_map(server, browser):
    page = _open_demo(browser, server, width=1500)
    _settled(page)
    page.get_by_role("button", name="步行圈").click()  # rings around the chosen school (S01)
    _map(page).locator(".leaflet-control-layers-overlays", has_text="20/30/40分钟步行圈").wait_for(
        state="attached", timeout=60_000)
    _settled(page)

    box = _map(page).locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.62)  # open ground south of town
    page.get_by_text("在地图点击处新建校址").click()
    page.get_by_role("button", name="新建并启用").wait_for(timeout=60_000)
    page.get_by_role("button", name="新建并启用").click()
    page.wait_for_function(f"() => document.querySelector('[data-testid=stMetricValue]').innerText.trim() === '{SCHOOLS + 1}'",
                           timeout=60_000)  # the new site opened in the plan
    page.get_by_text("启用校址 N1 新校址").wait_for(timeout=60_000)  # and listed among the plan's edits
    _map(page).locator("[data-school='N1']").wait_for(timeout=60_000)
    _drawn(page, "图例")
    page.screenshot(path=ARTIFACTS / "07_rings_and_new_site_zh.png")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshots_at_1024_pixels(server, browser, lang):
    """The narrow screen a county office laptop has: the map, the figures and the editor in
    both languages, and the compare view (looked at by people: tests/artifacts/)."""
    page = _open_demo(browser, server, lang=lang, width=1024, height=900)
    _drawn(page, "图例" if lang == "zh" else "Legend")
    assert _schools_open(page) == str(SCHOOLS)
    page.screenshot(path=ARTIFACTS / f"08_demo_{lang}_1024.png")
    layout = page.evaluate(  # what fits at 1024 px (it did not: 390-px map, views on two rows, labels cut)
        "() => { const box = e => e.getBoundingClientRect();"
        " return {views: [...document.querySelectorAll('[data-testid=stButtonGroup] button')].map(b => box(b).top),"
        " cut: [...document.querySelectorAll('[data-testid=stMetricLabel] [data-testid=stMarkdownContainer]')]"
        ".filter(e => e.scrollWidth > e.clientWidth).map(e => e.innerText),"
        " map: box(document.querySelector(\"iframe[title*='st_folium']\")),"
        " editor: box(document.querySelector('.st-key-editor_pane'))}; }")
    assert len(layout["views"]) == 8 and max(layout["views"]) - min(layout["views"]) < 2, layout["views"]  # one row
    assert not layout["cut"]  # no headline label ends in "…"
    assert layout["map"]["width"] >= 700, layout["map"]  # the map, most of the window's width
    assert layout["editor"]["top"] >= layout["map"]["bottom"]  # the editor under it
    _framed_well(_first_view(page))
    page.get_by_role("button", name="应用" if lang == "zh" else "Apply").click()
    _wait_closed_on_map(page, "S01")
    page.get_by_text("方案比较" if lang == "zh" else "Compare", exact=True).click()
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=60_000)
    _settled(page)
    page.screenshot(path=ARTIFACTS / f"09_compare_{lang}_1024.png", full_page=True)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label`` (typing narrows the list; the list
    is opened again when a late run closed it)."""
    def pick() -> None:
        box = page.get_by_role("combobox", name=label)
        box.click()
        box.fill(option)
        page.get_by_role("option").filter(has_text=option).first.click(timeout=15_000)

    _again(page, pick, undo=lambda: page.keyboard.press("Escape"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_figure_right_in_the_browser(server, browser, lang, demo):
    """Issue 10 in a real browser, in both languages: figures labelled with the level chosen;
    a closed teaching point's grades 1–3 in the affected list; a bus rider's trip as walk to
    the pick-up plus ride; Tianditu with no key keeps the map and says where the key goes;
    a refused merge, the solver report and too few schools for the least walking in the
    planner's language."""
    from planning.i18n import level_name, t
    from planning.optimise import plan

    def T(key: str, **values) -> str:  # noqa: N802 - as the app names it
        return t(key, lang, **values)

    page = _open_demo(browser, server, lang=lang)
    _drawn(page, T("map.legend"))
    level = level_name("primary", lang)
    page.get_by_text(T("app.headline_level", level=level)).wait_for(timeout=60_000)  # item 2: the level counted

    # item 1: close the teaching point 白岩教学点 (S11): grades 1–3 of 白岩村 lose it
    _choose(page, T("app.school_pick"), "S11")
    page.get_by_role("button", name=T("app.apply")).click()
    _wait_closed_on_map(page, "S11")
    page.get_by_text(T("app.view.compare"), exact=True).click()
    page.get_by_text(T("app.villages_affected").strip("*")).wait_for(timeout=60_000)
    _settled(page)
    affected = page.get_by_test_id("stDataFrame").last
    affected.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stDataFrame]')].length >= 2")
    page.screenshot(path=ARTIFACTS / f"10_affected_{lang}_1600.png", full_page=True)
    # the grid draws on a canvas; its accessible table carries the cells
    cells = page.get_by_test_id("stDataFrame").last.locator("table").inner_text()
    assert "1–3" in cells and T("outcome.loses its school") in cells, cells[:500]

    # item 3: a bus for 云盘村 (V11) to 茶园村完小 (S06)
    page.get_by_text(T("app.view.map"), exact=True).click()
    _drawn(page, T("map.legend"))
    _choose(page, T("app.action"), T("app.action.add_bus"))
    _choose(page, T("app.school_pick"), "S06")
    villages = page.get_by_role("combobox", name=T("app.bus_villages"))
    villages.click()
    villages.fill("V11")
    page.get_by_role("option").filter(has_text="V11").first.click()
    page.keyboard.press("Escape")
    _settled(page)
    page.get_by_role("button", name=T("app.apply")).click()
    _settled(page)
    page.get_by_text(T("app.village_table", level=level)).click()
    _settled(page)
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    cells = table.locator("table").inner_text()
    assert T("field.road_walk_minutes") in cells and T("mode.bus") in cells, cells[:500]
    page.screenshot(path=ARTIFACTS / f"11_bus_trip_{lang}_1600.png", full_page=True)

    # item 13: a refused merge, in the planner's language
    _choose(page, T("app.action"), T("app.action.merge"))
    _choose(page, T("app.school_pick"), "S05")
    _choose(page, T("app.into"), "S02")
    page.get_by_role("button", name=T("app.apply")).click()
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for(timeout=60_000)
    assert "S02" in error.inner_text() and ("1–6" in error.inner_text())
    assert ("不能并入" if lang == "zh" else "cannot merge there") in error.inner_text()
    error.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"12_merge_refused_{lang}_1600.png")

    # item 12: Tianditu chosen with no key: the map stays, a note says where the key goes
    _choose(page, T("app.basemap"), T("app.basemap.tianditu"))
    page.get_by_text(T("app.tianditu_needs_key", box=T("app.tianditu_key"))).wait_for(timeout=60_000)
    _drawn(page, T("map.legend"))
    assert not page.get_by_test_id("stException").count()
    page.screenshot(path=ARTIFACTS / f"13_tianditu_no_key_{lang}_1600.png")

    # item 13: the solver's report worded, its objective in whole pupil-minutes
    page.get_by_text(T("app.view.suggest"), exact=True).click()
    page.get_by_role("button", name=T("app.suggest")).click()
    report = page.get_by_test_id("stDataFrame").first
    report.wait_for(timeout=120_000)
    _settled(page)
    cells = report.locator("table").inner_text()
    assert T("solver.Optimal") in cells and "Optimal\t" not in cells, cells[:500]
    page.screenshot(path=ARTIFACTS / f"14_suggest_{lang}_1600.png", full_page=True)

    # the least walking at the panel's own p = 5: too few schools for the limit, and how many are needed
    _choose(page, T("app.goal"), T("app.goal.p_median"))
    page.get_by_role("button", name=T("app.suggest")).click()
    least = len(plan(demo, "fewest_schools", level="primary").solution.open)
    error = page.get_by_test_id("stAlertContentError").filter(has_text="p = 5").first
    error.wait_for(timeout=120_000)
    assert (f"至少需要 {least} 所学校" if lang == "zh" else f"needs at least {least} schools") in error.inner_text()
    error.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"15_suggest_too_few_{lang}_1600.png")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_plan_over_the_years_in_the_browser(server, browser, lang):
    """The over-the-years view (each school's pupils, the low–high band, the figures by year,
    the small-scale years, the assumptions), at 1600 and 1024 pixels (looked at by people)."""
    import planning
    from planning.i18n import t

    def T(key: str, **values: object) -> str:  # noqa: N802 - as in the app
        return t(key, lang, **values)

    page = _open_demo(browser, server, lang=lang)
    page.get_by_text(T("app.view.years"), exact=True).click()
    try:
        page.get_by_text(T("app.years.small_from", pupils="100").strip("*").split("**")[0]).first.wait_for(
            timeout=60_000)
    except PlaywrightTimeout:
        page.screenshot(path=ARTIFACTS / f"15_years_{lang}_failed.png", full_page=True)
        raise
    _settled(page)
    page.get_by_test_id("stVegaLiteChart").nth(1).wait_for(timeout=60_000)  # charts mount after the text (CI, loaded)
    assert page.get_by_test_id("stVegaLiteChart").count() == 2
    page.get_by_test_id("stVegaLiteChart").last.locator("canvas, svg").first.wait_for(timeout=60_000)
    assert not page.get_by_test_id("stException").count()
    cells = page.get_by_test_id("stDataFrame").first.locator("table").inner_text()
    last = planning.demo_history()["年份"].max() + 10  # the forecast's last year
    assert T("field.small_schools") in cells and str(last) in cells, cells[:500]
    cells = page.get_by_test_id("stDataFrame").nth(1).locator("table").inner_text()
    assert T("app.years.never") in cells, cells[:500]
    page.screenshot(path=ARTIFACTS / f"15_years_{lang}.png", full_page=True)
    page.set_viewport_size({"width": 1024, "height": 900})
    _settled(page)
    page.wait_for_timeout(1_000)  # charts redraw at the new width
    page.screenshot(path=ARTIFACTS / f"15_years_{lang}_1024.png", full_page=True)


@pytest.mark.parametrize("width", [1600, 1024])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_teachers_and_alliances_in_the_browser(server, browser, lang, width):
    """The view 教师与共同体 (issue 12) after a plan that merges 溪口村完小 (S08) into 石门村完小
    (S04): the county's staffing today → plan, the table per school, an exchange proposed
    under this year's rules (its moves in whole minutes, the CV before and after), alliances
    around the central school and the nine-year school on their map; in both languages at
    1600 and 1024 pixels (looked at by people: tests/artifacts/16_teachers_*)."""
    import planning
    from planning.i18n import field, t

    def T(key: str, **values: object) -> str:  # noqa: N802 - as in the app
        return t(key, lang, **values)

    page = _demo_with_s08_merged(browser, server, lang=lang, width=width)
    page.get_by_text(T("app.view.teachers"), exact=True).click()
    page.get_by_role("button", name=T("app.teachers.propose")).wait_for(timeout=60_000)
    _settled(page)
    demo = planning.demo()
    today, plan = (r.summary for r in (planning.baseline(demo), planning.Scenario(demo).merge("S08", into="S04").evaluate()))
    shown = dict(zip(page.get_by_test_id("stMetricLabel").all_inner_texts(),
                     page.get_by_test_id("stMetricValue").all_inner_texts(), strict=True))
    for key in ("teachers", "teachers_needed", "teachers_short", "teachers_spare"):
        assert shown[field(key, lang)].strip() == f"{today[key]:,.0f} → {plan[key]:,.0f}", shown

    page.get_by_role("button", name=T("app.teachers.propose")).click()
    last = T("app.teachers.col.moved_pe_arts_teachers")  # the moves' last column, under its short header
    moves = page.get_by_test_id("stDataFrame").filter(has_text=last)
    try:
        moves.wait_for(timeout=120_000)
    except PlaywrightTimeout:
        _whole_view(page, ARTIFACTS / f"16_teachers_{lang}_{width}_failed.png", width=width)
        raise
    _settled(page)
    page.get_by_test_id("stVegaLiteChart").first.locator("canvas, svg").first.wait_for(timeout=60_000)
    cells = moves.locator("table").inner_text()
    header, body = cells.split(last, 1)
    assert T("app.teachers.col.drive_minutes") in header and "." not in body, cells[:500]  # whole minutes

    page.get_by_role("button", name=T("app.teachers.form")).click()
    alliance_map = page.frame_locator("iframe[title*='st_folium']").first
    alliance_map.locator("#planning-alliance-legend").wait_for(timeout=120_000)
    for core in ("S01", "S03"):
        alliance_map.locator(f"[data-role='core'][data-school='{core}']").wait_for(timeout=60_000)
    _settled(page)
    page.wait_for_function("() => [...document.querySelectorAll('iframe')].every(f => f.contentDocument === null "
                           "|| f.contentDocument.readyState === 'complete')", timeout=60_000)
    assert not page.get_by_test_id("stException").count()
    _whole_view(page, ARTIFACTS / f"16_teachers_{lang}_{width}.png", width=width)


def _whole_view(page, path: Path, *, width: int) -> None:
    """A screenshot of everything the view shows, top to bottom, ``width`` pixels wide (the
    page's width): the app scrolls inside its main block (a full-page screenshot shows one
    screen), so the window is made as tall as that block first."""
    height = page.evaluate("() => Math.max(...['stMain', 'stAppViewContainer', 'stSidebarContent'].map("
                           "id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight || 0))")
    page.set_viewport_size({"width": width, "height": int(height) + 40})
    page.wait_for_timeout(1_000)
    page.screenshot(path=path)


def test_a_teacher_roster_for_an_opened_project(server, browser, tmp_path):
    """A project opened from its tables gets a teacher roster uploaded beside the enrolment
    history: a roster naming a school the project lacks is refused with its row (no
    traceback); the right one is used (how many teachers), and the staffing figures follow it."""
    import planning
    from planning.i18n import field, t

    demo = ROOT / "data" / "demo"
    page = _open_demo(browser, server, width=1500)
    page.get_by_text(t("app.open_project", "zh")).click()
    page.get_by_text(t("app.source.files", "zh")).click()
    _settled(page)
    _upload(page, "村庄表", demo / "villages.csv")
    _upload(page, "学校表", demo / "schools.csv")
    _upload(page, "道路图层", demo / "roads.gpkg")
    page.get_by_role("button", name="载入").click()
    _map(page).locator("[data-school='S05']").wait_for(timeout=60_000)
    _settled(page)

    rows = (demo / "teachers.csv").read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken" / "teachers.csv"
    broken.parent.mkdir()
    broken.write_text("\n".join([rows[0], rows[1].replace(",S01,", ",S99,", 1), *rows[2:]]) + "\n", encoding="utf-8")
    _upload(page, "教师名册", broken)
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for(timeout=60_000)
    assert error.inner_text().startswith("teachers.csv") and "S99" in error.inner_text(), error.inner_text()
    assert not page.get_by_test_id("stException").count()

    fewer = tmp_path / "fewer" / "teachers.csv"  # one teacher fewer at 杨家坳村完小 (S05)
    fewer.parent.mkdir()
    dropped = next(i for i, line in enumerate(rows) if line.split(",")[1] == "S05")
    fewer.write_text("\n".join(rows[:dropped] + rows[dropped + 1:]) + "\n", encoding="utf-8")
    _upload(page, "教师名册", fewer)
    page.get_by_text(t("app.roster_loaded", "zh", teachers=len(rows) - 2)).first.wait_for(timeout=60_000)
    assert not page.get_by_test_id("stAlertContentError").count()
    page.get_by_text(t("app.view.teachers", "zh"), exact=True).click()
    page.get_by_role("button", name=t("app.teachers.propose", "zh")).wait_for(timeout=60_000)
    _settled(page)
    shown = dict(zip(page.get_by_test_id("stMetricLabel").all_inner_texts(),
                     page.get_by_test_id("stMetricValue").all_inner_texts(), strict=True))
    today = planning.baseline(planning.demo()).summary
    assert shown[field("teachers", "zh")].strip() == f"{today['teachers'] - 1:,.0f}", shown
    _whole_view(page, ARTIFACTS / "17_roster_zh.png", width=1500)


@pytest.mark.parametrize(("lang", "width"), [("zh", 1600), ("en", 1600), ("zh", 1024)])
def test_costs_in_the_browser(server, browser, lang, width):
    """Issue 13's costs after merging 溪口村完小 (S08) into 石门村完小 (S04): the one-off, yearly
    and present-value figures under the headline (万元 in Chinese, yuan in English) as the
    results' summaries give them, with their change; the compare view's costs by item beside
    today's and the plan's cost sheet by school (looked at by people: tests/artifacts/18_costs_*)."""
    import planning
    from planning.i18n import t

    def logic_amount(value: float, lang: str) -> str:  # worked out here: 万元, or thousand yuan
        if lang == "en":
            return f"{round(value / 1e3):,d}"
        wan = value / 1e4
        return f"{round(wan):,d}" if abs(wan) >= 1000 or wan == 0 else f"{wan:,.1f}"

    def T(key: str, **values: object) -> str:  # noqa: N802 - as in the app
        return t(key, lang, **values)

    page = _demo_with_s08_merged(browser, server, lang=lang, width=width)
    _settled(page)
    demo = planning.demo()
    today, plan = (r.summary for r in (planning.baseline(demo), planning.Scenario(demo).merge("S08", into="S04").evaluate()))
    labels = page.get_by_test_id("stMetricLabel").all_inner_texts()
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    shown = {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}
    unit = T("app.cost.unit")
    for key, label in (("one_off_yuan", T("app.cost.one_off", unit=unit)), ("yearly_yuan", T("app.cost.yearly", unit=unit)),
                       ("cost_npv_yuan", T("app.cost.npv", years=10, unit=unit))):
        assert shown[label] == logic_amount(float(plan[key]), lang), shown
    assert float(plan["yearly_yuan"]) < float(today["yearly_yuan"])  # one school fewer to run
    page.get_by_text(T("app.view.compare"), exact=True).click()
    sheets = page.get_by_test_id("stExpander").filter(has_text=T("app.cost_sheet", plan="").strip())
    sheets.first.wait_for(timeout=60_000)
    _settled(page)
    sheets.first.locator("summary").click()  # the plan's sheet by school, opened
    page.get_by_test_id("stDataFrame").filter(has_text=T("cost_item.total")).first.wait_for(timeout=60_000)
    _settled(page)
    page.wait_for_timeout(1_000)
    assert not page.get_by_test_id("stException").count()
    _whole_view(page, ARTIFACTS / f"18_costs_{lang}_{width}.png", width=width)


@pytest.mark.parametrize(("lang", "width"), [("zh", 1600), ("en", 1024)])
def test_least_cost_with_buses_and_the_cost_tradeoff_in_the_browser(server, browser, lang, width):
    """The suggest view, least cost with "may buy buses and beds" ticked: the plan's
    decisions name the buses bought (as the library's plan), and the trade-off panel shows
    the least-cost plan at each walking limit as a table and a chart (looked at by people:
    tests/artifacts/19_cost_tradeoff_*)."""
    import planning
    from planning.i18n import field, t
    from planning.optimise import plan

    def T(key: str, **values: object) -> str:  # noqa: N802 - as in the app
        return t(key, lang, **values)

    page = _open_demo(browser, server, lang=lang, width=width, height=900)
    page.get_by_text(T("app.view.suggest"), exact=True).click()
    _settled(page)
    _choose(page, T("app.goal"), T("app.goal.least_cost"))
    page.get_by_text(T("app.transport"), exact=True).click()
    _settled(page)
    page.get_by_role("button", name=T("app.suggest")).click()
    decisions = page.get_by_test_id("stDataFrame").filter(has_text=field("buses", lang))
    decisions.first.wait_for(timeout=120_000)
    _settled(page)
    bought = plan(planning.demo(), "least_cost", transport=True).solution.purchases
    assert bought["buses"].sum() > 0
    page.get_by_role("button", name=T("app.cost_tradeoff_run")).click()
    page.get_by_test_id("stImage").first.wait_for(timeout=300_000)
    _settled(page)
    table = page.get_by_test_id("stDataFrame").filter(has_text=field("bus_riders", lang)).last
    assert table.count() and not page.get_by_test_id("stException").count()
    _whole_view(page, ARTIFACTS / f"19_cost_tradeoff_{lang}_{width}.png", width=width)


def test_two_sessions_never_see_each_other_s_projects_plans_or_uploads(server, browser, tmp_path):
    """Two planners on one server (two browser contexts: separate cookies and sessions): what
    one uploads, opens, edits and saves never shows in the other's page, and each one's
    uploads are kept in a folder of its own session."""
    import planning

    demo = ROOT / "data" / "demo"
    parent = Path(planning.settings.upload_folder)  # the server's: it reads the same environment
    contexts = [browser.new_context(viewport={"width": 1500, "height": 1200}) for _ in range(2)]
    try:
        pages = []
        for context in contexts:
            page = context.new_page()
            page.goto(server)
            _map(page).locator("[data-school='S01']").wait_for(timeout=90_000)
            pages.append(page)
        a, b = pages
        files = {}
        for who, page in (("a", a), ("b", b)):  # each opens the demo's tables under a name of its own
            villages = tmp_path / who / f"villages_{who}_{os.getpid()}.csv"
            villages.parent.mkdir()
            villages.write_bytes((demo / "villages.csv").read_bytes())
            files[who] = villages
            page.get_by_text("打开项目").click()
            page.get_by_text("上传表格与道路").click()
            _settled(page)
            _upload(page, "村庄表", villages)
            _upload(page, "学校表", demo / "schools.csv")
            _upload(page, "道路图层", demo / "roads.gpkg")
            page.get_by_role("button", name="载入").click()
            _settled(page)
            _map(page).locator("[data-school='S05']").wait_for(timeout=60_000)
            if who == "a":  # A closes S01 and saves the plan under a name B must never see
                a.get_by_role("button", name="应用").click()
                a.wait_for_function("() => document.querySelector('[data-testid=stMetricValue]').innerText.trim()"
                                    f" === '{SCHOOLS - 1}'", timeout=60_000)
                a.get_by_label("方案名称").fill("会话甲的方案")
                a.get_by_label("方案名称").press("Enter")
                _settled(a)
                a.get_by_role("button", name="保存方案").click()
                _settled(a)
                a.get_by_label("打开已保存方案").wait_for(timeout=60_000)
        histories = {}  # an enrolment history each, kept in the session's folder while its project is open
        for who, page in (("a", a), ("b", b)):
            histories[who] = tmp_path / who / f"history_{who}_{os.getpid()}.csv"
            histories[who].write_bytes((demo / "enrolment_history.csv").read_bytes())
            _upload(page, "入学历史", histories[who])
        for page, own, other in ((a, "a", "b"), (b, "b", "a")):
            html = page.content()
            assert files[own].name in html and files[other].name not in html  # its own upload shown, not the other's
            assert files[other].stem not in html  # nor the other's project (named after its villages table)
        assert "会话甲的方案" not in b.content() and _schools_open(b) == str(SCHOOLS)
        assert not b.get_by_label("打开已保存方案").count()  # B has no saved plan
        # A's plan not downloaded: A's browser asks before a reload or a close would lose it; B's need not
        a.wait_for_function("() => window.__planningUnsaved === true", timeout=30_000)
        b.wait_for_function("() => window.__planningUnsaved === false", timeout=30_000)
        a.get_by_text("方案比较", exact=True).click()  # A's session still has its project and plan
        _settled(a)
        a.get_by_text("会话甲的方案").first.wait_for(timeout=60_000)
        assert _schools_open(a) == str(SCHOOLS - 1)
        # each session's uploads in a folder of its own (the server's upload folder, s<pid>-<random>)
        found = {who: {p.relative_to(parent).parts[0] for p in parent.rglob(f.name)} for who, f in histories.items()}
        assert len(found["a"]) == len(found["b"]) == 1 and found["a"] != found["b"], found
        assert all(name.startswith("s") for name in found["a"] | found["b"])
        a.screenshot(path=ARTIFACTS / "07_two_sessions_a.png")
        b.screenshot(path=ARTIFACTS / "07_two_sessions_b.png")
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize(("lang", "width"), [("zh", 1024), ("en", 1024), ("zh", 1600), ("en", 1600)])
def test_the_map_reads_at_a_glance(server, browser, lang, width):
    """Issue 17, item 1, in the app: the scale in metres; the legend folded on a narrow map,
    and on a wide one where, open, it would shrink the villages (the demo is wider than tall:
    folded at first at 1024 and 1600), never over a village; every village in the first
    view, filling the map; schools' names once zoomed in; screenshots (tests/artifacts/10_map_*)
    looked at by people."""
    import re

    from planning.i18n import shown_names, t
    from planning.load import shared_demo
    from planning.maps import NARROW_MAP

    page = _open_demo(browser, server, lang=lang, width=width, height=900)
    _drawn(page, t("map.legend", lang))
    fmap = _map(page)
    scale = fmap.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and re.fullmatch(r"\d+ k?m", scale.inner_text().strip()), scale.all_inner_texts()
    legend = fmap.locator("#planning-legend")
    assert legend.count() == 1
    toggles = fmap.locator(".leaflet-control-layers-toggle")  # the app's layer control (streamlit-folium's)
    assert toggles.count() >= 1
    assert set(toggles.evaluate_all("bs => bs.map(b => b.title)")) == {t("map.layers", lang)}  # 图层, not "Layers"
    view = _first_view(page)
    assert view["open"] is False or view["width"] >= NARROW_MAP, view["width"]  # folded on a narrow map
    _framed_well(view)  # open only where it costs the villages little room (the demo is wider than tall)
    frame = page.locator("iframe[title*='st_folium']").first
    frame.scroll_into_view_if_needed()
    frame.screenshot(path=ARTIFACTS / f"10_map_{lang}_{width}.png")
    box = legend.evaluate(  # in the map's frame, as the villages' places
        "d => { const r = d.getBoundingClientRect(); return {x: r.left, y: r.top, width: r.width, height: r.height}; }")
    villages = fmap.locator(".leaflet-container").evaluate(  # each village's circle (on a canvas): where it is
        "c => { const m = window.map, r = c.getBoundingClientRect(), out = [];"
        " m.eachLayer(l => { if (l instanceof L.CircleMarker && l.feature) {"
        " const p = m.latLngToContainerPoint(l.getLatLng()); out.push([r.left + p.x, r.top + p.y]); } });"
        " return out; }")
    assert len(villages) == 17
    hidden = [(x, y) for x, y in villages
              if box["x"] - 12 <= x <= box["x"] + box["width"] + 12 and box["y"] - 12 <= y <= box["y"] + box["height"] + 12]
    assert not hidden, (hidden, box)
    if not legend.evaluate("d => d.open"):
        legend.locator("summary").click()  # a planner opens it: the keys show
        fmap.get_by_text(t("map.key_types", lang)).wait_for(timeout=10_000)
        assert fmap.get_by_text(t("map.key_status", lang)).is_visible()
        frame.screenshot(path=ARTIFACTS / f"10_map_{lang}_{width}_legend.png")
        legend.locator("summary").click()
    name = fmap.locator("[data-school='S01'] .planning-school-name")
    assert name.count() == 1
    shown = fmap.locator(".leaflet-container").evaluate("m => m.classList.contains('planning-school-names')")
    assert name.is_visible() == shown  # names from the zoom where schools are far enough apart
    for _ in range(8):  # half a zoom level a click
        fmap.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(400)
        if name.is_visible():
            break
    demo = shared_demo()
    school, tongmu = (shown_names(table, lang) for table in (demo.schools, demo.villages))  # pinyin in English
    assert name.is_visible() and name.inner_text() == school["S01"]  # 青山镇中心小学 / Qingshan Central Primary
    village = fmap.locator(".planning-village-name", has_text=tongmu["V06"])  # 桐木村 / Tongmu
    for _ in range(8):  # the villages' names come with the schools' or later (never before)
        if village.count() and village.is_visible():
            break
        fmap.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(400)
    assert village.is_visible()
    page.wait_for_timeout(300)
    frame.screenshot(path=ARTIFACTS / f"10_map_{lang}_{width}_zoomed.png")
    if width == 1600:  # an edit fills a teaching point beyond its seats: the map rings it
        _choose(page, t("app.school_pick", lang), "S05")
        page.get_by_role("button", name=t("app.apply", lang)).click()
        _wait_closed_on_map(page, "S05")
        fmap.locator("[data-school='S11'][data-over='1'] .planning-over").wait_for(state="visible", timeout=60_000)
        assert fmap.locator(".planning-over").count() == 1
        frame.screenshot(path=ARTIFACTS / f"10_map_{lang}_{width}_over_capacity.png")


def test_an_edit_in_a_county_of_3000_villages_and_300_schools(browser, tmp_path):
    """Issue 17: a county of 3,000 villages × 300 schools (generated on a road grid, saved as
    a project file, the app started on it through ``PLANNING_APP_PROJECT``): its first view at
    1600 and 1024 px shows every village, none under the legend, filling the map; at 1600 px the
    time from the click closing a school to the headline figure changed, the school struck
    through on the redrawn map and the app's run finished is printed (the goal is 1 s; the
    bound asserted is generous for a shared machine)."""
    import planning
    from planning.i18n import t

    from .test_maps_interactive import _county

    path = planning.save_project(tmp_path / "county.gpkg", _county(3000, 300))
    with _app_server(PLANNING_APP_PROJECT=str(path)) as url:
        page = browser.new_page(viewport={"width": 1600, "height": 1500})
        start = time.perf_counter()
        page.goto(url)
        try:
            _map(page).locator("[data-school='S299']").wait_for(state="attached", timeout=90_000)
        finally:
            page.screenshot(path=ARTIFACTS / "20_county_3000_opened.png")
        _drawn(page)
        opened = time.perf_counter() - start
        _framed_well(_first_view(page))  # the county whole, not under the legend, filling the map
        before = int(_schools_open(page))
        assert _map(page).locator("[data-school]").count() == 300
        assert page.get_by_role("combobox", name=t("app.school_pick", "zh")).input_value().startswith("S000 ")
        times = []
        for school in ("S000", "S001"):  # the first edit, then a second on the edited plan
            _choose(page, t("app.school_pick", "zh"), school)
            start = time.perf_counter()
            page.get_by_role("button", name="应用").click()
            page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                                   f".some((e, i) => i === 0 && e.innerText.trim() === '{before - len(times) - 1}')",
                                   timeout=60_000)
            figure = time.perf_counter() - start  # the headline figures come before the map in the run
            _wait_closed_on_map(page, school)
            drawn = time.perf_counter() - start
            # the run had started (the figure changed in it): wait for its end only (not _settled,
            # which gives a run 1 s to start)
            page.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                                   ".getAttribute('data-test-script-state') !== 'running'", timeout=60_000)
            times.append((figure, drawn, time.perf_counter() - start))
        page.screenshot(path=ARTIFACTS / "20_county_3000_edit.png")
        page.close()
        page = browser.new_page(viewport={"width": 1024, "height": 900})  # a laptop's first view
        page.goto(url)
        _map(page).locator("[data-school='S299']").wait_for(state="attached", timeout=90_000)
        _drawn(page)
        _framed_well(_first_view(page))
        frame = page.locator("iframe[title*='st_folium']").first
        frame.scroll_into_view_if_needed()
        frame.screenshot(path=ARTIFACTS / "20_county_3000_map_1024.png")
        page.close()
    print(f"\n3,000 villages × 300 schools in the browser: opened in {opened:.1f} s; from the click, "
          "the headline figure / the school struck through on the redrawn map / the run finished: "
          + "; ".join(" / ".join(f"{x:.2f} s" for x in edit) for edit in times))
    assert max(max(edit) for edit in times) < 5.0
