"""The catalog of claims, registered by id.

Catalog modules (``claims/catalog/<name>.py``) call :func:`register` for each
claim at import time. :func:`all_claims` / :func:`get` import every submodule of
this package first (found with ``pkgutil``, so a new module is picked up
automatically). A submodule that fails to import raises
:class:`CatalogImportError` naming it — a broken catalog must not pass silently.
"""

from __future__ import annotations

import importlib
import pkgutil

from .._claim import CATALOG_REF_ATTR

__all__ = ["register", "get", "all_claims", "ids", "CatalogImportError", "load"]

_REGISTRY: dict = {}
_LOADED = False


class CatalogImportError(ImportError):
    """A catalog module failed to import; the message names it and the original error."""


def register(claim):
    """Add ``claim`` to the catalog and return it (usable as ``X = register(Claim(...))``).

    A second claim with the same id raises ``ValueError``.
    """
    from .._claim import Claim

    if not isinstance(claim, Claim):
        raise TypeError(f"register() expects a claims.Claim, got {type(claim).__name__}")
    if claim.id in _REGISTRY and _REGISTRY[claim.id] is not claim:
        raise ValueError(f"duplicate claim id {claim.id!r}: already registered; ids must be unique")
    _REGISTRY[claim.id] = claim
    # how the engine names a registered claim in a reproduce command (``python -m claims
    # reproduce 'ID'``) without importing this package: a mark on the object itself, which
    # pickling to a worker keeps and ``dataclasses.replace`` (a false variant) drops
    object.__setattr__(claim, CATALOG_REF_ATTR, f"'{claim.id}'")
    return claim


def load() -> None:
    """Import every catalog submodule once (idempotent)."""
    global _LOADED
    if _LOADED:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        name = f"{__name__}.{info.name}"
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise CatalogImportError(f"catalog module {name} failed to import: {type(exc).__name__}: {exc}") from exc
    _LOADED = True


def get(claim_id: str):
    """The registered claim with this id (``KeyError`` listing close ids if unknown)."""
    load()
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(claim_id, list(_REGISTRY), n=5)
        raise KeyError(f"no catalog claim {claim_id!r}" + (f"; did you mean {close}?" if close else "")) from None


def all_claims(paper: str | None = None, family: str | None = None) -> list:
    """Registered claims sorted by id; ``paper`` matches the paper file or its key
    (``"azls_dnn"``), ``family`` the claim's family."""
    load()
    out = []
    for c in sorted(_REGISTRY.values(), key=lambda c: c.id):
        if paper is not None and paper not in (c.source.paper, c.paper_key):
            continue
        if family is not None and c.family != family:
            continue
        out.append(c)
    return out


def ids() -> list[str]:
    load()
    return sorted(_REGISTRY)
