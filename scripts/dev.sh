#!/usr/bin/env bash
# One entry point for a fresh machine: creates .venv (if missing), installs the
# project, then runs what was asked:
#   scripts/dev.sh report   # run the claim catalog, write reports/claims.{html,json}
#   scripts/dev.sh test     # run the test suite (what CI runs)
#   scripts/dev.sh bench    # run the pytest-benchmark throughput benchmarks
#   scripts/dev.sh demo     # build every network and print forward-norm / sign statistics
# PyTorch: by default the CPU build torch==2.13.0 is installed (TORCH_SPEC overrides).
# A GPU user installs a CUDA build of torch into .venv first (or sets TORCH_SPEC to
# that build's pip spec); an already installed torch is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.ovpcheck-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet $TORCH_SPEC
  fi
  "$VENV/bin/python" -m pip install --quiet -e ".[test,report,distributed]"
  touch "$stamp"
fi
# Transparent huge pages for PyTorch's large CPU tensors (docs/performance.md): set here for
# the commands below, since importing the package changes no environment; =0 opts out.
export THP_MEM_ALLOC_ENABLE=${THP_MEM_ALLOC_ENABLE:-1}
cmd=${1:-test}; shift || true
case "$cmd" in
  test)   exec "$VENV/bin/python" -m pytest "$@" ;;
  report) exec "$VENV/bin/ovpcheck" report "$@" ;;
  bench)  exec "$VENV/bin/python" -m pytest tests/benchmarks -o python_files="bench_*.py" --benchmark-enable -s "$@" ;;
  demo)   exec "$VENV/bin/python" -m ovpmodel.demo "$@" ;;
  *) echo "usage: scripts/dev.sh {test|report|bench|demo} [args...]" >&2; exit 2 ;;
esac
