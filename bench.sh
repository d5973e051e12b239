#!/usr/bin/env bash
# Runs MemGate's benchmarks (BenchmarkDotNet) and leaves its JSON and Markdown reports in bench/results/.
#   ./bench.sh                 all benchmarks, BenchmarkDotNet's default (careful) job
#   ./bench.sh --quick         all benchmarks, short job (3 warm-ups, 3 iterations)
#   ./bench.sh [--quick] Mixed only the benchmarks whose name contains "Mixed"
# When the guest-memory hot-path benchmarks are selected and cargo is present, it first builds and runs
# the vm-memory anchor (bench/vm-memory-anchor, from Debian's librust-vm-memory-dev, offline) and prints
# its figures beside MemGate's at the end. When the snapshot-file start is selected, it first times that
# start alone, without the machine's tear-down (MemGate.Benchmarks --start-plain 400).
# The build timeout is long because the generated benchmark project builds slowly on a loaded 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

job=()
filter="*"
for arg in "$@"; do
  case "$arg" in
    --quick) job=(--job short) ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) filter="*${arg}*" ;;
  esac
done

mkdir -p bench/results
anchor_tsv="$root/bench/results/vm-memory.tsv"
rm -f "$anchor_tsv"
hotpath=no
for name in MemGate.Benchmarks.GuestMemoryHotPathBenchmarks.{Raw,RawOneTest,Checked32,Accessor32,Checked64,Accessor64}; do
  # shellcheck disable=SC2053 # the filter is a glob, as BenchmarkDotNet reads it
  [[ $name == $filter ]] && hotpath=yes
done
if [[ $hotpath == yes ]]; then
  if ! command -v cargo >/dev/null; then
    echo "vm-memory anchor skipped: cargo is not installed"
  else
    if ! ls -d /usr/share/cargo/registry/vm-memory-* >/dev/null 2>&1 && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      apt-get install -y -qq --no-install-recommends librust-vm-memory-dev >/dev/null 2>&1 || true
    fi
    if ! ls -d /usr/share/cargo/registry/vm-memory-* >/dev/null 2>&1; then
      echo "vm-memory anchor skipped: Debian's librust-vm-memory-dev is not installed (apt-get install librust-vm-memory-dev)"
    elif (cd bench/vm-memory-anchor && cargo build --release --offline --quiet --target-dir "$root/bench/results/vm-memory-target"); then
      # The same 4,000,000 accesses per pass as GuestMemoryHotPathBenchmarks; minimum of 25 rounds.
      "$root/bench/results/vm-memory-target/release/vm-memory-anchor" 4000000 25 "$anchor_tsv"
    else
      echo "vm-memory anchor skipped: cargo could not build it offline"
    fi
  fi
fi
if [[ $hotpath == yes ]]; then
  # The same loops in one process, all paths interleaved round by round: steadier on a shared machine
  # than BenchmarkDotNet's one-path-at-a-time runs, whose table follows at the end.
  dotnet run -c Release --project bench/MemGate.Benchmarks -- --hotpath-plain 25 "$anchor_tsv"
fi
# shellcheck disable=SC2053 # the filter is a glob, as BenchmarkDotNet reads it
if [[ MemGate.Benchmarks.SnapshotFileBenchmarks.StartFromFile == $filter ]]; then
  # A start from a snapshot file timed alone (the BenchmarkDotNet table's figure includes the machine's tear-down).
  dotnet run -c Release --project bench/MemGate.Benchmarks -- --start-plain 400
fi
MEMGATE_VM_MEMORY_RESULTS="$anchor_tsv" dotnet run -c Release --project bench/MemGate.Benchmarks -- \
  --filter "$filter" --artifacts bench/results --exporters json markdown --buildTimeout 1200 "${job[@]}"
echo "Reports: $(ls -1 bench/results/results/*.json 2>/dev/null | wc -l) JSON files in bench/results/results/"
