"""Conformance vectors from ../shared/flux-conformance run through `flux2sql query`.

Every case listed in tests/conformance/passing.txt must pass (the list only grows); the
test is skipped where the shared folder is absent. Cases run in-process for speed, with
the same comparison as the shared `check.py` (imported from there).
"""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "flux-conformance"
PASSING = HERE / "conformance" / "passing.txt"


def _load_checker():
    spec = importlib.util.spec_from_file_location("flux_conformance_check", SHARED / "check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _passing() -> list[str]:
    if not PASSING.exists():
        return []
    return [l.strip() for l in PASSING.read_text().splitlines() if l.strip() and not l.startswith("#")]


CASES = _passing()


@pytest.fixture(scope="module")
def checker():
    if not (SHARED / "check.py").exists():
        pytest.skip("../shared/flux-conformance is not present")
    return _load_checker()


def run_case(case_dir: Path) -> str:
    import duckdb

    import transpile
    from runtime.execute import run_compiled

    script = case_dir / "query.flux"
    # Like `flux2sql query` without --now: now() is the clock (cases that need a fixed
    # time set `option now`).
    compiled = transpile.compile(script.read_text(), now=time.time_ns(), filename=str(script))
    con = duckdb.connect()
    try:
        return run_compiled(con, compiled).to_csv()
    finally:
        con.close()


@pytest.mark.parametrize("case_id", CASES)
def test_conformance_case(case_id: str, checker) -> None:
    case_dir = SHARED / "cases" / case_id
    got = run_case(case_dir)
    want = (case_dir / "want.csv").read_text()
    problems = checker.compare_streams(checker.parse_annotated_csv(got), checker.parse_annotated_csv(want))
    assert not problems, problems
