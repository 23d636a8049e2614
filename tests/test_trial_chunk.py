"""Profile.trial_chunk: the K trials of a point in memory-bounded chunks, each with its own
seed, reproducible for a given chunk size (and unchanged when there is one chunk)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

import claims
from claims import Bound, Claim, InvalidClaimError, IntParam, Measurement, Profile, Source, derive_seed
from claims._claim import MeasureContext
from claims._engine import MeasureError, reproduce_command, run_example
from claims.cli import main

SRC = Source("synthetic.txt", "Fact 1")
CALLS: list = []


def recording(point, ctx):
    CALLS.append((ctx.trials, ctx.seed))
    v = torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return Measurement(v, {"twice": 2 * v, "const": 0.5})


def _mk(measure=recording, id="CHUNK/c"):
    return Claim(id=id, title=id, source=SRC, statement_tex="x", family="sanity", regime=(IntParam("n", 1, 4),),
                 measure=measure, bound=Bound("upper", lambda p: 1.0, 1.0, provenance="exact"), failure_prob=0.0)


CHUNKED = _mk()   # importable as tests.test_trial_chunk:CHUNKED for the reproduce command
P = Profile("p", max_examples=2, trials=8)


def test_one_chunk_keeps_the_example_seed_and_numbers():
    c = _mk()
    base = run_example(c, {"n": 1}, 11, 8, torch.device("cpu"), torch.float64, P)
    for chunk in (8, 100):
        CALLS.clear()
        r = run_example(c, {"n": 1}, 11, 8, torch.device("cpu"), torch.float64, dataclasses.replace(P, trial_chunk=chunk))
        assert CALLS == [(8, 11)] and np.array_equal(r["values"], base["values"])


def test_chunks_have_their_own_seeds_and_are_concatenated_in_order():
    c = _mk()
    CALLS.clear()
    r = run_example(c, {"n": 1}, 11, 8, torch.device("cpu"), torch.float64, dataclasses.replace(P, trial_chunk=3))
    seeds = [11] + [derive_seed(11, "chunk", j) for j in (1, 2)]   # chunk 0 keeps the example seed
    assert CALLS == [(3, seeds[0]), (3, seeds[1]), (2, seeds[2])]
    expect = np.concatenate([recording({"n": 1}, MeasureContext(k, torch.device("cpu"), torch.float64, s, P)).values.numpy()
                             for k, s in zip((3, 3, 2), seeds)])
    assert np.array_equal(r["values"], expect) and r["values"].shape == (8,)
    assert np.array_equal(r["extras"]["twice"], 2 * expect)
    assert np.array_equal(r["extras"]["const"], np.full(8, 0.5))           # a scalar extra, per trial
    again = run_example(c, {"n": 1}, 11, 8, torch.device("cpu"), torch.float64, dataclasses.replace(P, trial_chunk=3))
    assert np.array_equal(again["values"], r["values"])                     # reproducible for a chunk size
    assert r["violations"] == int((expect > 1.0).sum())


def test_chunks_must_agree_on_their_extras():
    def flaky(point, ctx):
        v = torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
        return Measurement(v, {"a": v} if ctx.trials == 3 else {"b": v})
    with pytest.raises(MeasureError, match="different extras for different trial chunks"):
        run_example(_mk(flaky), {"n": 1}, 1, 5, torch.device("cpu"), torch.float64,
                    dataclasses.replace(P, trial_chunk=3))


@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_bad_trial_chunk_is_refused_naming_the_field(bad):
    with pytest.raises(InvalidClaimError, match="trial_chunk must be None or an int >= 1"):
        Profile("p", max_examples=1, trials=4, trial_chunk=bad)


def test_profiles_record_it_and_thorough_chunks():
    assert claims.get_profile("thorough").trial_chunk == 8
    assert claims.get_profile("thorough").to_dict()["trial_chunk"] == 8
    assert claims.get_profile("ci").trial_chunk is None


def test_reproduce_command_carries_a_non_default_chunk():
    dev, dt = torch.device("cpu"), torch.float64
    ci = claims.get_profile("ci")
    plain = reproduce_command(CHUNKED, {"n": 1}, 3, 8, dev, dt, ci, ref="m:CHUNKED")
    assert "--trial-chunk" not in plain and plain.endswith("--profile ci")
    # ci's anytime batch is 8 trials, so its chunk must divide 8
    assert reproduce_command(CHUNKED, {"n": 1}, 3, 8, dev, dt, dataclasses.replace(ci, trial_chunk=4),
                             ref="m:CHUNKED").endswith("--profile ci --trial-chunk 4")
    th = claims.get_profile("thorough")
    assert "--trial-chunk" not in reproduce_command(CHUNKED, {"n": 1}, 3, 8, dev, dt, th, ref="m:CHUNKED")
    assert reproduce_command(CHUNKED, {"n": 1}, 3, 8, dev, dt, dataclasses.replace(th, trial_chunk=None),
                             ref="m:CHUNKED").endswith("--trial-chunk 0")


def test_cli_reproduce_with_a_chunk_gives_the_checked_numbers(capsys):
    prof = dataclasses.replace(claims.get_profile("ci"), trial_chunk=4)
    r = run_example(CHUNKED, {"n": 2}, 5, 8, torch.device("cpu"), torch.float64, prof)
    assert main(["reproduce", "--claim", "tests.test_trial_chunk:CHUNKED", "--point", '{"n": 2}', "--seed", "5",
                 "--trials", "8", "--profile", "ci", "--trial-chunk", "4"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["values"] == r["values"].tolist()
    assert main(["reproduce", "--claim", "tests.test_trial_chunk:CHUNKED", "--point", '{"n": 2}', "--seed", "5",
                 "--trials", "8", "--profile", "ci"]) == 0
    assert json.loads(capsys.readouterr().out)["values"] != r["values"].tolist()   # the chunk size matters


def test_cli_refuses_a_negative_chunk(capsys):
    assert main(["run", "-k", "ZCZG/LemB.1", "--trial-chunk", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--trial-chunk must be >= 1" in err and "or 0 (all at once)" in err


def test_resume_with_another_chunk_size_is_refused(tmp_path):
    from claims._runner import run_claims

    path = str(tmp_path / "r.json")
    prof = dataclasses.replace(P, trial_chunk=3)
    run_claims([_mk(id="CHUNK/a")], prof, json_path=path)
    with pytest.raises(ValueError, match=r"trial-chunk=3 but this run has trial-chunk=None.*--trial-chunk"):
        run_claims([_mk(id="CHUNK/a"), _mk(id="CHUNK/b")], P, json_path=path, resume=True)
    out = run_claims([_mk(id="CHUNK/a"), _mk(id="CHUNK/b")], prof, json_path=path, resume=True)
    assert out.resumed == ["CHUNK/a"] and out.complete
