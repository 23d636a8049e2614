"""A small LRU cache shared by catalog measures.

Several claims share one expensive measurement (e.g. AZLS-RNN (5.1a-c), AZL-RNN E.1-* and F.1*): the
first claim to need it computes it for a (point, seed) key, the others reuse it within the run. Keys
must include everything the measurement depends on (point, seed, trials, device, dtype).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Hashable


class LRUCache:
    """At most ``size`` entries; the least recently used is dropped first."""

    def __init__(self, size: int = 8):
        if size < 1:
            raise ValueError(f"LRUCache size must be >= 1, got {size}")
        self.size, self.d = size, OrderedDict()

    def get(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        """The cached value for ``key``, computing it with ``fn()`` on a miss."""
        if key in self.d:
            self.d.move_to_end(key)
            return self.d[key]
        v = fn()
        self.d[key] = v
        if len(self.d) > self.size:
            self.d.popitem(last=False)
        return v
