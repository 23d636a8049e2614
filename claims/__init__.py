"""claims: turn a lemma into an executable, statistically sound check.

A :class:`Claim` is an immutable value: a source (paper + lemma), a LaTeX
statement, a parameter regime, a *measure* (K batched trials -> one number per
trial) and a *bound*. :func:`check` tries to falsify it with Hypothesis-driven
search and exact binomial tests and returns a :class:`ClaimResult` with a
verdict (pass / fail / inconclusive / error), statistics, a counterexample and a
reproduction command. Write your own claim::

    import math, torch, claims

    def max_gauss(point, ctx):                # K trials of max of n N(0,1)
        g = torch.randn(ctx.trials, point["n"], generator=ctx.generator(), dtype=ctx.dtype)
        return g.max(dim=1).values

    MAXG = claims.Claim(
        id="MINE/max-gauss", title="max of n Gaussians <= sqrt(2 log n) + 3",
        source=claims.Source(paper="my-notes.txt", ref="Lemma 1"),
        statement_tex=r"\\max_{i\\le n} g_i \\le \\sqrt{2\\log n} + 3",
        family="sanity", regime=(claims.IntParam("n", 2, 4096, log=True),),
        measure=max_gauss,
        bound=claims.Bound("upper", lambda p: (2 * math.log(p["n"])) ** 0.5 + 3, 1.0,
                           provenance="Gaussian tail, explicit"),
        failure_prob=0.01)

    result = claims.check(MAXG, profile="quick")
    print(result.verdict, result.message)

From pytest: ``def test_mine(claims_check): claims_check(MAXG)`` (the fixture
applies the ``--claims-*`` options and fails / skips the test by verdict).
Catalog claims live in :mod:`claims.catalog`; the CLI is ``python -m claims``.
"""

#: The package version, its one source: pyproject.toml reads it (``[tool.setuptools.dynamic]``,
#: statically, so keep it a plain string literal) and ``ovpcheck --version`` prints it.
__version__ = "0.1.0"

from ._claim import (Bound, Choice, Claim, FloatParam, IntParam, InvalidClaimError, Measurement,
                     MeasureContext, Source, Scaling, PAPER_KEYS, derive_seed)
from ._profiles import PROFILES, Profile, get_profile
from ._result import ClaimResult, ResultsFileError, read_results, write_results
from ._engine import ClaimTimeout, MeasureError, check, reproduce, sweep
from ._calibration import calibrate
from . import catalog
from .catalog import register

__all__ = [
    "Claim", "Source", "Bound", "Scaling", "IntParam", "FloatParam", "Choice", "Measurement",
    "MeasureContext", "Profile", "PROFILES", "get_profile", "check", "reproduce", "ClaimResult",
    "catalog", "register", "InvalidClaimError", "MeasureError", "PAPER_KEYS", "derive_seed",
    "write_results", "read_results", "ResultsFileError", "ClaimTimeout", "sweep", "calibrate",
]

assert sorted(__all__) == sorted(set(__all__))
assert all(name in globals() for name in __all__), "claims.__all__ names something undefined"
