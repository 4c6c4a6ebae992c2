#!/usr/bin/env bash
# Builds llama.cpp's llama-bench and llama-server for the CPU backend, from the llama.cpp source
# tree that a pinned llama-cpp-python sdist carries, and prints the folder that holds them:
#
#   scripts/build-llama-cpp.sh            # builds once, then prints the cached folder at once
#   scripts/build-llama-cpp.sh --print    # prints the folder if it is built, else fails
#
# The build is cached under $CANRUN_LLAMA_CACHE (default ~/.cache/canrun/llama.cpp), keyed by the
# pinned version and this CPU's instruction-set flags (GGML_NATIVE compiles for the CPU it runs
# on), so a second run on the same machine returns at once. A first build takes about 15 minutes
# on 2 cores. Needs cmake, g++ and curl (Debian: cmake g++ curl).
set -euo pipefail

VERSION=0.3.36
# llama-cpp-python 0.3.36 vendors ggml-org/llama.cpp@0c1e57098 (its CHANGELOG.md).
LLAMA_COMMIT=0c1e57098
SDIST_URL="https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-$VERSION.tar.gz"
SDIST_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e

fail() {
    echo "build-llama-cpp: $*" >&2
    exit 1
}

cache_root="${CANRUN_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/canrun/llama.cpp}"
flags_hash=$(grep -m1 '^flags' /proc/cpuinfo | sha256sum | cut -c1-12)
prefix="$cache_root/$VERSION-$LLAMA_COMMIT-$flags_hash"

if [[ -x "$prefix/bin/llama-bench" && -x "$prefix/bin/llama-server" ]]; then
    echo "$prefix/bin"
    exit 0
fi
[[ "${1:-}" == "--print" ]] && fail "llama.cpp is not built yet: run scripts/build-llama-cpp.sh"

for tool in cmake g++ curl sha256sum tar; do
    command -v "$tool" > /dev/null || fail "$tool is missing: apt-get install cmake g++ curl"
done

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "build-llama-cpp: fetching llama-cpp-python $VERSION (llama.cpp $LLAMA_COMMIT)" >&2
curl -fsSL --retry 3 -o "$work/sdist.tar.gz" "$SDIST_URL" || fail "could not download $SDIST_URL"
echo "$SDIST_SHA256  $work/sdist.tar.gz" | sha256sum --check --quiet \
    || fail "the sdist's SHA-256 is not $SDIST_SHA256: refusing to build it"
tar -xzf "$work/sdist.tar.gz" -C "$work" "llama_cpp_python-$VERSION/vendor/llama.cpp"
source_dir="$work/llama_cpp_python-$VERSION/vendor/llama.cpp"

# The cache may sit inside a git work tree; llama.cpp's build info must not read that tree's
# commit as its own, so git is hidden from its configure step.
echo "build-llama-cpp: building llama-bench and llama-server (about 15 minutes on 2 cores)" >&2
cmake -S "$source_dir" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGIT_EXECUTABLE=/bin/false \
    -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_CURL=OFF > "$work/configure.log" 2>&1 || {
    tail -30 "$work/configure.log" >&2
    fail "cmake could not configure llama.cpp (log above)"
}
cmake --build "$work/build" --target llama-bench llama-server -j "$(nproc)" > "$work/build.log" 2>&1 || {
    tail -30 "$work/build.log" >&2
    fail "llama.cpp did not build (log above)"
}

mkdir -p "$work/prefix/bin"
cp "$work/build/bin/llama-bench" "$work/build/bin/llama-server" "$work/prefix/bin/"
printf 'llama-cpp-python %s\nllama.cpp %s\n' "$VERSION" "$LLAMA_COMMIT" > "$work/prefix/VERSION"
rm -rf "$prefix"
mv "$work/prefix" "$prefix"
echo "$prefix/bin"
