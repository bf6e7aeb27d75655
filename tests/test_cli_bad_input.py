"""Bad input to every command gives one clear line and a non-zero exit (DESIGN.md section 3).

For each case: the exit status is non-zero; stderr's first line is `FILE:LINE:COL: message`
(`FILE:LINE: message` for data files) or, where there is no position, `FILE: message` or
`error: message`; there is no Python traceback and no "internal error"; a failed write
leaves the database as it was.

The cases run through the CLI's own entry function (`runtime.cli.main.main`) in one
subprocess, to keep the sweep fast; a few run as `python -m runtime.cli.main` each.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOW = ["--now", "2024-01-01T00:00:00Z"]

# name -> script text (bytes for a script that is not UTF-8)
SCRIPTS = {
    "ok.flux": 'import "array"\narray.from(rows: [{a: 1}])\n',
    "unclosed_string.flux": 'x = "abc\n',
    "unclosed_paren.flux": 'import "array"\narray.from(rows: [{a: 1}]\n',
    "unclosed_bracket.flux": "x = [1, 2\n",
    "unclosed_brace.flux": "x = {a: 1\n",
    "bad_time.flux": "x = 2024-02-30T00:00:00Z\n",
    "bad_duration.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> range(start: -1hh)\n',
    "stray_operator.flux": "x = * 2\n",
    "stray_pipe.flux": "|> range(start: -1h)\n",
    "deep.flux": "x = " + "[" * 3000 + "1" + "]" * 3000 + "\n",
    "not_utf8.flux": b'x = "\xff"\n',
    "unknown_identifier.flux": "foo |> yield()\n",
    "unknown_package.flux": 'import "nosuchpkg"\nnosuchpkg.x()\n',
    "unknown_member.flux": 'import "strings"\nstrings.nope(v: "a")\n',
    "missing_argument.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> range()\n',
    "unknown_argument.flux": 'import "array"\narray.from(rows: [{a: 1}], foo: 1)\n',
    "string_for_time.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> range(start: "yesterday")\n',
    "string_for_duration.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> aggregateWindow(every: "5m", fn: mean)\n',
    "record_for_array.flux": 'import "array"\narray.from(rows: {a: 1})\n',
    "wrong_pipe.flux": "1 |> range(start: -1h)\n",
    "no_pipe.flux": "range(start: -1h)\n",
    "yield_alone.flux": "yield()\n",
    "yield_twice.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> yield(name: "a")\n'
                        'array.from(rows: [{a: 2}]) |> yield(name: "a")\n',
    "overflow.flux": 'import "array"\narray.from(rows: [{_value: 9223372036854775807}])\n'
                     "  |> map(fn: (r) => ({r with _value: r._value + 1}))\n",
    "bad_int.flux": 'import "array"\narray.from(rows: [{_value: "abc"}]) |> map(fn: (r) => ({r with _value: int(v: r._value)}))\n',
    "divide_by_zero.flux": 'import "array"\narray.from(rows: [{_value: 1}]) |> map(fn: (r) => ({r with _value: r._value / 0}))\n',
    "constant_divide_by_zero.flux": 'import "array"\nx = 1 / 0\narray.from(rows: [{_value: x}])\n',
    "runtime_regex.flux": 'import "array"\narray.from(rows: [{a: "x"}]) |> filter(fn: (r) => r.a =~ /(?P<x/)\n',
    "second_result_fails.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> yield(name: "fine")\n'
                                'array.from(rows: [{_value: 1}]) |> map(fn: (r) => ({r with _value: r._value % 0}))'
                                ' |> yield(name: "broken")\n',
    "csv_missing.flux": 'import "csv"\ncsv.from(file: "nope.csv")\n',
    "csv_malformed.flux": 'import "csv"\ncsv.from(file: "malformed.csv")\n',
    "bucket_missing.flux": 'from(bucket: "nope") |> range(start: -1h)\n',
    "to_then_fail.flux": 'import "array"\n'
                         'array.from(rows: [{_time: 2024-01-01T00:00:00Z, _measurement: "m", _field: "f", _value: 1}])\n'
                         '  |> to(bucket: "b") |> yield(name: "written")\n'
                         'array.from(rows: [{_value: 1}]) |> map(fn: (r) => ({r with _value: r._value / 0})) |> yield(name: "fails")\n',
    "yield_int_name.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> yield(name: 1)\n',
    "set_int_value.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> set(key: "x", value: 1)\n',
    "limit_string.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> limit(n: "3")\n',
    "limit_negative.flux": 'import "array"\narray.from(rows: [{a: 1}]) |> tail(n: 1, offset: -1)\n',
    "sort_desc_string.flux": 'import "array"\narray.from(rows: [{_value: 1}]) |> sort(desc: "yes")\n',
    "filter_float.flux": 'import "array"\narray.from(rows: [{_value: 1.5}]) |> filter(fn: (r) => r._value)\n',
    "empty.flux": "",
    "only_assignments.flux": "x = 1\ny = x + 1\n",
    "task_ok.flux": 'option task = {name: "t", every: 1h}\nfrom(bucket: "b") |> range(start: -task.every)\n',
    "task_bad_cron.flux": 'option task = {name: "c", cron: "61 * * * *"}\nfrom(bucket: "b") |> range(start: -1h)\n',
    "task_bad_every.flux": 'option task = {name: "e", every: "1h"}\nfrom(bucket: "b") |> range(start: -1h)\n',
    "task_cron_and_every.flux": 'option task = {name: "ce", every: 1h, cron: "0 * * * *"}\nfrom(bucket: "b") |> range(start: -1h)\n',
    "task_none.flux": 'from(bucket: "b") |> range(start: -1h)\n',
}

DATA = {
    "seed.lp": 'cpu,host=a usage=1.5,n=3i,s="x" 1700000000000000000\n',
    "malformed.csv": "#datatype,string,long\n#group,false\n,result,_value\n",
    "not_a_db.csv": "a,b\n1,2\n",
    "empty.duckdb": "",
    "lp_no_field.lp": "cpu,host=a 1\n",
    "lp_bad_escape.lp": "cpu,host=a\\ usage=1 1\n",
    "lp_unclosed_quote.lp": 'cpu s="abc 1\n',
    "lp_bad_int.lp": "cpu usage=12xi 1\n",
    "lp_int_overflow.lp": "cpu n=9223372036854775808i 1\n",
    "lp_bad_timestamp.lp": "cpu usage=1 12abc\n",
    "lp_timestamp_range.lp": "cpu usage=1 9999999999999\n",
    "lp_reserved_field.lp": "cpu _time=1 1\n",
    "lp_not_utf8.lp": b"cpu,host=\xff usage=1 1\n",
    "lp_second_line_bad.lp": "cpu,host=z usage=2 5\ncpu usage= 6\n",
    "lp_type_conflict.lp": 'cpu,host=a usage="text" 2\n',
    "lp_good.lp": "cpu,host=b usage=2 3\n",
    "csv_bad_value.csv": "#group,false,false,false,false,true,true\n"
                         "#datatype,string,long,dateTime:RFC3339,double,string,string\n"
                         "#default,_result,,,,,\n,result,table,_time,_value,_field,_measurement\n"
                         ",,0,2024-01-01T00:00:00Z,1.5,usage,cpu\n,,0,2024-01-01T00:00:10Z,abc,usage,cpu\n",
    "csv_bad_time.csv": "#datatype,string,long,dateTime:RFC3339,double,string,string\n"
                        ",result,table,_time,_value,_field,_measurement\n,,0,2024-13-01T00:00:00Z,1.5,usage,cpu\n",
    "csv_no_header.csv": "#datatype,string\n",
    "csv_not_annotated.csv": "a,b,c\n1,2,3\n",
}

# (id, argv, expectation, words the message must contain). Expectations:
#   pos: FILE:LINE:COL: ...   line: FILE:LINE[:COL]: ...   file: FILE: ...   msg: error: ...
# `FILE` is the first argument that names a file of the case; write cases also check that
# the database did not change.
W = ["write", "--db", "data.duckdb", "--bucket", "b"]
CASES = [
    # -- parse
    ("parse-unclosed-string", ["parse", "unclosed_string.flux"], "pos", "unterminated string"),
    ("parse-unclosed-paren", ["parse", "unclosed_paren.flux"], "pos", "')'"),
    ("parse-unclosed-bracket", ["parse", "unclosed_bracket.flux"], "pos", "']'"),
    ("parse-unclosed-brace", ["parse", "unclosed_brace.flux"], "pos", "'}'"),
    ("parse-bad-time", ["parse", "bad_time.flux"], "pos", "date-time"),
    ("parse-bad-duration", ["parse", "bad_duration.flux"], "pos", ""),
    ("parse-stray-operator", ["parse", "stray_operator.flux"], "pos", "expected an expression"),
    ("parse-stray-pipe", ["parse", "stray_pipe.flux"], "pos", "expected an expression"),
    ("parse-deep", ["parse", "deep.flux"], "pos", "nested too deeply"),
    ("parse-not-utf8", ["parse", "not_utf8.flux"], "pos", "UTF-8"),
    ("parse-missing-file", ["parse", "nope.flux"], "file", "No such file"),
    ("parse-directory", ["parse", "."], "file", "directory"),
    # -- compile errors (query and transpile)
    ("query-syntax", ["query", "unclosed_paren.flux", *NOW], "pos", ""),
    ("query-deep", ["query", "deep.flux", *NOW], "pos", "nested too deeply"),
    ("query-not-utf8", ["query", "not_utf8.flux", *NOW], "pos", "UTF-8"),
    ("query-unknown-identifier", ["query", "unknown_identifier.flux", *NOW], "pos", "foo"),
    ("query-unknown-package", ["query", "unknown_package.flux", *NOW], "pos", "nosuchpkg"),
    ("query-unknown-member", ["query", "unknown_member.flux", *NOW], "pos", "strings.nope"),
    ("query-missing-argument", ["query", "missing_argument.flux", *NOW], "pos", "start"),
    ("query-unknown-argument", ["query", "unknown_argument.flux", *NOW], "pos", "foo"),
    ("query-string-for-time", ["query", "string_for_time.flux", *NOW], "pos", "start"),
    ("query-string-for-duration", ["query", "string_for_duration.flux", *NOW], "pos", "every"),
    ("query-record-for-array", ["query", "record_for_array.flux", *NOW], "pos", "rows"),
    ("query-wrong-pipe", ["query", "wrong_pipe.flux", *NOW], "pos", "stream"),
    ("query-yield-int-name", ["query", "yield_int_name.flux", *NOW], "pos", "name must be a string, got int"),
    ("query-set-int-value", ["query", "set_int_value.flux", *NOW], "pos", "value must be a string, got int"),
    ("query-limit-string", ["query", "limit_string.flux", *NOW], "pos", "n must be an int, got string"),
    ("query-limit-negative", ["query", "limit_negative.flux", *NOW], "pos", "offset must not be negative"),
    ("query-sort-desc-string", ["query", "sort_desc_string.flux", *NOW], "pos", "desc must be a bool, got string"),
    ("query-filter-float", ["query", "filter_float.flux", *NOW], "pos", "fn must return a bool, got float"),
    ("query-no-pipe", ["query", "no_pipe.flux", *NOW], "pos", "piped"),
    ("query-yield-alone", ["query", "yield_alone.flux", *NOW], "pos", "piped"),
    ("query-yield-twice", ["query", "yield_twice.flux", *NOW], "pos", "twice"),
    ("query-constant-divide-by-zero", ["query", "constant_divide_by_zero.flux", *NOW], "pos", "division by zero"),
    ("query-csv-missing", ["query", "csv_missing.flux", *NOW], "pos", "nope.csv"),
    ("query-csv-malformed", ["query", "csv_malformed.flux", *NOW], "pos", "malformed.csv"),
    ("query-bucket-missing", ["query", "bucket_missing.flux", "--db", "data.duckdb", *NOW], "pos", "nope"),
    ("query-empty", ["query", "empty.flux", *NOW], "file", "no streaming data"),
    ("query-only-assignments", ["query", "only_assignments.flux", *NOW], "file", "no streaming data"),
    ("query-missing-file", ["query", "nope.flux", *NOW], "file", "No such file"),
    ("query-directory", ["query", ".", *NOW], "file", "directory"),
    ("transpile-syntax", ["transpile", "unclosed_brace.flux", *NOW], "pos", ""),
    ("transpile-unknown-identifier", ["transpile", "unknown_identifier.flux", *NOW], "pos", "foo"),
    ("transpile-empty", ["transpile", "empty.flux", *NOW], "file", "no streaming data"),
    # -- errors only DuckDB finds: the position of the failing result's yield
    ("query-overflow", ["query", "overflow.flux", *NOW], "pos", "overflow"),
    ("query-bad-int", ["query", "bad_int.flux", *NOW], "pos", "int()"),
    ("query-divide-by-zero", ["query", "divide_by_zero.flux", *NOW], "pos", "division by zero"),
    ("query-runtime-regex", ["query", "runtime_regex.flux", *NOW], "pos", "capture group"),
    ("query-second-result-fails", ["query", "second_result_fails.flux", *NOW], "pos", "division by zero"),
    ("query-to-then-fail", ["query", "to_then_fail.flux", "--db", "data.duckdb", *NOW], "pos", "division by zero"),
    # -- options
    ("query-now-malformed", ["query", "ok.flux", "--now", "yesterday"], "msg", "--now"),
    ("query-now-no-day", ["query", "ok.flux", "--now", "2024-13-01T00:00:00Z"], "msg", "--now"),
    ("transpile-now-date-only", ["transpile", "ok.flux", "--now", "2024-01-01"], "msg", "--now"),
    ("query-format", ["query", "ok.flux", "--format", "xml", *NOW], "msg", "--format"),
    ("query-db-not-duckdb", ["query", "ok.flux", "--db", "not_a_db.csv", *NOW], "msg", "not a DuckDB database file"),
    ("transpile-db-not-duckdb", ["transpile", "ok.flux", "--db", "not_a_db.csv", *NOW], "msg", "not a DuckDB database file"),
    ("query-db-empty-file", ["query", "ok.flux", "--db", "empty.duckdb", *NOW], "msg", "not a DuckDB database file"),
    ("query-db-directory", ["query", "ok.flux", "--db", ".", *NOW], "msg", "directory"),
    ("query-db-no-folder", ["query", "ok.flux", "--db", "no/such/dir.duckdb", *NOW], "msg", "No such file"),
    # -- write: line protocol (FILE:LINE:COL), annotated CSV (FILE:LINE); nothing written
    ("write-lp-no-field", [*W, "lp_no_field.lp"], "line", "'='"),
    ("write-lp-bad-escape", [*W, "lp_bad_escape.lp"], "line", "escape"),
    ("write-lp-unclosed-quote", [*W, "lp_unclosed_quote.lp"], "line", "unterminated"),
    ("write-lp-bad-int", [*W, "lp_bad_int.lp"], "line", "12xi"),
    ("write-lp-int-overflow", [*W, "lp_int_overflow.lp"], "line", "out of range"),
    ("write-lp-bad-timestamp", [*W, "lp_bad_timestamp.lp"], "line", "timestamp"),
    ("write-lp-timestamp-range", [*W, "--precision", "s", "lp_timestamp_range.lp"], "line", "out of range"),
    ("write-lp-reserved-field", [*W, "lp_reserved_field.lp"], "line", "reserved"),
    ("write-lp-not-utf8", [*W, "lp_not_utf8.lp"], "line", "UTF-8"),
    ("write-lp-second-line-bad", [*W, "lp_second_line_bad.lp"], "line", "usage"),
    ("write-lp-type-conflict", [*W, "lp_type_conflict.lp"], "line", "type conflict"),
    ("write-csv-bad-value", [*W, "--format", "csv", "csv_bad_value.csv"], "line", "abc"),
    ("write-csv-bad-time", [*W, "--format", "csv", "csv_bad_time.csv"], "line", "2024-13-01"),
    ("write-csv-no-header", [*W, "--format", "csv", "csv_no_header.csv"], "line", "header"),
    ("write-csv-not-annotated", [*W, "--format", "csv", "csv_not_annotated.csv"], "line", "annotation"),
    ("write-missing-file", [*W, "nope.lp"], "msg", "No such file"),
    ("write-precision", [*W, "--precision", "xs", "lp_good.lp"], "msg", "precision"),
    ("write-format", [*W, "--format", "json", "lp_good.lp"], "msg", "format"),
    ("write-bucket-empty", ["write", "--db", "data.duckdb", "--bucket", "", "lp_good.lp"], "msg", "bucket"),
    ("write-bucket-reserved", ["write", "--db", "data.duckdb", "--bucket", "_tasks", "lp_good.lp"], "msg", "reserved"),
    ("write-db-not-duckdb", ["write", "--db", "not_a_db.csv", "--bucket", "b", "lp_good.lp"], "msg", "not a DuckDB database file"),
    # -- tasks and the scheduler
    ("task-create-missing-file", ["task", "create", "nope.flux", "--db", "data.duckdb", *NOW], "file", "No such file"),
    ("task-create-bad-cron", ["task", "create", "task_bad_cron.flux", "--db", "data.duckdb", *NOW], "pos", "cron"),
    ("task-create-bad-every", ["task", "create", "task_bad_every.flux", "--db", "data.duckdb", *NOW], "pos", "every"),
    ("task-create-cron-and-every", ["task", "create", "task_cron_and_every.flux", "--db", "data.duckdb", *NOW], "pos", "cron"),
    ("task-create-no-options", ["task", "create", "task_none.flux", "--db", "data.duckdb", *NOW], "file", "task options"),
    ("task-create-twice", ["task", "create", "task_ok.flux", "--db", "data.duckdb", *NOW], "msg", "already exists"),
    ("task-create-timezone", ["task", "create", "task_ok.flux", "--db", "data.duckdb", "--timezone", "Mars/Base", *NOW], "msg", "time zone"),
    ("task-show-unknown", ["task", "show", "nope", "--db", "data.duckdb"], "msg", "no task named"),
    ("task-run-unknown", ["task", "run", "nope", "--db", "data.duckdb", *NOW], "msg", "no task named"),
    ("task-run-bad-at", ["task", "run", "t", "--db", "data.duckdb", "--at", "soon", *NOW], "msg", "--at"),
    ("task-run-unknown-retry", ["task", "run", "t", "--db", "data.duckdb", "--retry", "99", *NOW], "msg", "no run 99"),
    ("task-run-negative-delay", ["task", "run", "t", "--db", "data.duckdb", "--retry-delay", "-1", *NOW], "msg", "--retry-delay"),
    ("task-runs-negative-limit", ["task", "runs", "t", "--db", "data.duckdb", "--limit", "-1"], "msg", "--limit"),
    ("task-runs-bad-status", ["task", "runs", "t", "--db", "data.duckdb", "--status", "weird"], "msg", "--status"),
    ("task-logs-unknown-run", ["task", "logs", "t", "99", "--db", "data.duckdb"], "msg", "no run 99"),
    ("task-delete-unknown", ["task", "delete", "nope", "--db", "data.duckdb"], "msg", "no task named"),
    ("task-backfill-reversed", ["task", "backfill", "t", "--db", "data.duckdb", "--start", "2023-12-31T10:00:00Z",
                                "--stop", "2023-12-31T01:00:00Z", *NOW], "msg", "--stop"),
    ("task-backfill-future", ["task", "backfill", "t", "--db", "data.duckdb", "--start", "2023-12-31T00:00:00Z",
                              "--stop", "2030-01-01T00:00:00Z", *NOW], "msg", "past"),
    ("task-backfill-bad-start", ["task", "backfill", "t", "--db", "data.duckdb", "--start", "x",
                                 "--stop", "2023-12-31T01:00:00Z", *NOW], "msg", "--start"),
    ("task-list-missing-db", ["task", "list", "--db", "nope.duckdb"], "msg", "no such database"),
    ("task-list-not-duckdb", ["task", "list", "--db", "not_a_db.csv"], "msg", "not a DuckDB database file"),
    ("scheduler-missing-db", ["scheduler", "--db", "nope.duckdb", "--once", *NOW], "msg", "no such database"),
    ("scheduler-not-duckdb", ["scheduler", "--db", "not_a_db.csv", "--once", *NOW], "msg", "not a DuckDB database file"),
    ("scheduler-bad-now", ["scheduler", "--db", "data.duckdb", "--once", "--now", "x"], "msg", "--now"),
    ("scheduler-zero-poll", ["scheduler", "--db", "data.duckdb", "--poll", "0", *NOW], "msg", "--poll"),
    ("scheduler-zero-workers", ["scheduler", "--db", "data.duckdb", "--workers", "0", *NOW], "msg", "--workers"),
    # -- usage errors: one line too
    ("usage-unknown-command", ["frobnicate"], "msg", "No such command"),
    ("usage-missing-argument", ["query"], "msg", "Missing argument"),
    ("usage-unknown-option", ["query", "ok.flux", "--bogus"], "msg", "No such option"),
    ("usage-not-an-integer", ["task", "logs", "t", "abc", "--db", "data.duckdb"], "msg", "integer"),
]

# Runs in the subprocess: the setup commands, then every case through main(), with a
# snapshot of every --db file before and after.
DRIVER = textwrap.dedent('''
    import contextlib, io, json, os, sys, traceback
    import duckdb
    from runtime.cli.main import main

    def run(argv, stdin=b""):
        out, err = io.StringIO(), io.StringIO()
        sys.argv, sys.stdin = ["flux2sql", *argv], io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 1
            except BaseException:
                err.write(traceback.format_exc())
                code = -1
        return code, out.getvalue(), err.getvalue()

    def snapshot(path):
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return None
        with open(path, "rb") as f:
            if f.read(12)[8:12] != b"DUCK":
                return f.read()  # not a database: its bytes
        con = duckdb.connect(path, read_only=True)
        try:
            tables = con.execute("SELECT table_catalog, table_schema, table_name FROM information_schema.tables "
                                 "ORDER BY ALL").fetchall()
            return repr([(t, con.execute('SELECT * FROM "%s"."%s"."%s" ORDER BY ALL' % t).fetchall()) for t in tables])
        finally:
            con.close()

    request = json.load(sys.stdin)
    for argv in request["setup"]:
        code, out, err = run(argv)
        assert code == 0, (argv, err)
    results = {}
    for case_id, argv in request["cases"]:
        dbs = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--db"]
        before = [snapshot(db) for db in dbs]
        code, out, err = run(argv)
        results[case_id] = {"code": code, "stdout": out, "stderr": err,
                            "unchanged": before == [snapshot(db) for db in dbs]}
    json.dump(results, sys.__stdout__)
''')


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_input")
    for name, text in {**SCRIPTS, **DATA}.items():
        (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    setup = [
        [*W, "seed.lp"],
        ["task", "create", "task_ok.flux", "--db", "data.duckdb", *NOW],
    ]
    request = json.dumps({"setup": setup, "cases": [(case_id, argv) for case_id, argv, _, _ in CASES]})
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    env.pop("FLUX2SQL_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", DRIVER], input=request, capture_output=True, text=True,
                          cwd=folder, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _named_file(argv: list[str]) -> str | None:
    """The script or data file the error line should start with."""
    command = argv[0]
    if command in ("parse", "query", "transpile") or argv[:2] == ["task", "create"]:
        return argv[2] if command == "task" else argv[1]
    if command == "write":
        return argv[-1]
    return None


PATTERNS = {
    "pos": r"{file}:\d+:\d+: \S",
    "line": r"{file}:\d+(:\d+)?: \S",
    "file": r"{file}: \S",
    "msg": r"error: \S",
}


@pytest.mark.parametrize("case_id, argv, expect, words", CASES, ids=[case[0] for case in CASES])
def test_bad_input_gives_one_clear_line(results, case_id, argv, expect, words):
    result = results[case_id]
    code, out, err = result["code"], result["stdout"], result["stderr"]
    assert code not in (0, -1), f"exit {code}; stderr: {err!r}; stdout: {out[:200]!r}"
    assert "Traceback" not in err + out and "internal error" not in err, err
    first = err.splitlines()[0] if err.strip() else ""
    pattern = PATTERNS[expect].format(file=re.escape(_named_file(argv) or "") if expect != "msg" else "")
    assert re.match(pattern, first), f"first line {first!r} does not match {pattern!r}"
    assert words.lower() in first.lower(), f"{words!r} not in {first!r}"
    assert result["unchanged"], "the database changed"


def test_runtime_error_points_at_the_failing_yield(results):
    """Of two results, the second fails at run time: the error names its yield's line."""
    first = results["query-second-result-fails"]["stderr"].splitlines()[0]
    assert first.startswith("second_result_fails.flux:3:"), first


def test_cli_as_a_process(tmp_path):
    """`python -m runtime.cli.main`: a usage error and a bad script, one line each."""
    (tmp_path / "bad.flux").write_text("x = (\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FLUX2SQL_DEBUG", None)
    for argv, code, first in [
        (["query"], 2, "error: Missing argument"),
        (["parse", "bad.flux"], 1, "bad.flux:1:6: "),
        (["query", "bad.flux", "--now", "nope"], 1, "error: --now"),
    ]:
        done = subprocess.run([sys.executable, "-m", "runtime.cli.main", *argv], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=60)
        assert done.returncode == code, (argv, done.stderr)
        assert done.stderr.startswith(first), (argv, done.stderr)
        assert "Traceback" not in done.stderr


def test_locked_database_is_one_line(tmp_path):
    """Another process holds the file: query, write and task say so in one line."""
    db = tmp_path / "held.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
                               "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        (tmp_path / "ok.flux").write_text(SCRIPTS["ok.flux"])
        (tmp_path / "one.lp").write_text("cpu usage=1 1\n")
        code = ("import sys\nfrom runtime.cli.main import main\nsys.argv = ['flux2sql'] + sys.argv[1:]\nmain()\n")
        for argv in (["query", "ok.flux", "--db", str(db)], ["write", "--db", str(db), "--bucket", "b", "one.lp"],
                     ["task", "list", "--db", str(db)]):
            done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                                  cwd=tmp_path, env=env, timeout=60)
            assert done.returncode == 1, (argv, done.stderr)
            assert re.match(r"error: .*held\.duckdb is in use by", done.stderr), done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
