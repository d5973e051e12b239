#!/usr/bin/env bash
# Rebuilds the QEMU-comparison firmware (one image per workload and machine). The images are committed,
# so the benchmark needs no cross compiler; run this after changing a source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
command -v riscv64-unknown-elf-gcc >/dev/null || need+=(gcc-riscv64-unknown-elf)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
for workload in compute stores uart irq; do
  define="-DWORKLOAD=WORKLOAD_$(tr a-z A-Z <<<"$workload")"
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -O2 -ffreestanding -nostdlib -fno-builtin -g0 -Wall -Wextra -Werror -Wno-unused-function -Wno-unused-variable \
    "$define" -T ../../examples/firmware/stm32f103/link.ld -Wl,--gc-sections -o "cm3-$workload.elf" cortex-m3.c
  riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -O2 -ffreestanding -nostdlib -fno-builtin -g0 -Wall -Wextra -Werror -Wno-unused-function -Wno-unused-variable \
    "$define" -T ../../examples/firmware/riscv-virt/link.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments -o "rv32-$workload.elf" rv32.c
done
echo "built: $(ls ./*.elf)"
