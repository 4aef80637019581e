"""The fake OpenAI server's checks of strict function schemas, and what a strict model sends.

With `"strict": true` the real API accepts only a subset of JSON Schema and answers 400
`invalid_function_parameters` otherwise, naming the function and where in its schema the rule
broke (`In context=('properties', 'when'), ...`). The rules checked here are the documented
ones (OpenAI's Structured Outputs guide, "Supported schemas"):
- the root is `type: "object"`, not `anyOf`/`oneOf`/`allOf`/`enum`/`const`/`not`;
- every object has `additionalProperties: false` and lists every property in `required`, and
  `required` names no property that is not there;
- only these keywords: type, properties, required, additionalProperties, items, anyOf, enum,
  const, description, title, $ref, $defs, and per type: string `pattern`, `format` (a few
  formats); number `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`;
  array `minItems`, `maxItems`. `minLength`/`maxLength` and `default` are refused (the first are
  outside the subset; the second Azure OpenAI refuses, and it means nothing under strict);
- enum values match the declared type (a nullable enum lists `null`).

A strict model always sends every property; `complete_arguments` does that to a scripted call
(a missing optional argument becomes `null`), so tests exercise what the model really sends.
"""

from __future__ import annotations

from typing import Any

INVALID_PARAMETERS = "invalid_function_parameters"
_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_COMMON = frozenset({"type", "description", "title", "enum", "const", "anyOf", "$ref", "$defs"})
_BY_TYPE = {
    "string": frozenset({"pattern", "format"}),
    "number": frozenset(
        {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    ),
    "integer": frozenset(
        {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    ),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "object": frozenset({"properties", "required", "additionalProperties"}),
}
_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_MAX_DEPTH = 10


class StrictSchemaError(ValueError):
    """A strict schema the real API would refuse; the text is the API's message after the
    "Invalid schema for function 'name': " head."""


def check_strict(parameters: dict[str, Any]) -> None:
    """Raise `StrictSchemaError` where the real API would refuse these strict parameters."""
    kind = parameters.get("type")
    if kind != "object":
        raise StrictSchemaError(
            f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{kind}\"'."
        )
    if any(key in parameters for key in ("anyOf", "oneOf", "allOf", "enum", "const", "not")):
        raise StrictSchemaError(
            "schema must have type 'object' and not have 'oneOf'/'anyOf'/'allOf'/'enum'/"
            "'const'/'not' at the top level."
        )
    definitions = parameters.get("$defs", {})
    _check(parameters, (), definitions, depth=1)


def _context(path: tuple[str, ...]) -> str:
    return f"In context={path!r}"


def _check(node: Any, path: tuple[str, ...], definitions: dict[str, Any], *, depth: int) -> None:
    if not isinstance(node, dict):
        raise StrictSchemaError(f"{_context(path)}, schema must be an object.")
    if depth > _MAX_DEPTH:
        raise StrictSchemaError(
            f"{_context(path)}, schema nesting is deeper than {_MAX_DEPTH} levels."
        )
    if "$ref" in node:
        ref = node["$ref"]
        name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None
        if not isinstance(ref, str) or not ref.startswith("#/") or name not in definitions:
            raise StrictSchemaError(f"{_context(path)}, reference {ref!r} can't be resolved.")
    for name, definition in (node.get("$defs") or {}).items():
        _check(definition, (*path, "$defs", name), definitions, depth=depth)
    kinds = _kinds(node, path)
    allowed = set(_COMMON)
    for kind in kinds:
        allowed |= _BY_TYPE.get(kind, frozenset())
    for key in node:
        if key not in allowed:
            raise StrictSchemaError(f"{_context(path)}, '{key}' is not permitted.")
    if "format" in node and node["format"] not in _FORMATS:
        raise StrictSchemaError(
            f"{_context(path)}, 'format' {node['format']!r} is not supported; use one of"
            f" {', '.join(sorted(_FORMATS))}."
        )
    for value in node.get("enum", ()):
        if (
            kinds
            and _json_type(value) not in kinds
            and not (_json_type(value) == "integer" and "number" in kinds)
        ):
            raise StrictSchemaError(
                f"{_context(path)}, enum value {value!r} does not validate against"
                f" {{'type': {node.get('type')!r}}}."
            )
    for index, branch in enumerate(node.get("anyOf", ())):
        _check(branch, (*path, "anyOf", str(index)), definitions, depth=depth)
    if "items" in node:
        _check(node["items"], (*path, "items"), definitions, depth=depth + 1)
    if "object" in kinds:
        _check_object(node, path, definitions, depth=depth)


def _kinds(node: dict[str, Any], path: tuple[str, ...]) -> set[str]:
    kind = node.get("type")
    if kind is None:
        if not any(key in node for key in ("anyOf", "$ref", "enum", "const")):
            raise StrictSchemaError(f"{_context(path)}, schema must have a 'type' key.")
        return set()
    kinds = kind if isinstance(kind, list) else [kind]
    for one in kinds:
        if one not in _TYPES:
            raise StrictSchemaError(f"{_context(path)}, type {one!r} is not supported.")
    return set(kinds)


def _check_object(
    node: dict[str, Any], path: tuple[str, ...], definitions: dict[str, Any], *, depth: int
) -> None:
    if node.get("additionalProperties") is not False:
        raise StrictSchemaError(
            f"{_context(path)}, 'additionalProperties' is required to be supplied and to be false."
        )
    properties = node.get("properties", {})
    required = node.get("required")
    head = (
        f"{_context(path)}, 'required' is required to be supplied and to be an array including"
        " every key in properties."
    )
    if not isinstance(required, list):
        missing = next(iter(properties), None)
        if missing is None:
            return
        raise StrictSchemaError(f"{head} Missing '{missing}'.")
    for key in properties:
        if key not in required:
            raise StrictSchemaError(f"{head} Missing '{key}'.")
    for key in required:
        if key not in properties:
            raise StrictSchemaError(f"{head} Extra required key '{key}' supplied.")
    for key, schema in properties.items():
        _check(schema, (*path, "properties", key), definitions, depth=depth + 1)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def complete_arguments(arguments: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The arguments as a strict model sends them: every property, `null` where none is given
    (only where the schema allows null; a scripted gap elsewhere is left for the test to see)."""
    out = dict(arguments)
    for key, schema in (parameters.get("properties") or {}).items():
        if key not in out and _allows_null(schema):
            out[key] = None
    return out


def _allows_null(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_allows_null(branch) for branch in schema.get("anyOf", ()))
