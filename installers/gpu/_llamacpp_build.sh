# shared by the llamacpp-*.sh scripts: build llama-cpp-python $VERSION with $CMAKE_ARGS into a wheel
# cached in $WHEELS/$FLAVOUR (so a rebuild is never needed), then install it into $PIP's environment.
# usage (sourced): FLAVOUR=cuda CMAKE_ARGS=... build_and_install PIP
set -euo pipefail
VERSION=${LLAMACPP_VERSION:-0.3.36}
WHEELS=${WHEELS:-$HOME/.cache/camtag/wheels}

build_and_install() {
  local pip=$1 dir="$WHEELS/$FLAVOUR" wheel start
  mkdir -p "$dir"
  wheel=$(ls "$dir"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    echo "building llama-cpp-python $VERSION ($FLAVOUR) with CMAKE_ARGS=\"$CMAKE_ARGS\""
    start=$(date +%s)
    CMAKE_ARGS="$CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || sysctl -n hw.ncpu)} \
      $pip wheel --no-deps --no-cache-dir "llama-cpp-python==$VERSION" -w "$dir"
    wheel=$(ls "$dir"/llama_cpp_python-"$VERSION"-*.whl | head -1)
    echo "built $(basename "$wheel") ($(du -h "$wheel" | cut -f1)) in $(( $(date +%s) - start )) s"
  fi
  $pip install --force-reinstall --no-deps "$wheel"
  # its pure-Python dependencies (typing-extensions, numpy, diskcache, jinja2)
  $pip install "llama-cpp-python==$VERSION" >/dev/null
}
