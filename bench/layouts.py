"""Storage layout candidates compared on the same data: query time of typical Flux reads and
the size of the file. Numbers go to docs/storage.md.

(wide)  the chosen layout: one table per measurement, a column per tag and per field
        (the schema an expert writes by hand);
(long)  one table per bucket: _time, _measurement, _field, a column per tag key, and one
        typed value column per Flux type (value_float, value_int, ...), in the order written.

    python bench/generate.py --points 1000000 --out bench/data/1m.lp
    python bench/layouts.py bench/data/1m.lp --runs 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

START = "make_timestamp_ns(1700000000000000000)"

# Each query as written for the wide layout and for the long layout; both return the same rows.
QUERIES = {
    "one series, 1 min means over 1 h": (
        f"""SELECT time_bucket(INTERVAL 1 minute, _time) AS w, avg(usage_user) FROM telegraf.cpu
            WHERE _time >= {START} AND _time < {START} + INTERVAL 1 hour
              AND host = 'host-0007' AND cpu = 'cpu-total' AND usage_user IS NOT NULL
            GROUP BY w ORDER BY w""",
        f"""SELECT time_bucket(INTERVAL 1 minute, _time) AS w, avg(value_float) FROM long_db.points
            WHERE _time >= {START} AND _time < {START} + INTERVAL 1 hour
              AND _measurement = 'cpu' AND _field = 'usage_user'
              AND host = 'host-0007' AND cpu = 'cpu-total'
            GROUP BY w ORDER BY w""",
    ),
    "all hosts, mean of one field, whole range": (
        """SELECT host, cpu, avg(usage_idle) FROM telegraf.cpu WHERE usage_idle IS NOT NULL
           GROUP BY ALL ORDER BY ALL""",
        """SELECT host, cpu, avg(value_float) FROM long_db.points
           WHERE _measurement = 'cpu' AND _field = 'usage_idle' GROUP BY ALL ORDER BY ALL""",
    ),
    "last value of every mem field per host": (
        """SELECT host, f, arg_max(v, _time) FROM (
             UNPIVOT (SELECT _time, host, total, used, free, cached, available FROM telegraf.mem)
             ON total, used, free, cached, available INTO NAME f VALUE v)
           GROUP BY ALL ORDER BY ALL""",
        """SELECT host, _field, arg_max(value_int, _time) FROM long_db.points
           WHERE _measurement = 'mem' AND value_int IS NOT NULL GROUP BY ALL ORDER BY ALL""",
    ),
}


def build(lp: Path, tmp: str) -> tuple[str, str]:
    from runtime.database import Database

    wide = os.path.join(tmp, "wide.duckdb")
    long_path = os.path.join(tmp, "long.duckdb")
    with Database(wide) as db:
        start = time.perf_counter()
        db.write(lp, bucket="telegraf")
        print(f"ingest into wide layout: {time.perf_counter() - start:.2f} s", file=sys.stderr)
        con = db.connection
        con.execute(f"ATTACH '{long_path}' AS long_db")
        catalog = db.catalog("telegraf")
        tags = sorted({t.column for m in catalog.measurements.values() for t in m.tags})
        con.execute(
            "CREATE TABLE long_db.points (_time TIMESTAMP_NS, _measurement VARCHAR, _field VARCHAR, "
            + ", ".join(f'"{t}" VARCHAR' for t in tags)
            + ", value_float DOUBLE, value_int BIGINT, value_uint UBIGINT, value_string VARCHAR, value_bool BOOLEAN)"
        )
        value_col = {"float": "value_float", "int": "value_int", "uint": "value_uint",
                     "string": "value_string", "bool": "value_bool"}
        start = time.perf_counter()
        for m in catalog.measurements.values():
            for f in m.fields:
                cols = ", ".join(f'"{t.column}"' for t in m.tags)
                con.execute(
                    f'INSERT INTO long_db.points (_time, _measurement, _field, {cols}, {value_col[f.type.value]}) '
                    f'SELECT _time, ?, ?, {cols}, "{f.column}" FROM telegraf."{m.table}" WHERE "{f.column}" IS NOT NULL '
                    "ORDER BY _time",
                    [m.measurement, f.key],
                )
        print(f"copy into long layout: {time.perf_counter() - start:.2f} s", file=sys.stderr)
        con.execute("DETACH long_db")
    return wide, long_path


def _rounded(rows: list[tuple]) -> list[tuple]:
    # Sums in another order differ in the last bits.
    return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        wide, long_path = build(args.file, tmp)
        for label, path in (("wide", wide), ("long", long_path)):
            print(f"file size {label}: {os.path.getsize(path) / 1e6:.1f} MB")
        con = duckdb.connect(wide, read_only=True)
        con.execute(f"ATTACH '{long_path}' AS long_db (READ_ONLY)")
        for name, (wide_sql, long_sql) in QUERIES.items():
            assert _rounded(con.execute(wide_sql).fetchall()) == _rounded(con.execute(long_sql).fetchall()), name
            times = {}
            for label, sql in (("wide", wide_sql), ("long", long_sql)):
                runs = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    con.execute(sql).fetchall()
                    runs.append(time.perf_counter() - start)
                times[label] = statistics.median(runs)
            print(f"{name:45s} wide {times['wide'] * 1000:8.1f} ms   long {times['long'] * 1000:8.1f} ms"
                  f"   long/wide {times['long'] / times['wide']:.1f}x")


if __name__ == "__main__":
    main()
