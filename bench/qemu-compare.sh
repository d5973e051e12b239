#!/usr/bin/env bash
# memgate run against QEMU on the same ELF files (bench/firmware), runs alternating, wall time of the
# whole command (start-up included). Prints a table with the median of each and the ratio.
#   bench/qemu-compare.sh [--runs N] [--only WORKLOAD]
# Timer interrupts: QEMU runs with -icount shift=0,align=off,sleep=off so that, as in MemGate, its
# timers count instructions instead of host time (otherwise it would wait for real time to pass).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
only=""
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--only compute|stores|uart|irq|startup]" >&2; exit 2 ;;
  esac
done
for tool in qemu-system-arm qemu-system-riscv32; do
  command -v "$tool" >/dev/null || { echo "qemu-compare: $tool is missing (Debian: qemu-system-arm, qemu-system-misc)" >&2; exit 3; }
done
"$root/memgate" list >/dev/null   # builds the CLI and provides the engine before anything is timed

fw="$root/bench/firmware"
examples="$root/examples/firmware"
now() { date +%s%N; }
# time_ms COMMAND...: wall time in ms; output discarded; fails if the command fails.
time_ms() {
  local start end
  start=$(now)
  "$@" >/dev/null 2>&1 </dev/null || { echo "qemu-compare: failed: $*" >&2; return 1; }
  end=$(now)
  echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

qemu_cm3() { qemu-system-arm -M stm32vldiscovery -display none -monitor none -serial stdio -semihosting "$@"; }
qemu_rv32() { qemu-system-riscv32 -M virt -bios none -display none -monitor none -serial stdio "$@"; }

printf '| machine | workload | memgate run (ms) | QEMU (ms) | memgate / QEMU |\n|---|---|---|---|---|\n'
for workload in startup compute stores uart irq; do
  [[ -n "$only" && "$only" != "$workload" ]] && continue
  for machine in cm3 rv32; do
    if [[ $workload == startup ]]; then
      elf="$examples/stm32f103/hello.elf"; [[ $machine == rv32 ]] && elf="$examples/riscv-virt/hello-rv32.elf"
    else
      elf="$fw/$machine-$workload.elf"
    fi
    icount=(); [[ $workload == irq ]] && icount=(-icount shift=0,align=off,sleep=off)
    device=STM32F103; [[ $machine == rv32 ]] && device=RV32
    m=(); q=()
    for ((i = 0; i < runs; i++)); do
      m+=("$(time_ms "$root/memgate" run "$elf" --device "$device")")
      q+=("$(time_ms "qemu_$machine" "${icount[@]}" -kernel "$elf")")
    done
    mm=$(printf '%s\n' "${m[@]}" | median)
    qm=$(printf '%s\n' "${q[@]}" | median)
    printf '| %s | %s | %s | %s | %.2fx |\n' "$machine" "$workload" "$mm" "$qm" "$(echo "$mm / $qm" | bc -l)"
  done
done
