"""Root conftest: makes sure the claims pytest plugin is active exactly once.

When this repository is installed (``pip install -e .``), the ``pytest11`` entry
point ``claims = "claims.pytest_plugin"`` (pyproject.toml) loads the plugin
automatically, and registering it again here would be an error. It is registered
here only when that entry point is not in effect: package not installed, or
``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set.
"""

import importlib.metadata
import os


def _entry_point_active() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    try:
        eps = importlib.metadata.entry_points(group="pytest11")
    except Exception:  # pragma: no cover - broken metadata
        return False
    return any(ep.value == "claims.pytest_plugin" for ep in eps)


pytest_plugins = [] if _entry_point_active() else ["claims.pytest_plugin"]
