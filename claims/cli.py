"""Command line: ``python -m claims`` / ``ovpcheck``.

Subcommands::

    list       [--paper P] [--family F] [-k SUBSTR]           list catalog claims
    run        [--paper P] [--family F] [-k SUBSTR] [--profile quick|ci|thorough]
               [--device cpu] [--dtype float64] [--seed 0] [--json PATH]
               run catalog claims; one line per claim on stderr as it finishes;
               exit 1 if any claim fails or errors
    reproduce  CLAIM_ID | --claim path/to/file.py:attr | --claim module:attr
               --point JSON --seed N --trials K [--device] [--dtype] [--profile]
               recompute one example exactly; prints measured values, bound and
               violations as JSON
    report     run, write reports/claims.json (or --json), then the HTML report via
               claims.report.render_html when that module exists

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
    p.add_argument("-k", dest="substr", help="only claims whose id contains this substring")


def _run_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default=None, help="quick, ci or thorough (default: ci if $CI is set, else quick)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default=None, help="float32 or float64 (default: each claim's own)")
    p.add_argument("--seed", type=int, default=0)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ovpcheck", description="Check over-parameterization claims.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list", help="list catalog claims")
    _filters(p)
    p = sub.add_parser("run", help="run catalog claims")
    _filters(p)
    _run_opts(p)
    p.add_argument("--json", default=None, help="write the results file here")
    p = sub.add_parser("report", help="run claims, write JSON and HTML report")
    _filters(p)
    _run_opts(p)
    p.add_argument("--json", default="reports/claims.json")
    p.add_argument("--html", default="reports/claims.html")
    p = sub.add_parser("reproduce", help="recompute one example exactly")
    p.add_argument("claim_id", nargs="?", help="catalog claim id")
    p.add_argument("--claim", default=None, help="user claim as path/to/file.py:attr or module:attr")
    p.add_argument("--point", required=True, help="the point as JSON, e.g. '{\"m\": 256}'")
    p.add_argument("--seed", type=int, required=True, help="the example seed (from the result)")
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default=None)
    p.add_argument("--profile", default="ci")
    return ap


def _select(args) -> list:
    from claims import catalog

    cl = catalog.all_claims(paper=args.paper, family=args.family)
    if args.substr:
        cl = [c for c in cl if args.substr.lower() in c.id.lower()]
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
    if args.seed < 0:
        raise _UsageError("--seed must be a non-negative integer")
    return prof


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


def _cmd_list(args) -> int:
    for c in _select(args):
        print(f"{c.id:<36} {c.paper_key:<13} {c.family:<8} {c.kind:<10} {c.source.ref}  — {c.title}")
    return 0


def _cmd_run(args, json_default=None) -> tuple[int, str | None]:
    from claims import check, write_results

    prof = _validate_run(args)
    selected = _select(args)
    results, bad = [], 0
    json_path = args.json or json_default
    complete = False
    n = len(selected)
    t_start = time.perf_counter()
    try:
        for i, c in enumerate(selected, 1):
            print(f"[{i}/{n}] {c.id} ... ({time.perf_counter() - t_start:.0f} s elapsed)",
                  file=sys.stderr, flush=True)
            r = check(c, profile=prof, device=args.device, dtype=args.dtype, seed=args.seed)
            results.append(r)
            if json_path:   # incremental and atomic: an interrupted run keeps every finished claim
                write_results(json_path, results, prof, complete=False)
            print("    " + r.summary_line(), file=sys.stderr, flush=True)
            if r.verdict in ("fail", "error"):
                bad += 1
                print(f"    {r.message}", file=sys.stderr, flush=True)
        complete = True
    finally:
        if json_path:
            write_results(json_path, results, prof, complete=complete)
            print(f"results written to {json_path}", file=sys.stderr)
    counts = {v: sum(r.verdict == v for r in results) for v in ("pass", "fail", "inconclusive", "error")}
    print(f"{len(results)} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items()), file=sys.stderr)
    return (1 if bad else 0), json_path


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
    if args.trials < 1 or args.seed < 0:
        raise _UsageError("--trials must be >= 1 and --seed >= 0")
    try:
        out = reproduce(claim, point, args.seed, args.trials, device=args.device, dtype=args.dtype,
                        profile=args.profile)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    print(json.dumps(out, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "list":
            return _cmd_list(args)
        if args.cmd == "run":
            return _cmd_run(args)[0]
        if args.cmd == "reproduce":
            return _cmd_reproduce(args)
        if args.cmd == "report":
            rc, json_path = _cmd_run(args, json_default=args.json)
            if importlib.util.find_spec("claims.report") is not None:
                from claims.report import render_html

                render_html(json_path, args.html)
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
