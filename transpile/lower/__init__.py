"""Lower: Plan -> sqlglot trees (DuckDB dialect). Importing it registers every node lowering."""
from . import nodes, aggregates  # noqa: F401
