"""The planner's browser app: `make run` (or `streamlit run streamlit_app.py`).

Thin by design: every analysis is in `planning/` (the edit actions and headline figures in
`planning.app`, maps in `planning.maps`, exports in `planning.report`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import planning
from planning import app as logic
from planning.i18n import localise, plan_name, t
from planning.maps import (
    LEAFLET_FOLDER,
    base_map,
    difference_map,
    result_layers,
    result_map,
    standalone_html,
    use_local_leaflet,
)
from planning.report import excel_report, print_map, results_gpkg

st.set_page_config(page_title="学校布局规划 · School layout planning", page_icon="🏫", layout="wide")


def demo_project() -> planning.Project:
    """One demo per server process, shared by sessions (warmed by `planning app`)."""
    from planning.load import shared_demo

    return shared_demo()


def L(zh: str, en: str) -> str:  # noqa: N802 - short on purpose: the UI is full of these
    return zh if st.session_state.get("lang", "zh") == "zh" else en


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
        bar = slot.progress(0, text="载入示例乡镇 / loading the demo township")
        project = demo_project()
        bar.progress(50, text="计算步行时间 / travel times")
        project.travel_times()
        bar.progress(100, text="完成 / ready")
        bar.empty()
        set_project(project)


def set_project(project: planning.Project, saved: dict[str, planning.Scenario] | None = None) -> None:
    ss = st.session_state
    ss.project = project
    ss.project_version = ss.get("project_version", 0) + 1  # a new base map for a new project
    ss.scenario = planning.Scenario(project, L("方案", "plan"))
    ss.saved = dict(saved or {})
    ss.message = None


def rebind(project: planning.Project, *, then=None) -> None:
    """Move the current plan and the saved plans onto a new project (new policy, new site)."""
    ss = st.session_state
    current, saved = ss.scenario, ss.saved
    set_project(project, {k: v.on(project) for k, v in saved.items()})
    ss.scenario = current.on(project)
    if then is not None:
        ss.scenario = then(ss.scenario)


def sidebar() -> None:
    ss = st.session_state
    with st.sidebar:
        lang = st.radio("语言 / Language", ["中文", "English"], horizontal=True, key="lang_choice",
                        index=0 if ss.lang == "zh" else 1)
        ss.lang = "zh" if lang == "中文" else "en"
        st.header(t("title", ss.lang))
        levels = {v: t(f"level_{v}", ss.lang) for v in ("primary", "junior")}
        ss.level = st.selectbox(L("学段", "Level"), list(levels), format_func=levels.__getitem__)
        methods = {"nearest": L("就近", "nearest school"), "zoned": L("整村划片（精确优化）", "zoned, whole villages (MILP)"),
                   "split": L("可拆分划片（线性规划）", "split zoning (LP)")}
        ss.assignment = st.selectbox(L("分配方式", "Assignment"), list(methods), format_func=methods.__getitem__)
        basemaps = {"none": L("无（仅道路，可离线）", "none (roads only, offline)"), "osm": "OpenStreetMap",
                    "tianditu": L("天地图", "Tianditu")}
        ss.basemap = st.selectbox(L("底图", "Basemap"), list(basemaps), format_func=basemaps.__getitem__)
        ss.tianditu_key = st.text_input(L("天地图密钥", "Tianditu key"), type="password") if ss.basemap == "tianditu" else None
        with st.expander(L("打开项目", "Open a project")):
            load_panel()


def load_panel() -> None:
    sources = {"demo": L("示例乡镇（合成数据）", "demo township (synthetic)"),
               "gpkg": L("项目文件 (.gpkg)", "project file (.gpkg)"), "files": L("上传表格与道路", "upload tables and roads")}
    source = st.radio(L("数据来源", "Source"), list(sources), key="source", format_func=sources.__getitem__)
    if source == "demo":
        if st.button(L("打开示例", "Open the demo")):
            set_project(demo_project())
        return
    folders: list[Path] = []

    def keep(upload) -> Path | None:
        """The upload as a file (readers need a path and its suffix), in one folder per load."""
        if upload is None:
            return None
        if not folders:
            folders.append(Path(tempfile.mkdtemp(prefix="planning-upload-")))
        path = folders[0] / upload.name
        path.write_bytes(upload.getvalue())
        return path

    try:
        if source == "gpkg":
            upload = st.file_uploader(L("项目文件", "Project file"), type=["gpkg"])
            if upload is not None and st.button(L("打开", "Open")):
                opened = planning.open_project(keep(upload))
                set_project(opened.project, dict(opened.scenarios))
        else:
            kinds = ["csv", "xlsx", "geojson", "gpkg", "zip"]
            villages = st.file_uploader(L("村庄表", "Villages"), type=kinds)
            schools = st.file_uploader(L("学校表", "Schools"), type=kinds)
            sites = st.file_uploader(L("候选校址（可选）", "Candidate sites (optional)"), type=kinds)
            roads = st.file_uploader(L("道路图层或 OSM 文件", "Road layer or OSM file"),
                                     type=["gpkg", "geojson", "zip", "pbf", "osm", "bz2"])
            if villages and schools and roads and st.button(L("载入", "Load")):
                bar = st.progress(10, text=L("读取与校验", "reading and checking"))
                try:
                    road_path = keep(roads)
                    is_osm = road_path.name.endswith((".pbf", ".osm", ".bz2"))
                    project = planning.from_files(villages=keep(villages), schools=keep(schools),
                                                  sites=keep(sites), roads=None if is_osm else road_path,
                                                  osm=road_path if is_osm else None)
                    bar.progress(60, text=L("计算步行时间", "travel times"))
                    project.travel_times()
                finally:
                    bar.empty()
                set_project(project)
    except planning.PlanningError as exc:  # the validation message (naming the uploaded file), never a traceback
        message = str(exc)
        for folder in folders:
            message = message.replace(f"{folder}{os.sep}", "")
        st.error(message)


def headline_row(result, baseline) -> None:
    for col, h in zip(st.columns(len(logic.HEADLINES)), logic.headlines(result, baseline, st.session_state.lang),
                      strict=True):
        value = f"{h.value:.1f}" if h.key == "mean_walk" else f"{h.value:.0f}"
        delta = None if not h.delta else (f"{h.delta:+.1f}" if h.key == "mean_walk" else f"{h.delta:+.0f}")
        col.metric(h.label, value, delta, delta_color="inverse" if h.lower_is_better else "normal")


def map_tab(project, scenario, result) -> None:
    ss = st.session_state
    left, right = st.columns([3, 1.25])
    with left:
        # Rebuilt each run with the same element names, so an edit only swaps the result layers
        # in the browser (feature_group_to_add). The browser keeps a drawn base map, so a new
        # base (project, level, language, basemap, rings) gets a new key: a fresh map.
        iso = ss.get("isochrone_school")
        base = (ss.project_version, ss.level, ss.lang, ss.basemap, ss.tianditu_key, iso)
        fmap = _local(base_map(project, level=ss.level, lang=ss.lang, basemap=ss.basemap,
                               tianditu_key=ss.tianditu_key, isochrone_school=iso))
        layers = result_layers(project, result, level=ss.level, lang=ss.lang)
        clicked = st_folium(fmap, height=620, use_container_width=True, feature_group_to_add=layers,
                            layer_control=folium.LayerControl(collapsed=True),
                            returned_objects=["last_object_clicked", "last_clicked"], key=f"map-{hash(base)}")
        pick = (clicked or {}).get("last_object_clicked")
        if pick and pick != ss.get("last_pick"):  # a new click on a marker (the value persists across runs)
            ss.last_pick = pick
            ss.picked = logic.nearest_school(result, project, pick["lat"], pick["lng"])
        if clicked and clicked.get("last_clicked"):
            ss.clicked_point = clicked["last_clicked"]
    with right:
        editor(project, scenario, result)


def editor(project, scenario, result) -> None:
    """Pick a school and an edit. The buttons act in callbacks, which run before the next
    script run: an edit costs one run of the app, not two (a button followed by st.rerun)."""
    ss = st.session_state
    st.subheader(L("编辑方案", "Edit the plan"))
    actions = {logic.action_label(a, ss.lang): a for a in logic.ACTIONS}  # label → action (labels as options)
    action = actions[st.selectbox(L("操作", "Action"), list(actions), key="action")]
    choices = (logic.site_choices(scenario) if action == "open_site"
               else logic.school_choices(result, ss.lang))
    if not choices:
        st.info(L("没有可选对象", "nothing to choose"))
        return
    by_label = {label: key for key, label in choices.items()}
    picked = ss.pop("picked", None)
    if picked in choices:  # picked on the map: the box shows it (set before the box is drawn)
        ss.school = choices[picked]
    elif ss.get("school") not in by_label:  # e.g. the chosen school was just closed
        ss.school = next(iter(by_label))
    st.selectbox(L("学校（可在地图上点选）", "School (or click it on the map)"), list(by_label), key="school")
    readers = edit_params(project, result, action, by_label[ss.school])
    st.button(L("应用", "Apply"), type="primary", key="apply", on_click=apply_edit,
              args=(action, by_label, readers))
    if ss.get("edit_error"):
        st.error(ss.edit_error)
    cols = st.columns(2)
    cols[0].button(L("撤销上一步", "Undo"), disabled=not scenario.edits, key="undo", on_click=undo_edit)
    cols[1].button(L("步行圈", "Walking rings"), key="rings", on_click=show_rings,
                   args=(by_label if action != "open_site" else None,))
    # always shown (Markdown), so an edit brings no new kind of element: a first-time element
    # makes the browser fetch its code and redraw the map frame, which doubled the first edit
    st.markdown(L("**本方案的改动**", "**Edits in this plan**") + "\n\n" + logic.plan_log(scenario, ss.lang))
    saved_plans(scenario)
    new_site(project, scenario)
    for note in result.explain(ss.lang)[:8]:
        st.caption("⚠ " + note)


def apply_edit(action: str, by_label: dict, readers: dict) -> None:
    """Apply the edit with the inputs' current values (a callback sees values just typed)."""
    ss = st.session_state
    try:
        ss.scenario = logic.apply_action(ss.scenario, action, by_label[ss.school],
                                         **{name: read() for name, read in readers.items()})
        ss.edit_error = None
    except planning.PlanningError as exc:
        ss.edit_error = str(exc)


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
    with st.expander(L("在地图点击处新建校址", "New site where the map was clicked")):
        if not point:
            st.caption(L("先在地图上点击一个位置", "click a place on the map first"))
            return
        st.caption(f"{point['lat']:.5f}, {point['lng']:.5f}")
        name = st.text_input(L("校址名称", "Site name"), value=L("新校址", "new site"), key="site_name")
        seats = st.number_input(L("学位", "Seats"), min_value=0, value=300, step=10, key="site_seats")
        if st.button(L("新建并启用", "Add and open it"), key="add_site"):
            site_id = logic.new_site_id(project)
            try:
                bigger = project.with_site(site_id, lon=point["lng"], lat=point["lat"], name=name, capacity=seats,
                                           classrooms=max(1, seats // 45), beds=0)
            except planning.PlanningError as exc:
                st.error(str(exc))
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
        st.selectbox(L("并入", "Into"), list(targets), key="into")
        return {"into": lambda: targets[ss["into"]]}
    if action in ("expand", "open_site"):
        opening = action == "open_site"
        st.number_input(L("学位", "Seats"), min_value=0, value=300 if opening else 0, step=10, key=f"{action}_seats")
        st.number_input(L("教室", "Classrooms"), min_value=0, value=6 if opening else 0, key=f"{action}_rooms")
        st.number_input(L("床位", "Beds"), min_value=0, value=0, step=10, key=f"{action}_beds")
        return {"capacity": value(f"{action}_seats"), "classrooms": value(f"{action}_rooms"),
                "beds": value(f"{action}_beds")}
    if action == "add_beds":
        st.number_input(L("新增床位", "Beds to add"), min_value=1, value=50, step=10, key="more_beds")
        return {"beds": value("more_beds")}
    if action == "add_bus":
        names = project.villages["name"]
        st.multiselect(L("校车服务的村庄", "Villages served"), list(names.index), key="bus_villages",
                       format_func=lambda v, names=names: f"{v} {names[v]}")
        st.number_input(L("最长乘车（分钟）", "Longest ride (min)"), min_value=5, value=30, key="bus_ride")
        return {"villages": value("bus_villages"), "max_ride": value("bus_ride")}
    return {}


def saved_plans(scenario) -> None:
    """Name and save the plan; reopen a saved one."""
    ss = st.session_state
    name = st.text_input(L("方案名称", "Plan name"), value=scenario.name)
    if st.button(L("保存方案", "Save the plan"), key="save"):
        ss.saved[name] = scenario.renamed(name)
        ss.scenario = ss.saved[name]
        st.success(L(f"已保存：{name}", f"saved: {name}"))
    if ss.saved:
        reopen = st.selectbox(L("打开已保存方案", "Reopen a saved plan"), list(ss.saved))
        if st.button(L("打开", "Reopen"), key="reopen"):
            ss.scenario = ss.saved[reopen]
            st.rerun()


def compare_tab(project, result, baseline) -> None:
    ss = st.session_state
    names = st.multiselect(L("比较的方案", "Plans to compare"), list(ss.saved), default=list(ss.saved)[:3])
    results = logic.plans_side_by_side(baseline, result, ss.scenario, [ss.saved[n] for n in names],
                                       assignment=ss.assignment, lang=ss.lang)
    result = results[1]
    st.dataframe(logic.display_table(localise(planning.compare(*results), ss.lang)), width="stretch")
    st.markdown(L("**步行时间分布（步行学生）**", "**Walking time, pupils who walk**"))
    st.bar_chart(logic.walk_histogram(results).rename(columns=lambda n: plan_name(n, ss.lang)), stack=False)
    st.markdown(L("**学校在校生**", "**Pupils per school**"))
    st.bar_chart(pd.DataFrame({plan_name(r.name, ss.lang): r.schools["pupils"] for r in results}), stack=False)
    st.markdown(L("**差异地图：与现状相比**", "**Difference map against today**"))
    st_folium(_local(difference_map(project, baseline, result, level=ss.level, lang=ss.lang)), height=480,
              use_container_width=True, returned_objects=[], key="difference_map")
    changes = planning.village_changes(baseline, result)
    st.markdown(L("**受影响的村庄**", "**Villages affected**"))
    st.dataframe(localise(changes[changes["outcome"] != "same"].round(1), ss.lang), width="stretch")


def suggest_tab(project) -> None:
    from planning.optimise import plan

    ss = st.session_state
    goals = {"fewest_schools": L("最少学校（全部在时限内）", "fewest schools (all within limit)"),
             "p_median": L("总步行时间最短（p 所学校）", "least total walking (p schools)"),
             "max_coverage": L("时限内学生最多（p 所学校）", "most pupils within limit (p schools)")}
    goal = st.selectbox(L("目标", "Goal"), list(goals), format_func=goals.__getitem__, key="suggest_goal")
    p = st.number_input("p", min_value=1, value=5, key="suggest_p") if goal != "fewest_schools" else None
    limit = st.number_input(L("步行时限（分钟）", "Walk limit (min)"), min_value=5.0,
                            value=float(project.policy.limit(ss.level)), key="suggest_limit")
    names = {f"{sid} {name}": sid for sid, name in project.schools["name"].items()}
    keep = st.multiselect(L("必须保留", "Must stay open"), list(names), key="suggest_keep")
    close = st.multiselect(L("必须撤并", "Must close"), [n for n in names if n not in keep], key="suggest_close")
    sites = st.checkbox(L("可启用候选校址", "Candidate sites may open"), value=True, key="suggest_sites")
    if st.button(L("推荐方案", "Suggest a plan"), key="suggest"):
        bar = st.progress(10, text=L("精确求解中（HiGHS）…", "solving exactly (HiGHS)…"))
        try:
            ss.suggestion = plan(project, goal, level=ss.level, p=p, limit=limit, keep=[names[k] for k in keep],
                                 close=[names[c] for c in close], sites=sites, solver_seconds=30)
            bar.progress(100, text=L("完成", "done"))
        except planning.PlanningError as exc:
            st.error(str(exc))
        bar.empty()
    suggestion = ss.get("suggestion")
    if suggestion is not None:
        st.dataframe(localise(pd.DataFrame([suggestion.report()]), ss.lang), hide_index=True, width="stretch")
        st.dataframe(localise(suggestion.columns, ss.lang), width="stretch")
        for note in suggestion.explain(ss.lang):
            st.caption("• " + note)
        if st.button(L("采用此方案进行编辑", "Use this plan"), key="use_plan"):
            ss.scenario = suggestion.scenario
            st.rerun()


def policy_tab(project) -> None:
    ss = st.session_state
    policy = project.policy
    cols = st.columns(3)
    primary = cols[0].number_input(L("小学步行时限（分钟）", "Primary walk limit (min)"), value=policy.limit("primary"),
                                   key="policy_primary")
    junior = cols[0].number_input(L("初中步行时限（分钟）", "Junior walk limit (min)"), value=policy.limit("junior"))
    speed = cols[1].number_input(L("步行速度（公里/小时）", "Walking speed (km/h)"), value=policy.walk_speed_kmh, step=0.5)
    board = cols[1].number_input(L("最低寄宿年级", "Lowest grade that may board"), value=policy.boarding_min_grade,
                                 min_value=1, max_value=9)
    class_p = cols[2].number_input(L("小学班额", "Primary class size"), value=float(policy.class_size["primary"]))
    class_j = cols[2].number_input(L("初中班额", "Junior class size"), value=float(policy.class_size["junior"]))
    if st.button(L("应用政策", "Apply the policy"), key="policy"):
        try:
            new = policy.replace(walk_limit_minutes={"primary": primary, "junior": junior}, walk_speed_kmh=speed,
                                 boarding_min_grade=int(board), class_size={"primary": class_p, "junior": class_j})
        except planning.ValidationError as exc:
            st.error(str(exc))
        else:
            rebind(project.with_policy(new))
            st.rerun()
    st.dataframe(logic.policy_rows(policy, ss.lang), width="stretch", hide_index=True)


def export_tab(project, result, baseline) -> None:
    """Downloads are made when clicked (callables), not on every rerun."""
    ss = st.session_state
    paper = st.radio(L("纸张", "Paper"), ["A4", "A3"], horizontal=True)
    level, lang, basemap, key = ss.level, ss.lang, ss.basemap, ss.tianditu_key
    current, assignment, kept = ss.scenario, ss.assignment, list(ss.saved.values())
    saved = kept or [current]  # the project file holds the saved plans, or the plan on the map

    def in_folder(make) -> bytes:
        with tempfile.TemporaryDirectory(prefix="planning-export-") as folder:
            return make(Path(folder)).read_bytes()

    cols = st.columns(3)
    cols[0].download_button(L("交互地图 HTML", "Interactive map (HTML)"), mime="text/html", file_name="map.html",
                            data=lambda: standalone_html(result_map(project, result, level=level, lang=lang,
                                                                    basemap=basemap, tianditu_key=key)))
    cols[0].download_button(L("打印地图 PDF", "Printed map (PDF)"), mime="application/pdf", file_name="map.pdf",
                            data=lambda: in_folder(lambda f: print_map(project, result, f / "map.pdf", level=level,
                                                                       lang=lang, paper=paper)))
    cols[0].download_button(L("打印地图 PNG", "Printed map (PNG)"), mime="image/png", file_name="map.png",
                            data=lambda: in_folder(lambda f: print_map(project, result, f / "map.png", level=level,
                                                                       lang=lang, paper=paper, dpi=150)))
    cols[1].download_button(L("Excel 报告", "Excel report"), file_name="report.xlsx",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            data=lambda: in_folder(lambda f: excel_report(  # every plan, side by side
                                project, logic.plans_side_by_side(baseline, result, current, kept,
                                                                  assignment=assignment, lang=lang),
                                f / "report.xlsx", lang=lang)))
    cols[1].download_button(L("结果 GeoPackage (QGIS)", "Results GeoPackage (QGIS)"), file_name="results.gpkg",
                            data=lambda: in_folder(lambda f: results_gpkg(project, [result], f / "results.gpkg")))
    cols[2].download_button(L("项目文件（含已保存方案）", "Project file (with saved plans)"), file_name="project.gpkg",
                            data=lambda: in_folder(lambda f: planning.save_project(
                                f / "project.gpkg", project, scenarios=saved, results=[result])))


def main() -> None:
    init_state()
    sidebar()
    ss = st.session_state
    project, scenario = ss.project, ss.scenario
    st.title(f"{t('title', ss.lang)} · {project.name}")
    view_of = logic.evaluate_plan(project, scenario, ss.assignment)
    baseline, result = view_of.baseline, view_of.result
    for note in view_of.notes(ss.lang):
        st.warning(note)
    headline_row(result, baseline)
    views = {"map": L("地图与编辑", "Map & edit"), "compare": L("方案比较", "Compare"),
             "suggest": L("推荐方案", "Suggest a plan"), "policy": L("政策参数", "Policy"), "export": L("导出", "Export")}
    # only the chosen view runs (st.tabs would compute every tab on every edit)
    view = st.segmented_control(L("视图", "View"), list(views), format_func=views.__getitem__, key="view",
                                default="map", label_visibility="collapsed") or "map"
    if view == "map":
        map_tab(project, scenario, result)
    elif view == "compare":
        compare_tab(project, result, baseline)
    elif view == "suggest":
        suggest_tab(project)
    elif view == "policy":
        policy_tab(project)
    else:
        export_tab(project, result, baseline)
    if project.network.attribution:
        st.caption(project.network.attribution)


main()
