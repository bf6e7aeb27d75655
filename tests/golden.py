"""The golden-file format (DESIGN.md §4).

A golden file is a header of `# key: value` lines (`now`, `data`, `source`), a hand-written
`=== flux` section, and generated sections: `=== ast` (parse cases), `=== sql` and
`=== rows`, or `=== error`. This module reads, renders and rewrites them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

GENERATED = ("ast", "sql", "rows", "error")


@dataclass
class GoldenCase:
    path: Path
    header: dict = field(default_factory=dict)
    sections: dict = field(default_factory=dict)

    @property
    def flux(self) -> str:
        return self.sections["flux"]

    def render(self) -> str:
        lines = [f"# {k}: {v}" for k, v in self.header.items()]
        for name, body in self.sections.items():
            lines.append(f"=== {name}")
            lines.append(body.rstrip("\n"))
        return "\n".join(lines) + "\n"


def read_case(path: Path) -> GoldenCase:
    case = GoldenCase(path)
    current = None
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            if current is not None:
                case.sections[current] = "\n".join(body).strip("\n") + "\n"
            current, body = line[4:].strip(), []
        elif current is None:
            if line.startswith("# ") and ":" in line:
                key, _, value = line[2:].partition(":")
                case.header[key.strip()] = value.strip()
        else:
            body.append(line)
    if current is not None:
        case.sections[current] = "\n".join(body).strip("\n") + "\n"
    if "flux" not in case.sections:
        raise ValueError(f"{path}: no '=== flux' section")
    return case


def all_cases(root: Path) -> list[Path]:
    return sorted(root.rglob("*.golden"))
