"""The CPU stand-in for CUDA's placement rules (claims/devicelint.py): each rule catches what
CUDA would reject, allows what CUDA allows, leaves the numbers alone, and the whole catalog
passes it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import claims
from claims import Bound, Choice, Claim, IntParam, Source, catalog
from claims._engine import run_example
from claims.cli import main
from claims.devicelint import DEV, DeviceLint, lint_claim, lint_points

SRC = Source("synthetic.txt", "Fact 1")


def _mk(measure, regime=(IntParam("n", 1, 4),), **kw):
    return Claim(id="LINT/c", title="lint", source=SRC, statement_tex="x", family="sanity", regime=regime,
                 measure=measure, bound=Bound("upper", lambda p: 1.0, 10.0, provenance="exact"),
                 failure_prob=0.0, **kw)


def _u(ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), device=ctx.device, dtype=ctx.dtype)


def bad_generator(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)            # CUDA gen, CPU draw


def bad_cpu_generator(point, ctx):
    return torch.rand(ctx.trials, generator=torch.Generator(), device=ctx.device, dtype=ctx.dtype)


def bad_mixed(point, ctx):
    return _u(ctx) * 0.5 + torch.zeros(ctx.trials, dtype=ctx.dtype)                    # host [K] + device [K]


def bad_index_values(point, ctx):
    v = _u(ctx)
    v[torch.arange(ctx.trials)] = torch.full((ctx.trials,), 0.25, dtype=ctx.dtype)       # host values
    return v


def bad_numpy(point, ctx):
    return torch.from_numpy(np.sqrt(_u(ctx).numpy())).to(ctx.device)                    # numpy() of a device tensor


def good(point, ctx):
    u = _u(ctx)
    v = u * torch.tensor(0.5, dtype=ctx.dtype)                                            # 0-dim host: a scalar
    v = v[torch.arange(ctx.trials)]                                                       # host index: allowed
    w = torch.zeros(ctx.trials, dtype=ctx.dtype, device=u.device)                         # u.device says cpu:0
    w += v                                                                                # in place keeps its place
    host = torch.randn(ctx.trials, 3, generator=ctx.cpu_generator("mc"), dtype=torch.float64)
    host_np = np.abs(host.numpy()).mean(1)                                                # host work in numpy
    w = w + torch.from_numpy(host_np).to(ctx.device, ctx.dtype) * 0.0
    assert u.device == ctx.device and host.device.type == "cpu"                          # (cpu:0 under the lint)
    return torch.maximum(w, u.cpu().to(ctx.device)) + float(u.sum().item()) * 0.0


@pytest.mark.parametrize("measure,kind,op", [
    (bad_generator, "generator-device", "rand"),
    (bad_cpu_generator, "generator-device", "rand"),
    (bad_mixed, "mixed-devices", "add"),
    (bad_index_values, "mixed-devices", "__setitem__"),
    (bad_numpy, "numpy-of-device-tensor", "numpy"),
])
def test_each_rule_catches_what_cuda_rejects(measure, kind, op):
    found = lint_claim(_mk(measure))
    assert [(v["kind"], v["op"]) for v in found] == [(kind, op)], found
    v = found[0]
    assert v["where"].startswith("tests/test_devicelint.py:") and measure.__name__ not in v["where"]
    assert v["point"] == {"n": 1} and v["code"].strip()                   # the offending line, verbatim


def test_what_cuda_allows_is_not_flagged():
    assert lint_claim(_mk(good)) == []


def test_the_lint_leaves_the_numbers_alone_and_restores_torch():
    c = _mk(good)
    prof = claims.get_profile("quick")
    plain = run_example(c, {"n": 1}, 7, 4, torch.device("cpu"), torch.float64, prof)["values"]
    with DeviceLint():
        linted = run_example(c, {"n": 1}, 7, 4, DEV, torch.float64, prof)["values"]
    assert np.array_equal(plain, linted)                                  # cpu:0 is a real CPU, same streams
    assert torch.Generator is torch._C.Generator
    with pytest.raises(ZeroDivisionError), DeviceLint():
        1 / 0
    assert torch.Generator is torch._C.Generator                          # restored on an error too


def test_points_cover_each_choice_option_and_respect_the_constraint():
    c = _mk(good, regime=(IntParam("n", 1, 4), Choice("act", ("relu", "tanh", "gelu"))),
            constraint=lambda p: p["act"] != "gelu")
    assert lint_points(c) == [{"n": 1, "act": "relu"}, {"n": 1, "act": "tanh"}]


def test_a_measure_that_raises_is_reported_not_hidden():
    def broken(point, ctx):
        raise RuntimeError("boom")
    found = lint_claim(_mk(broken))
    assert [v["kind"] for v in found] == ["error"] and "boom" in found[0]["detail"]


@pytest.mark.parametrize("claim_id", catalog.ids())
def test_every_catalog_claim_would_place_its_tensors_right_on_a_gpu(claim_id):
    found = lint_claim(catalog.get(claim_id))
    assert found == [], "\n".join(f"{v['kind']} {v['op']} at {v['where']}: {v['code']} {v['point']}" for v in found)


def test_cli_exit_status_and_message(tmp_path, capsys):
    f = tmp_path / "mine.py"
    f.write_text("import torch\nfrom claims import Bound, Claim, IntParam, Source\n"
                 "def m(point, ctx):\n"
                 "    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)\n"
                 "c = Claim(id='MINE/x', title='t', source=Source('s.txt', 'L1'), statement_tex='x', family='fc',\n"
                 "          regime=(IntParam('n', 1, 2),), measure=m, failure_prob=0.0,\n"
                 "          bound=Bound('upper', lambda p: 1.0, 2.0, provenance='exact'))\n")
    assert main(["lint-devices", "--claim", f"{f}:c"]) == 1
    out, err = capsys.readouterr()
    assert "MINE/x" in out and "generator-device: rand() at" in out and f"{f}:4" in out
    assert "would fail on a GPU" in err
    assert main(["lint-devices", "-k", "ZCZG/LemB.1"]) == 0
    out, err = capsys.readouterr()
    assert "ZCZG/LemB.1" in out and "ok" in out and "none would fail" in err
