"""scripts/gpu_check.sh, the one prepared run for a GPU machine, works end to end: run
here on the CPU with tiny selections, it writes every file it promises and valid results."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import claims

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_gpu_check_script_runs_on_a_cpu_with_small_selections(tmp_path):
    env = dict(os.environ, OUT=str(tmp_path), PYTHON=sys.executable, GPU_CHECK_DEVICE="cpu",
               GPU_CHECK_QUICK_K="ZCZG/LemB.1", GPU_CHECK_BENCH_K="gd_per_step and 512 and float32",
               GPU_CHECK_THOROUGH_K="AZL-RNN/PropA.3", GPU_CHECK_T_QUICK="120", GPU_CHECK_T_BENCH="120",
               GPU_CHECK_T_THOROUGH="120")
    p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "gpu_check.sh")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=400)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    names = sorted(os.listdir(tmp_path))
    assert names == ["bench.json", "bench.log", "env.txt", "quick.json", "quick.log", "thorough.json", "thorough.log"]
    env_txt = (tmp_path / "env.txt").read_text()
    assert "torch " in env_txt and "device cpu" in env_txt and "== thorough: exit 0" in env_txt
    quick = claims.read_results(tmp_path / "quick.json")
    assert quick["complete"] and [r.claim_id for r in quick["results"]] == ["ZCZG/LemB.1"]
    assert quick["results"][0].verdict == "pass" and quick["profile"] == "quick"
    thorough = claims.read_results(tmp_path / "thorough.json")
    assert thorough["profile"] == "thorough" and thorough["results"][0].claim_id == "AZL-RNN/PropA.3"
    bench = json.loads((tmp_path / "bench.json").read_text())
    [b] = bench["benchmarks"]
    assert b["name"] == "test_gd_per_step[512-float32]" and b["extra_info"]["ratio"] > 0
    assert "square matmul" in (tmp_path / "bench.log").read_text()
