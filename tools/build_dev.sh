#!/usr/bin/env bash
# Developer build of elasticc_fast._core into python/elasticc_fast/ (use with PYTHONPATH=python).
# Serialised with flock so several shells can call it; the .so is swapped in by an atomic rename
# so running processes that already loaded the old one are not disturbed.
# Usage: tools/build_dev.sh [--sanitize]   (env PYTHON selects the interpreter, default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
dir=build/dev; san=OFF
if [ "${1:-}" = "--sanitize" ]; then dir=build/asan; san=ON; fi
exec 9>/tmp/elasticc_fast_build.lock
flock 9
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DELASTICC_FAST_SANITIZE=$san \
    -Dpybind11_DIR="$($py -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v $py)" >/dev/null
fi
cmake --build "$dir"
so=$(ls "$dir"/_core*.so)
if [ "$san" = ON ]; then echo "built $so (sanitized; not copied into the package)"; exit 0; fi
dest=python/elasticc_fast/$(basename "$so")
cp "$so" "$dest.tmp.$$" && mv -f "$dest.tmp.$$" "$dest"
echo "built $dest"
