#!/usr/bin/env bash
# Runs MemGate's benchmarks (BenchmarkDotNet) and leaves its JSON and Markdown reports in bench/results/.
#   ./bench.sh                 all benchmarks, BenchmarkDotNet's default (careful) job
#   ./bench.sh --quick         all benchmarks, short job (3 warm-ups, 3 iterations)
#   ./bench.sh [--quick] Mixed only the benchmarks whose name contains "Mixed"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

job=()
filter="*"
for arg in "$@"; do
  case "$arg" in
    --quick) job=(--job short) ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) filter="*${arg}*" ;;
  esac
done

mkdir -p bench/results
dotnet run -c Release --project bench/MemGate.Benchmarks -- \
  --filter "$filter" --artifacts bench/results --exporters json markdown "${job[@]}"
echo "Reports: $(ls -1 bench/results/results/*.json 2>/dev/null | wc -l) JSON files in bench/results/results/"
