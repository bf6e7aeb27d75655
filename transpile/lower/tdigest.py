"""quantile()/median() with method "estimate_tdigest": Flux's t-digest estimate as SQL.

Flux estimates quantiles with the merging t-digest of github.com/influxdata/tdigest
(https://docs.influxdata.com/flux/v0/stdlib/universe/quantile/, compression default 1000).
This module reproduces that estimate, not the exact quantile, from the digest's documented
behaviour:

- every non-null, non-NaN value is added with weight 1, in row order; the buffer of added
  values is merged into the digest whenever it exceeds 8 * ceil(compression) values, and
  once more before the estimate;
- a merge sorts the buffer together with the digest's centroids by mean and sweeps them in
  order: a centroid joins the current one while the weight seen so far stays within the
  current limit; otherwise it starts a new centroid and the limit moves on by one unit of
  the scale function k(q) = compression * (asin(2q - 1) + pi/2) / pi;
- the estimate at q interpolates between the means of the two centroids around the
  position q * total weight (each centroid's weight counted from its middle), between the
  smallest value and the first mean below the first centroid's middle, and between the last
  mean and the largest value above the last one's middle.

With few values no centroid is ever merged and the estimate is plain interpolation on the
sorted values at position q*n - 1/2: that case is computed directly (a sort and two element
reads); larger tables run the digest's sweeps with list_reduce (slower: about 2-50 µs per
value). Known differences: Go's sort of equal means is unstable, and Go's math.Sin/Asin may
differ from DuckDB's in the last bit, which can move a centroid boundary in rare ties.

It must not know about plan nodes; it returns one aggregate expression.
"""
from __future__ import annotations

import math
from functools import lru_cache

import sqlglot
from sqlglot import exp

from ..types import FluxType
from . import sql

DEFAULT_COMPRESSION = 1000.0

# The digest after all merges: {cs: [{m: mean, w: weight, p: weight before it}], w: total,
# lo: smallest mean seen, hi: largest}. Names: `values` (the table's values in row order),
# `compression`, `chunk` (values per merge), `q`.
_DIGEST = """
list_reduce(
  list_transform(range(0, len(values), chunk), lambda __td_s: values[__td_s + 1 : __td_s + chunk]),
  lambda __td_d, __td_batch: list_transform(
    [list_sort(list_concat(__td_d.cs, list_transform(__td_batch,
      lambda __td_x: {'m': __td_x, 'w': CAST(1 AS DOUBLE), 'p': CAST(0 AS DOUBLE)})))],
    lambda __td_all: list_transform([__td_d.w + len(__td_batch)], lambda __td_total: list_transform(
      [list_reduce(
        __td_all[2:],
        lambda __td_st, __td_e: CASE
          WHEN __td_st.p + __td_e.w <= __td_st.lim THEN {
            'p': __td_st.p + __td_e.w,
            'lim': __td_st.lim,
            'cur': {'m': __td_st.cur.m + __td_e.w * (__td_e.m - __td_st.cur.m) / (__td_st.cur.w + __td_e.w),
                    'w': __td_st.cur.w + __td_e.w, 'p': __td_st.cur.p},
            'done': __td_st.done}
          ELSE {
            'p': __td_st.p + __td_e.w,
            'lim': __td_total * ((sin(least(compression * (asin(2.0 * (__td_st.p / __td_total) - 1.0) + pi() / 2.0) / pi()
                                             + 1.0, compression) * pi() / compression - pi() / 2.0) + 1.0) / 2.0),
            'cur': {'m': __td_e.m, 'w': __td_e.w, 'p': __td_st.p},
            'done': list_append(__td_st.done, __td_st.cur)}
        END,
        {'p': __td_all[1].w,
         'lim': __td_total * ((sin(least(CAST(1 AS DOUBLE), compression) * pi() / compression - pi() / 2.0) + 1.0) / 2.0),
         'cur': {'m': __td_all[1].m, 'w': __td_all[1].w, 'p': CAST(0 AS DOUBLE)},
         'done': CAST([] AS STRUCT(m DOUBLE, w DOUBLE, p DOUBLE)[])})],
      lambda __td_sweep: list_transform([list_append(__td_sweep.done, __td_sweep.cur)],
        lambda __td_cs: {'cs': __td_cs, 'w': __td_total,
                         'lo': least(__td_d.lo, __td_cs[1].m), 'hi': greatest(__td_d.hi, __td_cs[-1].m)})[1]
    )[1])[1]
  )[1],
  {'cs': CAST([] AS STRUCT(m DOUBLE, w DOUBLE, p DOUBLE)[]), 'w': CAST(0 AS DOUBLE),
   'lo': CAST('Infinity' AS DOUBLE), 'hi': CAST('-Infinity' AS DOUBLE)})
"""

# The estimate from a digest `digest` (see _DIGEST) at quantile `q`.
_ESTIMATE = """
list_transform([digest], lambda __td_g: list_transform([q * __td_g.w], lambda __td_i: CASE
  WHEN len(__td_g.cs) = 0 THEN NULL
  WHEN len(__td_g.cs) = 1 THEN __td_g.cs[1].m
  WHEN __td_i <= __td_g.cs[1].w / 2.0
    THEN __td_g.lo + 2.0 * __td_i / __td_g.cs[1].w * (__td_g.cs[1].m - __td_g.lo)
  ELSE list_transform(
    [coalesce(list_filter(range(len(__td_g.cs)),
      lambda __td_n: __td_g.cs[__td_n + 1].p + __td_g.cs[__td_n + 1].w / 2.0 >= __td_i)[1], len(__td_g.cs))],
    lambda __td_lower: CASE
      WHEN __td_lower < len(__td_g.cs) THEN list_transform(
        [{'x1': __td_g.cs[__td_lower].m,
          'w1': __td_g.cs[__td_lower + 1].p + __td_g.cs[__td_lower + 1].w / 2.0 - __td_i,
          'x2': __td_g.cs[__td_lower + 1].m,
          'w2': __td_i - (__td_g.cs[__td_lower].p + __td_g.cs[__td_lower].w / 2.0)}],
        lambda __td_v: greatest(least(__td_v.x1, __td_v.x2),
          least((__td_v.x1 * __td_v.w1 + __td_v.x2 * __td_v.w2) / (__td_v.w1 + __td_v.w2), greatest(__td_v.x1, __td_v.x2))))[1]
      ELSE list_transform(
        [{'x1': __td_g.cs[-1].m, 'w1': __td_i - __td_g.w - __td_g.cs[-1].w / 2.0, 'x2': __td_g.hi}],
        lambda __td_v: list_transform([__td_g.cs[-1].w / 2.0 - __td_v.w1], lambda __td_w2:
          greatest(least(__td_v.x1, __td_v.x2),
            least((__td_v.x1 * __td_v.w1 + __td_v.x2 * __td_w2) / (__td_v.w1 + __td_w2), greatest(__td_v.x1, __td_v.x2))))[1])[1]
    END)[1]
END)[1])[1]
"""

# No centroid merged: every value is its own centroid of weight 1 (the same arithmetic as
# _ESTIMATE: centroid i's middle is at i + 1/2). `sorted` holds the values in order.
_SINGLETONS = """
list_transform([sorted], lambda __td_l: list_transform([q * len(__td_l)], lambda __td_i: CASE
  WHEN len(__td_l) = 0 THEN NULL
  WHEN len(__td_l) = 1 OR __td_i <= 0.5 THEN __td_l[1]
  ELSE list_transform([CAST(ceil(__td_i - 0.5) AS BIGINT)], lambda __td_lower: CASE
    WHEN __td_lower >= len(__td_l) THEN __td_l[-1]
    ELSE list_transform(
      [{'x1': __td_l[__td_lower], 'w1': __td_lower + 0.5 - __td_i,
        'x2': __td_l[__td_lower + 1], 'w2': __td_i - (__td_lower - 0.5)}],
      lambda __td_v: greatest(least(__td_v.x1, __td_v.x2),
        least((__td_v.x1 * __td_v.w1 + __td_v.x2 * __td_v.w2) / (__td_v.w1 + __td_v.w2), greatest(__td_v.x1, __td_v.x2))))[1]
  END)[1]
END)[1])[1]
"""

_CHOOSE = """
list_transform([values], lambda __td_values: CASE WHEN len(__td_values) <= singletons THEN fast ELSE digest END)[1]
"""


@lru_cache(maxsize=None)
def _template() -> exp.Expression:
    """The whole estimate, parsed once: the fixed texts above nested into _CHOOSE."""
    estimate = _ESTIMATE.replace("digest", _DIGEST.replace("values", "__td_values"))
    fast = _SINGLETONS.replace("sorted", "list_sort(__td_values)")
    return sqlglot.parse_one(_CHOOSE.replace("fast", fast).replace("digest", estimate), read=sql.DIALECT)


def _fill(tree: exp.Expression, **args: exp.Expression) -> exp.Expression:
    """A copy of `tree` with each column named in `args` replaced by its expression."""
    tree = tree.copy()
    for column in list(tree.find_all(exp.Column)):
        if not column.table and column.name in args:
            column.replace(args[column.name].copy())
    return tree


def effective_compression(compression: float) -> float:
    """median()'s default compression is 0.0, which Flux's quantile reads as its default."""
    return compression if compression > 0 else DEFAULT_COMPRESSION


def merge_size(compression: float) -> int:
    """Values buffered before a merge: the buffer merges when it holds more than 8 * ceil(c)."""
    return int(8 * math.ceil(compression)) + 1


def singleton_limit(compression: float) -> int:
    """A count of values up to which no merge can join two values into one centroid.

    A value joins the previous one when (its index + 1) <= the limit set at the previous
    one, n * (1 - cos(theta + pi/c)) / 2 with (1 - cos theta) / 2 = index / n. That limit
    exceeds the index by at most n * sin(pi / 2c), and by n - index where the scale is
    clamped at its top (theta + pi/c > pi), which the last pair of values reaches when
    n > 4 / (1 - cos(pi/c)). Below both bounds (with a margin for rounding) every value
    stays alone. tests/test_aggregates.py checks this against a sweep.
    """
    if compression < 1:
        return 1
    interior = 2 / math.sin(math.pi / (2 * compression))
    top = 4 / (1 - math.cos(math.pi / compression))
    return max(1, int(min(interior, top) * (1 - 1e-6)))


def tdigest_quantile(values: exp.Expression, q: float, compression: float) -> exp.Expression:
    """The t-digest estimate at `q` of `values`: a LIST of DOUBLE in row order without
    NULL or NaN. NULL for an empty list."""
    c = effective_compression(compression)
    return _fill(_template(), values=values, q=sql.cast(sql.number(float(q)), FluxType.FLOAT),
                 compression=sql.cast(sql.number(float(c)), FluxType.FLOAT),
                 chunk=sql.number(merge_size(c)), singletons=sql.number(singleton_limit(c)))
