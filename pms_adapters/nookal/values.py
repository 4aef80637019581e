"""Coercions for the loosely typed values Nookal sends: numbers as strings, "0"/"1" booleans,
ids that are sometimes integers, lists that are sometimes comma-separated strings, and PHP's
habit of encoding an empty map as `[]` (spec 6)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

_ID = re.compile(r"[0-9]{1,19}")


def as_int(value: object) -> int | None:
    """An integer from 3, "3", "3.0" or " 3 "; None for anything else (null, "", "abc")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return int(number) if number.is_integer() else None
    return None


def as_bool(value: object) -> bool:
    """Nookal's booleans: "1", 1, true, "true", "yes" are true; everything else is false."""
    if isinstance(value, bool):
        return value
    return str(value).strip().casefold() in {"1", "true", "yes", "y"}


def as_id(value: object) -> str:
    """An id as a string ("12" from 12 or "12"); "" when there is none."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def is_nookal_id(value: str) -> bool:
    """Whether `value` could be a Nookal id (decimal digits); anything else is unknown to it."""
    return bool(_ID.fullmatch(value))


def as_id_list(value: object) -> list[str]:
    """Ids from a list of ints or strings, or from a comma-separated string."""
    if value is None or value == "":
        return []
    items: list[Any]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, Mapping):  # {"0": "1", "1": "2"}: PHP's list-as-map
        items = list(value.values())
    else:
        items = [value]
    return [i for i in (as_id(item) for item in items) if i]


def as_map(value: object) -> Mapping[str, Any]:
    """A JSON object, or an empty mapping for PHP's `[]` (an empty map) and for null."""
    return value if isinstance(value, Mapping) else {}


def as_rows(value: object) -> list[Mapping[str, Any]]:
    """A list of JSON objects (rows); a map of rows is read as its values; others are dropped."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, Mapping)]


def as_text(value: object) -> str:
    """A string field, "" for null."""
    return "" if value is None else str(value).strip()


def as_date(value: object) -> date | None:
    """A `YYYY-MM-DD` date; None for null, "" and zero dates such as `0000-00-00`."""
    text = as_text(value)[:10]
    if not text or text.startswith("0000"):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
