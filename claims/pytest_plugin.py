"""pytest plugin: run claims as test items, gate CI on their verdicts.

Loaded through the ``pytest11`` entry point ``claims = "claims.pytest_plugin"``
(installed package) or, when that entry point is not active, by the repository's
root ``conftest.py``. It is never registered twice.

Options
-------
``--claims-profile NAME``  quick / ci / thorough (default: ``ci`` if ``$CI`` is set, else ``quick``)
``--claims-device DEV``    cpu, cuda, cuda:N (default cpu)
``--claims-dtype DT``      float32 / float64 (default: each claim's own dtype)
``--claims-seed N``        base seed (default 0)
``--claims-json PATH``     write the versioned results file (``claims/schema.md``)
``--claims-report PATH``   write an HTML report (via ``claims.report.render_html`` when
                           that module exists; the JSON is written beside it)
``--claims-strict``        an inconclusive claim fails instead of being skipped
``--claims-only``          deselect every test that is not a claim check

Verdicts: ``fail`` and ``error`` fail the item (message: estimate, counts, alpha,
reproduction command); ``inconclusive`` skips it with the reason (fails under
``--claims-strict``); ``pass`` passes. A terminal summary prints one line per
claim: verdict, trials, tightness, time.

Collection: ``tests/test_catalog.py`` parametrizes over :func:`catalog_params`,
one item per catalog claim, id = claim id (``test_claim[AZLS-DNN/Step2a]``), marks =
``claims`` + paper key (``azls_dnn``) + family + tags — all registered here, so
``--strict-markers`` accepts them and ``-m azls_dnn``, ``-m rnn``, ``-k sign_change``
select. Each claim is its own item, so pytest-xdist distributes them; results travel
to the controller through ``report.user_properties``.

Your own claims: ``def test_mine(claims_check): claims_check(MY_CLAIM)``, or
``@pytest.mark.parametrize("claim", claim_params([A, B]))``.
"""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

__all__ = ["catalog_params", "claim_params", "claim_param"]

_STATE = pytest.StashKey["_ClaimsSession"]()
_CONFIG: list = []  # the active config (for marker registration from helpers)
_PROP = "claims_result"


class _ClaimsSession:
    def __init__(self, profile, device, dtype, seed, json_path, report_path, strict, only):
        self.profile = profile
        self.device = device
        self.dtype = dtype
        self.seed = seed
        self.json_path = json_path
        self.report_path = report_path
        self.strict = strict
        self.only = only
        self.results: list[dict] = []
        self.notes: list[str] = []
        self.markers: set[str] = set()


def pytest_addoption(parser):
    g = parser.getgroup("claims", "claim engine (claims.check)")
    g.addoption("--claims-profile", default=None, metavar="NAME",
                help="claims profile: quick, ci or thorough (default: ci if $CI is set, else quick)")
    g.addoption("--claims-device", default="cpu", metavar="DEV", help="device for claims: cpu, cuda, cuda:N")
    g.addoption("--claims-dtype", default=None, metavar="DT",
                help="dtype for claims: float32 or float64 (default: each claim's own)")
    g.addoption("--claims-seed", default=0, type=int, metavar="N", help="base seed for claims (default 0)")
    g.addoption("--claims-json", default=None, metavar="PATH", help="write the claims results JSON here")
    g.addoption("--claims-report", default=None, metavar="PATH", help="write the claims HTML report here")
    g.addoption("--claims-strict", action="store_true", default=False,
                help="inconclusive claims fail instead of being skipped")
    g.addoption("--claims-only", action="store_true", default=False,
                help="run only claim checks (deselect other tests)")


def _register_marker(config, name: str, text: str) -> None:
    st = config.stash.get(_STATE, None)
    if st is not None:
        if name in st.markers:
            return
        st.markers.add(name)
    config.addinivalue_line("markers", f"{name}: {text}")


def pytest_configure(config):
    from claims._profiles import PROFILES
    from ovpmodel._checks import resolve_device, resolve_dtype

    profile = config.getoption("claims_profile") or ("ci" if os.environ.get("CI") else "quick")
    if profile not in PROFILES:
        raise pytest.UsageError(f"--claims-profile: unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    device = config.getoption("claims_device")
    dtype = config.getoption("claims_dtype")
    try:
        resolve_device(device)
        if dtype is not None:
            resolve_dtype(dtype)
    except ValueError as exc:
        raise pytest.UsageError(f"claims options: {exc}") from None
    if config.getoption("claims_seed") < 0:
        raise pytest.UsageError("--claims-seed must be a non-negative integer")
    state = _ClaimsSession(profile, device, dtype, config.getoption("claims_seed"),
                           config.getoption("claims_json"), config.getoption("claims_report"),
                           config.getoption("claims_strict"), config.getoption("claims_only"))
    config.stash[_STATE] = state
    _CONFIG.append(config)
    _register_marker(config, "claims", "a claim check run by the claims engine")
    try:
        from claims import catalog

        for c in catalog.all_claims():
            for m in c.markers():
                _register_marker(config, m, f"claims with paper key, family or tag {m!r}")
    except Exception as exc:  # surfaced again, as a collection error, by tests/test_catalog.py
        state.notes.append(f"catalog failed to load: {exc}")


def pytest_unconfigure(config):
    if config in _CONFIG:
        _CONFIG.remove(config)


def claim_param(claim):
    """``pytest.param(claim, id=claim.id, marks=[claims, paper key, family, tags])``."""
    marks = [pytest.mark.claims] if _CONFIG else []
    for m in claim.markers():
        if _CONFIG:
            _register_marker(_CONFIG[-1], m, f"claims with paper key, family or tag {m!r}")
        marks.append(getattr(pytest.mark, m))
    return pytest.param(claim, id=claim.id, marks=marks)


def claim_params(claims) -> list:
    """:func:`claim_param` for each claim (for ``@pytest.mark.parametrize("claim", ...)``)."""
    return [claim_param(c) for c in claims]


def catalog_params(paper: str | None = None, family: str | None = None) -> list:
    """One ``pytest.param`` per catalog claim (sorted by id)."""
    from claims import catalog

    return claim_params(catalog.all_claims(paper=paper, family=family))


def _format_failure(result) -> str:
    lines = [f"claim {result.claim_id} [{result.claim.get('paper_key')}, {result.claim.get('ref')}]: "
             f"{result.verdict.upper()}", result.message]
    ce = result.counterexample
    if ce and ce.get("reproduce"):
        if ce["reproduce"] not in result.message:
            lines.append(f"reproduce: {ce['reproduce']}")
    elif ce:
        lines.append(f"reproduce (Python): {ce.get('reproduce_python')}")
    if result.verdict == "error" and result.error:
        lines.append(result.error.rstrip())
    lines.append(f"decision rule: {result.decision_rule}")
    return "\n".join(lines)


@pytest.fixture
def claims_check(request):
    """``claims_check(claim, **overrides) -> ClaimResult`` under the session's --claims-* options.

    Records the result for the terminal summary and the JSON file; fails the test on
    fail/error, skips it on inconclusive (fails with --claims-strict).
    """
    state = request.config.stash[_STATE]

    def run(claim, **overrides):
        from claims import check

        kw = dict(profile=state.profile, device=state.device, dtype=state.dtype, seed=state.seed)
        kw.update(overrides)
        result = check(claim, **kw)
        request.node.user_properties.append((_PROP, result.to_json()))
        if result.verdict in ("fail", "error"):
            pytest.fail(_format_failure(result), pytrace=False)
        if result.verdict == "inconclusive":
            if state.strict:
                pytest.fail(_format_failure(result) + "\n(--claims-strict: inconclusive fails)", pytrace=False)
            pytest.skip(f"claim {result.claim_id} inconclusive: {result.message}")
        return result

    return run


def pytest_collection_modifyitems(config, items):
    state = config.stash.get(_STATE, None)
    if state is None or not state.only:
        return
    keep = [it for it in items if it.get_closest_marker("claims") is not None]
    drop = [it for it in items if it.get_closest_marker("claims") is None]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logreport(report):
    if report.when != "call" or not _CONFIG:
        return
    state = _CONFIG[-1].stash.get(_STATE, None)
    if state is None:
        return
    for key, value in getattr(report, "user_properties", ()):
        if key == _PROP:
            state.results.append(json.loads(value))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    state = config.stash.get(_STATE, None)
    if state is None or hasattr(config, "workerinput"):  # xdist workers: the controller writes
        return
    json_path = state.json_path
    if state.report_path and not json_path:
        json_path = os.path.splitext(state.report_path)[0] + ".json"
    if not json_path:
        return
    from claims import write_results

    complete = int(exitstatus) in (0, 1) and not session.shouldstop and not session.shouldfail
    write_results(json_path, state.results, state.profile, complete=complete)
    state.notes.append(f"claims results JSON: {json_path}")
    if state.report_path:
        if importlib.util.find_spec("claims.report") is not None:
            try:
                from claims.report import render_html

                render_html(json_path, state.report_path)
                state.notes.append(f"claims HTML report: {state.report_path}")
            except Exception as exc:
                state.notes.append(f"claims HTML report failed: {type(exc).__name__}: {exc}")
        else:
            state.notes.append(f"claims.report is not available; no HTML written (JSON at {json_path})")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(_STATE, None)
    if state is None or hasattr(config, "workerinput"):
        return
    if not state.results and not state.notes:
        return
    from claims import ClaimResult

    terminalreporter.write_sep("=", f"claims summary (profile {state.profile}, device {state.device})")
    for d in sorted(state.results, key=lambda d: d["claim_id"]):
        terminalreporter.write_line(ClaimResult.from_dict(d).summary_line())
    for n in state.notes:
        terminalreporter.write_line(n)
