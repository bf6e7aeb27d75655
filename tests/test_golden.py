"""Golden files: the SQL is compared exactly, re-parsed with sqlglot and executed on DuckDB;
the rows (Flux annotated CSV) are compared exactly.

Run `pytest tests/test_golden.py --update-golden` to rewrite the generated sections after a
deliberate change, then review the diff: rows accepted into a golden file must have been
checked against Flux's documentation or a conformance vector (named in `# source:`).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlglot

import transpile
from transpile import ast
from transpile.errors import FluxError
from runtime.database import Database
from runtime.execute import ConnectionCatalog, run_compiled

from golden import all_cases, read_case

ROOT = Path(__file__).resolve().parent.parent / "golden"
CASES = all_cases(ROOT)


def generate(case) -> dict:
    """The generated sections for a case, computed from its flux section."""
    flux = case.flux
    now = case.header.get("now")
    if case.header.get("mode") == "parse":
        try:
            return {"ast": json.dumps(ast.to_json(transpile.parse(flux, case.path.name)), indent=1) + "\n"}
        except FluxError as err:
            return {"error": err.format() + "\n"}
    db = Database()
    try:
        data = case.header.get("data")
        if data:
            db.write((case.path.parent / data).read_text(), bucket=case.header.get("bucket", "test"))
        try:
            compiled = transpile.compile(flux, now=now, filename=str(case.path), base_dir=case.path.parent,
                                         catalog=ConnectionCatalog(db.connection))
        except FluxError as err:
            return {"error": err.format() + "\n"}
        out = {"sql": compiled.sql()}
        buf = io.StringIO()
        run_compiled(db.connection, compiled).write(buf, "csv")
        # Sections are stored without trailing blank lines.
        out["rows"] = buf.getvalue().replace("\r\n", "\n").rstrip("\n") + "\n"
    finally:
        db.close()
    return out


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(ROOT)) for p in CASES])
def test_golden(path: Path, update_golden: bool) -> None:
    case = read_case(path)
    generated = generate(case)
    if "sql" in generated:
        for statement in sqlglot.parse(generated["sql"], read="duckdb"):
            assert statement is not None
    if update_golden:
        for name in [s for s in list(case.sections) if s != "flux"]:
            del case.sections[name]
        case.sections.update(generated)
        path.write_text(case.render(), encoding="utf-8")
        return
    assert "source" in case.header, f"{path.name}: a golden file names the doc or vector its rows were checked against"
    for name, body in generated.items():
        assert name in case.sections, f"{path.name}: no '=== {name}' section (run with --update-golden and review)"
        assert case.sections[name] == body, f"{path.name}: section {name} differs"
    stale = [s for s in case.sections if s not in generated and s != "flux"]
    assert not stale, f"{path.name}: sections {stale} are no longer produced"
