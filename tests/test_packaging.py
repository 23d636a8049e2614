"""ovpcheck as a package others install: the wheel and sdist hold everything, the installed
package works outside the repository, and importing it changes nothing process-wide.

The end-to-end test builds the sdist and, from it, the wheel (as ``python -m build`` does),
installs the wheel into a fresh virtual environment and, from a directory outside the
repository, runs a user's claims file under ``python -m pytest`` (the plugin loaded by its
``pytest11`` entry point; there is no conftest) and under ``ovpcheck run --claim``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import textwrap
import zipfile

import pytest

import claims

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# what an sdist is made from: the project metadata and the two packages (nothing else is
# shipped; tests/, docs/, scripts/ stay in the repository)
_SOURCES = ("pyproject.toml", "README.md", "claims", "ovpmodel")


def _run(cmd, *, cwd, env=None, timeout=300, expect=0):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    if expect is not None:
        assert p.returncode == expect, f"{cmd} exited {p.returncode}, expected {expect}:\n{out[-6000:]}"
    return p, out


def _read_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _setuptools_version() -> tuple[int, ...]:
    import importlib.metadata

    try:
        return tuple(int(x) for x in re.findall(r"\d+", importlib.metadata.version("setuptools"))[:2])
    except importlib.metadata.PackageNotFoundError:
        return (0,)


# ----------------------------------------------------------------------------- no import side effects


def test_importing_the_packages_changes_no_environment_variable():
    """Importing ovpmodel / claims (and the plugin, CLI and report modules) is free of
    process-wide effects: os.environ is the same before and after, THP_MEM_ALLOC_ENABLE
    included (huge pages are the program's opt-in: ovpmodel.linalg.request_huge_pages)."""
    code = textwrap.dedent("""
        import json, os
        before = dict(os.environ)
        import ovpmodel, ovpmodel.linalg, ovpmodel.train, claims, claims.catalog, claims.cli
        import claims.pytest_plugin, claims.report
        after = dict(os.environ)
        print(json.dumps({k: [before.get(k), after.get(k)] for k in set(before) | set(after)
                          if before.get(k) != after.get(k)}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    _, out = _run([sys.executable, "-c", code], cwd=ROOT, env=env)
    assert json.loads(out.strip().splitlines()[-1]) == {}


def test_the_command_line_opts_in_to_huge_pages_and_respects_an_opt_out(monkeypatch):
    """In-process (this process's torch read the variable long ago; only os.environ is looked at)."""
    from claims.cli import main
    from ovpmodel.linalg import request_huge_pages

    monkeypatch.setenv("THP_MEM_ALLOC_ENABLE", "unset-me")   # recorded: restored (removed) afterwards
    monkeypatch.delenv("THP_MEM_ALLOC_ENABLE")
    assert main(["list", "-k", "no-such-claim"]) == 0                 # called from Python: no opt-in
    assert "THP_MEM_ALLOC_ENABLE" not in os.environ
    monkeypatch.setattr(sys, "argv", ["ovpcheck", "list", "-k", "no-such-claim"])
    assert main() == 0                                                  # run as the program: opts in
    assert os.environ["THP_MEM_ALLOC_ENABLE"] == "1"
    monkeypatch.setenv("THP_MEM_ALLOC_ENABLE", "0")                   # the user's opt-out wins
    assert main() == 0 and request_huge_pages() is False
    assert os.environ["THP_MEM_ALLOC_ENABLE"] == "0"


# ----------------------------------------------------------------------------- build, install, use

USER_CLAIMS = '''
"""A user's own claims, outside the repository (no conftest: the plugin is an entry point)."""
import importlib.metadata, os, sys

import pytest, torch
import claims, ovpmodel
from claims.pytest_plugin import claim_params


def uniform(point, ctx):
    return torch.rand(ctx.trials, point["n"], generator=ctx.generator(), dtype=ctx.dtype).amax(dim=1)


def mk(id, constant):
    return claims.Claim(id=id, title=id, source=claims.Source("user-paper.txt", "Lemma 2"),
                        statement_tex=r"\\max_{i\\le n} U_i \\le c", family="toy",
                        regime=(claims.IntParam("n", 1, 50),), measure=uniform,
                        bound=claims.Bound("upper", lambda p: 1.0, constant, provenance="exact"),
                        failure_prob=0.0)


GOOD = mk("USER/good", 1.0)      # true: U <= 1 always
BAD = mk("USER/bad", 0.5)        # deliberately false: max of n uniforms <= 0.5


@pytest.mark.parametrize("claim", claim_params([GOOD, BAD]))
def test_user(claim, claims_check):
    claims_check(claim)


def test_runs_the_installed_package_not_the_repository(request):
    venv = os.path.realpath(os.environ["FRESH_VENV"])
    inside = lambda f: os.path.realpath(f).startswith(venv + os.sep)
    assert inside(claims.__file__) and inside(ovpmodel.__file__), (claims.__file__, ovpmodel.__file__)
    assert inside(request.config.pluginmanager.get_plugin("claims").__file__)   # loaded by the entry point
    # no sys.path entry but the fresh venv holds a claims package (the repository is not on it)
    holders = [p for p in sys.path if os.path.isfile(os.path.join(p or ".", "claims", "_claim.py"))]
    assert holders and all(inside(p) for p in holders), holders
    dists = [d for d in importlib.metadata.distributions() if d.metadata["Name"] == "ovpcheck"]
    assert len(dists) == 1 and dists[0].version == claims.__version__
'''


def _shared_site_packages(dest: str) -> str:
    """A folder of symlinks to this environment's installed packages (torch, numpy, scipy,
    hypothesis, pytest, ...) WITHOUT its ovpcheck: no editable finder, no dist-info, no .pth."""
    os.makedirs(dest)
    paths = dict.fromkeys(os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib"))
    for sp in paths:
        for name in sorted(os.listdir(sp)):
            low = name.lower()
            if (low.startswith(("ovpcheck", "__editable__")) or low.endswith(".pth")
                    or name in ("claims", "ovpmodel", "__pycache__")):
                continue
            link = os.path.join(dest, name)
            if not os.path.lexists(link):
                os.symlink(os.path.join(sp, name), link)
    return dest


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_checks_user_claims_outside_the_repository():
    """Build (sdist, then the wheel from it), install the wheel into a fresh venv and use it
    from a temporary directory outside the repository.

    What is shared, and why: the fresh venv does not download or install the dependencies
    (torch alone is hundreds of MB; CI may be offline). A ``.pth`` file in it points at a
    folder of symlinks to this environment's site-packages, minus everything of ovpcheck
    (its editable-install finder and ``.pth``, its dist-info), and the wheel is installed
    with ``pip install --no-deps --no-index``. So the third-party packages are shared, while
    ``claims`` and ``ovpmodel``, their metadata and the ``pytest11`` / ``ovpcheck`` entry
    points come from the wheel alone: the user test asserts that ``claims.__file__``,
    ``ovpmodel.__file__`` and the loaded plugin lie in the fresh venv, that no ``sys.path``
    entry outside it holds a ``claims`` package and that exactly one ovpcheck distribution is
    visible. Everything runs with the temporary directory as cwd and without PYTHONPATH.
    """
    with tempfile.TemporaryDirectory(prefix="ovpcheck-pkg-") as tmp:
        tmp = os.path.realpath(tmp)
        assert not tmp.startswith(os.path.realpath(ROOT) + os.sep)
        src, dist, venv, work = (os.path.join(tmp, d) for d in ("src", "dist", "venv", "work"))
        os.makedirs(src)
        os.makedirs(work)
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        for name in _SOURCES:
            a = os.path.join(ROOT, name)
            (shutil.copytree(a, os.path.join(src, name), ignore=skip) if os.path.isdir(a)
             else shutil.copy2(a, src))

        # --- build: sdist, then the wheel from the sdist; no setuptools deprecation warning
        # with this environment's setuptools when it is new enough (the test extra requires it;
        # fast and offline), else in an isolated environment that fetches one
        no_isolation = ["--no-isolation"] if _setuptools_version() >= (77,) else []
        _, log = _run([sys.executable, "-m", "build", *no_isolation, "--outdir", dist, src], cwd=tmp)
        assert not re.search(r"deprecat", log, re.I), log[-4000:]
        [whl] = [f for f in os.listdir(dist) if f.endswith(".whl")]
        [sdist] = [f for f in os.listdir(dist) if f.endswith(".tar.gz")]
        version = claims.__version__
        assert whl == f"ovpcheck-{version}-py3-none-any.whl" and sdist == f"ovpcheck-{version}.tar.gz"
        with zipfile.ZipFile(os.path.join(dist, whl)) as z:
            names = set(z.namelist())
            meta = z.read(f"ovpcheck-{version}.dist-info/METADATA").decode()
            eps = z.read(f"ovpcheck-{version}.dist-info/entry_points.txt").decode()
        for f in ("claims/_starter_template.py.txt", "claims/schema.md", "claims/_report_templates/__init__.py",
                  "claims/catalog/__init__.py", "claims/pytest_plugin.py", "ovpmodel/linalg.py"):
            assert f in names, f
        assert not any(n.startswith(("tests/", "docs/", "scripts/")) or n == "conftest.py" for n in names)
        assert "License-Expression: MIT" in meta and f"Version: {version}" in meta
        assert "claims = claims.pytest_plugin" in eps and "ovpcheck = claims.cli:main" in eps
        with tarfile.open(os.path.join(dist, sdist)) as t:
            snames = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
        assert {"pyproject.toml", "README.md", "PKG-INFO", "claims/_starter_template.py.txt",
                "claims/schema.md"} <= snames

        # --- a fresh venv that shares the third-party packages, not ovpcheck
        _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
        vpy = os.path.join(venv, "bin", "python")
        _, vsite = _run([vpy, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp)
        shared = _shared_site_packages(os.path.join(tmp, "shared-site-packages"))
        with open(os.path.join(vsite.strip(), "_ovpcheck_test_shared.pth"), "w") as fh:
            fh.write(shared + "\n")
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CI", "PYTEST_ADDOPTS", "PYTEST_PLUGINS",
                            "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTHONSTARTUP")}
        env.update(PATH=os.path.join(venv, "bin") + os.pathsep + env.get("PATH", ""), PYTHONNOUSERSITE="1",
                   FRESH_VENV=venv, OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"))
        _, log = _run([sys.executable, "-m", "pip", "--python", vpy, "install", "--no-deps", "--no-index",
                       "--disable-pip-version-check", "--root-user-action=ignore", os.path.join(dist, whl)],
                      cwd=tmp, env=env)
        assert not re.search(r"deprecat|warning", log, re.I), log

        # --- the installed command line, from outside the repository
        ovpcheck = os.path.join(venv, "bin", "ovpcheck")
        _, out = _run([ovpcheck, "--version"], cwd=work, env=env)
        assert out.strip() == f"ovpcheck {version}"
        _, out = _run([ovpcheck, "new", "starter_claims.py"], cwd=work, env=env)
        assert os.path.isfile(os.path.join(work, "starter_claims.py"))
        with open(os.path.join(work, "user_claims.py"), "w") as fh:
            fh.write(USER_CLAIMS)

        # (a) pytest: the user's claims (one true, one false) and the starter file, plugin via entry point
        p, out = _run([vpy, "-m", "pytest", "user_claims.py", "starter_claims.py", "-p", "no:cacheprovider",
                       "-W", "error", "--claims-profile", "quick", "--claims-json", "pytest.json", "-rA"],
                      cwd=work, env=env, expect=1)
        assert re.search(r"\b1 failed, 4 passed\b", out), out[-4000:]
        assert "FAILED user_claims.py::test_user[USER/bad]" in out
        assert "reproduce: python -m claims reproduce --claim user_claims.py:BAD" in out
        doc = _read_json(os.path.join(work, "pytest.json"))
        assert {r["claim_id"]: r["verdict"] for r in doc["results"]} == {
            "USER/good": "pass", "USER/bad": "fail", "MINE/relu-norm": "pass"}

        # (b) the CLI on the same file
        p, out = _run([ovpcheck, "run", "--claim", "user_claims.py:GOOD", "--claim", "user_claims.py:BAD",
                       "--profile", "quick", "--json", "run.json"], cwd=work, env=env, expect=1)
        assert "2 claims: 1 pass, 1 fail" in out, out[-3000:]
        doc = _read_json(os.path.join(work, "run.json"))
        assert doc["complete"] is True
        assert {r["claim_id"]: r["verdict"] for r in doc["results"]} == {"USER/good": "pass", "USER/bad": "fail"}
        assert doc["results"][0]["versions"]["ovpcheck"] == version
