"""``ovpcheck new FILE.py``: a commented starter file for checking a lemma of your own paper.

The template (``_starter_template.py.txt``, package data shipped in the wheel) holds one
claim with every part a claim has (measure, bound, regime, scaling), a deliberately false
variant and two pytest tests: one that checks the claim, one that shows the false variant
is rejected. It passes ``pytest FILE.py`` unchanged in a few seconds (profile ``quick``).
docs/engine.md walks through it section by section.
"""

from __future__ import annotations

import importlib.resources
import os

__all__ = ["StarterExistsError", "starter_text", "write_starter"]

_TEMPLATE = "_starter_template.py.txt"


class StarterExistsError(FileExistsError):
    """The target of ``ovpcheck new`` exists. Nothing was written: choose another name,
    or pass ``--force`` (``write_starter(..., force=True)``) to overwrite the file."""


def starter_text(filename: str = "my_claims.py") -> str:
    """The starter file's text, its commands naming ``filename`` (e.g. ``pytest my_claims.py``)."""
    text = importlib.resources.files("claims").joinpath(_TEMPLATE).read_text(encoding="utf-8")
    return text.replace("{{FILE}}", filename)


def write_starter(path: str | os.PathLike, *, force: bool = False) -> str:
    """Write the starter file to ``path`` and return the path written.

    Raises :class:`StarterExistsError` if ``path`` exists and ``force`` is false, and
    ``ValueError`` if its name does not end in ``.py`` or is not importable as a module
    (pytest and ``--claim FILE.py:ATTR`` import it by name).
    """
    path = os.fspath(path)
    stem, ext = os.path.splitext(os.path.basename(path))
    if ext != ".py" or not stem.isidentifier():
        raise ValueError(f"{path!r}: the starter file must be a Python module name ending in .py "
                         f"(letters, digits, underscores), e.g. my_claims.py")
    if os.path.isdir(path):
        raise StarterExistsError(f"{path} is a directory, not a file name")
    if os.path.exists(path) and not force:
        raise StarterExistsError(f"{path} exists; not overwriting it (pass --force to replace it)")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(starter_text(os.path.basename(path)))
    return path
