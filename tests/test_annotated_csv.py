"""Decoding Flux annotated CSV (transpile.annotated_csv) and exact RFC3339 times (transpile.timefmt)."""
from __future__ import annotations

import math

import pytest

from transpile.annotated_csv import AnnotatedCSVError, decode, decode_raw, decode_results
from transpile.errors import FluxError
from transpile.tables import Column
from transpile.timefmt import INT64_MAX, INT64_MIN, format_rfc3339, parse_rfc3339
from transpile.types import FluxType

NS = 1_000_000_000
T2024 = 1_704_067_200 * NS  # 2024-01-01T00:00:00Z

README_EXAMPLE = """\
#datatype,string,long,string,dateTime:RFC3339,double
#group,false,false,true,false,false
#default,_result,,,,
,result,table,host,_time,_value
,,0,a,2024-01-01T00:00:00Z,1.5
,,1,b,2024-01-01T00:00:00Z,
"""


def one_column(datatype: str, *cells: str, default: str = "") -> list:
    """The values of a one-column table whose cells are given as CSV text."""
    text = (
        f"#datatype,string,long,{datatype}\n#group,false,false,false\n#default,_result,,{default}\n"
        ",result,table,x\n" + "".join(f",,0,{cell}\n" for cell in cells)
    )
    (table,) = decode(text)
    return [row[0] for row in table.rows]


def decode_error(text: str) -> str:
    with pytest.raises(AnnotatedCSVError) as info:
        decode(text)
    assert isinstance(info.value, FluxError)
    return str(info.value)


# --- structure ---------------------------------------------------------------


def test_readme_example_gives_two_tables_with_keys_and_a_null():
    first, second = decode(README_EXAMPLE)
    assert first.columns == (
        Column("host", FluxType.STRING),
        Column("_time", FluxType.TIME),
        Column("_value", FluxType.FLOAT),
    )
    assert first.key == ("host",)
    assert first.rows == [("a", T2024, 1.5)]
    assert second.key_values() == ("b",)
    assert second.rows == [("b", T2024, None)]


def test_annotations_in_any_order_and_crlf_blank_lines_and_bom():
    text = (
        "\ufeff#group,false,false,true,false\r\n\r\n#default,_result,,,7\r\n"
        "#datatype,string,long,string,long\r\n\r\n,result,table,t,v\r\n,,0,a,\r\n\r\n,,0,a,2\r\n"
    )
    (table,) = decode(text)
    assert table.key == ("t",)
    assert table.rows == [("a", 7), ("a", 2)]


def test_new_table_when_table_cell_changes_and_empty_cell_continues():
    text = (
        "#datatype,string,long,string\n#group,false,false,false\n#default,_result,,\n,result,table,s\n"
        ",,0,a\n,,,b\n,,1,c\n,,1,d\n,,0,e\n"
    )
    tables = decode(text)
    assert [t.rows for t in tables] == [[("a",), ("b",)], [("c",), ("d",)], [("e",)]]


def test_a_new_block_starts_a_new_table_even_with_the_same_table_number():
    block = "#datatype,string,long,long\n#group,false,false,false\n#default,_result,,\n,result,table,v\n"
    tables = decode(block + ",,0,1\n" + block + ",,0,2\n")
    assert [t.rows for t in tables] == [[(1,)], [(2,)]]


def test_key_values_come_from_the_first_row_and_rows_keep_their_own():
    text = (
        "#datatype,string,long,string,long\n#group,false,false,true,false\n#default,_result,,,\n"
        ",result,table,g,v\n,,0,x,1\n,,0,y,2\n"
    )
    (table,) = decode(text)
    assert table.key_values() == ("x",)
    assert table.rows == [("x", 1), ("y", 2)]


def test_block_without_rows_is_an_empty_table_keyed_by_its_defaults():
    text = (
        "#datatype,string,long,string,dateTime:RFC3339,double\n#group,false,false,true,true,false\n"
        "#default,_result,3,cpu,2024-01-01T00:00:00Z,\n,result,table,host,_start,_value\n"
        "\n#datatype,string,long,string\n#group,false,false,false\n#default,_result,,\n,result,table,s\n,,0,z\n"
    )
    empty, full = decode(text)
    assert empty.rows == []
    assert empty.key == ("host", "_start")
    assert empty.key_values() == ("cpu", T2024)
    assert full.rows == [("z",)]


def test_empty_cells_take_the_default_of_their_column():
    assert one_column("long", "", "5", "", default="42") == [42, 5, 42]
    assert one_column("string", "", "a") == [None, "a"]


def test_table_without_columns():
    (table,) = decode("#datatype,string,long\n#group,false,false\n#default,_result,\n,result,table\n,,0\n")
    assert table.columns == ()
    assert table.rows == [()]


def test_missing_group_or_default_or_datatype_is_lenient():
    (no_group,) = decode("#datatype,string,long,long\n#default,_result,,3\n,result,table,v\n,,0,\n")
    assert no_group.key == () and no_group.rows == [(3,)]
    (no_default,) = decode("#datatype,string,long,long\n#group,false,false,true\n,result,table,v\n,,0,\n")
    assert no_default.key == ("v",) and no_default.rows == [(None,)]
    (no_datatype,) = decode("#group,false,false,false\n#default,_result,,\n,result,table,v\n,,0,12\n")
    assert no_datatype.columns == (Column("v", FluxType.STRING),) and no_datatype.rows == [("12",)]


def test_unknown_annotations_are_ignored():
    text = "#datatype,string,long,long\n#constant,measurement,m\n#group,false,false,false\n#default,r,,\n,result,table,v\n,,0,1\n"
    (table,) = decode(text)
    assert table.rows == [(1,)]


def test_results_are_split_by_the_default_result_name():
    def block(name: str, value: int) -> str:
        return f"#datatype,string,long,long\n#group,false,false,false\n#default,{name},,\n,result,table,v\n,,0,{value}\n"

    results = decode_results(block("a", 1) + block("a", 2) + "\n" + block("b", 3))
    assert [(name, [t.rows for t in tables]) for name, tables in results] == [
        ("a", [[(1,)], [(2,)]]),
        ("b", [[(3,)]]),
    ]
    assert [t.rows for t in decode(block("a", 1) + block("b", 3))] == [[(1,)], [(3,)]]


def test_quoted_cells_with_commas_quotes_and_newlines():
    text = (
        '#datatype,string,long,string,string\n#group,false,false,false,false\n#default,_result,,,\n'
        ',result,table,s,"odd,label"\n,,0,"a,b","say ""hi"""\n,,0,"line1\r\nline2",x\n'
    )
    (table,) = decode(text)
    assert table.labels == ("s", "odd,label")
    # Go's encoding/csv reads \r\n inside a quoted cell as \n.
    assert table.rows == [("a,b", 'say "hi"'), ("line1\nline2", "x")]


# --- cell types ---------------------------------------------------------------


def test_long_edges():
    assert one_column("long", str(INT64_MIN), str(INT64_MAX), "+5", "-0") == [INT64_MIN, INT64_MAX, 5, 0]
    for bad in (str(INT64_MAX + 1), "1.0", "1_000", " 1", "0x10", "abc", "١"):
        with pytest.raises(AnnotatedCSVError):
            one_column("long", bad)


def test_unsigned_long_edges():
    assert one_column("unsignedLong", "0", str(2**64 - 1)) == [0, 2**64 - 1]
    for bad in (str(2**64), "-1", "+1", "1.5"):
        with pytest.raises(AnnotatedCSVError):
            one_column("unsignedLong", bad)


def test_double_edges():
    values = one_column("double", "1.5", "+Inf", "-Inf", "NaN", "1e3", "-0", "0x1p-2", "10")
    assert values[:3] == [1.5, math.inf, -math.inf]
    assert math.isnan(values[3])
    assert values[4:6] == [1000.0, 0.0] and math.copysign(1, values[5]) == -1
    assert values[6:] == [0.25, 10.0]
    assert all(isinstance(v, float) for v in values)
    for bad in ("1e400", "1_0", " 1", "one"):
        with pytest.raises(AnnotatedCSVError):
            one_column("double", bad)


def test_boolean_spellings_of_go_parse_bool():
    assert one_column("boolean", "true", "false", "TRUE", "t", "F", "1", "0") == [
        True, False, True, True, False, True, False,
    ]
    with pytest.raises(AnnotatedCSVError):
        one_column("boolean", "yes")


def test_times_to_the_nanosecond_with_offsets_and_before_1970():
    values = one_column(
        "dateTime:RFC3339",
        "2024-01-01T00:00:00.000000001Z",
        "2024-01-01T01:00:00+01:00",
        "1969-12-31T23:59:59.5Z",
    )
    assert values == [T2024 + 1, T2024, -NS // 2]
    assert one_column("dateTime:RFC3339Nano", "2024-01-01T00:00:00.123456789Z") == [T2024 + 123_456_789]


def test_duration_column():
    assert one_column("duration", "1h2m", "-5s", "1w1d1ms1us1ns") == [
        3720 * NS, -5 * NS, 8 * 86400 * NS + 1_001_001,
    ]
    for bad in ("1mo", "1.5h", "h"):
        with pytest.raises(AnnotatedCSVError):
            one_column("duration", bad)


# --- errors name the CSV line ---------------------------------------------------


def test_bad_cell_error_names_line_value_type_and_column():
    text = README_EXAMPLE + ",,1,c,2024-01-01T00:00:00Z,abc\n"
    message = decode_error(text)
    assert message.startswith('csv line 7: cannot parse "abc" as double in column _value')


def test_line_numbers_count_blank_lines_and_multiline_cells():
    text = (
        "#datatype,string,long,string,long\n#group,false,false,false,false\n#default,_result,,,\n"
        ",result,table,s,v\n\n,,0,\"two\nlines\",1\n,,0,x,oops\n"
    )
    with pytest.raises(AnnotatedCSVError) as info:
        decode(text, source_name="data.csv")
    assert info.value.line == 8
    assert str(info.value).startswith("data.csv line 8:")


@pytest.mark.parametrize(
    "text, line, words",
    [
        (README_EXAMPLE + ",,1,c\n", 7, "cells"),
        ("#datatype,string,long,nope\n#group,false,false,false\n#default,_result,,\n,result,table,x\n", 1, "nope"),
        (",result,table,x\n,,0,1\n", 1, "raw"),
        ("#datatype,string,long,long\n#group,false,false,false\n", 1, "header"),
        # Without its `table` cell the first data column would be read as the table number.
        ("#datatype,string,long\n#group,false,false\n#default,,\n,result,_value\n,,abc\n", 4, "annotation, result, table"),
        ("#datatype,string,long,long\n#group,false,false\n", 2, "cells"),
        ("#datatype,string,long,long\n#default,_result,,x\n,result,table,v\n", 2, "in column v"),
        ("#datatype,string,long,long,long\n#group,false,false,false,false\n#default,_result,,,\n"
         ",result,table,v,v\n", 4, "twice"),
        ("#datatype,string,long,long\n#group,false,false,false\n#default,_result,,\n,result,table,v\n"
         "junk,,0,1\n", 5, "annotation"),
        ("#datatype,string,long,long\n#group,false,false,false\n#default,_result,,\n,result,table,v\n"
         ',,0,"unclosed\n', 5, "CSV"),
    ],
)
def test_structural_errors(text, line, words):
    with pytest.raises(AnnotatedCSVError) as info:
        decode(text)
    assert info.value.line == line
    assert words in str(info.value)


def test_serialized_query_error_is_raised_with_its_message():
    text = "#datatype,string,string\n#group,true,true\n#default,,\n,error,reference\n,something broke,\n"
    assert "something broke" in decode_error(text)


# --- raw mode --------------------------------------------------------------------


def test_raw_mode_reads_everything_as_strings_in_one_table():
    (table,) = decode_raw("a,b\r\n1,\r\n\r\n\"x,y\",2\r\n")
    assert table.columns == (Column("a", FluxType.STRING), Column("b", FluxType.STRING))
    assert table.key == ()
    assert table.rows == [("1", None), ("x,y", "2")]
    assert decode_raw("") == []
    with pytest.raises(AnnotatedCSVError) as info:
        decode_raw("a,b\n1,2\n3\n")
    assert info.value.line == 3


# --- timefmt ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, ns",
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000000001Z", 1),
        ("1969-12-31T23:59:59.999999999Z", -1),
        ("1677-09-21T00:12:43.145224192Z", INT64_MIN),
        ("2262-04-11T23:47:16.854775807Z", INT64_MAX),
        ("1900-03-01T12:30:00.25Z", -2203846200 * NS + 250_000_000),
        ("2554-07-21T23:34:33.709551615Z", 2**64 - 1),  # past int64: kept exact
    ],
)
def test_parse_and_format_round_trip_exactly(text, ns):
    assert parse_rfc3339(text) == ns
    assert format_rfc3339(ns) == text


def test_parse_offsets_and_long_fractions():
    assert parse_rfc3339("2024-01-01T05:30:00+05:30") == T2024
    assert parse_rfc3339("2023-12-31T23:00:00-01:00") == T2024
    assert parse_rfc3339("2024-01-01T00:00:00.1234567891Z") == T2024 + 123_456_789  # Go ignores digit 10+
    assert parse_rfc3339("2024-01-01T00:00:00,5Z") == T2024 + NS // 2


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01", "2024-01-01T00:00:00", "2024-01-01t00:00:00Z", "2024-02-30T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00+24:00", "2024-1-01T00:00:00Z", " 2024-01-01T00:00:00Z",
    ],
)
def test_parse_rejects_what_go_rejects(text):
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_format_trims_fraction_zeros_and_uses_utc():
    assert format_rfc3339(T2024 + 100_000_000) == "2024-01-01T00:00:00.1Z"
    assert format_rfc3339(T2024 + 120_000) == "2024-01-01T00:00:00.00012Z"
    assert format_rfc3339(-NS) == "1969-12-31T23:59:59Z"
    assert format_rfc3339(951_782_400 * NS) == "2000-02-29T00:00:00Z"
