#!/usr/bin/env bash
# Builds and runs bench/uffd-latency/uffd-latency.c: the wait of a first write for a userfaultfd handler thread
# (free, and pinned to the writer's core) against the scan-based restore MemGate uses (both ways of protecting
# the pages again), for N written pages of 2 GiB, and the floor under it: a scan of the 2 GiB with nothing written.
#   bench/uffd-latency.sh [PAGES]     (default 16; needs a C compiler, userfaultfd and about 4.5 GiB of memory)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/bench/results"
cc -O2 -pthread -o "$root/bench/results/uffd-latency" "$root/bench/uffd-latency/uffd-latency.c"
"$root/bench/results/uffd-latency" "${1:-16}"
