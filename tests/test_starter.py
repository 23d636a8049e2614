"""``ovpcheck new`` and ``ovpcheck --version``: the starter file for a user's own paper."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest

import claims
from claims._starter import StarterExistsError, starter_text, write_starter
from claims.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_version_has_one_source_and_the_cli_prints_it(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"ovpcheck {claims.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", claims.__version__)
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        project = tomllib.load(fh)
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "claims.__version__"}


def test_new_writes_a_starter_that_passes_pytest_unchanged(tmp_path, capsys):
    """The written file, run as a user would (`pytest my_claims.py` in its own folder, the
    plugin from the installed entry point), passes: the claim passes and the test showing
    that the false variant is rejected passes."""
    target = tmp_path / "my_claims.py"
    assert main(["new", str(target)]) == 0
    assert f"pytest {target}" in capsys.readouterr().out
    text = target.read_text()
    assert text == starter_text("my_claims.py")   # commands name the file, not its folder
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}   # the quick profile
    p = subprocess.run([sys.executable, "-m", "pytest", "my_claims.py", "-p", "no:cacheprovider", "-W", "error",
                        "-q"], cwd=tmp_path, env=dict(env, OMP_NUM_THREADS="1"), capture_output=True, text=True,
                       timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    assert re.search(r"\b2 passed\b", out) and "PASS         MINE/relu-norm" in out, out[-4000:]


def test_starter_has_every_part_of_a_claim():
    """Measure, bound, regime, scaling, the claim, a false variant and its test, each a
    numbered section that docs/engine.md walks through."""
    text = starter_text("my_claims.py")
    tree = ast.parse(text)   # valid Python
    names = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    funcs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"BOUND", "REGIME", "SCALING", "NORM", "NORM_1_OVER_M"} <= names
    assert {"relu_norm_deviation", "test_norm", "test_false_variant_is_rejected"} <= funcs
    sections = re.findall(r"^# --- (\d)\. (.+?) -", text, re.M)
    assert [n for n, _ in sections] == list("1234567")
    with open(os.path.join(ROOT, "docs", "engine.md"), encoding="utf-8") as fh:
        doc = fh.read()
    for n, title in sections:
        assert f"{n}. {title.strip()}" in doc, f"docs/engine.md does not walk through section {n}. {title}"
    assert "{{" not in text and "pytest my_claims.py" in text and "--claim my_claims.py:NORM" in text


def test_new_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    target = tmp_path / "mine.py"
    target.write_text("# my work\n")
    assert main(["new", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"ovpcheck new: error: {target} exists" in err and "--force" in err
    assert target.read_text() == "# my work\n"
    assert main(["new", str(target), "--force"]) == 0
    assert "NORM = claims.Claim(" in target.read_text()
    with pytest.raises(StarterExistsError):
        write_starter(target)


@pytest.mark.parametrize("name", ["my-claims.py", "claims.txt", "1st.py"])
def test_new_wants_an_importable_module_name(tmp_path, capsys, name):
    assert main(["new", str(tmp_path / name)]) == 2
    assert "must be a Python module name" in capsys.readouterr().err
    assert not (tmp_path / name).exists()
