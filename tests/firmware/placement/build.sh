#!/usr/bin/env bash
# Rebuilds the firmware that runs against board.toml (the ELF is committed, so the tests need no cross compiler).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
command -v riscv64-unknown-elf-gcc >/dev/null || need+=(gcc-riscv64-unknown-elf)
if [ ${#need[@]} -gt 0 ]; then apt-get update && apt-get install -y --no-install-recommends "${need[@]}"; fi
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
  -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o uarts.elf uarts.c
riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -nostdlib -nostartfiles -Wl,-N -Wl,-Ttext=0x80000000 -Wl,--build-id=none -o timer-rv32.elf timer.S
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
  -Wall -Wextra -Werror -T trigger-link.ld -Wl,--gc-sections -o triggers.elf triggers.c
