"""Claim values, parameters, profiles and the catalog registry: validation and errors."""

import dataclasses
import math

import pytest
import torch

import claims
from claims import (Bound, Choice, Claim, FloatParam, IntParam, InvalidClaimError, MeasureContext, Profile,
                    Scaling, Source)


def _measure(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def make(**kw):
    base = dict(
        id="TEST/claim", title="a test claim", source=Source("my-paper.txt", "Lemma 1"),
        statement_tex=r"U \le 1", family="sanity", regime=(IntParam("n", 1, 10),), measure=_measure,
        bound=Bound("upper", lambda p: 1.0, 1.0, provenance="exact"),
    )
    base.update(kw)
    return Claim(**base)


def test_valid_claim_and_replace():
    c = make(tags=("sign_change",))
    assert c.paper_key == "my_paper"
    assert c.markers() == ("my_paper", "sanity", "sign_change")
    v = dataclasses.replace(c, id="TEST/claim/v2", failure_prob=0.0)
    assert v.failure_prob == 0.0 and c.failure_prob == 0.05
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.id = "x"


def test_paper_keys_of_seed_papers():
    assert Source("allen-zhu-li-song-dnn-convergence.txt", "Lemma 7.1").paper_key == "azls_dnn"
    assert Source("allen-zhu-li-rnn-generalization-short.txt", "Lemma 5.4").paper_key == "azl_rnn_conf"
    assert Source("zou-cao-zhou-gu-deep-relu-gd.txt", "Lemma 4.1").paper_key == "zczg"


@pytest.mark.parametrize("kw, fragment", [
    (dict(id=""), "Claim.id"),
    (dict(id="has space"), "Claim.id"),
    (dict(title=""), "title"),
    (dict(source=None), "source"),
    (dict(statement_tex=" "), "statement_tex"),
    (dict(family=""), "family"),
    (dict(measure=3), "measure"),
    (dict(failure_prob=1.0), "failure_prob"),
    (dict(failure_prob=-0.1), "failure_prob"),
    (dict(quantifier="forall"), "adversary"),
    (dict(quantifier="sometimes"), "quantifier"),
    (dict(regime=(IntParam("n", 1, 2), FloatParam("n", 1.0, 2.0))), "duplicate"),
    (dict(scalings=(Scaling("omega", 0.5, grid=(1, 2)),)), "scaling parameter 'omega'"),
    (dict(kind="rumour"), "kind"),
    (dict(dtype="float16"), "dtype"),
    (dict(examples=-1), "examples"),
])
def test_invalid_claims_name_the_field(kw, fragment):
    with pytest.raises(InvalidClaimError, match=fragment):
        make(**kw)


@pytest.mark.parametrize("args, fragment", [
    (dict(kind="upper", shape=lambda p: 1.0, constant=0.0, provenance="x"), "constant"),
    (dict(kind="upper", shape=lambda p: 1.0, constant=math.inf, provenance="x"), "constant"),
    (dict(kind="upper", shape=lambda p: 1.0, constant=1.0, provenance=""), "provenance"),
    (dict(kind="sideways", shape=lambda p: 1.0, constant=1.0, provenance="x"), "kind"),
    (dict(kind="two-sided", shape=lambda p: 1.0, constant=1.0, provenance="x"), "lower_constant"),
    (dict(kind="two-sided", shape=lambda p: 1.0, constant=1.0, provenance="x", lower_constant=2.0), "lower_constant"),
    (dict(kind="upper", shape=None, constant=1.0, provenance="x"), "shape"),
])
def test_invalid_bounds(args, fragment):
    with pytest.raises(InvalidClaimError, match=fragment):
        Bound(**args)


def test_invalid_sources_and_params():
    with pytest.raises(InvalidClaimError, match="paper"):
        Source("", "Lemma 1")
    with pytest.raises(InvalidClaimError, match="ref"):
        Source("p.txt", "")
    with pytest.raises(InvalidClaimError, match="low"):
        IntParam("m", 10, 5)
    with pytest.raises(InvalidClaimError, match="log"):
        FloatParam("omega", 0.0, 1.0, log=True)
    with pytest.raises(InvalidClaimError, match="options"):
        Choice("L", ())
    with pytest.raises(InvalidClaimError, match="grid"):
        Scaling("m", 0.5, grid=(4,))


def test_regime_outside_profile_limits_is_a_clear_error():
    c = make(regime=(IntParam("m", 4096, 8192, log=True, limit="width"),))
    with pytest.raises(InvalidClaimError, match=r"TEST/claim.*'m'.*quick.*width limit 512"):
        claims.check(c, profile="quick")


def test_non_positive_bound_shape_is_a_clear_error():
    c = make(bound=Bound("upper", lambda p: p["n"] - 1.0, 1.0, provenance="x"))  # 0 at n = 1
    with pytest.raises(InvalidClaimError, match="shape must be finite and > 0"):
        claims.check(c, profile="quick")


def test_unknown_profile_device_dtype_seed():
    c = make()
    with pytest.raises(ValueError, match="unknown profile"):
        claims.check(c, profile="fast")
    with pytest.raises(ValueError, match="device"):
        claims.check(c, device="tpu")
    with pytest.raises(ValueError, match="dtype"):
        claims.check(c, dtype="float16")
    with pytest.raises(ValueError, match="seed"):
        claims.check(c, seed=-1)


def test_profile_validation_and_builtins():
    assert set(claims.PROFILES) == {"quick", "ci", "thorough"}
    assert claims.PROFILES["ci"].derandomize
    assert claims.PROFILES["ci"].hypothesis_settings().deadline is None
    with pytest.raises(InvalidClaimError, match="limit keys"):
        Profile("p", 1, 1, limits={"height": 3})
    with pytest.raises(InvalidClaimError, match="alpha"):
        Profile("p", 1, 1, alpha=0.0)


def test_measure_context_generators():
    ctx = MeasureContext(trials=4, device=torch.device("cpu"), dtype=torch.float64, seed=7, profile=None)
    a = torch.rand(3, generator=ctx.generator())
    b = torch.rand(3, generator=ctx.generator())
    c = torch.rand(3, generator=ctx.generator(1))
    d = torch.rand(3, generator=ctx.generator(1))
    assert torch.equal(a, b) and torch.equal(c, d) and not torch.equal(a, c)


def test_registry():
    from claims import catalog

    c = make(id="TEST/registry-only")
    try:
        assert catalog.register(c) is c
        assert catalog.register(c) is c  # same object again: fine
        with pytest.raises(ValueError, match="duplicate"):
            catalog.register(make(id="TEST/registry-only", title="other"))
        assert catalog.get("TEST/registry-only") is c
        assert c in catalog.all_claims(paper="my_paper")
        assert c in catalog.all_claims(paper="my-paper.txt", family="sanity")
        assert c not in catalog.all_claims(family="rnn")
        with pytest.raises(KeyError, match="no catalog claim"):
            catalog.get("TEST/registry-onl")
    finally:
        catalog._REGISTRY.pop("TEST/registry-only", None)


def test_public_api_names():
    for name in ["Claim", "Source", "Bound", "Scaling", "IntParam", "FloatParam", "Choice", "Measurement",
                 "MeasureContext", "Profile", "PROFILES", "check", "ClaimResult", "catalog", "register"]:
        assert name in claims.__all__ and hasattr(claims, name)


def test_engine_layers_do_not_import_the_catalog():
    """DESIGN.md's layering: the engine (search -> trials -> statistic -> decision -> result)
    knows claims only through the objects it is given; the catalog marks the claims it
    registers so that reproduce commands can name them by id."""
    import ast
    import pathlib

    import claims

    root = pathlib.Path(claims.__file__).parent
    for name in ("_engine.py", "_sequential.py", "_stats.py", "_profiles.py", "_result.py", "_claim.py"):
        tree = ast.parse((root / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mods = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            assert not any("catalog" in m for m in mods), f"{name} imports {mods}"


def test_catalog_mark_names_claims_by_id_and_variants_by_file():
    import dataclasses

    from claims import catalog
    from claims._engine import _claim_ref

    c = catalog.get("AZLS-DNN/Step2a")
    assert _claim_ref(c) == "'AZLS-DNN/Step2a'"
    variant = dataclasses.replace(c, failure_prob=0.1)   # a false variant is not the catalog claim
    assert _claim_ref(variant) != "'AZLS-DNN/Step2a'"
    assert all(_claim_ref(x) == f"'{x.id}'" for x in catalog.all_claims())
