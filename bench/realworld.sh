#!/usr/bin/env bash
# Rehosting real firmware: imports every Fuzzware example target (../shared/realworld/fuzzware-examples
# beside the repository: P2IM/* and pw-recovery/*, one config.yml each), runs it with each of its base
# inputs as MMIO input and records whether main was reached, the basic blocks covered, the input bytes
# the run had, the instructions, the UART text printed, how the run ended and the wall time.
#   bench/realworld.sh [--markdown] [--max-instructions N] [--timeout S]
# Targets without base inputs (pw-recovery) run with 4096 zero bytes. Import warnings go to
# bench/results/realworld-import.log, not to the table. Exits 0 with "skipped" when the folder is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
markdown=0
limit=20000000
timeout=30
while (($#)); do
  case "$1" in
    --markdown) markdown=1; shift ;;
    --max-instructions) limit="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    *) echo "usage: $0 [--markdown] [--max-instructions N] [--timeout S]" >&2; exit 2 ;;
  esac
done
[[ "$limit" =~ ^[0-9]+$ ]] || { echo "realworld: --max-instructions $limit: give a whole number" >&2; exit 2; }

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
head -c 4096 /dev/zero >"$work/zeros-4096"

now() { date +%s%N; }
# json_field LINE KEY: a number or string field of one JSON line (strings unescaped for \" and \\ only).
json_field() {
  local line="$1" key="$2" value
  value="$(sed -n "s/.*\"$key\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" <<<"$line")"
  if [[ -z "$value" ]]; then
    value="$(sed -n "s/.*\"$key\":\([-0-9.][0-9.eE+-]*\).*/\1/p" <<<"$line")"
  fi
  value="${value//\\\"/\"}"
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
  inputs=()
  if [[ -d "$dir/base_inputs" ]]; then
    while IFS= read -r input; do inputs+=("$input"); done < <(find "$dir/base_inputs" -maxdepth 1 -type f | sort)
  fi
  zero=0
  if ((${#inputs[@]} == 0)); then
    inputs=("$work/zeros-4096")
    zero=1
  fi
  for input in "${inputs[@]}"; do
    label="$(basename "$input")"
    ((zero)) && label="none: 4096 zero bytes"
    coverage="$work/$name/coverage.txt"
    rm -f "$coverage"
    start=$(now)
    set +e
    "$root/memgate" run --device "$device" --mmio-input "$input" --coverage "$coverage" --json \
      --max-instructions "$limit" --timeout "$timeout" >"$work/$name/stdout" 2>"$work/$name/stderr" </dev/null
    status=$?
    set -e
    end=$(now)
    summary="$(grep '^{' "$work/$name/stderr" | tail -n 1 || true)"
    if [[ -z "$summary" ]]; then
      row "$target" "$label" - - - "$(wc -c <"$input")" - - "memgate exited $status: $(head -n 1 "$work/$name/stderr")" -
      failures=$((failures + 1))
      continue
    fi
    outcome="$(json_field "$summary" outcome)"
    reason="$(json_field "$summary" reason)"
    instructions="$(json_field "$summary" instructions)"
    blocks="$(json_field "$summary" blocks)"
    reached="no"
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
    ended="$reason"
    [[ "$reason" != "${outcome//-/ }" ]] && ended="$outcome: $reason"
    uart="$(wc -c <"$work/$name/stdout")"
    size="$(wc -c <"$input")"
    wall="$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }')"
    row "$target" "$label" "$reached${main:+ ($main)}" "$to_main" "${blocks:--}" "$size" "$instructions" "$uart" "$ended" "$wall"
  done
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
