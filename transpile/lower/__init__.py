"""Lower: Plan -> sqlglot trees (DuckDB dialect). Importing it imports every module in
this package, and so registers every node lowering."""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
