"""Tool schemas for the models: strict function schemas, generated once from the argument models.

OpenAI's strict mode (Structured Outputs for function calling) constrains the model's
arguments to the schema, but accepts only a subset of JSON Schema:
- the root is an object (no `anyOf` at the top); every object has `additionalProperties:
  false` and lists every property in `required`; an optional argument is nullable instead
  (`"type": ["string", "null"]`, or `anyOf` with `{"type": "null"}`, and `null` in an enum).
  We make nullable the optional arguments whose default is "none given" (`when`, `phone`);
  one whose default is a value (`confirmed: false`, a cancellation `reason`) stays plain, so
  the model states the value;
- types string, number, integer, boolean, object, array, null; `enum`, `const`, `anyOf`,
  `$ref`/`$defs`; `description` and `title`;
- type-specific keywords only: `pattern` and `format` for strings; `minimum`, `maximum`,
  `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf` for numbers; `minItems`, `maxItems`
  for arrays. Not `minLength`/`maxLength`, not `allOf`/`not`/`if`/`then`/`else`, not
  `patternProperties` and the like. `default` is not in the documented subset either (Azure
  OpenAI rejects it), so defaults are dropped: the argument model applies them when the model
  sends `null` (see `Toolbox.call`).

We also drop `title` (it only costs tokens) and inline `$ref`s (small enums read better in
place), and keep what we drop enforced where it belongs: pydantic validates lengths and
defaults on every call, so nothing is lost by not telling the model.

Both shapes carry the same parameters: Chat Completions nests them under "function" with
`"strict": true`; Realtime is flat (type/name/description/parameters) and its function tool
has no `strict` field, so none is sent there.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from receptionist.agent.toolbox import Tool

# Keywords strict mode does not accept, or that only cost tokens; validated by pydantic anyway.
_DROP = frozenset({"title", "default", "minLength", "maxLength", "examples"})
# Keywords strict mode accepts (anything else in a generated schema is a bug: fail loudly).
STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "enum",
        "const",
        "description",
        "title",
        "$ref",
        "$defs",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
_NULL = {"type": "null"}
_ORDER = ("description", "type", "enum", "properties", "required", "additionalProperties")


def strict_parameters(arguments: type[BaseModel]) -> dict[str, Any]:
    """The argument model's JSON schema as strict mode accepts it (see the module docstring)."""
    schema = arguments.model_json_schema()
    definitions = schema.pop("$defs", {})
    strict: dict[str, Any] = _strict(schema, definitions)
    return strict


def _strict(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """One schema node made strict; keywords are walked by their meaning (a property called
    "title" is a property, not a title)."""
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _strict({**target, **extra}, definitions)
    branches = node.get("anyOf")
    if branches and _NULL in branches:
        rest = [b for b in branches if b != _NULL]
        if len(rest) == 1:
            merged = {**rest[0], **{k: v for k, v in node.items() if k != "anyOf"}}
            return _nullable(_strict(merged, definitions))
    unknown = set(node) - STRICT_KEYWORDS - _DROP
    if unknown:
        raise ValueError(f"strict mode does not accept {sorted(unknown)}")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "$defs":
            continue
        if key == "anyOf":
            out[key] = [_strict(branch, definitions) for branch in value]
        elif key == "items":
            out[key] = _strict(value, definitions)
        elif key == "properties":
            out[key] = {
                name: _nullable(_strict(prop, definitions))
                if _absent_is_null(name, prop, node)
                else _strict(prop, definitions)
                for name, prop in value.items()
            }
        else:
            out[key] = value
    if out.get("type") == "object" or "properties" in out:
        out["required"] = list(out.setdefault("properties", {}))
        out["additionalProperties"] = False
    return _ordered(out)


def _ordered(schema: dict[str, Any]) -> dict[str, Any]:
    """What a thing is before its type, as a person reads it (also a few tokens cheaper)."""
    first = [key for key in _ORDER if key in schema]
    return {key: schema[key] for key in [*first, *(k for k in schema if k not in _ORDER)]}


def _absent_is_null(name: str, prop: dict[str, Any], parent: dict[str, Any]) -> bool:
    """Whether leaving this argument out must be said with `null`: an optional argument with
    no value of its own. One whose default is a value (`confirmed: false`) stays plain; the
    model says that value instead, which costs it nothing (and the budget a few tokens)."""
    if name in parent.get("required", ()):
        return False
    return prop.get("default") is None


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null, in the most compact form strict mode accepts."""
    kind = schema.get("type")
    if kind is None and "anyOf" in schema:
        branches = schema["anyOf"]
        return schema if _NULL in branches else {**schema, "anyOf": [*branches, _NULL]}
    if kind is None:
        return {"anyOf": [schema, _NULL]}
    kinds = kind if isinstance(kind, list) else [kind]
    out = {**schema, "type": kinds if "null" in kinds else [*kinds, "null"]}
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return _ordered(out)


def chat_schemas(tools: Sequence[Tool[Any]]) -> list[dict[str, Any]]:
    """Chat Completions shape: nested under "function", strict (generated once per tool set)."""
    return copy.deepcopy(_chat_schemas(tuple(tools)))


def realtime_schemas(tools: Sequence[Tool[Any]]) -> list[dict[str, Any]]:
    """Realtime (and Responses) shape: flat, the same parameters (generated once per tool set)."""
    return copy.deepcopy(_realtime_schemas(tuple(tools)))


@functools.cache
def _chat_schemas(tools: tuple[Tool[Any], ...]) -> list[dict[str, Any]]:
    # "function" before "type": the same object to the API, ten tokens fewer across the set.
    return [
        {
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters(),
                "strict": True,
            },
            "type": "function",
        }
        for tool in tools
    ]


@functools.cache
def _realtime_schemas(tools: tuple[Tool[Any], ...]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters(),
        }
        for tool in tools
    ]
