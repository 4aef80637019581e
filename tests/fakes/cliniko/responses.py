"""The fake's answers: the parsed call each endpoint gets, and Cliniko's response shapes.

422s are `{"message": "Validation Failed", "errors": {"<field>": "<text>"}}` with one string per
field (and Cliniko's typographic apostrophe); bad list parameters are 400 `{"message": ...}`;
unknown records are 404 with an empty body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response

from tests.fakes.cliniko import query

BLANK = "can’t be blank"


@dataclass(frozen=True, slots=True)
class Call:
    """One request, parsed: query parameters, JSON body, base URL for links, path ids."""

    params: QueryParams
    body: Any
    base: str
    url: str
    ids: Mapping[str, str]


def body(status: int, content: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response."""
    return Response(
        json.dumps(content), status, headers=dict(headers or {}), media_type="application/json"
    )


def message(status: int, text: str) -> Response:
    """`{"message": text}` with `status`."""
    return body(status, {"message": text})


def invalid(errors: Mapping[str, str]) -> Response:
    """A 422 in Cliniko's shape."""
    return body(422, {"message": "Validation Failed", "errors": dict(errors)})


def not_found() -> Response:
    """An unknown record: 404 with an empty body."""
    return Response(b"", 404)


def listing(
    call: Call,
    name: str,
    rows: list[Any],
    allowed: Mapping[str, str],
    values: Any,
    hidden: Any = None,
) -> Response:
    conditions = query.parse_filters(call.params.getlist("q[]"), allowed)
    if hidden is not None:
        shown = query.wildcards(conditions)
        rows = [r for r in rows if not hidden(r, shown)]
    rows = query.order(query.select(rows, conditions, values), call.params.get("sort"), values)
    page = query.paginate(rows, call.params, call.url)
    return body(
        200,
        {
            name: [r.render(call.base) for r in page.items],
            "total_entries": page.total,
            "links": page.links,
        },
    )


def stamps(record: Any) -> dict[str, Any]:
    return {"id": record.id, "created_at": record.created_at, "updated_at": record.created_at}
