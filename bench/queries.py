"""Query benchmark (issue #4): flux2sql against the SQL a DuckDB expert writes by hand.

Owns the runner only: the canonical Flux queries are bench/queries/*.flux, their hand-written
baselines bench/expert/*.sql. For each data size it

1. generates telegraf-like line protocol once (bench/generate.py, into bench/data/),
2. loads it into a flux2sql database (`runtime.Database.write`, lines per second printed) and,
   separately, into the expert's own database: one wide table per measurement with a plain
   TIMESTAMP_NS `_time`, converted from the same line protocol by the small parser below and
   loaded with DuckDB's CSV reader (not through flux2sql),
3. checks that both give the same numbers for each query (values compared, not formatting),
4. times both, interleaved, `--runs` times: flux2sql = transpile + execute + fetch
   (`Database.query`), expert = execute + fetch; and transpile alone,
5. prints a Markdown table of medians and the ratio flux2sql / expert.

A query whose Flux does not compile is skipped with its error. Expert SQL files use the
placeholders :now, :start_1h, :start_1d (TIMESTAMP_NS literals) and :dest (a fresh table).
`now` is the last half hour boundary at or before the last point, so `-1d` covers all data.

    python bench/queries.py --points 1000000 [--points 10000000] --runs 5 [--only top5]

Must not change flux2sql: it only calls `transpile.compile` and `runtime.Database`.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

DATA = BENCH / "data"
QUERIES = BENCH / "queries"
EXPERT = BENCH / "expert"
BUCKET = "telegraf"
HALF_HOUR_NS = 1800 * 10**9
HOUR_NS = 3600 * 10**9


def size_label(points: int) -> str:
    for unit, scale in (("m", 1_000_000), ("k", 1_000)):
        if points % scale == 0:
            return f"{points // scale}{unit}"
    return str(points)


# --- data ----------------------------------------------------------------------------


def ensure_line_protocol(points: int) -> Path:
    path = DATA / f"{size_label(points)}.lp"
    if not path.exists():
        import generate

        print(f"generating {points:,} lines into {path}", file=sys.stderr)
        tmp = path.with_suffix(".lp.tmp")
        generate.main(["--points", str(points), "--out", str(tmp)])
        tmp.rename(path)
    return path


def last_timestamp(lp: Path) -> int:
    with open(lp, "rb") as f:
        f.seek(max(0, os.path.getsize(lp) - 4096))
        last = f.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return int(last.rsplit(b" ", 1)[1])


def ensure_flux2sql_db(lp: Path, points: int) -> Path:
    from runtime.database import Database

    path = DATA / f"flux2sql_{size_label(points)}.duckdb"
    if not path.exists():
        tmp = path.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        start = time.perf_counter()
        with Database(tmp) as db:
            written = db.write(lp, bucket=BUCKET).points
        seconds = time.perf_counter() - start
        print(f"flux2sql ingest: {written:,} lines in {seconds:.1f} s = {written / seconds:,.0f} lines/s",
              file=sys.stderr)
        tmp.rename(path)
    return path


# The expert's conversion: the schema of each measurement (tag keys, field keys and types,
# in line order) is read from the first lines in Python; then DuckDB reads the file as
# lines and splits each measurement's lines with one regular expression.
_LINE = re.compile(r'((?:[^ \\]|\\.)+) ((?:[^ "\\]|\\.|"(?:[^"\\]|\\.)*")+) (-?\d+)$')
_FIELD = re.compile(r'((?:[^=,\\]|\\.)+)=("(?:[^"\\]|\\.)*"|[^,]+)')
_KEY_SPLIT = re.compile(r"(?<!\\),")
_UNESCAPE = re.compile(r"\\(.)")

# Per SQL type: the regular expression of a field value (one capture group) and the SQL
# that turns the captured text `{}` into the value.
_VALUE_SHAPES = {
    "VARCHAR": (r'"((?:[^"\\]|\\.)*)"', r"regexp_replace({}, '\\(.)', '\1', 'g')"),
    "BIGINT": (r"(-?\d+)i", "CAST({} AS BIGINT)"),
    "UBIGINT": (r"(\d+)u", "CAST({} AS UBIGINT)"),
    "BOOLEAN": (r"(t|T|true|True|TRUE|f|F|false|False|FALSE)", "CAST({} AS BOOLEAN)"),
    "DOUBLE": (r"([^,]+)", "CAST({} AS DOUBLE)"),
}
_TAG_VALUE = r"((?:[^,=\\ ]|\\.)*)"


def _field_type(text: str) -> str:
    if text.startswith('"'):
        return "VARCHAR"
    if text[-1] in "iu" and text[:-1].lstrip("-").isdigit():
        return "BIGINT" if text[-1] == "i" else "UBIGINT"
    if text in ("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"):
        return "BOOLEAN"
    return "DOUBLE"


def discover_schema(lp: Path, lines: int = 20_000) -> dict[str, tuple[list, list]]:
    """{measurement: ([tag keys], [(field key, SQL type)])} from the first lines of `lp`."""
    schema: dict[str, tuple[list, list]] = {}
    with open(lp, encoding="utf-8") as src:
        for number, line in enumerate(src, 1):
            if number > lines:
                break
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            m = _LINE.match(line)
            if m is None:
                raise ValueError(f"{lp}:{number}: not understood by the bench converter")
            key, fields, _ = m.groups()
            parts = [_UNESCAPE.sub(r"\1", p) for p in _KEY_SPLIT.split(key)]
            tags = [p.split("=", 1)[0] for p in parts[1:]]
            values = [(_UNESCAPE.sub(r"\1", k), _field_type(v)) for k, v in _FIELD.findall(fields)]
            schema.setdefault(parts[0], (tags, values))
    return schema


def build_expert_db(lp: Path, path: Path) -> None:
    """Load `lp` into `path`: a table per measurement (_time TIMESTAMP_NS, tags VARCHAR,
    typed fields), rows in file order. Assumes the lines of a measurement carry the same
    keys in the same order (true of telegraf and of bench/generate.py); checks that every
    line was converted."""
    import duckdb

    start = time.perf_counter()
    schema = discover_schema(lp)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute(
        "CREATE TEMP TABLE lines AS SELECT line FROM read_csv(?, columns = {'line': 'VARCHAR'}, "
        "header = false, delim = '\x1f', quote = '', escape = '', auto_detect = false) "
        "WHERE line <> '' AND NOT starts_with(line, '#')",
        [str(lp)],
    )
    converted = 0
    for measurement, (tags, fields) in schema.items():
        pattern = "^" + re.escape(measurement)
        pattern += "".join("," + re.escape(t) + "=" + _TAG_VALUE for t in tags) + " "
        pattern += ",".join(re.escape(f) + "=" + _VALUE_SHAPES[t][0] for f, t in fields)
        pattern += r" (-?\d+)$"
        groups = [f"g{i}" for i in range(len(tags) + len(fields) + 1)]
        columns = ["make_timestamp_ns(CAST(m.{} AS BIGINT)) AS _time".format(groups[-1])]
        columns += [f"""regexp_replace(m.{g}, '\\\\(.)', '\\1', 'g') AS "{t}\"""" for g, t in zip(groups, tags)]
        columns += [_VALUE_SHAPES[t][1].format(f"m.{g}") + f' AS "{f}"'
                    for g, (f, t) in zip(groups[len(tags):], fields)]
        con.execute(
            f'CREATE TABLE "{measurement}" AS SELECT {", ".join(columns)} FROM ('
            f"SELECT regexp_extract(line, ?, {groups!r}) AS m FROM lines WHERE starts_with(line, ?)) "
            f"WHERE m.{groups[-1]} <> ''",
            [pattern, measurement + ","],
        )
        converted += con.execute(f'SELECT count(*) FROM "{measurement}"').fetchone()[0]
    total = con.execute("SELECT count(*) FROM lines").fetchone()[0]
    con.close()
    if converted != total:
        tmp.unlink()
        raise ValueError(f"{lp}: the bench converter understood {converted:,} of {total:,} lines")
    tmp.rename(path)
    print(f"expert load: {total:,} lines in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def ensure_expert_db(lp: Path, points: int) -> Path:
    path = DATA / f"expert_{size_label(points)}.duckdb"
    if not path.exists():
        build_expert_db(lp, path)
    return path


# --- results, normalised for comparison ---------------------------------------------------


def flux_rows(result, columns: tuple[str, ...]) -> list[tuple]:
    rows = []
    for table in result:
        index = [table.index(c) for c in columns]
        rows += [tuple(row[i] for i in index) for row in table.rows]
    return rows


def melt(rows: list[tuple], description, ids: int, timed: bool = False) -> list[tuple]:
    """Wide expert rows -> (ids..., field, [time,] value): one tuple per non-null field.
    With `timed`, each field column is preceded by its own time column."""
    names = [d[0] for d in description]
    out = []
    for row in rows:
        head = tuple(row[:ids])
        if timed:
            for i in range(ids, len(row), 2):
                if row[i + 1] is not None:
                    out.append(head + (names[i + 1], row[i], row[i + 1]))
        else:
            time_ = row[ids]
            for i in range(ids + 1, len(row)):
                if row[i] is not None:
                    out.append(head + (names[i], time_, row[i]))
    return out


def same_rows(a: list[tuple], b: list[tuple]) -> str | None:
    """None when equal as multisets (floats to 1e-9 relative), else what differs."""
    key = lambda r: tuple((x is None, x if not isinstance(x, float) else round(x, 6)) for x in r)  # noqa: E731
    a, b = sorted(a, key=key), sorted(b, key=key)
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}"
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            if isinstance(u, float) or isinstance(v, float):
                if u is None or v is None or not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9):
                    return f"row {x} against {y}"
            elif u != v:
                return f"row {x} against {y}"
    return None


@dataclass
class Query:
    name: str
    flux_columns: tuple[str, ...]
    expert_rows: Callable  # (rows, description) -> normalised rows
    writes: bool = False


QUERY_LIST = [
    Query("seed_downsample", ("host", "_field", "_time", "_value"), lambda r, d: melt(r, d, 1)),
    Query("seed_downsample_to", ("host", "_field", "_time", "_value"), lambda r, d: melt(r, d, 1), writes=True),
    Query("mean_5m_per_host", ("host", "_time", "_value"), lambda r, d: r),
    Query("last_per_series", ("host", "cpu", "_field", "_time", "_value"), lambda r, d: melt(r, d, 2, timed=True)),
    Query("hourly_max_empty", ("host", "_time", "_value"), lambda r, d: r),
    Query("pivot_fields", ("host", "cpu", "_time", "usage_idle", "usage_system", "usage_user"), lambda r, d: r),
    Query("derivative_counter", ("host", "interface", "_time", "_value"), lambda r, d: r),
    Query("top5_hosts_mean", ("host", "_value"), lambda r, d: r),
]


# --- running ----------------------------------------------------------------------------


def ts_literal(ns: int) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(ns // 10**9, tz=datetime.timezone.utc)
    assert ns % 10**9 == 0
    return f"TIMESTAMP_NS '{moment:%Y-%m-%d %H:%M:%S}'"


def expert_sql(name: str, now: int, dest: str = "") -> str:
    text = (EXPERT / f"{name}.sql").read_text()
    for placeholder, value in ((":start_1h", ts_literal(now - HOUR_NS)), (":start_1d", ts_literal(now - 24 * HOUR_NS)),
                               (":now", ts_literal(now)), (":dest", f'"{dest}"')):
        text = text.replace(placeholder, value)
    return text


class Bench:
    """Both databases of one data size, and the queries run against them."""

    def __init__(self, flux_path: Path, expert_path: Path, now: int):
        import duckdb

        from runtime.database import Database

        self.now = now
        # to() writes into fresh buckets/tables of scratch copies, so the data files stay as loaded.
        self.scratch = [flux_path.with_suffix(".scratch.duckdb"), expert_path.with_suffix(".scratch.duckdb")]
        for original, copy in zip((flux_path, expert_path), self.scratch):
            shutil.copyfile(original, copy)
        self.db = Database(flux_path)
        self.expert = duckdb.connect(str(expert_path), read_only=True)
        self.db_w = Database(self.scratch[0])
        self.expert_w = duckdb.connect(str(self.scratch[1]))
        self.fresh = 0

    def close(self):
        self.db.close(), self.expert.close(), self.db_w.close(), self.expert_w.close()
        for path in self.scratch:
            path.unlink(missing_ok=True)
            Path(str(path) + ".wal").unlink(missing_ok=True)

    def flux_source(self, q: Query) -> tuple[str, str]:
        source = (QUERIES / f"{q.name}.flux").read_text()
        self.fresh += 1
        dest = f"bench_dest_{self.fresh}"
        return source.replace("DEST_BUCKET", dest), dest

    def run_flux(self, q: Query):
        source, dest = self.flux_source(q)
        db = self.db_w if q.writes else self.db
        return db.query(source, now=self.now, filename=str(QUERIES / f"{q.name}.flux")), dest

    def run_expert(self, q: Query):
        self.fresh += 1
        dest = f"bench_dest_{self.fresh}"
        if q.writes:
            self.expert_w.execute(expert_sql(q.name, self.now, dest))
            return None, None, dest
        cursor = self.expert.execute(expert_sql(q.name, self.now))
        return cursor.fetchall(), cursor.description, dest

    def transpile(self, q: Query):
        import transpile
        from runtime.execute import ConnectionCatalog

        source, _ = self.flux_source(q)
        return transpile.compile(source, now=self.now, filename=str(QUERIES / f"{q.name}.flux"),
                                 catalog=ConnectionCatalog(self.db.connection))

    def check(self, q: Query) -> str | None:
        """None when flux2sql and the expert agree, else the difference."""
        result, dest = self.run_flux(q)
        rows, description, expert_dest = self.run_expert(q)
        if q.writes:
            catalog = self.db_w.catalog(dest).measurements["mem"]
            fields = ", ".join(f'"{f.column}"' for f in catalog.fields)
            cursor = self.db_w.connection.execute(
                f'SELECT host, epoch_ns(_time) AS _time, {fields} FROM "{catalog.schema}"."{catalog.table}"')
            got = melt(cursor.fetchall(), cursor.description, 1)
            cursor = self.expert_w.execute(
                f'SELECT host, epoch_ns(_time) AS _time, * EXCLUDE (host, _time) FROM "{expert_dest}"')
            return same_rows(got, melt(cursor.fetchall(), cursor.description, 1))
        return same_rows(flux_rows(result, q.flux_columns), q.expert_rows(rows, description))


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_size(points: int, runs: int, only: list[str]) -> list[tuple]:
    lp = ensure_line_protocol(points)
    flux_path = ensure_flux2sql_db(lp, points)
    expert_path = ensure_expert_db(lp, points)
    now = last_timestamp(lp) // HALF_HOUR_NS * HALF_HOUR_NS
    bench = Bench(flux_path, expert_path, now)
    queries = [q for q in QUERY_LIST if not only or any(o in q.name for o in only)]
    rows, active = [], []
    try:
        for q in queries:
            try:
                bench.transpile(q)
            except Exception as error:  # noqa: BLE001  (a FluxError: report and skip)
                rows.append((q.name, points, None, None, None, None, f"skipped: {q.name}.flux:{str(error).splitlines()[0]}"))
                continue
            problem = bench.check(q)
            active.append((q, "same results" if problem is None else f"DIFFERENT: {problem}"))
        timings = {q.name: {"flux2sql": [], "expert": [], "transpile": []} for q, _ in active}
        for run in range(runs):
            for q, _ in active:
                # Alternate who goes first so that caches and noise favour neither.
                order = (("flux2sql", bench.run_flux), ("expert", bench.run_expert))
                for label, fn in order if run % 2 == 0 else order[::-1]:
                    start = time.perf_counter()
                    fn(q)
                    timings[q.name][label].append(time.perf_counter() - start)
                start = time.perf_counter()
                bench.transpile(q)
                timings[q.name]["transpile"].append(time.perf_counter() - start)
            print(f"run {run + 1}/{runs} done", file=sys.stderr)
        for q, note in active:
            t = timings[q.name]
            f, e = median_ms(t["flux2sql"]), median_ms(t["expert"])
            rows.append((q.name, points, f, e, f / e, median_ms(t["transpile"]), note))
    finally:
        bench.close()
    return rows


def markdown(rows: list[tuple]) -> str:
    lines = ["| query | points | flux2sql median ms | expert median ms | ratio | transpile ms | check |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, points, f, e, ratio, tr, note in rows:
        if f is None:
            lines.append(f"| {name} | {points:,} | | | | | {note} |")
        else:
            lines.append(f"| {name} | {points:,} | {f:.1f} | {e:.1f} | {ratio:.2f} | {tr:.1f} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, action="append", help="data size (repeatable); default 1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", action="append", default=[], help="run queries whose name contains this")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BENCH))
    rows = []
    for points in args.points or [1_000_000]:
        rows += bench_size(points, args.runs, args.only)
    print(markdown(rows))


if __name__ == "__main__":
    main()
