#!/usr/bin/env bash
# The GPU checks of issue #7 as ONE prepared run, for a session lent a GPU machine.
#
# From the repository root on the GPU machine (its python3 already has a CUDA build of
# torch, pytest, pytest-benchmark, hypothesis, scipy, jinja2):
#
#     bash scripts/gpu_check.sh                    # results under $OUT (default ./gpu_out)
#
# It runs, each step under its own time limit, so that the whole fits in one call of the
# device tool (about 9 minutes by default):
#   1. env.txt          GPU model, driver, torch and CUDA versions
#   2. quick.json/.log  every catalog claim on the GPU with the quick profile: the CUDA path end to end
#   3. bench.json/.log  the throughput benchmarks on the GPU (ratios to the GPU's own square matmul),
#                       widths up to 16384 (tests/benchmarks/bench_throughput.py, OVP_BENCH_DEVICE)
#   4. thorough.json/.log  the thorough profile (64 trials in chunks of 8, widths to the regimes' maxima)
#                       on the widest claims
# Environment knobs (defaults in brackets): PYTHON [python3], GPU_CHECK_DEVICE [cuda],
# GPU_CHECK_QUICK_K [all claims], GPU_CHECK_BENCH_K [a selection], GPU_CHECK_THOROUGH_K [ZCZG/],
# GPU_CHECK_T_QUICK [180], GPU_CHECK_T_BENCH [150], GPU_CHECK_T_THOROUGH [180] (seconds).
# Tested on a CPU with GPU_CHECK_DEVICE=cpu and small selections (tests/test_gpu_check_script.py).
set -uo pipefail
OUT=${OUT:-gpu_out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
DEV=${GPU_CHECK_DEVICE:-cuda}
QUICK_K=${GPU_CHECK_QUICK_K:-}
BENCH_K=${GPU_CHECK_BENCH_K:-"(fc_forward_trace and float32 and 256) or (fc_operators and float32) or (rnn and float32 and trace) or interval_norms or gd_per_step"}
THOROUGH_K=${GPU_CHECK_THOROUGH_K:-ZCZG/}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

status=0
step() {   # step NAME SECONDS CMD...: run with a time limit, log to $OUT/NAME.log, remember a failure
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  echo "== $name (limit ${limit}s): $*" | tee -a "$OUT/env.txt"
  timeout --signal=TERM --kill-after=15 "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$OUT/env.txt"
  tail -n 25 "$OUT/$name.log"
  [ "$rc" -eq 0 ] || status=1
}

{
  date -u +"%Y-%m-%dT%H:%M:%SZ"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  "$PY" - "$DEV" <<'EOF'
import sys, platform, torch
dev = torch.device(sys.argv[1])
print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA {torch.version.cuda}, device {dev}")
if dev.type == "cuda":
    p = torch.cuda.get_device_properties(dev)
    print(f"{p.name}: {p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs")
EOF
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

quick_sel=()
[ -n "$QUICK_K" ] && quick_sel=(-k "$QUICK_K")
step quick "${GPU_CHECK_T_QUICK:-180}" "$PY" -m claims run --device "$DEV" --profile quick "${quick_sel[@]}" \
  --json "$OUT/quick.json" --time-report 15

step bench "${GPU_CHECK_T_BENCH:-150}" env OVP_BENCH_DEVICE="$DEV" "$PY" -m pytest tests/benchmarks/bench_throughput.py \
  -o python_files="bench_*.py" -p no:warnings --benchmark-enable -s -q -k "$BENCH_K" \
  --benchmark-json "$OUT/bench.json"

step thorough "${GPU_CHECK_T_THOROUGH:-180}" "$PY" -m claims run --device "$DEV" --profile thorough \
  -k "$THOROUGH_K" --json "$OUT/thorough.json" --time-report 20

echo "gpu_check: results in $OUT (exit $status)"
exit "$status"
