"""experimental/geo: S2 cells in Python (geo_s2) and SQL (geo_sql) against the documented
tokens and each other; coverings; distances; argument errors with positions.

End-to-end rows are in golden/geo/ (checked against the docs and conformance vectors).
"""
from __future__ import annotations

import math
import random

import duckdb
import pytest
from sqlglot import exp

import transpile
import transpile.functions  # noqa: F401  (registers every package)
from transpile.errors import FluxError
from transpile.analyze.operators import type_of_constant
from transpile.functions import geo, geo_s2 as s2, geo_sql
from transpile.lower import sql

DB = duckdb.connect()
RANDOM = random.Random(7)


def run(expression: exp.Expression, rows: list[tuple], columns: tuple[str, ...]) -> list:
    """The value of `expression` on each row of a VALUES table."""
    values = exp.values([tuple(lit(v) for v in row) for row in rows], alias="t", columns=list(columns))
    query = exp.select(expression.as_("out")).from_(values)
    return [r[0] for r in DB.execute(query.sql(dialect="duckdb")).fetchall()]


def lit(v) -> exp.Expression:
    """A constant as the compiler writes it (floats as DOUBLE, not DECIMAL)."""
    return sql.literal(v, type_of_constant(v))


# ---------------------------------------------------------------- cell ids and tokens

# https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/s2cellidtoken/
DOC_TOKENS = [
    ((14.01433, 39.7515), "166b59", "166c"),
    ((13.9228, 38.3527), "16696d", "166c"),
    ((15.08433, 36.9978), "166599", "1664"),
    ((-14.5464, 24.0069), "1960d7", "1964"),
    ((-13.3338, 25.1304), "1965c7", "1964"),
    ((-12.0433, 26.7899), "1971dd", "1974"),
]


@pytest.mark.parametrize("point,token,parent5", DOC_TOKENS)
def test_documented_tokens(point, token, parent5):
    cell = s2.cell_id_from_degrees(*point, 10)
    assert s2.to_token(cell) == token
    assert s2.level_of(s2.from_token(token)) == 10
    assert s2.to_token(s2.parent(cell, 5)) == parent5


def test_documented_cell_center():
    # https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/s2celllatlon/
    assert s2.cell_center_degrees(s2.from_token("89c284")) == (40.812535546624574, -73.55941282728273)


def test_cell_ids_are_nested_and_contain_their_point():
    for _ in range(200):
        lat, lon = RANDOM.uniform(-90, 90), RANDOM.uniform(-180, 180)
        leaf = s2.cell_id_from_degrees(lat, lon, 30)
        p = s2.point_from_degrees(lat, lon)
        for level in (0, 5, 17, 30):
            cell = s2.cell_id_from_degrees(lat, lon, level)
            assert s2.parent(leaf, level) == cell and s2.level_of(cell) == level and s2.is_valid(cell)
            assert s2.Cell.of(cell).contains_point(p)


def test_sql_tokens_match_python():
    rows = [(RANDOM.uniform(-90, 90), RANDOM.uniform(-180, 180), RANDOM.randint(0, 30)) for _ in range(300)]
    rows += [(0.0, 0.0, 30), (90.0, 0.0, 12), (-90.0, 0.0, 12), (0.0, 180.0, 7), (0.0, -180.0, 7), (45.0, 45.0, 1)]
    lat, lon, level = exp.column("lat"), exp.column("lon"), exp.column("lvl")
    tokens = run(geo_sql.cell_token(lat, lon, level), rows, ("lat", "lon", "lvl"))
    want = [s2.to_token(s2.cell_id_from_degrees(a, b, lv)) for a, b, lv in rows]
    assert tokens == want
    token_rows = [(t, lv) for t, (_, _, lv) in zip(want, rows)]
    levels = run(geo_sql.token_level(exp.column("tok")), token_rows, ("tok", "lvl"))
    assert levels == [lv for _, lv in token_rows]
    parents = run(geo_sql.token_parent(exp.column("tok"), exp.Literal.number(0)), token_rows, ("tok", "lvl"))
    assert parents == [s2.to_token(s2.parent(s2.from_token(t), 0)) for t, _ in token_rows]


# ---------------------------------------------------------------- coverings


def _points_in_cap(lat, lon, km, n):
    out = []
    for _ in range(n):
        d = km * math.sqrt(RANDOM.random()) / 111.2
        a = RANDOM.uniform(0, 2 * math.pi)
        out.append((lat + d * math.sin(a), lon + d * math.cos(a) / math.cos(math.radians(lat))))
    return out


def test_cap_covering_holds_every_point_of_the_cap():
    cap = s2.Cap(s2.point_from_degrees(40.7090214, -73.61846), 15.0 / 6371.01)
    for level in (6, 9, 11):
        cells = set(s2.covering(cap.intersects_cell, level))
        for lat, lon in _points_in_cap(40.7090214, -73.61846, 14.9, 300):
            if cap.contains(s2.point_from_degrees(lat, lon)):
                assert s2.cell_id_from_degrees(lat, lon, level) in cells
        # and no cell far outside the circle
        assert s2.cell_id_from_degrees(41.5, -73.61846, level) not in cells


def test_grid_level_is_the_coarsest_with_enough_cells():
    # The circle of the gridFilter conformance vectors: 20 cells at level 10, 57 at level 11.
    grid = geo.Grid(None, geo.Region("circle", 40.7090214, -73.61846, angle=15.0 / 6371.01))
    assert [len(grid.cells(lv)) for lv in (10, 11)] == [20, 57]
    assert grid.choose_level(24, -1, 30) == 11
    assert grid.choose_level(24, -1, 9) == 9
    assert grid.choose_level(24, 40, 30) == 10


def test_polygon_covering_and_containment():
    triangle = s2.Polygon(tuple(s2.point_from_degrees(a, b) for a, b in
                                ((40.671659, -73.936631), (40.706543, -73.749177), (40.791333, -73.880327))))
    assert triangle.contains(s2.point_from_degrees(40.7232, -73.8554))
    assert not triangle.contains(s2.point_from_degrees(40.745249, -73.940563))
    reversed_triangle = s2.Polygon(tuple(reversed(triangle.vertices)))
    assert reversed_triangle.contains(s2.point_from_degrees(40.7232, -73.8554))
    cells = set(s2.covering(triangle.intersects_cell, 12))
    assert s2.cell_id_from_degrees(40.7232, -73.8554, 12) in cells
    assert s2.cell_id_from_degrees(40.9, -73.8554, 12) not in cells


# ---------------------------------------------------------------- distances


def test_total_distance_matches_the_documented_example():
    # https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/totaldistance/
    track = [(85.1, 42.2), (71.3, 50.8), (63.1, 62.3), (50.6, 74.9)]
    total = 0.0
    for (a, b), (c, d) in zip(track, track[1:]):
        total += s2.haversine(a, b, c, d) * geo.EARTH_RADIUS["km"]
    assert total == 4157.144498077607


def test_sql_geometry_matches_python():
    ref = (40.6892, -74.0445)
    line_points = [(RANDOM.uniform(40.6, 40.9), RANDOM.uniform(-74.0, -73.6)) for _ in range(6)]
    line = ", ".join(f"{lon!r} {lat!r}" for lat, lon in line_points)
    triangle = [(40.671659, -73.936631), (40.706543, -73.749177), (40.791333, -73.880327)]
    vertices = [s2.point_from_degrees(a, b) for a, b in triangle]
    vec = [geo_sql.vector_exprs(*(lit(c) for c in v)) for v in vertices]
    rows = [(RANDOM.uniform(40.6, 40.9), RANDOM.uniform(-74.0, -73.6), line) for _ in range(60)]
    lat, lon, ls = exp.column("lat"), exp.column("lon"), exp.column("ls")
    cols = ("lat", "lon", "ls")
    distances = run(geo_sql.haversine(lit(ref[0]), lit(ref[1]), lat, lon), rows, cols)
    assert distances == [s2.haversine(*ref, a, b) for a, b, _ in rows]
    to_line = run(geo_sql.line_angle_from(lat, lon, ls), rows, cols)
    pts = geo.parse_linestring(line)
    for got, (a, b, _) in zip(to_line, rows):
        assert got == pytest.approx(geo._line_angle(s2.point_from_degrees(a, b), pts), rel=1e-9)
    lengths = run(geo_sql.linestring_length(ls), rows[:1], cols)
    assert lengths[0] == pytest.approx(geo._line_length(pts), rel=1e-12)
    inside = run(geo_sql.in_polygon(geo_sql.point(lat, lon), vec), rows, cols)
    polygon = s2.Polygon(tuple(vertices))
    assert inside == [polygon.contains(s2.point_from_degrees(a, b)) for a, b, _ in rows]
    assert any(inside) and not all(inside)
    meets = run(geo_sql.line_and_polygon(ls, vec, False), rows[:1], cols)
    assert meets == [geo._line_in(polygon, pts, everywhere=False)]
    cap = s2.Cap(s2.point_from_degrees(*ref), 20.0 / 6371.01)
    center = geo_sql.vector_exprs(*(lit(c) for c in cap.center))
    in_cap = run(geo_sql.in_cap(geo_sql.point(lat, lon), center, lit(cap.radius2)), rows, cols)
    assert in_cap == [cap.contains(s2.point_from_degrees(a, b)) for a, b, _ in rows]


# ---------------------------------------------------------------- argument errors


def compile_error(body: str) -> str:
    source = 'import "array"\nimport "experimental/geo"\n' + body
    with pytest.raises(FluxError) as info:
        transpile.compile(source, now="2030-01-01T00:00:00Z", filename="q.flux")
    message = info.value.format()
    assert "\n" not in message.strip()
    return message


def test_region_must_be_constant():
    message = compile_error('array.from(rows: [{lat: 1.0, lon: 2.0}])\n'
                            '    |> map(fn: (r) => ({r with d: geo.ST_Distance(region: {lat: r.lat, lon: 0.0}, geometry: {lat: 1.0, lon: 1.0})}))')
    assert message.startswith("4:") and "region must be a constant" in message


def test_unknown_units_and_shapes():
    message = compile_error('x = geo.ST_Distance(region: {lat: 1.0, lon: 2.0}, geometry: {lat: 1.0, lon: 1.0}, units: {distance: "furlong"})\n'
                            'array.from(rows: [{v: x}])')
    assert message.startswith("3:") and "units" in message
    message = compile_error('array.from(rows: [{v: geo.ST_Distance(region: {foo: 1.0}, geometry: {lat: 1.0, lon: 1.0})}])')
    assert message.startswith("3:") and "region must be a point" in message
    message = compile_error('array.from(rows: [{v: geo.ST_Distance(region: {minLat: 1.0, maxLat: 2.0, minLon: 1.0, maxLon: 2.0}, '
                            'geometry: {lat: 1.0, lon: 1.0})}])')
    assert "not supported" in message


def test_grid_filter_needs_s2_cell_id():
    message = compile_error('array.from(rows: [{lat: 1.0, lon: 2.0}]) |> geo.gridFilter(region: {lat: 1.0, lon: 2.0, radius: 5.0})')
    assert message.startswith("3:") and "s2_cell_id" in message


def test_constant_calls_fold():
    from runtime.database import Database

    source = ('import "array"\nimport "experimental/geo"\n'
              'array.from(rows: [{t: geo.s2CellIDToken(point: {lat: 14.01433, lon: 39.7515}, level: 10), '
              'l: geo.getLevel(token: "166b59"), c: geo.s2CellLatLon(token: "89c284").lat}])')
    rows = Database().query(source, now="2030-01-01T00:00:00Z").to_csv().strip().splitlines()
    assert rows[-1].split(",")[-3:] == ["166b59", "10", "40.812535546624574"]
