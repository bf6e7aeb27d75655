"""Line protocol: the reference parser against the InfluxDB v2 line protocol reference, and
the compiled scanner against the reference parser (same points, same errors)."""
from __future__ import annotations

import pytest

from runtime.database import Database
from runtime.ingest import LineError, WriteError, parse_line
from transpile.types import FluxType as T

NOW = 1_700_000_000_123_456_789


def one(text: str, precision: str = "ns", now: int = NOW):
    return parse_line(text, 1, precision, now)


def fields(text: str) -> dict:
    return {k: (t, v) for k, t, v in one(text).fields}


# -- the reference parser ---------------------------------------------------------------

def test_basic_point():
    p = one('weather,location=us-midwest,season=summer temperature=82 1465839830100400200')
    assert p.measurement == "weather"
    assert p.tags == (("location", "us-midwest"), ("season", "summer"))
    assert p.fields == (("temperature", T.FLOAT, 82.0),)
    assert p.time == 1465839830100400200


@pytest.mark.parametrize("raw, expected", [
    ("1", 1.0), ("-1.5", -1.5), ("1.", 1.0), (".5", 0.5), ("-.5", -0.5), ("1e3", 1000.0),
    ("1.5E-3", 0.0015), ("-1.234456e+78", -1.234456e78), ("0", 0.0),
])
def test_floats(raw, expected):
    assert fields(f"m f={raw}") == {"f": (T.FLOAT, expected)}


@pytest.mark.parametrize("raw, flux_type, expected", [
    ("1i", T.INT, 1), ("-12485903i", T.INT, -12485903),
    ("9223372036854775807i", T.INT, 2**63 - 1), ("-9223372036854775808i", T.INT, -(2**63)),
    ("0u", T.UINT, 0), ("18446744073709551615u", T.UINT, 2**64 - 1),
])
def test_integer_suffixes(raw, flux_type, expected):
    assert fields(f"m f={raw}") == {"f": (flux_type, expected)}


@pytest.mark.parametrize("raw", ["t", "T", "true", "True", "TRUE"])
def test_true_spellings(raw):
    assert fields(f"m f={raw}") == {"f": (T.BOOL, True)}


@pytest.mark.parametrize("raw", ["f", "F", "false", "False", "FALSE"])
def test_false_spellings(raw):
    assert fields(f"m f={raw}") == {"f": (T.BOOL, False)}


def test_strings_with_escapes():
    assert fields(r'm s="a \"quoted\" word, with spaces=yes"') == {"s": (T.STRING, 'a "quoted" word, with spaces=yes')}
    assert fields(r'm s="back\\slash"') == {"s": (T.STRING, "back\\slash")}
    assert fields(r'm s="lone \ backslash"') == {"s": (T.STRING, "lone \\ backslash")}
    assert fields('m s=""') == {"s": (T.STRING, "")}
    assert fields('m s="t",b=t') == {"s": (T.STRING, "t"), "b": (T.BOOL, True)}


def test_escapes_in_names():
    p = one(r"my\ meas\,x\=y,tag\ key\,\==tag\ val\,\=ue field\ k\,\==1i 5")
    assert p.measurement == "my meas,x\\=y"  # `=` needs no escape in a measurement
    assert p.tags == (("tag key,=", "tag val,=ue"),)
    assert p.fields == (("field k,=", T.INT, 1),)


@pytest.mark.parametrize("raw, value", [
    (r"a\b", "a\\b"), (r"a\\b", "a\\b"), (r"a\\\b", "a\\\\b"), (r"a\\\\b", "a\\\\b"),
    (r"a\\\,b", "a\\,b"),
])
def test_backslashes_in_tag_values(raw, value):
    # "With two contiguous backslashes, the first is interpreted as an escape character."
    assert one(f"m,t={raw} f=1").tags == (("t", value),)


def test_quotes_in_names_are_literal():
    p = one('"m",\'t\'="v" "f"=1')
    assert p.measurement == '"m"' and p.tags == (("'t'", '"v"'),) and p.fields[0][0] == '"f"'


def test_unicode():
    p = one('myMeasurement,tagKey=🍭 fieldKey="Launch 🚀" 1556813561098000000')
    assert p.tags == (("tagKey", "🍭"),) and p.fields == (("fieldKey", T.STRING, "Launch 🚀"),)


def test_missing_timestamp_uses_now_truncated_to_precision():
    assert one("m f=1").time == NOW
    assert one("m f=1", precision="s").time == 1_700_000_000_000_000_000
    assert one("m f=1", precision="ms").time == 1_700_000_000_123_000_000


@pytest.mark.parametrize("precision, factor", [("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 10**9)])
def test_precision(precision, factor):
    assert one("m f=1 -17", precision).time == -17 * factor


def test_comments_blank_and_spaces():
    assert one("# a comment, with = signs") is None
    assert one("   # indented comment") is None
    assert one("") is None and one("    ") is None
    p = one("  m,t=1   f=1   7  ")
    assert (p.measurement, p.time) == ("m", 7)
    assert one("m f=1 7\r").time == 7


def test_repeated_field_keeps_last_value():
    assert fields("m a=1,b=2,a=3") == {"a": (T.FLOAT, 3.0), "b": (T.FLOAT, 2.0)}


def test_tags_are_sorted():
    assert one("m,z=1,a=2 f=1").tags == (("a", "2"), ("z", "1"))


@pytest.mark.parametrize("text, column, fragment", [
    ("m", 2, "missing field set"),
    ("m,t=1", 6, "missing field set"),
    ("m ", 3, "missing field set"),
    ("m f", 4, "missing '=' after field key"),
    ("m f=", 5, "missing value of field"),
    ("m f=1,", 7, "missing field key"),
    ("m f=abc", 5, "invalid value of field 'f'"),
    ("m f=1.5i", 5, "invalid value"),
    ("m f=-1u", 5, "invalid value"),
    ("m f=+1", 5, "invalid value"),
    ("m f=inf", 5, "invalid value"),
    ("m f=NaN", 5, "invalid value"),
    ("m f=1e", 5, "invalid value"),
    ("m f=tru", 5, "invalid value"),
    ('m f="abc', 5, "unterminated string"),
    (r'm f="abc\"', 5, "unterminated string"),
    ("m f=9223372036854775808i", 5, "out of range"),
    ("m f=-9223372036854775809i", 5, "out of range"),
    ("m f=18446744073709551616u", 5, "out of range"),
    ("m f=1e999", 5, "out of range"),
    ("m f=1 12a", 7, "invalid timestamp"),
    ("m f=1 1.5", 7, "invalid timestamp"),
    ("m f=1 1 2", 9, "unexpected text after timestamp"),
    ("m f=1 9223372036854775807", 7, "timestamp out of range"),
    ("m,t f=1", 4, "missing '=' after tag key"),
    ("m,t= f=1", 5, "tag values cannot be empty"),
    ("m,t=a=b f=1", 6, "escape it as"),
    ("m,=a f=1", 3, "missing tag key"),
    ("m,t=1,t=2 f=1", 7, "duplicate tag key"),
    ("_m f=1", 1, "cannot begin with '_'"),
    ("m,_t=1 f=1", 3, "cannot begin with '_'"),
    ("m _f=1", 3, "cannot begin with '_'"),
    (",t=1 f=1", 1, "missing measurement"),
    ("m\tx f=1", 2, "invalid character"),
    ("m f=1,g=2x", 9, "invalid value"),
])
def test_errors_have_positions(text, column, fragment):
    with pytest.raises(LineError) as info:
        parse_line(text, 7)
    assert info.value.line == 7
    assert info.value.column == column, str(info.value)
    assert fragment in info.value.message


def test_timestamp_range_with_precision():
    with pytest.raises(LineError, match="out of range"):
        parse_line("m f=1 9223372036854776", 1, "ms")
    assert parse_line("m f=1 9223372036854775806", 1).time == 9223372036854775806
    assert parse_line("m f=1 -9223372036854775806", 1).time == -9223372036854775806


# -- writes agree with the reference parser ---------------------------------------------

def stored_points(db: Database, bucket: str = "b") -> set:
    """Every stored point as (measurement, tags, field, type, value, time_ns)."""
    out = set()
    con = db.connection
    for layout in db.catalog(bucket).measurements.values():
        tag_cols = [t.column for t in layout.tags]
        field_cols = [f.column for f in layout.fields]
        cols = ", ".join(f'"{c}"' for c in tag_cols + field_cols)
        rows = con.execute(
            f'SELECT epoch_ns("_time"), {cols} FROM "{layout.schema}"."{layout.table}"'
        ).fetchall()
        for row in rows:
            tags = tuple(sorted((t.key, v) for t, v in zip(layout.tags, row[1:]) if v is not None))
            for f, v in zip(layout.fields, row[1 + len(tag_cols):]):
                if v is not None:
                    out.add((layout.measurement, tags, f.key, f.type, v, row[0]))
    return out


def expected_points(lines: list[str], precision="ns", now=NOW) -> set:
    latest = {}
    for i, text in enumerate(lines, 1):
        p = parse_line(text, i, precision, now)
        if p is None:
            continue
        for key, flux_type, value in p.fields:
            latest[(p.measurement, p.tags, key, p.time)] = (flux_type, value)
    return {(m, tags, k, t, v, time) for (m, tags, k, time), (t, v) in latest.items()}


TRICKY = [
    "cpu,host=a,region=eu usage=1.5,n=3i,u=7u,s=\"ok\",b=t 1000",
    "cpu,host=b usage=2,n=-4i 1000",
    "cpu,region=us,host=c usage=3 1000",            # other tag order: another shape
    "cpu,host=a,region=eu usage=9.5 1000",           # overwrites usage of line 1, keeps n
    r"cpu,host=web\ 01,region=e\,u\=x usage=4 2000",  # escapes in tag values
    r"my\ cpu\,x\=y,t\\k=v\\\\w f=1 3",               # escapes in measurement and keys
    r'disk,path=C:\Users\me status="degraded, check \"smart\" log" 4',
    r'disk,path=C:\Users\me status="a\ b\\c" 5',    # escaped space inside a string (literal)
    'disk status="spaces and, commas",other=1.5e3 6',
    "# a comment",
    "",
    "   ",
    "  mem free=1i 7",                              # leading spaces
    "mem free=2i   8   ",                            # extra spaces
    "mem free=3i,free=4i 9",                         # repeated field: last wins
    "mem,host=a free=5i 9",
    "flag b1=t,b2=T,b3=true,b4=True,b5=TRUE,b6=f,b7=F,b8=false,b9=False,b10=FALSE 10",
    "num f=1.,g=.5,h=-.5e-3,i=1E5,j=007 11",
    "big i=9223372036854775807i,j=-9223372036854775808i,u=18446744073709551615u 12",
    "nots f=1",                                      # no timestamp: now
    "uni,tag=🍭 s=\"Launch 🚀\",x=1 13",
    "neg f=1 -1700000000",
    "q,t=\"quoted\" s=\"a=b\" 14",                  # '=' inside a string, quotes in a tag value
    "tabs s=\"a\tb\" 15",                              # a control character inside a string
    "m,t=a f=1,g=2 16",                                # a second shape of measurement m
    "m,t=a,u=b h=1i 17",                               # ... and a third
]


def test_crlf_line_endings(path):
    with Database() as db:
        db.write("m f=1 1\r\nm f=2 2\r\n", bucket="b")
        assert stored_points(db) == {("m", (), "f", T.FLOAT, 1.0, 1), ("m", (), "f", T.FLOAT, 2.0, 2)}


def test_many_shapes_and_sparse_fields(path):
    lines = [f"m,h=h{i % 7} f{i % 13}={i}i,g{i % 5}=\"s{i}\" {i % 50}" for i in range(3000)]
    with Database() as db:
        db.write("\n".join(lines), bucket="b")
        assert stored_points(db) == expected_points(lines)


BAD_LINES = [
    ("m f=9223372036854775808i 1", "out of range"),
    ("m f=18446744073709551616u 1", "out of range"),
    ("m f=1e999 1", "out of range"),
    ("m f=1 92233720368547758070", "out of range"),
    ("m f=abc 1", "invalid value"),
    ('m f="abc 1', "unterminated string"),
    ("m 1", "missing '='"),
    ("m", "missing field set"),
    ("m,t=1,t=2 f=1", "duplicate tag key"),
    ("_m f=1", "cannot begin with '_'"),
    ("m,t=a\tb f=1 1", "invalid character"),
    ("m f=1\t1", "invalid"),
]


@pytest.mark.parametrize("bad, fragment", BAD_LINES)
def test_errors_name_the_line(path, bad, fragment):
    good = ["m f=1 1", "m f=2 2", "# c", "m f=3 3"]
    text = "\n".join(good[:2] + [bad] + good[2:])
    with Database() as db:
        with pytest.raises(WriteError) as info:
            db.write(text, bucket="b")
        assert info.value.count == 1
        error = info.value.errors[0]
        assert error.line == 3 and fragment in error.message
        assert db.catalog("b").measurements == {}  # nothing written, not even the bucket's tables
        assert db.buckets() == []


def test_invalid_utf8_is_a_line_error(path):
    with Database() as db:
        with pytest.raises(WriteError) as info:
            db.write(b"m f=1 1\nm,t=\xff f=1 2\n", bucket="b")
        assert info.value.errors[0].line == 2 and "UTF-8" in info.value.errors[0].message


def test_chunked_input_keeps_line_numbers(path, monkeypatch):
    from runtime.ingest import source

    monkeypatch.setattr(source, "CHUNK_BYTES", 64)
    lines = [f"m,h=x{i} f={i} {i}" for i in range(200)]
    lines[150] = "m f=oops 1"
    import io

    with Database() as db:
        with pytest.raises(WriteError) as info:
            db.write(io.BytesIO("\n".join(lines).encode()), bucket="b")
        assert info.value.errors[0].line == 151
        lines[150] = "m f=150 150"
        db.write(io.BytesIO("\n".join(lines).encode()), bucket="b")
        assert len(stored_points(db)) == 200


# -- the compiled scanner agrees with the reference --------------------------------------

@pytest.fixture(params=["reference", "scanner"])
def path(request, monkeypatch):
    """Run a write on the reference parser alone, or with the compiled scanner for every
    chunk however small (by default small inputs skip it)."""
    from runtime.ingest import writer

    monkeypatch.setattr(writer, "SMALL_CHUNK_BYTES", 0 if request.param == "scanner" else 1 << 62)
    return request.param


@pytest.mark.parametrize("precision", ["ns", "s"])
def test_both_paths_match_reference(path, precision):
    with Database() as db:
        result = db.write("\n".join(TRICKY) + "\n", bucket="b", precision=precision, now=NOW)
        assert result.skipped_count == 0
        assert stored_points(db) == expected_points(TRICKY, precision)


def scan_lines(lines: list[str], precision: str = "ns") -> list[tuple]:
    """What the scanner makes of each line: ('fast', measurement, tags, fields, time) for
    the lines it reads itself, ('careful',) or ('skip',) for the others."""
    from runtime.ingest import columnar, scanner
    from runtime.ingest.appender import SeriesIds

    from runtime.ingest.line_protocol import PRECISION_NS

    data = ("\n".join(lines) + "\n").encode()
    unit = PRECISION_NS[precision]
    scan = scanner.scan_chunk(data, unit, NOW - NOW % unit)  # the writer truncates `now`
    series_ids = SeriesIds()
    chunk = columnar.to_columns(scan, data, columnar.Decoder(series_ids))
    out: list[tuple] = [("skip",)] * scan.lines
    for ln, _ in chunk.careful:
        out[ln] = ("careful",)
    for m, columns in chunk.measurements.items():
        for g in columns.groups:
            for i, row in enumerate(g.rows.tolist()):
                measurement, tags = series_ids.keys[int(g.series[i])]
                assert measurement == m
                fields = tuple(
                    (k, t, _plain(v[i])) for k, t, v in zip(g.fieldset.keys, g.fieldset.types, g.values)
                )
                out[row] = ("fast", m, tags, fields, int(g.times[i]))
    return out


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def assert_scanner_agrees(lines: list[str], precision: str = "ns") -> list[tuple]:
    scanned = scan_lines(lines, precision)
    for i, (text, got) in enumerate(zip(lines, scanned), 1):
        try:
            expected = parse_line(text, i, precision, NOW)
        except LineError:
            assert got == ("careful",), (text, got)  # errors are worded by the reference
            continue
        if expected is None:
            assert got in {("skip",), ("careful",)}, (text, got)
            continue
        if got[0] == "fast":
            assert got[1:] == (expected.measurement, expected.tags, expected.fields, expected.time), text
            for (_, _, a), (_, _, b) in zip(got[3], expected.fields):
                assert type(a) is type(b) and str(a) == str(b), text  # -0.0, bool vs int
    return scanned


def test_scanner_reads_common_lines_itself():
    lines = [
        "cpu,host=a,cpu=cpu0 usage_user=38.365608,usage_irq=0,n=3i,u=7u,s=\"ok\",b=true 1700000000000000000",
        "cpu,host=a,cpu=cpu0 usage_user=1e3,usage_irq=-0,n=-9223372036854775808i,u=18446744073709551615u,s=\"\",b=F 1",
        r'disk,path=/mnt/my\ backups,host=a status="degraded, check \"smart\" log",x=.5 -5',
        r"my\ meas,t\,k=v\=w f\ k=1",
        "m f=1\r",
        "m f=1 7\r",
    ]
    scanned = assert_scanner_agrees(lines)
    assert [s[0] for s in scanned] == ["fast"] * len(lines)


def test_number_grammar_by_brute_force():
    """Every short string of the characters that matter, as a float, an integer and an
    unsigned value: the scanner reads a value exactly as the reference parser does or
    leaves the line to it, and it reads the plain numbers itself."""
    import itertools
    import re

    alphabet = "09.eE+-_xiu"
    values = ["".join(t) for n in range(1, 5) for t in itertools.product(alphabet, repeat=n)]
    values += ["infinity", "-inf", "NaN", "1e999", "-1e999", "1e-999", "0x1f", "١٢", "9223372036854775808",
               "18446744073709551616", "12345678901234567890", "0.1", "123456789012345678",
               "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308", "9007199254740993",
               "0.30000000000000004", "1" * 25, "0." + "0" * 30 + "1"]
    lines = [f"m f={v}" for v in values] + [f"m f={v}i" for v in values] + [f"m f={v}u" for v in values]
    scanned = assert_scanner_agrees(lines)
    simple = re.compile(r"-?[0-9]{1,15}(\.[0-9]{0,3})?|-?[0-9]{1,18}[iu]")
    for text, got in zip(lines, scanned):
        value = text[4:]
        if simple.fullmatch(value) and not (value.startswith("-") and value.endswith("u")):
            assert got[0] == "fast", text


def test_floats_of_every_magnitude_round_as_python_does():
    """Full-precision floats (telegraf writes the shortest repr: up to 17 digits) are read
    by the scanner itself (Eisel-Lemire), to the same double as the reference parser."""
    import random

    rng = random.Random(11)
    values = [repr(rng.uniform(0, 100)) for _ in range(3000)]
    values += [repr(rng.uniform(1, 10) * 10.0 ** rng.randint(-300, 300)) for _ in range(3000)]
    values += ["%.*e" % (rng.randint(0, 18), rng.uniform(1, 10) * 10.0 ** rng.randint(-30, 30)) for _ in range(2000)]
    values += ["0.1", "2.0080321285140563", "9007199254740993", "1.7976931348623157e308", "5e-324",
               "2.2250738585072011e-308", "-0.0", "123456789012345678.9", "1e23", "8.98846567431158e307"]
    lines = [f"m f={v}" for v in values]
    scanned = assert_scanner_agrees(lines)
    assert sum(s[0] == "fast" for s in scanned[:3000]) == 3000


def test_scanner_against_reference_on_random_lines():
    """Lines built from the pieces that trip parsers up (escapes, quotes, spaces, commas,
    equals signs, unicode, control characters): the scanner agrees line by line."""
    import random

    rng = random.Random(7)
    names = ["m", "cpu", r"a\ b", r"a\,b", r"a\=b", "a=b", r"a\\", "é", '"q"', "_x", "a\\b", "t"]
    tag_values = ["v", r"x\ y", r"x\,y", r"x\=y", "x=y", "", "é", r"back\\", '"v"']
    values = ["1", "-1.5", "1e3", ".5", "1.", "1i", "-2i", "3u", "-3u", "t", "FALSE", "tru", '"s"',
              r'"a \"b\" c"', '"a, b=c d"', r'"back\\"', '"open', "1.5.5", "+1", "nan", "", "1x"]
    times = ["", " 1", " -1", " 1700000000000000000", " 99999999999999999999", " 1.5", " 1 2", "  3", " 3 "]

    def line() -> str:
        text = rng.choice(names)
        for _ in range(rng.randint(0, 3)):
            text += f",{rng.choice(names)}={rng.choice(tag_values)}"
        text += rng.choice([" ", " ", " ", "  ", "\t", ""])
        text += ",".join(f"{rng.choice(names)}={rng.choice(values)}" for _ in range(rng.randint(1, 4)))
        text += rng.choice(times)
        if rng.random() < 0.05:
            text = text.replace(" ", "\x01", 1)
        return text

    lines = [line() for _ in range(4000)] + ["", "# c", "  m f=1", "m f=1\r"]
    assert_scanner_agrees(lines)
    # Mostly valid pieces: the scanner reads most lines itself.
    names = [n for n in names if not n.startswith("_")]
    tag_values = [v for v in tag_values if v and "=" not in v.replace("\\=", "")]
    values = values[:13] + values[13:16]
    times = times[:4]
    lines = [line().replace("\x01", " ").replace("\t", " ") for _ in range(3000)]
    scanned = assert_scanner_agrees(lines)
    assert sum(s[0] == "fast" for s in scanned) > 500  # the fast path was exercised


def test_field_set_changes_within_a_series():
    """A series whose field set changes from line to line (the scanner first tries the
    previous line's field set, then reads the line afresh)."""
    lines = []
    for i in range(300):
        fields = [f"a={i}", f"b={i}i", "c=t", f'd="{i}"']
        lines.append(f"m,h=x {','.join(fields[: 1 + i % 4][::(-1) ** (i // 4)])} {i}")
        lines.append(f"m,h=x a={i}.5,b={i}i {i + 1000}")
        lines.append(f"m,h=x a={i}.5,b={i}u {i + 2000}")  # the type differs: a new field set
    scanned = assert_scanner_agrees(lines)
    assert all(s[0] == "fast" for s in scanned)


def test_precision_on_the_scanner():
    lines = ["m f=1 5", "m f=1 -9223372036854", "m f=1 9223372036855", "m f=1"]
    scanned = assert_scanner_agrees(lines, "ms")
    assert [s[0] for s in scanned] == ["fast", "fast", "careful", "fast"]


def test_overwrite_rule_across_chunks_and_flushes(monkeypatch):
    """Repeated points in one write, in one chunk, in later chunks and after a flush,
    with times in and out of order: the last line wins, field by field."""
    import io

    from runtime.ingest import appender, source, writer

    monkeypatch.setattr(writer, "SMALL_CHUNK_BYTES", 0)
    monkeypatch.setattr(source, "CHUNK_BYTES", 256)
    monkeypatch.setattr(appender.Appender.__init__, "__defaults__", (16,))
    rng = __import__("random").Random(3)
    lines = []
    for i in range(600):
        t = rng.choice([i, i, i - 1, rng.randint(0, 50)])
        fields = rng.choice(["a={v}", "b={v}i", "a={v},b={v}i"]).format(v=i)
        lines.append(f"m,h=h{rng.randint(0, 3)} {fields} {t}")
    with Database() as db:
        db.write(io.BytesIO("\n".join(lines).encode()), bucket="b")
        assert stored_points(db) == expected_points(lines)
        # Writing more over it: the stored points are overwritten the same way.
        more = [f"m,h=h{i % 4} a={-i} {i % 60}" for i in range(100)]
        db.write(io.BytesIO("\n".join(more).encode()), bucket="b")
        assert stored_points(db) == expected_points(lines + more)


def test_bad_lines_on_the_scanner(path):
    lines = ["m f=1 1", "m f=2 2"] + [bad for bad, _ in BAD_LINES] + ["m f=3 3", "m f=4i 4"]
    with Database() as db:
        result = db.write("\n".join(lines), bucket="b", skip_bad=True)
        reported = {e.line for e in result.skipped}
        assert reported == set(range(3, 3 + len(BAD_LINES))) | {len(lines)}  # the last: type conflict
        assert stored_points(db) == expected_points(lines[:2] + ["m f=3 3"])
