#!/usr/bin/env bash
# Builds MemGate's patched CPU engine and prints the path of its library on stdout.
#
# Unicorn 2.1.4 from Debian's source package (unicorn-engine 2.1.4-4, sid), with
# scripts/unicorn/store-path.patch applied (guest stores to RAM take QEMU's fast path; see the patch),
# built for the arm, aarch64 and riscv targets only, into a cache folder outside the work tree:
#   ${MEMGATE_CACHE:-~/.cache/memgate}/unicorn-2.1.4-memgate/libunicorn.so.2
# Idempotent: the build is reused while the patch is unchanged (its SHA-256 is kept beside the library).
# Use it with MEMGATE_UNICORN="$(scripts/build-engine.sh)".
#
# Environment:
#   MEMGATE_UNICORN_SOURCE  a folder or .tar.gz holding Unicorn 2.1.4's source, used instead of
#                           Debian's source package (for machines that cannot reach deb-src)
#   MEMGATE_BUILD_JOBS      parallel compile jobs (default 2); compiles run under nice -n 10
# Build output goes to stderr; exits 3 with a message on stderr when it cannot build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
engine_version="2.1.4"
debian_version="2.1.4-4"
patch_file="$root/scripts/unicorn/store-path.patch"
engine_cache="${MEMGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memgate}/unicorn-$engine_version-memgate"
engine_library="$engine_cache/libunicorn.so.2"
jobs="${MEMGATE_BUILD_JOBS:-2}"

fail() {
  echo "build-engine: cannot build the patched CPU engine (Unicorn $engine_version): $1" >&2
  exit 3
}

[[ -f "$patch_file" ]] || fail "$patch_file is missing"
stamp="$(sha256sum "$patch_file" | cut -d' ' -f1) arm;aarch64;riscv"
if [[ -f "$engine_library" && -f "$engine_cache/stamp" && "$(cat "$engine_cache/stamp")" == "$stamp" ]]; then
  echo "$engine_library"
  exit 0
fi

for tool in cmake cc make patch; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (apt-get install cmake build-essential)"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source_dir=""

if [[ -n "${MEMGATE_UNICORN_SOURCE:-}" ]]; then
  if [[ -d "$MEMGATE_UNICORN_SOURCE" ]]; then
    cp -a "$MEMGATE_UNICORN_SOURCE" "$work/src"
  elif [[ -f "$MEMGATE_UNICORN_SOURCE" ]]; then
    mkdir "$work/src" && tar -xzf "$MEMGATE_UNICORN_SOURCE" -C "$work/src" --strip-components=1
  else
    fail "MEMGATE_UNICORN_SOURCE names $MEMGATE_UNICORN_SOURCE, which does not exist"
  fi
  source_dir="$work/src"
  echo "build-engine: source from $MEMGATE_UNICORN_SOURCE" >&2
else
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-source >/dev/null 2>&1 \
    || fail "apt-get and dpkg-source (dpkg-dev) are needed to get Debian's source package; or set MEMGATE_UNICORN_SOURCE"
  mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/deb"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" >"$work/apt/sources.list"
  # A one-off source list for sid in the temporary folder: the system's apt configuration is untouched.
  # Check-Valid-Until=false: as in engine.sh, a Release file past its date still counts (signature checked).
  apt=(-q -o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o Acquire::Check-Valid-Until=false -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o Debug::NoLocking=1
       -o APT::Sandbox::User="$(id -un)")
  apt-get "${apt[@]}" update >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "apt-get update for Debian sid sources failed"; }
  # apt checks the files against the signed Sources index.
  (cd "$work/deb" && apt-get "${apt[@]}" source --download-only "unicorn-engine=$debian_version") >>"$work/log" 2>&1 \
    || { tail -5 "$work/log" >&2; fail "downloading Debian's source package unicorn-engine $debian_version failed (set MEMGATE_UNICORN_SOURCE to build from Unicorn $engine_version's own source)"; }
  dpkg-source --no-check -x "$work/deb/unicorn-engine_$debian_version.dsc" "$work/src" >>"$work/log" 2>&1 \
    || { cat "$work/log" >&2; fail "unpacking Debian's source package failed"; }
  source_dir="$work/src"
  echo "build-engine: source from Debian's unicorn-engine $debian_version" >&2
fi

grep -q "UNICORN_VERSION_PATCH 4" "$source_dir/CMakeLists.txt" 2>/dev/null \
  && grep -q "UNICORN_VERSION_MINOR 1" "$source_dir/CMakeLists.txt" \
  || fail "the source is not Unicorn $engine_version"
patch -d "$source_dir" -p1 --forward --no-backup-if-mismatch <"$patch_file" >&2 \
  || fail "store-path.patch does not apply"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S "$source_dir" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DUNICORN_ARCH="arm;aarch64;riscv" -DUNICORN_BUILD_TESTS=OFF -DUNICORN_INSTALL=OFF -DBUILD_SHARED_LIBS=ON \
  -DUNICORN_LEGACY_STATIC_ARCHIVE=OFF >&2 || fail "cmake configure failed"
nice -n 10 cmake --build "$work/build" --target unicorn -j "$jobs" >&2 || fail "the build failed"

built="$(find "$work/build" -maxdepth 1 -name 'libunicorn.so.2*' -type f | head -1)"
[[ -n "$built" ]] || fail "the build produced no libunicorn.so.2"
mkdir -p "$engine_cache"
# Copy under a temporary name and rename, so a concurrent or interrupted run never sees half a library.
cp -L "$built" "$engine_cache/.libunicorn.so.2.$$"
mv -f "$engine_cache/.libunicorn.so.2.$$" "$engine_library"
echo "$stamp" >"$engine_cache/stamp"
echo "$engine_library"
