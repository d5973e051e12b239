#!/usr/bin/env bash
# Installs what the tests need (idempotent), builds everything, runs every test project and prints
# "N passed, N failed, N skipped" as its last line. Exits non-zero if anything failed. Only the .NET SDK
# is assumed. A test whose precondition is missing here (a kernel feature, an emulator) counts as skipped.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

summary() { echo "$1 passed, $2 failed, $3 skipped"; }

# --- dependencies -----------------------------------------------------------------------------
# The CPU engine (Unicorn 2.1.4), fetched once into a cache folder; the tests load it from there.
if ! MEMGATE_UNICORN="$(scripts/engine.sh)"; then
  echo "test.sh: the CPU engine could not be provided"
  summary 0 1 0
  exit 1
fi
export MEMGATE_UNICORN

# Debian packages the tests compare against (reference emulators); installed only when missing.
# Without them the comparison tests report as skipped.
packages=()
if command -v dpkg >/dev/null 2>&1; then
  # libcapstone4: the disassembler of `memgate run --trace-instructions` (its test is skipped without it).
  for package in qemu-system-arm qemu-system-misc gdb-multiarch afl++ libcapstone4; do
    dpkg -s "$package" >/dev/null 2>&1 || packages+=("$package")
  done
  if ((${#packages[@]})); then
    echo "test.sh: installing ${packages[*]}"
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    { $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >/dev/null 2>&1 \
      || echo "test.sh: could not install ${packages[*]}; the tests that need them are skipped"
  fi
fi

# --- build ------------------------------------------------------------------------------------
if ! dotnet build MemGate.slnx -c Release --nologo -v quiet; then
  echo "test.sh: build failed"
  summary 0 1 0
  exit 1
fi

# --- test -------------------------------------------------------------------------------------
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
status=0
for project in $(grep -l '<IsTestProject>true</IsTestProject>' tests/*/*.csproj); do
  name="$(basename "$project" .csproj)"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=1
done

passed=0
failed=0
skipped=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  p="$(count passed)"; f="$(count failed)"; t="$(count total)"; e="$(count executed)"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${t:-0} - ${e:-0}))   # skipped tests are counted in total but not executed
done
if ((status != 0 && failed == 0)); then
  failed=1   # a test run crashed or aborted without reporting a failing test
fi
summary "$passed" "$failed" "$skipped"
((failed == 0))
