#!/usr/bin/env bash
# Builds the libmmap anchor (anchor.cpp against a libmmap checkout) and runs MemGate's range workloads
# interleaved with it, round by round:
#   bench/libmmap-anchor/run.sh LIBMMAP_DIR [rounds]
# LIBMMAP_DIR is a checkout of https://github.com/zyedidia/libmmap (its src/ holds addr_space.h).
# Prints ns per operation (minimum of the rounds) for both sides, the ratio and both checksums; exits
# non-zero when a checksum differs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
libmmap="${1:?usage: run.sh LIBMMAP_DIR [rounds]}"
rounds="${2:-5}"
out="$root/bench/results/libmmap-anchor"
mkdir -p "$root/bench/results"
g++ -O2 -std=c++17 -I"$libmmap/src" "$here/anchor.cpp" "$libmmap/src/mmap.cpp" -o "$out"
dotnet build "$root/bench/MemGate.Benchmarks" -c Release -v quiet --nologo >/dev/null
dotnet "$root/bench/MemGate.Benchmarks/bin/Release/net10.0/MemGate.Benchmarks.dll" --ranges-plain "$rounds" "$out"
