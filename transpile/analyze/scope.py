"""Lexical scopes: name -> value, with a parent chain."""
from __future__ import annotations


class Scope:
    __slots__ = ("names", "parent")

    def __init__(self, parent: "Scope | None" = None, names: dict | None = None):
        self.parent = parent
        self.names = dict(names or {})

    def lookup(self, name: str):
        scope = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        raise KeyError(name)

    def define(self, name: str, value) -> None:
        self.names[name] = value

    def child(self, names: dict | None = None) -> "Scope":
        return Scope(self, names)
