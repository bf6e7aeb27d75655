"""Flux's `sampledata` package: the small data sets the stdlib documentation's examples read.

https://docs.influxdata.com/flux/v0/stdlib/sampledata/ : two tables (group key `tag`, t1 and
t2) of six rows each, 10 s apart from `sampledata.start` (2021-01-01T00:00:00Z);
`includeNull: true` blanks the same rows in every data set (t1 at :10, :30, :40; t2 at :00
and :40, as the input tables of https://docs.influxdata.com/flux/v0/stdlib/universe/fill/
show). The package is Flux source (registered in FLUX_SOURCES) over annotated CSV built
here from the documented values.
Must not: compute any data in Python beyond writing the documented values as CSV text.
"""
from __future__ import annotations

from .flux_defined import FLUX_SOURCES

PKG = "sampledata"

START = "2021-01-01T00:00:00Z"
TIMES = tuple(f"2021-01-01T00:00:{s:02d}Z" for s in (0, 10, 20, 30, 40, 50))
# Row indexes left null by includeNull: true, per tag.
NULL_ROWS = {"t1": {1, 3, 4}, "t2": {0, 4}}

# Values per tag, from https://docs.influxdata.com/flux/v0/stdlib/sampledata/<name>/
DATASETS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "int": ("long", {"t1": ("-2", "10", "7", "17", "15", "4"), "t2": ("19", "4", "-3", "19", "13", "1")}),
    "float": ("double", {
        "t1": ("-2.18", "10.92", "7.35", "17.53", "15.23", "4.43"),
        "t2": ("19.85", "4.97", "-3.75", "19.77", "13.86", "1.86"),
    }),
    "string": ("string", {
        "t1": ("smpl_g9qczs", "smpl_0mgv9n", "smpl_phw664", "smpl_guvzy4", "smpl_5v3cce", "smpl_s9fmgy"),
        "t2": ("smpl_b5eida", "smpl_eu4oxp", "smpl_5g7tz4", "smpl_sox1ut", "smpl_wfm757", "smpl_dtn2bv"),
    }),
    "bool": ("boolean", {
        "t1": ("true", "true", "false", "true", "false", "false"),
        "t2": ("false", "true", "false", "true", "true", "false"),
    }),
    "numericBool": ("long", {"t1": ("1", "1", "0", "1", "0", "0"), "t2": ("0", "1", "0", "1", "1", "0")}),
    "uint": ("unsignedLong", {
        "t1": ("18446744073709551614", "10", "7", "17", "15", "4"),
        "t2": ("19", "4", "18446744073709551613", "19", "13", "1"),
    }),
}


def annotated_csv(datatype: str, values: dict[str, tuple[str, ...]], include_null: bool) -> str:
    """One data set as annotated CSV: columns _time, _value, tag; `tag` in the group key."""
    lines = [
        f"#datatype,string,long,dateTime:RFC3339,{datatype},string",
        "#group,false,false,false,false,true",
        "#default,_result,,,,",
        ",result,table,_time,_value,tag",
    ]
    for table, (tag, column) in enumerate(values.items()):
        for row, (time, value) in enumerate(zip(TIMES, column)):
            cell = "" if include_null and row in NULL_ROWS[tag] else value
            lines.append(f",,{table},{time},{cell},{tag}")
    return "\n".join(lines) + "\n"


def flux_source() -> str:
    """The package's Flux source: the two constants and one function per data set."""
    parts = ['import "csv"', "", f"start = {START}", "stop = 2021-01-01T00:01:00Z", ""]
    for name, (datatype, values) in DATASETS.items():
        with_nulls = annotated_csv(datatype, values, True)
        without = annotated_csv(datatype, values, False)
        parts.append(f"{name} = (includeNull=false) => csv.from(csv: if includeNull then {flux_string(with_nulls)} else {flux_string(without)})")
    return "\n".join(parts) + "\n"


def flux_string(text: str) -> str:
    """A Flux string literal of `text` (which holds no quotes, backslashes or `${`)."""
    return '"' + text.replace("\n", "\\n") + '"'


FLUX_SOURCES[PKG] = flux_source()
