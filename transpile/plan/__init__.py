"""The Plan: immutable operators over streams of Flux tables (see `core` for the model).

`core` holds the schema model and the core nodes; other modules add nodes for one
family of Flux functions each. Everything is re-exported here.
"""
from .core import *  # noqa: F401,F403
from .core import SEQ, OrderBy, PlanNode, Schema, Yield  # noqa: F401
