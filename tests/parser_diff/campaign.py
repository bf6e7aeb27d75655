"""Differential test of transpile.parser against the reference parser (libflux in WebAssembly).

Mutates valid Flux files one token at a time (delete, duplicate, swap two neighbours,
truncate) and compares the verdicts: both accept or both reject counts as agreement.

    python tests/parser_diff/campaign.py [--node-modules DIR] [--mutants N] [--seed S] [--show K]

DIR holds `@influxdata/flux-lsp-node` (default: tests/parser_diff/node_modules, made by
`npm install` in tests/parser_diff). The sources are the conformance cases' .flux files
(../shared/flux-conformance) and the seed task.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from transpile.errors import FluxSyntaxError  # noqa: E402
from transpile.parser import parse, tokenize  # noqa: E402

SHARED = REPO.parent / "shared"
MUTATIONS = ("delete", "duplicate", "swap", "truncate")
# Harsher mutations, for exploring (not part of the measured figure): a token replaced by,
# or preceded by, one of these.
EXTRA_MUTATIONS = ("replace", "insert")
VOCABULARY = (
    "(", ")", "[", "]", "{", "}", ",", ":", ".", "=", "==", "=>", "<-", "|>", "+", "-", "*", "/",
    "^", "<", ">=", "=~", "?", "@", "and", "or", "not", "exists", "if", "then", "else", "with",
    "return", "option", "import", "package", "builtin", "testcase", "x", "r", "1", "1.5", "1h",
    "2020-01-01T00:00:00Z", '"s"', '"${x}"', "/re/", ".a", "AND", "&&", "'", ";",
)


def corpus() -> list[str]:
    """The valid Flux files the mutants come from."""
    files = sorted((SHARED / "flux-conformance" / "cases").rglob("*.flux"))
    files += [SHARED / "examples" / "seed_task_fixed.flux"]
    return [f.read_text(encoding="utf-8") for f in files if f.exists()]


def mutate(source: str, tokens, kind: str, rng: random.Random) -> str:
    """One mutant of `source`: a token deleted, duplicated, swapped with the next, or the
    source cut before a token."""
    i = rng.randrange(len(tokens))
    _, text, start, end = tokens[i]
    if kind == "delete":
        return source[:start] + source[end:]
    if kind == "duplicate":
        return source[:end] + " " + text + source[end:]
    if kind == "replace":
        return source[:start] + rng.choice(VOCABULARY) + source[end:]
    if kind == "insert":
        return source[:start] + rng.choice(VOCABULARY) + " " + source[start:]
    if kind == "swap":
        if i + 1 >= len(tokens):
            i -= 1
            _, text, start, end = tokens[i]
        _, text2, start2, end2 = tokens[i + 1]
        return source[:start] + text2 + source[end:start2] + text + source[end2:]
    return source[:start]


def mutants(sources: list[str], count: int, seed: int, kinds=MUTATIONS) -> list[tuple[str, str]]:
    """`count` (mutation kind, mutant) pairs, reproducible for a seed."""
    rng = random.Random(seed)
    tokens: dict[int, list] = {}  # tokenized on demand: a small sample touches few files
    out = []
    while len(out) < count:
        index = rng.randrange(len(sources))
        if index not in tokens:
            tokens[index] = tokenize(sources[index])
        if len(tokens[index]) < 2:
            continue
        kind = kinds[len(out) % len(kinds)]
        out.append((kind, mutate(sources[index], tokens[index], kind, rng)))
    return out


def reference_verdicts(sources: list[str], node_modules: Path) -> list[dict]:
    """The reference parser's {ok, errors} for each source, in batches of node processes.

    libflux can loop forever on some broken input (it then eats memory until killed); a
    batch that times out is split until the culprit is alone, and that one counts as
    rejected ("hang").
    """
    env = dict(os.environ, NODE_PATH=str(node_modules))

    def run(batch: list[str]) -> list[dict]:
        try:
            done = subprocess.run(
                ["node", "--max-old-space-size=1024", str(HERE / "refparse.js")],
                input=json.dumps(batch),
                capture_output=True,
                text=True,
                env=env,
                timeout=10 + 0.05 * len(batch),
            )
            if done.returncode == 0:
                return json.loads(done.stdout)
        except subprocess.TimeoutExpired:
            pass
        if len(batch) == 1:
            return [{"ok": False, "errors": ["hang or crash of the reference parser"]}]
        half = len(batch) // 2
        return run(batch[:half]) + run(batch[half:])

    verdicts: list[dict] = []
    for i in range(0, len(sources), 250):
        verdicts += run(sources[i:i + 250])
    return verdicts


def our_verdict(source: str) -> tuple[bool, str]:
    try:
        parse(source)
    except FluxSyntaxError as error:
        return False, error.format()
    return True, ""


def compare(node_modules: Path, count: int, seed: int, kinds=MUTATIONS):
    """(agreement ratio, disagreements as (kind, source, ours, reference) tuples)."""
    pairs = mutants(corpus(), count, seed, kinds)
    reference = reference_verdicts([m for _, m in pairs], node_modules)
    disagreements = []
    for (kind, source), ref in zip(pairs, reference):
        ok, message = our_verdict(source)
        if ok != ref["ok"]:
            disagreements.append((kind, source, message or "accepted", "; ".join(ref["errors"]) or "accepted"))
    return 1 - len(disagreements) / len(pairs), disagreements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=HERE / "node_modules")
    parser.add_argument("--mutants", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=10, help="disagreements to print")
    parser.add_argument("--extra", action="store_true", help="use the harsher replace/insert mutations")
    args = parser.parse_args()
    kinds = EXTRA_MUTATIONS if args.extra else MUTATIONS
    agreement, disagreements = compare(args.node_modules, args.mutants, args.seed, kinds)
    print(f"{args.mutants} mutants, agreement {agreement:.2%}, {len(disagreements)} disagreements")
    by_side = collections.Counter(
        ("we reject, reference accepts" if ref == "accepted" else "we accept, reference rejects", kind)
        for kind, _, _, ref in disagreements
    )
    for (side, kind), n in by_side.most_common():
        print(f"  {n:4d}  {side} ({kind})")
    for kind, source, ours, ref in disagreements[: args.show]:
        print("-" * 72)
        print(f"[{kind}] ours: {ours}\n        reference: {ref}")
        print(source if len(source) < 1500 else source[:1500] + "\n...")


if __name__ == "__main__":
    main()
