"""`flux2sql write`: exit codes, one-line errors without tracebacks, stdin, --skip-bad."""
from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from runtime.cli.main import app


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["write", *map(str, args)], input=input)

    return invoke


def count(db, table="b.cpu") -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_writes_a_file(run, tmp_path):
    data = tmp_path / "in.lp"
    data.write_text("cpu,host=a usage=1 1\ncpu,host=b usage=2 2\n")
    db = tmp_path / "x.duckdb"
    result = run(data, "--db", db, "--bucket", "b")
    assert result.exit_code == 0, result.output
    assert "wrote 2 points" in result.output
    assert count(db) == 2


def test_reads_standard_input_with_precision(run, tmp_path):
    db = tmp_path / "x.duckdb"
    result = run("-", "--db", db, "--bucket", "b", "--precision", "s", input="cpu usage=1 1700000000\n")
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT epoch_ns(_time) FROM b.cpu").fetchall() == [(1_700_000_000_000_000_000,)]
    con.close()


def test_bad_line_exits_1_and_writes_nothing(run, tmp_path):
    data = tmp_path / "in.lp"
    data.write_text("cpu usage=1 1\ncpu usage=oops 2\ncpu usage=3 3\n")
    db = tmp_path / "x.duckdb"
    run("-", "--db", db, "--bucket", "b", input="cpu usage=0 0\n")
    result = run(data, "--db", db, "--bucket", "b")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{data}:2:11: invalid value of field 'usage'" in result.output
    assert "nothing was written" in result.output
    assert count(db) == 1


def test_skip_bad_writes_good_lines_and_reports(run, tmp_path):
    data = tmp_path / "in.lp"
    data.write_text("cpu usage=1 1\ncpu usage=2i 2\ncpu usage=3 3\n")
    db = tmp_path / "x.duckdb"
    result = run(data, "--db", db, "--bucket", "b", "--skip-bad")
    assert result.exit_code == 0, result.output
    assert f"{data}:2: field type conflict" in result.output
    assert "skipped 1 bad line" in result.output
    assert count(db) == 2


@pytest.mark.parametrize("args, fragment", [
    (["--precision", "h"], "unknown precision"),
    (["--format", "json"], "unknown format"),
    (["--bucket", "_system"], "cannot begin with '_'"),
])
def test_bad_options(run, tmp_path, args, fragment):
    data = tmp_path / "in.lp"
    data.write_text("cpu usage=1 1\n")
    base = {"--bucket": "b"}
    extra = list(args)
    if "--bucket" not in extra:
        extra += ["--bucket", "b"]
    result = run(data, "--db", tmp_path / "x.duckdb", *extra)
    assert result.exit_code != 0
    assert fragment in result.output and "Traceback" not in result.output
    del base


def test_missing_file(run, tmp_path):
    result = run(tmp_path / "nope.lp", "--db", tmp_path / "x.duckdb", "--bucket", "b")
    assert result.exit_code == 1
    assert "No such file" in result.output and "Traceback" not in result.output


def test_unusable_database(run, tmp_path):
    data = tmp_path / "in.lp"
    data.write_text("cpu usage=1 1\n")
    bogus = tmp_path / "not-a-db.duckdb"
    bogus.write_text("this is not a duckdb file")
    result = run(data, "--db", bogus, "--bucket", "b")
    assert result.exit_code == 1
    assert "cannot open database" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_progress_bar_on_request(run, tmp_path):
    data = tmp_path / "in.lp"
    data.write_text("cpu usage=1 1\n")
    result = run(data, "--db", tmp_path / "x.duckdb", "--bucket", "b", "--progress")
    assert result.exit_code == 0, result.output


CSV_TEXT = """#group,false,false,false,false,true,true
#datatype,string,long,dateTime:RFC3339,double,string,string
#default,_result,,,,,
,result,table,_time,_value,_field,_measurement
,,0,2024-01-01T00:00:00Z,1.5,usage,cpu
,,0,2024-01-01T00:00:10Z,oops,usage,cpu
"""


def test_annotated_csv_format(run, tmp_path):
    data = tmp_path / "in.csv"
    data.write_text(CSV_TEXT.replace("oops", "2.5"))
    db = tmp_path / "x.duckdb"
    result = run(data, "--db", db, "--bucket", "b", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert count(db) == 2


def test_annotated_csv_bad_cell_is_one_line_error(run, tmp_path):
    data = tmp_path / "in.csv"
    data.write_text(CSV_TEXT)
    result = run(data, "--db", tmp_path / "x.duckdb", "--bucket", "b", "--format", "csv")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and f"{data}:6:" in result.output


def test_annotated_csv_type_conflict_names_the_row_line(run, tmp_path):
    # The second table's rows sit on lines 11 and 12 of the file, after a blank line and
    # a second header: errors name those lines, not the rows' numbers among data rows.
    db = tmp_path / "x.duckdb"
    stored = tmp_path / "stored.lp"
    stored.write_text("m,h=a f=1.5 1000\n")
    assert run(stored, "--db", db, "--bucket", "b").exit_code == 0
    data = tmp_path / "in.csv"
    block = ("#datatype,string,long,dateTime:RFC3339,{t},string,string,string\n"
             "#group,false,false,false,false,true,true,true\n#default,_result,,,,,,\n"
             ",result,table,_time,_value,_field,_measurement,h\n")
    data.write_text(block.format(t="double") + ",,0,2024-01-01T00:00:00Z,2.5,f,m,a\n\n"
                    + block.format(t="long") + ",,1,2024-01-01T00:00:10Z,3,f,m,b\n,,1,2024-01-01T00:00:20Z,4,f,m,b\n")
    result = run(data, "--db", db, "--bucket", "b", "--format", "csv")
    assert result.exit_code == 1
    assert f"{data}:11: field type conflict" in result.output and f"{data}:12: field type conflict" in result.output
    assert count(db, "b.m") == 1  # nothing of the bad write
