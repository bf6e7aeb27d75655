"""The `experimental/geo` package: S2 cell tokens, region filters, tracks and distances.

https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/ . Flux defines much of the
package in Flux over a few Go builtins; so does this module:

- builtins here (Python): the S2 functions (`s2CellIDToken`, `s2CellLatLon`, `getLevel`,
  `getGrid`), the geometry tests (`ST_Distance`, `ST_DWithin`, `ST_Intersects`,
  `ST_Contains`, `ST_Length` and their `st*` helpers), and the table functions whose
  work is a compile-time computation or a fold over rows: `gridFilter` (the cells of the
  region are computed here, the filter is a set test on each row's token), `filterRows`,
  `ST_LineString`, `totalDistance`;
- Flux source (`GEO_FLUX`, added to functions/flux_defined.FLUX_SOURCES): `toRows`,
  `asTracks`, `shapeData`, `strictFilter`, `groupByArea`, written from their docs.

Regions (`{lat, lon}`, `{lat, lon, radius}`, `{minLat, maxLat, minLon, maxLon}`,
`{points: [...]}`) must be constants; geometries (`{lat, lon}` or `{linestring}`) may be
computed per row. Distances use the earth radius 6371.01 km (checked against the
totalDistance doc example to the last digit); `geo.units` picks km, m or mile. A
function of constants is computed here (geo_s2.py); of row values it becomes SQL
(geo_sql.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..analyze.objects import Record, RowRecord, RowValue, Stream
from ..analyze.variants import StreamVariants
from ..plan import Filter
from ..plan.geo import LineString, TotalDistance
from ..scalar import Call, Col, Lit
from ..types import FluxType
from . import geo_s2 as s2
from . import geo_sql
from .flux_defined import FLUX_SOURCES
from .registry import constant, flux_function
from .scalar_support import is_row, register_sql, row_call
from .streams import stream_of

PKG = "experimental/geo"

# Earth radius by distance unit: 6371.01 km reproduces the documented totalDistance
# example exactly; a mile is 1.609344 km.
EARTH_RADIUS = {"km": 6371.01, "m": 6371010.0, "mile": 6371.01 / 1.609344}
DEFAULT_UNITS = Record({"distance": "km"})

constant(PKG, "units", DEFAULT_UNITS)


def earth_radius(ctx, units, arg: str = "units") -> float:
    """The radius for `units`, or for the `geo.units` option when units is not given."""
    if units is None:
        units = ctx.evaluator.options.get("geo.units", DEFAULT_UNITS)
    distance = units.get("distance") if isinstance(units, Record) else None
    if distance not in EARTH_RADIUS:
        raise ctx.error(f'units must be a record {{distance: "km" | "m" | "mile"}}, got {distance!r}', arg)
    return EARTH_RADIUS[distance]


# ---------------------------------------------------------------- regions and geometries


@dataclass(frozen=True)
class Region:
    """A constant region: kind is "point", "circle", "box" or "polygon"."""

    kind: str
    lat: float = 0.0
    lon: float = 0.0
    angle: float = 0.0  # circle radius in radians
    box: s2.Box | None = None
    polygon: s2.Polygon | None = None

    @property
    def center(self):
        return s2.point_from_degrees(self.lat, self.lon)

    def cap(self) -> s2.Cap:
        return s2.Cap(self.center, self.angle)

    def intersects_cell(self, cell: s2.Cell) -> bool:
        if self.kind == "point":
            return cell.contains_point(self.center)
        if self.kind == "circle":
            return self.cap().intersects_cell(cell)
        if self.kind == "box":
            return s2.box_intersects_cell(self.box, cell)
        return self.polygon.intersects_cell(cell)


def _number(ctx, record, name: str, arg: str) -> float:
    value = record.get(name)
    if isinstance(value, RowValue):
        raise ctx.unsupported(f"the region's {name} must be a constant", arg)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error(f"the region's {name} must be a float", arg)
    return float(value)


def region_arg(ctx, value, radius: float, arg: str = "region") -> Region:
    """A region record (https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/#region-definitions)."""
    if isinstance(value, RowRecord):
        raise ctx.unsupported("the region must be a constant record", arg)
    if not isinstance(value, Record):
        raise ctx.error("region must be a record", arg)
    fields = set(value.fields)
    if {"minLat", "maxLat", "minLon", "maxLon"} <= fields:
        box = s2.Box(*(_number(ctx, value, f, arg) for f in ("minLat", "maxLat", "minLon", "maxLon")))
        return Region("box", box=box)
    if "points" in fields:
        points = value.get("points")
        if not isinstance(points, list) or len(points) < 3 or not all(isinstance(p, Record) for p in points):
            raise ctx.error("a polygon region needs points: an array of at least 3 {lat, lon} records", arg)
        vertices = tuple(s2.point_from_degrees(_number(ctx, p, "lat", arg), _number(ctx, p, "lon", arg)) for p in points)
        return Region("polygon", polygon=s2.Polygon(vertices))
    if {"lat", "lon"} <= fields:
        lat, lon = _number(ctx, value, "lat", arg), _number(ctx, value, "lon", arg)
        if "radius" in fields:
            return Region("circle", lat, lon, angle=_number(ctx, value, "radius", arg) / radius)
        return Region("point", lat, lon)
    raise ctx.error("region must be a point {lat, lon}, a circle {lat, lon, radius}, a box "
                    "{minLat, maxLat, minLon, maxLon} or a polygon {points}", arg)


@dataclass(frozen=True)
class Geometry:
    """A point (lat, lon) or a linestring; each value a constant or a RowValue."""

    lat: object = None
    lon: object = None
    linestring: object = None

    @property
    def is_line(self) -> bool:
        return self.linestring is not None

    def values(self) -> tuple:
        return (self.linestring,) if self.is_line else (self.lat, self.lon)


def geometry_arg(ctx, value, arg: str = "geometry") -> Geometry:
    if not isinstance(value, (Record, RowRecord)):
        raise ctx.error("geometry must be a record", arg)
    if "linestring" in value.fields:
        return Geometry(linestring=value.fields["linestring"])
    if "lat" in value.fields and "lon" in value.fields:
        return Geometry(lat=value.fields["lat"], lon=value.fields["lon"])
    if {"minLat", "points", "radius"} & set(value.fields):
        raise ctx.unsupported("geometry must be a point {lat, lon} or a {linestring}; other shapes are not supported", arg)
    raise ctx.error("geometry must be a point {lat, lon} or a {linestring}", arg)


def parse_linestring(text: str) -> list:
    """"lon lat, lon lat, ..." -> unit vectors."""
    points = []
    for pair in text.split(","):
        lon, lat = (float(x) for x in pair.split())
        points.append(s2.point_from_degrees(lat, lon))
    return points


# ---------------------------------------------------------------- geometry in Python (constants)


def _line_angle(p, points) -> float:
    if len(points) == 1:
        return s2.angle_between(p, points[0])
    return min(s2.point_edge_angle(p, a, b) for a, b in zip(points, points[1:]))


def _line_length(points) -> float:
    total = 0.0
    for a, b in zip(points, points[1:]):
        total += s2.angle_between(a, b)
    return total


def _polygon_point_angle(polygon: s2.Polygon, p) -> float:
    if polygon.contains(p):
        return 0.0
    return min(s2.point_edge_angle(p, a, b) for a, b in polygon.edges())


def _line_in(polygon: s2.Polygon, points, everywhere: bool) -> bool:
    inside = [polygon.contains(q) for q in points]
    crossing = any(s2.crosses(a, b, c, d) for a, b in zip(points, points[1:]) for c, d in polygon.edges())
    if everywhere:
        return all(inside) and not crossing
    return any(inside) or crossing


# ---------------------------------------------------------------- the geometry tests

# Per-row calls (geo_sql builds their SQL). Arguments: the geometry's values, then the
# region's constants; `R` is the earth radius in the distance unit.
POINT_DISTANCE = "geo.point_distance"      # lat, lon, region lat, region lon, R
LINE_DISTANCE = "geo.line_distance"        # linestring, region lat, region lon, R
LINE_LENGTH = "geo.line_length"            # linestring, R
IN_CAP = "geo.in_cap"                      # lat, lon, center x, y, z, squared chord radius
LINE_IN_CAP = "geo.line_in_cap"            # linestring, center x, y, z, squared chord radius
IN_BOX = "geo.in_box"                      # lat, lon, minLat, maxLat, minLon, maxLon
IN_POLYGON = "geo.in_polygon"              # lat, lon, then x, y, z of each vertex
POLYGON_DISTANCE = "geo.polygon_distance"  # lat, lon, R, then x, y, z of each vertex
LINE_IN_POLYGON = "geo.line_in_polygon"    # linestring, then x, y, z of each vertex
LINE_MEETS_POLYGON = "geo.line_meets_polygon"  # linestring, then x, y, z of each vertex


def exp_mul(a, b):
    """a * b for lowered SQL expressions."""
    from sqlglot import exp

    return exp.Mul(this=geo_sql.paren(a), expression=b)


def _triples(args):
    return [args[k:k + 3] for k in range(0, len(args), 3)]


def _vec(args):
    return geo_sql.vector_exprs(*args)


register_sql(POINT_DISTANCE, lambda a, t: exp_mul(geo_sql.haversine(a[2], a[3], a[0], a[1]), a[4]), FluxType.FLOAT)
register_sql(LINE_DISTANCE, lambda a, t: exp_mul(geo_sql.line_angle_from(a[1], a[2], a[0]), a[3]), FluxType.FLOAT)
register_sql(LINE_LENGTH, lambda a, t: exp_mul(geo_sql.linestring_length(a[0]), a[1]), FluxType.FLOAT)
register_sql(IN_CAP, lambda a, t: geo_sql.in_cap(geo_sql.point(a[0], a[1]), _vec(a[2:5]), a[5]), FluxType.BOOL)
register_sql(LINE_IN_CAP, lambda a, t: geo_sql.line_in_cap(a[0], _vec(a[1:4]), a[4]), FluxType.BOOL)
register_sql(IN_BOX, lambda a, t: geo_sql.in_box(*a), FluxType.BOOL)
register_sql(IN_POLYGON, lambda a, t: geo_sql.in_polygon(geo_sql.point(a[0], a[1]), [_vec(v) for v in _triples(a[2:])]),
             FluxType.BOOL)
register_sql(POLYGON_DISTANCE, lambda a, t: exp_mul(
    geo_sql.polygon_angle(geo_sql.point(a[0], a[1]), [_vec(v) for v in _triples(a[3:])]), a[2]), FluxType.FLOAT)
register_sql(LINE_IN_POLYGON, lambda a, t: geo_sql.line_and_polygon(a[0], [_vec(v) for v in _triples(a[1:])], True),
             FluxType.BOOL)
register_sql(LINE_MEETS_POLYGON, lambda a, t: geo_sql.line_and_polygon(a[0], [_vec(v) for v in _triples(a[1:])], False),
             FluxType.BOOL)


def _vertex_args(polygon: s2.Polygon) -> list:
    return [float(c) for v in polygon.vertices for c in v]


def _row(name: str, values, returns: FluxType, ctx):
    return row_call(name, values, returns, ctx.span)


def _unsupported(ctx, fn: str, region: Region, geometry: Geometry):
    what = "linestring" if geometry.is_line else "point"
    return ctx.unsupported(f"{fn} of a {what} and a {region.kind} region is not supported", "region")


def distance(ctx, region: Region, geometry: Geometry, radius: float, fn: str = "ST_Distance"):
    """The distance from the region to the geometry (0 inside a polygon)."""
    row = is_row(*geometry.values())
    if region.kind == "point":
        if geometry.is_line:
            if row:
                return _row(LINE_DISTANCE, (geometry.linestring, region.lat, region.lon, radius), FluxType.FLOAT, ctx)
            return _line_angle(region.center, parse_linestring(geometry.linestring)) * radius
        if row:
            return _row(POINT_DISTANCE, (geometry.lat, geometry.lon, region.lat, region.lon, radius), FluxType.FLOAT, ctx)
        return s2.haversine(region.lat, region.lon, geometry.lat, geometry.lon) * radius
    if region.kind == "polygon" and not geometry.is_line:
        if row:
            return _row(POLYGON_DISTANCE, (geometry.lat, geometry.lon, radius, *_vertex_args(region.polygon)),
                        FluxType.FLOAT, ctx)
        return _polygon_point_angle(region.polygon, s2.point_from_degrees(geometry.lat, geometry.lon)) * radius
    raise _unsupported(ctx, fn, region, geometry)


def contains(ctx, region: Region, geometry: Geometry, fn: str = "ST_Contains"):
    """True when the region holds the whole geometry."""
    row = is_row(*geometry.values())
    if region.kind == "circle":
        cap = region.cap()
        if geometry.is_line:
            if row:
                return _row(LINE_IN_CAP, (geometry.linestring, *cap.center, cap.radius2), FluxType.BOOL, ctx)
            # A cap smaller than a hemisphere is convex: holding the ends holds each arc.
            return all(cap.contains(q) for q in parse_linestring(geometry.linestring))
        if row:
            return _row(IN_CAP, (geometry.lat, geometry.lon, *cap.center, cap.radius2), FluxType.BOOL, ctx)
        return cap.contains(s2.point_from_degrees(geometry.lat, geometry.lon))
    if region.kind == "box" and not geometry.is_line:
        box = region.box
        if row:
            return _row(IN_BOX, (geometry.lat, geometry.lon, box.min_lat, box.max_lat, box.min_lon, box.max_lon),
                        FluxType.BOOL, ctx)
        return box.contains_degrees(geometry.lat, geometry.lon)
    if region.kind == "polygon":
        vertices = _vertex_args(region.polygon)
        if geometry.is_line:
            if row:
                return _row(LINE_IN_POLYGON, (geometry.linestring, *vertices), FluxType.BOOL, ctx)
            return _line_in(region.polygon, parse_linestring(geometry.linestring), everywhere=True)
        if row:
            return _row(IN_POLYGON, (geometry.lat, geometry.lon, *vertices), FluxType.BOOL, ctx)
        return region.polygon.contains(s2.point_from_degrees(geometry.lat, geometry.lon))
    raise _unsupported(ctx, fn, region, geometry)


def intersects(ctx, region: Region, geometry: Geometry, radius: float):
    """True when the region and the geometry share a point (distance 0)."""
    if region.kind == "polygon" and geometry.is_line:
        if is_row(geometry.linestring):
            return _row(LINE_MEETS_POLYGON, (geometry.linestring, *_vertex_args(region.polygon)), FluxType.BOOL, ctx)
        return _line_in(region.polygon, parse_linestring(geometry.linestring), everywhere=False)
    if region.kind == "circle" and geometry.is_line:
        d = distance(ctx, Region("point", region.lat, region.lon), geometry, radius, "ST_Intersects")
        return _compare("<=", d, region.angle * radius)
    if region.kind in ("circle", "box", "polygon"):
        return contains(ctx, region, geometry, "ST_Intersects")
    return _compare("<=", distance(ctx, region, geometry, radius, "ST_Intersects"), 0.0)


def _compare(op: str, a, b):
    if is_row(a, b):
        from ..analyze.operators import to_scalar

        return RowValue(Call(op, (to_scalar(a), to_scalar(b)), FluxType.BOOL))
    return a <= b


_DISTANCE_SHAPES = "regions: a point (to a point or a linestring) or a polygon (to a point)"


def _region_and_geometry(ctx, region, geometry, units):
    radius = earth_radius(ctx, units)
    return region_arg(ctx, region, radius), geometry_arg(ctx, geometry), radius


@flux_function(PKG, pipe=None, partial=_DISTANCE_SHAPES)
def ST_Distance(ctx, region, geometry, units=None):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/st_distance/"""
    r, g, radius = _region_and_geometry(ctx, region, geometry, units)
    return distance(ctx, r, g, radius)


@flux_function(PKG, pipe=None, partial=_DISTANCE_SHAPES)
def ST_DWithin(ctx, region, geometry, distance_, units=None):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/st_dwithin/ : distance <= the limit."""
    r, g, radius = _region_and_geometry(ctx, region, geometry, units)
    return _compare("<=", distance(ctx, r, g, radius, "ST_DWithin"), distance_)


@flux_function(PKG, pipe=None, partial="point regions need a point or linestring geometry; box regions a point")
def ST_Intersects(ctx, region, geometry, units=None):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/st_intersects/"""
    r, g, radius = _region_and_geometry(ctx, region, geometry, units)
    return intersects(ctx, r, g, radius)


@flux_function(PKG, pipe=None, partial="point regions and box regions with a linestring are not supported")
def ST_Contains(ctx, region, geometry, units=None):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/st_contains/"""
    r, g, _ = _region_and_geometry(ctx, region, geometry, units)
    return contains(ctx, r, g)


@flux_function(PKG, pipe=None)
def ST_Length(ctx, geometry, units=None):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/st_length/ : 0.0 for a point."""
    radius = earth_radius(ctx, units)
    g = geometry_arg(ctx, geometry)
    if not g.is_line:
        return 0.0
    if is_row(g.linestring):
        return _row(LINE_LENGTH, (g.linestring, radius), FluxType.FLOAT, ctx)
    return _line_length(parse_linestring(g.linestring)) * radius


# The lower-case helpers take units as a required argument.
@flux_function(PKG, name="stDistance", pipe=None, partial=_DISTANCE_SHAPES)
def st_distance(ctx, region, geometry, units):
    return ST_Distance(ctx, region, geometry, units)


@flux_function(PKG, name="stContains", pipe=None, partial="as ST_Contains")
def st_contains(ctx, region, geometry, units):
    return ST_Contains(ctx, region, geometry, units)


@flux_function(PKG, name="stLength", pipe=None)
def st_length(ctx, geometry, units):
    return ST_Length(ctx, geometry, units)


# ---------------------------------------------------------------- S2 cell functions


def _level_arg(ctx, level, arg: str = "level"):
    if isinstance(level, RowValue):
        return level
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= s2.MAX_LEVEL:
        raise ctx.error(f"{arg} must be an integer from 0 to 30", arg)
    return level


@flux_function(PKG, pipe=None)
def s2CellIDToken(ctx, level, token=None, point=None):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/s2cellidtoken/ : the token of
    the point's cell at `level`, or of the token's ancestor at `level`."""
    level = _level_arg(ctx, level)
    if token is not None:
        if is_row(token, level):
            return _row(geo_sql.TOKEN_PARENT_CALL, (token, level), FluxType.STRING, ctx)
        cell = s2.from_token(token) if isinstance(token, str) else 0
        if not s2.is_valid(cell):
            raise ctx.error(f"invalid S2 cell ID token {token!r}", "token")
        return s2.to_token(s2.parent(cell, level))
    if point is None:
        raise ctx.error("either token or point must be given")
    if not isinstance(point, (Record, RowRecord)) or not {"lat", "lon"} <= set(point.fields):
        raise ctx.error("point must be a record {lat, lon}", "point")
    lat, lon = point.fields["lat"], point.fields["lon"]
    if is_row(lat, lon, level):
        return _row(geo_sql.CELL_TOKEN, (lat, lon, level), FluxType.STRING, ctx)
    return s2.to_token(s2.cell_id_from_degrees(float(lat), float(lon), level))


def _cell_of_token(ctx, token):
    cell = s2.from_token(token) if isinstance(token, str) else 0
    if not s2.is_valid(cell):
        raise ctx.error(f"invalid S2 cell ID token {token!r}", "token")
    return cell


@flux_function(PKG, pipe=None)
def getLevel(ctx, token):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/getlevel/"""
    if is_row(token):
        return _row(geo_sql.TOKEN_LEVEL_CALL, (token,), FluxType.INT, ctx)
    return s2.level_of(_cell_of_token(ctx, token))


@flux_function(PKG, pipe=None, partial="the token must be a constant")
def s2CellLatLon(ctx, token):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/s2celllatlon/ : the cell's center."""
    if is_row(token):
        raise ctx.unsupported("the token must be a constant", "token")
    lat, lon = s2.cell_center_degrees(_cell_of_token(ctx, token))
    return Record({"lat": lat, "lon": lon})


def _int(ctx, value, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"{arg} must be an integer", arg)
    return value


class Grid:
    """The S2 cells covering a region: per level, computed on demand."""

    def __init__(self, ctx, region: Region):
        self.ctx = ctx
        self.region = region
        self.levels: dict[int, list[int]] = {}

    def cells(self, level: int) -> list[int]:
        if level not in self.levels:
            try:
                self.levels[level] = s2.covering(self.region.intersects_cell, level)
            except ValueError as exc:
                raise self.ctx.unsupported(str(exc), "region") from None
        return self.levels[level]

    def choose_level(self, min_size: int, max_size: int, max_level: int) -> int:
        return s2.grid_level(lambda lv: len(self.cells(lv)), min_size, max_size, max_level)


@flux_function(PKG, pipe=None)
def getGrid(ctx, region, units, minSize=24, maxSize=-1, level=-1, maxLevel=-1):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/getgrid/ : {level, set}."""
    grid = Grid(ctx, region_arg(ctx, region, earth_radius(ctx, units)))
    level = _int(ctx, level, "level")
    if level == -1:
        top = _int(ctx, maxLevel, "maxLevel")
        level = grid.choose_level(_int(ctx, minSize, "minSize"), _int(ctx, maxSize, "maxSize"),
                                  s2.MAX_LEVEL if top == -1 else top)
    _level_arg(ctx, level)
    return Record({"level": level, "set": [s2.to_token(c) for c in grid.cells(level)]})


# ---------------------------------------------------------------- table functions


@flux_function(PKG)
def gridFilter(ctx, tables, region, minSize=24, maxSize=-1, level=-1, s2cellIDLevel=-1, units=None):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/gridfilter/

    Keeps the rows whose `s2_cell_id` lies in a grid cell that the region reaches. The grid
    is computed here: at `level`, or (level -1) at the coarsest level whose covering has at
    least `minSize` cells, up to the tokens' level. When that level comes from the data
    (s2cellIDLevel -1), each row is checked at min(grid level, its token's level), against
    the coverings of every level up to the grid's (a token names its own level, so one set
    serves them all).
    """
    node = stream_of(ctx, tables)
    if not node.schema.has("s2_cell_id"):
        raise ctx.error("the input has no s2_cell_id column", "tables")
    grid = Grid(ctx, region_arg(ctx, region, earth_radius(ctx, units)))
    level, id_level = _int(ctx, level, "level"), _int(ctx, s2cellIDLevel, "s2cellIDLevel")
    call = geo_sql.GRID_MEMBER
    if level != -1:
        grid_level, cells = _level_arg(ctx, level), grid.cells(level)
    else:
        top = s2.MAX_LEVEL if id_level == -1 else _level_arg(ctx, id_level, "s2cellIDLevel")
        grid_level = grid.choose_level(_int(ctx, minSize, "minSize"), _int(ctx, maxSize, "maxSize"), top)
        cells = grid.cells(grid_level)
        if id_level == -1:
            call = geo_sql.GRID_MEMBER_OWN_LEVEL
            cells = [c for lv in range(grid_level + 1) for c in grid.cells(lv)]
    args = (Col("s2_cell_id", FluxType.STRING), Lit(grid_level, FluxType.INT))
    args += tuple(Lit(s2.to_token(c), FluxType.STRING) for c in cells)
    return Stream(Filter(node, Call(call, args, FluxType.BOOL), flux_name="gridFilter"))


def _member(ctx, name: str):
    return ctx.evaluator.package(PKG).members[name]


@flux_function(PKG)
def filterRows(ctx, tables, region, minSize=24, maxSize=-1, level=-1, s2cellIDLevel=-1, strict=True):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/filterrows/ : gridFilter, then
    toRows() unless lat is already a column, then strictFilter() when strict."""
    grid_args = {"region": region, "minSize": minSize, "maxSize": maxSize, "level": level, "s2cellIDLevel": s2cellIDLevel}
    # Called through the evaluator, so a stream of fields of mixed types (type variants,
    # analyze/variants.py) is filtered variant by variant and toRows() pivots them as one.
    rows = ctx.call(_member(ctx, "gridFilter"), grid_args, pipe=tables)
    first = rows.streams[0] if isinstance(rows, StreamVariants) else rows
    if not first.node.schema.has("lat"):
        rows = ctx.call(_member(ctx, "toRows"), {}, pipe=rows)
    if strict is True:
        rows = ctx.call(_member(ctx, "strictFilter"), {"region": region}, pipe=rows)
    elif strict is not False:
        raise ctx.error("strict must be a bool", "strict")
    return rows


filterRows.merges_variants = True


def _needs(ctx, node, *columns):
    for c in columns:
        if not node.schema.has(c):
            raise ctx.error(f"the input has no {c} column", "tables")


@flux_function(PKG)
def ST_LineString(ctx, tables):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/st_linestring/"""
    node = stream_of(ctx, tables)
    _needs(ctx, node, "lat", "lon")
    return Stream(LineString(node))


@flux_function(PKG)
def totalDistance(ctx, tables, outputColumn="_value"):
    """https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/totaldistance/"""
    node = stream_of(ctx, tables)
    _needs(ctx, node, "lat", "lon")
    if not isinstance(outputColumn, str):
        raise ctx.error("outputColumn must be a string", "outputColumn")
    return Stream(TotalDistance(node, outputColumn, earth_radius(ctx, None)))


# ---------------------------------------------------------------- functions written in Flux

GEO_FLUX = '''
import "experimental"

// https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/torows/
toRows = (tables=<-) => tables |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")

// https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/astracks/
asTracks = (tables=<-, groupBy=["id", "tid"], orderBy=["_time"]) =>
    tables |> group(columns: groupBy) |> sort(columns: orderBy)

// https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/shapedata/ : rename the
// fields, pivot them into columns, add the s2_cell_id tag.
shapeData = (tables=<-, latField, lonField, level) =>
    tables
        |> map(fn: (r) => ({r with _field:
            if r._field == latField then "lat" else if r._field == lonField then "lon" else r._field}))
        |> toRows()
        |> map(fn: (r) => ({r with s2_cell_id: s2CellIDToken(point: {lat: r.lat, lon: r.lon}, level: level)}))
        |> experimental.group(columns: ["s2_cell_id"], mode: "extend")

// https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/strictfilter/
strictFilter = (tables=<-, region) =>
    tables |> filter(fn: (r) => ST_Contains(region: region, geometry: {lat: r.lat, lon: r.lon}))

// https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/groupbyarea/ : the area is the
// token's ancestor at `level`, or the point's cell when the tokens are coarser than that.
groupByArea = (tables=<-, newColumn, level, s2cellIDLevel=-1) => {
    _tokenLevel = (r) => if s2cellIDLevel == -1 then getLevel(token: r.s2_cell_id) else s2cellIDLevel

    return
        tables
            |> map(fn: (r) => ({r with __geo_area:
                if level <= _tokenLevel(r) then s2CellIDToken(token: r.s2_cell_id, level: level)
                else s2CellIDToken(point: {lat: r.lat, lon: r.lon}, level: level)}))
            |> rename(columns: {__geo_area: newColumn})
            |> group(columns: [newColumn])
}
'''

FLUX_SOURCES[PKG] = GEO_FLUX
