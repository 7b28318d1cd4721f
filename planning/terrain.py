"""Terrain from a DEM: heights for a walking network whose roads have none.

County road layers and OpenStreetMap rarely carry elevations, yet in a mountain township a
climb can double a walk. :func:`with_dem` reads a digital elevation model (a GeoTIFF or any
raster GDAL reads: SRTM, ASTER, Copernicus or the county's own, in any CRS) and gives the
network's nodes their heights, so that Tobler's slope-dependent walking speed
(:meth:`planning.network.WalkNetwork.segment_minutes`) applies everywhere:

1. Segments longer than ``step_m`` (:data:`STEP_M`, 40 m) are cut into equal pieces no
   longer than it, so that a climb over a ridge between two far-apart vertices is not
   averaged away into a gentle slope.
2. Each node without a road elevation gets the DEM's height there, bilinear between the
   four nearest cell centres (no-data cells, masked cells and heights outside
   :data:`planning.network.ELEVATION_RANGE` left out of the weights). Road elevations (3-D
   lines) win where present: a node the road layer gives a height keeps it, and a new node
   between two such nodes climbs evenly between them, as the road line does.
3. A node outside the DEM, or among no-data cells only, stays of unknown elevation: the
   segments ending there are flat (a :class:`~planning.errors.DataWarning` says how many).

Only the window of the DEM covering the roads (and :data:`MARGIN_CELLS` cells around) is
read, so a county can give a province-wide tile; a window of more than :data:`MAX_CELLS`
cells is refused with a message that says how to cut the DEM. Heights are taken to be
metres above sea level (as in SRTM, ASTER and Copernicus DEMs).

    >>> import planning
    >>> planning.demo().network.elevation_from
    ('road',)
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
from pyproj import CRS, Transformer

from .errors import ValidationError, warn
from .i18n import Listing, Message, t
from .network import ELEVATION_RANGE, WalkNetwork

logger = logging.getLogger(__name__)

#: Longest segment (metres) left uncut before the DEM is sampled: a segment longer than this
#: is cut into equal pieces no longer than it. 40 m follows the 30 m cells of SRTM/Copernicus
#: closely enough that a ridge crossed between two distant vertices keeps its climb.
STEP_M = 40.0

#: Most DEM cells read (rows × columns of the window over the roads): 40 million cells of
#: float32 are 160 MB. A window beyond it is refused (cut the DEM to the county, or
#: resample it to coarser cells).
MAX_CELLS = 40_000_000

#: Cells of DEM read around the roads' bounds, so points near the edge interpolate.
MARGIN_CELLS = 2

#: Code in :attr:`WalkNetwork.elevation_from` for elevations that came with the road lines.
ROAD_Z = "road"


def with_dem(network: WalkNetwork, dem: str | Path, *, step_m: float | None = None) -> WalkNetwork:
    """The network with heights from a DEM where its roads have none (module docstring).

    Parameters
    ----------
    network
        The walking network (any projected CRS); its own elevations (road Z) are kept.
    dem
        The DEM file (GeoTIFF or another raster GDAL reads), with a CRS; heights in metres.
    step_m
        Longest segment left uncut before sampling (metres); :data:`STEP_M` when None.

    Returns
    -------
    WalkNetwork
        A new network (more nodes and segments along long segments, the same roads), whose
        ``elevation_from`` names the DEM file after ``"road"`` where road elevations were used.

    Raises
    ------
    ValidationError
        When the file is not a raster, has no CRS, does not cover the roads, or the window
        covering the roads has more than :data:`MAX_CELLS` cells.
    """
    path = Path(dem)
    name = path.name
    dense = densify(network, step_m=STEP_M if step_m is None else step_m)
    road_z = dense.node_z if dense.node_z is not None else np.full(dense.n_nodes, np.nan)
    needed = ~np.isfinite(road_z)
    heights = sample_dem(path, dense.node_xy, dense.crs)
    found = np.isfinite(heights)
    if not found.any():
        raise ValidationError(Message("error.dem_not_covering", file=name), source=str(path))
    missing = int((needed & ~found).sum())
    if missing:
        warn(Message("data.dem_partial", file=name, n=missing, total=int(needed.sum())), stacklevel=2)
    node_z = np.where(needed, heights, road_z)
    sources = tuple(s for s in network.elevation_from if s == ROAD_Z) + (name,)
    logger.info("DEM %s: heights for %d of %d nodes (%d from the roads)", name, int((needed & found).sum()),
                dense.n_nodes, int((~needed).sum()))
    out = WalkNetwork.from_arrays(dense.node_xy, dense.seg_u, dense.seg_v, dense.seg_class, crs=dense.crs,
                                  node_z=node_z, source=network.source, attribution=network.attribution,
                                  class_column=network.class_column)
    out.elevation_from = sources
    return out


def densify(network: WalkNetwork, *, step_m: float = STEP_M) -> WalkNetwork:
    """The network with every segment longer than ``step_m`` cut into equal pieces no longer
    than it (metres); the new nodes lie on the segment, so lengths and routes do not change.
    A new node between two nodes of known elevation gets the even slope between them; any
    other new node has unknown elevation (NaN)."""
    if not step_m > 0:
        raise ValueError(f"step_m must be positive (given {step_m!r})")
    length = network.seg_length
    pieces = np.maximum(1, np.ceil(length / step_m - 1e-9)).astype(np.int64)
    added = pieces - 1
    m, n = network.n_segments, network.n_nodes
    u, v = network.seg_u.astype(np.int64), network.seg_v.astype(np.int64)
    # new nodes: the j-th (1 … pieces-1) of a segment lies at j / pieces along it
    new_seg = np.repeat(np.arange(m), added)
    j = np.arange(len(new_seg)) - np.repeat(np.cumsum(added) - added, added) + 1
    f = j / pieces[new_seg]
    xy = network.node_xy
    new_xy = xy[u[new_seg]] + f[:, None] * (xy[v[new_seg]] - xy[u[new_seg]])
    z = network.node_z if network.node_z is not None else np.full(n, np.nan)
    new_z = z[u[new_seg]] + f * (z[v[new_seg]] - z[u[new_seg]])  # NaN where an end is unknown
    # pieces: the p-th (0 … pieces-1) runs from node p to node p+1 of the segment's chain
    piece_seg = np.repeat(np.arange(m), pieces)
    p = np.arange(len(piece_seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    first_new = np.repeat(n + np.cumsum(added) - added, pieces)
    start = np.where(p == 0, u[piece_seg], first_new + p - 1)
    end = np.where(p == pieces[piece_seg] - 1, v[piece_seg], first_new + p)
    has_z = network.node_z is not None
    out = WalkNetwork.from_arrays(np.r_[xy, new_xy], start, end, network.seg_class[piece_seg], crs=network.crs,
                                  node_z=np.r_[z, new_z] if has_z else None, source=network.source,
                                  attribution=network.attribution, class_column=network.class_column)
    out.elevation_from = network.elevation_from
    return out


def sample_dem(path: str | Path, xy: np.ndarray, crs: CRS) -> np.ndarray:
    """Heights (metres) of a DEM at points, bilinear between the four nearest cell centres.

    Only the window covering the points (and :data:`MARGIN_CELLS` around) is read. Cells that
    are no-data (the file's no-data value or mask) or hold a height outside
    :data:`~planning.network.ELEVATION_RANGE` are left out and the other weights scaled up; a
    point outside the DEM or among no-data cells only is NaN. Within half a cell of the DEM's
    edge, the edge cells' heights are used.

    Parameters
    ----------
    path
        The DEM file.
    xy
        Points, shape (k, 2), in ``crs``.
    crs
        The points' CRS (the network's).
    """
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.windows import Window

    path = Path(path)
    if not path.exists():
        raise ValidationError(Message("error.file_not_found", path=str(path)), source=str(path))
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    try:
        dataset = rasterio.open(path)
    except RasterioIOError as exc:
        raise ValidationError(Message("error.dem_unreadable", file=path.name, detail=str(exc)),
                              source=str(path)) from exc
    with dataset:
        if dataset.crs is None:
            raise ValidationError(Message("error.dem_no_crs", file=path.name), source=str(path))
        to_dem = Transformer.from_crs(crs, CRS.from_user_input(dataset.crs.to_wkt()), always_xy=True)
        px, py = to_dem.transform(xy[:, 0], xy[:, 1])
        inv = ~dataset.transform  # map → (column, row) of the cell edges
        px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
        cols = inv.a * px + inv.b * py + inv.c - 0.5  # counted from cell centres
        rows = inv.d * px + inv.e * py + inv.f - 0.5
        inside = np.isfinite(cols) & np.isfinite(rows)
        inside &= (cols >= -0.5) & (cols <= dataset.width - 0.5) & (rows >= -0.5) & (rows <= dataset.height - 0.5)
        heights = np.full(len(xy), np.nan)
        if not inside.any():
            return heights
        c0 = max(0, math.floor(cols[inside].min()) - MARGIN_CELLS)
        r0 = max(0, math.floor(rows[inside].min()) - MARGIN_CELLS)
        c1 = min(dataset.width, math.ceil(cols[inside].max()) + MARGIN_CELLS + 1)
        r1 = min(dataset.height, math.ceil(rows[inside].max()) + MARGIN_CELLS + 1)
        cells = (c1 - c0) * (r1 - r0)
        if cells > MAX_CELLS:
            raise ValidationError(Message("error.dem_too_large", file=path.name, rows=f"{r1 - r0:,}",
                                          columns=f"{c1 - c0:,}", most=f"{MAX_CELLS:,}"), source=str(path))
        band = dataset.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
    values = np.ma.getdata(band).astype(float)
    valid = ~np.ma.getmaskarray(band) & np.isfinite(values)
    valid &= (values >= ELEVATION_RANGE[0]) & (values <= ELEVATION_RANGE[1])
    heights[inside] = _bilinear(values, valid, cols[inside] - c0, rows[inside] - r0)
    return heights


def _bilinear(values: np.ndarray, valid: np.ndarray, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Bilinear interpolation in a grid at fractional (col, row) positions of cell centres,
    over valid cells only (weights of the others dropped, the rest scaled to 1); NaN where
    none of the four is valid. Positions beyond the grid's edge centres use the edge cells."""
    n_rows, n_cols = values.shape
    cols = np.clip(cols, 0, n_cols - 1)
    rows = np.clip(rows, 0, n_rows - 1)
    c0 = np.minimum(np.floor(cols).astype(np.int64), max(n_cols - 2, 0))
    r0 = np.minimum(np.floor(rows).astype(np.int64), max(n_rows - 2, 0))
    c1, r1 = np.minimum(c0 + 1, n_cols - 1), np.minimum(r0 + 1, n_rows - 1)
    fc, fr = cols - c0, rows - r0
    total = np.zeros(len(cols))
    weight = np.zeros(len(cols))
    for r, c, w in ((r0, c0, (1 - fr) * (1 - fc)), (r0, c1, (1 - fr) * fc), (r1, c0, fr * (1 - fc)), (r1, c1, fr * fc)):
        ok = valid[r, c]
        total += np.where(ok, values[r, c] * w, 0.0)
        weight += np.where(ok, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 1e-12, total / weight, np.nan)


def elevation_source(network: WalkNetwork, lang: str | None = None) -> str:
    """Where a network's elevations came from, in words: the road lines' own elevations, a
    DEM file (named), both, or none (walks taken as flat)."""
    parts = [t("elevation.road_z", lang) if s == ROAD_Z else t("elevation.dem", lang, file=s)
             for s in network.elevation_from]
    if not parts or network.node_z is None:
        return t("elevation.none", lang)
    return str(Listing(parts).text(lang)) if len(parts) > 1 else parts[0]


__all__ = ["with_dem", "densify", "sample_dem", "elevation_source", "STEP_M", "MAX_CELLS", "ROAD_Z"]
