"""The catalogs a connection read are kept between queries (runtime/execute.py
cached_catalog) and never outlive a change: new fields and buckets are seen at once, a
rolled-back to() leaves no trace, another connection's uncommitted writes stop the keeping."""
from __future__ import annotations

import pytest

from runtime import storage
from runtime.database import Database
from runtime.execute import cached_catalog
from runtime.locking import same_database_cursor
from transpile.errors import FluxError

NOW = 100 * 10**9
READ = 'from(bucket: "b") |> range(start: 0) |> filter(fn: (r) => r._measurement == "m")'


def fields(db: Database, bucket: str = "b") -> set[str]:
    return {t.rows[0][t.index("_field")] for t in db.query(READ.replace('"b"', f'"{bucket}"'), now=NOW)}


@pytest.fixture()
def db(tmp_path):
    database = Database(tmp_path / "c.duckdb")
    database.write("m,host=a f=1 1000000000", bucket="b")
    yield database
    database.close()


def test_a_catalog_read_once_is_kept_until_a_write(db):
    assert fields(db) == {"f"}
    first = cached_catalog(db.connection, "b")
    assert cached_catalog(db.connection, "b") is first
    db.write("m,host=a g=2i 2000000000", bucket="b")
    assert fields(db) == {"f", "g"}
    assert cached_catalog(db.connection, "b") is not first


def test_a_rolled_back_to_leaves_no_bucket_behind(db):
    assert fields(db) == {"f"}
    db.write("m,host=a f=\"text\" 1000000000", bucket="other")  # f is a string there
    failing = READ + ' |> to(bucket: "fresh") |> to(bucket: "other")'
    with pytest.raises(Exception):
        db.query(failing, now=NOW)
    with pytest.raises(FluxError, match="fresh"):
        fields(db, "fresh")
    assert fields(db) == {"f"}


def test_writes_of_another_connection_are_seen_once_committed(db):
    assert fields(db) == {"f"}
    other = same_database_cursor(db.connection)
    other.execute("BEGIN TRANSACTION")
    catalog = storage.ensure_bucket(other, "b")
    storage.extend_measurement(other, catalog, "m", ["host"], {"h": storage.FluxType.FLOAT})
    assert fields(db) == {"f"}  # not committed: not visible here, and not kept either
    other.execute("COMMIT")
    assert "h" in {f.key for f in cached_catalog(db.connection, "b").measurements["m"].fields}
    other.close()


def test_writes_into_another_database_file_do_not_stop_the_keeping(db, tmp_path):
    assert fields(db) == {"f"}
    kept = cached_catalog(db.connection, "b")
    with Database(tmp_path / "other.duckdb") as other:
        other.write("m,host=a g=1 1000000000", bucket="b")  # same bucket name, another file
        assert cached_catalog(db.connection, "b") is kept
        assert fields(db) == {"f"}
