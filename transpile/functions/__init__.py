"""The Flux function library, one module per Flux package or family of functions.

Table functions are Python functions decorated with `@flux_function`; their signature is
the Flux signature (parameter names, defaults). Scalar functions are rows of a data table
(`ScalarFunction`). Importing this package imports (and so registers) every module in it.
"""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
