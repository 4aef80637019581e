"""Loading a call script: YAML with line numbers, merged over the shipped defaults.

A clinic's script is a small YAML file (see `prompts/demo_clinic.yaml`) deep-merged over the
shipped `prompts/defaults.yaml`, then validated into a frozen `CallScript`. Mistakes are
reported the way a compiler reports them, with the file and the line of the offending key:

    clinic.yaml:12: policies.cancellation_notice_hours: Input should be a valid integer
    clinic.yaml:3: hours.wednsday: unknown key 'wednsday' (did you mean 'wednesday'?)

Unknown keys are errors, so a typo can never be silently ignored.

    ValueError
     └── ScriptError      every ScriptIssue found, each with its file and line
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from prompts import data_file
from receptionist.agent.script.model import CallScript


@dataclass(frozen=True)
class ScriptIssue:
    """One problem in a script: where (line of the offending key, dotted path) and what."""

    line: int | None
    path: str
    message: str
    source: str = "<string>"

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScriptError(ValueError):
    """A script that does not load: every issue found, each with its line."""

    def __init__(self, errors: list[ScriptIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(issue) for issue in self.errors))


Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class _Document:
    data: dict[str, Any]
    lines: dict[Loc, int]
    source: str


def _compose(text: str, source: str) -> _Document:
    """Parse YAML keeping each key's (and each list item's) 1-based line number."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        issues: list[ScriptIssue] = []
        if node is not None:
            _collect_lines(node, (), lines, issues, source)
        if issues:
            raise ScriptError(issues)
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ": ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        line = None if mark is None else mark.line + 1
        raise ScriptError([ScriptIssue(line, "", f"YAML syntax error: {what}", source)]) from None
    except yaml.YAMLError as exc:
        raise ScriptError([ScriptIssue(None, "", f"YAML syntax error: {exc}", source)]) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line = None if node is None else node.start_mark.line + 1
        message = "a call script is a YAML mapping of keys to values"
        raise ScriptError([ScriptIssue(line, "", message, source)])
    return _Document(data, lines, source)


def _collect_lines(
    node: yaml.Node, path: Loc, lines: dict[Loc, int], issues: list[ScriptIssue], source: str
) -> None:
    if len(path) > 32:
        return  # aliases can make a tree deeper than any script is
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                dotted = _dotted((*path, key))
                message = f"duplicate key (first given on line {seen[key]})"
                issues.append(ScriptIssue(line, dotted, message, source))
            seen.setdefault(key, line)
            lines.setdefault((*path, key), line)
            _collect_lines(value_node, (*path, key), lines, issues, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _collect_lines(item, (*path, index), lines, issues, source)


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _deep_merge(base: Any, over: Any) -> Any:
    """`over` on top of `base`: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _deep_merge(base[key], value) if key in base else value
        return merged
    return over


@lru_cache(maxsize=1)
def _defaults() -> _Document:
    return _compose(data_file("defaults.yaml").read_text(encoding="utf-8"), "defaults.yaml")


def parse_script(text: str, *, source: str = "<string>", defaults: bool = True) -> CallScript:
    """Validate a script given as YAML text (merged over the shipped defaults unless told not
    to); raises ScriptError with every issue, each with the line of its key in `source`."""
    clinic = _compose(text, source)
    base = _defaults() if defaults else None
    data = _deep_merge(base.data, clinic.data) if base is not None else clinic.data
    try:
        return CallScript.model_validate(data)
    except ValidationError as exc:
        issues = [_issue(error, clinic, base) for error in exc.errors()]
        issues.sort(key=lambda issue: (issue.source != clinic.source, issue.line or 0))
        raise ScriptError(issues) from None


def load_script(path: Path | str, *, defaults: bool = True) -> CallScript:
    """Validate the script in the YAML file at `path` (see `parse_script`)."""
    return parse_script(Path(path).read_text(encoding="utf-8"), source=str(path), defaults=defaults)


@lru_cache(maxsize=1)
def demo_script() -> CallScript:
    """The demo clinic's script (`prompts/demo_clinic.yaml`), Harbourside Physio."""
    text = data_file("demo_clinic.yaml").read_text(encoding="utf-8")
    return parse_script(text, source="demo_clinic.yaml")


def _issue(error: Any, clinic: _Document, base: _Document | None) -> ScriptIssue:
    loc: Loc = tuple(error["loc"])
    message: str = error["msg"]
    kind: str = error["type"]
    if kind == "cross_field":
        # `loc` as given when the key itself may hold a dot (a holiday's name)
        loc = tuple(error["ctx"].get("loc") or str(error["ctx"]["path"]).split("."))
        message = error["ctx"]["detail"]
    elif kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
        hint = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1, cutoff=0.6)
        if hint:
            message += f" (did you mean {hint[0]!r}?)"
    elif kind == "missing":
        message = "required, but not given"
    message = message.removeprefix("Value error, ")
    source, line = _locate(loc, clinic, base)
    return ScriptIssue(line, _dotted(loc), message, source)


def _locate(loc: Loc, clinic: _Document, base: _Document | None) -> tuple[str, int | None]:
    """The file and line to blame: the key itself in the clinic's file, else in the defaults,
    else the nearest enclosing key in the clinic's file."""
    if loc in clinic.lines:
        return clinic.source, clinic.lines[loc]
    if base is not None and loc in base.lines:
        return base.source, base.lines[loc]
    for end in range(len(loc) - 1, 0, -1):
        if loc[:end] in clinic.lines:
            return clinic.source, clinic.lines[loc[:end]]
    return clinic.source, None


def _fields_at(loc: Loc) -> list[str]:
    """Field names of the model found by following `loc` from CallScript (for hints)."""
    model: type[BaseModel] | None = CallScript
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = None if field is None else _model_in(field.annotation)
    return [] if model is None else list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
