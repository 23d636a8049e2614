"""The claims pytest plugin, driven through pytester (in-process runs)."""

import json

import pytest

import claims

pytest_plugins = ["pytester"]

USER_FILE = '''
import pytest, torch, claims
from claims.pytest_plugin import claim_params

def uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)

def mk(id, constant, failure_prob, **kw):
    return claims.Claim(id=id, title=id, source=claims.Source("user-paper.txt", "Lemma 2"), statement_tex="U <= c",
                        family="toy", regime=(claims.IntParam("n", 1, 50),), measure=uniform,
                        bound=claims.Bound("upper", lambda p: 1.0, constant, provenance="exact"),
                        failure_prob=failure_prob, **kw)

GOOD = mk("USER/good", 1.0, 0.0, tags=("sign_change",))
BAD = mk("USER/bad", 0.5, 0.0)
INC = mk("USER/weak", 1.0, 0.6, examples=1)   # allows more violations than the profile can detect (0.5)

@pytest.mark.parametrize("claim", claim_params([GOOD, BAD, INC]))
def test_user(claim, claims_check):
    claims_check(claim)
'''


@pytest.fixture
def user(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_user=USER_FILE)
    return pytester


def test_verdicts_map_to_outcomes_json_and_summary(user):
    res = user.runpytest("--claims-json", "out.json", "--strict-markers", "-ra")
    res.assert_outcomes(passed=1, failed=1, skipped=1)
    out = res.stdout.str()
    assert "claims summary (profile quick, device cpu)" in out
    assert "PASS" in out and "FAIL" in out and "INCONCLUSIVE" in out and "tightness=" in out
    assert "test_user[USER/bad]" in out
    assert "reproduce: python -m claims reproduce --claim test_user.py:BAD" in out
    assert "SKIPPED" in out and "inconclusive" in out
    doc = json.loads((user.path / "out.json").read_text())
    assert doc["schema"] == "ovpcheck-results" and doc["version"] == 1 and doc["profile"] == "quick"
    assert doc["complete"] is True
    assert sorted(r["claim_id"] for r in doc["results"]) == ["USER/bad", "USER/good", "USER/weak"]


def test_markers_and_keyword_selection(user):
    res = user.runpytest("--strict-markers", "-m", "sign_change")
    res.assert_outcomes(passed=1, deselected=2)
    res = user.runpytest("--strict-markers", "-m", "user_paper and toy", "-k", "bad")
    res.assert_outcomes(failed=1, deselected=2)


def test_strict_makes_inconclusive_fail_and_options(user):
    res = user.runpytest("--claims-strict", "-k", "weak", "--claims-seed", "3", "--claims-dtype", "float32")
    res.assert_outcomes(failed=1, deselected=2)
    assert "--claims-strict" in res.stdout.str()


def test_ci_env_selects_ci_profile(user, monkeypatch):
    monkeypatch.setenv("CI", "true")
    res = user.runpytest("-k", "good")
    res.assert_outcomes(passed=1, deselected=2)
    assert "claims summary (profile ci" in res.stdout.str()


@pytest.mark.parametrize("opt, fragment", [
    (("--claims-profile", "nope"), "unknown profile"),
    (("--claims-device", "tpu"), "device"),
    (("--claims-dtype", "int8"), "dtype"),
])
def test_bad_options_are_usage_errors(user, opt, fragment):
    res = user.runpytest(*opt)
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert fragment in res.stderr.str()


def test_claims_only_deselects_other_tests(user):
    user.makepyfile(test_other="def test_plain():\n    pass\n")
    res = user.runpytest("--claims-only", "-k", "good or plain")
    res.assert_outcomes(passed=1, deselected=3)


def test_report_option_writes_json_beside_html(user):
    res = user.runpytest("-k", "good", "--claims-report", "rep/claims.html")
    res.assert_outcomes(passed=1, deselected=2)
    assert (user.path / "rep" / "claims.json").exists()


def test_catalog_claims_are_items_with_paper_markers(pytester, monkeypatch):
    from claims import catalog

    monkeypatch.delenv("CI", raising=False)
    c = claims.Claim(id="TESTCAT/item", title="t", source=claims.Source("allen-zhu-li-song-rnn-convergence.txt",
                                                                         "Lemma 0"),
                     statement_tex="x", family="rnn", regime=(claims.IntParam("n", 1, 4),),
                     measure=lambda p, ctx: __import__("torch").zeros(ctx.trials),
                     bound=claims.Bound("upper", lambda p: 1.0, 1.0, provenance="exact"), failure_prob=0.0)
    catalog.register(c)
    try:
        pytester.makepyfile(test_cat="""
            import pytest
            from claims.pytest_plugin import catalog_params

            @pytest.mark.parametrize("claim", catalog_params(paper="azls_rnn"))
            def test_claim(claim, claims_check):
                claims_check(claim)
        """)
        res = pytester.runpytest("--strict-markers", "-m", "azls_rnn and rnn", "-k", "TESTCAT", "-v")
        res.assert_outcomes(passed=1)
        assert "test_claim[TESTCAT/item] PASSED" in res.stdout.str()
    finally:
        catalog._REGISTRY.pop("TESTCAT/item", None)


def test_plugin_registered_exactly_once(request):
    pm = request.config.pluginmanager
    mods = [p for p in pm.get_plugins() if getattr(p, "__name__", "") == "claims.pytest_plugin"]
    assert len(mods) == 1


def test_suite_alpha_and_anytime_decision_are_the_run_contract(user):
    """--claims-alpha A: each of the n collected claims runs at A/n, recorded in the JSON and printed."""
    res = user.runpytest("--claims-json", "out.json", "--claims-alpha", "0.03", "--claims-decision", "anytime")
    res.assert_outcomes(passed=1, failed=1, skipped=1)
    out = res.stdout.str()
    assert "P(any true claim fails) <= alpha_suite = 0.03 by design (3 claims at alpha_claim = 0.01 each)" in out
    doc = json.loads((user.path / "out.json").read_text())
    c = doc["run"]["contract"]
    assert c["n_claims"] == 3 and c["alpha_claim"] == pytest.approx(0.01) and c["by_design"] is True
    assert c["decision"] == "anytime"
    assert {r["stats"]["decision"] for r in doc["results"]} == {"anytime"}
    assert all(r["stats"]["alpha"] == pytest.approx(0.01) for r in doc["results"])
    res = user.runpytest("--claims-json", "one.json", "--claims-alpha", "0.03", "-k", "good")
    assert json.loads((user.path / "one.json").read_text())["run"]["contract"]["n_claims"] == 1


def test_default_contract_is_by_design_and_claim_alpha_states_the_union_bound(user):
    res = user.runpytest("--claims-json", "out.json")
    assert "P(any true claim fails) <= alpha_suite = 0.01 by design (3 claims at alpha_claim = 0.00333 each)" \
        in res.stdout.str()
    res = user.runpytest("--claims-json", "out.json", "--claims-claim-alpha", "0.01")
    assert "per-claim alpha = 0.01 over 3 claims: suite-level bound 0.03" in res.stdout.str()
    res = user.runpytest("--claims-claim-alpha", "0.01", "--claims-alpha", "0.02")
    assert res.ret != 0 and "contradict each other" in res.stderr.str()


@pytest.mark.parametrize("bad", ["0", "1", "-0.5", "1.5"])
def test_suite_alpha_outside_the_unit_interval_is_refused(user, bad):
    res = user.runpytest(f"--claims-alpha={bad}")
    assert res.ret != 0
    assert "--claims-alpha must lie strictly between 0 and 1" in res.stderr.str()
