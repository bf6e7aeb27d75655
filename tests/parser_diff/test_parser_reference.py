"""Optional differential test against the reference parser (libflux compiled to WebAssembly).

Runs only where `node` is installed and `npm install` was run in tests/parser_diff (its
node_modules stays untracked). The full campaign is `python tests/parser_diff/campaign.py`.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_MODULES / "@influxdata" / "flux-lsp-node").is_dir(),
    reason="node or tests/parser_diff/node_modules (npm install) is absent",
)


def load_campaign():
    spec = importlib.util.spec_from_file_location("parser_diff_campaign", HERE / "campaign.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SNIPPETS = [
    'x = 1', 'x = [1, 2 3]', 'x = [1 2]', 'f(a, b: 1)', 'x = {a with b}', 'x = a |> f', 'x = 007',
    'x = 2021-02-29', 'x = "\\xff"', 'x = (a, b c) => 1', 'x = () => {a: 1}', 'x = a |> (f())',
    '.a = 1', 'x = .a', 'option a.b.c = 1', 'x = not not a', 'x = a == not b', 'a\n(b)', 'x = 1 AND 2',
    'f(a: 1 AND 2)', 'builtin x : (a: int b: int) => int', '@a x = 1', 'x = "${"}"}"', 'x = /a\\/b/',
    'testcase t extends "a" { super() }', 'x = 5min', 'x = a.1', 'x = "$${x}"',
]


def test_snippets_agree_with_the_reference():
    campaign = load_campaign()
    reference = campaign.reference_verdicts(SNIPPETS, NODE_MODULES)
    for source, verdict in zip(SNIPPETS, reference):
        ours, message = campaign.our_verdict(source)
        assert ours == verdict["ok"], (source, message, verdict["errors"])


def test_mutants_agree_with_the_reference():
    campaign = load_campaign()
    agreement, disagreements = campaign.compare(NODE_MODULES, count=400, seed=2024)
    assert agreement >= 0.99, disagreements[:5]
