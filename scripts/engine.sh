#!/usr/bin/env bash
# Provides MemGate's CPU engine and prints the path of its library on stdout.
#
# The engine is Unicorn 2.1.4 as Debian packages it (libunicorn2t64, from Debian sid; it depends only on
# libc6 >= 2.34, so it runs on bookworm). It is downloaded with apt and unpacked into a private cache
# folder outside the work tree, never installed system-wide, so it does not disturb the system's own
# libunicorn. Idempotent and quiet: once the library is cached this costs one file test.
# Run by ./memgate and ./test.sh; exits 3 with a message on stderr when it cannot.
set -euo pipefail

engine_version="2.1.4"
engine_cache="${MEMGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memgate}/unicorn-$engine_version"
engine_library="$engine_cache/libunicorn.so.2"

engine_fail() {
  echo "memgate: cannot provide the CPU engine (Unicorn $engine_version): $1" >&2
  echo "memgate: set MEMGATE_UNICORN to the path of a libunicorn.so.2 of version $engine_version to use your own." >&2
  exit 3
}

provide_engine() {
  if [[ -n "${MEMGATE_UNICORN:-}" ]]; then
    [[ -f "$MEMGATE_UNICORN" ]] || engine_fail "MEMGATE_UNICORN names $MEMGATE_UNICORN, which does not exist"
    echo "$MEMGATE_UNICORN"
    return
  fi
  if [[ -f "$engine_library" ]]; then
    echo "$engine_library"
    return
  fi
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 \
    || engine_fail "this is not a Debian-like system (no apt-get/dpkg-deb)"

  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" >"$work/sources.list"
  # A one-off package list for sid in the temporary folder: the system's apt configuration is untouched.
  # Check-Valid-Until=false: apt refuses a Release file past its Valid-Until date outright (seen on a fresh machine,
  # whose package source served sid's index 27 days past it); its signature is still checked, and the version pinned below.
  local apt=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o Acquire::Check-Valid-Until=false
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
             -o APT::Sandbox::User="$(id -un)")
  apt-get "${apt[@]}" update >"$work/log" 2>&1 || { cat "$work/log" >&2; engine_fail "apt-get update for Debian sid failed"; }
  local candidate
  candidate="$(apt-cache "${apt[@]}" policy libunicorn2t64 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
  [[ "$candidate" == "$engine_version"-* ]] \
    || engine_fail "Debian sid offers libunicorn2t64 '${candidate:-none}', not $engine_version"
  (cd "$work" && apt-get "${apt[@]}" download "libunicorn2t64=$candidate" >>"$work/log" 2>&1) \
    || { cat "$work/log" >&2; engine_fail "downloading libunicorn2t64 $candidate failed"; }
  dpkg-deb -x "$work"/libunicorn2t64_*.deb "$work/root" || engine_fail "unpacking libunicorn2t64 failed"
  local found
  found="$(find "$work/root" -name 'libunicorn.so.2' | head -1)"
  [[ -n "$found" ]] || engine_fail "the package holds no libunicorn.so.2"
  mkdir -p "$engine_cache"
  # Copy under a temporary name and rename, so a concurrent or interrupted run never sees half a library.
  cp -L "$found" "$engine_cache/.libunicorn.so.2.$$"
  mv -f "$engine_cache/.libunicorn.so.2.$$" "$engine_library"
  echo "$engine_library"
}

provide_engine
