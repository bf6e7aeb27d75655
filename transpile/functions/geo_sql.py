"""The S2 and spherical-geometry math of `experimental/geo` as DuckDB SQL, for values
computed per row (geo_s2.py has the same math in Python for constants and coverings).

Owns fixed SQL templates (parsed once by sqlglot; arguments are substituted as
expression trees, never as text) and the internal per-row calls built from them:

- `geo.cell_token(lat, lon, level)`: the S2 cell token of a point. The Hilbert curve
  position is a `list_reduce` over the levels; its accumulator packs the position and
  the curve orientation in one BIGINT (`position * 4 + orientation`, at most 62 bits);
- `geo.token_parent(token, level)`, `geo.token_level(token)`: bit arithmetic on the id
  (a UBIGINT read from the token's hex digits);
- distances: the haversine angle between two points (S2's LatLng.Distance), the angle
  from a point to a linestring (`"lon lat, lon lat, ..."`), a linestring's length, and the
  containment tests of points in circles, boxes and polygons; polygons and circle centres
  are constants written into the SQL as DOUBLE[3] unit vectors.

`let` bindings are written `list_transform([value], name -> body)[1]`, as elsewhere in
this code base. It must not know about plan nodes or tables.
"""
from __future__ import annotations

from sqlglot import exp

from ..lower import sql
from ..types import FluxType
from .scalar_support import paren, register_sql, template

# ---------------------------------------------------------------- templates

# A point (lat, lon in degrees) as a unit vector; (pi() / 180) is Go's s1.Degree (the double nearest to pi/180).
POINT = """
[cos(lon * (pi() / 180)) * cos(lat * (pi() / 180)),
 sin(lon * (pi() / 180)) * cos(lat * (pi() / 180)),
 sin(lat * (pi() / 180))]::DOUBLE[3]
"""

# The cube face of the largest coordinate, the point's (u, v) on it, then (i, j) through the
# quadratic projection u -> s (S2's default) and s -> floor(2^30 s).
FACE_IJ = """
list_transform([p], pt ->
  list_transform([CASE WHEN abs(pt[1]) > abs(pt[2]) THEN CASE WHEN abs(pt[1]) > abs(pt[3]) THEN 0 ELSE 2 END
                       WHEN abs(pt[2]) > abs(pt[3]) THEN 1 ELSE 2 END], axis ->
    list_transform([axis + CASE WHEN pt[axis + 1] < 0 THEN 3 ELSE 0 END], face ->
      [face] || list_transform(
        [CASE face WHEN 0 THEN pt[2] / pt[1] WHEN 1 THEN -pt[1] / pt[2] WHEN 2 THEN -pt[1] / pt[3]
                   WHEN 3 THEN pt[3] / pt[1] WHEN 4 THEN pt[3] / pt[2] ELSE -pt[2] / pt[3] END,
         CASE face WHEN 0 THEN pt[3] / pt[1] WHEN 1 THEN pt[3] / pt[2] WHEN 2 THEN -pt[2] / pt[3]
                   WHEN 3 THEN pt[2] / pt[1] WHEN 4 THEN -pt[1] / pt[2] ELSE -pt[1] / pt[3] END],
        w -> greatest(0, least(1073741823, CAST(floor(1073741824 *
               CASE WHEN w >= 0 THEN 0.5 * sqrt(1 + 3 * w) ELSE 1 - 0.5 * sqrt(1 - 3 * w) END) AS BIGINT))))
    )[1]
  )[1]
)[1]
"""

# The token of the level-`lvl` cell holding leaf (face, i, j): walk the Hilbert curve from the
# face down `lvl` levels (quadrant -> position by orientation; the position picks the child's
# orientation), then id = face << 61 | position << (61 - 2 lvl) | 1 << (60 - 2 lvl).
HILBERT_TOKEN = """
list_transform([list_reduce(range(lvl), (acc, k) ->
    list_transform([((i >> (29 - k)) & 1) * 2 + ((j >> (29 - k)) & 1)], quadrant ->
      list_transform([[[0, 1, 3, 2], [0, 3, 1, 2], [2, 3, 1, 0], [2, 1, 3, 0]][(acc & 3) + 1][quadrant + 1]], step ->
        ((acc >> 2) * 4 + step) * 4 + xor(acc & 3, [1, 0, 0, 3][step + 1])
      )[1]
    )[1],
    CAST(face & 1 AS BIGINT))], h ->
  rtrim(lower(lpad(hex((CAST(face AS UBIGINT) << 61)
                       | (CAST(h >> 2 AS UBIGINT) << (61 - 2 * lvl))
                       | (CAST(1 AS UBIGINT) << (60 - 2 * lvl))), 16, '0')), '0')
)[1]
"""

TOKEN_ID = "CAST('0x' || rpad(token, 16, '0') AS UBIGINT)"
ID_TOKEN = "rtrim(lower(lpad(hex(id), 16, '0')), '0')"
# The ancestor at level `lvl`: keep the bits above the level's lowest bit, then set it.
TOKEN_PARENT = """
list_transform([CAST(1 AS UBIGINT) << (60 - 2 * lvl)], b -> (id & ~(b - 1)) | b)[1]
"""
# Level from the lowest set bit: a level-L id ends with 1 followed by 2 (30 - L) zeros.
TOKEN_LEVEL = "30 - (bit_count(xor(id, id - 1)) - 1) // 2"

# S2's LatLng.Distance (haversine) in radians, points in degrees.
HAVERSINE = """
list_transform([sin(0.5 * (lat2 * (pi() / 180) - lat1 * (pi() / 180)))], dlat ->
  list_transform([sin(0.5 * (lon2 * (pi() / 180) - lon1 * (pi() / 180)))], dlon ->
    list_transform([dlat * dlat + dlon * dlon * cos(lat1 * (pi() / 180)) * cos(lat2 * (pi() / 180))], x ->
      2 * atan2(sqrt(x), sqrt(greatest(0, 1 - x)))
    )[1]
  )[1]
)[1]
"""

# The angle between two unit vectors (r3.Vector.Angle).
ANGLE = "atan2(sqrt(array_dot_product(array_cross_product(a, b), array_cross_product(a, b))), array_dot_product(a, b))"

# A linestring "lon lat, lon lat, ..." as a list of unit vectors.
LINE_POINTS = """
list_transform(string_split(s, ','), e ->
  list_transform([list_transform(regexp_split_to_array(trim(e), '\\s+'), x -> CAST(x AS DOUBLE))], c -> POINT)[1])
"""

# The angle from p to the arc AB: to the foot of the perpendicular when it falls inside the
# arc, else to the nearer end.
EDGE_ANGLE = """
list_transform([array_cross_product(a, b)], n ->
  CASE WHEN array_dot_product(n, n) > 0
        AND array_dot_product(array_cross_product(n, a), p) > 0
        AND array_dot_product(array_cross_product(b, n), p) > 0
       THEN abs(asin(least(1, greatest(-1, array_dot_product(p, n) / sqrt(array_dot_product(n, n))))))
       ELSE least(angle_pa, angle_pb) END
)[1]
"""

LINE_ANGLE = """
CASE WHEN len(pts) = 1 THEN angle_p1
     ELSE list_min(list_transform(range(1, len(pts)), k -> edge_angle)) END
"""

# Winding angle of a loop around p: +-2 pi inside, 0 outside (either orientation).
IN_POLYGON = """
abs(list_sum(list_transform(edges, e ->
  atan2(array_dot_product(p, array_cross_product(e[1], e[2])),
        array_dot_product(e[1], e[2]) - array_dot_product(p, e[1]) * array_dot_product(p, e[2]))))) > pi()
"""

SIDE = "sign(array_dot_product(array_cross_product(a, b), c))"
# Arcs AB and CD cross at a point inside both (S2's CrossingSign > 0).
CROSSES = "side_abc <> 0 AND -side_abc = side_abd AND side_abc = side_cdb AND -side_abc = side_cda"

LINE_CROSSES_POLYGON = """
coalesce(list_bool_or(list_transform(range(1, len(pts)), k ->
  list_bool_or(list_transform(edges, e -> crosses)))), false)
"""

IN_CAP = """
(c[1] - p[1]) * (c[1] - p[1]) + (c[2] - p[2]) * (c[2] - p[2]) + (c[3] - p[3]) * (c[3] - p[3]) <= r2
"""

# A box whose min longitude exceeds its max crosses the antimeridian.
IN_BOX = """
lat BETWEEN min_lat AND max_lat AND
CASE WHEN min_lon <= max_lon THEN lon BETWEEN min_lon AND max_lon ELSE lon >= min_lon OR lon <= max_lon END
"""


# ---------------------------------------------------------------- expression builders


def let(value: exp.Expression, name: str, body: exp.Expression) -> exp.Expression:
    """`list_transform([value], name -> body)[1]`: bind `name` (written as a column in body)."""
    var = exp.to_identifier(f"__{name}")

    def rebind(node):
        if isinstance(node, exp.Column) and not node.table and node.name == name:
            return var.copy()
        return node

    lam = exp.Lambda(this=body.transform(rebind), expressions=[var.copy()])
    call = sql.func("list_transform", exp.Array(expressions=[value]), lam)
    return _bracket(call, 1)


def point(lat: exp.Expression, lon: exp.Expression) -> exp.Expression:
    return template(POINT, lat=paren(lat), lon=paren(lon))


DOUBLE3 = exp.DataType.build("DOUBLE[3]", dialect="duckdb")


def vector_exprs(x, y, z) -> exp.Expression:
    """A constant unit vector [x, y, z] as DOUBLE[3]."""
    return exp.Cast(this=exp.Array(expressions=[x, y, z]), to=DOUBLE3.copy())


def edges_of(vectors) -> exp.Expression:
    """A loop's edges as a list of [start, end] vectors."""
    n = len(vectors)
    return exp.Array(expressions=[exp.Array(expressions=[vectors[k].copy(), vectors[(k + 1) % n].copy()]) for k in range(n)])


def each(values: exp.Expression, name: str, body: exp.Expression, fn: str = "list_transform") -> exp.Expression:
    """`fn(values, __name -> body)`; body refers to the element as the column `__name`."""
    return sql.func(fn, values, exp.Lambda(this=body, expressions=[exp.to_identifier(f"__{name}")]))


def angle(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return template(ANGLE, a=a, b=b)


def cell_token(lat, lon, level) -> exp.Expression:
    ij = template(FACE_IJ, p=point(lat, lon))
    return let(ij, "fij", template(HILBERT_TOKEN, face=_bracket(exp.column("fij"), 1),
                                   i=_bracket(exp.column("fij"), 2), j=_bracket(exp.column("fij"), 3), lvl=paren(level)))


def _bracket(e: exp.Expression, k) -> exp.Expression:
    """`e[k]` with DuckDB's 1-based index as written (offset=1 stops sqlglot from shifting it)."""
    index = exp.Literal.number(k) if isinstance(k, int) else k
    return exp.Bracket(this=e, expressions=[index], offset=1)


def token_parent(token, level) -> exp.Expression:
    idv = template(TOKEN_ID, token=paren(token))
    return let(idv, "tid", template(ID_TOKEN, id=template(TOKEN_PARENT, id=exp.column("tid"), lvl=paren(level))))


def token_level(token) -> exp.Expression:
    return let(template(TOKEN_ID, token=paren(token)), "tid", template(TOKEN_LEVEL, id=exp.column("tid")))


def haversine(lat1, lon1, lat2, lon2) -> exp.Expression:
    return template(HAVERSINE, lat1=paren(lat1), lon1=paren(lon1), lat2=paren(lat2), lon2=paren(lon2))


def line_points(linestring) -> exp.Expression:
    c = exp.column("__c")  # the template's lambda parameter `c` (renamed by template())
    return template(LINE_POINTS, s=paren(linestring), POINT=point(_bracket(c, 2), _bracket(c, 1)))


def point_line_angle(p: exp.Expression, pts: exp.Expression) -> exp.Expression:
    """Angle from unit vector `p` to the linestring with points `pts` (both plain columns)."""
    k = exp.column("__k")
    a = _bracket(pts.copy(), k.copy())
    b = _bracket(pts.copy(), exp.Add(this=k.copy(), expression=exp.Literal.number(1)))
    edge = template(EDGE_ANGLE, a=a, b=b, p=p, angle_pa=angle(p, a), angle_pb=angle(p, b))
    return template(LINE_ANGLE, pts=pts, angle_p1=angle(p, _bracket(pts, 1)), edge_angle=edge)


def line_angle_from(lat, lon, linestring) -> exp.Expression:
    """Angle from the point (lat, lon) to the linestring text."""
    body = point_line_angle(exp.column("p"), exp.column("pts"))
    return let(point(lat, lon), "p", let(line_points(linestring), "pts", body))


def linestring_length(linestring) -> exp.Expression:
    pts = exp.column("pts")
    k = exp.column("__k")
    a = _bracket(pts.copy(), k.copy())
    b = _bracket(pts.copy(), exp.Add(this=k.copy(), expression=exp.Literal.number(1)))
    return let(line_points(linestring), "pts", template(SUM_STEPS, pts=pts, step=angle(a, b)))


def in_polygon(p: exp.Expression, vectors) -> exp.Expression:
    return template(IN_POLYGON, p=p, edges=edges_of(vectors))


def polygon_angle(p: exp.Expression, vectors) -> exp.Expression:
    """0 inside the polygon, else the angle to its nearest edge."""
    e = exp.column("__e")
    edge = template(EDGE_ANGLE, a=_bracket(e.copy(), 1), b=_bracket(e.copy(), 2), p=exp.column("p"),
                    angle_pa=angle(exp.column("p"), _bracket(e.copy(), 1)),
                    angle_pb=angle(exp.column("p"), _bracket(e.copy(), 2)))
    nearest = sql.func("list_min", each(edges_of(vectors), "e", edge))
    body = exp.Case(ifs=[exp.If(this=in_polygon(exp.column("p"), vectors), true=sql.number(0.0))], default=nearest)
    return let(p, "p", body)


def crosses(a, b, c, d) -> exp.Expression:
    side = lambda x, y, z: template(SIDE, a=x, b=y, c=z)  # noqa: E731
    return template(CROSSES, side_abc=side(a, b, c), side_abd=side(a, b, d), side_cdb=side(c, d, b), side_cda=side(c, d, a))


def line_crosses_polygon(pts: exp.Expression, vectors) -> exp.Expression:
    k = exp.column("__k")
    e = exp.column("__e")
    a = _bracket(pts.copy(), k.copy())
    b = _bracket(pts.copy(), exp.Add(this=k.copy(), expression=exp.Literal.number(1)))
    return template(LINE_CROSSES_POLYGON, pts=pts, edges=edges_of(vectors),
                    crosses=crosses(a, b, _bracket(e, 1), _bracket(e, 2)))


def _all_or_any(values: exp.Expression, name: str, test: exp.Expression, every: bool) -> exp.Expression:
    fn = "list_bool_and" if every else "list_bool_or"
    return exp.Coalesce(this=sql.func(fn, each(values, name, test)), expressions=[exp.Boolean(this=every)])


def line_and_polygon(linestring, vectors, everywhere: bool) -> exp.Expression:
    """everywhere: every vertex inside and no edge crossing the boundary (the polygon holds
    the line); else: some vertex inside or some edge crossing (they meet)."""
    pts = exp.column("pts")
    inside = _all_or_any(pts, "q", in_polygon(exp.column("__q"), vectors), everywhere)
    crossing = line_crosses_polygon(pts.copy(), vectors)
    body = (exp.And(this=inside, expression=exp.Not(this=exp.Paren(this=crossing))) if everywhere
            else exp.Or(this=inside, expression=crossing))
    return let(line_points(linestring), "pts", body)


def in_cap(p: exp.Expression, center: exp.Expression, radius2: exp.Expression) -> exp.Expression:
    """The squared chord from the center within the cap's (S2's Cap.ContainsPoint)."""
    return let(center, "c", template(IN_CAP, p=p, c=exp.column("c"), r2=radius2))


def line_in_cap(linestring, center: exp.Expression, radius2: exp.Expression) -> exp.Expression:
    test = in_cap(exp.column("__q"), center, radius2)
    return let(line_points(linestring), "pts", _all_or_any(exp.column("pts"), "q", test, True))


def in_box(lat, lon, min_lat, max_lat, min_lon, max_lon) -> exp.Expression:
    return template(IN_BOX, lat=paren(lat), lon=paren(lon), min_lat=min_lat, max_lat=max_lat,
                    min_lon=min_lon, max_lon=max_lon)


# ---------------------------------------------------------------- per-row calls

CELL_TOKEN = "geo.cell_token"
TOKEN_PARENT_CALL = "geo.token_parent"
TOKEN_LEVEL_CALL = "geo.token_level"
GRID_MEMBER = "geo.grid_member"
GRID_MEMBER_OWN_LEVEL = "geo.grid_member_own_level"

register_sql(CELL_TOKEN, lambda a, t: cell_token(a[0], a[1], a[2]), FluxType.STRING)
register_sql(TOKEN_PARENT_CALL, lambda a, t: token_parent(a[0], a[1]), FluxType.STRING)
register_sql(TOKEN_LEVEL_CALL, lambda a, t: token_level(a[0]), FluxType.INT)


def _grid_member(args, types):
    """args: the token column, the grid level, then the grid's tokens."""
    token, level, *tokens = args
    return exp.In(this=token_parent(token, level), expressions=list(tokens))


def _grid_member_own_level(args, types):
    """args: the token column, the grid level, then the tokens of the grids of every level up
    to it; a token is checked at its own level when that is coarser than the grid's."""
    token, level, *tokens = args
    return exp.In(this=token_parent(token, sql.func("least", level, token_level(token.copy()))), expressions=list(tokens))


register_sql(GRID_MEMBER, _grid_member, FluxType.BOOL)
register_sql(GRID_MEMBER_OWN_LEVEL, _grid_member_own_level, FluxType.BOOL)


def total_distance(pts: exp.Expression, radius: float) -> exp.Expression:
    """Sum, from 0.0 in list order, of the distances between consecutive [lat, lon] pairs."""
    k = exp.column("__k")
    here = _bracket(pts.copy(), k.copy())
    there = _bracket(pts.copy(), exp.Add(this=k.copy(), expression=exp.Literal.number(1)))
    step = exp.Mul(this=haversine(_bracket(here, 1), _bracket(here.copy(), 2), _bracket(there, 1), _bracket(there.copy(), 2)),
                   expression=sql.literal(float(radius), FluxType.FLOAT))
    return template(SUM_STEPS, pts=pts, step=step)


# Sum of `step` (an expression of k) for k = 1 .. len(pts) - 1, added left to right from 0.0.
SUM_STEPS = "list_reduce(list_transform(range(1, len(pts)), k -> step), (x, y) -> x + y, CAST(0 AS DOUBLE))"
