"""Drawing one edit's map layers for a county, against the obvious folium way.

    python benchmarks/maps.py

On each edit the app sends the plan's layers (catchments, zoning lines, villages,
schools) to the browser; the base map stays. The obvious folium way is one element per
thing: a CircleMarker with a Tooltip per village, a PolyLine per zoning line, a Marker
with a DivIcon and a Tooltip per school. folium compiles every element's output as a
Jinja template when it renders, so that costs about a millisecond per element.
`planning.maps.result_layers` puts each kind in one GeoJSON layer with per-feature
styles instead. Same county as benchmarks/scenario.py (1,000 villages × 100 schools on
the real Liechtenstein network). Needs ../shared/data.
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

import folium
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import real_county, timed  # noqa: E402

import planning  # noqa: E402
from planning.maps import (  # noqa: E402
    COLOURS,
    STATUS_COLOURS,
    TYPE_SHAPES,
    result_layers,  # noqa: E402
    village_table,
    walk_class,
)


def per_element_layers(project, result, level: str = "primary") -> list[folium.FeatureGroup]:
    """Zoning, villages and schools drawn the obvious way: one folium element per thing."""
    villages = village_table(project, result, level=level)
    villages["class"] = walk_class(villages["minutes"], villages["mode"], project.policy.limit(level))
    points = project.target_points
    zoning, dots, marks = (folium.FeatureGroup(name=n) for n in ("zoning", "villages", "schools"))
    for vid, row in villages.iterrows():
        colour = COLOURS[row["class"]]
        if isinstance(row["school"], str) and row["school"] in points.index:
            s = points[row["school"]]
            folium.PolyLine([[row.geometry.y, row.geometry.x], [s.y, s.x]], color=colour, weight=1.5,
                            dash_array="4 4").add_to(zoning)
        pupils = 0.0 if pd.isna(row["pupils"]) else float(row["pupils"])
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=4 + 1.2 * np.sqrt(pupils), fill=True,
                            fill_color=colour, tooltip=folium.Tooltip(f"<b>{escape(str(vid))}</b>")).add_to(dots)
    for sid, row in result.schools.iterrows():
        p = points[sid]
        html = f'<div style="color:{STATUS_COLOURS.get(row["status"], "#2166ac")}">{TYPE_SHAPES.get(row["type"], "●")}</div>'
        folium.Marker([p.y, p.x], icon=folium.DivIcon(html=html),
                      tooltip=folium.Tooltip(escape(str(sid)))).add_to(marks)
    return [zoning, dots, marks]


def drawn(layers: list[folium.FeatureGroup]) -> int:
    """Render the layers on a map as the browser gets them; returns the size of the page."""
    fmap = folium.Map(tiles=None)
    for layer in layers:
        layer.add_to(fmap)
    return len(fmap.get_root().render())


def main() -> None:
    project = real_county(np.random.default_rng(7))
    closing = project.schools.index[project.schools["type"] == "village_primary"][0]
    result = planning.Scenario(project, "edit").close(closing).evaluate("nearest")
    print(f"{len(project.villages)} villages × {len(project.schools)} schools; one edit's layers\n")
    ours, size = timed(lambda: drawn(result_layers(project, result, show_catchments=False)), repeat=5)
    obvious, obvious_size = timed(lambda: drawn(per_element_layers(project, result)), repeat=3)
    print(f"GeoJSON layers (planning.maps)        {ours * 1000:7.0f} ms   {size / 1e6:5.2f} MB")
    print(f"one folium element per thing          {obvious * 1000:7.0f} ms   {obvious_size / 1e6:5.2f} MB")
    print(f"ratio                                 {obvious / ours:7.1f}×")
    full, _ = timed(lambda: drawn(result_layers(project, result)), repeat=3)
    print(f"\nwith catchment areas (what the app sends on each edit): {full * 1000:.0f} ms")


if __name__ == "__main__":
    main()
