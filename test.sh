#!/usr/bin/env bash
# Installs what the tests need (idempotent), builds everything, runs every test project and prints
# "N passed, N failed" as its last line. Exits non-zero if anything failed. Only the .NET SDK is assumed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

# --- dependencies -----------------------------------------------------------------------------
# Debian packages the tests use; installed only when missing.
packages=()
need_package() { dpkg -s "$1" >/dev/null 2>&1 || packages+=("$1"); }
if command -v dpkg >/dev/null 2>&1; then
  need_package libunicorn2   # the CPU engine (Emulation layer) loads libunicorn.so.2
  if ((${#packages[@]})); then
    echo "test.sh: installing ${packages[*]}"
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
      || { echo "test.sh: could not install ${packages[*]}"; echo "0 passed, 1 failed"; exit 1; }
  fi
  # Optional: QEMU runs the STM32 examples a second time to compare outputs; without it that test only checks it is absent.
  if ! dpkg -s qemu-system-arm >/dev/null 2>&1; then
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get install -y -qq --no-install-recommends qemu-system-arm >/dev/null 2>&1 \
      || echo "test.sh: qemu-system-arm not installed; the QEMU comparison is left out"
  fi
fi

# --- build ------------------------------------------------------------------------------------
if ! dotnet build MemGate.slnx -c Release --nologo -v quiet; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed"
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
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if ((status != 0 && failed == 0)); then
  failed=1   # a test run crashed or aborted without reporting a failing test
fi
echo "${passed} passed, ${failed} failed"
((failed == 0))
