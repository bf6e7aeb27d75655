"""Result writers (runtime.output): annotated CSV as `influx query --raw` prints it, table, JSON."""
from __future__ import annotations

import importlib.util
import io
import json
import math
from pathlib import Path

import pytest

from runtime.output import WRITERS, write_csv, write_json, write_table
from runtime.output.csv import format_float, quote
from transpile.annotated_csv import decode, decode_results
from transpile.tables import Column, Table
from transpile.types import FluxType

NS = 1_000_000_000
T2024 = 1_704_067_200 * NS  # 2024-01-01T00:00:00Z
CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "flux-conformance"

HOST = Column("host", FluxType.STRING)
TIME = Column("_time", FluxType.TIME)
VALUE = Column("_value", FluxType.FLOAT)


def csv_text(results) -> str:
    out = io.StringIO()
    write_csv(results, out)
    return out.getvalue()


def lines(*rows: str) -> str:
    return "".join(row + "\r\n" for row in rows)


# --- cell text -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        (1.5, "1.5"),
        (10.0, "10"),
        (0.1, "0.1"),
        (-0.0, "-0"),
        (1e21, "1000000000000000000000"),
        (1.5e16, "15000000000000000"),
        (123456789012345680.0, "123456789012345680"),
        (1e-7, "0.0000001"),
        (2.5e-5, "0.000025"),
        (-1.2345e-10, "-0.00000000012345"),
        (5e-324, "0." + "0" * 323 + "5"),
        (1 / 3, "0.3333333333333333"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
    ],
)
def test_format_float_is_go_shortest_f_format(value, text):
    assert format_float(value) == text
    if math.isfinite(value):
        assert float(text) == value  # the text reads back exactly


@pytest.mark.parametrize(
    "field, written",
    [
        ("plain", "plain"),
        ("", ""),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\r\nlines"'),  # Go's writer with UseCRLF
        ("cr\r\nlf", '"cr\r\nlf"'),
        ("lone\rcr", '"lonecr"'),
        (" lead", '" lead"'),
        ("\u3000wide space", '"\u3000wide space"'),
        ("trail ", "trail "),
        ("\\.", '"\\."'),
    ],
)
def test_quote_follows_go_encoding_csv(field, written):
    assert quote(field) == written


# --- annotated CSV -------------------------------------------------------------------


def test_readme_example_exactly():
    tables = [
        Table((HOST, TIME, VALUE), ("host",), [("a", T2024, 1.5)]),
        Table((HOST, TIME, VALUE), ("host",), [("b", T2024, None)]),
    ]
    assert csv_text([("_result", tables)]) == lines(
        "#group,false,false,true,false,false",
        "#datatype,string,long,string,dateTime:RFC3339,double",
        "#default,_result,,,,",
        ",result,table,host,_time,_value",
        ",,0,a,2024-01-01T00:00:00Z,1.5",
        ",,1,b,2024-01-01T00:00:00Z,",
        "",
    )


def test_every_type_and_quoting_in_cells_and_labels():
    columns = (
        Column("i", FluxType.INT), Column("u", FluxType.UINT), Column("f", FluxType.FLOAT),
        Column("b", FluxType.BOOL), Column("s,1", FluxType.STRING), Column("t", FluxType.TIME),
        Column("d", FluxType.DURATION),
    )
    row = (-9223372036854775808, 2**64 - 1, -math.inf, False, 'x"y', -1, 5400 * NS)
    text = csv_text([("r", [Table(columns, (), [row, (None,) * 7])])])
    assert text == lines(
        "#group,false,false,false,false,false,false,false,false,false",
        "#datatype,string,long,long,unsignedLong,double,boolean,string,dateTime:RFC3339,duration",
        "#default,r,,,,,,,,",
        ',result,table,i,u,f,b,"s,1",t,d',
        ',,0,-9223372036854775808,18446744073709551615,-Inf,false,"x""y",1969-12-31T23:59:59.999999999Z,1h30m',
        ",,0,,,,,,,",
        "",
    )


def test_schema_change_starts_a_new_block_after_an_empty_line_and_ids_continue():
    other = (HOST, Column("_value", FluxType.INT))
    tables = [
        Table((HOST, VALUE), ("host",), [("a", 1.0)]),
        Table((HOST, VALUE), ("host",), [("b", 2.0)]),
        Table(other, ("host",), [("c", 3)]),
    ]
    assert csv_text([("_result", tables)]) == lines(
        "#group,false,false,true,false",
        "#datatype,string,long,string,double",
        "#default,_result,,,",
        ",result,table,host,_value",
        ",,0,a,1",
        ",,1,b,2",
        "",
        "#group,false,false,true,false",
        "#datatype,string,long,string,long",
        "#default,_result,,,",
        ",result,table,host,_value",
        ",,2,c,3",
        "",
    )


def test_group_key_change_alone_starts_a_new_block():
    tables = [Table((HOST, VALUE), ("host",), [("a", 1.0)]), Table((HOST, VALUE), (), [("b", 2.0)])]
    text = csv_text([("_result", tables)])
    assert text.count("#group") == 2
    assert "\r\n\r\n#group,false,false,false,false\r\n" in text
    assert [t.key for t in decode(text)] == [("host",), ()]


def test_empty_table_gets_its_own_block_with_key_values_in_default():
    tables = [
        Table((HOST, VALUE), ("host",), [("a", 1.0)]),
        Table((HOST, VALUE), ("host",), [], empty_key_values=("b",)),
        Table((HOST, VALUE), ("host",), [("c", 3.0)]),
    ]
    assert csv_text([("_result", tables)]) == lines(
        "#group,false,false,true,false",
        "#datatype,string,long,string,double",
        "#default,_result,,,",
        ",result,table,host,_value",
        ",,0,a,1",
        "",
        "#group,false,false,true,false",
        "#datatype,string,long,string,double",
        "#default,_result,1,b,",
        ",result,table,host,_value",
        "",
        "#group,false,false,true,false",
        "#datatype,string,long,string,double",
        "#default,_result,,,",
        ",result,table,host,_value",
        ",,2,c,3",
        "",
    )
    decoded = decode(csv_text([("_result", tables)]))
    assert [(t.rows, t.key_values()) for t in decoded] == [
        ([("a", 1.0)], ("a",)), ([], ("b",)), ([("c", 3.0)], ("c",)),
    ]


def test_results_each_end_with_an_empty_line_and_number_tables_from_zero():
    table = Table((VALUE,), (), [(1.0,)])
    text = csv_text([("first", [table, table]), ("second", [table])])
    assert text == lines(
        "#group,false,false,false",
        "#datatype,string,long,double",
        "#default,first,,",
        ",result,table,_value",
        ",,0,1",
        ",,1,1",
        "",
        "#group,false,false,false",
        "#datatype,string,long,double",
        "#default,second,,",
        ",result,table,_value",
        ",,0,1",
        "",
    )
    assert [(name, len(tables)) for name, tables in decode_results(text)] == [("first", 2), ("second", 1)]


def test_no_results_and_a_result_without_tables():
    assert csv_text([]) == ""
    assert csv_text([("_result", [])]) == "\r\n"


def test_table_without_columns():
    assert csv_text([("_result", [Table((), (), [()])])]) == lines(
        "#group,false,false", "#datatype,string,long", "#default,_result,", ",result,table", ",,0", "",
    )


def test_strings_with_newlines_round_trip():
    table = Table((Column("s", FluxType.STRING),), (), [("a\nb",), ("c,d",), ('"',)])
    assert decode(csv_text([("_result", [table])]))[0].rows == table.rows


def _conformance_files() -> list[Path]:
    cases = CONFORMANCE / "cases"
    if not cases.is_dir():
        return []
    return sorted(p for p in cases.rglob("*.csv") if p.name == "want.csv" or p.name.startswith("input"))


def _load_checker():
    path = CONFORMANCE / "check.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("flux_conformance_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_conformance_files_round_trip_through_write_csv():
    files = _conformance_files()
    if not files:
        pytest.skip("no ../shared/flux-conformance cases")
    checker = _load_checker()
    for path in files:
        original = path.read_text(encoding="utf-8")
        results = decode_results(original, str(path))
        written = csv_text(results)
        again = decode_results(written, f"{path} (rewritten)")
        before = [(t.columns, t.key, t.key_values(), t.rows) for _, tables in results for t in tables]
        after = [(t.columns, t.key, t.key_values(), t.rows) for _, tables in again for t in tables]
        # repr: NaN cells compare equal by text
        assert repr(after) == repr(before), path
        if checker is not None:  # the conformance checker reads our output as the original
            differences = checker.compare_streams(
                checker.parse_annotated_csv(written), checker.parse_annotated_csv(original)
            )
            assert differences == [], (path, differences[:3])


# --- table ------------------------------------------------------------------------------


def table_text(results) -> str:
    out = io.StringIO()
    write_table(results, out)
    return out.getvalue()


def test_table_writer_layout():
    tables = [
        Table((HOST, TIME, VALUE), ("host",), [("a", T2024, 1.5), ("a\nb", T2024 + 1, 10.25)]),
        Table((HOST, VALUE), ("host",), [], empty_key_values=("z",)),
    ]
    text = table_text([("_result", tables)])
    assert text.splitlines() == [
        "Result: _result  Table: 0  Group key: host=a",
        "host    _time                           _value",
        "string  time                             float",
        "------  ------------------------------  ------",
        "a       2024-01-01T00:00:00Z               1.5",
        "a\\nb    2024-01-01T00:00:00.000000001Z   10.25",
        "",
        "Result: _result  Table: 1  Group key: host=z",
        "host    _value",
        "string   float",
        "------  ------",
        "(no rows)",
        "",
    ]
    assert "\x1b" not in text


def test_table_writer_without_tables():
    assert table_text([("r", [])]) == "Result: r  (no tables)\n\n"


# --- JSON -------------------------------------------------------------------------------


def test_json_document_shape_and_values():
    columns = (HOST, TIME, VALUE, Column("u", FluxType.UINT), Column("ok", FluxType.BOOL))
    rows = [("a", T2024 + 1, math.nan, 2**64 - 1, True), ("a", T2024, None, 0, False)]
    tables = [Table(columns, ("host",), rows), Table((HOST, VALUE), ("host",), [], empty_key_values=("b",))]
    out = io.StringIO()
    write_json([("_result", tables), ("other", [])], out)
    text = out.getvalue()
    assert text.endswith("\n")

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    document = json.loads(text, parse_constant=refuse)
    assert document == {
        "results": [
            {
                "name": "_result",
                "tables": [
                    {
                        "key": {"host": "a"},
                        "columns": [
                            {"label": "host", "type": "string", "group": True},
                            {"label": "_time", "type": "time", "group": False},
                            {"label": "_value", "type": "float", "group": False},
                            {"label": "u", "type": "uint", "group": False},
                            {"label": "ok", "type": "bool", "group": False},
                        ],
                        "rows": [
                            ["a", "2024-01-01T00:00:00.000000001Z", "NaN", 18446744073709551615, True],
                            ["a", "2024-01-01T00:00:00Z", None, 0, False],
                        ],
                    },
                    {
                        "key": {"host": "b"},
                        "columns": [
                            {"label": "host", "type": "string", "group": True},
                            {"label": "_value", "type": "float", "group": False},
                        ],
                        "rows": [],
                    },
                ],
            },
            {"name": "other", "tables": []},
        ]
    }


def test_json_infinities_are_strings():
    out = io.StringIO()
    write_json([("r", [Table((VALUE,), (), [(math.inf,), (-math.inf,), (0.5,)])])], out)
    rows = json.loads(out.getvalue())["results"][0]["tables"][0]["rows"]
    assert rows == [["+Inf"], ["-Inf"], [0.5]]


def test_writers_registry():
    assert WRITERS == {"csv": write_csv, "table": write_table, "json": write_json}
