"""The Flux function library, one module per Flux package.

Table functions are Python functions decorated with `@flux_function`; their signature is
the Flux signature (parameter names, defaults). Scalar functions are rows of a data table
(`ScalarFunction`). Importing this package registers every module.
"""
from . import registry  # noqa: F401
from . import universe, sources  # noqa: F401
