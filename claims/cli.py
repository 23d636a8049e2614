"""Command line: ``python -m claims`` / ``ovpcheck``.

Subcommands::

    list       [--paper P] [--family F] [-k SUBSTR]           list catalog claims
    run        [--paper P] [--family F] [-k SUBSTR] [--profile quick|ci|thorough]
               [--device cpu] [--dtype float64] [--seed 0] [--json PATH] [--resume]
               [--scheduler inprocess|auto|processes[:N]|dask-local[:N]|tcp://HOST:PORT]
               [--timeout S] [--time-report N] [--claim FILE.py:attr ...]
               [--autosave] [--storage .claims]
               run catalog claims; one line per claim on stderr as it finishes, then
               where the time went (slowest claims first); the results file is
               rewritten atomically after every claim ("complete": false until the
               end); Ctrl-C / SIGTERM leave it valid and incomplete, and --resume
               skips the claims it already holds. Exit 1 if any claim fails or
               errors (with --strict: or is inconclusive), 130 / 143 when
               interrupted by SIGINT / SIGTERM. --autosave
               keeps a completed run's results in .claims/NNNN_<commit>_<time>.json
    history    [-k SUBSTR] [--storage .claims] [--margin-shrink 1.5] [--json]
               per claim, verdict, tightness, margin and fitted exponents across
               the saved runs, oldest first; exit 0 (also when there are none)
    reproduce  CLAIM_ID | --claim path/to/file.py:attr | --claim module:attr
               --point JSON --seed N --trials K [--device] [--dtype] [--profile]
               recompute one example exactly; prints measured values, bound and
               violations as JSON
    report     run, write reports/claims.json (or --json), then the HTML report via
               claims.report.render_html when that module exists; same options as
               run, but --scheduler defaults to auto (claims side by side, one
               process per core, on a multi-core CPU); with --autosave the page
               also shows each claim's history (--margin-shrink F flags a margin
               that shrank by more than F since the previous saved run)
    calibrate  [filters] [--claim FILE.py:attr ...] [--profile ci] [--seeds 20]
               [--seed-start 0] [--json reports/calibration.json]
               [--html reports/calibration.html] [--scheduler ...] [--conf 0.95]
               [--target 0.05]
               run each claim under N base seeds; per-claim fail rate with its
               Clopper-Pearson interval against the designed alpha, and the
               suite-level rate; exit 1 if the suite rate exceeds --target
    new        FILE.py [--force]
               write a commented starter file for your own paper's claims (one
               claim, a false variant, two tests; passes `pytest FILE.py` as is);
               an existing FILE is kept (exit 2) unless --force

``ovpcheck --version`` prints the installed version (``claims.__version__``).
Bad options (unknown profile, device, dtype, claim) print a one-line message and
exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time

__all__ = ["main"]


class _UsageError(Exception):
    pass


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--paper", help="paper file name or key (azls_dnn, zczg, ...)")
    p.add_argument("--family", help="claim family (fc, rnn, ...)")
    p.add_argument("-k", dest="substr",
                   help="only claims whose id contains this substring (comma-separated: any of them)")


def _run_opts(p: argparse.ArgumentParser, seed: bool = True) -> None:
    p.add_argument("--profile", default=None, help="quick, ci or thorough (default: ci if $CI is set, else quick)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default=None, help="float32 or float64 (default: each claim's own)")
    if seed:
        p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scheduler", default=None,
                   help="where claims run: inprocess (default; report: auto), auto (a process per core on a "
                        "multi-core CPU, one torch thread each), processes[:N], dask-local[:N] or tcp://HOST:PORT")
    p.add_argument("--decision", default=None, choices=("fixed", "anytime"),
                   help="per-example decision rule (default: the profile's; quick and ci: anytime, thorough: "
                        "fixed): anytime (batches until an anytime-valid e-value fails or a confidence sequence "
                        "passes) or fixed (K trials, exact binomial test)")
    p.add_argument("--timeout", type=float, default=None,
                   help="hard per-claim time limit in seconds (default: the profile's, 10 x its time budget)")
    _chunk_opt(p)


def _chunk_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trial-chunk", type=int, default=None, metavar="N",
                   help="at most N trials per measure call, to bound memory (0: all at once; default: the "
                        "profile's, thorough 8); the numbers depend on it")


def _robust_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--resume", action="store_true",
                   help="keep the finished claims of an interrupted run's --json file and run only the rest")
    p.add_argument("--time-report", type=int, default=10, metavar="N",
                   help="list the N slowest claims at the end (0: none)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 also when a claim is inconclusive (a gate that must catch what a pass promises "
                        "to rule out: an anytime pass excludes a violation rate of 0.5 and an exponent error of "
                        "1/6 under ci, and a claim wrong by that much fails or is inconclusive)")


def _alpha_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--alpha", type=float, default=None, metavar="A",
                   help="suite-level false-fail rate: each of the N selected claims is checked at A/N, so "
                        "P(any true claim fails) <= A by design (default: the profile's alpha_suite, 0.01)")
    p.add_argument("--claim-alpha", type=float, default=None, metavar="A",
                   help="check every claim at level A instead, with no designed suite-level bound (the union "
                        "bound N x A is stated); contradicts --alpha")


def _history_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--autosave", action="store_true",
                   help="keep a copy of this run's results, if it completes, in the run-history folder "
                        "(NNNN_<commit>_<UTC time>.json; ovpcheck history shows them)")
    p.add_argument("--storage", default=".claims", metavar="PATH",
                   help="run-history folder for --autosave (default .claims)")


def _parser() -> argparse.ArgumentParser:
    from claims import __version__

    ap = argparse.ArgumentParser(prog="ovpcheck", description="Check over-parameterization claims.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("new", help="write a starter file for your own paper's claims",
                       description="Write a commented starter file: one claim (measure, bound, regime, scaling), "
                                   "a deliberately false variant and two pytest tests. It passes `pytest FILE.py` "
                                   "unchanged; docs/engine.md walks through it.")
    p.add_argument("file", metavar="FILE.py", help="the file to write, e.g. my_claims.py")
    p.add_argument("--force", action="store_true", help="overwrite FILE.py if it exists")
    p = sub.add_parser("list", help="list catalog claims")
    _filters(p)
    p = sub.add_parser("run", help="run catalog claims")
    _filters(p)
    _run_opts(p)
    _robust_opts(p)
    _history_opts(p)
    _alpha_opt(p)
    p.add_argument("--claim", action="append", default=[], metavar="FILE.py:ATTR",
                   help="run this user claim (repeatable; replaces the catalog selection)")
    p.add_argument("--json", default=None, help="write the results file here")
    p = sub.add_parser("report", help="run claims, write JSON and HTML report")
    _filters(p)
    _run_opts(p)
    _robust_opts(p)
    _history_opts(p)
    _alpha_opt(p)
    p.add_argument("--claim", action="append", default=[], metavar="FILE.py:ATTR",
                   help="run this user claim (repeatable; replaces the catalog selection)")
    p.add_argument("--margin-shrink", type=float, default=1.5, metavar="F",
                   help="with --autosave: flag in the report a claim whose margin shrank by more than F since the "
                        "previous saved run (default 1.5)")
    p.add_argument("--json", default="reports/claims.json")
    p.add_argument("--html", default="reports/claims.html")
    p.set_defaults(scheduler="auto")
    p = sub.add_parser("calibrate", help="false-fail rates over many base seeds")
    _filters(p)
    _run_opts(p, seed=False)
    p.add_argument("--claim", action="append", default=[], metavar="FILE.py:ATTR",
                   help="calibrate this user claim (repeatable; replaces the catalog selection)")
    p.add_argument("--seeds", type=int, default=20, help="number of base seeds (default 20)")
    p.add_argument("--seed-start", type=int, default=0, help="first base seed (default 0)")
    p.add_argument("--conf", type=float, default=0.95, help="Clopper-Pearson interval level (default 0.95)")
    p.add_argument("--target", type=float, default=0.05, help="suite-level false-fail target (default 0.05)")
    p.add_argument("--json", default="reports/calibration.json")
    p.add_argument("--html", default="reports/calibration.html")
    p.add_argument("--merge-into", default=None, metavar="BASE.json",
                   help="merge this run into an earlier calibration: with the same seeds its runs of the selected "
                        "claims are replaced; with new (disjoint) seeds and the same claims the seeds are added; "
                        "--json / --html get the merged document")
    _alpha_opt(p)
    p = sub.add_parser("lint-devices", help="check on a CPU that claims would run on a GPU (device placement)",
                       description="Run each selected claim's measure once (profile quick, 2 trials) at its "
                                   "regime's low point and each Choice option, on the device cpu:0 standing in "
                                   "for cuda, and report every operation that would fail on CUDA: mixed "
                                   "host/device tensors, a generator on the wrong device, numpy() of a device "
                                   "tensor. Exit status 1 if any. See claims/devicelint.py for what it cannot show.")
    _filters(p)
    p.add_argument("--claim", action="append", default=[], metavar="FILE.py:ATTR",
                   help="lint this user claim (repeatable; replaces the catalog selection)")
    p = sub.add_parser("history", help="verdict, tightness and exponents of each claim across saved runs",
                       description="Per claim, one row per run saved by --autosave (oldest first): the run's "
                                   "counter, time and commit, verdict, tightness, margin and fitted exponents.")
    p.add_argument("-k", dest="substr", help="only claims whose id contains this substring (comma-separated)")
    p.add_argument("--storage", default=".claims", metavar="PATH", help="run-history folder (default .claims)")
    p.add_argument("--margin-shrink", type=float, default=1.5, metavar="F",
                   help="mark a claim whose latest margin shrank by more than F (default 1.5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p = sub.add_parser("reproduce", help="recompute one example exactly")
    p.add_argument("claim_id", nargs="?", help="catalog claim id")
    p.add_argument("--claim", default=None, help="user claim as path/to/file.py:attr or module:attr")
    p.add_argument("--point", required=True, help="the point as JSON, e.g. '{\"m\": 256}'")
    p.add_argument("--seed", type=int, required=True, help="the example seed (from the result)")
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default=None)
    p.add_argument("--profile", default="ci")
    _chunk_opt(p)
    return ap


def _select(args) -> list:
    from claims import catalog

    cl = catalog.all_claims(paper=args.paper, family=args.family)
    if args.substr:
        subs = [x.strip().lower() for x in args.substr.split(",") if x.strip()]
        cl = [c for c in cl if any(x in c.id.lower() for x in subs)]
    return cl


def _validate_run(args):
    from claims._profiles import PROFILES
    from ovpmodel._checks import resolve_device, resolve_dtype

    prof = args.profile or ("ci" if os.environ.get("CI") else "quick")
    if prof not in PROFILES:
        raise _UsageError(f"unknown profile {prof!r}; choose one of {sorted(PROFILES)}")
    try:
        resolve_device(args.device)
        if args.dtype is not None:
            resolve_dtype(args.dtype)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    if getattr(args, "seed", 0) < 0:
        raise _UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    from claims._executor import SchedulerError, parse_scheduler

    try:
        parse_scheduler(args.scheduler, "--scheduler")
    except SchedulerError as exc:
        raise _UsageError(str(exc)) from None
    _profile_obj(args, prof)     # --timeout / --trial-chunk / --decision / --alpha / --claim-alpha
    if getattr(args, "resume", False) and not args.json:
        raise _UsageError("--resume needs the results file to resume from: give --json PATH")
    return prof


def _profile_obj(args, name: str):
    from claims._profiles import with_overrides

    try:
        return with_overrides(name, timeout=getattr(args, "timeout", None),
                              trial_chunk=getattr(args, "trial_chunk", None),
                              decision=getattr(args, "decision", None),
                              alpha_suite=getattr(args, "alpha", None), alpha=getattr(args, "claim_alpha", None))
    except ValueError as exc:
        raise _UsageError(str(exc)) from None


def _load_user_claim(spec: str):
    from claims import Claim

    if ":" not in spec:
        raise _UsageError(f"--claim must be path/to/file.py:attr or module:attr, got {spec!r}")
    where, attr = spec.rsplit(":", 1)
    try:
        if where.endswith(".py") or os.sep in where:
            if not os.path.exists(where):
                raise _UsageError(f"--claim: no such file {where!r}")
            name = "_claims_user_" + os.path.splitext(os.path.basename(where))[0]
            spec_ = importlib.util.spec_from_file_location(name, where)
            mod = importlib.util.module_from_spec(spec_)
            sys.modules[name] = mod
            spec_.loader.exec_module(mod)
        else:
            mod = importlib.import_module(where)
    except _UsageError:
        raise
    except Exception as exc:
        raise _UsageError(f"--claim: cannot import {where!r}: {type(exc).__name__}: {exc}") from None
    obj = getattr(mod, attr, None)
    if not isinstance(obj, Claim):
        raise _UsageError(f"--claim: {where}:{attr} is not a claims.Claim (got {type(obj).__name__})")
    return obj


def _selected_or_user(args) -> list:
    """The ``--claim`` user claims if given, else the catalog selection; never empty."""
    selected = [_load_user_claim(c) for c in args.claim] if args.claim else _select(args)
    if not selected:
        raise _UsageError("no claims selected; check -k / --paper / --family (ovpcheck list shows the catalog)")
    return selected


def _cmd_new(args) -> int:
    from claims._starter import write_starter

    try:
        path = write_starter(args.file, force=args.force)
    except ValueError as exc:   # not a module name
        raise _UsageError(str(exc)) from None
    except OSError as exc:      # exists (StarterExistsError) or cannot be written
        msg = str(exc) if isinstance(exc, FileExistsError) else f"cannot write {args.file}: {exc}"
        raise _UsageError(msg) from None
    print(f"wrote {path}: one claim, a false variant and two tests, to adapt to your paper.\n"
          f"  pytest {path}                     # both tests pass as written (seconds)\n"
          f"  ovpcheck run --claim {path}:NORM  # the claim from the command line\n"
          f"Walkthrough: docs/engine.md (\"The starter file\").")
    return 0


def _cmd_list(args) -> int:
    for c in _select(args):
        print(f"{c.id:<36} {c.paper_key:<13} {c.family:<8} {c.kind:<10} {c.source.ref}  — {c.title}")
    return 0


def _scheduler(args) -> tuple[str | None, int | None]:
    """``--scheduler`` with ``auto`` resolved for ``--device``: ``(spec, torch threads or None)``.

    A local pool of N workers on a CPU device (``processes:N``, ``dask-local:N``) gets
    ``cores // N`` torch threads per worker, as ``auto`` does, unless ``OMP_NUM_THREADS`` is
    set: each worker otherwise inherits one thread per core and N workers oversubscribe the
    cores (measured: the ci catalog on 2 cores with ``processes:2`` and 2 threads each ran
    AZLS-DNN/Thm4 in 76 s, against 7 s on its own)."""
    from claims._executor import local_pool_threads, resolve_auto

    if isinstance(args.scheduler, str) and args.scheduler.strip() == "auto":
        return resolve_auto(args.device)
    if os.environ.get("OMP_NUM_THREADS"):
        return args.scheduler, None
    return args.scheduler, local_pool_threads(args.scheduler, args.device)


def _serial(spec) -> bool:
    return spec is None or spec.strip() in ("inprocess", "serial")


def _cmd_run(args, json_default=None) -> tuple[int, str | None]:
    from claims._executor import open_executor, torch_threads
    from claims._runner import RunInterrupted, handle_sigterm, run_claims, time_report

    prof = _profile_obj(args, _validate_run(args))
    if getattr(args, "margin_shrink", 2.0) <= 1:
        raise _UsageError(f"--margin-shrink must be > 1, got {args.margin_shrink}")
    selected = [_load_user_claim(c) for c in args.claim] if getattr(args, "claim", None) else _select(args)
    json_path = args.json or json_default
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    spec, threads = _scheduler(args)
    t0 = time.perf_counter()
    try:
        with handle_sigterm(), torch_threads(threads), open_executor(spec, "--scheduler") as ex:
            if not _serial(spec):
                say(f"running {len(selected)} claim(s) on {spec}"
                    + (f" ({threads} torch thread(s) per worker)" if threads else ""))
            out = run_claims(selected, prof, device=args.device, dtype=args.dtype, seed=args.seed,
                             json_path=json_path, resume=args.resume,
                             executor=None if _serial(spec) else ex,
                             scheduler=spec, progress=say)
    except RunInterrupted as exc:
        say(f"interrupted by {exc.reason}; finished claims are in {json_path} (rerun with --resume)"
            if json_path else f"interrupted by {exc.reason}")
        return 143, json_path
    except KeyboardInterrupt:
        say(f"interrupted; finished claims are in {json_path} (rerun with --resume)" if json_path else "interrupted")
        return 130, json_path
    except ValueError as exc:  # --resume mismatch, unreadable results file, bad scheduler
        raise _UsageError(str(exc)) from None
    results = out.results
    counts = {v: sum(r.verdict == v for r in results) for v in ("pass", "fail", "inconclusive", "error")}
    if args.time_report > 0:
        for line in time_report(results, top=args.time_report,
                                title=f"where the time went (profile {prof.name}, slowest first; "
                                      f"{sum(r.wall_time_s for r in results):.1f} s over {len(results)} claims"
                                      + (f", {len(out.resumed)} resumed" if out.resumed else "") + ")"):
            say(line)
    from claims._sequential import contract_line, suite_contract

    say(contract_line(suite_contract(prof, max(1, len(selected)))[1]))
    say(f"{len(results)} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items())
        + ("" if out.complete else f" (incomplete: {out.interrupted})")
        + f"; wall time {time.perf_counter() - t0:.1f} s")
    if not out.complete:
        if getattr(args, "autosave", False):
            say(f"--autosave: the run is incomplete; nothing saved to {args.storage}")
        return 1, json_path
    if getattr(args, "autosave", False):
        from claims import _history
        from claims._runner import _run_info

        saved = (_history.autosave_file(json_path, args.storage) if json_path else
                 _history.autosave_results(results, prof.name, args.storage,
                                           extra={"run": _run_info(prof, args.device, args.dtype, args.seed,
                                                                   [c.id for c in selected], spec)}))
        say(f"run saved to {saved} (ovpcheck history --storage {args.storage})")
    if getattr(args, "strict", False) and counts["inconclusive"]:
        say(f"--strict: {counts['inconclusive']} inconclusive claim(s) turn the run red")
        return 1, json_path
    return (1 if out.bad else 0), json_path


def _cmd_history(args) -> int:
    import warnings

    from claims import _history

    if not args.margin_shrink > 1:
        raise _UsageError(f"--margin-shrink must be > 1, got {args.margin_shrink}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", _history.HistoryFileWarning)
        runs = _history.load_history(args.storage)
    for w in caught:   # a bad file in the folder is skipped, named, never fatal
        print(f"ovpcheck history: warning: {w.message}", file=sys.stderr)
    if not runs:
        where = "does not exist" if not os.path.isdir(args.storage) else "holds no saved runs"
        print(f"ovpcheck history: {args.storage} {where}; save runs with `ovpcheck run --autosave`, "
              f"`ovpcheck report --autosave` or `pytest --claims-autosave`", file=sys.stderr)
    if args.json:
        print(json.dumps(_history.history_json(runs, args.substr, args.margin_shrink, args.storage), indent=1))
    elif runs:
        for line in _history.history_lines(runs, args.substr, args.margin_shrink):
            print(line)
    return 0


def _cmd_lint_devices(args) -> int:
    from claims.devicelint import describe, lint_claim

    selected = _selected_or_user(args)
    t0, bad = time.monotonic(), 0
    for i, c in enumerate(selected, 1):
        found = lint_claim(c)
        bad += bool(found)
        print(f"[{i}/{len(selected)}] {c.id:<36} " + ("ok" if not found else f"{len(found)} problem(s)"),
              flush=True)
        for v in found:
            print("    " + describe(v).replace("\n", "\n    "))
    print(f"{len(selected)} claim(s) linted in {time.monotonic() - t0:.1f} s: "
          + ("none would fail on device placement" if not bad else f"{bad} would fail on a GPU"), file=sys.stderr)
    return 1 if bad else 0


def _cmd_calibrate(args) -> int:
    from claims._calibration import calibrate, calibration_lines, render_calibration_html
    from claims._result import atomic_write_json
    from claims._executor import open_executor, torch_threads
    from claims._runner import RunInterrupted, handle_sigterm

    args.resume = False
    prof = _profile_obj(args, _validate_run(args))
    if args.seeds < 1:
        raise _UsageError(f"--seeds must be >= 1 (the number of base seeds), got {args.seeds}")
    if args.seed_start < 0:
        raise _UsageError(f"--seed-start must be >= 0, got {args.seed_start}")
    for name in ("conf", "target"):
        v = getattr(args, name)
        if not 0 < v < 1:
            raise _UsageError(f"--{name} must lie in (0, 1), got {v}")
    selected = _selected_or_user(args)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    base = None
    if args.merge_into:
        from claims._calibration import merge_calibrations, read_calibration

        if os.path.abspath(args.merge_into) == os.path.abspath(args.json):
            raise _UsageError(f"--merge-into {args.merge_into} is also the --json output; write the update to "
                              f"another file (the base must survive an interrupted run)")
        try:
            base = read_calibration(args.merge_into)
        except (OSError, ValueError) as exc:
            raise _UsageError(f"--merge-into {args.merge_into}: {exc}") from None
        if base.get("profile") != prof.name:
            raise _UsageError(f"--merge-into {args.merge_into} was calibrated with profile {base.get('profile')!r}, "
                              f"this run uses {prof.name!r}; pass --profile {base.get('profile')}")
    spec, threads = _scheduler(args)
    try:
        with handle_sigterm(), torch_threads(threads), open_executor(spec, "--scheduler") as ex:
            # the contract of the suite calibrated: with --merge-into, the merged claim set's size
            n_suite = len(set(base["claim_ids"]) | {c.id for c in selected}) if base is not None else None
            doc = calibrate(selected, args.seeds, profile=prof, seed_start=args.seed_start, device=args.device,
                            dtype=args.dtype, executor=None if _serial(spec) else ex,
                            conf=args.conf, target=args.target, json_path=args.json, progress=say,
                            n_suite=n_suite)
    except KeyboardInterrupt as exc:
        say(f"interrupted ({getattr(exc, 'reason', 'KeyboardInterrupt')}); partial calibration in {args.json}")
        return 143 if isinstance(exc, RunInterrupted) else 130
    if base is not None:
        try:
            doc = merge_calibrations(base, doc)
        except ValueError as exc:
            raise _UsageError(f"--merge-into {args.merge_into}: {exc}") from None
        atomic_write_json(args.json, doc)
        say(f"merged into {args.merge_into}'s runs ({len(doc['claim_ids'])} claims)")
    for line in calibration_lines(doc):
        print(line)
    if args.html:
        render_calibration_html(doc, args.html)
        say(f"calibration HTML written to {args.html}")
    say(f"calibration JSON written to {args.json}")
    return 0 if doc["suite"]["meets_target"] else 1


def _cmd_reproduce(args) -> int:
    from claims import catalog, reproduce
    from claims._profiles import PROFILES

    if (args.claim_id is None) == (args.claim is None):
        raise _UsageError("give either a catalog CLAIM_ID or --claim path.py:attr (exactly one)")
    if args.claim is not None:
        claim = _load_user_claim(args.claim)
    else:
        try:
            claim = catalog.get(args.claim_id)
        except KeyError as exc:
            raise _UsageError(str(exc.args[0])) from None
    try:
        point = json.loads(args.point)
    except json.JSONDecodeError as exc:
        raise _UsageError(f"--point is not valid JSON: {exc}") from None
    if not isinstance(point, dict):
        raise _UsageError("--point must be a JSON object of parameter values")
    if args.profile not in PROFILES:
        raise _UsageError(f"unknown profile {args.profile!r}; choose one of {sorted(PROFILES)}")
    if args.trials < 1:
        raise _UsageError(f"--trials must be >= 1 (the K printed in the reproduce command), got {args.trials}")
    if args.seed < 0:
        raise _UsageError(f"--seed must be >= 0 (the example seed printed in the result), got {args.seed}")
    try:
        out = reproduce(claim, point, args.seed, args.trials, device=args.device, dtype=args.dtype,
                        profile=_profile_obj(args, args.profile))
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    print(json.dumps(out, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    if argv is None:   # run as the program (ovpcheck, python -m claims), not called from Python:
        from ovpmodel.linalg import request_huge_pages

        request_huge_pages()   # the application opts in to huge pages before any tensor exists
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "new":
            return _cmd_new(args)
        if args.cmd == "list":
            return _cmd_list(args)
        if args.cmd == "run":
            return _cmd_run(args)[0]
        if args.cmd == "reproduce":
            return _cmd_reproduce(args)
        if args.cmd == "calibrate":
            return _cmd_calibrate(args)
        if args.cmd == "history":
            return _cmd_history(args)
        if args.cmd == "lint-devices":
            return _cmd_lint_devices(args)
        if args.cmd == "report":
            rc, json_path = _cmd_run(args, json_default=args.json)
            if rc in (130, 143):
                return rc
            if importlib.util.find_spec("claims.report") is not None:
                from claims.report import render_html

                import warnings

                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    render_html(json_path, args.html, history=args.storage if args.autosave else None,
                                margin_shrink=args.margin_shrink)
                for w in caught:   # e.g. a bad file in the run history: skipped, named
                    print(f"ovpcheck report: warning: {w.message}", file=sys.stderr)
                print(f"HTML report written to {args.html}", file=sys.stderr)
            else:
                print(f"claims.report is not available; results JSON at {json_path}", file=sys.stderr)
            return rc
    except _UsageError as exc:
        print(f"ovpcheck {args.cmd}: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        from claims.catalog import CatalogImportError

        if not isinstance(exc, CatalogImportError):
            raise
        print(f"ovpcheck {args.cmd}: error: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
