#!/usr/bin/env bash
# Builds and runs bench/page-copy/page-copy.c: copying N scattered pages of 2 GiB back with ordinary against streaming
# (non-temporal) stores, plus the next run's reads of them; the crossing is where a snapshot restore starts streaming.
#   bench/page-copy.sh     (needs a C compiler, an x86-64 CPU with AVX2 and about 4.5 GiB of memory)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/bench/results"
cc -O2 -mavx2 -o "$root/bench/results/page-copy" "$root/bench/page-copy/page-copy.c"
"$root/bench/results/page-copy"
