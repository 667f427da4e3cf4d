"""FHIR R4 primitive types: the JSON type and the lexical pattern each must have (FHIR R4 datatypes page)."""

from __future__ import annotations

import re
from typing import Any

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_MONTH_DAY = r"-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
PATTERNS: dict[str, re.Pattern[str]] = {
    "date": re.compile(rf"{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?"),
    "dateTime": re.compile(rf"{_YEAR}({_MONTH_DAY}(T{_TIME}{_ZONE})?)?)?"),
    "instant": re.compile(rf"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T{_TIME}{_ZONE}"),
    "time": re.compile(_TIME),
    "code": re.compile(r"[^\s]+( [^\s]+)*"),
    "id": re.compile(r"[A-Za-z0-9\-\.]{1,64}"),
    "oid": re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+"),
    "uuid": re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "uri": re.compile(r"\S*"),
    "url": re.compile(r"\S*"),
    "canonical": re.compile(r"\S*"),
    "base64Binary": re.compile(r"(\s*([0-9a-zA-Z+/=]){4}\s*)+"),
}
STRING_TYPES = frozenset(
    {"string", "markdown", "xhtml", "uri", "url", "canonical", "code", "id", "oid", "uuid", "date",
     "dateTime", "instant", "time", "base64Binary"}
)  # fmt: skip
INT32 = (-(2**31), 2**31 - 1)


def primitive_problem(type_code: str, value: Any) -> str | None:
    """Why ``value`` is not a valid JSON value of FHIR primitive ``type_code``; None when it is."""
    if type_code == "boolean":
        return None if isinstance(value, bool) else f"must be a JSON boolean, not {_json_kind(value)}"
    if type_code in ("integer", "unsignedInt", "positiveInt", "integer64"):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a JSON integer, not {_json_kind(value)}"
        if type_code != "integer64" and not INT32[0] <= value <= INT32[1]:
            return "is outside the 32-bit integer range"
        if type_code == "unsignedInt" and value < 0:
            return "must not be negative"
        if type_code == "positiveInt" and value < 1:
            return "must be at least 1"
        return None
    if type_code == "decimal":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"must be a JSON number, not {_json_kind(value)}"
    if type_code in STRING_TYPES:
        if not isinstance(value, str):
            return f"must be a JSON string, not {_json_kind(value)}"
        if value == "" or (type_code != "xhtml" and not value.strip()):
            return "must not be empty (FHIR strings have a value or are absent)"
        pattern = PATTERNS.get(type_code)
        if pattern is not None and not pattern.fullmatch(value):
            return f"is not a valid {type_code}"
        return None
    return None


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"
