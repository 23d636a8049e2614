"""``python -m claims``: see :mod:`claims.cli`."""

import sys

from claims.cli import main

sys.exit(main())
