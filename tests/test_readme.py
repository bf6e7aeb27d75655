"""The README stays true: its coverage table is the one the registry generates, and the
commands it documents exist. `pytest tests/test_readme.py --update-golden` rewrites the table."""
from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from runtime.cli.functions import coverage_rows
from runtime.cli.main import app
from transpile.coverage import markdown

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- coverage:begin -->\n)(.*?)(<!-- coverage:end -->)", re.S)


def test_coverage_table_is_generated_from_the_registry(update_golden: bool) -> None:
    text = README.read_text(encoding="utf-8")
    table = markdown(coverage_rows())
    if update_golden:
        README.write_text(BLOCK.sub(lambda m: m.group(1) + table + m.group(3), text), encoding="utf-8")
        return
    match = BLOCK.search(text)
    assert match, "README has no coverage block"
    assert match.group(2) == table, "README coverage table is stale: run pytest tests/test_readme.py --update-golden"


def test_documented_commands_exist() -> None:
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`flux2sql (\w+)", text))
    runner = CliRunner()
    for command in sorted(documented):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, f"flux2sql {command} --help failed: {result.output}"
