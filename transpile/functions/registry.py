"""The registry of Flux functions by package path.

`@flux_function("universe")` registers a table function: its Python signature is its Flux
signature (a parameter named `tables` is the pipe parameter `tables=<-`), and it is
called with a `CallContext` first and the evaluated arguments by name. `ScalarFunction`
describes a function of row values in data: argument names, result type, the Python fold
used when every argument is constant, and the SQL it lowers to.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

from ..analyze.objects import Builtin
from ..types import FluxType

PACKAGES: dict[str, dict[str, Builtin]] = {}
SCALARS: dict[str, "ScalarFunction"] = {}
# Functions that are registered but not complete: qualified name -> ("partial"|"unsupported", what is missing).
LIMITS: dict[str, tuple[str, str]] = {}
REQUIRED = inspect.Parameter.empty


def package(path: str) -> dict:
    return PACKAGES.setdefault(path, {})


# Python annotations of a parameter that the evaluator checks before the call (Flux has no
# implicit conversions: `limit(n: "3")` and `yield(name: 1)` are type errors).
CHECKED_TYPES = {"str": (str,), "int": (int,), "bool": (bool,), "float": (float,)}


def flux_function(pkg: str, name: str | None = None, pipe: str | None = "tables",
                  partial: str | None = None, unsupported: str | None = None):
    """Register `fn(ctx, **args)` as Flux function `pkg.name`.

    A parameter annotated `str`, `int`, `bool` or `float` takes only a constant of that
    Flux type. `partial` says what is missing from an implementation that works for common
    use; `unsupported` marks a function that only explains why it cannot be translated.
    Both show in the coverage table (`flux2sql functions`).
    """

    def register(fn: Callable) -> Callable:
        flux_name = name or fn.__name__.rstrip("_")
        sig = inspect.signature(fn)
        params = [p for p in list(sig.parameters.values())[1:]]
        names = tuple(p.name.rstrip("_") for p in params)
        pipe_param = pipe if pipe in names else None
        defaults = {p.name.rstrip("_"): p.default for p in params if p.default is not REQUIRED}
        required = frozenset(n for n, p in zip(names, params) if p.default is REQUIRED and n != pipe_param)
        qualified = flux_name if pkg == "universe" else f"{pkg}.{flux_name}"
        types = {n: CHECKED_TYPES[p.annotation] for n, p in zip(names, params) if p.annotation in CHECKED_TYPES}
        package(pkg)[flux_name] = Builtin(qualified, fn, names, pipe_param, required, defaults, types)
        if partial or unsupported:
            LIMITS[qualified] = ("partial", partial) if partial else ("unsupported", unsupported)
        return fn

    return register


def alias(pkg: str, name: str, target_pkg: str, target: str) -> None:
    package(pkg)[name] = package(target_pkg)[target]


def constant(pkg: str, name: str, value) -> None:
    package(pkg)[name] = value


@dataclass(frozen=True)
class ScalarFunction:
    """A function of row values, e.g. `strings.toUpper(v: r.host)`.

    - `params`: Flux parameter names in order; `defaults` for the optional ones.
    - `returns`: the result type, or a function of the argument types.
    - `fold`: the Python implementation applied when all arguments are constants
      (None: leave it to SQL).
    - `sql`: builds the SQL from lowered arguments (sqlglot expressions) and their types.
    """

    package: str
    name: str
    params: tuple[str, ...]
    returns: object
    sql: Callable | None = None
    fold: Callable | None = None
    defaults: dict = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return self.name if self.package == "universe" else f"{self.package}.{self.name}"

    def result_type(self, arg_types: dict) -> FluxType | None:
        return self.returns(arg_types) if callable(self.returns) else self.returns


def scalar(pkg, name, params, returns, sql=None, fold=None, defaults=None) -> ScalarFunction:
    entry = ScalarFunction(pkg, name, tuple(params), returns, sql, fold, dict(defaults or {}))
    SCALARS[entry.qualified] = entry
    package(pkg)[name] = entry
    return entry
