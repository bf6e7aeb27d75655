"""Flux column types and their names in annotated CSV.

Owns the mapping between Flux's basic types, annotated CSV `#datatype` names and
Python values. Pure data; SQL types live in the lowering stage.
"""
from __future__ import annotations

from enum import Enum


class FluxType(str, Enum):
    INT = "int"
    UINT = "uint"
    FLOAT = "float"
    STRING = "string"
    BOOL = "bool"
    TIME = "time"
    DURATION = "duration"

    @property
    def csv_name(self) -> str:
        """The `#datatype` annotation Flux writes for this type."""
        return _CSV_NAME[self]

    @classmethod
    def from_csv_name(cls, name: str) -> "FluxType":
        try:
            return _FROM_CSV_NAME[name]
        except KeyError:
            raise ValueError(f"unknown annotated CSV datatype {name!r}") from None

    @property
    def is_numeric(self) -> bool:
        return self in (FluxType.INT, FluxType.UINT, FluxType.FLOAT)


_CSV_NAME = {
    FluxType.INT: "long",
    FluxType.UINT: "unsignedLong",
    FluxType.FLOAT: "double",
    FluxType.STRING: "string",
    FluxType.BOOL: "boolean",
    FluxType.TIME: "dateTime:RFC3339",
    FluxType.DURATION: "duration",
}
_FROM_CSV_NAME = {v: k for k, v in _CSV_NAME.items()}
_FROM_CSV_NAME["dateTime:RFC3339Nano"] = FluxType.TIME
_FROM_CSV_NAME["dateTime"] = FluxType.TIME
