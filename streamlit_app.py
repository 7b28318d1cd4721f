"""The planner's browser app: `make run` (or `streamlit run streamlit_app.py`).

Thin by design: every analysis is in `planning/` (the edit actions and headline figures in
`planning.app`, maps in `planning.maps`, exports in `planning.report`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import altair as alt
import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import planning
from planning import app as logic
from planning.changes import affected
from planning.i18n import Listing, field, level_name, localise, plan_name, t
from planning.load import county_name
from planning.maps import (
    LEAFLET_FOLDER,
    base_map,
    difference_map,
    result_layers,
    result_map,
    standalone_html,
    use_local_leaflet,
)
from planning.report import excel_report, plan_report, print_map, results_gpkg

st.set_page_config(page_title=f"{t('app.page_title', 'zh')} · {t('app.page_title', 'en')}", page_icon="🏫",
                   layout="wide")


#: The page at the widths of a county office's laptop (1024–1279 px): a narrower sidebar,
#: less padding around the main block, a smaller title, headline labels that wrap instead of
#: ending in "…", the view buttons tighter (one row); below 1200 px the editor goes under the
#: map, which gets the main block's whole width. Wider screens keep Streamlit's layout.
NARROW_CSS = """
@media (max-width: 1279.98px) {
  section[data-testid="stSidebar"] { width: 240px !important; min-width: 240px !important; }
  [data-testid="stSidebarContent"] { padding-left: 0; padding-right: 0; scrollbar-gutter: stable; }
  [data-testid="stSidebarUserContent"] { padding-left: 1rem; padding-right: 1rem; }
  [data-testid="stMainBlockContainer"] { padding: 3rem 1.25rem 4rem 1.25rem; }
  [data-testid="stMainBlockContainer"] h1 { font-size: 1.9rem; padding-top: 0.25rem; }
  [data-testid="stMetricLabel"] { min-height: 2.6em; align-items: flex-end; }
  [data-testid="stMetricLabel"] .stMarkdownEllipsis,
  [data-testid="stMetricLabel"] .stMarkdownEllipsis p { white-space: normal; overflow: visible; text-overflow: clip;
    font-size: 0.8125rem; }
  [data-testid="stButtonGroup"] button[data-variant="segmented_control"] { padding-left: 10px; padding-right: 10px; }
}
@media (max-width: 1199.98px) {
  .st-key-map_and_editor [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-editor_pane) {
    flex-direction: column; }
  .st-key-map_and_editor [data-testid="stColumn"]:has(.st-key-map_pane, .st-key-editor_pane) {
    width: 100% !important; flex: 1 1 auto !important; }
  .st-key-editor_pane { max-width: 40rem; }
}
"""


def narrow_screen_css() -> None:
    """The page's own styles (:data:`NARROW_CSS`), on every run (no new element on an edit)."""
    st.html(f"<style>{NARROW_CSS}</style>")


def demo_project() -> planning.Project:
    """One demo per server process, shared by sessions (warmed by `planning app`); the project
    file named by the environment variable ``PLANNING_APP_PROJECT`` instead when it is set (a
    test or a demonstration starting the app on a given county)."""
    from planning.load import shared_demo

    if path := os.environ.get("PLANNING_APP_PROJECT"):
        return _project_file(path)
    return shared_demo()


@st.cache_resource(show_spinner=False)
def _project_file(path: str) -> planning.Project:
    """The project of a saved project file, read once per server process (a project never changes)."""
    return planning.open_project(Path(path)).project


def T(key: str, **values: object) -> str:  # noqa: N802 - short on purpose: the UI is full of these
    """Text of the catalogue in the chosen language (planning/text.yaml)."""
    return t(key, st.session_state.get("lang", "zh"), **values)


def _local(fmap):
    """Leaflet from this server (static/leaflet, made by `make`): maps work without internet."""
    return use_local_leaflet(fmap) if (LEAFLET_FOLDER / "leaflet.js").exists() else fmap


def init_state() -> None:
    ss = st.session_state
    ss.setdefault("lang", "zh")
    # a slot on every run, used for progress on the first: an element shown only on the first
    # run would shift everything below it on the next run, and the browser would redraw the map
    slot = st.empty()
    if "project" not in ss:
        both = lambda key: f"{t(key, 'zh')} / {t(key, 'en')}"  # noqa: E731 - the language is not chosen yet
        bar = slot.progress(0, text=both("app.progress.demo"))
        project = demo_project()
        bar.progress(50, text=both("app.progress.travel_times"))
        project.travel_times()
        bar.progress(100, text=both("app.progress.ready"))
        bar.empty()
        set_project(project)


def set_project(project: planning.Project, saved: dict[str, planning.Scenario] | None = None) -> None:
    ss = st.session_state
    ss.project = project
    ss.project_version = ss.get("project_version", 0) + 1  # a new base map for a new project
    ss.scenario = planning.Scenario(project, T("plan_default_name"))
    ss.saved = dict(saved or {})
    ss.message = None
    ss.history_path = ss.births_path = None  # an upload panel drawn after this sets them again


def rebind(project: planning.Project, *, then=None) -> None:
    """Move the current plan and the saved plans onto a new project (new policy, new site)."""
    ss = st.session_state
    current, saved = ss.scenario, ss.saved
    set_project(project, {k: v.on(project) for k, v in saved.items()})
    ss.scenario = current.on(project)
    if then is not None:
        ss.scenario = then(ss.scenario)


def worded_choice(label: str, words: dict[str, str], *, key: str, current: str | None = None) -> str:
    """A select box offering ``words`` (option → its words in the app's language), ``current``
    chosen (the first when None). Keyed by language: a box kept across a language switch
    would keep showing, and return, the other language's words; the caller keeps the choice."""
    options = list(words)
    return st.selectbox(label, options, format_func=words.__getitem__,
                        index=options.index(current) if current in options else 0,
                        key=f"{key}_{st.session_state.lang}")


def sidebar() -> None:
    ss = st.session_state
    with st.sidebar:
        names = {lang: t(f"app.language.{lang}", lang) for lang in ("zh", "en")}  # each by its own name
        lang = st.radio(f"{t('app.language', 'zh')} / {t('app.language', 'en')}", list(names.values()),
                        horizontal=True, key="lang_choice", index=0 if ss.lang == "zh" else 1)
        ss.lang = "zh" if lang == names["zh"] else "en"
        if (name := logic.plan_name_in(ss.scenario, ss.saved, ss.lang)) != ss.scenario.name:
            ss.scenario = ss.scenario.renamed(name)  # the first plan's default name, in the language chosen
        st.header(t("app.title", ss.lang))
        levels = {v: t(f"level.{v}", ss.lang) for v in ("primary", "junior")}
        ss.level = worded_choice(T("app.level"), levels, key="level_choice", current=ss.get("level"))
        methods = {key: T(f"app.assignment.{key}") for key in ("nearest", "zoned", "split")}
        ss.assignment = worded_choice(T("app.assignment"), methods, key="assignment", current=ss.get("assignment"))
        basemaps = {key: T(f"app.basemap.{key}") for key in ("none", "osm", "tianditu")}
        ss.basemap = worded_choice(T("app.basemap"), basemaps, key="basemap_choice", current=ss.get("basemap"))
        ss.tianditu_key = (st.text_input(T("app.tianditu_key"), type="password", key="tianditu_key_input").strip()
                           or None) if ss.basemap == "tianditu" else None
        ss.basemap_drawn = logic.drawable_basemap(ss.basemap, ss.tianditu_key)
        years = st.container()  # above the project panel, drawn after it (a project opened there counts)
        with st.expander(T("app.open_project")):
            load_panel()
        with years:
            year_controls()
        leaving_guard()


def leaving_guard() -> None:
    """While the session has plans not downloaded since their last change, the browser asks
    before the page is reloaded or closed (its own "leave site?" question: a reload starts a
    new session, and the plans would be lost). Always drawn, as an invisible frame, so that an
    edit brings no new element; its script sets the flag on the app's page."""
    ss = st.session_state
    unsaved = bool(logic.unsaved_plans(ss.scenario, ss.saved, ss.get("kept_plans", [])))
    st.iframe(
        "<script>const w = window.parent;"
        f"w.__planningUnsaved = {'true' if unsaved else 'false'};"
        "if (!w.__planningGuard) { w.__planningGuard = true; w.addEventListener('beforeunload', e => {"
        " if (w.__planningUnsaved) { e.preventDefault(); e.returnValue = ''; } }); }</script>", height=1)


def forecast_of(variant: str):
    """The project's forecast in ``variant`` (None without one), made once per project,
    variant, uploaded history and language (well under a second on the demo); a history
    that does not fit the project is said in the sidebar."""
    ss = st.session_state
    key = (ss.project_version, variant, ss.get("history_path"), ss.get("births_path"), ss.lang)
    cache = ss.setdefault("forecasts", {})
    if key not in cache:
        try:
            cache[key] = (logic.app_forecast(ss.project, variant=variant, history=ss.get("history_path"),
                                             births=ss.get("births_path")), None)
        except planning.PlanningError as exc:
            cache[key] = (None, T("app.forecast_failed", reason=upload_text(exc)))
    return cache[key]


def year_controls() -> None:
    """The forecast variant and the year the map and figures show (when there is a forecast).
    Keyed by language, as the assignment box: a kept key would keep the other language's words;
    the choices themselves are kept in ``variant`` and ``year``."""
    ss = st.session_state
    variants = {v: T(f"forecast.variant.{v}") for v in logic.VARIANTS}
    ss.setdefault("variant", "medium")
    ss.forecast, error = forecast_of(ss.variant)
    if error:
        st.error(error)
    if ss.forecast is None:
        ss.year = None
        return
    ss.variant = worded_choice(T("app.variant"), variants, key="variant", current=ss.variant)
    ss.forecast, _ = forecast_of(ss.variant)
    years, base = ss.forecast.years, ss.forecast.base_year
    kept = ss.get("year") if ss.get("year") in years else base
    ss.year = st.select_slider(T("app.year"), years, value=kept, key=f"year_{ss.lang}", help=T("app.year_help"),
                               format_func=lambda y: T("app.year_today", year=y) if y == base else str(y))


def upload_text(exc: planning.PlanningError) -> str:
    """A validation message in the planner's language, naming uploaded files by their names."""
    return uploads().hide(exc.text(st.session_state.lang))


@st.cache_resource
def remove_stale_uploads() -> int:
    """Once per server process: remove the upload folders of sessions gone before it started."""
    return len(logic.remove_stale_uploads())


def uploads() -> logic.SessionUploads:
    """This session's upload folder (removed with the session, emptied when its project is
    replaced); marked in use on every run."""
    ss = st.session_state
    if "uploads" not in ss:
        ss.uploads = logic.session_uploads()
    ss.uploads.touch()
    return ss.uploads


def keep(upload, kind: str) -> Path | None:
    """An upload as a file (readers need a path and its suffix), stored by the app under a
    name it makes (:func:`planning.app.store_upload`)."""
    if upload is None:
        return None
    return logic.store_upload(upload.name, upload.getvalue(), session=uploads(), kind=kind)


def replace_project(project: planning.Project, saved: dict[str, planning.Scenario] | None = None) -> None:
    """Open another project: the uploads that made the last one (and this one, read now) go.
    The plans of a project file are as the file holds them: kept until they change."""
    uploads().clear()
    st.session_state.load_notes = None  # the warnings of the files read last (set again when files were read)
    set_project(project, saved)
    st.session_state.kept_plans = [logic.plan_key(plan) for plan in (saved or {}).values()]


def may_discard(clicked: bool, key: str) -> bool:
    """Whether to open another project now: at once when ``clicked`` and no plan of the
    session would be lost (:func:`planning.app.unsaved_plans`); otherwise, from the click
    on, a warning naming the plans not downloaded since their last change, with a button
    that opens the project anyway (True on its click) and one that keeps the plans."""
    ss = st.session_state
    unsaved = logic.unsaved_plans(ss.scenario, ss.saved, ss.get("kept_plans", []))
    if clicked and not unsaved:
        ss.discard_pending = None
        return True
    if clicked:
        ss.discard_pending = key
    if ss.get("discard_pending") != key or not unsaved:
        return False
    box = st.empty()  # emptied on the confirming click: the question goes in the run that answers it
    with box.container():
        st.warning(T("app.unsaved_plans", plans=Listing(unsaved)))
        cols = st.columns(2)
        discard = cols[0].button(T("app.discard_and_open"), key=f"discard_{key}", type="primary")
    if discard:
        ss.discard_pending = None
        box.empty()
        return True
    if cols[1].button(T("app.keep_plans"), key=f"keep_{key}"):
        ss.discard_pending = None
        st.rerun()
    return False


def load_panel() -> None:
    sources = {key: T(f"app.source.{key}") for key in ("demo", "gpkg", "files")}
    source = st.radio(T("app.source"), list(sources), key="source", format_func=sources.__getitem__)
    if st.session_state.get("discard_pending") not in (None, source):  # another way of opening chosen
        st.session_state.discard_pending = None
    if source == "demo":
        if may_discard(st.button(T("app.open_demo")), "demo"):
            replace_project(demo_project())
        return
    try:
        if source == "gpkg":
            upload = st.file_uploader(T("app.project_file"), type=logic.upload_types("project"))
            if upload is not None and may_discard(st.button(T("app.open")), "gpkg"):
                opened = planning.open_project(keep(upload, "project"))
                replace_project(opened.project, dict(opened.scenarios))
        else:
            kinds = logic.upload_types("table")
            lang = st.session_state.get("lang", "zh")
            coords, words = {}, logic.coords_words(lang)
            tables = {}
            for kind in ("villages", "schools", "sites"):  # each table with the system its coordinates are in
                tables[kind] = st.file_uploader(T(f"app.upload.{kind}"), type=kinds)
                coords[kind] = st.selectbox(T("app.upload.coords", table=T(f"table.{kind}")), list(words),
                                            format_func=words.__getitem__, key=f"coords_{kind}_{lang}",
                                            help=T("app.upload.coords_help"))
            roads = st.file_uploader(T("app.upload.roads"), type=logic.upload_types("roads"))
            dem = st.file_uploader(T("app.upload.dem"), type=logic.upload_types("dem"), help=T("app.upload.dem_help"))
            county = st.text_input(T("app.upload.county"), key="upload_county", help=T("app.upload.county_help"))
            villages, schools, sites = tables["villages"], tables["schools"], tables["sites"]
            if villages and schools and roads and may_discard(st.button(T("app.load")), "files"):
                bar = st.progress(10, text=T("app.progress.reading"))
                try:
                    project, notes = logic.uploaded_project(
                        villages=keep(villages, "table"), schools=keep(schools, "table"), sites=keep(sites, "table"),
                        roads=keep(roads, "roads"), coords=coords, dem=keep(dem, "dem"), name=county, lang=lang)
                    bar.progress(60, text=T("app.progress.travel_times"))
                    project.travel_times()
                finally:
                    bar.empty()
                replace_project(project)
                st.session_state.load_notes = notes
            for note in st.session_state.get("load_notes") or []:
                st.warning(note.text(lang))
    except planning.PlanningError as exc:  # the validation message (naming the uploaded file), never a traceback
        st.error(upload_text(exc))
    history_uploads()


def history_uploads() -> None:
    """The enrolment history (and births) the forecast of an opened project reads; checked
    against the project's villages when the forecast is made (errors in the sidebar). Each
    upload is stored once per session and project (the same path on every run), so that the
    forecast made from it is kept across runs."""
    ss = st.session_state
    kinds = logic.upload_types("rows")
    history = st.file_uploader(T("app.upload.history"), type=kinds, key="history_upload")
    births = st.file_uploader(T("app.upload.births"), type=kinds, key="births_upload")
    roster = st.file_uploader(T("app.upload.roster"), type=kinds, key="roster_upload")
    try:
        use_roster(keep(roster, "rows"))  # first: a project given the roster is set anew, with no history yet
        ss.history_path = keep(history, "rows")
        ss.births_path = keep(births, "rows") if history is not None else None
    except planning.PlanningError as exc:  # a file refused before it is stored (type, size, archive)
        ss.history_path = ss.births_path = None
        st.error(upload_text(exc))


def use_roster(path: Path | None) -> None:
    """Give the opened project the uploaded teacher roster: once per file, and again for a
    project opened later without a roster of its own. A roster that does not fit the project
    is said (its file, rows and columns), as are its figures that differ from the schools table."""
    ss = st.session_state
    done = ss.get("roster_done")  # (file, the project it was last tried on, error, notes)
    if path is not None and (done is None or done[0] != path or (
            done[1] is not ss.project and ss.project.roster is None)):
        try:
            project, notes = logic.with_uploaded_roster(ss.project, path)
        except planning.PlanningError as exc:
            done = (path, ss.project, exc, [])
        else:
            rebind(project)
            done = (path, ss.project, None, notes)
        ss.roster_done = done
    if path is None or done is None:
        return
    if done[2] is not None:
        st.error(upload_text(done[2]))
    for note in done[3]:
        st.warning(note.text(ss.lang))
    if ss.project.roster is not None:
        st.caption(T("app.roster_loaded", teachers=len(ss.project.roster)))


def headline_row(result, baseline, year: int | None = None) -> None:
    ss = st.session_state
    if year is not None:  # a later year: whose pupils the figures count
        st.caption(T("app.year_caption", year=year, variant=T(f"forecast.variant.{ss.variant}")))
    st.caption(logic.headline_caption(ss.level, ss.lang))
    for col, h in zip(st.columns(len(logic.HEADLINES)), logic.headlines(result, baseline, st.session_state.lang,
                                                                    level=st.session_state.level),
                      strict=True):
        value = f"{h.value:.1f}" if h.key == "mean_walk" else f"{h.value:.0f}"
        delta = None if not h.delta else (f"{h.delta:+.1f}" if h.key == "mean_walk" else f"{h.delta:+.0f}")
        col.metric(h.label, value, delta, delta_color="inverse" if h.lower_is_better else "normal")
    cost_row(result, baseline)


def cost_row(result, baseline) -> None:
    """The layout's costs (all levels) under the headline figures, with their change against today."""
    lang = st.session_state.lang
    caption = logic.cost_caption(result, lang)
    for col, h in zip(st.columns(len(logic.COST_HEADLINES)), logic.cost_headlines(result, baseline, lang),
                      strict=True):
        value, delta = logic.cost_words(h, lang)
        col.metric(h.label, value, delta, delta_color="inverse", help=caption)


def map_tab(project, scenario, result) -> None:
    ss = st.session_state
    if ss.basemap_drawn != ss.basemap:  # Tianditu chosen, its key not typed yet: the map without tiles
        st.info(T("app.tianditu_needs_key", box=T("app.tianditu_key")))
    left, right = st.container(key="map_and_editor").columns([3, 1.25])
    with left.container(key="map_pane"):
        # Rebuilt each run with the same element names, so an edit only swaps the result layers
        # in the browser (feature_group_to_add). The browser keeps a drawn base map, so a new
        # base (project, level, language, basemap, rings) gets a new key: a fresh map.
        iso = ss.get("isochrone_school")
        base = (ss.project_version, ss.level, ss.lang, ss.basemap_drawn, ss.tianditu_key, iso)
        fmap = _local(base_map(project, level=ss.level, lang=ss.lang, basemap=ss.basemap_drawn,
                               tianditu_key=ss.tianditu_key, isochrone_school=iso))
        layers = result_layers(project, result, level=ss.level, lang=ss.lang)
        clicked = st_folium(fmap, height=620, use_container_width=True, feature_group_to_add=layers,
                            layer_control=folium.LayerControl(collapsed=True),
                            returned_objects=["last_object_clicked", "last_clicked"], key=f"map-{hash(base)}")
        pick = (clicked or {}).get("last_object_clicked")
        if pick and pick != ss.get("last_pick"):  # a new click on a marker (the value persists across runs)
            ss.last_pick = pick
            ss.picked = logic.nearest_school(result, project, pick["lat"], pick["lng"])
            note_village_click(project, pick)
        if clicked and clicked.get("last_clicked"):
            ss.clicked_point = clicked["last_clicked"]
        with st.expander(T("app.village_table", level=level_name(ss.level, ss.lang))):
            rows = logic.named(logic.village_rows(result, ss.level), project, ss.lang)
            st.dataframe(logic.shown_table(rows, ss.lang), width="stretch", key="village_rows")
    with right.container(key="editor_pane"):
        editor(project, scenario, result)


def editor(project, scenario, result) -> None:
    """Pick a school and an edit. The buttons act in callbacks, which run before the next
    script run: an edit costs one run of the app, not two (a button followed by st.rerun)."""
    ss = st.session_state
    st.subheader(T("app.edit_plan"))
    actions = {logic.action_label(a, ss.lang): a for a in logic.ACTIONS}  # label → action (labels as options)
    action = actions[st.selectbox(T("app.action"), list(actions), key="action")]
    choices = (logic.site_choices(scenario) if action == "open_site"
               else logic.school_choices(result, ss.lang))
    if not choices:
        st.info(T("app.nothing_to_choose"))
        return
    by_label = {label: key for key, label in choices.items()}
    if (picked := ss.pop("picked", None)) in choices:  # picked on the map
        ss.school_id = picked
    ss.setdefault("school_id", next(iter(choices)))  # the first school, until one is picked
    # The picked school (by id) stays picked across edits (the edited school, or the merge
    # target), languages and actions; one that is no longer a choice (just closed) leaves the
    # box empty: Apply must not act on another school. Set before the box is drawn.
    ss.school = choices.get(ss.school_id)
    st.selectbox(T("app.school_pick"), list(by_label), key="school", index=None if ss.school is None else 0,
                 placeholder=T("app.school_placeholder"), on_change=pick_school, args=(by_label,))
    school = by_label.get(ss.school) if ss.school is not None else None
    readers = edit_params(project, result, action, school)
    nothing = action == "expand" and not any(read() for read in readers.values())  # no seats, rooms or beds
    if ss.get("forecast") is not None:  # an edit from a later school year (None: from the start)
        later = ss.forecast.years[1:]
        key = f"edit_year_{ss.lang}"  # keyed by language: its first option's words change with it
        st.selectbox(T("app.from_year"), [None, *later], key=key,
                     format_func=lambda y: T("app.from_start") if y is None else str(y))
        readers["year"] = lambda: ss[key]
    st.button(T("app.apply"), type="primary", key="apply", on_click=apply_edit, args=(action, by_label, readers),
              disabled=school is None or nothing, help=T("app.expand_nothing") if nothing else None)
    # a slot on every run for the edit's error: drawn on one run only, it moved the elements
    # below it, and the browser drew the expanders there anew, folded (as saved_plans' slot)
    said = st.empty()
    if ss.get("edit_error"):
        said.error(ss.edit_error)
    cols = st.columns(2)
    cols[0].button(T("app.undo"), disabled=not scenario.edits, key="undo", on_click=undo_edit)
    cols[1].button(T("app.rings"), key="rings", on_click=show_rings, disabled=school is None,
                   args=(by_label if action != "open_site" else None,))
    # always shown (Markdown), so an edit brings no new kind of element: a first-time element
    # makes the browser fetch its code and redraw the map frame, which doubled the first edit
    st.markdown(T("app.plan_edits") + "\n\n" + logic.plan_log(scenario, ss.lang))
    saved_plans(scenario)
    new_site(project, scenario)
    for note in result.explain(ss.lang)[:8]:
        st.caption("⚠ " + note)


def pick_school(by_label: dict) -> None:
    ss = st.session_state
    ss.school_id = by_label.get(ss.school)


def apply_edit(action: str, by_label: dict, readers: dict) -> None:
    """Apply the edit to the school picked and with the inputs' current values (a callback
    sees values just typed or picked)."""
    ss = st.session_state
    school = by_label.get(ss.school)
    if school is None:  # no school picked (Apply is disabled then)
        return
    params = {name: read() for name, read in readers.items()}
    try:
        ss.scenario = logic.apply_action(ss.scenario, action, school, **params)
        ss.edit_error = None
    except planning.PlanningError as exc:
        ss.edit_error = exc.text(ss.lang)
    else:
        ss.school_id = logic.school_after(action, school, **params)
        if action == "add_bus":  # the bus is in the plan: its villages leave the box
            ss[f"bus_villages_{school}"] = []


def undo_edit() -> None:
    ss = st.session_state
    ss.scenario = ss.scenario.undo()
    ss.edit_error = None


def show_rings(by_label: dict | None) -> None:
    ss = st.session_state
    ss.isochrone_school = by_label[ss.school] if by_label else None


def new_site(project, scenario) -> None:
    """A new candidate site where the map was last clicked, opened in the plan."""
    ss = st.session_state
    point = ss.get("clicked_point")
    with st.expander(T("app.new_site")):
        if not point:
            st.caption(T("app.click_first"))
            return
        st.caption(f"{point['lat']:.5f}, {point['lng']:.5f}")
        name = st.text_input(T("app.site_name"), value=T("app.new_site_default"), key="site_name")
        seats = st.number_input(T("app.seats"), min_value=0, value=300, step=10, key="site_seats")
        if st.button(T("app.add_and_open"), key="add_site"):
            site_id = logic.new_site_id(project)
            try:
                bigger = project.with_site(site_id, lon=point["lng"], lat=point["lat"], name=name, capacity=seats,
                                           classrooms=max(1, seats // 45), beds=0)
            except planning.PlanningError as exc:
                st.error(exc.text(st.session_state.lang))
                return
            rebind(bigger, then=lambda plan: plan.open_site(site_id))
            st.rerun()


def edit_params(project, result, action: str, school: str) -> dict:
    """The inputs an edit needs (target school, seats, beds, villages of a bus), as readers of
    their widgets' values, so the Apply callback reads what is in the boxes when clicked."""
    ss = st.session_state

    def value(key):
        return lambda: ss[key]

    if action == "merge":
        targets = {v: k for k, v in logic.school_choices(result, ss.lang).items() if k != school}
        st.selectbox(T("app.into"), list(targets), key="into")
        st.checkbox(T("app.merge_add_grades"), value=False, key="merge_add_grades")
        return {"into": lambda: targets[ss["into"]], "add_grades": value("merge_add_grades")}
    if action in ("expand", "open_site"):
        opening = action == "open_site"
        st.number_input(T("app.seats"), min_value=0, value=300 if opening else 0, step=10, key=f"{action}_seats")
        st.number_input(T("app.classrooms"), min_value=0, value=6 if opening else 0, key=f"{action}_rooms")
        st.number_input(T("app.beds"), min_value=0, value=0, step=10, key=f"{action}_beds")
        return {"capacity": value(f"{action}_seats"), "classrooms": value(f"{action}_rooms"),
                "beds": value(f"{action}_beds")}
    if action == "add_beds":
        st.number_input(T("app.beds_to_add"), min_value=1, value=50, step=10, key="more_beds")
        return {"beds": value("more_beds")}
    if action == "add_bus":
        # keyed by the school: another school picked starts with no village (a box shared by
        # every school kept the last school's villages, and Apply gave them to the new one)
        choices, key = logic.village_choices(project, ss.lang), f"bus_villages_{school}"
        st.multiselect(T("app.bus_villages"), list(choices), key=key, format_func=choices.__getitem__,
                       placeholder=T("app.choose_villages"))
        st.number_input(T("app.bus_ride"), min_value=5, value=30, key="bus_ride")
        return {"villages": value(key), "max_ride": value("bus_ride")}
    return {}


def saved_plans(scenario) -> None:
    """Name and save the plan (a saved plan of the same name is replaced); reopen a saved
    one; rename, duplicate or delete saved plans."""
    ss = st.session_state
    name = st.text_input(T("app.plan_name"), value=scenario.name)
    clicked = st.button(T("app.save_plan"), key="save")
    # a slot on every run for what the click says: a message drawn on one run only would move
    # the elements below it on the next, and the browser would draw the manage panel anew, folded
    said = st.empty()
    if clicked:
        try:
            name = logic.checked_plan_name(name, {})
        except planning.ValidationError as exc:
            said.error(exc.text(ss.lang))
        else:
            ss.saved[name] = scenario.renamed(name)
            ss.scenario = ss.saved[name]
            said.success(T("app.saved", name=name))
    if ss.saved:
        reopen = st.selectbox(T("app.reopen_saved"), list(ss.saved))
        if st.button(T("app.reopen"), key="reopen"):
            ss.scenario = ss.saved[reopen]
            st.rerun()
        manage_plans()


def manage_plans() -> None:
    """Rename, duplicate or delete a saved plan (in callbacks: the lists drawn after show the
    change at once). A renamed plan is renamed on the map too when it is the plan there, so
    the compare view and the exports show one plan under its new name."""
    ss = st.session_state
    with st.expander(T("app.manage_plans")):
        st.selectbox(T("app.plan_to_manage"), list(ss.saved), key="manage_plan")
        st.text_input(T("app.new_plan_name"), key="manage_name")
        cols = st.columns(3)
        for col, action in zip(cols, ("rename", "duplicate", "delete"), strict=True):
            col.button(T(f"app.{action}_plan"), key=f"{action}_plan", on_click=change_plans, args=(action,))
        said = ss.pop("manage_said", None)
        if said is not None:
            (st.success if said[0] == "ok" else st.error)(said[1])


def change_plans(action: str) -> None:
    ss = st.session_state
    name, new = ss.get("manage_plan"), ss.get("manage_name", "")
    if name not in ss.saved:
        return
    try:
        if action == "rename":
            new = logic.checked_plan_name(new, ss.saved, keep=name)
            ss.saved = logic.rename_plan(ss.saved, name, new)
            if ss.scenario.name == name:
                ss.scenario = ss.scenario.renamed(new)
            said = T("app.plan_renamed", old=name, new=new)
        elif action == "duplicate":
            copy = new.strip() or logic.copy_name(name, ss.saved, ss.lang)
            ss.saved = logic.duplicate_plan(ss.saved, name, copy)
            new, said = copy.strip(), T("app.plan_duplicated", name=copy.strip())
        else:
            ss.saved = logic.delete_plan(ss.saved, name)
            new, said = None, T("app.plan_deleted", name=name)
    except planning.ValidationError as exc:
        ss.manage_said = ("error", exc.text(ss.lang))
        return
    ss.manage_said = ("ok", said)
    ss.manage_name = ""
    if new in ss.saved:
        ss.manage_plan = new


def tables_tab(project, scenario, result, baseline) -> None:
    """The school table, a school's figures edited, a village grade by grade, its pupils edited."""
    ss = st.session_state
    st.markdown(T("app.school_table", level=level_name(ss.level, ss.lang)))
    table = logic.school_table(result, ss.level, ss.lang)
    shown = table.assign(load=table["load"] * 100)  # per cent, drawn as a bar
    st.dataframe(shown.rename(columns=lambda c: field(c, ss.lang)).rename_axis(field("school_id", ss.lang)),
                 width="stretch", key="school_table", column_config=school_columns())
    school_figures(result, table)
    village_panel(project, result, baseline)
    cols = st.columns([1, 3])
    cols[0].button(T("app.undo"), disabled=not scenario.edits, key="undo_tables", on_click=undo_edit)
    cols[1].markdown(T("app.plan_edits") + "\n\n" + logic.plan_log(scenario, ss.lang))


def school_columns() -> dict:
    """Number formats of the school table (its columns as worded in the language)."""
    lang = st.session_state.lang
    whole = st.column_config.NumberColumn(format="%.0f")
    config = {field(c, lang): whole for c in ("pupils", "capacity", "classes_needed", "classrooms", "boarders", "beds",
                                             "teachers_needed", "teachers", "met")}
    config[field("load", lang)] = st.column_config.ProgressColumn(format="%.0f%%", min_value=0.0, max_value=100.0)
    return config


def school_figures(result, table: pd.DataFrame) -> None:
    """Set a school's seats, classrooms and beds (a set_school edit in the plan)."""
    ss = st.session_state
    with st.expander(T("app.set_school")):
        choices = {sid: f"{sid} {name}" for sid, name in table["name"].items()}
        if not choices:
            return
        school = st.selectbox(T("app.figures_school"), list(choices), format_func=choices.__getitem__, key="fig_school")
        row = result.schools.loc[school]
        cols = st.columns(3)
        for col, column, label in zip(cols, ("capacity", "classrooms", "beds"), ("app.seats", "app.classrooms", "app.beds"),
                                      strict=True):
            known = row[column] == row[column]  # NaN: not known
            col.number_input(T(label), min_value=0, value=int(row[column]) if known else 0, step=1,
                             key=f"fig_{column}_{school}")
        typed = {c: ss[f"fig_{c}_{school}"] for c in ("capacity", "classrooms", "beds")}
        changed = logic.figures_to_set(result, school, **typed)
        st.button(T("app.apply"), key="apply_figures", disabled=not changed, on_click=set_figures, args=(school,))
        if ss.get("tables_error"):
            st.error(ss.tables_error)


def set_figures(school: str) -> None:
    ss = st.session_state
    typed = {c: ss[f"fig_{c}_{school}"] for c in ("capacity", "classrooms", "beds")}
    result = logic.evaluate_plan(ss.project, ss.scenario, ss.assignment).result
    try:
        ss.scenario = ss.scenario.set_school(school, **logic.figures_to_set(result, school, **typed))
        ss.tables_error = None
    except planning.PlanningError as exc:
        ss.tables_error = exc.text(ss.lang)


def note_village_click(project, pick: dict) -> None:
    """A village clicked on the map is the one the village detail shows."""
    village = logic.clicked_village(project, pick["lat"], pick["lng"])
    if village is not None:
        st.session_state.village_clicked = village


def village_panel(project, result, baseline) -> None:
    """A village grade by grade, today and under the plan; its pupils edited."""
    ss = st.session_state
    st.markdown(T("app.village_detail"))
    villages = logic.village_choices(project, ss.lang)
    if (clicked := ss.pop("village_clicked", None)) in villages:  # clicked on the map
        ss.detail_village = clicked
    village = st.selectbox(T("app.village_pick"), list(villages), format_func=villages.__getitem__,
                           key="detail_village")
    detail = logic.village_detail(result, baseline, village)
    minutes = st.column_config.NumberColumn(format="%.1f")
    config = {field(c, ss.lang): minutes for c in ("walk_minutes", "minutes_after", "grade_limit", "minutes_before")}
    config[field("pupils", ss.lang)] = st.column_config.NumberColumn(format="%.0f")
    st.dataframe(localise(logic.named(detail, project, ss.lang), ss.lang), width="stretch", hide_index=True,
                 key="village_detail",
                 column_config=config)
    with st.expander(T("app.set_pupils")):
        grade = st.selectbox(T("app.pupils_grade"), [None, *range(1, 10)], key="pupils_grade",
                             format_func=lambda g: T("app.whole_village") if g is None else field(f"grade_{g}", ss.lang))
        if grade is None:
            st.number_input(T("app.pupils_scale"), min_value=0.0, value=1.0, step=0.1, key="pupils_value_scale")
        else:
            now = float(detail.loc[detail["in_grade"] == grade, "pupils"].sum())
            st.number_input(T("app.pupils_new"), min_value=0, value=int(now), step=1, key=f"pupils_value_{village}_{grade}")
        st.button(T("app.apply"), key="apply_pupils", on_click=set_pupils, args=(village, grade))
        if ss.get("pupils_error"):
            st.error(ss.pupils_error)


def set_pupils(village: str, grade: int | None) -> None:
    ss = st.session_state
    value = ss["pupils_value_scale"] if grade is None else ss[f"pupils_value_{village}_{grade}"]
    try:
        ss.scenario = logic.edit_pupils(ss.scenario, village, grade, float(value))
        ss.pupils_error = None
    except planning.PlanningError as exc:
        ss.pupils_error = exc.text(ss.lang)


def upload_summary(project) -> None:
    """What was loaded: counts, villages far from roads, estimates, coordinate systems."""
    ss = st.session_state
    title = T("app.summary", villages=f"{len(project.villages):,}", schools=f"{len(project.schools):,}",
              km=f"{project.network.seg_length.sum() / 1000:,.1f}")
    with st.expander(title, expanded=ss.get("source") == "files"):  # always drawn: no new element on an edit
        # a static table: the views' tables stay the page's first data frames
        st.table(logic.upload_summary(project, ss.lang).set_index("item").rename_axis(None)
                 .rename(columns={"value": T("app.summary.value")}))


def compare_tab(project, result, baseline) -> None:
    ss = st.session_state
    names = st.multiselect(T("app.compare_plans"), list(ss.saved), default=list(ss.saved)[:3],
                           placeholder=T("app.choose_plans" if ss.saved else "app.no_saved_plans"))
    chosen = [ss.saved[n] for n in names]
    results = logic.plans_side_by_side(baseline, result, ss.scenario, chosen, assignment=ss.assignment, lang=ss.lang)
    result = results[1]
    for note in logic.fallback_notes(results, ss.assignment, ss.lang):
        st.warning(note)
    fc = ss.get("forecast")  # the figures are the base year's, whatever the year shown above
    for line in [*logic.compare_captions(ss.level, ss.lang, base_year=None if fc is None else fc.base_year,
                                         year=ss.get("year")),
                 *logic.same_edits_notes(ss.scenario, chosen, ss.lang)]:
        st.caption(line)
    st.dataframe(logic.with_changes(localise(planning.compare(*results), ss.lang), ss.lang), width="stretch")
    plan = plan_name(result.name, ss.lang)
    st.markdown(T("app.costs_heading", plan=plan, unit=logic.cost_unit(ss.lang)))
    st.caption(logic.cost_caption(result, ss.lang))
    cost_table(logic.cost_rows(baseline, result, ss.lang), key="cost_rows")
    st.caption(logic.cost_npv_words(baseline, result, ss.lang))
    for layout, name in ((result, plan), (baseline, T("today"))):
        with st.expander(T("app.cost_sheet", plan=name)):
            cost_table(logic.cost_sheet_rows(layout, ss.lang), key=f"cost_sheet_{'today' if layout is baseline else 'plan'}")
    st.markdown(T("app.walk_histogram"))
    walks = logic.walk_histogram(results).rename(columns=lambda n: plan_name(n, ss.lang))
    walks = walks.rename_axis("band").reset_index().melt("band", var_name="plan", value_name="pupils")
    st.altair_chart(grouped_bars(walks, x="band", x_title=T("app.chart.walk_band"), y_title=field("pupils", ss.lang)),
                    width="stretch")
    st.markdown(T("app.pupils_per_school"))
    st.altair_chart(grouped_bars(logic.pupils_per_school(results, ss.lang), x="school", across=True,
                                 x_title=T("app.chart.school"), y_title=field("pupils", ss.lang)), width="stretch")
    st.markdown(T("app.difference_map"))
    st_folium(_local(difference_map(project, baseline, result, level=ss.level, lang=ss.lang)), height=480,
              use_container_width=True, returned_objects=[], key="difference_map")
    changes = planning.village_changes(baseline, result)
    st.markdown(T("app.villages_affected"))
    st.dataframe(logic.shown_table(logic.named(affected(changes), results[0].project, ss.lang), ss.lang),
                 width="stretch")


def grouped_bars(data: pd.DataFrame, *, x: str, x_title: str, y_title: str, across: bool = False) -> alt.Chart:
    """Bars of ``pupils`` per ``x``, one bar per plan side by side, with axis titles and the
    plans in the legend; not zoomed by the mouse wheel (a page scrolls past it).

    ``across``: the bars lie across, one row of bars per ``x`` down the left (schools), every
    name written level and in full however many there are (the chart grows with them);
    upright bars with slanted names left every other school's name out where names crowd."""
    order, plans = list(dict.fromkeys(data[x])), list(dict.fromkeys(data["plan"]))
    plan = alt.Color("plan:N", title=None, legend=alt.Legend(orient="top"), sort=plans)
    tooltip = [alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip("plan:N", title=" "),
               alt.Tooltip("pupils:Q", title=y_title, format=",.0f")]
    if across:
        return alt.Chart(data).mark_bar().encode(
            y=alt.Y(f"{x}:N", title=x_title, sort=order, axis=alt.Axis(labelOverlap=False, labelLimit=260)),
            yOffset=alt.YOffset("plan:N", sort=plans), x=alt.X("pupils:Q", title=y_title, axis=alt.Axis(orient="top")),
            color=plan, tooltip=tooltip).properties(height=len(order) * (BAR_PIXELS * len(plans) + 6))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{x}:N", title=x_title, sort=order, axis=alt.Axis(labelAngle=-40, labelLimit=160)),
        xOffset=alt.XOffset("plan:N", sort=plans),
        y=alt.Y("pupils:Q", title=y_title), color=plan, tooltip=tooltip).properties(height=320)


#: Height of one bar of a chart whose bars lie across (pixels): room for a name beside each.
BAR_PIXELS = 12


def cost_table(styled, *, key: str) -> None:
    """A cost table (a Styler) under short headers, the full ones on hover."""
    short = logic.cost_short_headers(styled.data.columns)
    st.dataframe(styled, width="stretch", key=key,
                 column_config={full: st.column_config.Column(words, help=full) for full, words in short.items()})


def years_tab(scenario) -> None:
    """The plan over the forecast's years: each school's pupils, the low–high band of the
    township's pupils, the figures by year, when schools become small-scale, the plan's
    timeline of edits and what the forecast assumes."""
    ss = st.session_state
    fc = ss.forecast
    if fc is None:
        st.info(T("app.years.no_forecast"))
        return
    timeline, infeasible = timeline_of(scenario, fc)
    if infeasible is not None:
        st.warning(T("app.plan_not_zoned", reason=infeasible.text(ss.lang)))
    variant = T(f"forecast.variant.{ss.variant}")
    left, right = st.columns([3, 2])
    with left:
        st.markdown(T("app.years.pupils_by_school", variant=variant))
        st.altair_chart(school_chart(logic.school_pupils(timeline, words=logic.place_words(scenario.project, ss.lang))),
                        width="stretch")
    with right:
        st.markdown(T("app.years.band"))
        st.altair_chart(band_chart(logic.pupil_band({v: forecast_of(v)[0] for v in logic.VARIANTS}, ss.lang)),
                        width="stretch")
    st.markdown(T("app.years.table", plan=plan_name(scenario.name, ss.lang), variant=variant))
    st.dataframe(logic.year_table(timeline, ss.lang), width="stretch", key="year_table")
    left, right = st.columns([3, 2])
    with left:
        st.markdown(T("app.years.small_from", pupils=f"{scenario.project.policy.small_school_pupils:g}"))
        st.dataframe(logic.named(logic.small_from_table(timeline, ss.lang), scenario.project, ss.lang), width="stretch",
                     key="small_from")
    with right:
        st.markdown(T("app.years.edits") + "\n\n" + logic.plan_log(scenario, ss.lang))
    st.markdown(T("app.years.assumptions"))
    st.dataframe(logic.assumptions_table(fc, ss.lang), width="stretch", hide_index=True, key="assumptions")
    st.markdown(T("app.years.backtest"))
    backtest = logic.backtest_table(fc, ss.lang)
    if backtest is None:
        st.caption(T("app.years.no_backtest"))
    else:
        st.dataframe(backtest, width="stretch", key="backtest")


def timeline_of(scenario, fc):
    """``scenario`` year by year over the forecast ``fc`` with the app's assignment, or by
    nearest school where some year cannot be zoned (and why: :func:`planning.scenario.years_or_nearest`).
    Made once per plan (its project, name and edits), forecast and assignment, and kept for
    the session's last few plans: the years view and the plan report share it."""
    ss = st.session_state
    def same(entry) -> bool:
        return (entry[0].project is scenario.project and logic.plan_key(entry[0]) == logic.plan_key(scenario)
                and entry[1] is fc and entry[2] == ss.assignment)
    kept = ss.get("timelines", [])
    found = next((entry for entry in kept if same(entry)), None)
    if found is None:
        found = (scenario, fc, ss.assignment,
                 *logic.years_or_nearest(scenario, fc, ss.assignment, solver_seconds=logic.SOLVER_SECONDS))
        ss.timelines = [*kept[-3:], found]  # today's, the plan's and a few before it
    return found[3], found[4]


def report_timelines(project, scenario) -> list:
    """What the plan report shows of the forecast: today's layout and the plan (when it has
    edits) year by year over the forecast of the variant chosen (:func:`timeline_of`); none
    without a forecast (uploaded tables without history), and the report says so."""
    fc = st.session_state.get("forecast")
    if fc is None:
        return []
    plans = [logic.today(project), *([scenario] if scenario.edits else [])]
    return [timeline_of(plan, fc)[0] for plan in plans]


def school_chart(pupils: pd.DataFrame) -> alt.Chart:
    """Pupils of each school (a line per column) by year, its tooltip and legend in the app's
    language (Streamlit's own line chart said "year / value / color"), every school in the
    legend (below the chart, in columns)."""
    lang = st.session_state.lang
    year, school, count = field("year", lang), field("school", lang), field("pupils", lang)
    data = pupils.rename_axis(year).reset_index().melt(id_vars=year, var_name=school, value_name=count)
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X(f"{year}:O", axis=alt.Axis(labelAngle=0)), y=alt.Y(f"{count}:Q"),
        color=alt.Color(f"{school}:N", sort=list(pupils.columns),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=140, symbolLimit=0)),
        tooltip=[alt.Tooltip(f"{year}:O"), alt.Tooltip(f"{school}:N"), alt.Tooltip(f"{count}:Q", format=",.0f")],
    ).properties(height=300 + 22 * -(-len(pupils.columns) // 2))  # the key's rows below take their room


def band_chart(band: pd.DataFrame) -> alt.Chart:
    """The low–high band of total pupils (shaded) with the medium forecast as a line."""
    low, medium, high = band.columns
    year = band.index.name
    data = band.reset_index()
    x = alt.X(f"{year}:O", title=year, axis=alt.Axis(labelAngle=0))
    area = alt.Chart(data).mark_area(opacity=0.25).encode(
        x=x, y=alt.Y(f"{low}:Q", title=field("pupils", st.session_state.lang), scale=alt.Scale(zero=False)),
        y2=f"{high}:Q", tooltip=[year, low, medium, high])
    line = alt.Chart(data).mark_line(point=True).encode(x=x, y=f"{medium}:Q", tooltip=[year, low, medium, high])
    return (area + line).properties(height=380)


def teachers_tab(project, result, baseline) -> None:
    """Staffing after the plan beside today; this year's teacher exchange and the school
    alliances, for the plan or today (solves kept in the session by layout and settings)."""
    ss = st.session_state
    plan = plan_name(result.name, ss.lang)
    st.markdown(T("app.teachers.staffing", plan=plan))
    if project.roster is not None:
        st.caption(T("app.roster_loaded", teachers=len(project.roster)))
    heads = logic.staffing_headlines(result, baseline, ss.lang)
    if all(h.value != h.value for h in heads):  # no school's teachers known
        st.info(T("app.teachers.no_teachers"))
    else:
        if result is not baseline:
            st.caption(T("app.teachers.today_to_plan", plan=plan))
        cells = [col for _ in range(0, len(heads), 2) for col in st.columns(2)]  # two a row: "189 → 176" fits 1024 px
        for col, h in zip(cells, heads, strict=True):
            value, delta = logic.staffing_words(h, baseline)
            col.metric(h.label, value, delta,
                       delta_color="off" if h.lower_is_better is None else "inverse" if h.lower_is_better else "normal")
        table = logic.staffing_table(result, ss.lang)
        st.dataframe(logic.shortage_style(table, ss.lang), width="stretch", height=all_rows(table),
                     column_config=short_headers(table), key="staffing_table")
        st.caption(T("app.teachers.shortage"))
        st.caption(logic.norms_caption(project.policy, ss.lang))
    layout = result
    if result is not baseline:  # the exchange and alliances of the plan, or of today's schools
        layouts = {"plan": plan, "today": T("today")}
        chosen = worded_choice(T("app.teachers.layout"), layouts, key="teachers_layout",
                               current=ss.get("teachers_layout"))
        ss.teachers_layout = chosen
        layout = baseline if chosen == "today" else result
    solves = ss.setdefault("teacher_solves", logic.Solves())
    st.divider()
    exchange_section(layout, solves)
    st.divider()
    alliance_section(project, layout, solves)


def short_headers(table: pd.DataFrame) -> dict:
    """Short headers for a table's long ones (their full words on hover), to fit narrow screens."""
    return {full: st.column_config.Column(short, help=full)
            for full, short in logic.short_headers(table, st.session_state.lang).items()}


def all_rows(table: pd.DataFrame, most: int = 20) -> int:
    """A table's height in pixels showing all its rows (``most`` at most), without a scroll bar."""
    return (min(len(table), most) + 1) * 35 + 3


def kept_multiselect(label: str, words: dict[str, str], *, key: str, default: list[str]) -> list[str]:
    """A multiselect of ``words`` (option → its words), keyed by language as
    :func:`worded_choice`; the choice is kept in ``key`` across languages."""
    ss = st.session_state
    kept = [o for o in ss.get(key, default) if o in words]
    chosen = st.multiselect(label, list(words), default=kept, format_func=words.__getitem__,
                            placeholder=T("app.teachers.choose_schools"), key=f"{key}_{ss.lang}")
    ss[key] = chosen
    return chosen


def exchange_section(layout, solves) -> None:
    ss = st.session_state
    policy = layout.project.policy
    st.markdown(T("app.teachers.exchange"))
    schools = logic.school_names(layout)
    cols = st.columns(3)
    share = cols[0].number_input(T("app.teachers.share"), min_value=0.0, max_value=100.0, step=1.0, format="%g",
                                 value=round(100 * policy.exchange_share, 6), key="exchange_share")
    key_share = cols[1].number_input(T("app.teachers.key_share"), min_value=0.0, max_value=100.0, step=1.0,
                                     format="%g", value=round(100 * policy.exchange_key_share, 6), key="exchange_key_share")
    minutes = cols[2].number_input(T("app.teachers.max_minutes"), min_value=1.0, value=None, step=5.0, format="%g",
                                   placeholder=T("app.teachers.no_limit"), key="exchange_minutes")
    cols = st.columns(3)
    with cols[0]:
        send = kept_multiselect(T("app.teachers.send_only"), schools, key="exchange_send", default=[])
    with cols[1]:
        receive = kept_multiselect(T("app.teachers.receive_only"), schools, key="exchange_receive", default=[])
    with cols[2]:
        levels = {"all": T("app.teachers.level.all"), **{v: T(f"app.teachers.level.{v}") for v in ("primary", "junior")}}
        level = worded_choice(T("app.teachers.level"), levels, key="exchange_level", current=ss.get("exchange_level"))
        ss.exchange_level = level
    rules = logic.ExchangeRules(share=share / 100, key_share=key_share / 100, max_minutes=minutes,
                                send_only=tuple(send), receive_only=tuple(receive),
                                level=None if level == "all" else level)
    if st.button(T("app.teachers.propose"), type="primary", key="propose_exchange"):
        with st.spinner(T("app.solving")):
            solves.put(layout, rules, logic.propose_exchange(layout, rules))
    answer = solves.get(layout, rules)
    if isinstance(answer, planning.PlanningError):
        st.error(answer.text(ss.lang))
    elif answer is not None:
        exchange_answer(answer, rules, logic.place_words(layout.project, ss.lang))


def exchange_answer(exchange, rules, words: dict[str, str]) -> None:
    ss = st.session_state
    st.success(logic.quota_words(exchange, rules, ss.lang))
    st.caption(T("app.teachers.exchange_solved",
                 solved=logic.solve_words(exchange.status, exchange.gap, exchange.seconds, ss.lang)))
    st.markdown(T("app.teachers.moves"))
    if exchange.moves.empty:
        st.info(T("app.teachers.no_moves"))
    else:
        moves = logic.moves_rows(exchange, ss.lang, words=words)
        st.dataframe(moves, width="stretch", hide_index=True, height=all_rows(moves),
                     column_config=short_headers(moves), key="exchange_moves")
    st.markdown(T("app.teachers.cv_chart"))
    st.altair_chart(cv_chart(logic.cv_bars(exchange, ss.lang)), width="stretch")
    st.markdown(T("app.teachers.cv_table"))
    st.dataframe(logic.cv_rows(exchange, ss.lang), key="exchange_cv")
    for note in exchange.explain(ss.lang):
        st.caption("• " + note)
    with st.expander(T("app.teachers.exchange_schools")):
        schools = logic.exchange_school_rows(exchange, ss.lang, words=words)
        st.dataframe(schools, width="stretch", height=all_rows(schools), key="exchange_schools")


def cv_chart(bars: pd.DataFrame) -> alt.LayerChart:
    """Grouped bars of each teacher indicator's 优质均衡 CV before and after the exchange, a
    row per level and indicator, each level's limit as a red dashed mark on its rows."""
    level, indicator, when, cv, limit = bars.columns
    data = bars.assign(row=bars[level] + " · " + bars[indicator])
    rows = list(dict.fromkeys(data["row"]))
    order = list(dict.fromkeys(bars[when]))  # before, then after
    y = alt.Y("row:N", title=None, sort=rows, axis=alt.Axis(labelLimit=320, labelFontSize=12))
    top = 1.12 * float(max(data[cv].max(), data[limit].max()))  # room for the figures and the limits
    base = alt.Chart(data)
    bar = base.mark_bar().encode(
        y=y, yOffset=alt.YOffset(f"{when}:N", sort=order),
        x=alt.X(f"{cv}:Q", title=cv, scale=alt.Scale(domain=[0, top], nice=False)),
        color=alt.Color(f"{when}:N", sort=order, scale=alt.Scale(range=["#bdbdbd", "#2166ac"]),
                        legend=alt.Legend(title=None, orient="top")),
        tooltip=[level, indicator, when, cv, limit])
    text = base.mark_text(align="left", dx=3, fontSize=11).encode(
        y=y, yOffset=alt.YOffset(f"{when}:N", sort=order), x=f"{cv}:Q", text=alt.Text(f"{cv}:Q", format=".2f"))
    rule = base.mark_tick(color="#d73027", thickness=3, size=34).encode(
        y=y, x=f"{limit}:Q", tooltip=[level, limit])
    return (bar + text + rule).properties(height=alt.Step(19))


def alliance_section(project, layout, solves) -> None:
    from planning.maps import alliance_map

    ss = st.session_state
    st.markdown(T("app.teachers.alliances"))
    schools = logic.school_names(layout)
    ways = {"given": T("app.teachers.cores_given"), "chosen": T("app.teachers.cores_chosen")}
    cols = st.columns(3)
    with cols[0]:
        way = worded_choice(T("app.teachers.cores_how"), ways, key="alliance_way", current=ss.get("alliance_way"))
        ss.alliance_way = way
    lo, hi = cols[1].slider(T("app.teachers.size"), min_value=0, max_value=12, value=(2, 6), key="alliance_size")
    minutes = cols[2].number_input(T("app.teachers.member_minutes"), min_value=1.0, value=None, step=5.0,
                                   format="%g", placeholder=T("app.teachers.no_limit"), key="alliance_minutes")
    if way == "given":
        cores = kept_multiselect(T("app.teachers.cores"), schools, key="alliance_cores",
                                 default=logic.default_cores(layout))
        k = None
    else:
        cores = None
        k = int(cols[0].number_input(T("app.teachers.k"), min_value=1, max_value=max(1, len(schools)),
                                     value=min(2, max(1, len(schools))), key="alliance_k"))
    with st.columns(3)[0]:
        balances = {key: T(f"app.teachers.balance.{key}") for key in ("schools", "pupils")}
        balance = worded_choice(T("app.teachers.balance"), balances, key="alliance_balance",
                                current=ss.get("alliance_balance"))
        ss.alliance_balance = balance
    rules = logic.AllianceRules(cores=None if cores is None else tuple(cores), k=k, size=(int(lo), int(hi)),
                                max_minutes=minutes, balance=balance)
    missing = cores is not None and not cores
    if st.button(T("app.teachers.form"), type="primary", key="form_alliances", disabled=missing,
                 help=T("app.teachers.choose_cores") if missing else None):
        with st.spinner(T("app.solving")):
            solves.put(layout, rules, logic.form_alliances(layout, rules))
    found = solves.get(layout, rules)
    if isinstance(found, planning.PlanningError):
        st.error(found.text(ss.lang))
        return
    if found is None:
        return
    st.success(logic.alliance_words(found, ss.lang))
    st.markdown(T("app.teachers.alliance_map"))
    st_folium(_local(alliance_map(project, found, lang=ss.lang, basemap=ss.basemap_drawn,
                                  tianditu_key=ss.tianditu_key)),
              height=600, use_container_width=True, returned_objects=[], key="alliance_map")
    st.markdown(T("app.teachers.alliance_groups"))
    groups = logic.alliance_group_rows(found, ss.lang, words=logic.place_words(layout.project, ss.lang))
    st.dataframe(groups, width="stretch", column_config=short_headers(groups), key="alliance_groups")
    st.markdown(T("app.teachers.left_out"))
    reasons = logic.left_out_reasons(layout, found, rules, ss.lang)
    st.markdown("\n".join(f"- {r}" for r in reasons) if reasons else T("app.teachers.none_left_out"))
    st.markdown(T("app.teachers.alliance_schools"))
    schools = logic.alliance_school_rows(found, ss.lang, words=logic.place_words(layout.project, ss.lang))
    st.dataframe(schools, width="stretch", height=all_rows(schools), column_config=short_headers(schools),
                 key="alliance_schools")


def suggest_tab(project) -> None:
    from planning.optimise import plan

    ss = st.session_state
    goals = {key: T(f"app.goal.{key}") for key in ("fewest_schools", "least_cost", "p_median", "max_coverage")}
    goal = worded_choice(T("app.goal"), goals, key="suggest_goal")
    p = st.number_input("p", min_value=1, value=5, key="suggest_p") if goal in ("p_median", "max_coverage") else None
    budget = st.number_input(T("app.budget"), min_value=0.0, value=None, step=10.0, key="suggest_budget",
                             help=T("app.budget_help"))
    limit = st.number_input(T("app.walk_limit"), min_value=5.0,
                            value=float(project.policy.limit(ss.level)), key="suggest_limit")
    names = {f"{sid} {name}": sid for sid, name in project.schools["name"].items()}
    keep = st.multiselect(T("app.must_keep"), list(names), key="suggest_keep",
                          placeholder=T("app.teachers.choose_schools"))
    close = st.multiselect(T("app.must_close"), [n for n in names if n not in keep], key="suggest_close",
                           placeholder=T("app.teachers.choose_schools"))
    sites = st.checkbox(T("app.sites_may_open"), value=True, key="suggest_sites")
    transport = goal == "least_cost" and st.checkbox(T("app.transport"), value=False, key="suggest_transport",
                                                     help=T("app.transport_help"))
    forecast = ss.get("forecast")
    horizon = forecast is not None and not transport and st.checkbox(
        T("app.suggest_horizon", first=forecast.years[0], last=forecast.years[-1]), value=False,
        key="suggest_horizon", help=T("app.suggest_horizon_help"))
    if st.button(T("app.suggest"), key="suggest"):
        bar = st.progress(10, text=T("app.solving"))
        try:
            ss.suggestion = plan(project, goal, level=ss.level, p=p, limit=limit, keep=[names[k] for k in keep],
                                 close=[names[c] for c in close], sites=sites,
                                 solver_seconds=logic.SOLVER_SECONDS, forecast=forecast if horizon else None,
                                 phased=bool(horizon) and goal == "fewest_schools",
                                 budget=None if budget is None else budget * 10_000, transport=transport)
            bar.progress(100, text=T("app.done"))
        except planning.PlanningError as exc:
            st.error(logic.error_text(exc, ss.lang))
        bar.empty()
    suggestion = ss.get("suggestion")
    if suggestion is not None:
        st.dataframe(localise(pd.DataFrame([suggestion.report()]), ss.lang), hide_index=True, width="stretch")
        st.dataframe(localise(logic.named(suggestion.columns, project, ss.lang), ss.lang), width="stretch")
        for note in logic.suggestion_notes(suggestion.messages, ss.lang):
            st.caption("• " + note)
        if st.button(T("app.use_plan"), key="use_plan"):
            ss.scenario = suggestion.scenario
            st.rerun()
    if goal == "least_cost":
        cost_tradeoff_panel(project, sites=sites, transport=transport)


def cost_tradeoff_panel(project, *, sites: bool, transport: bool) -> None:
    """What a shorter walking limit costs: the least-cost plan at each limit, as a table and a chart."""
    from planning.optimise import cost_tradeoff, plot_cost_tradeoff
    from planning.report import chart

    ss = st.session_state
    st.markdown("#### " + T("app.cost_tradeoff"))
    st.caption(T("app.cost_tradeoff_help"))
    if st.button(T("app.cost_tradeoff_run"), key="cost_tradeoff"):
        bar = st.progress(5, text=T("app.solving"))
        limits = logic.COST_LIMITS
        rows = []
        try:
            for k, limit in enumerate(limits):
                rows.append(cost_tradeoff(project, level=ss.level, limits=(limit,), sites=sites, transport=transport,
                                          solver_seconds=logic.SOLVER_SECONDS, progress=False))
                bar.progress(int(100 * (k + 1) / len(limits)), text=T("app.solving"))
        except planning.PlanningError as exc:
            st.error(logic.error_text(exc, ss.lang, button="app.cost_tradeoff_run"))
        bar.empty()
        if rows:
            ss.cost_curve = pd.concat(rows)
    curve = ss.get("cost_curve")
    if curve is not None and len(curve):
        st.caption(T("app.cost_tradeoff_unit", unit=logic.cost_unit(ss.lang)))
        st.dataframe(logic.cost_curve_rows(curve, ss.lang), width="stretch")
        st.pyplot(chart(lambda ax, lang: plot_cost_tradeoff(curve, ax=ax, lang=lang), lang=ss.lang), width="stretch")


def policy_tab(project) -> None:
    ss = st.session_state
    policy = project.policy
    cols = st.columns(3)
    primary = cols[0].number_input(T("app.primary_limit"), value=policy.limit("primary"),
                                   key="policy_primary")
    junior = cols[0].number_input(T("app.junior_limit"), value=policy.limit("junior"))
    speed = cols[1].number_input(T("app.walk_speed"), value=policy.walk_speed_kmh, step=0.5)
    board = cols[1].number_input(T("app.board_grade"), value=policy.boarding_min_grade,
                                 min_value=1, max_value=10, help=T("app.board_grade_help"))
    class_p = cols[2].number_input(T("app.primary_class"), value=float(policy.class_size["primary"]))
    class_j = cols[2].number_input(T("app.junior_class"), value=float(policy.class_size["junior"]))
    if st.button(T("app.apply_policy"), key="policy"):
        try:
            new = policy.replace(walk_limit_minutes={"primary": primary, "junior": junior}, walk_speed_kmh=speed,
                                 boarding_min_grade=int(board), class_size={"primary": class_p, "junior": class_j})
        except planning.ValidationError as exc:
            st.error(exc.text(st.session_state.lang))
        else:
            rebind(project.with_policy(new))
            st.rerun()
    st.dataframe(logic.policy_rows(policy, ss.lang), width="stretch", hide_index=True)


def export_tab(project, result, baseline) -> None:
    """Downloads are made when clicked, not on every rerun (:func:`download`)."""
    ss = st.session_state
    paper = st.radio(T("app.paper"), ["A4", "A3"], horizontal=True)
    # the county's name as the project has it, in the app's language, until the planner types
    # another, which then stays in either language (a box per project and language: the
    # demo's own name differs by language)
    left, middle, right = st.columns([2, 2, 1])
    own, typed = county_name(project, ss.lang), f"county_typed_{ss.project_version}"
    named = left.text_input(T("app.export.county"), value=ss.get(typed) or own,
                            key=f"report_county_{ss.project_version}_{ss.lang}", help=T("app.export.county_help"))
    ss[typed] = named if named.strip() and named != own else None
    county = county_name(project, ss.lang, given=named)
    unit = middle.text_input(T("app.export.unit"), key="report_unit")
    date = right.date_input(T("app.export.date"), value="today", key="report_date", format="YYYY-MM-DD",
                            help=T("app.export.date_help"))
    level, lang, basemap, key = ss.level, ss.lang, ss.basemap_drawn, ss.tianditu_key
    current, assignment, kept = ss.scenario, ss.assignment, list(ss.saved.values())
    saved = kept or [current]  # the project file holds the saved plans, or the plan on the map

    def in_folder(make) -> bytes:
        with tempfile.TemporaryDirectory(prefix="planning-export-") as folder:
            return make(Path(folder)).read_bytes()

    def keeping(plans, build):
        """``build``, after which ``plans`` count as downloaded (:func:`may_discard`)."""
        def made() -> bytes:
            data = build()
            ss.kept_plans = [*ss.get("kept_plans", []), *(logic.plan_key(plan) for plan in plans)]
            return data
        return made

    cols = st.columns(3)
    download(cols[0], "html", "map.html", "text/html",
             lambda: standalone_html(result_map(project, result, level=level, lang=lang, basemap=basemap,
                                                tianditu_key=key, county=county)).encode())
    download(cols[0], "pdf", "map.pdf", "application/pdf",
             lambda: in_folder(lambda f: print_map(project, f / "map.pdf", result=result, level=level, lang=lang,
                                                   paper=paper, unit=unit, date=date, county=county)))
    download(cols[0], "png", "map.png", "image/png",
             lambda: in_folder(lambda f: print_map(project, f / "map.png", result=result, level=level, lang=lang,
                                                   paper=paper, dpi=150, unit=unit, date=date, county=county)))
    download(cols[1], "excel", "report.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             keeping([current, *kept], lambda: in_folder(lambda f: excel_report(  # every plan, side by side
                 project, logic.plans_side_by_side(baseline, result, current, kept, assignment=assignment, lang=lang),
                 f / "report.xlsx", lang=lang))))
    download(cols[1], "plan_report", "plan_report.pdf", "application/pdf",
             lambda: in_folder(lambda f: plan_report(project, [baseline, result], f / "plan_report.pdf", lang=lang,
                                                     paper=paper, unit=unit, date=date, county=county,
                                                     timelines=report_timelines(project, current))))
    download(cols[1], "gpkg", "results.gpkg", None,
             lambda: in_folder(lambda f: results_gpkg(project, [result], f / "results.gpkg")))
    download(cols[2], "project", "project.gpkg", None,
             keeping(saved, lambda: in_folder(lambda f: planning.save_project(f / "project.gpkg", project,
                                                                              scenarios=saved, results=[result]))))


def download(col, kind: str, file_name: str, mime: str | None, build) -> None:
    """A download button (``app.export.<kind>``) whose file ``build`` makes when it is clicked;
    a failure is shown below it in the planner's language, and nothing downloads."""
    ss = st.session_state
    job = ss.setdefault("downloads", {}).setdefault(kind, logic.Download())
    label = T(f"app.export.{kind}")
    col.download_button(label, data=job.collect, file_name=file_name, mime=mime, key=f"export_{kind}",
                        on_click=job.make, args=(build,), kwargs={"what": label, "lang": ss.lang})
    if job.error:  # shown on the run the click started, then gone
        col.error(job.error)
        job.error = None


def main() -> None:
    remove_stale_uploads()
    narrow_screen_css()
    init_state()
    sidebar()
    ss = st.session_state
    project, scenario = ss.project, ss.scenario
    st.title(f"{T('app.title')} · {county_name(project, ss.lang)}")  # the demo's name in one language
    today_view = logic.evaluate_plan(project, scenario, ss.assignment)
    fc, year = ss.get("forecast"), ss.get("year")
    # a year after the base year, or a plan with edits from a later year: the map and figures
    # show that year's pupils and the edits in effect then (Scenario.evaluate counts every edit)
    later = fc is not None and year is not None and (year != fc.base_year
                                                     or any(e.year is not None for e in scenario.edits))
    view_of = logic.evaluate_plan_in_year(scenario, ss.assignment, fc, year) if later else today_view
    for note in view_of.notes(ss.lang):
        st.warning(note)
    headline_row(view_of.result, view_of.baseline, year if later else None)
    for line in view_of.solver_lines(ss.lang):
        st.caption(line)
    baseline, result = today_view.baseline, today_view.result  # compare and export: today
    notes = planning.data_notes(project, ss.lang)  # worked out once per project
    with st.expander(T("app.data_notes", n=len(notes))):  # always drawn: no new element on an edit
        for note in notes:
            st.caption("• " + note)
    upload_summary(project)
    views = {key: T(f"app.view.{key}") for key in ("map", "tables", "years", "compare", "teachers", "suggest",
                                                   "policy", "export")}
    # only the chosen view runs (st.tabs would compute every tab on every edit)
    view = st.segmented_control(T("app.view"), list(views), format_func=views.__getitem__, key="view",
                                default="map", label_visibility="collapsed") or "map"
    if view == "map":
        map_tab(project, scenario, view_of.result)
    elif view == "tables":
        tables_tab(project, scenario, view_of.result, view_of.baseline)
    elif view == "years":
        years_tab(scenario)
    elif view == "compare":
        compare_tab(project, result, baseline)
    elif view == "teachers":
        teachers_tab(project, result, baseline)
    elif view == "suggest":
        suggest_tab(project)
    elif view == "policy":
        policy_tab(project)
    else:
        export_tab(project, result, baseline)
    if project.network.attribution:
        st.caption(project.network.attribution)


main()
