#!/usr/bin/env bash
# Rebuilds the RISC-V differential programs (RV32 and RV64) and records what QEMU's virt board prints
# for each (NAME-rvXX.qemu.txt, exit code on its last line). ELFs and records are committed, so the
# tests need neither the cross compiler nor QEMU; run this after changing a source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v riscv64-unknown-elf-gcc >/dev/null || need+=(gcc-riscv64-unknown-elf)
command -v qemu-system-riscv32 >/dev/null || need+=(qemu-system-misc)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
for src in *.c; do
  name="${src%.c}"
  riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments -o "$name-rv32.elf" "$src"
  riscv64-unknown-elf-gcc -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments -o "$name-rv64.elf" "$src"
  for xlen in 32 64; do
    set +e
    timeout 30 "qemu-system-riscv$xlen" -M virt -bios none -display none -monitor none -serial stdio \
      -kernel "$name-rv$xlen.elf" > "$name-rv$xlen.qemu.txt" < /dev/null
    printf '\n@exit %d\n' $? >> "$name-rv$xlen.qemu.txt"
    set -e
  done
done
