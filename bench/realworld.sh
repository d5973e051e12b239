#!/usr/bin/env bash
# Rehosting real firmware: imports every Fuzzware example target (../shared/realworld/fuzzware-examples
# beside the repository: P2IM/* and pw-recovery/*, one config.yml each), runs it with each of its base
# inputs as MMIO input and records whether main was reached, the basic blocks covered, the input bytes
# the run had, the instructions, the UART text printed, how the run ended and the wall time.
#   bench/realworld.sh [--markdown] [--max-instructions N] [--timeout S] [--fuzz-runs N]
# Every target also runs with generated inputs, as a fuzzer's first tries would be: 4096 pseudo-random bytes
# each (SHA-256 of "memgate-K-I" for I = 0..127, so every machine makes the same ones), K = 0, 1, … up to 16
# tries; the table shows the first that reaches main and runs until its input is exhausted (or says which of
# those none did, with the first run that reached main, else the first run).
# Then every target is fuzzed as Fuzzware would start: `memgate fuzz` seeded with its base inputs (generated
# #0 where it has none), a fixed number of runs (--fuzz-runs, default 5000) from a fixed random start, one job,
# so every machine runs the same campaign; the corpus is replayed in order and the table shows the first
# input that reaches main and runs until it is exhausted (else the first that reaches main, else the first).
# Nothing is chosen per target. Import warnings go to bench/results/realworld-import.log, not to the table.
# Exits 0 with "skipped" when the folder is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
markdown=0
limit=20000000
timeout=30
fuzz_runs=5000
while (($#)); do
  case "$1" in
    --markdown) markdown=1; shift ;;
    --max-instructions) limit="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --fuzz-runs) fuzz_runs="$2"; shift 2 ;;
    *) echo "usage: $0 [--markdown] [--max-instructions N] [--timeout S] [--fuzz-runs N]" >&2; exit 2 ;;
  esac
done
[[ "$limit" =~ ^[0-9]+$ ]] || { echo "realworld: --max-instructions $limit: give a whole number" >&2; exit 2; }
[[ "$fuzz_runs" =~ ^[0-9]+$ ]] || { echo "realworld: --fuzz-runs $fuzz_runs: give a whole number" >&2; exit 2; }

examples="$(cd "$root/.." && pwd)/shared/realworld/fuzzware-examples"
if [[ ! -d "$examples" ]]; then
  echo "realworld: skipped: $examples is missing (Fuzzware's example targets, P2IM and pw-recovery, beside the repository)"
  exit 0
fi
"$root/memgate" list >/dev/null   # builds the CLI and provides the engine before anything is timed

mkdir -p "$root/bench/results"
log="$root/bench/results/realworld-import.log"
: >"$log"
work="$(mktemp -d "${TMPDIR:-/tmp}/memgate-realworld.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tries=16
# generated K FILE: the K-th generated input (4096 bytes).
generated() {
  local i
  for ((i = 0; i < 128; i++)); do printf 'memgate-%d-%d' "$1" "$i" | sha256sum | cut -c1-64; done | xxd -r -p >"$2"
}
for ((k = 0; k < tries; k++)); do generated "$k" "$work/generated-$k"; done

now() { date +%s%N; }
# json_field LINE KEY: a number or string field of one JSON line (strings unescaped for \", \\ and \u0027 only).
json_field() {
  local line="$1" key="$2" value
  value="$(sed -n "s/.*\"$key\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" <<<"$line")"
  if [[ -z "$value" ]]; then
    value="$(sed -n "s/.*\"$key\":\([-0-9.][0-9.eE+-]*\).*/\1/p" <<<"$line")"
  fi
  value="${value//\\\"/\"}"
  value="${value//\\u0027/\'}"
  printf '%s' "${value//\\\\/\\}"
}
# main_address SYMS: main's address from a Fuzzware syms.yml ("  0x80074ec: main" or "'main'"), Thumb bit cleared.
main_address() {
  local hex
  hex="$(sed -n "s/^[[:space:]]*\(0x[0-9a-fA-F]*\):[[:space:]]*['\"]\{0,1\}main['\"]\{0,1\}[[:space:]]*$/\1/p" "$1" | head -n 1)"
  [[ -n "$hex" ]] && printf '0x%x' $((hex & ~1))
}
# Cells of a row are separated by US (0x1f); in Markdown a | inside a cell is escaped.
us=$'\x1f'
row() { local IFS="$us"; rows+=("$*"); }
cell() { local text="$1"; printf '%s' "${text//|/\\|}"; }

rows=()
failures=0
while IFS= read -r config; do
  dir="$(dirname "$config")"
  target="${dir#"$examples"/}"
  name="${target//\//-}"
  device="$work/$name/$name.toml"
  mkdir -p "$work/$name"
  {
    echo "== $target"
    if ! "$root/memgate" import fuzzware "$config" -o "$device" 2>&1; then
      echo "realworld: import failed"
    fi
  } >>"$log"
  if [[ ! -f "$device" ]]; then
    row "$target" - no - - - - - "import failed (see $log)" -
    failures=$((failures + 1))
    continue
  fi
  main="$(main_address "$dir/syms.yml" 2>/dev/null || true)"
  # measure INPUT LABEL: runs the target with INPUT; sets `line` (the table row) and `reached` (yes/no).
  measure() {
    local input="$1" label="$2" coverage="$work/$name/coverage.txt" start end status summary outcome reason instructions blocks to_main stop ended uart size wall
    rm -f "$coverage"
    start=$(now)
    set +e
    "$root/memgate" run --device "$device" --mmio-input "$input" --coverage "$coverage" --json \
      --max-instructions "$limit" --timeout "$timeout" >"$work/$name/stdout" 2>"$work/$name/stderr" </dev/null
    status=$?
    set -e
    end=$(now)
    reached="no"
    summary="$(grep '^{' "$work/$name/stderr" | tail -n 1 || true)"
    if [[ -z "$summary" ]]; then
      line="$target$us$label$us-$us-$us-$us$(wc -c <"$input")$us-$us-${us}memgate exited $status: $(head -n 1 "$work/$name/stderr")$us-"
      failures=$((failures + 1))
      return
    fi
    outcome="$(json_field "$summary" outcome)"
    reason="$(json_field "$summary" reason)"
    instructions="$(json_field "$summary" instructions)"
    blocks="$(json_field "$summary" blocks)"
    to_main="-"
    if [[ -z "$main" ]]; then
      reached="no main symbol"
    elif [[ -f "$coverage" ]] && grep -qx "$main" "$coverage"; then
      reached="yes"
      # A second run that stops at main: the instructions it takes to get there.
      stop="$("$root/memgate" run --device "$device" --mmio-input "$input" --json --stop-at "$main" \
        --max-instructions "$limit" --timeout "$timeout" 2>&1 >/dev/null </dev/null | grep '^{' | tail -n 1 || true)"
      [[ "$(json_field "$stop" outcome)" == reached ]] && to_main="$(json_field "$stop" instructions)"
    fi
    # The reason names the outcome and says more (what needed the input that was not there).
    ended="$reason"
    [[ "$reason" != "${outcome//-/ }"* ]] && ended="$outcome: $reason"
    uart="$(wc -c <"$work/$name/stdout")"
    size="$(wc -c <"$input")"
    wall="$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }')"
    line="$target$us$label$us$reached${main:+ ($main)}$us$to_main$us${blocks:--}$us$size$us$instructions$us$uart$us$ended$us$wall"
  }
  if [[ -d "$dir/base_inputs" ]]; then
    while IFS= read -r input; do
      measure "$input" "$(basename "$input")"
      rows+=("$line")
    done < <(find "$dir/base_inputs" -maxdepth 1 -type f | sort)
  fi
  # consider: after measure, keeps the first row, the first that reached main, and the first that also ran until
  # its input was exhausted (then succeeds: stop looking).
  consider() {
    [[ -z "$first" ]] && first="$line"
    [[ "$reached" == yes ]] || return 1
    [[ -z "$main_first" ]] && main_first="$line"
    [[ "$line" == *"${us}input exhausted"* ]] || return 1
    chosen="$line"
  }
  # The first generated input that reaches main and runs until the input is exhausted; else the first that
  # reaches main; else the first one.
  first="" main_first="" chosen=""
  for ((k = 0; k < tries; k++)); do
    measure "$work/generated-$k" "generated #$k"
    consider && break
  done
  if [[ -n "$chosen" ]]; then
    line="${chosen/generated #$k/generated #$k ($((k + 1)) tried)}"
  elif [[ -n "$main_first" ]]; then
    line="${main_first/${us}generated #/${us}none of $tries ends input exhausted; #}"
  else
    line="${first/generated #0/none of $tries reaches main; #0}"
  fi
  rows+=("$line")
  ((fuzz_runs > 0)) || continue
  # Fuzzing from the base inputs (generated #0 where there are none).
  fuzz="$work/$name/fuzz"
  mkdir -p "$fuzz/corpus"
  if compgen -G "$dir/base_inputs/*" >/dev/null; then
    cp "$dir/base_inputs/"* "$fuzz/corpus/"
    seeds="base inputs"
  else
    cp "$work/generated-0" "$fuzz/corpus/"
    seeds="generated #0"
  fi
  start=$(now)
  set +e
  "$root/memgate" fuzz --device "$device" --corpus "$fuzz/corpus" --crashes "$fuzz/crashes" --runs "$fuzz_runs" --random 1 \
    --max-instructions "$limit" >/dev/null 2>"$fuzz/stderr" </dev/null
  status=$?
  set -e
  fuzz_wall="$(awk -v ns=$(($(now) - start)) 'BEGIN { printf "%.0f", ns / 1e9 }')"
  if ((status != 0 && status != 120)); then
    row "$target" "fuzzed from $seeds" - - - - - - "memgate fuzz exited $status: $(head -n 1 "$fuzz/stderr")" "$fuzz_wall"
    failures=$((failures + 1))
    continue
  fi
  first="" main_first="" chosen=""
  while IFS= read -r input; do
    measure "$input" "fuzzed from $seeds, $fuzz_runs runs in $fuzz_wall s: $(basename "$input")"
    consider && break
  done < <(find "$fuzz/corpus" -maxdepth 1 -type f | LC_ALL=C sort)
  rows+=("${chosen:-${main_first:-$first}}")
done < <(find "$examples/P2IM" "$examples/pw-recovery" -mindepth 2 -maxdepth 2 -name config.yml 2>/dev/null | sort)

header="target${us}base input${us}main reached${us}instructions to main${us}blocks covered${us}input bytes${us}instructions${us}UART bytes${us}how the run ended${us}wall s"
if ((markdown)); then
  printf '| %s |\n' "${header//$us/ | }"
  printf '|---|---|---|---:|---:|---:|---:|---:|---|---:|\n'
  for r in "${rows[@]}"; do
    IFS="$us" read -r -a cells <<<"$r"
    line="|"
    for c in "${cells[@]}"; do line+=" $(cell "$c") |"; done
    echo "$line"
  done
else
  { echo "$header"; printf '%s\n' "${rows[@]}"; } | column -t -s "$us"
fi
echo "limit: $limit instructions, ${timeout} s per run; import warnings: $log; UART bytes: stdout of the run (imported devices model no UART, so none is expected)" >&2
((failures == 0)) || echo "realworld: $failures target(s) did not import or run" >&2
