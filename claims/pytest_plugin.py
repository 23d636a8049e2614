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
``--claims-scheduler S``   where each claim's scaling sweep points run: ``inprocess``
                           (default), ``processes[:N]``, ``dask-local[:N]`` or
                           ``tcp://HOST:PORT`` (a Dask scheduler); same numbers on each
``--claims-timeout S``     hard per-claim time limit in seconds (default: the profile's)
``--claims-trial-chunk N`` at most N trials per measure call (0: all at once; default: the profile's)
``--claims-time-report N`` list the N slowest claims in the summary (default 10; 0 = off)
``--claims-autosave``      keep this session's results, if it completed, in the run-history
                           folder as ``NNNN_<commit>_<UTC time>.json`` (``ovpcheck history``
                           lists them; with ``--claims-report`` the page shows each claim's
                           tightness history and flags a margin that shrank by more than 1.5x)
``--claims-storage PATH``  run-history folder (default ``.claims`` under the rootdir)

Robustness: the JSON file is rewritten atomically after every claim (``complete:
false``) and once at the end; an interrupted session leaves it valid and incomplete.
A claim whose check raises or times out is an ``error`` result with its traceback.
With pytest-xdist (``-n 2``) each claim item runs on one worker, the controller
collects every result and writes ONE merged JSON file and report (sorted by id).

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
    def __init__(self, profile, device, dtype, seed, json_path, report_path, strict, only,
                 scheduler=None, timeout=None, time_report=10, trial_chunk=None, decision=None,
                 alpha_suite=None, claim_alpha=None):
        self.profile = profile
        self.device = device
        self.dtype = dtype
        self.seed = seed
        self.json_path = json_path
        self.report_path = report_path
        self.strict = strict
        self.only = only
        self.scheduler = scheduler
        self.timeout = timeout
        self.trial_chunk = trial_chunk
        self.decision = decision
        self.alpha_suite = alpha_suite
        self.claim_alpha = claim_alpha
        self.n_claims = 1          # claim items collected (pytest_collection_finish): the suite's size
        self.time_report = time_report
        self.executor = None
        self._exit = None
        self.results: list[dict] = []
        self.notes: list[str] = []
        self.markers: set[str] = set()

    def profile_obj(self):
        from claims._profiles import with_overrides

        return self.contract()[0]

    def contract(self):
        """``(profile, contract)``: the profile claims run under and the run's statistical contract
        (each of the n collected claims at alpha_suite/n: --claims-alpha, else the profile's 0.01;
        --claims-claim-alpha: each at that level, no suite-level design)."""
        from claims._profiles import with_overrides
        from claims._sequential import suite_contract

        prof = with_overrides(self.profile, timeout=self.timeout, trial_chunk=self.trial_chunk,
                              decision=self.decision, alpha_suite=self.alpha_suite, alpha=self.claim_alpha,
                              prefix="--claims-")
        return suite_contract(prof, self.n_claims)

    def results_extra(self) -> dict:
        return {"run": {"contract": self.contract()[1], "seed": self.seed, "device": self.device,
                        "dtype": self.dtype, "profile": self.profile}}

    def get_executor(self):
        """The scheduler's executor, opened on first use and closed at unconfigure."""
        if self.scheduler in (None, "inprocess", "serial"):
            return None
        if self.executor is None:
            import contextlib

            from claims._executor import open_executor

            stack = contextlib.ExitStack()
            self.executor = stack.enter_context(open_executor(self.scheduler, "--claims-scheduler"))
            self._exit = stack
        return self.executor

    def close(self):
        if self._exit is not None:
            self._exit.close()
            self._exit = None
            self.executor = None

    def json_target(self):
        if self.json_path:
            return self.json_path
        if self.report_path:
            return os.path.splitext(self.report_path)[0] + ".json"
        return None

    def sorted_results(self) -> list[dict]:
        return sorted(self.results, key=lambda d: d["claim_id"])


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
    g.addoption("--claims-scheduler", default=None, metavar="S",
                help="where scaling sweep points run: inprocess (default), processes[:N], dask-local[:N], "
                     "tcp://HOST:PORT")
    g.addoption("--claims-timeout", default=None, type=float, metavar="S",
                help="hard per-claim time limit in seconds (default: the profile's, 10 x its time budget)")
    g.addoption("--claims-trial-chunk", default=None, type=int, metavar="N",
                help="at most N trials per measure call, to bound memory (0: all at once; default: the profile's)")
    g.addoption("--claims-time-report", default=10, type=int, metavar="N",
                help="list the N slowest claims in the terminal summary (0: off)")
    g.addoption("--claims-alpha", default=None, type=float, metavar="A",
                help="suite-level false-fail rate: each of the n collected claims is checked at A/n, so "
                     "P(any true claim fails) <= A by design (default: the profile's alpha_suite, 0.01)")
    g.addoption("--claims-claim-alpha", default=None, type=float, metavar="A",
                help="check every claim at level A instead, with no designed suite-level bound (the union bound "
                     "n x A is stated); contradicts --claims-alpha")
    g.addoption("--claims-decision", default=None, choices=("fixed", "anytime"),
                help="per-example decision rule (default: the profile's; quick and ci: anytime, thorough: fixed): "
                     "anytime (sequential, anytime-valid) or fixed (K trials, exact binomial test)")
    g.addoption("--claims-autosave", action="store_true", default=False,
                help="save this session's claims results, if complete, in the run-history folder (--claims-storage)")
    g.addoption("--claims-storage", default=".claims", metavar="PATH",
                help="run-history folder for --claims-autosave (default .claims; relative to the rootdir)")


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
        raise pytest.UsageError(f"--claims-seed must be a non-negative integer, got {config.getoption('claims_seed')}")
    from claims._executor import SchedulerError, parse_scheduler

    scheduler = config.getoption("claims_scheduler")
    try:
        parse_scheduler(scheduler, "--claims-scheduler")
    except SchedulerError as exc:
        raise pytest.UsageError(str(exc)) from None
    from claims._profiles import with_overrides

    timeout, trial_chunk = config.getoption("claims_timeout"), config.getoption("claims_trial_chunk")
    decision, alpha_suite = config.getoption("claims_decision"), config.getoption("claims_alpha")
    claim_alpha = config.getoption("claims_claim_alpha")
    try:
        with_overrides(profile, timeout=timeout, trial_chunk=trial_chunk, decision=decision, alpha_suite=alpha_suite,
                       alpha=claim_alpha, prefix="--claims-")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    state = _ClaimsSession(profile, device, dtype, config.getoption("claims_seed"),
                           config.getoption("claims_json"), config.getoption("claims_report"),
                           config.getoption("claims_strict"), config.getoption("claims_only"),
                           scheduler=scheduler, timeout=timeout, trial_chunk=trial_chunk,
                           time_report=config.getoption("claims_time_report"), decision=decision,
                           alpha_suite=alpha_suite, claim_alpha=claim_alpha)
    config.stash[_STATE] = state
    _CONFIG.append(config)
    _share_cores_with_xdist_workers(config)
    _register_marker(config, "claims", "a claim check run by the claims engine")
    try:
        from claims import catalog

        for c in catalog.all_claims():
            for m in c.markers():
                _register_marker(config, m, f"claims with paper key, family or tag {m!r}")
    except Exception as exc:  # surfaced again, as a collection error, by tests/test_catalog.py
        state.notes.append(f"catalog failed to load: {exc}")


def xdist_worker_threads(cpus: int, workers: int) -> int:
    """torch intra-op threads for one of ``workers`` xdist workers on ``cpus`` cores: an even share, >= 1."""
    return max(1, int(cpus) // max(1, int(workers)))


def _share_cores_with_xdist_workers(config) -> None:
    """In an xdist worker, give torch its share of the cores unless the user pinned threads.

    Each worker process otherwise starts torch with one thread per core, so ``-n 2`` on 2 cores
    runs 4 busy OpenMP threads; measured on a 2-core machine (tests/test_dnn_forall_search.py):
    16 s serial, 287 s under ``-n 2`` without this, the soft per-claim time budget then cutting
    searches short. ``OMP_NUM_THREADS`` or ``torch.set_num_threads`` set by the user win.
    """
    if not hasattr(config, "workerinput") or os.environ.get("OMP_NUM_THREADS"):
        return
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not workers or not workers.isdigit():
        return
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    import torch

    n = xdist_worker_threads(cpus, int(workers))
    if torch.get_num_threads() > n:
        torch.set_num_threads(n)


def pytest_unconfigure(config):
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()
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
        from claims._runner import check_one

        kw = dict(profile=state.profile_obj(), device=state.device, dtype=state.dtype, seed=state.seed,
                  executor=state.get_executor())
        kw.update(overrides)
        result = check_one(claim, **kw)   # a check that raises is an error result, traceback included
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


def pytest_collection_finish(session):
    """The suite's size: claim items left after selection (-k, -m, --claims-only); xdist
    workers collect the same items, so every process uses the same alpha/n."""
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        state.n_claims = max(1, sum(it.get_closest_marker("claims") is not None for it in session.items))


def pytest_runtest_logreport(report):
    if report.when != "call" or not _CONFIG:
        return
    state = _CONFIG[-1].stash.get(_STATE, None)
    if state is None:
        return
    got = False
    for key, value in getattr(report, "user_properties", ()):
        if key == _PROP:
            state.results.append(json.loads(value))
            got = True
    # incremental: an interrupted session keeps every finished claim (xdist: the controller writes)
    if got and not hasattr(_CONFIG[-1], "workerinput") and state.json_target():
        from claims import write_results

        write_results(state.json_target(), state.sorted_results(), state.profile, complete=False,
                      extra=state.results_extra())


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    state = config.stash.get(_STATE, None)
    if state is None or hasattr(config, "workerinput"):  # xdist workers: the controller writes
        return
    json_path = state.json_target()
    complete = int(exitstatus) in (0, 1) and not session.shouldstop and not session.shouldfail
    storage = None
    if config.getoption("claims_autosave"):
        storage = os.path.join(str(config.rootpath), config.getoption("claims_storage"))
        if not complete or not state.results:
            state.notes.append(f"claims run history: nothing saved to {storage} ("
                               + ("the session did not complete)" if not complete else "no claim ran)"))
            storage = None
        elif not json_path:
            _autosave(state, storage, None)
    if not json_path:
        return
    from claims import write_results

    extra = state.results_extra()
    if not complete:
        extra["interrupted"] = (f"pytest exit status {int(exitstatus)}"
                                + (" (stopped early: -x / --maxfail)" if session.shouldstop or session.shouldfail
                                   else ""))
    write_results(json_path, state.sorted_results(), state.profile, complete=complete, extra=extra)
    state.notes.append(f"claims results JSON: {json_path}")
    if storage and complete:
        _autosave(state, storage, json_path)
    if state.report_path:
        if importlib.util.find_spec("claims.report") is not None:
            try:
                import warnings

                from claims.report import render_html

                with warnings.catch_warnings(record=True) as caught:   # a bad history file: skipped, noted
                    warnings.simplefilter("always")
                    render_html(json_path, state.report_path, history=storage if complete else None)
                state.notes.extend(f"claims HTML report: warning: {w.message}" for w in caught)
                state.notes.append(f"claims HTML report: {state.report_path}")
            except Exception as exc:
                state.notes.append(f"claims HTML report failed: {type(exc).__name__}: {exc}")
        else:
            state.notes.append(f"claims.report is not available; no HTML written (JSON at {json_path})")


def _autosave(state, storage: str, json_path: str | None) -> None:
    from claims import _history

    try:
        saved = (_history.autosave_file(json_path, storage) if json_path else
                 _history.autosave_results(state.sorted_results(), state.profile, storage))
        state.notes.append(f"claims run saved to {saved}")
    except (OSError, ValueError) as exc:
        state.notes.append(f"claims run history: saving failed: {type(exc).__name__}: {exc}")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(_STATE, None)
    if state is None or hasattr(config, "workerinput"):
        return
    if not state.results and not state.notes:
        return
    from claims import ClaimResult

    from claims._sequential import contract_line

    terminalreporter.write_sep("=", f"claims summary (profile {state.profile}, device {state.device})")
    if state.results:
        terminalreporter.write_line(contract_line(state.contract()[1]))
    for d in state.sorted_results():
        terminalreporter.write_line(ClaimResult.from_dict(d).summary_line())
    if state.results and state.time_report > 0:
        from claims._runner import time_report

        total = sum(float(d.get("wall_time_s") or 0) for d in state.results)
        for line in time_report(state.results, top=state.time_report,
                                title=f"where the time went (profile {state.profile}, slowest first; "
                                      f"{total:.1f} s over {len(state.results)} claims)"):
            terminalreporter.write_line(line)
    for n in state.notes:
        terminalreporter.write_line(n)
