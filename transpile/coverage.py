"""The coverage table: which Flux functions flux2sql supports, generated from the registry.

Status comes from the registry (`partial=`/`unsupported=` on `@flux_function`); the
golden file that shows a function is the first golden file whose Flux calls it (a value
that a library package defines in Flux, such as `monitor.levelCrit`, is shown by the first
golden file that refers to it). Functions that Flux's own test suite uses but the registry
lacks are listed as not supported. Helpers of `internal/...` packages are listed only for
the internal packages Flux's test suite uses (`internal/debug`, `internal/promql`): the
others (e.g. `internal/tickscript`) are plumbing of a library package, not something a
user calls.
Must not: import the runtime, or decide a status itself (the registry does).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_CALL = re.compile(r"([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)?)\s*\(")
_MEMBER = re.compile(r"\b([A-Za-z_]\w*\.[A-Za-z_]\w*)\b")


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


def _flux_defined() -> dict[str, bool]:
    """The names that library packages define in Flux (functions/flux_defined.py), each
    with whether it is a plain value (a literal such as `monitor.levelCrit = "crit"`)
    rather than a function."""
    from . import ast
    from .functions.flux_defined import FLUX_SOURCES
    from .parser import parse

    names = {}
    for pkg, source in FLUX_SOURCES.items():
        for stmt in parse(source, f"<{pkg}>").body:
            if isinstance(stmt, ast.VariableAssignment) and not stmt.id.name.startswith("_"):
                names[f"{pkg}.{stmt.id.name}"] = type(stmt.init).__name__.endswith("Literal")
    return names


def _internal_packages_in_use(known) -> set[str]:
    """The `internal/...` packages whose functions Flux's test suite calls (`known`)."""
    return {name.split(".")[0] for name in known if name.startswith("internal/")}


def _listed(name: str, internal_in_use: set[str]) -> bool:
    package = name.split(".")[0] if "." in name else ""
    return not package.startswith("internal/") or package in internal_in_use


def _golden_index(golden_root: Path, pattern: re.Pattern) -> dict[str, str]:
    index: dict[str, str] = {}
    for path in sorted(golden_root.rglob("*.golden")):
        text = path.read_text(encoding="utf-8")
        flux = text.split("=== flux", 1)[-1].split("\n=== ", 1)[0]
        for match in pattern.finditer(flux):
            index.setdefault(match.group(1), str(path.relative_to(golden_root.parent)))
    return index


def coverage(golden_root: Path, known: list[str] = ()) -> list[Coverage]:
    registered = _registered()
    values = {name for name, is_value in _flux_defined().items() if is_value}
    calls, references = _golden_index(golden_root, _CALL), _golden_index(golden_root, _MEMBER)
    internal_in_use = _internal_packages_in_use(known)
    rows = []
    for name in sorted(set(registered) | set(known)):
        if name not in known and not _listed(name, internal_in_use):
            continue
        status, note = registered.get(name, ("not supported", ""))
        short = name.rsplit("/", 1)[-1]  # experimental/geo.asTracks is called as geo.asTracks
        index = references if name in values else calls
        rows.append(Coverage(name, "not supported" if status == "unsupported" else status, note,
                             index.get(short, index.get(name.split(".")[-1], ""))))
    return rows


def markdown(rows: list[Coverage]) -> str:
    lines = ["| function | status | golden file |", "| --- | --- | --- |"]
    for r in rows:
        status = r.status + (f": {r.note}" if r.note else "")
        lines.append(f"| `{r.name}` | {status} | {r.golden and f'`{r.golden}`'} |")
    return "\n".join(lines) + "\n"
