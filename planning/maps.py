"""Folium maps of a project and a scenario result. Never imports streamlit: the app shows
these maps, the tests check them in plain Python, and they save as standalone HTML.

Villages are circles sized by pupils and coloured by the walk to their school (≤ 30 min,
≤ the limit, beyond, or by bus, boarding, unserved); schools are marked by type (shape) and
status (colour), ringed in red when they have more pupils than seats; lines join each
village to its school; isochrone rings show how far one can walk to a chosen school. Names
of schools and villages show once zoomed in far enough for them not to crowd
(:func:`name_zooms`); the legend folds away ("图例 / Legend", folded at first on a narrow
map, or where open it would shrink the villages) and the scale is metric. The first view
fits every village, none under the legend or the scale. Basemaps: none (roads only, works offline), OpenStreetMap
tiles, or Tianditu (天地图) with the user's key.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template

from .changes import OUTCOMES, village_changes
from .errors import ValidationError
from .evaluate import Result
from .i18n import (
    Message,
    level_name,
    place_words,
    plan_name,
    school_type,
    shown_names,
    t,
    target_names,
    with_names,
)
from .load import county_name, is_demo
from .project import Project
from .routes import trip_lines
from .scenario import baseline
from .teachers import Alliances
from .terrain import elevation_source
from .traveltime import travel_time_matrix

COLOURS = {"short": "#1a9850", "limit": "#fdae61", "beyond": "#d73027", "bus": "#4575b4",
           "board": "#762a83", "unserved": "#000000", "unknown": "#bdbdbd"}
STATUS_COLOURS = {"open": "#2166ac", "new": "#1b7837", "teaching point": "#8c6bb1", "closed": "#969696",
                  "merged": "#525252", "not counted": "#bdbdbd"}  # closed and merged told apart in a key
TYPE_SHAPES = {"central_primary": "■", "village_primary": "●", "teaching_point": "▲", "junior_secondary": "◆",
               "nine_year": "★", "unknown": "●", "other": "○"}
BASEMAPS = ("none", "osm", "tianditu")
TIANDITU = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")


def walk_class(minutes: pd.Series, mode: pd.Series, limit: float, short: float = 30.0) -> pd.Series:
    """Colour class of each village: short, limit, beyond (walking) or its mode."""
    mode = mode.astype(object)
    walk = np.where(minutes <= short, "short", np.where(minutes <= limit, "limit", "beyond"))
    out = np.where(mode == "walk", walk, mode.astype(str))
    return pd.Series(np.where(mode.isna(), "unknown", out), index=minutes.index)  # no pupils known: no flows


def village_table(project: Project, result: Result | None = None, *, level: str = "primary") -> gpd.GeoDataFrame:
    """Per village of a level, with its location (WGS84): pupils, school, minutes, mode
    (today's layout when no result)."""
    result = result if result is not None else baseline(project)
    rows = result.villages.xs(level, level="level").reindex(project.villages.index)
    return gpd.GeoDataFrame(rows, geometry=project.villages.geometry, crs=4326)


def result_map(project: Project, result: Result | None = None, *, level: str = "primary", lang: str = "zh", basemap: str = "none",
               tianditu_key: str | None = None, isochrone_school: str | None = None,
               isochrone_minutes: Sequence[float] = (20, 30, 40), show_roads: bool = True, show_zoning: bool = True,
               show_catchments: bool = True, title: str | None = None,
               more_layers: Sequence[folium.FeatureGroup] = (), legend: str | None = None,
               county: str | None = None) -> folium.Map:
    """An interactive map of a result (today's layout when ``result`` is None).

    The page's title (what a browser tab and a saved HTML file show) is "county · plan" in
    ``lang`` (the demo's name in that language, today's layout as 现状 / today; the
    planner's own names as given; ``county`` for the county when given).

    Parameters
    ----------
    level
        "primary" or "junior": which pupils the villages show.
    lang
        "zh" or "en" for legend and tooltips.
    basemap
        "none" (roads only; works offline), "osm" or "tianditu" (needs ``tianditu_key``).
    isochrone_school
        Draw walking rings (``isochrone_minutes``) around this school.
    more_layers
        Further layers (folium feature groups) to draw on top, listed in the layer control.
    legend
        The legend's html instead of :func:`legend_html` (as :func:`difference_map` gives).
    county
        The county's name in the page's title (the project's name, or the demo's in
        ``lang``, when None or blank).
    """
    result = result if result is not None else baseline(project)
    fmap = base_map(project, level=level, lang=lang, basemap=basemap, tianditu_key=tianditu_key,
                    isochrone_school=isochrone_school, isochrone_minutes=isochrone_minutes, show_roads=show_roads,
                    title=title or result.name, legend=legend)
    fmap.get_root().title = escape(  # type: ignore[attr-defined]
        f"{county_name(project, lang, given=county)} · {plan_name(result.name, lang)}")
    for layer in result_layers(project, result, level=level, lang=lang, show_zoning=show_zoning,
                               show_catchments=show_catchments):
        layer.add_to(fmap)
    for layer in more_layers:
        layer.add_to(fmap)
    _layer_control(fmap, lang)  # last: its script names every layer before it
    return fmap


def base_map(project: Project, *, level: str = "primary", lang: str = "zh", basemap: str = "none",
             tianditu_key: str | None = None, isochrone_school: str | None = None,
             isochrone_minutes: Sequence[float] = (20, 30, 40), show_roads: bool = True, title: str = "",
             legend: str | None = None) -> folium.Map:
    """What does not change with a scenario: basemap, roads, isochrone rings, villages'
    names, legend, metric scale.

    Its elements get fixed names, so the same settings give the same map script on every
    build: the app rebuilds it on each run and the browser, seeing the same script, keeps
    the drawn map and only swaps the :func:`result_layers` of an edit.
    """
    fmap = _empty_map(project, basemap=basemap, tianditu_key=tianditu_key, lang=lang, show_roads=show_roads)
    if isochrone_school is not None:
        _isochrones(fmap, project, isochrone_school, isochrone_minutes, lang)
    names = _village_names(fmap, project, lang)
    box = project.villages.total_bounds
    bounds = [[float(box[1]), float(box[0])], [float(box[3]), float(box[2])]]
    fmap.get_root().html.add_child(  # type: ignore[attr-defined]  # the root is a folium Figure
        folium.Element(legend if legend is not None else legend_html(project, lang=lang, level=level, title=title)))
    school_zoom, village_zoom = name_zooms(project)
    _MapScript(bounds=bounds, school_zoom=school_zoom, village_zoom=village_zoom, names=names).add_to(fmap)
    for number, element in enumerate(_elements(fmap)):  # fixed names instead of random ones
        element._id = f"base{number}"
    return fmap


#: Below this width (pixels) the map opens with its legend folded (a click on "图例 / Legend" opens it).
NARROW_MAP = 700
#: The first view's margin around the villages' box (pixels): a village's circle and a school's
#: ring drawn whole at the edge of the map and beside the legend.
FIT_MARGIN = 24
#: The first view's margins left and right of the villages' box (pixels): room for the names
#: beside the outermost markers (villages' names to their left, schools' to their right:
#: about three and six Chinese characters), not cut at the map's edge.
FIT_SIDES = (40, 80)
#: On a wide map the legend opens at first only if the villages, fitted beside or above it, keep
#: at least this share of the size (pixels per metre) they have with it folded.
LEGEND_ROOM = 0.95

#: Styles of the map's legend, names and markers (in the page's head).
MAP_CSS = """<style>
.planning-legend { display: none; }
.planning-legend.leaflet-control { display: block; background: rgba(255,255,255,0.94); padding: 4px 8px;
  border: 1px solid #999; border-radius: 4px; font: 11px/1.3 sans-serif; max-width: 240px;
  max-height: calc(100vh - 110px); overflow-y: auto; margin-bottom: 4px; }
.planning-legend summary { cursor: pointer; font-weight: bold; padding: 2px 0; }
.planning-legend h4 { margin: 4px 0 1px; font-size: 11px; }
.planning-legend .note { color: #555; margin-top: 4px; }
.planning-swatch { display: inline-block; width: 11px; height: 11px; border-radius: 6px; margin-right: 5px;
  border: 1px solid #333; vertical-align: -1px; }
.planning-bar { display: inline-block; width: 16px; height: 7px; margin-right: 5px; vertical-align: 1px; }
.planning-shape { display: inline-block; width: 16px; text-align: center; color: #333; }
.planning-mark { position: relative; font-size: 20px; line-height: 24px; text-shadow: 0 0 2px #fff, 0 0 3px #fff; }
.planning-over { position: absolute; left: -5px; top: -2px; width: 24px; height: 24px; border: 3px solid #d7191c;
  border-radius: 50%; box-shadow: 0 0 0 1px #fff; }
.planning-name { display: none; position: absolute; white-space: nowrap; font: bold 12px sans-serif; color: #222;
  text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; pointer-events: none; }
.planning-school-name { left: 22px; top: 2px; }
.planning-name.planning-closed { color: #969696; font-weight: normal; }
.planning-closed .planning-struck { text-decoration: line-through; }
.planning-village-name { right: 9px; top: -8px; font-weight: normal; font-size: 11px; color: #333; }
.planning-school-names .planning-school-name, .planning-village-names .planning-village-name { display: block; }
</style>"""


class _Scale(MacroElement):
    """A scale bar in metres and kilometres only (Leaflet's default adds miles and feet)."""

    _template = Template("""
{% macro script(this, kwargs) %}
L.control.scale({imperial: false, metric: true, maxWidth: 160}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "Scale"


class _Attribution(MacroElement):
    """A credit in the map's attribution line (bottom right), e.g. for OpenStreetMap data."""

    _template = Template("""
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text }});
{% endmacro %}
""")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = _js(text)


class _ControlTitle(MacroElement):
    """The tooltip of the layer control's folded button in the map's language (Leaflet's own
    says "Layers"): set on every layer control of the map, including one added after the
    map is drawn (streamlit-folium adds the app's own when it shows the map)."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map, text) {
    var corner = map.getContainer().querySelector(".leaflet-control-container");
    function name() {
        corner.querySelectorAll(".leaflet-control-layers-toggle").forEach(function (b) {
            if (b.title !== text) { b.title = text; } });
    }
    name();
    new MutationObserver(name).observe(corner, {childList: true, subtree: true});
})({{ this._parent.get_name() }}, {{ this.text }});
{% endmacro %}
""")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "ControlTitle"
        self.text = _js(text)


def _layer_control(fmap: folium.Map, lang: str) -> None:
    """The layer control (folded); its button's tooltip is set by :class:`_ControlTitle`,
    which every map has (:func:`_empty_map`)."""
    folium.LayerControl(collapsed=True).add_to(fmap)


class _MapScript(MacroElement):
    """What the map does once drawn: the legend (``#planning-legend``) moved into a Leaflet
    control at the bottom left, above the scale (:class:`_Scale`); the first view; and on every
    zoom the classes that show schools' and villages' names (``planning-school-names``,
    ``planning-village-names`` on the map's container) from :func:`name_zooms`, the villages'
    names' layer (``names``) put on the map only then.

    The first view shows every village, none under the bottom-left corner (the legend and the
    scale bar) and none cut at an edge (:data:`FIT_MARGIN`, :data:`FIT_SIDES` for the names beside
    the outermost markers): the villages' box is fitted beside
    that corner or above it, whichever draws it larger. The legend opens at first on a map at
    least :data:`NARROW_MAP` wide only when, open, it leaves the villages at least
    :data:`LEGEND_ROOM` of the size they have with it folded (a big county fills the map, its
    legend a click away); the view is fitted again when the map's frame changes size before
    the planner has moved or zoomed it.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map) {
    var legend = document.getElementById("planning-legend");
    if (legend) {
        var Legend = L.Control.extend({options: {position: "bottomleft"}, onAdd: function () {
            L.DomEvent.disableClickPropagation(legend);
            L.DomEvent.disableScrollPropagation(legend);
            return legend;
        }});
        new Legend().addTo(map);
    }
    var bounds = L.latLngBounds({{ this.bounds }}), margin = {{ this.margin }};
    var left = {{ this.sides[0] }}, rightSide = {{ this.sides[1] }};  // room for the names at the edges
    var span = map.project(bounds.getNorthEast(), 0).subtract(map.project(bounds.getSouthWest(), 0));
    span = L.point(Math.max(Math.abs(span.x), 1e-9), Math.max(Math.abs(span.y), 1e-9));
    function fit() {  // the villages' box beside or above the bottom-left corner, whichever draws it larger
        var size = map.getSize(), frame = map.getContainer().getBoundingClientRect(), right = 0, top = size.y;
        if (legend) { legend.style.maxHeight = Math.max(size.y - 110, 60) + "px"; }  // the map's height, not the frame's
        var corner = map.getContainer().querySelectorAll(".leaflet-bottom.leaflet-left > .leaflet-control");
        for (var k = 0; k < corner.length; k++) {  // the legend and the scale bar
            var box = corner[k].getBoundingClientRect();
            right = Math.max(right, box.right - frame.left);
            top = Math.min(top, box.top - frame.top);
        }
        var room = function (x, y) { return Math.min((size.x - x) / span.x, (size.y - y) / span.y); };
        var beside = room(right + left + rightSide, 2 * margin), above = room(left + rightSide, size.y - top + 2 * margin);
        return beside >= above
            ? {room: beside, view: {paddingTopLeft: [right + left, margin], paddingBottomRight: [rightSide, margin]}}
            : {room: above, view: {paddingTopLeft: [left, margin], paddingBottomRight: [rightSide, size.y - top + margin]}};
    }
    function show() {  // at the zoom that fits exactly (not a multiple of the zoom step, which may lose a fifth)
        var snap = map.options.zoomSnap;
        map.options.zoomSnap = 0;
        fitting = true;
        map.fitBounds(bounds, L.extend({animate: false}, fit().view));
        fitting = false;
        map.options.zoomSnap = snap;
    }
    var moved = false, fitting = false, tries = 0, corners = map.getContainer().querySelector(".leaflet-bottom");
    function first() {  // once Leaflet's styles apply (they may come after this script): before, nothing has its place
        var ready = map.getContainer().clientWidth > 0 && getComputedStyle(corners).position === "absolute";
        if (!ready && ++tries < 100) { setTimeout(first, 50); return; }
        map.invalidateSize({pan: false});
        frame();
        map.getContainer().setAttribute("data-planning-framed", "1");  // the first view is set
        map.on("resize", function () { if (!moved) { frame(); } });  // the frame's new size, the planner not yet there
    }
    function frame() {
        if (legend) {
            legend.open = true;
            var open = fit();
            legend.open = false;  // folded at first on a narrow map, or where it would shrink the villages
            var folded = fit();
            legend.open = map.getSize().x >= {{ this.narrow }} && open.room >= {{ this.legend_room }} * folded.room;
        }
        show();
    }
    map.on("movestart zoomstart", function () { if (!fitting) { moved = true; } });  // the planner's pan or zoom
    var summary = legend && legend.querySelector("summary");  // the planner's fold or unfold stays
    if (summary) { summary.addEventListener("click", function () { moved = true; }); }
    first();
    function planningNames() {
        var zoom = map.getZoom(), classes = map.getContainer().classList;
        classes.toggle("planning-school-names", zoom >= {{ this.school_zoom }});
        classes.toggle("planning-village-names", zoom >= {{ this.village_zoom }});
        {%- if this.names %}
        if (zoom >= {{ this.village_zoom }}) { map.addLayer({{ this.names.get_name() }}); }
        else { map.removeLayer({{ this.names.get_name() }}); }  // thousands of labels: only on the map when shown
        {%- endif %}
    }
    map.on("zoomend", planningNames);
    planningNames();
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, *, bounds: list[list[float]], school_zoom: float, village_zoom: float,
                 names: _Layer | None) -> None:
        super().__init__()
        self._name = "PlanningMapScript"
        self.school_zoom, self.village_zoom, self.narrow = school_zoom, village_zoom, NARROW_MAP
        self.margin, self.sides, self.legend_room = FIT_MARGIN, FIT_SIDES, LEGEND_ROOM
        self.bounds = _js(bounds)
        self.names = names


def _empty_map(project: Project, *, basemap: str, tianditu_key: str | None, lang: str, show_roads: bool
               ) -> folium.Map:
    """A map centred on the project's villages with its basemap and, with ``show_roads``, its roads."""
    if basemap not in BASEMAPS:
        raise ValueError(f"`basemap` was {basemap!r} but is expected to be one of {list(BASEMAPS)}")
    if basemap == "tianditu" and not tianditu_key:
        raise ValidationError(Message("error.tianditu_key"))
    bounds = project.villages.total_bounds
    fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], tiles=None,
                      control_scale=False, prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)
    _basemap(fmap, basemap, tianditu_key, lang)
    _Scale().add_to(fmap)
    _ControlTitle(t("map.layers", lang)).add_to(fmap)  # ours and the app's (streamlit-folium's) layer control
    if project.network.attribution and basemap != "osm":  # OSM roads: credited where the map's credits are
        _Attribution(t("osm_attribution", lang)).add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(MAP_CSS), name="planning_css")  # type: ignore[attr-defined]
    if show_roads:
        _roads(fmap, project, lang)
    return fmap


def result_layers(project: Project, result: Result, *, level: str = "primary", lang: str = "zh", show_zoning: bool = True,
                  show_catchments: bool = True) -> list[folium.FeatureGroup]:
    """The layers a scenario changes: catchments, zoning lines, villages, schools."""
    words = place_words(project, lang)  # names as the plan report prints them (pinyin in English)
    villages = with_names(village_table(project, result, level=level), words)
    villages["class"] = walk_class(villages["minutes"], villages["mode"], project.policy.limit(level))
    schools = with_names(result.schools, words)
    holder = folium.Map(tiles=None)  # the builders add groups to a map; take them back from it
    if show_catchments:
        _catchments(holder, project, villages, schools, lang)
    if show_zoning:
        _zoning(holder, project, villages, lang)
    _villages(holder, villages, lang, limit=project.policy.limit(level))
    _schools(holder, project, schools, lang)
    return [child for child in holder._children.values() if isinstance(child, folium.FeatureGroup)]


def _basemap(fmap: folium.Map, basemap: str, key: str | None, lang: str) -> None:
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", attr=t("osm_attribution", "en"), name="OpenStreetMap").add_to(fmap)
    elif basemap == "tianditu":
        for layer, name in (("vec", "map.tianditu"), ("cva", "map.tianditu_labels")):
            folium.TileLayer(TIANDITU.format(layer=layer, key=key), attr=t("map.tianditu_attribution", lang),
                             name=t(name, lang), subdomains="01234567", overlay=layer == "cva").add_to(fmap)


def _roads(fmap: folium.Map, project: Project, lang: str) -> None:
    roads = project.network.to_gdf().to_crs(4326)
    lines = shapely.get_coordinates(roads.geometry.to_numpy()).reshape(-1, 2, 2)[:, :, ::-1]
    group = folium.FeatureGroup(name=t("map.roads", lang))
    folium.PolyLine(lines.tolist(), color="#737373", weight=1.2, opacity=0.8).add_to(group)
    group.add_to(fmap)


def _zoning(fmap: folium.Map, project: Project, villages: gpd.GeoDataFrame, lang: str) -> None:
    """Each village's line to its school: along the roads its pupils walk or the bus drives
    (:func:`planning.routes.trip_lines`), straight for boarders."""
    trips = trip_lines(project, villages, crs=4326)
    served = villages.loc[trips.index]
    schools = target_names(project, lang)
    features = []
    for line, kind, name, school, mode, along, length, minutes, walk, unserved in zip(
            trips.geometry, served["class"].tolist(), served["name"].tolist(), trips["school"].tolist(),
            trips["mode"].tolist(), trips["along_roads"].tolist(), trips["route_km"].tolist(),
            trips["route_minutes"].tolist(), served["road_walk_minutes"].tolist(), served["unserved"].tolist(),
            strict=True):
        words = {"village": name, "school": schools.get(school, school)}
        km, shown = f"{length:.{1 if length >= 1 else 2}f}", f"{minutes:.0f}" if minutes >= 0.5 else "<1"  # not "0 min"
        if along:  # a bus rider's walk to the pick-up is part of the trip
            tip = t(f"map.trip_{mode}", lang, **words, km=km, minutes=shown, walk=f"{walk:.0f}")
        elif mode in ("board", "unserved"):
            tip = t(f"map.trip_{mode}", lang, **words, pupils=f"{unserved:.0f}")
        else:
            tip = t("map.trip_plain", lang, **words)
        features.append((line, {"color": COLOURS[kind], "weight": 1.5, "opacity": 0.6, "dashArray": "4 4"},
                         escape(tip)))
    _feature_layer(t("map.zoning", lang), features).add_to(fmap)


Feature = tuple[shapely.Geometry, Mapping[str, object], str]


def _feature_layer(name: str, features: Iterable[Feature], *, icon: Mapping[str, object] | None = None,
                   interactive: bool = True) -> folium.FeatureGroup:
    """One GeoJSON layer for many features, each ``(geometry, style, tooltip html)``.

    Points are circle markers styled by ``style``, or, with ``icon`` (Leaflet ``divIcon``
    options), markers whose icon's html is ``style["html"]``. The features go to the browser
    as one JSON text drawn by one Leaflet loop (:class:`_Layer`): folium compiles the output of
    every element as a Jinja template when it renders, so a marker plus a tooltip per village
    (the obvious way) takes 1.6 s per edit for 1,000 villages (benchmarks/maps.py), and even
    folium's own GeoJson styles and writes each feature one by one.
    """
    group = folium.FeatureGroup(name=name)
    features = list(features)
    if features:
        _Layer(features, icon=icon, interactive=interactive).add_to(group)
    return group


class _Layer(folium.GeoJson):
    """Features sent as one JSON text with a table of their styles; drawn by one Leaflet
    ``L.geoJson`` call. A ``folium.GeoJson`` for code that looks at layers (``data``,
    ``style_function``), but rendered without folium's per-feature work."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }}_styles = {{ this.styles }};
var {{ this.get_name() }} = L.geoJson({{ this.text }}, {
    style: function (feature) { return {{ this.get_name() }}_styles[feature.properties.s]; },
    pointToLayer: function (feature, latlng) {
        var style = {{ this.get_name() }}_styles[feature.properties.s];
        {%- if this.icon %}
        return new L.Marker(latlng, {icon: L.divIcon(Object.assign({html: style.html}, {{ this.icon }})),
                                     interactive: {{ this.interactive }}, keyboard: false});
        {%- else %}
        return new L.CircleMarker(latlng, style);
        {%- endif %}
    },
    onEachFeature: function (feature, layer) { if (feature.properties.tip) { layer.bindTooltip(feature.properties.tip); } }
}){% if this.add %}.addTo({{ this._parent.get_name() }}){% endif %};
{% endmacro %}
""")

    def __init__(self, features: Sequence[Feature], *, icon: Mapping[str, object] | None, interactive: bool,
                 add: bool = True) -> None:
        MacroElement.__init__(self)
        self.add = add
        self._name = "GeoJson"
        self.layer_name, self.overlay, self.control, self.show = self.get_name(), True, False, True
        table: dict[tuple[tuple[str, object], ...], int] = {}
        numbers = []
        for _, style, _ in features:
            numbers.append(table.setdefault(tuple(sorted(style.items())), len(table)))
        self.style_list = [dict(items) for items in table]
        geometries = shapely.to_geojson(shapely.set_precision(  # 1e-6° (0.1 m) is plenty on screen: a smaller page
            np.asarray([f[0] for f in features], dtype=object), 1e-6))
        self.text = "{\"type\":\"FeatureCollection\",\"features\":[" + ",".join(
            f'{{"type":"Feature","id":"{n}","properties":{{"tip":{_js(tip)},"s":{s}}},"geometry":{g}}}'
            for n, (g, s, (_, _, tip)) in enumerate(zip(geometries, numbers, features, strict=True))) + "]}"
        self.styles = _js(self.style_list)
        self.icon = _js(dict(icon)) if icon is not None else ""
        self.interactive = "true" if interactive else "false"
        self.style_function = lambda feature: self.style_list[feature["properties"]["s"]]

    @property
    def data(self) -> dict[str, Any]:  # type: ignore[override]  # read from the text, only when asked
        """The features as GeoJSON (each with its ``tip`` and the number ``s`` of its style)."""
        out: dict[str, Any] = json.loads(self.text)
        return out

    def render(self, **kwargs: Any) -> str:
        """Add the layer's script to the page as it is (not compiled again as a template, as
        ``MacroElement.render`` would: that alone took 0.2 s for 3,000 villages)."""
        script = self._template.module.__dict__["script"]
        figure = self.get_root()
        assert isinstance(figure, Figure)
        figure.script.add_child(_Raw(script(self, kwargs)), name=self.get_name())
        return ""


class _Raw(folium.Element):
    """Text put in the page as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _js(value: object) -> str:
    """JSON for a script: ``</`` escaped so a name cannot end the script element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def catchments(project: Project, villages: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    """Catchment area (WGS84) of each school: the hull of its villages and itself, widened
    by 300 m, in the project's metric CRS."""
    from pyproj import Transformer

    points = project.target_points.to_crs(project.crs)
    served = villages[villages["school"].isin(points.index)]
    if served.empty:
        return {}
    schools = pd.Index(sorted(set(served["school"])))
    codes = np.concatenate([schools.get_indexer(served["school"]), np.arange(len(schools))])
    xy = np.concatenate([shapely.get_coordinates(served.geometry.to_crs(project.crs).to_numpy()),
                         shapely.get_coordinates(points[schools].to_numpy())])
    order = np.argsort(codes, kind="stable")
    hulls = shapely.buffer(shapely.convex_hull(shapely.multipoints(xy[order], indices=codes[order])), 300, quad_segs=6)
    back = Transformer.from_crs(project.crs, 4326, always_xy=True)
    areas = shapely.transform(hulls, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
    return dict(zip(schools, areas, strict=True))


def _catchments(fmap: folium.Map, project: Project, villages: gpd.GeoDataFrame, schools: pd.DataFrame,
                lang: str) -> None:
    palette = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#d9d9d9",
               "#bc80bd", "#ccebc5", "#ffed6f"]
    features = []
    for i, (school, area) in enumerate(sorted(catchments(project, villages).items())):
        colour = palette[i % len(palette)]
        name = schools.loc[school, "name"] if school in schools.index else school
        features.append((area, {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.18},
                         f"{escape(str(name))} ({escape(str(school))})"))
    _feature_layer(t("map.catchments", lang), features).add_to(fmap)


def difference_map(project: Project, before: Result, after: Result, *, level: str = "primary",
                   lang: str = "zh") -> folium.Map:
    """Villages coloured by how their pupils' trips change between two results (longer in
    red, shorter in green, now by bus or boarding, newly unserved), with closed schools
    marked. A village is coloured by its most serious change over its grade bands (grades
    1–3 losing their teaching point count as much as the whole village); its tooltip lists
    every band that changes: pupils, school, mode and minutes before → after."""
    changes = village_changes(before, after).xs(level, level="level")
    assert isinstance(changes, pd.DataFrame)  # a level of the index: a table
    changes = with_names(changes, place_words(project, lang))
    colours = {"longer walk": "#d73027", "shorter walk": "#1a9850", "loses its school": "#f46d43",
               "boards": COLOURS["board"], "by bus": COLOURS["bus"], "unserved": COLOURS["unserved"],
               "other change": "#984ea3", "same": "#bdbdbd"}
    rank = {outcome: i for i, outcome in enumerate(OUTCOMES)}
    features = []
    for vid, bands in changes.groupby(level="village_id", sort=False):
        worst = min(bands["outcome"], key=rank.__getitem__)
        moved = bands[bands["outcome"] != "same"]
        lines = [_band_words(str(grades), row, lang) for grades, row in zip(
            moved.index.get_level_values("grades"), (row for _, row in moved.iterrows()), strict=True)]
        tip = f"<b>{escape(str(bands['name'].iloc[0]))}</b>: " + (
            "<br>".join(escape(line) for line in lines) if lines else escape(t("outcome.same", lang)))
        features.append((project.villages.geometry[vid], {"radius": 9, "color": colours[worst], "weight": 4,
                                                           "fill": False}, tip))
    changed = _feature_layer(t("map.changes", lang), features)
    seen = set(changes["outcome"])
    key = {outcome: colours[outcome] for outcome in OUTCOMES if outcome in seen}
    legend = legend_html(project, lang=lang, level=level, title=after.name, changes=key, lines=False)
    return result_map(project, after, level=level, lang=lang, show_zoning=False, show_catchments=False,
                      more_layers=[changed], legend=legend)


def _band_words(grades: str, row: pd.Series, lang: str) -> str:
    """One changed grade band of a village, e.g. "grades 1–3 (11 pupils): loses its school,
    S11 walk 2 min → S01 walk 31 min"."""
    def minutes(value: float) -> str:
        return "—" if pd.isna(value) else f"{value:.0f}{t('unit.minutes_suffix', lang)}"

    def or_dash(value: object) -> str:
        return value if isinstance(value, str) else "—"

    def mode(value: object) -> str:
        return t(f"mode.{value}", lang) if isinstance(value, str) else "—"

    return t("map.change_band", lang, grades=grades, pupils=f"{row['pupils']:.0f}",
             outcome=t(f"outcome.{row['outcome']}", lang),
             school_before=or_dash(row["school_before"]), mode_before=mode(row["mode_before"]),
             minutes_before=minutes(row["minutes_before"]), school_after=or_dash(row["school_after"]),
             mode_after=mode(row["mode_after"]), minutes_after=minutes(row["minutes_after"]))


def _villages(fmap: folium.Map, villages: gpd.GeoDataFrame, lang: str, *, limit: float) -> None:
    pupils = villages["pupils"].fillna(0.0).to_numpy(dtype=float)
    words = {kind: t(_mode_key(kind), lang, short=30, limit=f"{limit:g}") for kind in set(villages["class"])}
    mode = [words[kind] for kind in villages["class"].tolist()]
    minutes = _trip_words(villages, lang)
    pupils_word = t("map.pupils", lang)
    features = []
    for vid, name, school, kind, point, n, walk, how in zip(villages.index.tolist(), villages["name"].tolist(),
                                                            villages["school"].tolist(), villages["class"].tolist(),
                                                            villages.geometry.to_numpy(), pupils.tolist(), minutes,
                                                            mode, strict=True):
        tip = (f"<b>{escape(str(name))}</b> ({escape(str(vid))})<br>{pupils_word}: {n:.0f}<br>"
               f"→ {escape(str(school))}: {walk}<br>{how}")
        style = {"radius": round(4 + 1.2 * float(np.sqrt(n)), 1), "color": "#252525", "weight": 1, "fill": True,
                 "fillColor": COLOURS[kind], "fillOpacity": 0.85}
        features.append((point, style, tip))
    _feature_layer(t("map.villages", lang), features).add_to(fmap)


def _trip_words(villages: pd.DataFrame, lang: str) -> list[str]:
    """Each village's one-way trip: its minutes, and for bus riders both legs (walk to the
    pick-up, ride); "—" where no pupils are known."""
    unit = t("unit.minutes", lang)
    out = ["—" if np.isnan(m) else f"{m:.0f} {unit}" for m in villages["minutes"].to_numpy(dtype=float)]
    if "ride_minutes" in villages:
        bus = np.flatnonzero((villages["mode"] == "bus").to_numpy() & villages["ride_minutes"].notna().to_numpy()
                             & villages["minutes"].notna().to_numpy())
        for i in bus:
            row = villages.iloc[i]
            out[i] = t("map.bus_trip", lang, minutes=f"{row['minutes']:.0f}", walk=f"{row['road_walk_minutes']:.0f}",
                       ride=f"{row['ride_minutes']:.0f}")
    return out


def _mode_key(kind: str) -> str:
    return {"short": "map.walk_within", "limit": "map.walk_limit", "beyond": "map.walk_beyond",
            "unknown": "map.pupils_unknown"}.get(kind, f"map.{kind}")


def _schools(fmap: folium.Map, project: Project, schools: pd.DataFrame, lang: str) -> None:
    """Each school by its type's shape (:data:`TYPE_SHAPES`) in its status's colour
    (:data:`STATUS_COLOURS`), struck through when closed, in a red ring when it has more
    pupils than seats, its name beside it to its right (shown from the zoom :func:`name_zooms` gives)."""
    points = project.target_points
    over = schools["over_capacity"].fillna(False).to_numpy(dtype=bool) & schools["open"].to_numpy(dtype=bool)
    features = []
    for (sid, row), full in zip(schools.iterrows(), over, strict=True):
        colour = STATUS_COLOURS.get(row["status"], "#2166ac")
        load = "" if pd.isna(row["capacity"]) or row["capacity"] == 0 else f" ({row['pupils'] / row['capacity']:.0%})"
        status = t(f"status.{row['status']}", lang)
        tip = (f"<b>{escape(str(row['name']))}</b> ({escape(str(sid))})<br>{school_type(row['type'], lang)} · "
               f"{status}<br>{t('map.pupils', lang)} {row['pupils']:.0f} / {t('map.capacity', lang)} "
               f"{row['capacity']:.0f}{load}")
        symbol = TYPE_SHAPES.get(row["type"], "●")
        strike = "text-decoration: line-through;" if not row["open"] else ""
        ring = '<span class="planning-over"></span>' if full else ""
        html = (f'<div data-school="{escape(str(sid))}" data-over="{int(full)}" class="planning-mark" '
                f'style="color:{colour};{strike}">{ring}{symbol}{_school_name(row, lang)}</div>')
        features.append((points[sid], {"html": html}, tip))  # the icon's html, per school
    icon = {"iconSize": [20, 20], "iconAnchor": [10, 12], "className": "planning-school"}
    _feature_layer(t("map.schools", lang), features, icon=icon).add_to(fmap)


def _school_name(row: pd.Series, lang: str) -> str:
    """A school's name label; a closed or merged school's in grey, struck through, with its
    status after it (溪口村完小（并入他校）), as the printed map words it. The label is
    positioned apart from its marker, so it takes neither the marker's colour nor its strike."""
    name = escape(str(row["name"]))
    if row["open"]:
        return f'<span class="planning-name planning-school-name">{name}</span>'
    words = t("map.closed_school_name", lang, name='<span class="planning-struck">' + name + "</span>",
              status=escape(t(f"status.{row['status']}", lang)))
    return f'<span class="planning-name planning-school-name planning-closed">{words}</span>'


def _village_names(fmap: folium.Map, project: Project, lang: str) -> _Layer | None:
    """Every village's name (in English its pinyin where given) as a label to its left (a
    school's name is to the school's right), shown from the zoom :func:`name_zooms` gives."""
    names = shown_names(project.villages, lang).tolist()
    features = [(point, {"html": f'<span class="planning-name planning-village-name">{escape(str(name))}</span>'}, "")
                for point, name in zip(project.villages.geometry.to_numpy(), names, strict=True)]
    icon = {"iconSize": [0, 0], "iconAnchor": [-7, 7], "className": "planning-label"}
    if not features:
        return None
    layer = _Layer(features, icon=icon, interactive=False, add=False)  # the map adds it when zoomed in (_MapScript)
    layer.add_to(fmap)  # on the map itself, not a layer of the layer control: shown by zoom alone
    return layer


#: How far apart (screen pixels) typical neighbours must be before their names are shown.
NAME_SPACING = {"school": 70.0, "village": 60.0}


def name_zooms(project: Project) -> tuple[float, float]:
    """The zoom levels from which schools' and villages' names are shown: the first at which
    a typical neighbour is :data:`NAME_SPACING` pixels away (for schools the median distance
    to the nearest other school, for villages the lower quartile of the distance to the
    nearest other village), so names do not crowd the county view. Villages' names never
    come before the schools'."""
    from scipy.spatial import cKDTree

    lat = float(np.mean(project.villages.geometry.y))
    metres_per_pixel_at_0 = 40_075_016.686 * math.cos(math.radians(lat)) / 256

    def zoom(xy: np.ndarray, pixels: float, share: float) -> float:
        if len(xy) < 2:
            return 0.0
        gaps = cKDTree(xy).query(xy, k=2)[0][:, 1]
        typical = max(float(np.quantile(gaps, share)), 1.0)
        return float(np.clip(math.ceil(4 * math.log2(pixels * metres_per_pixel_at_0 / typical)) / 4, 0, 19))  # in the map's zoom steps

    schools = zoom(project.xy(project.schools), NAME_SPACING["school"], 0.5)
    return schools, max(schools, zoom(project.xy(project.villages), NAME_SPACING["village"], 0.25))


def isochrones(project: Project, school_id: str, minutes: Sequence[float] = (20, 30, 40)
               ) -> dict[float, shapely.Geometry]:
    """Areas (WGS84) from which a school is reached on foot within each number of minutes.

    Every network node is timed to the school with the travel-time engine; each ring is the
    concave hull of the nodes within it, widened by the distance one walks off-road in the
    time left (at most 200 m).
    """
    points = project.target_points
    school = points[[school_id]].to_crs(project.crs)
    nodes = project.network.node_xy
    times = travel_time_matrix(project.network, nodes, np.c_[school.x, school.y], policy=project.policy,
                               max_minutes=max(minutes), progress=False).minutes[:, 0]
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs(project.crs, 4326, always_xy=True)
    rings = {}
    for m in sorted(minutes):
        near = nodes[times <= m]
        if len(near) < 3:
            continue
        hull = shapely.concave_hull(shapely.multipoints(near), ratio=0.2).buffer(150)
        rings[m] = shapely.transform(hull, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
    return rings


def _isochrones(fmap: folium.Map, project: Project, school_id: str, minutes: Sequence[float], lang: str) -> None:
    shades = ["#08519c", "#3182bd", "#6baed6", "#9ecae1"]
    rings = sorted(isochrones(project, school_id, minutes).items(), reverse=True)
    features = [(ring, {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.12},
                 escape(t("map.isochrone", lang, minutes=m))) for (m, ring), colour in zip(rings, shades[::-1], strict=False)]
    _feature_layer(t("map.isochrone", lang, minutes="/".join(str(m) for m in minutes)), features).add_to(fmap)


def legend_html(project: Project, *, lang: str = "zh", level: str = "primary", title: str = "",
                changes: Mapping[str, str] | None = None, lines: bool = True) -> str:
    """The legend: a fold-away box ("图例 / Legend") with separate keys for villages (colour:
    one-way trip, size: pupils), school type (shape), school status (colour) and schools over
    capacity (red ring), catchment areas and zoning lines (when ``lines``), and notes
    (OpenStreetMap, synthetic data, elevations). With ``changes`` (outcome → colour, as
    :func:`difference_map` draws), it first explains the rings of what a plan changes."""
    limit = project.policy.limit(level)
    walk = [(COLOURS["short"], t("map.walk_within", lang, short=30)), (COLOURS["limit"], t("map.walk_limit", lang, limit=f"{limit:g}")),
            (COLOURS["beyond"], t("map.walk_beyond", lang, limit=f"{limit:g}")), (COLOURS["bus"], t("map.bus", lang)),
            (COLOURS["board"], t("map.board", lang)), (COLOURS["unserved"], t("map.unserved", lang))]
    sections = []
    if changes is not None:
        rings = "".join(f'<div><span class="planning-swatch" style="background:#fff;border:3px solid {colour}"></span>'
                        f"{escape(t(f'outcome.{outcome}', lang))}</div>" for outcome, colour in changes.items())
        sections.append(f"<h4>{escape(t('map.key_changes', lang))}</h4>{rings}")
    swatches = "".join(f'<div><span class="planning-swatch" style="background:{c}"></span>{escape(text)}</div>'
                       for c, text in walk)
    sections.append(f"<h4>{escape(t('map.key_after' if changes is not None else 'map.key_villages', lang))}</h4>{swatches}")
    kinds = set(project.schools["type"])
    types = "".join(f'<div><span class="planning-shape">{symbol}</span> {escape(school_type(kind, lang))}</div>'
                    for kind, symbol in TYPE_SHAPES.items() if kind in kinds)
    sections.append(f"<h4>{escape(t('map.key_types', lang))}</h4>{types}")
    shown = ["open", "new", "teaching point", "closed"] if len(project.sites) else ["open", "teaching point", "closed"]
    status = "".join(f'<div><span class="planning-bar" style="background:{STATUS_COLOURS[s]}"></span>'
                     f"{escape(_status_words(s, lang))}</div>" for s in shown)
    over = (f'<div><span class="planning-swatch" style="background:#fff;border:3px solid #d7191c"></span>'
            f"{escape(t('map.over_capacity', lang))}</div>")
    sections.append(f"<h4>{escape(t('map.key_status', lang))}</h4>{status}{over}")
    if lines:
        sections.append(
            f"<h4>{escape(t('map.key_lines', lang))}</h4>"
            f'<div><span class="planning-bar" style="background:#80b1d3;opacity:0.45;border:1px solid #80b1d3"></span>'
            f"{escape(t('map.catchment_key', lang))}</div>"
            f'<div><span class="planning-bar" style="height:0;border-top:2px dashed {COLOURS["short"]}"></span>'
            f"{escape(t('map.zoning_key', lang))}</div>")
    notes = [t("map.size_note", lang)]
    if project.network.attribution:
        notes.append(t("osm_attribution", lang))
    if is_demo(project):
        notes.append(t("synthetic", lang))
    notes.append(t("elevation.line", lang, source=elevation_source(project.network, lang)))
    heading = " · ".join(escape(part) for part in (t("map.legend", lang), title, level_name(level, lang)) if part)
    return (f'<details id="planning-legend" class="planning-legend" open><summary>{heading}</summary>'
            f"{''.join(sections)}<div class='note'>{'<br>'.join(escape(n) for n in notes)}</div></details>")


def _status_words(status: str, lang: str) -> str:
    """A status in the legend; closed and merged schools share grey."""
    if status == "closed":
        return f"{t('status.closed', lang)} · {t('status.merged', lang)}"
    return t(f"status.{status}", lang)


#: One colour per alliance (repeated beyond ten alliances); schools in no alliance are grey.
ALLIANCE_COLOURS = ("#1f78b4", "#e31a1c", "#33a02c", "#6a3d9a", "#ff7f00", "#b15928", "#01665e", "#c51b7d",
                    "#4d9221", "#8c510a")
LEFT_OUT_COLOUR = "#636363"
#: Marker of a school by its role in the alliances: its symbol in the legend, its size on the
#: map (pixels) and whether it is filled with the alliance's colour (a ring otherwise).
ALLIANCE_MARKERS = {"core": ("★", 30, True), "member": ("●", 14, True), "left_out": ("○", 14, False)}


def alliance_colours(alliances: Alliances) -> dict[str, str]:
    """Each alliance's colour, by its core's id (in the order of :attr:`Alliances.summary`)."""
    return {str(core): ALLIANCE_COLOURS[i % len(ALLIANCE_COLOURS)] for i, core in enumerate(alliances.summary.index)}


def alliance_map(project: Project, alliances: Alliances, *, lang: str = "zh", basemap: str = "none",
                 tianditu_key: str | None = None, show_roads: bool = True) -> folium.Map:
    """The school alliances (共同体) on a map: each alliance in its colour, its core school a
    large star, its members dots, a straight line from each member to its core whose tooltip
    gives the drive by road (whole minutes); schools in no alliance as grey rings; a legend
    naming each alliance (core, members, pupils) and, for OpenStreetMap data, its attribution.

    Parameters
    ----------
    project
        The project whose schools and sites (:attr:`Project.target_points`) are placed.
    alliances
        What :func:`planning.alliances` found.
    lang, basemap, tianditu_key, show_roads
        As for :func:`result_map`.
    """
    fmap = _empty_map(project, basemap=basemap, tianditu_key=tianditu_key, lang=lang, show_roads=show_roads)
    colours = alliance_colours(alliances)
    points = project.target_points
    schools = with_names(alliances.schools, place_words(project, lang))  # pinyin in English, as the report
    lines: list[Feature] = []
    markers: list[Feature] = []
    for sid, row in schools.iterrows():
        core = str(row["core"]) if row["role"] != "left_out" else None
        colour = colours[core] if core is not None else LEFT_OUT_COLOUR
        name = f"{row['name']} ({sid})"
        if row["role"] == "member":
            core_name = f"{row['core_name']} ({core})"
            lines.append((shapely.LineString([points[sid], points[core]]),
                          {"color": colour, "weight": 2.5, "opacity": 0.9},
                          escape(t("map.alliance_line", lang, member=name, core=core_name,
                                   minutes=f"{row['drive_minutes']:.0f}"))))
        label = str(row["name"]) if row["role"] == "core" else None
        markers.append((points[sid], {"html": _alliance_marker(str(sid), str(row["role"]), colour, core, label)},
                        _alliance_tip(name, row, lang)))
    _feature_layer(t("map.alliance_lines", lang), lines).add_to(fmap)
    icon = {"iconSize": [28, 28], "iconAnchor": [14, 15], "className": "planning-alliance"}
    _feature_layer(t("map.alliances", lang), markers, icon=icon).add_to(fmap)
    shown = points[points.index.isin(schools.index)]
    if len(shown):
        fmap.fit_bounds([[shown.y.min(), shown.x.min()], [shown.y.max(), shown.x.max()]],  # beside the core's names, above the legend
                        padding_top_left=(50, 50), padding_bottom_right=(150, 170))
    fmap.get_root().html.add_child(  # type: ignore[attr-defined]  # the root is a folium Figure
        folium.Element(alliance_legend_html(project, alliances, lang=lang)))
    _layer_control(fmap, lang)
    return fmap


def _alliance_marker(sid: str, role: str, colour: str, core: str | None, label: str | None) -> str:
    """A school's marker: a star (core) or a dot (member) in its alliance's colour, a grey ring
    (in no alliance); with its name beside it when ``label`` is given (the cores: the map names
    each alliance where it is)."""
    symbol, size, filled = ALLIANCE_MARKERS[role]
    if role == "core":
        shape = (f'<span style="font-size:{size}px;line-height:28px;color:{colour};'
                 f'text-shadow:0 0 2px #fff,0 0 3px #fff">{symbol}</span>')
    else:
        fill = colour if filled else "#fff"
        shape = (f'<span style="display:inline-block;margin-top:7px;width:{size}px;height:{size}px;'
                 f'box-sizing:border-box;border-radius:50%;background:{fill};'
                 f'border:{2 if filled else 3}px solid {"#fff" if filled else colour};box-shadow:0 0 0 1px #333">'
                 "</span>")
    name = "" if label is None else (
        '<span style="position:absolute;left:30px;top:7px;font-size:13px;font-weight:bold;color:#222;'
        f'white-space:nowrap;text-shadow:0 0 2px #fff,0 0 3px #fff,0 0 4px #fff">{escape(label)}</span>')
    return (f'<div data-school="{escape(sid)}" data-core="{escape(core or "")}" data-role="{role}" '
            f'style="position:relative;width:28px;height:28px;text-align:center">{shape}{name}</div>')


def _alliance_tip(name: str, row: pd.Series, lang: str) -> str:
    parts = [f"<b>{escape(name)}</b>", escape(t(f"alliance_role.{row['role']}", lang))]
    if row["role"] == "member":
        parts.append(escape(t("map.alliance_core_of", lang, core=f"{row['core_name']} ({row['core']})")))
        parts.append(escape(t("map.drive", lang, minutes=f"{row['drive_minutes']:.0f}")))
    parts.append(f"{escape(t('map.pupils', lang))}: {row['pupils']:.0f}")
    return "<br>".join(parts)


def alliance_legend_html(project: Project, alliances: Alliances, *, lang: str = "zh") -> str:
    """The alliance map's legend: each alliance's colour and words (core, members, pupils),
    the markers by role, and notes (straight lines, OpenStreetMap, synthetic demo data)."""
    colours = alliance_colours(alliances)
    summary = with_names(alliances.summary, place_words(project, lang))
    groups = "".join(
        f'<div><span style="display:inline-block;width:11px;height:11px;background:{colours[str(core)]};'
        f'margin-right:5px;border:1px solid #333"></span>'
        f"{escape(t('map.alliance_group', lang, core=str(row['name']), members=int(row['members']), pupils=f'{row.pupils:,.0f}'))}</div>"
        for core, row in summary.iterrows())
    roles = "&ensp;".join(f'<span style="color:{LEFT_OUT_COLOUR if role == "left_out" else "#333"}">{symbol}</span> '
                          f"{escape(t(f'alliance_role.{role}', lang))}"
                          for role, (symbol, _, _) in ALLIANCE_MARKERS.items() if role != "left_out" or alliances.left_out)
    notes = [t("map.alliance_note", lang)]
    if project.network.attribution:
        notes.append(t("osm_attribution", lang))
    if is_demo(project):
        notes.append(t("synthetic", lang))
    return (f'<div id="planning-alliance-legend" style="position:fixed;bottom:48px;left:12px;z-index:9999;'
            f"background:rgba(255,255,255,0.92);padding:8px 10px;border:1px solid #999;border-radius:4px;"
            f'font:11px sans-serif;max-width:300px"><b>{escape(t("map.legend", lang))} · '
            f"{escape(t('map.alliances', lang))}</b>{groups}<hr style='margin:4px 0'><div>{roles}</div>"
            f"<div style='color:#555;margin-top:4px'>{'<br>'.join(escape(n) for n in notes)}</div></div>")


LEAFLET_VERSION = "1.9.4"
#: Where `make` puts Leaflet's distribution (from the npm registry), served by Streamlit at /app/static/leaflet.
LEAFLET_FOLDER = Path(__file__).resolve().parents[1] / "static" / "leaflet"


def _elements(fmap: folium.Map) -> Iterator[Any]:
    yield fmap
    stack = list(fmap._children.values())
    while stack:
        elem = stack.pop()
        yield elem
        stack.extend(getattr(elem, "_children", {}).values())


def use_local_leaflet(fmap: folium.Map, base_url: str = "/app/static/leaflet") -> folium.Map:
    """Load Leaflet from ``base_url`` instead of a CDN, so the map works without internet.

    Our maps use only core Leaflet (circle markers, polylines, text icons, GeoJSON, layer
    control): folium's other default assets (Bootstrap, awesome-markers, Font Awesome) are
    dropped.
    """
    for elem in _elements(fmap):
        if hasattr(elem, "default_js"):
            elem.default_js = [("leaflet", f"{base_url}/leaflet.js")] if elem is fmap else []
            elem.default_css = [("leaflet_css", f"{base_url}/leaflet.css")] if elem is fmap else []
    return fmap


def standalone_html(fmap: folium.Map, *, leaflet: Path = LEAFLET_FOLDER) -> str:
    """The map as one HTML file; with Leaflet inlined when it is available locally, its
    control icons as data (then the file opens without internet, except for any basemap
    tiles). Its page title is the map's (:func:`result_map`: "county · plan")."""
    if not (leaflet / "leaflet.js").exists():
        return fmap.get_root().render()
    use_local_leaflet(fmap, "LEAFLET")
    html = fmap.get_root().render()
    js = (leaflet / "leaflet.js").read_text(encoding="utf-8")
    css = (leaflet / "leaflet.css").read_text(encoding="utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):  # the layer control's icon, in the file
        path = leaflet / "images" / image
        if path.exists():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    html = html.replace('<script src="LEAFLET/leaflet.js"></script>', f"<script>{js}</script>")
    return html.replace('<link rel="stylesheet" href="LEAFLET/leaflet.css"/>', f"<style>{css}</style>")
