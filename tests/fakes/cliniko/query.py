"""Cliniko's list conventions in the fake: `q[]` filters, `sort`, and pagination.

Filters are `field:<op><value>`; the operators allowed depend on the field's type (spec §2.5).
A field the endpoint does not allow is a 400 `{"message": "<field> is not filterable"}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ID, DATE, DATETIME, STRING, BOOL, ARRAY = "id", "date", "datetime", "string", "bool", "array"

_OPERATORS: dict[str, tuple[str, ...]] = {
    # Longest first, so ">=" is not read as ">" followed by "=".
    ID: ("!?", "!=", ">=", "<=", "=", ">", "<", "?"),
    DATE: ("!?", ">=", "<=", "=", ">", "<", "?"),
    DATETIME: ("!?", ">=", "<=", ">", "<", "?", "*"),
    STRING: ("~~", "!?", "!=", "=", "~", "?"),
    BOOL: ("!=", "="),
    ARRAY: ("~",),
}
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100


class ListError(Exception):
    """A bad list request: answered with 400 and `{"message": ...}`."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One parsed `q[]` filter."""

    field: str
    kind: str
    op: str
    value: str


def parse_filters(raw: Sequence[str], allowed: Mapping[str, str]) -> list[Condition]:
    """The `q[]` filters of a request, checked against the endpoint's filterable fields."""
    conditions = []
    for item in raw:
        name, sep, rest = item.partition(":")
        if not sep:
            raise ListError(f"Invalid filter {item!r}")
        kind = allowed.get(name)
        if kind is None:
            raise ListError(f"{name} is not filterable")
        op = next((o for o in _OPERATORS[kind] if rest.startswith(o)), None)
        if op is None:
            raise ListError(f"Invalid operator for {name}")
        value = rest[len(op) :]
        if op in ("?", "!?", "*") and value:
            raise ListError(f"Invalid filter {item!r}")
        if kind == DATETIME and op not in ("?", "!?", "*"):
            _datetime(value)
        conditions.append(Condition(name, kind, op, value))
    return conditions


def wildcards(conditions: Sequence[Condition]) -> set[str]:
    """Fields asked for with `*` (or `?`): their hidden rows (cancelled, archived) are shown."""
    return {c.field for c in conditions if c.op in ("*", "?")}


def _datetime(value: str) -> datetime:
    if not value.endswith("Z"):
        raise ListError("Date-time filters must be in UTC (ending in Z)")
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ListError(f"Invalid date-time {value!r}") from exc


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == ">=":
        return bool(left >= right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left < right)


def _matches(condition: Condition, value: Any) -> bool:
    op, raw = condition.op, condition.value
    if op == "*":
        return True
    if op == "?":
        return value is not None and value != ""
    if op == "!?":
        return value is None or value == ""
    if condition.kind == ARRAY:
        return raw in (value or [])
    if value is None:
        return False
    if condition.kind == ID:
        wanted = [w.strip() for w in raw.split(",")] if op == "=" else [raw]
        if not all(w.isdigit() for w in wanted):
            raise ListError(f"Invalid id {raw!r} for {condition.field}")
        if op == "=":
            return int(value) in {int(w) for w in wanted}
        return _compare(op, int(value), int(raw))
    if condition.kind == DATE:
        text = value.isoformat() if isinstance(value, date) else str(value)
        if "*" in raw:
            if op != "=":
                raise ListError("Wildcards only work with =")
            return re.fullmatch(re.escape(raw).replace(r"\*", "[0-9]"), text) is not None
        try:
            date.fromisoformat(raw)
        except ValueError as exc:
            raise ListError(f"Invalid date {raw!r}") from exc
        return _compare(op, text, raw)
    if condition.kind == DATETIME:
        return _compare(op, value, _datetime(raw))
    if condition.kind == BOOL:
        if raw not in ("true", "false"):
            raise ListError(f"Invalid boolean {raw!r}")
        return _compare(op, bool(value), raw == "true")
    text = str(value)
    if op == "~":
        return raw.casefold() in text.casefold()
    if op == "~~":
        return _like(raw).fullmatch(text) is not None
    return _compare(op, text, raw)


def select(
    rows: Sequence[Any],
    conditions: Sequence[Condition],
    values: Callable[[Any], Mapping[str, Any]],
) -> list[Any]:
    """The rows every condition accepts (AND)."""
    return [r for r in rows if all(_matches(c, values(r).get(c.field)) for c in conditions)]


def order(
    rows: list[Any], sort: str | None, values: Callable[[Any], Mapping[str, Any]]
) -> list[Any]:
    """Rows in `sort` order (`a,b:desc`); default `created_at` ascending, then id."""
    keys = [("created_at", False)]
    if sort:
        keys = []
        for part in sort.split(","):
            name, _, direction = part.strip().partition(":")
            keys.append((name, direction == "desc"))
    result = sorted(rows, key=lambda r: int(values(r)["id"]))
    for name, descending in reversed(keys):
        if rows and name not in values(rows[0]):
            raise ListError(f"{name} is not sortable")
        result.sort(key=lambda r, n=name: _sort_key(values(r).get(n)), reverse=descending)
    return result


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, datetime | date):
        return (1, value.isoformat())
    if isinstance(value, str) and value.isdigit():
        return (1, int(value))
    return (1, value)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, and the links around it."""

    items: list[Any]
    total: int
    links: dict[str, str]


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def paginate(rows: list[Any], params: Mapping[str, str], url: str) -> Page:
    """Cut `rows` into the requested page (`page` from 1, `per_page` up to 100)."""
    try:
        page = int(params.get("page", "1"))
        per_page = int(params.get("per_page", str(DEFAULT_PER_PAGE)))
    except ValueError as exc:
        raise ListError("page and per_page must be numbers") from exc
    if page < 1 or per_page < 1:
        raise ListError("page and per_page must be positive")
    per_page = min(per_page, MAX_PER_PAGE)
    start = (page - 1) * per_page
    links = {"self": _with_page(url, page)}
    if start + per_page < len(rows):
        links["next"] = _with_page(url, page + 1)
    if page > 1:
        links["previous"] = _with_page(url, page - 1)
    return Page(rows[start : start + per_page], len(rows), links)
