"""S2 cells and spherical geometry in plain Python, for `experimental/geo` at compile time.

Flux's geo package uses the Go port of Google's S2 geometry library
(https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/): cell ids and tokens
must match it bit for bit. What this module owns, written from the S2 definitions
(https://s2geometry.io/devguide/s2cell_hierarchy):

- cell ids: a point goes to the cube face of its largest coordinate, then to (u, v) on
  that face, then through the quadratic projection to (s, t) in [0, 1), then to integer
  (i, j) in [0, 2^30); the id is `face << 61 | Hilbert position << 1 | 1` for a leaf, and a
  cell at level L keeps the top 2L position bits followed by a single 1 bit;
- tokens: the id in 16 hex digits without trailing zeros;
- cell geometry (center, vertices, edge normals) and the tests a region coverer needs:
  does a cap (circle), a lat/lon box or a polygon intersect a cell;
- coverings: the cells of one level that intersect a region (RegionCoverer with
  MinLevel == MaxLevel gives exactly those), and the level choice of `geo.getGrid`;
- distances on the sphere (haversine, as S2's LatLng.Distance) and point-in-region tests.

It must not know about plan nodes or SQL (transpile/functions/geo_sql.py writes the same
math as SQL for values computed per row).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

MAX_LEVEL = 30
POS_BITS = 2 * MAX_LEVEL + 1
MAX_SIZE = 1 << MAX_LEVEL
DEGREE = math.pi / 180  # Go's s1.Degree: the float64 nearest to pi/180 (Python gives the same)
DBL_EPSILON = 2.220446049250313e-16

# The Hilbert curve: for a cell in orientation `o`, the child in quadrant ij = (i_bit << 1) | j_bit
# is visited at position IJ_TO_POS[o][ij], and the child's orientation is o ^ POS_TO_ORIENTATION[pos]
# (bit 0 swaps i and j, bit 1 inverts both).
IJ_TO_POS = ((0, 1, 3, 2), (0, 3, 1, 2), (2, 3, 1, 0), (2, 1, 3, 0))
POS_TO_IJ = ((0, 1, 3, 2), (0, 2, 3, 1), (3, 2, 0, 1), (3, 1, 0, 2))
POS_TO_ORIENTATION = (1, 0, 0, 3)

Point = tuple  # (x, y, z), a unit vector


# ---------------------------------------------------------------- vectors


def dot(a: Point, b: Point) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Point, b: Point) -> Point:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a: Point) -> float:
    return math.sqrt(dot(a, a))


def normalize(a: Point) -> Point:
    n = norm(a)
    return a if n == 0 else (a[0] / n, a[1] / n, a[2] / n)


def point_from_degrees(lat: float, lon: float) -> Point:
    """S2's PointFromLatLng(LatLngFromDegrees(lat, lon))."""
    phi, theta = lat * DEGREE, lon * DEGREE
    cosphi = math.cos(phi)
    return (math.cos(theta) * cosphi, math.sin(theta) * cosphi, math.sin(phi))


def degrees_of_point(p: Point) -> tuple[float, float]:
    """(lat, lon) in degrees of a point, as S2's LatLngFromPoint then Degrees()."""
    lat = math.atan2(p[2], math.sqrt(p[0] * p[0] + p[1] * p[1]))
    lon = math.atan2(p[1], p[0])
    return lat / DEGREE, lon / DEGREE


# ---------------------------------------------------------------- cube faces and projections


def face_of(p: Point) -> int:
    """The face of the largest coordinate by absolute value (x, y, z = faces 0, 1, 2; +3 if negative)."""
    ax, ay, az = abs(p[0]), abs(p[1]), abs(p[2])
    if ax > ay:
        axis = 0 if ax > az else 2
    else:
        axis = 1 if ay > az else 2
    return axis + 3 if p[axis] < 0 else axis


def face_uv(face: int, p: Point) -> tuple[float, float]:
    x, y, z = p
    if face == 0:
        return y / x, z / x
    if face == 1:
        return -x / y, z / y
    if face == 2:
        return -x / z, -y / z
    if face == 3:
        return z / x, y / x
    if face == 4:
        return z / y, -x / y
    return -y / z, -x / z


def face_uv_to_xyz(face: int, u: float, v: float) -> Point:
    return ((1.0, u, v), (-u, 1.0, v), (-u, -v, 1.0), (-1.0, -v, -u), (v, -1.0, -u), (v, u, -1.0))[face]


def u_normal(face: int, u: float) -> Point:
    """Normal of the plane u = const on `face`, pointing towards smaller u."""
    return ((u, -1.0, 0.0), (1.0, u, 0.0), (1.0, 0.0, u), (-u, 0.0, 1.0), (0.0, -u, 1.0), (0.0, -1.0, -u))[face]


def v_normal(face: int, v: float) -> Point:
    """Normal of the plane v = const on `face`, pointing towards larger v."""
    return ((-v, 0.0, 1.0), (0.0, -v, 1.0), (0.0, -1.0, -v), (v, -1.0, 0.0), (1.0, v, 0.0), (1.0, 0.0, v))[face]


FACE_NORMALS = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (-1.0, 0.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, -1.0))


def uv_to_st(u: float) -> float:
    """The quadratic projection S2 uses by default."""
    if u >= 0:
        return 0.5 * math.sqrt(1 + 3 * u)
    return 1 - 0.5 * math.sqrt(1 - 3 * u)


def st_to_uv(s: float) -> float:
    if s >= 0.5:
        return (1 / 3.0) * (4 * s * s - 1)
    return (1 / 3.0) * (1 - 4 * (1 - s) * (1 - s))


def st_to_ij(s: float) -> int:
    return max(0, min(MAX_SIZE - 1, math.floor(MAX_SIZE * s)))


# ---------------------------------------------------------------- cell ids and tokens


def cell_id_from_face_ij(face: int, i: int, j: int, level: int = MAX_LEVEL) -> int:
    orientation = face & 1
    pos = 0
    for k in range(MAX_LEVEL - 1, MAX_LEVEL - 1 - level, -1):
        ij = (((i >> k) & 1) << 1) | ((j >> k) & 1)
        bits = IJ_TO_POS[orientation][ij]
        pos = (pos << 2) | bits
        orientation ^= POS_TO_ORIENTATION[bits]
    lsb = 1 << (2 * (MAX_LEVEL - level))
    return (face << (POS_BITS)) | (pos << (POS_BITS - 2 * level)) | lsb


def cell_id_from_point(p: Point, level: int = MAX_LEVEL) -> int:
    face = face_of(p)
    u, v = face_uv(face, p)
    return cell_id_from_face_ij(face, st_to_ij(uv_to_st(u)), st_to_ij(uv_to_st(v)), level)


def cell_id_from_degrees(lat: float, lon: float, level: int) -> int:
    return cell_id_from_point(point_from_degrees(lat, lon), level)


def lsb(cell: int) -> int:
    return cell & -cell


def level_of(cell: int) -> int:
    return MAX_LEVEL - (lsb(cell).bit_length() - 1) // 2


def parent(cell: int, level: int) -> int:
    bit = 1 << (2 * (MAX_LEVEL - level))
    return (cell & -bit) | bit


def children(cell: int) -> list[int]:
    half = lsb(cell) >> 2
    first = cell - lsb(cell) + half
    return [first + k * 2 * half for k in range(4)]


def is_valid(cell: int) -> bool:
    return 0 < cell < (1 << 64) and (cell >> POS_BITS) < 6 and (lsb(cell).bit_length() - 1) % 2 == 0


def to_token(cell: int) -> str:
    if cell == 0:
        return "X"
    return format(cell, "016x").rstrip("0")


def from_token(token: str) -> int:
    """The cell id of a token; 0 for a string that is not one (S2's CellIDFromToken)."""
    if not 0 < len(token) <= 16 or any(c not in "0123456789abcdefABCDEF" for c in token):
        return 0
    return int(token.ljust(16, "0"), 16)


# ---------------------------------------------------------------- cell geometry


@dataclass(frozen=True)
class Cell:
    """A cell's face and (u, v) bounds, and what the coverer asks of it."""

    id: int
    face: int
    u_lo: float
    u_hi: float
    v_lo: float
    v_hi: float

    @classmethod
    def of(cls, cell: int) -> "Cell":
        face, i, j, size = face_ij_bounds(cell)
        return cls(cell, face, st_to_uv(i / MAX_SIZE), st_to_uv((i + size) / MAX_SIZE),
                   st_to_uv(j / MAX_SIZE), st_to_uv((j + size) / MAX_SIZE))

    def vertices(self) -> list[Point]:
        """Counter-clockwise from (u_lo, v_lo)."""
        corners = ((self.u_lo, self.v_lo), (self.u_hi, self.v_lo), (self.u_hi, self.v_hi), (self.u_lo, self.v_hi))
        return [normalize(face_uv_to_xyz(self.face, u, v)) for u, v in corners]

    def edge_normals(self) -> list[Point]:
        """Inward normals of the edges from vertex k to k+1 (not unit length)."""
        neg = lambda a: (-a[0], -a[1], -a[2])  # noqa: E731
        return [v_normal(self.face, self.v_lo), u_normal(self.face, self.u_hi),
                neg(v_normal(self.face, self.v_hi)), neg(u_normal(self.face, self.u_lo))]

    def contains_point(self, p: Point) -> bool:
        # Points on a face boundary belong to the cells on both sides, as in S2.
        if dot(p, FACE_NORMALS[self.face]) <= 0:
            return False
        u, v = face_uv(self.face, p)
        m = DBL_EPSILON
        return self.u_lo - m <= u <= self.u_hi + m and self.v_lo - m <= v <= self.v_hi + m


def face_ij_bounds(cell: int) -> tuple[int, int, int, int]:
    """(face, i, j, size): the cell covers i..i+size-1 and j..j+size-1 on its face."""
    face = cell >> POS_BITS
    level = level_of(cell)
    orientation = face & 1
    i = j = 0
    for k in range(level):
        bits = (cell >> (POS_BITS - 2 * (k + 1))) & 3
        ij = POS_TO_IJ[orientation][bits]
        i = (i << 1) | (ij >> 1)
        j = (j << 1) | (ij & 1)
        orientation ^= POS_TO_ORIENTATION[bits]
    size = 1 << (MAX_LEVEL - level)
    return face, i * size, j * size, size


def cell_center_degrees(cell: int) -> tuple[float, float]:
    """(lat, lon) of the cell's center, as S2's CellID.LatLng()."""
    face, i, j, size = face_ij_bounds(cell)
    # The center in units of 2^-31 is exact: si = 2i + size.
    s = (2 * i + size) / (2 * MAX_SIZE)
    t = (2 * j + size) / (2 * MAX_SIZE)
    return degrees_of_point(normalize(face_uv_to_xyz(face, st_to_uv(s), st_to_uv(t))))


# ---------------------------------------------------------------- regions


def chord2(a: Point, b: Point) -> float:
    """Squared chord length between unit vectors (S2's ChordAngle), at most 4."""
    d = (a[0] - b[0], a[1] - b[1], a[2] - b[2])
    return min(4.0, dot(d, d))


@dataclass(frozen=True)
class Cap:
    """A circle: the points within `angle` radians of `center`."""

    center: Point
    angle: float

    @property
    def radius2(self) -> float:  # the radius as a squared chord length
        return min(4.0, 4 * math.sin(0.5 * self.angle) ** 2) if self.angle >= 0 else -1.0

    def contains(self, p: Point) -> bool:
        return chord2(self.center, p) <= self.radius2

    def intersects_cell(self, cell: Cell) -> bool:
        vertices = cell.vertices()
        if any(self.contains(v) for v in vertices):
            return True
        # A cap of a hemisphere or more that holds no vertex cannot reach inside the cell
        # (the cell and the cap's complement are both convex).
        if self.radius2 >= 2.0 or self.radius2 < 0:
            return False
        if cell.contains_point(self.center):
            return True
        # Otherwise the cap must cross the interior of an edge: the closest point of the
        # edge's great circle is within the cap and lies between the edge's ends.
        sin2 = self.radius2 * (1 - 0.25 * self.radius2)
        for k, normal in enumerate(cell.edge_normals()):
            d = dot(self.center, normal)
            if d > 0:
                continue  # the center is on the inner side of this edge
            if d * d > sin2 * dot(normal, normal):
                return False
            direction = cross(normal, self.center)
            if dot(direction, vertices[k]) < 0 and dot(direction, vertices[(k + 1) & 3]) > 0:
                return True
        return False


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle in degrees (longitudes may wrap past 180)."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains_degrees(self, lat: float, lon: float) -> bool:
        if not self.min_lat <= lat <= self.max_lat:
            return False
        if self.min_lon <= self.max_lon:
            return self.min_lon <= lon <= self.max_lon
        return lon >= self.min_lon or lon <= self.max_lon

    def contains(self, p: Point) -> bool:
        return self.contains_degrees(*degrees_of_point(p))

    def polygon(self) -> "Polygon":
        """The box as a loop of great-circle arcs, each side split into steps of at most 0.1
        degree (64 at most): the box's top and bottom follow parallels, which the arcs
        approximate to about a metre for boxes up to 6 degrees wide. Used only to decide
        which cells a box reaches (gridFilter)."""
        lons = _steps(self.min_lon, self.max_lon if self.min_lon <= self.max_lon else self.max_lon + 360)
        lats = _steps(self.min_lat, self.max_lat)
        ring = [(self.min_lat, x) for x in lons] + [(y, lons[-1]) for y in lats[1:]]
        ring += [(self.max_lat, x) for x in reversed(lons[:-1])] + [(y, lons[0]) for y in reversed(lats[1:-1])]
        return Polygon(tuple(point_from_degrees(a, b) for a, b in ring))


def _steps(lo: float, hi: float) -> list[float]:
    n = max(1, min(64, math.ceil((hi - lo) / 0.1)))
    return [lo + (hi - lo) * k / n for k in range(n + 1)]


def sign(a: Point, b: Point, c: Point) -> int:
    d = dot(cross(a, b), c)
    return (d > 0) - (d < 0)


def crosses(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True when the arcs AB and CD cross at a point interior to both (S2's CrossingSign > 0)."""
    acb = -sign(a, b, c)
    bda = sign(a, b, d)
    if acb == 0 or acb != bda:
        return False
    cbd = -sign(c, d, b)
    dac = sign(c, d, a)
    return cbd == acb and dac == acb


def winding_angle(p: Point, vertices: tuple) -> float:
    """The sum of the angles at `p` subtended by each edge of the loop: +-2pi inside, 0 outside."""
    total = 0.0
    n = len(vertices)
    for k in range(n):
        a, b = vertices[k], vertices[(k + 1) % n]
        total += math.atan2(dot(p, cross(a, b)), dot(a, b) - dot(p, a) * dot(p, b))
    return total


@dataclass(frozen=True)
class Polygon:
    """A loop of points; whichever side is smaller is inside (orientation does not matter)."""

    vertices: tuple

    def edges(self):
        n = len(self.vertices)
        return [(self.vertices[k], self.vertices[(k + 1) % n]) for k in range(n)]

    def contains(self, p: Point) -> bool:
        return abs(winding_angle(p, self.vertices)) > math.pi

    def intersects_cell(self, cell: Cell) -> bool:
        vertices = cell.vertices()
        if any(self.contains(v) for v in vertices):
            return True
        if any(cell.contains_point(v) for v in self.vertices):
            return True
        cell_edges = [(vertices[k], vertices[(k + 1) & 3]) for k in range(4)]
        return any(crosses(a, b, c, d) for a, b in self.edges() for c, d in cell_edges)


def box_intersects_cell(box: Box, cell: Cell) -> bool:
    return box.polygon().intersects_cell(cell) or any(box.contains(v) for v in cell.vertices())


# ---------------------------------------------------------------- coverings


def covering(intersects, level: int, limit: int = 100_000) -> list[int]:
    """Every cell of `level` that the region reaches, in id order: the covering S2's
    RegionCoverer gives with MinLevel == MaxLevel == level. `intersects(Cell) -> bool`."""
    out: list[int] = []
    todo = [face << POS_BITS | 1 << (POS_BITS - 1) for face in range(6)]
    while todo:
        cell = todo.pop()
        if not intersects(Cell.of(cell)):
            continue
        if level_of(cell) == level:
            out.append(cell)
            if len(out) > limit:
                raise ValueError(f"the region needs more than {limit} cells at level {level}")
        else:
            todo.extend(children(cell))
    return sorted(out)


def grid_level(count_at, min_size: int, max_size: int, max_level: int) -> int:
    """The level geo.getGrid() uses when none is given: the coarsest level (up to
    `max_level`) whose covering has at least `min_size` cells, backing off one level when
    that covering has more than `max_size` cells (max_size -1: no limit)."""
    for level in range(1, max_level + 1):
        n = count_at(level)
        if n >= min_size:
            if max_size != -1 and n > max_size and level > 1:
                return level - 1
            return level
    return max_level


# ---------------------------------------------------------------- distances


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The angle in radians between two points given in degrees (S2's LatLng.Distance)."""
    a1, a2 = lat1 * DEGREE, lat2 * DEGREE
    b1, b2 = lon1 * DEGREE, lon2 * DEGREE
    dlat = math.sin(0.5 * (a2 - a1))
    dlon = math.sin(0.5 * (b2 - b1))
    x = dlat * dlat + dlon * dlon * math.cos(a1) * math.cos(a2)
    return 2 * math.atan2(math.sqrt(x), math.sqrt(max(0.0, 1 - x)))


def point_edge_angle(p: Point, a: Point, b: Point) -> float:
    """The angle from p to the arc AB: to the closest point of the great circle when that
    point lies between A and B, else to the nearer end."""
    n = cross(a, b)
    nn = norm(n)
    if nn > 0:
        # p projected on the great circle through A and B lies between them when it is on
        # the inner side of both end planes.
        if dot(cross(n, a), p) > 0 and dot(cross(b, n), p) > 0:
            return abs(math.asin(max(-1.0, min(1.0, dot(p, n) / nn))))
    return min(angle_between(p, a), angle_between(p, b))


def angle_between(a: Point, b: Point) -> float:
    return math.atan2(norm(cross(a, b)), dot(a, b))
