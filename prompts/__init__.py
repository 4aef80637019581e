"""Call-script defaults and prompt templates, shipped as data files inside the wheel."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def data_file(name: str) -> Traversable:
    """A data file shipped in this package (read it with `.read_text()`)."""
    return files(__name__) / name
