"""Bad input everywhere: one table, every public surface (ovpmodel, claims API, CLI,
pytest options, results files, user claims and measures).

Each row says how the bad input is delivered and what must come back: a clear
message that names the parameter and the fix (both as fragments), never a bare
traceback and never a pass. Rows are checked by one of four drivers:

* ``raises``  — a Python call raises ``ValueError``/``TypeError`` (``InvalidClaimError``,
  ``ResultsFileError``, ``SchedulerError`` are ValueErrors) with the fragments;
* ``verdict`` — ``claims.check`` returns verdict ``error`` (never ``pass``) with the
  fragments in its message;
* ``cli``     — ``ovpcheck ...`` (``claims.cli.main``, in-process) exits 2 with the
  fragments on stderr and no "Traceback";
* ``pytest``  — a pytest run with a bad ``--claims-*`` option ends with a usage error
  (exit 4) carrying the fragments, no "Traceback".
"""

from __future__ import annotations

import json
import math

import pytest
import torch

import claims
import ovpmodel
from claims import Bound, Claim, FloatParam, IntParam, Measurement, Profile, Source
from claims._executor import open_executor
from ovpmodel import data, perturb

pytest_plugins = ["pytester"]

HAS_CUDA = torch.cuda.is_available()
SRC = Source("user-notes.txt", "Lemma 1")
FAST = Profile("fast", max_examples=2, trials=8, limits={"width": 64})
STEP2A = "AZLS-DNN/Step2a"                       # regime m in [256, 1024], L in [1, 3], omega in [0.003, 0.05], d = 4
GOOD_POINT = {"m": 256, "L": 1, "omega": 0.01, "d": 4}


def uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def user_claim(measure=uniform, shape=lambda p: 1.0, constant=1.0, **kw):
    return Claim(id="USER/bad", title="user claim", source=SRC, statement_tex="x", family="toy",
                 regime=kw.pop("regime", (IntParam("n", 1, 8),)), measure=measure,
                 bound=Bound("upper", shape, constant, provenance="user"), failure_prob=0.0, **kw)


def _results_file(tmp_path, text):
    p = tmp_path / "results.json"
    p.write_text(text)
    return str(p)


def _doc(**over):
    d = {"schema": "ovpcheck-results", "version": 1, "created": "2026-01-01T00:00:00+00:00", "profile": "quick",
         "complete": True, "results": []}
    d.update(over)
    return json.dumps(d)


cuda_only_if_absent = pytest.mark.skipif(HAS_CUDA, reason="a GPU is present: CUDA is not a bad input here")

# (id, driver, thunk or args, fragments that must appear: parameter ... fix)
CASES = [
    # --- ovpmodel: networks and data -------------------------------------------------------
    ("fc-width-zero", "raises", lambda t: ovpmodel.FCNet(0, 2, 4, seed=0), ["m must be", ">= 1", "got 0"]),
    ("fc-width-negative", "raises", lambda t: ovpmodel.FCNet(-3, 2, 4, seed=0), ["m must be", ">= 1", "got -3"]),
    ("fc-depth-zero", "raises", lambda t: ovpmodel.FCNet(8, 0, 4, seed=0), ["L must be", ">= 1"]),
    ("fc-trials-zero", "raises", lambda t: ovpmodel.FCNet(8, 2, 4, trials=0, seed=0), ["trials must be", ">= 1"]),
    ("zczg-width-zero", "raises", lambda t: ovpmodel.ZCZGNet((8, 0), 4, seed=0), ["widths[1]", ">= 1"]),
    ("zczg-widths-unbalanced", "raises", lambda t: ovpmodel.ZCZGNet((8, 32), 4, seed=0),
     ["widths", "max m_l <= 2 min m_l"]),
    ("rnn-width-zero", "raises", lambda t: ovpmodel.ElmanRNN(0, 3, 3, seed=0), ["m must be", ">= 1"]),
    ("net-unknown-device", "raises", lambda t: ovpmodel.FCNet(8, 2, 4, seed=0, device="tpu"),
     ["device", "'cpu', 'cuda' or 'cuda:N'", "'tpu'"]),
    ("net-unknown-dtype", "raises", lambda t: ovpmodel.FCNet(8, 2, 4, seed=0, dtype="float16"),
     ["dtype", "'float32', 'float64'"]),
    pytest.param("net-cuda-without-gpu", "raises", lambda t: ovpmodel.FCNet(8, 2, 4, seed=0, device="cuda"),
                 ["device 'cuda'", "use device='cpu'"], marks=cuda_only_if_absent),
    ("delta-impossible-for-n-d", "raises", lambda t: data.fc_inputs(50, 3, delta=1.9, seed=0),
     ["delta=1.9 too large for n=50, d=3", "at most"]),
    ("delta-negative", "raises", lambda t: data.fc_inputs(4, 8, delta=-0.1, seed=0), ["delta must lie in (0"]),
    ("data-d-too-small", "raises", lambda t: data.fc_inputs(4, 1, seed=0), ["d must be >= 2"]),
    ("rnn-delta-above-one", "raises", lambda t: data.rnn_sequences(4, 5, 3, delta=5.0, seed=0),
     ["delta must lie in (0, 1]"]),
    ("omega-negative", "raises", lambda t: perturb.random_spectral((4, 4), -1.0, generator=torch.Generator()),
     ["omega must lie in (0"]),
    ("omega-nan", "raises", lambda t: perturb.random_spectral((4, 4), math.nan, generator=torch.Generator()),
     ["omega must be finite"]),
    # --- claims API ----------------------------------------------------------------------------
    ("check-unknown-profile", "raises", lambda t: claims.check(user_claim(), profile="nope"),
     ["unknown profile 'nope'", "choose one of", "claims.Profile"]),
    ("check-unknown-device", "raises", lambda t: claims.check(user_claim(), profile=FAST, device="tpu"),
     ["device must be", "'tpu'"]),
    ("check-unknown-dtype", "raises", lambda t: claims.check(user_claim(), profile=FAST, dtype="int8"),
     ["dtype must be one of", "'int8'"]),
    pytest.param("check-cuda-without-gpu", "raises", lambda t: claims.check(user_claim(), profile=FAST, device="cuda"),
                 ["device 'cuda' requested", "install a CUDA build"], marks=cuda_only_if_absent),
    ("check-negative-seed", "raises", lambda t: claims.check(user_claim(), profile=FAST, seed=-1),
     ["seed must be a non-negative integer", "-1"]),
    ("check-not-a-claim", "raises", lambda t: claims.check("AZLS-DNN/Step2a"), ["check() expects a claims.Claim"]),
    ("bound-constant-inf", "raises", lambda t: user_claim(constant=math.inf),
     ["Bound.constant must be finite and > 0", "inf"]),
    ("bound-constant-nan", "raises", lambda t: user_claim(constant=math.nan), ["Bound.constant must be finite"]),
    ("bound-shape-nan-at-low-corner", "raises", lambda t: claims.check(user_claim(shape=lambda p: math.nan), FAST),
     ["Claim 'USER/bad'", "Bound.shape must be finite and > 0", "nan", "'n': 1"]),
    ("regime-above-profile-cap", "raises",
     lambda t: claims.check(user_claim(regime=(IntParam("m", 100, 200, limit="width"),)), FAST),
     ["parameter 'm'", "limit 64", "use a larger profile"]),
    ("claim-failure-prob-out-of-range", "raises", lambda t: Claim(id="U/fp", title="t", source=SRC, statement_tex="x", family="toy", regime=(IntParam("n", 1, 2),),
           measure=uniform, bound=Bound("upper", lambda p: 1.0, 1.0, provenance="u"), failure_prob=1.5),
     ["failure_prob must lie in [0, 1)", "1.5"]),
    ("param-low-above-high", "raises", lambda t: IntParam("m", 10, 5), ["IntParam 'm'", "low=10 > high=5"]),
    ("param-nonfinite-range", "raises", lambda t: FloatParam("omega", 0.0, math.inf),
     ["FloatParam 'omega'", "need finite low <= high"]),
    ("profile-zero-trials", "raises", lambda t: Profile("p", max_examples=1, trials=0),
     ["trials must be an int >= 1", "got 0"]),
    ("profile-zero-trial-chunk", "raises", lambda t: Profile("p", max_examples=1, trials=4, trial_chunk=0),
     ["trial_chunk must be None or an int >= 1"]),
    ("profile-negative-timeout", "raises", lambda t: Profile("p", max_examples=1, trials=1, timeout_s=-1.0),
     ["timeout_s must be None or a finite number > 0"]),
    ("reproduce-omega-outside-regime", "raises",
     lambda t: claims.reproduce(claims.catalog.get(STEP2A), dict(GOOD_POINT, omega=0.5), 1, 2),
     ["parameter 'omega'=0.5 lies outside the claim's regime [0.003, 0.05]", "choose a value in range"]),
    ("reproduce-width-negative", "raises",
     lambda t: claims.reproduce(claims.catalog.get(STEP2A), dict(GOOD_POINT, m=-8), 1, 2),
     ["parameter 'm'=-8 lies outside", "[256, 1024]"]),
    ("reproduce-depth-zero", "raises",
     lambda t: claims.reproduce(claims.catalog.get(STEP2A), dict(GOOD_POINT, L=0), 1, 2),
     ["parameter 'L'=0 lies outside", "[1, 3]"]),
    ("reproduce-unknown-parameter", "raises",
     lambda t: claims.reproduce(claims.catalog.get(STEP2A), dict(GOOD_POINT, width=3), 1, 2),
     ["unknown parameters ['width']", "give exactly the regime's parameters"]),
    ("reproduce-zero-trials", "raises", lambda t: claims.reproduce(user_claim(), {"n": 1}, 1, 0),
     ["trials must be an int >= 1", "got 0"]),
    ("sweep-choice-not-an-option", "raises",
     lambda t: claims.sweep(claims.catalog.get(STEP2A), [dict(GOOD_POINT, d=5)], profile="quick"),
     ["parameter 'd'=5 is not one of its options [4]", "choose one of them"]),
    ("scheduler-unknown", "raises", lambda t: open_executor("yarn://x").__enter__(),
     ["scheduler: unknown scheduler 'yarn://x'", "tcp://host:port"]),
    ("scheduler-bad-address", "raises", lambda t: open_executor("tcp://nohostport").__enter__(),
     ["is not a scheduler address", "tcp://HOST:PORT"]),
    ("calibrate-zero-seeds", "raises", lambda t: claims.calibrate([user_claim()], 0, profile=FAST),
     ["--seeds must be >= 1"]),
    ("results-malformed-json", "raises", lambda t: claims.read_results(_results_file(t, '{"schema": "ovp')),
     ["is not valid JSON", "regenerate it with `ovpcheck run --json PATH`"]),
    ("results-future-version", "raises", lambda t: claims.read_results(_results_file(t, _doc(version=2))),
     ["results version 2 was written by a newer ovpcheck", "upgrade ovpcheck"]),
    ("results-other-schema", "raises", lambda t: claims.read_results(_results_file(t, _doc(schema="pytest-bench"))),
     ["not an ovpcheck-results file", "schema='pytest-bench'"]),
    ("results-not-a-list", "raises", lambda t: claims.read_results(_results_file(t, _doc(results={"a": 1}))),
     ["field 'results' must be a list", "regenerate"]),
    ("results-entry-missing-fields", "raises",
     lambda t: claims.read_results(_results_file(t, _doc(results=[{"claim_id": "X"}]))),
     ["results[0] lacks fields", "'verdict'", "regenerate"]),
    ("results-missing-file", "raises", lambda t: claims.read_results(str(t / "nope.json")),
     ["does not exist", "check the path"]),
    # --- user measures: verdict error, never pass ----------------------------------------------
    ("measure-wrong-shape", "verdict", lambda t: user_claim(measure=lambda p, c: torch.zeros(c.trials, 3)),
     ["measure values must have shape [K]=(8,)", "got (8, 3)"]),
    ("measure-returns-nan", "verdict", lambda t: user_claim(measure=lambda p, c: torch.full((c.trials,), math.nan)),
     ["measure returned non-finite values (NaN/inf) in 8 of 8 trials", "at point"]),
    ("measure-extras-wrong-shape", "verdict",
     lambda t: user_claim(measure=lambda p, c: Measurement(torch.zeros(c.trials), {"q": torch.zeros(2)})),
     ["measure extras['q'] must have shape [K]=(8,)"]),
    ("measure-raises", "verdict", lambda t: user_claim(measure=lambda p, c: [][1]),
     ["measure raised IndexError", "at point"]),
    ("bound-shape-nan-inside-regime", "verdict",
     lambda t: user_claim(shape=lambda p: 1.0 if p["n"] == 1 else math.nan, regime=(IntParam("n", 1, 8),)),
     ["Bound.shape must be finite and > 0, got nan"]),
    # --- CLI --------------------------------------------------------------------------------------
    ("cli-unknown-profile", "cli", ["run", "--profile", "nope"], ["unknown profile 'nope'", "choose one of"]),
    pytest.param("cli-cuda-without-gpu", "cli", ["run", "--device", "cuda"], ["device 'cuda'", "use device='cpu'"],
                 marks=cuda_only_if_absent),
    ("cli-unknown-dtype", "cli", ["run", "--dtype", "float16"], ["dtype must be one of", "'float16'"]),
    ("cli-negative-seed", "cli", ["run", "--seed", "-1"], ["--seed must be a non-negative integer"]),
    ("cli-bad-scheduler", "cli", ["run", "--scheduler", "threads"], ["--scheduler: unknown scheduler 'threads'",
                                                                      "processes[:N]"]),
    ("cli-resume-without-json", "cli", ["run", "--resume"], ["--resume needs the results file", "--json PATH"]),
    ("cli-negative-timeout", "cli", ["run", "--timeout", "-5"], ["--timeout must be a positive number"]),
    ("cli-negative-trial-chunk", "cli", ["run", "--trial-chunk", "-3"], ["--trial-chunk must be >= 1", "0 (all at once)"]),
    ("cli-resume-malformed-json", "cli", lambda t: ["run", "-k", "no-such-claim", "--resume", "--json",
                                                    _results_file(t, "{not json")],
     ["is not valid JSON", "regenerate it"]),
    ("cli-resume-future-version", "cli", lambda t: ["run", "-k", "no-such-claim", "--resume", "--json",
                                                    _results_file(t, _doc(version=7))],
     ["written by a newer ovpcheck", "upgrade ovpcheck"]),
    ("cli-reproduce-width-outside-regime", "cli",
     ["reproduce", STEP2A, "--point", json.dumps(dict(GOOD_POINT, m=0)), "--seed", "1", "--trials", "2"],
     ["parameter 'm'=0 lies outside the claim's regime [256, 1024]", "choose a value in range"]),
    ("cli-reproduce-zero-trials", "cli", ["reproduce", STEP2A, "--point", "{}", "--seed", "1", "--trials", "0"],
     ["--trials must be >= 1"]),
    ("cli-calibrate-zero-seeds", "cli", ["calibrate", "-k", STEP2A, "--seeds", "0"], ["--seeds must be >= 1"]),
    ("cli-calibrate-bad-target", "cli", ["calibrate", "-k", STEP2A, "--target", "5"], ["--target must lie in (0, 1)"]),
    # --- pytest options ---------------------------------------------------------------------------
    ("pytest-unknown-profile", "pytest", ["--claims-profile", "nope"], ["unknown profile 'nope'", "choose one of"]),
    ("pytest-unknown-device", "pytest", ["--claims-device", "tpu"], ["device must be 'cpu', 'cuda' or 'cuda:N'"]),
    pytest.param("pytest-cuda-without-gpu", "pytest", ["--claims-device", "cuda"],
                 ["device 'cuda' requested", "use device='cpu'"], marks=cuda_only_if_absent),
    ("pytest-unknown-dtype", "pytest", ["--claims-dtype", "float16"], ["dtype must be one of"]),
    ("pytest-negative-trial-chunk", "pytest", ["--claims-trial-chunk", "-1"],
     ["--claims-trial-chunk must be >= 1", "0 (all at once)"]),
    ("pytest-negative-seed", "pytest", ["--claims-seed", "-1"], ["--claims-seed must be a non-negative integer"]),
    ("pytest-bad-scheduler", "pytest", ["--claims-scheduler", "tcp://x"],
     ["--claims-scheduler: 'tcp://x' is not a scheduler address", "tcp://HOST:PORT"]),
    ("pytest-zero-timeout", "pytest", ["--claims-timeout", "0"], ["--claims-timeout must be a positive number"]),
]


def _ids(c):
    return c.values[0] if hasattr(c, "values") else c[0]


def test_table_has_at_least_30_cases():
    assert len(CASES) >= 30
    assert len({_ids(c) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name, driver, what, fragments", CASES, ids=[_ids(c) for c in CASES])
def test_bad_input(name, driver, what, fragments, tmp_path, capsys, request):
    if driver == "raises":
        with pytest.raises((ValueError, TypeError)) as info:
            what(tmp_path)
        text = str(info.value)
    elif driver == "verdict":
        r = claims.check(what(tmp_path), profile=FAST)
        assert r.verdict == "error", (r.verdict, r.message)     # never a pass
        assert r.error, "an error verdict carries its traceback or message"
        text = r.message
    elif driver == "cli":
        from claims.cli import main

        argv = what(tmp_path) if callable(what) else what
        assert main(list(argv)) == 2, argv
        cap = capsys.readouterr()
        text = cap.err
        assert text.startswith(f"ovpcheck {argv[0]}: error: "), text
    else:
        pt = request.getfixturevalue("pytester")
        pt.makepyfile(test_x="def test_x():\n    pass\n")
        res = pt.runpytest(*what)
        assert res.ret == pytest.ExitCode.USAGE_ERROR, res.ret
        text = res.stderr.str()
    assert "Traceback" not in text, text
    for frag in fragments:
        assert frag in text, f"{frag!r} not in message: {text}"
