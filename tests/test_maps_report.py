"""Maps (folium, plain Python) and printable reports, in Chinese and English."""

from __future__ import annotations

import os
import re
from html import escape

import folium
import pandas as pd
import pyogrio
import pytest

import planning
from planning.errors import PlanningError
from planning.i18n import shown_names, t
from planning.maps import COLOURS, base_map, isochrones, result_layers, result_map, walk_class
from planning.report import cjk_font, excel_report, print_map, results_gpkg

from .demo_facts import schools_open_after

CONSOLIDATE_5 = planning.load.DEMO_FOLDER / "scenarios" / "consolidate_5.yaml"


def require_cjk_font() -> None:
    try:
        cjk_font()
    except PlanningError as exc:
        if os.environ.get("CI"):  # CI installs it (make test): a missing font there is a failure
            raise
        pytest.skip(f"no Chinese font here: {exc}")


def geojson_features(group: folium.FeatureGroup) -> list[tuple[dict, dict, str]]:
    """(geometry, style, tooltip) of each feature of a layer made by planning.maps."""
    (layer,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    return [(f["geometry"], layer.style_function(f), f["properties"]["tip"]) for f in layer.data["features"]]


def test_walk_classes_follow_the_policy_limit():
    minutes = pd.Series([10.0, 35.0, 45.0, 70.0, 90.0])
    mode = pd.Series(["walk", "walk", "walk", "bus", "unserved"])
    assert walk_class(minutes, mode, 40).tolist() == ["short", "limit", "beyond", "bus", "unserved"]
    assert walk_class(minutes, mode, 50).tolist() == ["short", "limit", "limit", "bus", "unserved"]
    assert walk_class(pd.Series([5.0]), pd.Series([None]), 40).tolist() == ["unknown"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_result_map_has_villages_schools_legend_and_status(demo, lang):
    plan = planning.Scenario.from_file(CONSOLIDATE_5, demo)
    result = plan.evaluate("zoned")
    fmap = result_map(demo, result, lang=lang, level="primary")
    assert isinstance(fmap, folium.Map)
    html = fmap.get_root().render()
    assert 'id="planning-legend"' in html
    assert escape(t("map.walk_beyond", lang, limit=40)) in html and t("map.bus", lang) in html
    assert t("synthetic", lang) in html
    assert "new L.CircleMarker" in html and "bindTooltip(feature.properties.tip)" in html
    assert "tile.openstreetmap" not in html  # no basemap: works offline
    # one feature per village and school, each styled from the result
    layers = {group.layer_name: geojson_features(group) for group in result_layers(demo, result, lang=lang)}
    villages, schools = layers[t("map.villages", lang)], layers[t("map.schools", lang)]
    assert len(villages) == len(demo.villages) and len(schools) == len(result.schools)
    flows = result.villages.xs("primary", level="level")
    shown = shown_names(demo.villages, lang)  # in English the pinyin where given
    for (_, style, tip), (vid, row) in zip(villages, flows.iterrows(), strict=True):
        assert vid in tip and escape(shown[vid]) in tip
        assert style["fillColor"] == COLOURS[walk_class(pd.Series([row["minutes"]]), pd.Series([row["mode"]]), 40)[0]]
    closed = [tip for _, style, tip in schools if "line-through" in style["html"]]
    assert len(closed) == int((~result.schools["open"].astype(bool)).sum()) > 0
    assert any(t("status.merged", lang) in tip for tip in closed)  # merged schools are marked as such


def test_the_base_map_is_the_same_on_every_build(demo):
    """The app rebuilds it on every run; the browser keeps the drawn map only if it is identical."""
    first = base_map(demo, isochrone_school="S01").get_root().render()
    assert first == base_map(demo, isochrone_school="S01").get_root().render()
    assert first != base_map(demo, lang="en", isochrone_school="S01").get_root().render()


def test_basemaps_and_attribution(demo, liechtenstein):
    osm = result_map(demo, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in osm and "OpenStreetMap contributors" in osm
    tianditu = result_map(demo, basemap="tianditu", tianditu_key="abc123").get_root().render()
    assert "tianditu.gov.cn" in tianditu and "tk=abc123" in tianditu
    with pytest.raises(ValueError, match="Tianditu basemap needs a key"):
        result_map(demo, basemap="tianditu")
    real = result_map(liechtenstein, lang="en", show_zoning=False).get_root().render()
    assert "© OpenStreetMap contributors" in real  # OSM data: attribution even without tiles
    assert "pupils unknown" in real  # Malbun and the other places without a population tag


def test_catchments_hold_their_villages_and_the_difference_map(demo):
    from planning.maps import catchments, difference_map, village_table

    today = planning.baseline(demo)
    result = planning.Scenario(demo, "x").close("S05").evaluate()
    villages = village_table(demo, result)
    areas = catchments(demo, villages)
    for _, row in villages.iterrows():
        assert areas[row["school"]].contains(row.geometry)
    assert "S05" not in areas  # closed: no catchment
    fmap = difference_map(demo, today, result, lang="en")
    (changes,) = [g for g in fmap._children.values() if getattr(g, "layer_name", None) == "Changes"]
    tips = [tip for _, _, tip in geojson_features(changes)]
    taught = today.villages.xs("primary", level="level")
    ids = taught.index[taught["school"] == "S05"]  # the villages S05 teaches today, by their English names
    names = [escape(name) for name in shown_names(demo.villages, "en")[ids]]
    assert len(names) > 0 and all(any("loses its school" in tip and name in tip for tip in tips) for name in names)
    html = fmap.get_root().render()  # the layer control names only layers already drawn (else Leaflet fails)
    control = html.index("L.control.layers")
    listed = re.findall(r'" : (\w+),', html[html.rindex("overlays", 0, control):control])
    assert len(listed) == 4 and all(html.index(f"var {name} =") < control for name in listed)


def test_isochrone_rings_grow_and_hold_the_school(demo):
    rings = isochrones(demo, "S01", (20, 30, 40))
    assert list(rings) == [20, 30, 40]
    assert rings[20].area < rings[30].area < rings[40].area
    assert rings[20].contains(demo.schools.geometry["S01"])
    html = result_map(demo, isochrone_school="S01", lang="en").get_root().render()
    assert "30-minute walk" in html


def test_printed_map_pdf_in_chinese_and_png_in_english(demo, tmp_path):
    require_cjk_font()
    plan = planning.Scenario.from_file(CONSOLIDATE_5, demo)
    result = plan.evaluate("zoned")
    pdf = print_map(demo, tmp_path / "plan.pdf", result=result, lang="zh", paper="A3")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert cjk_font().replace(" ", "").encode() in data  # the Chinese font is embedded (as a subset)
    png = print_map(demo, tmp_path / "today.png", lang="en", paper="A4", dpi=80)  # today by default
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="save the map as .pdf or .png"):
        print_map(demo, tmp_path / "map.jpg")


def test_excel_report_and_results_geopackage(demo, tmp_path):
    today = planning.baseline(demo, "zoned")
    plan = planning.Scenario.from_file(CONSOLIDATE_5, demo)
    result = plan.evaluate("zoned")
    path = excel_report(demo, [today, result], tmp_path / "report.xlsx", lang="zh")
    with pd.ExcelFile(path) as book:
        assert book.sheet_names[:4] == ["方案", "汇总", "现状 学校", "现状 村庄"]
        plans = pd.read_excel(book, "方案", index_col=0)
        assert {"撤并为5所 超时限村庄", "撤并为5所 均衡", "撤并为5所 改动"} <= set(book.sheet_names)
        summary = pd.read_excel(book, "汇总", index_col=0)
        schools = pd.read_excel(book, "撤并为5所 学校", header=2)  # below the sheet's title
        changes = pd.read_excel(book, "撤并为5所 改动", header=2)
        late = pd.read_excel(book, "撤并为5所 超时限村庄", header=2)
        title = pd.read_excel(book, "撤并为5所 学校", header=None, nrows=1).iloc[0, 0]
    open_today, open_after = len(demo.schools), schools_open_after(CONSOLIDATE_5, demo)
    assert summary.loc["开办学校"].tolist() == [open_today, open_after]
    assert plans["分配方式"].tolist() == ["整村划片"] * 2 and plans["求解状态"].tolist() == ["最优（已证明）"] * 2
    assert plans["改动数"].tolist() == [0, len(plan.edits)]
    assert plans.index.tolist() == ["现状", "撤并为5所"] and title == "方案：撤并为5所（学校）"
    assert {"名称", "类型", "状态", "学位使用率", "教室缺口", "1年级"} <= set(schools.columns)
    assert set(schools["状态"]) == {"保留", "并入他校"} and "中心小学" in set(schools["类型"])
    assert changes["改动"].iloc[0] == "S08 溪口村完小 并入 S04 石门村完小"
    assert set(late["上学方式"]) <= {"校车", "寄宿", "无法就学"} and len(late) > 0  # only villages not walking
    english = excel_report(demo, [today, result], tmp_path / "report-en.xlsx", lang="en")
    with pd.ExcelFile(english) as book:
        assert book.sheet_names[:4] == ["plans", "summary", "today schools", "today villages"]
        summary = pd.read_excel(book, "summary", index_col=0)
        changes = pd.read_excel(book, "撤并为5所 changes", header=2)
    assert summary.loc["schools open"].tolist() == [open_today, open_after]
    assert changes["change"].iloc[0] == "merge S08 Xikou Village Primary into S04 Shimen Village Primary"
    gpkg = results_gpkg(demo, [result], tmp_path / "results.gpkg")
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers["撤并为5所_villages"] == "Point"
