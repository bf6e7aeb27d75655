"""The coverage table: which Flux functions flux2sql supports, generated from the registry.

Status comes from the registry (`partial=`/`unsupported=` on `@flux_function`); the
golden file that shows a function is the first golden file whose Flux calls it. Functions
that Flux's own test suite uses but the registry lacks are listed as not supported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Coverage:
    name: str
    status: str  # supported | partial | not supported
    note: str
    golden: str


def _registered() -> dict[str, tuple[str, str]]:
    from .functions import registry
    from .analyze.objects import Builtin

    out = {}
    for pkg, members in registry.PACKAGES.items():
        for name, entry in members.items():
            if not isinstance(entry, (Builtin, registry.ScalarFunction)):
                continue
            qualified = name if pkg == "universe" else f"{pkg}.{name}"
            out[qualified] = registry.LIMITS.get(qualified, ("supported", ""))
    out.update({name: ("supported", "") for name in _flux_defined()})
    return out


def _flux_defined() -> list[str]:
    """The functions that library packages define in Flux (functions/flux_defined.py)."""
    from . import ast
    from .functions.flux_defined import FLUX_SOURCES
    from .parser import parse

    names = []
    for pkg, source in FLUX_SOURCES.items():
        for stmt in parse(source, f"<{pkg}>").body:
            if isinstance(stmt, ast.VariableAssignment) and not stmt.id.name.startswith("_"):
                names.append(f"{pkg}.{stmt.id.name}")
    return names


def _golden_index(golden_root: Path) -> dict[str, str]:
    index: dict[str, str] = {}
    for path in sorted(golden_root.rglob("*.golden")):
        text = path.read_text(encoding="utf-8")
        flux = text.split("=== flux", 1)[-1].split("\n=== ", 1)[0]
        for match in re.finditer(r"([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)?)\s*\(", flux):
            index.setdefault(match.group(1), str(path.relative_to(golden_root.parent)))
    return index


def coverage(golden_root: Path, known: list[str] = ()) -> list[Coverage]:
    registered = _registered()
    golden = _golden_index(golden_root)
    rows = []
    for name in sorted(set(registered) | set(known)):
        status, note = registered.get(name, ("not supported", ""))
        short = name.rsplit("/", 1)[-1]  # experimental/geo.asTracks is called as geo.asTracks
        rows.append(Coverage(name, "not supported" if status == "unsupported" else status, note,
                             golden.get(short, golden.get(name.split(".")[-1], ""))))
    return rows


def markdown(rows: list[Coverage]) -> str:
    lines = ["| function | status | golden file |", "| --- | --- | --- |"]
    for r in rows:
        status = r.status + (f": {r.note}" if r.note else "")
        lines.append(f"| `{r.name}` | {status} | {r.golden and f'`{r.golden}`'} |")
    return "\n".join(lines) + "\n"
