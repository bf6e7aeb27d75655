"""Shared pytest options: `--update-golden` rewrites the generated sections of golden files."""
from __future__ import annotations

import os

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the generated sections (sql, rows, ast, error) of golden files",
    )


@pytest.fixture
def update_golden(request) -> bool:
    wanted = request.config.getoption("--update-golden")
    if wanted and os.environ.get("CI"):
        pytest.fail("--update-golden is refused when CI is set: golden files are reviewed by hand")
    return wanted
