"""Errors raised by the transpiler, each carrying a source position.

This module owns the error types shared by every stage (parse, analyze, lower).
It must not import any other stage: every stage imports it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A region of Flux source: 1-based line and column, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class FluxError(Exception):
    """A user-facing error: one line of text and, where known, where in the source it is."""

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

    def format(self, filename: str | None = None) -> str:
        """`FILE:LINE:COL: message (hint)` on one line."""
        where = []
        if filename:
            where.append(filename)
        if self.span is not None:
            where.append(f"{self.span.line}:{self.span.column}")
        text = self.message if self.hint is None else f"{self.message} (hint: {self.hint})"
        return ":".join(where) + (": " if where else "") + text

    def __str__(self) -> str:
        return self.format()


class FluxSyntaxError(FluxError):
    """The source is not valid Flux."""


class FluxSemanticError(FluxError):
    """The program parses but cannot be evaluated: unknown names, bad arguments, type errors."""


class FluxUnsupportedError(FluxSemanticError):
    """Valid Flux that flux2sql does not translate (yet)."""
