#!/usr/bin/env bash
# GPU check of elasticc_fast: builds the package into the current Python environment without
# touching its other packages, then times GRU and transformer inference (light curves/s at length
# 256, batch 16,384), training windows/s and the same GRU in PyTorch, printing ONE JSON object.
#
# Expects: an NVIDIA GPU, Python 3.12 (any 3.10+ works), JAX with CUDA, Flax, optax, orbax and
# PyTorch already installed, no network. Build requirements (scikit-build-core, pybind11, cmake,
# ninja) and any runtime package the nn code imports that is missing (numpy, pyarrow, tqdm, ...)
# are installed from the wheel folder WHEELS (default: benchmarks/wheels; fill it beforehand with
# `pip download -d benchmarks/wheels scikit-build-core pybind11 ...` on a machine with network).
#
#   bash benchmarks/device_check.sh             # build, then at most ~5 minutes of timings
#   bash benchmarks/device_check.sh --dry-run   # no GPU needed: tiny sizes on the CPU, no build
#   WHEELS=/path/to/wheels PYTHON=python3.12 bash benchmarks/device_check.sh
#
# Exit status: 0 with the JSON on stdout; 2 when no GPU is visible (checked first, in seconds);
# 1 when the build or a missing package stops it (the message says which).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
wheels=${WHEELS:-benchmarks/wheels}
dry=""
if [ "${1:-}" = "--dry-run" ]; then dry="--dry-run"; fi

fail() { echo "device_check: error: $1" >&2; exit "${2:-1}"; }

if [ -z "$dry" ]; then
  command -v nvidia-smi >/dev/null 2>&1 || fail "no GPU visible: nvidia-smi not found (use --dry-run on a CPU machine)" 2
  nvidia-smi -L 2>/dev/null | grep -q "^GPU" || fail "no GPU visible: nvidia-smi lists no GPU" 2
fi
command -v "$py" >/dev/null 2>&1 || fail "no Python interpreter '$py' (set PYTHON=...)"

# modules the timings need; each missing one must come from the wheel folder
missing=$("$py" - <<'PY'
import importlib.util
need = ["jax", "flax", "optax", "orbax.checkpoint", "numpy", "pyarrow", "tqdm", "scipy"]
print(" ".join(m for m in need if importlib.util.find_spec(m.split(".")[0]) is None))
PY
)
if [ -n "$missing" ]; then
  for m in $missing; do
    case $m in jax|flax|optax|orbax.checkpoint) fail "$m is not installed (the check expects JAX, Flax, optax and orbax present)";; esac
  done
  [ -d "$wheels" ] || fail "missing packages: $missing; no wheel folder $wheels to install them from (set WHEELS=DIR)"
  "$py" -m pip install --no-index --find-links "$wheels" $missing >&2 || fail "could not install $missing from $wheels"
fi

if [ -z "$dry" ]; then
  for m in scikit_build_core pybind11; do
    "$py" -c "import $m" 2>/dev/null || "$py" -m pip install --no-index --find-links "$wheels" "${m//_/-}" >&2 \
      || fail "build requirement ${m//_/-} missing and not in $wheels"
  done
  # the package alone: no dependency resolution, no build isolation (no network needed)
  "$py" -m pip install --no-deps --no-build-isolation . >&2 || fail "pip install --no-deps --no-build-isolation . failed"
  exec timeout 330 "$py" benchmarks/device_check.py --budget 300
fi
# dry run: the source tree as it is (tests run it with PYTHONPATH=python)
PYTHONPATH="python${PYTHONPATH:+:$PYTHONPATH}" exec "$py" benchmarks/device_check.py --dry-run
